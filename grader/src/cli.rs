//! The grader's command line, `cargo run -p grader`: builds the lab
//! binaries, runs every check and prints the score report. Both grader
//! executables run it: `grader` (`src/main.rs`) with the checks of the
//! labs, and the instructor's `held-back` (`src/bin/held-back/`, never in
//! the starter) with those and the checks the instructor holds back.
//!
//! ```text
//! cargo run -p grader                       # all labs
//! cargo run -p grader -- --lab 3            # one lab
//! cargo run -p grader -- --check readn_        # checks whose name contains `readn_`
//! cargo run -p grader -- --gradescope results.json
//! cargo run -p grader -- --markdown feedback.md   # the job summary's text, to a file
//! cargo run -p grader -- --list-json              # the checks, their points, and which this host skips
//! cargo run -p grader -- --json results.json      # the typed results every tool reads
//! cargo run -p grader -- --due 1-2                # count labs 1 and 2 only (else grader.toml says)
//! cargo run -p grader -- --provenance graded.json # what was graded, for the feedback's first line
//! cargo run -p grader -- --seed 42                # the seed held-back checks draw inputs from
//! cargo run -p grader -- --held-back-markdown F   # the held-back checks' details, kept apart
//! ```
//! With `GITHUB_STEP_SUMMARY` set (in GitHub Actions), the Markdown report
//! is appended to it, and it names the run's commit (`GITHUB_SHA`). Exits 0
//! only at full marks in the labs due (`grader.toml` at the workspace's
//! root, see [`grader::due`]; every lab without one).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use crate::check::Check;
use crate::due::{self, Due};
use crate::host::Host;
use crate::runner::{self, Runner};
use crate::verdict::{Outcome, Verdict};
use crate::{bins, harness, report};
use grader_sandbox::files::write_whole;
use grader_sandbox::submission::{self, Provenance};

const USAGE: &str = "usage: grader [--lab N] [--check PATTERN]... [--gradescope FILE] [--markdown FILE] [--held-back-markdown FILE] [--json FILE] [--jobs N] [--list-json] [--due LABS] [--provenance FILE] [--seed N]";

struct Options {
    lab: Option<u8>,
    /// Run only checks whose id contains one of these.
    checks: Vec<String>,
    gradescope: Option<PathBuf>,
    markdown: Option<PathBuf>,
    held_back_markdown: Option<PathBuf>,
    json: Option<PathBuf>,
    list_json: bool,
    jobs: usize,
    /// `--due`: wins over `grader.toml`.
    due: Option<Due>,
    /// `--provenance`: what was graded, as official grading says it.
    provenance: Option<PathBuf>,
    /// `--seed`: else a random one.
    seed: Option<u64>,
}

fn parse_args(labs: &[u8]) -> Result<Options, String> {
    let mut opts = Options {
        lab: None,
        checks: Vec::new(),
        gradescope: None,
        markdown: None,
        held_back_markdown: None,
        json: None,
        list_json: false,
        due: None,
        provenance: None,
        seed: None,
        jobs: thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(2),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--lab" => {
                let v = value("--lab")?;
                match v.parse::<u8>() {
                    Ok(n) if labs.contains(&n) => opts.lab = Some(n),
                    _ => {
                        let names: Vec<String> = labs.iter().map(u8::to_string).collect();
                        return Err(format!(
                            "--lab takes one of {}, not {v:?}",
                            names.join(", ")
                        ));
                    }
                }
            }
            "--check" => opts.checks.push(value("--check")?),
            "--gradescope" => opts.gradescope = Some(PathBuf::from(value("--gradescope")?)),
            "--markdown" => opts.markdown = Some(PathBuf::from(value("--markdown")?)),
            "--held-back-markdown" => {
                opts.held_back_markdown = Some(PathBuf::from(value("--held-back-markdown")?))
            }
            "--seed" => {
                let v = value("--seed")?;
                opts.seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed takes a whole number, not {v:?}"))?,
                );
            }
            "--json" => opts.json = Some(PathBuf::from(value("--json")?)),
            "--list-json" => opts.list_json = true,
            "--due" => {
                opts.due =
                    Some(due::parse_labs(&value("--due")?).map_err(|e| format!("--due: {e}"))?)
            }
            "--provenance" => opts.provenance = Some(PathBuf::from(value("--provenance")?)),
            "--jobs" => {
                let v = value("--jobs")?;
                opts.jobs = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--jobs takes a count, not {v:?}"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(opts)
}

