//! The other end of the wire: the echo server under test, and the clients
//! and servers the checks play against it.
//!
//! Everything here listens and connects on loopback only, on ports the
//! kernel picks (port 0), so checks run in parallel and two grader runs on
//! one machine never meet. Every wait has a deadline and says, when it runs
//! out, what it was waiting for.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::bins::Binary;
use crate::check::{Ctx, Failure, show_bytes};
use crate::process::Proc;

/// How long a healthy peer may take to do one thing (start, answer a line,
/// exit). Generous: it fails only on a hang, never on a slow machine.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// `127.0.0.1`.
pub const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// `::1`.
pub const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// An echo server child process (`echoserver`, or lab 5's `echoservert` or
/// `echoservers`) and the port it listens on.
pub struct EchoServer {
    /// The process; killed when this is dropped.
    pub proc: Proc,
    /// The port from its `listening on port N` line.
    pub port: u16,
}

impl EchoServer {
    /// Starts `echoserver 0` and waits for `listening on port N`.
    pub fn start(ctx: &mut Ctx) -> Result<EchoServer, Failure> {
        EchoServer::start_bin(ctx, Binary::EchoServer)
    }

    /// Starts the server `bin` (`echoserver`, `echoservert`, `echoservers`)
    /// on port 0 and waits for `listening on port N`: they share lab 3's
    /// command line, so lab 3's process checks run against each.
    pub fn start_bin(ctx: &mut Ctx, bin: Binary) -> Result<EchoServer, Failure> {
        let path = bin.path()?;
        let name = bin.name();
        ctx.step(format!(
            "start `{name} 0` and wait for `listening on port N` on its stdout"
        ));
        let mut cmd = Command::new(&path);
        cmd.arg("0");
        let mut proc = Proc::spawn(name, cmd).map_err(|e| {
            Failure::new(
                format!("{name} to start"),
                format!("could not run {}: {e}", path.display()),
            )
        })?;
        let line = proc.next_line(ctx.budget(PATIENCE))?;
        let port = parse_listening(&line).ok_or_else(|| {
            Failure::new(
                "a first stdout line `listening on port N`, N the port it really listens on",
                format!("{} ({})", show_bytes(&line), proc.describe()),
            )
        })?;
        if port == 0 {
            return Err(Failure::new(
                "the real port the kernel chose (from local_addr), not 0",
                "listening on port 0",
            ));
        }
        ctx.step(format!("{name} says it listens on port {port}"));
        Ok(EchoServer { proc, port })
    }

    /// The server's address on `ip` (use [`V4`] or [`V6`]).
    pub fn addr(&self, ip: IpAddr) -> SocketAddr {
        SocketAddr::new(ip, self.port)
    }

    /// Connects a client on `ip`, with read and write timeouts set.
    pub fn connect(&mut self, ctx: &mut Ctx, ip: IpAddr) -> Result<TcpStream, Failure> {
        let addr = self.addr(ip);
        ctx.step(format!("connect to {addr}"));
        let stream = TcpStream::connect_timeout(&addr, ctx.budget(PATIENCE)).map_err(|e| {
            // A refused connection to a server that was listening most
            // likely means it has just died: its listening socket closes
            // before its exit is reported. Give that exit a moment to be
            // seen, so the state line says how it ended, not "still running".
            self.proc.wait_exit(Duration::from_millis(500));
            Failure::new(
                format!("a connection to {addr}"),
                format!("{e} ({})", self.proc.describe()),
            )
        })?;
        set_timeouts(&stream, PATIENCE);
        Ok(stream)
    }

    /// Fails unless the server process is still running.
    pub fn expect_alive(&mut self, ctx: &mut Ctx) -> Result<(), Failure> {
        let name = self.proc.name().to_string();
        if self.proc.is_running() {
            ctx.step(format!("{name} is still running  ok"));
            Ok(())
        } else {
            ctx.step(format!("is {name} still running?"));
            Err(Failure::new(
                "the server to keep running: a client's fault must never stop it",
                self.proc.describe(),
            ))
        }
    }
}

/// `listening on port 5000\n` → 5000.
pub fn parse_listening(line: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(line).ok()?.trim();
    text.strip_prefix("listening on port ")?.trim().parse().ok()
}

