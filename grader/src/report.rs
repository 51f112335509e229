//! The score report: the terminal table, Gradescope's `results.json`, and
//! the GitHub Actions job summary.
//!
//! All three are views of the same list of [`Outcome`]s, in registry order.

use std::fmt::Write as _;

use serde::Serialize;

use crate::check::lab_slug;
use crate::runner::{Outcome, Verdict};

/// Points earned and possible over `outcomes`; skipped checks count in neither.
pub fn totals<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> (u32, u32) {
    outcomes
        .into_iter()
        .filter(|o| !o.skipped())
        .fold((0, 0), |(got, max), o| {
            (got + o.score(), max + o.check.points)
        })
}

/// The labs present in `outcomes`, in order.
fn labs(outcomes: &[Outcome]) -> Vec<u8> {
    let mut labs: Vec<u8> = outcomes.iter().map(|o| o.check.step.lab).collect();
    labs.dedup();
    labs
}

fn mark(o: &Outcome) -> &'static str {
    match o.verdict {
        Verdict::Passed => "✓",
        Verdict::Skipped(_) => "-",
        _ => "✗",
    }
}

/// One word for a verdict.
fn word(v: &Verdict) -> &'static str {
    match v {
        Verdict::Passed => "passed",
        Verdict::Failed(_) => "failed",
        Verdict::Panicked(_) => "panicked",
        Verdict::TimedOut(_) => "timed out",
        Verdict::Skipped(_) => "skipped",
    }
}

/// The terminal report: each check ✓/✗ with points, a subtotal per lab,
/// then `Score: X/Y`.
pub fn text(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    for lab in labs(outcomes) {
        let of_lab: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.check.step.lab == lab)
            .collect();
        let _ = writeln!(s, "\n{}", lab_slug(lab));
        for o in &of_lab {
            let pts = if o.skipped() {
                "skipped".to_string()
            } else {
                format!("{}/{}", o.score(), o.check.points)
            };
            let why = if o.passed() || o.skipped() {
                String::new()
            } else {
                format!("  ({})", word(&o.verdict))
            };
            let _ = writeln!(
                s,
                "  {} {:<44} {:>7}  step {}: {}{why}",
                mark(o),
                o.check.name,
                pts,
                o.check.step.number,
                o.check.step.title
            );
        }
        let (got, max) = totals(of_lab.iter().copied());
        let _ = writeln!(s, "  {:<46} {:>7}", "subtotal", format!("{got}/{max}"));
    }
    let (got, max) = totals(outcomes);
    let _ = writeln!(s, "\nScore: {got}/{max}");
    s
}

/// Gradescope's results format.
#[derive(Serialize)]
struct Results {
    score: u32,
    output: String,
    tests: Vec<TestResult>,
}

#[derive(Serialize)]
struct TestResult {
    name: String,
    score: u32,
    max_score: u32,
    status: &'static str,
    output: String,
    visibility: &'static str,
}

/// Gradescope's `results.json`: top-level `score`, and per check `name`,
/// `score`, `max_score`, `status` and a student-readable `output`.
pub fn gradescope_json(outcomes: &[Outcome]) -> String {
    let (got, max) = totals(outcomes);
    let results = Results {
        score: got,
        output: format!(
            "Score: {got}/{max}. Run `cargo test -p grader` to see the same checks on your machine."
        ),
        tests: outcomes
            .iter()
            .filter(|o| !o.skipped())
            .map(|o| TestResult {
                name: format!(
                    "{} — step {}: {}",
                    o.check.id(),
                    o.check.step.number,
                    o.check.step.title
                ),
                score: o.score(),
                max_score: o.check.points,
                status: if o.passed() { "passed" } else { "failed" },
                output: if o.passed() {
                    format!("{}\n{}", o.check.about, o.check.step.link())
                } else {
                    o.explain()
                },
                visibility: "visible",
            })
            .collect(),
    };
    serde_json::to_string_pretty(&results).unwrap_or_default()
}

/// A markdown table for `$GITHUB_STEP_SUMMARY`: one row per check, a row
/// per lab subtotal, and the score; failures in collapsible blocks.
pub fn markdown(outcomes: &[Outcome]) -> String {
    let (got, max) = totals(outcomes);
    let mut s = format!(
        "## echo-lab grader: {got}/{max}\n\n| | check | step | points |\n|---|---|---|---|\n"
    );
    for lab in labs(outcomes) {
        let of_lab: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.check.step.lab == lab)
            .collect();
        for o in &of_lab {
            let pts = if o.skipped() {
                "skipped".to_string()
            } else {
                format!("{}/{}", o.score(), o.check.points)
            };
            let _ = writeln!(
                s,
                "| {} | `{}` | {}.{} {} | {pts} |",
                mark(o),
                o.check.id(),
                lab,
                o.check.step.number,
                o.check.step.title
            );
        }
        let (g, m) = totals(of_lab.iter().copied());
        let _ = writeln!(s, "| | **{}** | | **{g}/{m}** |", lab_slug(lab));
    }
    let _ = writeln!(s, "\n**Score: {got}/{max}**\n");
    for o in outcomes.iter().filter(|o| !o.passed() && !o.skipped()) {
        let _ = writeln!(
            s,
            "<details><summary>✗ {}</summary>\n\n```text\n{}\n```\n</details>\n",
            o.check.id(),
            o.explain()
        );
    }
    s
}
