//! Which files of the instructor's repository go to the students, and the
//! two files that change on the way: the workspace manifest and the cargo
//! config.
//!
//! The copy is an allow-list, so that a new instructor-only file (a
//! benchmark, a note, a CI script) stays out of the starter unless someone
//! adds it here on purpose.

use std::fs;
use std::path::{Path, PathBuf};

/// Directories copied whole (less build output): the lab crates, the
/// grader and the handouts.
pub const DIRS: &[&str] = &["crates", "grader", "labs"];

/// Files copied when they exist: top-level ones, and the dev container.
pub const FILES: &[&str] = &[
    "Cargo.lock",
    ".gitignore",
    "rust-toolchain.toml",
    "rust-toolchain",
    "rustfmt.toml",
    ".rustfmt.toml",
    "clippy.toml",
    "LICENSE",
    "LICENSE-MIT",
    "LICENSE-APACHE",
    // The dev container (Windows, Codespaces): the student's loop in Docker.
    ".devcontainer/devcontainer.json",
];

/// Files only the student repository has (its README and workflow), copied
/// last, over everything else.
pub const OVERLAY: &str = "starter";

/// Paths never copied: build output and the rendered book. `rel` is the
/// path below the directory being walked, `base`; only its own components
/// count (the starter itself may be written under a `target/`).
fn skipped(base: &Path, rel: &Path) -> bool {
    rel.components()
        .any(|c| c.as_os_str() == "target" || c.as_os_str() == ".git")
        || base.join(rel).ends_with("labs/book")
}

/// Reads a text file, naming it in the error.
pub fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Writes a file and the directories above it, naming it in the error.
pub fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Every file under `dir` (none if it does not exist), sorted, skipping
/// build output.
pub fn files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    if dir.exists() {
        walk(dir, Path::new(""), &mut found)?;
    }
    found.sort();
    Ok(found.into_iter().map(|rel| dir.join(rel)).collect())
}

fn walk(base: &Path, rel: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let dir = base.join(rel);
    let entries = fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let rel = rel.join(entry.file_name());
        if skipped(base, &rel) {
            continue;
        }
        if entry.path().is_dir() {
            walk(base, &rel, found)?;
        } else {
            found.push(rel);
        }
    }
    Ok(())
}

/// Copies `from/rel` to `to/rel` for every file under `from/rel` (or the
/// file itself), keeping permissions; returns how many files.
pub fn copy(from: &Path, to: &Path, rel: &str) -> Result<usize, String> {
    let src = from.join(rel);
    let list = if src.is_dir() {
        files(&src)?
    } else {
        vec![src.clone()]
    };
    for file in &list {
        let dst = to.join(file.strip_prefix(from).unwrap_or(file));
        if let Some(dir) = dst.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        fs::copy(file, &dst)
            .map_err(|e| format!("cannot copy {} to {}: {e}", file.display(), dst.display()))?;
    }
    Ok(list.len())
}

/// The workspace manifest for a repository where only the paths for which
/// `exists` is true are present: members, default members and path
/// dependencies of `[workspace.dependencies]` that point elsewhere go.
pub fn workspace_manifest(text: &str, exists: impl Fn(&str) -> bool) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("Cargo.toml: {e}"))?;
    let Some(ws) = doc.get_mut("workspace").and_then(|w| w.as_table_like_mut()) else {
        return Err("Cargo.toml has no [workspace] table".to_string());
    };
    for key in ["members", "default-members"] {
        if let Some(list) = ws.get_mut(key).and_then(|m| m.as_array_mut()) {
            list.retain(|m| m.as_str().is_some_and(|p| exists(glob_base(p))));
        }
    }
    if let Some(deps) = ws
        .get_mut("dependencies")
        .and_then(|d| d.as_table_like_mut())
    {
        let gone: Vec<String> = deps
            .iter()
            .filter(|(_, d)| {
                d.get("path")
                    .and_then(|p| p.as_str())
                    .is_some_and(|p| !exists(p))
            })
            .map(|(name, _)| name.to_string())
            .collect();
        for name in gone {
            deps.remove(&name);
        }
    }
    Ok(doc.to_string())
}

/// `crates/*` → `crates`: the directory a member glob lives in.
fn glob_base(member: &str) -> &str {
    let end = member.find(['*', '?', '[']).unwrap_or(member.len());
    member[..end].trim_end_matches('/')
}

/// The cargo config without the `xtask` alias (the starter has no xtask);
/// `None` when nothing else is left in it.
pub fn cargo_config(text: &str) -> Result<Option<String>, String> {
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!(".cargo/config.toml: {e}"))?;
    if let Some(alias) = doc.get_mut("alias").and_then(|a| a.as_table_like_mut()) {
        alias.remove("xtask");
        if alias.is_empty() {
            doc.remove("alias");
        }
    }
    Ok((!doc.as_table().is_empty()).then(|| doc.to_string()))
}

/// rustfmt's `max_width` in the repository at `root`: from `rustfmt.toml`
/// or `.rustfmt.toml` if one sets it, else rustfmt's default, 100.
pub fn rustfmt_max_width(root: &Path) -> Result<usize, String> {
    for name in ["rustfmt.toml", ".rustfmt.toml"] {
        let path = root.join(name);
        if path.is_file() {
            let doc: toml_edit::DocumentMut =
                read(&path)?.parse().map_err(|e| format!("{name}: {e}"))?;
            if let Some(w) = doc.get("max_width").and_then(|w| w.as_integer()) {
                return usize::try_from(w).map_err(|_| format!("{name}: max_width = {w}?"));
            }
        }
    }
    Ok(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructor_members_and_their_dependencies_go() {
        let text = "[workspace]\n# the labs\nmembers = [\"crates/*\", \"grader\", \"xtask\", \"bench\"]\n\n[workspace.dependencies]\nrio = { path = \"crates/rio\" }\nbench = { path = \"bench\" }\nanyhow = \"1\"\n";
        let kept = workspace_manifest(text, |p| {
            p == "crates" || p == "grader" || p == "crates/rio"
        })
        .unwrap();
        assert_eq!(
            kept,
            "[workspace]\n# the labs\nmembers = [\"crates/*\", \"grader\"]\n\n[workspace.dependencies]\nrio = { path = \"crates/rio\" }\nanyhow = \"1\"\n"
        );
    }

    #[test]
    fn the_xtask_alias_goes() {
        let only = "[alias]\n# instructor\nxtask = \"run --package xtask --\"\n";
        assert_eq!(cargo_config(only).unwrap(), None);
        let more = "[alias]\nxtask = \"run --package xtask --\"\ng = \"run -p grader\"\n";
        assert_eq!(
            cargo_config(more).unwrap().as_deref(),
            Some("[alias]\ng = \"run -p grader\"\n")
        );
    }

    #[test]
    fn build_output_is_skipped() {
        let r = Path::new("/target/r");
        assert!(skipped(r, Path::new("crates/rio/target")));
        assert!(skipped(r, Path::new("labs/book")));
        assert!(skipped(&r.join("labs"), Path::new("book")));
        assert!(!skipped(r, Path::new("labs/src/book")));
        assert!(!skipped(r, Path::new("labs/src/SUMMARY.md")));
    }
}
