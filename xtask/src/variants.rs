//! `cargo xtask variants`: proves that the grader catches classic bugs and
//! survives code that hangs.
//!
//! `xtask/variants.toml` lists broken variants of the reference: a file, a
//! function whose marked solution region is replaced, the new body, and the
//! checks that must fail. For each one, in a copy of the workspace (with a
//! target directory of its own, so the reference's binaries are never run
//! by mistake), we put the body in, run `cargo run -p grader -- --json FILE
//! --check …` on exactly those checks, and read its typed results: every
//! named check must have failed, and with `timed_out = true` its verdict
//! must be `timed_out`, i.e. the runner killed it at its deadline and the
//! run still finished.

use grader_sandbox::protocol::{Results, Verdict};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::markers::{BEGIN, END};
use crate::tree;

/// One broken variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Short name, used to pick variants on the command line.
    pub name: String,
    /// The bug, in words.
    pub bug: String,
    /// The file, relative to the workspace root.
    pub file: String,
    /// The function whose marked region is replaced.
    pub function: String,
    /// The replacement body.
    pub body: String,
    /// Check ids (`lab1_rio::readn_every_split`) that must fail.
    pub fails: Vec<String>,
    /// Must those checks fail by timing out?
    pub timed_out: bool,
    /// More regions replaced for the same bug: (file, function, body).
    pub also: Vec<(String, String, String)>,
    /// Text each failing check's explanation must contain: the failure
    /// says what it saw (a message fault is a bug of the grader too).
    pub says: Vec<String>,
    /// Text no failing check's explanation may contain (a misleading
    /// state line, say).
    pub says_not: Vec<String>,
    /// The handout step each failing check must send the student to
    /// (`labs/src/lab4-echoclient.md#step-2-the-echo-loop`), if given.
    pub help: Option<String>,
}

/// Reads the variant list.
pub fn load(text: &str) -> Result<Vec<Variant>, String> {
    each_table(text, "variants.toml", "variant", |t| {
        let name = string(t, "name", "?")?;
        let text = |key: &str| string(t, key, &name);
        let fails = string_list(t, "fails")
            .and_then(|list| list.ok_or("`fails` must be a list".to_string()))
            .map_err(|e| format!("variant {name}: {e}"))?;
        if fails.is_empty() {
            return Err(format!("variant {name}: `fails` names no check"));
        }
        let strings = |key: &str| -> Result<Vec<String>, String> {
            match string_list(t, key) {
                Ok(list) => Ok(list.unwrap_or_default()),
                Err(_) => Err(format!("variant {name}: `{key}` must list strings")),
            }
        };
        let file = text("file")?;
        let also = match t.get("also") {
            None => Vec::new(),
            Some(item) => item
                .as_array_of_tables()
                .ok_or(format!(
                    "variant {name}: `also` must be [[variant.also]] tables"
                ))?
                .iter()
                .map(|a| {
                    let field = |key: &str| string(a, key, &name);
                    let file = a
                        .get("file")
                        .and_then(|v| v.as_str())
                        .map_or(file.clone(), str::to_string);
                    Ok((file, field("function")?, field("body")?))
                })
                .collect::<Result<Vec<_>, String>>()?,
        };
        Ok(Variant {
            also,
            says: strings("says")?,
            says_not: strings("says_not")?,
            help: t.get("help").and_then(|v| v.as_str()).map(str::to_string),
            bug: text("bug")?,
            file,
            function: text("function")?,
            body: text("body")?,
            fails,
            timed_out: t
                .get("timed_out")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            name,
        })
    })
}

/// Parses `text`, the TOML file `file`, and reads each of its `[[key]]`
/// tables with `entry` (the variant and the cheat lists).
pub fn each_table<T>(
    text: &str,
    file: &str,
    key: &str,
    entry: impl FnMut(&toml_edit::Table) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{file}: {e}"))?;
    let tables = doc
        .get(key)
        .and_then(|v| v.as_array_of_tables())
        .ok_or(format!("{file}: no [[{key}]] tables"))?;
    tables.iter().map(entry).collect()
}

/// The entries of `all` whose `name` is in `only` (all of them when `only`
/// is empty); an error when none is, naming `what` was asked for.
pub fn named<'a, T>(
    all: &'a [T],
    only: &[String],
    name: impl Fn(&T) -> &String,
    what: &str,
) -> Result<Vec<&'a T>, String> {
    let chosen: Vec<&T> = all
        .iter()
        .filter(|t| only.is_empty() || only.contains(name(t)))
        .collect();
    if chosen.is_empty() {
        return Err(format!("no {what} named {}", only.join(", ")));
    }
    Ok(chosen)
}

