#!/usr/bin/env bash
# Gradescope, as it runs there, as far as this machine allows: a fresh root
# filesystem, setup.sh run for real in it, then run_autograder on the
# reference (full marks) and on the starter (0). From the repository root, as
# root (debootstrap, chroot and mounts need it):
#
#   bash autograder/gradescope/chroot-test.sh
#
# 1. The root filesystem: Debian bookworm (minbase), made by debootstrap from
#    Debian's mirror. Gradescope's base images are Ubuntu; only Debian's
#    mirror can be reached from this project's CI machines, so this is the
#    nearest we can build. The pristine debootstrap is kept as a tarball in
#    the cache and unpacked fresh for every run (setup.sh never sees an
#    earlier run's files); apt's downloaded packages are kept too (setup.sh
#    still runs apt-get for real).
# 2. The autograder zip's content, written by `cargo xtask gradescope`, in
#    /autograder/source, run_autograder in /autograder, as Gradescope lays
#    them out.
# 3. setup.sh, run in the chroot. It installs rustup from sh.rustup.rs when
#    this machine can reach it; when it cannot, this machine's own toolchain
#    of toolchain.txt's version is bind-mounted (read-only) where setup.sh
#    looks, so setup.sh finds rustup installed and uses it. The output says
#    which.
# 4. run_autograder on the reference's crates/*/src: full marks; on the
#    starter's: 0. results.json says Markdown and what was graded ("as
#    uploaded"), and the starter's feedback.md is under 30 KB. The
#    reference is graded a second time with the grading limited to half a
#    CPU (a cgroup), and its score, time and peak memory are printed (with
#    the machine's load: a measurement, not a verdict): the figures behind
#    the timeout and memory that autograder/gradescope/README.md recommends.
#
# Not as root, it says so and exits 0 (CI runs as root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$PWD

if [ "$(id -u)" != 0 ]; then
    echo "chroot-test: skipped: it needs root (debootstrap, chroot, mount); CI runs it as root"
    exit 0
fi

suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${CARGO_TARGET_DIR:-$repo/target}/gradescope-chroot
# The chroot itself: somewhere every user may enter (the checks run as
# unprivileged uids inside it).
root=${TMPDIR:-/tmp}/echo-lab-gradescope-chroot
started=$SECONDS

say() { printf 'chroot-test: %s (%ss)\n' "$1" "$((SECONDS - started))"; }
fail() { printf 'chroot-test: FAILED: %s\n' "$1" >&2; exit 1; }

# Everything mounted under $root, deepest first; then the tree, never
# crossing into a mount (so /dev of the host can't be removed through it).
cleanup() {
    if [ -d "$root" ]; then
        findmnt -rn -o TARGET | grep -F "$root/" | sort -r | while read -r m; do
            umount -l "$m" 2>/dev/null || true
        done
        # A bind mount left in place would be removed through: refuse.
        if findmnt -rn -o TARGET | grep -qF "$root/"; then
            echo "chroot-test: mounts are left under $root; not removing it" >&2
            return
        fi
        rm -rf --one-file-system "$root"
    fi
    if [ -n "${cgroup_dirs:-}" ]; then
        for d in $cgroup_dirs; do rmdir "$d" 2>/dev/null || true; done
    fi
}
trap cleanup EXIT
trap "exit 130" INT TERM HUP PIPE
cleanup

mkdir -p "$cache/apt-archives"
if [ ! -s "$cache/$suite-minbase.tar" ]; then
    if ! command -v debootstrap >/dev/null 2>&1; then
        say "installing debootstrap"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null 2>&1
    fi
    say "debootstrap $suite (minbase) from $mirror, once; kept in $cache"
    tmp=$cache/debootstrap.tmp
    rm -rf --one-file-system "$tmp"
    debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
        { tail -20 "$cache/debootstrap.log"; fail "debootstrap"; }
    tar -C "$tmp" -cf "$cache/$suite-minbase.tar.tmp" .
    mv "$cache/$suite-minbase.tar.tmp" "$cache/$suite-minbase.tar"
    rm -rf --one-file-system "$tmp"
fi

