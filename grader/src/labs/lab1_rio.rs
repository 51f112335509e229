//! Lab 1 checks: `rio` in-process, against scripted readers and writers.
//!
//! A socket's `read` may return any short count, `EINTR`, an error or 0,
//! and a real socket shows these only by chance. So almost every check here
//! runs the student's code against a `ScriptedReader` or
//! `ScriptedWriter` that returns exactly the chunks, `Interrupted`, errors
//! and EOF the check scripts, and records every call. The plan, step by step:
//!
//! 1. `readn`: every split of messages of 0..=12 bytes (all 4096
//!    compositions), seeded random splits of large messages, `Interrupted`
//!    between chunks, EOF first / mid-way, an empty `buf`, other errors; and
//!    a real loopback socket whose peer dribbles 1–3 bytes at a time.
//! 2. `writen`: writers that accept 1, 2, 7, … bytes a call, `Interrupted`,
//!    `Ok(0)` (must be `WriteZero`, never a spin), other errors.
//! 3. The `Rio` buffer: many short lines cost ⌈total/8192⌉+1 reads, each
//!    asking for `RIO_BUFSIZE` bytes, made only when the buffer is empty;
//!    `buffer()` shows what is buffered; `get_ref`/`get_mut`/`into_inner`.
//! 4. `readlineb`: every split of a 12-byte text of lines, pieces when `buf`
//!    is short, long lines, binary bytes, EOF (and 0 again), `Interrupted`,
//!    errors that lose no buffered byte, a dribbling socket.
//! 5. `readnb`: as `readn` through the buffer, and mixed with `readlineb`.
//!
//! Every call is compared with a model of the contract (`Op::model`):
//! given the bytes the reader will still yield before EOF, the contract
//! fixes exactly what each `readn`/`readnb`/`readlineb` call returns. Where
//! the contract allows a choice (when a deferred error is reported), the
//! check accepts every choice and checks only what is promised.
//!
//! The checks are generic over the API (trait `Lab1`) so that the unit tests at
//! the end of this file can run them against broken variants of the
//! reference and show that each classic bug fails the check that names it.
//! Loops over thousands of cases record their steps in a `Trace` that is
//! shown only for the failing case, with its split or seed.

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::iter;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use rio::RIO_BUFSIZE;

use crate::check::{Check, CheckResult, Ctx, Failure, Kind, bytes_failure, show_bytes};
use crate::scripted::{
    ReadCall, ReadEvent, Rng, ScriptedReader, ScriptedStream, ScriptedWriter, WriteEvent,
    compositions, split,
};
use crate::steps;

// ---------------------------------------------------------------------------
// The API under test
// ---------------------------------------------------------------------------

/// The lab 1 API as the checks see it: the checks are generic over it, so
/// the unit tests can run them against broken variants.
trait Lab1 {
    /// `rio::Rio<R>`, or a variant of it.
    type Rio<R: Read>: RioApi<R>;
    /// `rio::readn`.
    fn readn(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize>;
    /// `rio::writen`.
    fn writen(w: &mut dyn Write, buf: &[u8]) -> io::Result<()>;
}

/// The methods of `rio::Rio` that the contract names.
trait RioApi<R>: RioReads + Sized {
    fn new(inner: R) -> Self;
    fn get_ref(&self) -> &R;
    fn get_mut(&mut self) -> &mut R;
    fn into_inner(self) -> R;
}

/// The reading methods of `rio::Rio` (apart from [`RioApi`] so that they
/// can be named without the inner reader's type).
trait RioReads {
    fn readlineb(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    fn readnb(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    fn buffer(&self) -> &[u8];
}

/// The code under test: the workspace's `rio` crate.
struct Submission;

impl Lab1 for Submission {
    type Rio<R: Read> = rio::Rio<R>;
    fn readn(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
        rio::readn(r, buf)
    }
    fn writen(w: &mut dyn Write, buf: &[u8]) -> io::Result<()> {
        rio::writen(w, buf)
    }
}

impl<R: Read> RioReads for rio::Rio<R> {
    fn readlineb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        rio::Rio::readlineb(self, buf)
    }
    fn readnb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        rio::Rio::readnb(self, buf)
    }
    fn buffer(&self) -> &[u8] {
        rio::Rio::buffer(self)
    }
}

impl<R: Read> RioApi<R> for rio::Rio<R> {
    fn new(inner: R) -> Self {
        rio::Rio::new(inner)
    }
    fn get_ref(&self) -> &R {
        rio::Rio::get_ref(self)
    }
    fn get_mut(&mut self) -> &mut R {
        rio::Rio::get_mut(self)
    }
    fn into_inner(self) -> R {
        rio::Rio::into_inner(self)
    }
}

/// The checks of lab 1, in handout order.
pub fn checks() -> Vec<Check> {
    checks_for::<Submission>()
}

/// The checks of lab 1 against the implementation `I`.
fn checks_for<I: Lab1>() -> Vec<Check> {
    use steps::{LAB1_BUFFER, LAB1_READLINEB, LAB1_READN, LAB1_READNB, LAB1_WRITEN};
    // name (= the function): step, points, what it checks. Each is a library
    // check with a 10 s deadline, which it reaches only when it hangs.
    macro_rules! checks {
        ($($name:ident: $step:expr, $points:literal, $about:literal;)*) => {
            vec![$(Check {
                name: stringify!($name),
                step: $step,
                points: $points,
                deadline: Duration::from_secs(10),
                kind: Kind::Library,
                about: $about,
                run: $name::<I>,
            }),*]
        };
    }
    checks! {
        // Step 1: readn (8 points)
        readn_every_split: LAB1_READN, 2,
            "readn gives every byte whatever the chunk sizes (all splits of 0..=12 bytes)";
        readn_random_splits: LAB1_READN, 1,
            "readn over seeded random splits of large messages, with Interrupted among the chunks";
        readn_interrupted_is_retried: LAB1_READN, 1,
            "readn calls read again after Err(Interrupted)";
        readn_eof: LAB1_READN, 2,
            "readn: EOF first gives 0, EOF mid-way exactly the bytes before it, an empty buf 0";
        readn_errors_are_returned: LAB1_READN, 1,
            "readn returns errors other than Interrupted (not retried, not taken for EOF)";
        readn_tcp_dribble: LAB1_READN, 1,
            "readn on a loopback socket whose peer writes 1-3 bytes at a time";
        // Step 2: writen (5 points)
        writen_short_writes: LAB1_WRITEN, 2,
            "writen writes every byte, in order, to writers that take 1, 2, 7, ... bytes a call";
        writen_interrupted_is_retried: LAB1_WRITEN, 1,
            "writen calls write again after Err(Interrupted)";
        writen_write_zero: LAB1_WRITEN, 1,
            "writen turns a write of Ok(0) into Err(WriteZero) instead of spinning";
        writen_errors_are_returned: LAB1_WRITEN, 1,
            "writen returns errors other than Interrupted";
        // Step 3: the Rio buffer (5 points)
        buffer_few_reads_for_many_lines: LAB1_BUFFER, 2,
            "many short lines cost at most ceil(total/8192)+1 reads, each asking for RIO_BUFSIZE bytes";
        buffer_reads_only_when_empty: LAB1_BUFFER, 1,
            "Rio reads from its inner reader only when its buffer is empty";
        buffer_shows_unread_bytes: LAB1_BUFFER, 1,
            "Rio::buffer() shows the bytes buffered and not yet returned";
        buffer_inner_reader_access: LAB1_BUFFER, 1,
            "Rio::new reads nothing; get_ref, get_mut and into_inner give back the inner reader";
        // Step 4: readlineb (8 points)
        readlineb_every_split: LAB1_READLINEB, 2,
            "readlineb returns each line, \\n kept, whatever the chunk sizes (all splits of 12 bytes)";
        readlineb_eof: LAB1_READLINEB, 1,
            "readlineb: a last line without \\n at EOF, empty lines are not EOF, 0 at EOF and again after";
        readlineb_long_lines: LAB1_READLINEB, 1,
            "readlineb: a line longer than buf comes in buf-sized pieces; lines longer than 8192 bytes";
        readlineb_binary_bytes: LAB1_READLINEB, 1,
            "readlineb passes NUL, 0xFF, \\r and every other byte untouched";
        readlineb_interrupted_is_retried: LAB1_READLINEB, 1,
            "readlineb retries Err(Interrupted) when it refills its buffer";
        readlineb_errors_keep_bytes: LAB1_READLINEB, 1,
            "readlineb returns errors and never loses a byte it buffered";
        readlineb_tcp_dribble: LAB1_READLINEB, 1,
            "readlineb on a loopback socket whose peer writes 1-3 bytes at a time";
        // Step 5: readnb (4 points)
        readnb_every_split: LAB1_READNB, 1,
            "readnb gives every byte whatever the chunk sizes (all splits of 0..=12 bytes)";
        readnb_eof_interrupted_errors: LAB1_READNB, 1,
            "readnb: EOF first and mid-way, Interrupted retried, errors returned";
        readnb_mixed_with_readlineb: LAB1_READNB, 2,
            "readnb and readlineb mixed on one Rio lose no byte";
    }
}

// ---------------------------------------------------------------------------
// Steps, traces and the model of the contract
// ---------------------------------------------------------------------------

/// Where a scenario records its steps: straight into the check's step list
/// ([`Ctx`]), or into a [`Trace`] that is shown only if the case fails.
trait Log {
    fn log(&mut self, text: String);

