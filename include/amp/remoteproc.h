/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * remoteproc: control of remote processors — load ELF firmware, handle its resource table, boot,
 * shut down, recover after a crash. Linux's remoteproc is the reference for behaviour.
 *
 * A struct rproc has two counts, kept apart as the seed insists:
 *  - the object's lifetime: rproc_alloc() gives one reference, rproc_get_by_name() takes another,
 *    rproc_put() drops one; the memory goes with the last. rproc_free() is rproc_put() for the
 *    reference rproc_alloc() gave.
 *  - power: rproc_boot() counts a user of the running processor (only the first loads and starts
 *    it), rproc_shutdown() drops one (only the last stops it).
 *
 * Not thread-safe except where stated: every function documents its context. All state
 * transitions are serialised by the processor's lock, so boot, shutdown and crash reports may
 * come from several threads at once.
 */
#ifndef AMP_REMOTEPROC_H
#define AMP_REMOTEPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>
#include <amp/virtio.h>
#include <amp/wire/rsc_table.h>

struct rproc;

/* States, with Linux's values (they index rproc_state_name()). */
enum rproc_state {
	RPROC_OFFLINE = 0,   /* powered off */
	RPROC_SUSPENDED = 1, /* not used by the core yet; kept for Linux's numbering */
	RPROC_RUNNING = 2,   /* booted by us and running */
	RPROC_CRASHED = 3,   /* crashed, waiting for (or refused) recovery */
	RPROC_DELETED = 4,   /* unregistered: every call fails with -ENODEV */
	RPROC_ATTACHED = 5,  /* started by someone else, and we are attached to it */
	RPROC_DETACHED = 6,  /* running, started by someone else, not attached */
	RPROC_LAST = 7,
};

/* Crash types, with Linux's values (they index rproc_crash_type_name()). */
enum rproc_crash_type {
	RPROC_MMUFAULT = 0,
	RPROC_WATCHDOG = 1,
	RPROC_FATAL_ERROR = 2,
};

/* What a crash leaves behind (Linux's values). INLINE is not offered: no reader to block on. */
enum rproc_dump_mechanism {
	RPROC_COREDUMP_DISABLED = 0,
	RPROC_COREDUMP_ENABLED = 1,
};

/*
 * What a platform says its processors can do (Linux's enum rproc_features and values), set with
 * rproc_set_feature() before registering.
 * @RPROC_FEAT_ATTACH_ON_RECOVERY: the core comes back on its own after a crash (it reboots
 *    itself, or someone else restarts it): recovery attaches to it again, from the table it
 *    offers then, instead of reloading firmware and starting it.
 */
enum rproc_features {
	RPROC_FEAT_ATTACH_ON_RECOVERY = 0,
	RPROC_MAX_FEATURES = 1,
};

/* Return values of rproc_ops.handle_rsc (Linux's). */
#define RSC_HANDLED 0
#define RSC_IGNORED 1

/* A piece of the core's memory outside its device memory, for its coredump (@coredump_mem). */
struct rproc_dump_mem {
	uint64_t da;    /* where the core saw it */
	const void *va; /* its bytes, in the host */
	size_t len;
};

