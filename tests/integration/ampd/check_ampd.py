#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End to end through ampctl against a running ampd on the default SoC, and ampd against bad
clients. Waits are on the daemon's events (a watch connection), each with a deadline.
Usage: check_ampd.py AMPD AMPCTL WORK_DIR SOC_DIR (the compiled example SoC descriptions)"""
import json
import os
import pwd
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "support"))
from ampd_harness import children, reap, runtime_dir  # noqa: E402

ampd, ampctl, work, soc_dir = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chmod(work, 0o755)
# The sockets in a short directory: the work directory's path may be too long for one.
run = runtime_dir("ampd-")
sock = os.path.join(run, "ampd.sock")
# Its log goes to a file: a pipe nobody reads would fill and stop it.
log = open(os.path.join(work, "ampd.log"), "w+b")
daemon = subprocess.Popen([ampd, "--socket", sock, "--coredump-dir", work],
                          stdout=subprocess.PIPE, stderr=log)
children.append(daemon)


def fail(msg):
    reap()
    log.seek(0)
    said = log.read().decode(errors="replace")
    sys.exit("check_ampd: " + msg + "\nampd said: " + said[-3000:])


class Lines:
    """A child's output read line by line without blocking past a deadline (no buffering in
    a file object that select() cannot see)."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buf = b""

    def wait(self, what, timeout=30):
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                if what.encode() in line:
                    return line.decode(errors="replace")
                seen.append(line)
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(left, 0))
            chunk = os.read(self.fd, 65536) if ready else b""
            if not chunk:
                fail(f"wanted a line with {what!r}, got {seen[-5:]!r}")
            self.buf += chunk


# The daemon says when it listens: wait for that line, not for a while.
Lines(daemon.stdout).wait("ready")


def ctl(*args, code=0, user=None):
    cmd = [ampctl, "--socket", sock, *args]
    if user:
        cmd = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != code:
        fail(f"ampctl {' '.join(args)}: exit {r.returncode}, wanted {code}: {r.stderr}")
    return r


def jctl(*args):
    return json.loads(ctl("--json", *args).stdout)


def status(name):
    return jctl("status", name)


def connect():
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(sock)
    c.settimeout(30)
    return c


def raw(packet):
    """Send one packet on a fresh connection; return the reply packet."""
    c = connect()
    c.send(packet)
    reply = c.recv(65536)
    c.close()
    return reply


class Watch:
    """The daemon's events, as a client library user gets them. Events arrive in the order
    things happened, which need not be the order a test asks for them (a channel is announced
    before the boot that brought it is over): what a wait skips is kept for the next."""

    def __init__(self):
        self.c = connect()
        self.c.send(b"AMP1 watch")
        if self.c.recv(65536) != b"AMP1 ok":
            fail("watch refused")
        self.backlog = []

    def wait(self, *words, timeout=30):
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
                fail(f"not an event: {ev!r}")
            if match(ev):
                return ev
            self.backlog.append(ev)
        fail(f"no event with {words} in {timeout} s; got {self.backlog[-8:]}")


def open_ept(proc, channel, extra=b""):
    c = connect()
    c.send(b"AMP1 open " + proc.encode() + b" " + channel.encode() + extra)
    reply = c.recv(65536).decode()
    if not reply.startswith("AMP1 ok\nendpoint "):
        fail(f"open {proc} {channel}: {reply}")
    return c, dict(kv.split("=", 1) for kv in reply.split("\n")[1].split()[1:])


def daemon_fds():
    return len(os.listdir(f"/proc/{daemon.pid}/fd"))


