/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The full stack on the sim platform: the rpmsg-echo firmware in a real core process (pinned to
 * CPU 1), the host's rpmsg bus with the sim platform's notification thread (CPU 0), in polling
 * and mailbox mode. The same on a Cortex-M4 emulated by QEMU (qemu-m4, pinned to CPU 1), with
 * rpmsg-echo built for it: emulated, so a figure of QEMU's speed, not of a hardware M4. Each window boots a processor and shuts it down after, so that a spinning
 * core never runs beside a baseline window; the boot is measured on the way.
 * The echo is driven from the receive callback (each reply sends the next message, as the
 * seed's sample client does): the host side of a round trip is the notification thread alone,
 * as the baselines' client is one thread. Benchmark layer.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <amp/amp.h>
#include <amp/qemu_m4.h>
#include <amp/shm.h>
#include <amp/sim.h>

#include "bench_sim.h"
#include "os/os.h"
#include "stream.h"

#define MAX_PROCS 8

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum sim_notify mode;
	enum bench_platform platform; /* what the processors are */
	struct rproc *procs[MAX_PROCS];
	unsigned int nprocs;
	struct rpmsg_channel *echo, *source, *sinks[MAX_PROCS];
	unsigned int nsinks;
	uint64_t probed_ns; /* when the echo channel was probed */
	/* The echo ping-pong and the source's stream, run by the notification thread. The
	 * client sets them up, then publishes @go (release) before the first send; the thread
	 * acquires @go before each step: the order the messages give through the other process
	 * is invisible to TSan. */
	unsigned int go;
	uint64_t n, i, t_prev;
	double *samples;
	size_t max;
	int len;
	bool done;
	uint8_t msg[496];
	/* the sinks' counts and the source's stream: @got is atomic (the notification thread
	 * counts without the lock; the waiter acquires it), the rest is that thread's until
	 * @got reaches @want */
	uint64_t sunk;
	unsigned int sink_answers;
	uint64_t got, want;
	uint32_t next_seq;
	bool out_of_order;
	uint8_t rx_copy[512]; /* where the stream's consumer copies each message to */
} S = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void fail(const char *what)
{
	fprintf(stderr, "amp-bench (sim): %s\n", what);
	exit(1);
}

