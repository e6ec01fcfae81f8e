/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The echo demo on the shm platform, both ends: the remote's loop (announce the echo channel,
 * send every message back, serve the next host when one goes away) and the host's check (a
 * driver for the echo channel, and a sweep of payload sizes each checked against its echo).
 * The sample programs, the demo and the tests share it. Sample.
 */
#ifndef AMP_SAMPLE_SHM_ECHO_H
#define AMP_SAMPLE_SHM_ECHO_H

#include <pthread.h>
#include <stdbool.h>

#include <amp/rpmsg.h>
#include <amp/shm.h>

/* OpenAMP's echo demo announces this channel at this address: its programs and ours meet. */
#define SHM_ECHO_CHANNEL "rpmsg-openamp-demo-channel"
#define SHM_ECHO_ADDR 0x400u

/*
 * Read the layout options of the sample programs from @argv, leaving the others: --file PATH,
 * --socket PATH, --host-listens (the host is the socket server; by default the remote is).
 * Returns the number of arguments used at @argv, or -1 (and says why) for one without its value.
 */
int shm_echo_layout_arg(int argc, char **argv, struct shm_layout *layout);

/* --- the remote's side ------------------------------------------------------------------- */

/*
 * rpmsg_remote_send() that waits for a host buffer when none is free (armed for the host's
 * kick, with a tick of 10 ms), up to the host going away. For endpoint callbacks and the
 * remote's loop.
 * Returns 0 or rpmsg_remote_send()'s other errors, or shm_remote_wait()'s.
 */
int shm_echo_send(struct shm_remote *r, struct rpmsg_remote_ept *ept, uint32_t dst,
		  const void *data, size_t len);
/* The same with rpmsg_remote_send_more(), for all but the last message of a stream. */
int shm_echo_send_more(struct shm_remote *r, struct rpmsg_remote_ept *ept, uint32_t dst,
		       const void *data, size_t len);

/* What an echo remote did, over all the hosts it served. */
struct shm_echo_remote_stats {
	unsigned int sessions; /* hosts served to their end */
	unsigned long echoes;
	struct rpmsg_remote_stats last; /* the last session's device counters */
};

/*
 * Be an echo remote for @sessions hosts one after the other (0: for ever): open the remote,
 * announce SHM_ECHO_CHANNEL at SHM_ECHO_ADDR, echo, and when the host goes away close and open
 * again for the next. @stop (may be NULL) ends it when set, within 100 ms.
 * Returns 0 after the sessions, or a negative error of shm_remote_open() or shm_remote_wait().
 */
int shm_echo_remote_run(const struct shm_remote_config *cfg, unsigned int sessions,
			const volatile bool *stop, struct shm_echo_remote_stats *stats);

/* --- the host's side --------------------------------------------------------------------- */

/*
 * struct shm_echo_peer - the echo channel of one processor, as the host sees it. Fields are
 * guarded by @lock; a test may read them under it.
 */
struct shm_echo_peer {
	char dev[80];                  /* the rpmsg device: "<processor>/vdev0" */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct rpmsg_channel *channel; /* while probed */
	unsigned int probes, removes, replies;
	int last_len;
	unsigned char last[1024];
	struct shm_echo_peer *next;
};

/* Watch the echo channel of processor @proc from now on (registers the driver with the first
 * peer). Context: any thread except callbacks. */
void shm_echo_peer_add(struct shm_echo_peer *peer, const char *proc);
/* Stop watching (unregisters the driver with the last peer). */
void shm_echo_peer_remove(struct shm_echo_peer *peer);

/* Wait until the channel has been probed @probes times and is there: 0, or -ETIMEDOUT after
 * @timeout_ms. */
int shm_echo_wait_channel(struct shm_echo_peer *peer, unsigned int probes,
			  unsigned int timeout_ms);

/*
 * Send payloads of every size from @min to @max bytes (@max past the MTU: up to the MTU), each
 * a different pattern, and check that each comes back whole before the next goes, within
 * @timeout_ms. Returns the number of echoes checked, or a negative error (and says which size
 * failed how).
 */
int shm_echo_sweep(struct shm_echo_peer *peer, int min, int max, unsigned int timeout_ms);

#endif /* AMP_SAMPLE_SHM_ECHO_H */
