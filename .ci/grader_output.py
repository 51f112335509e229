#!/usr/bin/env python3
"""Reads what the grader printed, for .ci/starter-check and the Gradescope test.

    grader_output.py test-log LOG [LABS]    # `cargo test -p grader --no-fail-fast` on the starter
    grader_output.py results FILE full|zero  # a Gradescope results.json

test-log: in the lab test targets (LABS, e.g. 1,2,3,4,5; default 1 to 5) every check must fail (none passes by
accident, none times out), and each failure must name its handout step
(`help: labs/src/...#step-...`). A failure that does not show the starter's
todo!() message (`not yet implemented: lab N step M: ...`) gets a note. Every
other test of the grader (its own unit tests) must pass: a failure there names
no step. Prints a line per lab.

results: `full` wants every test passed and score = the sum of max_score;
`zero` wants score 0 with every test failed, each with an output.

Exit status 0 when all holds, 1 otherwise (the problems are printed).
"""

import json
import re
import sys

RUNNING = re.compile(r"^\s*Running (.+?)(?: \(|$)")
LAB_TARGET = re.compile(r"^tests/lab(\d)_\w+\.rs$")
DOC_TESTS = re.compile(r"^\s*Doc-tests ")
# `test [the Rio buffer] buffer_reads_only_when_empty ... FAILED` (libtest-mimic) or
# `test check::tests::x ... ok` (libtest)
TEST = re.compile(r"^test (?:\[[^\]]*\]\s+)?(\S+)\s+\.\.\. (ok|FAILED|ignored)\b")
# a failure's explanation starts `---- name ----` (libtest: `---- name stdout ----`)
BLOCK = re.compile(r"^---- (\S+) (?:stdout )?----$")
STEP_LINK = re.compile(r"help: labs/src/[\w.-]+\.md#step-")
TODO = re.compile(r"not yet implemented: lab \d+ step \d+: ")


def parse_log(text):
    """{section: {"tests": {name: verdict}, "blocks": {name: text}}}; a section is
    the lab number (1-5) of a lab test target, or the name of any other target."""
    sections, current, block = {}, None, None
    for line in text.splitlines():
        m = RUNNING.match(line)
        if m or DOC_TESTS.match(line):
            target = m.group(1) if m else line.strip()
            lab = LAB_TARGET.match(target)
            current = int(lab.group(1)) if lab else target
            sections.setdefault(current, {"tests": {}, "blocks": {}})
            block = None
            continue
        if current is None:
            continue
        section = sections[current]
        m = TEST.match(line)
        if m:
            section["tests"][m.group(1)] = m.group(2)
            continue
        m = BLOCK.match(line)
        if m:
            block = m.group(1)
            section["blocks"][block] = ""
        elif line.startswith("failures:") or line.startswith("test result:"):
            block = None
        elif block is not None:
            section["blocks"][block] += line + "\n"
    return sections


def check_log(text, labs=(1, 2, 3, 4, 5)):
    sections = parse_log(text)
    problems = []
    for lab in labs:
        if lab not in sections or not sections[lab]["tests"]:
            problems.append(f"lab {lab}: its test target did not run (a build error?)")
            continue
        tests, blocks = sections[lab]["tests"], sections[lab]["blocks"]
        failed = [n for n, v in tests.items() if v == "FAILED"]
        named = [n for n in failed if STEP_LINK.search(blocks.get(n, ""))]
        todo = [n for n in failed if TODO.search(blocks.get(n, ""))]
        print(f"lab {lab}: {len(tests)} checks, {len(failed)} fail, {len(named)} name their step, "
              f"{len(todo)} show a todo!() message")
        for name, verdict in tests.items():
            if verdict != "FAILED":
                problems.append(f"lab {lab}: {name} is {verdict} on the starter (it must fail)")
        for name in failed:
            explanation = blocks.get(name, "")
            if "TIMED OUT" in explanation:
                problems.append(f"lab {lab}: {name} timed out on the starter (it must fail fast)")
            if name not in named:
                problems.append(f"lab {lab}: {name} fails without a `help: labs/src/…#step-…` line")
            if name not in todo:
                # Not fatal: the step is named by the help line, and a binary that
                # panics at once may die before the grader reads its stderr.
                print(f"  note: lab {lab}: {name} fails without showing the todo!() message")
    for section, data in sections.items():
        if isinstance(section, int):
            continue
        for name, verdict in data["tests"].items():
            if verdict == "FAILED":
                problems.append(f"{section}: {name} fails on the starter, naming no lab step "
                                "(a grader self-test that depends on the students' code?)")
    return problems


def check_results(path, want):
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    tests = results.get("tests", [])
    score = results.get("score")
    top = sum(t.get("max_score", 0) for t in tests)
    problems = []
    if want == "full":
        if not tests:
            problems.append(f"{path}: no tests")
        if score != top:
            problems.append(f"{path}: score {score}, expected full marks {top}")
        problems += [f"{path}: {t.get('name')} is {t.get('status')}" for t in tests if t.get("status") != "passed"]
    else:
        if score != 0:
            problems.append(f"{path}: score {score}, expected 0")
        problems += [f"{path}: {t.get('name')} passed, expected to fail" for t in tests if t.get("status") == "passed"]
        problems += [f"{path}: {t.get('name')} has no output" for t in tests if not t.get("output")]
        if not tests and not results.get("output"):
            problems.append(f"{path}: no output to explain the zero")
    print(f"{path}: score {score}/{top}, {len(tests)} tests")
    return problems


def main(argv):
    if len(argv) in (3, 4) and argv[1] == "test-log":
        labs = tuple(int(n) for n in argv[3].split(",")) if len(argv) == 4 else (1, 2, 3, 4, 5)
        with open(argv[2], encoding="utf-8", errors="replace") as f:
            problems = check_log(f.read(), labs)
    elif len(argv) == 4 and argv[1] == "results" and argv[3] in ("full", "zero"):
        problems = check_results(argv[2], argv[3])
    else:
        print("usage: grader_output.py test-log LOG [LABS] | results FILE full|zero", file=sys.stderr)
        return 2
    for p in problems:
        print(f"  problem: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
