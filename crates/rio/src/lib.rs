//! Robust I/O (stub; the reference is being written).
use std::io::{self, Read, Write};

/// Size of the internal buffer of a [`Rio`].
pub const RIO_BUFSIZE: usize = 8192;

/// Reads until `buf` is full or EOF.
pub fn readn<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let _ = (r, buf);
    todo!()
}

/// Writes all of `buf`.
pub fn writen<W: Write + ?Sized>(w: &mut W, buf: &[u8]) -> io::Result<()> {
    let _ = (w, buf);
    todo!()
}

/// A buffered reader.
pub struct Rio<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
}

impl<R: Read> Rio<R> {
    /// New.
    pub fn new(inner: R) -> Rio<R> {
        Rio { inner, buf: vec![0; RIO_BUFSIZE].into_boxed_slice(), pos: 0, end: 0 }
    }
    /// Reads a line.
    pub fn readlineb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let _ = buf;
        todo!()
    }
    /// Reads n bytes.
    pub fn readnb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let _ = buf;
        todo!()
    }
    /// Buffered bytes.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }
    /// Inner ref.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
    /// Inner mut.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
    /// Into inner.
    pub fn into_inner(self) -> R {
        self.inner
    }
}
