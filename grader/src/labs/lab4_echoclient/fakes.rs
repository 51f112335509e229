//! Fake servers for the `echoclient` checks (lab 4).
//!
//! To grade a client, the check must own the other end of its connection:
//! a server that behaves like `echoserver`, or misbehaves on purpose
//! (closes after a line, resets, echoes in dribbles), and that records
//! everything it saw. Then a failure can say *where* the bytes went wrong:
//! the client sent the wrong bytes, never sent them, or never printed the
//! echo it was given. [`FakeServer`] is that server: it listens on a
//! loopback port chosen by the kernel and serves one client in threads of
//! the check process.
//!
//! It never blocks forever: the accept and every read and write have a
//! timeout longer than any wait of a check (so the check reports the
//! client's fault first), and dropping the server shuts its connection
//! down, which ends its threads at once.
//!
//! The terminal a client is typed at is in `terminal.rs`.

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd as _;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::check::{Ctx, Failure, show_bytes};
use crate::scripted::Rng;

/// How long a fake server waits for a client, or for its next bytes, before
/// giving up. Longer than any wait of a check ([`crate::peers::PATIENCE`]),
/// so it is the check that reports a silent client, never the server.
const IDLE: Duration = Duration::from_secs(20);

/// `echoserver` reads lines into a buffer of `RIO_BUFSIZE` bytes, so it
/// echoes a longer line in pieces of that size. The fake does the same.
const LINE_BUF: usize = 8192;

/// The pause between two pieces of a dribbled echo.
const DRIBBLE_PAUSE: Duration = Duration::from_millis(2);

/// What a [`FakeServer`] does with its one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// Like `echoserver`: each complete line back at once; a partial line
    /// when it fills an 8 KiB buffer, or at EOF (then the server closes).
    Lines,
    /// Every byte back as soon as it arrives, newline or not: no assumption
    /// on how a client cuts a long line.
    Stream,
    /// Like [`Script::Lines`], but each echo goes out in pieces of 1 to 3
    /// bytes with short pauses (piece sizes from the seeded generator).
    Dribble {
        /// Seed of the piece sizes.
        seed: u64,
    },
    /// Echoes the first line, then closes its sending side (the client's
    /// next read gets EOF) and ignores everything else.
    CloseAfterFirstLine,
    /// Reads the first line and resets the connection (RST) without
    /// echoing it.
    ResetAfterFirstLine,
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Script::Lines => f.write_str("echoes each line at once, a last partial line at EOF"),
            Script::Stream => f.write_str("echoes every byte as soon as it arrives"),
            Script::Dribble { seed } => {
                write!(
                    f,
                    "echoes each line in pieces of 1-3 bytes with pauses, seed {seed}"
                )
            }
            Script::CloseAfterFirstLine => {
                f.write_str("echoes the first line, then closes the connection")
            }
            Script::ResetAfterFirstLine => {
                f.write_str("reads the first line, then resets the connection")
            }
        }
    }
}

/// What a fake server saw of its client so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// A client connected.
    pub accepted: bool,
    /// Every byte the client sent, in order.
    pub received: Vec<u8>,
    /// Every byte the server echoed back, in order.
    pub echoed: Vec<u8>,
    /// The client closed its sending side (a read returned 0).
    pub eof: bool,
    /// The server closed or reset the connection.
    pub closed: bool,
    /// A timeout or an error on the server's side, if any.
    pub trouble: Option<String>,
    /// The server's threads have finished.
    pub done: bool,
}

impl Seen {
    /// One line for a failure message: what the server got and gave.
    pub fn describe(&self) -> String {
        if !self.accepted {
            return match &self.trouble {
                Some(t) => format!("the server was never connected to ({t})"),
                None => "the server has not been connected to (yet)".to_string(),
            };
        }
        let mut s = format!(
            "the server received {} bytes {}, echoed {} bytes {}",
            self.received.len(),
            show_bytes(&self.received),
            self.echoed.len(),
            show_bytes(&self.echoed)
        );
        s.push_str(if self.eof {
            ", then saw EOF (the client closed its end)"
        } else {
            ", and saw no EOF from the client"
        });
        if let Some(t) = &self.trouble {
            s.push_str(&format!("; {t}"));
        }
        s
    }
}

/// State shared by a fake server and its threads.
#[derive(Default)]
struct Shared {
    seen: Mutex<Seen>,
    changed: Condvar,
    /// A clone of the connection, so that dropping the server can shut it
    /// down and wake its threads.
    conn: Mutex<Option<TcpStream>>,
    /// Set when the check drops the server.
    stopping: Mutex<bool>,
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut lock(&self.seen));
        self.changed.notify_all();
    }

    fn trouble(&self, what: String) {
        self.update(|s| {
            s.trouble.get_or_insert(what);
        });
    }
}

