//! The check process's side of its channel to the runner (fd 3).
//!
//! A check process is the grader executable started again by its
//! supervisor to run one check (see [`crate::runner`] for why). Before any
//! student code runs, it takes fd 3 ([`take_channel`]): reads the proof and
//! the check's id, marks the fd close-on-exec, makes itself undumpable, and
//! keeps the fd for [`send`], through which steps, panics and the verdict
//! travel as [`Frame`]s. Nothing here knows what a check is: that keeps
//! the check module (whose steps are sent from here) and the runner (which
//! reads them) from depending on each other.

use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use grader_sandbox::protocol::{CHANNEL_ENV, Frame};
use grader_sandbox::supervise;

/// The channel of this check process, once it has one.
static CHANNEL: OnceLock<Mutex<UnixStream>> = OnceLock::new();

/// Sends a frame to the runner. `false` when this process is not a
/// contained check (then nothing is sent).
pub fn send(frame: &Frame) -> bool {
    let Some(chan) = CHANNEL.get() else {
        return false;
    };
    // Serializing plain strings cannot fail.
    let mut line = serde_json::to_string(frame).unwrap_or_default();
    line.push('\n');
    let mut chan = chan.lock().unwrap_or_else(|e| e.into_inner());
    // A failed write means the runner is gone; the supervisor ends us soon.
    let _ = chan.write_all(line.as_bytes());
    true
}

/// What the runner hands a check process on its first line.
pub(crate) struct Handed {
    /// The secret its verdict must carry.
    pub proof: String,
    /// The check to run.
    pub id: String,
    /// The seed its inputs are drawn from.
    pub seed: u64,
}

/// Takes fd 3: reads `PROOF CHECK-ID SEED\n`, makes the fd close-on-exec
/// and this process undumpable, and keeps the fd for [`send`].
pub(crate) fn take_channel() -> io::Result<Handed> {
    // Undumpable: another process of this uid cannot read our memory (the
    // proof) or our descriptors.
    grader_sandbox::sys::make_undumpable();
    // SAFETY: fcntl takes integers; fd 3 was opened for us by the
    // supervisor (it is checked below) and is owned from here on.
    let stream = unsafe {
        if libc::fcntl(supervise::CHECK_FD, libc::F_SETFD, libc::FD_CLOEXEC) != 0 {
            return Err(io::Error::last_os_error());
        }
        UnixStream::from(OwnedFd::from_raw_fd(supervise::CHECK_FD))
    };
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    let mut reader = &stream;
    while first.len() < 512 {
        match reader.read(&mut byte)? {
            0 => break,
            _ if byte[0] == b'\n' => break,
            _ => first.push(byte[0]),
        }
    }
    stream.set_read_timeout(None)?;
    let text = String::from_utf8(first).map_err(|_| io::Error::other("a garbled first line"))?;
    let mut words = text.split(' ');
    let (Some(proof), Some(id), Some(seed)) = (words.next(), words.next(), words.next()) else {
        return Err(io::Error::other(
            "no proof, check and seed on the first line",
        ));
    };
    let got = Handed {
        proof: proof.to_string(),
        id: id.to_string(),
        seed: seed
            .parse()
            .map_err(|_| io::Error::other("a garbled seed on the first line"))?,
    };
    let parent_link = std::env::var_os(supervise::PARENT_FD_ENV).is_some();
    // SAFETY: no other thread exists yet in this process.
    unsafe {
        std::env::remove_var(CHANNEL_ENV);
        std::env::remove_var(supervise::PARENT_FD_ENV);
    }
    let _ = CHANNEL.set(Mutex::new(stream));
    if parent_link {
        // No parent-death signal here: when the supervisor is gone, this
        // check ends, and takes everything it started with it.
        // SAFETY: fd 5 was opened for us by the supervisor, which named it.
        let fd = unsafe { OwnedFd::from_raw_fd(supervise::PARENT_FD) };
        grader_sandbox::sys::watch_parent(fd, || grader_sandbox::procs::kill_own_tree())?;
    }
    Ok(got)
}
