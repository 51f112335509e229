//! Lab 3 checks: `echo()` in-process, then the `echoserver` binary.

use std::time::Duration;

use crate::check::{Check, CheckResult, Ctx, Kind};
use crate::peers::{self, EchoServer, V4};
use crate::steps;

/// The checks of lab 3, in handout order.
pub fn checks() -> Vec<Check> {
    vec![Check {
        name: "server_echoes_v4",
        step: steps::LAB3_ACCEPT,
        points: 2,
        deadline: Duration::from_secs(20),
        kind: Kind::Process,
        about: "echoserver echoes a line to a client on 127.0.0.1",
        run: server_echoes_v4,
    }]
}

fn server_echoes_v4(ctx: &mut Ctx) -> CheckResult {
    let mut server = EchoServer::start(ctx)?;
    let mut c = server.connect(ctx, V4)?;
    peers::send(ctx, &mut c, b"hello\n")?;
    peers::expect_echo(ctx, &mut c, b"hello\n", "read the echo")
}
