//! Step 1 and the library half of step 3: `echoserver::echo` in-process.
//!
//! `echo` runs over a [`ScriptedStream`]: its reads return exactly the
//! chunks, `Interrupted`, errors and EOF a case scripts, and its writes take
//! exactly as many bytes as scripted. Whatever the split, the bytes written
//! back must equal the bytes read and the return value must count them; a
//! read or write error must come back as `Err` of its kind, never a panic.
//!
//! Each check takes the `echo` to test as a parameter, so the unit tests at
//! the end run the checks against broken variants and prove they fail.

use std::io::{self, ErrorKind};
use std::panic::{self, AssertUnwindSafe};

use crate::check::{CheckResult, Ctx, Failure, bytes_failure, show_bytes};
use crate::scripted::{ReadEvent, Rng, ScriptedReader, ScriptedStream, ScriptedWriter, WriteEvent};

/// The `echo` under test, behind a plain function so the unit tests can
/// swap in broken variants.
pub(super) type EchoFn = fn(&mut ScriptedStream) -> io::Result<u64>;

/// The workspace's `echoserver::echo`. `&mut ScriptedStream` is itself
/// `Read + Write`, so the stream can be inspected afterwards.
pub(super) fn crate_echo(stream: &mut ScriptedStream) -> io::Result<u64> {
    echoserver::echo(stream)
}

/// One scripted connection: the reads the peer's bytes arrive in, and how
/// the writes behave.
struct EchoCase {
    /// How this case is described in a failure.
    what: String,
    reads: Vec<ReadEvent>,
    writer: ScriptedWriter,
}

impl EchoCase {
    /// `input` arriving in reads of the given sizes, then EOF; `writer`
    /// takes the echo.
    fn split(input: &[u8], sizes: &[usize], writer: ScriptedWriter) -> EchoCase {
        let reads: Vec<ReadEvent> = crate::scripted::split(input, sizes)
            .into_iter()
            .map(ReadEvent::Data)
            .collect();
        EchoCase {
            what: describe_reads(&reads),
            reads,
            writer,
        }
    }

    /// The bytes of every `Data` read before the first error or EOF: what
    /// `echo` must write back.
    fn sent(&self) -> Vec<u8> {
        let mut sent = Vec::new();
        for event in &self.reads {
            match event {
                ReadEvent::Data(d) => sent.extend_from_slice(d),
                ReadEvent::Interrupted => {}
                ReadEvent::Error(_) | ReadEvent::Eof => break,
            }
        }
        sent
    }
}

/// A read script in one line: `b"hi\n", Err(Interrupted), 9000 bytes, then EOF`.
fn describe_reads(reads: &[ReadEvent]) -> String {
    const SHOWN: usize = 10;
    let mut parts: Vec<String> = reads
        .iter()
        .take(SHOWN)
        .map(|e| match e {
            ReadEvent::Data(d) if d.len() <= 12 => show_bytes(d),
            ReadEvent::Data(d) => format!("{} bytes", d.len()),
            other => other.to_string(),
        })
        .collect();
    if reads.len() > SHOWN {
        parts.push(format!("... ({} reads in all)", reads.len()));
    }
    if !matches!(reads.last(), Some(ReadEvent::Error(_))) {
        parts.push("then EOF".to_string());
    }
    format!("reads return {}", parts.join(", "))
}

/// Runs `echo` on the case's stream, catching a panic as its message.
fn run_echo(echo: EchoFn, case: &EchoCase) -> (ScriptedStream, Result<io::Result<u64>, String>) {
    let mut stream = ScriptedStream {
        reader: ScriptedReader::new(case.reads.clone()),
        writer: case.writer.clone(),
    };
    let result = panic::catch_unwind(AssertUnwindSafe(|| echo(&mut stream))).map_err(panic_text);
    (stream, result)
}

/// The message of a caught panic.
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// A failure for an `echo` that panicked.
fn panicked(expected: impl std::fmt::Display, msg: &str) -> Failure {
    let f = Failure::new(expected, format!("echo panicked: {msg}"));
    if msg.contains("not yet implemented") {
        f.note("(a todo!() of the starter: this step is still to write)")
    } else {
        f.note("a panic in echo kills the whole server: return the error instead")
    }
}

