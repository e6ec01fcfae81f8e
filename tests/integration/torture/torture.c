/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The torture test: every promise of the rpmsg and remoteproc headers about threads, tried at
 * once on several simulated processors running the echo firmware. Test layer.
 *
 * Worker threads keep endpoints on random processors and, at random, send (blocking, try,
 * zero-copy), take zero-copy buffers and release them, hold received buffers and release them,
 * look channels up and drop them, and destroy their endpoints (holding buffers or not). A chaos
 * thread crashes processors, stops and boots them, turns recovery off and on, and unregisters
 * and registers the driver bound to the echo channels (whose probe sends from the notification
 * thread). At the end it checks:
 *  - every call returned: a watchdog fails the test when a thread has been in one call for
 *    longer than a generous bound (a blocking send waits 10 s at most);
 *  - the counts add up: each endpoint got back, in order and intact, every message it sent,
 *    except those in flight when its device went (a crash or a stop), and no message was lost
 *    otherwise; no send timed out while its device stayed up;
 *  - every buffer came back: no receive buffer held, no zero-copy buffer out, once the
 *    endpoints are destroyed;
 *  - nothing leaked: fds and memfd mappings are what they were (ASan checks the heap).
 * Usage: torture [SECONDS [SEED]] (default 4 s; `make soak` runs it longer).
 */