    /// Are steps shown as they happen? Then a call is logged before it is
    /// made, so that a call that never returns is the last step shown.
    fn live(&self) -> bool {
        false
    }
}

impl Log for Ctx {
    fn log(&mut self, text: String) {
        self.step(text);
    }

    fn live(&self) -> bool {
        true
    }
}

/// The steps of one case among thousands (one split of a message): kept
/// quiet, and replayed into the check's steps only if that case fails.
#[derive(Default)]
struct Trace(Vec<String>);

impl Log for Trace {
    fn log(&mut self, text: String) {
        self.0.push(text);
    }
}

impl Trace {
    /// Replays the steps into `ctx` (the first 4 and the last 10 when there
    /// are many) and hands `failure` back.
    fn replay(self, ctx: &mut Ctx, failure: Failure) -> Failure {
        let (head, tail) = (4, 10);
        let n = self.0.len();
        for (i, text) in self.0.into_iter().enumerate() {
            if n > head + tail + 1 && i == head {
                ctx.step(format!("... {} more calls, all ok ...", n - head - tail));
            }
            if n <= head + tail + 1 || i < head || i >= n - tail {
                ctx.step(text);
            }
        }
        failure
    }
}

/// One call of the code under test, with a `buf` of this many bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Readn(usize),
    Readnb(usize),
    Readlineb(usize),
}

impl Op {
    /// `buf.len()` of the call.
    fn len(self) -> usize {
        match self {
            Op::Readn(n) | Op::Readnb(n) | Op::Readlineb(n) => n,
        }
    }

    /// What the contract says the call returns when `left` is everything
    /// the reader will yield before EOF: how many bytes of `left`.
    fn model(self, left: &[u8]) -> usize {
        match self {
            // until buf is full or EOF
            Op::Readn(n) | Op::Readnb(n) => n.min(left.len()),
            // up to buf.len() bytes, stopping after the first \n (kept)
            Op::Readlineb(n) => {
                let room = n.min(left.len());
                left[..room]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(room, |i| i + 1)
            }
        }
    }

    fn is_readlineb(self) -> bool {
        matches!(self, Op::Readlineb(_))
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, n) = match *self {
            Op::Readn(n) => ("readn", n),
            Op::Readnb(n) => ("readnb", n),
            Op::Readlineb(n) => ("readlineb", n),
        };
        write!(f, "{name}(buf of {n} bytes)")
    }
}

/// Makes the calls `ops` through `call` and checks each result against
/// [`Op::model`], for a reader that yields `data` and then EOF. The run ends
/// at the first 0 from a non-empty `buf` (EOF); then `after_eof` more calls
/// of the same kind must each return 0 again. `ops` may be endless.
fn run_ops(
    log: &mut impl Log,
    data: &[u8],
    ops: impl IntoIterator<Item = Op>,
    after_eof: usize,
    mut call: impl FnMut(Op, &mut [u8]) -> io::Result<usize>,
) -> CheckResult {
    let mut left = data;
    for op in ops {
        let want = op.model(left);
        expect_call(log, op, &left[..want], left.len(), &mut call)?;
        left = &left[want..];
        if want == 0 && op.len() > 0 {
            for _ in 0..after_eof {
                expect_call(log, op, b"", 0, &mut call)?;
            }
            return Ok(());
        }
    }
    Ok(())
}

/// Makes one call and checks that it returned exactly `want`; `left` is how
/// many bytes the reader still had (for the explanation).
fn expect_call(
    log: &mut impl Log,
    op: Op,
    want: &[u8],
    left: usize,
    call: &mut impl FnMut(Op, &mut [u8]) -> io::Result<usize>,
) -> CheckResult {
    let live = log.live();
    if live {
        log.log(op.to_string());
    }
    let mut buf = vec![0u8; op.len()];
    let got = call(op, &mut buf);
    match got {
        Ok(n) if n <= buf.len() && buf[..n] == *want => {
            let arrow = if live {
                "  ->".to_string()
            } else {
                format!("{op} ->")
            };
            log.log(format!("{arrow} {}  ok", show_result(want)));
            Ok(())
        }
        _ => {
            if !live {
                log.log(op.to_string());
            }
            Err(call_failure(op, want, left, got, &buf))
        }
    }
}

/// `3 b"ab\n"`, or `0 (EOF)`.
fn show_result(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "0 (EOF)".to_string()
    } else {
        format!("{} {}", bytes.len(), show_bytes(bytes))
    }
}

/// Why a call's result differs from the model, with a hint at the usual cause.
fn call_failure(op: Op, want: &[u8], left: usize, got: io::Result<usize>, buf: &[u8]) -> Failure {
    let expected = format!("{} bytes {}", want.len(), show_bytes(want));
    let n = match got {
        Err(e) => {
            let f = Failure::new(expected, format!("Err({:?}): {e}", e.kind()));
            return match e.kind() {
                ErrorKind::Interrupted => f.note(
                    "Err(Interrupted) means a signal arrived before any byte moved: nothing is wrong, call read again",
                ),
                ErrorKind::WouldBlock | ErrorKind::TimedOut => f.note(
                    "a read timed out (the check's read timeout): the code waited for bytes the peer never sent",
                ),
                _ => f,
            };
        }
        Ok(n) if n > buf.len() => {
            return Failure::new(
                expected,
                format!("Ok({n}), more than the {} bytes of buf", buf.len()),
            );
        }
        Ok(n) => n,
    };
    let observed = &buf[..n];
    let f = bytes_failure(want, observed);
    if n == 0 {
        let f = f.note(format!(
            "Ok(0) means EOF, but the reader still had {} to give",
            crate::check::count_bytes(left)
        ));
        return if want == b"\n" {
            f.note("an empty line is b\"\\n\", 1 byte: only EOF gives 0")
        } else {
            f
        };
    }
    if op.is_readlineb() && want.ends_with(b"\n") && [observed, b"\n"].concat() == want {
        return f.note("the \\n that ends the line is part of it: keep it in buf and count it");
    }
    if n < want.len() && want.starts_with(observed) {
        return f.note(if op.is_readlineb() {
            "the line stopped early: keep copying (refilling the buffer when it is empty) until the \\n, a full buf, or EOF"
        } else {
            "a short count before EOF: after a short read, call read again for the rest, until buf is full or read returns 0"
        });
    }
    if want.is_empty() && left == 0 && op != Op::Readn(op.len()) {
        return f.note("the reader had nothing left before EOF: the answer is 0 (returned already, or past EOF?)");
    }
    if n > want.len() && observed.starts_with(want) {
        return f.note(if op.is_readlineb() {
            "went past the end of the line: stop right after the first \\n"
        } else {
            "read past EOF: when read returns 0, return the bytes read so far"
        });
    }
    f.note("bytes lost, repeated or out of order")
}

/// Makes the call `op` (through `call`), which must fail with `kind`.
fn expect_error(
    ctx: &mut Ctx,
    op: Op,
    kind: ErrorKind,
    call: impl FnOnce(&mut [u8]) -> io::Result<usize>,
) -> CheckResult {
    ctx.step(op);
    let mut buf = vec![0u8; op.len()];
    let expected = format!("Err({kind:?})");
    match call(&mut buf) {
        Err(e) if e.kind() == kind => {
            ctx.step(format!("  -> {expected}  ok"));
            Ok(())
        }
        Err(e) => Err(Failure::new(expected, format!("Err({:?}): {e}", e.kind()))),
        Ok(n) => {
            let shown = buf
                .get(..n)
                .map_or(String::new(), |b| format!(" {}", show_bytes(b)));
            Err(Failure::new(expected, format!("Ok({n}){shown}")).note(format!(
                "the reader failed with {kind:?}: an error other than Interrupted must be returned, \
                 not retried and not taken for EOF"
            )))
        }
    }
}

/// `reader yields b"he" (2 bytes), Err(Interrupted), then EOF`.
fn describe_script(events: &[ReadEvent]) -> String {
    let shown: Vec<String> = events.iter().take(8).map(ToString::to_string).collect();
    let more = match events.len().saturating_sub(8) {
        0 => String::new(),
        n => format!(", ... ({n} more)"),
    };
    if events.is_empty() {
        "reader yields EOF at once".to_string()
    } else {
        format!("reader yields {}{more}, then EOF", shown.join(", "))
    }
}

/// The script that yields `data` in chunks of `sizes`.
fn chunks(data: &[u8], sizes: &[usize]) -> Vec<ReadEvent> {
    split(data, sizes)
        .into_iter()
        .map(ReadEvent::Data)
        .collect()
}

