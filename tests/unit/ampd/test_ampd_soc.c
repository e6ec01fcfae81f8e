/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for the SoC description parser (ampd_soc.c): the example descriptions field by field,
 * then a small valid tree built here with libfdt and broken one property at a time, each refusal
 * checked for its error and for naming the node and property. Test layer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include <amp/errno.h>

#include "amp_test.h"
#include "ampd/ampd_soc.h"

#define TREE_MAX 16384

/* libfdt wants the blob 8-byte aligned. */
static char tree[TREE_MAX] __attribute__((aligned(8)));
static char why[256];
static struct ampd_soc soc;

static int parse_tree(void)
{
	fdt_pack(tree);
	return ampd_soc_parse(tree, fdt_totalsize(tree), &soc, why, sizeof(why));
}

/* Every substring must be in why[], and why[] printable: node names come from the file. */
static void assert_why(const char *a, const char *b)
{
	const char *s;

	for (s = why; *s; s++)
		assert_true(*s >= 0x20 && *s <= 0x7e);
	if ((a && !strstr(why, a)) || (b && !strstr(why, b))) {
		print_error("why[] is \"%s\", wanted \"%s\" and \"%s\"\n", why, a, b ? b : "");
		fail();
	}
}

static void prop_cells(const char *name, unsigned int n, ...)
{
	fdt32_t cells[4];
	unsigned int i;
	va_list ap;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		cells[i] = cpu_to_fdt32(va_arg(ap, uint32_t));
	va_end(ap);
	assert_int_equal(fdt_property(tree, name, cells, (int)(n * sizeof(cells[0]))), 0);
}

static void region(const char *name, uint32_t phandle, uint32_t da, uint32_t len)
{
	assert_int_equal(fdt_begin_node(tree, name), 0);
	prop_cells("reg", 2, da, len);
	assert_int_equal(fdt_property_u32(tree, "phandle", phandle), 0);
	assert_int_equal(fdt_end_node(tree), 0);
}

/*
 * The tree every bad case starts from: two processors, sim0 with its regions in order (phandles
 * 1, 2), sim1 with memory-region-names (3, 4), and a node outside /reserved-memory (5). Left
 * open for read-write, so that a case can change one thing.
 */
static void base_tree(void)
{
	assert_int_equal(fdt_create(tree, TREE_MAX), 0);
	assert_int_equal(fdt_finish_reservemap(tree), 0);
	assert_int_equal(fdt_begin_node(tree, ""), 0);
	assert_int_equal(fdt_property_string(tree, "model", "test SoC"), 0);
	assert_int_equal(fdt_begin_node(tree, "reserved-memory"), 0);
	assert_int_equal(fdt_property_u32(tree, "#address-cells", 1), 0);
	assert_int_equal(fdt_property_u32(tree, "#size-cells", 1), 0);
	assert_int_equal(fdt_property(tree, "ranges", NULL, 0), 0);
	region("r0@10000000", 1, 0x10000000, 0x100000);
	region("p0@20000000", 2, 0x20000000, 0x200000);
	region("r1@10000000", 3, 0x10000000, 0x100000);
	region("p1@20000000", 4, 0x20000000, 0x200000);
	assert_int_equal(fdt_end_node(tree), 0);
	assert_int_equal(fdt_begin_node(tree, "remoteproc"), 0);
	assert_int_equal(fdt_begin_node(tree, "sim0"), 0);
	assert_int_equal(fdt_property_string(tree, "compatible", "amp,sim-rproc"), 0);
	assert_int_equal(fdt_property_string(tree, "firmware-name", "a.elf"), 0);
	prop_cells("memory-region", 2, 1, 2);
	assert_int_equal(fdt_end_node(tree), 0);
	assert_int_equal(fdt_begin_node(tree, "sim1"), 0);
	assert_int_equal(fdt_property_string(tree, "compatible", "amp,sim-rproc"), 0);
	assert_int_equal(fdt_property_string(tree, "firmware-name", "b.elf"), 0);
	prop_cells("memory-region", 2, 3, 4);
	assert_int_equal(fdt_property(tree, "memory-region-names", "ram\0pool", 9), 0);
	assert_int_equal(fdt_end_node(tree), 0);
	assert_int_equal(fdt_end_node(tree), 0);
	assert_int_equal(fdt_begin_node(tree, "other"), 0);
	assert_int_equal(fdt_property_u32(tree, "phandle", 5), 0);
	assert_int_equal(fdt_end_node(tree), 0);
	assert_int_equal(fdt_end_node(tree), 0);
	assert_int_equal(fdt_finish(tree), 0);
	assert_int_equal(fdt_open_into(tree, tree, TREE_MAX), 0);
}

static int node(const char *path)
{
	int off = fdt_path_offset(tree, path);

	assert_true(off >= 0);
	return off;
}

/* One change to the base tree: set a property, delete it (DEL_PROP) or the node (DEL_NODE). */
#define DEL_PROP (-1)
#define DEL_NODE (-2)
struct change {
	const char *path, *prop;
	const void *val;
	int len;
};

