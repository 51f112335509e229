//! Official grading of one submission: its `crates/*/src` into a fresh copy
//! of the instructor's base workspace (the starter), built and graded under
//! the grader's containment. `run_autograder` and `cargo xtask grade` both
//! call [`grade`]; there is no second implementation.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to grade: one per job (a job grades its submissions one after the
/// other, always at the same `work` path and with the same `target_dir`, so
/// compiled dependencies are reused and no other job's binary is ever run).
#[derive(Clone, Debug)]
pub struct Grading {
    /// The instructor's workspace in its starter form (lab crates with
    /// `todo!()` bodies, the instructor's grader and manifests). Never
    /// written to.
    pub base: PathBuf,
    /// Where the submission's workspace is assembled; emptied and re-made
    /// for every submission.
    pub work: PathBuf,
    /// The job's cargo target directory, kept between submissions.
    pub target_dir: PathBuf,
    /// Wall-clock limit for building and grading one submission.
    pub timeout: Duration,
    /// First of the unprivileged uids the check processes run as (one per
    /// parallel check); `None` grades as the current user. Jobs that run at
    /// the same time need ranges that do not overlap (100 apart).
    pub uid_base: Option<u32>,
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

/// One check's mark.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// The marks of one lab.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// `cargo test -p grader` prints, with handout links; says why when not graded.
    pub feedback_md: String,
    /// Wall time of build and grade.
    pub elapsed: Duration,
}

/// Grades the student files at `submission` (their repository's checkout:
/// `crates/` at the top or up to two directories down).
///
/// `Err` only for a fault of the grading machine (the base cannot be
/// copied, cargo cannot be started…), never for anything in the submission.
pub fn grade(grading: &Grading, submission: &Path) -> Result<Graded, String> {
    let _ = (grading, submission);
    Err("grader_sandbox::submission::grade is not implemented yet".to_string())
}
