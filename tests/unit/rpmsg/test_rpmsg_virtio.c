/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for the rpmsg bus (rpmsg_virtio.c) and the remote side (rpmsg_remote.c) against each
 * other: a host and a remote in one process over shared memory, each in its own thread.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/rpmsg.h>
#include <amp/rpmsg_remote.h>

#include "amp_test_link.h"
#include "rpmsg_client_sample.h"

#define NS_AND_EVENT_IDX ((1u << VIRTIO_RPMSG_F_NS) | (1u << VIRTIO_RING_F_EVENT_IDX))
#define REMOTE_ADDR 0x400u

/* --- the remote's side of the tests ------------------------------------------------------ */

struct remote {
	struct rpmsg_remote_ept ept, extra[8], sink;
	int got;
	int sunk;              /* messages the sink took (amp_link_bump()) */
	uint32_t sink_next[2]; /* the sink's next expected sequence number per sender */
	int sink_out_of_order; /* remote thread only */
	char last[512];
	size_t last_len;
	uint32_t last_src;
};

static struct remote R;
static struct amp_link L;

/* Echo each message back to its sender, prefixed. */
static void remote_echo_cb(struct rpmsg_remote_ept *ept, const void *data, size_t len,
			   uint32_t src, void *priv)
{
	char reply[512];

	(void)priv;
	R.got++;
	memcpy(R.last, data, len < sizeof(R.last) ? len : sizeof(R.last));
	R.last_len = len;
	R.last_src = src;
	memcpy(reply, data, len);
	/* Out of host buffers: the host's thread is draining; wait for one to come back. */
	while (rpmsg_remote_send(ept, src, reply, len) == -AMP_ENOMEM)
		sched_yield();
}

static int remote_announce(struct amp_link *l, void *arg)
{
	return rpmsg_remote_create_ept(&l->rdev, &R.ept, arg ? arg : "rpmsg-client-sample",
				       REMOTE_ADDR, remote_echo_cb, NULL);
}

static int remote_withdraw(struct amp_link *l, void *arg)
{
	(void)l;
	(void)arg;
	rpmsg_remote_destroy_ept(&R.ept);
	return 0;
}

/* --- the host's side ---------------------------------------------------------------------- */

struct host {
	int probes, removes, msgs, probes_extra;
	struct rpmsg_channel *ch;
	char last[512];
	int last_len;
	u32 last_src;
	uint32_t seq_expected;
	int out_of_order;
};

static struct host H;

static int drv_probe(struct rpmsg_channel *rpdev)
{
	H.ch = rpdev;
	amp_link_bump(&L, &H.probes);
	return 0;
}

static void drv_remove(struct rpmsg_channel *rpdev)
{
	(void)rpdev;
	amp_link_bump(&L, &H.removes);
}

static void drv_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	(void)rpdev;
	(void)priv;
	memcpy(H.last, data, (size_t)len);
	H.last_len = len;
	H.last_src = src;
	amp_link_bump(&L, &H.msgs);
}

static const struct rpmsg_device_id test_ids[] = {{"test-echo"}, {""}};
static struct rpmsg_driver test_drv = {
	.name = "test", .id_table = test_ids, .probe = drv_probe, .remove = drv_remove,
	.callback = drv_cb};

/* The remote busy polls for 20 us after a burst: long enough to meet a streaming sender here. */
#define LINK_BUSY_POLL_NS 20000u

static int setup_features(uint32_t busy_poll_ns, uint32_t features)
{
	memset(&R, 0, sizeof(R));
	memset(&H, 0, sizeof(H));
	amp_log_set_level(AMP_LOG_ERR);
	amp_link_init_busy(&L, features, busy_poll_ns);
	assert_int_equal(register_rpmsg_driver(&test_drv), 0);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_features(0, NS_AND_EVENT_IDX);
}

static int setup_no_event_idx(void **state)
{
	(void)state;
	return setup_features(0, 1u << VIRTIO_RPMSG_F_NS);
}

static int setup_busy(void **state)
{
	(void)state;
	return setup_features(LINK_BUSY_POLL_NS, NS_AND_EVENT_IDX);
}

static int setup_busy_no_event_idx(void **state)
{
	(void)state;
	return setup_features(LINK_BUSY_POLL_NS, 1u << VIRTIO_RPMSG_F_NS);
}

static int teardown(void **state)
{
	(void)state;
	unregister_rpmsg_driver(&test_drv);
	amp_link_fini(&L);
	return 0;
}

/* Announce "test-echo" and wait for the channel's probe. */
static void bring_up_echo(void)
{
	amp_link_remote_call(&L, remote_announce, "test-echo");
	assert_int_equal(amp_link_wait(&L, &H.probes, 1), 0);
	assert_non_null(H.ch);
	assert_int_equal(H.ch->dst, REMOTE_ADDR);
	assert_true(H.ch->src >= RPMSG_RESERVED_ADDRESSES);
}

/* --- tests -------------------------------------------------------------------------------- */

static int seed_replies;

static void seed_observer(struct rpmsg_channel *rpdev, const void *data, int len, u32 src)
{
	(void)rpdev;
	(void)data;
	(void)len;
	(void)src;
	amp_link_bump(&L, &seed_replies);
}

static void test_seed_sample_probes_and_says_dude(void **state)
{
	(void)state;
	seed_replies = 0;
	assert_int_equal(rpmsg_client_sample_register(seed_observer), 0);
	amp_link_remote_call(&L, remote_announce, NULL);
	/* The name service created the channel, the sample's probe said "dude", the remote
	 * echoed it, and the sample's callback got the reply. */
	assert_int_equal(amp_link_wait(&L, &seed_replies, 1), 0);
	assert_int_equal(R.got, 1);
	assert_int_equal(R.last_len, 4);
	assert_memory_equal(R.last, "dude", 4);
	/* The remote learnt the host's address from that first message. */
	assert_int_equal(R.ept.dest_addr, R.last_src);
	assert_true(R.last_src >= RPMSG_RESERVED_ADDRESSES);
	rpmsg_client_sample_unregister();
}

static void test_send_variants_and_their_errors(void **state)
{
	char big[497];
	int mtu;

	(void)state;
	bring_up_echo();
	mtu = rpmsg_get_mtu(H.ch->ept);
	assert_int_equal(mtu, 496);
	memset(big, 'b', sizeof(big));
	assert_int_equal(rpmsg_send(H.ch, "one", 3), 0);
	assert_int_equal(amp_link_wait(&L, &H.msgs, 1), 0);
	assert_int_equal(H.last_len, 3);
	assert_int_equal(H.last_src, REMOTE_ADDR);
	assert_int_equal(rpmsg_sendto(H.ch, big, mtu, REMOTE_ADDR), 0);
	assert_int_equal(amp_link_wait(&L, &H.msgs, 2), 0);
	assert_int_equal(H.last_len, 496);
	assert_int_equal(rpmsg_trysend(H.ch, "", 0), 0); /* empty messages are legal */
	assert_int_equal(amp_link_wait(&L, &H.msgs, 3), 0);
	assert_int_equal(H.last_len, 0);
	assert_int_equal(rpmsg_trysendto(H.ch, "x", 1, REMOTE_ADDR), 0);
	assert_int_equal(rpmsg_send_offchannel(H.ch, H.ch->src, REMOTE_ADDR, "y", 1), 0);
	assert_int_equal(rpmsg_trysend_offchannel(H.ch, H.ch->src, REMOTE_ADDR, "z", 1), 0);
	assert_int_equal(amp_link_wait(&L, &H.msgs, 6), 0);
	assert_int_equal(rpmsg_send(H.ch, big, mtu + 1), -AMP_EMSGSIZE);
	assert_int_equal(rpmsg_send(H.ch, big, -1), -AMP_EINVAL);
	assert_int_equal(rpmsg_sendto(H.ch, "a", 1, RPMSG_ADDR_ANY), -AMP_EINVAL);
	assert_int_equal(rpmsg_send_offchannel(H.ch, RPMSG_ADDR_ANY, REMOTE_ADDR, "a", 1),
			 -AMP_EINVAL);
	assert_int_equal(rpmsg_ept_sendto(H.ch->ept, REMOTE_ADDR, "e", 1, 100), 0);
	assert_int_equal(amp_link_wait(&L, &H.msgs, 7), 0);
}

