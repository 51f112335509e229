// What rustc's help for E0373 suggests, `move`, compiles: and each thread
// then counts into its own copy of the number (labs/src/lab5/threads.md).
use std::net::TcpListener;
use std::thread;

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    // ANCHOR: move_copy
    let mut total = 0u64;
    loop {
        let (conn, _peer) = listener.accept()?;
        thread::spawn(move || total += 1); // compiles: a copy per thread
        std::mem::drop(conn); // (the echo would go here)
    }
    // ANCHOR_END: move_copy
}
