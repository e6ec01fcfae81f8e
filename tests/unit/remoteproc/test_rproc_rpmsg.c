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
	/* The "firmware" stops consuming host messages (stall; stalled once it noticed), and
	 * sends one message to @send_dst when asked. */
	bool stall, stalled;
	uint32_t send_dst;
	int frees; /* device memory given back to the platform */
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
		bool stall = T.stall;
		uint32_t dst = T.send_dst;

		T.doorbell = 0;
		T.send_dst = 0;
		pthread_mutex_unlock(&T.lock);
		if (dst)
			rpmsg_remote_send(&T.ept, dst, "stuck?", 6);
		if (!stall && rpmsg_remote_poll(&T.rdev) >= 0 && !announced) {
			rpmsg_remote_create_ept(&T.rdev, &T.ept, "rpmsg-client-sample", 0x400,
						core_echo, NULL);
			announced = true;
		}
		pthread_mutex_lock(&T.lock);
		if (stall && !T.stalled) {
			T.stalled = true;
			pthread_cond_broadcast(&T.cond);
		}
		while (T.running && !T.doorbell && !T.send_dst && T.stall == stall)
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
	T.stall = T.stalled = false; /* a new firmware */
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
	T.frees++; /* under the processor's lock */
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

/* A registered (not booted) processor of the test platform, its "firmware" written to *@fw. */
static struct rproc *tcore_new(const char *name, const char **fw)
{
	struct amp_test_rsc rsc;
	struct rproc *rproc;

	memset(&T, 0, sizeof(T));
	amp_log_set_level(AMP_LOG_ERR);
	amp_test_arena_init(&T.mem, MEM_SIZE);
	T.pool_next = POOL_START;
	pthread_mutex_init(&T.lock, NULL);
	pthread_cond_init(&T.cond, NULL);
	amp_test_rsc_default(&rsc, 0x3800, 0x400);
	*fw = amp_test_fw_write(0, &rsc, EM_X86_64);
	rproc = rproc_alloc(name, &tc_ops, *fw, 0);
	assert_non_null(rproc);
	rproc_set_event_cb(rproc, on_event, NULL);
	assert_int_equal(rproc_register(rproc), 0);
	return rproc;
}

/* Unregister and free what tcore_new() made; its memory's guards must be intact. */
static void tcore_free(struct rproc *rproc, const char *fw)
{
	assert_int_equal(rproc_unregister(rproc), 0);
	rproc_free(rproc);
	assert_true(amp_test_arena_guards_ok(&T.mem));
	amp_test_arena_free(&T.mem);
	unlink(fw);
}

static void test_boot_crash_recover_with_the_seed_sample(void **state)
{
	struct rproc *rproc;
	const char *fw;
	int i;

	(void)state;
	rproc = tcore_new("tcore0", &fw);
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
	tcore_free(rproc, fw);
}

/* --- a crash while a callback is blocked in a send ------------------------------------------ */

/* A driver whose callback, once armed, makes a blocking send with the default timeout (15 s)
 * that no buffer will satisfy: the core stopped consuming. */
struct stuck {
	struct rpmsg_channel *ch;
	int probes;
	bool armed, entered, left;
	int ret;
};

static struct stuck K;

static int stuck_probe(struct rpmsg_channel *rpdev)
{
	pthread_mutex_lock(&T.lock);
	K.ch = rpdev;
	K.probes++;
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
	return 0;
}

static void stuck_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	int ret;

	(void)data;
	(void)len;
	(void)priv;
	(void)src;
	if (!__atomic_exchange_n(&K.armed, false, __ATOMIC_ACQ_REL))
		return;
	pthread_mutex_lock(&T.lock);
	K.entered = true;
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
	ret = rpmsg_send(rpdev, "stuck", 5); /* the notification context: it polls */
	pthread_mutex_lock(&T.lock);
	K.ret = ret;
	K.left = true;
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
}

