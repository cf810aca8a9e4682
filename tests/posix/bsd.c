// SPDX-License-Identifier: MIT
/*
 * FreeBSD's extensions on glibc's aiocb: aio_readv, aio_writev (the iovec
 * travels in aio_buf/aio_nbytes, see <xaio/posix.h>), their lio_listio
 * opcodes, and aio_waitcomplete.
 */
#include <aio.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>

#include "xaio/posix.h"
#include "xtest.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static int wait_one(struct aiocb *cb)
{
	const struct aiocb *list[1] = {cb};
	struct timespec ts = {5, 0};

	while (aio_error(cb) == EINPROGRESS)
		if (aio_suspend(list, 1, &ts) && errno == EAGAIN)
			return -1;
	return 0;
}

static void set_cb(struct aiocb *cb, int fd, const struct iovec *iov,
		   int iovcnt, off_t off)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fd;
	XAIO_AIOCB_SET_IOV(cb, iov, iovcnt);
	cb->aio_offset = off;
}

static int readv_scatters(void)
{
	static char a[100], b[1000], c[4000];
	struct iovec iov[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {c, sizeof(c)}};
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("rv", 65536, 0);
	XT_ASSERT_GE(fd, 0);
	set_cb(&cb, fd, iov, 3, 777);
	XT_ASSERT_OK(aio_readv(&cb));
	XT_ASSERT_OK(wait_one(&cb));
	XT_ASSERT_EQ(aio_error(&cb), 0);
	XT_ASSERT_EQ(aio_return(&cb), 5100);
	for (int i = 0; i < 100; i++)
		XT_ASSERT_EQ((unsigned char)a[i], xt_pattern(777 + i));
	for (int i = 0; i < 1000; i++)
		XT_ASSERT_EQ((unsigned char)b[i], xt_pattern(877 + i));
	for (int i = 0; i < 4000; i++)
		XT_ASSERT_EQ((unsigned char)c[i], xt_pattern(1877 + i));
	close(fd);
	return XT_PASS;
}

static int writev_gathers(void)
{
	static char a[10] = "0123456789", b[5] = "abcde", got[32];
	struct iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("wv", 0, 0);
	XT_ASSERT_GE(fd, 0);
	set_cb(&cb, fd, iov, 2, 3);
	XT_ASSERT_OK(aio_writev(&cb));
	XT_ASSERT_OK(wait_one(&cb));
	XT_ASSERT_EQ(aio_return(&cb), 15);
	XT_ASSERT_EQ(pread(fd, got, sizeof(got), 0), 18);
	XT_ASSERT_MEM_EQ(got + 3, "0123456789abcde", 15);
	close(fd);
	return XT_PASS;
}

static int listio_vectored(void)
{
	static char w1[8] = "AAAAAAAA", w2[8] = "BBBBBBBB", r1[8], r2[8];
	struct iovec wiov[2] = {{w1, 8}, {w2, 8}};
	struct iovec riov[2] = {{r2, 8}, {r1, 8}};
	struct aiocb wcb, rcb;
	struct aiocb *list[1];
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("lv", 0, 0);
	XT_ASSERT_GE(fd, 0);
	set_cb(&wcb, fd, wiov, 2, 0);
	wcb.aio_lio_opcode = XAIO_LIO_WRITEV;
	list[0] = &wcb;
	XT_ASSERT_OK(lio_listio(LIO_WAIT, list, 1, NULL));
	XT_ASSERT_EQ(aio_return(&wcb), 16);
	set_cb(&rcb, fd, riov, 2, 0);
	rcb.aio_lio_opcode = XAIO_LIO_READV;
	list[0] = &rcb;
	XT_ASSERT_OK(lio_listio(LIO_WAIT, list, 1, NULL));
	XT_ASSERT_EQ(aio_return(&rcb), 16);
	/* Scattered in the order of the vector: r2 first, then r1. */
	XT_ASSERT_MEM_EQ(r2, w1, 8);
	XT_ASSERT_MEM_EQ(r1, w2, 8);
	close(fd);
	return XT_PASS;
}

static int iovcnt_too_big(void)
{
	static char a[8];
	struct iovec iov[1] = {{a, 8}};
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("big-iovcnt", 64, 0);
	XT_ASSERT_GE(fd, 0);
	set_cb(&cb, fd, iov, 1, 0);
	cb.aio_nbytes = IOV_MAX + 1;
	XT_ASSERT_OK(aio_readv(&cb));
	XT_ASSERT_OK(wait_one(&cb));
	XT_ASSERT_EQ(aio_error(&cb), EINVAL);
	XT_ASSERT_EQ(aio_return(&cb), -1);
	close(fd);
	return XT_PASS;
}

