/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for virtqueue.c: both roles on one ring in one thread, both notification schemes,
 * wrap-around of the 16-bit indexes, and every hostile value a remote could write.
 */
#include <stdlib.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/virtqueue.h>
#include <amp/wire/vring.h>

#include "amp_test.h"

struct pair {
	struct amp_test_arena arena;
	struct virtqueue drv, dev;
	struct virtqueue_desc_state *drv_state, *dev_state;
	unsigned int num, align;
	int drv_kicks, dev_kicks;
	int tokens[VRING_MAX_NUM];
};

static void count_drv_kick(struct virtqueue *vq)
{
	((struct pair *)vq->priv)->drv_kicks++;
}

static void count_dev_kick(struct virtqueue *vq)
{
	((struct pair *)vq->priv)->dev_kicks++;
}

static struct pair *pair_new(unsigned int num, unsigned int align, bool event_idx)
{
	struct pair *p = calloc(1, sizeof(*p));
	size_t len = vring_size(num, align);
	struct virtqueue_config cfg = {
		.num = num, .align = align, .ring_len = len, .event_idx = event_idx, .name = "t"};

	assert_non_null(p);
	p->num = num;
	p->align = align;
	amp_test_arena_init(&p->arena, len);
	p->drv_state = calloc(num, sizeof(*p->drv_state));
	p->dev_state = calloc(num, sizeof(*p->dev_state));
	cfg.ring = p->arena.mem;
	cfg.role = VIRTQUEUE_DRIVER;
	cfg.state = p->drv_state;
	cfg.notify = count_drv_kick;
	cfg.priv = p;
	assert_int_equal(virtqueue_init(&p->drv, &cfg), 0);
	cfg.role = VIRTQUEUE_DEVICE;
	cfg.state = p->dev_state;
	cfg.notify = count_dev_kick;
	assert_int_equal(virtqueue_init(&p->dev, &cfg), 0);
	return p;
}

static void pair_free(struct pair *p)
{
	assert_true(amp_test_arena_guards_ok(&p->arena));
	amp_test_arena_free(&p->arena);
	free(p->drv_state);
	free(p->dev_state);
	free(p);
}

static struct vring ring_of(struct pair *p)
{
	struct vring vr;

	vring_init(&vr, p->num, p->arena.mem, p->align);
	return vr;
}

/* --- geometry ---------------------------------------------------------------------------- */

static void test_vring_size_matches_virtio_examples(void **state)
{
	struct vring vr;

	(void)state;
	assert_int_equal(vring_size(256, 4096), 10246);
	assert_int_equal(vring_size(16, 16), 438);
	vring_init(&vr, 256, (void *)0x10000, 4096);
	assert_int_equal((uintptr_t)vr.avail - 0x10000, 4096);
	assert_int_equal((uintptr_t)vr.used - 0x10000, 8192);
	assert_int_equal((uintptr_t)vring_used_event(&vr) - 0x10000, 4096 + 4 + 512);
	assert_int_equal((uintptr_t)vring_avail_event(&vr) - 0x10000, 8192 + 4 + 2048);
	/* The used ring's offset does not depend on where the ring is mapped. */
	vring_init(&vr, 256, (void *)0x10010, 4096);
	assert_int_equal((uintptr_t)vr.used - 0x10010, 8192);
	assert_int_equal((uintptr_t)vring_avail_event(&vr) + 2 - 0x10010, vring_size(256, 4096));
}

