//! `cargo xtask grade`: the instructor's gradebook. A roster of students'
//! repositories in, a gradebook out, graded by the instructor's grader —
//! never by the copy in a student's repository, which is the student's to
//! edit.
//!
//! ```text
//! cargo xtask grade --roster ROSTER.csv --out DIR [--deadline RFC3339] [--jobs N] [--shard I/N] [--timeout SECS]
//! cargo xtask grade --merge DIR... --out DIR
//! cargo xtask grade --out DIR --release-held-back
//! ```
//!
//! and, beyond the issue's command line: `--fetch-only` / `--no-fetch`
//! (fetch and grade as two steps, below) and `--without-lab 5` (a course
//! without the optional lab 5, as `cargo xtask starter --without-lab 5`).
//!
//! The data path of a course's grading: roster row ([`roster`]) → clone
//! and pick the commit ([`fetch`]) → the submission's `crates/*/src` into
//! a fresh copy of the starter at the job's fixed path, built and graded
//! under the grader's containment (`grader_sandbox::submission::grade`, the
//! function Gradescope's `run_autograder` calls too: one implementation)
//! → a row of the gradebook and the student's feedback ([`store`],
//! [`report`]) → the merge of shards ([`merge`]). [`run`] ties them
//! together, with the grading function as a parameter so that its tests
//! need no real grader.
//!
//! On GitHub Actions the token that reads private repositories must never
//! be where student code runs, so fetching and grading can be two steps:
//! `--fetch-only` (with the token), then `--no-fetch` (without it, under
//! `sudo`, so that student code runs as unprivileged uids).

mod fetch;
mod merge;
mod report;
pub(crate) mod roster;
mod run;
pub(crate) mod store;
#[cfg(test)]
mod tests;
mod time;

use grader_sandbox::sys::is_root;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;

/// The command line of `cargo xtask grade`.
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask grade",
    about = "Grade a course's repositories with this workspace's grader: a roster in, a gradebook out",
    after_help = "Writes DIR/gradebook.csv, DIR/summary.md and DIR/students/<student>/{results.json,feedback.md}. \
                  A re-run into the same DIR grades only submissions whose commit or grader changed. \
                  See labs/src/instructor/gradebook.md."
)]
struct Args {
    /// The roster: a CSV file with the columns student,repo and, optionally, ref.
    #[arg(long, value_name = "ROSTER.csv", required_unless_present_any = ["merge", "release_held_back"])]
    roster: Option<PathBuf>,

    /// The output directory: new, empty, or an earlier output of this command.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Grade the last commit of each default branch at or before this time
    /// (committer time), e.g. 2026-12-01T23:59:00-05:00; without it, the head.
    /// A row's ref wins over it.
    #[arg(long, value_name = "RFC3339", value_parser = time::parse)]
    deadline: Option<i64>,

    /// Submissions graded at once, each in its own work and target
    /// directory [default: what this machine sustains]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    jobs: Option<u32>,

    /// Grade only rows I, I+N, I+2N… of the roster (1-based), for
    /// `--merge` to combine.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<(usize, usize)>,

    /// Wall-clock limit for building and grading one submission, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,

    /// Only clone the repositories and pick the commits, into DIR/.work
    /// (the step that holds the token for private repositories).
    #[arg(long, conflicts_with = "no_fetch")]
    fetch_only: bool,

    /// Clone nothing: grade what an earlier --fetch-only run left in DIR,
    /// with the same roster, deadline and shard.
    #[arg(long)]
    no_fetch: bool,

    /// Grade with a starter that leaves out the optional lab 5 (as
    /// `cargo xtask starter --without-lab 5` writes it): no lab5 column,
    /// and its points count in no maximum.
    #[arg(long, value_name = "LAB", conflicts_with = "merge")]
    without_lab: Option<String>,

    /// Add the details of the checks the instructor holds back
    /// (grader/src/bin/held-back/) to every student's feedback.md. Without
    /// --roster, only that: the stored feedback is rendered again, nothing
    /// is regraded.
    #[arg(long, conflicts_with_all = ["merge", "fetch_only"])]
    release_held_back: bool,

    /// Merge the output directories of shards into --out.
    #[arg(long, value_name = "DIR", num_args = 1..,
          conflicts_with_all = ["roster", "deadline", "jobs", "shard", "fetch_only", "no_fetch"])]
    merge: Vec<PathBuf>,
}

