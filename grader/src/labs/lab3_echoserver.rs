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
//! The code: [`echo`] (step 1, and the library half of step 3), `server`
//! (step 2) and `survive` (step 3's bad clients). The process checks take
//! the server [`Binary`] to run, and [`server_checks!`] registers them for
//! one: lab 3 for `echoserver`, lab 5 again for `echoservert` and
//! `echoservers`, which keep lab 3's command-line contract. The library checks take
//! the `echo` function as a parameter, so unit tests in `echo` run them
//! against broken variants and prove each one can fail. The process checks wait on events (a line, an echo, an exit) with
//! deadlines, and say what the server was doing when a wait ran out.

use crate::bins::Binary;
use crate::check::Check;
use crate::steps::{self};

mod echo;
pub(crate) mod server;
pub(crate) mod survive;

use echo::*;

/// Lab 3's process checks of a server binary, as a list of [`Check`]s.
///
/// `server_checks!(accept, PREFIX, NAME, BIN, STEP, POINTS)` gives the step 2
/// checks with a well-behaved client (all but the usage ones),
/// `server_checks!(listen, …)` the port-taken check and
/// `server_checks!(survive, …)` step 3's bad clients. Each check is named
/// `PREFIX` + its lab 3 name, runs binary `BIN` (called `NAME` in its
/// description), counts under `STEP`, and is worth `POINTS(lab 3's points)`.
/// A macro, because a check is a plain `fn` pointer: each (check, binary)
/// pair must be a closure that captures nothing.
macro_rules! server_checks {
    (accept, $prefix:literal, $name:literal, $bin:expr, $step:expr, $points:expr) => {{
        use $crate::check::Check;
        use $crate::labs::lab3_echoserver::server as s;
        let points: fn(u32) -> u32 = $points;
        vec![
            Check::process(
                concat!($prefix, "server_echoes_v4"),
                $step,
                points(1),
                concat!($name, " 0 says its real port and echoes a line to a client on 127.0.0.1"),
                |c| s::server_echoes_v4(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_echoes_v6"),
                $step,
                points(1),
                "the same server echoes a line to a client on ::1 (one dual-stack listener)",
                |c| s::server_echoes_v6(c, $bin),
            )
            .needs_ipv6(),
            Check::process(
                concat!($prefix, "server_prints_connected_to"),
                $step,
                points(1),
                "`Connected to (HOST, PORT)` appears on stdout for each client, as it is accepted: HOST canonical (127.0.0.1, ::1), PORT the client's",
                |c| s::server_prints_connected_to(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_many_lines"),
                $step,
                points(1),
                "1000 lines sent in one write all come back, in order",
                |c| s::server_many_lines(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_binary_bytes"),
                $step,
                points(1),
                "NUL, 0xFF, CRLF and all other byte values come back untouched over TCP",
                |c| s::server_binary_bytes(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_line_longer_than_buffer"),
                $step,
                points(1),
                "lines of 8193 and 3 x 8192 + 1 bytes come back exactly",
                |c| s::server_line_longer_than_buffer(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_echoes_8k_pieces_of_a_long_line"),
                $step,
                points(1),
                "a long line sent in 8192-byte pieces, each echoed before the next is sent (as echoclient does)",
                |c| s::server_echoes_8k_pieces_of_a_long_line(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_1mib_line"),
                $step,
                points(1),
                "a 1 MiB line comes back exactly while it is still being sent",
                |c| s::server_1mib_line(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_dribble"),
                $step,
                points(1),
                "lines sent one byte per segment (TCP_NODELAY) come back whole",
                |c| s::server_dribble(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_half_close_partial_line"),
                $step,
                points(1),
                "after shutdown(Write) the last line without newline comes back, then EOF",
                |c| s::server_half_close_partial_line(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_serves_clients_in_sequence"),
                $step,
                points(1),
                "one client after the other is served; a waiting client is served once the first closes",
                |c| s::server_serves_clients_in_sequence(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_keeps_running_without_stdin"),
                $step,
                points(1),
                "closing the server's stdin does not stop it",
                |c| s::server_keeps_running_without_stdin(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_1000_clients_no_fd_leak"),
                $step,
                points(2),
                "1000 sequential connect/echo/close are served and the server's fd count does not grow",
                |c| s::server_1000_clients_no_fd_leak(c, $bin),
            ),
        ]
    }};
    (listen, $prefix:literal, $name:literal, $bin:expr, $step:expr, $points:expr) => {{
        let points: fn(u32) -> u32 = $points;
        vec![$crate::check::Check::process(
            concat!($prefix, "server_port_taken"),
            $step,
            points(1),
            "a port already in use gives one line on stderr and exit 1, no panic",
            |c| $crate::labs::lab3_echoserver::server::server_port_taken(c, $bin),
        )]
    }};
    (survive, $prefix:literal, $name:literal, $bin:expr, $step:expr, $points:expr) => {{
        use $crate::check::Check;
        use $crate::labs::lab3_echoserver::survive as s;
        let points: fn(u32) -> u32 = $points;
        vec![
            Check::process(
                concat!($prefix, "server_survives_reset_after_line"),
                $step,
                points(2),
                "a client that sends a line and resets (RST) is logged; the server serves the next one",
                |c| s::server_survives_reset_after_line(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_survives_reset_before_sending"),
                $step,
                points(2),
                "a client that resets right after connecting is logged; the server serves the next one",
                |c| s::server_survives_reset_before_sending(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_survives_client_that_closes_early"),
                $step,
                points(1),
                "a client that sends 16384 lines and closes after one byte of echo (FIN, then RST): the server lives on and serves the next",
                |c| s::server_survives_client_that_closes_early(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_survives_client_that_never_reads"),
                $step,
                points(2),
                "a client that sends 4 MiB, never reads the echoes, then resets: logged, next client served",
                |c| s::server_survives_client_that_never_reads(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_survives_killed_client_process"),
                $step,
                points(2),
                "a client process killed with SIGKILL mid-stream: logged, next client served",
                |c| s::server_survives_killed_client_process(c, $bin),
            ),
            Check::process(
                concat!($prefix, "server_survives_all_in_sequence"),
                $step,
                points(1),
                "one server outlives all five bad clients in a row, serving a client after each, without leaking fds",
                |c| s::server_survives_all_in_sequence(c, $bin),
            ),
        ]
    }};
}
// Used by lab 5 (an optional lab, behind the `lab5` feature).
#[cfg_attr(not(feature = "lab5"), allow(unused_imports))]
pub(crate) use server_checks;

/// Lab 3's own points for its server checks.
fn same(points: u32) -> u32 {
    points
}

/// The checks of lab 3, in handout order.
pub fn checks() -> Vec<Check> {
    use steps::{LAB3_ACCEPT as ACCEPT, LAB3_ECHO as ECHO, LAB3_SURVIVE as SURVIVE};
    let mut all = vec![
        // Step 1: echo.
        Check::library(
            "echo_every_split",
            ECHO,
            2,
            "echo writes back exactly what it read, however the reads are split, and returns the byte count",
            |c| echo_every_split(c, crate_echo),
        ),
        Check::library(
            "echo_binary_bytes",
            ECHO,
            1,
            "echo is binary-safe: all 256 byte values, NUL, 0xFF and CRLF come back untouched",
            |c| echo_binary_bytes(c, crate_echo),
        ),
        Check::library(
            "echo_long_lines",
            ECHO,
            1,
            "lines longer than RIO_BUFSIZE (8193 bytes, 100 KiB) are echoed whole, in pieces",
            |c| echo_long_lines(c, crate_echo),
        ),
        Check::library(
            "echo_last_line_without_newline",
            ECHO,
            1,
            "a last line without newline is echoed at EOF; an empty stream echoes nothing and returns 0",
            |c| echo_last_line_without_newline(c, crate_echo),
        ),
        Check::library(
            "echo_short_writes",
            ECHO,
            1,
            "echo writes every byte when the writer accepts only 1, 3, ... bytes per call",
            |c| echo_short_writes(c, crate_echo),
        ),
        Check::library(
            "echo_interrupted",
            ECHO,
            1,
            "echo retries Interrupted on reads and on writes",
            |c| echo_interrupted(c, crate_echo),
        ),
    ];
    // Step 2: the accept loop.
    all.extend(server_checks!(
        accept,
        "",
        "echoserver",
        Binary::EchoServer,
        ACCEPT,
        same
    ));
    all.extend([
        Check::process(
            "server_usage_wrong_arg_count",
            ACCEPT,
            1,
            "`echoserver` and `echoserver 1 2` print one usage line and exit 2",
            |c| server::server_usage_wrong_arg_count(c, Binary::EchoServer),
        ),
        Check::process(
            "server_usage_bad_port",
            ACCEPT,
            1,
            "`echoserver abc`, `99999`, `-1`, `65536` print one usage line and exit 2",
            |c| server::server_usage_bad_port(c, Binary::EchoServer),
        ),
    ]);
    all.extend(server_checks!(
        listen,
        "",
        "echoserver",
        Binary::EchoServer,
        ACCEPT,
        same
    ));
    // Step 3: surviving bad clients.
    all.extend([
        Check::library(
            "echo_write_error_returned",
            SURVIVE,
            1,
            "a write error (BrokenPipe, ConnectionReset, Ok(0)) ends echo with Err, no panic",
            |c| echo_write_error_returned(c, crate_echo),
        ),
        Check::library(
            "echo_read_error_returned",
            SURVIVE,
            1,
            "a read error (ConnectionReset) ends echo with Err of that kind, after echoing what came before",
            |c| echo_read_error_returned(c, crate_echo),
        ),
    ]);
    all.extend(server_checks!(
        survive,
        "",
        "echoserver",
        Binary::EchoServer,
        SURVIVE,
        same
    ));
    all
}
