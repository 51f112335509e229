//! `cargo xtask grade` on a real course: a roster of local git repositories
//! graded by the real grader, under its real containment.
//!
//! The roster is every kind of submission an instructor gets: the reference
//! (full marks), the untouched starter (0), a syntax error
//! (`compile_error`, the compiler's first error in `feedback.md`), `loop {}`
//! in `readn` (graded; that check times out; the run goes on), an `exit(0)`
//! cheat (0 on the checks it targets), a correct commit made after the
//! deadline on top of a starter commit made before it (graded at the
//! starter commit: 0), a repository without `crates/` (`no_submission`) and
//! a path that does not exist (`clone_failed`), and a peeker whose `rio`
//! puts another student's feedback in `compile_error!(include_str!(…))`
//! (`compile_error`: the build, unprivileged, is denied the file, whose
//! text is nowhere in the peeker's row). Every row of the gradebook
//! is checked; a second run into the same directory must grade nothing; two
//! shards merged must equal the unsharded run.
//!
//! The shared-target trap. In the unsharded run (one job) the reference is
//! graded right before the starter, at the same path with the same target
//! directory, and every checkout was made before the reference was built.
//! If the grading path ever reused the previous submission's build (a
//! target directory shared between paths, or copies that keep the files'
//! old times so that cargo believes the last build fresh), the starter's row
//! would show the reference's points and this test would fail. Shard 1 has
//! the reference right before the `exit(0)` cheat, with two jobs.
//!
//! It grades 12 submissions and the starter 3 times: about 5 minutes on 2 cores. So it is
//! `#[ignore]`d in `cargo test` and run by `.ci/run`:
//!
//! ```text
//! cargo test -p xtask --test grade -- --ignored --nocapture
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

const DEADLINE: &str = "2026-12-01T23:59:00Z";
const BEFORE: &str = "2026-11-25T12:00:00Z";
const AFTER: &str = "2026-12-02T12:00:00Z";

/// The instructor's workspace.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Extra environment of every xtask run: as root on a machine whose
/// toolchain is in root's closed home, a copy others may run (the build
/// runs as an unprivileged uid; see [`reachable_toolchain`]).
static XTASK_ENV: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();

/// Runs `xtask ARGS…`; returns its stderr, and fails the test with it
/// unless it succeeds.
fn xtask(args: &[&str]) -> String {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .envs(XTASK_ENV.get().into_iter().flatten().map(|(k, v)| (k, v)))
        .output()
        .expect("xtask runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!(
        "--- xtask {} ({:.0} s)\n{stderr}",
        args.join(" "),
        started.elapsed().as_secs_f64()
    );
    assert!(out.status.success(), "xtask {args:?} failed:\n{stderr}");
    stderr
}

