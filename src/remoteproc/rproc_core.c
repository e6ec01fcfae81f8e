/* SPDX-License-Identifier: BSD-3-Clause */
/* remoteproc core: allocation, registry, life cycle, refcounts, crash and recovery. Host layer. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/log.h>
#include <amp/remoteproc.h>
#include <amp/rsc_table.h>

#include "remoteproc/remoteproc_internal.h"
#include "util/amp_diag_format.h"

/* The registry of registered processors, for rproc_get_by_name(). */
static struct amp_mutex rproc_registry_lock = AMP_MUTEX_INITIALIZER;
static struct rproc **rproc_registry;
static unsigned int rproc_registry_num;

static void rproc_registry_lock_take(void)
{
	amp_mutex_lock(&rproc_registry_lock);
}

static const char *const rproc_state_names[RPROC_LAST + 1] = {
	[RPROC_OFFLINE] = "offline",   [RPROC_SUSPENDED] = "suspended", [RPROC_RUNNING] = "running",
	[RPROC_CRASHED] = "crashed",   [RPROC_DELETED] = "deleted",     [RPROC_ATTACHED] = "attached",
	[RPROC_DETACHED] = "detached", [RPROC_LAST] = "invalid",
};

const char *rproc_state_name(enum rproc_state state)
{
	if ((unsigned int)state > RPROC_LAST)
		state = RPROC_LAST;
	return rproc_state_names[state];
}

const char *rproc_crash_type_name(enum rproc_crash_type type)
{
	switch (type) {
	case RPROC_MMUFAULT:
		return "mmufault";
	case RPROC_WATCHDOG:
		return "watchdog";
	case RPROC_FATAL_ERROR:
		return "fatal error";
	}
	return "unknown";
}

static enum rproc_state rproc_state_get(const struct rproc_private *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
}

static unsigned int rproc_run_get(const struct rproc_private *p)
{
	return __atomic_load_n(&p->run, __ATOMIC_ACQUIRE);
}

/* A new run of the core begins (before it starts: a report made from then on is for it; its
 * vdevs are hooked after, under going_lock, so rproc_vdevs_going() sees the new value). Lock
 * held. */
static void rproc_run_next(struct rproc_private *p)
{
	__atomic_add_fetch(&p->run, 1, __ATOMIC_RELEASE);
}

void rproc_event_locked(struct rproc_private *p, enum rproc_event event)
{
	if (p->event_cb)
		p->event_cb(p->rproc, event, p->event_priv);
}

void rproc_set_state_locked(struct rproc_private *p, enum rproc_state state)
{
	if (p->state == state)
		return;
	amp_log(AMP_LOG_INFO, "%s: %s -> %s", p->name, rproc_state_name(p->state),
		rproc_state_name(state));
	__atomic_store_n(&p->state, state, __ATOMIC_RELEASE);
	rproc_event_locked(p, RPROC_EVENT_STATE);
}

int rproc_fail(struct rproc_private *p, int err, const char *fmt, ...)
{
	char msg[sizeof(p->last_error) - 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->last_error, sizeof(p->last_error), "firmware %s: %s",
		 p->firmware ? p->firmware : "(none)", msg);
	amp_log(AMP_LOG_ERR, "%s: %s (%s)", p->name, p->last_error, amp_errname(err));
	return err;
}

int rproc_fail_diag(struct rproc_private *p, const char *what, const struct amp_diag *d)
{
	char msg[256];

	amp_diag_format(d, msg, sizeof(msg));
	return rproc_fail(p, d->err ? d->err : -AMP_EINVAL, "%s%s", what, msg);
}

/* --- allocation and references ----------------------------------------------------------- */

