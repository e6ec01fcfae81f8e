/* SPDX-License-Identifier: BSD-3-Clause */
/* Waiting for the host or for time (amp_fw_wait_irq(), amp_fw_wait_irq_timeout(), the timers of
 * amp-fw/timer.h), on a target's amp_fw_port_wait(). Firmware SDK, portable. */
#include <stdbool.h>

#include <amp/errno.h>

#include "amp-fw/hal.h"
#include "amp-fw/timer.h"
#include "fw_port.h"

#define NSEC_PER_MSEC 1000000ull

static struct amp_fw_timer *timers;
static bool kick_saved; /* a kick that ended a sleep: the next amp_fw_wait_irq() returns at once */
static bool running;    /* in a callback: timers do not nest */

static void timer_unlink(struct amp_fw_timer *timer)
{
	struct amp_fw_timer **p;

	for (p = &timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = timer->next;
			return;
		}
	}
}

int amp_fw_timer_start(struct amp_fw_timer *timer, uint32_t period_ms, amp_fw_timer_cb_t cb,
		       void *arg)
{
	if (!timer || !cb || !period_ms)
		return -AMP_EINVAL;
	timer_unlink(timer);
	timer->period_ns = period_ms * NSEC_PER_MSEC;
	timer->due_ns = amp_fw_now_ns() + timer->period_ns;
	timer->cb = cb;
	timer->arg = arg;
	timer->next = timers;
	timers = timer;
	return 0;
}

void amp_fw_timer_stop(struct amp_fw_timer *timer)
{
	if (timer)
		timer_unlink(timer);
}

static uint64_t timers_next_due(void)
{
	uint64_t due = AMP_FW_NO_DEADLINE;
	const struct amp_fw_timer *t;

	for (t = timers; t; t = t->next)
		if (t->due_ns < due)
			due = t->due_ns;
	return due;
}

void amp_fw_timers_run(void)
{
	struct amp_fw_timer *t;
	uint64_t now;

	/* No timer: no clock read (a polled main loop comes here for every message). */
	if (running || !timers)
		return;
	running = true;
	/* One at a time, from the head each time: a callback may stop or start any timer.
	 * Each is rescheduled before it runs, so none runs twice for one due time. */
	for (;;) {
		now = amp_fw_now_ns();
		for (t = timers; t && t->due_ns > now; t = t->next)
			;
		if (!t)
			break;
		t->due_ns += t->period_ns;
		if (t->due_ns <= now) /* fell behind: once, then from now on */
			t->due_ns = now + t->period_ns;
		t->cb(t, t->arg);
	}
	running = false;
}

void amp_fw_wait_irq(void)
{
	if (kick_saved)
		kick_saved = false;
	else
		amp_fw_port_wait(timers_next_due());
	amp_fw_timers_run();
}

void amp_fw_wait_irq_timeout(uint32_t timeout_us)
{
	uint64_t end = amp_fw_now_ns() + (uint64_t)timeout_us * 1000u, due = timers_next_due();

	if (kick_saved)
		kick_saved = false;
	else
		amp_fw_port_wait(due < end ? due : end);
	amp_fw_timers_run();
}

void amp_fw_sleep_ms(uint32_t ms)
{
	uint64_t end = amp_fw_now_ns() + ms * NSEC_PER_MSEC;
	uint64_t due;

	while (amp_fw_now_ns() < end) {
		due = timers_next_due();
		if (amp_fw_port_wait(due < end ? due : end))
			kick_saved = true;
		amp_fw_timers_run();
	}
}
