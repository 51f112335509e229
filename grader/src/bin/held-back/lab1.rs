//! Lab 1, held back: `readlineb` over a text drawn from the check's seed.

use grader::check::{CheckResult, Ctx, Failure, show_bytes};
use grader::scripted::{Rng, ScriptedReader};

/// How many lines the text has.
const LINES: usize = 60;

/// A seeded text of lines (most short, some longer than `RIO_BUFSIZE`,
/// any byte but `\n` in them, the last one perhaps without its `\n`),
/// delivered in seeded chunks and read with a seeded `buf` size: every
/// call must return exactly the next piece of a line the contract names.
pub fn readlineb_seeded_text(ctx: &mut Ctx) -> CheckResult {
    let seed = ctx.seed();
    let mut rng = Rng::new(seed);
    let mut text = Vec::new();
    for i in 0..LINES {
        let len = if rng.range(0, 9) == 0 {
            rng.range(8000, 9000)
        } else {
            rng.range(0, 80)
        };
        text.extend((0..len).map(|_| {
            loop {
                let b = rng.next_u64() as u8;
                if b != b'\n' {
                    break b;
                }
            }
        }));
        if i + 1 < LINES || rng.range(0, 1) == 0 {
            text.push(b'\n');
        }
    }
    let max_chunk = rng.range(1, 3000);
    let sizes = rng.sizes(text.len(), max_chunk);
    let k = rng.range(1, 200);
    ctx.step(format!(
        "seed {seed}: a text of {LINES} lines, {} bytes, in chunks of 1..={max_chunk} bytes, \
         read with readlineb into a {k}-byte buf until it returns 0",
        text.len()
    ));
    let mut rio = rio::Rio::new(ScriptedReader::chunks(&text, &sizes));
    let mut at = 0;
    for call in 1.. {
        // What the contract says this call returns: up to k bytes, ending
        // after the first `\n`; 0 at the end.
        let rest = &text[at..];
        let want = rest
            .iter()
            .take(k)
            .position(|&b| b == b'\n')
            .map_or(rest.len().min(k), |p| p + 1);
        let mut buf = vec![0u8; k];
        let got = match rio.readlineb(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                return Err(Failure::new(
                    format!("Ok({want}): {}", show_bytes(&rest[..want])),
                    format!("Err({e}) at call {call}"),
                )
                .note(format!("at offset {at} of the text; seed {seed}")));
            }
        };
        if got > k || buf[..got] != rest[..want] {
            let shown = &buf[..got.min(k)];
            return Err(Failure::new(
                format!("Ok({want}): {}", show_bytes(&rest[..want])),
                format!("Ok({got}): {}", show_bytes(shown)),
            )
            .note(format!(
                "call {call}, at offset {at} of the text; seed {seed}"
            )));
        }
        if want == 0 {
            ctx.step(format!(
                "{} calls: every piece of every line, then 0  ok",
                call
            ));
            return Ok(());
        }
        at += want;
    }
    Ok(())
}
