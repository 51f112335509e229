//! A source file as the comparison sees it: a list of normalised tokens,
//! each with the line it starts on.
//!
//! Copying hides behind what does not change the program: new names,
//! new comments, new layout. So the comparison never looks at those.
//! Rust is lexed as rustc lexes it (`proc-macro2`'s lexer, with
//! `span-locations` for the lines); comments are gone (doc comments,
//! which the lexer turns into `#[doc = "…"]`, are dropped too);
//! identifiers become one placeholder, literals another, lifetimes a
//! third; keywords and punctuation stay as they are. A few names that a
//! copier cannot rename (`Ok`, `Err`, `Some`, `None`) stay too, for a little
//! more signal. This is the normalisation of MOSS and JPlag.
//!
//! A file that does not lex (an unclosed brace, a stray quote) is scanned
//! as text instead: the same token classes by a tolerant scanner that
//! knows words, numbers, quotes and comments but not Rust's grammar. For
//! a file that is almost Rust it gives almost the same tokens, so a copy
//! of a broken file is still found; the report says which files were
//! scanned so.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// One token: a code for its normalised text, and its 1-based line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// A hash of the normalised text (`$i`, `$l`, `fn`, `{`, …).
    pub code: u64,
    /// The line it starts on.
    pub line: u32,
}

/// How a file was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lexed {
    /// By the Rust lexer.
    Rust,
    /// By the text scanner, because the Rust lexer refused the file.
    Text,
}

/// Rust's keywords (strict and reserved): kept as they are.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "union",
];

/// Names from the prelude that no rename can change.
const KEPT_NAMES: &[&str] = &["Ok", "Err", "Some", "None"];

/// The placeholder of every other identifier.
const IDENT: &str = "$i";
/// The placeholder of every literal.
const LITERAL: &str = "$l";
/// The placeholder of every lifetime.
const LIFETIME: &str = "$'";

/// The code of a normalised token text: 64-bit FNV-1a, then a mix, so
/// that the codes' low bits are as random as their high bits.
pub fn code(text: &str) -> u64 {
    let mut h = grader_sandbox::files::Fnv::default();
    h.add(text.as_bytes());
    mix(h.finish())
}

/// SplitMix64's finaliser: every input bit reaches every output bit.
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn word(text: &str) -> &str {
    if KEYWORDS.contains(&text) || KEPT_NAMES.contains(&text) {
        text
    } else {
        IDENT
    }
}

/// The tokens of `src`: lexed as Rust if it lexes, else scanned as text.
pub fn tokens(src: &str) -> (Vec<Token>, Lexed) {
    match src.parse::<TokenStream>() {
        Ok(stream) => {
            let mut out = Vec::new();
            rust(stream, &mut out);
            (out, Lexed::Rust)
        }
        Err(_) => (text(src), Lexed::Text),
    }
}

fn push(out: &mut Vec<Token>, text: &str, line: usize) {
    out.push(Token {
        code: code(text),
        line: u32::try_from(line).unwrap_or(u32::MAX),
    });
}

/// Walks a lexed stream, dropping doc attributes.
fn rust(stream: TokenStream, out: &mut Vec<Token>) {
    let trees: Vec<TokenTree> = stream.into_iter().collect();
    let mut i = 0;
    while i < trees.len() {
        match &trees[i] {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                // `#[doc = …]` or `#![doc = …]`: a comment, in the lexer's words.
                let bang =
                    matches!(trees.get(i + 1), Some(TokenTree::Punct(q)) if q.as_char() == '!');
                let at = i + 1 + usize::from(bang);
                if let Some(TokenTree::Group(g)) = trees.get(at) {
                    if g.delimiter() == Delimiter::Bracket && is_doc(&g.stream()) {
                        i = at + 1;
                        continue;
                    }
                }
                push(out, "#", p.span().start().line);
            }
            TokenTree::Punct(p) if p.as_char() == '\'' && p.spacing() == Spacing::Joint => {
                // A lifetime: `'` joined to the identifier after it.
                push(out, LIFETIME, p.span().start().line);
                if matches!(trees.get(i + 1), Some(TokenTree::Ident(_))) {
                    i += 1;
                }
            }
            TokenTree::Punct(p) => {
                let mut buf = [0u8; 4];
                push(
                    out,
                    p.as_char().encode_utf8(&mut buf),
                    p.span().start().line,
                );
            }
            TokenTree::Ident(id) => {
                let name = id.to_string();
                push(out, word(&name), id.span().start().line);
            }
            TokenTree::Literal(l) => push(out, LITERAL, l.span().start().line),
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                if !open.is_empty() {
                    push(out, open, g.span_open().start().line);
                }
                rust(g.stream(), out);
                if !close.is_empty() {
                    push(out, close, g.span_close().start().line);
                }
            }
        }
        i += 1;
    }
}

fn is_doc(stream: &TokenStream) -> bool {
    let mut it = stream.clone().into_iter();
    matches!(
        (it.next(), it.next()),
        (Some(TokenTree::Ident(d)), Some(TokenTree::Punct(eq))) if d == "doc" && eq.as_char() == '='
    )
}

