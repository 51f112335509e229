//! What `cargo xtask grade` keeps in its output directory, and how it
//! writes there without ever leaving a half-written file.
//!
//! ```text
//! DIR/gradebook.csv              one row per roster row (of this shard)
//! DIR/summary.md                 histogram, per-lab means, checks most failed first
//! DIR/run.json                   the run: roster, deadline, shard, grader fingerprint, labs
//! DIR/students/<s>/results.json  Gradescope's format
//! DIR/students/<s>/feedback.md   what the student reads
//! DIR/students/<s>/held_back.md  the held-back checks' details: the instructor's
//!                                until `--release-held-back` adds them to feedback.md
//! DIR/students/<s>/marks.json    the row's marks and the key a re-run compares
//! DIR/.work/                     clones, the base workspace, each job's work and target
//! ```
//!
//! Every file is written whole or not at all (the grader's own
//! `write_whole`: a temporary file beside it, renamed into place); a
//! student's directory is assembled under a hidden name and swapped in
//! whole; what an interrupted run left is removed by the next. Hidden
//! names are what `actions/upload-artifact` leaves out by default, so
//! `.work/` (clones and build output) never reaches an artifact.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::roster::Row;

/// The gradebook's status words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The checks ran.
    Graded,
    /// The lab crates do not compile.
    CompileError,
    /// No commit before the deadline, or no `crates/*/src`.
    NoSubmission,
    /// The repository could not be cloned.
    CloneFailed,
    /// Building and grading took longer than `--timeout`.
    TimedOut,
}

impl Status {
    /// Every status, in the order the summary lists them.
    pub const ALL: [Status; 5] = [
        Status::Graded,
        Status::CompileError,
        Status::NoSubmission,
        Status::CloneFailed,
        Status::TimedOut,
    ];

    /// `graded`, `compile_error`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Graded => "graded",
            Status::CompileError => "compile_error",
            Status::NoSubmission => "no_submission",
            Status::CloneFailed => "clone_failed",
            Status::TimedOut => "timed_out",
        }
    }
}

impl From<grader_sandbox::submission::Status> for Status {
    fn from(s: grader_sandbox::submission::Status) -> Self {
        use grader_sandbox::submission::Status as S;
        match s {
            S::Graded => Status::Graded,
            S::CompileError => Status::CompileError,
            S::NoSubmission => Status::NoSubmission,
            S::TimedOut => Status::TimedOut,
        }
    }
}

/// Points of one lab, and one check's mark: official grading's own types,
/// stored as they are.
pub use grader_sandbox::submission::{CheckMark as CheckScore, LabMark as LabScore};

/// A student's marks (`students/<s>/marks.json`): the gradebook row, the
/// checks for the summary, and the key of the skip on a re-run: the same
/// `commit` graded by a grader with the same `base` fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The roster's student.
    pub student: String,
    /// The roster's repo.
    pub repo: String,
    /// The commit graded (none when there was none to grade).
    pub commit: Option<String>,
    /// Its committer time, seconds since the epoch.
    pub committed_at: Option<i64>,
    /// How it ended.
    pub status: Status,
    /// Points earned.
    pub score: u32,
    /// Points possible.
    pub max_score: u32,
    /// Per lab (empty when nothing was graded).
    pub labs: Vec<LabScore>,
    /// Per check (empty unless graded).
    pub checks: Vec<CheckScore>,
    /// Fingerprint of the base workspace that graded it.
    pub base: String,
    /// Are the held-back checks' details (`held_back.md`) in `feedback.md`
    /// yet? (`--release-held-back`.)
    #[serde(default)]
    pub held_back_released: bool,
}

/// One check of the grader, as the starter's grading listed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInfo {
    /// `lab1_rio::readn_eof`.
    pub id: String,
    /// Its lab.
    pub lab: u8,
    /// Points possible.
    pub max_score: u32,
}

/// What one run graded and with what (`run.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The whole roster, in order (also for a shard: `--merge` needs it).
    pub roster: Vec<Row>,
    /// `--deadline`, as UTC RFC 3339.
    pub deadline: Option<String>,
    /// `--shard I/N`.
    pub shard: Option<(usize, usize)>,
    /// Fingerprint of the base workspace.
    pub base: String,
    /// The labs of the base workspace, in order: one `labN` column each.
    pub labs: Vec<u8>,
    /// Points possible on the grading host.
    pub max_score: u32,
    /// Every check of the grader, in registry order.
    pub checks: Vec<CheckInfo>,
}