#define STR(s) s, (int)sizeof(s)       /* a string with its NUL */
#define RAW(s) s, (int)sizeof(s) - 1   /* the bytes without the NUL */
#define U32(v) (const uint8_t[]){(v) >> 24 & 0xff, (v) >> 16 & 0xff, (v) >> 8 & 0xff, (v) & 0xff}, 4
#define U32X2(a, b) (const uint8_t[]){0, 0, 0, a, 0, 0, 0, b}, 8

static void apply(const struct change *c)
{
	int off = node(c->path);

	if (c->len == DEL_NODE)
		assert_int_equal(fdt_del_node(tree, off), 0);
	else if (c->len == DEL_PROP)
		assert_int_equal(fdt_delprop(tree, off, c->prop), 0);
	else
		assert_int_equal(fdt_setprop(tree, off, c->prop, c->val, c->len), 0);
}

static void test_base_tree_parses(void **state)
{
	(void)state;
	base_tree();
	assert_int_equal(parse_tree(), 0);
	assert_string_equal(why, "");
	assert_string_equal(soc.model, "test SoC");
	assert_int_equal(soc.num_procs, 2);
	assert_string_equal(soc.procs[0].name, "sim0");
	assert_string_equal(soc.procs[0].firmware, "a.elf");
	assert_string_equal(soc.procs[1].name, "sim1");
	assert_true(soc.procs[1].ram_da == 0x10000000 && soc.procs[1].pool_len == 0x200000);
}

#define SIM0 "/remoteproc/sim0"
#define SIM1 "/remoteproc/sim1"
#define RESMEM "/reserved-memory"
#define R0 "/reserved-memory/r0@10000000"
#define P0 "/reserved-memory/p0@20000000"

