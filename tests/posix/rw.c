// SPDX-License-Identifier: MIT
/*
 * aio_read() and aio_write() basics: data integrity on regular files, EOF and
 * short transfers, the argument errors (negative offset, bad fd, wrong
 * direction, aio_reqprio out of range) and how they are reported, O_APPEND
 * and pipe write ordering (also of writes larger than the pipe, which must
 * complete whole), independence of reads and writes on one socket,
 * many requests in flight on one fd, huge aio_nbytes, O_NONBLOCK pipes
 * (EAGAIN) and stream descriptors with an aio_offset (ignored).
 */
#include <aio.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "xtest.h"
#include "xaio-test.h"

/* Waits up to ms for all of cbs; returns 1 if none is still in progress. */
static int wait_all(struct aiocb *cbs, int n, int ms)
{
	int64_t end = xt_now_ms() + ms;

	for (int i = 0; i < n; i++) {
		int64_t left = end - xt_now_ms();

		if (xt_cb_wait(&cbs[i], left > 0 ? (int)left : 0) ==
		    EINPROGRESS)
			return 0;
	}
	return 1;
}

static int t_read_full(void)
{
	enum { LEN = 256 * 1024 + 123 };
	static unsigned char buf[LEN + 16];
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("full", LEN, 0);
	XT_ASSERT_GE(fd, 0);
	memset(buf, 0xa5, sizeof(buf));
	xt_cb_set(&cb, fd, buf, LEN + 16, 0);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), LEN);
	for (size_t i = 0; i < LEN; i++)
		if (buf[i] != xt_pattern(i)) {
			fprintf(stderr, "byte %zu: %#x, want %#x\n", i, buf[i],
				xt_pattern(i));
			close(fd);
			return XT_FAIL;
		}
	for (size_t i = LEN; i < sizeof(buf); i++)
		XT_ASSERT_EQ(buf[i], 0xa5);
	close(fd);
	return XT_PASS;
}

static int t_write_read_back(void)
{
	enum { LEN = 64 * 1024 + 7, OFF = 1000 };
	static unsigned char wbuf[LEN], rbuf[LEN], chk[LEN];
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("wr", 0, 0);
	XT_ASSERT_GE(fd, 0);
	xt_fill_pattern(wbuf, LEN, 77);
	xt_cb_set(&cb, fd, wbuf, LEN, OFF);
	XT_ASSERT_OK(aio_write(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), LEN);

	/* The file itself, read synchronously. */
	XT_ASSERT_EQ(pread(fd, chk, LEN, OFF), LEN);
	XT_ASSERT_MEM_EQ(chk, wbuf, LEN);
	XT_ASSERT_EQ(lseek(fd, 0, SEEK_END), OFF + LEN);

	/* And back through aio_read. */
	xt_cb_set(&cb, fd, rbuf, LEN, OFF);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), LEN);
	XT_ASSERT_MEM_EQ(rbuf, wbuf, LEN);
	close(fd);
	return XT_PASS;
}

static int t_read_at_eof(void)
{
	unsigned char buf[64];
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("eof", 1000, 0);
	XT_ASSERT_GE(fd, 0);
	memset(buf, 0x5a, sizeof(buf));
	xt_cb_set(&cb, fd, buf, sizeof(buf), 1000);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), 0);

	/* Well past EOF too. */
	xt_cb_set(&cb, fd, buf, sizeof(buf), 1 << 20);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		XT_ASSERT_EQ(buf[i], 0x5a);
	close(fd);
	return XT_PASS;
}

static int t_read_spans_eof(void)
{
	unsigned char buf[500];
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("span", 1000, 0);
	XT_ASSERT_GE(fd, 0);
	memset(buf, 0x5a, sizeof(buf));
	xt_cb_set(&cb, fd, buf, sizeof(buf), 800);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), 200);
	for (size_t i = 0; i < 200; i++)
		XT_ASSERT_EQ(buf[i], xt_pattern(800 + i));
	for (size_t i = 200; i < sizeof(buf); i++)
		XT_ASSERT_EQ(buf[i], 0x5a);
	close(fd);
	return XT_PASS;
}

