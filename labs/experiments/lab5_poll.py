#!/usr/bin/env python3
"""Lab 5's event loop: what poll reports unasked, and how many descriptors
poll and select take.

Claims (labs/src/lab5/event-loop.md, "Non-blocking sockets", "One wait
for everything" and "The loop"):

0. The table of non-blocking calls: `accept` with nobody waiting and `read`
   with no bytes give `EAGAIN` (Rust's `WouldBlock`); `read` after the
   peer closed gives 0; a `write` to a peer that doesn't read takes what
   fits (a short count), then gives `EAGAIN`. `POLLNVAL` comes unasked for
   a descriptor number that is not open; and `poll`'s cost grows with its
   entries, idle or not (it looks at every one, every call).

1. A connected socket whose `pollfd` asks for nothing (`events` 0) and has
   nothing wrong is left alone: `poll` sleeps its whole timeout.
2. Asking for nothing does not make `poll` forget the entry: once both
   directions are shut (the peer's FIN, then our own `shutdown(SHUT_WR)`),
   it reports `POLLHUP`; after a reset, `POLLERR | POLLHUP`. And after the
   reset it stays ready on every call (1000 calls in a row, each ready at once),
   even once the error has been read, until the socket is closed.
3. Only a negative descriptor is skipped (`revents` 0, `poll` returns 0).
4. `poll` takes as many entries as the process may open descriptors
   (`RLIMIT_NOFILE`): that many is fine, one more is `EINVAL`.
5. `POLLOUT` needs plenty of room: with the send buffer full, a peer that
   reads 4 KiB does not make the socket writable; one that reads
   everything does (lab 5's note on blocking sockets that loopback hides).
6. `select`'s sets are indexed by descriptor number, `FD_SETSIZE` (1024)
   bits: a single descriptor numbered 1024 or more cannot be put in one
   (Python refuses it, as C's FD_SET would write past the set), while
   `poll` watches it.

Linux here; run as any user. `poll` is called through ctypes (libc), so
that the `pollfd` array is exactly what the handout describes.
"""

import ctypes
import ctypes.util
import errno
import os
import resource
import select
import socket
import struct
import time

from common import Report, connected_pair

POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x4, 0x8, 0x10, 0x20
NAMES = [(POLLIN, "POLLIN"), (POLLOUT, "POLLOUT"), (POLLERR, "POLLERR"), (POLLHUP, "POLLHUP"), (POLLNVAL, "POLLNVAL")]


class PollFd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.poll.argtypes = [ctypes.POINTER(PollFd), ctypes.c_ulong, ctypes.c_int]
libc.poll.restype = ctypes.c_int


def poll(entries, timeout_ms):
    """poll(2) on [(fd, events)]: (return value or -errno, [revents])."""
    array = (PollFd * len(entries))(*[PollFd(fd, ev, 0) for fd, ev in entries])
    n = libc.poll(array, len(entries), timeout_ms)
    if n < 0:
        return -ctypes.get_errno(), []
    return n, [p.revents for p in array]


