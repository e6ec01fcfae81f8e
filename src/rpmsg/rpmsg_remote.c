/* SPDX-License-Identifier: BSD-3-Clause */
/* rpmsg on the remote (virtio device side) for firmware. Portable: no OS, no allocation. */
#include <amp/compiler.h>
#include <amp/errno.h>
#include <amp/rpmsg_remote.h>
#include <amp/wire/byteorder.h>

#include "rpmsg/rpmsg_proto.h"
#include "util/amp_util.h"

#define HDR_LEN ((uint32_t)sizeof(struct rpmsg_hdr))

/* A 32-bit field of the live table, copied once (the table is packed: no atomic access). */
static uint32_t table_rd32(const void *field)
{
	uint32_t v;

	amp_memcpy(&v, field, sizeof(v));
	return amp_le32_to_cpu(v);
}

static void remote_vq_notify(struct virtqueue *vq)
{
	struct rpmsg_remote_device *rdev = vq->priv;

	rdev->cfg.kick(rdev->cfg.ctx, rdev->notifyid[vq->index]);
}

int rpmsg_remote_init(struct rpmsg_remote_device *rdev, const struct rpmsg_remote_config *cfg)
{
	if (!rdev || !cfg || !cfg->vdev || !cfg->da_to_va || !cfg->state[0] || !cfg->state[1] ||
	    !cfg->slots || !amp_is_pow2(cfg->num_slots) || cfg->num_slots < 4 ||
	    (cfg->busy_poll_ns && !cfg->now_ns))
		return -AMP_EINVAL;
	/* What the table offers is what the host may accept: code that would not honour an
	 * accepted feature (or would use one the table never offered) is refused here, not found
	 * out by a host that stops kicking. Bits we do not implement are not ours to judge. */
	if ((cfg->features & ~RPMSG_REMOTE_FEATURES) ||
	    (table_rd32(&cfg->vdev->dfeatures) & RPMSG_REMOTE_FEATURES) != cfg->features)
		return -AMP_EINVAL;
	amp_memset(rdev, 0, sizeof(*rdev));
	rdev->cfg = *cfg;
	rpmsg_ept_table_init(&rdev->epts, cfg->slots, cfg->num_slots);
	return 0;
}

static void remote_tx_flush(struct rpmsg_remote_device *rdev);

/* An announcement goes out at once, polled or not: a host may wait for the channel before it
 * sends the message that makes us poll. From @addr, as the endpoint's own messages. */
static int remote_announce(struct rpmsg_remote_device *rdev, const char *name, uint32_t addr,
			   bool destroy)
{
	struct rpmsg_remote_ept from = {.addr = addr, .dest_addr = RPMSG_NS_ADDR, .rdev = rdev};
	uint8_t msg[sizeof(struct rpmsg_ns_msg)];
	int ret;

	rpmsg_ns_write(msg, name, addr, destroy);
	ret = rpmsg_remote_send(&from, RPMSG_NS_ADDR, msg, sizeof(msg));
	remote_tx_flush(rdev);
	return ret;
}

/* Send the announcements that wait: DESTROYs oldest first, then the CREATEs. False when one
 * still found no buffer (the rest wait behind it). */
static bool remote_ns_send_waiting(struct rpmsg_remote_device *rdev)
{
	uint32_t i;

	while (rdev->ns_gone_n) {
		if (remote_announce(rdev, rdev->ns_gone[0].name, rdev->ns_gone[0].addr, true))
			return false;
		rdev->ns_gone_n--;
		amp_memmove(&rdev->ns_gone[0], &rdev->ns_gone[1],
			    rdev->ns_gone_n * sizeof(rdev->ns_gone[0]));
	}
	if (!rdev->ns_retry)
		return true;
	for (i = 0; i < rdev->epts.cap; i++) {
		struct rpmsg_remote_ept *ept = rdev->epts.slots[i].ept;

		if (!ept || ept->announced || !ept->name[0])
			continue;
		if (remote_announce(rdev, ept->name, ept->addr, false))
			return false;
		ept->announced = true;
	}
	rdev->ns_retry = false;
	return true;
}

/*
 * What waits goes out if the host has buffers. What still waits asks the host to kick when it
 * returns one, so that a firmware asleep in its main loop comes back to send it; armed and
 * found a buffer already returned, it tries again at once. Disarmed when nothing waits.
 */
