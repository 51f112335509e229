//! The client side of `conc_load`: concurrent load, a probe's round trips
//! while it runs, and the memory an idle connection costs a server.
//!
//! * [`load_with_probe`]: `clients` connections stream lines at once (each
//!   through [`crate::load::bulk`], which checks every echoed byte), while
//!   one more client times round trips of a short line until the load is
//!   done. An iterative server serves the load one client after the other,
//!   and the probe waits for all of them; a concurrent one serves the probe
//!   between the load's lines.
//! * [`idle_memory`]: `count` connections that send nothing, and how much
//!   the server's resident memory (`VmRSS`) grows once it has accepted them
//!   all.
//!
//! Every wait is bounded: sockets have timeouts, and waiting for the server
//! to accept has a deadline.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long one probe round trip may take: an iterative server answers
/// only after the whole load.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// What one run of the load measured.
#[derive(Debug, Clone)]
pub struct LoadRun {
    /// Bytes echoed to the load clients, in all.
    pub bytes: usize,
    /// From the first byte sent to the last byte echoed, over all clients.
    pub elapsed: Duration,
    /// The probe's round trips that began before the load's last echo, in
    /// the order made (at least one: the probe waits for its first echo
    /// even if the load is over by then).
    pub probe: Vec<Duration>,
    /// Context switches of the whole machine during the run, when known
    /// (Linux).
    pub context_switches: Option<u64>,
}

/// Context switches since boot, all CPUs.
fn context_switches() -> Option<u64> {
    grader_sandbox::sys::context_switches()
}

/// `clients` connections each stream `per_client` bytes of `line_len`-byte
/// lines to the server on `127.0.0.1:port` at once, while a probe makes
/// round trips of `probe_line`; returns what was measured.
///
/// # Errors
///
/// A load client's or the probe's socket error, timeout or wrong echo.
pub fn load_with_probe(
    port: u16,
    clients: usize,
    per_client: usize,
    line_len: usize,
    probe_line: &[u8],
) -> io::Result<LoadRun> {
    let done = AtomicBool::new(false);
    // every load client connected before the probe: an iterative server
    // then takes them first, as it would clients that came first
    let conns: Vec<TcpStream> = (0..clients)
        .map(|_| connect(port, PROBE_TIMEOUT))
        .collect::<io::Result<_>>()?;
    let switches_before = context_switches();
    let started = Instant::now();
    let (load, probe) = thread::scope(|s| {
        let load: Vec<_> = conns
            .into_iter()
            .map(|c| {
                s.spawn(move || {
                    // bulk_on's time runs to the last byte echoed, before
                    // the EOF that follows it
                    let began = Instant::now();
                    let r = crate::load::bulk_on(c, per_client, line_len);
                    let last_echo = r.as_ref().map_or(began, |took| began + *took);
                    (r.map(|_| ()), last_echo)
                })
            })
            .collect();
        let probe = s.spawn(|| probe_until(port, probe_line, &done));
        let mut result = Ok(());
        // when the last load client had its last echo
        let mut ended = started;
        for client in load {
            let (r, finished) = client
                .join()
                .unwrap_or_else(|_| (Err(io::Error::other("a load client panicked")), started));
            ended = ended.max(finished);
            if let Err(e) = r {
                result = Err(e);
            }
        }
        let elapsed = ended - started;
        done.store(true, Ordering::Relaxed);
        let probe = probe
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the probe panicked")))
            .map(|times| {
                // only what the load could delay: round trips begun before
                // its last echo (an iterative server's probe gets its one
                // echo after that, and its next round trips do not count)
                let during: Vec<Duration> = times
                    .iter()
                    .filter(|(began, _)| *began < ended)
                    .map(|&(_, took)| took)
                    .collect();
                match during.is_empty() {
                    true => times.iter().take(1).map(|&(_, took)| took).collect(),
                    false => during,
                }
            });
        (result.map(|()| elapsed), probe)
    });
    let elapsed = load?;
    let switches = context_switches()
        .zip(switches_before)
        .map(|(after, before)| after.saturating_sub(before));
    Ok(LoadRun {
        bytes: clients * per_client.div_ceil(line_len) * line_len,
        elapsed,
        probe: probe?,
        context_switches: switches,
    })
}