/// A scripted read that yields `bytes`.
fn yields(bytes: &[u8]) -> ReadEvent {
    ReadEvent::Data(bytes.to_vec())
}

/// Runs `case` on every split of every prefix of `msg` (0..=12 bytes: 4096
/// splits), each with a fresh [`Trace`] that starts with the script. The
/// first failing case is replayed into `ctx` with its split. Returns how
/// many splits passed.
fn every_split(
    ctx: &mut Ctx,
    msg: &[u8],
    mut case: impl FnMut(&mut Trace, &[u8], Vec<ReadEvent>) -> CheckResult,
) -> Result<usize, Failure> {
    let mut count = 0;
    for n in 0..=msg.len() {
        for sizes in compositions(n) {
            let data = &msg[..n];
            let events = chunks(data, &sizes);
            let mut trace = Trace::default();
            trace.log(describe_script(&events));
            if let Err(f) = case(&mut trace, data, events) {
                let f = f.note(format!(
                    "the split: the first {n} bytes in chunks of {sizes:?}"
                ));
                return Err(trace.replay(ctx, f));
            }
            count += 1;
        }
    }
    Ok(count)
}

/// A script of `data` in random chunks of 1..=`max_chunk` bytes, with an
/// `Interrupted` before about one chunk in `interrupt_every` (0: none).
fn random_script(
    rng: &mut Rng,
    data: &[u8],
    max_chunk: usize,
    interrupt_every: usize,
) -> Vec<ReadEvent> {
    let mut events = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if interrupt_every > 0 && rng.range(1, interrupt_every) == 1 {
            events.push(ReadEvent::Interrupted);
        }
        let n = rng.range(1, max_chunk).min(rest.len());
        events.push(yields(&rest[..n]));
        rest = &rest[n..];
    }
    events
}

/// The first few read calls a `Rio` made, for explanations.
fn show_calls(calls: &[ReadCall]) -> String {
    let shown: Vec<String> = calls
        .iter()
        .take(6)
        .map(|c| match c.got {
            Ok(n) => format!("read(buf of {}) -> {n}", c.asked),
            Err(k) => format!("read(buf of {}) -> Err({k:?})", c.asked),
        })
        .collect();
    let more = if calls.len() > 6 {
        format!(", ... ({} more)", calls.len() - 6)
    } else {
        String::new()
    };
    format!(
        "the Rio's reads of its inner reader: {}{more}",
        shown.join(", ")
    )
}

/// Fixed seeds, so that a failure reproduces; each failure names its seed.
const SEEDS: [u64; 4] = [0x5EED_0001, 0xC0FFEE, 20_240_917, 7];

/// 12 bytes, no two alike, with NUL, `\n`, 0xFF and `\r` among them.
const MSG: &[u8; 12] = b"ab\x00cd\nef\xffg\rh";

/// 12 bytes of lines: an empty line, CRLF, binary bytes, no final `\n`.
const LINES: &[u8; 12] = b"ab\n\ncd\r\n\x00\xff\ne";

// ---------------------------------------------------------------------------
// Step 1: readn
// ---------------------------------------------------------------------------

fn readn_every_split<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    // The classic short count first, step by step.
    let events = vec![yields(b"he"), yields(b"llo")];
    ctx.step(describe_script(&events));
    let mut r = ScriptedReader::new(events);
    run_ops(ctx, b"hello", [Op::Readn(5), Op::Readn(5)], 0, |_, buf| {
        I::readn(&mut r, buf)
    })?;

    ctx.step(format!(
        "every split of the first 0..=12 bytes of {} into chunks: readn(buf of n+5) until EOF, \
         then, on a new reader, readn(buf of 5) until EOF",
        show_bytes(MSG)
    ));
    let count = every_split(ctx, MSG, |trace, data, events| {
        let mut r = ScriptedReader::new(events.clone());
        run_ops(
            trace,
            data,
            iter::repeat(Op::Readn(data.len() + 5)),
            1,
            |_, buf| I::readn(&mut r, buf),
        )?;
        trace.log("a new reader with the same chunks".to_string());
        let mut r = ScriptedReader::new(events);
        run_ops(trace, data, iter::repeat(Op::Readn(5)), 1, |_, buf| {
            I::readn(&mut r, buf)
        })
    })?;
    ctx.step(format!("all {count} splits  ok"));
    Ok(())
}

fn readn_random_splits<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    for (i, seed) in SEEDS.into_iter().enumerate() {
        let mut rng = Rng::new(seed);
        let len = rng.range(10_000, 40_000);
        let data = rng.bytes(len);
        let max_chunk = [100, 1, 3000, 20_000][i];
        let max_buf = [7, 100_000, 1000, 20_000][i];
        let events = random_script(&mut rng, &data, max_chunk, 6);
        let what = format!(
            "seed {seed:#x}: {} bytes in chunks of 1..={max_chunk} bytes, Err(Interrupted) before about one \
             chunk in 6; readn(buf of 1..={max_buf} bytes) until EOF",
            data.len()
        );
        let mut trace = Trace::default();
        trace.log(what.clone());
        let mut r = ScriptedReader::new(events);
        let ops = iter::from_fn(|| Some(Op::Readn(rng.range(1, max_buf))));
        if let Err(f) = run_ops(&mut trace, &data, ops, 1, |_, buf| I::readn(&mut r, buf)) {
            return Err(trace.replay(
                ctx,
                f.note(format!("seed {seed:#x} (fixed: the same run every time)")),
            ));
        }
        ctx.step(format!("{what}  ok"));
    }
    Ok(())
}

fn readn_interrupted_is_retried<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    use ReadEvent::Interrupted;
    let events = vec![
        Interrupted,
        yields(b"he"),
        Interrupted,
        Interrupted,
        yields(b"llo"),
        Interrupted,
    ];
    ctx.step(describe_script(&events));
    let mut r = ScriptedReader::new(events);
    run_ops(ctx, b"hello", [Op::Readn(5), Op::Readn(5)], 1, |_, buf| {
        I::readn(&mut r, buf)
    })?;

    ctx.step("every split of 8 bytes, Err(Interrupted) before every chunk and before EOF: readn(buf of 13)");
    let count = every_split(ctx, &MSG[..8], |trace, data, events| {
        let mut script: Vec<ReadEvent> =
            events.into_iter().flat_map(|e| [Interrupted, e]).collect();
        script.push(Interrupted);
        trace.log(format!(
            "with Err(Interrupted) between them: {}",
            describe_script(&script)
        ));
        let mut r = ScriptedReader::new(script);
        run_ops(trace, data, iter::repeat(Op::Readn(13)), 1, |_, buf| {
            I::readn(&mut r, buf)
        })
    })?;
    ctx.step(format!("all {count} splits  ok"));
    Ok(())
}

fn readn_eof<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    // EOF first: 0, and nothing after that EOF is read.
    let events = vec![ReadEvent::Eof, yields(b"late")];
    ctx.step(describe_script(&events));
    let mut r = ScriptedReader::new(events);
    run_ops(ctx, b"", [Op::Readn(8)], 0, |_, buf| I::readn(&mut r, buf))?;

    // EOF mid-way: exactly the bytes before it; the next call starts after it.
    let events = vec![yields(b"ab"), yields(b"c"), ReadEvent::Eof, yields(b"zzz")];
    ctx.step(describe_script(&events));
    let mut r = ScriptedReader::new(events);
    run_ops(ctx, b"abc", [Op::Readn(8)], 0, |_, buf| {
        I::readn(&mut r, buf)
    })?;
    ctx.step("readn again: the reader now yields b\"zzz\", then EOF");
    run_ops(ctx, b"zzz", [Op::Readn(8), Op::Readn(8)], 0, |_, buf| {
        I::readn(&mut r, buf)
    })?;

    // An empty buf: 0 at once, and the bytes are still there afterwards.
    let events = vec![yields(b"abc")];
    ctx.step(describe_script(&events));
    let mut r = ScriptedReader::new(events);
    run_ops(
        ctx,
        b"abc",
        [Op::Readn(0), Op::Readn(3), Op::Readn(3)],
        0,
        |_, buf| I::readn(&mut r, buf),
    )
}

fn readn_errors_are_returned<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    use ReadEvent::{Error, Interrupted};
    let cases = [
        (
            vec![Error(ErrorKind::ConnectionReset), yields(b"abc")],
            3,
            ErrorKind::ConnectionReset,
        ),
        (
            vec![yields(b"ab"), Error(ErrorKind::TimedOut), yields(b"cd")],
            4,
            ErrorKind::TimedOut,
        ),
        (
            vec![Interrupted, Error(ErrorKind::Other), yields(b"abcd")],
            4,
            ErrorKind::Other,
        ),
    ];
    for (events, len, kind) in cases {
        ctx.step(describe_script(&events));
        let mut r = ScriptedReader::new(events);
        expect_error(ctx, Op::Readn(len), kind, |buf| I::readn(&mut r, buf))?;
    }
    Ok(())
}

