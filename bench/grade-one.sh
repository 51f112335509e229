#!/usr/bin/env bash
# What the checks you hold back cost official grading: the wall time of
# `grader-sandbox grade-submission` (run_autograder's and the gradebook's
# grading of one submission) on the reference's crates, against two bases
# built from this tree in the same run:
#
#   official   `cargo xtask gradescope`: the starter and grader/src/bin/held-back
#              (a second build step for the held-back executable, and its checks)
#   starter    `cargo xtask starter`: no held-back checks (one build step)
#
# Each base has its own work and target directory, warmed by one untimed run;
# then ROUNDS rounds (default 5) each grade once with both, the order
# alternating, and the medians and their ratio are printed. The submission is
# the same files every time, so every run rebuilds the lab crates (their
# sources are copied fresh), as a real submission does.
#
#   bash bench/grade-one.sh [ROUNDS]
#
# Not as root here: the unprivileged uids (--uid-base) change both sides
# alike; run_autograder's own figures are in autograder/gradescope/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-5}
dir=${CARGO_TARGET_DIR:-$PWD/target}/grade-one
rm -rf "$dir/official" "$dir/starter" "$dir/submission"
mkdir -p "$dir"
cargo build -q -p grader-sandbox --bin grader-sandbox
sandbox=${CARGO_TARGET_DIR:-$PWD/target}/debug/grader-sandbox
cargo xtask gradescope "$dir/official" >/dev/null
cargo xtask starter "$dir/starter" >/dev/null
mkdir -p "$dir/submission/crates"
for src in crates/*/src; do
    mkdir -p "$dir/submission/crates/$(basename "$(dirname "$src")")"
    cp -R "$src" "$dir/submission/crates/$(basename "$(dirname "$src")")/"
done

# grade BASE: one grading, its wall time in ms on stdout.
grade() {
    local started ended
    started=$(date +%s%N)
    "$sandbox" grade-submission --base "$dir/$1" --submission "$dir/submission" \
        --work "$dir/work-$1" --target-dir "$dir/target-$1" \
        --results "$dir/results-$1.json" --timeout 900 >"$dir/log-$1.txt" 2>&1 ||
        { cat "$dir/log-$1.txt" >&2; echo "grade-one: grading with the $1 base failed" >&2; exit 1; }
    ended=$(date +%s%N)
    python3 - "$dir/results-$1.json" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
top = sum(t["max_score"] for t in r["tests"])
assert r["score"] == top > 0, f"not full marks: {r['score']}/{top}"
PY
    echo $(((ended - started) / 1000000))
}

echo "warming both (compiles the dependencies once per base)..."
grade official >/dev/null
grade starter >/dev/null
official=() starter=()
for i in $(seq 1 "$rounds"); do
    if [ $((i % 2)) = 1 ]; then
        official+=("$(grade official)"); starter+=("$(grade starter)")
    else
        starter+=("$(grade starter)"); official+=("$(grade official)")
    fi
    echo "round $i: official ${official[-1]} ms, starter ${starter[-1]} ms"
done
python3 - "${official[*]}" "${starter[*]}" <<'PY'
import statistics, sys
o = [int(x) for x in sys.argv[1].split()]
s = [int(x) for x in sys.argv[2].split()]
mo, ms = statistics.median(o), statistics.median(s)
print(f"median: official (held-back checks) {mo / 1000:.1f} s, starter {ms / 1000:.1f} s: "
      f"ratio {mo / ms:.2f}")
PY