static void set_read(struct aiocb *cb, int fd, void *buf, size_t n, off_t off)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fd;
	cb->aio_buf = buf;
	cb->aio_nbytes = n;
	cb->aio_offset = off;
}

static int waitcomplete_each_once(void)
{
	static char buf[4][512];
	struct aiocb cbs[4], *got;
	struct timespec poll = {0, 0}, ts = {5, 0};
	int seen[4] = {0}, fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("wc", 4096, 0);
	XT_ASSERT_GE(fd, 0);
	for (int i = 0; i < 4; i++) {
		set_read(&cbs[i], fd, buf[i], 100 + (size_t)i, i * 512);
		XT_ASSERT_OK(aio_read(&cbs[i]));
	}
	/* The third is collected by aio_return: waitcomplete must skip it. */
	XT_ASSERT_OK(wait_one(&cbs[2]));
	XT_ASSERT_EQ(aio_return(&cbs[2]), 102);
	for (int n = 0; n < 3; n++) {
		ssize_t r = aio_waitcomplete(&got, &ts);
		int i;

		XT_ASSERT(got >= cbs && got < cbs + 4);
		i = (int)(got - cbs);
		XT_ASSERT_NE(i, 2);
		XT_ASSERT_EQ(r, 100 + i);
		seen[i]++;
	}
	XT_ASSERT_EQ(seen[0] + seen[1] + seen[3], 3);
	XT_ASSERT(seen[0] == 1 && seen[1] == 1 && seen[3] == 1);
	got = cbs;
	XT_ASSERT_ERRNO(aio_waitcomplete(&got, &poll), EAGAIN);
	XT_ASSERT(got == NULL);
	close(fd);
	return XT_PASS;
}

/*
 * Completions published by many threads at once (done() takes no lock):
 * aio_waitcomplete collects every one exactly once, with its own result.
 */
#define MT_THREADS 4
#define MT_SLOTS 32
#define MT_EACH 1500

static struct aiocb mt_cb[MT_THREADS][MT_SLOTS];
static char mt_buf[MT_THREADS][MT_SLOTS][64];
static atomic_int mt_busy[MT_THREADS][MT_SLOTS];
static atomic_int mt_left, mt_bad;
static int mt_fd;

static void *mt_submit(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int n = 0; n < MT_EACH;) {
		for (int i = 0; i < MT_SLOTS && n < MT_EACH; i++) {
			struct aiocb *cb = &mt_cb[t][i];

			if (atomic_load(&mt_busy[t][i]))
				continue;
			set_read(cb, mt_fd, mt_buf[t][i], (size_t)(1 + i), 0);
			atomic_store(&mt_busy[t][i], 1);
			if (aio_read(cb)) {
				atomic_store(&mt_bad, 1);
				return NULL;
			}
			n++;
		}
		sched_yield();
	}
	return NULL;
}

static int waitcomplete_many_threads(void)
{
	pthread_t th[MT_THREADS];
	struct timespec ts = {5, 0}, poll = {0, 0};
	struct aiocb *got;
	int collected = 0;
	int64_t end = xt_now_ms() + 20000;

	XT_REQUIRE_BACKEND();
	mt_fd = xt_make_file("wc-mt", 4096, 0);
	XT_ASSERT_GE(mt_fd, 0);
	atomic_store(&mt_left, MT_THREADS * MT_EACH);
	for (int t = 0; t < MT_THREADS; t++)
		XT_ASSERT_EQ(pthread_create(&th[t], NULL, mt_submit,
					    (void *)(intptr_t)t),
			     0);
	while (atomic_load(&mt_left) > 0 && !atomic_load(&mt_bad) &&
	       xt_now_ms() < end) {
		ssize_t r = aio_waitcomplete(&got, &ts);
		int t, i;

		if (r < 0 && errno == EINVAL && atomic_load(&mt_left) > 0)
			continue; /* nothing in flight this instant */
		XT_ASSERT(r >= 0);
		XT_ASSERT(got >= &mt_cb[0][0] &&
			  got < &mt_cb[0][0] + MT_THREADS * MT_SLOTS);
		t = (int)(got - &mt_cb[0][0]) / MT_SLOTS;
		i = (int)(got - &mt_cb[0][0]) % MT_SLOTS;
		XT_ASSERT_EQ(r, 1 + i);
		/* In flight, and not collected before. */
		XT_ASSERT_EQ(atomic_load(&mt_busy[t][i]), 1);
		collected++;
		atomic_fetch_sub(&mt_left, 1);
		atomic_store(&mt_busy[t][i], 0);
	}
	for (int t = 0; t < MT_THREADS; t++)
		pthread_join(th[t], NULL);
	XT_ASSERT_EQ(atomic_load(&mt_bad), 0);
	XT_ASSERT_EQ(atomic_load(&mt_left), 0);
	XT_ASSERT_EQ(collected, MT_THREADS * MT_EACH);
	XT_ASSERT_ERRNO(aio_waitcomplete(&got, &poll), EAGAIN);
	close(mt_fd);
	return XT_PASS;
}

