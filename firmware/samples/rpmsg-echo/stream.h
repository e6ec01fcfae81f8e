/* SPDX-License-Identifier: BSD-3-Clause */
/* The streaming endpoints of the rpmsg-echo firmware, shared with the host's benchmarks. */
#ifndef AMP_SAMPLE_ECHO_STREAM_H
#define AMP_SAMPLE_ECHO_STREAM_H

#include <stdint.h>

#define ECHO_ADDR 0x401u
#define ECHO_SINK_ADDR 0x402u   /* "rpmsg-sink": counts; a 0- or 1-byte message gets the count */
#define ECHO_STAMP_ADDR 0x403u  /* "rpmsg-stamp": the echo, with the remote's clock in it */
#define ECHO_SOURCE_ADDR 0x404u /* "rpmsg-source": a request gets a stream back */

/* To "rpmsg-source": send @count messages of @size bytes (at most the MTU) to the sender, each
 * starting with its sequence number (uint32_t, from 0) when @size allows. */
struct echo_source_req {
	uint32_t count;
	uint32_t size;
};

/* What "rpmsg-stamp" writes over the first 16 bytes of a message of at least 16 bytes before
 * it sends it back: amp_fw_now_ns() when its callback was entered and just before its send.
 * On the sim platform that is the host's CLOCK_MONOTONIC, so that a benchmark can split a
 * round trip into its legs; a shorter message comes back as it is. */
struct echo_stamp {
	uint64_t rx_ns;
	uint64_t tx_ns;
};

#endif /* AMP_SAMPLE_ECHO_STREAM_H */
