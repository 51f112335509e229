//! The supervisor, run as the grader runs it: the built `grader-sandbox
//! supervise` with a socket on fd 4 for its report, over small shell
//! programs that misbehave the ways student code can.

use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use grader_sandbox::procs;
use grader_sandbox::supervise::{self, Report};

/// Runs `sh -c script` under the supervisor; its report and its output.
fn supervise(script: &str, deadline: Duration, uid: Option<u32>) -> (Report, Output) {
    supervise_limited(script, deadline, uid, None)
}

/// [`supervise`] with an address-space limit.
fn supervise_limited(
    script: &str,
    deadline: Duration,
    uid: Option<u32>,
    memory: Option<u64>,
) -> (Report, Output) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let dev_null = std::fs::File::open("/dev/null").unwrap();
    let mut cmd = supervise::command(
        Path::new(env!("CARGO_BIN_EXE_grader-sandbox")),
        deadline,
        uid,
        memory,
        Path::new("/bin/sh"),
        OwnedFd::from(dev_null),
        OwnedFd::from(theirs),
    );
    cmd.arg("-c")
        .arg(script)
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    drop(cmd);
    let out = child.wait_with_output().unwrap();
    let mut line = String::new();
    BufReader::new(ours).read_line(&mut line).unwrap();
    let report = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?} {out:?}"));
    (report, out)
}

/// No process whose command line holds `marker` is left.
fn none_left(marker: &str) {
    for p in procs::all().unwrap() {
        let cmdline = grader_sandbox::sys::command_line(p.pid).unwrap_or_default();
        assert!(
            !cmdline.contains(marker) || p.zombie,
            "left running: {} {cmdline}",
            p.pid
        );
    }
}

/// `--memory-limit` bounds what every process below it may map: an
/// allocation past it fails (here `dd`'s 512 MiB block), one within it
/// does not.
#[test]
fn the_memory_limit_holds() {
    let big = "dd if=/dev/zero of=/dev/null bs=512M count=1 2>/dev/null";
    let (r, _) = supervise_limited(big, Duration::from_secs(10), None, Some(256 << 20));
    assert_ne!(
        r.exit_code,
        Some(0),
        "a 512 MiB buffer under a 256 MiB limit: {r:?}"
    );
    let (r, _) = supervise_limited(big, Duration::from_secs(10), None, Some(2 << 30));
    assert_eq!(
        r.exit_code,
        Some(0),
        "a 512 MiB buffer under a 2 GiB limit: {r:?}"
    );
}

/// A clean exit: its status, nothing left.
#[test]
fn a_clean_exit_is_reported() {
    let (r, _) = supervise("exit 3", Duration::from_secs(10), None);
    assert_eq!(r.exit_code, Some(3));
    assert!(!r.timed_out);
    assert_eq!(r.leftovers, 0);
}

/// A `setsid` daemon and a double fork leave the process group; they are
/// killed all the same, and counted. (The check lives a moment after
/// starting them, as a check does: without a subreaper, the supervisor
/// finds them by looking at the process table while their parent lives.)
#[test]
fn daemons_are_killed_and_counted() {
    let script = "setsid sh -c 'sleep 31.5; : marker-a' & (sh -c 'sleep 31.6; : marker-b' &) ; \
                  sleep 0.2; exit 0";
    let (r, _) = supervise(script, Duration::from_secs(10), None);
    assert_eq!(r.exit_code, Some(0));
    assert!(r.leftovers >= 2, "{r:?}");
    assert!(!r.gave_up);
    none_left("marker-a");
    none_left("marker-b");
}

/// A `setsid` daemon whose parent exits at once: below the subreaper on
/// Linux; found by the mark in its environment where the supervisor tracks
/// the process table (macOS, the `portable` build), though no look saw it.
#[test]
fn a_daemon_detached_at_once_is_found() {
    let (r, _) = supervise(
        "setsid sh -c 'sleep 31.7; : marker-e' & exit 0",
        Duration::from_secs(10),
        None,
    );
    assert_eq!(r.exit_code, Some(0));
    assert!(r.leftovers >= 1, "{r:?}");
    none_left("marker-e");
}

/// A hang is killed at the deadline, with what it started.
#[test]
fn the_deadline_is_kept() {
    let started = Instant::now();
    let (r, _) = supervise(
        "sh -c 'sleep 32.5; : marker-c' & sleep 30",
        Duration::from_millis(300),
        None,
    );
    assert!(r.timed_out, "{r:?}");
    assert_eq!(r.signal, Some(libc::SIGKILL));
    assert!(started.elapsed() < Duration::from_secs(10));
    none_left("marker-c");
}

/// As root: the program runs as the uid, gets a process limit, and every
/// process of that uid is gone afterwards, and so is what it wrote in the
/// directories every user may write to.
#[test]
fn as_root_it_runs_unprivileged() {
    if !grader_sandbox::sys::is_root() {
        eprintln!("not root: the unprivileged uid is not tested here");
        return;
    }
    let uid = 47_099;
    let left = std::path::Path::new("/tmp").join(format!("left-by-47099-{}", std::process::id()));
    let (r, out) = supervise(
        &format!(
            "id -u; ulimit -H -p 2>/dev/null || ulimit -H -u; ulimit -S -p 2>/dev/null || ulimit -S -u; \
             mkdir {0} && echo inputs >{0}/seen && test -f {0}/seen && echo wrote; \
             setsid sh -c 'sleep 33.5; : marker-d' & exit 0",
            left.display()
        ),
        Duration::from_secs(10),
        Some(uid),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("47099"), "{text}");
    // the process limit, hard then soft (dash calls it -p, bash -u)
    assert_eq!(lines.next(), Some("2048"), "{text}");
    assert_eq!(lines.next(), Some("2048"), "{text}");
    assert_eq!(lines.next(), Some("wrote"), "{text}");
    assert_eq!(r.uid, Some(uid));
    assert!(r.leftovers >= 1, "{r:?}");
    assert!(procs::live_of_uid(uid).is_empty());
    none_left("marker-d");
    assert!(!left.exists(), "{} was left behind", left.display());
}
