//! Readers and writers that replay a script, for the in-process checks.
//!
//! A socket's `read` may return fewer bytes than asked (a short count),
//! `EINTR`, an error, or 0 at EOF, in any order. Real sockets show these
//! only by chance; a [`ScriptedReader`] shows exactly the chunks, errors and
//! EOF a check scripts, and records every call (how many bytes were asked
//! for, what was returned), so a check can also see *how* the code under
//! test reads: whether it asks for `RIO_BUFSIZE` bytes, whether it reads
//! again after EOF. [`ScriptedWriter`] does the same for writes: it accepts
//! a scripted number of bytes per call.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, ErrorKind, Read, Write};

use crate::check::{count_bytes, show_bytes};

/// One scripted answer to a `read` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadEvent {
    /// Return these bytes (or as many as fit; the rest stays next in line).
    Data(Vec<u8>),
    /// Return `Err(Interrupted)`, as `read(2)` does on `EINTR`.
    Interrupted,
    /// Return an error of this kind.
    Error(ErrorKind),
    /// Return `Ok(0)`: end of file. The script goes on after it.
    Eof,
}

impl fmt::Display for ReadEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadEvent::Data(d) => write!(f, "{} ({})", show_bytes(d), count_bytes(d.len())),
            ReadEvent::Interrupted => f.write_str("Err(Interrupted)"),
            ReadEvent::Error(k) => write!(f, "Err({k:?})"),
            ReadEvent::Eof => f.write_str("EOF (Ok(0))"),
        }
    }
}

/// One `read` call the code under test made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadCall {
    /// `buf.len()` it passed.
    pub asked: usize,
    /// What it got: a byte count, or the error kind.
    pub got: Result<usize, ErrorKind>,
}

/// A `Read` that replays a script; once the script is done, every read is EOF.
#[derive(Clone, Debug, Default)]
pub struct ScriptedReader {
    script: VecDeque<ReadEvent>,
    /// Every call made so far.
    pub calls: Vec<ReadCall>,
}

impl ScriptedReader {
    /// A reader that will answer with `script`, in order.
    pub fn new(script: impl IntoIterator<Item = ReadEvent>) -> ScriptedReader {
        ScriptedReader {
            script: script.into_iter().collect(),
            calls: Vec::new(),
        }
    }

    /// A reader that yields `data` in chunks of the given sizes, then EOF.
    /// Sizes past the end of `data` are ignored; bytes left over after the
    /// last size come as one last chunk.
    pub fn chunks(data: &[u8], sizes: &[usize]) -> ScriptedReader {
        ScriptedReader::new(split(data, sizes).into_iter().map(ReadEvent::Data))
    }

    /// How many read calls were made.
    pub fn reads(&self) -> usize {
        self.calls.len()
    }

    /// How many read calls returned data.
    pub fn data_reads(&self) -> usize {
        self.calls
            .iter()
            .filter(|c| matches!(c.got, Ok(1..)))
            .count()
    }

    /// Is anything left of the script?
    pub fn is_done(&self) -> bool {
        self.script.iter().all(|e| *e == ReadEvent::Eof)
    }
}

impl Read for ScriptedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let asked = buf.len();
        let got = if buf.is_empty() {
            Ok(0)
        } else {
            match self.script.pop_front() {
                None | Some(ReadEvent::Eof) => Ok(0),
                Some(ReadEvent::Interrupted) => Err(ErrorKind::Interrupted),
                Some(ReadEvent::Error(kind)) => Err(kind),
                Some(ReadEvent::Data(mut data)) => {
                    let n = data.len().min(buf.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    if n < data.len() {
                        self.script.push_front(ReadEvent::Data(data.split_off(n)));
                    }
                    Ok(n)
                }
            }
        };
        self.calls.push(ReadCall { asked, got });
        got.map_err(|kind| io::Error::new(kind, format!("scripted {kind:?}")))
    }
}

/// One scripted answer to a `write` call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteEvent {
    /// Accept at most this many bytes (0 makes `write` return `Ok(0)`).
    Accept(usize),
    /// Return `Err(Interrupted)`.
    Interrupted,
    /// Return an error of this kind.
    Error(ErrorKind),
}

impl fmt::Display for WriteEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteEvent::Accept(0) => f.write_str("Ok(0)"),
            WriteEvent::Accept(n) => write!(f, "accept at most {n} bytes"),
            WriteEvent::Interrupted => f.write_str("Err(Interrupted)"),
            WriteEvent::Error(k) => write!(f, "Err({k:?})"),
        }
    }
}

/// A `Write` that replays a script of answers, then repeats `then` forever.
#[derive(Clone, Debug)]
pub struct ScriptedWriter {
    script: VecDeque<WriteEvent>,
    then: WriteEvent,
    /// Every byte accepted, in order.
    pub written: Vec<u8>,
    /// Number of `write` calls (flushes not counted).
    pub writes: usize,
}

