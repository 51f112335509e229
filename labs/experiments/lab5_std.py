#!/usr/bin/env python3
"""Lab 5: what Rust's std and rustc do underneath, seen with strace and
the assembly.

Claims (labs/src/lab5-concurrency.md step 3, labs/src/lab5/event-loop.md,
labs/src/lab5/threads.md, labs/src/lab5/fork.md):

1. `set_nonblocking(true)` is one `ioctl(fd, FIONBIO, [1])` (no `fcntl`),
   and it sets the descriptor's `O_NONBLOCK` flag (04000 in its flags, as
   `fcntl(F_GETFL)` would read them).
2. `fetch_add` compiles (rustc -O, x86-64) to `lock add` when its result is
   unused, to `lock xadd` when it is used.
3. `Command::status` starts the child with `clone3(CLONE_VM|CLONE_VFORK)`
   (glibc's `posix_spawn`) and `execve`; with a `pre_exec` hook, with a
   plain fork (`clone` without `CLONE_VM`), then `execve`, and the same
   with a uid to switch to.
4. When no thread can be made, `thread::Builder::spawn` returns an error
   and `thread::spawn` panics (made to happen with a default stack size,
   RUST_MIN_STACK, too large to map).
5. A thread that panics ends alone: its handle dropped, the process goes
   on and exits 0.
6. A spawned thread's stack is 2 MiB of address space, of which only the
   touched pages are resident (a few KiB).
7. `echoservers`, the workspace's (in the starter: yours), waits in `ppoll`
   (rustix makes that system call itself), and accepts, reads and writes
   with `accept4`, `recvfrom` and `sendto`: the names `strace` shows.

The Rust programs are rust/lab5_std_calls.rs and rust/lab5_fetch_add.rs,
compiled here with the workspace's rustc. The strace parts are skipped,
with a line, where `strace` is not installed (`apt-get install strace`);
the assembly part where the machine is not x86-64. Linux; any user.
"""

import os
import platform
import re
import select
import socket
import shutil
import subprocess
import tempfile
from pathlib import Path

from common import Report

HERE = Path(__file__).resolve().parent


def rustc(args, tmp):
    subprocess.run(["rustc", "-O", "--edition", "2024", *args], cwd=tmp, check=True, timeout=120,
                   capture_output=True)


def traced(strace, exe, mode, calls):
    """strace -f of `exe mode`, only `calls`: its trace (stderr) and stdout."""
    out = subprocess.run([strace, "-f", "-e", f"trace={calls}", str(exe), mode],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"{exe.name} {mode} under strace: exit {out.returncode}\n{out.stderr}")
    return out.stderr, out.stdout


