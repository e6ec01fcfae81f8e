/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for the remoteproc core with a fake platform: it records start/stop/kick, its device
 * memory is an arena, and it allocates carveouts from a pool in that arena.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/remoteproc.h>
#include <amp/virtqueue.h>
#include <amp/wire/rpmsg.h>
#include <amp/wire/vring.h>

#include "amp_test.h"
#include "amp_test_elf.h"
#include "amp_test_fw.h"

#define MEM_SIZE 0x100000u  /* device memory: da 0 .. 1 MiB */
#define POOL_START 0x80000u /* carveouts, vrings and buffers come from here */
#define TRACE_DA 0x3800u    /* inside the firmware's "bss", zeroed by the loader */
#define TRACE_LEN 0x400u
/* Where the default table's allocations land, first fit from POOL_START: the "heap" carveout
 * (0x2000), vring 0 and vring 1 (a page each), 32 rpmsg buffers of 512 bytes. */
#define HEAP_DA POOL_START
#define VRING0_DA (POOL_START + 0x2000)
#define VRING1_DA (POOL_START + 0x3000)
#define BUFS_DA (POOL_START + 0x4000)

struct fake {
	struct amp_test_arena mem;
	struct {
		uint64_t da;
		size_t len;
	} used[32];
	int nused;
	int starts, stops, kicks, allocs, frees, detaches, table_gets;
	int fail_start;
	bool attach_ok;
	bool lax_fixed; /* grant fixed addresses unchecked, as a platform that only maps them */
	uint64_t da_bias; /* added to every address granted, as an allocator that answers wrongly */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int events[8];
	int dropped_reports; /* "crash report ... dropped" logged */
};

static void *fake_da_to_va(struct rproc *rproc, uint64_t da, size_t len)
{
	struct fake *f = *(struct fake **)rproc->priv;

	if (da > MEM_SIZE || len > MEM_SIZE - da)
		return NULL;
	return f->mem.mem + da;
}

static int fake_start(struct rproc *rproc)
{
	struct fake *f = *(struct fake **)rproc->priv;

	if (f->fail_start)
		return f->fail_start;
	f->starts++;
	return 0;
}

static int fake_stop(struct rproc *rproc)
{
	struct fake *f = *(struct fake **)rproc->priv;

	f->stops++;
	return 0;
}

static void fake_kick(struct rproc *rproc, int vqid)
{
	struct fake *f = *(struct fake **)rproc->priv;

	(void)vqid;
	__atomic_add_fetch(&f->kicks, 1, __ATOMIC_RELAXED);
}

/* First fit over the pool, so that memory given back is reused across many boots. */
static int fake_mem_alloc(struct rproc *rproc, size_t len, size_t align, uint64_t *da, void **va)
{
	struct fake *f = *(struct fake **)rproc->priv;
	uint64_t at = POOL_START;
	int i;

	/* A fixed address must lie in the pool and be free, as on the sim platform. */
	if (*da != FW_RSC_ADDR_ANY)
		at = *da;
	for (;;) {
		if (*da == FW_RSC_ADDR_ANY)
			at = (at + align - 1) & ~(uint64_t)(align - 1);
		if (at < POOL_START || at + len > MEM_SIZE)
			return *da == FW_RSC_ADDR_ANY ? -AMP_ENOMEM : -AMP_EINVAL;
		if (*da != FW_RSC_ADDR_ANY && f->lax_fixed)
			break;
		for (i = 0; i < f->nused; i++)
			if (at < f->used[i].da + f->used[i].len && f->used[i].da < at + len)
				break;
		if (i == f->nused)
			break;
		if (*da != FW_RSC_ADDR_ANY)
			return -AMP_EBUSY;
		at = f->used[i].da + f->used[i].len;
	}
	assert_true(f->nused < 32);
	f->used[f->nused].da = at;
	f->used[f->nused++].len = len;
	*da = at + f->da_bias;
	*va = f->mem.mem + at;
	f->allocs++;
	return 0;
}

static void fake_mem_free(struct rproc *rproc, uint64_t da, size_t len)
{
	struct fake *f = *(struct fake **)rproc->priv;
	int i;

	for (i = 0; i < f->nused; i++) {
		if (f->used[i].da + f->da_bias == da) {
			assert_int_equal(f->used[i].len, len);
			f->used[i] = f->used[--f->nused];
			f->frees++;
			return;
		}
	}
	fail_msg("freeing da 0x%llx that was not allocated", (unsigned long long)da);
}

static int fake_attach(struct rproc *rproc)
{
	struct fake *f = *(struct fake **)rproc->priv;

	return f->attach_ok ? 0 : -AMP_EIO;
}

static int fake_detach(struct rproc *rproc)
{
	struct fake *f = *(struct fake **)rproc->priv;

	f->detaches++;
	return 0;
}

static const struct rproc_ops fake_ops = {
	.start = fake_start,
	.stop = fake_stop,
	.kick = fake_kick,
	.da_to_va = fake_da_to_va,
	.mem_alloc = fake_mem_alloc,
	.mem_free = fake_mem_free,
	.attach = fake_attach,
	.detach = fake_detach,
};

/* Expected errors are checked through rproc_last_error(); keep them off the test's output. */
static int log_errors;

static void quiet_log(enum amp_log_level level, const char *msg, void *priv)
{
	(void)msg;
	(void)priv;
	if (level <= AMP_LOG_ERR)
		__atomic_add_fetch(&log_errors, 1, __ATOMIC_RELAXED);
}

/* The processor whose dropped crash reports are counted, and the log handler counting them. */
static struct fake *drop_watch;

static void drop_log(enum amp_log_level level, const char *msg, void *priv)
{
	quiet_log(level, msg, priv);
	if (!strstr(msg, "crash report") || !strstr(msg, "dropped"))
		return;
	pthread_mutex_lock(&drop_watch->lock);
	drop_watch->dropped_reports++;
	pthread_cond_broadcast(&drop_watch->cond);
	pthread_mutex_unlock(&drop_watch->lock);
}

/* A virtio driver for rpmsg vdevs that records what the core hands it. */
static int vdrv_probes, vdrv_removes, vdrv_notifies, vdrv_more;
static struct virtio_device vdrv_last;
static struct virtqueue vdrv_vq; /* stands for vring 0 */

static int vdrv_probe(struct virtio_device *vdev)
{
	vdrv_probes++;
	vdrv_last = *vdev;
	vdev->config->set_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					       VIRTIO_CONFIG_S_DRIVER_OK);
	vdrv_vq.priv = vdev;
	vdev->config->notify(&vdrv_vq); /* vring 0's doorbell */
	return 0;
}

/* With vdrv_hold, remove() keeps the buffer memory, as a driver whose users hold buffers. */
static bool vdrv_hold;
static struct virtio_buf_hold *vdrv_held;

static void vdrv_remove(struct virtio_device *vdev)
{
	vdrv_removes++;
	if (vdrv_hold)
		vdrv_held = vdev->config->hold_bufs(vdev);
}

/* With vdrv_block, notify() says it is in (vdrv_in) and waits for vdrv_block to drop: a
 * receive path busy in a callback, holding what the core holds around it. */
static pthread_mutex_t vdrv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vdrv_cond = PTHREAD_COND_INITIALIZER;
static bool vdrv_block, vdrv_in;

/* Says "more left" vdrv_more times, as a driver whose remote keeps its ring full. */
static bool vdrv_notify(struct virtio_device *vdev, unsigned int vqid)
{
	(void)vdev;
	(void)vqid;
	pthread_mutex_lock(&vdrv_lock);
	if (vdrv_block) {
		vdrv_in = true;
		pthread_cond_broadcast(&vdrv_cond);
		while (vdrv_block)
			pthread_cond_wait(&vdrv_cond, &vdrv_lock);
	}
	pthread_mutex_unlock(&vdrv_lock);
	vdrv_notifies++;
	return vdrv_more > 0 && vdrv_more--;
}

static const unsigned int vdrv_features[] = {VIRTIO_RPMSG_F_NS};
static const struct virtio_driver vdrv = {
	.name = "test-rpmsg", .id = VIRTIO_ID_RPMSG, .feature_table = vdrv_features,
	.feature_table_size = 1, .probe = vdrv_probe, .remove = vdrv_remove,
	.notify = vdrv_notify};

static void fake_event(struct rproc *rproc, enum rproc_event ev, void *priv)
{
	struct fake *f = priv;

	(void)rproc;
	pthread_mutex_lock(&f->lock);
	f->events[ev]++;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

/* Wait (with a deadline) until the processor is in @state and @ev has been seen @count times. */
static int wait_for(struct fake *f, struct rproc *rproc, enum rproc_state state,
		    enum rproc_event ev, int count)
{
	struct timespec ts;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&f->lock);
	while ((rproc_get_state(rproc) != state || f->events[ev] < count) && ret == 0)
		ret = pthread_cond_timedwait(&f->cond, &f->lock, &ts);
	pthread_mutex_unlock(&f->lock);
	return rproc_get_state(rproc) == state && f->events[ev] >= count ? 0 : -1;
}

