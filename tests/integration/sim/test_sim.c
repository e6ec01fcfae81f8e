/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulated SoC with real firmware: each remote core is a separate process running the
 * rpmsg-client-sample, rpmsg-echo or a silent test firmware. With --qemu-m4, the same scenarios
 * on Cortex-M4s emulated by QEMU (the qemu-m4 platform), running the same samples built for it
 * (<name>-m4.elf beside <name>.elf); they exit 77 (CTest's skip) when QEMU or that firmware is
 * missing, saying what to install.
 * Usage: test_sim [--qemu-m4] [--poll] cycles|echo|eight|watchdog|crashes|silent|crash100|offload|
 * orphan|timer|doorbell|refusals|coredump|hostile-CASE
 * (one CTest entry each, so that a failure names its scenario; --poll runs it in polling mode).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include <amp/amp.h>
#include <amp/qemu_m4.h>
#include <amp/sim.h>

#include "amp_test_res.h"
#include "offload.h"

#define MAX_PROCS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int replies[MAX_PROCS];
static int probes[MAX_PROCS]; /* channels probed, per index */
static struct rpmsg_channel *channels[MAX_PROCS];
/* The last message on each channel. */
static int last_len[MAX_PROCS];
static char last_data[MAX_PROCS][512];

/* hostile-flood: the host's handling of each message costs this long, so that the remote (which
 * only copies) stays ahead of it and the receive ring never runs empty. */
static long slow_rx_ns; /* atomic */

static void on_msg(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	int i = rpdev->priv ? (int)(intptr_t)rpdev->priv - 1 : 0;
	struct timespec work = {0, __atomic_load_n(&slow_rx_ns, __ATOMIC_RELAXED)};

	(void)priv;
	(void)src;
	if (work.tv_nsec && i == 0)
		nanosleep(&work, NULL);
	pthread_mutex_lock(&lock);
	replies[i]++;
	last_len[i] = len;
	memcpy(last_data[i], data, (size_t)len < sizeof(last_data[i]) ? (size_t)len : sizeof(last_data[i]));
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static struct rproc *procs[MAX_PROCS];
static enum sim_notify notify_mode = SIM_NOTIFY_MAILBOX;
/* --qemu-m4: the processors are emulated Cortex-M4s. */
static bool m4;
/* Several processors: channels are numbered by bus, and a bus is not a processor index. */
static bool multi;
/* The hostile scenarios: the faulty processor's channel is 0, the bystander's (echo) is 1. */
static bool hostile;
static struct rpmsg_virtio_device *devs[MAX_PROCS]; /* which bus each index stands for */

/* The index of @rpdev's bus (first come, first numbered). Lock held. */
static int dev_index(struct rpmsg_channel *rpdev)
{
	int i;

	for (i = 0; i < MAX_PROCS && devs[i] && devs[i] != rpdev->rvdev; i++)
		;
	CHECK(i < MAX_PROCS);
	devs[i] = rpdev->rvdev;
	return i;
}

static int on_probe(struct rpmsg_channel *rpdev)
{
	int i;

	/* A callback may not call into remoteproc (it runs under its notification lock):
	 * tell processors apart by their rpmsg bus instead. A recovered processor gets a new
	 * bus; single-processor scenarios use index 0 throughout. */
	pthread_mutex_lock(&lock);
	i = multi ? dev_index(rpdev) : hostile ? strcmp(rpdev->name, "rpmsg-faulty") != 0 : 0;
	channels[i] = rpdev;
	probes[i]++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	rpdev->priv = (void *)(intptr_t)(i + 1);
	return rpmsg_send(rpdev, "hello", 5);
}

static void on_remove(struct rpmsg_channel *rpdev)
{
	int i = (int)(intptr_t)rpdev->priv - 1;

	pthread_mutex_lock(&lock);
	if (i >= 0 && channels[i] == rpdev)
		channels[i] = NULL;
	pthread_mutex_unlock(&lock);
}

static const struct rpmsg_device_id ids[] = {
	{"rpmsg-client-sample"}, {"rpmsg-echo"}, {OFFLOAD_CHANNEL}, {"rpmsg-faulty"},
	{"rpmsg-timer"}, {""}};
static struct rpmsg_driver drv = {
	.name = "test-sim", .id_table = ids, .probe = on_probe, .remove = on_remove,
	.callback = on_msg};

static int wait_replies(int i, int n)
{
	struct timespec ts;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	pthread_mutex_lock(&lock);
	while ((replies[i] < n || (!multi && rproc_get_state(procs[i]) != RPROC_RUNNING)) &&
	       ret == 0)
		ret = pthread_cond_timedwait(&cond, &lock, &ts);
	ret = replies[i] >= n && (multi || rproc_get_state(procs[i]) == RPROC_RUNNING) ? 0 : -1;
	pthread_mutex_unlock(&lock);
	return ret;
}

static void count_channel(struct rpmsg_channel *ch, void *arg)
{
	(void)ch;
	(*(int *)arg)++;
}

static void on_event(struct rproc *rproc, enum rproc_event ev, void *priv)
{
	(void)rproc;
	(void)ev;
	(void)priv;
	pthread_mutex_lock(&lock);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* The build of @sim_fw for the processors of this run: <name>-m4.elf beside it for the M4. */
static const char *fw_path(const char *sim_fw)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];
	size_t n = strlen(sim_fw);

	if (!m4)
		return sim_fw;
	CHECK(n > 4 && n < sizeof(paths[0]) - 3 && !strcmp(sim_fw + n - 4, ".elf"));
	snprintf(p, sizeof(paths[0]), "%.*s-m4.elf", (int)(n - 4), sim_fw);
	return p;
}

static void destroy_proc(struct rproc *r)
{
	if (m4)
		qemu_m4_rproc_destroy(r);
	else
		sim_rproc_destroy(r);
}

static struct rproc *make_proc_fw(int i, unsigned int watchdog_ms, const char *fw)
{
	struct sim_config cfg = {
		.firmware = fw, .cpu = -1, .watchdog_ms = watchdog_ms, .notify = notify_mode};
	struct qemu_m4_config m4cfg = {.firmware = fw_path(fw),
				       .cpu = -1,
				       .watchdog_ms = watchdog_ms,
				       .poll = notify_mode == SIM_NOTIFY_POLL};
	char name[16];

	snprintf(name, sizeof(name), m4 ? "m4-%d" : "sim%d", i);
	cfg.name = m4cfg.name = name;
	procs[i] = m4 ? qemu_m4_rproc_create(&m4cfg) : sim_rproc_create(&cfg);
	CHECK(procs[i]);
	rproc_set_event_cb(procs[i], on_event, NULL);
	CHECK(rproc_register(procs[i]) == 0);
	return procs[i];
}

static struct rproc *make_proc(int i, unsigned int watchdog_ms)
{
	return make_proc_fw(i, watchdog_ms, AMP_TEST_FIRMWARE);
}

/* Boot and shut down 200 times: nothing leaks (fds, mappings, processes). */
static void scenario_cycles(void)
{
	struct rproc *r = make_proc(0, 0);
	int fds, maps, i;

	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, 1) == 0);
	CHECK(rproc_shutdown(r) == 0);
	fds = amp_test_count_fds();
	maps = amp_test_count_memfd_maps();
	for (i = 2; i <= 201; i++) {
		CHECK(rproc_boot(r) == 0);
		CHECK(wait_replies(0, i) == 0);
		CHECK(rproc_shutdown(r) == 0);
	}
	CHECK(amp_test_count_fds() == fds);
	CHECK(amp_test_count_memfd_maps() == maps);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	destroy_proc(r);
	printf("cycles: 200 boots and shutdowns, %d fds and %d memfd mappings before and after\n", fds,
	       maps);
}