struct rproc *rproc_alloc(const char *name, const struct rproc_ops *ops, const char *firmware,
			  size_t priv_size)
{
	struct rproc_private *p;
	struct rproc *rproc;
	char default_fw[RPROC_NAME_MAX + 8];

	if (!name || !*name || strlen(name) >= RPROC_NAME_MAX || !ops)
		return NULL;
	/* A core we only ever attach to needs no start or stop: it is not ours to power. */
	if (!ops->kick || !ops->da_to_va || (!ops->start && !ops->attach) ||
	    (ops->start && !ops->stop)) {
		amp_log(AMP_LOG_ERR,
			"%s: rproc_ops lacks a required hook (kick, da_to_va, and start with stop, "
			"or attach)",
			name);
		return NULL;
	}
	if (ops->mem_alloc && !ops->mem_free) {
		amp_log(AMP_LOG_ERR, "%s: rproc_ops has mem_alloc without mem_free", name);
		return NULL;
	}
	if (firmware && !*firmware)
		return NULL;

	rproc = calloc(1, sizeof(*rproc));
	p = calloc(1, sizeof(*p));
	if (!rproc || !p)
		goto out_free;
	if (priv_size) {
		rproc->priv = calloc(1, priv_size);
		if (!rproc->priv)
			goto out_free;
	}
	if (!firmware) {
		snprintf(default_fw, sizeof(default_fw), "%s-fw.elf", name);
		firmware = default_fw;
	}
	p->firmware = strdup(firmware);
	if (!p->firmware)
		goto out_free;

	snprintf(p->name, sizeof(p->name), "%s", name);
	rproc->name = p->name;
	rproc->p = p;
	rproc->table_da = FW_RSC_ADDR_ANY;
	p->rproc = rproc;
	p->ops = ops;
	p->state = RPROC_OFFLINE;
	p->refcount = 1;
	p->recover_burst = RPROC_RECOVERY_BURST;
	p->recover_window_ns = RPROC_RECOVERY_WINDOW_NS;
	amp_mutex_init(&p->lock);
	amp_mutex_init(&p->notify_lock);
	amp_mutex_init(&p->going_lock);
	amp_mutex_init(&p->work_lock);
	amp_cond_init(&p->work_cond);
	return rproc;

out_free:
	if (p)
		free(p->firmware);
	if (rproc)
		free(rproc->priv);
	free(p);
	free(rproc);
	return NULL;
}

struct rproc *rproc_get(struct rproc *rproc)
{
	__atomic_add_fetch(&rproc_p(rproc)->refcount, 1, __ATOMIC_RELAXED);
	return rproc;
}

static void rproc_release(struct rproc *rproc)
{
	struct rproc_private *p = rproc_p(rproc);

	rproc_reap_held_bufs(p, true);
	amp_cond_destroy(&p->work_cond);
	amp_mutex_destroy(&p->work_lock);
	amp_mutex_destroy(&p->going_lock);
	amp_mutex_destroy(&p->notify_lock);
	amp_mutex_destroy(&p->lock);
	rproc_free_last_traces(p, true);
	free(p->platform_carveouts);
	free(p->machines);
	free(p->dump_dir);
	free(p->firmware);
	free(p);
	free(rproc->priv);
	free(rproc);
}

void rproc_put(struct rproc *rproc)
{
	struct rproc_private *p;

	if (!rproc)
		return;
	p = rproc_p(rproc);
	/* Acquire-release: everything done through other references happens before the free. */
	if (__atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (p->registered) {
		/* A caller bug, but the registry must not keep a dangling pointer. */
		amp_log(AMP_LOG_WARN, "%s: last reference dropped while registered", p->name);
		__atomic_add_fetch(&p->refcount, 1, __ATOMIC_RELAXED);
		rproc_unregister(rproc);
		if (__atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL) != 0)
			return;
	}
	rproc_release(rproc);
}

void rproc_free(struct rproc *rproc)
{
	rproc_put(rproc);
}

struct rproc *rproc_get_by_name(const char *name)
{
	struct rproc *found = NULL;
	unsigned int i;

	if (!name)
		return NULL;
	rproc_registry_lock_take();
	for (i = 0; i < rproc_registry_num; i++) {
		if (!strcmp(rproc_registry[i]->name, name)) {
			found = rproc_get(rproc_registry[i]);
			break;
		}
	}
	amp_mutex_unlock(&rproc_registry_lock);
	return found;
}

/* --- booting and stopping ---------------------------------------------------------------- */

void rproc_set_platform_error(struct rproc *rproc, const char *fmt, ...)
{
	struct rproc_private *p = rproc_p(rproc);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->platform_error, sizeof(p->platform_error), fmt, ap);
	va_end(ap);
}

/* The platform's start, its failure recorded with the platform's reason. Lock held. */
static int rproc_start_core(struct rproc_private *p)
{
	int ret;

	rproc_run_next(p);
	p->platform_error[0] = '\0';
	ret = p->ops->start(p->rproc);
	if (ret)
		rproc_fail(p, ret, "the platform could not start the core%s%s",
			   p->platform_error[0] ? ": " : "", p->platform_error);
	return ret;
}

