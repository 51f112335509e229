//! What a `cargo build` said: where its executables went (from its JSON
//! messages) and the compiler's first error (from its rendered output).
//!
//! Official grading reads both after the submission's build, and the
//! grader reads them after its own; one reader keeps them agreeing on what
//! "built" and "the first error" mean.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What one `cargo build --message-format=json-render-diagnostics` produced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Built {
    /// Binary name → executable, for every binary built or found fresh.
    pub executables: Vec<(String, PathBuf)>,
    /// Why a binary is missing: the compiler's first error, or cargo's
    /// last words ([`first_error`]).
    pub error: String,
}

impl Built {
    /// Reads cargo's JSON messages (`stdout`) and rendered output (`stderr`).
    pub fn from_output(stdout: &str, stderr: &str) -> Built {
        Built {
            executables: artifacts(stdout),
            error: first_error(stderr),
        }
    }

    /// The executable of binary `bin`, or why there is none.
    pub fn path(&self, bin: &str) -> Result<PathBuf, String> {
        self.executables
            .iter()
            .find(|(name, _)| name == bin)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| self.error.clone())
    }

    /// Reads a [`Built`] written by [`Built::write`].
    pub fn read(path: &Path) -> Result<Built, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Writes it whole to `path`.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string(self).map_err(|e| e.to_string())?;
        crate::files::write_whole(path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// Every executable in cargo's JSON messages, by target name, in order
/// (built now, or found up to date for these sources).
pub fn artifacts(messages: &str) -> Vec<(String, PathBuf)> {
    messages
        .lines()
        .filter_map(|line| {
            let msg: serde_json::Value = serde_json::from_str(line).ok()?;
            if msg["reason"] != "compiler-artifact" {
                return None;
            }
            let name = msg["target"]["name"].as_str()?;
            let exe = msg["executable"].as_str()?;
            Some((name.to_string(), PathBuf::from(exe)))
        })
        .collect()
}

/// The executable of binary `name` in cargo's JSON messages, if any.
pub fn executable(messages: &str, name: &str) -> Option<PathBuf> {
    artifacts(messages)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p)
}

/// The manifests of the packages cargo compiled anew (not found fresh) in
/// its JSON messages: official grading's proof that building the held-back
/// checks compiled nothing of the submission again.
pub fn compiled_anew(messages: &str) -> Vec<PathBuf> {
    messages
        .lines()
        .filter_map(|line| {
            let msg: serde_json::Value = serde_json::from_str(line).ok()?;
            if msg["reason"] != "compiler-artifact" || msg["fresh"] != false {
                return None;
            }
            msg["manifest_path"].as_str().map(PathBuf::from)
        })
        .collect()
}

/// Up to `most` lines of cargo's output from the compiler's first error
/// on; `None` when no line starts with `error`.
pub fn first_error_lines(text: &str, most: usize) -> Option<Vec<&str>> {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| l.starts_with("error"))?;
    Some(lines[first..lines.len().min(first + most)].to_vec())
}

/// The compiler's first error in cargo's output (what to fix), else its
/// last lines, as one indented block for a check's failure.
pub fn first_error(text: &str) -> String {
    match first_error_lines(text, 12) {
        Some(first) => format!(
            "`cargo build` failed:\n        {}",
            first.join("\n        ")
        ),
        None => {
            let tail: Vec<&str> = text.lines().rev().take(6).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("`cargo build` failed: {}", tail.join("\n        "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_are_read_from_the_messages() {
        let msgs = concat!(
            r#"{"reason":"compiler-artifact","target":{"name":"rio"},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"name":"grader"},"executable":"/t/debug/grader"}"#,
            "\nnot json\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            artifacts(msgs),
            vec![("grader".to_string(), PathBuf::from("/t/debug/grader"))]
        );
        assert_eq!(executable(msgs, "rio"), None);
        let anew = concat!(
            r#"{"reason":"compiler-artifact","fresh":true,"manifest_path":"/w/crates/rio/Cargo.toml","target":{"name":"rio"}}"#,
            "\n",
            r#"{"reason":"compiler-artifact","fresh":false,"manifest_path":"/w/grader/Cargo.toml","target":{"name":"held-back"}}"#,
        );
        assert_eq!(
            compiled_anew(anew),
            vec![PathBuf::from("/w/grader/Cargo.toml")]
        );
        let built = Built::from_output(msgs, "error: oops\n");
        assert!(
            built
                .path("echoserver")
                .unwrap_err()
                .contains("error: oops")
        );
    }

    #[test]
    fn compiler_errors_are_kept() {
        let text = "   Compiling rio\nerror[E0308]: mismatched types\n --> src/lib.rs:1:1\n";
        let e = first_error(text);
        assert!(e.contains("error[E0308]: mismatched types"), "{e}");
        assert_eq!(first_error_lines(text, 1).unwrap().len(), 1);
        assert!(first_error("warning: x\n").contains("warning: x"));
    }
}
