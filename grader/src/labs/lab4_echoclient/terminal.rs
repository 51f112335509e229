//! A terminal for the `echoclient` checks (lab 4): a program on a real
//! pseudo-terminal (rexpect's `PtyProcess`), the way a shell runs it.
//!
//! Typed input arrives a line at a time, and output is read as it comes.
//! That is the only way to see whether a client prints each echo *before*
//! the user types the next line (a client that never flushes stdout looks
//! fine with pipes).

use std::fmt;
use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::AsRawFd as _;
use std::process::Command;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use rexpect::process::{PtyProcess, Signal, WaitStatus};

use crate::check::{Failure, show_bytes};

/// A program running on a pseudo-terminal; killed on drop.
///
/// rexpect turns the terminal's own echo of typed input off, so the output
/// holds only what the program wrote. The terminal turns each `\n` the
/// program writes into `\r\n`.
pub struct Terminal {
    name: String,
    process: PtyProcess,
    keyboard: File,
    screen: Receiver<Vec<u8>>,
    /// Everything the program wrote so far.
    shown: Vec<u8>,
    /// How much of `shown` earlier expectations consumed.
    cursor: usize,
    status: Option<WaitStatus>,
}

impl Terminal {
    /// Starts `cmd` on a new pseudo-terminal (stdin, stdout and stderr).
    /// Call it from the check's own thread (the child dies with it).
    pub fn spawn(name: &str, mut cmd: Command) -> Result<Terminal, Failure> {
        let cannot = |e: &dyn fmt::Display| {
            Failure::new(format!("{name} to start on a terminal"), e.to_string())
        };
        crate::process::die_with_parent(&mut cmd);
        let me = std::process::id();
        let process = match PtyProcess::new(cmd) {
            Ok(p) => p,
            // rexpect returns its exec error in the forked child too: that
            // child must not go on running the check.
            Err(_) if std::process::id() != me => {
                // SAFETY: _exit ends this forked child at once, touching nothing.
                unsafe { libc::_exit(127) }
            }
            Err(e) => return Err(cannot(&e)),
        };
        let keyboard = process.get_file_handle().map_err(|e| cannot(&e))?;
        // rexpect's child turns the terminal's echo off, but only once it
        // runs: typing before that would be echoed by the terminal and look
        // like output. Termios calls on the master act on the terminal, so
        // turn it off from here, before anything is typed.
        echo_off(&keyboard).map_err(|e| cannot(&e))?;
        let mut display = process.get_file_handle().map_err(|e| cannot(&e))?;
        let (tx, screen) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match display.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    // EIO: the program and everything holding the terminal
                    // are gone.
                    Err(_) => break,
                }
            }
        });
        Ok(Terminal {
            name: name.to_string(),
            process,
            keyboard,
            screen,
            shown: Vec::new(),
            cursor: 0,
            status: None,
        })
    }

    /// Types `text` (include `\n` for Enter).
    pub fn type_text(&mut self, text: &[u8]) -> Result<(), Failure> {
        self.keyboard
            .write_all(text)
            .and_then(|()| self.keyboard.flush())
            .map_err(|e| Failure::new(format!("to type {} on the terminal", show_bytes(text)), e))
    }

    /// Types Ctrl-D at the start of a line: the program's next read of
    /// stdin returns 0 (end of input).
    pub fn type_eof(&mut self) -> Result<(), Failure> {
        self.type_text(&[4])
    }

    /// Waits at most `timeout` for `needle` to appear in the output after
    /// what earlier expectations matched.
    pub fn expect_output(&mut self, needle: &[u8], timeout: Duration) -> Result<(), Failure> {
        let until = Instant::now() + timeout;
        loop {
            if let Some(i) = find(&self.shown[self.cursor..], needle) {
                self.cursor += i + needle.len();
                return Ok(());
            }
            let left = until.saturating_duration_since(Instant::now());
            match self.screen.recv_timeout(left) {
                Ok(bytes) => self.shown.extend_from_slice(&bytes),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(Failure::new(
                        format!(
                            "{} on the terminal within {:.1} s",
                            show_bytes(needle),
                            timeout.as_secs_f32()
                        ),
                        format!("not shown; {}", self.describe()),
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Failure::new(
                        format!("{} on the terminal", show_bytes(needle)),
                        format!("the terminal closed first; {}", self.describe()),
                    ));
                }
            }
        }
    }

    /// Everything the program wrote so far.
    pub fn output(&mut self) -> &[u8] {
        while let Ok(bytes) = self.screen.try_recv() {
            self.shown.extend_from_slice(&bytes);
        }
        &self.shown
    }

    #[cfg(test)]
    /// Everything the program wrote, once the terminal closes (the
    /// program exited), waiting at most `timeout` for that.
    pub fn output_until_closed(&mut self, timeout: Duration) -> &[u8] {
        let until = Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.screen.recv_timeout(left) {
                Ok(bytes) => self.shown.extend_from_slice(&bytes),
                Err(_) => return &self.shown,
            }
        }
    }

    /// Waits at most `timeout` for the program to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<WaitStatus> {
        let until = Instant::now() + timeout;
        loop {
            if self.status.is_some() {
                return self.status;
            }
            match self.process.status() {
                Some(WaitStatus::StillAlive) | None if Instant::now() < until => {
                    // Pacing the poll: waitpid has no timeout form.
                    thread::sleep(Duration::from_millis(2));
                }
                Some(WaitStatus::StillAlive) | None => return None,
                Some(status) => self.status = Some(status),
            }
        }
    }

    /// One line on the program's state and what it showed, for failures.
    pub fn describe(&mut self) -> String {
        let state = match self.status {
            Some(status) => format!("{} exited ({})", self.name, describe_wait(status)),
            None => format!("{} still running", self.name),
        };
        let name = self.name.clone();
        let shown = self.output();
        if shown.is_empty() {
            format!("{state}; the terminal shows nothing from {name}")
        } else {
            format!("{state}; the terminal shows {}", show_tail(shown))
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.process.signal(Signal::SIGKILL);
            // Reap it here, so rexpect's own drop has nothing left to do.
            let _ = self.wait_exit(Duration::from_secs(2));
        }
    }
}

