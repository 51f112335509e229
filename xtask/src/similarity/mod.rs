//! `cargo xtask similarity`: which submissions of a course share code
//! beyond the starter, shown side by side, computed on the instructor's
//! machine.
//!
//! ```text
//! cargo xtask similarity --roster ROSTER.csv --out DIR   the checkouts `cargo xtask grade` fetched into DIR
//! cargo xtask similarity --out DIR PATH...               any checkouts; each one's name is its directory's
//! ```
//!
//! It writes `DIR/similarity.csv` (every pair that shares code, highest
//! first) and `DIR/similarity.html` (the top pairs side by side, a
//! histogram of all pairs' scores, and a line for each file that could
//! not be compared as Rust). Nothing is sent anywhere: MOSS, the tool most
//! systems courses use, means uploading every student's code to a server
//! abroad, which many universities' rules now forbid.
//!
//! The method is MOSS's, from the literature: Rust tokens normalised so
//! that renaming and reformatting change nothing ([`tokens`]); k-grams of
//! tokens and winnowing to pick fingerprints with a guarantee on the
//! shortest match found ([`winnow`]); an inverted index of fingerprints
//! for all pairs at once, less the starter's and those too many students
//! share ([`index`]); CSV and a self-contained HTML page ([`report`]).
//! Only `crates/*/src` counts, less what the starter already holds. The
//! instructor's page is `labs/src/instructor/similarity.md`.

mod index;
mod report;
mod tokens;
mod winnow;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;

use crate::grade::roster;
use crate::grade::store::Out;
use tokens::{Lexed, Token};

/// The command line of `cargo xtask similarity`.
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask similarity",
    about = "Which submissions share code beyond the starter: a private report, computed on this machine",
    after_help = "Writes DIR/similarity.csv and DIR/similarity.html. A score is a lead for a person to read, \
                  never evidence by itself. See labs/src/instructor/similarity.md."
)]
struct Args {
    /// The roster `cargo xtask grade` used: compare the checkouts it
    /// fetched into DIR (DIR/.work/clones/<student>).
    #[arg(long, value_name = "ROSTER.csv", conflicts_with = "paths")]
    roster: Option<PathBuf>,

    /// Where the report goes (with --roster: the output directory of
    /// `cargo xtask grade`).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Submissions to compare: each a checkout of the student repository;
    /// its name is the directory's name.
    #[arg(value_name = "PATH", required_unless_present = "roster")]
    paths: Vec<PathBuf>,

    /// Tokens in a k-gram: shared runs shorter than this never count.
    #[arg(short = 'k', long = "kgram", value_name = "K", default_value_t = 15,
          value_parser = clap::value_parser!(u32).range(2..=200))]
    k: u32,

    /// Winnowing window, in k-grams: every shared run of at least
    /// k + window - 1 tokens is found.
    #[arg(short = 'w', long, value_name = "W", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=200))]
    window: u32,

    /// Ignore fingerprints held by more than this share of the
    /// submissions (as MOSS's -m), but never one held by 10 or fewer.
    #[arg(short = 'm', long, value_name = "SHARE", default_value_t = 0.2,
          value_parser = parse_share)]
    max_share: f64,

    /// Pairs shown side by side in the HTML report.
    #[arg(long, value_name = "N", default_value_t = 25)]
    top: usize,

    /// The starter to discount: a checkout of the student repository
    /// [default: the starter this workspace writes, made in memory].
    #[arg(long, value_name = "DIR")]
    starter: Option<PathBuf>,

    /// Compare only the first KIB kibibytes of a larger file (and say so).
    #[arg(long, value_name = "KIB", default_value_t = 256,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_file_kib: u64,
}

fn parse_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 1.0 => Ok(s),
        _ => Err(format!("`{text}` is not a share in (0, 1], e.g. 0.25")),
    }
}

/// The knobs of the method.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Tokens per k-gram.
    pub k: usize,
    /// Winnowing window, in k-grams.
    pub window: usize,
    /// The `-m` share.
    pub max_share: f64,
    /// Pairs shown side by side.
    pub top: usize,
    /// Bytes of a file compared at most.
    pub max_file_bytes: u64,
    /// Threads to work on.
    pub threads: usize,
}

