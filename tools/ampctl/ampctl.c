/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ampctl: the command for people. Subcommands that talk to ampd through libamp-client
 * (control: ls, status, start, stop, firmware, recovery, crash, trace, coredump, rsc, topology,
 * channels; messages: send, listen, echo-test; events: watch), and one that needs no daemon:
 *   ampctl inspect FIRMWARE   decode a firmware ELF (ELF32 or ELF64, any machine): its
 *                             segments, entry point and every resource-table entry with all
 *                             its fields, after the same checks the loader makes.
 * Exit status: 0 done; 1 refused or failed (the reason is printed); 2 usage; 3 no daemon.
 * Tool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <amp/amp.h>
#include <amp/client.h>
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

/* A resource table (a private copy: the checks and the printing read the same bytes). */
static void print_table(struct out *o, const char *what, uint8_t *table, size_t len, uint64_t da,
			const char *section)
{
	struct amp_diag d = {0};
	struct rsc_entry e;
	unsigned int i;

	if (rsc_table_check(table, len, &d))
		fail_diag(what, "resource table", &d);
	obj_begin(o, "resource_table", "resource table");
	if (section)
		field_s(o, "section", section);
	field_u(o, "da", da, true);
	field_u(o, "size", len, true);
	field_u(o, "ver", amp_le32_to_cpu(((const struct resource_table *)table)->ver), false);
	field_u(o, "num", amp_le32_to_cpu(((const struct resource_table *)table)->num), false);
	arr_begin(o, "entries");
	for (i = 0; rsc_table_entry(table, len, i, &e) == 0; i++)
		print_entry(o, table, len, &e);
	arr_end(o);
	obj_end(o);
}

static void inspect_table(struct out *o, const char *file, const uint8_t *image, size_t size,
			  const struct rproc_elf_info *info)
{
	uint64_t off, len, addr;
	struct amp_diag d = {0};
	uint8_t *copy;
	int ret;

	/* Where the loader looks for it: among the bytes a segment loads at its address. */
	ret = rproc_elf_find_loaded_section(image, size, info, ".resource_table", &off, &len, &addr,
					    &d);
	if (ret == -AMP_ENOENT) {
		if (!o->json)
			printf("\nresource table: none (the firmware needs no resources)");
		return;
	}
	if (ret)
		fail_diag(file, ".resource_table", &d);
	copy = malloc(len ? len : 1);
	if (!copy) {
		perror("ampctl");
		exit(1);
	}
	memcpy(copy, image + off, len);
	print_table(o, file, copy, len, addr, ".resource_table");
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

	/* Not blocking on a FIFO: it is refused below, as the loader refuses it. */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
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

/* --- talking to ampd ---------------------------------------------------------------------- */

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_NO_DAEMON = 3 };

static const char *sock_path;
static bool json;

static struct amp_client *connect_or_exit(void)
{
	struct amp_client *c;
	struct stat st;
	int ret = amp_client_connect(sock_path, &c);
	const char *path = sock_path ? sock_path : getenv("AMPD_SOCKET");

	if (!path || !*path)
		path = AMP_CLIENT_DEFAULT_SOCKET;
	if (ret == -EACCES) {
		fprintf(stderr,
			"ampctl: %s: permission denied: ampd lets in its owner and its group only\n"
			"  (ask for membership of the group ampd runs with --group)\n",
			path);
		exit(EXIT_REFUSED);
	}
	if (ret && !lstat(path, &st) && !S_ISSOCK(st.st_mode)) {
		/* Not a place for a daemon's socket: no command that would start one there. */
		fprintf(stderr,
			"ampctl: cannot reach ampd at %s: it is %s, not a socket\n"
			"  is --socket (or $AMPD_SOCKET) the path ampd was given?\n",
			path, S_ISREG(st.st_mode) ? "a regular file" : S_ISDIR(st.st_mode)
								? "a directory" : "not a socket");
		exit(EXIT_NO_DAEMON);
	}
	if (ret) {
		fprintf(stderr,
			"ampctl: cannot reach ampd at %s: %s\n"
			"  is it running? start it with: ampd --socket %s (or set AMPD_SOCKET)\n",
			path, strerror(-ret), path);
		exit(EXIT_NO_DAEMON);
	}
	return c;
}

/* Report a refusal of @what and exit: the daemon's sentence, and the error's name. */
static void refused(struct amp_client *c, const char *what, int ret)
{
	if (ret == -EPIPE || ret == -ECONNRESET) {
		fprintf(stderr, "ampctl: %s: ampd closed the connection (did it stop?)\n", what);
		exit(EXIT_NO_DAEMON);
	}
	fprintf(stderr, "ampctl: %s: %s (%s)\n", what,
		c && amp_client_error(c)[0] ? amp_client_error(c) : strerror(-ret),
		amp_errname(ret));
	exit(EXIT_REFUSED);
}

/* One request on a fresh connection; the response body in a static buffer. */
static char *ask(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *ask(const char *fmt, ...)
{
	static char body[AMP_CLIENT_RESP_MAX + 1];
	char req[512];
	struct amp_client *c = connect_or_exit();
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	ret = amp_client_request(c, req, body, sizeof(body), 60000);
	if (ret)
		refused(c, req, ret);
	amp_client_close(c);
	return body;
}

#define AMP_CLIENT_NAME_MAX 32
#define PROC_KEYS 10
static const char *const proc_keys[PROC_KEYS] = {"name",     "state",	 "firmware", "crashes",
						 "recovery", "notify",	 "cpu",	     "coredump",
						 "platform", "error"};
#define CHANNEL_KEYS 5
static const char *const channel_keys[CHANNEL_KEYS] = {"vdev", "name", "src", "dst", "driver"};
#define EPT_KEYS 11
static const char *const ept_keys[EPT_KEYS] = {"proc", "vdev", "channel", "src", "dst", "mtu",
					       "pid", "rx", "tx", "rx_dropped", "tx_bad"};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX back to the byte (the daemon encodes what the remote wrote), in place. */
static void decode(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*out++ = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else {
			*out++ = *s;
		}
	}
	*out = 0;
}

