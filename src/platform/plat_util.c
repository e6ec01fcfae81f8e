/* SPDX-License-Identifier: BSD-3-Clause */
/* What the host halves of the platforms share (plat_util.h). Host layer, platforms. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/remoteproc.h>

#include "os/os.h"
#include "platform/plat_util.h"

int plat_pool_alloc(struct plat_pool *pool, size_t len, size_t align, uint64_t *da, void **va)
{
	uint64_t at = *da == FW_RSC_ADDR_ANY ? pool->da : *da;
	unsigned int i;

	if (!len || pool->nallocs == PLAT_POOL_MAX_ALLOCS)
		return -AMP_ENOMEM;
	for (;;) {
		if (*da == FW_RSC_ADDR_ANY)
			at = (at + align - 1) & ~(uint64_t)(align - 1);
		if (!plat_in_range(at, len, pool->da, pool->len))
			return *da == FW_RSC_ADDR_ANY ? -AMP_ENOMEM : -AMP_EINVAL;
		for (i = 0; i < pool->nallocs; i++)
			if (at < pool->allocs[i].da + pool->allocs[i].len &&
			    pool->allocs[i].da < at + len)
				break;
		if (i == pool->nallocs)
			break;
		if (*da != FW_RSC_ADDR_ANY)
			return -AMP_EBUSY;
		at = pool->allocs[i].da + pool->allocs[i].len;
	}
	pool->allocs[pool->nallocs].da = at;
	pool->allocs[pool->nallocs].len = len;
	pool->nallocs++;
	*da = at;
	*va = pool->va + (at - pool->da);
	return 0;
}

void plat_pool_free(struct plat_pool *pool, uint64_t da)
{
	unsigned int i;

	for (i = 0; i < pool->nallocs; i++) {
		if (pool->allocs[i].da == da) {
			pool->allocs[i] = pool->allocs[--pool->nallocs];
			return;
		}
	}
}

void plat_watchdog_start(struct plat_watchdog *w, unsigned int period_ms, uint64_t now_ns)
{
	w->period_ms = period_ms;
	w->last_pets = 0;
	w->last_pet_ns = now_ns;
	w->next_look_ns = now_ns;
}

bool plat_watchdog_due(struct plat_watchdog *w, uint64_t (*clock)(void), uint64_t *now_ns)
{
	if (!w->period_ms)
		return false;
	*now_ns = clock();
	if (*now_ns < w->next_look_ns)
		return false;
	w->next_look_ns = *now_ns + (uint64_t)w->period_ms * AMP_NSEC_PER_MSEC / 4;
	return true;
}

void plat_watchdog_check(struct plat_watchdog *w, struct rproc *rproc, uint64_t pets,
			 uint64_t now_ns)
{
	if (!w->period_ms)
		return;
	if (pets != w->last_pets) {
		w->last_pets = pets;
		w->last_pet_ns = now_ns;
	} else if (now_ns - w->last_pet_ns > w->period_ms * AMP_NSEC_PER_MSEC) {
		amp_log(AMP_LOG_WARN, "%s: watchdog: no pet for %u ms", rproc_name(rproc),
			w->period_ms);
		rproc_report_crash(rproc, RPROC_WATCHDOG);
		w->last_pet_ns = now_ns;
	}
}

enum plat_look plat_poll_next(struct plat_poller *p, bool busy, uint64_t (*clock)(void),
			      uint64_t *now_ns, bool *yield)
{
	*yield = false;
	if (busy) {
		/* Messages flow: no yield and no system call in their way, and the clock only
		 * every 4096 busy turns, so that the watchdog is still looked at. */
		p->spins = 0;
		if (++p->busy & 4095)
			return PLAT_LOOK_NONE;
	} else {
		/* The clock is read after 256 idle spins in a row only: a vDSO call is not free
		 * either. */
		if (++p->spins & 255)
			return PLAT_LOOK_NONE;
		/* Idle for a while: leave the CPU to any other thread that wants it (a thread
		 * sending to this core, typically, on the same CPU). */
		*yield = true;
	}
	*now_ns = clock();
	if (*now_ns < p->next_check)
		return PLAT_LOOK_NONE;
	p->next_check = *now_ns + AMP_NSEC_PER_MSEC;
	if (busy && *now_ns < p->next_all)
		return PLAT_LOOK_CLOCK;
	p->next_all = *now_ns + PLAT_POLL_BUSY_LOOK_MS * AMP_NSEC_PER_MSEC;
	return PLAT_LOOK_ALL;
}

enum plat_look plat_poll_turn(struct rproc *rproc, struct plat_poller *p, uint64_t *now_ns)
{
	bool busy = rproc_poll_pending(rproc), yield;
	enum plat_look look;

	if (busy)
		rproc_poll(rproc);
	else
		AMP_CPU_RELAX();
	look = plat_poll_next(p, busy, amp_now_ns, now_ns, &yield);
	if (yield)
		amp_yield();
	return look;
}

void plat_rproc_retire(struct rproc *rproc)
{
	if (rproc_get_state(rproc) != RPROC_DELETED)
		rproc_unregister(rproc);
	/* Unregistered or never registered: make sure the core is off. */
	while (rproc_power_count(rproc) && rproc_shutdown(rproc) == 0)
		;
}

pid_t plat_spawn(const char *path, char *const argv[], const int *src, int n, int first)
{
	posix_spawn_file_actions_t fa;
	int high = first + n, i, ret;
	pid_t pid;

	/* Out of the way first (a source may sit on a target), then into place, as
	 * plat_child_fds() does; dup2 to another fd clears close-on-exec. */
	for (i = 0; i < n; i++)
		if (src[i] >= high)
			high = src[i] + 1;
	if ((ret = posix_spawn_file_actions_init(&fa)))
		return -ret;
	for (i = 0; i < n && !ret; i++)
		ret = posix_spawn_file_actions_adddup2(&fa, src[i], high + i);
	for (i = 0; i < n && !ret; i++)
		ret = posix_spawn_file_actions_adddup2(&fa, high + i, first + i);
	if (!ret)
		ret = posix_spawn_file_actions_addclosefrom_np(&fa, first + n);
	if (!ret)
		ret = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return ret ? -ret : pid;
}

int plat_child_fds(const int *src, int n, int first, int cpu)
{
	int tmp[16], i;

	if (n > 16)
		return -1;
	/* Out of the way first (a source may sit on a target), then into place; dup2 to another
	 * fd clears close-on-exec. */
	for (i = 0; i < n; i++)
		if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, first + 64)) < 0)
			return -1;
	for (i = 0; i < n; i++)
		if (dup2(tmp[i], first + i) < 0)
			return -1;
	/* Nothing else of ours goes with it, close-on-exec or not. */
	close_range((unsigned int)(first + n), ~0u, 0);
	amp_pin_cpu(cpu);
	return 0;
}