static const struct bad_case {
	struct change change[3];
	int err;
	const char *why1, *why2; /* both must be in why[] */
} bad_cases[] = {
	/* the platform */
	{{{SIM0, "compatible", STR("vendor,other-rproc")}}, -AMP_EOPNOTSUPP, SIM0, "\"compatible\""},
	{{{SIM0, "compatible", NULL, DEL_PROP}}, -AMP_EINVAL, SIM0, "\"compatible\" is missing"},
	{{{SIM0, "compatible", RAW("amp,sim-rproc")}}, -AMP_EINVAL, SIM0, "\"compatible\""},
	{{{SIM0, "compatible", STR("\0amp,sim-rproc")}}, -AMP_EINVAL, SIM0, "empty string"},
	/* a Cortex-M4's regions must split its board's RAM (0x21000000, below the top page) */
	{{{SIM0, "compatible", STR("amp,qemu-m4-rproc")}}, -AMP_EINVAL, R0,
	 "(0x10000000, size 0x100000) is not a qemu-m4 region"},
	/* firmware-name */
	{{{SIM0, "firmware-name", NULL, DEL_PROP}}, -AMP_EINVAL, SIM0, "\"firmware-name\""},
	{{{SIM0, "firmware-name", STR("../../etc/shadow")}}, -AMP_EINVAL, SIM0, "without '/'"},
	{{{SIM0, "firmware-name", STR("..")}}, -AMP_EINVAL, SIM0, "\"firmware-name\""},
	{{{SIM0, "firmware-name", RAW("a.elf")}}, -AMP_EINVAL, SIM0, "NUL-terminated"},
	{{{SIM0, "firmware-name", STR("a.elf\0b.elf")}}, -AMP_EINVAL, SIM0, "not a list"},
	{{{SIM0, "firmware-name", STR("a\x1b[2J.elf")}}, -AMP_EINVAL, SIM0, "printable"},
	{{{SIM0, "firmware-name", STR("")}}, -AMP_EINVAL, SIM0, "empty string"},
	/* options */
	{{{SIM0, "amp,cpu", U32(1024)}}, -AMP_EINVAL, SIM0, "\"amp,cpu\" is 1024"},
	{{{SIM0, "amp,cpu", U32(0xffffffff)}}, -AMP_EINVAL, SIM0, "\"amp,cpu\""},
	{{{SIM0, "amp,cpu", RAW("\0\1")}}, -AMP_EINVAL, SIM0, "one 32-bit cell"},
	{{{SIM0, "amp,notify", STR("irq")}}, -AMP_EINVAL, SIM0, "\"amp,notify\""},
	{{{SIM0, "amp,notify", RAW("poll")}}, -AMP_EINVAL, SIM0, "\"amp,notify\""},
	{{{SIM0, "amp,notify", STR("pollpollpollpollpoll")}}, -AMP_EINVAL, SIM0, "\"amp,notify\""},
	{{{SIM0, "amp,notify", U32(1)}}, -AMP_EINVAL, SIM0, "\"amp,notify\""},
	{{{SIM0, "amp,auto-boot", U32(1)}}, -AMP_EINVAL, SIM0, "\"amp,auto-boot\" is a boolean"},
	{{{SIM0, "amp,no-recovery", STR("yes")}}, -AMP_EINVAL, SIM0, "\"amp,no-recovery\""},
	{{{SIM0, "amp,watchdog-ms", U32(3600001)}}, -AMP_EINVAL, SIM0, "\"amp,watchdog-ms\""},
	{{{SIM0, "amp,watchdog-ms", U32X2(0, 1)}}, -AMP_EINVAL, SIM0, "\"amp,watchdog-ms\""},
	/* memory-region and its names */
	{{{SIM0, "memory-region", NULL, DEL_PROP}}, -AMP_EINVAL, SIM0, "\"memory-region\" is missing"},
	{{{SIM0, "memory-region", RAW("\0\0\1")}}, -AMP_EINVAL, SIM0, "phandles"},
	{{{SIM0, "memory-region", U32(1)}}, -AMP_EINVAL, SIM0, "lists 1"},
	{{{SIM0, "memory-region", (const uint8_t[]){0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}, 12}},
	 -AMP_EINVAL, SIM0, "lists 3"},
	{{{SIM0, "memory-region", U32X2(1, 99)}}, -AMP_EINVAL, SIM0, "0x63 refers to no node"},
	{{{SIM0, "memory-region", U32X2(0, 2)}}, -AMP_EINVAL, SIM0, "refers to no node"},
	{{{SIM0, "memory-region", (const uint8_t[]){0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}, 8}},
	 -AMP_EINVAL, SIM0, "refers to no node"},
	{{{SIM0, "memory-region", U32X2(1, 5)}}, -AMP_EINVAL, SIM0, "not a child of /reserved-memory"},
	{{{SIM0, "memory-region", U32X2(1, 1)}}, -AMP_EEXIST, R0, "used twice"},
	{{{SIM1, "memory-region", U32X2(3, 2)}}, -AMP_EEXIST, "pool region of sim0",
	 "pool region of sim1"},
	{{{SIM1, "memory-region-names", STR("ram\0ram")}}, -AMP_EINVAL, SIM1, "names ram twice"},
	{{{SIM1, "memory-region-names", STR("ram\0vdev0buffer")}}, -AMP_EINVAL, SIM1,
	 "unknown name \"vdev0buffer\""},
	{{{SIM1, "memory-region-names", STR("ram")}}, -AMP_EINVAL, SIM1, "1 names for 2 regions"},
	{{{SIM1, "memory-region-names", RAW("ram\0pool")}}, -AMP_EINVAL, SIM1,
	 "\"memory-region-names\""},
	/* the regions */
	{{{R0, "reg", U32X2(0x10, 0)}}, -AMP_EINVAL, R0, "size of 0"},
	{{{R0, "reg", U32(0x10000000)}}, -AMP_EINVAL, R0, "\"reg\" must be one address of 1 cells"},
	{{{R0, "reg", NULL, DEL_PROP}}, -AMP_EINVAL, R0, "\"reg\" is missing"},
	{{{R0, "reg", (const uint8_t[]){0x10, 0, 0x08, 0, 0, 0x10, 0, 0}, 8}}, -AMP_EINVAL, R0,
	 "not a sim region"},
	{{{R0, "reg", (const uint8_t[]){0, 0, 0x10, 0, 0, 0x10, 0, 0}, 8}}, -AMP_EINVAL, R0,
	 "not a sim region"},
	{{{R0, "reg", (const uint8_t[]){0xff, 0xf0, 0, 0, 0x01, 0, 0, 0}, 8}}, -AMP_EINVAL, R0,
	 "not a sim region"},
	/* 2 cells: a region that wraps, and one above 4 GiB */
	{{{RESMEM, "#address-cells", U32(2)},
	  {RESMEM, "#size-cells", U32(2)},
	  {R0, "reg", (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0, 0, 0, 0,
					0x20, 0}, 16}},
	 -AMP_EINVAL, R0, "past the end of the address space"},
	{{{RESMEM, "#address-cells", U32(2)},
	  {RESMEM, "#size-cells", U32(2)},
	  {R0, "reg", (const uint8_t[]){0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0}, 16}},
	 -AMP_EINVAL, R0, "(0x100000000, size 0x100000) is not a sim region"},
	{{{RESMEM, "#address-cells", U32(2)},
	  {RESMEM, "#size-cells", U32(2)},
	  {R0, "reg", (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0,
					0}, 16}},
	 -AMP_EINVAL, R0, "not a sim region"}, /* ends at 2^64 exactly */
	{{{P0, "reg", (const uint8_t[]){0x10, 0x08, 0, 0, 0, 0x10, 0, 0}, 8}}, -AMP_EINVAL, SIM0,
	 "overlap"},
	{{{P0, "status", STR("disabled")}}, -AMP_EINVAL, P0, "disabled"},
	{{{RESMEM, "#address-cells", U32(3)}}, -AMP_EINVAL, RESMEM, "\"#address-cells\" must be 1 or 2"},
	{{{RESMEM, "#size-cells", NULL, DEL_PROP}}, -AMP_EINVAL, RESMEM, "\"#size-cells\""},
	{{{RESMEM, "#size-cells", U32(0)}}, -AMP_EINVAL, RESMEM, "\"#size-cells\""},
	{{{RESMEM, NULL, NULL, DEL_NODE}}, -AMP_EINVAL, SIM0, "0x1 refers to no node"},
	/* names */
	{{{SIM1, "label", STR("sim0")}}, -AMP_EEXIST, SIM1, "two processors are named \"sim0\""},
	{{{SIM1, "label", STR("my dsp")}}, -AMP_EINVAL, SIM1, "(from \"label\")"},
	{{{SIM1, "label", STR("0123456789abcdef0123456789abcdef")}}, -AMP_EINVAL, SIM1,
	 "\"label\" is longer than 31"},
	/* the tree */
	{{{"/", "model", RAW("test")}}, -AMP_EINVAL, "/: ", "\"model\""},
	{{{SIM0, "status", U32(1)}}, -AMP_EINVAL, SIM0, "\"status\""},
	{{{SIM0, "status", STR("disabled")}, {SIM1, "status", STR("fail")}}, -AMP_ENODEV,
	 "/remoteproc: ", "no processors"},
	{{{"/remoteproc", NULL, NULL, DEL_NODE}}, -AMP_ENODEV, "no /remoteproc node", NULL},
};

