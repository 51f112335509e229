//! Official grading of one submission: its `crates/*/src` into a fresh copy
//! of the instructor's base workspace (the starter), built and graded under
//! the grader's containment. `run_autograder` and `cargo xtask grade` both
//! call [`grade`]; there is no second implementation.
//!
//! The build is the part of grading that reads the most: `rustc` reads
//! every file the code names (`include_str!`, `include_bytes!`,
//! `#[path]`), and puts what it read in its error messages. So where
//! grading runs as root, the build runs as a uid of its own
//! ([`crate::isolation::Uids::build`]), under the supervisor, with a cleared environment, a
//! target directory it owns, the toolchain and the dependencies' sources
//! readable (the grading user's `CARGO_HOME`, read-only to it), and
//! nothing of the machine's private
//! files: a file only root may read fails to compile with the compiler's
//! own "permission denied". It is bounded too ([`BuildLimits`]). The
//! grader front end, which runs as root, then compiles nothing: it is told
//! where the build put everything ([`PREBUILT_ENV`]). What root itself
//! builds — the supervisor — is built from the instructor's base before
//! any file of the submission is in place, in a directory the build uid
//! cannot write.
//!
//! The instructor's held-back checks ([`HELD_BACK_DIR`], an executable of
//! the grader's that the starter leaves out) are the one part of the base
//! the submission must not read even at compile time. So the build is two
//! steps: first the whole workspace without that directory (the
//! submission's code is compiled then and only then), then that executable
//! alone, which compiles nothing of the submission again; its sources are
//! gone from the work copy before any check runs, and the executable is
//! left runnable but unreadable to the check uids.

mod assemble;
mod build;
mod contain;
mod fingerprint;
mod marks;
#[cfg(test)]
mod tests;

pub use assemble::{HELD_BACK_DIR, Taken, assemble, find_crates, reachable_by_others};
pub use fingerprint::{fingerprint, grader_fingerprint};
pub use marks::{CheckMark, Graded, LabMark, Provenance, Status, compile_error};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use assemble::{MAX_BYTES, MAX_FILES, close_held_back, listing};
use build::{FRONT_END_OUTPUT, Job, base_checks, build_supervisor, place_held_back};
use contain::{Contain, contained, sweep_uids};
use marks::{add_note, read_results};

use crate::cargo::{self, Built};
use crate::files::unreadable_to_others;
use crate::isolation::{Isolation, PREBUILT_ENV};
use crate::sys::is_root;
use crate::sys::netns::{self, Net};

/// How to grade: one per job (a job grades its submissions one after the
/// other, always at the same `work` path and with the same `target_dir`, so
/// compiled dependencies are reused and no other job's binary is ever run).
#[derive(Clone, Debug)]
pub struct Grading {
    /// The instructor's workspace in its starter form (lab crates with
    /// `todo!()` bodies, the instructor's grader and manifests). Never
    /// written to.
    pub base: PathBuf,
    /// Where the submission's workspace is assembled; emptied and re-made
    /// for every submission.
    pub work: PathBuf,
    /// The job's cargo target directory, kept between submissions.
    pub target_dir: PathBuf,
    /// Wall-clock limit for building and grading one submission.
    pub timeout: Duration,
    /// The job's uids and network ([`Isolation::official`]); jobs that run
    /// at the same time need uid ranges that do not overlap.
    pub isolation: Isolation,
    /// The build's bounds beyond the deadline.
    pub limits: BuildLimits,
}

/// What one build may use besides time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildLimits {
    /// Address space of each process of the build (`RLIMIT_AS`, so per
    /// process: cargo, each `rustc`, the linker), in bytes.
    pub memory: u64,
    /// Most output kept of the build, per stream (cargo's messages, the
    /// compiler's); more is a compile error row.
    pub output: usize,
}

impl Default for BuildLimits {
    /// 4 GiB of address space per process (the reference's build needs
    /// under 2), 4 MiB of output per stream.
    fn default() -> BuildLimits {
        BuildLimits {
            memory: 4 << 30,
            output: 4 << 20,
        }
    }
}

