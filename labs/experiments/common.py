"""What every experiment shares: a report of claims, waits with deadlines,
and a network namespace of its own.

An experiment states a claim of the handouts, makes it happen on this
machine's kernel, prints what it observed, and exits 1 if the claim does not
hold. Everything happens on loopback: 127.0.0.1 and ::1 of this host, or a
network namespace made for the run (`unshare -n`), which has nothing but
its own loopback and goes away with the process. A sysctl is only ever
written inside such a namespace.

Where no namespace can be made (not root, and unprivileged user namespaces
are off), the parts that need one are skipped, each with a line naming what
was not tested; the exit status is then 0 if everything else held.
"""

import fcntl
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

# Set in the copy of the script that runs inside the namespace.
INSIDE = "ECHO_LAB_EXPERIMENT_NETNS"


class Report:
    """Prints one line per observation and remembers which claims failed."""

    def __init__(self, title):
        print(title)
        self.failed = []
        self.skipped = []

    def note(self, text):
        print(f"  {text}")

    def check(self, what, observed, expected):
        """`what` was `observed`; the claim is that it is `expected`."""
        if observed == expected:
            print(f"  {what}: {observed}  ok")
        else:
            print(f"  {what}: {observed}  CLAIM FAILS, expected {expected}")
            self.failed.append(what)

    def skip(self, what, why):
        print(f"  skipped: {what} ({why})")
        self.skipped.append(what)

    def finish(self):
        if self.failed:
            print(f"FAILED: {len(self.failed)} claim(s) do not hold here: " + "; ".join(self.failed))
            sys.exit(1)
        if self.skipped:
            print(f"held, with {len(self.skipped)} part(s) not tested: " + "; ".join(self.skipped))
        else:
            print("every claim held")
        sys.exit(0)


def wait_until(predicate, what, seconds=5.0):
    """Polls `predicate` (every millisecond) until it is true; fails after
    `seconds` saying what it awaited. A deadline, never a sleep that hopes."""
    until = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > until:
            raise TimeoutError(f"no {what} within {seconds} s")
        time.sleep(0.001)


def errname(e):
    """`ECONNRESET` for an OSError, or `ok`."""
    import errno

    return errno.errorcode.get(e.errno, str(e.errno)) if e else "ok"


def recv_up_to(sock, n):
    """Receives until `n` bytes came or the peer closed; returns them."""
    got = b""
    while len(got) < n:
        chunk = sock.recv(64)
        if not chunk:
            break
        got += chunk
    return got


def reads(sock, count):
    """What `count` reads of up to 100 bytes each return, `, `-joined:
    `b'hi\\n'` for bytes, an error's name (`ECONNRESET`) for an error."""
    seen = []
    for _ in range(count):
        try:
            seen.append(repr(sock.recv(100)))
        except OSError as e:
            seen.append(errname(e))
    return ", ".join(seen)


def connected_pair(family=socket.AF_INET):
    """A client and the server's accepted socket, on loopback."""
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.bind((host, 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname()[:2], timeout=5)
        server, _ = listener.accept()
    client.settimeout(None)
    return client, server


def echoserver_path():
    """The echo server to run: $ECHOSERVER, else this workspace's debug build."""
    if os.environ.get("ECHOSERVER"):
        return Path(os.environ["ECHOSERVER"])
    root = Path(__file__).resolve().parent.parent.parent
    target = Path(os.environ.get("CARGO_TARGET_DIR") or root / "target")
    return target / "debug" / "echoserver"


def in_namespace():
    return os.environ.get(INSIDE) == "1"


def enter_namespace():
    """Runs this script again in a new network namespace and exits with its
    status. Inside, brings loopback up and returns True. Returns False
    (having run nothing) when no namespace can be made here."""
    if in_namespace():
        loopback_up()
        return True
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    env = dict(os.environ, **{INSIDE: "1"})
    # root: a plain network namespace; otherwise one inside a user namespace,
    # where the distribution allows it.
    for flags in (["-n"], ["-r", "-n"]) if os.geteuid() == 0 else (["-r", "-n"],):
        try:
            probe = subprocess.run([unshare, *flags, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            command = [unshare, *flags, sys.executable, os.path.abspath(sys.argv[0]), *sys.argv[1:]]
            try:
                result = subprocess.run(command, env=env, timeout=120)
            except subprocess.TimeoutExpired:
                print("FAILED: the experiment did not finish within 120 s in its namespace")
                sys.exit(1)
            sys.exit(result.returncode)
    return False


NO_NAMESPACE = "no network namespace: run as root (or where `unshare -rn` works)"


def loopback_up():
    """`ip link set lo up`, with an ioctl: a new namespace's loopback is down."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    layout = "16sh22x"  # struct ifreq: the name, then ifr_flags in the union
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        got = fcntl.ioctl(s, siocgifflags, struct.pack(layout, b"lo", 0))
        flags = struct.unpack(layout, got)[1]
        fcntl.ioctl(s, siocsifflags, struct.pack(layout, b"lo", flags | iff_up))


def sysctl(name, value):
    """`sysctl -w name=value`, allowed only inside our own namespace."""
    if not in_namespace():
        raise RuntimeError(f"refusing to set {name} outside a namespace made for this run")
    path = "/proc/sys/" + name.replace(".", "/")
    with open(path, "w") as f:
        f.write(f"{value}\n")
    with open(path) as f:
        return f.read().strip()


# /proc/net/tcp's state numbers (include/net/tcp_states.h).
TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
              6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}


def tcp_sockets():
    """Every TCP socket of this namespace: (local port, remote port, state)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote = fields[1].rsplit(":", 1)[1], fields[2].rsplit(":", 1)[1]
            found.append((int(local, 16), int(remote, 16), TCP_STATES.get(int(fields[3], 16), fields[3])))
    return found
