//! Benchmark 2: a load tool for echo servers on loopback.
//!
//! `echo_load` starts three servers, each on a port of its choosing:
//!
//! * the subject: our release `echoserver`, or any command given with
//!   `--server-cmd` (a student's server, or another language's);
//! * `textbook_echo`, the baseline: the textbook's algorithm, a
//!   byte-at-a-time line read and one `write` per line;
//! * `chunk_echo`, the ceiling: 64 KiB raw chunks, no lines.
//!
//! Then, round after round, it measures each server with the three
//! measurements of [`bench::load`] (round-trip latency, bulk throughput,
//! sequential connections), rotating the order of the servers from round
//! to round, and prints one row per server and, last, the subject's ratios
//! against the two baselines: medians of the ratios inside each round, so
//! that the machine's drift cancels out (see the crate docs). Inside a
//! round, the short measurements (round trips, connections) are cut into
//! slices with the servers taking turns, so that even a burst of noise
//! shorter than a round is shared.
//!
//! Each round starts the servers afresh and kills them at its end, also
//! when it fails ([`Server`] is a guard). Everything is on `127.0.0.1`.
//!
//! The client is part of the picture: by default the client's threads and
//! the servers all run on one CPU ([`bench::pin`]), taking turns, so a
//! figure is what a request (or a megabyte) costs the client, the kernel
//! and the server together, not the server alone. That part is the same
//! for all three servers, which is why only the ratios have targets.
//!
//! ```text
//! cargo build --release -p echoserver -p bench
//! cargo run --release -p bench --bin echo_load                 # ~8 s
//! cargo run --release -p bench --bin echo_load -- --quick      # ~1 s
//! cargo run --release -p bench --bin echo_load -- --server-cmd "path/to/server {port}"
//! ```

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bench::args::Args;
use bench::load;
use bench::server::{Server, ServerCmd, sibling};
use bench::stats::{median, percentile, times, verdict};

