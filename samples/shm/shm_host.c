/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * amp-shm-host: a host on the shm platform (<amp/shm.h>). It attaches to a remote process
 * (amp-shm-echo-remote, or OpenAMP's echo demo), waits for the remote's name service to
 * announce "rpmsg-openamp-demo-channel", sends payloads of every size from 0 bytes to the MTU,
 * checks that each comes back whole, and detaches. Sample.
 *
 * usage: amp-shm-host [--file PATH] [--socket PATH] [--host-listens] [--hold]
 * With --hold it stays attached after the sweep until SIGINT or SIGTERM, and sweeps again each
 * time the remote comes back after going away.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/shm.h>

#include "shm_echo.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct shm_config cfg = {.name = "shm0"};
	struct shm_echo_peer peer;
	struct rproc *rproc;
	bool hold = false;
	unsigned int rounds = 0, waited = 0;
	int i, n, ret, echoes;

	for (i = 1; i < argc; i += n) {
		n = shm_echo_layout_arg(argc - i, argv + i, &cfg.layout);
		if (n < 0)
			return 2;
		if (!n && !strcmp(argv[i], "--hold")) {
			hold = true;
			n = 1;
		}
		if (!n) {
			fprintf(stderr, "usage: %s [--file PATH] [--socket PATH] [--host-listens] "
					"[--hold]\n",
				argv[0]);
			return 2;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = shm_rproc_create(&cfg, &rproc);
	if (ret) {
		fprintf(stderr, "amp-shm-host: %s\n", amp_strerror(ret));
		return 1;
	}
	shm_echo_peer_add(&peer, rproc_name(rproc));
	ret = rproc_register(rproc);
	/* Attach: waits for the remote to be connected (SHM_DEFAULT_ATTACH_TIMEOUT_MS). */
	if (!ret)
		ret = rproc_boot(rproc);
	/* Each time the remote (re)announces the channel: sweep every size. Waits are short,
	 * to see a signal; without --hold the channel has 10 s to come. */
	while (!ret && !stop) {
		ret = shm_echo_wait_channel(&peer, rounds + 1, 100);
		if (ret == -AMP_ETIMEDOUT && (hold || (waited += 100) < 10000)) {
			ret = 0;
			continue;
		}
		if (ret)
			break;
		waited = 0;
		echoes = shm_echo_sweep(&peer, 0, 1 << 16, 10000);
		if (echoes < 0) {
			ret = echoes;
			break;
		}
		printf("amp-shm-host: %d echoes of 0..%d bytes checked\n", echoes, echoes - 1);
		fflush(stdout);
		rounds++;
		if (!hold)
			break;
	}
	if (ret)
		fprintf(stderr, "amp-shm-host: %s\n", amp_strerror(ret));
	shm_echo_peer_remove(&peer);
	shm_rproc_destroy(rproc);
	return ret ? 1 : 0;
}