static int t_nbytes_zero(void)
{
	unsigned char buf[16];
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("zero", 100, 0);
	XT_ASSERT_GE(fd, 0);
	memset(buf, 0x5a, sizeof(buf));
	xt_cb_set(&cb, fd, buf, 0, 0);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), 0);
	XT_ASSERT_EQ(buf[0], 0x5a);

	xt_cb_set(&cb, fd, buf, 0, 500);
	XT_ASSERT_OK(aio_write(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), 0);
	XT_ASSERT_EQ(lseek(fd, 0, SEEK_END), 100);
	close(fd);
	return XT_PASS;
}

/*
 * A negative offset fails with EINVAL in the error status.  io_uring would
 * take -1 as "the file position": the position must not move and no data
 * may be transferred.
 */
static int t_negative_offset(void)
{
	unsigned char buf[4], orig[16], now[16];
	static const off_t offs[] = {-1, -2, -4096};
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("neg", 16, 0);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_EQ(pread(fd, orig, 16, 0), 16);
	XT_ASSERT_EQ(lseek(fd, 2, SEEK_SET), 2);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		memset(buf, 0x5a, sizeof(buf));
		xt_cb_set(&cb, fd, buf, sizeof(buf), offs[i]);
		XT_ASSERT_OK(aio_read(&cb));
		XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), EINVAL);
		XT_ASSERT_EQ(aio_return(&cb), -1);
		XT_ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 2);
		for (size_t j = 0; j < sizeof(buf); j++)
			XT_ASSERT_EQ(buf[j], 0x5a);

		memset(buf, 0xee, sizeof(buf));
		xt_cb_set(&cb, fd, buf, sizeof(buf), offs[i]);
		XT_ASSERT_OK(aio_write(&cb));
		XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), EINVAL);
		XT_ASSERT_EQ(aio_return(&cb), -1);
		XT_ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 2);
		XT_ASSERT_EQ(pread(fd, now, 16, 0), 16);
		XT_ASSERT_MEM_EQ(now, orig, 16);
		XT_ASSERT_EQ(lseek(fd, 0, SEEK_END), 16);
		XT_ASSERT_EQ(lseek(fd, 2, SEEK_SET), 2);
	}
	close(fd);
	return XT_PASS;
}

/* A bad fd is reported asynchronously: submit succeeds, status EBADF. */
static int t_bad_fd(void)
{
	unsigned char buf[16];
	struct aiocb cb;
	int fds[2];

	XT_REQUIRE_BACKEND();
	fds[0] = -1;
	fds[1] = xt_closed_fd();
	XT_ASSERT_GE(fds[1], 0);
	XT_ASSERT_EQ(fcntl(fds[1], F_GETFD), -1);
	for (int i = 0; i < 2; i++) {
		xt_cb_set(&cb, fds[i], buf, sizeof(buf), 0);
		XT_ASSERT_OK(aio_read(&cb));
		XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), EBADF);
		XT_ASSERT_EQ(aio_return(&cb), -1);

		xt_cb_set(&cb, fds[i], buf, sizeof(buf), 0);
		XT_ASSERT_OK(aio_write(&cb));
		XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), EBADF);
		XT_ASSERT_EQ(aio_return(&cb), -1);
	}
	return XT_PASS;
}

static int t_write_rdonly(void)
{
	unsigned char buf[16] = "not to be seen";
	struct aiocb cb;
	int fd, ro;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("ro", 100, 0);
	XT_ASSERT_GE(fd, 0);
	close(fd);
	ro = open(xt_path("ro"), O_RDONLY);
	XT_ASSERT_GE(ro, 0);
	xt_cb_set(&cb, ro, buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_write(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), EBADF);
	XT_ASSERT_EQ(aio_return(&cb), -1);
	XT_ASSERT_EQ(pread(ro, buf, 1, 0), 1);
	XT_ASSERT_EQ(buf[0], xt_pattern(0));
	close(ro);
	return XT_PASS;
}

