//! Lab 3, held back: the server echoes lines drawn from the check's seed.

use grader::bins::Binary;
use grader::check::{CheckResult, Ctx};
use grader::peers::{self, EchoServer, V4};
use grader::scripted::Rng;

/// Seeded lines of seeded lengths (one of them longer than 64 KiB), any
/// byte but `\n`, each sent whole and echoed before the next, on one
/// connection; then a second client is served too.
pub fn server_echoes_seeded_lines(ctx: &mut Ctx) -> CheckResult {
    let seed = ctx.seed();
    let mut rng = Rng::new(seed);
    let lines = rng.range(5, 12);
    let long = rng.range(0, lines - 1);
    ctx.step(format!(
        "seed {seed}: {lines} lines of random bytes; line {} is longer than 64 KiB",
        long + 1
    ));
    let mut server = EchoServer::start_bin(ctx, Binary::EchoServer)?;
    let mut conn = server.connect(ctx, V4)?;
    for i in 0..lines {
        let len = if i == long {
            rng.range(65_537, 100_000)
        } else {
            rng.range(1, 2000)
        };
        let mut line: Vec<u8> = rng
            .bytes(len)
            .into_iter()
            .map(|b| if b == b'\n' { b'.' } else { b })
            .collect();
        line.push(b'\n');
        ctx.step(format!("line {}: {} bytes", i + 1, line.len()));
        peers::send_quiet(&mut conn, &line)?;
        peers::expect_echo(ctx, &mut conn, &line, "its echo")?;
    }
    drop(conn);
    let mut again = server.connect(ctx, V4)?;
    peers::send(ctx, &mut again, b"and the next client\n")?;
    peers::expect_echo(ctx, &mut again, b"and the next client\n", "its echo")?;
    server.expect_alive(ctx)
}
