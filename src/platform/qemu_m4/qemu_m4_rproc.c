/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The qemu-m4 platform's host half: the Cortex-M4's RAM in a memfd (QEMU's memory backend, and
 * ours through da_to_va), QEMU started, watched and ended, the UART doorbells, the crash report
 * and the watchdog. QEMU runs as a child of the processor's notification thread, which lives
 * exactly as long as it does: the kernel ends QEMU if that thread goes (PR_SET_PDEATHSIG), so a
 * host that dies leaves no emulator behind. qemu-m4 platform.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/qemu_m4.h>

#include "os/os.h"
#include "platform/plat_util.h"
#include "platform/qemu_m4/qemu_m4_ctrl.h"

#define QM4_QEMU_NAME "qemu-system-arm"
#define QM4_MACHINE "mps2-an386"
#define QM4_BOOT_TIMEOUT_MS 20000u
/* QEMU's fds: stdin, stdout, stderr, then the RAM's memfd and its serial port. */
#define QM4_FD_RAM 3
#define QM4_FD_UART 4

struct qm4_proc {
	struct qemu_m4_config cfg;
	char name[64];
	char qemu_path[512];
	char bootrom_path[4096];
	int mem_fd;
	uint8_t *mem; /* the board's RAM: QEMU_M4_RAM_LEN bytes from QEMU_M4_RAM_DA */
	struct qemu_m4_ctrl *ctrl;
	uint64_t ram_da, ram_len;
	struct plat_pool pool;
	/* For the processor's life, so that a kick racing a stop finds a harmless fd: [0] ours
	 * (non-blocking), [1] what each QEMU gets as its serial port. */
	int uart[2];
	int devnull;
	int efd_stop;

	/* While running; set by start() and the notifier, before the notifier's loop begins. */
	pid_t pid;
	int pidfd;
	int err_fd; /* the read end of QEMU's stderr */
	struct amp_thread notifier;
	bool running;
	bool stopping; /* atomic: the notifier must not report the exit we cause */

	/* The start's handshake with the notifier, which spawns QEMU and waits for the ROM. */
	struct amp_mutex boot_lock;
	struct amp_cond boot_cond;
	bool boot_done;  /* guarded by boot_lock */
	int boot_result; /* guarded by boot_lock */
	char boot_error[1024];

	/* The notifier's; read by coredump_notes once the notifier is joined. */
	struct qemu_m4_crash crash;
	bool crash_valid;
	bool bad_bytes_logged;
	char err_line[256]; /* QEMU's stderr: the line being read */
	size_t err_len;
	char last_err[256]; /* ... and its last whole line */
	struct rproc *rproc;
};

static struct qm4_proc *qm4_of(struct rproc *rproc)
{
	return rproc->priv;
}

static void *qm4_da_to_va(struct rproc *rproc, uint64_t da, size_t len)
{
	struct qm4_proc *s = qm4_of(rproc);

	/* The control page is the platform's: neither the ELF loader nor the resource table may
	 * reach it (the regions were checked to lie below it). */
	if (plat_in_range(da, len, s->ram_da, s->ram_len) ||
	    plat_in_range(da, len, s->pool.da, s->pool.len))
		return s->mem + (da - QEMU_M4_RAM_DA);
	return NULL;
}

static int qm4_mem_alloc(struct rproc *rproc, size_t len, size_t align, uint64_t *da, void **va)
{
	return plat_pool_alloc(&qm4_of(rproc)->pool, len, align, da, va);
}

static void qm4_mem_free(struct rproc *rproc, uint64_t da, size_t len)
{
	(void)len;
	plat_pool_free(&qm4_of(rproc)->pool, da);
}

/* An executable named @name: itself if it has a '/', else the first in $PATH. */
static int qm4_which(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;
	int n;

	if (strchr(name, '/')) {
		n = snprintf(buf, len, "%s", name);
		if (n < 0 || (size_t)n >= len)
			return -AMP_ENAMETOOLONG;
		return access(buf, X_OK) == 0 ? 0 : -AMP_ENOENT;
	}
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		n = snprintf(buf, len, "%.*s/%s", (int)(end - p), p, name);
		if (n > 0 && (size_t)n < len && end > p && access(buf, X_OK) == 0)
			return 0;
	}
	return -AMP_ENOENT;
}

