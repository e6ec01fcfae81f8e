/* SPDX-License-Identifier: BSD-3-Clause */
/* Setting up the remote side of rpmsg from the loaded resource table. Firmware SDK. */
#ifndef AMP_FW_RPMSG_H
#define AMP_FW_RPMSG_H

#include <amp/rpmsg_remote.h>

/*
 * How long the firmware looks for the next message of a stream before it asks the host for a
 * kick and sleeps (rpmsg_remote_config.busy_poll_ns; only after a poll that found two messages
 * or more, so single requests never spin). 2 us covers a streaming host's gap between messages
 * many times over and stays under the cheapest doorbell round trip (two wake-ups). A firmware
 * changes it with rpmsg_remote_set_busy_poll() after its device is set up (0: never spin).
 */
#ifndef AMP_FW_RPMSG_BUSY_POLL_NS
#define AMP_FW_RPMSG_BUSY_POLL_NS 2000u
#endif

/*
 * Find the rpmsg vdev in the loaded resource table (where the host put it) and set up @rdev with
 * @state (two arrays of @state_num) and @slots (@num_slots, a power of two), kicks through the HAL,
 * and AMP_FW_RPMSG_BUSY_POLL_NS on the HAL's clock. Returns 0, or a negative error when there
 * is no rpmsg vdev.
 */
int amp_fw_rpmsg_init(struct rpmsg_remote_device *rdev, struct virtqueue_desc_state *state0,
		      struct virtqueue_desc_state *state1, unsigned int state_num,
		      struct rpmsg_ept_slot *slots, unsigned int num_slots);

/*
 * The static state of one rpmsg device of @num_vring-entry vrings and @num_epts endpoints (a
 * power of two): a struct rpmsg_remote_device called @name, and @name##_init() to set it up
 * with amp_fw_rpmsg_init(). At file scope.
 */
#define AMP_FW_RPMSG_DEVICE(name, num_vring, num_epts)                                      \
	static struct rpmsg_remote_device name;                                              \
	static struct virtqueue_desc_state name##_vq_state[2][num_vring];                    \
	static struct rpmsg_ept_slot name##_slots[num_epts];                                 \
	static int name##_init(void)                                                         \
	{                                                                                    \
		return amp_fw_rpmsg_init(&name, name##_vq_state[0], name##_vq_state[1],      \
					 num_vring, name##_slots, num_epts);                 \
	}

/*
 * Wait for the host: sleep until it kicks (amp_fw_wait_irq()), or, when the platform polls,
 * spin until a message is on @rdev's receive ring. Returns also after about a millisecond
 * (polled) or a timer tick (amp_fw_wait_irq()), with nothing to do: pet the watchdog and wait
 * again. Until the host has set DRIVER_OK, the sleep lasts at most 10 ms
 * (amp_fw_wait_irq_timeout()): a host need not kick when it does (OpenAMP's does not).
 * Main loop context.
 */
void amp_fw_rpmsg_wait(struct rpmsg_remote_device *rdev);

/*
 * Sleep until the host may have given back a transmit buffer (rpmsg_remote_send() said
 * -ENOMEM). The host is asked to kick when it returns one only while we wait, so a sender that
 * keeps up costs it nothing; if one came back before we slept, we do not sleep (the pattern of
 * rpmsg_remote_tx_wait_arm(), which a firmware waiting its own way uses too). With @rx
 * non-zero, from the main loop, messages that arrived meanwhile are delivered: their callbacks
 * run from here, and a host blocked on its own send is not left waiting for us. From a
 * callback nothing is delivered (callbacks never nest: rpmsg_remote_poll()), so a reply waits
 * behind none of the later messages' replies. Main loop or endpoint callback context.
 */
void amp_fw_rpmsg_wait_tx(struct rpmsg_remote_device *rdev, int rx);

/*
 * rpmsg_remote_send() that waits for a buffer instead of failing with -ENOMEM, delivering
 * incoming messages while it waits when called from the main loop (as amp_fw_rpmsg_wait_tx()
 * with @rx set); from a callback it waits without delivering, and replies keep their order.
 * Returns 0 or rpmsg_remote_send()'s other errors. Main loop or endpoint callback context.
 */
int amp_fw_rpmsg_send(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data, size_t len);

/*
 * amp_fw_rpmsg_send() for all but the last message of a stream: rpmsg_remote_send_more(),
 * waiting for a buffer as amp_fw_rpmsg_send() does (a wait first tells the host what went
 * before). End the stream with amp_fw_rpmsg_send(), or wait with amp_fw_rpmsg_wait().
 * Main loop or endpoint callback context.
 */
int amp_fw_rpmsg_send_more(struct rpmsg_remote_ept *ept, uint32_t dst, const void *data,
			   size_t len);

#endif /* AMP_FW_RPMSG_H */
