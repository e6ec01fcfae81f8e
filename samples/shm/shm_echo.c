/* SPDX-License-Identifier: BSD-3-Clause */
/* The echo demo on the shm platform, both ends (shm_echo.h). Sample. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <amp/errno.h>
#include <amp/rpmsg_remote.h>

#include "shm_echo.h"

int shm_echo_layout_arg(int argc, char **argv, struct shm_layout *layout)
{
	if (!strcmp(argv[0], "--host-listens")) {
		layout->server = SHM_SERVER_HOST;
		return 1;
	}
	if (strcmp(argv[0], "--file") && strcmp(argv[0], "--socket"))
		return 0;
	if (argc < 2) {
		fprintf(stderr, "%s needs a path\n", argv[0]);
		return -1;
	}
	if (!strcmp(argv[0], "--file"))
		layout->file = argv[1];
	else
		layout->socket = argv[1];
	return 2;
}

/* --- the remote's side ------------------------------------------------------------------- */

struct echo_session {
	struct shm_remote *remote;
	unsigned long echoes;
};

static int echo_send(struct shm_remote *r, struct rpmsg_remote_ept *ept, uint32_t dst,
		     const void *data, size_t len, bool more)
{
	int ret, waited = 0;

	/* No host buffer free: ask the host to kick when it gives one back, look again, and
	 * sleep only if there is still none (a message being echoed stays in the host's buffer
	 * meanwhile: that is fine). The tick bounds a wait on a host that does not kick. */
	while ((ret = (more ? rpmsg_remote_send_more : rpmsg_remote_send)(ept, dst, data, len)) ==
		       -AMP_ENOMEM &&
	       waited >= 0) {
		if (rpmsg_remote_tx_wait_arm(ept->rdev))
			waited = shm_remote_wait(r, 10);
		rpmsg_remote_tx_wait_disarm(ept->rdev);
	}
	return waited < 0 ? waited : ret;
}

int shm_echo_send(struct shm_remote *r, struct rpmsg_remote_ept *ept, uint32_t dst,
		  const void *data, size_t len)
{
	return echo_send(r, ept, dst, data, len, false);
}

int shm_echo_send_more(struct shm_remote *r, struct rpmsg_remote_ept *ept, uint32_t dst,
		       const void *data, size_t len)
{
	return echo_send(r, ept, dst, data, len, true);
}

static void echo_cb(struct rpmsg_remote_ept *ept, const void *data, size_t len, uint32_t src,
		    void *priv)
{
	struct echo_session *s = priv;

	if (!shm_echo_send(s->remote, ept, src, data, len))
		s->echoes++;
}

int shm_echo_remote_run(const struct shm_remote_config *cfg, unsigned int sessions,
			const volatile bool *stop, struct shm_echo_remote_stats *stats)
{
	struct shm_echo_remote_stats none;
	unsigned int n;
	int ret = 0;

	if (!stats)
		stats = &none;
	memset(stats, 0, sizeof(*stats));
	for (n = 0; !sessions || n < sessions; n++) {
		struct echo_session s = {0};
		struct rpmsg_remote_device *rdev;
		struct rpmsg_remote_ept ept;

		ret = shm_remote_open(cfg, &s.remote);
		if (ret)
			return ret;
		rdev = shm_remote_device(s.remote);
		/* Announced once the host has set DRIVER_OK. */
		ret = rpmsg_remote_create_ept(rdev, &ept, SHM_ECHO_CHANNEL, SHM_ECHO_ADDR, echo_cb,
					      &s);
		while (!ret && !(stop && *stop) && (ret = shm_remote_wait(s.remote, 100)) >= 0) {
			ret = rpmsg_remote_poll(rdev);
			ret = ret == -AMP_EAGAIN || ret >= 0 ? 0 : ret;
		}
		stats->echoes += s.echoes;
		rpmsg_remote_get_stats(rdev, &stats->last);
		shm_remote_close(s.remote);
		if (stop && *stop)
			return 0;
		/* The host went away, or broke its rings or its table: serve the next one. */
		if (ret != -AMP_ECONNRESET && ret != -AMP_EIO && ret != -AMP_EINVAL)
			return ret;
		stats->sessions++;
	}
	return 0;
}

/* --- the host's side --------------------------------------------------------------------- */

static pthread_mutex_t peers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shm_echo_peer *peers;

