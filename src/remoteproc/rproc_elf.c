/* SPDX-License-Identifier: BSD-3-Clause */
/* Firmware ELF parser and segment loader. Portable: no OS, no allocation, no printf. */
#include <amp/errno.h>
#include <amp/rproc_elf.h>

#include "util/amp_util.h"

/* ELF constants we need (the ELF ABI's values; no <elf.h> in the portable core). */
#define EI_NIDENT 16
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define ET_DYN 3
#define PT_LOAD 1
#define PF_X 1
#define SHT_NOBITS 8
#define SHN_LORESERVE 0xff00u

#define EHDR32_SIZE 52u
#define EHDR64_SIZE 64u
#define PHDR32_SIZE 32u
#define PHDR64_SIZE 56u
#define SHDR32_SIZE 40u
#define SHDR64_SIZE 64u

/* Unaligned little-endian reads from the image (the host and firmware are little-endian). */
static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	amp_memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	amp_memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	amp_memcpy(&v, p, sizeof(v));
	return v;
}

struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, paddr, filesz, memsz;
};

struct elf_shdr {
	uint32_t name, type;
	uint64_t addr, offset, size;
};

static void elf_read_phdr(const uint8_t *img, const struct rproc_elf_info *info, unsigned int i,
			  struct elf_phdr *ph)
{
	const uint8_t *p;

	if (info->elf_class == RPROC_ELFCLASS64) {
		p = img + info->phoff + (uint64_t)i * PHDR64_SIZE;
		ph->type = rd32(p);
		ph->flags = rd32(p + 4);
		ph->offset = rd64(p + 8);
		ph->paddr = rd64(p + 24);
		ph->filesz = rd64(p + 32);
		ph->memsz = rd64(p + 40);
	} else {
		p = img + info->phoff + (uint64_t)i * PHDR32_SIZE;
		ph->type = rd32(p);
		ph->offset = rd32(p + 4);
		ph->paddr = rd32(p + 12);
		ph->filesz = rd32(p + 16);
		ph->memsz = rd32(p + 20);
		ph->flags = rd32(p + 24);
	}
}

static void elf_read_shdr(const uint8_t *img, const struct rproc_elf_info *info, unsigned int i,
			  struct elf_shdr *sh)
{
	const uint8_t *p;

	if (info->elf_class == RPROC_ELFCLASS64) {
		p = img + info->shoff + (uint64_t)i * SHDR64_SIZE;
		sh->name = rd32(p);
		sh->type = rd32(p + 4);
		sh->addr = rd64(p + 16);
		sh->offset = rd64(p + 24);
		sh->size = rd64(p + 32);
	} else {
		p = img + info->shoff + (uint64_t)i * SHDR32_SIZE;
		sh->name = rd32(p);
		sh->type = rd32(p + 4);
		sh->addr = rd32(p + 12);
		sh->offset = rd32(p + 16);
		sh->size = rd32(p + 20);
	}
}

/* Whether a table of @num entries of @entsize bytes at @off lies inside @size bytes. */
static bool elf_table_fits(uint64_t off, uint64_t num, uint64_t entsize, uint64_t size)
{
	uint64_t len;

	return !amp_mul_overflow_u64(num, entsize, &len) && amp_range_ok(off, len, size);
}

static int elf_check_header(const uint8_t *img, size_t size, const uint16_t *machines,
			    unsigned int num_machines, struct rproc_elf_info *info,
			    struct amp_diag *d)
{
	static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
	uint16_t phentsize, shentsize;
	bool is64;
	unsigned int i;

	if (size < EHDR32_SIZE)
		return AMP_DIAG1(d, -AMP_ENOEXEC, -1, "image too small for an ELF header (%llu bytes)",
				 size);
	if (amp_memcmp(img, magic, sizeof(magic)))
		return AMP_DIAG0(d, -AMP_ENOEXEC, -1, "not an ELF file (bad magic)");
	if (img[EI_CLASS] != RPROC_ELFCLASS32 && img[EI_CLASS] != RPROC_ELFCLASS64)
		return AMP_DIAG1(d, -AMP_ENOEXEC, -1, "unsupported ELF class %llu", img[EI_CLASS]);
	is64 = img[EI_CLASS] == RPROC_ELFCLASS64;
	if (is64 && size < EHDR64_SIZE)
		return AMP_DIAG1(d, -AMP_ENOEXEC, -1,
				 "image too small for an ELF64 header (%llu bytes)", size);
	if (img[EI_DATA] != ELFDATA2LSB)
		return AMP_DIAG1(d, -AMP_ENOEXEC, -1,
				 "ELF data encoding %llu is not little-endian, the host's byte order",
				 img[EI_DATA]);
	if (img[EI_VERSION] != EV_CURRENT)
		return AMP_DIAG1(d, -AMP_ENOEXEC, -1, "unsupported ELF version %llu",
				 img[EI_VERSION]);

