// SPDX-License-Identifier: MIT
/*
 * aio_error() and aio_return(): a zeroed aiocb, stability of the final
 * status over repeated calls, publication of the status before the
 * notification (SIGEV_SIGNAL handler and SIGEV_THREAD callback see the
 * final values), aio_error() from a signal handler while requests are in
 * flight, and resubmission of an aiocb that is still in flight (rejected
 * with EINVAL without disturbing the first request, as NetBSD does).
 */
#include <aio.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "xtest.h"
#include "xaio-test.h"

static int t_zeroed(void)
{
	struct aiocb cb;

	XT_REQUIRE_BACKEND();
	memset(&cb, 0, sizeof(cb));
	XT_ASSERT_EQ(aio_error(&cb), 0);
	XT_ASSERT_EQ(aio_error(&cb), 0);
	return XT_PASS;
}

static int t_stable(void)
{
	unsigned char buf[100];
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("stable", 100, 0);
	XT_ASSERT_GE(fd, 0);
	xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	for (int i = 0; i < 3; i++) {
		XT_ASSERT_EQ(aio_error(&cb), 0);
		XT_ASSERT_EQ(aio_return(&cb), 100);
	}
	/* A failed request: the error is as stable. */
	xt_cb_set(&cb, -1, buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), EBADF);
	for (int i = 0; i < 3; i++) {
		XT_ASSERT_EQ(aio_error(&cb), EBADF);
		XT_ASSERT_EQ(aio_return(&cb), -1);
	}
	close(fd);
	return XT_PASS;
}

/* What the notification saw. */
static atomic_int seen_count;
static int seen_err;
static ssize_t seen_ret;

static void record(struct aiocb *cb)
{
	int e = aio_error(cb);
	ssize_t r = aio_return(cb);

	/* Record the first notification of a round only. */
	if (atomic_load(&seen_count) == 0) {
		seen_err = e;
		seen_ret = r;
	}
	atomic_fetch_add(&seen_count, 1);
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	record(si->si_value.sival_ptr);
}

static void on_thread(union sigval sv)
{
	record(sv.sival_ptr);
}

/* Requests of the notification rounds; static so a failed case is safe. */
static struct aiocb note_cb;
static unsigned char note_buf[4096];

/*
 * Rounds of one request each, notified as set up by how; the notification
 * must already see the final status.  Odd rounds use a bad fd (EBADF).
 */
static int notify_rounds(int fd, void (*how)(struct sigevent *))
{
	atomic_store(&seen_count, 0);
	for (int round = 0; round < 40; round++) {
		int bad = round & 1;

		/* The previous round got no second notification. */
		XT_ASSERT_EQ(atomic_load(&seen_count), round ? 1 : 0);
		atomic_store(&seen_count, 0);
		seen_err = -1;
		seen_ret = -2;
		xt_cb_set(&note_cb, bad ? -1 : fd, note_buf, sizeof(note_buf),
			  (off_t)round * 64);
		how(&note_cb.aio_sigevent);
		note_cb.aio_sigevent.sigev_value.sival_ptr = &note_cb;
		XT_ASSERT_OK(aio_read(&note_cb));
		XT_ASSERT_EQ(xt_wait_count(&seen_count, 1, 2000), 1);
		if (bad) {
			XT_ASSERT_EQ(seen_err, EBADF);
			XT_ASSERT_EQ(seen_ret, -1);
		} else {
			XT_ASSERT_EQ(seen_err, 0);
			XT_ASSERT_EQ(seen_ret, sizeof(note_buf));
		}
		XT_ASSERT_EQ(xt_cb_wait(&note_cb, 3000), bad ? EBADF : 0);
	}
	/* No second notification for any request. */
	xt_sleep_ms(20);
	XT_ASSERT_EQ(atomic_load(&seen_count), 1);
	return XT_PASS;
}

static void how_signal(struct sigevent *ev)
{
	ev->sigev_notify = SIGEV_SIGNAL;
	ev->sigev_signo = SIGRTMIN + 3;
}

static void how_thread(struct sigevent *ev)
{
	ev->sigev_notify = SIGEV_THREAD;
	ev->sigev_notify_function = on_thread;
}

static int t_signal_sees_status(void)
{
	struct sigaction sa, old;
	int fd, r;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("sig", 64 * 40 + 4096, 0);
	XT_ASSERT_GE(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(SIGRTMIN + 3, &sa, &old));
	r = notify_rounds(fd, how_signal);
	/* A late signal must still find the handler. */
	xt_cb_wait(&note_cb, 2000);
	xt_wait_count(&seen_count, 1, 1000);
	sigaction(SIGRTMIN + 3, &old, NULL);
	close(fd);
	return r;
}

static int t_thread_sees_status(void)
{
	int fd, r;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("thr", 64 * 40 + 4096, 0);
	XT_ASSERT_GE(fd, 0);
	r = notify_rounds(fd, how_thread);
	xt_cb_wait(&note_cb, 2000);
	xt_wait_count(&seen_count, 1, 1000);
	close(fd);
	return r;
}

/*
 * aio_error() from a signal handler that interrupts the submitting thread
 * at random points of a loop of reads.
 */
static struct aiocb *_Atomic irq_cb;
static atomic_int irq_hits, irq_inprogress, irq_stop;
static pthread_t irq_target;

static void on_irq(int sig)
{
	struct aiocb *cb = atomic_load(&irq_cb);
	int saved = errno;

	(void)sig;
	if (cb) {
		int e = aio_error(cb);

		XT_CHECK(e == EINPROGRESS || e == 0);
		atomic_fetch_add(&irq_hits, 1);
		if (e == EINPROGRESS)
			atomic_fetch_add(&irq_inprogress, 1);
	}
	errno = saved;
}

