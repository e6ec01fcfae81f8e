/* SPDX-License-Identifier: BSD-3-Clause */
/* rpmsg internals shared with the rest of the host library. Host layer. */
#ifndef AMP_RPMSG_INTERNAL_H
#define AMP_RPMSG_INTERNAL_H

#include <amp/virtio.h>

/* rpmsg_virtio.c */
/* The virtio driver of rpmsg devices (VIRTIO_ID_RPMSG), built in (virtio_builtin.c). */
extern const struct virtio_driver rpmsg_virtio_driver;

#endif /* AMP_RPMSG_INTERNAL_H */
