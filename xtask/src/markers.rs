//! Solution markers, and the `todo!()` that replaces each marked region.
//!
//! In the reference, the part of a function body that students write sits
//! between two comment lines:
//!
//! ```text
//!     // BEGIN SOLUTION: lab 1 step 1 (readn)
//!     let mut nread = 0;
//!     …
//!     // END SOLUTION
//! ```
//!
//! The starter keeps everything else and puts, at the indentation of the
//! `BEGIN` line, one line that fails with the step's name and handout link:
//!
//! ```text
//!     todo!("lab 1 step 1: readn — see labs/src/lab1-rio.md#step-1-readn")
//! ```
//!
//! The step must be in the grader's table ([`grader::steps::ALL`]), which is
//! where the link comes from; a title in parentheses must match the table's.
//! Anything that looks like a marker but is not one exactly is an error, so a
//! typo cannot leave a solution in the starter.

use grader::steps::Step;

/// The text that opens a marked region.
pub const BEGIN: &str = "// BEGIN SOLUTION";
/// The text that closes a marked region.
pub const END: &str = "// END SOLUTION";

/// The lints that removing bodies sets off in the student's file: parameters,
/// imports, private helpers and fields used only by the removed code. They
/// are allowed for that file only, with a note saying when to delete it.
pub const ALLOW: &[&str] = &[
    "// Starter: the todo!() bodies leave some parameters, imports and helpers unused",
    "// until you write them. Delete this attribute when the lab is done, so that",
    "// the compiler warns you about anything your own code leaves unused.",
    "#![allow(unused_variables, unused_imports, dead_code)]",
];

/// One marked region that was replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// The step the region belongs to.
    pub step: Step,
    /// 1-based line of its `BEGIN` marker in the reference.
    pub line: usize,
    /// How many lines it held between the markers.
    pub lines: usize,
}

/// A source file with its marked regions replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// The new text; equal to the input when nothing was marked.
    pub text: String,
    /// The regions replaced, in file order.
    pub replaced: Vec<Replaced>,
}

/// Replaces every marked region of `src` by a `todo!()` naming its step.
///
/// The `todo!()` is laid out as rustfmt would for lines of at most
/// `max_width` characters, so the starter passes `cargo fmt --check`. When
/// at least one region was replaced, the [`ALLOW`] attribute is put after
/// the file's leading `//!` comment. Errors name the 1-based line.
pub fn strip(src: &str, steps: &[Step], max_width: usize) -> Result<Stripped, String> {
    let lines: Vec<&str> = src.split_inclusive('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut replaced = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        match classify(line) {
            Line::Code => out.push(line.to_string()),
            Line::End => {
                return Err(format!(
                    "line {}: `{END}` without a `{BEGIN}` before it",
                    i + 1
                ));
            }
            Line::Malformed => {
                return Err(format!(
                    "line {}: not a valid marker: {}",
                    i + 1,
                    line.trim()
                ));
            }
            Line::Begin { lab, number, title } => {
                let step = find_step(steps, lab, number, title)
                    .map_err(|e| format!("line {}: {e}", i + 1))?;
                let end = find_end(&lines, i)?;
                let indent = &line[..line.len() - line.trim_start().len()];
                let tail = next_code_closes_block(&lines[end + 1..]);
                let eol = if line.ends_with("\r\n") { "\r\n" } else { "\n" };
                let semi = if tail { "" } else { ";" };
                out.push(todo_lines(&step, indent, semi, max_width).join(eol) + eol);
                replaced.push(Replaced {
                    step,
                    line: i + 1,
                    lines: end - i - 1,
                });
                i = end;
            }
        }
        i += 1;
    }
    let mut text = out.concat();
    if !replaced.is_empty() {
        text = insert_allow(&text);
    }
    Ok(Stripped { text, replaced })
}

/// What a source line is, as far as markers go.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    Code,
    Begin {
        lab: u8,
        number: u8,
        title: Option<&'a str>,
    },
    End,
    Malformed,
}

fn classify(line: &str) -> Line<'_> {
    let text = line.trim();
    if !text.contains("BEGIN SOLUTION") && !text.contains("END SOLUTION") {
        return Line::Code;
    }
    if text == END {
        return Line::End;
    }
    text.strip_prefix(BEGIN).and_then(parse_begin).map_or(
        Line::Malformed,
        |(lab, number, title)| Line::Begin { lab, number, title },
    )
}

/// Parses `: lab 1 step 2 (title)` (the title is optional).
fn parse_begin(rest: &str) -> Option<(u8, u8, Option<&str>)> {
    let rest = rest.strip_prefix(':')?.trim_start().strip_prefix("lab ")?;
    let (lab, rest) = rest.split_once(" step ")?;
    let (number, title) = match rest.split_once(' ') {
        Some((number, title)) => (
            number,
            Some(title.trim().strip_prefix('(')?.strip_suffix(')')?),
        ),
        None => (rest, None),
    };
    Some((lab.trim().parse().ok()?, number.parse().ok()?, title))
}

