//! A server with well-behaved clients (lab 3 step 2, and lab 5 again), and
//! `echoserver`'s command line.
//!
//! Every check starts its own server (`echoserver 0`, or a lab 5 server)
//! and talks to it on loopback.
//! The helpers here add the server's state (running, or how it exited, and
//! its stderr) to every failure, so "no echo came" also says "because the
//! server died of SIGPIPE".

use std::io::{self, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::Command;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::bins::Binary;
use crate::check::{CheckResult, Ctx, Failure, bytes_failure, show_bytes};
use crate::peers::{self, EchoServer, PATIENCE, V4, V6};
use crate::process::{Proc, describe_status, text_tail};
use crate::scripted::Rng;

use crate::peers::binary_message;

/// Adds the server's state to a failure; explains a death by SIGPIPE.
pub(crate) fn with_server(f: Failure, server: &mut EchoServer) -> Failure {
    // A server that is dying (its sockets closed, its exit not yet
    // reported) gets a moment to be seen dead rather than "still running".
    server.proc.wait_exit(Duration::from_millis(200));
    let state = server.proc.describe();
    let f = f.note(format!("state: {state}"));
    if state.contains("killed by signal 13") {
        f.note(
            "signal 13 is SIGPIPE: writing to a connection the client has closed or reset kills a \
             C program, unless it ignores SIGPIPE (signal(SIGPIPE, SIG_IGN)) or sends with MSG_NOSIGNAL",
        )
    } else {
        f
    }
}

/// Sends `bytes`, failing with the server's state.
pub(crate) fn send(
    ctx: &mut Ctx,
    server: &mut EchoServer,
    stream: &mut TcpStream,
    bytes: &[u8],
) -> CheckResult {
    peers::send(ctx, stream, bytes).map_err(|f| with_server(f, server))
}

/// Reads `expected` back, failing with the server's state.
pub(crate) fn expect_echo(
    ctx: &mut Ctx,
    server: &mut EchoServer,
    stream: &mut TcpStream,
    expected: &[u8],
) -> CheckResult {
    peers::expect_echo(ctx, stream, expected, "read the echo").map_err(|f| {
        let silent = f.observed.starts_with("0 bytes")
            && f.notes.iter().any(|n| n.contains("before the deadline"));
        let f = if silent {
            f.note("not one byte came back: is the server accepting, or still busy with an earlier client?")
        } else {
            f
        };
        with_server(f, server)
    })
}

/// A new client on 127.0.0.1 sends a line, reads it back, and closes.
pub(crate) fn round_trip(ctx: &mut Ctx, server: &mut EchoServer, line: &[u8]) -> CheckResult {
    let mut c = server.connect(ctx, V4)?;
    send(ctx, server, &mut c, line)?;
    expect_echo(ctx, server, &mut c, line)
}

/// Sends `payload` from a thread while reading it back on this one, so a
/// server that echoes while we still send never deadlocks with us.
fn exchange(
    ctx: &mut Ctx,
    server: &mut EchoServer,
    stream: &mut TcpStream,
    payload: Vec<u8>,
) -> CheckResult {
    let payload = Arc::new(payload);
    let mut writer = stream
        .try_clone()
        .map_err(|e| Failure::new("a second handle on the client socket", e.to_string()))?;
    let (tx, sent) = mpsc::channel();
    let to_send = Arc::clone(&payload);
    thread::spawn(move || {
        let _ = tx.send(writer.write_all(&to_send));
    });
    let (got, err) = peers::read_up_to(stream, payload.len(), ctx.budget(PATIENCE));
    if got == *payload {
        ctx.step(format!("read all {} bytes back, exactly  ok", got.len()));
        return Ok(());
    }
    ctx.step(format!("read {} bytes back", payload.len()));
    let mut f = bytes_failure(&payload, &got);
    if let Some(e) = err {
        f = f.note(crate::peers::read_stopped(&e));
    }
    if let Ok(Err(e)) = sent.recv_timeout(Duration::from_millis(100)) {
        f = f.note(format!("sending failed too: {e}"));
    }
    Err(with_server(f, server))
}

pub(crate) fn server_echoes_v4(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    round_trip(ctx, &mut server, b"hello over IPv4\n")
}

pub(crate) fn server_echoes_v6(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let mut c = server.connect(ctx, V6).map_err(|f| {
        f.note("open_listenfd must listen on [::] with IPV6_V6ONLY off, so one socket serves IPv4 and IPv6 clients")
    })?;
    send(ctx, &mut server, &mut c, b"hello over IPv6\n")?;
    expect_echo(ctx, &mut server, &mut c, b"hello over IPv6\n")
}

/// Waits for the next stdout line that starts with `Connected to (`,
/// passing over any other lines (a server may say more), and requires it
/// to name `client` exactly: the host in its canonical form (`127.0.0.1`
/// for an IPv4 client of a dual-stack socket, never `::ffff:127.0.0.1`;
/// `::1` for an IPv6 one), and the client's port.
fn expect_connected_to(ctx: &mut Ctx, server: &mut EchoServer, client: SocketAddr) -> CheckResult {
    let until = Instant::now() + ctx.budget(PATIENCE);
    let mut skipped = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match server.proc.next_line(left) {
            Ok(line) if line.starts_with(b"Connected to (") => {
                let text = String::from_utf8_lossy(&line).trim_end().to_string();
                if !text.ends_with(')') {
                    ctx.step("wait for `Connected to (HOST, PORT)` on stdout");
                    return Err(Failure::new(
                        "a line `Connected to (HOST, PORT)`",
                        show_bytes(&line),
                    ));
                }
                let want = format!("Connected to ({}, {})", client.ip(), client.port());
                if text != want {
                    ctx.step(format!(
                        "{} printed `{text}` for the client {client}",
                        server.proc.name()
                    ));
                    let mut f = Failure::new(format!("`{want}`"), format!("`{text}`"));
                    if text.contains("::ffff:") {
                        f = f.note(
                            "an IPv4 client of a dual-stack socket is ::ffff:a.b.c.d: print peer.ip().to_canonical(), which gives a.b.c.d",
                        );
                    }
                    return Err(f);
                }
                ctx.step(format!("{} printed `{text}`  ok", server.proc.name()));
                return Ok(());
            }
            Ok(line) => skipped.push(line),
            Err(f) => {
                ctx.step("wait for `Connected to (HOST, PORT)` on stdout");
                let mut f = Failure::new(
                    "a line `Connected to (HOST, PORT)` on stdout once the client is accepted",
                    f.observed,
                );
                if !skipped.is_empty() {
                    f = f.note(format!(
                        "other lines seen: {}",
                        show_bytes(&skipped.concat())
                    ));
                }
                return Err(f.note(
                    "print it after accept, before echoing, and flush stdout (a C printf to a pipe is block-buffered: fflush(stdout))",
                ));
            }
        }
    }
}

