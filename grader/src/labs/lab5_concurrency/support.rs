//! What lab 5's checks share: the server's resources (from the platform layer),
//! many clients at once on threads of their own, and a gate that lets them
//! start together without ever waiting for ever.

use std::io::{ErrorKind, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use grader_sandbox::sys;

use crate::check::{CheckResult, Ctx, Failure, show_bytes};
use crate::labs::servers::accept::with_server;
use crate::peers::{self, EchoServer, PATIENCE, V4};

/// What the server holds right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Resources {
    /// Open descriptors.
    pub fds: usize,
    /// Threads.
    pub threads: usize,
}

/// A failure to read something of the server's from the platform.
fn unreadable(what: &str, pid: u32, e: std::io::Error) -> Failure {
    Failure::new(
        format!("to read the {what} of process {pid}"),
        e.to_string(),
    )
}

/// The server's open descriptors and threads.
pub(super) fn resources(server: &EchoServer) -> Result<Resources, Failure> {
    let pid = server.proc.pid();
    Ok(Resources {
        fds: sys::open_fd_count(pid as i32).map_err(|e| unreadable("open fds", pid, e))?,
        threads: sys::thread_count(pid as i32).map_err(|e| unreadable("threads", pid, e))?,
    })
}

/// The server's resident memory, in KiB.
pub(super) fn rss_kib(server: &EchoServer) -> Result<u64, Failure> {
    let pid = server.proc.pid();
    sys::resident_bytes(pid as i32)
        .map(|bytes| bytes / 1024)
        .map_err(|e| unreadable("resident memory", pid, e))
}

/// CPU time the server has used so far, all threads, user and system.
pub(super) fn cpu_time(server: &EchoServer) -> Result<Duration, Failure> {
    let pid = server.proc.pid();
    sys::cpu_time(pid as i32).map_err(|e| unreadable("CPU time", pid, e))
}

/// Lets this check process (and the servers it starts next) open up to
/// `want` descriptors ([`sys::raise_fd_limit`]).
pub(super) fn raise_fd_limit(want: u64) {
    sys::raise_fd_limit(want)
}

/// A starting line for threads: each waits at [`Gate::pass`] until all
/// `n` have arrived, or the gate is broken by one that failed, or the time
/// is up. Nobody waits for ever.
pub(super) struct Gate {
    state: Mutex<(usize, bool)>,
    all_here: Condvar,
    n: usize,
}

impl Gate {
    /// A gate for `n` threads.
    pub fn new(n: usize) -> Gate {
        Gate {
            state: Mutex::new((0, false)),
            all_here: Condvar::new(),
            n,
        }
    }

    /// Arrives and waits for the others; `Err` says why it gave up.
    pub fn pass(&self, timeout: Duration) -> Result<(), String> {
        let until = Instant::now() + timeout;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 += 1;
        self.all_here.notify_all();
        loop {
            if state.1 {
                return Err("another client failed first".to_string());
            }
            if state.0 >= self.n {
                return Ok(());
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "only {} of {} clients got this far in time",
                    state.0, self.n
                ));
            }
            state = self
                .all_here
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Lets everyone waiting (and everyone to come) give up.
    pub fn break_(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.all_here.notify_all();
    }
}

/// Runs `client(i)` for `i` in `0..n`, each on a thread of its own, all at
/// once; returns every failure as (client index, what went wrong), in
/// index order. A client that fails breaks `gates`, so the others stop
/// waiting for it.
pub(super) fn run_clients<F>(n: usize, gates: &[&Gate], client: F) -> Vec<(usize, String)>
where
    F: Fn(usize) -> Result<(), String> + Sync,
{
    let client = &client;
    let mut failed: Vec<(usize, String)> = thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                s.spawn(move || {
                    let result = client(i);
                    if result.is_err() {
                        gates.iter().for_each(|g| g.break_());
                    }
                    result
                })
            })
            .collect();
        handles
            .into_iter()
            .enumerate()
            .filter_map(|(i, h)| match h.join() {
                Ok(Ok(())) => None,
                Ok(Err(why)) => Some((i, why)),
                Err(_) => Some((i, "the client thread panicked".to_string())),
            })
            .collect()
    });
    // the one to show first: a client that failed by itself, not one that
    // gave up waiting for the others
    failed.sort_by_key(|(i, why)| (gave_up(why), *i));
    failed
}

/// Did this client fail only because it gave up waiting at a [`Gate`]?
fn gave_up(why: &str) -> bool {
    why.contains("another client failed") || why.contains("got this far")
}

/// Checks that no client of `n` failed (`failed` is what [`run_clients`]
/// returned); else steps `what` and fails with the server's state.
pub(super) fn expect_all_served(
    ctx: &mut Ctx,
    server: &mut EchoServer,
    n: usize,
    failed: &[(usize, String)],
    what: &str,
) -> CheckResult {
    let Some((first, why)) = failed.first() else {
        return Ok(());
    };
    ctx.step(what);
    let own = failed.iter().filter(|(_, why)| !gave_up(why)).count();
    let f = Failure::new(
        format!("all {n} clients served"),
        format!("{own} of {n} failed; client {first}: {why}"),
    );
    let f = match failed.len() - own {
        0 => f,
        waited => f.note(format!(
            "{waited} more gave up waiting for those: all {n} must be served at once"
        )),
    };
    Err(with_server(f, server))
}

