//! Lab 1 checks: `rio` in-process, against scripted readers and writers.
//!
//! A socket's `read` may return any short count, `EINTR`, an error or 0,
//! and a real socket shows these only by chance. So almost every check here
//! runs the student's code against a `ScriptedReader` or
//! `ScriptedWriter` that returns exactly the chunks, `Interrupted`, errors
//! and EOF the check scripts, and records every call. The plan, step by step:
//!
//! 1. `readn`: every split of messages of 0..=12 bytes (all 4096
//!    compositions), seeded random splits of large messages, `Interrupted`
//!    between chunks, EOF first / mid-way, an empty `buf`, other errors; and
//!    a real loopback socket whose peer dribbles 1–3 bytes at a time.
//! 2. `writen`: writers that accept 1, 2, 7, … bytes a call, `Interrupted`,
//!    `Ok(0)` (must be `WriteZero`, never a spin), other errors.
//! 3. The `Rio` buffer: many short lines cost ⌈total/8192⌉+1 reads, each
//!    asking for `RIO_BUFSIZE` bytes, made only when the buffer is empty;
//!    `buffer()` shows what is buffered; `get_ref`/`get_mut`/`into_inner`.
//! 4. `readlineb`: every split of a 12-byte text of lines, pieces when `buf`
//!    is short, long lines, binary bytes, EOF (and 0 again), `Interrupted`,
//!    errors that lose no buffered byte, a dribbling socket.
//! 5. `readnb`: as `readn` through the buffer, and mixed with `readlineb`.
//!
//! Every call is compared with a model of the contract (`Op::model`):
//! given the bytes the reader will still yield before EOF, the contract
//! fixes exactly what each `readn`/`readnb`/`readlineb` call returns. Where
//! the contract allows a choice (when a deferred error is reported), the
//! check accepts every choice and checks only what is promised.
//!
//! The checks are generic over the API (trait `Lab1`) so that the unit tests
//! in `tests` can run them against broken variants of the
//! reference and show that each classic bug fails the check that names it.
//! Loops over thousands of cases record their steps in a `Trace` that is
//! shown only for the failing case, with its split or seed.
//!
//! The code: this file holds the API under test and the list of checks;
//! `model` the steps, traces and model of the contract that every step
//! shares; `readn`, `writen`, `buffer`, `readlineb` and `readnb` the checks
//! of steps 1 to 5; `tcp` the dribbling peer of the socket checks.

use std::io::{self, Read, Write};

use crate::check::Check;
use crate::steps;

mod buffer;
mod model;
mod readlineb;
mod readn;
mod readnb;
mod tcp;
#[cfg(test)]
mod tests;
mod writen;

use buffer::*;
use readlineb::*;
use readn::*;
use readnb::*;
use writen::*;

// ---------------------------------------------------------------------------
// The API under test
// ---------------------------------------------------------------------------