/// A fake server on loopback serving one client by a [`Script`], in
/// threads of the check process.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FakeServer {
    /// Listens on `ip` port 0 (use [`crate::peers::V4`] or
    /// [`crate::peers::V6`]) and serves the first client by `script`;
    /// records that as a step.
    pub fn start(ctx: &mut Ctx, ip: IpAddr, script: Script) -> Result<FakeServer, Failure> {
        let server = FakeServer::listen(ip, script)?;
        ctx.step(format!(
            "a fake server listens on {}; it {script}",
            server.addr
        ));
        Ok(server)
    }

    /// [`FakeServer::start`] without the step.
    pub fn listen(ip: IpAddr, script: Script) -> Result<FakeServer, Failure> {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).map_err(|e| {
            let f = Failure::new(
                format!("a fake server listening on {ip}, port 0"),
                format!("bind failed: {e}"),
            );
            if ip.is_ipv6() {
                f.note("is the IPv6 loopback (::1) available on this machine?")
            } else {
                f
            }
        })?;
        let addr = listener.local_addr().map_err(|e| {
            Failure::new("the fake server's port", format!("local_addr failed: {e}"))
        })?;
        let shared = Arc::new(Shared::default());
        let theirs = Arc::clone(&shared);
        thread::spawn(move || serve(listener, script, &theirs));
        Ok(FakeServer { addr, shared })
    }

    /// The address it listens on.
    #[cfg(test)]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A snapshot of what it saw so far.
    pub fn seen(&self) -> Seen {
        lock(&self.shared.seen).clone()
    }

    /// Waits at most `timeout` until `cond` holds of what the server saw;
    /// returns whether it did, and the snapshot.
    pub fn wait_until(
        &self,
        timeout: Duration,
        mut cond: impl FnMut(&Seen) -> bool,
    ) -> (bool, Seen) {
        let guard = lock(&self.shared.seen);
        let (guard, _) = self
            .shared
            .changed
            .wait_timeout_while(guard, timeout, |s| !cond(s))
            .unwrap_or_else(|e| e.into_inner());
        (cond(&guard), guard.clone())
    }

    /// Waits (at most `timeout`) for the server to finish with its client,
    /// which it does once the client has closed the connection; returns
    /// what it saw, or a failure saying it is still serving.
    pub fn finish(&self, timeout: Duration) -> Result<Seen, Failure> {
        match self.wait_until(timeout, |s| s.done) {
            (true, seen) => Ok(seen),
            (false, seen) => Err(Failure::new(
                format!(
                    "the connection closed within {:.1} s after echoclient exited",
                    timeout.as_secs_f32()
                ),
                format!("still open: {}", seen.describe()),
            )),
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        *lock_flag(&self.shared.stopping) = true;
        if let Some(conn) = lock_conn(&self.shared.conn).take() {
            // Wakes the server's reads: they return 0 and its threads end.
            let _ = conn.shutdown(Shutdown::Both);
        }
        if !self.seen().accepted {
            // Wakes an accept that is still waiting; it sees `stopping`.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        }
    }
}

/// The server thread: accept one client, play the script, record.
fn serve(listener: TcpListener, script: Script, shared: &Shared) {
    let conn = match accept_within(&listener, IDLE) {
        Ok(conn) => conn,
        Err(e) => {
            shared.trouble(format!(
                "no client connected within {} s ({e})",
                IDLE.as_secs()
            ));
            shared.update(|s| s.done = true);
            return;
        }
    };
    // One client only: from now on, connecting is refused.
    drop(listener);
    if *lock_flag(&shared.stopping) {
        shared.update(|s| s.done = true);
        return;
    }
    shared.update(|s| s.accepted = true);
    // Small pieces must leave at once (dribbles), and no wait is endless.
    let _ = conn.set_nodelay(true);
    let _ = conn.set_read_timeout(Some(IDLE));
    let _ = conn.set_write_timeout(Some(IDLE));
    if let Ok(clone) = conn.try_clone() {
        *lock_conn(&shared.conn) = Some(clone);
    }
    match script {
        Script::Lines | Script::Stream | Script::Dribble { .. } => serve_echo(conn, script, shared),
        Script::CloseAfterFirstLine => close_after_first_line(conn, shared),
        Script::ResetAfterFirstLine => reset_after_first_line(conn, shared),
    }
    shared.update(|s| s.done = true);
}

/// `accept`, but waiting at most `timeout` for a client (poll first).
fn accept_within(listener: &TcpListener, timeout: Duration) -> io::Result<TcpStream> {
    let until = Instant::now() + timeout;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(ErrorKind::TimedOut, "accept timed out"));
        }
        let mut fd = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
        // SAFETY: `fd` is one valid pollfd that outlives the call.
        let n = unsafe { libc::poll(&mut fd, 1, ms) };
        match n {
            0 => continue,
            n if n > 0 => return listener.accept().map(|(conn, _)| conn),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

/// The echoing scripts. This thread reads and decides what to echo; a
/// second thread writes the echoes. So the server never stops reading
/// while an echo waits to be written: a client that sends a long line
/// before reading anything back cannot deadlock against it.
fn serve_echo(mut conn: TcpStream, script: Script, shared: &Shared) {
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let pieces = match script {
        Script::Dribble { seed } => Some(Rng::new(seed)),
        _ => None,
    };
    let writer = conn.try_clone();
    thread::scope(|scope| {
        match writer {
            Ok(writer) => {
                scope.spawn(move || write_echoes(writer, rx, pieces, shared));
            }
            Err(e) => shared.trouble(format!("the server could not clone its socket: {e}")),
        }
        let mut pending = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match conn.read(&mut buf) {
                // EOF: the client is done; a partial last line goes back now.
                Ok(0) => {
                    shared.update(|s| s.eof = true);
                    if !pending.is_empty() {
                        let _ = tx.send(std::mem::take(&mut pending));
                    }
                    break;
                }
                Ok(n) => {
                    shared.update(|s| s.received.extend_from_slice(&buf[..n]));
                    pending.extend_from_slice(&buf[..n]);
                    if let Some(ready) = ready_to_echo(&mut pending, script) {
                        let _ = tx.send(ready);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    shared.trouble(read_trouble(&e));
                    break;
                }
            }
        }
        // The writer ends when it has written everything sent to it.
        drop(tx);
    });
    // The whole echo is out: close, like echoserver after `echo` returns.
    let _ = conn.shutdown(Shutdown::Both);
    shared.update(|s| s.closed = true);
}

/// Takes from `pending` what the script echoes now: everything (stream),
/// or complete lines and full 8 KiB pieces of a long line (lines).
fn ready_to_echo(pending: &mut Vec<u8>, script: Script) -> Option<Vec<u8>> {
    let upto = match script {
        Script::Stream => pending.len(),
        _ => {
            let lines = pending
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            // The rest is a partial line: whole buffers of it go back too.
            let rest = pending.len() - lines;
            lines + rest / LINE_BUF * LINE_BUF
        }
    };
    (upto > 0).then(|| pending.drain(..upto).collect())
}

/// The writing half of the echoing scripts.
fn write_echoes(
    mut conn: TcpStream,
    rx: Receiver<Vec<u8>>,
    mut pieces: Option<Rng>,
    shared: &Shared,
) {
    for chunk in rx {
        let mut rest = &chunk[..];
        while !rest.is_empty() {
            let n = match &mut pieces {
                Some(rng) => rng.range(1, 3).min(rest.len()),
                None => rest.len(),
            };
            if let Err(e) = conn.write_all(&rest[..n]) {
                shared.trouble(format!("the server's write failed: {e}"));
                return;
            }
            shared.update(|s| s.echoed.extend_from_slice(&rest[..n]));
            rest = &rest[n..];
            if pieces.is_some() {
                // Pacing, not synchronisation: it makes each piece arrive
                // on its own, as a slow network would deliver it.
                thread::sleep(DRIBBLE_PAUSE);
            }
        }
    }
}

/// Reads until the first line is in (or EOF, or an error); returns it.
fn read_first_line(conn: &mut TcpStream, shared: &Shared) -> Option<Vec<u8>> {
    let mut buf = [0u8; 4096];
    loop {
        {
            let seen = lock(&shared.seen);
            if let Some(i) = seen.received.iter().position(|&b| b == b'\n') {
                return Some(seen.received[..=i].to_vec());
            }
        }
        match conn.read(&mut buf) {
            Ok(0) => {
                shared.update(|s| s.eof = true);
                return None;
            }
            Ok(n) => shared.update(|s| s.received.extend_from_slice(&buf[..n])),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                shared.trouble(read_trouble(&e));
                return None;
            }
        }
    }
}

