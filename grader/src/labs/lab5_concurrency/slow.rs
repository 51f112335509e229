//! Clients that are slow, silent, greedy or rude, and the clients beside
//! them, who must not notice: a concurrent server is only concurrent if no
//! client can make it wait.
//!
//! - half a line and a silent client: lab 3's iterative server waits in
//!   `read` for the rest of the line, and the next client waits with it;
//! - a client that sends 64 MiB and never reads: a server that blocks in
//!   `write` (or, without backpressure, buffers everything it reads) is
//!   the one that pays;
//! - resets, a killed client process, closes in the middle of a line,
//!   while three other clients are in the middle of their conversations;
//! - and an idle server must sleep: one that polls in a loop eats a core.

use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use crate::bins::Binary;
use crate::check::{CheckResult, Ctx, Failure};
use crate::labs::servers::accept::{expect_echo, round_trip, send, with_server};
use crate::peers::{self, EchoServer, PATIENCE, V4};

use super::support::{connect_quietly, connect_silent, cpu_time, expect_lines, rss_kib};

pub(super) fn slow_clients_delay_nobody(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    ctx.step("client A sends half a line, b\"half a li\", and waits");
    let mut a = server.connect(ctx, V4)?;
    send(ctx, &mut server, &mut a, b"half a li")?;
    ctx.step("client B connects and sends nothing");
    let mut b = server.connect(ctx, V4)?;
    ctx.step("client C: is it served while A and B hold their connections?");
    let mut c = server.connect(ctx, V4)?;
    send(ctx, &mut server, &mut c, b"hello\n")?;
    expect_echo(ctx, &mut server, &mut c, b"hello\n").map_err(|f| {
        f.note(
            "an iterative server is still in read, waiting for the rest of A's line: \
             C waits for as long as A does",
        )
    })?;
    send(ctx, &mut server, &mut c, b"and again\n")?;
    expect_echo(ctx, &mut server, &mut c, b"and again\n")?;
    ctx.step("A finishes its line");
    send(ctx, &mut server, &mut a, b"ne\n")?;
    expect_echo(ctx, &mut server, &mut a, b"half a line\n").map_err(|f| {
        f.note("the first half waited in the server; it comes back with the rest, as one line")
    })?;
    ctx.step("B speaks at last");
    send(ctx, &mut server, &mut b, b"late\n")?;
    expect_echo(ctx, &mut server, &mut b, b"late\n")?;
    server.expect_alive(ctx)
}

/// What the never-reading client tries to send.
const GREEDY: usize = 64 << 20;
/// How much the server's resident memory may grow meanwhile.
const RSS_SLACK_KIB: u64 = 16 << 10;

