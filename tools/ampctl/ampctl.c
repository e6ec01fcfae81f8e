/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ampctl: the command for people. Today it has the offline subcommand, which needs no daemon:
 *   ampctl inspect FIRMWARE   decode a firmware ELF (ELF32 or ELF64, any machine): its
 *                             segments, entry point and every resource-table entry with all
 *                             its fields, after the same checks the loader makes.
 * The subcommands that talk to the daemon (ls, status, start, stop, ...) come with ampd.
 * Tool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <amp/amp.h>
#include <amp/rproc_elf.h>
#include <amp/rsc_table.h>
#include <amp/wire/byteorder.h>

#include "util/amp_diag_format.h"

/* The machines remote processors are commonly built for (e_machine). */
static const char *machine_name(uint16_t m)
{
	switch (m) {
	case 3: return "x86";
	case 8: return "MIPS";
	case 40: return "ARM";
	case 62: return "x86-64";
	case 94: return "Xtensa";
	case 140: return "TI C6000";
	case 164: return "Qualcomm Hexagon";
	case 183: return "AArch64";
	case 243: return "RISC-V";
	default: return "other";
	}
}

static const char *virtio_name(uint32_t id)
{
	switch (id) {
	case VIRTIO_ID_RPMSG: return "rpmsg";
	case 1: return "net";
	case 2: return "block";
	case 3: return "console";
	default: return "unsupported by this host";
	}
}

static void fail_diag(const char *file, const char *what, const struct amp_diag *d)
{
	char msg[256];

	amp_diag_format(d, msg, sizeof(msg));
	fprintf(stderr, "ampctl: %s: %s: %s\n", file, what, msg);
	exit(1);
}

static uint32_t le32(uint32_t v)
{
	return amp_le32_to_cpu(v);
}

static void print_name(const uint8_t *field)
{
	char name[RPROC_MAX_NAME_LEN + 1];

	rsc_name_copy(name, field);
	printf(" name \"%s\"", name);
}

static void print_vdev(const struct rsc_entry *e)
{
	const struct fw_rsc_vdev *v = e->body;
	unsigned int i;

	printf(" id %u (%s), notifyid %u, dfeatures 0x%x, gfeatures 0x%x, config_len %u, "
	       "status 0x%x, num_of_vrings %u\n",
	       le32(v->id), virtio_name(le32(v->id)), le32(v->notifyid), le32(v->dfeatures),
	       le32(v->gfeatures), le32(v->config_len), v->status, v->num_of_vrings);
	for (i = 0; i < v->num_of_vrings; i++) {
		const struct fw_rsc_vdev_vring *r = &v->vring[i];

		printf("      vring %u: da 0x%x%s, align %u, num %u, notifyid %u, pa 0x%x\n", i,
		       le32(r->da), le32(r->da) == FW_RSC_ADDR_ANY ? " (any)" : "", le32(r->align),
		       le32(r->num), le32(r->notifyid), le32(r->pa));
	}
}

static void print_entry(const struct rsc_entry *e)
{
	printf("  [%u] %s (type %u) at offset 0x%zx:", e->index, rsc_type_name(e->type), e->type,
	       e->offset);
	switch (e->type) {
	case RSC_CARVEOUT:
	case RSC_DEVMEM: {
		/* The two share a layout. */
		const struct fw_rsc_carveout *c = e->body;

		printf(" da 0x%x%s, pa 0x%x, len 0x%x, flags 0x%x,", le32(c->da),
		       le32(c->da) == FW_RSC_ADDR_ANY ? " (any)" : "", le32(c->pa), le32(c->len),
		       le32(c->flags));
		print_name(c->name);
		printf("\n");
		break;
	}
	case RSC_TRACE: {
		const struct fw_rsc_trace *t = e->body;

		printf(" da 0x%x, len 0x%x,", le32(t->da), le32(t->len));
		print_name(t->name);
		printf("\n");
		break;
	}
	case RSC_VDEV:
		print_vdev(e);
		break;
	default:
		printf(" %zu bytes from its body to the table's end (%s)\n", e->avail,
		       e->type >= RSC_VENDOR_START && e->type <= RSC_VENDOR_END
			       ? "the platform's handle_rsc decides"
			       : "skipped by the loader with a warning");
		break;
	}
}

