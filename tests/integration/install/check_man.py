#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The man pages ampd(8) and ampctl(1): they render without a warning (groff -ww, else mandoc's
lint, else, on a machine with neither, a check of every request and escape against the man
macros), carry the build's version, and document every command and option the programs'
--help lists, so that a new one cannot go undocumented.
Usage: check_man.py BUILD_DIR SOURCE_DIR man=DIR ampd=FILE ampctl=FILE version=V ..."""
import os
import re
import shutil

from installed import fail, layout, run

# The requests and escapes of the man macro package the pages may use.
REQUESTS = {"TH", "SH", "SS", "PP", "TP", "IP", "RS", "RE", "B", "I", "BR", "BI", "IB", "IR",
            "RB", "RI", "nf", "fi", "br", "sp", "\\\""}
ESCAPES = re.compile(r"\\(f[BIRP]|-|e|&| |\(..|\")")


def lint(path, text):
    """What a renderer would complain about; the first renderer found does the checking."""
    if shutil.which("groff"):
        return run(["groff", "-man", "-Tutf8", "-ww", "-z", path]).stderr
    if shutil.which("mandoc"):
        p = run(["mandoc", "-T", "lint", "-W", "warning", path], code=None)
        return p.stdout + p.stderr
    said = []
    for n, line in enumerate(text.splitlines(), 1):
        if line[:1] in ".'" and line[1:].split(" ", 1)[0] not in REQUESTS:
            said.append(f"{n}: unknown request {line.split()[0]}")
        if line.startswith('.\\"'):
            continue
        rest = ESCAPES.sub("", line)
        if "\\" in rest:
            said.append(f"{n}: unknown escape in {line!r}")
    if not text.startswith('.\\"') or "\n.TH " not in text:
        said.append("no .TH")
    return "\n".join(said)


def tags(text):
    """The option and command words of each .TP tag (the line after it), fonts stripped."""
    words = set()
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line == ".TP":
            tag = re.sub(r"\\f[BIRP]|^\.[A-Z]+ ", "", lines[i + 1]).replace("\\-", "-")
            words.update(re.findall(r"(?:^|\s)(-{0,2}[a-z][-a-z]*)", tag))
    return words


def documented(page, program, wanted_re):
    path = os.path.join(layout["man"], page)
    text = open(path).read()
    said = lint(path, text)
    if said.strip():
        fail(f"{page} does not render cleanly:\n{said}")
    th = re.search(r'^\.TH \S+ \d+ "[^"]*" "amp ([^"]*)"', text, re.M)
    if not th or th.group(1) != layout["version"]:
        fail(f"{page}: .TH does not carry version {layout['version']}")
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT",
                    "EXIT STATUS", "SEE ALSO"):
        if not re.search(rf"^\.SH \"?{section}\"?$", text, re.M):
            fail(f"{page} has no {section} section")
    helped = set(re.findall(wanted_re, run([program, "--help"]).stdout, re.M))
    missing = helped - tags(text)
    if not helped or missing:
        fail(f"{page} documents none of {sorted(missing or helped)} (from {program} --help)")
    return len(helped)


n_ctl = documented("ampctl.1", layout["ampctl"], r"^  (-{0,2}[a-z][-a-z]*)")
n_d = documented("ampd.8", layout["ampd"], r"^  (--?[a-z][-a-z]*)")
print(f"check_man: ampctl.1 documents its {n_ctl} commands and options, ampd.8 its {n_d} "
      f"options; both render cleanly")
