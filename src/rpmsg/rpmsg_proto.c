/* SPDX-License-Identifier: BSD-3-Clause */
/* rpmsg header and name-service checks, and the endpoint table. Portable: no OS, no allocation. */
#include <amp/errno.h>
#include <amp/wire/byteorder.h>

#include "rpmsg/rpmsg_proto.h"
#include "util/amp_util.h"

int rpmsg_rx_parse(const void *buf, uint32_t used_len, uint32_t buf_size, struct rpmsg_rx_msg *msg)
{
	struct rpmsg_hdr hdr;
	uint16_t len;

	if (used_len > buf_size || used_len < sizeof(hdr))
		return -AMP_EBADMSG;
	/* One copy of the header: the remote may still be writing the buffer. */
	amp_memcpy(&hdr, buf, sizeof(hdr));
	len = amp_le16_to_cpu(hdr.len);
	if (len > used_len - sizeof(hdr))
		return -AMP_EBADMSG;
	msg->src = amp_le32_to_cpu(hdr.src);
	msg->dst = amp_le32_to_cpu(hdr.dst);
	msg->len = len;
	msg->data = (const uint8_t *)buf + sizeof(hdr);
	return 0;
}

int rpmsg_ns_parse(const void *data, uint32_t len, struct rpmsg_ns_info *ns)
{
	struct rpmsg_ns_msg m;

	if (len != sizeof(m))
		return -AMP_EBADMSG;
	amp_memcpy(&m, data, sizeof(m));
	if (amp_strnlen(m.name, RPMSG_NAME_SIZE) == RPMSG_NAME_SIZE || m.name[0] == '\0')
		return -AMP_EBADMSG;
	amp_memcpy(ns->name, m.name, RPMSG_NAME_SIZE);
	ns->addr = amp_le32_to_cpu(m.addr);
	/* Linux tests bit 0 only; other bits are reserved for extensions. */
	ns->destroy = (amp_le32_to_cpu(m.flags) & RPMSG_NS_DESTROY) != 0;
	return 0;
}

void rpmsg_hdr_write(void *buf, uint32_t src, uint32_t dst, uint16_t len)
{
	struct rpmsg_hdr hdr = {
		.src = amp_cpu_to_le32(src),
		.dst = amp_cpu_to_le32(dst),
		.reserved = 0,
		.len = amp_cpu_to_le16(len),
		.flags = 0,
	};

	amp_memcpy(buf, &hdr, sizeof(hdr));
}

void rpmsg_ns_write(void *buf, const char *name, uint32_t addr, bool destroy)
{
	struct rpmsg_ns_msg m;
	size_t n = amp_strnlen(name, RPMSG_NAME_SIZE - 1);

	amp_memset(&m, 0, sizeof(m));
	amp_memcpy(m.name, name, n);
	m.addr = amp_cpu_to_le32(addr);
	m.flags = amp_cpu_to_le32(destroy ? RPMSG_NS_DESTROY : RPMSG_NS_CREATE);
	amp_memcpy(buf, &m, sizeof(m));
}

/* --- the endpoint table ------------------------------------------------------------------ */

static uint32_t ept_hash(uint32_t addr, uint32_t mask)
{
	/* Fibonacci hashing: consecutive dynamic addresses spread over the table. */
	return (uint32_t)((addr * 2654435761u) >> 7) & mask;
}

void rpmsg_ept_table_init(struct rpmsg_ept_table *t, struct rpmsg_ept_slot *slots, uint32_t cap)
{
	t->slots = slots;
	t->cap = cap;
	t->count = 0;
	t->next_dynamic = RPMSG_RESERVED_ADDRESSES;
	amp_memset(slots, 0, sizeof(*slots) * cap);
}

void *rpmsg_ept_table_lookup(const struct rpmsg_ept_table *t, uint32_t addr)
{
	uint32_t mask = t->cap - 1, i = ept_hash(addr, mask);

	while (t->slots[i].ept) {
		if (t->slots[i].addr == addr)
			return t->slots[i].ept;
		i = (i + 1) & mask;
	}
	return NULL;
}

bool rpmsg_ept_table_full(const struct rpmsg_ept_table *t)
{
	return (t->count + 1) * 4 > t->cap * 3;
}

int rpmsg_ept_table_insert(struct rpmsg_ept_table *t, uint32_t addr, void *ept)
{
	uint32_t mask = t->cap - 1, i = ept_hash(addr, mask);

	if (rpmsg_ept_table_full(t))
		return -AMP_ENOSPC;
	while (t->slots[i].ept) {
		if (t->slots[i].addr == addr)
			return -AMP_EEXIST;
		i = (i + 1) & mask;
	}
	t->slots[i].addr = addr;
	t->slots[i].ept = ept;
	t->count++;
	return 0;
}

void *rpmsg_ept_table_remove(struct rpmsg_ept_table *t, uint32_t addr)
{
	uint32_t mask = t->cap - 1, i = ept_hash(addr, mask), j;
	void *ept;

	while (t->slots[i].ept && t->slots[i].addr != addr)
		i = (i + 1) & mask;
	if (!t->slots[i].ept)
		return NULL;
	ept = t->slots[i].ept;
	t->slots[i].ept = NULL;
	t->count--;
	/* Backward shift: move later entries of the probe run into the hole when their home
	 * slot does not lie cyclically in (hole, j]. */
	for (j = (i + 1) & mask; t->slots[j].ept; j = (j + 1) & mask) {
		uint32_t home = ept_hash(t->slots[j].addr, mask);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			t->slots[j].ept = NULL;
			i = j;
		}
	}
	return ept;
}

int rpmsg_ept_table_alloc_addr(struct rpmsg_ept_table *t, uint32_t *addr)
{
	uint32_t a = t->next_dynamic, tries;

	/* The table holds fewer than cap entries, so at most cap + 1 probes find a free one. */
	for (tries = 0; tries <= t->cap; tries++) {
		if (a >= 0x80000000u || a < RPMSG_RESERVED_ADDRESSES)
			a = RPMSG_RESERVED_ADDRESSES;
		if (!rpmsg_ept_table_lookup(t, a)) {
			*addr = a;
			t->next_dynamic = a + 1;
			return 0;
		}
		a++;
	}
	return -AMP_ENOSPC;
}
