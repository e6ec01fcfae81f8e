#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Any path works: ampd, ampctl and the Python client on a socket whose path is far longer than
a socket address holds (sun_path: 107 bytes), a clear refusal when even its file name alone is
too long, and the tests that start daemons run from a work directory as deep as a checkout
under ~/src/github.com/org/... gives.
Usage: check_deep_path.py AMPD AMPCTL PYTHON_DIR WORK_DIR [-- CHECK ARGS...]...
where each CHECK's @DEEP@ becomes a directory under WORK_DIR 150 characters deep."""
import os
import shutil
import subprocess
import sys

ampd, ampctl, python_dir, work = sys.argv[1:5]
checks = []
for arg in sys.argv[5:]:
    if arg == "--":
        checks.append([])
    else:
        checks[-1].append(arg)
sys.path[:0] = [python_dir, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                         "support")]
import ampclient  # noqa: E402
from ampd_harness import Daemon, fail, runtime_dir  # noqa: E402


def deep(base, length):
    """A new directory under @base whose path is at least @length characters long."""
    path = base
    while len(path) < length:
        path = os.path.join(path, "a-rather-long-directory-name-" + str(len(path)))
    os.makedirs(path)
    return path


# --- a long --socket ------------------------------------------------------------------------
long_dir = deep(runtime_dir("deep-"), 150)
sock = os.path.join(long_dir, "ampd.sock")
log = open(os.path.join(runtime_dir("deep-log-"), "ampd.log"), "w+b")
daemon = Daemon(ampd, sock, log=log)
r = subprocess.run([ampctl, "--socket", sock, "ls"], capture_output=True, text=True, timeout=60)
if r.returncode != 0 or "sim0" not in r.stdout:
    fail(f"ampctl --socket {len(sock)} bytes long: exit {r.returncode}: {r.stderr}")
r = subprocess.run([ampctl, "status", "sim1"], capture_output=True, text=True, timeout=60,
                   env=dict(os.environ, AMPD_SOCKET=sock))
if r.returncode != 0 or "sim1" not in r.stdout:
    fail(f"ampctl with AMPD_SOCKET {len(sock)} bytes long: exit {r.returncode}: {r.stderr}")
with ampclient.Client(sock, timeout=60) as amp:
    if [p["name"] for p in amp.request("ls")] != ["sim0", "sim1"]:
        fail("ampclient on a long path")
    with amp.watch() as events:
        amp.request("start", "sim1")
        while True:
            ev = events.next_event(timeout=60)
            if ev.kind == "channel-up" and ev.get("name") == "rpmsg-echo":
                break
    with amp.open_endpoint("sim1", "rpmsg-echo") as ept:
        ept.send(b"deep")
        if ept.recv(timeout=60) != b"deep":
            fail("ampclient's endpoint on a long path")
# A second daemon on the same long path is refused: it reaches the first.
r = subprocess.run([ampd, "--socket", sock], capture_output=True, text=True, timeout=60)
if r.returncode != 1 or "another ampd serves" not in r.stderr:
    fail(f"a second ampd on the long path: exit {r.returncode}: {r.stderr}")
if daemon.stop() != 0 or os.path.exists(sock):
    fail(f"ampd on a long path: stop, socket left {os.path.exists(sock)}")

# A file name that does not fit even when reached through its directory: refused, clearly.
too_long = os.path.join(long_dir, "s" * 100)
r = subprocess.run([ampd, "--socket", too_long], capture_output=True, text=True, timeout=60)
if r.returncode != 2 or "too long" not in r.stderr or "shorter" not in r.stderr:
    fail(f"ampd on a socket file name of 100 bytes: exit {r.returncode}: {r.stderr}")
r = subprocess.run([ampctl, "--socket", too_long, "ls"], capture_output=True, text=True,
                   timeout=60)
if r.returncode != 3 or "too long" not in r.stderr:
    fail(f"ampctl on a socket file name of 100 bytes: exit {r.returncode}: {r.stderr}")
try:
    ampclient.Client(too_long)
    fail("ampclient on a socket file name of 100 bytes")
except OSError as e:
    if e.errno != 36:  # ENAMETOOLONG
        fail(f"ampclient on a socket file name of 100 bytes: {e!r}")

# --- the tests that start daemons, from a deep work directory -------------------------------
shutil.rmtree(work, ignore_errors=True)
deep_work = deep(work, 150)
for check in checks:
    argv = [a.replace("@DEEP@", deep_work) for a in check]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        fail(f"{os.path.basename(argv[1])} from {len(deep_work)} characters deep: exit "
             f"{r.returncode}\n{r.stdout[-2000:]}{r.stderr[-3000:]}")
    print(f"check_deep_path: {os.path.basename(argv[1])} passed from a work directory "
          f"{len(deep_work)} characters deep")
shutil.rmtree(work, ignore_errors=True)

print(f"check_deep_path: ampd, ampctl and ampclient on a socket path of {len(sock)} bytes, a "
      "file name too long refused: all fine")
