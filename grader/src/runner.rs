//! Runs each check in a process of its own, contained, and believes a pass
//! only on proof.
//!
//! Why a process per check: student code may loop forever (`loop {}` in
//! `readn`), block in `accept`, panic, abort or call `exit`. A thread cannot
//! be killed; a process can. So each check runs in a fresh process of a
//! grader executable, started by the supervisor `grader-sandbox supervise`
//! (an executable that links no student code: see `grader/sandbox`), which
//! kills it at its deadline, kills whatever it left running — `setsid` and
//! double forks included, the supervisor being a child subreaper — and, in
//! official grading, runs it as an unprivileged uid of its own.
//!
//! Why proof: a check process that simply exits 0 has proved nothing —
//! `std::process::exit(0)` in `readn` would do that. So the runner hands
//! each check process a fresh random *proof* on a socket (fd 3) that the
//! process reads, marks close-on-exec and keeps before any student code
//! runs. Steps, panics and the verdict come back on that socket as JSON
//! lines ([`Frame`]); a verdict counts only with the proof in it. Student
//! code cannot write there: a socket cannot be reopened through
//! its path under the process's fd directory, safe Rust cannot use a raw fd number, and the fd is not
//! inherited by anything it spawns. What it prints on stdout or stderr is
//! shown as its output and changes nothing.
//!
//! The pieces: [`run_check_if_asked`] is the check process's side;
//! [`Runner`] is the grader's side, shared by `cargo test -p grader`
//! ([`crate::harness`]) and the score report (`main.rs`).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv6Addr, TcpListener};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use grader_sandbox::isolation::{self, Uids};
use grader_sandbox::supervise::{self, Report};
use serde::{Deserialize, Serialize};

use crate::check::{Check, Ctx, Failure};

/// Set in a check process's environment: its channel is fd 3.
pub const CHANNEL_ENV: &str = "GRADER_CHECK_CHANNEL";

/// Why a check that needs `::1` is skipped.
pub const NO_IPV6: &str =
    "this host has no IPv6 loopback (::1 cannot be bound): the check cannot run here";

/// Most output kept from one check process (the rest is counted, not kept).
const OUTPUT_CAP: usize = 256 * 1024;

/// The grader's own margin beyond a check's deadline, in case the
/// supervisor itself does not end.
const BACKSTOP: Duration = Duration::from_secs(10);

