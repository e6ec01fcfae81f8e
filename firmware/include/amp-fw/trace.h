/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * printf-style tracing into the trace buffer the resource table announces (RSC_TRACE). The host
 * reads it as NUL-terminated text (as Linux's debugfs trace files do); when the buffer is full,
 * tracing starts again from its beginning.
 */
#ifndef AMP_FW_TRACE_H
#define AMP_FW_TRACE_H

#include <stdint.h>

/* The trace buffer: at a fixed device address (the linker script's .trace section), which
 * each target's build sets (the default is the sim platform's). */
#ifndef AMP_FW_TRACE_DA
#define AMP_FW_TRACE_DA 0x100F0000u
#endif
#define AMP_FW_TRACE_LEN 0x4000u

/* Supports %s %c %d %u %x %lx %llx %llu %p and %%. */
void amp_fw_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* AMP_FW_TRACE_H */
