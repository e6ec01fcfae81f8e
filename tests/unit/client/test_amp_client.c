/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for libamp-client (amp_client.c) against a fake ampd, a thread on a socket of its own:
 * a signal ends a blocking receive (-EINTR) whatever the handler's SA_RESTART, loses no message,
 * and does not end a request's wait for its response (which would leave the response to be
 * taken for the next one's).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <amp/client.h>

#include "amp_test.h"

/* Every wait of these tests ends by this deadline, whatever the machine's load. */
#define DEADLINE_MS 30000

/* Signals caught, counted (atomically: the fake daemon reads it) and posted (sem_post() is
 * async-signal-safe) for the fake daemon that waits for them. */
static int signals_caught;
static sem_t caught;

static void on_signal(int sig)
{
	(void)sig;
	__atomic_add_fetch(&signals_caught, 1, __ATOMIC_SEQ_CST);
	sem_post(&caught);
}

static int signals(void)
{
	return __atomic_load_n(&signals_caught, __ATOMIC_SEQ_CST);
}

static void catch_sigusr1(int flags)
{
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = flags};

	sigemptyset(&sa.sa_mask);
	__atomic_store_n(&signals_caught, 0, __ATOMIC_SEQ_CST);
	sem_destroy(&caught);
	sem_init(&caught, 0, 0);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
}

static struct timespec deadline_in(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* --- the fake daemon ------------------------------------------------------------------------ */

struct fake {
	char dir[32], path[64];
	int lfd, fd;
	pthread_t thread;
	const char *answer;     /* the response to the connection's one request */
	int answer_after;       /* ... sent once this many signals were caught */
	const char *later;      /* then this packet, once @go is posted (NULL: none) */
	sem_t go;
	char request[300];      /* what the client asked */
};

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	ssize_t n;
	int i;

	f->fd = accept(f->lfd, NULL, NULL);
	if (f->fd < 0)
		return NULL;
	n = recv(f->fd, f->request, sizeof(f->request) - 1, 0);
	if (n < 0)
		return NULL;
	f->request[n] = 0;
	/* A request answered only after the client was interrupted while it waited. */
	for (i = 0; i < f->answer_after; i++) {
		struct timespec ts = deadline_in(DEADLINE_MS);

		if (sem_timedwait(&caught, &ts))
			return NULL;
	}
	send(f->fd, f->answer, strlen(f->answer), MSG_NOSIGNAL);
	if (f->later) {
		struct timespec ts = deadline_in(DEADLINE_MS);

		if (sem_timedwait(&f->go, &ts) == 0)
			send(f->fd, f->later, strlen(f->later), MSG_NOSIGNAL);
	}
	return NULL;
}

static void fake_start(struct fake *f, const char *answer, int answer_after, const char *later)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(f->dir, sizeof(f->dir), "/tmp/amp-client-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	f->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	f->fd = -1;
	f->answer = answer;
	f->answer_after = answer_after;
	f->later = later;
	sem_init(&f->go, 0, 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	if (f->fd >= 0)
		close(f->fd);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	sem_destroy(&f->go);
}

/* --- a thread that signals the test's thread until its wait is over --------------------------- */

struct signaller {
	pthread_t target, thread;
	sem_t over; /* posted by the target when its call returned */
};

static void *signaller_main(void *arg)
{
	struct signaller *s = arg;
	struct timespec end = deadline_in(DEADLINE_MS);

	/* Again and again: a signal that lands before the wait began cannot end it. Each round
	 * waits on the target's word, not for a while. */
	for (;;) {
		struct timespec ts = deadline_in(20), now;

		pthread_kill(s->target, SIGUSR1);
		if (sem_timedwait(&s->over, &ts) == 0)
			break;
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec > end.tv_sec)
			break;
	}
	return NULL;
}

static void signaller_start(struct signaller *s)
{
	s->target = pthread_self();
	sem_init(&s->over, 0, 0);
	assert_int_equal(pthread_create(&s->thread, NULL, signaller_main, s), 0);
}

