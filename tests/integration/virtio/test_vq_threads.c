/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cross-process stream with the device in a second thread instead of a process, so that
 * ThreadSanitizer sees both sides and checks the ordering of every shared access.
 * Usage: test_vq_threads polling|eventfd flags|event-idx [count]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vq_stream.h"

static void *device_thread(void *arg)
{
	struct vq_stream *dev = arg;

	if (vq_stream_run_device(dev))
		return dev;
	return NULL;
}

int main(int argc, char **argv)
{
	/* A time budget, as in test_vq_xproc.c: a loaded machine checks fewer buffers. */
	struct vq_stream drv = {.num = 64, .count = 200000, .budget_ns = 10000000000ull,
				.min_count = 20000};
	struct vq_stream dev;
	pthread_t t;
	void *failed;

	if (argc < 3) {
		fprintf(stderr, "usage: %s polling|eventfd flags|event-idx [count]\n", argv[0]);
		return 2;
	}
	drv.mode = strcmp(argv[1], "polling") ? VQ_STREAM_EVENTFD : VQ_STREAM_POLLING;
	drv.event_idx = !strcmp(argv[2], "event-idx");
	if (argc > 3)
		drv.count = strtoull(argv[3], NULL, 0);
	if (vq_stream_shm_create(&drv) || vq_stream_init(&drv, VIRTQUEUE_DRIVER)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	dev = drv;
	if (vq_stream_init(&dev, VIRTQUEUE_DEVICE) || pthread_create(&t, NULL, device_thread, &dev)) {
		fprintf(stderr, "device setup failed\n");
		return 1;
	}
	if (vq_stream_run_driver(&drv)) {
		fprintf(stderr, "driver: %s\n", drv.error);
		return 1;
	}
	pthread_join(t, &failed);
	if (failed) {
		fprintf(stderr, "device: %s\n", dev.error);
		return 1;
	}
	printf("threads: %llu buffers checked, %s, %s, %llu + %llu kicks\n",
	       (unsigned long long)drv.count, argv[1], argv[2], (unsigned long long)drv.kicks,
	       (unsigned long long)dev.kicks);
	vq_stream_fini(&drv);
	vq_stream_fini(&dev);
	vq_stream_shm_destroy(&drv);
	return 0;
}
