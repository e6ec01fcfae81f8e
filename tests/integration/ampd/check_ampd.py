#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End to end through ampctl against a running ampd on the default SoC, and ampd against bad
clients. Waits are on the daemon's events (a watch connection), each with a deadline.
With --qemu-m4, the same daemon on tools/ampd/soc/qemu-m4.dts instead: start, topology,
echo-test, trace, a real fault of a Cortex-M4 and its ARM coredump (exit 77, CTest's skip, when
QEMU or the M4 firmware is missing).
Usage: check_ampd.py AMPD AMPCTL WORK_DIR SOC_DIR [--qemu-m4 FIRMWARE_DIR]"""
import ctypes
import grp
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
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "support"))
from ampd_harness import children, reap, runtime_dir  # noqa: E402
import ampd_harness  # noqa: E402

ampd, ampctl, work, soc_dir = sys.argv[1:5]
m4_fw = sys.argv[6] if len(sys.argv) == 7 and sys.argv[5] == "--qemu-m4" else None
if m4_fw and not os.path.exists(os.path.join(m4_fw, "rpmsg-echo-m4.elf")):
    print("skipped: the Cortex-M4 firmware was not built (Debian: apt-get install "
          "gcc-arm-none-eabi)")
    sys.exit(77)
if m4_fw and not shutil.which("qemu-system-arm"):
    print("skipped: qemu-system-arm not found (Debian: apt-get install qemu-system-arm)")
    sys.exit(77)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chmod(work, 0o755)
run = runtime_dir("ampd-")


def socket_path(name):
    """Where the daemon called @name listens (every socket path is chosen here): in a short
    directory of its own, as the work directory's path may be too long for a socket."""
    return os.path.join(run, name + ".sock")


sock = socket_path("ampd")
# Its log goes to a file: a pipe nobody reads would fill and stop it. A generous idle timeout:
# this test holds connections across slow steps (the idle limit is checked on its own below).
log = open(os.path.join(work, "ampd.log"), "w+b")
soc_arg = ["--soc", os.path.join(soc_dir, "qemu-m4.dtb")] if m4_fw else []
daemon = subprocess.Popen([ampd, "--socket", sock, "--coredump-dir", work, "--idle-timeout", "600",
                           *soc_arg],
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


def ctl(*args, code=0, user=None, at=None):
    cmd = [ampctl, "--socket", at or sock, *args]
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


def connect(path=None):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(path or sock)
    c.settimeout(30)
    return c


def raw(packet):
    """Send one packet on a fresh connection; return the reply packet."""
    c = connect()
    c.send(packet)
    reply = c.recv(65536)
    c.close()
    return reply


def Watch(path=None):
    """The daemon's events (ampd_harness.Watch), on @path or the main daemon's socket."""
    return ampd_harness.Watch(path or sock, fail)


def open_ept(proc, channel, extra=b"", path=None):
    c = connect(path)
    c.send(b"AMP1 open " + proc.encode() + b" " + channel.encode() + extra)
    try:
        reply = c.recv(65536).decode()
    except socket.timeout:
        fail(f"open {proc} {channel}: no answer in 30 s")
    if not reply.startswith("AMP1 ok\nendpoint "):
        fail(f"open {proc} {channel}: {reply}")
    return c, dict(kv.split("=", 1) for kv in reply.split("\n")[1].split()[1:])


def daemon_fds():
    return len(os.listdir(f"/proc/{daemon.pid}/fd"))


def daemon_fds_settled():
    """The daemon's open files once it has handled every hang-up that came before this call.
    A new connection joins the daemon's epoll set when it is accepted, after those hang-ups
    were queued, and epoll reports ready connections in the order they became ready: this
    request is read after them. The count includes this connection, open while counted."""
    c = connect()
    c.send(b"AMP1 version")
    if not c.recv(65536).startswith(b"AMP1 ok"):
        fail("version")
    n = daemon_fds()
    c.close()
    return n


def check_qemu_m4():
    """The Cortex-M4s of qemu-m4.dts through the daemon, as a user drives them."""
    procs = {p["name"]: p for p in jctl("ls")["processors"]}
    if sorted(procs) != ["m4", "m4echo", "sim0"] or procs["m4"]["platform"] != "qemu-m4" or \
            procs["sim0"]["platform"] != "sim":
        fail(f"qemu-m4 SoC: {procs}")
    ctl("start", "m4echo")
    watch.wait("channel-up", "proc=m4echo", "name=rpmsg-echo")
    r = jctl("echo-test", "m4echo/rpmsg-echo", "-n", "300", "-s", "496")
    if r["count"] != 300 or not 0 < r["min_ns"] <= r["median_ns"] <= r["max_ns"]:
        fail(f"echo-test on the M4: {r}")
    topo = ctl("topology", "m4echo").stdout
    if "a Cortex-M4 (QEMU)" not in topo or "rpmsg-echo" not in topo:
        fail(f"topology of the M4: {topo}")
    if "rpmsg-echo firmware: booting" not in ctl("trace", "m4echo").stdout:
        fail("trace of the M4")
    # A real fault of the M4 (the sample writes to address 0), and its ARM coredump.
    ctl("coredump", "m4", "on")
    ctl("start", "m4")
    watch.wait("channel-up", "proc=m4", "name=rpmsg-client-sample")
    ept, _ = open_ept("m4", "rpmsg-client-sample")
    ept.send(b"crash")
    watch.wait("crash", "proc=m4", "crashes=1")
    watch.wait("channel-up", "proc=m4", "name=rpmsg-client-sample")
    ept.close()
    core = jctl("coredump", "m4")["last"]
    with open(core, "rb") as f:
        head = f.read(52 + 32)
    # ELF32 little-endian, ET_CORE, EM_ARM; the first program header a PT_NOTE
    if head[:6] != b"\x7fELF\x01\x01" or struct.unpack_from("<HH", head, 16) != (4, 40) or \
            struct.unpack_from("<I", head, 52)[0] != 4:
        fail(f"the M4's coredump is not an ARM core file with notes: {head!r}")
    if shutil.which("gdb-multiarch"):
        fw = os.path.join(m4_fw, "rpmsg-client-sample-m4.elf")
        r = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-ex", "bt", fw, core],
                           capture_output=True, text=True, timeout=60)
        if "sample_cb" not in r.stdout:
            fail(f"gdb-multiarch on the M4's coredump: {r.stdout} {r.stderr}")
    for name in ("m4", "m4echo"):
        ctl("stop", name)
        watch.wait("state", f"proc={name}", "state=offline")
    daemon.send_signal(signal.SIGTERM)
    if daemon.wait(30) != 0:
        fail("ampd did not stop cleanly")
    print("check_ampd --qemu-m4: ls, start, echo-test, topology, trace, a fault, its ARM "
          "coredump" + (" (opened by gdb-multiarch)" if shutil.which("gdb-multiarch") else ""))


