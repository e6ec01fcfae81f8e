/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for plat_poll_next(): what a polling-mode notification thread looks at, and when, on a
 * clock the test turns. Under traffic no system call but one every PLAT_POLL_BUSY_LOOK_MS;
 * idle, the core's end is still looked at every millisecond. And for plat_watchdog_due(): how
 * often a notifier reads the core's pet counter.
 */
#include <stdbool.h>
#include <stdint.h>

#include "amp_test.h"
#include "platform/plat_util.h"

#define TURN_NS 50u /* one turn of the spin, as the fake clock has it */
#define MS 1000000ull

static uint64_t fake_now, clock_reads;

static uint64_t fake_clock(void)
{
	clock_reads++;
	return fake_now;
}

struct tally {
	uint64_t all, clock, yields;
	uint64_t last_all_ns;
};

/* One turn @busy or not on the fake clock; counts what it was told. */
static void turn(struct plat_poller *p, bool busy, struct tally *t)
{
	uint64_t now = 0;
	bool yield;
	enum plat_look look = plat_poll_next(p, busy, fake_clock, &now, &yield);

	fake_now += TURN_NS;
	t->yields += yield;
	if (look != PLAT_LOOK_NONE)
		assert_true(now == fake_now - TURN_NS);
	if (look == PLAT_LOOK_CLOCK)
		t->clock++;
	if (look == PLAT_LOOK_ALL) {
		t->all++;
		t->last_all_ns = now;
	}
}

/* A fresh poller, and @n turns all @busy or all idle on it. */
static void start(struct plat_poller *p, struct tally *t, uint64_t n, bool busy)
{
	*p = (struct plat_poller){0};
	*t = (struct tally){0};
	fake_now = 1000 * MS;
	clock_reads = 0;
	while (n--)
		turn(p, busy, t);
}

/* A second of traffic that never pauses: the watchdog every millisecond, the system call only
 * every PLAT_POLL_BUSY_LOOK_MS, no yield, and the clock read once per 4096 turns. */
static void test_traffic_costs_a_system_call_per_busy_look_period_only(void **state)
{
	const uint64_t turns = 1000 * MS / TURN_NS;
	struct plat_poller p;
	struct tally t;

	(void)state;
	start(&p, &t, turns, true);
	assert_true(t.all >= 1000 / PLAT_POLL_BUSY_LOOK_MS &&
		    t.all <= 1000 / PLAT_POLL_BUSY_LOOK_MS + 1);
	assert_true(t.all + t.clock >= 900 && t.all + t.clock <= 1000);
	assert_int_equal(t.yields, 0);
	assert_int_equal(clock_reads, turns / 4096);
}

/* The polled echo's pattern: a turn with work, then about twenty without, for a second. The
 * idle runs never reach 256 turns: no yield, and system calls as under traffic. */
static void test_an_echo_never_yields_and_looks_as_traffic_does(void **state)
{
	struct plat_poller p;
	struct tally t;
	uint64_t i;
	int k;

	(void)state;
	start(&p, &t, 0, true);
	for (i = 0; i < 1000 * MS / TURN_NS / 21; i++) {
		turn(&p, true, &t);
		for (k = 0; k < 20; k++)
			turn(&p, false, &t);
	}
	assert_int_equal(t.yields, 0);
	assert_true(t.all <= 1000 / PLAT_POLL_BUSY_LOOK_MS + 1);
	assert_true(t.clock >= 1); /* the watchdog still runs under a slow trickle */
}

/* Idle, everything is looked at every millisecond, and the CPU is left every 256 turns. */
static void test_idle_looks_at_everything_every_millisecond(void **state)
{
	const uint64_t turns = 100 * MS / TURN_NS;
	struct plat_poller p;
	struct tally t;

	(void)state;
	start(&p, &t, turns, false);
	assert_int_equal(t.clock, 0);
	assert_true(t.all >= 95 && t.all <= 100);
	assert_int_equal(t.yields, turns / 256);
}

/* A core that dies under traffic sends nothing more: the full look comes within a millisecond
 * and 256 turns of its last message, however recent the last busy look was. */
static void test_the_end_of_traffic_is_looked_at_within_a_millisecond(void **state)
{
	struct plat_poller p;
	struct tally t;
	uint64_t stopped;

	(void)state;
	start(&p, &t, 250 * MS / TURN_NS, true);
	stopped = fake_now;
	t.last_all_ns = 0;
	while (t.last_all_ns < stopped)
		turn(&p, false, &t);
	assert_true(t.last_all_ns - stopped <= MS + 256 * TURN_NS);
}

/* Without a watchdog a notifier never reads the counter, nor the clock. */
static void test_no_watchdog_is_never_due(void **state)
{
	struct plat_watchdog w;
	uint64_t now = 0;
	int i;

	(void)state;
	fake_now = 1000 * MS;
	plat_watchdog_start(&w, 0, fake_now);
	clock_reads = 0;
	for (i = 0; i < 1000; i++) {
		assert_false(plat_watchdog_due(&w, fake_clock, &now));
		fake_now += MS;
	}
	assert_int_equal(clock_reads, 0);
}

/* With one, a wake at any rate looks at the counter four times a period, and the first wake
 * after a quarter period always does: a hung core is seen within a period and a quarter. */
static void test_a_watchdog_is_due_four_times_a_period(void **state)
{
	struct plat_watchdog w;
	uint64_t now = 0, last = 0, looks = 0, i;

	(void)state;
	fake_now = 1000 * MS;
	plat_watchdog_start(&w, 200, fake_now);
	/* A wake every 10 us for a second. */
	for (i = 0; i < 100000; i++) {
		if (plat_watchdog_due(&w, fake_clock, &now)) {
			assert_true(now == fake_now);
			assert_true(looks == 0 || now - last == 50 * MS);
			last = now;
			looks++;
		}
		fake_now += 10000;
	}
	assert_int_equal(looks, 20);
	/* Wakes far apart (an idle notifier's timeout): each one looks. */
	for (i = 0; i < 10; i++) {
		fake_now += 51 * MS;
		assert_true(plat_watchdog_due(&w, fake_clock, &now));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traffic_costs_a_system_call_per_busy_look_period_only),
		cmocka_unit_test(test_an_echo_never_yields_and_looks_as_traffic_does),
		cmocka_unit_test(test_idle_looks_at_everything_every_millisecond),
		cmocka_unit_test(test_the_end_of_traffic_is_looked_at_within_a_millisecond),
		cmocka_unit_test(test_no_watchdog_is_never_due),
		cmocka_unit_test(test_a_watchdog_is_due_four_times_a_period),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
