#!/usr/bin/env python3
"""Keeps the compiler messages quoted in the handouts real: made by the code shown.

labs/src/lab5/threads.md shows what rustc says about the obvious ways to
share a counter between threads (and lab 5's step 1 names one more). The code it shows is included from
labs/rustc/*.rs, and this script compiles each of those files, as the
`src/main.rs` of a scratch crate (edition 2024, the workspace's), and
compares:

- every quoted block: a ```text block right after a line
  `<!-- rustc: FILE CODE -->` in the page must be exactly the first part of
  rustc's error CODE for FILE (its header, its location and the source
  lines it marks, up to the first note or help);
- every quoted phrase: each entry of SNIPPETS names phrases that rustc must
  print for that file and that the page must quote (white space aside);
- the errors each file gives: exactly those listed (none: it compiles).

    python3 labs/tools/rustc_messages.py           # report drift, exit 1 if any (CI)
    python3 labs/tools/rustc_messages.py --write   # rewrite the quoted blocks in place

A new rustc may word a message differently: then this fails, and `--write`
refreshes the blocks (phrases are edited by hand). Needs only rustc; each
file takes a fraction of a second (`--emit=metadata`: nothing is linked).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SNIPPET_DIR = REPO / "labs" / "rustc"
PAGE = REPO / "labs" / "src" / "lab5" / "threads.md"

# file: (the error codes it must give, in order; phrases rustc prints and the page quotes)
SNIPPETS = {
    "race.rs": (
        ["E0373", "E0499"],
        ["to force the closure to take ownership of `total` (and any other referenced variables), use the `move` keyword"],
    ),
    "static_mut.rs": (
        ["E0133"],
        ["mutable statics can be mutated by multiple threads: aliasing violations or data races will cause undefined behavior"],
    ),
    "rc.rs": (["E0277"], ["`Rc<Cell<u64>>` cannot be sent between threads safely"]),
    "arc.rs": (["E0594"], ["cannot assign to data in an `Arc`"]),
    "move_copy.rs": ([], ["value assigned to `total` is never read"]),
    "arc_moved.rs": (["E0382"], ["use of moved value: `total`"]),
}
# the page each snippet's phrases are quoted in (default: PAGE)
PAGES = {"arc_moved.rs": REPO / "labs" / "src" / "lab5-concurrency.md"}

MARKER = re.compile(r"^<!-- rustc: (\S+) (E\d{4}) -->$")


def compile_snippet(name):
    """rustc's human-readable output for labs/rustc/NAME as src/main.rs."""
    rustc = shutil.which("rustc")
    if rustc is None:
        sys.exit("rustc_messages: rustc is not on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        shutil.copy(SNIPPET_DIR / name, src / "main.rs")
        env = dict(os.environ, CARGO_TERM_COLOR="never")
        out = subprocess.run(
            [rustc, "--edition", "2024", "--crate-name", "snippet", "--crate-type", "bin",
             "--emit=metadata", "--color", "never", "--out-dir", str(Path(tmp) / "out"), "src/main.rs"],
            cwd=tmp, env=env, capture_output=True, text=True, timeout=120,
        )
        return out.returncode, out.stderr


def errors(output):
    """{code: [lines]} of each `error[CODE]` in rustc's output, in order."""
    found = {}
    current = None
    for line in output.splitlines():
        m = re.match(r"^error\[(E\d{4})\]", line)
        if m:
            current = found.setdefault(m.group(1), [])
            current.append(line)
        elif re.match(r"^(error|warning)\b", line) or line.startswith("Some errors") or line.startswith("For more"):
            current = None
        elif current is not None:
            current.append(line)
    return found


def quoted_part(lines):
    """The part a page quotes: up to the bare `|` line after the marked
    source lines (before the first note or help)."""
    out = []
    seen_source = False
    for line in lines:
        if re.match(r"^\s*\d+ \|", line):
            seen_source = True
        if seen_source and re.match(r"^\s*\|\s*$", line):
            break
        if line.startswith("note:") or line.startswith("help:") or re.match(r"^\s*= ", line):
            break
        out.append(line)
    return [line.rstrip() for line in out]


def squash(text):
    return " ".join(text.split())


def main():
    write = "--write" in sys.argv[1:]
    problems = []
    outputs = {}
    for name, (codes, phrases) in SNIPPETS.items():
        status, output = compile_snippet(name)
        outputs[name] = output
        found = errors(output)
        if list(found) != codes:
            problems.append(f"{name}: rustc gives errors {list(found) or 'none'}, expected {codes or 'none'}")
        if not codes and status != 0:
            problems.append(f"{name}: does not compile:\n{output}")
        for phrase in phrases:
            if squash(phrase) not in squash(output):
                problems.append(f"{name}: rustc no longer says {phrase!r}")
            page = PAGES.get(name, PAGE)
            if squash(phrase) not in squash(page.read_text()):
                problems.append(f"{page.relative_to(REPO)}: does not quote {phrase!r} ({name})")

    lines = PAGE.read_text().split("\n")
    out = []
    i = 0
    blocks = 0
    while i < len(lines):
        out.append(lines[i])
        m = MARKER.match(lines[i])
        if not m:
            i += 1
            continue
        name, code = m.groups()
        if i + 1 >= len(lines) or lines[i + 1] != "```text":
            problems.append(f"{PAGE.relative_to(REPO)}:{i + 1}: `<!-- rustc: {name} {code} -->` is not followed by a ```text block")
            i += 1
            continue
        end = lines.index("```", i + 2)
        shown = lines[i + 2:end]
        if name not in outputs:
            problems.append(f"{PAGE.relative_to(REPO)}:{i + 1}: {name} is not a snippet of SNIPPETS")
            want = shown
        else:
            want = quoted_part(errors(outputs[name]).get(code, []))
            if not want:
                problems.append(f"{PAGE.relative_to(REPO)}:{i + 1}: rustc gives no {code} for {name}")
                want = shown
        blocks += 1
        if shown != want:
            if write:
                print(f"rustc_messages: rewrote the {code} block for {name}")
            else:
                problems.append(
                    f"{PAGE.relative_to(REPO)}:{i + 1}: the {code} block for {name} is not what rustc says now:\n"
                    + "\n".join("    " + line for line in want)
                )
        out.append("```text")
        out.extend(want)
        out.append("```")
        i = end + 1
    if write:
        PAGE.write_text("\n".join(out))
    if blocks == 0:
        problems.append(f"{PAGE.relative_to(REPO)}: no `<!-- rustc: FILE CODE -->` block")
    version = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    if problems and not write:
        print(f"rustc_messages ({version}): {len(problems)} problem(s); `python3 labs/tools/rustc_messages.py --write` refreshes the blocks")
        for p in problems:
            print(f"  {p}")
        sys.exit(1)
    print(f"rustc_messages ({version}): {blocks} quoted blocks and {sum(len(p) for _, p in SNIPPETS.values())} phrases are what rustc says")


if __name__ == "__main__":
    main()
