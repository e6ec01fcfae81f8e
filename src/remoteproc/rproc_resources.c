/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Handling the resource table's entries at boot: carveouts, devmem, trace buffers, vdevs and
 * vendor entries; releasing them; the loaded table; saved traces. Host layer.
 *
 * Entries are handled on our private cached copy, which the portable parser has checked whole
 * (every body fits, reserved fields zero, no overlaps), so reading it again here is safe; only
 * the loaded copy in device memory is the remote's to scribble on.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/rsc_table.h>
#include <amp/wire/vring.h>

#include "remoteproc/remoteproc_internal.h"
#include "util/amp_util.h"


/* Give the firmware @len bytes at *@da (fixed, or FW_RSC_ADDR_ANY for us to choose). @below_4g:
 * the address goes back into a 32-bit field of the table, so the whole range must lie below
 * 4 GiB; a platform allocator that answers elsewhere (or moves a fixed address) is refused
 * rather than truncated into an address that names other memory. */
static int rproc_mem_get(struct rproc_private *p, struct rproc_mem *m, uint64_t da, size_t len,
			 size_t align, bool below_4g)
{
	int ret;

	m->len = len;
	if (p->ops->mem_alloc) {
		uint64_t got = da;
		void *va = NULL;

		ret = p->ops->mem_alloc(p->rproc, len, align, &got, &va);
		if (ret)
			return ret;
		if ((da != FW_RSC_ADDR_ANY && got != da) ||
		    (below_4g && (got > UINT32_MAX || len > (uint64_t)UINT32_MAX + 1 - got))) {
			char want[32] = "any address";

			if (da != FW_RSC_ADDR_ANY)
				snprintf(want, sizeof(want), "da 0x%llx", (unsigned long long)da);
			amp_log(AMP_LOG_ERR,
				"%s: the platform gave 0x%zx bytes at da 0x%llx when asked for %s: "
				"the resource table names only the asked address, below 4 GiB",
				p->name, len, (unsigned long long)got, want);
			p->ops->mem_free(p->rproc, got, len);
			return -AMP_ERANGE;
		}
		m->da = got;
		m->va = va;
		m->allocated = true;
		return 0;
	}
	/* No allocator: only fixed addresses in memory the platform already gave the core. */
	if (da == FW_RSC_ADDR_ANY)
		return -AMP_ENOMEM;
	m->va = p->ops->da_to_va(p->rproc, da, len);
	if (!m->va)
		return -AMP_EINVAL;
	m->da = da;
	m->allocated = false;
	return 0;
}

static void rproc_mem_put(struct rproc_private *p, struct rproc_mem *m)
{
	if (m->allocated && m->len)
		p->ops->mem_free(p->rproc, m->da, m->len);
	memset(m, 0, sizeof(*m));
}

static int rproc_add_table_carveout(struct rproc_private *p, struct rproc_mem *m)
{
	struct rproc_mem *grown = realloc(p->carveouts, sizeof(*grown) * (p->num_carveouts + 1));

	if (!grown)
		return -AMP_ENOMEM;
	p->carveouts = grown;
	p->carveouts[p->num_carveouts++] = *m;
	return 0;
}

/* The memory the platform reserved under @name (rproc_add_carveout()), or NULL. */
static const struct rproc_mem *rproc_platform_carveout(const struct rproc_private *p,
							const char *name)
{
	unsigned int i;

	for (i = 0; i < p->num_platform_carveouts; i++)
		if (!strcmp(p->platform_carveouts[i].name, name))
			return &p->platform_carveouts[i];
	return NULL;
}

/* Place @len bytes (at @da, or anywhere for FW_RSC_ADDR_ANY) in the platform's carveout @pm.
 * The memory stays the platform's: not allocated, never freed. */
static int rproc_mem_in_platform(struct rproc_private *p, struct rproc_mem *m,
				 const struct rproc_mem *pm, uint64_t da, size_t len)
{
	if (len > pm->len || (da != FW_RSC_ADDR_ANY && da != pm->da))
		return -AMP_EINVAL;
	m->va = p->ops->da_to_va(p->rproc, pm->da, len);
	if (!m->va)
		return -AMP_EFAULT;
	m->da = pm->da;
	m->len = len;
	m->allocated = false;
	return 0;
}

