//! Step 1: `readn` over scripted readers and a dribbling socket.
//!
//! Every split of a 12-byte message, seeded random splits of large ones with
//! `Interrupted` among the chunks, EOF first and mid-way, an empty `buf`,
//! errors that must come back (not retried, not taken for EOF), and a real
//! loopback socket whose peer writes 1-3 bytes at a time.

use std::io::ErrorKind;
use std::iter;

use crate::check::{CheckResult, Ctx, show_bytes};
use crate::scripted::{ReadEvent, Rng, ScriptedReader};

use super::Lab1;
use super::model::{
    Log, MSG, Op, SEEDS, Trace, describe_script, every_split, expect_error, random_script, run_ops,
    yields,
};
use super::tcp::dribbling_peer;

pub(super) fn readn_every_split<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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

pub(super) fn readn_random_splits<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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

pub(super) fn readn_interrupted_is_retried<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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

pub(super) fn readn_eof<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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

pub(super) fn readn_errors_are_returned<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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

pub(super) fn readn_tcp_dribble<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let text: Vec<u8> = (0..600u32)
        .map(|i| b"the quick brown fox\x00\xff\r\n"[i as usize % 23])
        .collect();
    let mut near = dribbling_peer(ctx, &text, 11)?;
    run_ops(ctx, &text, iter::repeat(Op::Readn(400)), 1, |_, buf| {
        I::readn(&mut near, buf)
    })
}
