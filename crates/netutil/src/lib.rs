//! Sockets (stub; the reference is being written).
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};

/// Backlog.
pub const LISTENQ: i32 = 1024;

/// getaddrinfo.
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let _ = (host, port);
    todo!()
}
/// socket + connect for each address.
pub fn connect_any(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let _ = addrs;
    todo!()
}
/// resolve + connect_any.
pub fn open_clientfd(host: &str, port: u16) -> io::Result<TcpStream> {
    connect_any(&resolve(host, port)?)
}
/// socket, SO_REUSEADDR, bind, listen.
pub fn open_listenfd(port: u16) -> io::Result<TcpListener> {
    let _ = port;
    todo!()
}
