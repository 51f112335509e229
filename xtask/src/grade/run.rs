//! One run of `cargo xtask grade`: roster → clones → the base workspace →
//! jobs grading one submission after another → `DIR`.
//!
//! The grading of one submission is a parameter ([`Grader`]): the command
//! passes `grader_sandbox::submission::grade`, the same function that
//! Gradescope's `run_autograder` calls, and the tests pass a fake.
//!
//! Jobs. Job `j` always grades at `DIR/.work/jobs/j/work` with its own
//! target directory `DIR/.work/jobs/j/target`. Two workspaces at different
//! paths sharing one target directory overwrite each other's binaries (cargo
//! names a member's artifacts by its path relative to the workspace), and a
//! unit cargo believes fresh is not copied again, so a job could run another
//! student's server; one fixed path and one target directory per job cannot.
//! Before the first submission, job 0 grades the starter itself: that
//! builds every dependency once, tells the labs and the points on this
//! host, and proves the grading machine works before 300 students depend on
//! it. The other jobs' target directories are then copies of job 0's, made
//! once and kept between runs.
//!
//! Re-runs. A student's `marks.json` keeps the commit graded and the
//! fingerprint of the base workspace. When both are unchanged, the
//! submission is not graded again; a changed grader (any file of the
//! starter that grading builds or reads, or the toolchain) changes the
//! fingerprint and regrades all.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use grader_sandbox::isolation::Isolation;
use grader_sandbox::submission::{BuildLimits, Graded, Grading, Provenance};

use super::fetch::{self, Outcome};
use super::report;
use super::roster::Row;
use super::store::{self, CheckInfo, LabScore, Mark, Out, RunInfo, Status, StudentFiles};
use super::time;

/// Grades one submission: `grader_sandbox::submission::grade` or a fake.
pub type Grader<'a> = dyn Fn(&Grading, &Path, &Provenance) -> Result<Graded, String> + Sync + 'a;

/// Writes the base workspace (the starter) into a directory that does not
/// exist yet.
pub type BaseMaker<'a> = dyn Fn(&Path) -> Result<(), String> + 'a;

/// Whether to fetch, grade, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Fetch every row, then grade.
    FetchAndGrade,
    /// Fetch only (`--fetch-only`): the step that holds the token.
    FetchOnly,
    /// Grade what an earlier `--fetch-only` left in DIR (`--no-fetch`).
    NoFetch,
}

/// A run's settings, from the command line.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The roster's rows, all of them.
    pub roster: Vec<Row>,
    /// DIR.
    pub out: PathBuf,
    /// Seconds since the epoch.
    pub deadline: Option<i64>,
    /// Submissions graded at once.
    pub jobs: usize,
    /// `(I, N)`, 1-based.
    pub shard: Option<(usize, usize)>,
    /// Per submission.
    pub timeout: Duration,
    /// Fetch, grade or both.
    pub mode: Mode,
    /// Running as root: check processes get unprivileged uids.
    pub root: bool,
    /// Repositories fetched at once.
    pub fetchers: usize,
    /// Put the held-back checks' details in every feedback
    /// (`--release-held-back`).
    pub release_held_back: bool,
}

/// First uid of job 0 when grading as root; job `j` gets `UID_BASE + 100 j`.
pub const UID_BASE: u32 = grader_sandbox::isolation::DEFAULT_UID_BASE;

/// What a run did, for the caller's last line and for tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Done {
    /// Submissions graded in this run.
    pub graded: Vec<String>,
    /// Submissions whose marks were kept (commit and grader unchanged).
    pub skipped: Vec<String>,
    /// Rows with nothing to grade (clone failed, no commit).
    pub ungraded: Vec<String>,
}

/// The rows of shard `(i, n)`: rows i, i+n, i+2n… (1-based).
pub fn shard_rows(rows: &[Row], shard: Option<(usize, usize)>) -> Vec<Row> {
    match shard {
        None => rows.to_vec(),
        Some((i, n)) => rows.iter().skip(i - 1).step_by(n).cloned().collect(),
    }
}

