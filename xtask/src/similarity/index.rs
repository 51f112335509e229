//! Every pair of a course at once: an inverted index from fingerprint to
//! the submissions that hold it.
//!
//! Comparing 300 submissions two by two is 44,850 comparisons. Instead,
//! each fingerprint lists its holders, and a pair's count of shared
//! fingerprints is the number of lists it appears in together: the work
//! grows with what is actually shared, not with the number of pairs.
//!
//! Before that, what is not evidence goes:
//! - every token the starter holds: the tokens of each k-gram that is also
//!   a k-gram of the starter's lab crates (any of them, not only those
//!   winnowing picked in the starter). A fingerprint counts only if all its
//!   k tokens are the student's: the k-grams that straddle a `todo!()`'s
//!   edge (the starter's signature, then `let mut x = 0;`) would otherwise
//!   link every two students who begin a body alike;
//! - fingerprints held by more than `max_share` of the submissions
//!   (MOSS's `-m`): an idiom a large part of the class writes the same
//!   way. Never one held by [`COMMON_FLOOR`] or fewer, so that in a small
//!   course a ring of a few students who share one solution is still
//!   found (a course of ten is read whole anyway).
//!
//! A pair's score is the share of the two sides' fingerprints that they
//! share (2·|A∩B| / (|A|+|B|), the Dice coefficient), so a submission
//! that is the starter plus a few lines scores near 0 even when its few
//! lines are common. The report also gives each side's own share and the
//! tokens covered by the matches, mapped back to lines.

use std::collections::{HashMap, HashSet};

use super::winnow::{kgrams, winnow};
use super::{Settings, Submission, par_map};

/// A fingerprint held by this many submissions or fewer is never
/// "common" (MOSS's default `-m` is 10, a count).
pub const COMMON_FLOOR: usize = 10;

/// A fingerprint of one submission: its hash, file and first token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    hash: u64,
    file: u32,
    at: u32,
}

/// The fingerprints of every submission, less what is not evidence.
pub struct Index {
    /// Per submission, sorted by hash (then place).
    held: Vec<Vec<Held>>,
    /// Per submission, its distinct kept hashes.
    distinct: Vec<usize>,
    /// Fingerprints dropped because too many submissions hold them.
    pub common: usize,
    /// How many submissions "too many" is (more than this).
    pub common_limit: usize,
    /// k, for the regions' lengths.
    k: u32,
}

/// Where a k-gram starts: (file, token).
type Place = (u32, u32);

/// One pair's numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// Index of the first submission.
    pub a: usize,
    /// Index of the second.
    pub b: usize,
    /// 2·shared / (|A| + |B|).
    pub similarity: f64,
    /// Shared fingerprints / |A|.
    pub share_a: f64,
    /// Shared fingerprints / |B|.
    pub share_b: f64,
    /// Distinct fingerprints shared.
    pub shared: usize,
    /// Tokens covered by the shared fingerprints (the smaller side's count).
    pub shared_tokens: usize,
}

/// A matched region: a range of lines in a file of each side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Its place in submission A.
    pub a: Side,
    /// Its place in submission B.
    pub b: Side,
    /// Tokens of A it covers.
    pub tokens: usize,
}

/// One side of a matched region: a file, the lines from the first matched
/// one to the last, and the matched lines among them (what lies between
/// two matches, the starter's code for instance, is not marked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    /// File index in the submission.
    pub file: usize,
    /// First matched line (1-based).
    pub first: u32,
    /// Last matched line.
    pub last: u32,
    /// Ranges of matched lines, inclusive, in order.
    pub marked: Vec<(u32, u32)>,
}

