/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Coredump: an ELF core file (ET_CORE) of the processor's memory, in Linux's default format: one
 * PT_LOAD per segment (RWX), class and machine of the firmware, e_entry the boot address.
 * Segments are the firmware's loaded segments, carveouts, vrings and buffer pools; an unreadable
 * one is filled with 0xff; then what the platform adds outside device memory (ops->coredump_mem:
 * a stack its boot ROM gave the firmware). When the platform knows the core's registers
 * (ops->coredump_notes), a PT_NOTE segment comes first with its notes, so that a debugger shows
 * them and unwinds from them. The directory is checked when coredumps are enabled; a dump that
 * fails says why (rproc_last_coredump()). Host layer.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>

#include "remoteproc/remoteproc_internal.h"

/* Room for the platform's notes: a few NT_PRSTATUS-sized ones. */
#define RPROC_DUMP_NOTES_MAX 2048
/* Pieces of memory the platform may add outside device memory. */
#define RPROC_DUMP_MEM_MAX 4

struct rproc_dump_seg {
	uint64_t da;
	size_t len;
	const void *va; /* NULL: read through da_to_va */
};

static unsigned int rproc_dump_collect(struct rproc_private *p, struct rproc_dump_seg *segs,
				       unsigned int max)
{
	unsigned int n = 0, i, j;

	for (i = 0; i < p->num_segments && n < max; i++)
		segs[n++] = (struct rproc_dump_seg){p->segments[i].da, p->segments[i].len, NULL};
	for (i = 0; i < p->num_carveouts && n < max; i++)
		segs[n++] = (struct rproc_dump_seg){p->carveouts[i].da, p->carveouts[i].len, NULL};
	for (i = 0; i < p->num_vdevs; i++) {
		for (j = 0; j < p->vdevs[i].num_vrings && n < max; j++)
			segs[n++] = (struct rproc_dump_seg){p->vdevs[i].vring[j].mem.da,
							    p->vdevs[i].vring[j].mem.len, NULL};
		if (n < max)
			segs[n++] = (struct rproc_dump_seg){p->vdevs[i].bufs.da,
							    p->vdevs[i].bufs.len, NULL};
	}
	return n;
}

/* What the platform adds (ops->coredump_mem), after @n segments of @max. */
static unsigned int rproc_dump_collect_mem(struct rproc_private *p, struct rproc_dump_seg *segs,
					   unsigned int n, unsigned int max)
{
	struct rproc_dump_mem mem[RPROC_DUMP_MEM_MAX];
	int got, i;

	if (!p->ops->coredump_mem || n >= max)
		return n;
	got = p->ops->coredump_mem(p->rproc, mem, max - n < RPROC_DUMP_MEM_MAX
							  ? max - n
							  : RPROC_DUMP_MEM_MAX);
	for (i = 0; i < got && i < RPROC_DUMP_MEM_MAX && n < max; i++)
		if (mem[i].va && mem[i].len)
			segs[n++] = (struct rproc_dump_seg){mem[i].da, mem[i].len, mem[i].va};
	return n;
}

static int rproc_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	while (len) {
		ssize_t n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One program header, for either class. */
static void rproc_dump_phdr(bool is64, uint8_t *out, uint32_t type, uint32_t flags,
			    uint64_t offset, uint64_t da, uint64_t len)
{
	if (is64) {
		Elf64_Phdr h = {.p_type = type, .p_flags = flags, .p_offset = offset,
				.p_vaddr = da, .p_paddr = da, .p_filesz = len, .p_memsz = len,
				.p_align = type == PT_NOTE ? 4 : 0};
		memcpy(out, &h, sizeof(h));
	} else {
		Elf32_Phdr h = {.p_type = type, .p_flags = flags, .p_offset = (uint32_t)offset,
				.p_vaddr = (uint32_t)da, .p_paddr = (uint32_t)da,
				.p_filesz = (uint32_t)len, .p_memsz = (uint32_t)len,
				.p_align = type == PT_NOTE ? 4 : 0};
		memcpy(out, &h, sizeof(h));
	}
}

/* The headers, for either class: the notes' segment (@note_len bytes, 0: none) first, then
 * one per memory segment. The notes, then the segments' data, follow them in order. */
static size_t rproc_dump_headers(struct rproc_private *p, const struct rproc_dump_seg *segs,
				 unsigned int n, size_t note_len, uint8_t *out)
{
	bool is64 = p->elf_class != ELFCLASS32;
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	unsigned int nph = n + (note_len ? 1 : 0);
	uint64_t offset = ehsize + phsize * nph;
	unsigned int i;

	if (is64) {
		Elf64_Ehdr eh = {0};

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS64;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		eh.e_type = ET_CORE;
		eh.e_machine = p->elf_machine;
		eh.e_version = EV_CURRENT;
		eh.e_entry = p->rproc->bootaddr;
		eh.e_phoff = ehsize;
		eh.e_ehsize = (uint16_t)ehsize;
		eh.e_phentsize = (uint16_t)phsize;
		eh.e_phnum = (uint16_t)nph;
		memcpy(out, &eh, ehsize);
	} else {
		Elf32_Ehdr eh = {0};

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		eh.e_type = ET_CORE;
		eh.e_machine = p->elf_machine;
		eh.e_version = EV_CURRENT;
		eh.e_entry = (uint32_t)p->rproc->bootaddr;
		eh.e_phoff = (uint32_t)ehsize;
		eh.e_ehsize = (uint16_t)ehsize;
		eh.e_phentsize = (uint16_t)phsize;
		eh.e_phnum = (uint16_t)nph;
		memcpy(out, &eh, ehsize);
	}
	if (note_len) {
		rproc_dump_phdr(is64, out + ehsize, PT_NOTE, 0, offset, 0, note_len);
		offset += note_len;
	}
	for (i = 0; i < n; i++) {
		rproc_dump_phdr(is64, out + ehsize + phsize * (nph - n + i), PT_LOAD,
				PF_R | PF_W | PF_X, offset, segs[i].da, segs[i].len);
		offset += segs[i].len;
	}
	return ehsize + phsize * nph;
}

/* The last dump failed: why, for rproc_last_coredump(), and the log. Returns @err. */
static int rproc_dump_failed(struct rproc_private *p, int err, const char *fmt, ...)
	AMP_PRINTF(3, 4);

static int rproc_dump_failed(struct rproc_private *p, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->last_dump, sizeof(p->last_dump), fmt, ap);
	va_end(ap);
	p->last_dump_failed = true;
	amp_log(AMP_LOG_ERR, "%s: coredump: %s", p->name, p->last_dump);
	return err;
}

