/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * amp-demo: the seed's story, twice: on the simulated SoC, then on a Cortex-M4 (QEMU's
 * mps2-an386, the qemu-m4 platform) running the same firmware built for it. A remote processor
 * boots the rpmsg-client-sample firmware; its name service announces the channel; the seed's
 * sample_client driver is probed and says "dude"; the remote answers. Then the topology, the
 * trace buffer, a real crash of the core and its recovery (the channel goes and comes back), and
 * a clean shutdown. Without QEMU or the Arm compiler the Cortex-M4 part is skipped, saying which
 * package to install. Exits 0 only if every step that ran happened. Sample.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <amp/amp.h>
#include <amp/qemu_m4.h>
#include <amp/sim.h>

#include "rpmsg_client_sample.h"

#ifndef AMP_DEMO_FIRMWARE
#define AMP_DEMO_FIRMWARE "rpmsg-client-sample.elf"
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int replies;
static struct rpmsg_channel *channel;

static void on_reply(struct rpmsg_channel *rpdev, const void *data, int len, u32 src)
{
	(void)data;
	(void)len;
	(void)src;
	pthread_mutex_lock(&lock);
	replies++;
	channel = rpdev;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void on_event(struct rproc *rproc, enum rproc_event ev, void *priv)
{
	(void)priv;
	if (ev == RPROC_EVENT_STATE)
		printf("  [%s is %s]\n", rproc_name(rproc), rproc_state_name(rproc_get_state(rproc)));
	else if (ev == RPROC_EVENT_CRASH)
		printf("  [%s crashed; crash count %u]\n", rproc_name(rproc),
		       rproc_crash_count(rproc));
	pthread_mutex_lock(&lock);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* Wait until @n replies came and the processor runs; false after 10 s. */
static bool wait_for(struct rproc *rproc, int n)
{
	struct timespec ts;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&lock);
	while ((replies < n || rproc_get_state(rproc) != RPROC_RUNNING) && ret == 0)
		ret = pthread_cond_timedwait(&cond, &lock, &ts);
	ret = replies >= n && rproc_get_state(rproc) == RPROC_RUNNING;
	pthread_mutex_unlock(&lock);
	return ret;
}

static void print_channel(struct rpmsg_channel *ch, void *arg)
{
	char drv[64];

	(void)arg;
	printf("      channel \"%s\": src 0x%x -> dst 0x%x, driver %s\n", ch->name, ch->src,
	       ch->dst, *rpmsg_channel_driver(ch, drv, sizeof(drv)) ? drv : "(none)");
	if (ch->ept)
		printf("        endpoint 0x%x (default)\n", rpmsg_ept_addr(ch->ept));
}

static void print_topology(struct rproc *rproc)
{
	struct virtio_device *vdev = rproc_get_vdev(rproc, 0);

	printf("  processor %s (%s), firmware %s\n", rproc_name(rproc),
	       rproc_state_name(rproc_get_state(rproc)), rproc_get_firmware(rproc));
	if (!vdev)
		return;
	printf("    vdev0: virtio id %u (rpmsg), features 0x%x, vrings of %u and %u at da 0x%llx "
	       "and 0x%llx\n",
	       vdev->id, vdev->features, vdev->vring[0].num, vdev->vring[1].num,
	       (unsigned long long)vdev->vring[0].da, (unsigned long long)vdev->vring[1].da);
	rpmsg_for_each_channel(rpmsg_virtio_device_of(vdev), print_channel, NULL);
}

static void print_trace(struct rproc *rproc)
{
	char buf[2048];
	int n = rproc_trace_read(rproc, 0, buf, sizeof(buf));

	if (n < 0) {
		printf("  (no trace: %s)\n", amp_strerror(n));
		return;
	}
	printf("  --- trace0 of %s ---\n%s  ---\n", rproc_name(rproc), buf);
}

/* The processor's platform: its destroy. */
static void (*destroy)(struct rproc *rproc);

static int fail(const char *step, struct rproc *rproc)
{
	fprintf(stderr, "amp-demo: FAILED at: %s (%s)\n", step, rproc_last_error(rproc));
	destroy(rproc);
	return 1;
}

/* The story on @rproc, registered already; destroys it. 0 when every step happened. */
static int story(struct rproc *rproc)
{
	pthread_mutex_lock(&lock);
	replies = 0;
	channel = NULL;
	pthread_mutex_unlock(&lock);
	rproc_set_event_cb(rproc, on_event, NULL);
	if (rproc_register(rproc))
		return fail("register", rproc);

	printf("3. Boot %s: ELF loaded, resource table handled, core started\n",
	       rproc_get_firmware(rproc));
	if (rproc_boot(rproc))
		return fail("boot", rproc);
	printf("4. The remote announced its service; sample_client was probed and said \"dude\"\n");
	if (!wait_for(rproc, 1))
		return fail("the remote's answer to \"dude\"", rproc);

	printf("5. Topology\n");
	print_topology(rproc);
	printf("6. The remote's trace buffer\n");
	print_trace(rproc);

	printf("7. Tell the remote to crash; the host recovers it\n");
	pthread_mutex_lock(&lock);
	struct rpmsg_channel *ch = channel;
	pthread_mutex_unlock(&lock);
	if (rpmsg_send(ch, "crash", 5))
		return fail("send \"crash\"", rproc);
	if (!wait_for(rproc, 2))
		return fail("recovery: the channel back and a new answer", rproc);
	if (rproc_crash_count(rproc) != 1)
		return fail("exactly one crash counted", rproc);
	printf("   recovered: channel probed again, the remote answered again\n");
	print_topology(rproc);

	printf("8. Shut down\n");
	if (rproc_shutdown(rproc) || rproc_get_state(rproc) != RPROC_OFFLINE)
		return fail("shutdown", rproc);
	destroy(rproc);
	return 0;
}

/* The Cortex-M4 part: QEMU and the firmware built for the M4, or why not. */
static int cortex_m4(void)
{
	struct qemu_m4_config cfg = {.name = "cortex-m4", .cpu = -1};
	char qemu[512];
	struct rproc *rproc;

#ifndef AMP_DEMO_M4_FIRMWARE
	(void)cfg;
	(void)qemu;
	(void)rproc;
	printf("\nThe Cortex-M4 part is skipped: its firmware was not built, for want of the Arm "
	       "compiler (Debian: apt-get install gcc-arm-none-eabi)\n");
	return 0;
#else
	if (qemu_m4_find_qemu(qemu, sizeof(qemu))) {
		printf("\nThe Cortex-M4 part is skipped: qemu-system-arm not found (Debian: apt-get "
		       "install qemu-system-arm)\n");
		return 0;
	}
	printf("\nThe same story on a Cortex-M4\n");
	printf("1. A Cortex-M4 remote processor, emulated by QEMU (%s, machine mps2-an386): its "
	       "RAM a memfd this host maps, our ELF loader puts the firmware there, a boot ROM of "
	       "ours starts it; the doorbell is its UART\n",
	       qemu);
	cfg.firmware = AMP_DEMO_M4_FIRMWARE;
	rproc = qemu_m4_rproc_create(&cfg);
	if (!rproc) {
		fprintf(stderr, "amp-demo: cannot create the Cortex-M4\n");
		return 1;
	}
	destroy = qemu_m4_rproc_destroy;
	printf("2. The same sample_client driver, the same firmware source, built for the M4 "
	       "(ELF32, EM_ARM)\n");
	return story(rproc);
#endif
}

int main(void)
{
	struct sim_config cfg = {.name = "rproc0", .firmware = AMP_DEMO_FIRMWARE, .cpu = -1};
	struct rproc *rproc;
	int ret;

	/* A line at a time even into a pipe, so that the library's warnings (stderr: the
	 * crashes) fall between the steps they belong to. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1. A simulated remote processor: a separate process, its memory shared with memfd\n");
	rproc = sim_rproc_create(&cfg);
	if (!rproc) {
		fprintf(stderr, "amp-demo: cannot create the simulated processor\n");
		return 1;
	}
	destroy = sim_rproc_destroy;
	printf("2. The seed's rpmsg driver, sample_client, registered with register_rpmsg_driver()\n");
	if (rpmsg_client_sample_register(on_reply))
		return fail("register the sample driver", rproc);
	ret = story(rproc);
	if (!ret)
		ret = cortex_m4();
	rpmsg_client_sample_unregister();
	if (!ret)
		printf("demo: every step happened\n");
	return ret;
}