static void test_init_rejects_bad_geometry(void **state)
{
	struct amp_test_arena a;
	struct virtqueue vq;
	struct virtqueue_desc_state st[8];
	struct virtqueue_config cfg = {.role = VIRTQUEUE_DRIVER, .num = 8, .align = 16,
				       .state = st};

	(void)state;
	amp_test_arena_init(&a, 8192);
	cfg.ring = a.mem;
	cfg.ring_len = vring_size(8, 16);
	assert_int_equal(virtqueue_init(&vq, &cfg), 0);
	cfg.num = 6;
	assert_int_equal(virtqueue_init(&vq, &cfg), -AMP_EINVAL);
	cfg.num = 0;
	assert_int_equal(virtqueue_init(&vq, &cfg), -AMP_EINVAL);
	cfg.num = 65536;
	assert_int_equal(virtqueue_init(&vq, &cfg), -AMP_EINVAL);
	cfg.num = 8;
	cfg.align = 2;
	assert_int_equal(virtqueue_init(&vq, &cfg), -AMP_EINVAL);
	cfg.align = 24;
	assert_int_equal(virtqueue_init(&vq, &cfg), -AMP_EINVAL);
	cfg.align = 16;
	cfg.ring = a.mem + 8;
	assert_int_equal(virtqueue_init(&vq, &cfg), -AMP_EINVAL);
	cfg.ring = a.mem;
	cfg.ring_len = vring_size(8, 16) - 1;
	assert_int_equal(virtqueue_init(&vq, &cfg), -AMP_EINVAL);
	cfg.ring_len = vring_size(8, 16);
	cfg.state = NULL;
	assert_int_equal(virtqueue_init(&vq, &cfg), -AMP_EINVAL);
	cfg.state = st;
	cfg.role = 7;
	assert_int_equal(virtqueue_init(&vq, &cfg), -AMP_EINVAL);
	assert_true(amp_test_arena_guards_ok(&a));
	amp_test_arena_free(&a);
}

static void test_largest_ring_works(void **state)
{
	struct pair *p = pair_new(VRING_MAX_NUM, 4096, false);
	void *tok;
	uint32_t len;
	uint16_t head;
	struct virtqueue_buf b;

	(void)state;
	assert_int_equal(virtqueue_num_free(&p->drv), VRING_MAX_NUM);
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 0x1000, 64, &p->tokens[0]), 0);
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, head, 7), 0);
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 1);
	assert_ptr_equal(tok, &p->tokens[0]);
	assert_int_equal(len, 7);
	pair_free(p);
}

/* --- driver role ------------------------------------------------------------------------- */

static void test_add_sgs_lays_out_descriptors_as_virtio_says(void **state)
{
	struct pair *p = pair_new(8, 16, false);
	struct vring vr = ring_of(p);
	struct virtqueue_sg sg[3] = {{0x1000, 10}, {0x2000, 20}, {0x3000, 30}};
	uint16_t h;

	(void)state;
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 2, 1, &p->tokens[0]), 0);
	assert_int_equal(vr.avail->idx, 1);
	h = vr.avail->ring[0];
	assert_int_equal(h, 0);
	assert_int_equal(vr.desc[0].addr, 0x1000);
	assert_int_equal(vr.desc[0].len, 10);
	assert_int_equal(vr.desc[0].flags, VRING_DESC_F_NEXT);
	assert_int_equal(vr.desc[vr.desc[0].next].addr, 0x2000);
	assert_int_equal(vr.desc[vr.desc[0].next].flags, VRING_DESC_F_NEXT);
	{
		uint16_t last = vr.desc[vr.desc[0].next].next;

		assert_int_equal(vr.desc[last].addr, 0x3000);
		assert_int_equal(vr.desc[last].len, 30);
		assert_int_equal(vr.desc[last].flags, VRING_DESC_F_WRITE);
	}
	assert_int_equal(virtqueue_num_free(&p->drv), 5);
	pair_free(p);
}

