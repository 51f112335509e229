//! Both ends of a TCP connection, as in the lecture: [`open_clientfd`]
//! (getaddrinfo → socket → connect) and [`open_listenfd`] (socket →
//! SO_REUSEADDR → bind → listen), one socket2 call per system call.
//!
//! `std::net::TcpStream::connect` and `TcpListener::bind` do all of this in
//! one call each; here the steps are spelled out so they can be read beside
//! the slides, and the result is the same std type.
//!
//! * A name may resolve to several addresses (IPv6 and IPv4, several
//!   hosts), so [`resolve`] returns all of them in getaddrinfo's order and
//!   [`connect_any`] tries each in turn, closing every socket that failed
//!   before it tries the next one.
//! * A server listens on `[::]` with `IPV6_V6ONLY` off: one dual-stack
//!   socket takes IPv6 clients and IPv4 clients, who show up with
//!   IPv4-mapped addresses (`::ffff:127.0.0.1`). On a kernel without IPv6
//!   (where the IPv6 socket cannot be made) it listens on `0.0.0.0`
//!   instead.
//! * `SO_REUSEADDR` lets a restarted server bind its port at once, while
//!   the connections of the previous run sit in `TIME_WAIT`.
//!
//! Sockets are created close-on-exec (socket2 passes `SOCK_CLOEXEC`), so a
//! program that starts another one does not leak its connections into it.
//! Errors are `io::Result` with the kind the system gave; `main` decides to
//! print and exit.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};

/// The backlog passed to `listen`: how many connections the kernel queues
/// for a server that has not accepted them yet. (Linux queues one more
/// than the backlog, and caps the backlog at `net.core.somaxconn`.)
///
/// # Examples
///
/// ```
/// assert_eq!(netutil::LISTENQ, 1024);
/// ```
pub const LISTENQ: i32 = 1024;

/// Looks up `host` with `getaddrinfo` and returns every address for it with
/// `port`, in the order the resolver gave.
///
/// `host` may be a name (`localhost`) or an address (`127.0.0.1`, `::1`).
/// The list is never empty.
///
/// # Errors
///
/// An unknown host, or a host with no address, is an error whose message
/// names `host` and `port`, as in `cannot resolve no-such-host.invalid:80:
/// failed to lookup address information: Name or service not known`. Its
/// kind is the kind of the resolver's error.
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
///
/// let addrs = netutil::resolve("127.0.0.1", 80)?;
/// assert_eq!(addrs, ["127.0.0.1:80".parse::<SocketAddr>().unwrap()]);
///
/// let err = netutil::resolve("no-such-host.invalid", 80).unwrap_err();
/// assert!(err.to_string().starts_with("cannot resolve no-such-host.invalid:80: "));
/// # Ok::<(), std::io::Error>(())
/// ```
// ANCHOR: resolve
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    // BEGIN SOLUTION: lab 2 step 1 (resolve)
    use std::net::ToSocketAddrs;

    // getaddrinfo: std calls it for a (host, port) pair
    let addrs: Vec<SocketAddr> = match (host, port).to_socket_addrs() {
        Ok(addrs) => addrs.collect(),
        Err(e) => {
            let message = format!("cannot resolve {host}:{port}: {e}");
            return Err(io::Error::new(e.kind(), message));
        }
    };
    // a name with no address at all: an error too, never an empty list
    if addrs.is_empty() {
        let message = format!("cannot resolve {host}:{port}: no address found");
        return Err(io::Error::new(io::ErrorKind::NotFound, message));
    }
    Ok(addrs)
    // END SOLUTION
}
// ANCHOR_END: resolve

/// Connects to the first address in `addrs` that accepts, trying them in
/// order: for each one a new `socket`, then `connect`.
///
/// A socket whose `connect` failed is closed before the next address is
/// tried, so a failed attempt leaks no descriptor.
///
/// # Errors
///
/// If no address accepts, the error of the last attempt, with its kind
/// (`ConnectionRefused`, `TimedOut`, `NetworkUnreachable`…). An empty
/// `addrs` is an `InvalidInput` error.
///
/// # Examples
///
/// ```
/// let listener = netutil::open_listenfd(0)?;
/// let port = listener.local_addr()?.port();
///
/// // one address that refuses (port 0), then the listener
/// let addrs = [
///     ([127, 0, 0, 1], 0).into(),
///     ([127, 0, 0, 1], port).into(),
/// ];
/// let conn = netutil::connect_any(&addrs)?;
/// assert_eq!(conn.peer_addr()?, addrs[1]);
/// # Ok::<(), std::io::Error>(())
/// ```
// ANCHOR: connect_any
pub fn connect_any(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    // BEGIN SOLUTION: lab 2 step 2 (connect_any)
    use socket2::{Domain, Protocol, Socket, Type};

    let mut last_err = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
    for addr in addrs {
        // socket: a TCP socket of the address's family
        let domain = Domain::for_address(*addr);
        let socket = match Socket::new(domain, Type::STREAM, Some(Protocol::TCP)) {
            Ok(socket) => socket,
            // no such family here (IPv6 off): try the next address
            Err(e) => {
                last_err = e;
                continue;
            }
        };
        // connect
        match socket.connect(&(*addr).into()) {
            Ok(()) => return Ok(socket.into()),
            // failed: close this socket, try the next address
            Err(e) => {
                drop(socket);
                last_err = e;
            }
        }
    }
    Err(last_err)
    // END SOLUTION
}
// ANCHOR_END: connect_any

