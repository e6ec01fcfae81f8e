/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The soak: several processors running the echo firmware, a sender thread each streaming
 * numbered messages of every size through them, while the main thread crashes processors at
 * random and recovery brings them back. At the end:
 * - no message came back twice, out of order or corrupted;
 * - every message lost was in flight at a crash: the first answer on a recovered channel is the
 *   first message sent on it, and nothing is missing between crashes;
 * - the messages lost are counted and reported;
 * - fds, memfd mappings, heap in use and child processes are what they were before.
 * Not in the default test run: `make soak SOAK_SECONDS=N`.
 * Usage: soak [SECONDS] (default 60).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <amp/amp.h>
#include <amp/sim.h>

#include "amp_test_res.h"

#define PROCS 3
#define MAX_IN_FLIGHT 96
#define HDR 8 /* seq (4 bytes), length (4 bytes), then the pattern */

struct proc {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct rproc *rproc;
	struct rpmsg_channel *ch; /* NULL while down */
	bool fresh;               /* no answer yet on the current channel */
	uint32_t next_send;       /* sequence number of the next message */
	uint32_t sent_at_probe;   /* next_send when the current channel appeared */
	uint32_t expect;          /* sequence number of the next answer */
	uint64_t answers, lost, bad_order, corrupt, channels;
	pthread_t sender;
};

static struct proc procs[PROCS];
static bool stopping; /* atomic */

static uint8_t pattern(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 131u + i * 7u);
}

static uint32_t msg_len(uint32_t seq)
{
	return HDR + (seq * 37u) % (496 - HDR + 1);
}

static struct proc *proc_of(struct rpmsg_channel *rpdev)
{
	return rpdev->priv;
}

/* Messages sent on the current channel and not answered yet. */
static uint32_t in_flight(const struct proc *p)
{
	return p->next_send - (p->fresh ? p->sent_at_probe : p->expect);
}

/* Every processor has a channel of the same name: the device's name ("soak1/vdev0") tells
 * whose it is. */
static int on_probe(struct rpmsg_channel *rpdev)
{
	const char *dev = rpmsg_device_name(rpdev);
	int i;

	for (i = 0; i < PROCS; i++) {
		const char *name = rproc_name(procs[i].rproc);

		if (!strncmp(dev, name, strlen(name)) && dev[strlen(name)] == '/')
			break;
	}
	CHECK(i < PROCS);
	rpdev->priv = &procs[i];
	pthread_mutex_lock(&procs[i].lock);
	procs[i].ch = rpdev;
	procs[i].fresh = true;
	procs[i].sent_at_probe = procs[i].next_send;
	procs[i].channels++;
	pthread_cond_broadcast(&procs[i].cond);
	pthread_mutex_unlock(&procs[i].lock);
	return 0;
}

static void on_remove(struct rpmsg_channel *rpdev)
{
	struct proc *p = proc_of(rpdev);

	/* The sender uses the channel only under the lock: after this it never will. */
	pthread_mutex_lock(&p->lock);
	p->ch = NULL;
	pthread_mutex_unlock(&p->lock);
}

static void on_msg(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	struct proc *p = proc_of(rpdev);
	const uint8_t *b = data;
	uint32_t seq, want_len, i;
	bool ok;

	(void)priv;
	(void)src;
	pthread_mutex_lock(&p->lock);
	if (len < HDR) {
		p->corrupt++;
		goto out;
	}
	memcpy(&seq, b, 4);
	memcpy(&want_len, b + 4, 4);
	ok = want_len == (uint32_t)len && want_len == msg_len(seq);
	for (i = HDR; ok && i < (uint32_t)len; i++)
		ok = b[i] == pattern(seq, i);
	if (!ok) {
		p->corrupt++;
		goto out;
	}
	if (p->fresh && seq == p->sent_at_probe && seq >= p->expect) {
		/* The first answer of a recovered channel: what the crash took is the gap. */
		p->lost += seq - p->expect;
		p->expect = seq;
	}
	p->fresh = false;
	if (seq != p->expect) {
		p->bad_order++;
		fprintf(stderr, "soak: %s: answer %u, expected %u\n", rproc_name(p->rproc), seq,
			p->expect);
	} else {
		p->expect++;
	}
	p->answers++;
	pthread_cond_broadcast(&p->cond);
out:
	pthread_mutex_unlock(&p->lock);
}

