//! The client side of `echo_load`: three measurements of an echo server
//! listening on `127.0.0.1`.
//!
//! * [`round_trips`]: one connection, one short line at a time, waiting for
//!   each echo before sending the next. This is what an interactive client
//!   sees; it is dominated by the kernel (two wake-ups per round trip), so
//!   a good server only has to add nothing to it.
//! * [`bulk`]: one connection, a writer thread sending many lines as fast as
//!   the server takes them while this thread drains and checks the
//!   echoes. This is where the server's system calls per line show.
//! * [`connections`]: connect, one line, close, over and over. This is
//!   where `accept`, the server's per-connection work and its printing show.
//!
//! Every echo is checked byte for byte, so a fast but wrong server fails
//! instead of winning. Every socket has read and write timeouts
//! ([`IO_TIMEOUT`]), so a stuck server makes the measurement fail, never
//! hang.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// How long one `connect`, `read` or `write` may take before the
/// measurement fails.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Round trips made before timing starts (connection set-up, first
/// page faults in the server).
const WARM_UP: usize = 20;

/// Connects to the server on `127.0.0.1:port`, with [`IO_TIMEOUT`]s.
fn connect(port: u16) -> io::Result<TcpStream> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

/// An error saying the echo was not what was sent.
fn wrong_echo(what: &str) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, format!("wrong echo: {what}"))
}

/// Sends `line` and waits for its echo, `count` times on one connection
/// (after a few untimed ones), and returns each round trip's time.
///
/// The client sets `TCP_NODELAY`, so any delay measured is the server's.
///
/// # Errors
///
/// A socket error, a timeout, or an echo that differs from `line`.
pub fn round_trips(port: u16, count: usize, line: &[u8]) -> io::Result<Vec<Duration>> {
    let mut stream = connect(port)?;
    stream.set_nodelay(true)?;
    let mut echo = vec![0; line.len()];
    let mut times = Vec::with_capacity(count);
    for i in 0..WARM_UP + count {
        let start = Instant::now();
        stream.write_all(line)?;
        stream.read_exact(&mut echo)?;
        let elapsed = start.elapsed();
        if echo != line {
            return Err(wrong_echo("round trip"));
        }
        if i >= WARM_UP {
            times.push(elapsed);
        }
    }
    Ok(times)
}

/// A block of distinct lines of `line_len` bytes each (`'\n'` included),
/// about 64 KiB long: what [`bulk`] sends, over and over.
fn bulk_block(line_len: usize) -> Vec<u8> {
    let lines = (64 * 1024 / line_len).max(1);
    let mut block = Vec::with_capacity(lines * line_len);
    for i in 0..lines {
        // line i: letters starting at a different one, so that a lost or
        // repeated line shows
        block.extend((0..line_len - 1).map(|j| b'a' + ((i + j) % 26) as u8));
        block.push(b'\n');
    }
    block
}

/// Sends `total` bytes (rounded up to whole lines) of `line_len`-byte
/// lines on one connection, from a writer thread that then half-closes,
/// while this thread reads and checks the echoes; returns the time from
/// the first byte sent to the last byte echoed.
///
/// # Errors
///
/// A socket error, a timeout, or echoed bytes that differ from those sent
/// (too few, too many, or changed).
///
/// # Panics
///
/// If `line_len` is 0.
pub fn bulk(port: u16, total: usize, line_len: usize) -> io::Result<Duration> {
    bulk_on(connect(port)?, total, line_len)
}

/// [`bulk`] on a connection made beforehand (with timeouts set): so that
/// many clients can all be connected before any starts.
///
/// # Errors
///
/// As for [`bulk`].
///
/// # Panics
///
/// If `line_len` is 0.
pub fn bulk_on(mut reader: TcpStream, total: usize, line_len: usize) -> io::Result<Duration> {
    assert!(line_len > 0, "a line has at least its '\\n'");
    let total = total.div_ceil(line_len) * line_len;
    let block = bulk_block(line_len);
    // twice over, so that any piece of the stream is one slice of it
    let twice = [&block[..], &block[..]].concat();
    let mut writer = reader.try_clone()?;

    let start = Instant::now();
    let elapsed = thread::scope(|scope| {
        let sender = scope.spawn(|| -> io::Result<()> {
            let mut sent = 0;
            while sent < total {
                let n = block.len().min(total - sent);
                writer.write_all(&block[..n])?;
                sent += n;
            }
            // EOF for the server: it echoes what it has, then closes
            writer.shutdown(Shutdown::Write)
        });

        let mut buf = vec![0; block.len()];
        let mut received = 0;
        let mut result = Ok(());
        while received < total {
            let n = match reader.read(&mut buf) {
                Ok(0) => {
                    result = Err(wrong_echo(&format!(
                        "EOF after {received} of {total} bytes"
                    )));
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let at = received % block.len();
            if buf[..n] != twice[at..at + n] {
                result = Err(wrong_echo(&format!("bytes differ after {received}")));
                break;
            }
            received += n;
        }
        let elapsed = start.elapsed();
        if result.is_err() {
            // unblock the sender if it is stuck on a full socket
            let _ = reader.shutdown(Shutdown::Both);
        }
        let sent = sender
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("sender panicked")));
        result.and(sent).map(|()| elapsed)
    })?;

    // nothing more may come: the server closes after echoing everything
    let mut extra = [0; 1];
    match reader.read(&mut extra)? {
        0 => Ok(elapsed),
        _ => Err(wrong_echo(&format!("more than the {total} bytes sent"))),
    }
}

/// Connects, sends one short line, reads its echo and closes, `count`
/// times in a row; returns the total time.
///
/// # Errors
///
/// A socket error, a timeout, or a wrong echo.
pub fn connections(port: u16, count: usize) -> io::Result<Duration> {
    let line = b"ping\n";
    let mut echo = [0; 5];
    let start = Instant::now();
    for _ in 0..count {
        let mut stream = connect(port)?;
        stream.write_all(line)?;
        stream.read_exact(&mut echo)?;
        if &echo != line {
            return Err(wrong_echo("connection"));
        }
        // drop: close, the server sees EOF and goes back to accept
    }
    Ok(start.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-thread echo server for `connections` clients, for the tests.
    fn tiny_echo(connections: usize) -> (u16, thread::JoinHandle<()>) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = thread::spawn(move || {
            for _ in 0..connections {
                let (mut conn, _) = listener.accept().unwrap();
                let mut reader = conn.try_clone().unwrap();
                io::copy(&mut reader, &mut conn).unwrap();
            }
        });
        (port, handle)
    }

    /// All three measurements pass against a correct echo.
    #[test]
    fn measures_a_correct_server() {
        let (port, server) = tiny_echo(1 + 1 + 20);
        assert_eq!(round_trips(port, 100, b"hello\n").unwrap().len(), 100);
        bulk(port, 1 << 20, 100).unwrap();
        connections(port, 20).unwrap();
        server.join().unwrap();
    }

    /// A server that drops a byte fails the bulk check.
    #[test]
    fn bulk_notices_a_lost_byte() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut all = Vec::new();
            conn.read_to_end(&mut all).unwrap();
            all.remove(1000);
            conn.write_all(&all).unwrap();
        });
        assert!(bulk(port, 100_000, 100).is_err());
        server.join().unwrap();
    }
}
