//! The platform layer: everything the grader asks of the operating system,
//! one small function per facility, named for what it does.
//!
//! Why one layer: students run the grader on Linux and on macOS, official
//! grading runs on Linux, and the two kernels answer the same questions in
//! different ways — `/proc/PID/fd` on one, `proc_pidinfo` on the other; a
//! child subreaper on one, nothing like it on the other. Everything above
//! this module asks *what* it wants ("the open fds of this server", "is this
//! fd non-blocking", "die with your parent") and never *how*; nothing else
//! in the grader names `/proc`, `prctl`, seccomp or namespaces.
//!
//! Two kinds of facility live here:
//!
//! - **Facts about a process** (the process table, a pid's fds, threads,
//!   memory, CPU time, an fd's flags): `linux.rs` reads `/proc`, `macos.rs`
//!   calls `proc_pidinfo` and `proc_pidfdinfo` (libproc, as declared by the
//!   `libc` crate).
//! - **Containment** (how a supervisor finds everything a check started, and
//!   how a child notices its parent's death): Linux has a *child subreaper*
//!   (`PR_SET_CHILD_SUBREAPER`) and `PR_SET_PDEATHSIG`; macOS has neither,
//!   so there the supervisor *tracks* the check's descendants through the
//!   process table (parent links and process groups) and the check watches a
//!   pipe whose other end its supervisor holds. [`CONTAINMENT`] says which
//!   this build uses. The cargo feature `portable` makes a Linux build use
//!   the tracking path too, so that the macOS logic is tested on Linux.
//!
//! Windows is not supported natively: students there use WSL 2 or the dev
//! container, and the build says so (in `lib.rs`, once, before anything
//! else could fail).

#[cfg(target_os = "linux")]
pub mod linux;
#[cfg(target_os = "linux")]
use linux as os;

#[cfg(target_os = "macos")]
pub mod macos;
#[cfg(target_os = "macos")]
use macos as os;

#[cfg(all(unix, not(any(target_os = "linux", target_os = "macos"))))]
compile_error!(
    "echo-lab's grader runs on Linux and macOS (on Windows: WSL 2 or the dev container)"
);

use std::io;
use std::process::Command;
use std::time::Duration;

/// How a supervisor keeps hold of everything a check starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Containment {
    /// Linux: the supervisor is a child subreaper, so every orphan below it
    /// stays below it (`setsid` and double forks included); children die
    /// with their parent through `PR_SET_PDEATHSIG`.
    Subreaper,
    /// macOS, and Linux built with the `portable` feature: the supervisor
    /// looks at the process table while the check runs and remembers every
    /// descendant and process group it sees, and at the end also finds
    /// what carries the check's mark in its environment; a check learns of
    /// its supervisor's death from a pipe. A process that detaches itself
    /// (`setsid`, a double fork), clears its environment and loses its
    /// parent between two looks can escape.
    Tracking,
}

/// The containment this build uses.
pub const CONTAINMENT: Containment = if cfg!(all(target_os = "linux", not(feature = "portable"))) {
    Containment::Subreaper
} else {
    Containment::Tracking
};

/// One line of the process table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcInfo {
    /// Process id.
    pub pid: i32,
    /// Parent process id.
    pub ppid: i32,
    /// Process group id.
    pub pgid: i32,
    /// Has it exited, waiting only to be reaped?
    pub zombie: bool,
    /// Real uid.
    pub uid: u32,
    /// The command name, for messages.
    pub comm: String,
}

/// Every process this one can see.
pub fn process_table() -> io::Result<Vec<ProcInfo>> {
    os::process_table()
}

/// Every process this one can see, without their uids (`u32::MAX`): on
/// Linux that is one file fewer to read per process, for sweeps that run
/// in a loop.
pub fn process_table_quick() -> io::Result<Vec<ProcInfo>> {
    os::process_table_quick()
}

/// One process, or `None` if it is gone.
pub fn process_info(pid: i32) -> Option<ProcInfo> {
    os::process_info(pid)
}

/// The command line of `pid`, its arguments joined by spaces (macOS: only
/// the command name, which is all it shows another process cheaply).
pub fn command_line(pid: i32) -> Option<String> {
    os::command_line(pid)
}

/// Does the environment `pid` started with hold `needle` (`NAME=value`)?
/// `false` when it cannot be read (another user's process, a zombie).
pub fn environment_contains(pid: i32, needle: &str) -> bool {
    os::environment(pid).is_some_and(|env| {
        env.windows(needle.len().max(1))
            .any(|w| w == needle.as_bytes())
    })
}

/// The open file descriptors of `pid`, in no particular order.
pub fn open_fds(pid: i32) -> io::Result<Vec<i32>> {
    os::open_fds(pid)
}

/// How many file descriptors `pid` has open.
pub fn open_fd_count(pid: i32) -> io::Result<usize> {
    Ok(open_fds(pid)?.len())
}

/// Is descriptor `fd` of process `pid` in non-blocking mode (`O_NONBLOCK`)?
pub fn fd_is_nonblocking(pid: i32, fd: i32) -> io::Result<bool> {
    os::fd_is_nonblocking(pid, fd)
}

/// Is descriptor `fd` of process `pid` a socket?
pub fn fd_is_socket(pid: i32, fd: i32) -> io::Result<bool> {
    os::fd_is_socket(pid, fd)
}

/// How many threads `pid` has.
pub fn thread_count(pid: i32) -> io::Result<usize> {
    os::thread_count(pid)
}

/// The resident memory of `pid`, in bytes.
pub fn resident_bytes(pid: i32) -> io::Result<u64> {
    os::resident_bytes(pid)
}