/// Grades the student files at `submission` (their repository's checkout:
/// `crates/` at the top or up to two directories down). `about` says what
/// they are (the commit, why it was picked, the grader): the first line of
/// every feedback, and `extra_data.graded` in `results.json`.
///
/// Every lab of the base is counted (`--due all`): official marks do not
/// read the template's `grader.toml`.
///
/// `Err` only for a fault of the grading machine (the base cannot be
/// copied, cargo cannot be started…), never for anything in the submission.
pub fn grade(grading: &Grading, submission: &Path, about: &Provenance) -> Result<Graded, String> {
    let started = Instant::now();
    let until = started + grading.timeout;
    // Files the check processes must read: never only the owner's.
    // SAFETY: umask has no preconditions.
    unsafe {
        libc::umask(0o022);
    }
    let mut log = String::new();

    // Before any file of the submission is in place: the supervisor (the
    // instructor's code alone), and what the unprivileged build needs.
    std::fs::create_dir_all(&grading.target_dir)
        .map_err(|e| format!("cannot create {}: {e}", grading.target_dir.display()))?;
    reachable_by_others(&grading.target_dir)?;
    let sandbox = build_supervisor(grading)?;
    let job = Job::prepare(grading, sandbox)?;
    if job.build_as.is_some() {
        // The build uid never reads the held-back checks in the base.
        close_held_back(&grading.base)?;
    }

    let no_submission = |why: String| not_graded(&job, about, Status::NoSubmission, started, why);
    let Some(crates) = find_crates(submission) else {
        return no_submission(format!(
            "No `crates/*/src` directory in the submission (score 0). Submit your repository \
             (from GitHub, or a zip of its folder) with the lab crates in `crates/`. What was \
             submitted:\n\n```text\n{}\n```",
            listing(submission)
        ));
    };
    let taken = assemble(&grading.base, &crates, &grading.work)?;
    for line in &taken.notes {
        log.push_str(line);
        log.push('\n');
    }
    if taken.too_big {
        return no_submission(format!(
            "The submission's `crates/*/src` hold more than {} MB or {} files: not graded \
             (score 0). Submit the sources only, without build output.",
            MAX_BYTES / 1_000_000,
            MAX_FILES
        ));
    }
    reachable_by_others(&grading.work)?;

    // Everything, as the build uid where there is one, with a cleared
    // environment, under the supervisor, the deadline and the limits.
    let built = job.build(&["--bins", "--keep-going"], remaining(until))?;
    log.push_str(&built.stderr);
    if built.timed_out {
        return timed_out(&job, about, started, &log);
    }
    if let Some(why) = job.over_limit(&built) {
        return not_built(&job, about, started, &log, why);
    }
    // The grader this build made, not one left by an earlier submission.
    let Some(front_end) = cargo::executable(&built.stdout, "grader") else {
        return not_built(&job, about, started, &log, compile_error(&built.stderr));
    };
    // The instructor's held-back checks, built only now: nothing of the
    // submission is compiled again, so nothing of it reads their sources.
    let mut front_end = front_end;
    let mut held_back = None;
    if place_held_back(&grading.base, &grading.work)? {
        // The same packages as above (so the same features: nothing is
        // stale), one more target.
        let built = job.build(&["--bin", "held-back"], remaining(until))?;
        log.push_str(&built.stderr);
        // Their sources leave the work copy before any check runs.
        let _ = std::fs::remove_dir_all(grading.work.join(HELD_BACK_DIR));
        if built.timed_out {
            return timed_out(&job, about, started, &log);
        }
        // Proof that no code of the submission was compiled while those
        // sources were there: else nothing built now runs.
        let crates_dir = grading.work.join("crates");
        if let Some(again) = cargo::compiled_anew(&built.stdout)
            .into_iter()
            .find(|m| m.starts_with(&crates_dir))
        {
            return Err(format!(
                "building the held-back checks compiled {} again, which the first build had \
                 compiled: the official base's packages or features differ between the two \
                 builds (grader-sandbox's submission::grade)",
                again.display()
            ));
        }
        let Some(exe) = cargo::executable(&built.stdout, "held-back") else {
            // The compiler's words would quote the held-back checks: they
            // go to the log only.
            let why = "Your code compiles, and so do the grader's public checks, but the checks \
                       your instructor holds back do not compile against it: a public item of a \
                       lab crate that they use (a function, a type, a method) is not as the \
                       handout gives it. Compare your crates' public items with the handout's, \
                       or ask your instructor: the grading log has the compiler's message.";
            return not_built(&job, about, started, &log, why.to_string());
        };
        unreadable_to_others(&exe)?;
        held_back = Some(exe.clone());
        front_end = exe;
    }
    // What the front end needs, so that it builds nothing as root: the
    // build's executables, with root's supervisor in place of the one the
    // build made.
    let mut prebuilt = Built::from_output(&built.stdout, &built.stderr);
    if let Some(exe) = held_back {
        prebuilt.executables.push(("held-back".to_string(), exe));
    }
    prebuilt
        .executables
        .retain(|(name, _)| name != "grader-sandbox");
    prebuilt
        .executables
        .push(("grader-sandbox".to_string(), job.sandbox.clone()));
    let prebuilt_path = grading.work.join(".grade-built.json");
    prebuilt.write(&prebuilt_path)?;

    // Grade, unprivileged where we are root, in a network namespace of our
    // own where we may.
    let iso = &grading.isolation;
    if iso.net == Net::Host && is_root() {
        // No namespace of our own: where the host's loopback lacks ::1 (a
        // container's default), turn it on, as Gradescope's image allows.
        netns::enable_host_ipv6();
    }
    let results = grading.work.join(".grade-results.json");
    let feedback = grading.work.join(".grade-feedback.md");
    let held_back_feedback = grading.work.join(".grade-held-back.md");
    // The held-back checks' inputs: drawn from the submission itself, so a
    // regrade of the same files draws the same ones.
    let seed = fingerprint(&grading.work.join("crates"));
    let provenance = grading.work.join(".grade-provenance.json");
    std::fs::write(
        &provenance,
        serde_json::to_string(about).unwrap_or_default(),
    )
    .map_err(|e| format!("cannot write {}: {e}", provenance.display()))?;
    let mut run = Command::new(&front_end);
    run.arg("--gradescope")
        .arg(&results)
        .arg("--markdown")
        .arg(&feedback)
        .arg("--held-back-markdown")
        .arg(&held_back_feedback)
        .arg("--provenance")
        .arg(&provenance)
        .arg("--seed")
        .arg(seed.to_string())
        .args(["--due", "all"])
        .current_dir(&grading.work);
    job.set_env(&mut run);
    run.env(PREBUILT_ENV, &prebuilt_path);
    if let Some((k, v)) = iso.front_end_env() {
        run.env(k, v);
    }
    let ran = contained(
        &job.sandbox,
        run,
        Contain {
            limit: remaining(until),
            isolate: iso.net != Net::Host,
            uid: None,
            memory: None,
            output: FRONT_END_OUTPUT,
        },
    )?;
    log.push_str(&ran.stdout);
    log.push_str(&ran.stderr);
    sweep_uids(grading);
    if ran.timed_out {
        return timed_out(&job, about, started, &log);
    }
    let (Ok(results_json), Ok(feedback_md)) = (
        std::fs::read_to_string(&results),
        std::fs::read_to_string(&feedback),
    ) else {
        let tail: Vec<&str> = ran.stderr.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "the grader wrote no results; its last words:\n{}",
            tail.join("\n")
        ));
    };
    let _ = std::fs::write(grading.work.join(".grade-log.txt"), &log);
    let mut feedback_md = feedback_md;
    feedback_md.push_str("\n<details><summary>What was graded</summary>\n\n");
    for line in &taken.notes {
        feedback_md.push_str(&format!("- {line}\n"));
    }
    feedback_md.push_str(&format!("- {}\n</details>\n", iso.net.describe()));
    let mut graded = read_results(&results_json, feedback_md)?;
    graded.held_back_md = std::fs::read_to_string(&held_back_feedback).unwrap_or_default();
    graded.elapsed = started.elapsed();
    let mut how = iso.net.describe().to_string();
    if let Some(b) = &job.build_as {
        how.push_str(&format!("; built as uid {} (unprivileged)", b.uid));
    }
    if iso.uids_refused {
        how.push_str(
            "; not as root, so the code under test ran as the grading user (no unprivileged uid)",
        );
    }
    graded.results_json = add_note(&results_json, &how, ran.leftovers);
    Ok(graded)
}