/* Load, handle resources, start, bring vdevs up. Lock held; on failure nothing is left. */
static int rproc_fw_boot(struct rproc_private *p)
{
	struct rproc *rproc = p->rproc;
	void *image = NULL;
	size_t size = 0;
	int ret;

	p->last_error[0] = '\0';
	ret = rproc_fw_request(p, &image, &size);
	if (ret)
		return ret;

	ret = rproc_fw_parse(p, image, size);		/* checks, entry point, cached table */
	if (ret)
		goto out_release_fw;

	ret = rproc_handle_resources(p);		/* carveouts, trace, vdevs, vendor */
	if (ret)
		goto out_release_resources;

	ret = rproc_fw_load(p, image, size);		/* segments into device memory */
	if (ret)
		goto out_release_resources;

	ret = rproc_install_loaded_table(p);		/* the live table from now on */
	if (ret)
		goto out_release_resources;

	ret = rproc_start_core(p);
	if (ret)
		goto out_release_resources;

	ret = rproc_start_vdevs(p);			/* vdevs bound to their virtio drivers */
	if (ret)
		goto out_stop;

	rproc_fw_release(image, size);
	rproc_set_state_locked(p, RPROC_RUNNING);
	amp_log(AMP_LOG_INFO, "%s: booted %s", p->name, p->firmware);
	return 0;

out_stop:
	p->ops->stop(rproc);
out_release_resources:
	rproc_release_resources(p);
out_release_fw:
	rproc_fw_release(image, size);
	return ret;
}

/* Attach to a core someone else started. Lock held. */
static int rproc_attach_locked(struct rproc_private *p)
{
	struct rproc *rproc = p->rproc;
	size_t size = 0;
	uint64_t da = FW_RSC_ADDR_ANY;
	void *table;
	int ret;

	if (!p->ops->attach)
		return -AMP_EOPNOTSUPP;
	p->last_error[0] = '\0';
	table = p->ops->get_loaded_rsc_table ? p->ops->get_loaded_rsc_table(rproc, &size, &da)
					     : NULL;
	if (table) {
		struct amp_diag d = {0};

		/* The live table is the remote's to scribble on: work on a checked private copy,
		 * keep another as found to restore on detach, and write ours back once. */
		p->clean_table = malloc(size);
		p->cached_table = malloc(size);
		if (!p->clean_table || !p->cached_table) {
			ret = -AMP_ENOMEM;
			goto out_release;
		}
		memcpy(p->clean_table, table, size);
		memcpy(p->cached_table, p->clean_table, size);
		p->table_size = size;
		p->table_da = da;
		rproc->table_da = da;
		ret = rsc_table_check(p->cached_table, size, &d);
		if (ret) {
			rproc_fail_diag(p, "attached core's resource table: ", &d);
			goto out_release;
		}
		ret = rproc_handle_resources(p);
		if (ret)
			goto out_release;
		memcpy(table, p->cached_table, size);
		p->table_ptr = table;
	}
	rproc_run_next(p);
	p->platform_error[0] = '\0';
	ret = p->ops->attach(rproc);
	if (ret) {
		rproc_fail(p, ret, "the platform could not attach to the core%s%s",
			   p->platform_error[0] ? ": " : "", p->platform_error);
		goto out_release;
	}
	ret = rproc_start_vdevs(p);
	if (ret)
		goto out_detach;
	rproc_set_state_locked(p, RPROC_ATTACHED);
	return 0;

out_detach:
	if (p->ops->detach)
		p->ops->detach(rproc);
out_release:
	rproc_release_resources(p);
	return ret;
}

static int rproc_boot_locked(struct rproc_private *p)
{
	int ret;

	switch (p->state) {
	case RPROC_DELETED:
		return -AMP_ENODEV;
	case RPROC_DETACHED:
		ret = rproc_attach_locked(p);
		break;
	case RPROC_OFFLINE:
		/* Only ever attached to: there is nothing we could start. */
		ret = p->ops->start ? rproc_fw_boot(p) : -AMP_EOPNOTSUPP;
		break;
	default:
		/* Running, attached or crashed-and-recovering: one more user. */
		p->power++;
		return 0;
	}
	if (!ret)
		p->power = 1;
	return ret;
}

int rproc_boot(struct rproc *rproc)
{
	struct rproc_private *p;
	int ret;

	if (!rproc)
		return -AMP_EINVAL;
	p = rproc_p(rproc);
	amp_mutex_lock(&p->lock);
	ret = rproc_boot_locked(p);
	amp_mutex_unlock(&p->lock);
	return ret;
}

/*
 * Take the core down: vdevs first (drivers get remove(), nothing touches the rings after), the
 * trace buffers saved, the table pointer back on our cached copy, then the platform's stop.
 * Lock held. With @crashed the core may already be dead; its memory stays mapped for the dump.
 */
static void rproc_stop_locked(struct rproc_private *p, bool crashed)
{
	int ret;

	rproc_stop_vdevs(p);
	rproc_save_traces(p);
	p->table_ptr = p->cached_table;
	/* A core we cannot power off (attached, no stop) is let go of: detach releases what
	 * attach took on the platform's side. */
	ret = p->ops->stop ? p->ops->stop(p->rproc) : p->ops->detach ? p->ops->detach(p->rproc) : 0;
	if (ret)
		amp_log(AMP_LOG_WARN, "%s: the platform's %s failed (%s)%s", p->name,
			p->ops->stop ? "stop" : "detach", amp_errname(ret),
			crashed ? " after a crash" : "");
}