static void test_add_refuses_bad_arguments_and_full_ring(void **state)
{
	struct pair *p = pair_new(4, 16, false);
	struct virtqueue_sg sg[5] = {{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}};
	struct virtqueue_sg big[2] = {{1, 0xffffffffu}, {2, 2}};
	uint16_t head;
	struct virtqueue_buf b;

	(void)state;
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 1, 0, NULL), -AMP_EINVAL);
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 0, 0, &p->tokens[0]), -AMP_EINVAL);
	assert_int_equal(virtqueue_add_sgs(&p->drv, big, 2, 0, &p->tokens[0]), -AMP_EINVAL);
	assert_int_equal(virtqueue_add_sgs(&p->dev, sg, 1, 0, &p->tokens[0]), -AMP_EINVAL);
	assert_int_equal(virtqueue_get_avail_buf(&p->drv, &b, 1, &head), -AMP_EINVAL);
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 5, 0, &p->tokens[0]), -AMP_ENOSPC);
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 3, 0, &p->tokens[0]), 0);
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 2, 0, &p->tokens[1]), -AMP_ENOSPC);
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 1, 0, &p->tokens[1]), 0);
	assert_int_equal(virtqueue_num_free(&p->drv), 0);
	assert_false(virtqueue_is_broken(&p->drv));
	pair_free(p);
}

static void test_detach_unused_returns_every_token_once(void **state)
{
	struct pair *p = pair_new(8, 16, false);
	int seen[8] = {0};
	void *tok;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_int_equal(virtqueue_add_inbuf(&p->drv, 0x100 * i, 16, &p->tokens[i]), 0);
	while ((tok = virtqueue_detach_unused_buf(&p->drv)))
		seen[(int *)tok - p->tokens]++;
	for (i = 0; i < 5; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(virtqueue_num_free(&p->drv), 8);
	pair_free(p);
}

/* --- both roles together ----------------------------------------------------------------- */

static void test_device_walks_chains_in_order_with_write_flags(void **state)
{
	struct pair *p = pair_new(8, 16, false);
	struct virtqueue_sg sg[3] = {{0x1000, 10}, {0x2000, 20}, {0x3000, 30}};
	struct virtqueue_buf b[4];
	uint16_t head;
	void *tok;
	uint32_t len;

	(void)state;
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, b, 4, &head), 0);
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 1, 2, &p->tokens[3]), 0);
	assert_true(virtqueue_has_work(&p->dev));
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, b, 4, &head), 3);
	assert_int_equal(b[0].addr, 0x1000);
	assert_false(b[0].write);
	assert_int_equal(b[1].len, 20);
	assert_true(b[1].write);
	assert_true(b[2].write);
	assert_int_equal(virtqueue_num_free(&p->dev), 5);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, head, 45), 0);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, head, 45), -AMP_EINVAL);
	assert_true(virtqueue_has_work(&p->drv));
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 1);
	assert_ptr_equal(tok, &p->tokens[3]);
	assert_int_equal(len, 45);
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 0);
	assert_int_equal(virtqueue_num_free(&p->drv), 8);
	pair_free(p);
}

static void test_long_chain_is_emsgsize_and_can_be_returned(void **state)
{
	struct pair *p = pair_new(8, 16, false);
	struct virtqueue_sg sg[3] = {{0x1000, 10}, {0x2000, 20}, {0x3000, 30}};
	struct virtqueue_buf b[2];
	uint16_t head;
	void *tok;
	uint32_t len;

	(void)state;
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 0, 3, &p->tokens[0]), 0);
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, b, 2, &head), -AMP_EMSGSIZE);
	assert_int_equal(b[0].addr, 0x1000);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, head, 0), 0);
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 1);
	assert_int_equal(len, 0);
	assert_false(virtqueue_is_broken(&p->dev));
	pair_free(p);
}

static void test_used_len_of_read_only_buffer_is_clamped(void **state)
{
	struct pair *p = pair_new(4, 16, false);
	struct virtqueue_buf b;
	uint16_t head;
	void *tok;
	uint32_t len = 99;

	(void)state;
	/* OpenAMP and RPMsg-Lite return a tx buffer with its whole length. */
	assert_int_equal(virtqueue_add_outbuf(&p->drv, 0x1000, 512, &p->tokens[0]), 0);
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, head, 512), 0);
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 1);
	assert_int_equal(len, 0);
	assert_false(virtqueue_is_broken(&p->drv));
	pair_free(p);
}

