/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the firmware ELF loader and, when the image has one, its resource table — the
 * path a boot takes through a hostile file — with what the parser promises checked: the entry
 * point in loaded code, a loaded section in the file bytes a segment loads at its address.
 * Segments load into a 1 MiB "device memory" at da 0x100000 whose translation refuses any range
 * outside it. Test layer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <amp/rproc_elf.h>
#include <amp/rsc_table.h>

#define MEM_DA 0x100000u
#define MEM_LEN 0x100000u

static uint8_t mem[MEM_LEN];

static void *fuzz_da_to_va(void *ctx, uint64_t da, size_t len)
{
	(void)ctx;
	if (da < MEM_DA || da - MEM_DA > MEM_LEN || len > MEM_LEN - (da - MEM_DA))
		return NULL;
	return mem + (da - MEM_DA);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether [da, da + len) lies in the file bytes of a loaded segment (with @flags set, if any)
 * whose offset maps @da to @off (UINT64_MAX: any offset). */
static bool in_file_bytes(const uint8_t *data, size_t size, const struct rproc_elf_info *info,
			  uint64_t da, uint64_t len, uint64_t off, uint32_t flags)
{
	struct rproc_elf_segment seg;
	struct amp_diag d;
	unsigned int i;

	for (i = 0; i < info->num_load; i++) {
		if (rproc_elf_get_load(data, size, info, i, &seg, &d))
			abort();
		if (da >= seg.da && len <= seg.filesz && da - seg.da <= seg.filesz - len &&
		    (seg.flags & flags) == flags &&
		    (off == UINT64_MAX || off - seg.offset == da - seg.da))
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rproc_elf_info info;
	struct rproc_elf_segment seg;
	struct amp_diag d;
	uint64_t off, len, addr;
	unsigned int i;

	if (rproc_elf_parse(data, size, NULL, 0, &info, &d))
		return 0;
	for (i = 0; i < info.num_load; i++)
		if (rproc_elf_get_load(data, size, &info, i, &seg, &d))
			abort(); /* the parse counted it: it must be there */
	if (!in_file_bytes(data, size, &info, info.entry, 1, UINT64_MAX, 1 /* PF_X */))
		abort(); /* the parse promised the entry point is loaded code */
	rproc_elf_load_segments(data, size, &info, fuzz_da_to_va, NULL, &d);
	if (rproc_elf_find_loaded_section(data, size, &info, ".resource_table", &off, &len, &addr,
					  &d) == 0 &&
	    !in_file_bytes(data, size, &info, addr, len, off, 0))
		abort(); /* the table is the bytes a segment loads at its address */
	if (rproc_elf_find_section(data, size, &info, ".resource_table", &off, &len, &addr, &d) == 0) {
		uint8_t *copy;
		struct rsc_entry e;

		if (off > size || len > size - off)
			abort(); /* the parse promised it lies in the file */
		copy = malloc(len ? len : 1);
		memcpy(copy, data + off, len);
		if (rsc_table_check(copy, len, &d) == 0)
			for (i = 0; rsc_table_entry(copy, len, i, &e) == 0; i++)
				if (e.offset + 4 + e.len > len)
					abort();
		free(copy);
	}
	return 0;
}