static void test_exhausted_buffers_block_time_out_and_recover(void **state)
{
	struct rpmsg_stats st;
	int sent = 0, ret;

	(void)state;
	bring_up_echo();
	amp_link_pause_remote(&L, true);
	while ((ret = rpmsg_trysend(H.ch, "fill", 4)) == 0)
		sent++;
	assert_int_equal(ret, -AMP_ENOMEM);
	assert_int_equal(sent, LINK_NUM_BUFS / 2); /* every transmit buffer, then none */
	assert_int_equal(rpmsg_ept_sendto(H.ch->ept, REMOTE_ADDR, "late", 4, 50), -AMP_ETIMEDOUT);
	rpmsg_get_stats(L.rvdev, &st);
	assert_int_equal(st.tx_timeouts, 1);
	/* The remote wakes, consumes, returns the buffers with a kick: a blocking send works. */
	amp_link_pause_remote(&L, false);
	assert_int_equal(rpmsg_ept_sendto(H.ch->ept, REMOTE_ADDR, "again", 5, 5000), 0);
	assert_int_equal(amp_link_wait(&L, &H.msgs, sent + 1), 0);
}

static void wait_for_a_blocked_sender(struct rpmsg_virtio_device *rvdev);
/* In the remote's thread: return every message the host posted unread, its used length 0 (as
 * older remotes of ours did) and the buffer's whole length (as OpenAMP's remotes and ours now
 * do) in turn. */
static int remote_return_mixed_lengths(struct amp_link *l, void *arg)
{
	struct virtqueue_buf b;
	unsigned int *n = arg;
	uint16_t head;
	int ret;

	while ((ret = virtqueue_get_avail_buf(&l->rdev.rxq, &b, 1, &head)) == 1) {
		ret = virtqueue_add_used_buf(&l->rdev.rxq, head, (*n)++ & 1 ? b.len : 0);
		if (ret)
			return ret;
	}
	virtqueue_kick(&l->rdev.rxq);
	return ret;
}

static void test_host_reuses_tx_buffers_returned_with_either_used_length(void **state)
{
	struct rpmsg_stats st;
	unsigned int returned = 0, round;
	int sent;

	(void)state;
	bring_up_echo();
	amp_link_pause_remote(&L, true);
	for (round = 0; round < 3; round++) {
		/* Every transmit buffer: fresh ones first, then those the remote gave back. */
		for (sent = 0; rpmsg_trysend(H.ch, "fill", 4) == 0; sent++)
			;
		assert_int_equal(sent, LINK_NUM_BUFS / 2);
		amp_link_remote_call(&L, remote_return_mixed_lengths, &returned);
		assert_int_equal(returned, (round + 1) * (LINK_NUM_BUFS / 2));
	}
	rpmsg_get_stats(L.rvdev, &st);
	assert_int_equal(st.broken, 0);
	assert_int_equal(rpmsg_send(H.ch, "after", 5), 0);
	amp_link_pause_remote(&L, false);
	assert_int_equal(amp_link_wait(&L, &H.msgs, 1), 0);
	assert_int_equal(H.last_len, 5);
}

struct blocked_send {
	struct rpmsg_endpoint *ept;
	int ret;
};

static void *blocked_sender(void *arg)
{
	struct blocked_send *b = arg;

	b->ret = rpmsg_ept_sendto(b->ept, REMOTE_ADDR, "stuck", 5, 10000);
	return NULL;
}

static void test_remote_that_never_returns_buffers_cannot_hang_us(void **state)
{
	struct blocked_send b = {0};
	pthread_t t;

	(void)state;
	bring_up_echo();
	/* An endpoint of our own: it outlives the channel, as documented. */
	b.ept = rpmsg_create_ept(H.ch, drv_cb, NULL, RPMSG_ADDR_ANY);
	assert_non_null(b.ept);
	amp_link_pause_remote(&L, true);
	while (rpmsg_trysend(H.ch, "fill", 4) == 0)
		;
	pthread_create(&t, NULL, blocked_sender, &b);
	wait_for_a_blocked_sender(L.rvdev);
	/* The device goes (the processor stopped): the blocked sender is woken at once. */
	amp_link_fini(&L);
	pthread_join(t, NULL);
	/* Woken at once: no buffer will ever come, or the device is already gone. */
	assert_true(b.ret == -AMP_ENOMEM || b.ret == -AMP_ENODEV);
	assert_int_equal(H.removes, 1);
	assert_int_equal(rpmsg_ept_sendto(b.ept, REMOTE_ADDR, "x", 1, 0), -AMP_ENODEV);
	rpmsg_destroy_ept(b.ept);
}

