/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests for amp_errno.c: names and messages come from the one table, for both signs. */
#include <string.h>

#include <amp/errno.h>

#include "amp_test.h"

static void test_errname_and_strerror_cover_known_codes(void **state)
{
	(void)state;
	assert_string_equal(amp_errname(-AMP_EINVAL), "EINVAL");
	assert_string_equal(amp_errname(AMP_EBADMSG), "EBADMSG");
	assert_string_equal(amp_strerror(-AMP_ETIMEDOUT), "timed out");
	assert_int_equal(AMP_EMSGSIZE, 90);
	assert_int_equal(AMP_ENOMEM, 12);
}

static void test_unknown_code_is_named_safely(void **state)
{
	(void)state;
	assert_string_equal(amp_errname(-4095), "E?");
	assert_string_equal(amp_strerror(4095), "unknown error");
	assert_string_equal(amp_errname(0), "E?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errname_and_strerror_cover_known_codes),
		cmocka_unit_test(test_unknown_code_is_named_safely),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
