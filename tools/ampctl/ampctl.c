/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ampctl: the command for people. Subcommands that talk to ampd over its socket (ls, status,
 * start, stop, crash, recovery, version), and one that needs no daemon:
 *   ampctl inspect FIRMWARE   decode a firmware ELF (ELF32 or ELF64, any machine): its
 *                             segments, entry point and every resource-table entry with all
 *                             its fields, after the same checks the loader makes.
 * Exit status: 0 done; 1 refused (by the daemon, or a firmware file); 2 usage; 3 no daemon.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <amp/amp.h>
#include <amp/rproc_elf.h>
#include <amp/rsc_table.h>
#include <amp/wire/byteorder.h>

#include "ampd/ampd_proto.h"
#include "util/amp_diag_format.h"

#define AMPD_DEFAULT_SOCKET "/run/ampd.sock"

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

/* --- talking to ampd ---------------------------------------------------------------------- */

/* Send @q, receive the whole response into @buf (NUL-terminated); exits 3 when nobody answers. */
static size_t request(const char *path, const struct ampd_req *q, char *buf, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 60};
	char req[AMPD_REQ_MAX + 1];
	int fd, n = ampd_req_format(q, req, sizeof(req));
	ssize_t got;

	if (n < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ampctl: bad request or socket path\n");
		exit(2);
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr,
			"ampctl: cannot reach ampd at %s: %s\n"
			"  is it running? start it with: ampd --socket %s (or set AMPD_SOCKET)\n",
			path, strerror(errno), path);
		exit(3);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n ||
	    (got = recv(fd, buf, len - 1, 0)) <= 0) {
		fprintf(stderr, "ampctl: ampd at %s did not answer: %s\n", path,
			strerror(errno ? errno : EPIPE));
		exit(3);
	}
	close(fd);
	buf[got] = 0;
	return (size_t)got;
}

/* The response's status line: returns the rest (after "AMP1 ok"), or reports the error. */
static char *response_body(char *resp, const struct ampd_req *q)
{
	static const char ok[] = AMPD_PROTO_TAG " ok", err[] = AMPD_PROTO_TAG " err ";

	if (!strncmp(resp, ok, sizeof(ok) - 1) && (resp[sizeof(ok) - 1] == 0 ||
						   resp[sizeof(ok) - 1] == '\n'))
		return resp + sizeof(ok) - 1;
	if (!strncmp(resp, err, sizeof(err) - 1)) {
		char *name = resp + sizeof(err) - 1, *msg = strchr(name, ' ');

		if (msg)
			*msg++ = 0;
		fprintf(stderr, "ampctl: %s%s%s: %s (%s)\n", ampd_verb_name(q->verb),
			q->name[0] ? " " : "", q->name, msg ? msg : "refused", name);
		exit(1);
	}
	fprintf(stderr, "ampctl: ampd sent something that is not an AMP1 response\n");
	exit(1);
}

#define PROC_KEYS 5
static const char *const proc_keys[PROC_KEYS] = {"name", "state", "firmware", "crashes",
						 "recovery"};
#define CHANNEL_KEYS 5
static const char *const channel_keys[CHANNEL_KEYS] = {"vdev", "name", "src", "dst", "driver"};