static void remote_ns_flush(struct rpmsg_remote_device *rdev)
{
	if (!rdev->ns || (!rdev->ns_retry && !rdev->ns_gone_n))
		return;
	while (!remote_ns_send_waiting(rdev)) {
		if (!rdev->cfg.kick)
			return; /* polling mode: the next poll tries again */
		rdev->ns_armed = true;
		if (virtqueue_enable_cb(&rdev->txq))
			return;
	}
	if (rdev->ns_armed) {
		rdev->ns_armed = false;
		virtqueue_disable_cb(&rdev->txq);
	}
}

/* Take the vrings the host wrote into the table: read each field once, check it maps. */
static int remote_setup_vq(struct rpmsg_remote_device *rdev, unsigned int i, struct virtqueue *vq,
			   uint32_t features)
{
	struct fw_rsc_vdev_vring *r = &rdev->cfg.vdev->vring[i];
	uint32_t da = table_rd32(&r->da);
	uint32_t align = table_rd32(&r->align);
	uint32_t num = table_rd32(&r->num);
	struct virtqueue_config vc = {
		.role = VIRTQUEUE_DEVICE,
		.num = num,
		.align = align,
		.state = rdev->cfg.state[i],
		.notify = rdev->cfg.kick ? remote_vq_notify : NULL,
		.priv = rdev,
		.index = i,
		.name = i ? "remote rx vring 1" : "remote tx vring 0",
		.event_idx = (features >> VIRTIO_RING_F_EVENT_IDX) & 1,
	};

	rdev->notifyid[i] = table_rd32(&r->notifyid);
	if (!amp_is_pow2(num) || num > rdev->cfg.state_num || !amp_is_pow2(align) || align < 4)
		return -AMP_EINVAL;
	vc.ring_len = vring_size(num, align);
	vc.ring = rdev->cfg.da_to_va(rdev->cfg.ctx, da, vc.ring_len);
	if (!vc.ring)
		return -AMP_EINVAL;
	return virtqueue_init(vq, &vc);
}

int rpmsg_remote_ready(struct rpmsg_remote_device *rdev)
{
	struct fw_rsc_vdev *vdev = rdev->cfg.vdev;
	uint32_t features;
	uint8_t status;
	int ret;

	if (rdev->ready)
		return 0;
	/* Acquire: what the host set up before DRIVER_OK (rings, buffers posted) is visible
	 * once we see it. Pairs with the release store of the status on the host. */
	status = __atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE);
	if (!(status & VIRTIO_CONFIG_S_DRIVER_OK))
		return -AMP_EAGAIN;
	if (table_rd32(&vdev->id) != VIRTIO_ID_RPMSG ||
	    __atomic_load_n(&vdev->num_of_vrings, __ATOMIC_RELAXED) < 2)
		return -AMP_EINVAL;
	/* Negotiated: what the host accepted of what we offered. The host writes gfeatures, and
	 * OpenAMP's copies whatever we offer; a bit we never offered means nothing to us. */
	features = table_rd32(&vdev->gfeatures) & rdev->cfg.features;
	ret = remote_setup_vq(rdev, 0, &rdev->txq, features);
	if (!ret)
		ret = remote_setup_vq(rdev, 1, &rdev->rxq, features);
	if (ret)
		return ret;
	rdev->ns = (features >> VIRTIO_RPMSG_F_NS) & 1;
	rdev->ready = true;
	rdev->ns_retry = true; /* what was created before */
	remote_ns_flush(rdev);
	return 0;
}

int rpmsg_remote_create_ept(struct rpmsg_remote_device *rdev, struct rpmsg_remote_ept *ept,
			    const char *name, uint32_t addr, rpmsg_remote_cb_t cb, void *priv)
{
	size_t n;
	int ret;

	if (!rdev || !ept || !cb)
		return -AMP_EINVAL;
	if (addr == RPMSG_ADDR_ANY) {
		ret = rpmsg_ept_table_alloc_addr(&rdev->epts, &addr);
		if (ret)
			return ret;
	}
	amp_memset(ept, 0, sizeof(*ept));
	n = name ? amp_strnlen(name, RPMSG_NAME_SIZE - 1) : 0;
	amp_memcpy(ept->name, name, n);
	ept->addr = addr;
	ept->dest_addr = RPMSG_ADDR_ANY;
	ept->cb = cb;
	ept->priv = priv;
	ept->rdev = rdev;
	ret = rpmsg_ept_table_insert(&rdev->epts, addr, ept);
	if (ret)
		return ret;
	if (rdev->ready && rdev->ns && n) {
		/* Behind any DESTROY that waits: it may be of this very name and address. */
		if (!rdev->ns_gone_n && !remote_announce(rdev, ept->name, addr, false)) {
			ept->announced = true;
		} else {
			rdev->stats.ns_deferred++;
			rdev->ns_retry = true;
			remote_ns_flush(rdev);
		}
	}
	return 0;
}

