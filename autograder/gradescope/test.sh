#!/usr/bin/env bash
# Tests run_autograder against a fake Gradescope root (GRADESCOPE_ROOT), from
# the repository root, with only a Rust toolchain and python3:
#
#   bash autograder/gradescope/test.sh
#
# 1. the reference's crates, with a tampered grader beside them: full marks
#    (the submission's grader is ignored);
# 2. the student starter, one directory down as in a zip of the folder: 0;
# 3. the reference with a syntax error in rio: 0, and the compiler's error in
#    the output.
# setup.sh is not run (it installs from the network); the toolchain on PATH is used.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$PWD

# The fake root stays between runs for its cache/ (the compiled dependencies).
fake=${CARGO_TARGET_DIR:-$repo/target}/gradescope-test
rm -rf "$fake/source" "$fake/submission" "$fake/results" "$fake/work" "$fake/logs" "$fake/starter"
mkdir -p "$fake"

echo "--- the autograder zip's content, as source/"
cargo xtask gradescope "$fake/source" >/dev/null
cp "$fake/source/run_autograder" "$fake/run_autograder"

# Runs run_autograder on the submission prepared in $fake/submission, then
# checks results.json: $1 full or zero.
grade() {
    rm -rf "$fake/results"
    local started=$SECONDS
    GRADESCOPE_ROOT=$fake bash "$fake/run_autograder" >"$fake/last-run.txt" 2>&1 ||
        { cat "$fake/last-run.txt"; echo "test.sh: run_autograder failed" >&2; exit 1; }
    echo "run_autograder took $((SECONDS - started))s"
    python3 "$repo/.ci/grader_output.py" results "$fake/results/results.json" "$1" ||
        { cat "$fake/last-run.txt"; echo "test.sh: wrong results" >&2; exit 1; }
}

# A submission laid out as the student's repository: crates/*/src from $1.
submit() {
    rm -rf "$fake/submission"
    mkdir -p "$fake/submission/$2"
    for src in "$1"/crates/*/src; do
        mkdir -p "$fake/submission/$2/crates/$(basename "$(dirname "$src")")"
        cp -R "$src" "$fake/submission/$2/crates/$(basename "$(dirname "$src")")/"
    done
}

echo "--- 1. the reference, with a tampered grader: full marks"
submit "$repo" .
mkdir -p "$fake/submission/grader/src"
echo 'fn main() { println!("full marks!"); }' >"$fake/submission/grader/src/main.rs"
grade full

echo "--- 2. the starter, one directory down: 0"
cargo xtask starter "$fake/starter" >/dev/null
submit "$fake/starter" echo-lab-main
grade zero

echo "--- 3. rio does not compile: 0, with the compiler's error"
submit "$repo" .
echo 'this is not rust' >>"$fake/submission/crates/rio/src/lib.rs"
grade zero
python3 - "$fake/results/results.json" <<'PY'
import json, sys
output = json.load(open(sys.argv[1]))["output"]
assert "does not compile" in output and "error" in output, output
print("the output shows the compiler's error")
PY

echo "test.sh: passed"
