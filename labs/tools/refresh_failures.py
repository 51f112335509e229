#!/usr/bin/env python3
"""Keeps the grader's failure messages in the handouts real and current.

The lab pages show what the grader prints for classic bugs. Each one was
made by breaking a copy of the reference on purpose and running the check.
This script does that again for every message shown, so that a change to
the grader's wording, or to the reference, can't leave a handout quoting
output that no longer exists:

    python3 labs/tools/refresh_failures.py            # report drift, exit 1 if any
    python3 labs/tools/refresh_failures.py --write    # rewrite the blocks in place
    python3 labs/tools/refresh_failures.py --passing  # only the passing runs, here (CI)
    python3 labs/tools/refresh_failures.py --passing --write

For each entry of BUGS it copies the workspace to a temporary directory
(without target/ and labs/book), applies the bug (exact text replacements
in the reference), runs `cargo test -p grader --test LAB CHECK` there, and
compares the check's explanation (from `labX::check VERDICT` to `help:`)
with the block in the handout that starts with the same line. Port
numbers, process ids and line:column positions are ignored when comparing.
The entry with no bug runs on the student starter (`cargo xtask starter`).
Then it runs the score report for a bug (REPORTS) and compares its table,
and runs each step's command (PASSING) on the reference and checks the
passing output shown after it: the same tests, the same counts.

Besides the lab pages, the sample failures of README.md and
starter/README.md come from here too.

The copies build in their own target directory (ECHO_LAB_REFRESH_TARGET,
default: a temporary one): cargo hashes path dependencies relative to the
workspace root, so two copies sharing one target directory can pick up
each other's artifacts. A cold run compiles the workspace twice (~2 min on
2 cores); then each bug costs a few seconds of rebuild. That is too slow
for every CI run, so CI runs `--passing`: only the passing runs, in this
workspace with its own target directory (already built there), a few
seconds; it never writes.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SRC = REPO / "labs" / "src"

RIO, NET = "crates/rio/src/lib.rs", "crates/netutil/src/lib.rs"
SRV_LIB, SRV, CLI = "crates/echoserver/src/lib.rs", "crates/echoserver/src/main.rs", "crates/echoclient/src/main.rs"

# Pages given by their path from the repository root; the others are in labs/src.
ROOT_PAGES = {"README.md", "starter/README.md"}


def page_path(page):
    return REPO / page if page in ROOT_PAGES else SRC / page


# readlineb adds a NUL after each line, as C does.
NUL_AFTER_LINE = [
    (RIO, "            copied += take;\n            if found {\n                break;",
     "            copied += take;\n            if found {\n                if copied < buf.len() {\n"
     "                    buf[copied] = 0;\n                    copied += 1;\n                }\n                break;"),
]

# (handout, test target, check, [(file, old, new), ...]); no edits: the starter.
BUGS = [
    ("setup.md", "lab1_rio", "readn_every_split", None),
    ("starter/README.md", "lab1_rio", "readn_every_split", None),
    ("README.md", "lab1_rio", "readlineb_every_split", [  # an empty line read as EOF
        (RIO, "        Ok(copied)\n        // END SOLUTION\n    }\n    // ANCHOR_END: readlineb",
         "        if copied == 1 && buf[0] == b'\\n' {\n            return Ok(0);\n        }\n"
         "        Ok(copied)\n        // END SOLUTION\n    }\n    // ANCHOR_END: readlineb"),
    ]),
    ("setup.md", "lab1_rio", "readn_every_split", [  # one read and done
        (RIO, "            Ok(n) => nread += n,", "            Ok(n) => {\n                nread += n;\n                break;\n            }"),
    ]),
    ("lab1-rio.md", "lab1_rio", "readn_eof", [  # Ok(0) taken for "try again"
        (RIO, "            Ok(0) => break,\n            // a short count is normal", "            Ok(0) => {}\n            // a short count is normal"),
    ]),
    ("lab1-rio.md", "lab1_rio", "writen_short_writes", [  # the count ignored
        (RIO, "            Ok(n) => rest = &rest[n..],", "            Ok(_) => return Ok(()),"),
    ]),
    ("lab1-rio.md", "lab1_rio", "buffer_few_reads_for_many_lines", [  # small refills
        (RIO, "match self.inner.read(&mut self.buf) {", "match self.inner.read(&mut self.buf[..64]) {"),
    ]),
    ("lab1-rio.md", "lab1_rio", "readlineb_interrupted_is_retried", [  # fill does not retry
        (RIO, "                    // Interrupted by a signal handler: call read again\n"
              "                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}\n", ""),
    ]),
    ("lab1-rio.md", "lab1_rio", "readlineb_every_split", NUL_AFTER_LINE),
    ("lab1-rio.md", "lab1_rio", "readnb_mixed_with_readlineb", [  # the buffer skipped
        (RIO, "        // BEGIN SOLUTION: lab 1 step 5 (readnb)\n",
         "        // BEGIN SOLUTION: lab 1 step 5 (readnb)\n        if !buf.is_empty() {\n            return readn(&mut self.inner, buf);\n        }\n"),
    ]),
    ("lab2-netutil.md", "lab2_netutil", "resolve_unknown_host_is_err", [  # unwrap
        (NET, "    // getaddrinfo: std calls it for a (host, port) pair\n",
         "    // getaddrinfo: std calls it for a (host, port) pair\n"
         "    if !host.is_empty() {\n        return Ok((host, port).to_socket_addrs().unwrap().collect());\n    }\n"),
    ]),
    ("lab2-netutil.md", "lab2_netutil", "connect_any_tries_every_address", [  # first address only
        (NET, "            Err(e) => {\n                drop(socket);\n                last_err = e;\n            }", "            Err(e) => return Err(e),"),
    ]),
    ("lab2-netutil.md", "lab2_netutil", "open_clientfd_refused", [  # the error kind lost
        (NET, "    connect_any(&addrs)\n",
         "    connect_any(&addrs).map_err(|e| io::Error::other(format!(\"cannot connect to {host}:{port}: {e}\")))\n"),
    ]),
    ("lab2-netutil.md", "lab2_netutil", "open_listenfd_relisten_after_time_wait", [  # no SO_REUSEADDR
        (NET, "        socket.set_reuse_address(true)?;\n", ""),
    ]),
    ("lab3-echoserver.md", "lab3_echoserver", "echo_binary_bytes", [  # through a String
        (SRV_LIB, "        rio::writen(rio.get_mut(), &line[..n])?;",
         "        let text = String::from_utf8_lossy(&line[..n]).into_owned();\n        rio::writen(rio.get_mut(), text.as_bytes())?;"),
    ]),
    ("lab3-echoserver.md", "lab3_echoserver", "server_echoes_v4", [  # the port asked for
        (SRV, "    let port = listener\n        .local_addr()\n        .context(\"cannot read the listening port\")?\n        .port();\n", ""),
    ]),
    ("lab3-echoserver.md", "lab3_echoserver", "server_survives_reset_after_line", [  # unwrap
        (SRV, "    if let Err(e) = echoserver::echo(&conn) {\n        log(\n            io::stderr(),\n"
              "            format_args!(\"echoserver: connection from ({host}, {port}): {e}\"),\n        );\n    }",
         "    echoserver::echo(&conn).unwrap();"),
    ]),
    ("lab4-echoclient.md", "lab4_echoclient", "connect_refused", [  # unwrap
        (CLI, "    netutil::connect_any(&addrs).with_context(|| format!(\"cannot connect to {host}:{port}\"))",
         "    Ok(netutil::connect_any(&addrs).unwrap())"),
    ]),
    ("lab4-echoclient.md", "lab4_echoclient", "echo_tiny_pieces", [  # one read for the echo
        (CLI, "    let n = server.readnb(&mut echo).map_err(server_gone)?;", "    let n = server.get_mut().read(&mut echo).map_err(server_gone)?;"),
        (CLI, "    if n < len {", "    if n == 0 {"),
        (CLI, "    output.write_all(&echo).context(\"cannot write stdout\")?;", "    output.write_all(&echo[..n]).context(\"cannot write stdout\")?;"),
    ]),
    ("lab4-echoclient.md", "lab4_echoclient", "halfclose_last_line_without_newline", [  # no half-close
        (CLI, "            return half_close(&mut server, piece, output);", "            return echo_line(&mut server, piece, output);"),
    ]),
    ("lab4-echoclient.md", "lab4_echoclient", "server_closes_after_first_line", [  # a short echo taken as whole
        (CLI, "    if n < len {", "    if n > len {"),
        (CLI, "    output.write_all(&echo).context(\"cannot write stdout\")?;", "    output.write_all(&echo[..n]).context(\"cannot write stdout\")?;"),
    ]),
]


# The passing runs shown after each step's command: (handout, test, filter).
PASSING = [
    ("lab1-rio.md", "lab1_rio", "readn_"), ("lab1-rio.md", "lab1_rio", "writen"),
    ("lab1-rio.md", "lab1_rio", "buffer_"), ("lab1-rio.md", "lab1_rio", "readlineb"),
    ("lab1-rio.md", "lab1_rio", "readnb"),
    ("lab2-netutil.md", "lab2_netutil", "resolve"), ("lab2-netutil.md", "lab2_netutil", "connect_any"),
    ("lab2-netutil.md", "lab2_netutil", "open_clientfd"), ("lab2-netutil.md", "lab2_netutil", "open_listenfd"),
    ("lab3-echoserver.md", "lab3_echoserver", "echo_"), ("lab3-echoserver.md", "lab3_echoserver", "server_"),
    ("lab3-echoserver.md", "lab3_echoserver", "survive"),
    ("lab4-echoclient.md", "lab4_echoclient", "connect_"), ("lab4-echoclient.md", "lab4_echoclient", "echo_"),
    ("lab4-echoclient.md", "lab4_echoclient", "halfclose"), ("lab4-echoclient.md", "lab4_echoclient", "server_"),
    # lab 5's failures quote figures that change from run to run (CPU time,
    # VmRSS, how many of 100 clients gave up): they are not in BUGS
    ("lab5-concurrency.md", "lab5_concurrency", "echoservert_"),
    ("lab5-concurrency.md", "lab5_concurrency", "counts_bytes"),
    ("lab5-concurrency.md", "lab5_concurrency", "echoservers_accepts"),
    ("lab5-concurrency.md", "lab5_concurrency", "echoservers_"),
    ("lab5-concurrency.md", "lab5_concurrency", "never_reads"),
]


# The score report's table shown for a bug: (handout, lab, edits); the block
# runs from the line `labN_…` to the line `Score: …`.
REPORTS = [
    ("setup.md", 1, NUL_AFTER_LINE),
]


def report_table(output, slug):
    """The lines of `cargo run -p grader` from `slug` to `Score: …`, or None."""
    lines = output.split("\n")
    if slug not in lines:
        return None
    start = lines.index(slug)
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("Score: ")), None)
    return None if end is None else lines[start : end + 1]


def refresh_reports(broken, target, write):
    drift = 0
    for page, lab, edits in REPORTS:
        slug = {1: "lab1_rio", 2: "lab2_netutil", 3: "lab3_echoserver", 4: "lab4_echoclient"}[lab]
        with applied(broken, edits, page, slug):
            env = dict(os.environ, CARGO_TARGET_DIR=str(target), CARGO_TERM_COLOR="never")
            env.pop("GITHUB_STEP_SUMMARY", None)
            output = subprocess.run(["cargo", "run", "-q", "-p", "grader", "--", "--lab", str(lab)],
                                    cwd=broken, env=env, capture_output=True, text=True).stdout
        new = report_table(output, slug)
        md = page_path(page)
        lines = md.read_text(encoding="utf-8").split("\n")
        old = report_table("\n".join(lines), slug)
        if new is None or old is None:
            print(f"!! {page}: no report table for lab {lab} ({'in the report' if new is None else 'on the page'})")
            drift += 1
        elif old == new:
            print(f"ok      {page}: the report of lab {lab}")
        else:
            drift += 1
            if write:
                start = lines.index(slug)
                lines[start : start + len(old)] = new
                md.write_text("\n".join(lines), encoding="utf-8")
                print(f"updated {page}: the report of lab {lab}")
            else:
                print(f"drift   {page}: the report of lab {lab}; now:\n" + "\n".join(new))
    return drift


class applied:
    """Applies a bug's edits to the copy `broken` for the `with` block."""

    def __init__(self, broken, edits, page, what):
        self.broken, self.edits, self.page, self.what = broken, edits, page, what
        self.originals = {}

    def __enter__(self):
        for file, old, new in self.edits:
            path = self.broken / file
            text = path.read_text(encoding="utf-8")
            self.originals.setdefault(path, text)
            if text.count(old) != 1:
                self.__exit__()
                raise SystemExit(f"refresh_failures: {self.page} {self.what}: the bug's text is not in {file} "
                                 f"(the reference changed?): {old[:60]!r}")
            path.write_text(text.replace(old, new), encoding="utf-8")
        return self

    def __exit__(self, *_):
        for path, text in self.originals.items():
            path.write_text(text, encoding="utf-8")
        self.originals = {}


