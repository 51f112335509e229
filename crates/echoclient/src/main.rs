//! `echoclient <host> <port>`: the lecture's echo client.
//!
//! It connects with `open_clientfd`'s two steps (getaddrinfo, then socket
//! and connect on each address), then for every line of stdin: sends it,
//! reads its echo back, prints the echo. At the end of stdin it exits 0.
//!
//! The client knows how many bytes it sent, so it reads exactly that many
//! back with `readnb`, however the network cut them up. Lines are read
//! with `readlineb` into a [`rio::RIO_BUFSIZE`] buffer, the same size as
//! the server's, so a longer line goes out (and comes back) in pieces on
//! which both sides agree. A last line without a newline would leave the
//! server waiting for the rest of it, so the client half-closes the
//! connection (`shutdown(Write)`): the server sees EOF, echoes the line,
//! and the client can still read the answer.
//!
//! Errors are one line on stderr: a usage error exits 2; no connection, a
//! server that goes away, or stdin/stdout failing exit 1.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use rio::Rio;

/// The first words of every usage error.
const USAGE: &str = "usage: echoclient <host> <port>";

/// The connection to the server: echoes are read through the `Rio`, lines
/// are written on the socket under it (`get_mut`).
type Server = Rio<TcpStream>;

// ANCHOR: main
fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let (host, port) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(problem) => {
            complain(format_args!("{USAGE} ({problem})"));
            return ExitCode::from(2);
        }
    };
    let result = connect(&host, port)
        .and_then(|conn| echo_loop(io::stdin().lock(), conn, &mut io::stdout().lock()));
    match result {
        // stdin at EOF, every line echoed
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            complain(format_args!("echoclient: {e:#}"));
            ExitCode::FAILURE
        }
    }
}
// ANCHOR_END: main

/// Checks the arguments (all but the program name): a host and a port
/// number from 0 to 65535. The error says what is wrong, for the usage
/// line.
// ANCHOR: parse_args
fn parse_args(args: &[OsString]) -> Result<(String, u16), String> {
    // BEGIN SOLUTION: lab 4 step 1 (arguments and connecting)
    let [host, port] = args else {
        return Err(format!("expected 2 arguments, got {}", args.len()));
    };
    let Some(host) = host.to_str() else {
        return Err(format!("bad host {host:?}"));
    };
    match port.to_str().map(str::parse::<u16>) {
        Some(Ok(port)) => Ok((host.to_string(), port)),
        _ => Err(format!("bad port {port:?}: want a number from 0 to 65535")),
    }
    // END SOLUTION
}
// ANCHOR_END: parse_args

/// Connects to `host` on `port`, as `open_clientfd` does, with an error
/// that names both.
// ANCHOR: connect
fn connect(host: &str, port: u16) -> anyhow::Result<TcpStream> {
    // BEGIN SOLUTION: lab 4 step 1 (arguments and connecting)
    use anyhow::Context;

    // getaddrinfo: its error already names host and port
    let addrs = netutil::resolve(host, port)?;
    // socket + connect, one address after the other
    netutil::connect_any(&addrs).with_context(|| format!("cannot connect to {host}:{port}"))
    // END SOLUTION
}
// ANCHOR_END: connect

/// Sends each line of `input` to the server on `conn` and copies its echo
/// to `output`, until `input` ends.
// ANCHOR: echo_loop
fn echo_loop(input: impl Read, conn: TcpStream, output: &mut impl Write) -> anyhow::Result<()> {
    // BEGIN SOLUTION: lab 4 step 2 (the echo loop)
    use anyhow::Context;

    let mut input = Rio::new(input);
    let mut server = Rio::new(conn);
    let mut line = vec![0u8; rio::RIO_BUFSIZE];
    loop {
        let n = input.readlineb(&mut line).context("cannot read stdin")?;
        // 0: stdin at EOF, done
        if n == 0 {
            return Ok(());
        }
        let piece = &line[..n];
        // no '\n' although the buffer had room: the last line, at EOF
        if n < line.len() && !piece.ends_with(b"\n") {
            return half_close(&mut server, piece, output);
        }
        echo_line(&mut server, piece, output)?;
    }
    // END SOLUTION
}
// ANCHOR_END: echo_loop

/// Sends one line (or one piece of a long line) and prints its echo.
// ANCHOR: echo_line
fn echo_line(server: &mut Server, line: &[u8], output: &mut impl Write) -> anyhow::Result<()> {
    // BEGIN SOLUTION: lab 4 step 2 (the echo loop)
    // write on the socket under the Rio
    rio::writen(server.get_mut(), line).map_err(server_gone)?;
    read_echo(server, line.len(), output)
    // END SOLUTION
}
// ANCHOR_END: echo_line

/// Reads the echo of `len` bytes from the server and copies it to
/// `output`, flushed at once (a person may be waiting at a terminal).
// ANCHOR: read_echo
fn read_echo(server: &mut Server, len: usize, output: &mut impl Write) -> anyhow::Result<()> {
    // BEGIN SOLUTION: lab 4 step 2 (the echo loop)
    use anyhow::Context;

    // readnb: exactly len bytes, however the network cut them up
    let mut echo = vec![0u8; len];
    let n = server.readnb(&mut echo).map_err(server_gone)?;
    // short count: EOF before the whole echo came back
    if n < len {
        return Err(server_gone(io::ErrorKind::UnexpectedEof.into()));
    }
    output.write_all(&echo).context("cannot write stdout")?;
    output.flush().context("cannot write stdout")
    // END SOLUTION
}
// ANCHOR_END: read_echo

