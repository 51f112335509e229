//! Lab 1 checks: `rio` in-process, against scripted readers and writers.

use std::time::Duration;

use crate::check::{Check, CheckResult, Ctx, Kind, show_bytes};
use crate::scripted::{ReadEvent, ScriptedReader};
use crate::steps;

/// The checks of lab 1, in handout order.
pub fn checks() -> Vec<Check> {
    vec![Check {
        name: "readn_short_counts",
        step: steps::LAB1_READN,
        points: 2,
        deadline: Duration::from_secs(10),
        kind: Kind::Library,
        about: "readn keeps reading after a short count until buf is full",
        run: readn_short_counts,
    }]
}

fn readn_short_counts(ctx: &mut Ctx) -> CheckResult {
    let mut r = ScriptedReader::new([
        ReadEvent::Data(b"he".to_vec()),
        ReadEvent::Data(b"llo".to_vec()),
    ]);
    ctx.step(format!("reader yields {} then {}, then EOF", show_bytes(b"he"), show_bytes(b"llo")));
    let mut buf = [0u8; 5];
    ctx.step("readn(buf of 5 bytes)");
    let n = rio::readn(&mut r, &mut buf).map_err(|e| crate::Failure::new("Ok(5)", format!("Err({e})")))?;
    ctx.expect_bytes("bytes read", b"hello", &buf[..n])
}