	amp_memset(info, 0, sizeof(*info));
	info->elf_class = img[EI_CLASS];
	info->type = rd16(img + 16);
	info->machine = rd16(img + 18);
	if (is64) {
		info->entry = rd64(img + 24);
		info->phoff = rd64(img + 32);
		info->shoff = rd64(img + 40);
		phentsize = rd16(img + 54);
		info->phnum = rd16(img + 56);
		shentsize = rd16(img + 58);
		info->shnum = rd16(img + 60);
		info->shstrndx = rd16(img + 62);
	} else {
		info->entry = rd32(img + 24);
		info->phoff = rd32(img + 28);
		info->shoff = rd32(img + 32);
		phentsize = rd16(img + 42);
		info->phnum = rd16(img + 44);
		shentsize = rd16(img + 46);
		info->shnum = rd16(img + 48);
		info->shstrndx = rd16(img + 50);
	}

	if (info->type != ET_EXEC && info->type != ET_DYN)
		return AMP_DIAG1(d, -AMP_ENOEXEC, -1,
				 "ELF type %llu is not an executable (2) or shared object (3)",
				 info->type);
	if (num_machines && machines) {
		for (i = 0; i < num_machines && machines[i] != info->machine; i++)
			;
		if (i == num_machines)
			return AMP_DIAG2(d, -AMP_ENOEXEC, -1,
					 "built for machine %llu; this processor runs machine %llu",
					 info->machine, machines[0]);
	}
	if (info->phnum == 0)
		return AMP_DIAG0(d, -AMP_EINVAL, -1, "no program headers");
	if (phentsize != (is64 ? PHDR64_SIZE : PHDR32_SIZE))
		return AMP_DIAG2(d, -AMP_EINVAL, -1, "program header size %llu, expected %llu",
				 phentsize, is64 ? PHDR64_SIZE : PHDR32_SIZE);
	if (!elf_table_fits(info->phoff, info->phnum, phentsize, size))
		return AMP_DIAG3(d, -AMP_EINVAL, -1,
				 "program headers (offset 0x%llx, %llu entries) end past the file "
				 "(0x%llx bytes)",
				 info->phoff, info->phnum, size);
	if (info->shnum) {
		if (shentsize != (is64 ? SHDR64_SIZE : SHDR32_SIZE))
			return AMP_DIAG2(d, -AMP_EINVAL, -1,
					 "section header size %llu, expected %llu", shentsize,
					 is64 ? SHDR64_SIZE : SHDR32_SIZE);
		if (!elf_table_fits(info->shoff, info->shnum, shentsize, size))
			return AMP_DIAG3(d, -AMP_EINVAL, -1,
					 "section headers (offset 0x%llx, %llu entries) end past the "
					 "file (0x%llx bytes)",
					 info->shoff, info->shnum, size);
		if (info->shstrndx >= info->shnum || info->shstrndx >= SHN_LORESERVE)
			return AMP_DIAG2(d, -AMP_EINVAL, -1,
					 "section name table index %llu out of range (%llu sections)",
					 info->shstrndx, info->shnum);
	}
	return 0;
}

static int elf_check_segments(const uint8_t *img, size_t size, struct rproc_elf_info *info,
			      struct amp_diag *d)
{
	struct elf_phdr ph, other;
	unsigned int i, j;

	for (i = 0; i < info->phnum; i++) {
		elf_read_phdr(img, info, i, &ph);
		if (ph.type != PT_LOAD)
			continue;
		if (ph.filesz > ph.memsz)
			return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
					 "segment %llu: file size 0x%llx exceeds memory size 0x%llx", i,
					 ph.filesz, ph.memsz);
		if (!amp_range_ok(ph.offset, ph.filesz, size))
			return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
					 "segment %llu ends past the file (offset 0x%llx, size 0x%llx)",
					 i, ph.offset, ph.filesz);
		if (ph.memsz > SIZE_MAX || ph.paddr > UINT64_MAX - ph.memsz)
			return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
					 "segment %llu: device address 0x%llx + size 0x%llx wraps", i,
					 ph.paddr, ph.memsz);
		if (++info->num_load > RPROC_ELF_MAX_LOAD)
			return AMP_DIAG1(d, -AMP_E2BIG, (int32_t)i,
					 "more than %llu loadable segments", RPROC_ELF_MAX_LOAD);
		for (j = 0; j < i; j++) {
			elf_read_phdr(img, info, j, &other);
			if (other.type == PT_LOAD &&
			    amp_ranges_overlap(ph.paddr, ph.memsz, other.paddr, other.memsz))
				return AMP_DIAG4(d, -AMP_EINVAL, (int32_t)i,
						 "segment %llu (da 0x%llx) overlaps segment %llu "
						 "(da 0x%llx)",
						 i, ph.paddr, j, other.paddr);
		}
	}
	return 0;
}

