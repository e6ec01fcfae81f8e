/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sim platform's host half: device memory in memfds, the core process (spawn, kill, crash
 * watch through its pidfd), the doorbells, and the notification thread that turns the core's
 * kicks into rproc_vq_interrupt(). Sim platform.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/sim.h>

#include "os/os.h"
#include "platform/plat_util.h"
#include "platform/sim/sim_ctrl.h"

struct sim_region {
	int fd;
	uint8_t *va;
	uint64_t da, len;
};

struct sim_proc {
	struct sim_config cfg;
	char name[64];
	char core_path[4096];
	struct sim_region ram, pool;
	int ctrl_fd;
	struct sim_ctrl *ctrl;
	struct plat_pool alloc; /* what mem_alloc hands out of the pool */
	/* while running */
	pid_t pid;
	int pidfd;
	int efd_to_core, efd_to_host, efd_stop;
	int lifeline[2]; /* the pipe of SIM_FD_LIFELINE: the core gets [0], we keep [1] */
	struct amp_thread notifier;
	bool running;
	bool stopping; /* atomic: the notifier must not report the exit we cause */
	struct rproc *rproc;
};

static struct sim_proc *sim_of(struct rproc *rproc)
{
	return rproc->priv;
}

static int sim_region_init(struct sim_region *r, const char *name, uint64_t da, uint64_t len)
{
	r->da = da;
	r->len = len;
	r->fd = memfd_create(name, MFD_CLOEXEC);
	if (r->fd < 0 || ftruncate(r->fd, (off_t)len))
		return -errno;
	r->va = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->va == MAP_FAILED) {
		r->va = NULL;
		return -errno;
	}
	return 0;
}

static void sim_region_fini(struct sim_region *r)
{
	if (r->va)
		munmap(r->va, r->len);
	if (r->fd >= 0)
		close(r->fd);
	r->va = NULL;
	r->fd = -1;
}

static void *sim_da_to_va(struct rproc *rproc, uint64_t da, size_t len)
{
	struct sim_proc *s = sim_of(rproc);
	const struct sim_region *r[2] = {&s->ram, &s->pool};
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (plat_in_range(da, len, r[i]->da, r[i]->len))
			return r[i]->va + (da - r[i]->da);
	return NULL;
}

static int sim_mem_alloc(struct rproc *rproc, size_t len, size_t align, uint64_t *da, void **va)
{
	return plat_pool_alloc(&sim_of(rproc)->alloc, len, align, da, va);
}

static void sim_mem_free(struct rproc *rproc, uint64_t da, size_t len)
{
	(void)len;
	plat_pool_free(&sim_of(rproc)->alloc, da);
}

/* The core's kicks since the last look, to the vrings they name. */
static void sim_dispatch(struct sim_proc *s)
{
	uint32_t pending, id;

	/* Acquire: what the core wrote before kicking is visible. Pairs with the release in
	 * the boot ROM's kick. */
	pending = __atomic_exchange_n(&s->ctrl->host_pending, 0, __ATOMIC_ACQ_REL);
	for (id = 0; pending; id++, pending >>= 1)
		if (pending & 1)
			rproc_vq_interrupt(s->rproc, (int)id);
}

/* The core process ended (its pidfd is readable): a crash unless we are stopping it. */
static void sim_core_died(struct sim_proc *s)
{
	enum rproc_crash_type type = RPROC_FATAL_ERROR;
	siginfo_t si = {0};

	/* Not reaped here: sim_stop() reaps it, whoever asked for the stop. */
	if (__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE))
		return;
	waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT);
	if ((si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) &&
	    (si.si_status == SIGSEGV || si.si_status == SIGBUS))
		type = RPROC_MMUFAULT;
	amp_log(AMP_LOG_WARN, "%s: core process %d died (%s %d)", s->name, s->pid,
		si.si_code == CLD_EXITED ? "exit status" : "signal", si.si_status);
	rproc_report_crash(s->rproc, type);
}

static void sim_watchdog_check(struct sim_proc *s, struct plat_watchdog *w)
{
	uint64_t now, pets;

	if (!plat_watchdog_due(w, amp_now_ns, &now))
		return;
	pets = __atomic_load_n(&s->ctrl->watchdog_pets, __ATOMIC_ACQUIRE);
	plat_watchdog_check(w, s->rproc, pets, now);
}

/*
 * Polling mode: spin on the vrings' used indices (the processor is polled: nobody rings
 * doorbells), and on the doorbell word for a firmware that kicks anyway; no system call on the
 * message path. The watchdog is looked at once a millisecond; the core's death and a stop (a
 * poll() with no timeout) once a millisecond when idle, which bounds how late a crash is seen,
 * and once every PLAT_POLL_BUSY_LOOK_MS under traffic (plat_poll_next()).
 */
