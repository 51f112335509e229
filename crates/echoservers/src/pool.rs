//! The pool of connections and the `poll` call: the textbook's `pool`
//! struct with `init_pool`, `add_client` and `check_clients`.
//!
//! The textbook keeps a `select` read set and copies it into a ready set
//! before each call. `poll` takes an array of `pollfd`s instead, one per
//! descriptor, each saying which events to wait for (`events`) and, on
//! return, which happened (`revents`). [`Pool::wait`] builds that array
//! afresh from the pool on every call: the listener first, then each
//! client with its [`Client::interest`]. rustix's `PollFd` borrows each
//! socket for as long as the array lives, so a socket cannot be closed
//! while `poll` looks at it; the array is gone before
//! [`Pool::check_clients`] may close one.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;

use crate::Client;

/// The listener and every connected client.
pub struct Pool {
    listener: TcpListener,
    clients: Vec<Client>,
}

/// What one [`Pool::wait`] found: whether the listener has a client to
/// accept, and the `revents` of each client, in the pool's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    /// A connection waits to be accepted.
    pub listener: bool,
    /// What happened on each client, by index in the pool when `wait` was
    /// called. Clients added since are not in it.
    pub clients: Vec<PollFlags>,
}

/// A pool for `listener`, made non-blocking, with no client yet (the
/// textbook's `init_pool`).
///
/// # Errors
///
/// The listener cannot be made non-blocking.
///
/// # Examples
///
/// ```
/// let pool = echoservers::init_pool(netutil::open_listenfd(0)?)?;
/// assert_eq!(pool.len(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
// ANCHOR: init_pool
pub fn init_pool(listener: TcpListener) -> io::Result<Pool> {
    // BEGIN SOLUTION: lab 5 step 3 (the pool and poll)
    // accept returns WouldBlock once the queue of waiting clients is empty
    listener.set_nonblocking(true)?;
    Ok(Pool {
        listener,
        clients: Vec::new(),
    })
    // END SOLUTION
}
// ANCHOR_END: init_pool

impl Pool {
    /// The listening socket.
    pub fn listener(&self) -> &TcpListener {
        &self.listener
    }

    /// How many clients are connected.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether no client is connected.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Adds the accepted connection `conn` from `peer` to the pool, as a
    /// non-blocking [`Client`] (the textbook's `add_client`).
    ///
    /// # Errors
    ///
    /// [`Client::new`] failed; the connection is dropped (closed).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut pool = echoservers::init_pool(netutil::open_listenfd(0)?)?;
    /// let port = pool.listener().local_addr()?.port();
    /// let _client = netutil::open_clientfd("127.0.0.1", port)?;
    /// # let mut pfd = [rustix::event::PollFd::new(pool.listener(), echoservers::PollFlags::IN)];
    /// # rustix::event::poll(&mut pfd, None)?;
    /// let (conn, peer) = pool.listener().accept()?;
    /// pool.add_client(conn, peer)?;
    /// assert_eq!(pool.len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    // ANCHOR: add_client
    pub fn add_client(&mut self, conn: TcpStream, peer: SocketAddr) -> io::Result<()> {
        // BEGIN SOLUTION: lab 5 step 3 (the pool and poll)
        self.clients.push(Client::new(conn, peer)?);
        Ok(())
        // END SOLUTION
    }
    // ANCHOR_END: add_client

    /// Waits in `poll(2)` until the listener or a client is ready for what
    /// it is asked (its [`Client::interest`]), and says which. No timeout:
    /// an idle server sleeps here, using no CPU.
    ///
    /// # Errors
    ///
    /// `poll` failed (not `EINTR`, which is retried): `ENOMEM`, or a bug.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut pool = echoservers::init_pool(netutil::open_listenfd(0)?)?;
    /// let port = pool.listener().local_addr()?.port();
    /// let _client = netutil::open_clientfd("127.0.0.1", port)?;
    /// let ready = pool.wait()?; // returns at once: a client is waiting
    /// assert!(ready.listener);
    /// assert!(ready.clients.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    // ANCHOR: wait
    pub fn wait(&mut self) -> io::Result<Ready> {
        // BEGIN SOLUTION: lab 5 step 3 (the pool and poll)
        // one pollfd per socket: the listener, then every client, each
        // asking for what it can use right now
        let mut fds = Vec::with_capacity(1 + self.clients.len());
        fds.push(PollFd::new(&self.listener, PollFlags::IN));
        for client in &self.clients {
            fds.push(PollFd::new(client.stream(), client.interest()));
        }
        loop {
            // no timeout (None): sleep until something happens
            match poll(&mut fds, None) {
                Ok(_) => break,
                // a signal arrived while we slept: wait again
                Err(Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Ready {
            listener: !fds[0].revents().is_empty(),
            clients: fds[1..].iter().map(PollFd::revents).collect(),
        })
        // END SOLUTION
    }
    // ANCHOR_END: wait

    /// Serves every client that `ready` says is ready ([`Client::handle`]),
    /// then closes (drops) the finished ones and the failed ones (the
    /// textbook's `check_clients`). Returns each failed client with its
    /// error, for the caller to log.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let mut pool = echoservers::init_pool(netutil::open_listenfd(0)?)?;
    /// let port = pool.listener().local_addr()?.port();
    /// let mut client = netutil::open_clientfd("127.0.0.1", port)?;
    /// client.write_all(b"hi\n")?;
    /// client.shutdown(std::net::Shutdown::Write)?; // then EOF
    /// // the event loop, until the client has been served and closed
    /// loop {
    ///     let ready = pool.wait()?;
    ///     if ready.listener {
    ///         let (conn, peer) = pool.listener().accept()?;
    ///         pool.add_client(conn, peer)?;
    ///     }
    ///     assert!(pool.check_clients(&ready).is_empty()); // nobody failed
    ///     if pool.is_empty() && !ready.clients.is_empty() {
    ///         break; // echoed, EOF seen, closed
    ///     }
    /// }
    /// let mut echo = Vec::new();
    /// client.read_to_end(&mut echo)?;
    /// assert_eq!(echo, b"hi\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    // ANCHOR: check_clients
    pub fn check_clients(&mut self, ready: &Ready) -> Vec<(SocketAddr, io::Error)> {
        // BEGIN SOLUTION: lab 5 step 4 (check_clients)
        let mut failed = Vec::new();
        let mut gone = vec![false; self.clients.len()];
        // zip: only the clients that were in the pool when wait was called
        for (i, (client, &revents)) in self.clients.iter_mut().zip(&ready.clients).enumerate() {
            if revents.is_empty() {
                continue;
            }
            match client.handle(revents) {
                Ok(()) => gone[i] = client.is_done(),
                Err(e) => {
                    failed.push((client.peer(), e));
                    gone[i] = true;
                }
            }
        }
        // dropping a Client closes its socket: the client sees EOF
        let mut i = 0;
        self.clients.retain(|_| {
            i += 1;
            !gone[i - 1]
        });
        failed
        // END SOLUTION
    }
    // ANCHOR_END: check_clients
}
