//! `echoservers <port>`: a concurrent echo server on one thread, an event
//! loop over `poll(2)` (the textbook's `echoservers.c`, with `poll` for
//! `select`).
//!
//! The loop, as the slide draws it: wait until something is ready
//! ([`echoservers::Pool::wait`]); if the listener is, accept every waiting
//! client ([`accept_clients`]); then serve the ready clients
//! ([`echoservers::Pool::check_clients`]), and wait again. Nothing in it
//! blocks except `poll`, so no client can hold up another. The command
//! line is lab 3's ([`echoservert::cli`]).

use std::io::{self, ErrorKind};
use std::process::ExitCode;

use echoservers::{Pool, init_pool};
use echoservert::cli::{log, peer_name};

fn main() -> ExitCode {
    echoservert::cli::main("echoservers", run)
}

/// Listens on `port` and serves every client from one thread, for ever.
///
/// Returns only if it cannot listen, or if `poll` itself fails.
// ANCHOR: run
fn run(port: u16) -> anyhow::Result<()> {
    // BEGIN SOLUTION: lab 5 step 3 (the pool and poll)
    use anyhow::Context;

    let listener =
        netutil::open_listenfd(port).with_context(|| format!("cannot listen on port {port}"))?;
    let port = listener
        .local_addr()
        .context("cannot read the listening port")?
        .port();
    let mut pool = init_pool(listener).context("cannot make the listener non-blocking")?;
    log(io::stdout(), format_args!("listening on port {port}"));
    loop {
        let ready = pool.wait().context("poll")?;
        if ready.listener {
            accept_clients(&mut pool);
        }
        // only when some client is ready: a new connection alone needs no more
        if ready.clients.iter().any(|revents| !revents.is_empty()) {
            for (peer, e) in pool.check_clients(&ready) {
                log(
                    io::stderr(),
                    format_args!("echoservers: connection from {}: {e}", peer_name(peer)),
                );
            }
        }
    }
    // END SOLUTION
}
// ANCHOR_END: run

/// Accepts every client waiting in the listener's queue, until `accept`
/// says `WouldBlock`, and adds each to the pool.
// ANCHOR: accept_clients
fn accept_clients(pool: &mut Pool) {
    // BEGIN SOLUTION: lab 5 step 3 (the pool and poll)
    loop {
        match pool.listener().accept() {
            Ok((conn, peer)) => {
                log(
                    io::stdout(),
                    format_args!("Connected to {}", peer_name(peer)),
                );
                if let Err(e) = pool.add_client(conn, peer) {
                    log(
                        io::stderr(),
                        format_args!("echoservers: connection from {}: {e}", peer_name(peer)),
                    );
                }
            }
            // the queue is empty: back to poll
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            // a signal, or a client that gave up while it waited: next one
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Interrupted | ErrorKind::ConnectionAborted
                ) => {}
            Err(e) => {
                // EMFILE: poll would report the listener ready again at
                // once; pause (every client waits too) instead of spinning
                log(io::stderr(), format_args!("echoservers: accept: {e}"));
                std::thread::sleep(std::time::Duration::from_millis(100));
                return;
            }
        }
    }
    // END SOLUTION
}
// ANCHOR_END: accept_clients
