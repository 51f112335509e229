//! Lab 2 checks: `netutil` over real sockets on loopback.
//!
//! The plan follows the handout, one step at a time:
//! - `resolve`: a numeric name comes back as itself with its port; `localhost`
//!   gives exactly what the system's `getaddrinfo` gives (every address, in
//!   order); an unknown host is an `Err` naming host and port.
//! - `connect_any`: a refusing address is skipped and the next one tried, in
//!   order, with a socket of the right family each time; when all fail, the
//!   error of the *last* one comes back; an empty slice is an `Err`; 200
//!   failed attempts leave `/proc/self/fd` as it was.
//! - `open_clientfd`: reaches 127.0.0.1, ::1 and `localhost` (trying every
//!   address `localhost` has), carries bytes both ways, names an unknown host,
//!   keeps `ConnectionRefused` as it is.
//! - `open_listenfd`: one listener on the unspecified address serves 127.0.0.1
//!   and ::1; `SO_REUSEADDR` is on, so a restarted server binds past its old
//!   connections in TIME_WAIT; the backlog holds 64 connections nobody
//!   accepted yet; a taken port is an `Err` of kind `AddrInUse`.
//!
//! How the set-up avoids flakes while checks run in parallel: every port comes
//! from port 0; a "refusing" address is a port the check *holds* (bound, never
//! listening), so no other process can take it and a connect to it is surely
//! refused; every connect and accept has a deadline (accept waits in `poll`).
//!
//! Each check is written over the function it checks (`ListenFn` …) and
//! registered with the `netutil` one. The unit tests at the bottom run the
//! same checks against classic buggy versions, to show that each bug fails
//! the check that names it.