/// Sets both timeouts of a test socket, so no read or write blocks forever.
pub fn set_timeouts(stream: &TcpStream, t: Duration) {
    let _ = stream.set_read_timeout(Some(t));
    let _ = stream.set_write_timeout(Some(t));
}

/// Reads until `n` bytes came, EOF, an error, or `timeout`. Returns what
/// came and, if fewer than `n`, why it stopped.
pub fn read_up_to(
    stream: &mut TcpStream,
    n: usize,
    timeout: Duration,
) -> (Vec<u8>, Option<io::Error>) {
    let until = Instant::now() + timeout;
    let mut got = Vec::with_capacity(n);
    let mut buf = vec![0u8; 64 * 1024];
    while got.len() < n {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (
                got,
                Some(io::Error::new(ErrorKind::TimedOut, "deadline passed")),
            );
        }
        let _ = stream.set_read_timeout(Some(left));
        let want = (n - got.len()).min(buf.len());
        match stream.read(&mut buf[..want]) {
            Ok(0) => return (got, Some(io::Error::new(ErrorKind::UnexpectedEof, "EOF"))),
            Ok(k) => got.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return (got, Some(e)),
        }
    }
    (got, None)
}

/// Reads exactly `expected.len()` bytes and checks they are `expected`.
pub fn expect_echo(
    ctx: &mut Ctx,
    stream: &mut TcpStream,
    expected: &[u8],
    what: &str,
) -> Result<(), Failure> {
    let (got, err) = read_up_to(stream, expected.len(), ctx.budget(PATIENCE));
    if got == expected {
        ctx.step(format!("{what}: {}  ok", show_bytes(&got)));
        return Ok(());
    }
    ctx.step(what);
    let mut f = crate::check::bytes_failure(expected, &got);
    if let Some(e) = err {
        f = f.note(read_stopped(&e));
    }
    Err(f)
}

/// Writes all of `bytes` to the stream, as a step.
pub fn send(ctx: &mut Ctx, stream: &mut TcpStream, bytes: &[u8]) -> Result<(), Failure> {
    ctx.step(format!("send {}", show_bytes(bytes)));
    stream.write_all(bytes).map_err(|e| {
        Failure::new(
            format!("to send {} bytes", bytes.len()),
            format!("write failed: {e}"),
        )
    })
}

/// Writes all of `bytes` without recording a step: for large payloads
/// whose step the caller has already described.
pub fn send_quiet(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), Failure> {
    stream.write_all(bytes).map_err(|e| {
        Failure::new(
            format!("to send {} bytes", bytes.len()),
            format!("write failed: {e}"),
        )
    })
}

/// Waits until the peer closes: `read` returns 0 (EOF) within the budget.
pub fn expect_eof(ctx: &mut Ctx, stream: &mut TcpStream, what: &str) -> Result<(), Failure> {
    let (got, err) = read_up_to(stream, 1, ctx.budget(PATIENCE));
    match err {
        Some(e) if got.is_empty() && e.kind() == ErrorKind::UnexpectedEof => {
            ctx.step(format!("{what}: EOF  ok"));
            Ok(())
        }
        Some(e) if got.is_empty() => {
            ctx.step(what);
            Err(Failure::new(
                "EOF (read returns 0): the peer closed its end",
                format!("no EOF: {e}"),
            ))
        }
        _ => {
            ctx.step(what);
            Err(Failure::new(
                "EOF (read returns 0)",
                format!("more bytes: {}", show_bytes(&got)),
            ))
        }
    }
}

// ---------------------------------------------------------------------------
// Hostile clients: peers that reset, never read, or die mid-stream. Each is
// something a real client does to a server, and none may stop the server.

