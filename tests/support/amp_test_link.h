/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A host and a remote rpmsg stack in one process over an arena standing in for device memory
 * (device address = offset in the arena). The remote runs in its own thread, woken by the host's
 * kicks; the host's notifications run in a second thread, as a platform's would. Tests reach the
 * remote through amp_link_remote_call(), which runs a function in the remote's thread.
 */
#ifndef AMP_TEST_LINK_H
#define AMP_TEST_LINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <amp/rpmsg.h>
#include <amp/rpmsg_remote.h>

#include "amp_test.h"

#define LINK_VRING_NUM 32u
#define LINK_NUM_BUFS 64u
#define LINK_VRING0_DA 0x0000u
#define LINK_VRING1_DA 0x1000u
#define LINK_BUFS_DA 0x4000u
#define LINK_VDEV_DA 0x20000u
#define LINK_MEM_LEN 0x21000u

struct amp_link {
	struct amp_test_arena mem;
	struct fw_rsc_vdev *vdev;
	struct rpmsg_virtio_device *rvdev;

	struct rpmsg_remote_device rdev;
	struct virtqueue_desc_state rstate[2][LINK_VRING_NUM];
	struct rpmsg_ept_slot slots[64];

	pthread_t remote_thread, host_thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	bool remote_paused;      /* the remote ignores kicks (never returns buffers) */
	unsigned int remote_kicks_pending;
	unsigned int host_pending; /* bit per vqid */
	int (*call)(struct amp_link *l, void *arg);
	void *call_arg;
	int call_ret;
	bool call_done;
	uint64_t host_kicks, remote_kicks;
	bool finished;
};

/* Set up both sides; the host posts its buffers and says DRIVER_OK. */
void amp_link_init(struct amp_link *l, uint32_t features);
/* ... with the remote busy polling for @busy_poll_ns after a burst (rpmsg_remote_config). */
void amp_link_init_busy(struct amp_link *l, uint32_t features, uint32_t busy_poll_ns);
/* Stop both threads and remove the host side, as a processor stop would (once; later calls
 * do nothing). */
void amp_link_fini(struct amp_link *l);
/* Run @fn in the remote's thread and wait for it. The test fails, in the caller's thread, if
 * @fn returns non-zero or has not returned within 10 s: cmocka assertions cannot be used in
 * the remote's thread (a failure there cannot unwind to the test). */
void amp_link_remote_call(struct amp_link *l, int (*fn)(struct amp_link *l, void *arg), void *arg);
void amp_link_pause_remote(struct amp_link *l, bool paused);
/* Wait until *@counter (updated by callbacks under l->lock) reaches @value; 0 or -1 after 10 s. */
int amp_link_wait(struct amp_link *l, const int *counter, int value);
/* Bump *@counter under l->lock and wake waiters. */
void amp_link_bump(struct amp_link *l, int *counter);

#endif /* AMP_TEST_LINK_H */