/// One source file of a submission, as compared.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Its path inside the submission (`crates/rio/src/lib.rs`).
    pub path: String,
    /// Its text (cut at the cap, invalid UTF-8 replaced).
    pub text: String,
    /// Its normalised tokens.
    pub tokens: Vec<Token>,
}

/// One submission: its name, its source files, and a line for each thing
/// about it that the instructor should know (a file skipped, cut, or
/// compared as text).
#[derive(Clone, Debug)]
pub struct Submission {
    /// The roster's student, or the directory's name.
    pub name: String,
    /// `crates/*/src/**`, sorted by path.
    pub files: Vec<SourceFile>,
    /// One line each.
    pub notes: Vec<String>,
}

/// `cargo xtask similarity ARGS…` for the workspace at `root`.
pub fn main(root: &Path, args: &[String]) -> Result<(), String> {
    let args = match Args::try_parse_from(
        std::iter::once("cargo xtask similarity".to_string()).chain(args.iter().cloned()),
    ) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    let settings = Settings {
        k: args.k as usize,
        window: args.window as usize,
        max_share: args.max_share,
        top: args.top,
        max_file_bytes: args.max_file_kib * 1024,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let started = Instant::now();
    let places = match &args.roster {
        Some(path) => roster_places(path, &args.out)?,
        None => path_places(&args.paths)?,
    };
    let starter = match &args.starter {
        Some(dir) => {
            let s = read_submission("starter", dir, settings.max_file_bytes);
            if s.files.is_empty() {
                return Err(format!(
                    "--starter {}: no crates/*/src there",
                    dir.display()
                ));
            }
            s.files
        }
        None => generated_starter(root)?,
    };
    let starter: Vec<Vec<u64>> = starter
        .iter()
        .map(|f| f.tokens.iter().map(|t| t.code).collect())
        .collect();
    let threads = settings.threads;
    let subs = read_all(&places, settings.max_file_bytes, threads);
    let read = started.elapsed();
    let index = index::Index::build(&subs, &starter, &settings);
    let indexed = started.elapsed();
    let pairs = index.pairs(&subs, threads);
    let elapsed = started.elapsed();
    for s in &subs {
        for note in &s.notes {
            eprintln!("similarity: {}: {note}", s.name);
        }
    }
    let page = report::Page {
        subs: &subs,
        index: &index,
        pairs: &pairs,
        settings: &settings,
        seconds: elapsed.as_secs_f64(),
    };
    fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let csv_path = args.out.join("similarity.csv");
    let html_path = args.out.join("similarity.html");
    write(&csv_path, &report::csv(&page)?)?;
    write(&html_path, &report::html(&page))?;
    println!(
        "similarity: {} submissions, {} pairs share code beyond the starter; {} fingerprints held by more than {} submissions ignored",
        subs.len(),
        pairs.len(),
        index.common,
        index.common_limit
    );
    println!(
        "  {:.1} s: read and lexed in {:.1} s, fingerprinted in {:.1} s, pairs in {:.1} s, report in {:.1} s",
        started.elapsed().as_secs_f64(),
        read.as_secs_f64(),
        (indexed - read).as_secs_f64(),
        (elapsed - indexed).as_secs_f64(),
        (started.elapsed() - elapsed).as_secs_f64()
    );
    for p in pairs.iter().take(5) {
        println!(
            "  {:.3}  {} / {}  ({} tokens)",
            p.similarity, subs[p.a].name, subs[p.b].name, p.shared_tokens
        );
    }
    println!("wrote {} and {}", csv_path.display(), html_path.display());
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    grader_sandbox::files::write_whole(path, text)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Where each submission is: (name, checkout or why there is none).
type Place = (String, Result<PathBuf, String>);

/// The checkouts of a roster, where `cargo xtask grade` put them.
fn roster_places(path: &Path, out: &Path) -> Result<Vec<Place>, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path.display().to_string();
    let rows = roster::parse(&text, &name).map_err(|errors| errors.join("\n"))?;
    let store = Out {
        dir: out.to_path_buf(),
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let dir = store.clone_dir(&row.student);
            let place = if dir.is_dir() {
                Ok(dir)
            } else {
                Err(format!(
                    "no checkout at {} (not fetched yet: `cargo xtask grade --fetch-only` fetches; or the clone failed)",
                    dir.display()
                ))
            };
            (row.student, place)
        })
        .collect())
}

