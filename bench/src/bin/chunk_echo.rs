//! Ceiling server for `echo_load`: echo raw chunks, ignoring lines.
//!
//! `chunk_echo <port>` reads whatever has arrived, up to 64 KiB, and writes
//! it all back: two system calls per 64 KiB, and no look at the bytes. An
//! iterative server that reads, then writes, cannot do much better on one
//! connection, so this is the yardstick for the bulk figure: `echoserver`
//! still has to find lines, and its `Rio` reads at most 8 KiB at a time.
//! The accept loop is [`bench::baseline::serve`], the same as
//! `echoserver`'s.

use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::process::ExitCode;

/// Bytes asked for per `read`.
const CHUNK: usize = 64 * 1024;

/// Echoes everything until EOF, a chunk at a time; returns the bytes
/// echoed.
fn echo(mut conn: TcpStream) -> io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        let n = match conn.read(&mut buf) {
            // 0: the client closed
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        rio::writen(&mut conn, &buf[..n])?;
        total += n as u64;
    }
}

fn main() -> ExitCode {
    bench::baseline::serve(echo)
}
