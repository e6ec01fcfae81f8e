#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""docs/porting.md held exact: its worked virtio driver (the C block of section 2.3) compiles
against the public headers, with the project's warnings as errors.
Usage: check_porting.py <source dir> <C compiler>"""
import os
import re
import subprocess
import sys
import tempfile

source, cc = sys.argv[1], sys.argv[2]
doc = open(os.path.join(source, "docs", "porting.md")).read()
section = doc.split("### 2.3 A worked driver", 1)
if len(section) != 2:
    sys.exit("docs/porting.md: no section 2.3 (the worked driver)")
block = re.search(r"```c\n(.*?)```", section[1], re.S)
if not block:
    sys.exit("docs/porting.md: section 2.3 has no C block")
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "porting_driver.c")
    with open(src, "w") as f:
        f.write(block.group(1))
    cmd = [cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function",
           "-I", os.path.join(source, "include"), "-c", src, "-o", os.path.join(tmp, "d.o")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit("docs/porting.md section 2.3 does not compile:\n" + r.stderr)
print("docs/porting.md: the worked virtio driver compiles")
