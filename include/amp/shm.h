/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shm platform: host and remote are two Linux processes. They share a file, the remote's
 * device memory (a device address is an offset in the file), and ring each other's doorbell
 * over a UNIX stream socket: one byte a kick, which says no vring (the receiver reads all
 * there is, so kicks coalesce, and looks at every vring). One side listens on the socket, the
 * other connects, retrying until it is there.
 *
 * Its defaults are those of OpenAMP's Linux machine (the "generic" Linux platform of OpenAMP's
 * system reference), so that OpenAMP's demo programs are valid peers: the file
 * /dev/shm/openamp.shm of 0x80000 bytes; the resource table at 0; vrings at 0x4000 and 0x8000,
 * 256 descriptors each, aligned to 0x1000; the rpmsg buffers from 0x10000 (0x40000 bytes, 512
 * of 512 bytes); the socket /tmp/openamp.event.0, the remote listening. The remote writes the
 * resource table before it serves the socket; the host attaches to it (it neither loads nor
 * starts anything), and the remote's name service announces its channels (OpenAMP's echo demo
 * announces "rpmsg-openamp-demo-channel" at 0x400).
 *
 * Two halves, for the two roles:
 *  - the host half, shm_rproc_create(): a struct rproc that is only ever attached to. A remote
 *    that goes away (its end of the socket closed: the process exited or crashed) is a crash
 *    of the processor; recovery waits for the next remote to show up and attaches to it.
 *  - the remote half, shm_remote_open(): the remote side of rpmsg (<amp/rpmsg_remote.h>) for a
 *    Linux program, over the same file and socket.
 *
 * Everything in the shared file and everything from the socket is the other side's to write:
 * both halves check what they read there. The peer may also shrink the file under our mapping:
 * a /dev/shm file cannot be sealed against that (only a memfd can, and OpenAMP's programs expect
 * a named file), so the platform catches the SIGBUS that touching the lost pages raises. It
 * installs a SIGBUS handler once per process (chaining to the one it finds, for faults that are
 * not in a shared file of ours) that puts private zeroed memory over the whole mapping: the
 * access completes, the rings read as broken, and that side lets go of its peer (a crash of the
 * processor on the host; -EFAULT from shm_remote_wait() on the remote). A program that installs
 * its own SIGBUS handler after ours must chain to it likewise.
 */
#ifndef AMP_SHM_H
#define AMP_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>
#include <amp/remoteproc.h>
#include <amp/rpmsg_remote.h>

/* OpenAMP's Linux machine (see the file comment). */
#define SHM_DEFAULT_FILE "/dev/shm/openamp.shm"
#define SHM_DEFAULT_SOCKET "/tmp/openamp.event.0"
#define SHM_DEFAULT_SIZE 0x80000u
#define SHM_DEFAULT_RSC_DA 0x0u
#define SHM_DEFAULT_VRING0_DA 0x4000u
#define SHM_DEFAULT_VRING1_DA 0x8000u
#define SHM_DEFAULT_VRING_NUM 256u
#define SHM_DEFAULT_VRING_ALIGN 0x1000u
#define SHM_DEFAULT_BUF_DA 0x10000u
#define SHM_DEFAULT_BUF_LEN 0x40000u
/* How long the host's attach waits for a remote to be there. */
#define SHM_DEFAULT_ATTACH_TIMEOUT_MS 10000u
/* The largest shared file either half maps. */
#define SHM_MAX_SIZE (1u << 30)

/* Which side listens on the socket; the other connects. */
enum shm_server {
	SHM_SERVER_REMOTE = 0, /* the remote listens: OpenAMP's demo remote does ("unixs:") */
	SHM_SERVER_HOST = 1,   /* the host listens, the remote connects */
};

/**
 * struct shm_layout - what both halves must agree on: give each the same. A field left 0 (or
 * NULL) takes its SHM_DEFAULT_* value.
 * @file:        path of the shared file. The remote creates it (mode 0600) or reuses it, at
 *               @size bytes at least; the host opens what is there once a remote is connected
 * @socket:      path of the socket (shorter than 108 bytes); the listening side removes a
 *               stale one before it binds
 * @server:      which side listens
 * @size:        bytes of the file that are device memory, from offset 0
 * @rsc_da:      where the remote writes its resource table (0, the default, is a valid value)
 * @vring_da:    where the remote's table puts vring 0 (remote to host) and vring 1 (host to
 *               remote); 16-byte aligned
 * @vring_num:   descriptors per vring, a power of two up to 32768
 * @vring_align: the used ring's alignment, a power of two from 16
 * @buf_da, @buf_len: where the host puts the rpmsg buffers (its "vdev0buffer")
 *
 * The table, both vrings (each rounded up to 4 KiB, as the host maps them) and the buffers
 * must lie inside @size bytes and must not overlap: both halves refuse a layout otherwise.
 */
struct shm_layout {
	const char *file;
	const char *socket;
	enum shm_server server;
	size_t size;
	uint64_t rsc_da;
	uint64_t vring_da[2];
	unsigned int vring_num;
	unsigned int vring_align;
	uint64_t buf_da;
	size_t buf_len;
};

/**
 * struct shm_config - one processor on the host
 * @name:     its rproc name
 * @layout:   the shared file and socket
 * @buf_size: bytes per rpmsg buffer, header included (rproc_set_vdev_buffers()); 0: 512, which
 *            OpenAMP's remote expects unless it was built otherwise
 * @num_bufs: buffers in all, even; 0: two per descriptor of vring 0 up to 512, as many as fit
 *            in @layout's buffer region (512 in the default layout)
 * @attach_timeout_ms: how long rproc_boot() (an attach) and each recovery wait for a remote to
 *            be connected; 0: SHM_DEFAULT_ATTACH_TIMEOUT_MS
 *
 * The processor is DETACHED once created: rproc_boot() attaches. It has the feature
 * RPROC_FEAT_ATTACH_ON_RECOVERY: after its remote went away, recovery waits up to
 * @attach_timeout_ms for the next one; if none comes it stays CRASHED, and a remote that
 * connects later is attached to then (unless recovery is disabled: rproc_trigger_recovery()
 * attaches to it on demand). rproc_shutdown() detaches: the host closes its end of the socket,
 * which tells the remote it is gone, and the processor is DETACHED again.
 */