/* A boot leaves the host's memory as it was: the core is started without fork(), so the pages
 * a host thread wrote before the boot take no page fault at its next write. After a fork(),
 * each would take one (copy-on-write), in the middle of whatever that thread was timing. */
static void scenario_nocow(void)
{
	const size_t len = 16u << 20, pages = len / 4096;
	volatile char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);
	struct rproc *r = make_proc(0, 0);
	struct rusage before, after;
	long faults;
	size_t i;

	CHECK(mem != MAP_FAILED);
	for (i = 0; i < len; i += 4096)
		mem[i] = 1;
	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, 1) == 0);
	CHECK(getrusage(RUSAGE_THREAD, &before) == 0);
	for (i = 0; i < len; i += 4096)
		mem[i] = 2;
	CHECK(getrusage(RUSAGE_THREAD, &after) == 0);
	faults = after.ru_minflt - before.ru_minflt;
	if (faults >= (long)pages / 16) {
		fprintf(stderr, "nocow: %ld page faults rewriting %zu pages after a boot\n", faults,
			pages);
		CHECK(0);
	}
	destroy_proc(r);
	munmap((void *)mem, len);
	printf("nocow: %ld page faults rewriting %zu pages after a boot\n", faults, pages);
}

/* Messages of every size 0..496 come back from the echo firmware byte for byte. */
static void scenario_echo(void)
{
	struct rproc *r = make_proc_fw(0, 0, AMP_ECHO_FIRMWARE);
	char msg[496];
	int len, i;

	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, 1) == 0); /* the echo of the probe's "hello" */
	for (len = 0; len <= 496; len++) {
		for (i = 0; i < len; i++)
			msg[i] = (char)(len * 7 + i);
		CHECK(rpmsg_send(channels[0], msg, len) == 0);
		CHECK(wait_replies(0, len + 2) == 0);
		pthread_mutex_lock(&lock);
		CHECK(last_len[0] == len && !memcmp(last_data[0], msg, (size_t)len));
		pthread_mutex_unlock(&lock);
	}
	CHECK(rpmsg_send(channels[0], msg, 497) == -AMP_EMSGSIZE);
	destroy_proc(r);
	printf("echo: every size 0..496 came back byte for byte\n");
}

/* Rings the first processor's doorbell without a pause until told to stop. */
static bool kicker_stop; /* atomic */

static void *kicker(void *arg)
{
	struct virtio_device *vdev = arg;
	/* The transport's notify op rings the doorbell of the vring a virtqueue stands for. */
	struct virtqueue vq[2] = {{.priv = vdev, .index = 0}, {.priv = vdev, .index = 1}};
	unsigned int i = 0;

	while (!__atomic_load_n(&kicker_stop, __ATOMIC_RELAXED))
		vdev->config->notify(&vq[i++ & 1]);
	return NULL;
}

/*
 * The doorbell under a flood of spurious kicks from another thread (each harmless: the remote
 * finds nothing new): the echoes' own kicks must still get through. The Cortex-M4's UART takes
 * no byte while it holds one, so a receive interrupt its handler lost (cleared after the last
 * read, when another byte had already landed) stopped its doorbell for good.
 */
static void scenario_doorbell(void)
{
	struct rproc *r = make_proc_fw(0, 0, AMP_ECHO_FIRMWARE);
	pthread_t t;
	int i;

	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, 1) == 0);
	CHECK(pthread_create(&t, NULL, kicker, rproc_get_vdev(r, 0)) == 0);
	for (i = 0; i < 1000; i++) {
		CHECK(rpmsg_send(channels[0], "ding", 4) == 0);
		CHECK(wait_replies(0, i + 2) == 0);
	}
	__atomic_store_n(&kicker_stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	destroy_proc(r);
	printf("doorbell: 1000 echoes through a flood of kicks\n");
}

