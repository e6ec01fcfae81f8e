/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Time in firmware: sleeping, and periodic callbacks, on every target (the sim core's boot ROM
 * wakes the firmware at a deadline; a Cortex-M counts SysTick interrupts). The clock is
 * amp_fw_now_ns() (amp-fw/hal.h). Callbacks never run in an interrupt: they run from the main
 * loop's waits, so they may do what the main loop does (send, trace, pet the watchdog).
 * Firmware SDK.
 */
#ifndef AMP_FW_TIMER_H
#define AMP_FW_TIMER_H

#include <stdint.h>

struct amp_fw_timer;
typedef void (*amp_fw_timer_cb_t)(struct amp_fw_timer *timer, void *arg);

/**
 * struct amp_fw_timer - a periodic callback; storage the firmware provides (no malloc). Its
 * fields are private: set it up with amp_fw_timer_start().
 */
struct amp_fw_timer {
	/* private: */
	struct amp_fw_timer *next;
	uint64_t due_ns;
	uint64_t period_ns;
	amp_fw_timer_cb_t cb;
	void *arg;
};

/*
 * amp_fw_timer_start() - call @cb(@timer, @arg) every @period_ms milliseconds, the first time
 * @period_ms from now, from amp_fw_wait_irq(), amp_fw_sleep_ms() or amp_fw_rpmsg_wait(),
 * whichever the main loop is in when it is due (late, never early; a callback that fell
 * several periods behind runs once and is rescheduled from now). Starting a running timer
 * restarts it. @timer is the SDK's until amp_fw_timer_stop(). Returns 0, or -EINVAL for a
 * @period_ms of 0. Main loop context, including a timer callback.
 */
int amp_fw_timer_start(struct amp_fw_timer *timer, uint32_t period_ms, amp_fw_timer_cb_t cb,
		       void *arg);

/* amp_fw_timer_stop() - no more calls of @timer (a stopped timer is fine). Main loop context,
 * including its own callback. */
void amp_fw_timer_stop(struct amp_fw_timer *timer);

/*
 * amp_fw_sleep_ms() - return after at least @ms milliseconds. Kicks that arrive meanwhile are
 * not lost: the next amp_fw_wait_irq() returns at once. Due timers run meanwhile. Main loop
 * context (not from a timer callback: timers do not nest).
 */
void amp_fw_sleep_ms(uint32_t ms);

#endif /* AMP_FW_TIMER_H */
