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
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	struct rpmsg_channel *echo, *source, *stamp, *sinks[MAX_PROCS];
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
enum { CH_ECHO = 1, CH_SOURCE, CH_SINK, CH_STAMP };

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
	} else if (!strcmp(rpdev->name, "rpmsg-stamp")) {
		S.stamp = rpdev;
		rpdev->priv = (void *)(uintptr_t)CH_STAMP;
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

static void stamp_step(struct rpmsg_channel *rpdev, const void *data, int len);

static void on_msg(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	uint32_t v;

	(void)priv;
	(void)src;
	if ((uintptr_t)rpdev->priv == CH_ECHO) {
		echo_step(rpdev);
		return;
	}
	if ((uintptr_t)rpdev->priv == CH_STAMP) {
		stamp_step(rpdev, data, len);
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
	{"rpmsg-echo"}, {"rpmsg-sink"}, {"rpmsg-source"}, {"rpmsg-stamp"}, {""}};
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
	S.echo = S.source = S.stamp = NULL;
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
	S.echo = S.source = S.stamp = NULL;
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

/* --- where the slow polled round trips go ------------------------------------------------- */

/*
 * The host poller thread's system calls, counted where the library makes them: amp-bench is
 * linked with --wrap for amp_yield() and poll() (bench/CMakeLists.txt). The stamped echo's
 * callback runs on that thread, so a count that moved between a send and its reply is a
 * system call of the poller's inside that round trip.
 */
static __thread unsigned int host_yields, host_polls;

void __real_amp_yield(void);
void __wrap_amp_yield(void);
int __real_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout);

void __wrap_amp_yield(void)
{
	host_yields++;
	__real_amp_yield();
}

int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	host_polls++;
	return __real_poll(fds, nfds, timeout);
}

/* One stamped round trip: host clock before and after the send, the remote's (the same
 * CLOCK_MONOTONIC on sim) at its callback and before its send, host clock at the reply. */
struct leg {
	uint64_t t[5];
	unsigned int polls, yields; /* the host poller's, within */
};

static struct {
	struct leg *legs;
	uint64_t n, i;
	unsigned int polls0, yields0;
	pid_t tid; /* the poller thread's */
	uint8_t msg[16];
} L;

static void stamp_send(struct rpmsg_channel *ch)
{
	struct leg *l = &L.legs[L.i];

	L.polls0 = host_polls;
	L.yields0 = host_yields;
	l->t[0] = bench_now_ns();
	if (rpmsg_send(ch, L.msg, sizeof(L.msg)))
		fail("stamp send");
	l->t[1] = bench_now_ns();
}

static void stamp_step(struct rpmsg_channel *rpdev, const void *data, int len)
{
	uint64_t now = bench_now_ns();
	struct echo_stamp st;
	struct leg *l;

	(void)__atomic_load_n(&S.go, __ATOMIC_ACQUIRE); /* see @go */
	if (L.i >= L.n || len != (int)sizeof(L.msg))
		fail("stamp: unexpected reply");
	l = &L.legs[L.i];
	memcpy(&st, data, sizeof(st));
	l->t[2] = st.rx_ns;
	l->t[3] = st.tx_ns;
	l->t[4] = now;
	l->polls = host_polls - L.polls0;
	l->yields = host_yields - L.yields0;
	if (!L.tid)
		L.tid = gettid();
	if (++L.i < L.n) {
		stamp_send(rpdev);
		return;
	}
	pthread_mutex_lock(&S.lock);
	S.done = true;
	pthread_cond_broadcast(&S.cond);
	pthread_mutex_unlock(&S.lock);
}

/* Interrupts taken by each of the first two CPUs so far (every row of /proc/interrupts). */
static void cpu_interrupts(uint64_t irq[2])
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[4096];

	irq[0] = irq[1] = 0;
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) /* the CPUs' header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *end;
		int cpu;

		for (cpu = 0; p && cpu < 2; cpu++) {
			unsigned long long v = strtoull(p + 1, &end, 10);

			if (end == p + 1)
				break;
			irq[cpu] += v;
			p = end - 1; /* strtoull skipped the blanks; the next number follows */
		}
	}
out:
	fclose(f);
}

/* Involuntary context switches of thread @tid of this process so far. */
static uint64_t thread_preemptions(pid_t tid)
{
	char path[64], line[256];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "nonvoluntary_ctxt_switches: %" SCNu64, &v) == 1)
			break;
	fclose(f);
	return v;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The causes a slow round trip is put down to: the poller looked at the core with a system
 * call in it, or else the part that took longest over its own median. (A yield is not a cause:
 * the poller yields after 256 idle turns in a row, when the round trip is slow already.) */
enum { C_SYSCALL, C_SEND, C_OUT, C_REMOTE, C_BACK, C_COUNT };
static const char *const cause_name[C_COUNT] = {
	"host poller's look at the core (poll())",
	"host's send (rpmsg_send)",
	"host->remote: line transfer, the remote's poll loop",
	"remote's callback (copy, clock)",
	"remote->host: remote's send, line transfer, host's poll",
};
#define BUCKETS 4
static const double bucket_lo[BUCKETS] = {2, 4, 10, 30}; /* times the median round trip */

