/* SPDX-License-Identifier: BSD-3-Clause */
/* The kernel-IPC baselines (eventfd, socketpair) and CPU time per operation. Benchmark layer. */
#ifndef AMP_BENCH_BASE_H
#define AMP_BENCH_BASE_H

#include "bench_util.h"

/* Create the eventfds and the socketpair every window's server inherits. Once, at start. */
void bench_base_init(void);

extern const struct bench_pair bench_eventfd_pingpong, bench_socket_pingpong, bench_socket_stream,
	bench_spawn;

/* One window of @p with @n iterations, untimed: CPU time (user + sys of this process and the
 * children reaped meanwhile, i.e. both sides) per iteration, in ns. */
double bench_cpu_per_op(const struct bench_pair *p, uint64_t n);

#endif /* AMP_BENCH_BASE_H */
