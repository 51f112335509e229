//! What this run can grade: the one place that decides whether a check runs
//! or is skipped, and why. `cargo test -p grader` (the harness), `cargo run
//! -p grader` and `--list-json` all ask [`Host::why_not`], so the three can
//! never disagree about which checks count.
//!
//! Two things skip a check, and neither is the student's doing: a host
//! without IPv6 loopback (Docker's default) cannot run a check that needs
//! `::1`; and when a foreign binary is graded (`GRADER_ECHOSERVER=/path`,
//! a server written in C, say), the in-process library checks, which test
//! this workspace's Rust crates and not that binary, do not apply. A skipped
//! check counts in neither the score nor the maximum.

use std::net::{Ipv6Addr, TcpListener};

use crate::bins;
use crate::check::{Check, Kind};

/// Why a check that needs `::1` is skipped.
pub const NO_IPV6: &str =
    "this host has no IPv6 loopback (::1 cannot be bound): the check cannot run here";

/// What this host and this run's settings allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// Why library checks are skipped: a foreign binary is graded.
    pub foreign: Option<String>,
    /// Can `::1` be bound here?
    pub ipv6: bool,
}

impl Host {
    /// Looks at the host (binds `::1:0` once) and at the environment
    /// (`GRADER_ECHOSERVER` and the other overrides).
    pub fn detect() -> Host {
        let foreign = bins::foreign_binaries();
        let foreign = (!foreign.is_empty()).then(|| {
            let named: Vec<String> = foreign
                .iter()
                .map(|(b, p)| format!("{}={p}", b.override_var()))
                .collect();
            format!(
                "{} is set: grading that binary, so the in-process library checks (which test \
                 this workspace's Rust crates) are skipped",
                named.join(" and ")
            )
        });
        Host {
            foreign,
            ipv6: has_ipv6_loopback(),
        }
    }

    /// Why `check` is not run here, if it is not.
    pub fn why_not(&self, check: &Check) -> Option<String> {
        if check.kind == Kind::Library {
            if let Some(why) = &self.foreign {
                return Some(why.clone());
            }
        }
        (check.needs_ipv6 && !self.ipv6).then(|| NO_IPV6.to_string())
    }
}

/// Is `::1` there to bind?
pub fn has_ipv6_loopback() -> bool {
    TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::LAB1_READN;

    fn check(kind: Kind, ipv6: bool) -> Check {
        let c = match kind {
            Kind::Library => Check::library("x", LAB1_READN, 1, "about", |_| Ok(())),
            Kind::Process => Check::process("x", LAB1_READN, 1, "about", |_| Ok(())),
        };
        if ipv6 { c.needs_ipv6() } else { c }
    }

    #[test]
    fn skips_for_ipv6_and_for_a_foreign_binary() {
        let plain = Host {
            foreign: None,
            ipv6: true,
        };
        assert_eq!(plain.why_not(&check(Kind::Library, true)), None);
        let no_v6 = Host {
            foreign: None,
            ipv6: false,
        };
        assert_eq!(
            no_v6.why_not(&check(Kind::Process, true)).as_deref(),
            Some(NO_IPV6)
        );
        assert_eq!(no_v6.why_not(&check(Kind::Process, false)), None);
        let foreign = Host {
            foreign: Some("GRADER_ECHOSERVER=/x is set".into()),
            ipv6: true,
        };
        assert!(foreign.why_not(&check(Kind::Library, false)).is_some());
        assert_eq!(foreign.why_not(&check(Kind::Process, false)), None);
    }
}