/*
 * Only the aiocb a request was submitted with collects its completion: a
 * copy of it by value (its status, and the record's position in the
 * reserved bytes, copied too) or a zeroed aiocb given to aio_return must
 * leave the completion to aio_waitcomplete (#17 §2: before, the copy's
 * aio_return consumed the original's record and waitcomplete said EAGAIN).
 */
static int waitcomplete_copy_collects_nothing(void)
{
	static char buf[512];
	struct aiocb cb, copy, zero, *got = NULL;
	struct timespec poll = {0, 0}, ts = {5, 0};
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("wcc", 4096, 0);
	XT_ASSERT_GE(fd, 0);
	set_read(&cb, fd, buf, 300, 0);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_OK(wait_one(&cb));
	memcpy(&copy, &cb, sizeof(cb));
	memset(&zero, 0, sizeof(zero));
	/* glibc's answers for either: the fields they hold. */
	XT_ASSERT_EQ(aio_return(&copy), 300);
	XT_ASSERT_EQ(aio_return(&zero), 0);
	XT_ASSERT_EQ(aio_waitcomplete(&got, &ts), 300);
	XT_ASSERT(got == &cb);
	XT_ASSERT_ERRNO(aio_waitcomplete(&got, &poll), EAGAIN);
	close(fd);
	return XT_PASS;
}

static int waitcomplete_error_and_timeout(void)
{
	static char buf[16];
	struct aiocb bad, blocked, *got;
	struct timespec ts = {0, 60 * 1000000L}, bad_ts = {0, 1000000000L};
	int p[2];
	int64_t t;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_ERRNO(aio_waitcomplete(NULL, &ts), EINVAL);
	XT_ASSERT_ERRNO(aio_waitcomplete(&got, &bad_ts), EINVAL);
	/* A failed request: -1 with its errno, and *iocbp names it. */
	set_read(&bad, -1, buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&bad));
	XT_ASSERT_ERRNO(aio_waitcomplete(&got, &ts), EBADF);
	XT_ASSERT(got == &bad);
	/* Nothing completes within the timeout: EAGAIN after it. */
	XT_ASSERT_OK(pipe(p));
	set_read(&blocked, p[0], buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&blocked));
	t = xt_now_ms();
	XT_ASSERT_ERRNO(aio_waitcomplete(&got, &ts), EAGAIN);
	XT_ASSERT_GE(xt_now_ms() - t, 50);
	XT_ASSERT_EQ(write(p[1], "x", 1), 1);
	ts.tv_sec = 5;
	XT_ASSERT_EQ(aio_waitcomplete(&got, &ts), 1);
	XT_ASSERT(got == &blocked);
	/* Nothing in flight and no timeout: refuses to wait forever. */
	XT_ASSERT_ERRNO(aio_waitcomplete(&got, NULL), EINVAL);
	close(p[0]);
	close(p[1]);
	return XT_PASS;
}

static atomic_long handler_ret = -2;

static void return_in_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	atomic_store(&handler_ret,
		     (long)aio_return((struct aiocb *)si->si_value.sival_ptr));
}

/*
 * aio_return in a signal handler collects the request for
 * aio_waitcomplete too, also when the handler interrupted the library
 * (which may hold the lock of aio_waitcomplete's record).
 */
static int waitcomplete_return_in_handler(void)
{
	static char buf[512];
	struct sigaction sa = {.sa_sigaction = return_in_handler,
			       .sa_flags = SA_SIGINFO},
			 old;
	struct timespec poll = {0, 0}, ts = {1, 0};
	struct aiocb cb, *got;
	const struct aiocb *list[1] = {&cb};
	int64_t end;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("wc-sig", 4096, 0);
	XT_ASSERT_GE(fd, 0);
	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(SIGRTMIN + 1, &sa, &old));
	set_read(&cb, fd, buf, 300, 512);
	/* To this thread: the handler runs in aio_read, at its completion. */
	cb.aio_sigevent.sigev_notify = SIGEV_THREAD_ID;
	cb.aio_sigevent.sigev_notify_thread_id = gettid();
	cb.aio_sigevent.sigev_signo = SIGRTMIN + 1;
	cb.aio_sigevent.sigev_value.sival_ptr = &cb;
	XT_ASSERT_OK(aio_read(&cb));
	/*
	 * Waiting inside the library: whichever way the read completes (in
	 * aio_read, reaped here from the ring, or on a worker while this
	 * thread sleeps in aio_suspend), the handler interrupts the library.
	 */
	end = xt_now_ms() + 5000;
	while (aio_error(&cb) == EINPROGRESS && xt_now_ms() < end)
		aio_suspend(list, 1, &ts);
	while (atomic_load(&handler_ret) == -2 && xt_now_ms() < end)
		xt_sleep_ms(1);
	XT_ASSERT_EQ(atomic_load(&handler_ret), 300);
	got = &cb;
	XT_ASSERT_ERRNO(aio_waitcomplete(&got, &poll), EAGAIN);
	XT_ASSERT(got == NULL);
	sigaction(SIGRTMIN + 1, &old, NULL);
	close(fd);
	return XT_PASS;
}