fn readn_tcp_dribble<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let text: Vec<u8> = (0..600u32)
        .map(|i| b"the quick brown fox\x00\xff\r\n"[i as usize % 23])
        .collect();
    let mut near = dribbling_peer(ctx, &text, 11)?;
    run_ops(ctx, &text, iter::repeat(Op::Readn(400)), 1, |_, buf| {
        I::readn(&mut near, buf)
    })
}

// ---------------------------------------------------------------------------
// Step 2: writen
// ---------------------------------------------------------------------------

/// Calls writen and checks that it succeeded and that the writer got `data`
/// (after `before`, bytes an earlier call wrote).
fn expect_written<I: Lab1>(
    ctx: &mut Ctx,
    w: &mut ScriptedWriter,
    before: &[u8],
    data: &[u8],
) -> CheckResult {
    ctx.step(format!("writen({} bytes {})", data.len(), show_bytes(data)));
    match I::writen(w, data) {
        Ok(()) => ctx.step("  -> Ok(())  ok"),
        Err(e) => {
            return Err(
                Failure::new("Ok(())", format!("Err({:?}): {e}", e.kind())).note(match e.kind() {
                    ErrorKind::Interrupted => {
                        "Err(Interrupted) means nothing was written yet: call write again"
                    }
                    ErrorKind::WriteZero => {
                        "the writer never returned Ok(0) here: only a write of Ok(0) is WriteZero"
                    }
                    _ => "the writer returned no such error: writen should have succeeded",
                }),
            );
        }
    }
    let want = [before, data].concat();
    ctx.expect_bytes("the bytes the writer got", &want, &w.written).map_err(|f| {
        f.note(format!("write was called {} times", w.writes)).note(
            "write may take fewer bytes than given (a short count): writen must call it again with the rest, \
             until every byte is written",
        )
    })
}

fn writen_short_writes<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let mut rng = Rng::new(SEEDS[0]);
    let data = rng.bytes(10_000);
    for k in [1, 2, 3, 7, 1000, 4096, 1 << 20] {
        ctx.step(format!(
            "a writer that takes at most {k} bytes per write call"
        ));
        expect_written::<I>(ctx, &mut ScriptedWriter::accepting(k), b"", &data)?;
    }
    let script: Vec<WriteEvent> = (0..400)
        .map(|_| WriteEvent::Accept(rng.range(1, 50)))
        .collect();
    ctx.step(format!(
        "a writer that takes 1..=50 bytes per call at random (seed {:#x})",
        SEEDS[0]
    ));
    expect_written::<I>(
        ctx,
        &mut ScriptedWriter::new(script, WriteEvent::Accept(64)),
        b"",
        &data,
    )?;

    ctx.step("a writer that takes at most 4 bytes per call; two writen calls in a row");
    let mut w = ScriptedWriter::accepting(4);
    expect_written::<I>(ctx, &mut w, b"", b"hello ")?;
    expect_written::<I>(ctx, &mut w, b"hello ", b"world\n")
}

fn writen_interrupted_is_retried<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    use WriteEvent::{Accept, Interrupted};
    let script = [
        Interrupted,
        Accept(2),
        Interrupted,
        Interrupted,
        Accept(1),
        Interrupted,
    ];
    ctx.step("a writer that answers: Err(Interrupted), takes 2 bytes, Err(Interrupted) twice, takes 1 byte, \
              Err(Interrupted), then takes 3 bytes a call");
    expect_written::<I>(
        ctx,
        &mut ScriptedWriter::new(script, Accept(3)),
        b"",
        b"hello, world\n",
    )
}

/// How many `Ok(0)` a writer returns before it gives up with `Err(Other)`,
/// so that a `writen` that spins is reported instead of timing out.
const SPIN_LIMIT: usize = 10_000;

fn writen_write_zero<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    for accepted in [3, 0] {
        let script = iter::once(WriteEvent::Accept(accepted))
            .chain(iter::repeat_n(WriteEvent::Accept(0), SPIN_LIMIT));
        let mut w = ScriptedWriter::new(script, WriteEvent::Error(ErrorKind::Other));
        ctx.step(format!(
            "a writer that takes {accepted} bytes, then returns Ok(0) on every call \
             (the check gives up after {SPIN_LIMIT} calls)"
        ));
        ctx.step("writen(5 bytes b\"hello\")");
        let expected = "Err(WriteZero), right after the first Ok(0)";
        let hint = "Ok(0) from write means it will never take more: return ErrorKind::WriteZero instead of trying again";
        match I::writen(&mut w, b"hello") {
            Err(e) if e.kind() == ErrorKind::WriteZero => {
                ctx.step(format!(
                    "  -> Err(WriteZero) after {} write calls  ok",
                    w.writes
                ));
            }
            Err(_) if w.writes > SPIN_LIMIT => {
                return Err(Failure::new(
                    expected,
                    format!(
                        "writen spun: it called write {} times although write returned Ok(0)",
                        w.writes
                    ),
                )
                .note(hint));
            }
            Ok(()) => {
                let observed = format!(
                    "Ok(()) although the writer took only {} of 5 bytes",
                    w.written.len()
                );
                return Err(Failure::new(expected, observed).note(hint));
            }
            Err(e) => {
                return Err(Failure::new(expected, format!("Err({:?}): {e}", e.kind())).note(hint));
            }
        }
    }
    Ok(())
}

