//! How a check ended: the runner's judgement of what came back from a check
//! process — its frames, the supervisor's report, its output — into a
//! [`Verdict`] and an [`Outcome`].
//!
//! Why a pass needs proof: a check process that simply exits 0 has proved
//! nothing (`std::process::exit(0)` in `readn` would do that). So a verdict
//! counts only with the proof the runner handed over, and everything else
//! — an early exit, a signal, a panic, processes left running, a killed
//! supervisor — is named for what it is.

use std::time::Duration;

use grader_sandbox::protocol::Frame;
use grader_sandbox::supervise::Report;

use crate::check::{Check, Failure};

/// How a check ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The behaviour was seen.
    Passed,
    /// The check returned a failure.
    Failed(Failure),
    /// The check (or the code it called) panicked; the panic message.
    Panicked(String),
    /// The check process ended before the check finished (`exit`, `abort`,
    /// a signal): what happened.
    Aborted(String),
    /// Killed at the deadline.
    TimedOut(Duration),
    /// Not run, and why.
    Skipped(String),
}

/// The result of one check, with what is needed to explain it.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The check.
    pub check: Check,
    /// How it ended.
    pub verdict: Verdict,
    /// The steps it recorded, in order.
    pub steps: Vec<String>,
    /// What the check process printed (the code under test's output).
    pub stray_output: String,
    /// Processes the code under test left running, killed: a line saying
    /// so, when there were any.
    pub leftovers: Option<String>,
    /// Wall time.
    pub elapsed: Duration,
}

impl Outcome {
    /// An outcome for a check that was not run.
    pub fn skipped(check: Check, why: impl Into<String>) -> Outcome {
        Outcome {
            check,
            verdict: Verdict::Skipped(why.into()),
            steps: Vec::new(),
            stray_output: String::new(),
            leftovers: None,
            elapsed: Duration::ZERO,
        }
    }

    /// Did it pass?
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Passed
    }

    /// Was it skipped?
    pub fn is_skipped(&self) -> bool {
        matches!(self.verdict, Verdict::Skipped(_))
    }

    /// Points earned.
    pub fn score(&self) -> u32 {
        if self.passed() { self.check.points } else { 0 }
    }
}

/// Turns what came back into an outcome.
pub(crate) fn judge(
    check: &Check,
    proof: &str,
    frames: Vec<Frame>,
    report: Option<Report>,
    out: String,
    err: String,
) -> Outcome {
    let mut steps = Vec::new();
    let mut proven = None;
    let mut panic = None;
    for frame in frames {
        match frame {
            Frame::Step { text } => steps.push(text),
            Frame::Panic { text } => {
                panic.get_or_insert(text);
            }
            Frame::Pass { proof: p } if p == proof && proven.is_none() => {
                proven = Some(Verdict::Passed)
            }
            Frame::Fail { proof: p, failure } if p == proof && proven.is_none() => {
                proven = Some(Verdict::Failed(failure))
            }
            // A verdict without the proof cannot come from this check.
            Frame::Pass { .. } | Frame::Fail { .. } => {}
        }
    }
    let mut stray = out;
    let (stderr_panic, rest) = panic_message(&err);
    stray.push_str(&rest);

    let Some(report) = report else {
        return Outcome {
            check: *check,
            verdict: Verdict::Aborted(
                "the check's supervisor was killed before it could report (did the code \
                 under test kill its parent process?); the check and everything it started \
                 were killed"
                    .to_string(),
            ),
            steps,
            stray_output: stray,
            leftovers: None,
            elapsed: Duration::ZERO,
        };
    };
    let leftovers = (report.leftovers > 0 || report.gave_up).then(|| {
        let what = if report.leftover_names.is_empty() {
            String::new()
        } else {
            format!(" ({})", report.leftover_names.join(", "))
        };
        let n = report.leftovers;
        let processes = if n == 1 { "process" } else { "processes" };
        if report.gave_up {
            format!(
                "the code under test left {n} {processes} running{what} and kept starting more; \
                 they were killed"
            )
        } else {
            format!("the code under test left {n} {processes} running{what}; they were killed")
        }
    });
    let verdict = if let Some(e) = &report.error {
        Verdict::Aborted(format!("the grader could not contain this check: {e}"))
    } else if report.timed_out {
        match proven {
            None => Verdict::TimedOut(check.deadline),
            Some(_) => Verdict::Failed(Failure::new(
                "the check process to end once the check was done",
                "it kept running after the check finished, and was killed at the deadline",
            )),
        }
    } else if let Some(v) = proven {
        match (v, &leftovers) {
            // A pass that leaves processes behind is not a pass.
            (Verdict::Passed, Some(left)) => Verdict::Failed(Failure::new(
                "nothing left running when the check ends: the lab code starts no processes",
                left,
            )),
            (v, _) => v,
        }
    } else if let Some(msg) = panic.or(stderr_panic) {
        Verdict::Panicked(msg)
    } else {
        Verdict::Aborted(ended_early(&report))
    };
    // The leftover line is the failure itself when it turned a pass into one.
    let leftovers = match &verdict {
        Verdict::Failed(f) if leftovers.as_deref() == Some(f.observed.as_str()) => None,
        _ => leftovers,
    };
    Outcome {
        check: *check,
        verdict,
        steps,
        stray_output: stray,
        leftovers,
        elapsed: Duration::ZERO,
    }
}

