/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for rpmsg_remote.c at the ring level, against a host that is not ours: a double of
 * OpenAMP's host (tests/support/amp_test_oahost.h), which takes a returned buffer's used length
 * as its capacity, sets DRIVER_OK without a kick, and accepts every offered feature while its
 * rings use flags only. One thread runs both sides in turn.
 */
#include <string.h>

#include <amp/errno.h>
#include <amp/rpmsg_remote.h>

#include "amp_test.h"
#include "amp_test_oahost.h"

#define NUM 16u
#define BUF 512u
#define VDEV_DA 0x0000u
#define VRING0_DA 0x1000u
#define VRING1_DA 0x4000u
#define POOL_DA 0x8000u
#define MEM_LEN 0x10000u

#define F_NS (1u << VIRTIO_RPMSG_F_NS)
#define F_EVENT_IDX (1u << VIRTIO_RING_F_EVENT_IDX)

#define ECHO_ADDR 0x400u
#define HOST_ADDR 0x401u

static const struct oah_layout layout = {
	.vring_da = {VRING0_DA, VRING1_DA},
	.vring_align = 4096,
	.num = NUM,
	.pool_da = POOL_DA,
	.pool_len = 2 * NUM * BUF,
	.buf_size = BUF,
};

struct ns_seen {
	char name[RPMSG_NAME_SIZE];
	uint32_t addr;
	bool destroy;
};

static struct {
	struct amp_test_arena mem;
	struct fw_rsc_vdev *vdev;
	struct oah host;
	struct rpmsg_remote_device rdev;
	struct virtqueue_desc_state state[2][NUM];
	struct rpmsg_ept_slot slots[16];
	struct rpmsg_remote_ept ept;
	unsigned int echoed, echo_failed;
	struct ns_seen ns[4];
	unsigned int ns_calls;
	/* The remote's clock for busy polling (remote_now_ns()). */
	uint64_t clock, clock_step;
	unsigned int clock_reads, post_at;
	uint16_t used_at_post; /* vring 1's used->idx as the host saw it when it posted */
} T;

static void *remote_da_to_va(void *ctx, uint64_t da, size_t len)
{
	(void)ctx;
	if (da > MEM_LEN || len > MEM_LEN - da)
		return NULL;
	return T.mem.mem + da;
}

static void remote_kick(void *ctx, uint32_t notifyid)
{
	oah_remote_kick(ctx, notifyid);
}

static void echo_cb(struct rpmsg_remote_ept *ept, const void *data, size_t len, uint32_t src,
		    void *priv)
{
	(void)priv;
	if (rpmsg_remote_send(ept, src, data, len))
		T.echo_failed++;
	else
		T.echoed++;
}

static void ns_hook(struct rpmsg_remote_device *rdev, const char *name, uint32_t addr,
		    bool destroy, void *priv)
{
	(void)rdev;
	assert_ptr_equal(priv, &T);
	if (T.ns_calls < 4) {
		strcpy(T.ns[T.ns_calls].name, name);
		T.ns[T.ns_calls].addr = addr;
		T.ns[T.ns_calls].destroy = destroy;
	}
	T.ns_calls++;
}

/* Each read moves the clock on by clock_step; read number post_at (from 1) finds a message the
 * host has just posted, as a streaming host would while the remote spins. */
static uint64_t remote_now_ns(void *ctx)
{
	(void)ctx;
	if (++T.clock_reads == T.post_at) {
		T.used_at_post = T.host.vr[1].used->idx;
		assert_int_equal(oah_send(&T.host, HOST_ADDR, ECHO_ADDR, "late", 4), 0);
	}
	return T.clock += T.clock_step;
}

/* A remote offering @offered (table and config alike) and the host double's rings; DRIVER_OK
 * not set yet. @kick false: the remote polls (no doorbell). @busy_ns: its busy poll. */
static void remote_up_busy(uint32_t offered, bool kick, uint32_t busy_ns)
{
	struct rpmsg_remote_config cfg = {0};

	memset(&T, 0, sizeof(T));
	T.clock_step = 100;
	amp_test_arena_init(&T.mem, MEM_LEN);
	T.vdev = (struct fw_rsc_vdev *)(void *)(T.mem.mem + VDEV_DA);
	T.vdev->id = VIRTIO_ID_RPMSG;
	T.vdev->dfeatures = offered;
	T.vdev->num_of_vrings = 2;
	cfg.vdev = T.vdev;
	cfg.features = offered;
	cfg.da_to_va = remote_da_to_va;
	cfg.kick = kick ? remote_kick : NULL;
	cfg.ctx = &T.host;
	cfg.state[0] = T.state[0];
	cfg.state[1] = T.state[1];
	cfg.state_num = NUM;
	cfg.slots = T.slots;
	cfg.num_slots = 16;
	cfg.now_ns = busy_ns ? remote_now_ns : NULL;
	cfg.busy_poll_ns = busy_ns;
	assert_int_equal(rpmsg_remote_init(&T.rdev, &cfg), 0);
	oah_init(&T.host, T.mem.mem, MEM_LEN, T.vdev, &layout);
}

static void remote_up(uint32_t offered, bool kick)
{
	remote_up_busy(offered, kick, 0);
}