/// What a check process says on its channel, one JSON object per line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Frame {
    /// A step, as it happens.
    Step {
        /// The step's text.
        text: String,
    },
    /// A panic, with its place.
    Panic {
        /// `message (at file:line:col)`.
        text: String,
    },
    /// The check saw the behaviour.
    Pass {
        /// The proof the runner handed over.
        proof: String,
    },
    /// The check failed, and why.
    Fail {
        /// The proof the runner handed over.
        proof: String,
        /// What was expected and observed.
        failure: Failure,
    },
}

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

    /// The CS144-style explanation of a failure: the steps up to the one
    /// that failed, expected vs observed, and the handout step.
    pub fn explain(&self) -> String {
        let mut s = String::new();
        let head = match &self.verdict {
            Verdict::Passed => return format!("{} passed", self.check.id()),
            Verdict::Skipped(why) => return format!("{} skipped: {why}", self.check.id()),
            Verdict::Failed(_) => "FAILED",
            Verdict::Panicked(_) => "PANICKED",
            Verdict::Aborted(_) => "ENDED EARLY",
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
            Verdict::Aborted(what) => s.push_str(&format!("\n      {what}")),
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
        if let Some(left) = &self.leftovers {
            s.push_str(&format!("\n      {left}"));
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

// ---------------------------------------------------------------------------
// The check process's side.

/// The channel of this check process, once it has one.
static CHANNEL: OnceLock<Mutex<UnixStream>> = OnceLock::new();

/// Sends a frame to the runner. `false` when this process is not a
/// contained check (then nothing is sent).
pub(crate) fn send(frame: &Frame) -> bool {
    let Some(chan) = CHANNEL.get() else {
        return false;
    };
    // Serializing plain strings cannot fail.
    let mut line = serde_json::to_string(frame).unwrap_or_default();
    line.push('\n');
    let mut chan = chan.lock().unwrap_or_else(|e| e.into_inner());
    // A failed write means the runner is gone; the supervisor ends us soon.
    let _ = chan.write_all(line.as_bytes());
    true
}

/// Called first thing by every grader executable: when this process was
/// started to run one check, runs it and exits; otherwise returns.
pub fn run_check_if_asked(checks: &[Check]) {
    if std::env::var_os(CHANNEL_ENV).is_none() {
        return;
    }
    let (proof, id) = match take_channel() {
        Ok(got) => got,
        Err(e) => {
            eprintln!("grader: this check process has no channel to its runner: {e}");
            // SAFETY: _exit ends the process at once; nothing is running yet.
            unsafe { libc::_exit(3) }
        }
    };
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "(a panic without a message)".to_string()
        };
        let place = info
            .location()
            .map(|l| format!(" (at {}:{}:{})", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        send(&Frame::Panic {
            text: format!("{msg}{place}"),
        });
    }));
    let frame = match checks.iter().find(|c| c.id() == id) {
        Some(check) => {
            let mut ctx = Ctx::new(check.deadline);
            match (check.run)(&mut ctx) {
                Ok(()) => Frame::Pass { proof },
                Err(failure) => Frame::Fail { proof, failure },
            }
        }
        None => Frame::Fail {
            proof,
            failure: Failure::new(
                format!("a check named {id} in this grader"),
                "none: the grader executable is not the one that listed the checks",
            ),
        },
    };
    send(&frame);
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    // _exit, not exit: nothing registered by the code under test runs after
    // the verdict.
    // SAFETY: _exit ends the process at once.
    unsafe { libc::_exit(0) }
}

/// Takes fd 3: reads `PROOF CHECK-ID\n`, makes the fd close-on-exec and
/// this process undumpable, and keeps the fd for [`send`].
fn take_channel() -> io::Result<(String, String)> {
    // Undumpable: another process of this uid cannot read our memory (the
    // proof) or our descriptors.
    grader_sandbox::sys::make_undumpable();
    // SAFETY: fcntl takes integers; fd 3 was opened for us by the
    // supervisor (it is checked below) and is owned from here on.
    let stream = unsafe {
        if libc::fcntl(supervise::CHECK_FD, libc::F_SETFD, libc::FD_CLOEXEC) != 0 {
            return Err(io::Error::last_os_error());
        }
        UnixStream::from(OwnedFd::from_raw_fd(supervise::CHECK_FD))
    };
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    let mut reader = &stream;
    while first.len() < 512 {
        match reader.read(&mut byte)? {
            0 => break,
            _ if byte[0] == b'\n' => break,
            _ => first.push(byte[0]),
        }
    }
    stream.set_read_timeout(None)?;
    let text = String::from_utf8(first).map_err(|_| io::Error::other("a garbled first line"))?;
    let (proof, id) = text
        .split_once(' ')
        .ok_or_else(|| io::Error::other("no proof on the first line"))?;
    let got = (proof.to_string(), id.to_string());
    let parent_link = std::env::var_os(supervise::PARENT_FD_ENV).is_some();
    // SAFETY: no other thread exists yet in this process.
    unsafe {
        std::env::remove_var(CHANNEL_ENV);
        std::env::remove_var(supervise::PARENT_FD_ENV);
    }
    let _ = CHANNEL.set(Mutex::new(stream));
    if parent_link {
        // No parent-death signal here: when the supervisor is gone, this
        // check ends, and takes everything it started with it.
        // SAFETY: fd 5 was opened for us by the supervisor, which named it.
        let fd = unsafe { OwnedFd::from_raw_fd(supervise::PARENT_FD) };
        grader_sandbox::sys::watch_parent(fd, || grader_sandbox::procs::kill_own_tree())?;
    }
    Ok(got)
}

// ---------------------------------------------------------------------------
// The grader's side.

/// Everything needed to run checks: the executable that runs them, the
/// supervisor, the environment they get, and what this host can do.
#[derive(Debug)]
pub struct Runner {
    /// The grader executable that check processes run.
    pub exe: PathBuf,
    /// `grader-sandbox`, the supervisor.
    pub sandbox: PathBuf,
    /// Extra environment for check processes (paths of built binaries…).
    pub env: Vec<(String, String)>,
    /// The check uids, when official grading drops privileges.
    pub uids: Option<Uids>,
    /// Does this host have IPv6 loopback (`::1`)?
    pub ipv6: bool,
    slots: Slots,
}

impl Runner {
    /// A runner; `uids` are used only where this process is root.
    pub fn new(
        exe: PathBuf,
        sandbox: PathBuf,
        env: Vec<(String, String)>,
        uids: Option<Uids>,
    ) -> Runner {
        Runner {
            exe,
            sandbox,
            env,
            uids,
            ipv6: has_ipv6_loopback(),
            slots: Slots::default(),
        }
    }

    /// Why `check` cannot run on this host, if it cannot.
    pub fn cannot_run(&self, check: &Check) -> Option<String> {
        (check.needs_ipv6 && !self.ipv6).then(|| NO_IPV6.to_string())
    }

    /// Runs `check` contained, and says how it ended.
    pub fn run(&self, check: &Check) -> Outcome {
        if let Some(why) = self.cannot_run(check) {
            return Outcome::skipped(*check, why);
        }
        let slot = match self.uids.map(|uids| self.slots.take(uids)).transpose() {
            Ok(slot) => slot,
            Err(e) => {
                return Outcome {
                    check: *check,
                    verdict: Verdict::Aborted(format!("the grader could not lease a uid: {e}")),
                    steps: Vec::new(),
                    stray_output: String::new(),
                    leftovers: None,
                    elapsed: Duration::ZERO,
                };
            }
        };
        let uid = slot.as_ref().map(|s| s.uid);
        let started = Instant::now();
        let mut outcome = match self.contain(check, uid) {
            Ok(o) => o,
            Err(e) => Outcome {
                check: *check,
                verdict: Verdict::Aborted(format!("the grader could not run this check: {e}")),
                steps: Vec::new(),
                stray_output: String::new(),
                leftovers: None,
                elapsed: Duration::ZERO,
            },
        };
        outcome.elapsed = started.elapsed();
        outcome
    }

    fn contain(&self, check: &Check, uid: Option<u32>) -> io::Result<Outcome> {
        let (ours, theirs) = UnixStream::pair()?;
        let (report_ours, report_theirs) = UnixStream::pair()?;
        let proof = new_proof()?;
        let mut cmd = supervise::command(
            &self.sandbox,
            check.deadline,
            uid,
            None,
            &self.exe,
            theirs.into(),
            report_theirs.into(),
        );
        isolation::scrub_env(&mut cmd, isolation::CHECK_ENV);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
            .env(CHANNEL_ENV, "3")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawn_tracked(&mut cmd)?;
        // The command holds the other ends of both sockets until dropped:
        // drop it now, or their EOF would never come.
        drop(cmd);
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());

        // The check reads this before anything else; if it died already,
        // the write fails and the report says why.
        let _ = (&ours).write_all(format!("{proof} {}\n", check.id()).as_bytes());
        let frames = read_frames(ours);

        // The supervisor ends after the deadline and its sweep; past the
        // backstop, it is killed too (and the check with it).
        let pid = child.id() as libc::pid_t;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let status = child.wait();
            let mut ours = started().lock().unwrap_or_else(|e| e.into_inner());
            ours.retain(|&p| p != pid);
            let _ = tx.send(status);
        });
        let ended = rx.recv_timeout(check.deadline + BACKSTOP).is_ok();
        if !ended {
            // SAFETY: kill(2) touches no memory; the supervisor is not reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        let report = read_report(report_ours);
        if report.is_none() {
            // The supervisor was killed: its check died with it, but what the
            // code under test started was handed to us. Kill it.
            sweep_orphans();
        }
        let frames = frames
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default();
        let out = collect(stdout);
        let err = collect(stderr);
        Ok(judge(check, &proof, frames, report, out, err))
    }
}

