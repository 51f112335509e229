#!/usr/bin/env python3
"""Lab 3, bad clients: what the echo server logs, client by client.

Handout: labs/src/lab3/bad-clients.md and labs/src/lab3-echoserver.md. It
runs this workspace's echo server (target/debug/echoserver, or
$ECHOSERVER) on 127.0.0.1 and plays three clients at it. The claims, for
the reference server on Linux:

1. the client of the grader's `server_survives_client_that_closes_early`
   (32 KiB of lines and a FIN, one byte of the echo read, then a close
   with the rest unread: a reset) gets the log line `Broken pipe`, not
   `Connection reset by peer`: its FIN came first, so the reset finds the
   server's side in CLOSE_WAIT and the next write fails with EPIPE. (When
   the server happens to write every echo before the reset arrives, it
   logs nothing; the script tries up to 5 times for a line.)
2. a client process killed half-way through a line, with nothing unread,
   closes normally (its kernel sends a FIN): the server echoes the partial
   line at EOF and logs nothing;
3. killed half-way through a line with an echo still unread, it resets:
   the server's read after the partial line fails with ECONNRESET; its
   readlineb hands back the partial line first and keeps the error, and
   echo's write of that line fails with EPIPE: the log says `Broken pipe`.

After each client, a new client is served: the server wrote its log line
(if any) before it accepted that one, so the log is complete by then.
"""

import os
import select
import socket
import subprocess
import sys

from common import Report, echoserver_path, recv_up_to

# A client process that inherits the connection (its descriptor in argv[2]).
CLIENT = r"""
import select, socket, sys, time
s = socket.socket(fileno=int(sys.argv[2]))
if sys.argv[1] == "unread":
    s.sendall(b"one\n")
    select.select([s], [], [], 5)  # the echo of b"one\n" arrived: left unread
s.sendall(b"half a li")
print("sent", flush=True)
time.sleep(60)  # killed long before
"""


class Server:
    def __init__(self, path):
        self.proc = subprocess.Popen([str(path), "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("listening on port "):
            self.proc.kill()
            raise SystemExit(f"FAILED: {path} 0 did not say `listening on port N` within 10 s: {line!r}")
        self.port = int(line.split()[-1])
        os.set_blocking(self.proc.stderr.fileno(), False)

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def log_after_next_client(self):
        """Serves a new client, then returns what the server logged before it."""
        with self.connect() as c:
            c.sendall(b"next client\n")
            got = recv_up_to(c, 12)
        if got != b"next client\n":
            raise SystemExit(f"FAILED: the next client was not served: {got!r}")
        return (self.proc.stderr.read() or b"").decode(errors="replace").strip()


def reason(log):
    """`Broken pipe` from `echoserver: connection from (...): Broken pipe (os error 32)`."""
    return log.rsplit("): ", 1)[-1].split(" (os error")[0] if log else "nothing"


def killed_client(server, unread):
    conn = server.connect()
    child = subprocess.Popen([sys.executable, "-c", CLIENT, "unread" if unread else "quiet", str(conn.fileno())],
                             pass_fds=[conn.fileno()], stdout=subprocess.PIPE)
    conn.close()  # the child holds the only descriptor: its death closes the connection
    ready, _, _ = select.select([child.stdout], [], [], 10)
    sent = ready and child.stdout.readline() == b"sent\n"
    child.kill()
    child.wait(10)
    if not sent:
        raise SystemExit("FAILED: the client process did not send its half line")
    return reason(server.log_after_next_client())


def main():
    path = echoserver_path()
    report = Report(f"lab3_server_logs: what {path.name} logs for three bad clients")
    if not path.exists():
        report.skip("everything", f"no {path}: run `cargo build -p echoserver` first")
        report.finish()
    server = Server(path)
    try:
        logs = []
        for _ in range(5):
            c = server.connect()
            c.sendall(b"x\n" * 16384)
            c.shutdown(socket.SHUT_WR)
            c.recv(1)
            c.close()  # the rest of the echo unread: RST
            logs.append(reason(server.log_after_next_client()))
            if logs[-1] != "nothing":
                break
        report.note(f"closes_early's client, {len(logs)} time(s): logged {logs}")
        report.check("closes_early's client: the line logged", logs[-1], "Broken pipe")
        report.check("a client killed half-way through a line, nothing unread: logged",
                     killed_client(server, False), "nothing")
        report.check("a client killed half-way through a line, an echo unread: logged",
                     killed_client(server, True), "Broken pipe")
    finally:
        server.proc.kill()
        server.proc.wait(10)
    report.finish()


if __name__ == "__main__":
    main()