static const struct rpmsg_device_id stuck_ids[] = {{"rpmsg-client-sample"}, {""}};
static struct rpmsg_driver stuck_drv = {.name = "stuck", .id_table = stuck_ids,
					.probe = stuck_probe, .callback = stuck_cb};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool probed_once(struct rproc *rproc)
{
	(void)rproc;
	return K.probes >= 1;
}

static bool core_stalled(struct rproc *rproc)
{
	(void)rproc;
	return T.stalled;
}

static bool callback_entered(struct rproc *rproc)
{
	(void)rproc;
	return K.entered;
}

static bool probed_twice_and_running(struct rproc *rproc)
{
	return K.probes >= 2 && rproc_get_state(rproc) == RPROC_RUNNING;
}

/* Wait under T.lock until @cond holds; 30 s at most. */
static bool wait_locked(struct rproc *rproc, bool (*cond)(struct rproc *rproc))
{
	struct timespec ts;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 30;
	while (!cond(rproc) && ret == 0)
		ret = pthread_cond_timedwait(&T.cond, &T.lock, &ts);
	return cond(rproc);
}

/*
 * A callback blocked in a send (15 s timeout) on a core that stopped returning buffers, then
 * the core crashes: the report wakes the sender at once, so that the worker can unhook the vdev
 * (which waits for the notification thread) and recover without waiting out the timeout.
 */
static void test_crash_wakes_a_sender_blocked_in_a_callback(void **state)
{
	struct rproc *rproc;
	uint64_t t0, took;
	const char *fw;
	bool back;

	(void)state;
	rproc = tcore_new("tcore1", &fw);
	memset(&K, 0, sizeof(K));
	assert_int_equal(register_rpmsg_driver(&stuck_drv), 0);
	assert_int_equal(rproc_boot(rproc), 0);

	pthread_mutex_lock(&T.lock);
	assert_true(wait_locked(rproc, probed_once));
	T.stall = true;
	pthread_cond_broadcast(&T.cond);
	assert_true(wait_locked(rproc, core_stalled));
	pthread_mutex_unlock(&T.lock);
	while (rpmsg_trysend(K.ch, "fill", 4) == 0)
		;
	__atomic_store_n(&K.armed, true, __ATOMIC_RELEASE);
	pthread_mutex_lock(&T.lock);
	T.send_dst = K.ch->src;
	pthread_cond_broadcast(&T.cond);
	assert_true(wait_locked(rproc, callback_entered));
	pthread_mutex_unlock(&T.lock);

	t0 = mono_ns();
	rproc_report_crash(rproc, RPROC_FATAL_ERROR);
	pthread_mutex_lock(&T.lock);
	back = wait_locked(rproc, probed_twice_and_running);
	pthread_mutex_unlock(&T.lock);
	took = mono_ns() - t0;
	print_message("crash to recovered and probed again: %.1f ms; the blocked send: %s\n",
		      (double)took / 1e6, amp_errname(K.ret));
	assert_true(back);
	assert_true(K.left);
	assert_int_equal(K.ret, -AMP_ENODEV);
	/* Well under the send's 15 s, with room for a loaded machine. */
	assert_true(took < 3000000000ull);

	assert_int_equal(rproc_shutdown(rproc), 0);
	unregister_rpmsg_driver(&stuck_drv);
	tcore_free(rproc, fw);
}

/* --- buffers held across a crash ---------------------------------------------------------- */

/* An endpoint that holds the first message it gets. */
static struct rpmsg_endpoint *hold_ept;
static void *held_rx;

static void hold_first_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	(void)rpdev;
	(void)len;
	(void)priv;
	(void)src;
	/* Not under T.lock: the platform's kick takes it under rpmsg's ring locks. */
	if (held_rx || rpmsg_hold_rx_buffer(hold_ept, data))
		return;
	pthread_mutex_lock(&T.lock);
	held_rx = data;
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
}