say "a fresh root filesystem: Debian $suite (Gradescope's base images are Ubuntu; Debian's is the mirror this machine reaches)"
mkdir -p "$root"
tar -C "$root" -xf "$cache/$suite-minbase.tar"
chmod 755 "$root"
chmod 1777 "$root/tmp"
# What a container runtime gives every container (Gradescope's too): the
# name server, and /etc/hosts, which debootstrap leaves out (without it,
# `localhost` does not resolve, and the checks that connect to it fail).
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp /etc/hosts "$root/etc/hosts"
# This machine may reach crates.io through a proxy that its own CA bundle
# trusts and Debian's does not: cargo in the chroot gets that bundle
# (CARGO_HTTP_CAINFO), and Debian's own store stays as setup.sh makes it.
host_ca=${CARGO_HTTP_CAINFO:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
if [ -f "$host_ca" ]; then
    cp "$host_ca" "$root/etc/this-machine-ca.crt"
fi
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"

say "the autograder zip's content (cargo xtask gradescope), as Gradescope unpacks it"
cargo xtask gradescope "$root/autograder/source" >"$cache/xtask.log" 2>&1 ||
    { cat "$cache/xtask.log"; fail "cargo xtask gradescope"; }
grep '^Gradescope: toolchain' "$cache/xtask.log"
cp "$root/autograder/source/run_autograder" "$root/autograder/run_autograder"
toolchain=$(sed -n '1{s/[[:space:]]//g;p}' "$root/autograder/source/toolchain.txt")

# The toolchain: setup.sh's own download when sh.rustup.rs answers, else this
# machine's, read-only, where setup.sh and run_autograder look for it.
if curl -sSf --max-time 15 -o /dev/null https://sh.rustup.rs 2>/dev/null; then
    say "toolchain: sh.rustup.rs is reachable: setup.sh downloads rustup and $toolchain itself"
else
    host=$(rustc -vV | sed -n 's/^host: //p')
    rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
    mine=$rustup_home/toolchains/$toolchain-$host
    if [ ! -d "$mine" ]; then
        # The active toolchain, if it is that version (a `stable` that is 1.95.0).
        sysroot=$(rustc --print sysroot)
        if [ "$(rustc -V | awk '{print $2}')" = "$toolchain" ]; then
            mine=$sysroot
        else
            fail "sh.rustup.rs is unreachable and this machine has no $toolchain toolchain ($(rustc -V))"
        fi
    fi
    inside=$root/usr/local/rustup/toolchains/$toolchain-$host
    mkdir -p "$inside" "$root/usr/local/cargo/bin"
    mount --bind "$mine" "$inside"
    mount -o remount,bind,ro "$inside"
    cp "$(command -v rustup)" "$root/usr/local/cargo/bin/rustup"
    for proxy in cargo rustc rustdoc; do
        ln -sf rustup "$root/usr/local/cargo/bin/$proxy"
    done
    say "toolchain: sh.rustup.rs is unreachable from here, so this machine's own: $toolchain ($("$mine/bin/rustc" -V)) from $mine, bind-mounted read-only at /usr/local/rustup, with this machine's rustup ($(rustup -V 2>/dev/null | head -1))"
fi

# Runs a command in the chroot as Gradescope does: root, a plain environment.
in_chroot() {
    local ca=()
    if [ -f "$root/etc/this-machine-ca.crt" ]; then
        ca=(CARGO_HTTP_CAINFO=/etc/this-machine-ca.crt)
    fi
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 "${ca[@]}" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

say "setup.sh, for real, in the chroot (apt-get, rustup, cargo fetch from crates.io, the warm-up)"
t=$SECONDS
in_chroot bash -c 'cd /autograder/source && bash ./setup.sh' >"$cache/setup.log" 2>&1 ||
    { tail -40 "$cache/setup.log"; fail "setup.sh"; }
grep '^setup.sh: ' "$cache/setup.log"
grep '^cargo ' "$cache/setup.log" || true
say "setup.sh took $((SECONDS - t)) s"

# The student starter, for the second submission.
starter=$cache/starter
rm -rf "$starter"
cargo xtask starter "$starter" >/dev/null

# A submission laid out as the student's repository: crates/*/src from $1.
submit() {
    rm -rf "$root/autograder/submission" "$root/autograder/results"
    mkdir -p "$root/autograder/submission/crates"
    for src in "$1"/crates/*/src; do
        crate=$(basename "$(dirname "$src")")
        mkdir -p "$root/autograder/submission/crates/$crate"
        cp -R "$src" "$root/autograder/submission/crates/$crate/"
    done
}

# run_autograder in the chroot (under `$2`, a wrapper, if given); checks
# results.json against $1: full or zero.
grade() {
    local want=$1 t=$SECONDS
    shift
    in_chroot "$@" bash /autograder/run_autograder >"$cache/run-$want.log" 2>&1 ||
        { tail -30 "$cache/run-$want.log"; fail "run_autograder ($want)"; }
    cp "$root/autograder/results/results.json" "$cache/results-$want.json"
    python3 "$repo/.ci/grader_output.py" results "$root/autograder/results/results.json" "$want" ||
        { tail -30 "$cache/run-$want.log"; fail "results.json of the $want submission"; }
    python3 - "$root/autograder/results/results.json" <<'PY' || fail "results.json's format or its first lines"
import json, sys
r = json.load(open(sys.argv[1]))
assert r.get("output_format") == "md", r.get("output_format")
assert r["output"].startswith("## echo-lab grader: "), r["output"][:200]
graded = r["extra_data"]["graded"]
assert graded["commit"] is None and graded["picked_by"].startswith("as uploaded"), graded
assert "as uploaded" in r["output"].split("\n\n")[1], r["output"][:300]
print(f"results.json: Markdown, graded {graded['picked_by']!r}, grader {graded['grader']}")
PY
    local bytes
    bytes=$(wc -c <"$root/autograder/logs/feedback.md")
    say "run_autograder ($want) took $((SECONDS - t)) s; feedback.md is $bytes bytes"
    # A fresh starter fails every check: its feedback must still be short.
    if [ "$want" = zero ] && [ "$bytes" -ge 30000 ]; then
        fail "the starter's feedback.md is $bytes bytes (limit 30000)"
    fi
}

say "run_autograder on the reference: full marks"
submit "$repo"
grade full

say "run_autograder on the starter: 0"
submit "$starter"
grade zero

# The reference again with grading held to half a CPU, for the figures
# behind the recommended timeout and memory. A cgroup (v1 or v2) gives the
# limit and the peak memory of everything in it; without one, one CPU
# (taskset) and no memory figure.
say "the reference again, at half a CPU: time and peak memory"
submit "$repo"
limit=()
peak=
cg=echo-lab-chroot-test-$$
if [ -w /sys/fs/cgroup/cpu ] && [ -w /sys/fs/cgroup/memory ]; then
    mkdir "/sys/fs/cgroup/cpu/$cg" "/sys/fs/cgroup/memory/$cg"
    cgroup_dirs="/sys/fs/cgroup/cpu/$cg /sys/fs/cgroup/memory/$cg"
    echo 100000 >"/sys/fs/cgroup/cpu/$cg/cpu.cfs_period_us"
    echo 50000 >"/sys/fs/cgroup/cpu/$cg/cpu.cfs_quota_us"
    limit=(sh -c "echo \$\$ > /sys/fs/cgroup/cpu/$cg/cgroup.procs && echo \$\$ > /sys/fs/cgroup/memory/$cg/cgroup.procs && exec \"\$@\"" sh)
    peak=/sys/fs/cgroup/memory/$cg/memory.max_usage_in_bytes
    how="a cgroup (v1) with cpu.cfs_quota_us 50000 of 100000"
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null &&
    mkdir "/sys/fs/cgroup/$cg" 2>/dev/null; then
    cgroup_dirs="/sys/fs/cgroup/$cg"
    echo "50000 100000" >"/sys/fs/cgroup/$cg/cpu.max"
    limit=(sh -c "echo \$\$ > /sys/fs/cgroup/$cg/cgroup.procs && exec \"\$@\"" sh)
    peak=/sys/fs/cgroup/$cg/memory.peak
    how="a cgroup (v2) with cpu.max 50000 100000"
else
    limit=(taskset -c 0)
    how="one CPU (taskset; no cgroup here, so no memory figure)"
fi
# The chroot is entered from inside the limit, so all of grading is in it.
t=$SECONDS
"${limit[@]}" chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash /autograder/run_autograder >"$cache/run-half.log" 2>&1 ||
    { tail -30 "$cache/run-half.log"; fail "run_autograder at half a CPU"; }
took=$((SECONDS - t))
cp "$root/autograder/results/results.json" "$cache/results-half.json"
# A measurement, not a verdict: on a machine that other jobs keep busy, half
# a CPU can become much less, and checks then miss their deadlines. The
# score is printed with the load, and the checks that failed are named.
score=$(python3 - "$cache/results-half.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
failed = [t["extra_data"]["id"] for t in r["tests"] if t["status"] != "passed"]
line = f"{r['score']}/{r['extra_data']['max_score']}"
if failed:
    line += f" ({len(failed)} checks failed, e.g. {', '.join(failed[:3])})"
print(line)
PY
)
load=$(uptime | sed 's/.*load average: //')
if [ -n "$peak" ] && [ -r "$peak" ]; then
    mib=$(($(cat "$peak") / 1048576))
    say "at half a CPU ($how): the reference got $score in ${took} s, peak memory ${mib} MiB (page cache included); load average $load"
else
    say "with $how: the reference got $score in ${took} s; load average $load"
fi

say "passed: setup.sh in a fresh Debian $suite root, the reference full marks, the starter 0"