static void *irq_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&irq_stop)) {
		pthread_kill(irq_target, SIGUSR1);
		xt_sleep_ms(1);
	}
	return NULL;
}

static struct aiocb irq_req;
static unsigned char irq_buf[512];

/*
 * 2000 reads, one at a time.  Every 20th reads a pipe that gets its data
 * only 3 ms later, so that many signals arrive while a request is in flight.
 */
static int irq_loop(int fd, size_t flen, int p[2])
{
	int64_t end = xt_now_ms() + 4000;
	int i;

	for (i = 0; i < 2000 || atomic_load(&irq_inprogress) < 20; i++) {
		off_t off = (off_t)((i * 4099u) % (flen - sizeof(irq_buf)));
		int piped = i % 20 == 0;

		if (xt_now_ms() > end)
			break;
		atomic_store(&irq_cb, NULL);
		xt_cb_set(&irq_req, piped ? p[0] : fd, irq_buf, sizeof(irq_buf),
			  off);
		XT_ASSERT_OK(aio_read(&irq_req));
		atomic_store(&irq_cb, &irq_req);
		if (piped) {
			unsigned char rec[sizeof(irq_buf)];

			xt_sleep_ms(3);
			xt_fill_pattern(rec, sizeof(rec), (uint64_t)off);
			XT_ASSERT_EQ(write(p[1], rec, sizeof(rec)),
				     sizeof(rec));
		}
		XT_ASSERT_EQ(xt_cb_wait(&irq_req, 2000), 0);
		XT_ASSERT_EQ(aio_return(&irq_req), sizeof(irq_buf));
		XT_ASSERT_EQ(irq_buf[0], xt_pattern((uint64_t)off));
		XT_ASSERT_EQ(irq_buf[511], xt_pattern((uint64_t)off + 511));
	}
	atomic_store(&irq_cb, NULL);
	XT_ASSERT_GE(i, 2000);
	XT_ASSERT_GE(atomic_load(&irq_inprogress), 20);
	return XT_PASS;
}

static int t_error_in_handler(void)
{
	enum { FLEN = 1 << 20 };
	struct sigaction sa, old;
	pthread_t th;
	int fd, p[2], r;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("irq", FLEN, 0);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_OK(pipe(p));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_irq;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(SIGUSR1, &sa, &old));
	atomic_store(&irq_cb, NULL);
	atomic_store(&irq_hits, 0);
	atomic_store(&irq_inprogress, 0);
	atomic_store(&irq_stop, 0);
	irq_target = pthread_self();
	if (pthread_create(&th, NULL, irq_main, NULL)) {
		sigaction(SIGUSR1, &old, NULL);
		close(p[0]);
		close(p[1]);
		close(fd);
		return XT_FAIL;
	}
	r = irq_loop(fd, FLEN, p);
	atomic_store(&irq_stop, 1);
	pthread_join(th, NULL);
	close(p[1]); /* EOF for a pipe read left waiting. */
	xt_cb_wait(&irq_req, 2000);
	sigaction(SIGUSR1, &old, NULL);
	close(p[0]);
	close(fd);
	if (r == XT_PASS)
		fprintf(stderr, "handler ran %d times, %d saw EINPROGRESS\n",
			atomic_load(&irq_hits), atomic_load(&irq_inprogress));
	return r;
}

/* Resubmitting an aiocb that is in flight: EINVAL, first one unharmed. */
static struct aiocb re_cb;
static unsigned char re_buf[32];

static int resubmit_body(int p[2])
{
	xt_cb_set(&re_cb, p[0], re_buf, sizeof(re_buf), 0);
	XT_ASSERT_OK(aio_read(&re_cb));
	XT_ASSERT_EQ(xt_cb_wait(&re_cb, 50), EINPROGRESS);
	XT_ASSERT_ERRNO(aio_read(&re_cb), EINVAL);
	XT_ASSERT_EQ(aio_error(&re_cb), EINPROGRESS);
	XT_ASSERT_ERRNO(aio_write(&re_cb), EINVAL);
	XT_ASSERT_EQ(aio_error(&re_cb), EINPROGRESS);

	XT_ASSERT_EQ(write(p[1], "first request", 13), 13);
	XT_ASSERT_EQ(xt_cb_wait(&re_cb, 2000), 0);
	XT_ASSERT_EQ(aio_return(&re_cb), 13);
	XT_ASSERT_MEM_EQ(re_buf, "first request", 13);

	/* Once complete, the aiocb may be used again. */
	XT_ASSERT_OK(aio_read(&re_cb));
	XT_ASSERT_EQ(write(p[1], "again", 5), 5);
	XT_ASSERT_EQ(xt_cb_wait(&re_cb, 2000), 0);
	XT_ASSERT_EQ(aio_return(&re_cb), 5);
	XT_ASSERT_MEM_EQ(re_buf, "again", 5);
	return XT_PASS;
}

static int t_resubmit_inflight(void)
{
	int64_t end;
	int p[2], r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pipe(p));
	r = resubmit_body(p);
	/* EOF for whatever still waits, then until the fd is idle. */
	close(p[1]);
	end = xt_now_ms() + 2000;
	while (aio_cancel(p[0], NULL) != AIO_ALLDONE && xt_now_ms() < end)
		xt_sleep_ms(1);
	xt_cb_wait(&re_cb, 2000);
	close(p[0]);
	return r;
}

static struct xt_case cases[] = {
	{"zeroed", t_zeroed},
	{"stable", t_stable},
	{"signal_sees_status", t_signal_sees_status},
	{"thread_sees_status", t_thread_sees_status},
	{"error_in_handler", t_error_in_handler},
	{"resubmit_inflight", t_resubmit_inflight},
};

XT_MAIN(cases)
