#!/usr/bin/env python3
"""Lab 2, TIME_WAIT: whose SO_REUSEADDR lets a restarted server bind?

Handout: labs/src/lab2/time-wait.md. The claims, on Linux:

1. an accepted socket inherits SO_REUSEADDR from its listener;
2. a new socket binds a port that has connections in TIME_WAIT only if it
   sets SO_REUSEADDR *and* the sockets in TIME_WAIT had it too (so the old
   server's listener must have set it): with either one missing, `bind`
   fails with EADDRINUSE. (The kernel compares both sockets' `sk_reuse`;
   on the BSDs the new socket's option alone is enough.)

Each of the four cases: a listener (with or without SO_REUSEADDR) accepts
one client, the server closes first, so its side of the connection goes to
TIME_WAIT (we wait until /proc/net/tcp shows it), the listener closes, and
a new socket (with or without) binds the same port.

Runs in a network namespace of its own where it can (so the TIME_WAIT
entries go away with it), else on this host's 127.0.0.1.
"""

import socket

from common import Report, enter_namespace, errname, tcp_sockets, wait_until


def restart(old_reuse, new_reuse):
    """Returns (SO_REUSEADDR of the accepted socket, what the new bind did)."""
    listener = socket.socket()
    if old_reuse:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn, _ = listener.accept()
    inherited = conn.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
    conn.close()  # the server closes first: TIME_WAIT on its side, on `port`
    client.recv(1)  # EOF
    client.close()
    listener.close()
    wait_until(lambda: any(l == port and s == "TIME_WAIT" for l, _, s in tcp_sockets()),
               f"a connection in TIME_WAIT on port {port}")
    new = socket.socket()
    if new_reuse:
        new.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        new.bind(("127.0.0.1", port))
        result = "bound"
    except OSError as e:
        result = errname(e)
    new.close()
    return inherited, result


def main():
    where = "in a network namespace of its own" if enter_namespace() else "on this host's 127.0.0.1"
    report = Report(f"lab2_reuseaddr: binding a port that has connections in TIME_WAIT ({where})")
    for old in (False, True):
        for new in (False, True):
            inherited, result = restart(old, new)
            on = {False: "without", True: "with"}
            if new:
                report.check(f"SO_REUSEADDR of a socket accepted by a listener {on[old]} it",
                             "on" if inherited else "off", "on" if old else "off")
            report.check(f"old server {on[old]}, new socket {on[new]} SO_REUSEADDR: bind",
                         result, "bound" if old and new else "EADDRINUSE")
    report.finish()


if __name__ == "__main__":
    main()
