/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A firmware image builder for remoteproc tests: an ELF64 x86-64 file with one PT_LOAD segment
 * holding some code bytes and a .resource_table section, written to a temporary file.
 */
#ifndef AMP_TEST_FW_H
#define AMP_TEST_FW_H

#include <stddef.h>
#include <stdint.h>

#define AMP_TEST_FW_LOAD_DA 0x1000u   /* where the segment goes */
#define AMP_TEST_FW_MEMSZ 0x3000u     /* its size in memory (the rest is zeroed "bss") */
#define AMP_TEST_FW_ENTRY 0x1000u

/* One resource table: a carveout (da ANY), a trace buffer, an rpmsg vdev (2 vrings of 16,
 * align 16, dfeatures NS|EVENT_IDX) and a vendor entry. Offsets of each entry are exposed so that
 * tests can look at write-backs. */
struct amp_test_rsc {
	size_t size;
	size_t carveout_off, trace_off, vdev_off, vendor_off;
	uint8_t bytes[512];
};

void amp_test_rsc_default(struct amp_test_rsc *rsc, uint32_t trace_da, uint32_t trace_len);

/* Write an image with @rsc (NULL: no resource table) to a new temporary file; returns its path
 * (static storage per call slot @slot 0..3). */
const char *amp_test_fw_write(int slot, const struct amp_test_rsc *rsc, uint16_t machine);

/* Write @size bytes of @img (an image built with amp_test_elf_build(), say) to a new temporary
 * file; returns its path (static storage per call slot @slot 0..3, shared with
 * amp_test_fw_write()). */
const char *amp_test_fw_write_image(int slot, const void *img, size_t size);

#endif /* AMP_TEST_FW_H */
