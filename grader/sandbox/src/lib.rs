//! The containment of student code, in a crate that links none of it.
//!
//! The grader's checks call the lab crates in-process and run their
//! binaries, so every grader executable that runs a check links student
//! code. What must hold whatever that code does — the deadline, the kill of
//! everything it started, the unprivileged uid, the report of how the check
//! ended — lives here instead, in the `grader-sandbox` executable, which
//! depends on `libc` and `serde` only:
//!
//! - [`supervise`]: the supervisor of one check (a child subreaper that
//!   keeps the deadline and sweeps what is left);
//! - [`procs`]: the process table and the two sweeps (all descendants; all
//!   processes of one uid);
//! - [`files`]: writing result files whole, and a stable hash;
//! - [`netns`]: a network namespace of its own for one submission;
//! - [`uids`]: leases on the unprivileged uids, so that two graders on one
//!   machine never share one;
//! - [`submission`]: official grading of one submission, shared by
//!   Gradescope's `run_autograder` and `cargo xtask grade`.

pub mod files;
pub mod netns;
pub mod procs;
pub mod submission;
pub mod supervise;
pub mod uids;