void rpmsg_remote_destroy_ept(struct rpmsg_remote_ept *ept)
{
	struct rpmsg_remote_device *rdev = ept->rdev;
	bool sent;

	if (!rdev || rpmsg_ept_table_lookup(&rdev->epts, ept->addr) != ept)
		return; /* not (or no longer) in the table: not ours to announce or remove */
	rpmsg_ept_table_remove(&rdev->epts, ept->addr);
	if (!ept->announced)
		return; /* its CREATE never went out (and no longer will: it left the table) */
	ept->announced = false;
	sent = !rdev->ns_gone_n && !remote_announce(rdev, ept->name, ept->addr, true);
	if (sent)
		return;
	if (rdev->ns_gone_n == RPMSG_REMOTE_NS_GONE) {
		rdev->stats.ns_lost++;
		return;
	}
	rdev->stats.ns_deferred++;
	amp_memcpy(rdev->ns_gone[rdev->ns_gone_n].name, ept->name, RPMSG_NAME_SIZE);
	rdev->ns_gone[rdev->ns_gone_n++].addr = ept->addr;
	remote_ns_flush(rdev);
}

/* Publish the receive buffers rpmsg_remote_poll() returned but has not published yet, and
 * kick if the host asked for it. */
static void remote_rx_flush(struct rpmsg_remote_device *rdev)
{
	if (rdev->cfg.kick)
		virtqueue_kick(&rdev->rxq);
	else
		virtqueue_publish_used(&rdev->rxq);
}

/* Polled sends are published in batches of up to this many: used->idx of vring 0, the line the
 * host's poller spins on, moves once per batch, so that a stream does not pull it back and
 * forth with every message; and at the latest when rpmsg_remote_poll() returns, or
 * rpmsg_remote_flush(). */
#define REMOTE_TX_BATCH 32

/* Publish what sends left unpublished; with a doorbell, also decide on the kick they left
 * undecided (rpmsg_remote_send_more()). Nothing new with a doorbell: no fence, no decision. */
static void remote_tx_flush(struct rpmsg_remote_device *rdev)
{
	if (rdev->cfg.kick && !rdev->tx_unpublished)
		return;
	rdev->tx_unpublished = 0;
	if (rdev->cfg.kick)
		virtqueue_kick(&rdev->txq);
	else
		virtqueue_publish_used(&rdev->txq);
}

void rpmsg_remote_flush(struct rpmsg_remote_device *rdev)
{
	if (!rdev->ready)
		return;
	remote_ns_flush(rdev);
	remote_tx_flush(rdev);
	virtqueue_publish_used(&rdev->rxq);
}

static int remote_send(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data, size_t len,
		       bool more)
{
	struct rpmsg_remote_device *rdev = ept->rdev;
	struct virtqueue_buf b;
	uint16_t head;
	uint8_t *buf;
	int n;

	if (!rdev->ready)
		return -AMP_EAGAIN;
	if (dst == RPMSG_ADDR_ANY)
		dst = ept->dest_addr;
	if (dst == RPMSG_ADDR_ANY)
		return -AMP_ENOTCONN;
	if (len > 0xffff || (rdev->buf_size && len > rdev->buf_size - HDR_LEN))
		return -AMP_EMSGSIZE;
	n = virtqueue_get_avail_buf(&rdev->txq, &b, 1, &head);
	if (n == 0) {
		/* The caller will wait for the host (perhaps from a callback, inside
		 * rpmsg_remote_poll()): whatever the host waits for from us goes out first. */
		remote_rx_flush(rdev);
		remote_tx_flush(rdev);
		rdev->stats.tx_no_buf++;
		return -AMP_ENOMEM;
	}
	if (n == -AMP_EMSGSIZE) {
		/* A chain: not how rpmsg posts buffers. Give it back unused. */
		virtqueue_add_used_buf(&rdev->txq, head, 0);
		return -AMP_EFAULT;
	}
	if (n < 0)
		return n;
	buf = b.write && b.len >= HDR_LEN ? rdev->cfg.da_to_va(rdev->cfg.ctx, b.addr, b.len) : NULL;
	if (!buf) {
		virtqueue_add_used_buf(&rdev->txq, head, 0);
		virtqueue_kick(&rdev->txq);
		return -AMP_EFAULT;
	}
	rdev->buf_size = b.len;
	if (len > b.len - HDR_LEN) {
		virtqueue_add_used_buf(&rdev->txq, head, 0);
		virtqueue_kick(&rdev->txq);
		return -AMP_EMSGSIZE;
	}
	rpmsg_hdr_write(buf, ept->addr, dst, (uint16_t)len);
	if (len)
		amp_memcpy(buf + HDR_LEN, data, len);
	/* With a doorbell each send decides on a kick (a full fence, then a read of the line the
	 * host arms in) unless more follow; a batch still decides once, so a host that armed
	 * meanwhile waits for 31 messages at most. */
	virtqueue_add_used_buf_deferred(&rdev->txq, head, HDR_LEN + (uint32_t)len);
	if (++rdev->tx_unpublished == REMOTE_TX_BATCH || (rdev->cfg.kick && !more))
		remote_tx_flush(rdev);
	rdev->stats.tx_msgs++;
	return 0;
}