/// The strings listed at `key` in `t`, `None` when there is no `key`; the
/// error says what is wrong with the value (for the caller to name its
/// entry).
pub fn string_list(t: &toml_edit::Table, key: &str) -> Result<Option<Vec<String>>, String> {
    let Some(value) = t.get(key) else {
        return Ok(None);
    };
    value
        .as_array()
        .ok_or(format!("`{key}` must be a list"))?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .map(Some)
        .ok_or(format!("`{key}` must list strings"))
}

fn string(t: &toml_edit::Table, key: &str, name: &str) -> Result<String, String> {
    t.get(key)
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or(format!("variant {name}: `{key}` must be a string"))
}

/// The first and last line (the `BEGIN` and `END` markers) of the marked
/// region inside `fn function`.
pub fn region(lines: &[&str], function: &str) -> Result<(usize, usize), String> {
    let is_fn = |l: &str| {
        let t = l.trim_start();
        let t = t.strip_prefix("pub ").unwrap_or(t);
        t.strip_prefix("fn ")
            .and_then(|rest| rest.strip_prefix(function))
            .is_some_and(|rest| rest.starts_with('(') || rest.starts_with('<'))
    };
    let start = lines
        .iter()
        .position(|l| is_fn(l))
        .ok_or(format!("no `fn {function}`"))?;
    let begin = (start..lines.len())
        .find(|&i| lines[i].trim_start().starts_with(BEGIN))
        .ok_or(format!("no solution region in `fn {function}`"))?;
    let end = (begin..lines.len())
        .find(|&i| lines[i].trim_start().starts_with(END))
        .ok_or(format!("the region of `fn {function}` has no end"))?;
    Ok((begin, end))
}

/// `src` with the marked region inside `fn function` replaced by `body`,
/// re-indented to the region's `BEGIN` line.
pub fn apply(src: &str, function: &str, body: &str) -> Result<String, String> {
    let lines: Vec<&str> = src.lines().collect();
    let (begin, end) = region(&lines, function)?;
    let indent = &lines[begin][..lines[begin].len() - lines[begin].trim_start().len()];
    let mut out: Vec<String> = lines[..begin].iter().map(|l| l.to_string()).collect();
    out.extend(dedent(body).lines().map(|l| {
        if l.is_empty() {
            String::new()
        } else {
            format!("{indent}{l}")
        }
    }));
    out.extend(lines[end + 1..].iter().map(|l| l.to_string()));
    Ok(out.join("\n") + "\n")
}

/// `body` without its common leading white space and outer blank lines.
pub fn dedent(body: &str) -> String {
    let body = body.trim_matches('\n');
    let cut = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    body.lines()
        .map(|l| l.get(cut..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the grader said about each named check.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// It earned nothing, timed out or not.
    Failed { timed_out: bool },
    /// It passed: the bug was not caught.
    Passed,
    /// Not among the results at all (or skipped on this host).
    Missing,
}

/// What the grader's typed results say of check `id`
/// (`lab1_rio::readn_every_split`).
pub fn seen(results: &Results, id: &str) -> Seen {
    match results.check(id).map(|c| c.verdict) {
        Some(Verdict::Passed) => Seen::Passed,
        Some(Verdict::Skipped) | None => Seen::Missing,
        Some(v) => Seen::Failed {
            timed_out: v == Verdict::TimedOut,
        },
    }
}

/// Runs the variants named in `only` (all when empty). Prints one line per
/// variant; fails if any bug went uncaught.
pub fn run(root: &Path, only: &[String]) -> Result<(), String> {
    let all = load(&tree::read(&root.join("xtask/variants.toml"))?)?;
    let chosen = named(&all, only, |v| &v.name, "variant")?;
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("variants");
    let copy = base.join("workspace");
    lay_out_copy(root, &copy)?;

    let mut uncaught = Vec::new();
    for v in chosen {
        // every region of the bug, file by file (a file may have several)
        let edits = std::iter::once((&v.file, &v.function, &v.body))
            .chain(v.also.iter().map(|(f, func, body)| (f, func, body)));
        let mut originals: Vec<(String, String)> = Vec::new();
        for (file, function, body) in edits {
            let current = match originals.iter().find(|(f, _)| f == file) {
                Some(_) => tree::read(&copy.join(file))?,
                None => {
                    let original = tree::read(&root.join(file))?;
                    originals.push((file.clone(), original.clone()));
                    original
                }
            };
            let broken = apply(&current, function, body)
                .map_err(|e| format!("variant {}: {file}: {e}", v.name))?;
            tree::write(&copy.join(file), &broken)?;
        }
        let started = Instant::now();
        let output = grade(&copy, &base.join("target"), &v.fails);
        for (file, original) in &originals {
            tree::write(&copy.join(file), original)?;
        }
        let output = output.map_err(|e| format!("variant {}: {e}", v.name))?;
        let secs = started.elapsed().as_secs_f32();

        let mut problems = Vec::new();
        for id in &v.fails {
            match seen(&output.results, id) {
                Seen::Failed { timed_out } if timed_out || !v.timed_out => {}
                Seen::Failed { .. } => problems.push(format!("{id} failed, but did not time out")),
                Seen::Passed => problems.push(format!("{id} passed")),
                Seen::Missing => problems.push(format!("{id} is not in the report")),
            }
        }
        for id in &v.fails {
            let Some(check) = output.results.check(id) else {
                continue;
            };
            let explanation = check.explanation.as_deref().unwrap_or("");
            for text in &v.says {
                if !explanation.contains(text.as_str()) {
                    problems.push(format!("{id} does not say {text:?}"));
                }
            }
            for text in &v.says_not {
                if explanation.contains(text.as_str()) {
                    problems.push(format!("{id} says {text:?}"));
                }
            }
            if let Some(help) = &v.help
                && &check.handout != help
            {
                problems.push(format!("{id} sends to {}, not {help}", check.handout));
            }
        }
        let how = if v.timed_out { "timed out" } else { "failed" };
        if problems.is_empty() {
            println!(
                "✓ {:<38} {how}: {} ({secs:.1} s)",
                v.name,
                v.fails.join(", ")
            );
        } else {
            println!("✗ {:<38} {} ({secs:.1} s)", v.name, problems.join("; "));
            println!("  the grader's output:\n{}", indent(&output.text));
            uncaught.push(v.name.clone());
        }
    }
    if uncaught.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "bugs the grader did not catch: {}",
            uncaught.join(", ")
        ))
    }
}

