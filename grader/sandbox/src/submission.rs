//! Official grading of one submission: its `crates/*/src` into a fresh copy
//! of the instructor's base workspace (the starter), built and graded under
//! the grader's containment. `run_autograder` and `cargo xtask grade` both
//! call [`grade`]; there is no second implementation.
//!
//! The build is the part of grading that reads the most: `rustc` reads
//! every file the code names (`include_str!`, `include_bytes!`,
//! `#[path]`), and puts what it read in its error messages. So where
//! grading runs as root, the build runs as a uid of its own
//! ([`Uids::build`]), under the supervisor, with a cleared environment, a
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

use crate::protocol::Listed;
use std::io::{BufRead as _, BufReader};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::cargo::{self, Built};
use crate::files::{CopyTree, Fnv};
use crate::isolation::{BUILD_ENV, Isolation, PREBUILT_ENV, TARGET_DIR_OWNER_ENV, Uids, scrub_env};
use crate::procs;
use crate::supervise::{self, Report};
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

/// What was graded, for the first lines of every official feedback: which
/// commit, why that one, and by which grader. A regrade request is settled
/// from these, so they are typed (`results.json`'s `extra_data.graded`) as
/// well as written out for the student.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The commit graded, its full hash; `None` when none is known (a
    /// Gradescope upload has no `.git`).
    pub commit: Option<String>,
    /// Its committer time, RFC 3339 in UTC.
    pub committed_at: Option<String>,
    /// When it was submitted, where the platform says so (Gradescope's
    /// `submission_metadata.json`: `created_at`, as it writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// Why this commit: `"the last commit at or before the deadline, …"`,
    /// `"as submitted"`, `"as uploaded"`.
    pub picked_by: String,
    /// The fingerprint of the grader (the base workspace it was built from).
    pub grader: String,
}

impl Provenance {
    /// One Markdown line (plain enough for Gradescope's renderer):
    /// ``Graded: commit `c8877f1a362d` (2026-11-25T12:00:00Z), the head of
    /// the default branch. Grader `00ff…`.``
    pub fn markdown(&self) -> String {
        let what = match (&self.commit, &self.committed_at) {
            (Some(c), Some(t)) => format!("commit `{}` ({t}), {}", short(c), self.picked_by),
            (Some(c), None) => format!("commit `{}`, {}", short(c), self.picked_by),
            (None, _) => format!("the files {}", self.picked_by),
        };
        let what = match &self.submitted_at {
            Some(t) => format!("{what}, submitted {t}"),
            None => what,
        };
        format!("**Graded:** {what}. Grader `{}`.", self.grader)
    }
}

/// The first 12 characters of a commit id, as `git log --oneline` shows
/// enough of them.
fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// How grading one submission ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The checks ran; `score` is what they gave.
    Graded,
    /// The lab crates do not compile: score 0, the compiler's first error in the feedback.
    CompileError,
    /// No `crates/*/src` in the submission: score 0.
    NoSubmission,
    /// Building and grading took longer than `Grading::timeout`: score 0.
    TimedOut,
}

impl Status {
    /// `graded`, `compile_error`, `no_submission`, `timed_out`: the gradebook's words.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Graded => "graded",
            Status::CompileError => "compile_error",
            Status::NoSubmission => "no_submission",
            Status::TimedOut => "timed_out",
        }
    }
}

/// One check's mark (the gradebook stores it as it is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckMark {
    /// `lab1_rio::readn_eof`.
    pub id: String,
    /// Its lab, 1 to 5.
    pub lab: u8,
    /// Points earned.
    pub score: u32,
    /// Points possible.
    pub max_score: u32,
    /// Did it pass?
    pub passed: bool,
}

/// The marks of one lab (the gradebook stores it as it is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabMark {
    /// 1 to 5.
    pub lab: u8,
    /// Points earned.
    pub score: u32,
    /// Points possible (skipped checks count in neither).
    pub max_score: u32,
}

/// The result of grading one submission.
#[derive(Clone, Debug)]
pub struct Graded {
    /// How it ended.
    pub status: Status,
    /// Points earned (0 unless `Graded`).
    pub score: u32,
    /// Points possible on this host (the same for every row of a run).
    pub max_score: u32,
    /// Per lab, in order: every lab of the base workspace, also when not graded.
    pub labs: Vec<LabMark>,
    /// Per check, in registry order (empty unless `Graded`).
    pub checks: Vec<CheckMark>,
    /// Gradescope's `results.json`, also for a row that is not graded.
    pub results_json: String,
    /// The student's feedback, markdown: the same explanations
    /// `cargo test -p grader` prints, with handout links; says why when not graded.
    pub feedback_md: String,
    /// Wall time of build and grade.
    pub elapsed: Duration,
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

