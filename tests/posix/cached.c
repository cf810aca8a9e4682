// SPDX-License-Identifier: MIT
/*
 * Reads from the page cache done at once (preadv2(RWF_NOWAIT) on the
 * submitting thread, backend/nowait.c), and everything that must not be:
 * O_DIRECT descriptors (there RWF_NOWAIT would wait for the device), a
 * number closed and reopened O_DIRECT or switched with F_SETFL (noticed
 * within one re-check interval), uncached data, reads that end short
 * (end of file), streams, large reads, and XAIO_NOWAIT=0.
 *
 * Each case re-executes this program in a child mode with XAIO_VERBOSE=1;
 * the child checks every result and byte, the parent checks the child's
 * exit report: how many reads were done at once and how many went to a
 * backend.
 */
#include <aio.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "faults.h"

#define BLK 4096
#define RECHECK 64 /* backend/nowait.c: uses of a hint between checks */

/* Reads n bytes at off through cb and checks them against the pattern. */
static int read_check(int fd, unsigned char *buf, size_t n, off_t off,
		      ssize_t want, bool at_once)
{
	struct aiocb cb;
	unsigned char *exp = malloc(n ? n : 1);
	int r = XT_FAIL;

	if (!exp)
		return XT_FAIL;
	xt_cb_set_op(&cb, LIO_READ, fd, buf, n, off);
	memset(buf, 0, n);
	if (aio_read(&cb)) {
		perror("aio_read");
		goto out;
	}
	/* Done before aio_read returned: no waiting, no polling. */
	if (at_once && aio_error(&cb) != 0) {
		fprintf(stderr, "read at %lld not done at once: %d\n",
			(long long)off, aio_error(&cb));
		goto out;
	}
	if (fx_wait(&cb, 5000) || aio_error(&cb) != 0 ||
	    aio_return(&cb) != want) {
		fprintf(stderr, "read at %lld: error %d, want %zd bytes\n",
			(long long)off, aio_error(&cb), want);
		goto out;
	}
	xt_fill_pattern(exp, (size_t)want, (uint64_t)off);
	if (xt_memdiff(buf, exp, (size_t)want) != (size_t)-1) {
		fprintf(stderr, "read at %lld: wrong data\n", (long long)off);
		goto out;
	}
	r = XT_PASS;
out:
	free(exp);
	return r;
}

/* Skips where the file system cannot do RWF_NOWAIT reads at all. */
static bool nowait_unsupported(int fd)
{
	char c;
	struct iovec iov = {&c, 1};

	if (preadv2(fd, &iov, 1, 0, RWF_NOWAIT) < 0 && errno == EOPNOTSUPP) {
		fprintf(stderr, "skip: no RWF_NOWAIT reads in %s\n",
			xt_tmpdir());
		return true;
	}
	return false;
}

static bool nowait_on(void)
{
	const char *v = getenv("XAIO_NOWAIT");

	return !v || strcmp(v, "0");
}

/* 16 cached 4 KiB reads (at once unless XAIO_NOWAIT=0), one of 512 KiB. */
static int child_hot(void)
{
	static unsigned char buf[512 * 1024];
	int fd = xt_make_file("hot", 1024 * 1024, 0);

	XT_ASSERT(fd >= 0);
	if (nowait_unsupported(fd))
		return XT_SKIP;
	for (int i = 0; i < 16; i++)
		XT_ASSERT_EQ(read_check(fd, buf, BLK, (off_t)i * 3 * BLK, BLK,
					nowait_on()),
			     XT_PASS);
	XT_ASSERT_EQ(read_check(fd, buf, sizeof(buf), BLK, sizeof(buf), false),
		     XT_PASS);
	close(fd);
	return XT_PASS;
}

/* A cached file opened O_DIRECT: nothing at once. */
static int open_direct(const char *name)
{
	int fd = open(xt_path(name), O_RDONLY | O_DIRECT);

	if (fd < 0 && errno == EINVAL)
		fprintf(stderr, "skip: no O_DIRECT in %s\n", xt_tmpdir());
	return fd;
}

/* n reads of one block, cycling over the first 64; none need be at once. */
static int read_blocks(int fd, unsigned char *buf, int n)
{
	for (int i = 0; i < n; i++)
		XT_ASSERT_EQ(read_check(fd, buf, BLK, (off_t)(i % 64) * BLK,
					BLK, false),
			     XT_PASS);
	return XT_PASS;
}

static int child_direct(void)
{
	unsigned char *buf = xt_aligned(BLK, BLK);
	int fd = xt_make_file("direct", 64 * BLK, 0), dfd;

	XT_ASSERT(fd >= 0 && buf);
	dfd = open_direct("direct");
	if (dfd < 0)
		return XT_SKIP;
	XT_ASSERT_EQ(read_blocks(dfd, buf, 100), XT_PASS);
	close(dfd);
	close(fd);
	free(buf);
	return XT_PASS;
}