/* Wait until @pred holds (evaluated under the lock); a stuck benchmark fails after 60 s. */
#define WAIT_UNTIL(pred)                                                                      \
	do {                                                                                  \
		struct timespec ts_;                                                          \
		clock_gettime(CLOCK_REALTIME, &ts_);                                          \
		ts_.tv_sec += 60;                                                             \
		pthread_mutex_lock(&S.lock);                                                  \
		while (!(pred))                                                               \
			if (pthread_cond_timedwait(&S.cond, &S.lock, &ts_)) {                 \
				pthread_mutex_unlock(&S.lock);                                \
				fail("timed out: " #pred);                                    \
			}                                                                     \
		pthread_mutex_unlock(&S.lock);                                                \
	} while (0)

/* What a channel is, in its priv (set before its first callback, read by its callbacks). */
enum { CH_ECHO = 1, CH_SOURCE, CH_SINK };

static int on_probe(struct rpmsg_channel *rpdev)
{
	uint64_t now = bench_now_ns();

	pthread_mutex_lock(&S.lock);
	if (!strcmp(rpdev->name, "rpmsg-echo")) {
		S.echo = rpdev;
		S.probed_ns = now;
		rpdev->priv = (void *)(uintptr_t)CH_ECHO;
	} else if (!strcmp(rpdev->name, "rpmsg-source")) {
		S.source = rpdev;
		rpdev->priv = (void *)(uintptr_t)CH_SOURCE;
	} else if (S.nsinks < MAX_PROCS) {
		S.sinks[S.nsinks++] = rpdev;
		rpdev->priv = (void *)(uintptr_t)CH_SINK;
	}
	pthread_cond_broadcast(&S.cond);
	pthread_mutex_unlock(&S.lock);
	return 0;
}

static void on_remove(struct rpmsg_channel *rpdev)
{
	(void)rpdev;
}

/* One echo came back: note its round trip and send the next (notification context). */
static void echo_step(struct rpmsg_channel *rpdev_echo)
{
	uint64_t now;

	(void)__atomic_load_n(&S.go, __ATOMIC_ACQUIRE);
	now = S.samples ? bench_now_ns() : 0;

	if (S.samples && S.i < S.max)
		S.samples[S.i] = (double)(now - S.t_prev);
	if (++S.i < S.n) {
		S.t_prev = now;
		if (rpmsg_send(rpdev_echo, S.msg, S.len))
			fail("echo send");
		return;
	}
	pthread_mutex_lock(&S.lock);
	S.done = true;
	pthread_cond_broadcast(&S.cond);
	pthread_mutex_unlock(&S.lock);
}

static void on_msg(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	uint32_t v;

	(void)priv;
	(void)src;
	if ((uintptr_t)rpdev->priv == CH_ECHO) {
		echo_step(rpdev);
		return;
	}
	if (len < (int)sizeof(v) || len > (int)sizeof(S.rx_copy))
		fail("bad message length");
	if ((uintptr_t)rpdev->priv == CH_SOURCE) {
		/* The consumer copies the whole message out, as the raw ring's consumer does, and
		 * takes no lock per message (nor does that one). Delivered once each, in order:
		 * the sequence numbers say so. */
		uint64_t got;

		(void)__atomic_load_n(&S.go, __ATOMIC_ACQUIRE); /* see @go */
		got = S.got + 1;

		memcpy(S.rx_copy, data, (size_t)len);
		bench_consume(S.rx_copy);
		memcpy(&v, S.rx_copy, sizeof(v));
		S.out_of_order |= v != S.next_seq++;
		__atomic_store_n(&S.got, got, __ATOMIC_RELEASE);
		if (got == S.want) {
			pthread_mutex_lock(&S.lock);
			pthread_cond_broadcast(&S.cond);
			pthread_mutex_unlock(&S.lock);
		}
		return;
	}
	memcpy(&v, data, sizeof(v));
	pthread_mutex_lock(&S.lock);
	S.sunk += v;
	S.sink_answers++;
	pthread_cond_broadcast(&S.cond);
	pthread_mutex_unlock(&S.lock);
}

static const struct rpmsg_device_id ids[] = {
	{"rpmsg-echo"}, {"rpmsg-sink"}, {"rpmsg-source"}, {""}};
static struct rpmsg_driver drv = {
	.name = "amp-bench", .id_table = ids, .probe = on_probe, .remove = on_remove,
	.callback = on_msg};

/* A processor of the platform the row is about (@S.platform), running the echo firmware (on
 * the shm platform: the window's server process, bench_shm.c, serves the same endpoints). */
static struct rproc *proc_create(const char *name, enum sim_notify mode)
{
	struct sim_config cfg = {.name = name, .firmware = AMP_ECHO_FIRMWARE, .cpu = 1,
				 .notify = mode};
	struct shm_config shm = {.name = name};
	struct rproc *p = NULL;
#ifdef AMP_M4_ECHO_FIRMWARE
	struct qemu_m4_config m4 = {.name = name, .firmware = AMP_M4_ECHO_FIRMWARE, .cpu = 1,
				    .poll = mode == SIM_NOTIFY_POLL};

	if (S.platform == BENCH_QEMU_M4)
		return qemu_m4_rproc_create(&m4);
#endif
	if (S.platform != BENCH_SHM)
		return sim_rproc_create(&cfg);
	bench_shm_layout(&shm.layout);
	return shm_rproc_create(&shm, &p) ? NULL : p;
}

static void proc_destroy(struct rproc *p)
{
	if (S.platform == BENCH_QEMU_M4)
		qemu_m4_rproc_destroy(p);
	else if (S.platform == BENCH_SHM)
		shm_rproc_destroy(p);
	else
		sim_rproc_destroy(p);
}

bool bench_qemu_m4_missing(char *why, size_t len)
{
#ifdef AMP_M4_ECHO_FIRMWARE
	char qemu[512];

	if (!qemu_m4_find_qemu(qemu, sizeof(qemu)))
		return false;
	snprintf(why, len, "qemu-system-arm not found (Debian: apt-get install qemu-system-arm)");
#else
	snprintf(why, len, "no Cortex-M4 firmware was built (Debian: apt-get install "
		 "gcc-arm-none-eabi)");
#endif
	return true;
}

/* Boot @n processors running the echo firmware; returns the boot time of the first (load,
 * start, its echo channel probed) in ns. The notification threads inherit CPU 0. */
static double sim_up(enum sim_notify mode, unsigned int n)
{
	static bool registered;
	uint64_t t0;
	unsigned int i;

	if (!registered) {
		amp_log_set_level(AMP_LOG_ERR);
		if (register_rpmsg_driver(&drv))
			fail("driver");
		registered = true;
	}
	amp_pin_cpu(0);
	S.mode = mode;
	S.echo = S.source = NULL;
	S.nsinks = 0;
	for (i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "bench%u", i);
		S.procs[i] = proc_create(name, mode);
		if (!S.procs[i] || rproc_register(S.procs[i]))
			fail("create");
	}
	S.nprocs = n;
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		if (rproc_boot(S.procs[i]))
			fail("boot");
	WAIT_UNTIL(S.echo && S.source && S.nsinks == n);
	return (double)(S.probed_ns - t0);
}

