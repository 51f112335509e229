//! The score report: the terminal table, Gradescope's `results.json`, the
//! GitHub Actions job summary, and the typed results every tool reads
//! ([`results`], `--json`).
//!
//! All three are views of the same list of [`Outcome`]s, in registry order.

use std::fmt::Write as _;

use serde::Serialize;

use crate::check::lab_slug;
use crate::verdict::{Outcome, Verdict};

/// Points earned and possible over `outcomes`; skipped checks count in neither.
pub fn totals<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> (u32, u32) {
    outcomes
        .into_iter()
        .filter(|o| !o.is_skipped())
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
        Verdict::Aborted(_) => "ended early",
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
            let pts = if o.is_skipped() {
                "skipped".to_string()
            } else {
                format!("{}/{}", o.score(), o.check.points)
            };
            let why = if o.passed() || o.is_skipped() {
                String::new()
            } else {
                format!("  ({})", word(&o.verdict))
            };
            let _ = writeln!(
                s,
                "  {} {:<52} {:>7}  step {}: {}{why}",
                mark(o),
                o.check.name,
                pts,
                o.check.step.number,
                o.check.step.title
            );
        }
        let (got, max) = totals(of_lab.iter().copied());
        let _ = writeln!(s, "  {:<54} {:>7}", "subtotal", format!("{got}/{max}"));
    }
    s.push_str(&skipped_text(outcomes));
    let (got, max) = totals(outcomes);
    let _ = writeln!(s, "\nScore: {got}/{max}");
    s
}

/// The skipped checks grouped by reason: `\nSkipped (in neither score nor
/// maximum):\n  reason:\n    id …`; empty when none was skipped.
fn skipped_text(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    for (why, ids) in skipped(outcomes) {
        if s.is_empty() {
            s.push_str("\nSkipped (counted in neither the score nor the maximum):\n");
        }
        let _ = writeln!(s, "  {}: {why}", ids.join(", "));
    }
    s
}

/// `(reason, check ids)` for every reason a check was skipped, in order.
pub fn skipped(outcomes: &[Outcome]) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for o in outcomes {
        if let Verdict::Skipped(why) = &o.verdict {
            match groups.iter_mut().find(|(w, _)| w == why) {
                Some((_, ids)) => ids.push(o.check.id()),
                None => groups.push((why.clone(), vec![o.check.id()])),
            }
        }
    }
    groups
}

/// Gradescope's results format.
#[derive(Serialize)]
struct Results {
    score: u32,
    output: String,
    tests: Vec<TestResult>,
    /// Ours, for tools that read the file (Gradescope keeps it, unshown).
    extra_data: ResultsExtra,
}

#[derive(Serialize)]
struct ResultsExtra {
    max_score: u32,
    skipped: Vec<Skipped>,
}

#[derive(Serialize)]
struct Skipped {
    id: String,
    lab: u8,
    points: u32,
    reason: String,
}

#[derive(Serialize)]
struct TestResult {
    name: String,
    score: u32,
    max_score: u32,
    status: &'static str,
    output: String,
    visibility: &'static str,
    extra_data: TestExtra,
}

#[derive(Serialize)]
struct TestExtra {
    id: String,
    lab: u8,
}

/// Gradescope's `results.json`: top-level `score`, and per check `name`,
/// `score`, `max_score`, `status` and a student-readable `output`.
pub fn gradescope_json(outcomes: &[Outcome]) -> String {
    let (got, max) = totals(outcomes);
    let results = Results {
        score: got,
        output: format!(
            "Score: {got}/{max}. Run `cargo test -p grader` to see the same checks on your machine.\n{}",
            skipped_text(outcomes).trim_start()
        )
        .trim_end()
        .to_string(),
        tests: outcomes
            .iter()
            .filter(|o| !o.is_skipped())
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
                    explain(o)
                },
                visibility: "visible",
                extra_data: TestExtra {
                    id: o.check.id(),
                    lab: o.check.step.lab,
                },
            })
            .collect(),
        extra_data: ResultsExtra {
            max_score: max,
            skipped: outcomes
                .iter()
                .filter_map(|o| match &o.verdict {
                    Verdict::Skipped(why) => Some(Skipped {
                        id: o.check.id(),
                        lab: o.check.step.lab,
                        points: o.check.points,
                        reason: why.clone(),
                    }),
                    _ => None,
                })
                .collect(),
        },
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
            let pts = if o.is_skipped() {
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
    for (why, ids) in skipped(outcomes) {
        let ids: Vec<String> = ids.iter().map(|i| format!("`{i}`")).collect();
        let _ = writeln!(
            s,
            "Skipped, in neither score nor maximum: {} — {why}\n",
            ids.join(", ")
        );
    }
    for o in outcomes.iter().filter(|o| !o.passed() && !o.is_skipped()) {
        let _ = writeln!(
            s,
            "<details><summary>✗ {}</summary>\n\n```text\n{}\n```\n</details>\n",
            o.check.id(),
            explain(o)
        );
    }
    s
}

