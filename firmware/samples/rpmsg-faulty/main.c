/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg-faulty firmware: a remote that misbehaves on command, for the fault tests. It announces
 * "rpmsg-faulty", echoes ordinary messages, and on a command message does one of the things a
 * broken or hostile remote does (README.md lists them), then says "done" if it still can.
 * Commands run from the main loop, not inside the receive callback, so that the ring state they
 * damage is not in use by it.
 * Sample firmware.
 */
#include <stdint.h>

#include <amp-fw/hal.h>
#include <amp-fw/rpmsg.h>
#include <amp-fw/rsc.h>
#include <amp-fw/trace.h>
#include <amp/wire/rpmsg.h>

#define NUM_VRING 64
#define FAULTY_ADDR 0x403u

AMP_FW_RSC_TABLE_RPMSG_TRACE(resource_table, NUM_VRING, AMP_FW_TRACE_DA, AMP_FW_TRACE_LEN);

AMP_FW_RPMSG_DEVICE(rdev, NUM_VRING, 8);
static struct rpmsg_remote_ept ept;
static char command[32];
static uint32_t host_addr;
static int hoarding;

static int is(const char *word)
{
	unsigned int i;

	for (i = 0; word[i]; i++)
		if (command[i] != word[i])
			return 0;
	return command[i] == 0;
}

static void faulty_cb(struct rpmsg_remote_ept *e, const void *data, size_t len, uint32_t src,
		      void *priv)
{
	const char *p = data;
	size_t i;

	(void)priv;
	host_addr = src;
	if (len > 1 && p[0] == '!') { /* a command: run it from the main loop */
		for (i = 1; i < len && i < sizeof(command); i++)
			command[i - 1] = p[i];
		command[i - 1] = 0;
		return;
	}
	amp_fw_rpmsg_send(e, src, data, len);
}

/* A deterministic xorshift: the same damage every run, so a test's outcome is repeatable. */
static uint32_t rnd(void)
{
	static uint32_t x = 0x2545F491u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

static void scribble(void *p, size_t len)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)rnd();
}

/* Send raw bytes to the host with a header whose length field says @hdr_len. */
static void send_raw(uint32_t dst, uint16_t hdr_len, const void *data, uint32_t len)
{
	struct virtqueue_buf b;
	uint16_t head;
	struct rpmsg_hdr *h;

	while (virtqueue_get_avail_buf(&rdev.txq, &b, 1, &head) != 1)
		amp_fw_rpmsg_wait_tx(&rdev, 1);
	h = amp_fw_da_to_va(b.addr, sizeof(*h) + len);
	if (!h || b.len < sizeof(*h) + len)
		return;
	h->src = FAULTY_ADDR;
	h->dst = dst;
	h->reserved = 0;
	h->len = hdr_len;
	h->flags = 0;
	__builtin_memcpy(h->data, data, len);
	virtqueue_add_used_buf(&rdev.txq, head, (uint32_t)sizeof(*h) + len);
	virtqueue_kick(&rdev.txq);
}

static void announce(const char *name, unsigned int name_len, uint32_t addr)
{
	struct rpmsg_ns_msg ns;
	unsigned int i;

	for (i = 0; i < sizeof(ns.name); i++)
		ns.name[i] = i < name_len ? name[i] : 0;
	ns.addr = addr;
	ns.flags = RPMSG_NS_CREATE;
	send_raw(RPMSG_NS_ADDR, sizeof(ns), &ns, sizeof(ns));
}

/*
 * After breaking a ring: alive (the watchdog petted) but silent, so that only the host's own
 * checks of the ring can catch what we did, and our later sends cannot paper over it.
 */
static void idle(void)
{
	for (;;) {
		amp_fw_pet_watchdog();
		amp_fw_rpmsg_wait(&rdev);
	}
}

/* A system call of its own, as firmware must not make: write(1, "x", 1) on the sim core, a
 * supervisor call on a Cortex-M (no OS there to answer it). */
static void forbidden_syscall(void)
{
#if defined(__arm__)
	__asm__ volatile("svc #0" ::: "memory");
#elif defined(__x86_64__)
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(1L), "D"(1L), "S"("x"), "d"(1L)
			 : "rcx", "r11", "memory");
	(void)ret;
#endif
}