/// The files of one student, as written to `students/<s>/`.
pub struct StudentFiles<'a> {
    /// Gradescope's `results.json`.
    pub results_json: &'a str,
    /// The student's `feedback.md`.
    pub feedback_md: &'a str,
    /// The held-back checks' details (`held_back.md`; none when empty).
    pub held_back_md: &'a str,
    /// The marks.
    pub mark: &'a Mark,
}

/// The student's feedback: what the grader wrote for them, and, once the
/// instructor releases them, the held-back checks' details after it.
pub fn feedback(public: &str, held_back: &str, released: bool) -> String {
    if released && !held_back.is_empty() {
        format!("{}\n{held_back}", public.trim_end())
    } else {
        public.to_string()
    }
}

/// The paths of an output directory.
#[derive(Clone, Debug)]
pub struct Out {
    /// DIR itself.
    pub dir: PathBuf,
}

/// What may be in an output directory: anything else means it is not one,
/// and nothing is written there.
const OURS: &[&str] = &[
    "gradebook.csv",
    "summary.md",
    "run.json",
    "students",
    ".work",
    // `cargo xtask similarity --roster … --out DIR` writes its report here too.
    "similarity.csv",
    "similarity.html",
];

impl Out {
    /// Opens DIR for writing: it must be new, empty, or an earlier output
    /// of this command (only [`OURS`] and our hidden temporary files).
    /// Does not create it.
    pub fn check(dir: &Path) -> Result<Out, String> {
        if dir.exists() {
            let entries =
                fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            for entry in entries {
                let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if !OURS.contains(&name.as_str()) && !is_temporary(&name) {
                    return Err(format!(
                        "{} holds `{name}`, so it is not an output of `cargo xtask grade`: give a new or empty directory",
                        dir.display()
                    ));
                }
            }
        }
        Ok(Out {
            dir: dir.to_path_buf(),
        })
    }

    /// Creates DIR and removes what an interrupted run left (temporary
    /// files and directories, which all have hidden names ending `.tmp`).
    ///
    /// `students/` and the clones are the owner's alone (`0700`), as every
    /// file written here is (`0600`): DIR itself must stay open, since the
    /// jobs' work directories are under it, and the uids that official
    /// grading builds and runs a submission as must read no other
    /// student's code or marks.
    pub fn create(&self) -> Result<(), String> {
        for dir in [self.dir.clone(), self.students()] {
            fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            if dir != self.dir {
                close(&dir)?;
            }
            for entry in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
                let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
                if is_temporary(&entry.file_name().to_string_lossy()) {
                    remove(&entry.path())?;
                }
            }
        }
        // Clones fetched by another user before a grading run under sudo.
        let clones = self.work().join("clones");
        if clones.is_dir() {
            close(&clones)?;
        }
        Ok(())
    }

    /// `DIR/.work/clones`, created and closed to other users (`0700`).
    pub fn clones(&self) -> Result<PathBuf, String> {
        let dir = self.work().join("clones");
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        close(&dir)?;
        Ok(dir)
    }

    /// `DIR/students`.
    pub fn students(&self) -> PathBuf {
        self.dir.join("students")
    }

    /// `DIR/students/<student>`.
    pub fn student(&self, student: &str) -> PathBuf {
        self.students().join(student)
    }

    /// `DIR/.work`: clones, base workspace, jobs.
    pub fn work(&self) -> PathBuf {
        self.dir.join(".work")
    }

    /// `DIR/.work/clones/<student>`: the checkout, and `<student>.json`
    /// beside it: what was fetched.
    pub fn clone_dir(&self, student: &str) -> PathBuf {
        self.work().join("clones").join(student)
    }

    /// The record of the fetch of `student`'s repository.
    pub fn fetch_record(&self, student: &str) -> PathBuf {
        self.work().join("clones").join(format!("{student}.json"))
    }

    /// `DIR/.work/base`: the starter, which every submission is graded in.
    pub fn base(&self) -> PathBuf {
        self.work().join("base")
    }

    /// `DIR/.work/jobs/<job>`: the job's `work` and `target` directories.
    pub fn job(&self, job: usize) -> PathBuf {
        self.work().join("jobs").join(job.to_string())
    }

    /// The previous run's `run.json`, if any.
    pub fn run_info(&self) -> Option<RunInfo> {
        read_json(&self.dir.join("run.json")).ok()
    }

    /// A student's stored marks, if complete (all three files there).
    pub fn mark(&self, student: &str) -> Option<Mark> {
        let dir = self.student(student);
        if !dir.join("results.json").is_file() || !dir.join("feedback.md").is_file() {
            return None;
        }
        read_json(&dir.join("marks.json")).ok()
    }

    /// Writes `students/<student>/` whole: assembled under a hidden name,
    /// then swapped in.
    pub fn write_student(&self, files: &StudentFiles) -> Result<(), String> {
        let student = &files.mark.student;
        let fresh = self.students().join(format!(".{student}.new.tmp"));
        let old = self.students().join(format!(".{student}.old.tmp"));
        let _ = fs::remove_dir_all(&fresh);
        fs::create_dir_all(&fresh)
            .map_err(|e| format!("cannot create {}: {e}", fresh.display()))?;
        write_file(&fresh.join("results.json"), files.results_json)?;
        write_file(&fresh.join("feedback.md"), files.feedback_md)?;
        if !files.held_back_md.is_empty() {
            write_file(&fresh.join("held_back.md"), files.held_back_md)?;
        }
        write_file(&fresh.join("marks.json"), &to_json(files.mark))?;
        let dir = self.student(student);
        if dir.exists() {
            rename(&dir, &old)?;
        }
        rename(&fresh, &dir)?;
        let _ = fs::remove_dir_all(&old);
        Ok(())
    }

    /// Adds the held-back checks' details to the feedback of every student
    /// whose are not in it yet, and records it in their marks: a re-render
    /// of what is stored, not a regrade. Returns how many changed.
    pub fn release_held_back(&self) -> Result<usize, String> {
        let mut released = 0;
        let dir = self.students();
        if !dir.is_dir() {
            return Ok(0);
        }
        let mut names: Vec<String> = fs::read_dir(&dir)
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !is_temporary(n))
            .collect();
        names.sort();
        for student in names {
            let Some(mut mark) = self.mark(&student) else {
                continue;
            };
            let held_back = self.student(&student).join("held_back.md");
            if mark.held_back_released || !held_back.is_file() {
                continue;
            }
            let read = |p: &Path| {
                fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
            };
            let public = read(&self.student(&student).join("feedback.md"))?;
            let details = read(&held_back)?;
            mark.held_back_released = true;
            self.write_student(&StudentFiles {
                results_json: &read(&self.student(&student).join("results.json"))?,
                feedback_md: &feedback(&public, &details, true),
                held_back_md: &details,
                mark: &mark,
            })?;
            released += 1;
        }
        Ok(released)
    }

    /// Removes the directories of students who are not in `keep`.
    pub fn remove_students_except(&self, keep: &[&str]) -> Result<(), String> {
        let dir = self.students();
        if !dir.exists() {
            return Ok(());
        }
        for entry in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !keep.contains(&name.as_str()) {
                remove(&entry.path())?;
            }
        }
        Ok(())
    }
}

