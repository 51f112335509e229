//! The set-up and the explanations every step shares.
//!
//! Addresses and ports that cannot flake while checks run in parallel
//! (`refusing` holds a port bound and never listening; `listener_on_any`
//! holds one as another server would), accept and lookups with deadlines
//! (`accept_within`, `within`), the TIME_WAIT count,
//! and the expectations and texts of the failures.

use std::io::{self, ErrorKind, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use crate::check::{CheckResult, Ctx, Failure, show_bytes};
use crate::peers::{V4, V6, read_up_to};

use super::{LOOKUP, ListenFn, QUICK};

/// `open_listenfd(port)` as a step; an `Err` fails the check.
pub(super) fn listen(
    ctx: &mut Ctx,
    open_listenfd: ListenFn,
    port: u16,
) -> Result<TcpListener, Failure> {
    ctx.step(format!("open_listenfd({port})"));
    open_listenfd(port).map_err(|e| Failure::new("a listener", show_err(&e)))
}

pub(super) fn local_addr(l: &TcpListener) -> Result<SocketAddr, Failure> {
    l.local_addr()
        .map_err(|e| Failure::new("a listener with a local address", show_err(&e)))
}

/// The loopback addresses `listener` serves, 127.0.0.1 first: both for a
/// dual-stack `[::]`, one for `[::]` with IPV6_V6ONLY on, `0.0.0.0` or a
/// single address.
pub(super) fn served_ips(listener: &TcpListener) -> Result<Vec<IpAddr>, Failure> {
    let local = local_addr(listener)?;
    Ok(match local.ip() {
        IpAddr::V6(ip) if ip.is_unspecified() => {
            let only_v6 = SockRef::from(listener).only_v6().unwrap_or(false);
            if only_v6 { vec![V6] } else { loopbacks() }
        }
        IpAddr::V4(ip) if ip.is_unspecified() => vec![V4],
        ip => vec![ip.to_canonical()],
    })
}

/// The loopback addresses to try here: 127.0.0.1, and ::1 where IPv6 works.
pub(super) fn loopbacks() -> Vec<IpAddr> {
    if ipv6_loopback() {
        vec![V4, V6]
    } else {
        vec![V4]
    }
}

/// Can this machine listen on ::1?
pub(super) fn ipv6_loopback() -> bool {
    TcpListener::bind((V6, 0)).is_ok()
}

/// A failure of the grader's own set-up, not of the code under test.
pub(super) fn setup(what: &str, e: io::Error) -> Failure {
    Failure::new(format!("the grader to {what}"), format!("{e}"))
        .note("a problem of the test machine, not of the code under test")
}

pub(super) fn no_answer() -> Failure {
    Failure::new(
        format!("an answer within {} s", LOOKUP.as_secs()),
        "no answer: the call is still blocked",
    )
}

/// `Err(ConnectionRefused: Connection refused (os error 111))`.
pub(super) fn show_err(e: &io::Error) -> String {
    format!("Err({:?}: {e})", e.kind())
}

pub(super) fn show_stream(s: &TcpStream) -> String {
    match (s.local_addr(), s.peer_addr()) {
        (Ok(l), Ok(p)) => format!("a stream from {l} to {p}"),
        _ => "a stream".to_string(),
    }
}

pub(super) fn show_local(l: &TcpListener) -> String {
    l.local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|e| format!("? ({e})"))
}

/// Same address, reading `::ffff:127.0.0.1` as `127.0.0.1`.
fn same(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && a.ip().to_canonical() == b.ip().to_canonical()
}

/// The stream is connected to `want`.
pub(super) fn expect_peer(ctx: &mut Ctx, stream: &TcpStream, want: SocketAddr) -> CheckResult {
    let peer = stream
        .peer_addr()
        .map_err(|e| Failure::new(format!("a stream connected to {want}"), show_err(&e)))?;
    if same(peer, want) {
        ctx.step(format!("-> connected to {peer}  ok"));
        return Ok(());
    }
    Err(Failure::new(
        format!("a stream connected to {want}"),
        format!("connected to {peer}"),
    )
    .note("addresses are tried in the order given; the first that accepts wins"))
}

/// `listener` accepts the connection of `client` within the budget.
pub(super) fn expect_accepted(
    ctx: &mut Ctx,
    listener: &TcpListener,
    client: &TcpStream,
) -> Result<TcpStream, Failure> {
    let local = client
        .local_addr()
        .map_err(|e| setup("read the client's address", e))?;
    let (conn, from) = accept_within(listener, ctx.budget(QUICK)).map_err(|e| {
        Failure::new(
            format!("the listener to accept the client {local}"),
            show_err(&e),
        )
    })?;
    if !same(from, local) {
        return Err(Failure::new(
            format!("the listener to accept the client {local}"),
            format!("it accepted {from}"),
        ));
    }
    ctx.step(format!("the listener accepts it, from {from}  ok"));
    Ok(conn)
}