/// Connects a client to `server` on 127.0.0.1 without a step of its own
/// (one of a crowd, or one that never reads); a failure says what the
/// server was doing.
pub(super) fn connect_quietly(ctx: &Ctx, server: &mut EchoServer) -> Result<TcpStream, Failure> {
    let addr = server.addr(V4);
    TcpStream::connect_timeout(&addr, ctx.budget(PATIENCE)).map_err(|e| {
        with_server(
            Failure::new(format!("a connection to {addr}"), e.to_string()),
            server,
        )
    })
}

/// Connects `n` clients to `server`, which send nothing.
pub(super) fn connect_silent(
    ctx: &mut Ctx,
    server: &mut EchoServer,
    n: usize,
) -> Result<Vec<TcpStream>, Failure> {
    ctx.step(format!("{n} clients connect and send nothing"));
    (0..n).map(|_| connect_quietly(ctx, server)).collect()
}

/// Connects to `addr` with read and write timeouts of `timeout`.
pub(super) fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, String> {
    let c = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect: {e}"))?;
    peers::set_timeouts(&c, timeout);
    Ok(c)
}

/// Sends `bytes` and reads exactly them back; `Err` says what came instead.
pub(super) fn echo_exactly(
    c: &mut TcpStream,
    bytes: &[u8],
    timeout: Duration,
) -> Result<(), String> {
    c.write_all(bytes).map_err(|e| format!("send: {e}"))?;
    expect_back(c, bytes, timeout)
}

/// Reads exactly `bytes.len()` bytes and compares them with `bytes`.
pub(super) fn expect_back(
    c: &mut TcpStream,
    bytes: &[u8],
    timeout: Duration,
) -> Result<(), String> {
    let (got, err) = peers::read_up_to(c, bytes.len(), timeout);
    if got == bytes {
        return Ok(());
    }
    let at = crate::check::first_difference(bytes, &got);
    let how = match err {
        Some(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            format!("then nothing for {:.1} s", timeout.as_secs_f32())
        }
        Some(e) if e.kind() == ErrorKind::UnexpectedEof => "then EOF".to_string(),
        Some(e) => format!("then {e}"),
        None => String::new(),
    };
    Err(format!(
        "sent {} bytes, got back {} bytes {} ({how}); first difference at offset {at}",
        bytes.len(),
        got.len(),
        crate::check::show_bytes_near(&got, at)
    ))
}

/// Waits for `n` lines on the server's stdout that start with `prefix`,
/// passing over others, and returns them.
pub(super) fn expect_lines(
    ctx: &mut Ctx,
    server: &mut EchoServer,
    prefix: &str,
    n: usize,
) -> Result<Vec<String>, Failure> {
    let until = Instant::now() + ctx.budget(peers::PATIENCE);
    let mut found = Vec::with_capacity(n);
    while found.len() < n {
        let left = until.saturating_duration_since(Instant::now());
        match server.proc.next_line(left) {
            Ok(line) if line.starts_with(prefix.as_bytes()) => {
                found.push(String::from_utf8_lossy(&line).trim_end().to_string());
            }
            Ok(_) => {}
            Err(f) => {
                ctx.step(format!("wait for {n} lines `{prefix}…` on stdout"));
                let f = Failure::new(
                    format!("{n} lines `{prefix}…` on the server's stdout"),
                    format!("{} of them; then: {}", found.len(), f.observed),
                );
                let f = match found.last() {
                    Some(last) => f.note(format!("the last one: {}", show_bytes(last.as_bytes()))),
                    None => f,
                };
                return Err(with_server(f, server));
            }
        }
    }
    ctx.step(format!("{n} lines `{prefix}…` on stdout  ok"));
    Ok(found)
}

/// Waits until the server is back to `base` descriptors (plus `fd_slack`)
/// and `base` threads, for at most `patience`: a server closes a finished
/// client's socket, and ends its thread, a moment after the client left.
pub(super) fn expect_back_to(
    ctx: &mut Ctx,
    server: &mut EchoServer,
    base: Resources,
    fd_slack: usize,
    patience: Duration,
    after: &str,
) -> Result<Resources, Failure> {
    let until = Instant::now() + ctx.budget(patience);
    loop {
        let now = resources(server)?;
        let settled = now.fds <= base.fds + fd_slack && now.threads <= base.threads;
        if settled {
            ctx.step(format!(
                "after {after}: {} fds and {} threads, {} and {} at the start  ok",
                now.fds, now.threads, base.fds, base.threads
            ));
            return Ok(now);
        }
        if Instant::now() >= until {
            ctx.step(format!("count the server's fds and threads after {after}"));
            let mut f = Failure::new(
                format!(
                    "{} fds and {} thread(s), as at the start, within {:.0} s of the last client leaving",
                    base.fds,
                    base.threads,
                    patience.as_secs_f32()
                ),
                format!("{} fds and {} threads", now.fds, now.threads),
            );
            if now.fds > base.fds + fd_slack {
                f = f.note(format!(
                    "{} descriptors more: close (drop) each client's socket when it is done",
                    now.fds - base.fds
                ));
            }
            if now.threads > base.threads {
                f = f.note(format!(
                    "{} threads more: a client's thread must end when its client leaves",
                    now.threads - base.threads
                ));
            }
            return Err(with_server(f, server));
        }
        // pacing a poll of /proc: nothing tells us when a socket is closed
        thread::sleep(Duration::from_millis(10));
    }
}
