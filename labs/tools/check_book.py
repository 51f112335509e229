#!/usr/bin/env python3
"""Checks the handouts: mdBook builds them, this makes sure nothing is broken.

mdBook does not check links, and a `{{#include}}` whose file or anchor is
gone only logs an error. So, after `mdbook build labs`:

1. every `{{#include FILE:ANCHOR}}` (or line range) in labs/src resolves to
   an existing file and a non-empty region;
2. every relative `href`/`src` in the built HTML points at a file inside the
   book, and every `#fragment` at an `id` that exists in that file;
3. every handout step that the grader's failure messages link to
   (grader/src/steps.rs) has its heading anchor in the built book;
4. nothing unexpanded (`{{#…}}`) or unstripped (`BEGIN SOLUTION`) is left
   in the HTML;
5. every check a lab page cites (the backticked names after `**Checks:**`
   in a `## Step N: …` section) exists in grader/src/labs/; and, given
   `--grader-checks FILE` (what `cargo run -p grader -- --list-json`
   printed: the grader's typed list of checks), each step
   cites exactly the checks the grader files under that step, each lab
   page's `**Points:** N` is the lab's total, and the instructor's table
   gives each step's checks and points as the report does.

Usage: python3 labs/tools/check_book.py [--grader-checks FILE] [LABS_DIR]
(default: the labs/ folder this script is in). Exit 0 when clean, 1 with one
line per problem.
"""

import html.parser
import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

INCLUDE = re.compile(r"(?<!\\)\{\{#(include|rustdoc_include)\s+([^}\s]+)\s*\}\}")
ANCHOR_START = re.compile(r"ANCHOR:\s*([\w_-]+)")
ANCHOR_END = re.compile(r"ANCHOR_END:\s*([\w_-]+)")
# In steps.rs:  LAB1_READN = 1, 1, "readn", "labs/src/lab1-rio.md", "step-1-readn";
STEP = re.compile(r'"(labs/src/[^"]+\.md)",\s*"([^"]+)"')


def include_region(path, spec):
    """The lines mdBook would include for `spec` (after the ':'), or an error."""
    lines = path.read_text(encoding="utf-8").split("\n")
    if spec is None:
        return "\n".join(lines), None
    if re.fullmatch(r"\d*(:\d*)?", spec):
        # line ranges: N, N:, :M, N:M (1-based, inclusive)
        start, _, end = spec.partition(":")
        lo = int(start) - 1 if start else 0
        if ":" not in spec:
            hi = lo + 1
        else:
            hi = int(end) if end else len(lines)
        region = lines[lo:hi]
        return "\n".join(region), None
    inside, region, found_end = False, [], False
    for line in lines:
        start = ANCHOR_START.search(line)
        end = ANCHOR_END.search(line)
        if inside:
            if end and end.group(1) == spec:
                found_end = True
                break
            if not (start or end):
                region.append(line)
        elif start and start.group(1) == spec and not end:
            inside = True
    if not inside:
        return None, f"no `ANCHOR: {spec}` in {path}"
    if not found_end:
        return None, f"`ANCHOR: {spec}` has no `ANCHOR_END: {spec}` in {path}"
    return "\n".join(region), None


def check_includes(src, problems):
    count = 0
    for md in sorted(src.rglob("*.md")):
        text = md.read_text(encoding="utf-8")
        for n, line in enumerate(text.split("\n"), 1):
            for m in INCLUDE.finditer(line):
                count += 1
                target = m.group(2)
                file_part, _, spec = target.partition(":")
                spec = spec or None
                path = (md.parent / file_part).resolve()
                where = f"{md.relative_to(src.parent)}:{n}"
                if not path.is_file():
                    problems.append(f"{where}: include of a missing file: {file_part}")
                    continue
                region, err = include_region(path, spec)
                source = path.read_text(encoding="utf-8")
                if err and "BEGIN SOLUTION" not in source and "todo!(" in source:
                    # A student starter: an anchor inside a solution region
                    # went with it (solutions.py shows a note there instead).
                    print(f"check_book: note: {where}: {err} (a starter: it went with a solution body)")
                elif err:
                    problems.append(f"{where}: {err}")
                elif not region.strip():
                    problems.append(f"{where}: include `{target}` is empty")
    return count