static void *sim_notifier_poll(void *arg)
{
	struct sim_proc *s = arg;
	struct plat_watchdog w;
	struct plat_poller poller = {0};
	uint64_t now;

	plat_watchdog_start(&w, s->cfg.watchdog_ms, amp_now_ns());
	for (;;) {
		if (__atomic_load_n(&s->ctrl->host_pending, __ATOMIC_RELAXED)) {
			sim_dispatch(s);
			continue;
		}
		enum plat_look look = plat_poll_turn(s->rproc, &poller, &now);

		if (look == PLAT_LOOK_NONE)
			continue;
		struct pollfd pfd[2] = {{s->pidfd, POLLIN, 0}, {s->efd_stop, POLLIN, 0}};

		if (look == PLAT_LOOK_ALL && poll(pfd, 2, 0) > 0) {
			if (pfd[1].revents)
				return NULL;
			if (pfd[0].revents) {
				sim_core_died(s);
				return NULL;
			}
		}
		sim_watchdog_check(s, &w);
	}
}

/*
 * Mailbox mode: sleep until the core's doorbell, its death, a stop, or the watchdog's tick.
 * The doorbell is edge-triggered in an epoll set: each write of the core's wakes us once, and
 * the eventfd is never read, so a round trip costs this thread one system call, as a plain
 * eventfd ping-pong's does. It carries no id: every vring is run. A word of pending ids would
 * cost a line crossing each way per kick, more than a look at an idle ring (a line we share
 * with the core and neither changed).
 */
static void *sim_notifier(void *arg)
{
	struct sim_proc *s = arg;
	struct plat_watchdog w;
	int timeout = s->cfg.watchdog_ms ? (int)s->cfg.watchdog_ms / 4 + 1 : -1;
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev[3] = {{.events = EPOLLIN | EPOLLET, .data.u32 = 0},
				    {.events = EPOLLIN, .data.u32 = 1},
				    {.events = EPOLLIN, .data.u32 = 2}};

	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, s->efd_to_host, &ev[0]) ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, s->pidfd, &ev[1]) ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, s->efd_stop, &ev[2])) {
		/* Without its watch the core's crashes would go unseen: report it now. */
		amp_log(AMP_LOG_ERR, "%s: notifier: epoll: %s", s->name, strerror(errno));
		if (epfd >= 0)
			close(epfd);
		rproc_report_crash(s->rproc, RPROC_FATAL_ERROR);
		return NULL;
	}
	plat_watchdog_start(&w, s->cfg.watchdog_ms, amp_now_ns());
	for (;;) {
		struct epoll_event got[3];
		bool stop = false, died = false, kicked = false;
		int n = epoll_wait(epfd, got, 3, timeout), i;

		if (n < 0 && errno == EINTR)
			continue;
		for (i = 0; i < n; i++) {
			stop |= got[i].data.u32 == 2;
			died |= got[i].data.u32 == 1;
			kicked |= got[i].data.u32 == 0;
		}
		if (stop)
			break;
		if (kicked)
			rproc_vq_interrupt(s->rproc, RPROC_NOTIFY_ANY);
		if (died) {
			sim_core_died(s);
			break;
		}
		sim_watchdog_check(s, &w);
	}
	close(epfd);
	return NULL;
}

/* Empty an eventfd without blocking (the fd itself blocks: the core waits on it). */
static void sim_drain(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	uint64_t v;

	while (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN))
		if (read(fd, &v, sizeof(v)) != sizeof(v))
			break;
}

static void sim_close_pidfd(struct sim_proc *s)
{
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
}

