/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SoC description parser (docs/ampd-soc.md). libfdt checks the blob's structure once
 * (fdt_check_full); after that every property is still the file's word, so each is checked for
 * length, termination and range before it is used. Host layer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include <amp/errno.h>

#include "ampd/ampd_soc.h"

/* Where a platform's regions may lie: [min, end), @page aligned, at most @max bytes each. */
struct region_rule {
	uint64_t page, min, end, max;
	const char *what;
};

/*
 * The sim core maps each region at its device address in an ordinary process: page-aligned and
 * above the kernel's usual mmap_min_addr. Below 4 GiB, because the resource table's device
 * addresses (carveouts, vrings) are 32 bits. Each region is a memfd the host maps too; the cap
 * keeps a description from asking for absurd amounts.
 */
static const struct region_rule sim_rule = {0x1000, 0x10000, 1ull << 32, 1ull << 30,
					    "a sim region"};

/* The Cortex-M4's regions split its board's RAM, below the page the platform keeps (the
 * control page, <amp/qemu_m4.h>). */
static const struct region_rule qemu_m4_rule = {0x1000, 0x21000000, 0x21fff000, 0xfff000,
						"a qemu-m4 region"};

struct ctx {
	const void *fdt;
	char *why;
	size_t whylen;
	int resmem; /* /reserved-memory, or a negative libfdt error if there is none */
	int addr_cells, size_cells;
};

enum { REG_RAM, REG_POOL, NUM_REGS };
static const char *const reg_names[NUM_REGS] = {"ram", "pool"};