pub(crate) fn server_prints_connected_to(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    // ::1 where the host has it: its line shows the IPv6 form.
    let second = if crate::host::has_ipv6_loopback() {
        V6
    } else {
        V4
    };
    for (i, ip) in [V4, second, V4].into_iter().enumerate() {
        let mut c = server.connect(ctx, ip)?;
        let me = c
            .local_addr()
            .map_err(|e| Failure::new("the client socket's own address", e.to_string()))?;
        expect_connected_to(ctx, &mut server, me)?;
        let line = format!("client {}\n", i + 1).into_bytes();
        send(ctx, &mut server, &mut c, &line)?;
        expect_echo(ctx, &mut server, &mut c, &line)?;
        ctx.step("close the client");
    }
    Ok(())
}

pub(crate) fn server_many_lines(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let mut c = server.connect(ctx, V4)?;
    let payload: Vec<u8> = (1..=1000)
        .flat_map(|i| format!("line {i:04} of 1000\n").into_bytes())
        .collect();
    ctx.step(format!(
        "send 1000 lines ({} bytes) in one write, reading the echoes as they come",
        payload.len()
    ));
    exchange(ctx, &mut server, &mut c, payload)
}

pub(crate) fn server_binary_bytes(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let mut c = server.connect(ctx, V4)?;
    let mut payload = binary_message();
    payload.push(b'\n');
    ctx.step(format!(
        "send {} ({} bytes: 0x00..=0xFF, CRLF, NUL)",
        show_bytes(&payload),
        payload.len()
    ));
    exchange(ctx, &mut server, &mut c, payload)
}

pub(crate) fn server_line_longer_than_buffer(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let mut c = server.connect(ctx, V4)?;
    for n in [8192, 3 * 8192] {
        let mut line: Vec<u8> = (0..n).map(|i| b'A' + (i % 26) as u8).collect();
        line.extend_from_slice(b"!\n");
        ctx.step(format!(
            "send a line of {} bytes (RIO_BUFSIZE is 8192)",
            line.len()
        ));
        exchange(ctx, &mut server, &mut c, line)?;
    }
    Ok(())
}

