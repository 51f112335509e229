//! Running the client under test, and what every lab 4 check expects of
//! how it ended: its exit status, its stdout, its one stderr line, and what
//! the fake server received.

use super::*;

/// How a run of the client ended.
pub(super) struct Run {
    /// `echoclient 127.0.0.1 4000`, for messages.
    pub(super) command: String,
    pub(super) status: ExitStatus,
    pub(super) stdout: Vec<u8>,
    pub(super) stderr: Vec<u8>,
}

/// The common echo scenario: a fake server with `script` on `ip`, the
/// client on `host` with `stdin` (then EOF). A correct client exits 0,
/// prints exactly `stdin`, and the server receives exactly `stdin` and
/// then EOF. `hint` is added to failures of this scenario.
pub(super) fn echo_session(
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
pub(super) fn run_client(
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
pub(super) fn feed(proc: &mut Proc, stdin: &[u8]) -> Arc<Mutex<usize>> {
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

pub(super) fn expect_exit_code(ctx: &mut Ctx, run: &Run, code: i32) -> CheckResult {
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
pub(super) fn expect_failure_exit(ctx: &mut Ctx, run: &Run) -> CheckResult {
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
pub(super) fn expect_usage_error(ctx: &mut Ctx, run: &Run) -> CheckResult {
    expect_no_panic(ctx, run)?;
    expect_exit_code(ctx, run, 2)?;
    expect_one_stderr_line(ctx, run, &[])
}

pub(super) fn expect_no_panic(ctx: &mut Ctx, run: &Run) -> CheckResult {
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
pub(super) fn expect_one_stderr_line(ctx: &mut Ctx, run: &Run, names: &[&str]) -> CheckResult {
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

pub(super) fn expect_stdout(
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

pub(super) fn expect_server_received(ctx: &mut Ctx, seen: &Seen, expected: &[u8]) -> CheckResult {
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

pub(super) fn expect_server_saw_eof(ctx: &mut Ctx, seen: &Seen) -> CheckResult {
    ctx.expect(
        "the server then saw EOF (echoclient closed the connection)",
        seen.eof,
        "EOF after the last byte",
        seen.describe(),
    )
}

pub(super) fn stderr_summary(run: &Run) -> String {
    if run.stderr.is_empty() {
        "nothing on stderr".to_string()
    } else {
        format!("stderr: {}", stderr_text(run))
    }
}

/// The client's stderr as one line of text (`\n` shown as ` ⏎ `), its
/// last 400 bytes.
pub(super) fn stderr_text(run: &Run) -> String {
    let start = run
        .stderr
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(run.stderr.len());
    text_tail(&run.stderr[start..], 400)
}
