//! The ways to empty a corner of the process table ([`crate::sys`] reads
//! it): kill every descendant (a subreaper's children), kill every process
//! the check was seen to start (where there is no subreaper: [`Tracker`]),
//! or kill every process of one uid.
//!
//! Why both: as any user, a process that called `PR_SET_CHILD_SUBREAPER`
//! inherits every orphan below it — `setsid` and double forks change the
//! session and the parent, never the ancestry — so killing its children
//! again and again, until none is left, empties the tree. That loop can be
//! raced by a process that forks and exits without pause (each new child is
//! ours only once its parent is gone), so it has a time bound. As root, with
//! the code under test running under a uid of its own, `kill(-1, SIGKILL)`
//! sent *as that uid* reaches every process of the uid at once: the kernel
//! signals them all under one lock that `fork` also takes, so nothing new
//! can appear half-way. That is the sweep official grading uses, and the
//! subreaper loop then only reaps.

//!
//! Without a subreaper (macOS, or a `portable` build) an orphan is handed to
//! init, and its parent link to the check is gone. So the supervisor looks
//! at the table while the check runs ([`Tracker::look`]) and remembers every
//! descendant and every process group it saw; at the end it kills those,
//! their groups, and whatever they started since, until none is left. What
//! it cannot see that way: a process that leaves the check's group and whose
//! parent exits, both between two looks; for those, the sweep also takes
//! every process whose environment holds the check's mark
//! ([`Tracker::with_token`]), which only one that cleared its environment
//! escapes.

use std::io;
use std::time::{Duration, Instant};

use crate::sys;

pub use crate::sys::ProcInfo;

/// One process, uid included, or `None` if it is gone.
pub fn info(pid: i32) -> Option<ProcInfo> {
    sys::process_info(pid)
}

/// Every process this one can see.
pub fn all() -> io::Result<Vec<ProcInfo>> {
    sys::process_table()
}

/// The children of `parent`, zombies included (no uids: `uid` is `u32::MAX`).
pub fn children(parent: i32) -> Vec<ProcInfo> {
    sys::process_table_quick()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.ppid == parent)
        .collect()
}

/// The live (not zombie) children of `parent`.
pub fn live_children(parent: i32) -> Vec<ProcInfo> {
    children(parent).into_iter().filter(|p| !p.zombie).collect()
}

/// The live processes whose real uid is `uid`.
pub fn live_of_uid(uid: u32) -> Vec<ProcInfo> {
    all()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.uid == uid && !p.zombie)
        .collect()
}

/// `SIGKILL` to one process (errors ignored: it may be gone already).
pub fn kill(pid: i32) {
    // SAFETY: kill(2) touches no memory of ours.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

/// `SIGKILL` to a process group (errors ignored).
pub fn kill_group(pgid: i32) {
    if pgid > 1 {
        kill(-pgid);
    }
}

/// Reaps, without blocking, every child of ours that has exited: all of
/// them (`waitpid(-1)`), so call it only when no one else waits for one.
pub fn reap_all() -> usize {
    let mut reaped = 0;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only into `status`.
        if unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) } <= 0 {
            return reaped;
        }
        reaped += 1;
    }
}

fn reap(pid: i32) {
    let mut status = 0;
    // SAFETY: waitpid writes only into `status`.
    unsafe {
        libc::waitpid(pid, &mut status, libc::WNOHANG);
    }
}

/// What a sweep found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Distinct processes that were still running and were killed.
    pub killed: usize,
    /// Their command names, for the message (at most a few).
    pub names: Vec<String>,
    /// The sweep ran out of time with processes still appearing.
    pub gave_up: bool,
}

impl Swept {
    fn note(&mut self, p: &ProcInfo) {
        self.killed += 1;
        if self.names.len() < 5 && !self.names.contains(&p.comm) {
            self.names.push(p.comm.clone());
        }
    }
}