watch = Watch()
if m4_fw:
    check_qemu_m4()
    sys.exit(0)
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
for name in ("rpmsg-echo", "rpmsg-sink", "rpmsg-source", "rpmsg-stamp"):
    watch.wait("channel-up", "proc=sim1", f"name={name}")
ctl("start", "sim1", code=1)  # already started: refused, said why
chans = jctl("channels", "sim1")["channels"]
if {c["name"]: c["dst"] for c in chans} != {"rpmsg-echo": 0x401, "rpmsg-sink": 0x402,
                                             "rpmsg-stamp": 0x403, "rpmsg-source": 0x404}:
    fail(f"channels of sim1: {chans}")
if "rpmsg-echo firmware: booting" not in ctl("trace", "sim1").stdout:
    fail("trace of sim1")

# --- a request that takes long holds up its own client, no other --------------------------------
# sim0's stop is held where the platform waits for its dead core to be reaped: this script
# traces the core (as a debugger would), and the kernel hands a traced process's exit to the
# tracer before the parent. As long as the script keeps the corpse, the stop cannot end;
# meanwhile the daemon must answer ls and carry sim1's echo, and answer the stop once it can.
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_SEIZE = 0x4206


def core_pids():
    """The daemon's children: its processors' cores."""
    pids = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # after the (command name)
        except OSError:
            continue
        if int(fields[1]) == daemon.pid:
            pids.add(int(entry))
    return pids


def answer(c, what):
    c.settimeout(30)
    try:
        return c.recv(65536)
    except socket.timeout:
        fail(f"{what}: no answer in 30 s")


cores = core_pids()
ctl("start", "sim0")
watch.wait("channel-up", "proc=sim0", "name=rpmsg-client-sample")
cores = core_pids() - cores
if len(cores) != 1:
    fail(f"sim0's core: {cores}")
core = cores.pop()
if libc.ptrace(PTRACE_SEIZE, core, None, None) != 0:
    print(f"check_ampd: cannot trace sim0's core ({os.strerror(ctypes.get_errno())}): the "
          "check that a held-up stop stalls no other client is skipped")
    ctl("stop", "sim0")