static void test_refuses_each_bad_property(void **state)
{
	size_t i, j;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];

		base_tree();
		for (j = 0; j < 3 && b->change[j].path; j++)
			apply(&b->change[j]);
		memset(why, 'x', sizeof(why));
		ret = parse_tree();
		if (ret != b->err)
			print_error("case %zu: got %d, why[] \"%s\"\n", i, ret, why);
		assert_int_equal(ret, b->err);
		assert_why(b->why1, b->why2);
	}
}

/* What the base tree accepts beyond the minimum, and the defaults it fills in. */
static void test_accepts_variants(void **state)
{
	const struct change ok[][2] = {
		{{SIM0, "status", STR("okay")}, {SIM0, "amp,cpu", U32(1023)}},
		{{SIM0, "compatible", STR("vendor,dsp\0amp,sim-rproc")},
		 {SIM0, "amp,watchdog-ms", U32(3600000)}},
		{{SIM1, "label", STR("Dsp_1.x-y")}, {SIM1, "memory-region-names", STR("pool\0ram")}},
	};
	struct ampd_soc_proc *p = &soc.procs[0];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		base_tree();
		apply(&ok[i][0]);
		apply(&ok[i][1]);
		assert_int_equal(parse_tree(), 0);
		assert_int_equal(soc.num_procs, 2);
	}
	/* The last one: the names, not the order, say which region is which. */
	assert_string_equal(soc.procs[1].name, "Dsp_1.x-y");
	assert_true(soc.procs[1].ram_da == 0x20000000 && soc.procs[1].pool_da == 0x10000000);

	/* Defaults: mailbox, not pinned, no watchdog, no auto-boot, recovery on. */
	base_tree();
	assert_int_equal(parse_tree(), 0);
	assert_string_equal(p->compatible, AMPD_SOC_SIM_COMPATIBLE);
	assert_int_equal(p->cpu, -1);
	assert_int_equal(p->notify, SIM_NOTIFY_MAILBOX);
	assert_int_equal(p->watchdog_ms, 0);
	assert_false(p->auto_boot);
	assert_true(p->recovery);

	/* A disabled processor is skipped, and its regions are free for another. */
	base_tree();
	apply(&(struct change){SIM0, "status", STR("disabled")});
	apply(&(struct change){SIM1, "memory-region", U32X2(1, 2)});
	assert_int_equal(parse_tree(), 0);
	assert_int_equal(soc.num_procs, 1);
	assert_string_equal(soc.procs[0].name, "sim1");

	/* A unit address is not part of the name. */
	base_tree();
	assert_int_equal(fdt_set_name(tree, node(SIM0), "sim0@4000"), 0);
	assert_int_equal(parse_tree(), 0);
	assert_string_equal(soc.procs[0].name, "sim0");
}

