/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ampd: owns the remote processors of one SoC and serves requests on a UNIX socket, one request
 * per SOCK_SEQPACKET packet (docs/ampd-protocol.md). A connection starts as a control
 * connection (ls, start, trace...); `watch` turns it into a stream of events, `open` into an
 * rpmsg endpoint, where each packet is one message each way (what Linux's rpmsg_char gives a
 * /dev/rpmsgN file).
 *
 * Threads: everything here runs in the main thread's epoll loop, except two callbacks the
 * library calls from its own threads: endpoint receive (the processor's notification thread:
 * it forwards the message to the client's socket without blocking) and channel/processor
 * events (queued for the main loop, which owns every client).
 *
 * Every request is checked; a bad one costs its client an error reply, a client that does not
 * read is dropped (or, on an endpoint, loses the messages that do not fit, counted), and
 * SIGTERM powers the processors off.
 * Tool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <amp/amp.h>
#include <amp/sim.h>

#include "ampd/ampd_proto.h"
#include "ampd/ampd_sockaddr.h"
#include "ampd/ampd_soc.h"
#include "os/os.h"

#define AMPD_DEFAULT_SOCKET "/run/ampd.sock"
#define AMPD_DEFAULT_COREDUMP_DIR "/var/lib/ampd"
#define AMPD_MAX_CLIENTS 256
#define EVENT_QUEUE 1024
#define RSC_MAX 16384 /* a loaded table larger than this is not dumped */
#define RETRY_MIN_MS 1
#define RETRY_MAX_MS 64

/* --- the processors ---------------------------------------------------------------------- */

struct dproc {
	struct rproc *rp;
	const struct ampd_soc_proc *cfg;
	bool coredump;
};

static struct ampd_soc soc;
static struct dproc procs[AMPD_SOC_MAX_PROCS];
static unsigned int num_procs;
static const char *coredump_dir = AMPD_DEFAULT_COREDUMP_DIR;

/* Whether a processor in @st runs firmware that channels and endpoints can live on. */
static bool is_up(enum rproc_state st)
{
	return st == RPROC_RUNNING || st == RPROC_ATTACHED;
}

static struct dproc *find(const char *name)
{
	unsigned int i;

	for (i = 0; i < num_procs; i++)
		if (!strcmp(rproc_name(procs[i].rp), name))
			return &procs[i];
	return NULL;
}

/* --- clients ------------------------------------------------------------------------------ */

enum mode { M_CONTROL, M_WATCH, M_ENDPOINT };

/* An endpoint a client opened; its fd is the client's connection. */
struct dept {
	struct rpmsg_endpoint *ept;
	struct dproc *proc;
	unsigned int vdev;
	char channel[RPMSG_NAME_SIZE];
	uint32_t ch_dst; /* the channel's remote address: the endpoint goes with that channel */
	uint64_t gen;    /* ev_gen when it was made: older events do not end it */
	bool ready;      /* atomic: the open reply is sent; until then the remote's messages
			  * are dropped, so that the client reads the reply first */
	uint32_t src, dst;
	int fd, mtu;
	uint64_t rx, rx_dropped; /* atomic: counted in the notification thread */
	uint64_t tx, tx_bad;
	int pending_len; /* a message waiting for a transmit buffer, or -1 */
	uint8_t *pending; /* mtu bytes */
};

struct client {
	int fd;
	enum mode mode;
	pid_t pid;
	uid_t uid;
	struct dept *dept;
	bool dead;     /* dropped: freed after the epoll batch that may still name it */
	struct client *next;
};

static struct client *clients, *graveyard;
static unsigned int nclients;
static int ep, retry_tfd;
static unsigned int retry_ms;

/* Counts channel and processor events as the library reports them (channel ones under its bus
 * lock, as endpoints are made): an event queued before an endpoint was made, and handled
 * after, must not end it (a channel withdrawn and announced again in between). */
static uint64_t ev_gen;

/* epoll keys of the fds that are not clients */
static char key_listen, key_signal, key_events, key_retry;

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

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "-";
}

