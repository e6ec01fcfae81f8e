/* SPDX-License-Identifier: BSD-3-Clause */
/* The umbrella header: everything an application of the AMP framework may use. */
#ifndef AMP_AMP_H
#define AMP_AMP_H

#include <amp/compiler.h>
#include <amp/errno.h>
#include <amp/diag.h>
#include <amp/wire/byteorder.h>
#include <amp/wire/rsc_table.h>
#include <amp/wire/rpmsg.h>
#include <amp/wire/vring.h>
#include <amp/virtqueue.h>
#include <amp/log.h>
#include <amp/rproc_elf.h>
#include <amp/rsc_table.h>
#include <amp/remoteproc.h>
#include <amp/rpmsg.h>
#include <amp/rpmsg_remote.h>

#endif /* AMP_AMP_H */
