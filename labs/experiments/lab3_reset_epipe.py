#!/usr/bin/env python3
"""Lab 3, bad clients: what `read` and `write` return after the peer goes,
and which of them raises SIGPIPE.

Handout: labs/src/lab3/bad-clients.md. The claims, on Linux:

1. the peer resets while the connection is fully open (it closed with bytes
   it never read): the writes that follow fail with ECONNRESET once, then
   EPIPE, EPIPE ...;
2. the peer closed normally first (its FIN came, nothing was left unread on
   its side): the first write succeeds (the peer's kernel answers it with a
   reset), the ones after fail with EPIPE at once. No ECONNRESET at all:
   a reset that finds the connection in CLOSE_WAIT is reported as EPIPE
   (tcp_reset() in net/ipv4/tcp_input.c);
3. bytes that arrived before a reset are still read first; the read after
   them fails with ECONNRESET, and the reads after that return 0;
4. SIGPIPE comes only with EPIPE (sk_stream_error() in net/core/stream.c):
   a process with SIGPIPE's default action survives the write that fails
   with ECONNRESET and is killed by the next one (exit status 141 in a
   shell: 128 + 13). After a normal close, the second write kills it.

Each case waits for the reset to arrive (poll for POLLERR) before the next
write, so the order of events is the same on every run.
"""

import select
import signal
import socket
import struct
import subprocess
import sys

from common import Report, connected_pair, errname, reads

RESET, CLEAN = "the peer resets (closed with unread bytes)", "the peer closed normally (FIN)"

# A child with SIGPIPE's default action writes twice on an inherited socket.
WRITER = r"""
import select, signal, socket, sys, errno
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
s = socket.socket(fileno=int(sys.argv[1]))
for _ in range(2):
    try:
        s.send(b"x")
        print("ok", flush=True)
    except OSError as e:
        print(errno.errorcode[e.errno], flush=True)
    p = select.poll(); p.register(s, select.POLLERR); p.poll(2000)
"""


def wait_error(sock):
    """Waits (at most 5 s) until a reset has arrived on `sock`."""
    poll = select.poll()
    poll.register(sock, select.POLLERR)
    return bool(poll.poll(5000))


def peer_goes(how):
    """A connection whose peer (the client) went away `how`."""
    client, server = connected_pair()
    if how == RESET:
        server.send(b"an echo the client never reads")
        select.select([client], [], [], 5)
        client.close()  # unread bytes: the kernel sends RST, not FIN
        wait_error(server)
    else:
        client.close()  # nothing unread: FIN
        select.select([server], [], [], 5)  # the FIN arrived: read would return 0
    return server


def three_writes(server):
    results = []
    for _ in range(3):
        try:
            server.send(b"x")
            results.append("ok")
        except OSError as e:
            results.append(errname(e))
        wait_error(server)  # after a write that went out: the peer's reset
    return ", ".join(results)


def main():
    report = Report("lab3_reset_epipe: writes and reads after the peer went away")
    report.check(f"{RESET}; three writes", three_writes(peer_goes(RESET)), "ECONNRESET, EPIPE, EPIPE")
    report.check(f"{CLEAN}; three writes", three_writes(peer_goes(CLEAN)), "ok, EPIPE, EPIPE")

    client, server = connected_pair()
    client.send(b"a line, then a reset\n")
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # SO_LINGER 0: RST at once
    wait_error(server)
    report.check("the peer sends a line and resets; three reads", reads(server, 3),
                 "b'a line, then a reset\\n', ECONNRESET, b''")

    for how, want in ((RESET, (["ECONNRESET"], -signal.SIGPIPE)), (CLEAN, (["ok"], -signal.SIGPIPE))):
        server = peer_goes(how)
        child = subprocess.run([sys.executable, "-c", WRITER, str(server.fileno())],
                               pass_fds=[server.fileno()], capture_output=True, text=True, timeout=20)
        got = (child.stdout.split(), child.returncode)
        shown = f"writes {', '.join(got[0])}, then " + (
            "killed by SIGPIPE" if got[1] == -signal.SIGPIPE else f"exit status {got[1]}")
        expected = f"writes {', '.join(want[0])}, then killed by SIGPIPE"
        report.check(f"{how}; a process with SIGPIPE's default action writes twice", shown, expected)
    report.finish()


if __name__ == "__main__":
    main()