def passing_block(output):
    """`test …` lines (the first 3 and `…` when there are more than 8), a
    blank line, and the `test result:` line."""
    tests = [l for l in output.split("\n") if l.startswith("test ") and not l.startswith("test result")]
    result = [l for l in output.split("\n") if l.startswith("test result")]
    if len(tests) > 8:
        tests = tests[:3] + ["…"]
    return tests + [""] + result


def same_passing(shown, output):
    """Does the block `shown` still say what `output` (a run) says? The
    counts must match (not the time); the tests shown must be the run's
    tests, all of them, or, where the block cuts them with `…`, some of
    them (which ones come first depends on the run)."""
    def tests(lines):
        return {l.strip() for l in lines if l.startswith("test ") and not l.startswith("test result")}

    def result(lines):
        return [re.sub(r"; finished in .*", "", l) for l in lines if l.startswith("test result")]

    ran = output.split("\n")
    if result(shown) != result(ran):
        return False
    if "…" in shown:
        return tests(shown) <= tests(ran) and len(tests(ran)) > 8
    return tests(shown) == tests(ran)


def refresh_passing(broken, target, write):
    drift = 0
    for page, test, flt in PASSING:
        output = run_check(broken, target, test, flt)
        new = passing_block(output)
        md = page_path(page)
        lines = md.read_text(encoding="utf-8").split("\n")
        command = f"$ cargo test -p grader --test {test} {flt}"
        try:
            at = next(i for i, l in enumerate(lines) if l.strip() == command)
            open_ = next(i for i in range(at + 1, len(lines)) if lines[i].strip() == "```text")
            close = next(i for i in range(open_ + 1, len(lines)) if lines[i].strip() == "```")
        except StopIteration:
            print(f"!! {page}: no passing block after `{command}`")
            drift += 1
            continue
        old = lines[open_ + 1 : close]
        if "test result: ok" not in "\n".join(new):
            print(f"!! {page}: `{command}` does not pass on the reference:\n{output[-1500:]}")
            drift += 1
        elif same_passing(old, output):
            print(f"ok      {page}: {command}")
        else:
            drift += 1
            if write:
                lines[open_ + 1 : close] = new
                md.write_text("\n".join(lines), encoding="utf-8")
                print(f"updated {page}: {command}")
            else:
                print(f"drift   {page}: {command}; now:\n" + "\n".join(new))
    return drift


