//! Lab 4 step 2: the echo loop, on pipes and on a real terminal.

use super::*;

pub(super) fn echo_lines_exact(ctx: &mut Ctx) -> CheckResult {
    let stdin = b"hello\nworld, again\na third line with some more words in it\n";
    echo_session(ctx, V4, "127.0.0.1", Script::Lines, stdin, "")
}

/// Empty stdin still connects first (`open_clientfd`, then the loop): the
/// server must see the client connect and close without sending a byte.
pub(super) fn echo_empty_stdin(ctx: &mut Ctx) -> CheckResult {
    echo_session(ctx, V4, "127.0.0.1", Script::Lines, b"", "")
}

/// Bytes, not text: `read_line` into a `String` fails on 0xFF, `lines()`
/// drops `\r`, `println!` adds a newline, lossy UTF-8 changes bytes.
pub(super) fn echo_binary_bytes(ctx: &mut Ctx) -> CheckResult {
    let stdin = b"nul \x00 in the middle\n\xff\xfe not UTF-8 \x80\n\r\ncrlf line\r\n\n\ntab\tesc\x1b bell\x07\n";
    let hint =
        "lines are bytes, not text: use Rio::readlineb on a byte buffer and write it unchanged";
    echo_session(ctx, V4, "127.0.0.1", Script::Lines, stdin, hint)
}

/// `::1` needs an IPv6 socket; `localhost` needs name resolution (and,
/// where it resolves to `::1` first, trying the next address: the fake
/// listens on 127.0.0.1 only).
/// Connecting is step 1's, but what is checked is an echo over each
/// address: it needs step 2's loop, so it is step 2's check.
pub(super) fn echo_ipv6_and_localhost(ctx: &mut Ctx) -> CheckResult {
    echo_session(ctx, V6, "::1", Script::Lines, b"hello over ::1\n", "")?;
    echo_session(
        ctx,
        V4,
        "localhost",
        Script::Lines,
        b"hello, localhost\n",
        "",
    )
}

/// The server echoes every byte as it comes, so the client may cut the
/// line in pieces of any size (and read each piece's echo) or send it
/// whole: what is checked is that every byte goes out and comes back.
pub(super) fn echo_long_line_100k(ctx: &mut Ctx) -> CheckResult {
    let mut stdin = b"short line first\n".to_vec();
    stdin.extend((0..100 * 1024).map(|i| b'a' + (i % 26) as u8));
    stdin.extend_from_slice(b"\nand a short line after\n");
    let hint = "a line longer than the buffer comes back in pieces: keep reading until the whole echo is printed";
    echo_session(ctx, V4, "127.0.0.1", Script::Stream, &stdin, hint)
}

/// One `read` returns whatever has arrived: here 1 to 3 bytes. A client
/// must read until the line is complete (readlineb does).
pub(super) fn echo_tiny_pieces(ctx: &mut Ctx) -> CheckResult {
    let stdin =
        b"the server dribbles this line back\nand this one\nx\nlast of the dribbled lines\n";
    let hint = "one read() returns what has arrived so far, maybe 1 byte: read the echo through a Rio (readnb for exactly the bytes sent, or readlineb until the newline) until the whole line is back";
    echo_session(
        ctx,
        V4,
        "127.0.0.1",
        Script::Dribble { seed: 4 },
        stdin,
        hint,
    )
}

/// On a terminal, stdin gives one line per read and the user waits for the
/// echo before typing on. The fake server echoes at once, so if the echo
/// does not show, the server's record tells whether the client never sent
/// the line (it reads ahead) or never printed/flushed the echo.
pub(super) fn echo_interactive_pty(ctx: &mut Ctx) -> CheckResult {
    let server = FakeServer::start(ctx, V4, Script::Lines)?;
    let path = Binary::EchoClient.path()?;
    let port = server.port().to_string();
    ctx.step(format!(
        "run `echoclient 127.0.0.1 {port}` on a terminal, as from a shell"
    ));
    let mut cmd = Command::new(&path);
    cmd.args(["127.0.0.1", &port]);
    let mut term = Terminal::spawn("echoclient", cmd)?;
    let mut typed = Vec::new();
    for line in ["hello, terminal", "a second line", "and a third"] {
        ctx.step(format!("type {line:?} and Enter"));
        term.type_text(format!("{line}\n").as_bytes())?;
        typed.extend_from_slice(format!("{line}\n").as_bytes());
        // The terminal shows the program's `\n` as `\r\n`.
        let shown = format!("{line}\r\n");
        match term.expect_output(shown.as_bytes(), ctx.budget(PATIENCE)) {
            Ok(()) => ctx.step(format!(
                "the terminal shows the echo {line:?} before anything more is typed  ok"
            )),
            Err(f) => {
                ctx.step(format!("wait for the echo {line:?} on the terminal"));
                return Err(explain_missing_echo(f, &server, line));
            }
        }
    }
    ctx.step("type Ctrl-D (end of input)");
    term.type_eof()?;
    let Some(status) = term.wait_exit(ctx.budget(PATIENCE)) else {
        ctx.step("wait for echoclient to exit");
        return Err(Failure::new(
            "echoclient to exit (status 0) after Ctrl-D",
            format!("{}; {}", term.describe(), server.seen().describe()),
        )
        .note("Ctrl-D makes the next read of stdin return 0: that is the end of the input"));
    };
    let ok = matches!(status, WaitStatus::Exited(_, 0));
    ctx.expect(
        format!("echoclient exits: {}", terminal::describe_wait(status)),
        ok,
        "exit status 0 at the end of the input",
        term.describe(),
    )?;
    let seen = server.finish(ctx.budget(PATIENCE))?;
    expect_server_received(ctx, &seen, &typed)?;
    expect_server_saw_eof(ctx, &seen)
}

/// Why the echo of `line` did not show on the terminal, from what the
/// fake server saw.
pub(super) fn explain_missing_echo(f: Failure, server: &FakeServer, line: &str) -> Failure {
    let seen = server.seen();
    let hint = if !seen.accepted {
        "echoclient never connected to the server".to_string()
    } else if !contains(&seen.received, line.as_bytes()) {
        "the server never received the typed line: send each line as soon as it is read \
         (don't read all of stdin, or a full buffer, before sending)"
            .to_string()
    } else if contains(&seen.echoed, line.as_bytes()) {
        "the server echoed the line at once, but echoclient did not show it: write each echo \
         to stdout and flush stdout before reading the next line"
            .to_string()
    } else {
        "the server received the line but could not echo it".to_string()
    };
    f.note(seen.describe()).note(hint)
}

pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
