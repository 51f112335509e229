//! The echo service of the lecture's iterative echo server: read a line
//! from the client, write it back, until the client closes.
//!
//! [`echo`] is the whole protocol, kept apart from the server loop in
//! `main.rs` so it can be tested on any byte stream, not only on a socket.
//! It reads with [`rio::Rio::readlineb`], which copes with short counts and
//! splits the stream at newlines, and writes with [`rio::writen`], which
//! copes with short writes. The client's EOF (it closed its end, or
//! half-closed it with `shutdown`) ends the loop.
//!
//! Simplified on purpose: one write per line, as on the slide. A line is
//! echoed when it is complete or when it fills the line buffer
//! ([`rio::RIO_BUFSIZE`] bytes, the textbook's `MAXLINE`), so an endless
//! line costs no more memory than a short one.

use std::io::{self, Read, Write};

/// Echoes `conn` back to itself line by line until EOF, and returns the
/// number of bytes echoed.
///
/// Each line read with `readlineb` (up to [`rio::RIO_BUFSIZE`] bytes: a
/// longer line is echoed in pieces) is written back whole with `writen`
/// on the same stream. Bytes are bytes: `\r`, NUL and invalid UTF-8 are
/// echoed as they came. A last line without `\n` is echoed when EOF comes.
///
/// `conn` is usually a `TcpStream` or `&TcpStream`; it is dropped, so a
/// socket passed by value is closed, when `echo` returns.
///
/// # Errors
///
/// The first read or write error other than `Interrupted`, e.g.
/// `ConnectionReset` when the client vanished, or `BrokenPipe` when it
/// closed while we were writing. What was echoed until then stays sent.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::Shutdown;
///
/// let listener = netutil::open_listenfd(0)?;
/// let port = listener.local_addr()?.port();
/// let mut client = netutil::open_clientfd("127.0.0.1", port)?;
/// client.write_all(b"hello\nworld")?;
/// client.shutdown(Shutdown::Write)?; // EOF for the server
///
/// let (conn, _peer) = listener.accept()?;
/// assert_eq!(echoserver::echo(conn)?, 11); // conn is closed now
///
/// let mut echoed = Vec::new();
/// client.read_to_end(&mut echoed)?;
/// assert_eq!(echoed, b"hello\nworld");
/// # Ok::<(), std::io::Error>(())
/// ```
// ANCHOR: echo
pub fn echo<S: Read + Write>(conn: S) -> io::Result<u64> {
    // BEGIN SOLUTION: lab 3 step 1 (echo)
    let mut rio = rio::Rio::new(conn);
    let mut line = vec![0u8; rio::RIO_BUFSIZE];
    let mut echoed = 0;
    loop {
        let n = rio.readlineb(&mut line)?;
        // 0: the client closed its end, EOF
        if n == 0 {
            return Ok(echoed);
        }
        // write back on the same connection
        rio::writen(rio.get_mut(), &line[..n])?;
        echoed += n as u64;
    }
    // END SOLUTION
}
// ANCHOR_END: echo

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, ErrorKind};

    /// A connection: reads come from a script, writes go to a Vec (or
    /// fail, if `broken`).
    struct Duplex {
        input: Cursor<Vec<u8>>,
        output: Vec<u8>,
        writes: usize,
        broken: bool,
    }

    impl Duplex {
        fn new(input: &[u8]) -> Duplex {
            Duplex {
                input: Cursor::new(input.to_vec()),
                output: Vec::new(),
                writes: 0,
                broken: false,
            }
        }
    }

    impl Read for Duplex {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Duplex {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.broken {
                return Err(ErrorKind::BrokenPipe.into());
            }
            self.writes += 1;
            self.output.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Lines come back one write each, in order, with their bytes.
    #[test]
    fn echoes_each_line() {
        let mut conn = Duplex::new(b"one\ntwo\r\n\0\xff\n");
        assert_eq!(echo(&mut conn).unwrap(), 12);
        assert_eq!(conn.output, b"one\ntwo\r\n\0\xff\n");
        assert_eq!(conn.writes, 3);
    }

    /// A last line without newline is echoed; an empty stream echoes 0.
    #[test]
    fn last_line_and_empty_stream() {
        let mut conn = Duplex::new(b"a\nno newline");
        assert_eq!(echo(&mut conn).unwrap(), 12);
        assert_eq!(conn.output, b"a\nno newline");

        let mut conn = Duplex::new(b"");
        assert_eq!(echo(&mut conn).unwrap(), 0);
        assert_eq!(conn.writes, 0);
    }

    /// A line longer than RIO_BUFSIZE is echoed in pieces of that size.
    #[test]
    fn long_line_in_pieces() {
        let mut input = vec![b'x'; 2 * rio::RIO_BUFSIZE + 5];
        input.push(b'\n');
        let mut conn = Duplex::new(&input);
        assert_eq!(echo(&mut conn).unwrap(), input.len() as u64);
        assert_eq!(conn.output, input);
        assert_eq!(conn.writes, 3);
    }

    /// A write error ends the echo with that error.
    #[test]
    fn write_error_is_returned() {
        let mut conn = Duplex::new(b"hello\n");
        conn.broken = true;
        assert_eq!(echo(&mut conn).unwrap_err().kind(), ErrorKind::BrokenPipe);
    }
}
