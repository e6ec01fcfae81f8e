/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Explicit little-endian accessors for wire fields.
 *
 * rpmsg over remoteproc is "legacy" virtio: the rings and rpmsg headers use the host's byte
 * order, and every host that runs remoteproc in practice is little-endian. We encode
 * little-endian explicitly (the virtio 1.0 rule) and refuse to build for a big-endian target
 * rather than silently speaking a byte order no peer expects.
 */
#ifndef AMP_WIRE_BYTEORDER_H
#define AMP_WIRE_BYTEORDER_H

#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "AMP speaks little-endian virtio/rpmsg; a big-endian legacy mode has not been added"
#endif

static inline uint16_t amp_le16_to_cpu(uint16_t v)
{
	return v;
}

static inline uint32_t amp_le32_to_cpu(uint32_t v)
{
	return v;
}

static inline uint64_t amp_le64_to_cpu(uint64_t v)
{
	return v;
}

static inline uint16_t amp_cpu_to_le16(uint16_t v)
{
	return v;
}

static inline uint32_t amp_cpu_to_le32(uint32_t v)
{
	return v;
}

static inline uint64_t amp_cpu_to_le64(uint64_t v)
{
	return v;
}

#endif /* AMP_WIRE_BYTEORDER_H */
