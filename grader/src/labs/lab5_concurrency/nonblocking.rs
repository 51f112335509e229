//! Step 3's rule that the other checks can't see: every socket of the
//! event loop is non-blocking.
//!
//! A blocking socket in `echoservers` is a bug that loopback hides. `poll`
//! on Linux says `POLLOUT` only when the (large, auto-tuned) send buffer
//! has plenty of room, and the checks' lines arrive whole, so a blocking
//! `read` or `write` after a `poll` that said "ready" rarely waits here,
//! and an event loop that left its accepted sockets blocking (and writes
//! with `write_all`) passes every echo. Until a client sends half a line
//! or stops reading, over a real network. So this check looks at the
//! descriptors themselves: each socket the server holds must have
//! `O_NONBLOCK` set, as `fcntl(F_GETFL)` in the server would read it (the
//! platform layer, `grader_sandbox::sys`, reads it from outside).

use std::time::{Duration, Instant};

use grader_sandbox::sys;

use crate::bins::Binary;
use crate::check::{CheckResult, Ctx, Failure};
use crate::labs::servers::accept::with_server;
use crate::peers::EchoServer;

use super::support::{connect_silent, expect_lines};

/// Silent clients connected before the flags are read.
const CLIENTS: usize = 3;
/// How long the sockets may take to become non-blocking after their
/// `Connected to` line (a correct server: microseconds, as it makes its
/// `Client`; a wrong one: never).
const SETTLE: Duration = Duration::from_secs(1);

/// Each socket of `pid`: its descriptor and whether it is non-blocking.
/// A descriptor closed between the listing and the look is left out.
fn sockets(pid: i32) -> Result<Vec<(i32, bool)>, Failure> {
    let fds = sys::open_fds(pid).map_err(|e| {
        Failure::new(
            "the server's open descriptors",
            format!("cannot list them: {e}"),
        )
    })?;
    let mut found = Vec::new();
    for fd in fds {
        if let (Ok(true), Ok(nonblocking)) =
            (sys::fd_is_socket(pid, fd), sys::fd_is_nonblocking(pid, fd))
        {
            found.push((fd, nonblocking));
        }
    }
    found.sort_unstable();
    Ok(found)
}

pub(super) fn sockets_nonblocking(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let clients = connect_silent(ctx, &mut server, CLIENTS)?;
    expect_lines(ctx, &mut server, "Connected to (", CLIENTS)?;
    ctx.step(format!(
        "read the O_NONBLOCK flag of every socket {} holds (the listener and {CLIENTS} clients)",
        server.proc.name()
    ));
    let pid = server.proc.pid() as i32;
    // The last client's socket is made non-blocking just after its line is
    // printed: look again until all are, or the deadline says one never is.
    let until = Instant::now() + ctx.budget(SETTLE);
    let found = loop {
        let found = sockets(pid)?;
        let settled = found.len() > CLIENTS && found.iter().all(|&(_, nonblocking)| nonblocking);
        if settled || Instant::now() >= until {
            break found;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let blocking: Vec<String> = found
        .iter()
        .filter(|&&(_, nonblocking)| !nonblocking)
        .map(|(fd, _)| fd.to_string())
        .collect();
    if found.len() <= CLIENTS {
        return Err(with_server(
            Failure::new(
                format!(
                    "at least {} sockets: the listener and {CLIENTS} clients",
                    CLIENTS + 1
                ),
                format!("{} sockets", found.len()),
            ),
            &mut server,
        ));
    }
    if !blocking.is_empty() {
        return Err(with_server(
            Failure::new(
                "every socket non-blocking (O_NONBLOCK set): the listener (init_pool) and each accepted client (Client::new)",
                format!(
                    "{} of its {} sockets blocking, for {} ms: descriptor{} {}",
                    blocking.len(),
                    found.len(),
                    SETTLE.as_millis(),
                    if blocking.len() == 1 { "" } else { "s" },
                    blocking.join(", ")
                ),
            )
            .note(
                "one thread serves everyone: a blocking read waits for the rest of a half-sent line, a blocking write \
                 for a client that doesn't read, and every other client waits with it. Call set_nonblocking(true) \
                 on each accepted socket in Client::new, as on the listener in init_pool, and write once per wake-up",
            ),
            &mut server,
        ));
    }
    ctx.step(format!("all {} sockets are non-blocking  ok", found.len()));
    drop(clients);
    server.expect_alive(ctx)
}
