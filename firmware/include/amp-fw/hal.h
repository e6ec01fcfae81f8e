/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firmware's hardware abstraction: what a platform gives its firmware. The sim platform's
 * implementation is firmware/sim/hal_sim.c; another platform is one such file away.
 */
#ifndef AMP_FW_HAL_H
#define AMP_FW_HAL_H

#include <stddef.h>
#include <stdint.h>

/* Sleep until the host kicks (returns at once if a kick came since the last call), or until the
 * platform's timer ticks: with a watchdog, an idle core wakes a few times a period so that its
 * main loop can pet it. Either way, look at what there is to do; it may be nothing. */
void amp_fw_wait_irq(void);
/* As amp_fw_wait_irq(), but back after at most @timeout_us microseconds even if nothing else
 * happens: for what the host changes without a kick (it may set DRIVER_OK silently). On a
 * microcontroller, a one-shot timer interrupt armed before the wait-for-interrupt. */
void amp_fw_wait_irq_timeout(uint32_t timeout_us);
/* Ring the host's doorbell for the vring with @notifyid. */
void amp_fw_kick(uint32_t notifyid);
uint64_t amp_fw_now_ns(void);
void amp_fw_pet_watchdog(void);
/* Non-zero when the platform polls instead of ringing doorbells: the host neither kicks nor
 * listens for kicks, and firmware finds work by watching its vrings (amp_fw_rpmsg_wait()). */
int amp_fw_polled(void);
/* The loaded resource table, where the host put it. */
void *amp_fw_rsc_table(void);
/* A pointer to [da, da + len) if all of it is this core's memory, else NULL. */
void *amp_fw_da_to_va(uint64_t da, size_t len);

#endif /* AMP_FW_HAL_H */
