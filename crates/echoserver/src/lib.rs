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
//! A line is echoed when it is complete or when it fills the line buffer
//! (2 × [`rio::RIO_BUFSIZE`] bytes, twice the textbook's `MAXLINE`; see
//! below), so an endless line costs no more memory than a short one.
//!
//! # Batching the writes (step 4, optional)
//!
//! The slide's loop writes each line as soon as it has read it: one `write`
//! system call, and one trip through the kernel's TCP code, per line. That
//! is right for a person typing, and it is the bottleneck for a client that
//! sends many lines at once: the `Rio` then reads 8 KiB, some 80 lines, in
//! one `read`, and the loop makes 80 `write`s of them. Step 4 adds one
//! thing to the loop: after a line, while [`rio::Rio::buffer`] still holds
//! a whole line, it takes that line too, into the same line buffer, and
//! only then writes everything in one `writen`. Those `readlineb` calls
//! never block, since the `'\n'` they stop at is already buffered; and
//! everything taken is written back before the next `readlineb` that may
//! block, so a client waiting for an echo never waits for us. The bytes on
//! the wire are the same; only the number of writes drops, from one per
//! line to one per `read`, and bulk echo of short lines runs several times
//! faster (lab 3's handout, step 4, has the figures).
//!
//! That is also why the line buffer is twice `RIO_BUFSIZE`: a batch starts
//! with the end of a line that the previous `read` cut, then takes every
//! whole line of a new `read` of up to `RIO_BUFSIZE` bytes. In a buffer of
//! only `RIO_BUFSIZE`, most batches would not fit, and most `read`s would
//! cost two writes.

use std::io::{self, Read, Write};

