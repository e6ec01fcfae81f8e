/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests for rproc_elf.c: valid ELF32/ELF64 images load byte-exact; each malformed one is refused
 * with the exact error and a diagnostic naming the element. */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/rproc_elf.h>

#include "amp_test.h"
#include "amp_test_elf.h"

#define MEM_DA 0x10000u
#define MEM_LEN 0x10000u

static const uint8_t rsc_bytes[24] = {1, 0, 0, 0};

/* Two segments (code, data with bss) and a .resource_table inside the data segment. */
static void default_elf(struct amp_test_elf *e, int elf_class)
{
	memset(e, 0, sizeof(*e));
	e->elf_class = elf_class;
	e->machine = EM_X86_64;
	e->entry = MEM_DA;
	e->nseg = 2;
	e->seg[0] = (struct amp_test_elf_seg){MEM_DA, 0x200, 0x200, PF_R | PF_X, 0xC3};
	e->seg[1] = (struct amp_test_elf_seg){MEM_DA + 0x1000, 0x100, 0x800, PF_R | PF_W, 0x5A};
	e->nsec = 1;
	e->sec[0] = (struct amp_test_elf_sec){".resource_table", 0, MEM_DA + 0x1040, 1, rsc_bytes,
					      sizeof(rsc_bytes)};
}

struct mem {
	struct amp_test_arena a;
	int calls;
};

static void *mem_da_to_va(void *ctx, uint64_t da, size_t len)
{
	struct mem *m = ctx;

	m->calls++;
	if (da < MEM_DA || da - MEM_DA > MEM_LEN || len > MEM_LEN - (da - MEM_DA))
		return NULL;
	return m->a.mem + (da - MEM_DA);
}

static void load_and_check(int elf_class)
{
	struct amp_test_elf e;
	struct rproc_elf_info info;
	struct rproc_elf_segment seg;
	struct amp_diag d = {0};
	struct mem m = {0};
	uint64_t off, len, addr;
	size_t size, i;
	uint8_t *img;

	default_elf(&e, elf_class);
	img = amp_test_elf_build(&e, &size);
	amp_test_arena_init(&m.a, MEM_LEN);
	memset(m.a.mem, 0xEE, MEM_LEN);
	assert_int_equal(rproc_elf_parse(img, size, NULL, 0, &info, &d), 0);
	assert_int_equal(info.elf_class, elf_class);
	assert_int_equal(info.machine, EM_X86_64);
	assert_int_equal(info.entry, MEM_DA);
	assert_int_equal(info.num_load, 2);
	assert_int_equal(rproc_elf_get_load(img, size, &info, 1, &seg, &d), 0);
	assert_int_equal(seg.da, MEM_DA + 0x1000);
	assert_int_equal(seg.filesz, 0x100);
	assert_int_equal(seg.memsz, 0x800);
	assert_int_equal(seg.flags, PF_R | PF_W);
	assert_int_equal(rproc_elf_get_load(img, size, &info, 2, &seg, &d), -AMP_ENOENT);
	assert_int_equal(rproc_elf_find_section(img, size, &info, ".resource_table", &off, &len,
						&addr, &d),
			 0);
	assert_int_equal(off, e.sec_off[0]);
	assert_int_equal(len, sizeof(rsc_bytes));
	assert_int_equal(addr, MEM_DA + 0x1040);
	assert_int_equal(rproc_elf_find_section(img, size, &info, ".resource", &off, &len, &addr, &d),
			 -AMP_ENOENT);
	assert_int_equal(rproc_elf_load_segments(img, size, &info, mem_da_to_va, &m, &d), 0);
	for (i = 0; i < 0x200; i++)
		assert_int_equal(m.a.mem[i], 0xC3);
	assert_int_equal(m.a.mem[0x200], 0xEE); /* between segments: untouched */
	assert_int_equal(m.a.mem[0x1000], 0x5A);
	assert_int_equal(m.a.mem[0x1040], 1); /* the table, inside the data segment */
	for (i = 0x1100; i < 0x1800; i++)
		assert_int_equal(m.a.mem[i], 0); /* bss zeroed */
	assert_int_equal(m.a.mem[0x1800], 0xEE);
	assert_true(amp_test_arena_guards_ok(&m.a));
	amp_test_arena_free(&m.a);
	free(img);
}

static void test_elf64_loads_byte_exact(void **state)
{
	(void)state;
	load_and_check(ELFCLASS64);
}

static void test_elf32_loads_byte_exact(void **state)
{
	(void)state;
	load_and_check(ELFCLASS32);
}