    let Some(crates) = find_crates(submission) else {
        let listing = listing(submission);
        return not_graded(
            &job,
            about,
            Status::NoSubmission,
            started,
            format!(
                "No `crates/*/src` directory in the submission (score 0). Submit your \
                 repository (from GitHub, or a zip of its folder) with the lab crates in \
                 `crates/`. What was submitted:\n\n```text\n{listing}\n```"
            ),
        );
    };
    let taken = assemble(&grading.base, &crates, &grading.work)?;
    for line in &taken.notes {
        log.push_str(line);
        log.push('\n');
    }
    if taken.too_big {
        return not_graded(
            &job,
            about,
            Status::NoSubmission,
            started,
            format!(
                "The submission's `crates/*/src` hold more than {} MB or {} files: not graded \
                 (score 0). Submit the sources only, without build output.",
                MAX_BYTES / 1_000_000,
                MAX_FILES
            ),
        );
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
        let _ = std::fs::write(grading.work.join(".grade-log.txt"), &log);
        return not_graded(&job, about, Status::CompileError, started, why);
    }
    // The grader this build made, not one left by an earlier submission.
    let Some(front_end) = cargo::executable(&built.stdout, "grader") else {
        let _ = std::fs::write(grading.work.join(".grade-log.txt"), &log);
        return not_graded(
            &job,
            about,
            Status::CompileError,
            started,
            compile_error(&built.stderr),
        );
    };
    // What the front end needs, so that it builds nothing as root: the
    // build's executables, with root's supervisor in place of the one the
    // build made.
    let mut prebuilt = Built::from_output(&built.stdout, &built.stderr);
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
        .arg("--provenance")
        .arg(&provenance)
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

/// Limits on what is taken from a submission.
const MAX_BYTES: u64 = 20_000_000;
const MAX_FILES: usize = 5_000;

/// What [`assemble`] did.
#[derive(Debug, Default)]
pub struct Taken {
    /// One line per lab crate (taken, or missing so the starter's is graded)
    /// and per file left out (a symbolic link, a device…).
    pub notes: Vec<String>,
    /// The crates' sources are over [`MAX_BYTES`] or [`MAX_FILES`].
    pub too_big: bool,
}

/// The submission's `crates/` directory: at the top, or up to two
/// directories down (a zip of the repository's folder), the first in name
/// order that holds a `*/src` directory. Links are not followed; `target/`
/// and `.git/` are not searched.
pub fn find_crates(submission: &Path) -> Option<PathBuf> {
    let mut level = vec![submission.to_path_buf()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for dir in &level {
            let crates = dir.join("crates");
            if is_real_dir(&crates) && has_crate(&crates) {
                return Some(crates);
            }
            next.extend(subdirs(dir).into_iter().filter(|d| {
                !matches!(
                    d.file_name().and_then(|n| n.to_str()),
                    Some("target" | ".git" | "node_modules")
                )
            }));
        }
        level = next;
    }
    None
}

fn has_crate(crates: &Path) -> bool {
    subdirs(crates).iter().any(|c| is_real_dir(&c.join("src")))
}

/// Subdirectories (not links), sorted.
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| is_real_dir(p))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn is_real_dir(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir())
}

/// A fresh copy of `base` at `work` (less `target/` and `.git/`), with each
/// lab crate's `src/` replaced by the submission's where it has one. Only
/// regular files and directories are taken: a link could point the build,
/// which runs with the grading user's rights, at a file outside.
pub fn assemble(base: &Path, crates: &Path, work: &Path) -> Result<Taken, String> {
    if work.exists() {
        std::fs::remove_dir_all(work)
            .map_err(|e| format!("cannot empty {}: {e}", work.display()))?;
    }
    crate::files::copy_tree(base, work, &mut CopyTree::sources())
        .map_err(|e| format!("cannot copy {} to {}: {e}", base.display(), work.display()))?;
    let mut taken = Taken::default();
    let mut budget = CopyTree {
        bytes: MAX_BYTES,
        files: MAX_FILES,
        ..CopyTree::sources()
    };
    for name in subdirs(&work.join("crates"))
        .iter()
        .filter_map(|d| d.file_name().map(|n| n.to_os_string()))
    {
        let shown = Path::new("crates").join(&name).join("src");
        let theirs = crates.join(&name).join("src");
        if !is_real_dir(&theirs) {
            taken.notes.push(format!(
                "{}: missing from the submission: the starter's is graded",
                shown.display()
            ));
            continue;
        }
        let ours = work.join(&shown);
        std::fs::remove_dir_all(&ours)
            .map_err(|e| format!("cannot replace {}: {e}", ours.display()))?;
        crate::files::copy_tree(&theirs, &ours, &mut budget)
            .map_err(|e| format!("cannot copy {}: {e}", theirs.display()))?;
        let skipped = std::mem::take(&mut budget.skipped);
        taken
            .notes
            .push(format!("{}: taken from the submission", shown.display()));
        for s in skipped {
            taken.notes.push(format!(
                "{}/{}: not a regular file (a link?): left out",
                shown.display(),
                s.display()
            ));
        }
        if budget.exceeded {
            taken.too_big = true;
            break;
        }
    }
    Ok(taken)
}

/// Fails unless every directory from `/` down to `path` lets others in
/// (`o+x`): the check processes run as another uid and must reach the
/// workspace and the built binaries. `cargo xtask grade` asks it up front,
/// for its output directory, before anything is fetched or built. A path
/// that does not exist yet is judged by the directories above it.
pub fn reachable_by_others(path: &Path) -> Result<(), String> {
    closed_to_others(path).map_or(Ok(()), |(dir, mode)| {
        Err(format!(
            "{} is closed to other users (mode {mode:o}): the unprivileged check processes \
             could not reach {}; grade somewhere every user may enter (chmod o+x)",
            dir.display(),
            path.display()
        ))
    })
}

