/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARMv7-M start-up: the vector table, the reset handler (the C run-time's start: bss, faults on,
 * the null-pointer guard, SysTick, the board's devices, then main()), and device interrupts
 * through the NVIC, dispatched to the handlers amp_fw_irq_attach() registered.
 * Firmware SDK, ARMv7-M port.
 */
#include <stdint.h>

#include <amp/errno.h>

#include "amp-fw/armv7m.h"
#include "amp-fw/hal.h"
#include "armv7m_regs.h"

/*
 * The first 2^AMP_FW_ARMV7M_NULL_GUARD bytes of the address space are made inaccessible to the
 * firmware once it runs (an MPU region with no access), so that a NULL pointer faults instead
 * of reading or writing whatever sits at address 0 (on the mps2 boards, the boot ROM's RAM).
 * 0: no guard.
 */
#ifndef AMP_FW_ARMV7M_NULL_GUARD
#define AMP_FW_ARMV7M_NULL_GUARD 22
#endif

extern uint32_t __stack_top[], __bss_start[], __bss_end[];
int main(void);

void amp_fw_armv7m_reset(void);
void amp_fw_armv7m_fault_entry(void);
void amp_fw_armv7m_systick(void);
static void irq_dispatch(void);

static struct {
	amp_fw_irq_handler_t fn;
	void *arg;
} irq_handlers[AMP_FW_ARMV7M_NUM_IRQS];

typedef void (*vector_t)(void);

/* The core reads this table on every exception (VTOR points at it), and the boot ROM reads its
 * first two words to start the firmware. Aligned to the next power of two of its size, as VTOR
 * requires. Every fault, the NMI and a system call go to the fault handler: none is expected. */
__attribute__((section(".vectors"), used, aligned(256))) const vector_t
	amp_fw_vectors[16 + AMP_FW_ARMV7M_NUM_IRQS] = {
		[0] = (vector_t)(uintptr_t)__stack_top,
		[1] = amp_fw_armv7m_reset,
		[2] = amp_fw_armv7m_fault_entry,  /* NMI */
		[3] = amp_fw_armv7m_fault_entry,  /* HardFault */
		[4] = amp_fw_armv7m_fault_entry,  /* MemManage */
		[5] = amp_fw_armv7m_fault_entry,  /* BusFault */
		[6] = amp_fw_armv7m_fault_entry,  /* UsageFault */
		[11] = amp_fw_armv7m_fault_entry, /* SVCall */
		[12] = amp_fw_armv7m_fault_entry, /* DebugMonitor */
		[14] = amp_fw_armv7m_fault_entry, /* PendSV: the SDK never pends it */
		[15] = amp_fw_armv7m_systick,
		[16 ... 16 + AMP_FW_ARMV7M_NUM_IRQS - 1] = irq_dispatch,
};

static void irq_dispatch(void)
{
	uint32_t ipsr, irq;

	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	irq = (ipsr & 0x1ffu) - ARMV7M_EXC_IRQ0;
	if (irq < AMP_FW_ARMV7M_NUM_IRQS && irq_handlers[irq].fn)
		irq_handlers[irq].fn(irq_handlers[irq].arg);
	else if (irq < AMP_FW_ARMV7M_NUM_IRQS)
		ARMV7M_NVIC_ICER(irq / 32) = 1u << (irq % 32); /* nobody's: off, not a storm */
}

int amp_fw_irq_attach(unsigned int irq, uint8_t priority, amp_fw_irq_handler_t fn, void *arg)
{
	uint32_t m;

	if (irq >= AMP_FW_ARMV7M_NUM_IRQS || !fn)
		return -AMP_EINVAL;
	m = amp_fw_irq_save();
	irq_handlers[irq].fn = fn;
	irq_handlers[irq].arg = arg;
	ARMV7M_NVIC_IPR(irq) = priority;
	ARMV7M_NVIC_ICPR(irq / 32) = 1u << (irq % 32);
	ARMV7M_NVIC_ISER(irq / 32) = 1u << (irq % 32);
	amp_fw_irq_restore(m);
	return 0;
}

void amp_fw_irq_detach(unsigned int irq)
{
	uint32_t m;

	if (irq >= AMP_FW_ARMV7M_NUM_IRQS)
		return;
	m = amp_fw_irq_save();
	ARMV7M_NVIC_ICER(irq / 32) = 1u << (irq % 32);
	irq_handlers[irq].fn = 0;
	amp_fw_irq_restore(m);
}

static void armv7m_null_guard(void)
{
	if (!AMP_FW_ARMV7M_NULL_GUARD)
		return;
	/* Region 0 at address 0: no access (AP 000), never executable (XN); SIZE is log2 - 1.
	 * Everything else keeps the default memory map (PRIVDEFENA). */
	ARMV7M_MPU_RNR = 0;
	ARMV7M_MPU_RBAR = 0;
	ARMV7M_MPU_RASR = (1u << 28) | ((AMP_FW_ARMV7M_NULL_GUARD - 1u) << 1) | 1u;
	ARMV7M_MPU_CTRL = ARMV7M_MPU_CTRL_ENABLE | ARMV7M_MPU_CTRL_PRIVDEFENA;
	__asm__ volatile("dsb\n\tisb" ::: "memory");
}

void amp_fw_armv7m_reset(void)
{
	uint32_t *p;

	__asm__ volatile("cpsid i" ::: "memory");
	/* Whoever started us (the boot ROM, a debugger) may not have pointed VTOR here. */
	ARMV7M_VTOR = (uint32_t)(uintptr_t)amp_fw_vectors;
	/* The loader zeroes what the ELF says is bss; zero it again for firmware loaded by
	 * something less careful. The stack is not in it. */
	for (p = __bss_start; p < __bss_end; p++)
		*(volatile uint32_t *)p = 0;
	/* Faults of their own kind rather than all escalated to HardFault, so that the report
	 * says which; and a division by zero faults instead of giving 0. */
	ARMV7M_SHCSR |= ARMV7M_SHCSR_FAULTS_ENA;
	ARMV7M_CCR |= ARMV7M_CCR_DIV_0_TRP;
	armv7m_null_guard();
	armv7m_systick_init();
	amp_fw_board_init();
	__asm__ volatile("cpsie i\n\tisb" ::: "memory");
	main();
	/* Nothing left to do: sleep on the doorbell forever. */
	for (;;)
		amp_fw_wait_irq();
}