#define _GNU_SOURCE
#include <errno.h>
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
#define WORKERS 4
#define EPTS_PER_WORKER 2
#define ECHO_ADDR 0x401u /* the echo firmware's echo endpoint */
#define HOLD_MAX 4       /* receive buffers an endpoint holds at most */
#define ZC_MAX 3         /* zero-copy buffers an endpoint has out at most */
#define SEND_TIMEOUT_MS 10000u
#define WAIT_NS (20ull * 1000000000ull) /* drains, and a device's going after -ENODEV */
#define STUCK_NS (60ull * 1000000000ull) /* a call longer than this: the test fails */
#define HDR 12                           /* serial, seq, length; then the pattern */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t rnd(uint64_t *s)
{
	/* xorshift64*: one state per thread. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 2685821657736338717ull) >> 32);
}

/* --- what each thread is doing, for the watchdog ------------------------------------------- */

struct beat {
	const char *op; /* atomic: the call in progress, or NULL */
	uint64_t since; /* atomic */
};

static struct beat beats[WORKERS + 2];

static void beat_in(struct beat *b, const char *op)
{
	__atomic_store_n(&b->since, now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&b->op, op, __ATOMIC_RELEASE);
}

static void beat_out(struct beat *b)
{
	__atomic_store_n(&b->op, NULL, __ATOMIC_RELEASE);
}

/* --- processors ----------------------------------------------------------------------------- */

struct proc {
	struct rproc *rproc;
	char name[16];            /* its name, which outlives it (the others' callbacks read it) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int downs;       /* its vdev went (crash or stop): guarded by lock */
	struct rpmsg_channel *ch; /* the echo channel while the driver is bound (a reference) */
	uint64_t probes, probe_sends, probe_echoes;
};

static struct proc procs[PROCS];
static bool stopping; /* atomic */

static unsigned int proc_downs(struct proc *p)
{
	unsigned int d;

	pthread_mutex_lock(&p->lock);
	d = p->downs;
	pthread_mutex_unlock(&p->lock);
	return d;
}

/* Runs with the processor's lock held: count, and wake who waits for it. */
static void on_rproc_event(struct rproc *rproc, enum rproc_event ev, void *priv)
{
	struct proc *p = priv;

	(void)rproc;
	pthread_mutex_lock(&p->lock);
	if (ev == RPROC_EVENT_VDEV_DOWN)
		p->downs++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static struct proc *proc_of_channel(struct rpmsg_channel *ch)
{
	const char *dev = rpmsg_device_name(ch);
	unsigned int i;

	for (i = 0; i < PROCS; i++) {
		const char *name = procs[i].name;

		if (!strncmp(dev, name, strlen(name)) && dev[strlen(name)] == '/')
			return &procs[i];
	}
	return NULL;
}

/* The driver bound to the echo channels: it keeps a reference for the workers, and greets the
 * remote from probe with a blocking send (in the notification thread for announced channels,
 * in the chaos thread's for a registration). */
static int drv_probe(struct rpmsg_channel *ch)
{
	struct proc *p = proc_of_channel(ch);
	int ret;

	CHECK(p);
	ch->priv = p;
	pthread_mutex_lock(&p->lock);
	CHECK(!p->ch);
	p->ch = rpmsg_channel_get(ch);
	p->probes++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	ret = rpmsg_send(ch, "hello", 5);
	CHECK(ret == 0 || ret == -AMP_ENODEV);
	if (!ret)
		__atomic_add_fetch(&p->probe_sends, 1, __ATOMIC_RELAXED);
	return 0;
}

static void drv_remove(struct rpmsg_channel *ch)
{
	struct proc *p = ch->priv;

	pthread_mutex_lock(&p->lock);
	CHECK(p->ch == ch);
	p->ch = NULL;
	pthread_mutex_unlock(&p->lock);
	rpmsg_channel_put(ch);
}

static void drv_cb(struct rpmsg_channel *ch, void *data, int len, void *priv, u32 src)
{
	/* Not ch->priv: probe() set it in another thread, and what orders the two (the greeting
	 * went out after it, this is its echo) passes through the core process, which the thread
	 * sanitizer does not see. */
	struct proc *p = proc_of_channel(ch);

	(void)data;
	(void)priv;
	(void)src;
	CHECK(len == 5);
	__atomic_add_fetch(&p->probe_echoes, 1, __ATOMIC_RELAXED);
}

static const struct rpmsg_device_id drv_ids[] = {{"rpmsg-echo"}, {""}};
static struct rpmsg_driver drv = {.name = "torture", .id_table = drv_ids, .probe = drv_probe,
				  .remove = drv_remove, .callback = drv_cb};
static bool drv_registered; /* chaos thread only */

/* --- endpoints -------------------------------------------------------------------------------- */

struct tept {
	struct rpmsg_endpoint *ept;
	struct proc *proc;
	unsigned int downs;    /* the processor's downs when made: a change excuses losses */
	uint32_t serial;       /* tells its messages apart */
	uint32_t next_seq;     /* of the next message sent (worker only) */
	pthread_mutex_t lock;  /* the rest: the worker and the callback */
	pthread_cond_t cond;
	uint32_t received, next_rx;
	uint64_t bad;
	void *held[HOLD_MAX];
	uint32_t held_seq[HOLD_MAX];
	unsigned int nheld;
	void *zc[ZC_MAX];      /* worker only */
	unsigned int nzc;
};

struct worker {
	unsigned int id;
	uint64_t rng;
	pthread_t t;
	struct beat *beat;
	struct tept epts[EPTS_PER_WORKER];
	uint64_t sent, received, lost, timeouts, try_full, zc_sent, zc_released, released, found,
		destroyed, opened, bad;
};

static struct worker workers[WORKERS];
static uint32_t next_serial; /* atomic */

static uint8_t pattern(uint32_t serial, uint32_t seq, uint32_t i)
{
	return (uint8_t)(serial * 7u + seq * 131u + i * 29u);
}

static uint32_t msg_len(uint32_t serial, uint32_t seq)
{
	return HDR + (serial * 13u + seq * 37u) % (496 - HDR + 1);
}

static void msg_fill(uint8_t *b, uint32_t serial, uint32_t seq)
{
	uint32_t len = msg_len(serial, seq), i;

	memcpy(b, &serial, 4);
	memcpy(b + 4, &seq, 4);
	memcpy(b + 8, &len, 4);
	for (i = HDR; i < len; i++)
		b[i] = pattern(serial, seq, i);
}

static bool msg_ok(const uint8_t *b, int len, uint32_t serial, uint32_t *seq)
{
	uint32_t s, l, i;

	if (len < HDR)
		return false;
	memcpy(&s, b, 4);
	memcpy(seq, b + 4, 4);
	memcpy(&l, b + 8, 4);
	if (s != serial || l != (uint32_t)len || l != msg_len(serial, *seq))
		return false;
	for (i = HDR; i < l; i++)
		if (b[i] != pattern(serial, *seq, i))
			return false;
	return true;
}

/* The notification thread: check, count, and hold one message in seven. */
static void tept_cb(struct rpmsg_channel *ch, void *data, int len, void *priv, u32 src)
{
	struct tept *e = priv;
	uint32_t seq = 0;

	(void)ch;
	(void)src;
	pthread_mutex_lock(&e->lock);
	if (!msg_ok(data, len, e->serial, &seq) || seq != e->next_rx) {
		e->bad++;
		fprintf(stderr, "torture: endpoint %u: message %u bad or out of order (expected %u)\n",
			e->serial, seq, e->next_rx);
	} else {
		e->next_rx++;
	}
	e->received++;
	if (seq % 7 == 3 && e->nheld < HOLD_MAX && e->ept &&
	    rpmsg_hold_rx_buffer(e->ept, data) == 0) {
		e->held[e->nheld] = data;
		e->held_seq[e->nheld++] = seq;
	}
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

/* A reference to the echo channel of @p: the driver's, or a lookup through the processor. */
struct find_walk {
	struct rpmsg_channel *ch;
};

static void find_echo(struct rpmsg_channel *ch, unsigned int index, void *arg)
{
	struct find_walk *w = arg;

	(void)index;
	if (!w->ch && !strcmp(ch->name, "rpmsg-echo"))
		w->ch = rpmsg_channel_find(ch->rvdev, "rpmsg-echo");
}

static struct rpmsg_channel *echo_channel(struct worker *w, struct proc *p)
{
	struct find_walk fw = {NULL};

	if (rnd(&w->rng) & 1) {
		pthread_mutex_lock(&p->lock);
		if (p->ch)
			fw.ch = rpmsg_channel_get(p->ch);
		pthread_mutex_unlock(&p->lock);
		if (fw.ch)
			return fw.ch;
	}
	beat_in(w->beat, "rproc_for_each_channel");
	rproc_for_each_channel(p->rproc, find_echo, &fw);
	beat_out(w->beat);
	return fw.ch;
}

/* The processor is down, or its driver unbound: wait a little for a probe or a state change
 * (or 5 ms: the channel may be there without the driver, for a lookup to find). */
static void wait_up(struct proc *p)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 5000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&p->lock);
	pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	pthread_mutex_unlock(&p->lock);
}

static void tept_open(struct worker *w, struct tept *e)
{
	struct proc *p = &procs[rnd(&w->rng) % PROCS];
	struct rpmsg_channel *ch;

	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	e->proc = p;
	e->downs = proc_downs(p);
	e->serial = __atomic_add_fetch(&next_serial, 1, __ATOMIC_RELAXED);
	ch = echo_channel(w, p);
	if (ch) {
		struct rpmsg_endpoint *ept;

		beat_in(w->beat, "rpmsg_create_ept");
		ept = rpmsg_create_ept(ch, tept_cb, e, RPMSG_ADDR_ANY);
		beat_out(w->beat);
		rpmsg_channel_put(ch);
		/* Under the lock: the callback reads it (to hold), and may run from now on. */
		pthread_mutex_lock(&e->lock);
		e->ept = ept;
		pthread_mutex_unlock(&e->lock);
	}
	if (!e->ept) {
		pthread_cond_destroy(&e->cond);
		pthread_mutex_destroy(&e->lock);
		wait_up(p);
		return;
	}
	w->opened++;
}

/* Until the processor's vdev has gone since @e was made (WAIT_NS at most). */
static bool wait_down(struct tept *e)
{
	struct proc *p = e->proc;
	uint64_t end = now_ns() + WAIT_NS;
	bool down;

	pthread_mutex_lock(&p->lock);
	while (p->downs == e->downs && now_ns() < end) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	}
	down = p->downs != e->downs;
	pthread_mutex_unlock(&p->lock);
	return down;
}