pub(super) fn client_that_never_reads(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    ctx.step("client P connects and makes a round trip");
    let mut p = server.connect(ctx, V4)?;
    send(ctx, &mut server, &mut p, b"probe 1\n")?;
    expect_echo(ctx, &mut server, &mut p, b"probe 1\n")?;
    let before = rss_kib(&server)?;
    ctx.step(format!("the server's VmRSS: {before} KiB"));

    ctx.step(
        "client X connects and sends up to 64 MiB of lines, never reading, until a write has \
         stalled for 500 ms",
    );
    let mut x = connect_quietly(ctx, &mut server)?;
    let chunk: Vec<u8> = (0..64 * 1024)
        .map(|i| if i % 100 == 99 { b'\n' } else { b'x' })
        .collect();
    // A write stalled for 500 ms: the server stopped reading X. That is not
    // synchronisation: a server that keeps reading never stalls X, and one
    // that is merely slow is measured all the same.
    let sent = peers::send_without_reading(
        &mut x,
        &chunk,
        GREEDY,
        Duration::from_millis(500),
        ctx.budget(PATIENCE),
    );
    ctx.step(format!(
        "X sent {:.1} MiB{}",
        sent as f64 / (1 << 20) as f64,
        if sent < GREEDY {
            " before its writes stalled"
        } else {
            ", all of it: the server read everything"
        }
    ));

    ctx.step("while X waits: is P still served, and a new client Q?");
    for k in 2..=4 {
        let line = format!("probe {k}\n").into_bytes();
        send(ctx, &mut server, &mut p, &line)?;
        expect_echo(ctx, &mut server, &mut p, &line).map_err(|f| {
            f.note(
                "the server is stuck: most likely blocked in write to X, whose window is shut. \
                 A write that would block must return (WouldBlock) and wait for POLLOUT, \
                 or happen in X's own thread",
            )
        })?;
    }
    round_trip(ctx, &mut server, b"a new client Q\n")?;

    let after = rss_kib(&server)?;
    let grew = after.saturating_sub(before);
    ctx.expect(
        format!("the server's VmRSS: {after} KiB, {grew} KiB more than before X"),
        grew <= RSS_SLACK_KIB,
        format!(
            "at most {} MiB more: what a client has sent and not read back waits in the kernel's \
             buffers, and the server holds a bounded amount of it",
            RSS_SLACK_KIB >> 10
        ),
        format!(
            "{:.1} MiB more, for {:.1} MiB that X sent",
            grew as f64 / 1024.0,
            sent as f64 / (1 << 20) as f64
        ),
    )
    .map_err(|f| {
        f.note(if bin == Binary::EchoServerS {
            "backpressure: queue_lines moves into the output buffer only what fits in OUTPUT_MAX; \
             the rest waits in the input buffer until it is full (LINE_MAX), and then interest stops \
             asking for POLLIN: the client's bytes wait in the kernel, not in your buffers"
        } else {
            "backpressure: each client's thread writes an echo before it reads more, and blocks in \
             that write while the client doesn't read: the client's bytes wait in the kernel, not in \
             your buffers"
        })
    })?;
    ctx.step("reset X");
    peers::reset(x);
    round_trip(ctx, &mut server, b"after X\n")?;
    server.expect_alive(ctx)
}

pub(super) fn bad_clients_leave_others_alone(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    ctx.step("three steady clients connect and make a round trip each");
    let mut steady: Vec<TcpStream> = Vec::new();
    for i in 1..=3 {
        let mut c = server.connect(ctx, V4)?;
        let line = format!("steady {i}, hello\n").into_bytes();
        send(ctx, &mut server, &mut c, &line)?;
        expect_echo(ctx, &mut server, &mut c, &line)?;
        steady.push(c);
    }

    ctx.step("bad clients, while the steady ones stay connected:");
    let mut r1 = server.connect(ctx, V4)?;
    send(ctx, &mut server, &mut r1, b"a line, then a reset\n")?;
    ctx.step("  one resets after a line (SO_LINGER 0, close)");
    peers::reset(r1);
    let r2 = server.connect(ctx, V4)?;
    ctx.step("  one resets before sending anything");
    peers::reset(r2);
    let mut m = server.connect(ctx, V4)?;
    send(ctx, &mut server, &mut m, b"half a li")?;
    ctx.step("  one closes in the middle of a line");
    drop(m);
    let mut h = server.connect(ctx, V4)?;
    send(ctx, &mut server, &mut h, b"last words")?;
    ctx.step("  one half-closes in the middle of a line (shutdown(Write)) and waits");
    h.shutdown(Shutdown::Write)
        .map_err(|e| Failure::new("shutdown(Write) to succeed", e.to_string()))?;
    let k = server.connect(ctx, V4)?;
    ctx.step("  one is a client process (`cat`) streaming lines; SIGKILL it mid-stream");
    let line = b"a client that will be killed mid-stream\n".repeat(1000);
    let mut killed = peers::StreamingClient::spawn(k, line, 64 << 20)
        .map_err(|e| Failure::new("a client process (`cat`) to start", e.to_string()))?;
    let taken = killed.wait_taken(256 * 1024, ctx.budget(PATIENCE));
    ctx.step(format!("  the client process took {taken} bytes; kill it"));
    killed.kill();

    ctx.step("the half-closed client gets its last line back, then EOF");
    expect_echo(ctx, &mut server, &mut h, b"last words")?;
    peers::expect_eof(ctx, &mut h, "then the server closes it")
        .map_err(|f| with_server(f, &mut server))?;
    ctx.step("the steady clients go on, each on its own connection");
    for (i, c) in steady.iter_mut().enumerate() {
        let line = format!("steady {}, still here\n", i + 1).into_bytes();
        send(ctx, &mut server, c, &line)?;
        expect_echo(ctx, &mut server, c, &line)
            .map_err(|f| f.note("a bad client's fault must stay with its own connection"))?;
    }
    round_trip(ctx, &mut server, b"a new client\n")?;
    server.expect_alive(ctx)
}