impl Index {
    /// Fingerprints every file of every submission, and drops the
    /// starter's and the common ones.
    pub fn build(subs: &[Submission], starter: &[Vec<u64>], settings: &Settings) -> Index {
        let starter_grams: HashSet<u64> = starter
            .iter()
            .flat_map(|codes| kgrams(codes, settings.k))
            .collect();
        let mut held: Vec<Vec<Held>> = par_map(subs, settings.threads, |s| {
            let mut v = Vec::new();
            for (f, file) in s.files.iter().enumerate() {
                let codes: Vec<u64> = file.tokens.iter().map(|t| t.code).collect();
                let grams = kgrams(&codes, settings.k);
                // Tokens the starter holds: those of every k-gram it has.
                let mut starter_token = vec![false; codes.len()];
                for (i, h) in grams.iter().enumerate() {
                    if starter_grams.contains(h) {
                        starter_token[i..i + settings.k].fill(true);
                    }
                }
                for p in winnow(&grams, settings.window) {
                    let at = p.at as usize;
                    if !starter_token[at..at + settings.k].contains(&true) {
                        v.push(Held {
                            hash: p.hash,
                            file: f as u32,
                            at: p.at,
                        });
                    }
                }
            }
            v.sort_unstable();
            v
        });
        // Holders per hash (each submission once).
        let mut holders: HashMap<u64, u32> = HashMap::new();
        for v in &held {
            let mut prev = None;
            for h in v {
                if prev != Some(h.hash) {
                    *holders.entry(h.hash).or_insert(0) += 1;
                    prev = Some(h.hash);
                }
            }
        }
        let with_code = subs.iter().filter(|s| !s.files.is_empty()).count();
        let limit = ((settings.max_share * with_code as f64).floor() as usize).max(COMMON_FLOOR);
        let common = holders.values().filter(|&&n| n as usize > limit).count();
        for v in &mut held {
            v.retain(|h| holders[&h.hash] as usize <= limit);
        }
        let distinct = held
            .iter()
            .map(|v| {
                let mut n = 0;
                let mut prev = None;
                for h in v {
                    if prev != Some(h.hash) {
                        n += 1;
                        prev = Some(h.hash);
                    }
                }
                n
            })
            .collect();
        Index {
            held,
            distinct,
            common,
            common_limit: limit,
            k: settings.k as u32,
        }
    }

    /// Distinct fingerprints of submission `s` that count.
    pub fn fingerprints(&self, s: usize) -> usize {
        self.distinct[s]
    }

    /// Every pair that shares at least one fingerprint, highest score
    /// first (ties: more shared tokens, then names' order).
    pub fn pairs(&self, subs: &[Submission], threads: usize) -> Vec<Pair> {
        let n = self.held.len();
        // The inverted index: hash → holders, each once.
        let mut postings: HashMap<u64, Vec<u32>> = HashMap::new();
        for (s, v) in self.held.iter().enumerate() {
            let mut prev = None;
            for h in v {
                if prev != Some(h.hash) {
                    postings.entry(h.hash).or_default().push(s as u32);
                    prev = Some(h.hash);
                }
            }
        }
        // Shared counts, in a triangle of the n×n matrix.
        let row = |a: usize| a * n - a * (a + 1) / 2;
        let mut counts = vec![0u32; n * n.saturating_sub(1) / 2];
        for list in postings.values() {
            for (i, &a) in list.iter().enumerate() {
                for &b in &list[i + 1..] {
                    let (a, b) = (a.min(b) as usize, a.max(b) as usize);
                    counts[row(a) + (b - a - 1)] += 1;
                }
            }
        }
        let candidates: Vec<(usize, usize, usize)> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .filter_map(|(a, b)| {
                let c = counts[row(a) + (b - a - 1)] as usize;
                (c > 0).then_some((a, b, c))
            })
            .collect();
        // Covered tokens need each pair's own merge: split over threads.
        let mut pairs: Vec<Pair> = par_map(&candidates, threads, |&(a, b, shared)| {
            self.pair(a, b, shared)
        });
        pairs.sort_by(|x, y| {
            y.similarity
                .total_cmp(&x.similarity)
                .then(y.shared_tokens.cmp(&x.shared_tokens))
                .then(subs[x.a].name.cmp(&subs[y.a].name))
                .then(subs[x.b].name.cmp(&subs[y.b].name))
        });
        pairs
    }

    fn pair(&self, a: usize, b: usize, shared: usize) -> Pair {
        let (da, db) = (self.distinct[a], self.distinct[b]);
        let (cover_a, cover_b) = self.matches(a, b);
        Pair {
            a,
            b,
            similarity: 2.0 * shared as f64 / (da + db).max(1) as f64,
            share_a: shared as f64 / da.max(1) as f64,
            share_b: shared as f64 / db.max(1) as f64,
            shared,
            shared_tokens: covered(&cover_a, self.k).min(covered(&cover_b, self.k)),
        }
    }

