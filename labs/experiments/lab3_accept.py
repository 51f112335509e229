#!/usr/bin/env python3
"""Lab 3, the accept loop: what `accept` does with a client that reset while
it waited, and with no descriptor left.

Handout: labs/src/lab3-echoserver.md (Step 2) and the reference's
crates/echoserver/src/main.rs. The claims, on Linux:

1. a client that connects, sends a line and resets before the server calls
   `accept` does not make `accept` fail: `accept` returns its socket (with
   its address); the line is read first, then the next read fails with
   ECONNRESET. (ECONNABORTED from `accept` is what the BSDs return for
   such a client.)
2. when the process has no descriptor left, `accept` fails with EMFILE
   and the client stays in the queue, so the next `accept` fails again at
   once: a loop that only logs and retries spins (here: 1000 failures in a
   few milliseconds). Once a descriptor is free, `accept` returns that
   same client.
"""

import os
import resource
import socket
import struct
import time

from common import Report, errname, reads, tcp_sockets, wait_until


def reset_before_accept(report):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    cport = client.getsockname()[1]
    client.send(b"hi\n")
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # RST, while the connection waits in the accept queue
    # The reset is processed: the queued connection left the ESTABLISHED table.
    wait_until(lambda: not any(l == port and r == cport for l, r, _ in tcp_sockets()),
               "reset of the queued connection")
    report.note("the client connected, sent b'hi\\n' and reset; no accept() yet")
    try:
        conn, peer = listener.accept()
        accepted = f"a socket from port {peer[1]}"
    except OSError as e:
        report.check("accept()", errname(e), f"a socket from port {cport}")
        return
    report.check("accept()", accepted, f"a socket from port {cport}")
    report.check("then two reads", reads(conn, 2), "b'hi\\n', ECONNRESET")
    conn.close()
    listener.close()


def accept_without_descriptors(report):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    client = socket.create_connection(listener.getsockname(), timeout=5)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowest_free = os.dup(0)
    os.close(lowest_free)
    failures, other, started = 0, None, time.monotonic()
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, hard))  # no new descriptor
    try:
        for _ in range(1000):
            try:
                conn, _ = listener.accept()
                other = "a connection"
                conn.close()
                break
            except OSError as e:
                if errname(e) != "EMFILE":
                    other = errname(e)
                    break
                failures += 1
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    took = time.monotonic() - started
    report.check("1000 accept() calls with no descriptor left", f"{failures} x EMFILE" if other is None else other,
                 "1000 x EMFILE")
    report.note(f"... in {took * 1000:.1f} ms: the loop does not wait for anything")
    listener.settimeout(5)
    conn, peer = listener.accept()
    report.check("accept() once a descriptor is free: the waiting client",
                 peer[1] == client.getsockname()[1], True)
    for s in (conn, client, listener):
        s.close()


def main():
    report = Report("lab3_accept: accept() and a client that reset in the queue; accept() and EMFILE")
    reset_before_accept(report)
    accept_without_descriptors(report)
    report.finish()


if __name__ == "__main__":
    main()