/* %XX back to the byte (the daemon encodes what the remote wrote), in place. */
static void decode(char *s)
{
	char *out = s;

	for (; *s; s++) {
		unsigned int c;

		if (*s == '%' && sscanf(s + 1, "%2x", &c) == 1 && s[1] && s[2]) {
			*out++ = (char)c;
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

/* A channel name as the remote wrote it, for a terminal: unprintable bytes as \xNN. */
static void print_safe(const char *s, int width)
{
	int n = 0;

	for (; *s; s++, n++) {
		if ((unsigned char)*s >= 0x20 && (unsigned char)*s <= 0x7e)
			putchar(*s);
		else
			n += printf("\\x%02x", (unsigned char)*s) - 1;
	}
	printf("%*s", width > n ? width - n : 0, "");
}

/*
 * The "<@kind> k=v ..." lines of @body, as JSON objects (the keys whose bit is set in @numeric
 * as numbers) in a list called @list (NULL: a single object), or each through @text.
 */
static void print_records(char *body, const char *kind, const char *const *keys,
			  unsigned int nkeys, unsigned int numeric, bool json, const char *list,
			  void (*text)(const char **v))
{
	struct out o = {.json = json};
	size_t klen = strlen(kind);
	char *line, *save = NULL;
	bool first = true;

	if (json && list)
		printf("{\"%s\": [", list);
	for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *v[8];
		unsigned int k;

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
		obj_begin(&o, NULL, NULL);
		for (k = 0; k < nkeys; k++) {
			if (numeric & (1u << k))
				field_u(&o, keys[k], strtoull(v[k], NULL, 0), false);
			else
				field_s(&o, keys[k], v[k]);
		}
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

static void proc_row(const char **v)
{
	printf("%-12s %-10s %-28s %-8s %s\n", v[0], v[1], v[2], v[3], v[4]);
}

static void proc_line(const char **v)
{
	printf("%s: %s, firmware %s, %s crashes, recovery %s\n", v[0], v[1], v[2], v[3], v[4]);
}

static void print_channels(char *body, bool json)
{
	if (!json)
		printf("%-5s %-32s %-10s %-10s %s\n", "VDEV", "CHANNEL", "SRC", "DST", "DRIVER");
	/* vdev, src and dst are numbers; name and driver strings */
	print_records(body, "channel", channel_keys, CHANNEL_KEYS, 1u << 0 | 1u << 2 | 1u << 3,
		      json, "channels", channel_text);
}

static void print_procs(char *body, bool json, bool one)
{
	if (!json && !one)
		printf("%-12s %-10s %-28s %-8s %s\n", "NAME", "STATE", "FIRMWARE", "CRASHES",
		       "RECOVERY");
	/* crashes is a number */
	print_records(body, "proc", proc_keys, PROC_KEYS, 1u << 3, json,
		      one ? NULL : "processors", one ? proc_line : proc_row);
}

static const struct {
	const char *word;
	enum ampd_verb verb;
	int args;
} daemon_cmds[] = {
	{"version", AMPD_VERSION, 0}, {"ls", AMPD_LS, 0},	  {"status", AMPD_STATUS, 1},
	{"start", AMPD_START, 1},     {"stop", AMPD_STOP, 1},	  {"crash", AMPD_CRASH, 1},
	{"recovery", AMPD_RECOVERY, 2}, {"trace", AMPD_TRACE, 1},  {"channels", AMPD_CHANNELS, 1},
};

static int cmd_daemon(const char *path, int argc, char **argv, bool json)
{
	static char resp[AMPD_RESP_MAX + 1];
	struct ampd_req q = {0};
	char *body;
	size_t i;

	for (i = 0; i < sizeof(daemon_cmds) / sizeof(daemon_cmds[0]); i++)
		if (!strcmp(argv[0], daemon_cmds[i].word))
			break;
	if (i == sizeof(daemon_cmds) / sizeof(daemon_cmds[0]) || argc != 1 + daemon_cmds[i].args)
		return -1;
	q.verb = daemon_cmds[i].verb;
	if (argc > 1) {
		if (strlen(argv[1]) > AMPD_NAME_MAX) {
			fprintf(stderr, "ampctl: no processor is called %s (ampctl ls lists them)\n",
				argv[1]);
			return 1;
		}
		strcpy(q.name, argv[1]);
	}
	if (argc > 2) {
		if (strcmp(argv[2], "on") && strcmp(argv[2], "off"))
			return -1;
		q.on = !strcmp(argv[2], "on");
	}
	request(path, &q, resp, sizeof(resp));
	body = response_body(resp, &q);
	if (q.verb == AMPD_LS || q.verb == AMPD_STATUS)
		print_procs(body, json, q.verb == AMPD_STATUS);
	else if (q.verb == AMPD_CHANNELS)
		print_channels(body, json);
	else if (q.verb == AMPD_VERSION || q.verb == AMPD_TRACE)
		fputs(body[0] == '\n' ? body + 1 : body, stdout);
	if (q.verb == AMPD_VERSION)
		putchar('\n');
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ampctl [--socket PATH] [--json] COMMAND [ARGS]\n"
		   "  ls                   the processors: name, state, firmware, crashes, recovery\n"
		   "  status NAME          one processor\n"
		   "  start NAME           power it on (load, boot)\n"
		   "  stop NAME            power it off\n"
		   "  crash NAME           report a crash (recovery follows when it is on)\n"
		   "  recovery NAME on|off automatic recovery after a crash\n"
		   "  version              the daemon's protocol and version\n"
		   "  trace NAME           the firmware's trace buffer (the last one after a crash)\n"
		   "  channels NAME        its rpmsg channels: name, addresses, bound driver\n"
		   "  inspect FIRMWARE     decode a firmware ELF offline (ELF32 or ELF64, any machine):\n"
		   "                       segments, entry point, every resource-table entry; no daemon\n"
		   "  --socket PATH        ampd's socket (default $AMPD_SOCKET, else %s)\n"
		   "  --json               ls, status, channels and inspect print JSON\n"
		   "exit status: 0 done; 1 refused (the reason is printed); 2 usage; 3 no daemon\n",
		AMPD_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	const char *path = getenv("AMPD_SOCKET");
	char *args[8];
	bool json = false;
	int i, n = 0, ret;

	if (!path)
		path = AMPD_DEFAULT_SOCKET;
	/* Options anywhere; what is left is the command and its arguments. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			path = argv[++i];
		} else if (n < 8) {
			args[n++] = argv[i];
		} else {
			n++;
		}
	}
	if (n == 2 && !strcmp(args[0], "inspect"))
		return cmd_inspect(args[1], json);
	if (n >= 1 && n <= 3 && (ret = cmd_daemon(path, n, args, json)) >= 0)
		return ret;
	usage(stderr);
	return 2;
}
