//! The process table, read from `/proc`, and the two ways to empty a
//! corner of it: kill every descendant (a subreaper's children), or kill
//! every process of one uid.
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

use std::fs;
use std::io;
use std::time::{Duration, Instant};

/// One line of the process table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcInfo {
    /// Process id.
    pub pid: i32,
    /// Parent process id.
    pub ppid: i32,
    /// The state letter of `/proc/PID/stat` (`R`, `S`, `Z`, …).
    pub state: char,
    /// Real uid.
    pub uid: u32,
    /// The command name (`comm`), for messages.
    pub comm: String,
}

impl ProcInfo {
    /// A zombie has exited: it only waits to be reaped.
    pub fn is_zombie(&self) -> bool {
        self.state == 'Z' || self.state == 'X'
    }
}

/// Parses `/proc/PID/stat`: `pid (comm) state ppid …`. The command name may
/// hold spaces and parentheses, so the fields after it are found from the
/// last `)`.
pub fn parse_stat(text: &str) -> Option<(i32, String, char, i32)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_string();
    let mut rest = text.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((pid, comm, state, ppid))
}

/// The real uid from `/proc/PID/status` (`Uid:\treal\teffective\t…`).
pub fn parse_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One process, or `None` if it is gone (or unreadable). Its uid is read
/// only when `with_uid` (one more file per process).
fn read(pid: i32, with_uid: bool) -> Option<ProcInfo> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (pid, comm, state, ppid) = parse_stat(&stat)?;
    // A zombie's status still has its Uid line.
    let uid = if with_uid {
        fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| parse_uid(&s))
            .unwrap_or(u32::MAX)
    } else {
        u32::MAX
    };
    Some(ProcInfo {
        pid,
        ppid,
        state,
        uid,
        comm,
    })
}

/// One process, uid included, or `None` if it is gone.
pub fn info(pid: i32) -> Option<ProcInfo> {
    read(pid, true)
}

fn scan(with_uid: bool) -> io::Result<Vec<ProcInfo>> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if let Some(p) = read(pid, with_uid) {
            found.push(p);
        }
    }
    Ok(found)
}

/// Every process this one can see.
pub fn all() -> io::Result<Vec<ProcInfo>> {
    scan(true)
}

/// The children of `parent`, zombies included (no uids: `uid` is `u32::MAX`).
/// The kernel here may lack `/proc/PID/task/TID/children`, so this reads
/// every `/proc/PID/stat`: a few milliseconds.
pub fn children(parent: i32) -> Vec<ProcInfo> {
    scan(false)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.ppid == parent)
        .collect()
}

/// The live (not zombie) children of `parent`.
pub fn live_children(parent: i32) -> Vec<ProcInfo> {
    children(parent)
        .into_iter()
        .filter(|p| !p.is_zombie())
        .collect()
}

/// The live processes whose real uid is `uid`.
pub fn live_of_uid(uid: u32) -> Vec<ProcInfo> {
    all()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.uid == uid && !p.is_zombie())
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
            if p.is_zombie() {
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

    #[test]
    fn stat_with_odd_command_names() {
        assert_eq!(
            parse_stat("42 (sh) S 7 42 42 0 -1"),
            Some((42, "sh".to_string(), 'S', 7))
        );
        assert_eq!(
            parse_stat("9 (a (b) c) Z 1 9"),
            Some((9, "a (b) c".to_string(), 'Z', 1))
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn uid_line() {
        let status = "Name:\tsleep\nUid:\t47000\t47000\t47000\t47000\nGid:\t0\n";
        assert_eq!(parse_uid(status), Some(47000));
        assert_eq!(parse_uid("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_is_in_the_table() {
        let me = std::process::id() as i32;
        let p = info(me).expect("our own /proc entry");
        assert_eq!(p.pid, me);
        assert!(!p.is_zombie());
    }
}
