/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Firmware files: the search path, reading a file, and handing it to the portable ELF and
 * resource-table parsers. Host layer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/rproc_elf.h>
#include <amp/rsc_table.h>

#include "remoteproc/remoteproc_internal.h"

/* Firmware files beyond this are refused before reading: no remote core has this much RAM. */
#define RPROC_FW_MAX_SIZE (256u << 20)

static struct amp_mutex rproc_fw_path_lock = AMP_MUTEX_INITIALIZER;
static char **rproc_fw_dirs;
static unsigned int rproc_fw_num_dirs;

int rproc_firmware_path_add(const char *dir)
{
	char **grown;
	char *copy;

	if (!dir || !*dir)
		return -AMP_EINVAL;
	copy = strdup(dir);
	if (!copy)
		return -AMP_ENOMEM;
	amp_mutex_lock(&rproc_fw_path_lock);
	grown = realloc(rproc_fw_dirs, sizeof(*grown) * (rproc_fw_num_dirs + 1));
	if (!grown) {
		amp_mutex_unlock(&rproc_fw_path_lock);
		free(copy);
		return -AMP_ENOMEM;
	}
	rproc_fw_dirs = grown;
	rproc_fw_dirs[rproc_fw_num_dirs++] = copy;
	amp_mutex_unlock(&rproc_fw_path_lock);
	return 0;
}

void rproc_firmware_path_reset(void)
{
	unsigned int i;

	amp_mutex_lock(&rproc_fw_path_lock);
	for (i = 0; i < rproc_fw_num_dirs; i++)
		free(rproc_fw_dirs[i]);
	free(rproc_fw_dirs);
	rproc_fw_dirs = NULL;
	rproc_fw_num_dirs = 0;
	amp_mutex_unlock(&rproc_fw_path_lock);
}

/*
 * Open without blocking and without side effects a firmware file should not have: a FIFO would
 * block open() until a writer came (with the processor's lock held), a terminal would become
 * our controlling one. What was opened is checked with fstat() before a byte is read.
 */
static int rproc_fw_open_path(const char *path)
{
	return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

/*
 * Where a name was looked for, for the message when it is found nowhere: each directory in
 * order (what does not fit is cut, with "..."), and the first failure that was not "no such
 * file" (a file there that cannot be opened says more than "not found").
 */
struct rproc_fw_search {
	char dirs[640];
	size_t used;
	int err;
	char err_path[256];
};

static void rproc_fw_searched(struct rproc_fw_search *s, const char *dir, size_t dir_len,
			      const char *why)
{
	size_t room = sizeof(s->dirs) - s->used;
	int n;

	if (room < 5)
		return;
	n = snprintf(s->dirs + s->used, room, "%s%.*s%s", s->used ? ", " : "", (int)dir_len, dir,
		     why);
	if (n < 0 || (size_t)n >= room) {
		memcpy(s->dirs + sizeof(s->dirs) - 5, "...", 4);
		s->used = sizeof(s->dirs) - 1;
		return;
	}
	s->used += (size_t)n;
}

/* Open @name in @dir (a run of @dir_len bytes, @why naming where the directory comes from);
 * -1 with errno set when it is not there. */
static int rproc_fw_open_in(const char *dir, size_t dir_len, const char *name, char *path,
			    size_t path_len, struct rproc_fw_search *s, const char *why)
{
	int fd;

	if (!dir_len)
		return -1;
	rproc_fw_searched(s, dir, dir_len, why);
	if ((size_t)snprintf(path, path_len, "%.*s/%s", (int)dir_len, dir, name) >= path_len) {
		errno = ENAMETOOLONG;
		fd = -1;
	} else {
		fd = rproc_fw_open_path(path);
	}
	if (fd < 0 && errno != ENOENT && errno != ENOTDIR && !s->err) {
		s->err = errno;
		snprintf(s->err_path, sizeof(s->err_path), "%.*s/%s", (int)dir_len, dir, name);
	}
	return fd;
}

/* Find the firmware along $AMP_FIRMWARE_PATH, the directories added, /lib/firmware, then the
 * sample firmwares installed with the library (or built beside it). */
static int rproc_fw_open(const char *name, char *path, size_t path_len,
			 struct rproc_fw_search *s)
{
	const char *env = getenv("AMP_FIRMWARE_PATH");
	char samples[4096];
	unsigned int i;
	int fd = -1;

	if (strchr(name, '/')) {
		snprintf(path, path_len, "%s", name);
		fd = rproc_fw_open_path(name);
		if (fd < 0) {
			s->err = errno;
			snprintf(s->err_path, sizeof(s->err_path), "%s", name);
		}
		return fd;
	}
	while (env && *env && fd < 0) {
		size_t n = strcspn(env, ":");

		fd = rproc_fw_open_in(env, n, name, path, path_len, s, " ($AMP_FIRMWARE_PATH)");
		env += n + (env[n] == ':');
	}
	amp_mutex_lock(&rproc_fw_path_lock);
	for (i = 0; i < rproc_fw_num_dirs && fd < 0; i++)
		fd = rproc_fw_open_in(rproc_fw_dirs[i], strlen(rproc_fw_dirs[i]), name, path,
				      path_len, s, "");
	amp_mutex_unlock(&rproc_fw_path_lock);
	if (fd < 0)
		fd = rproc_fw_open_in("/lib/firmware", 13, name, path, path_len, s, "");
	for (i = 0; fd < 0 && !amp_installed_path(AMP_INSTALLED_FIRMWARE_DIR, i, samples,
						  sizeof(samples));
	     i++)
		fd = rproc_fw_open_in(samples, strlen(samples), name, path, path_len, s,
				      " (the sample firmwares)");
	return fd;
}

static const char *rproc_fw_file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a file";
}

