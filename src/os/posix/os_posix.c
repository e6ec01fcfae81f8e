/* SPDX-License-Identifier: BSD-3-Clause */
/* POSIX implementation of src/os/os.h. Host layer. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "os/os.h"

/* A failing lock primitive means corrupted memory or a bug of ours: nothing to recover. */
static void amp_os_check(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "amp: %s failed: %s\n", what, strerror(err));
		abort();
	}
}

void amp_mutex_init(struct amp_mutex *m)
{
	pthread_mutexattr_t a;

	amp_os_check(pthread_mutexattr_init(&a), "pthread_mutexattr_init");
#ifndef NDEBUG
	/* Debug builds catch unlocks by the wrong thread and self-deadlocks. */
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
#endif
	amp_os_check(pthread_mutex_init(&m->m, &a), "pthread_mutex_init");
	pthread_mutexattr_destroy(&a);
}

void amp_mutex_destroy(struct amp_mutex *m)
{
	pthread_mutex_destroy(&m->m);
}

void amp_mutex_lock(struct amp_mutex *m)
{
	amp_os_check(pthread_mutex_lock(&m->m), "pthread_mutex_lock");
}

bool amp_mutex_trylock(struct amp_mutex *m)
{
	int err = pthread_mutex_trylock(&m->m);

	/* An error-checking mutex its caller holds says EBUSY too (not EDEADLK, as lock does). */
	if (err == EBUSY)
		return false;
	amp_os_check(err, "pthread_mutex_trylock");
	return true;
}

void amp_mutex_unlock(struct amp_mutex *m)
{
	amp_os_check(pthread_mutex_unlock(&m->m), "pthread_mutex_unlock");
}

void amp_cond_init(struct amp_cond *c)
{
	pthread_condattr_t a;

	amp_os_check(pthread_condattr_init(&a), "pthread_condattr_init");
	/* Deadlines are on the monotonic clock: a wall-clock step must not stretch a wait. */
	amp_os_check(pthread_condattr_setclock(&a, CLOCK_MONOTONIC), "pthread_condattr_setclock");
	amp_os_check(pthread_cond_init(&c->c, &a), "pthread_cond_init");
	pthread_condattr_destroy(&a);
}

void amp_cond_destroy(struct amp_cond *c)
{
	pthread_cond_destroy(&c->c);
}

void amp_cond_wait(struct amp_cond *c, struct amp_mutex *m)
{
	amp_os_check(pthread_cond_wait(&c->c, &m->m), "pthread_cond_wait");
}

int amp_cond_wait_until(struct amp_cond *c, struct amp_mutex *m, uint64_t deadline_ns)
{
	struct timespec ts;
	int err;

	if (deadline_ns == UINT64_MAX) {
		amp_cond_wait(c, m);
		return 0;
	}
	ts.tv_sec = (time_t)(deadline_ns / AMP_NSEC_PER_SEC);
	ts.tv_nsec = (long)(deadline_ns % AMP_NSEC_PER_SEC);
	err = pthread_cond_timedwait(&c->c, &m->m, &ts);
	if (err == ETIMEDOUT)
		return -ETIMEDOUT;
	amp_os_check(err, "pthread_cond_timedwait");
	return 0;
}

void amp_cond_signal(struct amp_cond *c)
{
	pthread_cond_signal(&c->c);
}

void amp_cond_broadcast(struct amp_cond *c)
{
	pthread_cond_broadcast(&c->c);
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
