//! Which labs are due so far: `grader.toml` at the workspace's root, which
//! the instructor edits in the student template.
//!
//! Why a file and not a flag: the student's workflow runs on every push for
//! the whole term, and a run that is red until the last lab is done says
//! nothing (and mails a failure for every push). With the labs due so far
//! named, `cargo run -p grader` exits 0 when those pass; the others are
//! shown as "not due yet" and fail nothing. Official grading (Gradescope,
//! `cargo xtask grade`) passes `--due all`: marks count every lab the
//! grader has.
//!
//! Why dates as well as a list: a repository made from a GitHub template is
//! a copy, so an edit to the template after a student accepted the
//! assignment never reaches that student. A list (`labs = "1-2"`) suits a
//! template edited before students copy it, or the instructor's own
//! checkout; dates (`lab3 = "2026-10-18"` under `[due]`), set once before
//! the term, move every copy along by themselves.
//!
//! ```toml
//! labs = "1-2"          # or "all", or "1,2,4"
//! [due]                 # or by date (UTC): due from that day on; wins over `labs`
//! lab1 = "2026-09-21"
//! lab2 = "2026-10-05"
//! ```
//!
//! A tiny line parser, not a TOML library: two keys, and the grader is the
//! student's to build.

use std::path::Path;

/// The labs that count: every lab, or those named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Due {
    /// Every lab (no `grader.toml`, `labs = "all"`, or `--due all`).
    All,
    /// Only these labs, in order.
    Labs(Vec<u8>),
}

impl Due {
    /// Is `lab` due?
    pub fn includes(&self, lab: u8) -> bool {
        match self {
            Due::All => true,
            Due::Labs(labs) => labs.contains(&lab),
        }
    }

    /// `None` for every lab, else the labs due (for `results.json`).
    pub fn labs(&self) -> Option<&[u8]> {
        match self {
            Due::All => None,
            Due::Labs(labs) => Some(labs),
        }
    }

    /// `labs 1–2 due` or `labs 1, 2 and 4 due`; `None` when all are.
    pub fn describe(&self) -> Option<String> {
        let labs = self.labs()?;
        let shown = match labs {
            [] => return Some("no lab due yet".to_string()),
            [one] => return Some(format!("lab {one} due")),
            [first, .., last] if labs.windows(2).all(|w| w[1] == w[0] + 1) => {
                format!("{first}–{last}")
            }
            [init @ .., last] => {
                let init: Vec<String> = init.iter().map(u8::to_string).collect();
                format!("{} and {last}", init.join(", "))
            }
        };
        Some(format!("labs {shown} due"))
    }
}

/// The labs of `text`: `all`, or numbers and ranges, `1-2`, `1,2,4`, `1-3,5`.
pub fn parse_labs(text: &str) -> Result<Due, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("all") {
        return Ok(Due::All);
    }
    let mut labs = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let number = |n: &str| {
            n.trim()
                .parse::<u8>()
                .map_err(|_| format!("`{text}` is not `all` or labs such as `1-2` or `1,2,4`"))
        };
        let (from, to) = match part.split_once(['-', '–']) {
            Some((a, b)) => (number(a)?, number(b)?),
            None => (number(part)?, number(part)?),
        };
        if from > to {
            return Err(format!("`{part}`: a range goes up, as in `1-2`"));
        }
        labs.extend(from..=to);
    }
    labs.sort_unstable();
    labs.dedup();
    Ok(Due::Labs(labs))
}

/// The labs due on `today` (days since 1970-01-01, UTC) by `grader.toml`'s
/// text. `Err` names the line at fault.
pub fn parse_file(text: &str, today: i64) -> Result<Due, String> {
    let mut listed = None;
    let mut dated: Option<Vec<u8>> = None;
    let mut section = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let at = |e: String| format!("grader.toml line {}: {e}", n + 1);
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(at(format!("`{line}` is not `key = \"value\"`")));
        };
        let (key, value) = (key.trim(), value.trim().trim_matches('"'));
        match (section.as_str(), key) {
            ("", "labs") => listed = Some(parse_labs(value).map_err(at)?),
            ("due", lab) => {
                let lab: u8 = lab
                    .strip_prefix("lab")
                    .and_then(|l| l.parse().ok())
                    .ok_or_else(|| at(format!("`{lab}` is not `labN`")))?;
                let day = parse_date(value)
                    .ok_or_else(|| at(format!("`{value}` is not a date YYYY-MM-DD")))?;
                let due = dated.get_or_insert_with(Vec::new);
                if day <= today {
                    due.push(lab);
                }
            }
            _ => return Err(at(format!("unknown key `{key}`"))),
        }
    }
    Ok(match (dated, listed) {
        (Some(mut labs), _) => {
            labs.sort_unstable();
            Due::Labs(labs)
        }
        (None, Some(due)) => due,
        (None, None) => Due::All,
    })
}

/// The labs due now by the `grader.toml` in `root`; every lab when there is
/// none.
pub fn from_workspace(root: &Path) -> Result<Due, String> {
    let path = root.join("grader.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_file(&text, today()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Due::All),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Days since 1970-01-01, UTC.
fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64)
}

/// `YYYY-MM-DD` as days since 1970-01-01 (the proleptic Gregorian calendar;
/// Howard Hinnant's `days_from_civil`).
fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`). `cargo xtask grade`'s deadlines use it too.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges() {
        assert_eq!(parse_labs("all"), Ok(Due::All));
        assert_eq!(parse_labs("1-2"), Ok(Due::Labs(vec![1, 2])));
        assert_eq!(parse_labs("4, 1-2"), Ok(Due::Labs(vec![1, 2, 4])));
        assert!(parse_labs("2-1").is_err());
        assert!(parse_labs("one").is_err());
        assert_eq!(
            Due::Labs(vec![1, 2]).describe().as_deref(),
            Some("labs 1–2 due")
        );
        assert_eq!(
            Due::Labs(vec![1, 2, 4]).describe().as_deref(),
            Some("labs 1, 2 and 4 due")
        );
        assert_eq!(Due::All.describe(), None);
    }

    #[test]
    fn dates_win_over_the_list_and_count_from_their_day() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-12-01"), Some(20_788));
        let text = "labs = \"1-4\"  # the list\n[due]\nlab1 = \"2026-11-30\"\nlab2 = 2026-12-01\nlab3 = \"2026-12-02\"\n";
        assert_eq!(parse_file(text, 20_788), Ok(Due::Labs(vec![1, 2])));
        assert_eq!(parse_file("labs = \"1-2\"\n", 0), Ok(Due::Labs(vec![1, 2])));
        assert_eq!(parse_file("# nothing\n", 0), Ok(Due::All));
        let e = parse_file("lab = 3\n", 0).unwrap_err();
        assert!(e.starts_with("grader.toml line 1: unknown key"), "{e}");
    }
}
