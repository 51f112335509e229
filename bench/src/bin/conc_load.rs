//! Benchmark 3: lab 5's concurrent servers under concurrent load, against
//! lab 3's iterative one, in the same run.
//!
//! Each round starts `echoserver` (iterative), `echoservert` (a thread per
//! client) and `echoservers` (one thread, `poll`) afresh, in an order that
//! rotates, and measures each with [`bench::conc`]:
//!
//! * **load**: 64 clients at once, each streaming 100-byte lines (2 MiB
//!   each by default), every echoed byte checked: aggregate MB/s;
//! * **probe**: meanwhile, one more client times round trips of a 32-byte
//!   line: its p99 is what an interactive client sees while the server is
//!   busy. The iterative server answers it only when the load is over;
//! * **idle memory** (`echoservert` and `echoservers` only), first, on the
//!   fresh server: the growth of its `VmRSS` with 1000 idle connections,
//!   per connection.
//!
//! Then it prints a row per server and, last, the ratios (medians of the
//! per-round ratios, as in `echo_load`): probe p99 of the iterative server
//! over each concurrent one, MB/s of each concurrent one over the
//! iterative, and idle memory of the threaded server over the event loop.
//!
//! Placement: not pinned by default, since concurrency on 2 cores is what
//! is measured; the scheduler shares the cores per thread, so the server
//! with 64 threads gets more of them than the one with 1, against 129
//! client threads. `--pin` puts each server on one CPU (the last) and the
//! clients on another (the first): then every server has a core of its
//! own, and the clients, all on the other, are what limits the figures
//! (`bench/README.md`). The context switches of the whole machine
//! (Linux) during each load are printed per MiB, since they are
//! what a thread per client costs.
//!
//! ```text
//! cargo build --release -p bench -p echoserver -p echoservert -p echoservers
//! cargo run --release -p bench --bin conc_load             # ~15 s
//! cargo run --release -p bench --bin conc_load -- --quick  # ~2 s
//! ```

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bench::args::Args;
use bench::conc::{self, LoadRun};
use bench::server::{Server, ServerCmd, sibling};
use bench::stats::{median, percentile, times, verdict};

const USAGE: &str = "\
usage: conc_load [--quick] [--rounds N] [--clients N] [--per-client-kib N] [--idle N] [--pin]
  --quick             a smoke run: 1 round, 16 clients of 256 KiB, 200 idle connections
  --rounds N          rounds, each measuring every server once (default 5)
  --clients N         load clients at once (default 64)
  --per-client-kib N  KiB of 100-byte lines each load client sends (default 2048)
  --idle N            idle connections for the memory figure (default 1000)
  --pin               each server on the last CPU, the clients on the first (default:
                      the scheduler places them)";

/// Line length of the load, `'\n'` included.
const LINE: usize = 100;
/// The probe's line.
const PROBE_LINE: &[u8] = b"probe: how long for an echo?...\n";
/// How long a server may take to start, and to accept the idle clients.
const DEADLINE: Duration = Duration::from_secs(10);

struct Config {
    /// (server CPU, client CPU), or `None` for no pinning.
    pin: Option<(usize, usize)>,
    rounds: usize,
    clients: usize,
    per_client: usize,
    idle: usize,
}

fn parse(mut args: Args) -> Result<Config> {
    let quick = args.flag("--quick");
    let pick = |q, d| if quick { q } else { d };
    let pin = match args.flag("--pin") {
        false => None,
        true => bench::pin::allowed_cpus()
            .ok()
            .filter(|cpus| cpus.len() >= 2)
            .and_then(|cpus| Some((*cpus.last()?, *cpus.first()?))),
    };
    let config = Config {
        pin,
        rounds: args.value("--rounds")?.unwrap_or(pick(1, 5)),
        clients: args.value("--clients")?.unwrap_or(pick(16, 64)),
        per_client: args
            .value::<usize>("--per-client-kib")?
            .unwrap_or(pick(256, 2048))
            << 10,
        idle: args.value("--idle")?.unwrap_or(pick(200, 1000)),
    };
    args.finish()?;
    if config.rounds == 0 || config.clients == 0 || config.per_client == 0 || config.idle == 0 {
        bail!("--rounds, --clients, --per-client-kib and --idle must be at least 1");
    }
    Ok(config)
}

/// One server's figures, one entry per round.
#[derive(Default)]
struct Results {
    mb_s: Vec<f64>,
    /// The probe's p99 of each round, in µs.
    p99: Vec<f64>,
    /// Every probe round trip, in µs.
    probes: Vec<f64>,
    /// Context switches (whole machine) per MiB echoed.
    switches: Vec<f64>,
    /// Bytes of VmRSS per idle connection.
    idle: Vec<f64>,
}

/// Lets this process and the servers it starts open enough descriptors.
fn raise_fd_limit(want: u64) {
    grader_sandbox::sys::raise_fd_limit(want)
}