/// Runs the grader over `checks` (the labs' own, [`crate::labs::all`], and
/// in the instructor's `held-back` executable the held-back ones too):
/// a check process runs its one check and exits; otherwise the command line
/// decides what runs and what is written.
pub fn main(checks: Vec<Check>) -> ExitCode {
    crate::check::run_check_if_asked(&checks);

    let mut lab_numbers: Vec<u8> = checks.iter().map(|c| c.step.lab).collect();
    lab_numbers.dedup();
    let opts = match parse_args(&lab_numbers) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("grader: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let selected: Vec<Check> = checks
        .into_iter()
        .filter(|c| opts.lab.is_none_or(|l| c.step.lab == l))
        .filter(|c| {
            opts.checks.is_empty() || opts.checks.iter().any(|p| c.id().contains(p.as_str()))
        })
        .collect();
    if selected.is_empty() {
        eprintln!("grader: no check matches those options\n{USAGE}");
        return ExitCode::from(2);
    }
    let host = Host::detect();
    if opts.list_json {
        println!("{}", report::list_json(&selected, &host));
        return ExitCode::SUCCESS;
    }
    let ctx = match context(&opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("grader: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    if let Some(why) = &host.foreign {
        eprintln!("note: {why}");
    }
    let refs: Vec<&Check> = selected.iter().collect();
    let runner = match harness::runner_for(&refs, host, |m| eprintln!("grader: {m}")) {
        Ok(mut r) => {
            r.seed = ctx.seed;
            r
        }
        Err(e) => {
            eprintln!("grader: {e}");
            return ExitCode::from(2);
        }
    };

    eprintln!(
        "grader: running {} checks, {} at a time",
        selected.len(),
        opts.jobs
    );
    let outcomes = run_all(&selected, &runner, opts.jobs);
    runner::sweep_orphans();

    for o in outcomes
        .iter()
        .filter(|o| !o.passed() && !o.is_skipped() && ctx.due.includes(o.check.step.lab))
    {
        println!("\n{}", report::explain(o));
    }
    print!("{}", report::text(&outcomes, &ctx.due));
    println!("({:.1} s)", started.elapsed().as_secs_f32());

    let files = [
        (&opts.gradescope, report::gradescope_json(&outcomes, &ctx)),
        (&opts.markdown, report::markdown(&outcomes, &ctx)),
        (
            &opts.held_back_markdown,
            report::held_back_markdown(&outcomes, &ctx),
        ),
        (&opts.json, report::results_json(&outcomes, ctx.seed)),
    ];
    for (path, text) in files {
        if let Some(path) = path {
            if let Err(e) = write_whole(path, &text) {
                eprintln!("grader: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut f| f.write_all(report::markdown(&outcomes, &ctx).as_bytes()));
        if let Err(e) = appended {
            eprintln!("grader: cannot append to GITHUB_STEP_SUMMARY: {e}");
        }
    }
    let (got, max) = report::due_totals(&outcomes, &ctx.due);
    if got == max {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The labs due (`--due`, else `grader.toml`) and what was graded
/// (`--provenance`, else the workflow's commit, else nothing).
fn context(opts: &Options) -> Result<report::Context, String> {
    let due = match &opts.due {
        Some(d) => d.clone(),
        None => due::from_workspace(&bins::workspace_root())?,
    };
    let graded = match &opts.provenance {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Some(
                serde_json::from_str::<Provenance>(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?,
            )
        }
        None => workflow_commit(),
    };
    Ok(report::Context {
        due,
        graded,
        seed: opts.seed.unwrap_or_else(runner::random_seed),
    })
}

/// In GitHub Actions: the commit the run is for (`GITHUB_SHA`), its
/// committer time, and the fingerprint of this copy of the grader, which
/// is the student's own (feedback, not a mark).
fn workflow_commit() -> Option<Provenance> {
    let sha = std::env::var("GITHUB_SHA").ok().filter(|s| !s.is_empty())?;
    let root = bins::workspace_root();
    let committed_at = std::process::Command::new("git")
        .args([
            "show",
            "-s",
            "--date=iso-strict-local",
            "--format=%cd",
            &sha,
        ])
        .env("TZ", "UTC0")
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .replace("+00:00", "Z")
        })
        .filter(|t| !t.is_empty());
    Some(Provenance {
        commit: Some(sha),
        committed_at,
        submitted_at: None,
        picked_by: "the commit this workflow run is for (your repository's copy of the grader: \
                    feedback, not a mark)"
            .to_string(),
        grader: format!("{:016x}", submission::fingerprint(&root.join("grader"))),
    })
}

/// Runs the checks on `jobs` worker threads, printing a progress line as
/// each finishes; returns the outcomes in registry order.
fn run_all(checks: &[Check], runner: &Runner, jobs: usize) -> Vec<Outcome> {
    let queue = Arc::new(Mutex::new(
        checks
            .iter()
            .copied()
            .enumerate()
            .collect::<Vec<_>>()
            .into_iter(),
    ));
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        for _ in 0..jobs.min(checks.len().max(1)) {
            let (queue, tx) = (Arc::clone(&queue), tx.clone());
            s.spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some((i, check)) = next else { break };
                    // Skipped or run: the runner asks the host (grader::host).
                    let outcome = runner.run(&check);
                    let _ = tx.send((i, outcome));
                }
            });
        }
        drop(tx);
        let mut done: Vec<Option<Outcome>> = vec![None; checks.len()];
        for (n, (i, o)) in rx.iter().enumerate() {
            let mark = match o.verdict {
                Verdict::Passed => "✓",
                Verdict::Skipped(_) => "-",
                _ => "✗",
            };
            eprintln!(
                "[{:>3}/{}] {mark} {} ({:.2} s)",
                n + 1,
                checks.len(),
                o.check.id(),
                o.elapsed.as_secs_f32()
            );
            done[i] = Some(o);
        }
        done.into_iter().flatten().collect()
    })
}