use std::io::{self, ErrorKind, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use crate::check::{Check, CheckResult, Ctx, Failure, Kind, show_bytes};
use crate::peers::{V4, V6, read_up_to};
use crate::process::fd_count;
use crate::steps::{self, Step};

/// `netutil::resolve`.
type ResolveFn = fn(&str, u16) -> io::Result<Vec<SocketAddr>>;
/// `netutil::connect_any`.
type ConnectAnyFn = fn(&[SocketAddr]) -> io::Result<TcpStream>;
/// `netutil::open_clientfd`.
type ClientFn = fn(&str, u16) -> io::Result<TcpStream>;
/// `netutil::open_listenfd`.
type ListenFn = fn(u16) -> io::Result<TcpListener>;

/// A name that never resolves (RFC 6761 reserves `.invalid`).
const UNKNOWN_HOST: &str = "no-such-host.invalid";
/// The port asked for with [`UNKNOWN_HOST`]; the error must name it.
const UNKNOWN_PORT: u16 = 4242;
/// One loopback connect or accept: microseconds when all is well, so this
/// only ends a hang.
const QUICK: Duration = Duration::from_secs(2);
/// One lookup of [`UNKNOWN_HOST`]: resolvers answer `.invalid` at once.
const LOOKUP: Duration = Duration::from_secs(10);
/// Clients the backlog check connects without any accept.
const BACKLOG_CLIENTS: usize = 64;
/// Failed connects the fd check makes.
const FAILED_CONNECTS: usize = 200;

/// The checks of lab 2, in handout order.
pub fn checks() -> Vec<Check> {
    vec![
        // Step 1: resolve.
        check(
            "resolve_numeric_v4_v6",
            steps::LAB2_RESOLVE,
            1,
            "resolve gives a numeric IPv4 or IPv6 address back as itself, with the port",
            |ctx| resolve_numeric(ctx, netutil::resolve),
        ),
        check(
            "resolve_localhost_every_address",
            steps::LAB2_RESOLVE,
            2,
            "resolve(\"localhost\") gives every address getaddrinfo gives, in order, with the port",
            |ctx| resolve_localhost(ctx, netutil::resolve, system_resolve),
        ),
        Check {
            deadline: Duration::from_secs(15),
            ..check(
                "resolve_unknown_host_is_err",
                steps::LAB2_RESOLVE,
                1,
                "resolve of an unknown host is an Err naming host and port (no panic, no empty Vec)",
                |ctx| resolve_unknown_host(ctx, netutil::resolve),
            )
        },
        // Step 2: connect_any.
        check(
            "connect_any_tries_every_address",
            steps::LAB2_CONNECT,
            2,
            "connect_any skips refusing addresses and connects to the first listening one, in order",
            |ctx| connect_any_tries_every_address(ctx, netutil::connect_any),
        ),
        check(
            "connect_any_returns_last_error",
            steps::LAB2_CONNECT,
            1,
            "when no address connects, connect_any returns the error of the last one",
            |ctx| connect_any_returns_last_error(ctx, netutil::connect_any),
        ),
        check(
            "connect_any_empty_is_err",
            steps::LAB2_CONNECT,
            1,
            "connect_any(&[]) is an Err, not a panic",
            |ctx| connect_any_empty_is_err(ctx, netutil::connect_any),
        ),
        check(
            "connect_any_closes_failed_sockets",
            steps::LAB2_CONNECT,
            2,
            "200 failed connects leave the number of open fds unchanged",
            |ctx| connect_any_closes_failed_sockets(ctx, netutil::connect_any),
        ),
        // Step 3: open_clientfd.
        check(
            "open_clientfd_v4_v6_carries_bytes",
            steps::LAB2_CLIENTFD,
            2,
            "open_clientfd reaches 127.0.0.1 and ::1, and the stream carries bytes both ways",
            |ctx| open_clientfd_v4_v6(ctx, netutil::open_clientfd),
        ),
        check(
            "open_clientfd_localhost",
            steps::LAB2_CLIENTFD,
            1,
            "open_clientfd(\"localhost\") connects, trying each address localhost has",
            |ctx| open_clientfd_localhost(ctx, netutil::open_clientfd, system_resolve),
        ),
        Check {
            deadline: Duration::from_secs(15),
            ..check(
                "open_clientfd_unknown_host",
                steps::LAB2_CLIENTFD,
                1,
                "open_clientfd to an unknown host is an Err naming the host, no panic",
                |ctx| open_clientfd_unknown_host(ctx, netutil::open_clientfd),
            )
        },
        check(
            "open_clientfd_refused",
            steps::LAB2_CLIENTFD,
            1,
            "open_clientfd to a port nobody listens on is an Err of kind ConnectionRefused",
            |ctx| open_clientfd_refused(ctx, netutil::open_clientfd),
        ),
        // Step 4: open_listenfd.
        check(
            "open_listenfd_dual_stack",
            steps::LAB2_LISTENFD,
            2,
            "one open_listenfd(0) listener on the unspecified address accepts 127.0.0.1 and ::1",
            |ctx| open_listenfd_dual_stack(ctx, netutil::open_listenfd),
        ),
        check(
            "open_listenfd_sets_reuseaddr",
            steps::LAB2_LISTENFD,
            1,
            "the listening socket has SO_REUSEADDR set",
            |ctx| open_listenfd_sets_reuseaddr(ctx, netutil::open_listenfd),
        ),
        check(
            "open_listenfd_relisten_after_time_wait",
            steps::LAB2_LISTENFD,
            2,
            "open_listenfd succeeds at once on a port whose old connections are in TIME_WAIT",
            |ctx| open_listenfd_relisten_after_time_wait(ctx, netutil::open_listenfd),
        ),
        check(
            "open_listenfd_backlog",
            steps::LAB2_LISTENFD,
            1,
            "64 clients connect to an open_listenfd listener that has not accepted any yet",
            |ctx| open_listenfd_backlog(ctx, netutil::open_listenfd),
        ),
        check(
            "open_listenfd_port_in_use",
            steps::LAB2_LISTENFD,
            1,
            "open_listenfd on a port another listener holds is an Err of kind AddrInUse",
            |ctx| open_listenfd_port_in_use(ctx, netutil::open_listenfd),
        ),
        check(
            "open_listenfd_port_zero",
            steps::LAB2_LISTENFD,
            1,
            "open_listenfd(0) twice gives two listeners on two different real ports",
            |ctx| open_listenfd_port_zero(ctx, netutil::open_listenfd),
        ),
    ]
}

/// An in-process check with the usual 10 s deadline.
fn check(
    name: &'static str,
    step: Step,
    points: u32,
    about: &'static str,
    run: fn(&mut Ctx) -> CheckResult,
) -> Check {
    Check {
        name,
        step,
        points,
        deadline: Duration::from_secs(10),
        kind: Kind::Library,
        about,
        run,
    }
}

// ---------------------------------------------------------------------------
// Step 1: resolve
// ---------------------------------------------------------------------------

/// The system's own `getaddrinfo`, through std: what `resolve` must match.
fn system_resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}