/// Closes `stream` with a reset (RST) instead of a FIN: `SO_LINGER` set to
/// 0 seconds, then close. The server's next read or write on that
/// connection fails with `ECONNRESET` (or `EPIPE`).
pub fn reset(stream: TcpStream) {
    // If setting the linger fails the close is a FIN: still a closed client.
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// Connects to `addr` with small socket buffers (4 KiB asked, fixed: no
/// autotuning), for a client that will not read. Loopback autotuning would
/// otherwise soak up megabytes on both sides; with these, the server's
/// echoes soon block it, and then our own writes stall.
pub fn connect_small_buffers(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_recv_buffer_size(4096)?;
    socket.set_send_buffer_size(4096)?;
    socket.connect_timeout(&addr.into(), timeout)?;
    let stream = TcpStream::from(socket);
    set_timeouts(&stream, PATIENCE);
    Ok(stream)
}

/// Writes copies of `chunk` to `stream` and never reads, until `total`
/// bytes are sent, a write makes no progress for `stuck`, or `timeout`
/// passes. Returns how many bytes were sent.
///
/// Against an echo server this fills both directions: the echoes pile up
/// unread on our side, the server blocks writing them, stops reading, and
/// our writes stall. A write blocked for `stuck` is that moment.
pub fn send_without_reading(
    stream: &mut TcpStream,
    chunk: &[u8],
    total: usize,
    stuck: Duration,
    timeout: Duration,
) -> usize {
    let until = Instant::now() + timeout;
    let _ = stream.set_write_timeout(Some(stuck));
    let mut sent = 0;
    while sent < total && Instant::now() < until {
        let want = chunk.len().min(total - sent);
        match stream.write(&chunk[..want]) {
            Ok(0) => break,
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // WouldBlock/TimedOut: stuck; anything else: the server is gone.
            Err(_) => break,
        }
    }
    sent
}

/// A client in a process of its own, to be killed with `SIGKILL` while it
/// streams: `cat`, whose stdout is the connection and whose stdin a thread
/// of ours feeds. It never reads the echoes.
///
/// The connection is handed over whole (the check keeps no copy), so when
/// the process dies the kernel closes the socket, as for any crashed
/// client; with the echoes it never read still queued, that close is a
/// reset.
pub struct StreamingClient {
    child: std::process::Child,
    fed: std::sync::mpsc::Receiver<usize>,
    taken: usize,
}

impl StreamingClient {
    /// Starts `cat` on `conn` and feeds it copies of `chunk`, up to `total`
    /// bytes.
    pub fn spawn(conn: TcpStream, chunk: Vec<u8>, total: usize) -> io::Result<StreamingClient> {
        use std::os::fd::OwnedFd;
        use std::process::Stdio;

        let mut cmd = Command::new("cat");
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::from(OwnedFd::from(conn)))
            .stderr(Stdio::null());
        crate::process::die_with_parent(&mut cmd);
        let mut child = cmd.spawn()?;
        // Closes our copy of the socket: the child holds the only one now.
        drop(cmd);
        let Some(mut stdin) = child.stdin.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("cat has no stdin"));
        };
        let (tx, fed) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut n = 0;
            // Ends when the child dies (EPIPE) or everything is fed.
            while n < total && stdin.write_all(&chunk).is_ok() {
                n += chunk.len();
                if tx.send(n).is_err() {
                    break;
                }
            }
        });
        Ok(StreamingClient {
            child,
            fed,
            taken: 0,
        })
    }

    /// Waits until the process has taken at least `n` bytes from us, or
    /// `timeout`; returns how many it took.
    pub fn wait_taken(&mut self, n: usize, timeout: Duration) -> usize {
        let until = Instant::now() + timeout;
        while self.taken < n {
            let left = until.saturating_duration_since(Instant::now());
            match self.fed.recv_timeout(left) {
                Ok(k) => self.taken = k,
                Err(_) => break,
            }
        }
        self.taken
    }

    /// Sends `SIGKILL` and reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for StreamingClient {
    fn drop(&mut self) {
        self.kill();
    }
}

/// All 256 byte values in lines, then CRLF lines and invalid UTF-8: what
/// a binary-safe echo gives back untouched.
pub fn binary_message() -> Vec<u8> {
    let mut msg: Vec<u8> = (0..=255u8).collect();
    msg.extend_from_slice(b"\r\nCRLF line\r\n\xff\xfe\x00 not UTF-8\n\x00");
    msg
}

/// Why a read of the echo stopped short, as a note for its failure.
pub fn read_stopped(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            "then nothing more came before the deadline".to_string()
        }
        ErrorKind::UnexpectedEof => "then the server closed the connection".to_string(),
        _ => format!("then the read failed: {e}"),
    }
}
