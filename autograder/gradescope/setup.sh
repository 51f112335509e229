#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image
# (Ubuntu, with network). The autograder zip, made by
# `cargo xtask gradescope DIR`, is unpacked in /autograder/source: the student
# starter workspace (grader included) with this script and run_autograder.
#
# It installs a Rust toolchain where run_autograder looks for it, fetches every
# crate of Cargo.lock, and compiles the workspace once in the place where
# run_autograder grades, so that a submission only recompiles the lab crates.
set -euo pipefail

root=${GRADESCOPE_ROOT:-/autograder}
# The toolchain: stable when the image is built; pin a version (1.95.0) for a
# term, so that every student is graded by the same compiler.
toolchain=${RUST_TOOLCHAIN:-stable}

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# cc links Rust binaries; python3 writes results.json when the build fails.
apt-get install -y -q --no-install-recommends build-essential ca-certificates curl python3

# rustup, outside any home directory (as the official Rust images do), so that
# run_autograder finds it whatever HOME is then.
export RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo
export PATH=$CARGO_HOME/bin:$PATH
if ! command -v rustup >/dev/null 2>&1; then
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
        sh -s -- -y --no-modify-path --profile minimal --default-toolchain "$toolchain"
fi
rustup default "$toolchain"
cargo --version

# Warm up exactly as run_autograder builds: same directory, same target
# directory, so that only what a submission changes is compiled again.
export CARGO_TARGET_DIR=$root/cache/target CARGO_TERM_COLOR=never
rm -rf "$root/work"
cp -R "$root/source" "$root/work"
cd "$root/work"
cargo fetch --locked
# the workspace: the grader and every lab crate the starter has (lab 5's if it has them)
cargo build --locked --workspace
cd "$root"
rm -rf "$root/work"
echo "setup.sh: ready"
