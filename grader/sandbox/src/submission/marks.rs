//! What grading one submission gives: the marks as the gradebook stores
//! them ([`Graded`], [`LabMark`], [`CheckMark`]), what was graded
//! ([`Provenance`]), and how they are read from the grader's
//! `results.json`. Written once here, so `run_autograder` and `cargo xtask
//! grade` cannot disagree on a mark.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cargo;

/// What was graded, for the first lines of every official feedback: which
/// commit, why that one, and by which grader. A regrade request is settled
/// from these, so they are typed (`results.json`'s `extra_data.graded`) as
/// well as written out for the student.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The commit graded, its full hash; `None` when none is known (a
    /// Gradescope upload has no `.git`).
    pub commit: Option<String>,
    /// Its committer time, RFC 3339 in UTC.
    pub committed_at: Option<String>,
    /// When it was submitted, where the platform says so (Gradescope's
    /// `submission_metadata.json`: `created_at`, as it writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// Why this commit: `"the last commit at or before the deadline, …"`,
    /// `"as submitted"`, `"as uploaded"`.
    pub picked_by: String,
    /// The fingerprint of the grader (the base workspace it was built from).
    pub grader: String,
}

impl Provenance {
    /// One Markdown line (plain enough for Gradescope's renderer):
    /// ``Graded: commit `c8877f1a362d` (2026-11-25T12:00:00Z), the head of
    /// the default branch. Grader `00ff…`.``
    pub fn markdown(&self) -> String {
        let what = match (&self.commit, &self.committed_at) {
            (Some(c), Some(t)) => format!("commit `{}` ({t}), {}", short(c), self.picked_by),
            (Some(c), None) => format!("commit `{}`, {}", short(c), self.picked_by),
            (None, _) => format!("the files {}", self.picked_by),
        };
        let what = match &self.submitted_at {
            Some(t) => format!("{what}, submitted {t}"),
            None => what,
        };
        format!("**Graded:** {what}. Grader `{}`.", self.grader)
    }
}

/// The first 12 characters of a commit id, as `git log --oneline` shows
/// enough of them.
fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// How grading one submission ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The checks ran; `score` is what they gave.
    Graded,
    /// The lab crates do not compile: score 0, the compiler's first error in the feedback.
    CompileError,
    /// No `crates/*/src` in the submission: score 0.
    NoSubmission,
    /// Building and grading took longer than `Grading::timeout`: score 0.
    TimedOut,
}

impl Status {
    /// `graded`, `compile_error`, `no_submission`, `timed_out`: the gradebook's words.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Graded => "graded",
            Status::CompileError => "compile_error",
            Status::NoSubmission => "no_submission",
            Status::TimedOut => "timed_out",
        }
    }
}

/// One check's mark (the gradebook stores it as it is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckMark {
    /// `lab1_rio::readn_eof`.
    pub id: String,
    /// Its lab, 1 to 5.
    pub lab: u8,
    /// Points earned.
    pub score: u32,
    /// Points possible.
    pub max_score: u32,
    /// Did it pass?
    pub passed: bool,
}

/// The marks of one lab (the gradebook stores it as it is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabMark {
    /// 1 to 5.
    pub lab: u8,
    /// Points earned.
    pub score: u32,
    /// Points possible (skipped checks count in neither).
    pub max_score: u32,
}

/// The result of grading one submission.
#[derive(Clone, Debug)]
pub struct Graded {
    /// How it ended.
    pub status: Status,
    /// Points earned (0 unless `Graded`).
    pub score: u32,
    /// Points possible on this host (the same for every row of a run).
    pub max_score: u32,
    /// Per lab, in order: every lab of the base workspace, also when not graded.
    pub labs: Vec<LabMark>,
    /// Per check, in registry order (empty unless `Graded`).
    pub checks: Vec<CheckMark>,
    /// Gradescope's `results.json`, also for a row that is not graded.
    pub results_json: String,
    /// The student's feedback, markdown: the same explanations
    /// `cargo test -p grader` prints, with handout links; says why when not
    /// graded. Held-back checks are counted in it, not explained.
    pub feedback_md: String,
    /// The held-back checks' details (the grader's
    /// `--held-back-markdown`), for the feedback once the instructor
    /// releases them; empty when none ran.
    pub held_back_md: String,
    /// Wall time of build and grade.
    pub elapsed: Duration,
}