/*
 * Let an attached core run on alone: vdevs removed, the table restored as we found it (so that
 * a later attach starts from a clean one), then the platform's detach. With @force (shutting
 * down, unregistering) a failed detach is logged and we let go all the same. Lock held.
 */
static int rproc_detach_locked(struct rproc_private *p, bool force)
{
	int ret = 0;

	rproc_stop_vdevs(p);
	if (p->clean_table && p->table_ptr)
		memcpy(p->table_ptr, p->clean_table, p->table_size);
	if (p->ops->detach)
		ret = p->ops->detach(p->rproc);
	if (ret) {
		amp_log(AMP_LOG_WARN, "%s: the platform's detach failed (%s)", p->name,
			amp_errname(ret));
		if (!force)
			return ret;
	}
	p->table_ptr = NULL;
	rproc_release_resources(p);
	p->power = 0;
	p->auto_booted = false;
	rproc_set_state_locked(p, RPROC_DETACHED);
	return 0;
}

/* Power off whatever the state, release everything. Lock held. */
static void rproc_power_off_locked(struct rproc_private *p)
{
	switch (p->state) {
	case RPROC_RUNNING:
		rproc_stop_locked(p, false);
		break;
	case RPROC_ATTACHED:
		/* Stopping a core we attached to: it is ours now to stop (as Linux's stop), unless
		 * the platform cannot stop it: then it runs on, detached. */
		if (!p->ops->stop) {
			rproc_detach_locked(p, true);
			return;
		}
		rproc_stop_locked(p, false);
		break;
	case RPROC_CRASHED:
		/* The worker may not have taken it down yet: do it here. */
		if (p->vdevs || p->table_ptr != p->cached_table)
			rproc_stop_locked(p, true);
		break;
	default:
		return;
	}
	rproc_release_resources(p);
	p->power = 0;
	p->auto_booted = false;
	/* Off, or, for a core we can only attach to, to be attached again when it is back. */
	rproc_set_state_locked(p, p->ops->start ? RPROC_OFFLINE : RPROC_DETACHED);
}

int rproc_shutdown(struct rproc *rproc)
{
	struct rproc_private *p;
	int ret = 0;

	if (!rproc)
		return -AMP_EINVAL;
	p = rproc_p(rproc);
	amp_mutex_lock(&p->lock);
	if (p->state == RPROC_DELETED) {
		ret = -AMP_ENODEV;
		goto out;
	}
	if (p->state != RPROC_RUNNING && p->state != RPROC_ATTACHED &&
	    p->state != RPROC_CRASHED) {
		ret = -AMP_EINVAL;
		goto out;
	}
	if (p->power > 1) {
		p->power--;
		goto out;
	}
	rproc_power_off_locked(p);
out:
	amp_mutex_unlock(&p->lock);
	return ret;
}

int rproc_detach(struct rproc *rproc)
{
	struct rproc_private *p = rproc_p(rproc);
	int ret;

	amp_mutex_lock(&p->lock);
	if (p->state != RPROC_ATTACHED)
		ret = p->state == RPROC_DELETED ? -AMP_ENODEV : -AMP_EINVAL;
	else if (!p->ops->detach)
		ret = -AMP_EOPNOTSUPP;
	else
		ret = rproc_detach_locked(p, false);
	amp_mutex_unlock(&p->lock);
	return ret;
}

/* --- crash and recovery ------------------------------------------------------------------ */

/* Reload and restart a crashed core with the resources it had. Lock held. */
static int rproc_recover_locked(struct rproc_private *p)
{
	struct rproc *rproc = p->rproc;
	void *image = NULL;
	size_t size = 0;
	int ret;

	if (p->state != RPROC_CRASHED)
		return -AMP_EINVAL;
	amp_log(AMP_LOG_INFO, "%s: recovering", p->name);
	if (p->features & (1u << RPROC_FEAT_ATTACH_ON_RECOVERY)) {
		/* The core came back by itself (or another took its place): attach to it anew,
		 * from the table it offers now, with everything of the last attach released (as
		 * Linux's attach recovery: detach, then attach). */
		rproc_release_resources(p);
		return rproc_attach_locked(p);
	}
	if (!p->ops->start)
		return rproc_fail(p, -AMP_EOPNOTSUPP,
				  "the core can only be attached to, and does not come back by itself");
	ret = rproc_fw_request(p, &image, &size);
	if (ret)
		return ret;
	/* The table is not parsed again (as Linux): the new image must carry the same one. */
	ret = rproc_fw_load(p, image, size);
	rproc_fw_release(image, size);
	if (ret)
		return ret;
	ret = rproc_reset_vdev_memory(p);
	if (ret)
		return ret;
	ret = rproc_install_loaded_table(p);
	if (ret)
		return ret;
	ret = rproc_start_core(p);
	if (ret) {
		p->table_ptr = p->cached_table;
		return ret;
	}
	ret = rproc_start_vdevs(p);
	if (ret) {
		p->ops->stop(rproc);
		p->table_ptr = p->cached_table;
		return ret;
	}
	rproc_set_state_locked(p, RPROC_RUNNING);
	return 0;
}