/* One "<kind> k=v ..." line split into the values of @keys (missing ones "-"), decoded. */
static void parse_kv(char *line, const char *const *keys, unsigned int nkeys, const char **vals)
{
	char *tok, *save = NULL;
	unsigned int k;

	for (k = 0; k < nkeys; k++)
		vals[k] = "-";
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = 0;
		decode(eq + 1);
		for (k = 0; k < nkeys; k++)
			if (!strcmp(tok, keys[k]))
				vals[k] = eq + 1;
	}
}

/* A name as the remote wrote it, for a terminal or inside a quoted DOT string: unprintable
 * bytes, quotes and backslashes as \xNN. */
static void print_safe(const char *s, int width)
{
	int n = 0;

	for (; *s; s++, n++) {
		if ((unsigned char)*s >= 0x20 && (unsigned char)*s <= 0x7e && *s != '"' && *s != '\\')
			putchar(*s);
		else
			n += printf("\\x%02x", (unsigned char)*s) - 1;
	}
	printf("%*s", width > n ? width - n : 0, "");
}

/* The JSON object of one record: the keys whose bit is set in @numeric as numbers. */
static void record_json(struct out *o, const char *const *keys, unsigned int nkeys,
			unsigned int numeric, const char **v)
{
	unsigned int k;

	for (k = 0; k < nkeys; k++) {
		if ((numeric & (1u << k)) && v[k][0] == '-' && v[k][1]) {
			out_sep(o); /* a negative number: cpu -1, not pinned */
			printf("\"%s\": %lld", keys[k], strtoll(v[k], NULL, 0));
		} else if (numeric & (1u << k)) {
			field_u(o, keys[k], strtoull(v[k], NULL, 0), false);
		} else {
			field_s(o, keys[k], v[k]);
		}
	}
}

/*
 * The "<@kind> k=v ..." lines of @body, as JSON objects in a list called @list (NULL: a single
 * object), or each through @text.
 */
static void print_records(char *body, const char *kind, const char *const *keys,
			  unsigned int nkeys, unsigned int numeric, const char *list,
			  void (*text)(const char **v))
{
	struct out o = {.json = json};
	size_t klen = strlen(kind);
	char *line, *save = NULL;
	bool first = true;

	if (json && list)
		printf("{\"%s\": [", list);
	for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *v[16];

		if (strncmp(line, kind, klen) || line[klen] != ' ')
			continue;
		parse_kv(line + klen + 1, keys, nkeys, v);
		if (!json) {
			text(v);
			continue;
		}
		if (!first)
			fputs(", ", stdout);
		first = false;
		o.depth = 1; /* inside the list: no newline after each object */
		o.comma = false;
		obj_begin(&o, NULL, "");
		record_json(&o, keys, nkeys, numeric, v);
		obj_end(&o);
	}
	if (json)
		fputs(list ? "]}\n" : "\n", stdout);
}

static void channel_text(const char **v)
{
	printf("%-5s ", v[0]);
	print_safe(v[1], 32);
	printf(" %-10s %-10s ", v[2], v[3]);
	print_safe(v[4], 0);
	putchar('\n');
}

#define PROC_ROW "%-12s %-10s %-28s %-8s %-9s %-8s %-4s %s\n"

static void proc_row(const char **v)
{
	printf(PROC_ROW, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[9]);
}

/* The platform as a person reads it. */
static const char *platform_words(const char *platform)
{
	if (!strcmp(platform, "qemu-m4"))
		return "a Cortex-M4 (QEMU)";
	if (!strcmp(platform, "sim"))
		return "a simulated core";
	return platform;
}

static void proc_line(const char **v)
{
	printf("%s: %s, %s, firmware %s, %s crashes, recovery %s, %s, cpu %s, coredump %s\n",
	       v[0], v[1], platform_words(v[8]), v[2], v[3], v[4], v[5], v[6], v[7]);
	/* Why the last start or recovery, or the daemon's own try, failed. */
	if (strcmp(v[9], "-"))
		printf("  error: %s\n", v[9]);
}

/* crashes and cpu are numbers */
#define PROC_NUMERIC (1u << 3 | 1u << 6)
/* vdev, src and dst are numbers; name and driver strings */
#define CHANNEL_NUMERIC (1u << 0 | 1u << 2 | 1u << 3)
#define EPT_NUMERIC (0x7ffu & ~(1u << 0 | 1u << 2))

static int cmd_ls(char **argv)
{
	/* Asked first: nothing goes to stdout before the daemon has answered. */
	char *body = ask("ls");

	(void)argv;
	if (!json)
		printf(PROC_ROW, "NAME", "STATE", "FIRMWARE", "CRASHES", "RECOVERY", "NOTIFY", "CPU",
		       "ERROR");
	print_records(body, "proc", proc_keys, PROC_KEYS, PROC_NUMERIC, "processors", proc_row);
	return 0;
}

static int cmd_status(char **argv)
{
	print_records(ask("status %s", argv[0]), "proc", proc_keys, PROC_KEYS, PROC_NUMERIC, NULL,
		      proc_line);
	return 0;
}

static int cmd_channels(char **argv)
{
	char *body = ask("channels %s", argv[0]);

	if (!json)
		printf("%-5s %-32s %-10s %-10s %s\n", "VDEV", "CHANNEL", "SRC", "DST", "DRIVER");
	print_records(body, "channel", channel_keys, CHANNEL_KEYS, CHANNEL_NUMERIC, "channels",
		      channel_text);
	return 0;
}

static int cmd_simple(const char *verb, char **argv)
{
	ask("%s %s", verb, argv[0]);
	return 0;
}

static int cmd_start(char **argv) { return cmd_simple("start", argv); }
static int cmd_stop(char **argv) { return cmd_simple("stop", argv); }
static int cmd_crash(char **argv) { return cmd_simple("crash", argv); }

static int cmd_recovery(char **argv)
{
	ask("recovery %s %s", argv[0], argv[1]);
	return 0;
}

static int cmd_version(char **argv)
{
	char *body = ask("version"), *line, *save = NULL;
	struct out o = {.json = true};

	(void)argv;
	if (!json) {
		printf("%s\nampctl %s\n", body, AMPCTL_VERSION_STRING);
		return 0;
	}
	/* "protocol AMP1" and "ampd 1.2.3" lines: each a key and its value. */
	obj_begin(&o, NULL, "");
	for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = 0;
		field_s(&o, line, sp + 1);
	}
	field_s(&o, "ampctl", AMPCTL_VERSION_STRING);
	obj_end(&o);
	return 0;
}

