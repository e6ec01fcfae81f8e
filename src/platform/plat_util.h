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
#include <sys/types.h>

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
	uint64_t next_look_ns;
};

void plat_watchdog_start(struct plat_watchdog *w, unsigned int period_ms, uint64_t now_ns);
/* Whether the counter is to be looked at now, then with the time (@clock's) in *@now_ns: never
 * without a watchdog (the clock is not read either), four times a period with one. The counter
 * is a line the core writes: read at every wake of a notifier, it would cross between the
 * cores twice per message. */
bool plat_watchdog_due(struct plat_watchdog *w, uint64_t (*clock)(void), uint64_t *now_ns);
/* With the counter's value @pets now: reports RPROC_WATCHDOG (and logs) when it is overdue. */
void plat_watchdog_check(struct plat_watchdog *w, struct rproc *rproc, uint64_t pets,
			 uint64_t now_ns);

/* A polling-mode notification thread's turn (plat_poll_turn()); zero it before the first. */
struct plat_poller {
	uint64_t next_check; /* the next look at the watchdog */
	uint64_t next_all;   /* the next look at what costs a system call, under traffic */
	unsigned int spins;  /* idle turns in a row */
	unsigned int busy;   /* turns that found work */
};

/* What a polling-mode notification thread looks at after a turn (plat_poll_turn()). */
enum plat_look {
	PLAT_LOOK_NONE,  /* nothing: spin on */
	PLAT_LOOK_CLOCK, /* the watchdog only: shared memory and the clock, no system call */
	PLAT_LOOK_ALL,   /* the watchdog, and what costs a system call: the core's end, a stop */
};

/* Under traffic that never pauses, how often a poller makes a system call to look at the core's
 * end and a stop (the watchdog is still looked at every millisecond). */
#define PLAT_POLL_BUSY_LOOK_MS 100u

/*
 * One turn of a polling-mode notification thread: the vrings (rproc_poll_pending(), then
 * rproc_poll() when one moved), else a pause, and after 256 idle turns in a row a yield of
 * the CPU. Returns what to look at, with the time in *@now_ns when not PLAT_LOOK_NONE
 * (plat_poll_next()).
 */
enum plat_look plat_poll_turn(struct rproc *rproc, struct plat_poller *p, uint64_t *now_ns);

/*
 * The decision of a turn that found work (@busy) or not, with @clock read only when needed:
 * PLAT_LOOK_ALL at most once a millisecond after 256 idle turns in a row (a dead core sends
 * nothing, so its end is seen within a millisecond of its last message; a stop kills the core
 * first), and under traffic PLAT_LOOK_CLOCK once a millisecond, read every 4096 busy turns,
 * PLAT_LOOK_ALL once every PLAT_POLL_BUSY_LOOK_MS among them. A system call in a polled round
 * trip costs it 1 to 10 us on a virtual machine: once a millisecond, it was the slowest 0.03% of
 * the polled echo. Sets *@yield when the caller should leave the CPU to others first.
 */
enum plat_look plat_poll_next(struct plat_poller *p, bool busy, uint64_t (*clock)(void),
			      uint64_t *now_ns, bool *yield);

/* The first part of a platform's destroy: unregister @rproc if it is registered, and power
 * the core off whoever booted it (a never registered one too). */
void plat_rproc_retire(struct rproc *rproc);

/*
 * Start @path with @argv (and our environment), with the fds @src[0..@n) at @first, @first + 1...
 * (close-on-exec cleared), every fd above them closed, and the fds below @first as they are in
 * this process. Without fork(): posix_spawn() runs the child in our memory until its exec, so
 * a boot leaves none of the host's pages copy-on-write. After a fork(), each thread of the host
 * takes a page fault at its first write to each page, in the middle of whatever it is doing:
 * a polled round trip of another processor's, say. Returns the child's pid, or a negative
 * errno (the exec failing included). Any thread.
 */
pid_t plat_spawn(const char *path, char *const argv[], const int *src, int n, int first);

/*
 * In a child between fork() and exec (where plat_spawn() will not do: the child needs a
 * prctl of its own): move the fds @src[0..@n) to @first, @first + 1... (close
 * on exec cleared), close every other fd above them, and pin to @cpu (-1: not pinned). Returns
 * 0, or -1 (the child should _exit()).
 */
int plat_child_fds(const int *src, int n, int first, int cpu);

#endif /* AMP_PLAT_UTIL_H */
