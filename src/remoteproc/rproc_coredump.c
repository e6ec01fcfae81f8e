/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Coredump: an ELF core file (ET_CORE) of the processor's memory, in Linux's default format: one
 * PT_LOAD per segment (RWX), class and machine of the firmware, e_entry the boot address.
 * Segments are the firmware's loaded segments, carveouts, vrings and buffer pools; an unreadable
 * one is filled with 0xff. When the platform knows the core's registers (ops->coredump_notes), a
 * PT_NOTE segment comes first with its notes, so that a debugger shows them. Host layer.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>

#include "remoteproc/remoteproc_internal.h"

/* Room for the platform's notes: a few NT_PRSTATUS-sized ones. */
#define RPROC_DUMP_NOTES_MAX 2048

struct rproc_dump_seg {
	uint64_t da;
	size_t len;
};

static unsigned int rproc_dump_collect(struct rproc_private *p, struct rproc_dump_seg *segs,
				       unsigned int max)
{
	unsigned int n = 0, i, j;

	for (i = 0; i < p->num_segments && n < max; i++)
		segs[n++] = (struct rproc_dump_seg){p->segments[i].da, p->segments[i].len};
	for (i = 0; i < p->num_carveouts && n < max; i++)
		segs[n++] = (struct rproc_dump_seg){p->carveouts[i].da, p->carveouts[i].len};
	for (i = 0; i < p->num_vdevs; i++) {
		for (j = 0; j < p->vdevs[i].num_vrings && n < max; j++)
			segs[n++] = (struct rproc_dump_seg){p->vdevs[i].vring[j].mem.da,
							    p->vdevs[i].vring[j].mem.len};
		if (n < max)
			segs[n++] = (struct rproc_dump_seg){p->vdevs[i].bufs.da, p->vdevs[i].bufs.len};
	}
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

int rproc_coredump(struct rproc_private *p)
{
	struct rproc_dump_seg segs[RPROC_MAX_SEGMENTS * 2];
	uint8_t headers[sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) * (RPROC_MAX_SEGMENTS * 2 + 1)];
	uint8_t notes[RPROC_DUMP_NOTES_MAX];
	size_t note_len = 0;
	char path[sizeof(p->last_dump)];
	unsigned int n, i;
	size_t hlen;
	int fd;

	n = rproc_dump_collect(p, segs, RPROC_MAX_SEGMENTS * 2);
	if (!n) {
		amp_log(AMP_LOG_WARN, "%s: coredump: no memory segments to dump", p->name);
		return -AMP_ENODATA;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s-%u.core", p->dump_dir ? p->dump_dir : ".",
			     p->name, rproc_crash_count(p->rproc)) >= sizeof(path))
		return -AMP_ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		amp_log(AMP_LOG_ERR, "%s: coredump: cannot create %s: %s", p->name, path,
			strerror(errno));
		return -errno;
	}
	if (p->ops->coredump_notes) {
		int ret = p->ops->coredump_notes(p->rproc, notes, sizeof(notes));

		note_len = ret > 0 && (size_t)ret <= sizeof(notes) ? (size_t)ret : 0;
	}
	hlen = rproc_dump_headers(p, segs, n, note_len, headers);
	if (rproc_write_all(fd, headers, hlen) || rproc_write_all(fd, notes, note_len))
		goto out_fail;
	for (i = 0; i < n; i++) {
		const void *va = p->ops->da_to_va(p->rproc, segs[i].da, segs[i].len);

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
	close(fd);
	memcpy(p->last_dump, path, sizeof(path));
	amp_log(AMP_LOG_INFO, "%s: coredump written to %s", p->name, path);
	return 0;

out_fail:
	amp_log(AMP_LOG_ERR, "%s: coredump: writing %s failed: %s", p->name, path, strerror(errno));
	close(fd);
	unlink(path);
	return -AMP_EIO;
}
