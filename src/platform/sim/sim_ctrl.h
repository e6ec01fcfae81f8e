/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The page the host and a simulated core share besides device memory: the doorbell words. A kick
 * sets the vring's notify-id bit in the receiver's word, then writes its eventfd. Sim platform.
 */
#ifndef AMP_SIM_CTRL_H
#define AMP_SIM_CTRL_H

#include <stdint.h>

/* The fds a core process starts with (the boot ROM's contract with sim_rproc.c). */
#define SIM_FD_RAM 3
#define SIM_FD_POOL 4
#define SIM_FD_CTRL 5
#define SIM_FD_TO_CORE 6
#define SIM_FD_TO_HOST 7
/* The read end of a pipe only the host can write to: its last writer closing (the host process
 * ending, however it ends) raises SIGIO in the core, whose default action ends it too. */
#define SIM_FD_LIFELINE 8

/* The notification mode, the boot ROM's last argument (enum sim_notify). */
#define SIM_CORE_MAILBOX "mailbox"
#define SIM_CORE_POLL "poll"

struct sim_ctrl {
	_Alignas(64) uint32_t core_pending; /* host -> core: notify ids kicked (bit n = id n) */
	_Alignas(64) uint32_t host_pending; /* core -> host */
	_Alignas(64) uint64_t watchdog_pets; /* core -> host: bumped by each pet */
};

#endif /* AMP_SIM_CTRL_H */
