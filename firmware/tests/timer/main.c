/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A firmware for the timer tests: announces "rpmsg-timer" and answers "sleep N" (after
 * amp_fw_sleep_ms(N), with the nanoseconds it measured) and "ticks N" (how many times a periodic
 * timer of N ms ran while it slept 10 periods). The host checks both against its own clock.
 * Test firmware, built for every target.
 */
#include <stdint.h>

#include <amp-fw/hal.h>
#include <amp-fw/rpmsg.h>
#include <amp-fw/rsc.h>
#include <amp-fw/timer.h>
#include <amp-fw/trace.h>

#define NUM_VRING 16
#define TIMER_ADDR 0x405u

AMP_FW_RSC_TABLE_RPMSG_TRACE(resource_table, NUM_VRING, AMP_FW_TRACE_DA, AMP_FW_TRACE_LEN);

AMP_FW_RPMSG_DEVICE(rdev, NUM_VRING, 4);
static struct rpmsg_remote_ept ept;
static struct amp_fw_timer periodic;
static uint32_t ticks;
static char request[16];
static uint32_t host_addr;

static void on_tick(struct amp_fw_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	ticks++;
}

static void timer_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		     void *priv)
{
	size_t i;

	(void)e;
	(void)priv;
	/* Requests only (not the host's greeting, which may come after one), run from the main
	 * loop: sleeping inside a receive callback would hold up the ring. */
	if (len < 6 || (((const char *)data)[0] != 's' && ((const char *)data)[0] != 't'))
		return;
	for (i = 0; i < len && i < sizeof(request) - 1; i++)
		request[i] = ((const char *)data)[i];
	request[i] = '\0';
	host_addr = src;
}

static uint32_t number_after(const char *s)
{
	uint32_t n = 0;

	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	while (*s >= '0' && *s <= '9')
		n = n * 10 + (uint32_t)(*s++ - '0');
	return n;
}

static void serve(void)
{
	uint32_t n = number_after(request);
	uint64_t reply[2];

	if (request[0] == 's') {
		uint64_t start = amp_fw_now_ns();

		amp_fw_sleep_ms(n);
		reply[0] = amp_fw_now_ns() - start;
		reply[1] = 0;
	} else {
		ticks = 0;
		if (amp_fw_timer_start(&periodic, n, on_tick, 0)) {
			request[0] = '\0'; /* "ticks 0": no answer */
			return;
		}
		amp_fw_sleep_ms(10 * n);
		amp_fw_timer_stop(&periodic);
		reply[0] = ticks;
		reply[1] = 1;
	}
	amp_fw_printf("%s: %llu\n", request, (unsigned long long)reply[0]);
	request[0] = '\0';
	amp_fw_rpmsg_send(&ept, host_addr, reply, sizeof(reply));
}

int main(void)
{
	int created = 0;

	amp_fw_printf("timer firmware: booting\n");
	if (rdev_init())
		return 1;
	for (;;) {
		if (rpmsg_remote_poll(&rdev) >= 0 && !created &&
		    rpmsg_remote_create_ept(&rdev, &ept, "rpmsg-timer", TIMER_ADDR, timer_cb, 0) == 0)
			created = 1;
		if (request[0])
			serve();
		amp_fw_pet_watchdog();
		amp_fw_rpmsg_wait(&rdev);
	}
}
