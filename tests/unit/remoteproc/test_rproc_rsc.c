/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests for rproc_rsc.c: a valid table walks entry by entry; each malformed table is refused with
 * the exact error and a diagnostic naming the entry. */
#include <stdlib.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/rsc_table.h>
#include <amp/wire/rpmsg.h>

#include "amp_test.h"

/* A table: carveout, trace, rpmsg vdev (2 vrings + 8 bytes of config), vendor. */
struct table {
	uint8_t b[512];
	size_t size;
	size_t off[4];
};

static void put32(struct table *t, size_t at, uint32_t v)
{
	memcpy(t->b + at, &v, 4);
}

static void build(struct table *t)
{
	size_t at = 16 + 4 * 4;
	struct fw_rsc_carveout c = {.da = FW_RSC_ADDR_ANY, .len = 0x1000};
	struct fw_rsc_trace tr = {.da = 0x2000, .len = 0x100};
	struct fw_rsc_vdev v = {.id = VIRTIO_ID_RPMSG, .dfeatures = 1, .config_len = 8,
				.num_of_vrings = 2};
	struct fw_rsc_vdev_vring vr = {.da = FW_RSC_ADDR_ANY, .align = 4096, .num = 256};

	memset(t, 0, sizeof(*t));
	put32(t, 0, 1);
	put32(t, 4, 4);
	memcpy(c.name, "heap", 4);
	t->off[0] = at;
	put32(t, at, RSC_CARVEOUT);
	memcpy(t->b + at + 4, &c, sizeof(c));
	at += 4 + sizeof(c);
	t->off[1] = at;
	put32(t, at, RSC_TRACE);
	memcpy(t->b + at + 4, &tr, sizeof(tr));
	at += 4 + sizeof(tr);
	t->off[2] = at;
	put32(t, at, RSC_VDEV);
	memcpy(t->b + at + 4, &v, sizeof(v));
	memcpy(t->b + at + 4 + sizeof(v), &vr, sizeof(vr));
	memcpy(t->b + at + 4 + sizeof(v) + sizeof(vr), &vr, sizeof(vr));
	at += 4 + sizeof(v) + 2 * sizeof(vr) + 8;
	t->off[3] = at;
	put32(t, at, RSC_VENDOR_START + 7);
	put32(t, at + 4, 0xabcd);
	at += 8;
	for (int i = 0; i < 4; i++)
		put32(t, 16 + 4 * (size_t)i, (uint32_t)t->off[i]);
	t->size = at;
}

/* Check a copy of exactly t->size bytes on the heap, so that ASan sees any read past it. */
static int check(const struct table *t, struct amp_diag *d)
{
	uint8_t *copy = malloc(t->size ? t->size : 1);
	int ret;

	memcpy(copy, t->b, t->size);
	ret = rsc_table_check(copy, t->size, d);
	free(copy);
	return ret;
}

static void test_valid_table_walks_every_entry(void **state)
{
	struct table t;
	struct amp_diag d = {0};
	struct rsc_entry e;
	char name[RPROC_MAX_NAME_LEN + 1];

	(void)state;
	build(&t);
	assert_int_equal(check(&t, &d), 0);
	assert_int_equal(rsc_table_entry(t.b, t.size, 0, &e), 0);
	assert_int_equal(e.type, RSC_CARVEOUT);
	assert_int_equal(e.offset, t.off[0]);
	assert_int_equal(e.len, 52);
	assert_int_equal(rsc_name_copy(name, ((const struct fw_rsc_carveout *)e.body)->name), 4);
	assert_string_equal(name, "heap");
	assert_int_equal(rsc_table_entry(t.b, t.size, 2, &e), 0);
	assert_int_equal(e.type, RSC_VDEV);
	assert_int_equal(e.len, 24 + 40 + 8);
	assert_int_equal(rsc_table_entry(t.b, t.size, 3, &e), 0);
	assert_string_equal(rsc_type_name(e.type), "vendor");
	assert_int_equal(e.len, 0);
	assert_int_equal(e.avail, 4);
	assert_int_equal(rsc_table_entry(t.b, t.size, 4, &e), -AMP_ENOENT);
	assert_string_equal(rsc_type_name(RSC_TRACE), "trace");
	assert_string_equal(rsc_type_name(77), "unknown");
}

