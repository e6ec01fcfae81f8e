/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A firmware that offers an rpmsg vdev but never announces a channel: the host must boot it,
 * show no channel, and shut it down cleanly. It also times the boot ROM's bounded wait, which
 * must end by itself when no kick comes. Test firmware.
 */
#include <amp-fw/hal.h>
#include <amp-fw/rsc.h>
#include <amp-fw/trace.h>

AMP_FW_RSC_TABLE_RPMSG_TRACE(resource_table, 16, AMP_FW_TRACE_DA, AMP_FW_TRACE_LEN);

#define TIMED_WAITS 5
#define TIMED_WAIT_US 2000u

int main(void)
{
	uint64_t start;
	int i;

	amp_fw_printf("silent firmware: up, announcing nothing\n");
	/* Nobody kicks a silent core after boot (at most once, at DRIVER_OK): only the timeout
	 * can end these. */
	start = amp_fw_now_ns();
	for (i = 0; i < TIMED_WAITS; i++)
		amp_fw_wait_irq_timeout(TIMED_WAIT_US);
	amp_fw_printf("timed waits: %d of %u us took %u us\n", TIMED_WAITS, TIMED_WAIT_US,
		      (unsigned int)((amp_fw_now_ns() - start) / 1000u));
	for (;;) {
		amp_fw_pet_watchdog();
		amp_fw_wait_irq();
	}
}
