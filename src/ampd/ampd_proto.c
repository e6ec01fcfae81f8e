/* SPDX-License-Identifier: BSD-3-Clause */
/* The ampd request parser and formatter. Host layer. */
#include <stdio.h>
#include <string.h>

#include <amp/errno.h>
#include <amp/wire/rpmsg.h>

#include "ampd/ampd_proto.h"

_Static_assert(AMPD_ADDR_MIN_SRC == RPMSG_RESERVED_ADDRESSES, "the reserved rpmsg addresses");

/* What the words after a verb's processor name may be. */
enum arg_kind {
	ARG_NONE,
	ARG_SWITCH,     /* on | off */
	ARG_SWITCH_NOW, /* on | off | now */
	ARG_CRASH,      /* crash */
	ARG_FILE,       /* a firmware file name */
	ARG_OPEN,       /* CHANNEL [SRC DST] */
};

static const struct {
	const char *word;
	unsigned char min, max; /* words after the verb */
	unsigned char kind;
} verbs[AMPD_NUM_VERBS] = {
	[AMPD_VERSION] = {"version", 0, 0, ARG_NONE},
	[AMPD_LS] = {"ls", 0, 0, ARG_NONE},
	[AMPD_STATUS] = {"status", 1, 1, ARG_NONE},
	[AMPD_START] = {"start", 1, 1, ARG_NONE},
	[AMPD_STOP] = {"stop", 1, 1, ARG_NONE},
	[AMPD_CRASH] = {"crash", 1, 1, ARG_NONE},
	[AMPD_RECOVERY] = {"recovery", 2, 2, ARG_SWITCH_NOW},
	[AMPD_TRACE] = {"trace", 1, 2, ARG_CRASH},
	[AMPD_CHANNELS] = {"channels", 1, 1, ARG_NONE},
	[AMPD_FIRMWARE] = {"firmware", 1, 2, ARG_FILE},
	[AMPD_COREDUMP] = {"coredump", 1, 2, ARG_SWITCH},
	[AMPD_RSC] = {"rsc", 1, 1, ARG_NONE},
	[AMPD_TOPOLOGY] = {"topology", 0, 1, ARG_NONE},
	[AMPD_WATCH] = {"watch", 0, 0, ARG_NONE},
	[AMPD_OPEN] = {"open", 2, 4, ARG_OPEN},
};

static const char *const switch_words[] = {[AMPD_SW_OFF] = "off", [AMPD_SW_ON] = "on",
					   [AMPD_SW_NOW] = "now", [AMPD_SW_CRASH] = "crash"};

#define MAX_WORDS 6

const char *ampd_verb_name(enum ampd_verb verb)
{
	return (unsigned int)verb < AMPD_NUM_VERBS ? verbs[verb].word : NULL;
}

int ampd_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static int fail(const char **why, const char *msg, int err)
{
	*why = msg;
	return err;
}

static int word_is(const char *w, size_t len, const char *s)
{
	return strlen(s) == len && !memcmp(w, s, len);
}

/* A name of 1..@max name characters into @out; "" refused by the word splitter already. */
static int take_name(const char *w, size_t len, size_t max, char *out)
{
	size_t i;

	if (len > max)
		return -1;
	for (i = 0; i < len; i++)
		if (!ampd_name_char(w[i]))
			return -1;
	memcpy(out, w, len);
	out[len] = 0;
	return 0;
}

/* "any", or 0x and 1..8 lower-case hex digits without a leading zero: one spelling each. */
static int take_addr(const char *w, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (word_is(w, len, "any")) {
		*out = AMPD_ADDR_ANY;
		return 0;
	}
	if (len < 3 || len > 10 || w[0] != '0' || w[1] != 'x' || (w[2] == '0' && len > 3))
		return -1;
	for (i = 2; i < len; i++) {
		if (w[i] >= '0' && w[i] <= '9')
			v = v << 4 | (uint32_t)(w[i] - '0');
		else if (w[i] >= 'a' && w[i] <= 'f')
			v = v << 4 | (uint32_t)(w[i] - 'a' + 10);
		else
			return -1;
	}
	if (v == AMPD_ADDR_ANY)
		return -1; /* spelled any */
	*out = v;
	return 0;
}

static int parse_args(unsigned int kind, const char *const *tok, const size_t *toklen, size_t n,
		      struct ampd_req *req, const char **why)
{
	size_t s;

