/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg-echo firmware: announces "rpmsg-echo" and sends every message back to its sender, byte
 * for byte, whatever its size (0..MTU). For the streaming benchmarks it also announces
 * "rpmsg-sink" (copies out and counts what it gets), "rpmsg-source" (streams on request) and
 * "rpmsg-stamp" (an echo that carries the remote's clock): stream.h.
 * Used by tests and benchmarks. Sample firmware.
 */
#include <stdint.h>

#include <amp-fw/hal.h>
#include <amp-fw/rpmsg.h>
#include <amp-fw/rsc.h>
#include <amp-fw/trace.h>

#include "stream.h"

#define NUM_VRING 256

AMP_FW_RSC_TABLE_RPMSG_TRACE(resource_table, NUM_VRING, AMP_FW_TRACE_DA, AMP_FW_TRACE_LEN);

AMP_FW_RPMSG_DEVICE(rdev, NUM_VRING, 8);
static struct rpmsg_remote_ept ept, sink, source, stamp;
static uint32_t echoed, sunk;
static struct echo_source_req pending; /* the stream to send from the main loop */
static uint32_t pending_dst;
static uint8_t stream_buf[512];
static uint8_t sink_buf[512]; /* where the sink reads each message to */
static uint8_t stamp_buf[512];

static void echo_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		    void *priv)
{
	(void)priv;
	/* No host buffer free: the host is draining; this waits for one. */
	if (amp_fw_rpmsg_send(e, src, data, len) == 0)
		echoed++;
}

static void sink_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		    void *priv)
{
	(void)priv;
	/* A message of 0 or 1 byte asks for the count: a client of ampd cannot send an empty
	 * one (an empty packet reads as the end of its connection). */
	if (len > 1) {
		/* Consume the payload, as the benchmarks' raw-ring consumer copies its slot out. */
		__builtin_memcpy(sink_buf, data, len <= sizeof(sink_buf) ? len : sizeof(sink_buf));
		sunk++;
		return;
	}
	amp_fw_rpmsg_send(e, src, &sunk, sizeof(sunk));
	sunk = 0;
}

static void stamp_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		     void *priv)
{
	struct echo_stamp t = {.rx_ns = amp_fw_now_ns()};

	(void)priv;
	if (len < sizeof(t) || len > sizeof(stamp_buf)) {
		amp_fw_rpmsg_send(e, src, data, len);
		return;
	}
	__builtin_memcpy(stamp_buf, data, len);
	t.tx_ns = amp_fw_now_ns();
	__builtin_memcpy(stamp_buf, &t, sizeof(t));
	amp_fw_rpmsg_send(e, src, stamp_buf, len);
}

static void source_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		      void *priv)
{
	(void)e;
	(void)priv;
	if (len != sizeof(pending) || pending.count)
		return; /* malformed, or a stream still going: ignored */
	__builtin_memcpy(&pending, data, sizeof(pending));
	if (pending.size > sizeof(stream_buf))
		pending.count = 0;
	pending_dst = src;
}

/* The requested stream, from the main loop (not inside a callback: it runs for a while). */
static void send_stream(void)
{
	uint32_t seq;

	for (seq = 0; seq < pending.count; seq++) {
		if (pending.size >= sizeof(seq))
			__builtin_memcpy(stream_buf, &seq, sizeof(seq));
		/* All but the last with more to follow: one kick decision per batch. */
		if ((seq + 1 < pending.count ? amp_fw_rpmsg_send_more
					     : amp_fw_rpmsg_send)(&source, pending_dst, stream_buf,
								  pending.size))
			break;
		if (!(seq & 1023))
			amp_fw_pet_watchdog();
	}
	pending.count = 0;
}

static const struct {
	struct rpmsg_remote_ept *ept;
	const char *name;
	uint32_t addr;
	rpmsg_remote_cb_t cb;
} epts[] = {
	{&ept, "rpmsg-echo", ECHO_ADDR, echo_cb},
	{&sink, "rpmsg-sink", ECHO_SINK_ADDR, sink_cb},
	{&source, "rpmsg-source", ECHO_SOURCE_ADDR, source_cb},
	{&stamp, "rpmsg-stamp", ECHO_STAMP_ADDR, stamp_cb},
};

int main(void)
{
	unsigned int created = 0;

	amp_fw_printf("rpmsg-echo firmware: booting\n");
	if (rdev_init())
		return 1;
	for (;;) {
		/* The echo first: tests wait for its channel and nothing else. */
		while (rpmsg_remote_poll(&rdev) >= 0 && created < sizeof(epts) / sizeof(epts[0]) &&
		       rpmsg_remote_create_ept(&rdev, epts[created].ept, epts[created].name,
					       epts[created].addr, epts[created].cb, 0) == 0) {
			amp_fw_printf("announced %s at 0x%x\n", epts[created].name,
				      (unsigned int)epts[created].addr);
			created++;
		}
		if (pending.count)
			send_stream();
		amp_fw_pet_watchdog();
		amp_fw_rpmsg_wait(&rdev);
	}
}