/// Sends the last line, which has no newline, then half-closes the
/// connection so that the server sees EOF and echoes it, and prints the
/// echo.
// ANCHOR: half_close
fn half_close(server: &mut Server, line: &[u8], output: &mut impl Write) -> anyhow::Result<()> {
    // BEGIN SOLUTION: lab 4 step 3 (the last line and half-close)
    rio::writen(server.get_mut(), line).map_err(server_gone)?;
    // shutdown(SHUT_WR): no more from us, so the server's readlineb returns
    // the line at EOF; our reading side stays open for the echo
    server
        .get_ref()
        .shutdown(std::net::Shutdown::Write)
        .map_err(server_gone)?;
    read_echo(server, line.len(), output)
    // END SOLUTION
}
// ANCHOR_END: half_close

/// The error for a server that went away, whatever the sign of it was.
// ANCHOR: server_gone
fn server_gone(_cause: io::Error) -> anyhow::Error {
    // BEGIN SOLUTION: lab 4 step 4 (when the server goes away)
    // EOF in the middle of an echo, ECONNRESET, or EPIPE (Rust ignores
    // SIGPIPE, so writing to a closed connection is an error, not a signal
    // that kills us): for the user, all the same thing
    anyhow::anyhow!("server closed the connection")
    // END SOLUTION
}
// ANCHOR_END: server_gone

/// Writes one line on stderr. A failure is ignored: there is nowhere left
/// to report it (and `eprintln!` would panic).
fn complain(line: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::net::{Shutdown, TcpListener};
    use std::thread;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    /// Step 1: a host and a port from 0 to 65535 are accepted.
    #[test]
    fn good_arguments() {
        let parsed = parse_args(&args(&["localhost", "5000"]));
        assert_eq!(parsed, Ok(("localhost".to_string(), 5000)));
    }

    /// Step 1: a wrong count or a bad port is an error saying what is wrong.
    #[test]
    fn bad_arguments() {
        let err = parse_args(&args(&["localhost"])).unwrap_err();
        assert_eq!(err, "expected 2 arguments, got 1");
        assert!(parse_args(&args(&["a", "1", "x"])).is_err());
        for bad in ["abc", "99999", "-1", ""] {
            let err = parse_args(&args(&["localhost", bad])).unwrap_err();
            assert!(err.starts_with(&format!("bad port {bad:?}")), "{err}");
        }
    }

    /// A server on loopback that runs `serve` on its one connection;
    /// returns a connection to it.
    fn server(serve: impl FnOnce(TcpStream) + Send + 'static) -> TcpStream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || serve(listener.accept().unwrap().0));
        connect("127.0.0.1", port).unwrap()
    }

    /// An echo server: copies what comes in back out, until EOF.
    fn echo_server() -> TcpStream {
        server(|conn| {
            io::copy(&mut &conn, &mut &conn).unwrap();
        })
    }

    /// Steps 2 and 3: every line comes back; the last one, without
    /// newline, too (step 3's half-close).
    #[test]
    fn lines_and_last_line() {
        let mut output = Vec::new();
        let input = Cursor::new(b"hello\n\0\xff\r\nlast".to_vec());
        echo_loop(input, echo_server(), &mut output).unwrap();
        assert_eq!(output, b"hello\n\0\xff\r\nlast");
    }

    /// Steps 2 and 3: a line longer than the buffer goes out and comes back
    /// in pieces (a full buffer is not the last line: step 3's condition).
    #[test]
    fn long_line() {
        let mut input = vec![b'x'; 3 * rio::RIO_BUFSIZE + 10];
        input.push(b'\n');
        let mut output = Vec::new();
        echo_loop(Cursor::new(input.clone()), echo_server(), &mut output).unwrap();
        assert_eq!(output, input);
    }

    /// Step 4: a server that closes at once: the one-line error.
    #[test]
    fn server_closes() {
        let conn = server(drop);
        let err = echo_loop(Cursor::new(b"hello\n".to_vec()), conn, &mut Vec::new()).unwrap_err();
        assert_eq!(format!("{err:#}"), "server closed the connection");
    }

    /// Step 4: a server that echoes half a line and closes: the one-line error.
    #[test]
    fn short_echo() {
        let conn = server(|mut conn| {
            let mut buf = [0u8; 6];
            conn.read_exact(&mut buf).unwrap();
            conn.write_all(b"hel").unwrap();
            conn.shutdown(Shutdown::Both).unwrap();
        });
        let err = echo_loop(Cursor::new(b"hello\n".to_vec()), conn, &mut Vec::new()).unwrap_err();
        assert_eq!(format!("{err:#}"), "server closed the connection");
    }

    /// Step 1: connection refused names host and port.
    #[test]
    fn refused() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let err = connect("127.0.0.1", port).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.starts_with(&format!("cannot connect to 127.0.0.1:{port}: ")),
            "{message}"
        );
    }
}
