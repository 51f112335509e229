//! Lab 4 checks: the `echoclient` binary against servers run by the check.

use std::time::Duration;

use crate::bins::Binary;
use crate::check::{Check, CheckResult, Ctx, Failure, Kind};
use crate::steps;

/// The checks of lab 4, in handout order.
pub fn checks() -> Vec<Check> {
    vec![Check {
        name: "usage_wrong_arg_count",
        step: steps::LAB4_CONNECT,
        points: 1,
        deadline: Duration::from_secs(10),
        kind: Kind::Process,
        about: "echoclient with no arguments prints one usage line and exits 2",
        run: usage_wrong_arg_count,
    }]
}

fn usage_wrong_arg_count(ctx: &mut Ctx) -> CheckResult {
    let path = Binary::EchoClient.path()?;
    ctx.step("run `echoclient` with no arguments");
    let mut p = crate::process::Proc::spawn("echoclient", std::process::Command::new(path))
        .map_err(|e| Failure::new("echoclient to start", e))?;
    p.close_stdin();
    let status = p.expect_exit(ctx.budget(Duration::from_secs(5)))?;
    ctx.expect_eq("exit status", Some(2), status.code())
}
