//! `cargo xtask cheats`: proves that what a student might try to get points
//! without the work earns nothing and leaves nothing running.
//!
//! `xtask/cheats.toml` lists the cheats. Each is put into a copy of the
//! reference (the code around it is correct, so whatever it earns it earns
//! by cheating), graded with `cargo run -p grader -- --check …` on the
//! checks it targets, and judged: every targeted check scores nothing (or
//! times out, or the build refuses it, as the cheat says), the run ends with
//! its report, and no process is left. That last part is checked from here:
//! this process makes itself a child subreaper, so anything that escaped the
//! grader's containment would be reparented to us, and is found, named and
//! killed.

use grader_sandbox::protocol::{Results, Verdict};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::tree;
use crate::variants;

/// How a cheat must end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Every targeted check fails.
    Zero,
    /// Every targeted check is killed at its deadline.
    TimedOut,
    /// The build fails on the lab crates' `unsafe` rule.
    CompileError,
}

/// One change to a file of the copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// `code` before the marked region of `function`.
    Prefix {
        /// File, relative to the workspace.
        file: String,
        /// The function.
        function: String,
        /// Statements.
        code: String,
    },
    /// The marked region of `function` replaced by `body`.
    Body {
        /// File, relative to the workspace.
        file: String,
        /// The function.
        function: String,
        /// The new body.
        body: String,
    },
    /// Items added at the end of `file`.
    Append {
        /// File, relative to the workspace.
        file: String,
        /// Items.
        code: String,
    },
}

/// One cheat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cheat {
    /// Short name.
    pub name: String,
    /// What it tries, in words.
    pub what: String,
    /// Check ids, or their beginnings, that must earn nothing.
    pub zero: Vec<String>,
    /// How it must end.
    pub expect: Expect,
    /// A crate whose `unsafe_code = "forbid"` is lifted in the copy.
    pub lift_forbid: Option<String>,
    /// The changes.
    pub edits: Vec<Edit>,
    /// Why it is not run with `--portable`, when it is not.
    pub not_portable: Option<String>,
}

/// Reads the cheat list.
pub fn load(text: &str) -> Result<Vec<Cheat>, String> {
    variants::each_table(text, "cheats.toml", "cheat", cheat)
}

fn cheat(t: &toml_edit::Table) -> Result<Cheat, String> {
    let name = t
        .get("name")
        .and_then(|v| v.as_str())
        .ok_or("cheats.toml: a cheat without a name")?
        .to_string();
    let err = |what: &str| format!("cheat {name}: {what}");
    let zero = variants::string_list(t, "zero")
        .and_then(|list| list.ok_or("`zero` must be a list".to_string()))
        .map_err(|e| err(&e))?;
    if zero.is_empty() {
        return Err(err("`zero` names no check"));
    }
    let expect = match t.get("expect").and_then(|v| v.as_str()) {
        None | Some("zero") => Expect::Zero,
        Some("timed_out") => Expect::TimedOut,
        Some("compile_error") => Expect::CompileError,
        Some(other) => return Err(err(&format!("unknown expect {other:?}"))),
    };
    let not_portable = t
        .get("not_portable")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let mut edits = Vec::new();
    for (key, kind) in [("edit", "edit"), ("append", "append")] {
        let Some(list) = t.get(key) else { continue };
        let list = list
            .as_array()
            .ok_or(err(&format!("`{key}` must be a list of tables")))?;
        for item in list.iter() {
            let item = item
                .as_inline_table()
                .ok_or(err(&format!("`{key}` must be a list of tables")))?;
            let field = |f: &str| item.get(f).and_then(|v| v.as_str()).map(str::to_string);
            let file = field("file").ok_or(err("an edit without `file`"))?;
            let edit = match (kind, field("function"), field("code"), field("body")) {
                ("append", None, Some(code), None) => Edit::Append { file, code },
                ("edit", Some(function), Some(code), None) => Edit::Prefix {
                    file,
                    function,
                    code,
                },
                ("edit", Some(function), None, Some(body)) => Edit::Body {
                    file,
                    function,
                    body,
                },
                _ => {
                    return Err(err(
                        "an edit needs `function` and one of `code`, `body`; an append, `code`",
                    ));
                }
            };
            edits.push(edit);
        }
    }
    if edits.is_empty() {
        return Err(err("no `edit` or `append`"));
    }
    Ok(Cheat {
        what: t
            .get("what")
            .and_then(|v| v.as_str())
            .ok_or(err("`what` must say what it tries"))?
            .to_string(),
        zero,
        expect,
        lift_forbid: t
            .get("lift_forbid")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        edits,
        not_portable,
        name,
    })
}

