/* SPDX-License-Identifier: BSD-3-Clause */
/* POSIX implementation of src/os/os.h. Host layer. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <amp/compiler.h>

#include "os/os.h"

/* A failing lock primitive means corrupted memory or a bug of ours: nothing to recover. */
static void amp_os_check(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "amp: %s failed: %s\n", what, strerror(err));
		abort();
	}
}

/*
 * The lock: a word (free or held) taken with one compare-and-swap, and a count of the threads
 * that may sleep on it. A thread that finds it held spins briefly first: holders keep it for a
 * buffer copy at most, and sleeping costs system calls.
 *
 * The unlock is a plain store, then a look at the count: it makes no atomic read-modify-write.
 * On x86 such an instruction waits until every earlier store has left the store buffer, and a
 * sender's earlier stores are the message it just copied into lines the other core read last:
 * with an exchange in the unlock (Drepper's third futex mutex, which this was), the polled
 * host->remote stream spent most of its sending thread's time there (docs/performance.md).
 *
 * A plain store and a later load may be reordered: the unlocker can read the count before its
 * store is seen, find no sleeper, and the new sleeper find the lock still held. The sleeper
 * closes that window with membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) between counting itself
 * and its last look: every thread of the process then passes a full barrier, so either the
 * unlocker's store is seen by that look, or the unlocker's load comes after the barrier and sees
 * the count. The cost is the sleeper's, and only when it is about to sleep. Where the kernel
 * will not register the process for it, the unlock is an exchange (a full barrier) and the
 * window does not exist.
 */
#define AMP_MUTEX_SPINS 64

#ifndef MEMBARRIER_CMD_PRIVATE_EXPEDITED
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED (1 << 3)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED (1 << 4)
#endif

/* Set once, before main() and any thread of ours: true when sleepers can use membarrier(). */
static bool amp_plain_unlock;