static void describe(struct resp *r, struct dproc *d)
{
	struct rproc *p = d->rp;

	resp_add(r, "\nproc name=%s state=%s firmware=", rproc_name(p),
		 rproc_state_name(rproc_get_state(p)));
	add_word(r, base_name(rproc_get_firmware(p)), 256);
	resp_add(r, " crashes=%u recovery=%s notify=%s cpu=%d coredump=%s", rproc_crash_count(p),
		 rproc_recovery_enabled(p) ? "on" : "off",
		 d->cfg->notify == SIM_NOTIFY_POLL ? "poll" : "mailbox", d->cfg->cpu,
		 d->coredump ? "on" : "off");
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

/* The loaded table's bytes as hex, for the client to check and decode (ampctl rsc): the daemon
 * does not interpret what the remote may have written there. */
static void add_rsc(struct resp *r, struct rproc *p)
{
	static uint8_t table[RSC_MAX];
	uint64_t da = 0;
	int n = rproc_copy_loaded_table(p, table, sizeof(table), &da), i;

	if (n < 0) {
		resp_err(r, n,
			 n == -AMP_ENOSPC ? "the loaded table is larger than 16 KiB"
					  : "no loaded resource table (the processor is off, or "
					    "its firmware has none)");
		return;
	}
	resp_add(r, "\nrsc da=0x%llx size=%d", (unsigned long long)da, n);
	for (i = 0; i < n; i++)
		resp_add(r, "%s%02x", i % 64 ? "" : "\nhex ", table[i]);
}

static void add_coredump(struct resp *r, struct dproc *d)
{
	char last[512];

	resp_add(r, "\ncoredump proc=%s mode=%s dir=", rproc_name(d->rp), d->coredump ? "on" : "off");
	add_word(r, coredump_dir, 4096);
	resp_add(r, " last=");
	if (rproc_last_coredump(d->rp, last, sizeof(last)) > 0)
		add_word(r, last, sizeof(last));
	else
		resp_add(r, "-");
}

static void add_endpoint_line(struct resp *r, const struct client *c)
{
	const struct dept *e = c->dept;

	resp_add(r, "\nendpoint proc=%s vdev=%u channel=", rproc_name(e->proc->rp), e->vdev);
	add_word(r, e->channel, sizeof(e->channel));
	resp_add(r, " src=0x%x dst=0x%x mtu=%d pid=%d rx=%llu tx=%llu rx_dropped=%llu tx_bad=%llu",
		 e->src, e->dst, e->mtu, (int)c->pid,
		 (unsigned long long)__atomic_load_n(&e->rx, __ATOMIC_RELAXED),
		 (unsigned long long)e->tx,
		 (unsigned long long)__atomic_load_n(&e->rx_dropped, __ATOMIC_RELAXED),
		 (unsigned long long)e->tx_bad);
}

static void add_topology(struct resp *r, struct dproc *only)
{
	struct client *c;
	unsigned int i;

	for (i = 0; i < num_procs; i++) {
		if (only && only != &procs[i])
			continue;
		describe(r, &procs[i]);
		rproc_for_each_channel(procs[i].rp, add_channel, r);
		for (c = clients; c; c = c->next)
			if (c->mode == M_ENDPOINT && c->dept->proc == &procs[i])
				add_endpoint_line(r, c);
	}
}

/* --- endpoints ---------------------------------------------------------------------------- */

/* The notification thread: forward to the client without waiting. A client that does not read
 * loses what does not fit in its socket (counted), as a datagram socket would: the remote's
 * buffer goes back at once and the other endpoints keep flowing. */
static void ept_rx(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	struct dept *e = priv;

	(void)rpdev;
	(void)src;
	/* An empty packet would read as the end of the endpoint: such a message is dropped. */
	if (len > 0 && __atomic_load_n(&e->ready, __ATOMIC_ACQUIRE) && send(e->fd, data, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) == len)
		__atomic_add_fetch(&e->rx, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&e->rx_dropped, 1, __ATOMIC_RELAXED);
}

struct open_walk {
	const struct ampd_req *q;
	struct dept *e;
	bool found;
};

/* Runs with the bus lock held: the channel cannot go while its endpoint is made. */
static void open_on_channel(struct rpmsg_channel *ch, unsigned int index, void *arg)
{
	struct open_walk *w = arg;

	if (w->found || strncmp(ch->name, w->q->arg, sizeof(ch->name)))
		return;
	w->found = true;
	w->e->ept = rpmsg_create_ept(ch, ept_rx, w->e, w->q->src);
	if (!w->e->ept)
		return;
	w->e->vdev = index;
	w->e->ch_dst = ch->dst;
	w->e->gen = __atomic_load_n(&ev_gen, __ATOMIC_SEQ_CST);
	w->e->dst = w->q->dst != AMPD_ADDR_ANY ? w->q->dst : ch->dst;
	w->e->src = rpmsg_ept_addr(w->e->ept);
	w->e->mtu = rpmsg_get_mtu(w->e->ept);
	snprintf(w->e->channel, sizeof(w->e->channel), "%s", ch->name);
}

static void open_endpoint(struct client *c, struct dproc *d, const struct ampd_req *q,
			  struct resp *r)
{
	struct dept *e = calloc(1, sizeof(*e));
	struct open_walk w = {q, e, false};

	if (!e) {
		resp_err(r, -AMP_ENOMEM, "out of memory");
		return;
	}
	e->fd = c->fd;
	e->proc = d;
	e->pending_len = -1;
	rproc_for_each_channel(d->rp, open_on_channel, &w);
	if (!e->ept) {
		free(e);
		if (!w.found)
			resp_err(r, -AMP_ENOENT,
				 "no such channel on that processor (ampctl channels lists them)");
		else if (q->src != AMPD_ADDR_ANY)
			resp_err(r, -AMP_EADDRINUSE, "that source address is taken");
		else
			resp_err(r, -AMP_ENOMEM,
				 "no endpoint could be made (out of memory, or the device went)");
		return;
	}
	e->pending = malloc((size_t)e->mtu);
	if (!e->pending) {
		rpmsg_destroy_ept(e->ept);
		free(e);
		resp_err(r, -AMP_ENOMEM, "out of memory");
		return;
	}
	c->dept = e;
	c->mode = M_ENDPOINT;
	resp_add(r, "\nendpoint proc=%s vdev=%u channel=%s src=0x%x dst=0x%x mtu=%d",
		 rproc_name(d->rp), e->vdev, e->channel, e->src, e->dst, e->mtu);
	amp_log(AMP_LOG_INFO, "ampd: pid %d opened %s/%s (0x%x -> 0x%x)", (int)c->pid,
		rproc_name(d->rp), e->channel, e->src, e->dst);
}

static void arm_retry(void)
{
	struct itimerspec its = {.it_value = {.tv_nsec = (long)retry_ms * 1000000L}};

	timerfd_settime(retry_tfd, 0, &its, NULL);
}

static void set_reading(struct client *c, bool on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.ptr = c};

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void drop(struct client *c);

/* Send the endpoint's pending message; false when it still waits for a transmit buffer. */
static bool ept_flush(struct client *c)
{
	struct dept *e = c->dept;
	int ret;

	ret = rpmsg_ept_sendto(e->ept, e->dst, e->pending, e->pending_len, 0);
	if (ret == -AMP_ENOMEM)
		return false;
	e->pending_len = -1;
	if (ret) {
		/* The remote stopped, crashed or broke its ring: the endpoint is dead. */
		amp_log(AMP_LOG_INFO, "ampd: %s/%s: send failed (%s): endpoint closed",
			rproc_name(e->proc->rp), e->channel, amp_errname(ret));
		drop(c);
		return true;
	}
	e->tx++;
	return true;
}

/*
 * A message from the client. Without a free transmit buffer (the remote is slow to return
 * them) the message waits and the client is not read meanwhile: its socket fills and its
 * writes block, which is the back-pressure a /dev/rpmsgN writer gets. The daemon retries on a
 * timer with back-off, never blocking the loop.
 */
static void ept_client_msg(struct client *c, uint32_t events)
{
	struct dept *e = c->dept;
	ssize_t n;

	/* Not reading (a message waits for a buffer): only a hang-up is reported, and the
	 * client that hung up has no use for its message any more. */
	if (e->pending_len >= 0) {
		if (events & (EPOLLHUP | EPOLLERR))
			drop(c);
		return;
	}
	n = recv(c->fd, e->pending, (size_t)e->mtu, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(c);
		return;
	}
	if (n > e->mtu) {
		e->tx_bad++; /* datagram semantics: an oversized message is not cut, it is dropped */
		return;
	}
	e->pending_len = (int)n;
	if (ept_flush(c))
		return;
	set_reading(c, false);
	if (!retry_ms) {
		retry_ms = RETRY_MIN_MS;
		arm_retry();
	}
}

static void retry_pending(void)
{
	struct client *c, *next;
	bool waiting = false, progress = false;
	uint64_t ticks;

	if (read(retry_tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	for (c = clients; c; c = next) {
		next = c->next;
		if (c->mode != M_ENDPOINT || c->dept->pending_len < 0)
			continue;
		if (ept_flush(c)) {
			progress = true;
			if (!c->dead)
				set_reading(c, true);
		} else {
			waiting = true;
		}
	}
	if (!waiting) {
		retry_ms = 0;
		return;
	}
	retry_ms = progress ? RETRY_MIN_MS : retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : retry_ms * 2;
	arm_retry();
}

/* --- requests ----------------------------------------------------------------------------- */

static int set_coredump(struct dproc *d, bool on)
{
	int ret = rproc_set_coredump(d->rp, on ? RPROC_COREDUMP_ENABLED : RPROC_COREDUMP_DISABLED,
				     coredump_dir);

	if (!ret)
		d->coredump = on;
	return ret;
}

static void handle(struct client *c, const struct ampd_req *q, struct resp *r)
{
	struct dproc *d = NULL;
	struct rproc *p = NULL;
	unsigned int i;
	int ret = 0;

	r->len = 0;
	resp_add(r, "%s ok", AMPD_PROTO_TAG);
	if (q->name[0]) {
		if (!(d = find(q->name))) {
			resp_err(r, -AMP_ENOENT, "no processor by that name (ampctl ls lists them)");
			return;
		}
		p = d->rp;
	}
	switch (q->verb) {
	case AMPD_VERSION:
		resp_add(r, "\nprotocol %s\nampd %s", AMPD_PROTO_TAG, AMPD_VERSION_STRING);
		break;
	case AMPD_LS:
		for (i = 0; i < num_procs; i++)
			describe(r, &procs[i]);
		break;
	case AMPD_STATUS:
		describe(r, d);
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
		if (!is_up(rproc_get_state(p))) {
			resp_err(r, -AMP_EINVAL, "only a running processor can be crashed");
			return;
		}
		rproc_report_crash(p, RPROC_FATAL_ERROR);
		break;
	case AMPD_RECOVERY:
		if (q->sw == AMPD_SW_NOW) {
			if (rproc_get_state(p) != RPROC_CRASHED) {
				resp_err(r, -AMP_EINVAL, "only a crashed processor can be recovered");
				return;
			}
			ret = rproc_trigger_recovery(p);
		} else {
			rproc_set_recovery(p, q->sw == AMPD_SW_ON);
		}
		break;
	case AMPD_TRACE:
		add_trace(r, p);
		break;
	case AMPD_CHANNELS:
		rproc_for_each_channel(p, add_channel, r);
		break;
	case AMPD_FIRMWARE:
		if (q->arg[0] && (ret = rproc_set_firmware(p, q->arg)) == -AMP_EBUSY) {
			resp_err(r, ret, "the firmware can only be changed while offline (stop first)");
			return;
		}
		if (!ret) {
			resp_add(r, "\nfirmware proc=%s file=", rproc_name(p));
			add_word(r, base_name(rproc_get_firmware(p)), 256);
		}
		break;
	case AMPD_COREDUMP:
		if (q->sw != AMPD_SW_NONE && (ret = set_coredump(d, q->sw == AMPD_SW_ON)) == -AMP_EBUSY) {
			resp_err(r, ret, "cannot change while crashed (recover first)");
			return;
		}
		if (!ret)
			add_coredump(r, d);
		break;
	case AMPD_RSC:
		add_rsc(r, p);
		break;
	case AMPD_TOPOLOGY:
		add_topology(r, d);
		break;
	case AMPD_WATCH:
		c->mode = M_WATCH;
		break;
	case AMPD_OPEN:
		if (!is_up(rproc_get_state(p))) {
			resp_err(r, -AMP_ENODEV, "the processor is not running (ampctl start NAME)");
			return;
		}
		open_endpoint(c, d, q, r);
		break;
	default:
		ret = -AMP_EINVAL;
		break;
	}
	if (ret)
		resp_err(r, ret, amp_strerror(ret));
}

/* --- events from the library's threads, handled in the main loop ------------------------- */

enum ev_kind { EV_STATE, EV_CRASH, EV_CHANNEL_UP, EV_CHANNEL_DOWN };

struct event {
	enum ev_kind kind;
	uint64_t gen;
	struct dproc *proc;
	enum rproc_state state;
	unsigned int crashes;
	unsigned int vdev;
	char channel[RPMSG_NAME_SIZE];
	uint32_t src, dst;
};

static struct amp_mutex ev_lock = AMP_MUTEX_INITIALIZER;
static struct event ev_queue[EVENT_QUEUE];
static unsigned int ev_head, ev_count, ev_lost; /* guarded by ev_lock */
static int ev_fd;

static void ev_push(const struct event *ev)
{
	uint64_t one = 1;

	amp_mutex_lock(&ev_lock);
	if (ev_count == EVENT_QUEUE) {
		ev_lost++;
	} else {
		ev_queue[(ev_head + ev_count) % EVENT_QUEUE] = *ev;
		ev_count++;
	}
	amp_mutex_unlock(&ev_lock);
	if (write(ev_fd, &one, sizeof(one)) < 0) {
		/* only EAGAIN (the counter is full): the loop is awake anyway */
	}
}

static void on_rproc_event(struct rproc *rp, enum rproc_event event, void *priv)
{
	struct event ev = {.proc = priv, .state = rproc_get_state(rp),
			   .crashes = rproc_crash_count(rp),
			   .gen = __atomic_add_fetch(&ev_gen, 1, __ATOMIC_SEQ_CST)};

	(void)rp;
	if (event == RPROC_EVENT_STATE)
		ev.kind = EV_STATE;
	else if (event == RPROC_EVENT_CRASH)
		ev.kind = EV_CRASH;
	else
		return;
	ev_push(&ev);
}

/* Bus lock held, in whatever thread adds or removes the channel: copy and queue. */
static void on_channel(struct rpmsg_channel *ch, enum rpmsg_channel_event what, void *priv)
{
	const char *dev = rpmsg_device_name(ch), *slash = strchr(dev, '/');
	struct event ev = {.kind = what == RPMSG_CHANNEL_UP ? EV_CHANNEL_UP : EV_CHANNEL_DOWN,
			   .src = ch->src, .dst = ch->dst,
			   .gen = __atomic_add_fetch(&ev_gen, 1, __ATOMIC_SEQ_CST)};
	char name[AMPD_NAME_MAX + 1];
	unsigned int i;

	(void)priv;
	if (!slash || (size_t)(slash - dev) > AMPD_NAME_MAX)
		return;
	memcpy(name, dev, (size_t)(slash - dev));
	name[slash - dev] = 0;
	for (i = 0; i < num_procs; i++)
		if (!strcmp(rproc_name(procs[i].rp), name))
			ev.proc = &procs[i];
	if (!ev.proc || sscanf(slash + 1, "vdev%u", &ev.vdev) != 1)
		return;
	memcpy(ev.channel, ch->name, sizeof(ev.channel));
	ev.channel[sizeof(ev.channel) - 1] = 0;
	ev_push(&ev);
}

static void format_event(struct resp *r, const struct event *ev)
{
	r->len = 0;
	r->overflow = false;
	resp_add(r, "%s event ", AMPD_PROTO_TAG);
	switch (ev->kind) {
	case EV_STATE:
		resp_add(r, "state proc=%s state=%s", rproc_name(ev->proc->rp),
			 rproc_state_name(ev->state));
		break;
	case EV_CRASH:
		resp_add(r, "crash proc=%s crashes=%u", rproc_name(ev->proc->rp), ev->crashes);
		break;
	case EV_CHANNEL_UP:
	case EV_CHANNEL_DOWN:
		resp_add(r, "%s proc=%s vdev=%u name=",
			 ev->kind == EV_CHANNEL_UP ? "channel-up" : "channel-down",
			 rproc_name(ev->proc->rp), ev->vdev);
		add_word(r, ev->channel, sizeof(ev->channel));
		resp_add(r, " src=0x%x dst=0x%x", ev->src, ev->dst);
		break;
	}
}

/* Endpoints end with their channel, or with their processor's run. */
static bool event_ends(const struct event *ev, const struct dept *e)
{
	if (e->proc != ev->proc || ev->gen <= e->gen)
		return false;
	if (ev->kind == EV_STATE)
		return !is_up(ev->state);
	return ev->kind == EV_CHANNEL_DOWN && ev->vdev == e->vdev && ev->dst == e->ch_dst &&
	       !strcmp(ev->channel, e->channel);
}

static void broadcast(const struct resp *r)
{
	struct client *c, *next;

	for (c = clients; c; c = next) {
		next = c->next;
		/* A watcher that does not read goes: the others must not wait for it. */
		if (c->mode == M_WATCH &&
		    send(c->fd, r->buf, r->len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)r->len)
			drop(c);
	}
}

struct find_walk {
	const struct dept *e;
	bool found;
};

static void find_channel(struct rpmsg_channel *ch, unsigned int index, void *arg)
{
	struct find_walk *w = arg;

	if (index == w->e->vdev && ch->dst == w->e->ch_dst &&
	    !strncmp(ch->name, w->e->channel, sizeof(ch->name)))
		w->found = true;
}

/* After lost events: every endpoint whose channel or processor is gone is closed now. */
static void recheck_endpoints(void)
{
	struct client *c, *next;

	for (c = clients; c; c = next) {
		struct find_walk w = {c->mode == M_ENDPOINT ? c->dept : NULL, false};
		next = c->next;
		if (!w.e)
			continue;
		if (is_up(rproc_get_state(w.e->proc->rp)))
			rproc_for_each_channel(w.e->proc->rp, find_channel, &w);
		if (!w.found)
			drop(c);
	}
}

static void handle_events(void)
{
	static struct resp r;
	struct client *c, *next;
	unsigned int lost, budget;
	struct event ev;
	uint64_t n, one = 1;

	if (read(ev_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	amp_mutex_lock(&ev_lock);
	budget = ev_count;
	lost = ev_lost;
	ev_lost = 0;
	amp_mutex_unlock(&ev_lock);
	if (lost) {
		r.len = 0;
		resp_add(&r, "%s event lost count=%u", AMPD_PROTO_TAG, lost);
		amp_log(AMP_LOG_WARN, "ampd: %u events lost (the queue was full)", lost);
		broadcast(&r);
		recheck_endpoints();
	}
	while (budget--) {
		amp_mutex_lock(&ev_lock);
		ev = ev_queue[ev_head];
		ev_head = (ev_head + 1) % EVENT_QUEUE;
		ev_count--;
		amp_mutex_unlock(&ev_lock);
		format_event(&r, &ev);
		amp_log(AMP_LOG_INFO, "ampd: %s", r.buf + sizeof(AMPD_PROTO_TAG " event"));
		broadcast(&r);
		for (c = clients; c; c = next) {
			next = c->next;
			if (c->mode == M_ENDPOINT && event_ends(&ev, c->dept))
				drop(c);
		}
	}
	/* What came meanwhile waits for the next turn of the loop: a remote that floods the
	 * queue does not keep the clients waiting. */
	amp_mutex_lock(&ev_lock);
	budget = ev_count + ev_lost;
	amp_mutex_unlock(&ev_lock);
	if (budget && write(ev_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the loop is woken anyway */
	}
}

/* --- connections ---------------------------------------------------------------------------- */

static int listen_fd = -1;
static bool listen_paused;

static void set_listening(bool on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.ptr = &key_listen};

	if (listen_paused == !on)
		return;
	listen_paused = !on;
	epoll_ctl(ep, EPOLL_CTL_MOD, listen_fd, &ev);
	if (!on)
		amp_log(AMP_LOG_WARN, "ampd: out of file descriptors: not accepting until a client "
				      "goes");
}

static void drop(struct client *c)
{
	struct client **pp;

	for (pp = &clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->dept) {
		/* No callback forwards to the fd once this returns: then it may close. */
		rpmsg_destroy_ept(c->dept->ept);
		free(c->dept->pending);
		free(c->dept);
		c->dept = NULL;
	}
	close(c->fd);
	c->dead = true;
	c->next = graveyard;
	graveyard = c;
	nclients--;
	set_listening(true);
}

static void free_dropped(void)
{
	while (graveyard) {
		struct client *c = graveyard;

		graveyard = c->next;
		free(c);
	}
}

/* One packet from a control or watch client: answer it, or drop the client. */
static void serve(struct client *c)
{
	static char buf[AMPD_REQ_MAX + 1];
	static struct resp r;
	struct ampd_req q;
	const char *why;
	ssize_t n;
	int ret;

	/* MSG_TRUNC: the packet's real length, so that an oversized one is told so. */
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(c);
		return;
	}
	r.overflow = false;
	ret = ampd_req_parse(buf, (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n, &q, &why);
	if ((size_t)n > AMPD_REQ_MAX)
		resp_err(&r, -AMP_EMSGSIZE, "request longer than 256 bytes");
	else if (ret)
		resp_err(&r, ret, why);
	else if (c->mode == M_WATCH)
		resp_err(&r, -AMP_EPROTO,
			 "this connection carries events only (it sent watch): open another one "
			 "for requests");
	else
		handle(c, &q, &r);
	if (r.overflow)
		resp_err(&r, -AMP_ENOBUFS, "response too large");
	/* A client whose socket is full is not reading: it goes, the others do not wait. */
	if (send(c->fd, r.buf, r.len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)r.len)
		drop(c);
	else if (c->dept)
		__atomic_store_n(&c->dept->ready, true, __ATOMIC_RELEASE);
}

static void accept_clients(int lfd)
{
	for (;;) {
		struct epoll_event ev = {.events = EPOLLIN};
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ucred cred = {0};
		socklen_t clen = sizeof(cred);
		struct client *c;

		if (fd < 0) {
			/* Out of fds: the listener stays readable, so stop watching it until a
			 * client goes (drop()), rather than spin. */
			if (errno == EMFILE || errno == ENFILE)
				set_listening(false);
			return;
		}
		if (nclients >= AMPD_MAX_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
			static const char busy[] = AMPD_PROTO_TAG " err EBUSY too many clients";

			send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
		c->fd = fd;
		c->pid = cred.pid;
		c->uid = cred.uid;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = clients;
		clients = c;
		nclients++;
	}
}

/* --- set-up -------------------------------------------------------------------------------- */

static int listen_on(const char *path, const char *group)
{
	struct ampd_sockaddr addr;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ret = ampd_sockaddr_init(&addr, path);
	mode_t old;

	if (ret == -ENAMETOOLONG) {
		fprintf(stderr,
			"ampd: socket %s: too long (a path over %zu bytes is reached through its "
			"directory, which needs /proc and a file name of at most 80 bytes): "
			"choose a shorter one\n",
			path, sizeof(addr.sa.sun_path) - 1);
		exit(2);
	}
	if (ret) {
		fprintf(stderr, "ampd: socket %s: %s\n", path, strerror(-ret));
		exit(2);
	}
	if (fd < 0) {
		perror("ampd: socket");
		exit(1);
	}
	/* A socket file left by a daemon that died goes; one with a daemon behind it stays. */
	if (connect(fd, (struct sockaddr *)&addr.sa, sizeof(addr.sa)) == 0) {
		fprintf(stderr, "ampd: another ampd serves %s\n", path);
		exit(1);
	}
	unlink(path);
	/* Owner and group only, from the moment the file exists. */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&addr.sa, sizeof(addr.sa)) || listen(fd, SOMAXCONN)) {
		fprintf(stderr, "ampd: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	umask(old);
	ampd_sockaddr_release(&addr);
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

static void log_syslog(enum amp_log_level level, const char *msg, void *priv)
{
	(void)priv;
	syslog((int)level, "%s", msg);
}

static int parse_level(const char *s, enum amp_log_level *out)
{
	static const struct {
		const char *name;
		enum amp_log_level level;
	} levels[] = {{"err", AMP_LOG_ERR}, {"warn", AMP_LOG_WARN}, {"info", AMP_LOG_INFO},
		      {"debug", AMP_LOG_DEBUG}};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (!strcmp(s, levels[i].name)) {
			*out = levels[i].level;
			return 0;
		}
	}
	return -1;
}

/* The SoC description: a compiled Devicetree (dtc -O dtb), read whole and checked. */
static void load_soc(const char *file)
{
	static uint64_t blob[(1 << 20) / 8]; /* libfdt wants 8-byte alignment */
	cpu_set_t allowed;
	unsigned int i;
	char why[256];
	FILE *f = fopen(file, "rb");
	size_t n = f ? fread(blob, 1, sizeof(blob), f) : 0;
	int ret;

	if (!f || ferror(f) || !feof(f)) {
		fprintf(stderr, "ampd: %s: %s\n", file,
			!f ? strerror(errno) : ferror(f) ? "read error" : "larger than 1 MiB");
		exit(2);
	}
	fclose(f);
	ret = ampd_soc_parse(blob, n, &soc, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "ampd: %s: %s\n", file, why);
		exit(2);
	}
	/* The description is checked on its own; whether its CPUs are ours to use (they exist,
	 * and the daemon's cpuset allows them) is this machine's business. */
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		CPU_ZERO(&allowed);
	for (i = 0; i < soc.num_procs; i++) {
		int cpu = soc.procs[i].cpu;

		if (cpu >= 0 && (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))) {
			fprintf(stderr,
				"ampd: %s: %s: amp,cpu %d, but this machine lets ampd use only %d "
				"CPUs (see nproc, taskset -p)\n",
				file, soc.procs[i].name, cpu, CPU_COUNT(&allowed));
			exit(2);
		}
	}
}

/* Every processor exists before the first is registered: registering may boot one (auto-boot),
 * whose threads then read the table the library's callbacks look names up in. */
static void setup_procs(void)
{
	unsigned int i;

	for (i = 0; i < soc.num_procs; i++) {
		const struct ampd_soc_proc *sp = &soc.procs[i];
		struct sim_config cfg = {.name = sp->name, .firmware = sp->firmware, .cpu = sp->cpu,
					 .ram_da = sp->ram_da, .ram_len = sp->ram_len,
					 .pool_da = sp->pool_da, .pool_len = sp->pool_len,
					 .watchdog_ms = sp->watchdog_ms, .notify = sp->notify};
		struct dproc *d = &procs[i];

		d->cfg = sp;
		d->rp = sim_rproc_create(&cfg);
		if (!d->rp) {
			fprintf(stderr, "ampd: cannot set up %s\n", sp->name);
			exit(1);
		}
		rproc_set_recovery(d->rp, sp->recovery);
		rproc_set_auto_boot(d->rp, sp->auto_boot);
		rproc_set_event_cb(d->rp, on_rproc_event, d);
	}
	num_procs = soc.num_procs;
	for (i = 0; i < num_procs; i++) {
		if (rproc_register(procs[i].rp)) {
			fprintf(stderr, "ampd: cannot register %s\n", rproc_name(procs[i].rp));
			exit(1);
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ampd [OPTIONS]\n"
		"  --soc FILE.dtb       the SoC's description (a compiled Devicetree, see\n"
		"                       docs/ampd-soc.md); default: two simulated processors\n"
		"  --socket PATH        where to listen (default $AMPD_SOCKET, else %s)\n"
		"  --group GROUP        the group allowed to connect besides the owner\n"
		"  --firmware-dir DIR   look for firmware there first\n"
		"  --coredump-dir DIR   where coredumps go when enabled (default %s)\n"
		"  --syslog             log to syslog (daemon facility) instead of stderr\n"
		"  --log-level LEVEL    err, warn, info (default) or debug\n"
		"ampd runs in the foreground (as a systemd simple service); SIGTERM powers the\n"
		"processors off and exits.\n",
		AMPD_DEFAULT_SOCKET, AMPD_DEFAULT_COREDUMP_DIR);
}

static void add_fd(int fd, void *key)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = key};

	if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		perror("ampd");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *path = getenv("AMPD_SOCKET"), *group = NULL, *soc_file = NULL;
	enum amp_log_level level = AMP_LOG_INFO;
	bool running = true, use_syslog = false;
	sigset_t sigs;
	int i, lfd, sfd;

	if (!path)
		path = AMPD_DEFAULT_SOCKET;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(opt, "--syslog")) {
			use_syslog = true;
			continue;
		} else if (!val) {
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(opt, "--socket")) {
			path = val;
		} else if (!strcmp(opt, "--group")) {
			group = val;
		} else if (!strcmp(opt, "--soc")) {
			soc_file = val;
		} else if (!strcmp(opt, "--coredump-dir")) {
			coredump_dir = val;
		} else if (!strcmp(opt, "--log-level")) {
			if (parse_level(val, &level)) {
				fprintf(stderr, "ampd: log levels are err, warn, info, debug\n");
				return 2;
			}
		} else if (!strcmp(opt, "--firmware-dir")) {
			if (rproc_firmware_path_add(val)) {
				fprintf(stderr, "ampd: cannot use firmware dir %s\n", val);
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (use_syslog) {
		openlog("ampd", LOG_PID, LOG_DAEMON);
		amp_log_set_handler(log_syslog, NULL);
	}
	amp_log_set_level(level);
	if (soc_file)
		load_soc(soc_file);
	else
		ampd_soc_default(&soc);
	/* The sample firmwares: the build tree's while it exists, else the installed ones. */
	rproc_firmware_path_add(AMPD_FIRMWARE_BUILD_DIR);
	rproc_firmware_path_add(AMPD_FIRMWARE_INSTALL_DIR);

	/* Every send to a client says MSG_NOSIGNAL; this covers stdout read by a pipe that went. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	retry_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("ampd");
		return 1;
	}
	add_fd(sfd, &key_signal);
	add_fd(ev_fd, &key_events);
	add_fd(retry_tfd, &key_retry);
	rpmsg_set_channel_watch(on_channel, NULL);
	setup_procs();
	lfd = listen_fd = listen_on(path, group);
	add_fd(lfd, &key_listen);
	amp_log(AMP_LOG_INFO, "ampd: %u processors, listening on %s", num_procs, path);
	printf("ampd: ready on %s\n", path);
	fflush(stdout);

	while (running) {
		struct epoll_event got[32];
		int n = epoll_wait(ep, got, 32, -1);

		for (i = 0; i < n; i++) {
			void *key = got[i].data.ptr;

			if (key == &key_signal)
				running = false;
			else if (key == &key_listen)
				accept_clients(lfd);
			else if (key == &key_events)
				handle_events();
			else if (key == &key_retry)
				retry_pending();
			else if (((struct client *)key)->dead)
				continue;
			else if (((struct client *)key)->mode == M_ENDPOINT)
				ept_client_msg(key, got[i].events);
			else
				serve(key);
		}
		free_dropped();
	}
	/* A clean shutdown: the processors off while the watchers still hear of it, then the
	 * clients (an endpoint's callback writes to its client's fd until it is destroyed), then
	 * the processors freed. */
	for (i = 0; i < (int)num_procs; i++)
		while (rproc_power_count(procs[i].rp) && !rproc_shutdown(procs[i].rp))
			;
	handle_events();
	while (clients)
		drop(clients);
	free_dropped();
	rpmsg_set_channel_watch(NULL, NULL);
	for (i = 0; i < (int)num_procs; i++)
		sim_rproc_destroy(procs[i].rp);
	unlink(path);
	amp_log(AMP_LOG_INFO, "ampd: stopped");
	printf("ampd: stopped\n");
	return 0;
}