static int inspect_table(const char *file, const uint8_t *image, size_t size,
			 const struct rproc_elf_info *info)
{
	uint64_t off, len, addr;
	struct amp_diag d = {0};
	struct rsc_entry e;
	unsigned int i;
	uint8_t *copy;
	int ret;

	ret = rproc_elf_find_section(image, size, info, ".resource_table", &off, &len, &addr, &d);
	if (ret == -AMP_ENOENT) {
		printf("resource table: none (the firmware needs no resources)\n");
		return 0;
	}
	if (ret)
		fail_diag(file, ".resource_table", &d);
	/* The checks run on a private copy, as the loader's do. */
	copy = malloc(len ? len : 1);
	if (!copy) {
		perror("ampctl");
		exit(1);
	}
	memcpy(copy, image + off, len);
	if (rsc_table_check(copy, len, &d))
		fail_diag(file, "resource table", &d);
	printf("resource table: section .resource_table at da 0x%llx, 0x%llx bytes, version %u, "
	       "%u entries\n",
	       (unsigned long long)addr, (unsigned long long)len,
	       le32(((const struct resource_table *)copy)->ver),
	       le32(((const struct resource_table *)copy)->num));
	for (i = 0; rsc_table_entry(copy, len, i, &e) == 0; i++)
		print_entry(&e);
	free(copy);
	return 0;
}

static int cmd_inspect(const char *file)
{
	struct rproc_elf_info info;
	struct rproc_elf_segment seg;
	struct amp_diag d = {0};
	struct stat st;
	uint8_t *image;
	unsigned int i;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "ampctl: %s: %s\n", file, strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		fprintf(stderr, "ampctl: %s: not a regular, non-empty file\n", file);
		close(fd);
		return 1;
	}
	image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (image == MAP_FAILED) {
		fprintf(stderr, "ampctl: %s: %s\n", file, strerror(errno));
		return 1;
	}
	/* Any machine: inspecting is not loading. */
	if (rproc_elf_parse(image, (size_t)st.st_size, NULL, 0, &info, &d))
		fail_diag(file, "ELF", &d);
	printf("firmware: %s, %lld bytes\n", file, (long long)st.st_size);
	printf("ELF%d little-endian, %s, machine %u (%s), entry 0x%llx\n",
	       info.elf_class == RPROC_ELFCLASS64 ? 64 : 32,
	       info.type == 2 ? "executable" : "shared object", info.machine,
	       machine_name(info.machine), (unsigned long long)info.entry);
	printf("loadable segments: %u\n", info.num_load);
	printf("  %-3s %-18s %-12s %-12s %-12s %s\n", "#", "device address", "file offset",
	       "file size", "memory size", "flags");
	for (i = 0; i < info.num_load; i++) {
		if (rproc_elf_get_load(image, (size_t)st.st_size, &info, i, &seg, &d))
			fail_diag(file, "segment", &d);
		printf("  %-3u 0x%-16llx 0x%-10llx 0x%-10llx 0x%-10llx %c%c%c\n", seg.index,
		       (unsigned long long)seg.da, (unsigned long long)seg.offset,
		       (unsigned long long)seg.filesz, (unsigned long long)seg.memsz,
		       seg.flags & 4 ? 'R' : '-', seg.flags & 2 ? 'W' : '-',
		       seg.flags & 1 ? 'X' : '-');
	}
	inspect_table(file, image, (size_t)st.st_size, &info);
	munmap(image, (size_t)st.st_size);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ampctl inspect FIRMWARE\n"
		   "  inspect FIRMWARE  decode a firmware ELF offline: segments, entry point and\n"
		   "                    every resource-table entry (no daemon needed)\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "inspect"))
		return cmd_inspect(argv[2]);
	usage(stderr);
	return 2;
}