int qemu_m4_find_qemu(char *buf, size_t len)
{
	const char *env = getenv("AMP_QEMU_SYSTEM_ARM");

	return qm4_which(env && *env ? env : QM4_QEMU_NAME, buf, len);
}

/* --- QEMU's stderr --------------------------------------------------------------------- */

/* Log what QEMU said, a line at a time, and keep the last line for a failure's message.
 * Returns false once the pipe is at its end. */
static bool qm4_read_stderr(struct qm4_proc *s)
{
	char buf[512];
	ssize_t n = read(s->err_fd, buf, sizeof(buf));
	ssize_t i;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	for (i = 0; i < n; i++) {
		char c = buf[i];

		if (c != '\n' && s->err_len < sizeof(s->err_line) - 1) {
			/* QEMU's text, but keep a person's terminal safe anyway. */
			s->err_line[s->err_len++] = c >= 0x20 && c < 0x7f ? c : '?';
			continue;
		}
		if (c != '\n')
			continue; /* a line too long: the rest of it is dropped */
		s->err_line[s->err_len] = '\0';
		/* The board's Ethernet controller, which we leave unplugged, is no news. */
		if (strstr(s->err_line, "nic lan9118.0 has no peer"))
			s->err_len = 0;
		if (s->err_len) {
			amp_log(AMP_LOG_WARN, "%s: qemu: %s", s->name, s->err_line);
			memcpy(s->last_err, s->err_line, s->err_len + 1);
		}
		s->err_len = 0;
	}
	return n > 0;
}

/* --- the doorbell and the crash report ---------------------------------------------------- */

static const char *qm4_exception_name(uint32_t exception)
{
	switch (exception) {
	case QEMU_M4_EXC_NMI:
		return "NMI";
	case QEMU_M4_EXC_HARDFAULT:
		return "HardFault";
	case QEMU_M4_EXC_MEMMANAGE:
		return "MemManage fault";
	case QEMU_M4_EXC_BUSFAULT:
		return "BusFault";
	case QEMU_M4_EXC_USAGEFAULT:
		return "UsageFault";
	case QEMU_M4_EXC_SVCALL:
		return "system call (SVC)";
	default:
		return "unknown exception";
	}
}

/* The firmware's fault handler wrote its report and stopped the core. */
static void qm4_core_faulted(struct qm4_proc *s)
{
	enum rproc_crash_type type = RPROC_FATAL_ERROR;
	struct qemu_m4_crash *c = &s->crash;

	/* Snapshot, check, use: the magic first (acquire, paired with the fault handler's
	 * release), then a private copy of the rest. */
	if (__atomic_load_n(&s->ctrl->crash.magic, __ATOMIC_ACQUIRE) != QEMU_M4_CRASH_MAGIC) {
		amp_log(AMP_LOG_WARN, "%s: the core said it faulted, but left no report", s->name);
		rproc_report_crash(s->rproc, RPROC_FATAL_ERROR);
		return;
	}
	memcpy(c, (const void *)&s->ctrl->crash, sizeof(*c));
	s->crash_valid = true;
	if (c->exception == QEMU_M4_EXC_MEMMANAGE ||
	    (c->exception == QEMU_M4_EXC_BUSFAULT && c->cfsr & QEMU_M4_CFSR_BFARVALID))
		type = RPROC_MMUFAULT;
	amp_log(AMP_LOG_WARN,
		"%s: the Cortex-M4 faulted: %s at pc 0x%x (lr 0x%x, sp 0x%x), cfsr 0x%x, "
		"address 0x%x",
		s->name, qm4_exception_name(c->exception), c->r[15], c->r[14], c->r[13], c->cfsr,
		c->cfsr & QEMU_M4_CFSR_MMARVALID   ? c->mmfar
		: c->cfsr & QEMU_M4_CFSR_BFARVALID ? c->bfar
						   : 0);
	rproc_report_crash(s->rproc, type);
}

