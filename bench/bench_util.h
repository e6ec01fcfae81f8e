/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared machinery of the benchmarks: two pinned processes on a memfd, alternating windows of a
 * measurement and its baseline, a cache-line ping-pong probe around each window, statistics and
 * the results table / JSON. Benchmark layer.
 */
#ifndef AMP_BENCH_UTIL_H
#define AMP_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define BENCH_SHM_SIZE (4u << 20)

/* The page every window's two processes share; the rest of the memfd is the window's. */
struct bench_shm {
	_Alignas(64) volatile uint32_t stop;   /* client -> server: leave the loop */
	_Alignas(64) volatile uint32_t ready;  /* server -> client: set up, start */
	_Alignas(64) uint64_t done;            /* server -> client: messages consumed */
	_Alignas(64) uint8_t area[];           /* the window's rings and buffers, page aligned */
};

/* The two halves of one benchmark: the server runs in the child (CPU 1) until stop. */
struct bench_pair {
	const char *name;
	/* NULL: the client brings its own remote (the sim platform's core process). */
	void (*server)(struct bench_shm *shm, void *area, size_t area_len);
	/* Runs in the parent (CPU 0); fills @samples_ns (up to @max) or returns a rate. Returns
	 * the figure: a median latency in ns or a rate in messages/s. */
	double (*client)(struct bench_shm *shm, void *area, size_t area_len, uint64_t iterations,
			 double *samples_ns, size_t max);
};

uint64_t bench_now_ns(void);
/* Run @p once: fork the server, wait until it is ready, run the client, stop the server. */
double bench_window(const struct bench_pair *p, uint64_t iterations, double *samples,
		    size_t max);
/* Round-trip time of one cache line bounced between the two CPUs, in ns (median). */
double bench_probe(void);

/* @n zeroed elements of @size bytes for a window's samples, every page of them already mapped
 * and written and left out of forks, or NULL; bench_samples_free() gives them back. A sample
 * stored into a page touched for the first time, or for the first time since a fork(), costs
 * a page fault (1-3 us here): a row that stores inside its timed round trip (the sim echo's,
 * from its callback) would count one per 512 samples, a baseline that stores between its clock
 * reads none. */
void *bench_samples_alloc(size_t n, size_t size);
void bench_samples_free(void *samples);
int bench_cmp_double(const void *a, const void *b);
double bench_percentile(double *sorted, size_t n, double p);

/* Wait loops check this every so many spins: the server must stop when asked. */
static inline bool bench_should_stop(struct bench_shm *shm)
{
	return __atomic_load_n(&shm->stop, __ATOMIC_RELAXED) != 0;
}

/* Tell the compiler that the memory at @p is read here: a consumer's copy of a message into a
 * buffer nobody reads afterwards must still happen (without this, both stream servers' copies
 * were optimised away, and the baseline consumed nothing). */
static inline void bench_consume(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* A bench_pair client that is @expr (of n, samples and max), for rows that bring their own
 * remote (a sim core, a daemon) and use no shared area. */
#define BENCH_CLIENT(fn, expr)                                                                \
	static double fn(struct bench_shm *shm, void *area, size_t area_len, uint64_t n,      \
			 double *samples, size_t max)                                          \
	{                                                                                     \
		(void)shm;                                                                    \
		(void)area;                                                                   \
		(void)area_len;                                                               \
		(void)samples;                                                                \
		(void)max;                                                                    \
		return expr;                                                                  \
	}

/* Results: printed as a table and written as JSON. */
struct bench_result {
	char name[64];
	double value;
	const char *unit;
	char baseline[64];
	double baseline_value;
	double ratio;  /* value / baseline_value, or the inverse for rates: "times the baseline" */
	const char *target;
};

void bench_report(const struct bench_result *r, size_t n, const char *json_path);

/* fopen(@path, "w"), making its directory first (one level); NULL (said on stderr) on failure. */
FILE *bench_fopen(const char *path);

#endif /* AMP_BENCH_UTIL_H */