/* Run @n round trips of one buffer each way, checking tokens and lengths. */
static void round_trips(struct pair *p, unsigned int n, unsigned int batch)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < batch; j++)
			assert_int_equal(virtqueue_add_inbuf(&p->drv, 0x1000 + j, 64 + j,
							     &p->tokens[j]),
					 0);
		for (j = 0; j < batch; j++) {
			struct virtqueue_buf b;
			uint16_t head;

			assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
			assert_int_equal(b.addr, 0x1000 + j);
			assert_int_equal(virtqueue_add_used_buf(&p->dev, head, b.len - 1), 0);
		}
		for (j = 0; j < batch; j++) {
			void *tok;
			uint32_t len;

			assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 1);
			assert_ptr_equal(tok, &p->tokens[j]);
			assert_int_equal(len, 63 + j);
		}
	}
}

static void test_indexes_wrap_around_16_bits(void **state)
{
	struct pair *p;

	(void)state;
	p = pair_new(4, 16, false);
	round_trips(p, 70000, 3);
	assert_false(virtqueue_is_broken(&p->drv));
	assert_false(virtqueue_is_broken(&p->dev));
	pair_free(p);
	p = pair_new(1, 4, true);
	round_trips(p, 70000, 1);
	assert_false(virtqueue_is_broken(&p->drv));
	pair_free(p);
}

static void test_device_joins_ring_where_used_index_stands(void **state)
{
	struct pair *p = pair_new(4, 16, false);
	struct vring vr = ring_of(p);
	struct virtqueue_config cfg = {.role = VIRTQUEUE_DEVICE, .num = 4, .align = 16,
				       .ring = p->arena.mem, .ring_len = vring_size(4, 16),
				       .state = p->dev_state};
	struct virtqueue_buf b;
	uint16_t head;

	(void)state;
	vr.used->idx = 1000;
	assert_int_equal(virtqueue_init(&p->dev, &cfg), 0);
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 0x1000, 8, &p->tokens[0]), 0);
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, head, 1), 0);
	assert_int_equal(vr.used->idx, 1001);
	assert_int_equal(vr.used->ring[1000 % 4].id, head);
	pair_free(p);
}

/* --- notifications ----------------------------------------------------------------------- */

static void test_flags_suppress_kicks_both_ways(void **state)
{
	struct pair *p = pair_new(8, 16, false);
	struct virtqueue_buf b;
	uint16_t head;

	(void)state;
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[0]), 0);
	assert_true(virtqueue_kick(&p->drv));
	assert_int_equal(p->drv_kicks, 1);
	virtqueue_disable_cb(&p->dev); /* device: do not kick me */
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 2, 8, &p->tokens[1]), 0);
	assert_false(virtqueue_kick(&p->drv));
	assert_int_equal(p->drv_kicks, 1);

	virtqueue_disable_cb(&p->drv); /* driver: do not interrupt me */
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, head, 0), 0);
	assert_false(virtqueue_kick(&p->dev));
	/* Re-enabling with work already pending reports it instead of promising a kick. */
	assert_false(virtqueue_enable_cb(&p->drv));
	/* What the driver saw when it re-enabled needs no kick; the next use does. */
	assert_false(virtqueue_kick(&p->dev));
	assert_int_equal(p->dev_kicks, 0);
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 3, 8, &p->tokens[2]), 0);
	assert_false(virtqueue_kick(&p->drv)); /* the device still said "do not kick me" */
	/* The device re-enables with chains still available: enable says "not idle". */
	assert_false(virtqueue_enable_cb(&p->dev));
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, head, 0), 0);
	assert_true(virtqueue_kick(&p->dev));
	assert_int_equal(p->dev_kicks, 1);
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
	assert_true(virtqueue_enable_cb(&p->dev));
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 4, 8, &p->tokens[3]), 0);
	assert_true(virtqueue_kick(&p->drv));
	pair_free(p);
}

