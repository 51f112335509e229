//! Step 4: `readlineb`, line by line through the `Rio` buffer.
//!
//! Every split of a 12-byte text of lines, with a `buf` of 64 and of 3
//! bytes; EOF (and 0 again after it); lines longer than `buf` and than
//! `RIO_BUFSIZE`; binary bytes; `Interrupted`; errors that lose no buffered
//! byte; a dribbling socket. `line_call`, `collect_until_eof` and
//! `expect_error_among` serve step 5 as well.

use std::io::{self, ErrorKind};
use std::iter;

use crate::check::{CheckResult, Ctx, Failure, show_bytes};
use crate::scripted::{ReadEvent, Rng, ScriptedReader};

use super::model::{
    LINES, Log, Op, SEEDS, Trace, chunks, describe_script, every_split, expect_error, run_ops,
    show_result, yields,
};
use super::tcp::dribbling_peer;
use super::{Lab1, RioApi, RioReads};

/// `rio.readlineb` or `rio.readnb`, as `op` says: the `call` of [`run_ops`].
pub(super) fn line_call<T: RioReads>(
    rio: &mut T,
) -> impl FnMut(Op, &mut [u8]) -> io::Result<usize> + '_ {
    |op, buf| match op {
        Op::Readlineb(_) => rio.readlineb(buf),
        _ => rio.readnb(buf),
    }
}

/// Makes the calls `ops` on a new `Rio` over a reader that plays `events`,
/// and checks them with [`run_ops`] (`data` is what the reader yields): a
/// whole case of steps 4 and 5 when nothing else is done with that `Rio`.
pub(super) fn run_script<I: Lab1>(
    log: &mut impl Log,
    events: impl IntoIterator<Item = ReadEvent>,
    data: &[u8],
    ops: impl IntoIterator<Item = Op>,
    after_eof: usize,
) -> CheckResult {
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    run_ops(log, data, ops, after_eof, line_call(&mut rio))
}

pub(super) fn readlineb_every_split<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    // The handout's example first, step by step.
    let events = vec![yields(b"he"), yields(b"llo\nwo")];
    ctx.step(describe_script(&events));
    run_script::<I>(
        ctx,
        events,
        b"hello\nwo",
        iter::repeat(Op::Readlineb(64)),
        1,
    )?;

    every_split_twice::<I>(
        ctx,
        LINES,
        format!(
            "every split of the first 0..=12 bytes of {} into chunks: readlineb(buf of 64) until EOF, \
             then, on a new Rio, readlineb(buf of 3) until EOF",
            show_bytes(LINES)
        ),
        |_| Op::Readlineb(64),
        Op::Readlineb(3),
    )
}

/// Steps `what`, then reads every split of `msg` ([`every_split`]) until
/// EOF twice, each time on a new `Rio`: with calls `first(n)` (`n` the
/// length of the split message), then with calls `then`.
pub(super) fn every_split_twice<I: Lab1>(
    ctx: &mut Ctx,
    msg: &[u8],
    what: String,
    first: impl Fn(usize) -> Op,
    then: Op,
) -> CheckResult {
    ctx.step(what);
    let count = every_split(ctx, msg, |trace, data, events| {
        let ops = iter::repeat(first(data.len()));
        run_script::<I>(trace, events.clone(), data, ops, 1)?;
        trace.log("a new Rio on a reader with the same chunks".to_string());
        run_script::<I>(trace, events, data, iter::repeat(then), 1)
    })?;
    ctx.step(format!("all {count} splits  ok"));
    Ok(())
}

pub(super) fn readlineb_eof<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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
        run_script::<I>(ctx, events, text, iter::repeat(Op::Readlineb(64)), 3)?;
    }
    Ok(())
}

pub(super) fn readlineb_long_lines<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    ctx.step("a buf of 1 byte: every line comes back one byte at a time");
    let events = vec![yields(b"ab\n"), yields(b"\nc")];
    ctx.step(describe_script(&events));
    run_script::<I>(ctx, events, b"ab\n\nc", iter::repeat(Op::Readlineb(1)), 1)?;

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

pub(super) fn readlineb_binary_bytes<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let mut text: Vec<u8> = (0..=255u8).filter(|&b| b != b'\n').collect();
    text.extend_from_slice(b"\n\x00\x00\r\n\xff\xfe\n\r\r\n");
    let events = chunks(&text, &[100, 1, 200]);
    ctx.step(describe_script(&events));
    run_script::<I>(ctx, events, &text, iter::repeat(Op::Readlineb(300)), 1)
}

pub(super) fn readlineb_interrupted_is_retried<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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
    run_script::<I>(
        ctx,
        events,
        b"abc\nde\n",
        iter::repeat(Op::Readlineb(64)),
        1,
    )
}

pub(super) fn readlineb_errors_keep_bytes<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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
pub(super) fn collect_until_eof(
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
pub(super) fn expect_error_among(errors: Vec<ErrorKind>, kind: ErrorKind) -> CheckResult {
    if errors.is_empty() || errors.iter().any(|&k| k != kind) {
        return Err(Failure::new(format!("one Err({kind:?}) among the results"), format!("errors: {errors:?}"))
            .note(format!(
                "the reader failed once with {kind:?}: an error other than Interrupted must be returned \
                 (before or after the bytes read before it)"
            )));
    }
    Ok(())
}

pub(super) fn readlineb_tcp_dribble<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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
