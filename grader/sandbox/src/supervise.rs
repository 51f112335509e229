//! The supervisor of one check: `grader-sandbox supervise`.
//!
//! The grader runs each check in a process of its own, and that process
//! links the code under test. Whatever keeps a deadline, kills what the
//! check left behind and tells how the check ended must therefore live in
//! another executable, one that links no student code: a lab crate that
//! defined `kill` or `waitid` (it cannot: the lab crates forbid `unsafe`,
//! but this is the second wall) changes nothing here.
//!
//! ```text
//! grader (front end)                   grader-sandbox supervise           check process
//!   socketpair: fd 3 ─────────────────────────── passed through ───────▶ fd 3 (secret in,
//!   socketpair: fd 4 ◀── report, one JSON line                             steps and verdict out)
//!   stdout/stderr pipes ◀──────────────────────────────────────────────── student output
//! ```
//!
//! The supervisor:
//! 1. on Linux, makes itself a *child subreaper* ([`sys::become_subreaper`]):
//!    every process the check starts stays below it, `setsid` or not;
//! 2. makes itself undumpable ([`sys::make_undumpable`]), so a process of
//!    the same uid cannot read its descriptors or memory;
//! 3. starts the check in a process group of its own, as the unprivileged
//!    `--uid` when one is given (it must then be root; the uid then also
//!    gets a process limit of its own), dying with it: on Linux by
//!    `PR_SET_PDEATHSIG`, elsewhere through a socket on fd 5 that only the
//!    supervisor holds the other end of (the check watches it);
//! 4. waits for its exit, at most `--deadline-ms` — without a subreaper
//!    ([`sys::Containment::Tracking`]), looking at the process table every
//!    few milliseconds meanwhile to remember what the check starts;
//! 5. kills the check's group, then everything left: every process of the
//!    uid at once when there is one ([`procs::sweep_uid`]), and every
//!    descendant ([`procs::sweep_descendants`]) or every process it saw
//!    ([`procs::Tracker::sweep`]); with a uid, also what it left in `/tmp`,
//!    `/var/tmp` and `/dev/shm` ([`crate::files::remove_files_of`]);
//! 6. writes a [`Report`] on fd 4 and exits.
//!
//! It knows nothing of checks, secrets or verdicts: that protocol is the
//! grader's (`grader/src/runner.rs`).

use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::procs::{self, Tracker};
use crate::sys::{self, Containment};

/// The fd on which the check process finds its channel to the grader.
pub const CHECK_FD: RawFd = 3;
/// The fd on which the supervisor writes its [`Report`].
pub const REPORT_FD: RawFd = 4;
/// Without `PR_SET_PDEATHSIG` ([`Containment::Tracking`]): the fd on which
/// the check finds a socket whose other end only its supervisor holds. EOF
/// there means the supervisor is gone.
pub const PARENT_FD: RawFd = 5;
/// Set in the check's environment when it has a [`PARENT_FD`].
pub const PARENT_FD_ENV: &str = "GRADER_PARENT_FD";
/// Without a subreaper: a random mark in the check's environment, which
/// whatever it starts inherits, so the sweep finds a process that detached
/// itself (`setsid`, a double fork) and lost its parent before the tracker
/// looked. Code that clears its environment first can still escape it.
pub const MARK_ENV: &str = "GRADER_CHECK_MARK";

/// How often the supervisor looks at the process table while the check
/// runs, without a subreaper: a process that detaches itself and whose
/// parent exits within this window can escape the sweep.
const LOOK_EVERY: Duration = Duration::from_millis(10);

/// Most processes a check may have at once when it runs as a uid of its own
/// (`RLIMIT_NPROC`, counted per uid, threads included): far more than any
/// check needs (lab 5 runs a hundred clients and as many server threads).
const MAX_PROCESSES: libc::rlim_t = 2048;

/// How long the supervisor keeps killing leftovers before it gives up.
const SWEEP_LIMIT: Duration = Duration::from_secs(3);

