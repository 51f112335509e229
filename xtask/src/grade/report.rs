//! The two files an instructor reads: `gradebook.csv` (one row per roster
//! row, for the spreadsheet or the registrar) and `summary.md` (what the
//! course as a whole got right and wrong: what to re-teach).
//!
//! Both are functions of the marks alone, with nothing of the run in them
//! (no times, no paths), so that shards merged give the same bytes as one
//! run.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::store::{Mark, RunInfo, Status};

/// `gradebook.csv`: the header
/// `student,repo,commit,committed_at,status,score,max_score,lab1,…`, one
/// `labN` column per lab of the run, then one row per mark, in order.
pub fn gradebook(run: &RunInfo, marks: &[&Mark]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "student",
        "repo",
        "commit",
        "committed_at",
        "status",
        "score",
        "max_score",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(run.labs.iter().map(|l| format!("lab{l}")));
    let _ = w.write_record(&header);
    for m in marks {
        let mut row = vec![
            m.student.clone(),
            m.repo.clone(),
            m.commit.clone().unwrap_or_default(),
            m.committed_at.map(super::time::format).unwrap_or_default(),
            m.status.as_str().to_string(),
            m.score.to_string(),
            m.max_score.to_string(),
        ];
        row.extend(run.labs.iter().map(|lab| {
            m.labs
                .iter()
                .find(|l| l.lab == *lab)
                .map_or(0, |l| l.score)
                .to_string()
        }));
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// `summary.md`: the statuses, a histogram of the scores, per-lab means,
/// and every check's pass rate over the graded submissions, the checks
/// most students fail first.
pub fn summary(run: &RunInfo, marks: &[&Mark]) -> String {
    let mut s = String::from("# Gradebook summary\n\n");
    let n = marks.len();
    let picked = match &run.deadline {
        Some(d) => format!(
            "the last commit of each default branch at or before the deadline, {d} (by committer time)"
        ),
        None => "the head of each default branch (no deadline)".to_string(),
    };
    let with_ref = run
        .roster
        .iter()
        .filter(|r| r.git_ref.is_some() && marks.iter().any(|m| m.student == r.student))
        .count();
    let refs = if with_ref > 0 {
        format!("; {with_ref} at the commit their `ref` column names")
    } else {
        String::new()
    };
    let shard = run
        .shard
        .map(|(i, k)| format!(" (shard {i}/{k} of a roster of {})", run.roster.len()))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "{n} {}{shard}, graded at {picked}{refs}. Maximum: {} points. Grader fingerprint `{}`.\n",
        plural(n, "student", "students"),
        run.max_score,
        run.base
    );

    s.push_str("| status | students |\n|---|---:|\n");
    for status in Status::ALL {
        let k = marks.iter().filter(|m| m.status == status).count();
        let _ = writeln!(s, "| `{}` | {k} |", status.as_str());
    }

    s.push_str("\n## Scores\n\n");
    s.push_str(&histogram(marks, run.max_score));
    if n > 0 {
        let mut scores: Vec<u32> = marks.iter().map(|m| m.score).collect();
        scores.sort_unstable();
        let mean = scores.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
        let median = if n % 2 == 1 {
            f64::from(scores[n / 2])
        } else {
            (f64::from(scores[n / 2 - 1]) + f64::from(scores[n / 2])) / 2.0
        };
        let full = scores
            .iter()
            .filter(|&&x| x == run.max_score && x > 0)
            .count();
        let _ = writeln!(
            s,
            "\nMean {mean:.1}, median {median:.1} of {}; {full} with full marks.",
            run.max_score
        );
    }

    s.push_str("\n## Per lab\n\n");
    let graded: Vec<&&Mark> = marks
        .iter()
        .filter(|m| m.status == Status::Graded)
        .collect();
    s.push_str("| lab | points | mean, every row | mean, graded rows |\n|---|---:|---:|---:|\n");
    for lab in &run.labs {
        let of = |m: &Mark| m.labs.iter().find(|l| l.lab == *lab).map_or(0, |l| l.score);
        let max = run
            .checks
            .iter()
            .filter(|c| c.lab == *lab)
            .map(|c| c.max_score)
            .sum::<u32>();
        let all = mean(marks.iter().map(|m| of(m)));
        let over_graded = mean(graded.iter().map(|m| of(m)));
        let _ = writeln!(s, "| lab{lab} | {max} | {all} | {over_graded} |");
    }

    s.push_str("\n## Checks, the most failed first\n\n");
    let _ = writeln!(
        s,
        "Each check's pass rate over the {} graded {}: the top of this table is what to re-teach.\n",
        graded.len(),
        plural(graded.len(), "submission", "submissions")
    );
    s.push_str("| check | lab | points | passed | pass rate |\n|---|---:|---:|---:|---:|\n");
    let mut rates: Vec<(usize, &super::store::CheckInfo, usize, usize)> = Vec::new();
    let mut by_id: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for m in &graded {
        for c in &m.checks {
            let e = by_id.entry(c.id.as_str()).or_insert((0, 0));
            e.1 += 1;
            if c.passed {
                e.0 += 1;
            }
        }
    }
    for (order, c) in run.checks.iter().enumerate() {
        let (passed, ran) = by_id.get(c.id.as_str()).copied().unwrap_or((0, 0));
        rates.push((order, c, passed, ran));
    }
    // Lowest rate first; a check no submission ran goes last; ties keep the
    // grader's order (which is the handout's).
    rates.sort_by(|a, b| {
        let key = |r: &(usize, &super::store::CheckInfo, usize, usize)| {
            if r.3 == 0 {
                (u64::MAX, r.0)
            } else {
                // passed/ran compared exactly, as a fraction of a common scale.
                ((r.2 as u64 * 1_000_000) / r.3 as u64, r.0)
            }
        };
        key(a).cmp(&key(b))
    });
    for (_, c, passed, ran) in rates {
        let rate = if ran == 0 {
            "–".to_string()
        } else {
            format!("{:.0}%", 100.0 * passed as f64 / ran as f64)
        };
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {passed}/{ran} | {rate} |",
            c.id, c.lab, c.max_score
        );
    }
    s
}

