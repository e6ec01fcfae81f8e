/* SPDX-License-Identifier: BSD-3-Clause */
/* Finding entries in the loaded resource table (after the host filled in its addresses).
 * Firmware SDK. */
#include <amp/wire/rsc_table.h>

#include "amp-fw/hal.h"
#include "amp-fw/rsc.h"
#include "fw_rsc.h"

void *amp_fw_rsc_find(uint32_t type, int (*match)(const void *entry, const void *arg),
		      const void *arg)
{
	struct resource_table *t = amp_fw_rsc_table();
	uint32_t i;

	/* Our own table, which we linked: walking it needs no checks beyond the type. */
	for (i = 0; i < t->num; i++) {
		struct fw_rsc_hdr *h = (struct fw_rsc_hdr *)((uint8_t *)t + t->offset[i]);

		if (h->type == type && (!match || match(h->data, arg)))
			return h->data;
	}
	return 0;
}

static int carveout_named(const void *entry, const void *arg)
{
	const struct fw_rsc_carveout *c = entry;
	const char *name = arg;
	unsigned int i;

	for (i = 0; i < sizeof(c->name); i++) {
		if (c->name[i] != name[i])
			return 0;
		if (!name[i])
			return 1;
	}
	return 0;
}

void *amp_fw_carveout(const char *name, uint32_t *len)
{
	const struct fw_rsc_carveout *c = amp_fw_rsc_find(RSC_CARVEOUT, carveout_named, name);

	if (!c)
		return 0;
	*len = c->len;
	return amp_fw_da_to_va(c->da, c->len);
}

static int in_region(uint64_t da, size_t len, uint64_t base, uint64_t size)
{
	return da >= base && da - base <= size && len <= size - (da - base);
}

void *amp_fw_identity_map(uint64_t da, size_t len, uint64_t ram_da, uint64_t ram_len,
			  uint64_t pool_da, uint64_t pool_len)
{
	if (in_region(da, len, ram_da, ram_len) || in_region(da, len, pool_da, pool_len))
		return (void *)(uintptr_t)da;
	return 0;
}
