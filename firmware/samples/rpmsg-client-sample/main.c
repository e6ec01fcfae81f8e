/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg-client-sample firmware: announces the seed's channel "rpmsg-client-sample" and answers
 * every message. "crash" makes it fault (a write to address 0), "hang" makes it stop petting the
 * watchdog, so that the host's crash handling can be shown. Sample firmware.
 */
#include <stdint.h>

#include <amp-fw/hal.h>
#include <amp-fw/rpmsg.h>
#include <amp-fw/rsc.h>
#include <amp-fw/trace.h>
#include <amp/rpmsg_remote.h>

#define NUM_VRING 64
#define SAMPLE_ADDR 0x400u

AMP_FW_RSC_TABLE_RPMSG_TRACE(resource_table, NUM_VRING, AMP_FW_TRACE_DA, AMP_FW_TRACE_LEN);

AMP_FW_RPMSG_DEVICE(rdev, NUM_VRING, 8);
static struct rpmsg_remote_ept ept;
static unsigned int answered;
static volatile int hang;

static int starts_with(const void *data, size_t len, const char *word)
{
	size_t i;

	for (i = 0; word[i]; i++)
		if (i >= len || ((const char *)data)[i] != word[i])
			return 0;
	return i == len;
}

static void sample_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		      void *priv)
{
	static const char hello[] = "hello from the remote core, message #";
	char reply[64];
	unsigned int n, i = 0, k;
	char digits[12];

	(void)priv;
	if (starts_with(data, len, "crash")) {
		amp_fw_printf("asked to crash: writing to address 0\n");
		*(volatile int *)0 = 1;
	}
	if (starts_with(data, len, "hang")) {
		amp_fw_printf("asked to hang: no more watchdog pets\n");
		hang = 1;
		return;
	}
	n = ++answered;
	for (k = 0; hello[k]; k++)
		reply[i++] = hello[k];
	k = 0;
	do {
		digits[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (k)
		reply[i++] = digits[--k];
	amp_fw_printf("got %u bytes from 0x%x, answered #%u\n", (unsigned int)len, (unsigned int)src,
		      answered);
	amp_fw_rpmsg_send(e, src, reply, i);
}

int main(void)
{
	int created = 0;

	amp_fw_printf("rpmsg-client-sample firmware: booting, table at %p\n", amp_fw_rsc_table());
	if (rdev_init()) {
		amp_fw_printf("rpmsg init failed\n");
		return 1;
	}
	for (;;) {
		int ret = rpmsg_remote_poll(&rdev);

		if (ret >= 0 && !created) {
			if (rpmsg_remote_create_ept(&rdev, &ept, "rpmsg-client-sample", SAMPLE_ADDR,
						    sample_cb, 0) == 0) {
				amp_fw_printf("host is ready: announced rpmsg-client-sample at 0x%x\n",
					      SAMPLE_ADDR);
				created = 1;
			}
		} else if (ret < 0 && ret != -11 /* -EAGAIN: host not ready yet */) {
			amp_fw_printf("rpmsg: error %d\n", ret);
		}
		if (!hang)
			amp_fw_pet_watchdog();
		amp_fw_rpmsg_wait(&rdev);
	}
}