static int rproc_handle_carveout(struct rproc_private *p, struct fw_rsc_carveout *c, unsigned int i)
{
	struct rproc_mem m = {0};
	const struct rproc_mem *pm;
	int ret;

	rsc_name_copy(m.name, c->name);
	if (c->len == 0)
		return rproc_fail(p, -AMP_EINVAL, "resource %u: carveout \"%s\" has length 0", i,
				  m.name);
	/* Memory the platform reserved under this name serves it (Linux's rule). */
	pm = rproc_platform_carveout(p, m.name);
	if (pm)
		ret = rproc_mem_in_platform(p, &m, pm, c->da, c->len);
	else
		ret = rproc_mem_get(p, &m, c->da, c->len, RPROC_PAGE_SIZE, true);
	if (ret)
		return rproc_fail(p, ret, "resource %u: carveout \"%s\" of 0x%x bytes at da 0x%x: %s",
				  i, m.name, c->len, c->da, amp_strerror(ret));
	m.placed = c->da == FW_RSC_ADDR_ANY;
	ret = rproc_add_table_carveout(p, &m);
	if (ret) {
		rproc_mem_put(p, &m);
		return ret;
	}
	/* Write-backs, as Linux: the chosen da, and pa (our "physical" address is the da). */
	c->da = (uint32_t)m.da;
	c->pa = (uint32_t)m.da;
	amp_log(AMP_LOG_DEBUG, "%s: carveout \"%s\" da 0x%llx len 0x%zx", p->name, m.name,
		(unsigned long long)m.da, m.len);
	return 0;
}

static int rproc_handle_devmem(struct rproc_private *p, struct fw_rsc_devmem *d, unsigned int i)
{
	struct rproc_mem m = {0};

	rsc_name_copy(m.name, d->name);
	/* No IOMMU to program here: the range must already be the core's device memory. */
	m.va = d->len ? p->ops->da_to_va(p->rproc, d->da, d->len) : NULL;
	if (!m.va)
		return rproc_fail(p, -AMP_EINVAL,
				  "resource %u: devmem \"%s\" da 0x%x len 0x%x is not device memory "
				  "of this processor",
				  i, m.name, d->da, d->len);
	m.da = d->da;
	m.len = d->len;
	return rproc_add_table_carveout(p, &m);
}

static int rproc_handle_trace(struct rproc_private *p, struct fw_rsc_trace *t, unsigned int i)
{
	struct rproc_trace *grown, *trace;

	grown = realloc(p->traces, sizeof(*grown) * (p->num_traces + 1));
	if (!grown)
		return -AMP_ENOMEM;
	p->traces = grown;
	trace = &grown[p->num_traces];
	rsc_name_copy(trace->name, t->name);
	trace->da = t->da;
	trace->len = t->len;
	trace->rsc_index = i;
	/* Refused now, not found missing when someone reads it (Linux refuses it too). Its
	 * overlaps are checked once everything is allocated: rproc_check_placement(). */
	if (!t->len || !p->ops->da_to_va(p->rproc, t->da, t->len))
		return rproc_fail(p, -AMP_EINVAL,
				  "resource %u: trace \"%s\" (da 0x%x, len 0x%x) is not device memory "
				  "of this processor",
				  i, trace->name, t->da, t->len);
	p->num_traces++;
	return 0;
}