fn writen_errors_are_returned<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    use WriteEvent::{Accept, Error, Interrupted};
    let cases = [
        (
            vec![Error(ErrorKind::BrokenPipe)],
            ErrorKind::BrokenPipe,
            "fails with BrokenPipe",
        ),
        (
            vec![Accept(2), Error(ErrorKind::ConnectionReset)],
            ErrorKind::ConnectionReset,
            "takes 2 bytes, then fails with ConnectionReset",
        ),
        (
            vec![Interrupted, Error(ErrorKind::Other)],
            ErrorKind::Other,
            "returns Err(Interrupted), then fails with Other",
        ),
    ];
    for (script, kind, how) in cases {
        ctx.step(format!("a writer that {how}, then takes every byte"));
        let mut w = ScriptedWriter::new(script, Accept(usize::MAX));
        ctx.step("writen(5 bytes b\"hello\")");
        match I::writen(&mut w, b"hello") {
            Err(e) if e.kind() == kind => ctx.step(format!("  -> Err({kind:?})  ok")),
            Err(e) => {
                return Err(Failure::new(
                    format!("Err({kind:?})"),
                    format!("Err({:?}): {e}", e.kind()),
                ));
            }
            Ok(()) => {
                return Err(Failure::new(format!("Err({kind:?})"), "Ok(())").note(
                    "an error other than Interrupted must be returned at once, not retried or ignored",
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 3: the Rio buffer
// ---------------------------------------------------------------------------

/// Checks that every read of the inner reader asked for `RIO_BUFSIZE` bytes.
fn expect_full_asks(ctx: &mut Ctx, calls: &[ReadCall]) -> CheckResult {
    match calls.iter().position(|c| c.asked != RIO_BUFSIZE) {
        None => {
            ctx.step(format!(
                "every read of the inner reader asked for {RIO_BUFSIZE} bytes  ok"
            ));
            Ok(())
        }
        Some(i) => {
            ctx.step("the sizes the Rio asked its inner reader for");
            Err(Failure::new(
                format!("every read asks for RIO_BUFSIZE = {RIO_BUFSIZE} bytes"),
                format!("read number {} asked for {} bytes", i + 1, calls[i].asked),
            )
            .note(show_calls(calls))
            .note("refill only when the buffer is empty, and then ask for a whole buffer"))
        }
    }
}

/// Checks how many times the Rio has read its inner reader so far.
fn expect_reads(ctx: &mut Ctx, calls: &[ReadCall], want: usize, why: &str) -> CheckResult {
    if calls.len() == want {
        ctx.step(format!("the inner reader was read {want} times so far  ok"));
        return Ok(());
    }
    ctx.step("count the reads of the inner reader");
    Err(Failure::new(
        format!("{want} reads so far ({why})"),
        format!("{} reads", calls.len()),
    )
    .note(show_calls(calls)))
}

fn buffer_few_reads_for_many_lines<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let mut text = Vec::new();
    for i in 0..3000 {
        let line = if i % 7 == 0 {
            "\n".to_string()
        } else {
            format!("line {i}\n")
        };
        text.extend_from_slice(line.as_bytes());
    }
    let max_reads = text.len().div_ceil(RIO_BUFSIZE) + 1;
    ctx.step(format!(
        "reader holds {} bytes of 3000 short lines (each read gets as many bytes as it asks for)",
        text.len()
    ));
    let mut rio = I::Rio::new(ScriptedReader::new([yields(&text)]));
    ctx.step("readlineb(buf of 64 bytes) until EOF");
    let mut trace = Trace::default();
    run_ops(
        &mut trace,
        &text,
        iter::repeat(Op::Readlineb(64)),
        0,
        |_, buf| rio.readlineb(buf),
    )
    .map_err(|f| trace.replay(ctx, f))?;
    ctx.step("every line right  ok");
    let calls = rio.get_ref().calls.clone();
    expect_full_asks(ctx, &calls)?;
    if calls.len() > max_reads {
        ctx.step("count the reads of the inner reader");
        return Err(Failure::new(
            format!(
                "at most ceil({} / {RIO_BUFSIZE}) + 1 = {max_reads} reads",
                text.len()
            ),
            format!("{} reads", calls.len()),
        )
        .note(show_calls(&calls))
        .note(
            "buffering is the point of Rio: read a whole buffer at once, then serve lines from it",
        ));
    }
    ctx.step(format!(
        "{} reads of the inner reader (at most {max_reads})  ok",
        calls.len()
    ));
    Ok(())
}

fn buffer_reads_only_when_empty<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let events = vec![
        yields(b"one\ntwo\n"),
        yields(b"thr"),
        yields(b"ee\nfo"),
        yields(b"ur\n"),
    ];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    let call = |rio: &mut I::Rio<ScriptedReader>, ctx: &mut Ctx, want: &[u8]| {
        run_ops(ctx, want, [Op::Readlineb(64)], 0, |_, buf| {
            rio.readlineb(buf)
        })
    };
    call(&mut rio, ctx, b"one\n")?;
    expect_reads(ctx, &rio.get_ref().calls, 1, "the buffer was empty")?;
    call(&mut rio, ctx, b"two\n")?;
    expect_reads(
        ctx,
        &rio.get_ref().calls,
        1,
        "b\"two\\n\" was buffered: no read needed",
    )?;
    call(&mut rio, ctx, b"three\n")?;
    expect_reads(
        ctx,
        &rio.get_ref().calls,
        3,
        "empty buffer before b\"thr\" and before b\"ee\\nfo\"",
    )?;
    call(&mut rio, ctx, b"four\n")?;
    expect_reads(
        ctx,
        &rio.get_ref().calls,
        4,
        "b\"fo\" was buffered, then the buffer was empty",
    )?;
    let calls = rio.get_ref().calls.clone();
    expect_full_asks(ctx, &calls)
}

fn buffer_shows_unread_bytes<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let events = vec![yields(b"ab\ncd\nef")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    let expect_buffer = |ctx: &mut Ctx, rio: &I::Rio<ScriptedReader>, want: &[u8]| {
        ctx.expect_bytes("buffer()", want, rio.buffer())
            .map_err(|f| {
                f.note("buffer() is the bytes read from the inner reader and not yet returned")
            })
    };
    expect_buffer(ctx, &rio, b"")?;
    let steps: [(Op, &[u8], &[u8]); 4] = [
        (Op::Readlineb(64), b"ab\n", b"cd\nef"),
        (Op::Readlineb(1), b"c", b"d\nef"),
        (Op::Readlineb(64), b"d\n", b"ef"),
        (Op::Readlineb(64), b"ef", b""),
    ];
    for (op, want, buffered) in steps {
        run_ops(ctx, want, [op], 0, |_, buf| rio.readlineb(buf))?;
        expect_buffer(ctx, &rio, buffered)?;
    }
    Ok(())
}

fn buffer_inner_reader_access<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    ctx.step("a stream whose reader yields b\"ping\\n\" and whose writer takes every byte");
    let stream = ScriptedStream {
        reader: ScriptedReader::new([yields(b"ping\n")]),
        writer: ScriptedWriter::accepting(usize::MAX),
    };
    let mut rio = I::Rio::new(stream);
    let reads = rio.get_ref().reader.reads();
    ctx.expect_eq("Rio::new: reads of the inner reader", 0, reads).map_err(|f| {
        f.note("Rio::new must not read: a server would block in it before the client says anything")
    })?;
    run_ops(ctx, b"ping\n", [Op::Readlineb(64)], 0, |_, buf| {
        rio.readlineb(buf)
    })?;
    ctx.expect_eq(
        "get_ref(): reads of the inner reader",
        1,
        rio.get_ref().reader.reads(),
    )?;
    ctx.step("write b\"pong\\n\" through get_mut() (write_all)");
    rio.get_mut()
        .write_all(b"pong\n")
        .map_err(|e| Failure::new("Ok(())", format!("Err({:?}): {e}", e.kind())))?;
    ctx.expect_bytes(
        "get_ref(): the bytes its writer got",
        b"pong\n",
        &rio.get_ref().writer.written,
    )?;
    let stream = rio.into_inner();
    ctx.expect_eq(
        "into_inner(): reads of the reader it gives back",
        1,
        stream.reader.reads(),
    )?;
    ctx.expect_bytes(
        "into_inner(): the bytes its writer got",
        b"pong\n",
        &stream.writer.written,
    )
}

// ---------------------------------------------------------------------------
// Step 4: readlineb
// ---------------------------------------------------------------------------

/// `rio.readlineb` or `rio.readnb`, as `op` says: the `call` of [`run_ops`].
fn line_call<T: RioReads>(rio: &mut T) -> impl FnMut(Op, &mut [u8]) -> io::Result<usize> + '_ {
    |op, buf| match op {
        Op::Readlineb(_) => rio.readlineb(buf),
        _ => rio.readnb(buf),
    }
}

fn readlineb_every_split<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    // The handout's example first, step by step.
    let events = vec![yields(b"he"), yields(b"llo\nwo")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(
        ctx,
        b"hello\nwo",
        iter::repeat(Op::Readlineb(64)),
        1,
        line_call(&mut rio),
    )?;

    ctx.step(format!(
        "every split of the first 0..=12 bytes of {} into chunks: readlineb(buf of 64) until EOF, \
         then, on a new Rio, readlineb(buf of 3) until EOF",
        show_bytes(LINES)
    ));
    let count = every_split(ctx, LINES, |trace, data, events| {
        let mut rio = I::Rio::new(ScriptedReader::new(events.clone()));
        run_ops(
            trace,
            data,
            iter::repeat(Op::Readlineb(64)),
            1,
            line_call(&mut rio),
        )?;
        trace.log("a new Rio on a reader with the same chunks".to_string());
        let mut rio = I::Rio::new(ScriptedReader::new(events));
        run_ops(
            trace,
            data,
            iter::repeat(Op::Readlineb(3)),
            1,
            line_call(&mut rio),
        )
    })?;
    ctx.step(format!("all {count} splits  ok"));
    Ok(())
}

fn readlineb_eof<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let cases: [(&str, Vec<ReadEvent>, &[u8]); 3] = [
        ("nothing at all", vec![], b""),
        (
            "empty lines only",
            vec![yields(b"\n\n"), yields(b"\n")],
            b"\n\n\n",
        ),
        (
            "a last line without \\n",
            vec![yields(b"abc\nx"), yields(b"yz")],
            b"abc\nxyz",
        ),
    ];
    for (what, events, text) in cases {
        ctx.step(format!("{what}: {}", describe_script(&events)));
        let mut rio = I::Rio::new(ScriptedReader::new(events));
        run_ops(
            ctx,
            text,
            iter::repeat(Op::Readlineb(64)),
            3,
            line_call(&mut rio),
        )?;
    }
    Ok(())
}

fn readlineb_long_lines<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    ctx.step("a buf of 1 byte: every line comes back one byte at a time");
    let events = vec![yields(b"ab\n"), yields(b"\nc")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(
        ctx,
        b"ab\n\nc",
        iter::repeat(Op::Readlineb(1)),
        1,
        line_call(&mut rio),
    )?;

    // A 20000-byte line, longer than the Rio's buffer, then a short one.
    let mut rng = Rng::new(SEEDS[1]);
    let mut text: Vec<u8> = rng
        .bytes(20_000)
        .into_iter()
        .map(|b| if b == b'\n' { b'.' } else { b })
        .collect();
    text.extend_from_slice(b"\nend\n");
    for (len, sizes) in [
        (30_000, vec![text.len()]),
        (30_000, vec![5000; 5]),
        (7000, vec![9000; 3]),
    ] {
        let events = chunks(&text, &sizes);
        ctx.step(format!(
            "a line of 20000 bytes (seed {:#x}), then b\"end\\n\"; {}",
            SEEDS[1],
            describe_script(&events)
        ));
        ctx.step(format!(
            "readlineb(buf of {len} bytes) until EOF: pieces as big as buf allows"
        ));
        let mut rio = I::Rio::new(ScriptedReader::new(events));
        let mut trace = Trace::default();
        run_ops(&mut trace, &text, iter::repeat(Op::Readlineb(len)), 1, line_call(&mut rio)).map_err(|f| {
            trace.replay(ctx, f).note(
                "readlineb copies until the \\n, a full buf, or EOF, refilling its buffer as often as needed: \
                 a line longer than RIO_BUFSIZE still comes back whole if buf is big enough",
            )
        })?;
        ctx.step("every piece right  ok");
    }
    Ok(())
}

fn readlineb_binary_bytes<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let mut text: Vec<u8> = (0..=255u8).filter(|&b| b != b'\n').collect();
    text.extend_from_slice(b"\n\x00\x00\r\n\xff\xfe\n\r\r\n");
    let events = chunks(&text, &[100, 1, 200]);
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(
        ctx,
        &text,
        iter::repeat(Op::Readlineb(300)),
        1,
        line_call(&mut rio),
    )
}

