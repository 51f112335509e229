//! The process checks every server lab shares: lab 3's accept loop and
//! bad clients, run against `echoserver`, and again against lab 5's
//! `echoservert` and `echoservers`, which keep lab 3's command-line contract.
//!
//! Why a module of its own: a check here belongs to no single lab. Each lab
//! registers the groups it wants ([`register`]), for its binary, under its
//! own step, and says there what each check is worth there: lab 3 gives
//! each its own points ([`Points::Lab3`]), lab 5 one point each. Each lab's
//! total is stated in the table of labs and a unit test holds every lab to
//! it, so adding a check here is never a silent change of another lab's
//! points.
//!
//! The checks take the [`Binary`] to run; every one starts its own server,
//! waits on events with deadlines, and its failure says what the server was
//! doing.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use crate::bins::Binary;
use crate::check::{Check, CheckResult, Ctx};
use crate::steps::Step;

pub(crate) mod accept;
pub(crate) mod survive;

/// One shared check.
pub struct Shared {
    /// Its name in lab 3 (`server_echoes_v4`); another lab prefixes it.
    pub name: &'static str,
    /// What it is worth in lab 3.
    pub lab3_points: u32,
    /// What it checks; `{bin}` is the binary's name.
    pub about: &'static str,
    /// Does it need `::1`?
    pub needs_ipv6: bool,
    /// The check, against a binary.
    pub run: fn(&mut Ctx, Binary) -> CheckResult,
}

/// What the checks of a group are worth in the lab that registers them.
#[derive(Clone, Copy, Debug)]
pub enum Points {
    /// Each its lab 3 points.
    Lab3,
    /// Each the same.
    Each(u32),
}

/// The accept-loop (lab 3 step 2) checks.
pub const ACCEPT: &[Shared] = &[
    Shared {
        name: "server_echoes_v4",
        lab3_points: 1,
        about: "{bin} 0 says its real port and echoes a line to a client on 127.0.0.1",
        needs_ipv6: false,
        run: accept::server_echoes_v4,
    },
    Shared {
        name: "server_echoes_v6",
        lab3_points: 1,
        about: "the same server echoes a line to a client on ::1 (one dual-stack listener)",
        needs_ipv6: true,
        run: accept::server_echoes_v6,
    },
    Shared {
        name: "server_prints_connected_to",
        lab3_points: 1,
        about: "`Connected to (HOST, PORT)` appears on stdout for each client, as it is accepted: HOST canonical (127.0.0.1, ::1), PORT the client's",
        needs_ipv6: false,
        run: accept::server_prints_connected_to,
    },
    Shared {
        name: "server_many_lines",
        lab3_points: 1,
        about: "1000 lines sent in one write all come back, in order",
        needs_ipv6: false,
        run: accept::server_many_lines,
    },
    Shared {
        name: "server_binary_bytes",
        lab3_points: 1,
        about: "NUL, 0xFF, CRLF and all other byte values come back untouched over TCP",
        needs_ipv6: false,
        run: accept::server_binary_bytes,
    },
    Shared {
        name: "server_line_longer_than_buffer",
        lab3_points: 1,
        about: "lines of 8193 and 3 x 8192 + 1 bytes come back exactly",
        needs_ipv6: false,
        run: accept::server_line_longer_than_buffer,
    },
    Shared {
        name: "server_echoes_8k_pieces_of_a_long_line",
        lab3_points: 1,
        about: "a long line sent in 8192-byte pieces, each echoed before the next is sent (as echoclient does)",
        needs_ipv6: false,
        run: accept::server_echoes_8k_pieces_of_a_long_line,
    },
    Shared {
        name: "server_1mib_line",
        lab3_points: 1,
        about: "a 1 MiB line comes back exactly while it is still being sent",
        needs_ipv6: false,
        run: accept::server_1mib_line,
    },
    Shared {
        name: "server_dribble",
        lab3_points: 1,
        about: "lines sent one byte per segment (TCP_NODELAY) come back whole",
        needs_ipv6: false,
        run: accept::server_dribble,
    },
    Shared {
        name: "server_half_close_partial_line",
        lab3_points: 1,
        about: "after shutdown(Write) the last line without newline comes back, then EOF",
        needs_ipv6: false,
        run: accept::server_half_close_partial_line,
    },
    Shared {
        name: "server_serves_clients_in_sequence",
        lab3_points: 1,
        about: "one client after the other is served; a waiting client is served once the first closes",
        needs_ipv6: false,
        run: accept::server_serves_clients_in_sequence,
    },
    Shared {
        name: "server_keeps_running_without_stdin",
        lab3_points: 1,
        about: "closing the server's stdin does not stop it",
        needs_ipv6: false,
        run: accept::server_keeps_running_without_stdin,
    },
    Shared {
        name: "server_1000_clients_no_fd_leak",
        lab3_points: 2,
        about: "1000 sequential connect/echo/close are served and the server's fd count does not grow",
        needs_ipv6: false,
        run: accept::server_1000_clients_no_fd_leak,
    },
];

