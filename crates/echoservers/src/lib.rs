//! Lab 5's second server, `echoservers`: one thread serving every client,
//! with non-blocking sockets and `poll(2)`, as the textbook's
//! event-driven `echoservers.c` does with `select`.
//!
//! A thread per client (`echoservert`) lets the kernel switch between
//! clients; here the program does it itself. Every socket is non-blocking,
//! so a `read` or `write` that would wait returns `WouldBlock` instead, and
//! one `poll` call waits for all of them at once: it returns when the
//! listener has a client to accept, or a client has bytes to read or room
//! to write. The loop then does only what cannot block, and polls again.
//!
//! The parts are named as the textbook names them:
//!
//! - [`Pool`]: every connection, with the listener. [`init_pool`] makes
//!   one, [`Pool::add_client`] adds an accepted connection, [`Pool::wait`]
//!   is the `poll` call, and [`Pool::check_clients`] serves the clients
//!   `poll` found ready.
//! - [`Client`]: one connection, with an input buffer (a partial line, at
//!   most [`LINE_MAX`] bytes) and an output buffer (echoes not yet written,
//!   at most [`OUTPUT_MAX`]). Its [`Client::interest`] says what to ask
//!   `poll` for.
//!
//! The textbook's version reads with `rio_readlineb`, which blocks until a
//! whole line is there, and writes with `rio_writen`, which blocks until
//! the client takes the echo: one client that sends half a line, or never
//! reads, stops the whole server. Here nothing blocks. A partial line waits
//! in its input buffer; a complete line (or a full buffer, as lab 3's
//! `echo` does with a line longer than `RIO_BUFSIZE`) moves to the output
//! buffer and is written when `poll` says `POLLOUT`.
//!
//! **Backpressure.** A client that sends and never reads fills its output
//! buffer (up to [`OUTPUT_MAX`]: no more is moved into it). Then its lines
//! stay in the input buffer, the input buffer fills, and the server stops
//! asking `poll` for that client's input: the kernel's
//! buffers fill in turn and the client's own `write` blocks. So it costs at
//! most `LINE_MAX + OUTPUT_MAX` bytes of memory here, and delays nobody.
//!
//! Simplified on purpose: `poll` (not `epoll`) looks at every descriptor on
//! every call, and the pool is a `Vec` scanned in full; both are fine for
//! thousands of clients, not for a million. Production servers use `epoll`
//! or `io_uring` through `mio` or `tokio`, which hide the call this lab is
//! about.

mod client;
mod pool;

pub use client::Client;
pub use pool::{Pool, Ready, init_pool};
pub use rustix::event::PollFlags;

/// The most bytes of a line a client's input buffer holds: lab 3's
/// `RIO_BUFSIZE`. A full buffer without a newline is echoed as a piece of
/// its line, as lab 3's `echo` echoes a line longer than its buffer.
///
/// # Examples
///
/// ```
/// assert_eq!(echoservers::LINE_MAX, 8192);
/// ```
pub const LINE_MAX: usize = 8192;

/// The most bytes of echo a client's output buffer holds: `queue_lines`
/// moves only what fits, the rest waits in the input buffer, and once that
/// is full (`LINE_MAX`) the server stops asking `poll` for the client's
/// input (backpressure).
///
/// # Examples
///
/// ```
/// assert!(echoservers::OUTPUT_MAX >= echoservers::LINE_MAX);
/// ```
pub const OUTPUT_MAX: usize = 64 * 1024;