/// The lab 1 API as the checks see it: the checks are generic over it, so
/// the unit tests can run them against broken variants.
trait Lab1 {
    /// `rio::Rio<R>`, or a variant of it.
    type Rio<R: Read>: RioApi<R>;
    /// `rio::readn`.
    fn readn(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize>;
    /// `rio::writen`.
    fn writen(w: &mut dyn Write, buf: &[u8]) -> io::Result<()>;
}

/// The methods of `rio::Rio` that the contract names.
trait RioApi<R>: RioReads + Sized {
    fn new(inner: R) -> Self;
    fn get_ref(&self) -> &R;
    fn get_mut(&mut self) -> &mut R;
    fn into_inner(self) -> R;
}

/// The reading methods of `rio::Rio` (apart from [`RioApi`] so that they
/// can be named without the inner reader's type).
trait RioReads {
    fn readlineb(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    fn readnb(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    fn buffer(&self) -> &[u8];
}

/// The code under test: the workspace's `rio` crate.
struct Submission;

impl Lab1 for Submission {
    type Rio<R: Read> = rio::Rio<R>;
    fn readn(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
        rio::readn(r, buf)
    }
    fn writen(w: &mut dyn Write, buf: &[u8]) -> io::Result<()> {
        rio::writen(w, buf)
    }
}

impl<R: Read> RioReads for rio::Rio<R> {
    fn readlineb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        rio::Rio::readlineb(self, buf)
    }
    fn readnb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        rio::Rio::readnb(self, buf)
    }
    fn buffer(&self) -> &[u8] {
        rio::Rio::buffer(self)
    }
}

impl<R: Read> RioApi<R> for rio::Rio<R> {
    fn new(inner: R) -> Self {
        rio::Rio::new(inner)
    }
    fn get_ref(&self) -> &R {
        rio::Rio::get_ref(self)
    }
    fn get_mut(&mut self) -> &mut R {
        rio::Rio::get_mut(self)
    }
    fn into_inner(self) -> R {
        rio::Rio::into_inner(self)
    }
}

/// The checks of lab 1, in handout order.
pub fn checks() -> Vec<Check> {
    checks_for::<Submission>()
}

/// The checks of lab 1 against the implementation `I`.
fn checks_for<I: Lab1>() -> Vec<Check> {
    use steps::{LAB1_BUFFER, LAB1_READLINEB, LAB1_READN, LAB1_READNB, LAB1_WRITEN};
    // Each is a library check with a 10 s deadline, which it reaches only
    // when it hangs; its name is the function that runs it.
    checks! {
        // Step 1: readn (8 points)
        library readn_every_split: LAB1_READN, 2,
            "readn gives every byte whatever the chunk sizes (all splits of 0..=12 bytes)"
            => readn_every_split::<I>;
        library readn_random_splits: LAB1_READN, 1,
            "readn over seeded random splits of large messages, with Interrupted among the chunks"
            => readn_random_splits::<I>;
        library readn_interrupted_is_retried: LAB1_READN, 1,
            "readn calls read again after Err(Interrupted)"
            => readn_interrupted_is_retried::<I>;
        library readn_eof: LAB1_READN, 2,
            "readn: EOF first gives 0, EOF mid-way exactly the bytes before it, an empty buf 0"
            => readn_eof::<I>;
        library readn_errors_are_returned: LAB1_READN, 1,
            "readn returns errors other than Interrupted (not retried, not taken for EOF)"
            => readn_errors_are_returned::<I>;
        library readn_tcp_dribble: LAB1_READN, 1,
            "readn on a loopback socket whose peer writes 1-3 bytes at a time"
            => readn_tcp_dribble::<I>;
        // Step 2: writen (5 points)
        library writen_short_writes: LAB1_WRITEN, 2,
            "writen writes every byte, in order, to writers that take 1, 2, 7, ... bytes a call"
            => writen_short_writes::<I>;
        library writen_interrupted_is_retried: LAB1_WRITEN, 1,
            "writen calls write again after Err(Interrupted)"
            => writen_interrupted_is_retried::<I>;
        library writen_write_zero: LAB1_WRITEN, 1,
            "writen turns a write of Ok(0) into Err(WriteZero) instead of spinning"
            => writen_write_zero::<I>;
        library writen_errors_are_returned: LAB1_WRITEN, 1,
            "writen returns errors other than Interrupted"
            => writen_errors_are_returned::<I>;
        // Step 3: the Rio buffer (5 points)
        library buffer_few_reads_for_many_lines: LAB1_BUFFER, 2,
            "many short lines cost at most ceil(total/8192)+1 reads, each asking for RIO_BUFSIZE bytes"
            => buffer_few_reads_for_many_lines::<I>;
        library buffer_reads_only_when_empty: LAB1_BUFFER, 1,
            "Rio reads from its inner reader only when its buffer is empty"
            => buffer_reads_only_when_empty::<I>;
        library buffer_shows_unread_bytes: LAB1_BUFFER, 1,
            "Rio::buffer() shows the bytes buffered and not yet returned"
            => buffer_shows_unread_bytes::<I>;
        library buffer_inner_reader_access: LAB1_BUFFER, 1,
            "Rio::new reads nothing; get_ref, get_mut and into_inner give back the inner reader"
            => buffer_inner_reader_access::<I>;
        // Step 4: readlineb (8 points)
        library readlineb_every_split: LAB1_READLINEB, 2,
            "readlineb returns each line, \\n kept, whatever the chunk sizes (all splits of 12 bytes)"
            => readlineb_every_split::<I>;
        library readlineb_eof: LAB1_READLINEB, 1,
            "readlineb: a last line without \\n at EOF, empty lines are not EOF, 0 at EOF and again after"
            => readlineb_eof::<I>;
        library readlineb_long_lines: LAB1_READLINEB, 1,
            "readlineb: a line longer than buf comes in buf-sized pieces; lines longer than 8192 bytes"
            => readlineb_long_lines::<I>;
        library readlineb_binary_bytes: LAB1_READLINEB, 1,
            "readlineb passes NUL, 0xFF, \\r and every other byte untouched"
            => readlineb_binary_bytes::<I>;
        library readlineb_interrupted_is_retried: LAB1_READLINEB, 1,
            "readlineb retries Err(Interrupted) when it refills its buffer"
            => readlineb_interrupted_is_retried::<I>;
        library readlineb_errors_keep_bytes: LAB1_READLINEB, 1,
            "readlineb returns errors and never loses a byte it buffered"
            => readlineb_errors_keep_bytes::<I>;
        library readlineb_tcp_dribble: LAB1_READLINEB, 1,
            "readlineb on a loopback socket whose peer writes 1-3 bytes at a time"
            => readlineb_tcp_dribble::<I>;
        // Step 5: readnb (4 points)
        library readnb_every_split: LAB1_READNB, 1,
            "readnb gives every byte whatever the chunk sizes (all splits of 0..=12 bytes)"
            => readnb_every_split::<I>;
        library readnb_eof_interrupted_errors: LAB1_READNB, 1,
            "readnb: EOF first and mid-way, Interrupted retried, errors returned"
            => readnb_eof_interrupted_errors::<I>;
        library readnb_mixed_with_readlineb: LAB1_READNB, 2,
            "readnb and readlineb mixed on one Rio lose no byte"
            => readnb_mixed_with_readlineb::<I>;
    }
}
