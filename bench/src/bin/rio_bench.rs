//! Benchmark 1: how fast `rio` reads lines and counts, against `std` and
//! against the textbook's algorithm.
//!
//! `rio_bench` generates ~200 MB of lines (1 to 200 bytes, seeded, see
//! [`bench::data`]) in memory and reads them all, round after round, with
//! each contender:
//!
//! | contender | what it does per line |
//! | --- | --- |
//! | `Rio::readlineb` | `memchr` for `'\n'`, one copy of the line |
//! | `BufReader::read_until` | `memchr`, one append to a `Vec` |
//! | textbook `readlineb` | a call, a check and a 1-byte copy per byte |
//!
//! and, for fixed-size records (100 bytes), `Rio::readnb` against
//! `Read::read_exact` on a `BufReader`. Every contender has an 8 KiB buffer
//! and reads the input through `Read`; reading from memory rather than a
//! file leaves out the `read` system calls (one per 8 KiB for every
//! contender alike), so the table shows the user-space cost, the part the
//! algorithms differ in.
//!
//! Each round runs every contender once, in an order rotated from round
//! to round; the ratios are medians of the ratios inside each round (see
//! the crate docs for why). Every run's line and byte counts are checked,
//! so a wrong reader fails instead of winning.
//!
//! ```text
//! cargo run --release -p bench --bin rio_bench              # ~6 s
//! cargo run --release -p bench --bin rio_bench -- --quick   # ~1 s, a smoke test
//! ```

use std::hint::black_box;
use std::io::{self, BufRead, BufReader, Read};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use bench::args::Args;
use bench::stats::{median, times, verdict};
use bench::textbook::TextbookRio;
use rio::{RIO_BUFSIZE, Rio};

const USAGE: &str = "\
usage: rio_bench [--quick] [--mb N] [--rounds N] [--seed N]
  --quick     a smoke run: 32 MB, 5 rounds (about a second)
  --mb N      megabytes of lines to read per contender per round (default 200)
  --rounds N  rounds (default 11)
  --seed N    seed of the generated lines (default 1)";

/// Record size of the `readnb`/`read_exact` contenders, in bytes.
const RECORD: usize = 100;

/// What one run of a contender read: items (lines or records) and bytes.
#[derive(Debug, PartialEq, Eq)]
struct Tally {
    items: usize,
    bytes: usize,
}

/// One way of reading the input.
struct Contender {
    name: &'static str,
    /// Lines (true) or fixed-size records (false).
    lines: bool,
    run: fn(&[u8]) -> io::Result<Tally>,
}

const CONTENDERS: [Contender; 5] = [
    Contender {
        name: "Rio::readlineb",
        lines: true,
        run: rio_readlineb,
    },
    Contender {
        name: "BufReader::read_until",
        lines: true,
        run: std_read_until,
    },
    Contender {
        name: "textbook readlineb",
        lines: true,
        run: textbook_readlineb,
    },
    Contender {
        name: "Rio::readnb (100 B)",
        lines: false,
        run: rio_readnb,
    },
    Contender {
        name: "BufReader::read_exact (100 B)",
        lines: false,
        run: std_read_exact,
    },
];

/// Reads into `buf` with `read_one`, one line or record a call, until it
/// returns 0 (EOF), and counts what it read.
fn tally<B: AsRef<[u8]>>(
    mut buf: B,
    mut read_one: impl FnMut(&mut B) -> io::Result<usize>,
) -> io::Result<Tally> {
    let mut tally = Tally { items: 0, bytes: 0 };
    loop {
        let n = read_one(&mut buf)?;
        if n == 0 {
            return Ok(tally);
        }
        black_box(&buf.as_ref()[..n]);
        tally.items += 1;
        tally.bytes += n;
    }
}

fn rio_readlineb(input: &[u8]) -> io::Result<Tally> {
    let mut rio = Rio::new(input);
    tally([0u8; RIO_BUFSIZE], |line| rio.readlineb(line))
}

fn std_read_until(input: &[u8]) -> io::Result<Tally> {
    let mut reader = BufReader::with_capacity(RIO_BUFSIZE, input);
    tally(Vec::with_capacity(RIO_BUFSIZE), |line| {
        line.clear();
        reader.read_until(b'\n', line)
    })
}

fn textbook_readlineb(input: &[u8]) -> io::Result<Tally> {
    let mut rio = TextbookRio::new(input);
    tally([0u8; RIO_BUFSIZE], |line| rio.readlineb(line))
}

fn rio_readnb(input: &[u8]) -> io::Result<Tally> {
    let mut rio = Rio::new(input);
    tally([0u8; RECORD], |record| rio.readnb(record))
}

