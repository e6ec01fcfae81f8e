/* SPDX-License-Identifier: BSD-3-Clause */
/* remoteproc internals shared by the host files of src/remoteproc/. Host layer. */
#ifndef AMP_REMOTEPROC_INTERNAL_H
#define AMP_REMOTEPROC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/diag.h>
#include <amp/remoteproc.h>
#include <amp/virtio.h>
#include <amp/wire/rsc_table.h>

#include "os/os.h"

#define RPROC_NAME_MAX 64
#define RPROC_MAX_VRINGS VIRTIO_MAX_VRINGS
#define RPROC_PAGE_SIZE 4096u
/* A vdev's buffer pool by default: Linux's rpmsg geometry (512-byte buffers, at most 512 of
 * them, two per descriptor of vring 0), which its virtio driver may use as it likes. */
#define RPROC_VDEV_BUF_SIZE 512u
#define RPROC_VDEV_MAX_BUFS 512u
/* rproc_set_vdev_buffers()'s bounds, in steps of 8: a header and 8 bytes; the largest payload
 * the header's 16-bit length can say (65535) and a header; as many buffers as two rings of the
 * largest size hold. */
#define RPROC_BUF_SIZE_MIN 24u
#define RPROC_BUF_SIZE_MAX 65544u
#define RPROC_NUM_BUFS_MAX 65536u
#define RPROC_MAX_SEGMENTS 32
/* Automatic recovery stops when a core crashed this many times within RPROC_RECOVERY_WINDOW_NS:
 * a firmware that dies at boot would otherwise be reloaded forever. */
#define RPROC_RECOVERY_BURST 5
#define RPROC_RECOVERY_WINDOW_NS (10ull * 1000000000ull)
#define RPROC_RECOVERY_BURST_MAX 64

/* A piece of device memory the core handed to the firmware: a carveout, a vring, a buffer pool. */
struct rproc_mem {
	char name[RPROC_MAX_NAME_LEN + 1];
	uint64_t da;
	void *va;
	size_t len;
	bool allocated; /* ours to give back with ops->mem_free */
	bool placed;    /* a table carveout at an address we chose (FW_RSC_ADDR_ANY asked) */
};

struct rproc_vring {
	struct rproc_mem mem;
	unsigned int num;
	unsigned int align;
	int notifyid;
	/* Polled mode, read by rproc_poll_pending() without notify_lock: @used_idx and
	 * @poll_seen are set before @watched is (release, under notify_lock); from then on only
	 * the poller touches @poll_seen. */
	const uint16_t *used_idx; /* the remote's used->idx of this vring */
	uint16_t poll_seen;       /* @used_idx when the poller last looked (relaxed atomic) */
	bool watched;             /* atomic: bound and not in its driver's poll_skip */
};

/*
 * A vdev's buffer memory its driver keeps past remove(), because its users still hold buffers
 * there (the hold_bufs config op). Two references: the core's, dropped when it gives the memory
 * back to the platform, and the driver's, dropped by the release_bufs op; the last frees
 * the struct. While the core holds one, a count of 1 means the driver has released it.
 */
struct rproc_buf_hold {
	struct rproc_mem mem;
	unsigned int refs;           /* atomic */
	struct rproc_buf_hold *next; /* on the processor's held list; guarded by lock */
};

struct rproc_vdev {
	struct rproc_private *owner;
	unsigned int index;   /* among all vdev entries of the table */
	size_t rsc_offset;    /* of the fw_rsc_hdr in the table */
	uint32_t id;          /* virtio id */
	uint32_t dfeatures;   /* offered, as the table said when it was handled */
	uint32_t config_len;  /* bytes of config space after the vrings in the entry */
	char name[RPROC_NAME_MAX + 16]; /* "<processor>/vdev<index>" */
	unsigned int num_vrings;
	struct rproc_vring vring[RPROC_MAX_VRINGS];
	struct rproc_mem bufs;
	unsigned int buf_size, num_bufs; /* the geometry of bufs */
	struct rproc_buf_hold *hold;     /* ready for the driver of this run */
	struct rproc_buf_hold *held;     /* taken: its driver keeps bufs' memory */
	struct virtio_device dev;            /* what the driver sees */
	const struct virtio_driver *driver;  /* bound driver; guarded by notify_lock */
};