struct ctx {
	struct fake f;
	struct rproc *rproc;
	const char *fw;
	struct amp_test_rsc rsc;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	amp_log_set_handler(quiet_log, NULL);
	virtio_register_driver(&vdrv);
	vdrv_probes = vdrv_removes = vdrv_notifies = vdrv_more = 0;
	vdrv_hold = false;
	vdrv_held = NULL;
	amp_test_arena_init(&c->f.mem, MEM_SIZE);
	pthread_mutex_init(&c->f.lock, NULL);
	pthread_cond_init(&c->f.cond, NULL);
	amp_test_rsc_default(&c->rsc, TRACE_DA, TRACE_LEN);
	c->fw = amp_test_fw_write(0, &c->rsc, EM_X86_64);
	c->rproc = rproc_alloc("fake0", &fake_ops, c->fw, sizeof(struct fake *));
	assert_non_null(c->rproc);
	*(struct fake **)c->rproc->priv = &c->f;
	rproc_set_event_cb(c->rproc, fake_event, &c->f);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c->rproc) {
		rproc_unregister(c->rproc);
		rproc_free(c->rproc);
	}
	/* Everything the core allocated from the platform went back. */
	assert_int_equal(c->f.allocs, c->f.frees);
	assert_int_equal(c->f.nused, 0);
	assert_true(amp_test_arena_guards_ok(&c->f.mem));
	amp_test_arena_free(&c->f.mem);
	unlink(c->fw);
	free(c);
	return 0;
}

static const struct fw_rsc_vdev *loaded_vdev(struct ctx *c)
{
	size_t size;
	const uint8_t *t = (const void *)rproc_get_loaded_table(c->rproc, &size);

	assert_non_null(t);
	return (const struct fw_rsc_vdev *)(t + c->rsc.vdev_off + 4);
}

static void test_alloc_refuses_missing_required_hooks(void **state)
{
	struct rproc_ops ops = fake_ops;
	struct rproc *r;

	(void)state;
	ops.kick = NULL;
	assert_null(rproc_alloc("x", &ops, "fw", 0));
	ops = fake_ops;
	ops.da_to_va = NULL;
	assert_null(rproc_alloc("x", &ops, "fw", 0));
	ops = fake_ops;
	ops.mem_free = NULL;
	assert_null(rproc_alloc("x", &ops, "fw", 0));
	/* start needs stop; without start there must be attach, and then neither is needed. */
	ops = fake_ops;
	ops.stop = NULL;
	assert_null(rproc_alloc("x", &ops, "fw", 0));
	ops.start = NULL;
	ops.attach = NULL;
	assert_null(rproc_alloc("x", &ops, "fw", 0));
	ops.attach = fake_attach;
	r = rproc_alloc("x", &ops, "fw", 0);
	assert_non_null(r);
	rproc_free(r);
	assert_null(rproc_alloc("", &fake_ops, "fw", 0));
	assert_null(rproc_alloc("x", &fake_ops, "", 0));
}

static void test_boot_loads_segments_and_writes_back_the_table(void **state)
{
	struct ctx *c = *state;
	const uint8_t *mem = c->f.mem.mem;
	const struct fw_rsc_vdev *v;
	const struct fw_rsc_carveout *co;
	size_t size;
	const uint8_t *t;

	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_RUNNING);
	assert_int_equal(c->f.starts, 1);
	assert_int_equal(c->rproc->bootaddr, AMP_TEST_FW_ENTRY);
	/* The segment's bytes are in device memory, the rest of memsz zeroed. */
	assert_int_equal(mem[AMP_TEST_FW_LOAD_DA], 0xC3);
	assert_int_equal(mem[AMP_TEST_FW_LOAD_DA + AMP_TEST_FW_MEMSZ - 1], 0);

	/* The live table is the one in device memory, at the section's address. */
	t = (const void *)rproc_get_loaded_table(c->rproc, &size);
	assert_ptr_equal(t, mem + c->rproc->table_da);
	assert_int_equal(size, c->rsc.size);
	co = (const struct fw_rsc_carveout *)(t + c->rsc.carveout_off + 4);
	assert_int_not_equal(co->da, FW_RSC_ADDR_ANY);
	assert_true(co->da >= POOL_START);
	assert_int_equal(co->pa, co->da);

	v = loaded_vdev(c);
	assert_int_not_equal(v->vring[0].da, FW_RSC_ADDR_ANY);
	assert_int_not_equal(v->vring[1].da, FW_RSC_ADDR_ANY);
	assert_int_equal(v->vring[0].notifyid, 0);
	assert_int_equal(v->vring[1].notifyid, 1);
	/* Only what the host supports is accepted: NS and EVENT_IDX, not bit 3. */
	assert_int_equal(v->gfeatures, (1u << VIRTIO_RPMSG_F_NS) | (1u << VIRTIO_RING_F_EVENT_IDX));
	/* The driver got the vdev with the rings the core wrote back, and said DRIVER_OK. */
	assert_int_equal(vdrv_probes, 1);
	assert_int_equal(v->status, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					    VIRTIO_CONFIG_S_DRIVER_OK);
	assert_non_null(rproc_get_vdev(c->rproc, 0));
	assert_int_equal(vdrv_last.num_vrings, 2);
	assert_int_equal(vdrv_last.vring[0].da, v->vring[0].da);
	assert_ptr_equal(vdrv_last.vring[1].va, mem + v->vring[1].da);
	assert_int_equal(vdrv_last.vring[0].num, 16);
	assert_int_equal(vdrv_last.vring[0].align, 16);
	assert_int_equal(vdrv_last.features, v->gfeatures);
	/* 16 rx descriptors: 32 buffers of 512 bytes, as Linux sizes them. */
	assert_int_equal(vdrv_last.buf_len, 32 * 512);
	assert_true(vdrv_last.buf_da >= POOL_START);
	assert_int_equal(c->f.kicks, 1);
	/* At bind, each vring is looked at once (a kick during probe would have been lost). */
	assert_int_equal(vdrv_notifies, 2);
	/* Kicks from the core reach the driver by notify id; unknown ids are refused. */
	assert_int_equal(rproc_vq_interrupt(c->rproc, 1), 0);
	assert_int_equal(vdrv_notifies, 3);
	assert_int_equal(rproc_vq_interrupt(c->rproc, 7), -AMP_ENOENT);
	/* A kick that says no vring runs them all. */
	assert_int_equal(rproc_vq_interrupt(c->rproc, RPROC_NOTIFY_ANY), 0);
	assert_int_equal(vdrv_notifies, 5);
	/* A driver with work left is called again until it has none. */
	vdrv_more = 3;
	assert_int_equal(rproc_vq_interrupt(c->rproc, 1), 0);
	assert_int_equal(vdrv_notifies, 5 + 4);
	assert_int_equal(vdrv_more, 0);

	assert_int_equal(rproc_shutdown(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_OFFLINE);
	assert_int_equal(c->f.stops, 1);
	assert_int_equal(vdrv_removes, 1);
	assert_null(rproc_get_vdev(c->rproc, 0));
	/* With no vdev bound, a kick without an id reaches nobody. */
	assert_int_equal(rproc_vq_interrupt(c->rproc, RPROC_NOTIFY_ANY), -AMP_ENOENT);
	assert_int_equal(vdrv_notifies, 5 + 4);
}

/* A thread of the test: one call, its result kept under vdrv_lock. */
struct poll_call {
	struct rproc *rproc;
	bool done, pending;
};

static void *call_poll_pending(void *arg)
{
	struct poll_call *pc = arg;
	bool pending = rproc_poll_pending(pc->rproc);

	pthread_mutex_lock(&vdrv_lock);
	pc->pending = pending;
	pc->done = true;
	pthread_cond_broadcast(&vdrv_cond);
	pthread_mutex_unlock(&vdrv_lock);
	return NULL;
}

static void *call_vq_interrupt(void *arg)
{
	rproc_vq_interrupt(arg, 0);
	return NULL;
}

/* Wait (with a deadline) until *@flag is set under vdrv_lock. */
static bool vdrv_wait(const bool *flag)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&vdrv_lock);
	while (!*flag && pthread_cond_timedwait(&vdrv_cond, &vdrv_lock, &ts) == 0)
		;
	pthread_mutex_unlock(&vdrv_lock);
	return *flag;
}

/*
 * The poller's spin takes no lock: it sees the remote's used index move while a kick runs a
 * driver's receive path (which holds notify_lock) on another thread, and says so once.
 */
static void test_poll_pending_takes_no_lock_and_reports_a_move_once(void **state)
{
	struct ctx *c = *state;
	struct poll_call pc = {.rproc = c->rproc};
	pthread_t kick, poll;
	struct vring vr;
	bool answered;

	rproc_set_polled(c->rproc, true);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_false(rproc_poll_pending(c->rproc));
	vring_init(&vr, vdrv_last.vring[0].num, vdrv_last.vring[0].va, vdrv_last.vring[0].align);

	pthread_mutex_lock(&vdrv_lock);
	vdrv_block = true;
	vdrv_in = false;
	pthread_mutex_unlock(&vdrv_lock);
	pthread_create(&kick, NULL, call_vq_interrupt, c->rproc);
	assert_true(vdrv_wait(&vdrv_in));
	/* The remote returns a buffer on vring 0 while the driver is busy. */
	__atomic_store_n(&vr.used->idx, (uint16_t)(vr.used->idx + 1), __ATOMIC_RELEASE);
	pthread_create(&poll, NULL, call_poll_pending, &pc);
	answered = vdrv_wait(&pc.done);
	pthread_mutex_lock(&vdrv_lock);
	vdrv_block = false;
	pthread_cond_broadcast(&vdrv_cond);
	pthread_mutex_unlock(&vdrv_lock);
	pthread_join(kick, NULL);
	pthread_join(poll, NULL);
	assert_true(answered); /* before the busy driver let go */
	assert_true(pc.pending);
	assert_false(rproc_poll_pending(c->rproc));

	/* Unbound, its rings are no longer watched. */
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	assert_false(rproc_poll_pending(c->rproc));
}

