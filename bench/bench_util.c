/* SPDX-License-Identifier: BSD-3-Clause */
/* Two pinned processes on a memfd, the probe, statistics and the report. Benchmark layer. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "os/os.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct bench_shm *bench_map(void)
{
	static struct bench_shm *shm;
	int fd;

	if (shm)
		return shm;
	fd = memfd_create("amp-bench", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, BENCH_SHM_SIZE)) {
		perror("memfd");
		exit(1);
	}
	shm = mmap(NULL, BENCH_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (shm == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return shm;
}

double bench_window(const struct bench_pair *p, uint64_t iterations, double *samples, size_t max)
{
	struct bench_shm *shm = bench_map();
	size_t area_len = BENCH_SHM_SIZE - sizeof(*shm);
	uint64_t deadline;
	double v;
	int status;
	pid_t pid;

	memset(shm, 0, BENCH_SHM_SIZE);
	if (!p->server) {
		/* The remote is somewhere else (a sim core process the client boots). */
		amp_pin_cpu(0);
		return p->client(shm, shm->area, area_len, iterations, samples, max);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		amp_pin_cpu(1);
		p->server(shm, shm->area, area_len);
		_exit(0);
	}
	amp_pin_cpu(0);
	deadline = bench_now_ns() + 10000000000ull;
	while (!__atomic_load_n(&shm->ready, __ATOMIC_ACQUIRE)) {
		if (bench_now_ns() > deadline) {
			fprintf(stderr, "%s: server did not start\n", p->name);
			exit(1);
		}
	}
	v = p->client(shm, shm->area, area_len, iterations, samples, max);
	__atomic_store_n(&shm->stop, 1, __ATOMIC_RELEASE);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "%s: server failed\n", p->name);
		exit(1);
	}
	return v;
}

/* --- the cache-line probe ---------------------------------------------------------------- */

struct probe_line {
	_Alignas(64) uint64_t v;
};

static void probe_server(struct bench_shm *shm, void *area, size_t len)
{
	struct probe_line *l = area;
	uint64_t seen = 0;

	(void)len;
	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	while (!bench_should_stop(shm)) {
		uint64_t v = __atomic_load_n(&l->v, __ATOMIC_ACQUIRE);

		if (v != seen && (v & 1)) {
			__atomic_store_n(&l->v, v + 1, __ATOMIC_RELEASE);
			seen = v;
		}
	}
}

static double probe_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
			   double *samples, size_t max)
{
	struct probe_line *l = area;
	uint64_t i, v = 0;

	(void)shm;
	(void)len;
	for (i = 0; i < n && i < max; i++) {
		uint64_t t0 = bench_now_ns();

		__atomic_store_n(&l->v, v + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&l->v, __ATOMIC_ACQUIRE) != v + 2)
			;
		v += 2;
		samples[i] = (double)(bench_now_ns() - t0);
	}
	qsort(samples, i, sizeof(*samples), bench_cmp_double);
	return bench_percentile(samples, i, 0.5);
}

double bench_probe(void)
{
	static const struct bench_pair probe = {"probe", probe_server, probe_client};
	static double samples[2000];

	return bench_window(&probe, 2000, samples, 2000);
}

/* --- statistics and report --------------------------------------------------------------- */

/* The mapping's length sits in the first 64 bytes, before what the caller gets. */
#define SAMPLES_HDR 64u

void *bench_samples_alloc(size_t n, size_t size)
{
	size_t len = SAMPLES_HDR + (n ? n : 1) * size, i;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Not copied into a window's forked server: a fork() would leave every page of it
	 * copy-on-write here, and the first store into each would fault again. */
	if (madvise(p, len, MADV_DONTFORK)) {
		munmap(p, len);
		return NULL;
	}
	for (i = 0; i < len; i += 4096)
		p[i] = 0;
	memcpy(p, &len, sizeof(len));
	return p + SAMPLES_HDR;
}

void bench_samples_free(void *samples)
{
	char *p = (char *)samples - SAMPLES_HDR;
	size_t len;

	if (!samples)
		return;
	memcpy(&len, p, sizeof(len));
	munmap(p, len);
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_percentile(double *sorted, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

FILE *bench_fopen(const char *path)
{
	char dir[512];
	char *slash;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		/* One level is enough for build/bench; the parent exists once built. */
		if (mkdir(dir, 0755) && errno != EEXIST)
			perror(dir);
	}
	f = fopen(path, "w");
	if (!f)
		perror(path);
	return f;
}

void bench_report(const struct bench_result *r, size_t n, const char *json_path)
{
	FILE *f;
	size_t i;

	/* Wide enough for the longest names (the emulated Cortex-M4's rows). */
	printf("\n%-62s %12s %-6s  %-36s %12s %7s  %s\n", "benchmark", "value", "unit", "baseline",
	       "baseline", "ratio", "target");
	for (i = 0; i < n; i++)
		printf("%-62s %12.1f %-6s  %-36s %12.1f %7.2f  %s\n", r[i].name, r[i].value, r[i].unit,
		       r[i].baseline, r[i].baseline_value, r[i].ratio,
		       r[i].target ? r[i].target : "");
	if (!json_path)
		return;
	f = bench_fopen(json_path);
	if (!f) {
		perror(json_path);
		return;
	}
	fprintf(f, "[\n");
	for (i = 0; i < n; i++)
		fprintf(f,
			"  {\"name\": \"%s\", \"value\": %.3f, \"unit\": \"%s\", \"baseline\": \"%s\", "
			"\"baseline_value\": %.3f, \"ratio\": %.4f}%s\n",
			r[i].name, r[i].value, r[i].unit, r[i].baseline, r[i].baseline_value,
			r[i].ratio, i + 1 < n ? "," : "");
	fprintf(f, "]\n");
	fclose(f);
	printf("\nresults written to %s\n", json_path);
}
