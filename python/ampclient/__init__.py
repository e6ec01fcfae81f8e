# SPDX-License-Identifier: BSD-3-Clause
"""ampclient: ampd's protocol (docs/ampd-protocol.md) in pure Python, as libamp-client speaks it.

    import ampclient

    with ampclient.Client() as amp:                  # $AMPD_SOCKET, else /run/ampd.sock
        for proc in amp.request("ls"):               # [Record('proc', name='sim0', ...), ...]
            print(proc["name"], proc["state"])
        with amp.open_endpoint("sim1", "rpmsg-echo") as ept:
            ept.send(b"hello")
            print(ept.recv(timeout=5))
        for event in amp.watch():                    # Record('state', proc='sim1', ...)
            print(event.kind, dict(event))

Everything the daemon sends is checked before use, as input from another program: a reply
that is not AMP1 raises ProtocolError, never a wrong answer. Client layer.
"""

import errno as _errno
import os
import select
import socket
import time

__all__ = ["Client", "Endpoint", "Watch", "Record", "Error", "Refused", "ProtocolError", "Closed",
           "DEFAULT_SOCKET", "ADDR_ANY"]

PROTO = "AMP1"
DEFAULT_SOCKET = "/run/ampd.sock"  # where ampd listens unless told otherwise
ADDR_ANY = 0xFFFFFFFF  # RPMSG_ADDR_ANY
REQ_MAX = 256  # bytes in a request packet
RESP_MAX = 65536  # bytes in a response packet
_SUN_PATH_MAX = 107  # bytes of a path in a socket address (sun_path less its NUL)

_NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_KEY_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
_HEX = frozenset(b"0123456789abcdefABCDEF")


class Error(OSError):
    """What ampclient raises of its own: .errno (a number), .errname ("ENOENT"), .message."""

    def __init__(self, errname, message):
        self.errname = errname
        self.message = message
        super().__init__(getattr(_errno, errname, _errno.EPROTO), f"{message} ({errname})")


class Refused(Error):
    """The daemon refused a request: .errname and .message are the daemon's."""


class ProtocolError(Error):
    """What the daemon (or whatever listens on the socket) sent is not AMP1."""

    def __init__(self, message):
        super().__init__("EPROTO", message)


class Closed(Error):
    """The daemon closed the connection: it stopped, or an endpoint's channel went."""

    def __init__(self, message="ampd closed the connection"):
        super().__init__("EPIPE", message)


class Record(dict):
    """One line of a response or one event: its .kind ("proc", "channel", "state"...) and its
    key=value words, decoded (%XX is the byte XX: a remote's text may hold any byte; bytes
    that are not UTF-8 decode as surrogate escapes, so value.encode("utf-8",
    "surrogateescape") gives them back). Kinds and keys this version does not know are kept:
    later versions of the protocol add some."""

    def __init__(self, kind, fields):
        super().__init__(fields)
        self.kind = kind

    def __repr__(self):
        return f"Record({self.kind!r}, {dict.__repr__(self)})"

    def number(self, key):
        """The value of @key as an integer (decimal, or hex with 0x)."""
        try:
            return int(self[key], 0)
        except (KeyError, ValueError) as e:
            raise ProtocolError(f"{self.kind} line: no number in {key!r}") from e


def _check_text(data, what, extra=b"\n"):
    """@data as str, after checking it is printable ASCII (and the bytes in @extra)."""
    for b in data:
        if not (0x20 <= b <= 0x7E or b in extra):
            raise ProtocolError(f"{what}: byte 0x{b:02x} is not printable ASCII")
    return data.decode("ascii")


def _decode_value(word, line):
    out = bytearray()
    raw = word.encode("ascii")
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == ord("%"):
            if len(raw) - i < 3 or raw[i + 1] not in _HEX or raw[i + 2] not in _HEX:
                raise ProtocolError(f"bad %XX escape in {line!r}")
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        elif c in _NAME_CHARS:
            out.append(c)
            i += 1
        else:
            raise ProtocolError(f"byte {chr(c)!r} in a value of {line!r}")
    return out.decode("utf-8", "surrogateescape")


