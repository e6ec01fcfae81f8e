/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host library's own mutex and condition variable (src/os/posix/os_posix.c): exclusion
 * under contention, trylock, waits that end by a signal, a broadcast or the deadline, and no
 * lost wake-up, in a long ping-pong or for a thread asleep on the mutex. Threads on purpose:
 * these are the promises every lock in the library stands on. Run under ThreadSanitizer too.
 */
#define _GNU_SOURCE /* pthread_timedjoin_np() */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "os/os.h"

/* Long enough for a loaded two-CPU machine; only a lost wake-up reaches it. */
#define WAIT_MS 20000u

/* --- exclusion ------------------------------------------------------------------------------ */

#define COUNTERS 4
#define ROUNDS 100000

static struct amp_mutex count_lock;
static uint64_t counter; /* plain on purpose: only the lock protects it */
static uint64_t shadow;	 /* a second word, to see a torn critical section */
static bool torn;

static void *count_thread(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		amp_mutex_lock(&count_lock);
		if (counter != shadow)
			torn = true;
		counter++;
		shadow++;
		amp_mutex_unlock(&count_lock);
	}
	return NULL;
}

static void test_mutex_excludes_under_contention(void **state)
{
	pthread_t t[COUNTERS];
	unsigned int i;

	(void)state;
	amp_mutex_init(&count_lock);
	for (i = 0; i < COUNTERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, count_thread, NULL), 0);
	for (i = 0; i < COUNTERS; i++)
		pthread_join(t[i], NULL);
	assert_false(torn);
	assert_int_equal(counter, (uint64_t)COUNTERS * ROUNDS);
	amp_mutex_destroy(&count_lock);
}

/* --- trylock -------------------------------------------------------------------------------- */

static struct amp_mutex try_lock;

static void *try_from_other(void *arg)
{
	*(bool *)arg = amp_mutex_trylock(&try_lock);
	if (*(bool *)arg)
		amp_mutex_unlock(&try_lock);
	return NULL;
}

static void test_trylock_takes_only_a_free_mutex(void **state)
{
	static struct amp_mutex static_lock = AMP_MUTEX_INITIALIZER;
	pthread_t t;
	bool got = true;

	(void)state;
	amp_mutex_init(&try_lock);
	assert_true(amp_mutex_trylock(&try_lock));
	assert_false(amp_mutex_trylock(&try_lock)); /* held by the caller: false, no deadlock */
	assert_int_equal(pthread_create(&t, NULL, try_from_other, &got), 0);
	pthread_join(t, NULL);
	assert_false(got);
	amp_mutex_unlock(&try_lock);
	assert_int_equal(pthread_create(&t, NULL, try_from_other, &got), 0);
	pthread_join(t, NULL);
	assert_true(got);
	amp_mutex_destroy(&try_lock);

	/* A statically initialised one works without amp_mutex_init(). */
	amp_mutex_lock(&static_lock);
	assert_false(amp_mutex_trylock(&static_lock));
	amp_mutex_unlock(&static_lock);
	assert_true(amp_mutex_trylock(&static_lock));
	amp_mutex_unlock(&static_lock);
}

/* --- condition variable --------------------------------------------------------------------- */

struct gate {
	struct amp_mutex lock;
	struct amp_cond cond;
	unsigned int go;      /* the predicate */
	unsigned int woken;   /* waiters that saw it */
	unsigned int waiting; /* waiters inside their wait loop */
	unsigned int timeouts;
};

static void gate_init(struct gate *g)
{
	amp_mutex_init(&g->lock);
	amp_cond_init(&g->cond);
	g->go = g->woken = g->waiting = g->timeouts = 0;
}

static void *gate_waiter(void *arg)
{
	struct gate *g = arg;
	uint64_t deadline = amp_deadline_ns(WAIT_MS);

	amp_mutex_lock(&g->lock);
	g->waiting++;
	amp_cond_broadcast(&g->cond); /* tell the test we are in */
	while (!g->go) {
		if (amp_cond_wait_until(&g->cond, &g->lock, deadline) == -ETIMEDOUT) {
			g->timeouts++;
			break;
		}
	}
	if (g->go)
		g->woken++;
	amp_mutex_unlock(&g->lock);
	return NULL;
}

