/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The remoteproc core and the rpmsg bus together: a platform whose "core" is a thread running
 * the remote side of rpmsg over the processor's memory (an arena), found through the loaded
 * resource table as firmware finds it. Boot -> the remote announces -> the seed's sample driver
 * is probed and says "dude" -> crash -> channel removed -> recovery -> probed again.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/remoteproc.h>
#include <amp/rpmsg_remote.h>
#include <amp/rsc_table.h>

#include "amp_test.h"
#include "amp_test_fw.h"
#include "rpmsg_client_sample.h"

#define MEM_SIZE 0x100000u
#define POOL_START 0x80000u

struct tcore {
	struct amp_test_arena mem;
	uint64_t pool_next;
	struct rproc *rproc;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t core, notifier;
	bool running;
	unsigned int doorbell;      /* host -> remote kicks pending */
	unsigned int host_pending;  /* remote -> host: bit per notify id */
	int replies, starts;
	unsigned int echoed;
	/* the "firmware's" state */
	struct rpmsg_remote_device rdev;
	struct virtqueue_desc_state st[2][64];
	struct rpmsg_ept_slot slots[16];
	struct rpmsg_remote_ept ept;
};

static struct tcore T;

static void *core_da_to_va(void *ctx, uint64_t da, size_t len)
{
	(void)ctx;
	if (da > MEM_SIZE || len > MEM_SIZE - da)
		return NULL;
	return T.mem.mem + da;
}

static void core_kick(void *ctx, uint32_t notifyid)
{
	(void)ctx;
	pthread_mutex_lock(&T.lock);
	T.host_pending |= 1u << (notifyid & 31);
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
}

static void core_echo(struct rpmsg_remote_ept *ept, const void *data, size_t len, uint32_t src,
		      void *priv)
{
	(void)priv;
	T.echoed++;
	rpmsg_remote_send(ept, src, data, len);
}

/* The firmware: find the vdev in the loaded table, wait for DRIVER_OK, announce, echo. */
static void *core_main(void *arg)
{
	struct rproc *rproc = arg;
	const struct resource_table *t = core_da_to_va(NULL, rproc->table_da, 16);
	struct rpmsg_remote_config cfg = {0};
	bool announced = false;
	unsigned int i;

	for (i = 0; i < t->num; i++) {
		const struct fw_rsc_hdr *h = (const void *)((const uint8_t *)t + t->offset[i]);

		if (h->type == RSC_VDEV)
			cfg.vdev = (struct fw_rsc_vdev *)(uintptr_t)h->data;
	}
	cfg.features = cfg.vdev ? cfg.vdev->dfeatures & RPMSG_REMOTE_FEATURES : 0;
	cfg.da_to_va = core_da_to_va;
	cfg.kick = core_kick;
	cfg.state[0] = T.st[0];
	cfg.state[1] = T.st[1];
	cfg.state_num = 64;
	cfg.slots = T.slots;
	cfg.num_slots = 16;
	if (!cfg.vdev || rpmsg_remote_init(&T.rdev, &cfg))
		return NULL;
	pthread_mutex_lock(&T.lock);
	while (T.running) {
		T.doorbell = 0;
		pthread_mutex_unlock(&T.lock);
		if (rpmsg_remote_poll(&T.rdev) >= 0 && !announced) {
			rpmsg_remote_create_ept(&T.rdev, &T.ept, "rpmsg-client-sample", 0x400,
						core_echo, NULL);
			announced = true;
		}
		pthread_mutex_lock(&T.lock);
		while (T.running && !T.doorbell)
			pthread_cond_wait(&T.cond, &T.lock);
	}
	pthread_mutex_unlock(&T.lock);
	return NULL;
}

/* The platform's notification thread: the remote's kicks become rproc_vq_interrupt(). */
static void *notifier_main(void *arg)
{
	struct rproc *rproc = arg;
	unsigned int pending, id;

	pthread_mutex_lock(&T.lock);
	while (T.running) {
		while (T.running && !T.host_pending)
			pthread_cond_wait(&T.cond, &T.lock);
		pending = T.host_pending;
		T.host_pending = 0;
		pthread_mutex_unlock(&T.lock);
		for (id = 0; pending; id++, pending >>= 1)
			if (pending & 1)
				rproc_vq_interrupt(rproc, (int)id);
		pthread_mutex_lock(&T.lock);
	}
	pthread_mutex_unlock(&T.lock);
	return NULL;
}

static int tc_start(struct rproc *rproc)
{
	T.running = true;
	T.starts++;
	pthread_create(&T.notifier, NULL, notifier_main, rproc);
	pthread_create(&T.core, NULL, core_main, rproc);
	return 0;
}

static int tc_stop(struct rproc *rproc)
{
	(void)rproc;
	pthread_mutex_lock(&T.lock);
	T.running = false;
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
	pthread_join(T.core, NULL);
	pthread_join(T.notifier, NULL);
	T.host_pending = 0;
	return 0;
}

static void tc_kick(struct rproc *rproc, int vqid)
{
	(void)rproc;
	(void)vqid;
	pthread_mutex_lock(&T.lock);
	T.doorbell = 1;
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
}

