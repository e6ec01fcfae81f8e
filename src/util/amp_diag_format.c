/* SPDX-License-Identifier: BSD-3-Clause */
/* Formatting a struct amp_diag for people. Host layer (needs snprintf). */
#include <stdio.h>

#include <amp/diag.h>

#include "util/amp_diag_format.h"

int amp_diag_format(const struct amp_diag *d, char *buf, size_t len)
{
	const char *fmt;

	if (!d || !d->fmt)
		return snprintf(buf, len, "no details");
	fmt = d->fmt;
	/* The formats are constants from our own code with one conversion per argument; the
	 * arguments beyond nargs are zero, so passing all four is safe. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	return snprintf(buf, len, fmt, (unsigned long long)d->arg[0], (unsigned long long)d->arg[1],
			(unsigned long long)d->arg[2], (unsigned long long)d->arg[3]);
#pragma GCC diagnostic pop
}
