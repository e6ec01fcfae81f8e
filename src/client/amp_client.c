/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libamp-client: ampd's protocol (docs/ampd-protocol.md) on a SOCK_SEQPACKET connection.
 * Whatever the daemon (or something pretending to be it) sends is checked before use: a reply
 * that is not AMP1 is -EPROTO, never a crash. Client layer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <amp/client.h>
#include <amp/errno.h>

#include "ampd/ampd_proto.h"
#include "ampd/ampd_sockaddr.h"

enum kind { K_FRESH, K_CONTROL, K_ENDPOINT, K_WATCH };

struct amp_client {
	int fd;
	enum kind kind;
	bool broken; /* a response timed out: a late one would be taken for the next */
	int mtu;
	char error[1024]; /* the daemon's reasons may name directories searched */
	char resp[AMP_CLIENT_RESP_MAX + 1];
};

int amp_client_connect(const char *path, struct amp_client **out)
{
	struct ampd_sockaddr addr;
	struct amp_client *c;
	int ret;

	if (!path)
		path = getenv("AMPD_SOCKET");
	if (!path || !*path)
		path = AMP_CLIENT_DEFAULT_SOCKET;
	ret = ampd_sockaddr_init(&addr, path);
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c) {
		ampd_sockaddr_release(&addr);
		return -ENOMEM;
	}
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr.sa, sizeof(addr.sa))) {
		int err = -errno;

		if (c->fd >= 0)
			close(c->fd);
		free(c);
		ampd_sockaddr_release(&addr);
		return err;
	}
	ampd_sockaddr_release(&addr);
	*out = c;
	return 0;
}

