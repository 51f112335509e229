//! The executables a grader run needs, built from this workspace's sources
//! and no other: the binaries under test, the supervisor, and (when the
//! target directory is shared) the grader that runs the checks.
//!
//! `cargo test -p grader` must work on a fresh clone, so the grader builds
//! `echoserver`, `echoclient` and `grader-sandbox` itself, in one `cargo
//! build --keep-going` (a client that does not compile must not stop the
//! server from being graded), before any check starts, and hands the paths
//! to each check process in environment variables.
//!
//! **Whose binary is it?** Cargo names a workspace member's artifacts by
//! its path *relative to the workspace*, and judges them fresh by file
//! times. Two copies of this workspace that share one target directory (a
//! global `build.target-dir`, `CARGO_TARGET_DIR` in a batch grader) share
//! artifact names, so the grader of one copy could run the other copy's
//! `echoserver`, or be that copy's grader. So the target directory counts
//! as this workspace's own only when it is `<workspace>/target`, or when
//! official grading says it is ([`TARGET_DIR_OWNER_ENV`] names this
//! workspace: one fixed path per target directory). Otherwise everything
//! the checks run — the grader executable included — is built again in
//! `<target>/grader-<hash of the workspace's absolute path>`, a directory
//! no other copy uses.
//!
//! `GRADER_ECHOSERVER=/path` or `GRADER_ECHOCLIENT=/path` grade another
//! binary instead (a C or Python one, say) with the same process checks.
//! Then the in-process library checks, which test the Rust crates of this
//! workspace and not that binary, are skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use grader_sandbox::protocol::Failure;

