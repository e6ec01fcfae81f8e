/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the SDK: what each target's HAL gives the portable parts beside amp-fw/hal.h. */
#ifndef AMP_FW_LIB_PORT_H
#define AMP_FW_LIB_PORT_H

#include <stdint.h>

#define AMP_FW_NO_DEADLINE UINT64_MAX

/*
 * Sleep until the host kicks (at once if it kicked since the last return that said so), the
 * target's own tick (a quarter of the watchdog's period when there is one; about a millisecond
 * when polling), or @deadline_ns on amp_fw_now_ns()'s clock (AMP_FW_NO_DEADLINE: none).
 * Returns non-zero when a kick ended the wait. Main loop context.
 */
int amp_fw_port_wait(uint64_t deadline_ns);

/* fw_timer.c: run the timers that are due (polled waits call it between their spins). */
void amp_fw_timers_run(void);

#endif /* AMP_FW_LIB_PORT_H */
