//! What the command-line tests of `echoserver` and `echoclient` share:
//! running the built binary to completion under a deadline, and the one
//! line a usage error or a failure to connect or listen must be.
//!
//! Both binaries keep the same contract for those cases (see "A foreign
//! binary must follow the same contract" in labs/src/instructor.md), so both
//! test files include this one (`crates/echoserver/tests/cli.rs` as `mod
//! support`, `crates/echoclient/tests/cli.rs` through `#[path]`): a change
//! to how a run is judged is made once, for both.

use std::time::{Duration, Instant};

use assert_cmd::assert::Assert;
use predicates::prelude::*;

/// How long any one wait may take. Generous, because the machine may be
/// busy: only a hang should reach it.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Runs the binary `name` (built at `path`) with `args` to completion with
/// `stdin`, and returns what it did for `assert_cmd` to check. A run still
/// going at [`DEADLINE`] is killed, and fails here saying so.
pub fn run(name: &str, path: &str, args: &[&str], stdin: &[u8]) -> Assert {
    let mut cmd = assert_cmd::Command::new(path);
    // a panic's message, without a backtrace that buries it
    cmd.args(args).env_remove("RUST_BACKTRACE");
    cmd.write_stdin(stdin).timeout(DEADLINE);
    let started = Instant::now();
    let output = cmd.output().unwrap_or_else(|e| panic!("start {name}: {e}"));
    if output.status.code().is_none() {
        // no exit code: a signal, ours at the deadline or another
        let how = if started.elapsed() >= DEADLINE {
            format!("was still running after {DEADLINE:?}, so it was killed (a hang)")
        } else {
            format!("was killed: {}", output.status)
        };
        panic!(
            "{name} {args:?} {how}\n  stdin: {:?}\n  stdout: {:?}\n  stderr: {:?}",
            String::from_utf8_lossy(stdin),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
    }
    Assert::new(output)
        .append_context("command", format!("{name} {args:?}"))
        .append_context("stdin", format!("{:?}", String::from_utf8_lossy(stdin)))
}

/// Exactly one line (some text and one `\n`, at the end) that starts with
/// `starting` and contains each of `naming`.
pub fn one_line(starting: &str, naming: &[&str]) -> impl Predicate<str> {
    let mut line = predicate::str::is_match(r"\A[^\n]+\n\z")
        .expect("a valid regex")
        .and(predicate::str::starts_with(starting))
        .boxed();
    for part in naming {
        line = line.and(predicate::str::contains(*part)).boxed();
    }
    line
}