/*
 * Destroy @e. Unless its device is gone (@gone: a send said -ENODEV), first wait for every
 * message it sent to come back: only a crash or a stop may take one. Some zero-copy buffers
 * and held receive buffers are left for the destruction to give back.
 */
static void tept_close(struct worker *w, struct tept *e, bool gone)
{
	uint64_t end = now_ns() + WAIT_NS;
	uint32_t sent = e->next_seq, lost;
	unsigned int i;
	bool down;

	beat_in(w->beat, "drain");
	pthread_mutex_lock(&e->lock);
	/* Each answer wakes us; a crash does not (its answers never come): look every 20 ms. */
	while (!gone && e->received < sent && now_ns() < end && proc_downs(e->proc) == e->downs) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&e->cond, &e->lock, &ts);
	}
	pthread_mutex_unlock(&e->lock);
	beat_out(w->beat);
	for (i = 0; i < e->nzc; i++) {
		if (rnd(&w->rng) & 1) {
			rpmsg_release_tx_buffer(e->ept, e->zc[i]);
			w->zc_released++;
		}
	}
	beat_in(w->beat, "rpmsg_destroy_ept");
	rpmsg_destroy_ept(e->ept);
	beat_out(w->beat);
	/* No callback runs any more: the counts are final. */
	lost = sent - e->received;
	CHECK(e->received <= sent);
	if (lost || gone) {
		beat_in(w->beat, "wait for the device to go");
		down = wait_down(e);
		beat_out(w->beat);
		if (!down) {
			fprintf(stderr, "torture: endpoint %u on %s: %u of %u messages lost%s, and "
					"its device did not go\n",
				e->serial, rproc_name(e->proc->rproc), lost, sent,
				gone ? " (a send said -ENODEV)" : "");
			exit(1);
		}
	}
	w->sent += sent;
	w->received += e->received;
	w->lost += lost;
	w->bad += e->bad;
	w->destroyed++;
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	e->ept = NULL;
}

