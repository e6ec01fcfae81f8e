/* SPDX-License-Identifier: BSD-3-Clause */
/* POSIX types behind src/os/os.h. Host layer. */
#ifndef AMP_OS_POSIX_TYPES_H
#define AMP_OS_POSIX_TYPES_H

#include <pthread.h>

struct amp_mutex {
	pthread_mutex_t m;
};

/* For a mutex with static storage duration, initialised at compile time. */
#define AMP_MUTEX_INITIALIZER {PTHREAD_MUTEX_INITIALIZER}

struct amp_cond {
	pthread_cond_t c;
};

struct amp_thread {
	pthread_t t;
};

#endif /* AMP_OS_POSIX_TYPES_H */