/// Kills every descendant of this process (which must be a child
/// subreaper), except the children in `keep`, until none is left or
/// `limit` has passed; reaps them all except `keep`.
pub fn sweep_descendants(keep: &[i32], limit: Duration) -> Swept {
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    let until = Instant::now() + limit;
    let mut swept = Swept::default();
    let mut seen = Vec::new();
    loop {
        let mut live = Vec::new();
        for p in children(me).into_iter().filter(|p| !keep.contains(&p.pid)) {
            if p.zombie {
                reap(p.pid);
            } else {
                live.push(p);
            }
        }
        if live.is_empty() {
            return swept;
        }
        for p in &live {
            if !seen.contains(&p.pid) {
                seen.push(p.pid);
                swept.note(p);
            }
            // Its group too: a child that made a group of its own takes
            // its members with it before they are orphaned.
            kill_group(p.pid);
            kill(p.pid);
        }
        if Instant::now() >= until {
            swept.gave_up = true;
            return swept;
        }
        // Pacing, not synchronisation: SIGKILL lands asynchronously, and the
        // next pass reads the table again (orphans of the killed ones show
        // up as our children once their parent is gone).
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What a supervisor without a subreaper knows of a check: every process
/// it saw descend from it, and their process groups.
#[derive(Clone, Debug)]
pub struct Tracker {
    pids: Vec<i32>,
    groups: Vec<i32>,
    /// `NAME=value` that the check was started with and that everything it
    /// starts inherits (unless it clears its environment): the last resort
    /// for a process that detached itself before any look saw it.
    token: Option<String>,
}

impl Tracker {
    /// Tracks `root` (a child of ours that leads a process group of its
    /// own) and what it starts.
    pub fn new(root: i32) -> Tracker {
        Tracker {
            pids: vec![root],
            groups: vec![root],
            token: None,
        }
    }

    /// Also tracks every process whose environment holds `token`
    /// (`NAME=value`, set in the check's environment), when it sweeps.
    pub fn with_token(mut self, token: String) -> Tracker {
        self.token = Some(token);
        self
    }

    /// Has this process been seen as one of the check's?
    pub fn has_seen(&self, pid: i32) -> bool {
        self.pids.contains(&pid)
    }

    /// Reads the table once and adds every process whose parent or group
    /// is already known; returns the table.
    pub fn look(&mut self) -> Vec<ProcInfo> {
        let table = sys::process_table_quick().unwrap_or_default();
        // Parents come before their children only by luck: go round until
        // nothing new turns up.
        loop {
            let mut grew = false;
            for p in &table {
                if !self.pids.contains(&p.pid)
                    && (self.pids.contains(&p.ppid) || self.groups.contains(&p.pgid))
                {
                    self.pids.push(p.pid);
                    if !self.groups.contains(&p.pgid) {
                        self.groups.push(p.pgid);
                    }
                    grew = true;
                }
            }
            if !grew {
                return table;
            }
        }
    }

    /// Kills every live process it knows or finds (but those in `keep`),
    /// with their groups, until none is left or `limit` has passed.
    pub fn sweep(&mut self, keep: &[i32], limit: Duration) -> Swept {
        let until = Instant::now() + limit;
        let mut swept = Swept::default();
        let mut seen = Vec::new();
        loop {
            let table = self.look();
            if let Some(token) = &self.token {
                // Detached before any look saw it (its parent gone, its
                // session its own), but still carrying the check's mark.
                for p in &table {
                    if !self.pids.contains(&p.pid)
                        && !p.zombie
                        && sys::environment_contains(p.pid, token)
                    {
                        self.pids.push(p.pid);
                    }
                }
            }
            let live: Vec<&ProcInfo> = table
                .iter()
                .filter(|p| self.pids.contains(&p.pid) && !keep.contains(&p.pid) && !p.zombie)
                .collect();
            for &g in &self.groups {
                kill_group(g);
            }
            if live.is_empty() {
                return swept;
            }
            for p in live {
                if !seen.contains(&p.pid) {
                    seen.push(p.pid);
                    swept.note(p);
                }
                kill(p.pid);
            }
            reap_all_but(keep);
            if Instant::now() >= until {
                swept.gave_up = true;
                return swept;
            }
            // Pacing, not synchronisation: SIGKILL lands asynchronously.
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Kills everything this process started (its descendants, as the table
/// shows them now, and their groups), then its own group, itself included.
/// For a check whose supervisor is gone, where there is no parent-death
/// signal: it must not outlive its supervisor, nor leave anything behind.
pub fn kill_own_tree() -> ! {
    // SAFETY: getpid and getpgrp have no preconditions.
    let (me, group) = unsafe { (libc::getpid(), libc::getpgrp()) };
    let mut tracker = Tracker::new(me);
    tracker.groups.retain(|&g| g != group);
    let table = tracker.look();
    for p in table
        .iter()
        .filter(|p| tracker.has_seen(p.pid) && p.pid != me)
    {
        if p.pgid != group {
            kill_group(p.pgid);
        }
        kill(p.pid);
    }
    kill_group(group);
    kill(me);
    // SAFETY: _exit ends the process at once (should the kill not have).
    unsafe { libc::_exit(3) }
}

/// Reaps, without blocking, the children of ours that have exited, except
/// those in `keep` (someone else waits for them).
fn reap_all_but(keep: &[i32]) {
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    for p in children(me) {
        if p.zombie && !keep.contains(&p.pid) {
            reap(p.pid);
        }
    }
}

/// Kills every process of `uid` at once: forks a child that becomes `uid`
/// (real, effective and saved) and calls `kill(-1, SIGKILL)`, which
/// signals every process that uid may signal, that is its own. Needs root.
/// Returns the processes of `uid` that were running just before.
pub fn sweep_uid(uid: u32) -> io::Result<Vec<ProcInfo>> {
    let before = live_of_uid(uid);
    // SAFETY: the child only calls async-signal-safe functions and _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: in the forked child: setgroups, setgid, setuid, kill and
        // _exit are async-signal-safe; nothing else runs here.
        unsafe {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(uid) != 0
                || libc::setuid(uid) != 0
            {
                libc::_exit(1);
            }
            libc::kill(-1, libc::SIGKILL);
            libc::_exit(0);
        }
    }
    let mut status = 0;
    // SAFETY: waitpid writes only into `status`.
    unsafe {
        libc::waitpid(pid, &mut status, 0);
    }
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        Ok(before)
    } else {
        Err(io::Error::other(format!(
            "could not become uid {uid} to kill its processes"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt as _;
    use std::process::{Command, Stdio};

    #[test]
    fn this_process_is_in_the_table() {
        let me = std::process::id() as i32;
        let p = info(me).expect("our own entry");
        assert_eq!(p.pid, me);
        assert!(!p.zombie);
    }

    /// A tracker finds a grandchild that left the group, as long as it saw
    /// it once, and kills it after its parent is gone.
    #[test]
    fn a_tracker_kills_what_it_saw() {
        let mut root = Command::new("sh")
            .args(["-c", "setsid sleep 30 & echo $!; exec sleep 30"])
            .process_group(0)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(root.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let grandchild: i32 = line.trim().parse().unwrap();
        let mut tracker = Tracker::new(root.id() as i32);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !tracker.has_seen(grandchild) && Instant::now() < deadline {
            tracker.look();
        }
        assert!(
            tracker.has_seen(grandchild),
            "the setsid grandchild was seen"
        );
        kill(root.id() as i32);
        let _ = root.wait();
        let swept = tracker.sweep(&[], Duration::from_secs(5));
        assert!(swept.killed >= 1, "{swept:?}");
        let until = Instant::now() + Duration::from_secs(10);
        while info(grandchild).is_some_and(|p| !p.zombie) && Instant::now() < until {
            std::thread::yield_now();
        }
        assert!(
            info(grandchild).is_none_or(|p| p.zombie),
            "grandchild still alive"
        );
    }
}
