//! `--without-lab N`: a starter for a course that leaves out an optional lab.
//!
//! Which labs may go, and what each is made of, is the grader's table of
//! labs ([`grader::labs::LABS`]: today lab 5, concurrent servers). Leaving
//! one out of a starter removes its crates, its grader checks and test
//! target, and its handout pages, and turns the grader's `labN` feature
//! off, so the student repository builds, grades and reads as if that lab
//! never was:
//!
//! - files: `crates/<each crate>`, `grader/src/labs/<slug>{,.rs}`,
//!   `grader/tests/<slug>.rs`, its page and the folder of its sub-pages
//!   (`labs/src/labN/`);
//! - `grader/Cargo.toml`: `labN` out of the default features, and the
//!   `<slug>` test target out (its file is gone);
//! - Markdown (the handouts and the README): blocks between
//!   `<!-- lab N -->` and `<!-- end lab N -->` go, and so do table rows,
//!   list items and layout lines that name one of its crates or pages; a
//!   link to one of its pages elsewhere keeps its text and loses its target.
//!
//! The workspace manifest needs nothing here: [`crate::tree::workspace_manifest`]
//! already drops the path dependencies whose directory is missing.

use std::fs;
use std::path::Path;

use grader::labs::{LABS, Lab};

use crate::tree;

/// The lab numbered `n`, if the table says a course may leave it out.
pub fn optional_lab(n: u8) -> Option<&'static Lab> {
    LABS.iter().find(|l| l.number == n && l.optional)
}

/// The numbers of the labs a course may leave out, for messages.
pub fn optional_numbers() -> Vec<u8> {
    LABS.iter()
        .filter(|l| l.optional)
        .map(|l| l.number)
        .collect()
}

/// The file name of `lab`'s page (`lab5-concurrency.md`).
fn page_name(lab: &Lab) -> &'static str {
    lab.page.rsplit('/').next().unwrap_or(lab.page)
}

/// Paths of `lab`, relative to the starter's root.
fn paths(lab: &Lab) -> Vec<String> {
    let mut paths: Vec<String> = lab.crates.iter().map(|c| format!("crates/{c}")).collect();
    paths.push(format!("grader/src/labs/{}", lab.slug));
    paths.push(format!("grader/src/labs/{}.rs", lab.slug));
    paths.push(format!("grader/tests/{}.rs", lab.slug));
    paths.push(lab.page.to_string());
    paths.push(format!("labs/src/lab{}", lab.number));
    paths
}

/// Words that make a table row, list item or layout line `lab`'s.
fn names(lab: &Lab) -> Vec<String> {
    let mut names: Vec<String> = lab.crates.iter().map(|c| format!("crates/{c}")).collect();
    names.push(page_name(lab).to_string());
    names.push(format!("lab{}/", lab.number));
    names
}

/// Removes `lab` from the starter written at `out`.
pub fn leave_out(out: &Path, lab: &Lab) -> Result<(), String> {
    for rel in paths(lab) {
        let path = out.join(&rel);
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
    let text = grader_manifest(&tree::read(&manifest)?, lab)?;
    tree::write(&manifest, &text)?;
    let mut pages = tree::files(&out.join("labs/src"))?;
    pages.push(out.join("README.md"));
    for page in pages {
        if page.extension().is_some_and(|e| e == "md") && page.is_file() {
            let text = tree::read(&page)?;
            let kept = markdown(&text, lab);
            if kept != text {
                tree::write(&page, &kept)?;
            }
        }
    }
    Ok(())
}

/// The grader's manifest without `lab`: its feature `labN` no longer a
/// default (it stays declared, so `cfg(feature = "labN")` is known), and
/// no test target of its.
pub fn grader_manifest(text: &str, lab: &Lab) -> Result<String, String> {
    let feature = format!("lab{}", lab.number);
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!("grader/Cargo.toml: {e}"))?;
    if let Some(default) = doc
        .get_mut("features")
        .and_then(|f| f.get_mut("default"))
        .and_then(|d| d.as_array_mut())
    {
        default.retain(|f| f.as_str() != Some(feature.as_str()));
    }
    if let Some(tests) = doc.get_mut("test").and_then(|t| t.as_array_of_tables_mut()) {
        tests.retain(|t| t.get("name").and_then(|n| n.as_str()) != Some(lab.slug));
    }
    Ok(doc.to_string())
}

/// A page without `lab` (see the module docs).
pub fn markdown(text: &str, lab: &Lab) -> String {
    let (begin, end) = (
        format!("<!-- lab {} -->", lab.number),
        format!("<!-- end lab {} -->", lab.number),
    );
    let names = names(lab);
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t == begin {
            inside = true;
            continue;
        }
        if t == end {
            inside = false;
            continue;
        }
        let listing = t.starts_with('|') || t.starts_with("- ") || t.starts_with("crates/");
        if inside || (listing && names.iter().any(|n| t.contains(n.as_str()))) {
            continue;
        }
        out.push(unlink(line, lab));
    }
    out.concat()
}

/// `[lab 5](lab5-concurrency.md)` → `lab 5`, for every link to one of the
/// lab's pages (its page, or one in its folder of sub-pages).
fn unlink(line: &str, lab: &Lab) -> String {
    let (page, folder) = (page_name(lab), format!("lab{}/", lab.number));
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open..];
        let link = after.find("](").and_then(|mid| {
            let close = after[mid..].find(')')? + mid;
            Some((mid, close))
        });
        match link {
            Some((mid, close))
                if after[mid + 2..close].contains(page)
                    || after[mid + 2..close].contains(folder.as_str()) =>
            {
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

    fn lab5() -> &'static Lab {
        optional_lab(5).expect("lab 5 is optional")
    }

    #[test]
    fn lab5_blocks_rows_and_links_go() {
        let page = "# Intro\n| 4 | x | [lab 4](lab4.md) |\n| 5 | y | [lab 5](lab5-concurrency.md) |\n<!-- lab 5 -->\nall about lab 5\n<!-- end lab 5 -->\nsee [lab 5](../lab5-concurrency.md#step-1) and [lab 4](lab4.md).\n- [Lab 5](lab5-concurrency.md)\n  - [Threads](lab5/threads.md)\ncrates/echoservert/   lab 5\n";
        assert_eq!(
            markdown(page, lab5()),
            "# Intro\n| 4 | x | [lab 4](lab4.md) |\nsee lab 5 and [lab 4](lab4.md).\n"
        );
    }

    #[test]
    fn only_lab5_is_optional() {
        assert_eq!(optional_numbers(), vec![5]);
        assert!(optional_lab(4).is_none());
    }

    #[test]
    fn the_grader_loses_its_lab5_feature_and_target() {
        let manifest = "[package]\nname = \"grader\"\n\n[[test]]\nname = \"lab4_echoclient\"\nharness = false\n\n[features]\ndefault = [\"lab5\"]\nlab5 = []\n\n[[test]]\nname = \"lab5_concurrency\"\nharness = false\nrequired-features = [\"lab5\"]\n";
        let kept = grader_manifest(manifest, lab5()).unwrap();
        assert!(kept.contains("default = []"), "{kept}");
        assert!(kept.contains("lab5 = []"), "{kept}");
        assert!(kept.contains("lab4_echoclient"), "{kept}");
        assert!(!kept.contains("lab5_concurrency"), "{kept}");
    }
}