/// The first directory from `/` down to `path` that other users may not
/// enter, and its mode (a part that does not exist yet is skipped).
fn closed_to_others(path: &Path) -> Option<(PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut dirs: Vec<&Path> = path.ancestors().collect();
    dirs.reverse();
    dirs.into_iter().find_map(|dir| {
        let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o7777;
        (mode & 0o001 == 0).then(|| (dir.to_path_buf(), mode))
    })
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Most output kept of the grader front end per stream (its report and
/// the checks' notes; far more than it writes).
const FRONT_END_OUTPUT: usize = 64 << 20;

/// `cargo build -p grader-sandbox --bin grader-sandbox` of the base
/// workspace itself, as the grading user, into `<target_dir>/sandbox`:
/// instructor's code only, built before any file of the submission is in
/// place, somewhere the build uid cannot write (the supervisor runs as
/// root).
fn build_supervisor(grading: &Grading) -> Result<PathBuf, String> {
    let mut cmd = Command::new(cargo());
    cmd.args([
        "build",
        "--offline",
        "-p",
        "grader-sandbox",
        "--bin",
        "grader-sandbox",
    ])
    .arg("--message-format=json-render-diagnostics")
    .arg("--manifest-path")
    .arg(grading.base.join("Cargo.toml"))
    .current_dir(&grading.base);
    scrub_env(&mut cmd, BUILD_ENV);
    cmd.env("CARGO_TARGET_DIR", grading.target_dir.join("sandbox"))
        .env("CARGO_TERM_COLOR", "never")
        .env("CARGO_NET_OFFLINE", "true");
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    cargo::executable(&String::from_utf8_lossy(&out.stdout), "grader-sandbox").ok_or_else(|| {
        format!(
            "the base workspace's grader-sandbox does not build:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// One job's way of building a submission: where, as whom, with what.
struct Job<'a> {
    grading: &'a Grading,
    /// Root's supervisor ([`build_supervisor`]).
    sandbox: PathBuf,
    /// Cargo's target directory for the submission's builds (the build
    /// uid's, where there is one).
    target: PathBuf,
    /// The unprivileged build, where grading runs as root with uids.
    build_as: Option<BuildAs>,
}

/// What the unprivileged build runs with.
struct BuildAs {
    uid: u32,
    /// The toolchain's sysroot: its `bin/cargo` and `bin/rustc` are run
    /// directly (no rustup proxy, whose home is often root's own).
    sysroot: PathBuf,
    /// The grading user's `CARGO_HOME`, with every dependency fetched and
    /// unpacked: read-only to the build uid. Cargo builds offline from a
    /// `CARGO_HOME` it cannot write (it takes no package-cache lock then),
    /// and every job names the same one, so the dependencies' paths, and
    /// with them cargo's fingerprints, are the same in every job: a target
    /// directory copied from another job stays fresh.
    cargo_home: PathBuf,
}

impl<'a> Job<'a> {
    /// Checks that the build uid can reach the toolchain and the sources
    /// (else one error that says how to fix it), and gives it its target
    /// directory and `CARGO_HOME`.
    fn prepare(grading: &'a Grading, sandbox: PathBuf) -> Result<Job<'a>, String> {
        let target = grading.target_dir.join("build");
        std::fs::create_dir_all(&target)
            .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
        let build_as = match grading.isolation.uids.filter(|_| is_root()) {
            None => None,
            Some(uids) => Some(BuildAs::prepare(grading, uids, &target)?),
        };
        Ok(Job {
            grading,
            sandbox,
            target,
            build_as,
        })
    }

    /// The environment of the build and the front end: nothing but the
    /// toolchain's variables ([`BUILD_ENV`]) and ours. No token or secret
    /// of the caller's reaches a compiler that reads the submission, or
    /// the code under test.
    fn set_env(&self, cmd: &mut Command) {
        scrub_env(cmd, BUILD_ENV);
        if let Some(b) = &self.build_as {
            let mut path = std::ffi::OsString::from(b.sysroot.join("bin"));
            path.push(":/usr/local/bin:/usr/bin:/bin");
            cmd.env("PATH", path)
                .env("HOME", &self.target)
                .env("CARGO_HOME", &b.cargo_home)
                .env("RUSTC", b.sysroot.join("bin/rustc"))
                .env_remove("RUSTUP_HOME")
                .env_remove("RUSTUP_TOOLCHAIN");
        }
        cmd.env("CARGO_TARGET_DIR", &self.target)
            .env("CARGO_TERM_COLOR", "never")
            .env("CARGO_NET_OFFLINE", "true")
            .env(TARGET_DIR_OWNER_ENV, &self.grading.work);
    }

    /// `cargo build ARGS --offline` of the work copy, as the build uid
    /// where there is one, under the supervisor, within `limit` and the
    /// job's [`BuildLimits`].
    fn build(&self, args: &[&str], limit: Duration) -> Result<Ran, String> {
        let program = match &self.build_as {
            Some(b) => b.sysroot.join("bin/cargo").into_os_string(),
            None => cargo(),
        };
        let mut cmd = Command::new(program);
        cmd.arg("build")
            .args(args)
            .arg("--offline")
            .arg("--message-format=json-render-diagnostics")
            .arg("--manifest-path")
            .arg(self.grading.work.join("Cargo.toml"))
            .current_dir(&self.grading.work);
        self.set_env(&mut cmd);
        let uid = self.build_as.as_ref().map(|b| b.uid);
        // The build uid is the job's alone: another grader on this machine
        // with an overlapping range waits for it.
        let _lease = match uid {
            Some(uid) => Some(lease_waiting(uid, limit)?),
            None => None,
        };
        contained(
            &self.sandbox,
            cmd,
            Contain {
                limit,
                isolate: false,
                uid,
                memory: Some(self.grading.limits.memory),
                output: self.grading.limits.output,
            },
        )
    }

    /// Why a build that went over one of the [`BuildLimits`] gets no
    /// grade, or `None` when it stayed within them.
    fn over_limit(&self, built: &Ran) -> Option<String> {
        let limits = self.grading.limits;
        if built.cut > 0 {
            return Some(format!(
                "The build wrote more than {} MiB of output, the most official grading keeps \
                 (its output limit), so it was not graded (score 0). Warnings or errors by the \
                 thousand usually mean a macro that expands without end: `cargo build` on your \
                 machine shows them.",
                limits.output >> 20
            ));
        }
        let hit = built.stderr.lines().find(|l| {
            (l.starts_with("memory allocation of") && l.ends_with("failed"))
                || l.contains("more memory than available to compiler")
                || l.starts_with("LLVM ERROR: out of memory")
                || l.contains("Cannot allocate memory (os error 12)")
        })?;
        Some(format!(
            "The build needed more memory than official grading allows (its memory limit: \
             {} MiB of address space per compiler process), so it was stopped and not graded \
             (score 0). A huge `const` or `static`, `include_bytes!` of a large file, or a \
             macro that recurses deeply does this. The compiler said:\n\n```text\n{hit}\n```\n",
            limits.memory >> 20
        ))
    }
}

impl BuildAs {
    fn prepare(grading: &Grading, uids: Uids, target: &Path) -> Result<BuildAs, String> {
        let uid = uids.build();
        // The toolchain the base workspace builds with (its
        // rust-toolchain.toml, if any), found as the grading user.
        let mut ask = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
        ask.args(["--print", "sysroot"]).current_dir(&grading.base);
        scrub_env(&mut ask, BUILD_ENV);
        let out = ask
            .output()
            .map_err(|e| format!("cannot run rustc to find the toolchain: {e}"))?;
        let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if !out.status.success() || !sysroot.join("bin/cargo").is_file() {
            return Err(format!(
                "rustc --print sysroot gave {:?}, which has no bin/cargo: official grading \
                 builds with the toolchain's own cargo and rustc",
                sysroot.display()
            ));
        }
        if let Some((dir, mode)) = closed_to_others(&sysroot) {
            return Err(format!(
                "the toolchain at {} is closed to other users ({} has mode {mode:o}): the \
                 submission is built as uid {uid}, unprivileged, which must run it. Install \
                 the toolchain where every user may enter (autograder/gradescope/setup.sh uses \
                 RUSTUP_HOME=/usr/local/rustup and CARGO_HOME=/usr/local/cargo), or put a \
                 copy's bin/ first on PATH (`cp -al \"$(rustc --print sysroot)\" DIR` on the \
                 same file system)",
                sysroot.display(),
                dir.display()
            ));
        }
        // The dependencies' sources, fetched and unpacked by the grading
        // user (once per lock file), read-only to the build uid.
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .ok_or("neither CARGO_HOME nor HOME is set: cannot find the dependencies' sources")?;
        for part in ["registry", "git"] {
            let sources = cargo_home.join(part);
            if !sources.is_dir() {
                continue;
            }
            if let Some((dir, mode)) = closed_to_others(&sources) {
                return Err(format!(
                    "the dependencies' sources in {} are closed to other users ({} has mode \
                     {mode:o}): the submission is built as uid {uid}, unprivileged, which must \
                     read them. Use a CARGO_HOME every user may enter (autograder/gradescope/\
                     setup.sh uses /usr/local/cargo), or a hard-linked copy of its registry/",
                    sources.display(),
                    dir.display()
                ));
            }
        }
        fetch_once(grading)?;
        give(target, uid)?;
        Ok(BuildAs {
            uid,
            sysroot,
            cargo_home,
        })
    }
}

/// `cargo fetch --offline` of the base, as the grading user, once per lock
/// file and target directory: every dependency unpacked where the build
/// uid, which cannot write there, will look for it.
fn fetch_once(grading: &Grading) -> Result<(), String> {
    let lock = std::fs::read(grading.base.join("Cargo.lock")).unwrap_or_default();
    let done = grading
        .target_dir
        .join(format!("fetched-{:016x}", crate::files::fnv1a(&lock)));
    if done.exists() {
        return Ok(());
    }
    let mut cmd = Command::new(cargo());
    cmd.args(["fetch", "--offline", "--manifest-path"])
        .arg(grading.base.join("Cargo.toml"))
        .current_dir(&grading.base);
    scrub_env(&mut cmd, BUILD_ENV);
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo fetch --offline of the base workspace failed (fetch its dependencies once, \
             with the network, as the grading user):\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::write(&done, "").map_err(|e| format!("cannot write {}: {e}", done.display()))
}

/// Makes `dir` and everything under it `uid`'s (links themselves, never
/// what they point at), unless `dir` is already: once per job, or after a
/// target directory was copied from another job's.
fn give(dir: &Path, uid: u32) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt as _;
    fn walk(p: &Path, uid: u32) -> std::io::Result<()> {
        let meta = std::fs::symlink_metadata(p)?;
        if meta.uid() != uid {
            std::os::unix::fs::lchown(p, Some(uid), Some(uid))?;
        }
        if meta.is_dir() {
            for e in std::fs::read_dir(p)? {
                walk(&e?.path(), uid)?;
            }
        }
        Ok(())
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if meta.uid() == uid && dir.join(".owned").exists() {
        return Ok(());
    }
    walk(dir, uid).map_err(|e| format!("cannot give {} to uid {uid}: {e}", dir.display()))?;
    std::fs::write(dir.join(".owned"), "").map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(())
}

/// Leases `uid` ([`crate::uids`]), waiting for another grader that holds
/// it, at most `limit`.
fn lease_waiting(uid: u32, limit: Duration) -> Result<crate::uids::Lease, String> {
    let until = Instant::now() + limit;
    loop {
        match crate::uids::lease(uid) {
            Ok(Some(lease)) => return Ok(lease),
            Ok(None) if Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(None) => return Err(format!("uid {uid} stayed leased by another grader")),
            Err(e) => return Err(format!("cannot lease uid {uid}: {e}")),
        }
    }
}

/// What a contained command did.
struct Ran {
    timed_out: bool,
    leftovers: usize,
    stdout: String,
    stderr: String,
    /// Bytes of output past [`Contain::output`], not kept.
    cut: usize,
}

/// How to run a contained command.
struct Contain {
    /// Its deadline.
    limit: Duration,
    /// In a network namespace of its own.
    isolate: bool,
    /// As this uid (needs root).
    uid: Option<u32>,
    /// `RLIMIT_AS` of each of its processes.
    memory: Option<u64>,
    /// Most output kept per stream.
    output: usize,
}

/// Runs `cmd` under the supervisor `sandbox` (a subreaper that kills
/// everything left at its end, as each check gets), as `how` says.
fn contained(sandbox: &Path, cmd: Command, how: Contain) -> Result<Ran, String> {
    let (report_ours, report_theirs) =
        UnixStream::pair().map_err(|e| format!("cannot make a socket: {e}"))?;
    let dev_null = std::fs::File::open("/dev/null").map_err(|e| format!("/dev/null: {e}"))?;
    let mut sup = supervise::command(
        sandbox,
        how.limit,
        how.uid,
        how.memory,
        Path::new(cmd.get_program()),
        OwnedFd::from(dev_null),
        OwnedFd::from(report_theirs),
    );
    sup.args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        sup.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            sup.env(k, v);
        }
    }
    sup.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if how.isolate {
        netns::isolate(&mut sup);
    }
    let mut child = sup
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", sandbox.display()))?;
    drop(sup);
    let out = keep_at_most(child.stdout.take(), how.output);
    let err = keep_at_most(child.stderr.take(), how.output);
    let status = child.wait().map_err(|e| format!("cannot wait: {e}"))?;
    let (stdout, cut_out) = out.join().unwrap_or_default();
    let (stderr, cut_err) = err.join().unwrap_or_default();
    let mut line = String::new();
    let _ = BufReader::new(report_ours).read_line(&mut line);
    let report: Report = serde_json::from_str(&line)
        .map_err(|_| format!("the supervisor ended without a report ({status}): {stderr}"))?;
    if let Some(e) = report.error {
        return Err(e);
    }
    Ok(Ran {
        timed_out: report.timed_out,
        leftovers: report.leftovers,
        stdout,
        stderr,
        cut: cut_out + cut_err,
    })
}

/// Reads `pipe` to its end on a thread of its own, keeping its first
/// `most` bytes; gives them and how many more there were.
fn keep_at_most(
    pipe: Option<impl std::io::Read + Send + 'static>,
    most: usize,
) -> std::thread::JoinHandle<(String, usize)> {
    std::thread::spawn(move || {
        let Some(mut pipe) = pipe else {
            return (String::new(), 0);
        };
        let mut kept = Vec::new();
        let mut cut = 0;
        let mut buf = [0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = most.saturating_sub(kept.len()).min(n);
                    kept.extend_from_slice(&buf[..room]);
                    cut += n - room;
                }
            }
        }
        (String::from_utf8_lossy(&kept).into_owned(), cut)
    })
}

fn remaining(until: Instant) -> Duration {
    until
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(1))
}

/// Kills every process of every uid this grading may have used and that no
/// other grader holds now (a uid another grader has leased is its own).
fn sweep_uids(grading: &Grading) {
    let (Some(uids), true) = (grading.isolation.uids, is_root()) else {
        return;
    };
    let mut found: Vec<u32> = procs::all()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !p.zombie && uids.all().contains(&p.uid))
        .map(|p| p.uid)
        .collect();
    found.sort_unstable();
    found.dedup();
    for uid in found {
        if let Ok(Some(_lease)) = crate::uids::lease(uid) {
            let _ = procs::sweep_uid(uid);
        }
    }
}