/* Build the default ELF64, let @poke break it, and expect @err with a diag at @index. */
static void expect_refused(void (*poke)(struct amp_test_elf *e, uint8_t *img, size_t *size),
			   int err, int32_t index, const char *words)
{
	struct amp_test_elf e;
	struct rproc_elf_info info;
	struct amp_diag d = {0};
	size_t size;
	uint8_t *img;

	default_elf(&e, ELFCLASS64);
	img = amp_test_elf_build(&e, &size);
	poke(&e, img, &size);
	assert_int_equal(rproc_elf_parse(img, size, NULL, 0, &info, &d), err);
	assert_int_equal(d.err, err);
	assert_int_equal(d.index, index);
	assert_non_null(d.fmt);
	assert_non_null(strstr(d.fmt, words));
	free(img);
}

static Elf64_Ehdr *eh(uint8_t *img)
{
	return (Elf64_Ehdr *)img;
}

static Elf64_Phdr *ph(struct amp_test_elf *e, uint8_t *img, int i)
{
	return (Elf64_Phdr *)(img + e->phoff) + i;
}

static Elf64_Shdr *sh(struct amp_test_elf *e, uint8_t *img, int i)
{
	return (Elf64_Shdr *)(img + e->shoff) + i;
}

static void poke_truncate_header(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	(void)img;
	*size = 40;
}

static void poke_magic(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	(void)size;
	img[1] = 'X';
}

static void poke_big_endian(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	(void)size;
	img[EI_DATA] = ELFDATA2MSB;
}

static void poke_class(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	(void)size;
	img[EI_CLASS] = 3;
}

static void poke_relocatable(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	(void)size;
	eh(img)->e_type = ET_REL;
}

static void poke_no_phdrs(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	(void)size;
	eh(img)->e_phnum = 0;
}

static void poke_phentsize(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	(void)size;
	eh(img)->e_phentsize = 32;
}

static void poke_phdrs_past_file(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	eh(img)->e_phoff = *size - 10;
}

static void poke_phoff_overflow(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	(void)size;
	eh(img)->e_phoff = UINT64_MAX - 8;
}

static void poke_shdrs_past_file(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	(void)size;
	eh(img)->e_shnum = 200;
}

static void poke_shstrndx(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)e;
	(void)size;
	eh(img)->e_shstrndx = eh(img)->e_shnum;
}

static void poke_name_past_strtab(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)size;
	sh(e, img, 1)->sh_name = 5000;
}

static void poke_name_unterminated(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	Elf64_Shdr *strtab = sh(e, img, eh(img)->e_shstrndx);

	(void)size;
	/* The last name is ".shstrtab": cut the table just before its NUL. */
	strtab->sh_size -= 1;
}

static void poke_section_past_file(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)size;
	sh(e, img, 1)->sh_offset = *size - 4;
}

static void poke_filesz_over_memsz(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)size;
	ph(e, img, 1)->p_filesz = 0x900;
}

static void poke_segment_past_file(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	ph(e, img, 1)->p_offset = *size - 0x10;
}

static void poke_segment_offset_overflow(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)size;
	ph(e, img, 1)->p_offset = UINT64_MAX - 0x10;
}

static void poke_segment_da_wraps(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)size;
	ph(e, img, 1)->p_paddr = UINT64_MAX - 0x10;
}

static void poke_segments_overlap(struct amp_test_elf *e, uint8_t *img, size_t *size)
{
	(void)size;
	ph(e, img, 1)->p_paddr = MEM_DA + 0x100;
}

static void test_malformed_images_are_refused_precisely(void **state)
{
	(void)state;
	expect_refused(poke_truncate_header, -AMP_ENOEXEC, -1, "too small");
	expect_refused(poke_magic, -AMP_ENOEXEC, -1, "magic");
	expect_refused(poke_big_endian, -AMP_ENOEXEC, -1, "little-endian");
	expect_refused(poke_class, -AMP_ENOEXEC, -1, "class");
	expect_refused(poke_relocatable, -AMP_ENOEXEC, -1, "type");
	expect_refused(poke_no_phdrs, -AMP_EINVAL, -1, "no program headers");
	expect_refused(poke_phentsize, -AMP_EINVAL, -1, "program header size");
	expect_refused(poke_phdrs_past_file, -AMP_EINVAL, -1, "program headers");
	expect_refused(poke_phoff_overflow, -AMP_EINVAL, -1, "program headers");
	expect_refused(poke_shdrs_past_file, -AMP_EINVAL, -1, "section headers");
	expect_refused(poke_shstrndx, -AMP_EINVAL, -1, "name table index");
	expect_refused(poke_name_past_strtab, -AMP_EINVAL, 1, "name offset");
	expect_refused(poke_name_unterminated, -AMP_EINVAL, 2, "not terminated");
	expect_refused(poke_section_past_file, -AMP_EINVAL, 1, "ends past the file");
	expect_refused(poke_filesz_over_memsz, -AMP_EINVAL, 1, "exceeds memory size");
	expect_refused(poke_segment_past_file, -AMP_EINVAL, 1, "ends past the file");
	expect_refused(poke_segment_offset_overflow, -AMP_EINVAL, 1, "ends past the file");
	expect_refused(poke_segment_da_wraps, -AMP_EINVAL, 1, "wraps");
	expect_refused(poke_segments_overlap, -AMP_EINVAL, 1, "overlaps");
}

