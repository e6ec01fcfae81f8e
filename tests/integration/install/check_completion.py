#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The bash completion of ampctl loads in a plain bash (no bash-completion package) and
completes: every command ampctl --help lists, the global options, a command's options and
fixed words (from its usage line), files where a firmware is wanted, and the processor names of
a running ampd.
Usage: check_completion.py BUILD_DIR SOURCE_DIR ampctl=FILE ampd=FILE ..."""
import os
import re

from installed import Daemon, fail, layout, run, scratch, source

script = os.path.join(source, "tools", "ampctl", "ampctl.bash")
ampctl = layout["ampctl"]


def complete(*words):
    """What completing the last of @words offers, after `ampctl`, as a sorted list."""
    words = [ampctl, *words]
    p = run(["bash", "--norc", "--noprofile", "-c",
             'source "$0" || exit 9; complete -p ampctl >/dev/null || exit 8; '
             'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ampctl; '
             'printf "%s\\n" "${COMPREPLY[@]}"', script, *words])
    return sorted(filter(None, p.stdout.split("\n")))


def expect(words, want):
    got = complete(*words)
    if got != sorted(want):
        fail(f"completing {words}: {got}, not {sorted(want)}")


commands = re.findall(r"^  ([a-z][-a-z]*)", run([ampctl, "--help"]).stdout, re.M)
if len(commands) < 15 or "start" not in commands or "inspect" not in commands:
    fail(f"ampctl --help lists {commands}")
expect([""], commands)
expect(["st"], [c for c in commands if c.startswith("st")])
expect(["--"], ["--socket", "--json", "--help", "--version"])
expect(["--json", "ech"], ["echo-test"])
expect(["recovery", "sim0", ""], ["on", "off", "now"])
expect(["coredump", "sim0", "o"], ["on", "off"])
expect(["listen", "sim1/rpmsg-echo", "--s"], ["--send"])
expect(["listen", "sim1/rpmsg-echo", "-n", "3", "-"], ["-n", "-t", "--send", "--help", "--json"])
expect(["listen", "sim1/rpmsg-echo", "-n", ""], [])
expect(["trace", "-"], ["-f", "--crash", "--help", "--json"])
expect(["send", "--"], ["--hex", "--help", "--json"])
work = scratch()
open(os.path.join(work, "fw.elf"), "w").close()
expect(["inspect", os.path.join(work, "f")], [os.path.join(work, "fw.elf")])

# Processor names, from the daemon on the socket the command line names.
sock = os.path.join(work, "ampd.sock")
daemon = Daemon(layout["ampd"], sock)
daemon.wait_ready()
expect(["--socket", sock, "start", ""], ["sim0", "sim1"])
expect(["--socket", sock, "trace", "-f", "sim"], ["sim0", "sim1"])
expect(["--socket", sock, "recovery", "sim1", "n"], ["now"])
daemon.stop()
print(f"check_completion: {len(commands)} commands, options, words, files and processor "
      "names complete")