static void print_kv_line(char *body, const char *kind, const char *const *keys,
			  unsigned int nkeys)
{
	print_records(body, kind, keys, nkeys, 0, NULL, NULL);
}

static void firmware_text(const char **v)
{
	printf("%s: %s\n", v[0], v[1]);
}

static int cmd_firmware(char **argv)
{
	static const char *const keys[] = {"proc", "file"};
	char *body = argv[1] ? ask("firmware %s %s", argv[0], argv[1]) : ask("firmware %s", argv[0]);

	if (json)
		print_kv_line(body, "firmware", keys, 2);
	else
		print_records(body, "firmware", keys, 2, 0, NULL, firmware_text);
	return 0;
}

static void coredump_text(const char **v)
{
	printf("%s: coredump %s, into %s, last %s\n", v[0], v[1], v[2], v[3]);
	if (strcmp(v[4], "-"))
		printf("  the last crash's coredump failed: %s\n", v[4]);
}

static int cmd_coredump(char **argv)
{
	static const char *const keys[] = {"proc", "mode", "dir", "last", "error"};
	char *body = argv[1] ? ask("coredump %s %s", argv[0], argv[1]) : ask("coredump %s", argv[0]);

	print_records(body, "coredump", keys, 5, 0, NULL, coredump_text);
	return 0;
}

/* The loaded table comes as hex: decoded and checked here, printed as inspect prints one. */
static int cmd_rsc(char **argv)
{
	static uint8_t table[AMP_CLIENT_RESP_MAX / 2];
	char *body = ask("rsc %s", argv[0]), *line, *save = NULL;
	struct out o = {.json = json};
	unsigned long long da = 0;
	size_t n = 0;
	int size = -1;

	for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *h;

		if (!strncmp(line, "rsc ", 4)) {
			if (sscanf(line, "rsc da=%llx size=%d", &da, &size) != 2)
				size = -1;
			continue;
		}
		if (strncmp(line, "hex ", 4))
			continue;
		for (h = line + 4; h[0] && h[1] && n < sizeof(table); h += 2) {
			unsigned int b;

			if (sscanf(h, "%2x", &b) != 1)
				break;
			table[n++] = (uint8_t)b;
		}
	}
	if (size < 0 || (size_t)size != n) {
		fprintf(stderr, "ampctl: rsc %s: the daemon's answer is malformed\n", argv[0]);
		return EXIT_REFUSED;
	}
	obj_begin(&o, NULL, argv[0]);
	field_s(&o, "proc", argv[0]);
	print_table(&o, argv[0], table, n, da, NULL);
	obj_end(&o);
	return 0;
}

/* --json given to a form of a command that prints only @what: refused, with the form that
 * gives JSON. */
static int text_only(const char *form, const char *what, const char *instead)
{
	fprintf(stderr, "ampctl: %s prints %s, never JSON (%s)\n", form, what, instead);
	return EXIT_USAGE;
}

/* --- waits that a signal ends, and trace ------------------------------------------------- */

static volatile sig_atomic_t stop_requested; /* the signal that asked, or 0 */
static volatile sig_atomic_t wake_fd = -1;

static void on_stop_signal(int sig)
{
	stop_requested = sig;
	/* The wait ends with EINTR if it had begun; if not, the connection's end of input ends
	 * it as soon as it begins (shutdown() is async-signal-safe). */
	if (wake_fd >= 0)
		shutdown(wake_fd, SHUT_RD);
}

/* Ctrl-C and SIGTERM end the wait on @c (listen, watch, trace -f): the command says so and
 * exits 0. No SA_RESTART: the library's waits return -EINTR. */
static void stop_on_signals(struct amp_client *c)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};

	sigemptyset(&sa.sa_mask);
	wake_fd = amp_client_fd(c);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int stopped(const char *what, const char *detail)
{
	fprintf(stderr, "ampctl: %s: stopped by %s%s\n", what,
		stop_requested == SIGINT ? "SIGINT" : "SIGTERM", detail);
	return 0;
}

/* trace -f's output: whether the last character printed ended a line. */
static bool follow_at_line_start = true;

static void follow_print(const char *text)
{
	if (!*text)
		return;
	fputs(text, stdout);
	follow_at_line_start = text[strlen(text) - 1] == '\n';
}

static void follow_mark(const char *what)
{
	printf("%s--- %s ---\n", follow_at_line_start ? "" : "\n", what);
	follow_at_line_start = true;
}

struct follow {
	struct amp_client *ctl, *watch;
	const char *name;
	char last[AMP_CLIENT_RESP_MAX + 1]; /* the text printed of the buffer being followed */
	bool restarted; /* a new run began: its buffer is new, whatever its text */
};

/*
 * An event for trace -f. A crash of the processor followed: the lines its firmware wrote last,
 * which the next look would miss (a recovery starts a new buffer at once), from the trace
 * the daemon kept of the crash. A boot: the buffer is new.
 */
static void follow_event(struct follow *f, const char *event)
{
	static char body[AMP_CLIENT_RESP_MAX + 1];
	char proc[64], state[32], req[64];
	size_t old = strlen(f->last);

	if (amp_record_get(event, "proc", proc, sizeof(proc)) <= 0 || strcmp(proc, f->name))
		return;
	if (!strncmp(event, "state ", 6) &&
	    amp_record_get(event, "state", state, sizeof(state)) > 0 && !strcmp(state, "running"))
		f->restarted = true;
	if (strncmp(event, "crash ", 6))
		return;
	snprintf(req, sizeof(req), "trace %s crash", f->name);
	if (amp_client_request(f->ctl, req, body, sizeof(body), 60000))
		return; /* no trace buffer: nothing more to show */
	if (!f->restarted && !strncmp(body, f->last, old)) {
		follow_print(body + old);
	} else {
		follow_mark("trace at the crash");
		follow_print(body);
	}
	follow_mark("crashed");
	memcpy(f->last, body, strlen(body) + 1);
	f->restarted = false;
	fflush(stdout);
}

