//! Getting a student's submission: fetch as little of their repository as
//! the choice of commit needs, pick the commit, check it out.
//!
//! - `ref` given: that commit only (`--depth 1`); when the server will not
//!   send a commit by id, or the id is abbreviated, every branch and tag
//!   without their files (`--filter=tree:0`), then `git rev-parse`.
//! - a deadline: the default branch's commits without their files
//!   (`--filter=tree:0`), walked from its head along first parents: the
//!   first commit whose committer time is at or before the deadline. (A
//!   side branch merged after the deadline was not on the default branch
//!   at the deadline, so its commits are not candidates.) Only that
//!   commit's files are then fetched, by the checkout.
//! - neither: the head of the default branch (`--depth 1`).
//!
//! Local paths get the same treatment (git ignores the filter there).
//! Nothing of the repository is run: no hooks are cloned, submodules are
//! not fetched, symbolic links are checked out as small files holding
//! their target (`core.symlinks=false`, so that copying `crates/*/src`
//! never follows one out of the checkout), Git LFS is not smudged, and a
//! credential prompt fails at once instead of waiting.
//!
//! The whole fetch (and the checkout, which may fetch the commit's files
//! lazily) happens here, so a `--fetch-only` step can hold the token that
//! reads private repositories and the grading step need not.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// What fetching gave for one row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The checkout holds this commit.
    Commit {
        /// Full commit id.
        commit: String,
        /// Its committer time, seconds since the epoch.
        committed_at: i64,
    },
    /// The repository has no commit to grade (`no_submission`).
    NoCommit {
        /// Why, for the student's feedback.
        why: String,
    },
    /// The repository could not be fetched (`clone_failed`).
    Failed {
        /// Git's words, for the feedback.
        why: String,
    },
}

/// Fetches `repo` into `dest` (which must not exist) and checks out the
/// commit to grade: `git_ref` if given, else the last commit of the
/// default branch at or before `deadline` (seconds since the epoch), else
/// its head.
pub fn fetch(repo: &str, git_ref: Option<&str>, deadline: Option<i64>, dest: &Path) -> Outcome {
    match try_fetch(repo, git_ref, deadline, dest) {
        Ok(outcome) => outcome,
        Err(why) => Outcome::Failed { why },
    }
}

