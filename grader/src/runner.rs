//! Runs each check in a process of its own, contained, and believes a pass
//! only on proof.
//!
//! Why a process per check: student code may loop forever (`loop {}` in
//! `readn`), block in `accept`, panic, abort or call `exit`. A thread cannot
//! be killed; a process can. So each check runs in a fresh process of a
//! grader executable, started by the supervisor `grader-sandbox supervise`
//! (an executable that links no student code: see `grader/sandbox`), which
//! kills it at its deadline, kills whatever it left running — `setsid` and
//! double forks included, the supervisor being a child subreaper on Linux
//! (on macOS it tracks the process table) — and, in official grading, runs
//! it as an unprivileged uid of its own.
//!
//! Why proof: a check process that simply exits 0 has proved nothing —
//! `std::process::exit(0)` in `readn` would do that. So the runner hands
//! each check process a fresh random *proof* on a socket (fd 3) that the
//! process reads, marks close-on-exec and keeps before any student code
//! runs. Steps, panics and the verdict come back on that socket as JSON
//! lines ([`Frame`]); a verdict counts only with the proof in it. Student
//! code cannot write there: a socket cannot be reopened by a path under
//! the process's fd directory, safe Rust cannot use a raw fd number, and
//! the fd is not inherited by anything it spawns. What it prints on stdout
//! or stderr is shown as its output and changes nothing.
//!
//! The pieces: [`crate::channel`] and [`crate::check::run_check_if_asked`]
//! are the check process's side; this module is the grader's side
//! ([`Runner`]), shared by `cargo test -p grader` ([`crate::harness`]) and
//! the score report (`main.rs`); [`crate::verdict`] judges what came back.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use grader_sandbox::isolation::{self, Uids};
use grader_sandbox::supervise::{self, Report};

use grader_sandbox::protocol::{CHANNEL_ENV, Frame};

use crate::check::Check;
use crate::host::Host;
use crate::verdict::{Outcome, Verdict, judge};

/// Most output kept from one check process (the rest is counted, not kept).
const OUTPUT_CAP: usize = 256 * 1024;

/// The grader's own margin beyond a check's deadline, in case the
/// supervisor itself does not end.
const BACKSTOP: Duration = Duration::from_secs(10);

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
    /// What this host and run can grade (which checks are skipped).
    pub host: Host,
    /// The run's seed: each check draws its inputs from
    /// [`check_seed`]`(seed, id)` ([`crate::Ctx::seed`]). Random unless
    /// the caller sets it (`--seed`; official grading's is the
    /// submission's).
    pub seed: u64,
    slots: Slots,
}

impl Runner {
    /// A runner; `uids` are used only where this process is root.
    pub fn new(
        exe: PathBuf,
        sandbox: PathBuf,
        env: Vec<(String, String)>,
        uids: Option<Uids>,
        host: Host,
    ) -> Runner {
        Runner {
            exe,
            sandbox,
            env,
            uids,
            host,
            seed: random_seed(),
            slots: Slots::default(),
        }
    }

    /// Runs `check` contained, and says how it ended; a check this host
    /// does not run ([`Host::why_not`]) is skipped, with the reason.
    pub fn run(&self, check: &Check) -> Outcome {
        if let Some(why) = self.host.why_not(check) {
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
        let _ = (&ours).write_all(
            format!(
                "{proof} {} {}\n",
                check.id(),
                check_seed(self.seed, &check.id())
            )
            .as_bytes(),
        );
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
/// A random seed for a run (the time, where the system has no random
/// source).
pub fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    match grader_sandbox::sys::random_bytes(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    }
}

/// The seed of check `id` in a run seeded `run`: each check draws its own
/// inputs, and the same run seed gives every check the same ones again.
pub fn check_seed(run: u64, id: &str) -> u64 {
    let mut bytes = run.to_le_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    grader_sandbox::files::fnv1a(&bytes)
}

fn new_proof() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    grader_sandbox::sys::random_bytes(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
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
        let (mut kept, dropped) = grader_sandbox::files::read_at_most(&mut pipe, OUTPUT_CAP);
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

/// Runs `cmd` and records it as ours, so that [`sweep_orphans`] spares it.
pub fn spawn_tracked(cmd: &mut Command) -> io::Result<std::process::Child> {
    let mut ours = started().lock().unwrap_or_else(|e| e.into_inner());
    let child = cmd.spawn()?;
    ours.push(child.id() as i32);
    Ok(child)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_differ() {
        let a = new_proof().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_proof().unwrap());
    }
}