/* Wait (as the test) until @n waiters are inside their loop. */
static void gate_wait_waiting(struct gate *g, unsigned int n)
{
	uint64_t deadline = amp_deadline_ns(WAIT_MS);

	amp_mutex_lock(&g->lock);
	while (g->waiting < n && amp_cond_wait_until(&g->cond, &g->lock, deadline) == 0)
		;
	assert_int_equal(g->waiting, n);
	amp_mutex_unlock(&g->lock);
}

static void test_signal_wakes_a_waiter(void **state)
{
	struct gate g;
	pthread_t t;

	(void)state;
	gate_init(&g);
	assert_int_equal(pthread_create(&t, NULL, gate_waiter, &g), 0);
	gate_wait_waiting(&g, 1);
	amp_mutex_lock(&g.lock);
	g.go = 1;
	amp_mutex_unlock(&g.lock);
	amp_cond_signal(&g.cond); /* after the unlock: must still reach it */
	pthread_join(t, NULL);
	assert_int_equal(g.woken, 1);
	assert_int_equal(g.timeouts, 0);
}

#define BROADCAST_WAITERS 6

static void test_broadcast_wakes_every_waiter(void **state)
{
	pthread_t t[BROADCAST_WAITERS];
	struct gate g;
	unsigned int i;

	(void)state;
	gate_init(&g);
	for (i = 0; i < BROADCAST_WAITERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, gate_waiter, &g), 0);
	gate_wait_waiting(&g, BROADCAST_WAITERS);
	amp_mutex_lock(&g.lock);
	g.go = 1;
	amp_cond_broadcast(&g.cond);
	amp_mutex_unlock(&g.lock);
	for (i = 0; i < BROADCAST_WAITERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(g.woken, BROADCAST_WAITERS);
	assert_int_equal(g.timeouts, 0);
}

static void test_wait_until_ends_at_the_deadline(void **state)
{
	struct amp_mutex m;
	struct amp_cond c;
	uint64_t deadline;
	int ret;

	(void)state;
	amp_mutex_init(&m);
	amp_cond_init(&c);
	amp_mutex_lock(&m);
	deadline = amp_now_ns() + 20 * AMP_NSEC_PER_MSEC;
	do
		ret = amp_cond_wait_until(&c, &m, deadline);
	while (ret == 0); /* a spurious wake-up is allowed; a timeout must come */
	assert_int_equal(ret, -ETIMEDOUT);
	assert_true(amp_now_ns() >= deadline);
	/* The mutex is held again on return, by us. */
	assert_false(amp_mutex_trylock(&m));
	amp_mutex_unlock(&m);
	/* A deadline already past returns at once, with the mutex held. */
	amp_mutex_lock(&m);
	assert_int_equal(amp_cond_wait_until(&c, &m, amp_now_ns() - 1), -ETIMEDOUT);
	amp_mutex_unlock(&m);
}

/* Two threads hand a turn back and forth: a signal lost in any of the hand-overs ends it in
 * a timeout. */
#define PINGPONG_TURNS 20000

static struct amp_mutex pp_lock;
static struct amp_cond pp_cond;
static unsigned int pp_turn, pp_timeouts;

static void *pp_thread(void *arg)
{
	unsigned int me = (unsigned int)(uintptr_t)arg, i;
	uint64_t deadline = amp_deadline_ns(WAIT_MS);

	for (i = 0; i < PINGPONG_TURNS; i++) {
		amp_mutex_lock(&pp_lock);
		while (pp_turn % 2 != me) {
			if (amp_cond_wait_until(&pp_cond, &pp_lock, deadline) == -ETIMEDOUT) {
				pp_timeouts++;
				amp_mutex_unlock(&pp_lock);
				return NULL;
			}
		}
		pp_turn++;
		amp_mutex_unlock(&pp_lock);
		amp_cond_signal(&pp_cond);
	}
	return NULL;
}

