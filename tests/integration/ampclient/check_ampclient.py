#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Python client (python/ampclient) against a running ampd on the default SoC, then against
a fake daemon that sends what ampd never would. Every wait has a deadline.
Usage: check_ampclient.py AMPD PYTHON_DIR (where ampclient is)"""
import errno
import os
import socket
import struct
import sys
import threading

ampd, python_dir = sys.argv[1:3]
sys.path[:0] = [python_dir, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                         "support")]
import ampclient  # noqa: E402
from ampd_harness import Daemon, fail, runtime_dir  # noqa: E402


def expect(exc, fn, *args, errname=None, text=None, what=None, **kwargs):
    """@fn(*args) must raise @exc (with @errname, and @text in its message)."""
    what = what or f"{fn.__name__}{args}"
    try:
        fn(*args, **kwargs)
    except exc as e:
        if errname and getattr(e, "errname", None) != errname:
            fail(f"{what}: {e!r}, wanted {errname}")
        if text and text not in str(e):
            fail(f"{what}: {e!r}, wanted {text!r} in it")
        return e
    fail(f"{what}: no {exc.__name__}")


run = runtime_dir("ampclient-")
sock = os.path.join(run, "ampd.sock")
daemon = Daemon(ampd, sock)

# --- control: records, refusals, the default socket ---------------------------------------------
os.environ["AMPD_SOCKET"] = sock
with ampclient.Client() as amp:
    procs = amp.request("ls")
    if [(p.kind, p["name"], p["state"]) for p in procs] != [("proc", "sim0", "offline"),
                                                          ("proc", "sim1", "offline")]:
        fail(f"ls: {procs}")
    if procs[0].number("cpu") != -1 or procs[1]["recovery"] not in ("on", "off"):
        fail(f"ls values: {procs}")
    version = amp.request("version")
    if [(r.kind, r.get("value")) for r in version][:1] != [("protocol", "AMP1")] or \
            version[1].kind != "ampd":
        fail(f"version: {version}")
    e = expect(ampclient.Refused, amp.request, "status", "nosuch", errname="ENOENT")
    if e.errno != errno.ENOENT or not e.message:
        fail(f"refusal: errno {e.errno}, message {e.message!r}")
    expect(ampclient.Refused, amp.request, "start", "sim0", "extra", errname="EINVAL")
    # The connection stays usable after a refusal.
    if amp.request("status", "sim0")[0]["name"] != "sim0":
        fail("status after a refusal")
    expect(ValueError, amp.request, "status", "sim 0")
    expect(ValueError, amp.request, "status", "x" * 300)
    expect(ValueError, amp.request, "watch")
del os.environ["AMPD_SOCKET"]
expect(FileNotFoundError, ampclient.Client, os.path.join(run, "none.sock"))

# --- events, endpoints, trace, rsc ----------------------------------------------------------
amp = ampclient.Client(sock, timeout=60)
watch = amp.watch()
backlog = []


def wait_event(kind, **keys):
    """The next event of @kind with @keys; those it skips are kept for later waits."""
    def match(ev):
        return ev.kind == kind and all(ev.get(k) == v for k, v in keys.items())

    for ev in backlog:
        if match(ev):
            backlog.remove(ev)
            return ev
    while True:
        try:
            ev = watch.next_event(timeout=60)
        except TimeoutError:
            fail(f"no {kind} event with {keys}; had {backlog[-6:]}")
        if match(ev):
            return ev
        backlog.append(ev)


amp.request("start", "sim1")
wait_event("state", proc="sim1", state="running")
up = wait_event("channel-up", proc="sim1", name="rpmsg-echo")
if up.number("dst") != 0x401 or up.number("vdev") != 0:
    fail(f"channel-up: {up}")
expect(ampclient.Refused, amp.request, "start", "sim1", errname="EALREADY")

trace = amp.request("trace", "sim1")
if trace[0].kind != "trace" or "rpmsg-echo firmware: booting" not in trace[0]["text"]:
    fail(f"trace: {trace}")
rsc = amp.request("rsc", "sim1")[0]
table = rsc["table"]
# struct resource_table: ver, num, reserved[2], then num offsets (Linux's remoteproc.h).
if len(table) != rsc.number("size") or struct.unpack_from("<I", table)[0] != 1:
    fail(f"rsc: {rsc}")

with amp.open_endpoint("sim1", "rpmsg-echo") as ept:
    if (ept.proc, ept.channel, ept.dst) != ("sim1", "rpmsg-echo", 0x401) or ept.mtu != 496:
        fail(f"endpoint: {vars(ept)}")
    # Nothing was sent, so nothing comes back: the wait ends at its timeout.
    expect(TimeoutError, ept.recv, timeout=0.05)
    for msg in (b"hello", bytes(range(256)) + b"\0" * 240, b"\n"):
        ept.send(msg)
        if ept.recv(timeout=60) != msg:
            fail(f"echo of {msg[:16]!r}...")
    expect(ValueError, ept.send, b"x" * (ept.mtu + 1))
    expect(ValueError, ept.send, b"")
    topo = amp.request("topology", "sim1")
    if not any(r.kind == "endpoint" and r.number("src") == ept.src and r.number("tx") == 3
               for r in topo):
        fail(f"topology with an endpoint: {topo}")
    # The endpoint goes with its processor's run.
    amp.request("stop", "sim1")
    expect(ampclient.Closed, ept.recv, timeout=60)
wait_event("state", proc="sim1", state="offline")
expect(ampclient.Refused, amp.open_endpoint, "sim1", "rpmsg-echo", errname="ENODEV")
amp.request("start", "sim0")
wait_event("state", proc="sim0", state="running")
expect(ampclient.Refused, amp.open_endpoint, "sim0", "nosuch", errname="ENOENT")

# The daemon powers sim0 off as it stops; the watch hears it, then ends.
if daemon.stop() != 0:
    fail("ampd did not stop cleanly")
rest = backlog + list(watch)
if not rest or (rest[-1].kind, rest[-1].get("proc"), rest[-1].get("state")) != \
        ("state", "sim0", "offline"):
    fail(f"the watch's last events: {rest[-3:]}")
watch.close()
expect(ampclient.Closed, amp.request, "ls")
amp.close()

# --- a fake daemon: whatever it sends is checked ------------------------------------------
class Fake:
    """Answers each packet it reads, on any connection, with the next of .replies (a list of
    packets each); closes a connection when none is left."""

    def __init__(self, path):
        self.replies = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(path)
        self.listener.listen(8)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        with conn:
            try:
                while conn.recv(65536):
                    if not self.replies:
                        return
                    for packet in self.replies.pop(0):
                        conn.send(packet)
            except OSError:
                pass


fake_path = os.path.join(run, "fake.sock")
fake = Fake(fake_path)


def hostile(replies, call, exc=ampclient.ProtocolError, text=None):
    fake.replies = [r if isinstance(r, list) else [r] for r in replies]
    with ampclient.Client(fake_path, timeout=60) as c:
        return expect(exc, call, c, text=text, what=f"{call.__name__} answered {replies}"[:300])


def ls(c):
    return c.request("ls")


def open_ep(c):
    with c.open_endpoint("p", "ch") as ep:
        ep.send(b"hi")
        return ep.recv(timeout=60)


def watch_one(c):
    with c.watch() as w:
        return w.next_event(timeout=60)


# Replies to "ls" that are not AMP1, and what the error says.
for reply, text in [(b"HTTP/1.1 200 OK", "not an AMP1 response"), (b"AMP1 oknot", "AMP1"),
                    (b"AMP1 ok\nproc a b", "twice"), (b"AMP1 ok\nproc Name=a", "key=value"),
                    (b"AMP1 ok\nproc =a", "key=value"), (b"AMP1 ok\nproc name=%4", "%XX"),
                    (b"AMP1 ok\nproc name=%zz", "%XX"), (b"AMP1 ok\nproc name=a/b", "'/'"),
                    (b"AMP1 ok\nproc name=a name=b", "twice"),
                    (b"AMP1 ok\nproc name=\x1b[2J", "printable"),
                    (b"AMP1 ok\n", "not a record line"),
                    (b"AMP1 ok\nproc x=1\n\nproc y=2", "not a record line"),
                    (b"AMP1 err lower case", "errno name"),
                    (b"AMP1 ok\n" + b"a" * 70000, "longer than")]:
    hostile([reply], ls, text=text)
hostile([b"AMP1 ok\ntrace text=x"], lambda c: c.request("rsc", "p"), text="rsc line")
hostile([b"AMP1 ok\nrsc da=0x0 size=2\nhex 0"], lambda c: c.request("rsc", "p"), text="hex")
hostile([b"AMP1 ok\nrsc da=0x0 size=4\nhex 0102"], lambda c: c.request("rsc", "p"),
        text="2 bytes")
hostile([b"AMP1 ok\ntrace \x00"], lambda c: c.request("trace", "p"), text="printable")
hostile([], ls, exc=ampclient.Closed)
e = hostile([b"AMP1 err EBUSY too many clients"], ls, exc=ampclient.Refused)
if e.errno != errno.EBUSY or e.message != "too many clients":
    fail(f"refusal from the fake: {e!r}")
# A response that does not come: the request times out, and the connection is not used again
# (a late response would be taken for the next request's).
fake.replies = [[]]
with ampclient.Client(fake_path) as c:
    expect(TimeoutError, c.request, "ls", timeout=0.05)
    expect(ampclient.Closed, c.request, "ls", text="timed out")
# Decoded values, as the daemon encodes a remote's bytes.
fake.replies = [[b"AMP1 ok\nchannel name=a%20b%FFc%25 future_key=1\nfuture-kind x=y"]]
with ampclient.Client(fake_path) as c:
    got = c.request("channels", "p")
if got[0]["name"].encode("utf-8", "surrogateescape") != b"a b\xffc%" or got[1].kind != \
        "future-kind":
    fail(f"decoding: {got}")

ept_line = b"AMP1 ok\nendpoint proc=p vdev=0 channel=ch src=0x400 dst=0x401 mtu=8"
hostile([ept_line.replace(b"mtu=8", b"mtu=0")], open_ep, text="mtu 0")
hostile([ept_line.replace(b" mtu=8", b"")], open_ep, text="mtu")
hostile([ept_line + b"\nproc name=p"], open_ep, text="not one endpoint line")
hostile([b"AMP1 ok"], open_ep, text="not one endpoint line")
hostile([b"AMP1 ok\nproc name=p"], open_ep, text="no endpoint line")
hostile([ept_line, b"012345678"], open_ep, text="over the MTU")
hostile([ept_line, b"0123456789" * 1000], open_ep, text="longer than 8 bytes")
fake.replies = [[ept_line], [b"01234567"]]
with ampclient.Client(fake_path) as c:
    if open_ep(c) != b"01234567":
        fail("a message of exactly the MTU")
hostile([[b"AMP1 ok", b"AMP1 evnt state"]], watch_one, text="not an event")
hostile([[b"AMP1 ok", b"AMP1 event state proc=a\tb"]], watch_one, text="printable")
hostile([b"AMP1 ok\nproc name=p"], watch_one, text="lines after")
fake.listener.close()

print("check_ampclient: requests, refusals, events, endpoints, trace, rsc, the end of a watch, "
      "and a fake daemon's bad replies: all fine")
