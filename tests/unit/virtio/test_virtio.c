/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio interface is enough to write a driver other than rpmsg: a small console-like
 * driver, through <amp/virtio.h> and <amp/virtqueue.h> only, bound by remoteproc to a vdev of
 * its id declared in a firmware's resource table (features negotiated, config space read and
 * written, one vring set up and a buffer round trip through it, status, remove); plus the
 * registry's rules. The test plays the remote's part on the ring.
 */
#include <elf.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/remoteproc.h>
#include <amp/rpmsg.h>
#include <amp/virtio.h>
#include <amp/virtqueue.h>
#include <amp/wire/rsc_table.h>
#include <amp/wire/vring.h>

#include "amp_test_fw.h"

#define MEM_SIZE 0x40000u
#define POOL_START 0x10000u
#define TEST_ID 3u          /* VIRTIO_ID_CONSOLE: any id but rpmsg's */
#define F_SIZE 0u           /* a device feature the driver understands */
#define F_OTHER 1u          /* one it does not */
#define CFG_COLS 80u
#define CFG_ROWS 25u
#define VRING_NUM 8u

/* The platform: memory at device address = offset, a bump allocator, kicks recorded. */
static uint8_t mem[MEM_SIZE] __attribute__((aligned(4096)));
static uint64_t next_free;
static int kicks[4];

static void *t_da_to_va(struct rproc *rproc, uint64_t da, size_t len)
{
	(void)rproc;
	return da <= MEM_SIZE && len <= MEM_SIZE - da ? mem + da : NULL;
}

static int t_start(struct rproc *rproc)
{
	(void)rproc;
	return 0;
}

static int t_stop(struct rproc *rproc)
{
	(void)rproc;
	return 0;
}

static void t_kick(struct rproc *rproc, int notifyid)
{
	(void)rproc;
	if (notifyid >= 0 && notifyid < 4)
		kicks[notifyid]++;
}

static int t_mem_alloc(struct rproc *rproc, size_t len, size_t align, uint64_t *da, void **va)
{
	uint64_t at = (next_free + align - 1) & ~(uint64_t)(align - 1);

	(void)rproc;
	if (*da != FW_RSC_ADDR_ANY || at + len > MEM_SIZE)
		return -AMP_ENOMEM;
	next_free = at + len;
	*da = at;
	*va = mem + at;
	return 0;
}

static void t_mem_free(struct rproc *rproc, uint64_t da, size_t len)
{
	(void)rproc;
	(void)da;
	(void)len;
}

static const struct rproc_ops t_ops = {
	.start = t_start,
	.stop = t_stop,
	.kick = t_kick,
	.da_to_va = t_da_to_va,
	.mem_alloc = t_mem_alloc,
	.mem_free = t_mem_free,
};

/* The driver, as a porting engineer would write it from the header. */
struct cons {
	struct virtqueue vq;
	struct virtqueue_desc_state state[VRING_NUM];
	char got[32];
	uint32_t got_len;
};

static struct cons cons;
static int probes, removes, notifies;
static uint32_t probe_features;
static uint16_t probe_cols, probe_rows;
static uint8_t status_at_remove;

static int cons_probe(struct virtio_device *vdev)
{
	struct virtqueue *vqs[1] = {&cons.vq};
	struct virtqueue_desc_state *states[1] = {cons.state};
	static const char *const names[1] = {"cons rx"};
	uint16_t cfg[2];
	int ret;

	probes++;
	probe_features = vdev->features;
	ret = vdev->config->get_config(vdev, 0, cfg, sizeof(cfg));
	if (ret)
		return ret;
	probe_cols = cfg[0];
	probe_rows = cfg[1];
	cfg[0] = 132; /* the driver's answer, in the config space */
	ret = vdev->config->set_config(vdev, 4, cfg, sizeof(cfg[0]));
	if (ret)
		return ret;
	ret = virtio_find_vqs(vdev, 1, vqs, states, names);
	if (ret)
		return ret;
	/* One buffer from the memory the transport reserved for us, for the remote to fill. */
	ret = virtqueue_add_inbuf(&cons.vq, vdev->buf_da, 32, vdev->buf_va);
	if (ret)
		return ret;
	vdev->priv = &cons;
	vdev->config->set_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					       VIRTIO_CONFIG_S_DRIVER_OK);
	virtqueue_kick(&cons.vq);
	return 0;
}

