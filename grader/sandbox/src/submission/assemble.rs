//! A submission's files into a workspace: find its `crates/`, copy the
//! instructor's base, and put the submission's `crates/*/src` in place of
//! the starter's. Only regular files and directories, within a budget:
//! what is not taken is said in the feedback.

use std::path::{Path, PathBuf};

use crate::files::CopyTree;

/// Where the base keeps the instructor's held-back checks: an executable
/// of the grader's (`--bin held-back`) that the starter leaves out.
/// [`assemble`] leaves it out too; the build puts it in place only once
/// the submission's code is compiled.
pub const HELD_BACK_DIR: &str = "grader/src/bin/held-back";

/// Closes the base's held-back checks to other users (`0700`): the build
/// uid, which reads the base's copy, may not read them there either.
pub(super) fn close_held_back(base: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = base.join(HELD_BACK_DIR);
    if !dir.is_dir() {
        return Ok(());
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot close {} to other users: {e}", dir.display()))
}

/// Limits on what is taken from a submission.
pub(super) const MAX_BYTES: u64 = 20_000_000;
pub(super) const MAX_FILES: usize = 5_000;

/// What [`assemble`] did.
#[derive(Debug, Default)]
pub struct Taken {
    /// One line per lab crate (taken, or missing so the starter's is graded)
    /// and per file left out (a symbolic link, a device…).
    pub notes: Vec<String>,
    /// The crates' sources are over 20 MB or 5,000 files.
    pub too_big: bool,
}

/// The submission's `crates/` directory: at the top, or up to two
/// directories down (a zip of the repository's folder), the first in name
/// order that holds a `*/src` directory. Links are not followed; `target/`
/// and `.git/` are not searched.
pub fn find_crates(submission: &Path) -> Option<PathBuf> {
    let mut level = vec![submission.to_path_buf()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for dir in &level {
            let crates = dir.join("crates");
            if is_real_dir(&crates) && has_crate(&crates) {
                return Some(crates);
            }
            next.extend(subdirs(dir).into_iter().filter(|d| {
                !matches!(
                    d.file_name().and_then(|n| n.to_str()),
                    Some("target" | ".git" | "node_modules")
                )
            }));
        }
        level = next;
    }
    None
}

fn has_crate(crates: &Path) -> bool {
    subdirs(crates).iter().any(|c| is_real_dir(&c.join("src")))
}

/// Subdirectories (not links), sorted.
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| is_real_dir(p))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

pub(super) fn is_real_dir(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir())
}

/// A fresh copy of `base` at `work` (less `target/`, `.git/` and
/// [`HELD_BACK_DIR`]), with each
/// lab crate's `src/` replaced by the submission's where it has one. Only
/// regular files and directories are taken: a link could point the build,
/// which runs with the grading user's rights, at a file outside.
pub fn assemble(base: &Path, crates: &Path, work: &Path) -> Result<Taken, String> {
    if work.exists() {
        std::fs::remove_dir_all(work)
            .map_err(|e| format!("cannot empty {}: {e}", work.display()))?;
    }
    crate::files::copy_tree(base, work, &mut CopyTree::sources())
        .map_err(|e| format!("cannot copy {} to {}: {e}", base.display(), work.display()))?;
    let held_back = work.join(HELD_BACK_DIR);
    if held_back.exists() {
        std::fs::remove_dir_all(&held_back)
            .map_err(|e| format!("cannot remove {}: {e}", held_back.display()))?;
    }
    let mut taken = Taken::default();
    let mut budget = CopyTree {
        bytes: MAX_BYTES,
        files: MAX_FILES,
        ..CopyTree::sources()
    };
    for name in subdirs(&work.join("crates"))
        .iter()
        .filter_map(|d| d.file_name().map(|n| n.to_os_string()))
    {
        let shown = Path::new("crates").join(&name).join("src");
        let theirs = crates.join(&name).join("src");
        if !is_real_dir(&theirs) {
            taken.notes.push(format!(
                "{}: missing from the submission: the starter's is graded",
                shown.display()
            ));
            continue;
        }
        let ours = work.join(&shown);
        std::fs::remove_dir_all(&ours)
            .map_err(|e| format!("cannot replace {}: {e}", ours.display()))?;
        crate::files::copy_tree(&theirs, &ours, &mut budget)
            .map_err(|e| format!("cannot copy {}: {e}", theirs.display()))?;
        let skipped = std::mem::take(&mut budget.skipped);
        taken
            .notes
            .push(format!("{}: taken from the submission", shown.display()));
        for s in skipped {
            taken.notes.push(format!(
                "{}/{}: not a regular file (a link?): left out",
                shown.display(),
                s.display()
            ));
        }
        if budget.exceeded {
            taken.too_big = true;
            break;
        }
    }
    Ok(taken)
}

/// Fails unless every directory from `/` down to `path` lets others in
/// (`o+x`): the check processes run as another uid and must reach the
/// workspace and the built binaries. `cargo xtask grade` asks it up front,
/// for its output directory, before anything is fetched or built. A path
/// that does not exist yet is judged by the directories above it.
pub fn reachable_by_others(path: &Path) -> Result<(), String> {
    closed_to_others(path).map_or(Ok(()), |(dir, mode)| {
        Err(format!(
            "{} is closed to other users (mode {mode:o}): the unprivileged check processes \
             could not reach {}; grade somewhere every user may enter (chmod o+x)",
            dir.display(),
            path.display()
        ))
    })
}

/// The first directory from `/` down to `path` that other users may not
/// enter, and its mode (a part that does not exist yet is skipped).
pub(super) fn closed_to_others(path: &Path) -> Option<(PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut dirs: Vec<&Path> = path.ancestors().collect();
    dirs.reverse();
    dirs.into_iter().find_map(|dir| {
        let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o7777;
        (mode & 0o001 == 0).then(|| (dir.to_path_buf(), mode))
    })
}

/// A short listing of what was submitted, for the "no crates" message.
pub(super) fn listing(submission: &Path) -> String {
    let mut lines = Vec::new();
    let mut level = vec![(submission.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = level.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for p in entries.into_iter().rev() {
            let rel = p
                .strip_prefix(submission)
                .unwrap_or(&p)
                .display()
                .to_string();
            if is_real_dir(&p) && depth < 1 {
                level.push((p.clone(), depth + 1));
                lines.push(format!("{rel}/"));
            } else if is_real_dir(&p) {
                lines.push(format!("{rel}/"));
            } else {
                lines.push(rel);
            }
        }
    }
    lines.sort();
    lines.truncate(40);
    if lines.is_empty() {
        "(nothing)".to_string()
    } else {
        lines.join("\n")
    }
}