/// What `echoclient` does with a long line: it sends the line in pieces of
/// RIO_BUFSIZE bytes and waits for each piece's echo before sending the
/// next. A server that waits for more than RIO_BUFSIZE bytes (or for the
/// newline) before echoing deadlocks with it.
pub(crate) fn server_echoes_8k_pieces_of_a_long_line(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let mut c = server.connect(ctx, V4)?;
    for i in 0..3u8 {
        let piece = vec![b'a' + i; 8192];
        ctx.step(format!(
            "send piece {} of a long line: 8192 bytes b\"{}{}...\", no newline yet",
            i + 1,
            (b'a' + i) as char,
            (b'a' + i) as char
        ));
        peers::send_quiet(&mut c, &piece)?;
        peers::expect_echo(
            ctx,
            &mut c,
            &piece,
            "read the piece's echo before sending more",
        )
        .map_err(|f| {
            f.note(
                "echoclient sends a long line in pieces of RIO_BUFSIZE (8192) bytes and waits \
                     for each echo: readlineb into a buffer of RIO_BUFSIZE bytes returns a full \
                     buffer without waiting for the newline; a bigger buffer waits for ever",
            )
        })?;
    }
    peers::send(ctx, &mut c, b"!\n")?;
    peers::expect_echo(ctx, &mut c, b"!\n", "read the end of the line")
}

pub(crate) fn server_1mib_line(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let mut c = server.connect(ctx, V4)?;
    let mut rng = Rng::new(3);
    // Random bytes without `\n`: a single line of 1 MiB.
    let mut line: Vec<u8> = rng
        .bytes(1 << 20)
        .into_iter()
        .map(|b| if b == b'\n' { b'.' } else { b })
        .collect();
    line.push(b'\n');
    ctx.step(
        "send a 1 MiB line (random bytes, seed 3) from a thread while reading the echo on another",
    );
    exchange(ctx, &mut server, &mut c, line)
}

pub(crate) fn server_dribble(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let mut c = server.connect(ctx, V4)?;
    let _ = c.set_nodelay(true);
    for line in [&b"one byte at a time\n"[..], b"\x00\xff\r\n"] {
        ctx.step(format!(
            "send {} one byte per write, TCP_NODELAY on",
            show_bytes(line)
        ));
        for &b in line {
            c.write_all(&[b]).map_err(|e| {
                with_server(Failure::new("to send a byte", e.to_string()), &mut server)
            })?;
            // Pacing, not synchronisation: lets each byte leave in a
            // segment of its own, so the server's reads see short counts.
            thread::sleep(Duration::from_millis(1));
        }
        expect_echo(ctx, &mut server, &mut c, line)?;
    }
    Ok(())
}

pub(crate) fn server_half_close_partial_line(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let mut c = server.connect(ctx, V4)?;
    send(
        ctx,
        &mut server,
        &mut c,
        b"first\nlast line without newline",
    )?;
    ctx.step("shutdown(Write): the server reads EOF");
    c.shutdown(Shutdown::Write)
        .map_err(|e| Failure::new("shutdown(Write) to succeed", e.to_string()))?;
    expect_echo(
        ctx,
        &mut server,
        &mut c,
        b"first\nlast line without newline",
    )?;
    peers::expect_eof(ctx, &mut c, "then the server closes the connection").map_err(|f| {
        with_server(
            f.note("after echo returns at EOF, close the connected socket"),
            &mut server,
        )
    })
}

pub(crate) fn server_serves_clients_in_sequence(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    ctx.step("client 1 comes and goes");
    round_trip(ctx, &mut server, b"first client\n")?;
    ctx.step("client 2 comes and goes");
    round_trip(ctx, &mut server, b"second client\n")?;

    ctx.step("client 3 connects and stays; client 4 connects and sends while 3 is served");
    let mut c3 = server.connect(ctx, V4)?;
    send(ctx, &mut server, &mut c3, b"third\n")?;
    expect_echo(ctx, &mut server, &mut c3, b"third\n")?;
    let mut c4 = server.connect(ctx, V4)?;
    send(ctx, &mut server, &mut c4, b"fourth, waiting\n")?;
    ctx.step("close client 3: the server goes back to accept and serves client 4");
    drop(c3);
    expect_echo(ctx, &mut server, &mut c4, b"fourth, waiting\n")?;
    drop(c4);

    ctx.step("client 5 connects and closes without sending anything");
    let c5 = server.connect(ctx, V4)?;
    drop(c5);
    ctx.step("client 6 comes and goes");
    round_trip(ctx, &mut server, b"sixth\n")?;
    server.expect_alive(ctx)
}

/// How long a server whose stdin was closed is watched for an exit.
const STDIN_GRACE: Duration = Duration::from_millis(250);

