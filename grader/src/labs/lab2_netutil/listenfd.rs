//! Step 4: `open_listenfd`, the server's listening socket.
//!
//! One listener on the unspecified address serves 127.0.0.1 and ::1;
//! `SO_REUSEADDR` is on, so a restarted server binds past its old
//! connections in TIME_WAIT; the backlog holds 64 connections nobody
//! accepted yet; a taken port is an `Err` of kind `AddrInUse`; port 0 gives
//! a real port.

use std::io::{self, ErrorKind, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use socket2::SockRef;

use crate::check::{CheckResult, Ctx, Failure, show_bytes};
use crate::peers::read_up_to;

use super::support::{
    expect_accepted, ipv6_loopback, listen, listener_on_any, local_addr, loopbacks, served_ips,
    setup, show_err, show_local, wait_time_wait,
};
use super::{BACKLOG_CLIENTS, ListenFn, QUICK};

pub(super) fn open_listenfd_dual_stack(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
    let listener = listen(ctx, open_listenfd, 0)?;
    let local = local_addr(&listener)?;
    let v6 = ipv6_loopback();
    if !local.ip().is_unspecified() {
        ctx.step(format!("listener's local address is {local}"));
        return Err(Failure::new(
            "the unspecified address [::] (or 0.0.0.0 where IPv6 is unavailable)",
            local,
        )
        .note(format!(
            "a listener on {} accepts only clients that connect to that very address",
            local.ip()
        )));
    }
    ctx.step(format!("listener's local address is {local}  ok"));
    let only_v6 = local
        .is_ipv6()
        .then(|| SockRef::from(&listener).only_v6().ok())
        .flatten();
    for ip in loopbacks() {
        let addr = SocketAddr::new(ip, local.port());
        ctx.step(format!("connect to {addr}"));
        let client = TcpStream::connect_timeout(&addr, ctx.budget(QUICK)).map_err(|e| {
            let f = Failure::new(
                format!("a connection to {addr} (one listener serves both families)"),
                show_err(&e),
            );
            match (ip.is_ipv4(), only_v6, local.is_ipv4() && v6) {
                (true, Some(true), _) => f.note(
                    "IPV6_V6ONLY is on: the [::] socket serves IPv6 only; set_only_v6(false) \
                     before bind",
                ),
                (false, _, true) => f.note(
                    "the listener is on 0.0.0.0 (IPv4 only) although IPv6 works here: bind [::] \
                     with IPV6_V6ONLY off, fall back to 0.0.0.0 only where IPv6 is unavailable",
                ),
                _ => f,
            }
        })?;
        expect_accepted(ctx, &listener, &client)?;
    }
    if let Some(on) = only_v6 {
        ctx.expect(
            "IPV6_V6ONLY of the listener (SockRef::only_v6)",
            !on,
            "off: one socket serves IPv4 and IPv6 clients",
            "on",
        )?;
    }
    Ok(())
}

pub(super) fn open_listenfd_sets_reuseaddr(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
    let listener = listen(ctx, open_listenfd, 0)?;
    let on = SockRef::from(&listener)
        .reuse_address()
        .map_err(|e| setup("read SO_REUSEADDR", e))?;
    ctx.expect(
        "SO_REUSEADDR of the listener (SockRef::reuse_address)",
        on,
        "SO_REUSEADDR on: set_reuse_address(true) before bind, so a restarted server binds \
         past its old connections in TIME_WAIT",
        "SO_REUSEADDR off",
    )
}

pub(super) fn open_listenfd_relisten_after_time_wait(
    ctx: &mut Ctx,
    open_listenfd: ListenFn,
) -> CheckResult {
    let listener = listen(ctx, open_listenfd, 0)?;
    let port = local_addr(&listener)?.port();
    // Clients only where this listener serves (whether it is dual-stack is
    // open_listenfd_dual_stack's business).
    let ips = served_ips(&listener)?;
    // The server closes each connection first, so the TIME_WAIT is on its
    // side, on `port`: that is what blocks a restarted server's bind.
    for ip in &ips {
        let addr = SocketAddr::new(*ip, port);
        ctx.step(format!("a client connects to {addr}"));
        let mut client = TcpStream::connect_timeout(&addr, ctx.budget(QUICK))
            .map_err(|e| Failure::new(format!("a connection to {addr}"), show_err(&e)))?;
        let mut conn = expect_accepted(ctx, &listener, &client)?;
        ctx.step("the server writes b\"bye\\n\" and closes its end first");
        conn.write_all(b"bye\n")
            .map_err(|e| setup("write to the client", e))?;
        drop(conn);
        let (got, why) = read_up_to(&mut client, 5, ctx.budget(QUICK));
        if got != b"bye\n" || why.as_ref().map(|e| e.kind()) != Some(ErrorKind::UnexpectedEof) {
            return Err(setup(
                "see b\"bye\\n\" then EOF on the client",
                io::Error::other(format!("got {}, then {why:?}", show_bytes(&got))),
            ));
        }
        ctx.step("the client reads b\"bye\\n\", then EOF, and closes");
        drop(client);
    }
    ctx.step(format!(
        "wait until the server's {} connections are in TIME_WAIT",
        ips.len()
    ));
    match wait_time_wait(port, ips.len(), ctx.budget(QUICK)) {
        Some(n) if n >= ips.len() => {
            ctx.step(format!("{n} connections on port {port} in TIME_WAIT  ok"))
        }
        Some(n) => ctx.step(format!(
            "{n} connections on port {port} in TIME_WAIT (fewer than expected; going on)"
        )),
        None => ctx.step("this platform gives no TIME_WAIT count; going on"),
    }
    ctx.step(format!(
        "drop the listener: the server exits, port {port} keeps its TIME_WAIT connections"
    ));
    drop(listener);
    ctx.step(format!(
        "open_listenfd({port}) at once, as a restarted server does"
    ));
    let again = open_listenfd(port).map_err(|e| {
        Failure::new(
            format!("a new listener on port {port} at once"),
            show_err(&e),
        )
        .note(
            "the old server's connections are in TIME_WAIT on this port for a minute; \
             set_reuse_address(true) before bind lets a new listener bind past them",
        )
    })?;
    let local = local_addr(&again)?;
    if local.port() != port {
        return Err(Failure::new(
            format!("a listener on port {port}"),
            format!("a listener on {local}"),
        )
        .note("open_listenfd(port) binds the port it is given"));
    }
    ctx.step(format!("-> listening on {local}  ok"));
    let addr = SocketAddr::new(ips[0], port);
    ctx.step(format!("connect to {addr}"));
    let client = TcpStream::connect_timeout(&addr, ctx.budget(QUICK))
        .map_err(|e| Failure::new(format!("a connection to {addr}"), show_err(&e)))?;
    expect_accepted(ctx, &again, &client)?;
    Ok(())
}

pub(super) fn open_listenfd_backlog(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
    let listener = listen(ctx, open_listenfd, 0)?;
    let local = local_addr(&listener)?;
    // Connect where this listener serves (dual-stack or not is checked
    // by open_listenfd_dual_stack).
    let addr = SocketAddr::new(served_ips(&listener)?[0], local.port());
    ctx.step(format!(
        "connect {BACKLOG_CLIENTS} clients to {addr} one after the other, never calling accept"
    ));
    // When the queue of connections not yet accepted is full, Linux drops
    // the SYN and the client retries for a long time: each connect gets a
    // short timeout so a small backlog fails fast.
    let started = Instant::now();
    let mut clients = Vec::with_capacity(BACKLOG_CLIENTS);
    for i in 0..BACKLOG_CLIENTS {
        let wait = ctx.budget(Duration::from_secs(1));
        match TcpStream::connect_timeout(&addr, wait) {
            Ok(c) => clients.push(c),
            Err(e) => {
                let n = clients.len();
                let f = Failure::new(
                    format!("all {BACKLOG_CLIENTS} clients connected while nobody accepts"),
                    format!(
                        "client {} of {BACKLOG_CLIENTS} did not connect within {:.1} s: {}",
                        i + 1,
                        wait.as_secs_f32(),
                        show_err(&e)
                    ),
                );
                if n == 0 {
                    return Err(f);
                }
                // A full queue drops the SYN: the connect times out.
                return Err(f.note(format!(
                    "{n} connected: the kernel queues about backlog + 1 connections that are not \
                     accepted yet, so this looks like listen({}); use listen(LISTENQ) (1024)",
                    n - 1
                )));
            }
        }
    }
    ctx.step(format!(
        "all {BACKLOG_CLIENTS} connected in {} ms  ok",
        started.elapsed().as_millis()
    ));
    Ok(())
}

pub(super) fn open_listenfd_port_in_use(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
    let holder = listener_on_any().map_err(|e| setup("listen on a port of its own", e))?;
    let port = local_addr(&holder)?.port();
    ctx.step(format!(
        "another listener holds port {port} ({})",
        local_addr(&holder)?
    ));
    ctx.step(format!("open_listenfd({port})"));
    let expected = format!("Err of kind AddrInUse: port {port} is taken");
    match open_listenfd(port) {
        Err(e) if e.kind() == ErrorKind::AddrInUse => {
            ctx.step(format!("-> {}  ok", show_err(&e)));
            Ok(())
        }
        Err(e) => Err(Failure::new(expected, show_err(&e))
            .note("return bind's error as it is (or wrapped with the same kind)")),
        Ok(l) => {
            let f = Failure::new(expected, format!("Ok(a listener on {})", show_local(&l)));
            Err(if l.local_addr().map(|a| a.port()).ok() == Some(port) {
                f.note("two listeners on one port: is SO_REUSEPORT set? SO_REUSEADDR is the one to set")
            } else {
                f.note("open_listenfd(port) binds the port it is given, or fails")
            })
        }
    }
}

pub(super) fn open_listenfd_port_zero(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
    let first = listen(ctx, open_listenfd, 0)?;
    let a = local_addr(&first)?;
    ctx.step(format!("-> listening on {a}"));
    let second = listen(ctx, open_listenfd, 0)?;
    let b = local_addr(&second)?;
    ctx.step(format!("-> listening on {b}"));
    ctx.expect(
        "both ports are real and differ",
        a.port() != 0 && b.port() != 0 && a.port() != b.port(),
        "two different ports, neither 0: port 0 asks the kernel to choose a free one",
        format!("ports {} and {}", a.port(), b.port()),
    )
}