impl ScriptedWriter {
    /// Answers with `script`, then with `then` on every later call.
    pub fn new(script: impl IntoIterator<Item = WriteEvent>, then: WriteEvent) -> ScriptedWriter {
        ScriptedWriter {
            script: script.into_iter().collect(),
            then,
            written: Vec::new(),
            writes: 0,
        }
    }

    /// Accepts at most `n` bytes per call, forever.
    pub fn accepting(n: usize) -> ScriptedWriter {
        ScriptedWriter::new([], WriteEvent::Accept(n))
    }
}

impl Write for ScriptedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        let event = self.script.pop_front().unwrap_or(self.then);
        match event {
            WriteEvent::Accept(n) => {
                let n = n.min(buf.len());
                self.written.extend_from_slice(&buf[..n]);
                Ok(n)
            }
            WriteEvent::Interrupted => Err(io::Error::new(
                ErrorKind::Interrupted,
                "scripted Interrupted",
            )),
            WriteEvent::Error(kind) => Err(io::Error::new(kind, format!("scripted {kind:?}"))),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A scripted connection: reads from a [`ScriptedReader`], writes to a
/// [`ScriptedWriter`]. `echo()` takes one of these by `&mut`.
#[derive(Clone, Debug)]
pub struct ScriptedStream {
    /// The peer's side that we read.
    pub reader: ScriptedReader,
    /// The peer's side that we write.
    pub writer: ScriptedWriter,
}

impl Read for ScriptedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl Write for ScriptedStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Cuts `data` into chunks of the given sizes; any rest is one more chunk.
pub fn split(data: &[u8], sizes: &[usize]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut rest = data;
    for &n in sizes {
        if rest.is_empty() {
            break;
        }
        let n = n.min(rest.len());
        chunks.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    if !rest.is_empty() {
        chunks.push(rest.to_vec());
    }
    chunks
}

/// Every composition of `n` (every way to cut `n` bytes into chunks of one
/// or more bytes): 2^(n-1) of them. `n = 0` has one, the empty one.
pub fn compositions(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    (0..1u32 << (n - 1))
        .map(|cuts| {
            let mut sizes = Vec::new();
            let mut len = 1;
            for i in 0..n - 1 {
                if cuts & (1 << i) != 0 {
                    sizes.push(len);
                    len = 1;
                } else {
                    len += 1;
                }
            }
            sizes.push(len);
            sizes
        })
        .collect()
}

/// A small seeded random generator (xorshift64*): the same seed gives the
/// same splits, so a failure's seed reproduces it.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced by a fixed non-zero value).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// Sizes of random chunks, 1 to `max` bytes each, that add up to
    /// `total` (a split for [`ScriptedReader::chunks`]).
    pub fn sizes(&mut self, total: usize, max: usize) -> Vec<usize> {
        let mut sizes = Vec::new();
        let mut left = total;
        while left > 0 {
            let n = self.range(1, max).min(left);
            sizes.push(n);
            left -= n;
        }
        sizes
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositions_count_and_sum() {
        for n in 0..=10 {
            let all = compositions(n);
            assert_eq!(all.len(), if n == 0 { 1 } else { 1 << (n - 1) });
            assert!(all.iter().all(|c| c.iter().sum::<usize>() == n));
        }
    }

    #[test]
    fn reader_replays_and_records() {
        let mut r = ScriptedReader::new([
            ReadEvent::Data(b"hello".to_vec()),
            ReadEvent::Interrupted,
            ReadEvent::Eof,
        ]);
        let mut buf = [0u8; 3];
        assert_eq!(r.read(&mut buf).unwrap(), 3);
        assert_eq!(r.read(&mut buf).unwrap(), 2);
        assert_eq!(r.read(&mut buf).unwrap_err().kind(), ErrorKind::Interrupted);
        assert_eq!(r.read(&mut buf).unwrap(), 0);
        assert_eq!(r.read(&mut buf).unwrap(), 0);
        assert_eq!(r.reads(), 5);
        assert_eq!(
            r.calls[0],
            ReadCall {
                asked: 3,
                got: Ok(3)
            }
        );
    }

    #[test]
    fn writer_accepts_scripted_amounts() {
        let mut w = ScriptedWriter::new(
            [WriteEvent::Accept(2), WriteEvent::Interrupted],
            WriteEvent::Accept(1),
        );
        assert_eq!(w.write(b"abc").unwrap(), 2);
        assert!(w.write(b"c").is_err());
        assert_eq!(w.write(b"cd").unwrap(), 1);
        assert_eq!(w.written, b"abc");
    }
}
