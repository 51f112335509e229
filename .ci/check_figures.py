#!/usr/bin/env python3
"""Looks at the handouts' figures as a reader would: the built book
(labs/book) in headless Chromium, every page that asks for a figure, in
each of mdBook's themes, at a desktop and a phone width.

For each figure it checks that
- the page has it, as inline SVG with its alt text (role="img", a
  `<title>` and a `<desc>` that aria-labelledby names, not empty);
- it is visible (a box of some size, inside the content column) and
  nothing overflows: no horizontal scroll on the page, every text inside
  the picture, a box's text inside its box, no text over another text or
  over a box it does not belong to;
- its text renders in the book's monospace font at the width
  labs/tools/figures.py planned for (a fallback font would break the
  layout);
- its text has a contrast of at least 4.5:1 with what is under it
  (WCAG AA), and its lines and box edges at least 3:1 with the page.

A figure that no page asks for yet (lab 5's event loop, before lab 5
lands) is checked on a page made for it from the book's own template.
Then the check tests itself: a figure broken on purpose (black text, a
box's text too long) must be reported, and the themes must really differ;
otherwise the check could not fail, and says so.

Screenshots of each figure in the light and navy themes (the book's
defaults) go to the output directory, for a person to look at.

Usage: python3 .ci/check_figures.py [--chromium PATH] [--out DIR] [BOOK_DIR]
Exit 0 when every check passes; 1 with one line per problem.
"""

import argparse
import base64
import fcntl
import http.server
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# no __pycache__ in labs/tools: the starter copies labs/ whole
sys.dont_write_bytecode = True
sys.path.insert(0, str(ROOT / "labs" / "tools"))
import figures  # noqa: E402  (labs/tools/figures.py: the markers and the figure HTML)

THEMES = ["light", "navy", "coal", "ayu", "rust"]
SHOT_THEMES = ["light", "navy"]
WIDTHS = {"desktop": (1280, 1000), "phone": (420, 900)}
DEADLINE = 180  # seconds for the whole check: only a hang reaches it
STEP = 30  # seconds for one browser command