static int echo_probe(struct rpmsg_channel *rpdev)
{
	struct shm_echo_peer *p;

	pthread_mutex_lock(&peers_lock);
	for (p = peers; p && strcmp(p->dev, rpmsg_device_name(rpdev)); p = p->next)
		;
	pthread_mutex_unlock(&peers_lock);
	if (!p)
		return -AMP_ENODEV; /* a processor nobody watches */
	rpdev->priv = p;
	pthread_mutex_lock(&p->lock);
	p->channel = rpdev;
	p->probes++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void echo_remove(struct rpmsg_channel *rpdev)
{
	struct shm_echo_peer *p = rpdev->priv;

	pthread_mutex_lock(&p->lock);
	if (p->channel == rpdev)
		p->channel = NULL;
	p->removes++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void echo_reply(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	struct shm_echo_peer *p = rpdev->priv;

	(void)priv;
	(void)src;
	pthread_mutex_lock(&p->lock);
	p->last_len = len;
	memcpy(p->last, data, (size_t)len < sizeof(p->last) ? (size_t)len : sizeof(p->last));
	p->replies++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static const struct rpmsg_device_id echo_ids[] = {{SHM_ECHO_CHANNEL}, {""}};
static struct rpmsg_driver echo_driver = {
	.name = "shm-echo", .id_table = echo_ids, .probe = echo_probe, .remove = echo_remove,
	.callback = echo_reply};

void shm_echo_peer_add(struct shm_echo_peer *peer, const char *proc)
{
	bool first;

	memset(peer, 0, sizeof(*peer));
	snprintf(peer->dev, sizeof(peer->dev), "%s/vdev0", proc);
	pthread_mutex_init(&peer->lock, NULL);
	pthread_cond_init(&peer->cond, NULL);
	pthread_mutex_lock(&peers_lock);
	first = !peers;
	peer->next = peers;
	peers = peer;
	pthread_mutex_unlock(&peers_lock);
	if (first)
		register_rpmsg_driver(&echo_driver);
}

void shm_echo_peer_remove(struct shm_echo_peer *peer)
{
	struct shm_echo_peer **pp;
	bool last;

	pthread_mutex_lock(&peers_lock);
	for (pp = &peers; *pp && *pp != peer; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = peer->next;
	last = !peers;
	pthread_mutex_unlock(&peers_lock);
	if (last)
		unregister_rpmsg_driver(&echo_driver);
	pthread_cond_destroy(&peer->cond);
	pthread_mutex_destroy(&peer->lock);
}

/* Wait on @p->cond (lock held) until @done says so, or until @deadline. */
static int echo_wait(struct shm_echo_peer *p, const struct timespec *deadline,
		     bool (*done)(const struct shm_echo_peer *p, unsigned int arg), unsigned int arg)
{
	int ret = 0;

	while (!done(p, arg) && ret == 0)
		ret = pthread_cond_timedwait(&p->cond, &p->lock, deadline);
	return done(p, arg) ? 0 : -AMP_ETIMEDOUT;
}

static void deadline_in(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool channel_probed(const struct shm_echo_peer *p, unsigned int probes)
{
	return p->probes >= probes && p->channel;
}

static bool replied(const struct shm_echo_peer *p, unsigned int replies)
{
	return p->replies >= replies;
}

int shm_echo_wait_channel(struct shm_echo_peer *peer, unsigned int probes, unsigned int timeout_ms)
{
	struct timespec deadline;
	int ret;

	deadline_in(&deadline, timeout_ms);
	pthread_mutex_lock(&peer->lock);
	ret = echo_wait(peer, &deadline, channel_probed, probes);
	pthread_mutex_unlock(&peer->lock);
	return ret;
}

int shm_echo_sweep(struct shm_echo_peer *peer, int min, int max, unsigned int timeout_ms)
{
	unsigned char buf[sizeof(peer->last)];
	struct rpmsg_channel *ch;
	struct timespec deadline;
	int len, i, ret, mtu, checked = 0;

	pthread_mutex_lock(&peer->lock);
	ch = peer->channel;
	pthread_mutex_unlock(&peer->lock);
	if (!ch)
		return -AMP_ENODEV;
	mtu = rpmsg_get_mtu(ch->ept);
	if (max > mtu)
		max = mtu;
	if (max > (int)sizeof(buf))
		max = (int)sizeof(buf);
	for (len = min; len <= max; len++) {
		unsigned int before;

		for (i = 0; i < len; i++)
			buf[i] = (unsigned char)(len * 31 + i);
		pthread_mutex_lock(&peer->lock);
		before = peer->replies;
		pthread_mutex_unlock(&peer->lock);
		ret = rpmsg_send(ch, buf, len);
		if (ret) {
			fprintf(stderr, "echo: sending %d bytes: %s\n", len, amp_strerror(ret));
			return ret;
		}
		deadline_in(&deadline, timeout_ms);
		pthread_mutex_lock(&peer->lock);
		ret = echo_wait(peer, &deadline, replied, before + 1);
		if (!ret && (peer->last_len != len || memcmp(peer->last, buf, (size_t)len)))
			ret = -AMP_EBADMSG;
		pthread_mutex_unlock(&peer->lock);
		if (ret) {
			fprintf(stderr, "echo: %d bytes: %s\n", len,
				ret == -AMP_EBADMSG ? "the echo differs" : "no echo");
			return ret;
		}
		checked++;
	}
	return checked;
}