/// The most round trips the probe makes, whatever the load does.
const PROBE_MAX: usize = 1_000_000;

/// Round trips of `line` on one connection until `done` (and at least
/// one): when each began, and how long it took.
fn probe_until(port: u16, line: &[u8], done: &AtomicBool) -> io::Result<Vec<(Instant, Duration)>> {
    let mut stream = connect(port, PROBE_TIMEOUT)?;
    stream.set_nodelay(true)?;
    let mut echo = vec![0; line.len()];
    let mut times = Vec::new();
    while times.is_empty() || (!done.load(Ordering::Relaxed) && times.len() < PROBE_MAX) {
        let start = Instant::now();
        stream.write_all(line)?;
        stream.read_exact(&mut echo)?;
        times.push((start, start.elapsed()));
        if echo != line {
            return Err(io::Error::new(ErrorKind::InvalidData, "wrong probe echo"));
        }
    }
    Ok(times)
}

fn connect(port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(stream)
}

/// A process's resident memory in KiB.
///
/// # Errors
///
/// No such process.
pub fn rss_kib(pid: u32) -> io::Result<u64> {
    Ok(grader_sandbox::sys::resident_bytes(pid as i32)? / 1024)
}

/// Descriptors and threads of process `pid`.
///
/// # Errors
///
/// No such process.
pub fn fds_and_threads(pid: u32) -> io::Result<(usize, usize)> {
    let pid = pid as i32;
    Ok((
        grader_sandbox::sys::open_fd_count(pid)?,
        grader_sandbox::sys::thread_count(pid)?,
    ))
}

/// Waits until process `pid` is back to `at_rest` descriptors and threads
/// (those of the clients that left are closed), for at most `deadline`.
///
/// # Errors
///
/// The process cannot be read, or the deadline passed.
pub fn settle(pid: u32, at_rest: (usize, usize), deadline: Duration) -> io::Result<()> {
    let until = Instant::now() + deadline;
    while fds_and_threads(pid)? > at_rest {
        if Instant::now() > until {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                "the server still holds the load's connections",
            ));
        }
        // pacing a poll of /proc: nothing tells us when a socket is closed
        thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// Connects `n` idle clients to the server (process `pid`, on `port`),
/// waits until it holds a descriptor for each, and returns its resident
/// memory growth per connection, in bytes. For a server with a thread per
/// client, it also waits until those threads exist. `at_rest` is what
/// [`fds_and_threads`] said with no client connected: first the server
/// must be back to it.
///
/// # Errors
///
/// A connection fails, or the server has not accepted them all within
/// `deadline`.
pub fn idle_memory(
    pid: u32,
    port: u16,
    n: usize,
    at_rest: (usize, usize),
    deadline: Duration,
) -> io::Result<f64> {
    settle(pid, at_rest, deadline)?;
    let before = rss_kib(pid)?;
    let (fds, threads) = at_rest;
    let clients: Vec<TcpStream> = (0..n)
        .map(|_| connect(port, deadline))
        .collect::<io::Result<_>>()?;
    let until = Instant::now() + deadline;
    loop {
        let accepted = grader_sandbox::sys::open_fd_count(pid as i32)? >= fds + n;
        // one thread per client, or one thread for all: either way settled
        let settled = matches!(grader_sandbox::sys::thread_count(pid as i32)?, t if t == threads || t >= threads + n);
        if accepted && settled {
            break;
        }
        if Instant::now() > until {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                format!("the server did not accept {n} connections in time"),
            ));
        }
        // pacing a poll of /proc: nothing tells us when the server accepts
        thread::sleep(Duration::from_millis(5));
    }
    let after = rss_kib(pid)?;
    drop(clients);
    Ok(after.saturating_sub(before) as f64 * 1024.0 / n as f64)
}
