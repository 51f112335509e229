//! The `echoclient` binary's command-line contract, tested from outside as
//! a user runs it: the built binary in a child process, against a peer
//! this test runs on 127.0.0.1.
//!
//! The contract (the binary's own doc, and "A foreign binary must follow
//! the same contract" in labs/src/instructor.md): a usage line and exit 2
//! on bad arguments; one line naming host and port and exit 1 when the
//! connection is refused; each line of stdin sent and its echo printed, a
//! last line without newline sent with a half-close, exit 0 at the end of
//! stdin; one line and exit 1 when the server goes away.
//!
//! Every run goes through `assert_cmd` with a timeout, which kills the
//! client if it is reached. The peers are threads whose every wait has a
//! deadline; nothing here sleeps.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;

use assert_cmd::assert::Assert;
use predicates::prelude::*;
use socket2::{Domain, Socket, Type};

#[path = "../../echoserver/tests/support/mod.rs"]
mod support;
use support::{DEADLINE, one_line};

/// The binary under test, built by cargo for this test.
const ECHOCLIENT: &str = env!("CARGO_BIN_EXE_echoclient");

/// Runs `echoclient ARGS…` to completion with `stdin` ([`support::run`]).
fn run(args: &[&str], stdin: &[u8]) -> Assert {
    support::run("echoclient", ECHOCLIENT, args, stdin)
}

/// A wrong number of arguments, or a port that is not a number from 0 to
/// 65535: one usage line saying what is wrong, exit 2, nothing on stdout.
#[test]
fn bad_arguments_are_usage_errors() {
    for (args, named) in [
        (&[][..], "got 0"),
        (&["localhost"], "got 1"),
        (&["localhost", "5000", "extra"], "got 3"),
        (&["localhost", "abc"], "\"abc\""),
        (&["localhost", "65536"], "\"65536\""),
        (&["localhost", ""], "\"\""),
    ] {
        run(args, b"hello\n")
            .code(2)
            .stdout("")
            .stderr(one_line("usage: echoclient <host> <port> (", &[named]));
    }
}

/// Nothing listens on the port: one line naming host and port and the
/// reason, exit 1, nothing on stdout.
#[test]
fn refused_names_host_and_port_exits_1() {
    let (_bound, port) = bound_not_listening();
    run(&["127.0.0.1", &port.to_string()], b"hello\n")
        .code(1)
        .stdout("")
        .stderr(one_line(
            "echoclient: ",
            &[&format!("127.0.0.1:{port}"), "refused"],
        ));
}

/// Every line comes back, bytes as they are; the last one, without a
/// newline, too: the client half-closes, and the peer (which, like
/// `echoserver`, answers a partial line only at EOF) echoes it. Exit 0,
/// nothing on stderr, and the peer received exactly stdin, then EOF.
#[test]
fn echo_round_trip() {
    let input: &[u8] = b"hello\n\n\0\xff\r\nno newline";
    let (port, received) = peer(line_echo);
    run(&["127.0.0.1", &port.to_string()], input)
        .code(0)
        .stdout(predicate::eq(input))
        .stderr("");
    let received = received
        .recv_timeout(DEADLINE)
        .expect("the peer's account of the connection");
    assert_eq!(
        received.as_deref().map_err(ToString::to_string),
        Ok(input),
        "what the peer received before EOF"
    );
}

/// The server reads the first line and closes without an echo: one line on
/// stderr, exit 1.
#[test]
fn server_going_away_exits_1() {
    let (port, _received) = peer(|conn| {
        let mut first = [0u8; 6];
        conn.read_exact(&mut first)?;
        Ok(first.to_vec())
        // dropped here: closed without an answer
    });
    run(&["127.0.0.1", &port.to_string()], b"hello\nworld\n")
        .code(1)
        .stdout("")
        .stderr("echoclient: server closed the connection\n");
}

/// A port on 127.0.0.1 that refuses connections: a socket bound to it and
/// not listening, kept for as long as the returned socket lives, so that
/// nobody else can take the port meanwhile.
fn bound_not_listening() -> (Socket, u16) {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket
        .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
        .expect("bind 127.0.0.1:0");
    let port = socket
        .local_addr()
        .ok()
        .and_then(|addr| addr.as_socket())
        .expect("a bound address")
        .port();
    (socket, port)
}

/// A peer on 127.0.0.1: a thread that accepts one connection and runs
/// `serve` on it. Returns the port and a channel on which `serve`'s result
/// comes (if a client ever connects).
fn peer(
    serve: impl FnOnce(&mut TcpStream) -> io::Result<Vec<u8>> + Send + 'static,
) -> (u16, mpsc::Receiver<io::Result<Vec<u8>>>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local_addr").port();
    let (tx, rx) = mpsc::channel();
    // If the client never connects, this thread stays in accept until the
    // test process ends: it holds no child process and no port of another test.
    thread::spawn(move || {
        let result = listener.accept().and_then(|(mut conn, _)| {
            conn.set_read_timeout(Some(DEADLINE))?;
            conn.set_write_timeout(Some(DEADLINE))?;
            serve(&mut conn)
        });
        let _ = tx.send(result);
    });
    (port, rx)
}

/// Echoes like `echoserver`: each complete line as soon as it has come, a
/// partial line only at EOF; then closes. Returns every byte received.
fn line_echo(conn: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut received = Vec::new();
    let mut echoed = 0;
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            // EOF: the client half-closed (or closed); the rest goes back
            conn.write_all(&received[echoed..])?;
            return Ok(received);
        }
        received.extend_from_slice(&buf[..n]);
        if let Some(last_newline) = received.iter().rposition(|&b| b == b'\n') {
            let end = last_newline + 1;
            if end > echoed {
                conn.write_all(&received[echoed..end])?;
                echoed = end;
            }
        }
    }
}