void amp_client_close(struct amp_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

int amp_client_fd(const struct amp_client *c)
{
	return c->fd;
}

const char *amp_client_error(const struct amp_client *c)
{
	return c->error;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until @fd is readable; 0, -ETIMEDOUT, -EINTR (a signal came, when @interruptible: the
 * caller's handler may want it to stop waiting), or -errno. Otherwise a signal costs nothing
 * of the wait: it goes on for what is left of @timeout_ms.
 */
static int wait_readable(int fd, int timeout_ms, bool interruptible)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int64_t end = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	int n;

	for (;;) {
		n = poll(&pfd, 1, timeout_ms);
		if (n >= 0 || errno != EINTR)
			break;
		if (interruptible)
			return -EINTR;
		if (timeout_ms >= 0) {
			int64_t left = end - now_ms();

			timeout_ms = left > 0 ? (int)left : 0;
		}
	}
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

/*
 * recv() that reads past a reset: when the daemon closes a connection whose packets it had not
 * read (a client over the limit that already sent its request; an endpoint whose channel went),
 * the first recv() reports ECONNRESET, and what the daemon sent before closing is still queued.
 */
static ssize_t recv_reset_aware(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = recv(fd, buf, len, flags | MSG_DONTWAIT);

	if (n < 0 && errno == ECONNRESET) {
		n = recv(fd, buf, len, flags | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return 0; /* nothing was left: the end */
	}
	return n;
}

/* One packet into c->resp, NUL-terminated: its length, or a negative errno (-EPIPE at EOF;
 * -EINTR from an @interruptible wait). */
static ssize_t recv_packet(struct amp_client *c, int timeout_ms, bool interruptible)
{
	ssize_t n;
	int ret = wait_readable(c->fd, timeout_ms, interruptible);

	if (ret)
		return ret;
	n = recv_reset_aware(c->fd, c->resp, AMP_CLIENT_RESP_MAX, 0);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : errno == ECONNRESET ? -EPIPE : -errno;
	if (n == 0)
		return -EPIPE;
	c->resp[n] = 0;
	return n;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int errno_from_name(const char *name, size_t len)
{
#define AMP_CLIENT_ERRNO(n, v, t)                                                                  \
	if (len == sizeof(#n) - 1 && !memcmp(name, #n, len))                                       \
		return -(v);
	AMP_ERRNO_MAP(AMP_CLIENT_ERRNO)
#undef AMP_CLIENT_ERRNO
	return -EPROTO;
}

/* The response in c->resp: 0 with *@body after "AMP1 ok", or the refusal's errno. */
static int parse_response(struct amp_client *c, const char **body)
{
	static const char ok[] = AMPD_PROTO_TAG " ok", err[] = AMPD_PROTO_TAG " err ";
	const char *name, *msg;

	c->error[0] = 0;
	if (!strncmp(c->resp, ok, sizeof(ok) - 1) &&
	    (c->resp[sizeof(ok) - 1] == 0 || c->resp[sizeof(ok) - 1] == '\n')) {
		*body = c->resp + sizeof(ok) - 1 + (c->resp[sizeof(ok) - 1] == '\n');
		return 0;
	}
	if (strncmp(c->resp, err, sizeof(err) - 1)) {
		snprintf(c->error, sizeof(c->error), "the daemon's reply is not an AMP1 response");
		return -EPROTO;
	}
	name = c->resp + sizeof(err) - 1;
	msg = strchr(name, ' ');
	snprintf(c->error, sizeof(c->error), "%s", msg ? msg + 1 : "refused");
	return errno_from_name(name, msg ? (size_t)(msg - name) : strlen(name));
}

/* Send "AMP1 @request" after checking it as the daemon will; the parsed form in *@q. */
static int send_request(struct amp_client *c, const char *request, struct ampd_req *q)
{
	char packet[AMPD_REQ_MAX + 1];
	const char *why;
	int n;

	c->error[0] = 0;
	n = snprintf(packet, sizeof(packet), "%s %s", AMPD_PROTO_TAG, request);
	if (n < 0 || n > AMPD_REQ_MAX) {
		snprintf(c->error, sizeof(c->error), "request longer than %d bytes", AMPD_REQ_MAX);
		return -EMSGSIZE;
	}
	if (ampd_req_parse(packet, (size_t)n, q, &why)) {
		snprintf(c->error, sizeof(c->error), "%s", why);
		return -EINVAL;
	}
	if (send(c->fd, packet, (size_t)n, MSG_NOSIGNAL) != n) {
		int err = errno == EPIPE || errno == ECONNRESET ? -EPIPE : -errno, refusal;
		const char *body;

		/* A daemon that refused the connection (too many clients) said why before it
		 * closed: that reason, not the broken pipe. */
		if (err == -EPIPE && recv_packet(c, 0, false) > 0 &&
		    (refusal = parse_response(c, &body)))
			return refusal;
		return err;
	}
	return 0;
}

/* A request and its response on a fresh or control connection; *@body inside c->resp. */
static int transact(struct amp_client *c, const char *request, const char **body,
		    int timeout_ms, struct ampd_req *q)
{
	ssize_t n;
	int ret;

	if (c->kind != K_FRESH && c->kind != K_CONTROL)
		return -EBADF;
	if (c->broken)
		return -EPIPE;
	ret = send_request(c, request, q);
	if (ret)
		return ret;
	/* Not interrupted by signals: a response left unread would be taken for the next one's. */
	n = recv_packet(c, timeout_ms, false);
	if (n == -ETIMEDOUT)
		c->broken = true;
	if (n < 0)
		return (int)n;
	return parse_response(c, body);
}

int amp_client_request(struct amp_client *c, const char *request, char *body, size_t len,
		       int timeout_ms)
{
	struct ampd_req q;
	const char *b;
	int ret;

	/* watch and open change what the connection is: they have their own calls. */
	if (!strncmp(request, "watch", 5) || !strncmp(request, "open ", 5)) {
		snprintf(c->error, sizeof(c->error),
			 "use amp_client_watch() or amp_client_open_endpoint()");
		return -EINVAL;
	}
	ret = transact(c, request, &b, timeout_ms, &q);
	if (ret)
		return ret;
	c->kind = K_CONTROL;
	if (body && len) {
		size_t n = strlen(b);

		if (n >= len) {
			memcpy(body, b, len - 1);
			body[len - 1] = 0;
			return -ENOSPC;
		}
		memcpy(body, b, n + 1);
	}
	return 0;
}

int amp_record_get(const char *line, const char *key, char *val, size_t len)
{
	const char *end = strchr(line, '\n'), *p = line;
	size_t klen = strlen(key), n = 0;

	if (!end)
		end = line + strlen(line);
	/* key=value words after the record's kind, on this line only; a key matches at a word's
	 * start only. */
	for (;;) {
		p = memchr(p, ' ', (size_t)(end - p));
		if (!p)
			return -ENOENT;
		p++;
		if ((size_t)(end - p) > klen && !strncmp(p, key, klen) && p[klen] == '=')
			break;
	}
	if (!len)
		return -ENOSPC;
	for (p += klen + 1; p < end && *p != ' '; p++) {
		char ch = *p;

		if (ch == '%' && end - p > 2 && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
			ch = (char)(hex_digit(p[1]) << 4 | hex_digit(p[2]));
			p += 2;
		}
		if (n + 1 >= len)
			return -ENOSPC;
		val[n++] = ch;
	}
	val[n] = 0;
	return (int)n;
}

static unsigned long record_num(const char *line, const char *key)
{
	char v[24];

	return amp_record_get(line, key, v, sizeof(v)) > 0 ? strtoul(v, NULL, 0) : 0;
}

int amp_client_open_endpoint(struct amp_client *c, const char *proc, const char *channel,
			     uint32_t src, uint32_t dst, struct amp_endpoint_info *info)
{
	char request[AMPD_REQ_MAX + 1];
	struct ampd_req q;
	const char *body;
	int ret;

	if (c->kind != K_FRESH)
		return -EBADF;
	if (dst == AMP_CLIENT_ADDR_ANY && src == AMP_CLIENT_ADDR_ANY) {
		snprintf(request, sizeof(request), "open %s %s", proc, channel);
	} else {
		char s[12] = "any";

		if (src != AMP_CLIENT_ADDR_ANY)
			snprintf(s, sizeof(s), "0x%x", src);
		if (dst == AMP_CLIENT_ADDR_ANY) {
			snprintf(c->error, sizeof(c->error), "a source address needs a destination");
			return -EINVAL;
		}
		snprintf(request, sizeof(request), "open %s %s %s 0x%x", proc, channel, s, dst);
	}
	ret = transact(c, request, &body, -1, &q);
	if (ret)
		return ret;
	if (strncmp(body, "endpoint ", 9)) {
		snprintf(c->error, sizeof(c->error), "the daemon's reply has no endpoint line");
		return -EPROTO;
	}
	c->kind = K_ENDPOINT;
	if (info) {
		memset(info, 0, sizeof(*info));
		amp_record_get(body, "proc", info->proc, sizeof(info->proc));
		amp_record_get(body, "channel", info->channel, sizeof(info->channel));
		info->vdev = (unsigned int)record_num(body, "vdev");
		info->src = (uint32_t)record_num(body, "src");
		info->dst = (uint32_t)record_num(body, "dst");
		info->mtu = (int)record_num(body, "mtu");
	}
	c->mtu = (int)record_num(body, "mtu");
	return 0;
}

int amp_client_send(struct amp_client *c, const void *msg, size_t len)
{
	ssize_t n;

	if (c->kind != K_ENDPOINT)
		return -EBADF;
	if (len == 0)
		return -EINVAL;
	if (c->mtu > 0 && len > (size_t)c->mtu)
		return -EMSGSIZE;
	do
		n = send(c->fd, msg, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EPIPE || errno == ECONNRESET ? -EPIPE : -errno;
	return 0;
}

ssize_t amp_client_recv(struct amp_client *c, void *buf, size_t len, int timeout_ms)
{
	ssize_t n;
	int ret;

	if (c->kind != K_ENDPOINT)
		return -EBADF;
	ret = wait_readable(c->fd, timeout_ms, true);
	if (ret)
		return ret;
	n = recv_reset_aware(c->fd, buf, len, MSG_TRUNC);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : errno == ECONNRESET ? -EPIPE : -errno;
	/* The daemon never forwards an empty message: 0 is the end of the endpoint. */
	if (n == 0)
		return -EPIPE;
	return (size_t)n > len ? -EMSGSIZE : n;
}

int amp_client_watch(struct amp_client *c)
{
	struct ampd_req q;
	const char *body;
	int ret;

	if (c->kind != K_FRESH)
		return -EBADF;
	ret = transact(c, "watch", &body, -1, &q);
	if (!ret)
		c->kind = K_WATCH;
	return ret;
}

int amp_client_next_event(struct amp_client *c, char *line, size_t len, int timeout_ms)
{
	static const char tag[] = AMPD_PROTO_TAG " event ";
	ssize_t n;
	size_t body;

	if (c->kind != K_WATCH)
		return -EBADF;
	n = recv_packet(c, timeout_ms, true);
	if (n < 0)
		return (int)n;
	if (strncmp(c->resp, tag, sizeof(tag) - 1))
		return -EPROTO;
	body = (size_t)n - (sizeof(tag) - 1);
	if (body >= len)
		return -ENOSPC;
	memcpy(line, c->resp + sizeof(tag) - 1, body + 1);
	return (int)body;
}
