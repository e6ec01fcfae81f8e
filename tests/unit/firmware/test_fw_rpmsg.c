/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for the firmware SDK's rpmsg glue (firmware/lib/fw_rpmsg.c), built for the host over a
 * fake HAL: its waits run the host double of OpenAMP (tests/support/amp_test_oahost.h) and
 * fail the test where a real core would sleep for ever, so that a wait with nothing to end it
 * is caught in one thread instead of hanging a firmware.
 */
#include <string.h>

#include <amp-fw/hal.h>
#include <amp-fw/rpmsg.h>
#include <amp-fw/rsc.h>
#include <amp/errno.h>

#include "amp_test.h"
#include "amp_test_oahost.h"
#include "fw_port.h"

#define NUM 16u
#define BUF 512u
#define MEM_LEN 0x10000u
#define HOST_ADDR 0x401u
#define ECHO_ADDR 0x400u

/* The table a firmware meant for OpenAMP's host declares: the name service only. */
AMP_FW_RSC_TABLE_RPMSG_TRACE_F(resource_table, AMP_FW_RPMSG_F_OPENAMP, NUM, 0x100F0000u, 0x1000u);
/* And the usual one, for the check of what each offers. */
AMP_FW_RSC_TABLE_RPMSG_TRACE(default_table, NUM, 0x100F0000u, 0x1000u);

AMP_FW_RPMSG_DEVICE(rdev, NUM, 8);

static const struct oah_layout layout = {
	.vring_da = {0x1000u, 0x4000u},
	.vring_align = 4096,
	.num = NUM,
	.pool_da = 0x8000u,
	.pool_len = 2 * NUM * BUF,
	.buf_size = BUF,
};

/* The fake platform: memory, the host double, and what the waits saw. */
static struct {
	struct amp_test_arena mem;
	struct oah host;
	unsigned int kicks_taken;  /* of the host's kicks, those a wait consumed */
	unsigned int waits, timed_waits;
	unsigned int driver_ok_at; /* the host sets DRIVER_OK during this timed wait (1-based) */
	uint64_t now;
	unsigned int clock_reads;
	int polled;
} F;

static struct rpmsg_remote_ept ept;

/* What the host does while the core sleeps: read what it was sent (returning the buffers). */
static void host_runs(void)
{
	oah_poll(&F.host);
}

static bool kick_pending(void)
{
	return F.host.kicks[0] + F.host.kicks[1] != F.kicks_taken;
}

void amp_fw_wait_irq(void)
{
	F.waits++;
	host_runs();
	if (!kick_pending())
		fail_msg("amp_fw_wait_irq() with no kick to come: the core would sleep for ever "
			 "(status 0x%x)",
			 resource_table.rpmsg.vdev.status);
	F.kicks_taken = F.host.kicks[0] + F.host.kicks[1];
}

void amp_fw_wait_irq_timeout(uint32_t timeout_us)
{
	/* Bounded, and short enough that a host's silent DRIVER_OK is seen soon. */
	assert_true(timeout_us > 0 && timeout_us <= 100000);
	if (++F.timed_waits == F.driver_ok_at)
		oah_driver_ok(&F.host);
	host_runs();
	F.kicks_taken = F.host.kicks[0] + F.host.kicks[1];
}

void amp_fw_kick(uint32_t notifyid)
{
	oah_remote_kick(&F.host, notifyid);
}

uint64_t amp_fw_now_ns(void)
{
	F.clock_reads++;
	return F.now += 1000;
}

void amp_fw_pet_watchdog(void)
{
}

/* The SDK's timers (fw_timer.c) are not under test: none is started. */
void amp_fw_timers_run(void)
{
}

int amp_fw_polled(void)
{
	return F.polled;
}

void *amp_fw_rsc_table(void)
{
	return &resource_table;
}

void *amp_fw_da_to_va(uint64_t da, size_t len)
{
	if (da > MEM_LEN || len > MEM_LEN - da)
		return NULL;
	return F.mem.mem + da;
}

static void echo_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		    void *priv)
{
	(void)priv;
	assert_int_equal(amp_fw_rpmsg_send(e, src, data, len), 0);
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	amp_test_arena_init(&F.mem, MEM_LEN);
	resource_table.rpmsg.vdev.status = 0;
	resource_table.rpmsg.vdev.gfeatures = 0;
	assert_int_equal(rdev_init(), 0);
	oah_init(&F.host, F.mem.mem, MEM_LEN, (struct fw_rsc_vdev *)&resource_table.rpmsg.vdev,
		 &layout);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_true(amp_test_arena_guards_ok(&F.mem));
	amp_test_arena_free(&F.mem);
	return 0;
}

