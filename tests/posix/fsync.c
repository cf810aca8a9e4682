// SPDX-License-Identifier: MIT
/*
 * aio_fsync(): the op and fd checks (and their order), success on regular
 * and read-only files, the asynchronous EINVAL of unsyncable fds, and
 * ordering: an fsync completes only after every earlier request on its fd
 * (whatever that request's aio_reqprio), but waits neither for requests on
 * other fds nor for requests submitted after it.  Blocked pipe reads serve
 * as "earlier requests" whose completion the test controls.
 */
#include <aio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "xtest.h"
#include "xaio-test.h"

/*
 * Polls until fsync leaves EINPROGRESS (up to ms).  At the first moment it
 * is seen complete, every one of the n earlier requests must be complete.
 */
static int fsync_after(struct aiocb *fs, struct aiocb **earlier, int n, int ms)
{
	int64_t end = xt_now_ms() + ms;

	while (aio_error(fs) == EINPROGRESS && xt_now_ms() < end)
		xt_sleep_ms(1);
	if (aio_error(fs) == EINPROGRESS) {
		fprintf(stderr, "fsync still in progress after %d ms\n", ms);
		return XT_FAIL;
	}
	for (int i = 0; i < n; i++)
		if (aio_error(earlier[i]) == EINPROGRESS) {
			fprintf(stderr,
				"fsync completed before earlier request %d\n",
				i);
			return XT_FAIL;
		}
	return XT_PASS;
}

static int t_bad_op(void)
{
	static const int ops[] = {0, O_RDWR, O_SYNC | O_APPEND, O_WRONLY,
				  O_DSYNC | O_RDWR};
	struct aiocb cb;
	int fd, fds[3];

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("badop", 100, 0);
	XT_ASSERT_GE(fd, 0);
	fds[0] = fd;
	fds[1] = -1;
	fds[2] = xt_closed_fd();
	XT_ASSERT_GE(fds[2], 0);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		for (int j = 0; j < 3; j++) {
			xt_cb_set(&cb, fds[j], NULL, 0, 0);
			/* EINVAL for the op, even before EBADF for the fd. */
			XT_ASSERT_ERRNO(aio_fsync(ops[i], &cb), EINVAL);
			XT_ASSERT_NE(aio_error(&cb), EINPROGRESS);
		}
	close(fd);
	return XT_PASS;
}

static int t_bad_fd(void)
{
	static const int ops[] = {O_SYNC, O_DSYNC};
	struct aiocb cb;
	int fds[2];

	XT_REQUIRE_BACKEND();
	fds[0] = -1;
	fds[1] = xt_closed_fd();
	XT_ASSERT_GE(fds[1], 0);
	XT_ASSERT_EQ(fcntl(fds[1], F_GETFD), -1);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			xt_cb_set(&cb, fds[j], NULL, 0, 0);
			XT_ASSERT_ERRNO(aio_fsync(ops[i], &cb), EBADF);
			XT_ASSERT_NE(aio_error(&cb), EINPROGRESS);
		}
	return XT_PASS;
}

static int t_regular(void)
{
	static const int ops[] = {O_SYNC, O_DSYNC};
	static unsigned char buf[8192];
	static struct aiocb wr, fs;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("sync", 0, 0);
	XT_ASSERT_GE(fd, 0);
	for (int i = 0; i < 2; i++) {
		/* A write and, without waiting, an fsync behind it. */
		xt_fill_pattern(buf, sizeof(buf), 0);
		xt_cb_set(&wr, fd, buf, sizeof(buf), 0);
		xt_cb_set(&fs, fd, NULL, 0, 0);
		XT_ASSERT_OK(aio_write(&wr));
		XT_ASSERT_OK(aio_fsync(ops[i], &fs));
		XT_ASSERT_EQ(xt_cb_wait(&fs, 5000), 0);
		XT_ASSERT_EQ(aio_return(&fs), 0);
		XT_ASSERT_EQ(xt_cb_wait(&wr, 5000), 0);
		XT_ASSERT_EQ(aio_return(&wr), sizeof(buf));

		/* And one on its own. */
		xt_cb_set(&fs, fd, NULL, 0, 0);
		XT_ASSERT_OK(aio_fsync(ops[i], &fs));
		XT_ASSERT_EQ(xt_cb_wait(&fs, 5000), 0);
		XT_ASSERT_EQ(aio_return(&fs), 0);
	}
	close(fd);
	return XT_PASS;
}

static int t_pipe_einval(void)
{
	struct aiocb fs;
	int p[2];

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pipe(p));
	for (int i = 0; i < 2; i++) {
		xt_cb_set(&fs, p[i], NULL, 0, 0);
		XT_ASSERT_OK(aio_fsync(i ? O_DSYNC : O_SYNC, &fs));
		XT_ASSERT_EQ(xt_cb_wait(&fs, 5000), EINVAL);
		XT_ASSERT_EQ(aio_return(&fs), -1);
	}
	close(p[0]);
	close(p[1]);
	return XT_PASS;
}

