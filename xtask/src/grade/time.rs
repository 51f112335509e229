//! RFC 3339 times, both ways: the `--deadline` the instructor types, and
//! the `committed_at` column (always UTC, `2026-12-01T23:59:00Z`, so that
//! the gradebook sorts as text).
//!
//! Git gives committer times as seconds since the epoch (`%ct`); comparing
//! those with the deadline needs nothing but integer arithmetic, so we
//! convert by hand (the civil-from-days algorithm) instead of adding a
//! date crate for two functions.

use grader::due::days_from_civil;

/// Seconds since 1970-01-01T00:00:00Z of an RFC 3339 date-time:
/// `2026-12-01T23:59:00Z`, `2026-12-01T18:59:00-05:00`, `2026-12-01 23:59:00.5+00:00`.
/// Fractions of a second are dropped (committer times are whole seconds).
pub fn parse(text: &str) -> Result<i64, String> {
    let bad = |why: &str| {
        format!(
            "`{text}` is not an RFC 3339 date-time ({why}); for example 2026-12-01T23:59:00-05:00"
        )
    };
    if !text.is_ascii() {
        return Err(bad("a character is not ASCII"));
    }
    let b = text.as_bytes();
    if b.len() < 19 {
        return Err(bad("too short"));
    }
    let num = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let part = &text[range];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse::<i64>().map_err(|_| bad("not a number"))
        } else {
            Err(bad("a digit is missing"))
        }
    };
    if b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return Err(bad("expected YYYY-MM-DDTHH:MM:SS"));
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad("expected T between the date and the time"));
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(bad("no such day"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(bad("no such time"));
    }
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad("no digits after the decimal point"));
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':' =>
        {
            let off = &rest[1..];
            let (h, m) = (&off[0..2], &off[3..5]);
            if !h.bytes().chain(m.bytes()).all(|c| c.is_ascii_digit()) {
                return Err(bad("the UTC offset is not ±HH:MM"));
            }
            let (h, m): (i64, i64) = (h.parse().unwrap_or(99), m.parse().unwrap_or(99));
            if h > 23 || m > 59 {
                return Err(bad("no such UTC offset"));
            }
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
        _ => return Err(bad("it needs Z or a UTC offset such as -05:00 at the end")),
    };
    let days = days_from_civil(year, month, day);
    Ok(days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset)
}

/// `2026-12-01T23:59:00Z` for a time in seconds since the epoch.
pub fn format(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let in_day = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60
    )
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_and_offsets_name_the_same_instant() {
        let utc = parse("2026-12-02T04:59:00Z").unwrap();
        assert_eq!(parse("2026-12-01T23:59:00-05:00").unwrap(), utc);
        assert_eq!(parse("2026-12-02 05:59:00.999+01:00").unwrap(), utc);
        assert_eq!(format(utc), "2026-12-02T04:59:00Z");
    }

    #[test]
    fn known_instants() {
        assert_eq!(parse("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(parse("2000-02-29T12:00:00Z").unwrap(), 951_825_600);
        assert_eq!(format(1_893_456_000), "2030-01-01T00:00:00Z");
        assert_eq!(format(-1), "1969-12-31T23:59:59Z");
        for secs in [0, 951_825_600, 1_796_155_049, 4_102_444_800] {
            assert_eq!(parse(&format(secs)).unwrap(), secs);
        }
    }

    #[test]
    fn bad_dates_say_what_is_wrong() {
        for (text, why) in [
            ("2026-12-01", "too short"),
            ("2026-12-01T23:59:00", "UTC offset"),
            ("2026-12-01T23:59:00+0500", "UTC offset"),
            ("2026-13-01T00:00:00Z", "no such day"),
            ("2026-02-29T00:00:00Z", "no such day"),
            ("2026-12-01T24:00:00Z", "no such time"),
            ("2026-12-01X23:59:00Z", "expected T"),
            ("2026-12-01T23:59:00.Z", "decimal point"),
            ("tomorrow at 5 o'clock", "expected YYYY"),
            ("2026-12-01T23:59:0é", "ASCII"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