/// The explanation for code that does not compile: the compiler's first
/// error, and what the rule is when it is the `unsafe` one.
pub fn compile_error(output: &str) -> String {
    let excerpt = cargo::first_error_lines(output, 40)
        .unwrap_or_else(|| output.lines().take(40).collect())
        .join("\n");
    let unsafe_rule = output.contains("-F unsafe-code")
        || output.contains("forbid(unsafe_code)")
        || output.contains("`#[forbid(unsafe_code)]`");
    let head = if unsafe_rule {
        "Lab crates may not use `unsafe` (nor `no_mangle`, `export_name`, `link_section` or \
         `global_asm!`): the grader links them and they must not reach into it. Rewrite it \
         in safe Rust; no lab needs `unsafe`. So no check could run (score 0). The \
         compiler's error:"
    } else {
        "Your code does not compile, so no check could run (score 0). `cargo build` on your \
         machine shows the same errors:"
    };
    format!("{head}\n\n```text\n{excerpt}\n```\n")
}

/// The marks in the grader's `results.json`.
pub(super) fn read_results(text: &str, feedback_md: String) -> Result<Graded, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("results.json does not parse: {e}"))?;
    let mut checks = Vec::new();
    let mut labs: Vec<LabMark> = Vec::new();
    for t in v["tests"].as_array().into_iter().flatten() {
        let mark = CheckMark {
            id: t["extra_data"]["id"].as_str().unwrap_or("?").to_string(),
            lab: t["extra_data"]["lab"].as_u64().unwrap_or(0) as u8,
            score: t["score"].as_u64().unwrap_or(0) as u32,
            max_score: t["max_score"].as_u64().unwrap_or(0) as u32,
            passed: t["status"] == "passed",
        };
        match labs.iter_mut().find(|l| l.lab == mark.lab) {
            Some(l) => {
                l.score += mark.score;
                l.max_score += mark.max_score;
            }
            None => labs.push(LabMark {
                lab: mark.lab,
                score: mark.score,
                max_score: mark.max_score,
            }),
        }
        checks.push(mark);
    }
    // A lab whose every check was skipped still has its column.
    for s in v["extra_data"]["skipped"].as_array().into_iter().flatten() {
        let lab = s["lab"].as_u64().unwrap_or(0) as u8;
        if !labs.iter().any(|l| l.lab == lab) {
            labs.push(LabMark {
                lab,
                score: 0,
                max_score: 0,
            });
        }
    }
    labs.sort_by_key(|l| l.lab);
    Ok(Graded {
        status: Status::Graded,
        score: labs.iter().map(|l| l.score).sum(),
        max_score: labs.iter().map(|l| l.max_score).sum(),
        labs,
        checks,
        results_json: text.to_string(),
        feedback_md,
        held_back_md: String::new(),
        elapsed: Duration::ZERO,
    })
}

/// `results.json` with a line about how it was graded added to its output.
pub(super) fn add_note(results: &str, net: &str, leftovers: usize) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(results) else {
        return results.to_string();
    };
    let mut note = format!("\n\nOfficial grading: {net}.");
    if leftovers > 0 {
        note.push_str(&format!(
            " {leftovers} processes were still running at the end and were killed."
        ));
    }
    if let Some(out) = v["output"].as_str() {
        v["output"] = serde_json::Value::String(format!("{out}{note}"));
    }
    serde_json::to_string_pretty(&v).unwrap_or_else(|_| results.to_string())
}
