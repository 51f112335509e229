//! The command line of lab 3's `echoserver`, shared by both lab 5 servers.
//!
//! Lab 5 is about serving many clients at once, not about arguments, so
//! this part is given: `echoservert <port>` and `echoservers <port>` take
//! the same argument as `echoserver <port>`, print the same lines and exit
//! with the same codes, and the grader runs lab 3's checks of that contract
//! against them too:
//!
//! - exactly one argument, a port from 0 to 65535 (0: the kernel picks);
//!   anything else is one usage line on stderr and exit status 2;
//! - `listening on port N` on stdout, N the real port, once listening;
//! - `Connected to (HOST, PORT)` on stdout per client: HOST the client's
//!   address in canonical form (`127.0.0.1`, not `::ffff:127.0.0.1`; `::1`),
//!   PORT its port ([`peer_name`]);
//! - a port it cannot listen on is one line on stderr and exit status 1;
//! - what goes wrong with one client is one line on stderr, and the server
//!   goes on.
//!
//! Every line is flushed at once, and a failure to print is ignored (a
//! closed stdout is no reason to stop serving).

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

/// Runs a server's `main`: reads the port from the command line, then calls
/// `run`, which returns only if the server cannot start.
///
/// Exits 2 after a usage line if the arguments are wrong, 1 after one line
/// on stderr if `run` fails, as lab 3's `echoserver` does.
///
/// # Examples
///
/// ```no_run
/// fn run(port: u16) -> anyhow::Result<()> {
///     anyhow::bail!("cannot listen on port {port}")
/// }
/// fn main() -> std::process::ExitCode {
///     echoservert::cli::main("myserver", run)
/// }
/// ```
pub fn main(name: &str, run: fn(u16) -> anyhow::Result<()>) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let port = match parse_port(&args) {
        Ok(port) => port,
        Err(problem) => {
            log(
                io::stderr(),
                format_args!("usage: {name} <port> ({problem})"),
            );
            return ExitCode::from(2);
        }
    };
    if let Err(e) = run(port) {
        log(io::stderr(), format_args!("{name}: {e:#}"));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The port in the arguments (all but the program name): exactly one, a
/// number from 0 to 65535. The error says what is wrong, for the usage line.
///
/// # Examples
///
/// ```
/// use echoservert::cli::parse_port;
/// use std::ffi::OsString;
///
/// assert_eq!(parse_port(&[OsString::from("5000")]), Ok(5000));
/// assert!(parse_port(&[]).unwrap_err().contains("missing"));
/// assert!(parse_port(&["1".into(), "2".into()]).unwrap_err().contains("unexpected"));
/// assert!(parse_port(&[OsString::from("99999")]).unwrap_err().starts_with("bad port"));
/// ```
pub fn parse_port(args: &[OsString]) -> Result<u16, String> {
    let Some(first) = args.first() else {
        return Err("missing <port>".to_string());
    };
    if let Some(extra) = args.get(1) {
        return Err(format!("unexpected argument {extra:?}"));
    }
    first
        .to_str()
        .and_then(|text| text.parse::<u16>().ok())
        .ok_or_else(|| format!("bad port {first:?}: want a number from 0 to 65535"))
}

/// `(127.0.0.1, 41236)`: a client as the server's messages name it. An IPv4
/// client of a dual-stack listener (`::ffff:127.0.0.1`) shows as IPv4.
///
/// # Examples
///
/// ```
/// let peer: std::net::SocketAddr = "[::ffff:127.0.0.1]:41236".parse().unwrap();
/// assert_eq!(echoservert::cli::peer_name(peer), "(127.0.0.1, 41236)");
/// ```
pub fn peer_name(peer: SocketAddr) -> String {
    format!("({}, {})", peer.ip().to_canonical(), peer.port())
}

/// Writes `line` and a newline to `out` (stdout or stderr) and flushes.
/// Errors are ignored: a closed stdout must not stop the server.
///
/// # Examples
///
/// ```
/// let mut out = Vec::new();
/// echoservert::cli::log(&mut out, format_args!("listening on port {}", 5000));
/// assert_eq!(out, b"listening on port 5000\n");
/// ```
pub fn log(mut out: impl Write, line: fmt::Arguments<'_>) {
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
