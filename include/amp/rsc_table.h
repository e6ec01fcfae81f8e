/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The resource-table parser: checks a whole table once — header, every entry's place and body,
 * reserved fields, overlaps — then lets the caller walk the entries. Portable core: no OS, no
 * allocation; errors come with a struct amp_diag naming the entry and the numbers.
 *
 * The table checked must be a private copy: a table in device memory can change between the
 * check and the use. After rsc_table_check() succeeded, rsc_table_entry() trusts what it checked.
 */
#ifndef AMP_RSC_TABLE_H
#define AMP_RSC_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>
#include <amp/diag.h>
#include <amp/wire/rsc_table.h>

/* More entries than this is not a resource table (and would make overlap checks costly). */
#define RSC_TABLE_MAX_ENTRIES 256

/**
 * struct rsc_entry - one entry of a checked table
 * @index:  its index in the offset array
 * @type:   the fw_rsc_hdr type
 * @offset: of its fw_rsc_hdr from the table's start
 * @body:   its body (after the type word)
 * @len:    the body's size for a known type (vdev: with vrings and config space); 0 for vendor
 *          and unknown types, whose size the table does not say
 * @avail:  bytes from @body to the end of the table (what Linux hands ops->handle_rsc)
 */
struct rsc_entry {
	unsigned int index;
	uint32_t type;
	size_t offset;
	const void *body;
	size_t len;
	size_t avail;
};

/**
 * rsc_table_check() - check a resource table completely
 * @table: a private copy of the table
 * @size:  its size in bytes
 * @diag:  filled on failure (may be NULL)
 *
 * Checks: size >= 16; ver == 1; reserved words zero; num <= RSC_TABLE_MAX_ENTRIES and the offset
 * array inside the table; each offset past the offset array with its type word inside the table;
 * each known entry's body inside the table (carveout 52, devmem 52, trace 44, vdev 24 + 20 per
 * vring + config_len, all overflow-checked); reserved fields zero; a vdev with at most 2 vrings,
 * each with num a power of two in 1..32768, align a power of two >= 4, and a fixed da (not
 * FW_RSC_ADDR_ANY) aligned to align (peers lay the used ring out by absolute address); no entry
 * overlapping another (vendor and unknown entries count as their 4-byte type word).
 *
 * Context: any; portable core.
 * Return: 0; -EINVAL with @diag naming the entry and the numbers.
 */
AMP_API int rsc_table_check(const void *table, size_t size, struct amp_diag *diag);

/**
 * rsc_table_measure() - the length of a resource table found in memory (a table has no length
 * field: it ends with the furthest of its header, its offset array and its entries)
 * @table: the table, where it lies: for a platform's get_loaded_rsc_table (attach), the live
 *         table a running core wrote, which may change while it is read
 * @max:   the bytes readable at @table (up to the end of the memory it lies in)
 * @size:  set on success to the table's length, at most @max
 * @diag:  filled on failure (may be NULL)
 *
 * Makes the checks of rsc_table_check() within @max bytes but the one for overlaps, reading
 * each field once, so that a table rewritten meanwhile yields a wrong length at worst, never a
 * read outside @max. A vendor or unknown entry counts as its type word (the table does not say
 * how long its body is): a platform that knows better may report more. The length is all this
 * says: copy that many bytes and check the copy with rsc_table_check() before using any of it
 * (the core does so when it attaches).
 *
 * Context: any; portable core.
 * Return: 0; -EINVAL with @diag naming what is wrong when no table fits in @max bytes.
 */
AMP_API int rsc_table_measure(const void *table, size_t max, size_t *size, struct amp_diag *diag);

/**
 * rsc_table_entry() - entry @index of a table rsc_table_check() accepted
 * Context: any; portable core. Return: 0; -ENOENT when @index >= num.
 */
AMP_API int rsc_table_entry(const void *table, size_t size, unsigned int index,
			    struct rsc_entry *entry);

/**
 * rsc_name_copy() - copy a 32-byte name field into @dst (RPROC_MAX_NAME_LEN + 1 bytes), reading
 * no more than 32 bytes whether or not the field is NUL-terminated.
 * Context: any; portable core. Return: the name's length.
 */
AMP_API size_t rsc_name_copy(char *dst, const uint8_t *name);

/** rsc_type_name() - "carveout", "devmem", "trace", "vdev", "vendor" or "unknown". */
AMP_API const char *rsc_type_name(uint32_t type);

#endif /* AMP_RSC_TABLE_H */