/* aio_reqprio outside [0, AIO_PRIO_DELTA_MAX]: sync EINVAL, status set. */
static int t_reqprio(void)
{
	static const int bad[] = {-1, AIO_PRIO_DELTA_MAX + 1};
	unsigned char buf[16];
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(AIO_PRIO_DELTA_MAX, 20);
	fd = xt_make_file("prio", 100, 0);
	XT_ASSERT_GE(fd, 0);
	for (int i = 0; i < 2; i++) {
		memset(buf, 0x5a, sizeof(buf));
		xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
		cb.aio_reqprio = bad[i];
		XT_ASSERT_ERRNO(aio_read(&cb), EINVAL);
		XT_ASSERT_EQ(aio_error(&cb), EINVAL);
		XT_ASSERT_EQ(aio_return(&cb), -1);
		XT_ASSERT_EQ(buf[0], 0x5a);

		xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
		cb.aio_reqprio = bad[i];
		XT_ASSERT_ERRNO(aio_write(&cb), EINVAL);
		XT_ASSERT_EQ(aio_error(&cb), EINVAL);
		XT_ASSERT_EQ(aio_return(&cb), -1);
		XT_ASSERT_EQ(pread(fd, buf, 1, 0), 1);
		XT_ASSERT_EQ(buf[0], xt_pattern(0));
	}
	/* The limits themselves are valid. */
	for (int prio = 0; prio <= AIO_PRIO_DELTA_MAX; prio += 20) {
		xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
		cb.aio_reqprio = prio;
		XT_ASSERT_OK(aio_read(&cb));
		XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
		XT_ASSERT_EQ(aio_return(&cb), sizeof(buf));
	}
	close(fd);
	return XT_PASS;
}

static int t_dev_full(void)
{
	unsigned char buf[100] = {1};
	struct aiocb cb;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = open("/dev/full", O_WRONLY);
	XT_SKIP_IF(fd < 0, "/dev/full: %s", strerror(errno));
	xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_write(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), ENOSPC);
	XT_ASSERT_EQ(aio_return(&cb), -1);
	close(fd);
	return XT_PASS;
}

/*
 * nrec records of reclen bytes written back-to-back at offset 0 to an
 * O_APPEND fd land after the existing head bytes, in submission order.
 */
static int append_order(const char *name, int extra, size_t reclen, size_t head,
			unsigned char *recs)
{
	enum { NREC = 64 };
	static struct aiocb cbs[NREC];
	size_t total = head + NREC * reclen;
	unsigned char *got;
	int fd, rd, r = XT_FAIL;

	fd = xt_make_file(name, head, 0);
	if (fd < 0)
		return XT_FAIL;
	close(fd);
	fd = open(xt_path(name), O_WRONLY | O_APPEND | extra);
	if (fd < 0 && extra) {
		fprintf(stderr, "skip: open O_APPEND|%#x: %s\n", extra,
			strerror(errno));
		return XT_SKIP;
	}
	XT_ASSERT_GE(fd, 0);
	got = malloc(total);
	if (!got) {
		close(fd);
		return XT_FAIL;
	}
	for (int i = 0; i < NREC; i++) {
		unsigned char *rec = recs + (size_t)i * reclen;

		xt_fill_pattern(rec, reclen, 1000003u * (i + 1));
		memcpy(rec, &i, sizeof(i));
		xt_cb_set(&cbs[i], fd, rec, reclen, 0);
	}
	for (int i = 0; i < NREC; i++)
		if (aio_write(&cbs[i])) {
			fprintf(stderr, "aio_write %d: %s\n", i,
				strerror(errno));
			wait_all(cbs, i, 5000);
			goto out;
		}
	if (!wait_all(cbs, NREC, 5000)) {
		fprintf(stderr, "appends did not complete\n");
		goto out;
	}
	for (int i = 0; i < NREC; i++)
		if (aio_error(&cbs[i]) != 0 ||
		    aio_return(&cbs[i]) != (ssize_t)reclen) {
			fprintf(stderr, "append %d: error %d return %zd\n", i,
				aio_error(&cbs[i]), aio_return(&cbs[i]));
			goto out;
		}
	rd = open(xt_path(name), O_RDONLY);
	if (rd < 0)
		goto out;
	if (lseek(rd, 0, SEEK_END) != (off_t)total) {
		fprintf(stderr, "size %jd, want %zu\n",
			(intmax_t)lseek(rd, 0, SEEK_END), total);
		close(rd);
		goto out;
	}
	if (pread(rd, got, total, 0) != (ssize_t)total) {
		close(rd);
		goto out;
	}
	close(rd);
	for (size_t i = 0; i < head; i++)
		if (got[i] != xt_pattern(i)) {
			fprintf(stderr, "head byte %zu overwritten\n", i);
			goto out;
		}
	for (int i = 0; i < NREC; i++) {
		const unsigned char *p = got + head + (size_t)i * reclen;
		int idx;

		memcpy(&idx, p, sizeof(idx));
		if (memcmp(p, recs + (size_t)i * reclen, reclen)) {
			fprintf(stderr,
				"record slot %d holds record %d (or garbage)\n",
				i, idx);
			goto out;
		}
	}
	r = XT_PASS;
out:
	free(got);
	close(fd);
	return r;
}