/* What the core sent on the UART: kicks (one vring interrupt per notify id per batch), a crash
 * report, or bytes no firmware of ours sends. */
static void qm4_uart_rx(struct qm4_proc *s)
{
	uint32_t kicked[(QEMU_M4_MAX_NOTIFYID + 31) / 32] = {0};
	uint8_t buf[256];
	ssize_t n = recv(s->uart[0], buf, sizeof(buf), MSG_DONTWAIT);
	unsigned int i;

	for (i = 0; n > 0 && i < (size_t)n; i++) {
		uint8_t b = buf[i];

		if (b < QEMU_M4_MAX_NOTIFYID) {
			kicked[b / 32] |= 1u << (b % 32);
		} else if (b == QEMU_M4_BYTE_CRASH) {
			qm4_core_faulted(s);
		} else if (b == QEMU_M4_BYTE_ROM_READY) {
			/* The boot ROM again: the core was reset under the firmware. */
			amp_log(AMP_LOG_WARN, "%s: the core was reset", s->name);
			rproc_report_crash(s->rproc, RPROC_FATAL_ERROR);
		} else if (!s->bad_bytes_logged) {
			s->bad_bytes_logged = true;
			amp_log(AMP_LOG_WARN, "%s: the core sent 0x%02x on its doorbell: ignored",
				s->name, b);
		}
	}
	for (i = 0; i < QEMU_M4_MAX_NOTIFYID; i++)
		if (kicked[i / 32] & (1u << (i % 32)))
			rproc_vq_interrupt(s->rproc, (int)i);
}

/* QEMU ended (its pidfd is readable): a crash unless we are stopping it. */
static void qm4_qemu_died(struct qm4_proc *s)
{
	siginfo_t si = {0};

	/* Not reaped here: qm4_stop() reaps it, whoever asked for the stop. */
	if (__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE))
		return;
	waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT);
	while (qm4_read_stderr(s))
		;
	/* "Lockup": a fault the core could not take (in its own fault handler, or before it
	 * had a stack); QEMU then ends. */
	amp_log(AMP_LOG_WARN, "%s: QEMU %d ended (%s %d)%s%s", s->name, s->pid,
		si.si_code == CLD_EXITED ? "exit status" : "signal", si.si_status,
		s->last_err[0] ? ": " : "", s->last_err);
	rproc_report_crash(s->rproc, RPROC_FATAL_ERROR);
}

static void qm4_watchdog_check(struct qm4_proc *s, struct plat_watchdog *w)
{
	uint64_t now, pets;

	if (!plat_watchdog_due(w, amp_now_ns, &now))
		return;
	pets = __atomic_load_n(&s->ctrl->watchdog_pets, __ATOMIC_ACQUIRE);
	plat_watchdog_check(w, s->rproc, pets, now);
}

/* --- starting QEMU ------------------------------------------------------------------------ */

/* Fork and exec QEMU, from the notifier thread. */
static int qm4_spawn(struct qm4_proc *s, int err_wr)
{
	char backend[128];
	char *argv[] = {s->qemu_path,
			"-M", QM4_MACHINE,
			"-nodefaults", "-nographic", "-monitor", "none",
			/* A reset the firmware asks for ends QEMU: a crash, recovered as one. */
			"-no-reboot",
			"-object", backend,
			"-machine", "memory-backend=ram",
			"-chardev", "socket,id=uart,fd=4",
			"-serial", "chardev:uart",
			"-kernel", s->bootrom_path,
			NULL};
	int src[5] = {s->devnull, s->devnull, err_wr, s->mem_fd, s->uart[1]};
	pid_t pid;

	snprintf(backend, sizeof(backend),
		 "memory-backend-file,id=ram,size=%u,mem-path=/dev/fd/%d,share=on",
		 QEMU_M4_RAM_LEN, QM4_FD_RAM);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* QEMU ends with this thread: at stop, or with the host however it ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_DFL);
		if (plat_child_fds(src, 5, 0, s->cfg.cpu))
			_exit(126);
		execv(s->qemu_path, argv);
		_exit(127);
	}
	s->pid = pid;
	s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (s->pidfd < 0)
		return -errno;
	return 0;
}

