/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The qemu-m4 board: the HAL of a Cortex-M4 on QEMU's mps2-an386, served by the host's qemu-m4
 * platform (src/platform/qemu_m4/). The doorbell is the board's CMSDK UART0 (QEMU's serial
 * port, a socket to the host): a kick is one byte, the notify id, each way; the host's kicks
 * raise the UART's receive interrupt, which wakes the core from WFI. What the host said at boot
 * (the boot block) and what we say back (watchdog, crash report) sit in the control page at
 * the top of RAM (qemu_m4_ctrl.h). Firmware SDK, qemu-m4 board.
 */
#include <stdbool.h>
#include <stdint.h>

#include "amp-fw/armv7m.h"
#include "amp-fw/hal.h"
#include "armv7m_regs.h"
#include "fw_port.h"
#include "fw_rsc.h"
#include "platform/qemu_m4/qemu_m4_ctrl.h"

/* The CMSDK APB UART (ARM DDI 0479, 4.3) */
#define UART0_BASE 0x40004000u
#define UART_DATA ARMV7M_REG(UART0_BASE + 0x00u)
#define UART_STATE ARMV7M_REG(UART0_BASE + 0x04u)
#define UART_CTRL ARMV7M_REG(UART0_BASE + 0x08u)
#define UART_INTCLEAR ARMV7M_REG(UART0_BASE + 0x0Cu)
#define UART_BAUDDIV ARMV7M_REG(UART0_BASE + 0x10u)
#define UART_STATE_TXFULL 1u
#define UART_STATE_RXFULL 2u
#define UART_CTRL_TX_EN 1u
#define UART_CTRL_RX_EN 2u
#define UART_CTRL_RX_INTEN 8u
#define UART_INT_RX 2u
#define UART_BAUDDIV_MIN 16u /* the smallest divider the UART accepts */
#define UART0_RX_IRQ 0u      /* mps2-an386: UART0 receive is device interrupt 0 */
#define UART0_RX_PRIORITY 0x80u

#define NSEC_PER_MSEC 1000000ull

static volatile struct qemu_m4_ctrl *const ctrl =
	(volatile struct qemu_m4_ctrl *)(uintptr_t)QEMU_M4_CTRL_DA;
static struct qemu_m4_boot boot;   /* our copy of the boot block, taken once */
static volatile bool kicked;       /* set by the receive interrupt, cleared by the waits */
static uint64_t last_wait_end_ns;  /* for the watchdog tick */

static void uart_putc(uint8_t c)
{
	while (UART_STATE & UART_STATE_TXFULL)
		;
	UART_DATA = c;
}

/*
 * The host's kicks: any notify id wakes the main loop, which looks at both vrings. The
 * interrupt is cleared before the bytes are read: a byte that lands after our last look raises
 * it again. Cleared after, that byte's interrupt would be lost, and with it the doorbell (the
 * UART takes no byte while it holds one).
 */
static void uart_rx_isr(void *arg)
{
	(void)arg;
	UART_INTCLEAR = UART_INT_RX;
	while (UART_STATE & UART_STATE_RXFULL)
		if ((UART_DATA & 0xffu) < QEMU_M4_MAX_NOTIFYID)
			kicked = true;
}

void amp_fw_board_init(void)
{
	boot.magic = ctrl->boot.magic;
	boot.version = ctrl->boot.version;
	boot.vector_table = ctrl->boot.vector_table;
	boot.rsc_table_da = ctrl->boot.rsc_table_da;
	boot.ram_da = ctrl->boot.ram_da;
	boot.ram_len = ctrl->boot.ram_len;
	boot.pool_da = ctrl->boot.pool_da;
	boot.pool_len = ctrl->boot.pool_len;
	boot.flags = ctrl->boot.flags;
	boot.tick_ms = ctrl->boot.tick_ms;
	if (boot.magic != QEMU_M4_BOOT_MAGIC || boot.version != QEMU_M4_BOOT_VERSION)
		__builtin_trap(); /* not started by the qemu-m4 host: report it as a fault */
	UART_BAUDDIV = UART_BAUDDIV_MIN;
	UART_CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN | UART_CTRL_RX_INTEN;
	UART_INTCLEAR = UART_INT_RX;
	/* QEMU's model of this UART asks its character device for more input only when DATA is
	 * read: read it once, so that bytes the host sent meanwhile arrive. */
	(void)UART_DATA;
	amp_fw_irq_attach(UART0_RX_IRQ, UART0_RX_PRIORITY, uart_rx_isr, 0);
}

