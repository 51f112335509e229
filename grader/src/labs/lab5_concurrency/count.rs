//! Step 2: the bytes echoed to all clients, counted by every thread into
//! one shared total (the textbook's `echo_cnt`).
//!
//! `echoservert` says, as each client leaves, `Closed (HOST, PORT): N bytes
//! echoed, T in all`. Twenty clients at once send known amounts; each `N`
//! must be what that client sent, and the largest `T` what all of them
//! sent together. A counter that is not shared (each thread its own copy,
//! which `move` makes all too easy) gives `T == N`.

use std::collections::HashMap;
use std::net::TcpStream;

use crate::bins::Binary;
use crate::check::{CheckResult, Ctx, Failure};
use crate::labs::servers::accept::with_server;
use crate::peers::{EchoServer, PATIENCE, V4};

use super::support::{Gate, connect, echo_exactly, expect_all_served, expect_lines, run_clients};

/// Clients of the check.
const CLIENTS: usize = 20;

/// What client `i` sends: `i + 1` lines of `i + 10` bytes.
fn payload(i: usize) -> Vec<u8> {
    let line = [vec![b'a' + (i % 26) as u8; i + 9], vec![b'\n']].concat();
    line.repeat(i + 1)
}

/// `Closed (127.0.0.1, 5000): 12 bytes echoed, 345 in all` → (5000, 12, 345).
fn parse_closed(line: &str) -> Option<(u16, u64, u64)> {
    let rest = line.strip_prefix("Closed (")?;
    let (peer, rest) = rest.split_once("): ")?;
    let port = peer.rsplit_once(", ")?.1.parse().ok()?;
    let (n, rest) = rest.split_once(" bytes echoed, ")?;
    let total = rest.strip_suffix(" in all")?;
    Some((port, n.parse().ok()?, total.parse().ok()?))
}

pub(super) fn counts_bytes_across_clients(ctx: &mut Ctx, bin: Binary) -> CheckResult {
    let mut server = EchoServer::start_bin(ctx, bin)?;
    let addr = server.addr(V4);
    let sizes: Vec<u64> = (0..CLIENTS).map(|i| payload(i).len() as u64).collect();
    let sum: u64 = sizes.iter().sum();
    ctx.step(format!(
        "{CLIENTS} clients at once, each on a thread: client i sends i + 1 lines of i + 10 \
         bytes, reads them back and closes ({sum} bytes in all)"
    ));
    let gate = Gate::new(CLIENTS);
    let budget = ctx.budget(PATIENCE);
    let gate_wait = ctx.budget(PATIENCE + std::time::Duration::from_secs(2));
    let ports: Vec<std::sync::Mutex<u16>> = (0..CLIENTS).map(|_| Default::default()).collect();
    let failed = run_clients(CLIENTS, &[&gate], |i| {
        let mut c: TcpStream = connect(addr, budget)?;
        let port = c.local_addr().map_err(|e| e.to_string())?.port();
        *ports[i].lock().unwrap_or_else(|e| e.into_inner()) = port;
        gate.pass(gate_wait)?;
        echo_exactly(&mut c, &payload(i), budget)
    });
    expect_all_served(
        ctx,
        &mut server,
        CLIENTS,
        &failed,
        "did every client get its echo?",
    )?;
    let by_port: HashMap<u16, u64> = ports
        .iter()
        .zip(&sizes)
        .map(|(p, &n)| (*p.lock().unwrap_or_else(|e| e.into_inner()), n))
        .collect();
    ctx.step("wait for a line `Closed (HOST, PORT): N bytes echoed, T in all` per client");
    let lines = expect_lines(ctx, &mut server, "Closed (", CLIENTS).map_err(|f| {
        f.note(
            "when a client leaves, print `Closed (HOST, PORT): N bytes echoed, T in all` on stdout",
        )
    })?;
    let mut largest = 0;
    for line in &lines {
        let Some((port, n, total)) = parse_closed(line) else {
            ctx.step(format!("read `{line}`"));
            return Err(Failure::new(
                "`Closed (HOST, PORT): N bytes echoed, T in all`",
                format!("`{line}`"),
            ));
        };
        let Some(&want) = by_port.get(&port) else {
            ctx.step(format!("read `{line}`"));
            return Err(Failure::new(
                "the port of one of our clients",
                format!("port {port}: none of ours"),
            ));
        };
        if n != want {
            ctx.step(format!("read `{line}`"));
            return Err(Failure::new(
                format!("{want} bytes echoed to the client on port {port}"),
                format!("{n}"),
            ));
        }
        largest = largest.max(total);
    }
    ctx.step("every client's own count is right  ok");
    ctx.expect(
        format!("the largest total reported: {largest}"),
        largest == sum,
        format!("{sum}: every byte echoed to every client, counted once"),
        format!("{largest}"),
    )
    .map_err(|f| {
        let f = if largest == *sizes.iter().max().unwrap_or(&0) || largest < sum {
            f.note(
                "is the counter shared? Each thread needs a handle on the same counter \
                 (Arc<AtomicU64>, cloned for each thread), not a copy of its own",
            )
        } else {
            f.note("bytes counted twice?")
        };
        with_server(f, &mut server)
    })?;
    server.expect_alive(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_lines_parse() {
        assert_eq!(
            parse_closed("Closed (127.0.0.1, 5000): 12 bytes echoed, 345 in all"),
            Some((5000, 12, 345))
        );
        assert_eq!(
            parse_closed("Closed (::1, 41236): 0 bytes echoed, 0 in all"),
            Some((41236, 0, 0))
        );
        assert_eq!(parse_closed("Connected to (::1, 41236)"), None);
    }
}