/*
 * The boot address must be code the loader puts in memory: inside the file bytes of an executable
 * PT_LOAD segment. Addresses are device addresses (p_paddr), the ones the segments load at and the
 * core starts from. Segments do not overlap (checked before), so at most one can hold it.
 */
static int elf_check_entry(const uint8_t *img, const struct rproc_elf_info *info,
			   struct amp_diag *d)
{
	struct elf_phdr ph;
	unsigned int i;

	for (i = 0; i < info->phnum; i++) {
		elf_read_phdr(img, info, i, &ph);
		if (ph.type != PT_LOAD || info->entry < ph.paddr || info->entry - ph.paddr >= ph.memsz)
			continue;
		if (!(ph.flags & PF_X))
			return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
					 "entry point 0x%llx lies in segment %llu, which is not "
					 "executable (flags 0x%llx)",
					 info->entry, i, ph.flags);
		if (info->entry - ph.paddr >= ph.filesz)
			return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
					 "entry point 0x%llx lies past the 0x%llx file bytes of segment "
					 "%llu, in memory the loader zeroes",
					 info->entry, ph.filesz, i);
		return 0;
	}
	return AMP_DIAG1(d, -AMP_EINVAL, -1, "entry point 0x%llx lies in no loadable segment",
			 info->entry);
}

static int elf_check_sections(const uint8_t *img, size_t size, const struct rproc_elf_info *info,
			      struct amp_diag *d)
{
	struct elf_shdr strtab, sh;
	unsigned int i;

	if (!info->shnum)
		return 0;
	elf_read_shdr(img, info, info->shstrndx, &strtab);
	if (strtab.type == SHT_NOBITS || !amp_range_ok(strtab.offset, strtab.size, size))
		return AMP_DIAG3(d, -AMP_EINVAL, info->shstrndx,
				 "section name table (offset 0x%llx, size 0x%llx) lies outside the "
				 "file (0x%llx bytes)",
				 strtab.offset, strtab.size, size);
	for (i = 0; i < info->shnum; i++) {
		elf_read_shdr(img, info, i, &sh);
		if (sh.name >= strtab.size ||
		    amp_strnlen((const char *)img + strtab.offset + sh.name,
				(size_t)(strtab.size - sh.name)) == strtab.size - sh.name)
			return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
					 "section %llu: name offset %llu is outside the name table "
					 "(%llu bytes) or not terminated there",
					 i, sh.name, strtab.size);
		if (sh.type != SHT_NOBITS && !amp_range_ok(sh.offset, sh.size, size))
			return AMP_DIAG3(d, -AMP_EINVAL, (int32_t)i,
					 "section %llu ends past the file (offset 0x%llx, size 0x%llx)",
					 i, sh.offset, sh.size);
	}
	return 0;
}

int rproc_elf_parse(const void *image, size_t size, const uint16_t *machines,
		    unsigned int num_machines, struct rproc_elf_info *info, struct amp_diag *diag)
{
	const uint8_t *img = image;
	int ret;

	if (!image || !info)
		return AMP_DIAG0(diag, -AMP_EINVAL, -1, "no image");
	ret = elf_check_header(img, size, machines, num_machines, info, diag);
	if (!ret)
		ret = elf_check_segments(img, size, info, diag);
	if (!ret)
		ret = elf_check_entry(img, info, diag);
	if (!ret)
		ret = elf_check_sections(img, size, info, diag);
	return ret;
}

int rproc_elf_get_load(const void *image, size_t size, const struct rproc_elf_info *info,
		       unsigned int index, struct rproc_elf_segment *seg, struct amp_diag *diag)
{
	struct elf_phdr ph;
	unsigned int i, n = 0;

	(void)size;
	for (i = 0; i < info->phnum; i++) {
		elf_read_phdr(image, info, i, &ph);
		if (ph.type != PT_LOAD || n++ != index)
			continue;
		seg->da = ph.paddr;
		seg->offset = ph.offset;
		seg->filesz = ph.filesz;
		seg->memsz = ph.memsz;
		seg->flags = ph.flags;
		seg->index = i;
		return 0;
	}
	return AMP_DIAG2(diag, -AMP_ENOENT, (int32_t)index, "no loadable segment %llu (of %llu)",
			 index, info->num_load);
}

