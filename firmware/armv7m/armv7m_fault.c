/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ARMv7-M fault handler: every fault, the NMI and a system call (firmware makes none) end
 * here. It collects the registers the exception frame and the fault status registers hold,
 * writes a line to the trace buffer, has the board report them to the host, and stops the core.
 * Firmware SDK, ARMv7-M port.
 */
#include <stdint.h>

#include "amp-fw/armv7m.h"
#include "amp-fw/trace.h"
#include "armv7m_regs.h"

#define EXC_RETURN_PSP (1u << 2)      /* the frame is on the process stack */
#define EXC_RETURN_NO_FP (1u << 4)    /* the frame has no floating-point part */
#define XPSR_STACK_ALIGNED (1u << 9)  /* the core padded the stack by 4 to align the frame */
#define FRAME_WORDS 8u                /* r0-r3, r12, lr, pc, xPSR */
#define FRAME_FP_WORDS 26u            /* ... and s0-s15, FPSCR, one reserved */

void amp_fw_armv7m_fault_entry(void);
__attribute__((noreturn, used)) void amp_fw_armv7m_fault(const uint32_t *frame,
							 uint32_t exc_return,
							 const uint32_t *r4_r11);

/*
 * The entry: which stack holds the frame (EXC_RETURN says), and r4-r11 as they were (the frame
 * does not hold them; nothing has touched them yet), then C. Naked: no prologue may use a stack
 * before we know where it is.
 */
__attribute__((naked)) void amp_fw_armv7m_fault_entry(void)
{
	__asm__ volatile("tst lr, #4\n\t"
			 "ite eq\n\t"
			 "mrseq r0, msp\n\t"
			 "mrsne r0, psp\n\t"
			 "mov r1, lr\n\t"
			 "push {r4-r11}\n\t"
			 "mov r2, sp\n\t"
			 "b amp_fw_armv7m_fault\n\t");
}

static const char *exception_name(uint32_t exception)
{
	switch (exception) {
	case 2:
		return "NMI";
	case 3:
		return "HardFault";
	case 4:
		return "MemManage fault";
	case 5:
		return "BusFault";
	case 6:
		return "UsageFault";
	case 11:
		return "system call (SVC)";
	default:
		return "unexpected exception";
	}
}

void amp_fw_armv7m_fault(const uint32_t *frame, uint32_t exc_return, const uint32_t *r4_r11)
{
	struct amp_fw_fault f = {0};
	uint32_t ipsr, i, words;

	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	f.exception = ipsr & 0x1ffu;
	for (i = 0; i < 4; i++)
		f.r[i] = frame[i];
	for (i = 0; i < 8; i++)
		f.r[4 + i] = r4_r11[i];
	f.r[12] = frame[4];
	f.r[14] = frame[5];
	f.r[15] = frame[6];
	f.xpsr = frame[7];
	words = exc_return & EXC_RETURN_NO_FP ? FRAME_WORDS : FRAME_FP_WORDS;
	f.r[13] = (uint32_t)(uintptr_t)(frame + words) + (f.xpsr & XPSR_STACK_ALIGNED ? 4u : 0u);
	f.cfsr = ARMV7M_CFSR;
	f.hfsr = ARMV7M_HFSR;
	f.mmfar = ARMV7M_MMFAR;
	f.bfar = ARMV7M_BFAR;
	f.exc_return = exc_return;
	amp_fw_printf("fatal: %s at pc 0x%lx (lr 0x%lx, sp 0x%lx), cfsr 0x%lx, mmfar 0x%lx, "
		      "bfar 0x%lx\n",
		      exception_name(f.exception), (unsigned long)f.r[15], (unsigned long)f.r[14],
		      (unsigned long)f.r[13], (unsigned long)f.cfsr, (unsigned long)f.mmfar,
		      (unsigned long)f.bfar);
	amp_fw_board_fault(&f);
	/* Stopped: the host powers the core off. Only a reset brings it back. */
	for (;;)
		__asm__ volatile("cpsid i\n\twfi" ::: "memory");
}