static int rproc_handle_vdev(struct rproc_private *p, struct fw_rsc_vdev *v, size_t offset,
			     unsigned int i)
{
	struct rproc_vdev *grown, *vdev;
	unsigned int j;
	int ret;

	/* Any device id: its driver, if one is registered, says whether the vdev suits it. */
	if (v->num_of_vrings < 1 || v->num_of_vrings > RPROC_MAX_VRINGS)
		return rproc_fail(p, -AMP_EINVAL, "resource %u: vdev (virtio id %u) has %u vrings, "
				  "supported 1 to %u", i, v->id, v->num_of_vrings, RPROC_MAX_VRINGS);

	amp_mutex_lock(&p->notify_lock);
	amp_mutex_lock(&p->going_lock);
	grown = realloc(p->vdevs, sizeof(*grown) * (p->num_vdevs + 1));
	if (grown) {
		p->vdevs = grown;
		memset(&grown[p->num_vdevs], 0, sizeof(*grown));
		p->num_vdevs++;
	}
	amp_mutex_unlock(&p->going_lock);
	amp_mutex_unlock(&p->notify_lock);
	if (!grown)
		return -AMP_ENOMEM;
	vdev = &grown[p->num_vdevs - 1];
	vdev->owner = p;
	vdev->index = p->num_vdevs - 1;
	vdev->rsc_offset = offset;
	vdev->id = v->id;
	vdev->dfeatures = v->dfeatures;
	vdev->config_len = v->config_len;
	vdev->num_vrings = v->num_of_vrings;
	snprintf(vdev->name, sizeof(vdev->name), "%s/vdev%u", p->name, vdev->index);

	for (j = 0; j < vdev->num_vrings; j++) {
		struct fw_rsc_vdev_vring *r = &v->vring[j];
		struct rproc_vring *vr = &vdev->vring[j];
		size_t align = r->align > RPROC_PAGE_SIZE ? r->align : RPROC_PAGE_SIZE;
		size_t len = amp_align_up(vring_size(r->num, r->align), RPROC_PAGE_SIZE);

		snprintf(vr->mem.name, sizeof(vr->mem.name), "vdev%uvring%u", vdev->index, j);
		ret = rproc_mem_get(p, &vr->mem, r->da, len, align, true);
		if (ret)
			return rproc_fail(p, ret,
					  "resource %u: vring %u (%u descriptors, 0x%zx bytes) at da "
					  "0x%x: %s",
					  i, j, r->num, len, r->da, amp_strerror(ret));
		/* rsc_table_check() refused a fixed da out of alignment; this catches a platform
		 * allocator that ignored the alignment asked for. */
		if (vr->mem.da & (r->align - 1))
			return rproc_fail(p, -AMP_EINVAL,
					  "resource %u: vring %u at da 0x%llx is not aligned to its "
					  "alignment %u",
					  i, j, (unsigned long long)vr->mem.da, r->align);
		vr->num = r->num;
		vr->align = r->align;
		vr->notifyid = p->next_notifyid++;
		r->da = (uint32_t)vr->mem.da;
		r->pa = (uint32_t)vr->mem.da;
		r->notifyid = (uint32_t)vr->notifyid;
	}
	if (vdev->num_vrings == 2 && vdev->vring[0].num != vdev->vring[1].num)
		amp_log(AMP_LOG_WARN, "%s: resource %u: vrings of different sizes (%u, %u)", p->name,
			i, vdev->vring[0].num, vdev->vring[1].num);

	/* The buffers come once every entry is handled: a carveout after the vdev may hold
	 * them. The features are negotiated when its driver binds it (virtio_dev_probe()), as
	 * Linux does: a remote reads gfeatures once it sees DRIVER_OK. */
	v->gfeatures = 0;
	v->status = 0;
	return 0;
}

static int rproc_handle_vendor(struct rproc_private *p, uint32_t type, void *body, size_t offset,
			       size_t avail, unsigned int i)
{
	int ret;

	if (!p->ops->handle_rsc) {
		amp_log(AMP_LOG_WARN, "%s: firmware %s: resource %u: vendor type %u not handled by "
				      "this platform: skipped",
			p->name, p->firmware, i, type);
		return 0;
	}
	ret = p->ops->handle_rsc(p->rproc, type, body, offset, avail);
	if (ret == RSC_IGNORED) {
		amp_log(AMP_LOG_WARN, "%s: firmware %s: resource %u: vendor type %u ignored", p->name,
			p->firmware, i, type);
		return 0;
	}
	if (ret < 0)
		return rproc_fail(p, ret, "resource %u: vendor type %u refused by the platform", i,
				  type);
	return 0;
}

/* The carveout of the table named @name, or the platform's (rproc_add_carveout()), or NULL. */
static const struct rproc_mem *rproc_named_memory(const struct rproc_private *p, const char *name)
{
	unsigned int i;

	for (i = 0; i < p->num_carveouts; i++)
		if (!strcmp(p->carveouts[i].name, name))
			return &p->carveouts[i];
	return rproc_platform_carveout(p, name);
}

/* Take vdev @v's buffer memory from it if its driver still holds it (onto the held list),
 * else forget the hold. Returns whether it was taken. Lock held. */
