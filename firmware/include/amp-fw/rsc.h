/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Declaring a resource table in firmware: the usual one (an rpmsg vdev with two vrings and a
 * trace buffer), laid out field by field and checked at compile time against the wire structs.
 */
#ifndef AMP_FW_RSC_H
#define AMP_FW_RSC_H

#include <stddef.h>
#include <stdint.h>

#include <amp/rpmsg_remote.h>
#include <amp/wire/rpmsg.h>
#include <amp/wire/rsc_table.h>
#include <amp/wire/vring.h>

/*
 * struct amp_fw_rsc_rpmsg_body - the entries every table here starts with: the rpmsg vdev, then
 * the trace entry. The vdev body is spelled out (struct fw_rsc_vdev ends in a flexible array,
 * which cannot be embedded); the asserts below hold it to the wire struct.
 */
struct amp_fw_rsc_rpmsg_body {
	uint32_t vdev_type;
	struct {
		uint32_t id, notifyid, dfeatures, gfeatures, config_len;
		uint8_t status, num_of_vrings, reserved[2];
	} AMP_PACKED vdev;
	struct fw_rsc_vdev_vring vring[2];
	uint32_t trace_type;
	struct fw_rsc_trace trace;
} AMP_PACKED;

AMP_STATIC_ASSERT(sizeof(((struct amp_fw_rsc_rpmsg_body *)0)->vdev) == sizeof(struct fw_rsc_vdev),
		  "the vdev body as the wire struct lays it out");
AMP_STATIC_ASSERT(offsetof(struct amp_fw_rsc_rpmsg_body, vdev.status) - 4 ==
			  offsetof(struct fw_rsc_vdev, status),
		  "vdev status where the wire struct has it");
AMP_STATIC_ASSERT(offsetof(struct amp_fw_rsc_rpmsg_body, vring) == 4 + sizeof(struct fw_rsc_vdev),
		  "vrings right after the vdev body");
AMP_STATIC_ASSERT(offsetof(struct amp_fw_rsc_rpmsg_body, trace_type) == 68,
		  "an rpmsg vdev with two vrings is 68 bytes");
AMP_STATIC_ASSERT(sizeof(struct amp_fw_rsc_rpmsg_body) == 68 + 48, "a trace entry is 48 bytes");

/* rpmsg vdev and trace buffer. */
struct amp_fw_rsc_rpmsg_trace {
	uint32_t ver, num, reserved[2];
	uint32_t offset[2];
	struct amp_fw_rsc_rpmsg_body rpmsg;
} AMP_PACKED;

AMP_STATIC_ASSERT(offsetof(struct amp_fw_rsc_rpmsg_trace, rpmsg) == 24,
		  "vdev entry right after the offsets");

/* rpmsg vdev, trace buffer, and one carveout (memory the firmware asks the host for). */
struct amp_fw_rsc_rpmsg_trace_carveout {
	uint32_t ver, num, reserved[2];
	uint32_t offset[3];
	struct amp_fw_rsc_rpmsg_body rpmsg;
	uint32_t carveout_type;
	struct fw_rsc_carveout carveout;
} AMP_PACKED;

AMP_STATIC_ASSERT(offsetof(struct amp_fw_rsc_rpmsg_trace_carveout, rpmsg) == 28,
		  "vdev entry right after the offsets");
AMP_STATIC_ASSERT(sizeof(struct amp_fw_rsc_rpmsg_trace_carveout) == 28 + 116 + 4 + 52,
		  "a carveout entry is 52 bytes");

/*
 * The virtio features the rpmsg vdev offers, a per-device choice (the remote side honours any
 * subset of RPMSG_REMOTE_FEATURES, and uses what the host accepts of it):
 * - AMP_FW_RPMSG_F_DEFAULT: the name service and event indexes (VIRTIO_RING_F_EVENT_IDX), for
 *   hosts whose rings implement them: Linux's and ours.
 * - AMP_FW_RPMSG_F_OPENAMP: the name service only, for OpenAMP's host, which accepts every
 *   feature offered but whose rings never use event indexes (a remote that did would stop
 *   kicking it). Linux's and our hosts work with it too, with a few more kicks.
 */
#define AMP_FW_RPMSG_F_DEFAULT RPMSG_REMOTE_FEATURES
#define AMP_FW_RPMSG_F_OPENAMP (1u << VIRTIO_RPMSG_F_NS)

/* The body: rpmsg offering @features, two host-placed vrings. */
#define AMP_FW_RSC_RPMSG_BODY_INIT(features, vring_num, trace_da, trace_len)                      \
	{                                                                                          \
		.vdev_type = RSC_VDEV,                                                             \
		.vdev = {.id = VIRTIO_ID_RPMSG, .dfeatures = (features), .num_of_vrings = 2},      \
		.vring = {{FW_RSC_ADDR_ANY, 4096, (vring_num), 0, 0},                              \
			  {FW_RSC_ADDR_ANY, 4096, (vring_num), 0, 0}},                             \
		.trace_type = RSC_TRACE,                                                           \
		.trace = {.da = (trace_da), .len = (trace_len), .name = "trace0"},                 \
	}