struct rproc_trace {
	char name[RPROC_MAX_NAME_LEN + 1];
	uint64_t da;
	size_t len;
	unsigned int rsc_index; /* its entry in the table, for messages */
};

/* A saved copy of a trace buffer's text, from the last time the core went down. */
struct rproc_last_trace {
	char *text;
	size_t len;
};

struct rproc_segment {
	uint64_t da;
	size_t len;
};

/* Background work for the processor's worker thread. */
#define RPROC_WORK_CRASH (1u << 0)
#define RPROC_WORK_AUTOBOOT (1u << 1)
#define RPROC_WORK_RECOVER (1u << 2)
#define RPROC_WORK_EXIT (1u << 3)

struct rproc_private {
	struct rproc *rproc;
	const struct rproc_ops *ops;
	char name[RPROC_NAME_MAX];
	char *firmware;                 /* guarded by lock */

	struct amp_mutex lock;          /* serialises every state transition */
	enum rproc_state state;         /* written under lock; read atomically anywhere */
	unsigned int power;             /* guarded by lock */
	unsigned int refcount;          /* atomic */
	unsigned int crash_cnt;         /* atomic */
	bool registered;                /* guarded by the registry lock */
	bool auto_boot;
	bool auto_booted;               /* the power count holds auto-boot's user */
	bool recovery_disabled;         /* atomic */
	bool detached;                  /* platform said: already running */
	uint32_t features;              /* bit per enum rproc_features; set before register */
	uint16_t *machines;
	unsigned int num_machines;

	/* What the last boot set up; all guarded by lock. */
	void *cached_table;             /* our private copy, where write-backs go */
	size_t table_size;
	void *table_ptr;                /* cached_table, or the live copy in device memory */
	void *clean_table;              /* attach: the table as we found it */
	uint64_t table_da;
	int elf_class;                  /* for the coredump: 1 (ELF32) or 2 (ELF64) */
	uint16_t elf_machine;
	struct rproc_segment segments[RPROC_MAX_SEGMENTS];
	unsigned int num_segments;
	struct rproc_mem *carveouts;    /* carveouts and devmem of the table */
	unsigned int num_carveouts;
	struct rproc_trace *traces;
	unsigned int num_traces;
	struct rproc_last_trace *last_traces;
	unsigned int num_last_traces;
	/* The traces as the last crash left them, kept apart from later runs; guarded by lock. */
	struct rproc_last_trace *crash_traces;
	unsigned int num_crash_traces;
	struct rproc_vdev *vdevs;
	unsigned int num_vdevs;
	int next_notifyid;
	/* Buffer memory of earlier runs their drivers still hold: given back to the platform once
	 * released, never to a later run before. Guarded by lock; lives across boots. */
	struct rproc_buf_hold *held_bufs;

	/* What the platform reserved (rproc_add_carveout()) and the buffer geometry
	 * (rproc_set_vdev_buffers(); 0: Linux's); kept across boots, guarded by lock. */
	struct rproc_mem *platform_carveouts;
	unsigned int num_platform_carveouts;
	unsigned int buf_size, num_bufs;

	/* Notification routing: taken by rproc_vq_interrupt(), and by whoever unplugs a vdev. */
	struct amp_mutex notify_lock;
	/* The vdev array and each vdev's driver, for rproc_vdevs_going() (any context, perhaps
	 * inside the notification path, which holds notify_lock): written under both locks. */
	struct amp_mutex going_lock;
	unsigned long unknown_notifies; /* guarded by notify_lock */
	bool polled;                    /* rproc_set_polled(); set before boot */