fn remaining(until: Instant) -> Duration {
    until
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(1))
}

/// A row that was not graded: score 0, every lab's maximum, and `why`,
/// after the line that says what was graded.
fn not_graded(
    job: &Job,
    about: &Provenance,
    status: Status,
    started: Instant,
    why: String,
) -> Result<Graded, String> {
    let listed = base_checks(job)?;
    let mut labs: Vec<LabMark> = Vec::new();
    for c in listed.iter().filter(|c| c.skipped.is_none()) {
        match labs.iter_mut().find(|l| l.lab == c.lab) {
            Some(l) => l.max_score += c.points,
            None => labs.push(LabMark {
                lab: c.lab,
                score: 0,
                max_score: c.points,
            }),
        }
    }
    let max_score = labs.iter().map(|l| l.max_score).sum();
    let results = serde_json::json!({
        "score": 0,
        "output": format!("## echo-lab grader: 0/{max_score}\n\n{}\n\n{why}", about.markdown()),
        "output_format": "md",
        "tests": [],
        "extra_data": { "max_score": max_score, "status": status.as_str(), "graded": about },
    });
    Ok(Graded {
        status,
        score: 0,
        max_score,
        labs,
        checks: Vec::new(),
        results_json: serde_json::to_string_pretty(&results).unwrap_or_default(),
        feedback_md: format!(
            "## echo-lab grader: 0/{max_score}\n\n{}\n\n{why}\n",
            about.markdown()
        ),
        held_back_md: String::new(),
        elapsed: started.elapsed(),
    })
}

/// A compile-error row: the build's log kept for the instructor, `why`
/// for the student.
fn not_built(
    job: &Job,
    about: &Provenance,
    started: Instant,
    log: &str,
    why: String,
) -> Result<Graded, String> {
    let _ = std::fs::write(job.grading.work.join(".grade-log.txt"), log);
    not_graded(job, about, Status::CompileError, started, why)
}

fn timed_out(job: &Job, about: &Provenance, started: Instant, log: &str) -> Result<Graded, String> {
    let _ = std::fs::write(job.grading.work.join(".grade-log.txt"), log);
    not_graded(
        job,
        about,
        Status::TimedOut,
        started,
        format!(
            "Building and grading took longer than {} s, and were stopped (score 0). Every \
             check has a deadline of its own, so this is the machine or the build, not a \
             check: ask your instructor.",
            job.grading.timeout.as_secs()
        ),
    )
}