/* Every event already there; false when the watch ended (or a signal asked to stop). */
static bool follow_events(struct follow *f, int timeout_ms)
{
	char event[512];
	int ret;

	while ((ret = amp_client_next_event(f->watch, event, sizeof(event), timeout_ms)) > 0) {
		follow_event(f, event);
		timeout_ms = 0;
	}
	if (stop_requested)
		return false;
	if (ret == -EPIPE)
		refused(f->watch, "trace -f", ret);
	return true;
}

/*
 * -f: print what is added, as tail -f does. The trace buffer raises no event, so it is read
 * again every 250 ms, and at once when the processor changes state (a reboot starts a new
 * buffer: it is then printed whole). Ctrl-C or SIGTERM ends it.
 */
static int trace_follow(const char *name)
{
	static struct follow f;
	static char body[AMP_CLIENT_RESP_MAX + 1];
	char req[64];
	int ret;

	f.name = name;
	f.ctl = connect_or_exit();
	f.watch = connect_or_exit();
	if (amp_client_watch(f.watch))
		refused(f.watch, "watch", -EPIPE);
	stop_on_signals(f.watch);
	snprintf(req, sizeof(req), "trace %s", name);
	while (follow_events(&f, 0)) {
		size_t old = strlen(f.last);

		ret = amp_client_request(f.ctl, req, body, sizeof(body), 60000);
		if (ret == 0) {
			/* A buffer that is not the one followed: if the processor crashed meanwhile,
			 * its crash's event came before this answer, and its last lines go first. */
			if (!f.restarted && strncmp(body, f.last, old) && !follow_events(&f, 0))
				break;
			old = strlen(f.last);
			if (f.restarted || strncmp(body, f.last, old)) {
				if (old || f.restarted)
					follow_mark("trace restarted");
				follow_print(body);
			} else {
				follow_print(body + old);
			}
			f.restarted = false;
			fflush(stdout);
			memcpy(f.last, body, strlen(body) + 1);
		} else if (ret != -ENOENT) {
			refused(f.ctl, "trace", ret);
		}
		if (!follow_events(&f, 250))
			break;
	}
	amp_client_close(f.ctl);
	amp_client_close(f.watch);
	return stopped("trace -f", "");
}

static int cmd_trace(char **argv)
{
	bool follow = false, crash = false;
	const char *name = NULL;
	struct out o = {.json = true};
	char *body;

	for (; *argv; argv++) {
		if (!strcmp(*argv, "-f"))
			follow = true;
		else if (!strcmp(*argv, "--crash"))
			crash = true;
		else if (!name)
			name = *argv;
		else
			return -1;
	}
	if (!name || (follow && crash))
		return -1;
	if (follow && json)
		return text_only("trace -f", "text as it comes",
				 "trace --json NAME gives the buffer once");
	if (follow)
		return trace_follow(name);
	body = crash ? ask("trace %s crash", name) : ask("trace %s", name);
	if (!json) {
		fputs(body, stdout);
		return 0;
	}
	obj_begin(&o, NULL, "");
	field_s(&o, "proc", name);
	field_s(&o, "buffer", crash ? "crash" : "current");
	field_s(&o, "text", body);
	obj_end(&o);
	return 0;
}

static int cmd_watch(char **argv)
{
	struct amp_client *c = connect_or_exit();
	char line[2048], *tok, *save;
	struct out o;
	int ret;

	(void)argv;
	ret = amp_client_watch(c);
	if (ret)
		refused(c, "watch", ret);
	stop_on_signals(c);
	/* Line-buffered: a script reading our stdout sees each event as it comes. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		ret = amp_client_next_event(c, line, sizeof(line), -1);
		if (stop_requested) {
			amp_client_close(c);
			return stopped("watch", "");
		}
		if (ret == -EINTR)
			continue; /* another signal's */
		if (ret < 0)
			break;
		if (!json) {
			puts(line);
			continue;
		}
		/* One object per line: the kind, then every key as a string (values decoded). */
		o = (struct out){.json = true};
		save = NULL;
		obj_begin(&o, NULL, "");
		tok = strtok_r(line, " ", &save);
		field_s(&o, "event", tok ? tok : "");
		while ((tok = strtok_r(NULL, " ", &save))) {
			char *eq = strchr(tok, '=');

			if (!eq || strspn(tok, "abcdefghijklmnopqrstuvwxyz_-") != (size_t)(eq - tok))
				continue; /* not a key this output can name safely */
			*eq = 0;
			decode(eq + 1);
			field_s(&o, tok, eq + 1);
		}
		obj_end(&o);
	}
	refused(c, "watch", ret);
	return EXIT_NO_DAEMON;
}

/* --- topology ----------------------------------------------------------------------------- */