	/* The worker thread and its queue. */
	struct amp_thread worker;
	bool worker_started;
	struct amp_mutex work_lock;
	struct amp_cond work_cond;
	unsigned int work;              /* RPROC_WORK_*; guarded by work_lock */
	enum rproc_crash_type crash_type; /* the crash queued; guarded by work_lock */
	unsigned int crash_run;         /* the run it was reported for; guarded by work_lock */
	/* Counts the core's starts (boot, attach, recovery): a crash report belongs to the run it
	 * was made in. Moved under lock before each start; read atomically anywhere. */
	unsigned int run;
	uint64_t recover_ns[RPROC_RECOVERY_BURST_MAX]; /* when the last automatic recoveries ran */
	unsigned int recover_next;
	unsigned int recover_burst;     /* 0: no limit; guarded by lock */
	uint64_t recover_window_ns;

	enum rproc_dump_mechanism dump;
	char *dump_dir;
	char last_dump[512];            /* the last dump's path, or why it failed */
	bool last_dump_failed;

	char last_error[1024];          /* guarded by lock */
	char platform_error[256];       /* rproc_set_platform_error(); guarded by lock */
	rproc_event_cb_t event_cb;
	void *event_priv;
};

static inline struct rproc_private *rproc_p(const struct rproc *rproc)
{
	return rproc->p;
}

/* rproc_core.c */
void rproc_set_state_locked(struct rproc_private *p, enum rproc_state state);
void rproc_event_locked(struct rproc_private *p, enum rproc_event event);
/* Record and log a boot error naming the firmware: "firmware <fw>: <message>". */
int rproc_fail(struct rproc_private *p, int err, const char *fmt, ...) AMP_PRINTF(3, 4);
/* The same with a diagnostic from a portable parser. */
int rproc_fail_diag(struct rproc_private *p, const char *what, const struct amp_diag *d);

/* rproc_fw.c */
int rproc_fw_request(struct rproc_private *p, void **image, size_t *size);
void rproc_fw_release(void *image, size_t size);
/* Check the image, remember entry point, machine, segments, and copy out the resource table
 * into p->cached_table (NULL when the firmware has none). */
int rproc_fw_parse(struct rproc_private *p, const void *image, size_t size);
/* Copy the segments into device memory. */
int rproc_fw_load(struct rproc_private *p, const void *image, size_t size);

/* rproc_resources.c */
/* Set up every entry of the cached table, then check where everything lies. */
int rproc_handle_resources(struct rproc_private *p);
/* The first range the host allocated and writes (a vring, a vdev's buffers, a table carveout
 * placed at our choice) that overlaps [@da, @da + @len); NULL when none does. */
const struct rproc_mem *rproc_host_mem_find(struct rproc_private *p, uint64_t da, uint64_t len);
void rproc_release_resources(struct rproc_private *p);
/* Copy the cached table into device memory and use the live copy from now on. */
int rproc_install_loaded_table(struct rproc_private *p);
/* Save the trace buffers' text as the core goes down (kept apart too when it crashed). */
void rproc_save_traces(struct rproc_private *p);
/* Free the saved texts: the last ones, and with @crash those of the last crash. */
void rproc_free_last_traces(struct rproc_private *p, bool crash);
/* Buffer memory a driver kept (the hold_bufs config op) stays out of the next run: a vdev
 * whose memory is held gets new memory (zeroed). For a recovery, before the vdevs start. */
int rproc_renew_held_bufs(struct rproc_private *p);
/* Give back to the platform the held memory that was released; with @all (the processor is
 * freed), all of it. */
void rproc_reap_held_bufs(struct rproc_private *p, bool all);

/* rproc_vdev.c */
int rproc_start_vdevs(struct rproc_private *p);
void rproc_stop_vdevs(struct rproc_private *p);
/* Tell the drivers of the bound vdevs that their vdevs are about to go, if the core is still in
 * run @run. Any context; takes only going_lock. */
void rproc_vdevs_going(struct rproc_private *p, unsigned int run);
/* Zero the vrings and buffers so that nothing of the last run survives into the next; buffer
 * memory a driver still holds is replaced instead (rproc_renew_held_bufs()). */
int rproc_reset_vdev_memory(struct rproc_private *p);

/* rproc_coredump.c */
int rproc_coredump(struct rproc_private *p);

#endif /* AMP_REMOTEPROC_INTERNAL_H */