/// What fetching left for one row (`.work/clones/<student>.json`), with
/// the settings it was made for, so `--no-fetch` can tell a stale one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct FetchRecord {
    repo: String,
    git_ref: Option<String>,
    deadline: Option<i64>,
    outcome: Outcome,
}

/// Runs it all. Progress goes to stderr; the result names who was graded,
/// kept and not gradable.
pub fn run(settings: &Settings, make_base: &BaseMaker, grade: &Grader) -> Result<Done, String> {
    // Absolute: grading runs commands in other directories.
    let dir = std::path::absolute(&settings.out)
        .map_err(|e| format!("{}: {e}", settings.out.display()))?;
    // As root the checks run as unprivileged uids that must reach the
    // workspaces and binaries under DIR: say so now, not after the clones.
    if settings.root && settings.mode != Mode::FetchOnly {
        grader_sandbox::submission::reachable_by_others(&dir)?;
    }
    let out = Out::check(&dir)?;
    let rows = shard_rows(&settings.roster, settings.shard);
    let started = Instant::now();

    // What to grade: fetch it, or find what --fetch-only fetched.
    let fetched: Vec<FetchRecord> = match settings.mode {
        Mode::NoFetch => load_fetched(&out, &rows, settings.deadline)?,
        Mode::FetchAndGrade | Mode::FetchOnly => {
            out.create()?;
            fetch_all(&out, &rows, settings)?
        }
    };
    let names: Vec<&str> = rows.iter().map(|r| r.student.as_str()).collect();
    remove_clones_except(&out, &names)?;
    if settings.mode == Mode::FetchOnly {
        let failed = fetched
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::Failed { .. }))
            .count();
        eprintln!(
            "grade: fetched {} repositories in {} ({failed} could not be cloned); grade them with --no-fetch",
            rows.len(),
            duration(started.elapsed())
        );
        return Ok(Done::default());
    }
    out.create()?;

    // The base workspace, fresh each run: the instructor's starter.
    let base = out.base();
    store::remove(&base)?;
    make_base(&base)?;
    let fingerprint = store::fingerprint(&base)?;

    // Who needs grading: a commit whose marks are missing or were made
    // from another commit or by another grader.
    let mut queue = Vec::new();
    let mut done = Done::default();
    for (i, (row, f)) in rows.iter().zip(&fetched).enumerate() {
        if let Outcome::Commit { commit, .. } = &f.outcome {
            match out.mark(&row.student) {
                Some(m) if m.commit.as_ref() == Some(commit) && m.base == fingerprint => {
                    done.skipped.push(row.student.clone());
                }
                _ => queue.push(i),
            }
        }
    }
    if !done.skipped.is_empty() {
        eprintln!(
            "grade: {} of {} submissions unchanged since the last run (same commit, same grader): kept",
            done.skipped.len(),
            rows.len()
        );
    }

    let jobs = settings.jobs.clamp(1, queue.len().max(1));
    let gradings: Vec<Grading> = (0..jobs)
        .map(|j| Grading {
            base: base.clone(),
            work: out.job(j).join("work"),
            target_dir: out.job(j).join("target"),
            timeout: settings.timeout,
            isolation: if settings.root {
                Isolation::official_job(UID_BASE, j)
            } else {
                Isolation::none()
            },
            limits: BuildLimits::default(),
        })
        .collect();
    for j in 0..jobs {
        std::fs::create_dir_all(out.job(j))
            .map_err(|e| format!("cannot create {}: {e}", out.job(j).display()))?;
    }

    // The labs, the points and the checks: from the last run if it was
    // made by this grader and there is nothing to grade, else from grading
    // the starter (which also builds the dependencies once).
    let info = match out.run_info() {
        Some(prev) if prev.base == fingerprint && queue.is_empty() => RunInfo {
            roster: settings.roster.clone(),
            deadline: settings.deadline.map(time::format),
            shard: settings.shard,
            ..prev
        },
        _ => {
            let probe = probe(&gradings[0], grade)?;
            seed_targets(&gradings)?;
            RunInfo {
                roster: settings.roster.clone(),
                deadline: settings.deadline.map(time::format),
                shard: settings.shard,
                base: fingerprint.clone(),
                labs: probe.labs.iter().map(|l| l.lab).collect(),
                max_score: probe.max_score,
                checks: probe
                    .checks
                    .iter()
                    .map(|c| CheckInfo {
                        id: c.id.clone(),
                        lab: c.lab,
                        max_score: c.max_score,
                    })
                    .collect(),
            }
        }
    };

    // Rows with nothing to grade.
    for (row, f) in rows.iter().zip(&fetched) {
        let (status, why) = match &f.outcome {
            Outcome::Commit { .. } => continue,
            Outcome::NoCommit { why } => (Status::NoSubmission, why),
            Outcome::Failed { why } => (Status::CloneFailed, why),
        };
        write_ungraded(&out, row, status, why, &info)?;
        done.ungraded.push(row.student.clone());
    }

    let faults = grade_queue(
        &out, &rows, &fetched, &queue, &gradings, &info, grade, &mut done,
    )?;
    out.remove_students_except(&names)?;
    if settings.release_held_back {
        let n = out.release_held_back()?;
        eprintln!("grade: the held-back checks' details added to {n} feedback files");
    }
    if !faults.is_empty() {
        return Err(format!(
            "{} {} could not be graded (a fault of this machine, not of the submission; no gradebook written): {}. Run the same command again to retry only these",
            faults.len(),
            if faults.len() == 1 {
                "submission"
            } else {
                "submissions"
            },
            faults.join("; ")
        ));
    }

    let marks = rows
        .iter()
        .map(|r| {
            out.mark(&r.student)
                .ok_or(format!("the marks of {} are missing", r.student))
        })
        .collect::<Result<Vec<Mark>, String>>()?;
    write_books(&out, &info, &marks.iter().collect::<Vec<_>>())?;
    eprintln!(
        "grade: {} graded, {} kept, {} with nothing to grade, in {}: {}",
        done.graded.len(),
        done.skipped.len(),
        done.ungraded.len(),
        duration(started.elapsed()),
        out.dir.join("gradebook.csv").display()
    );
    Ok(done)
}

