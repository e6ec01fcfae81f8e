/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the host halves of the platforms share: a pool of device memory handed out first fit,
 * a watchdog fed by a counter the firmware bumps, and putting a child's fds in place before it
 * runs the core. Host layer, platforms.
 */
#ifndef AMP_PLAT_UTIL_H
#define AMP_PLAT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rproc;

#define PLAT_POOL_MAX_ALLOCS 64

/* Device memory at [da, da + len), mapped at @va on the host. */
struct plat_pool {
	uint8_t *va;
	uint64_t da, len;
	struct {
		uint64_t da, len;
	} allocs[PLAT_POOL_MAX_ALLOCS];
	unsigned int nallocs;
};

/* Whether [da, da + len) lies in [base, base + size), without overflow. */
static inline bool plat_in_range(uint64_t da, uint64_t len, uint64_t base, uint64_t size)
{
	return da >= base && da - base <= size && len <= size - (da - base);
}

/* An rproc_ops.mem_alloc: first fit in @pool, aligned; a fixed *@da must lie in the pool and
 * be free (-EINVAL outside it, -EBUSY taken). */
int plat_pool_alloc(struct plat_pool *pool, size_t len, size_t align, uint64_t *da, void **va);
/* An rproc_ops.mem_free. */
void plat_pool_free(struct plat_pool *pool, uint64_t da);

/* The watchdog: the firmware bumps a counter; no change for @period_ms is a crash. */
struct plat_watchdog {
	unsigned int period_ms; /* 0: no watchdog */
	uint64_t last_pets, last_pet_ns;
};

void plat_watchdog_start(struct plat_watchdog *w, unsigned int period_ms, uint64_t now_ns);
/* With the counter's value @pets now: reports RPROC_WATCHDOG (and logs) when it is overdue. */
void plat_watchdog_check(struct plat_watchdog *w, struct rproc *rproc, uint64_t pets,
			 uint64_t now_ns);

/* A polling-mode notification thread's turn (plat_poll_turn()); zero it before the first. */
struct plat_poller {
	uint64_t next_check;
	unsigned int spins; /* idle turns in a row */
	unsigned int busy;  /* turns that found work */
};

/*
 * One turn of a polling-mode notification thread: the vrings (rproc_poll_pending(), then
 * rproc_poll() when one moved), else a pause, and after 256 idle turns in a row a yield of
 * the CPU. Returns true, with the time in *@now_ns, at most once a millisecond, and only after
 * those idle turns or 4096 busy ones: then the caller looks at what costs a system call to see
 * (the core's end, a stop, the watchdog). A dead core sends nothing, so its end is seen within
 * a millisecond and 256 idle spins; a stop kills the core first.
 */
bool plat_poll_turn(struct rproc *rproc, struct plat_poller *p, uint64_t *now_ns);

/* The first part of a platform's destroy: unregister @rproc if it is registered, and power
 * the core off whoever booted it (a never registered one too). */
void plat_rproc_retire(struct rproc *rproc);

/*
 * In a child between fork() and exec: move the fds @src[0..@n) to @first, @first + 1... (close
 * on exec cleared), close every other fd above them, and pin to @cpu (-1: not pinned). Returns
 * 0, or -1 (the child should _exit()).
 */
int plat_child_fds(const int *src, int n, int first, int cpu);

#endif /* AMP_PLAT_UTIL_H */
