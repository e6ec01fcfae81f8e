/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg wire format: the message header and the name-service message, as Linux's
 * drivers/rpmsg/virtio_rpmsg_bus.c and include/linux/rpmsg/ns.h lay them out. Multi-byte fields
 * are little-endian (see byteorder.h); use the amp_le*() accessors. Wire format only.
 */
#ifndef AMP_WIRE_RPMSG_H
#define AMP_WIRE_RPMSG_H

#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>

/* virtio feature bit: the remote offers (and the host accepts) the name service. */
#define VIRTIO_RPMSG_F_NS 0

/* Address of the name-service endpoint on both sides. */
#define RPMSG_NS_ADDR 53u
/* "Any address": asks for a dynamic one; never valid on the wire as a destination. */
#define RPMSG_ADDR_ANY 0xFFFFFFFFu
/* Addresses below this are for fixed services; dynamic ones start here. */
#define RPMSG_RESERVED_ADDRESSES 1024u

/* Length of channel names, NUL included. */
#define RPMSG_NAME_SIZE 32

/* Buffer geometry Linux uses, and what a Linux-style peer expects unless told otherwise. */
#define RPMSG_BUF_SIZE_DEFAULT 512u
#define RPMSG_NUM_BUFS_DEFAULT 512u

/*
 * struct rpmsg_hdr - the 16 bytes in front of every message
 * @src:      sender's endpoint address
 * @dst:      receiver's endpoint address
 * @reserved: senders write 0; receivers ignore it
 * @len:      payload bytes that follow
 * @flags:    senders write 0; receivers ignore it
 */
struct rpmsg_hdr {
	uint32_t src;
	uint32_t dst;
	uint32_t reserved;
	uint16_t len;
	uint16_t flags;
	uint8_t data[];
} AMP_PACKED;

enum rpmsg_ns_flags {
	RPMSG_NS_CREATE = 0,
	RPMSG_NS_DESTROY = 1,
};

/*
 * struct rpmsg_ns_msg - a name-service announcement, sent to RPMSG_NS_ADDR
 * @name:  service name, NUL-terminated within RPMSG_NAME_SIZE bytes
 * @addr:  the announcing endpoint's address
 * @flags: RPMSG_NS_CREATE or RPMSG_NS_DESTROY (Linux tests bit 0)
 */
struct rpmsg_ns_msg {
	char name[RPMSG_NAME_SIZE];
	uint32_t addr;
	uint32_t flags;
} AMP_PACKED;

AMP_STATIC_ASSERT(sizeof(struct rpmsg_hdr) == 16, "rpmsg_hdr is 16 bytes");
AMP_STATIC_ASSERT(offsetof(struct rpmsg_hdr, src) == 0, "rpmsg_hdr.src at 0");
AMP_STATIC_ASSERT(offsetof(struct rpmsg_hdr, dst) == 4, "rpmsg_hdr.dst at 4");
AMP_STATIC_ASSERT(offsetof(struct rpmsg_hdr, reserved) == 8, "rpmsg_hdr.reserved at 8");
AMP_STATIC_ASSERT(offsetof(struct rpmsg_hdr, len) == 12, "rpmsg_hdr.len at 12");
AMP_STATIC_ASSERT(offsetof(struct rpmsg_hdr, flags) == 14, "rpmsg_hdr.flags at 14");
AMP_STATIC_ASSERT(offsetof(struct rpmsg_hdr, data) == 16, "rpmsg_hdr.data at 16");
AMP_STATIC_ASSERT(sizeof(struct rpmsg_ns_msg) == 40, "rpmsg_ns_msg is 40 bytes");
AMP_STATIC_ASSERT(offsetof(struct rpmsg_ns_msg, addr) == 32, "rpmsg_ns_msg.addr at 32");
AMP_STATIC_ASSERT(offsetof(struct rpmsg_ns_msg, flags) == 36, "rpmsg_ns_msg.flags at 36");
AMP_STATIC_ASSERT(RPMSG_BUF_SIZE_DEFAULT - sizeof(struct rpmsg_hdr) == 496, "default MTU is 496");

#endif /* AMP_WIRE_RPMSG_H */