static void expect(struct table *t, int32_t index, const char *words)
{
	struct amp_diag d = {0};

	assert_int_equal(check(t, &d), -AMP_EINVAL);
	assert_int_equal(d.err, -AMP_EINVAL);
	assert_int_equal(d.index, index);
	assert_non_null(strstr(d.fmt, words));
}

static void test_bad_headers_are_refused(void **state)
{
	struct table t;

	(void)state;
	build(&t);
	t.size = 12;
	expect(&t, -1, "too small");
	build(&t);
	put32(&t, 0, 2);
	expect(&t, -1, "version");
	build(&t);
	put32(&t, 12, 1);
	expect(&t, -1, "reserved");
	build(&t);
	put32(&t, 4, 100000);
	expect(&t, -1, "entries, at most");
	build(&t);
	put32(&t, 4, 200);
	expect(&t, -1, "offset array");
}

static void test_bad_entries_are_refused(void **state)
{
	struct table t;

	(void)state;
	/* An entry inside the offset array. */
	build(&t);
	put32(&t, 16 + 4, 20);
	expect(&t, 1, "table header");
	/* An entry past the end, and one whose offset wraps. */
	build(&t);
	put32(&t, 16 + 8, (uint32_t)t.size);
	expect(&t, 2, "past the table");
	build(&t);
	put32(&t, 16 + 8, 0xfffffffeu);
	expect(&t, 2, "past the table");
	/* A body that does not fit: the table ends inside the trace entry. */
	build(&t);
	put32(&t, 4, 2);
	t.size = t.off[1] + 20;
	expect(&t, 1, "truncated");
	/* Reserved fields. */
	build(&t);
	put32(&t, t.off[0] + 4 + 16, 7);
	expect(&t, 0, "reserved");
	build(&t);
	put32(&t, t.off[1] + 4 + 8, 7);
	expect(&t, 1, "reserved");
	build(&t);
	t.b[t.off[2] + 4 + 22] = 1;
	expect(&t, 2, "reserved");
	/* vdev: too many vrings, config past the end, bad num and align. */
	build(&t);
	t.b[t.off[2] + 4 + 21] = 3;
	expect(&t, 2, "vrings, at most 2");
	build(&t);
	put32(&t, t.off[2] + 4 + 16, 0xfffffff0u);
	expect(&t, 2, "ends past the table");
	build(&t);
	put32(&t, t.off[2] + 4 + 24 + 8, 100);
	expect(&t, 2, "descriptors");
	build(&t);
	put32(&t, t.off[2] + 4 + 24 + 20 + 8, 65536);
	expect(&t, 2, "descriptors");
	build(&t);
	put32(&t, t.off[2] + 4 + 24 + 4, 2);
	expect(&t, 2, "alignment");
	/* Overlaps: the trace entry placed inside the carveout's body, and two equal offsets. */
	build(&t);
	put32(&t, 16 + 4, (uint32_t)t.off[0] + 8);
	put32(&t, t.off[0] + 8, RSC_TRACE);
	memset(t.b + t.off[0] + 12, 0, 44);
	expect(&t, 1, "overlaps");
	build(&t);
	put32(&t, 16 + 12, (uint32_t)t.off[1]);
	expect(&t, 3, "overlaps");
}