def main():
    r = Report("lab 5: std's set_nonblocking and Command, rustc's fetch_add (Linux)")
    if shutil.which("rustc") is None:
        r.skip("everything", "no rustc on PATH")
        r.finish()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if platform.machine() in ("x86_64", "AMD64"):
            rustc(["--crate-type", "lib", "--emit", "asm", "-o", "fetch_add.s",
                   str(HERE / "rust" / "lab5_fetch_add.rs")], tmp)
            asm = (tmp / "fetch_add.s").read_text()

            def body(name):
                m = re.search(rf"^{name}:\n(.*?)\n\s*(ret|retq)\b", asm, re.S | re.M)
                return " ".join(m.group(1).split()) if m else ""

            unused = re.findall(r"lock\s+(\w+)", body("add_unused"))
            used = re.findall(r"lock\s+(\w+)", body("add_used"))
            r.check("fetch_add, result unused: the locked instruction", unused, ["addq"])
            r.check("fetch_add, result used: the locked instruction", used, ["xaddq"])
        else:
            r.skip("lock add / lock xadd", f"not x86-64 ({platform.machine()})")

        strace = shutil.which("strace")
        if strace is None:
            r.skip("set_nonblocking's and Command's system calls", "strace is not installed")
            r.finish()
        exe = tmp / "lab5_std_calls"
        rustc(["-o", str(exe), str(HERE / "rust" / "lab5_std_calls.rs")], tmp)

        trace, flags = traced(strace, exe, "nonblocking", "ioctl,fcntl")
        between = trace.split("MARK set_nonblocking", 1)[1].split("MARK done", 1)[0]
        calls = [line.split("(", 1)[0] + "(" + line.split("(", 1)[1].split(",")[1].strip()
                 for line in between.splitlines()[1:] if "(" in line]
        r.check("system calls made by set_nonblocking(true)", calls, ["ioctl(FIONBIO"])
        r.check("O_NONBLOCK (04000) in the descriptor's flags after it", bool(int(flags.strip(), 8) & 0o4000), True)

        trace, _ = traced(strace, exe, "spawn", "clone,clone3,fork,vfork,execve")
        starts = re.findall(r"\b(clone3?|v?fork)\((.*?flags=([A-Z_|0-9]+))?", trace)
        shown = [f"{call}({flags_})" if flags_ else call for call, _, flags_ in starts]
        r.check("Command::status: how the child starts", shown, ["clone3(CLONE_VM|CLONE_VFORK)"])
        r.check("and the child execs", "execve(\"/usr/bin/true\"" in trace or "execve(\"/bin/true\"" in trace, True)

        run = lambda mode, **env: subprocess.run([str(exe), mode], capture_output=True, text=True, timeout=60,
                                                 env=dict(os.environ, RUST_BACKTRACE="0", **env))
        huge = str(1 << 50)
        out = run("builder", RUST_MIN_STACK=huge)
        r.check("no thread can be made: Builder::spawn returns", out.stdout.split(":")[0].strip(), "Err")
        out = run("spawn_thread", RUST_MIN_STACK=huge)
        r.check("thread::spawn, the same: it panics (exit 101)",
                (out.returncode, "failed to spawn thread" in out.stderr), (101, True))
        out = run("panic")
        r.check("a thread panics, its handle dropped: the process", (out.returncode, out.stdout.strip()),
                (0, "still running"))
        size, rss = map(int, run("stack").stdout.split())
        r.check("a spawned thread's stack mapping", f"{size >> 10} KiB", "2048 KiB")
        r.note(f"resident of it: {rss >> 10} KiB")
        r.check("only the touched pages are resident (under 64 KiB)", rss < 64 << 10, True)

        trace, _ = traced(strace, exe, "pre_exec", "clone,clone3,fork,vfork,execve")
        starts = re.findall(r"\b(clone3?|v?fork)\((.*?flags=([A-Z_|0-9]+))?", trace)
        vm = [("CLONE_VM" in flags_) for _, _, flags_ in starts]
        r.note("with pre_exec: " + "; ".join(f"{c}({f})" for c, _, f in starts))
        r.check("with pre_exec: one child, started without CLONE_VM (a fork)", vm, [False])
        trace, _ = traced(strace, exe, "uid", "clone,clone3,fork,vfork,execve")
        starts = re.findall(r"\b(clone3?|v?fork)\((.*?flags=([A-Z_|0-9]+))?", trace)
        r.check("with a uid: one child, started without CLONE_VM (a fork)", [("CLONE_VM" in f) for _, _, f in starts], [False])

    server = echoservers_path()
    if not server.exists():
        r.skip("echoservers' system calls", f"{server} is not built (cargo build -p echoservers)")
        r.finish()
    names = trace_echoservers(strace, server)
    if names is None:
        r.skip("echoservers' system calls", "it did not say `listening on port N` (is lab 5 done?)")
    else:
        r.check("echoservers waits in", sorted(names & {"poll", "ppoll", "select", "pselect6", "epoll_wait"}), ["ppoll"])
        r.check("and accepts, reads, writes with", sorted(names & {"accept", "accept4", "recvfrom", "sendto", "read", "recv", "send"}),
                ["accept4", "recvfrom", "sendto"])
    r.finish()


def echoservers_path():
    if os.environ.get("ECHOSERVERS"):
        return Path(os.environ["ECHOSERVERS"])
    root = HERE.parent.parent
    return Path(os.environ.get("CARGO_TARGET_DIR") or root / "target") / "debug" / "echoservers"


def trace_echoservers(strace, server):
    """The system call names echoservers makes for one client's line, or None."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "trace"
        proc = subprocess.Popen([strace, "-f", "-qq", "-o", str(log), str(server), "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 10)
            line = proc.stdout.readline().decode() if ready else ""
            m = re.match(r"listening on port (\d+)", line)
            if not m:
                return None
            with socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=10) as c:
                c.sendall(b"hello\n")
                got = b""
                while not got.endswith(b"\n"):
                    chunk = c.recv(100)
                    if not chunk:
                        break
                    got += chunk
        finally:
            proc.kill()
            proc.wait()
        # from the `listening` line on: before it, std's start-up polls the
        # standard descriptors and the loader reads the libraries
        text = log.read_text()
        text = text[text.find("listening on port"):]
        return {m.group(1) for m in re.finditer(r"^(?:\d+\s+)?(\w+)\(", text, re.M)}


if __name__ == "__main__":
    main()
