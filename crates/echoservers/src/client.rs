//! One connection of the event loop: its socket, its two buffers, and what
//! to do when `poll` says it is ready.
//!
//! A blocking server keeps a client's state on the stack of the thread (or
//! the loop) that serves it: where it is in the line, what it still has to
//! write. An event loop serves each client a little at a time, so that
//! state lives here instead, between two calls to `poll`:
//!
//! - `input`: bytes read but not yet echoed, that is a partial line (at
//!   most [`LINE_MAX`] bytes);
//! - `output`: echoes not yet written (at most [`OUTPUT_MAX`] bytes);
//! - `eof`: the client has closed its end (`read` returned 0).
//!
//! Every read and write here is on a non-blocking socket: `WouldBlock` is
//! the normal end of a burst, not an error. Each method does what it can
//! without waiting and returns.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};

use rustix::event::PollFlags;

use crate::{LINE_MAX, OUTPUT_MAX};

/// One client: a non-blocking connected socket and its buffers.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use echoservers::{Client, PollFlags};
///
/// let listener = netutil::open_listenfd(0)?;
/// let mut peer = netutil::open_clientfd("127.0.0.1", listener.local_addr()?.port())?;
/// let (conn, addr) = listener.accept()?;
/// let mut client = Client::new(conn, addr)?;
/// assert_eq!(client.interest(), PollFlags::IN); // nothing to write yet
///
/// peer.write_all(b"hello\n")?;
/// peer.flush()?;
/// # let mut pfd = [rustix::event::PollFd::new(client.stream(), PollFlags::IN)];
/// # rustix::event::poll(&mut pfd, None)?;
/// client.on_readable()?; // what poll said: there are bytes
/// assert_eq!(client.output(), b"hello\n"); // a whole line: queued for echo
/// assert_eq!(client.interest(), PollFlags::IN | PollFlags::OUT);
/// client.on_writable()?;
/// let mut echo = [0; 6];
/// peer.read_exact(&mut echo)?;
/// assert_eq!(&echo, b"hello\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Client {
    stream: TcpStream,
    peer: SocketAddr,
    /// A partial line: read, not yet queued for echo.
    input: Vec<u8>,
    /// Echoes queued, not yet written.
    output: Vec<u8>,
    /// The client closed its end: read returned 0.
    eof: bool,
}

impl Client {
    /// A client for the accepted connection `stream` from `peer`, made
    /// non-blocking, with empty buffers.
    ///
    /// # Errors
    ///
    /// The socket cannot be made non-blocking.
    // ANCHOR: client_new
    pub fn new(stream: TcpStream, peer: SocketAddr) -> io::Result<Client> {
        // BEGIN SOLUTION: lab 5 step 3 (the pool and poll)
        // O_NONBLOCK: read and write return WouldBlock instead of waiting
        stream.set_nonblocking(true)?;
        // a whole batch of lines goes out in one write: Nagle would only
        // hold back the second piece of a long line (lab 3, step 4)
        let _ = stream.set_nodelay(true);
        Ok(Client {
            stream,
            peer,
            input: Vec::new(),
            output: Vec::new(),
            eof: false,
        })
        // END SOLUTION
    }
    // ANCHOR_END: client_new

    /// The connected socket, for `poll`.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The partial line read and not yet queued.
    pub fn input(&self) -> &[u8] {
        &self.input
    }

    /// The echoes queued and not yet written.
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// Whether the client has closed its end (a read returned 0).
    pub fn eof(&self) -> bool {
        self.eof
    }

    /// What to ask `poll` for: `IN` while the client may still send and
    /// the input buffer has room, `OUT` while there are echoes to write.
    ///
    /// Asking only for what can be used is what keeps the loop asleep when
    /// nobody is active (a socket with room to write is ready all the
    /// time: asking `OUT` with nothing to write wakes `poll` at once, for
    /// ever), and what makes backpressure: a full input buffer is not
    /// read.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = netutil::open_listenfd(0)?;
    /// # let _peer = netutil::open_clientfd("127.0.0.1", listener.local_addr()?.port())?;
    /// # let (conn, addr) = listener.accept()?;
    /// let client = echoservers::Client::new(conn, addr)?;
    /// assert_eq!(client.interest(), echoservers::PollFlags::IN);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    // ANCHOR: interest
    pub fn interest(&self) -> PollFlags {
        // BEGIN SOLUTION: lab 5 step 3 (the pool and poll)
        let mut events = PollFlags::empty();
        // read only if the client may send more and there is room for it:
        // a full input buffer waits for the output to drain (backpressure)
        if !self.eof && self.input.len() < LINE_MAX {
            events |= PollFlags::IN;
        }
        // a socket can almost always be written: ask only with something to write
        if !self.output.is_empty() {
            events |= PollFlags::OUT;
        }
        events
        // END SOLUTION
    }
    // ANCHOR_END: interest