__attribute__((constructor)) static void amp_os_register_membarrier(void)
{
	/* Registered once per process; kept across fork(), dropped by exec. */
	amp_plain_unlock =
		syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

bool amp_mutex_unlock_is_plain(void)
{
	return amp_plain_unlock;
}

#if defined(__SANITIZE_THREAD__)
#define AMP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define AMP_TSAN 1
#endif
#endif

#ifdef AMP_TSAN
/* Tell ThreadSanitizer these are locks, so that it checks lock order and reports holders. */
#include <sanitizer/tsan_interface.h>
#define TSAN_MUTEX(call) call
#else
#define TSAN_MUTEX(call) ((void)0)
#endif

static long amp_futex(uint32_t *word, int op, uint32_t val, const struct timespec *abs_time)
{
	/* FUTEX_WAIT_BITSET takes an absolute time on CLOCK_MONOTONIC, as our deadlines are. */
	return syscall(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, val, abs_time, NULL,
		       FUTEX_BITSET_MATCH_ANY);
}

#ifndef NDEBUG
static int32_t amp_self_tid(void)
{
	static __thread int32_t tid;

	if (!tid)
		tid = (int32_t)syscall(SYS_gettid);
	return tid;
}

static void amp_os_misuse(const char *what)
{
	fprintf(stderr, "amp: %s\n", what);
	abort();
}
#endif

void amp_mutex_init(struct amp_mutex *m)
{
	m->state = 0;
	m->waiters = 0;
	m->owner = 0;
	TSAN_MUTEX(__tsan_mutex_create(m, 0));
}

void amp_mutex_destroy(struct amp_mutex *m)
{
	TSAN_MUTEX(__tsan_mutex_destroy(m, 0));
	(void)m;
}

static bool amp_mutex_take(struct amp_mutex *m)
{
	uint32_t c = 0;

	return __atomic_compare_exchange_n(&m->state, &c, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/* A millisecond from now, as FUTEX_WAIT_BITSET takes it. */
static struct timespec *amp_ms_from_now(struct timespec *ts)
{
	uint64_t t = amp_now_ns() + AMP_NSEC_PER_MSEC;

	ts->tv_sec = (time_t)(t / AMP_NSEC_PER_SEC);
	ts->tv_nsec = (long)(t % AMP_NSEC_PER_SEC);
	return ts;
}

static void amp_mutex_wait(struct amp_mutex *m)
{
	struct timespec bound;
	bool bounded = false;
	unsigned int i;

	for (i = 0; i < AMP_MUTEX_SPINS; i++) {
		AMP_CPU_RELAX();
		if (__atomic_load_n(&m->state, __ATOMIC_RELAXED) == 0 && amp_mutex_take(m))
			return;
	}
	/* Counted first, then the barrier on the unlockers, then the look. The fence makes the
	 * count and the look a store-then-load pair in C11's terms too, not only on x86 (where
	 * the fetch-add is a full barrier already); it costs only a thread about to sleep. */
	__atomic_fetch_add(&m->waiters, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* It cannot fail for a registered process; if it ever did, a wake-up could be missed,
	 * and each sleep is then bounded: a millisecond late, never a hang. */
	if (amp_plain_unlock && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
		bounded = true;
	/* Every unlock from here on sees the count: its holder either took the lock after we
	 * counted ourselves, or is a holder the barrier above reached. */
	while (!amp_mutex_take(m))
		amp_futex(&m->state, FUTEX_WAIT_BITSET, 1, bounded ? amp_ms_from_now(&bound) : NULL);
	__atomic_fetch_sub(&m->waiters, 1, __ATOMIC_RELAXED);
}

void amp_mutex_lock(struct amp_mutex *m)
{
	TSAN_MUTEX(__tsan_mutex_pre_lock(m, 0));
#ifndef NDEBUG
	if (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) == amp_self_tid())
		amp_os_misuse("a thread locked a mutex it holds");
#endif
	if (!amp_mutex_take(m))
		amp_mutex_wait(m);
#ifndef NDEBUG
	__atomic_store_n(&m->owner, amp_self_tid(), __ATOMIC_RELAXED);
#endif
	TSAN_MUTEX(__tsan_mutex_post_lock(m, 0, 0));
}

bool amp_mutex_trylock(struct amp_mutex *m)
{
	bool taken;

	TSAN_MUTEX(__tsan_mutex_pre_lock(m, __tsan_mutex_try_lock));
	taken = amp_mutex_take(m);
#ifndef NDEBUG
	if (taken)
		__atomic_store_n(&m->owner, amp_self_tid(), __ATOMIC_RELAXED);
#endif
	TSAN_MUTEX(__tsan_mutex_post_lock(
		m, taken ? __tsan_mutex_try_lock : __tsan_mutex_try_lock_failed, 0));
	return taken;
}

void amp_mutex_unlock(struct amp_mutex *m)
{
	TSAN_MUTEX(__tsan_mutex_pre_unlock(m, 0));
#ifndef NDEBUG
	if (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) != amp_self_tid())
		amp_os_misuse("a thread unlocked a mutex it does not hold");
	__atomic_store_n(&m->owner, 0, __ATOMIC_RELAXED);
#endif
	if (amp_plain_unlock)
		__atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
	else
		__atomic_exchange_n(&m->state, 0, __ATOMIC_SEQ_CST);
	/* The compiler may not move the load above the store (C11 would let it): the barrier a
	 * sleeper sends orders them in the processor, nothing would in the compiler. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->waiters, __ATOMIC_SEQ_CST))
		amp_futex(&m->state, FUTEX_WAKE, 1, NULL);
	TSAN_MUTEX(__tsan_mutex_post_unlock(m, 0));
}

void amp_cond_init(struct amp_cond *c)
{
	c->seq = 0;
	c->waiters = 0;
}

void amp_cond_destroy(struct amp_cond *c)
{
	(void)c;
}

/*
 * The waiter reads the sequence while it holds the mutex, so a signal that comes after it let go
 * has moved it and the futex wait returns at once. The waiter count and the sequence are a
 * Dekker pair (both sequentially consistent): a signaller either sees the waiter, or the waiter
 * sees its move.
 */
int amp_cond_wait_until(struct amp_cond *c, struct amp_mutex *m, uint64_t deadline_ns)
{
	struct timespec ts, *abs_time = NULL;
	uint32_t seq;
	long r;

	if (deadline_ns != UINT64_MAX) {
		ts.tv_sec = (time_t)(deadline_ns / AMP_NSEC_PER_SEC);
		ts.tv_nsec = (long)(deadline_ns % AMP_NSEC_PER_SEC);
		abs_time = &ts;
	}
	__atomic_fetch_add(&c->waiters, 1, __ATOMIC_SEQ_CST);
	seq = __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST);
	amp_mutex_unlock(m);
	r = amp_futex(&c->seq, FUTEX_WAIT_BITSET, seq, abs_time);
	r = r ? errno : 0;
	__atomic_fetch_sub(&c->waiters, 1, __ATOMIC_RELAXED);
	amp_mutex_lock(m);
	if (r && r != ETIMEDOUT && r != EAGAIN && r != EINTR)
		amp_os_check((int)r, "futex wait");
	return r == ETIMEDOUT ? -ETIMEDOUT : 0;
}

void amp_cond_wait(struct amp_cond *c, struct amp_mutex *m)
{
	amp_cond_wait_until(c, m, UINT64_MAX);
}

static void amp_cond_wake(struct amp_cond *c, uint32_t n)
{
	__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->waiters, __ATOMIC_SEQ_CST))
		amp_futex(&c->seq, FUTEX_WAKE, n, NULL);
}

void amp_cond_signal(struct amp_cond *c)
{
	amp_cond_wake(c, 1);
}

void amp_cond_broadcast(struct amp_cond *c)
{
	amp_cond_wake(c, INT32_MAX);
}

uint64_t amp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * AMP_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t amp_deadline_ns(uint32_t timeout_ms)
{
	if (timeout_ms == AMP_WAIT_FOREVER)
		return UINT64_MAX;
	return amp_now_ns() + (uint64_t)timeout_ms * AMP_NSEC_PER_MSEC;
}

int amp_thread_create(struct amp_thread *t, amp_thread_fn fn, void *arg, const char *name)
{
	char short_name[16];
	int err = pthread_create(&t->t, NULL, fn, arg);

	if (err)
		return -err;
	if (name) {
		snprintf(short_name, sizeof(short_name), "%s", name);
		pthread_setname_np(t->t, short_name);
	}
	return 0;
}

void amp_thread_join(struct amp_thread *t)
{
	pthread_join(t->t, NULL);
}

bool amp_thread_is_self(const struct amp_thread *t)
{
	return pthread_equal(t->t, pthread_self()) != 0;
}

void amp_yield(void)
{
	sched_yield();
}

int amp_pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}
