//! Child processes under test, with guards and deadlines.
//!
//! [`Proc`] starts a binary with piped stdio and reads its stdout and
//! stderr on threads of its own, so a check can wait for "the next line"
//! or "the exit" with a deadline instead of sleeping. Dropping a `Proc`
//! kills and reaps it, whether the check passed, failed or panicked; and
//! the child is asked to die with the check process (`PR_SET_PDEATHSIG`),
//! so a check killed at its deadline leaves nothing behind either.
//!
//! Spawn from the check's own thread: the death signal follows the thread
//! that spawned the child.

use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::check::Failure;

/// A running child process, killed and reaped on drop.
pub struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Vec<u8>>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// One message from each reader thread when its pipe reaches EOF.
    drained: Receiver<()>,
    status: Option<ExitStatus>,
}

impl Proc {
    /// Starts `cmd` with stdin, stdout and stderr piped. `name` is what
    /// messages call it (`echoserver`).
    pub fn spawn(name: &str, mut cmd: Command) -> io::Result<Proc> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        die_with_parent(&mut cmd);
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (done, drained) = mpsc::channel();
        if let Some(mut out) = child.stdout.take() {
            let all = Arc::clone(&stdout);
            let done = done.clone();
            thread::spawn(move || {
                let mut line = Vec::new();
                let mut buf = [0u8; 8192];
                while let Ok(n @ 1..) = out.read(&mut buf) {
                    lock(&all).extend_from_slice(&buf[..n]);
                    for &b in &buf[..n] {
                        line.push(b);
                        if b == b'\n' {
                            let _ = tx.send(std::mem::take(&mut line));
                        }
                    }
                }
                if !line.is_empty() {
                    let _ = tx.send(line);
                }
                let _ = done.send(());
            });
        }
        if let Some(mut err) = child.stderr.take() {
            let all = Arc::clone(&stderr);
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = err.read(&mut buf) {
                    lock(&all).extend_from_slice(&buf[..n]);
                }
                let _ = done.send(());
            });
        }
        Ok(Proc {
            name: name.to_string(),
            child,
            stdin,
            lines,
            stdout,
            stderr,
            drained,
            status: None,
        })
    }

    /// The name messages use.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes to the child's stdin.
    pub fn write_stdin(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.stdin {
            Some(stdin) => {
                stdin.write_all(bytes)?;
                stdin.flush()
            }
            None => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "stdin already closed",
            )),
        }
    }

    /// Closes the child's stdin: it sees EOF.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Takes the child's stdin, to feed it from another thread: a large
    /// input may not fit in the pipe while the check waits for something
    /// else. Dropping it closes stdin (the child sees EOF).
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// The next line (or last unterminated piece) of stdout, waiting at most
    /// `timeout`. `Err` says what happened instead, for a failure message.
    pub fn next_line(&mut self, timeout: Duration) -> Result<Vec<u8>, Failure> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => Err(Failure::new(
                format!(
                    "a line on {}'s stdout within {:.1} s",
                    self.name,
                    timeout.as_secs_f32()
                ),
                format!("no line; {}", self.describe()),
            )),
            Err(RecvTimeoutError::Disconnected) => {
                // stdout closed: the child is most likely exiting; let its
                // exit and the rest of its stderr arrive before describing it.
                self.wait_exit(Duration::from_secs(1));
                Err(Failure::new(
                    format!("a line on {}'s stdout", self.name),
                    format!("stdout closed; {}", self.describe()),
                ))
            }
        }
    }

    /// Waits at most `timeout` for the child to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if self.status.is_some() {
            return self.status;
        }
        let until = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.status = Some(status);
                    self.join_output(until);
                    return self.status;
                }
                Ok(None) if Instant::now() < until => wait_a_little(),
                _ => return None,
            }
        }
    }

    /// Waits for the exit, or fails saying the child is still running.
    pub fn expect_exit(&mut self, timeout: Duration) -> Result<ExitStatus, Failure> {
        self.wait_exit(timeout).ok_or_else(|| {
            Failure::new(
                format!(
                    "{} to exit within {:.1} s",
                    self.name,
                    timeout.as_secs_f32()
                ),
                format!("still running; {}", self.describe()),
            )
        })
    }

    /// Is the child still running?
    pub fn is_running(&mut self) -> bool {
        self.status.is_none() && matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything the child wrote to stdout so far.
    pub fn stdout(&self) -> Vec<u8> {
        lock(&self.stdout).clone()
    }

    /// Everything the child wrote to stderr so far.
    pub fn stderr(&self) -> Vec<u8> {
        lock(&self.stderr).clone()
    }

    /// Sends `SIGKILL` to the child and its process group.
    pub fn kill(&mut self) {
        if self.status.is_none() {
            // SAFETY: kill(2) touches no memory; the child is not reaped yet,
            // so its pid (and group id) cannot have been reused.
            unsafe {
                libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        if let Ok(status) = self.child.wait() {
            self.status = Some(status);
        }
    }

    /// How many file descriptors the child has open.
    pub fn fd_count(&self) -> io::Result<usize> {
        grader_sandbox::sys::open_fd_count(self.pid() as i32)
    }

    /// One line on the child's state, for failure messages: running or its
    /// exit, and the tail of its stderr.
    pub fn describe(&mut self) -> String {
        // An exit not yet seen is taken now, with the rest of its output:
        // a child that just panicked must not look silent.
        let state = match self.wait_exit(Duration::ZERO) {
            Some(s) => format!("{} exited ({})", self.name, describe_status(s)),
            None => format!("{} still running", self.name),
        };
        let err = self.stderr();
        if err.is_empty() {
            format!("{state}, nothing on stderr")
        } else {
            format!("{state}, stderr: {}", text_tail(&err, 300))
        }
    }

    /// After the exit, waits (until `until`, and at least a second) for both
    /// reader threads to reach EOF, so `stdout()` and `stderr()` are whole.
    /// A grandchild still holding the pipes could keep them open: then we
    /// give up at the deadline with what we have.
    fn join_output(&self, until: Instant) {
        let until = until.max(Instant::now() + Duration::from_secs(1));
        for _ in 0..2 {
            let left = until.saturating_duration_since(Instant::now());
            if self.drained.recv_timeout(left).is_err() {
                return;
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.status.is_none() {
            self.kill();
        }
    }
}

/// Asks that the child started by `cmd` be killed when the thread that
/// starts it ends (Linux: `PR_SET_PDEATHSIG`): a check killed at its
/// deadline takes its children with it. Start the child from the check's
/// own thread. Where the platform cannot (macOS), the supervisor's tracking
/// of the process table kills it instead.
pub fn die_with_parent(cmd: &mut Command) {
    grader_sandbox::sys::die_with_parent(cmd)
}

/// `exit status 2`, `killed by signal 9`.
pub fn describe_status(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => status.to_string(),
    }
}

/// The last `max` bytes of some output, as one line of text
/// (`\n` shown as ` ⏎ `), for a failure message.
pub fn text_tail(bytes: &[u8], max: usize) -> String {
    let tail = &bytes[bytes.len().saturating_sub(max)..];
    let text = String::from_utf8_lossy(tail);
    let text = text.trim_end().replace('\n', " ⏎ ");
    if tail.len() < bytes.len() {
        format!("...{text}")
    } else {
        text
    }
}

/// Short pause while polling a child's exit. `try_wait` has no timeout
/// form, so exit waits poll; this paces the polling, it is not
/// synchronisation.
fn wait_a_little() {
    thread::sleep(Duration::from_millis(2));
}

fn lock(m: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