static void test_machine_not_accepted_is_enoexec(void **state)
{
	struct amp_test_elf e;
	struct rproc_elf_info info;
	struct amp_diag d = {0};
	const uint16_t arm[2] = {EM_ARM, EM_AARCH64}, x86[2] = {EM_ARM, EM_X86_64};
	size_t size;
	uint8_t *img;

	(void)state;
	default_elf(&e, ELFCLASS64);
	img = amp_test_elf_build(&e, &size);
	assert_int_equal(rproc_elf_parse(img, size, arm, 2, &info, &d), -AMP_ENOEXEC);
	assert_int_equal(d.arg[0], EM_X86_64);
	assert_int_equal(d.arg[1], EM_ARM);
	assert_int_equal(rproc_elf_parse(img, size, x86, 2, &info, &d), 0);
	free(img);
}

static void test_segment_outside_memory_is_refused_without_writing(void **state)
{
	struct amp_test_elf e;
	struct rproc_elf_info info;
	struct amp_diag d = {0};
	struct mem m = {0};
	size_t size;
	uint8_t *img;

	(void)state;
	default_elf(&e, ELFCLASS32);
	e.seg[1].da = MEM_DA + MEM_LEN - 0x100; /* memsz 0x800 runs past the memory */
	e.nsec = 0;
	img = amp_test_elf_build(&e, &size);
	amp_test_arena_init(&m.a, MEM_LEN);
	assert_int_equal(rproc_elf_parse(img, size, NULL, 0, &info, &d), 0);
	assert_int_equal(rproc_elf_load_segments(img, size, &info, mem_da_to_va, &m, &d),
			 -AMP_EINVAL);
	assert_int_equal(d.index, 1);
	assert_int_equal(d.arg[1], MEM_DA + MEM_LEN - 0x100);
	assert_int_equal(m.a.mem[MEM_LEN - 0x100], 0);
	assert_true(amp_test_arena_guards_ok(&m.a));
	amp_test_arena_free(&m.a);
	free(img);
}

static void test_nobits_resource_table_is_refused(void **state)
{
	struct amp_test_elf e;
	struct rproc_elf_info info;
	struct amp_diag d = {0};
	uint64_t off, len, addr;
	size_t size;
	uint8_t *img;

	(void)state;
	default_elf(&e, ELFCLASS64);
	e.sec[0].type = SHT_NOBITS;
	img = amp_test_elf_build(&e, &size);
	assert_int_equal(rproc_elf_parse(img, size, NULL, 0, &info, &d), 0);
	assert_int_equal(rproc_elf_find_section(img, size, &info, ".resource_table", &off, &len,
						&addr, &d),
			 -AMP_EINVAL);
	/* The same from the lookup that also checks where it lies; a missing one is ENOENT. */
	assert_int_equal(rproc_elf_find_loaded_section(img, size, &info, ".resource_table", &off,
						       &len, &addr, &d),
			 -AMP_EINVAL);
	assert_int_equal(rproc_elf_find_loaded_section(img, size, &info, ".other", &off, &len,
						       &addr, &d),
			 -AMP_ENOENT);
	free(img);
}

/* Parse the default ELF64 with @entry as e_entry. */
static int parse_with_entry(uint64_t entry, uint64_t seg0_memsz, struct amp_diag *d)
{
	struct amp_test_elf e;
	struct rproc_elf_info info;
	size_t size;
	uint8_t *img;
	int ret;

	default_elf(&e, ELFCLASS64);
	e.entry = entry;
	e.seg[0].memsz = seg0_memsz;
	img = amp_test_elf_build(&e, &size);
	memset(d, 0, sizeof(*d));
	ret = rproc_elf_parse(img, size, NULL, 0, &info, d);
	free(img);
	return ret;
}