static void test_event_idx_kicks_exactly_when_crossing_the_event(void **state)
{
	struct pair *p = pair_new(8, 16, true);
	struct vring vr = ring_of(p);
	struct virtqueue_buf b;
	uint16_t head;
	int i;

	(void)state;
	/* The device asked to hear of avail entry 0 (its initial avail_event). */
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[0]), 0);
	assert_true(virtqueue_kick_prepare(&p->drv));
	/* Nothing asked about entries 1..: no kicks while the device is busy. */
	for (i = 1; i < 4; i++) {
		assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[i]), 0);
		assert_false(virtqueue_kick_prepare(&p->drv));
	}
	/* The device drains and re-arms at its next entry: the next add kicks once. */
	for (i = 0; i < 4; i++)
		assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
	assert_true(virtqueue_enable_cb(&p->dev));
	assert_int_equal(*vring_avail_event(&vr), 4);
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[4]), 0);
	assert_true(virtqueue_kick_prepare(&p->drv));
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[5]), 0);
	assert_false(virtqueue_kick_prepare(&p->drv));

	/* Device side: the driver armed used_event at 0; its first used entry interrupts. */
	assert_true(virtqueue_enable_cb(&p->drv));
	assert_int_equal(virtqueue_add_used_buf(&p->dev, 0, 1), 0);
	assert_true(virtqueue_kick_prepare(&p->dev));
	assert_int_equal(virtqueue_add_used_buf(&p->dev, 1, 1), 0);
	assert_false(virtqueue_kick_prepare(&p->dev));
	/* Disabled: used_event moved out of reach. */
	virtqueue_disable_cb(&p->drv);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, 2, 1), 0);
	assert_false(virtqueue_kick_prepare(&p->dev));
	pair_free(p);
}

/* @n buffers posted by the driver and taken by the device, heads 0..@n-1. */
static void pair_in_flight(struct pair *p, int n)
{
	struct virtqueue_buf b;
	uint16_t head;
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(virtqueue_add_outbuf(&p->drv, 1, 8, &p->tokens[i]), 0);
		assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
		assert_int_equal(head, i);
	}
}

/* Linux's virtqueue_get_buf_ctx_split(): while armed, taking a buffer asks for the next one.
 * Otherwise a waiter that armed at entry n, with entry n taken by another thread, hears of no
 * later entry. */
static void test_get_buf_moves_used_event_while_armed(void **state)
{
	struct pair *p = pair_new(8, 16, true);
	struct vring vr = ring_of(p);
	uint32_t len;
	void *tok;

	(void)state;
	pair_in_flight(p, 4);
	assert_true(virtqueue_enable_cb(&p->drv)); /* a waiter arms at entry 0 */
	assert_int_equal(virtqueue_add_used_buf(&p->dev, 0, 0), 0);
	assert_true(virtqueue_kick_prepare(&p->dev));
	/* Another thread takes entry 0 before the waiter looks: the event moves to entry 1. */
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 1);
	assert_int_equal(*vring_used_event(&vr), 1);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, 1, 0), 0);
	assert_true(virtqueue_kick_prepare(&p->dev)); /* the waiter hears of entry 1 */
	/* Disarmed: taking a buffer leaves the event out of reach. */
	virtqueue_disable_cb(&p->drv);
	assert_int_equal(*vring_used_event(&vr), 0);
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 1);
	assert_int_equal(*vring_used_event(&vr), 0);
	assert_int_equal(virtqueue_add_used_buf(&p->dev, 2, 0), 0);
	assert_false(virtqueue_kick_prepare(&p->dev));
	pair_free(p);
}

static void test_enable_cb_delayed_waits_for_three_quarters(void **state)
{
	struct pair *p = pair_new(8, 16, true);
	struct vring vr = ring_of(p);
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_int_equal(virtqueue_add_outbuf(&p->drv, 1, 8, &p->tokens[i]), 0);
	assert_true(virtqueue_enable_cb_delayed(&p->drv));
	assert_int_equal(*vring_used_event(&vr), 6);
	pair_free(p);
}

/* --- hostile rings ----------------------------------------------------------------------- */