static void test_vring_da_out_of_its_alignment_is_refused(void **state)
{
	struct table t;
	struct amp_diag d = {0};
	const size_t vring1 = 4 + 24 + 20; /* from the vdev's type word */

	(void)state;
	/* A fixed da on its 4096-byte alignment is fine; FW_RSC_ADDR_ANY is the host's to align. */
	build(&t);
	put32(&t, t.off[2] + vring1, 0x20000000u);
	assert_int_equal(check(&t, &d), 0);
	/* Off by 0x800: a peer that aligns the used ring by address would lay it out elsewhere. */
	put32(&t, t.off[2] + vring1, 0x20000800u);
	assert_int_equal(check(&t, &d), -AMP_EINVAL);
	assert_int_equal(d.index, 2);
	assert_non_null(strstr(d.fmt, "not aligned"));
	assert_int_equal(d.arg[1], 1);		/* the vring */
	assert_int_equal(d.arg[2], 0x20000800u);	/* its da */
	assert_int_equal(d.arg[3], 4096);		/* its alignment */
}

static void test_unknown_types_are_not_errors(void **state)
{
	struct table t;
	struct amp_diag d = {0};
	struct rsc_entry e;

	(void)state;
	build(&t);
	put32(&t, t.off[3], 42); /* neither known nor vendor: skipped by the host, as Linux */
	assert_int_equal(check(&t, &d), 0);
	assert_int_equal(rsc_table_entry(t.b, t.size, 3, &e), 0);
	assert_string_equal(rsc_type_name(e.type), "unknown");
}

/* A table found in memory, with whatever follows it: measured to its last entry's end, never
 * read past @max, and refused when it does not fit. */
static void test_measure_finds_the_tables_end(void **state)
{
	struct table t;
	struct amp_diag d = {0};
	size_t size = 0;
	uint8_t *mem;

	(void)state;
	build(&t);
	/* The vendor entry is last: it counts as its type word, whose body the table cannot say. */
	mem = malloc(sizeof(t.b));
	memset(mem, 0xEE, sizeof(t.b));
	memcpy(mem, t.b, t.size);
	assert_int_equal(rsc_table_measure(mem, sizeof(t.b), &size, &d), 0);
	assert_int_equal(size, t.off[3] + 4);
	/* Measured is checkable: the copy of that many bytes passes rsc_table_check(). */
	assert_int_equal(rsc_table_check(mem, size, &d), 0);
	free(mem);

	/* The vdev last: its vrings and config space are part of it. */
	put32(&t, 4, 3);
	mem = malloc(t.off[3]);
	memcpy(mem, t.b, t.off[3]);
	assert_int_equal(rsc_table_measure(mem, t.off[3], &size, &d), 0);
	assert_int_equal(size, t.off[3]);
	/* One byte less memory and the vdev's config space does not fit: refused, with no read
	 * past the end (ASan would see it: the copy is exactly that long). */
	assert_int_equal(rsc_table_measure(mem, t.off[3] - 1, &size, &d), -AMP_EINVAL);
	assert_int_equal(d.index, 2);
	assert_non_null(strstr(d.fmt, "ends past the table"));
	free(mem);

	/* Not a table at all: zeroes (a remote that has not written it yet). */
	mem = calloc(1, 64);
	assert_int_equal(rsc_table_measure(mem, 64, &size, &d), -AMP_EINVAL);
	assert_non_null(strstr(d.fmt, "version"));
	assert_int_equal(rsc_table_measure(mem, 8, &size, &d), -AMP_EINVAL);
	free(mem);
}

static void test_unterminated_name_is_read_within_32_bytes(void **state)
{
	uint8_t field[RPROC_MAX_NAME_LEN + 8];
	char name[RPROC_MAX_NAME_LEN + 1];

	(void)state;
	memset(field, 'n', sizeof(field));
	assert_int_equal(rsc_name_copy(name, field), RPROC_MAX_NAME_LEN);
	assert_int_equal(strlen(name), RPROC_MAX_NAME_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_table_walks_every_entry),
		cmocka_unit_test(test_bad_headers_are_refused),
		cmocka_unit_test(test_bad_entries_are_refused),
		cmocka_unit_test(test_vring_da_out_of_its_alignment_is_refused),
		cmocka_unit_test(test_unknown_types_are_not_errors),
		cmocka_unit_test(test_measure_finds_the_tables_end),
		cmocka_unit_test(test_unterminated_name_is_read_within_32_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