static void test_power_count_only_last_shutdown_stops(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rproc_shutdown(c->rproc), -AMP_EINVAL);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(rproc_power_count(c->rproc), 2);
	assert_int_equal(c->f.starts, 1);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_RUNNING);
	assert_int_equal(c->f.stops, 0);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_OFFLINE);
	assert_int_equal(c->f.stops, 1);
	assert_int_equal(rproc_shutdown(c->rproc), -AMP_EINVAL);
}

static void test_object_refcount_is_separate_from_power(void **state)
{
	struct ctx *c = *state;
	struct rproc *r;

	assert_null(rproc_get_by_name("fake0"));
	assert_int_equal(rproc_register(c->rproc), 0);
	assert_int_equal(rproc_register(c->rproc), -AMP_EINVAL);
	r = rproc_get_by_name("fake0");
	assert_ptr_equal(r, c->rproc);
	assert_int_equal(rproc_boot(r), 0);
	rproc_put(r); /* dropping a reference does not power anything off */
	assert_int_equal(rproc_get_state(c->rproc), RPROC_RUNNING);
	assert_int_equal(rproc_unregister(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_DELETED);
	assert_int_equal(c->f.stops, 1);
	assert_null(rproc_get_by_name("fake0"));
	assert_int_equal(rproc_boot(c->rproc), -AMP_ENODEV);
	rproc_free(c->rproc);
	c->rproc = NULL;
}

static void test_duplicate_name_is_refused(void **state)
{
	struct ctx *c = *state;
	struct rproc *other = rproc_alloc("fake0", &fake_ops, c->fw, sizeof(void *));

	assert_non_null(other);
	assert_int_equal(rproc_register(c->rproc), 0);
	assert_int_equal(rproc_register(other), -AMP_EEXIST);
	rproc_free(other);
}

static void test_missing_firmware_is_enoent_with_a_message(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rproc_set_firmware(c->rproc, "no-such-firmware.elf"), 0);
	assert_int_equal(rproc_boot(c->rproc), -AMP_ENOENT);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_OFFLINE);
	assert_non_null(strstr(rproc_last_error(c->rproc), "no-such-firmware.elf"));
	assert_true(__atomic_load_n(&log_errors, __ATOMIC_RELAXED) > 0);
	assert_int_equal(c->f.starts, 0);
}

static void test_firmware_for_another_machine_is_refused(void **state)
{
	struct ctx *c = *state;
	const uint16_t arm = EM_ARM;

	assert_int_equal(rproc_set_elf_machines(c->rproc, &arm, 1), 0);
	assert_true(rproc_boot(c->rproc) < 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_OFFLINE);
	assert_int_equal(c->f.starts, 0);
	assert_int_equal(c->f.allocs, c->f.frees);
}

static void test_failed_start_undoes_everything(void **state)
{
	struct ctx *c = *state;

	c->f.fail_start = -AMP_EIO;
	assert_int_equal(rproc_boot(c->rproc), -AMP_EIO);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_OFFLINE);
	assert_true(c->f.allocs > 0);
	assert_int_equal(c->f.allocs, c->f.frees);
	assert_int_equal(rproc_power_count(c->rproc), 0);
}

/* The table's carveout and vring addresses are 32 bits: memory granted above 4 GiB, or a fixed
 * address granted somewhere else, must be refused and given back, never truncated into an
 * address the firmware would take for other memory. */
static void test_allocations_the_table_cannot_name_are_refused(void **state)
{
	struct ctx *c = *state;
	/* Above 4 GiB, and straddling it (the heap carveout is 0x2000 bytes). */
	static const uint64_t biases[] = {1ull << 32, (1ull << 32) - POOL_START - 0x1000};
	struct amp_test_rsc fixed = c->rsc;
	struct fw_rsc_carveout co;
	const char *fw;

	for (size_t i = 0; i < sizeof(biases) / sizeof(biases[0]); i++) {
		c->f.da_bias = biases[i];
		assert_int_equal(rproc_boot(c->rproc), -AMP_ERANGE);
		assert_int_equal(rproc_get_state(c->rproc), RPROC_OFFLINE);
		assert_non_null(strstr(rproc_last_error(c->rproc), "carveout"));
		assert_int_equal(c->f.starts, 0);
		assert_int_equal(c->f.nused, 0);
		assert_int_equal(c->f.allocs, c->f.frees);
	}
	/* A carveout asked for at a fixed address and granted somewhere else. */
	memcpy(&co, fixed.bytes + fixed.carveout_off + 4, sizeof(co));
	co.da = HEAP_DA;
	memcpy(fixed.bytes + fixed.carveout_off + 4, &co, sizeof(co));
	fw = amp_test_fw_write(1, &fixed, EM_X86_64);
	assert_int_equal(rproc_set_firmware(c->rproc, fw), 0);
	c->f.da_bias = 0x1000;
	assert_int_equal(rproc_boot(c->rproc), -AMP_ERANGE);
	assert_int_equal(c->f.nused, 0);
	/* The same table boots once the platform grants what was asked. */
	c->f.da_bias = 0;
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	unlink(fw);
}

static void test_firmware_can_change_only_when_offline(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(rproc_set_firmware(c->rproc, "other.elf"), -AMP_EBUSY);
	assert_string_equal(rproc_get_firmware(c->rproc), c->fw);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	assert_int_equal(rproc_set_firmware(c->rproc, "other.elf\n"), 0);
	assert_string_equal(rproc_get_firmware(c->rproc), "other.elf");
	assert_int_equal(rproc_set_firmware(c->rproc, ""), -AMP_EINVAL);
}

static void test_crash_recovers_with_vdev_removed_and_back(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rproc_register(c->rproc), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(c->f.events[RPROC_EVENT_VDEV_UP], 1);
	rproc_report_crash(c->rproc, RPROC_WATCHDOG);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_RUNNING, RPROC_EVENT_VDEV_UP, 2), 0);
	assert_int_equal(c->f.events[RPROC_EVENT_CRASH], 1);
	assert_int_equal(c->f.events[RPROC_EVENT_VDEV_DOWN], 1);
	assert_int_equal(rproc_crash_count(c->rproc), 1);
	assert_int_equal(c->f.starts, 2);
	assert_int_equal(c->f.stops, 1);
	assert_int_equal(rproc_power_count(c->rproc), 1);
	/* The new run has fresh rings with DRIVER_OK again. */
	assert_int_equal(loaded_vdev(c)->status & VIRTIO_CONFIG_S_DRIVER_OK,
			 VIRTIO_CONFIG_S_DRIVER_OK);
}

static void test_recovery_disabled_leaves_it_crashed_until_asked(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rproc_register(c->rproc), 0);
	rproc_set_recovery(c->rproc, false);
	assert_int_equal(rproc_boot(c->rproc), 0);
	rproc_report_crash(c->rproc, RPROC_FATAL_ERROR);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_CRASHED, RPROC_EVENT_CRASH, 1), 0);
	assert_null(rproc_get_vdev(c->rproc, 0));
	assert_int_equal(vdrv_removes, 1);
	assert_int_equal(c->f.starts, 1);
	/* A second report while crashed is ignored. */
	rproc_report_crash(c->rproc, RPROC_FATAL_ERROR);
	assert_int_equal(rproc_set_coredump(c->rproc, RPROC_COREDUMP_ENABLED, NULL), -AMP_EBUSY);
	assert_int_equal(rproc_trigger_recovery(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_RUNNING);
	assert_int_equal(rproc_crash_count(c->rproc), 1);
	assert_int_equal(rproc_trigger_recovery(c->rproc), -AMP_EINVAL);
}

static void test_crash_loop_stops_automatic_recovery(void **state)
{
	struct ctx *c = *state;
	int i;

	assert_int_equal(rproc_register(c->rproc), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	for (i = 1; i <= 5; i++) {
		rproc_report_crash(c->rproc, RPROC_FATAL_ERROR);
		assert_int_equal(wait_for(&c->f, c->rproc, RPROC_RUNNING, RPROC_EVENT_VDEV_UP, i + 1),
				 0);
	}
	/* The sixth crash within the window: left crashed, recoverable by hand. */
	rproc_report_crash(c->rproc, RPROC_FATAL_ERROR);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_CRASHED, RPROC_EVENT_CRASH, 6), 0);
	assert_int_equal(rproc_trigger_recovery(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_RUNNING);
	assert_int_equal(c->f.starts, 7);
}

static void test_shutdown_while_crashed_powers_off(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rproc_register(c->rproc), 0);
	rproc_set_recovery(c->rproc, false);
	assert_int_equal(rproc_boot(c->rproc), 0);
	rproc_report_crash(c->rproc, RPROC_MMUFAULT);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_CRASHED, RPROC_EVENT_CRASH, 1), 0);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_OFFLINE);
}

static void test_crash_report_for_offline_processor_is_ignored(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rproc_register(c->rproc), 0);
	rproc_report_crash(c->rproc, RPROC_WATCHDOG);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	assert_int_equal(rproc_crash_count(c->rproc), 0);
	assert_int_equal(c->f.events[RPROC_EVENT_CRASH], 0);
}

/*
 * A crash report queued for one run, then a stop and a start before the worker gets to it (a
 * late event of the platform's; ampd's crash, then stop and start): the report is dropped and
 * the new run goes on. Deterministic: the processor is not registered yet, so its worker does
 * not run until the report, the stop and the start are all done.
 */