static bool rproc_take_held_bufs(struct rproc_private *p, struct rproc_vdev *v)
{
	struct rproc_buf_hold *h = v->held;

	v->held = NULL;
	if (!h)
		return false;
	if (__atomic_load_n(&h->refs, __ATOMIC_ACQUIRE) == 1) {
		free(h); /* released already: the memory is the vdev's again */
		return false;
	}
	h->next = p->held_bufs;
	p->held_bufs = h;
	memset(&v->bufs, 0, sizeof(v->bufs));
	return true;
}

void rproc_reap_held_bufs(struct rproc_private *p, bool all)
{
	struct rproc_buf_hold **pp = &p->held_bufs, *h;

	while ((h = *pp)) {
		if (!all && __atomic_load_n(&h->refs, __ATOMIC_ACQUIRE) != 1) {
			pp = &h->next;
			continue;
		}
		*pp = h->next;
		rproc_mem_put(p, &h->mem);
		/* The core's reference; the driver's may remain (only when @all). */
		if (__atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) == 0)
			free(h);
	}
}


/* Memory a driver of an earlier run still holds that overlaps [@da, @da + @len), or NULL: a
 * fixed region (a platform carveout) would be handed out again. Lock held. */
static const struct rproc_mem *rproc_held_overlap(struct rproc_private *p, uint64_t da,
						  uint64_t len)
{
	const struct rproc_buf_hold *h;

	for (h = p->held_bufs; h; h = h->next)
		if (__atomic_load_n(&h->refs, __ATOMIC_ACQUIRE) != 1 &&
		    amp_ranges_overlap(da, len, h->mem.da, h->mem.len))
			return &h->mem;
	return NULL;
}

/*
 * The buffer pool of vdev @vdev: @num_bufs buffers of @buf_size (rproc_set_vdev_buffers(), or
 * Linux's geometry: 512 bytes, two per rx descriptor up to 512 in all, half each way), in the
 * memory named "vdev<N>buffer" when the table or the platform has it (as Linux looks for it),
 * else from the platform's allocator.
 */
static int rproc_vdev_buffers(struct rproc_private *p, struct rproc_vdev *vdev)
{
	unsigned int buf_size = p->buf_size ? p->buf_size : RPROC_VDEV_BUF_SIZE;
	unsigned int num_bufs = p->num_bufs;
	const struct rproc_mem *region, *held;
	int ret;

	if (!num_bufs)
		num_bufs = vdev->vring[0].num * 2 < RPROC_VDEV_MAX_BUFS ? vdev->vring[0].num * 2
									   : RPROC_VDEV_MAX_BUFS;
	snprintf(vdev->bufs.name, sizeof(vdev->bufs.name), "vdev%ubuffer", vdev->index);
	region = rproc_named_memory(p, vdev->bufs.name);
	if (region) {
		size_t fit = (region->len / buf_size) & ~(size_t)1;

		if (fit < 2)
			return rproc_fail(p, -AMP_ENOMEM,
					  "vdev %u: \"%s\" (0x%zx bytes) holds no two %u-byte "
					  "buffers",
					  vdev->index, region->name, region->len, buf_size);
		if (fit < num_bufs) {
			amp_log(AMP_LOG_INFO, "%s: vdev %u: \"%s\" holds %zu of %u buffers",
				p->name, vdev->index, region->name, fit, num_bufs);
			num_bufs = (unsigned int)fit;
		}
		ret = rproc_mem_in_platform(p, &vdev->bufs, region, FW_RSC_ADDR_ANY,
					    (size_t)num_bufs * buf_size);
	} else {
		ret = rproc_mem_get(p, &vdev->bufs, FW_RSC_ADDR_ANY, (size_t)num_bufs * buf_size,
				    RPROC_PAGE_SIZE, false);
	}
	if (ret)
		return rproc_fail(p, ret, "vdev %u: no memory for %u buffers of %u bytes%s%s: %s",
				  vdev->index, num_bufs, buf_size, region ? " in " : "",
				  region ? region->name : "", amp_strerror(ret));
	held = rproc_held_overlap(p, vdev->bufs.da, vdev->bufs.len);
	if (held) {
		ret = rproc_fail(p, -AMP_EBUSY,
				 "vdev %u: its buffers (da 0x%llx, 0x%zx bytes) would overlap "
				 "those of an earlier run (da 0x%llx), which their users still hold",
				 vdev->index, (unsigned long long)vdev->bufs.da, vdev->bufs.len,
				 (unsigned long long)held->da);
		rproc_mem_put(p, &vdev->bufs);
		return ret;
	}
	memset(vdev->bufs.va, 0, vdev->bufs.len);
	vdev->buf_size = buf_size;
	vdev->num_bufs = num_bufs;
	return 0;
}

