/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shm platform with a real process on each side: our host in this process against remote
 * processes (the sample echo remote, or shm-faulty), and our remote in this process against the
 * sample host in another process. Every name lives in a private temporary directory, so that
 * several runs (and OpenAMP's fixed names) never meet.
 * Usage: test_shm host-echo|host-echo-listen|host-echo-1k|remote-echo|remote-echo-listen|
 *        remote-crash|remote-late|host-crash|two-pairs|hostile-CASE
 * (one CTest entry each, so that a failure names its scenario).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <amp/amp.h>
#include <amp/client.h>
#include <amp/shm.h>

#include "amp_test_res.h"
#include "shm_echo.h"

#define NPROCS 2
#define WAIT_MS 20000u

static char dir[64];
static char files[NPROCS][96], sockets[NPROCS][96];
static const char *const names[NPROCS] = {"shm0", "shm1"};
static struct rproc *procs[NPROCS];
static struct shm_echo_peer peers[NPROCS];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int recovery_failures; /* recoveries that gave up waiting for a remote */
static int shrink_faults;     /* "shrank ... under our mapping" logged */

/* Expected errors (hostile cases) stay quiet unless AMP_LOG_LEVEL asks for the log. */
static void on_log(enum amp_log_level level, const char *msg, void *priv)
{
	(void)level;
	(void)priv;
	if (strstr(msg, "recovery failed") || strstr(msg, "under our mapping")) {
		pthread_mutex_lock(&lock);
		if (strstr(msg, "recovery failed"))
			recovery_failures++;
		else
			shrink_faults++;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	if (getenv("AMP_LOG_LEVEL"))
		fprintf(stderr, "amp: %s\n", msg);
}

/* Events per processor and kind, counted under the lock; each wakes the waiters. */
static unsigned int events[NPROCS][RPROC_EVENT_VDEV_DOWN + 1];

static void on_event(struct rproc *rproc, enum rproc_event ev, void *priv)
{
	(void)rproc;
	pthread_mutex_lock(&lock);
	events[(intptr_t)priv][ev]++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* The deadline of every wait here: WAIT_MS from now, on the clock condition variables use. */
static struct timespec deadline(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_MS / 1000;
	return ts;
}

/* Wait until processor @i is in @state having crashed @crashes times (and, with @failures >= 0,
 * after that many failed recoveries). */
static void wait_proc(int i, enum rproc_state state, unsigned int crashes, int failures)
{
	struct timespec ts = deadline();
	int ret = 0;

	pthread_mutex_lock(&lock);
	while ((rproc_get_state(procs[i]) != state || rproc_crash_count(procs[i]) != crashes ||
		(failures >= 0 && recovery_failures < failures)) &&
	       ret == 0)
		ret = pthread_cond_timedwait(&cond, &lock, &ts);
	pthread_mutex_unlock(&lock);
	if (rproc_get_state(procs[i]) != state || rproc_crash_count(procs[i]) != crashes)
		fprintf(stderr, "%s: %s with %u crashes, expected %s with %u\n", names[i],
			rproc_state_name(rproc_get_state(procs[i])), rproc_crash_count(procs[i]),
			rproc_state_name(state), crashes);
	CHECK(rproc_get_state(procs[i]) == state && rproc_crash_count(procs[i]) == crashes);
}

/* Wait until processor @i has had @n events @ev; returns how many it had. */
static unsigned int wait_event(int i, enum rproc_event ev, unsigned int n)
{
	struct timespec ts = deadline();
	unsigned int got;
	int ret = 0;

	pthread_mutex_lock(&lock);
	while (events[i][ev] < n && ret == 0)
		ret = pthread_cond_timedwait(&cond, &lock, &ts);
	got = events[i][ev];
	pthread_mutex_unlock(&lock);
	CHECK(got >= n);
	return got;
}

/* Wait until pair @i's channel has been removed @n times. */
static void wait_removed(int i, unsigned int n)
{
	struct timespec ts = deadline();
	int ret = 0;

	pthread_mutex_lock(&peers[i].lock);
	while (peers[i].removes < n && ret == 0)
		ret = pthread_cond_timedwait(&peers[i].cond, &peers[i].lock, &ts);
	CHECK(peers[i].removes == n && !peers[i].channel);
	pthread_mutex_unlock(&peers[i].lock);
}

/* --- processes ------------------------------------------------------------------------- */

/* Run @argv; its stdout goes to *@out (a pipe) when @out is not NULL. */
static pid_t spawn_argv(char *const *argv, int *out)
{
	int pfd[2] = {-1, -1};
	pid_t pid;

	CHECK(!out || pipe2(pfd, O_CLOEXEC) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* Gone with us, whatever happens to this test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (out)
			dup2(pfd[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		*out = pfd[0];
	}
	return pid;
}

/* Run @prog with our layout options for pair @i, then @args (NULL-terminated). */
static pid_t spawn(const char *prog, int i, enum shm_server server, const char *const *args,
		   int *out)
{
	char *argv[16];
	int n = 0;

	argv[n++] = (char *)prog;
	argv[n++] = "--file";
	argv[n++] = files[i];
	argv[n++] = "--socket";
	argv[n++] = sockets[i];
	if (server == SHM_SERVER_HOST)
		argv[n++] = "--host-listens";
	while (args && *args && n < 15)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	return spawn_argv(argv, out);
}

/* The child's exit status, waiting @ms at most (then it is killed, and the check fails). */
static int wait_child(pid_t pid, unsigned int ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status = -1;
	struct pollfd pfd = {pidfd, POLLIN, 0};

	CHECK(pidfd >= 0);
	if (poll(&pfd, 1, (int)ms) != 1) {
		fprintf(stderr, "child %d still running after %u ms: killed\n", pid, ms);
		kill(pid, SIGKILL);
	}
	close(pidfd);
	CHECK(waitpid(pid, &status, 0) == pid);
	return status;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGTERM);
	wait_child(pid, WAIT_MS);
}

/* Read @fd until a line holds @text; false at the end of the stream or after WAIT_MS. */
static bool read_until(int fd, const char *text)
{
	static char buf[4096];
	static size_t len;
	struct pollfd pfd = {fd, POLLIN, 0};
	uint64_t end = (uint64_t)time(NULL) + WAIT_MS / 1000;
	ssize_t n;

	for (;;) {
		buf[len] = 0;
		if (strstr(buf, text)) {
			len = 0;
			return true;
		}
		if ((uint64_t)time(NULL) > end || poll(&pfd, 1, 1000) < 0)
			return false;
		if (!pfd.revents)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		if (len == sizeof(buf) - 1)
			len = 0; /* keep reading; the line looked for is short */
	}
}

/* Mappings of our shared files: what a leak of the host's would leave. */
static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	CHECK(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, dir) != NULL;
	fclose(f);
	return n;
}

/* --- our host ---------------------------------------------------------------------------- */

static void host_create(int i, enum shm_server server, unsigned int buf_size,
			unsigned int num_bufs, unsigned int attach_timeout_ms)
{
	struct shm_config cfg = {.name = names[i],
				 .buf_size = buf_size,
				 .num_bufs = num_bufs,
				 .attach_timeout_ms = attach_timeout_ms ? attach_timeout_ms : WAIT_MS};

	cfg.layout.file = files[i];
	cfg.layout.socket = sockets[i];
	cfg.layout.server = server;
	CHECK(shm_rproc_create(&cfg, &procs[i]) == 0);
	CHECK(rproc_get_state(procs[i]) == RPROC_DETACHED);
	rproc_set_event_cb(procs[i], on_event, (void *)(intptr_t)i);
	shm_echo_peer_add(&peers[i], names[i]);
	CHECK(rproc_register(procs[i]) == 0);
}

static void host_destroy(int i)
{
	shm_rproc_destroy(procs[i]);
	shm_echo_peer_remove(&peers[i]);
	procs[i] = NULL;
}

/* Every payload size from 0 to the MTU echoed whole. */
static void sweep(int i, int mtu)
{
	int n = shm_echo_sweep(&peers[i], 0, 1 << 16, WAIT_MS);

	if (n != mtu + 1)
		fprintf(stderr, "%s: sweep: %d\n", names[i], n);
	CHECK(n == mtu + 1);
}

/* Send @msg on pair @i's channel; returns the replies counted before it. */
static unsigned int tell(int i, const char *msg)
{
	struct rpmsg_channel *ch;
	unsigned int before;
	int ret;

	/* The channel is taken under the peer's lock (remove() clears it under it), and held by a
	 * reference, not the lock, while the send waits for a buffer: the buffer's return is
	 * noticed by the notification thread, whose reply callback takes that lock. */
	pthread_mutex_lock(&peers[i].lock);
	before = peers[i].replies;
	ch = peers[i].channel ? rpmsg_channel_get(peers[i].channel) : NULL;
	pthread_mutex_unlock(&peers[i].lock);
	CHECK(ch);
	ret = rpmsg_send(ch, msg, (int)strlen(msg));
	rpmsg_channel_put(ch);
	CHECK(ret == 0);
	return before;
}

/* The next reply after the @before-th is @answer. */
static void expect_answer(int i, unsigned int before, const char *answer)
{
	struct timespec ts = deadline();
	int ret = 0;

	pthread_mutex_lock(&peers[i].lock);
	while (peers[i].replies == before && ret == 0)
		ret = pthread_cond_timedwait(&peers[i].cond, &peers[i].lock, &ts);
	CHECK(peers[i].replies > before && peers[i].last_len == (int)strlen(answer) &&
	      !memcmp(peers[i].last, answer, strlen(answer)));
	pthread_mutex_unlock(&peers[i].lock);
}

static void ask(int i, const char *msg, const char *answer)
{
	expect_answer(i, tell(i, msg), answer);
}

static void ping(int i)
{
	ask(i, "ping", "ping");
}

static struct rpmsg_stats stats_of(int i)
{
	struct rpmsg_stats st;

	rpmsg_get_stats(rpmsg_virtio_device_of(rproc_get_vdev(procs[i], 0)), &st);
	return st;
}

/* Processor @i is attached again, after its @crashes-th crash, and its channel is back. */
static void reattached(int i, unsigned int crashes)
{
	wait_proc(i, RPROC_ATTACHED, crashes, -1);
	CHECK(shm_echo_wait_channel(&peers[i], crashes + 1, WAIT_MS) == 0);
}

/* A peer process killed: the way a crash ends it. */
static void kill_peer(pid_t pid)
{
	kill(pid, SIGKILL);
	CHECK(WIFSIGNALED(wait_child(pid, WAIT_MS)));
}

/* Pair @i's echo remote, serving hosts until stopped. */
static pid_t echo_remote(int i, enum shm_server server, int *out)
{
	static const char *const args[] = {"--sessions", "0", NULL};

	return spawn(AMP_SHM_ECHO_REMOTE, i, server, args, out);
}

/* Our host against the sample echo remote: every size, then a detach the remote sees. */
static void scenario_host_echo(enum shm_server server, unsigned int buf_size)
{
	static const char *const once[] = {"--sessions", "1", NULL};
	int fds = amp_test_count_fds(), out;
	pid_t pid;

	pid = spawn(AMP_SHM_ECHO_REMOTE, 0, server, once, &out);
	host_create(0, server, buf_size, buf_size ? 128 : 0, 0);
	CHECK(rproc_boot(procs[0]) == 0);
	CHECK(rproc_get_state(procs[0]) == RPROC_ATTACHED);
	CHECK(shm_echo_wait_channel(&peers[0], 1, WAIT_MS) == 0);
	sweep(0, (int)(buf_size ? buf_size : 512) - 16);
	CHECK(stats_of(0).rx_bad == 0);
	/* Shut down, the remote is let go of: it sees us leave, and it was its one session. */
	CHECK(rproc_shutdown(procs[0]) == 0);
	CHECK(rproc_get_state(procs[0]) == RPROC_DETACHED);
	CHECK(read_until(out, buf_size ? "1009 echoes, 1 host served" : "497 echoes, 1 host served"));
	CHECK(wait_child(pid, WAIT_MS) == 0);
	close(out);
	host_destroy(0);
	CHECK(amp_test_count_fds() == fds);
	CHECK(count_maps() == 0);
	printf("host-echo: every size echoed, detached, nothing leaked\n");
}

/* --- our remote -------------------------------------------------------------------------- */

struct remote_run {
	struct shm_remote_config cfg;
	unsigned int sessions;
	volatile bool stop;
	struct shm_echo_remote_stats stats;
	int ret;
	pthread_t thread;
};

static void *remote_main(void *arg)
{
	struct remote_run *r = arg;

	r->ret = shm_echo_remote_run(&r->cfg, r->sessions, &r->stop, &r->stats);
	return NULL;
}

static void remote_start(struct remote_run *r, enum shm_server server, unsigned int sessions)
{
	memset(r, 0, sizeof(*r));
	r->cfg.layout.file = files[0];
	r->cfg.layout.socket = sockets[0];
	r->cfg.layout.server = server;
	r->sessions = sessions;
	CHECK(pthread_create(&r->thread, NULL, remote_main, r) == 0);
}

/* The sample host in another process, once it has echoed every size with our remote. */
static pid_t host_peer(enum shm_server server, bool hold, int *out)
{
	static const char *const args[] = {"--hold", NULL};
	pid_t pid = spawn(AMP_SHM_HOST, 0, server, hold ? args : args + 1, out);

	CHECK(read_until(*out, "497 echoes of 0..496 bytes checked"));
	return pid;
}

/* Our remote busy polls after a host's burst by default (SHM_REMOTE_BUSY_POLL_NS), on a clock
 * it was given: the time can be changed, and turned off. */
static void check_remote_busy_poll(void)
{
	struct shm_remote_config cfg = {0};
	struct rpmsg_remote_device *rdev;
	struct shm_remote *remote;

	cfg.layout.file = files[1];
	cfg.layout.socket = sockets[1];
	cfg.layout.server = SHM_SERVER_REMOTE;
	CHECK(shm_remote_open(&cfg, &remote) == 0);
	rdev = shm_remote_device(remote);
	CHECK(rdev->cfg.busy_poll_ns == SHM_REMOTE_BUSY_POLL_NS && rdev->cfg.now_ns);
	CHECK(rpmsg_remote_set_busy_poll(rdev, 0) == 0 && rdev->cfg.busy_poll_ns == 0);
	CHECK(rpmsg_remote_set_busy_poll(rdev, 5000) == 0 && rdev->cfg.busy_poll_ns == 5000);
	shm_remote_close(remote);
}

/* Our remote in this process against the sample host in another: every size, then the host's
 * detach ends the session. */
static void scenario_remote_echo(enum shm_server server)
{
	struct remote_run r;
	int out;
	pid_t pid;

	check_remote_busy_poll();
	remote_start(&r, server, 1);
	pid = host_peer(server, false, &out);
	CHECK(wait_child(pid, WAIT_MS) == 0);
	close(out);
	pthread_join(r.thread, NULL);
	CHECK(r.ret == 0 && r.stats.sessions == 1 && r.stats.echoes == 497);
	CHECK(r.stats.last.rx_msgs == 497 && r.stats.last.rx_bad == 0);
	printf("remote-echo: every size echoed to the host, which then left\n");
}

/* The host process dies with our remote attached: the remote notices and serves the next. */
static void scenario_host_crash(void)
{
	struct remote_run r;
	int out;
	pid_t pid;

	remote_start(&r, SHM_SERVER_REMOTE, 2);
	pid = host_peer(SHM_SERVER_REMOTE, true, &out);
	kill_peer(pid);
	close(out);
	pid = host_peer(SHM_SERVER_REMOTE, false, &out);
	CHECK(wait_child(pid, WAIT_MS) == 0);
	close(out);
	pthread_join(r.thread, NULL);
	CHECK(r.ret == 0 && r.stats.sessions == 2 && r.stats.echoes == 2 * 497);
	printf("host-crash: the remote saw its host die and served the next one\n");
}

/* A remote that closes after its host left must not take the socket file of the next remote
 * already listening at the same path (the next session of a program, or another process). */
static void scenario_remote_handover(void)
{
	struct shm_remote_config cfg = {.layout = {.file = files[0], .socket = sockets[0]}};
	struct shm_remote *a, *b;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int host, probe;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sockets[0]);
	CHECK(shm_remote_open(&cfg, &a) == 0);
	host = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(host, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(shm_remote_wait(a, (int)WAIT_MS) == 1); /* the host is taken */
	CHECK(shm_remote_open(&cfg, &b) == 0);        /* the next remote listens */
	close(host);
	CHECK(shm_remote_wait(a, (int)WAIT_MS) == -AMP_ECONNRESET);
	shm_remote_close(a);
	/* The next host finds the next remote. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(shm_remote_wait(b, (int)WAIT_MS) == 1);
	close(probe);
	shm_remote_close(b);
	printf("remote-handover: the next remote kept its socket\n");
}

/* A host that shrinks the file under our remote (here, this test as the host): the remote's next
 * look at the file is caught, not a SIGBUS, and the session ends with -EFAULT; the host sees
 * the socket close. */
static void scenario_remote_shrunk(void)
{
	struct shm_remote_config cfg = {.layout = {.file = files[0], .socket = sockets[0]}};
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct shm_remote *r;
	char byte;
	int host;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sockets[0]);
	CHECK(shm_remote_open(&cfg, &r) == 0);
	host = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(host, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(shm_remote_wait(r, (int)WAIT_MS) == 1);
	/* Not even the table's page is left: the remote reads the status byte there. */
	CHECK(truncate(files[0], 0) == 0);
	CHECK(shm_remote_wait(r, (int)WAIT_MS) == -AMP_EFAULT);
	CHECK(shm_remote_wait(r, 0) == -AMP_ECONNRESET);
	CHECK(recv(host, &byte, 1, 0) == 0);
	close(host);
	shm_remote_close(r);
	pthread_mutex_lock(&lock);
	CHECK(shrink_faults == 1);
	pthread_mutex_unlock(&lock);
	printf("remote-shrunk: the fault was caught and the host let go of\n");
}

/* --- crashes of the remote --------------------------------------------------------------- */

/* The remote process dies; the next one that shows up is attached to (within the attach
 * timeout: the recovery's own wait; past it: when it connects, after recovery gave up). */
static void scenario_remote_crash(bool late)
{
	int fds = amp_test_count_fds();
	pid_t pid;

	host_create(0, SHM_SERVER_REMOTE, 0, 0, late ? 300 : 0);
	pid = echo_remote(0, SHM_SERVER_REMOTE, NULL);
	CHECK(rproc_boot(procs[0]) == 0);
	CHECK(shm_echo_wait_channel(&peers[0], 1, WAIT_MS) == 0);
	ping(0);

	kill_peer(pid);
	/* Seen as a crash: the channel goes, and recovery waits for a remote (and, late, gives
	 * up waiting). */
	wait_proc(0, RPROC_CRASHED, 1, late ? 1 : -1);
	wait_removed(0, 1);
	wait_event(0, RPROC_EVENT_CRASH, 1);
	CHECK(wait_event(0, RPROC_EVENT_VDEV_DOWN, 1) == 1);

	pid = echo_remote(0, SHM_SERVER_REMOTE, NULL);
	reattached(0, 1);
	sweep(0, 496);
	CHECK(rproc_power_count(procs[0]) == 1);
	host_destroy(0);
	stop_child(pid);
	CHECK(amp_test_count_fds() == fds);
	CHECK(count_maps() == 0);
	printf("remote-%s: the remote's death was a crash; the next remote was attached to\n",
	       late ? "late" : "crash");
}

/* Two pairs side by side, in both socket roles: traffic on both at once, and a crash of one
 * leaves the other alone. */
struct sweeper {
	int i;
	pthread_t t;
};

static void *sweep_main(void *arg)
{
	sweep(((struct sweeper *)arg)->i, 496);
	return NULL;
}

static void scenario_two_pairs(void)
{
	enum shm_server server[NPROCS] = {SHM_SERVER_REMOTE, SHM_SERVER_HOST};
	struct sweeper sw[NPROCS];
	pid_t pid[NPROCS];
	int i, round;

	for (i = 0; i < NPROCS; i++) {
		host_create(i, server[i], 0, 0, 0);
		pid[i] = echo_remote(i, server[i], NULL);
		CHECK(rproc_boot(procs[i]) == 0);
		CHECK(shm_echo_wait_channel(&peers[i], 1, WAIT_MS) == 0);
	}
	for (round = 0; round < 2; round++) {
		for (i = 0; i < NPROCS; i++) {
			sw[i].i = i;
			CHECK(pthread_create(&sw[i].t, NULL, sweep_main, &sw[i]) == 0);
		}
		for (i = 0; i < NPROCS; i++)
			pthread_join(sw[i].t, NULL);
		if (round)
			break;
		/* Pair 0's remote dies: pair 1 keeps talking meanwhile. */
		kill_peer(pid[0]);
		sweep(1, 496);
		pid[0] = echo_remote(0, server[0], NULL);
		reattached(0, 1);
	}
	CHECK(rproc_crash_count(procs[1]) == 0);
	for (i = 0; i < NPROCS; i++) {
		host_destroy(i);
		stop_child(pid[i]);
	}
	printf("two-pairs: both at once, in both roles; a crash of one left the other alone\n");
}

/* --- hostile remotes --------------------------------------------------------------------- */

static void count_channels(struct rpmsg_channel *ch, unsigned int index, void *arg)
{
	(void)ch;
	(void)index;
	(*(unsigned int *)arg)++;
}

static bool traffic_stop; /* atomic */

/* Messages to the faulty remote while it scribbles, until it is caught. */
static void *traffic(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&traffic_stop, __ATOMIC_RELAXED)) {
		/* Under the peer's lock: remove() clears the channel under it. */
		pthread_mutex_lock(&peers[0].lock);
		if (peers[0].channel && rproc_crash_count(procs[0]) == 0)
			rpmsg_trysend(peers[0].channel, "traffic", 7);
		pthread_mutex_unlock(&peers[0].lock);
		sched_yield();
	}
	return NULL;
}

/* The faulty remote broke a ring: caught by the host's checks, a crash, and the remote (which
 * we let go of) is attached to again. */
static void expect_recovered(void)
{
	reattached(0, 1);
	CHECK(stats_of(0).broken == 0); /* the new device's rings are whole */
	ping(0);
}

/*
 * One misbehaviour of shm-faulty (its file comment lists them), with an echo remote beside it
 * on pair 1. The host keeps running, keeps the bystander working, counts or catches what is
 * broken, attaches again where the fault calls for it, and leaks nothing.
 */
static void scenario_hostile(const char *what)
{
	static const char *const bad_table[] = {"--bad-table", NULL};
	static const char *const outside[] = {"--vring-outside", NULL};
	static const char *const sessions[] = {"--sessions", "10", NULL};
	const char *const *args = !strcmp(what, "bad-table")       ? bad_table
				  : !strcmp(what, "vring-outside") ? outside
								   : sessions;
	int fds = amp_test_count_fds();
	pid_t faulty, bystander;
	char cmd[40];

	host_create(0, SHM_SERVER_REMOTE, 0, 0, 0);
	host_create(1, SHM_SERVER_REMOTE, 0, 0, 0);
	faulty = spawn(AMP_SHM_FAULTY, 0, SHM_SERVER_REMOTE, args, NULL);
	bystander = echo_remote(1, SHM_SERVER_REMOTE, NULL);
	CHECK(rproc_boot(procs[1]) == 0);
	CHECK(shm_echo_wait_channel(&peers[1], 1, WAIT_MS) == 0);

	if (args != sessions) {
		/* The table is refused before anything of it is used; no crash, still detached. */
		CHECK(rproc_boot(procs[0]) == -AMP_EINVAL);
		CHECK(rproc_get_state(procs[0]) == RPROC_DETACHED);
		CHECK(strstr(rproc_last_error(procs[0]), args == bad_table ? "descriptors"
									   : "vring 1"));
		goto out;
	}
	CHECK(rproc_boot(procs[0]) == 0);
	CHECK(shm_echo_wait_channel(&peers[0], 1, WAIT_MS) == 0);
	ping(0);
	snprintf(cmd, sizeof(cmd), "!%s", what);
	if (!strcmp(what, "scribble")) {
		pthread_t sender;

		CHECK(pthread_create(&sender, NULL, traffic, NULL) == 0);
		tell(0, cmd);
		expect_recovered();
		__atomic_store_n(&traffic_stop, true, __ATOMIC_RELAXED);
		pthread_join(sender, NULL);
	} else if (!strcmp(what, "bad-used") || !strcmp(what, "long-used")) {
		tell(0, cmd);
		expect_recovered();
	} else if (!strcmp(what, "bad-len")) {
		ask(0, cmd, "done");
		CHECK(stats_of(0).rx_bad == 1 && stats_of(0).broken == 0);
		ping(0);
	} else if (!strcmp(what, "hang")) {
		struct rpmsg_endpoint *ept;
		int sent = 0;

		ask(0, cmd, "done");
		pthread_mutex_lock(&peers[0].lock);
		ept = peers[0].channel->ept;
		/* Nothing comes back: buffers run out, a try-send says so, a send times out. */
		while (rpmsg_trysend(peers[0].channel, "x", 1) == 0)
			sent++;
		CHECK(sent > 0 && sent <= 256);
		CHECK(rpmsg_ept_sendto(ept, peers[0].channel->dst, "x", 1, 50) == -AMP_ETIMEDOUT);
		pthread_mutex_unlock(&peers[0].lock);
		for (int k = 0; k < 5; k++)
			ping(1);
		/* A hung remote is no crash here (no watchdog): letting go of it still works. */
		CHECK(rproc_shutdown(procs[0]) == 0);
		CHECK(rproc_get_state(procs[0]) == RPROC_DETACHED && !rproc_crash_count(procs[0]));
	} else if (!strcmp(what, "kick-storm")) {
		unsigned int before = tell(0, cmd);

		/* The bystander answers while the storm goes on, and so does the stormer after. */
		for (int k = 0; k < 20; k++)
			ping(1);
		expect_answer(0, before, "done");
		ping(0);
	} else if (!strcmp(what, "ns-nonul")) {
		ask(0, cmd, "done");
		CHECK(stats_of(0).ns_bad == 1 && stats_of(0).ns_refused == 0);
	} else if (!strcmp(what, "ns-flood")) {
		unsigned int n = 0;

		ask(0, cmd, "done"); /* sent after the 10,000th announcement */
		rproc_for_each_channel(procs[0], count_channels, &n);
		CHECK(n == RPMSG_MAX_CHANNELS);
		CHECK(stats_of(0).ns_refused == 10000 - (RPMSG_MAX_CHANNELS - 1));
	} else if (!strcmp(what, "flood")) {
		unsigned int before = tell(0, cmd), n = 0;
		struct timespec ts = deadline();
		int ret = 0;

		/* The remote never lets the receive ring rest: a walk of the channels and a stop
		 * still get in (this hangs, until ctest's timeout, if they cannot). */
		pthread_mutex_lock(&peers[0].lock);
		while (peers[0].replies < before + 1000 && ret == 0)
			ret = pthread_cond_timedwait(&peers[0].cond, &peers[0].lock, &ts);
		CHECK(peers[0].replies >= before + 1000);
		pthread_mutex_unlock(&peers[0].lock);
		rproc_for_each_channel(procs[0], count_channels, &n);
		CHECK(n == 1);
		CHECK(rproc_shutdown(procs[0]) == 0);
		CHECK(rproc_get_state(procs[0]) == RPROC_DETACHED && !rproc_crash_count(procs[0]));
	} else if (!strcmp(what, "shrink")) {
		/* The kick makes us read the rings in pages the file no longer has: the fault is
		 * caught, the remote is let go of (a crash), and its next session is attached. */
		tell(0, cmd);
		expect_recovered();
		pthread_mutex_lock(&lock);
		CHECK(shrink_faults == 1);
		pthread_mutex_unlock(&lock);
		CHECK(rproc_crash_count(procs[0]) == 1);
	} else if (!strcmp(what, "rsc-scribble")) {
		ask(0, cmd, "done");
		ping(0); /* what was negotiated at attach holds */
		/* The remote dies; the next one's fresh table is attached to, not the scribbles. */
		tell(0, "!exit");
		CHECK(WEXITSTATUS(wait_child(faulty, WAIT_MS)) == 3);
		faulty = spawn(AMP_SHM_FAULTY, 0, SHM_SERVER_REMOTE, args, NULL);
		expect_recovered();
	} else {
		fprintf(stderr, "unknown hostile case %s\n", what);
		exit(2);
	}
out:
	CHECK(rproc_get_state(procs[1]) == RPROC_ATTACHED && rproc_crash_count(procs[1]) == 0);
	ping(1);
	host_destroy(0);
	host_destroy(1);
	stop_child(faulty);
	stop_child(bystander);
	CHECK(amp_test_count_fds() == fds);
	CHECK(count_maps() == 0);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	printf("hostile %s: host fine, bystander fine, nothing leaked\n", what);
}

/* --- ampd ------------------------------------------------------------------------------- */

/* Ask ampd until the answer holds @want, looking again after each event (or a second). */
static void ampd_until(struct amp_client *c, struct amp_client *w, const char *req,
		       const char *want)
{
	static char body[AMP_CLIENT_RESP_MAX];
	char ev[512];
	time_t end = time(NULL) + WAIT_MS / 1000;

	for (;;) {
		CHECK(amp_client_request(c, req, body, sizeof(body), WAIT_MS) == 0);
		if (strstr(body, want))
			return;
		if (time(NULL) > end) {
			fprintf(stderr, "ampd: \"%s\" never said \"%s\": %s\n", req, want, body);
			CHECK(!"ampd's answer");
		}
		amp_client_next_event(w, ev, sizeof(ev), 1000);
	}
}

/* An endpoint on @proc's echo channel echoes, with the MTU of @buf_size buffers. */
static void ampd_echo(const char *ampd_sock, const char *proc, int mtu)
{
	struct amp_endpoint_info info;
	struct amp_client *e;
	char buf[1024];

	CHECK(amp_client_connect(ampd_sock, &e) == 0);
	CHECK(amp_client_open_endpoint(e, proc, SHM_ECHO_CHANNEL, AMP_CLIENT_ADDR_ANY,
				       AMP_CLIENT_ADDR_ANY, &info) == 0);
	CHECK(info.mtu == mtu && info.dst == SHM_ECHO_ADDR);
	memset(buf, 'e', sizeof(buf));
	CHECK(amp_client_send(e, buf, (size_t)mtu) == 0);
	CHECK(amp_client_recv(e, buf, sizeof(buf), WAIT_MS) == mtu && buf[mtu - 1] == 'e');
	amp_client_close(e);
}

/* ampd owns two remotes that are processes, described in Devicetree: one attached at start
 * (its remote listens), one on request (ampd listens, 1 KiB buffers). ampctl's requests see
 * them, endpoints reach them, and a remote process that dies is reported and attached again. */
static void scenario_ampd(void)
{
	char dts[128], dtb[128], sock[128], line[512];
	char *dtc[] = {AMP_DTC, "-q", "-I", "dts", "-O", "dtb", "-o", dtb, dts, NULL};
	char *ampd[] = {AMP_AMPD, "--socket", sock, "--soc", dtb, NULL};
	struct amp_client *c, *w, *e;
	pid_t daemon, remote[NPROCS];
	FILE *f;
	int out;

	snprintf(dts, sizeof(dts), "%s/soc.dts", dir);
	snprintf(dtb, sizeof(dtb), "%s/soc.dtb", dir);
	snprintf(sock, sizeof(sock), "%s/ampd.sock", dir);
	f = fopen(dts, "w");
	CHECK(f);
	fprintf(f, "/dts-v1/;\n/ { remoteproc {\n"
		   "shm0 { compatible = \"amp,shm-rproc\"; amp,shm-file = \"%s\";\n"
		   "  amp,shm-socket = \"%s\"; amp,auto-boot; amp,attach-timeout-ms = <%u>; };\n"
		   "shm1 { compatible = \"amp,shm-rproc\"; amp,shm-file = \"%s\";\n"
		   "  amp,shm-socket = \"%s\"; amp,host-listens; amp,rpmsg-buf-size = <1024>;\n"
		   "  amp,rpmsg-num-bufs = <64>; };\n"
		   "}; };\n",
		files[0], sockets[0], WAIT_MS, files[1], sockets[1]);
	fclose(f);
	CHECK(wait_child(spawn_argv(dtc, NULL), WAIT_MS) == 0);

	remote[0] = echo_remote(0, SHM_SERVER_REMOTE, NULL);
	daemon = spawn_argv(ampd, &out);
	CHECK(read_until(out, "ready"));
	CHECK(amp_client_connect(sock, &w) == 0 && amp_client_watch(w) == 0);
	CHECK(amp_client_connect(sock, &c) == 0);
	/* shm0 is attached at start (auto-boot), and its remote's channel announced. */
	ampd_until(c, w, "status shm0", "state=attached");
	ampd_until(c, w, "channels shm0", "name=" SHM_ECHO_CHANNEL);
	ampd_until(c, w, "ls", "proc name=shm1 state=detached");
	ampd_echo(sock, "shm0", 496);

	/* Its process dies: a crash, said as an event; an endpoint on it ends. */
	CHECK(amp_client_connect(sock, &e) == 0);
	CHECK(amp_client_open_endpoint(e, "shm0", SHM_ECHO_CHANNEL, AMP_CLIENT_ADDR_ANY,
				       AMP_CLIENT_ADDR_ANY, NULL) == 0);
	kill_peer(remote[0]);
	ampd_until(c, w, "status shm0", "crashes=1");
	CHECK(amp_client_recv(e, line, sizeof(line), WAIT_MS) == -AMP_EPIPE);
	amp_client_close(e);
	/* The next remote process is attached to. */
	remote[0] = echo_remote(0, SHM_SERVER_REMOTE, NULL);
	ampd_until(c, w, "status shm0", "state=attached");
	ampd_until(c, w, "channels shm0", "name=" SHM_ECHO_CHANNEL);
	ampd_echo(sock, "shm0", 496);

	/* shm1 on request: ampd listens, its remote connects. */
	remote[1] = echo_remote(1, SHM_SERVER_HOST, NULL);
	CHECK(amp_client_request(c, "start shm1", NULL, 0, WAIT_MS) == 0);
	ampd_until(c, w, "channels shm1", "name=" SHM_ECHO_CHANNEL);
	ampd_echo(sock, "shm1", 1008);
	CHECK(amp_client_request(c, "stop shm1", NULL, 0, WAIT_MS) == 0);
	ampd_until(c, w, "status shm1", "state=detached");

	amp_client_close(c);
	amp_client_close(w);
	kill(daemon, SIGTERM);
	CHECK(wait_child(daemon, WAIT_MS) == 0);
	close(out);
	stop_child(remote[0]);
	stop_child(remote[1]);
	unlink(dts);
	unlink(dtb);
	printf("ampd: attached at start and on request, echoed, a dead remote reported and "
	       "attached again\n");
}

int main(int argc, char **argv)
{
	const char *s = argc == 2 ? argv[1] : "";
	int i;

	setvbuf(stdout, NULL, _IONBF, 0);
	amp_log_set_handler(on_log, NULL);
	snprintf(dir, sizeof(dir), "/tmp/amp-shm-XXXXXX");
	CHECK(mkdtemp(dir));
	for (i = 0; i < NPROCS; i++) {
		snprintf(files[i], sizeof(files[i]), "%s/mem%d", dir, i);
		snprintf(sockets[i], sizeof(sockets[i]), "%s/event%d", dir, i);
	}
	if (!strcmp(s, "host-echo"))
		scenario_host_echo(SHM_SERVER_REMOTE, 0);
	else if (!strcmp(s, "host-echo-listen"))
		scenario_host_echo(SHM_SERVER_HOST, 0);
	else if (!strcmp(s, "host-echo-1k"))
		scenario_host_echo(SHM_SERVER_REMOTE, 1024);
	else if (!strcmp(s, "remote-echo"))
		scenario_remote_echo(SHM_SERVER_REMOTE);
	else if (!strcmp(s, "remote-echo-listen"))
		scenario_remote_echo(SHM_SERVER_HOST);
	else if (!strcmp(s, "host-crash"))
		scenario_host_crash();
	else if (!strcmp(s, "remote-crash"))
		scenario_remote_crash(false);
	else if (!strcmp(s, "remote-late"))
		scenario_remote_crash(true);
	else if (!strcmp(s, "two-pairs"))
		scenario_two_pairs();
	else if (!strcmp(s, "remote-handover"))
		scenario_remote_handover();
	else if (!strcmp(s, "remote-shrunk"))
		scenario_remote_shrunk();
	else if (!strcmp(s, "ampd"))
		scenario_ampd();
	else if (!strncmp(s, "hostile-", 8))
		scenario_hostile(s + 8);
	else {
		fprintf(stderr, "usage: %s host-echo|host-echo-listen|host-echo-1k|remote-echo|"
				"remote-echo-listen|host-crash|remote-crash|remote-late|two-pairs|remote-shrunk|"
				"hostile-CASE\n",
			argv[0]);
		return 2;
	}
	for (i = 0; i < NPROCS; i++) {
		unlink(files[i]);
		unlink(sockets[i]);
	}
	CHECK(rmdir(dir) == 0);
	return 0;
}
