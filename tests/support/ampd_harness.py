# SPDX-License-Identifier: BSD-3-Clause
"""ampd for the Python tests: a short runtime directory for its socket (a build tree's path
may be too long for one), the daemon started and waited for on its "ready" line with a
deadline, and nothing left behind however the test ends. Test layer."""
import atexit
import os
import select
import shutil
import signal
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