else:
    core_fd = os.pidfd_open(core)
    stopper = connect()
    stopper.send(b"AMP1 stop sim0")
    # The daemon killed the core: from now on its stop waits on this script.
    if not select.select([core_fd], [], [], 30)[0]:
        fail("sim0's core still alive 30 s after stop")
    os.waitid(os.P_PID, core, os.WEXITED | os.WNOWAIT)
    # A request on the same processor queues behind the stop; the others are served.
    behind = connect()
    behind.send(b"AMP1 trace sim0")
    lister = connect()
    lister.send(b"AMP1 ls")
    reply = answer(lister, "ls while sim0's stop is held up")
    if not reply.startswith(b"AMP1 ok\nproc name=sim0"):
        fail(f"ls while sim0 stops: {reply!r}")
    lister.close()
    echo, _ = open_ept("sim1", "rpmsg-echo")
    echo.send(b"meanwhile")
    if answer(echo, "sim1's echo while sim0's stop is held up") != b"meanwhile":
        fail("sim1's echo while sim0 stops")
    echo.close()
    # The watchers hear of it as it goes: its channels went before the core was stopped.
    watch.wait("channel-down", "proc=sim0", "name=rpmsg-client-sample")
    if select.select([stopper, behind], [], [], 0)[0]:
        fail("sim0's stop answered while its core was not yet reaped")
    os.waitpid(core, 0)  # the tracer lets go: the daemon's wait ends
    os.close(core_fd)
    if answer(stopper, "stop") != b"AMP1 ok":
        fail("sim0's stop")
    if not answer(behind, "trace behind the stop").startswith(b"AMP1 "):
        fail("trace of sim0 after its stop")
    stopper.close()
    behind.close()
watch.wait("state", "proc=sim0", "state=offline")

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


# A client that streams: the daemon takes its messages several to a read, and sends every one,
# in order, waiting for buffers when the ring is full. The echo answers each; an answer that
# does not fit in the client's socket is dropped and counted, never reordered.
def echo_stream(n):
    ept, info = open_ept("sim1", "rpmsg-echo")
    got, done = [], threading.Event()

    # Its own socket object: a timeout is the object's, and the sender's blocks for as long
    # as the daemon holds it back (a full ring, a loaded machine).
    rx = ept.dup()
    rx.settimeout(0.2)

    def read():
        while True:
            try:
                m = rx.recv(64)
            except socket.timeout:
                if done.is_set():
                    return
                continue
            except OSError:
                return
            if not m:
                return
            got.append(struct.unpack("<Q", m)[0])

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    for seq in range(n):
        ept.sendall(struct.pack("<Q", seq))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        chans = jctl("topology", "sim1")["processors"][0]["vdevs"][0]["channels"]
        e = [x for c in chans for x in c["endpoints"]
             if int(str(x["src"]), 0) == int(info["src"], 16)][0]
        if e["tx"] == n and e["rx"] + e["rx_dropped"] == n:
            break
        time.sleep(0.02)  # a bounded wait on counters the daemon reports
    else:
        fail(f"stream to the echo: {e}")
    done.set()
    reader.join()
    rx.close()
    ept.close()
    if e["tx_bad"] or len(got) != e["rx"] or any(b <= a for a, b in zip(got, got[1:])):
        fail(f"stream to the echo: {e}, {len(got)} answers read, "
             f"out of order at {[(i, got[max(0, i - 3):i + 4]) for i, (a, b) in enumerate(zip(got, got[1:])) if b <= a][:5]}")


echo_stream(20000)

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
fds_before = daemon_fds_settled()
for packet, err in [(b"GET / HTTP/1.1", b"EPROTO"), (b"AMP1 ls\n", b"EINVAL"),
                    (b"AMP1 start ../../x", b"EINVAL"), (b"AMP1 " + b"x" * 400, b"EMSGSIZE"),
                    (bytes(range(256)), b"EINVAL"), (b"AMP1 ls" + b" x" * 125, b"EMSGSIZE"),
                    (b"AMP1 open sim1 rpmsg-echo", b"ENODEV"),
                    (b"AMP1 open sim0 nope", b"ENOENT"),
                    (b"AMP1 open sim0 rpmsg-client-sample any 0xffffffff", b"EINVAL"),
                    # rpmsg's reserved addresses (the name service's 0x35 among them)
                    (b"AMP1 open sim0 rpmsg-client-sample 0x35 0x400", b"EINVAL reserved"),
                    (b"AMP1 open sim0 rpmsg-client-sample 0x3ff 0x400", b"EINVAL reserved"),
                    (b"AMP1 open sim0 rpmsg-client-sample 0x1 0x400", b"EINVAL reserved")]:
    reply = raw(packet)
    err, _, said = err.partition(b" ")
    if not reply.startswith(b"AMP1 err " + err) or said not in reply:
        fail(f"{packet[:30]!r}: {reply!r}")
