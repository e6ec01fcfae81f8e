/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the resource-table parser on the fuzzer's bytes, then a walk of every entry the
 * way the host's handlers read them (typed bodies, names, vrings); and the measure of a table
 * found in memory, whose length must be one the check accepts within. Test layer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <amp/rsc_table.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *t = malloc(size ? size : 1);
	struct amp_diag d;
	struct rsc_entry e;
	char name[RPROC_MAX_NAME_LEN + 1];
	volatile uint32_t sink = 0;
	unsigned int i, j;
	size_t measured;

	memcpy(t, data, size);
	/* Measured: a length within the memory, header included, that the check (overlaps aside)
	 * accepts as is; a table the check accepts whole measures no longer than it is. */
	if (rsc_table_measure(t, size, &measured, &d) == 0) {
		if (measured < 16 || measured > size)
			abort();
		if (rsc_table_check(t, size, &d) == 0 && rsc_table_check(t, measured, &d) != 0)
			abort();
	} else if (rsc_table_check(t, size, &d) == 0) {
		abort();
	}
	if (rsc_table_check(t, size, &d) == 0) {
		for (i = 0; rsc_table_entry(t, size, i, &e) == 0; i++) {
			const struct fw_rsc_vdev *v = e.body;

			if (e.offset + 4 + e.len > size)
				abort();
			switch (e.type) {
			case RSC_CARVEOUT:
			case RSC_DEVMEM:
				rsc_name_copy(name, ((const struct fw_rsc_carveout *)e.body)->name);
				break;
			case RSC_TRACE:
				rsc_name_copy(name, ((const struct fw_rsc_trace *)e.body)->name);
				break;
			case RSC_VDEV:
				for (j = 0; j < v->num_of_vrings; j++) {
					sink += v->vring[j].num + v->vring[j].align;
					/* The check promised a fixed ring on its alignment. */
					if (v->vring[j].da != FW_RSC_ADDR_ANY &&
					    (v->vring[j].da & (v->vring[j].align - 1)))
						abort();
				}
				break;
			}
		}
	}
	(void)sink;
	free(t);
	return 0;
}
