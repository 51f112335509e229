//! A server outlives bad clients (lab 3 step 3, and lab 5 again).
//!
//! Five clients do what real clients do to a server: reset after a line,
//! reset before sending, send 4 MiB and never read the echoes, die
//! (`SIGKILL`) mid-stream in a process of their own, and close while the
//! echo is still coming (the reset that raises SIGPIPE in a C server). After
//! each, the same server must serve a new client and still be running; after
//! the first four, whose connection surely fails, it must also have logged
//! something on stderr. Each scenario is a check of its own (on a fresh
//! server), and all five run in a row on one server, which must not leak a
//! descriptor on the way.

use std::io::Write as _;
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use crate::bins::Binary;
use crate::check::{CheckResult, Ctx, Failure};
use crate::peers::{self, EchoServer, PATIENCE, V4};
use crate::process::text_tail;

use super::accept::{expect_no_fd_growth, probe_fds, round_trip, send, with_server};

/// What a server that survived a bad client shows: a line on stderr about
/// it, a new client served, and the process still running.
fn expect_survived(ctx: &mut Ctx, server: &mut EchoServer, stderr_before: usize) -> CheckResult {
    ctx.step("a new client: is it served?");
    round_trip(ctx, server, b"next client\n")?;
    expect_logged(ctx, server, stderr_before)?;
    server.expect_alive(ctx)
}

/// How long to wait for the log line once the next client was served. An
/// iterative server wrote it before accepting that client, so it is already
/// in the pipe; this only covers the thread that reads the pipe (and a
/// server with a thread per client, which may log a little later).
const LOG_PATIENCE: Duration = Duration::from_secs(3);

/// Waits until the server wrote something new on stderr (polling what its
/// reader thread collected), and fails if it panicked.
fn expect_logged(ctx: &mut Ctx, server: &mut EchoServer, before: usize) -> CheckResult {
    let until = Instant::now() + ctx.budget(LOG_PATIENCE);
    loop {
        let err = server.proc.stderr();
        let new = err.get(before..).unwrap_or_default();
        if String::from_utf8_lossy(new).contains("panicked") {
            ctx.step(format!("what did {} write on stderr?", server.proc.name()));
            return Err(with_server(
                Failure::new(
                    "one line on stderr about the failed connection",
                    "a panic message",
                ),
                server,
            )
            .note("never panic because of a client: log the error in one line and go on"));
        }
        if !new.is_empty() {
            ctx.step(format!(
                "{} logged on stderr: {}  ok",
                server.proc.name(),
                text_tail(new, 200)
            ));
            return Ok(());
        }
        if Instant::now() >= until {
            ctx.step(format!(
                "wait for a line on {}'s stderr about the failed connection",
                server.proc.name()
            ));
            return Err(with_server(
                Failure::new("one line on stderr about the failed connection", "nothing new on stderr"),
                server,
            )
            .note("an error on an accepted connection is logged in one line on stderr, then the next client is served"));
        }
        // Pacing a poll of what the stderr reader thread has collected.
        thread::sleep(Duration::from_millis(5));
    }
}

/// The stderr bytes so far, to see what a bad client adds.
fn stderr_len(server: &EchoServer) -> usize {
    server.proc.stderr().len()
}

fn reset_after_line(ctx: &mut Ctx, server: &mut EchoServer) -> CheckResult {
    let before = stderr_len(server);
    let mut c = server.connect(ctx, V4)?;
    send(ctx, server, &mut c, b"a line, then a reset\n")?;
    ctx.step("reset the connection (SO_LINGER 0, close) without reading");
    peers::reset(c);
    expect_survived(ctx, server, before)
}

fn reset_before_sending(ctx: &mut Ctx, server: &mut EchoServer) -> CheckResult {
    let before = stderr_len(server);
    let c = server.connect(ctx, V4)?;
    ctx.step("reset the connection at once (SO_LINGER 0, close), before sending anything");
    peers::reset(c);
    expect_survived(ctx, server, before)
}