/* One processor's lines: proc, then its channels, then its client endpoints. */
static void topo_proc(struct out *o, char **lines, unsigned int n, bool dot)
{
	const char *pv[PROC_KEYS], *cv[CHANNEL_KEYS], *ev[EPT_KEYS];
	unsigned int i, j, v, vdevs = 0;
	char pl[1024];

	/* parse_kv() cuts the line it parses: each record is parsed from a copy. */
	snprintf(pl, sizeof(pl), "%s", lines[0] + 5);
	parse_kv(pl, proc_keys, PROC_KEYS, pv);
	for (i = 1; i < n; i++) {
		char num[16];
		unsigned long idx;

		/* The rproc core numbers vdevs from 0; more than 32 is not a table we would load. */
		if (!strncmp(lines[i], "channel ", 8) &&
		    amp_record_get(lines[i], "vdev", num, sizeof(num)) > 0 &&
		    (idx = strtoul(num, NULL, 0)) < 32)
			vdevs |= 1u << idx;
	}
	if (dot) {
		printf("  \"%s\" [shape=box, label=\"%s\\n%s\"];\n", pv[0], pv[0], pv[1]);
	} else if (o->json) {
		obj_begin(o, NULL, "");
		record_json(o, proc_keys, PROC_KEYS, PROC_NUMERIC, pv);
		arr_begin(o, "vdevs");
	} else {
		printf("%s (%s, %s, %s)\n", pv[0], pv[1], platform_words(pv[8]), pv[2]);
	}
	for (v = 0; v < 32; v++) {
		if (!(vdevs & (1u << v)))
			continue;
		if (dot) {
			printf("  \"%s/vdev%u\" [label=\"vdev%u\"];\n  \"%s\" -> \"%s/vdev%u\";\n",
			       pv[0], v, v, pv[0], pv[0], v);
		} else if (o->json) {
			obj_begin(o, NULL, "");
			field_u(o, "index", v, false);
			arr_begin(o, "channels");
		} else {
			printf("└─ vdev%u\n", v);
		}
		for (i = 1; i < n; i++) {
			char tmp[1024];

			if (strncmp(lines[i], "channel ", 8))
				continue;
			snprintf(tmp, sizeof(tmp), "%s", lines[i] + 8);
			parse_kv(tmp, channel_keys, CHANNEL_KEYS, cv);
			if (strtoul(cv[0], NULL, 0) != v)
				continue;
			/* Graph ids are made of numbers only: the name the remote chose goes into
			 * the label, escaped. */
			if (dot) {
				unsigned long dst = strtoul(cv[3], NULL, 0);

				printf("  \"%s/%u/0x%lx\" [shape=ellipse, label=\"", pv[0], v, dst);
				print_safe(cv[1], 0);
				printf("\\n0x%lx\"];\n  \"%s/vdev%u\" -> \"%s/%u/0x%lx\";\n", dst, pv[0],
				       v, pv[0], v, dst);
			} else if (o->json) {
				obj_begin(o, NULL, "");
				record_json(o, channel_keys + 1, CHANNEL_KEYS - 1,
					    CHANNEL_NUMERIC >> 1, cv + 1);
				arr_begin(o, "endpoints");
			} else {
				printf("   └─ ");
				print_safe(cv[1], 0);
				printf(" (remote 0x%lx", strtoul(cv[3], NULL, 0));
				if (strcmp(cv[4], "-"))
					printf(", driver %s at %s", cv[4], cv[2]);
				printf(")\n");
			}
			for (j = 1; j < n; j++) {
				char e[1024];

				if (strncmp(lines[j], "endpoint ", 9))
					continue;
				snprintf(e, sizeof(e), "%s", lines[j] + 9);
				parse_kv(e, ept_keys, EPT_KEYS, ev);
				if (strtoul(ev[1], NULL, 0) != v || strcmp(ev[2], cv[1]))
					continue;
				if (dot) {
					unsigned long src = strtoul(ev[3], NULL, 0);

					printf("  \"%s/ept0x%lx\" [shape=point];\n  \"%s/%u/0x%lx\" -> "
					       "\"%s/ept0x%lx\" [label=\"0x%lx pid %ld\"];\n",
					       pv[0], src, pv[0], v, strtoul(cv[3], NULL, 0), pv[0], src,
					       src, strtol(ev[6], NULL, 10));
				} else if (o->json) {
					obj_begin(o, NULL, "");
					record_json(o, ept_keys + 3, EPT_KEYS - 3, EPT_NUMERIC >> 3,
						    ev + 3);
					obj_end(o);
				} else {
					printf("      └─ endpoint %s -> %s, pid %s: %s in, %s out, "
					       "%s dropped\n",
					       ev[3], ev[4], ev[6], ev[7], ev[8], ev[9]);
				}
			}
			if (o->json && !dot) {
				arr_end(o);
				obj_end(o);
			}
		}
		if (o->json && !dot) {
			arr_end(o);
			obj_end(o);
		}
	}
	if (o->json && !dot) {
		arr_end(o);
		obj_end(o);
	}
}