fn resolve_numeric(ctx: &mut Ctx, resolve: ResolveFn) -> CheckResult {
    let cases = [
        ("127.0.0.1", 80, SocketAddr::new(V4, 80)),
        ("::1", 443, SocketAddr::new(V6, 443)),
        ("127.0.0.1", 65535, SocketAddr::new(V4, 65535)),
    ];
    for (host, port, want) in cases {
        ctx.step(format!("resolve({host:?}, {port})"));
        let got = resolve(host, port).map_err(|e| {
            Failure::new(format!("Ok([{want}])"), show_err(&e))
                .note("a numeric address needs no lookup: getaddrinfo gives it back as it is")
        })?;
        expect_addrs(ctx, &[want], &got)?;
    }
    Ok(())
}

fn resolve_localhost(ctx: &mut Ctx, resolve: ResolveFn, system: ResolveFn) -> CheckResult {
    let port = 8080;
    let want = system("localhost", port).map_err(|e| setup("resolve localhost itself", e))?;
    ctx.step(format!(
        "the system's getaddrinfo(\"localhost\", {port}) gives {want:?}"
    ));
    ctx.step(format!("resolve(\"localhost\", {port})"));
    let got = resolve("localhost", port)
        .map_err(|e| Failure::new(format!("Ok({want:?})"), show_err(&e)))?;
    expect_addrs(ctx, &want, &got)
}

fn resolve_unknown_host(ctx: &mut Ctx, resolve: ResolveFn) -> CheckResult {
    ctx.step(format!("resolve({UNKNOWN_HOST:?}, {UNKNOWN_PORT})"));
    let result = within(ctx.budget(LOOKUP), move || {
        resolve(UNKNOWN_HOST, UNKNOWN_PORT)
    })
    .ok_or_else(no_answer)?;
    let empty = matches!(&result, Ok(v) if v.is_empty());
    expect_lookup_error(ctx, result, true).map_err(|f| {
        if empty {
            f.note("an empty Vec is never an answer: the caller cannot say why; return the lookup's Err")
        } else {
            f
        }
    })
}

/// Compares addresses, explaining the usual ways they differ.
fn expect_addrs(ctx: &mut Ctx, want: &[SocketAddr], got: &[SocketAddr]) -> CheckResult {
    if got == want {
        ctx.step(format!("-> {got:?}  ok"));
        return Ok(());
    }
    let mut f = Failure::new(format!("Ok({want:?})"), format!("Ok({got:?})"));
    let port = want.first().map(|a| a.port());
    if got.is_empty() {
        f = f.note("an empty Vec is never an answer: a name without addresses is an Err");
    } else if got.iter().any(|a| Some(a.port()) != port) {
        f = f.note("every address carries the port that was asked for");
    } else if want.starts_with(got) {
        f = f.note(format!(
            "only the first {} of the {} addresses: keep every address getaddrinfo gives",
            got.len(),
            want.len()
        ));
    } else if got.len() == want.len() && got.iter().all(|a| want.contains(a)) {
        f = f.note("the right addresses in another order: keep getaddrinfo's order");
    }
    Err(f)
}

/// An `Err` whose message names [`UNKNOWN_HOST`] (and [`UNKNOWN_PORT`] if
/// `with_port`).
fn expect_lookup_error<T: std::fmt::Debug>(
    ctx: &mut Ctx,
    result: io::Result<T>,
    with_port: bool,
) -> CheckResult {
    let what = if with_port {
        format!("an Err whose message names the host {UNKNOWN_HOST} and the port {UNKNOWN_PORT}")
    } else {
        format!("an Err whose message names the host {UNKNOWN_HOST}")
    };
    let e = match result {
        Ok(v) => return Err(Failure::new(what, format!("Ok({v:?})"))),
        Err(e) => e,
    };
    let msg = e.to_string();
    let named =
        msg.contains(UNKNOWN_HOST) && (!with_port || msg.contains(&UNKNOWN_PORT.to_string()));
    if named {
        ctx.step(format!("-> Err({msg:?})  ok"));
        return Ok(());
    }
    Err(Failure::new(what, format!("Err({msg:?})")).note(
        "the lookup error alone does not say what was looked up: add it, e.g. \
         io::Error::new(e.kind(), format!(\"{host}:{port}: {e}\"))",
    ))
}

