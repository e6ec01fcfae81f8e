/* SPDX-License-Identifier: BSD-3-Clause */
/* The remote side of rpmsg, wired to the HAL and the loaded resource table. Firmware SDK. */
#include <amp/errno.h>
#include <amp/wire/rsc_table.h>

#include "amp-fw/hal.h"
#include "amp-fw/rpmsg.h"
#include "fw_port.h"
#include "fw_rsc.h"

static void *fw_da_to_va(void *ctx, uint64_t da, size_t len)
{
	(void)ctx;
	return amp_fw_da_to_va(da, len);
}

static void fw_kick(void *ctx, uint32_t notifyid)
{
	(void)ctx;
	amp_fw_kick(notifyid);
}

static uint64_t fw_now_ns(void *ctx)
{
	(void)ctx;
	return amp_fw_now_ns();
}

static int vdev_is_rpmsg(const void *entry, const void *arg)
{
	(void)arg;
	return ((const struct fw_rsc_vdev *)entry)->id == VIRTIO_ID_RPMSG;
}

int amp_fw_rpmsg_init(struct rpmsg_remote_device *rdev, struct virtqueue_desc_state *state0,
		      struct virtqueue_desc_state *state1, unsigned int state_num,
		      struct rpmsg_ept_slot *slots, unsigned int num_slots)
{
	struct rpmsg_remote_config cfg = {0};

	cfg.vdev = amp_fw_rsc_find(RSC_VDEV, vdev_is_rpmsg, 0);
	if (!cfg.vdev)
		return -AMP_ENODEV;
	/* What the firmware's table offers (AMP_FW_RSC_TABLE_RPMSG_TRACE_F()), read at boot:
	 * hosts negotiate on it and leave it as the image had it. */
	cfg.features = cfg.vdev->dfeatures & RPMSG_REMOTE_FEATURES;
	cfg.da_to_va = fw_da_to_va;
	/* Polled: the host neither kicks nor listens; watch the rings instead. */
	cfg.kick = amp_fw_polled() ? 0 : fw_kick;
	cfg.now_ns = fw_now_ns;
	cfg.busy_poll_ns = AMP_FW_RPMSG_BUSY_POLL_NS;
	cfg.state[0] = state0;
	cfg.state[1] = state1;
	cfg.state_num = state_num;
	cfg.slots = slots;
	cfg.num_slots = num_slots;
	return rpmsg_remote_init(rdev, &cfg);
}

/*
 * Until the host sets DRIVER_OK, look at the status byte at least this often: a host need not
 * kick when it sets it (OpenAMP's does not), and nothing else would wake us. Only while the
 * host is not ready; a few wake-ups a second cost an idle core nothing worth saving.
 */
#define FW_READY_POLL_US 10000u

/*
 * Polled: spin until @has_work, or about a millisecond went by (for the watchdog). The clock
 * is first read after 1024 empty spins, not on the way in: work that is already there, or
 * comes soon, is met without a clock read (on the sim core that is a vDSO call, a tenth of a
 * polled round trip).
 */
static void fw_spin_on(const struct rpmsg_remote_device *rdev,
		       bool (*has_work)(const struct rpmsg_remote_device *rdev))
{
	uint64_t end = 0;
	unsigned int spins = 0;

	while (!has_work(rdev)) {
		if (++spins & 1023)
			continue;
		if (!end)
			end = amp_fw_now_ns() + 1000000u;
		else if (amp_fw_now_ns() >= end)
			return;
	}
}

void amp_fw_rpmsg_wait(struct rpmsg_remote_device *rdev)
{
	int ready = rpmsg_remote_ready(rdev) == 0;

	/* What the main loop sent since the last poll goes out before we wait. */
	rpmsg_remote_flush(rdev);
	/* Until the host set DRIVER_OK there are no rings to watch: look again soon. */
	if (amp_fw_polled()) {
		if (ready)
			fw_spin_on(rdev, rpmsg_remote_rx_pending);
		/* Polled: nobody else looks at the clock for the timers. */
		amp_fw_timers_run();
	} else if (ready) {
		amp_fw_wait_irq();
	} else {
		amp_fw_wait_irq_timeout(FW_READY_POLL_US);
	}
}

void amp_fw_rpmsg_wait_tx(struct rpmsg_remote_device *rdev, int rx)
{
	if (amp_fw_polled()) {
		fw_spin_on(rdev, rpmsg_remote_tx_available);
	} else {
		/* Armed and still empty: the host's next return of a buffer will kick us. */
		if (rpmsg_remote_tx_wait_arm(rdev))
			amp_fw_wait_irq();
		rpmsg_remote_tx_wait_disarm(rdev);
	}
	if (rx)
		rpmsg_remote_poll(rdev);
}

static int fw_send(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data, size_t len,
		   int (*send)(struct rpmsg_remote_ept *, uint32_t, const void *, size_t))
{
	int ret;

	while ((ret = send(ept, dst, data, len)) == -AMP_ENOMEM)
		amp_fw_rpmsg_wait_tx(ept->rdev, 1);
	return ret;
}

int amp_fw_rpmsg_send(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data, size_t len)
{
	return fw_send(ept, dst, data, len, rpmsg_remote_send);
}

int amp_fw_rpmsg_send_more(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data,
			   size_t len)
{
	return fw_send(ept, dst, data, len, rpmsg_remote_send_more);
}