/// The checks as JSON ([`grader_sandbox::protocol::Listed`]), without
/// running them: id, lab, step, points, and `skipped`, why this host (or a
/// foreign binary) will not run it, or `null`. Official grading reads it
/// for the maximum; the book's check reads it for each step's checks.
pub fn list_json(checks: &[crate::check::Check], foreign_skip: Option<&str>) -> String {
    use grader_sandbox::protocol::Listed;
    let ipv6 = crate::runner::has_ipv6_loopback();
    let listed: Vec<Listed> = checks
        .iter()
        .map(|c| Listed {
            id: c.id(),
            lab: c.step.lab,
            step: c.step.number,
            step_title: c.step.title.to_string(),
            handout: c.step.link(),
            points: c.points,
            skipped: if c.kind == crate::check::Kind::Library && foreign_skip.is_some() {
                foreign_skip.map(str::to_string)
            } else if c.needs_ipv6 && !ipv6 {
                Some(crate::runner::NO_IPV6.to_string())
            } else {
                None
            },
        })
        .collect();
    serde_json::to_string_pretty(&listed).unwrap_or_default()
}

/// The typed results ([`grader_sandbox::protocol::Results`]) that tools
/// read instead of the words above: `cargo run -p grader -- --json FILE`.
pub fn results(outcomes: &[Outcome]) -> grader_sandbox::protocol::Results {
    use grader_sandbox::protocol::{self, CheckResult};
    let (score, max_score) = totals(outcomes);
    let checks = outcomes
        .iter()
        .map(|o| CheckResult {
            id: o.check.id(),
            lab: o.check.step.lab,
            step: o.check.step.number,
            step_title: o.check.step.title.to_string(),
            handout: o.check.step.link(),
            score: o.score(),
            max_score: o.check.points,
            verdict: match &o.verdict {
                Verdict::Passed => protocol::Verdict::Passed,
                Verdict::Failed(_) => protocol::Verdict::Failed,
                Verdict::Panicked(_) => protocol::Verdict::Panicked,
                Verdict::Aborted(_) => protocol::Verdict::EndedEarly,
                Verdict::TimedOut(_) => protocol::Verdict::TimedOut,
                Verdict::Skipped(_) => protocol::Verdict::Skipped,
            },
            skip_reason: match &o.verdict {
                Verdict::Skipped(why) => Some(why.clone()),
                _ => None,
            },
            explanation: (!o.passed() && !o.is_skipped()).then(|| explain(o)),
        })
        .collect();
    protocol::Results {
        version: protocol::RESULTS_VERSION,
        score,
        max_score,
        checks,
    }
}

/// [`results`] as pretty JSON.
pub fn results_json(outcomes: &[Outcome]) -> String {
    serde_json::to_string_pretty(&results(outcomes)).unwrap_or_default()
}

/// The CS144-style explanation of a failure: the steps up to the one that
/// failed, expected vs observed, and the handout step.
pub fn explain(o: &Outcome) -> String {
    let mut s = String::new();
    let head = match &o.verdict {
        Verdict::Passed => return format!("{} passed", o.check.id()),
        Verdict::Skipped(why) => return format!("{} skipped: {why}", o.check.id()),
        Verdict::Failed(_) => "FAILED",
        Verdict::Panicked(_) => "PANICKED",
        Verdict::Aborted(_) => "ENDED EARLY",
        Verdict::TimedOut(_) => "TIMED OUT",
    };
    s.push_str(&format!("{} {head}", o.check.id()));
    s.push_str(&format!("\n  checks: {}", o.check.about));
    if o.steps.is_empty() {
        s.push_str("\n  before its first step:");
    } else {
        s.push_str(" — after these steps:");
    }
    let last = o.steps.len();
    for (i, step) in o.steps.iter().enumerate() {
        let mark = if i + 1 == last { "   <- here" } else { "" };
        s.push_str(&format!("\n  {:>2}. {step}{mark}", i + 1));
    }
    match &o.verdict {
        Verdict::Failed(f) => {
            s.push_str(&format!("\n      expected: {}", f.expected));
            s.push_str(&format!("\n      observed: {}", f.observed));
            for n in &f.notes {
                s.push_str(&format!("\n      {n}"));
            }
        }
        Verdict::Panicked(msg) => {
            s.push_str(&format!("\n      panicked: {}", msg.trim()));
            if msg.contains("not yet implemented") {
                s.push_str("\n      (a todo!() of the starter: this step is still to write)");
            }
        }
        Verdict::Aborted(what) => s.push_str(&format!("\n      {what}")),
        Verdict::TimedOut(d) => {
            s.push_str(&format!(
                "\n      no result within {} s: the step above never finished \
                 (an endless loop, or a read/accept/write that blocks forever); \
                 it was killed with everything it started",
                d.as_secs_f32()
            ));
        }
        Verdict::Passed | Verdict::Skipped(_) => {}
    }
    if let Some(left) = &o.leftovers {
        s.push_str(&format!("\n      {left}"));
    }
    let stray = o.stray_output.trim_end();
    if !stray.is_empty() {
        s.push_str("\n  output of the code under test:");
        for line in stray.lines().take(20) {
            s.push_str(&format!("\n    | {line}"));
        }
    }
    s.push_str(&format!("\n  help: {}", o.check.step.link()));
    s
}
