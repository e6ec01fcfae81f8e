/* SPDX-License-Identifier: BSD-3-Clause */
/* rpmsg internals shared with the remoteproc core. Host layer. */
#ifndef AMP_RPMSG_INTERNAL_H
#define AMP_RPMSG_INTERNAL_H

#include <amp/remoteproc.h>

/* rpmsg_virtio.c */
/* The virtio driver for rpmsg vdevs, used by the remoteproc core unless another is registered
 * for VIRTIO_ID_RPMSG. */
extern const struct rproc_virtio_driver rpmsg_rproc_virtio_driver;

#endif /* AMP_RPMSG_INTERNAL_H */