/* rpmsg_virtio_going() (a crash reported) wakes a blocked sender at once, before the removal. */
static void test_going_wakes_a_blocked_sender_at_once(void **state)
{
	struct blocked_send b = {0};
	struct timespec t0, t1;
	pthread_t t;

	(void)state;
	bring_up_echo();
	b.ept = H.ch->ept;
	amp_link_pause_remote(&L, true);
	while (rpmsg_trysend(H.ch, "fill", 4) == 0)
		;
	pthread_create(&t, NULL, blocked_sender, &b);
	wait_for_a_blocked_sender(L.rvdev);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rpmsg_virtio_going(L.rvdev);
	pthread_join(t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(b.ret, -AMP_ENODEV);
	assert_true(t1.tv_sec - t0.tv_sec < 3); /* not its 10 s */
	/* The channel is still there; sends no longer wait for a buffer. */
	assert_int_equal(H.removes, 0);
	assert_int_equal(rpmsg_ept_sendto(b.ept, REMOTE_ADDR, "x", 1, 1000), -AMP_ENODEV);
	amp_link_pause_remote(&L, false);
}

static void test_name_service_destroy_removes_the_channel(void **state)
{
	(void)state;
	bring_up_echo();
	amp_link_remote_call(&L, remote_withdraw, NULL);
	assert_int_equal(amp_link_wait(&L, &H.removes, 1), 0);
	assert_null(rpmsg_channel_find(L.rvdev, "test-echo"));
	/* Announced again: probed again. */
	amp_link_remote_call(&L, remote_announce, "test-echo");
	assert_int_equal(amp_link_wait(&L, &H.probes, 2), 0);
}

/* --- many senders, many waiters ------------------------------------------------------------ */

#define SINK_ADDR 0x401u
#define STORM_SENDERS 6
#define STORM_MSGS 1500
#define STORM_TIMEOUT_MS 2000u

static int sink_got;

/* A slow remote: each message costs it a lock round trip and a wake-up of the test. */
static void remote_sink_cb(struct rpmsg_remote_ept *ept, const void *data, size_t len,
			   uint32_t src, void *priv)
{
	(void)ept;
	(void)data;
	(void)len;
	(void)src;
	(void)priv;
	amp_link_bump(&L, &sink_got);
	sched_yield();
}

static int remote_make_sink(struct amp_link *l, void *arg)
{
	(void)arg;
	return rpmsg_remote_create_ept(&l->rdev, &R.extra[1], "", SINK_ADDR, remote_sink_cb, NULL);
}

struct storm_sender {
	pthread_t t;
	struct rpmsg_endpoint *ept;
	int timeouts, errors;
	uint64_t worst_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *storm_send(void *arg)
{
	struct storm_sender *s = arg;
	int i, ret;

	for (i = 0; i < STORM_MSGS; i++) {
		uint64_t t0 = mono_ns(), took;

		ret = rpmsg_ept_sendto(s->ept, SINK_ADDR, &i, sizeof(i), STORM_TIMEOUT_MS);
		took = mono_ns() - t0;
		if (took > s->worst_ns)
			s->worst_ns = took;
		if (ret == -AMP_ETIMEDOUT)
			s->timeouts++;
		else if (ret)
			s->errors++;
	}
	return NULL;
}

/*
 * More senders than the remote keeps up with: most of them wait for a buffer most of the time,
 * while one that finds a buffer on the fast path takes it from under the waiters' noses. Every
 * waiter must hear of the buffers that come back (with EVENT_IDX too): none may sit out its
 * timeout while the remote is returning buffers.
 */
static void test_many_waiters_all_hear_of_returned_buffers(void **state)
{
	struct storm_sender s[STORM_SENDERS];
	struct rpmsg_stats st;
	int i, timeouts = 0, errors = 0;
	uint64_t worst = 0;

	(void)state;
	sink_got = 0;
	bring_up_echo();
	amp_link_remote_call(&L, remote_make_sink, NULL);
	memset(s, 0, sizeof(s));
	for (i = 0; i < STORM_SENDERS; i++) {
		s[i].ept = rpmsg_create_ept(H.ch, drv_cb, NULL, RPMSG_ADDR_ANY);
		assert_non_null(s[i].ept);
	}
	for (i = 0; i < STORM_SENDERS; i++)
		assert_int_equal(pthread_create(&s[i].t, NULL, storm_send, &s[i]), 0);
	for (i = 0; i < STORM_SENDERS; i++) {
		pthread_join(s[i].t, NULL);
		timeouts += s[i].timeouts;
		errors += s[i].errors;
		if (s[i].worst_ns > worst)
			worst = s[i].worst_ns;
		rpmsg_destroy_ept(s[i].ept);
	}
	rpmsg_get_stats(L.rvdev, &st);
	print_message("%d senders x %d messages: %d timed out, worst send %.1f ms\n", STORM_SENDERS,
		      STORM_MSGS, timeouts, (double)worst / 1e6);
	assert_int_equal(errors, 0);
	assert_int_equal(timeouts, 0);
	assert_int_equal(st.tx_timeouts, 0);
	assert_int_equal(amp_link_wait(&L, &sink_got, STORM_SENDERS * STORM_MSGS), 0);
	assert_int_equal(sink_got, STORM_SENDERS * STORM_MSGS);
}

struct slow {
	int entered, may_leave, left;
	struct rpmsg_endpoint *ept;
};

static struct slow S;

static void slow_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	(void)rpdev;
	(void)data;
	(void)len;
	(void)priv;
	(void)src;
	amp_link_bump(&L, &S.entered);
	amp_link_wait(&L, &S.may_leave, 1);
	__atomic_store_n(&S.left, 1, __ATOMIC_RELEASE);
}

static int remote_send_to_slow(struct amp_link *l, void *arg)
{
	(void)l;
	return rpmsg_remote_send(&R.ept, (uint32_t)(uintptr_t)arg, "hi", 2);
}

static void *release_slow(void *arg)
{
	(void)arg;
	amp_link_bump(&L, &S.may_leave);
	return NULL;
}

static void test_destroy_waits_for_a_running_callback(void **state)
{
	pthread_t t;

	(void)state;
	memset(&S, 0, sizeof(S));
	bring_up_echo();
	S.ept = rpmsg_create_ept(H.ch, slow_cb, NULL, RPMSG_ADDR_ANY);
	assert_non_null(S.ept);
	assert_null(rpmsg_create_ept(H.ch, slow_cb, NULL, rpmsg_ept_addr(S.ept))); /* taken */
	amp_link_remote_call(&L, remote_send_to_slow, (void *)(uintptr_t)rpmsg_ept_addr(S.ept));
	assert_int_equal(amp_link_wait(&L, &S.entered, 1), 0);
	pthread_create(&t, NULL, release_slow, NULL);
	/* The callback is running: destroy returns only once it has left. */
	rpmsg_destroy_ept(S.ept);
	assert_int_equal(__atomic_load_n(&S.left, __ATOMIC_ACQUIRE), 1);
	pthread_join(t, NULL);
}

/* A reference keeps a withdrawn channel valid memory; what is done through it fails cleanly. */
static void test_withdrawn_channel_lives_while_referenced(void **state)
{
	struct rpmsg_channel *found, *again;
	struct rpmsg_endpoint *ept;
	char drv[16];

	(void)state;
	bring_up_echo();
	found = rpmsg_channel_find(L.rvdev, "test-echo");
	assert_ptr_equal(found, H.ch);
	assert_false(rpmsg_channel_is_dead(found));
	assert_string_equal(rpmsg_channel_driver(found, drv, sizeof(drv)), "test");
	ept = rpmsg_create_ept(found, drv_cb, NULL, RPMSG_ADDR_ANY); /* holds another */
	assert_non_null(ept);
	amp_link_remote_call(&L, remote_withdraw, NULL);
	/* A message after the withdrawal: once delivered, the withdrawal has been handled. */
	amp_link_remote_call(&L, remote_send_to_slow, (void *)(uintptr_t)rpmsg_ept_addr(ept));
	assert_int_equal(amp_link_wait(&L, &H.msgs, 1), 0);
	assert_int_equal(H.removes, 1);
	assert_null(rpmsg_channel_find(L.rvdev, "test-echo"));
	/* Still the same memory, now dead. */
	assert_true(rpmsg_channel_is_dead(found));
	assert_string_equal(found->name, "test-echo");
	assert_string_equal(rpmsg_device_name(found), "link");
	assert_string_equal(rpmsg_channel_driver(found, drv, sizeof(drv)), "");
	assert_int_equal(rpmsg_send(found, "x", 1), -AMP_ENODEV);
	assert_int_equal(rpmsg_trysendto(found, "x", 1, REMOTE_ADDR), -AMP_ENODEV);
	assert_null(rpmsg_create_ept(found, drv_cb, NULL, RPMSG_ADDR_ANY));
	rpmsg_channel_put(found);
	/* The endpoint made on it outlives it, and still works: its device is there. */
	assert_int_equal(rpmsg_ept_sendto(ept, REMOTE_ADDR, "y", 1, 1000), 0);
	rpmsg_destroy_ept(ept); /* the last reference: the channel goes (ASan checks) */
	/* Announced again: a new channel. */
	amp_link_remote_call(&L, remote_announce, "test-echo");
	assert_int_equal(amp_link_wait(&L, &H.probes, 2), 0);
	again = rpmsg_channel_find(L.rvdev, "test-echo");
	assert_non_null(again);
	assert_false(rpmsg_channel_is_dead(again));
	rpmsg_channel_put(again);
}

/* --- no bus lock across user code or a wait --------------------------------------------------- */

/* A callback that looks its own channel up while another thread unbinds the channel. */
struct unbind_race {
	int done, found;
};

static struct unbind_race U;

static void race_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	struct rpmsg_channel *found;

	/* Entered, and let go once the unbinding has begun (as slow_cb()). */
	slow_cb(rpdev, data, len, priv, src);
	/* Allowed from a callback: it must not wait for the thread that waits for us. */
	found = rpmsg_channel_find(rpdev->rvdev, rpdev->name);
	if (found)
		U.found++;
	rpmsg_channel_put(found);
	amp_link_bump(&L, &U.done);
}

