#!/usr/bin/env python3
"""Lab 2, the backlog: what `listen(fd, N)` queues, and what happens past it.

Handout: labs/src/lab2-netutil.md (the figure, and Step 4). The claims, on
Linux:

1. the kernel completes the handshake by itself: `connect` returns before
   the server has called `accept` at all;
2. `listen(fd, 2)` admits backlog + 1 = 3 such connections (the queue is
   full when it holds *more* than the backlog: sk_acceptq_is_full());
3. past that, the client's SYN is dropped, not refused: its `connect`
   neither succeeds nor fails with ECONNREFUSED, it waits; once the server
   accepts one, the SYN the client sends again (about 1 s after the first)
   gets in and the `connect` completes;
4. the backlog is capped by the sysctl net.core.somaxconn (4096 since
   Linux 5.4, 128 before): with somaxconn = 4, `listen(fd, 100)` admits 5.
   (This part needs a network namespace of its own, to set the sysctl
   there and nowhere else.)

The BSDs differ: they admit up to about 1.5 times the backlog, and cap it
with kern.ipc.somaxconn (128 by default on macOS).
"""

import select
import socket
import time

from common import NO_NAMESPACE, Report, enter_namespace, in_namespace, sysctl

HANDSHAKE = 300  # ms to wait for a handshake that loopback completes at once


def start_connect(addr):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(addr)
    return c


def completes(c, ms):
    poll = select.poll()
    poll.register(c, select.POLLOUT)
    if not poll.poll(ms):
        return "still waiting"
    err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    return "connected" if err == 0 else f"error {err}"


def admitted(backlog, tries):
    """How many of `tries` clients connect before any accept; the listener
    and the clients left waiting."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(backlog)
    done, waiting = [], []
    for _ in range(tries):
        c = start_connect(listener.getsockname())
        (done if completes(c, HANDSHAKE) == "connected" else waiting).append(c)
    return listener, done, waiting


def listen_overflows():
    """TcpExt ListenOverflows of this namespace: SYNs dropped on a full queue."""
    with open("/proc/net/netstat") as f:
        lines = [line.split() for line in f if line.startswith("TcpExt:")]
    return int(dict(zip(lines[0], lines[1]))["ListenOverflows"])


def main():
    namespace = enter_namespace()
    report = Report("lab2_backlog: connections nobody accepted yet")
    listener, done, waiting = admitted(2, 5)
    report.check("listen(fd, 2), 5 clients, no accept: connected", len(done), 3)
    report.check(f"the 4th client after {HANDSHAKE} ms", completes(waiting[0], 0) if waiting else "connected",
                 "still waiting")
    listener.accept()[0].close()
    started = time.monotonic()
    report.check("after one accept(), the 4th client (within 5 s)", completes(waiting[0], 5000) if waiting else "-",
                 "connected")
    report.note(f"... {time.monotonic() - started:.2f} s after the accept: its SYN was sent again")
    if in_namespace():
        report.check("SYNs this namespace dropped on a full accept queue (ListenOverflows)",
                     listen_overflows() > 0, True)
    for c in done + waiting + [listener]:
        c.close()

    if namespace and in_namespace():
        report.note(f"net.core.somaxconn in this namespace: {sysctl('net.core.somaxconn', 4)}")
        listener, done, waiting = admitted(100, 8)
        report.check("listen(fd, 100) with somaxconn 4, 8 clients: connected", len(done), 5)
        for c in done + waiting + [listener]:
            c.close()
    else:
        report.skip("the cap by net.core.somaxconn", NO_NAMESPACE)
    report.finish()


if __name__ == "__main__":
    main()