/* The first part of crash handling: take the core down, dump it. Lock held. */
static void rproc_crash_locked(struct rproc_private *p, enum rproc_crash_type type,
			       unsigned int run)
{
	if (p->state != RPROC_RUNNING && p->state != RPROC_ATTACHED)
		return; /* stopped on purpose meanwhile, or already crashed */
	if (run != p->run) {
		/* Made for a run that was stopped meanwhile (a late event of the platform's, or a
		 * stop and a start before the worker got here): this run did not crash. */
		amp_log(AMP_LOG_WARN, "%s: a crash report (%s) for an earlier run was dropped "
				      "(made in run %u; run %u is up)",
			p->name, rproc_crash_type_name(type), run, p->run);
		return;
	}
	__atomic_add_fetch(&p->crash_cnt, 1, __ATOMIC_RELAXED);
	amp_log(AMP_LOG_WARN, "%s: crashed (%s), crash %u", p->name, rproc_crash_type_name(type),
		rproc_crash_count(p->rproc));
	rproc_set_state_locked(p, RPROC_CRASHED);
	rproc_stop_locked(p, true);
	if (p->dump == RPROC_COREDUMP_ENABLED)
		rproc_coredump(p);
	rproc_event_locked(p, RPROC_EVENT_CRASH);
}

/* Work of the worker's failed (@what: what it was, or NULL when last_error says it all): said to
 * the log and to the event callback, since nobody waits for its result. Lock held. */
static void rproc_background_failed(struct rproc_private *p, const char *what)
{
	amp_log(AMP_LOG_ERR, "%s: %s%s%s", p->name, what ? what : "", what ? ": " : "",
		p->last_error);
	rproc_event_locked(p, RPROC_EVENT_ERROR);
}

/* Whether automatic recovery should stop: as many recoveries as RPROC_RECOVERY_BURST within
 * the window. Records this one otherwise. Lock held. */
static bool rproc_crash_loop(struct rproc_private *p)
{
	uint64_t now = amp_now_ns();
	uint64_t oldest;

	if (!p->recover_burst)
		return false;
	oldest = p->recover_ns[p->recover_next];
	if (oldest && now - oldest < p->recover_window_ns) {
		snprintf(p->last_error, sizeof(p->last_error),
			 "crashed again after %u automatic recoveries within %llu ms: automatic "
			 "recovery stopped, left crashed until recovered by hand",
			 p->recover_burst,
			 (unsigned long long)(p->recover_window_ns / AMP_NSEC_PER_MSEC));
		rproc_background_failed(p, NULL);
		memset(p->recover_ns, 0, sizeof(p->recover_ns));
		return true;
	}
	p->recover_ns[p->recover_next] = now;
	p->recover_next = (p->recover_next + 1) % p->recover_burst;
	return false;
}

int rproc_set_crash_limit(struct rproc *rproc, unsigned int burst, unsigned int window_ms)
{
	struct rproc_private *p = rproc_p(rproc);

	if (burst > RPROC_RECOVERY_BURST_MAX)
		return -AMP_EINVAL;
	amp_mutex_lock(&p->lock);
	p->recover_burst = burst;
	p->recover_window_ns = (uint64_t)window_ms * AMP_NSEC_PER_MSEC;
	p->recover_next = 0;
	memset(p->recover_ns, 0, sizeof(p->recover_ns));
	amp_mutex_unlock(&p->lock);
	return 0;
}