static void test_node_names(void **state)
{
	(void)state;
	base_tree();
	assert_int_equal(fdt_set_name(tree, node(SIM0), "dsp,0"), 0);
	assert_int_equal(parse_tree(), -AMP_EINVAL);
	assert_why("/remoteproc/dsp,0", "(from the node name)");

	base_tree();
	assert_int_equal(fdt_set_name(tree, node(SIM0), "a23456789012345678901234567890123"), 0);
	assert_int_equal(parse_tree(), -AMP_EINVAL);
	assert_why("1 to 31 characters", "\"label\"");

	base_tree();
	assert_int_equal(fdt_set_name(tree, node(SIM0), "@1"), 0);
	assert_int_equal(parse_tree(), -AMP_EINVAL);
	assert_why("/remoteproc/@1", "1 to 31 characters");

	/* A name with a terminal escape: the message must not carry it. */
	base_tree();
	assert_int_equal(fdt_set_name(tree, node(SIM0), "x\x1b[31m"), 0);
	assert_int_equal(parse_tree(), -AMP_EINVAL);
	assert_why("/remoteproc/x?[31m", NULL);

	base_tree();
	assert_int_equal(fdt_set_name(tree, node(SIM1), "sim0@1"), 0);
	assert_int_equal(parse_tree(), -AMP_EEXIST);
	assert_why("/remoteproc/sim0@1", "two processors are named \"sim0\"");
}

static void test_too_many_processors(void **state)
{
	char name[32];
	uint32_t i;
	int rm, rp, off;

	(void)state;
	base_tree();
	rm = node(RESMEM);
	/* 15 more processors, 17 in all, each with regions of its own. */
	for (i = 0; i < 15; i++) {
		uint32_t phandle = 100 + 2 * i;

		snprintf(name, sizeof(name), "x%u-ram@10000000", i);
		off = fdt_add_subnode(tree, rm, name);
		assert_true(off >= 0);
		assert_int_equal(fdt_setprop_u32(tree, off, "reg", 0x10000000), 0);
		assert_int_equal(fdt_appendprop_u32(tree, off, "reg", 0x100000), 0);
		assert_int_equal(fdt_setprop_u32(tree, off, "phandle", phandle), 0);
		snprintf(name, sizeof(name), "x%u-pool@20000000", i);
		off = fdt_add_subnode(tree, rm, name);
		assert_true(off >= 0);
		assert_int_equal(fdt_setprop_u32(tree, off, "reg", 0x20000000), 0);
		assert_int_equal(fdt_appendprop_u32(tree, off, "reg", 0x200000), 0);
		assert_int_equal(fdt_setprop_u32(tree, off, "phandle", phandle + 1), 0);

		rp = node("/remoteproc");
		snprintf(name, sizeof(name), "extra%u", i);
		off = fdt_add_subnode(tree, rp, name);
		assert_true(off >= 0);
		assert_int_equal(fdt_setprop_string(tree, off, "compatible", "amp,sim-rproc"), 0);
		assert_int_equal(fdt_setprop_string(tree, off, "firmware-name", "x.elf"), 0);
		assert_int_equal(fdt_setprop_u32(tree, off, "memory-region", phandle), 0);
		assert_int_equal(fdt_appendprop_u32(tree, off, "memory-region", phandle + 1), 0);
		if (i == 13) {
			/* 16 processors: the most there may be. */
			assert_int_equal(parse_tree(), 0);
			assert_int_equal(soc.num_procs, AMPD_SOC_MAX_PROCS);
			assert_int_equal(fdt_open_into(tree, tree, TREE_MAX), 0);
		}
	}
	assert_int_equal(parse_tree(), -AMP_E2BIG);
	assert_why("more than 16 processors", NULL);
}

static void test_damaged_blobs(void **state)
{
	static char copy[TREE_MAX] __attribute__((aligned(8)));
	size_t size;

	(void)state;
	base_tree();
	fdt_pack(tree);
	size = fdt_totalsize(tree);
	memcpy(copy, tree, size);

	assert_int_equal(ampd_soc_parse(copy, 0, &soc, why, sizeof(why)), -AMP_EBADMSG);
	assert_why("shorter than its header", NULL);
	assert_int_equal(ampd_soc_parse(copy, 39, &soc, why, sizeof(why)), -AMP_EBADMSG);
	assert_why("shorter than its header", NULL);
	/* Truncated: the header says more than there is. */
	assert_int_equal(ampd_soc_parse(copy, size - 1, &soc, why, sizeof(why)), -AMP_EBADMSG);
	assert_why("truncated", NULL);
	/* Bytes after totalsize are not the tree's: ignored. */
	assert_int_equal(ampd_soc_parse(copy, sizeof(copy), &soc, why, sizeof(why)), 0);
	/* Not aligned as libfdt requires. */
	memmove(copy + 1, copy, size);
	assert_int_equal(ampd_soc_parse(copy + 1, size, &soc, why, sizeof(why)), -AMP_EINVAL);
	assert_why("not 8-byte aligned", NULL);

	/* Older format versions: libfdt checks them less well. */
	memcpy(copy, tree, size);
	((fdt32_t *)copy)[5] = cpu_to_fdt32(16); /* version */
	assert_int_equal(ampd_soc_parse(copy, size, &soc, why, sizeof(why)), -AMP_EBADMSG);
	assert_why("format version 16", NULL);

	/* Garbage, and a tree whose structure block is damaged past the header. */
	memset(copy, 0xa5, sizeof(copy));
	assert_int_equal(ampd_soc_parse(copy, sizeof(copy), &soc, why, sizeof(why)), -AMP_EBADMSG);
	assert_why("bad magic", NULL);
	memcpy(copy, tree, size);
	memset(copy + fdt_off_dt_struct(tree) + 8, 0xa5, 16);
	assert_int_equal(ampd_soc_parse(copy, size, &soc, why, sizeof(why)), -AMP_EBADMSG);
	assert_why("not a valid flattened devicetree", NULL);
	/* A header whose structure block ends inside the first node. */
	memcpy(copy, tree, size);
	((fdt32_t *)copy)[9] = cpu_to_fdt32(4); /* size_dt_struct */
	assert_int_equal(ampd_soc_parse(copy, size, &soc, why, sizeof(why)), -AMP_EBADMSG);
	assert_why("not a valid flattened devicetree", NULL);
}

