//! Step 5: `readnb`, alone and mixed with `readlineb` on one `Rio`.
//!
//! As `readn`, but through the buffer: every split of a 12-byte message,
//! EOF, `Interrupted`, errors; then `readnb` and `readlineb` calls mixed on
//! every split and on seeded random runs, which must lose no byte.

use std::io::ErrorKind;
use std::iter;

use crate::check::{CheckResult, Ctx, show_bytes};
use crate::scripted::{ReadEvent, Rng, ScriptedReader};

use super::model::{
    LINES, Log, MSG, Op, SEEDS, Trace, describe_script, every_split, expect_error, random_script,
    run_ops, yields,
};
use super::readlineb::{
    collect_until_eof, every_split_twice, expect_error_among, line_call, run_script,
};
use super::{Lab1, RioApi, RioReads};

pub(super) fn readnb_every_split<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let events = vec![yields(b"he"), yields(b"llo")];
    ctx.step(describe_script(&events));
    run_script::<I>(ctx, events, b"hello", [Op::Readnb(5), Op::Readnb(5)], 1)?;

    every_split_twice::<I>(
        ctx,
        MSG,
        format!(
            "every split of the first 0..=12 bytes of {} into chunks: readnb(buf of n+5) until EOF, \
             then, on a new Rio, readnb(buf of 5) until EOF",
            show_bytes(MSG)
        ),
        |n| Op::Readnb(n + 5),
        Op::Readnb(5),
    )
}

pub(super) fn readnb_eof_interrupted_errors<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    use ReadEvent::{Eof, Error, Interrupted};
    // EOF first: 0, and nothing after that EOF is read.
    let events = vec![Eof, yields(b"late")];
    ctx.step(describe_script(&events));
    run_script::<I>(ctx, events, b"", [Op::Readnb(8)], 0)?;

    // EOF mid-way: exactly the bytes before it. (Whether a Rio reads on
    // after an EOF is not in the contract, so nothing here depends on it.)
    let events = vec![yields(b"ab"), yields(b"c"), Eof, yields(b"zzz")];
    ctx.step(describe_script(&events));
    run_script::<I>(ctx, events, b"abc", [Op::Readnb(8)], 0)?;

    let events = vec![
        Interrupted,
        yields(b"ab"),
        Interrupted,
        Interrupted,
        yields(b"cd"),
        Interrupted,
    ];
    ctx.step(describe_script(&events));
    run_script::<I>(ctx, events, b"abcd", iter::repeat(Op::Readnb(8)), 1)?;

    ctx.step("an empty buf");
    run_script::<I>(
        ctx,
        [yields(b"abc")],
        b"abc",
        [Op::Readnb(0), Op::Readnb(3), Op::Readnb(3)],
        0,
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

pub(super) fn readnb_mixed_with_readlineb<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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
        run_script::<I>(trace, events, data, pattern.iter().copied().cycle(), 1)
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