/// `src` with `code` put just before the marked region of `function`,
/// indented like it.
pub fn prefix(src: &str, function: &str, code: &str) -> Result<String, String> {
    let lines: Vec<&str> = src.lines().collect();
    let (begin, _) = variants::region(&lines, function)?;
    let indent = &lines[begin][..lines[begin].len() - lines[begin].trim_start().len()];
    let mut out: Vec<String> = lines[..begin].iter().map(|l| l.to_string()).collect();
    out.extend(variants::dedent(code).lines().map(|l| {
        if l.is_empty() {
            String::new()
        } else {
            format!("{indent}{l}")
        }
    }));
    out.extend(lines[begin..].iter().map(|l| l.to_string()));
    Ok(out.join("\n") + "\n")
}

/// Runs the cheats named in `only` (all when empty); fails if any earned
/// something, or left a process.
pub fn run(root: &Path, only: &[String]) -> Result<(), String> {
    let all = load(&tree::read(&root.join("xtask/cheats.toml"))?)?;
    let chosen = variants::named(&all, only, |c| &c.name, "cheat")?;
    // Whatever escapes the grader comes to us.
    grader_sandbox::sys::become_subreaper();
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("cheats");
    let copy = base.join("workspace");
    let mut failed = Vec::new();
    for c in chosen {
        if let (true, Some(why)) = (variants::portable(), &c.not_portable) {
            println!("- {:<30} not run with --portable: {why}", c.name);
            continue;
        }
        // A fresh copy each time: a cheat may edit several files.
        variants::lay_out_copy(root, &copy)?;
        let started = Instant::now();
        let problems = match try_cheat(c, &copy, &base.join("target")) {
            Ok(p) => p,
            Err(e) => vec![e],
        };
        let secs = started.elapsed().as_secs_f32();
        if problems.is_empty() {
            println!(
                "✓ {:<30} earned nothing, left nothing ({secs:.1} s)",
                c.name
            );
        } else {
            println!("✗ {:<30} {} ({secs:.1} s)", c.name, problems.join("; "));
            failed.push(c.name.clone());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("cheats that got something: {}", failed.join(", ")))
    }
}

fn try_cheat(c: &Cheat, copy: &Path, target: &Path) -> Result<Vec<String>, String> {
    for edit in &c.edits {
        let (file, text) = match edit {
            Edit::Prefix {
                file,
                function,
                code,
            } => (
                file,
                prefix(&tree::read(&copy.join(file))?, function, code)?,
            ),
            Edit::Body {
                file,
                function,
                body,
            } => (
                file,
                variants::apply(&tree::read(&copy.join(file))?, function, body)?,
            ),
            Edit::Append { file, code } => {
                (file, format!("{}\n{code}\n", tree::read(&copy.join(file))?))
            }
        };
        tree::write(&copy.join(file), &text)?;
    }
    if let Some(krate) = &c.lift_forbid {
        let manifest = copy.join(krate).join("Cargo.toml");
        let text = tree::read(&manifest)?;
        if !text.contains("unsafe_code = \"forbid\"") {
            return Err(format!("{krate}/Cargo.toml does not forbid unsafe_code"));
        }
        tree::write(
            &manifest,
            &text.replace("unsafe_code = \"forbid\"", "unsafe_code = \"allow\""),
        )?;
    }
    let out = grade(copy, target, &c.zero)?;
    let mut problems = Vec::new();
    match c.expect {
        Expect::CompileError => {
            if out.code != Some(101) || !out.text.contains("-F unsafe-code") {
                problems.push(format!(
                    "the build did not refuse it on the `unsafe` rule (exit {:?}):\n{}",
                    out.code,
                    indent(&out.text)
                ));
            }
        }
        Expect::Zero | Expect::TimedOut => {
            if !matches!(out.code, Some(0 | 1)) {
                problems.push(format!(
                    "the grader did not end with its report (exit {:?}):\n{}",
                    out.code,
                    indent(&out.text)
                ));
            } else {
                match &out.results {
                    Some(results) => {
                        problems.extend(judge_results(results, c.expect == Expect::TimedOut))
                    }
                    None => problems.push(format!(
                        "the grader wrote no results:\n{}",
                        indent(&out.text)
                    )),
                }
            }
        }
    }
    let left = grader_sandbox::procs::sweep_descendants(&[], Duration::from_secs(3));
    if left.killed > 0 {
        problems.push(format!(
            "{} processes escaped the grader ({}) and came to us; killed",
            left.killed,
            left.names.join(", ")
        ));
    }
    Ok(problems)
}