/// Runs one case that must succeed: everything read is written back, and
/// `echo` returns `Ok(its length)`.
fn expect_echoed(echo: EchoFn, case: &EchoCase) -> Result<(), Failure> {
    let sent = case.sent();
    let want = format!(
        "Ok({}), after writing back all {} bytes",
        sent.len(),
        sent.len()
    );
    let (stream, result) = run_echo(echo, case);
    let written = &stream.writer.written;
    match result {
        Err(msg) => Err(panicked(want, &msg)),
        Ok(Err(e)) => Err(Failure::new(want, format!("Err({:?}: {e})", e.kind()))
            .note(format!("written back before the error: {} bytes {}", written.len(), show_bytes(written)))
            .note(interrupted_hint(e.kind()))),
        Ok(Ok(_)) if *written != sent => {
            let mut f = bytes_failure(&sent, written);
            f.expected = format!("written back: {}", f.expected);
            f.observed = format!("written back: {}", f.observed);
            Err(f)
        }
        Ok(Ok(n)) if n != sent.len() as u64 => Err(Failure::new(want, format!("Ok({n})")).note(
            "the bytes written back were right; the count must be every byte echoed, the last line without newline too",
        )),
        Ok(Ok(_)) => Ok(()),
    }
}

/// A hint when `Interrupted` escaped.
fn interrupted_hint(kind: ErrorKind) -> String {
    if kind == ErrorKind::Interrupted {
        "Interrupted (EINTR) is not an error: call again".to_string()
    } else {
        "no error was scripted here".to_string()
    }
}

/// Runs every case; on the first failure records which case it was (one
/// step, not one per case) and returns the failure.
fn expect_all_echoed(
    ctx: &mut Ctx,
    echo: EchoFn,
    cases: impl IntoIterator<Item = EchoCase>,
) -> CheckResult {
    let mut count = 0;
    for case in cases {
        count += 1;
        if let Err(f) = expect_echoed(echo, &case) {
            ctx.step(format!("echo over a stream whose {}", case.what));
            return Err(f);
        }
    }
    ctx.step(format!("all {count} cases echoed exactly  ok"));
    Ok(())
}

/// A writer that takes everything it is given.
fn takes_all() -> ScriptedWriter {
    ScriptedWriter::accepting(usize::MAX)
}

/// Messages cut in every possible way: lines, an empty line, CRLF, NUL and
/// 0xFF, and last lines without newline.
const SPLIT_MESSAGES: &[&[u8]] = &[
    b"hi\nyo\n",
    b"a\n\nbc\nd",
    b"\x00\xff\r\n\x00\n",
    b"ab\ncd\r\nef\nghi",
];

pub(super) fn echo_every_split(ctx: &mut Ctx, echo: EchoFn) -> CheckResult {
    for msg in SPLIT_MESSAGES {
        let all = crate::scripted::compositions(msg.len());
        ctx.step(format!(
            "echo {} ({} bytes) over each of its {} splits into reads; the writer takes everything",
            show_bytes(msg),
            msg.len(),
            all.len()
        ));
        expect_all_echoed(
            ctx,
            echo,
            all.iter()
                .map(|sizes| EchoCase::split(msg, sizes, takes_all())),
        )?;
    }
    Ok(())
}

pub(super) fn echo_binary_bytes(ctx: &mut Ctx, echo: EchoFn) -> CheckResult {
    let msg = crate::peers::binary_message();
    ctx.step(format!(
        "echo {} ({} bytes: 0x00..=0xFF, CRLF, NUL) in one read",
        show_bytes(&msg),
        msg.len()
    ));
    whole_then_random(ctx, echo, &msg, 4, 7)
}

/// Echoes `msg` in one read, then in reads of random sizes from 1 to `max`
/// (seeds 1 to `seeds`).
fn whole_then_random(
    ctx: &mut Ctx,
    echo: EchoFn,
    msg: &[u8],
    seeds: u64,
    max: usize,
) -> CheckResult {
    expect_all_echoed(ctx, echo, [EchoCase::split(msg, &[msg.len()], takes_all())])?;
    ctx.step(format!(
        "the same, in reads of 1 to {max} bytes (seeds 1 to {seeds})"
    ));
    expect_all_echoed(
        ctx,
        echo,
        (1..=seeds).map(|seed| random_case(msg, seed, max)),
    )
}

