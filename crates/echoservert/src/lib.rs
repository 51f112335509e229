//! Lab 5's first server, `echoservert`: a thread per client, as the
//! textbook's `echoservert.c`, and the one thing its threads share, a count
//! of the bytes echoed to every client (the textbook's `echo_cnt`).
//!
//! The binary (`main.rs`) accepts in a loop and hands each connected socket
//! to a new thread, which runs lab 3's [`echoserver::echo`] and ends when
//! its client leaves. So one slow client costs one blocked thread, not the
//! whole server: the iterative server of lab 3 served nobody else while a
//! client held half a line.
//!
//! What the threads share is this library: [`echo_cnt`] is lab 3's `echo`
//! over a stream that adds every byte it writes back to a counter all the
//! threads hold. In C that counter is a global `int` guarded by a
//! semaphore, and forgetting the semaphore is a data race that compiles. In
//! Rust the race does not compile: a plain `u64` cannot be borrowed by two
//! threads that may outlive it, nor mutated through a shared reference, and
//! `static mut` needs `unsafe`, which lab crates forbid. What compiles is
//! an [`AtomicU64`], whose `fetch_add` is one indivisible read-modify-write.
//! The handout (lab 5, step 2) shows each rejected version and the
//! compiler's message.
//!
//! [`cli`] is the command line of lab 3's server, given, and shared by both
//! lab 5 servers: same arguments, same messages, same exit codes.
//!
//! ```compile_fail
//! // The textbook's race, written in Rust: two threads adding to one u64.
//! let mut total = 0u64;
//! let a = std::thread::spawn(|| total += 1); // error[E0373]: may outlive `total`
//! total += 1;
//! a.join().unwrap();
//! ```

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};

pub mod cli;

/// Echoes `conn` back to itself line by line until EOF, as lab 3's
/// [`echoserver::echo`] does, adding every byte written back to `total`
/// as it goes; returns the bytes echoed on this connection.
///
/// `total` is shared by every connection's thread (an `Arc<AtomicU64>` in
/// `main.rs`): it counts the bytes echoed to all clients since the server
/// started, the textbook's `byte_cnt`. Bytes are counted when they are
/// written, so a connection that fails half-way has its echoed bytes
/// counted too.
///
/// # Errors
///
/// Those of [`echoserver::echo`]: the first read or write error other than
/// `Interrupted`. What was echoed (and counted) until then stays so.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::Shutdown;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// let total = AtomicU64::new(100); // 100 bytes echoed to earlier clients
/// let listener = netutil::open_listenfd(0)?;
/// let mut client = netutil::open_clientfd("127.0.0.1", listener.local_addr()?.port())?;
/// client.write_all(b"hello\nworld\n")?;
/// client.shutdown(Shutdown::Write)?;
///
/// let (conn, _peer) = listener.accept()?;
/// assert_eq!(echoservert::echo_cnt(conn, &total)?, 12);
/// assert_eq!(total.load(Ordering::Relaxed), 112);
///
/// let mut echoed = Vec::new();
/// client.read_to_end(&mut echoed)?;
/// assert_eq!(echoed, b"hello\nworld\n");
/// # Ok::<(), std::io::Error>(())
/// ```
// ANCHOR: echo_cnt
pub fn echo_cnt<S: Read + Write>(conn: S, total: &AtomicU64) -> io::Result<u64> {
    // BEGIN SOLUTION: lab 5 step 2 (shared state)
    // lab 3's echo, unchanged: only the stream it writes to counts
    echoserver::echo(Counted { conn, total })
    // END SOLUTION
}
// ANCHOR_END: echo_cnt

/// A connection that adds every byte written to it to a shared total.
// ANCHOR: counted
struct Counted<'a, S> {
    conn: S,
    total: &'a AtomicU64,
}

impl<S: Write> Write for Counted<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // BEGIN SOLUTION: lab 5 step 2 (shared state)
        let n = self.conn.write(buf)?;
        // one indivisible read-modify-write: no other thread's update is lost
        self.total.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
        // END SOLUTION
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.flush()
    }
}
// ANCHOR_END: counted

impl<S: Read> Read for Counted<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.conn.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::sync::Arc;

    /// Reads from a script, writes to a Vec.
    struct Duplex {
        input: Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Duplex {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Duplex {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn duplex(input: &[u8]) -> Duplex {
        Duplex {
            input: Cursor::new(input.to_vec()),
            output: Vec::new(),
        }
    }

    /// Step 2: the bytes come back as lab 3's echo sends them, and are
    /// counted.
    #[test]
    fn echoes_and_counts() {
        let total = AtomicU64::new(0);
        let mut conn = duplex(b"one\ntwo\nno newline");
        assert_eq!(echo_cnt(&mut conn, &total).unwrap(), 18);
        assert_eq!(conn.output, b"one\ntwo\nno newline");
        assert_eq!(total.load(Ordering::Relaxed), 18);
    }

    /// Step 2: eight threads echoing at once lose no byte of the total.
    #[test]
    fn threads_share_the_total() {
        let total = Arc::new(AtomicU64::new(0));
        let line = b"0123456789\n".repeat(1000);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (total, line) = (Arc::clone(&total), line.clone());
                std::thread::spawn(move || echo_cnt(duplex(&line), &total).unwrap())
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), line.len() as u64);
        }
        assert_eq!(total.load(Ordering::Relaxed), 8 * line.len() as u64);
    }
}
