/* SPDX-License-Identifier: BSD-3-Clause */
/* Firmware entry on the sim platform: keep the services, zero .bss, run main. Firmware SDK. */
#include <stdint.h>

#include "amp-fw/sim_services.h"

extern char __bss_start[], __bss_end[];
int main(void);

const struct amp_sim_services *amp_fw_sim_services;

__attribute__((section(".text._start"), used, noreturn)) void _start(
	const struct amp_sim_services *svc);

void _start(const struct amp_sim_services *svc)
{
	char *p;

	/* The loader zeroes what the ELF says is bss; zero it again for firmware loaded by
	 * something less careful. */
	for (p = __bss_start; p < __bss_end; p++)
		*(volatile char *)p = 0;
	amp_fw_sim_services = svc;
	if (svc->magic != AMP_SIM_SERVICES_MAGIC || svc->version != AMP_SIM_SERVICES_VERSION)
		__builtin_trap();
	main();
	/* Nothing left to do: sleep on the doorbell forever. */
	for (;;)
		svc->wait_irq();
}
