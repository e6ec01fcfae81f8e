/* SPDX-License-Identifier: BSD-3-Clause */
/* Host build checks: our error numbers are the host's. Host layer. */
#include <errno.h>

#include <amp/errno.h>

#define AMP_ERRNO_CHECK(name, value, text)                                                         \
	_Static_assert(AMP_##name == name, "AMP_" #name " differs from the host's " #name);
AMP_ERRNO_MAP(AMP_ERRNO_CHECK)
#undef AMP_ERRNO_CHECK

/* ISO C forbids an empty translation unit. */
typedef int amp_host_check_unit;