fn find_step(steps: &[Step], lab: u8, number: u8, title: Option<&str>) -> Result<Step, String> {
    let step = steps
        .iter()
        .find(|s| s.lab == lab && s.number == number)
        .ok_or_else(|| {
            format!("lab {lab} step {number} is not in the step table (grader/src/steps.rs)")
        })?;
    match title {
        Some(t) if t != step.title => Err(format!(
            "lab {lab} step {number} is titled {:?} in grader/src/steps.rs, not {t:?}",
            step.title
        )),
        _ => Ok(*step),
    }
}

/// The index of the `END` line that closes the region opened at `begin`.
fn find_end(lines: &[&str], begin: usize) -> Result<usize, String> {
    for (j, line) in lines.iter().enumerate().skip(begin + 1) {
        match classify(line) {
            Line::Code => {}
            Line::End => return Ok(j),
            _ => {
                return Err(format!(
                    "line {}: a marker inside the region opened on line {} (regions do not nest)",
                    j + 1,
                    begin + 1
                ));
            }
        }
    }
    Err(format!(
        "line {}: `{BEGIN}` is never closed by `{END}`",
        begin + 1
    ))
}

/// Does the first non-blank line of `rest` close the block? Then the
/// `todo!()` is the block's value and takes no semicolon.
fn next_code_closes_block(rest: &[&str]) -> bool {
    rest.iter()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .is_none_or(|l| l.starts_with('}'))
}

/// The replacement lines: the call on one line if it fits in `max_width`
/// characters, else the message on a line of its own, as rustfmt does.
fn todo_lines(step: &Step, indent: &str, semi: &str, max_width: usize) -> Vec<String> {
    let call = todo_call(step);
    let one = format!("{indent}{call}{semi}");
    if one.chars().count() <= max_width {
        return vec![one];
    }
    let message = &call["todo!(".len()..call.len() - 1];
    vec![
        format!("{indent}todo!("),
        format!("{indent}    {message}"),
        format!("{indent}){semi}"),
    ]
}

/// `todo!("lab 1 step 1: readn — see labs/src/lab1-rio.md#step-1-readn")`.
pub fn todo_call(step: &Step) -> String {
    let message = format!(
        "lab {} step {}: {} — see {}",
        step.lab,
        step.number,
        step.title,
        step.link()
    );
    // The message is a format string inside a string literal.
    let escaped = message
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('{', "{{")
        .replace('}', "}}");
    format!("todo!(\"{escaped}\")")
}