    /// The fingerprints of `a` and of `b` whose hash the other holds,
    /// as (file, first token).
    fn matches(&self, a: usize, b: usize) -> (Vec<Place>, Vec<Place>) {
        let (mut in_a, mut in_b) = (Vec::new(), Vec::new());
        shared_runs(&self.held[a], &self.held[b], |ra, rb| {
            in_a.extend(ra.iter().map(|h| (h.file, h.at)));
            in_b.extend(rb.iter().map(|h| (h.file, h.at)));
        });
        (in_a, in_b)
    }

    /// The matched regions of a pair, mapped to lines, in A's order.
    /// Consecutive shared fingerprints that are close on both sides (in
    /// the same two files) make one region.
    pub fn regions(&self, subs: &[Submission], a: usize, b: usize) -> Vec<Region> {
        // Each shared hash, as (A place, B place): the first place on each side.
        let mut hits: Vec<((u32, u32), (u32, u32))> = Vec::new();
        shared_runs(&self.held[a], &self.held[b], |ra, rb| {
            let (pa, pb) = ((ra[0].file, ra[0].at), (rb[0].file, rb[0].at));
            hits.extend(ra.iter().map(|h| ((h.file, h.at), pb)));
            hits.extend(
                rb.iter()
                    .map(|h| (h.file, h.at))
                    .filter(|&p| p != pb)
                    .map(|p| (pa, p)),
            );
        });
        hits.sort_unstable();
        let k = self.k;
        let gap = 2 * k; // how far apart two hits of one region may be
        // A region being built: its two files, and the first token of
        // each matched k-gram on each side.
        struct Run {
            fa: u32,
            fb: u32,
            at_a: Vec<u32>,
            at_b: Vec<u32>,
        }
        let mut runs: Vec<Run> = Vec::new();
        for ((fa, ta), (fb, tb)) in hits {
            if let Some(r) = runs.last_mut() {
                let a_end = r.at_a.iter().max().map_or(0, |t| t + k);
                let b_first = r.at_b.iter().min().copied().unwrap_or(0);
                let b_end = r.at_b.iter().max().map_or(0, |t| t + k);
                if r.fa == fa
                    && r.fb == fb
                    && ta <= a_end + gap
                    && tb + gap >= b_first
                    && tb <= b_end + gap
                {
                    r.at_a.push(ta);
                    r.at_b.push(tb);
                    continue;
                }
            }
            runs.push(Run {
                fa,
                fb,
                at_a: vec![ta],
                at_b: vec![tb],
            });
        }
        runs.into_iter()
            .map(|r| {
                let side_a = Side::of(&subs[a], r.fa, &r.at_a, k);
                let side_b = Side::of(&subs[b], r.fb, &r.at_b, k);
                Region {
                    tokens: covered(&r.at_a.iter().map(|&t| (0, t)).collect::<Vec<_>>(), k),
                    a: side_a,
                    b: side_b,
                }
            })
            .collect()
    }
}

impl Side {
    /// The side of a region made of the k-grams starting at `starts` in
    /// file `file` of `sub`.
    fn of(sub: &Submission, file: u32, starts: &[u32], k: u32) -> Side {
        let toks = &sub.files[file as usize].tokens;
        let line = |t: u32| {
            toks.get((t as usize).min(toks.len().saturating_sub(1)))
                .map_or(1, |t| t.line)
        };
        let mut spans: Vec<(u32, u32)> =
            starts.iter().map(|&t| (line(t), line(t + k - 1))).collect();
        spans.sort_unstable();
        let mut marked: Vec<(u32, u32)> = Vec::new();
        for (first, last) in spans {
            match marked.last_mut() {
                Some(m) if first <= m.1 + 1 => m.1 = m.1.max(last),
                _ => marked.push((first, last)),
            }
        }
        Side {
            file: file as usize,
            first: marked.first().map_or(1, |m| m.0),
            last: marked.last().map_or(1, |m| m.1),
            marked,
        }
    }
}

/// Tokens covered by k-grams starting at these places.
fn covered(places: &[(u32, u32)], k: u32) -> usize {
    let mut v = places.to_vec();
    v.sort_unstable();
    let mut total = 0usize;
    let mut end: Option<(u32, u32)> = None; // (file, one past the last covered token)
    for (f, t) in v {
        let (start, stop) = match end {
            Some((ef, e)) if ef == f => (t.max(e), t + k),
            _ => (t, t + k),
        };
        if stop > start {
            total += (stop - start) as usize;
        }
        end = Some((
            f,
            match end {
                Some((ef, e)) if ef == f => e.max(stop),
                _ => stop,
            },
        ));
    }
    total
}

