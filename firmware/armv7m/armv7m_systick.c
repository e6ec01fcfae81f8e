/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The clock of an ARMv7-M firmware: SysTick interrupts AMP_FW_ARMV7M_TICK_HZ times a second,
 * counted, plus what the counter says of the current tick. Each interrupt also wakes a core
 * sleeping in WFI, which is how the board's waits end at a deadline. Firmware SDK, ARMv7-M port.
 */
#include <stdint.h>

#include "amp-fw/armv7m.h"
#include "amp-fw/hal.h"
#include "armv7m_regs.h"

#define SYSTICK_RELOAD (AMP_FW_ARMV7M_CPU_HZ / AMP_FW_ARMV7M_TICK_HZ - 1u)
#define NSEC_PER_TICK (1000000000ull / AMP_FW_ARMV7M_TICK_HZ)

_Static_assert(SYSTICK_RELOAD > 0 && SYSTICK_RELOAD < (1u << 24),
	       "SysTick counts 24 bits: pick AMP_FW_ARMV7M_TICK_HZ for the clock");
_Static_assert(AMP_FW_ARMV7M_CPU_HZ % 1000000u == 0, "a clock of whole MHz");

static volatile uint64_t ticks; /* written by the interrupt; read with interrupts masked */

void amp_fw_armv7m_systick(void);

void amp_fw_armv7m_systick(void)
{
	ticks = ticks + 1;
}

void armv7m_systick_init(void)
{
	ARMV7M_SYST_CSR = 0;
	ARMV7M_SYST_RVR = SYSTICK_RELOAD;
	ARMV7M_SYST_CVR = 0;
	ARMV7M_SYST_CSR = ARMV7M_SYST_CLKSOURCE | ARMV7M_SYST_TICKINT | ARMV7M_SYST_ENABLE;
}

uint64_t amp_fw_now_ns(void)
{
	uint32_t m = amp_fw_irq_save();
	uint64_t t = ticks;
	uint32_t v = ARMV7M_SYST_CVR;

	/* The counter wrapped, but the interrupt that counts it waits for us (masked): count
	 * it here, and read the counter again, since @v may be from before the wrap. */
	if (ARMV7M_ICSR & ARMV7M_ICSR_PENDSTSET) {
		t++;
		v = ARMV7M_SYST_CVR;
	}
	amp_fw_irq_restore(m);
	return t * NSEC_PER_TICK +
	       (SYSTICK_RELOAD - v) * 1000u / (AMP_FW_ARMV7M_CPU_HZ / 1000000u);
}
