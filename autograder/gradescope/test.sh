#!/usr/bin/env bash
# Tests run_autograder against a fake Gradescope root (GRADESCOPE_ROOT), from
# the repository root, with only a Rust toolchain and python3:
#
#   bash autograder/gradescope/test.sh
#
# 1. the reference's crates, with a tampered grader beside them: full marks
#    (the submission's grader is ignored), and the feedback says what was
#    graded: "as uploaded", at the time submission_metadata.json gives; the
#    instructor's held-back checks ran (visibility after_due_date), are in
#    the autograder zip and not in the starter, and the seed is recorded;
# 2. the student starter, one directory down as in a zip of the folder: 0;
# 3. the reference with a syntax error in rio: 0, and the compiler's error in
#    the output;
# 4. `unsafe`, a `no_mangle` `kill` and a `no_mangle` `exit` in rio: 0, and
#    the output says lab crates may not use `unsafe`.
# As root (CI), where the code under test runs as unprivileged uids, three
# cheats that only that stops (see the Trust section of labs/src/instructor.md):
# 5. the starter with a daemon that rewrites results.json, code that
#    prints its environment (a secret is set in run_autograder's) and writes
#    a file in /tmp: still 0, results.json is the grader's, the secret is
#    nowhere, and no process of the uids is left, nor a file of theirs in
#    /tmp, /var/tmp or /dev/shm;
# 6. `kill -9 -1` from inside readn: it kills only its own uid's processes;
#    the run ends with its report;
# 7. code that tries to overwrite the grader's executables and results.json:
#    it cannot, and the reference still gets full marks.
# As root, the build runs as an unprivileged uid too (see the Trust section):
# 8. a submission that reads a root-only file outside its workspace at compile
#    time (include_str!, include_bytes!, #[path], compile_error!(include_str!)):
#    a compile-error row, and the file's text is nowhere in results.json, the
#    feedback, the logs or run_autograder's output;
# 9. a build over the memory limit (a huge `const`, at a low test limit): a
#    compile-error row that names the limit, and the next submission of the
#    same job (same cache/) gets full marks;
# 10. a build that writes without end (a 1.2 MB warning, at a 1 MiB test
#    limit): a compile-error row that names the output limit, and the
#    next submission, at the same limit, gets full marks (and the held-back
#    checks drew the seed of case 1: the same files, the same inputs);
# 11. a submission that include_str!s the held-back checks, from the
#    autograder's source/ or from the work copy: a compile-error row, and
#    their text is nowhere;
# 12. code that reads the grader's executable (the held-back one) while a
#    check runs: it cannot (mode 0711), and the reference gets full marks.
# setup.sh is not run here (chroot-test.sh runs it, in a fresh root
# filesystem); the toolchain on PATH is used.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$PWD
# The unprivileged uids run_autograder uses (GRADER_UID_BASE, as it reads it).
uids_from=${GRADER_UID_BASE:-47000}
export GRADER_UID_BASE=$uids_from

# The fake root stays between runs for its cache/ (the compiled
# dependencies). As root, the check processes run as other uids: the fake
# root must be somewhere every user may enter.
if [ "$(id -u)" = 0 ]; then
    fake=${TMPDIR:-/tmp}/echo-lab-gradescope-test
else
    fake=${CARGO_TARGET_DIR:-$repo/target}/gradescope-test
    echo "note: not root: run_autograder cannot drop privileges here, so tests 5-7 (what only"
    echo "      an unprivileged uid stops) are skipped; they run in CI, as root"
fi
rm -rf "$fake/source" "$fake/submission" "$fake/results" "$fake/work" "$fake/logs" "$fake/starter"
# The supervisor is built (as setup.sh does) only where it is missing: a
# binary left by an earlier run of another tree must not grade this one.
rm -f "$fake/cache/sandbox/debug/grader-sandbox"
mkdir -p "$fake"
chmod 755 "$fake"

echo "--- the autograder zip's content, as source/"
cargo xtask gradescope "$fake/source" >/dev/null
cp "$fake/source/run_autograder" "$fake/run_autograder"
cargo xtask starter "$fake/starter" >/dev/null

# (After the two xtask runs above, whose build must not see another toolchain path.)
# The build runs as an unprivileged uid, which must reach the toolchain and the
# dependencies' sources; where they are in root's home (mode 700 here, as on many
# machines), use copies made of hard links (no space, a second) in the fake root.
if [ "$(id -u)" = 0 ]; then
    sysroot=$(rustc --print sysroot)
    if ! python3 - "$sysroot" "${CARGO_HOME:-$HOME/.cargo}" <<'PY'