/* ... then DRIVER_OK, the echo endpoint, and its announcement read by the host. */
static void echo_up(void)
{
	oah_driver_ok(&T.host);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 0);
	assert_int_equal(
		rpmsg_remote_create_ept(&T.rdev, &T.ept, "oa-echo", ECHO_ADDR, echo_cb, NULL), 0);
	oah_poll(&T.host);
}

static void remote_down(void)
{
	assert_true(amp_test_arena_guards_ok(&T.mem));
	amp_test_arena_free(&T.mem);
}

/* One message from the host through the echo and back; the echo is checked. */
static void round_trip(const void *data, uint32_t len)
{
	unsigned int rx = T.host.rx_msgs;

	assert_int_equal(oah_send(&T.host, HOST_ADDR, ECHO_ADDR, data, len), 0);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 1);
	assert_int_equal(oah_poll(&T.host), 1);
	assert_int_equal(T.host.rx_msgs, rx + 1);
	assert_int_equal(T.host.last_src, ECHO_ADDR);
	assert_int_equal(T.host.last_dst, HOST_ADDR);
	assert_int_equal(T.host.last_len, len);
	assert_memory_equal(T.host.last_data, data, len);
}

/* --- used length ------------------------------------------------------------------------ */

static void test_consumed_host_buffer_goes_back_with_its_whole_length(void **state)
{
	uint8_t msg[BUF - 16];
	unsigned int i;

	(void)state;
	remote_up(F_NS, true);
	echo_up();
	round_trip("hello", 5);
	/* Its whole length, as the descriptor said: OpenAMP's host takes it as the capacity. */
	assert_int_equal(T.host.vr[1].used->ring[0].len, BUF);
	/* Full-size messages through reclaimed buffers, three times round the ring. */
	for (i = 0; i < 3 * NUM; i++) {
		memset(msg, (int)i, sizeof(msg));
		round_trip(msg, sizeof(msg));
		assert_int_equal(T.host.last_used_len, BUF);
		assert_int_equal(T.host.last_capacity, BUF - 16);
	}
	assert_int_equal(T.host.bad_capacity, 0);
	assert_int_equal(T.echo_failed, 0);
	remote_down();
}

/* --- status ----------------------------------------------------------------------------- */

static void test_driver_ok_without_a_kick_is_seen_by_the_next_poll(void **state)
{
	(void)state;
	remote_up(F_NS, true);
	assert_int_equal(rpmsg_remote_create_ept(&T.rdev, &T.ept, "oa-echo", ECHO_ADDR, echo_cb,
						 NULL),
			 0);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), -AMP_EAGAIN);
	oah_driver_ok(&T.host);
	assert_int_equal(T.host.kicks[0] + T.host.kicks[1], 0); /* nothing rang */
	/* What a bounded wait's timeout leads to: a poll with no interrupt behind it. */
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 0);
	assert_int_equal(oah_poll(&T.host), 1);
	assert_int_equal(T.host.ns_msgs, 1);
	assert_string_equal(T.host.last_ns.name, "oa-echo");
	assert_int_equal(T.host.last_ns.addr, ECHO_ADDR);
	assert_int_equal(T.host.last_ns.flags, RPMSG_NS_CREATE);
	assert_int_equal(T.host.remote_kicks[0], 1); /* its rings want kicks: it got one */
	round_trip("up", 2);
	remote_down();
}

/* --- features --------------------------------------------------------------------------- */

static void test_event_idx_the_host_accepted_unoffered_is_not_used(void **state)
{
	unsigned int i;

	(void)state;
	remote_up(F_NS, true);
	/* A host that sets a feature it was not offered. */
	T.vdev->gfeatures |= F_EVENT_IDX;
	echo_up();
	assert_int_equal(T.host.remote_kicks[0], 1); /* the announcement */
	for (i = 0; i < 6; i++)
		round_trip("ping", 4);
	/* Flags decide: the host never suppresses receive kicks, so each echo rang; it asked
	 * for no transmit-complete kicks (VRING_AVAIL_F_NO_INTERRUPT on vring 1), so none came. */
	assert_int_equal(T.host.remote_kicks[0], 1 + 6);
	assert_int_equal(T.host.remote_kicks[1], 0);
	/* And no event index was written for the host to (not) read. */
	assert_int_equal(*vring_avail_event(&T.host.vr[1]), 0);
	remote_down();
}

static void test_event_idx_offered_and_accepted_is_used(void **state)
{
	(void)state;
	remote_up(F_NS | F_EVENT_IDX, true);
	echo_up();
	round_trip("ping", 4);
	round_trip("ping", 4);
	/* Re-armed with the event index: "kick me when you pass entry 2". */
	assert_int_equal(*vring_avail_event(&T.host.vr[1]), 2);
	remote_down();
}

/* Why a device meant for OpenAMP's host must not offer EVENT_IDX: it accepts it, and then the
 * remote waits for a used_event its rings never write, so the host's receive kicks stop. (The
 * double's fidelity on this point is what the test above relies on.) */
static void test_event_idx_offered_to_openamp_host_loses_its_kicks(void **state)
{
	unsigned int i;

	(void)state;
	remote_up(F_NS | F_EVENT_IDX, true);
	assert_int_equal(T.vdev->gfeatures, F_NS | F_EVENT_IDX); /* copied as offered */
	echo_up();
	for (i = 0; i < 6; i++)
		round_trip("ping", 4);
	assert_true(T.host.remote_kicks[0] < 1 + 6);
	remote_down();
}