static void signaller_stop(struct signaller *s)
{
	sem_post(&s->over);
	pthread_join(s->thread, NULL);
	sem_destroy(&s->over);
}

/* --- the tests ------------------------------------------------------------------------------ */

static const char endpoint_answer[] =
	"AMP1 ok\nendpoint proc=sim0 vdev=0 channel=chan src=0x400 dst=0x401 mtu=496";

static void recv_is_interrupted(int sa_flags)
{
	struct amp_client *c;
	struct signaller sig;
	struct fake f;
	char buf[512];
	ssize_t n;

	catch_sigusr1(sa_flags);
	fake_start(&f, endpoint_answer, 0, "after");
	assert_int_equal(amp_client_connect(f.path, &c), 0);
	assert_int_equal(amp_client_open_endpoint(c, "sim0", "chan", AMP_CLIENT_ADDR_ANY,
						  AMP_CLIENT_ADDR_ANY, NULL),
			 0);
	assert_string_equal(f.request, "AMP1 open sim0 chan");

	signaller_start(&sig);
	n = amp_client_recv(c, buf, sizeof(buf), DEADLINE_MS * 2);
	signaller_stop(&sig);
	assert_int_equal(n, -EINTR);
	assert_true(signals() > 0);

	/* Nothing lost: the next message is there for the next call. */
	sem_post(&f.go);
	n = amp_client_recv(c, buf, sizeof(buf), DEADLINE_MS);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "after", 5);
	amp_client_close(c);
	fake_stop(&f);
}

static void test_recv_interrupted(void **state)
{
	(void)state;
	recv_is_interrupted(0);
}

/* SA_RESTART restarts no poll() (signal(7)): the wait ends all the same. */
static void test_recv_interrupted_sa_restart(void **state)
{
	(void)state;
	recv_is_interrupted(SA_RESTART);
}

static void test_next_event_interrupted(void **state)
{
	static const char event[] = "AMP1 event state proc=sim0 state=running";
	struct amp_client *c;
	struct signaller sig;
	struct fake f;
	char line[256];
	int n;

	(void)state;
	catch_sigusr1(0);
	fake_start(&f, "AMP1 ok", 0, event);
	assert_int_equal(amp_client_connect(f.path, &c), 0);
	assert_int_equal(amp_client_watch(c), 0);

	signaller_start(&sig);
	n = amp_client_next_event(c, line, sizeof(line), DEADLINE_MS * 2);
	signaller_stop(&sig);
	assert_int_equal(n, -EINTR);

	sem_post(&f.go);
	n = amp_client_next_event(c, line, sizeof(line), DEADLINE_MS);
	assert_int_equal(n, (int)strlen("state proc=sim0 state=running"));
	assert_string_equal(line, "state proc=sim0 state=running");
	amp_client_close(c);
	fake_stop(&f);
}

/* A request waits for its response through signals: the fake daemon answers only after the
 * client caught some while it waited. */
static void test_request_not_interrupted(void **state)
{
	static char body[AMP_CLIENT_RESP_MAX + 1];
	struct amp_client *c;
	struct signaller sig;
	struct fake f;
	int ret;

	(void)state;
	catch_sigusr1(0);
	fake_start(&f, "AMP1 ok\nproc name=sim0 state=offline", 3, NULL);
	assert_int_equal(amp_client_connect(f.path, &c), 0);

	signaller_start(&sig);
	ret = amp_client_request(c, "ls", body, sizeof(body), DEADLINE_MS * 2);
	signaller_stop(&sig);
	assert_int_equal(ret, 0);
	assert_true(signals() >= 3);
	assert_string_equal(body, "proc name=sim0 state=offline");
	amp_client_close(c);
	fake_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recv_interrupted),
		cmocka_unit_test(test_recv_interrupted_sa_restart),
		cmocka_unit_test(test_next_event_interrupted),
		cmocka_unit_test(test_request_not_interrupted),
	};

	sem_init(&caught, 0, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
