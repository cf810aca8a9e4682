// SPDX-License-Identifier: MIT
/*
 * close() of an fd with requests still pending.  A request keeps operating
 * on the file it was submitted for, "as if the close() had not yet
 * occurred", even when the fd number is reused at once for another file
 * (glibc's queued requests run on whatever owns the number then: G14).
 * The library must not leak fds: once everything is complete, the process
 * has exactly the fds the test itself holds.
 */
#include <aio.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "xtest.h"
#include "xaio-test.h"

/*
 * One completed request, so that whatever the library sets up once (ring,
 * threads, eventfds) exists before a case counts fds.
 */
static int warm_up(void)
{
	unsigned char b;
	struct aiocb cb;
	int fd = xt_make_file("warm", 1, 0), e;

	if (fd < 0)
		return -1;
	xt_cb_set(&cb, fd, &b, 1, 0);
	if (aio_read(&cb)) {
		close(fd);
		return -1;
	}
	e = xt_cb_wait(&cb, 5000);
	close(fd);
	return e == 0 && aio_return(&cb) == 1 ? 0 : -1;
}

/* Waits up to ms for the fd count to come back to want; returns it. */
static int fds_settle(int want, int ms)
{
	int64_t end = xt_now_ms() + ms;
	int n;

	while ((n = xt_count_fds()) != want && xt_now_ms() < end)
		xt_sleep_ms(1);
	return n;
}

static off_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : st.st_size;
}

/*
 * Reads rfd until EOF or ms pass, keeping at most cap bytes in out (NULL:
 * discard).  Returns the byte count; *eof says whether EOF was seen.
 */
static size_t read_to_eof(int rfd, unsigned char *out, size_t cap, int ms,
			  int *eof)
{
	int64_t end = xt_now_ms() + ms;
	unsigned char tmp[4096];
	size_t got = 0;

	*eof = 0;
	while (xt_now_ms() < end) {
		struct pollfd pfd = {.fd = rfd, .events = POLLIN};
		ssize_t r;

		if (poll(&pfd, 1, 10) <= 0)
			continue;
		r = read(rfd, tmp, sizeof(tmp));
		if (r == 0) {
			*eof = 1;
			break;
		}
		if (r < 0)
			break;
		if (out && got < cap)
			memcpy(out + got, tmp,
			       (size_t)r < cap - got ? (size_t)r : cap - got);
		got += (size_t)r;
	}
	return got;
}

/* Requests of the cases; static so a failed case stays safe. */
enum { WLEN = 1000, NPIPE = 8 };
static struct aiocb rd_cb, wr_a, wr_b;
static unsigned char rd_buf[64], a_buf[WLEN], b_buf[WLEN];

/*
 * A read pending on a pipe; the read end is closed and its number reused
 * by a regular file.  The data written into the pipe reaches the request.
 */
