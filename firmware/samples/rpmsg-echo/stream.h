/* SPDX-License-Identifier: BSD-3-Clause */
/* The streaming endpoints of the rpmsg-echo firmware, shared with the host's benchmarks. */
#ifndef AMP_SAMPLE_ECHO_STREAM_H
#define AMP_SAMPLE_ECHO_STREAM_H

#include <stdint.h>

#define ECHO_ADDR 0x401u
#define ECHO_SINK_ADDR 0x402u   /* "rpmsg-sink": counts; a 0- or 1-byte message gets the count */
#define ECHO_SOURCE_ADDR 0x404u /* "rpmsg-source": a request gets a stream back */

/* To "rpmsg-source": send @count messages of @size bytes (at most the MTU) to the sender, each
 * starting with its sequence number (uint32_t, from 0) when @size allows. */
struct echo_source_req {
	uint32_t count;
	uint32_t size;
};

#endif /* AMP_SAMPLE_ECHO_STREAM_H */