static void test_small_why_buffer(void **state)
{
	char small[8];

	(void)state;
	base_tree();
	apply(&(struct change){SIM0, "amp,notify", STR("irq")});
	fdt_pack(tree);
	memset(small, 'x', sizeof(small));
	assert_int_equal(ampd_soc_parse(tree, fdt_totalsize(tree), &soc, small, sizeof(small)),
			 -AMP_EINVAL);
	assert_string_equal(small, "/remote");
	/* No room for a reason at all is allowed too. */
	assert_int_equal(ampd_soc_parse(tree, fdt_totalsize(tree), &soc, NULL, 0), -AMP_EINVAL);
}

/* The examples shipped under tools/ampd/soc/, as the build compiled them. */
static size_t load(const char *name)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", AMPD_SOC_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(tree, 1, sizeof(tree), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(tree));
	return n;
}

static void assert_proc_equal(const struct ampd_soc_proc *a, const struct ampd_soc_proc *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->compatible, b->compatible);
	assert_string_equal(a->firmware, b->firmware);
	assert_true(a->ram_da == b->ram_da && a->ram_len == b->ram_len);
	assert_true(a->pool_da == b->pool_da && a->pool_len == b->pool_len);
	assert_int_equal(a->cpu, b->cpu);
	assert_int_equal(a->notify, b->notify);
	assert_int_equal(a->auto_boot, b->auto_boot);
	assert_int_equal(a->recovery, b->recovery);
	assert_int_equal(a->watchdog_ms, b->watchdog_ms);
}

static void test_default_matches_sim_default_dts(void **state)
{
	struct ampd_soc def;
	unsigned int i;
	size_t n;

	(void)state;
	ampd_soc_default(&def);
	assert_int_equal(def.num_procs, 2);
	assert_string_equal(def.procs[0].name, "sim0");
	assert_string_equal(def.procs[0].firmware, "rpmsg-client-sample.elf");
	assert_string_equal(def.procs[1].name, "sim1");
	assert_string_equal(def.procs[1].firmware, "rpmsg-echo.elf");
	assert_true(def.procs[1].ram_da == SIM_DEFAULT_RAM_DA &&
		    def.procs[1].ram_len == SIM_DEFAULT_RAM_LEN &&
		    def.procs[1].pool_da == SIM_DEFAULT_POOL_DA &&
		    def.procs[1].pool_len == SIM_DEFAULT_POOL_LEN);

	n = load("sim-default.dtb");
	assert_int_equal(ampd_soc_parse(tree, n, &soc, why, sizeof(why)), 0);
	assert_string_equal(soc.model, def.model);
	assert_int_equal(soc.num_procs, def.num_procs);
	for (i = 0; i < def.num_procs; i++)
		assert_proc_equal(&soc.procs[i], &def.procs[i]);
}

static void test_sim_pinned_dts(void **state)
{
	static const struct ampd_soc_proc want[] = {
		{.name = "ctl", .compatible = "amp,sim-rproc", .firmware = "rpmsg-client-sample.elf",
		 .ram_da = 0x10000000, .ram_len = 0x100000, .pool_da = 0x20000000,
		 .pool_len = 0x200000, .cpu = -1, .notify = SIM_NOTIFY_MAILBOX, .auto_boot = true,
		 .recovery = true},
		{.name = "rt", .compatible = "amp,sim-rproc", .firmware = "rpmsg-echo.elf",
		 .ram_da = 0x10000000, .ram_len = 0x100000, .pool_da = 0x20000000,
		 .pool_len = 0x200000, .cpu = 1, .notify = SIM_NOTIFY_POLL, .recovery = true,
		 .watchdog_ms = 1000},
		{.name = "offload", .compatible = "amp,sim-rproc", .firmware = "rpmsg-offload.elf",
		 .ram_da = 0x10000000, .ram_len = 0x100000, .pool_da = 0x30000000,
		 .pool_len = 0x800000, .cpu = -1, .notify = SIM_NOTIFY_MAILBOX},
	};
	unsigned int i;
	size_t n;

	(void)state;
	n = load("sim-pinned.dtb");
	assert_int_equal(ampd_soc_parse(tree, n, &soc, why, sizeof(why)), 0);
	assert_string_equal(soc.model, "AMP simulated SoC, three processors, one pinned");
	assert_int_equal(soc.num_procs, 3);
	for (i = 0; i < 3; i++)
		assert_proc_equal(&soc.procs[i], &want[i]);
}

