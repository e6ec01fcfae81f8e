/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ampd: owns the remote processors of one SoC and serves requests on a UNIX socket, one request
 * per SOCK_SEQPACKET packet (docs/ampd-protocol.md). Today it runs the built-in default SoC (two
 * simulated processors) and serves the control verbs: version, ls, status, start, stop, crash,
 * recovery. Every request is checked; a bad one costs its client an error reply, a client that
 * does not read its replies is dropped, and SIGTERM powers the processors off.
 * Usage: ampd [--socket PATH] [--group GROUP] [--firmware-dir DIR]
 * Tool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <amp/amp.h>
#include <amp/sim.h>

#include "ampd/ampd_proto.h"

#define AMPD_DEFAULT_SOCKET "/run/ampd.sock"
#define AMPD_MAX_CLIENTS 256
#define NUM_PROCS 2

/* The built-in default SoC: what runs when no SoC description is given. */
static const struct {
	const char *name;
	const char *firmware;
} default_soc[NUM_PROCS] = {
	{"sim0", "rpmsg-client-sample.elf"},
	{"sim1", "rpmsg-echo.elf"},
};

static struct rproc *procs[NUM_PROCS];

/* A response under construction: "AMP1 ok" or "AMP1 err NAME message", then lines. */
struct resp {
	char buf[AMPD_RESP_MAX];
	size_t len;
	bool overflow;
};

__attribute__((format(printf, 2, 3))) static void resp_add(struct resp *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(r->buf) - r->len)
		r->overflow = true;
	else
		r->len += (size_t)n;
}

static void resp_err(struct resp *r, int err, const char *msg)
{
	r->len = 0;
	resp_add(r, "%s err %s %s", AMPD_PROTO_TAG, amp_errname(err), msg);
}

static struct rproc *find(const char *name)
{
	unsigned int i;

	for (i = 0; i < NUM_PROCS; i++)
		if (!strcmp(rproc_name(procs[i]), name))
			return procs[i];
	return NULL;
}

static void describe(struct resp *r, struct rproc *p)
{
	const char *fw = rproc_get_firmware(p), *base = fw ? strrchr(fw, '/') : NULL;

	resp_add(r, "\nproc name=%s state=%s firmware=%s crashes=%u recovery=%s", rproc_name(p),
		 rproc_state_name(rproc_get_state(p)), base ? base + 1 : fw ? fw : "-",
		 rproc_crash_count(p), rproc_recovery_enabled(p) ? "on" : "off");
}

/* Text the remote wrote (a trace, a channel name): whatever bytes it holds, the client gets
 * printable ASCII. In a key=value word, everything but [A-Za-z0-9_.-] as %XX. */
static void add_word(struct resp *r, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && s[i]; i++) {
		if (ampd_name_char(s[i]))
			resp_add(r, "%c", s[i]);
		else
			resp_add(r, "%%%02X", (unsigned char)s[i]);
	}
}

static void add_channel(struct rpmsg_channel *ch, unsigned int index, void *arg)
{
	struct resp *r = arg;

	resp_add(r, "\nchannel vdev=%u name=", index);
	add_word(r, ch->name, sizeof(ch->name));
	resp_add(r, " src=0x%x dst=0x%x driver=", ch->src, ch->dst);
	add_word(r, ch->driver ? ch->driver->name : "-", 64);
}

static void add_trace(struct resp *r, struct rproc *p)
{
	static char text[AMPD_RESP_MAX / 2];
	int n = rproc_trace_read(p, 0, text, sizeof(text)), i;

	if (n < 0) {
		resp_err(r, n, "no trace buffer (the firmware declares none, or never ran)");
		return;
	}
	resp_add(r, "\n");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		resp_add(r, "%c", c == '\n' || c == '\t' || (c >= 0x20 && c <= 0x7e) ? c : '?');
	}
}

static void handle(const struct ampd_req *q, struct resp *r)
{
	struct rproc *p = NULL;
	enum rproc_state st;
	unsigned int i;
	int ret = 0;

	r->len = 0;
	resp_add(r, "%s ok", AMPD_PROTO_TAG);
	if (q->name[0] && !(p = find(q->name))) {
		resp_err(r, -AMP_ENOENT, "no processor by that name (ampctl ls lists them)");
		return;
	}
	switch (q->verb) {
	case AMPD_VERSION:
		resp_add(r, "\nprotocol %s\nampd %s", AMPD_PROTO_TAG, AMPD_VERSION_STRING);
		break;
	case AMPD_LS:
		for (i = 0; i < NUM_PROCS; i++)
			describe(r, procs[i]);
		break;
	case AMPD_STATUS:
		describe(r, p);
		break;
	case AMPD_START:
		if (rproc_power_count(p)) {
			resp_err(r, -AMP_EALREADY, "already started");
			return;
		}
		ret = rproc_boot(p);
		break;
	case AMPD_STOP:
		if (!rproc_power_count(p)) {
			resp_err(r, -AMP_EALREADY, "not started");
			return;
		}
		ret = rproc_shutdown(p);
		break;
	case AMPD_CRASH:
		st = rproc_get_state(p);
		if (st != RPROC_RUNNING && st != RPROC_ATTACHED) {
			resp_err(r, -AMP_EINVAL, "only a running processor can be crashed");
			return;
		}
		rproc_report_crash(p, RPROC_FATAL_ERROR);
		break;
	case AMPD_RECOVERY:
		rproc_set_recovery(p, q->on);
		break;
	case AMPD_TRACE:
		add_trace(r, p);
		break;
	case AMPD_CHANNELS:
		rproc_for_each_channel(p, add_channel, r);
		break;
	default:
		ret = -AMP_EINVAL;
		break;
	}
	if (ret)
		resp_err(r, ret, amp_strerror(ret));
}