/// Turns what came back into an outcome.
fn judge(
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

/// Reads frames until the check's end of the socket closes; the result
/// arrives on the returned channel.
fn read_frames(stream: UnixStream) -> mpsc::Receiver<Vec<Frame>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut frames = Vec::new();
        let mut kept = 0;
        for line in BufReader::new(stream).split(b'\n') {
            let Ok(line) = line else { break };
            kept += line.len();
            if kept > OUTPUT_CAP {
                continue;
            }
            if let Ok(frame) = serde_json::from_slice(&line) {
                frames.push(frame);
            }
        }
        let _ = tx.send(frames);
    });
    rx
}

/// The supervisor's one line, once it has exited.
fn read_report(stream: UnixStream) -> Option<Report> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    serde_json::from_str(&line).ok()
}

/// 128 random bits, as hex.
fn new_proof() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    grader_sandbox::sys::random_bytes(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Is `::1` there to bind?
pub fn has_ipv6_loopback() -> bool {
    TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
}

/// Makes this process a child subreaper where the platform has one: what a
/// killed supervisor leaves comes to us, to be killed ([`sweep_orphans`]).
/// Elsewhere a check whose supervisor dies ends itself and what it started
/// (its parent link). Call it once, early.
pub fn become_subreaper() {
    let _ = SUBREAPER.set(grader_sandbox::sys::become_subreaper());
}

/// Did [`become_subreaper`] make us one?
static SUBREAPER: OnceLock<bool> = OnceLock::new();

/// Children of ours that we did not start (orphans handed to us as a
/// subreaper), and their descendants, are killed and reaped.
pub fn sweep_orphans() {
    if SUBREAPER.get() != Some(&true) {
        return;
    }
    let ours = started().lock().unwrap_or_else(|e| e.into_inner()).clone();
    grader_sandbox::procs::sweep_descendants(&ours, Duration::from_secs(3));
}

/// The pids of the supervisors we started and have not reaped.
fn started() -> &'static Mutex<Vec<i32>> {
    static STARTED: OnceLock<Mutex<Vec<i32>>> = OnceLock::new();
    STARTED.get_or_init(Default::default)
}

