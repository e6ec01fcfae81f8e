/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firmware ELF loader's parser: checks an ELF32 or ELF64 little-endian image completely once
 * (every check Linux's remoteproc does, and those it skips), then lets the caller walk its
 * loadable segments, find a section by name, and copy the segments into device memory.
 * Portable core: no OS, no allocation; errors come with a struct amp_diag naming the element and
 * the numbers.
 *
 * The image is the caller's and is only read. After rproc_elf_parse() succeeded on an image, the
 * other functions trust what it checked: call them on the same, unmodified bytes.
 */
#ifndef AMP_RPROC_ELF_H
#define AMP_RPROC_ELF_H

#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>
#include <amp/diag.h>

#define RPROC_ELFCLASS32 1
#define RPROC_ELFCLASS64 2

/* More PT_LOAD segments than this is not a firmware (and would make overlap checks costly). */
#define RPROC_ELF_MAX_LOAD 128

/* e_machine values named in messages and used by platforms (the ELF ABI's numbers). */
#define RPROC_EM_386 3
#define RPROC_EM_ARM 40
#define RPROC_EM_X86_64 62
#define RPROC_EM_AARCH64 183
#define RPROC_EM_RISCV 243

/**
 * struct rproc_elf_info - what rproc_elf_parse() found
 * @elf_class: RPROC_ELFCLASS32 or RPROC_ELFCLASS64
 * @type:      e_type (2 executable, 3 shared object)
 * @machine:   e_machine
 * @entry:     e_entry, the boot address
 * @phoff, @phnum, @shoff, @shnum, @shstrndx: the header tables (checked to lie in the file)
 * @num_load:  PT_LOAD segments
 */
struct rproc_elf_info {
	int elf_class;
	uint16_t type;
	uint16_t machine;
	uint64_t entry;
	uint64_t phoff;
	uint64_t shoff;
	uint16_t phnum;
	uint16_t shnum;
	uint16_t shstrndx;
	unsigned int num_load;
};

/**
 * struct rproc_elf_segment - one PT_LOAD segment
 * @da:     device address (p_paddr, as Linux's remoteproc uses it)
 * @offset: where its bytes start in the file
 * @filesz: bytes copied from the file
 * @memsz:  bytes it occupies in memory (the rest after @filesz is zeroed)
 * @flags:  p_flags (PF_X 1, PF_W 2, PF_R 4)
 * @index:  its index in the program header table
 */
struct rproc_elf_segment {
	uint64_t da;
	uint64_t offset;
	uint64_t filesz;
	uint64_t memsz;
	uint32_t flags;
	unsigned int index;
};

/**
 * rproc_elf_parse() - check a firmware image and describe it
 * @image:        the file's bytes
 * @size:         their number
 * @machines:     e_machine values this processor runs; NULL or @num_machines 0 accepts any
 * @num_machines: entries in @machines
 * @info:         filled on success
 * @diag:         filled on failure (may be NULL)
 *
 * Checks: size, magic, class, little-endian data, version; e_type executable or shared object;
 * machine; e_phentsize/e_shentsize the class's; at least one program header; program and section
 * header tables inside the file (no overflow); e_shstrndx inside the section table and its string
 * table inside the file; every section name inside the string table and NUL-terminated there;
 * every non-NOBITS section inside the file; every PT_LOAD with p_filesz <= p_memsz,
 * p_offset + p_filesz inside the file, p_paddr + p_memsz not wrapping, p_memsz fitting a size_t,
 * and no two PT_LOAD segments overlapping in device-address space; e_entry inside the file bytes
 * [p_paddr, p_paddr + p_filesz) of a PT_LOAD segment with PF_X (Linux does not check the entry
 * point; a core started elsewhere only faults, and keeps faulting through every recovery).
 *
 * Context: any; portable core. Reads only [@image, @image + @size).
 * Return: 0; -ENOEXEC for a file that is not an ELF image this loader accepts (magic, class,
 * byte order, version, type, machine); -EINVAL for a malformed one (a table or segment outside
 * the file, inconsistent sizes, overlaps, an entry point outside executable code); -E2BIG for
 * more than RPROC_ELF_MAX_LOAD segments.
 */
AMP_API int rproc_elf_parse(const void *image, size_t size, const uint16_t *machines,
			    unsigned int num_machines, struct rproc_elf_info *info,
			    struct amp_diag *diag);

/**
 * rproc_elf_get_load() - the @index-th PT_LOAD segment (0 <= @index < info->num_load)
 * Context: any; portable core. Return: 0; -ENOENT when @index is out of range.
 */
AMP_API int rproc_elf_get_load(const void *image, size_t size, const struct rproc_elf_info *info,
			       unsigned int index, struct rproc_elf_segment *seg,
			       struct amp_diag *diag);

/**
 * rproc_elf_find_section() - find the section named @name (e.g. ".resource_table")
 * @offset, @len: set to its place in the file (checked to lie inside it)
 * @addr:         set to its sh_addr (a device address for an allocated section)
 *
 * Context: any; portable core.
 * Return: 0; -ENOENT when there is no such section (a firmware without a resource table is
 * legal); -EINVAL when it is SHT_NOBITS (no bytes in the file).
 */
AMP_API int rproc_elf_find_section(const void *image, size_t size,
				   const struct rproc_elf_info *info, const char *name,
				   uint64_t *offset, uint64_t *len, uint64_t *addr,
				   struct amp_diag *diag);

/**
 * rproc_elf_find_loaded_section() - find the section named @name among the bytes the loader
 * puts in memory
 * @offset, @len: set to its place in the file
 * @addr:         set to its sh_addr, a device address
 *
 * As rproc_elf_find_section(), and the section must lie inside the file bytes of one PT_LOAD
 * segment, [p_paddr, p_paddr + p_filesz), at the file offset that segment loads at that address
 * (sh_offset - p_offset == sh_addr - p_paddr). Then the section's bytes in the file are the bytes
 * loaded at @addr, and writing a modified copy back there (as the host does with the resource
 * table) touches nothing else of the image: not a gap between segments, not the zero-filled
 * tail of a segment, not code that happens to sit at that address. Linux only translates
 * sh_addr; this is stricter because the host keeps writing into the table while the core runs.
 *
 * Context: any; portable core.
 * Return: 0; -ENOENT when there is no such section; -EINVAL when it is NOBITS or lies outside
 * a segment's file bytes (@diag names the section and the segment).
 */
AMP_API int rproc_elf_find_loaded_section(const void *image, size_t size,
					  const struct rproc_elf_info *info, const char *name,
					  uint64_t *offset, uint64_t *len, uint64_t *addr,
					  struct amp_diag *diag);

/* Map [da, da + len) of the processor's memory to a host pointer, or NULL if any byte of it is
 * not the processor's memory. */
typedef void *(*rproc_elf_da_to_va_t)(void *ctx, uint64_t da, size_t len);

/**
 * rproc_elf_load_segments() - copy each PT_LOAD segment to its device address
 * @da_to_va: translates a whole segment's range [p_paddr, p_paddr + p_memsz)
 * @ctx:      for @da_to_va
 *
 * Copies p_filesz bytes and zeroes the rest of p_memsz. Segments of p_memsz 0 are skipped.
 *
 * Context: any; portable core. Writes only through pointers @da_to_va returned.
 * Return: 0; -EINVAL when a segment's range is not the processor's memory (nothing of that
 * segment is written; earlier ones are).
 */
AMP_API int rproc_elf_load_segments(const void *image, size_t size,
				    const struct rproc_elf_info *info,
				    rproc_elf_da_to_va_t da_to_va, void *ctx, struct amp_diag *diag);

#endif /* AMP_RPROC_ELF_H */