/* --- clients ------------------------------------------------------------------------------- */

static int nclients;

static void drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	nclients--;
}

/* One packet from client @fd: answer it, or drop the client (closed, or not reading). */
static void serve(int ep, int fd)
{
	static char buf[AMPD_REQ_MAX + 1];
	static struct resp r;
	struct ampd_req q;
	const char *why;
	ssize_t n;
	int ret;

	/* MSG_TRUNC: the packet's real length, so that an oversized one is told so. */
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(ep, fd);
		return;
	}
	ret = ampd_req_parse(buf, (size_t)n, &q, &why);
	if (ret)
		resp_err(&r, ret, why);
	else
		handle(&q, &r);
	if (r.overflow)
		resp_err(&r, -AMP_ENOBUFS, "response too large");
	/* A client whose socket is full is not reading: it goes, the others do not wait. */
	if (send(fd, r.buf, r.len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)r.len)
		drop(ep, fd);
}

static void accept_clients(int ep, int lfd)
{
	for (;;) {
		struct epoll_event ev = {.events = EPOLLIN};
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		if (nclients >= AMPD_MAX_CLIENTS) {
			static const char busy[] = AMPD_PROTO_TAG " err EBUSY too many clients";

			send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		nclients++;
	}
}

/* --- set-up -------------------------------------------------------------------------------- */

static int listen_on(const char *path, const char *group)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ampd: socket path too long: %s\n", path);
		exit(2);
	}
	strcpy(sa.sun_path, path);
	if (fd < 0) {
		perror("ampd: socket");
		exit(1);
	}
	/* A socket file left by a daemon that died goes; one with a daemon behind it stays. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		fprintf(stderr, "ampd: another ampd serves %s\n", path);
		exit(1);
	}
	unlink(path);
	/* Owner and group only, from the moment the file exists. */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, SOMAXCONN)) {
		fprintf(stderr, "ampd: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	umask(old);
	if (group) {
		struct group *g = getgrnam(group);

		if (!g || chown(path, (uid_t)-1, g->gr_gid)) {
			fprintf(stderr, "ampd: group %s: %s\n", group,
				g ? strerror(errno) : "no such group");
			unlink(path);
			exit(1);
		}
	}
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ampd [--socket PATH] [--group GROUP] [--firmware-dir DIR]\n"
		   "  --socket PATH      where to listen (default $AMPD_SOCKET, else %s)\n"
		   "  --group GROUP      the group allowed to connect besides the owner\n"
		   "  --firmware-dir DIR look for firmware there first\n",
		AMPD_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	const char *path = getenv("AMPD_SOCKET"), *group = NULL;
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t sigs;
	int i, ep, lfd, sfd;
	bool running = true;

	if (!path)
		path = AMPD_DEFAULT_SOCKET;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--group") && i + 1 < argc) {
			group = argv[++i];
		} else if (!strcmp(argv[i], "--firmware-dir") && i + 1 < argc) {
			if (rproc_firmware_path_add(argv[++i])) {
				fprintf(stderr, "ampd: cannot use firmware dir %s\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	/* The sample firmwares: the build tree's while it exists, else the installed ones. */
	rproc_firmware_path_add(AMPD_FIRMWARE_BUILD_DIR);
	rproc_firmware_path_add(AMPD_FIRMWARE_INSTALL_DIR);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	for (i = 0; i < NUM_PROCS; i++) {
		struct sim_config cfg = {.name = default_soc[i].name,
					 .firmware = default_soc[i].firmware, .cpu = -1};

		procs[i] = sim_rproc_create(&cfg);
		if (!procs[i] || rproc_register(procs[i])) {
			fprintf(stderr, "ampd: cannot set up %s\n", default_soc[i].name);
			return 1;
		}
	}
	lfd = listen_on(path, group);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = lfd;
	if (sfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
		perror("ampd");
		return 1;
	}
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	printf("ampd: ready on %s\n", path);
	fflush(stdout);

	while (running) {
		struct epoll_event got[32];
		int n = epoll_wait(ep, got, 32, -1);

		for (i = 0; i < n; i++) {
			if (got[i].data.fd == sfd)
				running = false;
			else if (got[i].data.fd == lfd)
				accept_clients(ep, lfd);
			else
				serve(ep, got[i].data.fd);
		}
	}
	/* A clean shutdown powers the processors off. */
	for (i = 0; i < NUM_PROCS; i++)
		sim_rproc_destroy(procs[i]);
	unlink(path);
	printf("ampd: stopped\n");
	return 0;
}