static void *rproc_worker(void *arg)
{
	struct rproc_private *p = arg;
	unsigned int work, run;
	enum rproc_crash_type type;

	for (;;) {
		amp_mutex_lock(&p->work_lock);
		while (!p->work)
			amp_cond_wait(&p->work_cond, &p->work_lock);
		work = p->work;
		p->work = 0;
		type = p->crash_type;
		run = p->crash_run;
		amp_mutex_unlock(&p->work_lock);
		if (work & RPROC_WORK_EXIT)
			return NULL;

		amp_mutex_lock(&p->lock);
		if (work & RPROC_WORK_AUTOBOOT && p->state != RPROC_DELETED && !p->auto_booted) {
			if (rproc_boot_locked(p) == 0)
				p->auto_booted = true;
			else
				rproc_background_failed(p, "auto-boot failed");
		}
		if (work & RPROC_WORK_CRASH)
			rproc_crash_locked(p, type, run);
		if ((work & (RPROC_WORK_CRASH | RPROC_WORK_RECOVER)) && p->state == RPROC_CRASHED &&
		    ((work & RPROC_WORK_RECOVER) ||
		     (rproc_recovery_enabled(p->rproc) && !rproc_crash_loop(p)))) {
			if (rproc_recover_locked(p))
				rproc_background_failed(p, "recovery failed; left crashed");
		}
		amp_mutex_unlock(&p->lock);
	}
}

static void rproc_queue_work(struct rproc_private *p, unsigned int work)
{
	amp_mutex_lock(&p->work_lock);
	p->work |= work;
	amp_cond_signal(&p->work_cond);
	amp_mutex_unlock(&p->work_lock);
}

void rproc_report_crash(struct rproc *rproc, enum rproc_crash_type type)
{
	struct rproc_private *p;
	enum rproc_state state;
	unsigned int run;

	if (!rproc)
		return;
	p = rproc_p(rproc);
	run = rproc_run_get(p);
	state = rproc_state_get(p);
	/* Up, and the same run throughout: a report racing with a restart was for the run that
	 * went. */
	if ((state != RPROC_RUNNING && state != RPROC_ATTACHED) || rproc_run_get(p) != run)
		return;
	amp_mutex_lock(&p->work_lock);
	/* One crash queued at a time; a newer run's replaces an older one's (dropped anyway). */
	if (!(p->work & RPROC_WORK_CRASH) || p->crash_run != run) {
		p->crash_type = type;
		p->crash_run = run;
		p->work |= RPROC_WORK_CRASH;
		amp_cond_signal(&p->work_cond);
	}
	amp_mutex_unlock(&p->work_lock);
	/* The worker's first step unhooks the vdevs, which waits for the notification path: a
	 * sender blocked there (in a callback) must let go now, not at its timeout. */
	rproc_vdevs_going(p, run);
}

int rproc_trigger_recovery(struct rproc *rproc)
{
	struct rproc_private *p = rproc_p(rproc);
	int ret;

	amp_mutex_lock(&p->lock);
	ret = rproc_recover_locked(p);
	amp_mutex_unlock(&p->lock);
	return ret;
}

void rproc_set_recovery(struct rproc *rproc, bool enabled)
{
	struct rproc_private *p = rproc_p(rproc);

	__atomic_store_n(&p->recovery_disabled, !enabled, __ATOMIC_RELAXED);
	if (enabled && rproc_state_get(p) == RPROC_CRASHED && p->worker_started)
		rproc_queue_work(p, RPROC_WORK_RECOVER);
}

bool rproc_recovery_enabled(const struct rproc *rproc)
{
	return !__atomic_load_n(&rproc_p(rproc)->recovery_disabled, __ATOMIC_RELAXED);
}

/* --- registration ------------------------------------------------------------------------ */

int rproc_register(struct rproc *rproc)
{
	struct rproc_private *p = rproc_p(rproc);
	struct rproc **grown;
	unsigned int i;
	int ret;

	rproc_registry_lock_take();
	if (p->registered) {
		ret = -AMP_EINVAL;
		goto out_unlock;
	}
	for (i = 0; i < rproc_registry_num; i++) {
		if (!strcmp(rproc_registry[i]->name, p->name)) {
			ret = -AMP_EEXIST;
			goto out_unlock;
		}
	}
	grown = realloc(rproc_registry, sizeof(*grown) * (rproc_registry_num + 1));
	if (!grown) {
		ret = -AMP_ENOMEM;
		goto out_unlock;
	}
	rproc_registry = grown;
	ret = amp_thread_create(&p->worker, rproc_worker, p, "rproc-worker");
	if (ret)
		goto out_unlock;
	p->worker_started = true;
	rproc_registry[rproc_registry_num++] = rproc;
	p->registered = true;
	amp_mutex_unlock(&rproc_registry_lock);

	if (p->detached) {
		amp_mutex_lock(&p->lock);
		rproc_set_state_locked(p, RPROC_DETACHED);
		amp_mutex_unlock(&p->lock);
	}
	if (p->auto_boot)
		rproc_queue_work(p, RPROC_WORK_AUTOBOOT);
	return 0;

out_unlock:
	amp_mutex_unlock(&rproc_registry_lock);
	return ret;
}

