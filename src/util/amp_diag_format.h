/* SPDX-License-Identifier: BSD-3-Clause */
/* Formatting diagnostics from the portable core. Host layer. */
#ifndef AMP_DIAG_FORMAT_H
#define AMP_DIAG_FORMAT_H

#include <stddef.h>

#include <amp/diag.h>

/* Print @d's message with its numbers into @buf; returns what snprintf returns. */
int amp_diag_format(const struct amp_diag *d, char *buf, size_t len);

#endif /* AMP_DIAG_FORMAT_H */