static void cons_remove(struct virtio_device *vdev)
{
	removes++;
	status_at_remove = vdev->config->get_status(vdev);
}

static bool cons_notify(struct virtio_device *vdev, unsigned int vqid)
{
	struct cons *c = vdev->priv;
	uint32_t len;
	void *buf;

	notifies++;
	if (vqid == 0 && virtqueue_get_buf(&c->vq, &buf, &len) == 1 && len <= sizeof(c->got)) {
		memcpy(c->got, buf, len);
		c->got_len = len;
	}
	return false;
}

static const unsigned int cons_features[] = {F_SIZE};
static const struct virtio_driver cons_driver = {
	.name = "test-console",
	.id = TEST_ID,
	.feature_table = cons_features,
	.feature_table_size = 1,
	.probe = cons_probe,
	.remove = cons_remove,
	.notify = cons_notify,
};

/* A table with one vdev of TEST_ID: one vring, 4 bytes of config (cols, rows) and 4 more. */
static size_t vdev_off;

static const char *write_fw(uint32_t id)
{
	static struct amp_test_rsc r;
	struct resource_table hdr = {.ver = 1, .num = 1};
	uint32_t off0, type = RSC_VDEV;
	struct fw_rsc_vdev v = {.id = id,
				.dfeatures = (1u << F_SIZE) | (1u << F_OTHER) |
					     (1u << VIRTIO_RING_F_EVENT_IDX),
				.config_len = 8,
				.num_of_vrings = 1};
	struct fw_rsc_vdev_vring vr = {.da = FW_RSC_ADDR_ANY, .align = 16, .num = VRING_NUM};
	uint16_t cfg[4] = {CFG_COLS, CFG_ROWS, 0, 0};
	size_t off = sizeof(hdr) + sizeof(off0);

	memset(&r, 0, sizeof(r));
	vdev_off = off;
	off0 = (uint32_t)off;
	memcpy(r.bytes, &hdr, sizeof(hdr));
	memcpy(r.bytes + sizeof(hdr), &off0, sizeof(off0));
	memcpy(r.bytes + off, &type, 4);
	memcpy(r.bytes + off + 4, &v, sizeof(v));
	memcpy(r.bytes + off + 4 + sizeof(v), &vr, sizeof(vr));
	memcpy(r.bytes + off + 4 + sizeof(v) + sizeof(vr), cfg, sizeof(cfg));
	r.size = off + 4 + sizeof(v) + sizeof(vr) + sizeof(cfg);
	return amp_test_fw_write(0, &r, EM_X86_64);
}

static struct fw_rsc_vdev *live_vdev(struct rproc *r)
{
	size_t size;
	const uint8_t *t = (const void *)rproc_get_loaded_table(r, &size);

	assert_non_null(t);
	return (struct fw_rsc_vdev *)(void *)(t + vdev_off + 4);
}

static void quiet(enum amp_log_level level, const char *msg, void *priv)
{
	(void)level;
	(void)msg;
	(void)priv;
}

static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	memset(&cons, 0, sizeof(cons));
	memset(kicks, 0, sizeof(kicks));
	next_free = POOL_START;
	probes = removes = notifies = 0;
	amp_log_set_handler(quiet, NULL);
	return 0;
}