#define AMP_FW_RSC_CHECK_VRING_NUM(vring_num)                                                      \
	AMP_STATIC_ASSERT(((vring_num) & ((vring_num)-1)) == 0 && (vring_num) > 0 &&              \
				  (vring_num) <= 32768,                                            \
			  "vring_num must be a power of two, at most 32768")

#define AMP_FW_RSC_CHECK_FEATURES(features)                                                        \
	AMP_STATIC_ASSERT(((features) & ~RPMSG_REMOTE_FEATURES) == 0,                              \
			  "rpmsg features: what the remote side implements (the name service, EVENT_IDX)")

/*
 * AMP_FW_RSC_TABLE_RPMSG_TRACE_F(sym, features, vring_num, trace_da, trace_len) - define @sym
 * in ".resource_table": rpmsg offering @features (AMP_FW_RPMSG_F_*), two vrings of @vring_num
 * descriptors (power of two) placed by the host, and a trace buffer.
 */
#define AMP_FW_RSC_TABLE_RPMSG_TRACE_F(sym, features, vring_num, trace_da, trace_len)             \
	AMP_FW_RSC_CHECK_FEATURES(features);                                                       \
	AMP_FW_RSC_CHECK_VRING_NUM(vring_num);                                                     \
	__attribute__((section(".resource_table"), used, aligned(8)))                              \
	struct amp_fw_rsc_rpmsg_trace sym = {                                                      \
		.ver = 1,                                                                          \
		.num = 2,                                                                          \
		.offset = {offsetof(struct amp_fw_rsc_rpmsg_trace, rpmsg.vdev_type),               \
			   offsetof(struct amp_fw_rsc_rpmsg_trace, rpmsg.trace_type)},             \
		.rpmsg = AMP_FW_RSC_RPMSG_BODY_INIT(features, vring_num, trace_da, trace_len),     \
	}

/* AMP_FW_RSC_TABLE_RPMSG_TRACE(sym, vring_num, trace_da, trace_len) - the table above,
 * offering AMP_FW_RPMSG_F_DEFAULT. */
#define AMP_FW_RSC_TABLE_RPMSG_TRACE(sym, vring_num, trace_da, trace_len)                         \
	AMP_FW_RSC_TABLE_RPMSG_TRACE_F(sym, AMP_FW_RPMSG_F_DEFAULT, vring_num, trace_da, trace_len)

/*
 * AMP_FW_RSC_TABLE_RPMSG_TRACE_CARVEOUT_F(sym, features, vring_num, trace_da, trace_len,
 * co_name, co_da, co_len) - the table above plus a carveout of @co_len bytes named @co_name (a
 * string literal of at most 31 characters), at device address @co_da or, with FW_RSC_ADDR_ANY,
 * wherever the host puts it (it writes the address back: find it with amp_fw_carveout()).
 */
#define AMP_FW_RSC_TABLE_RPMSG_TRACE_CARVEOUT_F(sym, features, vring_num, trace_da, trace_len,     \
						co_name, co_da, co_len)                            \
	AMP_FW_RSC_CHECK_FEATURES(features);                                                       \
	AMP_FW_RSC_CHECK_VRING_NUM(vring_num);                                                     \
	AMP_STATIC_ASSERT(sizeof(co_name) <= 32, "a resource name has at most 31 characters");    \
	AMP_STATIC_ASSERT((co_len) > 0, "an empty carveout");                                     \
	__attribute__((section(".resource_table"), used, aligned(8)))                              \
	struct amp_fw_rsc_rpmsg_trace_carveout sym = {                                             \
		.ver = 1,                                                                          \
		.num = 3,                                                                          \
		.offset = {offsetof(struct amp_fw_rsc_rpmsg_trace_carveout, rpmsg.vdev_type),      \
			   offsetof(struct amp_fw_rsc_rpmsg_trace_carveout, rpmsg.trace_type),     \
			   offsetof(struct amp_fw_rsc_rpmsg_trace_carveout, carveout_type)},       \
		.rpmsg = AMP_FW_RSC_RPMSG_BODY_INIT(features, vring_num, trace_da, trace_len),     \
		.carveout_type = RSC_CARVEOUT,                                                     \
		.carveout = {.da = (co_da), .pa = FW_RSC_ADDR_ANY, .len = (co_len),                \
			     .name = co_name},                                                     \
	}

/* AMP_FW_RSC_TABLE_RPMSG_TRACE_CARVEOUT(sym, vring_num, trace_da, trace_len, co_name, co_da,
 * co_len) - the table above, offering AMP_FW_RPMSG_F_DEFAULT. */
#define AMP_FW_RSC_TABLE_RPMSG_TRACE_CARVEOUT(sym, vring_num, trace_da, trace_len, co_name, co_da, \
					      co_len)                                              \
	AMP_FW_RSC_TABLE_RPMSG_TRACE_CARVEOUT_F(sym, AMP_FW_RPMSG_F_DEFAULT, vring_num, trace_da,  \
						trace_len, co_name, co_da, co_len)

/*
 * amp_fw_carveout() - the carveout named @name in the loaded resource table (where the host put
 * it), with its length in *@len. Returns a pointer to it, or NULL if there is none or it is not
 * in this core's memory.
 */
void *amp_fw_carveout(const char *name, uint32_t *len);

#endif /* AMP_FW_RSC_H */
