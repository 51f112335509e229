//! The checks against a correct implementation written here (so these
//! tests do not depend on the state of `crates/`), and against the
//! classic bugs: each must fail the check that names it, saying why.

use std::io::{self, ErrorKind};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, Type};

use crate::check::{CheckResult, Ctx};
use crate::peers::{V4, V6};

use super::*;

// --- a correct implementation -------------------------------------

fn good_resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let found = (host, port)
        .to_socket_addrs()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot resolve {host}:{port}: {e}")))?;
    let addrs: Vec<SocketAddr> = found.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            ErrorKind::NotFound,
            format!("cannot resolve {host}:{port}: no address found"),
        ));
    }
    Ok(addrs)
}

fn good_connect_any(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = io::Error::new(ErrorKind::InvalidInput, "no address to connect to");
    for addr in addrs {
        let s = Socket::new(Domain::for_address(*addr), Type::STREAM, None)?;
        match s.connect(&SockAddr::from(*addr)) {
            Ok(()) => return Ok(s.into()),
            Err(e) => last = e, // `s` is dropped: closed
        }
    }
    Err(last)
}

fn good_clientfd(host: &str, port: u16) -> io::Result<TcpStream> {
    good_connect_any(&good_resolve(host, port)?)
}

struct Opts {
    ip: IpAddr,
    only_v6: bool,
    reuse: bool,
    backlog: i32,
    ignore_port: bool,
    unwrap_bind: bool,
}

const GOOD: Opts = Opts {
    ip: IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    only_v6: false,
    reuse: true,
    backlog: 1024,
    ignore_port: false,
    unwrap_bind: false,
};

fn listen_with(port: u16, o: Opts) -> io::Result<TcpListener> {
    let port = if o.ignore_port { 0 } else { port };
    let addr = SocketAddr::new(o.ip, port);
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        s.set_only_v6(o.only_v6)?;
    }
    s.set_reuse_address(o.reuse)?;
    let bound = s.bind(&SockAddr::from(addr));
    if o.unwrap_bind {
        bound.unwrap();
    } else {
        bound?;
    }
    s.listen(o.backlog)?;
    Ok(s.into())
}

fn good_listenfd(port: u16) -> io::Result<TcpListener> {
    listen_with(port, GOOD)
}

// --- classic bugs ----------------------------------------------------

fn resolve_drops_port(host: &str, _port: u16) -> io::Result<Vec<SocketAddr>> {
    good_resolve(host, 0)
}
fn resolve_empty_on_error(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port)
        .to_socket_addrs()
        .map(|a| a.collect())
        .unwrap_or_default())
}
fn resolve_unwrap(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs().unwrap().collect())
}
fn resolve_bare_error(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}
/// A resolver where localhost has two addresses, as on most machines.
fn two_localhosts(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if host == "localhost" {
        Ok(vec![SocketAddr::new(V6, port), SocketAddr::new(V4, port)])
    } else {
        good_resolve(host, port)
    }
}
fn two_localhosts_first_only(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok(two_localhosts(host, port)?.into_iter().take(1).collect())
}
fn two_localhosts_reversed(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok(two_localhosts(host, port)?.into_iter().rev().collect())
}