static int t_rdonly(void)
{
	struct aiocb fs;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("rdonly", 4096, 0);
	XT_ASSERT_GE(fd, 0);
	close(fd);
	fd = open(xt_path("rdonly"), O_RDONLY);
	XT_ASSERT_GE(fd, 0);
	for (int i = 0; i < 2; i++) {
		xt_cb_set(&fs, fd, NULL, 0, 0);
		XT_ASSERT_OK(aio_fsync(i ? O_DSYNC : O_SYNC, &fs));
		XT_ASSERT_EQ(xt_cb_wait(&fs, 5000), 0);
		XT_ASSERT_EQ(aio_return(&fs), 0);
	}
	close(fd);
	return XT_PASS;
}

/* Requests of the ordering cases; static so a failed case stays safe. */
static struct aiocb ord_a, ord_b, ord_fs, ord_other;
static unsigned char ord_abuf[8], ord_bbuf[8];

/* Ends every request of an ordering case: EOF for blocked pipe reads. */
static void ord_cleanup(int p[2])
{
	close(p[1]);
	xt_cb_wait(&ord_a, 2000);
	xt_cb_wait(&ord_b, 2000);
	xt_cb_wait(&ord_fs, 2000);
	xt_cb_wait(&ord_other, 2000);
	close(p[0]);
}

static void ord_reset(void)
{
	memset(&ord_a, 0, sizeof(ord_a));
	memset(&ord_b, 0, sizeof(ord_b));
	memset(&ord_fs, 0, sizeof(ord_fs));
	memset(&ord_other, 0, sizeof(ord_other));
	memset(ord_abuf, 0, sizeof(ord_abuf));
	memset(ord_bbuf, 0, sizeof(ord_bbuf));
}

/* One blocked read, then an fsync on the same fd. */
static int order_read_body(int p[2])
{
	struct aiocb *earlier[1] = {&ord_a};

	xt_cb_set(&ord_a, p[0], ord_abuf, sizeof(ord_abuf), 0);
	XT_ASSERT_OK(aio_read(&ord_a));
	xt_cb_set(&ord_fs, p[0], NULL, 0, 0);
	XT_ASSERT_OK(aio_fsync(O_SYNC, &ord_fs));
	XT_ASSERT_EQ(xt_cb_wait(&ord_fs, 200), EINPROGRESS);
	XT_ASSERT_EQ(aio_error(&ord_a), EINPROGRESS);

	XT_ASSERT_EQ(write(p[1], "AAAAAAAA", 8), 8);
	XT_ASSERT_EQ(fsync_after(&ord_fs, earlier, 1, 2000), XT_PASS);
	XT_ASSERT_EQ(aio_error(&ord_a), 0);
	XT_ASSERT_EQ(aio_return(&ord_a), 8);
	XT_ASSERT_MEM_EQ(ord_abuf, "AAAAAAAA", 8);
	/* A pipe cannot be synced. */
	XT_ASSERT_EQ(aio_error(&ord_fs), EINVAL);
	XT_ASSERT_EQ(aio_return(&ord_fs), -1);
	return XT_PASS;
}

static int t_order_after_read(void)
{
	int p[2], r;

	XT_REQUIRE_BACKEND();
	ord_reset();
	XT_ASSERT_OK(pipe(p));
	r = order_read_body(p);
	ord_cleanup(p);
	return r;
}

/*
 * Two blocked reads with aio_reqprio 5, then an fsync.  glibc gives the
 * fsync the best priority and queues it ahead of the second read (G4).
 */
