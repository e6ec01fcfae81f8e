/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cross-process virtqueue test: the driver in this process, the device in a child, sharing only a
 * memfd and two eventfds. Usage: test_vq_xproc polling|eventfd flags|event-idx [count]
 * The default count is 10 million buffers (a much smaller one under sanitizers), streamed for at
 * most STREAM_BUDGET_NS: on a loaded machine the two spinning sides may share a CPU with others,
 * and the test then checks fewer buffers (at least STREAM_MIN_COUNT) rather than time out.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "os/os.h"
#include "vq_stream.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DEFAULT_COUNT 200000ull
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DEFAULT_COUNT 200000ull
#endif
#endif
#ifndef DEFAULT_COUNT
#define DEFAULT_COUNT 10000000ull
#endif
#define STREAM_BUDGET_NS (10ull * 1000000000ull)
#define STREAM_MIN_COUNT 20000ull

int main(int argc, char **argv)
{
	struct vq_stream s = {.num = 256, .count = DEFAULT_COUNT, .budget_ns = STREAM_BUDGET_NS,
			      .min_count = STREAM_MIN_COUNT};
	struct timespec t0, t1;
	int status;
	pid_t pid;
	double secs;

	if (argc < 3) {
		fprintf(stderr, "usage: %s polling|eventfd flags|event-idx [count]\n", argv[0]);
		return 2;
	}
	s.mode = strcmp(argv[1], "polling") ? VQ_STREAM_EVENTFD : VQ_STREAM_POLLING;
	s.event_idx = !strcmp(argv[2], "event-idx");
	if (argc > 3)
		s.count = strtoull(argv[3], NULL, 0);
	if (vq_stream_shm_create(&s)) {
		perror("shared memory");
		return 1;
	}
	/* The driver initialises the ring before the device looks at it. */
	if (vq_stream_init(&s, VIRTQUEUE_DRIVER)) {
		fprintf(stderr, "driver init failed\n");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		struct vq_stream dev = s;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		amp_pin_cpu(1);
		if (vq_stream_init(&dev, VIRTQUEUE_DEVICE) || vq_stream_run_device(&dev)) {
			fprintf(stderr, "device: %s\n", dev.error[0] ? dev.error : "init failed");
			_exit(1);
		}
		printf("device: %llu buffers, %llu kicks sent, %llu wake-ups\n",
		       (unsigned long long)dev.count, (unsigned long long)dev.kicks,
		       (unsigned long long)dev.wakeups);
		fflush(stdout);
		_exit(0);
	}
	amp_pin_cpu(0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (vq_stream_run_driver(&s)) {
		fprintf(stderr, "driver: %s\n", s.error);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "device process failed (status 0x%x)\n", status);
		return 1;
	}
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("driver: %llu buffers checked both ways in %.2f s (%.2f M/s), %s, %s; "
	       "%llu kicks sent (%.4f per buffer), %llu wake-ups\n",
	       (unsigned long long)s.count, secs, (double)s.count / secs / 1e6, argv[1], argv[2],
	       (unsigned long long)s.kicks, (double)s.kicks / (double)s.count,
	       (unsigned long long)s.wakeups);
	vq_stream_fini(&s);
	vq_stream_shm_destroy(&s);
	return 0;
}
