/* SPDX-License-Identifier: BSD-3-Clause */
/* The seed's sample driver, registered from a program (the demo, the tests). Sample. */
#ifndef RPMSG_CLIENT_SAMPLE_H
#define RPMSG_CLIENT_SAMPLE_H

#include <amp/rpmsg.h>

/* Register the sample driver; @observer (may be NULL) sees each message its callback gets. */
int rpmsg_client_sample_register(void (*observer)(struct rpmsg_channel *rpdev, const void *data,
						  int len, u32 src));
void rpmsg_client_sample_unregister(void);

#endif /* RPMSG_CLIENT_SAMPLE_H */
