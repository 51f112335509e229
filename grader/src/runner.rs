//! Runs each check in a process of its own, and kills it at its deadline.
//!
//! Why a process per check: student code may loop forever (`loop {}` in
//! `readn`), block in `accept`, panic, abort or call `exit`. A thread cannot
//! be killed; a process can. So the runner starts the grader's own
//! executable again with `GRADER_RUN_CHECK=<id>`, in a new process group,
//! and at the deadline sends `SIGKILL` to the whole group: the check, and
//! every server and client it started. Each check also gets its own
//! `/proc/self/fd` to count, undisturbed by checks running beside it.
//!
//! The check process tells its runner what happens on stdout: a line per
//! step as it goes, and at the end the failure, if any (see [`crate::check`]).
//! Everything else it printed is kept and shown as the output of the code
//! under test.

use std::io::Read;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::check::{Check, Ctx, FAIL_TAG, Failure, STEP_TAG};

/// The variable that makes a grader executable run one check and exit.
pub const RUN_CHECK_ENV: &str = "GRADER_RUN_CHECK";

/// How a check ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The behaviour was seen.
    Passed,
    /// The check returned a failure.
    Failed(Failure),
    /// The check (or the code it called) panicked; the panic message.
    Panicked(String),
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
    /// What the check process printed besides its protocol lines.
    pub stray_output: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Outcome {
    /// Did it pass?
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Passed
    }

    /// Was it skipped?
    pub fn skipped(&self) -> bool {
        matches!(self.verdict, Verdict::Skipped(_))
    }

    /// Points earned.
    pub fn score(&self) -> u32 {
        if self.passed() { self.check.points } else { 0 }
    }

    /// The CS144-style explanation of a failure: the steps up to the one
    /// that failed, expected vs observed, and the handout step.
    pub fn explain(&self) -> String {
        let mut s = String::new();
        let head = match &self.verdict {
            Verdict::Passed => return format!("{} passed", self.check.id()),
            Verdict::Skipped(why) => return format!("{} skipped: {why}", self.check.id()),
            Verdict::Failed(_) => "FAILED",
            Verdict::Panicked(_) => "PANICKED",
            Verdict::TimedOut(_) => "TIMED OUT",
        };
        s.push_str(&format!("{} {head}", self.check.id()));
        s.push_str(&format!("\n  checks: {}", self.check.about));
        if self.steps.is_empty() {
            s.push_str("\n  before its first step:");
        } else {
            s.push_str(" — after these steps:");
        }
        let last = self.steps.len();
        for (i, step) in self.steps.iter().enumerate() {
            let mark = if i + 1 == last { "   <- here" } else { "" };
            s.push_str(&format!("\n  {:>2}. {step}{mark}", i + 1));
        }
        match &self.verdict {
            Verdict::Failed(f) => {
                s.push_str(&format!("\n      expected: {}", f.expected));
                s.push_str(&format!("\n      observed: {}", f.observed));
                for n in &f.notes {
                    s.push_str(&format!("\n      {n}"));
                }
            }
            Verdict::Panicked(msg) => {
                s.push_str(&format!("\n      panicked: {}", msg.trim()));
                if msg.contains("not yet implemented") {
                    s.push_str("\n      (a todo!() of the starter: this step is still to write)");
                }
            }
            Verdict::TimedOut(d) => {
                s.push_str(&format!(
                    "\n      no result within {} s: the step above never finished \
                     (an endless loop, or a read/accept/write that blocks forever); \
                     it was killed with everything it started",
                    d.as_secs_f32()
                ));
            }
            Verdict::Passed | Verdict::Skipped(_) => {}
        }
        let stray = self.stray_output.trim_end();
        if !stray.is_empty() {
            s.push_str("\n  output of the code under test:");
            for line in stray.lines().take(20) {
                s.push_str(&format!("\n    | {line}"));
            }
        }
        s.push_str(&format!("\n  help: {}", self.check.step.link()));
        s
    }
}

