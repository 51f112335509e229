//! `cargo xtask similarity` on a fixture course, real files on disk:
//!
//! - `reference`: this workspace's `crates/*/src`;
//! - `independent`: labs 1–3 written for this test by someone who had not
//!   read the reference (`fixtures/similarity/independent.bodies`, spliced
//!   into the starter's `todo!()`s);
//! - `renamed`: a planted copy of `independent` with its identifiers
//!   renamed, its comments rewritten, two functions moved and two
//!   statements swapped;
//! - `spaced`: a planted copy of `reference` with only whitespace changed;
//! - `starter`: the starter itself, and `starter-plus`: it plus a readn;
//! - `honest-a`, `honest-b`: two more honest students, each with part of
//!   the labs in a style of their own;
//! - `oddities`: the starter with a binary file, a file that is not
//!   UTF-8, one that does not lex, and a huge one; `nothing`: no crates.
//!
//! The two planted copies must be the top two pairs, each above 0.6; no
//! pair of independent work above 0.3; the starter-plus-a-few-lines near 0
//! against everyone; every odd file one line in the report. The same
//! course is then found through a roster, where `cargo xtask grade` keeps
//! its checkouts.
//!
//! `SIMILARITY_REPORT_TO=DIR` copies the report to DIR (`.ci/check-similarity`
//! opens it in headless Chromium); `SIMILARITY_KEEP=1` keeps the course
//! (its place is printed), to try the knobs on it. The scale run (300 generated
//! submissions) is `#[ignore]`d:
//!
//! ```text
//! cargo test -p xtask --test similarity -- --ignored --nocapture
//! ```

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The instructor's workspace.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/similarity")
        .join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `xtask ARGS…`; returns (stdout, stderr), failing unless it succeeds.