static void *tc_da_to_va(struct rproc *rproc, uint64_t da, size_t len)
{
	(void)rproc;
	return core_da_to_va(NULL, da, len);
}

static int tc_mem_alloc(struct rproc *rproc, size_t len, size_t align, uint64_t *da, void **va)
{
	(void)rproc;
	if (*da != FW_RSC_ADDR_ANY)
		return -AMP_EINVAL;
	/* A bump allocator is enough: one boot, and recovery keeps the resources. */
	T.pool_next = (T.pool_next + align - 1) & ~(uint64_t)(align - 1);
	if (T.pool_next + len > MEM_SIZE)
		return -AMP_ENOMEM;
	*da = T.pool_next;
	*va = T.mem.mem + T.pool_next;
	T.pool_next += len;
	return 0;
}

static void tc_mem_free(struct rproc *rproc, uint64_t da, size_t len)
{
	(void)rproc;
	(void)da;
	(void)len;
}

static const struct rproc_ops tc_ops = {
	.start = tc_start, .stop = tc_stop, .kick = tc_kick, .da_to_va = tc_da_to_va,
	.mem_alloc = tc_mem_alloc, .mem_free = tc_mem_free};

static void observer(struct rpmsg_channel *rpdev, const void *data, int len, u32 src)
{
	(void)rpdev;
	(void)data;
	(void)len;
	(void)src;
	pthread_mutex_lock(&T.lock);
	T.replies++;
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
}

static void on_event(struct rproc *rproc, enum rproc_event ev, void *priv)
{
	(void)rproc;
	(void)ev;
	(void)priv;
	pthread_mutex_lock(&T.lock);
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
}

/* Wait until @n replies came and the processor is running again (it becomes RUNNING only after
 * its vdevs are up, so a reply can arrive a moment before). */
static int wait_replies(struct rproc *rproc, int n)
{
	struct timespec ts;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&T.lock);
	while ((T.replies < n || rproc_get_state(rproc) != RPROC_RUNNING) && ret == 0)
		ret = pthread_cond_timedwait(&T.cond, &T.lock, &ts);
	ret = T.replies >= n && rproc_get_state(rproc) == RPROC_RUNNING ? 0 : -1;
	pthread_mutex_unlock(&T.lock);
	return ret;
}

static void test_boot_crash_recover_with_the_seed_sample(void **state)
{
	struct amp_test_rsc rsc;
	struct rproc *rproc;
	const char *fw;
	int i;

	(void)state;
	memset(&T, 0, sizeof(T));
	amp_log_set_level(AMP_LOG_ERR);
	amp_test_arena_init(&T.mem, MEM_SIZE);
	T.pool_next = POOL_START;
	pthread_mutex_init(&T.lock, NULL);
	pthread_cond_init(&T.cond, NULL);
	amp_test_rsc_default(&rsc, 0x3800, 0x400);
	fw = amp_test_fw_write(0, &rsc, EM_X86_64);
	rproc = rproc_alloc("tcore0", &tc_ops, fw, 0);
	assert_non_null(rproc);
	rproc_set_event_cb(rproc, on_event, NULL);
	assert_int_equal(rproc_register(rproc), 0);
	assert_int_equal(rpmsg_client_sample_register(observer), 0);

	assert_int_equal(rproc_boot(rproc), 0);
	assert_int_equal(wait_replies(rproc, 1), 0); /* announced, probed, "dude", echoed */
	assert_non_null(rproc_get_vdev(rproc, 0));

	/* Crash and recover, several times: the channel goes and comes back each time, and the
	 * fresh rings carry nothing of the last run. */
	for (i = 2; i <= 4; i++) {
		rproc_report_crash(rproc, RPROC_FATAL_ERROR);
		if (wait_replies(rproc, i))
			fail_msg("run %d: replies %d, starts %d, echoed %u, state %s, vdev %p, "
				 "remote ready %d rx %u bad %u noept %u tx %u nobuf %u", i,
				 T.replies, T.starts, T.echoed, rproc_state_name(rproc_get_state(rproc)),
				 (void *)rproc_get_vdev(rproc, 0), T.rdev.ready, T.rdev.stats.rx_msgs,
				 T.rdev.stats.rx_bad, T.rdev.stats.rx_no_ept, T.rdev.stats.tx_msgs,
				 T.rdev.stats.tx_no_buf);
		assert_int_equal(rproc_get_state(rproc), RPROC_RUNNING);
	}
	assert_int_equal(rproc_crash_count(rproc), 3);
	assert_int_equal(T.starts, 4);
	assert_int_equal(T.replies, 4); /* one greeting per run: nothing stale delivered twice */

	assert_int_equal(rproc_shutdown(rproc), 0);
	assert_null(rproc_get_vdev(rproc, 0));
	rpmsg_client_sample_unregister();
	assert_int_equal(rproc_unregister(rproc), 0);
	rproc_free(rproc);
	assert_true(amp_test_arena_guards_ok(&T.mem));
	amp_test_arena_free(&T.mem);
	unlink(fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_crash_recover_with_the_seed_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
