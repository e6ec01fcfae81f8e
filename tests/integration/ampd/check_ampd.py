#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End to end through ampctl against a running ampd on the default SoC, and ampd against bad
clients. Usage: check_ampd.py AMPD AMPCTL WORK_DIR"""
import atexit
import json
import os
import select
import signal
import socket
import stat
import subprocess
import sys
import time

ampd, ampctl, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
sock = os.path.join(work, "ampd.sock")
daemon = subprocess.Popen([ampd, "--socket", sock], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def reap():
    # Whatever way this script ends, no daemon outlives it.
    if daemon.poll() is None:
        daemon.kill()
        daemon.wait()


atexit.register(reap)


def fail(msg):
    reap()
    sys.exit("check_ampd: " + msg + "\nampd said: " + (daemon.stderr.read() or "")[-2000:])


# The daemon says when it listens: wait for that line, not for a while.
ready, _, _ = select.select([daemon.stdout], [], [], 30)
if not ready or "ready" not in daemon.stdout.readline():
    fail("ampd did not get ready")


def ctl(*args, code=0):
    r = subprocess.run([ampctl, "--socket", sock, *args], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != code:
        fail(f"ampctl {' '.join(args)}: exit {r.returncode}, wanted {code}: {r.stderr}")
    return r


def status(name):
    return json.loads(ctl("status", name, "--json").stdout)


def wait_for(name, pred, what):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        s = status(name)
        if pred(s):
            return s
        time.sleep(0.01)  # a bounded wait on a condition, checked by asking the daemon
    fail(f"{name} never got {what}: {s}")


def raw(packet, keep_open=True):
    """Send one packet on a fresh connection; return the reply packet."""
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(sock)
    c.settimeout(30)
    c.send(packet)
    reply = c.recv(65536)
    c.close()
    return reply


# Owner and group only.
mode = stat.S_IMODE(os.stat(sock).st_mode)
if mode != 0o660:
    fail(f"socket mode {oct(mode)}, wanted 0660")

procs = json.loads(ctl("ls", "--json").stdout)["processors"]
if [p["name"] for p in procs] != ["sim0", "sim1"] or any(p["state"] != "offline" for p in procs):
    fail(f"default SoC: {procs}")
if "protocol AMP1" not in ctl("version").stdout:
    fail("version")

# Life cycle, a crash and its recovery.
ctl("start", "sim1")
wait_for("sim1", lambda s: s["state"] == "running", "running")
ctl("start", "sim1", code=1)  # already started: refused, said why
# The echo firmware announces its channels; the trace says it booted.
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    chans = json.loads(ctl("channels", "sim1", "--json").stdout)["channels"]
    if {c["name"] for c in chans} >= {"rpmsg-echo", "rpmsg-sink", "rpmsg-source"}:
        break
    time.sleep(0.01)  # a bounded wait on a condition, checked by asking the daemon
else:
    fail(f"channels of sim1: {chans}")
if {c["dst"] for c in chans} != {0x401, 0x402, 0x404}:
    fail(f"channel addresses: {chans}")
if "rpmsg-echo firmware: booting" not in ctl("trace", "sim1").stdout:
    fail("trace of sim1")
ctl("crash", "sim1")
wait_for("sim1", lambda s: s["crashes"] == 1 and s["state"] == "running", "recovered")
ctl("recovery", "sim1", "off")
ctl("crash", "sim1")
s = wait_for("sim1", lambda s: s["crashes"] == 2 and s["state"] == "crashed", "crashed")
if s["recovery"] != "off":
    fail(f"recovery setting: {s}")
ctl("stop", "sim1")
wait_for("sim1", lambda s: s["state"] == "offline", "offline")
# Stopped: no channels, and the trace is the last one the core left.
if json.loads(ctl("channels", "sim1", "--json").stdout)["channels"]:
    fail("channels of a stopped processor")
if "rpmsg-echo firmware: booting" not in ctl("trace", "sim1").stdout:
    fail("last trace of sim1")
ctl("stop", "sim1", code=1)
r = ctl("status", "nope", code=1)
if "no processor" not in r.stderr:
    fail(f"unknown name: {r.stderr}")
ctl("frobnicate", code=2)

# Bad clients: each gets an error reply, and the daemon goes on serving.
for packet, err in [(b"GET / HTTP/1.1", b"EPROTO"), (b"AMP1 ls\n", b"EINVAL"),
                    (b"AMP1 start ../../x", b"EINVAL"), (b"AMP1 " + b"x" * 400, b"EMSGSIZE"),
                    (bytes(range(256)), b"EINVAL"), (b"AMP1 ls" + b" x" * 125, b"EMSGSIZE")]:
    reply = raw(packet)
    if not reply.startswith(b"AMP1 err " + err):
        fail(f"{packet[:20]!r}: {reply!r}")
# An empty packet reads as the end of the connection (SOCK_SEQPACKET): that client is dropped.
if raw(b"") != b"":
    fail("empty packet")
# A client that connects and goes, and one that sends and goes without reading.
socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect(sock)
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c.connect(sock)
c.send(b"AMP1 ls")
c.close()
# 100 clients at once.
clients = []
for _ in range(100):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(sock)  # blocking: a full backlog waits for the daemon to accept
    c.settimeout(30)
    clients.append(c)
for c in clients:
    c.send(b"AMP1 ls")
for c in clients:
    if not c.recv(65536).startswith(b"AMP1 ok\nproc name=sim0"):
        fail("one of 100 clients got no listing")
    c.close()
if status("sim0")["state"] != "offline":
    fail("sim0 changed")

# No daemon: exit status 3 and a hint.
r = subprocess.run([ampctl, "--socket", os.path.join(work, "none.sock"), "ls"],
                   capture_output=True, text=True)
if r.returncode != 3 or "ampd --socket" not in r.stderr:
    fail(f"no daemon: {r.returncode} {r.stderr}")

# SIGTERM: processors powered off, the socket gone, exit 0.
ctl("start", "sim0")
wait_for("sim0", lambda s: s["state"] == "running", "running")
daemon.send_signal(signal.SIGTERM)
try:
    daemon.wait(30)
except subprocess.TimeoutExpired:
    fail("ampd did not stop on SIGTERM")
if daemon.returncode != 0 or os.path.exists(sock):
    fail(f"ampd exit {daemon.returncode}, socket left: {os.path.exists(sock)}")
print("check_ampd: life cycle, crash and recovery, bad clients, 100 clients, SIGTERM: all fine")