static int cmd_topology(char **argv)
{
	bool dot = false;
	const char *name = NULL;
	char *body, *lines[1024], *save = NULL, *l;
	unsigned int n = 0, i, start;
	struct out o = {.json = json};

	for (; *argv; argv++) {
		if (!strcmp(*argv, "--dot"))
			dot = true;
		else if (!name)
			name = *argv;
		else
			return -1;
	}
	if (dot && json)
		return text_only("topology --dot", "a Graphviz graph",
				 "topology --json gives the tree");
	body = name ? ask("topology %s", name) : ask("topology");
	for (l = strtok_r(body, "\n", &save); l && n < 1024; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	if (dot)
		printf("digraph amp {\n  rankdir=LR;\n");
	else if (json)
		printf("{\"processors\": [");
	o.depth = json ? 1 : 0;
	for (i = 0; i < n; i = start) {
		start = i + 1;
		if (strncmp(lines[i], "proc ", 5))
			continue;
		while (start < n && strncmp(lines[start], "proc ", 5))
			start++;
		topo_proc(&o, lines + i, start - i, dot);
	}
	if (dot)
		printf("}\n");
	else if (json)
		printf("]}\n");
	return 0;
}

/* --- messages ----------------------------------------------------------------------------- */

/* CHANNEL is PROC/NAME, or a NAME that one running processor has. */
static void resolve_channel(const char *spec, char *proc, size_t plen, char *name, size_t nlen)
{
	const char *slash = strchr(spec, '/');
	char *body, *line, *save = NULL, found[512] = "", procs[32][AMP_CLIENT_NAME_MAX];
	unsigned int hits = 0, nprocs = 0, i;

	if (slash) {
		snprintf(proc, plen, "%.*s", (int)(slash - spec), spec);
		snprintf(name, nlen, "%s", slash + 1);
		return;
	}
	snprintf(name, nlen, "%s", spec);
	/* Each running processor's channels on their own: one whose remote announced more than a
	 * response holds fails alone. */
	body = ask("ls");
	for (line = strtok_r(body, "\n", &save); line && nprocs < 32;
	     line = strtok_r(NULL, "\n", &save)) {
		char st[32];

		if (!strncmp(line, "proc ", 5) &&
		    amp_record_get(line, "name", procs[nprocs], sizeof(procs[0])) > 0 &&
		    amp_record_get(line, "state", st, sizeof(st)) > 0 && !strcmp(st, "running"))
			nprocs++;
	}
	for (i = 0; i < nprocs; i++) {
		static char chans[AMP_CLIENT_RESP_MAX + 1];
		struct amp_client *c = connect_or_exit();
		char req[64], v[64];

		snprintf(req, sizeof(req), "channels %.31s", procs[i]);
		if (amp_client_request(c, req, chans, sizeof(chans), 60000))
			chans[0] = 0;
		amp_client_close(c);
		for (line = strtok_r(chans, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (amp_record_get(line, "name", v, sizeof(v)) <= 0 || strcmp(v, spec))
				continue;
			if (hits++)
				strncat(found, " and ", sizeof(found) - strlen(found) - 1);
			strncat(found, procs[i], sizeof(found) - strlen(found) - 1);
			snprintf(proc, plen, "%.31s", procs[i]);
		}
	}
	if (hits == 1)
		return;
	if (!hits)
		fprintf(stderr, "ampctl: no running processor has a channel %s "
				"(ampctl topology lists them)\n", spec);
	else
		fprintf(stderr, "ampctl: %s is on %s: say which, as PROC/%s\n", spec, found, spec);
	exit(EXIT_REFUSED);
}

static struct amp_client *open_channel(const char *spec, struct amp_endpoint_info *info)
{
	char proc[64], name[64];
	struct amp_client *c;
	int ret;

	resolve_channel(spec, proc, sizeof(proc), name, sizeof(name));
	c = connect_or_exit();
	ret = amp_client_open_endpoint(c, proc, name, AMP_CLIENT_ADDR_ANY, AMP_CLIENT_ADDR_ANY, info);
	if (ret)
		refused(c, spec, ret);
	return c;
}

static void print_message(const uint8_t *m, int len)
{
	struct out o = {.json = json};
	char text[1024], hex[2 * 512 + 1];
	bool printable = true;
	int i;

	for (i = 0; i < len; i++) {
		printable &= (m[i] >= 0x20 && m[i] <= 0x7e) || m[i] == '\t' || m[i] == '\n' ||
			     (m[i] == 0 && i == len - 1);
		snprintf(hex + 2 * i, 3, "%02x", m[i]);
		text[i] = (char)m[i];
	}
	text[len] = 0;
	if (json) {
		obj_begin(&o, NULL, "");
		field_u(&o, "len", (uint64_t)len, false);
		field_s(&o, "hex", hex);
		if (printable)
			field_s(&o, "text", text);
		obj_end(&o);
	} else if (printable) {
		printf("%s\n", text);
	} else {
		printf("[%d bytes] %s\n", len, hex);
	}
	fflush(stdout);
}

/* --hex MESSAGE: pairs of hex digits, optionally separated by a space or a colon each
 * ("48656c6c6f", "48:65:6c", "00 ff"); the bytes' count, or -1. */
static int parse_hex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*hex) {
		int hi = hexval(hex[0]), lo = hi < 0 ? -1 : hexval(hex[1]);

		if (lo < 0 || n == max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
		if ((*hex == ' ' || *hex == ':') && hex[1])
			hex++;
	}
	return (int)n;
}

static int cmd_send(char **argv)
{
	static uint8_t bytes[AMP_CLIENT_RESP_MAX];
	const char *spec = NULL, *msg = NULL;
	struct amp_endpoint_info info;
	struct amp_client *c;
	bool hex = false;
	const void *data;
	size_t len;
	int ret;

	for (; *argv; argv++) {
		if (!strcmp(*argv, "--hex"))
			hex = true;
		else if (!spec)
			spec = *argv;
		else if (!msg)
			msg = *argv;
		else
			return -1;
	}
	if (!msg)
		return -1;
	/* Checked before anything is opened: a bad message is a usage error, not a refusal. */
	if (hex && (ret = parse_hex(msg, bytes, sizeof(bytes))) < 0) {
		fprintf(stderr, "ampctl: send --hex: %s is not bytes in hex (e.g. 48656c6c6f or "
				"48:65:6c)\n", msg);
		return EXIT_USAGE;
	}
	data = hex ? (const void *)bytes : msg;
	len = hex ? (size_t)ret : strlen(msg);
	c = open_channel(spec, &info);
	if (len == 0 || len > (size_t)info.mtu) {
		fprintf(stderr, "ampctl: send: a message is 1 to %d bytes\n", info.mtu);
		return EXIT_USAGE;
	}
	ret = amp_client_send(c, data, len);
	if (ret)
		refused(c, "send", ret);
	amp_client_close(c);
	return 0;
}

/* Options of listen and echo-test: -n COUNT, -t SECONDS, -s SIZE. */
static int num_opt(char **argv, const char *opt, long dflt, long min, long max)
{
	for (; *argv; argv++) {
		char *end;
		long v;

		if (strcmp(*argv, opt) || !argv[1])
			continue;
		v = strtol(argv[1], &end, 10);
		if (*end || v < min || v > max) {
			fprintf(stderr, "ampctl: %s takes a number from %ld to %ld\n", opt, min, max);
			exit(EXIT_USAGE);
		}
		return (int)v;
	}
	return (int)dflt;
}

static int cmd_listen(char **argv)
{
	int count = num_opt(argv + 1, "-n", 0, 1, 1000000000);
	int secs = num_opt(argv + 1, "-t", 0, 1, 86400), got = 0;
	struct amp_endpoint_info info;
	struct amp_client *c = open_channel(argv[0], &info);
	uint8_t msg[512];
	char **a;

	/* --send MESSAGE first: a remote that answers whoever wrote to it learns our address. */
	for (a = argv + 1; *a; a++) {
		if (strcmp(*a, "--send") || !a[1])
			continue;
		if (!a[1][0] || strlen(a[1]) > (size_t)info.mtu) {
			fprintf(stderr, "ampctl: listen: a message is 1 to %d bytes\n", info.mtu);
			return EXIT_USAGE;
		}
		if (amp_client_send(c, a[1], strlen(a[1])))
			refused(c, "listen --send", -EPIPE);
	}
	stop_on_signals(c);
	while (!count || got < count) {
		ssize_t n = amp_client_recv(c, msg, sizeof(msg), secs ? secs * 1000 : -1);
		char said[64];

		if (stop_requested) {
			amp_client_close(c);
			snprintf(said, sizeof(said), " after %d message%s", got, got == 1 ? "" : "s");
			return stopped("listen", said);
		}
		if (n == -ETIMEDOUT) {
			fprintf(stderr, "ampctl: listen: nothing for %d s\n", secs);
			return EXIT_REFUSED;
		}
		if (n == -EINTR)
			continue; /* another signal's (a stop and a continue) */
		if (n == -EPIPE) {
			fprintf(stderr, "ampctl: listen: the channel went (the remote withdrew it, "
					"stopped or crashed)\n");
			return EXIT_REFUSED;
		}
		if (n < 0)
			refused(c, "listen", (int)n);
		print_message(msg, (int)n);
		got++;
	}
	amp_client_close(c);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Round trips through ampd to an echoing remote: each reply must be the message sent. */
static int cmd_echo_test(char **argv)
{
	int count = num_opt(argv + 1, "-n", 1000, 1, 10000000);
	int size = num_opt(argv + 1, "-s", 16, 1, 496);
	struct amp_endpoint_info info;
	struct amp_client *c = open_channel(argv[0], &info);
	uint8_t out[512], in[512];
	uint64_t *lat = calloc((size_t)count, sizeof(*lat)), total = 0;
	struct out o = {.json = json};
	int i;

	if (!lat || size > info.mtu) {
		fprintf(stderr, "ampctl: echo-test: -s is at most the MTU, %d\n", info.mtu);
		return EXIT_USAGE;
	}
	for (i = 0; i < count; i++) {
		uint64_t t0;
		ssize_t n;
		int k, ret;

		for (k = 0; k < size; k++)
			out[k] = (uint8_t)(i * 31 + k);
		t0 = now_ns();
		ret = amp_client_send(c, out, (size_t)size);
		if (ret)
			refused(c, "echo-test", ret);
		n = amp_client_recv(c, in, sizeof(in), 5000);
		if (n < 0)
			refused(c, "echo-test: waiting for the echo", (int)n);
		lat[i] = now_ns() - t0;
		total += lat[i];
		if (n != size || memcmp(in, out, (size_t)size)) {
			fprintf(stderr, "ampctl: echo-test: reply %d differs from what was sent "
					"(%zd bytes back, %d sent)\n", i, n, size);
			return EXIT_REFUSED;
		}
	}
	amp_client_close(c);
	qsort(lat, (size_t)count, sizeof(*lat), cmp_u64);
	obj_begin(&o, NULL, "echo-test");
	field_s(&o, "channel", argv[0]);
	field_u(&o, "count", (uint64_t)count, false);
	field_u(&o, "size", (uint64_t)size, false);
	field_u(&o, "min_ns", lat[0], false);
	field_u(&o, "median_ns", lat[count / 2], false);
	field_u(&o, "p99_ns", lat[(size_t)count * 99 / 100], false);
	field_u(&o, "max_ns", lat[count - 1], false);
	field_u(&o, "mean_ns", total / (uint64_t)count, false);
	obj_end(&o);
	free(lat);
	return 0;
}

static int cmd_inspect_argv(char **argv)
{
	return cmd_inspect(argv[0], json);
}

/* --- commands ----------------------------------------------------------------------------- */

static const struct command {
	const char *word;
	int min, max; /* arguments */
	int (*run)(char **argv);
	const char *args, *summary, *help;
	bool silent; /* prints nothing when it succeeds, with --json or without */
} commands[] = {
	{"ls", 0, 0, cmd_ls, "", "the processors, one line each",
	 "One line per processor (--json: {\"processors\": [...]}); ERROR says why its last\n"
	 "start or recovery failed, or the daemon's own try (auto-boot, automatic recovery).\n",
	 false},
	{"status", 1, 1, cmd_status, "NAME", "one processor",
	 "As ls, for one processor, with the reason its last start or recovery failed.\n", false},
	{"start", 1, 1, cmd_start, "NAME", "power it on: load its firmware, boot",
	 "Fails with EALREADY when it is already started; a firmware refused says why (not\n"
	 "found: where it was looked for; a segment outside the processor's memory...).\n", true},
	{"stop", 1, 1, cmd_stop, "NAME", "power it off",
	 "Its channels and every endpoint on them go.\n", true},
	{"firmware", 1, 2, cmd_firmware, "NAME [FILE]", "show or set the firmware file",
	 "FILE is a name in the daemon's firmware directories; it can only be set while the\n"
	 "processor is offline (as Linux's sysfs firmware attribute).\n", false},
	{"recovery", 2, 2, cmd_recovery, "NAME on|off|now", "automatic recovery; now: recover",
	 "on/off: whether a crash is followed by a reboot; now: recover a crashed processor\n"
	 "(after too many crashes in a row automatic recovery stops: status says so).\n", true},
	{"crash", 1, 1, cmd_crash, "NAME", "report a crash (recovery follows when on)",
	 "As a watchdog would: the core is stopped, its trace and coredump kept.\n", true},
	{"trace", 1, 2, cmd_trace, "[-f] [--crash] NAME", "the firmware's trace buffer",
	 "After a crash or stop, what it held then. --crash: what it held at the last crash,\n"
	 "kept after the processor was recovered. -f: keep printing what is added (read\n"
	 "every 250 ms and at each state change, and the last lines before a crash) until\n"
	 "Ctrl-C or SIGTERM.\n", false},
	{"coredump", 1, 2, cmd_coredump, "NAME [on|off]", "coredumps: show, enable, disable",
	 "When on, a crash writes an ELF core file of the processor's memory and registers\n"
	 "into the daemon's --coredump-dir (gdb FIRMWARE.elf CORE shows the backtrace); this\n"
	 "shows the mode, the directory, the last file, and why the last one failed.\n", false},
	{"rsc", 1, 1, cmd_rsc, "NAME", "the loaded resource table, decoded",
	 "The table as it is now in the processor's memory (the remote may have written\n"
	 "to it), checked and decoded as inspect decodes a firmware's.\n", false},
	{"topology", 0, 2, cmd_topology, "[NAME] [--dot]", "processor -> vdev -> channel -> endpoint",
	 "A tree; --dot prints a Graphviz graph instead (ampctl topology --dot | dot -Tpng).\n",
	 false},
	{"channels", 1, 1, cmd_channels, "NAME", "its rpmsg channels: addresses, driver",
	 "One line per channel the remote announced (or the host made).\n", false},
	{"send", 2, 3, cmd_send, "[--hex] CHANNEL MESSAGE", "send MESSAGE on CHANNEL",
	 "CHANNEL is PROC/NAME, or a NAME that one running processor has. MESSAGE is sent as\n"
	 "its bytes, or with --hex as the bytes its hex digits say (48656c6c6f, 48:65:6c).\n"
	 "An endpoint is opened for the message and closed after it.\n", true},
	{"listen", 1, 7, cmd_listen, "CHANNEL [-n COUNT] [-t SECONDS] [--send MESSAGE]",
	 "print messages from CHANNEL",
	 "Opens an endpoint and prints each message (text, or hex when not printable; --json:\n"
	 "one object per line). -n: stop after COUNT; -t: fail after SECONDS of silence;\n"
	 "--send: send MESSAGE first (a remote answers the address that wrote to it).\n"
	 "Ctrl-C or SIGTERM stops it (exit status 0).\n", false},
	{"echo-test", 1, 5, cmd_echo_test, "CHANNEL [-n COUNT] [-s SIZE]",
	 "round trips to an echoing remote, timed",
	 "Sends COUNT (default 1000) messages of SIZE (default 16) bytes one at a time, checks\n"
	 "each echo, and prints min, median, p99, max and mean in ns.\n", false},
	{"watch", 0, 0, cmd_watch, "", "print events as they happen",
	 "Processor state changes, crashes, failures of the daemon's own tries, channels\n"
	 "coming and going; one line each (--json: one object per line, every value a\n"
	 "string). Ctrl-C or SIGTERM stops it (exit status 0).\n", false},
	{"version", 0, 0, cmd_version, "", "the daemon's protocol and version",
	 "", false},
	{"inspect", 1, 1, cmd_inspect_argv, "FIRMWARE", "decode a firmware ELF (needs no daemon)",
	 "ELF32 or ELF64, any machine: segments, entry point, and every resource-table entry\n"
	 "with all its fields, after the checks the loader makes; a refused file gets the\n"
	 "loader's reason.\n", false},
};

#define NUM_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Where the descriptions of ampctl --help start, and where its lines end at most. */
#define HELP_COL 32
#define HELP_WIDTH 80

/* "  LEFT  TEXT", TEXT at HELP_COL (on the next line when LEFT is too long for that), each of
 * its lines there. */
static void help_line(FILE *f, const char *left, const char *text)
{
	int n = fprintf(f, "  %s", left);

	while (*text) {
		size_t len = strcspn(text, "\n");

		if (n >= HELP_COL) {
			fputc('\n', f);
			n = 0;
		}
		fprintf(f, "%*s%.*s\n", HELP_COL - n, "", (int)len, text);
		n = 0;
		text += len + (text[len] == '\n');
	}
	if (n)
		fputc('\n', f);
}

/* @text's words in lines shorter than HELP_WIDTH: its own line breaks are spaces, so that a
 * text edited later cannot make a line too long. */
static void print_wrapped(FILE *f, const char *text)
{
	int col = 0;

	for (;;) {
		size_t len;

		text += strspn(text, " \n");
		if (!*text)
			break;
		len = strcspn(text, " \n");
		if (col && col + 1 + (int)len >= HELP_WIDTH) {
			fputc('\n', f);
			col = 0;
		} else if (col) {
			fputc(' ', f);
			col++;
		}
		col += fprintf(f, "%.*s", (int)len, text);
		text += len;
	}
	if (col)
		fputc('\n', f);
}

static void usage(FILE *f)
{
	char left[96], json_cmds[HELP_WIDTH];
	size_t i, used = 0;

	fprintf(f, "usage: ampctl [--socket PATH] [--json] COMMAND [ARGS]\n"
		   "       ampctl COMMAND --help | --help | --version\n");
	for (i = 0; i < NUM_COMMANDS; i++) {
		snprintf(left, sizeof(left), "%s %s", commands[i].word, commands[i].args);
		help_line(f, left, commands[i].summary);
	}
	help_line(f, "--socket PATH", "ampd's socket (default $AMPD_SOCKET,\nelse "
				     AMP_CLIENT_DEFAULT_SOCKET ")");
	help_line(f, "--json", "JSON output, from the commands that print:");
	/* Their names, as many a line as fit. */
	for (i = 0; i < NUM_COMMANDS; i++) {
		const char *w = commands[i].word;

		if (commands[i].silent)
			continue;
		if (used && HELP_COL + used + strlen(w) + 2 > HELP_WIDTH) {
			help_line(f, "", json_cmds);
			used = 0;
		}
		used += (size_t)snprintf(json_cmds + used, sizeof(json_cmds) - used, "%s%s,",
					 used ? " " : "", w);
	}
	json_cmds[used - 1] = 0; /* the last comma */
	help_line(f, "", json_cmds);
	help_line(f, "", "(not trace -f, topology --dot); the others\nprint nothing");
	help_line(f, "--version", "ampctl's own version");
	help_line(f, "-h, --help", "this; COMMAND --help tells more of one");
	fprintf(f, "exit status: 0 done; 1 refused or failed (the reason is printed); 2 usage;\n"
		   "3 no daemon\n");
}

int main(int argc, char **argv)
{
	char *args[12] = {0};
	const struct command *cmd = NULL;
	bool help = false;
	int i, n = 0, ret;
	size_t k;

	/* Options anywhere; what is left is the command and its arguments. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			help = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock_path = argv[++i];
		else if (!strcmp(argv[i], "--version") && !n)
			n = -1;
		else if (n >= 0 && n < 11)
			args[n++] = argv[i];
		else if (n >= 0)
			n = 12;
	}
	if (n < 0) {
		printf("ampctl %s (protocol AMP1)\n", AMPCTL_VERSION_STRING);
		return 0;
	}
	for (k = 0; n && k < NUM_COMMANDS; k++)
		if (!strcmp(args[0], commands[k].word))
			cmd = &commands[k];
	if (help && cmd) {
		printf("usage: ampctl %s%s%s\n  %s\n", cmd->word, *cmd->args ? " " : "", cmd->args,
		       cmd->summary);
		print_wrapped(stdout, cmd->help);
		return 0;
	}
	if (help && !n) {
		usage(stdout);
		return 0;
	}
	if (!cmd) {
		if (n)
			fprintf(stderr, "ampctl: no command %s\n", args[0]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (n - 1 < cmd->min || n - 1 > cmd->max || (ret = cmd->run(args + 1)) < 0) {
		fprintf(stderr, "usage: ampctl %s %s\n", cmd->word, cmd->args);
		return EXIT_USAGE;
	}
	return ret;
}
