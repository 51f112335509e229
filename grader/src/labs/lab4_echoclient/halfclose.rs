//! Lab 4 step 3: the last line and the half-close that brings its echo back.

use super::*;

/// After a last line without `\n`, a line-echoing server waits for the rest
/// of the line, or EOF: only `shutdown(Write)` gets the echo back. Two
/// cases: after a full line, and stdin that is one partial line.
pub(super) fn halfclose_last_line_without_newline(ctx: &mut Ctx) -> CheckResult {
    let hint = "the server echoes a line without newline only at EOF: after sending it, \
                shutdown(Write) the socket, then read the echo";
    echo_session(
        ctx,
        V4,
        "127.0.0.1",
        Script::Lines,
        b"first line\nlast line, no newline",
        hint,
    )?;
    echo_session(
        ctx,
        V4,
        "127.0.0.1",
        Script::Lines,
        b"only\x00one partial line",
        hint,
    )
}
