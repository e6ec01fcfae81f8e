/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SoC ampd owns, described in Devicetree (docs/ampd-soc.md): reserved-memory regions, and
 * one node per remote processor under /remoteproc. The parser reads a flattened devicetree (a
 * .dtb from dtc) with libfdt. A DTB is hostile input: any file a user points the daemon at, so
 * every property is bounds-checked and a refusal names the node and the property.
 * Host layer; no OS calls, no allocation.
 */
#ifndef AMP_AMPD_SOC_H
#define AMP_AMPD_SOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/shm.h>
#include <amp/sim.h>

#include "ampd/ampd_proto.h"

#define AMPD_SOC_MAX_PROCS 16
#define AMPD_SOC_SIM_COMPATIBLE "amp,sim-rproc"
/* A Cortex-M4 emulated by QEMU (<amp/qemu_m4.h>). */
#define AMPD_SOC_QEMU_M4_COMPATIBLE "amp,qemu-m4-rproc"
/* A remote that is a process on this machine (<amp/shm.h>): attached to, never booted. */
#define AMPD_SOC_SHM_COMPATIBLE "amp,shm-rproc"
/* glibc's CPU_SETSIZE: the most a cpu_set_t holds. Whether the CPU exists is the daemon's check. */
#define AMPD_SOC_CPU_LIMIT 1024
/* The sim's watchdog period is an int of milliseconds; an hour is far beyond any real use. */
#define AMPD_SOC_WATCHDOG_MAX_MS 3600000u

struct ampd_soc_proc {
	char name[AMPD_NAME_MAX + 1]; /* `label`, else the node name without its unit address */
	char compatible[64];          /* the platform: the first known entry of `compatible` */
	char firmware[256];           /* `firmware-name`: a file name in the firmware path */
	uint64_t ram_da, ram_len;     /* the `memory-region` entry named "ram", else entry 0 */
	uint64_t pool_da, pool_len;   /* the entry named "pool", else entry 1 */
	int cpu;                      /* `amp,cpu`, or -1: not pinned */
	enum sim_notify notify;       /* `amp,notify`: "mailbox" (the default) or "poll" (for
				       * either platform) */
	bool auto_boot;               /* `amp,auto-boot` is present */
	bool recovery;                /* true unless `amp,no-recovery` is present */
	unsigned int watchdog_ms;     /* `amp,watchdog-ms`, 0 (the default): no watchdog */
	uint32_t buf_size;            /* `amp,rpmsg-buf-size`, 0: 512 */
	uint32_t num_bufs;            /* `amp,rpmsg-num-bufs`, 0: Linux's count */
	/* amp,shm-rproc: the shared file and socket (0 and "" take <amp/shm.h>'s defaults) */
	struct {
		char file[256];           /* `amp,shm-file` */
		char socket[108];         /* `amp,shm-socket` */
		bool host_listens;        /* `amp,host-listens` */
		uint32_t size;            /* `amp,shm-size` */
		uint32_t rsc_da;          /* `amp,rsc-table` */
		uint32_t buf_da, buf_len; /* `amp,rpmsg-buffers` */
		uint32_t attach_timeout_ms; /* `amp,attach-timeout-ms` */
	} shm;
};

struct ampd_soc {
	char model[64]; /* the root's `model`, "" if none */
	unsigned int num_procs;
	struct ampd_soc_proc procs[AMPD_SOC_MAX_PROCS]; /* in the order of the source */
};

/*
 * Parse the flattened devicetree in [@blob, @blob + @len) into *@soc. @blob must be 8-byte
 * aligned (libfdt's rule; malloc() and mmap() give that), and may be followed by bytes beyond
 * the tree's totalsize. Returns 0, or:
 * -AMP_EBADMSG   not a flattened devicetree, a damaged one (header, sizes, structure), or one
 *                of a format version before 17;
 * -AMP_ENODEV    no processors (no /remoteproc, or every child disabled);
 * -AMP_E2BIG     more than AMPD_SOC_MAX_PROCS processors;
 * -AMP_EEXIST    two processors with one name, or one region used twice;
 * -AMP_EOPNOTSUPP a processor of no platform this daemon knows;
 * -AMP_EINVAL    any other bad node or property, or @blob not aligned (the caller's bug),
 * with a sentence in @why (@whylen bytes, always terminated; printable ASCII only, since node
 * names come from the file) naming the node and the property. *@soc is undefined on failure.
 */
int ampd_soc_parse(const void *blob, size_t len, struct ampd_soc *soc, char *why, size_t whylen);

/*
 * The built-in default SoC, for when no description is given: sim0 (rpmsg-client-sample.elf)
 * and sim1 (rpmsg-echo.elf), the sim's default memory map, mailbox, not pinned, not booted at
 * start, recovery on. tools/ampd/soc/sim-default.dts describes the same.
 */
void ampd_soc_default(struct ampd_soc *soc);

#endif /* AMP_AMPD_SOC_H */