def show(revents):
    return " | ".join(name for bit, name in NAMES if revents & bit) or "0"


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def main():
    r = Report("lab 5: poll with events 0, poll's and select's limits (Linux)")

    # 0. the table of non-blocking calls
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        try:
            listener.accept()
            outcome = "a connection"
        except BlockingIOError as e:
            outcome = errno.errorcode[e.errno]
        r.check("non-blocking accept, nobody waiting", outcome, "EAGAIN")
    client, server = connected_pair()
    server.setblocking(False)
    try:
        server.recv(100)
        outcome = "bytes"
    except BlockingIOError as e:
        outcome = errno.errorcode[e.errno]
    r.check("non-blocking read, no bytes yet", outcome, "EAGAIN")
    client.close()
    poll([(server.fileno(), POLLIN)], 1000)  # wait (with a deadline) for the FIN
    r.check("non-blocking read, peer closed", server.recv(100), b"")
    server.close()
    client, server = connected_pair()
    server.setblocking(False)
    first = server.send(b"x" * (64 << 20))
    r.note(f"non-blocking write of 64 MiB to a peer that does not read: took {first} bytes")
    r.check("it takes part of it (a short count)", 0 < first < 64 << 20, True)
    try:
        server.send(b"x" * 65536)
        outcome = "took more"
    except BlockingIOError as e:
        outcome = errno.errorcode[e.errno]
    r.check("the next write", outcome, "EAGAIN")
    client.close()
    server.close()

    # POLLNVAL comes unasked for a descriptor that is not open
    closed = os.dup(0)
    os.close(closed)
    n, rev = poll([(closed, 0)], 0)
    r.check("events 0 on a closed descriptor number: revents", show(rev[0]), "POLLNVAL")

    # 1. nothing asked, nothing wrong: poll sleeps
    client, server = connected_pair()
    started = time.monotonic()
    n, _ = poll([(server.fileno(), 0)], 100)
    slept = time.monotonic() - started
    r.check("events 0 on an idle connection: poll(100 ms) returns", n, 0)
    r.check("and it slept its timeout", slept >= 0.09, True)

    # 2a. both directions shut: POLLHUP unasked
    client.shutdown(socket.SHUT_WR)
    poll([(server.fileno(), POLLIN)], 1000)  # wait (with a deadline) for the FIN
    server.shutdown(socket.SHUT_WR)
    n, rev = poll([(server.fileno(), 0)], 1000)
    r.check("events 0, peer's FIN then our shutdown(SHUT_WR): revents", show(rev[0]), "POLLHUP")
    client.close()
    server.close()

    # 2b. a reset: POLLERR | POLLHUP unasked, ready on every call after
    client, server = connected_pair()
    reset(client)
    n, rev = poll([(server.fileno(), 0)], 1000)
    r.check("events 0, after the peer's reset: revents", show(rev[0]), "POLLERR | POLLHUP")
    err = server.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    r.check("the error, read with SO_ERROR", errno.errorcode.get(err, err), "ECONNRESET")
    # each call may wait 1 s; a call that finds the socket not ready
    # returns 0 after its wait, so the count, not the clock, is the claim
    started = time.monotonic()
    ready = sum(poll([(server.fileno(), 0)], 1000)[0] == 1 for _ in range(1000))
    r.note(f"1000 calls of poll(events 0, 1 s) on the reset socket took {time.monotonic() - started:.3f} s")
    r.check("it stays ready on every call: calls that returned it ready", ready, 1000)
    n, rev = poll([(server.fileno(), 0)], 1000)
    r.check("the last revents (the error already read)", show(rev[0]), "POLLHUP")
    server.close()

    # 2c. POLLOUT comes back only with plenty of room in the send buffer
    client, server = connected_pair()
    server.setblocking(False)
    sent = 0
    try:
        while True:
            sent += server.send(b"x" * 65536)
    except BlockingIOError:
        pass
    n, rev = poll([(server.fileno(), POLLOUT)], 0)
    r.check(f"send buffer full ({sent} bytes queued): POLLOUT", show(rev[0]), "0")
    client.recv(4096)
    n, rev = poll([(server.fileno(), POLLOUT)], 100)
    r.check("the peer reads 4 KiB: POLLOUT within 100 ms", show(rev[0]), "0")
    client.setblocking(False)
    drained = 4096
    try:
        while True:
            got = client.recv(1 << 20)
            if not got:
                break
            drained += len(got)
    except BlockingIOError:
        pass
    n, rev = poll([(server.fileno(), POLLOUT)], 1000)
    r.note(f"the peer read {drained} bytes in all")
    r.check("the peer reads everything: POLLOUT", show(rev[0]), "POLLOUT")
    client.close()
    server.close()

    # 3. a negative descriptor is skipped
    n, rev = poll([(-1, POLLIN | POLLOUT)], 0)
    r.check("fd -1 asking POLLIN | POLLOUT: poll returns, revents", (n, show(rev[0])), (0, "0"))

    # scanning: poll's cost grows with the entries, ready or not
    client, server = connected_pair()
    many = [(server.fileno(), POLLIN)] * 10000
    few = many[:10]

    def per_call(entries, calls):
        # the array is made once: only the system call is timed
        array = (PollFd * len(entries))(*[PollFd(fd, ev, 0) for fd, ev in entries])
        started = time.perf_counter()
        for _ in range(calls):
            libc.poll(array, len(entries), 0)
        return (time.perf_counter() - started) / calls

    t_few, t_many = per_call(few, 2000), per_call(many, 200)
    r.note(f"poll of 10 idle entries: {t_few * 1e6:.1f} µs a call; of 10,000: {t_many * 1e6:.1f} µs")
    r.check("10,000 idle entries cost at least 10 times as much as 10", t_many > 10 * t_few, True)
    client.close()
    server.close()

    # 4. poll takes up to RLIMIT_NOFILE entries
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    n, _ = poll([(-1, 0)] * soft, 0)
    r.check(f"poll with RLIMIT_NOFILE ({soft}) entries", n, 0)
    n, _ = poll([(-1, 0)] * (soft + 1), 0)
    r.check(f"poll with {soft + 1} entries", errno.errorcode.get(-n, n), "EINVAL")

    # 5. select: descriptor numbers below FD_SETSIZE only
    target = 1500
    if hard < target + 1:
        r.skip("select on descriptor 1500", f"RLIMIT_NOFILE's hard limit is {hard}")
    else:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target + 1), hard))
        client, server = connected_pair()
        high = os.dup2(server.fileno(), target)
        try:
            select.select([high], [], [], 0)
            outcome = "accepted"
        except ValueError as e:
            outcome = "refused"
            r.note(f"select([{high}]): {e}")
        r.check(f"select on one descriptor numbered {high}", outcome, "refused")
        client.send(b"x")
        n, rev = poll([(high, POLLIN)], 1000)
        r.check(f"poll on the same descriptor {high}: revents", show(rev[0]), "POLLIN")
        os.close(high)
        client.close()
        server.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    r.finish()


if __name__ == "__main__":
    main()
