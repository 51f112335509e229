//! `echoservert <port>`: a concurrent echo server, a thread per client (the
//! textbook's `echoservert.c`).
//!
//! The main thread only accepts: for each client it prints `Connected to
//! (HOST, PORT)` and starts a thread that owns the connected socket. The
//! thread echoes with [`echoservert::echo_cnt`] (lab 3's `echo`, counting
//! into a total all threads share), prints `Closed (HOST, PORT): N bytes
//! echoed, T in all`, and ends; dropping the socket closes it. In C the
//! thread must be detached, or it stays a zombie thread until someone joins
//! it; a Rust thread whose `JoinHandle` is dropped is detached already.
//!
//! What goes wrong with one client stays in its thread: an error is one
//! line on stderr, and even a panic unwinds that thread only (dropping, and
//! so closing, its socket) while the others go on. The command line is
//! lab 3's ([`echoservert::cli`]).

use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use echoservert::cli::{log, peer_name};

fn main() -> ExitCode {
    echoservert::cli::main("echoservert", run)
}

/// Listens on `port` and starts a thread per client, for ever.
///
/// Returns only if it cannot listen (the port is taken, or needs
/// privileges).
// ANCHOR: run
fn run(port: u16) -> anyhow::Result<()> {
    // BEGIN SOLUTION: lab 5 step 1 (a thread per client)
    use anyhow::Context;
    use std::io;

    let listener =
        netutil::open_listenfd(port).with_context(|| format!("cannot listen on port {port}"))?;
    let port = listener
        .local_addr()
        .context("cannot read the listening port")?
        .port();
    log(io::stdout(), format_args!("listening on port {port}"));
    // step 2: the bytes echoed to all clients, one counter for every thread
    let total = Arc::new(AtomicU64::new(0));
    loop {
        let (conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                log(io::stderr(), format_args!("echoservert: accept: {e}"));
                // EMFILE would fail again at once: pause instead of spinning
                thread::sleep(std::time::Duration::from_millis(100));
                continue;
            }
        };
        log(
            io::stdout(),
            format_args!("Connected to {}", peer_name(peer)),
        );
        let total = Arc::clone(&total);
        // `move`: the thread owns the socket (and its handle on the total);
        // Builder::spawn returns an error where thread::spawn would panic
        let started = thread::Builder::new().spawn(move || serve_client(conn, peer, &total));
        if let Err(e) = started {
            // no thread (EAGAIN: too many): the closure, and the socket, are dropped
            log(
                io::stderr(),
                format_args!("echoservert: no thread for {}: {e}", peer_name(peer)),
            );
        }
    }
    // END SOLUTION
}
// ANCHOR_END: run

/// One client, in a thread of its own: echo until it closes, say how many
/// bytes that was, and end. An error is one line on stderr and ends this
/// client only.
// ANCHOR: serve_client
fn serve_client(conn: TcpStream, peer: SocketAddr, total: &AtomicU64) {
    // BEGIN SOLUTION: lab 5 step 1 (a thread per client)
    use std::io;

    // echo writes only what it has before it reads again: Nagle would only
    // delay the second piece of a long line (lab 3, step 4)
    let _ = conn.set_nodelay(true);
    let name = peer_name(peer);
    match echoservert::echo_cnt(&conn, total) {
        Ok(n) => {
            let all = total.load(Ordering::Relaxed);
            log(
                io::stdout(),
                format_args!("Closed {name}: {n} bytes echoed, {all} in all"),
            );
        }
        Err(e) => log(
            io::stderr(),
            format_args!("echoservert: connection from {name}: {e}"),
        ),
    }
    // returning drops conn: the client sees EOF, and the thread ends
    // END SOLUTION
}
// ANCHOR_END: serve_client
