//! Fingerprints of a token list: k-grams and winnowing (Schleimer,
//! Wilkerson and Aiken, "Winnowing: local algorithms for document
//! fingerprinting", SIGMOD 2003), the method of MOSS.
//!
//! Every run of `k` consecutive tokens (a k-gram) is hashed. Keeping every
//! hash would make the index as large as the code; keeping every n-th
//! would lose a match that is shifted by one token. Winnowing keeps, in
//! every window of `w` consecutive hashes, the smallest (the rightmost
//! one on a tie), and records it once. Two properties follow, and they are
//! why the method is used:
//!
//! - any shared run of at least `w + k - 1` tokens contains a whole
//!   window of the same hashes, so both sides keep the same fingerprint:
//!   such a match is never missed;
//! - a shared run shorter than `k` tokens is never a match: an idiom
//!   shorter than that is noise, not evidence.
//!
//! The choice depends only on the window, so the same code selects the
//! same fingerprints wherever it sits in a file: moving a function moves
//! its fingerprints with it.

use super::tokens::mix;

/// A selected k-gram: its hash and the index of its first token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Print {
    /// The k-gram's hash.
    pub hash: u64,
    /// Where the k-gram starts, in tokens.
    pub at: u32,
}

/// Base of the rolling hash (odd, so multiplication mod 2⁶⁴ is invertible).
const BASE: u64 = 0x100_0000_01b3;

/// The hash of every k-gram of `codes`, in order: a Karp–Rabin rolling
/// hash (each step drops the oldest token and adds the newest), then
/// mixed, so that the minimum of a window is not biased by its last token.
/// Empty when there are fewer than `k` codes.
pub fn kgrams(codes: &[u64], k: usize) -> Vec<u64> {
    if k == 0 || codes.len() < k {
        return Vec::new();
    }
    // BASE^(k-1): the weight of the token that leaves the window.
    let top = (1..k).fold(1u64, |p, _| p.wrapping_mul(BASE));
    let mut h = codes[..k]
        .iter()
        .fold(0u64, |h, &c| h.wrapping_mul(BASE).wrapping_add(c));
    let mut out = Vec::with_capacity(codes.len() - k + 1);
    out.push(mix(h));
    for i in k..codes.len() {
        h = h
            .wrapping_sub(codes[i - k].wrapping_mul(top))
            .wrapping_mul(BASE)
            .wrapping_add(codes[i]);
        out.push(mix(h));
    }
    out
}

/// Winnowing with windows of `w` hashes: the rightmost minimum of every
/// window, each position once. A list shorter than a window gives its
/// minimum (the whole list is the only window there is).
pub fn winnow(hashes: &[u64], w: usize) -> Vec<Print> {
    let w = w.max(1);
    let mut out: Vec<Print> = Vec::new();
    if hashes.is_empty() {
        return out;
    }
    let windows = hashes.len().saturating_sub(w) + 1;
    let mut last: Option<usize> = None;
    for start in 0..windows {
        let end = (start + w).min(hashes.len());
        // The minimum, rightmost on ties. When the previous minimum is
        // still inside the window, only the new hash can displace it.
        let pick = match last {
            Some(l) if l >= start => {
                if hashes[end - 1] <= hashes[l] {
                    end - 1
                } else {
                    l
                }
            }
            _ => (start..end)
                .rev()
                .min_by_key(|&i| hashes[i])
                .unwrap_or(start),
        };
        if last != Some(pick) {
            out.push(Print {
                hash: hashes[pick],
                at: u32::try_from(pick).unwrap_or(u32::MAX),
            });
            last = Some(pick);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(n: usize, seed: u64) -> Vec<u64> {
        (0..n as u64).map(|i| mix(i ^ (seed << 32))).collect()
    }

    #[test]
    fn the_rolling_hash_is_the_hash_of_each_kgram() {
        let c = codes(40, 1);
        let rolled = kgrams(&c, 5);
        assert_eq!(rolled.len(), 36);
        for (i, h) in rolled.iter().enumerate() {
            assert_eq!(*h, kgrams(&c[i..i + 5], 5)[0], "k-gram {i}");
        }
        assert!(kgrams(&c[..4], 5).is_empty());
    }

    #[test]
    fn every_window_holds_a_selected_position_and_minima_are_rightmost() {
        let h = kgrams(&codes(500, 2), 5);
        let w = 8;
        let prints = winnow(&h, w);
        for start in 0..=h.len() - w {
            let min = *h[start..start + w].iter().min().unwrap();
            let rightmost = (start..start + w).rev().find(|&i| h[i] == min).unwrap();
            assert!(
                prints.iter().any(|p| p.at as usize == rightmost),
                "window {start}"
            );
        }
        let ties = winnow(&[3, 1, 1, 2, 5, 1], 3);
        assert_eq!(
            ties.iter().map(|p| p.at).collect::<Vec<_>>(),
            vec![2, 5],
            "rightmost minimum, recorded once"
        );
        assert_eq!(winnow(&[4, 2, 9], 10), vec![Print { hash: 2, at: 1 }]);
    }

    #[test]
    fn a_shared_run_of_w_plus_k_minus_1_tokens_is_always_found() {
        let (k, w) = (6, 5);
        let shared = codes(w + k - 1, 9);
        for pad in 0..7 {
            let a: Vec<u64> = codes(pad, 3)
                .into_iter()
                .chain(shared.clone())
                .chain(codes(13, 4))
                .collect();
            let b: Vec<u64> = codes(17, 5)
                .into_iter()
                .chain(shared.clone())
                .chain(codes(pad, 6))
                .collect();
            let pa: Vec<u64> = winnow(&kgrams(&a, k), w).iter().map(|p| p.hash).collect();
            let pb: Vec<u64> = winnow(&kgrams(&b, k), w).iter().map(|p| p.hash).collect();
            assert!(pa.iter().any(|h| pb.contains(h)), "pad {pad}");
        }
    }
}
