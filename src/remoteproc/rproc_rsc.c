/* SPDX-License-Identifier: BSD-3-Clause */
/* Resource-table parser. Portable: no OS, no allocation, no printf. */
#include <stdbool.h>

#include <amp/errno.h>
#include <amp/rsc_table.h>
#include <amp/wire/vring.h>

#include "util/amp_util.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	amp_memcpy(&v, p, sizeof(v));
	return v;
}

const char *rsc_type_name(uint32_t type)
{
	switch (type) {
	case RSC_CARVEOUT:
		return "carveout";
	case RSC_DEVMEM:
		return "devmem";
	case RSC_TRACE:
		return "trace";
	case RSC_VDEV:
		return "vdev";
	}
	return type >= RSC_VENDOR_START && type <= RSC_VENDOR_END ? "vendor" : "unknown";
}

size_t rsc_name_copy(char *dst, const uint8_t *name)
{
	size_t n = amp_strnlen((const char *)name, RPROC_MAX_NAME_LEN);

	amp_memcpy(dst, name, n);
	dst[n] = '\0';
	return n;
}

/* The body size of a known entry, checked against @avail; 0 for vendor and unknown types. */
static int rsc_body_len(const uint8_t *body, uint32_t type, size_t avail, unsigned int i,
			size_t *len, struct amp_diag *d)
{
	struct fw_rsc_vdev v;
	uint64_t need;
	unsigned int j;

	*len = 0;
	switch (type) {
	case RSC_CARVEOUT:
	case RSC_DEVMEM:
		if (avail < sizeof(struct fw_rsc_carveout))
			return AMP_DIAG2(d, -AMP_EINVAL, (int32_t)i,
					 "resource %llu (carveout or devmem) is truncated: %llu bytes "
					 "left, needs 52",
					 i, avail);
		if (rd32(body + 16))
			return AMP_DIAG2(d, -AMP_EINVAL, (int32_t)i,
					 "resource %llu: reserved field is 0x%llx, must be 0", i,
					 rd32(body + 16));
		*len = sizeof(struct fw_rsc_carveout);
		return 0;
	case RSC_TRACE:
		if (avail < sizeof(struct fw_rsc_trace))
			return AMP_DIAG2(d, -AMP_EINVAL, (int32_t)i,
					 "resource %llu (trace) is truncated: %llu bytes left, needs 44",
					 i, avail);
		if (rd32(body + 8))
			return AMP_DIAG2(d, -AMP_EINVAL, (int32_t)i,
					 "resource %llu: reserved field is 0x%llx, must be 0", i,
					 rd32(body + 8));
		*len = sizeof(struct fw_rsc_trace);
		return 0;
	case RSC_VDEV:
		if (avail < sizeof(v))
			return AMP_DIAG2(d, -AMP_EINVAL, (int32_t)i,
					 "resource %llu (vdev) is truncated: %llu bytes left, needs 24",
					 i, avail);
		amp_memcpy(&v, body, sizeof(v));
		if (v.reserved[0] || v.reserved[1])
			return AMP_DIAG1(d, -AMP_EINVAL, (int32_t)i,
					 "resource %llu (vdev): reserved bytes must be 0", i);
		if (v.num_of_vrings > 2)
			return AMP_DIAG2(d, -AMP_EINVAL, (int32_t)i,
					 "resource %llu (vdev): %llu vrings, at most 2", i,
					 v.num_of_vrings);
		need = sizeof(v) + (uint64_t)v.num_of_vrings * sizeof(struct fw_rsc_vdev_vring) +
		       v.config_len;
		if (need > avail)
			return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
					 "resource %llu (vdev) with its vrings and config ends past the "
					 "table (needs %llu bytes, %llu left)",
					 i, need, avail);
		for (j = 0; j < v.num_of_vrings; j++) {
			const uint8_t *r = body + sizeof(v) + j * sizeof(struct fw_rsc_vdev_vring);
			uint32_t da = rd32(r), align = rd32(r + 4), num = rd32(r + 8);

			if (!amp_is_pow2(num) || num > VRING_MAX_NUM)
				return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
						 "resource %llu (vdev) vring %llu: %llu descriptors, "
						 "not a power of two up to 32768",
						 i, j, num);
			if (!amp_is_pow2(align) || align < 4)
				return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
						 "resource %llu (vdev) vring %llu: alignment %llu, not a "
						 "power of two >= 4",
						 i, j, align);
			/* Other implementations place the used ring at an address aligned to
			 * @align (virtio's vring_init()), not at an offset from the ring: a ring
			 * that is not itself aligned would be laid out differently by each side. */
			if (da != FW_RSC_ADDR_ANY && (da & (align - 1)))
				return AMP_DIAG4(d, -AMP_EINVAL, (int32_t)i,
						 "resource %llu (vdev) vring %llu: device address 0x%llx "
						 "is not aligned to its alignment %llu",
						 i, j, da, align);
		}
		*len = (size_t)need;
		return 0;
	}
	return 0;
}

