#!/usr/bin/env python3
"""The handouts' figures: SVG drawn from a small text source, and the mdBook
preprocessor that puts each one where a page asks for it.

Each figure is a source file `labs/figures/NAME.fig` (the format is below)
and the SVG drawn from it, `labs/figures/NAME.svg`, committed beside it so
that a page needs nothing at view time and the SVG can be read on its own.
A page asks for a figure with a line of its own:

    <!-- figure: NAME -->

and the preprocessor (book.toml: `[preprocessor.figures]`) puts the SVG
there, inline, so that it can use the theme's colours: every colour is an
mdBook CSS variable (`var(--fg)`, `var(--bg)`, `var(--quote-bg)`,
`var(--blockquote-note-color)`, `var(--blockquote-warning-color)`), with a
light fallback for the SVG file seen alone. An `<img>` could not do that.
The SVG's `<title>` and `<desc>` (from the source's `title` and `desc`) are
its alt text: `role="img"` and `aria-labelledby` name them.

    python3 labs/tools/figures.py build    # redraw every labs/figures/*.svg
    python3 labs/tools/figures.py check    # fail if an SVG is not what its source draws

`.ci/build-book` runs `check`; `.ci/check-figures` renders the built pages in
headless Chromium, in every theme, and checks what a reader sees.

The source format, one statement a line (words split as by a shell, so
quote text with spaces; `#` starts a comment line):

    figure NAME            the file's name, without .fig
    title TEXT             the short alt text
    desc TEXT              the long description; several lines are joined
    font PX                text size (default 13); one monospace character is 0.6 PX wide
    cols W0 W1 …           column widths, in characters
    rows N PITCH           N rows of PITCH pixels

A point is `X:Y`: X counts columns (2 is the left edge of column 2, 2.5
its middle), Y counts rows (3 is the middle of row 3, 3.5 the line between
rows 3 and 4). A box anchor is `ID.n`, `ID.s`, `ID.e` or `ID.w` (the middle
of a side); a bare `ID` means the side that faces the other end.

    box ID X:Y LINE… [w=CHARS] [anchor=start|middle|end] [dx=PX] [style=dashed]
        [align=start|middle]   (the text: centred, or from the left)
    label X:Y LINE… [anchor=…] [dx=PX] [dy=PX] [tone=accent|warn] [weight=bold]
    line P P … [head=end|none] [style=dashed] [tone=warn] [width=PX] [label=TEXT]
    chain ID ID …          arrows down from each box to the next
    msg A B [TEXT]         an arrow from A to B, TEXT on a plate at its middle
    loop A B X [TEXT]      an arrow from box A out to column X, along, into box B
    bracket X:Y1:Y2 open=left|right LINE…
                           a bracket at column X from the top of row Y1 to the
                           bottom of row Y2; its text on the side away from `open`

The drawing fails, naming the line, when a text is wider than its box or
leaves the picture; the browser check catches what this estimate misses.
"""

import html
import json
import math
import re
import shlex
import sys
from pathlib import Path

LABS = Path(__file__).resolve().parent.parent
FIGURES = LABS / "figures"
MARKER = re.compile(r"^[ \t]*<!--[ \t]*figure:[ \t]*([a-z0-9-]+)[ \t]*-->[ \t]*$")

PAD = 8  # around the picture
CHAR = 0.6  # a monospace character's width, in ems (Source Code Pro: 600/1000)
LINE = 1.25  # line height, in ems
BOX_PAD = 5  # above and below a box's text
HEAD = 8  # arrowhead length
HEAD_HALF = 3.5  # arrowhead half-width
# On a narrow screen a figure shrinks with the column, but not below the
# width at which its text is MIN_TEXT px: there its <figure> scrolls sideways.
MIN_TEXT = 10

