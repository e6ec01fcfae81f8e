# SPDX-License-Identifier: BSD-3-Clause
"""What the install tests share: a scratch directory removed at exit, `cmake --install` into it,
commands run with a deadline, and an ampd started and waited for (its "ready" line, not a
while). Each test script is run by CTest as: SCRIPT BUILD_DIR SOURCE_DIR KEY=VALUE... where the
keys are the install layout (libdir, bindir, ...) as the build was configured."""
import atexit
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

DEADLINE = 120  # seconds, for any one command or wait: the machine may be loaded

build, source = sys.argv[1], sys.argv[2]
layout = dict(arg.split("=", 1) for arg in sys.argv[3:])
_daemons = []


def _kill_all():
    for d in _daemons:
        d.kill()


def fail(msg):
    _kill_all()
    sys.exit(f"{os.path.basename(sys.argv[0])}: {msg}")


def scratch():
    """A fresh directory under /tmp (short paths: sockets live there), removed at exit."""
    path = tempfile.mkdtemp(prefix="amp-inst-")
    atexit.register(shutil.rmtree, path, True)
    atexit.register(_kill_all)  # first (atexit runs the last registered first)
    return path


def run(cmd, code=0, env=None, cwd=None):
    """Run @cmd; fail unless it exits with @code (None: any). Returns its output and status."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd,
                           timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        fail(f"{cmd} did not finish in {DEADLINE} s")
    if code is not None and p.returncode != code:
        fail(f"{cmd} exited with {p.returncode}, not {code}\n"
             f"stdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}")
    return p


def install(prefix):
    run(["cmake", "--install", build, "--prefix", prefix])
    return prefix


def clean_env(**extra):
    """The environment without anything that would point the library elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("AMP_SIM_CORE", "AMP_FIRMWARE_PATH", "AMPD_SOCKET", "AMP_LOG_LEVEL")}
    env.update(extra)
    return env


class Lines:
    """A child's stdout, line by line through a queue filled by a thread, so that each wait
    has a deadline."""

    def __init__(self, proc):
        self.queue = queue.Queue()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc):
        for line in proc.stdout:
            self.queue.put(line)
        self.queue.put(None)

    def wait(self, what, why):
        """The first line holding @what; None when the output ends first. @why() says what
        the child said, for a failure."""
        while True:
            try:
                line = self.queue.get(timeout=DEADLINE)
            except queue.Empty:
                fail(f"no line with {what!r} in {DEADLINE} s: {why()}")
            if line is None or what in line:
                return line


class Watch:
    """The daemon's events on @socket (docs/ampd-protocol.md): subscribed once the constructor
    returns, so that nothing done after it is missed."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(DEADLINE)
        self.sock.connect(path)
        self.sock.send(b"AMP1 watch")
        if not self.sock.recv(4096).startswith(b"AMP1 ok"):
            fail("ampd refused to watch")

    def wait(self, *words):
        """The first event holding all of @words."""
        while True:
            try:
                event = self.sock.recv(4096).decode()
            except socket.timeout:
                fail(f"no event with {words} in {DEADLINE} s")
            if not event:
                fail(f"ampd went before an event with {words}")
            if all(w in event.split() for w in words):
                return event

    def close(self):
        self.sock.close()


class Daemon:
    """An ampd on @socket: its stdout lines come through Lines, its stderr goes to a file (a
    pipe nobody reads would fill)."""

    def __init__(self, ampd, socket, *args, env=None):
        self.socket = socket
        self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([ampd, "--socket", socket, *args], stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, env=env or clean_env())
        self.lines = Lines(self.proc)
        _daemons.append(self)

    def said(self):
        self.log.seek(0)
        return self.log.read()

    def wait_ready(self):
        """Its "ready" line; fails with its log if it exits first."""
        if self.lines.wait("ready", self.said) is None:
            self.proc.wait()
            fail(f"ampd exited ({self.proc.returncode}) before it was ready: {self.said()}")

    def wait_exit(self):
        """Its exit status (it is expected to give up by itself)."""
        try:
            return self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            fail(f"ampd did not exit in {DEADLINE} s: {self.said()}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        if self.wait_exit() != 0:
            fail(f"ampd exited with {self.proc.returncode} on SIGTERM: {self.said()}")
        _daemons.remove(self)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

