#!/usr/bin/env python3
"""mdBook preprocessor: show the student's stub, not the reference solution.

The lab pages include code from the reference crates by anchor
(`{{#include ../../crates/rio/src/lib.rs:readn}}`). In the instructor's
repository those regions hold the solution, fenced like this:

    pub fn readn<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
        // BEGIN SOLUTION: lab 1 step 1 (readn)
        ...
        // END SOLUTION
    }

This preprocessor runs after mdBook's `links` preprocessor (so includes are
already expanded) and turns every such region back into the stub that the
student starter has (`cargo xtask starter DIR`):

    pub fn readn<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
        todo!("lab 1 step 1: readn — see labs/src/lab1-rio.md#step-1-readn")
    }

(the same text as xtask/src/markers.rs writes: the step's title and handout
link come from grader/src/steps.rs; no `;` when the block closes next). So a
lab page reads the same in both repositories. A page that contains the
line `<!-- solutions: show -->` (the instructor's solutions page) keeps the
bodies and only drops the marker lines; one that contains
`<!-- solutions: verbatim -->` (a page that shows the markers as an
example) is left as it is. In the starter there are no markers
left; there, an anchor that lay inside a solution region (`echo_batched`)
is gone with it and its include comes out empty: such an empty code block
is replaced by a one-line note instead of being shown blank.

Protocol: `solutions.py supports RENDERER` exits 0; otherwise mdBook writes
`[context, book]` as JSON on stdin and reads the book back on stdout.
"""

import json
import re
import sys
from pathlib import Path

SHOW = "<!-- solutions: show -->"
# A page that shows the markers themselves, as an example: left alone.
VERBATIM = "<!-- solutions: verbatim -->"
# The grader's step table: labs/tools/ -> repository root.
STEPS_RS = Path(__file__).resolve().parent.parent.parent / "grader" / "src" / "steps.rs"
# LAB1_READN = 1, 1, "readn", "labs/src/lab1-rio.md", "step-1-readn";
STEP = re.compile(r'=\s*(\d+),\s*(\d+),\s*"([^"]*)",\s*"([^"]*)",\s*"([^"]*)"\s*;')
BEGIN = re.compile(r"^(?P<indent>[ \t]*)// BEGIN SOLUTION(?::[ \t]*(?P<label>.*?))?[ \t]*$")
END = re.compile(r"^[ \t]*// END SOLUTION\b.*$")
# "lab 1 step 1 (readn)" or "lab 1 step 1"
LABEL = re.compile(r"^lab (?P<lab>\d+) step (?P<step>\d+)(?:\s*\((?P<title>.*)\))?$")


class Unbalanced(Exception):
    pass


def load_steps():
    """{(lab, step): (title, "labs/src/…md#anchor")} from the grader's table."""
    try:
        text = STEPS_RS.read_text(encoding="utf-8")
    except OSError:
        return {}
    return {(int(l), int(n)): (t, f"{f}#{a}") for l, n, t, f, a in STEP.findall(text)}


STEPS = load_steps()


def stub_text(label):
    """The todo!() the starter puts where a solution was (xtask's todo_call)."""
    m = LABEL.match(label or "")
    if not m:
        raise Unbalanced(f"not a valid marker label: {label!r} (want `lab N step M (title)`)")
    lab, number = int(m["lab"]), int(m["step"])
    title, link = STEPS.get((lab, number), (m["title"] or "", None))
    message = f"lab {lab} step {number}: {title}"
    if link:
        message += f" — see {link}"
    escaped = message.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}")
    return f'todo!("{escaped}")'


def closes_block(lines):
    """Does the first non-blank line of `lines` close the block? (no `;`)"""
    for line in lines:
        if line.strip():
            return line.strip().startswith("}")
    return True


def strip_solutions(content, show):
    out = []
    inside = None  # (line number, indent, label) of the open BEGIN
    lines = content.split("\n")
    for n, line in enumerate(lines, 1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise Unbalanced(f"line {n}: BEGIN SOLUTION inside another (opened at line {inside[0]})")
            inside = (n, begin["indent"], begin["label"])
            continue
        if END.match(line):
            if not inside:
                raise Unbalanced(f"line {n}: END SOLUTION without BEGIN SOLUTION")
            if not show:
                semicolon = "" if closes_block(lines[n:]) else ";"
                out.append(inside[1] + stub_text(inside[2]) + semicolon)
            inside = None
            continue
        if inside and not show:
            continue
        out.append(line)
    if inside:
        raise Unbalanced(f"line {inside[0]}: BEGIN SOLUTION without END SOLUTION in the included region")
    return "\n".join(out)


# A fenced code block with nothing in it: an include whose region is gone.
EMPTY_BLOCK = re.compile(r"^(?P<indent>[ \t]*)```rust[^\n]*\n(?:[ \t]*\n)*(?P=indent)```[ \t]*$", re.M)
GONE = "*(The reference's code for this is in the instructor's copy only.)*"


def fill_empty_blocks(content):
    return EMPTY_BLOCK.sub(lambda m: m["indent"] + GONE, content)


def walk(items, errors):
    for item in items:
        chapter = item.get("Chapter") if isinstance(item, dict) else None
        if not chapter:
            continue
        content = chapter.get("content", "")
        if VERBATIM in content:
            pass
        elif "BEGIN SOLUTION" in content or "END SOLUTION" in content:
            try:
                chapter["content"] = strip_solutions(content, SHOW in content)
            except Unbalanced as e:
                errors.append(f"{chapter.get('source_path') or chapter.get('path')}: {e}")
        if "```rust" in chapter.get("content", ""):
            chapter["content"] = fill_empty_blocks(chapter["content"])
        walk(chapter.get("sub_items", []), errors)


def main():
    if len(sys.argv) > 1:
        # `supports <renderer>`: plain text, so every renderer.
        sys.exit(0 if sys.argv[1] == "supports" else 1)
    _context, book = json.load(sys.stdin)
    errors = []
    # mdBook 0.5 calls the list `items`; 0.4 called it `sections`.
    walk(book.get("items", book.get("sections", [])), errors)
    if errors:
        for e in errors:
            print(f"solutions.py: {e}", file=sys.stderr)
        sys.exit(1)
    json.dump(book, sys.stdout)


if __name__ == "__main__":
    main()