# Shared by every figure (a <style> inside inline SVG applies to the whole
# page, so each rule is scoped to svg.elfig, and every figure's copy is the
# same text). No `<` or `&` here: it is inside an HTML page.
STYLE = (
    "svg.elfig text{font-family:var(--mono-font,monospace);fill:var(--fg,#000);white-space:pre}"
    "svg.elfig .bold{font-weight:bold}"
    "svg.elfig .accent{fill:var(--blockquote-note-color,#0969da)}"
    "svg.elfig text.warn{fill:var(--blockquote-warning-color,#9a6700)}"
    "svg.elfig .box{fill:var(--quote-bg,#f1f6f9);stroke:var(--fg,#000);stroke-width:1.2}"
    "svg.elfig .dashed{stroke-dasharray:5 3}"
    "svg.elfig .line{fill:none;stroke:var(--fg,#000);stroke-width:1.3}"
    "svg.elfig .line.warn{stroke:var(--blockquote-warning-color,#9a6700)}"
    "svg.elfig .head{fill:var(--fg,#000)}"
    "svg.elfig .plate{fill:var(--bg,#fff)}"
)


class FigureError(Exception):
    pass


def num(v):
    """A coordinate as short, stable text."""
    v = round(v, 1)
    return str(int(v)) if v == int(v) else f"{v:.1f}"


def esc(text):
    """Text for SVG: `&`, `<` and `>` escaped (and `"`, for attributes)."""
    return html.escape(text, quote=False).replace('"', "&quot;")