/// Clears `ECHO` on the terminal whose master is `master`.
fn echo_off(master: &File) -> io::Result<()> {
    // SAFETY: termios is plain data, filled by tcgetattr before it is read.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: a valid fd and a valid termios pointer for both calls.
    unsafe {
        if libc::tcgetattr(master.as_raw_fd(), &mut t) != 0 {
            return Err(io::Error::last_os_error());
        }
        t.c_lflag &= !libc::ECHO;
        if libc::tcsetattr(master.as_raw_fd(), libc::TCSANOW, &t) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// `exit status 0`, `killed by signal SIGKILL`.
pub fn describe_wait(status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("exit status {code}"),
        WaitStatus::Signaled(_, sig, _) => format!("killed by signal {sig}"),
        other => format!("{other:?}"),
    }
}

/// The last bytes of some output, escaped.
fn show_tail(bytes: &[u8]) -> String {
    let start = bytes.len().saturating_sub(32);
    if start == 0 {
        show_bytes(bytes)
    } else {
        format!("[{start} bytes]...{}", show_bytes(&bytes[start..]))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_runs_cat() {
        // Typed at once, before cat runs: the terminal must not echo it.
        let mut t = Terminal::spawn("cat", Command::new("cat")).unwrap();
        t.type_text(b"typed\n").unwrap();
        t.expect_output(b"typed\r\n", Duration::from_secs(5))
            .unwrap();
        t.type_eof().unwrap();
        let status = t.wait_exit(Duration::from_secs(5));
        assert!(
            matches!(status, Some(WaitStatus::Exited(_, 0))),
            "{status:?}"
        );
        assert_eq!(t.output_until_closed(Duration::from_secs(5)), b"typed\r\n");
    }
}
