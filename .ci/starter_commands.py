#!/usr/bin/env python3
"""Runs every `cargo …` command that the starter's pages show, in the starter.

    python3 .ci/starter_commands.py list REPO            # the commands, page by page
    python3 .ci/starter_commands.py starter REPO         # run them in the starter as generated
    python3 .ci/starter_commands.py solved REPO          # the running ones again, labs solved

(.ci/starter-commands generates the starter and calls this; it sets
CARGO_TARGET_DIR.) A command is a line `$ …cargo …` of a ```console block
in REPO/labs/src/**/*.md: exactly what a student copies into a shell.

`starter`: each command runs as shown, in REPO, with bash. It may fail the
way an unsolved lab fails (a check fails, `cargo test` says `test failed`,
the grader's report is not full marks, a binary stops at its step's
`todo!()`), but never the way a wrong command fails: a package, test
target, binary or subcommand that does not exist, an option cargo or the
program does not know, code that does not compile. A command that runs a
server (`cargo run … -p echoserver -- 5000`) is started, and stopped as
soon as it says `listening on port N` (or ends, or its deadline comes).

`solved`: with the reference's bodies copied in (the caller does that), the
commands that run the labs' programs must work: a server must say
`listening on port N`; a client must echo its stdin through that server
and exit 0. The commands of the chapter "For instructors" (labs/src/
instructor.md, instructor/: `cargo xtask …`, `-p xtask`, for the
instructor's repository) are listed and skipped, as is `cargo install`
(which downloads and builds a tool: .ci/build-book does that one).

Exit 0 when every command ran as it should, 1 with one line per problem.
"""

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# cargo's and the programs' own ways of saying "that command is wrong"
WRONG = [
    (re.compile(r"package ID specification .* did not match"), "no such package"),
    (re.compile(r"error: no such command"), "no such cargo command"),
    (re.compile(r"error: no (test|bin|example|bench) target named"), "no such target"),
    (re.compile(r"error: unexpected argument"), "an argument cargo does not know"),
    (re.compile(r"error: unrecognized subcommand"), "no such subcommand"),
    (re.compile(r"^error(\[E\d{4}\])?: (?!test failed|\d+ targets? failed)", re.M), "an error from cargo or rustc"),
    (re.compile(r"^usage: grader", re.M | re.I), "options the grader does not take"),
    (re.compile(r"--lab takes one of"), "a lab the grader does not have"),
    (re.compile(r"no check matches"), "a filter that names no check"),
]
# how an unsolved lab fails
UNSOLVED = re.compile(r"not yet implemented|test result: FAILED|error: test failed|^Score: \d+/\d+", re.M)
LISTENING = re.compile(rb"listening on port (\d+)")
SERVER = re.compile(r"cargo run .*-p echoserver[ts]?\b.*-- \d+")
CLIENT = re.compile(r"cargo run .*-p echoclient\b")
INSTRUCTOR = re.compile(r"cargo xtask\b")
INSTALL = re.compile(r"cargo install\b")


def commands(repo):
    """[(page, line number, command)] for every `$ …cargo …` line of a console block."""
    found = []
    for page in sorted((repo / "labs" / "src").rglob("*.md")):
        text = page.read_text()
        for block in re.finditer(r"^```console\n(.*?)^```", text, re.S | re.M):
            first = text.count("\n", 0, block.start()) + 2
            for i, line in enumerate(block.group(1).splitlines()):
                if line.startswith("$ ") and re.search(r"\bcargo ", line):
                    found.append((page.relative_to(repo), first + i, line[2:].strip()))
    return found


def instructors(page):
    """The chapter "For instructors" (instructor.md, instructor/): its
    commands are for the instructor's repository (xtask, bench), which the
    starter leaves out on purpose."""
    return page.parts[2:3] in (("instructor.md",), ("instructor",))


