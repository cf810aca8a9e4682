// SPDX-License-Identifier: MIT
/*
 * Injected I/O errors (XAIO_FAULT, the thread pool's test hook) reach the
 * application exactly: with XAIO_FAULT=EIO:3, of 30 concurrent reads
 * exactly 10 fail with aio_error() EIO and aio_return() -1 and the other
 * 20 return their data; each of the 30 SIGEV_SIGNAL notifications arrives
 * once; a lio_listio(LIO_WAIT) of 3 reads (one of them faulted) returns
 * -1/EIO with each member's own status; in a pipe's write lane the faulted
 * write fails alone and the writes after it still run, in order.  Every
 * NAME (EIO, ENOSPC, EDQUOT, ENOMEM) gives that errno.
 *
 * XAIO_FAULT only acts on the thread pool, so each case re-executes this
 * program with XAIO_BACKEND=threads, in the .uring registration too (it
 * says so on stdout).  The child's XAIO_VERBOSE=1 line must count every
 * request as submitted and completed.
 */
#include <aio.h>
#include <fcntl.h>
#include <unistd.h>

#include "faults.h"

#define BLK 4096
#define NREAD 30
#define PIPE_MSG 512

/* Child mode "reads": 30 reads, a list of 3, 4 writes in a pipe lane. */
static int child_reads(void)
{
	static unsigned char buf[NREAD][BLK], lbuf[3][BLK];
	static struct aiocb cb[NREAD], l[3], w[4];
	static unsigned char msg[4][PIPE_MSG], got[4 * PIPE_MSG];
	struct aiocb *all[NREAD], *list[3];
	unsigned char want[BLK];
	int fd, p[2], base, nfail = 0, ids = 0;

	base = xt_count_fds();
	fx_notes_reset();
	fd = xt_make_file("data", NREAD * BLK, O_CLOEXEC);
	XT_ASSERT(fd >= 0);
	for (int i = 0; i < NREAD; i++) {
		xt_cb_set_op(&cb[i], LIO_READ, fd, buf[i], BLK, (off_t)i * BLK);
		fx_sev_signal(&cb[i].aio_sigevent, ids++);
		all[i] = &cb[i];
		XT_ASSERT_OK(aio_read(&cb[i]));
	}
	XT_ASSERT_EQ(fx_wait_all(all, NREAD, 5000), 0);
	for (int i = 0; i < NREAD; i++) {
		int err = aio_error(&cb[i]);
		ssize_t ret = aio_return(&cb[i]);

		if (err) {
			XT_ASSERT_EQ(err, EIO);
			XT_ASSERT_EQ(ret, -1);
			nfail++;
			continue;
		}
		XT_ASSERT_EQ(ret, BLK);
		xt_fill_pattern(want, BLK, (uint64_t)i * BLK);
		XT_ASSERT_MEM_EQ(buf[i], want, BLK);
	}
	XT_ASSERT_EQ(nfail, NREAD / 3);
	XT_ASSERT_EQ(fx_notes_expect(ids, 5000), 0);

	/* Requests 30, 31, 32 of the pool: the last one is faulted. */
	nfail = 0;
	for (int i = 0; i < 3; i++) {
		xt_cb_set_op(&l[i], LIO_READ, fd, lbuf[i], BLK, (off_t)i * BLK);
		fx_sev_signal(&l[i].aio_sigevent, ids++);
		list[i] = &l[i];
	}
	XT_ASSERT_ERRNO(lio_listio(LIO_WAIT, list, 3, NULL), EIO);
	for (int i = 0; i < 3; i++) {
		if (aio_error(&l[i])) {
			XT_ASSERT_EQ(aio_error(&l[i]), EIO);
			XT_ASSERT_EQ(aio_return(&l[i]), -1);
			nfail++;
			continue;
		}
		XT_ASSERT_EQ(aio_return(&l[i]), BLK);
		xt_fill_pattern(want, BLK, (uint64_t)i * BLK);
		XT_ASSERT_MEM_EQ(lbuf[i], want, BLK);
	}
	XT_ASSERT_EQ(nfail, 1);

	/*
	 * Requests 33..36, one at a time in the pipe's write lane: the third
	 * (request 35) is faulted, the fourth still runs after it.
	 */
	XT_ASSERT_OK(pipe2(p, O_CLOEXEC));
	for (int i = 0; i < 4; i++) {
		memset(msg[i], 'a' + i, PIPE_MSG);
		xt_cb_set_op(&w[i], LIO_WRITE, p[1], msg[i], PIPE_MSG, 0);
		fx_sev_signal(&w[i].aio_sigevent, ids++);
		XT_ASSERT_OK(aio_write(&w[i]));
	}
	{
		struct aiocb *ws[4] = {&w[0], &w[1], &w[2], &w[3]};

		XT_ASSERT_EQ(fx_wait_all(ws, 4, 5000), 0);
	}
	for (int i = 0; i < 4; i++) {
		if (i == 2) {
			XT_ASSERT_EQ(aio_error(&w[i]), EIO);
			XT_ASSERT_EQ(aio_return(&w[i]), -1);
		} else {
			XT_ASSERT_EQ(aio_error(&w[i]), 0);
			XT_ASSERT_EQ(aio_return(&w[i]), PIPE_MSG);
		}
	}
	close(p[1]);
	{
		size_t len = 0;
		ssize_t n;

		while ((n = read(p[0], got + len, sizeof(got) - len)) > 0)
			len += (size_t)n;
		XT_ASSERT_EQ(len, 3 * PIPE_MSG);
		XT_ASSERT_MEM_EQ(got, msg[0], PIPE_MSG);
		XT_ASSERT_MEM_EQ(got + PIPE_MSG, msg[1], PIPE_MSG);
		XT_ASSERT_MEM_EQ(got + 2 * PIPE_MSG, msg[3], PIPE_MSG);
	}
	close(p[0]);
	XT_ASSERT_EQ(fx_notes_expect(ids, 5000), 0);
	close(fd);
	XT_ASSERT_EQ(xt_count_fds(), base);
	return XT_PASS;
}

