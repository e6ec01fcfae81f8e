/* SPDX-License-Identifier: BSD-3-Clause */
/* virtio internals: the drivers built into the host library. Host layer. */
#ifndef AMP_VIRTIO_INTERNAL_H
#define AMP_VIRTIO_INTERNAL_H

#include <amp/virtio.h>

/* virtio_builtin.c */
/* The drivers virtio_find_driver() falls back to, NULL-terminated. */
extern const struct virtio_driver *const virtio_builtin_drivers[];

#endif /* AMP_VIRTIO_INTERNAL_H */