/// `accept`, but waiting at most `wait` (in `poll`) for a connection.
fn accept_within(listener: &TcpListener, wait: Duration) -> io::Result<(TcpStream, SocketAddr)> {
    let until = Instant::now() + wait;
    let mut pfd = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: poll reads and writes only the one pollfd we own.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n > 0 {
            return listener.accept();
        }
        if n == 0 {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                format!("no connection to accept within {:.1} s", wait.as_secs_f32()),
            ));
        }
        let e = io::Error::last_os_error();
        if e.kind() != ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Bytes go both ways over a connected pair, with deadlines.
pub(super) fn exchange(ctx: &mut Ctx, client: &mut TcpStream, conn: &mut TcpStream) -> CheckResult {
    let up = b"ping \x00\xff\r\n";
    let down = b"pong\n";
    ctx.step(format!("client sends {}", show_bytes(up)));
    client
        .write_all(up)
        .map_err(|e| Failure::new("to send on the stream", show_err(&e)))?;
    let (got, _) = read_up_to(conn, up.len(), ctx.budget(QUICK));
    ctx.expect_bytes("the server receives", up, &got)?;
    ctx.step(format!("server sends {}", show_bytes(down)));
    conn.write_all(down)
        .map_err(|e| setup("write to the client", e))?;
    let (got, _) = read_up_to(client, down.len(), ctx.budget(QUICK));
    ctx.expect_bytes("the client receives", down, &got)
}

/// Addresses on which connections are refused: one port, bound on each of
/// `ips` and never listening, held until the sockets are dropped. Holding
/// the port (rather than closing it) keeps any other process from taking it
/// and keeps the kernel from picking it as a client's own port. Failing to
/// bind is a failure of the set-up ([`setup`]).
pub(super) fn refusing(ips: &[IpAddr]) -> Result<(Vec<SocketAddr>, Vec<Socket>), Failure> {
    let (port, held) = same_port(ips).map_err(|e| setup("hold a port that refuses", e))?;
    Ok((
        ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
        held,
    ))
}

/// Binds a socket on each of `ips`, all on one port the kernel picks.
pub(super) fn same_port(ips: &[IpAddr]) -> io::Result<(u16, Vec<Socket>)> {
    let mut last = io::Error::other("no address to bind");
    // Another process may hold the port on the second address: pick again.
    for _ in 0..20 {
        let mut held = Vec::new();
        let mut port = 0;
        let mut failed = None;
        for ip in ips {
            match bind_one(SocketAddr::new(*ip, port)) {
                Ok(s) => {
                    if port == 0 {
                        port = s.local_addr()?.as_socket().map_or(0, |a| a.port());
                    }
                    held.push(s);
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        match failed {
            None => return Ok((port, held)),
            Some(e) => last = e,
        }
    }
    Err(last)
}

/// A TCP socket bound to `addr` (IPv6 sockets IPv6 only), not listening.
fn bind_one(addr: SocketAddr) -> io::Result<Socket> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.bind(&SockAddr::from(addr))?;
    Ok(s)
}

/// A listener of the grader's own on the unspecified address (both families
/// where IPv6 works), as another server would hold a port.
pub(super) fn listener_on_any() -> io::Result<TcpListener> {
    let s = if ipv6_loopback() {
        let s = Socket::new(Domain::IPV6, Type::STREAM, None)?;
        s.set_only_v6(false)?;
        s.bind(&SockAddr::from(SocketAddr::new(
            IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
            0,
        )))?;
        s
    } else {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        s.bind(&SockAddr::from(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            0,
        )))?;
        s
    };
    s.listen(16)?;
    Ok(s.into())
}

/// Waits until at least `n` connections with local port `port` are in
/// TIME_WAIT, or `wait` passes; the count seen last, or `None` where the
/// platform gives no count (macOS).
pub(super) fn wait_time_wait(port: u16, n: usize, wait: Duration) -> Option<usize> {
    let until = Instant::now() + wait;
    loop {
        let seen = time_wait_count(port)?;
        if seen >= n || Instant::now() >= until {
            return Some(seen);
        }
        // There is no event for "a connection entered TIME_WAIT": this
        // paces the polling of the count, it is not synchronisation.
        thread::sleep(Duration::from_millis(1));
    }
}

/// Connections in TIME_WAIT whose local port is `port`, where the platform
/// can count them.
fn time_wait_count(port: u16) -> Option<usize> {
    grader_sandbox::sys::time_wait_count(port)
}

/// Runs `f` on a thread of its own and waits at most `wait` for it: `None`
/// if it is still running then. A panic in `f` goes on as a panic here (it
/// was already printed, so the runner reports it).
pub(super) fn within<T: Send + 'static>(
    wait: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(wait) {
        Ok(v) => Some(v),
        Err(mpsc::RecvTimeoutError::Timeout) => None,
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => None,
        },
    }
}