static void test_name_service_the_host_accepted_unoffered_is_not_used(void **state)
{
	(void)state;
	remote_up(0, true);
	T.vdev->gfeatures = F_NS;
	echo_up();
	assert_int_equal(T.host.ns_msgs, 0); /* not announced */
	assert_int_equal(T.host.rx_msgs, 0);
	round_trip("still works", 11);
	remote_down();
}

static void test_init_refuses_features_the_table_does_not_offer(void **state)
{
	struct rpmsg_remote_config cfg = {0};
	uint8_t table[sizeof(struct fw_rsc_vdev) + 2 * sizeof(struct fw_rsc_vdev_vring)] = {0};
	struct fw_rsc_vdev *vdev = (struct fw_rsc_vdev *)(void *)table;
	struct rpmsg_remote_device rdev;

	(void)state;
	memset(&T, 0, sizeof(T));
	vdev->id = VIRTIO_ID_RPMSG;
	vdev->num_of_vrings = 2;
	cfg.vdev = vdev;
	cfg.da_to_va = remote_da_to_va;
	cfg.state[0] = T.state[0];
	cfg.state[1] = T.state[1];
	cfg.state_num = NUM;
	cfg.slots = T.slots;
	cfg.num_slots = 16;

	vdev->dfeatures = F_NS;
	cfg.features = F_NS | F_EVENT_IDX; /* more than the table offers */
	assert_int_equal(rpmsg_remote_init(&rdev, &cfg), -AMP_EINVAL);
	vdev->dfeatures = F_NS | F_EVENT_IDX;
	cfg.features = F_NS; /* the table offers what the code would not honour */
	assert_int_equal(rpmsg_remote_init(&rdev, &cfg), -AMP_EINVAL);
	vdev->dfeatures = F_NS | (1u << 1);
	cfg.features = F_NS | (1u << 1); /* a feature the remote does not implement */
	assert_int_equal(rpmsg_remote_init(&rdev, &cfg), -AMP_EINVAL);
	/* A bit that is not the remote's business (a device feature it does not know) is left
	 * to whoever put it there. */
	cfg.features = F_NS;
	assert_int_equal(rpmsg_remote_init(&rdev, &cfg), 0);
	/* A busy poll needs a clock to end it. */
	cfg.busy_poll_ns = 1000;
	assert_int_equal(rpmsg_remote_init(&rdev, &cfg), -AMP_EINVAL);
	cfg.now_ns = remote_now_ns;
	assert_int_equal(rpmsg_remote_init(&rdev, &cfg), 0);
}

/* --- the host's own announcements --------------------------------------------------------- */

static void host_ns(const char *name, size_t name_len, uint32_t addr, uint32_t flags,
		    uint32_t len)
{
	uint8_t msg[64] = {0};
	struct rpmsg_ns_msg *m = (struct rpmsg_ns_msg *)(void *)msg;

	memcpy(m->name, name, name_len);
	m->addr = addr;
	m->flags = flags;
	assert_int_equal(oah_send(&T.host, RPMSG_NS_ADDR, RPMSG_NS_ADDR, msg, len), 0);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 1); /* taken, for no endpoint */
}

static void test_host_announcements_reach_the_ns_hook(void **state)
{
	struct rpmsg_remote_stats st;

	(void)state;
	remote_up(F_NS, true);
	rpmsg_remote_set_ns_cb(&T.rdev, ns_hook, &T);
	echo_up();
	host_ns("oa-svc", 7, HOST_ADDR, RPMSG_NS_CREATE, 40);
	host_ns("oa-svc", 7, HOST_ADDR, RPMSG_NS_DESTROY, 40);
	assert_int_equal(T.ns_calls, 2);
	assert_string_equal(T.ns[0].name, "oa-svc");
	assert_int_equal(T.ns[0].addr, HOST_ADDR);
	assert_false(T.ns[0].destroy);
	assert_string_equal(T.ns[1].name, "oa-svc");
	assert_true(T.ns[1].destroy);
	/* Without a hook: counted, dropped, still not "no endpoint". */
	rpmsg_remote_set_ns_cb(&T.rdev, NULL, NULL);
	host_ns("oa-other", 9, 0x402, RPMSG_NS_CREATE, 40);
	assert_int_equal(T.ns_calls, 2);
	rpmsg_remote_get_stats(&T.rdev, &st);
	assert_int_equal(st.ns_msgs, 3);
	assert_int_equal(st.ns_bad, 0);
	assert_int_equal(st.rx_no_ept, 0);
	assert_int_equal(st.rx_msgs, 0);
	remote_down();
}