import os, sys
def open_to_others(p):
    p = os.path.realpath(p)
    while True:
        if not os.stat(p).st_mode & 0o001:
            return False
        if p == "/":
            return True
        p = os.path.dirname(p)
sys.exit(0 if all(open_to_others(p) for p in sys.argv[1:] if os.path.exists(p)) else 1)
PY
    then
        if [ "$("$fake/toolchain/bin/rustc" -V 2>/dev/null)" != "$(rustc -V)" ]; then
            rm -rf "$fake/toolchain"
            cp -al "$sysroot" "$fake/toolchain" 2>/dev/null || cp -a "$sysroot" "$fake/toolchain"
        fi
        rm -rf "$fake/cargo-home"
        mkdir -p "$fake/cargo-home"
        for part in registry git; do
            src=${CARGO_HOME:-$HOME/.cargo}/$part
            [ -d "$src" ] && { cp -al "$src" "$fake/cargo-home/" 2>/dev/null || cp -a "$src" "$fake/cargo-home/"; }
        done
        export PATH=$fake/toolchain/bin:$PATH CARGO_HOME=$fake/cargo-home
        unset RUSTUP_TOOLCHAIN
        echo "the toolchain and sources are closed to other users here: using copies in $fake"
    fi
fi

# Runs run_autograder on the submission prepared in $fake/submission, then
# checks results.json: $1 full or zero.
grade() {
    rm -rf "$fake/results"
    local started=$SECONDS
    GRADESCOPE_ROOT=$fake GRADER_TEST_SECRET=hunter2-$$ bash "$fake/run_autograder" \
        >"$fake/last-run.txt" 2>&1 ||
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

# Puts Rust statements at the start of readn's body in the submission.
cheat_in_readn() {
    python3 - "$fake/submission/crates/rio/src/lib.rs" "$1" <<'PY'
import re, sys
path, code = sys.argv[1:3]
src = open(path).read()
m = re.search(r"pub fn readn<[^{]*\{\n", src)
assert m, "no readn in " + path
open(path, "w").write(src[:m.end()] + code + "\n" + src[m.end():])
PY
}

# The output of results.json must contain $1.
output_says() {
    python3 - "$fake/results/results.json" "$1" <<'PY'
import json, sys
path, want = sys.argv[1:3]
results = json.load(open(path))
text = results["output"] + "".join(t.get("output", "") for t in results["tests"])
assert want in text, f"{want!r} not in the output:\n{results['output']}"
print(f"the output says {want!r}")
PY
}

# No process of the unprivileged uids may be left.
no_uid_left() {
    local left
    # The checks' 64 uids and the build's, the one after them.
    left=$(ps -eo uid=,pid=,comm= | awk -v lo="$uids_from" '$1 >= lo && $1 < lo + 65')
    if [ -n "$left" ]; then
        echo "test.sh: processes of the unprivileged uids are still running:" >&2
        echo "$left" >&2
        exit 1
    fi
    echo "no process of uids $uids_from.. is left"
    # Nor a file of theirs where every user may write (a later check of the
    # same uid would read it).
    left=$(find /tmp /var/tmp /dev/shm -maxdepth 1 -uid +$((uids_from - 1)) -uid -$((uids_from + 65)) 2>/dev/null || true)
    if [ -n "$left" ]; then
        echo "test.sh: files of the unprivileged uids are left:" >&2
        echo "$left" >&2
        exit 1
    fi
    echo "no file of uids $uids_from.. is left in /tmp, /var/tmp or /dev/shm"
}

# Under the build limit $1=$2 (set for this call only), a submission whose
# rio/src/lib.rs ends with the code on stdin earns nothing, in a row whose
# output says $3; the next submission, under the same limit, builds and
# earns full marks; no process is left.
build_over_limit() {
    local -x "$1=$2"
    submit "$repo" .
    cat >>"$fake/submission/crates/rio/src/lib.rs"
    grade zero
    output_says "$3"
    submit "$repo" .
    grade full
    no_uid_left
}

echo "--- 1. the reference, with a tampered grader: full marks"
submit "$repo" .
mkdir -p "$fake/submission/grader/src"
echo 'fn main() { println!("full marks!"); }' >"$fake/submission/grader/src/main.rs"
# Gradescope's record of the submission: its time goes in the feedback.
echo '{"id": 1, "created_at": "2026-12-01T14:22:32.365935-05:00", "submission_method": "upload"}' \
    >"$fake/submission_metadata.json"
grade full
output_says "**Graded:** the files as uploaded (an upload carries no commit id), submitted 2026-12-01T14:22:32.365935-05:00"
rm "$fake/submission_metadata.json"
seed=$(python3 - "$fake/results/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
held = [t for t in r["tests"] if t["visibility"] == "after_due_date"]
assert held, "no held-back check (visibility after_due_date) in results.json"
assert all(t["status"] == "passed" for t in held), "the reference fails a held-back check"
assert all(t["visibility"] == "visible" for t in r["tests"] if t not in held)
assert "**Held back:**" in r["output"], r["output"]
assert isinstance(r["extra_data"]["seed"], int)
print(r["extra_data"]["seed"])
PY
) || { echo "test.sh: the held-back checks are not in results.json as they should be" >&2; exit 1; }
echo "the held-back checks ran and passed (seed $seed)"
[ -d "$fake/source/grader/src/bin/held-back" ] ||
    { echo "test.sh: the autograder zip has no held-back checks" >&2; exit 1; }
[ ! -e "$fake/starter/grader/src/bin/held-back" ] ||
    { echo "test.sh: the starter holds the held-back checks" >&2; exit 1; }

echo "--- 2. the starter, one directory down: 0"
submit "$fake/starter" echo-lab-main
grade zero

echo "--- 3. rio does not compile: 0, with the compiler's error"
submit "$repo" .
echo 'this is not rust' >>"$fake/submission/crates/rio/src/lib.rs"
grade zero
output_says "does not compile"
output_says "error"

echo "--- 4. unsafe, a no_mangle kill, a no_mangle exit: 0, and why"
for code in 'pub fn sneaky() -> u8 { unsafe { *std::ptr::null::<u8>() } }' \
    '#[unsafe(no_mangle)] pub extern "C" fn kill(_pid: i32, _sig: i32) -> i32 { 0 }' \
    '#[unsafe(no_mangle)] pub extern "C" fn exit(_code: i32) {}'; do
    submit "$repo" .
    echo "$code" >>"$fake/submission/crates/rio/src/lib.rs"
    grade zero
    output_says "Lab crates may not use \`unsafe\`"
done

if [ "$(id -u)" = 0 ]; then
    echo "--- 5. a daemon that rewrites results.json, and code that prints its environment: 0"
    submit "$fake/starter" .
    cheat_in_readn "    let _ = std::fs::write(\"/tmp/echo-lab-seen-by-readn\", b\"inputs\");
    println!(\"env: {:?}\", std::env::vars().collect::<Vec<_>>());
    let _ = std::process::Command::new(\"setsid\").args([\"sh\", \"-c\", \"while :; do echo '{\\\"score\\\": 109, \\\"tests\\\": []}' > $fake/results/results.json; sleep 0.05; done\"]).spawn();"
    grade zero
    output_says "not yet implemented"
    if grep -q "hunter2" "$fake/results/results.json" "$fake/logs/feedback.md"; then
        echo "test.sh: the secret of run_autograder's environment reached the student's code" >&2
        exit 1
    fi
    echo "the secret in run_autograder's environment is not in the results"
    no_uid_left

    echo "--- 6. kill -9 -1 from readn: only its own uid's processes die"
    submit "$repo" .
    cheat_in_readn "    let _ = std::process::Command::new(\"sh\").args([\"-c\", \"[ \\\"\$(id -u)\\\" != 0 ] && kill -9 -1\"]).status();"
    rm -rf "$fake/results"
    GRADESCOPE_ROOT=$fake bash "$fake/run_autograder" >"$fake/last-run.txt" 2>&1 ||
        { cat "$fake/last-run.txt"; echo "test.sh: run_autograder failed" >&2; exit 1; }
    python3 - "$fake/results/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
top = sum(t["max_score"] for t in r["tests"])
ended = [t["name"] for t in r["tests"] if "ENDED EARLY" in t["output"]]
assert ended, "no check says the process ended early"
assert all(t["status"] == "passed" for t in r["tests"] if t["name"].startswith("lab4")), \
    "lab 4's checks (no readn) should not be disturbed"
print(f"score {r['score']}/{top}; {len(ended)} checks ended early, e.g. {ended[0]}")
PY
    no_uid_left

    echo "--- 7. code that tries to overwrite the grader's executables and results: full marks"
    submit "$repo" .
    cheat_in_readn "    for p in [std::env::current_exe().ok(), std::env::var_os(\"GRADER_BIN_ECHOSERVER\").map(Into::into), Some(\"$fake/results/results.json\".into()), Some(\"$fake/work/Cargo.toml\".into())].into_iter().flatten() {
        let _: Option<std::path::PathBuf> = Some(p.clone());
        if std::fs::write(&p, b\"#!/bin/sh\\nexit 0\\n\").is_ok() { panic!(\"overwrote {}\", p.display()); }
    }"
    grade full
    no_uid_left
fi

if [ "$(id -u)" = 0 ]; then
    echo "--- 8. reading a root-only file outside the workspace at compile time: a compile error, the text nowhere"
    mkdir -p "$fake/private"
    chmod 755 "$fake/private"
    secret=$fake/private/answers.txt
    words="TOP-SECRET-$$-$RANDOM"
    echo "$words" >"$secret"
    chmod 600 "$secret"
    for code in "pub const LEAK: &str = include_str!(\"$secret\");" \
        "pub const LEAK: &[u8] = include_bytes!(\"$secret\");" \
        "#[path = \"$secret\"] mod leak;" \
        "compile_error!(include_str!(\"$secret\"));"; do
        submit "$repo" .
        echo "$code" >>"$fake/submission/crates/rio/src/lib.rs"
        grade zero
        python3 - "$fake/results/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
status = r.get("extra_data", {}).get("status")
assert status == "compile_error", f"status {status!r}, want compile_error"
assert "ermission denied" in r["output"], r["output"]
print("a compile-error row: the compiler was denied the file")
PY
        if grep -rl "$words" "$fake/results" "$fake/logs" "$fake/last-run.txt" "$fake/work"; then
            echo "test.sh: the root-only file's text reached the results, the logs or the work copy" >&2
            exit 1
        fi
        echo "the file's text is nowhere"
    done
    no_uid_left

    echo "--- 9. a build over the memory limit: a row that names it; the next submission builds normally"
    build_over_limit GRADER_BUILD_MEMORY $((2 << 30)) "memory limit" \
        <<<'pub const BIG: [u8; 1 << 32] = [7; 1 << 32]; pub fn big(n: usize) -> u8 { BIG[n % 3] }'

    echo "--- 10. a build that writes without end: a row that names the output limit; the next builds normally"
    # One unused variable with a 600,000-letter name: 1.2 MB of warning.
    build_over_limit GRADER_BUILD_OUTPUT $((1 << 20)) "output limit" \
        < <(python3 -c "print('pub fn noisy() { let x' + 'a' * 600000 + ' = 1; }')")
    python3 - "$fake/results/results.json" "$seed" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["extra_data"]["seed"] == int(sys.argv[2]), (r["extra_data"]["seed"], sys.argv[2])
print("the same files drew the same seed")
PY

    echo "--- 11. include_str! of the held-back checks: a compile error, their text nowhere"
    # A line of the held-back grader's source, to look for.
    words="the held-back ones last within their lab"
    grep -q "$words" "$repo/grader/src/bin/held-back/main.rs"
    for path in "$fake/source/grader/src/bin/held-back/main.rs" \
        "$fake/work/grader/src/bin/held-back/main.rs"; do
        submit "$repo" .
        echo "pub const LEAK: &str = include_str!(\"$path\"); pub fn leak() { eprintln!(\"{LEAK}\"); }" \
            >>"$fake/submission/crates/rio/src/lib.rs"
        grade zero
        python3 - "$fake/results/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
status = r.get("extra_data", {}).get("status")
assert status == "compile_error", f"status {status!r}, want compile_error"
print("a compile-error row")
PY
        if grep -rl "$words" "$fake/results" "$fake/logs" "$fake/last-run.txt"; then
            echo "test.sh: the held-back checks' text reached the results or the logs" >&2
            exit 1
        fi
        echo "their text is nowhere ($path)"
    done
    no_uid_left

    echo "--- 12. reading the held-back grader's executable at run time: denied, full marks"
    submit "$repo" .
    cheat_in_readn "    for p in [std::env::current_exe().ok(), Some(\"/proc/self/exe\".into())].into_iter().flatten() {
        let p: std::path::PathBuf = p;
        if let Ok(b) = std::fs::read(&p) { panic!(\"read {} ({} bytes)\", p.display(), b.len()); }
    }"
    grade full
    no_uid_left
fi

echo "test.sh: passed"
