//! Lab 4 step 1: the arguments, and connecting (or saying why not).

use super::*;

/// Wrong argument counts. With 3 arguments the port is one where nothing
/// listens, so a client that ignores the extra argument fails to connect
/// (exit 1) instead of hanging.
pub(super) fn args_wrong_count(ctx: &mut Ctx) -> CheckResult {
    let port = fakes::closed_port(V4)?.to_string();
    let cases: [&[&str]; 3] = [&[], &["127.0.0.1"], &["127.0.0.1", &port, "extra"]];
    for args in cases {
        let run = run_client(ctx, args, b"", None, "after a usage error")?;
        expect_usage_error(ctx, &run)?;
    }
    Ok(())
}

/// Bad ports. `99999` and `-1` are decided here: a client that parses a
/// wider integer and casts it with `as u16` connects to another port.
pub(super) fn args_bad_port(ctx: &mut Ctx) -> CheckResult {
    for port in ["abc", "99999", "-1"] {
        let run = run_client(ctx, &["127.0.0.1", port], b"", None, "after a usage error")?;
        expect_usage_error(ctx, &run)?;
    }
    Ok(())
}

/// A port we bound and closed: connect is refused. Stdin holds a line, so
/// a client that connects only after reading stdin still tries.
pub(super) fn connect_refused(ctx: &mut Ctx) -> CheckResult {
    let port = fakes::closed_port(V4)?.to_string();
    ctx.step(format!("nothing listens on 127.0.0.1 port {port}"));
    expect_cannot_connect(ctx, &["127.0.0.1", &port], "when the connection is refused")
}

/// `.invalid` never resolves (RFC 6761): getaddrinfo fails at once.
pub(super) fn connect_unknown_host(ctx: &mut Ctx) -> CheckResult {
    expect_cannot_connect(
        ctx,
        &["no-such-host.invalid", "8007"],
        "when the host is unknown",
    )
}

/// Runs the client on `[host, port]` with a line on stdin, where it cannot
/// connect (`when`): exit 1 and one stderr line naming host and port, no
/// panic.
fn expect_cannot_connect(ctx: &mut Ctx, host_port: &[&str], when: &str) -> CheckResult {
    let run = run_client(ctx, host_port, b"hello\n", None, when)?;
    expect_no_panic(ctx, &run)?;
    expect_exit_code(ctx, &run, 1)?;
    expect_one_stderr_line(ctx, &run, host_port)
}
