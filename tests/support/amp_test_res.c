/* SPDX-License-Identifier: BSD-3-Clause */
/* For whole-program tests: simulated processors, and counting fds and memfd mappings for the
 * leak checks. Test support. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include <amp/sim.h>

#include "amp_test_res.h"

struct rproc *amp_test_sim_up(const char *prefix, unsigned int index, const char *firmware,
			      rproc_event_cb_t cb, void *priv)
{
	struct sim_config cfg = {.firmware = firmware, .cpu = -1};
	struct rproc *rproc;
	char name[32];

	snprintf(name, sizeof(name), "%s%u", prefix, index);
	cfg.name = name;
	rproc = sim_rproc_create(&cfg);
	CHECK(rproc);
	CHECK(rproc_set_crash_limit(rproc, 0, 0) == 0);
	if (cb)
		rproc_set_event_cb(rproc, cb, priv);
	CHECK(rproc_register(rproc) == 0);
	CHECK(rproc_boot(rproc) == 0);
	return rproc;
}

int amp_test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int amp_test_count_memfd_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "/memfd:") != NULL;
	fclose(f);
	return n;
}
