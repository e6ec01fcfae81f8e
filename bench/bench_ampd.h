/* SPDX-License-Identifier: BSD-3-Clause */
/* The layers above the rpmsg bus: clients of ampd in C and in Python. Benchmark layer. */
#ifndef AMP_BENCH_AMPD_H
#define AMP_BENCH_AMPD_H

#include "bench_util.h"

/* Client-only pairs: the remote is a sim core the daemon boots. */
extern const struct bench_pair bench_ampd_echo16, bench_ampd_to_remote, bench_python_echo16;

/* Whether the Python row cannot run here (no python3), and why in @why. */
bool bench_python_missing(char *why, size_t len);

#endif /* AMP_BENCH_AMPD_H */