/// Writes `run.json`, `gradebook.csv` and `summary.md`.
pub fn write_books(out: &Out, info: &RunInfo, marks: &[&Mark]) -> Result<(), String> {
    store::write_file(&out.dir.join("run.json"), &store::to_json(info))?;
    store::write_file(
        &out.dir.join("gradebook.csv"),
        &report::gradebook(info, marks),
    )?;
    store::write_file(&out.dir.join("summary.md"), &report::summary(info, marks))
}

/// Fetches every row, a few at a time, each into a fresh clone directory
/// (made under a temporary name, renamed into place with its record).
fn fetch_all(out: &Out, rows: &[Row], settings: &Settings) -> Result<Vec<FetchRecord>, String> {
    out.clones()?;
    let next = Mutex::new(0usize);
    let (tx, rx) = mpsc::channel::<(usize, FetchRecord)>();
    let records = std::thread::scope(|s| {
        for _ in 0..settings.fetchers.clamp(1, rows.len().max(1)) {
            let tx = tx.clone();
            let next = &next;
            s.spawn(move || {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(row) = rows.get(i) else { break };
                    let tmp = out
                        .work()
                        .join("clones")
                        .join(format!(".{}.tmp", row.student));
                    let _ = store::remove(&tmp);
                    let outcome =
                        fetch::fetch(&row.repo, row.git_ref.as_deref(), settings.deadline, &tmp);
                    let record = FetchRecord {
                        repo: row.repo.clone(),
                        git_ref: row.git_ref.clone(),
                        deadline: settings.deadline,
                        outcome,
                    };
                    if tx.send((i, record)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut records: Vec<Option<FetchRecord>> = vec![None; rows.len()];
        let mut n = 0;
        for (i, record) in rx {
            let row = &rows[i];
            let tmp = out
                .work()
                .join("clones")
                .join(format!(".{}.tmp", row.student));
            let dir = out.clone_dir(&row.student);
            // The record goes first, then the checkout: a checkout without
            // a record is never trusted.
            store::remove(&out.fetch_record(&row.student))?;
            store::remove(&dir)?;
            if tmp.exists() {
                store::rename(&tmp, &dir)?;
            }
            store::write_file(&out.fetch_record(&row.student), &store::to_json(&record))?;
            n += 1;
            let what = match &record.outcome {
                Outcome::Commit {
                    commit,
                    committed_at,
                } => format!(
                    "{} ({})",
                    &commit[..commit.len().min(12)],
                    time::format(*committed_at)
                ),
                Outcome::NoCommit { .. } => "no commit to grade".to_string(),
                Outcome::Failed { why } => {
                    format!("clone failed: {}", why.lines().next().unwrap_or(""))
                }
            };
            eprintln!("fetch [{n}/{}] {}: {what}", rows.len(), row.student);
            records[i] = Some(record);
        }
        records
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.ok_or(format!("the fetch of {} did not finish", rows[i].student)))
            .collect::<Result<Vec<_>, String>>()
    })?;
    Ok(records)
}

/// The fetch records of an earlier `--fetch-only` run: every row must have
/// one made for its repo, ref and this deadline.
fn load_fetched(
    out: &Out,
    rows: &[Row],
    deadline: Option<i64>,
) -> Result<Vec<FetchRecord>, String> {
    let mut bad = Vec::new();
    let mut records = Vec::new();
    for row in rows {
        match store::read_json::<FetchRecord>(&out.fetch_record(&row.student)) {
            Ok(r) if r.repo == row.repo && r.git_ref == row.git_ref && r.deadline == deadline => {
                if matches!(r.outcome, Outcome::Commit { .. })
                    && !out.clone_dir(&row.student).is_dir()
                {
                    bad.push(format!("{}: the checkout is missing", row.student));
                }
                records.push(r);
            }
            Ok(_) => bad.push(format!(
                "{}: fetched for another repo, ref or deadline",
                row.student
            )),
            Err(_) => bad.push(format!("{}: not fetched", row.student)),
        }
    }
    if bad.is_empty() {
        Ok(records)
    } else {
        Err(format!(
            "--no-fetch: {} holds no fetch of {} of the roster's rows with these settings (run the same command with --fetch-only first):\n  {}",
            out.dir.display(),
            bad.len(),
            bad.join("\n  ")
        ))
    }
}

/// Removes clones of students no longer graded here.
fn remove_clones_except(out: &Out, keep: &[&str]) -> Result<(), String> {
    let dir = out.work().join("clones");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let student = name.strip_suffix(".json").unwrap_or(&name);
        if !keep.contains(&student) && !name.starts_with('.') {
            store::remove(&entry.path())?;
        }
    }
    Ok(())
}

/// Grades the starter itself with job 0: it must come out `graded`.
fn probe(grading: &Grading, grade: &Grader) -> Result<Graded, String> {
    let started = Instant::now();
    eprintln!(
        "grade: grading the starter once first (builds the dependencies, finds the labs and points)…"
    );
    let grading = Grading {
        timeout: grading.timeout.max(Duration::from_secs(30 * 60)),
        ..grading.clone()
    };
    let about = Provenance {
        picked_by: "the starter itself, before the students".to_string(),
        ..Provenance::default()
    };
    let g = grade(&grading, &grading.base, &about)
        .map_err(|e| format!("the starter itself could not be graded: {e}"))?;
    if g.status != grader_sandbox::submission::Status::Graded {
        let said: String = g
            .feedback_md
            .lines()
            .take(20)
            .collect::<Vec<_>>()
            .join("\n");
        return Err(format!(
            "the starter itself was not graded ({}): the base workspace is broken:\n{said}",
            g.status.as_str()
        ));
    }
    eprintln!(
        "grade: the starter: {}/{} in {}; labs {}",
        g.score,
        g.max_score,
        duration(started.elapsed()),
        g.labs
            .iter()
            .map(|l| l.lab.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(g)
}

/// Gives every job but the first a copy of job 0's target directory, once.
fn seed_targets(gradings: &[Grading]) -> Result<(), String> {
    let Some((first, rest)) = gradings.split_first() else {
        return Ok(());
    };
    for g in rest {
        if !g.target_dir.exists() && first.target_dir.is_dir() {
            let tmp = g.target_dir.with_extension("seeding.tmp");
            store::remove(&tmp)?;
            store::copy_tree(&first.target_dir, &tmp)?;
            store::rename(&tmp, &g.target_dir)?;
        }
    }
    Ok(())
}

/// The queue, graded by the jobs; the main thread writes each result and
/// prints the progress line. Returns the faults (`student: error`).
#[allow(clippy::too_many_arguments)]
fn grade_queue(
    out: &Out,
    rows: &[Row],
    fetched: &[FetchRecord],
    queue: &[usize],
    gradings: &[Grading],
    info: &RunInfo,
    grade: &Grader,
    done: &mut Done,
) -> Result<Vec<String>, String> {
    if queue.is_empty() {
        return Ok(Vec::new());
    }
    let pending = Mutex::new(queue.iter().copied().collect::<VecDeque<usize>>());
    let (tx, rx) = mpsc::channel::<(usize, Result<Graded, String>, Duration)>();
    let started = Instant::now();
    let mut faults = Vec::new();
    std::thread::scope(|s| -> Result<(), String> {
        for grading in gradings {
            let tx = tx.clone();
            let pending = &pending;
            s.spawn(move || {
                loop {
                    let next = pending
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .pop_front();
                    let Some(i) = next else { break };
                    let t = Instant::now();
                    let about = provenance(&rows[i], &fetched[i].outcome, info);
                    let result = grade(grading, &out.clone_dir(&rows[i].student), &about);
                    if tx.send((i, result, t.elapsed())).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut n = 0;
        for (i, result, took) in rx {
            n += 1;
            let row = &rows[i];
            let what = match result {
                Ok(g) => {
                    let Outcome::Commit {
                        commit,
                        committed_at,
                    } = &fetched[i].outcome
                    else {
                        continue;
                    };
                    // The held-back checks' details stay out of the
                    // feedback until they are released (below).
                    let mark = mark_of(row, commit, *committed_at, &g, info);
                    out.write_student(&StudentFiles {
                        results_json: &g.results_json,
                        feedback_md: &g.feedback_md,
                        held_back_md: &g.held_back_md,
                        mark: &mark,
                    })?;
                    done.graded.push(row.student.clone());
                    if mark.status == Status::Graded {
                        format!("{}/{}", mark.score, mark.max_score)
                    } else {
                        format!(
                            "{}, {}/{}",
                            mark.status.as_str(),
                            mark.score,
                            mark.max_score
                        )
                    }
                }
                Err(e) => {
                    faults.push(format!("{}: {e}", row.student));
                    format!("could not be graded: {e}")
                }
            };
            let eta = eta(started.elapsed(), n, queue.len());
            eprintln!(
                "{}",
                progress_line(n, queue.len(), &row.student, &what, took, eta)
            );
        }
        Ok(())
    })?;
    Ok(faults)
}

/// What a row's feedback says was graded: the commit, the rule that picked
/// it (the row's `ref`, the deadline, or the head), and the grader.
pub fn provenance(row: &Row, fetched: &Outcome, info: &RunInfo) -> Provenance {
    let (commit, committed_at) = match fetched {
        Outcome::Commit {
            commit,
            committed_at,
        } => (Some(commit.clone()), Some(time::format(*committed_at))),
        Outcome::NoCommit { .. } | Outcome::Failed { .. } => (None, None),
    };
    let picked_by = match (&row.git_ref, &info.deadline) {
        (Some(r), _) => format!("the commit the roster's `ref` column names (`{r}`)"),
        (None, Some(d)) => format!(
            "the last commit of the default branch at or before the deadline, {d} (by committer time)"
        ),
        (None, None) => "the head of the default branch (no deadline)".to_string(),
    };
    Provenance {
        commit,
        committed_at,
        submitted_at: None,
        picked_by,
        grader: info.base.clone(),
    }
}

/// `[37/120] alice: 96/109 (41 s) · ETA 12 min`
pub fn progress_line(
    n: usize,
    total: usize,
    student: &str,
    what: &str,
    took: Duration,
    eta: Option<Duration>,
) -> String {
    let eta = match eta {
        Some(d) => format!(" · ETA {}", duration(d)),
        None => String::new(),
    };
    format!("[{n}/{total}] {student}: {what} ({}){eta}", duration(took))
}

/// The time left if the rest go as fast as the first `n` did (jobs
/// included, since it is wall time); `None` when nothing is left.
pub fn eta(elapsed: Duration, n: usize, total: usize) -> Option<Duration> {
    if n == 0 || n >= total {
        return None;
    }
    Some(elapsed.mul_f64((total - n) as f64 / n as f64))
}

/// `41 s`, `1 min 30 s`, `12 min`, `1 h 05 min`: to the second below ten
/// minutes (a 90 s run is not "2 min"), to the minute above.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else if s < 3600 {
        format!("{} min", (s + 30) / 60)
    } else {
        format!("{} h {:02} min", s / 3600, s % 3600 / 60)
    }
}

/// A row's marks from the grader's result.
fn mark_of(row: &Row, commit: &str, committed_at: i64, g: &Graded, info: &RunInfo) -> Mark {
    Mark {
        student: row.student.clone(),
        repo: row.repo.clone(),
        commit: Some(commit.to_string()),
        committed_at: Some(committed_at),
        status: g.status.into(),
        score: g.score,
        max_score: g.max_score,
        labs: g.labs.clone(),
        checks: g.checks.clone(),
        base: info.base.clone(),
        held_back_released: false,
    }
}

/// The files of a row that was never graded: clone failed, or no commit.
fn write_ungraded(
    out: &Out,
    row: &Row,
    status: Status,
    why: &str,
    info: &RunInfo,
) -> Result<(), String> {
    let (title, help) = match status {
        Status::CloneFailed => (
            format!("Your repository could not be cloned from `{}`", row.repo),
            "Check with your instructor that the roster has the right address and that the grader may read the repository.",
        ),
        _ => (
            "There was nothing to grade".to_string(),
            "Commit your work to the default branch of your repository (and push it) before the deadline.",
        ),
    };
    let about = provenance(
        row,
        &Outcome::NoCommit {
            why: why.to_string(),
        },
        info,
    );
    let graded = format!(
        "**Graded:** nothing: no commit was found by {}. Grader `{}`.",
        about.picked_by, about.grader
    );
    let feedback = format!(
        "## echo-lab grader: 0/{} ({})\n\n{graded}\n\n{title}, so no check could run (score 0):\n\n```text\n{why}\n```\n\n{help}\n",
        info.max_score,
        status.as_str()
    );
    let results = serde_json::json!({
        "score": 0,
        "output": format!("{graded}\n\n{title}, so no check could run (score 0):\n\n```text\n{why}\n```\n\n{help}"),
        "output_format": "md",
        "tests": [],
        "extra_data": { "max_score": info.max_score, "status": status.as_str(), "graded": about },
    });
    let mark = Mark {
        student: row.student.clone(),
        repo: row.repo.clone(),
        commit: None,
        committed_at: None,
        status,
        score: 0,
        max_score: info.max_score,
        labs: info
            .labs
            .iter()
            .map(|&lab| LabScore {
                lab,
                score: 0,
                max_score: info
                    .checks
                    .iter()
                    .filter(|c| c.lab == lab)
                    .map(|c| c.max_score)
                    .sum(),
            })
            .collect(),
        checks: Vec::new(),
        base: info.base.clone(),
        held_back_released: false,
    };
    out.write_student(&StudentFiles {
        results_json: &(serde_json::to_string_pretty(&results).unwrap_or_default() + "\n"),
        feedback_md: &feedback,
        held_back_md: "",
        mark: &mark,
    })
}
