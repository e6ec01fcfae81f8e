/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The qemu-m4 platform's memory map and its shared control page: what the host
 * (qemu_m4_rproc.c), the boot ROM and the firmware SDK's board support (firmware/qemu-m4/) agree
 * on. The Cortex-M4 is QEMU's mps2-an386 machine; its 16 MiB RAM at 0x21000000 is a memfd the
 * host maps. The last page of that RAM is the control page: the boot block the host writes
 * before it lets the core go, the watchdog count and the crash report the firmware writes. Each
 * field has one writer. The UART carries the doorbells, one byte each (QEMU_M4_BYTE_*).
 * qemu-m4 platform; included by freestanding code, so nothing beyond <stdint.h>.
 */
#ifndef AMP_QEMU_M4_CTRL_H
#define AMP_QEMU_M4_CTRL_H

#include <stdint.h>

/* The machine's RAM (QEMU's mps2-an386 "PSRAM"): its size is fixed by the board. */
#define QEMU_M4_RAM_DA 0x21000000u
#define QEMU_M4_RAM_LEN 0x01000000u
/* The last page: the control page, never handed out by the host's allocator nor reachable
 * through da_to_va. */
#define QEMU_M4_CTRL_LEN 0x1000u
#define QEMU_M4_CTRL_DA (QEMU_M4_RAM_DA + QEMU_M4_RAM_LEN - QEMU_M4_CTRL_LEN)
/* The default split of the rest: 1 MiB for the firmware (its vector table first), a pool for
 * carveouts, vrings and buffers after it. */
#define QEMU_M4_FW_DA QEMU_M4_RAM_DA
#define QEMU_M4_FW_LEN 0x00100000u
#define QEMU_M4_POOL_DA (QEMU_M4_FW_DA + QEMU_M4_FW_LEN)
#define QEMU_M4_POOL_LEN (QEMU_M4_CTRL_DA - QEMU_M4_POOL_DA)

/*
 * Bytes on the UART (the board's CMSDK UART0, QEMU's serial port). Host to core: a notify id
 * below QEMU_M4_MAX_NOTIFYID is a kick of that vring; QEMU_M4_BYTE_GO, to the boot ROM, starts
 * the firmware. Core to host: a notify id is a kick; QEMU_M4_BYTE_ROM_READY says the boot ROM
 * waits for the go; QEMU_M4_BYTE_CRASH says the crash report is written and the core stopped;
 * QEMU_M4_BYTE_BAD_BOOT says the boot ROM could not start the firmware (or faulted itself).
 */
#define QEMU_M4_MAX_NOTIFYID 0xF0u
#define QEMU_M4_BYTE_GO 0xF5u
#define QEMU_M4_BYTE_ROM_READY 0xF0u
#define QEMU_M4_BYTE_CRASH 0xF1u
#define QEMU_M4_BYTE_BAD_BOOT 0xF2u

#define QEMU_M4_BOOT_MAGIC 0x344d5141u  /* "AQM4" */
#define QEMU_M4_CRASH_MAGIC 0x48535243u /* "CRSH" */
#define QEMU_M4_BOOT_VERSION 1u

/* @flags of the boot block */
#define QEMU_M4_BOOT_POLLED 1u /* polling mode: no doorbells; the firmware watches its vrings */

/**
 * struct qemu_m4_boot - written by the host before it sends QEMU_M4_BYTE_GO; read by the boot
 * ROM and the firmware
 * @magic, @version:   QEMU_M4_BOOT_MAGIC, QEMU_M4_BOOT_VERSION
 * @vector_table:      the firmware's vector table: the boot ROM points VTOR at it, loads the
 *                     stack pointer from its first word and jumps to its second, as the
 *                     core's own reset would
 * @rsc_table_da:      where the host put the loaded resource table
 * @ram_da, @ram_len:  the firmware's memory (code, data, stack, trace)
 * @pool_da, @pool_len: what the host allocates carveouts, vrings and buffers from
 * @flags:             QEMU_M4_BOOT_*
 * @tick_ms:           with a watchdog, the firmware's waits return at least this often, so
 *                     that an idle firmware pets it; 0: no watchdog
 */
struct qemu_m4_boot {
	uint32_t magic;
	uint32_t version;
	uint32_t vector_table;
	uint32_t rsc_table_da;
	uint32_t ram_da, ram_len;
	uint32_t pool_da, pool_len;
	uint32_t flags;
	uint32_t tick_ms;
};

/* ARMv7-M exception numbers a crash report names (@exception). */
#define QEMU_M4_EXC_NMI 2u
#define QEMU_M4_EXC_HARDFAULT 3u
#define QEMU_M4_EXC_MEMMANAGE 4u
#define QEMU_M4_EXC_BUSFAULT 5u
#define QEMU_M4_EXC_USAGEFAULT 6u
#define QEMU_M4_EXC_SVCALL 11u

/**
 * struct qemu_m4_crash - written by the firmware's fault handler, then QEMU_M4_BYTE_CRASH; read
 * by the host (who trusts none of it: it is what a faulting core wrote)
 * @magic:      QEMU_M4_CRASH_MAGIC once the rest is written
 * @exception:  the exception taken (QEMU_M4_EXC_*)
 * @r:          r0..r15 at the fault (r13 = the stack pointer before the exception frame,
 *              r15 = the faulting instruction's address)
 * @xpsr:       the program status register at the fault
 * @cfsr, @hfsr, @mmfar, @bfar: the System Control Block's fault status and address registers
 * @exc_return: the handler's EXC_RETURN (which stack, and whether it held FP state)
 */
struct qemu_m4_crash {
	uint32_t magic;
	uint32_t exception;
	uint32_t r[16];
	uint32_t xpsr;
	uint32_t cfsr, hfsr, mmfar, bfar;
	uint32_t exc_return;
};

/* CFSR bits that say a fault address register holds the address. */
#define QEMU_M4_CFSR_MMARVALID (1u << 7)
#define QEMU_M4_CFSR_BFARVALID (1u << 15)

/**
 * struct qemu_m4_ctrl - the control page, at QEMU_M4_CTRL_DA
 * @boot:          host -> core, before the go
 * @watchdog_pets: core -> host: bumped by each pet
 * @crash:         core -> host: the fault handler's report
 */
struct qemu_m4_ctrl {
	struct qemu_m4_boot boot;
	_Alignas(64) uint32_t watchdog_pets;
	_Alignas(64) struct qemu_m4_crash crash;
};

_Static_assert(sizeof(struct qemu_m4_ctrl) <= QEMU_M4_CTRL_LEN, "the control page is one page");

#endif /* AMP_QEMU_M4_CTRL_H */
