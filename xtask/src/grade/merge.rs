//! `cargo xtask grade --merge DIR… --out DIR`: the shards of one course
//! into one output directory, the same as one unsharded run would have
//! written (same rows, same order, same bytes).
//!
//! Shards are only merged when they are shards of the same thing: the same
//! roster, deadline, grader fingerprint, labs and points, each complete
//! (its `gradebook.csv` written), together covering every row exactly once.

use std::fs;
use std::path::{Path, PathBuf};

use super::run::{shard_rows, write_books};
use super::store::{self, Mark, Out, RunInfo, StudentFiles};

/// Merges `inputs` into `out`.
pub fn merge(inputs: &[PathBuf], out_dir: &Path) -> Result<(), String> {
    if inputs.is_empty() {
        return Err("--merge needs at least one directory".to_string());
    }
    let mut runs: Vec<(PathBuf, RunInfo)> = Vec::new();
    for dir in inputs {
        let shown = dir.display();
        let info: RunInfo = store::read_json(&dir.join("run.json"))
            .map_err(|e| format!("{shown} is not an output of `cargo xtask grade`: {e}"))?;
        if !dir.join("gradebook.csv").is_file() {
            return Err(format!(
                "{shown} has no gradebook.csv: its run did not finish"
            ));
        }
        runs.push((dir.clone(), info));
    }
    let (first_dir, first) = &runs[0];
    for (dir, info) in &runs[1..] {
        let differs = [
            ("roster", info.roster != first.roster),
            ("deadline", info.deadline != first.deadline),
            (
                "grader (base workspace fingerprint)",
                info.base != first.base,
            ),
            (
                "labs, points or checks",
                info.labs != first.labs
                    || info.max_score != first.max_score
                    || info.checks != first.checks,
            ),
        ];
        if let Some((what, _)) = differs.iter().find(|(_, d)| *d) {
            return Err(format!(
                "{} and {} were not graded with the same {what}: they are not shards of one run",
                first_dir.display(),
                dir.display()
            ));
        }
    }

    // Every roster row from exactly one input.
    let out_canon = out_dir.canonicalize().ok();
    let mut owner: Vec<Option<usize>> = vec![None; first.roster.len()];
    for (k, (dir, info)) in runs.iter().enumerate() {
        if out_canon.is_some() && dir.canonicalize().ok() == out_canon {
            return Err(format!(
                "--out {} is one of the directories to merge",
                out_dir.display()
            ));
        }
        for row in shard_rows(&info.roster, info.shard) {
            let i = first
                .roster
                .iter()
                .position(|r| r.student == row.student)
                .ok_or(format!(
                    "{}: {} is not in the roster",
                    dir.display(),
                    row.student
                ))?;
            if let Some(other) = owner[i] {
                return Err(format!(
                    "{} is graded in both {} and {}",
                    row.student,
                    runs[other].0.display(),
                    dir.display()
                ));
            }
            owner[i] = Some(k);
        }
    }
    let missing: Vec<&str> = first
        .roster
        .iter()
        .zip(&owner)
        .filter(|(_, o)| o.is_none())
        .map(|(r, _)| r.student.as_str())
        .collect();
    if !missing.is_empty() {
        let shards: Vec<String> = runs
            .iter()
            .map(|(_, i)| {
                i.shard
                    .map_or("all".to_string(), |(a, b)| format!("{a}/{b}"))
            })
            .collect();
        return Err(format!(
            "{} of the roster's {} rows are in none of the shards given ({}): {}",
            missing.len(),
            first.roster.len(),
            shards.join(", "),
            missing.join(", ")
        ));
    }

    let out = Out::check(out_dir)?;
    out.create()?;
    let mut marks: Vec<Mark> = Vec::new();
    for (row, k) in first.roster.iter().zip(&owner) {
        let from = Out {
            dir: runs[k.unwrap_or(0)].0.clone(),
        };
        let mark = from.mark(&row.student).ok_or(format!(
            "{}: the files of {} are missing or incomplete",
            from.dir.display(),
            row.student
        ))?;
        let read = |name: &str| {
            let p = from.student(&row.student).join(name);
            fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        let held_back = from.student(&row.student).join("held_back.md");
        out.write_student(&StudentFiles {
            results_json: &read("results.json")?,
            feedback_md: &read("feedback.md")?,
            held_back_md: &if held_back.is_file() {
                read("held_back.md")?
            } else {
                String::new()
            },
            mark: &mark,
        })?;
        marks.push(mark);
    }
    let names: Vec<&str> = first.roster.iter().map(|r| r.student.as_str()).collect();
    out.remove_students_except(&names)?;
    let info = RunInfo {
        shard: None,
        ..first.clone()
    };
    write_books(&out, &info, &marks.iter().collect::<Vec<_>>())?;
    eprintln!(
        "grade: merged {} {} ({} students) into {}",
        runs.len(),
        if runs.len() == 1 {
            "directory"
        } else {
            "directories"
        },
        marks.len(),
        out.dir.join("gradebook.csv").display()
    );
    Ok(())
}
