/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * amp-sim-core: the boot ROM of a simulated remote core. It maps the processor's memory at its
 * device addresses (code executable), builds a stack, closes itself in with a seccomp filter
 * (only its doorbells and the clock), and jumps to the firmware's entry with the services table.
 * Started by the sim platform with the fds of sim_ctrl.h; ends when the host process does.
 * Usage: amp-sim-core RAM_DA RAM_LEN POOL_DA POOL_LEN ENTRY TABLE_DA mailbox|poll TICK_MS CPU
 * (numbers in any C base; CPU -1: not pinned). TICK_MS, when not 0, is a timer: wait_irq
 * returns at least that often, as an idle core's timer interrupt would wake it, so that its
 * main loop pets the watchdog while it has nothing to do (only a firmware stuck in its own code
 * stops petting).
 * wait_irq_timeout is the one-shot timer a firmware arms itself (for a status byte the host
 * may change without a kick).
 * Sim platform; built without sanitizers (the firmware it runs makes no system calls of its own).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <time.h>
#include <unistd.h>

#include <amp/compiler.h>

#include "amp-fw/sim_services.h"
#include "os/os.h"
#include "platform/sim/sim_ctrl.h"

/* The fault handler's own stack: the firmware's may be what broke. */
#define ALT_STACK_LEN (64u << 10)

static struct sim_ctrl *ctrl;
static pid_t core_pid;
static int polling;
static unsigned int tick_ms;

static uint64_t core_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define NO_TIMEOUT UINT64_MAX