static int t_append_order(void)
{
	static unsigned char recs[64 * 512];

	XT_REQUIRE_BACKEND();
	return append_order("append", 0, 512, 100, recs);
}

static int t_append_direct_order(void)
{
	unsigned char *recs;
	int fd, r;

	XT_REQUIRE_BACKEND();
	fd = open(xt_path("dprobe"), O_WRONLY | O_CREAT | O_DIRECT, 0644);
	XT_SKIP_IF(fd < 0, "O_DIRECT not supported on %s: %s", xt_tmpdir(),
		   strerror(errno));
	close(fd);
	recs = xt_aligned(4096, 64 * 4096);
	XT_ASSERT(recs);
	r = append_order("append-direct", O_DIRECT, 4096, 4096, recs);
	free(recs);
	return r;
}

/* Pipe writes: reader thread collecting a fixed number of bytes. */
struct reader {
	int fd;
	size_t want, got;
	unsigned char *buf;
	int64_t deadline;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	while (r->got < r->want && xt_now_ms() < r->deadline) {
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(r->fd, r->buf + r->got, r->want - r->got);
		if (n <= 0)
			break;
		r->got += (size_t)n;
	}
	return NULL;
}

/*
 * nrec writes of rec bytes each, submitted at once to a blocking pipe, land
 * whole and in submission order.  Records larger than the pipe (64 KiB)
 * cannot go in one piece: each must still complete with its full count
 * before the next starts, as write(2) on a blocking pipe would.
 */
static int pipe_order(int nrec, size_t rec)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	unsigned char *recs = malloc((size_t)nrec * rec);
	unsigned char *got = calloc((size_t)nrec, rec);
	struct aiocb *cbs = calloc((size_t)nrec, sizeof(*cbs));
	struct reader rd;
	pthread_t th;
	int p[2] = {-1, -1}, r = XT_FAIL, done = 0;

	if (!recs || !got || !cbs || pipe(p) ||
	    sigaction(SIGPIPE, &ign, &old)) {
		fprintf(stderr, "set-up: %s\n", strerror(errno));
		goto free;
	}
	for (int i = 0; i < nrec; i++) {
		xt_fill_pattern(recs + i * rec, rec, 7777u * (i + 1));
		memcpy(recs + i * rec, &i, sizeof(i));
		xt_cb_set(&cbs[i], p[1], recs + i * rec, rec, 0);
	}
	for (; done < nrec; done++)
		if (aio_write(&cbs[done])) {
			fprintf(stderr, "aio_write %d: %s\n", done,
				strerror(errno));
			break;
		}
	rd = (struct reader){.fd = p[0],
			     .want = (size_t)done * rec,
			     .buf = got,
			     .deadline = xt_now_ms() + 5000};
	if (pthread_create(&th, NULL, reader_main, &rd)) {
		close(p[0]); /* Lets the writes fail with EPIPE. */
		p[0] = -1;
		wait_all(cbs, done, 5000);
		goto out;
	}
	if (!wait_all(cbs, done, 5000))
		fprintf(stderr, "pipe writes did not complete\n");
	pthread_join(th, NULL);
	for (int i = 0; i < done; i++) {
		if (aio_error(&cbs[i]) != 0 ||
		    aio_return(&cbs[i]) != (ssize_t)rec) {
			fprintf(stderr, "write %d: error %d return %zd\n", i,
				aio_error(&cbs[i]), aio_return(&cbs[i]));
			goto out;
		}
	}
	if (done != nrec || rd.got != rd.want) {
		fprintf(stderr, "%d submitted, reader got %zu of %zu bytes\n",
			done, rd.got, rd.want);
		goto out;
	}
	for (int i = 0; i < nrec; i++) {
		int idx;

		memcpy(&idx, got + i * rec, sizeof(idx));
		if (memcmp(got + i * rec, recs + i * rec, rec)) {
			fprintf(stderr, "slot %d holds record %d\n", i, idx);
			goto out;
		}
	}
	r = XT_PASS;
out:
	if (p[0] >= 0)
		close(p[0]);
	/* Nothing may still be in flight once the reader end is gone. */
	wait_all(cbs, done, 2000);
	close(p[1]);
	sigaction(SIGPIPE, &old, NULL);
free:
	free(recs);
	free(got);
	free(cbs);
	return r;
}

