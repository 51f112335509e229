#!/usr/bin/env python3
"""Lab 1, EINTR: when does a signal make a blocked socket `read` fail?

Handout: labs/src/lab1/short-counts.md ("EINTR: call it again"). The claims:

1. a handler installed with SA_RESTART (what glibc's `signal()` and the
   textbook's `Signal` wrapper do) makes the kernel restart the `read`: the
   program never sees EINTR;
2. a handler installed without SA_RESTART makes the blocked `read` fail
   with EINTR;
3. with a receive timeout (SO_RCVTIMEO) on the socket, the `read` fails
   with EINTR even under SA_RESTART (signal(7); the kernel's
   sock_intr_errno()).

The `read` here is libc's, called through ctypes, so Python's own retry of
EINTR (PEP 475) does not hide what the system call returned. A helper
thread waits until the main thread is blocked in `read` (from
/proc/self/task/TID/syscall), sends it SIGUSR1, waits until the signal was
taken, then sends one byte: a restarted `read` returns that byte.
"""

import ctypes
import errno
import platform
import signal
import socket
import struct
import threading

from common import Report, connected_pair, wait_until

READ = {"x86_64": 0, "aarch64": 63}  # the `read` system call's number
SA_RESTART = 0x10000000


class SigAction(ctypes.Structure):
    """glibc's struct sigaction (x86-64 and aarch64)."""

    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_ulong * 16),
                ("flags", ctypes.c_int), ("restorer", ctypes.c_void_p)]


def blocked_in_read(tid):
    try:
        with open(f"/proc/self/task/{tid}/syscall") as f:
            return f.read().split()[0] == str(READ[platform.machine()])
    except OSError:
        return False


def nothing_pending(tid):
    with open(f"/proc/self/task/{tid}/status") as f:
        for line in f:
            if line.startswith("SigPnd:"):
                return int(line.split()[1], 16) == 0
    return False


def blocked_read(libc, restart, timeout):
    """What a read blocked on a quiet socket returns when SIGUSR1 comes."""
    signal.signal(signal.SIGUSR1, lambda *_: None)
    signal.siginterrupt(signal.SIGUSR1, not restart)  # False: SA_RESTART
    client, server = connected_pair()
    if timeout:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 5, 0))
    tid = threading.get_native_id()
    done = threading.Event()

    def helper():
        wait_until(lambda: blocked_in_read(tid), "main thread blocked in read")
        signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
        wait_until(lambda: nothing_pending(tid), "SIGUSR1 delivered")
        wait_until(lambda: done.is_set() or blocked_in_read(tid), "read restarted or returned")
        client.send(b"x")

    thread = threading.Thread(target=helper, daemon=True)
    thread.start()
    buf = ctypes.create_string_buffer(16)
    n = libc.read(server.fileno(), buf, 16)
    err = ctypes.get_errno()
    done.set()
    thread.join(10)
    client.close()
    server.close()
    return f"returned {n} byte(s), no error" if n >= 0 else errno.errorcode[err]


def main():
    report = Report("lab1_eintr: a signal arrives while read() waits on a socket")
    if platform.machine() not in READ:
        report.skip("everything", f"the syscall numbers of {platform.machine()} are not known here")
        report.finish()
    libc = ctypes.CDLL(None, use_errno=True)
    # What glibc's signal() installs (never delivered: only read back).
    libc.signal.restype = ctypes.c_void_p
    libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.sigaction.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    handler = ctypes.cast(libc.getpid, ctypes.c_void_p).value
    libc.signal(signal.SIGUSR2, handler)
    old = SigAction()
    libc.sigaction(signal.SIGUSR2, None, ctypes.byref(old))
    libc.signal(signal.SIGUSR2, 0)  # SIG_DFL again
    report.check("glibc's signal() sets SA_RESTART", bool(old.flags & SA_RESTART), True)

    report.check("handler with SA_RESTART: the blocked read", blocked_read(libc, True, False),
                 "returned 1 byte(s), no error")
    report.check("handler without SA_RESTART: the blocked read", blocked_read(libc, False, False), "EINTR")
    report.check("SA_RESTART, but SO_RCVTIMEO set: the blocked read", blocked_read(libc, True, True), "EINTR")
    report.finish()


if __name__ == "__main__":
    main()