/// The tolerant scan of a file that does not lex: the same token classes,
/// found without Rust's grammar.
fn text(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut line = 1usize;
    let mut i = 0;
    // Where to go on from chars[i..end], counting its lines.
    let skip = |i: usize, end: usize, line: &mut usize| {
        let end = end.min(chars.len());
        *line += chars[i..end].iter().filter(|&&c| c == '\n').count();
        end
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i = skip(i, i + 1, &mut line);
        } else if c == '/' && next == Some('/') {
            let end = chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |p| i + p);
            i = skip(i, end, &mut line);
        } else if c == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let (mut depth, mut j) = (0usize, i);
            while j < chars.len() {
                if chars[j] == '/' && chars.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if chars[j] == '*' && chars.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            i = skip(i, j, &mut line);
        } else if c == '"' || (matches!(c, 'b' | 'r' | 'c') && quote_follows(&chars, i)) {
            let start = line;
            let end = string_end(&chars, i);
            i = skip(i, end, &mut line);
            push(&mut out, LITERAL, start);
        } else if c == '\'' || (c == 'b' && next == Some('\'') && !word_before(&chars, i)) {
            // 'x', b'x' and '\n' are literals; 'a without a closing quote is a lifetime.
            if c == 'b' {
                i += 1;
            }
            let next = chars.get(i + 1).copied();
            let end = if next == Some('\\') {
                chars[i + 2..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map(|p| i + 2 + p + 1)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    push(&mut out, LITERAL, line);
                    i = skip(i, end, &mut line);
                }
                None => {
                    push(&mut out, LIFETIME, line);
                    let mut j = i + 1;
                    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                        j += 1;
                    }
                    i = j;
                }
            }
        } else if c.is_ascii_digit() {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].is_alphanumeric()
                    || chars[j] == '_'
                    || (chars[j] == '.' && chars.get(j + 1).is_some_and(|d| d.is_ascii_digit())))
            {
                j += 1;
            }
            push(&mut out, LITERAL, line);
            i = j;
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let w: String = chars[i..j].iter().collect();
            push(&mut out, word(&w), line);
            i = j;
        } else {
            let mut buf = [0u8; 4];
            push(&mut out, c.encode_utf8(&mut buf), line);
            i += 1;
        }
    }
    out
}

/// Does a word character come right before `chars[i]`?
fn word_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// Is `chars[i]` the prefix of a string literal: `b"`, `r"`, `r#"`, `br"`, `c"`…?
fn quote_follows(chars: &[char], i: usize) -> bool {
    let mut j = i;
    while j < chars.len() && matches!(chars[j], 'b' | 'r' | 'c') && j < i + 2 {
        j += 1;
    }
    while j < chars.len() && chars[j] == '#' {
        j += 1;
    }
    chars.get(j) == Some(&'"') && !word_before(chars, i)
}

/// Where the string literal starting at `i` ends (one past its last char).
fn string_end(chars: &[char], i: usize) -> usize {
    let mut j = i;
    let raw = chars[i..].iter().take(2).any(|&c| c == 'r');
    while j < chars.len() && chars[j] != '"' && chars[j] != '#' {
        j += 1;
    }
    let mut hashes = 0;
    while j < chars.len() && chars[j] == '#' {
        hashes += 1;
        j += 1;
    }
    j += 1; // the opening quote
    while j < chars.len() {
        if chars[j] == '\\' && !raw {
            j += 2;
            continue;
        }
        if chars[j] == '"'
            && chars[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return j + 1 + hashes;
        }
        j += 1;
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(tokens: &[Token]) -> Vec<u64> {
        tokens.iter().map(|t| t.code).collect()
    }

    #[test]
    fn names_comments_and_layout_do_not_change_the_tokens() {
        let a = "/// Reads.\nfn readn(r: &mut R) -> usize {\n    let mut n = 0; // count\n    n += 1;\n    n\n}\n";
        let b = "fn  get_all( src :&mut R)->usize{ let mut total=0;\n/* sum */ total+=1; total }";
        let (ta, la) = tokens(a);
        let (tb, lb) = tokens(b);
        assert_eq!((la, lb), (Lexed::Rust, Lexed::Rust));
        assert_eq!(kinds(&ta), kinds(&tb));
        assert_eq!(ta[0].line, 2, "the doc comment is gone");
        assert_eq!(ta.last().unwrap().line, 6);
    }

    #[test]
    fn literals_lifetimes_and_keywords() {
        let (t, _) =
            tokens("fn f<'a>(x: &'a str) -> Option<u8> { if x == \"q\" { return Some(1) } None }");
        let (u, _) = tokens(
            "fn g<'b>(y: &'b str) -> Option<u16> { if y == \"zz\" { return Some(7) } None }",
        );
        assert_eq!(kinds(&t), kinds(&u));
        let (v, _) =
            tokens("fn g<'b>(y: &'b str) -> Option<u16> { if y == \"zz\" { return Ok(7) } None }");
        assert_ne!(kinds(&t), kinds(&v), "Some and Ok differ");
    }

    #[test]
    fn a_file_that_does_not_lex_is_scanned_as_text_with_almost_the_same_tokens() {
        let good = "fn f(x: &'a [u8]) -> u8 {\n    // one\n    let s = b\"x\\\"y\";\n    x[0] + b'\\n' + b'q'\n}\n";
        let (rust, how) = tokens(good);
        assert_eq!(how, Lexed::Rust);
        assert_eq!(
            kinds(&text(good)),
            kinds(&rust),
            "the scan agrees with the lexer"
        );
        assert_eq!(
            text(good).iter().map(|t| t.line).collect::<Vec<_>>(),
            rust.iter().map(|t| t.line).collect::<Vec<_>>()
        );
        let broken = format!("{good}fn g() {{\n    let c = 'x';\n");
        let (t, how) = tokens(&broken);
        assert_eq!(how, Lexed::Text);
        assert_eq!(kinds(&t[..rust.len()]), kinds(&rust));
    }
}