/// PATH… as submissions named by their directories; two with one name is
/// an error (the report could not tell them apart).
fn path_places(paths: &[PathBuf]) -> Result<Vec<Place>, String> {
    let mut places: Vec<Place> = Vec::new();
    for p in paths {
        let name = p
            .canonicalize()
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .or_else(|| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| p.display().to_string());
        if places.iter().any(|(n, _)| *n == name) {
            return Err(format!(
                "two submissions are named `{name}` (the name is the directory's): rename one"
            ));
        }
        let place = if p.is_dir() {
            Ok(p.clone())
        } else {
            Err(format!("{} is not a directory", p.display()))
        };
        places.push((name, place));
    }
    Ok(places)
}

/// Reads every submission, on `threads` threads.
fn read_all(places: &[Place], cap: u64, threads: usize) -> Vec<Submission> {
    par_map(places, threads, |(name, place)| match place {
        Ok(dir) => read_submission(name, dir, cap),
        Err(why) => Submission {
            name: name.clone(),
            files: Vec::new(),
            notes: vec![why.clone()],
        },
    })
}

/// `items.iter().map(f).collect()`, on `threads` scoped threads, each
/// taking a contiguous share (the order is kept).
pub fn par_map<T: Sync, U: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<U>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// The starter's lab crates, as this workspace writes them
/// (`cargo xtask starter`'s marked regions replaced), in memory.
fn generated_starter(root: &Path) -> Result<Vec<SourceFile>, String> {
    let max_width = crate::tree::rustfmt_max_width(root)?;
    let mut files = Vec::new();
    for src in lab_src_dirs(&root.join("crates")) {
        for file in crate::tree::files(&src)? {
            if file.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = crate::tree::read(&file)?;
            let shown = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            let stripped = crate::markers::strip(&text, grader::steps::ALL, max_width)
                .map_err(|e| format!("{shown}: {e}"))?;
            let (tokens, _) = tokens::tokens(&stripped.text);
            files.push(SourceFile {
                path: shown,
                text: stripped.text,
                tokens,
            });
        }
    }
    if files.is_empty() {
        return Err(format!("no crates/*/src in {}", root.display()));
    }
    Ok(files)
}

/// `crates/*/src` under `crates`, sorted.
fn lab_src_dirs(crates: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(crates)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("src"))
        .filter(|p| p.symlink_metadata().is_ok_and(|m| m.is_dir()))
        .collect();
    dirs.sort();
    dirs
}

/// One submission's `crates/*/src`, with a note for each file that is
/// skipped, cut or compared as text. Never fails: what cannot be read
/// is a note.
pub fn read_submission(name: &str, dir: &Path, cap: u64) -> Submission {
    let mut sub = Submission {
        name: name.to_string(),
        files: Vec::new(),
        notes: Vec::new(),
    };
    let dirs = lab_src_dirs(&dir.join("crates"));
    if dirs.is_empty() {
        sub.notes
            .push("no crates/*/src: nothing to compare".to_string());
        return sub;
    }
    let mut paths = Vec::new();
    for d in &dirs {
        walk(d, &mut paths, &mut sub.notes, dir);
    }
    paths.sort();
    for path in paths {
        let shown = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        match read_source(&path, cap) {
            Ok(Some((text, mut notes))) => {
                let (tokens, how) = tokens::tokens(&text);
                if how == Lexed::Text {
                    notes.push("does not lex as Rust: compared as text".to_string());
                }
                sub.notes
                    .extend(notes.into_iter().map(|n| format!("{shown}: {n}")));
                sub.files.push(SourceFile {
                    path: shown,
                    text,
                    tokens,
                });
            }
            Ok(None) => {}
            Err(why) => sub.notes.push(format!("{shown}: {why}")),
        }
    }
    if sub.files.is_empty() {
        sub.notes
            .push("no .rs file in crates/*/src: nothing to compare".to_string());
    }
    sub
}

