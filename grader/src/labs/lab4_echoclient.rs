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

use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::thread;

use rexpect::process::WaitStatus;

use crate::bins::Binary;
use crate::check::{Check, CheckResult, Ctx, Failure, bytes_failure, show_bytes};
use crate::fakes::{self, FakeServer, Script, Seen, Terminal};
use crate::peers::{PATIENCE, V4, V6};
use crate::process::{Proc, describe_status, text_tail};
use crate::steps;

/// The checks of lab 4, in handout order.
pub fn checks() -> Vec<Check> {
    vec![
        Check::process(
            "args_wrong_count",
            steps::LAB4_CONNECT,
            1,
            "0, 1 or 3 arguments: one usage line on stderr, exit 2, no panic",
            args_wrong_count,
        ),
        Check::process(
            "args_bad_port",
            steps::LAB4_CONNECT,
            1,
            "ports `abc`, `99999`, `-1`: one usage line on stderr, exit 2, no panic",
            args_bad_port,
        ),
        Check::process(
            "connect_refused",
            steps::LAB4_CONNECT,
            1,
            "nothing listening: one stderr line naming host and port, exit 1, no panic",
            connect_refused,
        ),
        Check::process(
            "connect_unknown_host",
            steps::LAB4_CONNECT,
            1,
            "host `no-such-host.invalid`: one stderr line naming host and port, exit 1, no panic",
            connect_unknown_host,
        ),
        Check::process(
            "echo_lines_exact",
            steps::LAB4_LOOP,
            2,
            "each stdin line goes to the server and its echo to stdout, byte for byte; EOF exits 0",
            echo_lines_exact,
        ),
        Check::process(
            "echo_empty_stdin",
            steps::LAB4_LOOP,
            1,
            "an empty stdin: connect, send nothing, print nothing, close, exit 0",
            echo_empty_stdin,
        ),
        Check::process(
            "echo_binary_bytes",
            steps::LAB4_LOOP,
            1,
            "NUL, 0xFF, \\r\\n and empty lines pass both ways untouched",
            echo_binary_bytes,
        ),
        Check::process(
            "echo_ipv6_and_localhost",
            steps::LAB4_LOOP,
            1,
            "hosts `::1` and `localhost` connect and echo",
            echo_ipv6_and_localhost,
        )
        .needs_ipv6(),
        Check::process(
            "echo_long_line_100k",
            steps::LAB4_LOOP,
            2,
            "a 100 KiB line is sent and its whole echo printed",
            echo_long_line_100k,
        ),
        Check::process(
            "echo_tiny_pieces",
            steps::LAB4_LOOP,
            2,
            "a server echoing in pieces of 1-3 bytes: the client reads until the whole line is back",
            echo_tiny_pieces,
        ),
        Check::process(
            "echo_interactive_pty",
            steps::LAB4_LOOP,
            2,
            "on a terminal, each echo shows before the next line is typed; Ctrl-D exits 0",
            echo_interactive_pty,
        ),
        Check::process(
            "halfclose_last_line_without_newline",
            steps::LAB4_HALFCLOSE,
            2,
            "a last line without newline: shutdown(Write), then its echo is printed, exit 0",
            halfclose_last_line_without_newline,
        ),
        Check::process(
            "server_closes_after_first_line",
            steps::LAB4_SERVERGONE,
            2,
            "the server closes after one line: exit non-zero with one stderr line, promptly, no panic",
            server_closes_after_first_line,
        ),
        Check::process(
            "server_resets",
            steps::LAB4_SERVERGONE,
            1,
            "the server resets the connection: exit non-zero with one stderr line, promptly, no panic",
            server_resets,
        ),
    ]
}

// ---------------------------------------------------------------------------
// Step 1: arguments and connecting.