void bench_sim_causes(unsigned int windows, uint64_t per)
{
	uint64_t total = (uint64_t)windows * per, skip = per / 20, n = 0, i;
	int64_t med[5], *seg;
	uint64_t irq0[2], irq1[2], preempted = 0, count[C_COUNT][BUCKETS] = {{0}};
	uint64_t slow = 0, skewed = 0, worst = 0, yielded = 0;
	struct leg *all = bench_samples_alloc(total, sizeof(*all));
	unsigned int w;
	int s, b, c;

	if (!all || !(seg = calloc(total, sizeof(*seg))))
		fail("memory");
	cpu_interrupts(irq0);
	for (w = 0; w < windows; w++) {
		sim_up(SIM_NOTIFY_POLL, 1);
		WAIT_UNTIL(S.stamp);
		pthread_mutex_lock(&S.lock);
		L.legs = all + (uint64_t)w * per;
		L.n = per;
		L.i = 0;
		memset(L.msg, 0x5a, sizeof(L.msg));
		L.tid = 0; /* each window's poller is a thread of its own */
		/* The first round trip starts here, on this thread (its host parts are not the
		 * poller's: the warm-up below drops it): nothing of L is written after @go. */
		L.legs[0].t[0] = L.legs[0].t[1] = bench_now_ns();
		S.done = false;
		__atomic_store_n(&S.go, S.go + 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&S.lock);
		if (rpmsg_send(S.stamp, L.msg, sizeof(L.msg)))
			fail("stamp send");
		WAIT_UNTIL(S.done);
		/* The thread's count since it was made: this window's (and its boot's). */
		preempted += thread_preemptions(L.tid);
		sim_down();
	}
	cpu_interrupts(irq1);

	/* The first twentieth of each window warms up (the first round trip starts from this
	 * thread); the rest is pooled. */
	for (w = 0; w < windows; w++)
		for (i = skip; i < per; i++)
			all[n++] = all[(uint64_t)w * per + i];
	/* A part may be negative: the remote can see a message before the host's send
	 * returns. */
	for (s = 0; s < 5; s++) {
		for (i = 0; i < n; i++)
			seg[i] = s < 4 ? (int64_t)(all[i].t[s + 1] - all[i].t[s])
				       : (int64_t)(all[i].t[4] - all[i].t[0]);
		qsort(seg, n, sizeof(*seg), cmp_i64);
		med[s] = seg[n / 2];
	}
	for (i = 0; i < n; i++) {
		const struct leg *l = &all[i];
		uint64_t rt = l->t[4] - l->t[0];
		int64_t most = INT64_MIN;

		/* Impossible on one clock: the remote answered before the host asked, or the
		 * host had the answer before the remote sent it. */
		if (l->t[2] < l->t[0] || l->t[4] < l->t[3] || l->t[3] < l->t[2])
			skewed++;
		if (rt > worst)
			worst = rt;
		if ((double)rt < bucket_lo[0] * (double)med[4])
			continue;
		slow++;
		for (b = BUCKETS - 1; (double)rt < bucket_lo[b] * (double)med[4]; b--)
			;
		c = C_SYSCALL;
		yielded += l->yields != 0;
		if (!l->polls)
			for (s = 0; s < 4; s++) {
				int64_t over = (int64_t)(l->t[s + 1] - l->t[s]) - med[s];

				if (over > most) {
					most = over;
					c = C_SEND + s;
				}
			}
		count[c][b]++;
	}

	printf("\nsim echo 16 B, polling (stamped: rpmsg-stamp): where the slow round trips go\n");
	printf("  %" PRIu64 " round trips in %u windows; median %" PRId64 " ns; medians of its "
	       "parts: host send %" PRId64 ", to the remote %" PRId64 ", remote callback %" PRId64
	       ", back %" PRId64 "; the slowest %.1f us\n",
	       n, windows, med[4], med[0], med[1], med[2], med[3], (double)worst / 1000.0);
	printf("  %-56s", "slow round trips by cause, times the median:");
	for (b = 0; b < BUCKETS; b++) {
		char h[32];

		if (b + 1 < BUCKETS)
			snprintf(h, sizeof(h), "%.0f-%.0fx", bucket_lo[b], bucket_lo[b + 1]);
		else
			snprintf(h, sizeof(h), ">=%.0fx", bucket_lo[b]);
		printf(" %9s", h);
	}
	printf("\n  %-56s", "  (from, in ns)");
	for (b = 0; b < BUCKETS; b++)
		printf(" %9.0f", bucket_lo[b] * (double)med[4]);
	printf("\n");
	for (c = 0; c < C_COUNT; c++) {
		printf("  %-56s", cause_name[c]);
		for (b = 0; b < BUCKETS; b++)
			printf(" %9" PRIu64, count[c][b]);
		printf("\n");
	}
	printf("  slow: %" PRIu64 " of %" PRIu64 " (%.3f%%), the host poller yielded in %" PRIu64
	       " of them; interrupts meanwhile: CPU 0 %" PRIu64 ", CPU 1 %" PRIu64
	       "; the host poller preempted %" PRIu64 " times; parts out of order (clocks "
	       "disagree): %" PRIu64 "\n",
	       slow, n, 100.0 * (double)slow / (double)n, yielded, irq1[0] - irq0[0],
	       irq1[1] - irq0[1], preempted, skewed);
	free(seg);
	bench_samples_free(all);
}