/// The explanation for code that does not compile: the compiler's first
/// error, and what the rule is when it is the `unsafe` one.
pub fn compile_error(output: &str) -> String {
    let excerpt = cargo::first_error_lines(output, 40)
        .unwrap_or_else(|| output.lines().take(40).collect())
        .join("\n");
    let unsafe_rule = output.contains("-F unsafe-code")
        || output.contains("forbid(unsafe_code)")
        || output.contains("`#[forbid(unsafe_code)]`");
    let head = if unsafe_rule {
        "Lab crates may not use `unsafe` (nor `no_mangle`, `export_name`, `link_section` or \
         `global_asm!`): the grader links them and they must not reach into it. Rewrite it \
         in safe Rust; no lab needs `unsafe`. So no check could run (score 0). The \
         compiler's error:"
    } else {
        "Your code does not compile, so no check could run (score 0). `cargo build` on your \
         machine shows the same errors:"
    };
    format!("{head}\n\n```text\n{excerpt}\n```\n")
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
        elapsed: started.elapsed(),
    })
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

/// The base workspace's checks, as its grader lists them on this host
/// ([`Listed`], the typed contract):
/// built once per target directory and base (the same way as a
/// submission), then read from a cache.
fn base_checks(job: &Job) -> Result<Vec<Listed>, String> {
    let grading = job.grading;
    let key = fingerprint(&grading.base);
    let cache = grading
        .target_dir
        .join(format!("base-checks-{key:016x}.json"));
    if let Ok(text) = std::fs::read_to_string(&cache) {
        if let Ok(list) = serde_json::from_str(&text) {
            return Ok(list);
        }
    }
    assemble(&grading.base, &grading.base.join("crates"), &grading.work)?;
    let built = job.build(&["-p", "grader", "--bin", "grader"], grading.timeout)?;
    let Some(exe) = cargo::executable(&built.stdout, "grader") else {
        return Err(format!(
            "the base workspace's grader does not build: {}",
            built.stderr
        ));
    };
    let mut list = Command::new(exe);
    list.arg("--list-json").current_dir(&grading.work);
    job.set_env(&mut list);
    let out = list
        .output()
        .map_err(|e| format!("cannot run the base's grader: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let parsed: Vec<Listed> = serde_json::from_str(&text)
        .map_err(|e| format!("the base's grader lists no checks ({e}): {text}"))?;
    let _ = std::fs::write(&cache, &text);
    Ok(parsed)
}

/// A stable hash of every file under `dir` (names and contents, less
/// `target/` and `.git/`): what decides whether a cache is still good.
pub fn fingerprint(dir: &Path) -> u64 {
    fn walk(dir: &Path, rel: &Path, h: &mut Fnv) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map(|rd| rd.filter_map(Result::ok).collect())
            .unwrap_or_default();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name();
            if name == "target" || name == ".git" {
                continue;
            }
            let rel = rel.join(&name);
            let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            if meta.is_dir() {
                walk(&e.path(), &rel, h);
            } else if meta.is_file() {
                h.add(rel.as_os_str().as_encoded_bytes());
                h.add(&std::fs::read(e.path()).unwrap_or_default());
            }
        }
    }
    let mut h = Fnv::default();
    walk(dir, Path::new(""), &mut h);
    h.finish()
}

