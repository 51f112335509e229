//! The roster: who to grade, and where their repository is.
//!
//! ```text
//! student,repo,ref
//! alice,https://github.com/course/echo-lab-alice,
//! bob,git@github.com:course/echo-lab-bob.git,submission
//! ```
//!
//! Every row is checked before anything is cloned or graded, and every bad
//! row is reported (one line each), so that an instructor fixes the file
//! once rather than once per error. A student's name becomes a directory
//! (`students/<student>/`), so it is restricted to characters that are safe
//! there; `repo` and `ref` reach `git` as arguments, so neither may look
//! like an option.

/// One student of the roster.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// Line of the roster file (1-based), for error messages.
    pub line: u64,
    /// The student's name: the `student` column, a directory name.
    pub student: String,
    /// Anything `git clone` takes: a URL, or a local path.
    pub repo: String,
    /// A branch, tag or full commit id to grade instead of the deadline's
    /// pick (`ref` column; `None` when absent or empty).
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
}

/// The columns a roster may have.
const COLUMNS: &[&str] = &["student", "repo", "ref"];

/// Reads a roster (`name` is how errors call the file). `Err` lists every
/// problem found, one line each.
pub fn parse(text: &str, name: &str) -> Result<Vec<Row>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![format!("{name}: {e}")]),
    };
    let header: Vec<String> = header.iter().map(str::to_string).collect();
    let mut errors = Vec::new();
    let column = |want: &str| header.iter().position(|h| h == want);
    for (i, h) in header.iter().enumerate() {
        if !COLUMNS.contains(&h.as_str()) {
            errors.push(format!(
                "{name} line 1: unknown column `{h}` (the columns are student, repo and, optionally, ref)"
            ));
        } else if header[..i].contains(h) {
            errors.push(format!("{name} line 1: column `{h}` twice"));
        }
    }
    let (Some(student_col), Some(repo_col)) = (column("student"), column("repo")) else {
        errors.push(format!(
            "{name} line 1: the header must name the columns student and repo (found: {})",
            header.join(",")
        ));
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let ref_col = column("ref");

    let mut rows: Vec<Row> = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{name}: {e}"));
                continue;
            }
        };
        // A line starting with `#` is a comment. (The reader's own comment
        // support, like its line count, loses count of lines past comments
        // and blank lines; errors must name the right line.)
        if record.get(0).is_some_and(|f| f.starts_with('#')) {
            continue;
        }
        let line = record.position().map_or(0, |p| {
            let mut at = usize::try_from(p.byte()).unwrap_or(0).min(text.len());
            // The position is where the previous record ended: skip the
            // blank lines in between.
            while matches!(text.as_bytes().get(at), Some(b'\n' | b'\r')) {
                at += 1;
            }
            text.as_bytes()[..at]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64
                + 1
        });
        let at = format!("{name} line {line}");
        if record.len() != header.len() {
            errors.push(format!(
                "{at}: {} fields, but the header has {}",
                record.len(),
                header.len()
            ));
            continue;
        }
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        let student = field(student_col);
        let repo = field(repo_col);
        let git_ref = ref_col.map(field).filter(|r| !r.is_empty());
        let mut bad = |why: String| errors.push(format!("{at}: {why}"));
        if student.is_empty() {
            bad("no student name".to_string());
            continue;
        }
        if let Err(why) = check_student(&student) {
            bad(why);
            continue;
        }
        if repo.is_empty() {
            bad(format!("no repo for student {student}"));
        } else if repo.starts_with('-') {
            bad(format!(
                "the repo of {student}, `{repo}`, starts with '-' (git would read it as an option)"
            ));
        }
        if let Some(r) = &git_ref {
            if let Err(why) = check_ref(r) {
                bad(format!("the ref of {student}, `{r}`, {why}"));
            }
        }
        if let Some(first) = rows
            .iter()
            .find(|r| r.student.to_lowercase() == student.to_lowercase())
        {
            let same = if first.student == student {
                String::new()
            } else {
                format!(
                    " as {} (names that differ only in case would share a directory)",
                    first.student
                )
            };
            bad(format!(
                "student {student} again (first on line {}{same})",
                first.line
            ));
            continue;
        }
        rows.push(Row {
            line,
            student,
            repo,
            git_ref,
        });
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(format!("{name}: no students (only a header)"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// A student's name is the directory `students/<name>/`: letters, digits
/// and `. _ - @ +`, not starting with a dot.
fn check_student(name: &str) -> Result<(), String> {
    let ok = |c: char| c.is_alphanumeric() || "._-@+".contains(c);
    if let Some(c) = name.chars().find(|&c| !ok(c)) {
        return Err(format!(
            "student `{name}`: {c:?} is not allowed (a student's name is a directory: letters, digits and . _ - @ + only)"
        ));
    }
    if name.starts_with('.') {
        return Err(format!(
            "student `{name}`: a name may not start with '.' (it is a directory name)"
        ));
    }
    if name.len() > 100 {
        return Err(format!("student `{name}`: longer than 100 bytes"));
    }
    Ok(())
}

/// Git's rules for a ref name, as far as they matter here: no space or
/// control character, none of `~^:?*[\`, no `..`, not starting with `-`.
fn check_ref(r: &str) -> Result<(), &'static str> {
    if r.starts_with('-') {
        return Err("starts with '-' (git would read it as an option)");
    }
    if r.chars()
        .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c))
        || r.contains("..")
    {
        return Err("is not a branch, tag or commit id");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, student: &str, repo: &str, git_ref: Option<&str>) -> Row {
        Row {
            line,
            student: student.into(),
            repo: repo.into(),
            git_ref: git_ref.map(str::to_string),
        }
    }

    #[test]
    fn a_good_roster() {
        let text = "student,repo,ref\n# a comment\nalice, https://h/a.git ,\n\nbob,../bob,v1.0\n";
        assert_eq!(
            parse(text, "r.csv").unwrap(),
            vec![
                row(3, "alice", "https://h/a.git", None),
                row(5, "bob", "../bob", Some("v1.0")),
            ]
        );
        // Columns in any order; ref is optional.
        assert_eq!(
            parse("repo,student\n/r/a,a.b@uni.edu\n", "r").unwrap(),
            vec![row(2, "a.b@uni.edu", "/r/a", None)]
        );
        // Quoting is CSV's: a comma inside quotes is part of the field.
        assert_eq!(
            parse("student,repo\nalice,\"/x/a, b\"\n", "r").unwrap(),
            vec![row(2, "alice", "/x/a, b", None)]
        );
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_header() {
        assert_eq!(
            parse("\u{feff}student,repo\nalice,/a\n", "r").unwrap(),
            vec![row(2, "alice", "/a", None)]
        );
    }

    #[test]
    fn every_bad_row_is_one_line() {
        let text = "student,repo,ref\n\
            alice,/a,\n\
            ,/nobody,\n\
            bob,,\n\
            alice,/a2,\n\
            Bob2,/b,\n\
            bob2,/b,\n\
            carol,/c\n\
            ../etc,/d,\n\
            dave,--upload-pack=evil,\n\
            erin,/e,-f\n\
            frank,/f,main..x\n\
            .hidden,/h,\n";
        let errors = parse(text, "roster.csv").unwrap_err();
        assert_eq!(
            errors,
            vec![
                "roster.csv line 3: no student name",
                "roster.csv line 4: no repo for student bob",
                "roster.csv line 5: student alice again (first on line 2)",
                "roster.csv line 7: student bob2 again (first on line 6 as Bob2 (names that differ only in case would share a directory))",
                "roster.csv line 8: 2 fields, but the header has 3",
                "roster.csv line 9: student `../etc`: '/' is not allowed (a student's name is a directory: letters, digits and . _ - @ + only)",
                "roster.csv line 10: the repo of dave, `--upload-pack=evil`, starts with '-' (git would read it as an option)",
                "roster.csv line 11: the ref of erin, `-f`, starts with '-' (git would read it as an option)",
                "roster.csv line 12: the ref of frank, `main..x`, is not a branch, tag or commit id",
                "roster.csv line 13: student `.hidden`: a name may not start with '.' (it is a directory name)",
            ]
        );
    }

    #[test]
    fn bad_headers() {
        assert_eq!(
            parse("name,repo\na,/a\n", "r").unwrap_err(),
            vec![
                "r line 1: unknown column `name` (the columns are student, repo and, optionally, ref)",
                "r line 1: the header must name the columns student and repo (found: name,repo)",
            ]
        );
        assert_eq!(
            parse("student,repo,refs\na,/a,v1\n", "r").unwrap_err(),
            vec![
                "r line 1: unknown column `refs` (the columns are student, repo and, optionally, ref)"
            ]
        );
        assert_eq!(
            parse("student,repo,repo\na,/a,/b\n", "r").unwrap_err(),
            vec!["r line 1: column `repo` twice"]
        );
        assert_eq!(
            parse("student,repo\n", "r").unwrap_err(),
            vec!["r: no students (only a header)"]
        );
        assert_eq!(
            parse("", "r").unwrap_err(),
            vec!["r line 1: the header must name the columns student and repo (found: )"]
        );
    }
}