fn readlineb_interrupted_is_retried<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    use ReadEvent::Interrupted;
    let events = vec![
        Interrupted,
        yields(b"ab"),
        Interrupted,
        yields(b"c\nd"),
        Interrupted,
        Interrupted,
        yields(b"e\n"),
        Interrupted,
    ];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(
        ctx,
        b"abc\nde\n",
        iter::repeat(Op::Readlineb(64)),
        1,
        line_call(&mut rio),
    )
}

fn readlineb_errors_keep_bytes<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    use ReadEvent::Error;
    let reset = ErrorKind::ConnectionReset;
    // Nothing buffered when the reader fails: the error comes back at once.
    let events = vec![yields(b"ab\n"), Error(reset), yields(b"cd\n")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(ctx, b"ab\n", [Op::Readlineb(64)], 0, line_call(&mut rio))?;
    expect_error(ctx, Op::Readlineb(64), reset, |buf| rio.readlineb(buf))?;
    ctx.step("the reader now yields b\"cd\\n\", then EOF");
    run_ops(
        ctx,
        b"cd\n",
        iter::repeat(Op::Readlineb(64)),
        0,
        line_call(&mut rio),
    )?;

    // b"cd" buffered when the reader fails: the contract lets the error come
    // before or after those bytes, but they must come.
    let events = vec![yields(b"ab\ncd"), Error(reset), yields(b"ef\n")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(ctx, b"ab\n", [Op::Readlineb(64)], 0, line_call(&mut rio))?;
    let (got, errors) = collect_until_eof(ctx, Op::Readlineb(64), line_call(&mut rio))?;
    expect_error_among(errors, reset)?;
    ctx.expect_bytes("the bytes of all those calls", b"cdef\n", &got).map_err(|f| {
        f.note(
            "b\"cd\" was in the Rio's buffer when the reader failed: a byte the Rio buffered is never lost \
             (return it before the error and report the error on the next call, or keep it buffered)",
        )
    })
}

/// Calls `op` until it returns 0 (at most 8 calls), recording each result;
/// returns the bytes and the error kinds seen, in order.
fn collect_until_eof(
    ctx: &mut Ctx,
    op: Op,
    mut call: impl FnMut(Op, &mut [u8]) -> io::Result<usize>,
) -> Result<(Vec<u8>, Vec<ErrorKind>), Failure> {
    ctx.step(format!("{op} until it returns 0 (at most 8 calls)"));
    let (mut got, mut errors) = (Vec::new(), Vec::new());
    let mut buf = vec![0u8; op.len()];
    for _ in 0..8 {
        match call(op, &mut buf) {
            Ok(0) => {
                ctx.step("  -> 0 (EOF)");
                return Ok((got, errors));
            }
            Ok(n) => {
                let piece = buf.get(..n).ok_or_else(|| {
                    Failure::new(format!("at most Ok({})", op.len()), format!("Ok({n})"))
                })?;
                ctx.step(format!("  -> {}", show_result(piece)));
                got.extend_from_slice(piece);
            }
            Err(e) => {
                ctx.step(format!("  -> Err({:?})", e.kind()));
                errors.push(e.kind());
            }
        }
    }
    Err(Failure::new(
        "Ok(0) once the bytes and the error are returned",
        "no 0 after 8 calls",
    ))
}

/// Checks that the errors seen are `kind`, at least once.
fn expect_error_among(errors: Vec<ErrorKind>, kind: ErrorKind) -> CheckResult {
    if errors.is_empty() || errors.iter().any(|&k| k != kind) {
        return Err(Failure::new(format!("one Err({kind:?}) among the results"), format!("errors: {errors:?}"))
            .note(format!(
                "the reader failed once with {kind:?}: an error other than Interrupted must be returned \
                 (before or after the bytes read before it)"
            )));
    }
    Ok(())
}

fn readlineb_tcp_dribble<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let mut text = Vec::new();
    for i in 0..24 {
        let line = match i % 4 {
            0 => "\n".to_string(),
            1 => format!("line {i} says hello\r\n"),
            2 => format!("{}\x00\u{ff}\n", "x".repeat(i)),
            _ => format!("{i}\n"),
        };
        text.extend_from_slice(line.as_bytes());
    }
    text.extend_from_slice(b"last line, no newline");
    let near = dribbling_peer(ctx, &text, 12)?;
    let mut rio = I::Rio::new(near);
    run_ops(
        ctx,
        &text,
        iter::repeat(Op::Readlineb(64)),
        1,
        line_call(&mut rio),
    )
}

// ---------------------------------------------------------------------------
// Step 5: readnb
// ---------------------------------------------------------------------------

fn readnb_every_split<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let events = vec![yields(b"he"), yields(b"llo")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(
        ctx,
        b"hello",
        [Op::Readnb(5), Op::Readnb(5)],
        1,
        line_call(&mut rio),
    )?;

    ctx.step(format!(
        "every split of the first 0..=12 bytes of {} into chunks: readnb(buf of n+5) until EOF, \
         then, on a new Rio, readnb(buf of 5) until EOF",
        show_bytes(MSG)
    ));
    let count = every_split(ctx, MSG, |trace, data, events| {
        let mut rio = I::Rio::new(ScriptedReader::new(events.clone()));
        run_ops(
            trace,
            data,
            iter::repeat(Op::Readnb(data.len() + 5)),
            1,
            line_call(&mut rio),
        )?;
        trace.log("a new Rio on a reader with the same chunks".to_string());
        let mut rio = I::Rio::new(ScriptedReader::new(events));
        run_ops(
            trace,
            data,
            iter::repeat(Op::Readnb(5)),
            1,
            line_call(&mut rio),
        )
    })?;
    ctx.step(format!("all {count} splits  ok"));
    Ok(())
}

