/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Declaring a resource table in firmware: the usual one (an rpmsg vdev with two vrings and a
 * trace buffer), laid out field by field and checked at compile time against the wire structs.
 */
#ifndef AMP_FW_RSC_H
#define AMP_FW_RSC_H

#include <stddef.h>
#include <stdint.h>

#include <amp/wire/rpmsg.h>
#include <amp/wire/rsc_table.h>
#include <amp/wire/vring.h>

/*
 * struct amp_fw_rsc_rpmsg_trace - header, offsets, the rpmsg vdev, then the trace entry. The vdev
 * body is spelled out (struct fw_rsc_vdev ends in a flexible array, which cannot be embedded);
 * the asserts below hold it to the wire struct.
 */
struct amp_fw_rsc_rpmsg_trace {
	uint32_t ver, num, reserved[2];
	uint32_t offset[2];
	uint32_t vdev_type;
	struct {
		uint32_t id, notifyid, dfeatures, gfeatures, config_len;
		uint8_t status, num_of_vrings, reserved[2];
	} AMP_PACKED vdev;
	struct fw_rsc_vdev_vring vring[2];
	uint32_t trace_type;
	struct fw_rsc_trace trace;
} AMP_PACKED;

AMP_STATIC_ASSERT(offsetof(struct amp_fw_rsc_rpmsg_trace, vdev_type) == 24,
		  "vdev entry right after the offsets");
AMP_STATIC_ASSERT(sizeof(((struct amp_fw_rsc_rpmsg_trace *)0)->vdev) ==
			  sizeof(struct fw_rsc_vdev),
		  "the vdev body as the wire struct lays it out");
AMP_STATIC_ASSERT(offsetof(struct amp_fw_rsc_rpmsg_trace, vdev.status) - 28 ==
			  offsetof(struct fw_rsc_vdev, status),
		  "vdev status where the wire struct has it");
AMP_STATIC_ASSERT(offsetof(struct amp_fw_rsc_rpmsg_trace, vring) ==
			  24 + 4 + sizeof(struct fw_rsc_vdev),
		  "vrings right after the vdev body");
AMP_STATIC_ASSERT(offsetof(struct amp_fw_rsc_rpmsg_trace, trace_type) == 24 + 68,
		  "an rpmsg vdev with two vrings is 68 bytes");
AMP_STATIC_ASSERT(sizeof(struct amp_fw_rsc_rpmsg_trace) == 24 + 68 + 48,
		  "a trace entry is 48 bytes");

/*
 * AMP_FW_RSC_TABLE_RPMSG_TRACE(sym, vring_num, trace_da, trace_len) - define @sym in
 * ".resource_table": rpmsg with the name service and EVENT_IDX offered, two vrings of
 * @vring_num descriptors (power of two) placed by the host, and a trace buffer.
 */
#define AMP_FW_RSC_TABLE_RPMSG_TRACE(sym, vring_num, trace_da, trace_len)                         \
	AMP_STATIC_ASSERT(((vring_num) & ((vring_num)-1)) == 0 && (vring_num) > 0,                \
			  "vring_num must be a power of two");                                     \
	__attribute__((section(".resource_table"), used, aligned(8)))                              \
	struct amp_fw_rsc_rpmsg_trace sym = {                                                      \
		.ver = 1,                                                                          \
		.num = 2,                                                                          \
		.offset = {offsetof(struct amp_fw_rsc_rpmsg_trace, vdev_type),                     \
			   offsetof(struct amp_fw_rsc_rpmsg_trace, trace_type)},                   \
		.vdev_type = RSC_VDEV,                                                             \
		.vdev = {.id = VIRTIO_ID_RPMSG,                                                    \
			 .dfeatures = (1u << VIRTIO_RPMSG_F_NS) | (1u << VIRTIO_RING_F_EVENT_IDX), \
			 .num_of_vrings = 2},                                                      \
		.vring = {{FW_RSC_ADDR_ANY, 4096, (vring_num), 0, 0},                              \
			  {FW_RSC_ADDR_ANY, 4096, (vring_num), 0, 0}},                             \
		.trace_type = RSC_TRACE,                                                           \
		.trace = {.da = (trace_da), .len = (trace_len), .name = "trace0"},                 \
	}

#endif /* AMP_FW_RSC_H */