int rpmsg_remote_send(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data, size_t len)
{
	return remote_send(ept, dst, data, len, false);
}

int rpmsg_remote_send_more(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data,
			   size_t len)
{
	return remote_send(ept, dst, data, len, true);
}

/* The host's name service speaks of its own endpoints: check the message as the host checks
 * ours, then tell the firmware. */
static void remote_host_ns(struct rpmsg_remote_device *rdev, const struct rpmsg_rx_msg *msg)
{
	struct rpmsg_ns_info ns;

	if (rpmsg_ns_parse(msg->data, msg->len, &ns)) {
		rdev->stats.ns_bad++;
		return;
	}
	rdev->stats.ns_msgs++;
	if (rdev->ns_cb)
		rdev->ns_cb(rdev, ns.name, ns.addr, ns.destroy, rdev->ns_priv);
}

static void remote_deliver(struct rpmsg_remote_device *rdev, const struct virtqueue_buf *b)
{
	struct rpmsg_remote_ept *ept;
	struct rpmsg_rx_msg msg;
	const uint8_t *buf;

	buf = b->len >= HDR_LEN ? rdev->cfg.da_to_va(rdev->cfg.ctx, b->addr, b->len) : NULL;
	/* The host posts whole messages: the buffer's length is what it wrote. */
	if (!buf || rpmsg_rx_parse(buf, b->len, b->len, &msg)) {
		rdev->stats.rx_bad++;
		return;
	}
	ept = rpmsg_ept_table_lookup(&rdev->epts, msg.dst);
	if (!ept) {
		if (msg.dst == RPMSG_NS_ADDR && rdev->ns)
			remote_host_ns(rdev, &msg);
		else
			rdev->stats.rx_no_ept++;
		return;
	}
	/* The remote learns the host's address from its first message (Linux's rule). */
	if (ept->dest_addr == RPMSG_ADDR_ANY)
		ept->dest_addr = msg.src;
	rdev->stats.rx_msgs++;
	ept->cb(ept, msg.data, msg.len, msg.src, ept->priv);
}

/*
 * After a burst, before the host is asked to kick: look at the receive ring for up to
 * busy_poll_ns (the clock is read every 32 looks; and never more looks than nanoseconds, in
 * case a clock stands still). A streaming host posts again within a message's time, and then
 * neither side pays for a doorbell. What we consumed is published first: a host that waits
 * for those buffers must not wait for our spin (the caller kicked).
 */
static bool remote_rx_busy_poll(struct rpmsg_remote_device *rdev)
{
	uint32_t looks = 0;
	uint64_t end = 0, now;

	while (!virtqueue_has_work(&rdev->rxq)) {
		AMP_CPU_RELAX();
		if (++looks & 31)
			continue;
		now = rdev->cfg.now_ns(rdev->cfg.ctx);
		if (!end) {
			end = now + rdev->cfg.busy_poll_ns;
		} else if (now >= end || looks >= rdev->cfg.busy_poll_ns) {
			rdev->stats.busy_poll_misses++;
			return false;
		}
	}
	rdev->stats.busy_polls++;
	return true;
}

/*
 * Returned receive buffers are published in batches of a quarter ring, 32 at most: used->idx, a
 * line the host reads, moves once per batch, and at the latest when the ring is empty. With a
 * doorbell each batch also kicks a host that waits for buffers (it asked): it wakes and posts
 * more while we work through the rest, instead of finding out once we sleep.
 */
#define REMOTE_RX_BATCH_MAX 32u

