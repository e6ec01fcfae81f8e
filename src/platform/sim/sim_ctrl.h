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

/* Linux's x86-64 struct user_regs_struct, which a core file's NT_PRSTATUS carries: its order. */
enum sim_reg {
	SIM_R15, SIM_R14, SIM_R13, SIM_R12, SIM_RBP, SIM_RBX, SIM_R11, SIM_R10, SIM_R9, SIM_R8,
	SIM_RAX, SIM_RCX, SIM_RDX, SIM_RSI, SIM_RDI, SIM_ORIG_RAX, SIM_RIP, SIM_CS, SIM_EFLAGS,
	SIM_RSP, SIM_SS, SIM_FS_BASE, SIM_GS_BASE, SIM_DS, SIM_ES, SIM_FS, SIM_GS, SIM_NUM_REGS
};

#define SIM_CRASH_VALID 0x43525348u /* "CRSH" */

/*
 * What the boot ROM's fault handler saw when the firmware faulted (a SIGSEGV, SIGBUS, SIGILL or
 * SIGFPE), for the registers of the coredump, as a Cortex-M's fault handler reports its
 * registers. Written by the core once, then it dies; @valid last (release). The host reads it
 * after the core is gone, and trusts nothing in it but as numbers to put in a core file: the
 * firmware could have written anything there.
 */
struct sim_crash {
	uint32_t valid; /* SIM_CRASH_VALID once the rest is written; cleared by the host at start */
	int32_t signo, code;
	uint32_t reserved;
	uint64_t addr; /* the faulting address (si_addr) */
	uint64_t regs[SIM_NUM_REGS];
};

struct sim_ctrl {
	/* host -> core, polling mode only (in mailbox mode the doorbell is the eventfd): notify
	 * ids kicked (bit n = id n) */
	_Alignas(64) uint32_t core_pending;
	_Alignas(64) uint32_t host_pending; /* core -> host, polling mode only */
	/* core -> host: bumped by each pet while the host runs a watchdog */
	_Alignas(64) uint64_t watchdog_pets;
	_Alignas(64) struct sim_crash crash; /* core -> host */
	/* core -> host: where the boot ROM put the firmware's stack (SIM_CTRL_STACK_OFF of this
	 * memfd) in the core's address space, for the coredump; written before the firmware runs. */
	uint64_t stack_addr;
};

/* The control memfd: this page, then the stack the boot ROM runs the firmware on, which the host
 * can read after a crash (a backtrace needs it). */
#define SIM_CTRL_PAGE 4096u
#define SIM_CTRL_STACK_OFF SIM_CTRL_PAGE
#define SIM_CORE_STACK_LEN (256u << 10)
#define SIM_CTRL_LEN (SIM_CTRL_STACK_OFF + SIM_CORE_STACK_LEN)
_Static_assert(sizeof(struct sim_ctrl) <= SIM_CTRL_PAGE, "the control page holds struct sim_ctrl");

#endif /* AMP_SIM_CTRL_H */
