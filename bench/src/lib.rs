//! Benchmarks for echo-lab: how fast is `rio`, and how fast is the echo
//! server, each against the textbook's algorithm in the same run.
//!
//! Three programs, each a plain `main` (`conc_load`, for lab 5's
//! concurrent servers, is described in its own file):
//!
//! * `rio_bench` reads ~200 MB of generated lines with [`rio::Rio`], with
//!   `std::io::BufReader` and with [`textbook::TextbookRio`], a Rust
//!   transliteration of the textbook's byte-at-a-time `rio_readlineb`.
//! * `echo_load` starts echo servers on loopback (our `echoserver`, the
//!   baseline `textbook_echo` and the ceiling `chunk_echo`, or any command
//!   a student gives it) and measures round-trip latency, bulk throughput
//!   and sequential connections per second, through [`load`].
//!
//! # Why no criterion
//!
//! The machine this runs on has 2 cores shared with other work, so its
//! speed drifts by tens of percent over seconds. Criterion measures one
//! benchmark to the end, then the next, so a drift lands between them and
//! shows up as a difference. What the targets ask for is a *ratio* between
//! implementations, so both programs here interleave them instead: round
//! after round, every contender runs once (in a rotated order), and a
//! ratio is taken *inside* each round, then the median of those ratios is
//! reported ([`stats::median`]). Noise that lasts longer than a round
//! cancels out. The echo benchmark also drives other processes, which
//! criterion's in-process closures do not fit, and a plain `main` keeps
//! the build small enough for CI.
//!
//! # Modules
//!
//! * [`textbook`]: the baseline algorithm, written as the textbook writes
//!   it.
//! * [`data`]: a seeded generator of test lines, so every run reads the
//!   same bytes.
//! * [`stats`]: medians, percentiles and the number formats of the tables.
//! * [`args`]: the few command-line flags, without a parser crate.
//! * [`baseline`]: the accept loop shared by the two baseline servers.
//! * [`server`]: starts a server command, learns its port, kills it on
//!   drop.
//! * [`load`]: the three client-side measurements of `echo_load`.
//! * [`pin`]: keeping a benchmark on one CPU, so placement luck does not
//!   pass for a difference between servers.
//! * [`conc`]: `conc_load`'s measurements of lab 5's concurrent servers:
//!   64 clients at once with a probe timing round trips meanwhile, and the
//!   memory of an idle connection.
//!
//! Simplified on purpose: only loopback (`127.0.0.1`), every loop is
//! bounded by a count and every socket operation by a timeout, so a broken
//! server makes a benchmark fail, never hang.

pub mod args;
pub mod baseline;
pub mod conc;
pub mod data;
pub mod load;
pub mod pin;
pub mod server;
pub mod stats;
pub mod textbook;