/*
 * 10 reads at once through fd; then the same number becomes O_DIRECT
 * (reopened, or F_SETFL with setfl); 200 more reads.
 */
static int switch_direct(bool setfl)
{
	unsigned char *buf = xt_aligned(BLK, BLK);
	int fd = xt_make_file("switch", 64 * BLK, 0), dfd;

	XT_ASSERT(fd >= 0 && buf);
	if (nowait_unsupported(fd))
		return XT_SKIP;
	for (int i = 0; i < 10; i++)
		XT_ASSERT_EQ(
			read_check(fd, buf, BLK, (off_t)i * BLK, BLK, true),
			XT_PASS);
	if (setfl) {
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_DIRECT) < 0) {
			fprintf(stderr, "skip: F_SETFL O_DIRECT: %s\n",
				strerror(errno));
			return XT_SKIP;
		}
	} else {
		dfd = open_direct("switch");
		if (dfd < 0)
			return XT_SKIP;
		XT_ASSERT_EQ(dup2(dfd, fd), fd);
		close(dfd);
	}
	XT_ASSERT_EQ(read_blocks(fd, buf, 200), XT_PASS);
	close(fd);
	free(buf);
	return XT_PASS;
}

static int child_reopen(void)
{
	return switch_direct(false);
}

static int child_setfl(void)
{
	return switch_direct(true);
}

/* Is the first page of fd's file in the page cache? */
static int resident(int fd)
{
	unsigned char vec = 0;
	void *p = mmap(NULL, BLK, PROT_READ, MAP_SHARED, fd, 0);
	int r;

	if (p == MAP_FAILED)
		return -1;
	r = mincore(p, BLK, &vec) ? -1 : vec & 1;
	munmap(p, BLK);
	return r;
}

/*
 * A page not in the cache goes to a backend, which brings it in; the miss
 * makes the next read skip the attempt; the third is done at once.  Every
 * read returns the right bytes.
 */
