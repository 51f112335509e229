//! Lab 4 step 4: a server that goes away, by closing or by a reset.

use super::*;

/// The fake echoes line 1, then sends FIN and reads on: the client's next
/// read of the echo returns 0. It must report and exit, not read again.
pub(super) fn server_closes_after_first_line(ctx: &mut Ctx) -> CheckResult {
    let server = FakeServer::start(ctx, V4, Script::CloseAfterFirstLine)?;
    let port = server.port().to_string();
    let hint = "a read that returns 0 means the server closed: report it in one line and exit 1";
    let run = run_client(
        ctx,
        &["127.0.0.1", &port],
        b"first\nsecond\nthird\n",
        Some((&server, hint)),
        "after the server closed",
    )?;
    expect_server_gone(ctx, &run)?;
    expect_stdout(ctx, &run, b"first\n", &server.seen(), "")
}

/// The fake reads line 1 and resets: the client's read fails with
/// `ECONNRESET`. Nothing was echoed, so nothing may be printed.
pub(super) fn server_resets(ctx: &mut Ctx) -> CheckResult {
    let server = FakeServer::start(ctx, V4, Script::ResetAfterFirstLine)?;
    let port = server.port().to_string();
    let hint = "a read that fails (connection reset) ends the client: one stderr line, exit 1";
    let run = run_client(
        ctx,
        &["127.0.0.1", &port],
        b"first\nsecond\n",
        Some((&server, hint)),
        "after the server reset the connection",
    )?;
    expect_server_gone(ctx, &run)?;
    expect_stdout(ctx, &run, b"", &server.seen(), "")
}

pub(super) fn expect_server_gone(ctx: &mut Ctx, run: &Run) -> CheckResult {
    expect_no_panic(ctx, run)?;
    expect_failure_exit(ctx, run)?;
    expect_one_stderr_line(ctx, run, &[])
}