/* The main loop of a firmware, as the samples write it, until the host has our announcement. */
static void main_loop_until_announced(void)
{
	bool created = false;
	unsigned int i;

	for (i = 0; i < 100 && !F.host.ns_msgs; i++) {
		if (rpmsg_remote_poll(&rdev) >= 0 && !created) {
			assert_int_equal(rpmsg_remote_create_ept(&rdev, &ept, "oa-echo", ECHO_ADDR,
								 echo_cb, NULL),
					 0);
			created = true;
		}
		amp_fw_rpmsg_wait(&rdev);
	}
	assert_int_equal(F.host.ns_msgs, 1);
	assert_string_equal(F.host.last_ns.name, "oa-echo");
}

static void test_table_option_chooses_the_features_offered(void **state)
{
	(void)state;
	assert_int_equal(resource_table.rpmsg.vdev.dfeatures, 1u << VIRTIO_RPMSG_F_NS);
	assert_int_equal(default_table.rpmsg.vdev.dfeatures,
			 (1u << VIRTIO_RPMSG_F_NS) | (1u << VIRTIO_RING_F_EVENT_IDX));
	/* The host double accepted exactly what the table offered. */
	assert_int_equal(resource_table.rpmsg.vdev.gfeatures, 1u << VIRTIO_RPMSG_F_NS);
}

static void test_wait_before_driver_ok_is_bounded(void **state)
{
	(void)state;
	/* The host sets DRIVER_OK, without a kick, while the core is in its third wait. */
	F.driver_ok_at = 3;
	main_loop_until_announced();
	assert_true(F.timed_waits >= 3);
	assert_int_equal(F.host.remote_kicks[0], 1); /* the announcement rang */
}

static void test_send_waits_for_a_host_buffer_and_is_woken(void **state)
{
	unsigned int sent = 0, waits;
	int ret;

	(void)state;
	F.driver_ok_at = 1;
	main_loop_until_announced();
	while ((ret = rpmsg_remote_send(&ept, HOST_ADDR, "x", 1)) == 0)
		sent++;
	assert_int_equal(ret, -AMP_ENOMEM);
	assert_int_equal(sent, NUM);
	waits = F.waits;
	/* Out of buffers: it asks the host for a kick, sleeps, and the host's return of its
	 * buffers wakes it (the fake fails the test on a sleep no kick would end). */
	assert_int_equal(amp_fw_rpmsg_send(&ept, HOST_ADDR, "y", 1), 0);
	assert_int_equal(F.waits, waits + 1);
	/* Woken, it stopped asking: the host returns buffers without kicking again. */
	assert_true(F.host.vr[0].used->flags & VRING_USED_F_NO_NOTIFY);
}

/* An echo whose reply waits for a host buffer (the remote's ring is full) answers the host's
 * messages in their order: the wait delivers none of the later ones inside the callback. */
static void test_replies_that_wait_for_a_buffer_keep_their_order(void **state)
{
	unsigned int rx;
	uint8_t i;

	(void)state;
	F.driver_ok_at = 1;
	main_loop_until_announced();
	while (rpmsg_remote_send(&ept, HOST_ADDR, "x", 1) == 0)
		;
	for (i = 1; i <= 3; i++)
		assert_int_equal(oah_send(&F.host, HOST_ADDR, ECHO_ADDR, &i, 1), 0);
	rx = F.host.rx_msgs;
	assert_int_equal(rpmsg_remote_poll(&rdev), 3);
	oah_poll(&F.host);
	/* The host read the ring's worth of "x" in the wait, then the three replies. */
	assert_true(rx + NUM + 3 <= OAH_LOG && F.host.rx_msgs == rx + NUM + 3);
	assert_memory_equal(&F.host.rx_log[rx + NUM], ((const uint8_t[]){1, 2, 3}), 3);
	assert_true(F.waits > 0);
}

/* Polled, a wait with a message already there returns at once and reads no clock: the
 * message path of a polled core makes no clock call. A wait with nothing to do still returns,
 * after about a millisecond of the clock (the watchdog). */
static void test_polled_wait_reads_no_clock_when_work_is_there(void **state)
{
	unsigned int reads;

	(void)state;
	F.driver_ok_at = 1;
	main_loop_until_announced();
	F.polled = 1;
	assert_int_equal(oah_send(&F.host, HOST_ADDR, ECHO_ADDR, "ping", 4), 0);
	reads = F.clock_reads;
	amp_fw_rpmsg_wait(&rdev);
	assert_int_equal(F.clock_reads, reads);
	assert_true(rpmsg_remote_rx_pending(&rdev));
	assert_true(rpmsg_remote_poll(&rdev) >= 0);
	assert_false(rpmsg_remote_rx_pending(&rdev));
	/* Nothing to do: back after the clock moved a millisecond (1000 reads of 1 us). */
	reads = F.clock_reads;
	amp_fw_rpmsg_wait(&rdev);
	assert_true(F.clock_reads - reads >= 1000 && F.clock_reads - reads <= 1002);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table_option_chooses_the_features_offered,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_before_driver_ok_is_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_send_waits_for_a_host_buffer_and_is_woken,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_polled_wait_reads_no_clock_when_work_is_there,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_replies_that_wait_for_a_buffer_keep_their_order,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
