//! The echo-lab grader: one list of checks, run by `cargo test -p grader`
//! and by the score report `cargo run -p grader`.
//!
//! Every check is registered once, in `labs/`, with its lab step, points
//! and deadline ([`check::Check`]). The test targets, one per lab
//! (`tests/lab1_rio.rs` …) each run one lab's slice of that list through
//! [`harness`]; `main.rs` runs all of it and prints points ([`report`]).
//! Either way each check runs in a process of its own that is killed at its
//! deadline ([`runner`]), so broken student code fails fast and never hangs
//! the run.
//!
//! The modules, bottom up:
//! - [`steps`]: the handout steps that failure messages point to;
//! - [`check`]: a check, its context and its failure (steps, expected vs
//!   observed, escaped bytes);
//! - [`scripted`]: readers and writers that replay a script of chunks,
//!   `Interrupted`, errors and EOF, for the in-process `rio` checks;
//! - [`process`]: child processes with guards, line waits and fd counts;
//! - [`bins`]: building (or naming) the lab binaries;
//! - [`peers`]: echo servers under test, hostile clients and fake servers;
//! - [`channel`]: the check process's side of its channel to the runner;
//! - [`runner`]: a process per check, contained, and the runner's side;
//! - [`verdict`]: judging what came back into a verdict;
//! - [`labs`]: the checks themselves (lab 4's fake servers and terminal
//!   live with lab 4's checks);
//! - [`host`]: the one place that decides which checks run here and which
//!   are skipped (no `::1`, a foreign binary);
//! - [`harness`] and [`report`]: `cargo test` and the score report;
//! - [`cli`]: the command line of both grader executables (`grader`, and
//!   the instructor's `held-back`, which adds the checks held back);
//! - [`due`]: the labs due so far (`grader.toml`), which the report counts.

pub mod bins;
pub mod channel;
pub mod cli;
#[macro_use]
pub mod check;
pub mod due;
pub mod harness;
pub mod host;
pub mod labs;
pub mod peers;
pub mod process;
pub mod report;
pub mod runner;
pub mod scripted;
pub mod steps;
pub mod verdict;

pub use check::{Check, CheckResult, Ctx, Failure, Kind};
