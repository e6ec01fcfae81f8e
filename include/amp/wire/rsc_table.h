/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Resource table, version 1: the layout remoteproc firmware carries in its ".resource_table"
 * section. Names, fields and values follow Linux's include/linux/remoteproc.h so that the two can
 * be compared field by field. Wire format only: nothing else belongs in this file.
 *
 * Byte order: the table is read in the firmware's (= host's) native order, which we require to be
 * little-endian (see byteorder.h). Fields are therefore plain integers.
 */
#ifndef AMP_WIRE_RSC_TABLE_H
#define AMP_WIRE_RSC_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include <amp/compiler.h>

/* The only table version Linux (and we) accept. */
#define RSC_TABLE_VERSION 1

/* Length of the name fields in carveout, devmem and trace entries (RPROC_MAX_NAME_LEN). */
#define RPROC_MAX_NAME_LEN 32

/*
 * struct resource_table - header of the table
 * @ver:      must be RSC_TABLE_VERSION
 * @num:      number of entries
 * @reserved: must be zero
 * @offset:   byte offset of each entry's struct fw_rsc_hdr from the start of the table
 */
struct resource_table {
	uint32_t ver;
	uint32_t num;
	uint32_t reserved[2];
	uint32_t offset[];
} AMP_PACKED;

/* struct fw_rsc_hdr - the type word in front of every entry; the body follows at @data. */
struct fw_rsc_hdr {
	uint32_t type;
	uint8_t data[];
} AMP_PACKED;

enum fw_resource_type {
	RSC_CARVEOUT = 0,
	RSC_DEVMEM = 1,
	RSC_TRACE = 2,
	RSC_VDEV = 3,
	RSC_LAST = 4,
	RSC_VENDOR_START = 128,
	RSC_VENDOR_END = 512, /* inclusive, as Linux checks it */
};

/* The -1 firmware writes into a da/pa field to let the host choose. */
#define FW_RSC_ADDR_ANY 0xFFFFFFFFu
/* OpenAMP's spelling for 64-bit fields and notify ids, kept for portability of firmware. */
#define FW_RSC_U64_ADDR_ANY 0xFFFFFFFFFFFFFFFFull
#define RSC_NOTIFY_ID_ANY 0xFFFFFFFFu

/*
 * struct fw_rsc_carveout - physically contiguous memory the firmware needs
 * @da:    device address; FW_RSC_ADDR_ANY lets the host choose and write it back
 * @pa:    physical address, written back by the host
 * @len:   length in bytes, written back by the host
 * @flags: IOMMU protection flags
 * @reserved: must be zero
 * @name:  human-readable name, NUL-padded
 */
struct fw_rsc_carveout {
	uint32_t da;
	uint32_t pa;
	uint32_t len;
	uint32_t flags;
	uint32_t reserved;
	uint8_t name[RPROC_MAX_NAME_LEN];
} AMP_PACKED;

/* struct fw_rsc_devmem - a device-memory (I/O) mapping; same layout as a carveout. */
struct fw_rsc_devmem {
	uint32_t da;
	uint32_t pa;
	uint32_t len;
	uint32_t flags;
	uint32_t reserved;
	uint8_t name[RPROC_MAX_NAME_LEN];
} AMP_PACKED;

/* struct fw_rsc_trace - a text log buffer the firmware writes, NUL-terminated within @len. */
struct fw_rsc_trace {
	uint32_t da;
	uint32_t len;
	uint32_t reserved;
	uint8_t name[RPROC_MAX_NAME_LEN];
} AMP_PACKED;

/*
 * struct fw_rsc_vdev_vring - one vring of a vdev
 * @da:       device address of the ring; FW_RSC_ADDR_ANY lets the host choose (written back)
 * @align:    alignment of the used ring inside the vring, a power of two
 * @num:      number of descriptors, a power of two
 * @notifyid: written back by the host: the id carried by kicks for this ring
 * @pa:       physical address (was "reserved" before Linux 4.x; OpenAMP still names it so)
 */
struct fw_rsc_vdev_vring {
	uint32_t da;
	uint32_t align;
	uint32_t num;
	uint32_t notifyid;
	uint32_t pa;
} AMP_PACKED;