/**
 * struct rproc_ops - what a platform supplies to drive one remote core
 * @start:    power the core on; it runs from rproc->bootaddr with the loaded resource table at
 *            rproc->table_da. Required, unless the processor is only ever attached (@attach
 *            given): rproc_boot() of an OFFLINE processor then fails with -EOPNOTSUPP. Called
 *            with the rproc lock held; may block.
 * @stop:     power it off; on return the core no longer touches shared memory and sends no more
 *            notifications. Required with @start; optional without (a core we can only attach
 *            to cannot be powered off from here: see @detach). Lock held; may block.
 * @kick:     ring the core's doorbell for the vring with notify id @vqid. Required. Any thread,
 *            lock not held; must not block. A sender racing a crash may call it during or just
 *            after @stop: it must be harmless then (the sim platform keeps its doorbells open for
 *            the processor's whole life for this reason).
 * @da_to_va: map [da, da + len) to a host pointer, or NULL if any byte lies outside memory the
 *            core owns. Required (the core has no memory map of its own). Any thread.
 * @mem_alloc: allocate @len bytes of device memory aligned to @align; on entry *@da is a fixed
 *            device address or FW_RSC_ADDR_ANY (platform chooses); on success *@da and *@va are
 *            set. Optional: without it, only carveouts at a fixed @da that da_to_va maps are
 *            accepted (the memory is assumed reserved for the core). Lock held.
 *            A fixed @da must be granted as asked, and carveouts and vrings must end below
 *            4 GiB (the table's fields are 32 bits): the core frees and refuses anything else
 *            (rproc_boot() fails with -ERANGE) rather than truncate it.
 *            Return: 0, -ENOMEM, -EINVAL (a fixed @da outside the pools), -EBUSY (in use).
 * @mem_free: free what @mem_alloc gave. Optional (required with @mem_alloc). Lock held.
 * @attach:   adopt a core that is already running. Optional: without it rproc_boot() of a
 *            DETACHED processor fails with -EOPNOTSUPP. Lock held.
 * @detach:   let a core we attached to run on alone; on return we touch none of its memory.
 *            Optional (rproc_detach() fails with -EOPNOTSUPP). For a processor without @stop
 *            it is also how the core lets go of an attached core that is shut down (the state
 *            is then DETACHED, not OFFLINE: it runs on) or that crashed. Lock held.
 * @get_loaded_rsc_table: for attach, where the running core's table lies: return its host
 *            pointer and set *@size (rsc_table_measure() finds it) and *@da. NULL: the core is
 *            attached with no resources (a platform that needs a table fails its @attach then,
 *            which is called next). It may wait a bounded time for the core to be there.
 *            Optional: as returning NULL. Lock held.
 * @handle_rsc: a vendor resource (type 128..512) at @offset in the table, @avail bytes from its
 *            body to the end of the table. Optional: without it vendor entries are skipped with
 *            a warning. Return RSC_HANDLED, RSC_IGNORED (warned, boot goes on) or a negative
 *            errno (boot fails). Lock held.
 * @panic:    the host is going down: returns the milliseconds it should wait so the core can
 *            flush state. Optional. Any context.
 * @coredump_notes: for the coredump of a crash: write into @buf (at most @len bytes) the ELF
 *            notes that describe the core's state (each an Elf32/64_Nhdr, its name and its
 *            description, padded to 4 bytes), such as an NT_PRSTATUS with the registers the
 *            platform learnt at the crash. They go into a PT_NOTE segment of the core file, in
 *            the firmware's ELF class. Return the bytes written, 0 for none, or a negative
 *            errno (the dump is written without notes). Optional. Lock held; the core is off.
 * @coredump_mem: for the coredump of a crash: memory the core used outside its device memory
 *            that a debugger needs, such as a stack the boot ROM gave it (without it, no
 *            backtrace gets past the faulting function). Fill at most @max entries of @mem;
 *            return how many, 0 for none, or a negative errno (none). The host pointers need
 *            only stay valid until the hook's caller returns. Optional. Lock held; the core is
 *            off.
 */
struct rproc_ops {
	int (*start)(struct rproc *rproc);
	int (*stop)(struct rproc *rproc);
	void (*kick)(struct rproc *rproc, int vqid);
	void *(*da_to_va)(struct rproc *rproc, uint64_t da, size_t len);
	int (*mem_alloc)(struct rproc *rproc, size_t len, size_t align, uint64_t *da, void **va);
	void (*mem_free)(struct rproc *rproc, uint64_t da, size_t len);
	int (*attach)(struct rproc *rproc);
	int (*detach)(struct rproc *rproc);
	void *(*get_loaded_rsc_table)(struct rproc *rproc, size_t *size, uint64_t *da);
	int (*handle_rsc)(struct rproc *rproc, uint32_t type, void *body, size_t offset,
			  size_t avail);
	unsigned long (*panic)(struct rproc *rproc);
	int (*coredump_notes)(struct rproc *rproc, void *buf, size_t len);
	int (*coredump_mem)(struct rproc *rproc, struct rproc_dump_mem *mem, unsigned int max);
};

