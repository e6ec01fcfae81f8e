/* SPDX-License-Identifier: BSD-3-Clause */
/* Setting up the remote side of rpmsg from the loaded resource table. Firmware SDK. */
#ifndef AMP_FW_RPMSG_H
#define AMP_FW_RPMSG_H

#include <amp/rpmsg_remote.h>

/*
 * Find the rpmsg vdev in the loaded resource table (where the host put it) and set up @rdev with
 * @state (two arrays of @state_num) and @slots (@num_slots, a power of two), kicks through the HAL.
 * Returns 0, or a negative error when there is no rpmsg vdev.
 */
int amp_fw_rpmsg_init(struct rpmsg_remote_device *rdev, struct virtqueue_desc_state *state0,
		      struct virtqueue_desc_state *state1, unsigned int state_num,
		      struct rpmsg_ept_slot *slots, unsigned int num_slots);

#endif /* AMP_FW_RPMSG_H */