/*
 * struct fw_rsc_vdev - a virtio device
 * @id:         virtio device id (VIRTIO_ID_RPMSG for rpmsg)
 * @notifyid:   unused by Linux (a TODO there); we leave it as the firmware wrote it
 * @dfeatures:  features the device (firmware) offers
 * @gfeatures:  features the host negotiated, written back by the host
 * @config_len: bytes of virtio config space after the vring array
 * @status:     virtio status byte, written live by the host while the remote runs
 * @num_of_vrings: number of entries in @vring (at most 2 for rpmsg)
 * @reserved:   must be zero
 */
struct fw_rsc_vdev {
	uint32_t id;
	uint32_t notifyid;
	uint32_t dfeatures;
	uint32_t gfeatures;
	uint32_t config_len;
	uint8_t status;
	uint8_t num_of_vrings;
	uint8_t reserved[2];
	struct fw_rsc_vdev_vring vring[];
} AMP_PACKED;

/*
 * struct fw_rsc_vendor - OpenAMP's optional framing of a vendor entry: a length that lets a host
 * skip it. Linux treats vendor bodies as opaque; we use @len only where the platform says so.
 */
struct fw_rsc_vendor {
	uint32_t len;
	uint8_t data[];
} AMP_PACKED;

/* Virtio status bits (virtio_config.h), written into fw_rsc_vdev.status. */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE 0x01
#define VIRTIO_CONFIG_S_DRIVER 0x02
#define VIRTIO_CONFIG_S_DRIVER_OK 0x04
#define VIRTIO_CONFIG_S_FEATURES_OK 0x08
#define VIRTIO_CONFIG_S_NEEDS_RESET 0x40
#define VIRTIO_CONFIG_S_FAILED 0x80

/* Virtio device ids we name (virtio_ids.h). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RPMSG 7

AMP_STATIC_ASSERT(sizeof(struct resource_table) == 16, "resource_table header is 16 bytes");
AMP_STATIC_ASSERT(offsetof(struct resource_table, num) == 4, "resource_table.num at 4");
AMP_STATIC_ASSERT(offsetof(struct resource_table, reserved) == 8, "resource_table.reserved at 8");
AMP_STATIC_ASSERT(offsetof(struct resource_table, offset) == 16, "resource_table.offset at 16");
AMP_STATIC_ASSERT(sizeof(struct fw_rsc_hdr) == 4, "fw_rsc_hdr is 4 bytes");
AMP_STATIC_ASSERT(sizeof(struct fw_rsc_carveout) == 52, "fw_rsc_carveout body is 52 bytes");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_carveout, pa) == 4, "carveout.pa at 4");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_carveout, len) == 8, "carveout.len at 8");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_carveout, flags) == 12, "carveout.flags at 12");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_carveout, reserved) == 16, "carveout.reserved at 16");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_carveout, name) == 20, "carveout.name at 20");
AMP_STATIC_ASSERT(sizeof(struct fw_rsc_devmem) == 52, "fw_rsc_devmem body is 52 bytes");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_devmem, name) == 20, "devmem.name at 20");
AMP_STATIC_ASSERT(sizeof(struct fw_rsc_trace) == 44, "fw_rsc_trace body is 44 bytes");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_trace, len) == 4, "trace.len at 4");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_trace, reserved) == 8, "trace.reserved at 8");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_trace, name) == 12, "trace.name at 12");
AMP_STATIC_ASSERT(sizeof(struct fw_rsc_vdev_vring) == 20, "fw_rsc_vdev_vring is 20 bytes");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev_vring, align) == 4, "vring.align at 4");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev_vring, num) == 8, "vring.num at 8");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev_vring, notifyid) == 12, "vring.notifyid at 12");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev_vring, pa) == 16, "vring.pa at 16");
AMP_STATIC_ASSERT(sizeof(struct fw_rsc_vdev) == 24, "fw_rsc_vdev fixed body is 24 bytes");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev, notifyid) == 4, "vdev.notifyid at 4");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev, dfeatures) == 8, "vdev.dfeatures at 8");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev, gfeatures) == 12, "vdev.gfeatures at 12");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev, config_len) == 16, "vdev.config_len at 16");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev, status) == 20, "vdev.status at 20");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev, num_of_vrings) == 21, "vdev.num_of_vrings at 21");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev, reserved) == 22, "vdev.reserved at 22");
AMP_STATIC_ASSERT(offsetof(struct fw_rsc_vdev, vring) == 24, "vdev.vring at 24");
AMP_STATIC_ASSERT(sizeof(struct fw_rsc_vendor) == 4, "fw_rsc_vendor header is 4 bytes");

#endif /* AMP_WIRE_RSC_TABLE_H */
