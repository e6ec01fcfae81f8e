/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg-offload firmware: the seed's "offload cpu-intensive tasks" case. The host sends work
 * (a CRC-32 over a block carried in the message, or over a range of a shared carveout the host
 * filled), the core computes it and answers. Requests are checked like any input from another
 * side: a bad one gets an error reply, never a fault. Sample firmware; protocol in offload.h.
 */
#include <stdint.h>

#include <amp-fw/hal.h>
#include <amp-fw/rpmsg.h>
#include <amp-fw/rsc.h>
#include <amp-fw/trace.h>

#include "offload.h"

#define NUM_VRING 64

AMP_FW_RSC_TABLE_RPMSG_TRACE_CARVEOUT(resource_table, NUM_VRING, AMP_FW_TRACE_DA,
				      AMP_FW_TRACE_LEN, OFFLOAD_CARVEOUT, FW_RSC_ADDR_ANY,
				      OFFLOAD_CARVEOUT_LEN);

AMP_FW_RPMSG_DEVICE(rdev, NUM_VRING, 8);
static struct rpmsg_remote_ept ept;
static uint32_t crc_table[256];
static const uint8_t *carveout;
static uint32_t carveout_len;

static void crc32_init(void)
{
	uint32_t i, k, c;

	for (i = 0; i < 256; i++) {
		for (c = i, k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
		crc_table[i] = c;
	}
}

static uint32_t crc32(const uint8_t *p, uint32_t len)
{
	uint32_t c = 0xFFFFFFFFu;

	while (len--)
		c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	return ~c;
}

static uint32_t sum16(const uint8_t *p, uint32_t len)
{
	uint32_t s = 0, i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
	return s;
}

/* [offset, offset + len) inside the carveout, without overflow. */
static const uint8_t *carveout_range(uint32_t offset, uint32_t len)
{
	if (!carveout || offset > carveout_len || len > carveout_len - offset)
		return 0;
	return carveout + offset;
}

static void offload_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		       void *priv)
{
	struct offload_req req;
	struct offload_resp resp = {0};
	const uint8_t *range;

	(void)priv;
	if (len < sizeof(req)) {
		resp.status = -22;
		goto reply;
	}
	__builtin_memcpy(&req, data, sizeof(req)); /* the buffer is not aligned for us */
	resp.op = req.op;
	resp.tag = req.tag;
	switch (req.op) {
	case OFFLOAD_CRC32:
		if (req.len != len - sizeof(req)) {
			resp.status = -22;
			break;
		}
		resp.result = crc32((const uint8_t *)data + sizeof(req), req.len);
		break;
	case OFFLOAD_CRC32_CARVEOUT:
	case OFFLOAD_SUM16:
		range = carveout_range(req.offset, req.len);
		if (!range) {
			resp.status = -34;
			break;
		}
		if (req.op == OFFLOAD_SUM16 && (req.len & 1)) {
			resp.status = -22;
			break;
		}
		resp.result = req.op == OFFLOAD_CRC32_CARVEOUT ? crc32(range, req.len)
							       : sum16(range, req.len);
		break;
	default:
		resp.status = -95;
		break;
	}
reply:
	amp_fw_rpmsg_send(e, src, &resp, sizeof(resp));
}

int main(void)
{
	int created = 0;

	crc32_init();
	carveout = amp_fw_carveout(OFFLOAD_CARVEOUT, &carveout_len);
	amp_fw_printf("rpmsg-offload firmware: carveout %s at %p, %u bytes\n", OFFLOAD_CARVEOUT,
		      (const void *)carveout, (unsigned int)carveout_len);
	if (rdev_init())
		return 1;
	for (;;) {
		if (rpmsg_remote_poll(&rdev) >= 0 && !created &&
		    rpmsg_remote_create_ept(&rdev, &ept, OFFLOAD_CHANNEL, OFFLOAD_ADDR, offload_cb,
					    0) == 0) {
			amp_fw_printf("announced %s at 0x%x\n", OFFLOAD_CHANNEL, OFFLOAD_ADDR);
			created = 1;
		}
		amp_fw_pet_watchdog();
		amp_fw_rpmsg_wait(&rdev);
	}
}