fn readnb_eof_interrupted_errors<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    use ReadEvent::{Eof, Error, Interrupted};
    // EOF first: 0, and nothing after that EOF is read.
    let events = vec![Eof, yields(b"late")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(ctx, b"", [Op::Readnb(8)], 0, line_call(&mut rio))?;

    // EOF mid-way: exactly the bytes before it. (Whether a Rio reads on
    // after an EOF is not in the contract, so nothing here depends on it.)
    let events = vec![yields(b"ab"), yields(b"c"), Eof, yields(b"zzz")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(ctx, b"abc", [Op::Readnb(8)], 0, line_call(&mut rio))?;

    let events = vec![
        Interrupted,
        yields(b"ab"),
        Interrupted,
        Interrupted,
        yields(b"cd"),
        Interrupted,
    ];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(
        ctx,
        b"abcd",
        iter::repeat(Op::Readnb(8)),
        1,
        line_call(&mut rio),
    )?;

    ctx.step("an empty buf");
    let mut rio = I::Rio::new(ScriptedReader::new([yields(b"abc")]));
    run_ops(
        ctx,
        b"abc",
        [Op::Readnb(0), Op::Readnb(3), Op::Readnb(3)],
        0,
        line_call(&mut rio),
    )?;

    // Nothing buffered when the reader fails: the error comes back at once.
    let events = vec![Error(ErrorKind::ConnectionReset), yields(b"ab")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    let reset = ErrorKind::ConnectionReset;
    expect_error(ctx, Op::Readnb(4), reset, |buf| rio.readnb(buf))?;
    ctx.step("the reader now yields b\"ab\", then EOF");
    run_ops(
        ctx,
        b"ab",
        [Op::Readnb(4), Op::Readnb(4)],
        0,
        line_call(&mut rio),
    )?;

    // b"cd" buffered when the reader fails. readnb is "like readn", which
    // returns the error and loses the count; the contract promises no more
    // for readnb than that the error is returned and the bytes after it come.
    let events = vec![yields(b"ab\ncd"), Error(ErrorKind::TimedOut), yields(b"ef")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(ctx, b"ab\n", [Op::Readlineb(64)], 0, line_call(&mut rio))?;
    let (got, errors) = collect_until_eof(ctx, Op::Readnb(4), line_call(&mut rio))?;
    expect_error_among(errors, ErrorKind::TimedOut)?;
    let fine = [&b"cdef"[..], b"ef"];
    ctx.expect(
        format!("the bytes of all those calls: {}", show_bytes(&got)),
        fine.contains(&got.as_slice()),
        "b\"cdef\" (or, at worst, the bytes after the error: b\"ef\")",
        show_bytes(&got),
    )
}

fn readnb_mixed_with_readlineb<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    // A header line, then a body of known length: the reason readnb exists.
    let events = vec![yields(b"3\nab"), yields(b"cde")];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    let ops = [
        Op::Readlineb(8),
        Op::Readnb(3),
        Op::Readnb(8),
        Op::Readlineb(8),
    ];
    let mixed = "readlineb and readnb share one buffer: what one left there is what the other returns first";
    run_ops(ctx, b"3\nabcde", ops, 1, line_call(&mut rio)).map_err(|f| f.note(mixed))?;

    let pattern = [
        Op::Readlineb(64),
        Op::Readnb(2),
        Op::Readlineb(3),
        Op::Readnb(1),
    ];
    ctx.step(format!(
        "every split of the first 0..=12 bytes of {}: readlineb(64), readnb(2), readlineb(3), readnb(1), ... until EOF",
        show_bytes(LINES)
    ));
    let count = every_split(ctx, LINES, |trace, data, events| {
        let mut rio = I::Rio::new(ScriptedReader::new(events));
        run_ops(
            trace,
            data,
            pattern.iter().copied().cycle(),
            1,
            line_call(&mut rio),
        )
        .map_err(|f| f.note(mixed))
    })?;
    ctx.step(format!("all {count} splits  ok"));

    for (i, seed) in SEEDS.into_iter().enumerate() {
        let mut rng = Rng::new(seed);
        let text: Vec<u8> = (0..rng.range(5_000, 30_000))
            .map(|_| {
                if rng.range(0, 15) == 0 {
                    b'\n'
                } else {
                    rng.next_u64() as u8
                }
            })
            .collect();
        let max_chunk = [20_000, 1, 50, 3000][i];
        let max_nb = [10_000, 3, 300, 20_000][i];
        let events = random_script(&mut rng, &text, max_chunk, 8);
        let what = format!(
            "seed {seed:#x}: {} bytes in chunks of 1..={max_chunk}, some Err(Interrupted); \
             readlineb(buf of 1..=100) and readnb(buf of 1..={max_nb}) at random until EOF",
            text.len()
        );
        let mut trace = Trace::default();
        trace.log(what.clone());
        let mut rio = I::Rio::new(ScriptedReader::new(events));
        let ops = iter::from_fn(|| {
            Some(if rng.range(0, 1) == 0 {
                Op::Readlineb(rng.range(1, 100))
            } else {
                Op::Readnb(rng.range(1, max_nb))
            })
        });
        if let Err(f) = run_ops(&mut trace, &text, ops, 1, line_call(&mut rio)) {
            return Err(trace.replay(
                ctx,
                f.note(mixed)
                    .note(format!("seed {seed:#x} (fixed: the same run every time)")),
            ));
        }
        ctx.step(format!("{what}  ok"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// A real socket whose peer dribbles
// ---------------------------------------------------------------------------

/// A loopback connection whose far end writes `text` 1 to 3 bytes at a time
/// (random sizes from `seed`), then closes. Returns the near end, with a
/// read timeout so that a read that waits for bytes never sent fails
/// cleanly before the check's deadline.
fn dribbling_peer(ctx: &mut Ctx, text: &[u8], seed: u64) -> Result<TcpStream, Failure> {
    let setup =
        |what: &str, e: io::Error| Failure::new(format!("{what} to work"), format!("{what}: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| setup("bind 127.0.0.1:0", e))?;
    let addr = listener.local_addr().map_err(|e| setup("local_addr", e))?;
    let wait = ctx
        .budget(Duration::from_secs(5))
        .max(Duration::from_millis(100));
    let near = TcpStream::connect_timeout(&addr, wait).map_err(|e| setup("connect", e))?;
    // connect has completed, so the connection is queued: accept returns at once.
    let (far, _) = listener.accept().map_err(|e| setup("accept", e))?;
    near.set_read_timeout(Some(wait))
        .map_err(|e| setup("set_read_timeout", e))?;
    far.set_nodelay(true).map_err(|e| setup("set_nodelay", e))?;
    ctx.step(format!(
        "a peer on {addr} writes {} bytes, 1 to 3 bytes at a time about 0.2 ms apart (seed {seed}), then closes; \
         reads time out after {} s",
        text.len(),
        wait.as_secs()
    ));
    let text = text.to_vec();
    thread::spawn(move || dribble(far, &text, seed));
    Ok(near)
}

fn dribble(mut far: TcpStream, text: &[u8], seed: u64) {
    let mut rng = Rng::new(seed);
    let mut rest = text;
    while !rest.is_empty() {
        let n = rng.range(1, 3).min(rest.len());
        if far.write_all(&rest[..n]).is_err() {
            return; // the check stopped reading: it has failed already
        }
        rest = &rest[n..];
        // Pacing, not synchronisation: spreads the bytes over many segments
        // so that the reader sees short counts. No result depends on timing.
        thread::sleep(Duration::from_micros(200));
    }
}

// ---------------------------------------------------------------------------
// The checks against broken variants of the reference
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    //! Each classic bug, written into a copy of the reference, must fail the
    //! check that names it; the faithful copy (bug 0) must pass every check.

    use super::*;

    // readn bugs
    const ONE_READ: u8 = 1;
    const READN_INTERRUPTED_IS_ERROR: u8 = 2;
    const ERROR_AS_EOF: u8 = 3;
    const PAST_EOF: u8 = 4;

    fn buggy_readn(bug: u8, r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
        let mut nread = 0;
        let mut zeros = 0;
        while nread < buf.len() {
            match r.read(&mut buf[nread..]) {
                Ok(0) if bug == PAST_EOF && zeros == 0 => zeros += 1,
                Ok(0) => break,
                Ok(n) => {
                    nread += n;
                    if bug == ONE_READ {
                        break;
                    }
                }
                Err(e)
                    if e.kind() == ErrorKind::Interrupted && bug != READN_INTERRUPTED_IS_ERROR => {}
                Err(_) if bug == ERROR_AS_EOF => break,
                Err(e) => return Err(e),
            }
        }
        Ok(nread)
    }

    // writen bugs
    const SINGLE_WRITE: u8 = 1;
    const SPINS_ON_ZERO: u8 = 2;
    const WRITEN_INTERRUPTED_IS_ERROR: u8 = 3;
    const RESTARTS_FROM_START: u8 = 4;
    const ZERO_IS_DONE: u8 = 5;
    const ERROR_IS_DONE: u8 = 6;

    fn buggy_writen(bug: u8, w: &mut dyn Write, buf: &[u8]) -> io::Result<()> {
        let mut done = 0;
        while done < buf.len() {
            let rest = if bug == RESTARTS_FROM_START {
                buf
            } else {
                &buf[done..]
            };
            match w.write(rest) {
                Ok(0) if bug == SPINS_ON_ZERO => {}
                Ok(0) if bug == ZERO_IS_DONE => return Ok(()),
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    done += n;
                    if bug == SINGLE_WRITE {
                        return Ok(());
                    }
                }
                Err(e)
                    if e.kind() == ErrorKind::Interrupted && bug != WRITEN_INTERRUPTED_IS_ERROR => {
                }
                Err(_) if bug == ERROR_IS_DONE => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    // Rio bugs
    const DROPS_NEWLINE: u8 = 1;
    const LOSES_REST_AFTER_LINE: u8 = 2;
    const READS_EVERY_CALL: u8 = 3;
    const ASKS_1024: u8 = 4;
    const ZERO_ON_EMPTY_LINE: u8 = 5;
    const READNB_BYPASSES_BUFFER: u8 = 6;
    const RIO_INTERRUPTED_IS_ERROR: u8 = 7;
    const LOSES_BYTES_ON_ERROR: u8 = 8;
    const PIECE_PER_REFILL: u8 = 9;
    const STALE_AFTER_EOF: u8 = 10;
    const BUFFER_SHOWS_ALL: u8 = 11;
    const READS_IN_NEW: u8 = 12;

    /// A copy of the reference `Rio`, with bug `BUG` (0: none).
    struct BuggyRio<R, const BUG: u8> {
        inner: R,
        buf: Vec<u8>,
        pos: usize,
        end: usize,
        deferred: Option<io::Error>,
    }

    impl<R: Read, const BUG: u8> BuggyRio<R, BUG> {
        /// Reads into the free space after `end`, retrying Interrupted.
        fn read_more(&mut self) -> io::Result<usize> {
            let ask = if BUG == ASKS_1024 {
                1024
            } else {
                RIO_BUFSIZE - self.end
            };
            loop {
                match self.inner.read(&mut self.buf[self.end..self.end + ask]) {
                    Ok(n) => return Ok(n),
                    Err(e)
                        if e.kind() == ErrorKind::Interrupted
                            && BUG != RIO_INTERRUPTED_IS_ERROR => {}
                    Err(e) => return Err(e),
                }
            }
        }

        fn fill(&mut self) -> io::Result<&[u8]> {
            if let Some(e) = self.deferred.take() {
                return Err(e);
            }
            if self.pos == self.end {
                let old_end = self.end;
                (self.pos, self.end) = (0, 0);
                let n = self.read_more()?;
                // the bug: at EOF, the old bytes come back into view
                self.end = if n == 0 && BUG == STALE_AFTER_EOF {
                    old_end
                } else {
                    n
                };
            }
            Ok(&self.buf[self.pos..self.end])
        }
    }

    impl<R: Read, const BUG: u8> RioReads for BuggyRio<R, BUG> {
        fn readlineb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if BUG == READS_EVERY_CALL && self.pos < self.end {
                // compact, then read more: blocks a server whose client
                // sent two lines and waits for the answers
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
                let n = self.read_more()?;
                self.end += n;
            }
            let mut copied = 0;
            while copied < buf.len() {
                let available = match self.fill() {
                    Ok(available) => available,
                    Err(e) if copied > 0 && BUG != LOSES_BYTES_ON_ERROR => {
                        self.deferred = Some(e);
                        break;
                    }
                    Err(e) => return Err(e),
                };
                if available.is_empty() {
                    break;
                }
                let room = available.len().min(buf.len() - copied);
                let (take, found) = match available[..room].iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (room, false),
                };
                buf[copied..copied + take].copy_from_slice(&available[..take]);
                self.pos += take;
                copied += take;
                if found {
                    if BUG == LOSES_REST_AFTER_LINE {
                        self.pos = self.end;
                    }
                    if BUG == DROPS_NEWLINE {
                        copied -= 1;
                    }
                    if BUG == ZERO_ON_EMPTY_LINE && copied == 1 {
                        return Ok(0);
                    }
                    break;
                }
                if BUG == PIECE_PER_REFILL {
                    break;
                }
            }
            Ok(copied)
        }

        fn readnb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if BUG == READNB_BYPASSES_BUFFER {
                return buggy_readn(0, &mut self.inner, buf);
            }
            let mut copied = 0;
            while copied < buf.len() {
                let available = match self.fill() {
                    Ok(available) => available,
                    Err(e) if copied > 0 => {
                        self.deferred = Some(e);
                        break;
                    }
                    Err(e) => return Err(e),
                };
                if available.is_empty() {
                    break;
                }
                let take = available.len().min(buf.len() - copied);
                buf[copied..copied + take].copy_from_slice(&available[..take]);
                self.pos += take;
                copied += take;
            }
            Ok(copied)
        }

        fn buffer(&self) -> &[u8] {
            if BUG == BUFFER_SHOWS_ALL {
                &self.buf[..self.end]
            } else {
                &self.buf[self.pos..self.end]
            }
        }
    }

    impl<R: Read, const BUG: u8> RioApi<R> for BuggyRio<R, BUG> {
        fn new(mut inner: R) -> Self {
            let mut buf = vec![0; RIO_BUFSIZE];
            let end = if BUG == READS_IN_NEW {
                inner.read(&mut buf).unwrap_or(0)
            } else {
                0
            };
            BuggyRio {
                inner,
                buf,
                pos: 0,
                end,
                deferred: None,
            }
        }
        fn get_ref(&self) -> &R {
            &self.inner
        }
        fn get_mut(&mut self) -> &mut R {
            &mut self.inner
        }
        fn into_inner(self) -> R {
            self.inner
        }
    }

    /// The reference with the readn bug `N`, the writen bug `W` and the Rio
    /// bug `R` (0: none).
    struct Variant<const N: u8, const W: u8, const R: u8>;

    impl<const N: u8, const W: u8, const R: u8> Lab1 for Variant<N, W, R> {
        type Rio<T: Read> = BuggyRio<T, R>;
        fn readn(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
            buggy_readn(N, r, buf)
        }
        fn writen(w: &mut dyn Write, buf: &[u8]) -> io::Result<()> {
            buggy_writen(W, w, buf)
        }
    }

    type Checks = fn() -> Vec<Check>;

    /// Each bug, the variant that has it, and the checks that must catch it.
    const BUGS: &[(&str, Checks, &[&str])] = &[
        (
            "readn returns after one read",
            checks_for::<Variant<ONE_READ, 0, 0>>,
            &[
                "readn_every_split",
                "readn_random_splits",
                "readn_tcp_dribble",
            ],
        ),
        (
            "readn treats Interrupted as an error",
            checks_for::<Variant<READN_INTERRUPTED_IS_ERROR, 0, 0>>,
            &["readn_interrupted_is_retried", "readn_random_splits"],
        ),
        (
            "readn takes an error for EOF",
            checks_for::<Variant<ERROR_AS_EOF, 0, 0>>,
            &["readn_errors_are_returned"],
        ),
        (
            "readn reads on after EOF",
            checks_for::<Variant<PAST_EOF, 0, 0>>,
            &["readn_eof"],
        ),
        (
            "writen ignores short writes",
            checks_for::<Variant<0, SINGLE_WRITE, 0>>,
            &["writen_short_writes", "writen_interrupted_is_retried"],
        ),
        (
            "writen spins on Ok(0)",
            checks_for::<Variant<0, SPINS_ON_ZERO, 0>>,
            &["writen_write_zero"],
        ),
        (
            "writen treats Interrupted as an error",
            checks_for::<Variant<0, WRITEN_INTERRUPTED_IS_ERROR, 0>>,
            &["writen_interrupted_is_retried"],
        ),
        (
            "writen writes from the start again after a short write",
            checks_for::<Variant<0, RESTARTS_FROM_START, 0>>,
            &["writen_short_writes"],
        ),
        (
            "writen takes Ok(0) for done",
            checks_for::<Variant<0, ZERO_IS_DONE, 0>>,
            &["writen_write_zero"],
        ),
        (
            "writen ignores errors",
            checks_for::<Variant<0, ERROR_IS_DONE, 0>>,
            &["writen_errors_are_returned"],
        ),
        (
            "readlineb drops the newline",
            checks_for::<Variant<0, 0, DROPS_NEWLINE>>,
            &[
                "readlineb_every_split",
                "readlineb_eof",
                "readlineb_binary_bytes",
            ],
        ),
        (
            "readlineb loses the buffered bytes after a line",
            checks_for::<Variant<0, 0, LOSES_REST_AFTER_LINE>>,
            &[
                "readlineb_every_split",
                "buffer_shows_unread_bytes",
                "readnb_mixed_with_readlineb",
            ],
        ),
        (
            "readlineb reads although its buffer is not empty",
            checks_for::<Variant<0, 0, READS_EVERY_CALL>>,
            &["buffer_reads_only_when_empty"],
        ),
        (
            "Rio asks its reader for 1024 bytes, not 8192",
            checks_for::<Variant<0, 0, ASKS_1024>>,
            &[
                "buffer_few_reads_for_many_lines",
                "buffer_reads_only_when_empty",
            ],
        ),
        (
            "readlineb returns 0 for an empty line",
            checks_for::<Variant<0, 0, ZERO_ON_EMPTY_LINE>>,
            &["readlineb_every_split", "readlineb_eof"],
        ),
        (
            "readnb bypasses the buffer",
            checks_for::<Variant<0, 0, READNB_BYPASSES_BUFFER>>,
            &["readnb_mixed_with_readlineb"],
        ),
        (
            "Rio treats Interrupted as an error",
            checks_for::<Variant<0, 0, RIO_INTERRUPTED_IS_ERROR>>,
            &[
                "readlineb_interrupted_is_retried",
                "readnb_eof_interrupted_errors",
            ],
        ),
        (
            "readlineb loses the bytes it copied when the reader fails",
            checks_for::<Variant<0, 0, LOSES_BYTES_ON_ERROR>>,
            &["readlineb_errors_keep_bytes"],
        ),
        (
            "readlineb returns one piece per refill",
            checks_for::<Variant<0, 0, PIECE_PER_REFILL>>,
            &[
                "readlineb_every_split",
                "readlineb_long_lines",
                "readlineb_tcp_dribble",
            ],
        ),
        (
            "Rio returns stale bytes after EOF",
            checks_for::<Variant<0, 0, STALE_AFTER_EOF>>,
            &[
                "readlineb_every_split",
                "readlineb_eof",
                "readnb_every_split",
            ],
        ),
        (
            "buffer() shows bytes already returned",
            checks_for::<Variant<0, 0, BUFFER_SHOWS_ALL>>,
            &["buffer_shows_unread_bytes"],
        ),
        (
            "Rio::new reads",
            checks_for::<Variant<0, 0, READS_IN_NEW>>,
            &["buffer_inner_reader_access"],
        ),
    ];

    fn run(check: &Check) -> CheckResult {
        (check.run)(&mut Ctx::new(check.deadline))
    }

    #[test]
    fn the_faithful_copy_passes_every_check() {
        for check in checks_for::<Variant<0, 0, 0>>() {
            if let Err(f) = run(&check) {
                panic!("{} fails the faithful copy: {f:?}", check.name);
            }
        }
    }

    #[test]
    fn every_bug_fails_the_checks_that_name_it() {
        for (bug, checks, names) in BUGS {
            let checks = checks();
            for name in *names {
                let check = checks
                    .iter()
                    .find(|c| c.name == *name)
                    .expect("a check of that name");
                match run(check) {
                    Ok(()) => panic!("{name} passes a Rio where {bug}"),
                    Err(f) => println!(
                        "{bug} -> {name}:\n  expected: {}\n  observed: {}\n  {}\n",
                        f.expected,
                        f.observed,
                        f.notes.join("\n  ")
                    ),
                }
            }
        }
    }
}
