/* SPDX-License-Identifier: BSD-3-Clause */
/* The HAL on the sim platform: calls into the boot ROM's services. Firmware SDK. */
#include "amp-fw/hal.h"
#include "amp-fw/sim_services.h"

extern const struct amp_sim_services *amp_fw_sim_services;

void amp_fw_wait_irq(void)
{
	amp_fw_sim_services->wait_irq();
}

void amp_fw_wait_irq_timeout(uint32_t timeout_us)
{
	amp_fw_sim_services->wait_irq_timeout((uint64_t)timeout_us * 1000u);
}

void amp_fw_kick(uint32_t notifyid)
{
	amp_fw_sim_services->kick(notifyid);
}

uint64_t amp_fw_now_ns(void)
{
	return amp_fw_sim_services->now_ns();
}

void amp_fw_pet_watchdog(void)
{
	amp_fw_sim_services->pet_watchdog();
}

int amp_fw_polled(void)
{
	return (amp_fw_sim_services->flags & AMP_SIM_SVC_POLLED) != 0;
}

void *amp_fw_rsc_table(void)
{
	return (void *)(uintptr_t)amp_fw_sim_services->rsc_table_da;
}

static int in_region(uint64_t da, size_t len, uint64_t base, uint64_t size)
{
	return da >= base && da - base <= size && len <= size - (da - base);
}

void *amp_fw_da_to_va(uint64_t da, size_t len)
{
	const struct amp_sim_services *s = amp_fw_sim_services;

	/* The core maps its memory at its device addresses: a pointer is the address. */
	if (in_region(da, len, s->ram_da, s->ram_len) || in_region(da, len, s->pool_da, s->pool_len))
		return (void *)(uintptr_t)da;
	return 0;
}