int rproc_renew_held_bufs(struct rproc_private *p)
{
	unsigned int i;
	int ret;

	rproc_reap_held_bufs(p, false);
	for (i = 0; i < p->num_vdevs; i++) {
		struct rproc_vdev *v = &p->vdevs[i];

		/* Taken now, or by an earlier attempt that found no memory. */
		if (!rproc_take_held_bufs(p, v) && v->bufs.va)
			continue;
		ret = rproc_vdev_buffers(p, v);
		if (ret)
			return ret;
		amp_log(AMP_LOG_INFO, "%s: vdev %u: the last run's buffers are still held: new ones "
				      "at da 0x%llx",
			p->name, v->index, (unsigned long long)v->bufs.da);
	}
	return 0;
}


/* The first vring or buffer pool other than @except that overlaps [@da, @da + @len). */
static const struct rproc_mem *rproc_vdev_mem_find(struct rproc_private *p, uint64_t da,
						   uint64_t len, const struct rproc_mem *except)
{
	unsigned int i, j;

	for (i = 0; i < p->num_vdevs; i++) {
		const struct rproc_vdev *vdev = &p->vdevs[i];

		for (j = 0; j < vdev->num_vrings; j++)
			if (&vdev->vring[j].mem != except &&
			    amp_ranges_overlap(da, len, vdev->vring[j].mem.da, vdev->vring[j].mem.len))
				return &vdev->vring[j].mem;
		if (&vdev->bufs != except && amp_ranges_overlap(da, len, vdev->bufs.da, vdev->bufs.len))
			return &vdev->bufs;
	}
	return NULL;
}

const struct rproc_mem *rproc_host_mem_find(struct rproc_private *p, uint64_t da, uint64_t len)
{
	const struct rproc_mem *m = rproc_vdev_mem_find(p, da, len, NULL);
	unsigned int i;

	/* A carveout at a fixed address is the firmware's own memory (its code may load there, as
	 * in Linux); one at an address we chose is ours, and nothing of the image belongs in it. */
	for (i = 0; !m && i < p->num_carveouts; i++)
		if (p->carveouts[i].placed &&
		    amp_ranges_overlap(da, len, p->carveouts[i].da, p->carveouts[i].len))
			m = &p->carveouts[i];
	return m;
}

/*
 * Once everything is allocated: the rings and buffers must not overlap one another (fixed
 * addresses on a platform without an allocator), nor the table (the host writes into it while
 * the core runs), nor a trace buffer (the host reads it as text). Traces may lie anywhere else
 * in device memory, in the image's bss included. The segments are checked at load.
 */
static int rproc_check_placement(struct rproc_private *p)
{
	const struct rproc_mem *m;
	unsigned int i, j;

	for (i = 0; i < p->num_vdevs; i++) {
		const struct rproc_vdev *vdev = &p->vdevs[i];
		const struct rproc_mem *mine[RPROC_MAX_VRINGS + 1] = {&vdev->bufs};

		for (j = 0; j < vdev->num_vrings; j++)
			mine[j + 1] = &vdev->vring[j].mem;
		for (j = 0; j <= vdev->num_vrings; j++) {
			m = rproc_vdev_mem_find(p, mine[j]->da, mine[j]->len, mine[j]);
			if (m)
				return rproc_fail(p, -AMP_EINVAL,
						  "%s (da 0x%llx, 0x%zx bytes) overlaps %s (da 0x%llx, "
						  "0x%zx bytes)",
						  mine[j]->name, (unsigned long long)mine[j]->da,
						  mine[j]->len, m->name, (unsigned long long)m->da,
						  m->len);
		}
	}
	if (p->cached_table && p->table_da != FW_RSC_ADDR_ANY) {
		m = rproc_host_mem_find(p, p->table_da, p->table_size);
		if (m)
			return rproc_fail(p, -AMP_EINVAL,
					  "the resource table (da 0x%llx, 0x%zx bytes) overlaps %s (da "
					  "0x%llx, 0x%zx bytes), memory the host allocated",
					  (unsigned long long)p->table_da, p->table_size, m->name,
					  (unsigned long long)m->da, m->len);
	}
	for (i = 0; i < p->num_traces; i++) {
		const struct rproc_trace *t = &p->traces[i];

		m = rproc_host_mem_find(p, t->da, t->len);
		if (m)
			return rproc_fail(p, -AMP_EINVAL,
					  "resource %u: trace \"%s\" (da 0x%llx, len 0x%zx) overlaps %s "
					  "(da 0x%llx, 0x%zx bytes)",
					  t->rsc_index, t->name, (unsigned long long)t->da, t->len,
					  m->name, (unsigned long long)m->da, m->len);
		if (p->cached_table && p->table_da != FW_RSC_ADDR_ANY &&
		    amp_ranges_overlap(t->da, t->len, p->table_da, p->table_size))
			return rproc_fail(p, -AMP_EINVAL,
					  "resource %u: trace \"%s\" (da 0x%llx, len 0x%zx) overlaps "
					  "the resource table (da 0x%llx, 0x%zx bytes)",
					  t->rsc_index, t->name, (unsigned long long)t->da, t->len,
					  (unsigned long long)p->table_da, p->table_size);
	}
	return 0;
}