/// Makes `dir` its owner's alone (`0700`).
fn close(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot close {}: {e}", dir.display()))
}

/// Our temporary files and directories: `.name.tmp` (a student's
/// directory being assembled), `name.tmpPID` (a file being written).
fn is_temporary(name: &str) -> bool {
    let written = name
        .rsplit_once(".tmp")
        .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
    (name.starts_with('.') && name.ends_with(".tmp")) || written
}

/// Writes `path` whole or not at all, readable by its owner alone
/// (`grader_sandbox::files::write_private`: a temporary file beside it,
/// renamed into place), naming it in the error.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    grader_sandbox::files::write_private(path, text)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Pretty JSON with a final newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// Reads a JSON file, naming it in the error.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Renames, naming both paths in the error.
pub fn rename(from: &Path, to: &Path) -> Result<(), String> {
    fs::rename(from, to)
        .map_err(|e| format!("cannot rename {} to {}: {e}", from.display(), to.display()))
}

/// Removes a file or a directory tree; a missing one is fine.
pub fn remove(path: &Path) -> Result<(), String> {
    let result = match path.symlink_metadata() {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(_) => return Ok(()),
    };
    result.map_err(|e| format!("cannot remove {}: {e}", path.display()))
}

/// Copies the tree `from` to `to` (which must not exist), keeping every
/// file's modification time: cargo compares the times of the files in a
/// target directory with one another, and a copy with fresh times in a
/// random order would look stale to it.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    grader_sandbox::files::copy_tree(from, to, &mut grader_sandbox::files::CopyTree::exact())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// Top-level parts of the starter that grading neither builds nor reads:
/// the handouts, the student's README and workflow. Fixing a typo in a
/// handout during the term must not regrade the course.
/// A fingerprint of the base workspace: every file grading builds or
/// reads, and the `rustc -V` that builds it
/// (`grader_sandbox::submission::grader_fingerprint`, which Gradescope's
/// `run_autograder` prints too, so a mark there and a row here can be
/// matched to one grader). A changed grader, check, manifest, lock file or
/// toolchain changes it, and every submission is graded again.
pub fn fingerprint(base: &Path) -> Result<String, String> {
    grader_sandbox::submission::grader_fingerprint(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_files_make_an_output_directory() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(Out::check(&tmp.path().join("new")).is_ok());
        assert!(Out::check(tmp.path()).is_ok());
        for name in [
            "gradebook.csv",
            "students",
            ".run.json.tmp",
            "run.json.tmp77",
        ] {
            fs::write(tmp.path().join(name), "").unwrap();
        }
        assert!(Out::check(tmp.path()).is_ok());
        fs::write(tmp.path().join("thesis.tex"), "").unwrap();
        let e = Out::check(tmp.path()).unwrap_err();
        assert!(e.contains("holds `thesis.tex`"), "{e}");
    }

    #[test]
    fn a_student_directory_is_swapped_in_whole_and_leftovers_go() {
        let tmp = tempfile::tempdir().unwrap();
        let out = Out::check(tmp.path()).unwrap();
        out.create().unwrap();
        let mark = Mark {
            student: "alice".into(),
            repo: "/r".into(),
            commit: Some("c1".into()),
            committed_at: Some(5),
            status: Status::Graded,
            score: 3,
            max_score: 4,
            labs: vec![],
            checks: vec![],
            base: "b".into(),
            held_back_released: false,
        };
        let files = StudentFiles {
            results_json: "{}",
            feedback_md: "first",
            held_back_md: "",
            mark: &mark,
        };
        out.write_student(&files).unwrap();
        let second = StudentFiles {
            feedback_md: "second",
            ..files
        };
        out.write_student(&second).unwrap();
        assert_eq!(out.mark("alice"), Some(mark.clone()));
        assert_eq!(
            fs::read_to_string(out.student("alice").join("feedback.md")).unwrap(),
            "second"
        );
        // What an interrupted run leaves is removed by the next.
        fs::create_dir_all(out.students().join(".bob.new.tmp")).unwrap();
        fs::write(tmp.path().join(".gradebook.csv.tmp"), "half").unwrap();
        fs::write(tmp.path().join("summary.md.tmp4242"), "half").unwrap();
        out.create().unwrap();
        let names = |d: &Path| {
            let mut v: Vec<String> = fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(tmp.path()), vec!["students"]);
        assert_eq!(names(&out.students()), vec!["alice"]);
        // A marks.json without its two companions is not trusted.
        fs::remove_file(out.student("alice").join("results.json")).unwrap();
        assert_eq!(out.mark("alice"), None);
        out.remove_students_except(&[]).unwrap();
        assert!(names(&out.students()).is_empty());
    }

    #[test]
    fn the_fingerprint_follows_content_mode_and_names_but_not_build_output_or_handouts() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path();
        fs::create_dir_all(base.join("grader/src")).unwrap();
        fs::write(base.join("grader/src/lib.rs"), "fn a() {}").unwrap();
        fs::write(base.join("Cargo.toml"), "[workspace]").unwrap();
        let first = fingerprint(base).unwrap();
        assert_eq!(fingerprint(base).unwrap(), first);
        fs::create_dir_all(base.join("target/debug")).unwrap();
        fs::write(base.join("target/debug/x"), "build output").unwrap();
        assert_eq!(fingerprint(base).unwrap(), first);
        // The handouts are not graded.
        fs::create_dir_all(base.join("labs/src")).unwrap();
        fs::write(base.join("labs/src/lab1-rio.md"), "a typo").unwrap();
        fs::write(base.join("README.md"), "hello").unwrap();
        assert_eq!(fingerprint(base).unwrap(), first);
        fs::write(base.join("grader/src/lib.rs"), "fn b() {}").unwrap();
        let second = fingerprint(base).unwrap();
        assert_ne!(second, first);
        fs::set_permissions(base.join("Cargo.toml"), fs::Permissions::from_mode(0o755)).unwrap();
        assert_ne!(fingerprint(base).unwrap(), second);
    }

    #[test]
    fn a_copied_tree_keeps_its_times() {
        let tmp = tempfile::tempdir().unwrap();
        let from = tmp.path().join("a");
        fs::create_dir_all(from.join("deps")).unwrap();
        fs::write(from.join("deps/x.rlib"), "x").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        fs::File::options()
            .write(true)
            .open(from.join("deps/x.rlib"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        std::os::unix::fs::symlink("deps/x.rlib", from.join("x")).unwrap();
        copy_tree(&from, &tmp.path().join("b")).unwrap();
        let copied = tmp.path().join("b/deps/x.rlib");
        assert_eq!(fs::metadata(&copied).unwrap().modified().unwrap(), old);
        assert_eq!(
            fs::read_link(tmp.path().join("b/x")).unwrap(),
            Path::new("deps/x.rlib")
        );
    }
}
