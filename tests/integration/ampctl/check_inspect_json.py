#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run `ampctl inspect --json` on the generated Cortex-M image and check every field a script
would read. Usage: check_inspect_json.py AMPCTL IMAGE"""
import json
import subprocess
import sys

out = subprocess.run([sys.argv[1], "inspect", "--json", sys.argv[2]], check=True,
                     capture_output=True, text=True).stdout
fw = json.loads(out)
assert fw["class"] == 32 and fw["machine"] == 40 and fw["machine_name"] == "ARM", fw
assert fw["entry"] == 0x101, fw["entry"]
assert [s["da"] for s in fw["segments"]] == [0, 0x20000000], fw["segments"]
assert fw["segments"][1]["memsz"] == 0x4000 and fw["segments"][1]["flags"] == "RW-"
table = fw["resource_table"]
assert table["ver"] == 1 and table["num"] == 4 and table["da"] == 0x20000100, table
kinds = [e["kind"] for e in table["entries"]]
assert kinds == ["carveout", "trace", "vdev", "vendor"], kinds
carveout, trace, vdev, vendor = table["entries"]
assert carveout["da"] == 0xFFFFFFFF and carveout["len"] == 0x2000 and carveout["name"] == "heap"
assert trace["da"] == 0x20010000 and trace["len"] == 0x1000 and trace["name"] == "trace0"
assert vdev["id"] == 7 and vdev["device"] == "rpmsg" and vdev["num_of_vrings"] == 2
assert vdev["dfeatures"] == (1 << 0) | (1 << 3) | (1 << 29), hex(vdev["dfeatures"])
assert [v["num"] for v in vdev["vrings"]] == [16, 16] and vdev["vrings"][0]["align"] == 16
assert vendor["type"] == 129 and vendor["body"] == "040000000df0edfe", vendor
print("ampctl inspect --json: every field as built")