class Figure:
    def __init__(self, path):
        self.path = path
        self.name = None
        self.title = None
        self.desc = []
        self.font = 13.0
        self.cols = []
        self.nrows = 0
        self.pitch = 0
        self.boxes = {}  # id -> (x, y, w, h)
        self.items = []  # SVG elements, in drawing order
        self.lineno = 0

    # geometry -----------------------------------------------------------

    @property
    def cw(self):
        return self.font * CHAR

    @property
    def lh(self):
        return self.font * LINE

    @property
    def width(self):
        return 2 * PAD + sum(self.cols) * self.cw

    @property
    def height(self):
        return 2 * PAD + self.nrows * self.pitch

    def fail(self, message):
        raise FigureError(f"{self.path.name}:{self.lineno}: {message}")

    def x(self, c):
        """Column coordinate -> pixels: 2 is column 2's left edge, 2.5 its middle."""
        if not self.cols:
            self.fail("`cols` must come before anything placed")
        i = math.floor(c)
        if c < 0 or i > len(self.cols) or (i == len(self.cols) and c != i):
            self.fail(f"column {c} is outside the {len(self.cols)} columns")
        left = sum(self.cols[:i])
        frac = (c - i) * (self.cols[i] if i < len(self.cols) else 0)
        return PAD + (left + frac) * self.cw

    def y(self, r):
        """Row coordinate -> pixels: 3 is the middle of row 3."""
        if not self.pitch:
            self.fail("`rows` must come before anything placed")
        if r < -0.5 or r > self.nrows - 0.5:
            self.fail(f"row {r} is outside the {self.nrows} rows")
        return PAD + (r + 0.5) * self.pitch

    def point(self, text, toward=None):
        """`X:Y`, or a box anchor (`ID.side`, or `ID`: the side toward `toward`)."""
        m = re.fullmatch(r"(-?[\d.]+):(-?[\d.]+)", text)
        if m:
            return self.x(float(m[1])), self.y(float(m[2]))
        box_id, _, side = text.partition(".")
        if box_id not in self.boxes:
            self.fail(f"no box {box_id!r} (yet): {text}")
        bx, by, bw, bh = self.boxes[box_id]
        if not side:
            if toward is None:
                self.fail(f"say which side of {box_id}: {box_id}.n/s/e/w")
            tx = toward[0]
            side = "e" if tx > bx + bw else "w" if tx < bx else ("s" if toward[1] > by + bh else "n")
        anchors = {
            "n": (bx + bw / 2, by),
            "s": (bx + bw / 2, by + bh),
            "e": (bx + bw, by + bh / 2),
            "w": (bx, by + bh / 2),
        }
        if side not in anchors:
            self.fail(f"a box side is n, s, e or w: {text}")
        return anchors[side]

    def center(self, text):
        box_id = text.partition(".")[0]
        if ":" in text or box_id not in self.boxes:
            return self.point(text)
        bx, by, bw, bh = self.boxes[box_id]
        return bx + bw / 2, by + bh / 2

    def check_inside(self, x0, y0, x1, y1, what):
        if x0 < PAD - 0.5 or y0 < 0 or x1 > self.width - PAD + 0.5 or y1 > self.height:
            self.fail(
                f"{what} leaves the picture ({num(x0)},{num(y0)})-({num(x1)},{num(y1)}) "
                f"in {num(self.width)}x{num(self.height)}: widen `cols` or add `rows`"
            )

    # elements -----------------------------------------------------------

    def text_lines(self, lines, x, cy, anchor, classes="", attrs="", rotate=None):
        """One <text> per line, centred as a block on cy."""
        out = []
        top = cy - (len(lines) - 1) * self.lh / 2
        cls = f' class="{classes.strip()}"' if classes.strip() else ""
        for i, line in enumerate(lines):
            ly = top + i * self.lh
            rot = f' transform="rotate({rotate} {num(x)} {num(cy)})"' if rotate is not None else ""
            out.append(
                f'<text x="{num(x)}" y="{num(ly)}" dy="0.35em" text-anchor="{anchor}"{cls}{attrs}{rot}>'
                f"{esc(line)}</text>"
            )
        return out

    def span(self, lines, x, anchor):
        """The left and right pixel edges of text lines anchored at x."""
        w = max(len(line) for line in lines) * self.cw
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        return left, left + w

    def box(self, args, opts):
        if len(args) < 3:
            self.fail("box ID X:Y LINE…")
        box_id, at, lines = args[0], args[1], args[2:]
        if box_id in self.boxes:
            self.fail(f"box {box_id!r} twice")
        px, py = self.point(at)
        chars = float(opts.get("w", max(len(line) for line in lines) + 2))
        w = chars * self.cw
        h = len(lines) * self.lh + 2 * BOX_PAD
        anchor = opts.get("anchor", "middle")
        px += float(opts.get("dx", 0))
        bx = {"start": px, "middle": px - w / 2, "end": px - w}.get(anchor)
        if bx is None:
            self.fail(f"anchor is start, middle or end: {anchor}")
        by = py - h / 2
        text_w = max(len(line) for line in lines) * self.cw
        if text_w > w - self.cw:
            self.fail(f"box {box_id}: text {max(lines, key=len)!r} is wider than the box (w={chars})")
        self.check_inside(bx, by, bx + w, by + h, f"box {box_id}")
        self.boxes[box_id] = (bx, by, w, h)
        cls = "box dashed" if opts.get("style") == "dashed" else "box"
        self.items.append(
            f'<rect class="{cls}" data-box="{esc(box_id)}" x="{num(bx)}" y="{num(by)}" '
            f'width="{num(w)}" height="{num(h)}" rx="4"/>'
        )
        align = opts.get("align", "middle")
        tx = {"start": bx + self.cw / 2, "middle": bx + w / 2}.get(align)
        if tx is None:
            self.fail(f"a box's text is aligned start or middle: {align}")
        self.items += self.text_lines(lines, tx, by + h / 2, align, attrs=f' data-in="{esc(box_id)}"')

    def label(self, args, opts):
        if len(args) < 2:
            self.fail("label X:Y LINE…")
        px, py = self.point(args[0])
        lines = args[1:]
        px += float(opts.get("dx", 0))
        py += float(opts.get("dy", 0))
        anchor = opts.get("anchor", "middle")
        if anchor not in ("start", "middle", "end"):
            self.fail(f"anchor is start, middle or end: {anchor}")
        left, right = self.span(lines, px, anchor)
        half = len(lines) * self.lh / 2
        self.check_inside(left, py - half, right, py + half, f"label {lines[0]!r}")
        classes = " ".join(c for c in (opts.get("tone", ""), "bold" if opts.get("weight") == "bold" else "") if c)
        if opts.get("tone") not in (None, "accent", "warn"):
            self.fail(f"tone is accent or warn: {opts['tone']}")
        self.items += self.text_lines(lines, px, py, anchor, classes)

    def polyline(self, points, opts, label=None, label_segment=None):
        """A line through `points` (pixels), an arrowhead at the end unless
        head=none, and `label` on a plate at the middle of a segment."""
        head = opts.get("head", "end")
        pts = list(points)
        if head == "end":
            (x0, y0), (x1, y1) = pts[-2], pts[-1]
            d = math.hypot(x1 - x0, y1 - y0)
            if d < HEAD + 2:
                self.fail("an arrow too short for its head")
            ux, uy = (x1 - x0) / d, (y1 - y0) / d
            pts[-1] = (x1 - ux * HEAD * 0.8, y1 - uy * HEAD * 0.8)
        elif head != "none":
            self.fail(f"head is end or none: {head}")
        classes = ["line"]
        if opts.get("style") == "dashed":
            classes.append("dashed")
        if opts.get("tone") == "warn":
            classes.append("warn")
        width = f' style="stroke-width:{opts["width"]}"' if "width" in opts else ""
        d = " ".join(f"{'M' if i == 0 else 'L'}{num(x)} {num(y)}" for i, (x, y) in enumerate(pts))
        self.items.append(f'<path class="{" ".join(classes)}" d="{d}"{width}/>')
        if head == "end":
            (x0, y0), (x1, y1) = points[-2], points[-1]
            d = math.hypot(x1 - x0, y1 - y0)
            ux, uy = (x1 - x0) / d, (y1 - y0) / d
            bx, by = x1 - ux * HEAD, y1 - uy * HEAD
            tri = [(x1, y1), (bx - uy * HEAD_HALF, by + ux * HEAD_HALF), (bx + uy * HEAD_HALF, by - ux * HEAD_HALF)]
            self.items.append(
                f'<path class="head" d="M{num(tri[0][0])} {num(tri[0][1])} L{num(tri[1][0])} {num(tri[1][1])} '
                f'L{num(tri[2][0])} {num(tri[2][1])} Z"/>'
            )
        if label:
            seg = label_segment if label_segment is not None else (len(points) - 1) // 2
            (x0, y0), (x1, y1) = points[seg], points[seg + 1]
            self.plate(label, (x0 + x1) / 2, (y0 + y1) / 2, vertical=abs(x1 - x0) < 0.5)

    def plate(self, text, cx, cy, vertical=False):
        """`text` centred on (cx, cy), on a patch of page background that
        hides the line under it."""
        w = len(text) * self.cw + 8
        h = self.font + 4
        rot = f' transform="rotate(-90 {num(cx)} {num(cy)})"' if vertical else ""
        if vertical:
            self.check_inside(cx - h / 2, cy - w / 2, cx + h / 2, cy + w / 2, f"label {text!r}")
        else:
            self.check_inside(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, f"label {text!r}")
        self.items.append(
            f'<rect class="plate" x="{num(cx - w / 2)}" y="{num(cy - h / 2)}" '
            f'width="{num(w)}" height="{num(h)}"{rot}/>'
        )
        self.items += self.text_lines([text], cx, cy, "middle", rotate=-90 if vertical else None)

    def line(self, args, opts):
        if len(args) < 2:
            self.fail("line P P …")
        points = [self.point(a) for a in args]
        self.polyline(points, opts, opts.get("label"))

    def chain(self, args, opts):
        if len(args) < 2:
            self.fail("chain ID ID …")
        for a, b in zip(args, args[1:]):
            self.polyline([self.point(f"{a}.s"), self.point(f"{b}.n")], opts)

    def msg(self, args, opts):
        if len(args) not in (2, 3):
            self.fail("msg A B [TEXT]")
        a, b = args[0], args[1]
        pa = self.point(a, toward=self.center(b))
        pb = self.point(b, toward=self.center(a))
        self.polyline([pa, pb], opts, args[2] if len(args) == 3 else None)

    def loop(self, args, opts):
        if len(args) not in (3, 4):
            self.fail("loop A B X [TEXT]")
        x = self.x(float(args[2]))
        pa = self.point(args[0], toward=(x, 0))
        pb = self.point(args[1], toward=(x, 0))
        points = [pa, (x, pa[1]), (x, pb[1]), pb]
        self.polyline(points, opts, args[3] if len(args) == 4 else None, label_segment=1)

    def bracket(self, args, opts):
        if len(args) < 2:
            self.fail("bracket X:Y1:Y2 open=left|right LINE…")
        m = re.fullmatch(r"([\d.]+):([\d.]+):([\d.]+)", args[0])
        if not m:
            self.fail(f"bracket X:Y1:Y2, not {args[0]}")
        x = self.x(float(m[1]))
        top = self.y(float(m[2]) - 0.5) + 4
        bottom = self.y(float(m[3]) + 0.5) - 4
        opening = opts.get("open")
        if opening not in ("left", "right"):
            self.fail("bracket needs open=left or open=right")
        tick = 5 if opening == "right" else -5
        self.items.append(
            f'<path class="line" d="M{num(x + tick)} {num(top)} L{num(x)} {num(top)} '
            f'L{num(x)} {num(bottom)} L{num(x + tick)} {num(bottom)}"/>'
        )
        lines = args[1:]
        if len(lines) * self.lh > bottom - top + 6:
            self.fail(f"bracket text {lines!r} is taller than its rows")
        tx = x - 6 if opening == "right" else x + 6
        anchor = "end" if opening == "right" else "start"
        left, right = self.span(lines, tx, anchor)
        self.check_inside(left, top, right, bottom, f"bracket text {lines[0]!r}")
        self.items += self.text_lines(lines, tx, (top + bottom) / 2, anchor, "accent")

    # source and output ---------------------------------------------------

    def parse(self, text):
        for self.lineno, raw in enumerate(text.split("\n"), 1):
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            try:
                words = shlex.split(raw)
            except ValueError as e:
                self.fail(str(e))
            cmd, rest = words[0], words[1:]
            args = [w for w in rest if not re.fullmatch(r"[a-z-]+=.*", w)]
            opts = dict(w.split("=", 1) for w in rest if re.fullmatch(r"[a-z-]+=.*", w))
            if cmd == "figure":
                self.name = rest[0]
            elif cmd == "title":
                self.title = " ".join(rest)
            elif cmd == "desc":
                self.desc.append(" ".join(rest))
            elif cmd == "font":
                self.font = float(rest[0])
            elif cmd == "cols":
                self.cols = [float(w) for w in rest]
            elif cmd == "rows":
                self.nrows, self.pitch = int(rest[0]), float(rest[1])
            elif cmd in ("box", "label", "line", "chain", "msg", "loop", "bracket"):
                getattr(self, cmd)(args, opts)
            else:
                self.fail(f"unknown statement {cmd!r}")
        self.lineno = 0
        if self.name != self.path.stem:
            self.fail(f"`figure {self.path.stem}` must come first (the file's name)")
        if not self.title or not self.desc:
            self.fail("a figure needs a `title` and a `desc`: they are its alt text")

    def svg(self):
        """The SVG, as text: no blank line in it (in Markdown, a blank line
        would end the HTML block), one element a line."""
        n = self.name
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="elfig" data-figure="{n}" '
            f'viewBox="0 0 {num(self.width)} {num(self.height)}" width="{num(self.width)}" '
            f'height="{num(self.height)}" style="max-width:100%;min-width:{num(self.width * MIN_TEXT / self.font)}px;height:auto" role="img" '
            f'aria-labelledby="elfig-{n}-title elfig-{n}-desc">'
        )
        lines = [
            f"<!-- Drawn by labs/tools/figures.py from labs/figures/{n}.fig: edit that, then run `python3 labs/tools/figures.py build`. -->",
            head,
            f'<title id="elfig-{n}-title">{esc(self.title)}</title>',
            f'<desc id="elfig-{n}-desc">{esc(" ".join(self.desc))}</desc>',
            f"<style>{STYLE}</style>",
            f'<g font-size="{num(self.font)}">',
            *self.items,
            "</g>",
            "</svg>",
        ]
        return "\n".join(lines) + "\n"


