//! Step 3: the `Rio` buffer, seen through the reads of its inner reader.
//!
//! Many short lines cost at most ceil(total/8192)+1 reads, each asking for
//! `RIO_BUFSIZE` bytes and made only when the buffer is empty; `buffer()`
//! shows the bytes buffered and not yet returned; `Rio::new` reads nothing,
//! and `get_ref`/`get_mut`/`into_inner` give back the inner reader.

use std::io::Write;
use std::iter;

use rio::RIO_BUFSIZE;

use crate::check::{CheckResult, Ctx, Failure};
use crate::scripted::{ReadCall, ScriptedReader, ScriptedStream, ScriptedWriter};

use super::model::{Op, Trace, describe_script, run_ops, show_calls, yields};
use super::{Lab1, RioApi, RioReads};

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

pub(super) fn buffer_few_reads_for_many_lines<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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

pub(super) fn buffer_reads_only_when_empty<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
    let events = vec![
        yields(b"one\ntwo\n"),
        yields(b"thr"),
        yields(b"ee\nfo"),
        yields(b"ur\n"),
    ];
    ctx.step(describe_script(&events));
    let mut rio = I::Rio::new(ScriptedReader::new(events));
    // Each line, and the reads made so far, because:
    let steps: [(&[u8], usize, &str); 4] = [
        (b"one\n", 1, "the buffer was empty"),
        (b"two\n", 1, "b\"two\\n\" was buffered: no read needed"),
        (
            b"three\n",
            3,
            "empty buffer before b\"thr\" and before b\"ee\\nfo\"",
        ),
        (
            b"four\n",
            4,
            "b\"fo\" was buffered, then the buffer was empty",
        ),
    ];
    for (line, reads, why) in steps {
        run_ops(ctx, line, [Op::Readlineb(64)], 0, |_, buf| {
            rio.readlineb(buf)
        })?;
        expect_reads(ctx, &rio.get_ref().calls, reads, why)?;
    }
    let calls = rio.get_ref().calls.clone();
    expect_full_asks(ctx, &calls)
}

pub(super) fn buffer_shows_unread_bytes<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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

pub(super) fn buffer_inner_reader_access<I: Lab1>(ctx: &mut Ctx) -> CheckResult {
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
