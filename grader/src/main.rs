//! `cargo run -p grader`: builds the lab binaries, runs every check and
//! prints the score report.
//!
//! ```text
//! cargo run -p grader                       # all labs
//! cargo run -p grader -- --lab 3            # one lab
//! cargo run -p grader -- --check readn_        # checks whose name contains `readn_`
//! cargo run -p grader -- --gradescope results.json
//! cargo run -p grader -- --markdown feedback.md   # the job summary's text, to a file
//! cargo run -p grader -- --list-json              # the checks, their points, and which this host skips
//! cargo run -p grader -- --json results.json      # the typed results every tool reads
//! ```
//! With `GITHUB_STEP_SUMMARY` set (in GitHub Actions), a markdown table is
//! appended to it. Exits 0 only at full marks.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use grader::check::Check;
use grader::runner::{self, Runner};
use grader::verdict::{Outcome, Verdict};
use grader::{bins, harness, labs, report};
use grader_sandbox::files::write_whole;

const USAGE: &str = "usage: grader [--lab N] [--check PATTERN]... [--gradescope FILE] [--markdown FILE] [--json FILE] [--jobs N] [--list-json]";

struct Options {
    lab: Option<u8>,
    /// Run only checks whose id contains one of these.
    checks: Vec<String>,
    gradescope: Option<PathBuf>,
    markdown: Option<PathBuf>,
    json: Option<PathBuf>,
    list_json: bool,
    jobs: usize,
}

fn parse_args(labs: &[u8]) -> Result<Options, String> {
    let mut opts = Options {
        lab: None,
        checks: Vec::new(),
        gradescope: None,
        markdown: None,
        json: None,
        list_json: false,
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
            "--json" => opts.json = Some(PathBuf::from(value("--json")?)),
            "--list-json" => opts.list_json = true,
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

fn main() -> ExitCode {
    let checks = labs::all();
    grader::check::run_check_if_asked(&checks);

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
    let foreign = bins::foreign_binaries();
    let skip = harness::skip_reason(&foreign);
    if opts.list_json {
        println!("{}", report::list_json(&selected, skip.as_deref()));
        return ExitCode::SUCCESS;
    }
    let started = Instant::now();
    if let Some(why) = &skip {
        eprintln!("note: {why}");
    }
    let refs: Vec<&Check> = selected.iter().collect();
    let runner = match harness::runner_for(&refs, |m| eprintln!("grader: {m}")) {
        Ok(r) => r,
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
    let outcomes = run_all(&selected, &runner, skip.as_deref(), opts.jobs);
    runner::sweep_orphans();

    for o in outcomes.iter().filter(|o| !o.passed() && !o.is_skipped()) {
        println!("\n{}", report::explain(o));
    }
    print!("{}", report::text(&outcomes));
    println!("({:.1} s)", started.elapsed().as_secs_f32());

    let files = [
        (&opts.gradescope, report::gradescope_json(&outcomes)),
        (&opts.markdown, report::markdown(&outcomes)),
        (&opts.json, report::results_json(&outcomes)),
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
            .and_then(|mut f| f.write_all(report::markdown(&outcomes).as_bytes()));
        if let Err(e) = appended {
            eprintln!("grader: cannot append to GITHUB_STEP_SUMMARY: {e}");
        }
    }
    let (got, max) = report::totals(&outcomes);
    if got == max {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs the checks on `jobs` worker threads, printing a progress line as
/// each finishes; returns the outcomes in registry order.
fn run_all(checks: &[Check], runner: &Runner, skip: Option<&str>, jobs: usize) -> Vec<Outcome> {
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
                    let outcome = match (check.kind, skip) {
                        (grader::Kind::Library, Some(why)) => Outcome::skipped(check, why),
                        _ => runner.run(&check),
                    };
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
