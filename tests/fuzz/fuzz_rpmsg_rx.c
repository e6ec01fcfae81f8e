/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the host's rpmsg receive path (headers, name service, channel creation and
 * removal, delivery) with the fuzzer as the remote. The input is a list of messages, each a
 * little-endian u16 "used length" followed by up to 512 bytes written into a host receive buffer
 * (header included). A driver bound to channels named "fuzz-echo" answers each message, so the
 * transmit path runs too. Test layer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <amp/log.h>
#include <amp/rpmsg.h>
#include <amp/virtqueue.h>
#include <amp/wire/vring.h>

#define NUM 16u
#define RING_LEN 4096u
#define MEM_LEN (2 * RING_LEN + 2 * NUM * 512)

static uint8_t *mem;

static int fuzz_probe(struct rpmsg_channel *rpdev)
{
	rpmsg_trysend(rpdev, "hi", 2); /* may find no buffer: fine */
	return 0;
}

static void fuzz_cb(struct rpmsg_channel *rpdev, void *data, int len, void *priv, u32 src)
{
	(void)priv;
	if (len < 0 || len > 496)
		abort(); /* the bus promised a checked length */
	rpmsg_trysendto(rpdev, data, len, src);
}

static const struct rpmsg_device_id fuzz_ids[] = {{"fuzz-echo"}, {""}};
static struct rpmsg_driver fuzz_drv = {
	.name = "fuzz", .id_table = fuzz_ids, .probe = fuzz_probe, .callback = fuzz_cb};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int registered;
	struct rpmsg_virtio_config cfg = {0};
	struct rpmsg_virtio_device *rvdev;
	struct virtqueue_desc_state st[NUM];
	struct virtqueue dev;
	struct virtqueue_config vc = {.role = VIRTQUEUE_DEVICE, .num = NUM, .align = 16,
				      .ring_len = RING_LEN, .state = st, .event_idx = true};
	size_t pos = 0;

	if (!registered) {
		/* Every bad input is logged by design; the fuzzer would spend its time printing. */
		amp_log_set_level(AMP_LOG_ERR - 1);
		register_rpmsg_driver(&fuzz_drv);
		registered = 1;
	}
	if (!mem && posix_memalign((void **)&mem, 4096, MEM_LEN))
		return 0;
	memset(mem, 0, MEM_LEN);
	cfg.name = "fuzz";
	cfg.vring_va[0] = mem;
	cfg.vring_va[1] = mem + RING_LEN;
	cfg.vring_num[0] = cfg.vring_num[1] = NUM;
	cfg.vring_align[0] = cfg.vring_align[1] = 16;
	cfg.vring_len[0] = cfg.vring_len[1] = RING_LEN;
	cfg.buf_va = mem + 2 * RING_LEN;
	cfg.buf_da = 2 * RING_LEN;
	cfg.buf_len = 2 * NUM * 512;
	cfg.buf_size = 512;
	cfg.num_bufs = 2 * NUM;
	cfg.features = (1u << VIRTIO_RPMSG_F_NS) | (1u << VIRTIO_RING_F_EVENT_IDX);
	if (rpmsg_virtio_add(&cfg, &rvdev))
		abort();
	vc.ring = mem;
	if (virtqueue_init(&dev, &vc))
		abort();

	while (pos + 2 <= size) {
		uint16_t used = (uint16_t)(data[pos] | data[pos + 1] << 8);
		size_t n = size - pos - 2 < 512 ? size - pos - 2 : 512;
		struct virtqueue_buf b;
		uint16_t head;

		pos += 2;
		if (virtqueue_get_avail_buf(&dev, &b, 1, &head) != 1)
			break;
		if (b.addr > MEM_LEN || b.len > MEM_LEN - b.addr)
			abort(); /* the host posted a buffer outside its pool */
		if (n > b.len)
			n = b.len;
		/* A short message, unless the length byte says otherwise. */
		if (n > 16u + (used & 0x1ff))
			n = 16u + (used & 0x1ff);
		memcpy(mem + b.addr, data + pos, n);
		pos += n;
		virtqueue_add_used_buf(&dev, head, used);
		rpmsg_virtio_notify(rvdev, 0);
		/* Give back what the host sent, as a remote would. */
		rpmsg_virtio_notify(rvdev, 1);
	}
	rpmsg_virtio_remove(rvdev);
	return 0;
}
