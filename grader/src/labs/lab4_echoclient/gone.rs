//! Lab 4 step 4: a server that goes away, by closing or by a reset.

use super::*;

/// The fake echoes line 1, then sends FIN and reads on: the client's next
/// read of the echo returns 0. It must report and exit, not read again.
pub(super) fn server_closes_after_first_line(ctx: &mut Ctx) -> CheckResult {
    server_goes_away(
        ctx,
        Script::CloseAfterFirstLine,
        b"first\nsecond\nthird\n",
        "a read that returns 0 means the server closed: report it in one line and exit 1",
        "after the server closed",
        b"first\n",
    )
}

/// The fake reads line 1 and resets: the client's read fails with
/// `ECONNRESET`. Nothing was echoed, so nothing may be printed.
pub(super) fn server_resets(ctx: &mut Ctx) -> CheckResult {
    server_goes_away(
        ctx,
        Script::ResetAfterFirstLine,
        b"first\nsecond\n",
        "a read that fails (connection reset) ends the client: one stderr line, exit 1",
        "after the server reset the connection",
        b"",
    )
}

/// Runs the client with `stdin` against a fake on 127.0.0.1 that goes away
/// as `script` says (`hint` says what to do about it, `when` when the
/// client is still running): it must exit 1 with one stderr line, no
/// panic, having printed `echoed`.
fn server_goes_away(
    ctx: &mut Ctx,
    script: Script,
    stdin: &[u8],
    hint: &str,
    when: &str,
    echoed: &[u8],
) -> CheckResult {
    let server = FakeServer::start(ctx, V4, script)?;
    let port = server.port().to_string();
    let run = run_client(
        ctx,
        &["127.0.0.1", &port],
        stdin,
        Some((&server, hint)),
        when,
    )?;
    expect_server_gone(ctx, &run)?;
    expect_stdout(ctx, &run, echoed, &server.seen(), "")
}

pub(super) fn expect_server_gone(ctx: &mut Ctx, run: &Run) -> CheckResult {
    expect_no_panic(ctx, run)?;
    expect_failure_exit(ctx, run)?;
    expect_one_stderr_line(ctx, run, &[])
}
