/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A firmware that offers an rpmsg vdev but never announces a channel: the host must boot it,
 * show no channel, and shut it down cleanly. Test firmware.
 */
#include <amp-fw/hal.h>
#include <amp-fw/rsc.h>
#include <amp-fw/trace.h>

AMP_FW_RSC_TABLE_RPMSG_TRACE(resource_table, 16, AMP_FW_TRACE_DA, AMP_FW_TRACE_LEN);

int main(void)
{
	amp_fw_printf("silent firmware: up, announcing nothing\n");
	for (;;) {
		amp_fw_pet_watchdog();
		amp_fw_wait_irq();
	}
}