/// Top-level entries of a base workspace that grading neither builds nor
/// reads: the handouts, the workflow, the README; `grader.toml`, because
/// official grading counts every lab (`--due all`) whatever the template
/// says is due this week; and the Gradescope scripts and `toolchain.txt`
/// (the toolchain itself is in the fingerprint, as `rustc -V`), so that the
/// autograder zip and `cargo xtask grade`'s base have one fingerprint.
const NOT_GRADED: &[&str] = &[
    "labs",
    ".github",
    "README.md",
    "grader.toml",
    "setup.sh",
    "run_autograder",
    "toolchain.txt",
];

/// A fingerprint of the base workspace: every file's path, mode and
/// content (less [`NOT_GRADED`]), and the `rustc -V` the workspace builds
/// with. A changed grader, check, manifest, lock file or toolchain changes
/// it, and every submission is graded again. (64-bit FNV-1a: this detects
/// changes made by the instructor, it is not a defence against anyone.)
pub fn grader_fingerprint(base: &Path) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let mut h = Fnv::default();
    let mut files = Vec::new();
    list_files(base, Path::new(""), &mut files)?;
    files.retain(|rel| {
        !rel.components()
            .next()
            .is_some_and(|c| NOT_GRADED.iter().any(|n| c.as_os_str() == *n))
    });
    files.sort();
    for rel in &files {
        let path = base.join(rel);
        let meta = path
            .symlink_metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let content = if meta.file_type().is_symlink() {
            std::fs::read_link(&path)
                .map(|t| t.to_string_lossy().into_owned().into_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?
        } else {
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        };
        h.add(rel.to_string_lossy().as_bytes());
        h.add(&(meta.permissions().mode() & 0o111).to_le_bytes());
        h.add(&(content.len() as u64).to_le_bytes());
        h.add(&content);
    }
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .current_dir(base)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc: unknown".to_string());
    h.add(rustc.as_bytes());
    Ok(format!("{:016x}", h.finish()))
}

