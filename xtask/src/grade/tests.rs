//! The whole run with a fake grader and real git repositories: what is
//! graded, at which path, by which job, what a re-run skips, and that
//! shards merged are one run.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use grader_sandbox::submission::{
    CheckMark, Graded, Grading, LabMark, Provenance, Status as GStatus,
};

use super::fetch::tests::{git_at, repo_with};
use super::merge::merge;
use super::roster::Row;
use super::run::{Done, Mode, Settings, run, shard_rows};

/// The fake grader's checks: (id, lab, points).
const CHECKS: &[(&str, u8, u32)] = &[
    ("lab1_rio::a", 1, 4),
    ("lab1_rio::b", 1, 2),
    ("lab2_netutil::c", 2, 4),
];

/// One call of the fake grader.
#[derive(Clone, Debug)]
struct Call {
    work: PathBuf,
    target: PathBuf,
    uid_base: Option<u32>,
    submission: PathBuf,
    /// Was the job's target directory seeded when the call began?
    seeded: bool,
    /// What the run said was graded.
    about: Provenance,
}

/// A fake `grade`: the submission's `crates/rio/src/lib.rs` says what it
/// gets: `pass a c` (those checks pass), `compile_error`, `timed_out`,
/// `fault`. The starter (the base itself) passes nothing.
struct Fake {
    calls: Mutex<Vec<Call>>,
}

impl Fake {
    fn new() -> Self {
        Fake {
            calls: Mutex::new(Vec::new()),
        }
    }

    fn grade(&self, g: &Grading, submission: &Path, about: &Provenance) -> Result<Graded, String> {
        // Grading runs commands in other directories: relative paths break.
        for p in [&g.base, &g.work, &g.target_dir] {
            assert!(p.is_absolute(), "{} is relative", p.display());
        }
        assert!(submission.is_absolute(), "{}", submission.display());
        let seeded = g.target_dir.join("seed").exists();
        // What a first build leaves in the target directory.
        fs::create_dir_all(&g.target_dir).unwrap();
        fs::write(g.target_dir.join("seed"), "deps").unwrap();
        fs::create_dir_all(&g.work).unwrap();
        self.calls.lock().unwrap().push(Call {
            work: g.work.clone(),
            target: g.target_dir.clone(),
            uid_base: g.isolation.uids.map(|u| u.base),
            submission: submission.to_path_buf(),
            seeded,
            about: about.clone(),
        });
        let says = if submission == g.base {
            "pass".to_string()
        } else {
            match fs::read_to_string(submission.join("crates/rio/src/lib.rs")) {
                Ok(text) => text,
                Err(_) => return Ok(graded(GStatus::NoSubmission, &[])),
            }
        };
        let words: Vec<&str> = says.split_whitespace().collect();
        match words.first().copied() {
            Some("fault") => Err("disk full".to_string()),
            Some("compile_error") => Ok(graded(GStatus::CompileError, &[])),
            Some("timed_out") => Ok(graded(GStatus::TimedOut, &[])),
            _ => Ok(graded(GStatus::Graded, &words[1..])),
        }
    }
}

fn graded(status: GStatus, passes: &[&str]) -> Graded {
    let ran = status == GStatus::Graded;
    let checks: Vec<CheckMark> = CHECKS
        .iter()
        .filter(|_| ran)
        .map(|&(id, lab, points)| {
            let passed = passes.iter().any(|p| id.ends_with(&format!("::{p}")));
            CheckMark {
                id: id.to_string(),
                lab,
                score: if passed { points } else { 0 },
                max_score: points,
                passed,
            }
        })
        .collect();
    let labs = [1u8, 2]
        .iter()
        .map(|&lab| LabMark {
            lab,
            score: checks
                .iter()
                .filter(|c| c.lab == lab)
                .map(|c| c.score)
                .sum(),
            max_score: CHECKS.iter().filter(|c| c.1 == lab).map(|c| c.2).sum(),
        })
        .collect();
    let score = checks.iter().map(|c| c.score).sum();
    Graded {
        status,
        score,
        max_score: 10,
        labs,
        checks,
        results_json: format!("{{\"score\": {score}}}\n"),
        feedback_md: format!("# {score}/10 ({})\n", status.as_str()),
        held_back_md: if status == GStatus::Graded {
            "### Held-back checks: 1/2\n".to_string()
        } else {
            String::new()
        },
        elapsed: Duration::from_millis(1),
    }
}