def run(repo, command, deadline, stdin=b""):
    """Runs `command` with bash in `repo`: (exit status or None if stopped, output)."""
    proc = subprocess.Popen(["bash", "-c", command], cwd=repo, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(stdin, timeout=deadline)
        return proc.returncode, out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, out.decode(errors="replace") + f"\n(stopped at its deadline, {deadline} s)"


def start_server(repo, command, deadline):
    """Starts a server command; returns (process, port or None, output so far)."""
    proc = subprocess.Popen(["bash", "-c", command], cwd=repo, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    out = b""
    until = time.monotonic() + deadline
    os.set_blocking(proc.stdout.fileno(), False)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while time.monotonic() < until:
        if sel.select(timeout=max(0.0, until - time.monotonic())):
            chunk = proc.stdout.read() or b""
            out += chunk
            m = LISTENING.search(out)
            if m:
                return proc, int(m.group(1)), out.decode(errors="replace")
            if not chunk and proc.poll() is not None:
                break
    return proc, None, out.decode(errors="replace")


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def wrong(output):
    reasons = [why for pattern, why in WRONG if pattern.search(output)]
    # a `cargo test` filter that names no test runs nothing, and says ok
    results = re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed", output)
    if results and all(passed == "0" and failed == "0" for passed, failed in results):
        reasons.append("a test filter that matches no test")
    return reasons


def last_lines(output, n=6):
    return "\n".join("      " + line for line in output.strip().splitlines()[-n:])


def port_free(port):
    with socket.socket(socket.AF_INET6) as s:
        try:
            s.bind(("::", port))
            return True
        except OSError:
            return False


def starter(repo):
    problems = []
    for page, line, command in commands(repo):
        where = f"{page}:{line}: `{command}`"
        if instructors(page) or INSTRUCTOR.search(command):
            print(f"skip  {where} (for the instructor's repository)")
            continue
        if INSTALL.search(command):
            print(f"skip  {where} (installs a tool)")
            continue
        started = time.monotonic()
        if SERVER.search(command):
            proc, port, output = start_server(repo, command, 300)
            stop(proc)
            status = "listening" if port else proc.returncode
        else:
            status, output = run(repo, command, 300)
        took = time.monotonic() - started
        reasons = wrong(output)
        if reasons:
            problems.append(f"{where}: {', '.join(reasons)}\n{last_lines(output)}")
            print(f"FAIL  {where} ({took:.0f} s): {', '.join(reasons)}")
        elif status in (0, "listening"):
            print(f"ok    {where} ({took:.0f} s): {'exit 0' if status == 0 else 'listening, stopped'}")
        elif UNSOLVED.search(output):
            print(f"ok    {where} ({took:.0f} s): fails as an unsolved lab does (exit {status})")
        else:
            problems.append(f"{where}: exit {status}, and not the way an unsolved lab fails\n{last_lines(output)}")
            print(f"FAIL  {where} ({took:.0f} s): exit {status}")
    return problems


def solved(repo):
    """The servers and clients the pages run, with the labs solved."""
    problems = []
    cmds = [c for c in commands(repo) if SERVER.search(c[2]) or CLIENT.search(c[2])]
    servers = [c for c in cmds if SERVER.search(c[2])]
    clients = [c for c in cmds if CLIENT.search(c[2])]
    for page, line, command in servers:
        where = f"{page}:{line}: `{command}`"
        port = int(command.rsplit(None, 1)[1])
        if port and not port_free(port):
            print(f"skip  {where}: port {port} is taken on this machine")
            continue
        proc, said, output = start_server(repo, command, 300)
        stop(proc)
        if said is None or said != port:
            problems.append(f"{where}: no `listening on port {port}`\n{last_lines(output)}")
            print(f"FAIL  {where}")
        else:
            print(f"ok    {where}: listening on port {said}, stopped")
    if clients:
        # the pages run the client against `cargo run -q -p echoserver -- 5000`
        port = 5000
        if not port_free(port):
            print(f"skip  the client commands: port {port} is taken on this machine")
            return problems
        proc, said, output = start_server(repo, f"cargo run -q -p echoserver -- {port}", 300)
        try:
            if said != port:
                problems.append(f"the server for the client commands did not start\n{last_lines(output)}")
                return problems
            for page, line, command in clients:
                where = f"{page}:{line}: `{command}`"
                piped = "|" in command.split("cargo", 1)[0]
                stdin = b"" if piped else b"hello from the starter check\n"
                status, out = run(repo, command, 120, stdin)
                m = re.match(r"printf '(.*)' \|", command)
                want = (m.group(1).encode().decode("unicode_escape") if m else stdin.decode())
                if status != 0 or want not in out:
                    problems.append(f"{where}: exit {status}, echo {want!r} not in its output\n{last_lines(out)}")
                    print(f"FAIL  {where}")
                else:
                    print(f"ok    {where}: echoed {len(want)} bytes, exit 0")
        finally:
            stop(proc)
    return problems


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("list", "starter", "solved"):
        sys.exit(__doc__.split("\n\n")[1])
    mode, repo = sys.argv[1], Path(sys.argv[2]).resolve()
    if mode == "list":
        for page, line, command in commands(repo):
            print(f"{page}:{line}: {command}")
        return
    problems = starter(repo) if mode == "starter" else solved(repo)
    if problems:
        print(f"\nstarter-commands: {len(problems)} command(s) of the pages do not run as shown:")
        for p in problems:
            print(f"  {p}")
        sys.exit(1)
    print(f"starter-commands ({mode}): every command ran as it should")


if __name__ == "__main__":
    main()
