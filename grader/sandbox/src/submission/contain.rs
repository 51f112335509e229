//! Running one command of official grading (the build, the grader front
//! end) under the supervisor: its deadline, its uid, its memory and its
//! output bounded, everything it leaves killed; and the sweep of the job's
//! uids after the front end.

use std::io::{BufRead as _, BufReader};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::Grading;
use crate::procs;
use crate::supervise::{self, Report};
use crate::sys::is_root;
use crate::sys::netns;

/// What a contained command did.
pub(super) struct Ran {
    pub(super) timed_out: bool,
    pub(super) leftovers: usize,
    pub(super) stdout: String,
    pub(super) stderr: String,
    /// Bytes of output past [`Contain::output`], not kept.
    pub(super) cut: usize,
}

/// How to run a contained command.
pub(super) struct Contain {
    /// Its deadline.
    pub(super) limit: Duration,
    /// In a network namespace of its own.
    pub(super) isolate: bool,
    /// As this uid (needs root).
    pub(super) uid: Option<u32>,
    /// `RLIMIT_AS` of each of its processes.
    pub(super) memory: Option<u64>,
    /// Most output kept per stream.
    pub(super) output: usize,
}

/// Runs `cmd` under the supervisor `sandbox` (a subreaper that kills
/// everything left at its end, as each check gets), as `how` says.
pub(super) fn contained(sandbox: &Path, cmd: Command, how: Contain) -> Result<Ran, String> {
    let (report_ours, report_theirs) =
        UnixStream::pair().map_err(|e| format!("cannot make a socket: {e}"))?;
    let dev_null = std::fs::File::open("/dev/null").map_err(|e| format!("/dev/null: {e}"))?;
    let mut sup = supervise::command(
        sandbox,
        how.limit,
        how.uid,
        how.memory,
        Path::new(cmd.get_program()),
        OwnedFd::from(dev_null),
        OwnedFd::from(report_theirs),
    );
    sup.args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        sup.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            sup.env(k, v);
        }
    }
    sup.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if how.isolate {
        netns::isolate(&mut sup);
    }
    let mut child = sup
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", sandbox.display()))?;
    drop(sup);
    let out = keep_at_most(child.stdout.take(), how.output);
    let err = keep_at_most(child.stderr.take(), how.output);
    let status = child.wait().map_err(|e| format!("cannot wait: {e}"))?;
    let (stdout, cut_out) = out.join().unwrap_or_default();
    let (stderr, cut_err) = err.join().unwrap_or_default();
    let mut line = String::new();
    let _ = BufReader::new(report_ours).read_line(&mut line);
    let report: Report = serde_json::from_str(&line)
        .map_err(|_| format!("the supervisor ended without a report ({status}): {stderr}"))?;
    if let Some(e) = report.error {
        return Err(e);
    }
    Ok(Ran {
        timed_out: report.timed_out,
        leftovers: report.leftovers,
        stdout,
        stderr,
        cut: cut_out + cut_err,
    })
}

/// Reads `pipe` to its end on a thread of its own, keeping its first
/// `most` bytes; gives them and how many more there were.
pub(super) fn keep_at_most(
    pipe: Option<impl std::io::Read + Send + 'static>,
    most: usize,
) -> std::thread::JoinHandle<(String, usize)> {
    std::thread::spawn(move || {
        let Some(mut pipe) = pipe else {
            return (String::new(), 0);
        };
        let (kept, cut) = crate::files::read_at_most(&mut pipe, most);
        (String::from_utf8_lossy(&kept).into_owned(), cut)
    })
}

/// Kills every process of every uid this grading may have used and that no
/// other grader holds now (a uid another grader has leased is its own).
pub(super) fn sweep_uids(grading: &Grading) {
    let (Some(uids), true) = (grading.isolation.uids, is_root()) else {
        return;
    };
    let mut found: Vec<u32> = procs::all()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !p.zombie && uids.all().contains(&p.uid))
        .map(|p| p.uid)
        .collect();
    found.sort_unstable();
    found.dedup();
    for uid in found {
        if let Ok(Some(_lease)) = crate::uids::lease(uid) {
            let _ = procs::sweep_uid(uid);
        }
    }
}