/* A firmware that never announces: it boots, no channel appears, it shuts down cleanly. On the
 * way, its bounded waits end by themselves (the boot ROM's timer), kick or no kick. */
static void scenario_silent(void)
{
	struct rproc *r = make_proc_fw(0, 0, AMP_SILENT_FIRMWARE);
	struct timespec ts = {0, 1000000};
	char trace[256];
	const char *timed;
	unsigned int waits = 0, wait_us = 0, took_us = 0;
	int i, n = -1, channels_seen = 0;

	CHECK(rproc_boot(r) == 0);
	CHECK(rproc_get_vdev(r, 0));
	/* Wait (up to 10 s) for its trace to say it is up, announcing nothing, and done with its
	 * timed waits (the trace has no doorbell: read it now and then). The firmware writes its
	 * line a character at a time: whole once its newline is there (the Cortex-M4 was caught
	 * half-way through the numbers). */
	for (i = 0; i < 10000; i++) {
		n = rproc_trace_read(r, 0, trace, sizeof(trace));
		timed = n > 0 ? strstr(trace, "timed waits:") : NULL;
		if (timed && strchr(timed, '\n') && strstr(trace, "announcing nothing"))
			break;
		nanosleep(&ts, NULL);
	}
	CHECK(n > 0 && strstr(trace, "announcing nothing"));
	CHECK(timed && sscanf(timed, "timed waits: %u of %u us took %u us", &waits, &wait_us,
			      &took_us) == 3);
	/* They ended at all, and each at its timeout but for one or two a kick cut short (the
	 * host rings once at DRIVER_OK): not early, not never. */
	CHECK(waits == 5 && took_us >= (waits - 2) * wait_us);
	rpmsg_for_each_channel(rpmsg_virtio_device_of(rproc_get_vdev(r, 0)), count_channel,
			       &channels_seen);
	CHECK(channels_seen == 0);
	CHECK(replies[0] == 0);
	CHECK(rproc_shutdown(r) == 0);
	CHECK(rproc_get_state(r) == RPROC_OFFLINE);
	destroy_proc(r);
	printf("silent: booted, no channel, %u timed waits in %u us, shut down cleanly\n", waits,
	       took_us);
}

/* 100 real faults of the core at random points under traffic: every time the channel comes
 * back, and no message is delivered twice or lost outside a crash. */
static void scenario_crash100(void)
{
	struct rproc *r = make_proc(0, 0);
	unsigned int seed = 12345;
	int round, expected = 1, k, j;

	CHECK(rproc_set_crash_limit(r, 0, 0) == 0); /* this test crashes on purpose, often */
	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, expected) == 0);
	for (round = 0; round < 100; round++) {
		k = (int)(rand_r(&seed) % 8);
		for (j = 0; j < k; j++) {
			CHECK(rpmsg_send(channels[0], "traffic", 7) == 0);
			CHECK(wait_replies(0, ++expected) == 0);
		}
		CHECK(rpmsg_send(channels[0], "crash", 5) == 0);
		/* Recovered: the new channel's probe greets, and the firmware answers. */
		CHECK(wait_replies(0, ++expected) == 0);
	}
	CHECK(rproc_crash_count(r) == 100);
	pthread_mutex_lock(&lock);
	CHECK(replies[0] == expected); /* nothing stale delivered after a recovery */
	pthread_mutex_unlock(&lock);
	destroy_proc(r);
	printf("crash100: 100 segfaults under traffic, %d answers, none twice\n", expected);
}

/* A bitwise CRC-32, written apart from the firmware's table-driven one. */
static uint32_t ref_crc32(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFu;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
	}
	return ~c;
}

static struct offload_resp offload_call(uint32_t op, uint32_t offset, uint32_t len,
					const void *data, size_t data_len)
{
	static uint32_t tag;
	uint8_t msg[496];
	struct offload_req req = {.op = op, .tag = ++tag, .offset = offset, .len = len};
	struct offload_resp resp;
	int n;

	CHECK(sizeof(req) + data_len <= sizeof(msg));
	memcpy(msg, &req, sizeof(req));
	if (data_len)
		memcpy(msg + sizeof(req), data, data_len);
	pthread_mutex_lock(&lock);
	n = replies[0];
	pthread_mutex_unlock(&lock);
	CHECK(rpmsg_send(channels[0], msg, (int)(sizeof(req) + data_len)) == 0);
	CHECK(wait_replies(0, n + 1) == 0);
	pthread_mutex_lock(&lock);
	CHECK(last_len[0] == (int)sizeof(resp));
	memcpy(&resp, last_data[0], sizeof(resp));
	pthread_mutex_unlock(&lock);
	CHECK(resp.op == op && resp.tag == tag);
	return resp;
}