/* A send's result: 0 counts it; -ENODEV retires the endpoint; a timeout is an error unless
 * the device went meanwhile. */
static bool tept_sent(struct worker *w, struct tept *e, int ret, bool tried)
{
	if (ret == 0) {
		e->next_seq++;
		return true;
	}
	if (ret == -AMP_ENODEV) {
		tept_close(w, e, true);
		return false;
	}
	if (ret == -AMP_ENOMEM && tried) {
		w->try_full++;
		return false;
	}
	if (ret == -AMP_ETIMEDOUT) {
		w->timeouts++;
		if (proc_downs(e->proc) == e->downs) {
			fprintf(stderr, "torture: endpoint %u on %s: a send timed out (%u s) with its "
					"device up\n",
				e->serial, rproc_name(e->proc->rproc), SEND_TIMEOUT_MS / 1000);
			exit(1);
		}
		return false;
	}
	fprintf(stderr, "torture: endpoint %u: unexpected send error %s\n", e->serial,
		amp_errname(ret));
	exit(1);
}

static void tept_step(struct worker *w, struct tept *e)
{
	uint32_t op = rnd(&w->rng) % 100, len;
	uint8_t msg[496];
	void *buf;
	int ret;

	if (op < 30) {
		msg_fill(msg, e->serial, e->next_seq);
		beat_in(w->beat, "rpmsg_ept_sendto (blocking)");
		ret = rpmsg_ept_sendto(e->ept, ECHO_ADDR, msg,
				       (int)msg_len(e->serial, e->next_seq), SEND_TIMEOUT_MS);
		beat_out(w->beat);
		tept_sent(w, e, ret, false);
	} else if (op < 50) {
		msg_fill(msg, e->serial, e->next_seq);
		beat_in(w->beat, "rpmsg_ept_sendto (try)");
		ret = rpmsg_ept_sendto(e->ept, ECHO_ADDR, msg,
				       (int)msg_len(e->serial, e->next_seq), 0);
		beat_out(w->beat);
		tept_sent(w, e, ret, true);
	} else if (op < 60) {
		if (e->nzc == ZC_MAX)
			return;
		beat_in(w->beat, "rpmsg_get_tx_buffer");
		buf = rpmsg_get_tx_buffer(e->ept, &len, rnd(&w->rng) & 1 ? 0 : 100);
		beat_out(w->beat);
		if (buf) {
			CHECK(len == 496);
			memset(buf, 0xa5, len);
			e->zc[e->nzc++] = buf;
		}
	} else if (op < 72) {
		if (!e->nzc)
			return;
		buf = e->zc[--e->nzc];
		if (rnd(&w->rng) % 3 == 0) {
			rpmsg_release_tx_buffer(e->ept, buf);
			w->zc_released++;
			return;
		}
		msg_fill(buf, e->serial, e->next_seq);
		beat_in(w->beat, "rpmsg_send_nocopy");
		ret = rpmsg_send_nocopy(e->ept, ECHO_ADDR, buf, (int)msg_len(e->serial, e->next_seq));
		beat_out(w->beat);
		if (ret)
			e->zc[e->nzc++] = buf; /* still ours, as documented */
		else
			w->zc_sent++;
		tept_sent(w, e, ret, false);
	} else if (op < 82) {
		uint32_t seq = 0;
		bool ok = true;

		pthread_mutex_lock(&e->lock);
		if (e->nheld) {
			buf = e->held[--e->nheld];
			/* Ours until released: the remote must not have written it meanwhile. */
			ok = msg_ok(buf, (int)msg_len(e->serial, e->held_seq[e->nheld]), e->serial,
				    &seq) && seq == e->held_seq[e->nheld];
			rpmsg_release_rx_buffer(e->ept, buf);
			w->released++;
		}
		pthread_mutex_unlock(&e->lock);
		CHECK(ok);
	} else if (op < 90) {
		struct rpmsg_channel *ch = echo_channel(w, e->proc);

		if (ch) {
			w->found++;
			CHECK(!strcmp(ch->name, "rpmsg-echo"));
			rpmsg_channel_put(ch);
		}
	} else if (op < 94) {
		tept_close(w, e, false);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int k;

	while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		struct tept *e = &w->epts[rnd(&w->rng) % EPTS_PER_WORKER];

		if (!e->ept)
			tept_open(w, e);
		else
			tept_step(w, e);
	}
	for (k = 0; k < EPTS_PER_WORKER; k++)
		if (w->epts[k].ept)
			tept_close(w, &w->epts[k], false);
	return NULL;
}