struct shm_config {
	const char *name;
	struct shm_layout layout;
	unsigned int buf_size;
	unsigned int num_bufs;
	unsigned int attach_timeout_ms;
};

/**
 * shm_rproc_create() - the host half: a processor whose remote is a process on this machine
 * @cfg:   copied (strings too)
 * @rproc: set to the processor, not registered yet (rproc_register(); free with
 *         shm_rproc_destroy())
 *
 * Listens on the socket at once when the host is the server (a remote may connect before the
 * processor is booted); otherwise connects in the background, retrying, until destroyed. A
 * thread of the platform's watches the connection: the remote's kicks become
 * rproc_vq_interrupt(rproc, RPROC_NOTIFY_ANY) there (it is the notification context of the
 * rpmsg callbacks), and the end of the connection rproc_report_crash().
 *
 * Context: any thread.
 * Return: 0; -EINVAL for a configuration that is not valid (the log says which field);
 * -ENOMEM; an error of socket(), bind() or listen(), or of the thread's creation.
 */
AMP_API int shm_rproc_create(const struct shm_config *cfg, struct rproc **rproc);

/**
 * shm_rproc_destroy() - unregister if registered, let go of the remote (it sees its socket
 * closed), stop listening (the socket file is removed), free. The shared file stays.
 * Context: any thread except the processor's callbacks.
 */
AMP_API void shm_rproc_destroy(struct rproc *rproc);

/**
 * struct shm_remote_config - the remote half
 * @layout:   the shared file and socket
 * @features: the virtio features the table offers, within RPMSG_REMOTE_FEATURES; 0: the name
 *            service only, as OpenAMP's remote (its host's rings have no event indexes: offer
 *            VIRTIO_RING_F_EVENT_IDX only to a host that has them, such as ours or Linux's)
 * @num_epts: endpoint slots, a power of two from 4 (3/4 of them usable); 0: 64
 */
/*
 * After a burst from the host the remote looks for the next message this long before it asks
 * for a kick (rpmsg_remote_config.busy_poll_ns): a stream then costs the host no write to the
 * socket per message. rpmsg_remote_set_busy_poll(shm_remote_device(r), ns) changes it; 0
 * turns it off.
 */
#define SHM_REMOTE_BUSY_POLL_NS 2000u

struct shm_remote_config {
	struct shm_layout layout;
	uint32_t features;
	unsigned int num_epts;
};

struct shm_remote;

/**
 * shm_remote_open() - be the remote: create (or reuse) the shared file, write the resource
 * table into it (one rpmsg vdev with the layout's vrings), listen on the socket when the
 * remote is the server, and set up the remote side of rpmsg on the table's vdev
 * @cfg: copied (strings too)
 * @out: set to the remote, which holds the device; close with shm_remote_close()
 *
 * Returns at once: the host is awaited, and the connection made (as the client, retrying), by
 * shm_remote_wait(). Endpoints may be created on shm_remote_device() right away; they are
 * announced once the host has set DRIVER_OK.
 *
 * Context: any thread; the remote is then used from one thread at a time.
 * Return: 0; -EINVAL for a layout that is not valid, or features outside
 * RPMSG_REMOTE_FEATURES; -ENOMEM; an error of open(), ftruncate(), mmap(), socket(), bind() or
 * listen().
 */
AMP_API int shm_remote_open(const struct shm_remote_config *cfg, struct shm_remote **out);

/**
 * shm_remote_device() - the rpmsg device, for <amp/rpmsg_remote.h> (create endpoints, poll,
 * send). Valid until shm_remote_close(). Context: the remote's thread.
 */
AMP_API struct rpmsg_remote_device *shm_remote_device(struct shm_remote *r);

/**
 * shm_remote_wait() - sleep until there may be something to do, then call rpmsg_remote_poll()
 * @timeout_ms: the longest to wait; negative: no limit
 *
 * Wakes up when the host kicks (every byte there is is read: kicks coalesce), when a host
 * connects, or when @timeout_ms runs out. Until the host has set DRIVER_OK it also wakes every
 * 10 ms, so that rpmsg_remote_poll() notices the status byte: a host need not kick when it
 * sets it (OpenAMP's does not). As the client, it connects here, retrying every few
 * milliseconds while it waits.
 *
 * Context: the remote's thread, including an endpoint callback waiting for a transmit buffer.
 * Return: 1 when kicked or newly connected; 0 when the time ran out; -ECONNRESET when the host
 * went away (it closed the socket: it detached, exited or crashed): this device is done with,
 * and every later call says so again. Close it and open a new one to serve the next host.
 * -EFAULT once when the host shrank the shared file under our mapping (see above): the same,
 * and the host sees our end of the socket close.
 */
AMP_API int shm_remote_wait(struct shm_remote *r, int timeout_ms);

/**
 * shm_remote_close() - the host sees the socket closed (a crash, as far as it can tell, unless
 * it detached first); the shared file stays. Frees @r. Context: the remote's thread.
 *
 * A listening remote removes its socket file once a host connected (no other host can queue
 * behind it), or here if none did.
 */
AMP_API void shm_remote_close(struct shm_remote *r);

#endif /* AMP_SHM_H */
