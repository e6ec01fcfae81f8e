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
#include <stdbool.h>
#include <stddef.h>
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

/* --- output: the same walk prints text for people or JSON for scripts -------------------- */

struct out {
	bool json;
	unsigned int depth;
	bool comma; /* something was printed in the current object or array */
};

static void out_sep(struct out *o)
{
	if (o->comma)
		fputs(o->json ? ", " : ",", stdout);
	o->comma = true;
}

/* An object: in text, a line "label:" (indented by depth) that its fields continue. */
static void obj_begin(struct out *o, const char *key, const char *label)
{
	if (o->json) {
		out_sep(o);
		if (key)
			printf("\"%s\": ", key);
		fputs("{", stdout);
	} else {
		printf("%s%*s%s:", o->depth ? "\n" : "", (int)o->depth * 2, "", label);
	}
	o->depth++;
	o->comma = false;
}

static void obj_end(struct out *o)
{
	o->depth--;
	o->comma = true;
	if (o->json)
		fputs("}", stdout);
	if (!o->depth)
		fputs("\n", stdout);
}

static void arr_begin(struct out *o, const char *key)
{
	if (o->json) {
		out_sep(o);
		printf("\"%s\": [", key);
		o->comma = false;
	}
}

static void arr_end(struct out *o)
{
	if (o->json)
		fputs("]", stdout);
	o->comma = true;
}

static void field_u(struct out *o, const char *key, uint64_t v, bool hex)
{
	out_sep(o);
	if (o->json)
		printf("\"%s\": %llu", key, (unsigned long long)v);
	else
		printf(hex ? " %s 0x%llx" : " %s %llu", key, (unsigned long long)v);
}

