/* SPDX-License-Identifier: BSD-3-Clause */
/* The HAL on the sim platform: calls into the boot ROM's services. Firmware SDK. */
#include "amp-fw/hal.h"
#include "amp-fw/sim_services.h"
#include "fw_port.h"
#include "fw_rsc.h"

extern const struct amp_sim_services *amp_fw_sim_services;

/* The boot ROM does not say why a wait ended: one that ended before its deadline may have been
 * a kick, and is taken for one (at worst the firmware looks at its rings for nothing). */
int amp_fw_port_wait(uint64_t deadline_ns)
{
	uint64_t now = amp_fw_now_ns();

	if (deadline_ns == AMP_FW_NO_DEADLINE) {
		amp_fw_sim_services->wait_irq();
		return 1;
	}
	if (deadline_ns > now)
		amp_fw_sim_services->wait_irq_timeout(deadline_ns - now);
	return amp_fw_now_ns() < deadline_ns;
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

void *amp_fw_da_to_va(uint64_t da, size_t len)
{
	const struct amp_sim_services *s = amp_fw_sim_services;

	return amp_fw_identity_map(da, len, s->ram_da, s->ram_len, s->pool_da, s->pool_len);
}