static int order_prio_body(int p[2])
{
	struct aiocb *earlier[2] = {&ord_a, &ord_b};
	struct aiocb *first, *second;

	xt_cb_set(&ord_a, p[0], ord_abuf, sizeof(ord_abuf), 0);
	ord_a.aio_reqprio = 5;
	XT_ASSERT_OK(aio_read(&ord_a));
	xt_cb_set(&ord_b, p[0], ord_bbuf, sizeof(ord_bbuf), 0);
	ord_b.aio_reqprio = 5;
	XT_ASSERT_OK(aio_read(&ord_b));
	xt_cb_set(&ord_fs, p[0], NULL, 0, 0);
	XT_ASSERT_OK(aio_fsync(O_SYNC, &ord_fs));
	XT_ASSERT_EQ(xt_cb_wait(&ord_fs, 200), EINPROGRESS);

	/* Data for one read: whichever gets it, the other still blocks. */
	XT_ASSERT_EQ(write(p[1], "AAAAAAAA", 8), 8);
	{
		int64_t end = xt_now_ms() + 2000;

		while (aio_error(&ord_a) == EINPROGRESS &&
		       aio_error(&ord_b) == EINPROGRESS && xt_now_ms() < end)
			xt_sleep_ms(1);
	}
	if (aio_error(&ord_a) != EINPROGRESS) {
		first = &ord_a;
		second = &ord_b;
	} else {
		first = &ord_b;
		second = &ord_a;
	}
	XT_ASSERT_EQ(aio_error(first), 0);
	XT_ASSERT_EQ(aio_return(first), 8);
	XT_ASSERT_MEM_EQ((void *)first->aio_buf, "AAAAAAAA", 8);
	XT_ASSERT_EQ(xt_cb_wait(&ord_fs, 200), EINPROGRESS);
	XT_ASSERT_EQ(aio_error(second), EINPROGRESS);

	XT_ASSERT_EQ(write(p[1], "BBBBBBBB", 8), 8);
	XT_ASSERT_EQ(fsync_after(&ord_fs, earlier, 2, 2000), XT_PASS);
	XT_ASSERT_EQ(aio_error(second), 0);
	XT_ASSERT_EQ(aio_return(second), 8);
	XT_ASSERT_MEM_EQ((void *)second->aio_buf, "BBBBBBBB", 8);
	XT_ASSERT_EQ(aio_error(&ord_fs), EINVAL);
	XT_ASSERT_EQ(aio_return(&ord_fs), -1);
	return XT_PASS;
}

static int t_order_after_prio(void)
{
	int p[2], r;

	XT_REQUIRE_BACKEND();
	ord_reset();
	XT_ASSERT_OK(pipe(p));
	r = order_prio_body(p);
	ord_cleanup(p);
	return r;
}

/* A blocked read on a pipe does not hold up an fsync of a regular file. */
static int other_fd_body(int p[2], int fd)
{
	xt_cb_set(&ord_a, p[0], ord_abuf, sizeof(ord_abuf), 0);
	XT_ASSERT_OK(aio_read(&ord_a));
	xt_cb_set(&ord_other, fd, NULL, 0, 0);
	XT_ASSERT_OK(aio_fsync(O_SYNC, &ord_other));
	XT_ASSERT_EQ(xt_cb_wait(&ord_other, 2000), 0);
	XT_ASSERT_EQ(aio_return(&ord_other), 0);
	XT_ASSERT_EQ(aio_error(&ord_a), EINPROGRESS);

	XT_ASSERT_EQ(write(p[1], "AAAAAAAA", 8), 8);
	XT_ASSERT_EQ(xt_cb_wait(&ord_a, 2000), 0);
	XT_ASSERT_EQ(aio_return(&ord_a), 8);
	return XT_PASS;
}

static int t_other_fd(void)
{
	int p[2], fd, r;

	XT_REQUIRE_BACKEND();
	ord_reset();
	fd = xt_make_file("other", 4096, 0);
	XT_ASSERT_GE(fd, 0);
	if (pipe(p)) {
		close(fd);
		return XT_FAIL;
	}
	r = other_fd_body(p, fd);
	ord_cleanup(p);
	close(fd);
	return r;
}

/* An fsync does not wait for a request submitted after it. */
static int later_body(int p[2])
{
	xt_cb_set(&ord_fs, p[0], NULL, 0, 0);
	XT_ASSERT_OK(aio_fsync(O_SYNC, &ord_fs));
	xt_cb_set(&ord_a, p[0], ord_abuf, sizeof(ord_abuf), 0);
	XT_ASSERT_OK(aio_read(&ord_a));
	XT_ASSERT_EQ(xt_cb_wait(&ord_fs, 2000), EINVAL);
	XT_ASSERT_EQ(aio_return(&ord_fs), -1);
	XT_ASSERT_EQ(aio_error(&ord_a), EINPROGRESS);

	XT_ASSERT_EQ(write(p[1], "AAAAAAAA", 8), 8);
	XT_ASSERT_EQ(xt_cb_wait(&ord_a, 2000), 0);
	XT_ASSERT_EQ(aio_return(&ord_a), 8);
	return XT_PASS;
}

static int t_later_not_waited(void)
{
	int p[2], r;

	XT_REQUIRE_BACKEND();
	ord_reset();
	XT_ASSERT_OK(pipe(p));
	r = later_body(p);
	ord_cleanup(p);
	return r;
}

static struct xt_case cases[] = {
	{"bad_op", t_bad_op},
	{"bad_fd", t_bad_fd},
	{"regular", t_regular},
	{"pipe_einval", t_pipe_einval},
	{"rdonly", t_rdonly},
	{"order_after_read", t_order_after_read},
	{"order_after_prio", t_order_after_prio},
	{"other_fd", t_other_fd},
	{"later_not_waited", t_later_not_waited},
};

XT_MAIN(cases)