/// The CPU time `pid` has used so far, all threads, user and system.
pub fn cpu_time(pid: i32) -> io::Result<Duration> {
    os::cpu_time(pid)
}

/// Connections in TIME_WAIT whose local port is `port`, or `None` where
/// this platform gives no cheap way to count them (macOS).
pub fn time_wait_count(port: u16) -> Option<usize> {
    os::time_wait_count(port)
}

/// Sockets in TIME_WAIT on the whole machine, where known (Linux).
pub fn time_wait_sockets() -> Option<u64> {
    os::time_wait_sockets()
}

/// Context switches since boot, all CPUs, where known (Linux).
pub fn context_switches() -> Option<u64> {
    os::context_switches()
}

/// Memory available to new programs, in bytes, where known.
pub fn available_memory() -> Option<u64> {
    os::available_memory()
}

/// Lets this process (and the programs it starts next, which inherit the
/// limit) open up to `want` descriptors, as far as the hard limit allows:
/// a thousand clients need a thousand sockets on each side, and some
/// machines start programs with a soft limit of 256 (macOS) or 1024.
pub fn raise_fd_limit(want: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write only `limit`, which we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < want {
            limit.rlim_cur = want.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Fills `buf` with random bytes from the kernel.
pub fn random_bytes(buf: &mut [u8]) -> io::Result<()> {
    os::random_bytes(buf)
}

/// Is this process root (effective uid 0)?
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Makes this process a child subreaper where the build's containment has
/// one ([`Containment::Subreaper`]): orphans below it are handed to it
/// instead of to init. Says whether it is one now.
pub fn become_subreaper() -> bool {
    match CONTAINMENT {
        Containment::Subreaper => os::become_subreaper(),
        Containment::Tracking => false,
    }
}

/// Keeps other processes of this uid from reading this one's memory or
/// descriptors (Linux: not dumpable, so `/proc/PID/mem` and `/proc/PID/fd`
/// are closed to them). macOS has no `/proc`, and reading another task's
/// memory there needs root or a debugger's entitlement: nothing to do.
pub fn make_undumpable() {
    os::make_undumpable()
}

/// Asks that the child `cmd` starts be killed when the thread that starts
/// it ends, where the build's containment can ([`Containment::Subreaper`]:
/// `PR_SET_PDEATHSIG`). With [`Containment::Tracking`] this does nothing:
/// the supervisor's tracking and the check's parent watch
/// ([`watch_parent`]) take care of it.
pub fn die_with_parent(cmd: &mut Command) {
    if CONTAINMENT == Containment::Subreaper {
        os::die_with_parent(cmd)
    }
}

/// In a child that was given the read end of a pipe whose write end only
/// its parent holds: calls `on_death` (on a thread of its own) once the
/// parent is gone, that is when the read sees EOF. This is how a check
/// notices its supervisor's death without `PR_SET_PDEATHSIG`.
pub fn watch_parent(fd: std::os::fd::OwnedFd, on_death: fn()) -> io::Result<()> {
    use std::io::Read as _;
    set_cloexec(std::os::fd::AsRawFd::as_raw_fd(&fd))?;
    let mut pipe = std::fs::File::from(fd);
    std::thread::Builder::new()
        .name("parent-watch".into())
        .spawn(move || {
            let mut byte = [0u8; 1];
            // Nothing is ever written: any return is the parent's end closing.
            loop {
                match pipe.read(&mut byte) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    _ => break,
                }
            }
            on_death();
        })?;
    Ok(())
}

/// Blocks until the other end of the socket `fd` is closed (its owner died
/// or let go). The supervisor uses it on its report socket to notice the
/// grader's death where there is no `PR_SET_PDEATHSIG`.
pub fn wait_for_hangup(fd: std::os::fd::RawFd) {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN | libc::POLLHUP,
        revents: 0,
    };
    loop {
        // SAFETY: poll reads and writes only the one pollfd we own.
        let rc = unsafe { libc::poll(&mut p, 1, -1) };
        if rc > 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// Makes `fd` close-on-exec.
pub fn set_cloexec(fd: std::os::fd::RawFd) -> io::Result<()> {
    // SAFETY: fcntl with integer arguments on an fd of ours.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

pub mod netns;

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> i32 {
        std::process::id() as i32
    }

    #[test]
    fn this_process_is_in_the_table() {
        let p = process_info(me()).expect("our own entry");
        assert_eq!(p.pid, me());
        assert!(!p.zombie);
        assert!(process_table().unwrap().iter().any(|p| p.pid == me()));
    }

    #[test]
    fn fds_and_their_flags() {
        use std::os::fd::AsRawFd as _;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = l.as_raw_fd();
        assert!(open_fds(me()).unwrap().contains(&fd));
        assert!(fd_is_socket(me(), fd).unwrap());
        assert!(!fd_is_nonblocking(me(), fd).unwrap());
        l.set_nonblocking(true).unwrap();
        assert!(fd_is_nonblocking(me(), fd).unwrap());
        let f = std::fs::File::open("/dev/null").unwrap();
        assert!(!fd_is_socket(me(), f.as_raw_fd()).unwrap());
    }

    #[test]
    fn threads_memory_cpu() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || rx.recv());
        assert!(thread_count(me()).unwrap() >= 2);
        drop(tx);
        let _ = t.join();
        assert!(resident_bytes(me()).unwrap() > 100_000);
        let spin_until = std::time::Instant::now() + Duration::from_millis(50);
        while std::time::Instant::now() < spin_until {}
        assert!(cpu_time(me()).unwrap() > Duration::ZERO);
    }

    #[test]
    fn random_bytes_differ() {
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        random_bytes(&mut a).unwrap();
        random_bytes(&mut b).unwrap();
        assert_ne!(a, b);
    }
}