def explanation(output, check):
    """The lines from `labX::check VERDICT` to `help: …`, or None."""
    lines = output.split("\n")
    for i, line in enumerate(lines):
        if re.match(r"^lab\d_\w+::" + re.escape(check) + r" ", line):
            for j in range(i, len(lines)):
                if lines[j].startswith("  help:"):
                    return lines[i : j + 1]
    return None


def normal(lines):
    text = "\n".join(line.strip() for line in lines)
    text = re.sub(r"\b\d{4,5}\b", "N", text)  # ports
    text = re.sub(r"\(\d+\)", "(N)", text)  # thread ids
    text = re.sub(r"\.rs:\d+:\d+", ".rs:L:C", text)  # positions
    return text


def copy_tree(dest):
    ignore = shutil.ignore_patterns("target", ".git", "book")
    shutil.copytree(REPO, dest, ignore=ignore, symlinks=True)


def run_check(workspace, target, test, check):
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), CARGO_TERM_COLOR="never")
    result = subprocess.run(
        ["cargo", "test", "-q", "-p", "grader", "--test", test, check],
        cwd=workspace, env=env, capture_output=True, text=True,
    )
    return result.stdout


def main():
    write = sys.argv[1:] == ["--write"]
    args = sys.argv[1:]
    if args not in ([], ["--write"], ["--passing"], ["--passing", "--write"]):
        print(__doc__.split("\n\n")[2])
        return 2
    if args[:1] == ["--passing"]:
        target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
        write = args[1:] == ["--write"]
        return 1 if refresh_passing(REPO, target, write) and not write else 0
    base = Path(os.environ.get("ECHO_LAB_REFRESH_TARGET") or tempfile.mkdtemp(prefix="echo-lab-refresh-"))
    work = Path(tempfile.mkdtemp(prefix="echo-lab-bugs-"))
    broken, starter = work / "broken", work / "starter"
    copy_tree(broken)
    drift = 0
    try:
        for page, test, check, edits in BUGS:
            if edits is None:
                if not starter.exists():
                    env = dict(os.environ, CARGO_TARGET_DIR=str(base / "xtask"))
                    subprocess.run(["cargo", "xtask", "starter", str(starter)], cwd=REPO, env=env,
                                   check=True, capture_output=True)
                output = run_check(starter, base / "starter", test, check)
                what = "the starter"
            else:
                with applied(broken, edits, page, check):
                    output = run_check(broken, base / "broken", test, check)
                what = f"a broken {edits[0][0]}"
            new = explanation(output, check)
            if new is None:
                print(f"!! {page}: {check} did not fail against {what}:\n{output[-1500:]}")
                drift += 1
                continue
            md = page_path(page)
            lines = md.read_text(encoding="utf-8").split("\n")
            starts = [i for i, line in enumerate(lines) if line.strip() == new[0].strip()]
            if not starts:
                print(f"!! {page}: no block starting with {new[0]!r}")
                drift += 1
                continue
            start = end = starts[0]
            while not lines[end].strip().startswith("help:"):
                end += 1
            if normal(lines[start : end + 1]) == normal(new):
                print(f"ok      {page}: {check}")
                continue
            drift += 1
            if write:
                indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
                lines[start : end + 1] = [indent + line for line in new]
                md.write_text("\n".join(lines), encoding="utf-8")
                print(f"updated {page}: {check}")
            else:
                print(f"drift   {page}: {check}; now the grader prints:\n" + "\n".join(new))
        drift += refresh_reports(broken, base / "broken", write)
        drift += refresh_passing(broken, base / "broken", write)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if "ECHO_LAB_REFRESH_TARGET" not in os.environ:
            shutil.rmtree(base, ignore_errors=True)
    return 1 if drift and not write else 0


if __name__ == "__main__":
    sys.exit(main())
