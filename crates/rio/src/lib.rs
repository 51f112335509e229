//! Robust I/O, the lecture's `rio` package: reading and writing a socket
//! without being fooled by short counts.
//!
//! A single `read` or `write` on a socket may move fewer bytes than asked
//! for. That *short count* is not an error: the rest is still in flight,
//! or the kernel's buffer was full. Reading a file or a pipe gives short
//! counts too, and a system call cut off by a signal handler fails with
//! `EINTR` (`io::ErrorKind::Interrupted`) although nothing went wrong. Code
//! that calls `read` once and hopes works in the lab and breaks on the
//! network. This crate holds the two answers from the lecture:
//!
//! * Unbuffered: [`readn`] and [`writen`] loop until the whole count has
//!   moved, calling again after `Interrupted`. Only end of file (`read`
//!   returning 0) makes `readn` stop short.
//! * Buffered: a [`Rio`] reads a large block ([`RIO_BUFSIZE`] bytes) into
//!   its own buffer and serves callers from there: [`Rio::readlineb`] a
//!   line at a time (what a line-oriented protocol such as echo needs),
//!   [`Rio::readnb`] a byte count at a time. Both take from the same
//!   buffer, so they can be mixed on one stream.
//!
//! Everything is generic over [`Read`] and [`Write`], so the same code works
//! on a `TcpStream`, on stdin and on the scripted readers of the tests.
//! Bytes are bytes: nothing here assumes UTF-8. Errors are returned as
//! [`io::Result`]; deciding to print and exit is the program's business,
//! not the library's.
//!
//! Simplified on purpose: a `Rio` asks its reader for more only when its
//! buffer is empty, and always for a whole buffer's worth, exactly like the
//! textbook's `rio_read`. `std::io::BufReader` is smarter (it bypasses its
//! buffer for large reads), and `BufRead::read_until` is what production
//! code would use for lines.

use std::io::{self, Read, Write};

/// Size of the internal buffer of a [`Rio`], and of the line buffers of the
/// echo programs (the textbook's `RIO_BUFSIZE` and `MAXLINE`).
///
/// # Examples
///
/// ```
/// assert_eq!(rio::RIO_BUFSIZE, 8192);
/// ```
// ANCHOR: bufsize
pub const RIO_BUFSIZE: usize = 8192;
// ANCHOR_END: bufsize

