/* SPDX-License-Identifier: BSD-3-Clause */
/* For tests that run whole programs: checks, and what a leak would leave behind. Test support. */
#ifndef AMP_TEST_RES_H
#define AMP_TEST_RES_H

#include <stdio.h>
#include <stdlib.h>

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

/* Open fds of this process, or -1. */
int amp_test_count_fds(void);

/* Mappings of memfds (device memory, doorbell pages), or -1. The sanitizers' runtimes map
 * anonymous memory as they go, so all mappings cannot be compared. */
int amp_test_count_memfd_maps(void);

#endif /* AMP_TEST_RES_H */
