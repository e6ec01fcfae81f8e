/* SPDX-License-Identifier: BSD-3-Clause */
/* Recording diagnostics from portable code. Portable: no OS, no printf. */
#include <amp/diag.h>

int amp_diag_record(struct amp_diag *d, int err, int32_t index, const char *fmt, unsigned int nargs,
		    uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	if (!d)
		return err;
	d->err = err;
	d->fmt = fmt;
	d->index = index;
	d->nargs = nargs > AMP_DIAG_MAX_ARGS ? AMP_DIAG_MAX_ARGS : nargs;
	d->arg[0] = a0;
	d->arg[1] = a1;
	d->arg[2] = a2;
	d->arg[3] = a3;
	return err;
}