static bool rx_held(struct rproc *rproc)
{
	(void)rproc;
	return held_rx != NULL;
}

static bool inside(const void *p, const struct virtio_device *v)
{
	const uint8_t *b = v->buf_va;

	return (const uint8_t *)p >= b && (const uint8_t *)p < b + v->buf_len;
}

/*
 * A receive buffer held and a zero-copy transmit buffer taken, across a crash and recovery:
 * the new run's buffers (which it hands to the remote) never alias them, their contents stay,
 * the API refuses to send the old one, and both can be released afterwards (ASan: no leak).
 */
static void test_buffers_held_across_a_crash_are_not_reused(void **state)
{
	struct virtio_device *v;
	struct rproc *rproc;
	const char *fw;
	uint32_t len;
	int frees;
	char *tx;

	(void)state;
	rproc = tcore_new("tcore2", &fw);
	memset(&K, 0, sizeof(K));
	held_rx = NULL;
	assert_int_equal(register_rpmsg_driver(&stuck_drv), 0);
	assert_int_equal(rproc_boot(rproc), 0);
	pthread_mutex_lock(&T.lock);
	assert_true(wait_locked(rproc, probed_once));
	pthread_mutex_unlock(&T.lock);

	/* The firmware echoes to the sender: the echo of our message is held. */
	hold_ept = rpmsg_create_ept(K.ch, hold_first_cb, NULL, RPMSG_ADDR_ANY);
	assert_non_null(hold_ept);
	assert_int_equal(rpmsg_ept_sendto(hold_ept, 0x400, "held rx", 8, 5000), 0);
	pthread_mutex_lock(&T.lock);
	assert_true(wait_locked(rproc, rx_held));
	pthread_mutex_unlock(&T.lock);
	tx = rpmsg_get_tx_buffer(hold_ept, &len, 5000);
	assert_non_null(tx);
	memcpy(tx, "held tx", 8);
	v = rproc_get_vdev(rproc, 0);
	assert_true(inside(held_rx, v) && inside(tx, v));

	rproc_report_crash(rproc, RPROC_FATAL_ERROR);
	pthread_mutex_lock(&T.lock);
	assert_true(wait_locked(rproc, probed_twice_and_running));
	pthread_mutex_unlock(&T.lock);

	/* The new run's buffers are other memory; the old ones kept what they held. */
	v = rproc_get_vdev(rproc, 0);
	assert_non_null(v);
	assert_false(inside(held_rx, v));
	assert_false(inside(tx, v));
	assert_memory_equal(held_rx, "held rx", 8);
	assert_memory_equal(tx, "held tx", 8);
	/* The old instance's buffers: sending fails, releasing is accepted. */
	assert_int_equal(rpmsg_send_nocopy(hold_ept, 0x400, tx, 8), -AMP_ENODEV);
	rpmsg_release_tx_buffer(hold_ept, tx);
	rpmsg_release_rx_buffer(hold_ept, held_rx);
	rpmsg_destroy_ept(hold_ept);
	/* The new run works, and the next recovery gives the old memory back to the platform. */
	assert_int_equal(rpmsg_send(K.ch, "hello", 5), 0);
	frees = T.frees;
	pthread_mutex_lock(&T.lock);
	K.probes = 1;
	pthread_mutex_unlock(&T.lock);
	rproc_report_crash(rproc, RPROC_FATAL_ERROR);
	pthread_mutex_lock(&T.lock);
	assert_true(wait_locked(rproc, probed_twice_and_running));
	pthread_mutex_unlock(&T.lock);
	assert_int_equal(T.frees, frees + 1);

	assert_int_equal(rproc_shutdown(rproc), 0);
	unregister_rpmsg_driver(&stuck_drv);
	tcore_free(rproc, fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_crash_recover_with_the_seed_sample),
		cmocka_unit_test(test_crash_wakes_a_sender_blocked_in_a_callback),
		cmocka_unit_test(test_buffers_held_across_a_crash_are_not_reused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
