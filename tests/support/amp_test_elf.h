/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Builds ELF32/ELF64 little-endian images in memory with chosen segments and sections, so that
 * tests can hand-craft each malformed case precisely (the layout is returned for poking).
 */
#ifndef AMP_TEST_ELF_H
#define AMP_TEST_ELF_H

#include <stddef.h>
#include <stdint.h>

#define AMP_TEST_ELF_MAX 8

struct amp_test_elf_seg {
	uint64_t da;
	uint64_t filesz, memsz;
	uint32_t flags;
	uint8_t fill; /* the segment's file bytes */
};

struct amp_test_elf_sec {
	const char *name;
	uint32_t type;     /* SHT_PROGBITS if 0 */
	uint64_t addr;     /* inside segment @seg: the data is placed there */
	int seg;           /* index of the segment holding it, or -1 for file-only data */
	const void *data;
	size_t len;
};

struct amp_test_elf {
	int elf_class;
	uint16_t machine;
	uint64_t entry;
	unsigned int nseg, nsec;
	struct amp_test_elf_seg seg[AMP_TEST_ELF_MAX];
	struct amp_test_elf_sec sec[AMP_TEST_ELF_MAX];
	/* Filled by amp_test_elf_build(): where things landed in the image. */
	size_t phoff, shoff, shstrtab_off, seg_off[AMP_TEST_ELF_MAX], sec_off[AMP_TEST_ELF_MAX];
	size_t phentsize, shentsize;
};

/* Build into a new heap buffer of exactly the image's size (ASan sees any read past it). */
uint8_t *amp_test_elf_build(struct amp_test_elf *e, size_t *size);

#endif /* AMP_TEST_ELF_H */
