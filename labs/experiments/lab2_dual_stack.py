#!/usr/bin/env python3
"""Lab 2, dual stack: the textbook's `open_listenfd` loop against one
`[::]` socket with IPV6_V6ONLY off.

Handout: labs/src/lab2/dual-stack.md. The claims, on Linux with glibc:

1. `getaddrinfo(NULL, port)` with AI_PASSIVE lists `0.0.0.0` before `::`
   on a host whose loopback is up (glibc sorts the answers by RFC 3484's
   destination address selection, see gai.conf(5); in a namespace whose
   loopback is still down it keeps `::` first);
2. so the textbook's loop, which stops at the first address it can bind,
   listens on `0.0.0.0` only: IPv4 clients get in, a client of `::1` is
   refused;
3. one IPv6 socket bound to `[::]` with IPV6_V6ONLY off takes both, and an
   IPv4 client shows up as `::ffff:127.0.0.1`.

Binding the unspecified address would open a port on every interface of
this host, so parts 2 and 3 (and the order of part 1, which depends on the
host's addresses) run only in a network namespace of its own, whose only
interface is loopback.
"""

import socket

from common import NO_NAMESPACE, Report, enter_namespace, errname


def textbook_listen(port="0"):
    """csapp.c's open_listenfd: the first address of getaddrinfo that binds."""
    flags = socket.AI_PASSIVE | socket.AI_ADDRCONFIG | socket.AI_NUMERICSERV
    for family, kind, proto, _, addr in socket.getaddrinfo(None, port, 0, socket.SOCK_STREAM, 0, flags):
        s = socket.socket(family, kind, proto)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError:
            s.close()
            continue
        s.listen(8)
        return s  # the loop stops here: `break` in the textbook
    raise OSError("no address could be bound")


def try_connect(listener, host):
    port = listener.getsockname()[1]
    try:
        c = socket.create_connection((host, port), timeout=5)
    except OSError as e:
        return errname(e)
    conn, peer = listener.accept()
    c.close()
    conn.close()
    return f"accepted, from {peer[0]}"


def main():
    namespace = enter_namespace()
    report = Report("lab2_dual_stack: the textbook's open_listenfd loop, and one [::] socket")
    flags = socket.AI_PASSIVE | socket.AI_ADDRCONFIG | socket.AI_NUMERICSERV
    order = [a[4][0] for a in socket.getaddrinfo(None, "5000", 0, socket.SOCK_STREAM, 0, flags)]
    if not namespace:
        report.note(f"getaddrinfo(NULL, AI_PASSIVE) on this host: {order}")
        report.skip("the order in a namespace with only loopback, the textbook loop and [::]", NO_NAMESPACE)
        report.finish()
    report.check("getaddrinfo(NULL, \"5000\", AI_PASSIVE | AI_ADDRCONFIG) lists", order, ["0.0.0.0", "::"])

    textbook = textbook_listen()
    report.check("the textbook loop listens on", textbook.getsockname()[0], "0.0.0.0")
    report.check("  a client of 127.0.0.1", try_connect(textbook, "127.0.0.1"), "accepted, from 127.0.0.1")
    report.check("  a client of ::1", try_connect(textbook, "::1"), "ECONNREFUSED")
    textbook.close()

    ours = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ours.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ours.bind(("::", 0))
    ours.listen(8)
    report.check("one [::] socket, IPV6_V6ONLY off: a client of 127.0.0.1", try_connect(ours, "127.0.0.1"),
                 "accepted, from ::ffff:127.0.0.1")
    report.check("  a client of ::1", try_connect(ours, "::1"), "accepted, from ::1")
    ours.close()
    report.finish()


if __name__ == "__main__":
    main()