/* Callbacks a user of the processor may install (rproc_set_event_cb()). */
enum rproc_event {
	RPROC_EVENT_STATE,   /* the state changed; rproc_get_state() has the new one */
	RPROC_EVENT_CRASH,   /* a crash was handled: the core is down, its trace buffers saved and
			      * its coredump written; recovery follows unless disabled */
	RPROC_EVENT_VDEV_UP, /* a virtio device was bound to its driver (rproc_get_vdev()) */
	RPROC_EVENT_VDEV_DOWN, /* ... and removed */
	RPROC_EVENT_ERROR,   /* work nobody waits for failed: a boot at registration (auto-boot),
			      * a recovery, or automatic recovery stopped after too many crashes;
			      * rproc_last_error() says why (the callback may read it) */
};
typedef void (*rproc_event_cb_t)(struct rproc *rproc, enum rproc_event event, void *priv);

/**
 * struct rproc - one remote processor. Allocated by rproc_alloc(); fields are private except
 * those marked, which are read-only to users (platforms may read them too).
 */
struct rproc {
	const char *name;     /* read-only: the name given to rproc_alloc() */
	void *priv;           /* the platform's private area, priv_size bytes, zeroed */
	uint64_t bootaddr;    /* read-only, for @start: the firmware's entry point */
	uint64_t table_da;    /* read-only, for @start: device address of the loaded table, or
			       * FW_RSC_ADDR_ANY when the firmware has none */
	/* private: */
	struct rproc_private *p;
};

/**
 * rproc_alloc() - allocate a processor
 * @name:      its name, copied (e.g. "rproc0"); unique among registered processors
 * @ops:       the platform's hooks; kept by pointer, must outlive the processor. @kick and
 *             @da_to_va are required, and @start with @stop, or @attach (a processor that is
 *             only ever attached to); @mem_free is required with @mem_alloc.
 * @firmware:  the firmware file: a name looked up along the firmware search path, or a path
 *             (contains '/'); copied. NULL: "<name>-fw.elf".
 * @priv_size: bytes of zeroed platform-private storage at rproc->priv
 *
 * The new processor is OFFLINE and holds one reference (for rproc_free()).
 *
 * Context: any thread.
 * Return: the processor, or NULL when a required hook is missing, a name is empty or too long,
 * or memory runs out.
 */
AMP_API struct rproc *rproc_alloc(const char *name, const struct rproc_ops *ops,
				  const char *firmware, size_t priv_size);

/**
 * rproc_free() - drop the reference rproc_alloc() gave. The memory goes when the last reference
 * does. Call after rproc_unregister() (or instead of it, if never registered).
 * Context: any thread except the processor's own callbacks.
 */
AMP_API void rproc_free(struct rproc *rproc);

/**
 * rproc_register() - make the processor known (rproc_get_by_name() finds it) and, when auto-boot
 * is set (rproc_set_auto_boot()), boot it in the background (its power count then holds one user,
 * dropped by rproc_unregister()). A processor the platform marked DETACHED (rproc_set_detached())
 * is attached instead of booted.
 *
 * Context: any thread.
 * Return: 0; -EEXIST when another registered processor has the name; -EINVAL when already
 * registered; -ENOMEM.
 */
AMP_API int rproc_register(struct rproc *rproc);

/**
 * rproc_unregister() - power the processor off whatever its power count, remove it from the
 * registry, and mark it DELETED: every later call on it fails with -ENODEV. Waits for background
 * work (auto-boot, crash recovery) to finish. References stay valid until put.
 *
 * Context: any thread except the processor's own callbacks.
 * Return: 0; -EINVAL when not registered.
 */
AMP_API int rproc_unregister(struct rproc *rproc);

