/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A project outside the tree, built against an installed amp with pkg-config: boots the
 * installed echo firmware on the sim platform, gets one message back, shuts down.
 * Usage: consumer FIRMWARE
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime() under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <amp/amp.h>
#include <amp/sim.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct rpmsg_channel *echo;
static int answered;

static int probe(struct rpmsg_channel *rpdev)
{
	pthread_mutex_lock(&lock);
	echo = rpdev;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	return 0;
}

static void removed(struct rpmsg_channel *rpdev)
{
	(void)rpdev;
}

static void got(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	(void)rpdev;
	(void)priv;
	(void)src;
	pthread_mutex_lock(&lock);
	answered = len == 4 && !memcmp(data, "ping", 4);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static const struct rpmsg_device_id ids[] = {{"rpmsg-echo"}, {""}};
static struct rpmsg_driver drv = {
	.name = "consumer", .id_table = ids, .probe = probe, .remove = removed, .callback = got};

int main(int argc, char **argv)
{
	struct sim_config cfg = {.name = "consumer0", .cpu = -1};
	struct timespec deadline;
	struct rproc *r;
	int ok;

	if (argc != 2)
		return 2;
	cfg.firmware = argv[1];
	if (register_rpmsg_driver(&drv) || !(r = sim_rproc_create(&cfg)) || rproc_register(r) ||
	    rproc_boot(r))
		return 1;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&lock);
	while (!echo && pthread_cond_timedwait(&cond, &lock, &deadline) == 0)
		;
	pthread_mutex_unlock(&lock);
	if (!echo || rpmsg_send(echo, "ping", 4))
		return 1;
	pthread_mutex_lock(&lock);
	while (!answered && pthread_cond_timedwait(&cond, &lock, &deadline) == 0)
		;
	ok = answered;
	pthread_mutex_unlock(&lock);
	sim_rproc_destroy(r);
	unregister_rpmsg_driver(&drv);
	printf("consumer: %s\n", ok ? "the installed echo firmware answered" : "no answer");
	return ok ? 0 : 1;
}