/* Every later call fails with -EIO and the ring memory around stays untouched. */
static void assert_stays_broken(struct pair *p, struct virtqueue *vq)
{
	void *tok;
	uint32_t len;
	struct virtqueue_buf b;
	uint16_t head;

	assert_true(virtqueue_is_broken(vq));
	assert_non_null(virtqueue_broken_diag(vq));
	assert_int_equal(virtqueue_broken_diag(vq)->err, -AMP_EIO);
	assert_non_null(virtqueue_broken_diag(vq)->fmt);
	if (vq == &p->drv) {
		assert_int_equal(virtqueue_get_buf(vq, &tok, &len), -AMP_EIO);
		assert_int_equal(virtqueue_add_inbuf(vq, 1, 1, &p->tokens[0]), -AMP_EIO);
	} else {
		assert_int_equal(virtqueue_get_avail_buf(vq, &b, 1, &head), -AMP_EIO);
		assert_int_equal(virtqueue_add_used_buf(vq, 0, 0), -AMP_EIO);
	}
	assert_false(virtqueue_kick_prepare(vq));
	assert_false(virtqueue_enable_cb(vq));
	assert_false(virtqueue_has_work(vq));
	assert_true(amp_test_arena_guards_ok(&p->arena));
}

static void test_get_buf_rejects_used_id_out_of_range(void **state)
{
	struct pair *p = pair_new(8, 16, false);
	struct vring vr = ring_of(p);
	void *tok = NULL;
	uint32_t len;

	(void)state;
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[0]), 0);
	vr.used->ring[0].id = 8;
	vr.used->idx = 1;
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), -AMP_EIO);
	assert_null(tok);
	assert_int_equal(virtqueue_broken_diag(&p->drv)->index, 0);
	assert_stays_broken(p, &p->drv);
	pair_free(p);
}

static void test_get_buf_rejects_used_id_not_in_flight(void **state)
{
	struct pair *p = pair_new(8, 16, false);
	struct vring vr = ring_of(p);
	struct virtqueue_sg sg[2] = {{1, 4}, {2, 4}};
	void *tok;
	uint32_t len;

	(void)state;
	/* A descriptor that is not the head of a chain (the second of a chain of two). */
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 1, 1, &p->tokens[0]), 0);
	vr.used->ring[0].id = vr.desc[0].next;
	vr.used->idx = 1;
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), -AMP_EIO);
	assert_stays_broken(p, &p->drv);
	pair_free(p);

	/* A head already returned. */
	p = pair_new(8, 16, false);
	vr = ring_of(p);
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[0]), 0);
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[1]), 0);
	vr.used->ring[0].id = 0;
	vr.used->ring[1].id = 0;
	vr.used->idx = 1;
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 1);
	vr.used->idx = 2;
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), -AMP_EIO);
	assert_stays_broken(p, &p->drv);
	pair_free(p);
}

static void test_get_buf_rejects_length_past_the_chain(void **state)
{
	struct pair *p = pair_new(8, 16, false);
	struct vring vr = ring_of(p);
	void *tok;
	uint32_t len;

	(void)state;
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 512, &p->tokens[0]), 0);
	vr.used->ring[0].id = 0;
	vr.used->ring[0].len = 513;
	vr.used->idx = 1;
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), -AMP_EIO);
	assert_stays_broken(p, &p->drv);
	pair_free(p);
}

static void test_get_buf_rejects_used_index_jump(void **state)
{
	struct pair *p = pair_new(8, 16, false);
	struct vring vr = ring_of(p);
	void *tok;
	uint32_t len;

	(void)state;
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[0]), 0);
	vr.used->idx = 2; /* two used, one in flight */
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), -AMP_EIO);
	assert_stays_broken(p, &p->drv);
	pair_free(p);
}

/* Post one valid chain of @n in-buffers, then let @mutate rewrite the ring. */
static struct pair *hostile_device_setup(unsigned int n)
{
	struct pair *p = pair_new(8, 16, false);
	struct virtqueue_sg sg[8];
	unsigned int i;

