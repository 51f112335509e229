//! `cargo test -p grader`: one lab's checks as libtest trials.
//!
//! Each test target is `fn main() { grader::harness::test_main(N) }`. The
//! trials are the same [`Check`]s the score report runs; a trial runs its
//! check contained ([`Runner::run`]) and turns a failure into the full
//! explanation, so `cargo test` prints exactly what the score report prints.
//!
//! [`runner_for`] is the set-up both share: build what the checks run,
//! become the subreaper of last resort, and read official grading's uid.

use std::sync::Arc;

use grader_sandbox::isolation::{self, Isolation};
use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::bins::{self, Binary};
use crate::check::{Check, Kind};
use crate::host::Host;
use crate::labs;
use crate::runner::{self, Runner};
use crate::verdict::Verdict;

/// What a lab test target prints at the end when one of its checks failed:
/// cargo runs the next target only if this one passed.
pub const STOPS_HERE: &str = "note: cargo stops at the first test target that fails; run every lab with `cargo test -p grader --no-fail-fast`, or see the points with `cargo run -p grader`";

/// Runs lab `lab`'s checks as a libtest-compatible test binary; never returns.
pub fn test_main(lab: u8) -> ! {
    let checks = labs::all();
    crate::check::run_check_if_asked(&checks);

    let args = Arguments::from_args();
    let mine: Vec<Check> = checks.into_iter().filter(|c| c.step.lab == lab).collect();
    let host = Host::detect();

    // Build only what the selected, runnable trials need.
    let selected: Vec<&Check> = mine
        .iter()
        .filter(|c| !args.is_filtered_out(&Trial::test(c.name, || Ok(())).with_kind(c.step.title)))
        .filter(|c| host.why_not(c).is_none())
        .collect();
    if let Some(why) = &host.foreign {
        eprintln!("note: {why}");
    }
    let runner = if args.list || selected.is_empty() {
        None
    } else {
        match runner_for(&selected, host.clone(), |msg| eprintln!("grader: {msg}")) {
            Ok(r) => Some(Arc::new(r)),
            Err(e) => {
                eprintln!("grader: {e}");
                std::process::exit(2);
            }
        }
    };

    let trials = mine
        .into_iter()
        .map(|check| {
            let skip = host.why_not(&check);
            let runner = runner.clone();
            Trial::ignorable_test(check.name, move || {
                if let Some(why) = skip {
                    return Ok(Completion::ignored_with(why));
                }
                let Some(runner) = runner else {
                    return Ok(Completion::ignored_with("not selected"));
                };
                let outcome = runner.run(&check);
                match outcome.verdict {
                    Verdict::Passed => Ok(Completion::Completed),
                    Verdict::Skipped(why) => Ok(Completion::ignored_with(why)),
                    _ => Err(Failed::from(crate::report::explain(&outcome))),
                }
            })
            .with_kind(check.step.title)
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    runner::sweep_orphans();
    if conclusion.has_failed() {
        eprintln!("\n{STOPS_HERE}");
    }
    conclusion.exit()
}

/// Builds what `checks` run and returns the runner for them. Also makes
/// this process the subreaper of last resort, and takes official grading's
/// uids ([`Isolation::from_env`]) when this process is root (with a note
/// when it is not).
pub fn runner_for(
    checks: &[&Check],
    host: Host,
    mut progress: impl FnMut(&str),
) -> Result<Runner, String> {
    runner::become_subreaper();
    let prepared = bins::prepare(&needed_binaries(checks), &mut progress)?;
    let uids = match Isolation::from_env()? {
        Some(uids) if grader_sandbox::sys::is_root() => {
            progress(&format!(
                "the code under test runs as uid {} and up (unprivileged), one uid per check",
                uids.base
            ));
            Some(uids)
        }
        Some(_) => {
            progress(&format!(
                "{} is set, but the grader is not root: it cannot drop privileges, so the code \
                 under test runs as you (a run on your own machine is feedback, not the official mark)",
                isolation::UID_ENV
            ));
            None
        }
        None => None,
    };
    let runner = Runner::new(
        prepared.check_exe,
        prepared.sandbox,
        prepared.env,
        uids,
        host,
    );
    if !runner.host.ipv6 && checks.iter().any(|c| c.needs_ipv6) {
        progress("this host has no IPv6 loopback (::1): the checks that need it are skipped");
    }
    Ok(runner)
}

/// The binaries that `checks` run.
pub fn needed_binaries(checks: &[&Check]) -> Vec<Binary> {
    Binary::ALL
        .into_iter()
        .filter(|b| {
            checks
                .iter()
                .any(|c| c.kind == Kind::Process && Some(c.step.lab) == b.lab())
        })
        .collect()
}
