/* SPDX-License-Identifier: BSD-3-Clause */
/* The full stack on the sim platform: echo, streams, boot, scale; and on a Cortex-M4 emulated
 * by QEMU (qemu-m4). Benchmark layer. */
#ifndef AMP_BENCH_SIM_H
#define AMP_BENCH_SIM_H

#include <amp/shm.h>

#include "bench_util.h"

/* Client-only pairs (no forked server: the remote is the sim core process). */
extern const struct bench_pair bench_sim_poll_echo16, bench_sim_poll_echo496,
	bench_sim_mbox_echo16, bench_sim_mbox_echo496, bench_sim_mbox_echo16_64,
	bench_sim_mbox_echo16_1024, bench_sim_poll_to_remote, bench_sim_mbox_to_remote,
	bench_sim_mbox_to_remote8, bench_sim_poll_from_remote, bench_sim_mbox_from_remote,
	bench_sim_boot;
/* The same firmware on the Cortex-M4 (QEMU): only when bench_qemu_m4_missing() says no. */
extern const struct bench_pair bench_m4_poll_echo16, bench_m4_mbox_echo16, bench_m4_mbox_echo496,
	bench_m4_mbox_to_remote, bench_m4_mbox_from_remote, bench_m4_boot;

/* The same host stack and the same endpoints on the shm platform (a Linux process as the
 * remote, doorbells over a socket): the server is bench_shm_server(). */
extern const struct bench_pair bench_shm_echo16, bench_shm_to_remote, bench_shm_from_remote;

/* The polled 16-byte echo through the firmware's "rpmsg-stamp", @windows boots of @per round
 * trips: prints how its slow round trips split by cause (no baseline: a diagnosis). */
void bench_sim_causes(unsigned int windows, uint64_t per);

/* Which platform the processors of a row are. */
enum bench_platform { BENCH_SIM, BENCH_QEMU_M4, BENCH_SHM };

/* bench_shm.c: the shm platform's remote (echo, sink and source, as the rpmsg-echo firmware
 * serves them) for a window's server process, and the layout both halves use. */
bool bench_shm_setup(char *why, size_t len);
void bench_shm_layout(struct shm_layout *layout);
void bench_shm_server(struct bench_shm *shm, void *area, size_t area_len);

/* Whether the Cortex-M4 rows cannot run here (no QEMU, no M4 firmware), and why in @why. */
bool bench_qemu_m4_missing(char *why, size_t len);

#endif /* AMP_BENCH_SIM_H */