pub(crate) fn server_keeps_running_without_stdin(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    ctx.step("close the server's stdin, and watch it for 250 ms");
    server.proc.close_stdin();
    // Waiting for something that must not happen needs a bound: a server
    // that stops on stdin EOF does so at once, well within 250 ms.
    if let Some(status) = server.proc.wait_exit(STDIN_GRACE) {
        return Err(with_server(
            Failure::new(
                "the server to keep serving: stdin is not its business",
                format!("it exited ({})", describe_status(status)),
            ),
            &mut server,
        ));
    }
    round_trip(ctx, &mut server, b"still listening\n")?;
    round_trip(ctx, &mut server, b"and again\n")?;
    server.expect_alive(ctx)
}

/// How many descriptors the server may gain over a whole run and still
/// pass: a leak of one per client shows as hundreds.
const FD_SLACK: usize = 2;

/// How long a concurrent server may take to close the sockets of clients
/// that have left: its threads (or its event loop) see the EOF a moment
/// after the client closed. An iterative server has closed them already.
const FD_SETTLE: Duration = Duration::from_secs(3);

/// Connects a client, makes sure it is being served (one echo), and
/// counts the server's descriptors while it is connected. For an
/// iterative server this also proves every earlier client was done. Given
/// the count at the start, `base`, it re-counts for up to [`FD_SETTLE`]
/// while the count is above `base` + [`FD_SLACK`], so a concurrent server
/// still closing a finished client's socket is not taken for a leak.
pub(crate) fn probe_fds(
    ctx: &mut Ctx,
    server: &mut EchoServer,
    label: &str,
    base: Option<usize>,
) -> Result<usize, Failure> {
    let line = format!("{label}\n").into_bytes();
    let mut c = server.connect(ctx, V4)?;
    send(ctx, server, &mut c, &line)?;
    expect_echo(ctx, server, &mut c, &line)?;
    let until = Instant::now() + ctx.budget(FD_SETTLE);
    let n = loop {
        let n = server.proc.fd_count().map_err(|e| {
            Failure::new(
                format!("to count the open fds of process {}", server.proc.pid()),
                e.to_string(),
            )
        })?;
        match base {
            Some(base) if n > base + FD_SLACK && Instant::now() < until => {
                // pacing a poll of the fd count: the count drops when the server
                // closes a socket, and nothing tells us when that is
                thread::sleep(Duration::from_millis(5));
            }
            _ => break n,
        }
    };
    ctx.step(format!(
        "{} has {n} fds open with this client connected",
        server.proc.name()
    ));
    Ok(n)
}

/// Fails if `now` exceeds `base` by more than [`FD_SLACK`].
pub(crate) fn expect_no_fd_growth(
    ctx: &mut Ctx,
    base: usize,
    now: usize,
    after: &str,
) -> CheckResult {
    ctx.expect(
        format!("fd count {now} after {after}, {base} at the start"),
        now <= base + FD_SLACK,
        format!("about {base} fds open, as at the start (one client connected each time)"),
        format!(
            "{now} fds open after {after}: {} more",
            now.saturating_sub(base)
        ),
    )
    .map_err(|f| {
        f.note("close every accepted socket when its client is done, on the error paths too")
    })
}

/// One quiet client: connect, send `line`, read it back, close. `Err` says
/// what went wrong.
fn quiet_round_trip(addr: SocketAddr, line: &[u8], timeout: Duration) -> Result<(), String> {
    let mut c =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect failed: {e}"))?;
    peers::set_timeouts(&c, timeout);
    c.write_all(line).map_err(|e| format!("send failed: {e}"))?;
    let (got, err) = peers::read_up_to(&mut c, line.len(), timeout);
    if got == line {
        return Ok(());
    }
    let why = err.map(|e| e.to_string()).unwrap_or_default();
    Err(format!(
        "echo {} instead of {} ({why})",
        show_bytes(&got),
        show_bytes(line)
    ))
}

pub(crate) fn server_1000_clients_no_fd_leak(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let base = probe_fds(ctx, &mut server, "first probe", None)?;
    let addr = server.addr(V4);
    for (from, to) in [(1, 100), (101, 1000)] {
        ctx.step(format!(
            "clients {from} to {to}, one after the other: connect, send a line, read it back, close"
        ));
        for i in from..=to {
            let line = format!("client {i}\n").into_bytes();
            if let Err(why) = quiet_round_trip(addr, &line, ctx.budget(PATIENCE)) {
                ctx.step(format!("client {i}"));
                let mut f = Failure::new(format!("client {i} served like the others"), why);
                if let Ok(n) = server.proc.fd_count() {
                    f = f.note(format!(
                        "{} has {n} fds open ({base} at the start)",
                        server.proc.name()
                    ));
                }
                return Err(with_server(f, &mut server));
            }
        }
        let now = probe_fds(
            ctx,
            &mut server,
            &format!("probe after {to} clients"),
            Some(base),
        )?;
        expect_no_fd_growth(ctx, base, now, &format!("{to} clients"))?;
    }
    server.expect_alive(ctx)
}