fn list_files(base: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let dir = base.join(rel);
    for entry in
        std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?
    {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let rel = rel.join(entry.file_name());
        let ft = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        if ft.is_dir() {
            if entry.file_name() != "target" {
                list_files(base, &rel, out)?;
            }
        } else {
            out.push(rel);
        }
    }
    Ok(())
}

/// The marks in the grader's `results.json`.
fn read_results(text: &str, feedback_md: String) -> Result<Graded, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("results.json does not parse: {e}"))?;
    let mut checks = Vec::new();
    let mut labs: Vec<LabMark> = Vec::new();
    for t in v["tests"].as_array().into_iter().flatten() {
        let mark = CheckMark {
            id: t["extra_data"]["id"].as_str().unwrap_or("?").to_string(),
            lab: t["extra_data"]["lab"].as_u64().unwrap_or(0) as u8,
            score: t["score"].as_u64().unwrap_or(0) as u32,
            max_score: t["max_score"].as_u64().unwrap_or(0) as u32,
            passed: t["status"] == "passed",
        };
        match labs.iter_mut().find(|l| l.lab == mark.lab) {
            Some(l) => {
                l.score += mark.score;
                l.max_score += mark.max_score;
            }
            None => labs.push(LabMark {
                lab: mark.lab,
                score: mark.score,
                max_score: mark.max_score,
            }),
        }
        checks.push(mark);
    }
    // A lab whose every check was skipped still has its column.
    for s in v["extra_data"]["skipped"].as_array().into_iter().flatten() {
        let lab = s["lab"].as_u64().unwrap_or(0) as u8;
        if !labs.iter().any(|l| l.lab == lab) {
            labs.push(LabMark {
                lab,
                score: 0,
                max_score: 0,
            });
        }
    }
    labs.sort_by_key(|l| l.lab);
    Ok(Graded {
        status: Status::Graded,
        score: labs.iter().map(|l| l.score).sum(),
        max_score: labs.iter().map(|l| l.max_score).sum(),
        labs,
        checks,
        results_json: text.to_string(),
        feedback_md,
        elapsed: Duration::ZERO,
    })
}