/* The offload firmware computes over data in messages and in the carveout the host filled. */
static void scenario_offload(void)
{
	struct rproc *r = make_proc_fw(0, 0, AMP_OFFLOAD_FIRMWARE);
	struct offload_resp resp;
	uint8_t block[480];
	uint8_t *buf;
	uint64_t da;
	size_t len, i;
	uint32_t sum = 0;

	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, 1) == 0); /* the probe's "hello" is not a request: an error reply */
	pthread_mutex_lock(&lock);
	CHECK(last_len[0] == (int)sizeof(resp));
	memcpy(&resp, last_data[0], sizeof(resp));
	pthread_mutex_unlock(&lock);
	CHECK(resp.status == -22);

	resp = offload_call(OFFLOAD_CRC32, 0, 9, "123456789", 9);
	CHECK(resp.status == 0 && resp.result == 0xCBF43926u); /* the standard check value */
	for (i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(i * 131 + 7);
	resp = offload_call(OFFLOAD_CRC32, 0, sizeof(block), block, sizeof(block));
	CHECK(resp.status == 0 && resp.result == ref_crc32(block, sizeof(block)));
	resp = offload_call(OFFLOAD_CRC32, 0, 100, block, 10); /* length lies */
	CHECK(resp.status == -22);

	buf = rproc_find_carveout(r, OFFLOAD_CARVEOUT, &da, &len);
	CHECK(buf && len == OFFLOAD_CARVEOUT_LEN && da != FW_RSC_ADDR_ANY);
	CHECK(!rproc_find_carveout(r, "no-such-carveout", NULL, NULL));
	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i ^ (i >> 8) ^ (i >> 16));
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8;
	resp = offload_call(OFFLOAD_CRC32_CARVEOUT, 0, (uint32_t)len, NULL, 0);
	CHECK(resp.status == 0 && resp.result == ref_crc32(buf, len));
	resp = offload_call(OFFLOAD_SUM16, 0, (uint32_t)len, NULL, 0);
	CHECK(resp.status == 0 && resp.result == sum);
	resp = offload_call(OFFLOAD_CRC32_CARVEOUT, 1000, 24, NULL, 0);
	CHECK(resp.status == 0 && resp.result == ref_crc32(buf + 1000, 24));
	/* Ranges outside the carveout, including ones whose end wraps around 2^32. */
	resp = offload_call(OFFLOAD_CRC32_CARVEOUT, (uint32_t)len - 4, 8, NULL, 0);
	CHECK(resp.status == -34);
	resp = offload_call(OFFLOAD_CRC32_CARVEOUT, 0xFFFFFFF0u, 0x20, NULL, 0);
	CHECK(resp.status == -34);
	resp = offload_call(OFFLOAD_SUM16, 0, 3, NULL, 0);
	CHECK(resp.status == -22);
	resp = offload_call(77, 0, 0, NULL, 0);
	CHECK(resp.status == -95);
	destroy_proc(r);
	printf("offload: CRC-32 and sums over messages and a %zu KiB carveout, bad requests "
	       "refused\n",
	       len >> 10);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Ask the timer firmware @req; its answer's first word. */
static uint64_t timer_call(const char *req, uint64_t *host_ns)
{
	uint64_t reply[2], t0 = mono_ns();
	int n;

	pthread_mutex_lock(&lock);
	n = replies[0];
	pthread_mutex_unlock(&lock);
	CHECK(rpmsg_send(channels[0], req, (int)strlen(req)) == 0);
	CHECK(wait_replies(0, n + 1) == 0);
	*host_ns = mono_ns() - t0;
	pthread_mutex_lock(&lock);
	CHECK(last_len[0] == (int)sizeof(reply));
	memcpy(reply, last_data[0], sizeof(reply));
	pthread_mutex_unlock(&lock);
	return reply[0];
}

/* The firmware's sleep and periodic timer (amp-fw/timer.h), measured by its clock and ours:
 * never early, and a periodic timer runs once per period at most. */
static void scenario_timer(void)
{
	struct rproc *r = make_proc_fw(0, 0, AMP_TIMER_FIRMWARE);
	uint64_t fw_ns, host_ns, ticks;
	struct timespec ts;
	int ret = 0;

	CHECK(rproc_boot(r) == 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	pthread_mutex_lock(&lock);
	while (!channels[0] && ret == 0)
		ret = pthread_cond_timedwait(&cond, &lock, &ts);
	pthread_mutex_unlock(&lock);
	CHECK(ret == 0);
	fw_ns = timer_call("sleep 100", &host_ns);
	printf("sleep 100: %.1f ms by the firmware's clock, %.1f ms by ours\n", fw_ns / 1e6,
	       host_ns / 1e6);
	CHECK(fw_ns >= 100000000ull && host_ns >= 99000000ull);
	ticks = timer_call("ticks 20", &host_ns);
	printf("a 20 ms timer over 200 ms: %llu calls (%.1f ms by our clock)\n",
	       (unsigned long long)ticks, host_ns / 1e6);
	CHECK(ticks >= 1 && ticks <= 10 && host_ns >= 199000000ull);
	destroy_proc(r);
	printf("timer: sleeps and a periodic timer, never early\n");
}

/* --- hostile remotes ------------------------------------------------------------------ */

static int replies_of(int i)
{
	int n;

	pthread_mutex_lock(&lock);
	n = replies[i];
	pthread_mutex_unlock(&lock);
	return n;
}

/* Channel @i answers a message (sent after whatever the test did, so answered after it). */
static void ping(int i)
{
	int n = replies_of(i);

	CHECK(rpmsg_send(channels[i], "ping", 4) == 0);
	CHECK(wait_replies(i, n + 1) == 0);
}

static struct rpmsg_stats faulty_stats(void)
{
	struct rpmsg_stats st;

	rpmsg_get_stats(rpmsg_virtio_device_of(rproc_get_vdev(procs[0], 0)), &st);
	return st;
}

static void count_channels(struct rpmsg_channel *ch, void *arg)
{
	(void)ch;
	(*(unsigned int *)arg)++;
}

static void count_rproc_channels(struct rpmsg_channel *ch, unsigned int index, void *arg)
{
	(void)index;
	count_channels(ch, arg);
}

/* The faulty firmware said "done" (its reply number @before + 1): the command's effects,
 * all sent before it, have been handled. */
static void wait_done(int before)
{
	CHECK(wait_replies(0, before + 1) == 0);
	pthread_mutex_lock(&lock);
	CHECK(last_len[0] == 4 && !memcmp(last_data[0], "done", 4));
	pthread_mutex_unlock(&lock);
}

/* The last crash the library reported, by its type's name (from its warning). */
static char last_crash[32];

static void log_to_stderr(enum amp_log_level level, const char *msg, void *priv)
{
	const char *p = strstr(msg, ": crashed (");

	(void)priv;
	if (p) {
		pthread_mutex_lock(&lock);
		snprintf(last_crash, sizeof(last_crash), "%.*s", (int)strcspn(p + 11, ")"), p + 11);
		pthread_mutex_unlock(&lock);
	}
	if (level <= AMP_LOG_ERR || getenv("AMP_LOG_LEVEL"))
		fprintf(stderr, "amp: %s\n", msg);
}

/* The faulty processor crashed once, seen as @type, and is back: probed and greeted anew.
 * @probes_before: its channel's probes before (-1: @greetings_before says it is back, which
 * holds when nothing else is answered meanwhile). */
static void expect_recovered_probed(int greetings_before, int probes_before, const char *type)
{
	struct timespec ts;
	int ret = 0;

	if (probes_before < 0) {
		CHECK(wait_replies(0, greetings_before + 1) == 0);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 20;
		pthread_mutex_lock(&lock);
		while (probes[0] <= probes_before && ret == 0)
			ret = pthread_cond_timedwait(&cond, &lock, &ts);
		CHECK(probes[0] > probes_before);
		pthread_mutex_unlock(&lock);
	}
	CHECK(rproc_crash_count(procs[0]) == 1);
	pthread_mutex_lock(&lock);
	if (strcmp(last_crash, type))
		fprintf(stderr, "crash seen as '%s', expected '%s'\n", last_crash, type);
	CHECK(!strcmp(last_crash, type));
	pthread_mutex_unlock(&lock);
	ping(0);
}

static void expect_recovered(int greetings_before, const char *type)
{
	expect_recovered_probed(greetings_before, -1, type);
}

/* Traffic to the faulty processor until it crashes: the scribbling happens while it flows. */
static bool traffic_stop; /* atomic */

static void *traffic(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&traffic_stop, __ATOMIC_RELAXED)) {
		/* Under the lock: remove() clears the channel under it, so it stays valid here. */
		pthread_mutex_lock(&lock);
		if (channels[0] && rproc_crash_count(procs[0]) == 0)
			rpmsg_trysend(channels[0], "traffic", 7);
		pthread_mutex_unlock(&lock);
		sched_yield();
	}
	return NULL;
}

