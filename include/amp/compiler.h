/* SPDX-License-Identifier: BSD-3-Clause */
/* Compiler glue shared by every public header: export marks, packing, static checks. */
#ifndef AMP_COMPILER_H
#define AMP_COMPILER_H

/*
 * Public functions are marked AMP_API; everything else is built with
 * -fvisibility=hidden so that internal helpers never become ABI by accident.
 */
#if defined(__GNUC__) || defined(__clang__)
#define AMP_API __attribute__((visibility("default")))
#define AMP_PACKED __attribute__((packed))
#define AMP_LIKELY(x) __builtin_expect(!!(x), 1)
#define AMP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define AMP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#error "AMP needs GCC or Clang (packed structs, atomics builtins, visibility)"
#endif

#define AMP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

/* Size of an array object; refuses pointers at compile time. */
#define AMP_ARRAY_SIZE(a)                                                                          \
	(sizeof(a) / sizeof((a)[0]) +                                                              \
	 0 * sizeof(struct { int amp_not_an_array : 1 - 2 * __builtin_types_compatible_p(          \
				     __typeof__(a), __typeof__(&(a)[0])); }))

/* In a spin-wait loop: tell the CPU (a sibling hyperthread, the memory pipeline) we are waiting. */
#if defined(__x86_64__) || defined(__i386__)
#define AMP_CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define AMP_CPU_RELAX() __asm__ volatile("yield" ::: "memory")
#else
#define AMP_CPU_RELAX() __asm__ volatile("" ::: "memory")
#endif

#define AMP_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif /* AMP_COMPILER_H */