int rproc_unregister(struct rproc *rproc)
{
	struct rproc_private *p = rproc_p(rproc);
	unsigned int i;

	rproc_registry_lock_take();
	if (!p->registered) {
		amp_mutex_unlock(&rproc_registry_lock);
		return -AMP_EINVAL;
	}
	for (i = 0; i < rproc_registry_num; i++) {
		if (rproc_registry[i] == rproc) {
			rproc_registry[i] = rproc_registry[--rproc_registry_num];
			break;
		}
	}
	p->registered = false;
	amp_mutex_unlock(&rproc_registry_lock);

	/* Finish background work first, so that nothing boots behind our back. */
	rproc_queue_work(p, RPROC_WORK_EXIT);
	amp_thread_join(&p->worker);
	p->worker_started = false;
	p->work = 0;

	amp_mutex_lock(&p->lock);
	rproc_power_off_locked(p);
	rproc_set_state_locked(p, RPROC_DELETED);
	amp_mutex_unlock(&p->lock);
	return 0;
}

/* --- settings and queries ---------------------------------------------------------------- */

void rproc_set_auto_boot(struct rproc *rproc, bool auto_boot)
{
	rproc_p(rproc)->auto_boot = auto_boot;
}

void rproc_set_detached(struct rproc *rproc)
{
	rproc_p(rproc)->detached = true;
	amp_mutex_lock(&rproc_p(rproc)->lock);
	if (rproc_p(rproc)->state == RPROC_OFFLINE)
		rproc_set_state_locked(rproc_p(rproc), RPROC_DETACHED);
	amp_mutex_unlock(&rproc_p(rproc)->lock);
}

void rproc_set_feature(struct rproc *rproc, enum rproc_features feature)
{
	if ((unsigned int)feature < RPROC_MAX_FEATURES)
		__atomic_or_fetch(&rproc_p(rproc)->features, 1u << feature, __ATOMIC_RELAXED);
}

bool rproc_has_feature(const struct rproc *rproc, enum rproc_features feature)
{
	return (unsigned int)feature < RPROC_MAX_FEATURES &&
	       (__atomic_load_n(&rproc_p(rproc)->features, __ATOMIC_RELAXED) >> feature & 1);
}

/* Whether the processor holds no resources: settings that shape them may change. Lock held. */
static bool rproc_is_idle_locked(const struct rproc_private *p)
{
	return p->state == RPROC_OFFLINE || p->state == RPROC_DETACHED;
}

int rproc_add_carveout(struct rproc *rproc, const char *name, uint64_t da, size_t len)
{
	struct rproc_private *p = rproc_p(rproc);
	struct rproc_mem *grown;
	unsigned int i;
	int ret = 0;

	if (!name || !*name || strlen(name) > RPROC_MAX_NAME_LEN || !len || da + len < da)
		return -AMP_EINVAL;
	amp_mutex_lock(&p->lock);
	for (i = 0; i < p->num_platform_carveouts; i++)
		if (!strcmp(p->platform_carveouts[i].name, name))
			ret = -AMP_EEXIST;
	if (!ret && !rproc_is_idle_locked(p))
		ret = -AMP_EBUSY;
	if (!ret) {
		grown = realloc(p->platform_carveouts,
				sizeof(*grown) * (p->num_platform_carveouts + 1));
		if (!grown) {
			ret = -AMP_ENOMEM;
		} else {
			p->platform_carveouts = grown;
			grown += p->num_platform_carveouts++;
			memset(grown, 0, sizeof(*grown));
			snprintf(grown->name, sizeof(grown->name), "%s", name);
			grown->da = da;
			grown->len = len;
		}
	}
	amp_mutex_unlock(&p->lock);
	return ret;
}

int rproc_set_vdev_buffers(struct rproc *rproc, unsigned int buf_size, unsigned int num_bufs)
{
	struct rproc_private *p = rproc_p(rproc);
	int ret = 0;

	/* The header's 16-bit length bounds the payload; 8-byte steps keep every buffer aligned. */
	if ((buf_size && (buf_size < RPROC_BUF_SIZE_MIN || buf_size > RPROC_BUF_SIZE_MAX ||
			  buf_size % 8)) ||
	    num_bufs % 2 || num_bufs > RPROC_NUM_BUFS_MAX)
		return -AMP_EINVAL;
	amp_mutex_lock(&p->lock);
	if (rproc_is_idle_locked(p)) {
		p->buf_size = buf_size;
		p->num_bufs = num_bufs;
	} else {
		ret = -AMP_EBUSY;
	}
	amp_mutex_unlock(&p->lock);
	return ret;
}