/// Reads until `buf` is full or the reader reaches end of file.
///
/// Returns the number of bytes read. That is `buf.len()` unless end of file
/// came first: a short count means EOF, and `Ok(0)` means EOF before the
/// first byte. An empty `buf` gives `Ok(0)` without reading.
///
/// Unlike [`Read::read_exact`], EOF is not an error: the caller gets the
/// bytes that did arrive.
///
/// # Errors
///
/// `io::ErrorKind::Interrupted` is retried. Any other error from `r` is
/// returned; the bytes read before it are then in `buf`, but their count is
/// lost.
///
/// # Examples
///
/// ```
/// let mut input = &b"hello world"[..];
/// let mut buf = [0u8; 5];
/// assert_eq!(rio::readn(&mut input, &mut buf)?, 5);
/// assert_eq!(&buf, b"hello");
///
/// let mut rest = [0u8; 16];
/// assert_eq!(rio::readn(&mut input, &mut rest)?, 6); // EOF: short count
/// assert_eq!(&rest[..6], b" world");
/// assert_eq!(rio::readn(&mut input, &mut rest)?, 0); // EOF
/// # Ok::<(), std::io::Error>(())
/// ```
// ANCHOR: readn
pub fn readn<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    // BEGIN SOLUTION: lab 1 step 1 (readn)
    let mut nread = 0;
    while nread < buf.len() {
        match r.read(&mut buf[nread..]) {
            // 0: EOF, return what we have
            Ok(0) => break,
            // a short count is normal: go round for the rest
            Ok(n) => nread += n,
            // Interrupted by a signal handler: call read again
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(nread)
    // END SOLUTION
}
// ANCHOR_END: readn

/// Writes all of `buf`, across as many short writes as it takes.
///
/// Like [`Write::write_all`]. Nothing is flushed: `w` may keep the bytes in
/// a buffer of its own (a `TcpStream` has none).
///
/// # Errors
///
/// `io::ErrorKind::Interrupted` is retried. A write that accepts 0 bytes of a
/// non-empty buffer gives an error of kind `io::ErrorKind::WriteZero` instead of
/// trying forever. Any other error from `w` is returned; part of `buf` may
/// have been written by then.
///
/// # Examples
///
/// ```
/// let mut out = Vec::new();
/// rio::writen(&mut out, b"hello\n")?;
/// assert_eq!(out, b"hello\n");
/// # Ok::<(), std::io::Error>(())
/// ```
// ANCHOR: writen
pub fn writen<W: Write + ?Sized>(w: &mut W, buf: &[u8]) -> io::Result<()> {
    // BEGIN SOLUTION: lab 1 step 2 (writen)
    let mut rest = buf;
    while !rest.is_empty() {
        match w.write(rest) {
            // 0 of a non-empty buffer: it will never take more
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            // a short count: write the rest
            Ok(n) => rest = &rest[n..],
            // Interrupted by a signal handler: call write again
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
    // END SOLUTION
}
// ANCHOR_END: writen

/// A buffered reader for the robust I/O functions [`Rio::readlineb`] and
/// [`Rio::readnb`] (the textbook's `rio_t`).
///
/// A `Rio` owns its reader and a buffer of [`RIO_BUFSIZE`] bytes. It calls
/// `read` on the reader only when the buffer is empty, asking for a whole
/// buffer at a time, so reading many short lines costs one system call per
/// 8 KiB rather than one per byte.
///
/// Bytes in the buffer belong to the `Rio`: reading the same stream around
/// it (with [`Rio::get_mut`]) would skip them, and dropping it or calling
/// [`Rio::into_inner`] throws them away. Writing through `get_mut` is fine;
/// that is how a server answers on the socket it reads from.
///
/// # Examples
///
/// ```
/// use rio::Rio;
///
/// let mut rio = Rio::new(&b"GET /\nbody"[..]);
/// let mut line = [0u8; 64];
/// let n = rio.readlineb(&mut line)?;
/// assert_eq!(&line[..n], b"GET /\n");
///
/// let mut body = [0u8; 4];
/// assert_eq!(rio.readnb(&mut body)?, 4);
/// assert_eq!(&body, b"body");
/// # Ok::<(), std::io::Error>(())
/// ```
// ANCHOR: rio_struct
pub struct Rio<R> {
    /// Where the bytes come from: a socket, stdin, a file.
    inner: R,
    /// The internal buffer, `RIO_BUFSIZE` bytes.
    buf: Box<[u8]>,
    /// Start of the bytes not yet returned (the textbook's `rio_bufptr`).
    pos: usize,
    /// End of the bytes read into `buf`; `end - pos` is `rio_cnt`.
    end: usize,
    /// An error that stopped a line (or a count) half-way: the bytes before
    /// it were returned first, the error is returned by the next call.
    deferred: Option<io::Error>,
}

impl<R: Read> Rio<R> {
    /// Wraps `inner` with an empty buffer of [`RIO_BUFSIZE`] bytes (the
    /// textbook's `rio_readinitb`). Nothing is read yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let rio = rio::Rio::new(std::io::empty());
    /// assert!(rio.buffer().is_empty());
    /// ```
    pub fn new(inner: R) -> Rio<R> {
        Rio {
            inner,
            buf: vec![0; RIO_BUFSIZE].into_boxed_slice(),
            pos: 0,
            end: 0,
            deferred: None,
        }
    }
}
// ANCHOR_END: rio_struct

impl<R: Read> Rio<R> {
    /// Returns the buffered bytes, refilling the buffer first if it is empty
    /// (the textbook's `rio_read`, split like `BufRead::fill_buf`: callers
    /// copy what they need and then advance `pos`).
    ///
    /// An empty slice means EOF. A deferred error is returned before any
    /// new read.
    // ANCHOR: fill
    fn fill(&mut self) -> io::Result<&[u8]> {
        // BEGIN SOLUTION: lab 1 step 3 (the Rio buffer)
        // an error kept back by the last call comes first
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        // read only when nothing is left, and then a whole buffer's worth
        if self.pos == self.end {
            let n = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    // Interrupted by a signal handler: call read again
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            // 0: EOF, and the slice returned below is empty
            self.pos = 0;
            self.end = n;
        }
        Ok(&self.buf[self.pos..self.end])
        // END SOLUTION
    }
    // ANCHOR_END: fill

    /// Reads one line into `buf`: bytes up to and including the first
    /// `\n`, at most `buf.len()` of them (the textbook's `rio_readlineb`).
    ///
    /// Returns how many bytes were copied. The `\n` is kept, and nothing is
    /// added after it: no NUL, no UTF-8 check; `\r`, NUL and `0xFF` bytes
    /// pass through untouched. A line longer than `buf` comes back in
    /// pieces of `buf.len()` bytes over several calls. A last line without
    /// `\n` is returned as it is when EOF comes.
    ///
    /// `Ok(0)` means EOF with nothing left, and every later call returns
    /// `Ok(0)` again as long as the reader stays at EOF. The exception is an
    /// empty `buf`: then the result is `Ok(0)` at once, without reading, as
    /// with [`Read::read`], and it does not mean EOF.
    ///
    /// Shares its buffer with [`Rio::readnb`], so the two may be mixed.
    /// A peer that never sends `\n` keeps this call waiting until `buf` is
    /// full or the peer closes.
    ///
    /// # Errors
    ///
    /// `io::ErrorKind::Interrupted` is retried. Another error from the inner
    /// reader is returned at once if no byte has been copied yet. If part
    /// of the line was already copied into `buf`, those bytes are returned
    /// first, as `Ok(n)` without a `\n` (as if EOF had come), and the error
    /// is kept and returned by the next call. So no byte is lost: bytes
    /// still buffered stay buffered, and bytes taken from the buffer are
    /// always counted in a result.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rio = rio::Rio::new(&b"hi\nyo"[..]);
    /// let mut line = [0u8; 64];
    /// assert_eq!(rio.readlineb(&mut line)?, 3);
    /// assert_eq!(&line[..3], b"hi\n");
    /// assert_eq!(rio.readlineb(&mut line)?, 2); // last line, no `\n`
    /// assert_eq!(&line[..2], b"yo");
    /// assert_eq!(rio.readlineb(&mut line)?, 0); // EOF
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// A line longer than the buffer comes in pieces:
    ///
    /// ```
    /// let mut rio = rio::Rio::new(&b"abcdef\n"[..]);
    /// let mut piece = [0u8; 4];
    /// assert_eq!(rio.readlineb(&mut piece)?, 4);
    /// assert_eq!(&piece, b"abcd");
    /// assert_eq!(rio.readlineb(&mut piece)?, 3);
    /// assert_eq!(&piece[..3], b"ef\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    // ANCHOR: readlineb
    pub fn readlineb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // BEGIN SOLUTION: lab 1 step 4 (readlineb)
        let mut copied = 0;
        while copied < buf.len() {
            let available = match self.fill() {
                Ok(available) => available,
                // part of a line is already in buf: return it, report the error next time
                Err(e) if copied > 0 => {
                    self.deferred = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            };
            // empty: EOF, return the line so far (0 if there is none)
            if available.is_empty() {
                break;
            }
            // copy up to the first '\n' (kept), or all that fits
            let room = available.len().min(buf.len() - copied);
            let (take, found) = match memchr::memchr(b'\n', &available[..room]) {
                Some(i) => (i + 1, true),
                None => (room, false),
            };
            buf[copied..copied + take].copy_from_slice(&available[..take]);
            self.pos += take;
            copied += take;
            if found {
                break;
            }
        }
        Ok(copied)
        // END SOLUTION
    }
    // ANCHOR_END: readlineb

    /// Reads until `buf` is full or EOF, taking buffered bytes first (the
    /// textbook's `rio_readnb`).
    ///
    /// The same as [`readn`], except that bytes come from the `Rio`'s
    /// buffer, so calls to `readnb` and [`Rio::readlineb`] may be mixed
    /// without losing a byte. Returns the number of bytes read: `buf.len()`,
    /// or fewer at EOF, `Ok(0)` at EOF with nothing left. An empty `buf`
    /// gives `Ok(0)` without reading.
    ///
    /// # Errors
    ///
    /// `io::ErrorKind::Interrupted` is retried. Another error from the inner
    /// reader is returned at once if no byte has been copied yet. If some
    /// bytes were already copied into `buf`, they are returned first as a
    /// short count, and the error is kept and returned by the next call, as
    /// for [`Rio::readlineb`]: no byte is lost. So a short count means EOF,
    /// or an error that the next call reports.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rio = rio::Rio::new(&b"3\nabcde"[..]);
    /// let mut line = [0u8; 8];
    /// assert_eq!(rio.readlineb(&mut line)?, 2); // a header line: "3\n"
    ///
    /// let mut body = [0u8; 3];
    /// assert_eq!(rio.readnb(&mut body)?, 3); // then exactly 3 bytes
    /// assert_eq!(&body, b"abc");
    ///
    /// let mut rest = [0u8; 8];
    /// assert_eq!(rio.readnb(&mut rest)?, 2); // EOF: short count
    /// assert_eq!(rio.readnb(&mut rest)?, 0); // EOF
    /// # Ok::<(), std::io::Error>(())
    /// ```
    // ANCHOR: readnb
    pub fn readnb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // BEGIN SOLUTION: lab 1 step 5 (readnb)
        let mut copied = 0;
        while copied < buf.len() {
            let available = match self.fill() {
                Ok(available) => available,
                // bytes already in buf: return them, report the error next time
                Err(e) if copied > 0 => {
                    self.deferred = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            };
            // empty: EOF, a short count
            if available.is_empty() {
                break;
            }
            let take = available.len().min(buf.len() - copied);
            buf[copied..copied + take].copy_from_slice(&available[..take]);
            self.pos += take;
            copied += take;
        }
        Ok(copied)
        // END SOLUTION
    }
    // ANCHOR_END: readnb
}

impl<R: Read> Rio<R> {
    // ANCHOR: accessors
    /// Returns the bytes read from the inner reader and not yet returned,
    /// like `BufReader::buffer`. Does not read.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rio = rio::Rio::new(&b"one\ntwo\n"[..]);
    /// let mut line = [0u8; 16];
    /// rio.readlineb(&mut line)?;
    /// assert_eq!(rio.buffer(), b"two\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Returns a shared reference to the inner reader.
    ///
    /// # Examples
    ///
    /// ```
    /// let rio = rio::Rio::new(std::io::Cursor::new(b"abc"));
    /// assert_eq!(rio.get_ref().position(), 0);
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Returns a mutable reference to the inner reader: on a socket, the
    /// way to write back on the connection being read.
    ///
    /// Reading through it skips the bytes in [`Rio::buffer`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rio = rio::Rio::new(std::io::Cursor::new(Vec::new()));
    /// rio::writen(rio.get_mut(), b"hello")?;
    /// assert_eq!(rio.get_ref().get_ref(), b"hello");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Unwraps the `Rio`, returning the inner reader. Buffered bytes (and a
    /// deferred error) are lost.
    ///
    /// # Examples
    ///
    /// ```
    /// let rio = rio::Rio::new(&b"abc"[..]);
    /// let inner: &[u8] = rio.into_inner();
    /// assert_eq!(inner, b"abc");
    /// ```
    pub fn into_inner(self) -> R {
        self.inner
    }
    // ANCHOR_END: accessors
}

#[cfg(test)]
mod tests;
