/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The layers above the rpmsg bus: a client of ampd (libamp-client, then the Python client)
 * talking to the rpmsg-echo firmware through the daemon. ampd runs once for the whole benchmark
 * (forked on CPU 0, as the host's other threads) with bench/ampd-bench.dts: one sim processor
 * in mailbox mode whose core is pinned to CPU 1. Each window starts the processor, opens the
 * endpoint, measures, and stops it again, so that nothing of ours runs beside a baseline
 * window but an idle daemon. Benchmark layer.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <amp/client.h>

#include "bench_ampd.h"
#include "stream.h"

#define PROC "bench"
#define WAIT_NS 30000000000ull /* any wait on the daemon: 30 s, then the benchmark fails */

static struct {
	pid_t pid;
	char dir[64];
	char sock[96];
	struct amp_client *ctl;
} D;

static void fail(const char *what, int err)
{
	fprintf(stderr, "amp-bench (ampd): %s: %d\n", what, err);
	exit(1);
}

static void ampd_stop(void)
{
	int st;

	if (D.ctl)
		amp_client_close(D.ctl);
	if (D.pid > 0) {
		kill(D.pid, SIGTERM);
		waitpid(D.pid, &st, 0);
	}
	if (D.dir[0]) {
		unlink(D.sock);
		rmdir(D.dir);
	}
}

/* Every thread of the daemon to CPU 0, beside the host side of every other row; threads it
 * creates later inherit it (a sim core pins itself to the SoC's CPU 1). */
static void ampd_pin(void)
{
	char path[64];
	struct dirent *e;
	cpu_set_t cpu0;
	DIR *d;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)D.pid);
	d = opendir(path);
	if (!d)
		fail("opendir /proc/PID/task", -errno);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			sched_setaffinity(atoi(e->d_name), sizeof(cpu0), &cpu0);
	closedir(d);
}

