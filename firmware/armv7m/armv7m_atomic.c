/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 64-bit atomic loads and stores the compiler calls out for on ARMv7-M (it has no 64-bit
 * exclusive access): the portable core reads and writes a vring descriptor's 64-bit address
 * with relaxed atomics. Masking interrupts makes each one whole as far as this core is
 * concerned; the other side never writes a descriptor while this side may read it (the ring
 * protocol hands each one over), so no one sees half of one. Firmware SDK, ARMv7-M port.
 */
#include <stdint.h>

#include "amp-fw/armv7m.h"

uint64_t __atomic_load_8(const volatile void *p, int order);
void __atomic_store_8(volatile void *p, uint64_t v, int order);

uint64_t __atomic_load_8(const volatile void *p, int order)
{
	uint32_t m = amp_fw_irq_save();
	uint64_t v = *(const volatile uint64_t *)p;

	amp_fw_irq_restore(m);
	if (order != __ATOMIC_RELAXED) /* the core asks for relaxed only; be right anyway */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return v;
}

void __atomic_store_8(volatile void *p, uint64_t v, int order)
{
	uint32_t m;

	if (order != __ATOMIC_RELAXED)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	m = amp_fw_irq_save();
	*(volatile uint64_t *)p = v;
	amp_fw_irq_restore(m);
}