/// Opens a connection to `host` on `port`: [`resolve`], then
/// [`connect_any`] on the addresses found (the textbook's
/// `open_clientfd`).
///
/// # Errors
///
/// The error of [`resolve`] (which names host and port) or of
/// [`connect_any`] (the last address's, e.g. `ConnectionRefused`).
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
///
/// let listener = netutil::open_listenfd(0)?;
/// let port = listener.local_addr()?.port();
///
/// let mut client = netutil::open_clientfd("127.0.0.1", port)?;
/// let (mut server, _peer) = listener.accept()?;
/// client.write_all(b"hi")?;
/// let mut buf = [0u8; 2];
/// server.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"hi");
/// # Ok::<(), std::io::Error>(())
/// ```
// ANCHOR: open_clientfd
pub fn open_clientfd(host: &str, port: u16) -> io::Result<TcpStream> {
    // BEGIN SOLUTION: lab 2 step 3 (open_clientfd)
    // getaddrinfo, then socket + connect on each address in turn
    let addrs = resolve(host, port)?;
    connect_any(&addrs)
    // END SOLUTION
}
// ANCHOR_END: open_clientfd

/// Opens a listening socket on `port` on every address of this host (the
/// textbook's `open_listenfd`): `socket`, `SO_REUSEADDR`, `bind`, then
/// `listen` with a backlog of [`LISTENQ`].
///
/// It binds `[::]` with `IPV6_V6ONLY` off, so IPv6 and IPv4 clients both
/// connect to this one socket (the IPv4 ones appear as `::ffff:a.b.c.d`;
/// `IpAddr::to_canonical` turns that back into `a.b.c.d`). Where the
/// IPv6 socket cannot be made (`EAFNOSUPPORT`: a kernel booted with
/// `ipv6.disable=1`, or built without IPv6) it binds `0.0.0.0` instead.
/// (With IPv6 merely switched off by sysctl, the IPv6 socket and `[::]`
/// still work, and so do its IPv4 clients.) Port 0 asks the kernel for a
/// free port; `local_addr` tells which.
///
/// `SO_REUSEADDR` means that a server restarted on its port right after it
/// exited can bind at once, although the previous run's connections wait
/// in `TIME_WAIT`. It does not let two servers listen on one port.
///
/// # Errors
///
/// The error of the failed step, with the kind the system gave: e.g.
/// `AddrInUse` when another socket already listens on `port`, or
/// `PermissionDenied` for a port below 1024 without privileges.
///
/// # Examples
///
/// ```
/// let listener = netutil::open_listenfd(0)?;
/// let port = listener.local_addr()?.port();
/// assert_ne!(port, 0);
///
/// // a second server on the same port is refused
/// let err = netutil::open_listenfd(port).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
/// # Ok::<(), std::io::Error>(())
/// ```
// ANCHOR: open_listenfd
pub fn open_listenfd(port: u16) -> io::Result<TcpListener> {
    // BEGIN SOLUTION: lab 2 step 4 (open_listenfd)
    use socket2::{Domain, Protocol, Socket, Type};
    use std::net::{Ipv4Addr, Ipv6Addr};

    // [::] first: one dual-stack socket for IPv6 and IPv4 clients; else 0.0.0.0
    let candidates: [SocketAddr; 2] = [
        (Ipv6Addr::UNSPECIFIED, port).into(),
        (Ipv4Addr::UNSPECIFIED, port).into(),
    ];
    let mut last_err = io::Error::new(io::ErrorKind::AddrNotAvailable, "no address to listen on");
    for addr in candidates {
        // socket
        let domain = Domain::for_address(addr);
        let socket = match Socket::new(domain, Type::STREAM, Some(Protocol::TCP)) {
            Ok(socket) => socket,
            // EAFNOSUPPORT: a kernel without IPv6; try 0.0.0.0
            Err(e) => {
                last_err = e;
                continue;
            }
        };
        // IPV6_V6ONLY off: IPv4 clients come in as ::ffff:a.b.c.d
        if addr.is_ipv6() {
            socket.set_only_v6(false)?;
        }
        // SO_REUSEADDR: bind even while old connections sit in TIME_WAIT
        socket.set_reuse_address(true)?;
        // bind; an error here (AddrInUse...) would be the same on 0.0.0.0
        socket.bind(&addr.into())?;
        // listen: a passive socket; the kernel completes handshakes and queues
        // up to LISTENQ + 1 connections (capped by somaxconn) for accept
        socket.listen(LISTENQ)?;
        return Ok(socket.into());
    }
    Err(last_err)
    // END SOLUTION
}
// ANCHOR_END: open_listenfd

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;
    use std::io::{Read, Write};
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// An address nothing listens on: a port that was free a moment ago.
    fn refusing_addr() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
        // dropped here: the port is closed
    }

    /// Sends a few bytes from `client` and reads them on `server`.
    fn assert_connected(client: &mut TcpStream, server: &mut TcpStream) {
        client.write_all(b"ping\n").unwrap();
        let mut buf = [0u8; 5];
        server.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping\n");
    }

    /// resolve returns addresses for names and literal addresses.
    #[test]
    fn resolve_names_and_addresses() {
        let v4: SocketAddr = "127.0.0.1:7".parse().unwrap();
        assert_eq!(resolve("127.0.0.1", 7).unwrap(), [v4]);
        let v6: SocketAddr = "[::1]:7".parse().unwrap();
        assert_eq!(resolve("::1", 7).unwrap(), [v6]);
        let local = resolve("localhost", 7).unwrap();
        assert!(!local.is_empty());
        assert!(local.iter().all(|a| a.ip().is_loopback() && a.port() == 7));
    }

    /// An unknown host is an error naming host and port.
    #[test]
    fn resolve_unknown_host() {
        let err = resolve("no-such-host.invalid", 8080).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("cannot resolve no-such-host.invalid:8080: "),
            "{message}"
        );
    }

    /// No address is InvalidInput; a refused address is ConnectionRefused.
    #[test]
    fn connect_any_errors() {
        assert_eq!(
            connect_any(&[]).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let refused = refusing_addr();
        let err = connect_any(&[refused]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    }

    /// A refused address is skipped and the next one tried.
    #[test]
    fn connect_any_tries_the_next_address() {
        let listener = open_listenfd(0).unwrap();
        let port = listener.local_addr().unwrap().port();
        let good: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut client = connect_any(&[refusing_addr(), good]).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        assert_connected(&mut client, &mut server);
    }

    /// The listening socket takes IPv4 and (where the host has it) IPv6
    /// clients; the IPv4 ones appear as mapped addresses.
    #[test]
    fn open_listenfd_is_dual_stack() {
        let listener = open_listenfd(0).unwrap();
        let port = listener.local_addr().unwrap().port();

        let mut client = open_clientfd("127.0.0.1", port).unwrap();
        let (mut server, peer) = listener.accept().unwrap();
        assert_eq!(peer.ip().to_canonical(), Ipv4Addr::LOCALHOST);
        assert_connected(&mut client, &mut server);

        if listener.local_addr().unwrap().is_ipv6() {
            let mut client = open_clientfd("::1", port).unwrap();
            let (mut server, peer) = listener.accept().unwrap();
            assert_eq!(peer.ip(), Ipv6Addr::LOCALHOST);
            assert_connected(&mut client, &mut server);
        }
    }

    /// Two listeners on one port: AddrInUse.
    #[test]
    fn open_listenfd_port_taken() {
        let listener = open_listenfd(0).unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(
            open_listenfd(port).unwrap_err().kind(),
            ErrorKind::AddrInUse
        );
    }

    /// A server that closed its connections first (so they are in
    /// TIME_WAIT) can listen on its port again at once.
    #[test]
    fn open_listenfd_again_after_time_wait() {
        let listener = open_listenfd(0).unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = open_clientfd("127.0.0.1", port).unwrap();
        let (server, _) = listener.accept().unwrap();
        // the server closes first: its side goes to TIME_WAIT
        drop(server);
        drop(listener);
        let mut buf = [0u8; 1];
        assert_eq!((&client).read(&mut buf).unwrap(), 0);
        drop(client);
        let again = open_listenfd(port).unwrap();
        assert_eq!(again.local_addr().unwrap().port(), port);
    }

    /// Sockets are close-on-exec.
    #[test]
    fn sockets_are_cloexec() {
        use rustix::io::{FdFlags, fcntl_getfd};
        use std::os::fd::AsFd;
        fn cloexec(fd: impl AsFd) -> bool {
            fcntl_getfd(fd).unwrap().contains(FdFlags::CLOEXEC)
        }
        let listener = open_listenfd(0).unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = open_clientfd("127.0.0.1", port).unwrap();
        assert!(cloexec(&listener));
        assert!(cloexec(&client));
    }
}