/// `results.json` with a line about how it was graded added to its output.
fn add_note(results: &str, net: &str, leftovers: usize) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(results) else {
        return results.to_string();
    };
    let mut note = format!("\n\nOfficial grading: {net}.");
    if leftovers > 0 {
        note.push_str(&format!(
            " {leftovers} processes were still running at the end and were killed."
        ));
    }
    if let Some(out) = v["output"].as_str() {
        v["output"] = serde_json::Value::String(format!("{out}{note}"));
    }
    serde_json::to_string_pretty(&v).unwrap_or_else(|_| results.to_string())
}

/// A short listing of what was submitted, for the "no crates" message.
fn listing(submission: &Path) -> String {
    let mut lines = Vec::new();
    let mut level = vec![(submission.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = level.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for p in entries.into_iter().rev() {
            let rel = p
                .strip_prefix(submission)
                .unwrap_or(&p)
                .display()
                .to_string();
            if is_real_dir(&p) && depth < 1 {
                level.push((p.clone(), depth + 1));
                lines.push(format!("{rel}/"));
            } else if is_real_dir(&p) {
                lines.push(format!("{rel}/"));
            } else {
                lines.push(rel);
            }
        }
    }
    lines.sort();
    lines.truncate(40);
    if lines.is_empty() {
        "(nothing)".to_string()
    } else {
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sandbox-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn crates_are_found_up_to_two_levels_down() {
        let d = tmp("find");
        assert_eq!(find_crates(&d), None);
        std::fs::create_dir_all(d.join("a/b/crates/rio/src")).unwrap();
        assert_eq!(find_crates(&d), Some(d.join("a/b/crates")));
        std::fs::create_dir_all(d.join("target/crates/rio/src")).unwrap();
        assert_eq!(find_crates(&d), Some(d.join("a/b/crates")));
        std::fs::create_dir_all(d.join("crates/netutil/src")).unwrap();
        assert_eq!(find_crates(&d), Some(d.join("crates")));
        let _ = std::fs::remove_dir_all(&d);
    }

    /// Only crates/*/src is taken; links are left out; a missing crate keeps
    /// the base's.
    #[test]
    fn only_sources_are_taken() {
        let d = tmp("assemble");
        let base = d.join("base");
        for c in ["rio", "netutil"] {
            std::fs::create_dir_all(base.join(format!("crates/{c}/src"))).unwrap();
            std::fs::write(base.join(format!("crates/{c}/src/lib.rs")), "// starter").unwrap();
            std::fs::write(base.join(format!("crates/{c}/Cargo.toml")), "# ours").unwrap();
        }
        std::fs::create_dir_all(base.join("grader")).unwrap();
        std::fs::write(base.join("grader/x.rs"), "// grader").unwrap();
        let sub = d.join("sub/crates");
        std::fs::create_dir_all(sub.join("rio/src")).unwrap();
        std::fs::write(sub.join("rio/src/lib.rs"), "// theirs").unwrap();
        std::fs::write(sub.join("rio/Cargo.toml"), "# theirs").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", sub.join("rio/src/secret.rs")).unwrap();
        let work = d.join("work");
        let taken = assemble(&base, &sub, &work).unwrap();
        let read = |p: &str| std::fs::read_to_string(work.join(p)).unwrap();
        assert_eq!(read("crates/rio/src/lib.rs"), "// theirs");
        assert_eq!(read("crates/rio/Cargo.toml"), "# ours");
        assert_eq!(read("crates/netutil/src/lib.rs"), "// starter");
        assert_eq!(read("grader/x.rs"), "// grader");
        assert!(!work.join("crates/rio/src/secret.rs").exists());
        assert!(
            taken.notes.iter().any(|n| n.contains("secret.rs")),
            "{:?}",
            taken.notes
        );
        assert!(
            taken
                .notes
                .iter()
                .any(|n| n.contains("netutil/src: missing"))
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    /// The first directory others may not enter is named, from the top:
    /// what the unprivileged build's fix-it error says.
    #[test]
    fn a_closed_directory_is_found() {
        use std::os::unix::fs::PermissionsExt as _;
        let d = tmp("closed");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir_all(d.join("home/.rustup/bin")).unwrap();
        assert_eq!(closed_to_others(&d.join("home/.rustup/bin")), None);
        std::fs::set_permissions(d.join("home"), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(
            closed_to_others(&d.join("home/.rustup/bin")),
            Some((d.join("home").canonicalize().unwrap(), 0o700))
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    /// A directory closed to others (a 700 home) is named, with the fix.
    #[test]
    fn a_closed_directory_is_named_with_its_fix() {
        use std::os::unix::fs::PermissionsExt as _;
        let d = tmp("closed");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        let inner = d.join("home");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o700)).unwrap();
        if reachable_by_others(&std::env::temp_dir()).is_ok() {
            let e = reachable_by_others(&inner.join("grades/not-yet")).unwrap_err();
            assert!(e.contains("mode 700") && e.contains("chmod o+x"), "{e}");
            assert!(reachable_by_others(&d.join("open/not-yet")).is_ok());
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    /// The autograder zip (the starter with Gradescope's scripts) and the
    /// gradebook's base (the starter) have one fingerprint; a grader's file
    /// changes it.
    #[test]
    fn the_fingerprint_is_the_graders_only() {
        let d = tmp("fingerprint");
        std::fs::create_dir_all(d.join("grader/src")).unwrap();
        std::fs::write(d.join("grader/src/lib.rs"), "// checks").unwrap();
        let base = grader_fingerprint(&d).unwrap();
        for (name, text) in [
            ("setup.sh", "#!/bin/sh"),
            ("run_autograder", "#!/bin/sh"),
            ("toolchain.txt", "1.95.0"),
            ("grader.toml", "labs = \"1-2\""),
            ("README.md", "# hello"),
        ] {
            std::fs::write(d.join(name), text).unwrap();
        }
        assert_eq!(grader_fingerprint(&d).unwrap(), base);
        std::fs::write(d.join("grader/src/lib.rs"), "// other checks").unwrap();
        assert_ne!(grader_fingerprint(&d).unwrap(), base);
        let _ = std::fs::remove_dir_all(&d);
    }

    /// An upload has no commit: the line says so, with the grader.
    #[test]
    fn what_was_graded_reads_as_uploaded_without_a_commit() {
        let about = Provenance {
            picked_by: "as uploaded (an upload carries no commit id)".into(),
            grader: "00ff".into(),
            ..Provenance::default()
        };
        assert_eq!(
            about.markdown(),
            "**Graded:** the files as uploaded (an upload carries no commit id). Grader `00ff`."
        );
        let about = Provenance {
            submitted_at: Some("2026-12-01T14:22:32.365935-05:00".into()),
            ..about
        };
        assert!(
            about
                .markdown()
                .contains("no commit id), submitted 2026-12-01T14:22:32.365935-05:00. Grader"),
            "{}",
            about.markdown()
        );
    }

    #[test]
    fn the_unsafe_rule_is_explained() {
        let out = "   Compiling rio\nerror: usage of an `unsafe` block\n --> src/lib.rs:1:1\n  = note: requested on the command line with `-F unsafe-code`\n";
        let e = compile_error(out);
        assert!(e.starts_with("Lab crates may not use `unsafe`"), "{e}");
        assert!(e.contains("usage of an `unsafe` block"));
        let e = compile_error("error[E0308]: mismatched types\n");
        assert!(e.starts_with("Your code does not compile"), "{e}");
    }

    #[test]
    fn results_are_read() {
        let text = r#"{"score": 3, "output": "x", "tests": [
            {"name": "a", "score": 2, "max_score": 2, "status": "passed", "extra_data": {"id": "lab1_rio::a", "lab": 1}},
            {"name": "b", "score": 0, "max_score": 1, "status": "failed", "extra_data": {"id": "lab1_rio::b", "lab": 1}},
            {"name": "c", "score": 1, "max_score": 4, "status": "failed", "extra_data": {"id": "lab3_echoserver::c", "lab": 3}}],
            "extra_data": {"max_score": 7, "skipped": [{"id": "lab4_echoclient::d", "lab": 4, "points": 1, "reason": "no ::1"}]}}"#;
        let g = read_results(text, String::new()).unwrap();
        assert_eq!((g.score, g.max_score), (3, 7));
        assert_eq!(
            g.labs,
            vec![
                LabMark {
                    lab: 1,
                    score: 2,
                    max_score: 3
                },
                LabMark {
                    lab: 3,
                    score: 1,
                    max_score: 4
                },
                LabMark {
                    lab: 4,
                    score: 0,
                    max_score: 0
                },
            ]
        );
        assert_eq!(g.checks.len(), 3);
        assert!(g.checks[0].passed && !g.checks[1].passed);
    }
}
