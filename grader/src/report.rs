//! The score report: the terminal table, Gradescope's `results.json`, the
//! GitHub Actions job summary, and the typed results every tool reads
//! ([`results`], `--json`).
//!
//! All three are views of the same list of [`Outcome`]s, in registry order,
//! and the two in Markdown begin alike: what was graded (commit, time, why
//! that commit, the grader's fingerprint), then a table of points and
//! checks passed per lab. The job summary and the gradebook's feedback then
//! list only the failures, each folded; a regrade request is settled from
//! their first lines. Labs not due yet (`grader.toml`, [`crate::due`]) are
//! shown and not counted.

use std::fmt::Write as _;

use serde::Serialize;

use grader_sandbox::submission::Provenance;

use crate::check::lab_slug;
use crate::due::Due;
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

/// What every view of the report is told besides the outcomes: which labs
/// are due, and what was graded (official grading and the workflow know a
/// commit; a student's terminal need not).
#[derive(Clone, Debug)]
pub struct Context {
    /// The labs that count.
    pub due: Due,
    /// The commit, why it was picked, and the grader; `None` to leave the
    /// line out.
    pub graded: Option<Provenance>,
    /// The run's seed ([`crate::runner::Runner::seed`]), recorded so that a
    /// regrade draws the held-back checks' inputs again.
    pub seed: u64,
}

impl Default for Context {
    fn default() -> Context {
        Context {
            due: Due::All,
            graded: None,
            seed: 0,
        }
    }
}

/// Is this outcome a held-back check's (details shown later, or never)?
fn held_back(o: &Outcome) -> bool {
    o.check.visibility.is_held_back()
}

/// Points earned and possible over the checks of the due labs.
pub fn due_totals(outcomes: &[Outcome], due: &Due) -> (u32, u32) {
    due_totals_where(outcomes, due, |_| true)
}

/// [`due_totals`] over the outcomes `which` picks.
fn due_totals_where(outcomes: &[Outcome], due: &Due, which: fn(&Outcome) -> bool) -> (u32, u32) {
    totals(
        outcomes
            .iter()
            .filter(|o| which(o) && due.includes(o.check.step.lab)),
    )
}

/// `(passed, run)` over the checks that were not skipped.
fn passes<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> (usize, usize) {
    outcomes
        .into_iter()
        .filter(|o| !o.is_skipped())
        .fold((0, 0), |(p, n), o| (p + usize::from(o.passed()), n + 1))
}

fn of_lab(outcomes: &[Outcome], lab: u8) -> Vec<&Outcome> {
    outcomes
        .iter()
        .filter(|o| o.check.step.lab == lab)
        .collect()
}

/// `Score: 53/53 (labs 1–2 due; the others are not counted)` or `Score: X/Y`.
fn score_line(outcomes: &[Outcome], due: &Due) -> String {
    let (got, max) = due_totals(outcomes, due);
    match due.describe() {
        Some(which) => format!("Score: {got}/{max} ({which}; the others are not counted yet)"),
        None => format!("Score: {got}/{max}"),
    }
}

