/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a user would use instead on one machine, as baselines for mailbox mode: an eventfd
 * ping-pong (the cheapest sleep-and-wake there is between two processes), and a UNIX
 * socketpair ping-pong and stream. Benchmark layer.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_base.h"

#define STREAM_MSG 496

static int efd_req = -1, efd_resp = -1, sv[2] = {-1, -1};

void bench_base_init(void)
{
	efd_req = eventfd(0, EFD_CLOEXEC);
	efd_resp = eventfd(0, EFD_CLOEXEC);
	if (efd_req < 0 || efd_resp < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		perror("amp-bench: baselines");
		exit(1);
	}
}

static void xfer(ssize_t (*op)(int, void *, size_t), int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = op(fd, p, len);

		if (r <= 0) {
			perror("amp-bench: baseline i/o");
			_exit(1);
		}
		p += r;
		len -= (size_t)r;
	}
}

static ssize_t do_write(int fd, void *buf, size_t len)
{
	return write(fd, buf, len);
}

static void read_all(int fd, void *buf, size_t len)
{
	xfer(read, fd, buf, len);
}

static void write_all(int fd, const void *buf, size_t len)
{
	xfer(do_write, fd, (void *)buf, len);
}

/* --- eventfd ping-pong -------------------------------------------------------------------- */

static void efd_server(struct bench_shm *shm, void *area, size_t len)
{
	uint64_t v;

	(void)area;
	(void)len;
	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		read_all(efd_req, &v, sizeof(v));
		if (bench_should_stop(shm))
			return;
		write_all(efd_resp, &v, sizeof(v));
	}
}

static double efd_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
			 double *samples, size_t max)
{
	uint64_t v = 1, i, t0, start = bench_now_ns();

	(void)area;
	(void)len;
	for (i = 0; i < n; i++) {
		t0 = samples && i < max ? bench_now_ns() : 0;
		write_all(efd_req, &v, sizeof(v));
		read_all(efd_resp, &v, sizeof(v));
		if (samples && i < max)
			samples[i] = (double)(bench_now_ns() - t0);
	}
	start = bench_now_ns() - start;
	__atomic_store_n(&shm->stop, 1, __ATOMIC_RELEASE);
	write_all(efd_req, &v, sizeof(v)); /* wake it to see stop */
	return (double)start / (double)n;
}

const struct bench_pair bench_eventfd_pingpong = {"eventfd ping-pong", efd_server, efd_client};

/* --- socketpair ping-pong and stream ------------------------------------------------------ */

static void sock_pp_server(struct bench_shm *shm, void *area, size_t len)
{
	uint8_t msg[16];

	(void)area;
	(void)len;
	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		read_all(sv[1], msg, sizeof(msg));
		if (bench_should_stop(shm))
			return;
		write_all(sv[1], msg, sizeof(msg));
	}
}

static double sock_pp_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
			     double *samples, size_t max)
{
	uint8_t msg[16] = {0};
	uint64_t i, t0, start = bench_now_ns();

	(void)area;
	(void)len;
	for (i = 0; i < n; i++) {
		t0 = samples && i < max ? bench_now_ns() : 0;
		write_all(sv[0], msg, sizeof(msg));
		read_all(sv[0], msg, sizeof(msg));
		if (samples && i < max)
			samples[i] = (double)(bench_now_ns() - t0);
	}
	start = bench_now_ns() - start;
	__atomic_store_n(&shm->stop, 1, __ATOMIC_RELEASE);
	write_all(sv[0], msg, sizeof(msg));
	return (double)start / (double)n;
}

const struct bench_pair bench_socket_pingpong = {"socketpair ping-pong 16 B", sock_pp_server,
						 sock_pp_client};

/* The client says how many messages come (8 bytes), sends them, and waits for a 1-byte ack. */
static void sock_stream_server(struct bench_shm *shm, void *area, size_t len)
{
	static uint8_t buf[64 << 10];
	uint64_t n, left;

	(void)area;
	(void)len;
	__atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		read_all(sv[1], &n, sizeof(n));
		if (!n)
			return;
		for (left = n * STREAM_MSG; left;) {
			ssize_t r = read(sv[1], buf, left < sizeof(buf) ? left : sizeof(buf));

			if (r <= 0)
				_exit(1);
			left -= (uint64_t)r;
		}
		write_all(sv[1], "k", 1);
	}
}

static double sock_stream_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
				 double *samples, size_t max)
{
	uint8_t msg[STREAM_MSG] = {0};
	uint64_t i, zero = 0, start = bench_now_ns();
	char ack;

	(void)shm;
	(void)area;
	(void)len;
	(void)samples;
	(void)max;
	write_all(sv[0], &n, sizeof(n));
	for (i = 0; i < n; i++)
		write_all(sv[0], msg, sizeof(msg)); /* one message per write, as a user would */
	read_all(sv[0], &ack, 1);
	start = bench_now_ns() - start;
	write_all(sv[0], &zero, sizeof(zero));
	return (double)n * 1e9 / (double)start;
}

const struct bench_pair bench_socket_stream = {"socketpair stream 496 B", sock_stream_server,
					       sock_stream_client};

/* --- CPU time ----------------------------------------------------------------------------- */

static double cpu_ns(void)
{
	struct rusage self, children;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	return ((double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + children.ru_utime.tv_sec +
			 children.ru_stime.tv_sec) *
			1e9 +
		(double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + children.ru_utime.tv_usec +
			 children.ru_stime.tv_usec) *
			1e3);
}

double bench_cpu_per_op(const struct bench_pair *p, uint64_t n)
{
	double before = cpu_ns();

	bench_window(p, n, NULL, 0);
	return (cpu_ns() - before) / (double)n;
}

/* --- process spawn: the floor under a sim boot -------------------------------------------- */

static double spawn_client(struct bench_shm *shm, void *area, size_t len, uint64_t n,
			   double *samples, size_t max)
{
	double sum = 0;
	uint64_t i;

	(void)shm;
	(void)area;
	(void)len;
	for (i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();
		int st;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			exit(1);
		}
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "amp-bench: /bin/true failed\n");
			exit(1);
		}
		t0 = bench_now_ns() - t0;
		if (samples && i < max)
			samples[i] = (double)t0;
		sum += (double)t0;
	}
	return sum / (double)n;
}

const struct bench_pair bench_spawn = {"fork+exec+exit of /bin/true", NULL, spawn_client};
