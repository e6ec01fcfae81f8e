/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the SDK: the loaded resource table's walker, shared by its users. */
#ifndef AMP_FW_LIB_RSC_H
#define AMP_FW_LIB_RSC_H

#include <stddef.h>
#include <stdint.h>

/* The first entry of @type in the loaded table for which @match (NULL: any) says yes: a
 * pointer to the entry's body (after its type word), or NULL. */
void *amp_fw_rsc_find(uint32_t type, int (*match)(const void *entry, const void *arg),
		      const void *arg);

/* For the HAL of a target whose core sees its memory at its device addresses: a pointer to
 * [da, da + len) if all of it lies in the RAM or in the pool, else NULL. */
void *amp_fw_identity_map(uint64_t da, size_t len, uint64_t ram_da, uint64_t ram_len,
			  uint64_t pool_da, uint64_t pool_len);

#endif /* AMP_FW_LIB_RSC_H */