/* --- chaos -------------------------------------------------------------------------------------- */

static uint64_t crashes, stops, recoveries, driver_flips, boot_failures;

static void chaos_step(uint64_t *rng, struct beat *b)
{
	struct proc *p = &procs[rnd(rng) % PROCS];
	uint32_t op = rnd(rng) % 100;
	enum rproc_state st = rproc_get_state(p->rproc);

	if (op < 35) {
		if (st == RPROC_RUNNING) {
			beat_in(b, "rproc_report_crash");
			rproc_report_crash(p->rproc, RPROC_FATAL_ERROR);
			beat_out(b);
			crashes++;
		}
	} else if (op < 47) {
		/* Stopped (the last user goes), then booted again. */
		if (rproc_power_count(p->rproc) == 1) {
			beat_in(b, "rproc_shutdown");
			CHECK(rproc_shutdown(p->rproc) == 0);
			beat_out(b);
			stops++;
		}
		if (rproc_power_count(p->rproc) == 0) {
			beat_in(b, "rproc_boot");
			/* It may fail for want of memory while the last run's buffers are held:
			 * settle() boots it at the end. */
			if (rproc_boot(p->rproc))
				boot_failures++;
			beat_out(b);
		}
	} else if (op < 55) {
		/* Crashed with recovery off: it stays down until a later step recovers it. */
		rproc_set_recovery(p->rproc, false);
		if (st == RPROC_RUNNING) {
			rproc_report_crash(p->rproc, RPROC_FATAL_ERROR);
			crashes++;
		}
	} else if (op < 68) {
		if (st == RPROC_CRASHED && (rnd(rng) & 1)) {
			beat_in(b, "rproc_trigger_recovery");
			rproc_trigger_recovery(p->rproc); /* may race the worker's own: no check */
			beat_out(b);
			recoveries++;
		}
		rproc_set_recovery(p->rproc, true);
	} else if (op < 76) {
		beat_in(b, drv_registered ? "unregister_rpmsg_driver" : "register_rpmsg_driver");
		if (drv_registered)
			unregister_rpmsg_driver(&drv);
		else
			CHECK(register_rpmsg_driver(&drv) == 0);
		beat_out(b);
		drv_registered = !drv_registered;
		driver_flips++;
	}
}