static void test_entry_point_must_lie_in_loaded_executable_code(void **state)
{
	struct amp_diag d;

	(void)state;
	/* Anywhere in the code segment's file bytes, a Thumb-style odd address included. */
	assert_int_equal(parse_with_entry(MEM_DA + 1, 0x200, &d), 0);
	assert_int_equal(parse_with_entry(MEM_DA + 0x1ff, 0x200, &d), 0);
	/* In the data segment (R W): the core would fault at once, and at every recovery. */
	assert_int_equal(parse_with_entry(MEM_DA + 0x1000, 0x200, &d), -AMP_EINVAL);
	assert_int_equal(d.index, 1);
	assert_non_null(strstr(d.fmt, "not executable"));
	assert_int_equal(d.arg[0], MEM_DA + 0x1000);
	/* Between the segments, and past all of them. */
	assert_int_equal(parse_with_entry(MEM_DA + 0x800, 0x200, &d), -AMP_EINVAL);
	assert_int_equal(d.index, -1);
	assert_non_null(strstr(d.fmt, "no loadable segment"));
	assert_int_equal(parse_with_entry(0, 0x200, &d), -AMP_EINVAL);
	assert_non_null(strstr(d.fmt, "no loadable segment"));
	/* In the executable segment, but in the zero-filled part after its file bytes. */
	assert_int_equal(parse_with_entry(MEM_DA + 0x300, 0x400, &d), -AMP_EINVAL);
	assert_int_equal(d.index, 0);
	assert_non_null(strstr(d.fmt, "zeroes"));
}

/* Build the default ELF64, move its .resource_table's sh_addr to @addr, and look it up as a
 * loaded section. */
static int find_table_at(uint64_t addr, struct amp_diag *d)
{
	struct amp_test_elf e;
	struct rproc_elf_info info;
	uint64_t off, len, da;
	size_t size;
	uint8_t *img;
	int ret;

	default_elf(&e, ELFCLASS64);
	img = amp_test_elf_build(&e, &size);
	sh(&e, img, 1)->sh_addr = addr;
	memset(d, 0, sizeof(*d));
	assert_int_equal(rproc_elf_parse(img, size, NULL, 0, &info, d), 0);
	ret = rproc_elf_find_loaded_section(img, size, &info, ".resource_table", &off, &len, &da,
					    d);
	if (!ret) {
		assert_int_equal(off, e.sec_off[0]);
		assert_int_equal(len, sizeof(rsc_bytes));
		assert_int_equal(da, addr);
	}
	free(img);
	return ret;
}

static void test_resource_table_must_lie_in_a_segments_file_bytes(void **state)
{
	struct amp_diag d;

	(void)state;
	/* Where the data segment loads the section's own bytes. */
	assert_int_equal(find_table_at(MEM_DA + 0x1040, &d), 0);
	/* In the gap between the segments: writing it back would land in memory the image does
	 * not own (the host's rings, say). */
	assert_int_equal(find_table_at(MEM_DA + 0x800, &d), -AMP_EINVAL);
	assert_int_equal(d.index, 1);
	assert_non_null(strstr(d.fmt, "no loadable segment"));
	assert_int_equal(d.arg[1], MEM_DA + 0x800);
	/* In the zero-filled tail, and straddling the end of the file bytes. */
	assert_int_equal(find_table_at(MEM_DA + 0x1100, &d), -AMP_EINVAL);
	assert_non_null(strstr(d.fmt, "runs past the file bytes"));
	assert_int_equal(d.arg[3], 1);
	assert_int_equal(find_table_at(MEM_DA + 0x1100 - 8, &d), -AMP_EINVAL);
	assert_non_null(strstr(d.fmt, "runs past the file bytes"));
	/* Over code: the address is in the code segment, the bytes are the data segment's. */
	assert_int_equal(find_table_at(MEM_DA + 0x40, &d), -AMP_EINVAL);
	assert_non_null(strstr(d.fmt, "file offset"));
	assert_int_equal(d.arg[2], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf64_loads_byte_exact),
		cmocka_unit_test(test_elf32_loads_byte_exact),
		cmocka_unit_test(test_malformed_images_are_refused_precisely),
		cmocka_unit_test(test_machine_not_accepted_is_enoexec),
		cmocka_unit_test(test_segment_outside_memory_is_refused_without_writing),
		cmocka_unit_test(test_nobits_resource_table_is_refused),
		cmocka_unit_test(test_entry_point_must_lie_in_loaded_executable_code),
		cmocka_unit_test(test_resource_table_must_lie_in_a_segments_file_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
