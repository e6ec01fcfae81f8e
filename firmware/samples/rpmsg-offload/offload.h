/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rpmsg-offload protocol, shared by the firmware and the host programs that use it. All
 * fields are little-endian (both sides of the sim platform are). One request, one reply.
 */
#ifndef AMP_SAMPLE_OFFLOAD_H
#define AMP_SAMPLE_OFFLOAD_H

#include <stdint.h>

#define OFFLOAD_CHANNEL "rpmsg-offload"
#define OFFLOAD_ADDR 0x402u
/* The shared buffer the firmware asks for in its resource table. */
#define OFFLOAD_CARVEOUT "offload-buf"
#define OFFLOAD_CARVEOUT_LEN (256u << 10)

enum offload_op {
	OFFLOAD_CRC32 = 1,          /* CRC-32 (IEEE 802.3) of the bytes after the request header */
	OFFLOAD_CRC32_CARVEOUT = 2, /* ... of [offset, offset + len) of the carveout */
	OFFLOAD_SUM16 = 3,          /* sum of the little-endian 16-bit words in the carveout
				     * range, modulo 2^32 (len even) */
};

/* Host -> remote: @len is the inline data's length for OFFLOAD_CRC32. */
struct offload_req {
	uint32_t op;
	uint32_t tag;    /* echoed in the reply */
	uint32_t offset; /* in the carveout */
	uint32_t len;
} __attribute__((packed));

/* Remote -> host. @status: 0, or a negative errno (-22 EINVAL: bad request; -34 ERANGE: range
 * outside the carveout; -95 EOPNOTSUPP: unknown op). */
struct offload_resp {
	uint32_t op;
	uint32_t tag;
	int32_t status;
	uint32_t result;
} __attribute__((packed));

_Static_assert(sizeof(struct offload_req) == 16, "request header is 16 bytes");
_Static_assert(sizeof(struct offload_resp) == 16, "reply is 16 bytes");

#endif /* AMP_SAMPLE_OFFLOAD_H */
