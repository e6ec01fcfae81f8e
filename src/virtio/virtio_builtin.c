/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio drivers built into the host library, as a kernel's built-in drivers: the only
 * place that names them, so that the transports (remoteproc) and the registry do not. A driver
 * registered with virtio_register_driver() for the same id takes precedence. Host layer.
 */
#include <stddef.h>

#include "rpmsg/rpmsg_internal.h"
#include "virtio/virtio_internal.h"

const struct virtio_driver *const virtio_builtin_drivers[] = {
	&rpmsg_virtio_driver, /* VIRTIO_ID_RPMSG: the rpmsg bus */
	NULL,
};