static int t_pipe_write_order(void)
{
	XT_REQUIRE_BACKEND();
	return pipe_order(32, 4096);
}

static int t_pipe_write_whole(void)
{
	XT_REQUIRE_BACKEND();
	return pipe_order(3, 200000);
}

/*
 * A pending read on a socket must not hold up a write on the same fd
 * (glibc serialises per fd, so there the write waits for the read).
 */
static struct aiocb sock_rd, sock_wr;
static unsigned char sock_rbuf[64], sock_wbuf[100];

static int sock_body(int sv[2])
{
	unsigned char got[sizeof(sock_wbuf)];
	size_t have = 0;
	int64_t end;

	xt_cb_set(&sock_rd, sv[0], sock_rbuf, sizeof(sock_rbuf), 0);
	XT_ASSERT_OK(aio_read(&sock_rd));
	XT_ASSERT_EQ(aio_error(&sock_rd), EINPROGRESS);
	xt_fill_pattern(sock_wbuf, sizeof(sock_wbuf), 4242);
	xt_cb_set(&sock_wr, sv[0], sock_wbuf, sizeof(sock_wbuf), 0);
	XT_ASSERT_OK(aio_write(&sock_wr));
	XT_ASSERT_EQ(xt_cb_wait(&sock_wr, 2000), 0);
	XT_ASSERT_EQ(aio_return(&sock_wr), sizeof(sock_wbuf));
	XT_ASSERT_EQ(aio_error(&sock_rd), EINPROGRESS);

	/* The written bytes are readable at the other end. */
	end = xt_now_ms() + 2000;
	while (have < sizeof(got) && xt_now_ms() < end) {
		struct pollfd pfd = {.fd = sv[1], .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(sv[1], got + have, sizeof(got) - have);
		XT_ASSERT_GT(n, 0);
		have += (size_t)n;
	}
	XT_ASSERT_EQ(have, sizeof(got));
	XT_ASSERT_MEM_EQ(got, sock_wbuf, sizeof(got));
	XT_ASSERT_EQ(aio_error(&sock_rd), EINPROGRESS);

	/* Now the read gets its data. */
	XT_ASSERT_EQ(write(sv[1], "0123456789", 10), 10);
	XT_ASSERT_EQ(xt_cb_wait(&sock_rd, 2000), 0);
	XT_ASSERT_EQ(aio_return(&sock_rd), 10);
	XT_ASSERT_MEM_EQ(sock_rbuf, "0123456789", 10);
	return XT_PASS;
}

static int t_socket_read_write(void)
{
	int sv[2], r;

	XT_REQUIRE_BACKEND();
	memset(&sock_rd, 0, sizeof(sock_rd));
	memset(&sock_wr, 0, sizeof(sock_wr));
	XT_ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	r = sock_body(sv);
	/* Unblock whatever is left: EOF for the read, drain for the write. */
	shutdown(sv[1], SHUT_WR);
	xt_cb_wait(&sock_rd, 2000);
	xt_cb_wait(&sock_wr, 2000);
	close(sv[0]);
	close(sv[1]);
	return r;
}

static int t_many_reads(void)
{
	enum { N = 64, SZ = 4096 };
	static unsigned char bufs[N][SZ];
	static struct aiocb cbs[N];
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("many", N * SZ, 0);
	XT_ASSERT_GE(fd, 0);
	memset(bufs, 0, sizeof(bufs));
	/* Offsets scrambled so that request i reads block (i * 37) % N. */
	for (int i = 0; i < N; i++)
		xt_cb_set(&cbs[i], fd, bufs[i], SZ, (off_t)((i * 37) % N) * SZ);
	/* All N in flight at once, then each one checked. */
	for (int i = 0; i < N; i++)
		XT_ASSERT_OK(aio_read(&cbs[i]));
	for (int i = 0; i < N; i++) {
		off_t off = (off_t)((i * 37) % N) * SZ;

		XT_ASSERT_EQ(xt_cb_wait(&cbs[i], 5000), 0);
		XT_ASSERT_EQ(aio_return(&cbs[i]), SZ);
		for (int j = 0; j < SZ; j++)
			XT_ASSERT_EQ(bufs[i][j], xt_pattern((uint64_t)off + j));
	}
	close(fd);
	return XT_PASS;
}

/*
 * aio_nbytes above MAX_RW_COUNT: the kernel transfers 0x7ffff000 bytes,
 * and that count must come back as is (io_uring's length field is 32 bits,
 * so a careless library would wrap it).  /dev/null takes the data without
 * touching it, so the source is a never-touched read-only mapping.
 * 2^32 + 5 catches a length truncated to 32 bits (it would transfer 5
 * bytes).  (A huge read is not tested: reads from character devices may
 * legitimately come back short on io_uring, and filling 2 GiB is slow.)
 */
static int t_huge_write(void)
{
	static const size_t lens[] = {0x80000005ul, 0x100000005ul};
	struct aiocb cb;
	void *map;
	int fd;

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(sizeof(size_t) < 8, "32-bit size_t");
	XT_SKIP_IF(xt_sanitized(), "sanitizers check all 4 GiB of the buffer");
	map = mmap(NULL, lens[1], PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	XT_SKIP_IF(map == MAP_FAILED, "mmap 4 GiB: %s", strerror(errno));
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0) {
		munmap(map, lens[1]);
		XT_SKIP_IF(1, "/dev/null: %s", strerror(errno));
	}
	for (int i = 0; i < 2; i++) {
		int e;

		xt_cb_set(&cb, fd, map, lens[i], 0);
		if (aio_write(&cb)) {
			fprintf(stderr, "aio_write %#zx: %s\n", lens[i],
				strerror(errno));
			break;
		}
		e = xt_cb_wait(&cb, 5000);
		if (e != 0 || aio_return(&cb) != 0x7ffff000) {
			fprintf(stderr,
				"aio_write %#zx: aio_error %d, aio_return "
				"%#zx, want 0 and 0x7ffff000\n",
				lens[i], e,
				e == EINPROGRESS ? 0 : (size_t)aio_return(&cb));
			if (e == EINPROGRESS)
				return XT_FAIL; /* Leak fd and mapping. */
			break;
		}
		if (i == 1) {
			close(fd);
			munmap(map, lens[1]);
			return XT_PASS;
		}
	}
	close(fd);
	munmap(map, lens[1]);
	return XT_FAIL;
}

/*
 * O_NONBLOCK streams: a read of an empty pipe and a write to a full one
 * fail with EAGAIN, as read(2), write(2) and glibc's AIO do (on 58309d6 the
 * read waited for data).
 */
static int t_nonblock_pipe(void)
{
	static struct aiocb rd, wr;
	static unsigned char buf[64];
	int p[2], e;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pipe2(p, O_NONBLOCK));
	xt_cb_set(&rd, p[0], buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&rd));
	e = xt_cb_wait(&rd, 2000);
	if (e == EINPROGRESS) { /* the old behaviour: unblock it, then fail */
		close(p[1]);
		xt_cb_wait(&rd, 2000);
	}
	XT_ASSERT_EQ(e, EAGAIN);
	XT_ASSERT_EQ(aio_return(&rd), -1);

	XT_ASSERT_GT(xt_fill_pipe(p[1]), 0);
	xt_cb_set(&wr, p[1], buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_write(&wr));
	e = xt_cb_wait(&wr, 2000);
	if (e == EINPROGRESS) {
		close(p[0]);
		xt_cb_wait(&wr, 2000);
	}
	XT_ASSERT_EQ(e, EAGAIN);
	close(p[0]);
	close(p[1]);
	return XT_PASS;
}