	for (i = 0; i < n; i++)
		sg[i] = (struct virtqueue_sg){0x1000 * (i + 1), 16};
	assert_int_equal(virtqueue_add_sgs(&p->drv, sg, 0, n, &p->tokens[0]), 0);
	return p;
}

static void expect_device_breaks(struct pair *p)
{
	struct virtqueue_buf b[8];
	uint16_t head;

	assert_int_equal(virtqueue_get_avail_buf(&p->dev, b, 8, &head), -AMP_EIO);
	assert_stays_broken(p, &p->dev);
	pair_free(p);
}

static void test_device_rejects_avail_index_jump(void **state)
{
	struct pair *p = hostile_device_setup(1);
	struct vring vr = ring_of(p);

	(void)state;
	vr.avail->idx = 9;
	expect_device_breaks(p);
}

static void test_device_rejects_head_out_of_range(void **state)
{
	struct pair *p = hostile_device_setup(1);
	struct vring vr = ring_of(p);

	(void)state;
	vr.avail->ring[0] = 8;
	expect_device_breaks(p);
}

static void test_device_rejects_next_out_of_range(void **state)
{
	struct pair *p = hostile_device_setup(2);
	struct vring vr = ring_of(p);

	(void)state;
	vr.desc[0].next = 200;
	expect_device_breaks(p);
}

static void test_device_rejects_looping_chain(void **state)
{
	struct pair *p = hostile_device_setup(3);
	struct vring vr = ring_of(p);

	(void)state;
	vr.desc[vr.desc[0].next].next = 0;
	vr.desc[vr.desc[vr.desc[0].next].next].flags |= VRING_DESC_F_NEXT;
	expect_device_breaks(p);
}

static void test_device_rejects_chain_longer_than_ring(void **state)
{
	struct pair *p = hostile_device_setup(1);
	struct vring vr = ring_of(p);
	int i;

	(void)state;
	for (i = 0; i < 8; i++) {
		vr.desc[i].flags = VRING_DESC_F_NEXT | VRING_DESC_F_WRITE;
		vr.desc[i].next = (uint16_t)((i + 1) % 8);
	}
	expect_device_breaks(p);
}

static void test_device_rejects_indirect_descriptor(void **state)
{
	struct pair *p = hostile_device_setup(1);
	struct vring vr = ring_of(p);

	(void)state;
	vr.desc[0].flags |= VRING_DESC_F_INDIRECT;
	expect_device_breaks(p);
}

static void test_device_rejects_wrapping_address(void **state)
{
	struct pair *p = hostile_device_setup(1);
	struct vring vr = ring_of(p);

	(void)state;
	vr.desc[0].addr = UINT64_MAX - 4;
	expect_device_breaks(p);
}

static void test_device_rejects_chain_lengths_overflowing(void **state)
{
	struct pair *p = hostile_device_setup(2);
	struct vring vr = ring_of(p);

	(void)state;
	vr.desc[0].len = 0xffffffffu;
	expect_device_breaks(p);
}

static void test_device_rejects_read_only_after_writable(void **state)
{
	struct pair *p = hostile_device_setup(2);
	struct vring vr = ring_of(p);

	(void)state;
	vr.desc[vr.desc[0].next].flags = 0;
	expect_device_breaks(p);
}

static void test_device_rejects_descriptor_it_still_holds(void **state)
{
	struct pair *p = hostile_device_setup(1);
	struct vring vr = ring_of(p);
	struct virtqueue_buf b;
	uint16_t head;

	(void)state;
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
	/* The driver re-posts descriptor 0 while the device holds it. */
	vr.avail->ring[1] = 0;
	vr.avail->idx = 2;
	expect_device_breaks(p);
}