static void run_command(void)
{
	struct fw_rsc_vdev *vdev = rdev.cfg.vdev;
	unsigned int i, k;
	char name[32];

	amp_fw_printf("command: %s\n", command);
	if (is("crash")) {
		*(volatile int *)0 = 1;
	} else if (is("syscall")) {
		forbidden_syscall(); /* the sim's seccomp filter, a Cortex-M's fault handler, ends
				      * the core here */
		idle();
	} else if (is("hang")) {
		for (;;) /* no more watchdog pets, no more messages */
			__asm__ volatile("" ::: "memory");
	} else if (is("scribble")) {
		/* While the host's traffic flows: 64 random bytes at a random place of a ring or
		 * of a buffer the host gave us, 200 times, serving messages in between; then
		 * random bytes over both rings whole, so that the damage is certain. */
		for (k = 0; k < 200; k++) {
			struct virtqueue *vq = k & 1 ? &rdev.rxq : &rdev.txq;
			size_t ring = vring_size(vq->vr.num, vdev->vring[k & 1].align);
			uint8_t *at = (uint8_t *)vq->vr.desc + rnd() % (ring - 64);
			uint64_t buf = vq->vr.desc[rnd() % vq->vr.num].addr;
			uint8_t *b = (k & 3) == 3 ? amp_fw_da_to_va(buf, 512) : 0;

			scribble(b ? b : at, 64);
			amp_fw_kick(rdev.notifyid[k & 1]);
			rpmsg_remote_poll(&rdev);
			amp_fw_pet_watchdog();
		}
		for (i = 0; i < 2; i++) {
			struct virtqueue *vq = i ? &rdev.rxq : &rdev.txq;

			scribble(vq->vr.desc, vring_size(vq->vr.num, vdev->vring[i].align));
		}
		amp_fw_kick(rdev.notifyid[0]);
		amp_fw_kick(rdev.notifyid[1]);
		idle();
	} else if (is("bad-used")) {
		/* A used entry for a descriptor the host never gave us. */
		struct vring_used *u = rdev.txq.vr.used;
		uint16_t idx = u->idx;

		u->ring[idx % NUM_VRING].id = NUM_VRING + 7;
		u->ring[idx % NUM_VRING].len = 16;
		__atomic_store_n(&u->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
		amp_fw_kick(rdev.notifyid[0]);
		idle();
	} else if (is("bad-len")) {
		/* The header claims more than the buffer holds. */
		send_raw(host_addr, 60000, "abcd", 4);
	} else if (is("ns-nonul")) {
		for (i = 0; i < sizeof(name); i++)
			name[i] = 'x';
		announce(name, sizeof(name), 0x500);
	} else if (is("ns-flood")) {
		/* 10,000 announcements of distinct channels. */
		for (k = 0; k < 10000; k++) {
			unsigned int n = k, d = 0;
			char digits[8];

			name[0] = 'f';
			do {
				digits[d++] = (char)('0' + n % 10);
				n /= 10;
			} while (n);
			for (i = 1; d; i++)
				name[i] = digits[--d];
			announce(name, i, 0x1000 + k);
			amp_fw_pet_watchdog();
		}
	} else if (is("hoard")) {
		/* Keep every buffer the host sends from now on: never poll the host -> remote
		 * ring again (after saying done, which would need it). */
		command[0] = 0;
		amp_fw_rpmsg_send(&ept, host_addr, "done", 4);
		hoarding = 1;
		return;
	} else if (is("flood")) {
		/* Messages as fast as the host takes them, for ever: the host must still get a
		 * stop in, while its receive side is never idle. */
		command[0] = 0;
		for (;;) {
			amp_fw_rpmsg_send(&ept, host_addr, "flood", 5);
			amp_fw_pet_watchdog();
		}
	} else if (is("kick-storm")) {
		uint64_t end = amp_fw_now_ns() + 300000000ull;

		/* Alive (petting the watchdog) but kicking without a pause. */
		while (amp_fw_now_ns() < end) {
			for (i = 0; i < 1000; i++)
				amp_fw_kick(rdev.notifyid[i & 1]);
			amp_fw_pet_watchdog();
		}
	} else if (is("rsc-scribble")) {
		/* What the host wrote into the loaded table after boot, overwritten. */
		vdev->status = 0xFF;
		vdev->vring[0].da = 0xDEAD0000u;
		vdev->vring[1].da = 0xBEEF0000u;
		vdev->vring[0].num = 3;
		vdev->gfeatures = 0xFFFFFFFFu;
	} else if (is("crash-mid")) {
		/* Half a message written into a host buffer, never published: then a fault. */
		struct virtqueue_buf b;
		uint16_t head;

		if (virtqueue_get_avail_buf(&rdev.txq, &b, 1, &head) == 1) {
			uint8_t *p = amp_fw_da_to_va(b.addr, 8);

			if (p)
				scribble(p, 8);
		}
		*(volatile int *)0 = 2;
	}
	/* Done (for those that return): the host's test waits for this, which arrives after
	 * everything the command sent. */
	command[0] = 0;
	amp_fw_rpmsg_send(&ept, host_addr, "done", 4);
}

int main(void)
{
	int created = 0;

	amp_fw_printf("rpmsg-faulty firmware: booting\n");
	if (rdev_init())
		return 1;
	for (;;) {
		if (!hoarding && rpmsg_remote_poll(&rdev) >= 0 && !created &&
		    rpmsg_remote_create_ept(&rdev, &ept, "rpmsg-faulty", FAULTY_ADDR, faulty_cb, 0) ==
			    0)
			created = 1;
		if (command[0])
			run_command();
		amp_fw_pet_watchdog();
		amp_fw_rpmsg_wait(&rdev);
	}
}