/*
 * Check the header and each entry of the table at @table within @size bytes, and set *@end to
 * the furthest byte any of them covers. Each field is read once, so that the walk is safe on a
 * table another processor is rewriting; only the overlap check (@overlaps) reads offsets again,
 * and it is for private copies, whose bytes hold still.
 */
static int rsc_table_walk(const uint8_t *t, size_t size, bool overlaps, size_t *end,
			  struct amp_diag *d)
{
	struct resource_table hdr;
	uint64_t hdr_len;
	unsigned int i, j;

	if (!t || size < sizeof(hdr))
		return AMP_DIAG1(d, -AMP_EINVAL, -1, "table too small (%llu bytes, needs 16)", size);
	amp_memcpy(&hdr, t, sizeof(hdr));
	if (hdr.ver != RSC_TABLE_VERSION)
		return AMP_DIAG1(d, -AMP_EINVAL, -1, "unsupported table version %llu (only 1)",
				 hdr.ver);
	if (hdr.reserved[0] || hdr.reserved[1])
		return AMP_DIAG2(d, -AMP_EINVAL, -1, "reserved words 0x%llx 0x%llx, must be 0",
				 hdr.reserved[0], hdr.reserved[1]);
	if (hdr.num > RSC_TABLE_MAX_ENTRIES)
		return AMP_DIAG2(d, -AMP_EINVAL, -1, "%llu entries, at most %llu", hdr.num,
				 RSC_TABLE_MAX_ENTRIES);
	hdr_len = sizeof(hdr) + 4ull * hdr.num;
	if (hdr_len > size)
		return AMP_DIAG3(d, -AMP_EINVAL, -1,
				 "offset array of %llu entries (%llu bytes) ends past the table (%llu)",
				 hdr.num, hdr_len, size);
	*end = (size_t)hdr_len;

	for (i = 0; i < hdr.num; i++) {
		uint32_t off = rd32(t + sizeof(hdr) + 4 * i);
		size_t len;
		int ret;

		if (off < hdr_len)
			return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
					 "resource %llu at offset %llu lies in the table header (%llu "
					 "bytes)",
					 i, off, hdr_len);
		if (!amp_range_ok(off, sizeof(struct fw_rsc_hdr), size))
			return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
					 "resource %llu at offset %llu is past the table (%llu bytes)",
					 i, off, size);
		ret = rsc_body_len(t + off + 4, rd32(t + off), size - off - 4, i, &len, d);
		if (ret)
			return ret;
		if (off + 4 + len > *end)
			*end = off + 4 + len;
		if (!overlaps)
			continue;
		/* Extents: the type word plus the body we know; pairwise, since num is bounded. */
		for (j = 0; j < i; j++) {
			uint32_t o2 = rd32(t + sizeof(hdr) + 4 * j);
			size_t len2;

			rsc_body_len(t + o2 + 4, rd32(t + o2), size - o2 - 4, j, &len2, NULL);
			if (amp_ranges_overlap(off, 4 + len, o2, 4 + len2))
				return AMP_DIAG4(d, -AMP_EINVAL, (int32_t)i,
						 "resource %llu (offset %llu) overlaps resource %llu "
						 "(offset %llu)",
						 i, off, j, o2);
		}
	}
	return 0;
}

int rsc_table_check(const void *table, size_t size, struct amp_diag *d)
{
	size_t end;

	return rsc_table_walk(table, size, true, &end, d);
}

int rsc_table_measure(const void *table, size_t max, size_t *size, struct amp_diag *d)
{
	size_t end = 0;
	int ret = rsc_table_walk(table, max, false, &end, d);

	if (!ret)
		*size = end;
	return ret;
}

int rsc_table_entry(const void *table, size_t size, unsigned int index, struct rsc_entry *e)
{
	const uint8_t *t = table;
	uint32_t num = rd32(t + 4), off;

	if (index >= num)
		return -AMP_ENOENT;
	off = rd32(t + sizeof(struct resource_table) + 4 * index);
	e->index = index;
	e->type = rd32(t + off);
	e->offset = off;
	e->body = t + off + 4;
	e->avail = size - off - 4;
	rsc_body_len(t + off + 4, e->type, e->avail, index, &e->len, NULL);
	return 0;
}
