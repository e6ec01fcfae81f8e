/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the SDK: the loaded resource table's walker, shared by its users. */
#ifndef AMP_FW_LIB_RSC_H
#define AMP_FW_LIB_RSC_H

#include <stdint.h>

/* The first entry of @type in the loaded table for which @match (NULL: any) says yes: a
 * pointer to the entry's body (after its type word), or NULL. */
void *amp_fw_rsc_find(uint32_t type, int (*match)(const void *entry, const void *arg),
		      const void *arg);

#endif /* AMP_FW_LIB_RSC_H */
