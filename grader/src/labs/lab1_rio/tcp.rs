//! A real socket whose peer dribbles: the one place lab 1 leaves the
//! scripted readers, so that `readn` and `readlineb` also meet a kernel's
//! short counts.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use crate::check::{Ctx, Failure};
use crate::scripted::Rng;

/// A loopback connection whose far end writes `text` 1 to 3 bytes at a time
/// (random sizes from `seed`), then closes. Returns the near end, with a
/// read timeout so that a read that waits for bytes never sent fails
/// cleanly before the check's deadline.
pub(super) fn dribbling_peer(ctx: &mut Ctx, text: &[u8], seed: u64) -> Result<TcpStream, Failure> {
    let setup =
        |what: &str, e: io::Error| Failure::new(format!("{what} to work"), format!("{what}: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| setup("bind 127.0.0.1:0", e))?;
    let addr = listener.local_addr().map_err(|e| setup("local_addr", e))?;
    let wait = ctx
        .budget(Duration::from_secs(5))
        .max(Duration::from_millis(100));
    let near = TcpStream::connect_timeout(&addr, wait).map_err(|e| setup("connect", e))?;
    // connect has completed, so the connection is queued: accept returns at once.
    let (far, _) = listener.accept().map_err(|e| setup("accept", e))?;
    near.set_read_timeout(Some(wait))
        .map_err(|e| setup("set_read_timeout", e))?;
    far.set_nodelay(true).map_err(|e| setup("set_nodelay", e))?;
    ctx.step(format!(
        "a peer on {addr} writes {} bytes, 1 to 3 bytes at a time about 0.2 ms apart (seed {seed}), then closes; \
         reads time out after {} s",
        text.len(),
        wait.as_secs()
    ));
    let text = text.to_vec();
    thread::spawn(move || dribble(far, &text, seed));
    Ok(near)
}

fn dribble(mut far: TcpStream, text: &[u8], seed: u64) {
    let mut rng = Rng::new(seed);
    let mut rest = text;
    while !rest.is_empty() {
        let n = rng.range(1, 3).min(rest.len());
        if far.write_all(&rest[..n]).is_err() {
            return; // the check stopped reading: it has failed already
        }
        rest = &rest[n..];
        // Pacing, not synchronisation: spreads the bytes over many segments
        // so that the reader sees short counts. No result depends on timing.
        thread::sleep(Duration::from_micros(200));
    }
}
