/* SPDX-License-Identifier: BSD-3-Clause */
/* For tests that run whole programs: checks, and what a leak would leave behind. Test support. */
#ifndef AMP_TEST_RES_H
#define AMP_TEST_RES_H

#include <stdio.h>
#include <stdlib.h>

#include <amp/remoteproc.h>

/* For programs that are not cmocka tests (several processes and threads): a failed check
 * names itself and exits non-zero from whichever thread saw it. */
#define CHECK(cond_)                                                                          \
	do {                                                                                  \
		if (!(cond_)) {                                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,      \
				#cond_);                                                      \
			exit(1);                                                              \
		}                                                                             \
	} while (0)

/* A simulated processor named <@prefix><@index> running @firmware, left to recover from every
 * crash (no crash limit), with @cb (may be NULL) told of its events, registered and booted.
 * Exits the program on any failure. Destroy it with sim_rproc_destroy(). */
struct rproc *amp_test_sim_up(const char *prefix, unsigned int index, const char *firmware,
			      rproc_event_cb_t cb, void *priv);

/* Open fds of this process, or -1. */
int amp_test_count_fds(void);

/* Mappings of memfds (device memory, doorbell pages), or -1. The sanitizers' runtimes map
 * anonymous memory as they go, so all mappings cannot be compared. */
int amp_test_count_memfd_maps(void);

#endif /* AMP_TEST_RES_H */
