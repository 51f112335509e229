//! The accept loop of the baseline servers `textbook_echo` and
//! `chunk_echo`, the same as `echoserver`'s.
//!
//! A comparison of echo servers is fair only if everything but the echo
//! loop is the same, so the baselines listen with the same
//! [`netutil::open_listenfd`] (dual-stack `[::]`, `SO_REUSEADDR`, backlog
//! `LISTENQ`), print the same lines (`listening on port N` once,
//! `Connected to (HOST, PORT)` per client, through the same line-buffered
//! stdout) and close each connection after its echo. They set no socket
//! options: the textbook's server sets none.

use std::io::{self, Write};
use std::net::TcpStream;
use std::process::ExitCode;

/// Runs an iterative server: `<program> <port>`, then forever accept a
/// client, print `Connected to (HOST, PORT)`, call `echo` on the
/// connection and close it. An error on one connection is one stderr line;
/// the next client is served.
///
/// Returns only on a startup error: a bad or missing port (usage, exit 2)
/// or a port that cannot be listened on (exit 1).
pub fn serve(echo: fn(TcpStream) -> io::Result<u64>) -> ExitCode {
    let program = std::env::args().next().unwrap_or_else(|| "server".into());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = match &args[..] {
        [port] => port.parse::<u16>().ok(),
        _ => None,
    };
    let Some(port) = port else {
        eprintln!("usage: {program} <port>");
        return ExitCode::from(2);
    };
    let listener = match netutil::open_listenfd(port) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("{program}: cannot listen on port {port}: {e}");
            return ExitCode::from(1);
        }
    };
    let port = listener.local_addr().map_or(port, |a| a.port());
    println!("listening on port {port}");
    let _ = io::stdout().flush();
    loop {
        let (conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("{program}: accept: {e}");
                continue;
            }
        };
        println!("Connected to ({}, {})", peer.ip(), peer.port());
        if let Err(e) = echo(conn) {
            eprintln!("{program}: connection from {peer}: {e}");
        }
        // conn was moved into echo and is closed there
    }
}
