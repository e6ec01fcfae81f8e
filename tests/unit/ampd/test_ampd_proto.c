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

#define ANY AMPD_ADDR_ANY

static void test_accepts_each_verb(void **state)
{
	static const struct {
		const char *text;
		enum ampd_verb verb;
		const char *name, *arg;
		enum ampd_switch sw;
		uint32_t src, dst;
	} ok[] = {
		{"AMP1 version", AMPD_VERSION, "", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 ls", AMPD_LS, "", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 status sim0", AMPD_STATUS, "sim0", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 start dsp-1.a_b", AMPD_START, "dsp-1.a_b", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 stop sim1", AMPD_STOP, "sim1", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 crash sim1", AMPD_CRASH, "sim1", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 recovery sim0 on", AMPD_RECOVERY, "sim0", "", AMPD_SW_ON, ANY, ANY},
		{"AMP1 recovery sim0 off", AMPD_RECOVERY, "sim0", "", AMPD_SW_OFF, ANY, ANY},
		{"AMP1 recovery sim0 now", AMPD_RECOVERY, "sim0", "", AMPD_SW_NOW, ANY, ANY},
		{"AMP1 trace sim0", AMPD_TRACE, "sim0", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 trace sim0 crash", AMPD_TRACE, "sim0", "", AMPD_SW_CRASH, ANY, ANY},
		{"AMP1 channels sim1", AMPD_CHANNELS, "sim1", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 firmware sim1", AMPD_FIRMWARE, "sim1", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 firmware sim1 rpmsg-echo.elf", AMPD_FIRMWARE, "sim1", "rpmsg-echo.elf",
		 AMPD_SW_NONE, ANY, ANY},
		{"AMP1 coredump sim0", AMPD_COREDUMP, "sim0", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 coredump sim0 on", AMPD_COREDUMP, "sim0", "", AMPD_SW_ON, ANY, ANY},
		{"AMP1 coredump sim0 off", AMPD_COREDUMP, "sim0", "", AMPD_SW_OFF, ANY, ANY},
		{"AMP1 rsc sim0", AMPD_RSC, "sim0", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 topology", AMPD_TOPOLOGY, "", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 topology sim1", AMPD_TOPOLOGY, "sim1", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 watch", AMPD_WATCH, "", "", AMPD_SW_NONE, ANY, ANY},
		{"AMP1 open sim1 rpmsg-echo", AMPD_OPEN, "sim1", "rpmsg-echo", AMPD_SW_NONE, ANY,
		 ANY},
		{"AMP1 open sim1 rpmsg-echo any 0x400", AMPD_OPEN, "sim1", "rpmsg-echo",
		 AMPD_SW_NONE, ANY, 0x400},
		{"AMP1 open sim1 x 0x400 0xfffffffe", AMPD_OPEN, "sim1", "x", AMPD_SW_NONE, 0x400,
		 0xfffffffeu},
		{"AMP1 open sim1 x 0xfffffffe 0x0", AMPD_OPEN, "sim1", "x", AMPD_SW_NONE,
		 0xfffffffeu, 0},
		{"AMP1 open sim1 x 0x401 0x35", AMPD_OPEN, "sim1", "x", AMPD_SW_NONE, 0x401, 0x35},
	};
	struct ampd_req req, again;
	const char *why;
	char buf[AMPD_REQ_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		why = "unset";
		assert_int_equal(parse(ok[i].text, &req, &why), 0);
		assert_null(why);
		assert_int_equal(req.verb, ok[i].verb);
		assert_string_equal(req.name, ok[i].name);
		assert_string_equal(req.arg, ok[i].arg);
		assert_int_equal(req.sw, ok[i].sw);
		assert_int_equal(req.src, ok[i].src);
		assert_int_equal(req.dst, ok[i].dst);
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
		{"AMP1 recovery sim0", -AMP_EINVAL},
		{"AMP1 coredump sim0 now", -AMP_EINVAL},
		{"AMP1 coredump sim0 crash", -AMP_EINVAL},
		{"AMP1 recovery sim0 crash", -AMP_EINVAL},
		{"AMP1 trace sim0 on", -AMP_EINVAL},
		{"AMP1 trace sim0 crash crash", -AMP_EINVAL},
		{"AMP1 firmware sim0 ../etc/passwd", -AMP_EINVAL},
		{"AMP1 firmware sim0 .hidden", -AMP_EINVAL},
		{"AMP1 firmware sim0 a/b.elf", -AMP_EINVAL},
		{"AMP1 firmware sim0 a b", -AMP_EINVAL},
		{"AMP1 topology sim0 sim1", -AMP_EINVAL},
		{"AMP1 watch sim0", -AMP_EINVAL},
		{"AMP1 open sim0", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0x400", -AMP_EINVAL},
		{"AMP1 open sim0 ch any any", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0x0400 0x1", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0X1 0x1", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0x1 0xABC", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0x1 0x123456789", -AMP_EINVAL},
		{"AMP1 open sim0 ch 1024 0x1", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0x 0x1", -AMP_EINVAL},
		{"AMP1 open sim0 ch/x", -AMP_EINVAL},
		{"AMP1 open sim0 01234567890123456789012345678901", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0x1 0x2 0x3", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0xffffffff 0x1", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0x1 0xffffffff", -AMP_EINVAL},
		/* A client's endpoint takes no reserved address (the name service's 0x35 among
		 * them); sending to one is the remote's business. */
		{"AMP1 open sim0 ch 0x0 0x400", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0x1 0x400", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0x35 0x400", -AMP_EINVAL},
		{"AMP1 open sim0 ch 0x3ff 0x400", -AMP_EINVAL},
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
	/* A reserved SRC is told as such. */
	assert_int_equal(parse("AMP1 open sim0 ch 0x35 0x400", &req, &why), -AMP_EINVAL);
	assert_non_null(strstr(why, "reserved"));
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