static const struct rpmsg_device_id ids[] = {{"rpmsg-echo"}, {""}};
static struct rpmsg_driver drv = {
	.name = "soak", .id_table = ids, .probe = on_probe, .remove = on_remove, .callback = on_msg};

static void wait_a_little(struct proc *p, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

/*
 * Send numbered messages with try-sends under the lock (a blocking send could not be held
 * under it while the channel goes). Out of buffers, or too many in flight, or the channel
 * down: wait for an answer or a new channel.
 */
static void *sender(void *arg)
{
	struct proc *p = arg;
	uint8_t msg[496];
	uint32_t len, i;
	int ret;

	pthread_mutex_lock(&p->lock);
	while (!__atomic_load_n(&stopping, __ATOMIC_RELAXED)) {
		if (!p->ch || in_flight(p) >= MAX_IN_FLIGHT) {
			wait_a_little(p, 100);
			continue;
		}
		len = msg_len(p->next_send);
		memcpy(msg, &p->next_send, 4);
		memcpy(msg + 4, &len, 4);
		for (i = HDR; i < len; i++)
			msg[i] = pattern(p->next_send, i);
		ret = rpmsg_trysend(p->ch, msg, (int)len);
		if (ret == 0)
			p->next_send++;
		else if (ret == -AMP_ENOMEM || ret == -AMP_ENODEV || ret == -AMP_EIO)
			wait_a_little(p, 10); /* buffers will come back, or the channel goes */
		else
			CHECK(!"unexpected send error");
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void make_procs(void)
{
	unsigned int i;

	for (i = 0; i < PROCS; i++) {
		memset(&procs[i], 0, sizeof(procs[i]));
		pthread_mutex_init(&procs[i].lock, NULL);
		pthread_cond_init(&procs[i].cond, NULL);
		procs[i].rproc = amp_test_sim_up("soak", i, AMP_ECHO_FIRMWARE, NULL, NULL);
	}
}

static void destroy_procs(void)
{
	unsigned int i;

	for (i = 0; i < PROCS; i++) {
		sim_rproc_destroy(procs[i].rproc);
		pthread_cond_destroy(&procs[i].cond);
		pthread_mutex_destroy(&procs[i].lock);
	}
}

/* The processors up (their channels probed) and down once: what the library and libc allocate
 * once (stdio buffers, tables grown to their high-water mark) is then not taken for a leak. */
static void warm_up(void)
{
	unsigned int i;

	make_procs();
	/* The senders start and leave at once: glibc keeps their stacks. */
	__atomic_store_n(&stopping, true, __ATOMIC_RELAXED);
	for (i = 0; i < PROCS; i++)
		CHECK(pthread_create(&procs[i].sender, NULL, sender, &procs[i]) == 0);
	for (i = 0; i < PROCS; i++) {
		pthread_join(procs[i].sender, NULL);
		pthread_mutex_lock(&procs[i].lock);
		while (!procs[i].ch)
			wait_a_little(&procs[i], 100);
		pthread_mutex_unlock(&procs[i].lock);
	}
	__atomic_store_n(&stopping, false, __ATOMIC_RELAXED);
	destroy_procs();
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}

int main(int argc, char **argv)
{
	unsigned int seconds = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 60;
	unsigned int seed = (unsigned int)time(NULL), crashes = 0, i;
	int fds, maps;
	size_t heap, heap_quarter = 0, heap_end;
	uint64_t quarter, end, total_lost = 0, total_answers = 0, deadline;

	if (!seconds) {
		fprintf(stderr, "usage: %s [SECONDS]\n", argv[0]);
		return 2;
	}
	if (!getenv("AMP_LOG_LEVEL"))
		amp_log_set_level(AMP_LOG_ERR); /* a crash a second is the point, not news */
	CHECK(register_rpmsg_driver(&drv) == 0);
	printf("soak: %u processors, %u s, seed %u\n", PROCS, seconds, seed);
	warm_up();
	fds = amp_test_count_fds();
	maps = amp_test_count_memfd_maps();
	heap = heap_in_use();
	make_procs();
	for (i = 0; i < PROCS; i++)
		CHECK(pthread_create(&procs[i].sender, NULL, sender, &procs[i]) == 0);

	/* Crash one at random every 20..200 ms. The pause paces the faults; nothing waits on it. */
	quarter = now_ms() + seconds * 250ull;
	end = now_ms() + seconds * 1000ull;
	while (now_ms() < end) {
		if (!heap_quarter && now_ms() >= quarter)
			heap_quarter = heap_in_use();
		struct timespec pause = {0, (long)(20 + rand_r(&seed) % 181) * 1000000L};
		struct proc *p = &procs[rand_r(&seed) % PROCS];

		nanosleep(&pause, NULL);
		if (rproc_get_state(p->rproc) == RPROC_RUNNING) {
			rproc_report_crash(p->rproc, RPROC_FATAL_ERROR);
			crashes++;
		}
	}

	heap_end = heap_in_use();
	/* Stop sending, then everything still in flight must come back: no crash is left to
	 * excuse a loss. */
	__atomic_store_n(&stopping, true, __ATOMIC_RELAXED);
	for (i = 0; i < PROCS; i++) {
		struct proc *p = &procs[i];

		pthread_mutex_lock(&p->lock);
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->sender, NULL);
		deadline = now_ms() + 20000;
		pthread_mutex_lock(&p->lock);
		while ((p->expect != p->next_send || !p->ch) && now_ms() < deadline) {
			/* A crash reported at the very end may still be recovering: when its
			 * channel is back, what was in flight is lost and counted by the gap
			 * rule; send one more to learn it. */
			if (p->ch && p->fresh && p->sent_at_probe == p->next_send) {
				uint32_t len = msg_len(p->next_send);
				uint8_t msg[496];
				uint32_t k;

				memcpy(msg, &p->next_send, 4);
				memcpy(msg + 4, &len, 4);
				for (k = HDR; k < len; k++)
					msg[k] = pattern(p->next_send, k);
				if (rpmsg_trysend(p->ch, msg, (int)len) == 0)
					p->next_send++;
			}
			wait_a_little(p, 50);
		}
		CHECK(p->expect == p->next_send && p->ch); /* all answered, the channel back */
		pthread_mutex_unlock(&p->lock);
	}
	for (i = 0; i < PROCS; i++) {
		struct proc *p = &procs[i];

		printf("  %s: %u messages answered in order, %llu lost in %llu crashes, "
		       "%llu out of order, %llu corrupted\n",
		       rproc_name(p->rproc), p->next_send, (unsigned long long)p->lost,
		       (unsigned long long)rproc_crash_count(p->rproc),
		       (unsigned long long)p->bad_order, (unsigned long long)p->corrupt);
		CHECK(p->bad_order == 0 && p->corrupt == 0);
		/* A crash before the remote announced its channel costs no channel. */
		CHECK(p->channels >= 1 && p->channels <= rproc_crash_count(p->rproc) + 1);
		total_lost += p->lost;
		total_answers += p->answers;
	}
	destroy_procs();
	unregister_rpmsg_driver(&drv);
	printf("soak: %u crashes, %llu answers, %llu lost in flight (%.1f per crash)\n", crashes,
	       (unsigned long long)total_answers, (unsigned long long)total_lost,
	       crashes ? (double)total_lost / crashes : 0.0);
	printf("soak: fds %d -> %d, memfd maps %d -> %d, heap in use %zu -> %zu bytes "
	       "(under traffic: %zu at a quarter of the run, %zu at its end)\n",
	       fds, amp_test_count_fds(), maps, amp_test_count_memfd_maps(), heap, heap_in_use(),
	       heap_quarter, heap_end);
	CHECK(amp_test_count_fds() == fds);
	CHECK(amp_test_count_memfd_maps() == maps);
	/* A one-time 14 KiB or so (glibc per-thread state) is seen whatever the run length; a
	 * leak per message or per crash would grow with it. */
	CHECK(heap_in_use() <= heap + (64u << 10));
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	printf("soak: passed\n");
	return 0;
}