/// What the supervisor tells the grader, as one JSON line on fd 4.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The check process's exit status, if it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    /// Killed at the deadline.
    pub timed_out: bool,
    /// Processes still running after the check process had ended (left
    /// by the code under test); all were killed.
    pub leftovers: usize,
    /// Some of their command names.
    pub leftover_names: Vec<String>,
    /// The sweep could not stop processes that kept appearing.
    pub gave_up: bool,
    /// The uid the check ran as, when it was not the grader's.
    pub uid: Option<u32>,
    /// The check could not be started, and why.
    pub error: Option<String>,
    /// Wall time from start to the end of the sweep, in milliseconds.
    pub elapsed_ms: u64,
}

/// What to supervise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Hard deadline of the check process.
    pub deadline: Duration,
    /// Run it as this uid (and gid); needs root.
    pub uid: Option<u32>,
    /// Most address space each of its processes may have (`RLIMIT_AS`,
    /// inherited by what it starts): a bound on a build's memory.
    pub memory: Option<u64>,
    /// The program and its arguments.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

/// `--deadline-ms N [--uid U] [--memory-limit BYTES] -- PROGRAM ARGS…`.
pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut deadline = None;
    let mut uid = None;
    let mut memory = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--deadline-ms" => {
                let v = it.next().ok_or("--deadline-ms needs a value")?;
                let ms: u64 = v.parse().map_err(|_| format!("bad --deadline-ms {v:?}"))?;
                deadline = Some(Duration::from_millis(ms));
            }
            "--uid" => {
                let v = it.next().ok_or("--uid needs a value")?;
                uid = Some(v.parse().map_err(|_| format!("bad --uid {v:?}"))?);
            }
            "--memory-limit" => {
                let v = it.next().ok_or("--memory-limit needs a value")?;
                memory = Some(v.parse().map_err(|_| format!("bad --memory-limit {v:?}"))?);
            }
            "--" => {
                let program = it.next().ok_or("no program after --")?;
                return Ok(Options {
                    deadline: deadline.ok_or("--deadline-ms is required")?,
                    uid,
                    memory,
                    program: PathBuf::from(program),
                    args: it.cloned().collect(),
                });
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Err("no program (`-- PROGRAM ARGS…`)".to_string())
}

/// The supervisor's whole life, in the `grader-sandbox supervise` process.
/// Writes the report on fd 4; returns an error only when even that is
/// impossible.
pub fn run(opts: &Options) -> io::Result<()> {
    let started = Instant::now();
    // SAFETY: fd 4 was handed to us by the grader for this purpose; we own it.
    let mut report_out = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(REPORT_FD) });
    sys::set_cloexec(report_out.as_raw_fd())?;
    let mut report = supervise(opts);
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    let line = serde_json::to_string(&report).map_err(io::Error::other)?;
    writeln!(report_out, "{line}")
}