/**
 * rproc_boot() - power the processor on, or count one more user if it already runs
 *
 * The first user loads the firmware (ELF segments to device memory through da_to_va), handles
 * the resource table (carveouts, devmem, trace buffers, vdevs, vendor entries), copies the table
 * into device memory, starts the core, then binds each vdev to the virtio driver registered
 * for its device id (<amp/virtio.h>; built in: the rpmsg bus for id 7); a vdev of an id no
 * driver handles is left unbound.
 * On any failure everything done is undone and the processor is OFFLINE again.
 *
 * The firmware file is opened without blocking and must be a regular file of at most 256 MiB
 * (a FIFO, a device or a directory is refused, never read). Where its parts may lie is checked
 * before a byte is written (docs/firmware.md lists the rules): the entry point in an executable
 * segment's file bytes; the resource table inside a segment's file bytes; no segment, table or
 * trace buffer over memory the host allocated (vrings, rpmsg buffers, carveouts it placed);
 * trace buffers inside device memory; fixed vring addresses aligned to their align.
 *
 * A DETACHED processor (rproc_set_detached()) is attached to instead: the table the running
 * core offers (ops->get_loaded_rsc_table) is copied, checked and handled, then ops->attach, then
 * the vdevs come up on it; on failure it is DETACHED again.
 *
 * Context: any thread except the processor's own callbacks. Blocks while loading (or while the
 * platform waits for a core to attach to).
 * Return: 0; -ENODEV when deleted; -ENOENT when the firmware file is not found (the message
 * lists the directories searched); -EACCES (or another error of open()) when the file found
 * cannot be opened; -EFBIG when it
 * is too large; -EAGAIN when it changed while being read; -ENOEXEC or -EINVAL for a firmware
 * file that is not a regular file, or a firmware or resource table that fails a check (the log
 * names the firmware, the element and the numbers, and rproc_last_error() has them); -ENOMEM;
 * -EBUSY while crashed and recovering; -EOPNOTSUPP for an OFFLINE processor that can only be
 * attached (no ops->start); a platform hook's error.
 */
AMP_API int rproc_boot(struct rproc *rproc);

/**
 * rproc_shutdown() - drop one user; the last one stops the core (vdevs removed first: drivers get
 * remove(), senders are woken with -ENODEV) and releases its resources. A crashed processor is
 * stopped as well (recovery abandoned). A processor without ops->stop (one we can only attach
 * to) is detached instead, as rproc_detach() does, and is DETACHED after: it runs on, and
 * rproc_boot() attaches again.
 *
 * Context: any thread except the processor's own callbacks. Blocks.
 * Return: 0; -EINVAL when it is not running, attached or crashed (nothing to shut down);
 * -ENODEV when deleted.
 */
AMP_API int rproc_shutdown(struct rproc *rproc);

/**
 * rproc_detach() - leave an ATTACHED processor running on its own (DETACHED): vdevs removed, the
 * resource table restored to what it was when we attached, then ops->detach.
 * Context: any thread except callbacks. Return: 0; -EINVAL when not attached; -EOPNOTSUPP.
 */
AMP_API int rproc_detach(struct rproc *rproc);

/**
 * rproc_get_by_name() - find a registered processor and take a reference to it
 * Context: any thread. Return: the processor (release with rproc_put()), or NULL.
 */
AMP_API struct rproc *rproc_get_by_name(const char *name);

/**
 * rproc_get() - take another reference. Context: any thread. Return: @rproc.
 */
AMP_API struct rproc *rproc_get(struct rproc *rproc);

/**
 * rproc_put() - drop a reference; the last one frees the processor (which must be unregistered
 * or never registered by then). Context: any thread except the processor's own callbacks.
 */
AMP_API void rproc_put(struct rproc *rproc);

/**
 * rproc_report_crash() - the platform (or anyone) says the core crashed
 * @rproc: the processor
 * @type:  what happened
 *
 * At once, in the caller's context, tells the drivers of its vdevs that they are going (their
 * @going hook: blocked rpmsg senders return -ENODEV), so that crash handling is not held up by
 * a sender waiting for buffers the dead core will never return. Then hands the rest to its
 * worker thread: vdevs removed (drivers get
 * remove()), trace buffers saved, a coredump written if enabled, and, unless recovery is
 * disabled, the firmware reloaded, the vrings reset and the core restarted; channels come back
 * when the remote announces them again. With RPROC_FEAT_ATTACH_ON_RECOVERY the recovery is an
 * attach to the core that came back instead (as Linux's): everything released, then attached
 * anew as rproc_boot() attaches; if that fails the processor stays CRASHED. A core that crashes
 * 5 times within 10 s is left crashed (a firmware dying at boot would otherwise be reloaded
 * forever; see rproc_set_crash_limit(); RPROC_EVENT_ERROR tells it). A report while already
 * crashed, or for a processor that is not running, is ignored (as Linux does). A report belongs
 * to the run of the core it was made in: one the worker gets to after the processor was stopped
 * and started again (a late event of the platform's, say) is dropped, and the new run goes on.
 *
 * Context: any, including the platform's notification and watch threads. Never blocks.
 */
