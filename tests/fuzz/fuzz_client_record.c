/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: libamp-client's reader of response lines (amp_record_get()) on the fuzzer's
 * bytes, as whatever listens on the socket might send them. Every value it returns must fit the
 * buffer, be terminated, and come from the first line only.
 * Test layer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <amp/client.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"name", "src", "dst", "state", "a", "=", ""};
	char *line = malloc(size + 1), val[16];
	size_t k, first = size;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	if (memchr(line, '\n', size))
		first = (size_t)((char *)memchr(line, '\n', size) - line);
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		int n = amp_record_get(line, keys[k], val, sizeof(val));

		/* A value is at most what the first line holds, and fits with its NUL. */
		if (n >= 0 && ((size_t)n >= sizeof(val) || strlen(val) > (size_t)n || (size_t)n > first))
			abort();
	}
	free(line);
	return 0;
}