/* Wait for the boot ROM to say it is ready, then let it go. */
static int qm4_boot(struct qm4_proc *s)
{
	unsigned int timeout = s->cfg.boot_timeout_ms ? s->cfg.boot_timeout_ms : QM4_BOOT_TIMEOUT_MS;
	uint64_t deadline = amp_deadline_ns(timeout);
	uint8_t go = QEMU_M4_BYTE_GO;

	for (;;) {
		struct pollfd pfd[3] = {{s->uart[0], POLLIN, 0}, {s->pidfd, POLLIN, 0},
					{s->err_fd, POLLIN, 0}};
		uint64_t now = amp_now_ns();
		uint8_t buf[64];
		ssize_t n, i;

		if (now >= deadline) {
			snprintf(s->boot_error, sizeof(s->boot_error),
				 "no word from the boot ROM (%.512s) within %u ms", s->bootrom_path,
				 timeout);
			return -AMP_ETIMEDOUT;
		}
		if (poll(pfd, 3, (int)((deadline - now) / AMP_NSEC_PER_MSEC) + 1) < 0 &&
		    errno != EINTR)
			return -errno;
		if (pfd[2].revents)
			qm4_read_stderr(s);
		if (pfd[1].revents) {
			siginfo_t si = {0};

			waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT);
			while (qm4_read_stderr(s))
				;
			snprintf(s->boot_error, sizeof(s->boot_error), "%s %s %d%s%s", s->qemu_path,
				 si.si_code == CLD_EXITED ? "exited with status" : "was killed by signal",
				 si.si_status, s->last_err[0] ? ": " : "", s->last_err);
			return si.si_code == CLD_EXITED && si.si_status == 127 ? -AMP_ENOENT
									      : -AMP_EIO;
		}
		if (!pfd[0].revents)
			continue;
		n = recv(s->uart[0], buf, sizeof(buf), MSG_DONTWAIT);
		for (i = 0; i < n; i++) {
			if (buf[i] == QEMU_M4_BYTE_BAD_BOOT) {
				snprintf(s->boot_error, sizeof(s->boot_error),
					 "the boot ROM could not start the firmware");
				return -AMP_ENOEXEC;
			}
			if (buf[i] == QEMU_M4_BYTE_ROM_READY)
				return send(s->uart[0], &go, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1
					       ? 0
					       : -AMP_EIO;
		}
	}
}

/* --- the notification thread -------------------------------------------------------------- */

static void qm4_boot_done(struct qm4_proc *s, int result)
{
	amp_mutex_lock(&s->boot_lock);
	s->boot_result = result;
	s->boot_done = true;
	amp_cond_broadcast(&s->boot_cond);
	amp_mutex_unlock(&s->boot_lock);
}

/*
 * Polling mode: spin on the vrings' used indices; the UART (a crash report), QEMU's end, a stop
 * and the watchdog are looked at as on the sim platform (plat_poll_next()).
 */
static void qm4_loop_poll(struct qm4_proc *s, struct plat_watchdog *w)
{
	struct plat_poller poller = {0};
	int err_fd = s->err_fd; /* -1 once at its end: poll() skips it */
	uint64_t now;

	for (;;) {
		enum plat_look look = plat_poll_turn(s->rproc, &poller, &now);

		if (look == PLAT_LOOK_NONE)
			continue;
		struct pollfd pfd[4] = {{s->efd_stop, POLLIN, 0}, {s->pidfd, POLLIN, 0},
					{s->uart[0], POLLIN, 0}, {err_fd, POLLIN, 0}};

		if (look == PLAT_LOOK_ALL && poll(pfd, 4, 0) > 0) {
			if (pfd[0].revents)
				return;
			if (pfd[3].revents && !qm4_read_stderr(s))
				err_fd = -1;
			if (pfd[2].revents)
				qm4_uart_rx(s);
			if (pfd[1].revents) {
				qm4_qemu_died(s);
				return;
			}
		}
		qm4_watchdog_check(s, w);
	}
}

/* Mailbox mode: sleep until the core's doorbell, its crash, QEMU's end, a stop, or the
 * watchdog's tick. */
