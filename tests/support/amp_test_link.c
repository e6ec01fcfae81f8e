/* SPDX-License-Identifier: BSD-3-Clause */
/* A host and a remote rpmsg stack in one process, each in its own thread. Test layer. */
#include <string.h>
#include <time.h>

#include <amp/errno.h>
#include <amp/wire/vring.h>

#include "amp_test_link.h"

static struct timespec deadline_in(int secs)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	return ts;
}

static void host_kick(void *priv, unsigned int vqid)
{
	struct amp_link *l = priv;

	(void)vqid;
	pthread_mutex_lock(&l->lock);
	l->remote_kicks_pending++;
	l->host_kicks++;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static void host_ready(void *priv)
{
	struct amp_link *l = priv;

	__atomic_store_n(&l->vdev->status,
			 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK,
			 __ATOMIC_RELEASE);
}

static void remote_kick(void *ctx, uint32_t notifyid)
{
	struct amp_link *l = ctx;

	pthread_mutex_lock(&l->lock);
	l->host_pending |= 1u << (notifyid & 1);
	l->remote_kicks++;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static void *remote_da_to_va(void *ctx, uint64_t da, size_t len)
{
	struct amp_link *l = ctx;

	if (da > LINK_MEM_LEN || len > LINK_MEM_LEN - da)
		return NULL;
	return l->mem.mem + da;
}

static void *remote_main(void *arg)
{
	struct amp_link *l = arg;

	pthread_mutex_lock(&l->lock);
	for (;;) {
		while (!l->stop && !l->call && (l->remote_paused || !l->remote_kicks_pending))
			pthread_cond_wait(&l->cond, &l->lock);
		if (l->stop)
			break;
		if (l->call) {
			int (*fn)(struct amp_link *, void *) = l->call;
			int ret;

			pthread_mutex_unlock(&l->lock);
			ret = fn(l, l->call_arg);
			pthread_mutex_lock(&l->lock);
			l->call_ret = ret;
			l->call = NULL;
			l->call_done = true;
			pthread_cond_broadcast(&l->cond);
			continue;
		}
		l->remote_kicks_pending = 0;
		pthread_mutex_unlock(&l->lock);
		rpmsg_remote_poll(&l->rdev);
		pthread_mutex_lock(&l->lock);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

static void *host_main(void *arg)
{
	struct amp_link *l = arg;
	unsigned int pending;

	pthread_mutex_lock(&l->lock);
	for (;;) {
		while (!l->stop && !l->host_pending)
			pthread_cond_wait(&l->cond, &l->lock);
		if (l->stop)
			break;
		pending = l->host_pending;
		l->host_pending = 0;
		pthread_mutex_unlock(&l->lock);
		/* A ring's worth per call: call again while it says more is left. */
		if (pending & 1)
			while (rpmsg_virtio_notify(l->rvdev, 0))
				;
		if (pending & 2)
			rpmsg_virtio_notify(l->rvdev, 1);
		pthread_mutex_lock(&l->lock);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

static uint64_t remote_now_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void amp_link_init(struct amp_link *l, uint32_t features)
{
	amp_link_init_busy(l, features, 0);
}

void amp_link_init_busy(struct amp_link *l, uint32_t features, uint32_t busy_poll_ns)
{
	struct rpmsg_virtio_config cfg = {0};
	struct rpmsg_remote_config rcfg = {0};
	struct fw_rsc_vdev_vring *vr;

	memset(l, 0, sizeof(*l));
	amp_test_arena_init(&l->mem, LINK_MEM_LEN);
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);

	/* The vdev entry as the host's remoteproc core would leave it in the loaded table. */
	l->vdev = (struct fw_rsc_vdev *)(void *)(l->mem.mem + LINK_VDEV_DA);
	l->vdev->id = VIRTIO_ID_RPMSG;
	l->vdev->dfeatures = features;
	l->vdev->gfeatures = features;
	l->vdev->num_of_vrings = 2;
	vr = l->vdev->vring;
	vr[0] = (struct fw_rsc_vdev_vring){LINK_VRING0_DA, 16, LINK_VRING_NUM, 0, 0};
	vr[1] = (struct fw_rsc_vdev_vring){LINK_VRING1_DA, 16, LINK_VRING_NUM, 1, 0};

	rcfg.vdev = l->vdev;
	rcfg.features = features;
	rcfg.da_to_va = remote_da_to_va;
	rcfg.kick = remote_kick;
	rcfg.ctx = l;
	rcfg.state[0] = l->rstate[0];
	rcfg.state[1] = l->rstate[1];
	rcfg.state_num = LINK_VRING_NUM;
	rcfg.slots = l->slots;
	rcfg.num_slots = 64;
	rcfg.now_ns = remote_now_ns;
	rcfg.busy_poll_ns = busy_poll_ns;
	assert_int_equal(rpmsg_remote_init(&l->rdev, &rcfg), 0);
	assert_int_equal(rpmsg_remote_ready(&l->rdev), -AMP_EAGAIN);

	cfg.name = "link";
	cfg.vring_va[0] = l->mem.mem + LINK_VRING0_DA;
	cfg.vring_va[1] = l->mem.mem + LINK_VRING1_DA;
	cfg.vring_num[0] = cfg.vring_num[1] = LINK_VRING_NUM;
	cfg.vring_align[0] = cfg.vring_align[1] = 16;
	cfg.vring_len[0] = cfg.vring_len[1] = vring_size(LINK_VRING_NUM, 16);
	cfg.buf_va = l->mem.mem + LINK_BUFS_DA;
	cfg.buf_da = LINK_BUFS_DA;
	cfg.buf_len = LINK_NUM_BUFS * 512;
	cfg.buf_size = 512;
	cfg.num_bufs = LINK_NUM_BUFS;
	cfg.features = features;
	cfg.kick = host_kick;
	cfg.ready = host_ready;
	cfg.priv = l;
	assert_int_equal(rpmsg_virtio_add(&cfg, &l->rvdev), 0);
	assert_int_equal(l->host_kicks, 1); /* "your receive buffers are there" */

	pthread_create(&l->remote_thread, NULL, remote_main, l);
	pthread_create(&l->host_thread, NULL, host_main, l);
	amp_link_remote_call(l, NULL, NULL);
}

void amp_link_fini(struct amp_link *l)
{
	if (l->finished)
		return;
	l->finished = true;
	/* The host's notifications stop first, as a platform's stop guarantees. */
	pthread_mutex_lock(&l->lock);
	l->stop = true;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->host_thread, NULL);
	pthread_join(l->remote_thread, NULL);
	rpmsg_virtio_remove(l->rvdev);
	assert_true(amp_test_arena_guards_ok(&l->mem));
	amp_test_arena_free(&l->mem);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
}

static int link_nop(struct amp_link *l, void *arg)
{
	(void)l;
	(void)arg;
	return 0;
}

void amp_link_remote_call(struct amp_link *l, int (*fn)(struct amp_link *l, void *arg), void *arg)
{
	struct timespec ts = deadline_in(10);
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	l->call = fn ? fn : link_nop;
	l->call_arg = arg;
	l->call_done = false;
	pthread_cond_broadcast(&l->cond);
	while (!l->call_done && ret == 0)
		ret = pthread_cond_timedwait(&l->cond, &l->lock, &ts);
	pthread_mutex_unlock(&l->lock);
	assert_true(l->call_done);
	assert_int_equal(l->call_ret, 0);
}

void amp_link_pause_remote(struct amp_link *l, bool paused)
{
	pthread_mutex_lock(&l->lock);
	l->remote_paused = paused;
	if (!paused)
		l->remote_kicks_pending++;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

int amp_link_wait(struct amp_link *l, const int *counter, int value)
{
	struct timespec ts = deadline_in(10);
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	while (*counter < value && ret == 0)
		ret = pthread_cond_timedwait(&l->cond, &l->lock, &ts);
	ret = *counter >= value ? 0 : -1;
	pthread_mutex_unlock(&l->lock);
	return ret;
}

void amp_link_bump(struct amp_link *l, int *counter)
{
	pthread_mutex_lock(&l->lock);
	(*counter)++;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}