static void test_malformed_host_announcements_are_counted_and_dropped(void **state)
{
	struct rpmsg_remote_stats st;
	char unterminated[RPMSG_NAME_SIZE];

	(void)state;
	memset(unterminated, 'N', sizeof(unterminated));
	remote_up(F_NS, true);
	rpmsg_remote_set_ns_cb(&T.rdev, ns_hook, &T);
	echo_up();
	host_ns("short", 6, HOST_ADDR, RPMSG_NS_CREATE, 39);
	host_ns("long", 5, HOST_ADDR, RPMSG_NS_CREATE, 41);
	host_ns(unterminated, sizeof(unterminated), HOST_ADDR, RPMSG_NS_CREATE, 40);
	host_ns("", 0, HOST_ADDR, RPMSG_NS_CREATE, 40);
	host_ns("", 0, HOST_ADDR, RPMSG_NS_CREATE, 0);
	assert_int_equal(T.ns_calls, 0);
	rpmsg_remote_get_stats(&T.rdev, &st);
	assert_int_equal(st.ns_bad, 5);
	assert_int_equal(st.ns_msgs, 0);
	assert_int_equal(st.rx_no_ept, 0);
	round_trip("fine", 4); /* nothing else was disturbed */
	remote_down();
}

static void test_host_announcement_without_name_service_has_no_endpoint(void **state)
{
	struct rpmsg_remote_stats st;

	(void)state;
	remote_up(0, true);
	rpmsg_remote_set_ns_cb(&T.rdev, ns_hook, &T);
	echo_up();
	host_ns("oa-svc", 7, HOST_ADDR, RPMSG_NS_CREATE, 40);
	assert_int_equal(T.ns_calls, 0);
	rpmsg_remote_get_stats(&T.rdev, &st);
	assert_int_equal(st.rx_no_ept, 1);
	assert_int_equal(st.ns_msgs, 0);
	remote_down();
}

/* --- waiting for a transmit buffer --------------------------------------------------------- */

/* Send until the host has no buffer left; returns how many went. */
static unsigned int fill_host(void)
{
	unsigned int n = 0;
	int ret;

	while ((ret = rpmsg_remote_send(&T.ept, HOST_ADDR, "x", 1)) == 0)
		n++;
	assert_int_equal(ret, -AMP_ENOMEM);
	return n;
}

static void test_tx_wait_arm_asks_for_a_kick_and_looks_again(void **state)
{
	const struct vring_used *used;
	unsigned int kicks;

	(void)state;
	remote_up(F_NS, true);
	echo_up();
	used = T.host.vr[0].used;
	assert_int_equal(fill_host(), NUM);
	/* Nothing posted: armed, safe to sleep, and the host is asked to kick. */
	assert_true(rpmsg_remote_tx_wait_arm(&T.rdev));
	assert_false(used->flags & VRING_USED_F_NO_NOTIFY);
	kicks = T.host.kicks[0];
	assert_int_equal(oah_poll(&T.host), NUM);
	assert_int_equal(T.host.kicks[0], kicks + 1); /* the wake-up the sleeper waits for */
	rpmsg_remote_tx_wait_disarm(&T.rdev);
	assert_true(used->flags & VRING_USED_F_NO_NOTIFY);
	/* Buffers already there: do not sleep. */
	assert_false(rpmsg_remote_tx_wait_arm(&T.rdev));
	rpmsg_remote_tx_wait_disarm(&T.rdev);
	/* Disarmed, a host that returns buffers does not kick: a sender that keeps up costs it
	 * nothing. */
	assert_int_equal(fill_host(), NUM);
	kicks = T.host.kicks[0];
	assert_int_equal(oah_poll(&T.host), NUM);
	assert_int_equal(T.host.kicks[0], kicks);
	remote_down();
}

static void test_polling_mode_watches_the_rings_instead(void **state)
{
	(void)state;
	remote_up(F_NS, false);
	assert_false(rpmsg_remote_tx_available(&T.rdev)); /* not ready */
	assert_false(rpmsg_remote_rx_pending(&T.rdev));
	echo_up();
	assert_true(rpmsg_remote_tx_available(&T.rdev));
	assert_int_equal(fill_host(), NUM);
	assert_false(rpmsg_remote_tx_available(&T.rdev));
	assert_false(rpmsg_remote_tx_wait_arm(&T.rdev)); /* nobody would kick */
	oah_poll(&T.host);
	assert_true(rpmsg_remote_tx_available(&T.rdev));
	assert_false(rpmsg_remote_rx_pending(&T.rdev));
	assert_int_equal(oah_send(&T.host, HOST_ADDR, ECHO_ADDR, "p", 1), 0);
	assert_true(rpmsg_remote_rx_pending(&T.rdev));
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 1);
	assert_false(rpmsg_remote_rx_pending(&T.rdev));
	assert_int_equal(T.host.remote_kicks[0] + T.host.remote_kicks[1], 0);
	remote_down();
}

static void test_polled_sends_are_published_in_batches(void **state)
{
	const struct vring_used *used;
	uint16_t before;
	int i;

	(void)state;
	remote_up(F_NS, false);
	echo_up();
	used = T.host.vr[0].used;
	before = used->idx;
	/* Sent outside a poll: out with the batch, or when flushed. */
	assert_int_equal(rpmsg_remote_send(&T.ept, HOST_ADDR, "a", 1), 0);
	assert_int_equal(rpmsg_remote_send(&T.ept, HOST_ADDR, "b", 1), 0);
	assert_int_equal(used->idx, before);
	rpmsg_remote_flush(&T.rdev);
	assert_int_equal(used->idx, (uint16_t)(before + 2));
	/* A reply sent from a callback is out when the poll returns. */
	assert_int_equal(oah_send(&T.host, HOST_ADDR, ECHO_ADDR, "p", 1), 0);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 1);
	assert_int_equal(used->idx, (uint16_t)(before + 3));
	/* Out of buffers: what was sent goes out before the sender waits for the host. */
	for (i = 0; rpmsg_remote_send(&T.ept, HOST_ADDR, "c", 1) == 0; i++)
		;
	assert_true(i > 0);
	assert_int_equal(used->idx, (uint16_t)(before + 3 + i));
	remote_down();
}