/*
 * The engine asks the kernel about the descriptor at every submission, so
 * O_NONBLOCK set behind its back counts at once: after a first read of a
 * blocking pipe, F_SETFL O_NONBLOCK, and a read of the empty pipe fails
 * with EAGAIN; so does one of an O_NONBLOCK pipe that took the number of a
 * file read just before.  (A cache of F_GETFL per descriptor number would
 * wait instead: the engine learns nothing of fcntl, close or dup2.)
 */
static int t_nonblock_behind(void)
{
	static struct aiocb cb;
	static unsigned char buf[64];
	int p[2], fd, e;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pipe(p));
	XT_ASSERT_EQ(write(p[1], "x", 1), 1);
	xt_cb_set(&cb, p[0], buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 2000), 0);
	XT_ASSERT_EQ(aio_return(&cb), 1);
	XT_ASSERT_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	XT_ASSERT_OK(aio_read(&cb));
	e = xt_cb_wait(&cb, 2000);
	close(p[1]); /* EOF for a read still waiting */
	if (e == EINPROGRESS)
		xt_cb_wait(&cb, 2000);
	XT_ASSERT_EQ(e, EAGAIN);
	XT_ASSERT_EQ(aio_return(&cb), -1);
	close(p[0]);

	fd = xt_make_file("behind", 4096, 0);
	XT_ASSERT_GE(fd, 0);
	xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 2000), 0);
	XT_ASSERT_EQ(aio_return(&cb), (ssize_t)sizeof(buf));
	close(fd);
	XT_ASSERT_OK(pipe2(p, O_NONBLOCK));
	XT_ASSERT_EQ(p[0], fd); /* the lowest free number */
	XT_ASSERT_OK(aio_read(&cb));
	e = xt_cb_wait(&cb, 2000);
	close(p[1]);
	if (e == EINPROGRESS)
		xt_cb_wait(&cb, 2000);
	XT_ASSERT_EQ(e, EAGAIN);
	XT_ASSERT_EQ(aio_return(&cb), -1);
	close(p[0]);
	return XT_PASS;
}

