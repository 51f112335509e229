//! Step 3: `open_clientfd`, from a name to a connected stream.
//!
//! It reaches 127.0.0.1, ::1 and `localhost` (trying every address
//! `localhost` has, the listening one last), carries bytes both ways, names
//! an unknown host, and keeps `ConnectionRefused` as it is.

use std::io::{self, ErrorKind};
use std::net::{IpAddr, SocketAddr, TcpListener};

use crate::check::{CheckResult, Ctx, Failure};

use super::resolve::expect_lookup_error;
use super::support::{
    exchange, expect_accepted, expect_peer, ipv6_loopback, loopbacks, no_answer, refusing,
    same_port, setup, show_err, show_stream, within,
};
use super::{ClientFn, LOOKUP, ResolveFn, UNKNOWN_HOST, UNKNOWN_PORT};

pub(super) fn open_clientfd_v4_v6(ctx: &mut Ctx, open_clientfd: ClientFn) -> CheckResult {
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

pub(super) fn open_clientfd_localhost(
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

pub(super) fn open_clientfd_unknown_host(ctx: &mut Ctx, open_clientfd: ClientFn) -> CheckResult {
    ctx.step(format!("open_clientfd({UNKNOWN_HOST:?}, {UNKNOWN_PORT})"));
    let result = within(ctx.budget(LOOKUP), move || {
        open_clientfd(UNKNOWN_HOST, UNKNOWN_PORT)
    })
    .ok_or_else(no_answer)?;
    expect_lookup_error(ctx, result, false)
}

pub(super) fn open_clientfd_refused(ctx: &mut Ctx, open_clientfd: ClientFn) -> CheckResult {
    for ip in loopbacks() {
        let (addrs, _held) = refusing(&[ip])?;
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
