// SPDX-License-Identifier: MIT
/*
 * The engine's own descriptors (ring, eventfd, private duplicates): they
 * never take the low number a program has just closed, a request on one of
 * them fails with EBADF, and a program that closes them (close_range) or
 * dup2()s onto them neither hangs xaio nor has its own file touched.
 */
#include <aio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "xtest.h"
#include "xaio-test.h"

static atomic_int signals;

static void on_usr2(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals, 1);
}

/*
 * In a child, so that the engine starts there: the ring is made at the
 * first call, which is a request on a number just closed.  On 58309d6 the
 * ring took that number and the request stayed in progress for ever.
 */
static int closed_number_child(void)
{
	static struct aiocb cb;
	static char buf[16];
	struct sigaction sa = {.sa_handler = on_usr2};
	int fd = open("/dev/null", O_RDONLY);

	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_OK(close(fd));
	XT_ASSERT_OK(sigaction(SIGUSR2, &sa, NULL));
	xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
	cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb.aio_sigevent.sigev_signo = SIGUSR2;
	if (aio_read(&cb)) { /* refusing at once is right too */
		XT_ASSERT_EQ(errno, EBADF);
		return XT_PASS;
	}
	XT_ASSERT_EQ(xt_cb_wait(&cb, 3000), EBADF);
	XT_ASSERT_EQ(aio_return(&cb), -1);
	XT_ASSERT_EQ(xt_wait_count(&signals, 1, 3000), 1);
	return XT_PASS;
}

static int t_closed_number(void)
{
	XT_REQUIRE_BACKEND();
	return xt_run_child(closed_number_child, 10000);
}

/* Every descriptor of the engine's: high, and refused as a request's. */
static int check_internal(int n)
{
	static struct aiocb cb;
	static char buf[16];

	XT_ASSERT_GE(n, 64);
	xt_cb_set(&cb, n, buf, sizeof(buf), 0);
	if (aio_read(&cb) == 0) {
		XT_ASSERT_EQ(xt_cb_wait(&cb, 3000), EBADF);
	} else {
		XT_ASSERT_EQ(errno, EBADF);
	}
	XT_ASSERT_ERRNO(aio_fsync(O_SYNC, &cb), EBADF);
	XT_ASSERT_ERRNO(aio_cancel(n, NULL), EBADF);
	return XT_PASS;
}

/*
 * The ring and its eventfd, and (on the thread pool) the duplicate a
 * blocked pipe read runs on: all far from the low numbers, and none usable
 * as the program's.
 */
static int t_internal_high(void)
{
	static struct aiocb rd;
	static char buf[8];
	struct rlimit rl;
	int fds[8], p[2], n, found = 0;
	char want[64], link[64];
	ssize_t len;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
	XT_SKIP_IF(rl.rlim_cur < 256, "RLIMIT_NOFILE %ld", (long)rl.rlim_cur);
	XT_ASSERT_OK(pipe(p));
	xt_cb_set(&rd, p[0], buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&rd));
	xt_sleep_ms(20); /* on a worker, or in the kernel */
	n = xt_fd_links("io_uring", "[eventfd]", fds, 8);
	for (int i = 0; i < n; i++, found++)
		if (check_internal(fds[i]) != XT_PASS)
			return XT_FAIL;
	/* The pool's duplicate of p[0]: the same pipe at another number. */
	snprintf(want, sizeof(want), "/proc/self/fd/%d", p[0]);
	len = readlink(want, link, sizeof(link) - 1);
	XT_ASSERT_GT(len, 0);
	link[len] = 0;
	n = xt_fd_links(link, NULL, fds, 8);
	for (int i = 0; i < n; i++)
		if (fds[i] != p[0] && fds[i] != p[1]) {
			found++;
			if (check_internal(fds[i]) != XT_PASS)
				return XT_FAIL;
		}
	XT_ASSERT_GT(found, 0);
	XT_ASSERT_EQ(write(p[1], "pipedata", 8), 8);
	XT_ASSERT_EQ(xt_cb_wait(&rd, 3000), 0);
	XT_ASSERT_EQ(aio_return(&rd), 8);
	close(p[0]);
	close(p[1]);
	return XT_PASS;
}

enum { NB = 16, BS = 4096 };
static struct aiocb cbs[NB];
static unsigned char wbuf[NB][BS], rbuf[NB][BS];

