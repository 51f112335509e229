//! Lab 3 checks: `echo()` in-process, then the `echoserver` binary.
//!
//! The plan follows the handout's three steps.
//!
//! 1. **`echo`** (library, in-process): `echoserver::echo` runs over a
//!    `ScriptedStream` whose reads return exactly the chunks, `Interrupted`
//!    and EOF we script, and whose writes accept exactly as many bytes as we
//!    script. Whatever the split, the bytes written back must equal the bytes
//!    read (NUL, 0xFF, CRLF, lines longer than `RIO_BUFSIZE`, a last line
//!    without newline) and the return value must count them all.
//! 2. **The accept loop** (the binary, as a child process): it starts on port
//!    0 and says which port it got; echoes on 127.0.0.1 and ::1; many lines,
//!    long lines, a 1 MiB line, dribbles, half-close; one client after the
//!    other, 1000 of them without leaking a descriptor; the usage errors and
//!    a port that is taken.
//! 3. **Surviving bad clients**: `echo` returns read and write errors (it
//!    never panics, never hides them); and the server outlives clients that
//!    reset, never read, or are killed mid-stream — each one logged on
//!    stderr, and the next client served by the same process.
//!
//! The code: [`echo`] (step 1, and the library half of step 3) here; the
//! process checks of steps 2 and 3 are shared with lab 5's servers and live
//! in [`crate::labs::servers`], registered here for `echoserver` at lab 3's
//! points. The library checks take the `echo` function as a parameter, so
//! unit tests in `echo` run them against broken variants and prove each one
//! can fail. The process checks wait on events (a line, an echo, an exit)
//! with deadlines, and say what the server was doing when a wait ran out.

use crate::bins::Binary;
use crate::check::Check;
use crate::labs::servers::{
    self, ACCEPT as ACCEPT_CHECKS, LISTEN, Points, SURVIVE as SURVIVE_CHECKS,
};
use crate::steps::{self};

mod echo;

use echo::*;

/// The checks of lab 3, in handout order.
pub fn checks() -> Vec<Check> {
    use steps::{LAB3_ACCEPT as ACCEPT, LAB3_ECHO as ECHO, LAB3_SURVIVE as SURVIVE};
    // The checks lab 3 shares with lab 5's servers, against `echoserver`,
    // at lab 3's points.
    let shared = |group, step| servers::register(group, Binary::EchoServer, "", step, Points::Lab3);
    let mut all = checks! {
        // Step 1: echo.
        library echo_every_split: ECHO, 2,
            "echo writes back exactly what it read, however the reads are split, and returns the byte count"
            => |c| echo_every_split(c, crate_echo);
        library echo_binary_bytes: ECHO, 1,
            "echo is binary-safe: all 256 byte values, NUL, 0xFF and CRLF come back untouched"
            => |c| echo_binary_bytes(c, crate_echo);
        library echo_long_lines: ECHO, 1,
            "lines longer than RIO_BUFSIZE (8193 bytes, 100 KiB) are echoed whole, in pieces"
            => |c| echo_long_lines(c, crate_echo);
        library echo_last_line_without_newline: ECHO, 1,
            "a last line without newline is echoed at EOF; an empty stream echoes nothing and returns 0"
            => |c| echo_last_line_without_newline(c, crate_echo);
        library echo_short_writes: ECHO, 1,
            "echo writes every byte when the writer accepts only 1, 3, ... bytes per call"
            => |c| echo_short_writes(c, crate_echo);
        library echo_interrupted: ECHO, 1,
            "echo retries Interrupted on reads and on writes"
            => |c| echo_interrupted(c, crate_echo);
    };
    // Step 2: the accept loop.
    all.extend(shared(ACCEPT_CHECKS, ACCEPT));
    all.extend(checks! {
        process server_usage_wrong_arg_count: ACCEPT, 1,
            "`echoserver` and `echoserver 1 2` print one usage line and exit 2"
            => |c| servers::accept::server_usage_wrong_arg_count(c, Binary::EchoServer);
        process server_usage_bad_port: ACCEPT, 1,
            "`echoserver abc`, `99999`, `-1`, `65536` print one usage line and exit 2"
            => |c| servers::accept::server_usage_bad_port(c, Binary::EchoServer);
    });
    all.extend(shared(LISTEN, ACCEPT));
    // Step 3: surviving bad clients.
    all.extend(checks! {
        library echo_write_error_returned: SURVIVE, 1,
            "a write error (BrokenPipe, ConnectionReset, Ok(0)) ends echo with Err, no panic"
            => |c| echo_write_error_returned(c, crate_echo);
        library echo_read_error_returned: SURVIVE, 1,
            "a read error (ConnectionReset) ends echo with Err of that kind, after echoing what came before"
            => |c| echo_read_error_returned(c, crate_echo);
    });
    all.extend(shared(SURVIVE_CHECKS, SURVIVE));
    all
}