static void qm4_loop_mailbox(struct qm4_proc *s, struct plat_watchdog *w)
{
	int timeout = s->cfg.watchdog_ms ? (int)s->cfg.watchdog_ms / 4 + 1 : -1;
	int fds[4] = {s->uart[0], s->pidfd, s->efd_stop, s->err_fd};
	int epfd = epoll_create1(EPOLL_CLOEXEC), i;

	for (i = 0; epfd >= 0 && i < 4; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};

		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev))
			break;
	}
	if (epfd < 0 || i < 4) {
		/* Without its watch the core's crashes would go unseen: report it now. */
		amp_log(AMP_LOG_ERR, "%s: notifier: epoll: %s", s->name, strerror(errno));
		if (epfd >= 0)
			close(epfd);
		rproc_report_crash(s->rproc, RPROC_FATAL_ERROR);
		return;
	}
	for (;;) {
		struct epoll_event got[4];
		bool ready[4] = {false};
		int n = epoll_wait(epfd, got, 4, timeout);

		if (n < 0 && errno == EINTR)
			continue;
		for (i = 0; i < n; i++)
			ready[got[i].data.u32 & 3] = true;
		if (ready[2])
			break;
		if (ready[3] && !qm4_read_stderr(s))
			epoll_ctl(epfd, EPOLL_CTL_DEL, s->err_fd, NULL);
		if (ready[0])
			qm4_uart_rx(s);
		if (ready[1]) {
			qm4_qemu_died(s);
			break;
		}
		qm4_watchdog_check(s, w);
	}
	close(epfd);
}

static void *qm4_notifier(void *arg)
{
	struct qm4_proc *s = arg;
	struct plat_watchdog w;
	int err_pipe[2];
	int ret;

	/* QEMU's stderr: we read it here, QEMU gets the write end. */
	ret = pipe2(err_pipe, O_CLOEXEC | O_NONBLOCK) ? -errno : 0;
	if (!ret) {
		s->err_fd = err_pipe[0];
		ret = qm4_spawn(s, err_pipe[1]);
		close(err_pipe[1]);
	}
	if (!ret)
		ret = qm4_boot(s);
	qm4_boot_done(s, ret);
	if (ret)
		return NULL; /* the start cleans up */
	plat_watchdog_start(&w, s->cfg.watchdog_ms, amp_now_ns());
	if (s->cfg.poll)
		qm4_loop_poll(s, &w);
	else
		qm4_loop_mailbox(s, &w);
	return NULL;
}

/* --- the ops ------------------------------------------------------------------------------ */

/* Throw away what the last run left on the doorbell, both ways. */
static void qm4_drain(int fd)
{
	uint8_t buf[256];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* The end of a run, or of a start that failed: QEMU ended and reaped, the notifier joined. */
static void qm4_reap(struct qm4_proc *s)
{
	uint64_t one = 1;

	__atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		/* After this the core touches no memory: it is gone. */
		waitpid(s->pid, NULL, 0);
	}
	if (write(s->efd_stop, &one, sizeof(one)) != sizeof(one))
		amp_log(AMP_LOG_WARN, "%s: could not wake the notifier", s->name);
	amp_thread_join(&s->notifier);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->err_fd >= 0)
		close(s->err_fd);
	s->pid = -1;
	s->pidfd = s->err_fd = -1;
	/* The eventfd is non-blocking: this empties it for the next run's notifier. */
	if (read(s->efd_stop, &one, sizeof(one)) != sizeof(one))
		amp_log(AMP_LOG_WARN, "%s: the stop event was lost", s->name);
}

/* The firmware must start from a vector table at the start of its RAM, as the ROM boots it. */
static int qm4_check_vectors(struct qm4_proc *s, uint64_t entry)
{
	const uint8_t *vt = qm4_da_to_va(s->rproc, s->ram_da, 8);
	uint32_t reset = vt ? (uint32_t)vt[4] | (uint32_t)vt[5] << 8 | (uint32_t)vt[6] << 16 |
				      (uint32_t)vt[7] << 24
			    : 0;

	if (vt && reset == entry && (reset & 1))
		return 0;
	rproc_set_platform_error(s->rproc,
				 "its vector table at 0x%llx does not start its entry point 0x%llx "
				 "(reset vector 0x%x): not linked for qemu-m4 (its RAM at 0x%llx, "
				 "the table first)?",
				 (unsigned long long)s->ram_da, (unsigned long long)entry, reset,
				 (unsigned long long)s->ram_da);
	return -AMP_ENOEXEC;
}