/// [`Script::CloseAfterFirstLine`]: the echo of the first line, then a FIN.
/// The server keeps reading (and recording) until the client closes, so
/// that the client's next read sees a clean EOF, never a reset.
fn close_after_first_line(mut conn: TcpStream, shared: &Shared) {
    if let Some(line) = read_first_line(&mut conn, shared) {
        match conn.write_all(&line) {
            Ok(()) => shared.update(|s| s.echoed.extend_from_slice(&line)),
            Err(e) => shared.trouble(format!("the server's write failed: {e}")),
        }
    }
    let _ = conn.shutdown(Shutdown::Write);
    shared.update(|s| s.closed = true);
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => {
                shared.update(|s| s.eof = true);
                break;
            }
            Ok(n) => shared.update(|s| s.received.extend_from_slice(&buf[..n])),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                shared.trouble(read_trouble(&e));
                break;
            }
        }
    }
}

/// [`Script::ResetAfterFirstLine`]: read the first line, then RST.
fn reset_after_first_line(mut conn: TcpStream, shared: &Shared) {
    let _ = read_first_line(&mut conn, shared);
    // Every handle must go for the close (and so the RST) to happen.
    drop(lock_conn(&shared.conn).take());
    // SO_LINGER of 0 seconds makes the close send RST instead of FIN. If
    // setting it fails, the close is a FIN: still a server gone.
    let _ = socket2::SockRef::from(&conn).set_linger(Some(Duration::ZERO));
    drop(conn);
    shared.update(|s| s.closed = true);
}

