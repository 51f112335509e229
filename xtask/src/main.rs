//! Instructor tasks for echo-lab, run as `cargo xtask …` (the alias is in
//! `.cargo/config.toml`; the xtask convention keeps such tooling in Rust,
//! inside the workspace, with nothing to install).
//!
//! ```text
//! cargo xtask starter DIR      write the student repository to DIR
//! cargo xtask gradescope DIR   the same, plus the held-back checks and Gradescope's setup.sh and run_autograder
//!   … --without-lab 5          either, for a course without the optional lab 5
//! cargo xtask variants [--portable] [NAME…]  broken variants of the reference: each must fail its checks
//! cargo xtask cheats [--portable] [NAME…]    cheats: each must earn nothing and leave nothing running
//! cargo xtask grade --roster ROSTER.csv --out DIR [--deadline RFC3339] [--jobs N] [--shard I/N] [--timeout SECS]
//!                              a course's repositories into a gradebook (see grade/mod.rs)
//! cargo xtask grade --merge DIR... --out DIR   shards into one gradebook
//! cargo xtask similarity --roster ROSTER.csv --out DIR | --out DIR PATH...
//!                              which submissions share code beyond the starter (see similarity/mod.rs)
//! ```
//!
//! The student repository is this workspace with every marked solution
//! region replaced by a `todo!()` that names its handout step
//! ([`markers`]), less the instructor's files ([`tree`]), the checks the
//! instructor holds back (`grader/src/bin/held-back/`) and the handouts'
//! speaker notes ([`notes`]), and checked for any solution line left
//! behind ([`leaks`]). `.ci/starter-check` then
//! proves that it builds without warnings, fails every check and passes
//! again once the reference bodies are put back.

mod cheats;
mod grade;
mod leaks;
mod markers;
mod notes;
mod optional;
mod similarity;
mod tree;
mod variants;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use grader::steps::ALL;
use grader_sandbox::submission::HELD_BACK_DIR;

const USAGE: &str = "\
usage: cargo xtask starter DIR      write the student repository to DIR (new or empty)
       cargo xtask gradescope DIR   the same, with Gradescope's setup.sh and run_autograder at its root
       cargo xtask variants [--portable] [NAME]  grade the broken variants of xtask/variants.toml: each must fail its checks
       cargo xtask cheats [--portable] [NAME]    grade the cheats of xtask/cheats.toml: each must earn nothing and leave nothing running
       cargo xtask grade --roster ROSTER.csv --out DIR [--deadline RFC3339] [--jobs N] [--shard I/N] [--timeout SECS]
                                    grade a course's repositories into DIR/gradebook.csv (cargo xtask grade --help)
       cargo xtask grade --merge DIR... --out DIR   merge shards into one gradebook
       cargo xtask similarity --roster ROSTER.csv --out DIR | --out DIR PATH...
                                    which submissions share code beyond the starter (cargo xtask similarity --help)
         (starter and gradescope take --without-lab 5: for a course that leaves out the optional lab 5)";