/*
 * One misbehaviour of the faulty firmware (README of rpmsg-faulty), with an echo processor
 * beside it. The host must keep running, keep the bystander working, count or mark what is
 * broken, recover the faulty processor where the fault calls for it, and leak nothing.
 */
static void scenario_hostile(const char *what)
{
	int fds = amp_test_count_fds(), maps = amp_test_count_memfd_maps(), greeted, probed, i;
	char cmd[40];
	struct rpmsg_stats st;

	hostile = true;
	make_proc_fw(0, 300, AMP_FAULTY_FIRMWARE);
	make_proc_fw(1, 0, AMP_ECHO_FIRMWARE);
	CHECK(rproc_set_crash_limit(procs[0], 0, 0) == 0);
	CHECK(rproc_boot(procs[0]) == 0 && rproc_boot(procs[1]) == 0);
	CHECK(wait_replies(0, 1) == 0 && wait_replies(1, 1) == 0);
	ping(0);
	greeted = replies_of(0);
	/* Before the command: the damage, the crash and the new probe may all be over by the time
	 * this thread runs again. */
	pthread_mutex_lock(&lock);
	probed = probes[0];
	pthread_mutex_unlock(&lock);
	snprintf(cmd, sizeof(cmd), "!%s", what);
	CHECK(rpmsg_send(channels[0], cmd, (int)strlen(cmd)) == 0);

	if (!strcmp(what, "crash") || !strcmp(what, "crash-mid")) {
		expect_recovered(greeted, "mmufault"); /* the core's segfault */
	} else if (!strcmp(what, "hang")) {
		expect_recovered(greeted, "watchdog");
	} else if (!strcmp(what, "syscall")) {
		expect_recovered(greeted, "fatal error"); /* SIGSYS from the seccomp filter */
	} else if (!strcmp(what, "scribble") || !strcmp(what, "bad-used")) {
		pthread_t sender;
		bool flowing = !strcmp(what, "scribble");

		if (flowing)
			CHECK(pthread_create(&sender, NULL, traffic, NULL) == 0);
		/* Caught by the host's ring checks; the firmware stays alive, petting. With the
		 * traffic flowing, its echoes are replies too, and may come before the damage is
		 * seen: the channel probed anew says the processor is back. */
		expect_recovered_probed(greeted, flowing ? probed : -1, "fatal error");
		if (flowing) {
			__atomic_store_n(&traffic_stop, true, __ATOMIC_RELAXED);
			pthread_join(sender, NULL);
		}
		CHECK(faulty_stats().broken == 0); /* the new device's rings are whole */
	} else if (!strcmp(what, "bad-len")) {
		wait_done(greeted);
		st = faulty_stats();
		CHECK(st.rx_bad == 1 && !st.broken);
	} else if (!strcmp(what, "ns-nonul")) {
		wait_done(greeted);
		st = faulty_stats();
		CHECK(st.ns_bad == 1 && st.ns_refused == 0);
	} else if (!strcmp(what, "ns-flood")) {
		unsigned int n = 0;

		wait_done(greeted); /* sent after the 10,000th announcement */
		st = faulty_stats();
		rpmsg_for_each_channel(rpmsg_virtio_device_of(rproc_get_vdev(procs[0], 0)),
				       count_channels, &n);
		CHECK(n == RPMSG_MAX_CHANNELS);
		CHECK(st.ns_refused == 10000 - (RPMSG_MAX_CHANNELS - 1));
	} else if (!strcmp(what, "hoard")) {
		struct rpmsg_endpoint *ept = channels[0]->ept;
		int sent = 0;

		wait_done(greeted);
		/* Buffers run out: try-sends say so at once, blocking ones time out. */
		while (rpmsg_trysend(channels[0], "x", 1) == 0)
			sent++;
		CHECK(sent > 0 && sent <= 256);
		CHECK(rpmsg_trysend(channels[0], "x", 1) == -AMP_ENOMEM);
		CHECK(rpmsg_ept_sendto(ept, channels[0]->dst, "x", 1, 50) == -AMP_ETIMEDOUT);
		CHECK(faulty_stats().tx_timeouts == 1);
	} else if (!strcmp(what, "flood")) {
		unsigned int n = 0;

		/* The remote never lets the receive ring go empty: a walk of the channels and a
		 * stop must still get in (this hangs, until ctest's timeout, if they cannot). */
		__atomic_store_n(&slow_rx_ns, 20000, __ATOMIC_RELAXED);
		CHECK(wait_replies(0, greeted + 1000) == 0);
		rproc_for_each_channel(procs[0], count_rproc_channels, &n);
		CHECK(n == 1);
		/* The flood goes on after the walk: the walk got in while it ran. */
		CHECK(wait_replies(0, replies_of(0) + 1) == 0);
		CHECK(rproc_shutdown(procs[0]) == 0);
		CHECK(rproc_get_state(procs[0]) == RPROC_OFFLINE);
		__atomic_store_n(&slow_rx_ns, 0, __ATOMIC_RELAXED);
	} else if (!strcmp(what, "kick-storm")) {
		/* The bystander answers while the storm goes on, and so does the stormer after. */
		for (i = 0; i < 20; i++)
			ping(1);
		wait_done(greeted);
		ping(0);
	} else if (!strcmp(what, "rsc-scribble")) {
		wait_done(greeted);
		ping(0);
		/* A recovery starts again from the firmware's own table, not the scribbled one. */
		greeted = replies_of(0);
		CHECK(rpmsg_send(channels[0], "!crash", 6) == 0);
		expect_recovered(greeted, "mmufault");
	} else {
		fprintf(stderr, "unknown hostile case %s\n", what);
		exit(2);
	}
	CHECK(rproc_get_state(procs[1]) == RPROC_RUNNING && rproc_crash_count(procs[1]) == 0);
	ping(1);
	destroy_proc(procs[0]);
	destroy_proc(procs[1]);
	CHECK(amp_test_count_fds() == fds);
	CHECK(amp_test_count_memfd_maps() == maps);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	printf("hostile %s: host fine, bystander fine, nothing leaked\n", what);
}

