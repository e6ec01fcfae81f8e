/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libamp-client: how an application reaches ampd, the daemon that owns the remote processors
 * (docs/ampd-protocol.md). A connection is one of three kinds, fixed by its first use:
 *   - control: requests and their responses (amp_client_request());
 *   - endpoint: an rpmsg endpoint on a remote's channel (amp_client_open_endpoint()), then one
 *     message per amp_client_send() / amp_client_recv(), as Linux's /dev/rpmsgN gives them;
 *   - watch: events as processors change state and channels come and go (amp_client_watch()).
 * Open one connection per use. A connection is used by one thread at a time; the library keeps
 * no global state. Link with `pkg-config --libs amp-client`.
 */
#ifndef AMP_CLIENT_H
#define AMP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <amp/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where ampd listens when neither the caller nor $AMPD_SOCKET says. */
#define AMP_CLIENT_DEFAULT_SOCKET "/run/ampd.sock"
/* "any" address, for amp_client_open_endpoint()'s @src (RPMSG_ADDR_ANY). */
#define AMP_CLIENT_ADDR_ANY 0xffffffffu
/* The largest response ampd sends; @body buffers of this size never truncate. */
#define AMP_CLIENT_RESP_MAX 65536

struct amp_client;

/**
 * amp_client_connect() - connect to ampd
 * @path: its socket; NULL for $AMPD_SOCKET, else AMP_CLIENT_DEFAULT_SOCKET
 * @out:  the new connection, the caller's until amp_client_close()
 * A @path longer than a socket address holds (107 bytes) is reached through its directory
 * (/proc/self/fd), as ampd binds it.
 * Context: any thread. Return: 0; -ENOENT or -ECONNREFUSED (no daemon there); -EACCES (the
 * socket's permissions refuse this user: ask for the daemon's group); -ENAMETOOLONG (a long path
 * whose file name alone is over about 80 bytes, or /proc is not mounted); -ENOMEM.
 */
AMP_API int amp_client_connect(const char *path, struct amp_client **out);

/** amp_client_close() - close the connection (an endpoint's is destroyed). NULL is ignored. */
AMP_API void amp_client_close(struct amp_client *c);

/**
 * amp_client_fd() - the connection's socket, for poll()/epoll: readable when a message (an
 * endpoint) or an event (a watch) waits. Only poll it; read through this library.
 */
AMP_API int amp_client_fd(const struct amp_client *c);

/**
 * amp_client_error() - the daemon's sentence for the last request or open that it refused
 * ("no processor by that name..."), or "" after a success. Valid until the next call on @c.
 */
AMP_API const char *amp_client_error(const struct amp_client *c);

/**
 * amp_client_request() - one request on a control connection, and its response
 * @request: the request's words after the protocol tag, e.g. "status sim0" or "start sim1";
 *           checked here with the daemon's own parser before it is sent
 * @body:    receives the response's lines after its status line, NUL-terminated ("" when none;
 *           AMP_CLIENT_RESP_MAX bytes always suffice); may be NULL
 * @timeout_ms: how long to wait for the response; -1 forever. A signal does not end the
 *           wait (the response would be left for the next request to read).
 * Context: any thread (one at a time per connection).
 * Return: 0; the daemon's refusal as a negative errno (-ENOENT no such processor, -EALREADY,
 * -EBUSY too many clients, or too many of this user's, -ENOBUFS a response over 64 KiB,
 * -EINVAL... with amp_client_error() saying why); -EINVAL for a request the parser refuses,
 * -EMSGSIZE for one over 256 bytes (neither sent); -ETIMEDOUT, after which the connection is
 * unusable (a late response would be taken for the next one's: later calls return -EPIPE),
 * and also when the daemon had closed the connection because no request came for its idle
 * timeout (amp_client_error() says so: connect again); -ENOSPC when @len is too small for the
 * body (the rest is lost); -EPIPE when the daemon closed the connection; -EPROTO when the reply
 * is not AMP1; -EBADF on a watch or endpoint connection.
 */
AMP_API int amp_client_request(struct amp_client *c, const char *request, char *body, size_t len,
			       int timeout_ms);

/**
 * amp_record_get() - the value of @key in one line of a response body ("proc name=sim0
 * state=running ..."), decoded (the daemon writes every byte of a remote's text that is not a
 * letter, digit, _ . - as %XX) and NUL-terminated into @val.
 * Context: any. Return: the value's length; -ENOENT when the line has no @key; -ENOSPC.
 */
AMP_API int amp_record_get(const char *line, const char *key, char *val, size_t len);

