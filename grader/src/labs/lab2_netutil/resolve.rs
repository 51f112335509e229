//! Step 1: `resolve`, compared with the system's own `getaddrinfo`.
//!
//! A numeric name comes back as itself with its port; `localhost` gives
//! exactly what `getaddrinfo` gives (every address, in order); an unknown
//! host is an `Err` whose message names host and port, never a panic or an
//! empty `Vec`.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::check::{CheckResult, Ctx, Failure};
use crate::peers::{V4, V6};

use super::support::{no_answer, setup, show_err, within};
use super::{LOOKUP, ResolveFn, UNKNOWN_HOST, UNKNOWN_PORT};

/// The system's own `getaddrinfo`, through std: what `resolve` must match.
pub(super) fn system_resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}

pub(super) fn resolve_numeric(ctx: &mut Ctx, resolve: ResolveFn) -> CheckResult {
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

pub(super) fn resolve_localhost(
    ctx: &mut Ctx,
    resolve: ResolveFn,
    system: ResolveFn,
) -> CheckResult {
    let port = 8080;
    let want = system("localhost", port).map_err(|e| setup("resolve localhost itself", e))?;
    ctx.step(format!(
        "the system's getaddrinfo(\"localhost\", {port}) gives {want:?}"
    ));
    ctx.step(format!("resolve(\"localhost\", {port})"));
    let got = resolve("localhost", port)
        .map_err(|e| Failure::new(format!("Ok({want:?})"), show_err(&e)))?;
    // getaddrinfo called without a socket-type hint lists each address once
    // per socket type (stream, datagram, raw): still every address, in
    // order, so repeats are forgiven.
    let mut got = got;
    let mut seen = std::collections::HashSet::new();
    got.retain(|a| seen.insert(*a));
    expect_addrs(ctx, &want, &got)
}

pub(super) fn resolve_unknown_host(ctx: &mut Ctx, resolve: ResolveFn) -> CheckResult {
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
pub(super) fn expect_lookup_error<T: std::fmt::Debug>(
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
        "the lookup error alone does not say what was looked up: add it, as in \
         io::Error::new(e.kind(), format!(\"cannot resolve {host}:{port}: {e}\"))",
    ))
}