/* XAIO_NONBLOCK=wait keeps the waiting behaviour (a fresh engine). */
static int nonblock_wait_child(void)
{
	static struct aiocb cb;
	static unsigned char buf[64];
	int p[2], r = XT_FAIL, e;

	setenv("XAIO_NONBLOCK", "wait", 1);
	XT_ASSERT_OK(pipe2(p, O_NONBLOCK));
	xt_cb_set(&cb, p[0], buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&cb));
	e = xt_cb_wait(&cb, 200);
	if (e != EINPROGRESS) {
		fprintf(stderr, "empty pipe: aio_error %d, want EINPROGRESS\n",
			e);
		goto out;
	}
	if (write(p[1], "nonblock", 8) != 8)
		goto out;
	e = xt_cb_wait(&cb, 2000);
	if (e != 0 || aio_return(&cb) != 8 || memcmp(buf, "nonblock", 8)) {
		fprintf(stderr, "aio_error %d, aio_return %zd\n", e,
			aio_return(&cb));
		goto out;
	}
	r = XT_PASS;
out:
	close(p[1]); /* EOF for a read still waiting. */
	xt_cb_wait(&cb, 2000);
	close(p[0]);
	return r;
}

static int t_nonblock_wait(void)
{
	XT_REQUIRE_BACKEND();
	return xt_run_child(nonblock_wait_child, 10000);
}

/*
 * Streams ignore aio_offset (POSIX): reads and writes with an offset that
 * is not zero work on a pipe and a socket, alone and through lio_listio
 * (vectored: bsd.c) (on 58309d6 the ring answered ESPIPE).
 */
static int t_stream_offset(void)
{
	static struct aiocb cbs[4];
	static char got[4][8];
	struct aiocb *list[2] = {&cbs[2], &cbs[3]};
	int p[2], sv[2];

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pipe(p));
	XT_ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	XT_ASSERT_EQ(write(p[1], "pipeVECT", 8), 8);
	XT_ASSERT_EQ(write(sv[1], "sockLIST", 8), 8);

	xt_cb_set(&cbs[0], p[0], got[0], 4, 4096);
	XT_ASSERT_OK(aio_read(&cbs[0]));
	XT_ASSERT_EQ(xt_cb_wait(&cbs[0], 2000), 0);
	XT_ASSERT_EQ(aio_return(&cbs[0]), 4);
	XT_ASSERT_MEM_EQ(got[0], "pipe", 4);

	xt_cb_set(&cbs[1], p[0], got[1], 4, 12345);
	XT_ASSERT_OK(aio_read(&cbs[1]));
	XT_ASSERT_EQ(xt_cb_wait(&cbs[1], 2000), 0);
	XT_ASSERT_EQ(aio_return(&cbs[1]), 4);
	XT_ASSERT_MEM_EQ(got[1], "VECT", 4);

	xt_cb_set_op(&cbs[2], LIO_READ, sv[0], got[2], 8, 777);
	xt_cb_set_op(&cbs[3], LIO_WRITE, sv[0], "back", 4, 1 << 20);
	XT_ASSERT_OK(lio_listio(LIO_WAIT, list, 2, NULL));
	XT_ASSERT_EQ(aio_return(&cbs[2]), 8);
	XT_ASSERT_MEM_EQ(got[2], "sockLIST", 8);
	XT_ASSERT_EQ(aio_return(&cbs[3]), 4);
	XT_ASSERT_EQ(read(sv[1], got[3], 4), 4);
	XT_ASSERT_MEM_EQ(got[3], "back", 4);

	xt_cb_set(&cbs[0], p[1], "wr", 2, 99);
	XT_ASSERT_OK(aio_write(&cbs[0]));
	XT_ASSERT_EQ(xt_cb_wait(&cbs[0], 2000), 0);
	XT_ASSERT_EQ(aio_return(&cbs[0]), 2);
	XT_ASSERT_EQ(read(p[0], got[3], 2), 2);
	XT_ASSERT_MEM_EQ(got[3], "wr", 2);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	return XT_PASS;
}

