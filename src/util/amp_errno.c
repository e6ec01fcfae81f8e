/* SPDX-License-Identifier: BSD-3-Clause */
/* Error names and messages from the one table in amp/errno.h. Portable: no OS. */
#include <amp/errno.h>

struct amp_errno_entry {
	int value;
	const char *name;
	const char *text;
};

#define AMP_ERRNO_ENTRY(n, v, t) {v, #n, t},
static const struct amp_errno_entry amp_errno_table[] = {AMP_ERRNO_MAP(AMP_ERRNO_ENTRY)};
#undef AMP_ERRNO_ENTRY

static const struct amp_errno_entry *amp_errno_find(int err)
{
	unsigned int i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(amp_errno_table) / sizeof(amp_errno_table[0]); i++)
		if (amp_errno_table[i].value == err)
			return &amp_errno_table[i];
	return 0;
}

const char *amp_strerror(int err)
{
	const struct amp_errno_entry *e = amp_errno_find(err);

	return e ? e->text : "unknown error";
}

const char *amp_errname(int err)
{
	const struct amp_errno_entry *e = amp_errno_find(err);

	return e ? e->name : "E?";
}
