//! Small things every grading path needs: writing a result file whole or
//! not at all, a stable name for some bytes, and copying a tree of files.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Writes `text` to `path` whole or not at all: to a temporary file beside
/// it, then renamed over it, so a reader never sees half a `results.json`
/// and a failed write leaves the old file (or none). The temporary file is
/// created new, never through a link someone left at its name.
pub fn write_whole(path: &Path, text: &str) -> io::Result<()> {
    write_whole_mode(path, text, 0o666)
}

/// [`write_whole`] of a file only its owner may read or write (`0600`)
/// from its first byte: marks and feedback, which the uids a submission
/// builds and runs as must not read.
pub fn write_private(path: &Path, text: &str) -> io::Result<()> {
    write_whole_mode(path, text, 0o600)
}

fn write_whole_mode(path: &Path, text: &str, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// FNV-1a, 64 bits, over pieces of bytes: a stable name for a path or a
/// tree of files (not a secret, not for security).
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Adds one piece (its end is marked, so `"ab","c"` and `"a","bc"` differ).
    pub fn add(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(&[0xff]) {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The hash so far.
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// [`Fnv`] of one piece.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = Fnv::default();
    h.add(bytes);
    h.finish()
}

/// How [`copy_tree`] copies.
#[derive(Debug)]
pub struct CopyTree {
    /// Keep each file's modification time (a target directory: cargo
    /// compares its files' times with one another), or give every file a
    /// fresh one (sources: cargo rebuilds what changed).
    pub keep_times: bool,
    /// Copy symbolic links as links; else leave them (and devices, sockets)
    /// out and name them in `skipped`: a link in a submission could point
    /// the build at a file outside.
    pub keep_links: bool,
    /// Names not copied at any depth (`target`, `.git`).
    pub skip_names: &'static [&'static str],
    /// Bytes still allowed; past it the copy stops with `exceeded`.
    pub bytes: u64,
    /// Files still allowed; past it the copy stops with `exceeded`.
    pub files: usize,
    /// The budget ran out: the copy stopped there.
    pub exceeded: bool,
    /// What was left out (relative to the copy's root).
    pub skipped: Vec<PathBuf>,
}

impl CopyTree {
    /// Sources: fresh times, no links, no `target/` or `.git/`, no budget.
    pub fn sources() -> CopyTree {
        CopyTree {
            keep_times: false,
            keep_links: false,
            skip_names: &["target", ".git"],
            bytes: u64::MAX,
            files: usize::MAX,
            exceeded: false,
            skipped: Vec::new(),
        }
    }

    /// An exact copy: times and links kept, everything copied.
    pub fn exact() -> CopyTree {
        CopyTree {
            keep_times: true,
            keep_links: true,
            skip_names: &[],
            ..CopyTree::sources()
        }
    }
}

/// Makes the executable `path` runnable but unreadable to everyone but
/// its owner (`0711`): a check uid may run the instructor's held-back
/// grader, and may not read the checks out of it.
pub fn unreadable_to_others(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o711))
        .map_err(|e| format!("cannot set the mode of {}: {e}", path.display()))
}

/// The directories every user may write to, where a check's uid can leave
/// files behind.
pub const SHARED_WRITABLE: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

/// Removes what `uid` owns at the top of [`SHARED_WRITABLE`] (files,
/// links, and directories with all they hold), once no process of `uid` is
/// left: so nothing one check's code writes there is read by a later
/// check that runs as the same uid, and a check's inputs cannot be passed
/// on to another's output. Returns how many entries went.
pub fn remove_files_of(uid: u32) -> usize {
    use std::os::unix::fs::MetadataExt as _;
    let mut removed = 0;
    for dir in SHARED_WRITABLE {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.uid() != uid {
                continue;
            }
            // remove_dir_all does not follow links out of the directory.
            let gone = if meta.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed += usize::from(gone.is_ok());
        }
    }
    removed
}

/// Reads `pipe` to its end, keeping its first `most` bytes; gives them and
/// how many more there were. The one bounded reader of the output of what
/// grading runs (a check process's, a build's, the front end's).
pub fn read_at_most(pipe: &mut impl io::Read, most: usize) -> (Vec<u8>, usize) {
    let mut kept = Vec::new();
    let mut cut = 0;
    let mut buf = [0u8; 64 * 1024];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = most.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buf[..room]);
                cut += n - room;
            }
        }
    }
    (kept, cut)
}

/// Copies the tree `from` to `to` (directories made as needed) as `how`
/// says; the one tree copy of official grading and the gradebook.
pub fn copy_tree(from: &Path, to: &Path, how: &mut CopyTree) -> io::Result<()> {
    copy_below(from, to, Path::new(""), how)
}

fn copy_below(from: &Path, to: &Path, rel: &Path, how: &mut CopyTree) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(from)?;
    let ft = meta.file_type();
    if ft.is_dir() {
        std::fs::create_dir_all(to)?;
        let mut entries: Vec<_> = std::fs::read_dir(from)?.collect::<io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            if how.skip_names.iter().any(|s| name == *s) {
                continue;
            }
            copy_below(&entry.path(), &to.join(&name), &rel.join(&name), how)?;
            if how.exceeded {
                return Ok(());
            }
        }
    } else if ft.is_file() {
        if how.files == 0 || meta.len() > how.bytes {
            how.exceeded = true;
            return Ok(());
        }
        how.files -= 1;
        how.bytes -= meta.len();
        std::fs::copy(from, to)?;
        if how.keep_times {
            std::fs::File::options()
                .write(true)
                .open(to)?
                .set_modified(meta.modified()?)?;
        }
    } else if ft.is_symlink() && how.keep_links {
        std::os::unix::fs::symlink(std::fs::read_link(from)?, to)?;
    } else {
        how.skipped.push(rel.to_path_buf());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("files-{}", std::process::id()));
        let path = dir.join("sub/results.json");
        write_whole(&path, "one").unwrap();
        write_whole(&path, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        // A link at the temporary name is not followed.
        let tmp = dir.join(format!("sub/results.json.tmp{}", std::process::id()));
        let victim = dir.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        write_whole(&path, "three").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn pieces_are_separated() {
        let mut a = Fnv::default();
        a.add(b"ab");
        a.add(b"c");
        let mut b = Fnv::default();
        b.add(b"a");
        b.add(b"bc");
        assert_ne!(a.finish(), b.finish());
        assert_eq!(fnv1a(b"x"), fnv1a(b"x"));
    }
}
