//! How official grading keeps a submission apart from the machine, as one
//! value chosen once per job and handed down.
//!
//! Why one value: the decision "which uids, which network, which
//! environment" used to be remade at every level (the submission's
//! grading, the grader front end, the runner's slots, the supervisor),
//! each reading an environment variable and its own constants. A change to
//! one level could then quietly disagree with another. Here [`Isolation`]
//! is built in one place ([`Isolation::official`]), passed to
//! `submission::grade`, and crosses into the grader front end through one
//! variable ([`UID_ENV`]) that [`Isolation::from_env`] parses; the runner
//! takes its check uids from the [`Uids`] it gets, and every command that
//! starts on the way gets its environment from [`scrub_env`].
//!
//! A job's uids: `base .. base + UID_SLOTS` for the checks (one per check
//! running at once), `base + UID_SLOTS` for the build of the submission;
//! jobs that run at once are [`JOB_STRIDE`] apart, so no two share one.

use std::ops::Range;
use std::process::Command;

use crate::sys::is_root;
use crate::sys::netns::{self, Net};

/// How many uids the checks of one grader run may use, from the base on.
pub const UID_SLOTS: u32 = 64;

/// How far apart the uid bases of two jobs that grade at once are: room
/// for [`UID_SLOTS`] check uids and the build uid.
pub const JOB_STRIDE: u32 = 100;

/// The first uid of job 0 when official grading runs as root.
pub const DEFAULT_UID_BASE: u32 = 47_000;

/// Set by official grading in the grader front end's environment: the
/// first of the unprivileged uids its check processes run as. Needs root;
/// ignored, with a note, without.
pub const UID_ENV: &str = "GRADER_SANDBOX_UID";

/// Set by official grading to the absolute path of the one workspace that
/// uses the target directory `CARGO_TARGET_DIR` names (see the grader's
/// `bins.rs`).
pub const TARGET_DIR_OWNER_ENV: &str = "GRADER_TARGET_DIR_OWNER";

/// Set by official grading to a JSON file ([`crate::cargo::Built`]) that
/// says where the executables of the (unprivileged) build are: the front
/// end then builds nothing itself.
pub const PREBUILT_ENV: &str = "GRADER_PREBUILT";

/// What a build keeps of the caller's environment (the toolchain's
/// variables; official grading replaces the homes with its own).
pub const BUILD_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "LANG",
];

/// What a check process keeps of the grader's environment; all else
/// (tokens, secrets, the CI's settings) stays behind.
pub const CHECK_ENV: &[&str] = &["PATH", "LANG", "LC_ALL", "TMPDIR"];

/// Clears `cmd`'s environment and gives it back only the variables of
/// `keep` that this process has: the one scrub every contained command
/// goes through.
pub fn scrub_env(cmd: &mut Command, keep: &[&str]) {
    cmd.env_clear();
    for key in keep {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
}

/// The unprivileged uids of one job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uids {
    /// The first.
    pub base: u32,
}

impl Uids {
    /// The uids the checks run as, one per check running at once.
    pub fn checks(self) -> Range<u32> {
        self.base..self.base + UID_SLOTS
    }

    /// The uid the submission's build runs as: none of the checks'.
    pub fn build(self) -> u32 {
        self.base + UID_SLOTS
    }

    /// Every uid of the job.
    pub fn all(self) -> Range<u32> {
        self.base..self.build() + 1
    }
}

/// One job's isolation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Isolation {
    /// The unprivileged uids, when official grading runs as root; `None`
    /// runs everything as the current user.
    pub uids: Option<Uids>,
    /// The network the front end and its checks see.
    pub net: Net,
    /// Uids were asked for, but this process is not root: everything runs
    /// as the grading user, and the results say so.
    pub uids_refused: bool,
}

impl Isolation {
    /// Everything as the current user, on the host's network: a student's
    /// own run, and official grading without root.
    pub fn none() -> Isolation {
        Isolation {
            uids: None,
            net: Net::Host,
            uids_refused: false,
        }
    }

    /// Official grading's choice for the job whose uids start at
    /// `uid_base` (`None`: no uids asked for): the uids and a network
    /// namespace of its own where this process is root and the kernel
    /// allows one; else [`Isolation::none`].
    pub fn official(uid_base: Option<u32>) -> Isolation {
        if !is_root() {
            return Isolation {
                uids_refused: uid_base.is_some(),
                ..Isolation::none()
            };
        }
        Isolation {
            uids: uid_base.map(|base| Uids { base }),
            net: netns::probe(),
            uids_refused: false,
        }
    }

    /// Job `job`'s isolation in a run whose job 0 starts at `base`.
    pub fn official_job(base: u32, job: usize) -> Isolation {
        Isolation::official(Some(base + JOB_STRIDE * job as u32))
    }

    /// The variable that carries the check uids into the grader front end.
    pub fn front_end_env(&self) -> Option<(&'static str, String)> {
        self.uids.map(|u| (UID_ENV, u.base.to_string()))
    }

    /// In the grader front end: the check uids official grading asked for
    /// ([`UID_ENV`]), if any.
    pub fn from_env() -> Result<Option<Uids>, String> {
        let Ok(v) = std::env::var(UID_ENV) else {
            return Ok(None);
        };
        match v.parse::<u32>() {
            Ok(base) if base > 0 && base.checked_add(JOB_STRIDE).is_some() => {
                Ok(Some(Uids { base }))
            }
            _ => Err(format!(
                "{UID_ENV}={v:?}: want a uid from 1 up (one per check running at once, from it on)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_uid_is_no_checks_and_jobs_do_not_overlap() {
        let a = Uids { base: 47_000 };
        let b = Uids {
            base: 47_000 + JOB_STRIDE,
        };
        assert!(!a.checks().contains(&a.build()));
        assert!(a.all().end <= b.base);
        assert_eq!(a.all().len() as u32, UID_SLOTS + 1);
    }

    #[test]
    fn the_environment_is_scrubbed() {
        let mut cmd = Command::new("true");
        cmd.env("SECRET_OF_THE_CALLER", "x");
        scrub_env(&mut cmd, &["PATH"]);
        let names: Vec<_> = cmd.get_envs().filter(|(_, v)| v.is_some()).collect();
        assert!(names.iter().all(|(k, _)| *k == "PATH"), "{names:?}");
    }
}
