/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * amp-shm-echo-remote: a Linux process as a remote processor (the shm platform, <amp/shm.h>).
 * It writes the resource table into the shared file, waits for a host, announces
 * "rpmsg-openamp-demo-channel" at 0x400 (the channel of OpenAMP's echo demo, so that OpenAMP's
 * host programs talk to it too) and sends every message back. When the host goes away it
 * serves the next one. Sample.
 *
 * usage: amp-shm-echo-remote [--file PATH] [--socket PATH] [--host-listens] [--sessions N]
 * The defaults are OpenAMP's: /dev/shm/openamp.shm, /tmp/openamp.event.0, this side listening.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/shm.h>

#include "shm_echo.h"

static volatile bool stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = true;
}

int main(int argc, char **argv)
{
	struct shm_remote_config cfg = {0};
	struct shm_echo_remote_stats st;
	unsigned int sessions = 0;
	int i, n, ret;

	for (i = 1; i < argc; i += n) {
		n = shm_echo_layout_arg(argc - i, argv + i, &cfg.layout);
		if (n < 0)
			return 2;
		if (n)
			continue;
		if (!strcmp(argv[i], "--sessions") && i + 1 < argc) {
			sessions = (unsigned int)strtoul(argv[i + 1], NULL, 0);
			n = 2;
			continue;
		}
		fprintf(stderr, "usage: %s [--file PATH] [--socket PATH] [--host-listens] "
				"[--sessions N]\n",
			argv[0]);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = shm_echo_remote_run(&cfg, sessions, &stop, &st);
	printf("amp-shm-echo-remote: %lu echoes, %u host%s served\n", st.echoes, st.sessions,
	       st.sessions == 1 ? "" : "s");
	if (ret)
		fprintf(stderr, "amp-shm-echo-remote: %s\n", amp_strerror(ret));
	return ret ? 1 : 0;
}
