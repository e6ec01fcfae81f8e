/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulated SoC with real firmware: each remote core is a separate process running the
 * rpmsg-client-sample, rpmsg-echo or a silent test firmware.
 * Usage: test_sim cycles|echo|eight|watchdog|crashes|silent|crash100
 * (one CTest entry each, so that a failure names its scenario).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <amp/amp.h>
#include <amp/sim.h>

#define MAX_PROCS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int replies[MAX_PROCS];
static struct rpmsg_channel *channels[MAX_PROCS];
static int last_len;
static char last_data[512];

#define CHECK(cond_)                                                                               \
	do {                                                                                       \
		if (!(cond_)) {                                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond_); \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static void on_msg(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	int i = rpdev->priv ? (int)(intptr_t)rpdev->priv - 1 : 0;

	(void)priv;
	(void)src;
	pthread_mutex_lock(&lock);
	replies[i]++;
	last_len = len;
	memcpy(last_data, data, (size_t)len < sizeof(last_data) ? (size_t)len : sizeof(last_data));
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static struct rproc *procs[MAX_PROCS];
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
	i = procs[1] ? dev_index(rpdev) : 0;
	channels[i] = rpdev;
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

static const struct rpmsg_device_id ids[] = {{"rpmsg-client-sample"}, {"rpmsg-echo"}, {""}};
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
	while ((replies[i] < n || (procs[i] && rproc_get_state(procs[i]) != RPROC_RUNNING)) &&
	       ret == 0)
		ret = pthread_cond_timedwait(&cond, &lock, &ts);
	ret = replies[i] >= n && (!procs[i] || rproc_get_state(procs[i]) == RPROC_RUNNING) ? 0
												: -1;
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

static struct rproc *make_proc_fw(int i, unsigned int watchdog_ms, const char *fw)
{
	struct sim_config cfg = {.firmware = fw, .cpu = -1, .watchdog_ms = watchdog_ms};
	char name[16];

	snprintf(name, sizeof(name), "sim%d", i);
	cfg.name = name;
	procs[i] = sim_rproc_create(&cfg);
	CHECK(procs[i]);
	rproc_set_event_cb(procs[i], on_event, NULL);
	CHECK(rproc_register(procs[i]) == 0);
	return procs[i];
}

static struct rproc *make_proc(int i, unsigned int watchdog_ms)
{
	return make_proc_fw(i, watchdog_ms, AMP_TEST_FIRMWARE);
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	CHECK(d);
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

/* Mappings of memfds (device memory, doorbell pages): the ones a leak would leave. The
 * sanitizers' runtimes map anonymous memory as they go, so all mappings cannot be compared. */
static int count_memfd_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	CHECK(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "/memfd:") != NULL;
	fclose(f);
	return n;
}

/* Boot and shut down 200 times: nothing leaks (fds, mappings, processes). */
static void scenario_cycles(void)
{
	struct rproc *r = make_proc(0, 0);
	int fds, maps, i;

	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, 1) == 0);
	CHECK(rproc_shutdown(r) == 0);
	fds = count_dir("/proc/self/fd");
	maps = count_memfd_maps();
	for (i = 2; i <= 201; i++) {
		CHECK(rproc_boot(r) == 0);
		CHECK(wait_replies(0, i) == 0);
		CHECK(rproc_shutdown(r) == 0);
	}
	CHECK(count_dir("/proc/self/fd") == fds);
	CHECK(count_memfd_maps() == maps);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	sim_rproc_destroy(r);
	printf("cycles: 200 boots and shutdowns, %d fds and %d memfd mappings before and after\n", fds,
	       maps);
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
		CHECK(last_len == len && !memcmp(last_data, msg, (size_t)len));
		pthread_mutex_unlock(&lock);
	}
	CHECK(rpmsg_send(channels[0], msg, 497) == -AMP_EMSGSIZE);
	sim_rproc_destroy(r);
	printf("echo: every size 0..496 came back byte for byte\n");
}

/* A firmware that never announces: it boots, no channel appears, it shuts down cleanly. */
static void scenario_silent(void)
{
	struct rproc *r = make_proc_fw(0, 0, AMP_SILENT_FIRMWARE);
	struct timespec ts = {0, 1000000};
	char trace[256];
	int i, n = -1, channels_seen = 0;

	CHECK(rproc_boot(r) == 0);
	CHECK(rproc_get_vdev(r, 0));
	/* Wait (up to 10 s) for its trace to say it is up and announcing nothing. */
	for (i = 0; i < 10000; i++) {
		n = rproc_trace_read(r, 0, trace, sizeof(trace));
		if (n > 0 && strstr(trace, "announcing nothing"))
			break;
		nanosleep(&ts, NULL);
	}
	CHECK(n > 0 && strstr(trace, "announcing nothing"));
	rpmsg_for_each_channel(rproc_get_vdev(r, 0)->driver_priv, count_channel, &channels_seen);
	CHECK(channels_seen == 0);
	CHECK(replies[0] == 0);
	CHECK(rproc_shutdown(r) == 0);
	CHECK(rproc_get_state(r) == RPROC_OFFLINE);
	sim_rproc_destroy(r);
	printf("silent: booted, no channel, shut down cleanly\n");
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
	sim_rproc_destroy(r);
	printf("crash100: 100 segfaults under traffic, %d answers, none twice\n", expected);
}

/* Eight processors at once. */
static void scenario_eight(void)
{
	int i;

	for (i = 0; i < MAX_PROCS; i++)
		make_proc(i, 0);
	for (i = 0; i < MAX_PROCS; i++)
		CHECK(rproc_boot(procs[i]) == 0);
	for (i = 0; i < MAX_PROCS; i++) {
		struct rproc *r = procs[i];

		/* Bus index i is not processor i: wait on replies alone. */
		procs[i] = NULL;
		CHECK(wait_replies(i, 1) == 0);
		procs[i] = r;
	}
	for (i = 0; i < MAX_PROCS; i++)
		sim_rproc_destroy(procs[i]);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	printf("eight: 8 processors booted, greeted and shut down\n");
}

/* A firmware that stops petting the watchdog is reported and recovered. */
static void scenario_watchdog(void)
{
	struct rproc *r = make_proc(0, 200);

	CHECK(rproc_boot(r) == 0);
	CHECK(wait_replies(0, 1) == 0);
	CHECK(rpmsg_send(channels[0], "hang", 4) == 0);
	CHECK(wait_replies(0, 2) == 0); /* recovered: probed again, greeted again */
	CHECK(rproc_crash_count(r) == 1);
	sim_rproc_destroy(r);
	printf("watchdog: a hung firmware was caught and recovered\n");
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
	sim_rproc_destroy(r);
	printf("crashes: 4 segfaults of the core, each recovered with its channel back\n");
}

int main(int argc, char **argv)
{
	amp_log_set_level(AMP_LOG_ERR);
	if (argc != 2) {
		fprintf(stderr, "usage: %s cycles|echo|eight|watchdog|crashes|silent|crash100\n", argv[0]);
		return 2;
	}
	CHECK(register_rpmsg_driver(&drv) == 0);
	if (!strcmp(argv[1], "cycles"))
		scenario_cycles();
	else if (!strcmp(argv[1], "echo"))
		scenario_echo();
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
	else
		return 2;
	unregister_rpmsg_driver(&drv);
	return 0;
}