static void sim_down(void)
{
	unsigned int i;

	for (i = 0; i < S.nprocs; i++)
		proc_destroy(S.procs[i]);
	S.nprocs = 0;
	S.echo = S.source = NULL;
	S.nsinks = 0;
}

static void dummy_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	(void)rpdev;
	(void)data;
	(void)len;
	(void)priv;
	(void)src;
}

/* @n round trips of @len bytes with @epts host endpoints open; the mean in ns. */
static double sim_echo(enum sim_notify mode, int len, unsigned int epts, uint64_t n,
		       double *samples, size_t max)
{
	struct rpmsg_endpoint **extra = calloc(epts, sizeof(*extra));
	uint64_t t0;
	unsigned int k;

	if (!extra)
		fail("memory");
	sim_up(mode, 1);
	for (k = 1; k < epts; k++)
		if (!(extra[k] = rpmsg_create_ept(S.echo, dummy_cb, NULL, RPMSG_ADDR_ANY)))
			fail("endpoint");
	pthread_mutex_lock(&S.lock);
	S.n = n;
	S.i = 0;
	S.samples = samples;
	S.max = max;
	S.len = len;
	S.done = false;
	memset(S.msg, 0x5a, sizeof(S.msg));
	t0 = S.t_prev = bench_now_ns();
	__atomic_store_n(&S.go, S.go + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&S.lock);
	if (rpmsg_send(S.echo, S.msg, len))
		fail("echo send");
	WAIT_UNTIL(S.done);
	t0 = bench_now_ns() - t0;
	for (k = 1; k < epts; k++)
		rpmsg_destroy_ept(extra[k]);
	free(extra);
	sim_down();
	return (double)t0 / (double)n;
}

#define SIM_CLIENT BENCH_CLIENT
#define ECHO_CLIENT(fn, mode, len, epts) SIM_CLIENT(fn, sim_echo(mode, len, epts, n, samples, max))
/* The same on another platform: the rows of one platform run one at a time. */
#define ON(plat, expr) (S.platform = (plat), on_ret = (expr), S.platform = BENCH_SIM, on_ret)
#define M4(expr) ON(BENCH_QEMU_M4, expr)
static double on_ret;

ECHO_CLIENT(poll_echo16, SIM_NOTIFY_POLL, 16, 1)
ECHO_CLIENT(poll_echo496, SIM_NOTIFY_POLL, 496, 1)
ECHO_CLIENT(mbox_echo16, SIM_NOTIFY_MAILBOX, 16, 1)
ECHO_CLIENT(mbox_echo496, SIM_NOTIFY_MAILBOX, 496, 1)
ECHO_CLIENT(mbox_echo16_64, SIM_NOTIFY_MAILBOX, 16, 64)
ECHO_CLIENT(mbox_echo16_1024, SIM_NOTIFY_MAILBOX, 16, 1024)

