// SPDX-License-Identifier: MIT
/*
 * xaio-test helpers: aiocbs, pipes, helper threads, watchdog; see
 * xaio-test.h.
 */

#include "xaio-test.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

void xt_cb_set(struct aiocb *cb, int fd, void *buf, size_t n, off_t off)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fd;
	cb->aio_buf = buf;
	cb->aio_nbytes = n;
	cb->aio_offset = off;
	cb->aio_sigevent.sigev_notify = SIGEV_NONE;
}

void xt_cb_set_op(struct aiocb *cb, int op, int fd, void *buf, size_t n,
		  off_t off)
{
	xt_cb_set(cb, fd, buf, n, off);
	cb->aio_lio_opcode = op;
}

int xt_cb_wait(struct aiocb *cb, int ms)
{
	const struct aiocb *list[1] = {cb};
	int64_t end = xt_now_ms() + ms;
	int e;

	while ((e = aio_error(cb)) == EINPROGRESS) {
		int64_t left = end - xt_now_ms();
		struct timespec ts;

		if (left <= 0)
			break;
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		aio_suspend(list, 1, &ts);
	}
	return e;
}

int xt_cb_poll(const struct aiocb *cb, int ms)
{
	int64_t end = xt_now_ms() + ms;

	while (aio_error(cb) == EINPROGRESS) {
		if (xt_now_ms() > end)
			return -1;
		xt_sleep_ms(1);
	}
	return 0;
}

ssize_t xt_fill_pipe(int wfd)
{
	static char junk[4096];
	int fl = fcntl(wfd, F_GETFL);
	ssize_t total = 0, n;

	memset(junk, 'f', sizeof(junk));
	if (fl < 0 || fcntl(wfd, F_SETFL, fl | O_NONBLOCK))
		return -1;
	while ((n = write(wfd, junk, sizeof(junk))) > 0)
		total += n;
	while ((n = write(wfd, junk, 1)) > 0)
		total += n;
	if (errno != EAGAIN || fcntl(wfd, F_SETFL, fl))
		return -1;
	return total;
}

int xt_start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

int xt_join_within(pthread_t t, int ms, void **ret)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_nsec -= 1000000000L;
		ts.tv_sec++;
	}
	return pthread_timedjoin_np(t, ret, &ts);
}

/* ---- watchdog ---- */

static void alarm_handler(int sig)
{
	(void)sig;
}

static void *watchdog_main(void *arg)
{
	struct xt_watchdog *w = arg;
	int64_t next = xt_now_ms() + w->ms;

	while (!atomic_load(&w->stop)) {
		if (xt_now_ms() >= next) {
			atomic_store(&w->fired, 1);
			pthread_kill(w->target, SIGALRM);
			next += 100;
		}
		xt_sleep_ms(2);
	}
	return NULL;
}

int xt_watchdog_arm(struct xt_watchdog *w, int ms)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alarm_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &w->old);
	w->target = pthread_self();
	w->ms = ms;
	atomic_store(&w->stop, 0);
	atomic_store(&w->fired, 0);
	if (xt_start_thread(&w->thread, watchdog_main, w)) {
		sigaction(SIGALRM, &w->old, NULL);
		return -1;
	}
	return 0;
}

void xt_watchdog_disarm(struct xt_watchdog *w)
{
	atomic_store(&w->stop, 1);
	pthread_join(w->thread, NULL);
	sigaction(SIGALRM, &w->old, NULL);
	if (atomic_load(&w->fired))
		fprintf(stderr,
			"watchdog: the call was still blocked after "
			"%d ms\n",
			w->ms);
}

/* ---- killer ---- */

static void *killer_main(void *arg)
{
	struct xt_killer *k = arg;
	int64_t next = xt_now_ms() + k->first_ms;

	while (!atomic_load(&k->stop)) {
		if (xt_now_ms() >= next) {
			pthread_kill(k->target, SIGUSR1);
			next += 50;
		}
		xt_sleep_ms(1);
	}
	return NULL;
}

int xt_killer_start(struct xt_killer *k, int first_ms)
{
	k->target = pthread_self();
	k->first_ms = first_ms;
	atomic_store(&k->stop, 0);
	return xt_start_thread(&k->thread, killer_main, k);
}

void xt_killer_stop(struct xt_killer *k)
{
	atomic_store(&k->stop, 1);
	pthread_join(k->thread, NULL);
}

__attribute__((noinline)) unsigned int xt_fill_stack(int depth)
{
	volatile unsigned char pad[4096];
	unsigned int r;

	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = 0xa5;
	r = depth > 1 ? xt_fill_stack(depth - 1) : 0;
	return r + pad[depth % sizeof(pad)];
}