    /// Serves what `poll` reported in `revents`: writes queued echoes if
    /// the socket is writable, reads if it is readable. `ERR` and `HUP`,
    /// which `poll` reports without being asked, are served as both: the
    /// next read or write says what happened.
    ///
    /// # Errors
    ///
    /// A read or write error (a reset, a client gone while we wrote); the
    /// connection is of no more use.
    // ANCHOR: handle
    pub fn handle(&mut self, revents: PollFlags) -> io::Result<()> {
        // BEGIN SOLUTION: lab 5 step 4 (check_clients)
        if revents.contains(PollFlags::NVAL) {
            return Err(io::Error::other("poll: not an open descriptor"));
        }
        let trouble = revents.intersects(PollFlags::ERR | PollFlags::HUP);
        // write first: it makes room, so the read below can queue more
        if (revents.contains(PollFlags::OUT) || trouble) && !self.output.is_empty() {
            self.on_writable()?;
        }
        if (revents.contains(PollFlags::IN) || trouble) && self.interest().contains(PollFlags::IN) {
            self.on_readable()?;
        }
        Ok(())
        // END SOLUTION
    }
    // ANCHOR_END: handle

    /// Reads what the socket has (at most the room left in the input
    /// buffer, one `read`), then queues every line that is complete.
    /// `Ok(0)` from `read` is EOF: what is left of a line is queued too.
    /// `WouldBlock` (nothing after all) and `Interrupted` are no errors.
    ///
    /// # Errors
    ///
    /// The read failed (`ConnectionReset`, …).
    // ANCHOR: on_readable
    pub fn on_readable(&mut self) -> io::Result<()> {
        // BEGIN SOLUTION: lab 5 step 4 (check_clients)
        let start = self.input.len();
        // no room (backpressure): a read into 0 bytes would look like EOF
        if start == LINE_MAX {
            return Ok(());
        }
        // the room: read into the spare end of the input buffer
        self.input.resize(LINE_MAX, 0);
        let result = self.stream.read(&mut self.input[start..]);
        let n = match result {
            // 0: the client closed its end; echo what is left, then close
            Ok(0) => {
                self.eof = true;
                0
            }
            Ok(n) => n,
            // a spurious wake-up or a signal: nothing read, nothing lost
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => 0,
            Err(e) => {
                self.input.truncate(start);
                return Err(e);
            }
        };
        self.input.truncate(start + n);
        self.queue_lines();
        Ok(())
        // END SOLUTION
    }
    // ANCHOR_END: on_readable

    /// Moves what is ready to be echoed from the input buffer to the output
    /// buffer, as far as the output buffer has room: every complete line;
    /// or, without a newline, a full input buffer (a piece of a long line)
    /// or, after EOF, the last line. What does not fit stays in the input
    /// buffer until the output drains.
    // ANCHOR: queue_lines
    fn queue_lines(&mut self) {
        // BEGIN SOLUTION: lab 5 step 4 (check_clients)
        let room = OUTPUT_MAX - self.output.len();
        let fits = &self.input[..self.input.len().min(room)];
        let n = match fits.iter().rposition(|&b| b == b'\n') {
            // every whole line that fits, in one copy
            Some(last) => last + 1,
            // no newline: a full buffer is a piece of a long line (lab 3's
            // echo does the same); after EOF, the rest is the last line
            None if fits.len() == self.input.len() && (fits.len() == LINE_MAX || self.eof) => {
                fits.len()
            }
            // a partial line: wait for the rest (or for room)
            None => 0,
        };
        self.output.extend_from_slice(&self.input[..n]);
        self.input.drain(..n);
        // END SOLUTION
    }
    // ANCHOR_END: queue_lines

