//! Linux: the process table and a process's resources from `/proc`; the
//! child subreaper and parent-death signal from `prctl`.

use std::fs;
use std::io;
use std::os::unix::process::CommandExt as _;
use std::process::Command;
use std::time::Duration;

use super::ProcInfo;

/// Parses `/proc/PID/stat`: `pid (comm) state ppid pgrp …`. The command
/// name may hold spaces and parentheses, so the fields after it are found
/// from the last `)`. Returns the pid, the name and the fields after it
/// (the state is the first).
pub fn parse_stat(text: &str) -> Option<(i32, String, Vec<&str>)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_string();
    let rest = text.get(close + 1..)?.split_whitespace().collect();
    Some((pid, comm, rest))
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

/// One process; its uid only when `with_uid` (one more file to read).
fn read(pid: i32, with_uid: bool) -> Option<ProcInfo> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (pid, comm, rest) = parse_stat(&stat)?;
    let state = rest.first()?.chars().next()?;
    let ppid = rest.get(1)?.parse().ok()?;
    let pgid = rest.get(2)?.parse().ok()?;
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
        pgid,
        zombie: state == 'Z' || state == 'X',
        uid,
        comm,
    })
}

pub(super) fn process_info(pid: i32) -> Option<ProcInfo> {
    read(pid, true)
}

pub(super) fn process_table() -> io::Result<Vec<ProcInfo>> {
    scan(true)
}

pub(super) fn process_table_quick() -> io::Result<Vec<ProcInfo>> {
    scan(false)
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

pub(super) fn command_line(pid: i32) -> Option<String> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        String::from_utf8_lossy(&raw)
            .replace('\0', " ")
            .trim_end()
            .to_string(),
    )
}

/// The raw `/proc/PID/environ` (`NAME=value` strings, NUL-separated).
pub(super) fn environment(pid: i32) -> Option<Vec<u8>> {
    fs::read(format!("/proc/{pid}/environ")).ok()
}

pub(super) fn open_fds(pid: i32) -> io::Result<Vec<i32>> {
    let mut fds = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        if let Some(fd) = entry?.file_name().to_str().and_then(|n| n.parse().ok()) {
            fds.push(fd);
        }
    }
    Ok(fds)
}

/// The `flags:` line of `/proc/PID/fdinfo/FD` (octal).
fn fd_flags(pid: i32, fd: i32) -> io::Result<u32> {
    let info = fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}"))?;
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .ok_or_else(|| io::Error::other(format!("no flags in /proc/{pid}/fdinfo/{fd}")))
}

pub(super) fn fd_is_nonblocking(pid: i32, fd: i32) -> io::Result<bool> {
    Ok(fd_flags(pid, fd)? & libc::O_NONBLOCK as u32 != 0)
}

pub(super) fn fd_is_socket(pid: i32, fd: i32) -> io::Result<bool> {
    let target = fs::read_link(format!("/proc/{pid}/fd/{fd}"))?;
    Ok(target.to_string_lossy().starts_with("socket:"))
}

pub(super) fn thread_count(pid: i32) -> io::Result<usize> {
    Ok(fs::read_dir(format!("/proc/{pid}/task"))?.count())
}

pub(super) fn resident_bytes(pid: i32) -> io::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| io::Error::other(format!("no VmRSS line in /proc/{pid}/status")))
}

pub(super) fn cpu_time(pid: i32) -> io::Result<Duration> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // utime and stime are fields 14 and 15 of the line; the state, right
    // after the name, is field 3.
    let ticks = parse_stat(&stat).and_then(|(_, _, rest)| {
        let u: u64 = rest.get(11)?.parse().ok()?;
        let s: u64 = rest.get(12)?.parse().ok()?;
        Some(u + s)
    });
    let ticks = ticks.ok_or_else(|| io::Error::other(format!("no utime/stime in {stat:?}")))?;
    // SAFETY: sysconf reads a constant of the system.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Ok(Duration::from_micros(ticks * 1_000_000 / per_second))
}

pub(super) fn time_wait_count(port: u16) -> Option<usize> {
    let mut count = 0;
    let mut read_any = false;
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        read_any = true;
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            // state 06 is TIME_WAIT
            if local_port == Some(port) && fields.get(3) == Some(&"06") {
                count += 1;
            }
        }
    }
    read_any.then_some(count)
}

pub(super) fn time_wait_sockets() -> Option<u64> {
    let stat = fs::read_to_string("/proc/net/sockstat").ok()?;
    let tcp = stat.lines().find(|l| l.starts_with("TCP:"))?;
    let mut words = tcp.split_whitespace();
    words.find(|&w| w == "tw")?;
    words.next()?.parse().ok()
}

pub(super) fn context_switches() -> Option<u64> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    stat.lines()
        .find_map(|l| l.strip_prefix("ctxt "))
        .and_then(|n| n.trim().parse().ok())
}

pub(super) fn available_memory() -> Option<u64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

pub(super) fn random_bytes(buf: &mut [u8]) -> io::Result<()> {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: getrandom writes at most the given length into our buffer.
        let n = unsafe { libc::getrandom(buf[got..].as_mut_ptr().cast(), buf.len() - got, 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        } else {
            got += n as usize;
        }
    }
    Ok(())
}

pub(super) fn become_subreaper() -> bool {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 }
}

pub(super) fn make_undumpable() {
    // SAFETY: prctl with integer arguments.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// `PR_SET_PDEATHSIG` in the child, after any uid change (which clears it).
pub(super) fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe; the closure touches no shared state.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_odd_command_names() {
        let (pid, comm, rest) = parse_stat("42 (sh) S 7 42 42 0 -1").unwrap();
        assert_eq!((pid, comm.as_str(), rest[0], rest[1]), (42, "sh", "S", "7"));
        let (pid, comm, rest) = parse_stat("9 (a (b) c) Z 1 9").unwrap();
        assert_eq!(
            (pid, comm.as_str(), rest[0], rest[1]),
            (9, "a (b) c", "Z", "1")
        );
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn uid_line() {
        let status = "Name:\tsleep\nUid:\t47000\t47000\t47000\t47000\nGid:\t0\n";
        assert_eq!(parse_uid(status), Some(47000));
        assert_eq!(parse_uid("Name:\tx\n"), None);
    }
}
