//! The typed contract between the grader and every tool that reads what it
//! found: `cargo xtask variants` and `cheats`, official grading, CI's
//! scripts and the book's checks.
//!
//! Why here: the words a student sees (`✓ readn_eof  2/2  step 1: readn`)
//! are free to change for the better; a tool that scraped them would break
//! silently when they do. So the grader also writes its results as JSON
//! (`cargo run -p grader -- --json FILE`) and lists its checks as JSON
//! (`--list-json`), in the types below, and tools read those. They live in
//! `grader-sandbox` because that crate links no student code and every
//! tool already depends on it.
//!
//! The same goes for what travels inside the grader: the frames a check
//! process sends its runner on fd 3 ([`Frame`], [`Failure`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The version of [`Results`]; raised when a field changes meaning.
pub const RESULTS_VERSION: u32 = 1;

/// How one check ended, in one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The behaviour was seen.
    Passed,
    /// The check saw something else (expected vs observed).
    Failed,
    /// The check, or the code it called, panicked (a starter's `todo!()`).
    Panicked,
    /// The check process ended before the check finished (`exit`, `abort`,
    /// a signal, a killed supervisor).
    EndedEarly,
    /// Killed at its deadline.
    TimedOut,
    /// Not run on this host, and counted in neither score nor maximum.
    Skipped,
}

/// Who may see a check's details, in Gradescope's words. Every public
/// check is [`Visibility::Visible`]; a check the instructor holds back
/// (`grader/src/bin/held-back/`, never in the starter) carries the
/// visibility its table gives it, and official grading's feedback leaves
/// its details out until then.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Shown at once: every check of the starter.
    #[default]
    Visible,
    /// Shown after the assignment's due date.
    AfterDueDate,
    /// Shown once the instructor publishes the grades.
    AfterPublished,
    /// Never shown to the student (its points still count).
    Hidden,
}

impl Visibility {
    /// `visible`, `after_due_date`, `after_published`, `hidden`: the
    /// words of Gradescope's `visibility` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Visible => "visible",
            Visibility::AfterDueDate => "after_due_date",
            Visibility::AfterPublished => "after_published",
            Visibility::Hidden => "hidden",
        }
    }

    /// Is this a check the instructor holds back?
    pub fn is_held_back(self) -> bool {
        self != Visibility::Visible
    }
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// `lab1_rio::readn_eof`.
    pub id: String,
    /// The lab, 1 to 5.
    pub lab: u8,
    /// The handout step that explains it: its number in the lab …
    pub step: u8,
    /// … its title (`readn`) …
    pub step_title: String,
    /// … and its link (`labs/src/lab1-rio.md#step-1-readn`).
    pub handout: String,
    /// Points earned.
    pub score: u32,
    /// Points possible.
    pub max_score: u32,
    /// How it ended.
    pub verdict: Verdict,
    /// Why it was skipped, when it was.
    pub skip_reason: Option<String>,
    /// The explanation a student reads (steps, expected vs observed, the
    /// handout step), when it did not pass. For people, not for parsing.
    pub explanation: Option<String>,
    /// Who may see it: held-back checks are not [`Visibility::Visible`].
    #[serde(default)]
    pub visibility: Visibility,
}

/// What one run of the grader found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Results {
    /// [`RESULTS_VERSION`].
    pub version: u32,
    /// Points earned.
    pub score: u32,
    /// Points possible on this host (skipped checks count in neither).
    pub max_score: u32,
    /// Every check that was selected, in registry order.
    pub checks: Vec<CheckResult>,
    /// The run's seed, from which held-back checks draw their inputs
    /// (`--seed`; official grading derives it from the submission, so a
    /// regrade draws the same).
    #[serde(default)]
    pub seed: u64,
}