# Runs in the page: measures every figure and returns the problems found.
MEASURE = r"""
async (theme, want) => {
  const html = document.documentElement;
  for (const t of %THEMES%) html.classList.remove(t);
  html.classList.add(theme);
  await document.fonts.ready;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));

  const parse = c => {
    const m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/);
    return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null;
  };
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const contrast = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const pageBg = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) return c;
    }
    return [255, 255, 255, 1];
  };
  // What is painted under a point: the first filled SVG shape below `self`
  // in the stack, or else the page's background there.
  const under = (x, y, self, svg) => {
    const stack = document.elementsFromPoint(x, y);
    for (const e of stack.slice(stack.indexOf(self) + 1)) {
      if (e === svg) break;
      if (e instanceof SVGGeometryElement) {
        const s = getComputedStyle(e);
        const c = parse(s.fill);
        if (s.fill !== 'none' && c && c[3] > 0 && +s.fillOpacity > 0) return [c, e];
      }
    }
    return [pageBg(svg), null];
  };
  const name = e => e.textContent.trim().slice(0, 40);
  const inside = (a, b, tol = 0.75) =>
    a.left >= b.left - tol && a.right <= b.right + tol && a.top >= b.top - tol && a.bottom <= b.bottom + tol;
  const overlap = (a, b) => {
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return w > 1 && h > 1;
  };

  const out = { theme, bg: pageBg(document.body), scrollWidth: html.scrollWidth,
                clientWidth: html.clientWidth, figures: [] };
  for (const svg of document.querySelectorAll('svg.elfig')) {
    const fig = svg.dataset.figure;
    if (want.length && !want.includes(fig)) continue;
    svg.scrollIntoView({ block: 'center' });
    await new Promise(r => requestAnimationFrame(r));
    const p = [];
    const r = svg.getBoundingClientRect();
    const s = getComputedStyle(svg);
    const main = svg.closest('main') || document.body;
    const m = main.getBoundingClientRect();
    // the svg may be wider than the column only inside a <figure> that scrolls
    const holder = svg.closest('figure') || svg;
    const hr = holder.getBoundingClientRect();
    const scrolls = holder !== svg && ['auto', 'scroll'].includes(getComputedStyle(holder).overflowX);
    if (r.width < 200 || r.height < 80) p.push(`is ${r.width.toFixed(0)}x${r.height.toFixed(0)} px: too small to read`);
    if (s.display === 'none' || s.visibility !== 'visible' || +s.opacity < 1) p.push('is hidden');
    if (hr.left < m.left - 1 || hr.right > m.right + 1) p.push(`sticks out of the content column (${hr.left.toFixed(0)}..${hr.right.toFixed(0)} in ${m.left.toFixed(0)}..${m.right.toFixed(0)})`);
    if (!scrolls && (r.left < hr.left - 1 || r.right > hr.right + 1)) p.push('is wider than its figure, which does not scroll');
    const strict = r.right <= hr.right + 1;  // all of it in view: every text can be hit-tested
    // alt text
    if (svg.getAttribute('role') !== 'img') p.push('has no role="img"');
    const ids = (svg.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
    const named = ids.map(id => document.getElementById(id));
    if (ids.length < 2 || named.some(e => !e || !svg.contains(e) || e.textContent.trim().length < 20))
      p.push('lacks alt text: aria-labelledby must name its <title> and <desc>, each a sentence');
    // text: inside, not on another, readable, in the planned font
    const scale = r.width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll('text')];
    const boxes = [...svg.querySelectorAll('rect.box')];
    const tb = texts.map(t => t.getBoundingClientRect());
    let minContrast = 99, minLine = 99;
    texts.forEach((t, i) => {
      const b = tb[i];
      if (!inside(b, r)) p.push(`text "${name(t)}" leaves the picture`);
      if (t.dataset.in) {
        const box = svg.querySelector(`rect[data-box="${t.dataset.in}"]`);
        if (box && !inside(b, box.getBoundingClientRect(), -1)) p.push(`text "${name(t)}" overflows its box`);
      }
      for (const box of boxes)
        if (box.dataset.box !== t.dataset.in && overlap(b, box.getBoundingClientRect()))
          p.push(`text "${name(t)}" lies over box ${box.dataset.box}`);
      for (let j = i + 1; j < texts.length; j++)
        if (overlap(b, tb[j])) p.push(`text "${name(t)}" overlaps text "${name(texts[j])}"`);
      const planned = t.textContent.length * 0.6 * parseFloat(getComputedStyle(t).fontSize);
      const got = t.getComputedTextLength();
      if (Math.abs(got - planned) > 0.06 * planned + 1)
        p.push(`text "${name(t)}" is ${got.toFixed(1)} units wide, planned ${planned.toFixed(1)}: not in the book's monospace font?`);
      const fg = parse(getComputedStyle(t).fill);
      if (!fg) { p.push(`text "${name(t)}" has no colour`); return; }
      const cx = (b.left + b.right) / 2, cy = (b.top + b.bottom) / 2;
      if (!document.elementsFromPoint(cx, cy).includes(t)) {
        // scrolled out of its figure on a narrow screen, or covered
        if (strict) p.push(`text "${name(t)}" is covered by something drawn over it`);
        return;
      }
      const [bg, on] = under(cx, cy, t, svg);
      const c = contrast(fg, bg);
      minContrast = Math.min(minContrast, c);
      if (c < 4.5) p.push(`text "${name(t)}" has contrast ${c.toFixed(2)} on ${on ? on.getAttribute('class') : 'the page'} (want 4.5)`);
    });
    const bg = pageBg(svg);
    for (const e of svg.querySelectorAll('.line, .box, .head')) {
      const st = getComputedStyle(e);
      const c = parse(e.classList.contains('head') ? st.fill : st.stroke);
      if (!c) { p.push(`a ${e.getAttribute('class')} has no colour`); continue; }
      const k = contrast(c, bg);
      minLine = Math.min(minLine, k);
      if (k < 3) { p.push(`a ${e.getAttribute('class')} has contrast ${k.toFixed(2)} with the page (want 3)`); break; }
    }
    const fontPx = texts.length ? parseFloat(getComputedStyle(texts[0]).fontSize) * scale : 0;
    if (fontPx < 9.5) p.push(`text is ${fontPx.toFixed(1)} px: too small to read (want 10)`);
    out.figures.push({ figure: fig, problems: p, texts: texts.length, minContrast, minLine, fontPx,
                       rect: { x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height },
                       holder: { x: hr.left + scrollX, y: hr.top + scrollY, w: hr.width, h: hr.height } });
  }
  return out;
}
"""


