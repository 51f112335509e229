//! `cargo test -p grader`: one lab's checks as libtest trials.
//!
//! Each test target is `fn main() { grader::harness::test_main(N) }`. The
//! trials are the same [`Check`]s the score report runs; a trial runs its
//! check in a process of its own ([`runner::run_isolated`]) and turns a
//! failure into the full explanation, so `cargo test` prints exactly what
//! the score report prints.

use std::sync::Arc;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::bins::{self, Binary};
use crate::check::{Check, Kind};
use crate::labs;
use crate::runner::{self, Verdict};

/// Runs lab `lab`'s checks as a libtest-compatible test binary; never returns.
pub fn test_main(lab: u8) -> ! {
    let checks = labs::all();
    runner::run_check_if_asked(&checks);

    let args = Arguments::from_args();
    let mine: Vec<Check> = checks.into_iter().filter(|c| c.step.lab == lab).collect();
    let foreign = bins::foreign_binaries();
    let skip_reason = skip_reason(&foreign);

    // Build only what the selected, runnable trials need.
    let selected: Vec<&Check> = mine
        .iter()
        .filter(|c| !args.is_filtered_out(&Trial::test(c.name, || Ok(())).with_kind(c.step.title)))
        .filter(|c| c.kind == Kind::Process || skip_reason.is_none())
        .collect();
    let needed: Vec<Binary> = if args.list {
        Vec::new()
    } else {
        needed_binaries(&selected)
    };
    if let Some(why) = &skip_reason {
        eprintln!("note: {why}");
    }
    let env = Arc::new(bins::prepare(&needed, |msg| eprintln!("grader: {msg}")));
    let exe = match std::env::current_exe() {
        Ok(exe) => Arc::new(exe),
        Err(e) => {
            eprintln!("grader: cannot find its own executable: {e}");
            std::process::exit(2);
        }
    };

    let trials = mine
        .into_iter()
        .map(|check| {
            let skip = (check.kind == Kind::Library)
                .then(|| skip_reason.clone())
                .flatten();
            let (exe, env) = (Arc::clone(&exe), Arc::clone(&env));
            Trial::ignorable_test(check.name, move || {
                if let Some(why) = skip {
                    return Ok(Completion::ignored_with(why));
                }
                let outcome = runner::run_isolated(&exe, &check, &env);
                match outcome.verdict {
                    Verdict::Passed => Ok(Completion::Completed),
                    Verdict::Skipped(why) => Ok(Completion::ignored_with(why)),
                    _ => Err(Failed::from(outcome.explain())),
                }
            })
            .with_kind(check.step.title)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit()
}

/// The binaries that `checks` run.
pub fn needed_binaries(checks: &[&Check]) -> Vec<Binary> {
    Binary::ALL
        .into_iter()
        .filter(|b| {
            checks
                .iter()
                .any(|c| c.kind == Kind::Process && c.step.lab == b.lab())
        })
        .collect()
}

/// Why library checks are skipped, when a foreign binary is graded.
pub fn skip_reason(foreign: &[(Binary, String)]) -> Option<String> {
    if foreign.is_empty() {
        return None;
    }
    let named: Vec<String> = foreign
        .iter()
        .map(|(b, p)| format!("{}={p}", b.override_var()))
        .collect();
    Some(format!(
        "{} is set: grading that binary, so the in-process library checks (which test this workspace's Rust crates) are skipped",
        named.join(" and ")
    ))
}