static void test_qemu_m4_dts(void **state)
{
	static const struct ampd_soc_proc want[] = {
		{.name = "m4", .compatible = "amp,qemu-m4-rproc",
		 .firmware = "rpmsg-client-sample-m4.elf", .ram_da = 0x21000000, .ram_len = 0x100000,
		 .pool_da = 0x21100000, .pool_len = 0xeff000, .cpu = -1,
		 .notify = SIM_NOTIFY_MAILBOX, .recovery = true, .watchdog_ms = 1000},
		{.name = "m4echo", .compatible = "amp,qemu-m4-rproc", .firmware = "rpmsg-echo-m4.elf",
		 .ram_da = 0x21000000, .ram_len = 0x100000, .pool_da = 0x21100000,
		 .pool_len = 0xeff000, .cpu = -1, .notify = SIM_NOTIFY_MAILBOX, .recovery = true},
		{.name = "sim0", .compatible = "amp,sim-rproc", .firmware = "rpmsg-echo.elf",
		 .ram_da = 0x10000000, .ram_len = 0x100000, .pool_da = 0x20000000,
		 .pool_len = 0x200000, .cpu = -1, .notify = SIM_NOTIFY_MAILBOX, .recovery = true},
	};
	unsigned int i;
	size_t n;

	(void)state;
	n = load("qemu-m4.dtb");
	assert_int_equal(ampd_soc_parse(tree, n, &soc, why, sizeof(why)), 0);
	assert_int_equal(soc.num_procs, 3);
	for (i = 0; i < 3; i++)
		assert_proc_equal(&soc.procs[i], &want[i]);
	/* The M4's RAM ends where the platform's control page begins. */
	fdt_open_into(tree, tree, TREE_MAX);
	assert_int_equal(fdt_setprop(tree, node("/reserved-memory/m4-pool@21100000"), "reg",
				     (const uint8_t[]){0x21, 0x10, 0, 0, 0, 0xf0, 0, 0}, 8),
			 0);
	assert_int_equal(parse_tree(), -AMP_EINVAL);
	assert_why("/reserved-memory/m4-pool@21100000", "is not a qemu-m4 region");
}

/* The base tree with a third processor, "shm2", of the shm platform: only its compatible.
 * libfdt adds it as the first child of /remoteproc. */
#define SHM2 "/remoteproc/shm2"

static void shm_tree(void)
{
	base_tree();
	assert_true(fdt_add_subnode(tree, node("/remoteproc"), "shm2") >= 0);
	assert_int_equal(fdt_setprop_string(tree, node(SHM2), "compatible", "amp,shm-rproc"), 0);
}

static const struct bad_case shm_bad_cases[] = {
	{{{SHM2, "firmware-name", STR("a.elf")}}, -AMP_EINVAL, SHM2, "\"firmware-name\" does not apply"},
	{{{SHM2, "memory-region", U32X2(1, 2)}}, -AMP_EINVAL, SHM2, "\"memory-region\" does not apply"},
	{{{SHM2, "amp,shm-file", STR("dev/shm/x")}}, -AMP_EINVAL, SHM2, "absolute path"},
	{{{SHM2, "amp,shm-file", STR("/a\0/b")}}, -AMP_EINVAL, SHM2, "not a list"},
	{{{SHM2, "amp,shm-socket", STR("/0123456789012345678901234567890123456789012345678901234"
				       "5678901234567890123456789012345678901234567890123456")}},
	 -AMP_EINVAL, SHM2, "\"amp,shm-socket\" is longer than 107"},
	{{{SHM2, "amp,host-listens", U32(1)}}, -AMP_EINVAL, SHM2, "is a boolean"},
	{{{SHM2, "amp,shm-size", U32(0x800)}}, -AMP_EINVAL, SHM2, "\"amp,shm-size\" is 2048"},
	{{{SHM2, "amp,shm-size", U32(0x40000001)}}, -AMP_EINVAL, SHM2, "\"amp,shm-size\""},
	{{{SHM2, "amp,rsc-table", U32X2(0, 0)}}, -AMP_EINVAL, SHM2, "one 32-bit cell"},
	{{{SHM2, "amp,rpmsg-buffers", U32(0x10000)}}, -AMP_EINVAL, SHM2, "<address size>"},
	{{{SHM2, "amp,rpmsg-buffers", U32X2(1, 0)}}, -AMP_EINVAL, SHM2, "the size not 0"},
	{{{SHM2, "amp,attach-timeout-ms", U32(0)}}, -AMP_EINVAL, SHM2, "\"amp,attach-timeout-ms\""},
	{{{SHM2, "amp,attach-timeout-ms", U32(3600001)}}, -AMP_EINVAL, SHM2, "to 3600000"},
	/* the buffer geometry, for any platform */
	{{{SHM2, "amp,rpmsg-buf-size", U32(20)}}, -AMP_EINVAL, SHM2, "\"amp,rpmsg-buf-size\" is 20"},
	{{{SIM0, "amp,rpmsg-buf-size", U32(516)}}, -AMP_EINVAL, SIM0, "in steps of 8"},
	{{{SHM2, "amp,rpmsg-buf-size", U32(65552)}}, -AMP_EINVAL, SHM2, "to 65544"},
	{{{SHM2, "amp,rpmsg-num-bufs", U32(3)}}, -AMP_EINVAL, SHM2, "from 2 to 65536, in steps of 2"},
	{{{SIM1, "amp,rpmsg-num-bufs", U32(0)}}, -AMP_EINVAL, SIM1, "\"amp,rpmsg-num-bufs\" is 0"},
	/* (libfdt puts shm2 first: sim1 comes after it) */
	{{{SHM2, "label", STR("sim1")}}, -AMP_EEXIST, SIM1, "two processors are named \"sim1\""},
};

