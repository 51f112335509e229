//! Steps, traces and the model of the contract, shared by every step.
//!
//! `Op::model` says what one `readn`/`readnb`/`readlineb` call returns when
//! the reader will still yield the given bytes before EOF; `run_ops` makes
//! the calls and compares each result with it, explaining a difference with
//! a hint at the usual cause. Scenarios log their steps through `Log`: live
//! into the check's `Ctx`, or into a `Trace` that is replayed only when that
//! case fails (`every_split`, the seeded random runs). Also here: the
//! scripts (`chunks`, `random_script`, `describe_script`) and the fixed
//! messages and seeds.

use std::fmt;
use std::io::{self, ErrorKind};

use crate::check::{CheckResult, Ctx, Failure, bytes_failure, show_bytes};
use crate::scripted::{ReadCall, ReadEvent, Rng, compositions, split};
use crate::steps;

/// Where a scenario records its steps: straight into the check's step list
/// ([`Ctx`]), or into a [`Trace`] that is shown only if the case fails.
pub(super) trait Log {
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
pub(super) struct Trace(Vec<String>);

impl Log for Trace {
    fn log(&mut self, text: String) {
        self.0.push(text);
    }
}

impl Trace {
    /// Replays the steps into `ctx` (the first 4 and the last 10 when there
    /// are many) and hands `failure` back.
    pub(super) fn replay(self, ctx: &mut Ctx, failure: Failure) -> Failure {
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
pub(super) enum Op {
    Readn(usize),
    Readnb(usize),
    Readlineb(usize),
}

impl Op {
    /// `buf.len()` of the call.
    pub(super) fn len(self) -> usize {
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

    /// A call of a `Rio` method, which reads through `fill`.
    fn is_rio(self) -> bool {
        matches!(self, Op::Readlineb(_) | Op::Readnb(_))
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
pub(super) fn run_ops(
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
pub(super) fn show_result(bytes: &[u8]) -> String {
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
                ErrorKind::Interrupted if op.is_rio() => f
                    .note(
                        "Err(Interrupted) means a signal arrived before any byte moved: nothing is wrong, call read again",
                    )
                    .note(format!(
                        "a Rio reads its inner reader only in fill(), so the retry goes there: step 3, {} ({})",
                        steps::LAB1_BUFFER.title,
                        steps::LAB1_BUFFER.link()
                    )),
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
pub(super) fn expect_error(
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
pub(super) fn describe_script(events: &[ReadEvent]) -> String {
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
pub(super) fn chunks(data: &[u8], sizes: &[usize]) -> Vec<ReadEvent> {
    split(data, sizes)
        .into_iter()
        .map(ReadEvent::Data)
        .collect()
}

/// A scripted read that yields `bytes`.
pub(super) fn yields(bytes: &[u8]) -> ReadEvent {
    ReadEvent::Data(bytes.to_vec())
}

/// Runs `case` on every split of every prefix of `msg` (0..=12 bytes: 4096
/// splits), each with a fresh [`Trace`] that starts with the script. The
/// first failing case is replayed into `ctx` with its split. Returns how
/// many splits passed.
pub(super) fn every_split(
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
pub(super) fn random_script(
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
pub(super) fn show_calls(calls: &[ReadCall]) -> String {
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
pub(super) const SEEDS: [u64; 4] = [0x5EED_0001, 0xC0FFEE, 20_240_917, 7];

/// 12 bytes, no two alike, with NUL, `\n`, 0xFF and `\r` among them.
pub(super) const MSG: &[u8; 12] = b"ab\x00cd\nef\xffg\rh";

/// 12 bytes of lines: an empty line, CRLF, binary bytes, no final `\n`.
pub(super) const LINES: &[u8; 12] = b"ab\n\ncd\r\n\x00\xff\ne";