/* Submits one request and returns what aio_error/aio_return say. */
static int64_t huge_one(int write_op, int fd, void *buf, size_t n, int *err)
{
	static struct aiocb cb;

	xt_cb_set(&cb, fd, buf, n, 0);
	if (write_op ? aio_write(&cb) : aio_read(&cb)) {
		*err = errno;
		return -2;
	}
	*err = xt_cb_wait(&cb, 5000);
	return aio_return(&cb);
}

/*
 * Huge aio_nbytes with a small buffer: above SSIZE_MAX it is EINVAL; below
 * it, exactly what pread(2)/pwrite(2) answer for the same arguments (the
 * kernel checks the whole range: EFAULT, or a count no larger than what
 * the buffer holds).  On 58309d6 both backends clamped the count first and
 * reported success.  The buffer is one page followed by PROT_NONE.
 */
static int t_nbytes_huge(void)
{
	static const size_t lens[] = {(size_t)1 << 40, (size_t)1 << 46,
				      (size_t)1 << 62};
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *map;
	int fd, wfd, e;
	int64_t r;

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(sizeof(size_t) < 8, "32-bit size_t");
	XT_SKIP_IF(xt_sanitized(), "sanitizers check the whole buffer");
	fd = xt_make_file("hugeread", 64 * 1024, 0);
	wfd = xt_make_file("hugewrite", 0, 0);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_GE(wfd, 0);
	map = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	XT_ASSERT(map != MAP_FAILED);
	XT_ASSERT_OK(mprotect(map + pg, (size_t)pg, PROT_NONE));

	r = huge_one(0, fd, map, SIZE_MAX, &e);
	XT_ASSERT_EQ(e, EINVAL);
	XT_ASSERT_EQ(r, -1);
	r = huge_one(1, wfd, map, (size_t)1 << 63, &e);
	XT_ASSERT_EQ(e, EINVAL);
	XT_ASSERT_EQ(r, -1);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ssize_t want = pread(fd, map, lens[i], 0);
		int want_err = want < 0 ? errno : 0;

		r = huge_one(0, fd, map, lens[i], &e);
		XT_ASSERT_EQ(e, want_err);
		XT_ASSERT_EQ(r, want);
		XT_ASSERT_LE(r, pg);
		want = pwrite(wfd, map, lens[i], 0);
		want_err = want < 0 ? errno : 0;
		r = huge_one(1, wfd, map, lens[i], &e);
		XT_ASSERT_EQ(e, want_err);
		XT_ASSERT_EQ(r, want);
		XT_ASSERT_LE(r, pg);
	}
	munmap(map, 2 * (size_t)pg);
	close(fd);
	close(wfd);
	return XT_PASS;
}

static struct xt_case cases[] = {
	{"read_full", t_read_full},
	{"write_read_back", t_write_read_back},
	{"read_at_eof", t_read_at_eof},
	{"read_spans_eof", t_read_spans_eof},
	{"nbytes_zero", t_nbytes_zero},
	{"negative_offset", t_negative_offset},
	{"bad_fd", t_bad_fd},
	{"write_rdonly", t_write_rdonly},
	{"reqprio", t_reqprio},
	{"dev_full", t_dev_full},
	{"append_order", t_append_order},
	{"append_direct_order", t_append_direct_order},
	{"pipe_write_order", t_pipe_write_order},
	{"pipe_write_whole", t_pipe_write_whole},
	{"socket_read_write", t_socket_read_write},
	{"many_reads", t_many_reads},
	{"huge_write", t_huge_write},
	{"nonblock_pipe", t_nonblock_pipe},
	{"nonblock_behind", t_nonblock_behind},
	{"nonblock_wait", t_nonblock_wait},
	{"stream_offset", t_stream_offset},
	{"nbytes_huge", t_nbytes_huge},
};

XT_MAIN(cases)
