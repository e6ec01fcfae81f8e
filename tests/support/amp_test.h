/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the unit tests: cmocka, and memory standing in for what a remote sees. */
#ifndef AMP_TEST_H
#define AMP_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/*
 * struct amp_test_arena - a block standing in for shared memory, with guard bytes on both sides
 * so that a test can prove nothing was written outside the part under test.
 */
struct amp_test_arena {
	uint8_t *base; /* the whole allocation, guards included */
	uint8_t *mem;  /* the usable part, aligned to 4096 */
	size_t len;
};

#define AMP_TEST_GUARD_LEN 4096
#define AMP_TEST_GUARD_BYTE 0xA5

/* Allocate @len usable bytes (zeroed) between two guard zones filled with AMP_TEST_GUARD_BYTE. */
void amp_test_arena_init(struct amp_test_arena *a, size_t len);
/* Whether both guard zones are intact. */
int amp_test_arena_guards_ok(const struct amp_test_arena *a);
void amp_test_arena_free(struct amp_test_arena *a);

#endif /* AMP_TEST_H */
