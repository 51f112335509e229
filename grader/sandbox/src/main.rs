//! `grader-sandbox`: the part of the grader that links no student code.
//!
//! ```text
//! grader-sandbox supervise --deadline-ms N [--uid U] [--memory-limit BYTES] -- PROGRAM ARGS…
//!     run one process contained (the grader runs each check so; see supervise.rs)
//! grader-sandbox grade-submission --base DIR --submission DIR --work DIR
//!         --target-dir DIR --results FILE [--feedback FILE] [--log FILE]
//!         [--timeout SECS] [--uid-base UID] [--memory-limit BYTES] [--output-limit BYTES]
//!         [--grader-id TEXT] [--metadata FILE]
//!     official grading of one submission (Gradescope's run_autograder): no
//!     commit is known (an upload has no .git), so the feedback says "as
//!     uploaded", with the grader's fingerprint (of --base, or --grader-id)
//!     and the time Gradescope's submission_metadata.json gives (--metadata)
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use grader_sandbox::files::write_whole;
use grader_sandbox::isolation::Isolation;
use grader_sandbox::submission::{self, BuildLimits, Grading};
use grader_sandbox::supervise;

const USAGE: &str = "\
usage: grader-sandbox supervise --deadline-ms N [--uid U] [--memory-limit BYTES] -- PROGRAM [ARGS…]
       grader-sandbox grade-submission --base DIR --submission DIR --work DIR --target-dir DIR
                      --results FILE [--feedback FILE] [--log FILE] [--timeout SECS] [--uid-base UID]
                      [--memory-limit BYTES] [--output-limit BYTES] [--grader-id TEXT] [--metadata FILE]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("supervise") => match supervise::parse_args(&args[1..]) {
            Ok(opts) => match supervise::run(&opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("grader-sandbox: cannot report: {e}");
                    ExitCode::from(3)
                }
            },
            Err(e) => usage_error(&e),
        },
        Some("grade-submission") => match GradeArgs::parse(&args[1..]) {
            Ok(a) => grade_submission(&a),
            Err(e) => usage_error(&e),
        },
        Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => usage_error("no command"),
    }
}

fn usage_error(e: &str) -> ExitCode {
    eprintln!("grader-sandbox: {e}\n{USAGE}");
    ExitCode::from(2)
}

struct GradeArgs {
    grading: Grading,
    submission: PathBuf,
    results: PathBuf,
    feedback: Option<PathBuf>,
    log: Option<PathBuf>,
    grader_id: Option<String>,
    /// Gradescope's `submission_metadata.json`, for the submission's time.
    metadata: Option<PathBuf>,
}

impl GradeArgs {
    fn parse(args: &[String]) -> Result<GradeArgs, String> {
        let mut it = args.iter();
        let (mut base, mut submission, mut work, mut target, mut results) =
            (None, None, None, None, None);
        let (mut feedback, mut log, mut uid_base, mut grader_id, mut metadata) =
            (None, None, None, None, None);
        let mut timeout = Duration::from_secs(1200);
        let mut limits = BuildLimits::default();
        while let Some(arg) = it.next() {
            let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--base" => base = Some(PathBuf::from(value()?)),
                "--submission" => submission = Some(PathBuf::from(value()?)),
                "--work" => work = Some(PathBuf::from(value()?)),
                "--target-dir" => target = Some(PathBuf::from(value()?)),
                "--results" => results = Some(PathBuf::from(value()?)),
                "--feedback" => feedback = Some(PathBuf::from(value()?)),
                "--log" => log = Some(PathBuf::from(value()?)),
                "--grader-id" => grader_id = Some(value()?),
                "--metadata" => metadata = Some(PathBuf::from(value()?)),
                "--timeout" => {
                    let v = value()?;
                    let secs: u64 = v.parse().map_err(|_| format!("bad --timeout {v:?}"))?;
                    timeout = Duration::from_secs(secs);
                }
                "--memory-limit" => {
                    let v = value()?;
                    limits.memory = v.parse().map_err(|_| format!("bad --memory-limit {v:?}"))?;
                }
                "--output-limit" => {
                    let v = value()?;
                    limits.output = v.parse().map_err(|_| format!("bad --output-limit {v:?}"))?;
                }
                "--uid-base" => {
                    let v = value()?;
                    uid_base = Some(v.parse().map_err(|_| format!("bad --uid-base {v:?}"))?);
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        let need = |v: Option<PathBuf>, name: &str| v.ok_or(format!("{name} is required"));
        Ok(GradeArgs {
            grading: Grading {
                base: need(base, "--base")?,
                work: need(work, "--work")?,
                target_dir: need(target, "--target-dir")?,
                timeout,
                // The one place run_autograder's isolation is chosen.
                isolation: Isolation::official(uid_base),
                limits,
            },
            submission: need(submission, "--submission")?,
            results: need(results, "--results")?,
            feedback,
            log,
            grader_id,
            metadata,
        })
    }
}

/// `created_at` of Gradescope's `submission_metadata.json`, when the file
/// is there and has it.
fn submitted_at(path: &Path) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Metadata {
        created_at: Option<String>,
    }
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str::<Metadata>(&text).ok()?.created_at
}

/// Grades, then writes the results (and feedback, and log) — only now,
/// after every process of the submission's uids is gone. A fault of the
/// machine still writes results: score 0 and what went wrong, so the
/// student sees a message, and the exit status is 1.
fn grade_submission(a: &GradeArgs) -> ExitCode {
    let about = submission::Provenance {
        commit: None,
        committed_at: None,
        submitted_at: a.metadata.as_deref().and_then(submitted_at),
        picked_by: "as uploaded (an upload carries no commit id)".to_string(),
        grader: a
            .grader_id
            .clone()
            // The same fingerprint `cargo xtask grade` gives this grader.
            .unwrap_or_else(|| {
                submission::grader_fingerprint(&a.grading.base)
                    .unwrap_or_else(|e| format!("unknown: {e}"))
            }),
    };
    let (results, feedback, code) = match submission::grade(&a.grading, &a.submission, &about) {
        Ok(g) => {
            eprintln!(
                "grader-sandbox: {}: {}/{} in {:.1} s",
                g.status.as_str(),
                g.score,
                g.max_score,
                g.elapsed.as_secs_f32()
            );
            (g.results_json, g.feedback_md, ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("grader-sandbox: grading failed: {e}");
            let json = serde_json::json!({
                "score": 0,
                "output": format!("The autograder itself failed (not your code): {e}. Tell your instructor."),
                "output_format": "text",
                "tests": [],
            });
            (
                serde_json::to_string_pretty(&json).unwrap_or_default(),
                format!("The autograder itself failed: {e}\n"),
                ExitCode::FAILURE,
            )
        }
    };
    let log = a.grading.work.join(".grade-log.txt");
    let mut files: Vec<(&Path, String)> = vec![(&a.results, results)];
    if let Some(p) = &a.feedback {
        files.push((p, feedback));
    }
    if let Some(p) = &a.log {
        files.push((p, std::fs::read_to_string(&log).unwrap_or_default()));
    }
    for (path, text) in files {
        if let Err(e) = write_whole(path, &text) {
            eprintln!("grader-sandbox: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    code
}