/* Keep only printable ASCII: node names and strings in the message come from the file. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

/* Say "<node path>: <sentence>" in why[] and return @err. */
__attribute__((format(printf, 4, 5))) static int fail(struct ctx *c, int node, int err,
						      const char *fmt, ...)
{
	char path[128];
	const char *name;
	va_list ap;
	size_t n;
	int ret;

	if (!c->whylen)
		return err;
	if (node < 0) {
		path[0] = '\0';
	} else if (fdt_get_path(c->fdt, node, path, sizeof(path))) {
		/* A path too deep or too long for the message: its last name still says which. */
		name = fdt_get_name(c->fdt, node, NULL);
		snprintf(path, sizeof(path), ".../%.100s", name ? name : "?");
	}
	ret = snprintf(c->why, c->whylen, "%s%s", path, path[0] ? ": " : "");
	n = ret < 0 ? 0 : (size_t)ret;
	if (n < c->whylen) {
		va_start(ap, fmt);
		vsnprintf(c->why + n, c->whylen - n, fmt, ap);
		va_end(ap);
	}
	sanitize(c->why);
	return err;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A number of one or two cells (the caller checked @cells). */
static uint64_t be_cells(const uint8_t *p, int cells)
{
	return cells == 2 ? (uint64_t)be32(p) << 32 | be32(p + 4) : be32(p);
}

/* The property's bytes and length, or NULL if it is absent. */
static const uint8_t *prop(struct ctx *c, int node, const char *name, int *len)
{
	const uint8_t *p = fdt_getprop(c->fdt, node, name, len);

	return p && *len >= 0 ? p : NULL;
}

/*
 * A property that is one string: NUL-terminated inside the property, no second string, not
 * empty, printable ASCII, shorter than @size. Returns 1 if absent, 0, or -AMP_EINVAL.
 */
static int prop_string(struct ctx *c, int node, const char *name, char *buf, size_t size)
{
	const uint8_t *p;
	int len, i;

	p = prop(c, node, name, &len);
	if (!p)
		return 1;
	if (len == 0 || p[len - 1] != '\0')
		return fail(c, node, -AMP_EINVAL, "property \"%s\" must be a NUL-terminated string",
			    name);
	if (len == 1)
		return fail(c, node, -AMP_EINVAL, "property \"%s\" is an empty string", name);
	for (i = 0; i < len - 1; i++) {
		if (p[i] == '\0')
			return fail(c, node, -AMP_EINVAL,
				    "property \"%s\" must be one string, not a list", name);
		if (p[i] < 0x20 || p[i] > 0x7e)
			return fail(c, node, -AMP_EINVAL,
				    "property \"%s\" has a byte that is not printable ASCII", name);
	}
	if ((size_t)len > size)
		return fail(c, node, -AMP_EINVAL, "property \"%s\" is longer than %zu characters",
			    name, size - 1);
	memcpy(buf, p, (size_t)len);
	return 0;
}

/*
 * A string list (compatible, memory-region-names): every string NUL-terminated and not empty.
 * Returns the number of strings, 0 if absent, or -AMP_EINVAL.
 */
static int prop_strings(struct ctx *c, int node, const char *name, const char **list, int *len)
{
	const uint8_t *p;
	int i, n = 0;

	p = prop(c, node, name, len);
	if (!p)
		return 0;
	if (*len == 0 || p[*len - 1] != '\0')
		return fail(c, node, -AMP_EINVAL,
			    "property \"%s\" must be NUL-terminated strings", name);
	for (i = 0; i < *len; i++) {
		if (p[i] == '\0' && (i == 0 || p[i - 1] == '\0'))
			return fail(c, node, -AMP_EINVAL, "property \"%s\" has an empty string",
				    name);
		n += p[i] == '\0';
	}
	*list = (const char *)p;
	return n;
}

/* Returns 1 if absent, 0 with *@val, or -AMP_EINVAL. */
static int prop_u32(struct ctx *c, int node, const char *name, uint32_t *val)
{
	const uint8_t *p;
	int len;

	p = prop(c, node, name, &len);
	if (!p)
		return 1;
	if (len != 4)
		return fail(c, node, -AMP_EINVAL,
			    "property \"%s\" must be one 32-bit cell (it has %d bytes)", name, len);
	*val = be32(p);
	return 0;
}

/* A u32 in [@min, @max] and a multiple of @step, into *@val; 0 (the default) when absent.
 * Returns 0, or -AMP_EINVAL. */
static int prop_u32_in(struct ctx *c, int node, const char *name, uint32_t min, uint32_t max,
		       uint32_t step, uint32_t *val)
{
	int ret = prop_u32(c, node, name, val);

	if (ret == 1)
		*val = 0;
	if (ret)
		return ret < 0 ? ret : 0;
	if (*val < min || *val > max || *val % step)
		return fail(c, node, -AMP_EINVAL,
			    "property \"%s\" is %u: from %u to %u, in steps of %u", name, *val, min,
			    max, step);
	return 0;
}

/* A boolean property: present and empty, or absent. Returns 0, or -AMP_EINVAL. */
static int prop_bool(struct ctx *c, int node, const char *name, bool *val)
{
	int len;

	*val = prop(c, node, name, &len) != NULL;
	if (*val && len != 0)
		return fail(c, node, -AMP_EINVAL,
			    "property \"%s\" is a boolean: present without a value, or absent",
			    name);
	return 0;
}

/* DT's convention: a node without "status", or with "okay", is in use; any other is not. */
static int node_enabled(struct ctx *c, int node, bool *enabled)
{
	char status[16];
	int ret = prop_string(c, node, "status", status, sizeof(status));

	if (ret < 0)
		return ret;
	*enabled = ret == 1 || !strcmp(status, "okay") || !strcmp(status, "ok");
	return 0;
}

static int read_model(struct ctx *c, struct ampd_soc *soc)
{
	int ret = prop_string(c, 0, "model", soc->model, sizeof(soc->model));

	if (ret == 1)
		soc->model[0] = '\0';
	return ret < 0 ? ret : 0;
}

/* /reserved-memory's cell sizes: required there (we do not guess the DT spec's defaults). */
static int read_resmem(struct ctx *c)
{
	static const char *const names[2] = {"#address-cells", "#size-cells"};
	int *cells[2] = {&c->addr_cells, &c->size_cells};
	uint32_t v;
	int i, ret;

	c->resmem = fdt_path_offset(c->fdt, "/reserved-memory");
	if (c->resmem == -FDT_ERR_NOTFOUND)
		return 0;
	if (c->resmem < 0)
		return fail(c, -1, -AMP_EBADMSG, "cannot look up /reserved-memory: %s",
			    fdt_strerror(c->resmem));
	for (i = 0; i < 2; i++) {
		ret = prop_u32(c, c->resmem, names[i], &v);
		if (ret < 0)
			return ret;
		if (ret == 1 || v < 1 || v > 2)
			return fail(c, c->resmem, -AMP_EINVAL,
				    "property \"%s\" must be 1 or 2 (cells of a region's reg)",
				    names[i]);
		*cells[i] = (int)v;
	}
	return 0;
}

/* The processor's name: its label, else its node name without the unit address. */
static int read_name(struct ctx *c, int node, struct ampd_soc_proc *p)
{
	const char *name;
	size_t len, i;
	int ret, nlen;

	ret = prop_string(c, node, "label", p->name, sizeof(p->name));
	if (ret < 0)
		return ret;
	if (ret == 1) {
		name = fdt_get_name(c->fdt, node, &nlen);
		if (!name || nlen < 0)
			return fail(c, node, -AMP_EBADMSG, "the node has no name");
		for (len = 0; len < (size_t)nlen && name[len] != '@'; len++)
			;
		if (len == 0 || len > AMPD_NAME_MAX)
			return fail(c, node, -AMP_EINVAL,
				    "the node name must be 1 to %d characters before any '@' "
				    "(or set \"label\")",
				    AMPD_NAME_MAX);
		memcpy(p->name, name, len);
		p->name[len] = '\0';
	}
	for (i = 0; p->name[i]; i++)
		if (!ampd_name_char(p->name[i]))
			return fail(c, node, -AMP_EINVAL,
				    "processor name \"%s\" (from %s) may have only letters, digits, "
				    "_ . -",
				    p->name, ret == 1 ? "the node name" : "\"label\"");
	return 0;
}

static int read_platform(struct ctx *c, int node, struct ampd_soc_proc *p)
{
	const char *list, *s;
	int n, len;

	n = prop_strings(c, node, "compatible", &list, &len);
	if (n < 0)
		return n;
	if (n == 0)
		return fail(c, node, -AMP_EINVAL, "property \"compatible\" is missing");
	/* DT lists the most specific first; the first one we know names the platform. */
	for (s = list; s < list + len; s += strlen(s) + 1) {
		if (!strcmp(s, AMPD_SOC_SIM_COMPATIBLE) || !strcmp(s, AMPD_SOC_QEMU_M4_COMPATIBLE) ||
		    !strcmp(s, AMPD_SOC_SHM_COMPATIBLE)) {
			snprintf(p->compatible, sizeof(p->compatible), "%s", s);
			return 0;
		}
	}
	return fail(c, node, -AMP_EOPNOTSUPP,
		    "property \"compatible\" names no platform this daemon knows (\"%.64s\"...; "
		    "known: " AMPD_SOC_SIM_COMPATIBLE ", " AMPD_SOC_QEMU_M4_COMPATIBLE
		    ", " AMPD_SOC_SHM_COMPATIBLE ")",
		    list);
}

static int read_firmware(struct ctx *c, int node, struct ampd_soc_proc *p)
{
	int ret = prop_string(c, node, "firmware-name", p->firmware, sizeof(p->firmware));

	if (ret < 0)
		return ret;
	if (ret == 1)
		return fail(c, node, -AMP_EINVAL, "property \"firmware-name\" is missing");
	/* A name in the firmware path, never a way out of it. */
	if (strchr(p->firmware, '/') || !strcmp(p->firmware, ".") || !strcmp(p->firmware, ".."))
		return fail(c, node, -AMP_EINVAL,
			    "property \"firmware-name\" must be a file name, without '/' "
			    "(\"%s\")",
			    p->firmware);
	return 0;
}

static int read_options(struct ctx *c, int node, struct ampd_soc_proc *p)
{
	char notify[16];
	bool no_recovery;
	uint32_t v;
	int ret;

	ret = prop_u32(c, node, "amp,cpu", &v);
	if (ret < 0)
		return ret;
	if (ret == 0 && v >= AMPD_SOC_CPU_LIMIT)
		return fail(c, node, -AMP_EINVAL,
			    "property \"amp,cpu\" is %u: CPUs are numbered below %d", v,
			    AMPD_SOC_CPU_LIMIT);
	p->cpu = ret == 0 ? (int)v : -1;

	/* A string too long or malformed gets the same answer as an unknown one. */
	ret = prop_string(c, node, "amp,notify", notify, sizeof(notify));
	if (ret == 1 || (ret == 0 && !strcmp(notify, "mailbox")))
		p->notify = SIM_NOTIFY_MAILBOX;
	else if (ret == 0 && !strcmp(notify, "poll"))
		p->notify = SIM_NOTIFY_POLL;
	else
		return fail(c, node, -AMP_EINVAL,
			    "property \"amp,notify\" must be the string \"mailbox\" or \"poll\"");

	ret = prop_u32(c, node, "amp,watchdog-ms", &v);
	if (ret < 0)
		return ret;
	if (ret == 0 && v > AMPD_SOC_WATCHDOG_MAX_MS)
		return fail(c, node, -AMP_EINVAL,
			    "property \"amp,watchdog-ms\" is %u: at most %u (an hour)", v,
			    AMPD_SOC_WATCHDOG_MAX_MS);
	p->watchdog_ms = ret == 0 ? v : 0;

	ret = prop_bool(c, node, "amp,auto-boot", &p->auto_boot);
	if (ret)
		return ret;
	ret = prop_bool(c, node, "amp,no-recovery", &no_recovery);
	p->recovery = !no_recovery;
	if (ret)
		return ret;

	/* rproc_set_vdev_buffers()'s bounds, said here with the node's name. */
	ret = prop_u32_in(c, node, "amp,rpmsg-buf-size", 24, 65544, 8, &p->buf_size);
	if (!ret)
		ret = prop_u32_in(c, node, "amp,rpmsg-num-bufs", 2, 65536, 2, &p->num_bufs);
	return ret;
}

/* A path property of amp,shm-rproc: absolute, no longer than @size - 1. 0 when absent. */
static int read_shm_path(struct ctx *c, int node, const char *name, char *buf, size_t size)
{
	int ret = prop_string(c, node, name, buf, size);

	if (ret == 1) {
		buf[0] = '\0';
		return 0;
	}
	if (!ret && buf[0] != '/')
		return fail(c, node, -AMP_EINVAL, "property \"%s\" must be an absolute path", name);
	return ret;
}

/*
 * amp,shm-rproc: the shared file and the socket (<amp/shm.h>); no firmware and no regions, its
 * memory is the file. Each value is checked here; the layout as a whole (areas inside the file,
 * not overlapping) when the daemon creates the processor.
 */
static int read_shm(struct ctx *c, int node, struct ampd_soc_proc *p)
{
	static const char *const not_read[] = {"firmware-name", "memory-region"};
	const uint8_t *cells;
	unsigned int i;
	int ret, len;

	for (i = 0; i < 2; i++)
		if (prop(c, node, not_read[i], &len))
			return fail(c, node, -AMP_EINVAL,
				    "property \"%s\" does not apply to " AMPD_SOC_SHM_COMPATIBLE
				    " (attached to, never loaded; its memory is amp,shm-file)",
				    not_read[i]);
	ret = read_shm_path(c, node, "amp,shm-file", p->shm.file, sizeof(p->shm.file));
	if (!ret)
		ret = read_shm_path(c, node, "amp,shm-socket", p->shm.socket, sizeof(p->shm.socket));
	if (!ret)
		ret = prop_bool(c, node, "amp,host-listens", &p->shm.host_listens);
	if (ret)
		return ret;
	ret = prop_u32_in(c, node, "amp,shm-size", 0x1000, SHM_MAX_SIZE, 1, &p->shm.size);
	if (!ret)
		ret = prop_u32_in(c, node, "amp,attach-timeout-ms", 1, AMPD_SOC_WATCHDOG_MAX_MS, 1,
				  &p->shm.attach_timeout_ms);
	if (!ret)
		ret = prop_u32_in(c, node, "amp,rsc-table", 0, UINT32_MAX, 1, &p->shm.rsc_da);
	if (ret)
		return ret;
	cells = prop(c, node, "amp,rpmsg-buffers", &len);
	if (cells && (len != 8 || !be32(cells + 4)))
		return fail(c, node, -AMP_EINVAL,
			    "property \"amp,rpmsg-buffers\" must be <address size>, two 32-bit "
			    "cells, the size not 0");
	p->shm.buf_da = cells ? be32(cells) : 0;
	p->shm.buf_len = cells ? be32(cells + 4) : 0;
	return 0;
}

/* The region @phandle refers to: a child of /reserved-memory with one reg entry, within what
 * the processor's platform (@compatible) allows. */
static int read_region(struct ctx *c, int node, const char *who, const char *compatible,
		       const char *role, uint32_t phandle, int *region, uint64_t *da,
		       uint64_t *len)
{
	const struct region_rule *rule =
		strcmp(compatible, AMPD_SOC_QEMU_M4_COMPATIBLE) ? &sim_rule : &qemu_m4_rule;
	const uint8_t *reg;
	bool enabled;
	int off, rlen, ret;

	off = fdt_node_offset_by_phandle(c->fdt, phandle);
	if (off < 0)
		return fail(c, node, -AMP_EINVAL,
			    "property \"memory-region\": the %s region's phandle 0x%x refers to no "
			    "node",
			    role, phandle);
	if (c->resmem < 0 || fdt_parent_offset(c->fdt, off) != c->resmem)
		return fail(c, node, -AMP_EINVAL,
			    "property \"memory-region\": the %s region's phandle refers to a node "
			    "that is not a child of /reserved-memory",
			    role);
	ret = node_enabled(c, off, &enabled);
	if (ret)
		return ret;
	if (!enabled)
		return fail(c, off, -AMP_EINVAL,
			    "the region is disabled (\"status\") but is the %s region of %s", role,
			    who);
	reg = prop(c, off, "reg", &rlen);
	if (!reg)
		return fail(c, off, -AMP_EINVAL,
			    "property \"reg\" is missing (regions placed at run time are not "
			    "supported)");
	if (rlen != (c->addr_cells + c->size_cells) * 4)
		return fail(c, off, -AMP_EINVAL,
			    "property \"reg\" must be one address of %d cells and one size of %d "
			    "cells (it has %d bytes)",
			    c->addr_cells, c->size_cells, rlen);
	*da = be_cells(reg, c->addr_cells);
	*len = be_cells(reg + c->addr_cells * 4, c->size_cells);
	if (*len == 0)
		return fail(c, off, -AMP_EINVAL, "property \"reg\" has a size of 0");
	if (*da + *len - 1 < *da)
		return fail(c, off, -AMP_EINVAL,
			    "property \"reg\" runs past the end of the address space");
	/* Not da + len > end: a region that ends exactly at 2^64 sums to 0. */
	if ((*da | *len) & (rule->page - 1) || *da < rule->min || *len > rule->max ||
	    *da >= rule->end || *len > rule->end - *da)
		return fail(c, off, -AMP_EINVAL,
			    "property \"reg\" (0x%llx, size 0x%llx) is not %s: 0x%llx aligned, at "
			    "most 0x%llx bytes, within [0x%llx, 0x%llx)",
			    (unsigned long long)*da, (unsigned long long)*len, rule->what,
			    (unsigned long long)rule->page, (unsigned long long)rule->max,
			    (unsigned long long)rule->min, (unsigned long long)rule->end);
	*region = off;
	return 0;
}

/*
 * memory-region: two phandles, ram and pool, in that order or named by memory-region-names.
 * @used holds the regions of the processors before this one (2 each).
 */
static int read_regions(struct ctx *c, int node, struct ampd_soc *soc, struct ampd_soc_proc *p,
			int *used)
{
	const uint8_t *phandles;
	const char *names = NULL, *s;
	uint64_t da[NUM_REGS], len[NUM_REGS];
	int n, nnames, plen, i, r, ret, slot[NUM_REGS] = {-1, -1};
	unsigned int j;

	phandles = prop(c, node, "memory-region", &plen);
	if (!phandles)
		return fail(c, node, -AMP_EINVAL, "property \"memory-region\" is missing");
	if (plen % 4)
		return fail(c, node, -AMP_EINVAL,
			    "property \"memory-region\" must be phandles (32-bit cells)");
	n = plen / 4;
	if (n != NUM_REGS)
		return fail(c, node, -AMP_EINVAL,
			    "property \"memory-region\" must list two regions, ram and pool (it "
			    "lists %d)",
			    n);
	nnames = prop_strings(c, node, "memory-region-names", &names, &plen);
	if (nnames < 0)
		return nnames;
	if (nnames == 0) {
		slot[REG_RAM] = 0;
		slot[REG_POOL] = 1;
	} else if (nnames != n) {
		return fail(c, node, -AMP_EINVAL,
			    "property \"memory-region-names\" has %d names for %d regions", nnames,
			    n);
	} else {
		for (i = 0, s = names; i < n; i++, s += strlen(s) + 1) {
			for (r = 0; r < NUM_REGS && strcmp(s, reg_names[r]); r++)
				;
			if (r == NUM_REGS)
				return fail(c, node, -AMP_EINVAL,
					    "property \"memory-region-names\": unknown name "
					    "\"%.32s\" (known: ram, pool)",
					    s);
			if (slot[r] >= 0)
				return fail(c, node, -AMP_EINVAL,
					    "property \"memory-region-names\" names %s twice", s);
			slot[r] = i;
		}
	}
	for (r = 0; r < NUM_REGS; r++) {
		int *region = &used[soc->num_procs * NUM_REGS + r];

		ret = read_region(c, node, p->name, p->compatible, reg_names[r],
				  be32(phandles + slot[r] * 4), region, &da[r], &len[r]);
		if (ret)
			return ret;
		/* A region is one memfd of one processor: sharing a node would read as shared
		 * memory, which the sim does not have. */
		for (j = 0; j < soc->num_procs * NUM_REGS + (unsigned int)r; j++)
			if (used[j] == *region)
				return fail(c, *region, -AMP_EEXIST,
					    "the region is used twice: as the %s region of %s and "
					    "the %s region of %s",
					    reg_names[j % NUM_REGS], soc->procs[j / NUM_REGS].name,
					    reg_names[r], p->name);
	}
	/* Addresses are the processor's own: only its own regions can collide. */
	if (da[REG_RAM] < da[REG_POOL] + len[REG_POOL] && da[REG_POOL] < da[REG_RAM] + len[REG_RAM])
		return fail(c, node, -AMP_EINVAL,
			    "property \"memory-region\": the ram region [0x%llx, +0x%llx) and the "
			    "pool region [0x%llx, +0x%llx) overlap",
			    (unsigned long long)da[REG_RAM], (unsigned long long)len[REG_RAM],
			    (unsigned long long)da[REG_POOL], (unsigned long long)len[REG_POOL]);
	p->ram_da = da[REG_RAM];
	p->ram_len = len[REG_RAM];
	p->pool_da = da[REG_POOL];
	p->pool_len = len[REG_POOL];
	return 0;
}

static int read_proc(struct ctx *c, int node, struct ampd_soc *soc, int *used)
{
	struct ampd_soc_proc *p = &soc->procs[soc->num_procs];
	unsigned int i;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = read_name(c, node, p);
	if (ret)
		return ret;
	for (i = 0; i < soc->num_procs; i++)
		if (!strcmp(soc->procs[i].name, p->name))
			return fail(c, node, -AMP_EEXIST,
				    "two processors are named \"%s\" (node name or \"label\")",
				    p->name);
	ret = read_platform(c, node, p);
	if (!ret)
		ret = read_options(c, node, p);
	if (ret)
		return ret;
	if (!strcmp(p->compatible, AMPD_SOC_SHM_COMPATIBLE)) {
		/* No regions: nothing for a later processor to collide with. */
		used[soc->num_procs * NUM_REGS + REG_RAM] = -1;
		used[soc->num_procs * NUM_REGS + REG_POOL] = -1;
		return read_shm(c, node, p);
	}
	ret = read_firmware(c, node, p);
	if (!ret)
		ret = read_regions(c, node, soc, p, used);
	return ret;
}

int ampd_soc_parse(const void *blob, size_t len, struct ampd_soc *soc, char *why, size_t whylen)
{
	struct ctx c = {.fdt = blob, .why = why, .whylen = whylen};
	int used[AMPD_SOC_MAX_PROCS * NUM_REGS];
	uint32_t total;
	bool enabled;
	int rp, node, ret;

	if (whylen)
		why[0] = '\0';
	/* libfdt reads the whole header before it compares totalsize with the buffer. */
	if (len < sizeof(struct fdt_header))
		return fail(&c, -1, -AMP_EBADMSG,
			    "not a flattened devicetree: %zu bytes, shorter than its header", len);
	/* Before any header field: libfdt's header macros are member accesses through the blob's
	 * pointer, already undefined behaviour on a misaligned one. */
	if ((uintptr_t)blob & 7)
		return fail(&c, -1, -AMP_EINVAL,
			    "the devicetree is not 8-byte aligned in memory, as libfdt requires");
	total = fdt_totalsize(blob);
	if (fdt_magic(blob) != FDT_MAGIC)
		return fail(&c, -1, -AMP_EBADMSG, "not a flattened devicetree (bad magic number)");
	/* Version 17 is what dtc has written since 2007, and the first whose header gives the
	 * structure block's size; libfdt 1.6.1's fdt_check_full() reads wild on some older ones
	 * (found by fuzz_ampd_soc). */
	if (fdt_version(blob) < 17)
		return fail(&c, -1, -AMP_EBADMSG,
			    "devicetree format version %u: only 17 and later are read (dtc writes "
			    "17)",
			    fdt_version(blob));
	if (total > len)
		return fail(&c, -1, -AMP_EBADMSG,
			    "the devicetree is truncated: its header says %u bytes, there are %zu",
			    total, len);
	ret = fdt_check_full(blob, total);
	if (ret)
		return fail(&c, -1, -AMP_EBADMSG, "not a valid flattened devicetree: %s",
			    fdt_strerror(ret));

	memset(soc, 0, sizeof(*soc));
	ret = read_model(&c, soc);
	if (!ret)
		ret = read_resmem(&c);
	if (ret)
		return ret;
	rp = fdt_path_offset(blob, "/remoteproc");
	if (rp == -FDT_ERR_NOTFOUND)
		return fail(&c, -1, -AMP_ENODEV,
			    "no /remoteproc node: the description has no processors");
	if (rp < 0)
		return fail(&c, -1, -AMP_EBADMSG, "cannot look up /remoteproc: %s",
			    fdt_strerror(rp));
	fdt_for_each_subnode(node, blob, rp) {
		ret = node_enabled(&c, node, &enabled);
		if (ret)
			return ret;
		if (!enabled)
			continue;
		if (soc->num_procs == AMPD_SOC_MAX_PROCS)
			return fail(&c, node, -AMP_E2BIG, "more than %d processors",
				    AMPD_SOC_MAX_PROCS);
		ret = read_proc(&c, node, soc, used);
		if (ret)
			return ret;
		soc->num_procs++;
	}
	if (node != -FDT_ERR_NOTFOUND)
		return fail(&c, rp, -AMP_EBADMSG, "cannot walk the processors: %s",
			    fdt_strerror(node));
	if (soc->num_procs == 0)
		return fail(&c, rp, -AMP_ENODEV, "no processors (no child node in use)");
	return 0;
}

void ampd_soc_default(struct ampd_soc *soc)
{
	static const struct {
		const char *name, *firmware;
	} builtin[2] = {
		{"sim0", "rpmsg-client-sample.elf"},
		{"sim1", "rpmsg-echo.elf"},
	};
	unsigned int i;

	memset(soc, 0, sizeof(*soc));
	snprintf(soc->model, sizeof(soc->model), "AMP simulated SoC (default)");
	soc->num_procs = 2;
	for (i = 0; i < soc->num_procs; i++) {
		struct ampd_soc_proc *p = &soc->procs[i];

		snprintf(p->name, sizeof(p->name), "%s", builtin[i].name);
		snprintf(p->compatible, sizeof(p->compatible), AMPD_SOC_SIM_COMPATIBLE);
		snprintf(p->firmware, sizeof(p->firmware), "%s", builtin[i].firmware);
		p->ram_da = SIM_DEFAULT_RAM_DA;
		p->ram_len = SIM_DEFAULT_RAM_LEN;
		p->pool_da = SIM_DEFAULT_POOL_DA;
		p->pool_len = SIM_DEFAULT_POOL_LEN;
		p->cpu = -1;
		p->notify = SIM_NOTIFY_MAILBOX;
		p->recovery = true;
	}
}