AMP_API void rproc_report_crash(struct rproc *rproc, enum rproc_crash_type type);

/**
 * rproc_vq_interrupt() - the core kicked the vring with notify id @notifyid
 *
 * Runs the vdev driver's notify() (for rpmsg: receive and transmit-complete processing) in the
 * caller's context: this is the "notification context" of rpmsg callbacks. @notifyid
 * RPROC_NOTIFY_ANY is a kick that does not say which vring (a doorbell without payload, a
 * byte on a socket): every vring of every bound vdev is looked at, as if each was kicked.
 *
 * Context: the platform's notification thread (one at a time per processor). Does not take the
 * processor's lock. Return: 0; -ENOENT for an unknown notify id, or RPROC_NOTIFY_ANY while no
 * vdev is bound (ignored, counted).
 */
AMP_API int rproc_vq_interrupt(struct rproc *rproc, int notifyid);

/* For rproc_vq_interrupt(): a kick that carries no notify id (OpenAMP's RSC_NOTIFY_ID_ANY). */
#define RPROC_NOTIFY_ANY (-1)

/**
 * rproc_poll() - polling mode: process every vring of every vdev as if each was kicked (but
 * those a driver set in its vdev's @poll_skip), until each has nothing left; the processor's
 * notification lock is let go between rounds of a ring's worth, so a stop is not kept out.
 * Context: as rproc_vq_interrupt(). Return: 0.
 */
AMP_API int rproc_poll(struct rproc *rproc);

/**
 * rproc_set_polled() - the platform watches the vrings instead of exchanging doorbells: no
 * virtio driver of this processor then asks to be notified or kicks (nobody would listen), and
 * the platform's poller loops on rproc_poll_pending() and rproc_poll(). The remote must poll
 * too. Saves, per message each way, the doorbell's cache line and the notification
 * suppression's, and a full fence.
 * Context: before rproc_boot(); any thread.
 */
AMP_API void rproc_set_polled(struct rproc *rproc, bool polled);
/** rproc_is_polled() - what rproc_set_polled() said (default false). Context: any thread. */
AMP_API bool rproc_is_polled(const struct rproc *rproc);

/**
 * rproc_poll_pending() - polled mode: whether the remote moved the used index of a vring of a
 * bound vdev (not in its @poll_skip) since the last call (no lock, two loads per vring: cheap
 * enough to spin on). Call rproc_poll() when it says so.
 * Context: the processor's one poller thread, started by the platform's start hook (or attach)
 * and ended by its stop (or detach) hook: it reads the vrings without notify_lock, which they
 * outlive.
 */
AMP_API bool rproc_poll_pending(struct rproc *rproc);

/**
 * rproc_trigger_recovery() - recover a CRASHED processor now, whatever the recovery setting.
 *
 * The firmware file is read again and its segments reloaded with the resources of the boot (the
 * table is not handled again, as in Linux). A file replaced since boot must pass the boot's
 * checks, and carry its resource table at the same address with the same size; otherwise
 * nothing is started, the processor stays CRASHED, and rproc_last_error() says why.
 *
 * Context: any thread except callbacks. Blocks until recovered.
 * Return: 0; -EINVAL when not crashed, or for an image that fails a check; an error of the
 * reboot.
 */
AMP_API int rproc_trigger_recovery(struct rproc *rproc);