static int sim_start(struct rproc *rproc)
{
	struct sim_proc *s = sim_of(rproc);
	char args[9][32];
	char *argv[11];
	pid_t pid;
	int ret;

	/* The doorbells live as long as the processor: a sender racing a crash may kick after
	 * stop, and must find a harmless eventfd, never a closed or reused fd number. Whatever
	 * they collected while the core was off is dropped here. */
	sim_drain(s->efd_to_core);
	sim_drain(s->efd_to_host);
	sim_drain(s->efd_stop);
	/* Atomic stores, not memset: a late kick may be setting a bit at this very moment. */
	__atomic_store_n(&s->ctrl->core_pending, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ctrl->host_pending, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ctrl->watchdog_pets, 0, __ATOMIC_RELAXED);
	/* The core is not running: nothing of the last run's fault report or stack survives into
	 * this run's coredump. */
	memset(&s->ctrl->crash, 0, sizeof(s->ctrl->crash));
	s->ctrl->stack_addr = 0;
	memset((uint8_t *)s->ctrl + SIM_CTRL_STACK_OFF, 0, SIM_CORE_STACK_LEN);
	snprintf(args[0], sizeof(args[0]), "0x%llx", (unsigned long long)s->ram.da);
	snprintf(args[1], sizeof(args[1]), "0x%llx", (unsigned long long)s->ram.len);
	snprintf(args[2], sizeof(args[2]), "0x%llx", (unsigned long long)s->pool.da);
	snprintf(args[3], sizeof(args[3]), "0x%llx", (unsigned long long)s->pool.len);
	snprintf(args[4], sizeof(args[4]), "0x%llx", (unsigned long long)rproc->bootaddr);
	snprintf(args[5], sizeof(args[5]), "0x%llx", (unsigned long long)rproc->table_da);
	snprintf(args[6], sizeof(args[6]), "%s",
		 s->cfg.notify == SIM_NOTIFY_POLL ? SIM_CORE_POLL : SIM_CORE_MAILBOX);
	/* With a watchdog, the core's timer ticks four times a period: an idle firmware wakes
	 * and pets it, a stuck one does not. */
	snprintf(args[7], sizeof(args[7]), "%u",
		 s->cfg.watchdog_ms ? (s->cfg.watchdog_ms + 3) / 4 : 0);
	/* Checked at creation; gone since (an upgrade, a clean-up) is said once, not found out
	 * by a crash of the child at each recovery. */
	if (access(s->core_path, X_OK)) {
		ret = -errno;
		amp_log(AMP_LOG_ERR, "%s: boot ROM %s: %s", s->name, s->core_path, strerror(errno));
		return ret;
	}
	snprintf(args[8], sizeof(args[8]), "%d", s->cfg.cpu);
	argv[0] = s->core_path;
	for (ret = 0; ret < 9; ret++)
		argv[ret + 1] = args[ret];
	argv[10] = NULL;
	{
		/* The core: its memory and its doorbells at the fds the boot ROM expects. */
		int src[6] = {s->ram.fd,       s->pool.fd,	  s->ctrl_fd,
			      s->efd_to_core, s->efd_to_host, s->lifeline[0]};

		pid = plat_spawn(s->core_path, argv, src, 6, SIM_FD_RAM);
	}
	if (pid < 0) {
		amp_log(AMP_LOG_ERR, "%s: boot ROM %s: %s", s->name, s->core_path, strerror(-pid));
		return pid;
	}
	s->pid = pid;
	s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (s->pidfd < 0) {
		ret = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return ret;
	}
	__atomic_store_n(&s->stopping, false, __ATOMIC_RELEASE);
	ret = amp_thread_create(&s->notifier,
				s->cfg.notify == SIM_NOTIFY_POLL ? sim_notifier_poll : sim_notifier, s,
				"sim-notify");
	if (ret) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		sim_close_pidfd(s);
		return ret;
	}
	s->running = true;
	return 0;
}

static int sim_stop(struct rproc *rproc)
{
	struct sim_proc *s = sim_of(rproc);
	uint64_t one = 1;

	if (!s->running)
		return 0;
	__atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
	kill(s->pid, SIGKILL);
	/* After this the core touches no memory: it is gone. */
	waitpid(s->pid, NULL, 0);
	if (write(s->efd_stop, &one, sizeof(one)) != sizeof(one))
		amp_log(AMP_LOG_WARN, "%s: could not wake the notifier", s->name);
	amp_thread_join(&s->notifier);
	sim_close_pidfd(s);
	s->running = false;
	return 0;
}

static void sim_kick(struct rproc *rproc, int vqid)
{
	struct sim_proc *s = sim_of(rproc);
	uint64_t one = 1;

	if (s->cfg.notify == SIM_NOTIFY_POLL) {
		/* The core spins on the word. Release: the ring entries written before the kick
		 * are visible to the core once it sees the bit. */
		__atomic_fetch_or(&s->ctrl->core_pending, 1u << (vqid & 31), __ATOMIC_RELEASE);
		return;
	}
	/* Mailbox mode: the eventfd alone is the doorbell. The core looks at all its rings when
	 * woken, so a pending word would tell it nothing, and would cost a line crossing each
	 * way per kick. The system call orders the ring's stores before the wake-up, as a
	 * mailbox register's write does on hardware. */
	if (write(s->efd_to_core, &one, sizeof(one)) != sizeof(one))
		amp_log(AMP_LOG_WARN, "%s: kick lost: %s", s->name, strerror(errno));
}

