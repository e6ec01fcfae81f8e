# SPDX-License-Identifier: BSD-3-Clause
"""ampd for the Python tests: a short runtime directory for its socket (a build tree's path
may be too long for one), the daemon started and waited for on its "ready" line with a
deadline, and nothing left behind however the test ends. Test layer."""
import atexit
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

children = []  # every process a test starts: none outlives it


def reap():
    for p in children:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(reap)


def fail(msg):
    reap()
    sys.exit(f"{os.path.basename(sys.argv[0])}: {msg}")


def runtime_dir(prefix="amp-"):
    """A new directory of ours under $TMPDIR (or /tmp, when $TMPDIR's own path is long), open
    to other users for the permission checks (it is not secret), removed at exit."""
    base = tempfile.gettempdir()
    path = tempfile.mkdtemp(prefix=prefix, dir=base if len(base) < 48 else "/tmp")
    os.chmod(path, 0o755)
    atexit.register(shutil.rmtree, path, True)
    return path


def one_sim_soc(directory, name, firmware, props=""):
    """A SoC of one simulated processor @name with @firmware and the Devicetree properties
    @props, compiled by dtc in @directory; the .dtb's path."""
    src = os.path.join(directory, name + ".dts")
    with open(src, "w") as f:
        f.write(f"""/dts-v1/;
/ {{ #address-cells = <1>; #size-cells = <1>;
    reserved-memory {{ #address-cells = <1>; #size-cells = <1>; ranges;
        r: ram@10000000 {{ reg = <0x10000000 0x100000>; no-map; }};
        p: pool@20000000 {{ reg = <0x20000000 0x200000>; no-map; }}; }};
    remoteproc {{ {name} {{ compatible = "amp,sim-rproc"; firmware-name = "{firmware}";
        memory-region = <&r>, <&p>; {props} }}; }}; }};
""")
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", src + ".dtb", src], check=True)
    return src + ".dtb"


class Daemon:
    """ampd on @sock, started with @args; its log in @log (a file object, or None)."""

    def __init__(self, ampd, sock, *args, log=None, env=None):
        self.sock = sock
        self.proc = subprocess.Popen([ampd, "--socket", sock, *args], stdout=subprocess.PIPE,
                                     stderr=log, env=env)
        children.append(self.proc)
        self._wait_line("ready")

    def _wait_line(self, what, timeout=60):
        # Read the pipe's bytes as they come: a buffered file object would hide them from
        # select().
        fd, buf = self.proc.stdout.fileno(), b""
        deadline = time.monotonic() + timeout
        while what.encode() not in buf:
            ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
            chunk = os.read(fd, 4096) if ready else b""
            if not chunk:
                fail(f"ampd on {self.sock}: no {what!r} line; it said {buf[-500:]!r}, "
                     f"exit {self.proc.poll()}")
            buf += chunk

    def stop(self, timeout=60):
        """SIGTERM, and its exit status."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            fail(f"ampd on {self.sock} did not stop on SIGTERM")


class Watch:
    """The events of the daemon on @sock, as a client library user gets them; @fail reports a
    refusal or a wait that ran out. Events arrive in the order things happened, which need not
    be the order a test asks for them (a channel is announced before the boot that brought it
    is over): what a wait skips is kept for the next."""

    def __init__(self, sock, fail=fail):
        self.fail = fail
        self.c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.c.connect(sock)
        self.c.settimeout(60)
        self.c.send(b"AMP1 watch")
        if self.c.recv(65536) != b"AMP1 ok":
            fail("watch refused")
        self.backlog = []

    def wait(self, *words, timeout=60):
        """The first event with each of @words, within @timeout seconds."""
        def match(ev):
            return all(w in ev.split() for w in words)

        for ev in self.backlog:
            if match(ev):
                self.backlog.remove(ev)
                return ev
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.c.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                ev = self.c.recv(65536).decode()
            except socket.timeout:
                break
            if not ev.startswith("AMP1 event "):
                self.fail(f"not an event: {ev!r}")
            if match(ev):
                return ev
            self.backlog.append(ev)
        self.fail(f"no event with {words} in {timeout} s; got {self.backlog[-8:]}")