int rproc_handle_resources(struct rproc_private *p)
{
	struct rsc_entry e;
	unsigned int i;
	int ret = 0;

	p->next_notifyid = 0;
	rproc_reap_held_bufs(p, false);
	if (!p->cached_table)
		return 0;
	for (i = 0; !ret && rsc_table_entry(p->cached_table, p->table_size, i, &e) == 0; i++) {
		void *body = (void *)(uintptr_t)e.body;

		switch (e.type) {
		case RSC_CARVEOUT:
			ret = rproc_handle_carveout(p, body, i);
			break;
		case RSC_DEVMEM:
			ret = rproc_handle_devmem(p, body, i);
			break;
		case RSC_TRACE:
			ret = rproc_handle_trace(p, body, i);
			break;
		case RSC_VDEV:
			ret = rproc_handle_vdev(p, body, e.offset, i);
			break;
		default:
			if (e.type >= RSC_VENDOR_START && e.type <= RSC_VENDOR_END)
				ret = rproc_handle_vendor(p, e.type, body, e.offset, e.avail, i);
			else
				amp_log(AMP_LOG_WARN,
					"%s: firmware %s: resource %u: unknown type %u: skipped",
					p->name, p->firmware, i, e.type);
		}
	}
	for (i = 0; !ret && i < p->num_vdevs; i++)
		ret = rproc_vdev_buffers(p, &p->vdevs[i]);
	if (!ret)
		ret = rproc_check_placement(p);
	return ret;
}

void rproc_release_resources(struct rproc_private *p)
{
	unsigned int i, j;

	for (i = 0; i < p->num_vdevs; i++) {
		for (j = 0; j < p->vdevs[i].num_vrings; j++)
			rproc_mem_put(p, &p->vdevs[i].vring[j].mem);
		/* Memory a driver still holds stays allocated until it is released. */
		if (!rproc_take_held_bufs(p, &p->vdevs[i]))
			rproc_mem_put(p, &p->vdevs[i].bufs);
		free(p->vdevs[i].hold);
	}
	rproc_reap_held_bufs(p, false);
	/* rproc_vq_interrupt() walks the array under notify_lock only, rproc_vdevs_going()
	 * under going_lock only. */
	amp_mutex_lock(&p->notify_lock);
	amp_mutex_lock(&p->going_lock);
	free(p->vdevs);
	p->vdevs = NULL;
	p->num_vdevs = 0;
	amp_mutex_unlock(&p->going_lock);
	amp_mutex_unlock(&p->notify_lock);
	for (i = 0; i < p->num_carveouts; i++)
		rproc_mem_put(p, &p->carveouts[i]);
	free(p->carveouts);
	p->carveouts = NULL;
	p->num_carveouts = 0;
	free(p->traces);
	p->traces = NULL;
	p->num_traces = 0;
	free(p->cached_table);
	free(p->clean_table);
	p->cached_table = p->clean_table = p->table_ptr = NULL;
	p->table_size = 0;
	p->num_segments = 0;
	p->rproc->table_da = FW_RSC_ADDR_ANY;
}

