/* SPDX-License-Identifier: BSD-3-Clause */
/* Firmware images for remoteproc tests, written to temporary files. Test layer. */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <amp/wire/rpmsg.h>
#include <amp/wire/rsc_table.h>
#include <amp/wire/vring.h>

#include "amp_test.h"
#include "amp_test_fw.h"

static void put(struct amp_test_rsc *r, size_t off, const void *p, size_t n)
{
	memcpy(r->bytes + off, p, n);
}

void amp_test_rsc_default(struct amp_test_rsc *r, uint32_t trace_da, uint32_t trace_len)
{
	struct resource_table hdr = {.ver = 1, .num = 4};
	uint32_t offs[4];
	size_t off = sizeof(hdr) + sizeof(offs);
	uint32_t type;

	memset(r, 0, sizeof(*r));

	r->carveout_off = off;
	type = RSC_CARVEOUT;
	put(r, off, &type, 4);
	{
		struct fw_rsc_carveout c = {.da = FW_RSC_ADDR_ANY, .pa = FW_RSC_ADDR_ANY,
					    .len = 0x2000};
		memcpy(c.name, "heap", 5);
		put(r, off + 4, &c, sizeof(c));
		off += 4 + sizeof(c);
	}
	r->trace_off = off;
	type = RSC_TRACE;
	put(r, off, &type, 4);
	{
		struct fw_rsc_trace t = {.da = trace_da, .len = trace_len};
		memcpy(t.name, "trace0", 7);
		put(r, off + 4, &t, sizeof(t));
		off += 4 + sizeof(t);
	}
	r->vdev_off = off;
	type = RSC_VDEV;
	put(r, off, &type, 4);
	{
		struct fw_rsc_vdev v = {.id = VIRTIO_ID_RPMSG,
					.dfeatures = (1u << VIRTIO_RPMSG_F_NS) |
						     (1u << VIRTIO_RING_F_EVENT_IDX) | (1u << 3),
					.num_of_vrings = 2};
		struct fw_rsc_vdev_vring vr = {.da = FW_RSC_ADDR_ANY, .align = 16, .num = 16};

		put(r, off + 4, &v, sizeof(v));
		put(r, off + 4 + sizeof(v), &vr, sizeof(vr));
		put(r, off + 4 + sizeof(v) + sizeof(vr), &vr, sizeof(vr));
		off += 4 + sizeof(v) + 2 * sizeof(vr);
	}
	r->vendor_off = off;
	type = RSC_VENDOR_START + 1;
	put(r, off, &type, 4);
	{
		uint32_t body[2] = {4, 0xfeedf00d};
		put(r, off + 4, body, sizeof(body));
		off += 4 + sizeof(body);
	}
	offs[0] = (uint32_t)r->carveout_off;
	offs[1] = (uint32_t)r->trace_off;
	offs[2] = (uint32_t)r->vdev_off;
	offs[3] = (uint32_t)r->vendor_off;
	put(r, 0, &hdr, sizeof(hdr));
	put(r, sizeof(hdr), offs, sizeof(offs));
	r->size = off;
}

const char *amp_test_fw_write(int slot, const struct amp_test_rsc *rsc, uint16_t machine)
{
	static const char shstr[] = "\0.text\0.resource_table\0.shstrtab";
	const size_t code_len = 0x100, rsc_at = 0x800;
	size_t rsc_len = rsc ? rsc->size : 0;
	size_t seg_off = 0x1000, filesz = rsc_at + rsc_len;
	size_t shstr_off = seg_off + filesz, sh_off = (shstr_off + sizeof(shstr) + 7) & ~(size_t)7;
	unsigned int shnum = rsc ? 4 : 3;
	size_t total = sh_off + shnum * sizeof(Elf64_Shdr);
	uint8_t *img = calloc(1, total);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + sh_off);
	unsigned int s = 1;
	const char *path;

	assert_non_null(img);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = machine;
	eh->e_version = EV_CURRENT;
	eh->e_entry = AMP_TEST_FW_ENTRY;
	eh->e_phoff = sizeof(*eh);
	eh->e_shoff = sh_off;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	eh->e_shentsize = sizeof(*sh);
	eh->e_shnum = (uint16_t)shnum;
	eh->e_shstrndx = (uint16_t)(shnum - 1);

	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_W | PF_X;
	ph->p_offset = seg_off;
	ph->p_vaddr = ph->p_paddr = AMP_TEST_FW_LOAD_DA;
	ph->p_filesz = filesz;
	ph->p_memsz = AMP_TEST_FW_MEMSZ;
	ph->p_align = 0x1000;
	memset(img + seg_off, 0xC3, code_len); /* "ret" bytes: recognisable in memory */
	if (rsc)
		memcpy(img + seg_off + rsc_at, rsc->bytes, rsc_len);
	memcpy(img + shstr_off, shstr, sizeof(shstr));

	sh[s].sh_name = 1; /* .text */
	sh[s].sh_type = SHT_PROGBITS;
	sh[s].sh_flags = SHF_ALLOC | SHF_EXECINSTR;
	sh[s].sh_addr = AMP_TEST_FW_LOAD_DA;
	sh[s].sh_offset = seg_off;
	sh[s].sh_size = code_len;
	s++;
	if (rsc) {
		sh[s].sh_name = 7; /* .resource_table */
		sh[s].sh_type = SHT_PROGBITS;
		sh[s].sh_flags = SHF_ALLOC | SHF_WRITE;
		sh[s].sh_addr = AMP_TEST_FW_LOAD_DA + rsc_at;
		sh[s].sh_offset = seg_off + rsc_at;
		sh[s].sh_size = rsc_len;
		s++;
	}
	sh[s].sh_name = 23; /* .shstrtab */
	sh[s].sh_type = SHT_STRTAB;
	sh[s].sh_offset = shstr_off;
	sh[s].sh_size = sizeof(shstr);

	path = amp_test_fw_write_image(slot, img, total);
	free(img);
	return path;
}

const char *amp_test_fw_write_image(int slot, const void *img, size_t size)
{
	static char paths[4][64];
	FILE *f;
	int fd;

	snprintf(paths[slot], sizeof(paths[slot]), "/tmp/amp-test-fw-XXXXXX");
	fd = mkstemp(paths[slot]);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, size, f), size);
	fclose(f);
	return paths[slot];
}