/* Linux's struct elf_prstatus on x86-64, which debuggers read from an x86-64 core file. */
struct sim_x86_64_prstatus {
	int32_t si_signo, si_code, si_errno;
	int16_t pr_cursig;
	uint16_t pad0;
	uint64_t pr_sigpend, pr_sighold;
	int32_t pr_pid, pr_ppid, pr_pgrp, pr_sid;
	int64_t pr_times[8]; /* user, system, children's user and system time: sec, usec */
	uint64_t pr_reg[SIM_NUM_REGS]; /* struct user_regs_struct */
	int32_t pr_fpvalid;
	int32_t pad1;
};
_Static_assert(sizeof(struct sim_x86_64_prstatus) == 336, "elf_prstatus is 336 bytes on x86-64");
_Static_assert(offsetof(struct sim_x86_64_prstatus, pr_reg) == 112, "pr_reg at 112");

/* One NT_PRSTATUS with the registers the boot ROM's fault handler saw (none after a crash that
 * was no fault of the core's: a watchdog, a report). */
static int sim_coredump_notes(struct rproc *rproc, void *buf, size_t len)
{
	const struct sim_crash *c = &sim_of(rproc)->ctrl->crash;
	const Elf64_Nhdr nh = {.n_namesz = 5, .n_descsz = sizeof(struct sim_x86_64_prstatus),
			       .n_type = NT_PRSTATUS};
	const char name[8] = "CORE"; /* with its NUL, padded to 4 bytes */
	struct sim_x86_64_prstatus pr = {.pr_pid = 1};
	uint8_t *out = buf;

	/* Acquire: pairs with the release in the boot ROM's core_fault(). */
	if (__atomic_load_n(&c->valid, __ATOMIC_ACQUIRE) != SIM_CRASH_VALID)
		return 0;
	if (len < sizeof(nh) + sizeof(name) + sizeof(pr))
		return -AMP_ENOSPC;
	pr.si_signo = c->signo;
	pr.si_code = c->code;
	pr.pr_cursig = (int16_t)c->signo;
	memcpy(pr.pr_reg, c->regs, sizeof(pr.pr_reg));
	/* The header, the name, the description, back to back (each a multiple of 4 bytes). */
	memcpy(out, &nh, sizeof(nh));
	memcpy(out + sizeof(nh), name, sizeof(name));
	memcpy(out + sizeof(nh) + sizeof(name), &pr, sizeof(pr));
	return (int)(sizeof(nh) + sizeof(name) + sizeof(pr));
}

/* The firmware's stack: the boot ROM's, outside device memory, in the control memfd. */
static int sim_coredump_mem(struct rproc *rproc, struct rproc_dump_mem *mem, unsigned int max)
{
	struct sim_proc *s = sim_of(rproc);
	uint64_t addr = s->ctrl->stack_addr; /* the core's word: an address for the file, no more */

	if (!addr || !max)
		return 0;
	mem[0] = (struct rproc_dump_mem){.da = addr,
					 .va = (const uint8_t *)s->ctrl + SIM_CTRL_STACK_OFF,
					 .len = SIM_CORE_STACK_LEN};
	return 1;
}

static const struct rproc_ops sim_rproc_ops = {
	.start = sim_start,
	.stop = sim_stop,
	.kick = sim_kick,
	.da_to_va = sim_da_to_va,
	.mem_alloc = sim_mem_alloc,
	.mem_free = sim_mem_free,
	.coredump_notes = sim_coredump_notes,
	.coredump_mem = sim_coredump_mem,
};

/*
 * The boot ROM: @path when given, else $AMP_SIM_CORE, else the first of the library's places
 * (os_install.c: beside its install, its build tree, the configured prefix) that holds one. A
 * processor without one is refused here, with where we looked: else each boot would be a
 * crash of a child that could not exec.
 */