/* Find the section named @name with contents in the file: its index, or -ENOENT (none) or
 * -EINVAL (NOBITS). The parse checked every name and every section's place in the file. */
static int elf_find_section(const uint8_t *img, const struct rproc_elf_info *info,
			    const char *name, struct elf_shdr *sh, struct amp_diag *d)
{
	struct elf_shdr strtab;
	size_t name_len = amp_strnlen(name, 256);
	unsigned int i;

	if (!info->shnum)
		return AMP_DIAG0(d, -AMP_ENOENT, -1, "no section headers");
	elf_read_shdr(img, info, info->shstrndx, &strtab);
	for (i = 0; i < info->shnum; i++) {
		elf_read_shdr(img, info, i, sh);
		/* Checked by the parse: the name is terminated inside the table. */
		if (strtab.size - sh->name <= name_len ||
		    amp_memcmp(img + strtab.offset + sh->name, name, name_len + 1))
			continue;
		if (sh->type == SHT_NOBITS)
			return AMP_DIAG1(d, -AMP_EINVAL, (int32_t)i,
					 "section %llu has no contents in the file (NOBITS)", i);
		return (int)i;
	}
	return AMP_DIAG0(d, -AMP_ENOENT, -1, "no such section");
}

int rproc_elf_find_section(const void *image, size_t size, const struct rproc_elf_info *info,
			   const char *name, uint64_t *offset, uint64_t *len, uint64_t *addr,
			   struct amp_diag *diag)
{
	struct elf_shdr sh;
	int ret;

	(void)size;
	ret = elf_find_section(image, info, name, &sh, diag);
	if (ret < 0)
		return ret;
	*offset = sh.offset;
	*len = sh.size;
	*addr = sh.addr;
	return 0;
}

int rproc_elf_find_loaded_section(const void *image, size_t size,
				  const struct rproc_elf_info *info, const char *name,
				  uint64_t *offset, uint64_t *len, uint64_t *addr,
				  struct amp_diag *diag)
{
	struct elf_shdr sh;
	struct elf_phdr ph;
	unsigned int i;
	int sec;

	(void)size;
	sec = elf_find_section(image, info, name, &sh, diag);
	if (sec < 0)
		return sec;
	for (i = 0; i < info->phnum; i++) {
		elf_read_phdr(image, info, i, &ph);
		if (ph.type != PT_LOAD || sh.addr < ph.paddr || sh.addr - ph.paddr >= ph.memsz)
			continue;
		if (sh.size > ph.filesz || sh.addr - ph.paddr > ph.filesz - sh.size)
			return AMP_DIAG4(diag, -AMP_EINVAL, sec,
					 "section %llu (da 0x%llx, 0x%llx bytes) runs past the file "
					 "bytes of segment %llu",
					 sec, sh.addr, sh.size, i);
		/* The bytes the segment loads there must be the section's: then writing the
		 * section's contents back at its address changes nothing else of the image. */
		if (sh.offset < ph.offset || sh.offset - ph.offset != sh.addr - ph.paddr)
			return AMP_DIAG4(diag, -AMP_EINVAL, sec,
					 "section %llu: its file offset 0x%llx is not where segment "
					 "%llu keeps da 0x%llx",
					 sec, sh.offset, i, sh.addr);
		*offset = sh.offset;
		*len = sh.size;
		*addr = sh.addr;
		return 0;
	}
	return AMP_DIAG3(diag, -AMP_EINVAL, sec,
			 "section %llu (da 0x%llx, 0x%llx bytes) lies in no loadable segment", sec,
			 sh.addr, sh.size);
}

int rproc_elf_load_segments(const void *image, size_t size, const struct rproc_elf_info *info,
			    rproc_elf_da_to_va_t da_to_va, void *ctx, struct amp_diag *diag)
{
	const uint8_t *img = image;
	struct elf_phdr ph;
	unsigned int i;
	uint8_t *va;

	(void)size;
	for (i = 0; i < info->phnum; i++) {
		elf_read_phdr(img, info, i, &ph);
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		va = da_to_va(ctx, ph.paddr, (size_t)ph.memsz);
		if (!va)
			return AMP_DIAG3(diag, -AMP_EINVAL, (int32_t)i,
					 "segment %llu: device addresses 0x%llx (+0x%llx) are not "
					 "memory of this processor",
					 i, ph.paddr, ph.memsz);
		amp_memcpy(va, img + ph.offset, (size_t)ph.filesz);
		amp_memset(va + ph.filesz, 0, (size_t)(ph.memsz - ph.filesz));
	}
	return 0;
}