static void test_crash_report_for_an_earlier_run_is_dropped(void **state)
{
	struct ctx *c = *state;
	struct timespec ts;
	int ret = 0;

	drop_watch = &c->f;
	amp_log_set_handler(drop_log, NULL);
	assert_int_equal(rproc_boot(c->rproc), 0);
	rproc_report_crash(c->rproc, RPROC_FATAL_ERROR); /* queued for run 1 */
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	assert_int_equal(rproc_boot(c->rproc), 0); /* run 2 */
	assert_int_equal(rproc_register(c->rproc), 0); /* the worker starts on its queue */

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&c->f.lock);
	while (!c->f.dropped_reports && !c->f.events[RPROC_EVENT_CRASH] && ret == 0)
		ret = pthread_cond_timedwait(&c->f.cond, &c->f.lock, &ts);
	pthread_mutex_unlock(&c->f.lock);
	assert_int_equal(c->f.events[RPROC_EVENT_CRASH], 0);
	assert_int_equal(c->f.dropped_reports, 1);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_RUNNING);
	assert_int_equal(rproc_crash_count(c->rproc), 0);
	assert_int_equal(c->f.starts, 2);
	assert_int_equal(c->f.stops, 1);

	/* A report for the run that is up is handled. */
	rproc_report_crash(c->rproc, RPROC_FATAL_ERROR);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_RUNNING, RPROC_EVENT_CRASH, 1), 0);
	assert_int_equal(rproc_crash_count(c->rproc), 1);
	amp_log_set_handler(quiet_log, NULL);
}

/* Buffer memory a driver keeps past a crash: the recovery gets other memory, and the kept one
 * goes back to the platform once released (teardown: every allocation freed). */
static void test_held_buffers_are_not_given_to_the_next_run(void **state)
{
	struct ctx *c = *state;
	uint64_t first;

	assert_int_equal(rproc_register(c->rproc), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	first = vdrv_last.buf_da;
	vdrv_hold = true;
	rproc_report_crash(c->rproc, RPROC_FATAL_ERROR);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_RUNNING, RPROC_EVENT_VDEV_UP, 2), 0);
	assert_non_null(vdrv_held);
	assert_true(vdrv_last.buf_da + vdrv_last.buf_len <= first ||
		    first + vdrv_last.buf_len <= vdrv_last.buf_da);
	vdrv_hold = false;
	vdrv_last.config->release_bufs(vdrv_held);
	rproc_report_crash(c->rproc, RPROC_FATAL_ERROR);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_RUNNING, RPROC_EVENT_VDEV_UP, 3), 0);
}

/* ... and when the buffers live in a fixed region, which cannot be given twice, the recovery
 * waits for their release. */
static void test_held_buffers_in_a_fixed_region_hold_the_recovery_back(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rproc_add_carveout(c->rproc, "vdev0buffer", 0x40000, 0x10000), 0);
	assert_int_equal(rproc_register(c->rproc), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(vdrv_last.buf_da, 0x40000);
	vdrv_hold = true;
	rproc_report_crash(c->rproc, RPROC_FATAL_ERROR);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_CRASHED, RPROC_EVENT_CRASH, 1), 0);
	/* The worker's recovery failed: wait for it to be over (the lock), then look. */
	assert_int_equal(rproc_power_count(c->rproc), 1);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_CRASHED);
	assert_non_null(strstr(rproc_last_error(c->rproc), "still hold"));
	assert_int_equal(rproc_trigger_recovery(c->rproc), -AMP_EBUSY);
	vdrv_hold = false;
	vdrv_last.config->release_bufs(vdrv_held);
	assert_int_equal(rproc_trigger_recovery(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_RUNNING);
	assert_int_equal(vdrv_last.buf_da, 0x40000);
}

static void test_auto_boot_at_register(void **state)
{
	struct ctx *c = *state;

	rproc_set_auto_boot(c->rproc, true);
	assert_int_equal(rproc_register(c->rproc), 0);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_RUNNING, RPROC_EVENT_VDEV_UP, 1), 0);
	assert_int_equal(c->f.starts, 1);
	assert_int_equal(rproc_unregister(c->rproc), 0);
	assert_int_equal(c->f.stops, 1);
}

static void test_trace_reads_live_and_after_crash(void **state)
{
	struct ctx *c = *state;
	char buf[64];

	assert_int_equal(rproc_register(c->rproc), 0);
	rproc_set_recovery(c->rproc, false);
	assert_int_equal(rproc_trace_read(c->rproc, 0, buf, sizeof(buf)), -AMP_ENOENT);
	assert_int_equal(rproc_boot(c->rproc), 0);
	strcpy((char *)c->f.mem.mem + TRACE_DA, "hello from the remote");
	assert_int_equal(rproc_trace_read(c->rproc, 0, buf, sizeof(buf)), 21);
	assert_string_equal(buf, "hello from the remote");
	/* A buffer that is not NUL-terminated is read up to its length only. */
	memset(c->f.mem.mem + TRACE_DA, 'x', TRACE_LEN);
	assert_int_equal(rproc_trace_read(c->rproc, 0, buf, sizeof(buf)), sizeof(buf) - 1);
	strcpy((char *)c->f.mem.mem + TRACE_DA, "last words");
	rproc_report_crash(c->rproc, RPROC_FATAL_ERROR);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_CRASHED, RPROC_EVENT_CRASH, 1), 0);
	memset(c->f.mem.mem + TRACE_DA, 0, TRACE_LEN);
	assert_int_equal(rproc_trace_read(c->rproc, 0, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "last words");
	assert_int_equal(rproc_trace_read(c->rproc, 1, buf, sizeof(buf)), -AMP_ENOENT);
}

static void test_coredump_is_an_elf_core_of_the_memory(void **state)
{
	struct ctx *c = *state;
	char dir[] = "/tmp/amp-dump-XXXXXX";
	char path[512];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(rproc_register(c->rproc), 0);
	rproc_set_recovery(c->rproc, false);
	assert_int_equal(rproc_set_coredump(c->rproc, RPROC_COREDUMP_ENABLED, dir), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	rproc_report_crash(c->rproc, RPROC_MMUFAULT);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_CRASHED, RPROC_EVENT_CRASH, 1), 0);
	assert_true(rproc_last_coredump(c->rproc, path, sizeof(path)) > 0);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(&eh, sizeof(eh), 1, f), 1);
	assert_memory_equal(eh.e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh.e_type, ET_CORE);
	assert_int_equal(eh.e_machine, EM_X86_64);
	assert_int_equal(eh.e_entry, AMP_TEST_FW_ENTRY);
	assert_true(eh.e_phnum >= 5); /* segment, carveout, 2 vrings, buffers */
	assert_int_equal(fseek(f, (long)eh.e_phoff, SEEK_SET), 0);
	assert_int_equal(fread(&ph, sizeof(ph), 1, f), 1);
	assert_int_equal(ph.p_type, PT_LOAD);
	assert_int_equal(ph.p_paddr, AMP_TEST_FW_LOAD_DA);
	assert_int_equal(ph.p_filesz, AMP_TEST_FW_MEMSZ);
	{
		uint8_t first;

		assert_int_equal(fseek(f, (long)ph.p_offset, SEEK_SET), 0);
		assert_int_equal(fread(&first, 1, 1, f), 1);
		assert_int_equal(first, 0xC3);
	}
	fclose(f);
	unlink(path);
	rmdir(dir);
}

static void *fake_loaded_table;
static size_t fake_loaded_size;

static void *fake_get_table(struct rproc *rproc, size_t *size, uint64_t *da)
{
	(void)rproc;
	*size = fake_loaded_size;
	*da = 0x800;
	return fake_loaded_table;
}

static void test_attach_and_detach_restore_the_table(void **state)
{
	struct ctx *c = *state;
	struct rproc_ops ops = fake_ops;
	struct rproc *r;
	uint8_t before[512];

	ops.get_loaded_rsc_table = fake_get_table;
	c->f.attach_ok = true;
	fake_loaded_table = c->f.mem.mem + 0x800;
	fake_loaded_size = c->rsc.size;
	memcpy(fake_loaded_table, c->rsc.bytes, c->rsc.size);
	memcpy(before, c->rsc.bytes, c->rsc.size);

	r = rproc_alloc("attach0", &ops, NULL, sizeof(struct fake *));
	assert_non_null(r);
	*(struct fake **)r->priv = &c->f;
	rproc_set_detached(r);
	assert_int_equal(rproc_get_state(r), RPROC_DETACHED);
	assert_int_equal(rproc_boot(r), 0);
	assert_int_equal(rproc_get_state(r), RPROC_ATTACHED);
	assert_int_equal(c->f.starts, 0);
	assert_non_null(rproc_get_vdev(r, 0));
	assert_int_equal(rproc_detach(r), 0);
	assert_int_equal(rproc_get_state(r), RPROC_DETACHED);
	assert_memory_equal(fake_loaded_table, before, c->rsc.size);
	assert_int_equal(rproc_detach(r), -AMP_EINVAL);
	rproc_free(r);
}


/* The processor's table as a running core offers it: the default one with its vrings at fixed
 * addresses (an attach-only platform allocates nothing). */