static int pending_read_body(int p[2], int *file)
{
	int old;

	xt_cb_set(&rd_cb, p[0], rd_buf, sizeof(rd_buf), 0);
	XT_ASSERT_OK(aio_read(&rd_cb));
	XT_ASSERT_EQ(xt_cb_wait(&rd_cb, 50), EINPROGRESS);
	old = p[0];
	XT_ASSERT_OK(close(p[0]));
	p[0] = -1;
	*file = open(xt_path("reuse-read"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	XT_ASSERT_EQ(*file, old);
	XT_ASSERT_EQ(aio_error(&rd_cb), EINPROGRESS);

	XT_ASSERT_EQ(write(p[1], "pipe data", 9), 9);
	XT_ASSERT_EQ(xt_cb_wait(&rd_cb, 2000), 0);
	XT_ASSERT_EQ(aio_return(&rd_cb), 9);
	XT_ASSERT_MEM_EQ(rd_buf, "pipe data", 9);
	XT_ASSERT_EQ(file_size(*file), 0);
	XT_ASSERT_EQ(lseek(*file, 0, SEEK_CUR), 0);
	return XT_PASS;
}

static int t_pending_read(void)
{
	int p[2], file = -1, before, r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(warm_up());
	before = xt_count_fds();
	XT_ASSERT_OK(pipe(p));
	r = pending_read_body(p, &file);
	close(p[1]); /* EOF for the read if it still waits. */
	xt_cb_wait(&rd_cb, 2000);
	if (p[0] >= 0)
		close(p[0]);
	if (file >= 0)
		close(file);
	XT_ASSERT_EQ(fds_settle(before, 2500), before);
	return r;
}

/*
 * A full pipe, write A blocked on it and write B queued behind A; the write
 * end is closed and its number reused by a regular file.  Draining the pipe
 * gets both A's and B's data, then EOF (the library let go of the pipe);
 * the file gets nothing.
 */
static int queued_write_body(int p[2], int *file)
{
	static unsigned char got[128 * 1024];
	ssize_t filled;
	size_t n;
	int old, eof;

	filled = xt_fill_pipe(p[1]);
	XT_ASSERT_GT(filled, 0);
	memset(a_buf, 'A', WLEN);
	memset(b_buf, 'B', WLEN);
	xt_cb_set(&wr_a, p[1], a_buf, WLEN, 0);
	xt_cb_set(&wr_b, p[1], b_buf, WLEN, 0);
	XT_ASSERT_OK(aio_write(&wr_a));
	XT_ASSERT_OK(aio_write(&wr_b));
	XT_ASSERT_EQ(xt_cb_wait(&wr_a, 50), EINPROGRESS);
	XT_ASSERT_EQ(aio_error(&wr_b), EINPROGRESS);

	old = p[1];
	XT_ASSERT_OK(close(p[1]));
	p[1] = -1;
	*file = open(xt_path("reuse-write"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	XT_ASSERT_EQ(*file, old);

	n = read_to_eof(p[0], got, sizeof(got), 3000, &eof);
	XT_ASSERT_EQ(xt_cb_wait(&wr_a, 1000), 0);
	XT_ASSERT_EQ(aio_return(&wr_a), WLEN);
	XT_ASSERT_EQ(xt_cb_wait(&wr_b, 1000), 0);
	XT_ASSERT_EQ(aio_return(&wr_b), WLEN);
	XT_ASSERT_EQ(file_size(*file), 0);
	XT_ASSERT_EQ(n, filled + 2 * WLEN);
	for (ssize_t i = 0; i < filled; i++)
		XT_ASSERT_EQ(got[i], 'f');
	XT_ASSERT_MEM_EQ(got + filled, a_buf, WLEN);
	XT_ASSERT_MEM_EQ(got + filled + WLEN, b_buf, WLEN);
	XT_ASSERT(eof);
	return XT_PASS;
}

static int t_queued_write(void)
{
	int p[2], file = -1, before, r, eof;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(warm_up());
	before = xt_count_fds();
	memset(&wr_a, 0, sizeof(wr_a));
	memset(&wr_b, 0, sizeof(wr_b));
	XT_ASSERT_OK(pipe(p));
	r = queued_write_body(p, &file);
	/* Drain whatever a failed case left, until the writes are done. */
	if (p[1] >= 0)
		close(p[1]);
	read_to_eof(p[0], NULL, 0, 3000, &eof);
	xt_cb_wait(&wr_a, 1000);
	xt_cb_wait(&wr_b, 1000);
	close(p[0]);
	if (file >= 0)
		close(file);
	XT_ASSERT_EQ(fds_settle(before, 2500), before);
	return r;
}

/*
 * Many pipes, each with a write in progress and one queued, plus reads of
 * a regular file.  Once everything has completed and the test has closed
 * its fds, the pipes see EOF and the fd count is what it was before: the
 * library holds on to no fd it may have taken for the requests.
 */
static struct aiocb many_cbs[NPIPE][3];
static unsigned char many_buf[NPIPE][3][WLEN];

static int no_leak_body(int p[NPIPE][2], int fd)
{
	ssize_t filled[NPIPE];
	int eof;

	for (int i = 0; i < NPIPE; i++) {
		filled[i] = xt_fill_pipe(p[i][1]);
		XT_ASSERT_GT(filled[i], 0);
		for (int j = 0; j < 2; j++) {
			memset(many_buf[i][j], 'a' + j, WLEN);
			xt_cb_set(&many_cbs[i][j], p[i][1], many_buf[i][j],
				  WLEN, 0);
			XT_ASSERT_OK(aio_write(&many_cbs[i][j]));
		}
		xt_cb_set(&many_cbs[i][2], fd, many_buf[i][2], WLEN,
			  (off_t)i * WLEN);
		XT_ASSERT_OK(aio_read(&many_cbs[i][2]));
	}
	for (int i = 0; i < NPIPE; i++) {
		XT_ASSERT_EQ(xt_cb_wait(&many_cbs[i][2], 2000), 0);
		XT_ASSERT_EQ(aio_return(&many_cbs[i][2]), WLEN);
	}
	/* Drain each pipe of exactly what was written into it. */
	for (int i = 0; i < NPIPE; i++) {
		size_t want = (size_t)filled[i] + 2 * WLEN, got = 0;
		int64_t end = xt_now_ms() + 3000;
		unsigned char tmp[4096];

		while (got < want && xt_now_ms() < end) {
			struct pollfd pfd = {.fd = p[i][0], .events = POLLIN};
			size_t k = want - got < sizeof(tmp) ? want - got
							    : sizeof(tmp);
			ssize_t n;

			if (poll(&pfd, 1, 10) <= 0)
				continue;
			n = read(p[i][0], tmp, k);
			XT_ASSERT_GT(n, 0);
			got += (size_t)n;
		}
		XT_ASSERT_EQ(got, want);
		for (int j = 0; j < 2; j++) {
			XT_ASSERT_EQ(xt_cb_wait(&many_cbs[i][j], 1000), 0);
			XT_ASSERT_EQ(aio_return(&many_cbs[i][j]), WLEN);
		}
	}
	/* All done: with our write ends closed, EOF at once. */
	for (int i = 0; i < NPIPE; i++) {
		close(p[i][1]);
		p[i][1] = -1;
	}
	for (int i = 0; i < NPIPE; i++) {
		XT_ASSERT_EQ(read_to_eof(p[i][0], NULL, 0, 1000, &eof), 0);
		XT_ASSERT(eof);
	}
	return XT_PASS;
}

static int t_no_fd_leak(void)
{
	int p[NPIPE][2], fd, before, r, eof;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(warm_up());
	before = xt_count_fds();
	memset(many_cbs, 0, sizeof(many_cbs));
	fd = xt_make_file("leak", NPIPE * WLEN, 0);
	XT_ASSERT_GE(fd, 0);
	for (int i = 0; i < NPIPE; i++)
		if (pipe(p[i])) {
			while (i--) {
				close(p[i][0]);
				close(p[i][1]);
			}
			close(fd);
			return XT_FAIL;
		}
	r = no_leak_body(p, fd);
	for (int i = 0; i < NPIPE; i++) {
		if (p[i][1] >= 0)
			close(p[i][1]);
		read_to_eof(p[i][0], NULL, 0, 1000, &eof);
		for (int j = 0; j < 3; j++)
			xt_cb_wait(&many_cbs[i][j], 1000);
		close(p[i][0]);
	}
	close(fd);
	XT_ASSERT_EQ(fds_settle(before, 2500), before);
	return r;
}

static struct xt_case cases[] = {
	{"pending_read", t_pending_read},
	{"queued_write", t_queued_write},
	{"no_fd_leak", t_no_fd_leak},
};

XT_MAIN(cases)
