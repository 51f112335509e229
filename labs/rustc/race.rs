// The textbook's shared counter, translated the obvious way: it does not
// compile. labs/tools/rustc_messages.py compiles this file as a crate's
// src/main.rs and keeps the messages quoted in labs/src/lab5/threads.md
// identical to what rustc says.
use std::net::TcpListener;
use std::thread;

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    // ANCHOR: race
    let mut total = 0u64;
    loop {
        let (conn, _peer) = listener.accept()?;
        thread::spawn(|| total += 1); // one more client served
        std::mem::drop(conn); // (the echo would go here)
    }
    // ANCHOR_END: race
}
