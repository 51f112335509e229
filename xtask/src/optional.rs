//! `--without-lab 5`: a starter for a course that stops at lab 4.
//!
//! Lab 5 (concurrent servers) is the one optional lab. Leaving it out of a
//! starter removes its two crates, its grader checks and test target, and
//! its handout pages, and turns the grader's `lab5` feature off, so the
//! student repository builds, grades and reads as if lab 5 never was:
//!
//! - files: `crates/echoservert`, `crates/echoservers`,
//!   `grader/src/labs/lab5_concurrency{,.rs}`, `grader/tests/lab5_concurrency.rs`,
//!   `labs/src/lab5-concurrency.md`, `labs/src/lab5/`;
//! - `grader/Cargo.toml`: `lab5` out of the default features, and the
//!   `lab5_concurrency` test target out (its file is gone);
//! - Markdown (the handouts and the README): blocks between
//!   `<!-- lab 5 -->` and `<!-- end lab 5 -->` go, and so do table rows,
//!   list items and layout lines that name a lab 5 crate or page; a link
//!   to a lab 5 page elsewhere keeps its text and loses its target.
//!
//! The workspace manifest needs nothing here: [`crate::tree::workspace_manifest`]
//! already drops the path dependencies whose directory is missing.

use std::fs;
use std::path::Path;

use crate::tree;

/// The only lab a starter may leave out.
pub const OPTIONAL_LAB: u8 = 5;

/// Paths of lab 5, relative to the starter's root.
const PATHS: &[&str] = &[
    "crates/echoservert",
    "crates/echoservers",
    "grader/src/labs/lab5_concurrency",
    "grader/src/labs/lab5_concurrency.rs",
    "grader/tests/lab5_concurrency.rs",
    "labs/src/lab5-concurrency.md",
    "labs/src/lab5",
];

/// Words that make a table row, list item or layout line lab 5's.
const NAMES: &[&str] = &[
    "crates/echoservert",
    "crates/echoservers",
    "lab5-concurrency.md",
    "lab5/",
];

/// Removes lab 5 from the starter written at `out`.
pub fn leave_out_lab5(out: &Path) -> Result<(), String> {
    for rel in PATHS {
        let path = out.join(rel);
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else if path.exists() {
            fs::remove_file(&path)
        } else {
            Ok(())
        };
        removed.map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    let manifest = out.join("grader/Cargo.toml");
    let text = grader_manifest(&tree::read(&manifest)?)?;
    tree::write(&manifest, &text)?;
    let mut pages = tree::files(&out.join("labs/src"))?;
    pages.push(out.join("README.md"));
    for page in pages {
        if page.extension().is_some_and(|e| e == "md") && page.is_file() {
            let text = tree::read(&page)?;
            let kept = markdown(&text);
            if kept != text {
                tree::write(&page, &kept)?;
            }
        }
    }
    Ok(())
}

/// The grader's manifest without lab 5: `lab5` no longer a default
/// feature (it stays declared, so `cfg(feature = "lab5")` is known), and no
/// `lab5_concurrency` test target.
pub fn grader_manifest(text: &str) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!("grader/Cargo.toml: {e}"))?;
    if let Some(default) = doc
        .get_mut("features")
        .and_then(|f| f.get_mut("default"))
        .and_then(|d| d.as_array_mut())
    {
        default.retain(|f| f.as_str() != Some("lab5"));
    }
    if let Some(tests) = doc.get_mut("test").and_then(|t| t.as_array_of_tables_mut()) {
        tests.retain(|t| t.get("name").and_then(|n| n.as_str()) != Some("lab5_concurrency"));
    }
    Ok(doc.to_string())
}

/// A page without lab 5 (see the module docs).
pub fn markdown(text: &str) -> String {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t == "<!-- lab 5 -->" {
            inside = true;
            continue;
        }
        if t == "<!-- end lab 5 -->" {
            inside = false;
            continue;
        }
        let listing = t.starts_with('|') || t.starts_with("- ") || t.starts_with("crates/");
        if inside || (listing && NAMES.iter().any(|n| t.contains(n))) {
            continue;
        }
        out.push(unlink_lab5(line));
    }
    out.concat()
}

/// `[lab 5](lab5-concurrency.md)` → `lab 5`, for every link to a lab 5 page.
fn unlink_lab5(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open..];
        let link = after.find("](").and_then(|mid| {
            let close = after[mid..].find(')')? + mid;
            Some((mid, close))
        });
        match link {
            Some((mid, close)) if after[mid + 2..close].contains("lab5") => {
                out.push_str(&rest[..open]);
                out.push_str(&after[1..mid]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push_str(&rest[..open + 1]);
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab5_blocks_rows_and_links_go() {
        let page = "# Intro\n| 4 | x | [lab 4](lab4.md) |\n| 5 | y | [lab 5](lab5-concurrency.md) |\n<!-- lab 5 -->\nall about lab 5\n<!-- end lab 5 -->\nsee [lab 5](../lab5-concurrency.md#step-1) and [lab 4](lab4.md).\n- [Lab 5](lab5-concurrency.md)\n  - [Threads](lab5/threads.md)\ncrates/echoservert/   lab 5\n";
        assert_eq!(
            markdown(page),
            "# Intro\n| 4 | x | [lab 4](lab4.md) |\nsee lab 5 and [lab 4](lab4.md).\n"
        );
    }

    #[test]
    fn the_grader_loses_its_lab5_feature_and_target() {
        let manifest = "[package]\nname = \"grader\"\n\n[[test]]\nname = \"lab4_echoclient\"\nharness = false\n\n[features]\ndefault = [\"lab5\"]\nlab5 = []\n\n[[test]]\nname = \"lab5_concurrency\"\nharness = false\nrequired-features = [\"lab5\"]\n";
        let kept = grader_manifest(manifest).unwrap();
        assert!(kept.contains("default = []"), "{kept}");
        assert!(kept.contains("lab5 = []"), "{kept}");
        assert!(kept.contains("lab4_echoclient"), "{kept}");
        assert!(!kept.contains("lab5_concurrency"), "{kept}");
    }
}