void amp_fw_kick(uint32_t notifyid)
{
	uint32_t m;

	if (notifyid >= QEMU_M4_MAX_NOTIFYID)
		return; /* not a byte the doorbell carries: the host never assigns one */
	m = amp_fw_irq_save();
	uart_putc((uint8_t)notifyid);
	amp_fw_irq_restore(m);
}

int amp_fw_port_wait(uint64_t deadline_ns)
{
	uint32_t m = amp_fw_irq_save();
	uint64_t now = amp_fw_now_ns(), end = deadline_ns;
	int kick;

	/* With a watchdog, back a tick after the last return at the latest, to pet it. */
	if (boot.tick_ms && last_wait_end_ns + boot.tick_ms * NSEC_PER_MSEC < end)
		end = last_wait_end_ns + boot.tick_ms * NSEC_PER_MSEC;
	/* Polled: nobody kicks; back within a millisecond, as on the sim platform. */
	if (boot.flags & QEMU_M4_BOOT_POLLED && now + NSEC_PER_MSEC < end)
		end = now + NSEC_PER_MSEC;
	/* WFI with interrupts masked still wakes on one that becomes pending; unmasking then
	 * lets it run. A kick that lands between our look at @kicked and the WFI is pending,
	 * so the WFI does not sleep: no wake-up is lost. SysTick wakes us for the deadline. */
	while (!kicked && now < end) {
		__asm__ volatile("wfi" ::: "memory");
		amp_fw_irq_restore(m);
		m = amp_fw_irq_save();
		now = amp_fw_now_ns();
	}
	kick = kicked;
	kicked = false;
	last_wait_end_ns = now;
	amp_fw_irq_restore(m);
	return kick;
}

void amp_fw_pet_watchdog(void)
{
	/* The only writer of the count is this core. */
	__atomic_store_n(&ctrl->watchdog_pets, ctrl->watchdog_pets + 1u, __ATOMIC_RELEASE);
}

int amp_fw_polled(void)
{
	return (boot.flags & QEMU_M4_BOOT_POLLED) != 0;
}

void *amp_fw_rsc_table(void)
{
	return (void *)(uintptr_t)boot.rsc_table_da;
}

void *amp_fw_da_to_va(uint64_t da, size_t len)
{
	return amp_fw_identity_map(da, len, boot.ram_da, boot.ram_len, boot.pool_da,
				   boot.pool_len);
}

/*
 * The full fence of the portable core's virtqueue (AMP_VQ_MB_EXTRA). QEMU before 8.1 (Debian 12
 * has 7.2) translates DMB into no host fence at all on a one-CPU machine: our store and a later
 * load may pass each other in the host's store buffer, and with the host doing the same, both
 * sides can miss the other's update and sleep. (QEMU's own virtio devices met the same; its
 * fix, "tcg: Do not elide memory barriers for !CF_PARALLEL in system mode", came in 2023.) A
 * device register read makes QEMU take its global lock, whose atomic instruction is a full
 * fence on the host, whatever the QEMU.
 */
void amp_fw_qemu_m4_mb(void);

void amp_fw_qemu_m4_mb(void)
{
	(void)UART_STATE;
	__asm__ volatile("" ::: "memory");
}

void amp_fw_board_fault(const struct amp_fw_fault *f)
{
	volatile struct qemu_m4_crash *c = &ctrl->crash;
	unsigned int i;

	c->exception = f->exception;
	for (i = 0; i < 16; i++)
		c->r[i] = f->r[i];
	c->xpsr = f->xpsr;
	c->cfsr = f->cfsr;
	c->hfsr = f->hfsr;
	c->mmfar = f->mmfar;
	c->bfar = f->bfar;
	c->exc_return = f->exc_return;
	/* Release: the report is whole before its magic; the host checks the magic first. */
	__atomic_store_n(&c->magic, QEMU_M4_CRASH_MAGIC, __ATOMIC_RELEASE);
	uart_putc(QEMU_M4_BYTE_CRASH);
}