# Out of order: a request on a connection that is a stream of events.
w2 = Watch()
w2.c.send(b"AMP1 ls")
if not w2.c.recv(65536).startswith(b"AMP1 err EPROTO"):
    fail("request on a watch connection")
w2.c.close()
# Taking an address that is in use; one that is free and not reserved is given.
e1, info = open_ept("sim0", "rpmsg-client-sample")
reply = raw(f"AMP1 open sim0 rpmsg-client-sample {info['src']} 0x400".encode())
if not reply.startswith(b"AMP1 err EADDRINUSE"):
    fail(f"address in use: {reply!r}")
e1.close()
e1, info = open_ept("sim0", "rpmsg-client-sample", b" 0x7fff0000 0x400")
if info["src"] != "0x7fff0000":
    fail(f"a free address: {info}")
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
# One user holds at most half the 256 connections: the one too many is told why, not just cut
# off. (Across users, below.)
hold = [connect() for _ in range(128)]
r = ctl("ls", code=1)
if "too many clients of uid 0 (at most 128 of the 256)" not in r.stderr or "EBUSY" not in r.stderr:
    fail(f"client over the limit: {r.stderr}")
for c in hold:
    c.close()
# Everything those clients had is gone: the daemon holds the fds it held before.
deadline = time.monotonic() + 30
while (fds := daemon_fds_settled()) != fds_before and time.monotonic() < deadline:
    time.sleep(0.01)  # cannot happen unless the daemon is late to close: a bounded wait
if fds != fds_before:
    fail(f"daemon fds: {fds}, {fds_before} before")

# --- other users: refused, or let in through the group, each with its share ------------------
def nobody_reaches(path):
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                           "test", "-x", path]).returncode == 0


def request(c, packet):
    """One request and its reply; on a connection the daemon refused, the refusal."""
    try:
        c.send(packet)
    except OSError:
        pass  # refused as it connected: the reason waits to be read
    for _ in range(2):
        try:
            return c.recv(65536)
        except ConnectionResetError:
            continue  # a reset is reported once; what the daemon sent before is still there
    return b""


def hold_watches(uid, gid, path, tries):
    """A child process of user @uid opens watch connections to @path until one is refused
    (or @tries), and keeps them until released. Returns how many it holds, the refusal, and a
    function that releases them and waits for the child to end."""
    rd, wr = os.pipe()
    go_rd, go_wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(rd)
            os.close(go_wr)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            held, refusal = [], ""
            for _ in range(tries):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                c.connect(path)
                c.settimeout(30)
                reply = request(c, b"AMP1 watch")
                if reply != b"AMP1 ok":
                    refusal = reply.decode(errors="replace")
                    break
                held.append(c)
            os.write(wr, f"{len(held)} {refusal}\n".encode())
            os.read(go_rd, 1)
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(wr)
    os.close(go_rd)
    with os.fdopen(rd, "rb") as f:
        count, _, refusal = Lines(f).wait("").partition(" ")

    def release():
        os.write(go_wr, b"x")  # not the pipe's end: a later child holds a copy of this end
        os.close(go_wr)
        if os.waitpid(pid, 0)[1] != 0:
            fail(f"the connections of uid {uid}")

    return int(count), refusal, release