/* Sleep until a kick, the tick, or @timeout_ns (NO_TIMEOUT: none), whichever comes first. */
static void core_wait(uint64_t timeout_ns)
{
	uint64_t tick_ns = tick_ms ? tick_ms * 1000000ull : NO_TIMEOUT;
	uint64_t limit_ns = timeout_ns < tick_ns ? timeout_ns : tick_ns;
	uint64_t v;

	if (polling) {
		/* Nobody kicks a polled core (it watches its rings): a firmware that waits here
		 * anyway comes back every millisecond, or sooner if its tick or timeout is. */
		uint64_t end = core_now_ns() + (limit_ns < 1000000ull ? limit_ns : 1000000ull);
		unsigned int spins = 0;

		/* Spin until the host sets a bit (or the time is up); the exchange (acquire)
		 * then makes what it wrote before its kick visible. */
		while (!__atomic_load_n(&ctrl->core_pending, __ATOMIC_RELAXED)) {
			AMP_CPU_RELAX();
			if (!(++spins & 1023) && core_now_ns() >= end)
				break;
		}
		__atomic_exchange_n(&ctrl->core_pending, 0, __ATOMIC_ACQ_REL);
		return;
	}

	if (limit_ns != NO_TIMEOUT) {
		struct pollfd p = {SIM_FD_TO_CORE, POLLIN, 0};
		struct timespec ts = {(time_t)(limit_ns / 1000000000ull),
				      (long)(limit_ns % 1000000000ull)};

		/* The timer: back when it expires with nothing to read. */
		if (ppoll(&p, 1, &ts, NULL) <= 0)
			return;
	}
	/* A kick pending since the last wait returns at once: eventfd keeps the count. The
	 * host's write() ordered its ring stores before the wake-up; the firmware reads the
	 * rings' indices with acquire. */
	while (read(SIM_FD_TO_CORE, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static void core_wait_irq(void)
{
	core_wait(NO_TIMEOUT);
}

static void core_wait_irq_timeout(uint64_t timeout_ns)
{
	core_wait(timeout_ns);
}

static void core_kick(uint32_t notifyid)
{
	uint64_t one = 1;

	if (polling) {
		/* The host spins on the word. Ids past 31 alias a lower one: a spurious
		 * interrupt, which every receiver tolerates. */
		__atomic_fetch_or(&ctrl->host_pending, 1u << (notifyid & 31), __ATOMIC_RELEASE);
		return;
	}
	/* Mailbox mode: one doorbell for every id, after which the host runs all its vrings
	 * (as Linux's i.MX remoteproc does with its single mailbox channel). */
	if (write(SIM_FD_TO_HOST, &one, sizeof(one)) != sizeof(one))
		_exit(3);
}

/* Only while the host runs a watchdog (it then gives us a tick): a counter bumped at every
 * pet that nobody reads would still cost a line crossing to each look of the host's. The core
 * is its only writer, so a plain store does. */
static void core_pet_watchdog(void)
{
	uint64_t pets;

	if (!tick_ms)
		return;
	pets = __atomic_load_n(&ctrl->watchdog_pets, __ATOMIC_RELAXED);
	__atomic_store_n(&ctrl->watchdog_pets, pets + 1, __ATOMIC_RELEASE);
}

static void *map_at(int fd, uint64_t da, uint64_t len, int prot)
{
	void *p = mmap((void *)(uintptr_t)da, len, prot, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);

	if (p == MAP_FAILED || p != (void *)(uintptr_t)da) {
		fprintf(stderr,
			"amp-sim-core: cannot map 0x%llx (+0x%llx) at its device address: %s\n",
			(unsigned long long)da, (unsigned long long)len,
			p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
		exit(2);
	}
	return p;
}

/*
 * The firmware faulted: its registers go where the host finds them after the core is gone (the
 * coredump's NT_PRSTATUS), as a Cortex-M's fault handler reports its own; then the core dies of
 * the signal, as it would have without the handler (SA_RESETHAND put the default action back,
 * and the signal sent here is delivered as the handler returns). No system call but that kill:
 * the seccomp filter allows nothing else.
 */
static void core_fault(int sig, siginfo_t *si, void *ucv)
{
	const ucontext_t *uc = ucv;
	const greg_t *g = uc->uc_mcontext.gregs;
	uint64_t seg = (uint64_t)g[REG_CSGSFS]; /* cs, gs, fs, ss: 16 bits each */
	struct sim_crash *c = &ctrl->crash;
	static const struct {
		unsigned char sim, greg;
	} map[] = {
		{SIM_R15, REG_R15}, {SIM_R14, REG_R14}, {SIM_R13, REG_R13}, {SIM_R12, REG_R12},
		{SIM_RBP, REG_RBP}, {SIM_RBX, REG_RBX}, {SIM_R11, REG_R11}, {SIM_R10, REG_R10},
		{SIM_R9, REG_R9},   {SIM_R8, REG_R8},   {SIM_RAX, REG_RAX}, {SIM_RCX, REG_RCX},
		{SIM_RDX, REG_RDX}, {SIM_RSI, REG_RSI}, {SIM_RDI, REG_RDI}, {SIM_RIP, REG_RIP},
		{SIM_EFLAGS, REG_EFL}, {SIM_RSP, REG_RSP},
	};
	unsigned int i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		c->regs[map[i].sim] = (uint64_t)g[map[i].greg];
	c->regs[SIM_ORIG_RAX] = UINT64_MAX; /* not in a system call */
	c->regs[SIM_CS] = seg & 0xffff;
	c->regs[SIM_GS] = seg >> 16 & 0xffff;
	c->regs[SIM_FS] = seg >> 32 & 0xffff;
	c->regs[SIM_SS] = seg >> 48 & 0xffff;
	c->signo = sig;
	c->code = si->si_code;
	c->addr = (uint64_t)(uintptr_t)si->si_addr;
	/* Release: the registers before the mark. Pairs with the acquire in sim_coredump_notes(). */
	__atomic_store_n(&c->valid, SIM_CRASH_VALID, __ATOMIC_RELEASE);
	syscall(SYS_kill, core_pid, sig);
}

static void core_catch_faults(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
	struct sigaction sa = {.sa_sigaction = core_fault,
			       .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND};
	stack_t alt = {.ss_size = ALT_STACK_LEN};
	unsigned int i;

	alt.ss_sp = mmap(NULL, ALT_STACK_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (alt.ss_sp == MAP_FAILED || sigaltstack(&alt, NULL)) {
		perror("amp-sim-core: sigaltstack");
		exit(2);
	}
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL)) {
			perror("amp-sim-core: sigaction");
			exit(2);
		}
	}
}

/*
 * Allow only what the services need, on the fds they need: read the core's own doorbell (the
 * host rings it), write the host's, poll (the tick and timeouts), the clock, leaving. Anything
 * else (another fd, another call) kills the core, and the host sees a crash.
 */
#define ARG0_LO offsetof(struct seccomp_data, args[0])
#define ARG0_HI (offsetof(struct seccomp_data, args[0]) + 4)

static void core_seccomp(void)
{
	struct sock_filter filter[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		/* 2 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		/* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_read, 9, 0),   /* -> 14 */
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_write, 12, 0), /* -> 18 */
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, 15, 0),  /* -> 22 */
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_poll, 19, 0),  /* -> 27 */
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ppoll, 18, 0),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clock_gettime, 17, 0),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 16, 0),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 15, 0),
		/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 14, 0),
		/* 13 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		/* 14: read, from the host's doorbell only */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_HI),
		/* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 10), /* -> 26 */
		/* 16 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),
		/* 17 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SIM_FD_TO_CORE, 9, 8), /* 27 : 26 */
		/* 18: write, to the core's doorbell only */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_HI),
		/* 19 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 6), /* -> 26 */
		/* 20 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),
		/* 21 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SIM_FD_TO_HOST, 5, 4), /* 27 : 26 */
		/* 22: kill, of the core itself only (its fault handler dies of the signal) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_HI),
		/* 23 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2), /* -> 26 */
		/* 24 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),
		/* 25 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)core_pid, 1, 0), /* 27 : 26 */
		/* 26 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		/* 27 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("amp-sim-core: seccomp");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static struct amp_sim_services svc;
	uint64_t ram_da, ram_len, pool_da, pool_len, entry;
	uint8_t *stack;

	if (argc != 10 || (strcmp(argv[7], SIM_CORE_POLL) && strcmp(argv[7], SIM_CORE_MAILBOX))) {
		fprintf(stderr,
			"usage: %s RAM_DA RAM_LEN POOL_DA POOL_LEN ENTRY TABLE_DA mailbox|poll "
			"TICK_MS CPU\n",
			argv[0]);
		return 2;
	}
	/* The core pins itself, first thing: the host starts it without fork() (plat_spawn()),
	 * so nothing runs in between to do it. */
	{
		long cpu = strtol(argv[9], NULL, 0);
		int err = cpu < INT_MAX ? amp_pin_cpu((int)cpu) : -EINVAL;

		if (err)
			fprintf(stderr, "amp-sim-core: pinning to CPU %ld: %s (not pinned)\n", cpu,
				strerror(-err));
	}
	polling = !strcmp(argv[7], SIM_CORE_POLL);
	tick_ms = (unsigned int)strtoul(argv[8], NULL, 0);
	/* Die with the host: SIGIO (default action: terminate) when its end of the lifeline
	 * closes. Costs the waits nothing, and reaches a core spinning in polling mode too. */
	signal(SIGIO, SIG_DFL);
	/* Whatever the host ignored (a daemon ignores SIGPIPE), a write to a host that went
	 * ends the core too. */
	signal(SIGPIPE, SIG_DFL);
	if (fcntl(SIM_FD_LIFELINE, F_SETOWN, getpid()) ||
	    fcntl(SIM_FD_LIFELINE, F_SETFL, O_ASYNC | O_NONBLOCK)) {
		perror("amp-sim-core: lifeline");
		return 2;
	}
	{
		char c;

		/* The host may have gone before the signal was armed: then there is no writer. */
		if (read(SIM_FD_LIFELINE, &c, 1) == 0)
			return 2;
	}
	ram_da = strtoull(argv[1], NULL, 0);
	ram_len = strtoull(argv[2], NULL, 0);
	pool_da = strtoull(argv[3], NULL, 0);
	pool_len = strtoull(argv[4], NULL, 0);
	entry = strtoull(argv[5], NULL, 0);
	if (entry < ram_da || entry - ram_da >= ram_len) {
		fprintf(stderr, "amp-sim-core: entry 0x%llx is outside RAM\n",
			(unsigned long long)entry);
		return 2;
	}
	map_at(SIM_FD_RAM, ram_da, ram_len, PROT_READ | PROT_WRITE | PROT_EXEC);
	map_at(SIM_FD_POOL, pool_da, pool_len, PROT_READ | PROT_WRITE);
	ctrl = mmap(NULL, SIM_CTRL_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, SIM_FD_CTRL, 0);
	/* The firmware's stack, in memory the host reads after a crash (the coredump). */
	stack = mmap(NULL, SIM_CORE_STACK_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, SIM_FD_CTRL,
		     SIM_CTRL_STACK_OFF);
	if (ctrl == MAP_FAILED || stack == MAP_FAILED) {
		perror("amp-sim-core: mmap");
		return 2;
	}
	ctrl->stack_addr = (uint64_t)(uintptr_t)stack;
	core_pid = getpid();
	core_catch_faults();
	svc = (struct amp_sim_services){
		.magic = AMP_SIM_SERVICES_MAGIC,
		.version = AMP_SIM_SERVICES_VERSION,
		.wait_irq = core_wait_irq,
		.wait_irq_timeout = core_wait_irq_timeout,
		.kick = core_kick,
		.now_ns = core_now_ns,
		.pet_watchdog = core_pet_watchdog,
		.rsc_table_da = strtoull(argv[6], NULL, 0),
		.ram_da = ram_da,
		.ram_len = ram_len,
		.pool_da = pool_da,
		.pool_len = pool_len,
		.flags = polling ? AMP_SIM_SVC_POLLED : 0,
	};
	core_seccomp();
	/* A fresh stack, 16-byte aligned as the ABI wants at a call, then the firmware. */
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov %1, %%rdi\n\t"
			 "call *%2\n\t"
			 "ud2"
			 :
			 : "r"(stack + SIM_CORE_STACK_LEN), "r"(&svc), "r"(entry)
			 : "memory");
	return 0;
}