/// `input` in reads of random sizes from 1 to `max` (seeded), then EOF.
fn random_case(input: &[u8], seed: u64, max: usize) -> EchoCase {
    let sizes = Rng::new(seed).sizes(input.len(), max);
    let mut case = EchoCase::split(input, &sizes, takes_all());
    case.what = format!("{} (random sizes 1..={max}, seed {seed})", case.what);
    case
}

/// Lines around and far beyond `RIO_BUFSIZE` (8192): 8191 + `\n`, 8192 +
/// `\n`, 100 KiB + `\n`, and a last 100 KiB line without newline.
fn long_lines_message() -> Vec<u8> {
    let line = |n: usize, tag: u8| -> Vec<u8> {
        (0..n)
            .map(|i| b'a' + ((i as u8).wrapping_add(tag)) % 26)
            .collect()
    };
    let mut msg = Vec::new();
    for (n, tag) in [(8191, 1), (8192, 2), (100 * 1024, 3)] {
        msg.extend(line(n, tag));
        msg.push(b'\n');
    }
    msg.extend_from_slice(b"short\n");
    msg.extend(line(100 * 1024, 4));
    msg
}

pub(super) fn echo_long_lines(ctx: &mut Ctx, echo: EchoFn) -> CheckResult {
    let msg = long_lines_message();
    ctx.step(format!(
        "echo lines of 8192, 8193 and 102401 bytes, `short\\n`, and a last line of 102400 bytes without newline ({} bytes) in one read",
        msg.len()
    ));
    whole_then_random(ctx, echo, &msg, 3, 20_000)
}

pub(super) fn echo_last_line_without_newline(ctx: &mut Ctx, echo: EchoFn) -> CheckResult {
    let messages: [&[u8]; 4] = [b"abc", b"abc\nxyz", b"\nx", b"line\n"];
    for msg in messages {
        ctx.step(format!(
            "echo {} in one read, and with its last byte in a read of its own",
            show_bytes(msg)
        ));
        let cases = [
            EchoCase::split(msg, &[msg.len()], takes_all()),
            EchoCase::split(msg, &[msg.len() - 1, 1], takes_all()),
        ];
        expect_all_echoed(ctx, echo, cases)?;
    }
    ctx.step("echo over a stream that is at EOF at once: writes nothing, returns Ok(0)");
    expect_all_echoed(ctx, echo, [EchoCase::split(b"", &[], takes_all())])
}

/// Some lines, one longer than `RIO_BUFSIZE`, and a last line without newline.
fn mixed_message() -> Vec<u8> {
    let mut msg = b"hello\nworld\r\n\x00\xff\n".to_vec();
    msg.extend((0..20_000).map(|i| b'0' + (i % 10) as u8));
    msg.extend_from_slice(b"\ntail without newline");
    msg
}

pub(super) fn echo_short_writes(ctx: &mut Ctx, echo: EchoFn) -> CheckResult {
    let msg = mixed_message();
    let writers = [
        ("takes 1 byte per call", ScriptedWriter::accepting(1)),
        ("takes 3 bytes per call", ScriptedWriter::accepting(3)),
        (
            "takes 2, 7, 1, 4096, 5 bytes, then 1000 per call",
            ScriptedWriter::new(
                [2, 7, 1, 4096, 5].map(WriteEvent::Accept),
                WriteEvent::Accept(1000),
            ),
        ),
    ];
    for (what, writer) in writers {
        ctx.step(format!(
            "echo {} bytes (lines, one of 20000 bytes) to a writer that {what}",
            msg.len()
        ));
        let mut case = EchoCase::split(&msg, &[msg.len()], writer);
        case.what = format!("{}, and the writer {what}", case.what);
        expect_all_echoed(ctx, echo, [case])?;
    }
    Ok(())
}

