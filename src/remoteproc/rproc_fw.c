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

/* Open @name in @dir (a run of @dir_len bytes); -1 with errno set when it is not there. */
static int rproc_fw_open_in(const char *dir, size_t dir_len, const char *name, char *path,
			    size_t path_len)
{
	if (!dir_len)
		return -1;
	if ((size_t)snprintf(path, path_len, "%.*s/%s", (int)dir_len, dir, name) >= path_len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Find the firmware along $AMP_FIRMWARE_PATH, the directories added, /lib/firmware, then the
 * sample firmwares installed with the library (or built beside it). */
static int rproc_fw_open(const char *name, char *path, size_t path_len)
{
	const char *env = getenv("AMP_FIRMWARE_PATH");
	char samples[4096];
	unsigned int i;
	int fd = -1;

	if (strchr(name, '/')) {
		snprintf(path, path_len, "%s", name);
		return open(name, O_RDONLY | O_CLOEXEC);
	}
	while (env && *env && fd < 0) {
		size_t n = strcspn(env, ":");

		fd = rproc_fw_open_in(env, n, name, path, path_len);
		env += n + (env[n] == ':');
	}
	amp_mutex_lock(&rproc_fw_path_lock);
	for (i = 0; i < rproc_fw_num_dirs && fd < 0; i++)
		fd = rproc_fw_open_in(rproc_fw_dirs[i], strlen(rproc_fw_dirs[i]), name, path,
				      path_len);
	amp_mutex_unlock(&rproc_fw_path_lock);
	if (fd < 0)
		fd = rproc_fw_open_in("/lib/firmware", 13, name, path, path_len);
	for (i = 0; fd < 0 && !amp_installed_path(AMP_INSTALLED_FIRMWARE_DIR, i, samples,
						  sizeof(samples));
	     i++)
		fd = rproc_fw_open_in(samples, strlen(samples), name, path, path_len);
	return fd;
}

int rproc_fw_request(struct rproc_private *p, void **image, size_t *size)
{
	char path[4096];
	struct stat st;
	size_t done = 0;
	uint8_t *buf;
	int fd;

	fd = rproc_fw_open(p->firmware, path, sizeof(path));
	if (fd < 0)
		return rproc_fail(p, -AMP_ENOENT,
				  "not found (searched $AMP_FIRMWARE_PATH, the added directories, "
				  "/lib/firmware and the sample firmwares' directory)");
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return rproc_fail(p, -AMP_EINVAL, "%s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > RPROC_FW_MAX_SIZE) {
		close(fd);
		return rproc_fail(p, -AMP_EFBIG, "%s is %lld bytes, more than the %u allowed", path,
				  (long long)st.st_size, RPROC_FW_MAX_SIZE);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return -AMP_ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			free(buf);
			return rproc_fail(p, -AMP_EIO, "reading %s failed", path);
		}
		done += (size_t)n;
	}
	close(fd);
	*image = buf;
	*size = done;
	return 0;
}

void rproc_fw_release(void *image, size_t size)
{
	(void)size;
	free(image);
}

int rproc_fw_parse(struct rproc_private *p, const void *image, size_t size)
{
	struct rproc_elf_info info;
	struct amp_diag d = {0};
	uint64_t sec_offset, sec_size, sec_addr;
	unsigned int i;
	int ret;

	ret = rproc_elf_parse(image, size, p->machines, p->num_machines, &info, &d);
	if (ret)
		return rproc_fail_diag(p, "", &d);
	p->rproc->bootaddr = info.entry;
	p->elf_class = info.elf_class;
	p->elf_machine = info.machine;

	/* Remember where the segments go, for the coredump. */
	p->num_segments = 0;
	for (i = 0; i < info.num_load && p->num_segments < RPROC_MAX_SEGMENTS; i++) {
		struct rproc_elf_segment seg;

		if (rproc_elf_get_load(image, size, &info, i, &seg, NULL))
			break;
		if (seg.memsz)
			p->segments[p->num_segments++] = (struct rproc_segment){seg.da, seg.memsz};
	}

	ret = rproc_elf_find_section(image, size, &info, ".resource_table", &sec_offset, &sec_size,
				     &sec_addr, &d);
	if (ret == -AMP_ENOENT) {
		/* A firmware without resources is legal: nothing to set up, no vdev. */
		amp_log(AMP_LOG_INFO, "%s: firmware %s has no resource table", p->name, p->firmware);
		p->cached_table = NULL;
		p->table_size = 0;
		p->table_da = FW_RSC_ADDR_ANY;
		return 0;
	}
	if (ret)
		return rproc_fail_diag(p, "", &d);
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
	if (!ret)
		ret = rproc_elf_load_segments(image, size, &info, rproc_fw_da_to_va, p, &d);
	if (ret)
		return rproc_fail_diag(p, "", &d);
	return 0;
}