static const struct rpmsg_device_id race_ids[] = {{"race"}, {""}};
static struct rpmsg_driver race_drv = {
	.name = "race", .id_table = race_ids, .probe = drv_probe, .remove = drv_remove,
	.callback = race_cb};

static void *race_unregister(void *arg)
{
	(void)arg;
	unregister_rpmsg_driver(&race_drv);
	amp_link_bump(&L, &U.done);
	return NULL;
}

static void *race_release(void *arg)
{
	rpmsg_release_channel(arg);
	amp_link_bump(&L, &U.done);
	return NULL;
}

/* Run @unbind in a thread while a callback of the channel is running; the callback looks the
 * channel up once the unbinding has begun (remove() was called). */
static void unbind_while_callback_looks_up(void *(*unbind)(void *), void *arg, uint32_t dst)
{
	pthread_t t;

	amp_link_remote_call(&L, remote_send_to_slow, (void *)(uintptr_t)dst);
	assert_int_equal(amp_link_wait(&L, &S.entered, 1), 0);
	assert_int_equal(pthread_create(&t, NULL, unbind, arg), 0);
	assert_int_equal(amp_link_wait(&L, &H.removes, 1), 0);
	amp_link_bump(&L, &S.may_leave);
	/* Both the callback and the unbinding are done, the callback first. */
	if (amp_link_wait(&L, &U.done, 2)) {
		/* Nothing to unwind: the two threads wait for each other for good. */
		fprintf(stderr, "deadlock: the unbinding waits for a callback that waits for it\n");
		abort();
	}
	pthread_join(t, NULL);
	assert_int_equal(__atomic_load_n(&S.left, __ATOMIC_ACQUIRE), 1);
}

static void test_callback_looks_up_while_its_driver_is_unregistered(void **state)
{
	(void)state;
	memset(&U, 0, sizeof(U));
	memset(&S, 0, sizeof(S));
	assert_int_equal(register_rpmsg_driver(&race_drv), 0);
	amp_link_remote_call(&L, remote_announce, "race");
	assert_int_equal(amp_link_wait(&L, &H.probes, 1), 0);
	unbind_while_callback_looks_up(race_unregister, NULL, H.ch->src);
	assert_int_equal(U.found, 1); /* unbound, not gone: the channel is still on the bus */
}

static void test_callback_looks_up_while_its_channel_is_released(void **state)
{
	struct rpmsg_channel *ch;

	(void)state;
	memset(&U, 0, sizeof(U));
	memset(&S, 0, sizeof(S));
	amp_link_remote_call(&L, remote_announce, "test-echo"); /* the remote's endpoint */
	assert_int_equal(amp_link_wait(&L, &H.probes, 1), 0);
	assert_int_equal(register_rpmsg_driver(&race_drv), 0);
	ch = rpmsg_create_channel(L.rvdev, "race", 0x500, REMOTE_ADDR);
	assert_non_null(ch);
	assert_int_equal(amp_link_wait(&L, &H.probes, 2), 0);
	unbind_while_callback_looks_up(race_release, ch, 0x500);
	assert_int_equal(U.found, 0); /* gone from the bus before its driver was removed */
	unregister_rpmsg_driver(&race_drv);
}

/* A second device, on which the name service must go on while the first one's remote is stuck. */
static struct amp_link L2;
static struct rpmsg_remote_ept l2_ept;
static int l2_probes;

static int l2_announce(struct amp_link *l, void *arg)
{
	(void)arg;
	return rpmsg_remote_create_ept(&l->rdev, &l2_ept, "l2-svc", REMOTE_ADDR, remote_sink_cb,
				       NULL); /* (the host sends it nothing) */
}

static int l2_probe(struct rpmsg_channel *rpdev)
{
	(void)rpdev;
	amp_link_bump(&L2, &l2_probes);
	return 0;
}

static const struct rpmsg_device_id l2_ids[] = {{"l2-svc"}, {""}};
static struct rpmsg_driver l2_drv = {.name = "l2", .id_table = l2_ids, .probe = l2_probe};

static int stuck_probe(struct rpmsg_channel *rpdev)
{
	(void)rpdev;
	return 0;
}

static const struct rpmsg_device_id stuck_ids[] = {{"stuck-svc"}, {""}};
static struct rpmsg_driver stuck_drv = {.name = "stuck", .id_table = stuck_ids,
					.probe = stuck_probe};

static void *create_stuck_channel(void *arg)
{
	*(struct rpmsg_channel **)arg = rpmsg_create_channel(L.rvdev, "stuck-svc", 0x600,
							     REMOTE_ADDR);
	return NULL;
}

/* Until a sender of @rvdev waits for a buffer (10 s at most). */
static void wait_for_a_blocked_sender(struct rpmsg_virtio_device *rvdev)
{
	struct rpmsg_stats st;
	int i;

	for (i = 0; i < 10000; i++) {
		struct timespec ms = {0, 1000000};

		rpmsg_get_stats(rvdev, &st);
		if (st.tx_waiting)
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("no sender blocked");
}

/*
 * One remote stops returning buffers while a local channel of its device is being announced
 * (a blocking send of up to 15 s, made from rpmsg_create_channel()). Lookups, and the name
 * service of another device, must not wait for it.
 */
static void test_stuck_remote_holds_up_no_lookup_nor_other_device(void **state)
{
	struct rpmsg_channel *stuck = NULL, *found;
	uint64_t t0, lookup_ns, ns_ns;
	pthread_t t;

	(void)state;
	l2_probes = 0;
	bring_up_echo();
	assert_int_equal(register_rpmsg_driver(&stuck_drv), 0);
	assert_int_equal(register_rpmsg_driver(&l2_drv), 0);
	amp_link_init(&L2, NS_AND_EVENT_IDX);
	amp_link_pause_remote(&L, true);
	while (rpmsg_trysend(H.ch, "fill", 4) == 0)
		;
	assert_int_equal(pthread_create(&t, NULL, create_stuck_channel, &stuck), 0);
	wait_for_a_blocked_sender(L.rvdev); /* the announcement */

	t0 = mono_ns();
	amp_link_remote_call(&L2, l2_announce, NULL);
	assert_int_equal(amp_link_wait(&L2, &l2_probes, 1), 0);
	ns_ns = mono_ns() - t0;
	t0 = mono_ns();
	found = rpmsg_channel_find(L.rvdev, "test-echo");
	lookup_ns = mono_ns() - t0;
	assert_non_null(found);
	rpmsg_channel_put(found);
	print_message("lookup %.3f ms, other device's name service %.3f ms\n",
		      (double)lookup_ns / 1e6, (double)ns_ns / 1e6);
	/* Milliseconds; the bounds are for a loaded machine, far below the 15 s. */
	assert_true(lookup_ns < 1000000000ull);
	assert_true(ns_ns < 3000000000ull);

	amp_link_pause_remote(&L, false);
	pthread_join(t, NULL);
	assert_non_null(stuck);
	rpmsg_release_channel(stuck);
	amp_link_fini(&L2);
	unregister_rpmsg_driver(&l2_drv);
	unregister_rpmsg_driver(&stuck_drv);
}

/* In the remote's thread: a remote out of host buffers waits for the host to drain, polling
 * as firmware would; 10 s without one is a failure the test reports. */
static bool remote_wait_deadline(struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (end->tv_sec == 0) {
		*end = now;
		end->tv_sec += 10;
		return true;
	}
	sched_yield();
	return now.tv_sec < end->tv_sec || (now.tv_sec == end->tv_sec && now.tv_nsec < end->tv_nsec);
}

static int remote_send_retry(uint32_t dst, const void *data, size_t len)
{
	struct timespec end = {0};
	int ret;

	while ((ret = rpmsg_remote_send(&R.ept, dst, data, len)) == -AMP_ENOMEM) {
		rpmsg_remote_poll(&L.rdev);
		if (!remote_wait_deadline(&end))
			return -AMP_ETIMEDOUT;
	}
	return ret;
}

static int remote_burst(struct amp_link *l, void *arg)
{
	uint32_t i, n = (uint32_t)(uintptr_t)arg;
	int ret = 0;

	(void)l;
	for (i = 0; i < n && !ret; i++)
		ret = remote_send_retry(RPMSG_ADDR_ANY, &i, sizeof(i));
	return ret;
}

static void order_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	uint32_t seq;

	(void)rpdev;
	(void)priv;
	(void)src;
	/* Runs in the notification thread: count, never assert here. */
	if (len != 4) {
		amp_link_bump(&L, &H.probes_extra);
		return;
	}
	memcpy(&seq, data, 4);
	if (seq != H.seq_expected)
		H.out_of_order++;
	H.seq_expected = seq + 1;
	amp_link_bump(&L, &H.msgs);
}