watch = Watch()
# ampctl watch --json as well, checked at the end.
watcher = subprocess.Popen([ampctl, "--socket", sock, "--json", "watch"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
children.append(watcher)

# Owner and group only.
mode = stat.S_IMODE(os.stat(sock).st_mode)
if mode != 0o660:
    fail(f"socket mode {oct(mode)}, wanted 0660")

procs = jctl("ls")["processors"]
if [p["name"] for p in procs] != ["sim0", "sim1"] or any(p["state"] != "offline" for p in procs):
    fail(f"default SoC: {procs}")
if procs[0]["cpu"] != -1 or procs[0]["notify"] != "mailbox":
    fail(f"default SoC settings: {procs[0]}")
if "protocol AMP1" not in ctl("version").stdout:
    fail("version")

# --- life cycle, channels, trace -------------------------------------------------------------
ctl("start", "sim1")
watch.wait("state", "proc=sim1", "state=running")
for name in ("rpmsg-echo", "rpmsg-sink", "rpmsg-source"):
    watch.wait("channel-up", "proc=sim1", f"name={name}")
ctl("start", "sim1", code=1)  # already started: refused, said why
chans = jctl("channels", "sim1")["channels"]
if {c["name"]: c["dst"] for c in chans} != {"rpmsg-echo": 0x401, "rpmsg-sink": 0x402,
                                             "rpmsg-source": 0x404}:
    fail(f"channels of sim1: {chans}")
if "rpmsg-echo firmware: booting" not in ctl("trace", "sim1").stdout:
    fail("trace of sim1")

# --- messages ----------------------------------------------------------------------------------
ctl("send", "rpmsg-echo", "hello")
ctl("send", "nope", "hello", code=1)
r = ctl("listen", "sim1/rpmsg-echo", "--send", "ping", "-n", "1", "-t", "20", "--json")
if json.loads(r.stdout) != {"len": 4, "hex": "70696e67", "text": "ping"}:
    fail(f"listen: {r.stdout}")
r = jctl("echo-test", "sim1/rpmsg-echo", "-n", "300", "-s", "496")
if r["count"] != 300 or r["size"] != 496 or not 0 < r["min_ns"] <= r["median_ns"] <= r["max_ns"]:
    fail(f"echo-test: {r}")
ctl("echo-test", "sim1/rpmsg-echo", "-s", "497", code=2)  # over the MTU

# Datagrams: the remote's stream arrives one message per packet, in order, each whole.
src_ept, info = open_ept("sim1", "rpmsg-source")
if info["dst"] != "0x404" or info["mtu"] != "496" or int(info["src"], 16) < 0x400:
    fail(f"endpoint info: {info}")
src_ept.send(struct.pack("<II", 100, 300))
for seq in range(100):
    m = src_ept.recv(1024)
    if len(m) != 300 or struct.unpack_from("<I", m)[0] != seq:
        fail(f"stream message {seq}: {len(m)} bytes, {m[:4]!r}")
# Oversized: not cut, dropped and counted; the endpoint goes on.
src_ept.send(b"x" * 497)
topo = jctl("topology", "sim1")["processors"][0]
epts = [e for c in topo["vdevs"][0]["channels"] for e in c["endpoints"]]
if len(epts) != 1 or epts[0]["pid"] != os.getpid() or epts[0]["rx"] != 100:
    fail(f"topology endpoints: {epts}")

# A client that does not read loses what does not fit (counted); the remote and the other
# clients go on.
src_ept.send(struct.pack("<II", 20000, 496))
ctl("echo-test", "sim1/rpmsg-echo", "-n", "50")
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    e = jctl("topology", "sim1")["processors"][0]["vdevs"][0]["channels"]
    e = [x for c in e for x in c["endpoints"]][0]
    if e["rx"] + e["rx_dropped"] == 100 + 20000:
        break
    time.sleep(0.02)  # a bounded wait on a counter the daemon reports
else:
    fail(f"stream to a slow reader: {e}")
if e["rx_dropped"] == 0 or e["tx_bad"] != 1 or e["tx"] != 2:
    fail(f"slow reader's counters: {e}")
got = 0
src_ept.setblocking(False)
try:
    while src_ept.recv(1024):
        got += 1
except BlockingIOError:
    pass
if got != e["rx"] - 100:
    fail(f"slow reader: {got} messages queued, the daemon counted {e['rx'] - 100}")
src_ept.setblocking(True)
src_ept.settimeout(30)

# An endpoint ends with its channel: the client reads the end of the connection.
ctl("coredump", "sim1", "on")
ctl("crash", "sim1")
watch.wait("crash", "proc=sim1", "crashes=1")
if src_ept.recv(1024) != b"":
    fail("endpoint still open after its processor crashed")
src_ept.close()
watch.wait("channel-up", "proc=sim1", "name=rpmsg-echo")
dump = jctl("coredump", "sim1")
if dump["mode"] != "on" or not dump["last"].startswith(work):
    fail(f"coredump: {dump}")
with open(dump["last"], "rb") as f:
    if f.read(4) != b"\x7fELF":
        fail("coredump is not an ELF file")

# The loaded resource table, decoded by ampctl after the loader's checks.
rsc = jctl("rsc", "sim1")["resource_table"]
kinds = [e["kind"] for e in rsc["entries"]]
vdev = rsc["entries"][kinds.index("vdev")]
if "trace" not in kinds or vdev["id"] != 7 or len(vdev["vrings"]) != 2 or \
        any(v["da"] == 0 for v in vdev["vrings"]) or vdev["status"] != 7:
    fail(f"rsc: {rsc}")

# trace -f: what was there, then what a reboot writes.
follow = subprocess.Popen([ampctl, "--socket", sock, "trace", "-f", "sim1"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
children.append(follow)
follow_out = Lines(follow.stdout)
follow_out.wait("booting")
ctl("recovery", "sim1", "off")
ctl("crash", "sim1")
# The crash event follows its state=crashed one; an older state=crashed may wait in the backlog.
watch.wait("crash", "proc=sim1", "crashes=2")
if status("sim1")["recovery"] != "off":
    fail("recovery setting")
ctl("recovery", "sim1", "now")
watch.wait("state", "proc=sim1", "state=running")
follow_out.wait("trace restarted")
follow.send_signal(signal.SIGINT)
if follow.wait(30) != 0:
    fail(f"trace -f exit {follow.returncode}: {follow.stderr.read()}")

# The firmware name: set while offline only.
ctl("firmware", "sim1", "rpmsg-faulty.elf", code=1)
ctl("stop", "sim1")
watch.wait("state", "proc=sim1", "state=offline")
if jctl("channels", "sim1")["channels"]:
    fail("channels of a stopped processor")
ctl("firmware", "sim1", "../x", code=1)
ctl("firmware", "sim1", "rpmsg-faulty.elf")
ctl("start", "sim1")
watch.wait("channel-up", "proc=sim1", "name=rpmsg-faulty")
if jctl("firmware", "sim1")["file"] != "rpmsg-faulty.elf":
    fail("firmware name")
# A remote that keeps every buffer: the daemon stops reading that client and retries, and
# serves everyone else meanwhile.
hoard, _ = open_ept("sim1", "rpmsg-faulty")
hoard.send(b"!hoard")
if hoard.recv(1024) != b"done":
    fail("hoard")
hoard.setblocking(False)
sent = 0
try:
    for _ in range(100000):
        hoard.send(b"y" * 64)
        sent += 1
except BlockingIOError:
    pass
ctl("start", "sim0")
watch.wait("channel-up", "proc=sim0", "name=rpmsg-client-sample")
r = ctl("listen", "sim0/rpmsg-client-sample", "--send", "hi", "-n", "1", "-t", "20")
if not r.stdout.strip():
    fail("sim0 did not answer while sim1 hoarded")
if sent < 100:
    fail(f"only {sent} messages before back-pressure")
hoard.close()  # with a message still waiting for a buffer
ctl("stop", "sim1")
ctl("firmware", "sim1", "rpmsg-echo.elf")
ctl("stop", "sim1", code=1)
r = ctl("status", "nope", code=1)
if "no processor" not in r.stderr:
    fail(f"unknown name: {r.stderr}")
ctl("frobnicate", code=2)
if "usage: ampctl listen" not in ctl("listen", "--help").stdout:
    fail("listen --help")

# --- topology ---------------------------------------------------------------------------------
dot = ctl("topology", "--dot").stdout
if not dot.startswith("digraph amp {") or '"sim0" -> "sim0/vdev0"' not in dot:
    fail(f"topology --dot: {dot}")
if "rpmsg-client-sample" not in ctl("topology").stdout:
    fail("topology tree")

# --- bad clients: each gets an error reply, and the daemon goes on serving -------------------
# The fds the daemon holds, once it has read the hang-ups of the ampctl runs above: it handles
# them in the epoll batch that answers a request on this held connection, or an earlier one,
# and a second request is answered in a later batch.
held = connect()
for _ in range(2):
    held.send(b"AMP1 version")
    held.recv(65536)
fds_before = daemon_fds()
for packet, err in [(b"GET / HTTP/1.1", b"EPROTO"), (b"AMP1 ls\n", b"EINVAL"),
                    (b"AMP1 start ../../x", b"EINVAL"), (b"AMP1 " + b"x" * 400, b"EMSGSIZE"),
                    (bytes(range(256)), b"EINVAL"), (b"AMP1 ls" + b" x" * 125, b"EMSGSIZE"),
                    (b"AMP1 open sim1 rpmsg-echo", b"ENODEV"),
                    (b"AMP1 open sim0 nope", b"ENOENT"),
                    (b"AMP1 open sim0 rpmsg-client-sample any 0xffffffff", b"EINVAL")]:
    reply = raw(packet)
    if not reply.startswith(b"AMP1 err " + err):
        fail(f"{packet[:30]!r}: {reply!r}")
# Out of order: a request on a connection that is a stream of events.
w2 = Watch()
w2.c.send(b"AMP1 ls")
if not w2.c.recv(65536).startswith(b"AMP1 err EPROTO"):
    fail("request on a watch connection")
w2.c.close()
# Taking an address that is in use.
e1, info = open_ept("sim0", "rpmsg-client-sample")
reply = raw(f"AMP1 open sim0 rpmsg-client-sample {info['src']} 0x400".encode())
if not reply.startswith(b"AMP1 err EADDRINUSE"):
    fail(f"address in use: {reply!r}")
e1.close()
# An empty packet reads as the end of the connection (SOCK_SEQPACKET): that client is dropped.
if raw(b"") != b"":
    fail("empty packet")
# Clients that go at every point: after connecting, mid-request, after opening an endpoint,
# after asking for a stream they never read.
socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect(sock)
c = connect()
c.send(b"AMP1 ls")
c.close()
c, _ = open_ept("sim0", "rpmsg-client-sample")
c.send(b"x" * 100)
c.close()
# 100 clients at once, half of them endpoints.
clients = []
for i in range(100):
    if i % 2:
        clients.append(open_ept("sim0", "rpmsg-client-sample")[0])
    else:
        clients.append(connect())  # blocking: a full backlog waits for the daemon to accept
for i, c in enumerate(clients):
    c.send(b"hi %d" % i if i % 2 else b"AMP1 ls")
for i, c in enumerate(clients):
    want = b"hello from the remote core" if i % 2 else b"AMP1 ok\nproc name=sim0"
    if not c.recv(65536).startswith(want):
        fail(f"client {i} got no answer")
    c.close()
# Over 256 clients: the one too many is told why, not just cut off.
hold = [connect() for _ in range(256)]
r = ctl("ls", code=1)
if "too many clients" not in r.stderr or "EBUSY" not in r.stderr:
    fail(f"client over the limit: {r.stderr}")
for c in hold:
    c.close()
# Everything those clients had is gone: the daemon holds the fds it held before.
deadline = time.monotonic() + 30
while daemon_fds() != fds_before and time.monotonic() < deadline:
    time.sleep(0.01)  # the daemon closes as it reads each hang-up: a bounded wait for that
if daemon_fds() != fds_before:
    fail(f"daemon fds: {daemon_fds()}, {fds_before} before")
held.close()

# --- permissions: another user is refused; the daemon's group is let in ----------------------
def nobody_reaches(path):
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                           "test", "-x", path]).returncode == 0


if os.geteuid() == 0 and shutil.which("setpriv") and nobody_reaches(run):
    r = ctl("ls", code=1, user="nobody")
    if "permission denied" not in r.stderr:
        fail(f"another user: {r.stderr}")
    gsock = os.path.join(run, "group.sock")
    group = subprocess.Popen([ampd, "--socket", gsock, "--group", "nogroup"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    children.append(group)
    Lines(group.stdout).wait("ready")
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        ampctl, "--socket", gsock, "ls"], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"a member of the daemon's group: {r.stderr}")
    group.send_signal(signal.SIGTERM)
    group.wait(30)
    print("check_ampd: another user refused, the daemon's group let in")
else:
    print("check_ampd: not root, or the runtime directory is closed to other users: the "
          "other-user permission check is skipped")

# No daemon: exit status 3 and a hint.
r = subprocess.run([ampctl, "--socket", os.path.join(run, "none.sock"), "ls"],
                   capture_output=True, text=True)
if r.returncode != 3 or "ampd --socket" not in r.stderr:
    fail(f"no daemon: {r.returncode} {r.stderr}")

# SIGTERM: processors powered off, watchers told, the socket gone, exit 0.
daemon.send_signal(signal.SIGTERM)
try:
    daemon.wait(30)
except subprocess.TimeoutExpired:
    fail("ampd did not stop on SIGTERM")
if daemon.returncode != 0 or os.path.exists(sock):
    fail(f"ampd exit {daemon.returncode}, socket left: {os.path.exists(sock)}")
# ampctl watch saw the processor go down with the daemon, and then the daemon go.
if watcher.wait(30) != 3:
    fail(f"ampctl watch exit {watcher.returncode}")
events = [json.loads(line) for line in watcher.stdout.read().decode().splitlines()]
if {"event": "channel-up", "proc": "sim1", "vdev": "0", "name": "rpmsg-echo", "src": "0xffffffff",
        "dst": "0x401"} not in events or events[-1].get("state") != "offline":
    fail(f"ampctl watch --json: {events[:3]}...{events[-3:]}")

# --- a SoC described in Devicetree ------------------------------------------------------------
sock = os.path.join(run, "soc.sock")
daemon = subprocess.Popen([ampd, "--socket", sock, "--soc",
                           os.path.join(soc_dir, "sim-pinned.dtb")],
                          stdout=subprocess.PIPE, stderr=log)
children.append(daemon)
Lines(daemon.stdout).wait("ready")
procs = {p["name"]: p for p in jctl("ls")["processors"]}
if list(procs) != ["ctl", "rt", "offload"]:
    fail(f"sim-pinned SoC: {procs}")
if procs["rt"]["notify"] != "poll" or procs["rt"]["cpu"] != 1 or procs["ctl"]["cpu"] != -1:
    fail(f"rt's settings: {procs['rt']}")
if procs["offload"]["recovery"] != "off" or procs["ctl"]["recovery"] != "on":
    fail(f"recovery settings: {procs}")
if procs["offload"]["firmware"] != "rpmsg-offload.elf":
    fail(f"offload's firmware: {procs['offload']}")
# ctl boots with the daemon (in the background: it may still be on its way). Watching
# first, then asking: a boot that ends between the two is seen by one of them.
soc_watch = Watch()
if status("ctl")["state"] != "running":
    soc_watch.wait("state", "proc=ctl", "state=running")
if status("offload")["state"] != "offline":
    fail("auto-boot of a processor without amp,auto-boot")
soc_watch.c.close()
daemon.send_signal(signal.SIGTERM)
if daemon.wait(30) != 0:
    fail("ampd with a SoC description did not stop cleanly")
# A description that is not one: refused with the reason, before anything starts.
bad = os.path.join(work, "bad.dtb")
with open(bad, "wb") as f:
    f.write(b"\xd0\x0d\xfe\xed" + b"\0" * 60)
r = subprocess.run([ampd, "--socket", sock, "--soc", bad], capture_output=True, text=True,
                   timeout=30)
if r.returncode != 2 or "bad.dtb" not in r.stderr:
    fail(f"bad SoC description: exit {r.returncode}: {r.stderr}")

# A CPU this machine does not have: refused at start, naming the processor.
src = os.path.join(work, "cpu.dts")
with open(src, "w") as f:
    f.write("""/dts-v1/;
/ { #address-cells = <1>; #size-cells = <1>;
    reserved-memory { #address-cells = <1>; #size-cells = <1>; ranges;
        r: ram@10000000 { reg = <0x10000000 0x100000>; no-map; };
        p: pool@20000000 { reg = <0x20000000 0x200000>; no-map; }; };
    remoteproc { far { compatible = "amp,sim-rproc"; firmware-name = "rpmsg-echo.elf";
        memory-region = <&r>, <&p>; amp,cpu = <1000>; }; }; };
""")
subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", src + ".dtb", src], check=True)
r = subprocess.run([ampd, "--socket", sock, "--soc", src + ".dtb"], capture_output=True,
                   text=True, timeout=30)
if r.returncode != 2 or "far: amp,cpu 1000, but this machine lets ampd use only" not in r.stderr:
    fail(f"a CPU the machine lacks: exit {r.returncode}: {r.stderr}")

print("check_ampd: life cycle, messages, events, coredump, rsc, trace -f, firmware, "
      "back-pressure, topology, bad clients, 100 clients, SIGTERM, SoC in Devicetree: all fine")