// ---------------------------------------------------------------------------
// Step 2: connect_any
// ---------------------------------------------------------------------------

fn connect_any_tries_every_address(ctx: &mut Ctx, connect_any: ConnectAnyFn) -> CheckResult {
    let ips = loopbacks();
    let (refused, _held) = refusing(&ips).map_err(|e| setup("hold a port that refuses", e))?;
    let listeners = ips
        .iter()
        .map(|ip| TcpListener::bind((*ip, 0)))
        .collect::<io::Result<Vec<_>>>()
        .map_err(|e| setup("listen on loopback", e))?;
    let open: Vec<SocketAddr> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    ctx.step(format!(
        "listening on {open:?}; {refused:?} refuse connections (bound, not listening)"
    ));
    let mut cases = vec![(
        vec![refused[0], open[0]],
        0,
        "a refusing address, then a listening one",
    )];
    if ips.len() == 2 {
        cases.push((
            vec![refused[1], open[0]],
            0,
            "IPv6 refusing, then IPv4 listening: a new socket of the address's family each time",
        ));
        cases.push((
            vec![refused[0], refused[1], open[1]],
            1,
            "two refusing addresses, then a listening one",
        ));
        cases.push((
            vec![open[1], open[0]],
            1,
            "two listening addresses: the first one in the slice wins",
        ));
    } else {
        cases.push((
            vec![refused[0], refused[0], open[0]],
            0,
            "two refusing addresses, then a listening one",
        ));
    }
    for (addrs, want, why) in cases {
        ctx.step(format!("connect_any({addrs:?})  ({why})"));
        let stream = connect_any(&addrs).map_err(|e| {
            Failure::new(
                format!("a stream connected to {}", open[want]),
                show_err(&e),
            )
            .note(
                "connect_any tries each address in turn: a failed connect closes that socket \
                 and moves on to the next address",
            )
        })?;
        expect_peer(ctx, &stream, open[want])?;
        expect_accepted(ctx, &listeners[want], &stream)?;
    }
    Ok(())
}

fn connect_any_returns_last_error(ctx: &mut Ctx, connect_any: ConnectAnyFn) -> CheckResult {
    let (a, _held_a) = refusing(&[V4]).map_err(|e| setup("hold a port that refuses", e))?;
    let (b, _held_b) = refusing(&[V4]).map_err(|e| setup("hold a port that refuses", e))?;
    let (ra, rb) = (a[0], b[0]);
    ctx.step(format!(
        "{ra} and {rb} refuse connections (bound, not listening)"
    ));
    // Only loopback addresses are used, and on loopback every failed
    // connect is a refusal: the kinds cannot tell the first error from the
    // last, so this checks that the error comes back with its kind.
    let cases: Vec<(Vec<SocketAddr>, ErrorKind, Option<ErrorKind>)> =
        vec![(vec![ra, rb], ErrorKind::ConnectionRefused, None)];
    for (addrs, want, first) in cases {
        ctx.step(format!("connect_any({addrs:?})  (every address fails)"));
        let last = addrs[addrs.len() - 1];
        let expected = format!("Err of kind {want:?}: the error of the last address, {last}");
        match connect_any(&addrs) {
            Ok(s) => return Err(Failure::new(expected, format!("Ok({})", show_stream(&s)))),
            Err(e) if e.kind() == want => ctx.step(format!("-> {}  ok", show_err(&e))),
            Err(e) => {
                let mut f = Failure::new(expected, show_err(&e));
                if Some(e.kind()) == first {
                    f = f.note(
                        "that is the error of the first address: keep the error of each \
                         attempt and return the last one",
                    );
                } else {
                    f = f.note("return the connect error itself, keeping its kind");
                }
                return Err(f);
            }
        }
    }
    Ok(())
}

fn connect_any_empty_is_err(ctx: &mut Ctx, connect_any: ConnectAnyFn) -> CheckResult {
    ctx.step("connect_any(&[])");
    match connect_any(&[]) {
        Err(e) => {
            ctx.step(format!("-> {}  ok", show_err(&e)));
            Ok(())
        }
        Ok(s) => Err(Failure::new(
            "an Err: there is no address to connect to",
            format!("Ok({})", show_stream(&s)),
        )),
    }
}

