/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where the installed tree is — the sim boot ROM, the sample firmwares, the example SoC
 * descriptions, the Cortex-M4's boot ROM — found from where this code runs, so that an install works wherever it is
 * moved. OS glue for the host (Linux: /proc/self/exe; glibc: dladdr1).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amp/compiler.h>
#include <amp/errno.h>

#include "os/os.h"

/* Set by the build (CMakeLists.txt): the layout under the prefix (each relative, unless whoever
 * configured the build gave an absolute one), the configured prefix, and the build tree. */
#if !defined(AMP_INSTALL_PREFIX) || !defined(AMP_BUILD_DIR)
#error "os_install.c is compiled with the install layout and the build tree's paths"
#endif

static const char *const amp_installed_rel[] = {
	[AMP_INSTALLED_SIM_CORE] = AMP_INSTALL_SIM_CORE,
	[AMP_INSTALLED_FIRMWARE_DIR] = AMP_INSTALL_FIRMWARE_DIR,
	[AMP_INSTALLED_SOC_DIR] = AMP_INSTALL_SOC_DIR,
	[AMP_INSTALLED_QEMU_M4_BOOTROM] = AMP_INSTALL_QEMU_M4_BOOTROM,
};

static const char *const amp_built[] = {
	[AMP_INSTALLED_SIM_CORE] = AMP_BUILD_SIM_CORE,
	[AMP_INSTALLED_FIRMWARE_DIR] = AMP_BUILD_FIRMWARE_DIR,
	[AMP_INSTALLED_SOC_DIR] = AMP_BUILD_SOC_DIR,
	[AMP_INSTALLED_QEMU_M4_BOOTROM] = AMP_BUILD_QEMU_M4_BOOTROM,
};

/* The directories an object of ours is installed in: the shared library, ampd, ampctl. */
static const char *const amp_install_bin_dirs[] = {AMP_INSTALL_LIBDIR, AMP_INSTALL_BINDIR,
						   AMP_INSTALL_SBINDIR};

/* The file this code is in, resolved: the shared library, or the executable it is linked into
 * (whose link map has no name). NULL when neither can be read; free() it. */
static char *amp_self_path(void)
{
	struct link_map *map = NULL;
	Dl_info info;

	if (dladdr1((void *)amp_self_path, &info, (void **)&map, RTLD_DL_LINKMAP) && map &&
	    map->l_name && map->l_name[0])
		return realpath(map->l_name, NULL);
	return realpath("/proc/self/exe", NULL);
}

/* The prefix @dir is installed under, if it is <prefix>/<one of amp_install_bin_dirs>: its
 * length in @dir, else -1. */
static long amp_prefix_len(const char *dir)
{
	size_t n = strlen(dir), i;

	for (i = 0; i < sizeof(amp_install_bin_dirs) / sizeof(amp_install_bin_dirs[0]); i++) {
		const char *sub = amp_install_bin_dirs[i];
		size_t m = strlen(sub);

		if (sub[0] != '/' && m && n > m && dir[n - m - 1] == '/' &&
		    !strcmp(dir + n - m, sub))
			return (long)(n - m - 1);
	}
	return -1;
}

/* Whether @path lies in the build tree (both resolved: a checkout reached through a link). */
static bool amp_in_build_tree(const char *path)
{
	char *build = realpath(AMP_BUILD_DIR, NULL);
	size_t n = build ? strlen(build) : 0;
	bool in = build && !strncmp(path, build, n) && path[n] == '/';

	free(build);
	return in;
}

/* Append a candidate to @cand (of @n), unless it is there already or no memory. */
AMP_PRINTF(3, 4) static void amp_candidate(char **cand, unsigned int *n, const char *fmt, ...)
{
	char *path = NULL;
	unsigned int k;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&path, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return;
	for (k = 0; k < *n; k++) {
		if (!strcmp(cand[k], path)) {
			free(path);
			return;
		}
	}
	cand[(*n)++] = path;
}

int amp_installed_path(enum amp_installed what, unsigned int i, char *buf, size_t len)
{
	char *cand[3], *self, *slash;
	unsigned int n = 0, k;
	const char *rel;
	int ret = -AMP_ENOENT;

	if ((unsigned int)what >= sizeof(amp_built) / sizeof(amp_built[0]))
		return -AMP_EINVAL;
	rel = amp_installed_rel[what];
	self = amp_self_path();
	slash = self ? strrchr(self, '/') : NULL;
	if (slash) {
		long plen;

		*slash = 0;
		plen = amp_prefix_len(self);
		/* Beside this install first: a tree moved, or installed with --prefix, finds its
		 * own files. */
		if (plen >= 0 && rel[0] != '/')
			amp_candidate(cand, &n, "%.*s/%s", (int)plen, self, rel);
		if (amp_in_build_tree(self))
			amp_candidate(cand, &n, "%s", amp_built[what]);
	}
	/* Where the build was configured to install: for a program linked with the static
	 * library and installed elsewhere. */
	if (rel[0] == '/')
		amp_candidate(cand, &n, "%s", rel);
	else
		amp_candidate(cand, &n, "%s/%s", AMP_INSTALL_PREFIX, rel);
	if (i < n && (!len || (size_t)snprintf(buf, len, "%s", cand[i]) >= len))
		ret = -AMP_ENAMETOOLONG;
	else if (i < n)
		ret = 0;
	for (k = 0; k < n; k++)
		free(cand[k]);
	free(self);
	return ret;
}
