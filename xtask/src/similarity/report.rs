//! The report: `similarity.csv` for a spreadsheet, `similarity.html` for
//! reading.
//!
//! The HTML page is one file with its style inline and no script, no font
//! and no image to fetch: it opens offline, from a laptop or an archive,
//! and shows nothing to any server. A pair is shown as the matched regions
//! of the two sides next to each other, each region in its own colour on
//! both sides, with a few lines of context; the histogram of every pair's
//! score (on a log scale: almost every pair is near 0) shows where the
//! tail starts. Names and code are escaped: a student's file is text to
//! show, never markup.

use std::fmt::Write as _;

use super::index::{Index, Pair, Region, Side};
use super::{Settings, Submission};

/// Everything a report shows.
pub struct Page<'a> {
    /// The submissions, in input order.
    pub subs: &'a [Submission],
    /// Their fingerprints.
    pub index: &'a Index,
    /// Every pair sharing a fingerprint, highest first.
    pub pairs: &'a [Pair],
    /// The knobs used.
    pub settings: &'a Settings,
    /// How long the comparison took.
    pub seconds: f64,
}

/// `student_a,student_b,similarity,shared_tokens`, one row per pair that
/// shares code, highest first.
pub fn csv(page: &Page) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let bad = |e: csv::Error| format!("similarity.csv: {e}");
    w.write_record(["student_a", "student_b", "similarity", "shared_tokens"])
        .map_err(bad)?;
    for p in page.pairs {
        w.write_record([
            page.subs[p.a].name.as_str(),
            page.subs[p.b].name.as_str(),
            &format!("{:.3}", p.similarity),
            &p.shared_tokens.to_string(),
        ])
        .map_err(bad)?;
    }
    let bytes = w.into_inner().map_err(|e| format!("similarity.csv: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("similarity.csv: {e}"))
}

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1400px; padding: 0 1em; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.lead { background: #fff6d6; border-left: 4px solid #c89b00; padding: .6em 1em; }
table { border-collapse: collapse; } td, th { padding: .2em .7em; border-bottom: 1px solid #ddd; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
details { border: 1px solid #ccc; border-radius: 6px; margin: 1em 0; padding: .3em .8em; }
summary { cursor: pointer; font-weight: 600; padding: .3em 0; }
.region { display: grid; grid-template-columns: 1fr 1fr; gap: .8em; margin: .8em 0; }
.side { min-width: 0; }
.file { font: 600 13px ui-monospace, monospace; color: #444; margin-bottom: .2em; }
pre { font: 12.5px/1.35 ui-monospace, SFMono-Regular, Menlo, monospace; margin: 0; padding: .4em; background: #f6f6f6; overflow-x: auto; border-radius: 4px; }
.ln { display: inline-block; width: 3.5em; color: #888; user-select: none; }
mark { display: block; color: inherit; }
mark.c0 { background: #ffd7a8; } mark.c1 { background: #b9e4ff; } mark.c2 { background: #c8f0c0; }
mark.c3 { background: #f3c6f0; } mark.c4 { background: #fff09a; } mark.c5 { background: #d6d0ff; }
.notes li { font-family: ui-monospace, monospace; font-size: 13px; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
";

/// Lines of context around a region.
const CONTEXT: u32 = 2;
/// Regions shown per pair at most.
const MAX_REGIONS: usize = 40;

/// The self-contained HTML report.
pub fn html(page: &Page) -> String {
    let s = page.settings;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Similarity report</title><style>{STYLE}</style></head><body>\n\
         <h1>Similarity report: {} submissions</h1>\n\
         <p class=\"lead\">A high score is a <strong>lead for a person to read</strong>, never evidence by itself: \
         look at the regions side by side, and ask the students. Code every student shares (the starter, \
         idioms more than a share of the class writes alike) is not counted. This page was computed on this \
         machine and sends nothing anywhere.</p>\n\
         <p>Method: normalised Rust tokens, k-grams of k = {} tokens, winnowing with windows of {} \
         (every shared run of {} tokens or more is found), fingerprints of the starter ignored, and those \
         held by more than {} submissions (share {}) ignored: {} of them. \
         Score = 2 &times; shared fingerprints / (fingerprints of A + of B). {} pairs share code; {:.1} s.</p>\n",
        page.subs.len(),
        s.k,
        s.window,
        s.k + s.window - 1,
        page.index.common_limit,
        s.max_share,
        page.index.common,
        page.pairs.len(),
        page.seconds,
    );
    histogram(&mut h, page);
    top_table(&mut h, page);
    for (rank, p) in page.pairs.iter().take(s.top).enumerate() {
        pair_section(&mut h, page, rank, p);
    }
    notes(&mut h, page);
    h.push_str("</body></html>\n");
    h
}

/// An inline SVG histogram of every pair's score (pairs sharing nothing
/// are in the first bin), bar heights on a log scale.
fn histogram(h: &mut String, page: &Page) {
    const BINS: usize = 20;
    let n = page.subs.len();
    let all = n * n.saturating_sub(1) / 2;
    let mut bins = [0usize; BINS];
    for p in page.pairs {
        bins[((p.similarity * BINS as f64) as usize).min(BINS - 1)] += 1;
    }
    bins[0] += all.saturating_sub(page.pairs.len());
    let (w, top, bar_h, bar_w) = (760.0, 20.0, 160.0, 34.0);
    let max = bins.iter().copied().max().unwrap_or(0).max(1) as f64;
    let _ = write!(
        h,
        "<h2>All {all} pairs by score</h2>\n<svg id=\"histogram\" role=\"img\" aria-labelledby=\"hist-title\" \
         width=\"{w}\" height=\"{}\" viewBox=\"0 0 {w} {}\">\
         <title id=\"hist-title\">Histogram of the scores of all {all} pairs, in bins of 0.05, log scale</title>\n",
        top + bar_h + 40.0,
        top + bar_h + 40.0
    );
    for (i, &count) in bins.iter().enumerate() {
        let x = 20.0 + i as f64 * (bar_w + 3.0);
        let height = if count == 0 {
            0.0
        } else {
            (bar_h * ((count as f64).ln_1p() / max.ln_1p())).max(2.0)
        };
        let y = top + bar_h - height;
        let colour = if i >= BINS / 2 { "#c0392b" } else { "#5b7db1" };
        let _ = write!(
            h,
            "<rect x=\"{x:.0}\" y=\"{y:.1}\" width=\"{bar_w}\" height=\"{height:.1}\" fill=\"{colour}\">\
             <title>{:.2}–{:.2}: {count} pairs</title></rect>",
            i as f64 / BINS as f64,
            (i + 1) as f64 / BINS as f64
        );
        if count > 0 {
            let _ = write!(
                h,
                "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"middle\">{count}</text>",
                x + bar_w / 2.0,
                y - 4.0
            );
        }
        if i % 4 == 0 {
            let _ = write!(
                h,
                "<text x=\"{x:.0}\" y=\"{:.0}\">{:.1}</text>",
                top + bar_h + 16.0,
                i as f64 / BINS as f64
            );
        }
    }
    let _ = writeln!(
        h,
        "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">1.0</text><text x=\"20\" y=\"{:.0}\">score (bins of 0.05; bar height: log of the count)</text></svg>",
        20.0 + BINS as f64 * (bar_w + 3.0) - 3.0,
        top + bar_h + 16.0,
        top + bar_h + 34.0
    );
}

fn top_table(h: &mut String, page: &Page) {
    let shown = page.pairs.len().min(page.settings.top);
    let _ = writeln!(
        h,
        "<h2>The top {shown} pairs</h2>\n<table id=\"pairs\"><tr><th>#</th><th>student A</th><th>student B</th>\
         <th>score</th><th>of A's found in B</th><th>of B's found in A</th><th>shared tokens</th></tr>"
    );
    for (rank, p) in page.pairs.iter().take(shown).enumerate() {
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#pair-{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"num\">{:.3}</td>\
             <td class=\"num\">{:.0}%</td><td class=\"num\">{:.0}%</td><td class=\"num\">{}</td></tr>",
            rank + 1,
            rank + 1,
            esc(&page.subs[p.a].name),
            esc(&page.subs[p.b].name),
            p.similarity,
            100.0 * p.share_a,
            100.0 * p.share_b,
            p.shared_tokens
        );
    }
    h.push_str("</table>\n");
    if page.pairs.is_empty() {
        h.push_str("<p>No two submissions share code beyond the starter.</p>\n");
    }
}

fn pair_section(h: &mut String, page: &Page, rank: usize, p: &Pair) {
    let (a, b) = (&page.subs[p.a], &page.subs[p.b]);
    let regions = page.index.regions(page.subs, p.a, p.b);
    let _ = writeln!(
        h,
        "<details class=\"pair\" id=\"pair-{}\"{}><summary>#{} {} and {}: {:.3} \
         ({} shared tokens; {:.0}% of {}'s fingerprints, {:.0}% of {}'s; {} regions)</summary>",
        rank + 1,
        if rank < 3 { " open" } else { "" },
        rank + 1,
        esc(&a.name),
        esc(&b.name),
        p.similarity,
        p.shared_tokens,
        100.0 * p.share_a,
        esc(&a.name),
        100.0 * p.share_b,
        esc(&b.name),
        regions.len()
    );
    let mut shown: Vec<&Region> = regions.iter().collect();
    // Largest regions first when there are too many to show.
    if shown.len() > MAX_REGIONS {
        shown.sort_by_key(|r| std::cmp::Reverse(r.tokens));
        shown.truncate(MAX_REGIONS);
        shown.sort_by_key(|r| (r.a.file, r.a.first));
        let _ = writeln!(
            h,
            "<p>The {MAX_REGIONS} largest of {} regions.</p>",
            regions.len()
        );
    }
    for (i, r) in shown.iter().enumerate() {
        h.push_str("<div class=\"region\">");
        side(h, a, &r.a, i);
        side(h, b, &r.b, i);
        h.push_str("</div>\n");
    }
    h.push_str("</details>\n");
}

/// One side of a region: the file's lines around it, the matched ones marked.
fn side(h: &mut String, sub: &Submission, place: &Side, colour: usize) {
    let f = &sub.files[place.file];
    let lines: Vec<&str> = f.text.lines().collect();
    let from = place.first.saturating_sub(CONTEXT).max(1);
    let to = (place.last + CONTEXT).min(lines.len() as u32);
    let _ = write!(
        h,
        "<div class=\"side\"><div class=\"file\">{}: {}:{}–{}</div><pre>",
        esc(&sub.name),
        esc(&f.path),
        place.first,
        place.last
    );
    let mut in_mark = false;
    for n in from..=to {
        let matched = place.marked.iter().any(|&(a, b)| (a..=b).contains(&n));
        if matched && !in_mark {
            let _ = write!(h, "<mark class=\"c{}\">", colour % 6);
            in_mark = true;
        } else if !matched && in_mark {
            h.push_str("</mark>");
            in_mark = false;
        }
        let text = lines.get(n as usize - 1).copied().unwrap_or("");
        let _ = writeln!(h, "<span class=\"ln\">{n}</span>{}", esc(text));
    }
    if in_mark {
        h.push_str("</mark>");
    }
    h.push_str("</pre></div>");
}

fn notes(h: &mut String, page: &Page) {
    let count: usize = page.subs.iter().map(|s| s.notes.len()).sum();
    let _ = writeln!(
        h,
        "<h2>Notes ({count})</h2>\n<p>Files not compared as Rust, or not at all, one line each:</p><ul class=\"notes\">"
    );
    for s in page.subs {
        for n in &s.notes {
            let _ = writeln!(h, "<li>{}: {}</li>", esc(&s.name), esc(n));
        }
    }
    if count == 0 {
        h.push_str("<li>none</li>\n");
    }
    h.push_str("</ul>\n");
    let bare: Vec<String> = (0..page.subs.len())
        .filter(|&s| page.index.fingerprints(s) == 0)
        .map(|s| esc(&page.subs[s].name))
        .collect();
    if !bare.is_empty() {
        let _ = writeln!(
            h,
            "<p id=\"bare\">No code beyond the starter (or none that counts): {}.</p>",
            bare.join(", ")
        );
    }
}