/// Silent clients of `idle_uses_no_cpu`.
const SILENT: usize = 5;
/// How long the idle server is watched, and the CPU time it may use in it.
/// An idle server uses nothing (a clock tick, 10 ms, at worst); one that
/// spins uses a core, or its share of one on a loaded machine: a quarter
/// of it with 8 programs running on 2 cores, still 5 times the limit.
const IDLE_WINDOW: Duration = Duration::from_secs(1);
const IDLE_CPU: Duration = Duration::from_millis(50);

/// Why an idle server that ends, or spins, has a bug in what it asks of
/// `poll`, not in the code that then runs.
const WOKE_FOR_NOTHING: &str = "poll returned though no client had sent anything: ask poll only for what you can use \
     (POLLOUT on a socket with nothing to write is ready at once, every time, so poll returns at once, for ever)";

pub(super) fn idle_uses_no_cpu(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let silent = connect_silent(ctx, &mut server, SILENT)?;
    // A server that ends while its clients connect, before anyone sent a
    // byte, was woken for nothing too: say the same as below.
    if let Err(f) = expect_lines(ctx, &mut server, "Connected to (", SILENT) {
        if server.proc.is_running() {
            return Err(f);
        }
        return Err(ended_for_nothing(ctx, &mut server, bin));
    }
    let before = cpu_time(&server)?;
    ctx.step(format!(
        "watch the server for {} ms while nobody sends anything",
        IDLE_WINDOW.as_millis()
    ));
    // The measurement window (the CPU time used in it), which ends early if
    // the server does. Nobody sent a byte: a server that ended meanwhile
    // was woken for nothing and went on to serve clients with nothing to
    // serve (an event loop that asks POLLOUT of everyone, whose
    // check_clients is still todo!(), panics here). Say that, not "it
    // should keep running".
    if server.proc.wait_exit(IDLE_WINDOW).is_some() {
        return Err(ended_for_nothing(ctx, &mut server, bin));
    }
    let used = cpu_time(&server)?.saturating_sub(before);
    ctx.expect(
        format!(
            "CPU time used in those {} ms: {} ms",
            IDLE_WINDOW.as_millis(),
            used.as_millis()
        ),
        used <= IDLE_CPU,
        format!(
            "at most {} ms: an idle server sleeps in poll (or in read, one thread per client)",
            IDLE_CPU.as_millis()
        ),
        format!("{} ms: it is busy doing nothing", used.as_millis()),
    )
    .map_err(|f| with_server(f.note(WOKE_FOR_NOTHING), &mut server))?;
    drop(silent);
    server.expect_alive(ctx)
}

/// The failure of a server that ended although no client had sent a byte.
fn ended_for_nothing(ctx: &mut Ctx, server: &mut EchoServer, bin: Binary) -> Failure {
    ctx.step("did the server sleep while nobody sent anything?");
    with_server(
        Failure::new(
            "the server asleep in poll (or in read) while its clients say nothing",
            format!(
                "{} ended although no client had sent a byte: {}",
                server.proc.name(),
                if bin == Binary::EchoServerS {
                    "the event loop returned with nothing to do"
                } else {
                    "something woke it with nothing to do"
                }
            ),
        )
        .note(WOKE_FOR_NOTHING),
        server,
    )
}