fn connect_any_closes_failed_sockets(ctx: &mut Ctx, connect_any: ConnectAnyFn) -> CheckResult {
    let ips = loopbacks();
    let (refused, _held) = refusing(&ips).map_err(|e| setup("hold a port that refuses", e))?;
    let listener = TcpListener::bind((V4, 0)).map_err(|e| setup("listen on 127.0.0.1", e))?;
    let open = listener
        .local_addr()
        .map_err(|e| setup("read the listener's address", e))?;
    // 10 refusing addresses; then 9 refusing and the listening one.
    let all_fail: Vec<SocketAddr> = refused.iter().cycle().take(10).copied().collect();
    let mut then_ok = all_fail[..9].to_vec();
    then_ok.push(open);
    ctx.step(format!(
        "{refused:?} refuse connections; {open} listens (and never accepts)"
    ));
    // Once before counting, so whatever is set up once per process is not
    // counted as a leak.
    ctx.step(format!(
        "warm-up: connect_any of 10 refusing addresses, then of 9 refusing + {open}"
    ));
    attempt(connect_any, &all_fail, false)?;
    attempt(connect_any, &then_ok, true)?;
    let before = fd_count("/proc/self/fd").map_err(|e| setup("count /proc/self/fd", e))?;
    ctx.step(format!("open fds in /proc/self/fd: {before}"));
    ctx.step(format!(
        "11 x connect_any(10 refusing addresses), 10 x connect_any(9 refusing + {open}) and drop \
         the stream: {FAILED_CONNECTS} failed connects"
    ));
    for _ in 0..11 {
        attempt(connect_any, &all_fail, false)?;
    }
    for _ in 0..10 {
        attempt(connect_any, &then_ok, true)?;
    }
    let after = fd_count("/proc/self/fd").map_err(|e| setup("count /proc/self/fd", e))?;
    if after == before {
        ctx.step(format!("open fds in /proc/self/fd: {after}  ok"));
        return Ok(());
    }
    ctx.step("count the open fds again");
    let grew = after as i64 - before as i64;
    Err(Failure::new(
        format!("{before} open fds, as before the {FAILED_CONNECTS} failed connects"),
        format!("{after} open fds ({grew:+})"),
    )
    .note(format!(
        "a socket whose connect failed must be closed (dropped) before the next address is \
         tried; here {grew} were left open, and a long-running client runs out of fds (EMFILE)"
    )))
}

/// One `connect_any` call of the fd check, which must connect or not.
fn attempt(connect_any: ConnectAnyFn, addrs: &[SocketAddr], connects: bool) -> CheckResult {
    match (connect_any(addrs), connects) {
        (Ok(_), true) | (Err(_), false) => Ok(()),
        (Ok(s), false) => Err(Failure::new(
            format!("Err: every address of {addrs:?} refuses"),
            format!("Ok({})", show_stream(&s)),
        )),
        (Err(e), true) => Err(Failure::new(
            format!(
                "a stream connected to {}, the last address",
                addrs[addrs.len() - 1]
            ),
            show_err(&e),
        )),
    }
}

// ---------------------------------------------------------------------------
// Step 3: open_clientfd
// ---------------------------------------------------------------------------