/**
 * rproc_set_recovery() - enable or disable automatic recovery (enabled by default). Enabling it
 * while CRASHED recovers at once (in the background), as Linux does.
 * Context: any thread.
 */
AMP_API void rproc_set_recovery(struct rproc *rproc, bool enabled);
AMP_API bool rproc_recovery_enabled(const struct rproc *rproc);

/**
 * rproc_set_crash_limit() - stop automatic recovery when the core crashed @burst times within
 * @window_ms (default 5 in 10000); @burst 0 never stops. Context: any thread.
 * Return: 0; -EINVAL for a @burst over 64.
 */
AMP_API int rproc_set_crash_limit(struct rproc *rproc, unsigned int burst, unsigned int window_ms);

/** rproc_set_auto_boot() - boot at rproc_register() (default off). Context: before register. */
AMP_API void rproc_set_auto_boot(struct rproc *rproc, bool auto_boot);

/**
 * rproc_set_detached() - the platform found the core already running (started by a boot loader
 * or another OS): rproc_register() or rproc_boot() will attach to it. Context: before register.
 */
AMP_API void rproc_set_detached(struct rproc *rproc);

/**
 * rproc_set_feature() - the platform says its processor can do @feature (enum rproc_features).
 * Context: the platform, before rproc_register(). Unknown features are ignored.
 */
AMP_API void rproc_set_feature(struct rproc *rproc, enum rproc_features feature);

/** rproc_has_feature() - whether rproc_set_feature() set @feature. Context: any thread. */
AMP_API bool rproc_has_feature(const struct rproc *rproc, enum rproc_features feature);

/**
 * rproc_add_carveout() - memory reserved for the core at a fixed place, as Linux's platforms
 * register their reserved-memory regions (rproc_add_carveout() of an rproc_mem_entry)
 * @name: the carveout's name, copied (1 to 32 characters, as the table's name fields)
 * @da, @len: where it is, in the core's device addresses; ops->da_to_va must map the whole of
 *        it when the processor boots or attaches (it is not asked before)
 *
 * A carveout entry of the resource table with the same name is placed there instead of being
 * allocated (it must fit, and a fixed da in the entry must be @da). The name "vdev<N>buffer"
 * (Linux's) holds the buffers of vdev number N (virtio_device.index, from 0):
 * the rpmsg buffer pool then comes from this memory, not from ops->mem_alloc. A carveout
 * entry of that name in the table serves the same way. The memory stays the platform's: the
 * core never frees it.
 *
 * Context: the platform, while the processor is OFFLINE or DETACHED (before registering).
 * Return: 0; -EINVAL for an empty or too long name or @len 0 or a range that wraps; -EEXIST
 * for a name given before; -EBUSY when the processor runs; -ENOMEM.
 */
AMP_API int rproc_add_carveout(struct rproc *rproc, const char *name, uint64_t da, size_t len);

/**
 * rproc_set_vdev_buffers() - the buffer geometry of this processor's vdevs (for rpmsg: the
 * size of each message buffer, header included, and how many there are, half each way)
 * @buf_size: bytes per buffer, header included, a multiple of 8 from 24 to 65544 (the MTU is
 *            @buf_size - 16, and the header's length field says at most 65535); 0: 512, as Linux
 * @num_bufs: buffers in all, even, at most 65536; 0: as Linux, two per descriptor of the first
 *            vring, at most 512
 *
 * Where the pool is a fixed region ("vdev<N>buffer", rproc_add_carveout()) smaller than
 * @num_bufs buffers, as many as fit are used (the log says so); fewer than 2 fails the boot.
 * Both sides must agree: the remote takes the size from the buffers it is given, and our
 * remote supports any; a remote with a fixed size (OpenAMP's default of 512) needs that size.
 *
 * Context: the platform or the user, while the processor is OFFLINE or DETACHED.
 * Return: 0; -EINVAL for a value out of range; -EBUSY when it runs.
 */
AMP_API int rproc_set_vdev_buffers(struct rproc *rproc, unsigned int buf_size,
				   unsigned int num_bufs);

/**
 * rproc_set_firmware() - change the firmware name or path (copied).
 * Context: any thread. Return: 0; -EBUSY unless OFFLINE (as Linux's sysfs); -EINVAL for an
 * empty name; -ENOMEM.
 */
