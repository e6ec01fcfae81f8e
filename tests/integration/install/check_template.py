#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A firmware built out of the tree with the installed SDK, and docs/firmware.md held exact:
install, move the install (the SDK's package is found where it lands), configure and build
firmware/template/ against it, build every C block of docs/firmware.md as a firmware (the doc's
CMake block and one of its C blocks are the template's own files, to the byte) and every SDK
header alone (a block with main() is linked as a firmware), then boot the template with the
installed ampd and check that it answers, and the doc's periodic firmware that it beats.
Usage: check_template.py BUILD_DIR SOURCE_DIR libdir=... (the install layout)"""
import os
import re
import subprocess

from installed import Daemon, Lines, Watch, clean_env, fail, install, layout, run, scratch, source

work = scratch()
sdk = os.path.join(work, "sdk")
os.rename(install(os.path.join(work, "first")), sdk)
template = os.path.join(source, "firmware", "template")


def build(src, out):
    run(["cmake", "-S", src, "-B", out, "-DCMAKE_PREFIX_PATH=" + sdk], env=clean_env())
    run(["cmake", "--build", out], env=clean_env())


tpl = os.path.join(work, "template")
build(template, tpl)
elf = os.path.join(tpl, "template.elf")
if open(elf, "rb").read(4) != b"\x7fELF":
    fail("no template.elf")

# The doc's blocks: ```c ... ``` and ```cmake ... ```.
doc = open(os.path.join(source, "docs", "firmware.md")).read()
blocks = re.findall(r"^```(\w+)\n(.*?)^```$", doc, re.M | re.S)
c_blocks = [b for lang, b in blocks if lang == "c"]
cmake_blocks = [b for lang, b in blocks if lang == "cmake"]
if open(os.path.join(template, "main.c")).read() not in c_blocks:
    fail("docs/firmware.md does not show firmware/template/main.c as it is")
if cmake_blocks != [open(os.path.join(template, "CMakeLists.txt")).read()]:
    fail("docs/firmware.md's CMake block is not firmware/template/CMakeLists.txt")
if len(c_blocks) < 3:
    fail(f"docs/firmware.md has {len(c_blocks)} C blocks")
snippets = os.path.join(work, "snippets")
os.makedirs(snippets)
lists = ["cmake_minimum_required(VERSION 3.13)", "project(snippets C)",
         "find_package(amp-fw 0.1 REQUIRED)"]
# A block with main() is a whole firmware, linked; a declaration alone is compiled.
for i, block in enumerate(c_blocks):
    open(os.path.join(snippets, f"doc{i}.c"), "w").write(block)
    if "int main(void)" in block:
        lists.append(f"amp_add_firmware(doc{i} SOURCES doc{i}.c)")
    else:
        lists += [f"add_library(doc{i} OBJECT doc{i}.c)",
                  f"target_link_libraries(doc{i} PRIVATE amp::fw)"]
    lists.append(f"target_compile_options(doc{i} PRIVATE -Wall -Wextra -Werror)")
timing = [i for i, b in enumerate(c_blocks) if "PERIOD_NS" in b]
if len(timing) != 1:
    fail("docs/firmware.md: no timing example")
# Each installed SDK header compiles alone, freestanding.
include = os.path.join(sdk, layout["libdir"], "amp-fw", "include")
headers = sorted(os.path.relpath(os.path.join(d, f), include)
                 for d, _, files in os.walk(include) for f in files)
for i, h in enumerate(headers):
    open(os.path.join(snippets, f"h{i}.c"), "w").write(f"#include <{h}>\nint h{i};\n")
lists += ["add_library(headers OBJECT " + " ".join(f"h{i}.c" for i in range(len(headers))) + ")",
          "target_link_libraries(headers PRIVATE amp::fw)",
          "target_compile_options(headers PRIVATE -Wall -Wextra -Werror)"]
open(os.path.join(snippets, "CMakeLists.txt"), "w").write("\n".join(lists) + "\n")
snippets_build = os.path.join(work, "snippets-build")
build(snippets, snippets_build)

# Booted by the installed daemon, it answers.
sock = os.path.join(work, "ampd.sock")
daemon = Daemon(os.path.join(sdk, layout["sbindir"], "ampd"), sock, "--firmware-dir", tpl,
                "--firmware-dir", snippets_build)
daemon.wait_ready()


def ampctl(*args):
    return run([os.path.join(sdk, layout["bindir"], "ampctl"), "--socket", sock, *args],
               env=clean_env()).stdout


ampctl("firmware", "sim1", "template.elf")
watch = Watch(sock)
ampctl("start", "sim1")
watch.wait("channel-up", "proc=sim1", "name=rpmsg-template")
watch.close()
out = ampctl("listen", "rpmsg-template", "--send", "world", "-n", "1", "-t", "60")
if "hello, world" not in out:
    fail(f"the template answered {out!r}")
if "template firmware: booting" not in ampctl("trace", "sim1"):
    fail("the template's trace")

# The doc's periodic firmware beats with nothing else to wake it (no watchdog, no traffic):
# its trace, followed as it grows, shows a second beat.
ampctl("stop", "sim1")
ampctl("firmware", "sim1", f"doc{timing[0]}.elf")
ampctl("start", "sim1")
follow = subprocess.Popen([os.path.join(sdk, layout["bindir"], "ampctl"), "--socket", sock,
                           "trace", "-f", "sim1"], stdout=subprocess.PIPE, text=True,
                          env=clean_env())
beat = Lines(follow).wait("beat 2,", lambda: "ampctl trace -f")
follow.kill()
follow.wait()
if not beat:
    fail("the doc's periodic firmware did not beat twice")
daemon.stop()
print(f"check_template: the template built out of tree against a moved install and answered; "
      f"{len(c_blocks)} C blocks of docs/firmware.md and {len(headers)} SDK headers compile")