/*
 * The boot ROM: the configuration's, else $AMP_QEMU_M4_BOOTROM, else the first of the library's
 * places that holds one (os_install.c: beside its install, its build tree, the prefix).
 */
static int qm4_find_bootrom(struct qm4_proc *s)
{
	const char *rom = s->cfg.bootrom_path ? s->cfg.bootrom_path : getenv("AMP_QEMU_M4_BOOTROM");
	unsigned int i;

	if (rom) {
		snprintf(s->bootrom_path, sizeof(s->bootrom_path), "%s", rom);
		if (!access(s->bootrom_path, R_OK))
			return 0;
	} else {
		for (i = 0; !amp_installed_path(AMP_INSTALLED_QEMU_M4_BOOTROM, i, s->bootrom_path,
						sizeof(s->bootrom_path));
		     i++)
			if (!access(s->bootrom_path, R_OK))
				return 0;
	}
	rproc_set_platform_error(s->rproc,
				 "its boot ROM %s is missing (it is built with the firmware: "
				 "Debian: apt-get install gcc-arm-none-eabi)",
				 rom ? rom : "amp-m4-bootrom.elf");
	return -AMP_ENOENT;
}

static int qm4_start(struct rproc *rproc)
{
	struct qm4_proc *s = qm4_of(rproc);
	const char *env = getenv("AMP_QEMU_SYSTEM_ARM");
	const char *qemu = s->cfg.qemu_path ? s->cfg.qemu_path : env && *env ? env : QM4_QEMU_NAME;
	struct qemu_m4_boot *b = &s->ctrl->boot;
	int ret;

	ret = qm4_which(qemu, s->qemu_path, sizeof(s->qemu_path));
	if (ret) {
		rproc_set_platform_error(rproc,
					 "%s not found%s (Debian: apt-get install qemu-system-arm)",
					 qemu, strchr(qemu, '/') ? "" : " in $PATH");
		return ret;
	}
	ret = qm4_find_bootrom(s);
	if (ret)
		return ret;
	ret = qm4_check_vectors(s, rproc->bootaddr);
	if (ret)
		return ret;
	/* The boot block, before QEMU runs; nothing else of the last run survives. */
	memset(s->ctrl, 0, sizeof(*s->ctrl));
	*b = (struct qemu_m4_boot){.magic = QEMU_M4_BOOT_MAGIC,
				   .version = QEMU_M4_BOOT_VERSION,
				   .vector_table = (uint32_t)s->ram_da,
				   .rsc_table_da = (uint32_t)rproc->table_da,
				   .ram_da = (uint32_t)s->ram_da,
				   .ram_len = (uint32_t)s->ram_len,
				   .pool_da = (uint32_t)s->pool.da,
				   .pool_len = (uint32_t)s->pool.len,
				   .flags = s->cfg.poll ? QEMU_M4_BOOT_POLLED : 0,
				   .tick_ms = s->cfg.watchdog_ms ? (s->cfg.watchdog_ms + 3) / 4 : 0};
	qm4_drain(s->uart[0]);
	qm4_drain(s->uart[1]);
	s->crash_valid = false;
	s->bad_bytes_logged = false;
	s->last_err[0] = '\0';
	s->err_len = 0;
	s->pid = -1;
	s->pidfd = s->err_fd = -1;
	s->boot_done = false;
	s->boot_error[0] = '\0';
	__atomic_store_n(&s->stopping, false, __ATOMIC_RELEASE);
	ret = amp_thread_create(&s->notifier, qm4_notifier, s, "qemu-m4");
	if (ret)
		return ret;
	amp_mutex_lock(&s->boot_lock);
	while (!s->boot_done)
		amp_cond_wait(&s->boot_cond, &s->boot_lock);
	ret = s->boot_result;
	amp_mutex_unlock(&s->boot_lock);
	if (ret) {
		qm4_reap(s);
		rproc_set_platform_error(rproc, "%s", s->boot_error[0] ? s->boot_error
								 : amp_strerror(ret));
		return ret;
	}
	s->running = true;
	return 0;
}

