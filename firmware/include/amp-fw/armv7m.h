/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SDK's ARMv7-M port (Cortex-M3, M4): interrupts through the NVIC, masking them, and what
 * the fault handler collects. Start-up, the vector table, SysTick and the fault handler itself
 * are in firmware/armv7m/; a board (firmware/qemu-m4/) adds its devices. Firmware SDK, ARMv7-M
 * targets only.
 */
#ifndef AMP_FW_ARMV7M_H
#define AMP_FW_ARMV7M_H

#include <stdint.h>

/* Device interrupts the vector table has entries for (the mps2 boards route 32). */
#ifndef AMP_FW_ARMV7M_NUM_IRQS
#define AMP_FW_ARMV7M_NUM_IRQS 32
#endif

/* The core's clock, which SysTick counts (QEMU's mps2-an386: 25 MHz). */
#ifndef AMP_FW_ARMV7M_CPU_HZ
#define AMP_FW_ARMV7M_CPU_HZ 25000000u
#endif

/* SysTick interrupts per second: the resolution of amp_fw_sleep_ms() and of the timers. */
#ifndef AMP_FW_ARMV7M_TICK_HZ
#define AMP_FW_ARMV7M_TICK_HZ 1000u
#endif

typedef void (*amp_fw_irq_handler_t)(void *arg);

/*
 * amp_fw_irq_attach() - run @fn(@arg) for device interrupt @irq (0-based, as the NVIC numbers
 * them), at @priority (0 the most urgent; the port uses the upper bits the core implements),
 * and enable it. Handlers run in handler mode: keep them short, and leave rpmsg to the main
 * loop (set a flag, let amp_fw_wait_irq() return). Returns 0, or -EINVAL for an @irq past
 * AMP_FW_ARMV7M_NUM_IRQS. Main loop context, before or after interrupts are on.
 */
int amp_fw_irq_attach(unsigned int irq, uint8_t priority, amp_fw_irq_handler_t fn, void *arg);

/* amp_fw_irq_detach() - disable @irq and forget its handler. Main loop context. */
void amp_fw_irq_detach(unsigned int irq);

/* Mask interrupts (PRIMASK) and return what the mask was, for amp_fw_irq_restore(). Any
 * context. Faults are not masked. */
static inline uint32_t amp_fw_irq_save(void)
{
	uint32_t primask;

	__asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
	return primask;
}

static inline void amp_fw_irq_restore(uint32_t primask)
{
	__asm__ volatile("msr primask, %0\n\tisb" : : "r"(primask) : "memory");
}

/**
 * struct amp_fw_fault - the core's state when a fault (or NMI, or a system call, which firmware
 * must not make) stopped it, as the fault handler collected it for the board to report
 * @exception:  the exception number (3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault,
 *              2 NMI, 11 SVCall)
 * @r:          r0..r15: r13 is the stack pointer before the exception frame was pushed, r15 the
 *              address of the instruction that faulted (the frame's return address)
 * @xpsr:       the program status register from the frame
 * @cfsr, @hfsr, @mmfar, @bfar: the fault status and fault address registers
 * @exc_return: the handler's EXC_RETURN
 */
struct amp_fw_fault {
	uint32_t exception;
	uint32_t r[16];
	uint32_t xpsr;
	uint32_t cfsr, hfsr, mmfar, bfar;
	uint32_t exc_return;
};

#endif /* AMP_FW_ARMV7M_H */