/// `I/N` with 1 ≤ I ≤ N.
fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("`{text}` is not I/N with 1 <= I <= N, e.g. 2/4");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// `cargo xtask grade ARGS…` for the workspace at `root`.
pub fn main(root: &Path, args: &[String]) -> Result<(), String> {
    let args = match Args::try_parse_from(
        std::iter::once("cargo xtask grade".to_string()).chain(args.iter().cloned()),
    ) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    if !args.merge.is_empty() {
        return merge::merge(&args.merge, &args.out);
    }
    if args.release_held_back && args.roster.is_none() {
        let out = store::Out::check(&args.out)?;
        if out.run_info().is_none() {
            return Err(format!(
                "{} holds no gradebook (no run.json): grade into it first",
                args.out.display()
            ));
        }
        let n = out.release_held_back()?;
        eprintln!(
            "grade: the held-back checks' details added to {n} feedback files in {}",
            out.students().display()
        );
        return Ok(());
    }
    let Some(roster_path) = &args.roster else {
        return Err("--roster ROSTER.csv is required".to_string());
    };
    let text = std::fs::read_to_string(roster_path)
        .map_err(|e| format!("cannot read {}: {e}", roster_path.display()))?;
    let name = roster_path.display().to_string();
    let rows = roster::parse(&text, &name).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}");
        }
        format!(
            "{name}: {} {}; nothing was graded",
            errors.len(),
            if errors.len() == 1 {
                "problem"
            } else {
                "problems"
            }
        )
    })?;
    if let Some((_, n)) = args.shard {
        if n > rows.len() {
            eprintln!(
                "grade: note: {n} shards for {} rows: some shards are empty",
                rows.len()
            );
        }
    }
    let root_user = is_root();
    let mode = match (args.fetch_only, args.no_fetch) {
        (true, _) => run::Mode::FetchOnly,
        (_, true) => run::Mode::NoFetch,
        _ => run::Mode::FetchAndGrade,
    };
    if mode != run::Mode::FetchOnly && !root_user {
        eprintln!(
            "grade: note: not running as root, so student code runs as this user, not as the grader's unprivileged uids (on GitHub Actions, the grading step runs under sudo)"
        );
    }
    let jobs = args.jobs.map_or_else(default_jobs, |j| j as usize);
    let settings = run::Settings {
        roster: rows,
        out: args.out.clone(),
        deadline: args.deadline,
        jobs,
        shard: args.shard,
        timeout: Duration::from_secs(args.timeout),
        mode,
        root: root_user,
        fetchers: 8,
        release_held_back: args.release_held_back,
    };
    let without = args
        .without_lab
        .as_deref()
        .map(crate::without)
        .transpose()?;
    let make_base = |dir: &Path| crate::official_base(root, dir, without);
    let ran = run::run(&settings, &make_base, &grader_sandbox::submission::grade).map(|_| ());
    if root_user {
        hand_back(&settings.out)?;
    }
    ran
}

/// Under `sudo`, gives DIR (less its work area) back to the user who ran
/// sudo: its files are owner-only (see `store::Out::create`), and the
/// instructor (or the next step of a workflow) must read them.
fn hand_back(dir: &Path) -> Result<(), String> {
    let (Some(uid), Some(gid)) = (
        std::env::var("SUDO_UID").ok().and_then(|v| v.parse().ok()),
        std::env::var("SUDO_GID").ok().and_then(|v| v.parse().ok()),
    ) else {
        return Ok(());
    };
    fn walk(p: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
        std::os::unix::fs::lchown(p, Some(uid), Some(gid))?;
        if std::fs::symlink_metadata(p)?.is_dir() {
            for e in std::fs::read_dir(p)? {
                let e = e?;
                if e.file_name() != ".work" {
                    walk(&e.path(), uid, gid)?;
                }
            }
        }
        Ok(())
    }
    walk(dir, uid, gid).map_err(|e| format!("cannot give {} back to uid {uid}: {e}", dir.display()))
}

/// The jobs this machine sustains: two per core, and no more than one per
/// GiB of available memory; at least one.
///
/// Measured on 2 cores (50 submissions, the fixture kinds and every broken
/// variant): 8 min 09 s with one job, 5 min with two, 4 min 28 s with three,
/// 3 min 52 s with four, the same gradebook each time. A job spends most of
/// its time waiting for checks to meet or miss their deadlines, so CPU
/// never reached 65 % even at four; each job peaked near 480 MiB.
fn default_jobs() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let by_memory =
        grader_sandbox::sys::available_memory().map_or(usize::MAX, |bytes| (bytes >> 30) as usize);
    (2 * cores).min(by_memory).max(1)
}

#[cfg(test)]
mod cli_tests {
    use super::*;

    #[test]
    fn shards_are_one_based_and_in_range() {
        assert_eq!(parse_shard("1/1"), Ok((1, 1)));
        assert_eq!(parse_shard("3/4"), Ok((3, 4)));
        for bad in ["0/4", "5/4", "2", "a/b", "1/0", "-1/3"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_command_line_of_the_issue_parses() {
        let a = Args::try_parse_from([
            "g",
            "--roster",
            "r.csv",
            "--out",
            "d",
            "--deadline",
            "2026-12-01T23:59:00Z",
            "--jobs",
            "2",
            "--shard",
            "2/3",
            "--timeout",
            "90",
        ])
        .unwrap();
        assert_eq!(a.shard, Some((2, 3)));
        assert_eq!(a.jobs, Some(2));
        assert_eq!(a.timeout, 90);
        assert!(a.deadline.is_some());
        let m = Args::try_parse_from(["g", "--merge", "a", "b", "--out", "c"]).unwrap();
        assert_eq!(m.merge.len(), 2);
        assert!(
            Args::try_parse_from(["g", "--merge", "a", "--roster", "r", "--out", "c"]).is_err()
        );
        assert!(Args::try_parse_from(["g", "--out", "c"]).is_err());
        assert!(
            Args::try_parse_from(["g", "--roster", "r", "--out", "c", "--deadline", "friday"])
                .is_err()
        );
        assert!(Args::try_parse_from(["g", "--roster", "r", "--out", "c", "--jobs", "0"]).is_err());
        assert!(
            Args::try_parse_from([
                "g",
                "--roster",
                "r",
                "--out",
                "c",
                "--fetch-only",
                "--no-fetch"
            ])
            .is_err()
        );
        assert!(default_jobs() >= 1);
    }
}