/// Sends many short lines and a FIN, then closes after the first byte of
/// echo, the rest unread: a reset. The server, still echoing, is in
/// CLOSE_WAIT when the reset comes, so its next write fails with `EPIPE`,
/// which also raises SIGPIPE: the signal that kills a C server unless it
/// ignores it. Rust ignores SIGPIPE, so a Rust server just sees the error.
///
/// A server that wrote all its echoes before the reset came sees no error
/// at all, so nothing on stderr is required here.
fn closes_early(ctx: &mut Ctx, server: &mut EchoServer) -> CheckResult {
    let mut c = server.connect(ctx, V4)?;
    let lines = b"x\n".repeat(16 * 1024);
    ctx.step("send 16384 lines `x\\n` (32 KiB) in one write, then shutdown(Write)");
    c.write_all(&lines)
        .and_then(|()| c.shutdown(Shutdown::Write))
        .map_err(|e| {
            with_server(
                Failure::new("to send 32 KiB and a FIN", e.to_string()),
                server,
            )
        })?;
    ctx.step("read the first byte of the echo, then close with the rest unread (a reset)");
    let (got, err) = peers::read_up_to(&mut c, 1, ctx.budget(PATIENCE));
    if got.is_empty() {
        let why = err.map(|e| e.to_string()).unwrap_or_default();
        return Err(with_server(
            Failure::new("the echo to start", format!("nothing: {why}")),
            server,
        ));
    }
    drop(c);
    ctx.step("a new client: is it served?");
    round_trip(ctx, server, b"next client\n")?;
    server.expect_alive(ctx)
}

fn never_reads(ctx: &mut Ctx, server: &mut EchoServer) -> CheckResult {
    let before = stderr_len(server);
    let addr = server.addr(V4);
    ctx.step(format!(
        "connect to {addr} with small socket buffers (SO_RCVBUF, SO_SNDBUF 4 KiB)"
    ));
    let mut c = peers::connect_small_buffers(addr, ctx.budget(PATIENCE)).map_err(|e| {
        with_server(
            Failure::new(format!("a connection to {addr}"), e.to_string()),
            server,
        )
    })?;
    let chunk: Vec<u8> = (0..64 * 1024)
        .map(|i| if i % 1024 == 1023 { b'\n' } else { b'x' })
        .collect();
    ctx.step(
        "send up to 4 MiB of lines, never reading the echoes, until a write stalls for 100 ms",
    );
    // A write that stalls for 100 ms means the server stopped reading: it is blocked
    // writing echoes we never read. The 100 ms is not a synchronisation: if the
    // server is merely slow, we reset mid-stream all the same.
    let sent = peers::send_without_reading(
        &mut c,
        &chunk,
        4 << 20,
        Duration::from_millis(100),
        ctx.budget(PATIENCE),
    );
    ctx.step(format!(
        "{sent} bytes sent; reset the connection (SO_LINGER 0, close) without reading"
    ));
    peers::reset(c);
    expect_survived(ctx, server, before)
}

fn killed_client(ctx: &mut Ctx, server: &mut EchoServer) -> CheckResult {
    let before = stderr_len(server);
    let c = server.connect(ctx, V4)?;
    ctx.step("hand the connection to a client process (`cat`) that streams lines into it and never reads");
    let line = b"a client that will be killed mid-stream\n".repeat(1000);
    let mut client = peers::StreamingClient::spawn(c, line, 64 << 20)
        .map_err(|e| Failure::new("a client process (`cat`) to start", e.to_string()))?;
    // Our pipe holds 64 KiB and `cat` 128 KiB: once it took 256 KiB, some
    // of it went into the connection.
    let want = 256 * 1024;
    let taken = client.wait_taken(want, ctx.budget(PATIENCE));
    ctx.step(format!("the client process took {taken} bytes to send"));
    ctx.step("kill the client process with SIGKILL, mid-stream");
    client.kill();
    expect_survived(ctx, server, before)
}

pub(crate) fn server_survives_reset_after_line(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    reset_after_line(ctx, &mut server)
}

pub(crate) fn server_survives_reset_before_sending(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    reset_before_sending(ctx, &mut server)
}

pub(crate) fn server_survives_client_that_closes_early(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    closes_early(ctx, &mut server)
}

pub(crate) fn server_survives_client_that_never_reads(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    never_reads(ctx, &mut server)
}

pub(crate) fn server_survives_killed_client_process(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    killed_client(ctx, &mut server)
}

pub(crate) fn server_survives_all_in_sequence(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let base = probe_fds(ctx, &mut server, "first probe", None)?;
    ctx.step("bad client 1 of 5: a line, then a reset");
    reset_after_line(ctx, &mut server)?;
    ctx.step("bad client 2 of 5: a reset before sending");
    reset_before_sending(ctx, &mut server)?;
    ctx.step("bad client 3 of 5: 4 MiB never read, then a reset");
    never_reads(ctx, &mut server)?;
    ctx.step("bad client 4 of 5: a client process killed mid-stream");
    killed_client(ctx, &mut server)?;
    ctx.step("bad client 5 of 5: lines and a FIN, then a reset while the echo goes on");
    closes_early(ctx, &mut server)?;
    let now = probe_fds(ctx, &mut server, "last probe", Some(base))?;
    expect_no_fd_growth(ctx, base, now, "the five bad clients")
}