use grader_sandbox::cargo::Built;
use grader_sandbox::isolation::PREBUILT_ENV;
pub use grader_sandbox::isolation::TARGET_DIR_OWNER_ENV;

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

    /// The lab it belongs to (from the table of labs), if this build has it.
    pub fn lab(self) -> Option<u8> {
        crate::labs::LABS
            .iter()
            .find(|l| l.binaries.contains(&self))
            .map(|l| l.number)
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
    fn path_var(self) -> String {
        format!("GRADER_BIN_{}", self.name().to_uppercase())
    }

    /// The variable the runner uses to pass a build error to checks.
    fn error_var(self) -> String {
        format!("GRADER_BUILD_ERROR_{}", self.name().to_uppercase())
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

/// What a grader run runs.
#[derive(Debug)]
pub struct Prepared {
    /// The environment that tells check processes where the binaries are
    /// (or why one is missing).
    pub env: Vec<(String, String)>,
    /// The supervisor, `grader-sandbox`.
    pub sandbox: PathBuf,
    /// The grader executable that runs the checks.
    pub check_exe: PathBuf,
}

/// The root of this workspace: where `cargo` was run for us (it sets
/// `CARGO_MANIFEST_DIR` for `cargo run` and `cargo test`), else where this
/// grader was compiled. Never only the compile-time path: a stale grader
/// from another copy of the workspace would build that copy.
pub fn workspace_root() -> PathBuf {
    let grader = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    grader.parent().map(Path::to_path_buf).unwrap_or(grader)
}

/// The cargo target directory an executable was built in: the nearest
/// directory above it holding cargo's `CACHEDIR.TAG`.
pub fn target_dir_of(exe: &Path) -> Option<PathBuf> {
    exe.ancestors()
        .skip(1)
        .find(|d| d.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
}

/// Where to build what the checks run, and whether the running executable
/// may run them itself: `(None, true)` when the target directory is this
/// workspace's own, else a directory private to this workspace.
pub fn own_target_dir(root: &Path, exe: &Path) -> Option<PathBuf> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let target = target_dir_of(exe)?;
    let target = target.canonicalize().unwrap_or(target);
    if target == root.join("target") {
        return None;
    }
    if let Some(owner) = std::env::var_os(TARGET_DIR_OWNER_ENV) {
        let owner = PathBuf::from(owner);
        if owner.canonicalize().unwrap_or(owner) == root {
            return None;
        }
    }
    Some(target.join(format!(
        "grader-{:016x}",
        grader_sandbox::files::fnv1a(root.as_os_str().as_encoded_bytes())
    )))
}

/// In the runner: builds what the checks need — the supervisor, each binary
/// in `needed` that is not overridden, and the grader itself when this
/// executable is not this workspace's own — and says where they are.
/// `Err` when the supervisor cannot be had: then no check can run.
pub fn prepare(needed: &[Binary], mut progress: impl FnMut(&str)) -> Result<Prepared, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find its own executable: {e}"))?;
    let root = workspace_root();
    let private = own_target_dir(&root, &exe);

    let mut wanted: Vec<(&str, &str)> = vec![("grader-sandbox", "grader-sandbox")];
    for bin in needed {
        if std::env::var_os(bin.override_var()).is_none() {
            wanted.push((bin.name(), bin.name()));
        }
    }
    if private.is_some() {
        wanted.push(("grader", "grader"));
    }
    let names: Vec<&str> = wanted.iter().map(|(_, b)| *b).collect();
    progress(&format!("building {} …", names.join(", ")));
    if let Some(dir) = &private {
        progress(&format!(
            "the target directory is shared with other workspaces: building this one's in {}",
            dir.display()
        ));
    }
    // Official grading built everything already, unprivileged: this
    // process (root there) compiles nothing of the submission itself.
    let built = match std::env::var_os(PREBUILT_ENV) {
        Some(list) => Built::read(Path::new(&list))?,
        None => build(&root, private.as_deref(), &wanted),
    };

    let mut env = Vec::new();
    for &bin in needed {
        let found = match std::env::var(bin.override_var()) {
            Ok(p) => check_override(bin, Path::new(&p)),
            Err(_) => built.path(bin.name()),
        };
        match found {
            Ok(path) => env.push((bin.path_var(), path.display().to_string())),
            Err(why) => env.push((bin.error_var(), why)),
        }
    }
    let sandbox = built
        .path("grader-sandbox")
        .map_err(|e| format!("cannot build its supervisor: {e}"))?;
    let check_exe = match private {
        Some(_) => built
            .path("grader")
            .map_err(|e| format!("cannot build the grader in its own target directory: {e}"))?,
        None => exe,
    };
    Ok(Prepared {
        env,
        sandbox,
        check_exe,
    })
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

/// `cargo build --keep-going -p PKG --bin BIN …` in the workspace at
/// `root`, in `target_dir` if given; reads where each binary went from
/// cargo's JSON messages.
fn build(root: &Path, target_dir: Option<&Path>, wanted: &[(&str, &str)]) -> Built {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--keep-going")
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = target_dir {
        cmd.arg("--target-dir").arg(dir);
    }
    for (package, bin) in wanted {
        cmd.args(["-p", package, "--bin", bin]);
    }
    // The supervisor (and the grader, if built here) with the containment
    // this grader was built with.
    if cfg!(feature = "portable") {
        cmd.args(["--features", "grader-sandbox/portable"]);
        if wanted.iter().any(|(p, _)| *p == "grader") {
            cmd.args(["--features", "grader/portable"]);
        }
    }
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => {
            return Built {
                executables: Vec::new(),
                error: format!("cannot run cargo: {e}"),
            };
        }
    };
    Built::from_output(
        &String::from_utf8_lossy(&out.stdout),
        &String::from_utf8_lossy(&out.stderr),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_dir_is_found_by_its_tag() {
        let base = std::env::temp_dir().join(format!("grader-bins-{}", std::process::id()));
        let deps = base.join("t/debug/deps");
        std::fs::create_dir_all(&deps).unwrap();
        std::fs::write(base.join("t/CACHEDIR.TAG"), "Signature").unwrap();
        let exe = deps.join("lab1_rio-0123");
        assert_eq!(target_dir_of(&exe), Some(base.join("t")));
        // Outside the workspace: a directory of its own, keyed to the path.
        let ws = base.join("ws");
        std::fs::create_dir_all(&ws).unwrap();
        let own = own_target_dir(&ws, &exe).unwrap();
        assert!(own.starts_with(base.join("t").canonicalize().unwrap()));
        let other = base.join("ws2");
        std::fs::create_dir_all(&other).unwrap();
        assert_ne!(own_target_dir(&other, &exe).unwrap(), own);
        // <workspace>/target is the workspace's own.
        std::fs::create_dir_all(ws.join("target/debug")).unwrap();
        std::fs::write(ws.join("target/CACHEDIR.TAG"), "Signature").unwrap();
        assert_eq!(own_target_dir(&ws, &ws.join("target/debug/grader")), None);
        let _ = std::fs::remove_dir_all(&base);
    }
}