/// Uids for checks running at the same time: each check leases one of its
/// own ([`grader_sandbox::uids`]), so that killing every process of its uid
/// touches no other check, of this grader or of another on the machine.
#[derive(Debug, Default)]
struct Slots {
    lock: Mutex<()>,
    freed: Condvar,
}

struct Slot<'a> {
    slots: &'a Slots,
    uid: u32,
    _lease: grader_sandbox::uids::Lease,
}

impl Slots {
    fn take(&self, uids: Uids) -> io::Result<Slot<'_>> {
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            for uid in uids.checks() {
                if let Some(lease) = grader_sandbox::uids::lease(uid)? {
                    return Ok(Slot {
                        slots: self,
                        uid,
                        _lease: lease,
                    });
                }
            }
            // All taken (by our checks, or another grader's): wait for one
            // of ours to end, or look again shortly for another's.
            guard = self
                .freed
                .wait_timeout(guard, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.slots.freed.notify_one();
    }
}

type Drain = mpsc::Receiver<Vec<u8>>;

/// Reads a pipe to its end on a thread of its own, keeping at most
/// [`OUTPUT_CAP`] bytes.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> Option<Drain> {
    let mut pipe = pipe?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        let mut dropped = 0usize;
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = OUTPUT_CAP.saturating_sub(kept.len()).min(n);
                    kept.extend_from_slice(&buf[..room]);
                    dropped += n - room;
                }
            }
        }
        if dropped > 0 {
            kept.extend_from_slice(format!("\n[{dropped} more bytes not kept]\n").as_bytes());
        }
        let _ = tx.send(kept);
    });
    Some(rx)
}

/// What a drained pipe held; gives up after a few seconds (the supervisor
/// killed everything that could hold it open, so this is only a backstop).
fn collect(rx: Option<Drain>) -> String {
    let bytes = rx
        .and_then(|rx| rx.recv_timeout(Duration::from_secs(5)).ok())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
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

/// Runs `cmd` and records it as ours, so that [`sweep_orphans`] spares it.
pub fn spawn_tracked(cmd: &mut Command) -> io::Result<std::process::Child> {
    let mut ours = started().lock().unwrap_or_else(|e| e.into_inner());
    let child = cmd.spawn()?;
    ours.push(child.id() as i32);
    Ok(child)
}

/// The path of `name` next to `exe`'s directory, if it exists there.
pub fn sibling(exe: &Path, name: &str) -> Option<PathBuf> {
    let p = exe.parent()?.join(name);
    p.is_file().then_some(p)
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
        assert!(o.explain().contains("left 2 processes running"));
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

    #[test]
    fn proofs_differ() {
        let a = new_proof().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_proof().unwrap());
    }
}
