#!/usr/bin/env python3
"""Lab 2, a host without IPv6: what fails, and when `open_listenfd` falls
back to 0.0.0.0.

Handout: labs/src/lab2/dual-stack.md ("When there's no IPv6") and Step 4
of labs/src/lab2-netutil.md. The claims, on Linux:

1. with IPv6 switched off by sysctl (net.ipv6.conf.*.disable_ipv6 = 1, as
   many containers are), `socket(AF_INET6)` and `bind([::])` still
   succeed, and IPv4 clients still connect to that socket, as
   `::ffff:127.0.0.1`; only binding `::1` fails (EADDRNOTAVAIL). So a
   dual-stack server needs no fallback there;
2. the fallback runs where `socket(AF_INET6)` itself fails with
   EAFNOSUPPORT: a kernel booted with `ipv6.disable=1`, or built without
   IPv6. That is made to happen here for one process, with a seccomp
   filter that fails its `socket(AF_INET6, ...)` calls with EAFNOSUPPORT:
   the echo server (this workspace's target/debug/echoserver, or
   $ECHOSERVER) must still say `listening on port N`, listen on 0.0.0.0
   and echo an IPv4 client's line.

Both parts run only in a network namespace of its own: the sysctl is set
there and nowhere else, and the server's 0.0.0.0 is that namespace's.
"""

import ctypes
import os
import platform
import select
import socket
import struct
import subprocess
import sys

from common import NO_NAMESPACE, Report, echoserver_path, enter_namespace, errname, recv_up_to, sysctl

# (AUDIT_ARCH_*, the number of `socket`) for the filter.
ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}
EAFNOSUPPORT = 97


def deny_ipv6_sockets():
    """Installs a seccomp filter: socket(AF_INET6, ...) fails with
    EAFNOSUPPORT, every other system call runs as usual. For this process
    and what it executes; no privilege needed (PR_SET_NO_NEW_PRIVS)."""
    audit_arch, nr_socket = ARCH[platform.machine()]
    ld_abs, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, fail = 0x7FFF0000, 0x00050000 | EAFNOSUPPORT  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO

    def op(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)

    program = b"".join([
        op(ld_abs, 0, 0, 4), op(jeq, 0, 5, audit_arch),  # seccomp_data.arch
        op(ld_abs, 0, 0, 0), op(jeq, 0, 3, nr_socket),  # seccomp_data.nr
        op(ld_abs, 0, 0, 16), op(jeq, 0, 1, socket.AF_INET6),  # args[0], the domain
        op(ret, 0, 0, fail),
        op(ret, 0, 0, allow),
    ])

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    code = ctypes.create_string_buffer(program, len(program))
    prog = Program(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(38, 1, None, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def sysctl_off(report):
    for conf in ("all", "default", "lo"):
        sysctl(f"net.ipv6.conf.{conf}.disable_ipv6", 1)
    report.note("net.ipv6.conf.{all,default,lo}.disable_ipv6 = 1 in this namespace")
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError as e:
        report.check("socket(AF_INET6)", errname(e), "ok")
        return
    report.check("socket(AF_INET6)", "ok", "ok")
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    try:
        s.bind(("::", 0))
        report.check("bind([::]:0)", "ok", "ok")
    except OSError as e:
        report.check("bind([::]:0)", errname(e), "ok")
        return
    s.listen(8)
    c = socket.create_connection(("127.0.0.1", s.getsockname()[1]), timeout=5)
    conn, peer = s.accept()
    report.check("a client of 127.0.0.1 is accepted, from", peer[0], "::ffff:127.0.0.1")
    for x in (c, conn, s):
        x.close()
    loop6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        loop6.bind(("::1", 0))
        report.check("bind([::1]:0)", "ok", "EADDRNOTAVAIL")
    except OSError as e:
        report.check("bind([::1]:0)", errname(e), "EADDRNOTAVAIL")
    loop6.close()


def fallback(report):
    server = echoserver_path()
    if not server.exists():
        report.skip("open_listenfd's fallback to 0.0.0.0", f"no {server}: run `cargo build -p echoserver` first")
        return
    # This script, run again, installs the filter and executes the server.
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--deny-ipv6-exec", str(server), "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        first = proc.stdout.readline() if ready else b"(nothing within 10 s)"
        words = first.decode(errors="replace").split()
        report.check("echoserver 0, with socket(AF_INET6) failing: it says",
                     " ".join(words[:3]), "listening on port")
        if words[:3] != ["listening", "on", "port"]:
            proc.kill()
            report.note(f"its stderr: {proc.stderr.read(2000).decode(errors='replace').strip()}")
            return
        port = int(words[3])
        tables = sorted({"tcp6 ([::])" if v6 else "tcp (0.0.0.0)" for v6 in v6_listeners(port)})
        report.check("it listens on", tables, ["tcp (0.0.0.0)"])
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(b"no ipv6 here\n")
        c.settimeout(5)
        got = recv_up_to(c, 13)
        c.close()
        report.check("a client of 127.0.0.1 gets its echo", got, b"no ipv6 here\n")
    finally:
        proc.kill()
        proc.wait(10)


def v6_listeners(port):
    """For each listener on `port`: True if it is in /proc/net/tcp6."""
    found = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        for line in open(table).read().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                found.append(v6)
    return found


def main():
    if sys.argv[1:2] == ["--deny-ipv6-exec"]:
        deny_ipv6_sockets()
        os.execv(sys.argv[2], sys.argv[2:])
    namespace = enter_namespace()
    report = Report("lab2_no_ipv6: IPv6 switched off by sysctl, and a kernel without it")
    if not namespace:
        report.skip("disable_ipv6 by sysctl, and the fallback to 0.0.0.0", NO_NAMESPACE)
        report.finish()
    if platform.machine() not in ARCH:
        report.skip("the fallback to 0.0.0.0", f"no seccomp filter written for {platform.machine()}")
    else:
        fallback(report)
    sysctl_off(report)
    report.finish()


if __name__ == "__main__":
    main()