class Page(html.parser.HTMLParser):
    """Collects the ids and the links of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []  # (attribute, value, line)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in ("href", "src") and tag != "base":
                self.links.append((name, value, self.getpos()[0]))


def parse(path, cache):
    if path not in cache:
        page = Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def is_external(url):
    parts = urlsplit(url)
    return bool(parts.scheme) or url.startswith("//")


def check_html(book, problems):
    cache = {}
    pages = sorted(book.rglob("*.html"))
    links = 0
    for page_path in pages:
        text = page_path.read_text(encoding="utf-8", errors="replace")
        rel = page_path.relative_to(book)
        for bad, why in (("{{#", "an unexpanded mdBook directive"), ("BEGIN SOLUTION", "a solution marker (did tools/solutions.py run?)")):
            # A page marked verbatim shows the markers on purpose (and so
            # does print.html, which has every page).
            if bad == "BEGIN SOLUTION" and "<!-- solutions: verbatim -->" in text:
                continue
            if bad in text:
                problems.append(f"book/{rel}: contains {why}: {bad!r}")
        if rel.name == "404.html":
            # Served at any missing path, with <base href> set to the site
            # root: its relative links are not relative to where it lies.
            continue
        page = parse(page_path, cache)
        for attr, url, line in page.links:
            if is_external(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            links += 1
            parts = urlsplit(url)
            target = page_path
            if parts.path:
                target = (page_path.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
            where = f"book/{rel}:{line}"
            try:
                target.relative_to(book)
            except ValueError:
                problems.append(f"{where}: {attr}={url!r} leaves the book (link a repository file as `code`, not as a link)")
                continue
            if not target.exists():
                problems.append(f"{where}: {attr}={url!r}: no such file")
                continue
            if parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in parse(target, cache).ids:
                    problems.append(f"{where}: {attr}={url!r}: no id {parts.fragment!r} in {target.relative_to(book)}")
    return len(pages), links


def check_steps(root, book, problems):
    steps_rs = root.parent / "grader" / "src" / "steps.rs"
    if not steps_rs.is_file():
        print(f"check_book: note: {steps_rs} not found, grader step anchors not checked")
        return 0
    cache = {}
    steps = STEP.findall(steps_rs.read_text(encoding="utf-8"))
    for md, anchor in steps:
        page = book / Path(md).relative_to("labs/src").with_suffix(".html")
        if md.startswith("labs/src/lab5") and not (root / Path(md).relative_to("labs")).is_file():
            # lab 5 is optional: a starter made with --without-lab 5 has no page for it
            print(f"check_book: note: {md} is not in this book (a starter without lab 5)")
            continue
        if not page.is_file():
            problems.append(f"grader/src/steps.rs: step page {md} was not built ({page.relative_to(root)} missing)")
        elif anchor not in parse(page, cache).ids:
            problems.append(f"grader/src/steps.rs: {md}#{anchor}: no heading with that anchor")
    return len(steps)


# `## Step 2: writen` -> (2, "writen"); `## Step 4 (optional): …` -> (4, …)
STEP_HEADING = re.compile(r"^## Step (\d+)(?: \(optional\))?: (.+?)\s*$")
CHECKS_PARA = re.compile(r"\*\*Checks:\*\*([^.]*)\.")  # the list ends at the first "."
TICKED = re.compile(r"`([a-z0-9_]+)`")
LAB_PAGES = {"lab1_rio": "lab1-rio.md", "lab2_netutil": "lab2-netutil.md",
             "lab3_echoserver": "lab3-echoserver.md", "lab4_echoclient": "lab4-echoclient.md",
             "lab5_concurrency": "lab5-concurrency.md"}
LAB_POINTS = re.compile(r"^\*\*Points:\*\* (\d+)\b", re.M)
# `| Lab 1: rio | 1: readn | 6 | 8 |` (the lab column may be empty)
TABLE_ROW = re.compile(r"^\|[^|]*\| (\d+): ([^|]+?) \| (\d+) \| (\d+) \|$", re.M)


def read_report(path):
    """{lab slug: {title: (step number, [names], points)}} from the grader's
    typed list of checks (`--list-json`: id, lab, step, step_title, points)."""
    labs = {}
    for check in json.loads(Path(path).read_text(encoding="utf-8")):
        slug, name = check["id"].split("::", 1)
        lab = labs.setdefault(slug, {})
        title = check["step_title"]
        number, names, points = lab.get(title, (check["step"], [], 0))
        lab[title] = (number, names + [name], points + check["points"])
    return labs


def cited_checks(md_path):
    """{step title: [check names]} from the `**Checks:**` paragraphs of a lab page."""
    cited, title, body = {}, None, []

    def flush():
        if title is not None:
            names = []
            for para in CHECKS_PARA.findall("\n".join(body)):
                names += TICKED.findall(para)
            cited[title] = names

    for line in md_path.read_text(encoding="utf-8").split("\n"):
        m = STEP_HEADING.match(line)
        if m or line.startswith("## "):
            flush()
            title, body = (m.group(2) if m else None), []
        elif title is not None:
            body.append(line)
    flush()
    return cited


def check_cited(root, report, problems):
    labs_src = root.parent / "grader" / "src" / "labs"
    if not labs_src.is_dir():
        print(f"check_book: note: {labs_src} not found, cited checks not verified")
        return 0
    grader_text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(labs_src.rglob("*.rs")))
    # names made with concat!(PREFIX, "name"): lab 3's checks registered again for lab 5
    prefixes = set(re.findall(r'"([a-z0-9]+_)"', grader_text))

    def in_grader(name):
        if re.search(r"\b" + re.escape(name) + r"\b", grader_text):
            return True
        return any(name.startswith(p) and re.search(r"\b" + re.escape(name[len(p):]) + r"\b", grader_text)
                   for p in prefixes)

    reported = read_report(report) if report else {}
    if report and not reported:
        problems.append(f"{report}: no checks found (is it what `cargo run -p grader -- --list-json` printed?)")
    count = 0
    table = {}
    instructor = root / "src" / "instructor.md"
    if instructor.is_file():
        for n, title, checks, points in TABLE_ROW.findall(instructor.read_text(encoding="utf-8")):
            table.setdefault(title.strip(), []).append((int(n), int(checks), int(points)))
    for lab, page in LAB_PAGES.items():
        md = root / "src" / page
        if not md.is_file():
            continue
        text = md.read_text(encoding="utf-8")
        cited = cited_checks(md)
        for title, names in cited.items():
            for name in names:
                count += 1
                if not in_grader(name):
                    problems.append(f"src/{page}: step {title!r} cites `{name}`, which is not in grader/src/labs/")
        if lab not in reported:
            continue
        steps = reported[lab]
        total = sum(points for _, _, points in steps.values())
        stated = LAB_POINTS.findall(text)
        if stated != [str(total)]:
            problems.append(f"src/{page}: says **Points:** {stated or 'nothing'}; the report gives the lab {total}")
        for title, (number, names, points) in steps.items():
            if title not in cited:
                problems.append(f"src/{page}: no `## Step {number}: {title}` section for the grader's checks {names}")
            else:
                missing = [n for n in names if n not in cited[title]]
                extra = [n for n in cited[title] if n not in names]
                if missing:
                    problems.append(f"src/{page}: step {title!r} does not cite the grader's checks {missing}")
                if extra:
                    problems.append(f"src/{page}: step {title!r} cites {extra}, which the grader files under another step or not at all")
            want = (number, len(names), points)
            if want not in table.get(title, []):
                problems.append(
                    f"src/instructor.md: the points table should have step {number}: {title} "
                    f"with {len(names)} checks and {points} points (has {table.get(title) or 'no row'})"
                )
    return count


def main():
    args = sys.argv[1:]
    report = None
    if args[:1] == ["--grader-checks"]:
        if len(args) < 2:
            print("check_book: --grader-checks needs a file")
            return 2
        report, args = args[1], args[2:]
    root = Path(args[0]).resolve() if args else Path(__file__).resolve().parent.parent
    src, book = root / "src", root / "book"
    if not (book / "index.html").is_file():
        print(f"check_book: {book} has no index.html: run `mdbook build {root}` first")
        return 1
    problems = []
    includes = check_includes(src, problems)
    pages, links = check_html(book, problems)
    steps = check_steps(root, book, problems)
    cited = check_cited(root, report, problems)
    for p in problems:
        print(f"check_book: {p}")
    verdict = "ok" if not problems else f"{len(problems)} problem(s)"
    against = " (against the grader's list of checks)" if report else ""
    print(
        f"check_book: {includes} includes, {pages} pages, {links} links, "
        f"{steps} grader step anchors, {cited} cited checks{against}: {verdict}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
