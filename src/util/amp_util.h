/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small helpers every layer uses: overflow-checked arithmetic, range checks, and the few mem and
 * str functions the portable core may call. Portable: no OS. The firmware SDK supplies the
 * functions behind the builtins; on the host, libc does.
 */
#ifndef AMP_UTIL_H
#define AMP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define amp_memset(d, c, n) __builtin_memset((d), (c), (n))
#define amp_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define amp_memmove(d, s, n) __builtin_memmove((d), (s), (n))
#define amp_memcmp(a, b, n) __builtin_memcmp((a), (b), (n))

static inline bool amp_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* *res = a + b; true when it overflowed (and *res is then meaningless). */
static inline bool amp_add_overflow_u32(uint32_t a, uint32_t b, uint32_t *res)
{
	return __builtin_add_overflow(a, b, res);
}

static inline bool amp_add_overflow_u64(uint64_t a, uint64_t b, uint64_t *res)
{
	return __builtin_add_overflow(a, b, res);
}

static inline bool amp_mul_overflow_u64(uint64_t a, uint64_t b, uint64_t *res)
{
	return __builtin_mul_overflow(a, b, res);
}

/* Whether [off, off + len) lies within [0, size): compare before subtracting, never overflow. */
static inline bool amp_range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Whether [a, a + alen) and [b, b + blen) overlap; both ranges must not wrap. */
static inline bool amp_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* Length of @s, at most @max; does not read past @max bytes. */
static inline size_t amp_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

static inline uint64_t amp_align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

#endif /* AMP_UTIL_H */