static void test_deferred_used_entries_publish_as_one_batch(void **state)
{
	struct pair *p = pair_new(8, 16, false);
	struct vring vr = ring_of(p);
	struct virtqueue_buf b;
	uint16_t head;
	void *tok;
	uint32_t len;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[i]), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
		assert_int_equal(virtqueue_add_used_buf_deferred(&p->dev, head, 4), 0);
	}
	/* Written, not published: the driver sees nothing yet. */
	assert_int_equal(vr.used->idx, 0);
	assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 0);
	virtqueue_publish_used(&p->dev);
	assert_int_equal(vr.used->idx, 3);
	/* Nothing new: no store, which would take the line the driver spins on away from it
	 * (seen here as a value of its own that stays). */
	vr.used->idx = 0x7777;
	virtqueue_publish_used(&p->dev);
	assert_int_equal(vr.used->idx, 0x7777);
	vr.used->idx = 3;
	for (i = 0; i < 3; i++)
		assert_int_equal(virtqueue_get_buf(&p->drv, &tok, &len), 1);
	/* A kick decision publishes what is pending first. */
	assert_int_equal(virtqueue_add_inbuf(&p->drv, 1, 8, &p->tokens[0]), 0);
	assert_int_equal(virtqueue_get_avail_buf(&p->dev, &b, 1, &head), 1);
	assert_int_equal(virtqueue_add_used_buf_deferred(&p->dev, head, 4), 0);
	virtqueue_kick_prepare(&p->dev);
	assert_int_equal(vr.used->idx, 4);
	pair_free(p);
}

static void test_break_by_owner_fails_later_calls(void **state)
{
	struct pair *p = pair_new(4, 16, false);

	(void)state;
	virtqueue_break(&p->drv);
	assert_stays_broken(p, &p->drv);
	assert_false(virtqueue_is_broken(&p->dev));
	pair_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vring_size_matches_virtio_examples),
		cmocka_unit_test(test_init_rejects_bad_geometry),
		cmocka_unit_test(test_largest_ring_works),
		cmocka_unit_test(test_add_sgs_lays_out_descriptors_as_virtio_says),
		cmocka_unit_test(test_add_refuses_bad_arguments_and_full_ring),
		cmocka_unit_test(test_detach_unused_returns_every_token_once),
		cmocka_unit_test(test_device_walks_chains_in_order_with_write_flags),
		cmocka_unit_test(test_long_chain_is_emsgsize_and_can_be_returned),
		cmocka_unit_test(test_used_len_of_read_only_buffer_is_clamped),
		cmocka_unit_test(test_indexes_wrap_around_16_bits),
		cmocka_unit_test(test_device_joins_ring_where_used_index_stands),
		cmocka_unit_test(test_flags_suppress_kicks_both_ways),
		cmocka_unit_test(test_event_idx_kicks_exactly_when_crossing_the_event),
		cmocka_unit_test(test_get_buf_moves_used_event_while_armed),
		cmocka_unit_test(test_enable_cb_delayed_waits_for_three_quarters),
		cmocka_unit_test(test_get_buf_rejects_used_id_out_of_range),
		cmocka_unit_test(test_get_buf_rejects_used_id_not_in_flight),
		cmocka_unit_test(test_get_buf_rejects_length_past_the_chain),
		cmocka_unit_test(test_get_buf_rejects_used_index_jump),
		cmocka_unit_test(test_device_rejects_avail_index_jump),
		cmocka_unit_test(test_device_rejects_head_out_of_range),
		cmocka_unit_test(test_device_rejects_next_out_of_range),
		cmocka_unit_test(test_device_rejects_looping_chain),
		cmocka_unit_test(test_device_rejects_chain_longer_than_ring),
		cmocka_unit_test(test_device_rejects_indirect_descriptor),
		cmocka_unit_test(test_device_rejects_wrapping_address),
		cmocka_unit_test(test_device_rejects_chain_lengths_overflowing),
		cmocka_unit_test(test_device_rejects_read_only_after_writable),
		cmocka_unit_test(test_device_rejects_descriptor_it_still_holds),
		cmocka_unit_test(test_deferred_used_entries_publish_as_one_batch),
		cmocka_unit_test(test_break_by_owner_fails_later_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
