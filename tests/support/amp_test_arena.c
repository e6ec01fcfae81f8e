/* SPDX-License-Identifier: BSD-3-Clause */
/* Guarded memory for unit tests. Test layer. */
#include <stdlib.h>
#include <string.h>

#include "amp_test.h"

void amp_test_arena_init(struct amp_test_arena *a, size_t len)
{
	size_t total = AMP_TEST_GUARD_LEN * 2 + ((len + 4095) & ~(size_t)4095);

	a->base = aligned_alloc(4096, total);
	assert_non_null(a->base);
	memset(a->base, AMP_TEST_GUARD_BYTE, total);
	a->mem = a->base + AMP_TEST_GUARD_LEN;
	a->len = len;
	memset(a->mem, 0, len);
}

int amp_test_arena_guards_ok(const struct amp_test_arena *a)
{
	size_t total = AMP_TEST_GUARD_LEN * 2 + ((a->len + 4095) & ~(size_t)4095);
	size_t i;

	for (i = 0; i < AMP_TEST_GUARD_LEN; i++)
		if (a->base[i] != AMP_TEST_GUARD_BYTE)
			return 0;
	for (i = AMP_TEST_GUARD_LEN + a->len; i < total; i++)
		if (a->base[i] != AMP_TEST_GUARD_BYTE)
			return 0;
	return 1;
}

void amp_test_arena_free(struct amp_test_arena *a)
{
	free(a->base);
	a->base = a->mem = NULL;
}