const USAGE: &str = "\
usage: echo_load [--quick] [--rounds N] [--rtts N] [--rtt-line BYTES] [--bulk-mib N]
                 [--conns N] [--cpu N | --no-pin] [--server-cmd \"PROGRAM ARGS\"]
  --quick         a smoke run: 3 rounds, 300 round trips, 8 MiB, 200 connections
  --rounds N      rounds, each measuring every server once (default 11)
  --rtts N        timed round trips per server per round, in 10 slices (default 1000)
  --rtt-line B    length of the round-trip line, '\\n' included (default 32)
  --bulk-mib N    MiB of 100-byte lines per server per round (default 64)
  --conns N       connect/line/close per server per round, in 10 slices (default 500)
  --cpu N         run the client and the servers on CPU N (default: the last one)
  --no-pin        let the scheduler place them (noisier; see the docs of bench::pin)
  --server-cmd C  the server to measure instead of echoserver; it must print
                  `listening on port N` (give it port 0), or have {port} in C";

/// How long a server may take to start listening.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// Line length of the bulk measurement, `'\n'` included.
const BULK_LINE: usize = 100;

/// What was asked on the command line.
struct Config {
    rounds: usize,
    rtts: usize,
    rtt_line: usize,
    bulk_bytes: usize,
    conns: usize,
    /// The CPU to pin to, or `None` for no pinning.
    cpu: Option<usize>,
    /// Whether `cpu` was asked for (`--cpu`): then failing to pin is an
    /// error, not a note.
    cpu_asked: bool,
    server_cmd: Option<String>,
}

/// One server's results, one entry per round.
#[derive(Default)]
struct Results {
    /// Every round trip of every round, in nanoseconds.
    rtt_all: Vec<u64>,
    /// Median round trip of each round, in microseconds.
    rtt_median: Vec<f64>,
    /// Bulk throughput of each round, in MB/s.
    bulk: Vec<f64>,
    /// Connections per second of each round.
    conns: Vec<f64>,
}

fn parse(mut args: Args) -> Result<Config> {
    let quick = args.flag("--quick");
    let pick = |quick_value, default| if quick { quick_value } else { default };
    let mut config = Config {
        rounds: args.value("--rounds")?.unwrap_or(pick(3, 11)),
        rtts: args.value("--rtts")?.unwrap_or(pick(300, 1000)),
        rtt_line: args.value("--rtt-line")?.unwrap_or(32),
        bulk_bytes: args.value::<usize>("--bulk-mib")?.unwrap_or(pick(8, 64)) << 20,
        conns: args.value("--conns")?.unwrap_or(pick(200, 500)),
        cpu: None,
        cpu_asked: false,
        server_cmd: args.value("--server-cmd")?,
    };
    let asked: Option<usize> = args.value("--cpu")?;
    config.cpu_asked = asked.is_some();
    config.cpu = match (args.flag("--no-pin"), asked) {
        (true, Some(_)) => bail!("--cpu and --no-pin contradict each other"),
        (true, None) => None,
        (false, Some(cpu)) => Some(cpu),
        (false, None) => bench::pin::allowed_cpus()
            .ok()
            .and_then(|cpus| cpus.last().copied()),
    };
    args.finish()?;
    if config.rounds == 0 || config.bulk_bytes == 0 {
        bail!("--rounds and --bulk-mib must be at least 1");
    }
    if config.rtts < SLICES || config.conns < SLICES {
        bail!("--rtts and --conns must be at least {SLICES} (one per slice)");
    }
    // whole slices: what is measured is what the table says
    config.rtts -= config.rtts % SLICES;
    config.conns -= config.conns % SLICES;
    if config.rtt_line == 0 {
        bail!("--rtt-line must be at least 1 (the '\\n')");
    }
    Ok(config)
}

/// A line of `len` bytes ending in `'\n'`.
fn short_line(len: usize) -> Vec<u8> {
    let mut line: Vec<u8> = (0..len - 1).map(|i| b'a' + (i % 26) as u8).collect();
    line.push(b'\n');
    line
}

/// Slices per round of the round-trip and connection measurements.
const SLICES: usize = 10;

/// One round: the three servers started afresh (in `order`), measured
/// (in `order`), and killed.
///
/// Fresh processes each round, because a process carries luck that lasts:
/// unpinned (`--no-pin`), the core the scheduler put it on, which changes
/// its figures by 10% or more (see [`bench::pin`]); pinned or not, where
/// its memory landed. With the same processes all along, that luck would
/// last the whole run and pass for a difference between servers. Started
/// anew, each round draws again, and the median over rounds sees through
/// it.
///
/// Round trips and connections are short (tens of milliseconds), so they
/// come in [`SLICES`] slices with the servers taking turns: a burst of
/// noise from elsewhere on the machine then hits all three servers, not
/// one. A bulk run lasts long enough to be measured in one piece.
fn round(
    cmds: &[ServerCmd; 3],
    order: &[usize],
    config: &Config,
    results: &mut [Results; 3],
) -> Result<()> {
    let mut started = Vec::new();
    for &i in order {
        started.push((i, Server::start(&cmds[i], START_DEADLINE)?));
    }
    started.sort_by_key(|&(i, _)| i);
    let mut servers: Vec<Server> = started.into_iter().map(|(_, server)| server).collect();
    let line = short_line(config.rtt_line);
    let mut rtts: [Vec<u64>; 3] = Default::default();
    let mut conn_time = [Duration::ZERO; 3];
    for _ in 0..SLICES {
        for &i in order {
            let (name, port) = (servers[i].name(), servers[i].port());
            let times = load::round_trips(port, config.rtts / SLICES, &line)
                .with_context(|| format!("{name}: round trips"))?;
            rtts[i].extend(times.iter().map(|d| d.as_nanos() as u64));
            conn_time[i] += load::connections(port, config.conns / SLICES)
                .with_context(|| format!("{name}: connections"))?;
        }
    }
    for &i in order {
        let (name, port) = (servers[i].name(), servers[i].port());
        let elapsed = load::bulk(port, config.bulk_bytes, BULK_LINE)
            .with_context(|| format!("{name}: bulk"))?;
        let sent = config.bulk_bytes.div_ceil(BULK_LINE) * BULK_LINE;
        results[i].bulk.push(bench::stats::mb_per_s(sent, elapsed));
    }
    for (i, r) in results.iter_mut().enumerate() {
        let nanos: Vec<f64> = rtts[i].iter().map(|&n| n as f64).collect();
        r.rtt_median.push(median(&nanos) / 1e3);
        r.rtt_all.append(&mut rtts[i]);
        r.conns
            .push(config.conns as f64 / conn_time[i].as_secs_f64());
        servers[i].check_alive()?;
    }
    Ok(())
}

/// Sockets in TIME_WAIT on this machine (Linux; `None` elsewhere).
///
/// Every connection of the connections measurement leaves one behind for
/// 60 s. Tens of thousands of them (a previous run a moment ago) make
/// `connect` search longer for a free port, and conn/s drops for every
/// server, unevenly.
fn time_wait_sockets() -> Option<u64> {
    grader_sandbox::sys::time_wait_sockets()
}

/// The median over rounds of `f(subject round) / f(baseline round)`.
fn ratio(subject: &[f64], baseline: &[f64]) -> f64 {
    let per_round: Vec<f64> = subject.iter().zip(baseline).map(|(s, b)| s / b).collect();
    median(&per_round)
}

fn run(config: Config) -> Result<()> {
    let subject = match &config.server_cmd {
        Some(cmd) => ServerCmd::parse(cmd)?,
        None => ServerCmd::new(sibling("echoserver")?, &["0"]),
    };
    let textbook = ServerCmd::new(sibling("textbook_echo")?, &["0"]);
    let chunk = ServerCmd::new(sibling("chunk_echo")?, &["0"]);
    let cmds = [subject, textbook, chunk];
    let names = cmds.clone().map(|c| c.name());
    let mut results: [Results; 3] = Default::default();
    // before any thread or server starts: they all inherit the CPU
    let placement = match config.cpu.map(|cpu| (cpu, bench::pin::pin_to(cpu))) {
        Some((cpu, Ok(()))) => format!("client and servers on CPU {cpu}"),
        Some((cpu, Err(e))) if config.cpu_asked => bail!("cannot pin to CPU {cpu}: {e}"),
        // pinning is an improvement, not a requirement
        Some((cpu, Err(e))) => format!("not pinned (CPU {cpu}: {e})"),
        None => "not pinned".to_string(),
    };

    println!(
        "echo_load: 127.0.0.1, {placement}, {} rounds; per server and round: {} round trips \
         of a {}-byte line, {} MiB of {}-byte lines, {} connections",
        config.rounds,
        config.rtts,
        config.rtt_line,
        config.bulk_bytes >> 20,
        BULK_LINE,
        config.conns
    );
    if let Some(tw) = time_wait_sockets().filter(|&tw| tw > 10_000) {
        println!(
            "note: {tw} sockets in TIME_WAIT from earlier runs; conn/s will be low and noisy \
             (they expire after 60 s)"
        );
    }
    for r in 0..config.rounds {
        // a different server first in each round
        let order: Vec<usize> = (0..cmds.len()).map(|k| (k + r) % cmds.len()).collect();
        round(&cmds, &order, &config, &mut results)?;
    }

    let width = names.iter().map(String::len).max().unwrap_or(0);
    println!(
        "{:<width$} {:>12} {:>12} {:>11} {:>9}",
        "server", "rtt median", "rtt p99", "bulk MB/s", "conn/s"
    );
    for (name, r) in names.iter().zip(results.iter_mut()) {
        r.rtt_all.sort_unstable();
        let us = |p| percentile(&r.rtt_all, p).map_or(f64::NAN, |n| n as f64 / 1e3);
        println!(
            "{:<width$} {:>9.1} µs {:>9.1} µs {:>11.0} {:>9.0}",
            name,
            us(50.0),
            us(99.0),
            median(&r.bulk),
            median(&r.conns)
        );
    }

    let [s, t, c] = &results;
    let latency = ratio(&s.rtt_median, &t.rtt_median);
    let conns = ratio(&s.conns, &t.conns);
    let bulk = ratio(&s.bulk, &t.bulk);
    let ceiling = ratio(&s.bulk, &c.bulk);
    println!(
        "ratios of {} (median of per-round ratios): vs {}: latency {} (lower is better, \
         target <= 1.05: {}), conn/s {} (higher is better, target >= 1.0: {}), bulk {} \
         (higher is better, target >= 3: {}); vs {}: bulk {} (higher is better, target >= 0.5: {})",
        names[0],
        names[1],
        times(latency),
        verdict(latency <= 1.05),
        times(conns),
        verdict(conns >= 1.0),
        times(bulk),
        verdict(bulk >= 3.0),
        names[2],
        times(ceiling),
        verdict(ceiling >= 0.5),
    );
    Ok(())
}

fn main() -> ExitCode {
    bench::args::main("echo_load", USAGE, |args| run(parse(args)?))
}