def draw(path):
    fig = Figure(path)
    fig.parse(path.read_text(encoding="utf-8"))
    return fig.svg()


def sources():
    return sorted(FIGURES.glob("*.fig"))


def build(check_only):
    stale, problems = [], []
    for src in sources():
        try:
            svg = draw(src)
        except FigureError as e:
            problems.append(str(e))
            continue
        out = src.with_suffix(".svg")
        current = out.read_text(encoding="utf-8") if out.exists() else None
        if current != svg:
            if check_only:
                stale.append(out.name)
            else:
                out.write_text(svg, encoding="utf-8")
                print(f"figures: wrote labs/figures/{out.name}")
    orphans = [p.name for p in FIGURES.glob("*.svg") if not p.with_suffix(".fig").exists()]
    for p in problems:
        print(f"figures: {p}", file=sys.stderr)
    for name in stale:
        print(f"figures: labs/figures/{name} is not what its source draws: run `python3 labs/tools/figures.py build` and commit it", file=sys.stderr)
    for name in orphans:
        print(f"figures: labs/figures/{name} has no source (.fig)", file=sys.stderr)
    if problems or stale or orphans:
        return 1
    if check_only:
        print(f"figures: {len(sources())} SVGs match their sources")
    return 0


# mdBook preprocessor ---------------------------------------------------


