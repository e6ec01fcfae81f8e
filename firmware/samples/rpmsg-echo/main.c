/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg-echo firmware: announces "rpmsg-echo" and sends every message back to its sender, byte
 * for byte, whatever its size (0..MTU). Used by tests and benchmarks. Sample firmware.
 */
#include <stdint.h>

#include <amp-fw/hal.h>
#include <amp-fw/rpmsg.h>
#include <amp-fw/rsc.h>
#include <amp-fw/trace.h>

#define NUM_VRING 256
#define ECHO_ADDR 0x401u

AMP_FW_RSC_TABLE_RPMSG_TRACE(resource_table, NUM_VRING, AMP_FW_TRACE_DA, AMP_FW_TRACE_LEN);

AMP_FW_RPMSG_DEVICE(rdev, NUM_VRING, 8);
static struct rpmsg_remote_ept ept;
static uint32_t echoed;

static void echo_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		    void *priv)
{
	(void)priv;
	/* No host buffer free: the host is draining; this waits for one. */
	if (amp_fw_rpmsg_send(e, src, data, len) == 0)
		echoed++;
}

int main(void)
{
	int created = 0;

	amp_fw_printf("rpmsg-echo firmware: booting\n");
	if (rdev_init())
		return 1;
	for (;;) {
		if (rpmsg_remote_poll(&rdev) >= 0 && !created &&
		    rpmsg_remote_create_ept(&rdev, &ept, "rpmsg-echo", ECHO_ADDR, echo_cb, 0) == 0) {
			amp_fw_printf("announced rpmsg-echo at 0x%x\n", ECHO_ADDR);
			created = 1;
		}
		amp_fw_pet_watchdog();
		amp_fw_wait_irq();
	}
}
