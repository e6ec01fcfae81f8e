/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the SoC description parser on the fuzzer's bytes (a DTB is any file a user points
 * ampd at). A refusal must say why in printable ASCII; what is accepted must keep every promise
 * of ampd_soc.h, since the daemon uses the fields without checking them again. Test layer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ampd/ampd_soc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path of amp,shm-rproc: "" (the default) or absolute, terminated in its array. */
static void check_path(const char *path, size_t size)
{
	size_t n = strnlen(path, size);

	if (n == size || (n && path[0] != '/'))
		abort();
}

/* amp,shm-rproc: no firmware, no regions; each value in range (the layout as a whole is the
 * platform's to check when the daemon creates the processor). */
static void check_shm(const struct ampd_soc_proc *p)
{
	if (p->firmware[0] || p->ram_len || p->pool_len)
		abort();
	check_path(p->shm.file, sizeof(p->shm.file));
	check_path(p->shm.socket, sizeof(p->shm.socket));
	if ((p->shm.size && (p->shm.size < 0x1000 || p->shm.size > SHM_MAX_SIZE)) ||
	    (p->shm.buf_da && !p->shm.buf_len) ||
	    p->shm.attach_timeout_ms > AMPD_SOC_WATCHDOG_MAX_MS)
		abort();
}

static void check_proc(const struct ampd_soc *soc, unsigned int i)
{
	const struct ampd_soc_proc *p = &soc->procs[i];
	size_t n = strnlen(p->name, sizeof(p->name)), k;
	unsigned int j;

	if (n == 0 || n > AMPD_NAME_MAX)
		abort();
	for (k = 0; k < n; k++)
		if (!ampd_name_char(p->name[k]))
			abort();
	for (j = 0; j < i; j++)
		if (!strcmp(soc->procs[j].name, p->name))
			abort();
	/* The buffer geometry, for any platform: 0 (the default) or within rproc's bounds. */
	if ((p->buf_size && (p->buf_size < 24 || p->buf_size > 65544 || p->buf_size % 8)) ||
	    p->num_bufs % 2 || p->num_bufs > 65536)
		abort();
	if (!strcmp(p->compatible, AMPD_SOC_SHM_COMPATIBLE)) {
		check_shm(p);
		return;
	}
	if (strcmp(p->compatible, AMPD_SOC_SIM_COMPATIBLE) &&
	    strcmp(p->compatible, AMPD_SOC_QEMU_M4_COMPATIBLE))
		abort();
	/* A Cortex-M4's regions split its RAM below the platform's control page. */
	if (!strcmp(p->compatible, AMPD_SOC_QEMU_M4_COMPATIBLE) &&
	    (p->ram_da < 0x21000000 || p->ram_da + p->ram_len > 0x21fff000 ||
	     p->pool_da < 0x21000000 || p->pool_da + p->pool_len > 0x21fff000))
		abort();
	n = strnlen(p->firmware, sizeof(p->firmware));
	if (n == 0 || n == sizeof(p->firmware) || strchr(p->firmware, '/') ||
	    !strcmp(p->firmware, "..") || !strcmp(p->firmware, "."))
		abort();
	/* Both regions inside the sim's 32-bit device addresses, and apart. */
	if (!p->ram_len || !p->pool_len || p->ram_da >= 1ull << 32 ||
	    p->ram_len > (1ull << 32) - p->ram_da || p->pool_da >= 1ull << 32 ||
	    p->pool_len > (1ull << 32) - p->pool_da ||
	    (p->ram_da < p->pool_da + p->pool_len && p->pool_da < p->ram_da + p->ram_len))
		abort();
	if (p->cpu < -1 || p->cpu >= AMPD_SOC_CPU_LIMIT || p->watchdog_ms > AMPD_SOC_WATCHDOG_MAX_MS)
		abort();
	if (p->notify != SIM_NOTIFY_MAILBOX && p->notify != SIM_NOTIFY_POLL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ampd_soc soc;
	char why[256];
	unsigned int i;
	size_t k;

	memset(why, 'x', sizeof(why));
	if (ampd_soc_parse(data, size, &soc, why, sizeof(why))) {
		/* A refusal always says why, in a terminated, printable sentence. */
		if (!memchr(why, '\0', sizeof(why)) || why[0] == '\0')
			abort();
		for (k = 0; why[k]; k++)
			if (why[k] < 0x20 || why[k] > 0x7e)
				abort();
		return 0;
	}
	if (soc.num_procs == 0 || soc.num_procs > AMPD_SOC_MAX_PROCS ||
	    !memchr(soc.model, '\0', sizeof(soc.model)))
		abort();
	for (i = 0; i < soc.num_procs; i++)
		check_proc(&soc, i);
	return 0;
}