/* --- sends with more to follow ------------------------------------------------------------ */

/* @n messages with more to follow; none may be visible to the host, nor kick it. */
static void send_more_unseen(unsigned int n)
{
	uint16_t idx = T.host.vr[0].used->idx;
	unsigned int kicks = T.host.remote_kicks[0], i;

	for (i = 0; i < n; i++)
		assert_int_equal(rpmsg_remote_send_more(&T.ept, HOST_ADDR, "m", 1), 0);
	assert_int_equal(T.host.vr[0].used->idx, idx);
	assert_int_equal(T.host.remote_kicks[0], kicks);
}

static void test_sends_with_more_to_follow_kick_once_for_all(void **state)
{
	unsigned int kicks, i;

	(void)state;
	remote_up(F_NS, true);
	echo_up();
	/* Ended by a plain send: one kick for the eleven. */
	send_more_unseen(10);
	kicks = T.host.remote_kicks[0];
	assert_int_equal(rpmsg_remote_send(&T.ept, HOST_ADDR, "e", 1), 0);
	assert_int_equal(T.host.remote_kicks[0], kicks + 1);
	assert_int_equal(oah_poll(&T.host), 11);
	/* Ended by a flush. */
	send_more_unseen(3);
	rpmsg_remote_flush(&T.rdev);
	assert_int_equal(T.host.remote_kicks[0], kicks + 2);
	assert_int_equal(oah_poll(&T.host), 3);
	/* A flush with nothing new kicks nobody. */
	rpmsg_remote_flush(&T.rdev);
	assert_int_equal(T.host.remote_kicks[0], kicks + 2);
	/* Ended by a poll that finds nothing (what callbacks send goes out so too). */
	send_more_unseen(2);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 0);
	assert_int_equal(T.host.remote_kicks[0], kicks + 3);
	assert_int_equal(oah_poll(&T.host), 2);
	/* Out of buffers: the host hears of every one before the sender waits for it to give
	 * some back, or both would wait for ever. */
	for (i = 0; rpmsg_remote_send_more(&T.ept, HOST_ADDR, "f", 1) == 0; i++)
		;
	assert_int_equal(i, NUM);
	assert_int_equal(T.host.remote_kicks[0], kicks + 4);
	assert_int_equal(oah_poll(&T.host), NUM);
	assert_int_equal(T.host.rx_msgs, 11 + 3 + 2 + NUM);
	remote_down();
}

static void test_sends_with_more_to_follow_in_polling_mode_are_polled_sends(void **state)
{
	uint16_t before;

	(void)state;
	remote_up(F_NS, false);
	echo_up();
	before = T.host.vr[0].used->idx;
	assert_int_equal(rpmsg_remote_send_more(&T.ept, HOST_ADDR, "a", 1), 0);
	assert_int_equal(rpmsg_remote_send(&T.ept, HOST_ADDR, "b", 1), 0);
	assert_int_equal(T.host.vr[0].used->idx, before); /* a polled batch: not yet */
	rpmsg_remote_flush(&T.rdev);
	assert_int_equal(T.host.vr[0].used->idx, (uint16_t)(before + 2));
	assert_int_equal(oah_poll(&T.host), 2);
	assert_int_equal(T.host.remote_kicks[0] + T.host.remote_kicks[1], 0);
	remote_down();
}

/* --- returning the host's buffers --------------------------------------------------------- */

/* Twelve messages the remote finds at once (to an address nobody listens on: no replies). */
static void host_dozen(void)
{
	int i;

	for (i = 0; i < 12; i++)
		assert_int_equal(oah_send(&T.host, HOST_ADDR, 0x999, "z", 1), 0);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 12);
}

static void test_a_host_waiting_for_buffers_hears_of_each_quarter_ring(void **state)
{
	unsigned int kicks;

	(void)state;
	remote_up(F_NS, true);
	echo_up();
	/* As OpenAMP's host: no interrupts for returned buffers, so none come. */
	kicks = T.host.remote_kicks[1];
	host_dozen();
	assert_int_equal(T.host.remote_kicks[1], kicks);
	oah_poll(&T.host);
	/* A host out of buffers, waiting, as Linux's asks: one kick per quarter of the 16-entry
	 * ring, so that it posts again while the remote works through the rest; and none more
	 * when the ring is found empty with nothing left to return. */
	T.host.vr[1].avail->flags = 0;
	host_dozen();
	assert_int_equal(T.host.remote_kicks[1], kicks + 12 / (NUM / 4));
	remote_down();
}

/* --- busy polling after a burst --------------------------------------------------------- */

/* Two messages from the host, each with the kick a host whose rings use flags gives an armed
 * remote; returns the host's kick count after them. */