int rproc_install_loaded_table(struct rproc_private *p)
{
	void *live;

	if (!p->cached_table) {
		p->table_ptr = NULL;
		return 0;
	}
	live = p->ops->da_to_va(p->rproc, p->table_da, p->table_size);
	if (!live)
		return rproc_fail(p, -AMP_EINVAL,
				  "the resource table's place in device memory (da 0x%llx, 0x%zx "
				  "bytes) is not mapped",
				  (unsigned long long)p->table_da, p->table_size);
	memcpy(live, p->cached_table, p->table_size);
	p->table_ptr = live;
	p->rproc->table_da = p->table_da;
	return 0;
}

/* Copy the text of trace buffer @t (up to the first NUL within its length) into a new string. */
static char *rproc_trace_text(struct rproc_private *p, const struct rproc_trace *t, size_t *len)
{
	const char *src = p->ops->da_to_va(p->rproc, t->da, t->len);
	char *text;
	size_t n;

	if (!src)
		return NULL;
	n = 0;
	/* The remote writes this buffer while we read it: one volatile pass, bounded by len. */
	text = malloc(t->len + 1);
	if (!text)
		return NULL;
	while (n < t->len) {
		char c = ((const volatile char *)src)[n];

		if (!c)
			break;
		text[n++] = c;
	}
	text[n] = '\0';
	*len = n;
	return text;
}

static void rproc_free_trace_texts(struct rproc_last_trace **texts, unsigned int *num)
{
	unsigned int i;

	for (i = 0; i < *num; i++)
		free((*texts)[i].text);
	free(*texts);
	*texts = NULL;
	*num = 0;
}

void rproc_free_last_traces(struct rproc_private *p, bool crash)
{
	rproc_free_trace_texts(&p->last_traces, &p->num_last_traces);
	if (crash)
		rproc_free_trace_texts(&p->crash_traces, &p->num_crash_traces);
}

/*
 * The text of every trace buffer as the core goes down, for rproc_trace_read() until the next
 * run; a crash's is kept apart as well, for as long as no other crash replaces it: a recovery
 * starts a new run at once, and what the firmware said last before dying is what a person
 * looks for.
 */
void rproc_save_traces(struct rproc_private *p)
{
	bool crashed = p->state == RPROC_CRASHED;
	unsigned int i;

	if (!p->num_traces)
		return;
	rproc_free_last_traces(p, crashed);
	p->last_traces = calloc(p->num_traces, sizeof(*p->last_traces));
	if (crashed)
		p->crash_traces = calloc(p->num_traces, sizeof(*p->crash_traces));
	if (!p->last_traces || (crashed && !p->crash_traces)) {
		free(p->last_traces);
		free(p->crash_traces);
		p->last_traces = p->crash_traces = NULL;
		return;
	}
	p->num_last_traces = p->num_traces;
	if (crashed)
		p->num_crash_traces = p->num_traces;
	for (i = 0; i < p->num_traces; i++) {
		struct rproc_last_trace *t = &p->last_traces[i];

		t->text = rproc_trace_text(p, &p->traces[i], &t->len);
		if (crashed && t->text && (p->crash_traces[i].text = strdup(t->text)))
			p->crash_traces[i].len = t->len;
	}
}

int rproc_trace_read(struct rproc *rproc, unsigned int index, char *buf, size_t len)
{
	struct rproc_private *p = rproc_p(rproc);
	const char *text = NULL;
	char *live = NULL;
	size_t n = 0;
	int ret;

	if (!buf || !len)
		return -AMP_EINVAL;
	amp_mutex_lock(&p->lock);
	if (p->state == RPROC_DELETED) {
		ret = -AMP_ENODEV;
		goto out;
	}
	if (index & RPROC_TRACE_CRASH) {
		index &= ~RPROC_TRACE_CRASH;
		if (index < p->num_crash_traces && p->crash_traces[index].text) {
			text = p->crash_traces[index].text;
			n = p->crash_traces[index].len;
		}
	} else if ((p->state == RPROC_RUNNING || p->state == RPROC_ATTACHED) &&
		   index < p->num_traces) {
		live = rproc_trace_text(p, &p->traces[index], &n);
		text = live;
	} else if (index < p->num_last_traces && p->last_traces[index].text) {
		text = p->last_traces[index].text;
		n = p->last_traces[index].len;
	}
	if (!text) {
		ret = -AMP_ENOENT;
		goto out;
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	ret = (int)n;
out:
	amp_mutex_unlock(&p->lock);
	free(live);
	return ret;
}