static int qm4_stop(struct rproc *rproc)
{
	struct qm4_proc *s = qm4_of(rproc);

	if (!s->running)
		return 0;
	qm4_reap(s);
	s->running = false;
	return 0;
}

static void qm4_kick(struct rproc *rproc, int vqid)
{
	struct qm4_proc *s = qm4_of(rproc);
	uint8_t b = (uint8_t)vqid;

	if (vqid < 0 || (unsigned int)vqid >= QEMU_M4_MAX_NOTIFYID) {
		amp_log(AMP_LOG_WARN, "%s: notify id %d does not fit the doorbell", s->name, vqid);
		return;
	}
	/* Full (EAGAIN): the core has not read what is there yet, so it will wake anyway. */
	if (send(s->uart[0], &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1 && errno != EAGAIN)
		amp_log(AMP_LOG_WARN, "%s: kick lost: %s", s->name, strerror(errno));
}

/* Linux's struct elf_prstatus on 32-bit ARM, which debuggers read from an ARM core file. */
struct qm4_arm_prstatus {
	int32_t si_signo, si_code, si_errno;
	int16_t pr_cursig;
	uint16_t pad;
	uint32_t pr_sigpend, pr_sighold;
	int32_t pr_pid, pr_ppid, pr_pgrp, pr_sid;
	int32_t pr_times[8]; /* user, system, children's user and system time: sec, usec */
	uint32_t pr_reg[18]; /* r0-r15, cpsr, orig_r0 */
	int32_t pr_fpvalid;
};
_Static_assert(sizeof(struct qm4_arm_prstatus) == 148, "elf_prstatus is 148 bytes on ARM");

/* The signal a POSIX system would have sent for the fault, for the debugger to name it. */
static int qm4_fault_signal(const struct qemu_m4_crash *c)
{
	switch (c->exception) {
	case QEMU_M4_EXC_BUSFAULT:
		return SIGBUS;
	case QEMU_M4_EXC_USAGEFAULT:
		return c->cfsr & (1u << 25) ? SIGFPE : SIGILL; /* DIVBYZERO */
	case QEMU_M4_EXC_SVCALL:
		return SIGSYS;
	case QEMU_M4_EXC_NMI:
		return SIGINT;
	default:
		return SIGSEGV;
	}
}

/* One NT_PRSTATUS with the registers the fault handler reported. */
static int qm4_coredump_notes(struct rproc *rproc, void *buf, size_t len)
{
	struct qm4_proc *s = qm4_of(rproc);
	struct {
		Elf32_Nhdr nh;
		char name[8];
		struct qm4_arm_prstatus pr;
	} note = {{.n_namesz = 5, .n_descsz = sizeof(note.pr), .n_type = NT_PRSTATUS},
		  "CORE",
		  {.pr_pid = 1}};
	unsigned int i;

	_Static_assert(sizeof(note) == 12 + 8 + 148, "a note is its header, name, description");
	if (!s->crash_valid)
		return 0;
	if (len < sizeof(note))
		return -AMP_ENOSPC;
	note.pr.si_signo = note.pr.pr_cursig = (int16_t)qm4_fault_signal(&s->crash);
	for (i = 0; i < 16; i++)
		note.pr.pr_reg[i] = s->crash.r[i];
	note.pr.pr_reg[16] = s->crash.xpsr;
	note.pr.pr_reg[17] = s->crash.r[0];
	memcpy(buf, &note, sizeof(note));
	return (int)sizeof(note);
}

static const struct rproc_ops qm4_rproc_ops = {
	.start = qm4_start,
	.stop = qm4_stop,
	.kick = qm4_kick,
	.da_to_va = qm4_da_to_va,
	.mem_alloc = qm4_mem_alloc,
	.mem_free = qm4_mem_free,
	.coredump_notes = qm4_coredump_notes,
};

/* Both regions inside the RAM below the control page, and apart. */
static bool qm4_regions_ok(uint64_t ram_da, uint64_t ram_len, uint64_t pool_da, uint64_t pool_len)
{
	uint64_t usable = QEMU_M4_CTRL_DA - QEMU_M4_RAM_DA;

	return ram_len && pool_len && plat_in_range(ram_da, ram_len, QEMU_M4_RAM_DA, usable) &&
	       plat_in_range(pool_da, pool_len, QEMU_M4_RAM_DA, usable) &&
	       (ram_da + ram_len <= pool_da || pool_da + pool_len <= ram_da) && !(ram_da & 255);
}

struct rproc *qemu_m4_rproc_create(const struct qemu_m4_config *cfg)
{
	static const uint16_t machines[] = {EM_ARM};
	struct rproc *rproc;
	struct qm4_proc *s;
	uint64_t ram_da, ram_len, pool_da, pool_len;

	if (!cfg || !cfg->name)
		return NULL;
	ram_da = cfg->ram_len ? cfg->ram_da : QEMU_M4_DEFAULT_RAM_DA;
	ram_len = cfg->ram_len ? cfg->ram_len : QEMU_M4_DEFAULT_RAM_LEN;
	pool_da = cfg->pool_len ? cfg->pool_da : QEMU_M4_DEFAULT_POOL_DA;
	pool_len = cfg->pool_len ? cfg->pool_len : QEMU_M4_DEFAULT_POOL_LEN;
	if (!qm4_regions_ok(ram_da, ram_len, pool_da, pool_len))
		return NULL;
	rproc = rproc_alloc(cfg->name, &qm4_rproc_ops, cfg->firmware, sizeof(*s));
	if (!rproc)
		return NULL;
	rproc_set_polled(rproc, cfg->poll);
	s = rproc->priv;
	s->cfg = *cfg;
	s->rproc = rproc;
	s->mem_fd = s->uart[0] = s->uart[1] = s->devnull = s->efd_stop = -1;
	s->pid = -1;
	s->pidfd = s->err_fd = -1;
	amp_mutex_init(&s->boot_lock);
	amp_cond_init(&s->boot_cond);
	snprintf(s->name, sizeof(s->name), "%s", cfg->name);
	s->ram_da = ram_da;
	s->ram_len = ram_len;
	s->mem_fd = memfd_create("amp-qemu-m4-ram", MFD_CLOEXEC);
	if (s->mem_fd < 0 || ftruncate(s->mem_fd, QEMU_M4_RAM_LEN))
		goto out_free;
	s->mem = mmap(NULL, QEMU_M4_RAM_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, s->mem_fd, 0);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		goto out_free;
	}
	s->ctrl = (struct qemu_m4_ctrl *)(s->mem + (QEMU_M4_CTRL_DA - QEMU_M4_RAM_DA));
	s->pool.va = s->mem + (pool_da - QEMU_M4_RAM_DA);
	s->pool.da = pool_da;
	s->pool.len = pool_len;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->uart) ||
	    fcntl(s->uart[0], F_SETFL, O_NONBLOCK))
		goto out_free;
	s->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	s->efd_stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->devnull < 0 || s->efd_stop < 0)
		goto out_free;
	if (rproc_set_elf_machines(rproc, machines, 1))
		goto out_free;
	return rproc;

out_free:
	qemu_m4_rproc_destroy(rproc);
	return NULL;
}

void qemu_m4_rproc_destroy(struct rproc *rproc)
{
	struct qm4_proc *s;
	unsigned int i;

	if (!rproc)
		return;
	s = rproc->priv;
	plat_rproc_retire(rproc);
	{
		int fds[5] = {s->uart[0], s->uart[1], s->devnull, s->efd_stop, s->mem_fd};

		for (i = 0; i < 5; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	if (s->mem)
		munmap(s->mem, QEMU_M4_RAM_LEN);
	amp_cond_destroy(&s->boot_cond);
	amp_mutex_destroy(&s->boot_lock);
	rproc_free(rproc);
}
