#!/usr/bin/env python3
"""Lab 1, short counts: one `write` can come out as many short `read`s, and
no router is needed for that.

Handout: labs/src/lab1-rio.md ("What you will build and why") and
labs/src/lab1/short-counts.md. The claim: a short count comes from the
hosts (how the sender's kernel cuts the stream into segments, the
receiver's buffer and window, and when the reader asks), not from the
network re-cutting the stream. Here both ends are on loopback, with no
router in between: the sender makes one `send` of 4 MiB, the receiver asks
for 4 MiB per `recv`, and gets the bytes in several short counts.
"""

import threading

from common import Report, connected_pair

SIZE = 4 << 20


def main():
    report = Report("lab1_short_counts: one send of 4 MiB on loopback, read with recv(4 MiB)")
    client, server = connected_pair()
    data = bytes(i % 251 for i in range(SIZE))
    sent = {}

    def sender():
        sent["n"] = client.send(data)  # one system call
        client.close()

    thread = threading.Thread(target=sender)
    thread.start()
    counts, got = [], bytearray()
    server.settimeout(10)
    while True:
        chunk = server.recv(SIZE)
        if not chunk:
            break
        counts.append(len(chunk))
        got += chunk
    thread.join(10)
    report.note(f"the sender's one send() returned {sent.get('n')}")
    report.note(f"the reader's recv() counts: {counts[:6]}{' ...' if len(counts) > 6 else ''} ({len(counts)} reads)")
    report.check("every byte arrived, in order", bytes(got) == data[: sent.get("n", 0)], True)
    report.check("one send() came out as more than one read", len(counts) > 1, True)
    report.finish()


if __name__ == "__main__":
    main()