/// A fresh copy of the lab crates and the grader, with a workspace manifest
/// that names only them. Its `target` is kept between runs.
pub fn lay_out_copy(root: &Path, copy: &Path) -> Result<(), String> {
    for dir in ["crates", "grader"] {
        let _ = std::fs::remove_dir_all(copy.join(dir));
        tree::copy(root, copy, dir)?;
    }
    tree::copy(root, copy, "Cargo.lock")?;
    let manifest = tree::workspace_manifest(&tree::read(&root.join("Cargo.toml"))?, |p| {
        copy.join(p).exists()
    })?;
    tree::write(&copy.join("Cargo.toml"), &manifest)
}

/// `cargo run -p grader -- --check ID …` in `dir`, in `target`: its exit
/// status and its stdout and stderr.
/// Grade with the grader's `portable` feature (macOS's containment, on
/// Linux): `--portable` among the arguments of `variants` or `cheats`.
static PORTABLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Was `--portable` given?
pub fn portable() -> bool {
    PORTABLE.load(std::sync::atomic::Ordering::Relaxed)
}

/// The arguments but `--portable`, which it notes for [`run_grader`].
pub fn take_portable(args: &[&str]) -> Vec<String> {
    let portable = args.contains(&"--portable");
    PORTABLE.store(portable, std::sync::atomic::Ordering::Relaxed);
    args.iter()
        .filter(|a| **a != "--portable")
        .map(|a| a.to_string())
        .collect()
}

/// What one run of the grader gave.
pub struct Ran {
    /// Its exit status (0 full marks, 1 not, anything else: it did not run).
    pub code: Option<i32>,
    /// What it printed, for people.
    pub text: String,
    /// Its typed results (`--json`), when it got as far as writing them.
    pub results: Option<Results>,
}

/// `cargo run -p grader -- --json FILE --check ID …` in `dir`, in `target`;
/// with `--bin held-back` where `dir` has the instructor's held-back checks
/// (every check of `grader`, and those), so a variant can name them too.
pub fn run_grader(dir: &Path, target: &Path, checks: &[String]) -> Result<Ran, String> {
    let json = target.join("xtask-grader-results.json");
    let _ = std::fs::remove_file(&json);
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        // That target directory is this copy's alone (one copy, one path).
        .env(grader_sandbox::isolation::TARGET_DIR_OWNER_ENV, dir)
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["run", "-q", "-p", "grader"]);
    if dir.join(grader_sandbox::submission::HELD_BACK_DIR).is_dir() {
        cmd.args(["--bin", "held-back"]);
    }
    if PORTABLE.load(std::sync::atomic::Ordering::Relaxed) {
        cmd.args(["--features", "portable"]);
    }
    cmd.arg("--").arg("--json").arg(&json);
    for id in checks {
        cmd.args(["--check", id]);
    }
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let results = Results::read(&json).ok();
    Ok(Ran {
        code: out.status.code(),
        text,
        results,
    })
}

/// What a variant's grading gave: the typed results, and the words for
/// the message when a bug goes uncaught.
struct Graded {
    results: Results,
    text: String,
}