class Chromium:
    """One headless Chromium, driven over --remote-debugging-pipe (the
    DevTools protocol as NUL-terminated JSON on fds 3 and 4): no
    WebSocket library, no driver."""

    def __init__(self, exe, log_path):
        self.profile = tempfile.mkdtemp(prefix="check-figures-profile-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # The child's ends must not be 3 or 4 themselves, or the moves below
        # would close them: copy them above 9 first.
        to_chrome_r, from_chrome_w = (self._high(fd) for fd in (to_chrome_r, from_chrome_w))
        flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "--hide-scrollbars",
            "--force-device-scale-factor=1", "--force-color-profile=srgb", "about:blank",
        ]
        self.log = open(log_path, "wb")
        # bash puts our pipe ends on fds 3 and 4, then becomes Chromium
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-',
             "bash", exe, *flags],
            pass_fds=(to_chrome_r, from_chrome_w), stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=self.log, start_new_session=True,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.next_id = 0
        self.inbox = queue.Queue()
        self.events = []
        threading.Thread(target=self._read, daemon=True).start()

    @staticmethod
    def _high(fd):
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return high

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self.from_chrome, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self.inbox.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                self.inbox.put(json.loads(msg))

    def _next(self, until):
        left = until - time.monotonic()
        if left <= 0:
            raise TimeoutError
        msg = self.inbox.get(timeout=left)
        if msg is None:
            raise RuntimeError("Chromium closed the DevTools pipe (it exited? see its log)")
        return msg

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        until = time.monotonic() + STEP
        while True:
            try:
                reply = self._next(until)
            except (TimeoutError, queue.Empty):
                raise RuntimeError(f"no answer to {method} within {STEP} s") from None
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, session):
        until = time.monotonic() + STEP
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    del self.events[: i + 1]
                    return e
            try:
                self.events.append(self._next(until))
            except (TimeoutError, queue.Empty):
                raise RuntimeError(f"no {method} within {STEP} s") from None

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    def __init__(self, browser):
        self.b = browser
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, params=None):
        return self.b.call(method, params, self.session)

    def open(self, url, size):
        w, h = size
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600})
        self.b.events.clear()
        self.call("Page.navigate", {"url": url})
        self.b.wait_event("Page.loadEventFired", self.session)

    def evaluate(self, expr):
        res = self.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in res:
            raise RuntimeError(f"in the page: {res['exceptionDetails'].get('exception', {}).get('description', res['exceptionDetails'])}")
        return res["result"].get("value")

    def measure(self, theme, want=()):
        fn = MEASURE.replace("%THEMES%", json.dumps(THEMES))
        return self.evaluate(f"({fn})({json.dumps(theme)}, {json.dumps(list(want))})")

    def shot(self, rect, path, margin=12):
        clip = {"x": max(0, rect["x"] - margin), "y": max(0, rect["y"] - margin),
                "width": rect["w"] + 2 * margin, "height": rect["h"] + 2 * margin, "scale": 1}
        data = self.call("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})["data"]
        path.write_bytes(base64.b64decode(data))


def pages_with_figures(src):
    """{page.html: [figure, …]} from the markers in the book's sources."""
    found = {}
    for md in sorted(src.rglob("*.md")):
        names = [name for _, name in figures.lines_and_markers(md.read_text(encoding="utf-8")) if name]
        if names:
            found[md.relative_to(src).with_suffix(".html").as_posix()] = names
    return found


def serve(book, virtual):
    """An HTTP server on 127.0.0.1 (a port the kernel picks) for the built
    book, plus pages made here (`virtual`: path -> HTML)."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(book), **k)

        def do_GET(self):  # noqa: N802
            body = virtual.get(self.path.split("?")[0])
            if body is None:
                return super().do_GET()
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def page_for(template, figure_html, title):
    """A page of the book (its template, theme CSS and fonts) whose content
    is only `figure_html`."""
    body = f"<h1>{title}</h1>\n<p>A figure no page shows yet, checked on a page of its own.</p>\n{figure_html}\n"
    return re.sub(r"(<main>).*?(</main>)", lambda m: m[1] + body + m[2], template, count=1, flags=re.S)


def broken(svg_html):
    """The figure, broken on purpose twice: black text (unreadable in the
    dark themes) and a box's text made too long for its box."""
    rule = "svg.elfig text{font-family:var(--mono-font,monospace);fill:var(--fg,#000)"
    if rule not in svg_html:
        raise SystemExit("check-figures: the self-test no longer knows how to break a figure: update broken()")
    svg_html = svg_html.replace(rule, rule.replace("var(--fg,#000)", "#000"), 1)
    svg_html = svg_html.replace('data-figure="api-flow"', 'data-figure="broken"')
    longer = re.sub(r'(data-in="s-socket">)socket<', r"\1socket_socket_socket_socket<", svg_html, count=1)
    if longer == svg_html:
        raise SystemExit("check-figures: the self-test no longer knows how to break a figure: update broken()")
    return longer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("book", nargs="?", default=str(ROOT / "labs" / "book"))
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--out", default=str(ROOT / "target" / "figures-check"))
    args = ap.parse_args()
    book, out = Path(args.book), Path(args.out)
    if not (book / "index.html").is_file():
        print(f"check-figures: no built book in {book}: run `bash .ci/build-book` first", file=sys.stderr)
        return 1
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    on_pages = pages_with_figures(ROOT / "labs" / "src")
    placed = {f for names in on_pages.values() for f in names}
    every = sorted(p.stem for p in figures.FIGURES.glob("*.svg"))
    template = (book / "intro.html").read_text(encoding="utf-8")
    virtual = {}
    todo = [(page, names) for page, names in on_pages.items()]
    for name in every:
        if name not in placed:
            virtual[f"/__figure-{name}.html"] = page_for(template, figures.figure_html(name), f"Figure: {name}")
            todo.append((f"__figure-{name}.html", [name]))
    virtual["/__broken.html"] = page_for(template, broken(figures.figure_html("api-flow")), "A broken figure")

    problems = []
    server = serve(book, virtual)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    browser = Chromium(args.chromium, out / "chromium.log")
    # Whatever happens, the browser goes at the deadline and the check fails.
    timer = threading.Timer(DEADLINE, lambda: (print(f"check-figures: FAILED: not done after {DEADLINE} s", file=sys.stderr), browser.close(), os._exit(1)))
    timer.daemon = True
    timer.start()
    started = time.monotonic()
    try:
        tab = Tab(browser)
        checked = 0
        for page, names in todo:
            for width_name, size in WIDTHS.items():
                tab.open(base + page, size)
                for theme in THEMES:
                    res = tab.measure(theme)
                    seen = {f["figure"] for f in res["figures"]}
                    for name in names:
                        if name not in seen:
                            problems.append(f"{page} ({theme}, {width_name}): figure {name} is not on the page")
                    if res["scrollWidth"] > res["clientWidth"] + 1:
                        problems.append(f"{page} ({theme}, {width_name}): the page scrolls sideways ({res['scrollWidth']} > {res['clientWidth']} px)")
                    for f in res["figures"]:
                        checked += 1
                        problems += [f"{page} ({theme}, {width_name}): figure {f['figure']} {p}" for p in f["problems"]]
                        if width_name == "desktop" and theme in SHOT_THEMES:
                            shot = out / f"{Path(page).stem.lstrip('_')}--{f['figure']}--{theme}.png"
                            tab.shot(f["rect"], shot)
                            print(f"check-figures: {page} {f['figure']} {theme}: {f['texts']} texts, "
                                  f"contrast >= {f['minContrast']:.1f} (text), {f['minLine']:.1f} (lines); "
                                  f"{f['rect']['w']:.0f}x{f['rect']['h']:.0f} px -> {shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot}")
                        if width_name == "phone" and theme == "light":
                            shot = out / f"{Path(page).stem.lstrip('_')}--{f['figure']}--phone.png"
                            tab.shot(f["holder"], shot)
                            print(f"check-figures: {page} {f['figure']} at {size[0]} px wide: text {f['fontPx']:.1f} px -> {shot.name}")

        # The check must be able to fail: a broken figure must be caught, and
        # the themes must change the page.
        tab.open(base + "__broken.html", WIDTHS["desktop"])
        light, navy = tab.measure("light", ["broken"]), tab.measure("navy", ["broken"])
        tab.shot(navy["figures"][0]["rect"], out / "selftest--broken--navy.png")
        found = " | ".join(navy["figures"][0]["problems"] + light["figures"][0]["problems"])
        if light["bg"] == navy["bg"]:
            problems.append("self-test: the light and navy themes have the same background: switching themes does nothing")
        if "has contrast" not in found:
            problems.append("self-test: black text in the navy theme was not reported")
        if "overflows its box" not in found:
            problems.append("self-test: a text too long for its box was not reported")
        print(f"check-figures: self-test: a figure broken on purpose is caught: {found[:160]}…")
        print(f"check-figures: {checked} figure renderings checked in {time.monotonic() - started:.1f} s")
    except RuntimeError as e:
        problems.append(f"the browser: {e}")
    finally:
        timer.cancel()
        browser.close()
        server.shutdown()

    for p in problems:
        print(f"check-figures: {p}", file=sys.stderr)
    print(f"check-figures: screenshots in {out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