fn git(dir: &Path, date: &str, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Student")
        .env("GIT_AUTHOR_EMAIL", "student@example.edu")
        .env("GIT_COMMITTER_NAME", "Student")
        .env("GIT_COMMITTER_EMAIL", "student@example.edu")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Commits the whole tree at `date`; returns the commit id.
fn commit(dir: &Path, date: &str) -> String {
    git(dir, date, &["add", "-A"]);
    git(dir, date, &["commit", "-q", "-m", "work"]);
    git(dir, date, &["rev-parse", "HEAD"])
}

/// Is every directory from `/` down to `p` open to other users?
fn open_to_others(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let p = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    p.ancestors()
        .all(|d| fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
}

/// As root, where the toolchain or the dependencies' sources are closed to
/// other users (root's home, mode 700): hard-linked copies under `t`, and
/// the environment that makes xtask use them (as autograder/gradescope/
/// test.sh does).
fn reachable_toolchain(t: &Path) -> Vec<(String, String)> {
    if !grader_sandbox::sys::is_root() {
        return Vec::new();
    }
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .unwrap();
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    if open_to_others(&sysroot) && open_to_others(&home) {
        return Vec::new();
    }
    let cp = |from: &Path, to: &Path| {
        let ok = Command::new("cp")
            .arg("-al")
            .arg(from)
            .arg(to)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cp -al {} {}", from.display(), to.display());
    };
    cp(&sysroot, &t.join("toolchain"));
    fs::create_dir_all(t.join("cargo-home")).unwrap();
    for part in ["registry", "git"] {
        if home.join(part).is_dir() {
            cp(&home.join(part), &t.join("cargo-home").join(part));
        }
    }
    let path = format!(
        "{}:{}",
        t.join("toolchain/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    vec![
        ("PATH".to_string(), path),
        (
            "CARGO_HOME".to_string(),
            t.join("cargo-home").display().to_string(),
        ),
    ]
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" && entry.file_name() != ".git" {
                copy_dir(&src, &dst);
            }
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

/// A new student repository holding the starter.
fn student(repos: &Path, starter: &Path, name: &str) -> PathBuf {
    let dir = repos.join(name);
    copy_dir(starter, &dir);
    git(&dir, BEFORE, &["init", "-q", "-b", "main"]);
    dir
}

/// The reference's `crates/*/src` over the starter's.
fn put_reference(dir: &Path) {
    for entry in fs::read_dir(dir.join("crates")).unwrap() {
        let name = entry.unwrap().file_name();
        let src = root().join("crates").join(&name).join("src");
        let dst = dir.join("crates").join(&name).join("src");
        fs::remove_dir_all(&dst).unwrap();
        copy_dir(&src, &dst);
    }
}

/// `text` with every `todo!(…)` whose message starts with one of
/// `prefixes` replaced by `std::process::exit(0)`.
fn exit_instead_of_todo(text: &str, prefixes: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("todo!(") {
        let open = at + "todo!(".len();
        let close = open + rest[open..].find(')').expect("todo!() closes");
        let message = rest[open..close].trim().trim_start_matches('"');
        out.push_str(&rest[..at]);
        if prefixes.iter().any(|p| message.starts_with(p)) {
            out.push_str("std::process::exit(0)");
        } else {
            out.push_str(&rest[at..=close]);
        }
        rest = &rest[close + 1..];
    }
    out + rest
}

/// `readn`'s solution region replaced by `loop {}`.
fn readn_loops(text: &str) -> String {
    let begin = text
        .find("// BEGIN SOLUTION: lab 1 step 1 (readn)")
        .expect("readn's region");
    let end = begin + text[begin..].find("// END SOLUTION").expect("its end");
    let end = end + "// END SOLUTION".len();
    format!(
        "{}let _ = (r, buf);\n    loop {{}}{}",
        &text[..begin],
        &text[end..]
    )
}

fn edit(path: &Path, f: impl Fn(&str) -> String) {
    let text = fs::read_to_string(path).unwrap();
    let new = f(&text);
    assert_ne!(new, text, "{} unchanged", path.display());
    fs::write(path, new).unwrap();
}

/// `gradebook.csv` as (header, rows as column → value).
fn gradebook(dir: &Path) -> (String, Vec<Vec<(String, String)>>) {
    let text = fs::read_to_string(dir.join("gradebook.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let names: Vec<String> = header.split(',').map(str::to_string).collect();
    let rows = lines
        .map(|l| {
            names
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect();
    (header, rows)
}

fn get<'a>(row: &'a [(String, String)], col: &str) -> &'a str {
    row.iter()
        .find(|(c, _)| c == col)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no column {col}"))
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The Gradescope tests of a student, as (check id, passed, output).
fn tests_of(out: &Path, student: &str) -> Vec<(String, bool, String)> {
    let results = json(&out.join("students").join(student).join("results.json"));
    results["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let name = t["name"].as_str().unwrap();
            let id = name.split_whitespace().next().unwrap().to_string();
            (
                id,
                t["status"] == "passed",
                t["output"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
#[ignore = "grades 12 real submissions (minutes): run by .ci/run with --ignored"]
fn a_course_graded_at_a_deadline() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // As root, the checks run as other uids, which must reach the work
    // directories under this one (a temporary directory is the owner's only).
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(t, fs::Permissions::from_mode(0o755)).unwrap();
    }
    XTASK_ENV.get_or_init(|| reachable_toolchain(t));
    let starter = t.join("starter");
    xtask(&["starter", starter.to_str().unwrap()]);
    let repos = t.join("repos");

    let dir = student(&repos, &starter, "reference");
    put_reference(&dir);
    commit(&dir, BEFORE);

    let dir = student(&repos, &starter, "starter");
    commit(&dir, BEFORE);

    // exit(0) as the first (and only) line of every lab 1 and lab 2
    // function and of `echo`.
    let dir = student(&repos, &starter, "cheat");
    for file in [
        "crates/rio/src/lib.rs",
        "crates/netutil/src/lib.rs",
        "crates/echoserver/src/lib.rs",
    ] {
        edit(&dir.join(file), |s| {
            exit_instead_of_todo(s, &["lab 1 ", "lab 2 ", "lab 3 step 1:"])
        });
    }
    commit(&dir, BEFORE);

    let dir = student(&repos, &starter, "syntax");
    put_reference(&dir);
    edit(&dir.join("crates/rio/src/lib.rs"), |s| {
        format!("{s}\nfn broken( {{\n")
    });
    commit(&dir, BEFORE);

    let dir = student(&repos, &starter, "loops");
    put_reference(&dir);
    edit(&dir.join("crates/rio/src/lib.rs"), readn_loops);
    commit(&dir, BEFORE);

    let dir = student(&repos, &starter, "late");
    let on_time = commit(&dir, BEFORE);
    put_reference(&dir);
    commit(&dir, AFTER);

    let dir = repos.join("nocrates");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("README.md"), "my echo server, in my head\n").unwrap();
    git(&dir, BEFORE, &["init", "-q", "-b", "main"]);
    let nocrates = commit(&dir, BEFORE);

    // Another student's feedback, which the one job has written by the
    // time this row is graded (the reference's: the first row).
    let whole = t.join("whole");
    let theirs = whole.join("students/reference/feedback.md");
    let dir = student(&repos, &starter, "peeker");
    put_reference(&dir);
    edit(&dir.join("crates/rio/src/lib.rs"), |s| {
        format!(
            "{s}\ncompile_error!(include_str!({:?}));\n",
            theirs.display()
        )
    });
    commit(&dir, BEFORE);

    let students = [
        "reference",
        "starter",
        "cheat",
        "syntax",
        "loops",
        "late",
        "nocrates",
        // Before "missing", so that shard 1 grades what it did before the
        // peeker was added (missing is not graded) and the peeker goes to
        // shard 2, beside rows that build little.
        "peeker",
        "missing",
    ];
    let roster = t.join("roster.csv");
    let mut text = String::from("student,repo\n");
    for s in students {
        text += &format!("{s},{}\n", repos.join(s).display());
    }
    fs::write(&roster, text).unwrap();
    let roster = roster.to_str().unwrap();

    // One job: the reference, then the starter, at one path.
    let w = whole.to_str().unwrap();
    let grade_whole = || {
        xtask(&[
            "grade",
            "--roster",
            roster,
            "--out",
            w,
            "--deadline",
            DEADLINE,
            "--jobs",
            "1",
        ])
    };
    grade_whole();

    let (header, rows) = gradebook(&whole);
    let labs: Vec<&str> = header.split(',').skip(7).collect();
    assert!(
        header.starts_with(
            "student,repo,commit,committed_at,status,score,max_score,lab1,lab2,lab3,lab4"
        ),
        "{header}"
    );
    assert!(labs.iter().all(|l| l.starts_with("lab")), "{header}");
    assert_eq!(
        rows.iter().map(|r| get(r, "student")).collect::<Vec<_>>(),
        students
    );
    let row = |s: &str| rows.iter().find(|r| get(r, "student") == s).unwrap();
    let max: u32 = get(row("reference"), "max_score").parse().unwrap();
    assert!(max > 0);
    for r in &rows {
        assert_eq!(get(r, "max_score"), max.to_string(), "{r:?}");
        assert!(
            get(r, "repo").ends_with(&format!("repos/{}", get(r, "student"))),
            "{r:?}"
        );
    }
    let labs_of = |s: &str| -> Vec<u32> {
        labs.iter()
            .map(|l| get(row(s), l).parse().unwrap())
            .collect()
    };

    // The reference: full marks, every lab full.
    let r = row("reference");
    assert_eq!(get(r, "status"), "graded");
    assert_eq!(get(r, "score"), max.to_string());
    assert_eq!(get(r, "committed_at"), BEFORE);
    let full = labs_of("reference");
    let marks = json(&whole.join("students/reference/marks.json"));
    for (lab, got) in marks["labs"].as_array().unwrap().iter().zip(&full) {
        assert_eq!(lab["max_score"].as_u64(), Some(u64::from(*got)), "{marks}");
    }
    assert!(tests_of(&whole, "reference").iter().all(|t| t.1));
    // The held-back checks ran and passed; their details wait for a release.
    let feedback_of =
        |s: &str| std::fs::read_to_string(whole.join(format!("students/{s}/feedback.md"))).unwrap();
    let details = std::fs::read_to_string(whole.join("students/reference/held_back.md")).unwrap();
    assert!(
        details.contains("✓ `lab1_rio::held_back_readlineb_seeded_text`"),
        "{details}"
    );
    assert!(feedback_of("reference").contains("**Held back:** 4 of these points"));
    assert!(!feedback_of("reference").contains("held_back_"));

    // The starter, graded right after the reference by the same job: 0.
    let r = row("starter");
    assert_eq!(
        (get(r, "status"), get(r, "score")),
        ("graded", "0"),
        "the starter got points: was the reference's build reused?"
    );
    assert!(labs_of("starter").iter().all(|&x| x == 0));

    // exit(0): zero on every check of lab 1 and 2 and on echo's.
    let r = row("cheat");
    assert_eq!((get(r, "status"), get(r, "score")), ("graded", "0"));
    let cheat = tests_of(&whole, "cheat");
    assert!(
        cheat
            .iter()
            .filter(|t| t.0.starts_with("lab1_")
                || t.0.starts_with("lab2_")
                || t.0.contains("::echo_"))
            .all(|t| !t.1)
    );

    // A syntax error: compile_error, and the compiler's error in the feedback.
    let r = row("syntax");
    assert_eq!((get(r, "status"), get(r, "score")), ("compile_error", "0"));
    assert!(labs_of("syntax").iter().all(|&x| x == 0));
    let feedback = fs::read_to_string(whole.join("students/syntax/feedback.md")).unwrap();
    assert!(feedback.contains("error"), "{feedback}");
    assert!(feedback.contains("crates/rio/src/lib.rs"), "{feedback}");

    // loop {} in readn: graded, readn's checks timed out, the rest ran.
    let r = row("loops");
    assert_eq!(get(r, "status"), "graded");
    let score: u32 = get(r, "score").parse().unwrap();
    assert!(score > 0 && score < max, "{r:?}");
    let loops = tests_of(&whole, "loops");
    let eof = loops
        .iter()
        .find(|t| t.0 == "lab1_rio::readn_eof")
        .expect("readn_eof is graded");
    assert!(!eof.1);
    assert!(eof.2.to_lowercase().contains("timed out"), "{}", eof.2);
    assert_eq!(labs_of("loops")[1], full[1], "lab 2 is graded all the same");

    // Correct after the deadline, starter before it: the starter commit.
    let r = row("late");
    assert_eq!(get(r, "commit"), on_time);
    assert_eq!(get(r, "committed_at"), BEFORE);
    assert_eq!((get(r, "status"), get(r, "score")), ("graded", "0"));

    let r = row("nocrates");
    assert_eq!(get(r, "commit"), nocrates);
    assert_eq!((get(r, "status"), get(r, "score")), ("no_submission", "0"));

    // The peeker: the compiler was denied the reference's feedback, whose
    // text is nowhere in the peeker's row.
    let r = row("peeker");
    assert_eq!((get(r, "status"), get(r, "score")), ("compile_error", "0"));
    let leaked = fs::read_to_string(&theirs).unwrap();
    let own = ["results.json", "feedback.md", "marks.json"]
        .map(|f| fs::read_to_string(whole.join("students/peeker").join(f)).unwrap())
        .join("\n");
    assert!(own.contains("ermission denied"), "{own}");
    for line in leaked.lines().filter(|l| l.trim().len() > 30) {
        assert!(
            !own.contains(line.trim()),
            "the peeker's row holds {line:?}"
        );
    }

    let r = row("missing");
    assert_eq!(
        (get(r, "commit"), get(r, "status"), get(r, "score")),
        ("", "clone_failed", "0")
    );
    let feedback = fs::read_to_string(whole.join("students/missing/feedback.md")).unwrap();
    assert!(feedback.contains("could not be cloned"), "{feedback}");

    // Every row has its two files.
    for s in students {
        for f in ["results.json", "feedback.md"] {
            assert!(whole.join("students").join(s).join(f).is_file(), "{s}/{f}");
        }
    }
    let summary = fs::read_to_string(whole.join("summary.md")).unwrap();
    assert!(summary.contains("| `graded` | 5 |"), "{summary}");
    assert!(summary.contains("`lab1_rio::readn_eof`"), "{summary}");

    // A second run into the same directory grades nothing.
    let before = fs::read_to_string(whole.join("gradebook.csv")).unwrap();
    let results = whole.join("students/reference/results.json");
    let written = fs::metadata(&results).unwrap().modified().unwrap();
    let said = grade_whole();
    assert!(
        said.contains("grade: 0 graded, 8 kept, 1 with nothing to grade"),
        "{said}"
    );
    assert!(!said.contains("grading the starter"), "{said}");
    assert_eq!(
        fs::read_to_string(whole.join("gradebook.csv")).unwrap(),
        before
    );
    assert_eq!(fs::metadata(&results).unwrap().modified().unwrap(), written);

    // Two shards, two jobs each, merged: the unsharded run.
    let mut shards = Vec::new();
    for i in 1..=2 {
        let dir = t.join(format!("shard{i}"));
        xtask(&[
            "grade",
            "--roster",
            roster,
            "--out",
            dir.to_str().unwrap(),
            "--deadline",
            DEADLINE,
            "--jobs",
            "2",
            "--shard",
            &format!("{i}/2"),
        ]);
        shards.push(dir);
    }
    let merged = t.join("merged");
    xtask(&[
        "grade",
        "--merge",
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    for f in ["gradebook.csv", "summary.md", "run.json"] {
        assert_eq!(
            fs::read_to_string(merged.join(f)).unwrap(),
            fs::read_to_string(whole.join(f)).unwrap(),
            "{f}: merged shards differ from the unsharded run"
        );
    }
    for s in students {
        assert_eq!(
            json(&merged.join("students").join(s).join("marks.json")),
            json(&whole.join("students").join(s).join("marks.json")),
            "{s}"
        );
    }

    // After the due date: the held-back checks' details released into the
    // feedback, and nothing graded again.
    let said = xtask(&["grade", "--out", w, "--release-held-back"]);
    assert!(said.contains("details added to"), "{said}");
    assert!(feedback_of("reference").contains("### Held-back checks: 4/4"));
    assert!(feedback_of("reference").contains("held_back_server_echoes_seeded_lines"));
    assert_eq!(
        fs::read_to_string(whole.join("gradebook.csv")).unwrap(),
        before
    );
}
