/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The qemu-m4 platform: a remote processor that is a real Cortex-M4, emulated by QEMU
 * (qemu-system-arm, machine mps2-an386), running ARM firmware built with the SDK
 * (firmware/qemu-m4/). QEMU is only the CPU and its board: the core's 16 MiB RAM at 0x21000000
 * is a memfd the host maps, our ELF loader puts the firmware there (rproc_da_to_va), and a boot
 * ROM of ours at address 0 starts it when the host says go. The doorbells are bytes on the
 * board's UART (a socket to the host), the receive interrupt waking the core; a fault in the
 * firmware comes back as a crash report with its registers, QEMU exiting as a crash, and a
 * watchdog catches a hung core. It is one struct rproc_ops; create processors with
 * qemu_m4_rproc_create(). Firmware for another machine (e_machine not EM_ARM) is refused.
 */
#ifndef AMP_QEMU_M4_H
#define AMP_QEMU_M4_H

#include <stdbool.h>
#include <stdint.h>

#include <amp/compiler.h>
#include <amp/remoteproc.h>

/* The board's RAM (QEMU fixes its size), and the default split of it: the firmware's memory
 * (what firmware/qemu-m4/firmware.ld links for), then the pool for carveouts, vrings and
 * buffers, up to the control page the platform keeps in its last 4 KiB. */
#define QEMU_M4_DEFAULT_RAM_DA 0x21000000ull
#define QEMU_M4_DEFAULT_RAM_LEN 0x100000ull
#define QEMU_M4_DEFAULT_POOL_DA 0x21100000ull
#define QEMU_M4_DEFAULT_POOL_LEN 0xEFF000ull

/**
 * struct qemu_m4_config - one emulated Cortex-M4
 * @name:          its rproc name
 * @firmware:      firmware name or path (see rproc_alloc()); an ARM ELF linked for the RAM
 * @cpu:           host CPU to pin QEMU (all its threads) to, or -1
 * @ram_da, @ram_len, @pool_da, @pool_len: the split of the board's RAM, 0 for the defaults
 *                 above; both inside [0x21000000, 0x21FFF000), not overlapping. The firmware's
 *                 vector table starts @ram_da.
 * @qemu_path:     the emulator; NULL: $AMP_QEMU_SYSTEM_ARM, else qemu-system-arm in $PATH
 * @bootrom_path:  the boot ROM (amp-m4-bootrom.elf); NULL: $AMP_QEMU_M4_BOOTROM, else the one
 *                 beside the library's install, or in its build tree, or under the prefix it
 *                 was configured for (share/amp/qemu-m4/)
 * @watchdog_ms:   report RPROC_WATCHDOG when the firmware has not petted its watchdog for this
 *                 long; 0 disables it
 * @poll:          polling mode (as the sim's SIM_NOTIFY_POLL): no doorbells, the host's thread
 *                 spins on the vrings' used indices and the firmware on its receive ring
 * @boot_timeout_ms: how long a start waits for QEMU to come up and its boot ROM to say it is
 *                 ready; 0: 20 s (QEMU's start-up on a loaded machine)
 */
struct qemu_m4_config {
	const char *name;
	const char *firmware;
	int cpu;
	uint64_t ram_da, ram_len, pool_da, pool_len;
	const char *qemu_path;
	const char *bootrom_path;
	unsigned int watchdog_ms;
	bool poll;
	unsigned int boot_timeout_ms;
};

/**
 * qemu_m4_rproc_create() - allocate an emulated Cortex-M4 (not registered yet)
 *
 * QEMU is not looked for here: a processor can be described where QEMU is missing, and its
 * start then fails with -ENOENT and a message saying what to install (rproc_last_error()).
 * Context: any thread. Return: the processor (free with qemu_m4_rproc_destroy()), or NULL (bad
 * configuration, no memory, memfd failure).
 */
AMP_API struct rproc *qemu_m4_rproc_create(const struct qemu_m4_config *cfg);

/**
 * qemu_m4_rproc_destroy() - unregister if registered, power off (QEMU ended and reaped),
 * release the memory, free.
 * Context: any thread except the processor's callbacks.
 */
AMP_API void qemu_m4_rproc_destroy(struct rproc *rproc);

/**
 * qemu_m4_find_qemu() - where qemu_m4_rproc_create() with no @qemu_path would find QEMU: the
 * path of an executable qemu-system-arm ($AMP_QEMU_SYSTEM_ARM, else in $PATH), copied into
 * @buf. For a program that wants to say "skipped: no QEMU" before it starts anything.
 * Context: any thread. Return: 0; -ENOENT when there is none; -ENAMETOOLONG.
 */
AMP_API int qemu_m4_find_qemu(char *buf, size_t len);

#endif /* AMP_QEMU_M4_H */