/// The Gradescope scripts, copied to the root of the autograder zip (with
/// `toolchain.txt`, written by [`gradescope`]).
const GRADESCOPE: &[&str] = &["setup.sh", "run_autograder"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["starter", dir] => starter(&workspace_root(), Path::new(dir), None).map(|_| ()),
        ["gradescope", dir] => gradescope(&workspace_root(), Path::new(dir), None),
        ["starter", dir, "--without-lab", lab] => without(lab)
            .and_then(|lab| starter(&workspace_root(), Path::new(dir), Some(lab)).map(|_| ())),
        ["gradescope", dir, "--without-lab", lab] => {
            without(lab).and_then(|lab| gradescope(&workspace_root(), Path::new(dir), Some(lab)))
        }
        ["variants", ref names @ ..] => {
            let names = variants::take_portable(names);
            variants::run(&workspace_root(), &names)
        }
        ["cheats", ref names @ ..] => {
            let names = variants::take_portable(names);
            cheats::run(&workspace_root(), &names)
        }
        ["grade", ref rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(|a| a.to_string()).collect();
            grade::main(&workspace_root(), &rest)
        }
        ["similarity", ref rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(|a| a.to_string()).collect();
            similarity::main(&workspace_root(), &rest)
        }
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The instructor's workspace: the parent of this crate.
fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// The lab `--without-lab` names: only an optional one may go.
fn without(lab: &str) -> Result<u8, String> {
    match lab.parse::<u8>().ok().and_then(optional::optional_lab) {
        Some(l) => Ok(l.number),
        None => {
            let optional: Vec<String> = optional::optional_numbers()
                .iter()
                .map(|n| format!("lab {n}"))
                .collect();
            Err(format!(
                "--without-lab {lab}: only {} may be left out",
                optional.join(", ")
            ))
        }
    }
}

/// Writes the student repository for the workspace at `root` into `out`,
/// less the optional lab `without`. Returns the regions replaced, per step.
fn starter(
    root: &Path,
    out: &Path,
    without: Option<u8>,
) -> Result<BTreeMap<(u8, u8), usize>, String> {
    let out = prepare_out(root, out)?;
    copy_allowed(root, &out)?;
    // The instructor's held-back checks never reach the students.
    let held_back = out.join(HELD_BACK_DIR);
    if held_back.exists() {
        fs::remove_dir_all(&held_back)
            .map_err(|e| format!("cannot remove {}: {e}", held_back.display()))?;
    }
    if let Some(lab) = without.and_then(optional::optional_lab) {
        optional::leave_out(&out, lab)?;
    }
    let replaced = strip_crates(&out)?;
    notes::strip_handouts(&out)?;
    let leaks = leaks::find(root, &out)?;
    if !leaks.is_empty() {
        return Err(format!(
            "solution text left in the starter:\n  {}",
            leaks.join("\n  ")
        ));
    }
    trim_lockfile(&out)?;
    summarize(&out, &replaced, without);
    Ok(replaced)
}

/// What official grading grades in: the starter, with the instructor's
/// held-back checks ([`HELD_BACK_DIR`]) put back. The autograder zip and
/// `cargo xtask grade`'s base; never given to students.
pub(crate) fn official_base(root: &Path, out: &Path, without: Option<u8>) -> Result<(), String> {
    starter(root, out, without)?;
    if root.join(HELD_BACK_DIR).is_dir() {
        let n = tree::copy(root, out, HELD_BACK_DIR)?;
        println!("  + the held-back checks ({HELD_BACK_DIR}, {n} files): official grading only");
    }
    Ok(())
}

/// The official base plus the Gradescope scripts at its root: the content
/// of the autograder zip.
fn gradescope(root: &Path, out: &Path, without: Option<u8>) -> Result<(), String> {
    official_base(root, out, without)?;
    for name in GRADESCOPE {
        tree::copy(&root.join("autograder/gradescope"), out, name)?;
    }
    let (toolchain, from) = toolchain_pin(root)?;
    tree::write(
        &out.join("toolchain.txt"),
        &format!(
            "{toolchain}\n# The Rust toolchain setup.sh installs on Gradescope (first line), from {from}.\n\
             # Change it here, or in rust-toolchain.toml before `cargo xtask gradescope`.\n"
        ),
    )?;
    println!("Gradescope: toolchain {toolchain} (from {from}), in toolchain.txt");
    println!(
        "Gradescope: zip it with  (cd {} && zip -qr ../autograder.zip .)",
        out.display()
    );
    Ok(())
}

/// The toolchain Gradescope's `setup.sh` installs: the `channel` of the
/// workspace's `rust-toolchain.toml` when there is one, else the version of
/// the `rustc` that builds this workspace now (what the instructor tested
/// with). Returns it and where it came from.
fn toolchain_pin(root: &Path) -> Result<(String, String), String> {
    let file = root.join("rust-toolchain.toml");
    if file.is_file() {
        let text = tree::read(&file)?;
        let channel = text.lines().find_map(|l| {
            let (key, value) = l.split_once('=')?;
            (key.trim() == "channel").then(|| value.trim().trim_matches('"').to_string())
        });
        return channel
            .map(|c| (c, "rust-toolchain.toml".to_string()))
            .ok_or_else(|| format!("{}: no `channel = \"…\"` line", file.display()));
    }
    let out = Command::new("rustc")
        .arg("-V")
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run rustc -V: {e}"))?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    // `rustc 1.95.0 (59807616e 2026-04-14)`: a release pins as its number;
    // a beta or nightly build has no number rustup installs, so `stable`.
    match said.split_whitespace().nth(1) {
        Some(v) if v.chars().all(|c| c.is_ascii_digit() || c == '.') => {
            Ok((v.to_string(), format!("`{}`", said.trim())))
        }
        _ => Ok((
            "stable".to_string(),
            format!("`{}` (not a release: stable instead)", said.trim()),
        )),
    }
}

/// Creates `out` (it must be new or empty) and refuses a place that would
/// be copied into itself.
fn prepare_out(root: &Path, out: &Path) -> Result<PathBuf, String> {
    fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let out = out
        .canonicalize()
        .map_err(|e| format!("{}: {e}", out.display()))?;
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    if tree::DIRS.iter().any(|d| out.starts_with(root.join(d))) || out == root {
        return Err(format!(
            "{} is inside a directory that the starter copies",
            out.display()
        ));
    }
    let mut entries =
        fs::read_dir(&out).map_err(|e| format!("cannot list {}: {e}", out.display()))?;
    if entries.next().is_some() {
        return Err(format!("{} is not empty", out.display()));
    }
    Ok(out)
}

/// Copies the allow-listed files, rewrites the manifest and the cargo
/// config, and lays the student-only files over the top.
fn copy_allowed(root: &Path, out: &Path) -> Result<(), String> {
    for dir in tree::DIRS {
        tree::copy(root, out, dir)?;
    }
    for file in tree::FILES.iter().filter(|f| root.join(f).is_file()) {
        tree::copy(root, out, file)?;
    }
    let manifest = tree::workspace_manifest(&tree::read(&root.join("Cargo.toml"))?, |p| {
        out.join(p).exists()
    })?;
    tree::write(&out.join("Cargo.toml"), &manifest)?;
    let config = root.join(".cargo/config.toml");
    if config.is_file() {
        if let Some(text) = tree::cargo_config(&tree::read(&config)?)? {
            tree::write(&out.join(".cargo/config.toml"), &text)?;
        }
    }
    tree::copy(&root.join(tree::OVERLAY), out, "")?;
    Ok(())
}

/// Replaces the marked regions in every `.rs` file under `out/crates`.
fn strip_crates(out: &Path) -> Result<BTreeMap<(u8, u8), usize>, String> {
    let max_width = tree::rustfmt_max_width(out)?;
    let mut per_step = BTreeMap::new();
    for file in tree::files(&out.join("crates"))? {
        if file.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let shown = file
            .strip_prefix(out)
            .unwrap_or(&file)
            .display()
            .to_string();
        let stripped = markers::strip(&tree::read(&file)?, ALL, max_width)
            .map_err(|e| format!("{shown}: {e}"))?;
        if stripped.replaced.is_empty() {
            continue;
        }
        tree::write(&file, &stripped.text)?;
        for r in &stripped.replaced {
            *per_step.entry((r.step.lab, r.step.number)).or_insert(0) += 1;
        }
    }
    Ok(per_step)
}

/// Lets cargo drop the instructor-only packages from the copied
/// `Cargo.lock` now, without updating anything, so that the student's
/// first build does not change a tracked file.
fn trim_lockfile(out: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(out.join("Cargo.toml"))
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo metadata` failed in {} ({status})",
            out.display()
        ))
    }
}

/// Prints what was written: the regions per step, and steps with none.
fn summarize(out: &Path, replaced: &BTreeMap<(u8, u8), usize>, without: Option<u8>) {
    println!("starter written to {}", out.display());
    if let Some(lab) = without {
        println!("  (without lab {lab})");
    }
    for step in ALL.iter().filter(|s| Some(s.lab) != without) {
        let n = replaced.get(&(step.lab, step.number)).copied().unwrap_or(0);
        let what = if n == 0 {
            // A step can grade what earlier steps wrote (lab 3 step 3: how
            // `echo` and `serve_one` handle a client's error): say so, so
            // that its points do not look like a step with nothing in it.
            let earlier: Vec<String> = replaced
                .keys()
                .filter(|(lab, number)| *lab == step.lab && *number < step.number)
                .map(|(_, number)| number.to_string())
                .collect();
            let steps = match &earlier[..] {
                [] => String::new(),
                [one] => format!(": its checks test what step {one} wrote"),
                [a, b] => format!(": its checks test what steps {a} and {b} wrote"),
                [init @ .., last] => {
                    format!(
                        ": its checks test what steps {} and {last} wrote",
                        init.join(", ")
                    )
                }
            };
            format!("no todo!() of its own{steps}")
        } else {
            format!("{n} todo!()")
        };
        println!(
            "  lab {} step {}: {:<32} {what}",
            step.lab, step.number, step.title
        );
    }
}