/* --- the watchdog ------------------------------------------------------------------------------ */

static bool watch_stop; /* atomic */

static void *watchdog_main(void *arg)
{
	unsigned int i;

	(void)arg;
	while (!__atomic_load_n(&watch_stop, __ATOMIC_ACQUIRE)) {
		struct timespec tick = {0, 200000000L};
		uint64_t now = now_ns();

		for (i = 0; i < WORKERS + 2; i++) {
			const char *op = __atomic_load_n(&beats[i].op, __ATOMIC_ACQUIRE);
			uint64_t since = __atomic_load_n(&beats[i].since, __ATOMIC_RELAXED);

			if (op && now > since && now - since > STUCK_NS) {
				fprintf(stderr, "torture: thread %u stuck in %s for %llu s\n", i, op,
					(unsigned long long)((now - since) / 1000000000ull));
				abort();
			}
		}
		nanosleep(&tick, NULL);
	}
	return NULL;
}

/* --- the run ------------------------------------------------------------------------------------ */

/* Recovery on, the driver registered, every processor running with its channel bound. With
 * @restart, each is stopped and booted again first: a crash report the chaos left queued is
 * then for a run that has gone, and is dropped (rproc_report_crash()). */
static void settle(bool restart)
{
	uint64_t end = now_ns() + WAIT_NS;
	unsigned int i;
	int ret = 0;

	if (!drv_registered) {
		CHECK(register_rpmsg_driver(&drv) == 0);
		drv_registered = true;
	}
	for (i = 0; i < PROCS; i++) {
		struct proc *p = &procs[i];

		rproc_set_recovery(p->rproc, true);
		while (restart && rproc_power_count(p->rproc))
			CHECK(rproc_shutdown(p->rproc) == 0);
		/* A boot fails for want of memory while the last run's buffers are held: the
		 * workers give them back as they find their endpoints' device gone. */
		while (rproc_power_count(p->rproc) == 0 && (ret = rproc_boot(p->rproc)) &&
		       now_ns() < end)
			wait_up(p);
		CHECK(ret == 0);
		pthread_mutex_lock(&p->lock);
		while ((!p->ch || rproc_get_state(p->rproc) != RPROC_RUNNING) && now_ns() < end) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		}
		CHECK(p->ch && rproc_get_state(p->rproc) == RPROC_RUNNING);
		pthread_mutex_unlock(&p->lock);
	}
}

