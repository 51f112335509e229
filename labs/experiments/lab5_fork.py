#!/usr/bin/env python3
"""Lab 5's fork aside: which locks a forked child of a threaded program finds held.

Claims (labs/src/lab5/fork.md, "Why not in Rust"):

1. glibc's `fork` takes `malloc`'s locks before forking and resets them in
   the child: of 100 children forked while two threads malloc and free
   without pause, none is stuck in `malloc`.
2. Any other lock that another thread held at the fork stays locked for
   ever in the child: with a third thread holding a mutex about two thirds
   of the time, some children find it locked, and it stays locked (50 ms,
   no thread left to release it).

The C program is c/lab5_fork_locks.c, compiled here with `cc` (skipped,
with a line, where there is no C compiler). Linux with glibc; any user.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from common import Report

CHILDREN = 100


def main():
    r = Report("lab 5: fork in a threaded process: malloc's locks reset, other locks held for ever (Linux, glibc)")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        r.skip("fork and locks", "no C compiler (cc)")
        r.finish()
    source = Path(__file__).resolve().parent / "c" / "lab5_fork_locks.c"
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "fork_locks"
        subprocess.run([cc, "-O2", "-pthread", str(source), "-o", str(exe)], check=True, timeout=60)
        out = subprocess.run([str(exe), str(CHILDREN)], capture_output=True, text=True, timeout=60, check=True)
    n, stuck_in_malloc, locked_for_good = map(int, out.stdout.split())
    r.note(f"{n} children forked while two threads malloc and a third holds our mutex")
    r.check("children stuck in malloc", stuck_in_malloc, 0)
    r.note(f"children that found our mutex locked for good: {locked_for_good} of {n}")
    r.check("some child finds another thread's mutex locked for ever", locked_for_good > 0, True)
    r.finish()


if __name__ == "__main__":
    main()