/* Bound by id, negotiated, configured, a buffer through the ring both ways, then removed. */
static void test_virtio_second_driver_binds_to_its_vdev(void **state)
{
	struct virtqueue_desc_state dstate[VRING_NUM];
	struct virtqueue dev_vq;
	struct virtqueue_buf b;
	struct virtio_device *vdev;
	struct fw_rsc_vdev *v;
	struct rproc *r;
	uint16_t head;

	(void)state;
	assert_int_equal(virtio_register_driver(&cons_driver), 0);
	r = rproc_alloc("cons0", &t_ops, write_fw(TEST_ID), 0);
	assert_non_null(r);
	assert_int_equal(rproc_boot(r), 0);

	assert_int_equal(probes, 1);
	/* What both sides offer and the driver understands, with the transport's EVENT_IDX. */
	assert_int_equal(probe_features, (1u << F_SIZE) | (1u << VIRTIO_RING_F_EVENT_IDX));
	v = live_vdev(r);
	assert_int_equal(v->gfeatures, probe_features);
	assert_int_equal(v->status, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					    VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(probe_cols, CFG_COLS);
	assert_int_equal(probe_rows, CFG_ROWS);
	assert_int_equal(((uint16_t *)(void *)((uint8_t *)(v + 1) + sizeof(v->vring[0])))[2], 132);
	vdev = rproc_get_vdev(r, 0);
	assert_non_null(vdev);
	assert_int_equal(vdev->id, TEST_ID);
	assert_ptr_equal(vdev->driver, &cons_driver);
	assert_ptr_equal(vdev->parent, r);
	assert_null(rpmsg_virtio_device_of(vdev)); /* not the rpmsg bus's */
	/* The driver's kick rang vring 0's doorbell, by the notify id the core gave it. */
	assert_int_equal(kicks[v->vring[0].notifyid], 1);

	/* The remote: take the posted buffer, fill it, return it used, kick the host. */
	{
		struct virtqueue_config dc = {.role = VIRTQUEUE_DEVICE, .num = VRING_NUM,
					      .align = 16, .ring = mem + v->vring[0].da,
					      .ring_len = vdev->vring[0].len, .state = dstate,
					      .event_idx = true, .name = "remote", .index = 0};

		assert_int_equal(virtqueue_init(&dev_vq, &dc), 0);
	}
	assert_int_equal(virtqueue_get_avail_buf(&dev_vq, &b, 1, &head), 1);
	assert_true(b.write);
	assert_int_equal(b.addr, vdev->buf_da);
	memcpy(mem + b.addr, "hello", 5);
	assert_int_equal(virtqueue_add_used_buf(&dev_vq, head, 5), 0);
	assert_int_equal(rproc_vq_interrupt(r, (int)v->vring[0].notifyid), 0);
	assert_int_equal(cons.got_len, 5);
	assert_memory_equal(cons.got, "hello", 5);

	assert_int_equal(rproc_shutdown(r), 0);
	assert_int_equal(removes, 1);
	assert_int_equal(status_at_remove, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
						   VIRTIO_CONFIG_S_DRIVER_OK);
	assert_null(rproc_get_vdev(r, 0));
	rproc_free(r);
	virtio_unregister_driver(&cons_driver);
}

/* A config access past the space the entry declares is refused, not read from the table. */
static int bad_config_ret;

static int cons_probe_past_config(struct virtio_device *vdev)
{
	uint8_t b[4];

	bad_config_ret = vdev->config->get_config(vdev, 6, b, sizeof(b));
	return cons_probe(vdev);
}

static void test_virtio_config_past_its_space_is_refused(void **state)
{
	struct virtio_driver d = cons_driver;
	struct rproc *r;

	(void)state;
	d.probe = cons_probe_past_config;
	assert_int_equal(virtio_register_driver(&d), 0);
	r = rproc_alloc("cons1", &t_ops, write_fw(TEST_ID), 0);
	assert_non_null(r);
	assert_int_equal(rproc_boot(r), 0);
	assert_int_equal(bad_config_ret, -AMP_EINVAL);
	assert_int_equal(rproc_shutdown(r), 0);
	rproc_free(r);
	virtio_unregister_driver(&d);
}

/* Without a driver for its id, the vdev is left unbound and the processor runs. */
static void test_virtio_vdev_without_driver_is_left_unbound(void **state)
{
	struct rproc *r;

	(void)state;
	r = rproc_alloc("cons2", &t_ops, write_fw(TEST_ID), 0);
	assert_non_null(r);
	assert_int_equal(rproc_boot(r), 0);
	assert_int_equal(rproc_get_state(r), RPROC_RUNNING);
	assert_null(rproc_get_vdev(r, 0));
	assert_int_equal(probes, 0);
	assert_int_equal(live_vdev(r)->status, 0);
	assert_int_equal(rproc_shutdown(r), 0);
	rproc_free(r);
}

/* A driver that refuses its device fails the boot, and the device is marked FAILED. */
static int cons_probe_refuse(struct virtio_device *vdev)
{
	(void)vdev;
	return -AMP_ENOSPC;
}

static void test_virtio_refusing_driver_fails_the_boot(void **state)
{
	struct virtio_driver d = cons_driver;
	struct rproc *r;

	(void)state;
	d.probe = cons_probe_refuse;
	assert_int_equal(virtio_register_driver(&d), 0);
	r = rproc_alloc("cons3", &t_ops, write_fw(TEST_ID), 0);
	assert_non_null(r);
	assert_int_equal(rproc_boot(r), -AMP_ENOSPC);
	assert_non_null(strstr(rproc_last_error(r), "driver test-console refused it"));
	assert_int_equal(rproc_get_state(r), RPROC_OFFLINE);
	rproc_free(r);
	virtio_unregister_driver(&d);
}

static void test_virtio_registry_rules(void **state)
{
	struct virtio_driver other = cons_driver, incomplete = cons_driver;

	(void)state;
	incomplete.notify = NULL;
	assert_int_equal(virtio_register_driver(&incomplete), -AMP_EINVAL);
	assert_int_equal(virtio_register_driver(NULL), -AMP_EINVAL);
	assert_null(virtio_find_driver(TEST_ID));
	assert_int_equal(virtio_register_driver(&cons_driver), 0);
	assert_int_equal(virtio_register_driver(&other), -AMP_EEXIST); /* one per id */
	assert_ptr_equal(virtio_find_driver(TEST_ID), &cons_driver);
	virtio_unregister_driver(&cons_driver);
	assert_null(virtio_find_driver(TEST_ID));
	/* rpmsg's driver is built in: found without registering anything. */
	assert_non_null(virtio_find_driver(VIRTIO_ID_RPMSG));
	assert_int_equal(virtio_find_driver(VIRTIO_ID_RPMSG)->id, VIRTIO_ID_RPMSG);
}

/* Registering and unregistering while devices come and go, from another thread: a device is
 * bound to the driver registered when it comes up, keeps that driver until it goes although
 * the driver was unregistered meanwhile (its remove() is called, once per probe), and a
 * device that comes up with no driver registered is left unbound. */
static bool churn_stop; /* atomic */
static unsigned long churn_flips;

static void *churn(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&churn_stop, __ATOMIC_ACQUIRE)) {
		assert_int_equal(virtio_register_driver(&cons_driver), 0);
		assert_ptr_equal(virtio_find_driver(TEST_ID), &cons_driver);
		virtio_unregister_driver(&cons_driver);
		__atomic_add_fetch(&churn_flips, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_virtio_unregister_while_bound_races_with_boots(void **state)
{
	struct rproc *r = rproc_alloc("churn", &t_ops, write_fw(TEST_ID), 0);
	unsigned int bound = 0, unbound = 0, rounds = 0;
	struct timespec t0, now;
	pthread_t t;

	(void)state;
	assert_non_null(r);
	/* Without another thread: unregistered while bound, the device keeps its driver. */
	assert_int_equal(virtio_register_driver(&cons_driver), 0);
	assert_int_equal(rproc_boot(r), 0);
	assert_int_equal(probes, 1);
	virtio_unregister_driver(&cons_driver);
	assert_int_equal(rproc_shutdown(r), 0);
	assert_int_equal(removes, 1);
	next_free = POOL_START;

	__atomic_store_n(&churn_stop, false, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(&t, NULL, churn, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Until both cases were seen (at least 200 rounds), or 20 s on a loaded machine. */
	do {
		int before = probes;

		assert_int_equal(rproc_boot(r), 0);
		if (probes > before)
			bound++;
		else
			unbound++;
		assert_int_equal(rproc_shutdown(r), 0);
		assert_int_equal(removes, probes);
		next_free = POOL_START; /* everything went back: the bump allocator starts over */
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((rounds < 200 || !bound || !unbound) && now.tv_sec - t0.tv_sec < 20);
	__atomic_store_n(&churn_stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_true(__atomic_load_n(&churn_flips, __ATOMIC_RELAXED) > 0);
	assert_int_equal(removes, probes);
	assert_null(virtio_find_driver(TEST_ID));
	print_message("%u boots bound, %u unbound, %lu register/unregister flips\n", bound,
		      unbound, churn_flips);
	rproc_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_virtio_second_driver_binds_to_its_vdev, setup),
		cmocka_unit_test_setup(test_virtio_config_past_its_space_is_refused, setup),
		cmocka_unit_test_setup(test_virtio_vdev_without_driver_is_left_unbound, setup),
		cmocka_unit_test_setup(test_virtio_refusing_driver_fails_the_boot, setup),
		cmocka_unit_test_setup(test_virtio_registry_rules, setup),
		cmocka_unit_test_setup(test_virtio_unregister_while_bound_races_with_boots, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