/* @v is printable ASCII or escaped here, whatever the firmware put in it. */
static void field_s(struct out *o, const char *key, const char *v)
{
	out_sep(o);
	printf(o->json ? "\"%s\": \"" : " %s \"", key);
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* --- resource-table entries, described once for both outputs ------------------------------- */

enum field_fmt { F_HEX, F_DEC, F_NAME };

struct field {
	const char *name;
	uint16_t off;
	uint8_t size; /* 1, 2 or 4 bytes, little-endian; F_NAME: the 32-byte name field */
	uint8_t fmt;
};

#define FIELD(type, member, fmt)                                                              \
	{#member, offsetof(struct type, member), sizeof(((struct type *)0)->member), fmt}

/* Carveouts and devmems share a layout. */
static const struct field carveout_fields[] = {
	FIELD(fw_rsc_carveout, da, F_HEX),	 FIELD(fw_rsc_carveout, pa, F_HEX),
	FIELD(fw_rsc_carveout, len, F_HEX),	 FIELD(fw_rsc_carveout, flags, F_HEX),
	FIELD(fw_rsc_carveout, reserved, F_DEC), FIELD(fw_rsc_carveout, name, F_NAME),
	{NULL, 0, 0, 0}};
static const struct field trace_fields[] = {
	FIELD(fw_rsc_trace, da, F_HEX), FIELD(fw_rsc_trace, len, F_HEX),
	FIELD(fw_rsc_trace, reserved, F_DEC), FIELD(fw_rsc_trace, name, F_NAME), {NULL, 0, 0, 0}};
static const struct field vdev_fields[] = {
	FIELD(fw_rsc_vdev, id, F_DEC),		FIELD(fw_rsc_vdev, notifyid, F_DEC),
	FIELD(fw_rsc_vdev, dfeatures, F_HEX),	FIELD(fw_rsc_vdev, gfeatures, F_HEX),
	FIELD(fw_rsc_vdev, config_len, F_DEC),	FIELD(fw_rsc_vdev, status, F_HEX),
	FIELD(fw_rsc_vdev, num_of_vrings, F_DEC), FIELD(fw_rsc_vdev, reserved, F_DEC),
	{NULL, 0, 0, 0}};
static const struct field vring_fields[] = {
	FIELD(fw_rsc_vdev_vring, da, F_HEX),	   FIELD(fw_rsc_vdev_vring, align, F_DEC),
	FIELD(fw_rsc_vdev_vring, num, F_DEC),	   FIELD(fw_rsc_vdev_vring, notifyid, F_DEC),
	FIELD(fw_rsc_vdev_vring, pa, F_HEX),	   {NULL, 0, 0, 0}};

static void print_fields(struct out *o, const struct field *f, const uint8_t *body)
{
	for (; f->name; f++) {
		uint64_t v = 0;
		unsigned int i;

		if (f->fmt == F_NAME) {
			char name[RPROC_MAX_NAME_LEN + 1];

			rsc_name_copy(name, body + f->off);
			field_s(o, f->name, name);
			continue;
		}
		for (i = 0; i < f->size; i++) /* little-endian, whatever the host's order */
			v |= (uint64_t)body[f->off + i] << (8 * i);
		field_u(o, f->name, v, f->fmt == F_HEX);
	}
}

/* Where the bytes of entry @e end: at the next entry's start, or the table's end. */
static size_t entry_extent(const void *table, size_t size, const struct rsc_entry *e)
{
	size_t end = e->offset + 4 + e->avail;
	struct rsc_entry other;
	unsigned int i;

	for (i = 0; rsc_table_entry(table, size, i, &other) == 0; i++)
		if (other.offset > e->offset && other.offset < end)
			end = other.offset;
	return end - (e->offset + 4);
}

static void print_entry(struct out *o, const void *table, size_t size, const struct rsc_entry *e)
{
	char label[64];

	snprintf(label, sizeof(label), "[%u] %s", e->index, rsc_type_name(e->type));
	obj_begin(o, NULL, label);
	field_u(o, "index", e->index, false);
	field_s(o, "kind", rsc_type_name(e->type));
	field_u(o, "type", e->type, false);
	field_u(o, "offset", e->offset, true);
	switch (e->type) {
	case RSC_CARVEOUT:
	case RSC_DEVMEM:
		print_fields(o, carveout_fields, e->body);
		break;
	case RSC_TRACE:
		print_fields(o, trace_fields, e->body);
		break;
	case RSC_VDEV: {
		const struct fw_rsc_vdev *v = e->body;
		unsigned int i;

		print_fields(o, vdev_fields, e->body);
		field_s(o, "device", virtio_name(amp_le32_to_cpu(v->id)));
		arr_begin(o, "vrings");
		for (i = 0; i < v->num_of_vrings; i++) {
			snprintf(label, sizeof(label), "vring %u", i);
			obj_begin(o, NULL, label);
			print_fields(o, vring_fields, (const uint8_t *)&v->vring[i]);
			obj_end(o);
		}
		arr_end(o);
		break;
	}
	default: {
		/* Vendor (or unknown): its size is the platform's business; show its bytes up
		 * to the next entry, 64 at most. */
		size_t n = entry_extent(table, size, e), i;
		char hex[64 * 2 + 1];

		if (n > 64)
			n = 64;
		for (i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", ((const uint8_t *)e->body)[i]);
		hex[2 * n] = 0;
		field_s(o, "handling", e->type >= RSC_VENDOR_START && e->type <= RSC_VENDOR_END
					       ? "vendor: the platform's handle_rsc"
					       : "unknown: skipped with a warning");
		field_u(o, "bytes_to_table_end", e->avail, false);
		field_s(o, "body", hex);
		break;
	}
	}
	obj_end(o);
}

static void inspect_table(struct out *o, const char *file, const uint8_t *image, size_t size,
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
		if (!o->json)
			printf("\nresource table: none (the firmware needs no resources)");
		return;
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
	obj_begin(o, "resource_table", "resource table");
	field_s(o, "section", ".resource_table");
	field_u(o, "da", addr, true);
	field_u(o, "size", len, true);
	field_u(o, "ver", amp_le32_to_cpu(((const struct resource_table *)copy)->ver), false);
	field_u(o, "num", amp_le32_to_cpu(((const struct resource_table *)copy)->num), false);
	arr_begin(o, "entries");
	for (i = 0; rsc_table_entry(copy, len, i, &e) == 0; i++)
		print_entry(o, copy, len, &e);
	arr_end(o);
	obj_end(o);
	free(copy);
}

static int cmd_inspect(const char *file, bool json)
{
	struct out o = {.json = json};
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
	/* Any machine: inspecting is not loading. Nothing is printed before every check passed:
	 * a refused file gets the reason only. */
	if (rproc_elf_parse(image, (size_t)st.st_size, NULL, 0, &info, &d))
		fail_diag(file, "ELF", &d);
	for (i = 0; i < info.num_load; i++)
		if (rproc_elf_get_load(image, (size_t)st.st_size, &info, i, &seg, &d))
			fail_diag(file, "segment", &d);
	obj_begin(&o, NULL, "firmware");
	field_s(&o, "file", file);
	field_u(&o, "size", (uint64_t)st.st_size, false);
	field_u(&o, "class", info.elf_class == RPROC_ELFCLASS64 ? 64 : 32, false);
	field_s(&o, "type", info.type == 2 ? "executable" : "shared object");
	field_u(&o, "machine", info.machine, false);
	field_s(&o, "machine_name", machine_name(info.machine));
	field_u(&o, "entry", info.entry, true);
	arr_begin(&o, "segments");
	for (i = 0; i < info.num_load; i++) {
		char label[32], flags[4];

		rproc_elf_get_load(image, (size_t)st.st_size, &info, i, &seg, &d);
		snprintf(label, sizeof(label), "segment %u", seg.index);
		snprintf(flags, sizeof(flags), "%c%c%c", seg.flags & 4 ? 'R' : '-',
			 seg.flags & 2 ? 'W' : '-', seg.flags & 1 ? 'X' : '-');
		obj_begin(&o, NULL, label);
		field_u(&o, "da", seg.da, true);
		field_u(&o, "offset", seg.offset, true);
		field_u(&o, "filesz", seg.filesz, true);
		field_u(&o, "memsz", seg.memsz, true);
		field_s(&o, "flags", flags);
		obj_end(&o);
	}
	arr_end(&o);
	inspect_table(&o, file, image, (size_t)st.st_size, &info);
	obj_end(&o);
	munmap(image, (size_t)st.st_size);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ampctl inspect [--json] FIRMWARE\n"
		   "  inspect FIRMWARE  decode a firmware ELF offline (ELF32 or ELF64, any\n"
		   "                    machine): segments, entry point and every resource-table\n"
		   "                    entry with all its fields; no daemon needed\n"
		   "  --json            the same as one JSON object\n"
		   "exit status: 0 done, 1 the file was refused (the reason is printed), 2 usage\n");
}

int main(int argc, char **argv)
{
	bool json = false;
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
	if (argc >= 3 && !strcmp(argv[1], "inspect")) {
		json = argc == 4 && !strcmp(argv[2], "--json");
		if (argc == 3 || json)
			return cmd_inspect(argv[argc - 1], json);
	}
	usage(stderr);
	return 2;
}