static void attached_table(struct ctx *c, uint8_t *at)
{
	uint32_t da[2] = {0x20000, 0x21000};

	memcpy(at, c->rsc.bytes, c->rsc.size);
	memcpy(at + c->rsc.vdev_off + 4 + sizeof(struct fw_rsc_vdev), &da[0], 4);
	memcpy(at + c->rsc.vdev_off + 4 + sizeof(struct fw_rsc_vdev) +
		       sizeof(struct fw_rsc_vdev_vring),
	       &da[1], 4);
}

static void *fake_get_table_counted(struct rproc *rproc, size_t *size, uint64_t *da)
{
	struct fake *f = *(struct fake **)rproc->priv;

	f->table_gets++;
	return fake_get_table(rproc, size, da);
}

/* A platform that can only attach: no start, stop or allocator; its memory reserved by name. */
static const struct rproc_ops attach_only_ops = {
	.kick = fake_kick,
	.da_to_va = fake_da_to_va,
	.attach = fake_attach,
	.detach = fake_detach,
	.get_loaded_rsc_table = fake_get_table_counted,
};

/* An attach-only processor whose core offers the attached table at 0x800, attaching fine. */
static struct rproc *attach_only_proc(struct ctx *c, const char *name)
{
	struct rproc *r = rproc_alloc(name, &attach_only_ops, NULL, sizeof(struct fake *));

	c->f.attach_ok = true;
	fake_loaded_table = c->f.mem.mem + 0x800;
	fake_loaded_size = c->rsc.size;
	attached_table(c, fake_loaded_table);
	assert_non_null(r);
	*(struct fake **)r->priv = &c->f;
	rproc_set_event_cb(r, fake_event, &c->f);
	/* The table's "heap" carveout, and the rpmsg buffers, in memory the platform reserved. */
	assert_int_equal(rproc_add_carveout(r, "heap", 0x30000, 0x2000), 0);
	assert_int_equal(rproc_add_carveout(r, "vdev0buffer", 0x40000, 0x10000), 0);
	return r;
}

/* ... registered, and attached to. */
static void attach_registered(struct rproc *r)
{
	rproc_set_detached(r);
	assert_int_equal(rproc_register(r), 0);
	assert_int_equal(rproc_boot(r), 0);
	assert_int_equal(rproc_get_state(r), RPROC_ATTACHED);
}

static void test_attach_only_processor_needs_no_start_or_stop(void **state)
{
	struct ctx *c = *state;
	uint8_t before[512];
	const struct fw_rsc_carveout *co;
	struct rproc *r;

	r = attach_only_proc(c, "attach1");
	memcpy(before, fake_loaded_table, c->rsc.size);

	/* Nothing to boot: only an attach. */
	assert_int_equal(rproc_boot(r), -AMP_EOPNOTSUPP);
	rproc_set_detached(r);
	assert_int_equal(rproc_boot(r), 0);
	assert_int_equal(rproc_get_state(r), RPROC_ATTACHED);
	/* The carveout is where the platform reserved it, and so are the rpmsg buffers. */
	co = (const void *)((uint8_t *)fake_loaded_table + c->rsc.carveout_off + 4);
	assert_int_equal(co->da, 0x30000);
	assert_int_equal(vdrv_last.buf_da, 0x40000);
	assert_ptr_equal(vdrv_last.buf_va, c->f.mem.mem + 0x40000);
	assert_int_equal(vdrv_last.buf_size, 512);
	assert_int_equal(vdrv_last.num_bufs, 32);
	assert_int_equal(vdrv_last.buf_len, 32 * 512);
	assert_int_equal(c->f.allocs, 0);

	/* Shut down, it is let go of, not stopped: it runs on, and we attach again. */
	assert_int_equal(rproc_shutdown(r), 0);
	assert_int_equal(rproc_get_state(r), RPROC_DETACHED);
	assert_int_equal(c->f.detaches, 1);
	assert_int_equal(vdrv_removes, 1);
	assert_memory_equal(fake_loaded_table, before, c->rsc.size);
	assert_int_equal(rproc_boot(r), 0);
	assert_int_equal(rproc_get_state(r), RPROC_ATTACHED);
	assert_int_equal(c->f.table_gets, 2);
	assert_int_equal(rproc_shutdown(r), 0);
	assert_int_equal(c->f.detaches, 2);
	assert_int_equal(c->f.starts + c->f.stops, 0);
	rproc_free(r);
}

static void test_attach_on_recovery_attaches_to_the_core_that_came_back(void **state)
{
	struct ctx *c = *state;
	struct rproc *r;

	r = attach_only_proc(c, "attach2");
	rproc_set_feature(r, RPROC_FEAT_ATTACH_ON_RECOVERY);
	assert_true(rproc_has_feature(r, RPROC_FEAT_ATTACH_ON_RECOVERY));
	assert_false(rproc_has_feature(r, RPROC_MAX_FEATURES));
	attach_registered(r);
	assert_int_equal(vdrv_probes, 1);

	/* The core "reboots itself" with a fresh table: we let go of the dead one, then read
	 * and handle the new one, and the vdev comes back. */
	attached_table(c, fake_loaded_table);
	rproc_report_crash(r, RPROC_WATCHDOG);
	assert_int_equal(wait_for(&c->f, r, RPROC_ATTACHED, RPROC_EVENT_VDEV_UP, 2), 0);
	assert_int_equal(rproc_crash_count(r), 1);
	assert_int_equal(c->f.detaches, 1);
	assert_int_equal(c->f.table_gets, 2);
	assert_int_equal(vdrv_removes, 1);
	assert_int_equal(vdrv_probes, 2);
	assert_int_equal(rproc_power_count(r), 1);

	/* When it does not come back, it stays crashed; a shutdown then leaves it detached. */
	c->f.attach_ok = false;
	rproc_report_crash(r, RPROC_FATAL_ERROR);
	assert_int_equal(wait_for(&c->f, r, RPROC_CRASHED, RPROC_EVENT_CRASH, 2), 0);
	assert_int_equal(rproc_trigger_recovery(r), -AMP_EIO);
	assert_int_equal(rproc_get_state(r), RPROC_CRASHED);
	assert_non_null(strstr(rproc_last_error(r), "could not attach"));
	assert_int_equal(c->f.detaches, 2);
	assert_int_equal(rproc_shutdown(r), 0);
	assert_int_equal(rproc_get_state(r), RPROC_DETACHED);
	assert_int_equal(c->f.detaches, 2);
	assert_int_equal(rproc_unregister(r), 0);
	rproc_free(r);
}

static void test_attach_only_without_the_feature_stays_crashed(void **state)
{
	struct ctx *c = *state;
	struct rproc *r;

	r = attach_only_proc(c, "attach3");
	attach_registered(r);
	rproc_report_crash(r, RPROC_FATAL_ERROR);
	assert_int_equal(wait_for(&c->f, r, RPROC_CRASHED, RPROC_EVENT_CRASH, 1), 0);
	/* Nothing to restart it with: the attempt fails and says why. */
	assert_int_equal(rproc_trigger_recovery(r), -AMP_EOPNOTSUPP);
	assert_non_null(strstr(rproc_last_error(r), "can only be attached"));
	assert_int_equal(c->f.detaches, 1);
	assert_int_equal(rproc_unregister(r), 0);
	assert_int_equal(c->f.table_gets, 1);
	rproc_free(r);
}