/// The terminal report: each check ✓/✗ with points and a subtotal per due
/// lab, one line per lab not due yet, then `Score: X/Y`.
pub fn text(outcomes: &[Outcome], due: &Due) -> String {
    let mut s = String::new();
    for lab in labs(outcomes) {
        let of_lab = of_lab(outcomes, lab);
        let (got, max) = totals(of_lab.iter().copied());
        if !due.includes(lab) {
            let (p, n) = passes(of_lab.iter().copied());
            let _ = writeln!(
                s,
                "\n{}: not due yet ({got}/{max} so far, {p} of {n} checks pass; not counted)",
                lab_slug(lab)
            );
            continue;
        }
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
        let _ = writeln!(s, "  {:<54} {:>7}", "subtotal", format!("{got}/{max}"));
    }
    s.push_str(&skipped_text(outcomes));
    let _ = writeln!(s, "\n{}", score_line(outcomes, due));
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

/// The head every Markdown view starts with: what was graded (when known),
/// then one row per lab (points, checks passed), then the total. Plain
/// Markdown (a table, code spans, bold): Gradescope renders it as GitHub does.
fn head(outcomes: &[Outcome], ctx: &Context) -> String {
    let (got, max) = due_totals(outcomes, &ctx.due);
    let mut s = format!("## echo-lab grader: {got}/{max}\n\n");
    if let Some(graded) = &ctx.graded {
        let _ = writeln!(s, "{}\n", graded.markdown());
    }
    if let Some(which) = ctx.due.describe() {
        let _ = writeln!(
            s,
            "This run counts the labs due so far ({which}, from `grader.toml`); the others are shown, not counted.\n"
        );
    }
    s.push_str("| lab | points | checks passed |\n|---|---:|---:|\n");
    let (mut all_p, mut all_n) = (0, 0);
    for lab in labs(outcomes) {
        let of_lab = of_lab(outcomes, lab);
        let (g, m) = totals(of_lab.iter().copied());
        let (p, n) = passes(of_lab.iter().copied());
        if ctx.due.includes(lab) {
            all_p += p;
            all_n += n;
            let _ = writeln!(s, "| {} | {g}/{m} | {p}/{n} |", lab_slug(lab));
        } else {
            let _ = writeln!(s, "| {} | not due yet ({g}/{m}) | {p}/{n} |", lab_slug(lab));
        }
    }
    let _ = writeln!(s, "| **total** | **{got}/{max}** | **{all_p}/{all_n}** |\n");
    let (hb_got, hb_max) = due_totals_where(outcomes, &ctx.due, held_back);
    let hb_n = outcomes
        .iter()
        .filter(|o| held_back(o) && !o.is_skipped() && ctx.due.includes(o.check.step.lab))
        .count();
    if hb_n > 0 {
        let _ = writeln!(
            s,
            "**Held back:** {hb_max} of these points come from {hb_n} {} your instructor holds \
             back; you earned {hb_got} of them. What {} and how yours did come after the due date.\n",
            if hb_n == 1 { "check" } else { "checks" },
            if hb_n == 1 { "it checks" } else { "they check" },
        );
    }
    for (why, ids) in skipped(outcomes) {
        let ids: Vec<String> = ids.iter().map(|i| format!("`{i}`")).collect();
        let _ = writeln!(
            s,
            "Skipped, in neither score nor maximum: {} — {why}\n",
            ids.join(", ")
        );
    }
    s
}

/// Gradescope's results format.
#[derive(Serialize)]
struct Results {
    score: u32,
    output: String,
    /// How Gradescope renders `output`, and each test's: Markdown.
    output_format: &'static str,
    test_output_format: &'static str,
    tests: Vec<TestResult>,
    /// Ours, for tools that read the file (Gradescope keeps it, unshown).
    extra_data: ResultsExtra,
}

#[derive(Serialize)]
struct ResultsExtra {
    max_score: u32,
    skipped: Vec<Skipped>,
    /// The labs counted (`null`: every lab).
    due_labs: Option<Vec<u8>>,
    /// What was graded, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    graded: Option<Provenance>,
    /// The run's seed: `--seed` reproduces the held-back checks' inputs.
    seed: u64,
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

/// Gradescope's `results.json`: top-level `score` (the due labs'), an
/// `output` that starts with what was graded and the per-lab table, and per
/// check of a due lab `name`, `score`, `max_score`, `status` and a
/// student-readable `output`, all Markdown.
pub fn gradescope_json(outcomes: &[Outcome], ctx: &Context) -> String {
    let (got, max) = due_totals(outcomes, &ctx.due);
    let results = Results {
        score: got,
        output: format!(
            "{}{}",
            head(outcomes, ctx),
            if got == max {
                "Every check passed; each is listed below with what it checks."
            } else {
                "Each check below says what failed and which handout step explains it; `cargo test -p grader` shows the same on your machine."
            }
        ),
        output_format: "md",
        test_output_format: "md",
        tests: outcomes
            .iter()
            .filter(|o| !o.is_skipped() && ctx.due.includes(o.check.step.lab))
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
                    format!("{}\n\n`{}`", o.check.about, o.check.step.link())
                } else {
                    fenced(&explain(o))
                },
                visibility: o.check.visibility.as_str(),
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
            due_labs: ctx.due.labs().map(<[u8]>::to_vec),
            graded: ctx.graded.clone(),
            seed: ctx.seed,
        },
    };
    serde_json::to_string_pretty(&results).unwrap_or_default()
}

/// `text` in a fence that its own backticks cannot close.
fn fenced(text: &str) -> String {
    let mut fence = "```".to_string();
    while text.contains(fence.as_str()) {
        fence.push('`');
    }
    format!("{fence}text\n{text}\n{fence}")
}