/* --- the host dies ---------------------------------------------------------------------- */

/* The first child of @pid found under any of its threads, or -1. */
static pid_t first_child_of(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	long child = -1;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	CHECK(d != NULL);
	while (child < 0 && (e = readdir(d)) != NULL) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%ld", &child) != 1)
				child = -1;
			fclose(f);
		}
	}
	closedir(d);
	return (pid_t)child;
}

/*
 * A host process killed outright (no chance to stop anything) takes its core with it: a core
 * left running would keep spinning or sleeping forever, holding its memory and whatever output
 * it shares. We are the subreaper, so the orphaned core becomes our child and we see how it ended.
 */
static void scenario_orphan(void)
{
	int ready[2], st, pidfd;
	pid_t host, core;
	struct pollfd p;
	char c;

	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	CHECK(pipe(ready) == 0);
	host = fork();
	CHECK(host >= 0);
	if (host == 0) {
		close(ready[0]);
		make_proc_fw(0, 0, AMP_ECHO_FIRMWARE);
		CHECK(rproc_boot(procs[0]) == 0);
		CHECK(wait_replies(0, 1) == 0);
		CHECK(write(ready[1], "r", 1) == 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	CHECK(read(ready[0], &c, 1) == 1);
	close(ready[0]);
	core = first_child_of(host);
	CHECK(core > 0);
	pidfd = (int)syscall(SYS_pidfd_open, core, 0);
	CHECK(pidfd >= 0);
	CHECK(kill(host, SIGKILL) == 0);
	CHECK(waitpid(host, &st, 0) == host && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	p = (struct pollfd){.fd = pidfd, .events = POLLIN};
	CHECK(poll(&p, 1, 10000) == 1); /* the core ended */
	/* The sim core's lifeline raises SIGIO; QEMU gets the SIGKILL of its parent's death. */
	CHECK(waitpid(core, &st, 0) == core && WIFSIGNALED(st) &&
	      WTERMSIG(st) == (m4 ? SIGKILL : SIGIO));
	close(pidfd);
	printf("orphan: the core ended with its host (%s)\n",
	       m4 ? "QEMU killed as its parent thread died" : "SIGIO from its lifeline");
}

/* Eight processors at once (four Cortex-M4s). */
static void scenario_eight(void)
{
	int i;

	/* Four emulators on a machine of two CPUs are plenty. */
	int n = m4 ? 4 : MAX_PROCS;

	multi = true;
	for (i = 0; i < n; i++)
		make_proc(i, 0);
	for (i = 0; i < n; i++)
		CHECK(rproc_boot(procs[i]) == 0);
	/* Bus index i is not processor i: every bus greeted, and every processor running. */
	for (i = 0; i < n; i++)
		CHECK(wait_replies(i, 1) == 0);
	for (i = 0; i < n; i++)
		CHECK(rproc_get_state(procs[i]) == RPROC_RUNNING);
	for (i = 0; i < n; i++)
		destroy_proc(procs[i]);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	printf("eight: %d processors booted, greeted and shut down\n", n);
}

/* A firmware that stops petting the watchdog is reported and recovered. */
static void scenario_watchdog(void)
{
	struct rproc *r = make_proc(0, 200);
	struct timespec idle = {0, 700 * 1000000L};

	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, 1) == 0);
	/* Idle for three and a half periods: asleep in wait_irq is not hung. What is measured
	 * here is the idle time itself, so it is a sleep. */
	nanosleep(&idle, NULL);
	CHECK(rproc_crash_count(r) == 0);
	CHECK(rpmsg_send(channels[0], "hang", 4) == 0);
	CHECK(wait_replies(0, 2) == 0); /* recovered: probed again, greeted again */
	CHECK(rproc_crash_count(r) == 1);
	destroy_proc(r);
	printf("watchdog: an idle firmware left alone, a hung one caught and recovered\n");
}

/* Real faults of the core under traffic, recovered each time. */
static void scenario_crashes(void)
{
	struct rproc *r = make_proc(0, 0);
	int i;

	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, 1) == 0);
	for (i = 1; i <= 4; i++) {
		CHECK(rpmsg_send(channels[0], "crash", 5) == 0);
		CHECK(wait_replies(0, i + 1) == 0);
	}
	CHECK(rproc_crash_count(r) == 4);
	destroy_proc(r);
	printf("crashes: 4 segfaults of the core, each recovered with its channel back\n");
}