static int child_cold(void)
{
	static unsigned char buf[BLK];
	int fd = xt_make_file("cold", 16 * BLK, 0);

	XT_ASSERT(fd >= 0);
	XT_ASSERT_OK(fdatasync(fd));
	XT_ASSERT_OK(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	if (resident(fd) != 0) {
		fprintf(stderr, "skip: cannot drop %s from the page cache\n",
			xt_path("cold"));
		return XT_SKIP;
	}
	for (int i = 0; i < 3; i++)
		XT_ASSERT_EQ(read_check(fd, buf, BLK, 0, BLK, i == 2), XT_PASS);
	close(fd);
	return XT_PASS;
}

/* Short reads (end of file) come from a backend, with the right count. */
static int child_eof(void)
{
	static unsigned char buf[BLK];
	int fd = xt_make_file("eof", 2 * BLK + 100, 0);

	XT_ASSERT(fd >= 0);
	XT_ASSERT_EQ(read_check(fd, buf, BLK, 2 * BLK, 100, false), XT_PASS);
	XT_ASSERT_EQ(read_check(fd, buf, BLK, 5 * BLK, 0, false), XT_PASS);
	close(fd);
	return XT_PASS;
}

/* Pipes and sockets are streams: never at once, data intact. */
static int child_stream(void)
{
	static char buf[16];
	struct aiocb cb;
	int p[2], s[2];

	XT_ASSERT_OK(pipe(p));
	XT_ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
	for (int i = 0; i < 4; i++) {
		int rfd = i % 2 ? s[0] : p[0], wfd = i % 2 ? s[1] : p[1];

		XT_ASSERT_EQ(write(wfd, "stream", 6), 6);
		xt_cb_set_op(&cb, LIO_READ, rfd, buf, sizeof(buf), 0);
		XT_ASSERT_OK(aio_read(&cb));
		XT_ASSERT_EQ(fx_wait(&cb, 5000), 0);
		XT_ASSERT_EQ(aio_return(&cb), 6);
		XT_ASSERT(!memcmp(buf, "stream", 6));
	}
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
	return XT_PASS;
}

/*
 * One worker, busy with a read of an empty pipe: a cached read does not
 * queue behind it.
 */
static int child_busy_pool(void)
{
	static unsigned char buf[BLK];
	static char pbuf[8];
	struct aiocb pr;
	int p[2], fd = xt_make_file("busy", 4 * BLK, 0);

	XT_ASSERT(fd >= 0);
	if (nowait_unsupported(fd))
		return XT_SKIP;
	XT_ASSERT_OK(pipe(p));
	xt_cb_set_op(&pr, LIO_READ, p[0], pbuf, sizeof(pbuf), 0);
	XT_ASSERT_OK(aio_read(&pr));
	xt_sleep_ms(20); /* the worker has taken it */
	XT_ASSERT_EQ(read_check(fd, buf, BLK, BLK, BLK, true), XT_PASS);
	XT_ASSERT_EQ(aio_error(&pr), EINPROGRESS);
	XT_ASSERT_EQ(write(p[1], "x", 1), 1);
	XT_ASSERT_EQ(fx_wait(&pr, 5000), 0);
	XT_ASSERT_EQ(aio_return(&pr), 1);
	close(p[0]);
	close(p[1]);
	close(fd);
	return XT_PASS;
}

static const struct fx_mode modes[] = {
	{"hot", child_hot},	  {"direct", child_direct},
	{"reopen", child_reopen}, {"setfl", child_setfl},
	{"cold", child_cold},	  {"eof", child_eof},
	{"stream", child_stream}, {"busy_pool", child_busy_pool}};

static int child_main(const char *mode)
{
	return fx_run_mode(mode, modes, sizeof(modes) / sizeof(modes[0]));
}

FX_CHILD_MAIN(child_main)

/*
 * Runs child mode with XAIO_VERBOSE=1 (and extra, if not NULL); *r gets
 * its report.  XT_PASS, or the child's failure or skip.
 */
static int run(const char *mode, const char *extra, struct fx_report *r)
{
	/* The fast path as it is by default, whatever the suite runs with. */
	const char *env[] = {"XAIO_VERBOSE=1", "XAIO_NOWAIT", extra, NULL};

	FX_TRY(fx_run_report(mode, env, r));
	XT_ASSERT_EQ(r->completed, r->submitted);
	XT_ASSERT_EQ(r->inline_reads + r->on_ring + r->on_threads,
		     r->submitted);
	return XT_PASS;
}

#define RUN(mode, extra, r) FX_TRY(run(mode, extra, r))

/* Child mode ran submitted requests, inl of them done at once. */
static int expect(const char *mode, const char *extra,
		  unsigned long long submitted, unsigned long long inl)
{
	struct fx_report r;

	XT_REQUIRE_BACKEND();
	RUN(mode, extra, &r);
	XT_ASSERT_EQ(r.submitted, submitted);
	XT_ASSERT_EQ(r.inline_reads, inl);
	return XT_PASS;
}

static int cached_hot(void)
{
	return expect("hot", NULL, 17, 16);
}

static int cached_nowait_off(void)
{
	return expect("hot", "XAIO_NOWAIT=0", 17, 0);
}

static int cached_direct(void)
{
	return expect("direct", NULL, 100, 0);
}

/* After the switch, at most what is left of one re-check interval. */
static int switched(const char *mode)
{
	struct fx_report r;

	XT_REQUIRE_BACKEND();
	RUN(mode, NULL, &r);
	XT_ASSERT_EQ(r.submitted, 210);
	XT_ASSERT_GE(r.inline_reads, 10);
	XT_ASSERT_LE(r.inline_reads, RECHECK);
	return XT_PASS;
}

static int cached_reopen_direct(void)
{
	return switched("reopen");
}

static int cached_setfl_direct(void)
{
	return switched("setfl");
}

static int cached_cold(void)
{
	struct fx_report r;

	XT_REQUIRE_BACKEND();
	RUN("cold", NULL, &r);
	XT_ASSERT_EQ(r.submitted, 3);
	/*
	 * RWF_NOWAIT is best effort: it starts the page's read, and if the
	 * device finishes before the kernel looks again (a preempted caller
	 * on a loaded machine) the first attempt succeeds, and so do the
	 * others.  Otherwise the miss makes exactly the second read skip.
	 */
	if (r.inline_reads == 3)
		printf("note: the kernel brought the page in during the first "
		       "attempt\n");
	else
		XT_ASSERT_EQ(r.inline_reads, 1);
	return XT_PASS;
}

static int cached_eof(void)
{
	return expect("eof", NULL, 2, 0);
}

static int cached_stream(void)
{
	return expect("stream", NULL, 4, 0);
}

static int cached_busy_pool(void)
{
	return expect("busy_pool", "XAIO_THREADS=1", 2, 1);
}

static const struct xt_case cases[] = {
	{"cached_hot", cached_hot},
	{"cached_nowait_off", cached_nowait_off},
	{"cached_direct", cached_direct},
	{"cached_reopen_direct", cached_reopen_direct},
	{"cached_setfl_direct", cached_setfl_direct},
	{"cached_cold", cached_cold},
	{"cached_eof", cached_eof},
	{"cached_stream", cached_stream},
	{"cached_busy_pool", cached_busy_pool},
};

XT_MAIN(cases)
