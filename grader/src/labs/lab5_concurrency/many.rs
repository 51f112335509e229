//! Many clients at once: 100 conversations side by side, 1000 short
//! connections 50 at a time, and (for `echoservers`) 1000 idle connections
//! on one thread.
//!
//! The clients run on threads of the check process. A [`Gate`] holds them
//! until all are connected, so the server really has them all at once; an
//! iterative server then serves the first and leaves the others waiting,
//! and their reads run out of time.

use std::net::TcpStream;
use std::time::Duration;

use crate::bins::Binary;
use crate::check::{CheckResult, Ctx, Failure};
use crate::labs::servers::accept::{round_trip, with_server};
use crate::peers::{EchoServer, PATIENCE, V4};

use super::support::{
    Gate, connect, echo_exactly, expect_all_served, expect_back_to, expect_lines, raise_fd_limit,
    resources, run_clients,
};

/// Clients of `clients_at_once`.
const AT_ONCE: usize = 100;
/// Rounds each of them makes.
const ROUNDS: usize = 3;

/// Client `i`'s lines for round `r`: 20 lines of its own, of lengths that
/// differ from client to client, so bytes of one client in another's echo
/// show.
fn lines_of(i: usize, r: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for l in 0..20 {
        let pad = "x".repeat((i * 7 + l * 3) % 50);
        out.extend_from_slice(format!("client {i} round {r} line {l} {pad}\n").as_bytes());
    }
    out
}

pub(super) fn clients_at_once(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let addr = server.addr(V4);
    ctx.step(format!(
        "{AT_ONCE} clients, a thread each: all connect; once all are connected, each sends \
         {ROUNDS} rounds of 20 lines of its own (one write per round) and reads back exactly its \
         own bytes; none closes before every client has had its first echo"
    ));
    let connected = Gate::new(AT_ONCE);
    let first_echo = Gate::new(AT_ONCE);
    let budget = ctx.budget(PATIENCE);
    // longer than a read may wait: a client still waiting for its echo
    // fails by itself before those at the gate give up and close
    let gate_wait = ctx.budget(PATIENCE + Duration::from_secs(2));
    let failed = run_clients(AT_ONCE, &[&connected, &first_echo], |i| {
        let mut c = connect(addr, budget)?;
        connected.pass(gate_wait)?;
        for r in 0..ROUNDS {
            echo_exactly(&mut c, &lines_of(i, r), budget).map_err(|e| format!("round {r}: {e}"))?;
            if r == 0 {
                first_echo.pass(gate_wait)?;
            }
        }
        Ok(())
    });
    expect_all_served(
        ctx,
        &mut server,
        AT_ONCE,
        &failed,
        "did every client get its own echo?",
    )
    .map_err(|f| {
        f.note(
            "a server that serves one client at a time leaves the other 99 waiting: start a thread per client, or poll them all",
        )
    })?;
    ctx.step(format!(
        "all {AT_ONCE} clients got exactly their own bytes back  ok"
    ));
    server.expect_alive(ctx)
}

/// Cycles of `cycles_come_back`, and how many run at once.
const CYCLES: usize = 1000;
const WORKERS: usize = 50;

pub(super) fn cycles_come_back(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let base = resources(&server)?;
    ctx.step(format!(
        "at the start: {} fds, {} thread(s)",
        base.fds, base.threads
    ));
    let addr = server.addr(V4);
    ctx.step(format!(
        "{CYCLES} cycles of connect, send a line, read it back, close: {WORKERS} client threads \
         at once, {} cycles each",
        CYCLES / WORKERS
    ));
    let budget = ctx.budget(PATIENCE);
    let failed = run_clients(WORKERS, &[], |w| {
        for k in 0..CYCLES / WORKERS {
            let mut c = connect(addr, budget).map_err(|e| format!("cycle {k}: {e}"))?;
            let line = format!("worker {w} cycle {k}\n");
            echo_exactly(&mut c, line.as_bytes(), budget).map_err(|e| format!("cycle {k}: {e}"))?;
        }
        Ok(())
    });
    expect_all_served(
        ctx,
        &mut server,
        WORKERS,
        &failed,
        "did every cycle get its echo?",
    )?;
    ctx.step(format!("all {CYCLES} cycles echoed  ok"));
    expect_back_to(
        ctx,
        &mut server,
        base,
        2,
        Duration::from_secs(5),
        &format!("{CYCLES} clients came and went"),
    )?;
    round_trip(ctx, &mut server, b"still here\n")?;
    server.expect_alive(ctx)
}

/// Idle connections of the `echoservers` checks.
const IDLE: usize = 1000;

/// Connects [`IDLE`] clients that send nothing, and waits until the server
/// has accepted them all: a `Connected to` line each, and that many more
/// descriptors.
fn connect_idle(ctx: &mut Ctx, server: &mut EchoServer) -> Result<Vec<TcpStream>, Failure> {
    raise_fd_limit(4 * IDLE as u64);
    let base = resources(server)?;
    let addr = server.addr(V4);
    ctx.step(format!("connect {IDLE} clients that send nothing"));
    let mut idle = Vec::with_capacity(IDLE);
    for i in 0..IDLE {
        match connect(addr, ctx.budget(PATIENCE)) {
            Ok(c) => idle.push(c),
            Err(why) => {
                ctx.step(format!("client {i}"));
                return Err(with_server(
                    Failure::new(format!("{IDLE} connections"), format!("{i}; then {why}")),
                    server,
                ));
            }
        }
    }
    expect_lines(ctx, server, "Connected to (", IDLE)?;
    let now = resources(server)?;
    ctx.expect(
        format!(
            "the server holds {} fds ({} at the start)",
            now.fds, base.fds
        ),
        now.fds >= base.fds + IDLE,
        format!("at least {} fds: one per connected client", base.fds + IDLE),
        format!("{} fds", now.fds),
    )?;
    Ok(idle)
}

/// Fails unless the server runs on one thread.
fn expect_one_thread(ctx: &mut Ctx, server: &mut EchoServer, when: &str) -> CheckResult {
    let now = resources(server)?;
    ctx.expect(
        format!("{when}: the server has {} thread(s)", now.threads),
        now.threads == 1,
        "1 thread: one event loop serves every client",
        format!("{} threads", now.threads),
    )
}

pub(super) fn accepts_1000_idle(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let _idle = connect_idle(ctx, &mut server)?;
    expect_one_thread(ctx, &mut server, &format!("with {IDLE} clients connected"))?;
    server.expect_alive(ctx)
}

pub(super) fn serves_1000(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let mut clients = connect_idle(ctx, &mut server)?;
    ctx.step(format!(
        "each of the {IDLE} sends a line of its own, all at once; then read each echo"
    ));
    for (i, c) in clients.iter_mut().enumerate() {
        let line = format!("idle client {i} speaks\n");
        if let Err(e) = std::io::Write::write_all(c, line.as_bytes()) {
            return Err(with_server(
                Failure::new(format!("client {i} to send"), e.to_string()),
                &mut server,
            ));
        }
    }
    let budget = ctx.budget(PATIENCE);
    for (i, c) in clients.iter_mut().enumerate() {
        let line = format!("idle client {i} speaks\n");
        if let Err(why) = super::support::expect_back(c, line.as_bytes(), budget) {
            ctx.step(format!("read client {i}'s echo"));
            return Err(with_server(
                Failure::new(format!("all {IDLE} echoes"), format!("client {i}: {why}")),
                &mut server,
            ));
        }
    }
    ctx.step(format!("all {IDLE} clients got their line back  ok"));
    expect_one_thread(ctx, &mut server, "after serving them")?;
    server.expect_alive(ctx)
}