fn read_trouble(e: &io::Error) -> String {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            format!(
                "the server got nothing more for {} s and gave up",
                IDLE.as_secs()
            )
        }
        _ => format!("the server's read failed: {e}"),
    }
}

/// A port on `ip` where nothing listens (bound by us, then closed), for
/// "connection refused".
pub fn closed_port(ip: IpAddr) -> Result<u16, Failure> {
    let listener = TcpListener::bind(SocketAddr::new(ip, 0))
        .map_err(|e| Failure::new(format!("a free port on {ip}"), format!("bind failed: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| {
            Failure::new(
                format!("a free port on {ip}"),
                format!("local_addr failed: {e}"),
            )
        })?
        .port();
    drop(listener);
    Ok(port)
}

fn lock(m: &Mutex<Seen>) -> MutexGuard<'_, Seen> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn lock_conn(m: &Mutex<Option<TcpStream>>) -> MutexGuard<'_, Option<TcpStream>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn lock_flag(m: &Mutex<bool>) -> MutexGuard<'_, bool> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::V4;

    fn connect(server: &FakeServer) -> TcpStream {
        let c = TcpStream::connect(server.addr()).expect("connect to the fake");
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c
    }

    fn read_exactly(c: &mut TcpStream, n: usize) -> Vec<u8> {
        let mut got = vec![0u8; n];
        c.read_exact(&mut got).expect("the echo");
        got
    }

    #[test]
    fn lines_hold_a_partial_line_until_eof() {
        let server = FakeServer::listen(V4, Script::Lines).unwrap();
        let mut c = connect(&server);
        c.write_all(b"one\ntw").unwrap();
        assert_eq!(read_exactly(&mut c, 4), b"one\n");
        let (both, seen) = server.wait_until(Duration::from_secs(5), |s| {
            s.received.len() == 6 && s.echoed.len() >= 4
        });
        assert!(both, "{seen:?}");
        assert_eq!(seen.echoed, b"one\n", "the partial line waits for EOF");
        c.write_all(b"o").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_exactly(&mut c, 3), b"two");
        assert_eq!(
            c.read(&mut [0u8; 8]).unwrap(),
            0,
            "the fake closes after EOF"
        );
        let seen = server.finish(Duration::from_secs(5)).unwrap();
        assert_eq!(seen.received, b"one\ntwo");
        assert!(seen.eof && seen.closed);
    }

    #[test]
    fn long_partial_lines_go_back_in_buffers() {
        let mut pending = vec![b'x'; 2 * LINE_BUF + 5];
        let ready = ready_to_echo(&mut pending, Script::Lines).unwrap();
        assert_eq!((ready.len(), pending.len()), (2 * LINE_BUF, 5));
        let mut pending = b"a\nb\nc".to_vec();
        assert_eq!(
            ready_to_echo(&mut pending, Script::Lines).unwrap(),
            b"a\nb\n"
        );
        assert_eq!(ready_to_echo(&mut pending, Script::Stream).unwrap(), b"c");
    }

    #[test]
    fn dribble_echoes_everything() {
        let server = FakeServer::listen(V4, Script::Dribble { seed: 1 }).unwrap();
        let mut c = connect(&server);
        c.write_all(b"dribble\n").unwrap();
        assert_eq!(read_exactly(&mut c, 8), b"dribble\n");
    }

    #[test]
    fn reset_after_first_line_resets() {
        let server = FakeServer::listen(V4, Script::ResetAfterFirstLine).unwrap();
        let mut c = connect(&server);
        c.write_all(b"first\n").unwrap();
        let err = c.read(&mut [0u8; 8]).expect_err("a reset");
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    }

    #[test]
    fn unused_server_ends_when_dropped() {
        let server = FakeServer::listen(V4, Script::Lines).unwrap();
        let shared = Arc::clone(&server.shared);
        drop(server);
        let seen = lock(&shared.seen);
        let (seen, _) = shared
            .changed
            .wait_timeout_while(seen, Duration::from_secs(5), |s| !s.done)
            .unwrap();
        assert!(seen.done);
    }
}
