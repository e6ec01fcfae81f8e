/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: a driver-role and a device-role queue over one ring, driven by a script from the
 * input, with the fuzzer writing raw bytes into the shared ring between operations, as a hostile
 * other side would. Neither role may crash, hang, write outside the ring (it is allocated at its
 * exact size so ASan sees one byte past it), hand back a token it was not given, or hand one back
 * twice. Test layer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/virtqueue.h>

#define MAX_NUM 64

struct script {
	const uint8_t *data;
	size_t size, pos;
};

static uint8_t next8(struct script *s)
{
	return s->pos < s->size ? s->data[s->pos++] : 0;
}

static uint16_t next16(struct script *s)
{
	return (uint16_t)(next8(s) | next8(s) << 8);
}

static void check(bool cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script s = {data, size, 0};
	unsigned int num = 1u << (next8(&s) % 7); /* 1..64 */
	uint8_t mode = next8(&s);
	unsigned int align = (mode & 2) ? 4096 : (mode & 4) ? 4 : 16;
	size_t len = vring_size(num, align);
	struct virtqueue_desc_state drv_st[MAX_NUM], dev_st[MAX_NUM];
	struct virtqueue drv, dev;
	/* token i is &tokens[i]; outstanding[i] says it was added and not returned yet */
	static uint8_t tokens[1024];
	bool outstanding[1024] = {0};
	unsigned int next_token = 0, steps = 0;
	uint16_t held[MAX_NUM];
	unsigned int nheld = 0;
	struct virtqueue_config cfg = {.num = num, .align = align, .ring_len = len,
				       .event_idx = mode & 1};
	void *ring = NULL;

	if (posix_memalign(&ring, 16, len))
		return 0;
	cfg.ring = ring;
	cfg.role = VIRTQUEUE_DRIVER;
	cfg.state = drv_st;
	check(virtqueue_init(&drv, &cfg) == 0);
	cfg.role = VIRTQUEUE_DEVICE;
	cfg.state = dev_st;
	check(virtqueue_init(&dev, &cfg) == 0);

	while (s.pos < s.size && steps++ < 4096) {
		uint8_t op = next8(&s);

		switch (op % 8) {
		case 0: { /* driver posts a chain */
			struct virtqueue_sg sg[4];
			unsigned int out = next8(&s) % 3, in = next8(&s) % 3, i;

			for (i = 0; i < out + in; i++)
				sg[i] = (struct virtqueue_sg){next16(&s), next16(&s)};
			if (next_token < 1024 &&
			    virtqueue_add_sgs(&drv, sg, out, in, &tokens[next_token]) == 0)
				outstanding[next_token++] = true;
			break;
		}
		case 1: { /* driver takes a used buffer */
			void *tok;
			uint32_t ulen;
			int ret = virtqueue_get_buf(&drv, &tok, &ulen);

			if (ret == 1) {
				size_t t = (size_t)((uint8_t *)tok - tokens);

				check(t < next_token && outstanding[t]);
				outstanding[t] = false;
			} else {
				check(ret == 0 || ret == -AMP_EIO);
			}
			break;
		}
		case 2: { /* device takes a chain */
			struct virtqueue_buf b[4];
			uint16_t head;
			int ret = virtqueue_get_avail_buf(&dev, b, 4, &head);

			if (ret > 0 || ret == -AMP_EMSGSIZE) {
				check(head < num && nheld < MAX_NUM);
				held[nheld++] = head;
			} else {
				check(ret == 0 || ret == -AMP_EIO);
			}
			break;
		}
		case 3: /* device returns the oldest chain it holds, now or in a batch */
			if (nheld) {
				int ret = op & 8 ? virtqueue_add_used_buf_deferred(&dev, held[0],
										   next16(&s))
						 : virtqueue_add_used_buf(&dev, held[0], next16(&s));

				check(ret == 0 || ret == -AMP_EIO);
				memmove(held, held + 1, --nheld * sizeof(held[0]));
			} else {
				virtqueue_publish_used(&dev);
			}
			break;
		case 4:
		case 5: { /* the other side scribbles on the ring */
			size_t at = next16(&s) % len;

			((uint8_t *)ring)[at] = next8(&s);
			break;
		}
		case 6:
			virtqueue_kick(&drv);
			virtqueue_kick(&dev);
			break;
		case 7:
			if (op & 8) {
				virtqueue_disable_cb(&drv);
				virtqueue_disable_cb(&dev);
			} else {
				virtqueue_enable_cb(&drv);
				virtqueue_enable_cb_delayed(&dev);
			}
			break;
		}
		check(virtqueue_num_free(&drv) <= num);
		check(virtqueue_num_free(&dev) <= num);
	}

	/* Teardown: every token still out comes back exactly once. */
	for (;;) {
		void *tok = virtqueue_detach_unused_buf(&drv);
		size_t t;

		if (!tok)
			break;
		t = (size_t)((uint8_t *)tok - tokens);
		check(t < next_token && outstanding[t]);
		outstanding[t] = false;
	}
	for (unsigned int i = 0; i < next_token; i++)
		check(!outstanding[i]);
	check(virtqueue_num_free(&drv) == num);
	free(ring);
	return 0;
}
