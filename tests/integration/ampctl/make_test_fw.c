/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes the firmware images ampctl's tests decode: a Cortex-M-like ELF32 ARM image (code at 0,
 * data in SRAM) with the test resource table (carveout, trace, rpmsg vdev, vendor entry), and a
 * truncated copy of it. Usage: make_test_fw GOOD_PATH TRUNCATED_PATH
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>

#include "amp_test_elf.h"
#include "amp_test_fw.h"

int main(int argc, char **argv)
{
	struct amp_test_elf e = {.elf_class = ELFCLASS32, .machine = EM_ARM, .entry = 0x101};
	struct amp_test_rsc rsc;
	uint8_t *img;
	size_t size;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: %s GOOD_PATH TRUNCATED_PATH\n", argv[0]);
		return 2;
	}
	amp_test_rsc_default(&rsc, 0x20010000u, 0x1000);
	e.nseg = 2;
	e.seg[0] = (struct amp_test_elf_seg){.da = 0x0, .filesz = 0x400, .memsz = 0x400,
					     .flags = PF_R | PF_X, .fill = 0xbf};
	e.seg[1] = (struct amp_test_elf_seg){.da = 0x20000000u, .filesz = 0x800, .memsz = 0x4000,
					     .flags = PF_R | PF_W, .fill = 0};
	e.nsec = 1;
	e.sec[0] = (struct amp_test_elf_sec){.name = ".resource_table", .addr = 0x20000100u,
					     .seg = 1, .data = rsc.bytes, .len = rsc.size};
	img = amp_test_elf_build(&e, &size);
	if (!img || !(f = fopen(argv[1], "wb")) || fwrite(img, 1, size, f) != size || fclose(f))
		return 1;
	/* Cut inside the section header table: the loader's checks must refuse it. */
	if (!(f = fopen(argv[2], "wb")) || fwrite(img, 1, size - 8, f) != size - 8 || fclose(f))
		return 1;
	free(img);
	return 0;
}
