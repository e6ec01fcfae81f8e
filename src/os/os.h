/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OS glue for the host library: locks, condition variables, threads, the clock, and where the
 * installed tree is. One implementation is chosen at build time (src/os/posix/ today); the rest
 * of the host library includes only this header. Host layer; the portable core never includes
 * it.
 */
#ifndef AMP_OS_H
#define AMP_OS_H

#include <stdbool.h>
#include <stdint.h>

#include "os/posix/os_posix_types.h"

#define AMP_NSEC_PER_MSEC 1000000ull
#define AMP_NSEC_PER_SEC 1000000000ull
/* A timeout that never runs out. */
#define AMP_WAIT_FOREVER UINT32_MAX

/* os_posix.c */
void amp_mutex_init(struct amp_mutex *m);
void amp_mutex_destroy(struct amp_mutex *m);
void amp_mutex_lock(struct amp_mutex *m);
/*
 * The unlock reads @m once more after it has let go (whether anyone sleeps on it): @m's memory
 * must outlive every unlock in progress, not only the last holder's. An object that holds a
 * mutex is therefore freed only once no thread can still be returning from an unlock of it (in
 * this library: each unlocker holds a reference to the object across its unlock).
 */
void amp_mutex_unlock(struct amp_mutex *m);
/* Take @m if it is free now: true when taken, false when held (by anyone, the caller too). */
bool amp_mutex_trylock(struct amp_mutex *m);
/* True when an unlock is a plain store (the kernel gave us membarrier()); else an exchange. */
bool amp_mutex_unlock_is_plain(void);

void amp_cond_init(struct amp_cond *c);
void amp_cond_destroy(struct amp_cond *c);
void amp_cond_wait(struct amp_cond *c, struct amp_mutex *m);
/* Wait until signalled or the monotonic clock reaches @deadline_ns; 0 or -ETIMEDOUT. Spurious
 * wake-ups return 0: callers re-check their condition in a loop. */
int amp_cond_wait_until(struct amp_cond *c, struct amp_mutex *m, uint64_t deadline_ns);
void amp_cond_signal(struct amp_cond *c);
void amp_cond_broadcast(struct amp_cond *c);

/* Monotonic clock in nanoseconds. */
uint64_t amp_now_ns(void);
/* The monotonic time @timeout_ms from now; UINT64_MAX for AMP_WAIT_FOREVER. */
uint64_t amp_deadline_ns(uint32_t timeout_ms);

typedef void *(*amp_thread_fn)(void *arg);
/* Start a thread named @name (at most 15 characters shown); 0 or a negative errno. */
int amp_thread_create(struct amp_thread *t, amp_thread_fn fn, void *arg, const char *name);
void amp_thread_join(struct amp_thread *t);
/* Whether the caller is thread @t. */
bool amp_thread_is_self(const struct amp_thread *t);

/* Give the CPU to another runnable thread, if any (a spinning thread's courtesy). */
void amp_yield(void);

/* Pin the calling thread (and what it forks) to @cpu; a no-op on a one-CPU machine or for a
 * negative @cpu. 0 or a negative errno. Async-signal-safe (usable between fork and exec). */
int amp_pin_cpu(int cpu);

/* os_install.c: the files installed with the library, found from where it runs. */
enum amp_installed {
	AMP_INSTALLED_SIM_CORE,	    /* the sim boot ROM: <libexecdir>/amp/amp-sim-core */
	AMP_INSTALLED_FIRMWARE_DIR, /* the sample firmwares: <datadir>/amp/firmware */
	AMP_INSTALLED_SOC_DIR,	    /* the example SoC descriptions: <datadir>/amp/soc */
	AMP_INSTALLED_QEMU_M4_BOOTROM, /* the Cortex-M4's boot ROM:
					* <datadir>/amp/qemu-m4/amp-m4-bootrom.elf */
};

/*
 * The @i-th place (from 0, best first) to look for @what: in the tree this code is installed in
 * (when the shared library, or the executable the static one is linked into, sits in
 * <prefix>/<libdir, bindir or sbindir>), in the build tree (when it runs from there), and where
 * the build was configured to install it. Whether the file is there is the caller's question.
 * Return: 0 with the path in @buf; -ENOENT past the last; -ENAMETOOLONG; -EINVAL.
 */
int amp_installed_path(enum amp_installed what, unsigned int i, char *buf, size_t len);

#endif /* AMP_OS_H */