fn xtask(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "xtask {args:?} failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// Copies `from/crates/*/src/**` to `to/crates/…`, less build output.
fn copy_crates(from: &Path, to: &Path) {
    for entry in fs::read_dir(from.join("crates")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            let rel = src.strip_prefix(from).unwrap();
            copy_dir(&src, &to.join(rel));
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// The sections of a `.bodies` fixture: (file, n-th todo!()) → body.
fn sections(text: &str) -> Vec<((String, usize), String)> {
    let mut out: Vec<((String, usize), String)> = Vec::new();
    for line in text.lines() {
        if let Some(head) = line.strip_prefix("==> ") {
            let (file, n) = head.rsplit_once(' ').unwrap();
            out.push(((file.to_string(), n.parse().unwrap()), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// Writes each body over the n-th `todo!()` of its file in `dir` (one
/// line, or a call rustfmt spread over several).
fn splice(dir: &Path, bodies: &[((String, usize), String)]) {
    let mut by_file: HashMap<&str, Vec<(usize, &str)>> = HashMap::new();
    for ((file, n), body) in bodies {
        by_file.entry(file).or_default().push((*n, body));
    }
    for (file, mut parts) in by_file {
        let path = dir.join(file);
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        parts.sort();
        let mut out = String::new();
        let (mut seen, mut i) = (0, 0);
        while i < lines.len() {
            if lines[i].trim_start().starts_with("todo!(") {
                seen += 1;
                let start = i;
                while !lines[i].trim_end().ends_with(')') {
                    i += 1;
                }
                match parts.iter().find(|(n, _)| *n == seen) {
                    Some((_, body)) => out.push_str(body),
                    None => {
                        for l in &lines[start..=i] {
                            out.push_str(l);
                            out.push('\n');
                        }
                    }
                }
            } else {
                out.push_str(lines[i]);
                out.push('\n');
            }
            i += 1;
        }
        assert!(
            parts.iter().all(|(n, _)| *n <= seen),
            "{file} has {seen} todo!()s, fewer than the fixture fills"
        );
        fs::write(&path, out).unwrap();
    }
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The same file with only whitespace changed: indentation in tabs, a
/// blank line after every opening brace, trailing spaces.
fn respace(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        out.push_str(&"\t".repeat(indent / 4));
        out.push_str(&" ".repeat(indent % 4));
        out.push_str(body);
        if body.ends_with('{') {
            out.push_str("  \n");
        }
        out.push('\n');
    }
    out
}

/// Replaces whole words, except after a `.` (a method or a field: the
/// copier renames their own variables, not the library's names).
fn rename_words(text: &str, table: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let after_dot = out.ends_with('.');
        let w = table
            .iter()
            .find(|(from, _)| from == word && !after_dot)
            .map_or(word.as_str(), |(_, to)| to);
        out.push_str(w);
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Moves the top-level `fn name` (with its doc comment, attributes and
/// anchors) to just after the top-level `fn after`.
fn move_fn(text: &str, name: &str, after: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let block = |name: &str| {
        let head = format!("pub fn {name}");
        let at = lines.iter().position(|l| l.starts_with(&head)).unwrap();
        let mut start = at;
        while start > 0 && {
            let l = lines[start - 1];
            l.starts_with("///") || l.starts_with("#[") || l.starts_with("// ANCHOR:")
        } {
            start -= 1;
        }
        let mut end = at + lines[at..].iter().position(|l| *l == "}").unwrap() + 1;
        if lines
            .get(end)
            .is_some_and(|l| l.starts_with("// ANCHOR_END"))
        {
            end += 1;
        }
        (start, end)
    };
    let (s, e) = block(name);
    let moved: Vec<&str> = lines[s..e].to_vec();
    let rest: Vec<&str> = lines[..s].iter().chain(&lines[e..]).copied().collect();
    let lines = rest;
    let (_, after_end) = {
        let head = format!("pub fn {after}");
        let at = lines.iter().position(|l| l.starts_with(&head)).unwrap();
        let mut end = at + lines[at..].iter().position(|l| *l == "}").unwrap() + 1;
        if lines
            .get(end)
            .is_some_and(|l| l.starts_with("// ANCHOR_END"))
        {
            end += 1;
        }
        (at, end)
    };
    let mut out: Vec<&str> = lines[..after_end].to_vec();
    out.push("");
    out.extend(moved);
    out.extend(&lines[after_end..]);
    out.join("\n") + "\n"
}

/// Swaps two adjacent lines, the first of which is `first`.
fn swap_after(text: &str, first: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let i = lines.iter().position(|l| l.trim() == first).unwrap();
    lines.swap(i, i + 1);
    lines.join("\n") + "\n"
}

/// The independent bodies as a copier leaves them: identifiers renamed,
/// comments reworded.
fn disguise(bodies: &str) -> String {
    let table = [
        ("wanted", "need"),
        ("got", "have"),
        ("step", "nbytes"),
        ("err", "problem"),
        ("off", "cursor"),
        ("wrote", "sent"),
        ("count", "nfilled"),
        ("other", "result"),
        ("total", "so_far"),
        ("chunk", "avail_bytes"),
        ("space", "room_left"),
        ("len", "take_n"),
        ("newline", "saw_eol"),
        ("found", "resolved"),
        ("list", "addr_list"),
        ("failure", "last_error"),
        ("stream", "tcp"),
        ("last", "prev_err"),
        ("v6", "is_v6"),
        ("family", "dom"),
        ("sock", "fd"),
        ("at", "bind_to"),
        ("reader", "rp"),
        ("line", "linebuf"),
        ("echoed_total", "sent_back"),
        ("listener", "lfd"),
        ("bound", "real_port"),
        ("incoming", "next_conn"),
        ("conn", "client"),
        ("peer", "who"),
        ("ip", "addr"),
    ];
    let mut out = String::new();
    for line in bodies.lines() {
        if line.starts_with("==> ") {
            out.push_str(line);
        } else if let Some((indent, _)) = line.split_once("// ") {
            out.push_str(indent);
            out.push_str("// NOTE: see the lecture slides for this part");
        } else {
            out.push_str(&rename_words(line, &table));
        }
        out.push('\n');
    }
    out
}

/// A submission directory holding the starter's crates.
fn from_starter(starter: &Path, dir: &Path) {
    copy_crates(starter, dir);
}

/// Builds the fixture course under `base`; returns its submissions.
fn fixture_course(base: &Path) -> Vec<PathBuf> {
    let starter = base.join("starter-out");
    xtask(&["starter", starter.to_str().unwrap()]);
    let subs = base.join("course");
    let at = |name: &str| subs.join(name);

    copy_crates(&root(), &at("reference"));

    copy_crates(&root(), &at("spaced"));
    for f in rust_files(&at("spaced")) {
        let text = fs::read_to_string(&f).unwrap();
        fs::write(&f, respace(&text)).unwrap();
    }

    let independent = fixture("independent.bodies");
    from_starter(&starter, &at("independent"));
    splice(&at("independent"), &sections(&independent));

    from_starter(&starter, &at("renamed"));
    splice(&at("renamed"), &sections(&disguise(&independent)));
    let rio = at("renamed/crates/rio/src/lib.rs");
    let text = fs::read_to_string(&rio).unwrap();
    assert!(text.contains("let mut so_far = 0;") && text.contains("// NOTE: see the lecture"));
    let moved = move_fn(&text, "readn", "writen");
    assert_ne!(moved, text, "readn moved");
    fs::write(&rio, moved).unwrap();
    let net = at("renamed/crates/netutil/src/lib.rs");
    let text = fs::read_to_string(&net).unwrap();
    let moved = move_fn(&text, "resolve", "open_clientfd");
    let swapped = swap_after(&moved, "fd.set_reuse_address(true)?;");
    assert!(swapped.contains(
        "let bind_to = SocketAddr::new(addr, port);\n        fd.set_reuse_address(true)?;"
    ));
    fs::write(&net, swapped).unwrap();

    from_starter(&starter, &at("starter"));
    for (name, bodies) in [
        ("starter-plus", "starter-plus.bodies"),
        ("honest-a", "honest-a.bodies"),
        ("honest-b", "honest-b.bodies"),
    ] {
        from_starter(&starter, &at(name));
        splice(&at(name), &sections(&fixture(bodies)));
    }

    from_starter(&starter, &at("oddities"));
    let src = at("oddities/crates/rio/src");
    fs::write(src.join("blob.bin"), b"\x7fELF\x02\x01\x01\0\0\0\0").unwrap();
    fs::write(
        src.join("latin1.rs"),
        b"// caf\xe9\npub fn x() -> u8 { 1 }\n",
    )
    .unwrap();
    fs::write(src.join("broken.rs"), "pub fn y() {\n    let s = \"open\n").unwrap();
    let huge: String = (0..40_000)
        .map(|i| format!("pub const C{i}: u32 = {i};\n"))
        .collect();
    fs::write(src.join("huge.rs"), huge).unwrap();
    fs::create_dir_all(at("nothing")).unwrap();
    fs::write(at("nothing/README.md"), "I forgot to push\n").unwrap();

    [
        "reference",
        "spaced",
        "independent",
        "renamed",
        "starter",
        "starter-plus",
        "honest-a",
        "honest-b",
        "oddities",
        "nothing",
    ]
    .iter()
    .map(|n| at(n))
    .collect()
}

/// A row of the CSV: the two names (sorted), the score, the shared tokens.
type Row = ((String, String), f64, u64);

/// The CSV's rows, in its order, and its text.
fn read_csv(path: &Path) -> (Vec<Row>, String) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("student_a,student_b,similarity,shared_tokens")
    );
    let rows = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let mut pair = [f[0].to_string(), f[1].to_string()];
            pair.sort();
            let [a, b] = pair;
            ((a, b), f[2].parse().unwrap(), f[3].parse().unwrap())
        })
        .collect();
    (rows, text)
}

fn pair(a: &str, b: &str) -> (String, String) {
    let mut p = [a.to_string(), b.to_string()];
    p.sort();
    let [a, b] = p;
    (a, b)
}

/// The planted copies top the report, independent work stays low, and the
/// starter is not evidence; odd files are one line each; a roster finds
/// the same checkouts where `cargo xtask grade` keeps them.
#[test]
fn planted_copies_top_the_report_and_the_starter_is_not_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let subs = fixture_course(tmp.path());
    if std::env::var_os("SIMILARITY_KEEP").is_some() {
        eprintln!("the course is kept in {}", tmp.path().display());
    }
    let out = tmp.path().join("report");
    let mut args = vec!["similarity", "--out", out.to_str().unwrap()];
    args.extend(subs.iter().map(|p| p.to_str().unwrap()));
    let started = Instant::now();
    let (stdout, stderr) = xtask(&args);
    eprintln!(
        "--- xtask similarity ({:.1} s)\n{stdout}{stderr}",
        started.elapsed().as_secs_f64()
    );
    let (rows, csv) = read_csv(&out.join("similarity.csv"));
    eprintln!("{csv}");

    // The two planted copies, first and second, each above 0.6.
    let planted = [pair("reference", "spaced"), pair("independent", "renamed")];
    let top: Vec<&(String, String)> = rows.iter().take(2).map(|(p, _, _)| p).collect();
    assert!(
        planted.iter().all(|p| top.contains(&p)),
        "the top two pairs are {top:?}, not the planted copies"
    );
    for (p, score, tokens) in rows.iter().take(2) {
        assert!(*score > 0.6, "{p:?} scores only {score}");
        assert!(*tokens > 100, "{p:?} shares only {tokens} tokens");
    }
    // Sorted, highest first.
    assert!(rows.windows(2).all(|w| w[0].1 >= w[1].1), "{csv}");
    // Independent work: every other pair at most 0.3.
    for (p, score, _) in rows.iter().skip(2) {
        assert!(*score <= 0.3, "{p:?}: {score} for independent work");
    }
    // The starter is not evidence: the starter itself shares nothing; the
    // starter plus a readn scores near 0 against everyone, and what it
    // shares is no more than its readn (10 lines, 64 tokens): none of the
    // starter's thousands of tokens count.
    for (p, score, tokens) in &rows {
        if p.0 == "starter" || p.1 == "starter" {
            panic!("{p:?}: the starter itself shares {score}");
        }
        if p.0 == "starter-plus" || p.1 == "starter-plus" {
            assert!(
                *score < 0.1,
                "{p:?}: the starter plus a readn scores {score}"
            );
            assert!(
                *tokens <= 80,
                "{p:?}: {tokens} tokens shared, more than its readn"
            );
        }
    }

    // Every odd thing is one line, in the page and on stderr.
    let html = fs::read_to_string(out.join("similarity.html")).unwrap();
    for note in [
        "oddities: crates/rio/src/blob.bin: a binary file",
        "oddities: crates/rio/src/latin1.rs: not UTF-8",
        "oddities: crates/rio/src/broken.rs: does not lex as Rust: compared as text",
        "oddities: crates/rio/src/huge.rs: 1.2 MiB: only the first 256 KiB compared",
        "nothing: no crates/*/src: nothing to compare",
    ] {
        assert!(html.contains(note), "the page lacks `{note}`");
        assert!(stderr.contains(note), "stderr lacks `{note}`");
    }
    // The page shows the top pair side by side, regions marked.
    assert!(html.contains("id=\"pair-1\" open"));
    assert!(html.matches("<mark class=").count() >= 4);
    assert!(html.contains("<svg id=\"histogram\""));
    let bare = html.split("<p id=\"bare\">").nth(1).unwrap_or("");
    assert!(
        bare.starts_with(
            "No code beyond the starter (or none that counts): starter, oddities, nothing."
        ),
        "{bare}"
    );
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    if let Some(dir) = std::env::var_os("SIMILARITY_REPORT_TO") {
        let dir = PathBuf::from(dir);
        fs::create_dir_all(&dir).unwrap();
        for f in ["similarity.csv", "similarity.html"] {
            fs::copy(out.join(f), dir.join(f)).unwrap();
        }
    }

    // The same through a roster: the checkouts where `cargo xtask grade`
    // keeps them; a student it could not fetch is one line.
    let gradebook = tmp.path().join("gradebook");
    let clones = gradebook.join(".work/clones");
    let mut roster = String::from("student,repo\n");
    for name in ["independent", "renamed", "honest-a", "honest-b"] {
        copy_crates(&tmp.path().join("course").join(name), &clones.join(name));
        roster.push_str(&format!("{name},https://example.edu/{name}.git\n"));
    }
    roster.push_str("absent,https://example.edu/absent.git\n");
    let roster_path = tmp.path().join("roster.csv");
    fs::write(&roster_path, roster).unwrap();
    let (_, stderr) = xtask(&[
        "similarity",
        "--roster",
        roster_path.to_str().unwrap(),
        "--out",
        gradebook.to_str().unwrap(),
    ]);
    assert!(stderr.contains("absent: no checkout at"), "{stderr}");
    let (rows, csv) = read_csv(&gradebook.join("similarity.csv"));
    assert_eq!(rows[0].0, pair("independent", "renamed"), "{csv}");
    assert!(rows[0].1 > 0.6, "{csv}");
    if std::env::var_os("SIMILARITY_KEEP").is_some() {
        let _ = tmp.keep();
    }
}

/// A small deterministic random number generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}

/// A student's edit of a file: statements added here and there, some
/// neighbouring statements swapped.
fn mutate(text: &str, rng: &mut Rng, student: usize) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut i = 0;
    while i + 1 < lines.len() {
        let indent = lines[i].len() - lines[i].trim_start().len();
        let statement = indent >= 8 && lines[i].ends_with(';');
        if statement && lines[i + 1].ends_with(';') && rng.one_in(8) {
            lines.swap(i, i + 1);
        }
        if statement && rng.one_in(6) {
            let extra = format!(
                "{}let _pad_{student}_{i} = {} + {};",
                " ".repeat(indent),
                rng.next() % 1000,
                rng.next() % 1000
            );
            lines.insert(i + 1, extra);
            i += 1;
        }
        i += 1;
    }
    lines.join("\n") + "\n"
}

/// 300 generated submissions (the reference and the independent labs,
/// each edited at random) compared in under a minute on 2 cores. Prints
/// the figure.
#[test]
#[ignore = "generates 300 submissions; run with --ignored --nocapture for the figure"]
fn three_hundred_submissions_in_under_a_minute() {
    let tmp = tempfile::tempdir().unwrap();
    let starter = tmp.path().join("starter-out");
    xtask(&["starter", starter.to_str().unwrap()]);
    let independent = tmp.path().join("independent");
    copy_crates(&starter, &independent);
    splice(&independent, &sections(&fixture("independent.bodies")));
    let sources = [root(), independent];
    let generated = Instant::now();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut paths = Vec::new();
    for student in 0..300 {
        let dir = tmp.path().join(format!("course/s{student:03}"));
        copy_crates(&sources[student % 2], &dir);
        for f in rust_files(&dir) {
            let text = fs::read_to_string(&f).unwrap();
            fs::write(&f, mutate(&text, &mut rng, student)).unwrap();
        }
        paths.push(dir);
    }
    eprintln!(
        "generated 300 submissions in {:.1} s",
        generated.elapsed().as_secs_f64()
    );
    let out = tmp.path().join("report");
    let mut args = vec!["similarity", "--out", out.to_str().unwrap()];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let started = Instant::now();
    let (stdout, _) = xtask(&args);
    let seconds = started.elapsed().as_secs_f64();
    println!("{stdout}");
    println!(
        "similarity: 300 submissions compared in {seconds:.1} s ({} build of xtask, {} cores)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let (rows, _) = read_csv(&out.join("similarity.csv"));
    assert!(!rows.is_empty());
    if std::env::var_os("SIMILARITY_KEEP").is_some() {
        eprintln!("the course is kept in {}", tmp.keep().display());
    }
}