static void test_messages_arrive_in_order(void **state)
{
	(void)state;
	test_drv.callback = order_cb;
	bring_up_echo();
	/* The remote learns our address from a first message (its echo is not counted). */
	assert_int_equal(rpmsg_send(H.ch, "hello", 5), 0);
	assert_int_equal(amp_link_wait(&L, &H.probes_extra, 1), 0);
	amp_link_remote_call(&L, remote_burst, (void *)(uintptr_t)2000);
	assert_int_equal(amp_link_wait(&L, &H.msgs, 2000), 0);
	assert_int_equal(H.out_of_order, 0);
	test_drv.callback = drv_cb;
}

/* Bursts of @arg messages numbered on from the last burst's, all but the last sent with more
 * to follow (rpmsg_remote_send_more()). Out of buffers, the remote waits for the host without
 * polling (as a firmware asleep in amp_fw_rpmsg_wait_tx() would): the failed send alone must
 * have told the host. Runs in the remote's thread. */
static uint32_t more_seq;

static int remote_burst_more(struct amp_link *l, void *arg)
{
	uint32_t i, n = (uint32_t)(uintptr_t)arg;
	struct timespec end = {0};
	int ret = 0;

	(void)l;
	for (i = 0; i < n && !ret; i++, more_seq++) {
		while ((ret = (i + 1 < n ? rpmsg_remote_send_more : rpmsg_remote_send)(
				&R.ept, RPMSG_ADDR_ANY, &more_seq, sizeof(more_seq))) == -AMP_ENOMEM)
			while (!rpmsg_remote_tx_available(&L.rdev))
				if (!remote_wait_deadline(&end))
					return -AMP_ETIMEDOUT;
		end.tv_sec = 0;
	}
	return ret;
}

/*
 * A remote that leaves the kick decision to a stream's last message must still wake a host
 * that sleeps: each burst has to arrive whole while the host waits on its notifications only.
 * Bursts of 1 to 80 cross the 32 buffers the host posts, so that the remote runs out and waits
 * for the host in the middle of a burst too: the host must have heard of those first (here from
 * the batch's decision at the 32nd; test_rpmsg_remote checks a send's -ENOMEM for a ring of
 * fewer).
 */
static void test_streams_with_more_to_follow_lose_no_wakeup(void **state)
{
	int total = 0, k;

	(void)state;
	test_drv.callback = order_cb;
	bring_up_echo();
	assert_int_equal(rpmsg_send(H.ch, "hello", 5), 0);
	assert_int_equal(amp_link_wait(&L, &H.probes_extra, 1), 0);
	more_seq = 0;
	for (k = 1; k <= 80; k++) {
		amp_link_remote_call(&L, remote_burst_more, (void *)(uintptr_t)k);
		total += k;
		assert_int_equal(amp_link_wait(&L, &H.msgs, total), 0);
	}
	assert_int_equal(H.out_of_order, 0);
	assert_int_equal(H.seq_expected, (uint32_t)total);
	test_drv.callback = drv_cb;
}

/* --- a remote that busy polls after bursts ------------------------------------------------ */

#define ORDER_SINK_ADDR 0x402u

/* Each message is {sender, sequence number}; the sink checks each sender's order. Runs in the
 * remote's thread. */
static void remote_order_sink_cb(struct rpmsg_remote_ept *ept, const void *data, size_t len,
				 uint32_t src, void *priv)
{
	uint32_t m[2];

	(void)ept;
	(void)src;
	(void)priv;
	if (len != sizeof(m)) {
		R.sink_out_of_order++;
		return;
	}
	memcpy(m, data, sizeof(m));
	if (m[0] > 1 || m[1] != R.sink_next[m[0]])
		R.sink_out_of_order++;
	else
		R.sink_next[m[0]]++;
	amp_link_bump(&L, &R.sunk);
}

static int remote_order_sink_up(struct amp_link *l, void *arg)
{
	(void)arg;
	return rpmsg_remote_create_ept(&l->rdev, &R.sink, "test-order-sink", ORDER_SINK_ADDR,
				       remote_order_sink_cb, NULL);
}

static int remote_read_stats(struct amp_link *l, void *arg)
{
	rpmsg_remote_get_stats(&l->rdev, arg);
	return 0;
}

static struct rpmsg_remote_stats remote_stats(void)
{
	struct rpmsg_remote_stats st;

	amp_link_remote_call(&L, remote_read_stats, &st);
	return st;
}

struct sink_sender {
	uint32_t id, from, n;
	int failed;
};

/* A host thread streaming to the sink without pause: sequence numbers from .. from + n - 1. */
static void *sink_sender_main(void *arg)
{
	struct sink_sender *a = arg;
	uint32_t m[2] = {a->id, a->from};

	for (; m[1] < a->from + a->n; m[1]++)
		if (rpmsg_sendto(H.ch, m, sizeof(m), ORDER_SINK_ADDR))
			a->failed++;
	return NULL;
}

/*
 * A remote that looks for more before it re-arms must still re-arm in time: no message may
 * wait for a kick that was not asked for. First bursts the remote finds whole (paused while
 * the host posts), whose busy poll must end in a miss and an armed ring; then two host threads
 * streaming at once, racing the remote's spins, misses and re-arms.
 */
static void test_busy_polling_remote_loses_no_wakeup(void **state)
{
	struct sink_sender snd[2];
	struct rpmsg_remote_stats st, before;
	pthread_t t[2];
	uint32_t m[2] = {0, 0};
	int b, k, total = 0;

	(void)state;
	bring_up_echo();
	amp_link_remote_call(&L, remote_order_sink_up, NULL);
	for (b = 0; b < 60; b++) {
		before = remote_stats();
		k = 2 + b % 23;
		amp_link_pause_remote(&L, true);
		for (; (int)m[1] < total + k; m[1]++)
			assert_int_equal(rpmsg_sendto(H.ch, m, sizeof(m), ORDER_SINK_ADDR), 0);
		amp_link_pause_remote(&L, false);
		total += k;
		assert_int_equal(amp_link_wait(&L, &R.sunk, total), 0);
		st = remote_stats(); /* run by the remote's thread: its poll has returned */
		assert_int_equal(st.busy_poll_misses, before.busy_poll_misses + 1);
		assert_int_equal(st.busy_polls, before.busy_polls);
		/* One message after the miss is taken: the ring was armed. */
		assert_int_equal(rpmsg_sendto(H.ch, m, sizeof(m), ORDER_SINK_ADDR), 0);
		m[1]++;
		assert_int_equal(amp_link_wait(&L, &R.sunk, ++total), 0);
	}
	snd[0] = (struct sink_sender){0, m[1], 5000, 0};
	snd[1] = (struct sink_sender){1, 0, 5000, 0};
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, sink_sender_main, &snd[k]), 0);
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	assert_int_equal(snd[0].failed + snd[1].failed, 0);
	assert_int_equal(amp_link_wait(&L, &R.sunk, total + 10000), 0);
	st = remote_stats();
	assert_int_equal(R.sink_out_of_order, 0);
	assert_int_equal(R.sink_next[0], m[1] + 5000);
	assert_int_equal(R.sink_next[1], 5000);
	assert_int_equal(st.rx_msgs, (uint32_t)total + 10000);
}