/// What ended a check process that gave no verdict.
fn ended_early(report: &Report) -> String {
    match (report.exit_code, report.signal) {
        (Some(0), _) => {
            "the code under test ended the process (exit) before the check finished".to_string()
        }
        (Some(c), _) => format!(
            "the code under test ended the process with exit status {c} before the check finished"
        ),
        (None, Some(sig)) => format!(
            "the check process was killed by signal {sig} ({}) before the check finished: \
             a crash, a stack overflow, abort(), or the code under test killed it",
            signal_name(sig)
        ),
        (None, None) => "the check process ended without a verdict".to_string(),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGTERM => "SIGTERM",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        _ => "a signal",
    }
}

/// Splits stderr into the panic message (`thread '…' panicked at …:\nmsg`)
/// and the rest. The check process reports panics on its channel; this
/// reads them from stderr when the code under test replaced the panic hook.
fn panic_message(stderr: &str) -> (Option<String>, String) {
    let mut msg = None;
    let mut rest = String::new();
    let mut lines = stderr.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("thread '") && line.contains("panicked at") && msg.is_none() {
            let place = line
                .split("panicked at ")
                .nth(1)
                .unwrap_or("")
                .trim_end_matches(':');
            let text = lines.next().unwrap_or("");
            msg = Some(format!("{text} (at {place})"));
        } else if !line.starts_with("note: run with `RUST_BACKTRACE") {
            rest.push_str(line);
            rest.push('\n');
        }
    }
    (msg, rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::LAB1_READN;

    fn check() -> Check {
        Check::library("x", LAB1_READN, 2, "about", |_| Ok(()))
    }

    fn report(code: Option<i32>, signal: Option<i32>) -> Report {
        Report {
            exit_code: code,
            signal,
            ..Report::default()
        }
    }

    #[test]
    fn panic_message_is_found() {
        let err = "thread 'main' panicked at crates/rio/src/lib.rs:10:5:\nnot yet implemented: lab 1 step 1\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        let (msg, rest) = panic_message(err);
        assert_eq!(
            msg.as_deref(),
            Some("not yet implemented: lab 1 step 1 (at crates/rio/src/lib.rs:10:5)")
        );
        assert_eq!(rest, "");
    }

    /// exit(0) without a verdict is no pass, and says so.
    #[test]
    fn exit_zero_is_not_a_pass() {
        let o = judge(
            &check(),
            "p",
            vec![],
            Some(report(Some(0), None)),
            "".into(),
            "".into(),
        );
        assert_eq!(
            o.verdict,
            Verdict::Aborted(
                "the code under test ended the process (exit) before the check finished".into()
            )
        );
        assert_eq!(o.score(), 0);
    }

    /// A verdict with another proof (printed by student code, say) counts for nothing.
    #[test]
    fn a_verdict_needs_the_proof() {
        let forged = vec![Frame::Pass {
            proof: "guess".into(),
        }];
        let o = judge(
            &check(),
            "p",
            forged,
            Some(report(Some(0), None)),
            "".into(),
            "".into(),
        );
        assert!(!o.passed());
        let real = vec![Frame::Pass { proof: "p".into() }];
        let o = judge(
            &check(),
            "p",
            real,
            Some(report(Some(0), None)),
            "".into(),
            "".into(),
        );
        assert!(o.passed());
    }

    /// Processes left behind turn a pass into a failure that names them.
    #[test]
    fn leftovers_fail_a_pass() {
        let mut r = report(Some(0), None);
        r.leftovers = 2;
        r.leftover_names = vec!["sleep".into(), "sh".into()];
        let real = vec![Frame::Pass { proof: "p".into() }];
        let o = judge(&check(), "p", real, Some(r), "".into(), "".into());
        match &o.verdict {
            Verdict::Failed(f) => assert_eq!(
                f.observed,
                "the code under test left 2 processes running (sleep, sh); they were killed"
            ),
            v => panic!("{v:?}"),
        }
        assert!(crate::report::explain(&o).contains("left 2 processes running"));
    }

    /// No report: the supervisor was killed.
    #[test]
    fn a_killed_supervisor_is_reported() {
        let o = judge(&check(), "p", vec![], None, "".into(), "".into());
        assert!(matches!(&o.verdict, Verdict::Aborted(m) if m.contains("kill its parent")));
    }

    #[test]
    fn signals_and_statuses_are_named() {
        let o = judge(
            &check(),
            "p",
            vec![],
            Some(report(None, Some(6))),
            "".into(),
            "".into(),
        );
        assert!(matches!(&o.verdict, Verdict::Aborted(m) if m.contains("SIGABRT")));
        let o = judge(
            &check(),
            "p",
            vec![],
            Some(report(Some(7), None)),
            "".into(),
            "".into(),
        );
        assert!(matches!(&o.verdict, Verdict::Aborted(m) if m.contains("exit status 7")));
    }
}
