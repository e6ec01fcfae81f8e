/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firmware SDK's mem and str functions (firmware/lib/fw_string.c), built for the host under
 * other names (fw_memcpy...), checked against the test's own libc: every length up to past a
 * few chunks, at every alignment of source and destination, with the bytes around the
 * destination checked untouched. The copy is checked twice: as built for an x86-64 core
 * (sixteen bytes at a time) and built without SSE2 (fw_words_memcpy: words, as on a Cortex-M).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

void *fw_memcpy(void *dst, const void *src, size_t n);
void *fw_memmove(void *dst, const void *src, size_t n);
void *fw_memset(void *dst, int c, size_t n);
int fw_memcmp(const void *a, const void *b, size_t n);
size_t fw_strlen(const char *s);
void *fw_words_memcpy(void *dst, const void *src, size_t n);

typedef void *(*copy_fn)(void *dst, const void *src, size_t n);

#define MAX_LEN 300
#define MAX_OFF 24 /* past a chunk (16) and a word (8) of misalignment */
#define GUARD 32
#define BIG_LEN 1000

/* Every length to MAX_LEN, then those a message takes: a 496-byte payload, a buffer, more. */
static const size_t big_lens[] = {496, 511, 512, 513, BIG_LEN};

static uint8_t src_area[MAX_OFF + BIG_LEN];
static uint8_t dst_area[GUARD + MAX_OFF + BIG_LEN + GUARD];
static uint8_t want[sizeof(dst_area)];

/* @copy of @len bytes from src_area + @soff to dst_area + GUARD + @doff, and nothing else. */
static void check_copy(copy_fn copy, size_t soff, size_t doff, size_t len)
{
	uint8_t *d = dst_area + GUARD + doff;

	memset(dst_area, 0xee, sizeof(dst_area));
	memcpy(want, dst_area, sizeof(dst_area));
	memcpy(want + GUARD + doff, src_area + soff, len);
	assert_ptr_equal(copy(d, src_area + soff, len), d);
	assert_memory_equal(dst_area, want, sizeof(dst_area));
}

static void check_every_length_and_alignment(copy_fn copy)
{
	size_t soff, doff, len, i;

	for (i = 0; i < sizeof(src_area); i++)
		src_area[i] = (uint8_t)(i * 7 + 3);
	for (soff = 0; soff < MAX_OFF; soff++) {
		for (doff = 0; doff < MAX_OFF; doff++) {
			for (len = 0; len <= MAX_LEN; len++)
				check_copy(copy, soff, doff, len);
			for (i = 0; i < sizeof(big_lens) / sizeof(big_lens[0]); i++)
				check_copy(copy, soff, doff, big_lens[i]);
		}
	}
}

static void test_memcpy_every_length_and_alignment(void **state)
{
	(void)state;
	check_every_length_and_alignment(fw_memcpy);
}

static void test_memcpy_without_sse2_every_length_and_alignment(void **state)
{
	(void)state;
	check_every_length_and_alignment(fw_words_memcpy);
}

static void test_memmove_overlaps_either_way(void **state)
{
	uint8_t buf[MAX_LEN + 2 * MAX_OFF], ref[sizeof(buf)];
	size_t from, to, len, i;

	(void)state;
	for (len = 0; len <= MAX_LEN; len += 7) {
		for (from = 0; from < 2 * MAX_OFF; from += 3) {
			for (to = 0; to < 2 * MAX_OFF; to += 5) {
				for (i = 0; i < sizeof(buf); i++)
					buf[i] = (uint8_t)(i * 5 + 1);
				memcpy(ref, buf, sizeof(buf));
				memmove(ref + to, ref + from, len);
				assert_ptr_equal(fw_memmove(buf + to, buf + from, len), buf + to);
				assert_memory_equal(buf, ref, sizeof(buf));
			}
		}
	}
}

static void test_memset_every_length_and_alignment(void **state)
{
	size_t off, len;

	(void)state;
	for (off = 0; off < MAX_OFF; off++) {
		for (len = 0; len <= MAX_LEN; len++) {
			uint8_t *d = dst_area + GUARD + off;

			memset(dst_area, 0xee, sizeof(dst_area));
			memcpy(want, dst_area, sizeof(dst_area));
			memset(want + GUARD + off, 0x5a, len);
			/* Only the low byte of the value counts, as in C's. */
			assert_ptr_equal(fw_memset(d, 0x15a, len), d);
			assert_memory_equal(dst_area, want, sizeof(dst_area));
		}
	}
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_memcmp_and_strlen_agree_with_libc(void **state)
{
	static const uint8_t a[] = {1, 2, 3, 0x80, 5}, b[] = {1, 2, 3, 0x7f, 5};

	(void)state;
	assert_int_equal(fw_memcmp(a, a, sizeof(a)), 0);
	assert_int_equal(fw_memcmp(a, b, 3), 0);
	/* Bytes compare as unsigned char: 0x80 is more than 0x7f. */
	assert_int_equal(sign(fw_memcmp(a, b, sizeof(a))), sign(memcmp(a, b, sizeof(a))));
	assert_int_equal(sign(fw_memcmp(b, a, sizeof(a))), -1);
	assert_int_equal(fw_memcmp(a, b, 0), 0);
	assert_int_equal(fw_strlen(""), 0);
	assert_int_equal(fw_strlen("rpmsg-echo"), strlen("rpmsg-echo"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy_every_length_and_alignment),
		cmocka_unit_test(test_memcpy_without_sse2_every_length_and_alignment),
		cmocka_unit_test(test_memmove_overlaps_either_way),
		cmocka_unit_test(test_memset_every_length_and_alignment),
		cmocka_unit_test(test_memcmp_and_strlen_agree_with_libc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
