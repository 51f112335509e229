//! Lab 5 checks: two concurrent echo servers, `echoservert` (a thread per
//! client) and `echoservers` (one thread, `poll(2)`), as child processes.
//!
//! Lab 3's server served one client at a time; these must serve many, and
//! no client may make another wait. The plan follows the handout's steps:
//!
//! 1. **A thread per client** (`echoservert`): 100 clients at once, each
//!    getting exactly its own bytes back; a client holding half a line and
//!    a silent one delay nobody; a client that sends 64 MiB and never
//!    reads stops nobody and costs bounded memory; 1000 connections, 50 at
//!    a time, and the fd and thread counts (from the platform layer)
//!    come back to where they started; resets, a killed client process and
//!    a close mid-line leave the other clients alone; an idle server uses
//!    no CPU. And lab 3's process checks, again, against `echoservert`.
//! 2. **Shared state**: the byte count all threads add to, checked against
//!    what 20 clients at once were echoed.
//! 3. **The pool and poll** (`echoservers`): 1000 idle connections accepted
//!    and held by one thread; an idle event loop sleeps.
//! 4. **check_clients**: the checks of step 1 against `echoservers`, 1000
//!    connections served by one thread, and lab 3's checks again.
//! 5. **Backpressure**: the client that never reads, against `echoservers`:
//!    the server's resident memory (`VmRSS`) grows by far less than what
//!    that client sent.
//!
//! Lab 3's server checks are not copied: they live in
//! [`crate::labs::servers`], take the server [`Binary`] as a parameter, and
//! are registered here once more for each lab 5 server, prefixed with its
//! name, at 1 point each (the usage checks are left out: lab 5's command
//! line is given code). Every check starts its own server, waits on events
//! with deadlines (a few of 10 s, each well past what a healthy server
//! needs on a loaded machine), and its failure says what the server was
//! doing.

use crate::bins::Binary;
use crate::check::Check;
use crate::labs::servers::{self, ACCEPT, LISTEN, Points, SURVIVE};
use crate::steps::{
    LAB5_BACKPRESSURE as BACKPRESSURE, LAB5_CHECK as CHECK, LAB5_POOL as POOL,
    LAB5_SHARED as SHARED, LAB5_THREADS as THREADS,
};

mod count;
mod many;
mod nonblocking;
mod slow;
mod support;

use count::*;
use many::*;
use nonblocking::*;
use slow::*;

const T: Binary = Binary::EchoServerT;
const S: Binary = Binary::EchoServerS;

/// Lab 3's server checks count 1 point each here.
const ONE: Points = Points::Each(1);

/// The checks of lab 5, in handout order.
pub fn checks() -> Vec<Check> {
    let mut all = checks! {
        // Step 1: a thread per client.
        process echoservert_100_clients_at_once: THREADS, 2,
            "100 clients connected at once each send their own lines and get exactly their own bytes back"
            => |c| clients_at_once(c, T);
        process echoservert_slow_clients_delay_nobody: THREADS, 2,
            "a client holding half a line and a silent client delay nobody: a third one's round trips complete"
            => |c| slow_clients_delay_nobody(c, T);
        process echoservert_client_that_never_reads: THREADS, 2,
            "a client that sends 64 MiB and never reads stops nobody, and the server's memory stays bounded"
            => |c| client_that_never_reads(c, T);
        process echoservert_1000_cycles_fds_and_threads_come_back: THREADS, 2,
            "1000 connect/echo/close, 50 at a time: the server's open fds and threads come back to where they started"
            => |c| cycles_come_back(c, T);
        process echoservert_bad_clients_leave_others_alone: THREADS, 2,
            "resets, a SIGKILLed client process and closes mid-line leave three other clients' conversations alone"
            => |c| bad_clients_leave_others_alone(c, T);
        process echoservert_idle_uses_no_cpu: THREADS, 1,
            "with 5 silent clients connected, the server uses at most 50 ms of CPU in 1 s"
            => |c| idle_uses_no_cpu(c, T);
    };
    all.extend(servers::register(ACCEPT, T, "echoservert_", THREADS, ONE));
    all.extend(servers::register(LISTEN, T, "echoservert_", THREADS, ONE));
    all.extend(servers::register(SURVIVE, T, "echoservert_", THREADS, ONE));
    all.extend(checks! {
        // Step 2: shared state.
        process echoservert_counts_bytes_across_clients: SHARED, 3,
            "`Closed (HOST, PORT): N bytes echoed, T in all`: N per client, and T the bytes of 20 clients at once"
            => |c| counts_bytes_across_clients(c, T);
        // Step 3: the pool and poll.
        process echoservers_accepts_1000_idle_connections: POOL, 2,
            "1000 clients that send nothing are all accepted (`Connected to` each) and held by one thread"
            => |c| accepts_1000_idle(c, S);
        process echoservers_idle_uses_no_cpu: POOL, 2,
            "with 5 silent clients connected, the event loop uses at most 50 ms of CPU in 1 s"
            => |c| idle_uses_no_cpu(c, S);
        process echoservers_sockets_nonblocking: POOL, 1,
            "every socket of the event loop, the listener and each accepted client, is non-blocking (O_NONBLOCK)"
            => |c| sockets_nonblocking(c, S);
    });
    all.extend(servers::register(LISTEN, S, "echoservers_", POOL, ONE));
    all.extend(checks! {
        // Step 4: check_clients.
        process echoservers_100_clients_at_once: CHECK, 2,
            "100 clients connected at once each send their own lines and get exactly their own bytes back"
            => |c| clients_at_once(c, S);
        process echoservers_slow_clients_delay_nobody: CHECK, 2,
            "a client holding half a line and a silent client delay nobody: a third one's round trips complete"
            => |c| slow_clients_delay_nobody(c, S);
        process echoservers_serves_1000_connections_on_one_thread: CHECK, 2,
            "1000 connected clients each send a line at once and all get it back, from one thread"
            => |c| serves_1000(c, S);
        process echoservers_1000_cycles_fds_and_threads_come_back: CHECK, 2,
            "1000 connect/echo/close, 50 at a time: the server's open fds and threads come back to where they started"
            => |c| cycles_come_back(c, S);
        process echoservers_bad_clients_leave_others_alone: CHECK, 2,
            "resets, a SIGKILLed client process and closes mid-line leave three other clients' conversations alone"
            => |c| bad_clients_leave_others_alone(c, S);
    });
    all.extend(servers::register(ACCEPT, S, "echoservers_", CHECK, ONE));
    all.extend(servers::register(SURVIVE, S, "echoservers_", CHECK, ONE));
    // Step 5: backpressure.
    all.extend(checks! {
        process echoservers_client_that_never_reads: BACKPRESSURE, 3,
            "a client that sends 64 MiB and never reads stops nobody, and the server's VmRSS grows by far less than it sent"
            => |c| client_that_never_reads(c, S);
    });
    all
}
