//! The baseline: the textbook's robust reader, transliterated to Rust.
//!
//! The textbook builds `rio_readlineb` on one internal function,
//! `rio_read`, which copies `min(n, rio_cnt)` bytes out of an 8 KiB buffer
//! and refills the buffer when it is empty. `rio_readlineb` then calls
//! `rio_read` once *per byte*, asking for one byte each time, and looks at
//! every byte for `'\n'`. That is simple and obviously correct, and it is
//! the reason for the benchmark: a function call, a length check and a
//! one-byte copy per byte of input, where [`rio::Rio::readlineb`] finds the
//! newline with `memchr` (many bytes per instruction) and copies the whole
//! line at once.
//!
//! [`TextbookRio`] keeps the textbook's structure (a `cnt` and a `bufptr`,
//! a `read` that serves any count, a line loop over one-byte reads) with
//! Rust's conventions for the results: counts are `usize`, errors are
//! `io::Error`, and no NUL is appended after the line. The optimiser may
//! inline `read` into the loop, as a C compiler may when everything is in
//! one file; it still copies and tests one byte at a time.
//!
//! Used by `rio_bench` (benchmark 1) and by the `textbook_echo` server
//! (benchmark 2).

use std::io::{self, ErrorKind, Read};

/// The textbook's buffer size, the same as [`rio::RIO_BUFSIZE`].
pub const TEXTBOOK_BUFSIZE: usize = 8192;

/// A buffered reader that follows the textbook's `rio_t` and
/// `rio_readlineb` step by step: byte-at-a-time line reads from an 8 KiB
/// buffer.
///
/// # Examples
///
/// ```
/// let mut rio = bench::textbook::TextbookRio::new(&b"one\ntwo"[..]);
/// let mut line = [0u8; 16];
/// assert_eq!(rio.readlineb(&mut line)?, 4);
/// assert_eq!(&line[..4], b"one\n");
/// assert_eq!(rio.readlineb(&mut line)?, 3); // last line, no `\n`
/// assert_eq!(rio.readlineb(&mut line)?, 0); // EOF
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TextbookRio<R> {
    /// The descriptor (`rio_fd`): any reader.
    fd: R,
    /// Unread bytes in `buf` (`rio_cnt`).
    cnt: usize,
    /// Next unread byte in `buf` (`rio_bufptr`).
    bufptr: usize,
    /// The internal buffer (`rio_buf`).
    buf: Box<[u8; TEXTBOOK_BUFSIZE]>,
}

impl<R: Read> TextbookRio<R> {
    /// Wraps `fd` with an empty buffer (`rio_readinitb`).
    ///
    /// # Examples
    ///
    /// ```
    /// let _rio = bench::textbook::TextbookRio::new(std::io::empty());
    /// ```
    pub fn new(fd: R) -> TextbookRio<R> {
        TextbookRio {
            fd,
            cnt: 0,
            bufptr: 0,
            buf: Box::new([0; TEXTBOOK_BUFSIZE]),
        }
    }

    /// `rio_read`: refills the buffer if it is empty, then copies
    /// `min(usrbuf.len(), cnt)` bytes. `Ok(0)` is EOF.
    fn read(&mut self, usrbuf: &mut [u8]) -> io::Result<usize> {
        // refill only when the buffer is empty
        while self.cnt == 0 {
            match self.fd.read(&mut self.buf[..]) {
                // EOF
                Ok(0) => return Ok(0),
                Ok(n) => {
                    self.cnt = n;
                    self.bufptr = 0;
                }
                // interrupted by a signal handler: read again
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // copy min(n, cnt) bytes from the internal buffer
        let cnt = usrbuf.len().min(self.cnt);
        usrbuf[..cnt].copy_from_slice(&self.buf[self.bufptr..self.bufptr + cnt]);
        self.bufptr += cnt;
        self.cnt -= cnt;
        Ok(cnt)
    }

    /// `rio_readlineb`: reads one line, one byte at a time, into `usrbuf`,
    /// keeping the `'\n'`; at most `usrbuf.len()` bytes. `Ok(0)` is EOF.
    ///
    /// # Errors
    ///
    /// An error of the reader (other than `Interrupted`, which is retried)
    /// is returned at once; bytes of a half-read line are then lost, as in
    /// the textbook.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rio = bench::textbook::TextbookRio::new(&b"abcdef\n"[..]);
    /// let mut piece = [0u8; 4];
    /// assert_eq!(rio.readlineb(&mut piece)?, 4); // a long line comes in pieces
    /// assert_eq!(rio.readlineb(&mut piece)?, 3);
    /// assert_eq!(&piece[..3], b"ef\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn readlineb(&mut self, usrbuf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < usrbuf.len() {
            let mut c = [0u8; 1];
            // one call, one byte
            if self.read(&mut c)? == 0 {
                // EOF: the line so far (0 if there is none)
                break;
            }
            usrbuf[n] = c[0];
            n += 1;
            if c[0] == b'\n' {
                break;
            }
        }
        Ok(n)
    }

    /// Returns a mutable reference to the reader: on a socket, the way to
    /// write back on the connection being read.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rio = bench::textbook::TextbookRio::new(std::io::Cursor::new(vec![1u8]));
    /// assert_eq!(rio.get_mut().position(), 0);
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.fd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most 3 bytes per call: lines cross refills.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(3).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Same lines as `rio::Rio::readlineb`, across short reads and pieces.
    #[test]
    fn agrees_with_rio() {
        let input = b"a\n\nlonger line here\n\x00\xff\r\nlast";
        for size in [1, 2, 5, 64] {
            let mut ours = TextbookRio::new(Trickle(input));
            let mut theirs = rio::Rio::new(Trickle(input));
            let (mut a, mut b) = (vec![0; size], vec![0; size]);
            loop {
                let n = ours.readlineb(&mut a).unwrap();
                let m = theirs.readlineb(&mut b).unwrap();
                assert_eq!(a[..n], b[..m], "size {size}");
                if n == 0 {
                    break;
                }
            }
        }
    }
}