impl Results {
    /// Reads a file written by `cargo run -p grader -- --json FILE`.
    pub fn read(path: &Path) -> Result<Results, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the grader's results {}: {e}", path.display()))?;
        let results: Results = serde_json::from_str(&text)
            .map_err(|e| format!("the grader's results {} are not valid: {e}", path.display()))?;
        if results.version != RESULTS_VERSION {
            return Err(format!(
                "the grader's results {} are version {}, this tool reads {RESULTS_VERSION}",
                path.display(),
                results.version
            ));
        }
        Ok(results)
    }

    /// The result of check `id`, if it was run.
    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// One check as `--list-json` lists it, without running it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// `lab1_rio::readn_eof`.
    pub id: String,
    /// The lab, 1 to 5.
    pub lab: u8,
    /// The handout step that explains it: its number in the lab …
    pub step: u8,
    /// … its title …
    pub step_title: String,
    /// … and its link.
    pub handout: String,
    /// Points possible.
    pub points: u32,
    /// What it checks, in one line.
    pub about: String,
    /// Its deadline, in milliseconds.
    pub deadline_ms: u64,
    /// Does it need `::1`?
    pub needs_ipv6: bool,
    /// `library` (calls the lab crates in-process) or `process` (runs a
    /// built binary).
    pub kind: String,
    /// Why this host (or a foreign binary) will not run it, if it will not.
    pub skipped: Option<String>,
    /// Who may see it: held-back checks are not [`Visibility::Visible`].
    #[serde(default)]
    pub visibility: Visibility,
}

/// Why a check failed: expected vs observed, plus notes (offsets, seeds).
/// Sent by the check process on its channel, inside a [`Frame::Fail`].
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Failure {
    /// What a correct implementation does.
    pub expected: String,
    /// What this one did.
    pub observed: String,
    /// Further lines: the first differing offset, the seed, a hint.
    pub notes: Vec<String>,
}

impl Failure {
    /// A failure with expected and observed behaviour.
    pub fn new(expected: impl std::fmt::Display, observed: impl std::fmt::Display) -> Failure {
        Failure {
            expected: expected.to_string(),
            observed: observed.to_string(),
            notes: Vec::new(),
        }
    }

    /// Adds a line of explanation.
    pub fn note(mut self, note: impl std::fmt::Display) -> Failure {
        self.notes.push(note.to_string());
        self
    }
}

/// Set in a check process's environment: its channel is fd 3
/// ([`crate::supervise::CHECK_FD`]).
pub const CHANNEL_ENV: &str = "GRADER_CHECK_CHANNEL";

/// What a check process says on its channel (fd 3), one JSON object per
/// line. The first line on that channel goes the other way: `PROOF ID
/// SEED\n`, the secret a verdict must carry, the check to run, and the
/// seed its inputs are drawn from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Frame {
    /// A step, as it happens.
    Step {
        /// The step's text.
        text: String,
    },
    /// A panic, with its place.
    Panic {
        /// `message (at file:line:col)`.
        text: String,
    },
    /// The check saw the behaviour.
    Pass {
        /// The proof the runner handed over.
        proof: String,
    },
    /// The check failed, and why.
    Fail {
        /// The proof the runner handed over.
        proof: String,
        /// What was expected and observed.
        failure: Failure,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_round_trip_with_snake_case_verdicts() {
        let r = Results {
            version: RESULTS_VERSION,
            score: 2,
            max_score: 3,
            checks: vec![CheckResult {
                id: "lab1_rio::readn_eof".into(),
                lab: 1,
                step: 1,
                step_title: "readn".into(),
                handout: "labs/src/lab1-rio.md#step-1-readn".into(),
                score: 0,
                max_score: 1,
                verdict: Verdict::TimedOut,
                skip_reason: None,
                explanation: Some("…".into()),
                visibility: Visibility::AfterDueDate,
            }],
            seed: 7,
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains(r#""verdict":"timed_out""#), "{text}");
        assert!(text.contains(r#""visibility":"after_due_date""#), "{text}");
        assert_eq!(serde_json::from_str::<Results>(&text).unwrap(), r);
    }
}