static unsigned int host_burst(void)
{
	assert_int_equal(oah_send(&T.host, HOST_ADDR, ECHO_ADDR, "a", 1), 0);
	assert_int_equal(oah_send(&T.host, HOST_ADDR, ECHO_ADDR, "b", 1), 0);
	return T.host.kicks[1];
}

static void test_busy_poll_takes_a_streams_next_message_without_a_kick(void **state)
{
	const struct vring_used *used;
	unsigned int kicks;
	uint16_t before;

	(void)state;
	remote_up_busy(F_NS, true, 2000);
	echo_up();
	used = T.host.vr[1].used;
	before = used->idx;
	kicks = host_burst();
	T.post_at = 1;
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 3);
	/* The burst's buffers were back before the spin: a host waiting for them does not wait
	 * for us. */
	assert_int_equal(T.used_at_post, (uint16_t)(before + 2));
	/* Posted while we drained: no kick asked for, none given. */
	assert_int_equal(T.host.kicks[1], kicks);
	assert_int_equal(T.rdev.stats.busy_polls, 1);
	/* After the third, another spin, which found nothing in time: then armed. */
	assert_int_equal(T.rdev.stats.busy_poll_misses, 1);
	assert_false(used->flags & VRING_USED_F_NO_NOTIFY);
	assert_int_equal(used->idx, (uint16_t)(before + 3));
	assert_int_equal(oah_poll(&T.host), 3);
	assert_memory_equal(T.host.last_data, "late", 4);
	/* Armed: the next message kicks. */
	assert_int_equal(oah_send(&T.host, HOST_ADDR, ECHO_ADDR, "c", 1), 0);
	assert_int_equal(T.host.kicks[1], kicks + 1);
	remote_down();
}

static void test_busy_poll_ends_in_time_when_the_stream_does(void **state)
{
	(void)state;
	remote_up_busy(F_NS, true, 2000);
	echo_up();
	host_burst();
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 2);
	assert_int_equal(T.rdev.stats.busy_polls, 0);
	assert_int_equal(T.rdev.stats.busy_poll_misses, 1);
	/* 2 us on a clock that moves 100 ns a read: the first read starts it, ~20 more end it. */
	assert_true(T.clock_reads >= 2000 / 100);
	assert_true(T.clock_reads <= 2000 / 100 + 2);
	remote_down();
}

static void test_busy_poll_ends_on_a_clock_that_stands_still(void **state)
{
	(void)state;
	remote_up_busy(F_NS, true, 2000);
	T.clock_step = 0;
	echo_up();
	host_burst();
	/* Bounded by its count of looks instead (one per nanosecond of the budget, at most). */
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 2);
	assert_int_equal(T.rdev.stats.busy_poll_misses, 1);
	assert_true(T.clock_reads <= 2000 / 32 + 1);
	remote_down();
}

static void test_single_messages_never_busy_poll(void **state)
{
	unsigned int i;

	(void)state;
	remote_up_busy(F_NS, true, 2000);
	echo_up();
	for (i = 0; i < 3 * NUM; i++)
		round_trip("one", 3);
	assert_int_equal(T.clock_reads, 0);
	assert_int_equal(T.rdev.stats.busy_polls + T.rdev.stats.busy_poll_misses, 0);
	/* And each message still rang: the remote re-armed after every one. */
	assert_int_equal(T.host.kicks[1], 3 * NUM);
	remote_down();
}

static void test_busy_poll_is_turned_off_and_on(void **state)
{
	(void)state;
	remote_up(F_NS, true);
	/* Set up without a clock: no busy poll, for nothing would end it. */
	assert_int_equal(rpmsg_remote_set_busy_poll(&T.rdev, 1000), -AMP_EINVAL);
	assert_int_equal(rpmsg_remote_set_busy_poll(&T.rdev, 0), 0);
	remote_down();

	remote_up_busy(F_NS, true, 2000);
	echo_up();
	assert_int_equal(rpmsg_remote_set_busy_poll(&T.rdev, 0), 0);
	host_burst();
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 2);
	assert_int_equal(T.clock_reads, 0);
	assert_int_equal(T.rdev.stats.busy_poll_misses, 0);
	assert_int_equal(rpmsg_remote_set_busy_poll(&T.rdev, 500), 0);
	host_burst();
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 2);
	assert_int_equal(T.rdev.stats.busy_poll_misses, 1);
	assert_true(T.clock_reads <= 500 / 100 + 2);
	remote_down();
}

/* --- callbacks never nest ---------------------------------------------------------------- */

#define NEST_ADDR 0x402u

static struct {
	unsigned int depth, max_depth, n;
	uint8_t order[4];
	int inner;
} N;

/* A callback that polls, as one waiting for a host buffer does (amp_fw_rpmsg_wait_tx()). */
static void nest_cb(struct rpmsg_remote_ept *ept, const void *data, size_t len, uint32_t src,
		    void *priv)
{
	(void)ept;
	(void)src;
	(void)priv;
	if (++N.depth > N.max_depth)
		N.max_depth = N.depth;
	if (N.n < sizeof(N.order) && len)
		N.order[N.n++] = *(const uint8_t *)data;
	N.inner = rpmsg_remote_poll(&T.rdev);
	N.depth--;
}