/// Called first thing by every grader executable: when this process was
/// started to run one check, runs it and exits; otherwise returns.
pub fn run_check_if_asked(checks: &[Check]) {
    let Ok(id) = std::env::var(RUN_CHECK_ENV) else {
        return;
    };
    let Some(check) = checks.iter().find(|c| c.id() == id) else {
        eprintln!("grader: no check named {id}");
        std::process::exit(3);
    };
    let mut ctx = Ctx::new(check.deadline);
    let code = match (check.run)(&mut ctx) {
        Ok(()) => 0,
        Err(failure) => {
            // Serializing plain strings cannot fail.
            let json = serde_json::to_string(&failure).unwrap_or_default();
            println!("{FAIL_TAG}{json}");
            1
        }
    };
    std::process::exit(code);
}

/// Runs `check` in a child process of `exe` (the current grader executable),
/// killing its process group at the deadline.
pub fn run_isolated(exe: &Path, check: &Check, env: &[(String, String)]) -> Outcome {
    let started = Instant::now();
    let mut cmd = Command::new(exe);
    cmd.env(RUN_CHECK_ENV, check.id())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Outcome {
                check: *check,
                verdict: Verdict::Panicked(format!(
                    "grader could not start {}: {e}",
                    exe.display()
                )),
                steps: Vec::new(),
                stray_output: String::new(),
                elapsed: started.elapsed(),
            };
        }
    };
    let pid = child.id() as libc::pid_t;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());

    // Wait for the exit without reaping, so the group id cannot be reused
    // before we kill the group.
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        wait_exit_no_reap(pid);
        let _ = tx.send(());
    });
    let timed_out = rx.recv_timeout(check.deadline).is_err();
    // Kill the group: the check if it hangs, and whatever it left behind.
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
    let status = child.wait().ok();
    let out = collect(stdout);
    let err = collect(stderr);

    let mut steps = Vec::new();
    let mut failure = None;
    let mut stray = String::new();
    for line in out.lines() {
        if let Some(step) = line.strip_prefix(STEP_TAG) {
            steps.push(step.to_string());
        } else if let Some(json) = line.strip_prefix(FAIL_TAG) {
            failure = serde_json::from_str::<Failure>(json).ok();
        } else {
            stray.push_str(line);
            stray.push('\n');
        }
    }
    let code = status.and_then(|s| s.code());
    let verdict = if timed_out {
        Verdict::TimedOut(check.deadline)
    } else if code == Some(0) {
        Verdict::Passed
    } else if let (Some(f), Some(1)) = (failure, code) {
        Verdict::Failed(f)
    } else {
        // A panic, an abort or an exit from the code under test.
        let (msg, rest) = panic_message(&err);
        stray.push_str(&rest);
        Verdict::Panicked(msg.unwrap_or_else(|| {
            match code {
                Some(c) => format!(
                    "the check process exited with status {c} (did the code under test call exit?)"
                ),
                None => "the check process was killed by a signal (a crash, or a stack overflow)"
                    .to_string(),
            }
        }))
    };
    if !matches!(verdict, Verdict::Panicked(_)) {
        stray.push_str(&err);
    }
    Outcome {
        check: *check,
        verdict,
        steps,
        stray_output: stray,
        elapsed: started.elapsed(),
    }
}

/// Splits stderr into the panic message (`thread '…' panicked at …:\nmsg`)
/// and the rest.
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

type Drain = mpsc::Receiver<Vec<u8>>;

/// Reads a pipe to its end on a thread of its own.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> Option<Drain> {
    let mut pipe = pipe?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    Some(rx)
}

/// What a drained pipe held; gives up after a few seconds in case a process
/// that escaped the group still holds the pipe open.
fn collect(rx: Option<Drain>) -> String {
    let bytes = rx
        .and_then(|rx| rx.recv_timeout(Duration::from_secs(5)).ok())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Blocks until `pid` has exited, leaving it to be reaped by `Child::wait`.
fn wait_exit_no_reap(pid: libc::pid_t) {
    loop {
        // SAFETY: waitid writes only into the zeroed siginfo_t we own.
        let rc = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