/// Problems in the grader's typed results: any check that earned points,
/// or (for `timed_out`) failed otherwise than at its deadline; no check at
/// all.
pub fn judge_results(results: &Results, timed_out: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let ran: Vec<_> = results
        .checks
        .iter()
        .filter(|c| c.verdict != Verdict::Skipped)
        .collect();
    for c in &ran {
        if c.verdict == Verdict::Passed || c.score > 0 {
            problems.push(format!("{} passed", c.id));
        } else if timed_out && c.verdict != Verdict::TimedOut {
            problems.push(format!("{} failed, but not at its deadline", c.id));
        }
    }
    if ran.is_empty() {
        problems.push("no check in the results".to_string());
    }
    problems
}

fn grade(dir: &Path, target: &Path, checks: &[String]) -> Result<variants::Ran, String> {
    variants::run_grader(dir, target, checks)
}

/// The first 60 lines of `text`, indented.
fn indent(text: &str) -> String {
    let head: Vec<&str> = text.lines().take(60).collect();
    variants::indent(&head.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "\
pub fn readn(r: &mut R) -> usize {
    // BEGIN SOLUTION: lab 1 step 1 (readn)
    good()
    // END SOLUTION
}
";

    #[test]
    fn code_goes_before_the_region() {
        let out = prefix(SRC, "readn", "std::process::exit(0);").unwrap();
        assert_eq!(
            out,
            "pub fn readn(r: &mut R) -> usize {\n    std::process::exit(0);\n    // BEGIN SOLUTION: lab 1 step 1 (readn)\n    good()\n    // END SOLUTION\n}\n"
        );
    }

    #[test]
    fn the_results_are_judged() {
        use crate::variants::tests::results;
        let r = results(&[
            ("lab1_rio::readn_eof", Verdict::EndedEarly),
            ("lab1_rio::readn_every_split", Verdict::Passed),
        ]);
        assert_eq!(
            judge_results(&r, false),
            vec!["lab1_rio::readn_every_split passed"]
        );
        let r = results(&[("lab1_rio::readn_eof", Verdict::TimedOut)]);
        assert!(judge_results(&r, true).is_empty());
        let r = results(&[("lab1_rio::readn_eof", Verdict::Failed)]);
        assert_eq!(judge_results(&r, true).len(), 1);
        assert!(!judge_results(&results(&[]), false).is_empty());
    }

    /// The first wall holds for every lab crate, a new one too: each
    /// manifest forbids `unsafe_code` (and so `no_mangle` and friends).
    #[test]
    fn every_lab_crate_forbids_unsafe() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut seen = 0;
        for entry in std::fs::read_dir(root.join("crates")).unwrap() {
            let manifest = entry.unwrap().path().join("Cargo.toml");
            let doc: toml_edit::DocumentMut = tree::read(&manifest).unwrap().parse().unwrap();
            let level = doc
                .get("lints")
                .and_then(|l| l.get("rust"))
                .and_then(|r| r.get("unsafe_code"))
                .and_then(|v| v.as_str());
            assert_eq!(
                level,
                Some("forbid"),
                "{} must set [lints.rust] unsafe_code = \"forbid\"",
                manifest.display()
            );
            seen += 1;
        }
        assert!(seen >= 4);
    }

    #[test]
    fn the_list_parses_and_every_edit_applies() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let cheats = load(&tree::read(&root.join("xtask/cheats.toml")).unwrap()).unwrap();
        assert!(cheats.len() >= 10);
        for c in cheats {
            for e in &c.edits {
                match e {
                    Edit::Prefix {
                        file,
                        function,
                        code,
                    } => {
                        prefix(&tree::read(&root.join(file)).unwrap(), function, code)
                            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
                    }
                    Edit::Body {
                        file,
                        function,
                        body,
                    } => {
                        variants::apply(&tree::read(&root.join(file)).unwrap(), function, body)
                            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
                    }
                    Edit::Append { .. } => {}
                }
            }
        }
    }
}
