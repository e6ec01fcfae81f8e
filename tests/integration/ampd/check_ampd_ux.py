#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ampd and ampctl safe with files and explicit about failures, each part against a daemon of
its own: what --socket finds at its path, signals to the commands that wait, the reasons a
request failed, ampctl's output and help, coredumps with registers, a crash's trace, the logs.
Waits are on events (a watch connection, a child's output), each with a deadline.
Usage: check_ampd_ux.py AMPD AMPCTL FIRMWARE_DIR PART (socket, signals, reasons, ampctl,
coredump, trace, logs)"""
import json
import os
import re
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "support"))
from ampd_harness import Daemon, children, runtime_dir  # noqa: E402
import ampd_harness  # noqa: E402

ampd, ampctl, fw_dir, part = sys.argv[1:5]
run = runtime_dir("ampd-ux-")
logs = []  # the logs of the daemons started, shown when a check fails


def fail(msg):
    said = ""
    for f in logs:
        f.seek(0)
        said += f.read().decode(errors="replace")[-2000:]
    ampd_harness.fail(msg + ("\nampd said:\n" + said if said else ""))


def new_log(name):
    f = open(os.path.join(run, name + ".log"), "w+b")
    logs.append(f)
    return f


def log_text(f):
    f.flush()
    f.seek(0)
    return f.read().decode(errors="replace")


def start_daemon(name, *args, env=None):
    """ampd on a socket of its own in the runtime directory, its log in a file."""
    return Daemon(ampd, os.path.join(run, name + ".sock"), *args, log=new_log(name), env=env)


def ctl(sock, *args, code=0):
    r = subprocess.run([ampctl, "--socket", sock, *args], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != code:
        fail(f"ampctl {' '.join(args)}: exit {r.returncode}, wanted {code}: {r.stderr}")
    return r


def jctl(sock, *args):
    return json.loads(ctl(sock, "--json", *args).stdout)


class Lines:
    """A child's output, read without blocking past a deadline."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buf = b""
        self.text = ""  # everything read so far

    def wait(self, what, timeout=60, after=0):
        """Whether @what came (after the first @after characters)."""
        deadline = time.monotonic() + timeout
        while what not in self.text[after:]:
            ready, _, _ = select.select([self.fd], [], [], max(deadline - time.monotonic(), 0))
            chunk = os.read(self.fd, 65536) if ready else b""
            if not chunk:
                return False
            self.text += chunk.decode(errors="replace")
        return True


def Watch(sock):
    return ampd_harness.Watch(sock, fail)


# The channel each sample firmware of the default SoC announces last.
CHANNEL = {"sim0": "rpmsg-client-sample", "sim1": "rpmsg-echo"}


def boot(sock, w, *procs):
    """Start each of @procs, and wait until its channel is up (@w: a Watch)."""
    for proc in procs:
        ctl(sock, "start", proc)
        w.wait("channel-up", f"proc={proc}", f"name={CHANNEL[proc]}")


def daemon_up(name, *args, boot_procs=()):
    """A daemon with @args, a watch on it, and @boot_procs started."""
    d = start_daemon(name, *args)
    w = Watch(d.sock)
    boot(d.sock, w, *boot_procs)
    return d, d.sock, w


def field(record, key):
    """@key's value in a record line, decoded (the daemon writes other bytes as %XX)."""
    m = re.search(rf"(?:^| ){key}=(\S*)", record)
    return urllib.parse.unquote(m.group(1)) if m else None


def spawn(*cmd):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children.append(p)
    return p


def wait_exit(p, what, timeout=30):
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        fail(f"{what}: still running {timeout} s later")


def refused_at_start(args, code, *said):
    """ampd with @args exits at once with @code, saying each of @said."""
    try:
        r = subprocess.run([ampd, *args], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        fail(f"ampd {' '.join(args)}: still running 60 s later")
    if r.returncode != code or not all(s in r.stderr for s in said):
        fail(f"ampd {' '.join(args)}: exit {r.returncode}, wanted {code} and {said}: "
             f"{r.stderr}")
    return r


# --- --socket: only a socket nobody serves is ever removed -------------------------------------
def part_socket():
    # A regular file (the SoC description, given to --socket by mistake): left as it was.
    soc = os.path.join(run, "board.dtb")
    with open(soc, "wb") as f:
        f.write(b"\xd0\x0d\xfe\xed precious")
    refused_at_start(["--socket", soc], 2, soc, "a regular file", "not a socket",
                     "left as it is")
    with open(soc, "rb") as f:
        if f.read() != b"\xd0\x0d\xfe\xed precious":
            fail("--socket on a regular file changed it")
    # ampctl on it: not reachable, and no advice that would start a daemon there.
    r = ctl(soc, "ls", code=3)
    if "a regular file, not a socket" not in r.stderr or "ampd --socket" in r.stderr or r.stdout:
        fail(f"ampctl on a regular file: {r.stdout!r} {r.stderr!r}")
    # A directory, a symbolic link (to the file): left too.
    os.mkdir(os.path.join(run, "dir"))
    refused_at_start(["--socket", os.path.join(run, "dir")], 2, "a directory", "not a socket")
    os.symlink(soc, os.path.join(run, "link"))
    refused_at_start(["--socket", os.path.join(run, "link")], 2, "a symbolic link")
    if not os.path.isdir(os.path.join(run, "dir")) or not os.path.islink(os.path.join(run, "link")):
        fail("--socket removed a directory or a link")

    # A socket nobody listens on (a daemon that died left it): replaced.
    stale = os.path.join(run, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(stale)
    s.close()
    ctl(stale, "ls", code=3)
    d = start_daemon("stale")
    if not stat.S_ISSOCK(os.stat(stale).st_mode):
        fail("a stale socket was not replaced")
    if [p["name"] for p in jctl(stale, "ls")["processors"]] != ["sim0", "sim1"]:
        fail("the daemon on a replaced stale socket")
    if "a socket left by a daemon that stopped: removed" not in log_text(logs[-1]):
        fail("replacing a stale socket is not logged")

    # A live socket: another daemon serves it; the second refuses, the first serves on.
    refused_at_start(["--socket", stale], 1, "another ampd serves", stale)
    ctl(stale, "ls")
    # A socket of another kind, served by another program: not ours to take.
    other = os.path.join(run, "stream.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(other)
    srv.listen(1)
    refused_at_start(["--socket", other], 1, "left as it is")
    if not stat.S_ISSOCK(os.stat(other).st_mode):
        fail("another program's socket was removed")
    srv.close()

    # At exit: its own socket goes, a file that took its place stays.
    if d.stop() != 0 or os.path.exists(stale):
        fail("ampd did not remove its socket at exit")
    d = start_daemon("moved")
    moved = os.path.join(run, "moved.sock")
    aside = os.path.join(run, "aside.sock")
    os.rename(moved, aside)
    with open(moved, "w") as f:
        f.write("not ampd's")
    if d.stop() != 0:
        fail("ampd's exit with its socket moved")
    if not os.path.isfile(moved) or open(moved).read() != "not ampd's":
        fail("ampd removed a file that took its socket's place")
    if not os.path.exists(aside):
        fail("ampd removed its socket moved elsewhere")  # it removes by path, and only its own
    print("check_ampd_ux socket: a file, a directory, a link left alone; a stale socket "
          "replaced; a live one and another program's refused; only its own removed at exit")


# --- signals end the commands that wait, with exit status 0 --------------------------------------
def watching(sock, proc, *opts):
    """ampctl watch with @opts, once it printed an event of @proc: it waits for the next one.
    It may not be watching yet when the first change happens: @proc is started or stopped
    again until one is printed."""
    p = spawn(ampctl, "--socket", sock, *opts, "watch")
    out = Lines(p.stdout)
    up = jctl(sock, "status", proc)["state"] == "running"
    for _ in range(20):
        ctl(sock, "stop" if up else "start", proc)
        up = not up
        if out.wait(f"proc={proc}" if not opts else f'"proc": "{proc}"', timeout=5):
            return p, out
    fail(f"ampctl {' '.join(opts)} watch printed no event")


def stops_on(p, out, sig, what):
    p.send_signal(sig)
    code = wait_exit(p, f"{what} after {signal.Signals(sig).name}")
    err = p.stderr.read().decode()
    name = signal.Signals(sig).name
    if code != 0 or f"stopped by {name}" not in err:
        fail(f"{what} on {name}: exit {code}, said {err!r}")


def part_signals():
    d, sock, w = daemon_up("signals", boot_procs=["sim1"])
    for sig in (signal.SIGINT, signal.SIGTERM):
        # listen prints the echo of what it sent: from then on it waits for the next message.
        p = spawn(ampctl, "--socket", sock, "listen", "sim1/rpmsg-echo", "--send", "ping")
        out = Lines(p.stdout)
        if not out.wait("ping"):
            fail("listen printed no echo")
        stops_on(p, out, sig, "listen")
        # trace -f: it printed the buffer, and waits for more.
        p = spawn(ampctl, "--socket", sock, "trace", "-f", "sim1")
        out = Lines(p.stdout)
        if not out.wait("booting"):
            fail("trace -f printed no trace")
        stops_on(p, out, sig, "trace -f")
        p, out = watching(sock, "sim0")
        stops_on(p, out, sig, "watch")
        if jctl(sock, "status", "sim0")["state"] != "offline":
            ctl(sock, "stop", "sim0")
            w.wait("state", "proc=sim0", "state=offline")
    if d.stop() != 0:
        fail("ampd's exit")
    print("check_ampd_ux signals: listen, trace -f and watch stop on SIGINT and SIGTERM, exit 0")


# --- the reasons of failures reach the client ---------------------------------------------------
def patched_elf(src, dst, shift):
    """@src's image with its first loaded segment and its entry point moved by @shift: a
    segment outside the processor's memory."""
    b = bytearray(open(src, "rb").read())
    phoff, = struct.unpack_from("<Q", b, 32)
    phentsize, phnum = struct.unpack_from("<HH", b, 54)
    entry, = struct.unpack_from("<Q", b, 24)
    for i in range(phnum):
        o = phoff + i * phentsize
        if struct.unpack_from("<I", b, o)[0] == 1:  # PT_LOAD
            vaddr, paddr = struct.unpack_from("<QQ", b, o + 16)
            struct.pack_into("<QQ", b, o + 16, vaddr + shift, paddr + shift)
            struct.pack_into("<Q", b, 24, entry + shift)
            break
    with open(dst, "wb") as f:
        f.write(b)


def part_reasons():
    mine = os.path.join(run, "fw")
    os.mkdir(mine)
    patched_elf(os.path.join(fw_dir, "rpmsg-echo.elf"), os.path.join(mine, "outside.elf"),
                0x60000000)
    d = start_daemon("reasons", "--firmware-dir", mine)
    sock = d.sock

    # A file found nowhere: said, with every directory searched.
    ctl(sock, "firmware", "sim0", "nosuch.elf")
    r = ctl(sock, "start", "sim0", code=1)
    if not all(s in r.stderr for s in ("nosuch.elf", "not found", "searched", mine,
                                        "(the sample firmwares)", "ENOENT")):
        fail(f"start of a missing firmware: {r.stderr!r}")
    st = jctl(sock, "status", "sim0")
    if "not found" not in st["error"] or mine not in st["error"] or \
            "ampctl start sim0" not in st["error"]:
        fail(f"status after a failed start: {st}")
    if "error: firmware nosuch.elf: not found" not in ctl(sock, "status", "sim0").stdout:
        fail("status (text) does not say why the start failed")
    row = [l for l in ctl(sock, "ls").stdout.splitlines() if l.startswith("sim0 ")]
    if not row or "not found" not in row[0]:
        fail(f"ls after a failed start: {row}")

    # A segment outside the processor's memory: which one, and that it is not its memory.
    ctl(sock, "firmware", "sim0", "outside.elf")
    r = ctl(sock, "start", "sim0", code=1)
    if not all(s in r.stderr for s in ("outside.elf", "segment 0", "0x70000000",
                                        "not memory of this processor")):
        fail(f"start of a firmware outside memory: {r.stderr!r}")
    if "not memory of this processor" not in jctl(sock, "status", "sim0")["error"]:
        fail("status after a segment outside memory")
    # A start that works clears it.
    ctl(sock, "firmware", "sim0", "rpmsg-client-sample.elf")
    w = Watch(sock)
    boot(sock, w, "sim0")
    if jctl(sock, "status", "sim0")["error"] != "-":
        fail("an old error after a start that worked")

    # Too many crashes in a row: automatic recovery stops; status and the log say so, with the
    # command that recovers. Crashes as fast as the processor comes back, until it is left
    # crashed (5 recoveries within 10 s; on a slow machine it may take more rounds).
    boot(sock, w, "sim1")
    w.wait("state", "proc=sim1", "state=running")
    w.backlog.clear()
    for i in range(40):
        ctl(sock, "crash", "sim1")
        ev = w.wait("proc=sim1")
        while not ev.startswith(("AMP1 event state proc=sim1 state=running",
                                 "AMP1 event error")):
            ev = w.wait("proc=sim1")
        if ev.startswith("AMP1 event error"):
            break
    else:
        fail("40 crashes in a row, and automatic recovery never stopped")
    reason = field(ev, "reason")
    if "automatic recovery stopped" not in reason or "ampctl recovery sim1 now" not in reason:
        fail(f"the error event: {ev}")
    st = jctl(sock, "status", "sim1")
    if st["state"] != "crashed" or "automatic recovery stopped" not in st["error"] or \
            "ampctl recovery sim1 now" not in st["error"]:
        fail(f"status after the crash limit: {st}")
    said = log_text(logs[-1])
    if not re.search(r"warning: ampd: sim1: .*automatic recovery stopped.*"
                     r"\(ampctl recovery sim1 now recovers it\)", said) or \
            "rproc_trigger_recovery" in said:
        fail("the log after the crash limit does not give the ampctl command")
    ctl(sock, "recovery", "sim1", "now")
    w.wait("state", "proc=sim1", "state=running")
    if jctl(sock, "status", "sim1")["error"] != "-":
        fail("the crash limit's error after a recovery by hand")
    if d.stop() != 0:
        fail("ampd's exit")

    # An auto-boot that fails: in ls and status, and an error event.
    dtb = ampd_harness.one_sim_soc(run, "early", "gone.elf", "amp,auto-boot;")
    d = start_daemon("autoboot", "--soc", dtb)
    w = Watch(d.sock)
    st = jctl(d.sock, "status", "early")
    if st["error"] == "-":  # the boot is in the background: it may not have failed yet
        w.wait("error", "proc=early")
        st = jctl(d.sock, "status", "early")
    if st["state"] != "offline" or "gone.elf" not in st["error"] or \
            "not found" not in st["error"] or "ampctl start early" not in st["error"]:
        fail(f"status after a failed auto-boot: {st}")
    if "gone.elf: not found" not in jctl(d.sock, "ls")["processors"][0]["error"]:
        fail("ls after a failed auto-boot")
    if "auto-boot failed" not in log_text(logs[-1]):
        fail("a failed auto-boot is not logged as one")
    if d.stop() != 0:
        fail("ampd's exit")
    print("check_ampd_ux reasons: a missing firmware with the directories searched, a segment "
          "outside memory, the crash limit, a failed auto-boot: said to the client, in ls and "
          "status")


# --- ampctl: stdout, --version, send --hex, --json, help --------------------------------------
COMMANDS = [["ls"], ["status", "sim0"], ["start", "sim0"], ["stop", "sim0"],
            ["firmware", "sim0"], ["firmware", "sim0", "x.elf"], ["recovery", "sim0", "on"],
            ["crash", "sim0"], ["trace", "sim0"], ["trace", "--crash", "sim0"],
            ["trace", "-f", "sim0"], ["coredump", "sim0"], ["rsc", "sim0"], ["topology"],
            ["topology", "--dot"], ["channels", "sim0"], ["send", "sim0/x", "hi"],
            ["send", "--hex", "sim0/x", "4142"], ["listen", "sim0/x"], ["echo-test", "sim0/x"],
            ["watch"], ["version"]]


def help_columns(text, what):
    for line in text.splitlines():
        if len(line) > 80:
            fail(f"{what}: a line over 80 columns: {line!r}")


def part_ampctl():
    # No daemon: nothing on stdout, the reason on stderr, exit 3; from every command.
    none = os.path.join(run, "none.sock")
    for args in COMMANDS:
        for j in ([], ["--json"]):
            if j and args[:2] in (["trace", "-f"], ["topology", "--dot"]):
                continue
            r = subprocess.run([ampctl, "--socket", none, *j, *args], capture_output=True,
                               text=True, timeout=60)
            if r.returncode != 3 or r.stdout or "cannot reach ampd" not in r.stderr:
                fail(f"ampctl {' '.join(j + args)} without a daemon: exit {r.returncode}, "
                     f"stdout {r.stdout!r}, stderr {r.stderr!r}")

    # --version, without a daemon.
    for prog in (ampd, ampctl):
        r = subprocess.run([prog, "--version"], capture_output=True, text=True, timeout=60)
        name = os.path.basename(prog)
        if r.returncode != 0 or not re.fullmatch(rf"{name} \d+\.\d+\.\d+ \(protocol AMP1\)\n",
                                                 r.stdout):
            fail(f"{name} --version: {r.returncode} {r.stdout!r} {r.stderr!r}")

    # Help: within 80 columns, the descriptions in one column, every command's options said.
    top = subprocess.run([ampctl, "--help"], capture_output=True, text=True).stdout
    help_columns(top, "ampctl --help")
    help_columns(subprocess.run([ampd, "--help"], capture_output=True, text=True).stdout,
                 "ampd --help")
    cols = set()
    for line in top.splitlines():
        if not line.startswith("  ") or line.lstrip().startswith("ampctl "):
            continue  # not a command's or an option's line (the usage's second line)
        m = re.search(r"\S  +(\S)", line) if line[2] != " " else re.match(r" +(\S)", line)
        if m:  # not a long left part alone on its line
            cols.add(m.start(1))
    if len(cols) != 1:
        fail(f"ampctl --help: descriptions start at columns {sorted(cols)}")
    for args in COMMANDS:
        r = subprocess.run([ampctl, args[0], "--help"], capture_output=True, text=True)
        help_columns(r.stdout, f"ampctl {args[0]} --help")
        for opt in (a for a in args[1:] if a.startswith("-")):
            if opt not in r.stdout.splitlines()[0]:
                fail(f"ampctl {args[0]} --help does not give {opt}: {r.stdout!r}")

    # An option ampd does not know: named.
    refused_at_start(["--sokcet", os.path.join(run, "x.sock")], 2, "--sokcet: no such option",
                     "usage: ampd")

    # .dts to --soc: refused, with the dtc command that compiles it; a .dtb that is source too.
    dts = os.path.join(run, "board.dts")
    with open(dts, "w") as f:
        f.write("/dts-v1/;\n/ { };\n")
    refused_at_start(["--socket", os.path.join(run, "x.sock"), "--soc", dts], 2,
                     "Devicetree source", "compile it with dtc",
                     f"dtc -I dts -O dtb -o {os.path.join(run, 'board.dtb')} {dts}")
    shutil.copy(dts, os.path.join(run, "named.dtb"))
    refused_at_start(["--socket", os.path.join(run, "x.sock"), "--soc",
                      os.path.join(run, "named.dtb")], 2, "compile it with dtc")

    d, sock, w = daemon_up("ctl", boot_procs=["sim0", "sim1"])

    # send --hex: the bytes its digits say. "crash" in hex makes the sample fault.
    r = ctl(sock, "send", "--hex", "sim0/rpmsg-client-sample", "zz", code=2)
    if "not bytes in hex" not in r.stderr:
        fail(f"send --hex zz: {r.stderr}")
    ctl(sock, "send", "--hex", "sim0/rpmsg-client-sample", "abc", code=2)
    ctl(sock, "send", "--hex", "sim1/rpmsg-echo", "00 ff:41")
    ctl(sock, "recovery", "sim0", "off")
    ctl(sock, "send", "--hex", "sim0/rpmsg-client-sample", "63:72:61:73:68")
    w.wait("crash", "proc=sim0", "crashes=1")
    if "asked to crash" not in ctl(sock, "trace", "--crash", "sim0").stdout:
        fail("send --hex 63:72:61:73:68 did not send \"crash\"")
    ctl(sock, "recovery", "sim0", "now")
    w.wait("channel-up", "proc=sim0", "name=rpmsg-client-sample")

    # --json: every command that prints prints JSON; the others print nothing; the text-only
    # forms are refused with a message.
    jsonable = [["ls"], ["status", "sim0"], ["firmware", "sim0"],
                ["firmware", "sim1", "rpmsg-echo.elf"], ["trace", "sim0"],
                ["trace", "--crash", "sim0"], ["coredump", "sim0"], ["rsc", "sim1"],
                ["topology"], ["topology", "sim1"], ["channels", "sim1"],
                ["listen", "sim1/rpmsg-echo", "-n", "1", "--send", "hi"],
                ["echo-test", "sim1/rpmsg-echo", "-n", "3"], ["version"]]
    for args in jsonable:
        r = ctl(sock, "--json", *args, code=1 if args[:2] == ["firmware", "sim1"] else 0)
        if args[:2] == ["firmware", "sim1"]:
            continue  # refused (sim1 runs): the reason on stderr, nothing on stdout
        try:
            json.loads(r.stdout)
        except ValueError:
            fail(f"ampctl --json {' '.join(args)}: not JSON: {r.stdout!r}")
    v = jctl(sock, "version")
    if v.get("protocol") != "AMP1" or "ampd" not in v or "ampctl" not in v:
        fail(f"version --json: {v}")
    for args in (["recovery", "sim0", "on"], ["send", "sim1/rpmsg-echo", "x"],
                 ["send", "--hex", "sim1/rpmsg-echo", "78"]):
        r = ctl(sock, "--json", *args)
        if r.stdout:
            fail(f"ampctl --json {' '.join(args)} printed {r.stdout!r}")
    for args in (["trace", "-f", "sim0"], ["topology", "--dot"]):
        r = ctl(sock, "--json", *args, code=2)
        if "never JSON" not in r.stderr or r.stdout:
            fail(f"ampctl --json {' '.join(args)}: {r.stdout!r} {r.stderr!r}")
    # watch --json: one object per line.
    p, out = watching(sock, "sim1", "--json")
    p.send_signal(signal.SIGTERM)
    wait_exit(p, "watch")
    for line in out.text.splitlines():
        json.loads(line)
    if d.stop() != 0:
        fail("ampd's exit")
    print("check_ampd_ux ampctl: nothing on stdout without a daemon, --version, help within "
          "80 columns, .dts refused with dtc's command, send --hex, --json everywhere")


# --- coredumps -----------------------------------------------------------------------------------
NT_PRSTATUS = 1
PRSTATUS_X86_64 = 336  # Linux's struct elf_prstatus on x86-64
PR_REG_OFF = 112       # where its registers (struct user_regs_struct) start


def notes_of(core):
    """The notes of @core's PT_NOTE segment: (name, type, desc) each."""
    with open(core, "rb") as f:
        b = f.read()
    if b[:5] != b"\x7fELF\x02" or struct.unpack_from("<HH", b, 16) != (4, 62):
        fail(f"{core} is not an x86-64 ELF64 core file")
    phoff, = struct.unpack_from("<Q", b, 32)
    phentsize, phnum = struct.unpack_from("<HH", b, 54)
    notes = []
    for i in range(phnum):
        o = phoff + i * phentsize
        if struct.unpack_from("<I", b, o)[0] != 4:  # PT_NOTE
            continue
        off, = struct.unpack_from("<Q", b, o + 8)
        size, = struct.unpack_from("<Q", b, o + 32)
        pos = off
        while pos + 12 <= off + size:
            namesz, descsz, ntype = struct.unpack_from("<III", b, pos)
            name = b[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            desc_off = pos + 12 + (namesz + 3) // 4 * 4
            notes.append((name, ntype, b[desc_off:desc_off + descsz]))
            pos = desc_off + (descsz + 3) // 4 * 4
    return notes


def part_coredump():
    # A --coredump-dir that cannot take a file: refused at start.
    refused_at_start(["--socket", os.path.join(run, "x.sock"), "--coredump-dir",
                      os.path.join(run, "nonexistent")], 2, "--coredump-dir",
                     "No such file or directory")
    plain = os.path.join(run, "plain")
    open(plain, "w").close()
    refused_at_start(["--socket", os.path.join(run, "x.sock"), "--coredump-dir", plain], 2,
                     "not a directory")

    dumps = os.path.join(run, "dumps")
    os.mkdir(dumps)
    d, sock, w = daemon_up("coredump", "--coredump-dir", dumps)
    ctl(sock, "coredump", "sim0", "on")
    boot(sock, w, "sim0")
    ctl(sock, "send", "sim0/rpmsg-client-sample", "crash")
    w.wait("crash", "proc=sim0", "crashes=1")
    w.wait("channel-up", "proc=sim0", "name=rpmsg-client-sample")
    dump = jctl(sock, "coredump", "sim0")
    core = dump["last"]
    if dump["error"] != "-" or not core.startswith(dumps):
        fail(f"coredump after a crash: {dump}")
    prstatus = [n for n in notes_of(core) if n[0] == b"CORE" and n[1] == NT_PRSTATUS]
    if len(prstatus) != 1 or len(prstatus[0][2]) != PRSTATUS_X86_64:
        fail(f"the core's notes: {[(n[0], n[1], len(n[2])) for n in notes_of(core)]}")
    rip, = struct.unpack_from("<Q", prstatus[0][2], PR_REG_OFF + 16 * 8)
    if not 0x10000000 <= rip < 0x10100000:
        fail(f"the core's rip {rip:#x} is not in the firmware's memory")
    fw = os.path.join(fw_dir, "rpmsg-client-sample.elf")
    gdb = shutil.which("gdb")
    if gdb:
        r = subprocess.run([gdb, "-nx", "-batch", "-ex", "bt", fw, core], capture_output=True,
                           text=True, timeout=120)
        frames = re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+)", r.stdout, re.M)
        # Unwound to the firmware's main(): the stack is in the core, not only the registers.
        if not frames or frames[0] != "sample_cb" or "main" not in frames:
            fail(f"gdb's backtrace of the coredump: {r.stdout} {r.stderr}")
        said = f"gdb's backtrace: {' <- '.join(frames)}"
    else:
        said = "gdb not found: its backtrace was not checked"

    # A dump that cannot be written (its directory went): the reason reaches ampctl.
    shutil.rmtree(dumps)
    ctl(sock, "send", "sim0/rpmsg-client-sample", "crash")
    w.wait("crash", "proc=sim0", "crashes=2")
    dump = jctl(sock, "coredump", "sim0")
    if dump["last"] != "-" or "cannot create" not in dump["error"] or \
            "No such file or directory" not in dump["error"]:
        fail(f"coredump after a failed dump: {dump}")
    if "the last crash's coredump failed: cannot create" not in ctl(sock, "coredump",
                                                                    "sim0").stdout:
        fail("ampctl coredump (text) does not say why the dump failed")
    # Enabling it again now: refused, saying why.
    w.wait("state", "proc=sim0", "state=running")
    r = ctl(sock, "coredump", "sim0", "on", code=1)
    if "does not exist" not in r.stderr or "--coredump-dir" not in r.stderr:
        fail(f"coredump on, its directory gone: {r.stderr}")
    if d.stop() != 0:
        fail("ampd's exit")
    print(f"check_ampd_ux coredump: bad directories refused, NT_PRSTATUS with rip in the "
          f"firmware, a failed dump's reason; {said}")


# --- the trace of the last crash ----------------------------------------------------------------
def part_trace():
    d, sock, w = daemon_up("trace", boot_procs=["sim0"])
    r = ctl(sock, "trace", "--crash", "sim0", code=1)
    if "no trace of a crash" not in r.stderr:
        fail(f"trace --crash before any crash: {r.stderr}")
    follow = spawn(ampctl, "--socket", sock, "trace", "-f", "sim0")
    out = Lines(follow.stdout)
    if not out.wait("booting"):
        fail("trace -f printed nothing")
    ctl(sock, "send", "sim0/rpmsg-client-sample", "hello")
    if not out.wait("answered #1"):
        fail("trace -f did not follow the firmware")
    ctl(sock, "send", "sim0/rpmsg-client-sample", "crash")
    w.wait("crash", "proc=sim0", "crashes=1")
    w.wait("channel-up", "proc=sim0", "name=rpmsg-client-sample")
    # After recovery: the crash's trace apart from the new boot's.
    crash = ctl(sock, "trace", "--crash", "sim0").stdout
    now = ctl(sock, "trace", "sim0").stdout
    if "asked to crash: writing to address 0" not in crash or "answered #1" not in crash:
        fail(f"trace --crash after recovery: {crash!r}")
    if "asked to crash" in now or "booting" not in now:
        fail(f"trace of the new boot: {now!r}")
    if jctl(sock, "trace", "--crash", "sim0")["text"] != crash:
        fail("trace --crash --json")
    # trace -f showed the crash's last lines, then the new boot's.
    if not out.wait("trace restarted") or \
            not out.wait("booting", after=out.text.find("trace restarted")):
        fail(f"trace -f after the crash: {out.text!r}")
    text = out.text
    last = text.find("asked to crash")
    mark = text.find("--- crashed ---")
    if last < 0 or mark < last or text.find("booting", mark) < 0:
        fail(f"trace -f around a crash: {text!r}")
    follow.send_signal(signal.SIGINT)
    if wait_exit(follow, "trace -f") != 0:
        fail("trace -f's exit")
    # A stop and a boot keep the crash's trace; only the next crash replaces it.
    ctl(sock, "stop", "sim0")
    w.wait("state", "proc=sim0", "state=offline")
    boot(sock, w, "sim0")
    if ctl(sock, "trace", "--crash", "sim0").stdout != crash:
        fail("the crash's trace after a stop and a boot")
    if d.stop() != 0:
        fail("ampd's exit")
    print("check_ampd_ux trace: --crash reads the crashed run's trace after recovery, apart from "
          "the new boot's; trace -f shows the crash's last lines")


# --- logs ----------------------------------------------------------------------------------------
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (?:error|warning|info|debug): "


def part_logs():
    d, sock, w = daemon_up("logs", "--log-level", "debug")
    ctl(sock, "ls")
    boot(sock, w, "sim1")
    if d.stop() != 0:
        fail("ampd's exit")
    said = log_text(logs[-1])
    lines = said.splitlines()
    if not lines or [l for l in lines if not re.match(STAMP, l)]:
        fail(f"log lines without a time and level: "
             f"{[l for l in lines if not re.match(STAMP, l)][:5]}")
    fw = os.path.join(fw_dir, "rpmsg-echo.elf")
    for what in (r"debug: ampd: pid \d+: AMP1 ls$", r"debug: ampd: pid \d+: -> AMP1 ok$",
                 r"debug: ampd: pid \d+ \(uid \d+\) connected",
                 rf"debug: sim1: firmware rpmsg-echo.elf: reading {re.escape(fw)}$"):
        if not re.search(what, said, re.M):
            fail(f"--log-level debug: no line like {what!r}")
    # At info, no requests.
    d = start_daemon("info")
    ctl(d.sock, "ls")
    if d.stop() != 0 or "AMP1 ls" in log_text(logs[-1]):
        fail("requests logged at the info level")
    # Into the journal (stderr is its stream): a priority, no time of ours.
    jlog = new_log("journal")
    st = os.fstat(jlog.fileno())
    d = Daemon(ampd, os.path.join(run, "journal.sock"), log=jlog,
               env=dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}"))
    if d.stop() != 0:
        fail("ampd's exit")
    jlines = log_text(jlog).splitlines()
    if not jlines or not all(re.match(r"<[3-7]>\S", l) for l in jlines) or \
            any(re.search(STAMP, l) for l in jlines):
        fail(f"log to the journal: {jlines[:3]}")
    print("check_ampd_ux logs: a time and level on each line, requests and firmware paths at "
          "debug, priorities for the journal")


PARTS = {"socket": part_socket, "signals": part_signals, "reasons": part_reasons,
         "ampctl": part_ampctl, "coredump": part_coredump, "trace": part_trace,
         "logs": part_logs}
PARTS[part]()