static void test_a_poll_from_a_callback_delivers_nothing(void **state)
{
	struct rpmsg_remote_ept nest;
	uint8_t i;

	(void)state;
	memset(&N, 0, sizeof(N));
	remote_up(F_NS | F_EVENT_IDX, true);
	echo_up();
	assert_int_equal(rpmsg_remote_create_ept(&T.rdev, &nest, "nest", NEST_ADDR, nest_cb, NULL),
			 0);
	oah_poll(&T.host); /* its announcement */
	for (i = 1; i <= 3; i++)
		assert_int_equal(oah_send(&T.host, HOST_ADDR, NEST_ADDR, &i, 1), 0);
	/* The outer poll delivers all three, one callback at a time, in order; the poll in
	 * each callback delivered none of the next. */
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 3);
	assert_int_equal(N.inner, -AMP_EBUSY);
	assert_int_equal(N.max_depth, 1);
	assert_int_equal(N.n, 3);
	assert_memory_equal(N.order, ((const uint8_t[]){1, 2, 3}), 3);
	/* And polls work again once out of the callbacks. */
	round_trip("after", 5);
	remote_down();
}

/* --- announcements that find no host buffer ---------------------------------------------- */

#define SVC_ADDR 0x410u

static struct rpmsg_remote_ept svc, svc2;

static void svc_cb(struct rpmsg_remote_ept *ept, const void *data, size_t len, uint32_t src,
		   void *priv)
{
	(void)ept;
	(void)data;
	(void)len;
	(void)src;
	(*(unsigned int *)priv)++;
}

/* A callback that creates an endpoint (as a control channel's "open" would). */
static void open_cb(struct rpmsg_remote_ept *ept, const void *data, size_t len, uint32_t src,
		    void *priv)
{
	(void)ept;
	(void)data;
	(void)len;
	(void)src;
	assert_int_equal(rpmsg_remote_create_ept(&T.rdev, &svc, "late", SVC_ADDR, svc_cb, priv), 0);
}

static void test_a_create_without_a_host_buffer_is_announced_later(void **state)
{
	struct rpmsg_remote_ept ctl;
	struct rpmsg_remote_stats st;
	unsigned int ns, got = 0, kicks;

	(void)state;
	remote_up(F_NS, true);
	echo_up();
	assert_int_equal(rpmsg_remote_create_ept(&T.rdev, &ctl, "ctl", 0x402u, open_cb, &got), 0);
	oah_poll(&T.host);
	ns = T.host.ns_msgs;
	assert_int_equal(fill_host(), NUM);
	assert_int_equal(oah_send(&T.host, HOST_ADDR, 0x402u, "open", 4), 0);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 1);
	rpmsg_remote_get_stats(&T.rdev, &st);
	assert_int_equal(st.ns_deferred, 1);
	/* The host drains the ring: asked to, it kicks, and the next poll announces. */
	kicks = T.host.kicks[0];
	assert_int_equal(oah_poll(&T.host), NUM);
	assert_int_equal(T.host.kicks[0], kicks + 1);
	assert_int_equal(T.host.ns_msgs, ns);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 0);
	oah_poll(&T.host);
	assert_int_equal(T.host.ns_msgs, ns + 1);
	assert_string_equal(T.host.last_ns.name, "late");
	assert_int_equal(T.host.last_ns.addr, SVC_ADDR);
	assert_int_equal(T.host.last_ns.flags, RPMSG_NS_CREATE);
	/* Nothing waits: the host is no longer asked to kick for its returns. */
	assert_true(T.host.vr[0].used->flags & VRING_USED_F_NO_NOTIFY);
	/* And the endpoint works. */
	assert_int_equal(oah_send(&T.host, HOST_ADDR, SVC_ADDR, "hi", 2), 0);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 1);
	assert_int_equal(got, 1);
	remote_down();
}

/* A DESTROY that waits goes before a CREATE of the same name and address made after it. */
static void test_a_destroy_without_a_host_buffer_is_announced_later_and_first(void **state)
{
	struct rpmsg_remote_stats st;
	unsigned int ns, got = 0;

	(void)state;
	remote_up(F_NS, true);
	echo_up();
	assert_int_equal(rpmsg_remote_create_ept(&T.rdev, &svc, "svc", SVC_ADDR, svc_cb, &got), 0);
	oah_poll(&T.host);
	ns = T.host.ns_msgs;
	assert_int_equal(fill_host(), NUM);
	rpmsg_remote_destroy_ept(&svc);
	assert_int_equal(rpmsg_remote_create_ept(&T.rdev, &svc2, "svc", SVC_ADDR, svc_cb, &got),
			 0);
	rpmsg_remote_get_stats(&T.rdev, &st);
	assert_int_equal(st.ns_deferred, 2);
	assert_int_equal(oah_poll(&T.host), NUM);
	assert_int_equal(T.host.ns_msgs, ns);
	rpmsg_remote_flush(&T.rdev);
	oah_poll(&T.host);
	assert_int_equal(T.host.ns_msgs, ns + 2);
	assert_string_equal(T.host.last_ns.name, "svc");
	assert_int_equal(T.host.last_ns.flags, RPMSG_NS_CREATE); /* the last of the two */
	remote_down();
}