/* Writes, fsyncs and reads back NB blocks of fd (the engine started). */
static int round_trip(int fd, uint64_t seed)
{
	struct aiocb *list[NB];

	for (int i = 0; i < NB; i++) {
		xt_fill_pattern(wbuf[i], BS, seed + (uint64_t)i * BS);
		xt_cb_set_op(&cbs[i], LIO_WRITE, fd, wbuf[i], BS,
			     (off_t)i * BS);
		list[i] = &cbs[i];
	}
	XT_ASSERT_OK(aio_write(&cbs[0]));
	XT_ASSERT_EQ(xt_cb_wait(&cbs[0], 3000), 0);
	XT_ASSERT_OK(lio_listio(LIO_WAIT, list + 1, NB - 1, NULL));
	xt_cb_set(&cbs[0], fd, NULL, 0, 0);
	XT_ASSERT_OK(aio_fsync(O_SYNC, &cbs[0]));
	XT_ASSERT_EQ(xt_cb_wait(&cbs[0], 3000), 0);
	for (int i = 0; i < NB; i++) {
		xt_cb_set(&cbs[i], fd, rbuf[i], BS, (off_t)i * BS);
		XT_ASSERT_OK(aio_read(&cbs[i]));
	}
	for (int i = 0; i < NB; i++) {
		XT_ASSERT_EQ(xt_cb_wait(&cbs[i], 3000), 0);
		XT_ASSERT_EQ(aio_return(&cbs[i]), BS);
		XT_ASSERT_MEM_EQ(rbuf[i], wbuf[i], BS);
	}
	return XT_PASS;
}

/* close_range(3, ~0) as before exec, then I/O must still work. */
static int closefrom_child(void)
{
	int fd = xt_make_file("before", NB * BS, 0);

	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_EQ(round_trip(fd, 1), XT_PASS);
	XT_ASSERT_OK(syscall(SYS_close_range, 3u, ~0u, 0));
	xt_sleep_ms(20); /* an XAIO_SQPOLL thread (2 ms idle) is asleep now */
	fd = open(xt_path("after"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_EQ(round_trip(fd, 2), XT_PASS);
	XT_ASSERT_EQ(round_trip(fd, 3), XT_PASS);
	return XT_PASS;
}

static int t_closefrom(void)
{
	XT_REQUIRE_BACKEND();
	return xt_run_child(closefrom_child, 20000);
}

static void *late_writer(void *arg)
{
	int wfd = *(int *)arg;

	xt_sleep_ms(100);
	XT_CHECK(write(wfd, "late", 4) == 4);
	return NULL;
}

/*
 * dup2() of the program's file onto the ring's and the eventfd's numbers,
 * with a read in the kernel: I/O goes on, and the program's file is never
 * read, written or moved (on 58309d6 the waiting leader read 8 bytes of it
 * and wake-ups wrote 8 bytes into it).
 */
static int dup2_child(void)
{
	static struct aiocb rd;
	static char buf[8], back[128];
	int fds[4], p[2], n, victim, fd;
	pthread_t t;

	fd = xt_make_file("data", NB * BS, 0);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_EQ(round_trip(fd, 4), XT_PASS);
	XT_ASSERT_OK(pipe(p));
	xt_cb_set(&rd, p[0], buf, 4, 0);
	XT_ASSERT_OK(aio_read(&rd));
	n = xt_fd_links("io_uring", "[eventfd]", fds, 4);
	XT_SKIP_IF(n <= 0, "no engine descriptors (thread pool)");
	victim = xt_make_file("victim", 64, 0);
	XT_ASSERT_GE(victim, 0);
	for (int i = 0; i < n; i++)
		XT_ASSERT_EQ(dup2(victim, fds[i]), fds[i]);
	XT_ASSERT_OK(xt_start_thread(&t, late_writer, &p[1]));
	XT_ASSERT_EQ(xt_cb_wait(&rd, 3000), 0);
	XT_ASSERT_OK(pthread_join(t, NULL));
	XT_ASSERT_EQ(aio_return(&rd), 4);
	XT_ASSERT_MEM_EQ(buf, "late", 4);
	XT_ASSERT_EQ(round_trip(fd, 5), XT_PASS);
	XT_ASSERT_EQ(round_trip(fd, 6), XT_PASS);
	XT_ASSERT_EQ(lseek(victim, 0, SEEK_CUR), 0);
	XT_ASSERT_EQ(pread(victim, back, sizeof(back), 0), 64);
	for (int i = 0; i < 64; i++)
		XT_ASSERT_EQ((unsigned char)back[i], xt_pattern((uint64_t)i));
	return XT_PASS;
}

static int t_dup2_onto_engine(void)
{
	XT_REQUIRE_BACKEND();
	return xt_run_child(dup2_child, 20000);
}

static const struct xt_case cases[] = {
	{"closed_number", t_closed_number},
	{"internal_high", t_internal_high},
	{"closefrom", t_closefrom},
	{"dup2_onto_engine", t_dup2_onto_engine},
};

XT_MAIN(cases)