static void *held_data;

static void hold_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	(void)len;
	(void)priv;
	(void)src;
	if (!held_data && rpmsg_hold_rx_buffer(rpdev->ept, data) == 0)
		held_data = data;
	amp_link_bump(&L, &H.msgs);
}

static void test_zero_copy_both_ways(void **state)
{
	uint32_t len = 0;
	char *buf;

	(void)state;
	held_data = NULL;
	test_drv.callback = hold_cb;
	bring_up_echo();
	buf = rpmsg_get_tx_buffer(H.ch->ept, &len, 1000);
	assert_non_null(buf);
	assert_int_equal(len, 496);
	memcpy(buf, "zero-copy", 9);
	assert_int_equal(rpmsg_send_nocopy(H.ch->ept, REMOTE_ADDR, buf, 9), 0);
	assert_int_equal(rpmsg_send_nocopy(H.ch->ept, REMOTE_ADDR, buf, 9), -AMP_EINVAL); /* gone */
	assert_int_equal(amp_link_wait(&L, &H.msgs, 1), 0);
	assert_non_null(held_data);
	/* The held buffer still has the echo; it is ours until released. */
	assert_memory_equal(held_data, "zero-copy", 9);
	assert_int_equal(rpmsg_hold_rx_buffer(H.ch->ept, held_data), -AMP_EINVAL);
	rpmsg_release_rx_buffer(H.ch->ept, held_data);
	buf = rpmsg_get_tx_buffer(H.ch->ept, &len, 1000);
	assert_non_null(buf);
	rpmsg_release_tx_buffer(H.ch->ept, buf);
	assert_int_equal(rpmsg_send_nocopy(H.ch->ept, REMOTE_ADDR, buf, 1), -AMP_EINVAL);
	test_drv.callback = drv_cb;
}

/* --- a send blocked under a channel's lock, a DESTROY for that channel --------------------- */

#define LATE_ADDR 0x420u

static struct rpmsg_remote_ept late_ept;
static int late_ret = 1;
static uint64_t late_ns; /* how long the probe's send took */

static int late_announce(struct amp_link *l, void *arg)
{
	(void)arg;
	/* The sink's callback: what the probe sends is counted, and not looked at. */
	return rpmsg_remote_create_ept(&l->rdev, &late_ept, "test-late", LATE_ADDR, remote_sink_cb,
				       NULL);
}

static int late_withdraw(struct amp_link *l, void *arg)
{
	(void)l;
	(void)arg;
	rpmsg_remote_destroy_ept(&late_ept);
	return 0;
}

/* A probe that sends at once (allowed), with the ring full: it blocks under the channel's
 * lock, for up to a minute. */
static int late_probe(struct rpmsg_channel *rpdev)
{
	struct timespec t0, t1;

	rpmsg_set_timeout(rpdev->ept, 60000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	late_ret = rpmsg_send(rpdev, "hello", 5);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	late_ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)t1.tv_nsec -
		  (uint64_t)t0.tv_nsec;
	return 0;
}

static void late_remove(struct rpmsg_channel *rpdev)
{
	(void)rpdev;
}

static const struct rpmsg_device_id late_ids[] = {{"test-late"}, {""}};
static struct rpmsg_driver late_drv = {.name = "late", .id_table = late_ids,
				       .probe = late_probe, .remove = late_remove,
				       .callback = drv_cb};

static void *late_register(void *arg)
{
	(void)arg;
	assert_int_equal(register_rpmsg_driver(&late_drv), 0);
	return NULL;
}

/* Until rpmsg_channel_find(@name) says @present, or fail after 10 s. */
static void wait_for_channel(const char *name, bool present)
{
	int i;

	for (i = 0; i < 10000; i++) {
		struct rpmsg_channel *ch = rpmsg_channel_find(L.rvdev, name);
		struct timespec ms = {0, 1000000};

		if (ch)
			rpmsg_channel_put(ch);
		if (!!ch == present)
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("channel %s never %s", name, present ? "came" : "went");
}

/*
 * A probe's send waits for a buffer under the channel's lock; the remote withdraws that
 * channel, and the notification thread waits for the lock to remove it; then the remote
 * returns the buffers. Their kick is the notification thread's to handle, and it waits: the
 * sender must find them by itself, not sit out its timeout.
 */
static void test_a_sender_blocked_under_a_channel_lock_sees_returned_buffers(void **state)
{
	pthread_t t;

	(void)state;
	late_ret = 1;
	bring_up_echo();
	amp_link_remote_call(&L, late_announce, NULL);
	wait_for_channel("test-late", true);
	amp_link_pause_remote(&L, true);
	while (rpmsg_trysend(H.ch, "fill", 4) == 0)
		;
	assert_int_equal(pthread_create(&t, NULL, late_register, NULL), 0);
	wait_for_a_blocked_sender(L.rvdev);
	amp_link_remote_call(&L, late_withdraw, NULL);
	wait_for_channel("test-late", false); /* the notification thread is in the DESTROY */
	amp_link_pause_remote(&L, false);
	pthread_join(t, NULL);
	assert_int_equal(late_ret, 0);
	/* Not after its minute, when it would look at the ring again: it found them itself
	 * (the bound is for a loaded machine; it takes milliseconds). */
	assert_true(late_ns < 30000000000ull);
	unregister_rpmsg_driver(&late_drv);
}

/* --- remove() and the channel's callback ---------------------------------------------------- */

static int removing, cb_during_remove;

static int remote_send_to(struct amp_link *l, void *arg)
{
	(void)l;
	return rpmsg_remote_send(&R.ept, (uint32_t)(uintptr_t)arg, "late", 4);
}

static void mute_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	if (__atomic_load_n(&removing, __ATOMIC_ACQUIRE))
		__atomic_fetch_add(&cb_during_remove, 1, __ATOMIC_RELAXED);
	drv_cb(rpdev, data, len, priv, src);
}

/* A remove() that frees what the callback uses (here: says so), then has the remote send to
 * the channel and waits until the host has taken the message in. */
static void mute_remove(struct rpmsg_channel *rpdev)
{
	struct rpmsg_stats st;
	uint64_t before;
	int i;

	__atomic_store_n(&removing, 1, __ATOMIC_RELEASE);
	rpmsg_get_stats(L.rvdev, &st);
	before = st.rx_msgs;
	amp_link_remote_call(&L, remote_send_to, (void *)(uintptr_t)rpdev->src);
	for (i = 0; i < 10000 && st.rx_msgs == before; i++) {
		struct timespec ms = {0, 1000000};

		nanosleep(&ms, NULL);
		rpmsg_get_stats(L.rvdev, &st);
	}
	assert_true(st.rx_msgs > before);
	drv_remove(rpdev);
}

/* No callback starts once remove() is called: a message that comes meanwhile is not delivered
 * to a driver half gone. */
static void test_no_callback_runs_once_remove_is_called(void **state)
{
	(void)state;
	removing = 0;
	cb_during_remove = 0;
	test_drv.callback = mute_cb;
	test_drv.remove = mute_remove;
	bring_up_echo();
	unregister_rpmsg_driver(&test_drv);
	assert_int_equal(H.removes, 1);
	assert_int_equal(cb_during_remove, 0);
	test_drv.callback = drv_cb;
	test_drv.remove = drv_remove;
	assert_int_equal(register_rpmsg_driver(&test_drv), 0);
}