static void test_destroying_twice_touches_no_other_endpoint(void **state)
{
	unsigned int ns, got = 0, got2 = 0;

	(void)state;
	remote_up(F_NS, true);
	echo_up();
	assert_int_equal(rpmsg_remote_create_ept(&T.rdev, &svc, "svc", SVC_ADDR, svc_cb, &got), 0);
	rpmsg_remote_destroy_ept(&svc);
	assert_int_equal(rpmsg_remote_create_ept(&T.rdev, &svc2, "svc", SVC_ADDR, svc_cb, &got2),
			 0);
	oah_poll(&T.host);
	ns = T.host.ns_msgs;
	/* The first again, and the storage of a create that failed (the address is taken). */
	rpmsg_remote_destroy_ept(&svc);
	assert_int_equal(rpmsg_remote_create_ept(&T.rdev, &svc, "dup", SVC_ADDR, svc_cb, &got),
			 -AMP_EEXIST);
	rpmsg_remote_destroy_ept(&svc);
	oah_poll(&T.host);
	assert_int_equal(T.host.ns_msgs, ns); /* no DESTROY of the live channel */
	assert_int_equal(oah_send(&T.host, HOST_ADDR, SVC_ADDR, "hi", 2), 0);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 1);
	assert_int_equal(got2, 1);
	assert_int_equal(got, 0);
	remote_down();
}

/* More DESTROYs than can wait: the extra ones are counted, the others still go, in order. */
static void test_destroys_past_what_can_wait_are_counted(void **state)
{
	struct rpmsg_remote_ept e[RPMSG_REMOTE_NS_GONE + 1];
	struct rpmsg_remote_stats st;
	unsigned int i, ns, got = 0;

	(void)state;
	remote_up(F_NS, true);
	echo_up();
	for (i = 0; i <= RPMSG_REMOTE_NS_GONE; i++)
		assert_int_equal(
			rpmsg_remote_create_ept(&T.rdev, &e[i], "many", SVC_ADDR + i, svc_cb, &got),
			0);
	oah_poll(&T.host);
	ns = T.host.ns_msgs;
	assert_int_equal(fill_host(), NUM);
	for (i = 0; i <= RPMSG_REMOTE_NS_GONE; i++)
		rpmsg_remote_destroy_ept(&e[i]);
	rpmsg_remote_get_stats(&T.rdev, &st);
	assert_int_equal(st.ns_deferred, RPMSG_REMOTE_NS_GONE);
	assert_int_equal(st.ns_lost, 1);
	assert_int_equal(oah_poll(&T.host), NUM);
	assert_int_equal(rpmsg_remote_poll(&T.rdev), 0);
	oah_poll(&T.host);
	assert_int_equal(T.host.ns_msgs, ns + RPMSG_REMOTE_NS_GONE);
	assert_int_equal(T.host.last_ns.addr, SVC_ADDR + RPMSG_REMOTE_NS_GONE - 1);
	assert_int_equal(T.host.last_ns.flags, RPMSG_NS_DESTROY);
	remote_down();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consumed_host_buffer_goes_back_with_its_whole_length),
		cmocka_unit_test(test_driver_ok_without_a_kick_is_seen_by_the_next_poll),
		cmocka_unit_test(test_event_idx_the_host_accepted_unoffered_is_not_used),
		cmocka_unit_test(test_event_idx_offered_and_accepted_is_used),
		cmocka_unit_test(test_event_idx_offered_to_openamp_host_loses_its_kicks),
		cmocka_unit_test(test_name_service_the_host_accepted_unoffered_is_not_used),
		cmocka_unit_test(test_init_refuses_features_the_table_does_not_offer),
		cmocka_unit_test(test_host_announcements_reach_the_ns_hook),
		cmocka_unit_test(test_malformed_host_announcements_are_counted_and_dropped),
		cmocka_unit_test(test_host_announcement_without_name_service_has_no_endpoint),
		cmocka_unit_test(test_tx_wait_arm_asks_for_a_kick_and_looks_again),
		cmocka_unit_test(test_polling_mode_watches_the_rings_instead),
		cmocka_unit_test(test_polled_sends_are_published_in_batches),
		cmocka_unit_test(test_sends_with_more_to_follow_kick_once_for_all),
		cmocka_unit_test(test_sends_with_more_to_follow_in_polling_mode_are_polled_sends),
		cmocka_unit_test(test_a_host_waiting_for_buffers_hears_of_each_quarter_ring),
		cmocka_unit_test(test_busy_poll_takes_a_streams_next_message_without_a_kick),
		cmocka_unit_test(test_busy_poll_ends_in_time_when_the_stream_does),
		cmocka_unit_test(test_busy_poll_ends_on_a_clock_that_stands_still),
		cmocka_unit_test(test_single_messages_never_busy_poll),
		cmocka_unit_test(test_busy_poll_is_turned_off_and_on),
		cmocka_unit_test(test_a_poll_from_a_callback_delivers_nothing),
		cmocka_unit_test(test_a_create_without_a_host_buffer_is_announced_later),
		cmocka_unit_test(test_a_destroy_without_a_host_buffer_is_announced_later_and_first),
		cmocka_unit_test(test_destroying_twice_touches_no_other_endpoint),
		cmocka_unit_test(test_destroys_past_what_can_wait_are_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
