//! Summaries of repeated measurements, and the number formats of the
//! tables.
//!
//! Medians rather than means: on a shared machine the noise is one-sided
//! (another process takes the core, never gives extra), and a few slow
//! rounds move a mean but not a median. Percentiles use the nearest-rank
//! rule, so a p99 is always a latency that was really observed.

use std::time::Duration;

/// The median of `values` (the mean of the two middle ones for an even
/// count); `NaN` for an empty slice.
///
/// # Examples
///
/// ```
/// assert_eq!(bench::stats::median(&[3.0, 1.0, 2.0]), 2.0);
/// assert_eq!(bench::stats::median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
/// ```
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The `p`-th percentile (0 < `p` ≤ 100) of `sorted`, which must be sorted,
/// by the nearest-rank rule; `None` for an empty slice.
///
/// # Examples
///
/// ```
/// let rtts: Vec<u64> = (1..=100).collect();
/// assert_eq!(bench::stats::percentile(&rtts, 50.0), Some(50));
/// assert_eq!(bench::stats::percentile(&rtts, 99.0), Some(99));
/// assert_eq!(bench::stats::percentile(&rtts, 100.0), Some(100));
/// ```
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Throughput in MB/s (10^6 bytes per second).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// assert_eq!(bench::stats::mb_per_s(2_000_000, Duration::from_secs(1)), 2.0);
/// ```
pub fn mb_per_s(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 / elapsed.as_secs_f64() / 1e6
}

/// A ratio as the tables print it: `1.23x`.
///
/// # Examples
///
/// ```
/// assert_eq!(bench::stats::times(1.2345), "1.23x");
/// ```
pub fn times(ratio: f64) -> String {
    format!("{ratio:.2}x")
}

/// Whether `ratio` meets a target, as the ratio lines print it: `ok` or
/// `MISSED`.
///
/// # Examples
///
/// ```
/// assert_eq!(bench::stats::verdict(true), "ok");
/// ```
pub fn verdict(met: bool) -> &'static str {
    if met { "ok" } else { "MISSED" }
}