    /// Writes as much of the output buffer as the socket takes (one
    /// `write`), then queues what the input buffer was holding back for
    /// lack of room.
    ///
    /// # Errors
    ///
    /// The write failed (`BrokenPipe`, `ConnectionReset`: the client is
    /// gone).
    // ANCHOR: on_writable
    pub fn on_writable(&mut self) -> io::Result<()> {
        // BEGIN SOLUTION: lab 5 step 4 (check_clients)
        match self.stream.write(&self.output) {
            Ok(n) => {
                self.output.drain(..n);
            }
            // the socket's buffer filled up since poll: try again next time
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(e) => return Err(e),
        }
        // room again: lines held back in the input buffer move on
        self.queue_lines();
        Ok(())
        // END SOLUTION
    }
    // ANCHOR_END: on_writable

    /// Whether the connection is finished: the client closed its end and
    /// every byte it sent has been echoed. Then it is closed (dropped).
    // ANCHOR: is_done
    pub fn is_done(&self) -> bool {
        // BEGIN SOLUTION: lab 5 step 4 (check_clients)
        self.eof && self.input.is_empty() && self.output.is_empty()
        // END SOLUTION
    }
    // ANCHOR_END: is_done
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Shutdown, TcpListener};

    /// A client of the server side and the peer that talks to it.
    fn pair() -> (Client, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (conn, addr) = listener.accept().unwrap();
        (Client::new(conn, addr).unwrap(), peer)
    }

    /// Reads until `n` bytes sit in the input or the output buffer
    /// (or EOF): the socket may hand them over in several reads.
    fn read_until(client: &mut Client, n: usize) {
        for _ in 0..10_000 {
            if client.input().len() + client.output().len() >= n || client.eof() {
                return;
            }
            client.on_readable().unwrap();
        }
        panic!("the bytes never arrived");
    }

    /// A partial line waits in the input buffer; the rest completes it.
    /// Step 4: half a line waits in the input buffer for the rest.
    #[test]
    fn partial_line_waits() {
        let (mut client, mut peer) = pair();
        peer.write_all(b"half a li").unwrap();
        read_until(&mut client, 9);
        assert_eq!(client.input(), b"half a li");
        assert_eq!(client.output(), b"");
        peer.write_all(b"ne\nand more").unwrap();
        read_until(&mut client, 20);
        assert_eq!(client.output(), b"half a line\n");
        assert_eq!(client.input(), b"and more");
    }

    /// After EOF the last line (no newline) is queued, and the client is
    /// done once it is written.
    /// Step 4: after EOF, a last line without newline is echoed, and then
    /// the client is done.
    #[test]
    fn last_line_at_eof() {
        let (mut client, mut peer) = pair();
        peer.write_all(b"one\ntwo").unwrap();
        peer.shutdown(Shutdown::Write).unwrap();
        while !client.eof() {
            client.on_readable().unwrap();
        }
        assert_eq!(client.output(), b"one\ntwo");
        assert!(!client.is_done());
        assert_eq!(client.interest(), PollFlags::OUT);
        client.on_writable().unwrap();
        assert!(client.is_done());
    }

    /// A full buffer without newline is a piece of a long line.
    /// Step 4: a full input buffer without newline is echoed as a piece.
    #[test]
    fn full_buffer_is_a_piece() {
        let (mut client, mut peer) = pair();
        peer.write_all(&[b'x'; LINE_MAX + 10]).unwrap();
        read_until(&mut client, LINE_MAX + 10);
        assert_eq!(client.output(), &[b'x'; LINE_MAX][..]);
        assert_eq!(client.input(), &[b'x'; 10][..]);
    }

    /// A client that never reads: the output buffer stops at OUTPUT_MAX,
    /// the input buffer fills, and the server stops asking to read.
    /// Step 5 (steps 3 and 4's code): a client that never reads fills the
    /// output buffer to at most `OUTPUT_MAX` (`queue_lines` moves only what
    /// fits), then the input buffer, and then `interest` stops asking `IN`.
    #[test]
    fn backpressure() {
        let (mut client, mut peer) = pair();
        let line = [&[b'.'; 99][..], b"\n"].concat();
        let sender = std::thread::spawn(move || {
            // blocks when the buffers are full; ends when the test drops the client
            while peer.write_all(&line).is_ok() {}
        });
        for _ in 0..100_000 {
            if !client.interest().contains(PollFlags::IN) {
                break;
            }
            client.on_readable().unwrap();
        }
        assert!(!client.interest().contains(PollFlags::IN));
        assert!(client.output().len() <= OUTPUT_MAX);
        assert!(client.output().len() > OUTPUT_MAX - 100);
        assert_eq!(client.input().len(), LINE_MAX);
        drop(client);
        sender.join().unwrap();
    }
}