/// [`run_grader`], which must end with its results.
fn grade(dir: &Path, target: &Path, checks: &[String]) -> Result<Graded, String> {
    let ran = run_grader(dir, target, checks)?;
    // Exit 1 is "not full marks", which is what we want; anything else
    // (2: bad options, 101: the build failed) is a broken variant.
    match (ran.code, ran.results) {
        (Some(0 | 1), Some(results)) => Ok(Graded {
            results,
            text: ran.text,
        }),
        _ => Err(format!("the grader did not run:\n{}", indent(&ran.text))),
    }
}

/// `text`, each line indented by four spaces.
pub fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const SRC: &str = "\
/// Doc.
pub fn readn<R: Read>(r: &mut R) -> usize {
    // BEGIN SOLUTION: lab 1 step 1 (readn)
    good()
    // END SOLUTION
}

fn other() {
    // BEGIN SOLUTION: lab 1 step 2 (writen)
    keep()
    // END SOLUTION
}
";

    #[test]
    fn replaces_the_region_of_the_named_function() {
        let out = apply(SRC, "readn", "\n    let _ = r;\n    loop {}\n").unwrap();
        assert!(
            out.contains("-> usize {\n    let _ = r;\n    loop {}\n}\n"),
            "{out}"
        );
        assert!(!out.contains("good()"));
        assert!(out.contains("keep()"), "other regions stay");
    }

    #[test]
    fn unknown_function_is_an_error() {
        assert!(apply(SRC, "read", "x").is_err());
        assert!(apply(SRC, "nothing", "x").is_err());
    }

    /// A results file as the grader writes it, with these verdicts.
    pub(crate) fn results(verdicts: &[(&str, Verdict)]) -> Results {
        let checks = verdicts
            .iter()
            .map(|&(id, verdict)| grader_sandbox::protocol::CheckResult {
                id: id.to_string(),
                lab: 1,
                step: 1,
                step_title: "readn".into(),
                handout: "labs/src/lab1-rio.md#step-1-readn".into(),
                score: u32::from(verdict == Verdict::Passed),
                max_score: 1,
                verdict,
                skip_reason: None,
                explanation: None,
                visibility: Default::default(),
            })
            .collect();
        Results {
            version: grader_sandbox::protocol::RESULTS_VERSION,
            score: 0,
            max_score: 0,
            checks,
            seed: 0,
        }
    }

    #[test]
    fn loads_more_regions_and_what_the_report_must_say() {
        let text = r#"
[[variant]]
name = "two"
bug = "b"
file = "a.rs"
function = "f"
fails = ["lab1_rio::x"]
says = ["seen"]
says_not = ["unseen"]
body = "1"

[[variant.also]]
function = "g"
body = "2"

[[variant.also]]
file = "b.rs"
function = "h"
body = "3"
"#;
        let v = &load(text).unwrap()[0];
        assert_eq!(
            v.also,
            vec![
                ("a.rs".to_string(), "g".to_string(), "2".to_string()),
                ("b.rs".to_string(), "h".to_string(), "3".to_string()),
            ]
        );
        assert_eq!(v.says, vec!["seen"]);
        assert_eq!(v.says_not, vec!["unseen"]);
        assert_eq!(v.help, None);
        // and the real list parses
        let real = load(include_str!("../variants.toml")).unwrap();
        assert!(real.iter().any(|v| !v.also.is_empty()));
    }

    #[test]
    fn reads_the_results() {
        let r = results(&[
            ("lab1_rio::readn_eof", Verdict::TimedOut),
            ("lab1_rio::readn_every_split", Verdict::Passed),
            ("lab1_rio::readn_short", Verdict::Panicked),
            ("lab1_rio::readn_v6", Verdict::Skipped),
        ]);
        assert_eq!(
            seen(&r, "lab1_rio::readn_eof"),
            Seen::Failed { timed_out: true }
        );
        assert_eq!(seen(&r, "lab1_rio::readn_every_split"), Seen::Passed);
        assert_eq!(
            seen(&r, "lab1_rio::readn_short"),
            Seen::Failed { timed_out: false }
        );
        assert_eq!(seen(&r, "lab1_rio::readn_v6"), Seen::Missing);
        assert_eq!(seen(&r, "lab1_rio::nothing"), Seen::Missing);
    }

    #[test]
    fn the_catalogue_parses_and_every_body_applies() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = tree::read(&root.join("xtask/variants.toml")).unwrap();
        let variants = load(&text).unwrap();
        assert!(variants.len() >= 10);
        for v in variants {
            let src = tree::read(&root.join(&v.file)).unwrap();
            apply(&src, &v.function, &v.body).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        }
    }
}