static int sim_find_core(struct sim_proc *s, const char *path)
{
	const char *from = path ? "" : " ($AMP_SIM_CORE)", *sep = "";
	char searched[1024] = "";
	size_t used = 0;
	unsigned int i;

	if (!path)
		path = getenv("AMP_SIM_CORE");
	if (path) {
		if (snprintf(s->core_path, sizeof(s->core_path), "%s", path) >=
		    (int)sizeof(s->core_path)) {
			amp_log(AMP_LOG_ERR, "%s: boot ROM path%s too long: %s", s->name, from,
				path);
			return -AMP_ENAMETOOLONG;
		}
		if (access(path, X_OK)) {
			amp_log(AMP_LOG_ERR, "%s: boot ROM %s%s: %s", s->name, path, from,
				strerror(errno));
			return -AMP_ENOENT;
		}
		return 0;
	}
	for (i = 0; !amp_installed_path(AMP_INSTALLED_SIM_CORE, i, s->core_path,
					sizeof(s->core_path));
	     i++) {
		if (access(s->core_path, X_OK) == 0) {
			amp_log(AMP_LOG_DEBUG, "%s: boot ROM %s", s->name, s->core_path);
			return 0;
		}
		if (used < sizeof(searched))
			used += (size_t)snprintf(searched + used, sizeof(searched) - used, "%s%s",
						 sep, s->core_path);
		sep = ", ";
	}
	amp_log(AMP_LOG_ERR,
		"%s: no boot ROM (amp-sim-core): not in %s; set $AMP_SIM_CORE to its path",
		s->name, searched);
	return -AMP_ENOENT;
}

struct rproc *sim_rproc_create(const struct sim_config *cfg)
{
	static const uint16_t machines[] = {62 /* EM_X86_64: the core runs on this CPU */};
	struct rproc *rproc;
	struct sim_proc *s;

	if (!cfg || !cfg->name ||
	    (cfg->notify != SIM_NOTIFY_MAILBOX && cfg->notify != SIM_NOTIFY_POLL))
		return NULL;
	rproc = rproc_alloc(cfg->name, &sim_rproc_ops, cfg->firmware, sizeof(*s));
	if (!rproc)
		return NULL;
	rproc_set_polled(rproc, cfg->notify == SIM_NOTIFY_POLL);
	s = rproc->priv;
	s->cfg = *cfg;
	s->rproc = rproc;
	s->ram.fd = s->pool.fd = s->ctrl_fd = -1;
	s->pidfd = s->efd_to_core = s->efd_to_host = s->efd_stop = -1;
	s->lifeline[0] = s->lifeline[1] = -1;
	snprintf(s->name, sizeof(s->name), "%s", cfg->name);
	if (sim_find_core(s, cfg->core_path))
		goto out_free;
	if (sim_region_init(&s->ram, "amp-sim-ram", cfg->ram_len ? cfg->ram_da : SIM_DEFAULT_RAM_DA,
			    cfg->ram_len ? cfg->ram_len : SIM_DEFAULT_RAM_LEN) ||
	    sim_region_init(&s->pool, "amp-sim-pool",
			    cfg->pool_len ? cfg->pool_da : SIM_DEFAULT_POOL_DA,
			    cfg->pool_len ? cfg->pool_len : SIM_DEFAULT_POOL_LEN))
		goto out_free;
	s->alloc.va = s->pool.va;
	s->alloc.da = s->pool.da;
	s->alloc.len = s->pool.len;
	s->ctrl_fd = memfd_create("amp-sim-ctrl", MFD_CLOEXEC);
	if (s->ctrl_fd < 0 || ftruncate(s->ctrl_fd, SIM_CTRL_LEN))
		goto out_free;
	s->ctrl = mmap(NULL, SIM_CTRL_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, s->ctrl_fd, 0);
	if (s->ctrl == MAP_FAILED) {
		s->ctrl = NULL;
		goto out_free;
	}
	s->efd_to_core = eventfd(0, EFD_CLOEXEC);
	s->efd_to_host = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->efd_stop = eventfd(0, EFD_CLOEXEC);
	if (s->efd_to_core < 0 || s->efd_to_host < 0 || s->efd_stop < 0 ||
	    pipe2(s->lifeline, O_CLOEXEC))
		goto out_free;
	if (rproc_set_elf_machines(rproc, machines, 1))
		goto out_free;
	return rproc;

out_free:
	sim_rproc_destroy(rproc);
	return NULL;
}

void sim_rproc_destroy(struct rproc *rproc)
{
	struct sim_proc *s;

	if (!rproc)
		return;
	s = rproc->priv;
	plat_rproc_retire(rproc);
	if (s->efd_to_core >= 0)
		close(s->efd_to_core);
	if (s->efd_to_host >= 0)
		close(s->efd_to_host);
	if (s->efd_stop >= 0)
		close(s->efd_stop);
	if (s->lifeline[0] >= 0) {
		close(s->lifeline[0]);
		close(s->lifeline[1]);
	}
	if (s->ctrl)
		munmap(s->ctrl, SIM_CTRL_LEN);
	if (s->ctrl_fd >= 0)
		close(s->ctrl_fd);
	sim_region_fini(&s->ram);
	sim_region_fini(&s->pool);
	rproc_free(rproc);
}
