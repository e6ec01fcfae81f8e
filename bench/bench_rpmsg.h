/* SPDX-License-Identifier: BSD-3-Clause */
/* rpmsg echo benchmark pairs. Benchmark layer. */
#ifndef AMP_BENCH_RPMSG_H
#define AMP_BENCH_RPMSG_H

#include "bench_util.h"

extern const struct bench_pair bench_rpmsg_echo16, bench_rpmsg_echo496;

#endif /* AMP_BENCH_RPMSG_H */