/// Puts the [`ALLOW`] lines after the leading `//!` lines (inner attributes
/// must come before the first item; the module doc stays first).
fn insert_allow(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let doc = lines
        .iter()
        .take_while(|l| l.trim_start().starts_with("//!"))
        .count();
    let mut out: String = lines[..doc].concat();
    if doc > 0 {
        out.push('\n');
    }
    for l in ALLOW {
        out.push_str(l);
        out.push('\n');
    }
    if lines.get(doc).is_some_and(|l| !l.trim().is_empty()) {
        out.push('\n');
    }
    out.push_str(&lines[doc..].concat());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use grader::steps::{ALL, LAB1_READN, LAB1_WRITEN};

    const READN: &str = "\
//! Robust I/O.

use std::io::{self, ErrorKind, Read};

pub fn readn<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    // BEGIN SOLUTION: lab 1 step 1 (readn)
    let mut nread = 0;
    Ok(nread)
    // END SOLUTION
}
";

    #[test]
    fn a_marked_body_becomes_a_todo_naming_its_step() {
        let s = strip(READN, ALL, 100).unwrap();
        assert!(s.text.contains(
            "-> io::Result<usize> {\n    todo!(\"lab 1 step 1: readn — see labs/src/lab1-rio.md#step-1-readn\")\n}\n"
        ));
        assert!(!s.text.contains("nread"));
        assert!(!s.text.contains("SOLUTION"));
        assert_eq!(
            s.replaced,
            vec![Replaced {
                step: LAB1_READN,
                line: 6,
                lines: 2
            }]
        );
    }

    #[test]
    fn the_allow_attribute_follows_the_module_doc() {
        let s = strip(READN, ALL, 100).unwrap();
        let expected = format!("//! Robust I/O.\n\n{}\n\nuse std::io", ALLOW.join("\n"));
        assert!(s.text.starts_with(&expected), "{}", s.text);
    }

    #[test]
    fn a_file_without_doc_gets_the_attribute_first() {
        let src = "fn main() {\n    // BEGIN SOLUTION: lab 1 step 2\n    run();\n    // END SOLUTION\n}\n";
        let s = strip(src, ALL, 100).unwrap();
        assert!(
            s.text
                .starts_with(&format!("{}\n\nfn main() {{\n", ALLOW.join("\n"))),
            "{}",
            s.text
        );
        assert_eq!(s.replaced[0].step, LAB1_WRITEN);
    }

    #[test]
    fn a_file_without_markers_is_unchanged() {
        let src = "//! Nothing to hide.\nfn f() -> u8 {\n    1\n}\n";
        assert_eq!(
            strip(src, ALL, 100).unwrap(),
            Stripped {
                text: src.to_string(),
                replaced: vec![]
            }
        );
    }

    #[test]
    fn indentation_and_several_regions_are_kept_apart() {
        let src = "impl X {\n    fn a(&self) {\n        // BEGIN SOLUTION: lab 1 step 1\n        one();\n        // END SOLUTION\n    }\n\n    fn b(&self) {\n        // BEGIN SOLUTION: lab 1 step 2 (writen)\n        two();\n        // END SOLUTION\n    }\n}\n";
        let s = strip(src, ALL, 100).unwrap();
        assert!(
            s.text
                .contains("    fn a(&self) {\n        todo!(\"lab 1 step 1: readn")
        );
        assert!(
            s.text
                .contains("    fn b(&self) {\n        todo!(\"lab 1 step 2: writen")
        );
        assert_eq!(s.replaced.len(), 2);
    }

    #[test]
    fn a_region_followed_by_code_gets_a_semicolon() {
        let src = "fn f() {\n    // BEGIN SOLUTION: lab 1 step 1\n    a();\n    // END SOLUTION\n    b();\n}\n";
        let s = strip(src, ALL, 100).unwrap();
        assert!(
            s.text.contains("#step-1-readn\");\n    b();\n"),
            "{}",
            s.text
        );
    }

    #[test]
    fn a_long_call_is_wrapped_as_rustfmt_does() {
        let src =
            "fn f() -> u8 {\n    // BEGIN SOLUTION: lab 1 step 1\n    1\n    // END SOLUTION\n}\n";
        let s = strip(src, ALL, 60).unwrap();
        let want = "fn f() -> u8 {\n    todo!(\n        \"lab 1 step 1: readn — see labs/src/lab1-rio.md#step-1-readn\"\n    )\n}\n";
        assert!(s.text.ends_with(want), "{}", s.text);
        let fits = "    todo!(\"lab 1 step 1: readn — see labs/src/lab1-rio.md#step-1-readn\")";
        assert!(
            strip(src, ALL, fits.chars().count())
                .unwrap()
                .text
                .contains(fits)
        );
    }

    #[test]
    fn crlf_line_endings_are_kept() {
        let src = "fn f() {\r\n    // BEGIN SOLUTION: lab 1 step 1\r\n    a();\r\n    // END SOLUTION\r\n}\r\n";
        let s = strip(src, ALL, 100).unwrap();
        assert!(s.text.contains("readn\")\r\n}\r\n"), "{:?}", s.text);
    }

    #[test]
    fn an_unknown_step_is_an_error() {
        let src = "fn f() {\n    // BEGIN SOLUTION: lab 9 step 1\n    // END SOLUTION\n}\n";
        let e = strip(src, ALL, 100).unwrap_err();
        assert!(
            e.starts_with("line 2: lab 9 step 1 is not in the step table"),
            "{e}"
        );
    }

    #[test]
    fn a_wrong_title_is_an_error() {
        let src =
            "fn f() {\n    // BEGIN SOLUTION: lab 1 step 1 (writen)\n    // END SOLUTION\n}\n";
        let e = strip(src, ALL, 100).unwrap_err();
        assert!(e.contains("titled \"readn\""), "{e}");
    }

    #[test]
    fn broken_markers_are_errors() {
        let cases = [
            (
                "fn f() {\n    // BEGIN SOLUTION: lab 1 step 1\n    a();\n}\n",
                "line 2: `// BEGIN SOLUTION` is never closed",
            ),
            (
                "fn f() {\n    // END SOLUTION\n}\n",
                "line 2: `// END SOLUTION` without",
            ),
            (
                "fn f() {\n    //BEGIN SOLUTION lab 1 step 1\n}\n",
                "line 2: not a valid marker",
            ),
            (
                "fn f() {\n    // BEGIN SOLUTION: lab one step 1\n}\n",
                "line 2: not a valid marker",
            ),
            (
                "fn f() {\n    // BEGIN SOLUTION: lab 1 step 1\n    // BEGIN SOLUTION: lab 1 step 2\n    // END SOLUTION\n}\n",
                "line 3: a marker inside the region opened on line 2",
            ),
        ];
        for (src, want) in cases {
            let e = strip(src, ALL, 100).unwrap_err();
            assert!(e.starts_with(want), "{src:?}: got {e:?}, want {want:?}");
        }
    }

    #[test]
    fn the_message_is_escaped_for_a_format_string() {
        let step = Step {
            lab: 1,
            number: 1,
            title: "a {b} \"c\" \\",
            file: "f.md",
            anchor: "x",
        };
        assert_eq!(
            todo_call(&step),
            r#"todo!("lab 1 step 1: a {{b}} \"c\" \\ — see f.md#x")"#
        );
    }
}