static void test_shm_refuses_each_bad_property(void **state)
{
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(shm_bad_cases) / sizeof(shm_bad_cases[0]); i++) {
		shm_tree();
		apply(&shm_bad_cases[i].change[0]);
		memset(why, 'x', sizeof(why));
		ret = parse_tree();
		if (ret != shm_bad_cases[i].err)
			print_error("case %zu: got %d, why[] \"%s\"\n", i, ret, why);
		assert_int_equal(ret, shm_bad_cases[i].err);
		assert_why(shm_bad_cases[i].why1, shm_bad_cases[i].why2);
	}
}

/* A shm processor needs its compatible only (the rest is <amp/shm.h>'s defaults), holds no
 * regions, and the sim processors after it still check theirs against each other. */
static void test_shm_defaults_and_regions(void **state)
{
	const struct ampd_soc_proc *p = &soc.procs[0];

	(void)state;
	shm_tree();
	assert_int_equal(parse_tree(), 0);
	assert_int_equal(soc.num_procs, 3);
	assert_string_equal(p->name, "shm2");
	assert_string_equal(p->compatible, AMPD_SOC_SHM_COMPATIBLE);
	assert_string_equal(p->shm.file, "");
	assert_string_equal(p->shm.socket, "");
	assert_false(p->shm.host_listens);
	assert_true(!p->shm.size && !p->shm.rsc_da && !p->shm.buf_da && !p->shm.buf_len);
	assert_true(!p->shm.attach_timeout_ms && !p->buf_size && !p->num_bufs);
	assert_true(p->recovery);

	shm_tree();
	apply(&(struct change){SIM1, "memory-region", U32X2(1, 4)});
	assert_int_equal(parse_tree(), -AMP_EEXIST);
	assert_why("the ram region of sim0", "the ram region of sim1");
}

static void test_shm_openamp_dts(void **state)
{
	const struct ampd_soc_proc *a = &soc.procs[0], *b = &soc.procs[1];
	size_t n;

	(void)state;
	n = load("shm-openamp.dtb");
	assert_int_equal(ampd_soc_parse(tree, n, &soc, why, sizeof(why)), 0);
	assert_int_equal(soc.num_procs, 2);
	assert_string_equal(a->name, "openamp0");
	assert_string_equal(a->compatible, AMPD_SOC_SHM_COMPATIBLE);
	assert_true(a->auto_boot && a->recovery);
	assert_string_equal(a->shm.file, "");
	assert_string_equal(b->name, "dsp1");
	assert_string_equal(b->shm.file, "/dev/shm/amp-dsp1.shm");
	assert_string_equal(b->shm.socket, "/run/amp-dsp1.sock");
	assert_true(b->shm.host_listens && !b->auto_boot);
	assert_int_equal(b->shm.size, 0x100000);
	assert_int_equal(b->shm.rsc_da, 0);
	assert_true(b->shm.buf_da == 0x10000 && b->shm.buf_len == 0x80000);
	assert_true(b->buf_size == 1024 && b->num_bufs == 256);
	assert_int_equal(b->shm.attach_timeout_ms, 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_tree_parses),
		cmocka_unit_test(test_refuses_each_bad_property),
		cmocka_unit_test(test_accepts_variants),
		cmocka_unit_test(test_node_names),
		cmocka_unit_test(test_too_many_processors),
		cmocka_unit_test(test_damaged_blobs),
		cmocka_unit_test(test_small_why_buffer),
		cmocka_unit_test(test_default_matches_sim_default_dts),
		cmocka_unit_test(test_sim_pinned_dts),
		cmocka_unit_test(test_qemu_m4_dts),
		cmocka_unit_test(test_shm_refuses_each_bad_property),
		cmocka_unit_test(test_shm_defaults_and_regions),
		cmocka_unit_test(test_shm_openamp_dts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
