#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Draw the latency distributions amp-bench wrote (build/bench/latency.json) as a PNG: one
panel per latency row, the row's distribution beside its baseline's, as the share of round
trips at or under each latency (log scale, where tails show).
Usage: plot_latency.py [LATENCY_JSON [PNG]]   (needs matplotlib: apt-get install python3-matplotlib)
"""
import json
import math
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "build/bench/latency.json"
out = sys.argv[2] if len(sys.argv) > 2 else "build/bench/latency.png"
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("plot_latency: matplotlib is missing (Debian: apt-get install python3-matplotlib, "
             "then run this with /usr/bin/python3)")

with open(src) as f:
    rows = json.load(f)["rows"]
if not rows:
    sys.exit(f"plot_latency: {src} has no latency rows (run amp-bench without --only, or with "
             "an --only that selects latency rows)")
cols = 2
lines = math.ceil(len(rows) / cols)
fig, axes = plt.subplots(lines, cols, figsize=(6.5 * cols, 3.2 * lines), squeeze=False)
for ax, row in zip(axes.flat, rows):
    for key, label, style in (("value_ns", row["name"], "-"),
                              ("baseline_ns", row["baseline"], "--")):
        # "1 - p" on a log axis: the median at 0.5, p99 at 0.01, p99.9 at 0.001.
        tail = [max(1 - p, 1e-5) for p in row["p"]]
        ax.plot(row[key], tail, style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("round trip (ns)")
    ax.set_ylabel("share slower")
    ax.set_title(row["name"], fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
for ax in list(axes.flat)[len(rows):]:
    ax.axis("off")
fig.tight_layout()
fig.savefig(out, dpi=90)
print(f"plot_latency: {len(rows)} distributions drawn into {out}")
