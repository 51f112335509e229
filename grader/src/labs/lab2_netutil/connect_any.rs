//! Step 2: `connect_any` over refusing and listening loopback addresses.
//!
//! A refusing address is skipped and the next one tried, in order, with a
//! socket of the right family each time; when all fail the error of the last
//! one comes back; an empty slice is an `Err`; 200 failed connects leave
//! this process's open fds as they were.

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpListener};

use crate::check::{CheckResult, Ctx, Failure};
use crate::peers::V4;

use super::support::{
    expect_accepted, expect_peer, loopbacks, refusing, setup, show_err, show_stream,
};
use super::{ConnectAnyFn, FAILED_CONNECTS};

pub(super) fn connect_any_tries_every_address(
    ctx: &mut Ctx,
    connect_any: ConnectAnyFn,
) -> CheckResult {
    let ips = loopbacks();
    let (refused, _held) = refusing(&ips)?;
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

pub(super) fn connect_any_returns_last_error(
    ctx: &mut Ctx,
    connect_any: ConnectAnyFn,
) -> CheckResult {
    let (a, _held_a) = refusing(&[V4])?;
    let (b, _held_b) = refusing(&[V4])?;
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

pub(super) fn connect_any_empty_is_err(ctx: &mut Ctx, connect_any: ConnectAnyFn) -> CheckResult {
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

pub(super) fn connect_any_closes_failed_sockets(
    ctx: &mut Ctx,
    connect_any: ConnectAnyFn,
) -> CheckResult {
    let (refused, _held) = refusing(&loopbacks())?;
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
    let before = own_fd_count().map_err(|e| setup("count this process's open fds", e))?;
    ctx.step(format!("open fds of this process: {before}"));
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
    let after = own_fd_count().map_err(|e| setup("count this process's open fds", e))?;
    if after == before {
        ctx.step(format!("open fds of this process: {after}  ok"));
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

/// How many fds this process has open.
fn own_fd_count() -> io::Result<usize> {
    grader_sandbox::sys::open_fd_count(std::process::id() as i32)
}