/* For its first message, a callback that holds it twice, then releases it and holds it
 * again; after, drv_cb(). */
static int double_hold[3];
static bool double_held;

static void double_hold_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv,
			   u32 src)
{
	if (!double_held) {
		double_held = true;
		double_hold[0] = rpmsg_hold_rx_buffer(rpdev->ept, data);
		double_hold[1] = rpmsg_hold_rx_buffer(rpdev->ept, data);
		rpmsg_release_rx_buffer(rpdev->ept, data);
		double_hold[2] = rpmsg_hold_rx_buffer(rpdev->ept, data);
	}
	drv_cb(rpdev, data, len, priv, src);
}

/* A buffer is held once per delivery: a second hold, or one after the release, would count it
 * twice or claim a buffer the remote has again (and put it on the ring twice). */
static void test_a_buffer_is_held_once_per_delivery(void **state)
{
	struct rpmsg_stats st;
	int i;

	(void)state;
	double_held = false;
	test_drv.callback = double_hold_cb;
	bring_up_echo();
	assert_int_equal(rpmsg_send(H.ch, "twice", 5), 0);
	assert_int_equal(amp_link_wait(&L, &H.msgs, 1), 0);
	assert_int_equal(double_hold[0], 0);
	assert_int_equal(double_hold[1], -AMP_EINVAL);
	assert_int_equal(double_hold[2], -AMP_EINVAL);
	rpmsg_get_stats(L.rvdev, &st);
	assert_int_equal(st.rx_held, 0);
	/* Every receive buffer is on the ring once: a ring's worth of echoes and one, each whole. */
	for (i = 0; i <= (int)LINK_NUM_BUFS / 2; i++) {
		char msg[8];

		snprintf(msg, sizeof(msg), "m%d", i);
		assert_int_equal(rpmsg_send(H.ch, msg, sizeof(msg)), 0);
		assert_int_equal(amp_link_wait(&L, &H.msgs, i + 2), 0);
		assert_string_equal(H.last, msg);
	}
	test_drv.callback = drv_cb;
}

/* An endpoint that holds every message it gets, up to HOLD_MAX. */
#define HOLD_MAX 8
static struct rpmsg_endpoint *hold_ept;
static int holds;

static void hold_all_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	(void)rpdev;
	(void)len;
	(void)priv;
	(void)src;
	if (holds < HOLD_MAX && rpmsg_hold_rx_buffer(hold_ept, data) == 0)
		amp_link_bump(&L, &holds);
}

static int remote_send_n(struct amp_link *l, void *arg)
{
	uint32_t dst = (uint32_t)(uintptr_t)arg;
	int i, ret = 0;

	(void)l;
	for (i = 0; i < HOLD_MAX && !ret; i++)
		ret = remote_send_retry(dst, "held", 4);
	return ret;
}

/* In the remote's thread: the receive buffers the host has posted and the remote not taken. */
static int remote_count_posted(struct amp_link *l, void *arg)
{
	const struct virtqueue *vq = &l->rdev.txq;

	*(int *)arg = (uint16_t)(__atomic_load_n(&vq->vr.avail->idx, __ATOMIC_ACQUIRE) -
				 vq->last_avail);
	return 0;
}

/* Destroying an endpoint gives back what it holds: the remote gets every receive buffer back,
 * and the transmit buffers it had out for zero-copy are free again. */
static void test_destroyed_endpoint_gives_every_buffer_back(void **state)
{
	struct rpmsg_stats st;
	uint32_t len;
	int i, posted, sent = 0;

	(void)state;
	holds = 0;
	bring_up_echo();
	hold_ept = rpmsg_create_ept(H.ch, hold_all_cb, NULL, RPMSG_ADDR_ANY);
	assert_non_null(hold_ept);
	amp_link_remote_call(&L, remote_send_n, (void *)(uintptr_t)rpmsg_ept_addr(hold_ept));
	assert_int_equal(amp_link_wait(&L, &holds, HOLD_MAX), 0);
	for (i = 0; i < HOLD_MAX; i++)
		assert_non_null(rpmsg_get_tx_buffer(hold_ept, &len, 0));
	rpmsg_get_stats(L.rvdev, &st);
	assert_int_equal(st.rx_held, HOLD_MAX);
	assert_int_equal(st.tx_out, HOLD_MAX);
	amp_link_remote_call(&L, remote_count_posted, &posted);
	assert_int_equal(posted, LINK_VRING_NUM - HOLD_MAX);

	rpmsg_destroy_ept(hold_ept);
	rpmsg_get_stats(L.rvdev, &st);
	assert_int_equal(st.rx_held, 0);
	assert_int_equal(st.tx_out, 0);
	amp_link_remote_call(&L, remote_count_posted, &posted);
	assert_int_equal(posted, LINK_VRING_NUM); /* every receive buffer */
	amp_link_pause_remote(&L, true);
	while (rpmsg_trysend(H.ch, "x", 1) == 0)
		sent++;
	assert_int_equal(sent, LINK_NUM_BUFS / 2); /* every transmit buffer */
	amp_link_pause_remote(&L, false);
}

/* --- a hostile remote ---------------------------------------------------------------------- */

/* Send raw bytes as a message: take a host buffer and write what the test says. */
struct raw {
	uint32_t dst;
	uint16_t hdr_len;   /* what the header claims */
	uint32_t used_len;  /* what the used entry claims */
	const void *payload;
	size_t payload_len;
};

static int remote_send_raw(struct amp_link *l, void *arg)
{
	struct raw *r = arg;
	struct virtqueue_buf b;
	uint16_t head;
	struct rpmsg_hdr hdr = {.src = REMOTE_ADDR, .dst = r->dst, .len = r->hdr_len};
	struct timespec end = {0};
	int ret;

	/* The host may still hold every buffer (after a flood, say): wait for one to come back. */
	while (virtqueue_get_avail_buf(&l->rdev.txq, &b, 1, &head) != 1)
		if (!remote_wait_deadline(&end))
			return -AMP_ETIMEDOUT;
	memcpy(l->mem.mem + b.addr, &hdr, sizeof(hdr));
	memcpy(l->mem.mem + b.addr + sizeof(hdr), r->payload, r->payload_len);
	ret = virtqueue_add_used_buf(&l->rdev.txq, head, r->used_len);
	virtqueue_kick(&l->rdev.txq);
	return ret;
}

/* Counters move in the host's notification thread: wait until a probe message, sent after
 * what the test did and so delivered after it in order, has reached the channel. */
static void wait_host_caught_up(void)
{
	struct raw probe = {.dst = H.ch->src, .hdr_len = 1, .used_len = 17, .payload = "p",
			    .payload_len = 1};
	int before = H.msgs;

	amp_link_remote_call(&L, remote_send_raw, &probe);
	assert_int_equal(amp_link_wait(&L, &H.msgs, before + 1), 0);
}