/// Every file under `dir`, not following symbolic links (a link is a note).
fn walk(dir: &Path, out: &mut Vec<PathBuf>, notes: &mut Vec<String>, base: &Path) {
    let shown = |p: &Path| p.strip_prefix(base).unwrap_or(p).display().to_string();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            notes.push(format!("{}: cannot list: {e}", shown(dir)));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match path.symlink_metadata() {
            Ok(m) if m.is_dir() => walk(&path, out, notes, base),
            Ok(m) if m.is_file() => out.push(path),
            Ok(m) if m.file_type().is_symlink() => {
                notes.push(format!("{}: a symbolic link, not followed", shown(&path)))
            }
            Ok(_) => {}
            Err(e) => notes.push(format!("{}: {e}", shown(&path))),
        }
    }
}

/// A source file's text and what to say about it; `None` for a text file
/// that is not Rust (a README in `src/`), which is not compared.
fn read_source(path: &Path, cap: u64) -> Result<Option<(String, Vec<String>)>, String> {
    let mut notes = Vec::new();
    let size = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(cap).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read: {e}"))?;
    let sniff = &bytes[..bytes.len().min(8192)];
    if sniff.contains(&0) {
        return Err(format!("a binary file ({}), skipped", human(size)));
    }
    if path.extension().is_none_or(|e| e != "rs") {
        return Ok(None);
    }
    if size > cap {
        // Cut at the last whole line, so no token is split.
        if let Some(nl) = bytes.iter().rposition(|&b| b == b'\n') {
            bytes.truncate(nl + 1);
        }
        notes.push(format!(
            "{}: only the first {} compared",
            human(size),
            human(bytes.len() as u64)
        ));
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            notes.push(format!(
                "not UTF-8 (first bad byte at offset {}): compared with the bad bytes replaced",
                e.utf8_error().valid_up_to()
            ));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    Ok(Some((text, notes)))
}

/// 3.2 MiB, 12 KiB, 800 bytes.
fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
    } else if bytes >= 1 << 10 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_parses() {
        let a = Args::try_parse_from(["s", "--out", "d", "a", "b"]).unwrap();
        assert_eq!(a.paths.len(), 2);
        assert_eq!((a.k, a.window, a.max_share), (15, 10, 0.2));
        assert!(Args::try_parse_from(["s", "--out", "d", "--roster", "r.csv"]).is_ok());
        assert!(Args::try_parse_from(["s", "--out", "d"]).is_err());
        assert!(Args::try_parse_from(["s", "--out", "d", "--roster", "r", "a"]).is_err());
        assert!(Args::try_parse_from(["s", "--out", "d", "-m", "0", "a"]).is_err());
        assert!(Args::try_parse_from(["s", "--out", "d", "-m", "1.5", "a"]).is_err());
        let b = Args::try_parse_from(["s", "--out", "d", "-k", "20", "-w", "4", "-m", "0.5", "a"])
            .unwrap();
        assert_eq!((b.k, b.window, b.max_share), (20, 4, 0.5));
    }

    #[test]
    fn bad_files_are_notes_not_failures() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("crates/rio/src");
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("lib.rs"), "fn ok() {}\n").unwrap();
        fs::write(src.join("blob.rs"), b"\x7fELF\0\0\0").unwrap();
        fs::write(src.join("latin1.rs"), b"// caf\xe9\nfn f() {}\n").unwrap();
        fs::write(src.join("broken.rs"), "fn f() {\n").unwrap();
        fs::write(src.join("big.rs"), "fn f() {}\n".repeat(300)).unwrap();
        fs::write(src.join("notes.txt"), "not rust").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", src.join("link.rs")).unwrap();
        let s = read_submission("x", tmp.path(), 1024);
        let paths: Vec<&str> = s.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "crates/rio/src/big.rs",
                "crates/rio/src/broken.rs",
                "crates/rio/src/latin1.rs",
                "crates/rio/src/lib.rs"
            ]
        );
        let notes = s.notes.join("\n");
        for want in [
            "blob.rs: a binary file",
            "big.rs: 2 KiB: only the first 1020 bytes compared",
            "latin1.rs: not UTF-8",
            "broken.rs: does not lex as Rust: compared as text",
            "link.rs: a symbolic link, not followed",
        ] {
            assert!(notes.contains(want), "{want} in\n{notes}");
        }
        assert_eq!(s.notes.len(), 5, "{notes}");
        let empty = read_submission("y", &tmp.path().join("crates/rio"), 1024);
        assert_eq!(empty.notes, ["no crates/*/src: nothing to compare"]);
    }
}
