/* SPDX-License-Identifier: BSD-3-Clause */
/* The ampd request parser and formatter. Host layer. */
#include <stdio.h>
#include <string.h>

#include <amp/errno.h>

#include "ampd/ampd_proto.h"

static const struct {
	const char *word;
	unsigned int args; /* after the verb */
} verbs[AMPD_NUM_VERBS] = {
	[AMPD_VERSION] = {"version", 0}, [AMPD_LS] = {"ls", 0},	    [AMPD_STATUS] = {"status", 1},
	[AMPD_START] = {"start", 1},	 [AMPD_STOP] = {"stop", 1}, [AMPD_CRASH] = {"crash", 1},
	[AMPD_RECOVERY] = {"recovery", 2}, [AMPD_TRACE] = {"trace", 1},
	[AMPD_CHANNELS] = {"channels", 1},
};

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

int ampd_req_parse(const void *buf, size_t len, struct ampd_req *req, const char **why)
{
	const char *p = buf, *tok[4];
	size_t toklen[4], i, n = 0, v, start;

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
		if (n == 4)
			return fail(why, "too many words in the request", -AMP_EINVAL);
		tok[n] = p + start;
		toklen[n++] = i - start;
		start = i + 1;
	}
	if (toklen[0] != 4 || memcmp(tok[0], AMPD_PROTO_TAG, 4))
		return fail(why, "not an AMP1 request (this daemon speaks protocol AMP1)",
			    -AMP_EPROTO);
	if (n < 2)
		return fail(why, "no verb", -AMP_EINVAL);
	for (v = 0; v < AMPD_NUM_VERBS; v++)
		if (strlen(verbs[v].word) == toklen[1] && !memcmp(verbs[v].word, tok[1], toklen[1]))
			break;
	if (v == AMPD_NUM_VERBS)
		return fail(why, "unknown verb", -AMP_EINVAL);
	if (n - 2 != verbs[v].args)
		return fail(why, "wrong number of arguments for this verb", -AMP_EINVAL);
	memset(req, 0, sizeof(*req));
	req->verb = (enum ampd_verb)v;
	if (n > 2) {
		if (toklen[2] > AMPD_NAME_MAX)
			return fail(why, "processor name longer than 31 characters", -AMP_EINVAL);
		for (i = 0; i < toklen[2]; i++)
			if (!ampd_name_char(tok[2][i]))
				return fail(why, "processor names are letters, digits, _ . -",
					    -AMP_EINVAL);
		memcpy(req->name, tok[2], toklen[2]);
	}
	if (n > 3) {
		if (toklen[3] == 2 && !memcmp(tok[3], "on", 2))
			req->on = 1;
		else if (!(toklen[3] == 3 && !memcmp(tok[3], "off", 3)))
			return fail(why, "recovery takes on or off", -AMP_EINVAL);
	}
	*why = NULL;
	return 0;
}

int ampd_req_format(const struct ampd_req *req, char *buf, size_t len)
{
	const char *word = ampd_verb_name(req->verb);
	int n;

	if (!word)
		return -1;
	if (verbs[req->verb].args == 0)
		n = snprintf(buf, len, "%s %s", AMPD_PROTO_TAG, word);
	else if (verbs[req->verb].args == 1)
		n = snprintf(buf, len, "%s %s %s", AMPD_PROTO_TAG, word, req->name);
	else
		n = snprintf(buf, len, "%s %s %s %s", AMPD_PROTO_TAG, word, req->name,
			     req->on ? "on" : "off");
	return n < 0 || (size_t)n >= len ? -1 : n;
}