def parse_record(line):
    """One "kind key=value..." line as a Record; ProtocolError when it is not one. A word
    without "=" (the version lines: "protocol AMP1", "ampd 0.1.0") is the key "value"."""
    words = line.split(" ")
    kind = words[0]
    if not kind or any(ord(c) not in _NAME_CHARS for c in kind):
        raise ProtocolError(f"not a record line: {line!r}")
    fields = {}
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if not eq:
            key, value = "value", word
        if not key or any(ord(c) not in _KEY_CHARS for c in key):
            raise ProtocolError(f"not a key=value word: {word!r} in {line!r}")
        if key in fields:
            raise ProtocolError(f"{key!r} twice in {line!r}")
        fields[key] = _decode_value(value, line)
    return Record(kind, fields)


def _lines(rest, what):
    """The lines after a status line (@rest: the bytes after "AMP1 ok"), checked as text."""
    if not rest:
        return []
    if not rest.startswith(b"\n"):
        raise ProtocolError(f"{what}: the status line goes on: {rest[:40]!r}")
    return _check_text(rest[1:], what).split("\n")


def _parse_body(verb, rest):
    """What follows "AMP1 ok" as records; a trace is text, an rsc table bytes."""
    if verb == "trace":
        return [Record("trace", {"text": _check_text(rest[1:], "trace", b"\n\t")})]
    lines = _lines(rest, verb or "response")
    records = [parse_record(line) for line in lines]
    if verb != "rsc":
        return records
    # The table's bytes in hex lines of up to 64 bytes after the rsc line; whatever they hold
    # is the remote's to decide, so it is only checked as hex here.
    if not records or records[0].kind != "rsc":
        raise ProtocolError("an rsc response without its rsc line")
    head, table = records[0], bytearray()
    for line in lines[1:]:
        kind, _, digits = line.partition(" ")
        if kind != "hex" or len(digits) % 2 or len(digits) > 128 or \
                any(ord(c) not in _HEX for c in digits):
            raise ProtocolError(f"not a hex line: {line[:80]!r}")
        table += bytes.fromhex(digits)
    if len(table) != head.number("size"):
        raise ProtocolError(f"rsc: {len(table)} bytes, the rsc line says {head['size']}")
    head["table"] = bytes(table)
    return [head]