const struct bench_pair bench_sim_poll_echo16 = {"sim echo 16 B, polling", NULL, poll_echo16};
const struct bench_pair bench_sim_poll_echo496 = {"sim echo 496 B, polling", NULL, poll_echo496};
const struct bench_pair bench_sim_mbox_echo16 = {"sim echo 16 B, mailbox", NULL, mbox_echo16};
const struct bench_pair bench_sim_mbox_echo496 = {"sim echo 496 B, mailbox", NULL, mbox_echo496};
const struct bench_pair bench_sim_mbox_echo16_64 = {"sim echo 16 B, 64 endpoints", NULL,
						    mbox_echo16_64};
const struct bench_pair bench_sim_mbox_echo16_1024 = {"sim echo 16 B, 1024 endpoints", NULL,
						      mbox_echo16_1024};

SIM_CLIENT(m4_poll_echo16, M4(sim_echo(SIM_NOTIFY_POLL, 16, 1, n, samples, max)))
SIM_CLIENT(m4_mbox_echo16, M4(sim_echo(SIM_NOTIFY_MAILBOX, 16, 1, n, samples, max)))
SIM_CLIENT(m4_mbox_echo496, M4(sim_echo(SIM_NOTIFY_MAILBOX, 496, 1, n, samples, max)))

const struct bench_pair bench_m4_poll_echo16 = {"qemu-m4 echo 16 B, polling", NULL,
						m4_poll_echo16};
const struct bench_pair bench_m4_mbox_echo16 = {"qemu-m4 echo 16 B, mailbox", NULL,
						m4_mbox_echo16};
const struct bench_pair bench_m4_mbox_echo496 = {"qemu-m4 echo 496 B, mailbox", NULL,
						 m4_mbox_echo496};

/* --- streams ------------------------------------------------------------------------------ */

struct sink_arg {
	struct rpmsg_channel *ch;
	uint64_t n;
};

/* @n messages of 496 bytes to one sink, then a 0-byte message that asks for its count. */
static void *sink_stream(void *arg)
{
	struct sink_arg *a = arg;
	uint8_t msg[496];
	uint64_t i;

	memset(msg, 0xa5, sizeof(msg));
	for (i = 0; i < a->n; i++)
		if (rpmsg_send(a->ch, msg, sizeof(msg)))
			fail("stream send");
	if (rpmsg_send(a->ch, msg, 0))
		fail("stream sync");
	return NULL;
}

/* Host -> remote on @procs processors at once (a sending thread each), in messages/s. */
static double sim_stream_to_remote(enum sim_notify mode, unsigned int procs, uint64_t n)
{
	struct sink_arg args[MAX_PROCS];
	pthread_t threads[MAX_PROCS];
	uint64_t t0;
	unsigned int i;

	sim_up(mode, procs);
	pthread_mutex_lock(&S.lock);
	S.sunk = 0;
	S.sink_answers = 0;
	pthread_mutex_unlock(&S.lock);
	t0 = bench_now_ns();
	for (i = 0; i < procs; i++) {
		args[i] = (struct sink_arg){S.sinks[i], n / procs};
		if (procs == 1)
			sink_stream(&args[i]);
		else if (pthread_create(&threads[i], NULL, sink_stream, &args[i]))
			fail("thread");
	}
	for (i = 0; procs > 1 && i < procs; i++)
		pthread_join(threads[i], NULL);
	WAIT_UNTIL(S.sink_answers == procs);
	t0 = bench_now_ns() - t0;
	if (S.sunk != n / procs * procs)
		fail("the sinks did not get every message");
	sim_down();
	return (double)(n / procs * procs) * 1e9 / (double)t0;
}

/* Remote -> host: the firmware streams @n messages of 496 bytes; in messages/s. */
static double sim_stream_from_remote(enum sim_notify mode, uint64_t n)
{
	struct echo_source_req req = {(uint32_t)n, 496};
	uint64_t t0;

	sim_up(mode, 1);
	pthread_mutex_lock(&S.lock);
	__atomic_store_n(&S.got, 0, __ATOMIC_RELAXED);
	S.want = n;
	S.next_seq = 0;
	S.out_of_order = false;
	__atomic_store_n(&S.go, S.go + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&S.lock);
	t0 = bench_now_ns();
	if (rpmsg_send(S.source, &req, sizeof(req)))
		fail("source request");
	WAIT_UNTIL(__atomic_load_n(&S.got, __ATOMIC_ACQUIRE) == S.want);
	t0 = bench_now_ns() - t0;
	if (S.out_of_order)
		fail("the stream came out of order");
	sim_down();
	return (double)n * 1e9 / (double)t0;
}

