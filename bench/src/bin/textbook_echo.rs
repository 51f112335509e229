//! Baseline server for `echo_load`: the textbook's echo, line by line.
//!
//! `textbook_echo <port>` reads each line with the textbook's
//! byte-at-a-time [`TextbookRio::readlineb`] and writes it back with one
//! `write` per line, as the lecture's `echo` does. That is two system calls
//! and one TCP segment (or a Nagle-merged piece of one) per line: fine
//! for a person typing, the bottleneck for a client that sends lines in
//! bulk. The accept loop is [`bench::baseline::serve`], the same as
//! `echoserver`'s, so only the echo loop differs.

use std::io;
use std::net::TcpStream;
use std::process::ExitCode;

use bench::textbook::{TEXTBOOK_BUFSIZE, TextbookRio};

/// Echoes lines until EOF, one `write` per line; returns the bytes echoed.
fn echo(conn: TcpStream) -> io::Result<u64> {
    let mut rio = TextbookRio::new(conn);
    let mut line = [0u8; TEXTBOOK_BUFSIZE]; // MAXLINE
    let mut total = 0;
    loop {
        let n = rio.readlineb(&mut line)?;
        // 0: the client closed
        if n == 0 {
            return Ok(total);
        }
        rio::writen(rio.get_mut(), &line[..n])?;
        total += n as u64;
    }
}

fn main() -> ExitCode {
    bench::baseline::serve(echo)
}