pub(super) fn echo_interrupted(ctx: &mut Ctx, echo: EchoFn) -> CheckResult {
    let msg = mixed_message();
    // Interrupted before the first read, between reads, and before EOF.
    let mut reads = vec![ReadEvent::Interrupted];
    for chunk in crate::scripted::split(&msg, &[5, 1, 3000, 9000, 2]) {
        reads.push(ReadEvent::Data(chunk));
        reads.push(ReadEvent::Interrupted);
        reads.push(ReadEvent::Interrupted);
    }
    let read_case = EchoCase {
        what: describe_reads(&reads),
        reads: reads.clone(),
        writer: takes_all(),
    };
    ctx.step(format!("echo over a stream whose {}", read_case.what));
    expect_all_echoed(ctx, echo, [read_case])?;

    // Every other write is interrupted, then takes 3000 bytes.
    let script: Vec<WriteEvent> = (0..2 * msg.len() / 3000 + 4)
        .map(|i| {
            if i % 2 == 0 {
                WriteEvent::Interrupted
            } else {
                WriteEvent::Accept(3000)
            }
        })
        .collect();
    let mut case = EchoCase::split(
        &msg,
        &[msg.len()],
        ScriptedWriter::new(script, WriteEvent::Accept(3000)),
    );
    case.what = format!(
        "{}, and every other write returns Err(Interrupted)",
        case.what
    );
    ctx.step(
        "the same bytes in one read, to a writer whose every other call returns Err(Interrupted)",
    );
    expect_all_echoed(ctx, echo, [case])
}

// ===========================================================================
// Step 3, in-process: errors end `echo` with Err.

/// Runs a case that must end in `Err`: of kind `kind` if given. `written`,
/// if given, is what must have been written back before the error (what a
/// failing writer took is up to it, so write-error cases give none).
fn expect_echo_error(
    echo: EchoFn,
    case: &EchoCase,
    kind: Option<ErrorKind>,
    written: Option<&[u8]>,
) -> Result<(), Failure> {
    let want = match kind {
        Some(k) => format!("Err({k:?}): the error, returned"),
        None => "an Err: the error, returned".to_string(),
    };
    let (stream, result) = run_echo(echo, case);
    let got = &stream.writer.written;
    match result {
        Err(msg) => Err(panicked(want, &msg)),
        Ok(Ok(n)) => Err(Failure::new(want, format!("Ok({n})"))
            .note("the error was ignored: the server would never learn that this client is gone")),
        Ok(Err(e)) if kind.is_some_and(|k| k != e.kind()) => {
            Err(Failure::new(want, format!("Err({:?}: {e})", e.kind()))
                .note("return the error of the failed call as it is (`?`), keep its kind"))
        }
        Ok(Err(_)) if written.is_some_and(|w| w != got) => {
            let mut f = bytes_failure(written.unwrap_or_default(), got);
            f.expected = format!("before the error, written back: {}", f.expected);
            f.observed = format!("written back: {}", f.observed);
            Err(f)
        }
        Ok(Err(_)) => Ok(()),
    }
}

pub(super) fn echo_write_error_returned(ctx: &mut Ctx, echo: EchoFn) -> CheckResult {
    let input = b"hello\nworld\n";
    let reads = || vec![ReadEvent::Data(input.to_vec())];
    let cases = [
        (
            "every write returns Err(BrokenPipe) (the client closed)",
            ScriptedWriter::new([], WriteEvent::Error(ErrorKind::BrokenPipe)),
            Some(ErrorKind::BrokenPipe),
        ),
        (
            "the first write takes 4 bytes, then every write returns Err(ConnectionReset)",
            ScriptedWriter::new(
                [WriteEvent::Accept(4)],
                WriteEvent::Error(ErrorKind::ConnectionReset),
            ),
            Some(ErrorKind::ConnectionReset),
        ),
        (
            "every write returns Ok(0) (writen's WriteZero; must not spin)",
            ScriptedWriter::accepting(0),
            None,
        ),
    ];
    for (what, writer, kind) in cases {
        // One step per case before the call: a case that spins shows here
        // when the check is killed at its deadline.
        ctx.step(format!(
            "echo {} to a writer where {what}",
            show_bytes(input)
        ));
        let case = EchoCase {
            what: what.to_string(),
            reads: reads(),
            writer,
        };
        expect_echo_error(echo, &case, kind, None)?;
    }
    ctx.step("each write error ended echo with Err  ok");
    Ok(())
}

