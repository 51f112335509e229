//! The checks against broken variants of the reference.
//!
//! Each classic bug, written into a copy of the reference, must fail the
//! check that names it; the faithful copy (bug 0) must pass every check.

use std::io::{self, ErrorKind, Read, Write};

use rio::RIO_BUFSIZE;

use crate::check::{Check, CheckResult, Ctx};

use super::*;

// readn bugs
const ONE_READ: u8 = 1;
const READN_INTERRUPTED_IS_ERROR: u8 = 2;
const ERROR_AS_EOF: u8 = 3;
const PAST_EOF: u8 = 4;

fn buggy_readn(bug: u8, r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut nread = 0;
    let mut zeros = 0;
    while nread < buf.len() {
        match r.read(&mut buf[nread..]) {
            Ok(0) if bug == PAST_EOF && zeros == 0 => zeros += 1,
            Ok(0) => break,
            Ok(n) => {
                nread += n;
                if bug == ONE_READ {
                    break;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted && bug != READN_INTERRUPTED_IS_ERROR => {}
            Err(_) if bug == ERROR_AS_EOF => break,
            Err(e) => return Err(e),
        }
    }
    Ok(nread)
}

// writen bugs
const SINGLE_WRITE: u8 = 1;
const SPINS_ON_ZERO: u8 = 2;
const WRITEN_INTERRUPTED_IS_ERROR: u8 = 3;
const RESTARTS_FROM_START: u8 = 4;
const ZERO_IS_DONE: u8 = 5;
const ERROR_IS_DONE: u8 = 6;

fn buggy_writen(bug: u8, w: &mut dyn Write, buf: &[u8]) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = if bug == RESTARTS_FROM_START {
            buf
        } else {
            &buf[done..]
        };
        match w.write(rest) {
            Ok(0) if bug == SPINS_ON_ZERO => {}
            Ok(0) if bug == ZERO_IS_DONE => return Ok(()),
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => {
                done += n;
                if bug == SINGLE_WRITE {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted && bug != WRITEN_INTERRUPTED_IS_ERROR => {}
            Err(_) if bug == ERROR_IS_DONE => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

// Rio bugs
const DROPS_NEWLINE: u8 = 1;
const LOSES_REST_AFTER_LINE: u8 = 2;
const READS_EVERY_CALL: u8 = 3;
const ASKS_1024: u8 = 4;
const ZERO_ON_EMPTY_LINE: u8 = 5;
const READNB_BYPASSES_BUFFER: u8 = 6;
const RIO_INTERRUPTED_IS_ERROR: u8 = 7;
const LOSES_BYTES_ON_ERROR: u8 = 8;
const PIECE_PER_REFILL: u8 = 9;
const STALE_AFTER_EOF: u8 = 10;
const BUFFER_SHOWS_ALL: u8 = 11;
const READS_IN_NEW: u8 = 12;

/// A copy of the reference `Rio`, with bug `BUG` (0: none).
struct BuggyRio<R, const BUG: u8> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    deferred: Option<io::Error>,
}

impl<R: Read, const BUG: u8> BuggyRio<R, BUG> {
    /// Reads into the free space after `end`, retrying Interrupted.
    fn read_more(&mut self) -> io::Result<usize> {
        let ask = if BUG == ASKS_1024 {
            1024
        } else {
            RIO_BUFSIZE - self.end
        };
        loop {
            match self.inner.read(&mut self.buf[self.end..self.end + ask]) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::Interrupted && BUG != RIO_INTERRUPTED_IS_ERROR => {
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn fill(&mut self) -> io::Result<&[u8]> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        if self.pos == self.end {
            let old_end = self.end;
            (self.pos, self.end) = (0, 0);
            let n = self.read_more()?;
            // the bug: at EOF, the old bytes come back into view
            self.end = if n == 0 && BUG == STALE_AFTER_EOF {
                old_end
            } else {
                n
            };
        }
        Ok(&self.buf[self.pos..self.end])
    }
}

impl<R: Read, const BUG: u8> RioReads for BuggyRio<R, BUG> {
    fn readlineb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if BUG == READS_EVERY_CALL && self.pos < self.end {
            // compact, then read more: blocks a server whose client
            // sent two lines and waits for the answers
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
            let n = self.read_more()?;
            self.end += n;
        }
        let mut copied = 0;
        while copied < buf.len() {
            let available = match self.fill() {
                Ok(available) => available,
                Err(e) if copied > 0 && BUG != LOSES_BYTES_ON_ERROR => {
                    self.deferred = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            let room = available.len().min(buf.len() - copied);
            let (take, found) = match available[..room].iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (room, false),
            };
            buf[copied..copied + take].copy_from_slice(&available[..take]);
            self.pos += take;
            copied += take;
            if found {
                if BUG == LOSES_REST_AFTER_LINE {
                    self.pos = self.end;
                }
                if BUG == DROPS_NEWLINE {
                    copied -= 1;
                }
                if BUG == ZERO_ON_EMPTY_LINE && copied == 1 {
                    return Ok(0);
                }
                break;
            }
            if BUG == PIECE_PER_REFILL {
                break;
            }
        }
        Ok(copied)
    }

    fn readnb(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if BUG == READNB_BYPASSES_BUFFER {
            return buggy_readn(0, &mut self.inner, buf);
        }
        let mut copied = 0;
        while copied < buf.len() {
            let available = match self.fill() {
                Ok(available) => available,
                Err(e) if copied > 0 => {
                    self.deferred = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            let take = available.len().min(buf.len() - copied);
            buf[copied..copied + take].copy_from_slice(&available[..take]);
            self.pos += take;
            copied += take;
        }
        Ok(copied)
    }

    fn buffer(&self) -> &[u8] {
        if BUG == BUFFER_SHOWS_ALL {
            &self.buf[..self.end]
        } else {
            &self.buf[self.pos..self.end]
        }
    }
}

impl<R: Read, const BUG: u8> RioApi<R> for BuggyRio<R, BUG> {
    fn new(mut inner: R) -> Self {
        let mut buf = vec![0; RIO_BUFSIZE];
        let end = if BUG == READS_IN_NEW {
            inner.read(&mut buf).unwrap_or(0)
        } else {
            0
        };
        BuggyRio {
            inner,
            buf,
            pos: 0,
            end,
            deferred: None,
        }
    }
    fn get_ref(&self) -> &R {
        &self.inner
    }
    fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
    fn into_inner(self) -> R {
        self.inner
    }
}

/// The reference with the readn bug `N`, the writen bug `W` and the Rio
/// bug `R` (0: none).
struct Variant<const N: u8, const W: u8, const R: u8>;

impl<const N: u8, const W: u8, const R: u8> Lab1 for Variant<N, W, R> {
    type Rio<T: Read> = BuggyRio<T, R>;
    fn readn(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
        buggy_readn(N, r, buf)
    }
    fn writen(w: &mut dyn Write, buf: &[u8]) -> io::Result<()> {
        buggy_writen(W, w, buf)
    }
}

type Checks = fn() -> Vec<Check>;

/// Each bug, the variant that has it, and the checks that must catch it.
const BUGS: &[(&str, Checks, &[&str])] = &[
    (
        "readn returns after one read",
        checks_for::<Variant<ONE_READ, 0, 0>>,
        &[
            "readn_every_split",
            "readn_random_splits",
            "readn_tcp_dribble",
        ],
    ),
    (
        "readn treats Interrupted as an error",
        checks_for::<Variant<READN_INTERRUPTED_IS_ERROR, 0, 0>>,
        &["readn_interrupted_is_retried", "readn_random_splits"],
    ),
    (
        "readn takes an error for EOF",
        checks_for::<Variant<ERROR_AS_EOF, 0, 0>>,
        &["readn_errors_are_returned"],
    ),
    (
        "readn reads on after EOF",
        checks_for::<Variant<PAST_EOF, 0, 0>>,
        &["readn_eof"],
    ),
    (
        "writen ignores short writes",
        checks_for::<Variant<0, SINGLE_WRITE, 0>>,
        &["writen_short_writes", "writen_interrupted_is_retried"],
    ),
    (
        "writen spins on Ok(0)",
        checks_for::<Variant<0, SPINS_ON_ZERO, 0>>,
        &["writen_write_zero"],
    ),
    (
        "writen treats Interrupted as an error",
        checks_for::<Variant<0, WRITEN_INTERRUPTED_IS_ERROR, 0>>,
        &["writen_interrupted_is_retried"],
    ),
    (
        "writen writes from the start again after a short write",
        checks_for::<Variant<0, RESTARTS_FROM_START, 0>>,
        &["writen_short_writes"],
    ),
    (
        "writen takes Ok(0) for done",
        checks_for::<Variant<0, ZERO_IS_DONE, 0>>,
        &["writen_write_zero"],
    ),
    (
        "writen ignores errors",
        checks_for::<Variant<0, ERROR_IS_DONE, 0>>,
        &["writen_errors_are_returned"],
    ),
    (
        "readlineb drops the newline",
        checks_for::<Variant<0, 0, DROPS_NEWLINE>>,
        &[
            "readlineb_every_split",
            "readlineb_eof",
            "readlineb_binary_bytes",
        ],
    ),
    (
        "readlineb loses the buffered bytes after a line",
        checks_for::<Variant<0, 0, LOSES_REST_AFTER_LINE>>,
        &[
            "readlineb_every_split",
            "buffer_shows_unread_bytes",
            "readnb_mixed_with_readlineb",
        ],
    ),
    (
        "readlineb reads although its buffer is not empty",
        checks_for::<Variant<0, 0, READS_EVERY_CALL>>,
        &["buffer_reads_only_when_empty"],
    ),
    (
        "Rio asks its reader for 1024 bytes, not 8192",
        checks_for::<Variant<0, 0, ASKS_1024>>,
        &[
            "buffer_few_reads_for_many_lines",
            "buffer_reads_only_when_empty",
        ],
    ),
    (
        "readlineb returns 0 for an empty line",
        checks_for::<Variant<0, 0, ZERO_ON_EMPTY_LINE>>,
        &["readlineb_every_split", "readlineb_eof"],
    ),
    (
        "readnb bypasses the buffer",
        checks_for::<Variant<0, 0, READNB_BYPASSES_BUFFER>>,
        &["readnb_mixed_with_readlineb"],
    ),
    (
        "Rio treats Interrupted as an error",
        checks_for::<Variant<0, 0, RIO_INTERRUPTED_IS_ERROR>>,
        &[
            "readlineb_interrupted_is_retried",
            "readnb_eof_interrupted_errors",
        ],
    ),
    (
        "readlineb loses the bytes it copied when the reader fails",
        checks_for::<Variant<0, 0, LOSES_BYTES_ON_ERROR>>,
        &["readlineb_errors_keep_bytes"],
    ),
    (
        "readlineb returns one piece per refill",
        checks_for::<Variant<0, 0, PIECE_PER_REFILL>>,
        &[
            "readlineb_every_split",
            "readlineb_long_lines",
            "readlineb_tcp_dribble",
        ],
    ),
    (
        "Rio returns stale bytes after EOF",
        checks_for::<Variant<0, 0, STALE_AFTER_EOF>>,
        &[
            "readlineb_every_split",
            "readlineb_eof",
            "readnb_every_split",
        ],
    ),
    (
        "buffer() shows bytes already returned",
        checks_for::<Variant<0, 0, BUFFER_SHOWS_ALL>>,
        &["buffer_shows_unread_bytes"],
    ),
    (
        "Rio::new reads",
        checks_for::<Variant<0, 0, READS_IN_NEW>>,
        &["buffer_inner_reader_access"],
    ),
];

fn run(check: &Check) -> CheckResult {
    check.run(&mut Ctx::new(check.deadline))
}

#[test]
fn the_faithful_copy_passes_every_check() {
    for check in checks_for::<Variant<0, 0, 0>>() {
        if let Err(f) = run(&check) {
            panic!("{} fails the faithful copy: {f:?}", check.name);
        }
    }
}

#[test]
fn every_bug_fails_the_checks_that_name_it() {
    for (bug, checks, names) in BUGS {
        let checks = checks();
        for name in *names {
            let check = checks
                .iter()
                .find(|c| c.name == *name)
                .expect("a check of that name");
            match run(check) {
                Ok(()) => panic!("{name} passes a Rio where {bug}"),
                Err(f) => println!(
                    "{bug} -> {name}:\n  expected: {}\n  observed: {}\n  {}\n",
                    f.expected,
                    f.observed,
                    f.notes.join("\n  ")
                ),
            }
        }
    }
}

/// A `fill` that does not retry `Interrupted` fails checks of steps 4 and 5
/// (readlineb, readnb); their failure must name step 3, where the retry goes.
#[test]
fn interrupted_in_fill_names_step_3() {
    let checks = checks_for::<Variant<0, 0, RIO_INTERRUPTED_IS_ERROR>>();
    for name in [
        "readlineb_interrupted_is_retried",
        "readnb_eof_interrupted_errors",
    ] {
        let check = checks.iter().find(|c| c.name == name).expect(name);
        let f = run(check).expect_err(name);
        let link = crate::steps::LAB1_BUFFER.link();
        assert!(
            f.notes
                .iter()
                .any(|n| n.contains("fill()") && n.contains(&link)),
            "{name}: {:?}",
            f.notes
        );
    }
}
