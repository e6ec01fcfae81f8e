#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Draw the latency distributions amp-bench wrote (build/bench/latency.json) as a PNG: one
panel per latency row, the row's distribution beside its baseline's, as the share of
operations slower than each latency (log scales, where tails show).
Usage: plot_latency.py [LATENCY_JSON [PNG]]
It needs matplotlib. When the python3 running it has none, it looks for one that has
($PYTHON, every python3 and python3.N on $PATH, /usr/bin/python3, /usr/local/bin/python3) and
runs itself there; when none has it, it says which it tried and how to install it (Debian:
apt-get install python3-matplotlib) and exits with 1. Benchmark layer.
"""
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "build/bench/latency.json"
out = sys.argv[2] if len(sys.argv) > 2 else "build/bench/latency.png"
REEXEC = "AMP_PLOT_REEXEC"  # set in the interpreter we handed over to: do not look again


def interpreters():
    """Every python3 we could run, each once (by its real path), this one first."""
    seen, found = set(), []
    names = [os.environ.get("PYTHON", ""), sys.executable]
    for d in os.environ.get("PATH", "").split(os.pathsep):
        names.append(os.path.join(d, "python3"))
        names += sorted(n for n in glob.glob(os.path.join(d, "python3.[0-9]*"))
                        if re.fullmatch(r"python3\.[0-9]+", os.path.basename(n)))
    names += ["/usr/bin/python3", "/usr/local/bin/python3"]
    for name in names:
        path = shutil.which(name) if name else None
        if not path:
            continue
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            found.append(path)
    return found


def has_matplotlib(python):
    try:
        return subprocess.run([python, "-c", "import matplotlib"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


try:
    with open(src) as f:
        rows = json.load(f)["rows"]
except FileNotFoundError:
    sys.exit(f"plot_latency: {src} does not exist: run make bench first")
except (ValueError, KeyError, TypeError) as e:
    sys.exit(f"plot_latency: {src} is not amp-bench's latency file ({e}): run make bench again")
if not rows:
    sys.exit(f"plot_latency: {src} has no latency rows (run amp-bench without --only, or with "
             "an --only that selects latency rows)")


try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    if os.environ.get(REEXEC):
        sys.exit(f"plot_latency: {sys.executable} has matplotlib but cannot import it")
    tried = interpreters()
    for python in tried:
        if os.path.realpath(python) != os.path.realpath(sys.executable) and has_matplotlib(python):
            print(f"plot_latency: {sys.executable} has no matplotlib; using {python}")
            sys.stdout.flush()
            os.execve(python, [python, os.path.abspath(__file__), src, out],
                      dict(os.environ, **{REEXEC: "1"}))
    sys.exit("plot_latency: no python3 here has matplotlib; tried " + ", ".join(tried) +
             ".\nInstall it (Debian: apt-get install python3-matplotlib, for /usr/bin/python3; "
             "or pip install matplotlib for another), then run make bench-plot again "
             "(PYTHON=/path/to/python3 picks one).")

def what(name):
    """The x axis's quantity for a row: a boot is not a round trip."""
    return "boot time" if "boot" in name else "round trip"


cols = 2
lines = math.ceil(len(rows) / cols)
fig, axes = plt.subplots(lines, cols, figsize=(6.5 * cols, 3.4 * lines), squeeze=False)
for ax, row in zip(axes.flat, rows):
    # Microseconds read better than ns for most rows; milliseconds for boots.
    scale, unit = (1e6, "ms") if "boot" in row["name"] else (1e3, "\u00b5s")
    if row.get("unit", "ns") != "ns":
        sys.exit(f"plot_latency: row {row['name']!r} is in {row.get('unit')!r}, not ns")
    for key, label, style in (("value_ns", row["name"], "-"),
                              ("baseline_ns", row["baseline"], "--")):
        # "1 - p" on a log axis: the median at 0.5, p99 at 0.01, p99.9 at 0.001.
        tail = [max(1 - p, 1e-5) for p in row["p"]]
        ax.plot([v / scale for v in row[key]], tail, style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{what(row['name'])} ({unit}, log scale)")
    ax.set_ylabel("share of operations slower (log)")
    ax.set_title(row["name"], fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
for ax in list(axes.flat)[len(rows):]:
    ax.axis("off")
fig.tight_layout()
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
fig.savefig(out, dpi=90)
print(f"plot_latency: {len(rows)} distributions drawn into {out}")
