/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the ampd request parser on the fuzzer's bytes (any local client can send any
 * packet). What it accepts must format back to exactly the same bytes and parse the same.
 * Test layer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ampd/ampd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ampd_req req, again;
	char buf[AMPD_REQ_MAX + 1];
	const char *why;
	int n;

	if (ampd_req_parse(data, size, &req, &why)) {
		if (!why)
			abort(); /* a refusal always says why */
		return 0;
	}
	n = ampd_req_format(&req, buf, sizeof(buf));
	if (n < 0 || (size_t)n != size || memcmp(buf, data, size))
		abort();
	if (ampd_req_parse(buf, (size_t)n, &again, &why) || memcmp(&req, &again, sizeof(req)))
		abort();
	return 0;
}
