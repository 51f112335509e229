//! Lab 4 checks: the `echoclient` binary against fake servers.
//!
//! The client is run as a child process, on pipes or on a terminal; the
//! server it talks to is a [`FakeServer`] of the check, which records every
//! byte it receives. So each check compares three things with what the
//! user typed: what the client printed, what the server received, and how
//! the client ended (exit status, stderr). The plan, in handout order:
//!
//! 1. **Arguments and connecting**: wrong argument counts and bad ports are
//!    one usage line and exit 2; a refused connection or an unknown host is
//!    one line naming host and port and exit 1; `::1` and `localhost` work.
//!    Never a panic.
//! 2. **The echo loop**: lines come back exactly (binary bytes too), a
//!    100 KiB line, a server that echoes in dribbles of 1-3 bytes (one
//!    `read` is not a line), an empty stdin; and on a real terminal, each
//!    echo shows before the next line is typed (stdout flushed per line,
//!    stdin not read ahead) and Ctrl-D ends the client with status 0.
//! 3. **The last line and half-close**: a last line without `\n` comes back
//!    only if the client shuts down its sending side.
//! 4. **When the server goes away**: a server that closes or resets makes
//!    the client exit non-zero with one stderr line, promptly.
//!
//! Each wait has a budget well inside the check's deadline, so a client
//! that hangs gets a precise failure ("still running", and what the server
//! saw) rather than a bare timeout.
//!
//! The code: one module per step (`connect`, `echo`, `halfclose`, `gone`),
//! `client` to run the client and judge how it ended, [`fakes`], the fake
//! servers, and `terminal`, the pseudo-terminal it is typed at.

use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::thread;

use rexpect::process::WaitStatus;

use crate::bins::Binary;
use crate::check::{Check, CheckResult, Ctx, Failure, bytes_failure, show_bytes};
use crate::peers::{PATIENCE, V4, V6};
use crate::process::{Proc, describe_status, text_tail};
use crate::steps;
use fakes::{FakeServer, Script, Seen};
use terminal::Terminal;

mod client;
mod connect;
mod echo;
pub(crate) mod fakes;
mod gone;
mod halfclose;
mod terminal;

use client::*;
use connect::*;
use echo::*;
use gone::*;
use halfclose::*;

/// The checks of lab 4, in handout order.
pub fn checks() -> Vec<Check> {
    checks! {
        process args_wrong_count: steps::LAB4_CONNECT, 1,
            "0, 1 or 3 arguments: one usage line on stderr, exit 2, no panic"
            => args_wrong_count;
        process args_bad_port: steps::LAB4_CONNECT, 1,
            "ports `abc`, `99999`, `-1`: one usage line on stderr, exit 2, no panic"
            => args_bad_port;
        process connect_refused: steps::LAB4_CONNECT, 1,
            "nothing listening: one stderr line naming host and port, exit 1, no panic"
            => connect_refused;
        process connect_unknown_host: steps::LAB4_CONNECT, 1,
            "host `no-such-host.invalid`: one stderr line naming host and port, exit 1, no panic"
            => connect_unknown_host;
        process echo_lines_exact: steps::LAB4_LOOP, 2,
            "each stdin line goes to the server and its echo to stdout, byte for byte; EOF exits 0"
            => echo_lines_exact;
        process echo_empty_stdin: steps::LAB4_LOOP, 1,
            "an empty stdin: connect, send nothing, print nothing, close, exit 0"
            => echo_empty_stdin;
        process echo_binary_bytes: steps::LAB4_LOOP, 1,
            "NUL, 0xFF, \\r\\n and empty lines pass both ways untouched"
            => echo_binary_bytes;
        process echo_ipv6_and_localhost: steps::LAB4_LOOP, 1,
            "hosts `::1` and `localhost` connect and echo"
            => echo_ipv6_and_localhost, needs_ipv6;
        process echo_long_line_100k: steps::LAB4_LOOP, 2,
            "a 100 KiB line is sent and its whole echo printed"
            => echo_long_line_100k;
        process echo_tiny_pieces: steps::LAB4_LOOP, 2,
            "a server echoing in pieces of 1-3 bytes: the client reads until the whole line is back"
            => echo_tiny_pieces;
        process echo_interactive_pty: steps::LAB4_LOOP, 2,
            "on a terminal, each echo shows before the next line is typed; Ctrl-D exits 0"
            => echo_interactive_pty;
        process halfclose_last_line_without_newline: steps::LAB4_HALFCLOSE, 2,
            "a last line without newline: shutdown(Write), then its echo is printed, exit 0"
            => halfclose_last_line_without_newline;
        process server_closes_after_first_line: steps::LAB4_SERVERGONE, 2,
            "the server closes after one line: exit non-zero with one stderr line, promptly, no panic"
            => server_closes_after_first_line;
        process server_resets: steps::LAB4_SERVERGONE, 1,
            "the server resets the connection: exit non-zero with one stderr line, promptly, no panic"
            => server_resets;
    }
}
