//! The check that no solution line is left in the starter.
//!
//! It does not trust the code that wrote the starter: it reads the
//! reference's marked regions again (any line containing `BEGIN SOLUTION`
//! up to the next containing `END SOLUTION`) and looks for each of their
//! lines in every file of the starter's `crates/`. A line that also appears
//! outside the regions in the reference (a `use`, a closing brace) reveals
//! nothing and is not counted, nor are lines too short to give anything
//! away. Any marker text left in the starter is a leak too: it would mean a
//! region was not recognised.

use std::collections::HashSet;
use std::path::Path;

use crate::tree;

/// Lines that give nothing away, even when they come from a solution.
const TRIVIAL: &[&str] = &[
    "Ok(())",
    "break;",
    "continue;",
    "} else {",
    "else {",
    "loop {",
    "};",
    "})",
];

/// The reference's lines, trimmed: inside marked regions and outside them.
#[derive(Debug, Default)]
pub struct Lines {
    /// Lines between the markers.
    pub solution: HashSet<String>,
    /// Every other line.
    pub kept: HashSet<String>,
}

impl Lines {
    /// Sorts the lines of one reference file.
    pub fn add_file(&mut self, text: &str) {
        let mut inside = false;
        for line in text.lines() {
            let t = line.trim();
            if t.contains("BEGIN SOLUTION") {
                inside = true;
            } else if t.contains("END SOLUTION") {
                inside = false;
            } else if inside {
                self.solution.insert(t.to_string());
            } else {
                self.kept.insert(t.to_string());
            }
        }
    }

    /// Would `line` of the starter show part of a solution?
    pub fn leaks(&self, line: &str) -> bool {
        let t = line.trim();
        !is_trivial(t) && self.solution.contains(t) && !self.kept.contains(t)
    }
}

fn is_trivial(t: &str) -> bool {
    t.len() <= 6 || !t.chars().any(char::is_alphanumeric) || TRIVIAL.contains(&t)
}

/// Every leak in the starter, as `path:line: text`, compared with the `.rs`
/// files of `reference`'s `crates/`: solution lines in `crates/` and in the
/// handouts (`labs/`), marker text in `crates/` (the handouts may talk about
/// markers). Empty when the starter is clean.
pub fn find(reference: &Path, starter: &Path) -> Result<Vec<String>, String> {
    let mut lines = Lines::default();
    for file in tree::files(&reference.join("crates"))? {
        if file.extension().is_some_and(|e| e == "rs") {
            lines.add_file(&tree::read(&file)?);
        }
    }
    let mut leaks = Vec::new();
    for (dir, markers_too) in [("crates", true), ("labs", false)] {
        let files = tree::files(&starter.join(dir))?;
        if dir == "crates" && files.is_empty() {
            return Err(format!(
                "no file under {}: nothing to check",
                starter.join(dir).display()
            ));
        }
        for file in files {
            // not text: no source line
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let shown = file.strip_prefix(starter).unwrap_or(&file).display();
            for (n, line) in text.lines().enumerate() {
                let what = if markers_too && is_marker(line) {
                    "marker text left"
                } else if lines.leaks(line) {
                    "solution line left"
                } else {
                    continue;
                };
                leaks.push(format!("{shown}:{}: {what}: {}", n + 1, line.trim()));
            }
        }
    }
    Ok(leaks)
}

fn is_marker(line: &str) -> bool {
    line.contains("SOLUTION") && (line.contains("BEGIN") || line.contains("END"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> Lines {
        let mut l = Lines::default();
        l.add_file(
            "use std::io;\nfn f() -> io::Result<()> {\n    // BEGIN SOLUTION: lab 1 step 1\n    let mut nread = 0;\n    use std::io;\n    // 0: EOF\n    Ok(())\n    }\n    // END SOLUTION\n}\n",
        );
        l
    }

    #[test]
    fn find_reports_leaks_by_file_and_line() {
        // The starter under a `target/`, as .ci/starter-check writes it.
        let tmp = std::env::temp_dir().join(format!("xtask-leaks-{}", std::process::id()));
        let (reference, starter) = (tmp.join("ref"), tmp.join("target/starter"));
        let lib = "crates/x/src/lib.rs";
        let marked = "fn f() -> u32 {\n    // BEGIN SOLUTION: lab 1 step 1\n    let secret = 42;\n    secret\n    // END SOLUTION\n}\n";
        tree::write(&reference.join(lib), marked).unwrap();
        tree::write(
            &starter.join(lib),
            "fn f() -> u32 {\n    let secret = 42;\n    todo!()\n}\n",
        )
        .unwrap();
        tree::write(&starter.join("labs/src/x.md"), "// END SOLUTION\nsecret\n").unwrap();
        let found = find(&reference, &starter);
        std::fs::remove_dir_all(&tmp).unwrap();
        assert_eq!(
            found.unwrap(),
            vec!["crates/x/src/lib.rs:2: solution line left: let secret = 42;"]
        );
    }

    #[test]
    fn solution_lines_leak_wherever_they_appear() {
        let l = reference();
        assert!(l.leaks("let mut nread = 0;"));
        assert!(l.leaks("        let mut nread = 0;  "));
        assert!(l.leaks("// 0: EOF"));
    }

    #[test]
    fn lines_also_outside_the_regions_or_trivial_do_not() {
        let l = reference();
        assert!(!l.leaks("use std::io;"));
        assert!(!l.leaks("Ok(())"));
        assert!(!l.leaks("    }"));
        assert!(!l.leaks("todo!(\"lab 1 step 1: readn\")"));
    }
}