def figure_html(name):
    path = FIGURES / f"{name}.svg"
    if not path.is_file():
        raise FigureError(f"no figure {name!r}: labs/figures/{name}.svg does not exist")
    svg = path.read_text(encoding="utf-8")
    svg = "\n".join(line for line in svg.split("\n") if line.strip() and not line.startswith("<!--"))
    return f'<figure class="elfig-figure" id="figure-{name}" style="margin:1.5em 0;overflow-x:auto">\n{svg}\n</figure>'


def lines_and_markers(content):
    """Each line of a page with the figure it asks for, or None; a marker
    inside a code block is only an example."""
    in_fence = None
    for line in content.split("\n"):
        fence = re.match(r"^[ \t]*(```+|~~~+)", line)
        if fence:
            if in_fence is None:
                in_fence = fence[1][0] * 3
            elif fence[1].startswith(in_fence):
                in_fence = None
        m = MARKER.match(line) if in_fence is None and not fence else None
        yield line, (m[1] if m else None)


def expand(content, where):
    out = []
    for line, name in lines_and_markers(content):
        if name:
            try:
                out += ["", figure_html(name), ""]
            except FigureError as e:
                raise FigureError(f"{where}: {e}") from None
        else:
            out.append(line)
    return "\n".join(out)


def walk(items, where_of):
    for item in items:
        chapter = item.get("Chapter") if isinstance(item, dict) else None
        if chapter:
            chapter["content"] = expand(chapter["content"], where_of(chapter))
            walk(chapter.get("sub_items", []), where_of)


def preprocess():
    context, book = json.load(sys.stdin)
    where = lambda ch: ch.get("source_path") or ch.get("name", "?")  # noqa: E731
    walk(book.get("items", book.get("sections", [])), where)
    json.dump(book, sys.stdout)


def main(argv):
    if argv[:1] == ["preprocess"]:
        if argv[1:2] == ["supports"]:
            return 0  # the figures are HTML: any renderer that keeps HTML
        try:
            preprocess()
        except FigureError as e:
            print(f"figures: ERROR {e}", file=sys.stderr)
            return 1
        return 0
    if argv == ["build"]:
        return build(check_only=False)
    if argv == ["check"]:
        return build(check_only=True)
    print(__doc__.split("\n\n")[3], file=sys.stderr)
    print("usage: python3 labs/tools/figures.py build|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