fn supervise(opts: &Options) -> Report {
    let mut report = Report {
        uid: opts.uid,
        ..Report::default()
    };
    sys::become_subreaper();
    sys::make_undumpable();
    if opts.uid.is_some() && !sys::is_root() {
        report.error = Some("--uid needs root".to_string());
        return report;
    }
    let mut cmd = Command::new(&opts.program);
    cmd.args(&opts.args).process_group(0);
    if let Some(uid) = opts.uid {
        // std drops the supplementary groups (setgroups(0)) when root sets a uid.
        cmd.uid(uid).gid(uid);
    }
    let limit_processes = opts.uid.is_some();
    let memory = opts.memory;
    // SAFETY: setrlimit is async-signal-safe; nothing is allocated.
    unsafe {
        cmd.pre_exec(move || {
            // A bound on memory: an allocation past it fails (rustc says
            // so, or aborts) instead of taking the machine down.
            if let Some(bytes) = memory {
                let limit = libc::rlimit {
                    rlim_cur: bytes as libc::rlim_t,
                    rlim_max: bytes as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // A uid of its own, so a process limit of its own: a fork bomb
            // stops at MAX_PROCESSES instead of filling the machine.
            if limit_processes {
                let limit = libc::rlimit {
                    rlim_cur: MAX_PROCESSES,
                    rlim_max: MAX_PROCESSES,
                };
                if libc::setrlimit(libc::RLIMIT_NPROC, &limit) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    // Die with the supervisor (pre_exec closures run after the uid change,
    // which would clear a parent-death signal set before it).
    sys::die_with_parent(&mut cmd);
    // Without a parent-death signal: a socket whose other end we hold, as
    // the check's fd 5; it sees EOF when we are gone.
    let _parent_link = match CONTAINMENT_TRACKS {
        true => match parent_link(&mut cmd) {
            Ok(ours) => Some(ours),
            Err(e) => {
                report.error = Some(format!("cannot make the parent link: {e}"));
                return report;
            }
        },
        false => None,
    };
    let mark = CONTAINMENT_TRACKS.then(new_mark).flatten();
    if let Some(mark) = &mark {
        cmd.env(MARK_ENV, mark);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(format!("cannot start {}: {e}", opts.program.display()));
            return report;
        }
    };
    // The check holds its channel now; ours would keep the grader from
    // seeing its end.
    // SAFETY: closing an fd we were given and no longer use.
    unsafe {
        libc::close(CHECK_FD);
    }
    let pid = child.id() as i32;

    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        wait_exit_no_reap(pid);
        let _ = tx.send(());
    });
    let mut tracker = CONTAINMENT_TRACKS.then(|| match &mark {
        Some(mark) => Tracker::new(pid).with_token(format!("{MARK_ENV}={mark}")),
        None => Tracker::new(pid),
    });
    if let Some(t) = &tracker {
        watch_grader(t.clone());
    }
    report.timed_out = match &mut tracker {
        None => rx.recv_timeout(opts.deadline).is_err(),
        Some(t) => wait_tracking(&rx, t, opts.deadline),
    };
    if report.timed_out {
        procs::kill_group(pid);
        procs::kill(pid);
    }

    // Everything left now was started by the code under test, or by a
    // check that was killed at its deadline.
    let mut names = Vec::new();
    let mut killed = 0;
    if let Some(uid) = opts.uid {
        match procs::sweep_uid(uid) {
            Ok(before) => {
                for p in before.iter().filter(|p| p.pid != pid) {
                    killed += 1;
                    if names.len() < 5 && !names.contains(&p.comm) {
                        names.push(p.comm.clone());
                    }
                }
                // No process of the uid is left: neither is what it wrote
                // where every user may write.
                crate::files::remove_files_of(uid);
            }
            Err(e) => report.error = Some(e.to_string()),
        }
    }
    let swept = match &mut tracker {
        None => procs::sweep_descendants(&[pid], SWEEP_LIMIT),
        Some(t) => t.sweep(&[pid], SWEEP_LIMIT),
    };
    if opts.uid.is_none() {
        killed = swept.killed;
        names = swept.names.clone();
    }
    // Anything still in the check's group (its members were swept above;
    // this is for a group whose leader outlived the sweep's view).
    procs::kill_group(pid);
    report.leftovers = killed;
    report.leftover_names = names;
    report.gave_up = swept.gave_up;

    match child.wait() {
        Ok(status) => describe(&mut report, status),
        Err(e) => report.error = Some(format!("cannot wait for the check: {e}")),
    }
    // Zombies that were reparented to us while we waited.
    procs::reap_all();
    report
}

fn describe(report: &mut Report, status: ExitStatus) {
    use std::os::unix::process::ExitStatusExt as _;
    report.exit_code = status.code();
    report.signal = status.signal();
}

/// Does this build track the check through the process table (no
/// subreaper, no parent-death signal)?
const CONTAINMENT_TRACKS: bool = matches!(sys::CONTAINMENT, Containment::Tracking);

/// Waits for the check's exit (`exited`), at most `deadline`, looking at the
/// process table meanwhile; true if the deadline passed.
fn wait_tracking(exited: &mpsc::Receiver<()>, tracker: &mut Tracker, deadline: Duration) -> bool {
    let until = Instant::now() + deadline;
    loop {
        tracker.look();
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        match exited.recv_timeout(left.min(LOOK_EVERY)) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Without a parent-death signal: when the grader that started us is gone
/// (the other end of our report socket closes), kill the check and what it
/// started, and exit.
fn watch_grader(mut tracker: Tracker) {
    std::thread::spawn(move || {
        sys::wait_for_hangup(REPORT_FD);
        tracker.sweep(&[], SWEEP_LIMIT);
        // SAFETY: _exit ends the process at once.
        unsafe { libc::_exit(3) }
    });
}

/// 64 random bits as hex, for [`MARK_ENV`].
fn new_mark() -> Option<String> {
    let mut bytes = [0u8; 8];
    sys::random_bytes(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Gives the child `cmd` starts one end of a new socket pair as its fd
/// [`PARENT_FD`] (named in its environment), and returns the other end,
/// which the caller keeps open for as long as it lives.
fn parent_link(cmd: &mut Command) -> io::Result<std::os::unix::net::UnixStream> {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
    let theirs = OwnedFd::from(theirs);
    cmd.env(PARENT_FD_ENV, PARENT_FD.to_string());
    // SAFETY: only async-signal-safe calls (fcntl, dup2); the fd is moved
    // into the closure and lives as long as the command.
    unsafe {
        cmd.pre_exec(move || {
            let fd = theirs.as_raw_fd();
            let ok = if fd == PARENT_FD {
                libc::fcntl(fd, libc::F_SETFD, 0) == 0
            } else {
                libc::dup2(fd, PARENT_FD) == PARENT_FD
            };
            if ok {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        });
    }
    Ok(ours)
}

/// Blocks until `pid` has exited, leaving it to be reaped by `Child::wait`.
fn wait_exit_no_reap(pid: i32) {
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
        if rc == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// In the grader: the command that runs `program` under the supervisor at
/// `sandbox`, with `check` as the check's fd 3 and `report` as the
/// supervisor's fd 4. The command dies with the thread that spawns it.
/// Its environment is cleared: add what the check needs.
pub fn command(
    sandbox: &Path,
    deadline: Duration,
    uid: Option<u32>,
    memory: Option<u64>,
    program: &Path,
    check: OwnedFd,
    report: OwnedFd,
) -> Command {
    let mut cmd = Command::new(sandbox);
    cmd.arg("supervise")
        .arg("--deadline-ms")
        .arg(deadline.as_millis().to_string());
    if let Some(uid) = uid {
        cmd.arg("--uid").arg(uid.to_string());
    }
    if let Some(bytes) = memory {
        cmd.arg("--memory-limit").arg(bytes.to_string());
    }
    cmd.arg("--").arg(program);
    crate::isolation::scrub_env(&mut cmd, &[]);
    // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and
    // exec; the two fds are moved into the closure and live as long as the
    // command.
    unsafe {
        cmd.pre_exec(move || {
            // Move both out of the way of 3 and 4 first (either may be 3 or 4).
            let a = libc::fcntl(check.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10);
            let b = libc::fcntl(report.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10);
            if a < 0 || b < 0 {
                return Err(io::Error::last_os_error());
            }
            // dup2 clears close-on-exec on the copies at 3 and 4.
            if libc::dup2(a, CHECK_FD) < 0 || libc::dup2(b, REPORT_FD) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // Without a parent-death signal, the supervisor watches fd 4 instead.
    sys::die_with_parent(&mut cmd);
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments() {
        let o = parse_args(&strings(&["--deadline-ms", "1500", "--", "/bin/x", "a"])).unwrap();
        assert_eq!(o.deadline, Duration::from_millis(1500));
        assert_eq!(o.uid, None);
        assert_eq!(o.program, PathBuf::from("/bin/x"));
        assert_eq!(o.args, vec!["a"]);
        let o = parse_args(&strings(&[
            "--uid",
            "47000",
            "--deadline-ms",
            "1",
            "--",
            "p",
        ]))
        .unwrap();
        assert_eq!(o.uid, Some(47000));
        let o = parse_args(&strings(&[
            "--deadline-ms",
            "1",
            "--memory-limit",
            "4096",
            "--",
            "p",
        ]))
        .unwrap();
        assert_eq!(o.memory, Some(4096));
        assert!(parse_args(&strings(&["--", "p"])).is_err());
        assert!(parse_args(&strings(&["--deadline-ms", "x", "--", "p"])).is_err());
        assert!(parse_args(&strings(&["--deadline-ms", "1"])).is_err());
    }

    #[test]
    fn report_round_trips() {
        let r = Report {
            exit_code: Some(0),
            leftovers: 2,
            leftover_names: vec!["sleep".into()],
            ..Report::default()
        };
        let line = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&line).unwrap(), r);
    }
}