static void test_no_wake_up_is_lost_in_a_ping_pong(void **state)
{
	pthread_t a, b;

	(void)state;
	amp_mutex_init(&pp_lock);
	amp_cond_init(&pp_cond);
	assert_int_equal(pthread_create(&a, NULL, pp_thread, (void *)0), 0);
	assert_int_equal(pthread_create(&b, NULL, pp_thread, (void *)1), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_int_equal(pp_timeouts, 0);
	assert_int_equal(pp_turn, 2 * PINGPONG_TURNS);
}

/* --- sleepers on the mutex ------------------------------------------------------------------ */

/*
 * Holders that give up the CPU while they hold the lock, so that the others spin out and sleep
 * on it, beside holders that let go at once: each unlock is a plain store racing a thread that
 * is about to sleep (os_posix.c). A wake-up lost there leaves a thread asleep for good, which
 * the timed join below reports.
 */
#define SLEEPERS 4
#define SLEEPER_ROUNDS 4000

static struct amp_mutex sleep_lock;
static uint64_t sleep_count; /* plain on purpose: only the lock protects it */

static void *sleeper_thread(void *arg)
{
	unsigned int i, id = (unsigned int)(uintptr_t)arg;

	for (i = 0; i < SLEEPER_ROUNDS; i++) {
		amp_mutex_lock(&sleep_lock);
		sleep_count++;
		if ((i + id) % 4 == 0)
			sched_yield();
		amp_mutex_unlock(&sleep_lock);
	}
	return NULL;
}

static void test_a_thread_asleep_on_the_mutex_is_always_woken(void **state)
{
	pthread_t t[SLEEPERS];
	struct timespec deadline;
	unsigned int i;

	(void)state;
	print_message("unlock: %s\n", amp_mutex_unlock_is_plain() ? "a plain store (membarrier)"
								   : "an exchange");
	amp_mutex_init(&sleep_lock);
	for (i = 0; i < SLEEPERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sleeper_thread, (void *)(uintptr_t)i),
				 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WAIT_MS / 1000;
	for (i = 0; i < SLEEPERS; i++)
		assert_int_equal(pthread_timedjoin_np(t[i], NULL, &deadline), 0);
	assert_int_equal(sleep_count, (uint64_t)SLEEPERS * SLEEPER_ROUNDS);
	amp_mutex_destroy(&sleep_lock);
}

/* --- misuse, caught in debug builds ---------------------------------------------------------- */

#ifndef NDEBUG
static struct amp_mutex misuse_lock;

static void *lock_and_leave(void *arg)
{
	(void)arg;
	amp_mutex_lock(&misuse_lock);
	return NULL;
}

/* Run @fn in a child process; its exit status. */
static int in_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void unlock_what_another_holds(void)
{
	pthread_t t;

	amp_mutex_init(&misuse_lock);
	pthread_create(&t, NULL, lock_and_leave, NULL);
	pthread_join(t, NULL);
	amp_mutex_unlock(&misuse_lock);
}

static void lock_twice(void)
{
	amp_mutex_init(&misuse_lock);
	amp_mutex_lock(&misuse_lock);
	amp_mutex_lock(&misuse_lock);
}

static void test_debug_builds_abort_on_misuse(void **state)
{
	int status;

	(void)state;
	status = in_child(unlock_what_another_holds);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	status = in_child(lock_twice);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutex_excludes_under_contention),
		cmocka_unit_test(test_trylock_takes_only_a_free_mutex),
		cmocka_unit_test(test_signal_wakes_a_waiter),
		cmocka_unit_test(test_broadcast_wakes_every_waiter),
		cmocka_unit_test(test_wait_until_ends_at_the_deadline),
		cmocka_unit_test(test_no_wake_up_is_lost_in_a_ping_pong),
		cmocka_unit_test(test_a_thread_asleep_on_the_mutex_is_always_woken),
#ifndef NDEBUG
		cmocka_unit_test(test_debug_builds_abort_on_misuse),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
