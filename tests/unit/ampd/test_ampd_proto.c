/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests for the ampd request parser (ampd_proto.c): what it accepts, and every way it refuses. */
#include <string.h>

#include <amp/errno.h>

#include "amp_test.h"
#include "ampd/ampd_proto.h"

static int parse(const char *s, struct ampd_req *req, const char **why)
{
	return ampd_req_parse(s, strlen(s), req, why);
}

static void test_accepts_each_verb(void **state)
{
	static const struct {
		const char *text;
		enum ampd_verb verb;
		const char *name;
		int on;
	} ok[] = {
		{"AMP1 version", AMPD_VERSION, "", 0},  {"AMP1 ls", AMPD_LS, "", 0},
		{"AMP1 status sim0", AMPD_STATUS, "sim0", 0},
		{"AMP1 start dsp-1.a_b", AMPD_START, "dsp-1.a_b", 0},
		{"AMP1 stop sim1", AMPD_STOP, "sim1", 0}, {"AMP1 crash sim1", AMPD_CRASH, "sim1", 0},
		{"AMP1 recovery sim0 on", AMPD_RECOVERY, "sim0", 1},
		{"AMP1 recovery sim0 off", AMPD_RECOVERY, "sim0", 0},
		{"AMP1 trace sim0", AMPD_TRACE, "sim0", 0},
		{"AMP1 channels sim1", AMPD_CHANNELS, "sim1", 0},
	};
	struct ampd_req req, again;
	const char *why;
	char buf[AMPD_REQ_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse(ok[i].text, &req, &why), 0);
		assert_null(why);
		assert_int_equal(req.verb, ok[i].verb);
		assert_string_equal(req.name, ok[i].name);
		assert_int_equal(req.on, ok[i].on);
		/* Formatting gives back the same packet, which parses the same. */
		assert_int_equal(ampd_req_format(&req, buf, sizeof(buf)), (int)strlen(ok[i].text));
		assert_string_equal(buf, ok[i].text);
		assert_int_equal(parse(buf, &again, &why), 0);
		assert_memory_equal(&req, &again, sizeof(req));
	}
}

static void test_refuses_with_a_reason(void **state)
{
	static const struct {
		const char *text;
		int err;
	} bad[] = {
		{"", -AMP_EPROTO},
		{"AMP2 ls", -AMP_EPROTO},
		{"amp1 ls", -AMP_EPROTO},
		{"GET / HTTP/1.1", -AMP_EPROTO},
		{"AMP1", -AMP_EINVAL},
		{"AMP1 ls ", -AMP_EINVAL},
		{" AMP1 ls", -AMP_EINVAL},
		{"AMP1  ls", -AMP_EINVAL},
		{"AMP1 list", -AMP_EINVAL},
		{"AMP1 ls sim0", -AMP_EINVAL},
		{"AMP1 start", -AMP_EINVAL},
		{"AMP1 start sim0 now", -AMP_EINVAL},
		{"AMP1 start sim/0", -AMP_EINVAL},
		{"AMP1 start ../../etc", -AMP_EINVAL},
		{"AMP1 start 0123456789012345678901234567890123", -AMP_EINVAL},
		{"AMP1 recovery sim0 yes", -AMP_EINVAL},
		{"AMP1 recovery sim0 on off", -AMP_EINVAL},
		{"AMP1 ls\n", -AMP_EINVAL},
		{"AMP1 st\x01tus sim0", -AMP_EINVAL},
	};
	struct ampd_req req;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(parse(bad[i].text, &req, &why), bad[i].err);
		assert_non_null(why);
	}
}

static void test_length_and_embedded_nul(void **state)
{
	char big[AMPD_REQ_MAX + 2];
	struct ampd_req req;
	const char *why;

	(void)state;
	memset(big, 'a', sizeof(big));
	memcpy(big, "AMP1 status ", 12);
	assert_int_equal(ampd_req_parse(big, AMPD_REQ_MAX + 1, &req, &why), -AMP_EMSGSIZE);
	/* A NUL inside the packet is a byte like any other: refused, not a string end. */
	assert_int_equal(ampd_req_parse("AMP1 ls\0x", 9, &req, &why), -AMP_EINVAL);
	/* The packet is not a C string: no terminator is needed. */
	assert_int_equal(ampd_req_parse("AMP1 lsXXXX", 7, &req, &why), 0);
	assert_int_equal(req.verb, AMPD_LS);
}

static void test_format_refuses_small_buffers(void **state)
{
	struct ampd_req req = {.verb = AMPD_START, .name = "sim0"};
	char buf[8];

	(void)state;
	assert_int_equal(ampd_req_format(&req, buf, sizeof(buf)), -1);
	req.verb = AMPD_NUM_VERBS;
	assert_int_equal(ampd_req_format(&req, buf, sizeof(buf)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_each_verb),
		cmocka_unit_test(test_refuses_with_a_reason),
		cmocka_unit_test(test_length_and_embedded_nul),
		cmocka_unit_test(test_format_refuses_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
