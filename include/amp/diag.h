/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Diagnostics from the portable core. Parsers and the virtqueue cannot printf, so when they reject
 * something they fill a struct amp_diag: a constant message with up to four numbers, and the index
 * of the element at fault. The host layer, which knows the object's name, prints it once.
 */
#ifndef AMP_DIAG_H
#define AMP_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>

#define AMP_DIAG_MAX_ARGS 4

/**
 * struct amp_diag - what was wrong, where, and the numbers
 * @err:   the negative AMP_E* code the failing call returned
 * @fmt:   a constant printf-style format taking only "%llx"/"%llu" conversions, one per @arg
 *         used; NULL when nothing was recorded
 * @index: the element at fault (segment, entry, descriptor...), or -1
 * @nargs: how many of @arg are set
 * @arg:   the numbers, widened to 64 bits
 */
struct amp_diag {
	int err;
	const char *fmt;
	int32_t index;
	uint32_t nargs;
	uint64_t arg[AMP_DIAG_MAX_ARGS];
};

/*
 * Record a diagnostic and evaluate to @e, so that a parser can "return AMP_DIAG2(...)". The format
 * must be a string literal with one %llx or %llu per number. Each number is widened here, so any
 * integer type may be passed.
 */
#define AMP_DIAG0(d, e, idx, f) amp_diag_record((d), (e), (idx), (f), 0, 0, 0, 0, 0)
#define AMP_DIAG1(d, e, idx, f, a) amp_diag_record((d), (e), (idx), (f), 1, (uint64_t)(a), 0, 0, 0)
#define AMP_DIAG2(d, e, idx, f, a, b)                                                              \
	amp_diag_record((d), (e), (idx), (f), 2, (uint64_t)(a), (uint64_t)(b), 0, 0)
#define AMP_DIAG3(d, e, idx, f, a, b, c)                                                           \
	amp_diag_record((d), (e), (idx), (f), 3, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0)
#define AMP_DIAG4(d, e, idx, f, a, b, c, g)                                                        \
	amp_diag_record((d), (e), (idx), (f), 4, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c),     \
			(uint64_t)(g))

/**
 * amp_diag_record() - fill @d (if not NULL) and return @err
 *
 * Context: any; portable core. Use the AMP_DIAGn() macros rather than calling this directly.
 */
AMP_API int amp_diag_record(struct amp_diag *d, int err, int32_t index, const char *fmt,
			    unsigned int nargs, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

#endif /* AMP_DIAG_H */
