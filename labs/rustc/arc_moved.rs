// Lab 5 step 1 without `let total = Arc::clone(&total);`: the first thread
// takes the loop's only `total` (labs/src/lab5-concurrency.md, step 1).
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::thread;

fn serve_client(_conn: TcpStream, _total: &AtomicU64) {}

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let total = Arc::new(AtomicU64::new(0));
    loop {
        let (conn, _peer) = listener.accept()?;
        let _ = thread::Builder::new().spawn(move || serve_client(conn, &total));
    }
}