/// Ten bins of equal width from 0 to `max` (the last bin is full marks'
/// neighbourhood), each with a bar.
fn histogram(marks: &[&Mark], max: u32) -> String {
    let width = (max + 1).div_ceil(10).max(1);
    let bins = (max / width + 1) as usize;
    let mut counts = vec![0usize; bins];
    for m in marks {
        counts[((m.score.min(max)) / width) as usize] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    let mut s = String::from("| points | students | |\n|---|---:|---|\n");
    for (i, &k) in counts.iter().enumerate() {
        let lo = i as u32 * width;
        let hi = (lo + width - 1).min(max);
        let bar = "█".repeat((k * 30).div_ceil(top));
        let _ = writeln!(s, "| {lo}–{hi} | {k} | {bar} |");
    }
    s
}

fn mean(values: impl Iterator<Item = u32>) -> String {
    let v: Vec<u32> = values.collect();
    if v.is_empty() {
        "–".to_string()
    } else {
        format!(
            "{:.1}",
            v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64
        )
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
pub mod tests {
    use super::super::roster::Row;
    use super::super::store::{CheckInfo, CheckScore, LabScore};
    use super::*;

    pub fn run_info(students: &[&str]) -> RunInfo {
        RunInfo {
            roster: students
                .iter()
                .enumerate()
                .map(|(i, s)| Row {
                    line: i as u64 + 2,
                    student: s.to_string(),
                    repo: format!("/r/{s}"),
                    git_ref: None,
                })
                .collect(),
            deadline: Some("2026-12-01T23:59:00Z".into()),
            shard: None,
            base: "00ff".into(),
            labs: vec![1, 2],
            max_score: 10,
            checks: vec![
                CheckInfo {
                    id: "lab1_rio::a".into(),
                    lab: 1,
                    max_score: 4,
                },
                CheckInfo {
                    id: "lab1_rio::b".into(),
                    lab: 1,
                    max_score: 2,
                },
                CheckInfo {
                    id: "lab2_netutil::c".into(),
                    lab: 2,
                    max_score: 4,
                },
            ],
        }
    }

    /// A graded mark passing the checks named in `passes`.
    pub fn graded(run: &RunInfo, student: &str, passes: &[&str]) -> Mark {
        let checks: Vec<CheckScore> = run
            .checks
            .iter()
            .map(|c| {
                let passed = passes.iter().any(|p| c.id.ends_with(p));
                CheckScore {
                    id: c.id.clone(),
                    lab: c.lab,
                    score: if passed { c.max_score } else { 0 },
                    max_score: c.max_score,
                    passed,
                }
            })
            .collect();
        let labs = run
            .labs
            .iter()
            .map(|&lab| LabScore {
                lab,
                score: checks
                    .iter()
                    .filter(|c| c.lab == lab)
                    .map(|c| c.score)
                    .sum(),
                max_score: checks
                    .iter()
                    .filter(|c| c.lab == lab)
                    .map(|c| c.max_score)
                    .sum(),
            })
            .collect();
        Mark {
            student: student.into(),
            repo: format!("/r/{student}"),
            commit: Some(format!("{:0>40}", student.len())),
            committed_at: Some(1_796_155_049),
            status: Status::Graded,
            score: checks.iter().map(|c| c.score).sum(),
            max_score: run.max_score,
            labs,
            checks,
            base: run.base.clone(),
            held_back_released: false,
        }
    }

    pub fn failed(run: &RunInfo, student: &str, status: Status) -> Mark {
        Mark {
            student: student.into(),
            repo: format!("/r/{student}"),
            commit: None,
            committed_at: None,
            status,
            score: 0,
            max_score: run.max_score,
            labs: vec![],
            checks: vec![],
            base: run.base.clone(),
            held_back_released: false,
        }
    }

    #[test]
    fn the_gradebook_has_one_lab_column_per_lab_and_quotes_what_needs_it() {
        let mut run = run_info(&["alice", "bob"]);
        let a = graded(&run, "alice", &["a", "c"]);
        let mut b = failed(&run, "bob", Status::CloneFailed);
        b.repo = "/r/bob, the second".into();
        assert_eq!(
            gradebook(&run, &[&a, &b]),
            "student,repo,commit,committed_at,status,score,max_score,lab1,lab2\n\
             alice,/r/alice,0000000000000000000000000000000000000005,2026-12-01T19:57:29Z,graded,8,10,4,4\n\
             bob,\"/r/bob, the second\",,,clone_failed,0,10,0,0\n"
        );
        // A lab 5 in the grader is a fifth column, in order.
        run.labs.push(5);
        assert!(gradebook(&run, &[&a]).starts_with(
            "student,repo,commit,committed_at,status,score,max_score,lab1,lab2,lab5\n"
        ));
        assert!(gradebook(&run, &[&a]).ends_with(",graded,8,10,4,4,0\n"));
    }

    #[test]
    fn the_summary_puts_the_most_failed_check_first() {
        let run = run_info(&["a", "b", "c", "d"]);
        let marks = [
            graded(&run, "a", &["a", "b", "c"]),
            graded(&run, "b", &["a", "b"]),
            graded(&run, "c", &["a"]),
            failed(&run, "d", Status::CompileError),
        ];
        let refs: Vec<&Mark> = marks.iter().collect();
        let s = summary(&run, &refs);
        assert_eq!(
            s,
            "# Gradebook summary\n\n\
             4 students, graded at the last commit of each default branch at or before the deadline, 2026-12-01T23:59:00Z (by committer time). Maximum: 10 points. Grader fingerprint `00ff`.\n\n\
             | status | students |\n|---|---:|\n\
             | `graded` | 3 |\n| `compile_error` | 1 |\n| `no_submission` | 0 |\n| `clone_failed` | 0 |\n| `timed_out` | 0 |\n\
             \n## Scores\n\n\
             | points | students | |\n|---|---:|---|\n\
             | 0–1 | 1 | ██████████████████████████████ |\n\
             | 2–3 | 0 |  |\n\
             | 4–5 | 1 | ██████████████████████████████ |\n\
             | 6–7 | 1 | ██████████████████████████████ |\n\
             | 8–9 | 0 |  |\n\
             | 10–10 | 1 | ██████████████████████████████ |\n\
             \nMean 5.0, median 5.0 of 10; 1 with full marks.\n\
             \n## Per lab\n\n\
             | lab | points | mean, every row | mean, graded rows |\n|---|---:|---:|---:|\n\
             | lab1 | 6 | 4.0 | 5.3 |\n\
             | lab2 | 4 | 1.0 | 1.3 |\n\
             \n## Checks, the most failed first\n\n\
             Each check's pass rate over the 3 graded submissions: the top of this table is what to re-teach.\n\n\
             | check | lab | points | passed | pass rate |\n|---|---:|---:|---:|---:|\n\
             | `lab2_netutil::c` | 2 | 4 | 1/3 | 33% |\n\
             | `lab1_rio::b` | 1 | 2 | 2/3 | 67% |\n\
             | `lab1_rio::a` | 1 | 4 | 3/3 | 100% |\n"
        );
    }

    #[test]
    fn a_histogram_of_109_points_has_ten_bins_of_eleven() {
        let run = RunInfo {
            max_score: 109,
            ..run_info(&[])
        };
        let marks = [failed(&run, "a", Status::NoSubmission)];
        let refs: Vec<&Mark> = marks.iter().collect();
        let h = histogram(&refs, 109);
        assert!(h.contains("| 0–10 | 1 |"), "{h}");
        assert!(h.contains("| 99–109 | 0 |"), "{h}");
        assert_eq!(h.lines().count(), 12);
    }
}
