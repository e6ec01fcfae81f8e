/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rpmsg protocol pieces both sides share: checking a received buffer's header and a
 * name-service message, writing headers, and the endpoint table (address -> endpoint, O(1),
 * in storage the caller provides). Portable: no OS, no allocation.
 */
#ifndef AMP_RPMSG_PROTO_H
#define AMP_RPMSG_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/rpmsg_remote.h>
#include <amp/wire/rpmsg.h>

/* A received message's header, copied once out of the buffer and checked. */
struct rpmsg_rx_msg {
	uint32_t src;
	uint32_t dst;
	uint16_t len;         /* payload bytes; 16 + len <= the used length <= buffer size */
	const uint8_t *data;  /* the payload, in the (shared) buffer */
};

/* rpmsg_proto.c */
/*
 * Check a buffer the other side returned with @used_len bytes written, of @buf_size bytes:
 * used_len <= buf_size, a whole header, payload within used_len. 0 or -EBADMSG.
 */
int rpmsg_rx_parse(const void *buf, uint32_t used_len, uint32_t buf_size, struct rpmsg_rx_msg *msg);

/* A name-service announcement, checked: exactly 40 bytes, name NUL-terminated within 32. */
struct rpmsg_ns_info {
	char name[RPMSG_NAME_SIZE];
	uint32_t addr;
	bool destroy;
};
int rpmsg_ns_parse(const void *data, uint32_t len, struct rpmsg_ns_info *ns);

/* Write a header for @len bytes of payload from @src to @dst (reserved and flags zero). */
void rpmsg_hdr_write(void *buf, uint32_t src, uint32_t dst, uint16_t len);
/* Write a name-service message; @name is truncated to 31 bytes and NUL-padded. */
void rpmsg_ns_write(void *buf, const char *name, uint32_t addr, bool destroy);

/*
 * The endpoint table: open addressing with linear probing over @cap slots (a power of two), kept
 * at most 3/4 full, deletion by backward shift (no tombstones), so lookups stay O(1) however
 * endpoints come and go.
 */
void rpmsg_ept_table_init(struct rpmsg_ept_table *t, struct rpmsg_ept_slot *slots, uint32_t cap);
void *rpmsg_ept_table_lookup(const struct rpmsg_ept_table *t, uint32_t addr);
/* 0; -EEXIST; -ENOSPC when 3/4 full (the host then grows it). */
int rpmsg_ept_table_insert(struct rpmsg_ept_table *t, uint32_t addr, void *ept);
/* Remove @addr; returns the endpoint it held, or NULL. */
void *rpmsg_ept_table_remove(struct rpmsg_ept_table *t, uint32_t addr);
/* A free address >= RPMSG_RESERVED_ADDRESSES, below 2^31; 0 and *addr set, or -ENOSPC. */
int rpmsg_ept_table_alloc_addr(struct rpmsg_ept_table *t, uint32_t *addr);
/* Whether the table must grow before another insert. */
bool rpmsg_ept_table_full(const struct rpmsg_ept_table *t);

#endif /* AMP_RPMSG_PROTO_H */
