//! Lab 2 checks: `netutil` over real loopback sockets.

use std::time::Duration;

use crate::check::{Check, CheckResult, Ctx, Failure, Kind};
use crate::steps;

/// The checks of lab 2, in handout order.
pub fn checks() -> Vec<Check> {
    vec![Check {
        name: "listenfd_accepts_v4",
        step: steps::LAB2_LISTENFD,
        points: 2,
        deadline: Duration::from_secs(10),
        kind: Kind::Library,
        about: "open_listenfd(0) accepts a client on 127.0.0.1",
        run: listenfd_accepts_v4,
    }]
}

fn listenfd_accepts_v4(ctx: &mut Ctx) -> CheckResult {
    ctx.step("open_listenfd(0)");
    let l = netutil::open_listenfd(0).map_err(|e| Failure::new("a listener", format!("Err({e})")))?;
    let port = l.local_addr().map_err(|e| Failure::new("a local address", e))?.port();
    ctx.step(format!("connect to 127.0.0.1:{port}"));
    std::net::TcpStream::connect(("127.0.0.1", port))
        .map_err(|e| Failure::new("the connect to succeed", e))?;
    Ok(())
}