/// Echoes `conn` back to itself line by line until EOF, and returns the
/// number of bytes echoed.
///
/// Each line read with `readlineb` (up to [`rio::RIO_BUFSIZE`] bytes: a
/// longer line is echoed in pieces, so a client that sends it in 8 KiB
/// pieces and waits for each echo is never kept waiting) is written back
/// whole with `writen` on the same stream (step 1). With the optional
/// step 4, lines that arrived together (whole lines already in the `Rio`'s
/// buffer) go back together, in one `writen` of at most 2 ×
/// `RIO_BUFSIZE` bytes. Either way, nothing read is held back while `echo`
/// waits for more input. Bytes are bytes: `\r`, NUL and invalid UTF-8 are echoed as
/// they came. A last line without `\n` is echoed when EOF comes.
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
    // twice MAXLINE, for step 4: the end of a line carried over from one read
    // and all the whole lines of the next read fit in one write
    let mut line = vec![0u8; 2 * rio::RIO_BUFSIZE];
    let mut echoed = 0;
    loop {
        // at most MAXLINE (RIO_BUFSIZE) bytes: a client that sends a long line
        // in 8 KiB pieces and waits for each echo must get each piece back
        // without the server waiting for more
        let mut n = rio.readlineb(&mut line[..rio::RIO_BUFSIZE])?;
        // 0: the client closed its end, EOF
        if n == 0 {
            return Ok(echoed);
        }
        // ANCHOR: echo_batched
        // step 4 (optional): whole lines already in the Rio's buffer? Take them
        // too (readlineb won't block for them) and write back all in one writen
        while n < line.len() && rio.buffer().contains(&b'\n') {
            n += rio.readlineb(&mut line[n..])?;
        }
        // ANCHOR_END: echo_batched
        // write back on the same connection, before readlineb may block again
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

    // The tests follow the handout's steps: those named `step4_` test the
    // optional step 4 (batching) and fail on step 1's echo, which writes
    // each line as it comes. Without step 4:
    // `cargo test -p echoserver -- --skip step4_`.

    /// Step 1: every line comes back, in order, with its bytes.
    #[test]
    fn echoes_each_line() {
        let mut conn = Duplex::new(b"one\ntwo\r\n\0\xff\n");
        assert_eq!(echo(&mut conn).unwrap(), 12);
        assert_eq!(conn.output, b"one\ntwo\r\n\0\xff\n");
        assert!((1..=3).contains(&conn.writes), "{} writes", conn.writes);
    }

    /// Step 4 (optional): lines that arrived together come back in one
    /// write.
    #[test]
    fn step4_lines_that_arrived_together_go_back_in_one_write() {
        let mut conn = Duplex::new(b"one\ntwo\r\n\0\xff\n");
        assert_eq!(echo(&mut conn).unwrap(), 12);
        assert_eq!(conn.writes, 1);
    }

    /// A connection whose reads return one scripted chunk each, and which
    /// notes, at every read, what had been written back by then.
    struct Chunked {
        chunks: std::collections::VecDeque<&'static [u8]>,
        output: Vec<u8>,
        written_at_read: Vec<Vec<u8>>,
    }

    impl Read for Chunked {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.written_at_read.push(self.output.clone());
            let chunk = self.chunks.pop_front().unwrap_or(b"");
            buf[..chunk.len()].copy_from_slice(chunk);
            Ok(chunk.len())
        }
    }

    impl Write for Chunked {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Steps 1 and 4: nothing is held back while echo waits for input:
    /// before each read, every whole line read so far has been written back.
    #[test]
    fn writes_back_before_each_read() {
        let mut conn = Chunked {
            chunks: [&b"one\ntw"[..], b"o\nthree\nfour\nfi", b"ve\n"].into(),
            output: Vec::new(),
            written_at_read: Vec::new(),
        };
        assert_eq!(echo(&mut conn).unwrap(), 24);
        assert_eq!(conn.output, b"one\ntwo\nthree\nfour\nfive\n");
        let expected: [&[u8]; 4] = [b"", b"one\n", b"one\ntwo\nthree\nfour\n", &conn.output];
        assert_eq!(conn.written_at_read, expected);
    }

    /// Step 1: a last line without newline is echoed; an empty stream echoes 0.
    #[test]
    fn last_line_and_empty_stream() {
        let mut conn = Duplex::new(b"a\nno newline");
        assert_eq!(echo(&mut conn).unwrap(), 12);
        assert_eq!(conn.output, b"a\nno newline");

        let mut conn = Duplex::new(b"");
        assert_eq!(echo(&mut conn).unwrap(), 0);
        assert_eq!(conn.writes, 0);
    }

    /// Step 1: a line longer than RIO_BUFSIZE is echoed in pieces of
    /// RIO_BUFSIZE bytes (the last one with the newline), one write each.
    #[test]
    fn long_line_in_pieces() {
        let mut input = vec![b'x'; 4 * rio::RIO_BUFSIZE + 5];
        input.push(b'\n');
        let mut conn = Duplex::new(&input);
        assert_eq!(echo(&mut conn).unwrap(), input.len() as u64);
        assert_eq!(conn.output, input);
        assert_eq!(conn.writes, 5);
    }

    /// Step 4 (optional): many short lines cost one write per read, also
    /// when lines straddle two reads: 300 lines of 100 bytes arrive in 4
    /// reads (3 of RIO_BUFSIZE, then the rest) and go back in 4 writes.
    #[test]
    fn step4_one_write_per_read() {
        let line = [&[b'.'; 99][..], b"\n"].concat();
        let input = line.repeat(300);
        let mut conn = Duplex::new(&input);
        assert_eq!(echo(&mut conn).unwrap(), input.len() as u64);
        assert_eq!(conn.output, input);
        assert_eq!(conn.writes, input.len().div_ceil(rio::RIO_BUFSIZE));
    }

    /// Step 1: a write error ends the echo with that error.
    #[test]
    fn write_error_is_returned() {
        let mut conn = Duplex::new(b"hello\n");
        conn.broken = true;
        assert_eq!(echo(&mut conn).unwrap_err().kind(), ErrorKind::BrokenPipe);
    }
}
