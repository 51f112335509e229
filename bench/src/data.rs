//! Test input: lines of random length and content from a fixed seed.
//!
//! Every run of `rio_bench` must read the same bytes, and the bench must
//! not pull in a random-number crate for that, so this is a SplitMix64
//! generator (a few lines, good enough statistics for choosing lengths and
//! letters). Line lengths are uniform in 1..=200 bytes, counting the
//! `'\n'`, so the mean line is about 100 bytes, as in a chatty text
//! protocol; content is printable ASCII, with no `'\n'` inside a line.

/// A small seeded pseudo-random generator (SplitMix64).
///
/// # Examples
///
/// ```
/// let mut a = bench::data::SplitMix64::new(7);
/// let mut b = bench::data::SplitMix64::new(7);
/// assert_eq!(a.next_u64(), b.next_u64()); // same seed, same numbers
/// ```
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Shortest and longest line, `'\n'` included.
pub const LINE_LEN: std::ops::RangeInclusive<usize> = 1..=200;

/// Generates lines until at least `total` bytes, the last line complete.
///
/// Returns the bytes and the number of lines. The same `seed` gives the
/// same bytes.
///
/// # Examples
///
/// ```
/// let (bytes, lines) = bench::data::lines(1000, 42);
/// assert!(bytes.len() >= 1000);
/// assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), lines);
/// assert_eq!(bytes.last(), Some(&b'\n'));
/// assert_eq!(bench::data::lines(1000, 42).0, bytes);
/// ```
pub fn lines(total: usize, seed: u64) -> (Vec<u8>, usize) {
    let mut rng = SplitMix64::new(seed);
    let span = (LINE_LEN.end() - LINE_LEN.start() + 1) as u64;
    let mut out = Vec::with_capacity(total + LINE_LEN.end());
    let mut count = 0;
    while out.len() < total {
        let len = LINE_LEN.start() + (rng.next_u64() % span) as usize;
        // len - 1 printable bytes, eight from each random number
        let mut left = len - 1;
        while left > 0 {
            let bits = rng.next_u64().to_le_bytes();
            for &b in bits.iter().take(left) {
                out.push(b' ' + b % 95); // ' '..='~'
            }
            left = left.saturating_sub(bits.len());
        }
        out.push(b'\n');
        count += 1;
    }
    (out, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line is 1 to 200 bytes, printable, and ends with one `\n`.
    #[test]
    fn lines_have_the_promised_shape() {
        let (bytes, count) = lines(100_000, 1);
        let mut seen = 0;
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            assert!(LINE_LEN.contains(&line.len()), "length {}", line.len());
            assert!(
                line[..line.len() - 1]
                    .iter()
                    .all(|b| (b' '..=b'~').contains(b))
            );
            seen += 1;
        }
        assert_eq!(seen, count);
    }
}
