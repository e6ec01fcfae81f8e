/* SPDX-License-Identifier: BSD-3-Clause */
/* The remote side of rpmsg, wired to the HAL and the loaded resource table. Firmware SDK. */
#include <amp/errno.h>
#include <amp/wire/rsc_table.h>

#include "amp-fw/hal.h"
#include "amp-fw/rpmsg.h"

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

int amp_fw_rpmsg_init(struct rpmsg_remote_device *rdev, struct virtqueue_desc_state *state0,
		      struct virtqueue_desc_state *state1, unsigned int state_num,
		      struct rpmsg_ept_slot *slots, unsigned int num_slots)
{
	struct resource_table *t = amp_fw_rsc_table();
	struct rpmsg_remote_config cfg = {0};
	uint32_t i;

	/* Our own table, which we linked: walking it needs no checks beyond the type. */
	for (i = 0; i < t->num && !cfg.vdev; i++) {
		struct fw_rsc_hdr *h = (struct fw_rsc_hdr *)((uint8_t *)t + t->offset[i]);

		if (h->type == RSC_VDEV && ((struct fw_rsc_vdev *)h->data)->id == VIRTIO_ID_RPMSG)
			cfg.vdev = (struct fw_rsc_vdev *)h->data;
	}
	if (!cfg.vdev)
		return -AMP_ENODEV;
	cfg.da_to_va = fw_da_to_va;
	cfg.kick = fw_kick;
	cfg.state[0] = state0;
	cfg.state[1] = state1;
	cfg.state_num = state_num;
	cfg.slots = slots;
	cfg.num_slots = num_slots;
	return rpmsg_remote_init(rdev, &cfg);
}
