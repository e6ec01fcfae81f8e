/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guard over shared-file mappings: the peer may shrink the file under our mapping, and
 * touching the pages it cut off raises SIGBUS. A named file in /dev/shm cannot be sealed against
 * that (only a memfd can), so the fault itself is caught: a SIGBUS inside a guarded mapping puts
 * private zeroed memory over the whole mapping, so that the access that faulted, and every one
 * after it, completes; the ring checks then see a broken ring, not a signal, and the side that
 * faulted is told through its flag and its eventfd, and lets go of the peer. A SIGBUS anywhere
 * else goes to the handler that was there before. (Wayland compositors guard their clients'
 * shm pools the same way.) Shm platform.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <amp/errno.h>

#include "platform/shm/shm_internal.h"

/* Mappings guarded at once: two per host-remote pair at most in one process (each side one). */
#define SHM_GUARD_SLOTS 64

/*
 * Read from the signal handler, so only atomics and no lock. A slot is published by storing its
 * base last (release) and retired by clearing its base first; the handler loads base, then len.
 */
static struct shm_guard_slot {
	uintptr_t base;
	size_t len;
	int wake_fd;
	int faulted;
} slots[SHM_GUARD_SLOTS];

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER; /* writers of slots */
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static struct sigaction previous;
static int install_err;

static void shm_guard_chain(int sig, siginfo_t *si, void *uc)
{
	if (previous.sa_flags & SA_SIGINFO) {
		previous.sa_sigaction(sig, si, uc);
		return;
	}
	if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
		return;
	}
	/* The default action for a fault that is not ours: returning runs the access again,
	 * which faults again, now with nothing installed, and ends the process as it would have. */
	signal(sig, SIG_DFL);
}

static void shm_guard_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t addr = (uintptr_t)si->si_addr;
	int saved = errno;
	unsigned int i;

	for (i = 0; i < SHM_GUARD_SLOTS; i++) {
		uintptr_t base = __atomic_load_n(&slots[i].base, __ATOMIC_ACQUIRE);
		size_t len = __atomic_load_n(&slots[i].len, __ATOMIC_RELAXED);
		uint64_t one = 1;
		int fd;

		if (!base || addr - base >= len)
			continue;
		/* The peer's pages are gone for good from our point of view: all of them are
		 * replaced, so that no later access reaches the file (and faults) either. */
		if (mmap((void *)base, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			break;
		__atomic_store_n(&slots[i].faulted, 1, __ATOMIC_RELEASE);
		fd = __atomic_load_n(&slots[i].wake_fd, __ATOMIC_RELAXED);
		if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
			/* The eventfd's counter cannot overflow from one fault per mapping. */
		}
		errno = saved;
		return;
	}
	errno = saved;
	shm_guard_chain(sig, si, uc);
}

static void shm_guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = shm_guard_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &previous))
		install_err = -errno;
}

int shm_guard_add(void *va, size_t len, int wake_fd)
{
	int i;

	pthread_once(&install_once, shm_guard_install);
	if (install_err)
		return install_err;
	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < SHM_GUARD_SLOTS; i++) {
		if (__atomic_load_n(&slots[i].base, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&slots[i].len, len, __ATOMIC_RELAXED);
		__atomic_store_n(&slots[i].wake_fd, wake_fd, __ATOMIC_RELAXED);
		__atomic_store_n(&slots[i].faulted, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&slots[i].base, (uintptr_t)va, __ATOMIC_RELEASE);
		break;
	}
	pthread_mutex_unlock(&slots_lock);
	return i < SHM_GUARD_SLOTS ? i : -AMP_ENOSPC;
}

bool shm_guard_faulted(int slot)
{
	return slot >= 0 && slot < SHM_GUARD_SLOTS &&
	       __atomic_load_n(&slots[slot].faulted, __ATOMIC_ACQUIRE);
}

void shm_guard_remove(int slot)
{
	if (slot < 0 || slot >= SHM_GUARD_SLOTS)
		return;
	pthread_mutex_lock(&slots_lock);
	__atomic_store_n(&slots[slot].base, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&slots_lock);
}
