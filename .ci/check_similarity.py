#!/usr/bin/env python3
"""Opens the similarity report of the fixture course (`cargo xtask
similarity`, written by xtask/tests/similarity.rs) in headless Chromium,
as an instructor would, offline, and checks that

- the page loads from its one file: nothing else is fetched (no script,
  font, style sheet or image from anywhere);
- the top pair is open, and its matched regions are shown side by side:
  two columns, each with marked lines, the same colour on both sides,
  the colour really painted (not transparent) and the marks visible;
- the histogram has its bars;
- the page does not scroll sideways at a desktop width (long code lines
  scroll inside their box).

Then it breaks the page on purpose (marks turned into plain spans) and
fails unless that is caught. Screenshots of the top of the page and of
the first two pairs go to the output directory, for a person to look at.

Usage: python3 .ci/check_similarity.py --chromium PATH REPORT.html [--out DIR]
Exit 0 when every check passes; 1 with one line per problem.
"""

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_figures import Chromium, Tab  # noqa: E402  (the DevTools-over-a-pipe driver)

SIZE = (1280, 1000)
DEADLINE = 120  # seconds for the whole check: only a hang reaches it

# Runs in the page: returns the problems found, and the boxes to shoot.
MEASURE = r"""
(() => {
  const problems = [];
  const resources = performance.getEntriesByType('resource').map(r => r.name);
  if (resources.length) problems.push('the page fetched ' + resources.join(', '));
  const pair = document.querySelector('details.pair[open]');
  if (!pair) return {problems: problems.concat(['no open pair']), shots: {}};
  const regions = [...pair.querySelectorAll('.region')];
  if (!regions.length) problems.push('the top pair shows no region');
  const painted = el => {
    const c = getComputedStyle(el).backgroundColor;
    return c && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c) ? c : null;
  };
  regions.slice(0, 5).forEach((region, i) => {
    const sides = [...region.querySelectorAll(':scope > .side')];
    if (sides.length !== 2) { problems.push(`region ${i + 1}: ${sides.length} sides, not 2`); return; }
    const [l, r] = sides.map(s => s.getBoundingClientRect());
    if (!(l.right <= r.left + 1 && Math.abs(l.top - r.top) < 2))
      problems.push(`region ${i + 1}: the two sides are not next to each other`);
    const colours = sides.map(s => {
      const marks = [...s.querySelectorAll('mark')];
      if (!marks.length) { problems.push(`region ${i + 1}: a side without a marked line`); return null; }
      for (const m of marks) {
        const b = m.getBoundingClientRect();
        if (b.width < 50 || b.height < 8) problems.push(`region ${i + 1}: a mark of ${b.width}x${b.height} px`);
        if (!painted(m)) problems.push(`region ${i + 1}: a mark without a background colour`);
      }
      return painted(marks[0]);
    });
    if (colours[0] && colours[0] !== colours[1])
      problems.push(`region ${i + 1}: the sides are marked ${colours[0]} and ${colours[1]}`);
  });
  const bars = [...document.querySelectorAll('#histogram rect')].filter(r => r.getBBox().height > 0);
  if (!bars.length) problems.push('the histogram has no bar');
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    problems.push(`the page scrolls sideways: ${doc.scrollWidth} px wide in ${window.innerWidth}`);
  const box = el => { const b = el.getBoundingClientRect();
    return {x: b.left + scrollX, y: b.top + scrollY, w: b.width, h: Math.min(b.height, 900)}; };
  const open = [...document.querySelectorAll('details.pair[open]')];
  const shots = {top: {x: 0, y: 0, w: window.innerWidth, h: 900}};
  open.slice(0, 2).forEach((p, i) => { shots[`pair-${i + 1}`] = box(p); });
  return {problems, marks: open.reduce((n, p) => n + p.querySelectorAll('mark').length, 0), shots};
})()
"""


def check(tab, path):
    tab.open(path.resolve().as_uri(), SIZE)
    return tab.evaluate(MEASURE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", required=True)
    ap.add_argument("--out", default="target/similarity-check")
    ap.add_argument("report")
    args = ap.parse_args()
    report, out = Path(args.report), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    problems = []
    browser = Chromium(args.chromium, out / "chromium.log")
    timer = threading.Timer(DEADLINE, lambda: (print(f"check-similarity: FAILED: not done after {DEADLINE} s", file=sys.stderr), browser.close(), os._exit(1)))
    timer.start()
    try:
        tab = Tab(browser)
        found = check(tab, report)
        problems += found["problems"]
        for name, rect in found.get("shots", {}).items():
            tab.shot(rect, out / f"similarity-{name}.png", margin=0)
        print(f"check-similarity: {found.get('marks', 0)} marked regions in the open pairs; "
              f"screenshots in {out}/similarity-{{top,pair-1,pair-2}}.png")
        # The check must be able to fail: the same page with its marks gone.
        with tempfile.TemporaryDirectory() as tmp:
            broken = Path(tmp) / "broken.html"
            text = report.read_text(encoding="utf-8")
            broken.write_text(text.replace("<mark ", "<span ").replace("</mark>", "</span>"), encoding="utf-8")
            if not check(tab, broken)["problems"]:
                problems.append("a page without marks passed the check: the check cannot fail")
    except RuntimeError as e:
        problems.append(f"Chromium: {e}")
    finally:
        timer.cancel()
        browser.close()
    for p in problems:
        print(f"check-similarity: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