/// Runs `BIN ARGS` (`echoserver …`) and expects exit `code` with exactly
/// one line on stderr and no panic.
fn expect_error_exit(
    ctx: &mut Ctx,
    bin: Binary,
    args: &[String],
    code: i32,
    why: &str,
) -> CheckResult {
    let path = bin.path()?;
    let name = bin.name();
    let shown = args
        .iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(" ");
    ctx.step(format!(
        "run `{name} {shown}` ({why}): expect one line on stderr and exit {code}"
    ));
    let mut cmd = Command::new(&path);
    cmd.args(args);
    let mut proc = Proc::spawn(name, cmd).map_err(|e| {
        Failure::new(
            format!("{name} to start"),
            format!("could not run {}: {e}", path.display()),
        )
    })?;
    let status = match proc.expect_exit(ctx.budget(PATIENCE)) {
        Ok(status) => status,
        Err(f) if peers::parse_listening(&proc.stdout()).is_some() => {
            let said = String::from_utf8_lossy(&proc.stdout())
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            return Err(f.note(format!(
                "it said `{said}` and serves: {why}, it must report it and exit {code}"
            )));
        }
        Err(f) => return Err(f),
    };
    let err = proc.stderr();
    let text = String::from_utf8_lossy(&err);
    let lines = text.trim_end_matches('\n').lines().count();
    let shown = format!(
        "{} ({}), stderr: {}",
        describe_status(status),
        lines_word(lines),
        text_tail(&err, 300)
    );
    if text.contains("panicked") {
        return Err(
            Failure::new(format!("exit {code} with one line on stderr"), shown).note(
                "it panicked: check the arguments and report, never unwrap what the user typed",
            ),
        );
    }
    if status.code() != Some(code) {
        return Err(Failure::new(format!("exit status {code}"), shown));
    }
    if lines != 1 || text.trim().is_empty() {
        return Err(Failure::new("exactly one line on stderr", shown));
    }
    ctx.step(format!(
        "{}: `{}`  ok",
        describe_status(status),
        text.trim_end()
    ));
    Ok(())
}

/// `no lines`, `1 line`, `3 lines`.
fn lines_word(n: usize) -> String {
    match n {
        0 => "no lines".to_string(),
        1 => "1 line".to_string(),
        n => format!("{n} lines"),
    }
}

pub(crate) fn server_usage_wrong_arg_count(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    expect_error_exit(ctx, bin, &[], 2, "no port")?;
    expect_error_exit(ctx, bin, &["1".into(), "2".into()], 2, "two arguments")
}

pub(crate) fn server_usage_bad_port(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    for bad in ["abc", "99999", "-1", "65536"] {
        expect_error_exit(ctx, bin, &[bad.to_string()], 2, "not a port number")?;
    }
    Ok(())
}

/// A listener on a port of the kernel's choice that takes it for every
/// address: `[::]` with `IPV6_V6ONLY` off (so `0.0.0.0` too), or `0.0.0.0`
/// where there is no IPv6. No `SO_REUSEADDR`: nobody else may bind it.
fn port_blocker() -> io::Result<(socket2::Socket, u16)> {
    use socket2::{Domain, Socket, Type};
    let dual = || -> io::Result<Socket> {
        let s = Socket::new(Domain::IPV6, Type::STREAM, None)?;
        s.set_only_v6(false)?;
        s.bind(&SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0)).into())?;
        Ok(s)
    };
    let socket = match dual() {
        Ok(s) => s,
        Err(_) => {
            let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
            s.bind(&SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0)).into())?;
            s
        }
    };
    socket.listen(16)?;
    let port = socket
        .local_addr()?
        .as_socket()
        .map(|a| a.port())
        .ok_or_else(|| io::Error::other("no port"))?;
    Ok((socket, port))
}

pub(crate) fn server_port_taken(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    ctx.step("listen on a port ourselves ([::] with IPV6_V6ONLY off: IPv4 and IPv6)");
    let (_blocker, port) =
        port_blocker().map_err(|e| Failure::new("a listening socket of our own", e.to_string()))?;
    ctx.step(format!("that port is {port}"));
    expect_error_exit(ctx, bin, &[port.to_string()], 1, "the port is taken")
}

// ===========================================================================
