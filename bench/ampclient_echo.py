#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""amp-bench's Python row: echo round trips of 16 bytes through ampd with python/ampclient,
each checked, each timed; prints one round trip per line in ns, then "mean NS" of an untimed
loop as long. Usage: ampclient_echo.py PYTHON_DIR SOCKET PROC COUNT. Benchmark layer."""
import sys
import time

python_dir, sock, proc, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, python_dir)
import ampclient  # noqa: E402

msg = b"\x5a" * 16
deadline = time.monotonic() + 30
with ampclient.Client(sock) as amp:
    while True:  # the firmware announces its channels after boot
        try:
            ept = amp.open_endpoint(proc, "rpmsg-echo")
            break
        except ampclient.Refused as e:
            if e.errname != "ENOENT" or time.monotonic() > deadline:
                raise
            time.sleep(0.001)
with ept:
    clock = time.perf_counter_ns
    lat = []
    for _ in range(count):
        t = clock()
        ept.send(msg)
        if ept.recv(timeout=30) != msg:
            sys.exit("ampclient_echo: the echo differs")
        lat.append(clock() - t)
    t = clock()
    for _ in range(count):
        ept.send(msg)
        if ept.recv(timeout=30) != msg:
            sys.exit("ampclient_echo: the echo differs")
    mean = (clock() - t) / count
sys.stdout.write("".join(f"{v}\n" for v in lat))
print(f"mean {mean:.1f}")
