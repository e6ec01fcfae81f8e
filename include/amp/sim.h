/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulated SoC: a remote processor that is a separate OS process (the boot ROM
 * amp-sim-core running the firmware), with its device memory in memfds the host maps, a doorbell
 * each way (an eventfd and a word of pending notify ids), and crash detection (the process's
 * pidfd). It is one struct rproc_ops; create processors with sim_rproc_create().
 */
#ifndef AMP_SIM_H
#define AMP_SIM_H

#include <stdint.h>

#include <amp/compiler.h>
#include <amp/remoteproc.h>

/* The built-in memory map: RAM for code, data and stack; a pool for carveouts, vrings, buffers. */
#define SIM_DEFAULT_RAM_DA 0x10000000ull
#define SIM_DEFAULT_RAM_LEN (1ull << 20)
#define SIM_DEFAULT_POOL_DA 0x20000000ull
#define SIM_DEFAULT_POOL_LEN (2ull << 20)

/**
 * enum sim_notify - how the two sides learn the other has put something in a vring
 * @SIM_NOTIFY_MAILBOX: an interrupt-like doorbell each way (an eventfd, which names no vring:
 *                      the woken side looks at all of them); the waiting side sleeps. The
 *                      default.
 * @SIM_NOTIFY_POLL:    no sleeping: each side spins on its doorbell word (the host in its
 *                      notification thread, the core in wait_irq). Lowest latency; burns a CPU
 *                      on each side, so give each its own (@cpu, and the host's thread).
 */
enum sim_notify {
	SIM_NOTIFY_MAILBOX = 0,
	SIM_NOTIFY_POLL = 1,
};

/**
 * struct sim_config - one simulated processor
 * @name:        its rproc name
 * @firmware:    firmware name or path (see rproc_alloc())
 * @cpu:         CPU to pin the core process to, or -1
 * @ram_da, @ram_len, @pool_da, @pool_len: its memory map; 0 for the defaults above
 * @core_path:   the boot ROM executable; NULL: $AMP_SIM_CORE, else the one installed with the
 *               library (libexec/amp/amp-sim-core under the prefix the library, or the program
 *               it is linked into, is installed in, wherever that tree was moved), or the build
 *               tree's when the program runs from there, or the configured prefix's
 * @watchdog_ms: report RPROC_WATCHDOG when the firmware has not petted the watchdog for this long;
 *               0 disables it
 * @notify:      enum sim_notify
 *
 * The host's notification thread is created by rproc_boot() (and recovery) and inherits the CPU
 * affinity of the thread that created it: pin that thread first to place it.
 */
struct sim_config {
	const char *name;
	const char *firmware;
	int cpu;
	uint64_t ram_da, ram_len, pool_da, pool_len;
	const char *core_path;
	unsigned int watchdog_ms;
	enum sim_notify notify;
};

/**
 * sim_rproc_create() - allocate a simulated processor (not registered yet)
 * Context: any thread. Return: the processor (free with sim_rproc_destroy()), or NULL (bad
 * configuration, no boot ROM — logged with where it was looked for —, no memory, memfd failure).
 */
AMP_API struct rproc *sim_rproc_create(const struct sim_config *cfg);

/**
 * sim_rproc_destroy() - unregister if registered, power off, release the memory, free.
 * Context: any thread except the processor's callbacks.
 */
AMP_API void sim_rproc_destroy(struct rproc *rproc);

#endif /* AMP_SIM_H */