int main(int argc, char **argv)
{
	unsigned int seconds = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 4;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL);
	uint64_t rng = seed * 0x9e3779b97f4a7c15ull | 1, end, sent = 0, received = 0, lost = 0;
	uint64_t timeouts = 0, bad = 0, destroyed = 0, found = 0, zc = 0, held = 0;
	pthread_t watchdog;
	int fds, maps;
	unsigned int i;

	if (!seconds) {
		fprintf(stderr, "usage: %s [SECONDS [SEED]]\n", argv[0]);
		return 2;
	}
	if (!getenv("AMP_LOG_LEVEL"))
		amp_log_set_level(AMP_LOG_ERR); /* crashes are the point, not news */
	printf("torture: %u processors, %u workers, %u s, seed %llu\n", PROCS, WORKERS, seconds,
	       (unsigned long long)seed);
	fflush(stdout);
	fds = amp_test_count_fds();
	maps = amp_test_count_memfd_maps();
	CHECK(pthread_create(&watchdog, NULL, watchdog_main, NULL) == 0);
	CHECK(register_rpmsg_driver(&drv) == 0);
	drv_registered = true;
	for (i = 0; i < PROCS; i++) {
		snprintf(procs[i].name, sizeof(procs[i].name), "tort%u", i);
		pthread_mutex_init(&procs[i].lock, NULL);
		pthread_cond_init(&procs[i].cond, NULL);
		procs[i].rproc = amp_test_sim_up("tort", i, AMP_ECHO_FIRMWARE, on_rproc_event,
						 &procs[i]);
	}
	settle(false);
	for (i = 0; i < WORKERS; i++) {
		workers[i].id = i;
		workers[i].rng = (seed + i + 1) * 0xbf58476d1ce4e5b9ull | 1;
		workers[i].beat = &beats[i];
		CHECK(pthread_create(&workers[i].t, NULL, worker_main, &workers[i]) == 0);
	}

	end = now_ns() + seconds * 1000000000ull;
	while (now_ns() < end) {
		/* Pacing only: 2..30 ms between two random blows. */
		struct timespec pause = {0, (long)(2 + rnd(&rng) % 29) * 1000000L};

		nanosleep(&pause, NULL);
		chaos_step(&rng, &beats[WORKERS]);
	}
	/* The chaos stops; the workers go on a moment on healthy processors, then drain. */
	beat_in(&beats[WORKERS], "settle");
	settle(true);
	beat_out(&beats[WORKERS]);
	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	for (i = 0; i < WORKERS; i++) {
		struct worker *w = &workers[i];

		pthread_join(w->t, NULL);
		sent += w->sent;
		received += w->received;
		lost += w->lost;
		timeouts += w->timeouts;
		bad += w->bad;
		destroyed += w->destroyed;
		found += w->found;
		zc += w->zc_sent;
		held += w->released;
	}
	/* Every buffer came back: nothing held, nothing out. */
	for (i = 0; i < PROCS; i++) {
		struct virtio_device *v = rproc_get_vdev(procs[i].rproc, 0);
		struct rpmsg_stats st;

		CHECK(v); /* up since settle(): no crash was left to happen */
		rpmsg_get_stats(rpmsg_virtio_device_of(v), &st);
		CHECK(st.rx_held == 0 && st.tx_out == 0 && st.tx_waiting == 0);
		printf("  %s: %llu crashes, %llu probes, %llu greetings sent, %llu answered\n",
		       rproc_name(procs[i].rproc),
		       (unsigned long long)rproc_crash_count(procs[i].rproc),
		       (unsigned long long)procs[i].probes,
		       /* Atomic: the last greeting's echo may still be on its way. */
		       (unsigned long long)__atomic_load_n(&procs[i].probe_sends, __ATOMIC_RELAXED),
		       (unsigned long long)__atomic_load_n(&procs[i].probe_echoes, __ATOMIC_RELAXED));
	}
	printf("torture: %llu crashes, %llu stops (%llu boots refused), %llu recoveries by hand, "
	       "%llu driver flips\n",
	       (unsigned long long)crashes, (unsigned long long)stops,
	       (unsigned long long)boot_failures, (unsigned long long)recoveries,
	       (unsigned long long)driver_flips);
	printf("torture: %llu endpoints; %llu messages sent = %llu received + %llu lost with "
	       "their device; %llu zero-copy, %llu held buffers released, %llu lookups, %llu "
	       "timeouts (device gone), %llu bad\n",
	       (unsigned long long)destroyed, (unsigned long long)sent,
	       (unsigned long long)received, (unsigned long long)lost, (unsigned long long)zc,
	       (unsigned long long)held, (unsigned long long)found, (unsigned long long)timeouts,
	       (unsigned long long)bad);
	CHECK(sent == received + lost);
	CHECK(bad == 0);
	CHECK(sent > 0);

	for (i = 0; i < PROCS; i++)
		sim_rproc_destroy(procs[i].rproc); /* the locks are static: they stay */
	unregister_rpmsg_driver(&drv);
	__atomic_store_n(&watch_stop, true, __ATOMIC_RELEASE);
	pthread_join(watchdog, NULL);
	printf("torture: fds %d -> %d, memfd maps %d -> %d\n", fds, amp_test_count_fds(), maps,
	       amp_test_count_memfd_maps());
	CHECK(amp_test_count_fds() == fds);
	CHECK(amp_test_count_memfd_maps() == maps);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	printf("torture: passed\n");
	return 0;
}