AMP_API int rproc_set_firmware(struct rproc *rproc, const char *firmware);

/** rproc_get_firmware() - the firmware name (valid until changed). Context: any thread. */
AMP_API const char *rproc_get_firmware(const struct rproc *rproc);

/**
 * rproc_set_elf_machines() - the ELF e_machine values this processor runs (e.g. EM_X86_64 for
 * the sim platform, EM_ARM for a Cortex-M); a firmware for another machine is refused at boot.
 * @machines is copied; @num 0 accepts any (the default). Context: before boot.
 * Return: 0; -ENOMEM.
 */
AMP_API int rproc_set_elf_machines(struct rproc *rproc, const uint16_t *machines,
				   unsigned int num);

/**
 * rproc_set_coredump() - what a crash leaves: nothing (default) or an ELF core file written into
 * directory @dir (copied; NULL: the current directory) as "<name>-<crash count>.core".
 * Context: any thread. Return: 0; -EBUSY while crashed (as Linux); -ENOMEM.
 */
AMP_API int rproc_set_coredump(struct rproc *rproc, enum rproc_dump_mechanism mode,
			       const char *dir);

/**
 * rproc_last_coredump() - path of the last coredump written, copied into @buf (NUL-terminated).
 * Context: any thread. Return: its length; -ENOENT when none was written; -ENOSPC.
 */
AMP_API int rproc_last_coredump(struct rproc *rproc, char *buf, size_t len);

/* OR'ed into rproc_trace_read()'s @index: the buffer as the core's last crash left it. */
#define RPROC_TRACE_CRASH 0x80000000u

/**
 * rproc_trace_read() - copy trace buffer @index (counted among the table's trace entries, from 0)
 * as text into @buf, up to the buffer's first NUL, NUL-terminated. While the core runs, the live
 * buffer; after a crash or stop, what it held when the core went down ("last trace").
 * With RPROC_TRACE_CRASH in @index: what it held when the core last crashed, kept apart from
 * the runs that follow (a recovery starts a new buffer at once, and a stop or a boot do not
 * touch it) until the next crash.
 * Context: any thread. Return: bytes copied (without the NUL); -ENOENT when there is no such
 * trace buffer and no saved one (with RPROC_TRACE_CRASH: the core never crashed since it was
 * allocated, or had no such buffer then); -ENODEV when deleted.
 */
AMP_API int rproc_trace_read(struct rproc *rproc, unsigned int index, char *buf, size_t len);

/**
 * rproc_get_state() - the current state. Context: any thread (a snapshot).
 */
AMP_API enum rproc_state rproc_get_state(const struct rproc *rproc);

/** rproc_state_name() - Linux's sysfs string for @state ("offline", "running"...; "invalid"). */
AMP_API const char *rproc_state_name(enum rproc_state state);

/** rproc_crash_type_name() - "mmufault", "watchdog", "fatal error", or "unknown". */
AMP_API const char *rproc_crash_type_name(enum rproc_crash_type type);

/** rproc_name() - the processor's name. Context: any. */
AMP_API const char *rproc_name(const struct rproc *rproc);

/** rproc_crash_count() - crashes reported and accepted since allocation. Context: any. */
AMP_API unsigned int rproc_crash_count(const struct rproc *rproc);

/** rproc_power_count() - current users of the running core (rproc_boot() count). */
AMP_API unsigned int rproc_power_count(const struct rproc *rproc);

/**
 * rproc_set_event_cb() - be told of state changes, crashes and vdevs (one callback per
 * processor; NULL removes it). The callback runs in the thread that made the change, with the
 * processor's lock held: it may read state but not call boot/shutdown.
 * Context: any thread.
 */
AMP_API void rproc_set_event_cb(struct rproc *rproc, rproc_event_cb_t cb, void *priv);

/**
 * rproc_get_vdev() - the bound vdev number @index (0 for the first), or NULL. Valid until the
 * next RPROC_EVENT_VDEV_DOWN; a new one after each recovery. Its @priv is its driver's (for
 * the rpmsg bus: see rpmsg_virtio_device_of()).
 * Context: any thread except that processor's notification context (its rpmsg callbacks,
 * probe and remove run with the lock this takes).
 */