/**
 * struct amp_endpoint_info - what amp_client_open_endpoint() got
 * @proc, @channel: where it lives
 * @vdev:  the processor's vdev the channel is on
 * @src:   the endpoint's own address (messages the remote sends there arrive here)
 * @dst:   where amp_client_send() sends
 * @mtu:   the largest message (496 bytes with Linux's 512-byte buffers)
 */
struct amp_endpoint_info {
	char proc[32];
	char channel[32];
	unsigned int vdev;
	uint32_t src, dst;
	int mtu;
};

/**
 * amp_client_open_endpoint() - make @c an endpoint on processor @proc's channel @channel
 * @src: the local address to take, or AMP_CLIENT_ADDR_ANY for a free one
 * @dst: the remote address to send to, or AMP_CLIENT_ADDR_ANY for the channel's
 * @info: filled in on success; may be NULL
 * The endpoint lives until amp_client_close(), or until its channel goes (the remote withdrew
 * it, stopped or crashed): then receiving returns -EPIPE.
 * Context: any thread, on a fresh connection. Return: 0; -ENOENT (no such processor or
 * channel, or the channel went while it was opened); -ENODEV (the processor is not running);
 * -EADDRINUSE (@src is taken by a driver or another endpoint on that device); -EINVAL (a bad
 * name, a @src without a @dst, or a @src below 0x400: rpmsg reserves those for the host's own
 * services); -EBADF (not a fresh connection); others as
 * amp_client_request(). Channels whose names hold bytes other than letters, digits, _ . -
 * (a remote may announce any) cannot be opened by name.
 */
AMP_API int amp_client_open_endpoint(struct amp_client *c, const char *proc, const char *channel,
				     uint32_t src, uint32_t dst, struct amp_endpoint_info *info);

/**
 * amp_client_send() - send one message of @len bytes (at most the endpoint's MTU). Blocks
 * while the remote returns no transmit buffers (the daemon stops reading, the socket fills):
 * back-pressure, as a /dev/rpmsgN write. Zero-length messages cannot be sent (a zero-length
 * packet reads as the end of the connection).
 * Context: any thread (one at a time per connection).
 * Return: 0; -EMSGSIZE over the MTU; -EINVAL for @len 0; -EPIPE (the endpoint is gone);
 * -EBADF (not an endpoint).
 */
AMP_API int amp_client_send(struct amp_client *c, const void *msg, size_t len);

/**
 * amp_client_recv() - receive one whole message into @buf
 * @timeout_ms: 0 to poll, -1 forever
 * A signal caught while it waits ends the wait (whatever the handler's SA_RESTART): the caller
 * whose handler asked to stop (Ctrl-C, SIGTERM) sees -EINTR and stops; one that did not calls
 * again. No message is lost either way. A signal that lands just before the call cannot end a
 * wait that has not begun: a handler that must stop the wait at any moment can also
 * shutdown(amp_client_fd(), SHUT_RD), which ends it (-EPIPE) and is async-signal-safe.
 * Context: any thread (one at a time per connection).
 * Return: its length; -ETIMEDOUT; -EINTR (a signal); -EMSGSIZE when it was longer than @len
 * (the message is lost; @len = the MTU never loses one); -EPIPE when the endpoint is gone (its
 * channel or processor went, or the daemon stopped); -EBADF (not an endpoint).
 */
AMP_API ssize_t amp_client_recv(struct amp_client *c, void *buf, size_t len, int timeout_ms);

/**
 * amp_client_watch() - make @c a stream of events (a fresh connection)
 * Context: any thread. Return: 0; -EBADF (not a fresh connection); -EPIPE.
 */
AMP_API int amp_client_watch(struct amp_client *c);

/**
 * amp_client_next_event() - the next event, as a line "<kind> key=value..." into @line:
 *   state proc=NAME state=STATE
 *   crash proc=NAME crashes=N
 *   channel-up proc=NAME vdev=N name=CHANNEL src=0x.. dst=0x..
 *   channel-down (the same keys)
 *   lost count=N (the daemon's queue overflowed: N events were not delivered)
 *   error proc=NAME state=STATE reason=TEXT (work nobody waited for failed: an auto-boot, a
 *     recovery; or automatic recovery stopped after too many crashes)
 * Later versions may add kinds and keys: ignore what you do not know.
 * A signal ends the wait as it ends amp_client_recv()'s (-EINTR; no event is lost).
 * Context: any thread. Return: the line's length; -ETIMEDOUT; -EINTR; -EPIPE (the daemon went,
 * or dropped this watcher for not reading); -ENOSPC (@len too small: that event is lost);
 * -EPROTO (a packet that is not an event).
 */
AMP_API int amp_client_next_event(struct amp_client *c, char *line, size_t len, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* AMP_CLIENT_H */
