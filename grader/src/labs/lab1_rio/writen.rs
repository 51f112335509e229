//! Step 2: `writen` against scripted writers.
//!
//! Writers that take 1, 2, 7, ... bytes a call (or a random number), that
//! answer `Interrupted`, that return `Ok(0)` (which must become `WriteZero`,
//! never a spin) and that fail with other errors, which must come back.

use std::io::ErrorKind;
use std::iter;

use crate::check::{CheckResult, Ctx, Failure, show_bytes};
use crate::scripted::{Rng, ScriptedWriter, WriteEvent};

use super::Lab1;
use super::model::SEEDS;

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

pub(super) fn writen_short_writes<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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

pub(super) fn writen_interrupted_is_retried<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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

pub(super) fn writen_write_zero<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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

pub(super) fn writen_errors_are_returned<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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
