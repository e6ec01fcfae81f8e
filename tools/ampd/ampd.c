/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ampd: owns the remote processors of one SoC and serves requests on a UNIX socket, one request
 * per SOCK_SEQPACKET packet (docs/ampd-protocol.md). A connection starts as a control
 * connection (ls, start, trace...); `watch` turns it into a stream of events, `open` into an
 * rpmsg endpoint, where each packet is one message each way (what Linux's rpmsg_char gives a
 * /dev/rpmsgN file).
 *
 * Threads: the main thread's epoll loop owns every client and never waits. What takes a
 * processor's locks (start, stop, recovery, the firmware, a trace, the channels, opening an
 * endpoint) is handed to that processor's worker thread, because a boot or a stop holds those
 * locks for as long as it takes (a slow firmware file, a core that is slow to die): the worker
 * runs the requests of its processor one after the other and hands each response back to the
 * loop to send; the loop serves everyone else meanwhile. The library calls two
 * callbacks from its own threads: endpoint receive (the processor's notification thread: it
 * forwards the message to the client's socket without blocking) and channel/processor events
 * (queued for the main loop).
 *
 * Every request is checked; a bad one costs its client an error reply, a client that does not
 * read is dropped (or, on an endpoint, loses the messages that do not fit, counted), a control
 * connection that sends no request for --idle-timeout seconds is closed, one user (uid) holds
 * at most --max-clients-per-uid of the connections, and SIGTERM powers the processors off.
 * Tool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
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
#include <time.h>
#include <unistd.h>

#include <amp/amp.h>
#include <amp/qemu_m4.h>
#include <amp/shm.h>
#include <amp/sim.h>

#include "ampd/ampd_proto.h"
#include "ampd/ampd_sockaddr.h"
#include "ampd/ampd_soc.h"
#include "os/os.h"

#define AMPD_DEFAULT_SOCKET "/run/ampd.sock"
#define AMPD_DEFAULT_COREDUMP_DIR "/var/lib/ampd"
#define AMPD_DEFAULT_MAX_CLIENTS 256
#define AMPD_MAX_CLIENTS_LIMIT 4096 /* --max-clients: at most this (each is a file descriptor) */
#define AMPD_DEFAULT_IDLE_S 10
#define AMPD_IDLE_LIMIT_S 86400
#define EVENT_QUEUE 1024
#define RSC_MAX 16384 /* a loaded table larger than this is not dumped */
#define RETRY_MIN_MS 1
#define RETRY_MAX_MS 64
/* An endpoint client's messages taken per system call: a streaming client then costs the loop
 * one recvmmsg() per this many messages instead of a wake and a recv() each. */
#define EPT_BATCH 16
/* ... but no more slots than fit in this many bytes (at least one): a device with 64 KiB
 * buffers keeps one message per client, as before, not a megabyte. */
#define EPT_BATCH_BYTES (EPT_BATCH * 512)
/* Reads of a client per wake of the loop, while each comes back full and is all sent: no
 * client holds the loop longer than EPT_READS * EPT_BATCH sends before the others are
 * served. */
#define EPT_READS 4

/* --- the processors ---------------------------------------------------------------------- */

struct job;

struct dproc {
	struct rproc *rp;
	const struct ampd_soc_proc *cfg;
	bool coredump;      /* atomic: set by the worker, shown by the loop */
	char firmware[256]; /* the loop's copy of the firmware name, for ls: the library's string
			     * is freed by a change, which the worker makes */
	/* The worker: the requests that take this processor's locks, one at a time, in the
	 * order they came (a stop asked during a start runs after it). */
	struct amp_thread worker;
	struct amp_mutex lock; /* guards queue, queue_tail, quit */
	struct amp_cond cond;
	struct job *queue, **queue_tail;
	bool quit;
	bool worker_started;
	/* Why its last start or recovery, or work in the background (an auto-boot, automatic
	 * recovery), failed, with what to do about it; "" since it came up or went down as asked.
	 * Written by its worker and by the library's event callback, read by ls and status. */
	struct amp_mutex err_lock; /* a leaf: held only to copy */
	char error[1024];
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
	/* The client's messages taken by the last read and not yet sent (they wait for transmit
	 * buffers): entries next..count-1 of len[] (-1: an oversized one, dropped) and of
	 * buf, @slots (up to EPT_BATCH) of mtu bytes. The client is not read while any waits. */
	unsigned int next, count, slots;
	int len[EPT_BATCH];
	uint8_t *buf;
};

struct client {
	int fd;
	enum mode mode;
	pid_t pid;
	uid_t uid;
	struct dept *dept;
	struct job *job; /* a request a worker runs: until it is answered the fd is out of the
			  * epoll set (the next request waits in the socket) and the client is
			  * never dropped */
	/* A control connection between requests is in the idle list, oldest deadline first. */
	uint64_t idle_deadline_ns;
	struct client *idle_prev, *idle_next;
	bool idle_listed;
	bool dead;     /* dropped: freed after the epoll batch that may still name it */
	struct client *next;
};

static struct client *clients, *graveyard;
static unsigned int nclients;
static int ep, retry_tfd, idle_tfd;
static unsigned int retry_ms;

/* Limits against clients that hold connections (--max-clients, --max-clients-per-uid,
 * --idle-timeout). */
static unsigned int max_clients = AMPD_DEFAULT_MAX_CLIENTS, max_per_uid;
static uint64_t idle_ns = (uint64_t)AMPD_DEFAULT_IDLE_S * AMP_NSEC_PER_SEC;
static struct client *idle_head, *idle_tail;

/* Counts channel and processor events as the library reports them (channel ones under its bus
 * lock, as endpoints are made): an event queued before an endpoint was made, and handled
 * after, must not end it (a channel withdrawn and announced again in between). */
static uint64_t ev_gen;

/* epoll keys of the fds that are not clients */
static char key_listen, key_signal, key_events, key_retry, key_done, key_idle;

/* A response under construction: "AMP1 ok" or "AMP1 err NAME message", then lines. */
struct resp {
	char buf[AMPD_RESP_MAX];
	size_t len;
	bool overflow;
	bool err; /* an error response */
};

/*
 * A request that a processor's worker runs (needs_worker()). The loop makes it, a worker fills
 * its response, the loop sends that. While a worker has it the loop touches only @e (an
 * acquire load) and @ended: everything else is the worker's until it is back (done_lock).
 */
struct job {
	struct client *c; /* the loop's: the worker never touches the client */
	int fd;           /* the client's connection, for the endpoint being opened */
	struct ampd_req q;
	struct dproc *d;  /* the processor whose worker has it now */
	/* topology: one part per processor, procs[first..last], each on that processor's
	 * worker (@part: the one now); the channel lines of procs[i] are
	 * r.buf[cut[i], cut[i + 1]) */
	unsigned int first, part, last;
	size_t cut[AMPD_SOC_MAX_PROCS + 1];
	/* open: the endpoint, published (release) under the bus lock as soon as it is made, so
	 * that an event the loop handles before the reply is sent can end it (@ended). From
	 * then on it is the loop's to free. */
	struct dept *e;
	bool ended;
	char firmware[256]; /* firmware: the name now set */
	struct resp r;
	struct job *next;
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

/* @len bytes as they are (lines another thread already formatted). */
static void resp_put(struct resp *r, const char *s, size_t len)
{
	if (len > sizeof(r->buf) - r->len) {
		r->overflow = true;
		return;
	}
	memcpy(r->buf + r->len, s, len);
	r->len += len;
}

static void resp_ok(struct resp *r)
{
	r->len = 0;
	r->overflow = false;
	r->err = false;
	resp_add(r, "%s ok", AMPD_PROTO_TAG);
}

static void resp_err(struct resp *r, int err, const char *msg)
{
	size_t i, start;

	r->len = 0;
	r->overflow = false;
	r->err = true;
	resp_add(r, "%s err %s ", AMPD_PROTO_TAG, amp_errname(err));
	/* One line of printable text, whatever a path or a firmware name held. */
	start = r->len;
	resp_add(r, "%s", msg);
	for (i = start; i < r->len; i++)
		if ((unsigned char)r->buf[i] < 0x20 || (unsigned char)r->buf[i] > 0x7e)
			r->buf[i] = '?';
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

/* The processor's platform, as the proc record names it: a sim core, a Cortex-M4 under QEMU
 * (<amp/qemu_m4.h>) or a process on this machine (<amp/shm.h>). */
static const char *platform_of(const struct ampd_soc_proc *sp)
{
	if (!strcmp(sp->compatible, AMPD_SOC_QEMU_M4_COMPATIBLE))
		return "qemu-m4";
	if (!strcmp(sp->compatible, AMPD_SOC_SHM_COMPATIBLE))
		return "shm";
	return "sim";
}

static bool is_qemu_m4(const struct ampd_soc_proc *sp)
{
	return !strcmp(platform_of(sp), "qemu-m4");
}

/* In the loop only: nothing here takes a lock a boot or a stop holds. */
static void describe(struct resp *r, struct dproc *d)
{
	struct rproc *p = d->rp;

	resp_add(r, "\nproc name=%s state=%s firmware=", rproc_name(p),
		 rproc_state_name(rproc_get_state(p)));
	add_word(r, base_name(d->firmware), sizeof(d->firmware));
	resp_add(r, " crashes=%u recovery=%s notify=%s cpu=%d coredump=%s platform=%s error=",
		 rproc_crash_count(p), rproc_recovery_enabled(p) ? "on" : "off",
		 d->cfg->notify == SIM_NOTIFY_POLL ? "poll" : "mailbox", d->cfg->cpu,
		 __atomic_load_n(&d->coredump, __ATOMIC_RELAXED) ? "on" : "off", platform_of(d->cfg));
	amp_mutex_lock(&d->err_lock);
	add_word(r, d->error[0] ? d->error : "-", sizeof(d->error));
	amp_mutex_unlock(&d->err_lock);
}

/*
 * @d's error: @msg, and what to do about it in a processor's @state (a crashed one is left so
 * until recovered by hand; an offline one until started); "" clears it. With @log, the log has
 * it too: nobody waits for the work that failed (the library said what failed, this says
 * what to do).
 */
static void set_error(struct dproc *d, const char *msg, enum rproc_state state, bool log)
{
	const char *name = rproc_name(d->rp);
	char hint[128] = "";

	if (msg[0] && state == RPROC_CRASHED)
		snprintf(hint, sizeof(hint), " (ampctl recovery %s now recovers it)", name);
	else if (msg[0] && state == RPROC_OFFLINE)
		snprintf(hint, sizeof(hint), " (ampctl start %s tries again)", name);
	amp_mutex_lock(&d->err_lock);
	snprintf(d->error, sizeof(d->error), "%s%s", msg, hint);
	amp_mutex_unlock(&d->err_lock);
	if (log && msg[0])
		amp_log(AMP_LOG_WARN, "ampd: %s: %s%s", name, msg, hint);
}

static void add_firmware(struct resp *r, struct dproc *d, const char *file)
{
	resp_add(r, "\nfirmware proc=%s file=", rproc_name(d->rp));
	add_word(r, base_name(file), 256);
}

static void add_channel(struct rpmsg_channel *ch, unsigned int index, void *arg)
{
	struct resp *r = arg;
	char drv[64];

	resp_add(r, "\nchannel vdev=%u name=", index);
	add_word(r, ch->name, sizeof(ch->name));
	resp_add(r, " src=0x%x dst=0x%x driver=", ch->src, ch->dst);
	add_word(r, *rpmsg_channel_driver(ch, drv, sizeof(drv)) ? drv : "-", sizeof(drv));
}

/* add_trace(), add_rsc() and add_coredump() take the processor's lock: workers only. Their
 * buffers are on the stack, since the workers of two processors may run them at once. */
static void add_trace(struct resp *r, struct rproc *p, bool crash)
{
	char text[AMPD_RESP_MAX / 2];
	int n = rproc_trace_read(p, crash ? RPROC_TRACE_CRASH : 0, text, sizeof(text)), i;

	if (n < 0) {
		resp_err(r, n,
			 crash ? "no trace of a crash (the processor has not crashed since ampd "
				 "started, or its firmware declares no trace buffer)"
			       : "no trace buffer (the firmware declares none, or never ran)");
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
	uint8_t table[RSC_MAX];
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
	int n;

	resp_add(r, "\ncoredump proc=%s mode=%s dir=", rproc_name(d->rp),
		 __atomic_load_n(&d->coredump, __ATOMIC_RELAXED) ? "on" : "off");
	add_word(r, coredump_dir, 4096);
	n = rproc_last_coredump(d->rp, last, sizeof(last));
	resp_add(r, " last=");
	add_word(r, n > 0 ? last : "-", sizeof(last));
	/* The last crash's dump could not be written: why (a full disk, a directory gone). */
	resp_add(r, " error=");
	add_word(r, n == -AMP_EIO ? last : "-", sizeof(last));
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
	struct job *j;
	struct dept *e;
	bool found;
};

/* Runs with the bus lock held: the channel cannot go while its endpoint is made, and a
 * channel event (counted and queued under that lock) comes wholly before or after. */
static void open_on_channel(struct rpmsg_channel *ch, unsigned int index, void *arg)
{
	struct open_walk *w = arg;
	const struct ampd_req *q = &w->j->q;

	if (w->found || strncmp(ch->name, q->arg, sizeof(ch->name)))
		return;
	w->found = true;
	w->e->ept = rpmsg_create_ept(ch, ept_rx, w->e, q->src);
	if (!w->e->ept)
		return;
	w->e->vdev = index;
	w->e->ch_dst = ch->dst;
	w->e->gen = __atomic_load_n(&ev_gen, __ATOMIC_SEQ_CST);
	w->e->dst = q->dst != AMPD_ADDR_ANY ? q->dst : ch->dst;
	w->e->src = rpmsg_ept_addr(w->e->ept);
	w->e->mtu = rpmsg_get_mtu(w->e->ept);
	snprintf(w->e->channel, sizeof(w->e->channel), "%s", ch->name);
	/* Release: the fields above are what the loop reads (event_ends()). Pairs with the
	 * acquire in note_opening_ended(). */
	__atomic_store_n(&w->j->e, w->e, __ATOMIC_RELEASE);
}

/* The worker's half of open: make the endpoint; the loop's half is open_finish(). */
static void open_run(struct job *j)
{
	struct dept *e = calloc(1, sizeof(*e));
	struct open_walk w = {j, e, false};
	struct resp *r = &j->r;

	if (!e) {
		resp_err(r, -AMP_ENOMEM, "out of memory");
		return;
	}
	e->fd = j->fd;
	e->proc = j->d;
	rproc_for_each_channel(j->d->rp, open_on_channel, &w);
	if (!e->ept) {
		free(e); /* never published */
		if (!w.found)
			resp_err(r, -AMP_ENOENT,
				 "no such channel on that processor (ampctl channels lists them)");
		else if (j->q.src != AMPD_ADDR_ANY)
			resp_err(r, -AMP_EADDRINUSE,
				 "that source address is taken (by a driver or another endpoint "
				 "on that device)");
		else
			resp_err(r, -AMP_ENOMEM,
				 "no endpoint could be made (out of memory, or the device went)");
		return;
	}
	/* Published: the loop frees it if the open fails from here on. */
	e->slots = EPT_BATCH_BYTES / (unsigned int)e->mtu;
	e->slots = e->slots < 1 ? 1 : e->slots > EPT_BATCH ? EPT_BATCH : e->slots;
	e->buf = malloc((size_t)e->mtu * e->slots);
	if (!e->buf) {
		resp_err(r, -AMP_ENOMEM, "out of memory");
		return;
	}
	resp_add(r, "\nendpoint proc=%s vdev=%u channel=%s src=0x%x dst=0x%x mtu=%d",
		 rproc_name(j->d->rp), e->vdev, e->channel, e->src, e->dst, e->mtu);
}

static void dept_free(struct dept *e)
{
	/* No callback forwards to the fd once this returns: then it may close. */
	rpmsg_destroy_ept(e->ept);
	free(e->buf);
	free(e);
}

/* The loop's half of open: the endpoint becomes the client's, unless the open failed or an
 * event ended the endpoint before this reply (its channel went meanwhile). */
static void open_finish(struct client *c, struct job *j)
{
	struct dept *e = j->e;

	if (!e)
		return; /* nothing was made; the response says why */
	if (!j->r.err && j->ended)
		resp_err(&j->r, -AMP_ENOENT,
			 "the channel went while the endpoint was being opened (ampctl channels "
			 "lists those there now)");
	if (j->r.err) {
		dept_free(e);
		return;
	}
	c->dept = e;
	c->mode = M_ENDPOINT;
	amp_log(AMP_LOG_INFO, "ampd: pid %d opened %s/%s (0x%x -> 0x%x)", (int)c->pid,
		rproc_name(e->proc->rp), e->channel, e->src, e->dst);
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

/* Send the endpoint's waiting messages, in order; false when the next still waits for a
 * transmit buffer. A failed send drops the client (then @c's endpoint is gone). */
static bool ept_flush(struct client *c)
{
	struct dept *e = c->dept;

	for (; e->next < e->count; e->next++) {
		int len = e->len[e->next], ret;

		if (len < 0)
			continue;
		ret = rpmsg_ept_sendto(e->ept, e->dst, e->buf + (size_t)e->next * (size_t)e->mtu,
				       len, 0);
		if (ret == -AMP_ENOMEM)
			return false;
		if (ret) {
			/* The remote stopped, crashed or broke its ring: the endpoint is dead. */
			amp_log(AMP_LOG_INFO, "ampd: %s/%s: send failed (%s): endpoint closed",
				rproc_name(e->proc->rp), e->channel, amp_errname(ret));
			drop(c);
			return true;
		}
		e->tx++;
	}
	return true;
}

/*
 * Messages from the client, up to a batch. Without a free transmit buffer (the remote is slow
 * to return them) the messages wait and the client is not read meanwhile: its socket fills and
 * its writes block, which is the back-pressure a /dev/rpmsgN writer gets. The daemon retries
 * on a timer with back-off, never blocking the loop. True when a whole batch came and went:
 * there may be more to read.
 */
static bool ept_client_read(struct client *c, uint32_t events)
{
	struct dept *e = c->dept;
	struct mmsghdr mm[EPT_BATCH];
	struct iovec iov[EPT_BATCH];
	bool end = false;
	int n, i;

	/* Not reading (a message waits for a buffer): only a hang-up is reported, and the
	 * client that hung up has no use for its messages any more. */
	if (e->next < e->count) {
		if (events & (EPOLLHUP | EPOLLERR))
			drop(c);
		return false;
	}
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < (int)e->slots; i++) {
		iov[i] = (struct iovec){e->buf + (size_t)i * (size_t)e->mtu, (size_t)e->mtu};
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	/* MSG_TRUNC: each length is the packet's own, so an oversized one is seen whole. */
	n = recvmmsg(c->fd, mm, e->slots, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n <= 0) {
		drop(c);
		return false;
	}
	e->next = 0;
	e->count = 0;
	for (i = 0; i < n; i++) {
		/* An empty packet is the end of the connection (it reads the same): what came
		 * before it is still sent. */
		if (!mm[i].msg_len) {
			end = true;
			break;
		}
		/* Datagram semantics: an oversized message is not cut, it is dropped. */
		e->len[i] = mm[i].msg_len > (unsigned int)e->mtu ? -1 : (int)mm[i].msg_len;
		e->tx_bad += e->len[i] < 0;
		e->count = (unsigned int)i + 1;
	}
	ept_flush(c);
	if (c->dead)
		return false;
	if (end) {
		drop(c); /* and with it what still waits for a buffer, as on a hang-up */
		return false;
	}
	if (e->next == e->count)
		return e->count == e->slots;
	set_reading(c, false);
	if (!retry_ms) {
		retry_ms = RETRY_MIN_MS;
		arm_retry();
	}
	return false;
}

static void ept_client_msg(struct client *c, uint32_t events)
{
	int reads = 0;

	while (ept_client_read(c, events) && ++reads < EPT_READS)
		;
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
		if (c->mode != M_ENDPOINT || c->dept->next == c->dept->count)
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

/* Whether the request takes the processor's locks (or the bus's, walking its channels): a
 * boot, a stop or a recovery holds them for as long as it takes, so such a request runs on
 * the processor's worker, never in the loop. */
static bool needs_worker(const struct ampd_req *q)
{
	switch (q->verb) {
	case AMPD_START:
	case AMPD_STOP:
	case AMPD_TRACE:
	case AMPD_CHANNELS:
	case AMPD_COREDUMP:
	case AMPD_RSC:
	case AMPD_TOPOLOGY:
	case AMPD_OPEN:
		return true;
	case AMPD_RECOVERY:
		return q->sw == AMPD_SW_NOW;
	case AMPD_FIRMWARE:
		return q->arg[0] != 0; /* a change; the name alone is the loop's copy */
	default:
		return false;
	}
}

/* The requests the loop answers itself: none waits on a lock that a boot or a stop holds. */
static void handle(struct client *c, struct dproc *d, const struct ampd_req *q, struct resp *r)
{
	unsigned int i;

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
	case AMPD_CRASH:
		if (!is_up(rproc_get_state(d->rp))) {
			resp_err(r, -AMP_EINVAL, "only a running processor can be crashed");
			return;
		}
		rproc_report_crash(d->rp, RPROC_FATAL_ERROR); /* never blocks */
		break;
	case AMPD_RECOVERY:
		rproc_set_recovery(d->rp, q->sw == AMPD_SW_ON); /* never blocks */
		break;
	case AMPD_FIRMWARE:
		add_firmware(r, d, d->firmware);
		break;
	case AMPD_WATCH:
		c->mode = M_WATCH;
		break;
	default:
		resp_err(r, -AMP_EINVAL, "not a request the loop answers"); /* our bug */
		break;
	}
}

/* Coredumps on or off for @d; a refusal says why in @r. */
static void set_coredump(struct resp *r, struct dproc *d, bool on)
{
	int ret = rproc_set_coredump(d->rp, on ? RPROC_COREDUMP_ENABLED : RPROC_COREDUMP_DISABLED,
				     coredump_dir);
	char msg[sizeof(d->error)];

	if (!ret) {
		__atomic_store_n(&d->coredump, on, __ATOMIC_RELAXED);
		return;
	}
	if (ret == -AMP_EBUSY)
		snprintf(msg, sizeof(msg), "cannot change while crashed (recover first)");
	else
		snprintf(msg, sizeof(msg), "coredump directory %s: %s (ampd --coredump-dir)",
			 coredump_dir,
			 ret == -AMP_ENOENT    ? "does not exist"
			 : ret == -AMP_ENOTDIR ? "not a directory"
			 : ret == -AMP_EACCES  ? "ampd may not write there"
					       : amp_strerror(ret));
	resp_err(r, ret, msg);
}

/* A start or a recovery of @d failed with @err: the library's reason to the client, and to ls
 * and status. */
static void boot_failed(struct resp *r, struct dproc *d, int err)
{
	char msg[sizeof(d->error)];

	if (!rproc_copy_last_error(d->rp, msg, sizeof(msg)))
		snprintf(msg, sizeof(msg), "%s", amp_strerror(err));
	resp_err(r, err, msg);
	set_error(d, msg, rproc_get_state(d->rp), false);
}

/* Jobs the workers are done with, for the loop (done_fd wakes it). */
static struct amp_mutex done_lock = AMP_MUTEX_INITIALIZER;
static struct job *done_head, **done_tail = &done_head; /* guarded by done_lock */
static int done_fd;

static void job_queue(struct dproc *d, struct job *j)
{
	amp_mutex_lock(&d->lock);
	j->d = d;
	j->next = NULL;
	*d->queue_tail = j;
	d->queue_tail = &j->next;
	amp_cond_signal(&d->cond);
	amp_mutex_unlock(&d->lock);
}

static void job_done(struct job *j)
{
	uint64_t one = 1;

	amp_mutex_lock(&done_lock);
	j->next = NULL;
	*done_tail = j;
	done_tail = &j->next;
	amp_mutex_unlock(&done_lock);
	if (write(done_fd, &one, sizeof(one)) < 0) {
		/* only EAGAIN (the counter is full): the loop is awake anyway */
	}
}

/* A worker: may block as long as the library does; touches nothing of the loop's. */
static void run_job(struct job *j)
{
	struct dproc *d = j->d;
	struct rproc *p = d->rp;
	struct resp *r = &j->r;
	int ret = 0;

	switch (j->q.verb) {
	case AMPD_START:
		if (rproc_power_count(p)) {
			resp_err(r, -AMP_EALREADY, "already started");
			break;
		}
		ret = rproc_boot(p);
		if (ret)
			boot_failed(r, d, ret);
		ret = 0;
		break;
	case AMPD_STOP:
		if (!rproc_power_count(p)) {
			resp_err(r, -AMP_EALREADY, "not started");
			break;
		}
		ret = rproc_shutdown(p);
		break;
	case AMPD_RECOVERY: /* now */
		if (rproc_get_state(p) != RPROC_CRASHED) {
			resp_err(r, -AMP_EINVAL, "only a crashed processor can be recovered");
			break;
		}
		ret = rproc_trigger_recovery(p);
		if (ret)
			boot_failed(r, d, ret);
		ret = 0;
		break;
	case AMPD_TRACE:
		add_trace(r, p, j->q.sw == AMPD_SW_CRASH);
		break;
	case AMPD_CHANNELS:
		rproc_for_each_channel(p, add_channel, r);
		break;
	case AMPD_FIRMWARE:
		ret = rproc_set_firmware(p, j->q.arg);
		if (ret == -AMP_EBUSY) {
			resp_err(r, ret, "the firmware can only be changed while offline (stop first)");
			ret = 0;
		} else if (!ret) {
			/* Only this worker changes it: the library's string is stable here. */
			snprintf(j->firmware, sizeof(j->firmware), "%s", rproc_get_firmware(p));
			add_firmware(r, d, j->firmware);
		}
		break;
	case AMPD_COREDUMP:
		if (j->q.sw != AMPD_SW_NONE)
			set_coredump(r, d, j->q.sw == AMPD_SW_ON);
		if (!r->err)
			add_coredump(r, d);
		break;
	case AMPD_RSC:
		add_rsc(r, p);
		break;
	case AMPD_TOPOLOGY:
		/* This processor's channels; the loop adds what it owns (the proc lines, the
		 * clients' endpoints) when every part is done. */
		rproc_for_each_channel(p, add_channel, r);
		j->cut[j->part + 1] = r->len;
		if (j->part < j->last) {
			j->part++;
			job_queue(&procs[j->part], j);
			return;
		}
		break;
	case AMPD_OPEN:
		open_run(j);
		break;
	default:
		resp_err(r, -AMP_EINVAL, "not a request for a worker"); /* our bug */
		break;
	}
	if (ret)
		resp_err(r, ret, amp_strerror(ret));
	job_done(j);
}

static void *worker_main(void *arg)
{
	struct dproc *d = arg;
	struct job *j;

	for (;;) {
		amp_mutex_lock(&d->lock);
		while (!d->queue && !d->quit)
			amp_cond_wait(&d->cond, &d->lock);
		if (d->quit) {
			/* What is still queued is the loop's to free, after every worker ended. */
			amp_mutex_unlock(&d->lock);
			return NULL;
		}
		j = d->queue;
		d->queue = j->next;
		if (!d->queue)
			d->queue_tail = &d->queue;
		amp_mutex_unlock(&d->lock);
		run_job(j);
	}
}

static void worker_start(struct dproc *d)
{
	amp_mutex_init(&d->err_lock);
	amp_mutex_init(&d->lock);
	amp_cond_init(&d->cond);
	d->queue_tail = &d->queue;
	if (amp_thread_create(&d->worker, worker_main, d, "ampd-worker")) {
		fprintf(stderr, "ampd: cannot start a worker for %s\n", d->cfg->name);
		exit(1);
	}
	d->worker_started = true;
}

/* --- events from the library's threads, handled in the main loop ------------------------- */

enum ev_kind { EV_STATE, EV_CRASH, EV_ERROR, EV_CHANNEL_UP, EV_CHANNEL_DOWN };

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

	/* The processor's lock is held: its last error is stable, and the states come in order. */
	if (event == RPROC_EVENT_STATE) {
		ev.kind = EV_STATE;
		/* Up, or down as asked: what failed before is over. A crash keeps it until the
		 * crash's own error (automatic recovery stopped, or failed) says more. */
		if (ev.state != RPROC_CRASHED)
			set_error(ev.proc, "", ev.state, false);
	} else if (event == RPROC_EVENT_CRASH) {
		ev.kind = EV_CRASH;
	} else if (event == RPROC_EVENT_ERROR) {
		ev.kind = EV_ERROR;
		set_error(ev.proc, rproc_last_error(rp), ev.state, true);
	} else {
		return;
	}
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
	case EV_ERROR:
		/* The error as it is now (a later one may have replaced it: its own event
		 * follows). */
		resp_add(r, "error proc=%s state=%s reason=", rproc_name(ev->proc->rp),
			 rproc_state_name(ev->state));
		amp_mutex_lock(&ev->proc->err_lock);
		add_word(r, ev->proc->error[0] ? ev->proc->error : "-", sizeof(ev->proc->error));
		amp_mutex_unlock(&ev->proc->err_lock);
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

/*
 * An endpoint a worker is opening, not yet the client's: an event that ends it is noted, and
 * the open is refused when the worker is done (open_finish()). One not yet published was not
 * made before the event was counted (both happen under the bus lock), so the event is not
 * about it.
 */
static void note_opening_ended(struct job *j, const struct event *ev)
{
	/* Acquire: pairs with the release in open_on_channel(). */
	const struct dept *e = j->q.verb == AMPD_OPEN ? __atomic_load_n(&j->e, __ATOMIC_ACQUIRE)
						      : NULL;

	if (e && event_ends(ev, e))
		j->ended = true;
}

/* After lost events: every endpoint whose channel or processor is gone is closed now. */
static void recheck_endpoints(void)
{
	struct client *c, *next;

	for (c = clients; c; c = next) {
		struct find_walk w = {c->mode == M_ENDPOINT ? c->dept : NULL, false};
		next = c->next;
		/* One being opened cannot be checked while a worker makes it: what would have
		 * said whether its channel went is lost, so it is refused (the client opens
		 * again). */
		if (c->job && c->job->q.verb == AMPD_OPEN)
			c->job->ended = true;
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
		if (ev.kind != EV_ERROR) /* set_error() said it, in words */
			amp_log(AMP_LOG_INFO, "ampd: %s", r.buf + sizeof(AMPD_PROTO_TAG " event"));
		broadcast(&r);
		for (c = clients; c; c = next) {
			next = c->next;
			if (c->mode == M_ENDPOINT && event_ends(&ev, c->dept))
				drop(c);
			else if (c->job)
				note_opening_ended(c->job, &ev);
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

/* --- idle connections: a control connection has idle_ns for each request ------------------ */

static void idle_timer_set(uint64_t deadline_ns)
{
	struct itimerspec its = {.it_value = {.tv_sec = (time_t)(deadline_ns / AMP_NSEC_PER_SEC),
					      .tv_nsec = (long)(deadline_ns % AMP_NSEC_PER_SEC)}};

	timerfd_settime(idle_tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void idle_unlist(struct client *c)
{
	if (!c->idle_listed)
		return;
	*(c->idle_prev ? &c->idle_prev->idle_next : &idle_head) = c->idle_next;
	*(c->idle_next ? &c->idle_next->idle_prev : &idle_tail) = c->idle_prev;
	c->idle_prev = c->idle_next = NULL;
	c->idle_listed = false;
}

/*
 * The client has idle_ns from now to send its next request. Every connection gets the same
 * timeout, so joining at the tail keeps the list in deadline order, and one timer (for the
 * head) serves them all: it may fire for a head that has gone meanwhile, which only re-arms it.
 */
static void idle_list(struct client *c)
{
	idle_unlist(c);
	c->idle_deadline_ns = amp_now_ns() + idle_ns;
	c->idle_prev = idle_tail;
	*(idle_tail ? &idle_tail->idle_next : &idle_head) = c;
	idle_tail = c;
	c->idle_listed = true;
	if (idle_head == c)
		idle_timer_set(c->idle_deadline_ns);
}

static void drop(struct client *c)
{
	struct client **pp;

	/* Never one a worker answers for: its job names it (the loop waits for the job). */
	for (pp = &clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	idle_unlist(c);
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->dept) {
		dept_free(c->dept);
		c->dept = NULL;
	}
	close(c->fd);
	amp_log(AMP_LOG_DEBUG, "ampd: pid %d: connection closed", (int)c->pid);
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

static void idle_expire(void)
{
	char msg[128];
	uint64_t now = amp_now_ns(), ticks;
	int len;

	if (read(idle_tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	len = snprintf(msg, sizeof(msg),
		       "%s err ETIMEDOUT no request in %llu s (ampd --idle-timeout): connection "
		       "closed, connect again",
		       AMPD_PROTO_TAG, (unsigned long long)(idle_ns / AMP_NSEC_PER_SEC));
	while (idle_head && idle_head->idle_deadline_ns <= now) {
		struct client *c = idle_head;

		/* Said where the reply to its next request would be read, then closed. */
		send(c->fd, msg, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
		drop(c);
	}
	if (idle_head)
		idle_timer_set(idle_head->idle_deadline_ns);
}

/* Send @r to @c; a client whose socket is full is not reading: it goes, the others do not
 * wait. */
static void reply(struct client *c, struct resp *r)
{
	if (r->overflow)
		resp_err(r, -AMP_ENOBUFS, "response too large");
	amp_log(AMP_LOG_DEBUG, "ampd: pid %d: -> %.*s", (int)c->pid,
		(int)strcspn(r->buf, "\n") < (int)r->len ? (int)strcspn(r->buf, "\n") : (int)r->len,
		r->buf);
	if (send(c->fd, r->buf, r->len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)r->len) {
		drop(c);
		return;
	}
	if (c->dept)
		__atomic_store_n(&c->dept->ready, true, __ATOMIC_RELEASE);
	/* A watch or an endpoint is long-lived by design; a control connection is idle until
	 * its next request. */
	if (c->mode == M_CONTROL)
		idle_list(c);
	else
		idle_unlist(c);
}

/* Hand the request to its processor's worker (every processor's in turn, for a topology of
 * them all); the client is not read until the response is sent (finish()). */
static int submit(struct client *c, struct dproc *d, const struct ampd_req *q)
{
	struct job *j = malloc(sizeof(*j));

	if (!j)
		return -AMP_ENOMEM;
	memset(j, 0, offsetof(struct job, r));
	j->c = c;
	j->fd = c->fd;
	j->q = *q;
	if (q->verb == AMPD_TOPOLOGY) {
		j->first = j->part = d ? (unsigned int)(d - procs) : 0;
		j->last = d ? j->part : num_procs - 1;
		d = &procs[j->part];
	}
	resp_ok(&j->r);
	j->cut[j->part] = j->r.len;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	idle_unlist(c);
	c->job = j;
	job_queue(d, j);
	return 0;
}

/* Every processor's part of a topology, each after its proc line, with the clients' endpoints
 * on it (which only the loop knows). */
static void topology_finish(const struct job *j, struct resp *out)
{
	const struct client *c;
	unsigned int i;

	resp_ok(out);
	out->overflow = j->r.overflow;
	for (i = j->first; i <= j->last; i++) {
		describe(out, &procs[i]);
		resp_put(out, j->r.buf + j->cut[i], j->cut[i + 1] - j->cut[i]);
		for (c = clients; c; c = c->next)
			if (c->mode == M_ENDPOINT && c->dept->proc == &procs[i])
				add_endpoint_line(out, c);
	}
}

/* A worker is done with @j: what the loop owns is brought up to date, the response goes, the
 * client is read again. */
static void finish(struct job *j)
{
	static struct resp out;
	struct client *c = j->c;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	struct resp *r = &j->r;

	c->job = NULL;
	switch (j->q.verb) {
	case AMPD_OPEN:
		open_finish(c, j);
		break;
	case AMPD_TOPOLOGY:
		if (!r->err) {
			topology_finish(j, &out);
			r = &out;
		}
		break;
	case AMPD_FIRMWARE:
		if (!r->err)
			snprintf(j->d->firmware, sizeof(j->d->firmware), "%s", j->firmware);
		break;
	default:
		break;
	}
	/* Back in the set before the reply: a hang-up after it is then seen. */
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev))
		drop(c);
	else
		reply(c, r);
	free(j);
}

static void handle_done(void)
{
	struct job *j, *next;
	uint64_t n;

	if (read(done_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	amp_mutex_lock(&done_lock);
	j = done_head;
	done_head = NULL;
	done_tail = &done_head;
	amp_mutex_unlock(&done_lock);
	for (; j; j = next) {
		next = j->next;
		finish(j);
	}
}

/* At exit: every worker ends after the request it runs; what they had not run, or not handed
 * back, is dropped with the endpoints it made. */
static void workers_stop(void)
{
	struct job *left = NULL, *j, *next;
	unsigned int i;

	for (i = 0; i < num_procs; i++) {
		if (!procs[i].worker_started)
			continue;
		amp_mutex_lock(&procs[i].lock);
		procs[i].quit = true;
		amp_cond_signal(&procs[i].cond);
		amp_mutex_unlock(&procs[i].lock);
	}
	for (i = 0; i < num_procs; i++)
		if (procs[i].worker_started)
			amp_thread_join(&procs[i].worker);
	/* Every worker has ended: a topology's part can no longer move to another's queue. */
	for (i = 0; i < num_procs; i++) {
		for (j = procs[i].queue; j; j = next) {
			next = j->next;
			j->next = left;
			left = j;
		}
		procs[i].queue = NULL;
		procs[i].queue_tail = &procs[i].queue;
	}
	amp_mutex_lock(&done_lock);
	for (j = done_head; j; j = next) {
		next = j->next;
		j->next = left;
		left = j;
	}
	done_head = NULL;
	done_tail = &done_head;
	amp_mutex_unlock(&done_lock);
	for (j = left; j; j = next) {
		next = j->next;
		j->c->job = NULL;
		if (j->q.verb == AMPD_OPEN && j->e)
			dept_free(j->e);
		free(j);
	}
}

/* How many connections @uid holds. */
static unsigned int clients_of(uid_t uid)
{
	const struct client *c;
	unsigned int n = 0;

	for (c = clients; c; c = c->next)
		n += c->uid == uid;
	return n;
}

/*
 * At a limit: a connection whose client has hung up still holds its slot until the loop reads
 * the hang-up, which may come after the new connection is accepted. Those of @uid (every
 * user's, for @all) are let go first, so that a client that closes connections and at once
 * opens another is not refused for slots nobody holds. One poll() for them all.
 */
static void drop_hung_up(uid_t uid, bool all)
{
	static struct pollfd pfd[AMPD_MAX_CLIENTS_LIMIT];
	static struct client *who[AMPD_MAX_CLIENTS_LIMIT];
	struct client *c;
	unsigned int n = 0, i;

	for (c = clients; c && n < AMPD_MAX_CLIENTS_LIMIT; c = c->next) {
		if ((!all && c->uid != uid) || c->job)
			continue; /* one a worker answers for goes when it is answered */
		pfd[n] = (struct pollfd){.fd = c->fd, .events = POLLRDHUP};
		who[n++] = c;
	}
	if (poll(pfd, n, 0) <= 0)
		return;
	for (i = 0; i < n; i++)
		if (pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR))
			drop(who[i]);
}

/* One packet from a control or watch client: answer it, hand it to a worker, or drop the
 * client. */
static void serve(struct client *c)
{
	static char buf[AMPD_REQ_MAX + 1];
	static struct resp r;
	struct dproc *d = NULL;
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
	resp_ok(&r);
	ret = ampd_req_parse(buf, (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n, &q, &why);
	/* A request that parsed is printable ASCII: it may go to the log as it is. */
	if (!ret)
		amp_log(AMP_LOG_DEBUG, "ampd: pid %d: %.*s", (int)c->pid, (int)n, buf);
	if ((size_t)n > AMPD_REQ_MAX)
		resp_err(&r, -AMP_EMSGSIZE, "request longer than 256 bytes");
	else if (ret)
		resp_err(&r, ret, why);
	else if (c->mode == M_WATCH)
		resp_err(&r, -AMP_EPROTO,
			 "this connection carries events only (it sent watch): open another one "
			 "for requests");
	else if (q.name[0] && !(d = find(q.name)))
		resp_err(&r, -AMP_ENOENT, "no processor by that name (ampctl ls lists them)");
	else if (q.verb == AMPD_OPEN && !is_up(rproc_get_state(d->rp)))
		resp_err(&r, -AMP_ENODEV, "the processor is not running (ampctl start NAME)");
	else if (!needs_worker(&q))
		handle(c, d, &q, &r);
	else if (!(ret = submit(c, d, &q)))
		return; /* answered when the worker is done */
	else
		resp_err(&r, ret, "out of memory");
	reply(c, &r);
}

static void refuse(int fd, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Said on the new connection, then closed: the client reads why. */
static void refuse(int fd, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n = snprintf(msg, sizeof(msg), "%s err %s ", AMPD_PROTO_TAG, amp_errname(err));

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
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
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen)) {
			refuse(fd, -AMP_EACCES, "cannot tell who connected");
			continue;
		}
		/* One user cannot take every slot: the others keep theirs, whatever it holds
		 * (idle connections go after --idle-timeout; watches and endpoints stay). */
		if (nclients >= max_clients)
			drop_hung_up(cred.uid, true);
		if (nclients >= max_clients) {
			refuse(fd, -AMP_EBUSY, "too many clients (%u): try again later", max_clients);
			continue;
		}
		if (clients_of(cred.uid) >= max_per_uid)
			drop_hung_up(cred.uid, false);
		if (clients_of(cred.uid) >= max_per_uid) {
			refuse(fd, -AMP_EBUSY, "too many clients of uid %u (at most %u of the %u)",
			       (unsigned int)cred.uid, max_per_uid, max_clients);
			continue;
		}
		if (!(c = calloc(1, sizeof(*c)))) {
			refuse(fd, -AMP_ENOMEM, "out of memory");
			continue;
		}
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
		idle_list(c);
		amp_log(AMP_LOG_DEBUG, "ampd: pid %d (uid %u) connected (%u clients)", (int)c->pid,
			(unsigned int)c->uid, nclients);
	}
}

/* --- set-up -------------------------------------------------------------------------------- */

static const char *file_kind(mode_t mode)
{
	return S_ISREG(mode)    ? "a regular file"
	       : S_ISDIR(mode)  ? "a directory"
	       : S_ISLNK(mode)  ? "a symbolic link"
	       : S_ISFIFO(mode) ? "a FIFO"
	       : S_ISCHR(mode)  ? "a character device"
	       : S_ISBLK(mode)  ? "a block device"
	       : S_ISSOCK(mode) ? "a socket"
				: "a special file";
}

/* @path's address, or exit saying why there is none. */
static void socket_addr(struct ampd_sockaddr *addr, const char *path)
{
	int ret = ampd_sockaddr_init(addr, path);

	if (ret == -ENAMETOOLONG) {
		fprintf(stderr,
			"ampd: socket %s: too long (a path over %zu bytes is reached through its "
			"directory, which needs /proc and a file name of at most 80 bytes): "
			"choose a shorter one\n",
			path, sizeof(addr->sa.sun_path) - 1);
		exit(2);
	}
	if (ret) {
		fprintf(stderr, "ampd: socket %s: %s\n", path, strerror(-ret));
		exit(2);
	}
}

/*
 * Before anything starts: @path must be free, or hold a socket that nobody listens on (a daemon
 * that died left it), which goes. Anything else stays where it is and ampd does not start: a
 * file given to --socket by mistake (the SoC description, say) is not ours to delete, and a
 * socket another daemon serves, or one of another kind, is not ours to take.
 */
static void socket_path_clear(const char *path)
{
	struct ampd_sockaddr addr;
	struct stat st, again;
	int fd, err;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return;
		fprintf(stderr, "ampd: socket %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr,
			"ampd: socket %s: %s is there, not a socket: left as it is (is it the path "
			"meant for --socket?)\n",
			path, file_kind(st.st_mode));
		exit(2);
	}
	socket_addr(&addr, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("ampd: socket");
		exit(1);
	}
	err = connect(fd, (struct sockaddr *)&addr.sa, sizeof(addr.sa)) ? errno : 0;
	close(fd);
	ampd_sockaddr_release(&addr);
	if (!err) {
		fprintf(stderr, "ampd: another ampd serves %s: stop it first, or choose another "
				"--socket\n", path);
		exit(1);
	}
	if (err != ECONNREFUSED) {
		fprintf(stderr,
			"ampd: socket %s: %s: a socket ampd cannot tell unused: left as it is\n",
			path, err == EPROTOTYPE ? "another program's (not a SOCK_SEQPACKET one)"
						: strerror(err));
		exit(1);
	}
	/* Nobody listens: gone, if it is still the very file looked at. */
	if (lstat(path, &again) || again.st_dev != st.st_dev || again.st_ino != st.st_ino ||
	    (unlink(path) && errno != ENOENT)) {
		fprintf(stderr, "ampd: socket %s: changed while it was looked at: left as it is\n",
			path);
		exit(1);
	}
	amp_log(AMP_LOG_INFO, "ampd: %s: a socket left by a daemon that stopped: removed", path);
}

/* The socket file we made, for removing it at exit only if it is still ours. */
static struct stat listen_st;

/* Bind where socket_path_clear() made room: bind() never replaces a file, so whatever came
 * there since is left alone (and ampd does not start). */
static int listen_on(const char *path, const char *group)
{
	struct ampd_sockaddr addr;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old;

	if (fd < 0) {
		perror("ampd: socket");
		exit(1);
	}
	socket_addr(&addr, path);
	/* Owner and group only, from the moment the file exists. */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&addr.sa, sizeof(addr.sa)) || listen(fd, SOMAXCONN)) {
		fprintf(stderr, "ampd: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	umask(old);
	ampd_sockaddr_release(&addr);
	if (lstat(path, &listen_st))
		memset(&listen_st, 0, sizeof(listen_st));
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

/* At exit: our socket goes, not a file that took its place. */
static void listen_remove(const char *path)
{
	struct stat st;

	if (!lstat(path, &st) && S_ISSOCK(st.st_mode) && st.st_dev == listen_st.st_dev &&
	    st.st_ino == listen_st.st_ino)
		unlink(path);
}

static void log_syslog(enum amp_log_level level, const char *msg, void *priv)
{
	(void)priv;
	syslog((int)level, "%s", msg);
}

/* Whether stderr is the journal's stream (systemd sets $JOURNAL_STREAM to its device:inode):
 * the journal stamps each line itself, and reads its priority from a "<N>" prefix. */
static bool stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return v && sscanf(v, "%llu:%llu", &dev, &ino) == 2 && !fstat(STDERR_FILENO, &st) &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static bool log_to_journal;

/* In the foreground, each line with its time (to the millisecond) and level. */
static void log_stderr(enum amp_log_level level, const char *msg, void *priv)
{
	static const char *const names[] = {[AMP_LOG_ERR] = "error", [AMP_LOG_WARN] = "warning",
					    [AMP_LOG_INFO] = "info", [AMP_LOG_DEBUG] = "debug"};
	struct timespec ts;
	struct tm tm;
	char when[32];

	(void)priv;
	if (log_to_journal) {
		fprintf(stderr, "<%d>%s\n", (int)level, msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s: %s\n", when, ts.tv_nsec / 1000000L,
		(unsigned int)level < sizeof(names) / sizeof(names[0]) && names[level]
			? names[level]
			: "log",
		msg);
}

static void log_stderr_init(void)
{
	log_to_journal = stderr_is_journal();
	amp_log_set_handler(log_stderr, NULL);
}

/* An explicit --coredump-dir is checked at start: a crash is no time to find it missing. */
static void check_coredump_dir(void)
{
	const char *why = NULL;
	struct stat st;

	if (stat(coredump_dir, &st))
		why = strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "not a directory";
	else if (access(coredump_dir, W_OK | X_OK))
		why = strerror(errno);
	if (why) {
		fprintf(stderr, "ampd: --coredump-dir %s: %s\n", coredump_dir, why);
		exit(2);
	}
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

/* Whether @file is Devicetree source rather than a compiled blob: named so, or saying so. */
static bool is_dts(const char *file, const void *blob, size_t n)
{
	static const uint8_t fdt_magic[4] = {0xd0, 0x0d, 0xfe, 0xed};
	size_t len = strlen(file);

	if (n >= 4 && !memcmp(blob, fdt_magic, 4))
		return false;
	return (len > 4 && !strcmp(file + len - 4, ".dts")) ||
	       memmem(blob, n < 4096 ? n : 4096, "/dts-v1/", 8);
}

/* @path as one shell word. */
static void print_shell_word(FILE *f, const char *path)
{
	const char *c;

	if (*path && strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				  "_./-+=:,@%") == strlen(path)) {
		fputs(path, f);
		return;
	}
	fputc('\'', f);
	for (c = path; *c; c++) {
		if (*c == '\'')
			fputs("'\\''", f);
		else
			fputc(*c, f);
	}
	fputc('\'', f);
}

/* A source file given to --soc: the command that compiles it, and out. */
static void dts_given(const char *file)
{
	size_t len = strlen(file);
	int stem = len > 4 && !strcmp(file + len - 4, ".dts") ? (int)(len - 4) : (int)len;
	char out[4096];

	snprintf(out, sizeof(out), "%.*s.dtb", stem, file);
	fprintf(stderr, "ampd: %s is Devicetree source; --soc takes it compiled: compile it with "
			"dtc, then give ampd the .dtb:\n  dtc -I dts -O dtb -o ", file);
	print_shell_word(stderr, out);
	fputc(' ', stderr);
	print_shell_word(stderr, file);
	fputs("\n", stderr);
	exit(2);
}

/* The SoC description: a compiled Devicetree (dtc -O dtb), read whole and checked. */
static void load_soc(const char *file)
{
	static uint64_t blob[(1 << 20) / 8]; /* libfdt wants 8-byte alignment */
	cpu_set_t allowed;
	unsigned int i;
	char why[256];
	struct stat st;
	size_t n = 0;
	int ret, fd;

	/* Opened without waiting and looked at before a byte is read: a FIFO would block the
	 * daemon's start for good, a device could be read forever or answer anything. */
	fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "ampd: %s: %s\n", file, strerror(errno));
		exit(2);
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "ampd: %s: %s, not a regular file: --soc takes a compiled Devicetree "
				"(dtc -O dtb)\n", file, file_kind(st.st_mode));
		exit(2);
	}
	if ((uint64_t)st.st_size > sizeof(blob)) {
		fprintf(stderr, "ampd: %s: %lld bytes, larger than 1 MiB\n", file,
			(long long)st.st_size);
		exit(2);
	}
	while (n < (size_t)st.st_size) {
		ssize_t got = read(fd, (char *)blob + n, (size_t)st.st_size - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			fprintf(stderr, "ampd: %s: %s\n", file,
				got ? strerror(errno) : "shorter than its size (it changed)");
			exit(2);
		}
		n += (size_t)got;
	}
	close(fd);
	if (is_dts(file, blob, n))
		dts_given(file);
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

/* --soc NAME, a bare name that is no file here: one of the example descriptions installed with
 * ampd (sim-pinned, or sim-pinned.dtb), found where the library finds its files. */
static const char *find_soc(const char *arg)
{
	static char path[4096];
	const char *ext = strlen(arg) > 4 && !strcmp(arg + strlen(arg) - 4, ".dtb") ? "" : ".dtb";
	unsigned int i;

	if (strchr(arg, '/') || access(arg, F_OK) == 0)
		return arg;
	for (i = 0; !amp_installed_path(AMP_INSTALLED_SOC_DIR, i, path, sizeof(path)); i++) {
		size_t n = strlen(path);

		if ((size_t)snprintf(path + n, sizeof(path) - n, "/%s%s", arg, ext) <
			    sizeof(path) - n &&
		    access(path, R_OK) == 0)
			return path;
	}
	return arg; /* load_soc() says what is wrong with it */
}

static bool is_shm(const struct ampd_soc_proc *sp)
{
	return !strcmp(sp->compatible, AMPD_SOC_SHM_COMPATIBLE);
}

/* A remote process on this machine (amp,shm-rproc): "" and 0 take <amp/shm.h>'s defaults. */
static struct rproc *shm_proc_create(const struct ampd_soc_proc *sp)
{
	struct shm_config cfg = {.name = sp->name,
				 .buf_size = sp->buf_size,
				 .num_bufs = sp->num_bufs,
				 .attach_timeout_ms = sp->shm.attach_timeout_ms};
	struct rproc *rp;

	cfg.layout.file = sp->shm.file[0] ? sp->shm.file : NULL;
	cfg.layout.socket = sp->shm.socket[0] ? sp->shm.socket : NULL;
	cfg.layout.server = sp->shm.host_listens ? SHM_SERVER_HOST : SHM_SERVER_REMOTE;
	cfg.layout.size = sp->shm.size;
	cfg.layout.rsc_da = sp->shm.rsc_da;
	cfg.layout.buf_da = sp->shm.buf_da;
	cfg.layout.buf_len = sp->shm.buf_len;
	return shm_rproc_create(&cfg, &rp) ? NULL : rp;
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
		struct qemu_m4_config m4 = {.name = sp->name, .firmware = sp->firmware,
					    .cpu = sp->cpu, .ram_da = sp->ram_da,
					    .ram_len = sp->ram_len, .pool_da = sp->pool_da,
					    .pool_len = sp->pool_len, .watchdog_ms = sp->watchdog_ms,
					    .poll = sp->notify == SIM_NOTIFY_POLL};
		struct dproc *d = &procs[i];

		d->cfg = sp;
		if (is_shm(sp))
			d->rp = shm_proc_create(sp);
		else
			d->rp = is_qemu_m4(sp) ? qemu_m4_rproc_create(&m4) : sim_rproc_create(&cfg);
		/* The parser checked the geometry; the shm platform sets it itself. */
		if (d->rp && !is_shm(sp))
			rproc_set_vdev_buffers(d->rp, sp->buf_size, sp->num_bufs);
		if (!d->rp) {
			fprintf(stderr, "ampd: cannot set up %s\n", sp->name);
			exit(1);
		}
		snprintf(d->firmware, sizeof(d->firmware), "%s", rproc_get_firmware(d->rp));
		rproc_set_recovery(d->rp, sp->recovery);
		rproc_set_auto_boot(d->rp, sp->auto_boot);
		rproc_set_event_cb(d->rp, on_rproc_event, d);
		worker_start(d);
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
	/* Lines of 80 columns at most, with the defaults on lines of their own (a prefix can make
	 * the coredump directory long). */
	fprintf(f,
		"usage: ampd [OPTIONS]\n"
		"  --soc FILE.dtb           the SoC's description (a compiled Devicetree, see\n"
		"                           docs/ampd-soc.md), or the name of an installed\n"
		"                           example (sim-pinned); default: two simulated\n"
		"                           processors\n"
		"  --socket PATH            where to listen (default $AMPD_SOCKET, else\n"
		"                           %s)\n"
		"  --group GROUP            the group allowed to connect besides the owner\n"
		"  --firmware-dir DIR       look for firmware there first\n"
		"  --coredump-dir DIR       where coredumps go when enabled (default\n"
		"                           %s)\n"
		"  --syslog                 log to syslog (daemon facility) instead of stderr\n"
		"  --log-level LEVEL        err, warn, info (default) or debug\n"
		"  --idle-timeout S         close a control connection that sends no request for\n"
		"                           S seconds (default %u)\n"
		"  --max-clients N          connections at most (default %u)\n"
		"  --max-clients-per-uid N  connections of one user at most (default half of\n"
		"                           --max-clients)\n"
		"  --version                ampd's version and protocol\n"
		"  -h, --help               this\n"
		"ampd runs in the foreground (as a systemd simple service); SIGTERM powers the\n"
		"processors off and exits.\n",
		AMPD_DEFAULT_SOCKET, AMPD_DEFAULT_COREDUMP_DIR, AMPD_DEFAULT_IDLE_S,
		AMPD_DEFAULT_MAX_CLIENTS);
}

static unsigned int idle_s = AMPD_DEFAULT_IDLE_S;

/* The options that take a number, from 1 to @max. */
static const struct {
	const char *name;
	unsigned int max;
	unsigned int *val;
} count_opts[] = {
	{"--idle-timeout", AMPD_IDLE_LIMIT_S, &idle_s},
	{"--max-clients", AMPD_MAX_CLIENTS_LIMIT, &max_clients},
	{"--max-clients-per-uid", AMPD_MAX_CLIENTS_LIMIT, &max_per_uid},
};

/* @opt @val, when @opt takes a number: 0, or -1 (said why) for one that is not a whole number
 * in range written in decimal and nothing else; 1 when @opt is another option. */
static int set_count(const char *opt, const char *val)
{
	unsigned long v;
	unsigned int i;
	char *end;

	for (i = 0; i < sizeof(count_opts) / sizeof(count_opts[0]); i++) {
		if (strcmp(opt, count_opts[i].name))
			continue;
		errno = 0;
		v = *val >= '0' && *val <= '9' ? strtoul(val, &end, 10) : 0;
		if (errno || !v || *end || v > count_opts[i].max) {
			fprintf(stderr, "ampd: %s takes 1 to %u\n", opt, count_opts[i].max);
			return -1;
		}
		*count_opts[i].val = (unsigned int)v;
		return 0;
	}
	return 1;
}

/* Whether @opt is an option that takes a value (the others are --syslog, --version, --help). */
static bool takes_value(const char *opt)
{
	static const char *const with_value[] = {"--socket",	   "--group",	  "--soc",
						 "--coredump-dir", "--log-level", "--firmware-dir"};
	unsigned int i;

	for (i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (!strcmp(opt, with_value[i]))
			return true;
	for (i = 0; i < sizeof(count_opts) / sizeof(count_opts[0]); i++)
		if (!strcmp(opt, count_opts[i].name))
			return true;
	return false;
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
	bool running = true, use_syslog = false, coredump_dir_given = false;
	sigset_t sigs;
	int i, lfd, sfd, ret;

	if (!path)
		path = AMPD_DEFAULT_SOCKET;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(opt, "--version")) {
			printf("ampd %s (protocol %s)\n", AMPD_VERSION_STRING, AMPD_PROTO_TAG);
			return 0;
		} else if (!strcmp(opt, "--syslog")) {
			use_syslog = true;
			continue;
		} else if (!val) {
			fprintf(stderr, "ampd: %s: %s\n", opt,
				takes_value(opt) ? "needs a value" : "no such option");
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
			coredump_dir_given = true;
		} else if (!strcmp(opt, "--log-level")) {
			if (parse_level(val, &level)) {
				fprintf(stderr, "ampd: log levels are err, warn, info, debug\n");
				return 2;
			}
		} else if ((ret = set_count(opt, val)) <= 0) {
			if (ret)
				return 2;
		} else if (!strcmp(opt, "--firmware-dir")) {
			if (rproc_firmware_path_add(val)) {
				fprintf(stderr, "ampd: cannot use firmware dir %s\n", val);
				return 2;
			}
		} else {
			fprintf(stderr, "ampd: %s: no such option\n", opt);
			usage(stderr);
			return 2;
		}
	}
	idle_ns = (uint64_t)idle_s * AMP_NSEC_PER_SEC;
	/* By default one user holds half the slots: a member of the socket's group who fills
	 * its half with connections leaves the other half to everyone else. */
	if (!max_per_uid)
		max_per_uid = max_clients > 1 ? max_clients / 2 : 1;
	if (max_per_uid > max_clients)
		max_per_uid = max_clients;
	if (use_syslog) {
		openlog("ampd", LOG_PID, LOG_DAEMON);
		amp_log_set_handler(log_syslog, NULL);
	} else {
		log_stderr_init();
	}
	amp_log_set_level(level);
	/* Everything that can be refused is, before a processor is set up. */
	if (coredump_dir_given)
		check_coredump_dir();
	if (soc_file)
		load_soc(find_soc(soc_file));
	else
		ampd_soc_default(&soc);
	socket_path_clear(path);

	/* Every send to a client says MSG_NOSIGNAL; this covers stdout read by a pipe that went. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	retry_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	idle_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("ampd");
		return 1;
	}
	add_fd(sfd, &key_signal);
	add_fd(ev_fd, &key_events);
	add_fd(done_fd, &key_done);
	add_fd(retry_tfd, &key_retry);
	add_fd(idle_tfd, &key_idle);
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
			else if (key == &key_done)
				handle_done();
			else if (key == &key_retry)
				retry_pending();
			else if (key == &key_idle)
				idle_expire();
			else if (((struct client *)key)->dead)
				continue;
			else if (((struct client *)key)->mode == M_ENDPOINT)
				ept_client_msg(key, got[i].events);
			else
				serve(key);
		}
		free_dropped();
	}
	/* A clean shutdown: the workers ended (each after the request it runs), the processors
	 * off while the watchers still hear of it, then the clients (an endpoint's callback
	 * writes to its client's fd until it is destroyed), then the processors freed. */
	workers_stop();
	for (i = 0; i < (int)num_procs; i++)
		while (rproc_power_count(procs[i].rp) && !rproc_shutdown(procs[i].rp))
			;
	handle_events();
	while (clients)
		drop(clients);
	free_dropped();
	rpmsg_set_channel_watch(NULL, NULL);
	for (i = 0; i < (int)num_procs; i++) {
		if (is_shm(procs[i].cfg))
			shm_rproc_destroy(procs[i].rp);
		else if (is_qemu_m4(procs[i].cfg))
			qemu_m4_rproc_destroy(procs[i].rp);
		else
			sim_rproc_destroy(procs[i].rp);
	}
	listen_remove(path);
	amp_log(AMP_LOG_INFO, "ampd: stopped");
	printf("ampd: stopped\n");
	return 0;
}