/* Read exactly the @size bytes fstat() reported; a file that changes meanwhile is refused. */
static int rproc_fw_read(struct rproc_private *p, int fd, const char *path, const struct stat *st,
			 uint8_t *buf, size_t size)
{
	struct stat after;
	size_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rproc_fail(p, -AMP_EIO, "reading %s failed at byte %zu: %s", path, done,
					  strerror(errno));
		if (n == 0)
			break;
		done += (size_t)n;
	}
	/* Someone writing the file in place while we read it leaves a torn image. */
	if (done != size || fstat(fd, &after) || after.st_size != st->st_size ||
	    after.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != st->st_mtim.tv_nsec)
		return rproc_fail(p, -AMP_EAGAIN,
				  "%s changed while it was read (%zu of %zu bytes read); try again "
				  "once it is written",
				  path, done, size);
	return 0;
}

int rproc_fw_request(struct rproc_private *p, void **image, size_t *size)
{
	struct rproc_fw_search search = {.used = 0};
	char path[4096];
	struct stat st;
	uint8_t *buf;
	int fd, ret;

	fd = rproc_fw_open(p->firmware, path, sizeof(path), &search);
	if (fd < 0 && search.err && search.err != ENOENT)
		return rproc_fail(p, -search.err, "cannot open %s: %s", search.err_path,
				  strerror(search.err));
	if (fd < 0 && !search.used)
		return rproc_fail(p, -AMP_ENOENT, "no such file");
	if (fd < 0)
		return rproc_fail(p, -AMP_ENOENT, "not found; searched %s", search.dirs);
	amp_log(AMP_LOG_DEBUG, "%s: firmware %s: reading %s", p->name, p->firmware, path);
	if (fstat(fd, &st)) {
		ret = rproc_fail(p, -AMP_EIO, "%s: fstat failed: %s", path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = rproc_fail(p, -AMP_EINVAL, "%s is not a regular file (it is %s)", path,
				 rproc_fw_file_kind(st.st_mode));
		goto out_close;
	}
	if ((uint64_t)st.st_size > RPROC_FW_MAX_SIZE) {
		ret = rproc_fail(p, -AMP_EFBIG, "%s is %lld bytes, more than the %u allowed", path,
				 (long long)st.st_size, RPROC_FW_MAX_SIZE);
		goto out_close;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		ret = -AMP_ENOMEM;
		goto out_close;
	}
	ret = rproc_fw_read(p, fd, path, &st, buf, (size_t)st.st_size);
	if (ret) {
		free(buf);
		goto out_close;
	}
	*image = buf;
	*size = (size_t)st.st_size;
out_close:
	close(fd);
	return ret;
}

void rproc_fw_release(void *image, size_t size)
{
	(void)size;
	free(image);
}

/* Find the resource table among the bytes the image loads: 0, -ENOENT when there is none (a
 * firmware without resources is legal), or another error already reported. */
static int rproc_fw_find_table(struct rproc_private *p, const void *image, size_t size,
			       const struct rproc_elf_info *info, uint64_t *offset, uint64_t *len,
			       uint64_t *da)
{
	struct amp_diag d = {0};
	int ret;

	ret = rproc_elf_find_loaded_section(image, size, info, ".resource_table", offset, len, da,
					    &d);
	if (ret && ret != -AMP_ENOENT)
		return rproc_fail_diag(p, "resource table: ", &d);
	return ret;
}

int rproc_fw_parse(struct rproc_private *p, const void *image, size_t size)
{
	struct rproc_elf_info info;
	struct amp_diag d = {0};
	uint64_t sec_offset, sec_size, sec_addr;
	int ret;

	ret = rproc_elf_parse(image, size, p->machines, p->num_machines, &info, &d);
	if (ret)
		return rproc_fail_diag(p, "", &d);

	ret = rproc_fw_find_table(p, image, size, &info, &sec_offset, &sec_size, &sec_addr);
	if (ret == -AMP_ENOENT) {
		/* A firmware without resources is legal: nothing to set up, no vdev. */
		amp_log(AMP_LOG_INFO, "%s: firmware %s has no resource table", p->name, p->firmware);
		p->cached_table = NULL;
		p->table_size = 0;
		p->table_da = FW_RSC_ADDR_ANY;
		return 0;
	}
	if (ret)
		return ret;
	ret = rsc_table_check((const uint8_t *)image + sec_offset, (size_t)sec_size, &d);
	if (ret)
		return rproc_fail_diag(p, "resource table: ", &d);

	p->cached_table = malloc((size_t)sec_size);
	if (!p->cached_table)
		return -AMP_ENOMEM;
	memcpy(p->cached_table, (const uint8_t *)image + sec_offset, (size_t)sec_size);
	p->table_size = (size_t)sec_size;
	p->table_da = sec_addr;
	return 0;
}

/*
 * The image about to be loaded must carry the table the resources were set up from, at the same
 * place and of the same size, so that installing it overwrites only that image's own table. At
 * boot it does (rproc_fw_parse() took the table from this very image); at recovery the table is
 * not parsed again (as in Linux) and the file may have been replaced since.
 */
static int rproc_fw_check_table_unchanged(struct rproc_private *p, const void *image, size_t size,
					  const struct rproc_elf_info *info)
{
	uint64_t offset, len, da;
	int ret;

	ret = rproc_fw_find_table(p, image, size, info, &offset, &len, &da);
	if (ret == -AMP_ENOENT && p->cached_table)
		return rproc_fail(p, -AMP_EINVAL,
				  "the resource table (da 0x%llx, 0x%zx bytes) is gone from the image "
				  "since boot",
				  (unsigned long long)p->table_da, p->table_size);
	if (ret == -AMP_ENOENT)
		return 0;
	if (ret)
		return ret;
	if (!p->cached_table)
		return rproc_fail(p, -AMP_EINVAL,
				  "the image now has a resource table (da 0x%llx), which it did not "
				  "have at boot",
				  (unsigned long long)da);
	if (da != p->table_da || len != p->table_size)
		return rproc_fail(p, -AMP_EINVAL,
				  "the resource table moved since boot (now da 0x%llx, 0x%llx bytes; "
				  "at boot da 0x%llx, 0x%zx bytes)",
				  (unsigned long long)da, (unsigned long long)len,
				  (unsigned long long)p->table_da, p->table_size);
	return 0;
}

/* No segment may land in memory the host allocated and writes: vrings, vdev buffers, carveouts
 * it placed. Loading would overwrite them, or they would overwrite the firmware. */
static int rproc_fw_check_segments(struct rproc_private *p, const void *image, size_t size,
				   const struct rproc_elf_info *info)
{
	struct rproc_elf_segment seg;
	const struct rproc_mem *m;
	unsigned int i;

	for (i = 0; i < info->num_load; i++) {
		if (rproc_elf_get_load(image, size, info, i, &seg, NULL))
			break;
		m = rproc_host_mem_find(p, seg.da, seg.memsz);
		if (m)
			return rproc_fail(p, -AMP_EINVAL,
					  "segment %u (da 0x%llx, 0x%llx bytes) overlaps %s (da "
					  "0x%llx, 0x%zx bytes), memory the host allocated",
					  seg.index, (unsigned long long)seg.da,
					  (unsigned long long)seg.memsz, m->name,
					  (unsigned long long)m->da, m->len);
	}
	return 0;
}

/* What the loaded image is: where the core starts, and the segments for the coredump. */
static void rproc_fw_remember(struct rproc_private *p, const void *image, size_t size,
			      const struct rproc_elf_info *info)
{
	struct rproc_elf_segment seg;
	unsigned int i;

	p->rproc->bootaddr = info->entry;
	p->elf_class = info->elf_class;
	p->elf_machine = info->machine;
	p->num_segments = 0;
	for (i = 0; i < info->num_load && p->num_segments < RPROC_MAX_SEGMENTS; i++) {
		if (rproc_elf_get_load(image, size, info, i, &seg, NULL))
			break;
		if (seg.memsz)
			p->segments[p->num_segments++] = (struct rproc_segment){seg.da, seg.memsz};
	}
}

static void *rproc_fw_da_to_va(void *ctx, uint64_t da, size_t len)
{
	struct rproc_private *p = ctx;

	return p->ops->da_to_va(p->rproc, da, len);
}

int rproc_fw_load(struct rproc_private *p, const void *image, size_t size)
{
	struct rproc_elf_info info;
	struct amp_diag d = {0};
	int ret;

	ret = rproc_elf_parse(image, size, p->machines, p->num_machines, &info, &d);
	if (ret)
		return rproc_fail_diag(p, "", &d);
	ret = rproc_fw_check_table_unchanged(p, image, size, &info);
	if (ret)
		return ret;
	ret = rproc_fw_check_segments(p, image, size, &info);
	if (ret)
		return ret;
	ret = rproc_elf_load_segments(image, size, &info, rproc_fw_da_to_va, p, &d);
	if (ret)
		return rproc_fail_diag(p, "", &d);
	rproc_fw_remember(p, image, size, &info);
	return 0;
}