/// Wrong argument counts. With 3 arguments the port is one where nothing
/// listens, so a client that ignores the extra argument fails to connect
/// (exit 1) instead of hanging.
fn args_wrong_count(ctx: &mut Ctx) -> CheckResult {
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
fn args_bad_port(ctx: &mut Ctx) -> CheckResult {
    for port in ["abc", "99999", "-1"] {
        let run = run_client(ctx, &["127.0.0.1", port], b"", None, "after a usage error")?;
        expect_usage_error(ctx, &run)?;
    }
    Ok(())
}

/// A port we bound and closed: connect is refused. Stdin holds a line, so
/// a client that connects only after reading stdin still tries.
fn connect_refused(ctx: &mut Ctx) -> CheckResult {
    let port = fakes::closed_port(V4)?.to_string();
    ctx.step(format!("nothing listens on 127.0.0.1 port {port}"));
    let run = run_client(
        ctx,
        &["127.0.0.1", &port],
        b"hello\n",
        None,
        "when the connection is refused",
    )?;
    expect_no_panic(ctx, &run)?;
    expect_exit_code(ctx, &run, 1)?;
    expect_one_stderr_line(ctx, &run, &["127.0.0.1", &port])
}

/// `.invalid` never resolves (RFC 6761): getaddrinfo fails at once.
fn connect_unknown_host(ctx: &mut Ctx) -> CheckResult {
    let (host, port) = ("no-such-host.invalid", "8007");
    let run = run_client(
        ctx,
        &[host, port],
        b"hello\n",
        None,
        "when the host is unknown",
    )?;
    expect_no_panic(ctx, &run)?;
    expect_exit_code(ctx, &run, 1)?;
    expect_one_stderr_line(ctx, &run, &[host, port])
}

/// `::1` needs an IPv6 socket; `localhost` needs name resolution (and,
/// where it resolves to `::1` first, trying the next address: the fake
/// listens on 127.0.0.1 only).
/// Connecting is step 1's, but what is checked is an echo over each
/// address: it needs step 2's loop, so it is step 2's check.
fn echo_ipv6_and_localhost(ctx: &mut Ctx) -> CheckResult {
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

// ---------------------------------------------------------------------------
// Step 2: the echo loop.

fn echo_lines_exact(ctx: &mut Ctx) -> CheckResult {
    let stdin = b"hello\nworld, again\na third line with some more words in it\n";
    echo_session(ctx, V4, "127.0.0.1", Script::Lines, stdin, "")
}

/// Empty stdin still connects first (`open_clientfd`, then the loop): the
/// server must see the client connect and close without sending a byte.
fn echo_empty_stdin(ctx: &mut Ctx) -> CheckResult {
    echo_session(ctx, V4, "127.0.0.1", Script::Lines, b"", "")
}

/// Bytes, not text: `read_line` into a `String` fails on 0xFF, `lines()`
/// drops `\r`, `println!` adds a newline, lossy UTF-8 changes bytes.
fn echo_binary_bytes(ctx: &mut Ctx) -> CheckResult {
    let stdin = b"nul \x00 in the middle\n\xff\xfe not UTF-8 \x80\n\r\ncrlf line\r\n\n\ntab\tesc\x1b bell\x07\n";
    let hint =
        "lines are bytes, not text: use Rio::readlineb on a byte buffer and write it unchanged";
    echo_session(ctx, V4, "127.0.0.1", Script::Lines, stdin, hint)
}

/// The server echoes every byte as it comes, so the client may cut the
/// line in pieces of any size (and read each piece's echo) or send it
/// whole: what is checked is that every byte goes out and comes back.
fn echo_long_line_100k(ctx: &mut Ctx) -> CheckResult {
    let mut stdin = b"short line first\n".to_vec();
    stdin.extend((0..100 * 1024).map(|i| b'a' + (i % 26) as u8));
    stdin.extend_from_slice(b"\nand a short line after\n");
    let hint = "a line longer than the buffer comes back in pieces: keep reading until the whole echo is printed";
    echo_session(ctx, V4, "127.0.0.1", Script::Stream, &stdin, hint)
}

/// One `read` returns whatever has arrived: here 1 to 3 bytes. A client
/// must read until the line is complete (readlineb does).
fn echo_tiny_pieces(ctx: &mut Ctx) -> CheckResult {
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
fn echo_interactive_pty(ctx: &mut Ctx) -> CheckResult {
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
        format!("echoclient exits: {}", fakes::describe_wait(status)),
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
fn explain_missing_echo(f: Failure, server: &FakeServer, line: &str) -> Failure {
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------
// Step 3: the last line and half-close.

/// After a last line without `\n`, a line-echoing server waits for the rest
/// of the line, or EOF: only `shutdown(Write)` gets the echo back. Two
/// cases: after a full line, and stdin that is one partial line.
fn halfclose_last_line_without_newline(ctx: &mut Ctx) -> CheckResult {
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

// ---------------------------------------------------------------------------
// Step 4: when the server goes away.

/// The fake echoes line 1, then sends FIN and reads on: the client's next
/// read of the echo returns 0. It must report and exit, not read again.
fn server_closes_after_first_line(ctx: &mut Ctx) -> CheckResult {
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
fn server_resets(ctx: &mut Ctx) -> CheckResult {
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

fn expect_server_gone(ctx: &mut Ctx, run: &Run) -> CheckResult {
    expect_no_panic(ctx, run)?;
    expect_failure_exit(ctx, run)?;
    expect_one_stderr_line(ctx, run, &[])
}

// ---------------------------------------------------------------------------
// Running the client and judging its run.

/// How a run of the client ended.
struct Run {
    /// `echoclient 127.0.0.1 4000`, for messages.
    command: String,
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// The common echo scenario: a fake server with `script` on `ip`, the
/// client on `host` with `stdin` (then EOF). A correct client exits 0,
/// prints exactly `stdin`, and the server receives exactly `stdin` and
/// then EOF. `hint` is added to failures of this scenario.
fn echo_session(
    ctx: &mut Ctx,
    ip: IpAddr,
    host: &str,
    script: Script,
    stdin: &[u8],
    hint: &str,
) -> CheckResult {
    let server = FakeServer::start(ctx, ip, script)?;
    let port = server.port().to_string();
    let hang = if hint.is_empty() {
        "at the end of stdin (a read of 0 bytes) echoclient exits with status 0"
    } else {
        hint
    };
    let run = run_client(
        ctx,
        &[host, &port],
        stdin,
        Some((&server, hang)),
        "at the end of stdin",
    )?;
    expect_exit_code(ctx, &run, 0)?;
    // The client connects first (open_clientfd), whatever stdin holds.
    let (connected, seen) = server.wait_until(ctx.budget(PATIENCE), |s| s.accepted || s.done);
    if !(connected && seen.accepted) {
        ctx.step("did echoclient connect to the server?");
        return Err(Failure::new(
            "a connection to the server: open_clientfd first, then the loop over stdin",
            seen.describe(),
        ));
    }
    let seen = server.finish(ctx.budget(PATIENCE))?;
    // What went out first, then what came back: the first wrong one is
    // where the bug is.
    expect_server_received(ctx, &seen, stdin)?;
    expect_stdout(ctx, &run, stdin, &seen, hint)?;
    expect_server_saw_eof(ctx, &seen)
}

/// Runs the client with `args`, feeding it `stdin` and then EOF, and waits
/// for its exit. `server` (with a hint) explains a client that never exits.
fn run_client(
    ctx: &mut Ctx,
    args: &[&str],
    stdin: &[u8],
    server: Option<(&FakeServer, &str)>,
    when: &str,
) -> Result<Run, Failure> {
    let path = Binary::EchoClient.path()?;
    let command = std::iter::once("echoclient")
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    ctx.step(format!(
        "run `{command}` with stdin {} ({} bytes), then EOF",
        show_bytes(stdin),
        stdin.len()
    ));
    let mut cmd = Command::new(&path);
    cmd.args(args);
    let mut proc = Proc::spawn("echoclient", cmd).map_err(|e| {
        Failure::new(
            "echoclient to start",
            format!("could not run {}: {e}", path.display()),
        )
    })?;
    let fed = feed(&mut proc, stdin);
    let budget = ctx.budget(PATIENCE);
    let Some(status) = proc.wait_exit(budget) else {
        ctx.step(format!("wait for echoclient to exit {when}"));
        let mut f = Failure::new(
            format!(
                "echoclient to exit within {:.0} s {when}",
                budget.as_secs_f32()
            ),
            proc.describe(),
        )
        .note(format!("stdout so far: {}", show_bytes(&proc.stdout())));
        let fed = fed.lock().map_or(0, |n| *n);
        if fed < stdin.len() {
            f = f.note(format!(
                "echoclient stopped reading stdin: only {fed} of its {} bytes went into the pipe",
                stdin.len()
            ));
        }
        if let Some((server, hint)) = server {
            f = f.note(server.seen().describe());
            if !hint.is_empty() {
                f = f.note(hint);
            }
        }
        return Err(f);
    };
    Ok(Run {
        command,
        status,
        stdout: proc.stdout(),
        stderr: proc.stderr(),
    })
}

/// Writes `stdin` to the child on a thread of its own (a big input may not
/// fit in the pipe while the check waits), then closes it. Returns the
/// count of bytes the child took so far.
fn feed(proc: &mut Proc, stdin: &[u8]) -> Arc<Mutex<usize>> {
    let fed = Arc::new(Mutex::new(0));
    if let Some(mut pipe) = proc.take_stdin() {
        let (data, count) = (stdin.to_vec(), Arc::clone(&fed));
        thread::spawn(move || {
            for chunk in data.chunks(4096) {
                // A child that exits without reading all of stdin breaks the pipe.
                if pipe.write_all(chunk).is_err() {
                    return;
                }
                if let Ok(mut n) = count.lock() {
                    *n += chunk.len();
                }
            }
            // Dropping `pipe` closes stdin: EOF.
        });
    }
    fed
}

fn expect_exit_code(ctx: &mut Ctx, run: &Run, code: i32) -> CheckResult {
    let observed = describe_status(run.status);
    if run.status.code() == Some(code) {
        ctx.step(format!("echoclient exits with {observed}  ok"));
        return Ok(());
    }
    ctx.step(format!("echoclient exits with {observed}"));
    Err(Failure::new(
        format!("exit status {code}"),
        format!("{observed}, {}", stderr_summary(run)),
    ))
}

/// Exit status not 0, and a real exit (not killed by a signal).
fn expect_failure_exit(ctx: &mut Ctx, run: &Run) -> CheckResult {
    let observed = describe_status(run.status);
    match run.status.code() {
        Some(c) if c != 0 => {
            ctx.step(format!("echoclient exits with {observed}  ok"));
            Ok(())
        }
        _ => {
            ctx.step(format!("echoclient exits with {observed}"));
            let f = Failure::new(
                "a non-zero exit status (1): the session did not end normally",
                format!("{observed}, {}", stderr_summary(run)),
            );
            Err(if run.status.code().is_none() {
                f.note("killed by a signal: SIGPIPE (13) kills a program that writes to a closed connection unless it is ignored")
            } else {
                f.note("the server went away: that is an error to report, not the end of the input")
            })
        }
    }
}

/// A usage error: no panic, exit 2, one line on stderr.
fn expect_usage_error(ctx: &mut Ctx, run: &Run) -> CheckResult {
    expect_no_panic(ctx, run)?;
    expect_exit_code(ctx, run, 2)?;
    expect_one_stderr_line(ctx, run, &[])
}

fn expect_no_panic(ctx: &mut Ctx, run: &Run) -> CheckResult {
    let panicked = contains(&run.stderr, b"panicked");
    ctx.expect(
        "echoclient does not panic",
        !panicked,
        "no panic: what the user or the network gets wrong is one line on stderr",
        format!(
            "a panic ({}): {}",
            describe_status(run.status),
            stderr_text(run)
        ),
    )
    .map_err(|f| f.note("never unwrap()/expect() what the user or the network controls"))
}

/// Exactly one non-empty line on stderr, containing each of `names`.
fn expect_one_stderr_line(ctx: &mut Ctx, run: &Run, names: &[&str]) -> CheckResult {
    let text = String::from_utf8_lossy(&run.stderr);
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let lines = if body.is_empty() {
        0
    } else {
        body.split('\n').count()
    };
    if lines != 1 {
        ctx.step(format!("stderr of `{}`", run.command));
        let f = Failure::new(
            "exactly one line on stderr",
            format!("{lines} lines: {}", stderr_text(run)),
        );
        return Err(if lines > 1 {
            f.note("returning Err from main prints a multi-line report: print one line (eprintln!(\"echoclient: {e:#}\")) and exit")
        } else {
            f.note("say what went wrong on stderr")
        });
    }
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !body.contains(n))
        .collect();
    let what = format!("stderr is one line: {body:?}");
    if missing.is_empty() {
        ctx.step(format!("{what}  ok"));
        return Ok(());
    }
    ctx.step(what);
    Err(Failure::new(
        format!("the line names {}", names.join(" and ")),
        format!("it does not name {}", missing.join(" or ")),
    ))
}

fn expect_stdout(
    ctx: &mut Ctx,
    run: &Run,
    expected: &[u8],
    seen: &Seen,
    hint: &str,
) -> CheckResult {
    if run.stdout == expected {
        ctx.step(format!("stdout is {}  ok", show_bytes(&run.stdout)));
        return Ok(());
    }
    ctx.step("compare stdout with the echo");
    let mut f = bytes_failure(expected, &run.stdout).note(seen.describe());
    if !run.stderr.is_empty() {
        f = f.note(format!("stderr: {}", stderr_text(run)));
    }
    Err(if hint.is_empty() { f } else { f.note(hint) })
}

fn expect_server_received(ctx: &mut Ctx, seen: &Seen, expected: &[u8]) -> CheckResult {
    if seen.received != expected {
        ctx.step("compare what the server received with stdin");
        let mut f = bytes_failure(expected, &seen.received)
            .note("the server must receive exactly the bytes of stdin, nothing added or dropped");
        if let Some(note) = stopped_mid_line(seen, expected) {
            f = f.note(note);
        }
        return Err(f);
    }
    ctx.step(format!(
        "the server received {}  ok",
        show_bytes(&seen.received)
    ));
    Ok(())
}

/// A client that half-closed in the middle of a line of stdin (what it
/// sent is a prefix of stdin that ends without `\n`) took a piece of a
/// long line, one that filled its buffer, for the last line: that is step
/// 3's condition, not step 2's loop, so the note names step 3.
fn stopped_mid_line(seen: &Seen, stdin: &[u8]) -> Option<String> {
    let sent = &seen.received;
    let mid_line = seen.eof
        && !sent.is_empty()
        && sent.len() < stdin.len()
        && stdin.starts_with(sent)
        && sent.last() != Some(&b'\n');
    let piece = sent.len() - sent.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    mid_line.then(|| {
        format!(
            "the client sent {piece} bytes of a line and then shut down its sending side: it took a piece that filled its buffer for the last line. \
             Only a line without `\\n` although the buffer had room is the last one: {}",
            steps::LAB4_HALFCLOSE.link()
        )
    })
}

fn expect_server_saw_eof(ctx: &mut Ctx, seen: &Seen) -> CheckResult {
    ctx.expect(
        "the server then saw EOF (echoclient closed the connection)",
        seen.eof,
        "EOF after the last byte",
        seen.describe(),
    )
}

fn stderr_summary(run: &Run) -> String {
    if run.stderr.is_empty() {
        "nothing on stderr".to_string()
    } else {
        format!("stderr: {}", stderr_text(run))
    }
}

/// The client's stderr as one line of text (`\n` shown as ` ⏎ `), its
/// last 400 bytes.
fn stderr_text(run: &Run) -> String {
    let start = run
        .stderr
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(run.stderr.len());
    text_tail(&run.stderr[start..], 400)
}