/// The step whose starter `todo!()` a failure ran into, from the panic the
/// todo raised (in the check, or in a binary's stderr): `(lab, step)`.
fn todo_step(o: &Outcome) -> Option<(u8, u8)> {
    let said = explain(o);
    let at = said.find("not yet implemented: lab ")? + "not yet implemented: lab ".len();
    let mut words = said[at..].split_whitespace();
    let lab = words.next()?.parse().ok()?;
    (words.next()? == "step").then_some(())?;
    let step = words.next()?.trim_end_matches(':').parse().ok()?;
    Some((lab, step))
}

/// At most this many lines of one explanation in the Markdown feedback
/// (the full text is in `results.json` and in `cargo test -p grader`).
const MAX_LINES: usize = 40;

fn cut(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_LINES {
        return text.to_string();
    }
    format!(
        "{}\n  … ({} more lines: `cargo test -p grader` prints them all)\n{}",
        lines[..MAX_LINES - 1].join("\n"),
        lines.len() - MAX_LINES,
        lines[lines.len() - 1]
    )
}

/// The job summary and the gradebook's `feedback.md`: [`head`], one line
/// per lab for its passing checks, then only the failures of the due labs,
/// each folded. Failures that stop at the same starter `todo!()` fold into
/// one block (the first explained in full, the others named), so that a
/// fresh starter's feedback stays short.
///
/// Held-back checks are counted in the head and named nowhere else: their
/// details are [`held_back_markdown`]'s, which official grading keeps until
/// the instructor releases them.
pub fn markdown(outcomes: &[Outcome], ctx: &Context) -> String {
    let mut s = head(outcomes, ctx);
    let public: Vec<Outcome> = outcomes.iter().filter(|o| !held_back(o)).cloned().collect();
    let outcomes = &public[..];
    for lab in labs(outcomes).into_iter().filter(|&l| ctx.due.includes(l)) {
        let of_lab = of_lab(outcomes, lab);
        let (p, n) = passes(of_lab.iter().copied());
        let line = match (p, n) {
            (_, 0) => continue,
            (0, _) => format!("✗ {}: none of its {n} checks passed.", lab_slug(lab)),
            (p, n) if p == n => format!("✓ {}: all {n} checks passed.", lab_slug(lab)),
            (p, n) => format!("◐ {}: {p} of {n} checks passed.", lab_slug(lab)),
        };
        let _ = writeln!(s, "{line}  ");
    }
    let failing: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| !o.passed() && !o.is_skipped() && ctx.due.includes(o.check.step.lab))
        .collect();
    if failing.is_empty() {
        return s;
    }
    let _ = writeln!(s, "\n### What failed ({} checks)\n", failing.len());
    let mut shown_todo: Vec<(u8, u8)> = Vec::new();
    for o in &failing {
        match todo_step(o) {
            Some(todo) if shown_todo.contains(&todo) => {}
            Some(todo) => {
                shown_todo.push(todo);
                let same: Vec<&&Outcome> = failing
                    .iter()
                    .filter(|f| todo_step(f) == Some(todo))
                    .collect();
                let points: u32 = same.iter().map(|f| f.check.points).sum();
                let title = crate::steps::ALL
                    .iter()
                    .find(|st| (st.lab, st.number) == todo)
                    .map_or(String::new(), |st| format!(" ({})", st.title));
                let ids: Vec<String> = same.iter().map(|f| format!("`{}`", f.check.name)).collect();
                let _ = writeln!(
                    s,
                    "<details><summary>✗ {} {} ({points} points) stop at the starter's <code>todo!()</code> of lab {} step {}{title}</summary>\n\n{}\n\nThe first of them:\n\n{}\n</details>\n",
                    same.len(),
                    if same.len() == 1 { "check" } else { "checks" },
                    todo.0,
                    todo.1,
                    ids.join(", "),
                    fenced(&cut(&explain(o)))
                );
            }
            None => {
                let _ = writeln!(s, "{}", folded(o));
            }
        }
    }
    s
}

/// One failure, folded: its id, how it ended and its points on the line
/// shown, the explanation inside.
fn folded(o: &Outcome) -> String {
    format!(
        "<details><summary>✗ {} ({}, {} points)</summary>\n\n{}\n</details>\n",
        o.check.id(),
        word(&o.verdict),
        o.check.points,
        fenced(&cut(&explain(o)))
    )
}

