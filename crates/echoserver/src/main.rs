//! `echoserver <port>`: the lecture's iterative echo server.
//!
//! It opens a listening socket with `open_listenfd`, says `listening on
//! port N`, then loops for ever: `accept` one client, print `Connected to
//! (HOST, PORT)` (the client's address in its canonical form, `127.0.0.1`
//! for an IPv4 client of the dual-stack socket, never `::ffff:127.0.0.1`,
//! and its port), [`echoserver::echo`] until the client closes, close, and
//! `accept` the next. One client at a time: the next one waits in the
//! kernel's accept queue (`LISTENQ` + 1 of them on Linux, fewer if
//! `net.core.somaxconn` is lower) until the current one is done.
//!
//! This is the wrapper layer of the lecture (csapp.c's capitalised
//! functions): the library returns errors, the program decides. A bad
//! argument or a port it cannot listen on ends the program with one line on
//! stderr. What goes wrong with one client ends that client only: one line
//! on stderr, and the loop goes on.
//!
//! Every line goes out at once (stdout may be a pipe to a program waiting
//! for it), and a failure to print is ignored: `println!` would panic, and
//! a closed stdout is no reason to stop serving.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;

/// The first words of every usage error.
const USAGE: &str = "usage: echoserver <port>";

// ANCHOR: main
fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let port = match parse_port(&args) {
        Ok(port) => port,
        Err(problem) => {
            log(io::stderr(), format_args!("{USAGE} ({problem})"));
            return ExitCode::from(2);
        }
    };
    // run returns only if the server cannot start
    match run(port) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log(io::stderr(), format_args!("echoserver: {e:#}"));
            ExitCode::FAILURE
        }
    }
}
// ANCHOR_END: main

/// Checks the arguments (all but the program name): exactly one, a port
/// number from 0 to 65535 (0: the kernel chooses). The error says what is
/// wrong, for the usage line.
// ANCHOR: parse_port
fn parse_port(args: &[OsString]) -> Result<u16, String> {
    // BEGIN SOLUTION: lab 3 step 2 (the accept loop)
    match args {
        [] => Err("missing <port>".to_string()),
        [port] => port_number(port),
        [_, extra, ..] => Err(format!("unexpected argument {extra:?}")),
    }
    // END SOLUTION
}

/// Parses one port number.
fn port_number(arg: &OsStr) -> Result<u16, String> {
    match arg.to_str().map(str::parse::<u16>) {
        Some(Ok(port)) => Ok(port),
        _ => Err(format!("bad port {arg:?}: want a number from 0 to 65535")),
    }
}
// ANCHOR_END: parse_port

/// Listens on `port` and serves clients one after the other, for ever.
///
/// Returns only if it cannot listen (the port is taken, or needs
/// privileges).
// ANCHOR: run
fn run(port: u16) -> anyhow::Result<()> {
    // BEGIN SOLUTION: lab 3 step 2 (the accept loop)
    use anyhow::Context;

    // socket, bind, listen
    let listener =
        netutil::open_listenfd(port).with_context(|| format!("cannot listen on port {port}"))?;
    // the real port: the kernel chose one if we asked for 0
    let port = listener
        .local_addr()
        .context("cannot read the listening port")?
        .port();
    log(io::stdout(), format_args!("listening on port {port}"));
    loop {
        match listener.accept() {
            Ok((conn, peer)) => serve_one(conn, peer),
            // EMFILE, ENFILE, ENOBUFS...: not fatal. (A client that reset
            // while queued is no error here on Linux: accept returns it, and
            // its first read fails. The BSDs fail accept with ECONNABORTED.)
            Err(e) => {
                log(io::stderr(), format_args!("echoserver: accept: {e}"));
                // EMFILE leaves the client queued, so accept would fail again
                // at once: pause instead of spinning
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
    // END SOLUTION
}
// ANCHOR_END: run

/// Serves one accepted client: says who it is, echoes until the client
/// closes, closes. Whatever goes wrong is reported in one line on stderr
/// and ends this client only.
// ANCHOR: serve_one
fn serve_one(conn: TcpStream, peer: SocketAddr) {
    // BEGIN SOLUTION: lab 3 step 2 (the accept loop)
    // an IPv4 client of the dual-stack socket is ::ffff:a.b.c.d: show a.b.c.d
    let host = peer.ip().to_canonical();
    let port = peer.port();
    log(io::stdout(), format_args!("Connected to ({host}, {port})"));
    // TCP_NODELAY: echo writes only when it has nothing more to send before
    // it reads again, so holding a write back gains nothing. With Nagle's
    // algorithm on, the second piece of a line longer than echo's buffer
    // (8 KiB) waits for the client's delayed ACK: 44 ms per round trip
    // instead of 15 µs (bench/README.md). Failing to set it costs only speed.
    let _ = conn.set_nodelay(true);
    // A reset, a client killed mid-line: its problem, not the server's.
    // Rust ignores SIGPIPE, so writing to a client that is gone returns an
    // error (EPIPE, ECONNRESET) here instead of killing the process.
    if let Err(e) = echoserver::echo(&conn) {
        log(
            io::stderr(),
            format_args!("echoserver: connection from ({host}, {port}): {e}"),
        );
    }
    // close: the client sees EOF
    drop(conn);
    // END SOLUTION
}
// ANCHOR_END: serve_one

/// Writes `line` and a newline to `out` (stdout or stderr) and flushes.
/// Errors are ignored: a closed stdout must not stop the server.
fn log(mut out: impl Write, line: fmt::Arguments<'_>) {
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    /// One port number from 0 to 65535 is accepted.
    #[test]
    fn good_ports() {
        assert_eq!(parse_port(&args(&["0"])), Ok(0));
        assert_eq!(parse_port(&args(&["5000"])), Ok(5000));
        assert_eq!(parse_port(&args(&["65535"])), Ok(65535));
    }

    /// Anything else is an error saying what is wrong.
    #[test]
    fn bad_arguments() {
        assert_eq!(parse_port(&args(&[])), Err("missing <port>".into()));
        assert_eq!(
            parse_port(&args(&["1", "2"])),
            Err("unexpected argument \"2\"".into())
        );
        for bad in ["abc", "99999", "-1", "", "80 "] {
            let err = parse_port(&args(&[bad])).unwrap_err();
            assert!(err.starts_with(&format!("bad port {bad:?}")), "{err}");
        }
    }

    /// A port that is not UTF-8 is an error, not a panic.
    #[cfg(unix)]
    #[test]
    fn non_utf8_port() {
        use std::os::unix::ffi::OsStringExt;
        let arg = OsString::from_vec(vec![b'8', 0xff]);
        assert!(parse_port(&[arg]).unwrap_err().starts_with("bad port"));
    }
}
