/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The qemu-m4 boot ROM: what the Cortex-M4 runs from address 0 (the board's SSRAM1) when QEMU
 * resets it. The host has loaded the firmware into the shared RAM with its own ELF loader and
 * written the boot block; the ROM says it is ready, waits (in WFI) for the host's go on the
 * UART, checks the boot block, and starts the firmware as the core's reset would: VTOR at its
 * vector table, the stack pointer from the table's first word, a jump to its second. It uses
 * no RAM of its own but its stack. qemu-m4 platform, core side.
 */
#include <stdint.h>

#include "platform/qemu_m4/qemu_m4_ctrl.h"

#define REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define UART0_BASE 0x40004000u
#define UART_DATA REG(UART0_BASE + 0x00u)
#define UART_STATE REG(UART0_BASE + 0x04u)
#define UART_CTRL REG(UART0_BASE + 0x08u)
#define UART_INTCLEAR REG(UART0_BASE + 0x0Cu)
#define UART_BAUDDIV REG(UART0_BASE + 0x10u)
#define VTOR REG(0xE000ED08u)
#define NVIC_ISER0 REG(0xE000E100u)
#define NVIC_ICER0 REG(0xE000E180u)
#define NVIC_ICPR0 REG(0xE000E280u)
#define UART0_RX_IRQ_BIT 1u /* device interrupt 0 */

extern uint32_t __rom_stack_top[];
void rom_reset(void);
static void rom_stop(void);

__attribute__((section(".vectors"), used)) void (*const rom_vectors[16])(void) = {
	(void (*)(void))(uintptr_t)__rom_stack_top,
	rom_reset,
	rom_stop, rom_stop, rom_stop, rom_stop, rom_stop, /* NMI and faults */
};

static void rom_putc(uint8_t c)
{
	while (UART_STATE & 1u)
		;
	UART_DATA = c;
}

/* A fault here, or a boot block we cannot use: say so once, then nothing. */
static void rom_stop(void)
{
	rom_putc(QEMU_M4_BYTE_BAD_BOOT);
	for (;;)
		__asm__ volatile("cpsid i\n\twfi");
}

static int rom_in_ram(uint32_t addr, uint32_t len)
{
	return addr >= QEMU_M4_RAM_DA && addr - QEMU_M4_RAM_DA <= QEMU_M4_CTRL_DA - QEMU_M4_RAM_DA &&
	       len <= QEMU_M4_CTRL_DA - addr;
}

void rom_reset(void)
{
	const volatile struct qemu_m4_boot *b =
		&((const volatile struct qemu_m4_ctrl *)(uintptr_t)QEMU_M4_CTRL_DA)->boot;
	uint32_t vt, sp, pc;

	__asm__ volatile("cpsid i" ::: "memory");
	UART_BAUDDIV = 16u;
	UART_CTRL = 1u | 2u | 8u; /* transmit, receive, receive interrupt */
	UART_INTCLEAR = 2u;
	(void)UART_DATA; /* QEMU's UART takes input again after a read of DATA */
	NVIC_ISER0 = UART0_RX_IRQ_BIT;
	rom_putc(QEMU_M4_BYTE_ROM_READY);
	/* Interrupts are masked: WFI wakes when the receive interrupt is pending, and nothing
	 * runs a handler. Anything before the go is not for us. */
	for (;;) {
		while (!(UART_STATE & 2u))
			__asm__ volatile("wfi" ::: "memory");
		UART_INTCLEAR = 2u;
		NVIC_ICPR0 = UART0_RX_IRQ_BIT;
		if ((UART_DATA & 0xffu) == QEMU_M4_BYTE_GO)
			break;
	}
	NVIC_ICER0 = UART0_RX_IRQ_BIT;
	NVIC_ICPR0 = UART0_RX_IRQ_BIT;
	if (b->magic != QEMU_M4_BOOT_MAGIC || b->version != QEMU_M4_BOOT_VERSION)
		rom_stop();
	vt = b->vector_table;
	/* VTOR needs the table aligned (128 bytes at least); both words must be in RAM. */
	if ((vt & 127u) || !rom_in_ram(vt, 8))
		rom_stop();
	sp = ((const volatile uint32_t *)(uintptr_t)vt)[0];
	pc = ((const volatile uint32_t *)(uintptr_t)vt)[1];
	if (!(pc & 1u)) /* not Thumb code: the core would fault on it */
		rom_stop();
	VTOR = vt;
	__asm__ volatile("dsb\n\tisb\n\t"
			 "msr msp, %0\n\t"
			 "bx %1"
			 :
			 : "r"(sp), "r"(pc)
			 : "memory");
	for (;;)
		;
}