int rproc_set_firmware(struct rproc *rproc, const char *firmware)
{
	struct rproc_private *p = rproc_p(rproc);
	char *copy;
	int ret = 0;

	if (!firmware || !*firmware || firmware[0] == '\n')
		return -AMP_EINVAL;
	copy = strndup(firmware, strcspn(firmware, "\n"));
	if (!copy)
		return -AMP_ENOMEM;
	amp_mutex_lock(&p->lock);
	if (p->state != RPROC_OFFLINE) {
		ret = -AMP_EBUSY;
		free(copy);
	} else {
		free(p->firmware);
		p->firmware = copy;
	}
	amp_mutex_unlock(&p->lock);
	return ret;
}

const char *rproc_get_firmware(const struct rproc *rproc)
{
	return rproc_p(rproc)->firmware;
}

int rproc_set_elf_machines(struct rproc *rproc, const uint16_t *machines, unsigned int num)
{
	struct rproc_private *p = rproc_p(rproc);
	uint16_t *copy = NULL;

	if (num) {
		copy = malloc(sizeof(*copy) * num);
		if (!copy)
			return -AMP_ENOMEM;
		memcpy(copy, machines, sizeof(*copy) * num);
	}
	amp_mutex_lock(&p->lock);
	free(p->machines);
	p->machines = copy;
	p->num_machines = num;
	amp_mutex_unlock(&p->lock);
	return 0;
}

enum rproc_state rproc_get_state(const struct rproc *rproc)
{
	return rproc_state_get(rproc_p(rproc));
}

const char *rproc_name(const struct rproc *rproc)
{
	return rproc->name;
}

unsigned int rproc_crash_count(const struct rproc *rproc)
{
	return __atomic_load_n(&rproc_p(rproc)->crash_cnt, __ATOMIC_RELAXED);
}

unsigned int rproc_power_count(const struct rproc *rproc)
{
	struct rproc_private *p = rproc_p(rproc);
	unsigned int power;

	amp_mutex_lock(&p->lock);
	power = p->power;
	amp_mutex_unlock(&p->lock);
	return power;
}

void rproc_set_event_cb(struct rproc *rproc, rproc_event_cb_t cb, void *priv)
{
	struct rproc_private *p = rproc_p(rproc);

	amp_mutex_lock(&p->lock);
	p->event_cb = cb;
	p->event_priv = priv;
	amp_mutex_unlock(&p->lock);
}

const struct resource_table *rproc_get_loaded_table(struct rproc *rproc, size_t *size)
{
	struct rproc_private *p = rproc_p(rproc);
	const struct resource_table *t;

	amp_mutex_lock(&p->lock);
	t = p->table_ptr;
	if (size)
		*size = t ? p->table_size : 0;
	amp_mutex_unlock(&p->lock);
	return t;
}

int rproc_copy_loaded_table(struct rproc *rproc, void *buf, size_t len, uint64_t *da)
{
	struct rproc_private *p = rproc_p(rproc);
	int ret;

	amp_mutex_lock(&p->lock);
	if (!p->table_ptr || p->table_size > INT32_MAX) {
		ret = -AMP_ENOENT;
	} else if (p->table_size > len) {
		ret = -AMP_ENOSPC;
	} else {
		memcpy(buf, p->table_ptr, p->table_size);
		if (da)
			*da = p->table_da;
		ret = (int)p->table_size;
	}
	amp_mutex_unlock(&p->lock);
	return ret;
}

void *rproc_find_carveout(struct rproc *rproc, const char *name, uint64_t *da, size_t *len)
{
	struct rproc_private *p = rproc_p(rproc);
	void *va = NULL;
	unsigned int i;

	if (!name)
		return NULL;
	amp_mutex_lock(&p->lock);
	for (i = 0; i < p->num_carveouts && !va; i++) {
		const struct rproc_mem *m = &p->carveouts[i];

		if (strncmp(m->name, name, sizeof(m->name)) || !m->va)
			continue;
		va = m->va;
		if (da)
			*da = m->da;
		if (len)
			*len = m->len;
	}
	amp_mutex_unlock(&p->lock);
	return va;
}

const char *rproc_last_error(struct rproc *rproc)
{
	return rproc_p(rproc)->last_error;
}

size_t rproc_copy_last_error(struct rproc *rproc, char *buf, size_t len)
{
	struct rproc_private *p = rproc_p(rproc);
	size_t n;

	if (!len)
		return 0;
	amp_mutex_lock(&p->lock);
	n = strnlen(p->last_error, len - 1);
	memcpy(buf, p->last_error, n);
	buf[n] = '\0';
	amp_mutex_unlock(&p->lock);
	return n;
}
