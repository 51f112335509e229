//! The containment of student code, in a crate that links none of it.
//!
//! The grader's checks call the lab crates in-process and run their
//! binaries, so every grader executable that runs a check links student
//! code. What must hold whatever that code does — the deadline, the kill of
//! everything it started, the unprivileged uid, the report of how the check
//! ended — lives here instead, in the `grader-sandbox` executable, which
//! depends on `libc` and `serde` only:
//!
//! - [`sys`]: the platform layer, the one place that asks the operating
//!   system (Linux: `/proc`, `prctl`, namespaces; macOS: libproc), with
//!   [`sys::netns`], a network namespace of its own for one submission;
//! - [`supervise`]: the supervisor of one check (it keeps the deadline and
//!   sweeps what the check left: a child subreaper on Linux, a tracker of
//!   the process table on macOS);
//! - [`procs`]: the process table and the two sweeps (all descendants; all
//!   processes of one uid);
//! - [`protocol`]: the typed contract: the grader's results and its list of
//!   checks as every tool reads them;
//! - [`files`]: writing result files whole, a stable hash, the tree copy;
//! - [`isolation`]: official grading's uids, network and environment, as
//!   one value chosen once per job;
//! - [`cargo`]: what a `cargo build` said (executables, first error);
//! - [`uids`]: leases on the unprivileged uids, so that two graders on one
//!   machine never share one;
//! - [`submission`]: official grading of one submission, shared by
//!   Gradescope's `run_autograder` and `cargo xtask grade`.

// Windows: one message, not a wall of unresolved imports.
#[cfg(not(unix))]
compile_error!(
    "echo-lab's grader runs on Linux and macOS. On Windows, use WSL 2 \
     (https://learn.microsoft.com/windows/wsl/install) or the dev container \
     (.devcontainer/devcontainer.json, in VS Code or GitHub Codespaces)."
);

#[cfg(unix)]
pub mod cargo;
#[cfg(unix)]
pub mod files;
#[cfg(unix)]
pub mod isolation;
#[cfg(unix)]
pub mod procs;
#[cfg(unix)]
pub mod protocol;
#[cfg(unix)]
pub mod submission;
#[cfg(unix)]
pub mod supervise;
#[cfg(unix)]
pub mod sys;
#[cfg(unix)]
pub mod uids;