fn try_fetch(
    repo: &str,
    git_ref: Option<&str>,
    deadline: Option<i64>,
    dest: &Path,
) -> Result<Outcome, String> {
    std::fs::create_dir_all(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    git(dest, &["-c", "init.defaultBranch=graded", "init", "-q"])?;
    // A relative local path means relative to where the command was run,
    // as for `git clone`; the remote is used from inside `dest`.
    let url = match Path::new(repo).canonicalize() {
        Ok(abs) if !repo.contains("://") => abs.display().to_string(),
        _ => repo.to_string(),
    };
    git(dest, &["remote", "add", "origin", &url])?;
    let heads = git(dest, &["ls-remote", "origin", "HEAD"])?;
    let commit = match (git_ref, deadline) {
        (Some(r), _) => fetch_ref(dest, r)?,
        (None, _) if heads.trim().is_empty() => {
            return Ok(Outcome::NoCommit {
                why: "the repository has no commits (or no default branch)".to_string(),
            });
        }
        (None, Some(deadline)) => {
            git(dest, &["fetch", "-q", "--filter=tree:0", "origin", "HEAD"])?;
            let log = git(
                dest,
                &["log", "--first-parent", "--format=%H %ct", "FETCH_HEAD"],
            )?;
            let history = parse_log(&log)?;
            match pick(&history, deadline) {
                Some(c) => c.to_string(),
                None => {
                    let first = history.last().map(|(_, t)| *t).unwrap_or(deadline);
                    return Ok(Outcome::NoCommit {
                        why: format!(
                            "no commit of the default branch is dated at or before the deadline, {} (its first commit is dated {})",
                            super::time::format(deadline),
                            super::time::format(first)
                        ),
                    });
                }
            }
        }
        (None, None) => {
            git(dest, &["fetch", "-q", "--depth=1", "origin", "HEAD"])?;
            rev_parse(dest, "FETCH_HEAD^{commit}")?
        }
    };
    let committed_at = git(dest, &["show", "-s", "--format=%ct", &commit])?
        .trim()
        .parse::<i64>()
        .map_err(|e| format!("git show {commit}: committer time: {e}"))?;
    git(
        dest,
        &[
            "-c",
            "core.symlinks=false",
            "-c",
            "advice.detachedHead=false",
            "checkout",
            "-q",
            "--detach",
            &commit,
        ],
    )?;
    Ok(Outcome::Commit {
        commit,
        committed_at,
    })
}

/// The commit a `ref` column names: one commit fetched by name if the
/// server allows it, else every branch and tag (no files) and a lookup.
fn fetch_ref(dest: &Path, r: &str) -> Result<String, String> {
    if git(dest, &["fetch", "-q", "--depth=1", "origin", r]).is_ok() {
        return rev_parse(dest, "FETCH_HEAD^{commit}");
    }
    git(
        dest,
        &[
            "fetch",
            "-q",
            "--filter=tree:0",
            "origin",
            "+refs/heads/*:refs/remotes/origin/*",
            "+refs/tags/*:refs/tags/*",
        ],
    )?;
    for name in [format!("{r}^{{commit}}"), format!("origin/{r}^{{commit}}")] {
        if let Ok(c) = rev_parse(dest, &name) {
            return Ok(c);
        }
    }
    Err(format!(
        "the repository has no branch, tag or commit `{r}` (the roster's ref column)"
    ))
}

fn rev_parse(dest: &Path, name: &str) -> Result<String, String> {
    Ok(git(dest, &["rev-parse", "--verify", "-q", name])?
        .trim()
        .to_string())
}

/// `git log --format='%H %ct'` lines as (commit, committer time).
fn parse_log(log: &str) -> Result<Vec<(String, i64)>, String> {
    log.lines()
        .map(|l| {
            let (c, t) = l.split_once(' ').ok_or(format!("git log: `{l}`?"))?;
            let t = t.parse().map_err(|_| format!("git log: `{l}`?"))?;
            Ok((c.to_string(), t))
        })
        .collect()
}

/// The first commit of `history` (newest first, along first parents) whose
/// committer time is at or before `deadline`.
pub fn pick(history: &[(String, i64)], deadline: i64) -> Option<&str> {
    history
        .iter()
        .find(|(_, t)| *t <= deadline)
        .map(|(c, _)| c.as_str())
}

/// Runs `git -C dir ARGS…` and returns its stdout; `Err` holds git's
/// `fatal:`/`error:` lines (or its last lines).
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    // Never wait for a password, never run LFS's download, give up on a
    // stalled transfer; and ignore a repository this process may run in.
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_LFS_SKIP_SMUDGE", "1")
        .env("GIT_HTTP_LOW_SPEED_LIMIT", "1000")
        .env("GIT_HTTP_LOW_SPEED_TIME", "60");
    if std::env::var_os("GIT_SSH_COMMAND").is_none() && std::env::var_os("GIT_SSH").is_none() {
        cmd.env(
            "GIT_SSH_COMMAND",
            "ssh -o BatchMode=yes -o ConnectTimeout=30",
        );
    }
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .collect();
    let said = if said.is_empty() {
        let all: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        all[all.len().saturating_sub(3)..].join("\n")
    } else {
        said[..said.len().min(5)].join("\n")
    };
    Err(format!(
        "git {} failed ({}): {}",
        args.iter()
            .find(|a| !a.starts_with('-') && !a.contains('='))
            .unwrap_or(&"?"),
        out.status,
        if said.is_empty() { "no message" } else { &said }
    ))
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Runs git in `dir` with fixed identities and the given committer
    /// date, for building test repositories.
    pub fn git_at(dir: &Path, date: Option<&str>, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(dir).args(args);
        cmd.env("GIT_AUTHOR_NAME", "Student")
            .env("GIT_AUTHOR_EMAIL", "student@example.edu")
            .env("GIT_COMMITTER_NAME", "Student")
            .env("GIT_COMMITTER_EMAIL", "student@example.edu")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null");
        if let Some(d) = date {
            cmd.env("GIT_COMMITTER_DATE", d).env("GIT_AUTHOR_DATE", d);
        }
        let out = cmd.output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A repository at `dir` on branch `trunk` with one commit per
    /// (committer date, file, text), newest last; returns the commit ids.
    pub fn repo_with(dir: &Path, commits: &[(&str, &str, &str)]) -> Vec<String> {
        std::fs::create_dir_all(dir).unwrap();
        git_at(dir, None, &["init", "-q", "-b", "trunk"]);
        commits
            .iter()
            .map(|(date, file, text)| {
                let path = dir.join(file);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, text).unwrap();
                git_at(dir, None, &["add", "-A"]);
                git_at(dir, Some(date), &["commit", "-q", "-m", file]);
                git_at(dir, None, &["rev-parse", "HEAD"])
            })
            .collect()
    }

    fn read(dir: &Path, file: &str) -> String {
        std::fs::read_to_string(dir.join(file)).unwrap()
    }

    fn commit_of(o: &Outcome) -> &str {
        match o {
            Outcome::Commit { commit, .. } => commit,
            other => panic!("expected a commit, got {other:?}"),
        }
    }

    #[test]
    fn the_deadline_picks_the_last_commit_at_or_before_it_by_committer_time() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("alice");
        let ids = repo_with(
            &repo,
            &[
                ("2026-11-01T10:00:00Z", "a.txt", "first"),
                ("2026-11-30T23:59:00Z", "a.txt", "on time"),
                ("2026-12-02T09:00:00Z", "a.txt", "late"),
            ],
        );
        let repo = repo.display().to_string();
        let deadline = super::super::time::parse("2026-12-01T01:00:00+01:00").unwrap();
        let dest = tmp.path().join("c1");
        let got = fetch(&repo, None, Some(deadline), &dest);
        assert_eq!(
            got,
            Outcome::Commit {
                commit: ids[1].clone(),
                committed_at: super::super::time::parse("2026-11-30T23:59:00Z").unwrap()
            }
        );
        assert_eq!(read(&dest, "a.txt"), "on time");

        // Exactly at the deadline counts; one second before the first
        // commit is no submission at all.
        let at = super::super::time::parse("2026-12-02T09:00:00Z").unwrap();
        assert_eq!(
            commit_of(&fetch(&repo, None, Some(at), &tmp.path().join("c2"))),
            ids[2]
        );
        let before = super::super::time::parse("2026-11-01T09:59:59Z").unwrap();
        match fetch(&repo, None, Some(before), &tmp.path().join("c3")) {
            Outcome::NoCommit { why } => assert!(
                why.contains("2026-11-01T09:59:59Z") && why.contains("2026-11-01T10:00:00Z"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
        // No deadline: the head.
        let dest = tmp.path().join("c4");
        assert_eq!(commit_of(&fetch(&repo, None, None, &dest)), ids[2]);
        assert_eq!(read(&dest, "a.txt"), "late");
    }

    #[test]
    fn a_side_branch_merged_after_the_deadline_is_not_on_time() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("bob");
        let ids = repo_with(&dir, &[("2026-11-01T10:00:00Z", "a.txt", "main")]);
        git_at(&dir, None, &["checkout", "-q", "-b", "side"]);
        std::fs::write(dir.join("b.txt"), "side").unwrap();
        git_at(&dir, None, &["add", "-A"]);
        git_at(
            &dir,
            Some("2026-11-20T10:00:00Z"),
            &["commit", "-q", "-m", "side"],
        );
        git_at(&dir, None, &["checkout", "-q", "trunk"]);
        git_at(
            &dir,
            Some("2026-12-05T10:00:00Z"),
            &["merge", "-q", "--no-ff", "-m", "merge", "side"],
        );
        let deadline = super::super::time::parse("2026-12-01T00:00:00Z").unwrap();
        let dest = tmp.path().join("c");
        let got = fetch(&dir.display().to_string(), None, Some(deadline), &dest);
        assert_eq!(commit_of(&got), ids[0]);
        assert!(!dest.join("b.txt").exists());
    }

    #[test]
    fn a_ref_is_a_branch_a_tag_or_a_commit_full_or_abbreviated() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("carol");
        let ids = repo_with(
            &dir,
            &[
                ("2026-11-01T10:00:00Z", "a.txt", "one"),
                ("2026-11-02T10:00:00Z", "a.txt", "two"),
                ("2026-11-03T10:00:00Z", "a.txt", "three"),
            ],
        );
        git_at(
            &dir,
            None,
            &["tag", "-a", "-m", "handed in", "submission", &ids[1]],
        );
        git_at(&dir, None, &["branch", "old", &ids[0]]);
        let repo = dir.display().to_string();
        // The ref wins over the deadline.
        let late = Some(0);
        for (i, (r, want)) in [
            ("submission", &ids[1]),
            ("old", &ids[0]),
            (ids[1].as_str(), &ids[1]),
            (&ids[0][..10], &ids[0]),
        ]
        .into_iter()
        .enumerate()
        {
            let dest = tmp.path().join(format!("c{i}"));
            assert_eq!(commit_of(&fetch(&repo, Some(r), late, &dest)), want, "{r}");
        }
        match fetch(&repo, Some("nope"), None, &tmp.path().join("c-nope")) {
            Outcome::Failed { why } => assert!(why.contains("`nope`"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn what_cannot_be_fetched_says_why() {
        let tmp = tempfile::tempdir().unwrap();
        match fetch("/no/such/repo", None, None, &tmp.path().join("a")) {
            Outcome::Failed { why } => {
                assert!(why.contains("/no/such/repo"), "{why}");
                assert!(why.starts_with("git ls-remote failed"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        let empty = tmp.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        git_at(&empty, None, &["init", "-q"]);
        assert!(matches!(
            fetch(
                &empty.display().to_string(),
                None,
                None,
                &tmp.path().join("b")
            ),
            Outcome::NoCommit { .. }
        ));
    }

    #[test]
    fn symbolic_links_are_checked_out_as_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("eve");
        std::fs::create_dir_all(dir.join("crates/rio/src")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.join("crates/rio/src/lib.rs")).unwrap();
        git_at(&dir, None, &["init", "-q"]);
        git_at(&dir, None, &["add", "-A"]);
        git_at(
            &dir,
            Some("2026-11-01T10:00:00Z"),
            &["commit", "-q", "-m", "x"],
        );
        let dest: PathBuf = tmp.path().join("c");
        fetch(&dir.display().to_string(), None, None, &dest);
        let lib = dest.join("crates/rio/src/lib.rs");
        assert!(!lib.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(read(&dest, "crates/rio/src/lib.rs"), "/etc/hostname");
    }

    #[test]
    fn pick_walks_newest_first() {
        let h = vec![
            ("c".to_string(), 30),
            ("b".to_string(), 40),
            ("a".to_string(), 10),
        ];
        // A commit whose date is out of order is taken as it comes: dates
        // are the student's to set.
        assert_eq!(pick(&h, 35), Some("c"));
        assert_eq!(pick(&h, 30), Some("c"));
        assert_eq!(pick(&h, 29), Some("a"));
        assert_eq!(pick(&h, 9), None);
    }
}