/* Child mode "each": every request fails with $XFAULTS_ERRNO. */
static int child_each(void)
{
	static unsigned char buf[4][BLK];
	static struct aiocb cb[5];
	struct aiocb *all[5];
	const char *e = getenv("XFAULTS_ERRNO");
	int want = e ? atoi(e) : 0, fd, base;

	XT_ASSERT_GT(want, 0);
	base = xt_count_fds();
	fx_notes_reset();
	fd = xt_make_file("each", 4 * BLK, O_CLOEXEC);
	XT_ASSERT(fd >= 0);
	for (int i = 0; i < 5; i++) {
		xt_cb_set_op(&cb[i], i == 0 ? LIO_READ : LIO_WRITE, fd,
			     i < 4 ? buf[i] : NULL, i < 4 ? BLK : 0,
			     (off_t)i * BLK);
		fx_sev_thread(&cb[i].aio_sigevent, i);
		all[i] = &cb[i];
	}
	for (int i = 0; i < 4; i++)
		XT_ASSERT_OK(i ? aio_write(&cb[i]) : aio_read(&cb[i]));
	XT_ASSERT_OK(aio_fsync(O_SYNC, &cb[4]));
	XT_ASSERT_EQ(fx_wait_all(all, 5, 5000), 0);
	for (int i = 0; i < 5; i++) {
		XT_ASSERT_EQ(aio_error(&cb[i]), want);
		XT_ASSERT_EQ(aio_return(&cb[i]), -1);
	}
	XT_ASSERT_EQ(fx_notes_expect(5, 5000), 0);
	close(fd);
	XT_ASSERT_EQ(xt_count_fds(), base);
	return XT_PASS;
}

static int child_main(const char *mode)
{
	if (!strcmp(mode, "reads"))
		return child_reads();
	if (!strcmp(mode, "each"))
		return child_each();
	fprintf(stderr, "unknown child mode %s\n", mode);
	return XT_FAIL;
}

FX_CHILD_MAIN(child_main)

static void say_threads(void)
{
	if (!strcmp(xt_backend(), "uring"))
		printf("note: XAIO_FAULT acts on the thread pool only: the "
		       "child runs with XAIO_BACKEND=threads in this uring "
		       "run too\n");
}

/* The child's report: threads forced, every request completed. */
static int check_report(const struct fx_proc *p, unsigned long long n)
{
	struct fx_report r;

	if (fx_parse_report(p->err, &r)) {
		fprintf(stderr, "no XAIO_VERBOSE line in:\n%s", p->err);
		return XT_FAIL;
	}
	XT_ASSERT(!strcmp(r.backend, "threads"));
	XT_ASSERT(!strcmp(r.reason, "forced by XAIO_BACKEND"));
	XT_ASSERT_EQ(r.submitted, n);
	XT_ASSERT_EQ(r.on_ring, 0);
	XT_ASSERT_EQ(r.on_threads, n);
	XT_ASSERT_EQ(r.completed, n);
	return XT_PASS;
}

/* XAIO_FAULT=EIO:3: exactly every third request fails with EIO. */
static int eio_every_third(void)
{
	static const char *const env[] = {"XAIO_FAULT=EIO:3",
					  "XAIO_BACKEND=threads",
					  "XAIO_VERBOSE=1", NULL};
	struct fx_proc p;
	int r;

	XT_REQUIRE_BACKEND();
	say_threads();
	memset(&p, 0, sizeof(p));
	p.mode = "reads";
	p.env = env;
	p.timeout_ms = 10000;
	XT_ASSERT_OK(fx_run(&p));
	r = fx_verdict(&p);
	if (r != XT_PASS)
		return r;
	return check_report(&p, NREAD + 3 + 4);
}

/* XAIO_FAULT=NAME:1 for each NAME: every request fails with it. */
static int eio_each_errno(void)
{
	static const struct {
		const char *fault;
		const char *err;
	} t[] = {{"XAIO_FAULT=EIO:1", "XFAULTS_ERRNO=5"},
		 {"XAIO_FAULT=ENOSPC:1", "XFAULTS_ERRNO=28"},
		 {"XAIO_FAULT=EDQUOT:1", "XFAULTS_ERRNO=122"},
		 {"XAIO_FAULT=ENOMEM", "XFAULTS_ERRNO=12"}};

	XT_REQUIRE_BACKEND();
	say_threads();
	XT_ASSERT_EQ(EIO, 5);
	XT_ASSERT_EQ(ENOSPC, 28);
	XT_ASSERT_EQ(EDQUOT, 122);
	XT_ASSERT_EQ(ENOMEM, 12);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *env[] = {t[i].fault, t[i].err,
				     "XAIO_BACKEND=threads", "XAIO_VERBOSE=1",
				     NULL};
		struct fx_proc p;
		int r;

		memset(&p, 0, sizeof(p));
		p.mode = "each";
		p.env = env;
		p.timeout_ms = 10000;
		XT_ASSERT_OK(fx_run(&p));
		r = fx_verdict(&p);
		if (r != XT_PASS) {
			fprintf(stderr, "with %s\n", t[i].fault);
			return r;
		}
		if (check_report(&p, 5) != XT_PASS)
			return XT_FAIL;
	}
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"eio_every_third", eio_every_third},
	{"eio_each_errno", eio_each_errno},
};

XT_MAIN(cases)