/* --- the Cortex-M4 ------------------------------------------------------------------------ */

/* rproc_boot() of @r fails with @err, and rproc_last_error() says @what and @what2; @r is
 * destroyed after. */
static void expect_refused(struct rproc *r, int err, const char *what, const char *what2)
{
	const char *msg;

	CHECK(r && rproc_register(r) == 0);
	CHECK(rproc_boot(r) == err);
	msg = rproc_last_error(r);
	if (!strstr(msg, what) || !strstr(msg, what2))
		fprintf(stderr, "refused with '%s', expected '%s' and '%s'\n", msg, what, what2);
	CHECK(strstr(msg, what) && strstr(msg, what2));
	CHECK(rproc_get_state(r) == RPROC_OFFLINE);
	printf("  %s refused: %s\n", rproc_name(r), msg);
	if (!strcmp(rproc_name(r), "sim-arm-fw"))
		sim_rproc_destroy(r);
	else
		qemu_m4_rproc_destroy(r);
}

/* Firmware for the other machine, a QEMU or a boot ROM that is not there: each boot refused
 * with a message that says so, nothing left behind. */
static void scenario_refusals(void)
{
	struct qemu_m4_config mc = {.name = "m4-x86-fw", .firmware = AMP_ECHO_FIRMWARE, .cpu = -1};
	struct sim_config sc = {.name = "sim-arm-fw", .firmware = fw_path(AMP_ECHO_FIRMWARE),
				.cpu = -1};
	int fds = amp_test_count_fds(), maps = amp_test_count_memfd_maps();
	char qemu[512];

	/* x86-64 code for the Cortex-M4, Arm code for the sim's x86-64 core */
	expect_refused(qemu_m4_rproc_create(&mc), -AMP_ENOEXEC, "built for machine 62",
		       "runs machine 40");
	expect_refused(sim_rproc_create(&sc), -AMP_ENOEXEC, "built for machine 40",
		       "runs machine 62");
	mc.name = "m4-no-qemu";
	mc.firmware = fw_path(AMP_ECHO_FIRMWARE);
	mc.qemu_path = "/nonexistent/qemu-system-arm";
	expect_refused(qemu_m4_rproc_create(&mc), -AMP_ENOENT,
		       "/nonexistent/qemu-system-arm not found", "apt-get install qemu-system-arm");
	if (qemu_m4_find_qemu(qemu, sizeof(qemu)) == 0) {
		mc.name = "m4-no-rom";
		mc.qemu_path = NULL;
		mc.bootrom_path = "/nonexistent/amp-m4-bootrom.elf";
		expect_refused(qemu_m4_rproc_create(&mc), -AMP_ENOENT,
			       "boot ROM /nonexistent/amp-m4-bootrom.elf", "is missing");
	}
	CHECK(amp_test_count_fds() == fds);
	CHECK(amp_test_count_memfd_maps() == maps);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	printf("refusals: wrong machines, no QEMU, no boot ROM: each refused, nothing leaked\n");
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* What a debugger says about @core of @fw (its stdout), or NULL without gdb-multiarch. */
static char *gdb_says(const char *fw, const char *core, const char *cmd)
{
	static char out[8192];
	char line[2048];
	size_t n = 0;
	FILE *f;

	snprintf(line, sizeof(line),
		 "command -v gdb-multiarch >/dev/null && gdb-multiarch -nx -batch -ex '%s' '%s' "
		 "'%s' 2>&1",
		 cmd, fw, core);
	f = popen(line, "r");
	CHECK(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	return pclose(f) == 0 ? out : NULL;
}

/*
 * A fault of the Cortex-M4 leaves an ARM ELF core file: ELF32, EM_ARM, a PT_NOTE with an
 * NT_PRSTATUS holding the registers the fault handler reported, and the memory. A debugger opens
 * it with the firmware and shows where it stopped.
 */
static void scenario_coredump(void)
{
	char dir[] = "/tmp/amp-coredump-XXXXXX", path[512], fw[512], trace[2048], want[64], *gdb;
	static uint8_t core[4 << 20];
	struct timespec ts;
	int ret = 0;
	struct rproc *r = make_proc(0, 0);
	const uint8_t *ph, *note;
	uint32_t pc, phoff;
	size_t len;
	FILE *f;

	CHECK(m4);
	CHECK(mkdtemp(dir));
	CHECK(rproc_set_coredump(r, RPROC_COREDUMP_ENABLED, dir) == 0);
	rproc_set_recovery(r, false); /* to read what the crash left first */
	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, 1) == 0);
	CHECK(rpmsg_send(channels[0], "crash", 5) == 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	pthread_mutex_lock(&lock);
	while (rproc_get_state(r) != RPROC_CRASHED && ret == 0)
		ret = pthread_cond_timedwait(&cond, &lock, &ts);
	pthread_mutex_unlock(&lock);
	CHECK(rproc_get_state(r) == RPROC_CRASHED);
	CHECK(rproc_last_coredump(r, path, sizeof(path)) > 0);
	CHECK(rproc_trace_read(r, 0, trace, sizeof(trace)) > 0); /* as the core left it */
	f = fopen(path, "rb");
	CHECK(f);
	len = fread(core, 1, sizeof(core), f);
	fclose(f);
	/* ELF32, little-endian, a core file of an ARM machine */
	CHECK(len > 52 && !memcmp(core, "\177ELF\1\1", 6));
	CHECK((core[16] | core[17] << 8) == 4 && (core[18] | core[19] << 8) == 40);
	phoff = rd32(core + 28);
	CHECK(phoff < len && len - phoff >= 32);
	ph = core + phoff;
	CHECK(rd32(ph) == 4 /* PT_NOTE */ && rd32(ph + 4) + 168 <= len && rd32(ph + 16) == 168);
	note = core + rd32(ph + 4);
	CHECK(rd32(note) == 5 && rd32(note + 4) == 148 && rd32(note + 8) == 1 /* NT_PRSTATUS */);
	CHECK(!memcmp(note + 12, "CORE", 5));
	CHECK((note[20 + 12] | note[20 + 13] << 8) == SIGSEGV); /* pr_cursig: a MemManage fault */
	pc = rd32(note + 20 + 72 + 15 * 4);
	CHECK(pc >= QEMU_M4_DEFAULT_RAM_DA && pc < QEMU_M4_DEFAULT_RAM_DA + QEMU_M4_DEFAULT_RAM_LEN);
	/* The fault handler's line in the trace agrees (32-bit %lx on the M4). */
	snprintf(want, sizeof(want), "fatal: MemManage fault at pc 0x%x", pc);
	if (!strstr(trace, want))
		fprintf(stderr, "trace:\n%s\nexpected '%s'\n", trace, want);
	CHECK(strstr(trace, want) && strstr(trace, "mmfar 0x0,"));
	CHECK(rproc_trigger_recovery(r) == 0);
	CHECK(wait_replies(0, 2) == 0); /* back: greeted and answered */
	snprintf(fw, sizeof(fw), "%s", fw_path(AMP_TEST_FIRMWARE));
	gdb = gdb_says(fw, path, "bt");
	if (gdb) {
		printf("gdb-multiarch:\n%s", gdb);
		CHECK(strstr(gdb, "sample_cb")); /* the firmware's receive callback wrote to 0 */
		gdb = gdb_says(fw, path, "info registers pc");
		snprintf(want, sizeof(want), "0x%x", pc);
		CHECK(gdb && strstr(gdb, want));
	} else {
		printf("gdb-multiarch not found: the core file was not opened by a debugger\n");
	}
	destroy_proc(r);
	CHECK(unlink(path) == 0 && rmdir(dir) == 0);
	printf("coredump: an ARM ELF core with the registers (pc 0x%x)%s\n", pc,
	       gdb ? ", opened by gdb-multiarch" : "");
}

/* Whether the M4 scenarios can run here: the firmware built, QEMU installed (when @qemu). */
static bool m4_can_run(bool qemu)
{
	char path[512];

#ifndef AMP_QEMU_M4_FIRMWARE_BUILT
	(void)qemu;
	(void)path;
	printf("skipped: the Cortex-M4 firmware was not built (Debian: apt-get install "
	       "gcc-arm-none-eabi)\n");
	return false;
#else
	if (qemu && qemu_m4_find_qemu(path, sizeof(path))) {
		printf("skipped: qemu-system-arm not found (Debian: apt-get install "
		       "qemu-system-arm)\n");
		return false;
	}
	return true;
#endif
}

int main(int argc, char **argv)
{
	/* The faults are on purpose: their warnings only when asked for. */
	if (!getenv("AMP_LOG_LEVEL"))
		amp_log_set_level(AMP_LOG_WARN);
	amp_log_set_handler(log_to_stderr, NULL);
	if (argc >= 3 && !strcmp(argv[1], "--qemu-m4")) {
		m4 = true;
		argv++;
		argc--;
	}
	if (argc == 3 && !strcmp(argv[1], "--poll")) {
		notify_mode = SIM_NOTIFY_POLL;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr,
			"usage: %s [--qemu-m4] [--poll] cycles|echo|eight|watchdog|crashes|silent|"
			"crash100|offload|orphan|timer|doorbell|refusals|coredump|hostile-CASE\n",
			argv[0]);
		return 2;
	}
	if (m4 && !m4_can_run(strcmp(argv[1], "refusals") != 0))
		return 77;
	CHECK(register_rpmsg_driver(&drv) == 0);
	if (!strcmp(argv[1], "cycles"))
		scenario_cycles();
	else if (!strcmp(argv[1], "echo"))
		scenario_echo();
	else if (!strcmp(argv[1], "nocow"))
		scenario_nocow();
	else if (!strcmp(argv[1], "eight"))
		scenario_eight();
	else if (!strcmp(argv[1], "watchdog"))
		scenario_watchdog();
	else if (!strcmp(argv[1], "crashes"))
		scenario_crashes();
	else if (!strcmp(argv[1], "silent"))
		scenario_silent();
	else if (!strcmp(argv[1], "crash100"))
		scenario_crash100();
	else if (!strcmp(argv[1], "offload"))
		scenario_offload();
	else if (!strcmp(argv[1], "orphan"))
		scenario_orphan();
	else if (!strcmp(argv[1], "doorbell"))
		scenario_doorbell();
	else if (!strcmp(argv[1], "timer"))
		scenario_timer();
	else if (!strcmp(argv[1], "refusals"))
		scenario_refusals();
	else if (!strcmp(argv[1], "coredump"))
		scenario_coredump();
	else if (!strncmp(argv[1], "hostile-", 8))
		scenario_hostile(argv[1] + 8);
	else
		return 2;
	unregister_rpmsg_driver(&drv);
	return 0;
}
