/* SPDX-License-Identifier: BSD-3-Clause */
/* Counting fds and memfd mappings for the leak checks. Test support. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "amp_test_res.h"

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