/// The port-taken check (lab 3 step 2): lab 5's servers keep lab 3's
/// command line, so it holds for them too.
pub const LISTEN: &[Shared] = &[Shared {
    name: "server_port_taken",
    lab3_points: 1,
    about: "a port already in use gives one line on stderr and exit 1, no panic",
    needs_ipv6: false,
    run: accept::server_port_taken,
}];

/// The bad-client (lab 3 step 3) checks.
pub const SURVIVE: &[Shared] = &[
    Shared {
        name: "server_survives_reset_after_line",
        lab3_points: 2,
        about: "a client that sends a line and resets (RST) is logged; the server serves the next one",
        needs_ipv6: false,
        run: survive::server_survives_reset_after_line,
    },
    Shared {
        name: "server_survives_reset_before_sending",
        lab3_points: 2,
        about: "a client that resets right after connecting is logged; the server serves the next one",
        needs_ipv6: false,
        run: survive::server_survives_reset_before_sending,
    },
    Shared {
        name: "server_survives_client_that_closes_early",
        lab3_points: 1,
        about: "a client that sends 16384 lines and closes after one byte of echo (FIN, then RST): the server lives on and serves the next",
        needs_ipv6: false,
        run: survive::server_survives_client_that_closes_early,
    },
    Shared {
        name: "server_survives_client_that_never_reads",
        lab3_points: 2,
        about: "a client that sends 4 MiB, never reads the echoes, then resets: logged, next client served",
        needs_ipv6: false,
        run: survive::server_survives_client_that_never_reads,
    },
    Shared {
        name: "server_survives_killed_client_process",
        lab3_points: 2,
        about: "a client process killed with SIGKILL mid-stream: logged, next client served",
        needs_ipv6: false,
        run: survive::server_survives_killed_client_process,
    },
    Shared {
        name: "server_survives_all_in_sequence",
        lab3_points: 1,
        about: "one server outlives all five bad clients in a row, serving a client after each, without leaking fds",
        needs_ipv6: false,
        run: survive::server_survives_all_in_sequence,
    },
];

/// The checks of `group` for `binary`, named `prefix` + their lab 3 name,
/// counted under `step`, worth `points`.
pub fn register(
    group: &[Shared],
    binary: Binary,
    prefix: &str,
    step: Step,
    points: Points,
) -> Vec<Check> {
    group
        .iter()
        .map(|s| {
            let check = Check::on_binary(
                intern(format!("{prefix}{}", s.name)),
                step,
                match points {
                    Points::Lab3 => s.lab3_points,
                    Points::Each(n) => n,
                },
                intern(s.about.replace("{bin}", binary.name())),
                s.run,
                binary,
            );
            if s.needs_ipv6 {
                check.needs_ipv6()
            } else {
                check
            }
        })
        .collect()
}

/// A `'static` copy of `text`, made once however often it is asked for
/// (check names and descriptions are `'static`, and the list of checks is
/// built more than once per process).
fn intern(text: String) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(s) = seen.get(text.as_str()) {
        return s;
    }
    let leaked: &'static str = Box::leak(text.into_boxed_str());
    seen.insert(leaked);
    leaked
}