fn connect_first_only(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    TcpStream::connect(addrs.first().ok_or_else(|| io::Error::other("empty"))?)
}
fn connect_first_error(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut first = None;
    for addr in addrs {
        match TcpStream::connect(addr) {
            Ok(s) => return Ok(s),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(first.unwrap_or_else(|| io::Error::other("empty")))
}
fn connect_generic_error(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    good_connect_any(addrs).map_err(|_| io::Error::other("could not connect"))
}
fn connect_leaky(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = io::Error::other("empty");
    for addr in addrs {
        let s = Socket::new(Domain::for_address(*addr), Type::STREAM, None)?;
        match s.connect(&SockAddr::from(*addr)) {
            Ok(()) => return Ok(s.into()),
            Err(e) => {
                last = e;
                std::mem::forget(s); // the bug: never closed
            }
        }
    }
    Err(last)
}
fn connect_panics_on_empty(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap())
}
fn connect_one_socket(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let first = addrs.first().ok_or_else(|| io::Error::other("empty"))?;
    let s = Socket::new(Domain::for_address(*first), Type::STREAM, None)?;
    let mut last = io::Error::other("empty");
    for addr in addrs {
        match s.connect(&SockAddr::from(*addr)) {
            Ok(()) => return Ok(s.into()),
            Err(e) => last = e,
        }
    }
    Err(last)
}
fn connect_reversed(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let rev: Vec<SocketAddr> = addrs.iter().rev().copied().collect();
    good_connect_any(&rev)
}

fn clientfd_first_only_localhost(host: &str, port: u16) -> io::Result<TcpStream> {
    connect_first_only(&two_localhosts(host, port)?)
}
fn clientfd_two_localhosts(host: &str, port: u16) -> io::Result<TcpStream> {
    good_connect_any(&two_localhosts(host, port)?)
}
fn clientfd_kind_lost(host: &str, port: u16) -> io::Result<TcpStream> {
    good_clientfd(host, port).map_err(|e| io::Error::other(format!("{host}:{port}: {e}")))
}
fn clientfd_unwrap(host: &str, port: u16) -> io::Result<TcpStream> {
    good_connect_any(&resolve_unwrap(host, port)?)
}
fn clientfd_bare_error(host: &str, port: u16) -> io::Result<TcpStream> {
    good_connect_any(&resolve_bare_error(host, port)?)
}

fn listen_no_reuse(port: u16) -> io::Result<TcpListener> {
    listen_with(
        port,
        Opts {
            reuse: false,
            ..GOOD
        },
    )
}
fn listen_v4_loopback(port: u16) -> io::Result<TcpListener> {
    listen_with(port, Opts { ip: V4, ..GOOD })
}
fn listen_v4_any(port: u16) -> io::Result<TcpListener> {
    listen_with(
        port,
        Opts {
            ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ..GOOD
        },
    )
}
fn listen_v6_only(port: u16) -> io::Result<TcpListener> {
    listen_with(
        port,
        Opts {
            only_v6: true,
            ..GOOD
        },
    )
}
fn listen_backlog_1(port: u16) -> io::Result<TcpListener> {
    listen_with(port, Opts { backlog: 1, ..GOOD })
}
fn listen_ignores_port(port: u16) -> io::Result<TcpListener> {
    listen_with(
        port,
        Opts {
            ignore_port: true,
            ..GOOD
        },
    )
}
fn listen_unwrap_bind(port: u16) -> io::Result<TcpListener> {
    listen_with(
        port,
        Opts {
            unwrap_bind: true,
            ..GOOD
        },
    )
}

// --- running a check here --------------------------------------------

/// Runs a check; its failure as one text (a panic counts as a failure).
fn outcome(run: impl FnOnce(&mut Ctx) -> CheckResult) -> Result<(), String> {
    let mut ctx = Ctx::new(Duration::from_secs(10));
    match catch_unwind(AssertUnwindSafe(|| run(&mut ctx))) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(f)) => Err(format!(
            "expected: {}\nobserved: {}\n{}",
            f.expected,
            f.observed,
            f.notes.join("\n")
        )),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panicked: {msg}"))
        }
    }
}

fn passes(run: impl FnOnce(&mut Ctx) -> CheckResult) {
    if let Err(f) = outcome(run) {
        panic!("a correct implementation failed:\n{f}");
    }
}

/// The check fails, and its message contains every one of `says`.
fn fails(run: impl FnOnce(&mut Ctx) -> CheckResult, says: &[&str]) {
    match outcome(run) {
        Ok(()) => panic!("the bug was not caught"),
        Err(text) => {
            for s in says {
                assert!(text.contains(s), "failure text lacks {s:?}:\n{text}");
            }
        }
    }
}

// --- the correct implementation passes ----------------------------

#[test]
fn correct_resolve_passes() {
    passes(|c| resolve_numeric(c, good_resolve));
    passes(|c| resolve_localhost(c, good_resolve, system_resolve));
    passes(|c| resolve_localhost(c, two_localhosts, two_localhosts));
    passes(|c| resolve_unknown_host(c, good_resolve));
}

#[test]
fn correct_connect_any_passes() {
    passes(|c| connect_any_tries_every_address(c, good_connect_any));
    passes(|c| connect_any_returns_last_error(c, good_connect_any));
    passes(|c| connect_any_empty_is_err(c, good_connect_any));
    // The fd check needs a process of its own (other tests open fds
    // meanwhile): it runs against the reference in `tests/lab2_netutil`.
}

#[test]
fn correct_open_clientfd_passes() {
    passes(|c| open_clientfd_v4_v6(c, good_clientfd));
    passes(|c| open_clientfd_localhost(c, good_clientfd, system_resolve));
    passes(|c| open_clientfd_localhost(c, clientfd_two_localhosts, two_localhosts));
    passes(|c| open_clientfd_unknown_host(c, good_clientfd));
    passes(|c| open_clientfd_refused(c, good_clientfd));
}

