/* SPDX-License-Identifier: BSD-3-Clause */
/* In-memory ELF images for tests. Test layer. */
#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "amp_test.h"
#include "amp_test_elf.h"

static size_t align16(size_t v)
{
	return (v + 15) & ~(size_t)15;
}

uint8_t *amp_test_elf_build(struct amp_test_elf *e, size_t *size)
{
	bool is64 = e->elf_class == ELFCLASS64;
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t off, strtab_len = 1, total, name_at[AMP_TEST_ELF_MAX];
	unsigned int i, shnum = e->nsec + 2; /* null, the sections, .shstrtab */
	uint8_t *img;

	e->phentsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	e->shentsize = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	e->phoff = ehsize;
	off = align16(ehsize + e->phentsize * e->nseg);
	for (i = 0; i < e->nseg; i++) {
		e->seg_off[i] = off;
		off = align16(off + e->seg[i].filesz);
	}
	for (i = 0; i < e->nsec; i++) {
		name_at[i] = strtab_len;
		strtab_len += strlen(e->sec[i].name) + 1;
		if (e->sec[i].seg >= 0) {
			e->sec_off[i] = e->seg_off[e->sec[i].seg] + (e->sec[i].addr - e->seg[e->sec[i].seg].da);
		} else {
			e->sec_off[i] = off;
			off = align16(off + e->sec[i].len);
		}
	}
	strtab_len += sizeof(".shstrtab"); /* its own name comes last */
	e->shstrtab_off = off;
	off = align16(off + strtab_len);
	e->shoff = off;
	total = off + e->shentsize * shnum;

	img = calloc(1, total);
	assert_non_null(img);
	memcpy(img, ELFMAG, SELFMAG);
	img[EI_CLASS] = (uint8_t)e->elf_class;
	img[EI_DATA] = ELFDATA2LSB;
	img[EI_VERSION] = EV_CURRENT;
	for (i = 0; i < e->nseg; i++)
		memset(img + e->seg_off[i], e->seg[i].fill, e->seg[i].filesz);
	for (i = 0; i < e->nsec; i++)
		if (e->sec[i].data)
			memcpy(img + e->sec_off[i], e->sec[i].data, e->sec[i].len);
	for (i = 0; i < e->nsec; i++)
		strcpy((char *)img + e->shstrtab_off + name_at[i], e->sec[i].name);
	strcpy((char *)img + e->shstrtab_off + strtab_len - sizeof(".shstrtab"), ".shstrtab");
	if (is64) {
		Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
		Elf64_Phdr *ph = (Elf64_Phdr *)(img + e->phoff);
		Elf64_Shdr *sh = (Elf64_Shdr *)(img + e->shoff);

		eh->e_type = ET_EXEC;
		eh->e_machine = e->machine;
		eh->e_version = EV_CURRENT;
		eh->e_entry = e->entry;
		eh->e_phoff = e->phoff;
		eh->e_shoff = e->shoff;
		eh->e_ehsize = (uint16_t)ehsize;
		eh->e_phentsize = (uint16_t)e->phentsize;
		eh->e_phnum = (uint16_t)e->nseg;
		eh->e_shentsize = (uint16_t)e->shentsize;
		eh->e_shnum = (uint16_t)shnum;
		eh->e_shstrndx = (uint16_t)(shnum - 1);
		for (i = 0; i < e->nseg; i++) {
			ph[i].p_type = PT_LOAD;
			ph[i].p_flags = e->seg[i].flags;
			ph[i].p_offset = e->seg_off[i];
			ph[i].p_vaddr = ph[i].p_paddr = e->seg[i].da;
			ph[i].p_filesz = e->seg[i].filesz;
			ph[i].p_memsz = e->seg[i].memsz;
		}
		for (i = 0; i < e->nsec; i++) {
			sh[i + 1].sh_name = (uint32_t)name_at[i];
			sh[i + 1].sh_type = e->sec[i].type ? e->sec[i].type : SHT_PROGBITS;
			sh[i + 1].sh_addr = e->sec[i].addr;
			sh[i + 1].sh_offset = e->sec_off[i];
			sh[i + 1].sh_size = e->sec[i].len;
		}
		sh[shnum - 1].sh_name = (uint32_t)(strtab_len - sizeof(".shstrtab"));
		sh[shnum - 1].sh_type = SHT_STRTAB;
		sh[shnum - 1].sh_offset = e->shstrtab_off;
		sh[shnum - 1].sh_size = strtab_len;
	} else {
		Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
		Elf32_Phdr *ph = (Elf32_Phdr *)(img + e->phoff);
		Elf32_Shdr *sh = (Elf32_Shdr *)(img + e->shoff);

		eh->e_type = ET_EXEC;
		eh->e_machine = e->machine;
		eh->e_version = EV_CURRENT;
		eh->e_entry = (uint32_t)e->entry;
		eh->e_phoff = (uint32_t)e->phoff;
		eh->e_shoff = (uint32_t)e->shoff;
		eh->e_ehsize = (uint16_t)ehsize;
		eh->e_phentsize = (uint16_t)e->phentsize;
		eh->e_phnum = (uint16_t)e->nseg;
		eh->e_shentsize = (uint16_t)e->shentsize;
		eh->e_shnum = (uint16_t)shnum;
		eh->e_shstrndx = (uint16_t)(shnum - 1);
		for (i = 0; i < e->nseg; i++) {
			ph[i].p_type = PT_LOAD;
			ph[i].p_flags = e->seg[i].flags;
			ph[i].p_offset = (uint32_t)e->seg_off[i];
			ph[i].p_vaddr = ph[i].p_paddr = (uint32_t)e->seg[i].da;
			ph[i].p_filesz = (uint32_t)e->seg[i].filesz;
			ph[i].p_memsz = (uint32_t)e->seg[i].memsz;
		}
		for (i = 0; i < e->nsec; i++) {
			sh[i + 1].sh_name = (uint32_t)name_at[i];
			sh[i + 1].sh_type = e->sec[i].type ? e->sec[i].type : SHT_PROGBITS;
			sh[i + 1].sh_addr = (uint32_t)e->sec[i].addr;
			sh[i + 1].sh_offset = (uint32_t)e->sec_off[i];
			sh[i + 1].sh_size = (uint32_t)e->sec[i].len;
		}
		sh[shnum - 1].sh_name = (uint32_t)(strtab_len - sizeof(".shstrtab"));
		sh[shnum - 1].sh_type = SHT_STRTAB;
		sh[shnum - 1].sh_offset = (uint32_t)e->shstrtab_off;
		sh[shnum - 1].sh_size = (uint32_t)strtab_len;
	}
	*size = total;
	return img;
}