fn record(r: &mut Results, run: &LoadRun) {
    r.mb_s.push(bench::stats::mb_per_s(run.bytes, run.elapsed));
    let mut us: Vec<f64> = run.probe.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    us.sort_by(f64::total_cmp);
    r.p99.push(percentile(&us, 99.0).unwrap_or(f64::NAN));
    r.probes.extend(us);
    if let Some(n) = run.context_switches {
        r.switches
            .push(n as f64 / (run.bytes as f64 / (1 << 20) as f64));
    }
}

/// The median over rounds of `a[i] / b[i]`.
fn ratio(a: &[f64], b: &[f64]) -> f64 {
    let per_round: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    median(&per_round)
}

fn run(config: Config) -> Result<()> {
    raise_fd_limit(4 * config.idle as u64 + 1024);
    let names = ["echoserver", "echoservert", "echoservers"];
    let cmds: Vec<ServerCmd> = names
        .iter()
        .map(|n| Ok(ServerCmd::new(sibling(n)?, &["0"])))
        .collect::<Result<_>>()?;
    let placement = match config.pin {
        Some((server, client)) => format!("servers on CPU {server}, clients on CPU {client}"),
        None => "not pinned".to_string(),
    };
    // the clients' threads inherit this thread's CPU
    if let Some((_, client)) = config.pin {
        bench::pin::pin_to(client).context("cannot pin the clients")?;
    }
    println!(
        "conc_load: 127.0.0.1, {placement}, {} rounds; per server and round: {} clients at once \
         streaming {} KiB each of {LINE}-byte lines, a probe timing round trips meanwhile, and \
         {} idle connections",
        config.rounds,
        config.clients,
        config.per_client >> 10,
        config.idle
    );
    let mut results: [Results; 3] = Default::default();
    for round in 0..config.rounds {
        for k in 0..names.len() {
            let i = (k + round) % names.len();
            // the server inherits the CPU of the thread that starts it
            if let Some((server, _)) = config.pin {
                bench::pin::pin_to(server).context("cannot pin the server")?;
            }
            let started = Server::start(&cmds[i], DEADLINE);
            if let Some((_, client)) = config.pin {
                bench::pin::pin_to(client).context("cannot pin the clients")?;
            }
            let mut server = started?;
            let at_rest = conc::fds_and_threads(server.pid())?;
            // idle connections first, on a fresh server: after the load, its
            // heap has room that the idle clients' few bytes would reuse
            if i > 0 {
                let per_conn =
                    conc::idle_memory(server.pid(), server.port(), config.idle, at_rest, DEADLINE)
                        .with_context(|| format!("{}: idle connections", names[i]))?;
                results[i].idle.push(per_conn);
            }
            conc::settle(server.pid(), at_rest, DEADLINE)
                .with_context(|| format!("{}: after the idle connections", names[i]))?;
            let run = conc::load_with_probe(
                server.port(),
                config.clients,
                config.per_client,
                LINE,
                PROBE_LINE,
            )
            .with_context(|| format!("{}: load", names[i]))?;
            record(&mut results[i], &run);
            server.check_alive()?;
        }
    }

    println!(
        "{:<12} {:>10} {:>14} {:>14} {:>16} {:>14}",
        "server", "load MB/s", "probe median", "probe p99", "ctx sw per MiB", "idle conn"
    );
    for (name, r) in names.iter().zip(&mut results) {
        r.probes.sort_by(f64::total_cmp);
        let idle = match median(&r.idle) {
            b if b.is_nan() => "-".to_string(),
            b if b < 1024.0 => format!("{b:.0} B"),
            b => format!("{:.1} KiB", b / 1024.0),
        };
        println!(
            "{:<12} {:>10.0} {:>11.0} µs {:>11.0} µs {:>16.0} {:>14}",
            name,
            median(&r.mb_s),
            median(&r.probes),
            median(&r.p99),
            median(&r.switches),
            idle
        );
    }
    let [i, t, s] = &results;
    let p99_t = ratio(&i.p99, &t.p99);
    let p99_s = ratio(&i.p99, &s.p99);
    let mb_t = ratio(&t.mb_s, &i.mb_s);
    let mb_s = ratio(&s.mb_s, &i.mb_s);
    // VmRSS counts 4 KiB pages: a growth of 0 means "less than a page in
    // all", so the event loop's figure is taken as at least that
    let page = 4096.0 / config.idle as f64;
    let s_idle: Vec<f64> = s.idle.iter().map(|&b| b.max(page)).collect();
    let mem = ratio(&t.idle, &s_idle);
    println!(
        "ratios (median of per-round ratios): probe p99 of echoserver over echoservert {} and \
         over echoservers {} (higher is better, target >= 100: {}); load MB/s vs echoserver: \
         echoservert {}, echoservers {} (higher is better, no target); idle memory per \
         connection of echoservert over echoservers {} (higher means echoservers is leaner, \
         target >= 2: {})",
        times(p99_t),
        times(p99_s),
        verdict(p99_t >= 100.0 && p99_s >= 100.0),
        times(mb_t),
        times(mb_s),
        times(mem),
        verdict(mem >= 2.0),
    );
    Ok(())
}

fn main() -> ExitCode {
    bench::args::main("conc_load", USAGE, |args| run(parse(args)?))
}
