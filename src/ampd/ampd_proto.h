/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ampd request protocol (docs/ampd-protocol.md): one request per SOCK_SEQPACKET packet,
 * "AMP1 <verb> [<name> [<arg>...]]", printable ASCII, single spaces. The parser checks every
 * byte: a request is hostile input from any local user the socket's permissions let in. Every
 * request it accepts has exactly one spelling (ampd_req_format() gives it back byte for byte).
 * Host layer; no OS calls, no allocation.
 */
#ifndef AMP_AMPD_PROTO_H
#define AMP_AMPD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define AMPD_PROTO_TAG "AMP1"
#define AMPD_REQ_MAX 256      /* bytes in a request packet */
#define AMPD_RESP_MAX 65536   /* bytes in a response packet */
#define AMPD_NAME_MAX 31      /* processor and channel names: [A-Za-z0-9_.-], 1..31 */
#define AMPD_FILE_MAX 63      /* firmware file names: the same characters, not starting with . */
#define AMPD_ADDR_ANY 0xffffffffu /* "any": RPMSG_ADDR_ANY */
/* The lowest SRC a client may take: below it are rpmsg's reserved addresses
 * (RPMSG_RESERVED_ADDRESSES), for the host's own services. */
#define AMPD_ADDR_MIN_SRC 0x400u

enum ampd_verb {
	AMPD_VERSION,  /* no argument */
	AMPD_LS,       /* no argument */
	AMPD_STATUS,   /* NAME */
	AMPD_START,    /* NAME */
	AMPD_STOP,     /* NAME */
	AMPD_CRASH,    /* NAME */
	AMPD_RECOVERY, /* NAME on|off|now */
	AMPD_TRACE,    /* NAME [crash] */
	AMPD_CHANNELS, /* NAME */
	AMPD_FIRMWARE, /* NAME [FILE] */
	AMPD_COREDUMP, /* NAME [on|off] */
	AMPD_RSC,      /* NAME */
	AMPD_TOPOLOGY, /* [NAME] */
	AMPD_WATCH,    /* no argument: the connection carries events from now on */
	AMPD_OPEN,     /* NAME CHANNEL [SRC DST]: the connection is an endpoint from now on */
	AMPD_NUM_VERBS
};

/* What a switch argument said; AMPD_SW_NONE when the verb's optional switch was left out.
 * AMPD_SW_CRASH: trace's, for the trace the last crash left. */
enum ampd_switch { AMPD_SW_NONE, AMPD_SW_OFF, AMPD_SW_ON, AMPD_SW_NOW, AMPD_SW_CRASH };

struct ampd_req {
	enum ampd_verb verb;
	char name[AMPD_NAME_MAX + 1]; /* the processor; "" for verbs without one */
	char arg[AMPD_FILE_MAX + 1];  /* firmware file (AMPD_FIRMWARE) or channel (AMPD_OPEN) */
	enum ampd_switch sw;          /* AMPD_RECOVERY, AMPD_COREDUMP, AMPD_TRACE */
	uint32_t src, dst;            /* AMPD_OPEN: AMPD_ADDR_ANY when not given */
};

/*
 * Parse the request in [@buf, @buf + @len). Returns 0, or -EPROTO (not this protocol or
 * version), -EINVAL (a bad verb, name, argument or byte, or an open's SRC below
 * AMPD_ADDR_MIN_SRC), -EMSGSIZE (over AMPD_REQ_MAX), with *@why set to a sentence for the
 * client.
 */
int ampd_req_parse(const void *buf, size_t len, struct ampd_req *req, const char **why);

/* Write @req as a request packet into @buf; returns its length, or -1 if @len is too small. */
int ampd_req_format(const struct ampd_req *req, char *buf, size_t len);

/* Whether @c may appear in a processor name, and unencoded in a response's key=value word. */
int ampd_name_char(char c);

/* The verb's word ("ls", "start"...), or NULL. */
const char *ampd_verb_name(enum ampd_verb verb);

#endif /* AMP_AMPD_PROTO_H */