AMP_API struct virtio_device *rproc_get_vdev(struct rproc *rproc, unsigned int index);

/**
 * rproc_get_loaded_table() - the resource table in use: the live copy in device memory while
 * running, else the cached copy; NULL when none. Sets *@size.
 * Context: any thread; the pointer is valid until the next state change.
 */
AMP_API const struct resource_table *rproc_get_loaded_table(struct rproc *rproc, size_t *size);

/**
 * rproc_copy_loaded_table() - a snapshot of the table rproc_get_loaded_table() points at, taken
 * under the processor's lock (for a debugfs-like dump from a thread that races with state
 * changes). While the core runs, the copy in device memory: the remote may have written
 * anything there, so check it (rsc_table_check()) before decoding it.
 * @buf, @len: where to copy; @da: set to the table's device address (may be NULL)
 * Context: any thread except that processor's notification context and its event callback
 * (both run with the lock this takes).
 * Return: the table's size, copied; -ENOENT when the processor holds no table (off, or its
 * firmware has none); -ENOSPC when @len is too small (nothing copied).
 */
AMP_API int rproc_copy_loaded_table(struct rproc *rproc, void *buf, size_t len, uint64_t *da);

/**
 * rproc_find_carveout() - the host's view of the carveout (or devmem entry) named @name in the
 * firmware's resource table: where the host mapped it, and its device address and length in
 * *@da and *@len (each may be NULL). For sharing bulk data with the firmware beside rpmsg.
 * Return: the host address, or NULL (no such entry, or the processor holds no resources: it is
 * off). Valid until the processor stops or crashes: the memory then goes back to the platform.
 * Context: any thread except that processor's notification context.
 */
AMP_API void *rproc_find_carveout(struct rproc *rproc, const char *name, uint64_t *da,
				  size_t *len);

/**
 * rproc_set_platform_error() - a platform's @start or @attach says, before it returns an
 * error, why it failed, in words for a person ("qemu-system-arm not found in PATH");
 * rproc_last_error() then carries it after "the platform could not start the core: " (or
 * "attach to"). printf-style.
 * Context: the platform's @start or @attach (the processor's lock held).
 */
AMP_API void rproc_set_platform_error(struct rproc *rproc, const char *fmt, ...) AMP_PRINTF(2, 3);

/**
 * rproc_last_error() - the diagnostic of the last failed boot or recovery, formatted ("firmware
 * echo.elf: segment 2 ends past the file (offset 0x1200, size 0x4000)"; for a file found
 * nowhere, the directories searched), or why automatic recovery stopped; "" when none.
 * Context: the thread whose rproc_boot() or rproc_trigger_recovery() just failed, or the event
 * callback (RPROC_EVENT_ERROR); the string is valid until the next boot or recovery attempt,
 * which the processor's worker may make at any time: elsewhere, use rproc_copy_last_error().
 */
AMP_API const char *rproc_last_error(struct rproc *rproc);

/**
 * rproc_copy_last_error() - rproc_last_error(), copied under the processor's lock into @buf
 * (NUL-terminated, cut to @len bytes), for a thread that may race with the worker.
 * Context: any thread except the processor's callbacks. Return: the length copied.
 */
AMP_API size_t rproc_copy_last_error(struct rproc *rproc, char *buf, size_t len);

/**
 * rproc_firmware_path_add() - add a directory to the firmware search path (searched in the
 * order added, after $AMP_FIRMWARE_PATH — a colon-separated list — and before /lib/firmware;
 * last come the sample firmwares installed with the library, share/amp/firmware beside it).
 * Context: any thread. Return: 0; -ENOMEM; -EINVAL for an empty path.
 */
AMP_API int rproc_firmware_path_add(const char *dir);

/** rproc_firmware_path_reset() - forget the directories added. Context: any thread. */
AMP_API void rproc_firmware_path_reset(void);

#endif /* AMP_REMOTEPROC_H */