static void test_hostile_headers_cost_only_the_message(void **state)
{
	struct rpmsg_stats st;
	struct raw past = {.hdr_len = 100, .used_len = 16 + 4, .payload = "abcd", .payload_len = 4};
	struct raw nobody = {.dst = 0x999, .hdr_len = 4, .used_len = 20, .payload = "abcd",
			     .payload_len = 4};
	struct rpmsg_ns_msg ns = {.addr = 0x777};
	struct raw ns_short = {.dst = RPMSG_NS_ADDR, .hdr_len = 39, .used_len = 16 + 39,
			       .payload = &ns, .payload_len = 39};
	struct raw ns_unterminated = {.dst = RPMSG_NS_ADDR, .hdr_len = 40, .used_len = 56,
				      .payload = &ns, .payload_len = 40};

	(void)state;
	bring_up_echo();
	past.dst = H.ch->src;
	memset(ns.name, 'N', sizeof(ns.name));
	amp_link_remote_call(&L, remote_send_raw, &past);
	amp_link_remote_call(&L, remote_send_raw, &nobody);
	amp_link_remote_call(&L, remote_send_raw, &ns_short);
	amp_link_remote_call(&L, remote_send_raw, &ns_unterminated);
	wait_host_caught_up();
	rpmsg_get_stats(L.rvdev, &st);
	assert_int_equal(st.rx_bad, 1);
	assert_int_equal(st.rx_no_ept, 1);
	assert_int_equal(st.ns_bad, 2);
	assert_int_equal(H.msgs, 1); /* only the probe message was delivered */
	assert_int_equal(H.probes, 1); /* no channel from the bad announcements */
	/* The host is fine: traffic goes on. */
	assert_int_equal(rpmsg_send(H.ch, "still", 5), 0);
	assert_int_equal(amp_link_wait(&L, &H.msgs, 2), 0);
}

static void test_used_length_past_the_buffer_breaks_only_that_ring(void **state)
{
	struct raw over = {.hdr_len = 4, .used_len = 4096, .payload = "abcd", .payload_len = 4};
	struct rpmsg_stats st;

	(void)state;
	bring_up_echo();
	over.dst = H.ch->src;
	/* A used length past what we posted is impossible for a correct remote: the receive
	 * ring is marked broken (reported once) and nothing of it is delivered. */
	amp_link_remote_call(&L, remote_send_raw, &over);
	amp_link_remote_call(&L, NULL, NULL);
	/* Transmit still works (the remote sees it), the host did not crash or hang. */
	assert_int_equal(rpmsg_send(H.ch, "tx", 2), 0);
	amp_link_remote_call(&L, NULL, NULL);
	rpmsg_get_stats(L.rvdev, &st);
	assert_int_equal(st.rx_msgs, 1); /* the announcement only */
	assert_int_equal(H.msgs, 0);
}

static struct rpmsg_ns_msg ns_seen[4];
static int ns_count;

static void remote_ns_observer(struct rpmsg_remote_ept *ept, const void *data, size_t len,
			       uint32_t src, void *priv)
{
	(void)ept;
	(void)src;
	(void)priv;
	if (len == sizeof(struct rpmsg_ns_msg) && ns_count < 4)
		memcpy(&ns_seen[ns_count], data, len);
	amp_link_bump(&L, &ns_count);
}

static int remote_listen_ns(struct amp_link *l, void *arg)
{
	(void)arg;
	return rpmsg_remote_create_ept(&l->rdev, &R.extra[0], "", RPMSG_NS_ADDR, remote_ns_observer,
				       NULL);
}

static const struct rpmsg_device_id svc_ids[] = {{"host-svc"}, {""}};
static struct rpmsg_driver svc_drv = {
	.name = "svc", .id_table = svc_ids, .probe = drv_probe, .remove = drv_remove,
	.callback = drv_cb};

static void test_local_channel_is_announced_and_withdrawn(void **state)
{
	struct rpmsg_channel *ch;

	(void)state;
	ns_count = 0;
	amp_link_remote_call(&L, remote_listen_ns, NULL);
	assert_int_equal(register_rpmsg_driver(&svc_drv), 0);
	ch = rpmsg_create_channel(L.rvdev, "host-svc", 0x500, REMOTE_ADDR);
	assert_non_null(ch);
	assert_int_equal(amp_link_wait(&L, &H.probes, 1), 0);
	assert_int_equal(ch->src, 0x500);
	assert_null(rpmsg_create_channel(L.rvdev, "host-svc", 0x500, REMOTE_ADDR)); /* duplicate */
	assert_int_equal(amp_link_wait(&L, &ns_count, 1), 0);
	assert_string_equal(ns_seen[0].name, "host-svc");
	assert_int_equal(ns_seen[0].addr, 0x500);
	assert_int_equal(ns_seen[0].flags, RPMSG_NS_CREATE);
	rpmsg_release_channel(ch);
	assert_int_equal(H.removes, 1);
	assert_int_equal(amp_link_wait(&L, &ns_count, 2), 0);
	assert_int_equal(ns_seen[1].flags, RPMSG_NS_DESTROY);
	unregister_rpmsg_driver(&svc_drv);
}

static int remote_flood(struct amp_link *l, void *arg)
{
	unsigned int i, n = (unsigned int)(uintptr_t)arg;
	uint8_t msg[sizeof(struct rpmsg_ns_msg)];
	int ret = 0;

	(void)l;
	for (i = 0; i < n && !ret; i++) {
		struct rpmsg_ns_msg *m = (void *)msg;

		memset(msg, 0, sizeof(msg));
		snprintf(m->name, sizeof(m->name), "flood-%u", i);
		m->addr = 0x1000 + i;
		ret = remote_send_retry(RPMSG_NS_ADDR, msg, sizeof(msg));
	}
	return ret;
}

static void test_channel_flood_is_bounded_and_counted(void **state)
{
	struct rpmsg_stats st;
	unsigned int n = RPMSG_MAX_CHANNELS + 44;

	(void)state;
	bring_up_echo();
	amp_link_remote_call(&L, remote_flood, (void *)(uintptr_t)n);
	wait_host_caught_up();
	rpmsg_get_stats(L.rvdev, &st);
	/* test-echo is one channel; the flood fills the rest and the others are refused. */
	assert_int_equal(st.ns_refused, n - (RPMSG_MAX_CHANNELS - 1));
	/* Duplicates are refused too. */
	amp_link_remote_call(&L, remote_flood, (void *)(uintptr_t)1);
	wait_host_caught_up();
	rpmsg_get_stats(L.rvdev, &st);
	assert_int_equal(st.ns_refused, n - (RPMSG_MAX_CHANNELS - 1) + 1);
}

/* Usage: test_rpmsg_virtio [PATTERN] runs the tests whose names match (cmocka's filter). */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seed_sample_probes_and_says_dude, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_send_variants_and_their_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhausted_buffers_block_time_out_and_recover,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_waiters_all_hear_of_returned_buffers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_waiters_all_hear_of_returned_buffers,
						setup_no_event_idx, teardown),
		cmocka_unit_test_setup_teardown(test_remote_that_never_returns_buffers_cannot_hang_us,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_going_wakes_a_blocked_sender_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_host_reuses_tx_buffers_returned_with_either_used_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_service_destroy_removes_the_channel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_withdrawn_channel_lives_while_referenced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_destroy_waits_for_a_running_callback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_callback_looks_up_while_its_driver_is_unregistered,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_looks_up_while_its_channel_is_released,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stuck_remote_holds_up_no_lookup_nor_other_device,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_arrive_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streams_with_more_to_follow_lose_no_wakeup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_streams_with_more_to_follow_lose_no_wakeup,
						setup_no_event_idx, teardown),
		cmocka_unit_test_setup_teardown(test_busy_polling_remote_loses_no_wakeup,
						setup_busy, teardown),
		cmocka_unit_test_setup_teardown(test_busy_polling_remote_loses_no_wakeup,
						setup_busy_no_event_idx, teardown),
		cmocka_unit_test_setup_teardown(test_zero_copy_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_buffer_is_held_once_per_delivery, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_callback_runs_once_remove_is_called, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_a_sender_blocked_under_a_channel_lock_sees_returned_buffers, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_destroyed_endpoint_gives_every_buffer_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_headers_cost_only_the_message, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_channel_flood_is_bounded_and_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_used_length_past_the_buffer_breaks_only_that_ring,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_channel_is_announced_and_withdrawn, setup,
						teardown),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