/// The details of the held-back checks of the due labs, for when the
/// instructor releases them: each one passed with what it checks, each
/// failure folded with its explanation, and the seed that reproduces their
/// inputs. Empty when no held-back check ran.
pub fn held_back_markdown(outcomes: &[Outcome], ctx: &Context) -> String {
    let held: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| held_back(o) && !o.is_skipped() && ctx.due.includes(o.check.step.lab))
        .collect();
    if held.is_empty() {
        return String::new();
    }
    let (got, max) = totals(held.iter().copied());
    let mut s = format!(
        "### Held-back checks: {got}/{max}\n\nYour instructor held these back until now. Their \
         inputs were drawn from seed `{}`.\n\n",
        ctx.seed
    );
    for o in held {
        if o.passed() {
            let _ = writeln!(
                s,
                "✓ `{}` ({} points): {}  ",
                o.check.id(),
                o.check.points,
                o.check.about
            );
        } else {
            let _ = writeln!(s, "{}", folded(o));
        }
    }
    s
}

/// The checks as JSON ([`grader_sandbox::protocol::Listed`]), without
/// running them: id, lab, step, points, and `skipped`, why this host (or a
/// foreign binary) will not run it, or `null`. Official grading reads it
/// for the maximum; the book's check reads it for each step's checks.
pub fn list_json(checks: &[crate::check::Check], host: &crate::host::Host) -> String {
    use grader_sandbox::protocol::Listed;
    let listed: Vec<Listed> = checks
        .iter()
        .map(|c| Listed {
            id: c.id(),
            lab: c.step.lab,
            step: c.step.number,
            step_title: c.step.title.to_string(),
            handout: c.step.link(),
            points: c.points,
            about: c.about.to_string(),
            deadline_ms: c.deadline.as_millis() as u64,
            needs_ipv6: c.needs_ipv6,
            kind: match c.kind {
                crate::check::Kind::Library => "library",
                crate::check::Kind::Process => "process",
            }
            .to_string(),
            skipped: host.why_not(c),
            visibility: c.visibility,
        })
        .collect();
    serde_json::to_string_pretty(&listed).unwrap_or_default()
}

/// The typed results ([`grader_sandbox::protocol::Results`]) that tools
/// read instead of the words above: `cargo run -p grader -- --json FILE`.
pub fn results(outcomes: &[Outcome], seed: u64) -> grader_sandbox::protocol::Results {
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
            visibility: o.check.visibility,
        })
        .collect();
    protocol::Results {
        version: protocol::RESULTS_VERSION,
        score,
        max_score,
        checks,
        seed,
    }
}

