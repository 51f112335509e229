//! The `echoserver` binary's command-line contract, tested from outside as
//! a user runs it: the built binary in a child process, real sockets on
//! loopback.
//!
//! The contract (the binary's own doc, and "A foreign binary must follow
//! the same contract" in labs/src/instructor.md): a usage line and exit 2
//! on bad arguments; one line and exit 1 when the port is taken;
//! `listening on port N` with the real port, then `Connected to (HOST,
//! PORT)` for each client, whose lines come back byte for byte.
//!
//! Run-to-completion cases go through `assert_cmd` with a timeout, which
//! kills the child if it is reached. The server that keeps running is a
//! [`Server`], killed when it is dropped, so also when an assertion fails.
//! Nothing here sleeps: each wait is for an event (a line, a byte, an
//! exit), with a deadline that only a hang reaches.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};

use assert_cmd::assert::Assert;
use predicates::prelude::*;

mod support;
use support::{DEADLINE, one_line};

/// The binary under test, built by cargo for this test.
const ECHOSERVER: &str = env!("CARGO_BIN_EXE_echoserver");

/// Runs `echoserver ARGS…` to completion with `stdin` ([`support::run`]).
fn run(args: &[&str], stdin: &[u8]) -> Assert {
    support::run("echoserver", ECHOSERVER, args, stdin)
}

/// No argument: the usage line says what is missing, exit 2, nothing on
/// stdout.
#[test]
fn no_argument_is_a_usage_error() {
    run(&[], b"")
        .code(2)
        .stdout("")
        .stderr("usage: echoserver <port> (missing <port>)\n");
}

/// Two arguments, or a port that is not a number from 0 to 65535: one
/// usage line naming the bad argument, exit 2, nothing on stdout.
#[test]
fn bad_arguments_are_usage_errors() {
    for (args, named) in [
        (&["5000", "extra"][..], "\"extra\""),
        (&["abc"], "\"abc\""),
        (&["65536"], "\"65536\""),
        (&["-1"], "\"-1\""),
        (&[""], "\"\""),
    ] {
        run(args, b"")
            .code(2)
            .stdout("")
            .stderr(one_line("usage: echoserver <port> (", &[named]));
    }
}

/// A port that another socket listens on: one line on stderr naming the
/// port and the reason, exit 1, and no `listening on port` on stdout.
#[test]
fn port_taken_exits_1() {
    let holder = listen_on_a_free_port();
    let port = holder.local_addr().expect("local_addr").port();
    run(&[&port.to_string()], b"")
        .code(1)
        .stdout("")
        .stderr(one_line(
            "echoserver: ",
            &[&format!("port {port}"), "in use"],
        ));
}

/// `echoserver 0`: it says which port the kernel chose, says who connected
/// (the client's own address and port), echoes each line back byte for
/// byte, closes when the client does, and then serves the next client.
#[test]
fn echo_round_trip_on_port_0() {
    let mut server = Server::start(&["0"]);
    let line = server.next_line("`listening on port N`");
    assert!(
        predicate::str::is_match(r"\Alistening on port [1-9][0-9]*\z")
            .expect("a valid regex")
            .eval(&line),
        "expected `listening on port N` (N the real port, not 0) as the first line of stdout, got {line:?}{}",
        server.stop()
    );
    let port: u16 = line["listening on port ".len()..]
        .parse()
        .expect("a port number");

    for text in [&b"hello, echo\n"[..], b"\0\xff\r\n"] {
        let mut conn = connect(port);
        let me = conn.local_addr().expect("local_addr").port();
        let line = server.next_line("`Connected to (127.0.0.1, PORT)`");
        assert_eq!(
            line,
            format!("Connected to (127.0.0.1, {me})"),
            "the line for this client (port {me}){}",
            server.stop()
        );

        conn.write_all(text).expect("write a line to echoserver");
        let mut echo = vec![0u8; text.len()];
        conn.read_exact(&mut echo)
            .unwrap_or_else(|e| panic!("reading the echo of {text:?}: {e}"));
        assert_eq!(echo, text, "the echo of the line");

        // our FIN: the server's readlineb gets EOF, so it closes too
        conn.shutdown(Shutdown::Write).expect("shutdown(Write)");
        let mut rest = Vec::new();
        conn.read_to_end(&mut rest)
            .expect("EOF from echoserver after our EOF");
        assert_eq!(rest, b"", "nothing more after the echo, then EOF");
    }
}

/// A listening socket on a port the kernel chooses, on every address (as
/// `open_listenfd` binds), so that no other listener can take that port.
fn listen_on_a_free_port() -> TcpListener {
    // [::]: dual-stack on Linux, so it also holds 0.0.0.0:PORT
    TcpListener::bind((Ipv6Addr::UNSPECIFIED, 0))
        .or_else(|_| TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)))
        .expect("a listening socket on a free port")
}

/// A client connection to 127.0.0.1:`port`, whose reads and writes give up
/// at [`DEADLINE`].
fn connect(port: u16) -> TcpStream {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let conn = TcpStream::connect_timeout(&addr, DEADLINE)
        .unwrap_or_else(|e| panic!("connect to echoserver on {addr}: {e}"));
    conn.set_read_timeout(Some(DEADLINE)).expect("read timeout");
    conn.set_write_timeout(Some(DEADLINE))
        .expect("write timeout");
    conn
}

/// An `echoserver` that keeps running: its stdout comes line by line over
/// a channel, its stderr is collected for failure messages, and dropping
/// it kills it.
struct Server {
    child: Child,
    lines: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(ECHOSERVER)
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start echoserver");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || forward_lines(stdout, tx));
        let stderr = thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        });
        Server {
            child,
            lines,
            stderr: Some(stderr),
        }
    }

    /// The next line of stdout (without its `\n`); `what` says what is
    /// awaited, for the failure message.
    fn next_line(&mut self, what: &str) -> String {
        match self.lines.recv_timeout(DEADLINE) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!(
                "waited {DEADLINE:?} for {what} on echoserver's stdout: nothing came{}",
                self.stop()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "echoserver closed its stdout while we waited for {what}{}",
                self.stop()
            ),
        }
    }

    /// Kills the server if it still runs, and says how it ended and what
    /// it wrote on stderr: the end of a failure message.
    fn stop(&mut self) -> String {
        // A server that has exited is a zombie until waited for: kill does
        // not change its status. One that runs is killed, and says so.
        let _ = self.child.kill();
        let status = match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(e) => format!("cannot wait for it: {e}"),
        };
        // its stderr is closed now, so this does not block
        let stderr = self
            .stderr
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default();
        let stderr: String = stderr.lines().map(|line| format!("\n    {line}")).collect();
        format!("\n  echoserver: {status}\n  its stderr:{stderr}")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGKILL, then reap it: no server outlives its test
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends each line of `stdout` (without `\n`) until EOF or an error.
fn forward_lines(stdout: ChildStdout, tx: mpsc::Sender<String>) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { return };
        if tx.send(line).is_err() {
            return;
        }
    }
}
