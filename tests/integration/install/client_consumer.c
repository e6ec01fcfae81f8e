/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An application outside the tree, built against an installed libamp-client with pkg-config:
 * through a running ampd, boots sim1, waits for its echo channel (an event, not a poll), sends
 * a message on an endpoint and checks the echo, stops sim1.
 * Usage: client_consumer SOCKET
 */
#include <stdio.h>
#include <string.h>

#include <amp/client.h>

static int fail(const char *what, int err, struct amp_client *c)
{
	fprintf(stderr, "client_consumer: %s: error %d (%s)\n", what, err,
		c ? amp_client_error(c) : "");
	return 1;
}

int main(int argc, char **argv)
{
	struct amp_client *ctl, *watch, *ept;
	struct amp_endpoint_info info;
	char line[512], reply[512];
	int ret;
	long n;

	if (argc != 2)
		return 2;
	if ((ret = amp_client_connect(argv[1], &ctl)) || (ret = amp_client_connect(argv[1], &watch)))
		return fail("connect", ret, NULL);
	if ((ret = amp_client_watch(watch)))
		return fail("watch", ret, watch);
	if ((ret = amp_client_request(ctl, "start sim1", NULL, 0, 30000)))
		return fail("start sim1", ret, ctl);
	do {
		ret = amp_client_next_event(watch, line, sizeof(line), 30000);
		if (ret < 0)
			return fail("waiting for rpmsg-echo", ret, watch);
	} while (strncmp(line, "channel-up ", 11) || !strstr(line, " name=rpmsg-echo "));
	if ((ret = amp_client_connect(argv[1], &ept)) ||
	    (ret = amp_client_open_endpoint(ept, "sim1", "rpmsg-echo", AMP_CLIENT_ADDR_ANY,
					    AMP_CLIENT_ADDR_ANY, &info)))
		return fail("open", ret, ept);
	if (info.dst != 0x401 || info.mtu != 496)
		return fail("endpoint info", -1, ept);
	if ((ret = amp_client_send(ept, "installed", 9)))
		return fail("send", ret, ept);
	n = amp_client_recv(ept, reply, sizeof(reply), 30000);
	if (n != 9 || memcmp(reply, "installed", 9))
		return fail("echo", (int)n, ept);
	amp_client_close(ept);
	if ((ret = amp_client_request(ctl, "stop sim1", NULL, 0, 30000)))
		return fail("stop sim1", ret, ctl);
	amp_client_close(watch);
	amp_client_close(ctl);
	printf("client_consumer: the installed ampd and libamp-client echoed\n");
	return 0;
}
