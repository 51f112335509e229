//! Lab 2 checks: `netutil` over real sockets on loopback.
//!
//! The plan follows the handout, one step at a time:
//! - `resolve`: a numeric name comes back as itself with its port; `localhost`
//!   gives exactly what the system's `getaddrinfo` gives (every address, in
//!   order); an unknown host is an `Err` naming host and port.
//! - `connect_any`: a refusing address is skipped and the next one tried, in
//!   order, with a socket of the right family each time; when all fail, the
//!   error of the *last* one comes back; an empty slice is an `Err`; 200
//!   failed attempts leave this process's open fds as they were.
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
//! registered with the `netutil` one. The unit tests in `tests` run the
//! same checks against classic buggy versions, to show that each bug fails
//! the check that names it.
//!
//! The code: this file holds the plan and the list of checks; `resolve`,
//! `connect_any`, `clientfd` and `listenfd` the checks of steps 1 to 4;
//! `support` the set-up and explanations they share.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use crate::check::Check;
use crate::steps::{self};

mod clientfd;
mod connect_any;
mod listenfd;
mod resolve;
mod support;
#[cfg(test)]
mod tests;

use clientfd::*;
use connect_any::*;
use listenfd::*;
use resolve::*;

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
    checks! {
        // Step 1: resolve.
        library resolve_numeric_v4_v6: steps::LAB2_RESOLVE, 1,
            "resolve gives a numeric IPv4 or IPv6 address back as itself, with the port"
            => |ctx| resolve_numeric(ctx, netutil::resolve);
        library resolve_localhost_every_address: steps::LAB2_RESOLVE, 2,
            "resolve(\"localhost\") gives every address getaddrinfo gives, in order, with the port"
            => |ctx| resolve_localhost(ctx, netutil::resolve, system_resolve);
        library resolve_unknown_host_is_err: steps::LAB2_RESOLVE, 1,
            "resolve of an unknown host is an Err naming host and port (no panic, no empty Vec)"
            => |ctx| resolve_unknown_host(ctx, netutil::resolve), with_deadline(Duration::from_secs(15));
        // Step 2: connect_any.
        library connect_any_tries_every_address: steps::LAB2_CONNECT, 2,
            "connect_any skips refusing addresses and connects to the first listening one, in order"
            => |ctx| connect_any_tries_every_address(ctx, netutil::connect_any);
        library connect_any_returns_last_error: steps::LAB2_CONNECT, 1,
            "when no address connects, connect_any returns the error of the last one"
            => |ctx| connect_any_returns_last_error(ctx, netutil::connect_any);
        library connect_any_empty_is_err: steps::LAB2_CONNECT, 1,
            "connect_any(&[]) is an Err, not a panic"
            => |ctx| connect_any_empty_is_err(ctx, netutil::connect_any);
        library connect_any_closes_failed_sockets: steps::LAB2_CONNECT, 2,
            "200 failed connects leave the number of open fds unchanged"
            => |ctx| connect_any_closes_failed_sockets(ctx, netutil::connect_any);
        // Step 3: open_clientfd.
        library open_clientfd_v4_v6_carries_bytes: steps::LAB2_CLIENTFD, 2,
            "open_clientfd reaches 127.0.0.1 and ::1, and the stream carries bytes both ways"
            => |ctx| open_clientfd_v4_v6(ctx, netutil::open_clientfd);
        library open_clientfd_localhost: steps::LAB2_CLIENTFD, 1,
            "open_clientfd(\"localhost\") connects, trying each address localhost has"
            => |ctx| open_clientfd_localhost(ctx, netutil::open_clientfd, system_resolve);
        library open_clientfd_unknown_host: steps::LAB2_CLIENTFD, 1,
            "open_clientfd to an unknown host is an Err naming the host, no panic"
            => |ctx| open_clientfd_unknown_host(ctx, netutil::open_clientfd), with_deadline(Duration::from_secs(15));
        library open_clientfd_refused: steps::LAB2_CLIENTFD, 1,
            "open_clientfd to a port nobody listens on is an Err of kind ConnectionRefused"
            => |ctx| open_clientfd_refused(ctx, netutil::open_clientfd);
        // Step 4: open_listenfd.
        library open_listenfd_dual_stack: steps::LAB2_LISTENFD, 2,
            "one open_listenfd(0) listener on the unspecified address accepts 127.0.0.1 and ::1"
            => |ctx| open_listenfd_dual_stack(ctx, netutil::open_listenfd);
        library open_listenfd_sets_reuseaddr: steps::LAB2_LISTENFD, 1,
            "the listening socket has SO_REUSEADDR set"
            => |ctx| open_listenfd_sets_reuseaddr(ctx, netutil::open_listenfd);
        library open_listenfd_relisten_after_time_wait: steps::LAB2_LISTENFD, 2,
            "open_listenfd succeeds at once on a port whose old connections are in TIME_WAIT"
            => |ctx| open_listenfd_relisten_after_time_wait(ctx, netutil::open_listenfd);
        library open_listenfd_backlog: steps::LAB2_LISTENFD, 1,
            "64 clients connect to an open_listenfd listener that has not accepted any yet"
            => |ctx| open_listenfd_backlog(ctx, netutil::open_listenfd);
        library open_listenfd_port_in_use: steps::LAB2_LISTENFD, 1,
            "open_listenfd on a port another listener holds is an Err of kind AddrInUse"
            => |ctx| open_listenfd_port_in_use(ctx, netutil::open_listenfd);
        library open_listenfd_port_zero: steps::LAB2_LISTENFD, 1,
            "open_listenfd(0) twice gives two listeners on two different real ports"
            => |ctx| open_listenfd_port_zero(ctx, netutil::open_listenfd);
    }
}
