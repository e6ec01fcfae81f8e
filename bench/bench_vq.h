/* SPDX-License-Identifier: BSD-3-Clause */
/* Virtqueue and raw-ring benchmark pairs. Benchmark layer. */
#ifndef AMP_BENCH_VQ_H
#define AMP_BENCH_VQ_H

#include "bench_util.h"

extern const struct bench_pair bench_raw_echo, bench_raw_echo496, bench_raw_stream,
	bench_raw_stream_rev, bench_vq_echo, bench_vq_stream;

#endif /* AMP_BENCH_VQ_H */
