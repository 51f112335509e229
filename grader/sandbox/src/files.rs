//! Two small things every grading path needs: writing a result file whole
//! or not at all, and a stable name for some bytes.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Writes `text` to `path` whole or not at all: to a temporary file beside
/// it, then renamed over it, so a reader never sees half a `results.json`
/// and a failed write leaves the old file (or none). The temporary file is
/// created new, never through a link someone left at its name.
pub fn write_whole(path: &Path, text: &str) -> io::Result<()> {
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