fn open_clientfd_v4_v6(ctx: &mut Ctx, open_clientfd: ClientFn) -> CheckResult {
    for ip in loopbacks() {
        let host = ip.to_string();
        let listener = TcpListener::bind((ip, 0)).map_err(|e| setup("listen on loopback", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| setup("read the listener's address", e))?;
        ctx.step(format!("listening on {addr}"));
        ctx.step(format!("open_clientfd({host:?}, {})", addr.port()));
        let mut client = open_clientfd(&host, addr.port())
            .map_err(|e| Failure::new(format!("a stream connected to {addr}"), show_err(&e)))?;
        expect_peer(ctx, &client, addr)?;
        let mut conn = expect_accepted(ctx, &listener, &client)?;
        exchange(ctx, &mut client, &mut conn)?;
    }
    Ok(())
}

fn open_clientfd_localhost(
    ctx: &mut Ctx,
    open_clientfd: ClientFn,
    system: ResolveFn,
) -> CheckResult {
    let found = system("localhost", 0).map_err(|e| setup("resolve localhost itself", e))?;
    let mut ips: Vec<IpAddr> = Vec::new();
    for a in &found {
        if a.ip().is_loopback() && !ips.contains(&a.ip()) {
            ips.push(a.ip());
        }
    }
    // An address family this machine lacks fails on its own: hold only the rest.
    let v6 = ipv6_loopback();
    ips.retain(|ip| ip.is_ipv4() || v6);
    let Some(&listen_ip) = ips.last() else {
        return Err(setup(
            "find a loopback address for localhost",
            io::Error::other(format!("localhost resolves to {found:?}")),
        ));
    };
    // Listen on the LAST address localhost has; the ones before it refuse.
    // A correct open_clientfd gets there by trying each in turn.
    let (port, mut held) =
        same_port(&ips).map_err(|e| setup("hold one port on localhost's addresses", e))?;
    let last = held
        .pop()
        .ok_or_else(|| setup("hold a port", io::Error::other("no socket")))?;
    last.listen(16).map_err(|e| setup("listen", e))?;
    let listener = TcpListener::from(last);
    let addr = SocketAddr::new(listen_ip, port);
    if ips.len() > 1 {
        ctx.step(format!(
            "localhost is {ips:?} here; listening on {addr}; the others refuse on port {port} \
             (bound, not listening)"
        ));
    } else {
        ctx.step(format!(
            "localhost is {listen_ip} here; listening on {addr}"
        ));
    }
    ctx.step(format!("open_clientfd(\"localhost\", {port})"));
    let mut client = open_clientfd("localhost", port).map_err(|e| {
        let f = Failure::new(format!("a stream connected to {addr}"), show_err(&e));
        if ips.len() > 1 {
            f.note(format!(
                "{addr} is the last of localhost's addresses: every address must be tried in turn"
            ))
        } else {
            f
        }
    })?;
    expect_peer(ctx, &client, addr)?;
    let mut conn = expect_accepted(ctx, &listener, &client)?;
    exchange(ctx, &mut client, &mut conn)
}

fn open_clientfd_unknown_host(ctx: &mut Ctx, open_clientfd: ClientFn) -> CheckResult {
    ctx.step(format!("open_clientfd({UNKNOWN_HOST:?}, {UNKNOWN_PORT})"));
    let result = within(ctx.budget(LOOKUP), move || {
        open_clientfd(UNKNOWN_HOST, UNKNOWN_PORT)
    })
    .ok_or_else(no_answer)?;
    expect_lookup_error(ctx, result, false)
}

fn open_clientfd_refused(ctx: &mut Ctx, open_clientfd: ClientFn) -> CheckResult {
    for ip in loopbacks() {
        let (addrs, _held) = refusing(&[ip]).map_err(|e| setup("hold a port that refuses", e))?;
        let port = addrs[0].port();
        ctx.step(format!(
            "nothing listens on {} (bound, not listening)",
            addrs[0]
        ));
        ctx.step(format!("open_clientfd(\"{ip}\", {port})"));
        let expected = "Err of kind ConnectionRefused";
        match open_clientfd(&ip.to_string(), port) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                ctx.step(format!("-> {}  ok", show_err(&e)));
            }
            Err(e) => {
                return Err(Failure::new(expected, show_err(&e)).note(
                    "return connect's error as it is (or wrapped with the same kind), so the \
                     caller can tell `refused` from other failures",
                ));
            }
            Ok(s) => return Err(Failure::new(expected, format!("Ok({})", show_stream(&s)))),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 4: open_listenfd
// ---------------------------------------------------------------------------

fn open_listenfd_dual_stack(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
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

fn open_listenfd_sets_reuseaddr(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
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

fn open_listenfd_relisten_after_time_wait(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
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
        None => ctx.step("cannot read /proc/net/tcp*; going on"),
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

fn open_listenfd_backlog(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
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

fn open_listenfd_port_in_use(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
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

fn open_listenfd_port_zero(ctx: &mut Ctx, open_listenfd: ListenFn) -> CheckResult {
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

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `open_listenfd(port)` as a step; an `Err` fails the check.
fn listen(ctx: &mut Ctx, open_listenfd: ListenFn, port: u16) -> Result<TcpListener, Failure> {
    ctx.step(format!("open_listenfd({port})"));
    open_listenfd(port).map_err(|e| Failure::new("a listener", show_err(&e)))
}

fn local_addr(l: &TcpListener) -> Result<SocketAddr, Failure> {
    l.local_addr()
        .map_err(|e| Failure::new("a listener with a local address", show_err(&e)))
}

/// The loopback addresses `listener` serves, 127.0.0.1 first: both for a
/// dual-stack `[::]`, one for `[::]` with IPV6_V6ONLY on, `0.0.0.0` or a
/// single address.
fn served_ips(listener: &TcpListener) -> Result<Vec<IpAddr>, Failure> {
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
fn loopbacks() -> Vec<IpAddr> {
    if ipv6_loopback() {
        vec![V4, V6]
    } else {
        vec![V4]
    }
}

/// Can this machine listen on ::1?
fn ipv6_loopback() -> bool {
    TcpListener::bind((V6, 0)).is_ok()
}

/// A failure of the grader's own set-up, not of the code under test.
fn setup(what: &str, e: io::Error) -> Failure {
    Failure::new(format!("the grader to {what}"), format!("{e}"))
        .note("a problem of the test machine, not of the code under test")
}

fn no_answer() -> Failure {
    Failure::new(
        format!("an answer within {} s", LOOKUP.as_secs()),
        "no answer: the call is still blocked",
    )
}

/// `Err(ConnectionRefused: Connection refused (os error 111))`.
fn show_err(e: &io::Error) -> String {
    format!("Err({:?}: {e})", e.kind())
}

fn show_stream(s: &TcpStream) -> String {
    match (s.local_addr(), s.peer_addr()) {
        (Ok(l), Ok(p)) => format!("a stream from {l} to {p}"),
        _ => "a stream".to_string(),
    }
}

fn show_local(l: &TcpListener) -> String {
    l.local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|e| format!("? ({e})"))
}

/// Same address, reading `::ffff:127.0.0.1` as `127.0.0.1`.
fn same(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && a.ip().to_canonical() == b.ip().to_canonical()
}

/// The stream is connected to `want`.
fn expect_peer(ctx: &mut Ctx, stream: &TcpStream, want: SocketAddr) -> CheckResult {
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
fn expect_accepted(
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
fn exchange(ctx: &mut Ctx, client: &mut TcpStream, conn: &mut TcpStream) -> CheckResult {
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
/// and keeps the kernel from picking it as a client's own port.
fn refusing(ips: &[IpAddr]) -> io::Result<(Vec<SocketAddr>, Vec<Socket>)> {
    let (port, held) = same_port(ips)?;
    Ok((
        ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
        held,
    ))
}

/// Binds a socket on each of `ips`, all on one port the kernel picks.
fn same_port(ips: &[IpAddr]) -> io::Result<(u16, Vec<Socket>)> {
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
fn listener_on_any() -> io::Result<TcpListener> {
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
/// TIME_WAIT (per `/proc/net/tcp` and `tcp6`), or `wait` passes; the count
/// seen last, or `None` if those files cannot be read.
fn wait_time_wait(port: u16, n: usize, wait: Duration) -> Option<usize> {
    let until = Instant::now() + wait;
    loop {
        let seen = time_wait_count(port)?;
        if seen >= n || Instant::now() >= until {
            return Some(seen);
        }
        // There is no event for "a connection entered TIME_WAIT": this
        // paces the polling of /proc, it is not synchronisation.
        thread::sleep(Duration::from_millis(1));
    }
}

/// Connections in TIME_WAIT (state `06`) whose local port is `port`.
fn time_wait_count(port: u16) -> Option<usize> {
    let mut count = 0;
    let mut read_any = false;
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        read_any = true;
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) && fields.get(3) == Some(&"06") {
                count += 1;
            }
        }
    }
    read_any.then_some(count)
}

/// Runs `f` on a thread of its own and waits at most `wait` for it: `None`
/// if it is still running then. A panic in `f` goes on as a panic here (it
/// was already printed, so the runner reports it).
fn within<T: Send + 'static>(wait: Duration, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
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

#[cfg(test)]
mod tests {
    //! The checks against a correct implementation written here (so these
    //! tests do not depend on the state of `crates/`), and against the
    //! classic bugs: each must fail the check that names it, saying why.

    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    // --- a correct implementation -------------------------------------

    fn good_resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        let found = (host, port)
            .to_socket_addrs()
            .map_err(|e| io::Error::new(e.kind(), format!("{host}:{port}: {e}")))?;
        let addrs: Vec<SocketAddr> = found.collect();
        if addrs.is_empty() {
            return Err(io::Error::new(
                ErrorKind::NotFound,
                format!("{host}:{port}: no address"),
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
}
