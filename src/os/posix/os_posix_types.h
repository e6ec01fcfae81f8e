/* SPDX-License-Identifier: BSD-3-Clause */
/* POSIX types behind src/os/os.h. Host layer. */
#ifndef AMP_OS_POSIX_TYPES_H
#define AMP_OS_POSIX_TYPES_H

#include <pthread.h>
#include <stdint.h>

/*
 * A lock word and a futex, not a pthread mutex: the uncontended lock is one atomic instruction
 * and the unlock a plain store, where glibc's pair takes about 60 instructions (its type
 * dispatch, owner and user counts) and two atomic ones. The host's send and receive paths take
 * a lock or two per message: with glibc's, locking was about a fifth of the instructions of a
 * polled round trip (docs/performance.md).
 */
struct amp_mutex {
	uint32_t state;	  /* 0 free; 1 held */
	uint32_t waiters; /* threads that may sleep on it: only then does an unlock wake anyone */
	int32_t owner;	  /* debug builds: the holder's thread id, to catch misuse */
};

/* For a mutex with static storage duration, initialised at compile time. */
#define AMP_MUTEX_INITIALIZER {0, 0, 0}

struct amp_cond {
	uint32_t seq;	  /* moved by every signal: a waiter sleeps only while it has not */
	uint32_t waiters; /* so that a signal with nobody waiting makes no system call */
};

struct amp_thread {
	pthread_t t;
};

#endif /* AMP_OS_POSIX_TYPES_H */