/// A temporary course: students' repositories and a base workspace whose
/// content (`version`) can change.
struct Course {
    tmp: tempfile::TempDir,
    version: Mutex<String>,
    fake: Fake,
}

impl Course {
    fn new() -> Self {
        Course {
            tmp: tempfile::tempdir().unwrap(),
            version: Mutex::new("1".into()),
            fake: Fake::new(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// A student's repository with one commit per (date, lib.rs text).
    fn repo(&self, student: &str, commits: &[(&str, &str)]) -> Vec<String> {
        let list: Vec<(&str, &str, &str)> = commits
            .iter()
            .map(|(d, t)| (*d, "crates/rio/src/lib.rs", *t))
            .collect();
        repo_with(&self.path(&format!("repos/{student}")), &list)
    }

    fn roster(&self, students: &[&str]) -> Vec<Row> {
        students
            .iter()
            .enumerate()
            .map(|(i, s)| Row {
                line: i as u64 + 2,
                student: s.to_string(),
                repo: self.path(&format!("repos/{s}")).display().to_string(),
                git_ref: None,
            })
            .collect()
    }

    fn settings(&self, roster: &[Row], out: &str) -> Settings {
        Settings {
            roster: roster.to_vec(),
            out: self.path(out),
            deadline: None,
            jobs: 1,
            shard: None,
            timeout: Duration::from_secs(60),
            mode: Mode::FetchAndGrade,
            root: false,
            fetchers: 3,
            release_held_back: false,
        }
    }

    fn run(&self, s: &Settings) -> Result<Done, String> {
        let make_base = |dir: &Path| {
            fs::create_dir_all(dir.join("crates/rio/src")).unwrap();
            fs::write(dir.join("Cargo.toml"), &*self.version.lock().unwrap()).unwrap();
            fs::write(dir.join("crates/rio/src/lib.rs"), "todo").unwrap();
            Ok(())
        };
        let grade = |g: &Grading, sub: &Path, about: &Provenance| self.fake.grade(g, sub, about);
        run(s, &make_base, &grade)
    }

    /// The submissions graded since the last call (the starter shows as
    /// `(starter)`).
    fn graded_since(&self) -> Vec<String> {
        let calls: Vec<Call> = self.fake.calls.lock().unwrap().drain(..).collect();
        calls
            .iter()
            .map(|c| {
                if c.submission.ends_with(".work/base") {
                    "(starter)".to_string()
                } else {
                    c.submission
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                }
            })
            .collect()
    }
}

fn read(dir: &Path, rel: &str) -> String {
    fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(rel).display()))
}

/// Every file of an output directory but its work area, as (path, text).
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if rel == ".work" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((rel, fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

const NOV: &str = "2026-11-20T12:00:00Z";

#[test]
fn a_rerun_grades_only_what_changed_and_a_new_grader_regrades_all() {
    let c = Course::new();
    c.repo("alice", &[(NOV, "pass a b c")]);
    c.repo("bob", &[(NOV, "pass a")]);
    c.repo("carol", &[(NOV, "compile_error")]);
    let roster = c.roster(&["alice", "bob", "carol"]);
    let s = c.settings(&roster, "out");

    let done = c.run(&s).unwrap();
    assert_eq!(done.graded, ["alice", "bob", "carol"]);
    assert_eq!(c.graded_since(), ["(starter)", "alice", "bob", "carol"]);
    let gradebook = read(&s.out, "gradebook.csv");
    let lines: Vec<&str> = gradebook.lines().collect();
    assert_eq!(
        lines[0],
        "student,repo,commit,committed_at,status,score,max_score,lab1,lab2"
    );
    assert!(
        lines[1].ends_with(",2026-11-20T12:00:00Z,graded,10,10,6,4"),
        "{}",
        lines[1]
    );
    assert!(lines[2].ends_with(",graded,4,10,4,0"), "{}", lines[2]);
    assert!(
        lines[3].ends_with(",compile_error,0,10,0,0"),
        "{}",
        lines[3]
    );
    assert_eq!(
        read(&s.out, "students/bob/feedback.md"),
        "# 4/10 (graded)\n"
    );
    assert_eq!(
        read(&s.out, "students/bob/results.json"),
        "{\"score\": 4}\n"
    );
    let before = files(&s.out);

    // The same run again: nothing graded, not even the starter, and the
    // same bytes.
    let done = c.run(&s).unwrap();
    assert_eq!(done.skipped, ["alice", "bob", "carol"]);
    assert!(c.graded_since().is_empty());
    assert_eq!(files(&s.out), before);

    // Bob commits again: only bob.
    let bob = c.path("repos/bob");
    fs::write(bob.join("crates/rio/src/lib.rs"), "pass a b").unwrap();
    git_at(&bob, None, &["commit", "-q", "-am", "more"]);
    c.run(&s).unwrap();
    assert_eq!(c.graded_since(), ["(starter)", "bob"]);
    assert!(read(&s.out, "gradebook.csv").contains(",graded,6,10,6,0"));

    // The grader changes (any file of the base): everyone again.
    *c.version.lock().unwrap() = "2".into();
    c.run(&s).unwrap();
    assert_eq!(c.graded_since(), ["(starter)", "alice", "bob", "carol"]);
}

/// The held-back checks' details stay out of the feedback until they are
/// released; releasing renders the stored feedback again, grades nothing,
/// and a second release changes nothing.
#[test]
fn held_back_details_wait_for_their_release() {
    const DETAILS: &str = "### Held-back checks: 1/2\n";
    let c = Course::new();
    c.repo("alice", &[(NOV, "pass a b c")]);
    c.repo("carol", &[(NOV, "compile_error")]);
    let roster = c.roster(&["alice", "carol"]);
    let s = c.settings(&roster, "out");
    let feedback = |who: &str| read(&s.out, &format!("students/{who}/feedback.md"));
    c.run(&s).unwrap();
    assert_eq!(feedback("alice"), "# 10/10 (graded)\n");
    assert_eq!(read(&s.out, "students/alice/held_back.md"), DETAILS);
    assert!(!s.out.join("students/carol/held_back.md").exists());
    let out = super::store::Out::check(&s.out).unwrap();
    assert!(!out.mark("alice").unwrap().held_back_released);

    // The release: a render of what is stored, once.
    let gradebook = read(&s.out, "gradebook.csv");
    c.graded_since();
    assert_eq!(out.release_held_back().unwrap(), 1);
    assert!(c.graded_since().is_empty());
    assert_eq!(feedback("alice"), format!("# 10/10 (graded)\n{DETAILS}"));
    assert!(out.mark("alice").unwrap().held_back_released);
    assert_eq!(feedback("carol"), "# 0/10 (compile_error)\n");
    assert_eq!(read(&s.out, "gradebook.csv"), gradebook);
    assert_eq!(out.release_held_back().unwrap(), 0);

    // A later run with --release-held-back releases what it grades too.
    c.repo("bob", &[(NOV, "pass a")]);
    let later = Settings {
        release_held_back: true,
        ..c.settings(&c.roster(&["alice", "bob", "carol"]), "out")
    };
    c.run(&later).unwrap();
    for (who, score) in [("bob", 4), ("alice", 10)] {
        assert_eq!(feedback(who), format!("# {score}/10 (graded)\n{DETAILS}"));
    }
}

#[test]
fn two_shards_merged_are_the_unsharded_run() {
    let c = Course::new();
    c.repo("alice", &[(NOV, "pass a b c")]);
    c.repo("bob", &[(NOV, "pass a")]);
    c.repo("carol", &[(NOV, "compile_error")]);
    c.repo("dave", &[(NOV, "timed_out")]);
    // erin's repository does not exist.
    let roster = c.roster(&["alice", "bob", "carol", "dave", "erin"]);
    assert_eq!(
        shard_rows(&roster, Some((2, 2)))
            .iter()
            .map(|r| r.student.as_str())
            .collect::<Vec<_>>(),
        ["bob", "dave"]
    );

    let whole = c.settings(&roster, "whole");
    c.run(&whole).unwrap();
    for (i, dir) in [(1, "s1"), (2, "s2")] {
        let s = Settings {
            shard: Some((i, 2)),
            ..c.settings(&roster, dir)
        };
        c.run(&s).unwrap();
    }
    assert_eq!(read(&c.path("s2"), "gradebook.csv").lines().count(), 3);
    merge(&[c.path("s2"), c.path("s1")], &c.path("merged")).unwrap();
    assert_eq!(files(&c.path("merged")), files(&whole.out));
    let gradebook = read(&whole.out, "gradebook.csv");
    assert!(gradebook.contains(",timed_out,0,10,0,0"), "{gradebook}");
    assert!(gradebook.contains("\nerin,"), "{gradebook}");
    assert!(
        gradebook.contains(",,,clone_failed,0,10,0,0"),
        "{gradebook}"
    );
    let erin = read(&whole.out, "students/erin/feedback.md");
    assert!(erin.contains("could not be cloned"), "{erin}");
    assert!(erin.contains("repos/erin"), "{erin}");

    // A missing shard, a shard given twice, shards of another run.
    let e = merge(&[c.path("s1")], &c.path("m2")).unwrap_err();
    assert!(
        e.contains("2 of the roster's 5 rows are in none of the shards given (1/2): bob, dave"),
        "{e}"
    );
    let e = merge(&[c.path("s1"), c.path("s1")], &c.path("m3")).unwrap_err();
    assert!(e.contains("alice is graded in both"), "{e}");
    let other = Settings {
        shard: Some((2, 2)),
        deadline: Some(1_900_000_000),
        ..c.settings(&roster, "other")
    };
    c.run(&other).unwrap();
    let e = merge(&[c.path("s1"), c.path("other")], &c.path("m4")).unwrap_err();
    assert!(e.contains("not graded with the same deadline"), "{e}");
    let e = merge(&[c.path("s1"), c.path("s2")], &c.path("s1")).unwrap_err();
    assert!(e.contains("is one of the directories to merge"), "{e}");
}

#[test]
fn each_job_grades_at_one_fixed_path_with_its_own_target_and_uids() {
    let c = Course::new();
    let names = ["a1", "a2", "a3", "a4", "a5", "a6"];
    for n in names {
        c.repo(n, &[(NOV, "pass a")]);
    }
    let roster = c.roster(&names);
    let s = Settings {
        jobs: 2,
        root: true,
        ..c.settings(&roster, "out")
    };
    c.run(&s).unwrap();
    let calls: Vec<Call> = c.fake.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 7);
    let job = |j: usize| s.out.join(".work/jobs").join(j.to_string());
    // The starter first, by job 0, which builds the dependencies.
    assert_eq!(calls[0].work, job(0).join("work"));
    assert!(!calls[0].seeded);
    for call in &calls {
        let j = (0..2)
            .find(|&j| call.work == job(j).join("work"))
            .unwrap_or_else(|| panic!("graded at {}", call.work.display()));
        assert_eq!(
            call.target,
            job(j).join("target"),
            "job {j} uses its own target"
        );
        // Isolation::official gives uids only to a grader that is root.
        let expected = grader_sandbox::sys::is_root().then_some(47_000 + 100 * j as u32);
        assert_eq!(call.uid_base, expected);
    }
    // Job 1's target directory was a copy of job 0's before its first
    // submission: the dependencies are not built again.
    assert!(calls[1..].iter().all(|c| c.seeded));
    // Not root: no uid.
    let s = Settings {
        root: false,
        ..c.settings(&roster, "out2")
    };
    c.fake.calls.lock().unwrap().clear();
    c.run(&s).unwrap();
    assert!(
        c.fake
            .calls
            .lock()
            .unwrap()
            .iter()
            .all(|c| c.uid_base.is_none())
    );
}

#[test]
fn the_deadline_the_ref_and_rows_with_nothing_to_grade() {
    let c = Course::new();
    // A correct commit after the deadline on top of a starter commit
    // before it: graded at the starter commit.
    let ids = c.repo(
        "late",
        &[
            ("2026-11-30T12:00:00Z", "pass"),
            ("2026-12-02T12:00:00Z", "pass a b c"),
        ],
    );
    c.repo("early", &[("2026-12-05T12:00:00Z", "pass a")]);
    c.repo(
        "tagged",
        &[
            ("2026-11-01T00:00:00Z", "pass c"),
            ("2026-12-09T00:00:00Z", "pass a"),
        ],
    );
    git_at(&c.path("repos/tagged"), None, &["tag", "submitted", "HEAD"]);
    let nocrates = c.path("repos/nocrates");
    repo_with(&nocrates, &[(NOV, "README.md", "hello")]);
    let mut roster = c.roster(&["late", "early", "tagged", "nocrates"]);
    roster[2].git_ref = Some("submitted".into());
    let s = Settings {
        deadline: Some(super::time::parse("2026-12-01T23:59:00-05:00").unwrap()),
        ..c.settings(&roster, "out")
    };
    c.run(&s).unwrap();
    let gradebook = read(&s.out, "gradebook.csv");
    let row = |who: &str| {
        gradebook
            .lines()
            .find(|l| l.starts_with(&format!("{who},")))
            .unwrap()
            .to_string()
    };
    assert!(
        row("late").contains(&format!(",{},2026-11-30T12:00:00Z,graded,0,10,0,0", ids[0])),
        "{gradebook}"
    );
    assert!(
        row("early").ends_with(",,,no_submission,0,10,0,0"),
        "{gradebook}"
    );
    assert!(
        row("tagged").ends_with(",2026-12-09T00:00:00Z,graded,4,10,4,0"),
        "{gradebook}"
    );
    assert!(
        row("nocrates").contains(",no_submission,0,10,0,0"),
        "{gradebook}"
    );
    // Each graded row is told its commit and the rule that picked it.
    let calls = c.fake.calls.lock().unwrap().clone();
    let about = |who: &str| {
        calls
            .iter()
            .find(|call| call.submission.ends_with(who))
            .map(|call| call.about.clone())
            .unwrap()
    };
    let late = about("late");
    assert_eq!(late.commit.as_deref(), Some(ids[0].as_str()));
    assert_eq!(late.committed_at.as_deref(), Some("2026-11-30T12:00:00Z"));
    assert!(
        late.picked_by
            .contains("at or before the deadline, 2026-12-02T04:59:00Z"),
        "{late:?}"
    );
    assert!(!late.grader.is_empty());
    assert!(about("tagged").picked_by.contains("`submitted`"));
    let early = read(&s.out, "students/early/feedback.md");
    assert!(early.contains("**Graded:** nothing"), "{early}");
    assert!(early.contains("2026-12-02T04:59:00Z"), "{early}");
    assert!(early.contains("2026-12-05T12:00:00Z"), "{early}");
    let summary = read(&s.out, "summary.md");
    assert!(
        summary.contains("1 at the commit their `ref` column names"),
        "{summary}"
    );
}

#[test]
fn fetching_and_grading_can_be_two_steps() {
    let c = Course::new();
    c.repo("alice", &[(NOV, "pass a")]);
    c.repo("bob", &[(NOV, "pass c")]);
    let roster = c.roster(&["alice", "bob"]);
    let fetch = Settings {
        mode: Mode::FetchOnly,
        ..c.settings(&roster, "out")
    };
    c.run(&fetch).unwrap();
    assert!(c.graded_since().is_empty());
    assert!(!fetch.out.join("gradebook.csv").exists());
    // The grading step cannot reach the repositories, and need not.
    fs::rename(c.path("repos"), c.path("gone")).unwrap();
    let grade = Settings {
        mode: Mode::NoFetch,
        ..c.settings(&roster, "out")
    };
    c.run(&grade).unwrap();
    assert_eq!(c.graded_since(), ["(starter)", "alice", "bob"]);
    assert!(read(&grade.out, "gradebook.csv").contains(",graded,4,10,0,4"));
    // Another deadline than the fetch's is refused, before anything.
    let stale = Settings {
        deadline: Some(0),
        ..grade
    };
    let e = c.run(&stale).unwrap_err();
    assert!(
        e.contains("alice: fetched for another repo, ref or deadline"),
        "{e}"
    );
    assert!(e.contains("--fetch-only first"), "{e}");
    assert!(c.graded_since().is_empty());
}

#[test]
fn a_fault_of_the_machine_writes_no_gradebook_and_is_retried_alone() {
    let c = Course::new();
    c.repo("alice", &[(NOV, "pass a")]);
    c.repo("bob", &[(NOV, "fault")]);
    let roster = c.roster(&["alice", "bob"]);
    let s = c.settings(&roster, "out");
    let e = c.run(&s).unwrap_err();
    assert!(e.contains("1 submission could not be graded"), "{e}");
    assert!(e.contains("bob: disk full"), "{e}");
    assert!(!s.out.join("gradebook.csv").exists());
    assert!(s.out.join("students/alice/marks.json").exists());
    let bob = c.path("repos/bob");
    fs::write(bob.join("crates/rio/src/lib.rs"), "pass a b").unwrap();
    git_at(&bob, None, &["commit", "-q", "-am", "fixed"]);
    c.graded_since();
    c.run(&s).unwrap();
    assert_eq!(c.graded_since(), ["(starter)", "bob"]);
}

#[test]
fn a_directory_that_is_not_ours_is_refused_before_anything() {
    let c = Course::new();
    c.repo("alice", &[(NOV, "pass a")]);
    let roster = c.roster(&["alice"]);
    let s = c.settings(&roster, "thesis");
    fs::create_dir_all(&s.out).unwrap();
    fs::write(s.out.join("chapter1.tex"), "").unwrap();
    let e = c.run(&s).unwrap_err();
    assert!(e.contains("holds `chapter1.tex`"), "{e}");
    assert!(c.graded_since().is_empty());
    assert_eq!(fs::read_dir(&s.out).unwrap().count(), 1);
}

#[test]
fn a_student_no_longer_in_the_roster_leaves_the_directory() {
    let c = Course::new();
    c.repo("alice", &[(NOV, "pass a")]);
    c.repo("bob", &[(NOV, "pass a")]);
    let s = c.settings(&c.roster(&["alice", "bob"]), "out");
    c.run(&s).unwrap();
    let s = c.settings(&c.roster(&["bob"]), "out");
    c.run(&s).unwrap();
    assert!(!s.out.join("students/alice").exists());
    assert!(!s.out.join(".work/clones/alice").exists());
    assert_eq!(read(&s.out, "gradebook.csv").lines().count(), 2);
}

#[test]
fn a_relative_output_directory_works() {
    let c = Course::new();
    c.repo("alice", &[(NOV, "pass a")]);
    // The same directory, relative to the current one.
    let cwd = std::env::current_dir().unwrap();
    let up = "../".repeat(cwd.components().count() - 1);
    let abs = c.path("rel");
    let rel = PathBuf::from(format!("{up}{}", abs.strip_prefix("/").unwrap().display()));
    assert!(rel.is_relative());
    let s = Settings {
        out: rel,
        ..c.settings(&c.roster(&["alice"]), "unused")
    };
    c.run(&s).unwrap();
    assert!(read(&abs, "gradebook.csv").contains(",graded,4,10,4,0"));
}

#[test]
fn durations_are_to_the_second_below_ten_minutes() {
    use super::run::duration;
    assert_eq!(duration(Duration::from_secs(41)), "41 s");
    assert_eq!(duration(Duration::from_secs(90)), "1 min 30 s");
    assert_eq!(duration(Duration::from_secs(605)), "10 min");
    assert_eq!(duration(Duration::from_secs(3900)), "1 h 05 min");
}