pub(super) fn echo_read_error_returned(ctx: &mut Ctx, echo: EchoFn) -> CheckResult {
    let reset = ReadEvent::Error(ErrorKind::ConnectionReset);
    let cases = [
        (
            vec![ReadEvent::Data(b"hi\n".to_vec()), reset.clone()],
            &b"hi\n"[..],
        ),
        (
            vec![
                ReadEvent::Data(b"one\n".to_vec()),
                ReadEvent::Interrupted,
                ReadEvent::Data(b"two\n".to_vec()),
                reset.clone(),
            ],
            &b"one\ntwo\n"[..],
        ),
        (vec![reset], &b""[..]),
    ];
    for (reads, written) in cases {
        let case = EchoCase {
            what: describe_reads(&reads),
            reads,
            writer: takes_all(),
        };
        ctx.step(format!("echo over a stream whose {}", case.what));
        expect_echo_error(echo, &case, Some(ErrorKind::ConnectionReset), Some(written))?;
    }
    ctx.step("each read error ended echo with Err(ConnectionReset), after echoing the lines before it  ok");
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The library checks against a correct `echo` written here and against
    //! broken ones: each broken variant must fail the check that names its
    //! bug, and the correct one must pass them all.

    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    fn ctx() -> Ctx {
        Ctx::new(Duration::from_secs(60))
    }

    /// Reads `s` into a buffer of `LEN` bytes until EOF, retrying
    /// `Interrupted`, and hands each read's buffer and count to `write_back`,
    /// which answers how many bytes it echoed; returns their sum. The
    /// skeleton of the correct echo and of most broken ones, which differ in
    /// how they write.
    fn each_read<const LEN: usize>(
        s: &mut ScriptedStream,
        mut write_back: impl FnMut(&mut ScriptedStream, &[u8; LEN], usize) -> io::Result<usize>,
    ) -> io::Result<u64> {
        let mut buf = [0u8; LEN];
        let mut total = 0;
        loop {
            let n = match s.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            total += write_back(s, &buf, n)? as u64;
        }
    }

    /// A correct echo without `rio`: copies chunks until EOF.
    fn good(s: &mut ScriptedStream) -> io::Result<u64> {
        each_read::<8192>(s, |s, buf, n| s.write_all(&buf[..n]).map(|()| n))
    }

    /// Bug: `write` instead of `writen`: short writes lose bytes.
    fn single_write(s: &mut ScriptedStream) -> io::Result<u64> {
        each_read::<8192>(s, |s, buf, n| {
            loop {
                match s.write(&buf[..n]) {
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    r => return r.map(|_| n),
                }
            }
        })
    }

    /// Bug: lines are echoed only when their `\n` came: the last partial
    /// line is lost.
    fn drops_partial_line(s: &mut ScriptedStream) -> io::Result<u64> {
        let mut pending = Vec::new();
        each_read::<8192>(s, |s, buf, n| {
            pending.extend_from_slice(&buf[..n]);
            let mut echoed = 0;
            while let Some(i) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=i).collect();
                s.write_all(&line)?;
                echoed += line.len();
            }
            Ok(echoed)
        })
    }

    /// Bug: text, not bytes: invalid UTF-8 is replaced.
    fn lossy_text(s: &mut ScriptedStream) -> io::Result<u64> {
        let mut all = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        let text = String::from_utf8_lossy(&all).into_owned();
        s.write_all(text.as_bytes())?;
        Ok(all.len() as u64)
    }

    /// Bug: returns the number of reads, not bytes.
    fn counts_reads(s: &mut ScriptedStream) -> io::Result<u64> {
        good(s).map(|_| s.reader.data_reads() as u64)
    }

    /// Bug: `Interrupted` from read is treated as an error.
    fn no_eintr_retry(s: &mut ScriptedStream) -> io::Result<u64> {
        let mut buf = [0u8; 8192];
        let mut total = 0;
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                return Ok(total);
            }
            s.write_all(&buf[..n])?;
            total += n as u64;
        }
    }

    /// Bug: write errors are ignored.
    fn ignores_write_errors(s: &mut ScriptedStream) -> io::Result<u64> {
        each_read::<8192>(s, |s, buf, n| {
            let _ = s.write_all(&buf[..n]);
            Ok(n)
        })
    }

    /// Bug: unwrap on the write: a client's error panics.
    fn panics_on_write_error(s: &mut ScriptedStream) -> io::Result<u64> {
        each_read::<8192>(s, |s, buf, n| {
            s.write_all(&buf[..n]).unwrap();
            Ok(n)
        })
    }

    /// Bug: a read error is taken for EOF.
    fn read_error_as_eof(s: &mut ScriptedStream) -> io::Result<u64> {
        let mut buf = [0u8; 8192];
        let mut total = 0;
        loop {
            let n = match s.read(&mut buf) {
                Ok(0) | Err(_) => return Ok(total),
                Ok(n) => n,
            };
            s.write_all(&buf[..n])?;
            total += n as u64;
        }
    }

    /// Bug: the error kind is lost (wrapped as `Other`).
    fn wraps_errors(s: &mut ScriptedStream) -> io::Result<u64> {
        good(s).map_err(|e| io::Error::other(format!("echo failed: {e}")))
    }

    /// Bug: only the first line of each read is echoed (as with a new
    /// `Rio` per line): what a read brought after its first newline is lost.
    fn fresh_buffer_per_line(s: &mut ScriptedStream) -> io::Result<u64> {
        each_read::<8192>(s, |s, buf, n| {
            let line = buf[..n]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(n, |i| i + 1);
            s.write_all(&buf[..line]).map(|()| line)
        })
    }

    /// Bug: the buffer is written whole, not just the bytes read.
    fn writes_whole_buffer(s: &mut ScriptedStream) -> io::Result<u64> {
        each_read::<16>(s, |s, buf, n| s.write_all(buf).map(|()| n))
    }

    type LibCheck = fn(&mut Ctx, EchoFn) -> CheckResult;

    const ALL: &[(&str, LibCheck)] = &[
        ("echo_every_split", echo_every_split),
        ("echo_binary_bytes", echo_binary_bytes),
        ("echo_long_lines", echo_long_lines),
        (
            "echo_last_line_without_newline",
            echo_last_line_without_newline,
        ),
        ("echo_short_writes", echo_short_writes),
        ("echo_interrupted", echo_interrupted),
        ("echo_write_error_returned", echo_write_error_returned),
        ("echo_read_error_returned", echo_read_error_returned),
    ];

    fn run(name: &str, echo: EchoFn) -> CheckResult {
        let (_, check) = ALL
            .iter()
            .find(|(n, _)| *n == name)
            .expect("a check of that name");
        check(&mut ctx(), echo)
    }

    #[test]
    fn a_correct_echo_passes_every_library_check() {
        for (name, check) in ALL {
            if let Err(f) = check(&mut ctx(), good) {
                panic!("{name} failed a correct echo: {f:?}");
            }
        }
    }

    #[test]
    fn each_broken_echo_fails_the_check_that_names_its_bug() {
        let cases: &[(&str, EchoFn, &str)] = &[
            ("single write", single_write, "echo_short_writes"),
            (
                "drops the partial line",
                drops_partial_line,
                "echo_last_line_without_newline",
            ),
            (
                "drops the partial line",
                drops_partial_line,
                "echo_every_split",
            ),
            ("lossy UTF-8", lossy_text, "echo_binary_bytes"),
            ("counts reads", counts_reads, "echo_every_split"),
            ("no EINTR retry", no_eintr_retry, "echo_interrupted"),
            (
                "ignores write errors",
                ignores_write_errors,
                "echo_write_error_returned",
            ),
            (
                "panics on write errors",
                panics_on_write_error,
                "echo_write_error_returned",
            ),
            (
                "read error as EOF",
                read_error_as_eof,
                "echo_read_error_returned",
            ),
            ("wraps errors", wraps_errors, "echo_read_error_returned"),
            (
                "writes the whole buffer",
                writes_whole_buffer,
                "echo_long_lines",
            ),
            (
                "fresh buffer per line",
                fresh_buffer_per_line,
                "echo_every_split",
            ),
            (
                "fresh buffer per line",
                fresh_buffer_per_line,
                "echo_short_writes",
            ),
        ];
        for (bug, echo, check) in cases {
            let f = run(check, *echo).err();
            assert!(f.is_some(), "{check} passed an echo that {bug}");
            eprintln!("{bug} -> {check}: {:?}", f);
        }
    }

    #[test]
    fn reads_are_described_briefly() {
        let reads = [
            ReadEvent::Data(b"hi\n".to_vec()),
            ReadEvent::Interrupted,
            ReadEvent::Data(vec![b'x'; 100]),
        ];
        assert_eq!(
            describe_reads(&reads),
            r#"reads return b"hi\n", Err(Interrupted), 100 bytes, then EOF"#
        );
    }
}