/// Calls `f` with each pair of runs of `x` and `y` that share a hash (both
/// lists sorted by hash), by one merge of the two.
fn shared_runs<'a>(x: &'a [Held], y: &'a [Held], mut f: impl FnMut(&'a [Held], &'a [Held])) {
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        match x[i].hash.cmp(&y[j].hash) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let h = x[i].hash;
                let (i0, j0) = (i, j);
                while i < x.len() && x[i].hash == h {
                    i += 1;
                }
                while j < y.len() && y[j].hash == h {
                    j += 1;
                }
                f(&x[i0..i], &y[j0..j]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::SourceFile;
    use super::super::tokens::{Token, mix};
    use super::*;

    fn run(seed: u64, n: usize) -> Vec<u64> {
        (0..n as u64).map(|i| mix(seed << 20 | i)).collect()
    }

    fn sub(name: &str, codes: Vec<u64>) -> Submission {
        Submission {
            name: name.to_string(),
            files: vec![SourceFile {
                path: "crates/x/src/lib.rs".to_string(),
                text: String::new(),
                tokens: codes
                    .into_iter()
                    .enumerate()
                    .map(|(i, code)| Token {
                        code,
                        line: i as u32 / 8 + 1,
                    })
                    .collect(),
            }],
            notes: Vec::new(),
        }
    }

    /// 40 students: each their own code, the starter's code, an idiom 30
    /// of them write; students 0 and 1 also share a passage.
    fn course() -> (Vec<Submission>, Vec<Vec<u64>>) {
        let starter = run(1, 80);
        let idiom = run(2, 60);
        let passage = run(3, 60);
        let subs = (0..40u64)
            .map(|s| {
                let mut codes = run(100 + s, 200);
                codes.extend(&starter);
                codes.extend(run(200 + s, 50));
                if s < 30 {
                    codes.extend(&idiom);
                }
                codes.extend(run(300 + s, 50));
                if s < 2 {
                    codes.extend(&passage);
                }
                codes.extend(run(400 + s, 50));
                sub(&format!("s{s:02}"), codes)
            })
            .collect();
        (subs, vec![starter])
    }

    fn settings(max_share: f64) -> Settings {
        Settings {
            k: 15,
            window: 10,
            max_share,
            top: 5,
            max_file_bytes: 1 << 20,
            threads: 2,
        }
    }

    #[test]
    fn the_starter_and_common_idioms_are_not_evidence_a_shared_passage_is() {
        let (subs, starter) = course();
        let index = Index::build(&subs, &starter, &settings(0.2));
        assert_eq!(index.common_limit, COMMON_FLOOR.max(8));
        assert!(index.common > 0, "the idiom of 30 students is common");
        let pairs = index.pairs(&subs, 2);
        assert_eq!(pairs.len(), 1, "only students 0 and 1 share: {pairs:?}");
        let p = &pairs[0];
        assert_eq!((p.a, p.b), (0, 1));
        // Winnowing covers the passage but for up to w - 1 tokens at each end.
        assert!((60 - 2 * 9..=60).contains(&p.shared_tokens), "{p:?}");
        let regions = index.regions(&subs, 0, 1);
        assert_eq!(regions.len(), 1, "{regions:?}");
        // Without -m the idiom links 30 students: 435 pairs, plus 0 and 1.
        let all = Index::build(&subs, &starter, &settings(1.0));
        assert_eq!(all.common, 0);
        let pairs = all.pairs(&subs, 2);
        assert_eq!(pairs.len(), 435);
        assert_eq!((pairs[0].a, pairs[0].b), (0, 1), "the passage ranks first");
    }

    #[test]
    fn overlapping_kgrams_are_counted_once() {
        assert_eq!(covered(&[(0, 0), (0, 3), (0, 20), (1, 0)], 5), 8 + 5 + 5);
        assert_eq!(covered(&[], 5), 0);
        assert_eq!(covered(&[(0, 4), (0, 4)], 5), 5);
    }
}