if os.geteuid() == 0 and shutil.which("setpriv") and nobody_reaches(run):
    r = ctl("ls", code=1, user="nobody")
    if "permission denied" not in r.stderr:
        fail(f"another user: {r.stderr}")
    gsock = socket_path("group")
    group = subprocess.Popen([ampd, "--socket", gsock, "--group", "nogroup", "--idle-timeout", "1"],
                             stdout=subprocess.PIPE, stderr=log)
    children.append(group)
    Lines(group.stdout).wait("ready")
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        ampctl, "--socket", gsock, "ls"], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"a member of the daemon's group: {r.stderr}")

    # A control connection that sends no request for --idle-timeout (1 s here) is closed,
    # told why; a watch and an endpoint are not idle once made. Those two are made first: had
    # they an idle deadline, theirs would come first, and they would go before the others.
    gwatch = Watch(gsock)
    ctl("start", "sim1", at=gsock)
    gwatch.wait("channel-up", "proc=sim1", "name=rpmsg-echo")
    gept, _ = open_ept("sim1", "rpmsg-echo", path=gsock)
    silent = connect(gsock)
    asked = connect(gsock)
    asked.send(b"AMP1 version")
    if not answer(asked, "version").startswith(b"AMP1 ok"):
        fail("version")
    for c, what in ((silent, "a connection that sent nothing"),
                    (asked, "a connection silent after its request")):
        reply = answer(c, what)
        if not reply.startswith(b"AMP1 err ETIMEDOUT no request in 1 s (ampd --idle-timeout)"):
            fail(f"{what}: {reply!r}")
        if answer(c, what) != b"":
            fail(f"{what}: still open after the idle timeout")
        c.close()
    gept.send(b"still here")
    if answer(gept, "an endpoint older than the idle connections") != b"still here":
        fail("an endpoint was taken for an idle connection")
    ctl("stop", "sim1", at=gsock)
    gwatch.wait("state", "proc=sim1", "state=offline")  # the watch is there too
    if answer(gept, "the endpoint of a stopped processor") != b"":
        fail("endpoint open after its processor stopped")
    gept.close()

    # One user holds at most half of the 256 connections, so that a member of the group who
    # holds all it can (watches, which are never idle) leaves the others theirs; two users
    # together fill them all.
    nobody, nogroup = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    held, refusal, release_nobody = hold_watches(nobody, nogroup, gsock, 300)
    if held != 128 or f"EBUSY too many clients of uid {nobody}" not in refusal:
        fail(f"uid {nobody}: {held} connections, then {refusal!r}")
    ctl("ls", at=gsock)  # root is still let in
    held, refusal, release_other = hold_watches(1, nogroup, gsock, 300)
    if held >= 128 or "EBUSY too many clients (256)" not in refusal:
        fail(f"uid 1: {held} connections, then {refusal!r}")
    r = ctl("ls", at=gsock, code=1)
    if "too many clients (256)" not in r.stderr:
        fail(f"a full daemon: {r.stderr}")
    release_nobody()
    release_other()
    # At once: the daemon may not have read their hang-ups yet, but lets such connections go
    # before it refuses a new one.
    ctl("ls", at=gsock)
    gwatch.c.close()
    group.send_signal(signal.SIGTERM)
    if group.wait(30) != 0:
        fail("the group's ampd did not stop cleanly")
    print("check_ampd: another user refused, the daemon's group let in; idle connections "
          "closed; one user's share of the connections")
else:
    print("check_ampd: not root, or the runtime directory is closed to other users: the "
          "other-user checks (permissions, idle connections, shares) are skipped")

# No daemon: exit status 3 and a hint.
r = subprocess.run([ampctl, "--socket", socket_path("none"), "ls"],
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
sock = socket_path("soc")
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
# Not a regular file: refused at once, saying what it is (a FIFO is not waited on, a device
# not read).
fifo = os.path.join(work, "soc.fifo")
os.mkfifo(fifo)
for path, kind in ((fifo, "a FIFO"), ("/dev/null", "a character device"),
                   (work, "a directory")):
    try:
        r = subprocess.run([ampd, "--socket", sock, "--soc", path], capture_output=True,
                           text=True, timeout=30)
    except subprocess.TimeoutExpired:
        fail(f"--soc {path}: ampd still at it after 30 s")
    if r.returncode != 2 or f"{path}: {kind}, not a regular file" not in r.stderr:
        fail(f"--soc {path}: exit {r.returncode}: {r.stderr}")
# A CPU this machine does not have: refused at start, naming the processor.
dtb = ampd_harness.one_sim_soc(work, "far", "rpmsg-echo.elf", "amp,cpu = <1000>;")
r = subprocess.run([ampd, "--socket", sock, "--soc", dtb], capture_output=True, text=True,
                   timeout=30)
if r.returncode != 2 or "far: amp,cpu 1000, but this machine lets ampd use only" not in r.stderr:
    fail(f"a CPU the machine lacks: exit {r.returncode}: {r.stderr}")

print("check_ampd: life cycle, a stop held up, messages, events, coredump, rsc, trace -f, "
      "firmware, back-pressure, topology, bad clients, 100 clients, SIGTERM, SoC in Devicetree: "
      "all fine")
