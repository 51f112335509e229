#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image
# (Ubuntu, with network). The autograder zip, made by
# `cargo xtask gradescope DIR`, is unpacked in /autograder/source: the student
# starter workspace (grader included) with this script and run_autograder.
#
# It installs a Rust toolchain where run_autograder looks for it, fetches every
# crate of Cargo.lock, builds the supervisor (grader-sandbox), and compiles the
# workspace once in the place where run_autograder grades, so that a
# submission only recompiles the lab crates.
set -euo pipefail

root=${GRADESCOPE_ROOT:-/autograder}
# The toolchain: the first line of toolchain.txt in the zip, which
# `cargo xtask gradescope` writes (the instructor's rust-toolchain.toml, else
# the rustc the zip was made with), so that every student of the term is
# graded by the compiler you tested with. Edit the file to change it;
# Gradescope has no way to set an environment variable for this script.
toolchain=$(sed -n '/^[[:space:]]*[^#[:space:]]/{s/[[:space:]]//g;p;q}' \
    "$root/source/toolchain.txt" 2>/dev/null || true)
toolchain=${toolchain:-stable}
echo "setup.sh: toolchain $toolchain (from $root/source/toolchain.txt)"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# cc links Rust binaries.
apt-get install -y -q --no-install-recommends build-essential ca-certificates curl

# rustup, outside any home directory (as the official Rust images do), so that
# run_autograder finds it whatever HOME is then.
export RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo
export PATH=$CARGO_HOME/bin:$PATH
if command -v rustup >/dev/null 2>&1; then
    echo "setup.sh: rustup is already installed at $(command -v rustup): not downloaded"
else
    echo "setup.sh: installing rustup from https://sh.rustup.rs"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
        sh -s -- -y --no-modify-path --profile minimal --default-toolchain "$toolchain"
fi
if ! rustup toolchain list | awk -v t="$toolchain" 'index($1, t) == 1 { found = 1 } END { exit !found }'; then
    rustup toolchain install "$toolchain" --profile minimal
fi
rustup default "$toolchain"
cargo --version

# The unprivileged check processes must reach the workspace and the binaries.
chmod 755 "$root" "$root/source"
mkdir -p "$root/cache"
chmod 755 "$root/cache"

cd "$root/source"
cargo fetch --locked
cargo build --locked -q -p grader-sandbox --target-dir "$root/cache/sandbox"

# Warm up exactly as run_autograder grades: the same work path and target
# directory, the starter as the submission (it scores 0, quickly).
GRADESCOPE_ROOT=$root CARGO_NET_OFFLINE=true "$root/cache/sandbox/debug/grader-sandbox" \
    grade-submission --base "$root/source" --submission "$root/source" \
    --work "$root/work" --target-dir "$root/cache/target" \
    --results "$root/cache/warm-up.json" --uid-base 47000 --timeout 3600
rm -rf "$root/work"
echo "setup.sh: ready"