int rproc_coredump(struct rproc_private *p)
{
	struct rproc_dump_seg segs[RPROC_MAX_SEGMENTS * 2];
	uint8_t headers[sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) * (RPROC_MAX_SEGMENTS * 2 + 1)];
	uint8_t notes[RPROC_DUMP_NOTES_MAX];
	size_t note_len = 0;
	char path[sizeof(p->last_dump) - 64];
	unsigned int n, i;
	size_t hlen;
	int fd, err;

	n = rproc_dump_collect(p, segs, RPROC_MAX_SEGMENTS * 2);
	if (n)
		n = rproc_dump_collect_mem(p, segs, n, RPROC_MAX_SEGMENTS * 2);
	if (!n)
		return rproc_dump_failed(p, -AMP_ENODATA, "no memory segments to dump");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s-%u.core", p->dump_dir ? p->dump_dir : ".",
			     p->name, rproc_crash_count(p->rproc)) >= sizeof(path))
		return rproc_dump_failed(p, -AMP_ENAMETOOLONG, "the directory's path is too long");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
		return rproc_dump_failed(p, -err, "cannot create %s: %s", path, strerror(err));
	}
	if (p->ops->coredump_notes) {
		int ret = p->ops->coredump_notes(p->rproc, notes, sizeof(notes));

		note_len = ret > 0 && (size_t)ret <= sizeof(notes) ? (size_t)ret : 0;
	}
	hlen = rproc_dump_headers(p, segs, n, note_len, headers);
	if (rproc_write_all(fd, headers, hlen) || rproc_write_all(fd, notes, note_len))
		goto out_fail;
	for (i = 0; i < n; i++) {
		const void *va = segs[i].va ? segs[i].va
					    : p->ops->da_to_va(p->rproc, segs[i].da, segs[i].len);

		if (va) {
			if (rproc_write_all(fd, va, segs[i].len))
				goto out_fail;
		} else {
			uint8_t fill[4096];
			size_t left = segs[i].len;

			memset(fill, 0xff, sizeof(fill));
			while (left) {
				size_t k = left < sizeof(fill) ? left : sizeof(fill);

				if (rproc_write_all(fd, fill, k))
					goto out_fail;
				left -= k;
			}
		}
	}
	if (close(fd)) {
		fd = -1;
		goto out_fail;
	}
	snprintf(p->last_dump, sizeof(p->last_dump), "%s", path);
	p->last_dump_failed = false;
	amp_log(AMP_LOG_INFO, "%s: coredump written to %s", p->name, path);
	return 0;

out_fail:
	err = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(path);
	return rproc_dump_failed(p, -AMP_EIO, "writing %s failed: %s", path, strerror(err));
}

/* Whether a crash could write a file into @dir: 0, or why not. */
static int rproc_dump_dir_check(const char *dir)
{
	struct stat st;

	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -AMP_ENOTDIR;
	if (access(dir, W_OK | X_OK))
		return -errno;
	return 0;
}

int rproc_set_coredump(struct rproc *rproc, enum rproc_dump_mechanism mode, const char *dir)
{
	struct rproc_private *p = rproc_p(rproc);
	char *copy = NULL;
	int ret = 0;

	if (mode != RPROC_COREDUMP_DISABLED && mode != RPROC_COREDUMP_ENABLED)
		return -AMP_EINVAL;
	/* Checked now, not found out at the crash the dump was meant for. */
	if (mode == RPROC_COREDUMP_ENABLED && (ret = rproc_dump_dir_check(dir ? dir : ".")))
		return ret;
	if (dir && !(copy = strdup(dir)))
		return -AMP_ENOMEM;
	amp_mutex_lock(&p->lock);
	if (p->state == RPROC_CRASHED) {
		ret = -AMP_EBUSY;
		free(copy);
	} else {
		p->dump = mode;
		free(p->dump_dir);
		p->dump_dir = copy;
	}
	amp_mutex_unlock(&p->lock);
	return ret;
}

int rproc_last_coredump(struct rproc *rproc, char *buf, size_t len)
{
	struct rproc_private *p = rproc_p(rproc);
	size_t n;
	int ret;

	amp_mutex_lock(&p->lock);
	n = strlen(p->last_dump);
	if (!n) {
		ret = -AMP_ENOENT;
	} else if (n >= len) {
		ret = -AMP_ENOSPC;
	} else {
		memcpy(buf, p->last_dump, n + 1);
		ret = p->last_dump_failed ? -AMP_EIO : (int)n;
	}
	amp_mutex_unlock(&p->lock);
	return ret;
}
