//! Fingerprints: of a directory, to know when a cache is stale; of the
//! grader, to know when every submission must be graded again.

use std::path::{Path, PathBuf};

use crate::files::Fnv;

/// A stable hash of every file under `dir` (names and contents, less
/// `target/` and `.git/`): what decides whether a cache is still good.
pub fn fingerprint(dir: &Path) -> u64 {
    fn walk(dir: &Path, rel: &Path, h: &mut Fnv) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map(|rd| rd.filter_map(Result::ok).collect())
            .unwrap_or_default();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name();
            if name == "target" || name == ".git" {
                continue;
            }
            let rel = rel.join(&name);
            let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            if meta.is_dir() {
                walk(&e.path(), &rel, h);
            } else if meta.is_file() {
                h.add(rel.as_os_str().as_encoded_bytes());
                h.add(&std::fs::read(e.path()).unwrap_or_default());
            }
        }
    }
    let mut h = Fnv::default();
    walk(dir, Path::new(""), &mut h);
    h.finish()
}

/// Top-level entries of a base workspace that grading neither builds nor
/// reads: the handouts, the workflow, the README; `grader.toml`, because
/// official grading counts every lab (`--due all`) whatever the template
/// says is due this week; and the Gradescope scripts and `toolchain.txt`
/// (the toolchain itself is in the fingerprint, as `rustc -V`), so that the
/// autograder zip and `cargo xtask grade`'s base have one fingerprint.
const NOT_GRADED: &[&str] = &[
    "labs",
    ".github",
    "README.md",
    "grader.toml",
    "setup.sh",
    "run_autograder",
    "toolchain.txt",
];

/// A fingerprint of the base workspace: every file's path, mode and
/// content (less what grading does not read: the handouts, the README,
/// the Gradescope scripts, `grader.toml`), and the `rustc -V` the
/// workspace builds with. A changed grader, check, manifest, lock file or toolchain changes
/// it, and every submission is graded again. (64-bit FNV-1a: this detects
/// changes made by the instructor, it is not a defence against anyone.)
pub fn grader_fingerprint(base: &Path) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let mut h = Fnv::default();
    let mut files = Vec::new();
    list_files(base, Path::new(""), &mut files)?;
    files.retain(|rel| {
        !rel.components()
            .next()
            .is_some_and(|c| NOT_GRADED.iter().any(|n| c.as_os_str() == *n))
    });
    files.sort();
    for rel in &files {
        let path = base.join(rel);
        let meta = path
            .symlink_metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let content = if meta.file_type().is_symlink() {
            std::fs::read_link(&path)
                .map(|t| t.to_string_lossy().into_owned().into_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?
        } else {
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        };
        h.add(rel.to_string_lossy().as_bytes());
        h.add(&(meta.permissions().mode() & 0o111).to_le_bytes());
        h.add(&(content.len() as u64).to_le_bytes());
        h.add(&content);
    }
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .current_dir(base)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc: unknown".to_string());
    h.add(rustc.as_bytes());
    Ok(format!("{:016x}", h.finish()))
}

fn list_files(base: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let dir = base.join(rel);
    for entry in
        std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?
    {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let rel = rel.join(entry.file_name());
        let ft = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", entry.path().display()))?;
        if ft.is_dir() {
            if entry.file_name() != "target" {
                list_files(base, &rel, out)?;
            }
        } else {
            out.push(rel);
        }
    }
    Ok(())
}
