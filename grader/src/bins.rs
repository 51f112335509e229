//! The binaries under test: built by the grader, or named by the user.
//!
//! `cargo test -p grader` must work on a fresh clone, so the grader builds
//! `echoserver` and `echoclient` itself (with escargot, which runs
//! `cargo build` and reads where the binary went). The runner does this once,
//! before any check starts, and hands the paths to each check process in
//! environment variables.
//!
//! `GRADER_ECHOSERVER=/path` or `GRADER_ECHOCLIENT=/path` grade another
//! binary instead (a C or Python one, say) with the same process checks.
//! Then the in-process library checks, which test the Rust crates of this
//! workspace and not that binary, are skipped.

use std::path::{Path, PathBuf};

use crate::check::Failure;

/// A binary of the labs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    /// Lab 3's `echoserver`.
    EchoServer,
    /// Lab 4's `echoclient`.
    EchoClient,
    /// Lab 5's `echoservert`: a thread per client.
    EchoServerT,
    /// Lab 5's `echoservers`: one thread, `poll(2)`.
    EchoServerS,
}

impl Binary {
    /// Every binary of the labs.
    pub const ALL: [Binary; 4] = [
        Binary::EchoServer,
        Binary::EchoClient,
        Binary::EchoServerT,
        Binary::EchoServerS,
    ];

    /// Its name as a package and a binary.
    pub fn name(self) -> &'static str {
        match self {
            Binary::EchoServer => "echoserver",
            Binary::EchoClient => "echoclient",
            Binary::EchoServerT => "echoservert",
            Binary::EchoServerS => "echoservers",
        }
    }

    /// The lab it belongs to.
    pub fn lab(self) -> u8 {
        match self {
            Binary::EchoServer => 3,
            Binary::EchoClient => 4,
            Binary::EchoServerT | Binary::EchoServerS => 5,
        }
    }

    /// The variable a user sets to grade another binary.
    pub fn override_var(self) -> &'static str {
        match self {
            Binary::EchoServer => "GRADER_ECHOSERVER",
            Binary::EchoClient => "GRADER_ECHOCLIENT",
            Binary::EchoServerT => "GRADER_ECHOSERVERT",
            Binary::EchoServerS => "GRADER_ECHOSERVERS",
        }
    }

    /// The variable the runner uses to pass the built path to checks.
    fn path_var(self) -> &'static str {
        match self {
            Binary::EchoServer => "GRADER_BIN_ECHOSERVER",
            Binary::EchoClient => "GRADER_BIN_ECHOCLIENT",
            Binary::EchoServerT => "GRADER_BIN_ECHOSERVERT",
            Binary::EchoServerS => "GRADER_BIN_ECHOSERVERS",
        }
    }

    /// The variable the runner uses to pass a build error to checks.
    fn error_var(self) -> &'static str {
        match self {
            Binary::EchoServer => "GRADER_BUILD_ERROR_ECHOSERVER",
            Binary::EchoClient => "GRADER_BUILD_ERROR_ECHOCLIENT",
            Binary::EchoServerT => "GRADER_BUILD_ERROR_ECHOSERVERT",
            Binary::EchoServerS => "GRADER_BUILD_ERROR_ECHOSERVERS",
        }
    }

    /// In a check: the path of the binary to run, or why there is none.
    pub fn path(self) -> Result<PathBuf, Failure> {
        if let Ok(p) = std::env::var(self.path_var()) {
            return Ok(PathBuf::from(p));
        }
        let why =
            std::env::var(self.error_var()).unwrap_or_else(|_| "it was not built".to_string());
        Err(Failure::new(
            format!("a built `{}` binary", self.name()),
            format!("none: {why}"),
        )
        .note(format!("try it yourself: cargo build -p {}", self.name())))
    }
}

/// Is any binary overridden by the user (so library checks are skipped)?
pub fn foreign_binaries() -> Vec<(Binary, String)> {
    Binary::ALL
        .iter()
        .filter_map(|b| std::env::var(b.override_var()).ok().map(|p| (*b, p)))
        .collect()
}

/// In the runner: builds (or finds) each binary in `needed`, and returns the
/// environment that tells the check processes where they are.
pub fn prepare(needed: &[Binary], mut progress: impl FnMut(&str)) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for &bin in needed {
        let found = match std::env::var(bin.override_var()) {
            Ok(p) => check_override(bin, Path::new(&p)),
            Err(_) => {
                progress(&format!("building {} …", bin.name()));
                build(bin)
            }
        };
        match found {
            Ok(path) => env.push((bin.path_var().to_string(), path.display().to_string())),
            Err(why) => env.push((bin.error_var().to_string(), why)),
        }
    }
    env
}

fn check_override(bin: Binary, path: &Path) -> Result<PathBuf, String> {
    if path.is_file() {
        Ok(path.canonicalize().unwrap_or_else(|_| path.to_path_buf()))
    } else {
        Err(format!(
            "{}={} is not a file",
            bin.override_var(),
            path.display()
        ))
    }
}

/// `cargo build -p NAME --bin NAME` in this workspace.
fn build(bin: Binary) -> Result<PathBuf, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let run = escargot::CargoBuild::new()
        .manifest_path(&manifest)
        .package(bin.name())
        .bin(bin.name())
        .run()
        .map_err(|e| {
            let text = e.to_string();
            // Keep the compiler's own first error: that is what to fix.
            let first = text
                .lines()
                .skip_while(|l| !l.starts_with("error"))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n        ");
            if first.is_empty() {
                format!("`cargo build -p {}` failed: {text}", bin.name())
            } else {
                format!("`cargo build -p {}` failed:\n        {first}", bin.name())
            }
        })?;
    Ok(run.path().to_path_buf())
}
