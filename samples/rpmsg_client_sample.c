/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seed's rpmsg client sample, as the 2011 talk shows it, compiled against <amp/amp.h>. The
 * driver binds to channels named "rpmsg-client-sample" (announced by the remote's name service),
 * greets the remote in probe(), and prints what comes back. Sample.
 */
#include <stdio.h>

#include <amp/amp.h>

#include "rpmsg_client_sample.h"

/* Kernel-only annotation: nothing to do in user space. */
#define __init

/* What the callback saw, for the demo and the tests. */
static int sample_replies;
static void (*sample_observer)(struct rpmsg_channel *rpdev, const void *data, int len, u32 src);

static void sample_rx_callback(struct rpmsg_channel *rpdev,
                               void *data, int len, void *priv, u32 src)
{
    // incoming message ! Let's do something smart...
    (void)priv;
    sample_replies++;
    printf("rpmsg-client-sample: #%d from 0x%x on %s: %.*s\n", sample_replies, src,
           rpdev->name, len, (const char *)data);
    if (sample_observer)
        sample_observer(rpdev, data, len, src);
}

static int sample_probe(struct rpmsg_channel *rpdev)
{
    return rpmsg_send(rpdev, "dude", 4);
}

static struct rpmsg_device_id sample_id_table[] = {
    { .name = "rpmsg-client-sample" }, { },
};

static struct rpmsg_driver sample_client = {
    .name          = "rpmsg_client_sample",
    .id_table      = sample_id_table,
    .probe         = sample_probe,
    .callback      = sample_rx_callback,
};

static int __init client_sample_init(void)
{
    return register_rpmsg_driver(&sample_client);
}

/* What the seed's module init and exit hooks would do, callable from a program. */
int rpmsg_client_sample_register(void (*observer)(struct rpmsg_channel *rpdev, const void *data,
                                                  int len, u32 src))
{
    sample_observer = observer;
    sample_replies = 0;
    return client_sample_init();
}

void rpmsg_client_sample_unregister(void)
{
    unregister_rpmsg_driver(&sample_client);
}