static void test_buffer_geometry_and_reserved_pool(void **state)
{
	struct ctx *c = *state;

	/* Out of range: too small, not a multiple of 8, past the header's length; odd counts. */
	assert_int_equal(rproc_set_vdev_buffers(c->rproc, 16, 0), -AMP_EINVAL);
	assert_int_equal(rproc_set_vdev_buffers(c->rproc, 516, 0), -AMP_EINVAL);
	assert_int_equal(rproc_set_vdev_buffers(c->rproc, 65552, 0), -AMP_EINVAL);
	assert_int_equal(rproc_set_vdev_buffers(c->rproc, 0, 3), -AMP_EINVAL);
	assert_int_equal(rproc_set_vdev_buffers(c->rproc, 0, 65538), -AMP_EINVAL);
	assert_int_equal(rproc_add_carveout(c->rproc, "", 0, 1), -AMP_EINVAL);
	assert_int_equal(rproc_add_carveout(c->rproc, "x", 0, 0), -AMP_EINVAL);
	assert_int_equal(rproc_add_carveout(c->rproc, "x", UINT64_MAX, 2), -AMP_EINVAL);
	assert_int_equal(
		rproc_add_carveout(c->rproc, "a-name-of-thirty-three-characters", 0, 1),
		-AMP_EINVAL);

	/* 1 KiB buffers, 16 of them, from the allocator. */
	assert_int_equal(rproc_set_vdev_buffers(c->rproc, 1024, 16), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(vdrv_last.buf_size, 1024);
	assert_int_equal(vdrv_last.num_bufs, 16);
	assert_int_equal(vdrv_last.buf_len, 16 * 1024);
	assert_int_equal(rproc_set_vdev_buffers(c->rproc, 512, 0), -AMP_EBUSY);
	assert_int_equal(rproc_add_carveout(c->rproc, "vdev0buffer", 0x60000, 0x1000), -AMP_EBUSY);
	assert_int_equal(rproc_shutdown(c->rproc), 0);

	/* A reserved pool that holds fewer: as many as fit, there, not allocated. */
	assert_int_equal(rproc_add_carveout(c->rproc, "vdev0buffer", 0x60000, 0x1000), 0);
	assert_int_equal(rproc_add_carveout(c->rproc, "vdev0buffer", 0x60000, 0x1000), -AMP_EEXIST);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(vdrv_last.buf_da, 0x60000);
	assert_int_equal(vdrv_last.num_bufs, 4);
	assert_int_equal(vdrv_last.buf_len, 4 * 1024);
	assert_int_equal(rproc_shutdown(c->rproc), 0);

	/* One that holds fewer than two fails the boot, naming it; nothing is left allocated. */
	assert_int_equal(rproc_set_vdev_buffers(c->rproc, 4096, 0), 0);
	assert_int_equal(rproc_boot(c->rproc), -AMP_ENOMEM);
	assert_non_null(strstr(rproc_last_error(c->rproc), "vdev0buffer"));
	assert_int_equal(rproc_get_state(c->rproc), RPROC_OFFLINE);
	assert_int_equal(c->f.allocs, c->f.frees);
}

static uint32_t vendor_seen_type, vendor_seen_word;
static size_t vendor_seen_avail;
static int vendor_ret;

static int fake_handle_rsc(struct rproc *rproc, uint32_t type, void *body, size_t offset,
			   size_t avail)
{
	(void)rproc;
	(void)offset;
	vendor_seen_type = type;
	memcpy(&vendor_seen_word, (uint8_t *)body + 4, 4);
	vendor_seen_avail = avail;
	return vendor_ret;
}

static void test_vendor_entries_go_to_the_platform(void **state)
{
	struct ctx *c = *state;
	struct rproc_ops ops = fake_ops;
	struct rproc *r;

	ops.handle_rsc = fake_handle_rsc;
	r = rproc_alloc("vendor0", &ops, c->fw, sizeof(struct fake *));
	assert_non_null(r);
	*(struct fake **)r->priv = &c->f;
	vendor_ret = RSC_HANDLED;
	assert_int_equal(rproc_boot(r), 0);
	assert_int_equal(vendor_seen_type, RSC_VENDOR_START + 1);
	assert_int_equal(vendor_seen_word, 0xfeedf00d);
	assert_int_equal(vendor_seen_avail, 8);
	assert_int_equal(rproc_shutdown(r), 0);
	/* A platform that refuses an entry fails the boot, and nothing is left allocated. */
	vendor_ret = -AMP_EPROTO;
	assert_int_equal(rproc_boot(r), -AMP_EPROTO);
	assert_int_equal(rproc_get_state(r), RPROC_OFFLINE);
	assert_int_equal(c->f.allocs, c->f.frees);
	assert_non_null(strstr(rproc_last_error(r), "vendor type 129"));
	/* Ignored is a warning, not an error. */
	vendor_ret = RSC_IGNORED;
	assert_int_equal(rproc_boot(r), 0);
	assert_int_equal(rproc_shutdown(r), 0);
	rproc_free(r);
}

static void test_unsupported_virtio_id_is_left_unbound(void **state)
{
	struct ctx *c = *state;
	struct amp_test_rsc rsc = c->rsc;
	const char *fw;
	uint32_t console = VIRTIO_ID_CONSOLE;

	memcpy(rsc.bytes + rsc.vdev_off + 4, &console, 4);
	fw = amp_test_fw_write(1, &rsc, EM_X86_64);
	assert_int_equal(rproc_set_firmware(c->rproc, fw), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_null(rproc_get_vdev(c->rproc, 0));
	assert_int_equal(vdrv_probes, 0);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	unlink(fw);
}

static void test_firmware_is_found_along_the_search_path(void **state)
{
	struct ctx *c = *state;
	char dir1[] = "/tmp/amp-fwpath-XXXXXX", dir2[] = "/tmp/amp-fwpath-XXXXXX";
	char link[128], env[128];
	const char *base = strrchr(c->fw, '/') + 1;

	assert_non_null(mkdtemp(dir1));
	assert_non_null(mkdtemp(dir2));
	/* Only in dir2, found through an added directory... */
	snprintf(link, sizeof(link), "%s/%s", dir2, base);
	assert_int_equal(symlink(c->fw, link), 0);
	assert_int_equal(rproc_set_firmware(c->rproc, base), 0);
	assert_int_equal(rproc_boot(c->rproc), -AMP_ENOENT);
	assert_int_equal(rproc_firmware_path_add(dir2), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	rproc_firmware_path_reset();
	assert_int_equal(rproc_boot(c->rproc), -AMP_ENOENT);
	/* ...and through $AMP_FIRMWARE_PATH, a colon-separated list searched first. */
	snprintf(env, sizeof(env), "%s:%s", dir1, dir2);
	setenv("AMP_FIRMWARE_PATH", env, 1);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	unsetenv("AMP_FIRMWARE_PATH");
	assert_int_equal(rproc_firmware_path_add(""), -AMP_EINVAL);
	unlink(link);
	rmdir(dir1);
	rmdir(dir2);
}

/* --- the firmware file and where its parts may lie ---------------------------------------- */

/* Boot in a thread, so that a boot that blocks fails the test instead of hanging it. */
struct boot_call {
	struct rproc *rproc;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int ret;
};

static void *boot_thread(void *arg)
{
	struct boot_call *b = arg;
	int ret = rproc_boot(b->rproc);

	pthread_mutex_lock(&b->lock);
	b->ret = ret;
	b->done = true;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* rproc_boot() that must return within 10 s; @fifo, if set, is opened for writing to release a
 * boot that blocked reading it. */
static int boot_within_deadline(struct rproc *rproc, const char *fifo)
{
	struct boot_call b = {.rproc = rproc};
	struct timespec ts;
	pthread_t t;
	bool done;

	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.cond, NULL);
	assert_int_equal(pthread_create(&t, NULL, boot_thread, &b), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&b.lock);
	while (!b.done && pthread_cond_timedwait(&b.cond, &b.lock, &ts) == 0)
		;
	done = b.done;
	pthread_mutex_unlock(&b.lock);
	if (!done && fifo) {
		/* A writer that comes and goes: the blocked open() returns, the read sees EOF. */
		int fd = open(fifo, O_WRONLY | O_NONBLOCK);

		if (fd >= 0)
			close(fd);
	}
	pthread_join(t, NULL);
	pthread_cond_destroy(&b.cond);
	pthread_mutex_destroy(&b.lock);
	if (!done)
		fail_msg("rproc_boot() blocked for 10 s");
	return b.ret;
}

static void expect_error(struct rproc *rproc, const char *words)
{
	if (!strstr(rproc_last_error(rproc), words))
		fail_msg("last error \"%s\" does not say \"%s\"", rproc_last_error(rproc), words);
}

static void test_firmware_that_is_not_a_regular_file_fails_at_once(void **state)
{
	struct ctx *c = *state;
	char dir[] = "/tmp/amp-fwfile-XXXXXX";
	char fifo[64], big[64];
	int fd;

	assert_non_null(mkdtemp(dir));
	/* A FIFO would block open() until a writer came, with the processor's lock held. */
	snprintf(fifo, sizeof(fifo), "%s/fifo.elf", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(rproc_set_firmware(c->rproc, fifo), 0);
	assert_int_equal(boot_within_deadline(c->rproc, fifo), -AMP_EINVAL);
	expect_error(c->rproc, "fifo.elf is not a regular file (it is a FIFO)");
	/* Nor a lock left held: the processor still answers. */
	assert_int_equal(rproc_power_count(c->rproc), 0);
	/* A directory, a device. */
	assert_int_equal(rproc_set_firmware(c->rproc, dir), 0);
	assert_int_equal(boot_within_deadline(c->rproc, NULL), -AMP_EINVAL);
	expect_error(c->rproc, "is not a regular file (it is a directory)");
	assert_int_equal(rproc_set_firmware(c->rproc, "/dev/null"), 0);
	assert_int_equal(boot_within_deadline(c->rproc, NULL), -AMP_EINVAL);
	expect_error(c->rproc, "/dev/null is not a regular file (it is a character device)");
	/* A file larger than any core's memory is refused before a byte is read (sparse here). */
	snprintf(big, sizeof(big), "%s/big.elf", dir);
	fd = open(big, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(256u << 20) + 1), 0);
	close(fd);
	assert_int_equal(rproc_set_firmware(c->rproc, big), 0);
	assert_int_equal(boot_within_deadline(c->rproc, NULL), -AMP_EFBIG);
	expect_error(c->rproc, "big.elf is 268435457 bytes");
	assert_int_equal(c->f.starts, 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_OFFLINE);
	unlink(big);
	unlink(fifo);
	rmdir(dir);
}

/*
 * A firmware as a linker lays one out: code (R X) at 0x1000, data (R W) at 0x4000 with the
 * default resource table at 0x4100 and bss up to 0x6000; a third segment only when
 * @e->nseg is set to 3 by @edit. @edit changes the layout, @poke the built image.
 */
static uint8_t *build_fw(struct ctx *c, const struct amp_test_rsc *rsc,
			 void (*edit)(struct amp_test_elf *e),
			 void (*poke)(struct amp_test_elf *e, uint8_t *img), size_t *size)
{
	struct amp_test_elf e = {.elf_class = ELFCLASS64, .machine = EM_X86_64, .entry = 0x1000};
	uint8_t *img;

	e.nseg = 2;
	e.seg[0] = (struct amp_test_elf_seg){0x1000, 0x100, 0x100, PF_R | PF_X, 0xC3};
	e.seg[1] = (struct amp_test_elf_seg){0x4000, 0x400, 0x2000, PF_R | PF_W, 0x5A};
	e.seg[2] = (struct amp_test_elf_seg){0x8000, 0x10, 0x100, PF_R | PF_W, 0xAB};
	e.nsec = 1;
	e.sec[0] = (struct amp_test_elf_sec){".resource_table", 0, 0x4100, 1,
					     (rsc ? rsc : &c->rsc)->bytes,
					     (rsc ? rsc : &c->rsc)->size};
	if (edit)
		edit(&e);
	img = amp_test_elf_build(&e, size);
	if (poke)
		poke(&e, img);
	return img;
}

static const char *write_fw(struct ctx *c, int slot, const struct amp_test_rsc *rsc,
			    void (*edit)(struct amp_test_elf *e),
			    void (*poke)(struct amp_test_elf *e, uint8_t *img))
{
	size_t size;
	uint8_t *img = build_fw(c, rsc, edit, poke, &size);
	const char *path = amp_test_fw_write_image(slot, img, size);

	free(img);
	return path;
}

/* Boot the firmware built by @edit/@poke and expect @err with @words in the last error; nothing
 * started, nothing left allocated. */
static void expect_boot_refused(struct ctx *c, const struct amp_test_rsc *rsc,
				void (*edit)(struct amp_test_elf *e),
				void (*poke)(struct amp_test_elf *e, uint8_t *img), int err,
				const char *words)
{
	const char *fw = write_fw(c, 1, rsc, edit, poke);
	int starts = c->f.starts;

	assert_int_equal(rproc_set_firmware(c->rproc, fw), 0);
	assert_int_equal(rproc_boot(c->rproc), err);
	expect_error(c->rproc, words);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_OFFLINE);
	assert_int_equal(c->f.starts, starts);
	assert_int_equal(c->f.allocs, c->f.frees);
	unlink(fw);
}

static void test_two_segment_firmware_boots_with_the_pool_where_expected(void **state)
{
	struct ctx *c = *state;
	const char *fw = write_fw(c, 1, NULL, NULL, NULL);

	assert_int_equal(rproc_set_firmware(c->rproc, fw), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(c->rproc->table_da, 0x4100);
	assert_int_equal(loaded_vdev(c)->vring[0].da, VRING0_DA);
	assert_int_equal(loaded_vdev(c)->vring[1].da, VRING1_DA);
	assert_int_equal(vdrv_last.buf_da, BUFS_DA);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	unlink(fw);
}

static void test_buffers_in_the_carveout_named_for_them_are_no_overlap(void **state)
{
	struct ctx *c = *state;
	struct amp_test_rsc rsc = c->rsc;
	const char *fw;

	/* The table's carveout named "vdev0buffer" (placed by us) holds the buffers, as Linux
	 * looks for it: the buffers lie in it by design. */
	memset(rsc.bytes + rsc.carveout_off + 4 + 20, 0, 32);
	memcpy(rsc.bytes + rsc.carveout_off + 4 + 20, "vdev0buffer", 11);
	fw = write_fw(c, 1, &rsc, NULL, NULL);
	assert_int_equal(rproc_set_firmware(c->rproc, fw), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(vdrv_last.buf_da, HEAP_DA);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	unlink(fw);
}

static void poke_table_over_vring0(struct amp_test_elf *e, uint8_t *img)
{
	((Elf64_Shdr *)(img + e->shoff))[1].sh_addr = VRING0_DA;
}

static void poke_table_in_a_gap(struct amp_test_elf *e, uint8_t *img)
{
	((Elf64_Shdr *)(img + e->shoff))[1].sh_addr = 0x3000;
}

static void poke_table_over_code(struct amp_test_elf *e, uint8_t *img)
{
	((Elf64_Shdr *)(img + e->shoff))[1].sh_addr = 0x1010;
}

static void edit_table_in_bss(struct amp_test_elf *e)
{
	e->seg[1].filesz = 0x100; /* the table at 0x4100 is now past the file bytes */
	e->sec[0].seg = -1;
}

static void edit_data_segment_in_the_pool(struct amp_test_elf *e)
{
	/* The data segment, table and all, where vring 0 will be. */
	e->seg[1].da = VRING0_DA;
	e->sec[0].addr = VRING0_DA + 0x100;
}

static void test_resource_table_must_lie_in_the_image_and_not_in_host_memory(void **state)
{
	struct ctx *c = *state;
	const uint8_t *vring0 = c->f.mem.mem + VRING0_DA;

	/* The table's address in the pool, over vring 0: the host would copy it over the ring,
	 * then write the vdev status byte into its own descriptor table. */
	expect_boot_refused(c, NULL, NULL, poke_table_over_vring0, -AMP_EINVAL,
			    "resource table: section 1 (da 0x82000, 0x");
	expect_error(c->rproc, "lies in no loadable segment");
	assert_int_equal(vring0[0] | vring0[1] | vring0[4], 0);
	/* In a gap between the segments, in the zero-filled tail, over code. */
	expect_boot_refused(c, NULL, NULL, poke_table_in_a_gap, -AMP_EINVAL,
			    "lies in no loadable segment");
	expect_boot_refused(c, NULL, edit_table_in_bss, NULL, -AMP_EINVAL,
			    "runs past the file bytes of segment 1");
	expect_boot_refused(c, NULL, NULL, poke_table_over_code, -AMP_EINVAL,
			    "is not where segment 0 keeps da 0x1010");
	/* Inside the image, but the image itself lies where the host put vring 0. */
	expect_boot_refused(c, NULL, edit_data_segment_in_the_pool, NULL, -AMP_EINVAL,
			    "the resource table (da 0x82100, 0x");
	expect_error(c->rproc, "overlaps vdev0vring0 (da 0x82000, 0x1000 bytes)");
	assert_int_equal(vring0[0x100], 0);
}

static void edit_entry_in_data(struct amp_test_elf *e)
{
	e->entry = 0x4000;
}

static void edit_entry_in_a_gap(struct amp_test_elf *e)
{
	e->entry = 0x2000;
}

static void edit_segment_over_buffers(struct amp_test_elf *e)
{
	e->nseg = 3;
	e->seg[2].da = BUFS_DA + 0x1000;
}

static void edit_segment_over_heap(struct amp_test_elf *e)
{
	e->nseg = 3;
	e->seg[2].da = HEAP_DA;
}

static void test_entry_point_and_segments_must_lie_where_they_may(void **state)
{
	struct ctx *c = *state;
	struct amp_test_rsc fixed = c->rsc;
	struct fw_rsc_carveout co;
	const char *fw;

	/* An entry point in data or nowhere: the core would only fault, and again at each
	 * recovery until the crash-loop limit. */
	expect_boot_refused(c, NULL, edit_entry_in_data, NULL, -AMP_EINVAL,
			    "entry point 0x4000 lies in segment 1, which is not executable");
	expect_boot_refused(c, NULL, edit_entry_in_a_gap, NULL, -AMP_EINVAL,
			    "entry point 0x2000 lies in no loadable segment");
	/* Segments that land in memory the host allocated: the rpmsg buffers, a carveout whose
	 * address the host chose. Nothing is written there. */
	expect_boot_refused(c, NULL, edit_segment_over_buffers, NULL, -AMP_EINVAL,
			    "segment 2 (da 0x85000, 0x100 bytes) overlaps vdev0buffer (da 0x84000, "
			    "0x4000 bytes), memory the host allocated");
	assert_int_equal(c->f.mem.mem[BUFS_DA + 0x1000], 0);
	expect_boot_refused(c, NULL, edit_segment_over_heap, NULL, -AMP_EINVAL,
			    "segment 2 (da 0x80000, 0x100 bytes) overlaps heap");
	assert_int_equal(c->f.mem.mem[HEAP_DA], 0);
	/* A carveout the firmware asked for at a fixed address is its own memory: a segment may
	 * load there, as in Linux. */
	memcpy(&co, fixed.bytes + fixed.carveout_off + 4, sizeof(co));
	co.da = HEAP_DA;
	memcpy(fixed.bytes + fixed.carveout_off + 4, &co, sizeof(co));
	fw = write_fw(c, 1, &fixed, edit_segment_over_heap, NULL);
	assert_int_equal(rproc_set_firmware(c->rproc, fw), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(c->f.mem.mem[HEAP_DA], 0xAB);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	unlink(fw);
}

/* The default table with its trace entry at @da, @len. */
static void rsc_with_trace(struct ctx *c, struct amp_test_rsc *rsc, uint32_t da, uint32_t len)
{
	struct fw_rsc_trace t;

	*rsc = c->rsc;
	memcpy(&t, rsc->bytes + rsc->trace_off + 4, sizeof(t));
	t.da = da;
	t.len = len;
	memcpy(rsc->bytes + rsc->trace_off + 4, &t, sizeof(t));
}

static void test_trace_entries_and_vrings_are_checked_at_boot(void **state)
{
	struct ctx *c = *state;
	struct amp_test_rsc rsc;
	struct fw_rsc_vdev_vring vr;

	/* Outside device memory: refused at boot, not "no trace buffer" when read. */
	rsc_with_trace(c, &rsc, MEM_SIZE, 0x400);
	expect_boot_refused(c, &rsc, NULL, NULL, -AMP_EINVAL,
			    "resource 1: trace \"trace0\" (da 0x100000, len 0x400) is not device "
			    "memory of this processor");
	rsc_with_trace(c, &rsc, MEM_SIZE - 0x200, 0x400);
	expect_boot_refused(c, &rsc, NULL, NULL, -AMP_EINVAL, "is not device memory");
	rsc_with_trace(c, &rsc, 0x7000, 0);
	expect_boot_refused(c, &rsc, NULL, NULL, -AMP_EINVAL,
			    "trace \"trace0\" (da 0x7000, len 0x0) is not device memory");
	/* Over memory the host writes: a vring, the buffers; and over the table. */
	rsc_with_trace(c, &rsc, VRING1_DA + 0x800, 0x400);
	expect_boot_refused(c, &rsc, NULL, NULL, -AMP_EINVAL,
			    "resource 1: trace \"trace0\" (da 0x83800, len 0x400) overlaps "
			    "vdev0vring1 (da 0x83000, 0x1000 bytes)");
	rsc_with_trace(c, &rsc, BUFS_DA - 0x10, 0x400);
	expect_boot_refused(c, &rsc, NULL, NULL, -AMP_EINVAL, "overlaps vdev0vring1");
	rsc_with_trace(c, &rsc, BUFS_DA + 0x3000, 0x400);
	expect_boot_refused(c, &rsc, NULL, NULL, -AMP_EINVAL, "overlaps vdev0buffer");
	rsc_with_trace(c, &rsc, 0x4000, 0x200);
	expect_boot_refused(c, &rsc, NULL, NULL, -AMP_EINVAL,
			    "resource 1: trace \"trace0\" (da 0x4000, len 0x200) overlaps the "
			    "resource table (da 0x4100, ");
	/* Anywhere else, the image's own data included: fine. */
	rsc_with_trace(c, &rsc, 0x4400, 0x400);
	assert_int_equal(rproc_set_firmware(c->rproc, write_fw(c, 1, &rsc, NULL, NULL)), 0);
	assert_int_equal(rproc_boot(c->rproc), 0);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	unlink(rproc_get_firmware(c->rproc));

	/* Two vrings at one fixed address, granted by a platform that does not track them: the
	 * host would set up both rings in the same memory. */
	rsc = c->rsc;
	memcpy(&vr, rsc.bytes + rsc.vdev_off + 4 + sizeof(struct fw_rsc_vdev), sizeof(vr));
	vr.da = 0x90000;
	memcpy(rsc.bytes + rsc.vdev_off + 4 + sizeof(struct fw_rsc_vdev), &vr, sizeof(vr));
	memcpy(rsc.bytes + rsc.vdev_off + 4 + sizeof(struct fw_rsc_vdev) + sizeof(vr), &vr,
	       sizeof(vr));
	c->f.lax_fixed = true;
	expect_boot_refused(c, &rsc, NULL, NULL, -AMP_EINVAL,
			    "vdev0vring0 (da 0x90000, 0x1000 bytes) overlaps vdev0vring1 (da 0x90000, "
			    "0x1000 bytes)");
	c->f.lax_fixed = false;

	/* A vring at a fixed address off its alignment: a peer would lay its rings out
	 * elsewhere than we do. */
	rsc = c->rsc;
	memcpy(&vr, rsc.bytes + rsc.vdev_off + 4 + sizeof(struct fw_rsc_vdev), sizeof(vr));
	vr.da = 0x90008;
	memcpy(rsc.bytes + rsc.vdev_off + 4 + sizeof(struct fw_rsc_vdev), &vr, sizeof(vr));
	expect_boot_refused(c, &rsc, NULL, NULL, -AMP_EINVAL,
			    "resource table: resource 2 (vdev) vring 0: device address 0x90008 is "
			    "not aligned to its alignment 16");
}

static void replace_file(const char *path, const char *with)
{
	assert_int_equal(rename(with, path), 0);
}

static void edit_table_moved(struct amp_test_elf *e)
{
	e->sec[0].addr = 0x4200;
}

static void test_recovery_refuses_a_replaced_image_that_does_not_fit(void **state)
{
	struct ctx *c = *state;
	char dir[] = "/tmp/amp-fwrec-XXXXXX";
	char path[64];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fw.elf", dir);
	replace_file(path, write_fw(c, 1, NULL, NULL, NULL));
	assert_int_equal(rproc_set_firmware(c->rproc, path), 0);
	assert_int_equal(rproc_register(c->rproc), 0);
	rproc_set_recovery(c->rproc, false);
	assert_int_equal(rproc_boot(c->rproc), 0);
	rproc_report_crash(c->rproc, RPROC_FATAL_ERROR);
	assert_int_equal(wait_for(&c->f, c->rproc, RPROC_CRASHED, RPROC_EVENT_CRASH, 1), 0);

	/* The file was replaced meanwhile: each new image is hostile input as well. */
	replace_file(path, write_fw(c, 1, NULL, edit_table_moved, NULL));
	assert_int_equal(rproc_trigger_recovery(c->rproc), -AMP_EINVAL);
	expect_error(c->rproc, "the resource table moved since boot (now da 0x4200, ");
	replace_file(path, write_fw(c, 1, NULL, edit_segment_over_buffers, NULL));
	assert_int_equal(rproc_trigger_recovery(c->rproc), -AMP_EINVAL);
	expect_error(c->rproc, "segment 2 (da 0x85000, 0x100 bytes) overlaps vdev0buffer");
	assert_int_equal(c->f.mem.mem[BUFS_DA + 0x1000], 0);
	replace_file(path, write_fw(c, 1, NULL, edit_entry_in_data, NULL));
	assert_int_equal(rproc_trigger_recovery(c->rproc), -AMP_EINVAL);
	expect_error(c->rproc, "entry point 0x4000 lies in segment 1, which is not executable");
	replace_file(path, amp_test_fw_write(1, NULL, EM_X86_64));
	assert_int_equal(rproc_trigger_recovery(c->rproc), -AMP_EINVAL);
	expect_error(c->rproc, "the resource table (da 0x4100, 0x");
	expect_error(c->rproc, "is gone from the image since boot");
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(rproc_trigger_recovery(c->rproc), -AMP_EINVAL);
	expect_error(c->rproc, "is not a regular file (it is a FIFO)");
	assert_int_equal(rproc_get_state(c->rproc), RPROC_CRASHED);
	assert_int_equal(c->f.starts, 1);

	/* The same image again recovers. */
	unlink(path);
	replace_file(path, write_fw(c, 1, NULL, NULL, NULL));
	assert_int_equal(rproc_trigger_recovery(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_RUNNING);
	assert_int_equal(c->f.starts, 2);
	assert_int_equal(rproc_shutdown(c->rproc), 0);
	unlink(path);
	rmdir(dir);
}

struct race {
	struct rproc *rproc;
	int iterations;
};

static void *race_boot_shutdown(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < r->iterations; i++) {
		if (rproc_boot(r->rproc) == 0)
			rproc_shutdown(r->rproc);
	}
	return NULL;
}

static void *race_crash(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < r->iterations * 4; i++)
		rproc_report_crash(r->rproc, RPROC_FATAL_ERROR);
	return NULL;
}

static void test_concurrent_boot_shutdown_and_crash_are_serialised(void **state)
{
	struct ctx *c = *state;
	struct race r = {.rproc = c->rproc, .iterations = 50};
	pthread_t t[3];
	int i;

	assert_int_equal(rproc_register(c->rproc), 0);
	pthread_create(&t[0], NULL, race_boot_shutdown, &r);
	pthread_create(&t[1], NULL, race_boot_shutdown, &r);
	pthread_create(&t[2], NULL, race_crash, &r);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	/* Whatever interleaving happened, the processor ends consistent and can be shut down. */
	if (rproc_get_state(c->rproc) != RPROC_OFFLINE) {
		while (rproc_power_count(c->rproc) > 0 && rproc_shutdown(c->rproc) == 0)
			;
	}
	assert_int_equal(rproc_unregister(c->rproc), 0);
	assert_int_equal(rproc_get_state(c->rproc), RPROC_DELETED);
	assert_int_equal(c->f.starts - c->f.stops, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_refuses_missing_required_hooks),
		cmocka_unit_test_setup_teardown(test_boot_loads_segments_and_writes_back_the_table,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_pending_takes_no_lock_and_reports_a_move_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_count_only_last_shutdown_stops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_object_refcount_is_separate_from_power, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_name_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_firmware_is_enoent_with_a_message, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_firmware_for_another_machine_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_start_undoes_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocations_the_table_cannot_name_are_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_firmware_can_change_only_when_offline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crash_recovers_with_vdev_removed_and_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_recovery_disabled_leaves_it_crashed_until_asked,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_while_crashed_powers_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crash_loop_stops_automatic_recovery, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crash_report_for_an_earlier_run_is_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_held_buffers_are_not_given_to_the_next_run, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_held_buffers_in_a_fixed_region_hold_the_recovery_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_report_for_offline_processor_is_ignored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_boot_at_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_reads_live_and_after_crash, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_coredump_is_an_elf_core_of_the_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_and_detach_restore_the_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_only_processor_needs_no_start_or_stop,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_attach_on_recovery_attaches_to_the_core_that_came_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_only_without_the_feature_stays_crashed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_geometry_and_reserved_pool, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_concurrent_boot_shutdown_and_crash_are_serialised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vendor_entries_go_to_the_platform, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_firmware_is_found_along_the_search_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_virtio_id_is_left_unbound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_firmware_that_is_not_a_regular_file_fails_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_two_segment_firmware_boots_with_the_pool_where_expected, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_buffers_in_the_carveout_named_for_them_are_no_overlap, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_resource_table_must_lie_in_the_image_and_not_in_host_memory, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_entry_point_and_segments_must_lie_where_they_may,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_entries_and_vrings_are_checked_at_boot,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_recovery_refuses_a_replaced_image_that_does_not_fit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
