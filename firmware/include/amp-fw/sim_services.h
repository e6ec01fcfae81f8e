/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sim platform's boot-ROM services: what the simulated core hands its firmware at entry.
 * An ABI between the boot ROM (src/platform/sim/core) and firmware built with the SDK; firmware
 * reaches it through the HAL (amp-fw/hal.h), never directly.
 */
#ifndef AMP_FW_SIM_SERVICES_H
#define AMP_FW_SIM_SERVICES_H

#include <stdint.h>

#define AMP_SIM_SERVICES_MAGIC 0x414d5053u /* "SPMA" */
#define AMP_SIM_SERVICES_VERSION 3u

/* @flags */
#define AMP_SIM_SVC_POLLED 1u /* polling mode: no doorbells; watch the vrings */

/**
 * struct amp_sim_services - handed to the firmware's entry point in its first argument
 * @magic, @version:  AMP_SIM_SERVICES_MAGIC, AMP_SIM_SERVICES_VERSION
 * @wait_irq:         sleep until the host kicks (returns at once if a kick is pending) or the
 *                    timer ticks (a quarter of the watchdog's period, when there is one)
 * @wait_irq_timeout: as @wait_irq, but back after at most @timeout_ns as well
 * @kick:             ring the host's doorbell for the vring with @notifyid
 * @now_ns:           a monotonic clock
 * @pet_watchdog:     tell the host's watchdog the firmware is alive
 * @rsc_table_da:     where the host put the loaded resource table (FW's link address normally,
 *                    but firmware must use this, not assume it)
 * @ram_da, @ram_len: the core's RAM (code, data, stack)
 * @pool_da, @pool_len: memory the host allocates carveouts, vrings and buffers from
 * @flags:            AMP_SIM_SVC_*
 */
struct amp_sim_services {
	uint32_t magic;
	uint32_t version;
	void (*wait_irq)(void);
	void (*wait_irq_timeout)(uint64_t timeout_ns);
	void (*kick)(uint32_t notifyid);
	uint64_t (*now_ns)(void);
	void (*pet_watchdog)(void);
	uint64_t rsc_table_da;
	uint64_t ram_da, ram_len;
	uint64_t pool_da, pool_len;
	uint32_t flags;
};

#endif /* AMP_FW_SIM_SERVICES_H */
