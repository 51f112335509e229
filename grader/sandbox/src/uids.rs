//! Leases on the unprivileged uids that official grading runs checks as.
//!
//! A check's uid must be its alone while it runs: the supervisor ends the
//! check by killing every process of that uid. Within one grader that is
//! the runner's job; across graders on one machine (two course jobs, a
//! Gradescope test beside a gradebook run) a uid is leased with an
//! exclusive `flock` on a file in a directory only root may enter, so
//! another grader takes the next free uid instead of sharing one, and no
//! code under test can hold a lease.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::PathBuf;

/// Where the lease files live.
fn dir() -> PathBuf {
    let run = std::path::Path::new("/run");
    if run.is_dir() {
        run.join("echo-lab-uids")
    } else {
        std::env::temp_dir().join("echo-lab-uids")
    }
}

/// The exclusive use of one uid, until dropped.
#[derive(Debug)]
pub struct Lease {
    /// The uid.
    pub uid: u32,
    _file: File,
}

/// Takes `uid` if no one holds it; `Ok(None)` when another grader does.
pub fn lease(uid: u32) -> io::Result<Option<Lease>> {
    let dir = dir();
    match fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    // Only root may enter: code under test can neither hold nor remove a lease.
    let meta = fs::metadata(&dir)?;
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{uid}.lock")))?;
    // SAFETY: flock on an fd we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::WouldBlock {
            Ok(None)
        } else {
            Err(e)
        };
    }
    Ok(Some(Lease { uid, _file: file }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A leased uid cannot be leased again until the lease is dropped.
    #[test]
    fn a_lease_is_exclusive() {
        if !crate::sys::is_root() {
            eprintln!("not root: leases are for official grading, not tested here");
            return;
        }
        let uid = 47_098;
        let first = lease(uid).unwrap().expect("a free uid");
        assert!(lease(uid).unwrap().is_none());
        drop(first);
        assert!(lease(uid).unwrap().is_some());
    }
}