/* The daemon, started on first use; it says "ready" on its stdout when it listens. */
static void ampd_up(void)
{
	char buf[512];
	size_t len = 0;
	int pfd[2];
	uint64_t end;

	if (D.pid)
		return;
	snprintf(D.dir, sizeof(D.dir), "/tmp/amp-bench-XXXXXX");
	if (!mkdtemp(D.dir))
		fail("mkdtemp", -errno);
	snprintf(D.sock, sizeof(D.sock), "%s/ampd.sock", D.dir);
	if (pipe(pfd))
		fail("pipe", -errno);
	D.pid = fork();
	if (D.pid < 0)
		fail("fork", -errno);
	if (D.pid == 0) {
		cpu_set_t all;
		int cpu;

		/* ampd checks that the SoC's CPUs are its to use: give it both back, and pin its
		 * threads to CPU 0 once it is up (ampd_pin()). */
		CPU_ZERO(&all);
		for (cpu = 0; cpu < 2; cpu++)
			CPU_SET(cpu, &all);
		sched_setaffinity(0, sizeof(all), &all);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl(AMP_AMPD, "ampd", "--socket", D.sock, "--soc", AMP_BENCH_SOC, "--log-level",
		      "err", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	atexit(ampd_stop);
	end = bench_now_ns() + WAIT_NS;
	for (;;) {
		struct pollfd p = {pfd[0], POLLIN, 0};
		ssize_t n;

		buf[len] = 0;
		if (strstr(buf, "ready"))
			break;
		if (bench_now_ns() > end || poll(&p, 1, 1000) < 0)
			fail("ampd did not say ready", 0);
		if (!p.revents)
			continue;
		n = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			fail("ampd exited before it was ready", (int)n);
		len += (size_t)n;
		if (len == sizeof(buf) - 1)
			len = 0;
	}
	close(pfd[0]);
	ampd_pin();
	if (amp_client_connect(D.sock, &D.ctl))
		fail("connect", 0);
}

static void request(const char *what)
{
	int ret = amp_client_request(D.ctl, what, NULL, 0, (int)(WAIT_NS / 1000000));

	if (ret)
		fail(what, ret);
}

/* A fresh endpoint on @channel of the started processor: the firmware announces its channels
 * after boot, so open is retried (1 ms apart) until the channel is there. */
static struct amp_client *ept_open(const char *channel)
{
	uint64_t end = bench_now_ns() + WAIT_NS;
	struct timespec ms = {0, 1000000};

	for (;;) {
		struct amp_client *c;
		int ret;

		if (amp_client_connect(D.sock, &c))
			fail("connect", 0);
		ret = amp_client_open_endpoint(c, PROC, channel, AMP_CLIENT_ADDR_ANY,
					       AMP_CLIENT_ADDR_ANY, NULL);
		if (!ret)
			return c;
		amp_client_close(c);
		if (ret != -ENOENT || bench_now_ns() > end)
			fail(channel, ret);
		nanosleep(&ms, NULL);
	}
}

static void xrecv(struct amp_client *c, void *buf, size_t len, size_t want)
{
	ssize_t n = amp_client_recv(c, buf, len, (int)(WAIT_NS / 1000000));

	if (n != (ssize_t)want)
		fail("recv", (int)n);
}

/* @n echo round trips of 16 bytes through the daemon; the mean in ns. */
static double ampd_echo(uint64_t n, double *samples, size_t max)
{
	uint8_t msg[16], back[512];
	struct amp_client *c;
	uint64_t i, t0;

	ampd_up();
	request("start " PROC);
	c = ept_open("rpmsg-echo");
	memset(msg, 0x5a, sizeof(msg));
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		uint64_t t = samples && i < max ? bench_now_ns() : 0;
		int ret = amp_client_send(c, msg, sizeof(msg));

		if (ret)
			fail("send", ret);
		xrecv(c, back, sizeof(back), sizeof(msg));
		if (memcmp(back, msg, sizeof(msg)))
			fail("echo differs", 0);
		if (samples && i < max)
			samples[i] = (double)(bench_now_ns() - t);
	}
	t0 = bench_now_ns() - t0;
	amp_client_close(c);
	request("stop " PROC);
	return (double)t0 / (double)n;
}

/* @n messages of 496 bytes to the firmware's sink, then a 1-byte message that asks for its
 * count (the firmware copies each message out); messages/s. */
static double ampd_stream(uint64_t n)
{
	uint8_t msg[496];
	uint32_t count;
	struct amp_client *c;
	uint64_t i, t0;
	int ret;

	ampd_up();
	request("start " PROC);
	c = ept_open("rpmsg-sink");
	memset(msg, 0xa5, sizeof(msg));
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		if ((ret = amp_client_send(c, msg, sizeof(msg))))
			fail("stream send", ret);
	if ((ret = amp_client_send(c, msg, 1)))
		fail("stream sync", ret);
	xrecv(c, &count, sizeof(count), sizeof(count));
	t0 = bench_now_ns() - t0;
	if (count != n)
		fail("the sink did not get every message", (int)count);
	amp_client_close(c);
	request("stop " PROC);
	return (double)n * 1e9 / (double)t0;
}

/* The Python client's echo (bench/ampclient_echo.py), run by python3: it prints each round
 * trip in ns, then the mean of the whole loop. */
static double python_echo(uint64_t n, double *samples, size_t max)
{
	char count[32], line[64];
	double mean = 0;
	uint64_t i = 0;
	FILE *out;
	int pfd[2], st;
	pid_t pid;

	ampd_up();
	request("start " PROC);
	snprintf(count, sizeof(count), "%llu", (unsigned long long)n);
	if (pipe(pfd))
		fail("pipe", -errno);
	pid = fork();
	if (pid < 0)
		fail("fork", -errno);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], 1);
		close(pfd[0]);
		execlp("python3", "python3", AMP_BENCH_DIR "/ampclient_echo.py", AMP_PYTHON_DIR,
		       D.sock, PROC, count, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	out = fdopen(pfd[0], "r");
	if (!out)
		fail("fdopen", -errno);
	while (fgets(line, sizeof(line), out)) {
		if (!strncmp(line, "mean ", 5))
			mean = strtod(line + 5, NULL);
		else if (samples && i < max)
			samples[i++] = strtod(line, NULL);
	}
	fclose(out);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) || mean <= 0)
		fail("ampclient_echo.py failed", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	request("stop " PROC);
	return mean;
}

bool bench_python_missing(char *why, size_t len)
{
	const char *path = getenv("PATH");
	char dir[512];

	while (path && *path) {
		size_t n = strcspn(path, ":");
		struct stat st;

		snprintf(dir, sizeof(dir), "%.*s/python3", (int)n, path);
		if (!stat(dir, &st) && (st.st_mode & S_IXUSR))
			return false;
		path += n + (path[n] == ':');
	}
	snprintf(why, len, "python3 not found on $PATH (Debian: apt-get install python3)");
	return true;
}

BENCH_CLIENT(echo_client, ampd_echo(n, samples, max))
BENCH_CLIENT(stream_client, ampd_stream(n))
BENCH_CLIENT(python_client, python_echo(n, samples, max))

const struct bench_pair bench_ampd_echo16 = {"ampd endpoint echo 16 B (libamp-client)", NULL,
					     echo_client};
const struct bench_pair bench_ampd_to_remote = {"ampd endpoint stream 496 B host->remote", NULL,
						stream_client};
const struct bench_pair bench_python_echo16 = {"ampd endpoint echo 16 B (Python ampclient)",
					       NULL, python_client};