static unsigned int remote_rx_batch(const struct rpmsg_remote_device *rdev)
{
	unsigned int quarter = virtqueue_get_vring_size(&rdev->rxq) / 4;

	return quarter < 1 ? 1 : quarter < REMOTE_RX_BATCH_MAX ? quarter : REMOTE_RX_BATCH_MAX;
}

int rpmsg_remote_poll(struct rpmsg_remote_device *rdev)
{
	struct virtqueue_buf b;
	uint16_t head;
	int n, delivered = 0;
	unsigned int batch, unpublished = 0;
	int ret;
	bool quiet = false;

	if (rdev->in_cb)
		return -AMP_EBUSY;
	ret = rpmsg_remote_ready(rdev);
	if (ret)
		return ret;
	remote_ns_flush(rdev);
	batch = remote_rx_batch(rdev);
	for (;;) {
		n = virtqueue_get_avail_buf(&rdev->rxq, &b, 1, &head);
		if (n == 0) {
			/* Polling mode: nobody sleeps, nothing to arm. */
			if (!rdev->cfg.kick) {
				virtqueue_publish_used(&rdev->rxq);
				remote_tx_flush(rdev); /* what the callbacks sent */
				break;
			}
			/* Return what we consumed with a kick (a blocked Linux sender waits for
			 * it). In a stream the next message is likely on its way: look for it a
			 * while first. Then re-arm and look again. */
			virtqueue_kick(&rdev->rxq);
			remote_tx_flush(rdev); /* what the callbacks sent with more to follow */
			unpublished = 0;
			if (delivered >= 2 && rdev->cfg.busy_poll_ns && remote_rx_busy_poll(rdev))
				continue;
			if (virtqueue_enable_cb(&rdev->rxq))
				break;
			quiet = false;
			continue;
		}
		/* Draining: what the host posts meanwhile needs no kick. With ring flags it would
		 * kick for every message until we re-arm (with EVENT_IDX this writes nothing: the
		 * event we armed at is passed once). */
		if (!quiet && rdev->cfg.kick) {
			virtqueue_disable_cb(&rdev->rxq);
			quiet = true;
		}
		if (n == 1) {
			rdev->in_cb = true; /* the endpoint's or the name service's */
			remote_deliver(rdev, &b);
			rdev->in_cb = false;
		} else if (n != -AMP_EMSGSIZE)
			return n; /* broken: nothing more is published */
		/* The used length of a consumed host buffer is its whole length, as OpenAMP's
		 * remote writes it: OpenAMP's host reads it back as the buffer's capacity when it
		 * reuses the buffer (Linux's ignores it; ours accepts either). A chain, which rpmsg
		 * never posts, goes back as 0. */
		virtqueue_add_used_buf_deferred(&rdev->rxq, head, n == 1 ? b.len : 0);
		delivered += n == 1;
		if (++unpublished == batch) {
			remote_rx_flush(rdev);
			unpublished = 0;
		}
	}
	/* Buffers of ours the host may want back on vring 0 need no kick: we only take. */
	return delivered;
}

void rpmsg_remote_set_ns_cb(struct rpmsg_remote_device *rdev, rpmsg_remote_ns_cb_t cb, void *priv)
{
	rdev->ns_cb = cb;
	rdev->ns_priv = priv;
}

bool rpmsg_remote_tx_wait_arm(struct rpmsg_remote_device *rdev)
{
	/* Polling mode: nobody would kick, so there is nothing to sleep on. */
	if (!rdev->ready || !rdev->cfg.kick)
		return false;
	return virtqueue_enable_cb(&rdev->txq);
}

void rpmsg_remote_tx_wait_disarm(struct rpmsg_remote_device *rdev)
{
	if (rdev->ready && rdev->cfg.kick)
		virtqueue_disable_cb(&rdev->txq);
}

bool rpmsg_remote_tx_available(const struct rpmsg_remote_device *rdev)
{
	return rdev->ready && virtqueue_has_work(&rdev->txq);
}

bool rpmsg_remote_rx_pending(const struct rpmsg_remote_device *rdev)
{
	return rdev->ready && virtqueue_has_work(&rdev->rxq);
}

int rpmsg_remote_set_busy_poll(struct rpmsg_remote_device *rdev, uint32_t busy_poll_ns)
{
	if (busy_poll_ns && !rdev->cfg.now_ns)
		return -AMP_EINVAL;
	rdev->cfg.busy_poll_ns = busy_poll_ns;
	return 0;
}

void rpmsg_remote_get_stats(const struct rpmsg_remote_device *rdev,
			    struct rpmsg_remote_stats *stats)
{
	*stats = rdev->stats;
}
