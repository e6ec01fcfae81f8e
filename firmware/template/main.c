/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal firmware to start from: announces the channel "rpmsg-template" and answers each
 * message with "hello, " and the message. Firmware, built with the SDK.
 */
#include <stddef.h>
#include <stdint.h>

#include <amp-fw/hal.h>   /* wait for an interrupt, kick, clock, watchdog, the loaded table */
#include <amp-fw/rpmsg.h> /* the rpmsg device, set up from the loaded resource table */
#include <amp-fw/rsc.h>   /* resource-table declarations */
#include <amp-fw/trace.h> /* amp_fw_printf() into the trace buffer */

/* An rpmsg vdev with two vrings of 64 descriptors, and a trace buffer. Checked at compile time. */
AMP_FW_RSC_TABLE_RPMSG_TRACE(resource_table, 64, AMP_FW_TRACE_DA, AMP_FW_TRACE_LEN);

/* The device's storage (vring state for 64-entry rings, four endpoint slots) and rdev_init(). */
AMP_FW_RPMSG_DEVICE(rdev, 64, 4);
static struct rpmsg_remote_ept ept;

/* An endpoint's callback: from rpmsg_remote_poll(), in the main loop. */
static void on_message(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		       void *priv)
{
	static const char hello[] = "hello, ";
	char reply[496]; /* the MTU with 512-byte buffers */
	size_t n = sizeof(hello) - 1;

	(void)priv;
	if (len > sizeof(reply) - n)
		len = sizeof(reply) - n;
	__builtin_memcpy(reply, hello, n);
	__builtin_memcpy(reply + n, data, len);
	amp_fw_printf("%u bytes from 0x%x\n", (unsigned int)len, src);
	/* Waits for a host buffer if none is free, delivering what arrives meanwhile. */
	amp_fw_rpmsg_send(e, src, reply, n + len);
}

int main(void)
{
	int announced = 0;

	amp_fw_printf("template firmware: booting\n");
	if (rdev_init())
		return 1; /* no rpmsg vdev in the loaded table */
	for (;;) {
		/* Deliver what the host sent; once it is ready (DRIVER_OK), announce a channel. */
		if (rpmsg_remote_poll(&rdev) >= 0 && !announced)
			announced = rpmsg_remote_create_ept(&rdev, &ept, "rpmsg-template",
							    RPMSG_ADDR_ANY, on_message, 0) == 0;
		amp_fw_pet_watchdog();
		amp_fw_rpmsg_wait(&rdev); /* until a kick, a timer tick, or (polled) a message */
	}
}
