#!/usr/bin/env python3
"""Lab 5's opening demo: what `nc` gets from a terminal, and when.

Claims (labs/src/lab5-concurrency.md, "What you will build and why"):

1. A terminal in canonical mode (a shell's default) hands a program nothing
   while a line is being typed: half a line without Enter, and a `read` of
   the terminal still waits.
2. Ctrl-D on a non-empty line hands over the line so far, without a
   newline: the `read` returns exactly `half a li`.
3. Enter hands over the line with its newline.

A pseudo-terminal stands in for your terminal: this script types into its
master side, and a child process reads the slave side as `nc` would read
its stdin. Linux here; any user.
"""

import os
import pty
import select
import time

from common import Report


def child_reads(pid_pipe_r):
    """The child's next `read`, as it reported it through the pipe: bytes, or None if none came within 300 ms."""
    ready, _, _ = select.select([pid_pipe_r], [], [], 0.3)
    if not ready:
        return None
    return os.read(pid_pipe_r, 4096)


def main():
    r = Report("lab 5: a terminal in canonical mode hands over a line at Enter or Ctrl-D (Linux)")
    results_r, results_w = os.pipe()
    pid, master = pty.fork()
    if pid == 0:
        # the child: stdin is the terminal; report each read, as nc would send it
        os.close(results_r)
        for _ in range(2):
            data = os.read(0, 4096)
            os.write(results_w, data)
        os._exit(0)
    os.close(results_w)
    try:
        os.write(master, b"half a li")
        got = child_reads(results_r)
        r.check("typed `half a li`, no Enter: the program's read returned", got, None)
        os.write(master, b"\x04")  # Ctrl-D (VEOF)
        got = child_reads(results_r)
        r.check("then Ctrl-D: the read returned", got, b"half a li")
        os.write(master, b"ne\n")
        got = child_reads(results_r)
        r.check("then `ne` and Enter: the read returned", got, b"ne\n")
    finally:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.01)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(master)
    r.finish()


if __name__ == "__main__":
    main()