def _sockaddr(path):
    """The address to connect to for @path, and a descriptor to close after connecting (or
    None). A path over 107 bytes is reached through its directory, as ampd binds it: an O_PATH
    descriptor of the directory named /proc/self/fd/N/FILE (src/ampd/ampd_sockaddr.h)."""
    if len(os.fsencode(path)) <= _SUN_PATH_MAX:
        return path, None
    directory, _, name = path.rpartition("/")
    fd = os.open(directory or ("/" if path.startswith("/") else "."),
                 os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    addr = f"/proc/self/fd/{fd}/{name}"
    if len(os.fsencode(addr)) > _SUN_PATH_MAX or not os.path.exists(f"/proc/self/fd/{fd}"):
        os.close(fd)
        raise OSError(_errno.ENAMETOOLONG, "socket path too long (its file name alone is over "
                      "about 80 bytes, or /proc is not mounted)", path)
    return addr, fd


def _connect(path):
    addr, fd = _sockaddr(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    try:
        s.connect(addr)
    except OSError as e:
        s.close()
        e.filename = path
        raise
    finally:
        if fd is not None:
            os.close(fd)
    return s


def _deadline(timeout):
    return None if timeout is None else time.monotonic() + timeout


def _wait(sock, events, deadline):
    """Whether @sock became ready for @events (select.POLLIN/POLLOUT) before @deadline."""
    poller = select.poll()
    poller.register(sock, events)
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return bool(poller.poll(0))
        if poller.poll(None if left is None else left * 1000 + 1):
            return True


def _recv(sock, bufsize, deadline):
    """One packet of at most @bufsize bytes; TimeoutError past @deadline, Closed at the end.
    A reset (the daemon closed a connection whose packets it had not read) still lets what it
    sent before closing be read."""
    while True:
        if not _wait(sock, select.POLLIN, deadline):
            raise TimeoutError(_errno.ETIMEDOUT, "no answer from ampd in time")
        try:
            data, _, flags, _ = sock.recvmsg(bufsize, 0, socket.MSG_DONTWAIT)
        except ConnectionResetError:
            try:
                data, _, flags, _ = sock.recvmsg(bufsize, 0, socket.MSG_DONTWAIT)
            except (BlockingIOError, ConnectionResetError):
                raise Closed() from None
        except BlockingIOError:
            continue
        if not data:
            raise Closed()
        if flags & socket.MSG_TRUNC:
            raise ProtocolError(f"a packet longer than {bufsize - 1} bytes")
        return data


def _parse_response(packet):
    """The bytes after "AMP1 ok", or Refused for "AMP1 err NAME message"."""
    ok, err = (PROTO + " ok").encode(), (PROTO + " err ").encode()
    if packet == ok or packet.startswith(ok + b"\n"):
        return packet[len(ok):]
    if not packet.startswith(err):
        raise ProtocolError(f"the reply is not an AMP1 response: {packet[:40]!r}")
    text = _check_text(packet[len(err):], "refusal", b"")
    name, _, message = text.partition(" ")
    if not name or not all(c.isupper() or c.isdigit() for c in name) or not name[0].isalpha():
        raise ProtocolError(f"not an errno name: {name[:40]!r}")
    return Refused(name, message or "refused")


def _request_packet(words):
    for w in words:
        if not isinstance(w, str) or not w or any(not 0x21 <= ord(c) <= 0x7E for c in w):
            raise ValueError(f"a request word is 1 or more printable ASCII characters, "
                             f"without spaces: {w!r}")
    packet = " ".join((PROTO,) + words).encode("ascii")
    if len(packet) > REQ_MAX:
        raise ValueError(f"request longer than {REQ_MAX} bytes")
    return packet


class _Connection:
    """One connection to ampd; what it is (control, endpoint, watch) is fixed by its first use.
    A connection is used by one thread at a time."""

    def __init__(self, path):
        self._sock = _connect(path)

    def fileno(self):
        """The socket, for select/poll: readable when a message or an event waits."""
        return self._sock.fileno()

    def close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _socket(self):
        if self._sock is None:
            raise ValueError("the connection is closed")
        return self._sock

    def _transact(self, words, timeout):
        """Send a request, read its response: the bytes after "AMP1 ok"."""
        sock = self._socket()
        packet = _request_packet(words)
        try:
            sock.send(packet, socket.MSG_NOSIGNAL)
        except (BrokenPipeError, ConnectionResetError):
            # A daemon that refused the connection (too many clients) said why first.
            try:
                reply = _parse_response(_recv(sock, RESP_MAX + 1, time.monotonic()))
            except (Error, TimeoutError):
                raise Closed() from None
            if isinstance(reply, Refused):
                raise reply from None
            raise Closed() from None
        reply = _parse_response(_recv(sock, RESP_MAX + 1, _deadline(timeout)))
        if isinstance(reply, Refused):
            raise reply
        return reply


class Client(_Connection):
    """A control connection to ampd (a context manager), and the maker of endpoints and
    watches, each on a connection of its own.

    socket_path: ampd's socket; None for $AMPD_SOCKET, else /run/ampd.sock. A path of any
    length works. Raises what connect() raises: FileNotFoundError or ConnectionRefusedError
    (no daemon there), PermissionError (ampd lets in its owner and its group only)."""

    def __init__(self, socket_path=None, timeout=None):
        if socket_path is None:
            socket_path = os.environ.get("AMPD_SOCKET") or DEFAULT_SOCKET
        self.socket_path = socket_path
        self.timeout = timeout
        self._broken = False
        super().__init__(socket_path)

    def request(self, *words, timeout=None):
        """One request ("ls"; "status", "sim0"; "start", "sim1"...) and its response as a
        list of Records. A trace is one Record("trace") whose "text" is the buffer's text; an
        rsc response is one Record("rsc") with "da", "size" and "table" (the bytes, not
        decoded). Raises Refused with the daemon's errno name and sentence; ValueError for a
        request that cannot be sent; TimeoutError after @timeout seconds (default: the
        Client's), after which the connection is not used again (a late response would be
        taken for the next request's); Closed; ProtocolError."""
        if words and words[0] in ("watch", "open"):
            raise ValueError("use Client.watch() or Client.open_endpoint()")
        if self._broken:
            raise Closed("an earlier request timed out: connect again")
        try:
            body = self._transact(words, self.timeout if timeout is None else timeout)
        except TimeoutError:
            self._broken = True
            raise
        return _parse_body(words[0] if words else "", body)

    def open_endpoint(self, proc, channel, src=None, dst=None, timeout=None):
        """An rpmsg endpoint on @proc's @channel (a name as "channels" shows it), on a new
        connection: an Endpoint, to close (or use with "with"). @src: our address (None:
        any); @dst: the remote's (None: the channel's). Raises Refused (ENOENT no such
        channel, ENODEV processor not running, EADDRINUSE...)."""
        words = ("open", proc, channel)
        if src is not None or dst is not None:
            if dst is None:
                raise ValueError("a source address needs a destination")
            words += ("any" if src is None or src == ADDR_ANY else f"0x{src:x}", f"0x{dst:x}")
        return Endpoint(self.socket_path, words, self.timeout if timeout is None else timeout)

    def watch(self, timeout=None):
        """The daemon's events on a new connection: a Watch, which iterates over them as
        Records (kind "state", "crash", "channel-up", "channel-down", "lost")."""
        return Watch(self.socket_path, self.timeout if timeout is None else timeout)


class Endpoint(_Connection):
    """An rpmsg endpoint, as /dev/rpmsgN is on Linux: one message per send() and recv().
    .proc, .channel, .vdev, .src, .dst, .mtu say what it is bound to. Made by
    Client.open_endpoint(). The endpoint goes with its channel: after the remote withdraws
    it, stops or crashes, recv() raises Closed."""

    def __init__(self, path, words, timeout):
        super().__init__(path)
        try:
            lines = _lines(self._transact(words, timeout), "open")
            if len(lines) != 1:
                raise ProtocolError(f"open: not one endpoint line: {lines[:2]!r}")
            info = parse_record(lines[0])
            if info.kind != "endpoint":
                raise ProtocolError(f"open: no endpoint line: {lines[0][:80]!r}")
            self.proc, self.channel = info.get("proc"), info.get("channel")
            self.vdev, self.src, self.dst = (info.number(k) for k in ("vdev", "src", "dst"))
            self.mtu = info.number("mtu")
            if not 0 < self.mtu <= RESP_MAX:
                raise ProtocolError(f"open: mtu {self.mtu}")
        except BaseException:
            self.close()
            raise

    def send(self, data, timeout=None):
        """Send @data (1 to mtu bytes) as one message. Blocks while the daemon holds back
        (the remote has no free buffer); TimeoutError after @timeout seconds."""
        data = bytes(data)
        if not data:
            raise ValueError("an empty message is not a message")
        if len(data) > self.mtu:
            raise ValueError(f"{len(data)} bytes, over the endpoint's MTU of {self.mtu}")
        sock = self._socket()
        deadline = _deadline(timeout)
        while True:
            if not _wait(sock, select.POLLOUT, deadline):
                raise TimeoutError(_errno.ETIMEDOUT, "ampd did not take the message in time")
            try:
                sock.send(data, socket.MSG_NOSIGNAL | socket.MSG_DONTWAIT)
                return
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                raise Closed() from None

    def recv(self, timeout=None):
        """The next message (bytes); TimeoutError when none comes within @timeout seconds
        (None: wait for ever); Closed when the endpoint ended."""
        data = _recv(self._socket(), self.mtu + 1, _deadline(timeout))
        if len(data) > self.mtu:
            raise ProtocolError(f"a message of {len(data)} bytes, over the MTU of {self.mtu}")
        return data


class Watch(_Connection):
    """The daemon's events: iterate for them as Records (the iteration ends when the daemon
    goes), or next_event(timeout). A watcher that does not read is disconnected by the
    daemon. Made by Client.watch()."""

    def __init__(self, path, timeout):
        super().__init__(path)
        try:
            if self._transact(("watch",), timeout):
                raise ProtocolError("watch: lines after the status line")
        except BaseException:
            self.close()
            raise

    def next_event(self, timeout=None):
        """The next event as a Record; TimeoutError after @timeout seconds; Closed when the
        daemon went."""
        packet = _recv(self._socket(), RESP_MAX + 1, _deadline(timeout))
        tag = (PROTO + " event ").encode()
        if not packet.startswith(tag):
            raise ProtocolError(f"not an event: {packet[:40]!r}")
        return parse_record(_check_text(packet[len(tag):], "event", b""))

    def __iter__(self):
        while True:
            try:
                yield self.next_event()
            except Closed:
                return