fn std_read_exact(input: &[u8]) -> io::Result<Tally> {
    let mut reader = BufReader::with_capacity(RIO_BUFSIZE, input);
    let mut record = [0u8; RECORD];
    let mut tally = Tally { items: 0, bytes: 0 };
    // the input is a whole number of records: EOF comes at a boundary
    while !reader.fill_buf()?.is_empty() {
        reader.read_exact(&mut record)?;
        black_box(&record[..]);
        tally.items += 1;
        tally.bytes += RECORD;
    }
    Ok(tally)
}

/// The median over rounds of `a`'s speed divided by `b`'s, taken round by
/// round (`seconds[round][contender]`).
fn ratio(seconds: &[Vec<f64>], a: usize, b: usize) -> f64 {
    let per_round: Vec<f64> = seconds.iter().map(|r| r[b] / r[a]).collect();
    median(&per_round)
}

fn run(mut args: Args) -> Result<()> {
    let quick = args.flag("--quick");
    let mb: usize = args.value("--mb")?.unwrap_or(if quick { 32 } else { 200 });
    let rounds: usize = args
        .value("--rounds")?
        .unwrap_or(if quick { 5 } else { 11 });
    let seed: u64 = args.value("--seed")?.unwrap_or(1);
    args.finish()?;
    if mb == 0 || rounds == 0 {
        bail!("--mb and --rounds must be at least 1");
    }

    let (lines, line_count) = bench::data::lines(mb * 1_000_000, seed);
    let records = &lines[..lines.len() / RECORD * RECORD];
    println!(
        "rio_bench: {:.1} MB in {line_count} lines of 1-200 bytes (seed {seed}), from memory, \
         8 KiB buffers, {rounds} rounds",
        lines.len() as f64 / 1e6
    );

    // seconds[round][contender]
    let mut seconds = vec![vec![0.0; CONTENDERS.len()]; rounds];
    for (round, row) in seconds.iter_mut().enumerate() {
        for k in 0..CONTENDERS.len() {
            let i = (k + round) % CONTENDERS.len();
            let c = &CONTENDERS[i];
            let (input, expected) = match c.lines {
                true => (&lines[..], (line_count, lines.len())),
                false => (records, (records.len() / RECORD, records.len())),
            };
            let start = Instant::now();
            let tally = (c.run)(black_box(input))?;
            row[i] = start.elapsed().as_secs_f64();
            if (tally.items, tally.bytes) != expected {
                bail!("{} read {tally:?}, expected {expected:?}", c.name);
            }
        }
    }

    println!(
        "{:<30} {:>12} {:>9} {:>9}",
        "contender", "median MB/s", "min", "max"
    );
    for (i, c) in CONTENDERS.iter().enumerate() {
        let bytes = if c.lines { lines.len() } else { records.len() };
        let speeds: Vec<f64> = seconds
            .iter()
            .map(|r| bench::stats::mb_per_s(bytes, Duration::from_secs_f64(r[i])))
            .collect();
        let (min, max) = speeds
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), &s| (lo.min(s), hi.max(s)));
        println!(
            "{:<30} {:>12.0} {:>9.0} {:>9.0}",
            c.name,
            median(&speeds),
            min,
            max
        );
    }

    let vs_std = ratio(&seconds, 0, 1);
    let vs_textbook = ratio(&seconds, 0, 2);
    let readnb = ratio(&seconds, 3, 4);
    println!(
        "ratios (speed, higher is better; median of per-round ratios): \
         readlineb/read_until {} (target >= 1.1: {}), \
         readlineb/textbook {} (target >= 3: {}), \
         readnb/read_exact {}",
        times(vs_std),
        verdict(vs_std >= 1.1),
        times(vs_textbook),
        verdict(vs_textbook >= 3.0),
        times(readnb),
    );
    Ok(())
}

fn main() -> ExitCode {
    bench::args::main("rio_bench", USAGE, run)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every contender reads every line or record of a small input.
    #[test]
    fn contenders_agree() {
        let (lines, count) = bench::data::lines(50_000, 3);
        let records = &lines[..lines.len() / RECORD * RECORD];
        for c in &CONTENDERS {
            let tally = (c.run)(if c.lines { &lines } else { records }).unwrap();
            match c.lines {
                true => assert_eq!(
                    tally,
                    Tally {
                        items: count,
                        bytes: lines.len()
                    },
                    "{}",
                    c.name
                ),
                false => assert_eq!(tally.bytes, records.len(), "{}", c.name),
            }
        }
    }
}
