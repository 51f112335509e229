//! Building a submission: the supervisor first (root's, from the base
//! alone), then the submission's workspace as the build uid where grading
//! runs as root, with a cleared environment, its own target directory and
//! the job's limits. Also the base's list of checks, built the same way.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::Grading;
use super::assemble::{HELD_BACK_DIR, assemble, closed_to_others};
use super::contain::{Contain, Ran, contained};
use super::fingerprint::fingerprint;
use crate::cargo;
use crate::isolation::{BUILD_ENV, TARGET_DIR_OWNER_ENV, Uids, scrub_env};
use crate::protocol::Listed;
use crate::sys::is_root;

pub(super) fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Most output kept of the grader front end per stream (its report and
/// the checks' notes; far more than it writes).
pub(super) const FRONT_END_OUTPUT: usize = 64 << 20;

/// `cargo build -p grader-sandbox --bin grader-sandbox` of the base
/// workspace itself, as the grading user, into `<target_dir>/sandbox`:
/// instructor's code only, built before any file of the submission is in
/// place, somewhere the build uid cannot write (the supervisor runs as
/// root).
pub(super) fn build_supervisor(grading: &Grading) -> Result<PathBuf, String> {
    let mut cmd = Command::new(cargo());
    cmd.args([
        "build",
        "--offline",
        "-p",
        "grader-sandbox",
        "--bin",
        "grader-sandbox",
    ])
    .arg("--message-format=json-render-diagnostics")
    .arg("--manifest-path")
    .arg(grading.base.join("Cargo.toml"))
    .current_dir(&grading.base);
    scrub_env(&mut cmd, BUILD_ENV);
    cmd.env("CARGO_TARGET_DIR", grading.target_dir.join("sandbox"))
        .env("CARGO_TERM_COLOR", "never")
        .env("CARGO_NET_OFFLINE", "true");
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    cargo::executable(&String::from_utf8_lossy(&out.stdout), "grader-sandbox").ok_or_else(|| {
        format!(
            "the base workspace's grader-sandbox does not build:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// One job's way of building a submission: where, as whom, with what.
pub(super) struct Job<'a> {
    pub(super) grading: &'a Grading,
    /// Root's supervisor ([`build_supervisor`]).
    pub(super) sandbox: PathBuf,
    /// Cargo's target directory for the submission's builds (the build
    /// uid's, where there is one).
    pub(super) target: PathBuf,
    /// The unprivileged build, where grading runs as root with uids.
    pub(super) build_as: Option<BuildAs>,
}

/// What the unprivileged build runs with.
pub(super) struct BuildAs {
    pub(super) uid: u32,
    /// The toolchain's sysroot: its `bin/cargo` and `bin/rustc` are run
    /// directly (no rustup proxy, whose home is often root's own).
    pub(super) sysroot: PathBuf,
    /// The grading user's `CARGO_HOME`, with every dependency fetched and
    /// unpacked: read-only to the build uid. Cargo builds offline from a
    /// `CARGO_HOME` it cannot write (it takes no package-cache lock then),
    /// and every job names the same one, so the dependencies' paths, and
    /// with them cargo's fingerprints, are the same in every job: a target
    /// directory copied from another job stays fresh.
    pub(super) cargo_home: PathBuf,
}

impl<'a> Job<'a> {
    /// Checks that the build uid can reach the toolchain and the sources
    /// (else one error that says how to fix it), and gives it its target
    /// directory and `CARGO_HOME`.
    pub(super) fn prepare(grading: &'a Grading, sandbox: PathBuf) -> Result<Job<'a>, String> {
        let target = grading.target_dir.join("build");
        std::fs::create_dir_all(&target)
            .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
        let build_as = match grading.isolation.uids.filter(|_| is_root()) {
            None => None,
            Some(uids) => Some(BuildAs::prepare(grading, uids, &target)?),
        };
        Ok(Job {
            grading,
            sandbox,
            target,
            build_as,
        })
    }

    /// The environment of the build and the front end: nothing but the
    /// toolchain's variables ([`BUILD_ENV`]) and ours. No token or secret
    /// of the caller's reaches a compiler that reads the submission, or
    /// the code under test.
    pub(super) fn set_env(&self, cmd: &mut Command) {
        scrub_env(cmd, BUILD_ENV);
        if let Some(b) = &self.build_as {
            let mut path = std::ffi::OsString::from(b.sysroot.join("bin"));
            path.push(":/usr/local/bin:/usr/bin:/bin");
            cmd.env("PATH", path)
                .env("HOME", &self.target)
                .env("CARGO_HOME", &b.cargo_home)
                .env("RUSTC", b.sysroot.join("bin/rustc"))
                .env_remove("RUSTUP_HOME")
                .env_remove("RUSTUP_TOOLCHAIN");
        }
        cmd.env("CARGO_TARGET_DIR", &self.target)
            .env("CARGO_TERM_COLOR", "never")
            .env("CARGO_NET_OFFLINE", "true")
            .env(TARGET_DIR_OWNER_ENV, &self.grading.work);
    }

    /// `cargo build ARGS --offline` of the work copy, as the build uid
    /// where there is one, under the supervisor, within `limit` and the
    /// job's [`BuildLimits`].
    pub(super) fn build(&self, args: &[&str], limit: Duration) -> Result<Ran, String> {
        let program = match &self.build_as {
            Some(b) => b.sysroot.join("bin/cargo").into_os_string(),
            None => cargo(),
        };
        let mut cmd = Command::new(program);
        cmd.arg("build")
            .args(args)
            .arg("--offline")
            .arg("--message-format=json-render-diagnostics")
            .arg("--manifest-path")
            .arg(self.grading.work.join("Cargo.toml"))
            .current_dir(&self.grading.work);
        self.set_env(&mut cmd);
        let uid = self.build_as.as_ref().map(|b| b.uid);
        // The build uid is the job's alone: another grader on this machine
        // with an overlapping range waits for it.
        let _lease = match uid {
            Some(uid) => Some(lease_waiting(uid, limit)?),
            None => None,
        };
        contained(
            &self.sandbox,
            cmd,
            Contain {
                limit,
                isolate: false,
                uid,
                memory: Some(self.grading.limits.memory),
                output: self.grading.limits.output,
            },
        )
    }

    /// Why a build that went over one of the [`BuildLimits`] gets no
    /// grade, or `None` when it stayed within them.
    pub(super) fn over_limit(&self, built: &Ran) -> Option<String> {
        let limits = self.grading.limits;
        if built.cut > 0 {
            return Some(format!(
                "The build wrote more than {} MiB of output, the most official grading keeps \
                 (its output limit), so it was not graded (score 0). Warnings or errors by the \
                 thousand usually mean a macro that expands without end: `cargo build` on your \
                 machine shows them.",
                limits.output >> 20
            ));
        }
        let hit = built.stderr.lines().find(|l| {
            (l.starts_with("memory allocation of") && l.ends_with("failed"))
                || l.contains("more memory than available to compiler")
                || l.starts_with("LLVM ERROR: out of memory")
                || l.contains("Cannot allocate memory (os error 12)")
        })?;
        Some(format!(
            "The build needed more memory than official grading allows (its memory limit: \
             {} MiB of address space per compiler process), so it was stopped and not graded \
             (score 0). A huge `const` or `static`, `include_bytes!` of a large file, or a \
             macro that recurses deeply does this. The compiler said:\n\n```text\n{hit}\n```\n",
            limits.memory >> 20
        ))
    }
}

impl BuildAs {
    pub(super) fn prepare(grading: &Grading, uids: Uids, target: &Path) -> Result<BuildAs, String> {
        let uid = uids.build();
        // The toolchain the base workspace builds with (its
        // rust-toolchain.toml, if any), found as the grading user.
        let mut ask = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
        ask.args(["--print", "sysroot"]).current_dir(&grading.base);
        scrub_env(&mut ask, BUILD_ENV);
        let out = ask
            .output()
            .map_err(|e| format!("cannot run rustc to find the toolchain: {e}"))?;
        let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if !out.status.success() || !sysroot.join("bin/cargo").is_file() {
            return Err(format!(
                "rustc --print sysroot gave {:?}, which has no bin/cargo: official grading \
                 builds with the toolchain's own cargo and rustc",
                sysroot.display()
            ));
        }
        if let Some((dir, mode)) = closed_to_others(&sysroot) {
            return Err(format!(
                "the toolchain at {} is closed to other users ({} has mode {mode:o}): the \
                 submission is built as uid {uid}, unprivileged, which must run it. Install \
                 the toolchain where every user may enter (autograder/gradescope/setup.sh uses \
                 RUSTUP_HOME=/usr/local/rustup and CARGO_HOME=/usr/local/cargo), or put a \
                 copy's bin/ first on PATH (`cp -al \"$(rustc --print sysroot)\" DIR` on the \
                 same file system)",
                sysroot.display(),
                dir.display()
            ));
        }
        // The dependencies' sources, fetched and unpacked by the grading
        // user (once per lock file), read-only to the build uid.
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .ok_or("neither CARGO_HOME nor HOME is set: cannot find the dependencies' sources")?;
        for part in ["registry", "git"] {
            let sources = cargo_home.join(part);
            if !sources.is_dir() {
                continue;
            }
            if let Some((dir, mode)) = closed_to_others(&sources) {
                return Err(format!(
                    "the dependencies' sources in {} are closed to other users ({} has mode \
                     {mode:o}): the submission is built as uid {uid}, unprivileged, which must \
                     read them. Use a CARGO_HOME every user may enter (autograder/gradescope/\
                     setup.sh uses /usr/local/cargo), or a hard-linked copy of its registry/",
                    sources.display(),
                    dir.display()
                ));
            }
        }
        fetch_once(grading)?;
        give(target, uid)?;
        Ok(BuildAs {
            uid,
            sysroot,
            cargo_home,
        })
    }
}

/// `cargo fetch --offline` of the base, as the grading user, once per lock
/// file and target directory: every dependency unpacked where the build
/// uid, which cannot write there, will look for it.
fn fetch_once(grading: &Grading) -> Result<(), String> {
    let lock = std::fs::read(grading.base.join("Cargo.lock")).unwrap_or_default();
    let done = grading
        .target_dir
        .join(format!("fetched-{:016x}", crate::files::fnv1a(&lock)));
    if done.exists() {
        return Ok(());
    }
    let mut cmd = Command::new(cargo());
    cmd.args(["fetch", "--offline", "--manifest-path"])
        .arg(grading.base.join("Cargo.toml"))
        .current_dir(&grading.base);
    scrub_env(&mut cmd, BUILD_ENV);
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo fetch --offline of the base workspace failed (fetch its dependencies once, \
             with the network, as the grading user):\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::write(&done, "").map_err(|e| format!("cannot write {}: {e}", done.display()))
}

/// Copies the base's held-back checks ([`HELD_BACK_DIR`]) into the work
/// copy; `false` when the base has none (a starter, a course without any).
pub(super) fn place_held_back(base: &Path, work: &Path) -> Result<bool, String> {
    let from = base.join(HELD_BACK_DIR);
    if !from.is_dir() {
        return Ok(false);
    }
    let to = work.join(HELD_BACK_DIR);
    crate::files::copy_tree(&from, &to, &mut crate::files::CopyTree::sources())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    Ok(true)
}

/// Makes `dir` and everything under it `uid`'s (links themselves, never
/// what they point at), unless `dir` is already: once per job, or after a
/// target directory was copied from another job's.
fn give(dir: &Path, uid: u32) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt as _;
    fn walk(p: &Path, uid: u32) -> std::io::Result<()> {
        let meta = std::fs::symlink_metadata(p)?;
        if meta.uid() != uid {
            std::os::unix::fs::lchown(p, Some(uid), Some(uid))?;
        }
        if meta.is_dir() {
            for e in std::fs::read_dir(p)? {
                walk(&e?.path(), uid)?;
            }
        }
        Ok(())
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if meta.uid() == uid && dir.join(".owned").exists() {
        return Ok(());
    }
    walk(dir, uid).map_err(|e| format!("cannot give {} to uid {uid}: {e}", dir.display()))?;
    std::fs::write(dir.join(".owned"), "").map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(())
}

/// Leases `uid` ([`crate::uids`]), waiting for another grader that holds
/// it, at most `limit`.
fn lease_waiting(uid: u32, limit: Duration) -> Result<crate::uids::Lease, String> {
    let until = Instant::now() + limit;
    loop {
        match crate::uids::lease(uid) {
            Ok(Some(lease)) => return Ok(lease),
            Ok(None) if Instant::now() < until => {
                // Pacing, not synchronisation: a lease is an flock, whose
                // blocking form has no deadline, so the wait tries it again
                // (the deadline above bounds it).
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(None) => return Err(format!("uid {uid} stayed leased by another grader")),
            Err(e) => return Err(format!("cannot lease uid {uid}: {e}")),
        }
    }
}

/// The base workspace's checks, as its grader lists them on this host
/// ([`Listed`], the typed contract):
/// built once per target directory and base (the same way as a
/// submission), then read from a cache.
pub(super) fn base_checks(job: &Job) -> Result<Vec<Listed>, String> {
    let grading = job.grading;
    let key = fingerprint(&grading.base);
    let cache = grading
        .target_dir
        .join(format!("base-checks-{key:016x}.json"));
    if let Ok(text) = std::fs::read_to_string(&cache) {
        if let Ok(list) = serde_json::from_str(&text) {
            return Ok(list);
        }
    }
    assemble(&grading.base, &grading.base.join("crates"), &grading.work)?;
    // With the held-back checks where the base has them: the maximum of a
    // row that is not graded is the same as a graded row's.
    let bin = match place_held_back(&grading.base, &grading.work)? {
        true => "held-back",
        false => "grader",
    };
    let built = job.build(&["-p", "grader", "--bin", bin], grading.timeout)?;
    let _ = std::fs::remove_dir_all(grading.work.join(HELD_BACK_DIR));
    let Some(exe) = cargo::executable(&built.stdout, bin) else {
        return Err(format!(
            "the base workspace's grader does not build: {}",
            built.stderr
        ));
    };
    let mut list = Command::new(exe);
    list.arg("--list-json").current_dir(&grading.work);
    job.set_env(&mut list);
    let out = list
        .output()
        .map_err(|e| format!("cannot run the base's grader: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let parsed: Vec<Listed> = serde_json::from_str(&text)
        .map_err(|e| format!("the base's grader lists no checks ({e}): {text}"))?;
    let _ = std::fs::write(&cache, &text);
    Ok(parsed)
}