#[test]
fn correct_open_listenfd_passes() {
    passes(|c| open_listenfd_dual_stack(c, good_listenfd));
    passes(|c| open_listenfd_sets_reuseaddr(c, good_listenfd));
    passes(|c| open_listenfd_relisten_after_time_wait(c, good_listenfd));
    passes(|c| open_listenfd_backlog(c, good_listenfd));
    passes(|c| open_listenfd_port_in_use(c, good_listenfd));
    passes(|c| open_listenfd_port_zero(c, good_listenfd));
}

// --- each bug fails the check that names it --------------------------

#[test]
fn resolve_bugs_fail() {
    fails(
        |c| resolve_numeric(c, resolve_drops_port),
        &["Ok([127.0.0.1:0])", "carries the port"],
    );
    fails(
        |c| resolve_localhost(c, two_localhosts_first_only, two_localhosts),
        &["only the first 1 of the 2"],
    );
    fails(
        |c| resolve_localhost(c, two_localhosts_reversed, two_localhosts),
        &["another order"],
    );
    fails(
        |c| resolve_unknown_host(c, resolve_empty_on_error),
        &["Ok([])", "empty Vec"],
    );
    fails(
        |c| resolve_unknown_host(c, resolve_unwrap),
        &["panicked", "unwrap"],
    );
    fails(
        |c| resolve_unknown_host(c, resolve_bare_error),
        &["names the host", "failed to lookup"],
    );
}

#[test]
fn connect_any_bugs_fail() {
    fails(
        |c| connect_any_tries_every_address(c, connect_first_only),
        &["ConnectionRefused", "each address in turn"],
    );
    fails(
        |c| connect_any_tries_every_address(c, connect_one_socket),
        &["each address in turn"],
    );
    fails(
        |c| connect_any_tries_every_address(c, connect_reversed),
        &["the first that accepts wins"],
    );
    // Returning the first error instead of the last is not caught: on
    // loopback every failed connect is ConnectionRefused, so the two
    // are the same error (see connect_any_returns_last_error).
    passes(|c| connect_any_returns_last_error(c, connect_first_error));
    fails(
        |c| connect_any_returns_last_error(c, connect_generic_error),
        &["Err(Other: could not connect)"],
    );
    fails(
        |c| connect_any_empty_is_err(c, connect_panics_on_empty),
        &["panicked", "unwrap"],
    );
    fails(
        |c| connect_any_closes_failed_sockets(c, connect_leaky),
        &["open fds (+", "must be closed"],
    );
}

#[test]
fn open_clientfd_bugs_fail() {
    fails(
        |c| open_clientfd_localhost(c, clientfd_first_only_localhost, two_localhosts),
        &["ConnectionRefused", "every address must be tried"],
    );
    fails(
        |c| open_clientfd_refused(c, clientfd_kind_lost),
        &["Err(Other", "same kind"],
    );
    fails(
        |c| open_clientfd_unknown_host(c, clientfd_unwrap),
        &["panicked"],
    );
    fails(
        |c| open_clientfd_unknown_host(c, clientfd_bare_error),
        &["names the host"],
    );
}

#[test]
fn open_listenfd_bugs_fail() {
    fails(
        |c| open_listenfd_sets_reuseaddr(c, listen_no_reuse),
        &["SO_REUSEADDR", "off"],
    );
    fails(
        |c| open_listenfd_relisten_after_time_wait(c, listen_no_reuse),
        &["AddrInUse", "TIME_WAIT"],
    );
    fails(
        |c| open_listenfd_dual_stack(c, listen_v4_loopback),
        &["observed: 127.0.0.1:"],
    );
    fails(
        |c| open_listenfd_dual_stack(c, listen_v6_only),
        &["IPV6_V6ONLY is on"],
    );
    fails(
        |c| open_listenfd_dual_stack(c, listen_v4_any),
        &["[::1]", "0.0.0.0 (IPv4 only)"],
    );
    fails(
        |c| open_listenfd_backlog(c, listen_backlog_1),
        &["client 3 of 64", "listen(1)"],
    );
    fails(
        |c| open_listenfd_port_in_use(c, listen_ignores_port),
        &["Ok(a listener on", "binds the port it is given"],
    );
    fails(
        |c| open_listenfd_relisten_after_time_wait(c, listen_ignores_port),
        &["binds the port it is given"],
    );
    fails(
        |c| open_listenfd_port_in_use(c, listen_unwrap_bind),
        &["panicked", "AddrInUse"],
    );
}
