//! The speaker notes of the handouts stay in the instructor's copy.
//!
//! Each handout page ends with a block for whoever teaches it:
//!
//! ```text
//! <details>
//! <summary>Speaker notes</summary>
//!
//! - Ask: ... (and the answer)
//!
//! </details>
//! ```
//!
//! Its *Ask:* questions come with their answers, so the starter leaves
//! these blocks out of every page under `labs/src/` (the Markdown, and so
//! the book built from it). Other `<details>` blocks (the reference's
//! optional code, say) stay. The pages carry every fact and experiment
//! themselves; the notes only add what to show and ask in class.

use std::path::Path;

use crate::tree;

/// The summary line that marks a block as speaker notes.
const SUMMARY: &str = "<summary>Speaker notes</summary>";

/// `text` without its speaker-notes blocks, and how many there were. Where
/// a block goes, the blank lines around it become one (none at the end).
pub fn strip(text: &str) -> (String, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<&str> = Vec::with_capacity(lines.len());
    let mut removed = 0;
    let mut i = 0;
    while i < lines.len() {
        let opens = lines[i].trim() == "<details>"
            && lines[i + 1..]
                .iter()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.trim() == SUMMARY);
        let close = opens
            .then(|| (i + 1..lines.len()).find(|&j| lines[j].trim() == "</details>"))
            .flatten();
        let Some(end) = close else {
            out.push(lines[i]);
            i += 1;
            continue;
        };
        removed += 1;
        while out.last().is_some_and(|l| l.trim().is_empty()) {
            out.pop();
        }
        i = end + 1;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        if !out.is_empty() && i < lines.len() {
            out.push("");
        }
    }
    if removed == 0 {
        return (text.to_string(), 0);
    }
    let mut joined = out.join("\n");
    joined.push('\n');
    (joined, removed)
}

/// Strips the speaker notes from every `.md` file under `out/labs/src`;
/// returns how many blocks went.
pub fn strip_handouts(out: &Path) -> Result<usize, String> {
    let mut total = 0;
    for file in tree::files(&out.join("labs/src"))? {
        if file.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let (text, n) = strip(&tree::read(&file)?);
        if n > 0 {
            tree::write(&file, &text)?;
            total += n;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::strip;

    #[test]
    fn speaker_notes_go_other_details_stay() {
        let page = "# Page\n\nText.\n\n<details>\n<summary>The reference's version</summary>\n\ncode\n\n</details>\n\nMore.\n\n<details>\n<summary>Speaker notes</summary>\n\n- Ask: why? (Because.)\n\n</details>\n";
        let (text, n) = strip(page);
        assert_eq!(n, 1);
        assert_eq!(
            text,
            "# Page\n\nText.\n\n<details>\n<summary>The reference's version</summary>\n\ncode\n\n</details>\n\nMore.\n"
        );
    }

    #[test]
    fn notes_in_the_middle_leave_one_blank_line() {
        let page = "A.\n\n<details>\n<summary>Speaker notes</summary>\n\n- Demo: x\n</details>\n\n## Step 2\n";
        assert_eq!(strip(page), ("A.\n\n## Step 2\n".to_string(), 1));
    }

    #[test]
    fn a_page_without_notes_is_unchanged() {
        let page = "no notes\n\n<details>\n<summary>Other</summary>\n</details>";
        assert_eq!(strip(page), (page.to_string(), 0));
    }
}