	switch (kind) {
	case ARG_SWITCH:
	case ARG_SWITCH_NOW:
		for (s = AMPD_SW_OFF; s <= AMPD_SW_NOW; s++)
			if (word_is(tok[0], toklen[0], switch_words[s]))
				break;
		if (s > AMPD_SW_NOW || (s == AMPD_SW_NOW && kind != ARG_SWITCH_NOW))
			return fail(why,
				    kind == ARG_SWITCH_NOW ? "recovery takes on, off or now"
							   : "coredump takes on or off",
				    -AMP_EINVAL);
		req->sw = (enum ampd_switch)s;
		return 0;
	case ARG_CRASH:
		if (!word_is(tok[0], toklen[0], switch_words[AMPD_SW_CRASH]))
			return fail(why, "trace takes a processor, then crash or nothing",
				    -AMP_EINVAL);
		req->sw = AMPD_SW_CRASH;
		return 0;
	case ARG_FILE:
		if (tok[0][0] == '.' || take_name(tok[0], toklen[0], AMPD_FILE_MAX, req->arg))
			return fail(why,
				    "firmware names are 1 to 63 letters, digits, _ . - (not starting "
				    "with .), a file in the daemon's firmware directories",
				    -AMP_EINVAL);
		return 0;
	case ARG_OPEN:
		if (take_name(tok[0], toklen[0], AMPD_NAME_MAX, req->arg))
			return fail(why, "channel names are 1 to 31 letters, digits, _ . -",
				    -AMP_EINVAL);
		if (n == 1)
			return 0;
		if (n != 3)
			return fail(why, "open takes a channel, or a channel, SRC and DST",
				    -AMP_EINVAL);
		if (take_addr(tok[1], toklen[1], &req->src) ||
		    take_addr(tok[2], toklen[2], &req->dst))
			return fail(why, "addresses are any or 0x and 1 to 8 lower-case hex digits (0xffffffff is any)",
				    -AMP_EINVAL);
		if (req->dst == AMPD_ADDR_ANY)
			return fail(why, "the destination address cannot be any", -AMP_EINVAL);
		/* The reserved addresses are the host's own services' (the name service at
		 * 0x35): a client taking one could answer for them. */
		if (req->src != AMPD_ADDR_ANY && req->src < AMPD_ADDR_MIN_SRC)
			return fail(why,
				    "source addresses below 0x400 are reserved (take any, or 0x400 "
				    "and up)",
				    -AMP_EINVAL);
		return 0;
	default:
		return fail(why, "wrong number of arguments for this verb", -AMP_EINVAL);
	}
}

int ampd_req_parse(const void *buf, size_t len, struct ampd_req *req, const char **why)
{
	const char *p = buf, *tok[MAX_WORDS];
	size_t toklen[MAX_WORDS], i, n = 0, v, start;

	if (len > AMPD_REQ_MAX)
		return fail(why, "request longer than 256 bytes", -AMP_EMSGSIZE);
	if (len == 0)
		return fail(why, "empty request", -AMP_EPROTO);
	/* Words of printable ASCII separated by single spaces: no empty word anywhere (which
	 * also refuses leading, trailing and doubled spaces). */
	for (i = 0, start = 0; i <= len; i++) {
		if (i < len && (p[i] < 0x20 || p[i] > 0x7e))
			return fail(why, "request has a byte that is not printable ASCII",
				    -AMP_EINVAL);
		if (i < len && p[i] != ' ')
			continue;
		if (i == start)
			return fail(why, "words must be separated by one space", -AMP_EINVAL);
		if (n == MAX_WORDS)
			return fail(why, "too many words in the request", -AMP_EINVAL);
		tok[n] = p + start;
		toklen[n++] = i - start;
		start = i + 1;
	}
	if (!word_is(tok[0], toklen[0], AMPD_PROTO_TAG))
		return fail(why, "not an AMP1 request (this daemon speaks protocol AMP1)",
			    -AMP_EPROTO);
	if (n < 2)
		return fail(why, "no verb", -AMP_EINVAL);
	for (v = 0; v < AMPD_NUM_VERBS; v++)
		if (word_is(tok[1], toklen[1], verbs[v].word))
			break;
	if (v == AMPD_NUM_VERBS)
		return fail(why, "unknown verb", -AMP_EINVAL);
	if (n - 2 < verbs[v].min || n - 2 > verbs[v].max)
		return fail(why, "wrong number of arguments for this verb", -AMP_EINVAL);
	memset(req, 0, sizeof(*req));
	req->verb = (enum ampd_verb)v;
	req->src = req->dst = AMPD_ADDR_ANY;
	if (n > 2 && take_name(tok[2], toklen[2], AMPD_NAME_MAX, req->name))
		return fail(why, "processor names are 1 to 31 letters, digits, _ . -",
			    -AMP_EINVAL);
	*why = NULL;
	return n > 3 ? parse_args(verbs[v].kind, tok + 3, toklen + 3, n - 3, req, why) : 0;
}

static void hex_or_any(char *out, size_t len, uint32_t a)
{
	if (a == AMPD_ADDR_ANY)
		snprintf(out, len, "any");
	else
		snprintf(out, len, "0x%x", a);
}

int ampd_req_format(const struct ampd_req *req, char *buf, size_t len)
{
	const char *word = ampd_verb_name(req->verb);
	char extra[AMPD_FILE_MAX + 32] = "";
	int n;

	if (!word)
		return -1;
	switch (verbs[req->verb].kind) {
	case ARG_SWITCH:
	case ARG_SWITCH_NOW:
	case ARG_CRASH:
		if (req->sw != AMPD_SW_NONE)
			snprintf(extra, sizeof(extra), " %s", switch_words[req->sw]);
		break;
	case ARG_FILE:
		if (req->arg[0])
			snprintf(extra, sizeof(extra), " %s", req->arg);
		break;
	case ARG_OPEN:
		if (req->dst != AMPD_ADDR_ANY) {
			char s[12], d[12];

			hex_or_any(s, sizeof(s), req->src);
			hex_or_any(d, sizeof(d), req->dst);
			snprintf(extra, sizeof(extra), " %s %s %s", req->arg, s, d);
		} else {
			snprintf(extra, sizeof(extra), " %s", req->arg);
		}
		break;
	default:
		break;
	}
	n = snprintf(buf, len, "%s %s%s%s%s", AMPD_PROTO_TAG, word, req->name[0] ? " " : "",
		     req->name, extra);
	return n < 0 || (size_t)n >= len ? -1 : n;
}
