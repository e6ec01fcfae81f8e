/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * amp-shm-demo: a remote processor that is a Linux process (the shm platform). The demo starts
 * amp-shm-echo-remote as a separate process, attaches to it (the remote wrote the resource
 * table into the shared file), lets its name service announce the echo channel, echoes every
 * payload size, kills the remote process (a crash: the channel goes), starts another (recovery
 * attaches to it: the channel comes back), and detaches (the remote sees the host leave).
 * Everything lives in a private directory, with OpenAMP's layout. Exits 0 only if every step
 * happened. Sample.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <amp/amp.h>
#include <amp/shm.h>

#include "shm_echo.h"

#ifndef AMP_SHM_ECHO_REMOTE
#define AMP_SHM_ECHO_REMOTE "amp-shm-echo-remote"
#endif

static char file[64], sock[64];

static pid_t start_remote(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the demo */
		execl(AMP_SHM_ECHO_REMOTE, AMP_SHM_ECHO_REMOTE, "--file", file, "--socket", sock,
		      (char *)NULL);
		_exit(127);
	}
	printf("  [remote process %d started: %s]\n", pid, AMP_SHM_ECHO_REMOTE);
	return pid;
}

/* What the processor goes through, as it happens (the remote's crash and the attaches). */
static void on_event(struct rproc *rproc, enum rproc_event ev, void *priv)
{
	static const char *const what[] = {
		[RPROC_EVENT_STATE] = "now", [RPROC_EVENT_CRASH] = "crash handled: the remote is gone,",
		[RPROC_EVENT_VDEV_UP] = "rpmsg bus up,", [RPROC_EVENT_VDEV_DOWN] = "rpmsg bus down,"};

	(void)priv;
	printf("  [%s: %s %s]\n", rproc_name(rproc), what[ev],
	       rproc_state_name(rproc_get_state(rproc)));
}

static void print_channel(struct rpmsg_channel *ch, unsigned int index, void *arg)
{
	char drv[64];

	(void)arg;
	printf("    vdev%u: channel \"%s\": src 0x%x -> dst 0x%x, driver %s\n", index, ch->name,
	       ch->src, ch->dst, *rpmsg_channel_driver(ch, drv, sizeof(drv)) ? drv : "(none)");
}

static bool step(bool ok, const char *what)
{
	printf("%s %s\n", ok ? "ok:    " : "FAILED:", what);
	return ok;
}

int main(void)
{
	char dir[] = "/tmp/amp-shm-demo-XXXXXX";
	struct shm_config cfg = {.name = "shm0"};
	struct shm_echo_peer peer;
	struct rproc *rproc = NULL;
	int status, n;
	pid_t pid;
	bool ok;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof(file), "%s/openamp.shm", dir);
	snprintf(sock, sizeof(sock), "%s/openamp.event.0", dir);
	cfg.layout.file = file;
	cfg.layout.socket = sock;
	printf("The shm platform: the remote is a process; device memory is %s (0x%x bytes),\n"
	       "kicks are bytes on %s. OpenAMP's layout: table at 0, vrings at 0x%x and 0x%x,\n"
	       "buffers at 0x%x.\n\n",
	       file, SHM_DEFAULT_SIZE, sock, SHM_DEFAULT_VRING0_DA, SHM_DEFAULT_VRING1_DA,
	       SHM_DEFAULT_BUF_DA);

	pid = start_remote();
	ok = step(shm_rproc_create(&cfg, &rproc) == 0, "host: shm0 created (detached: the remote "
						       "is not ours to boot)");
	shm_echo_peer_add(&peer, "shm0");
	rproc_set_event_cb(rproc, on_event, NULL);
	ok = ok && step(rproc_register(rproc) == 0 && rproc_boot(rproc) == 0,
			"host: attached to the remote's resource table");
	ok = ok && step(shm_echo_wait_channel(&peer, 1, 20000) == 0,
			"the remote's name service announced " SHM_ECHO_CHANNEL);
	if (ok)
		rproc_for_each_channel(rproc, print_channel, NULL);
	n = ok ? shm_echo_sweep(&peer, 0, 1 << 16, 10000) : -1;
	ok = ok && step(n > 0, "echoed every payload size, 0 bytes to the MTU");

	printf("\nThe remote process dies (SIGKILL):\n");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pid = start_remote();
	ok = ok && step(shm_echo_wait_channel(&peer, 2, 20000) == 0 &&
				rproc_crash_count(rproc) == 1,
			"crash seen (socket closed), the next remote attached, channel back");
	n = ok ? shm_echo_sweep(&peer, 0, 1 << 16, 10000) : -1;
	ok = ok && step(n > 0, "echoed every size again");

	printf("\nShutting down (the host detaches; the remote sees it leave):\n");
	ok = ok && step(rproc_shutdown(rproc) == 0 && rproc_get_state(rproc) == RPROC_DETACHED,
			"host: detached");
	shm_rproc_destroy(rproc);
	shm_echo_peer_remove(&peer);
	kill(pid, SIGTERM);
	ok = step(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
		  "remote process ended") && ok;
	unlink(file);
	rmdir(dir);
	printf("%s\n", ok ? "demo: every step happened" : "demo: FAILED");
	return ok ? 0 : 1;
}