/// [`results`] as pretty JSON.
pub fn results_json(outcomes: &[Outcome], seed: u64) -> String {
    serde_json::to_string_pretty(&results(outcomes, seed)).unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::check::{Check, CheckResult, Ctx, Visibility};
    use crate::steps::{LAB1_READN, LAB1_WRITEN, LAB3_ECHO};

    fn nothing(_: &mut Ctx) -> CheckResult {
        Ok(())
    }

    fn outcome(name: &'static str, step: crate::steps::Step, verdict: Verdict) -> Outcome {
        Outcome {
            check: Check::library(name, step, 2, "a behaviour", nothing),
            verdict,
            steps: vec!["a step".to_string()],
            stray_output: String::new(),
            leftovers: None,
            elapsed: Duration::ZERO,
        }
    }

    fn todo(lab: u8, step: u8) -> Verdict {
        Verdict::Panicked(format!(
            "not yet implemented: lab {lab} step {step}: x — see labs/src/x.md"
        ))
    }

    fn outcomes() -> Vec<Outcome> {
        vec![
            outcome("readn_a", LAB1_READN, todo(1, 1)),
            outcome("readn_b", LAB1_READN, todo(1, 1)),
            outcome("writen_a", LAB1_WRITEN, Verdict::Passed),
            outcome(
                "writen_b",
                LAB1_WRITEN,
                Verdict::Failed(crate::Failure::default()),
            ),
            outcome("echo_a", LAB3_ECHO, todo(3, 1)),
        ]
    }

    /// What was graded first, then the per-lab table; only failures after,
    /// those at one `todo!()` in one fold.
    #[test]
    fn markdown_starts_with_what_was_graded_and_folds_failures() {
        let ctx = Context {
            due: Due::All,
            graded: Some(Provenance {
                commit: Some("c8877f1a362d0123456789abcdef0123456789ab".into()),
                committed_at: Some("2026-11-25T12:00:00Z".into()),
                submitted_at: None,
                picked_by: "the head of the default branch (no deadline)".into(),
                grader: "00ff".into(),
            }),
            seed: 0,
        };
        let md = markdown(&outcomes(), &ctx);
        let mut lines = md.lines();
        assert_eq!(lines.next(), Some("## echo-lab grader: 2/10"));
        assert_eq!(lines.next(), Some(""));
        assert_eq!(
            lines.next(),
            Some(
                "**Graded:** commit `c8877f1a362d` (2026-11-25T12:00:00Z), the head of the default branch (no deadline). Grader `00ff`."
            )
        );
        assert!(md.contains("| lab1_rio | 2/8 | 1/4 |"), "{md}");
        assert!(md.contains("| lab3_echoserver | 0/2 | 0/1 |"), "{md}");
        assert!(md.contains("◐ lab1_rio: 1 of 4 checks passed."), "{md}");
        assert_eq!(md.matches("<details>").count(), 3, "{md}");
        assert!(md.contains("✗ 2 checks (4 points) stop at the starter's <code>todo!()</code> of lab 1 step 1 (readn)"), "{md}");
        assert!(md.contains("`readn_a`, `readn_b`"), "{md}");
        assert!(
            !md.contains("writen_a PANICKED") && !md.contains("lab1_rio::writen_a"),
            "{md}"
        );
    }

    /// A held-back check counts in the head, and is named only in the
    /// held-back details and in results.json (with its visibility).
    #[test]
    fn held_back_checks_are_counted_not_explained() {
        let mut all = outcomes();
        let mut hidden = outcome(
            "held_back_x",
            LAB1_READN,
            Verdict::Failed(crate::Failure::new("the seeded text", "a shorter one")),
        );
        hidden.check = hidden.check.held_back(Visibility::AfterDueDate);
        all.push(hidden);
        let ctx = Context {
            seed: 99,
            ..Context::default()
        };
        let md = markdown(&all, &ctx);
        for want in [
            "| lab1_rio | 2/10 | 1/5 |",
            "**Held back:** 2 of these points come from 1 check your instructor holds back; you earned 0 of them.",
            "◐ lab1_rio: 1 of 4 checks passed.",
        ] {
            assert!(md.contains(want), "{want} not in {md}");
        }
        assert!(!md.contains("held_back_x"), "{md}");
        let details = held_back_markdown(&all, &ctx);
        assert!(
            details.starts_with("### Held-back checks: 0/2"),
            "{details}"
        );
        assert!(details.contains("seed `99`"), "{details}");
        assert!(
            details.contains("✗ lab1_rio::held_back_x (failed, 2 points)"),
            "{details}"
        );
        assert!(details.contains("a shorter one"), "{details}");
        assert_eq!(held_back_markdown(&outcomes(), &ctx), "");
        let json: serde_json::Value = serde_json::from_str(&gradescope_json(&all, &ctx)).unwrap();
        let tests = json["tests"].as_array().unwrap();
        let last = tests.last().unwrap();
        assert_eq!(last["extra_data"]["id"], "lab1_rio::held_back_x");
        assert_eq!(last["visibility"], "after_due_date");
        assert!(
            tests[..tests.len() - 1]
                .iter()
                .all(|t| t["visibility"] == "visible")
        );
        assert_eq!(json["extra_data"]["seed"], 99);
    }

    /// A lab not due is shown, not counted, and its failures are not listed.
    #[test]
    fn labs_not_due_are_shown_and_not_counted() {
        let ctx = Context {
            due: Due::Labs(vec![1]),
            graded: None,
            seed: 0,
        };
        let all = outcomes();
        assert_eq!(due_totals(&all, &ctx.due), (2, 8));
        let md = markdown(&all, &ctx);
        assert!(md.starts_with("## echo-lab grader: 2/8\n"), "{md}");
        assert!(
            md.contains("| lab3_echoserver | not due yet (0/2) | 0/1 |"),
            "{md}"
        );
        assert!(!md.contains("lab 3 step 1"), "{md}");
        let text = text(&all, &ctx.due);
        assert!(text.contains("lab3_echoserver: not due yet"), "{text}");
        assert!(text.contains("Score: 2/8 (lab 1 due;"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&gradescope_json(&all, &ctx)).unwrap();
        assert_eq!(json["output_format"], "md");
        assert_eq!(json["test_output_format"], "md");
        assert_eq!(json["extra_data"]["due_labs"], serde_json::json!([1]));
        assert_eq!(json["tests"].as_array().unwrap().len(), 4);
        assert_eq!(json["score"], 2);
    }
}
