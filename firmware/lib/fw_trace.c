/* SPDX-License-Identifier: BSD-3-Clause */
/* printf-style trace into the trace buffer. Firmware SDK. */
#include <stdarg.h>
#include <stdint.h>

#include "amp-fw/trace.h"

__attribute__((section(".trace"))) char amp_fw_trace_buf[AMP_FW_TRACE_LEN];
static uint32_t trace_pos;

static void trace_putc(char c)
{
	/* Full: start again from the top, keeping the text NUL-terminated for the host. */
	if (trace_pos >= AMP_FW_TRACE_LEN - 1)
		trace_pos = 0;
	amp_fw_trace_buf[trace_pos++] = c;
	amp_fw_trace_buf[trace_pos] = '\0';
}

static void trace_num(unsigned long long v, unsigned int base, int neg)
{
	char tmp[24];
	int n = 0;

	if (neg)
		trace_putc('-');
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		trace_putc(tmp[--n]);
}

/* An unsigned argument of %u or %x: int, long (%l: 32 bits on a Cortex-M, 64 on x86-64) or
 * long long (%ll). */
static unsigned long long trace_unsigned(va_list *ap, int lng)
{
	if (lng > 1)
		return va_arg(*ap, unsigned long long);
	if (lng)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

void amp_fw_printf(const char *fmt, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int lng = 0;

		if (*fmt != '%') {
			trace_putc(*fmt);
			continue;
		}
		fmt++;
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			for (s = va_arg(ap, const char *); s && *s; s++)
				trace_putc(*s);
			break;
		case 'c':
			trace_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			long long v = lng > 1 ? va_arg(ap, long long)
				    : lng     ? va_arg(ap, long)
					      : va_arg(ap, int);

			trace_num(v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, 10,
				  v < 0);
			break;
		}
		case 'u':
			trace_num(trace_unsigned(&ap, lng), 10, 0);
			break;
		case 'x':
			trace_num(trace_unsigned(&ap, lng), 16, 0);
			break;
		case 'p':
			trace_putc('0');
			trace_putc('x');
			trace_num((uintptr_t)va_arg(ap, void *), 16, 0);
			break;
		case '%':
			trace_putc('%');
			break;
		default:
			return;
		}
	}
	va_end(ap);
}