static struct aiocb late_cb;
static char late_buf[4096];

static void *submit_late(void *arg)
{
	xt_sleep_ms(100);
	memset(&late_cb, 0, sizeof(late_cb));
	late_cb.aio_fildes = *(int *)arg;
	late_cb.aio_buf = late_buf;
	late_cb.aio_nbytes = sizeof(late_buf);
	late_cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	return (void *)(intptr_t)aio_write(&late_cb);
}

/*
 * A thread already waiting when nothing is in flight must get a request
 * another thread submits later, which takes no notification and so has
 * nothing else to see it through (on io_uring, the waiter must learn that
 * the ring went busy, or the completion sits unreaped).
 */
static int later_submission(struct timespec ts)
{
	struct aiocb *got = NULL;
	void *sub_ret;
	pthread_t t;
	int64_t t0;
	ssize_t r;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("wl", 0, 0);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_EQ(pthread_create(&t, NULL, submit_late, &fd), 0);
	t0 = xt_now_ms();
	r = aio_waitcomplete(&got, &ts);
	XT_ASSERT_EQ(pthread_join(t, &sub_ret), 0);
	XT_ASSERT_EQ((intptr_t)sub_ret, 0);
	XT_ASSERT_EQ(r, (ssize_t)sizeof(late_buf));
	XT_ASSERT(got == &late_cb);
	XT_ASSERT_LT(xt_now_ms() - t0, 2500);
	close(fd);
	return XT_PASS;
}

static int waitcomplete_later_submission(void)
{
	return later_submission((struct timespec){3, 0});
}

/* The same with the largest timeout there is (no overflow: UBSan). */
static int waitcomplete_huge_timeout(void)
{
	return later_submission((struct timespec){LONG_MAX, 999999999});
}

/*
 * Vectored requests on a socket with an offset that is not zero: ignored,
 * as for aio_read (on 58309d6 the ring answered ESPIPE).
 */
static int vectored_stream_offset(void)
{
	static char a[3], b[5], out[8];
	struct iovec rv[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
	struct iovec wv[2] = {{"ve", 2}, {"ctor", 4}};
	struct aiocb cb;
	int sv[2];

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	XT_ASSERT_EQ(write(sv[1], "abcdefgh", 8), 8);
	set_cb(&cb, sv[0], rv, 2, 4096);
	XT_ASSERT_OK(aio_readv(&cb));
	XT_ASSERT_OK(wait_one(&cb));
	XT_ASSERT_EQ(aio_error(&cb), 0);
	XT_ASSERT_EQ(aio_return(&cb), 8);
	XT_ASSERT_MEM_EQ(a, "abc", 3);
	XT_ASSERT_MEM_EQ(b, "defgh", 5);
	set_cb(&cb, sv[0], wv, 2, 1 << 20);
	XT_ASSERT_OK(aio_writev(&cb));
	XT_ASSERT_OK(wait_one(&cb));
	XT_ASSERT_EQ(aio_error(&cb), 0);
	XT_ASSERT_EQ(aio_return(&cb), 6);
	XT_ASSERT_EQ(read(sv[1], out, 6), 6);
	XT_ASSERT_MEM_EQ(out, "vector", 6);
	close(sv[0]);
	close(sv[1]);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"readv_scatters", readv_scatters},
	{"writev_gathers", writev_gathers},
	{"listio_vectored", listio_vectored},
	{"iovcnt_too_big", iovcnt_too_big},
	{"vectored_stream_offset", vectored_stream_offset},
	{"waitcomplete_each_once", waitcomplete_each_once},
	{"waitcomplete_many_threads", waitcomplete_many_threads},
	{"waitcomplete_copy_collects_nothing",
	 waitcomplete_copy_collects_nothing},
	{"waitcomplete_error_and_timeout", waitcomplete_error_and_timeout},
	{"waitcomplete_return_in_handler", waitcomplete_return_in_handler},
	{"waitcomplete_later_submission", waitcomplete_later_submission},
	{"waitcomplete_huge_timeout", waitcomplete_huge_timeout},
};

XT_MAIN(cases)