SIM_CLIENT(poll_to_remote, sim_stream_to_remote(SIM_NOTIFY_POLL, 1, n))
SIM_CLIENT(mbox_to_remote, sim_stream_to_remote(SIM_NOTIFY_MAILBOX, 1, n))
SIM_CLIENT(mbox_to_remote8, sim_stream_to_remote(SIM_NOTIFY_MAILBOX, MAX_PROCS, n))
SIM_CLIENT(poll_from_remote, sim_stream_from_remote(SIM_NOTIFY_POLL, n))
SIM_CLIENT(mbox_from_remote, sim_stream_from_remote(SIM_NOTIFY_MAILBOX, n))

const struct bench_pair bench_sim_poll_to_remote = {"sim stream host->remote, polling", NULL,
						    poll_to_remote};
const struct bench_pair bench_sim_mbox_to_remote = {"sim stream host->remote, mailbox", NULL,
						    mbox_to_remote};
const struct bench_pair bench_sim_mbox_to_remote8 = {"sim stream host->8 remotes, mailbox", NULL,
						     mbox_to_remote8};
const struct bench_pair bench_sim_poll_from_remote = {"sim stream remote->host, polling", NULL,
						      poll_from_remote};
const struct bench_pair bench_sim_mbox_from_remote = {"sim stream remote->host, mailbox", NULL,
						      mbox_from_remote};

SIM_CLIENT(m4_mbox_to_remote, M4(sim_stream_to_remote(SIM_NOTIFY_MAILBOX, 1, n)))
SIM_CLIENT(m4_mbox_from_remote, M4(sim_stream_from_remote(SIM_NOTIFY_MAILBOX, n)))

const struct bench_pair bench_m4_mbox_to_remote = {"qemu-m4 stream host->remote, mailbox", NULL,
						   m4_mbox_to_remote};
const struct bench_pair bench_m4_mbox_from_remote = {"qemu-m4 stream remote->host, mailbox",
						     NULL, m4_mbox_from_remote};

/* --- boot --------------------------------------------------------------------------------- */

/* @n boots (load, start, echo channel probed) in mailbox mode; each in @samples, mean in ns. */
static double boots(uint64_t n, double *samples, size_t max)
{
	double sum = 0, t;
	uint64_t i;

	for (i = 0; i < n; i++) {
		t = sim_up(SIM_NOTIFY_MAILBOX, 1);
		sim_down();
		if (samples && i < max)
			samples[i] = t;
		sum += t;
	}
	return sum / (double)n;
}

SIM_CLIENT(boot_client, boots(n, samples, max))
SIM_CLIENT(m4_boot_client, M4(boots(n, samples, max)))

const struct bench_pair bench_sim_boot = {"sim boot (echo firmware)", NULL, boot_client};
const struct bench_pair bench_m4_boot = {"qemu-m4 boot (echo firmware)", NULL, m4_boot_client};

/* --- the shm platform: the remote is the window's server process (bench_shm.c) ------------ */

SIM_CLIENT(shm_echo16, ON(BENCH_SHM, sim_echo(SIM_NOTIFY_MAILBOX, 16, 1, n, samples, max)))
SIM_CLIENT(shm_to_remote, ON(BENCH_SHM, sim_stream_to_remote(SIM_NOTIFY_MAILBOX, 1, n)))
SIM_CLIENT(shm_from_remote, ON(BENCH_SHM, sim_stream_from_remote(SIM_NOTIFY_MAILBOX, n)))

const struct bench_pair bench_shm_echo16 = {"shm echo 16 B", bench_shm_server, shm_echo16};
const struct bench_pair bench_shm_to_remote = {"shm stream 496 B host->remote", bench_shm_server,
					       shm_to_remote};
const struct bench_pair bench_shm_from_remote = {"shm stream 496 B remote->host",
						 bench_shm_server, shm_from_remote};
