// SPDX-License-Identifier: MIT
/*
 * lio_listio(): argument checks (bad mode, nent < 0, nent 0, huge nent),
 * NULL and LIO_NOP entries, LIO_WAIT results and EIO, invalid opcodes
 * (including glibc's internal 3 and 4), per-aiocb notifications in both
 * modes, the list notification of LIO_NOWAIT (SIGEV_SIGNAL, SIGEV_THREAD,
 * empty lists), LIO_WAIT interrupted by a signal with the requests
 * completing afterwards, and LIO_WAIT as a cancellation point.
 *
 * The cases that crash glibc (G1 use of a dead stack frame, G3 stack
 * overflow, G11 negative VLA) run in a forked child so that the program
 * survives a reference run against glibc.  They come first in the table:
 * the parent has then done no AIO yet, so glibc's fork defect (G5, an idle
 * helper the child never gets) cannot hang the child for another reason.
 */
#include <aio.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xtest.h"
#include "xaio-test.h"

#define BLK 4096

/* atomic_load() as a function, so that assertion messages stay short. */
static int ld(atomic_int *v)
{
	return atomic_load(v);
}

/* 1 if the file still holds xt_pattern() over [0, len). */
static int file_is_pattern(int fd, size_t len)
{
	unsigned char got[BLK], want[BLK];

	for (size_t off = 0; off < len; off += BLK) {
		size_t n = len - off < BLK ? len - off : BLK;

		if (pread(fd, got, n, (off_t)off) != (ssize_t)n)
			return 0;
		xt_fill_pattern(want, n, off);
		if (xt_memdiff(got, want, n) != (size_t)-1)
			return 0;
	}
	return 1;
}

/* SIGUSR1 deliveries (an xt_killer sends them). */
static atomic_int usr1_count;

static void usr1_handler(int sig)
{
	(void)sig;
	atomic_fetch_add(&usr1_count, 1);
}

/*
 * Catching a real-time signal synchronously: blocked in this thread (the
 * library's own threads block everything), dequeued with sigtimedwait().
 */
struct sigcatch {
	int signo;
	sigset_t set;
	sigset_t oldmask;
	struct sigaction oldact;
};

static void catch_handler(int sig)
{
	(void)sig;
}

static void sigcatch_drain(struct sigcatch *c)
{
	struct timespec zero = {0, 0};

	while (sigtimedwait(&c->set, NULL, &zero) == c->signo)
		;
}

static void sigcatch_begin(struct sigcatch *c, int signo)
{
	struct sigaction sa;

	c->signo = signo;
	sigemptyset(&c->set);
	sigaddset(&c->set, signo);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = catch_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(signo, &sa, &c->oldact);
	pthread_sigmask(SIG_BLOCK, &c->set, &c->oldmask);
	sigcatch_drain(c);
}

/* Dequeues one signal within ms; 1 with *si filled, or 0. */
static int sigcatch_wait(struct sigcatch *c, siginfo_t *si, int ms)
{
	struct timespec ts;
	int64_t end = xt_now_ms() + ms;
	int r;

	for (;;) {
		int64_t left = end - xt_now_ms();

		if (left < 0)
			left = 0;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		r = sigtimedwait(&c->set, si, &ts);
		if (r == c->signo)
			return 1;
		if (r < 0 && errno == EINTR && left > 0)
			continue;
		return 0;
	}
}

static void sigcatch_end(struct sigcatch *c)
{
	sigcatch_drain(c);
	pthread_sigmask(SIG_SETMASK, &c->oldmask, NULL);
	sigaction(c->signo, &c->oldact, NULL);
}

/* ---- cases run in a child ---- */

static struct aiocb eintr_cb;
static char eintr_buf[64];

static int eintr_child_body(int p[2])
{
	struct aiocb *list[1] = {&eintr_cb};
	const struct aiocb *clist[1] = {&eintr_cb};
	struct timespec ts = {3, 0};
	struct xt_killer k;
	int64_t t0;
	int r, e;

	xt_cb_set_op(&eintr_cb, LIO_READ, p[0], eintr_buf, sizeof(eintr_buf),
		     0);
	XT_ASSERT_EQ(xt_killer_start(&k, 50), 0);
	t0 = xt_now_ms();
	errno = 0;
	r = lio_listio(LIO_WAIT, list, 1, NULL);
	e = errno;
	t0 = xt_now_ms() - t0;
	xt_killer_stop(&k);
	if (r != -1 || e != EINTR)
		fprintf(stderr, "lio_listio = %d errno %d (%s)\n", r, e,
			strerror(e));
	XT_ASSERT_EQ(r, -1);
	XT_ASSERT_EQ(e, EINTR);
	XT_ASSERT_LT(t0, 2000);
	XT_ASSERT_GE(ld(&usr1_count), 1);
	XT_ASSERT_EQ(aio_error(&eintr_cb), EINPROGRESS);

	/*
	 * The request must not refer to lio_listio()'s dead frame: overwrite
	 * that stack, complete the read while it is garbage, keep reusing it.
	 */
	xt_fill_stack(16);
	XT_ASSERT_EQ(write(p[1], "after", 5), 5);
	for (int i = 0; i < 20; i++) {
		xt_fill_stack(16);
		xt_sleep_ms(1);
	}
	XT_ASSERT_OK(aio_suspend(clist, 1, &ts));
	XT_ASSERT_EQ(aio_error(&eintr_cb), 0);
	XT_ASSERT_EQ(aio_return(&eintr_cb), 5);
	XT_ASSERT_MEM_EQ(eintr_buf, "after", 5);
	return XT_PASS;
}

static int eintr_child(void)
{
	struct sigaction sa;
	int p[2], r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	XT_ASSERT_OK(pipe(p));
	r = eintr_child_body(p);
	if (aio_error(&eintr_cb) == EINPROGRESS) {
		/* Leave no read pending on the pipe at _exit. */
		if (write(p[1], "x", 1) == 1)
			xt_cb_poll(&eintr_cb, 2000);
	}
	close(p[0]);
	close(p[1]);
	return r;
}

/*
 * LIO_WAIT interrupted (handler without SA_RESTART) → -1/EINTR; the read
 * completes later with the right data and the process survives (glibc G1
 * crashes: its waiter records stay linked into the dead stack frame).
 */
static int listio_eintr_then_complete(void)
{
	XT_REQUIRE_BACKEND();
	return xt_run_child(eintr_child, 5000);
}

#define HUGE_NENT 1000000

static int huge_child(void)
{
	static unsigned char buf[BLK];
	static struct aiocb cb;
	struct aiocb **list = calloc(HUGE_NENT, sizeof(*list));
	unsigned char want[BLK];
	int fd, r, e;

	XT_ASSERT(list != NULL);
	/* All NULL: nothing to do. */
	errno = 0;
	r = lio_listio(LIO_WAIT, list, HUGE_NENT, NULL);
	e = errno;
	if (r)
		fprintf(stderr, "all NULL: lio_listio = %d errno %d (%s)\n", r,
			e, strerror(e));
	XT_ASSERT_EQ(r, 0);

	/* All NULL but the last, a real read that LIO_WAIT waits for. */
	fd = xt_make_file("huge", 2 * BLK, 0);
	XT_ASSERT(fd >= 0);
	xt_cb_set_op(&cb, LIO_READ, fd, buf, BLK, BLK);
	list[HUGE_NENT - 1] = &cb;
	errno = 0;
	r = lio_listio(LIO_WAIT, list, HUGE_NENT, NULL);
	e = errno;
	free(list);
	if (r)
		fprintf(stderr,
			"last entry set: lio_listio = %d errno %d (%s)\n", r, e,
			strerror(e));
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_EQ(aio_error(&cb), 0);
	XT_ASSERT_EQ(aio_return(&cb), BLK);
	xt_fill_pattern(want, BLK, BLK);
	XT_ASSERT_MEM_EQ(buf, want, BLK);
	close(fd);
	return XT_PASS;
}

/*
 * nent 1,000,000 with LIO_WAIT: all NULL → 0; all NULL but the last entry
 * → 0 with that read done.  No stack overflow (glibc G3: the second call
 * puts nent waiter records on the stack and crashes).
 */
static int listio_huge_nent(void)
{
	XT_REQUIRE_BACKEND();
	return xt_run_child(huge_child, 5000);
}

static int negative_child(void)
{
	static unsigned char data[BLK];
	static struct aiocb cb;
	struct aiocb *list[1] = {&cb};
	int fd = xt_make_file("neg", BLK, 0);

	XT_ASSERT(fd >= 0);
	memset(data, 0xee, sizeof(data));
	xt_cb_set_op(&cb, LIO_WRITE, fd, data, sizeof(data), 0);
	XT_ASSERT_ERRNO(lio_listio(LIO_WAIT, list, -1, NULL), EINVAL);
	XT_ASSERT_ERRNO(lio_listio(LIO_NOWAIT, list, -1, NULL), EINVAL);
	xt_sleep_ms(50);
	XT_ASSERT(file_is_pattern(fd, BLK));
	close(fd);
	return XT_PASS;
}

/* nent < 0 → -1/EINVAL, nothing done (glibc G11: a negative VLA, 0). */
static int listio_nent_negative(void)
{
	XT_REQUIRE_BACKEND();
	return xt_run_child(negative_child, 5000);
}

/* ---- cases run in this process ---- */

/* A bad mode → -1/EINVAL and the write in the list never happens. */
static int listio_bad_mode(void)
{
	static unsigned char data[BLK];
	static struct aiocb cb;
	struct aiocb *list[1] = {&cb};
	int fd, ok;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("mode", BLK, 0);
	XT_ASSERT(fd >= 0);
	memset(data, 0xee, sizeof(data));
	xt_cb_set_op(&cb, LIO_WRITE, fd, data, sizeof(data), 0);
	errno = 0;
	ok = lio_listio(7, list, 1, NULL) == -1 && errno == EINVAL;
	ok = ok && lio_listio(-1, list, 1, NULL) == -1 && errno == EINVAL;
	xt_sleep_ms(50);
	if (!file_is_pattern(fd, BLK)) {
		fprintf(stderr, "the write of a rejected list ran\n");
		ok = 0;
	}
	close(fd);
	XT_ASSERT(ok);
	return XT_PASS;
}

/* nent 0 with LIO_WAIT → 0 at once. */
static int listio_nent_zero_wait(void)
{
	struct aiocb *list[1] = {NULL};
	struct xt_watchdog w;
	int r, e;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(xt_watchdog_arm(&w, 2000));
	errno = 0;
	r = lio_listio(LIO_WAIT, list, 0, NULL);
	e = errno;
	xt_watchdog_disarm(&w);
	if (r)
		fprintf(stderr, "errno %d (%s)\n", e, strerror(e));
	XT_ASSERT_EQ(r, 0);
	return XT_PASS;
}

/* NULL and LIO_NOP entries are skipped and their aiocbs left untouched. */
static int listio_null_nop_ignored(void)
{
	static unsigned char wdata[BLK], nopdata[BLK];
	static struct aiocb wcb, nop1, nop2, copy1, copy2;
	struct aiocb *list[6] = {NULL, &nop1, &wcb, NULL, &nop2, NULL};
	unsigned char got[BLK];
	int fd, nfd, r;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("nop-w", BLK, 0);
	XT_ASSERT(fd >= 0);
	nfd = xt_make_file("nop-n", BLK, 0);
	XT_ASSERT(nfd >= 0);
	memset(wdata, 0x11, sizeof(wdata));
	memset(nopdata, 0xee, sizeof(nopdata));
	xt_cb_set_op(&wcb, LIO_WRITE, fd, wdata, sizeof(wdata), 0);
	/* NOPs that would overwrite nop-n if they were run as writes. */
	memset(&nop1, 0x5a, sizeof(nop1));
	nop1.aio_lio_opcode = LIO_NOP;
	nop1.aio_fildes = nfd;
	nop1.aio_buf = nopdata;
	nop1.aio_nbytes = sizeof(nopdata);
	nop1.aio_offset = 0;
	nop1.aio_reqprio = 0;
	memset(&nop1.aio_sigevent, 0, sizeof(nop1.aio_sigevent));
	nop1.aio_sigevent.sigev_notify = SIGEV_NONE;
	nop2 = nop1;
	nop2.aio_nbytes = 100;
	copy1 = nop1;
	copy2 = nop2;

	r = lio_listio(LIO_WAIT, list, 6, NULL);
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_EQ(aio_error(&wcb), 0);
	XT_ASSERT_EQ(aio_return(&wcb), BLK);
	XT_ASSERT_EQ(pread(fd, got, BLK, 0), BLK);
	XT_ASSERT_MEM_EQ(got, wdata, BLK);
	XT_ASSERT_MEM_EQ(&nop1, &copy1, sizeof(nop1));
	XT_ASSERT_MEM_EQ(&nop2, &copy2, sizeof(nop2));
	xt_sleep_ms(20);
	XT_ASSERT(file_is_pattern(nfd, BLK));
	close(fd);
	close(nfd);
	return XT_PASS;
}

#define NREQ 16

/* LIO_WAIT with 16 reads and 16 writes → 0, every result checked. */
static int listio_wait_32(void)
{
	static unsigned char rbuf[NREQ][BLK], wbuf[NREQ][BLK];
	static struct aiocb cbs[2 * NREQ];
	struct aiocb *list[2 * NREQ];
	unsigned char want[BLK];
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("wait32", 2 * NREQ * BLK, 0);
	XT_ASSERT(fd >= 0);
	for (int i = 0; i < NREQ; i++) {
		off_t roff = (off_t)i * BLK, woff = (off_t)(NREQ + i) * BLK;

		memset(rbuf[i], 0, BLK);
		xt_fill_pattern(wbuf[i], BLK, (uint64_t)woff + 977);
		/* Interleave reads and writes in the list. */
		xt_cb_set_op(&cbs[2 * i], LIO_READ, fd, rbuf[i], BLK, roff);
		xt_cb_set_op(&cbs[2 * i + 1], LIO_WRITE, fd, wbuf[i], BLK,
			     woff);
		list[2 * i] = &cbs[2 * i];
		list[2 * i + 1] = &cbs[2 * i + 1];
	}
	XT_ASSERT_OK(lio_listio(LIO_WAIT, list, 2 * NREQ, NULL));
	for (int i = 0; i < NREQ; i++) {
		unsigned char got[BLK];

		XT_ASSERT_EQ(aio_error(&cbs[2 * i]), 0);
		XT_ASSERT_EQ(aio_return(&cbs[2 * i]), BLK);
		XT_ASSERT_EQ(aio_error(&cbs[2 * i + 1]), 0);
		XT_ASSERT_EQ(aio_return(&cbs[2 * i + 1]), BLK);
		xt_fill_pattern(want, BLK, (uint64_t)i * BLK);
		XT_ASSERT_MEM_EQ(rbuf[i], want, BLK);
		XT_ASSERT_EQ(pread(fd, got, BLK, (off_t)(NREQ + i) * BLK), BLK);
		XT_ASSERT_MEM_EQ(got, wbuf[i], BLK);
	}
	close(fd);
	return XT_PASS;
}

/* LIO_WAIT with one bad fd → -1/EIO; the other entries succeed. */
static int listio_wait_bad_fd(void)
{
	static unsigned char buf[4][BLK];
	static struct aiocb cbs[4];
	struct aiocb *list[4] = {&cbs[0], &cbs[1], &cbs[2], &cbs[3]};
	unsigned char want[BLK], got[BLK];
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("badfd", 4 * BLK, 0);
	XT_ASSERT(fd >= 0);
	memset(buf, 0, sizeof(buf));
	memset(buf[0], 0x21, BLK);
	memset(buf[3], 0x24, BLK);
	xt_cb_set_op(&cbs[0], LIO_WRITE, fd, buf[0], BLK, 0);
	xt_cb_set_op(&cbs[1], LIO_READ, fd, buf[1], BLK, BLK);
	xt_cb_set_op(&cbs[2], LIO_READ, -1, buf[2], BLK, 0);
	xt_cb_set_op(&cbs[3], LIO_WRITE, fd, buf[3], BLK, 3 * BLK);
	XT_ASSERT_ERRNO(lio_listio(LIO_WAIT, list, 4, NULL), EIO);
	XT_ASSERT_EQ(aio_error(&cbs[2]), EBADF);
	XT_ASSERT_EQ(aio_return(&cbs[2]), -1);
	for (int i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		XT_ASSERT_EQ(aio_error(&cbs[i]), 0);
		XT_ASSERT_EQ(aio_return(&cbs[i]), BLK);
	}
	xt_fill_pattern(want, BLK, BLK);
	XT_ASSERT_MEM_EQ(buf[1], want, BLK);
	XT_ASSERT_EQ(pread(fd, got, BLK, 0), BLK);
	XT_ASSERT_MEM_EQ(got, buf[0], BLK);
	XT_ASSERT_EQ(pread(fd, got, BLK, 3 * BLK), BLK);
	XT_ASSERT_MEM_EQ(got, buf[3], BLK);
	close(fd);
	return XT_PASS;
}

/*
 * Opcodes 3, 4 (glibc's internal LIO_DSYNC/LIO_SYNC) and 7 among writes:
 * those entries fail with EINVAL and never run; LIO_WAIT → -1/EIO.  glibc
 * (G10) runs fdatasync/fsync for 3 and 4 and reports 0 for them.
 */
static int listio_invalid_opcodes(void)
{
	static const int ops[3] = {3, 4, 7};
	static unsigned char good[BLK], bad[BLK];
	static struct aiocb gcb, bcb[3];
	struct aiocb *list[4] = {&bcb[0], &gcb, &bcb[1], &bcb[2]};
	unsigned char got[BLK];
	int gfd, bfd[3], fails = 0;
	char name[16];

	XT_REQUIRE_BACKEND();
	gfd = xt_make_file("op-good", BLK, 0);
	XT_ASSERT(gfd >= 0);
	memset(good, 0x33, sizeof(good));
	memset(bad, 0xee, sizeof(bad));
	xt_cb_set_op(&gcb, LIO_WRITE, gfd, good, BLK, 0);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "op-%d", ops[i]);
		bfd[i] = xt_make_file(name, BLK, 0);
		XT_ASSERT(bfd[i] >= 0);
		xt_cb_set_op(&bcb[i], ops[i], bfd[i], bad, BLK, 0);
	}
	XT_ASSERT_ERRNO(lio_listio(LIO_WAIT, list, 4, NULL), EIO);
	XT_ASSERT_EQ(aio_error(&gcb), 0);
	XT_ASSERT_EQ(aio_return(&gcb), BLK);
	XT_ASSERT_EQ(pread(gfd, got, BLK, 0), BLK);
	XT_ASSERT_MEM_EQ(got, good, BLK);
	xt_sleep_ms(20);
	for (int i = 0; i < 3; i++) {
		int err = aio_error(&bcb[i]);
		ssize_t ret = aio_return(&bcb[i]);

		if (err != EINVAL || ret != -1) {
			fprintf(stderr,
				"opcode %d: aio_error %d (%s) aio_return %zd, "
				"want EINVAL and -1\n",
				ops[i], err, strerror(err), ret);
			fails++;
		}
		if (!file_is_pattern(bfd[i], BLK)) {
			fprintf(stderr, "opcode %d: the file was written\n",
				ops[i]);
			fails++;
		}
		close(bfd[i]);
	}
	close(gfd);
	XT_ASSERT_EQ(fails, 0);
	return XT_PASS;
}

#define NSIG_REQ 8

/* Per-aiocb SIGEV_SIGNAL fires for every entry in LIO_WAIT mode too. */
static int listio_wait_per_aiocb_signals(void)
{
	static unsigned char buf[NSIG_REQ][BLK];
	static struct aiocb cbs[NSIG_REQ];
	struct aiocb *list[NSIG_REQ];
	struct sigcatch sc;
	int seen[NSIG_REQ] = {0}, count = 0, extra = 0, badinfo = 0;
	siginfo_t si;
	int fd, r;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("sigwait", NSIG_REQ * BLK, 0);
	XT_ASSERT(fd >= 0);
	for (int i = 0; i < NSIG_REQ; i++) {
		memset(buf[i], 0x40 + i, BLK);
		xt_cb_set_op(&cbs[i], i % 2 ? LIO_READ : LIO_WRITE, fd, buf[i],
			     BLK, (off_t)i * BLK);
		cbs[i].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		cbs[i].aio_sigevent.sigev_signo = SIGRTMIN + 3;
		cbs[i].aio_sigevent.sigev_value.sival_int = i;
		list[i] = &cbs[i];
	}
	sigcatch_begin(&sc, SIGRTMIN + 3);
	r = lio_listio(LIO_WAIT, list, NSIG_REQ, NULL);
	while (count < NSIG_REQ && sigcatch_wait(&sc, &si, 2000)) {
		int v = si.si_value.sival_int;

		if (si.si_code != SI_ASYNCIO || v < 0 || v >= NSIG_REQ) {
			badinfo++;
			continue;
		}
		if (seen[v]++)
			extra++;
		count++;
	}
	while (sigcatch_wait(&sc, &si, 100))
		extra++;
	sigcatch_end(&sc);
	close(fd);
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_EQ(badinfo, 0);
	XT_ASSERT_EQ(extra, 0);
	XT_ASSERT_EQ(count, NSIG_REQ);
	for (int i = 0; i < NSIG_REQ; i++) {
		XT_ASSERT_EQ(seen[i], 1);
		XT_ASSERT_EQ(aio_error(&cbs[i]), 0);
	}
	return XT_PASS;
}

#define LIST_VALUE 1000

struct nowait_ctx {
	int fd;
	int p[2];
	unsigned char buf[5][BLK];
	struct aiocb cbs[5]; /* 0-3 writes to fd, 4 a read of the pipe */
	struct aiocb *list[5];
};

static int nowait_setup(struct nowait_ctx *c, const char *name, int signo)
{
	memset(c, 0, sizeof(*c));
	c->p[0] = c->p[1] = -1;
	c->fd = xt_make_file(name, 4 * BLK, 0);
	if (c->fd < 0 || pipe(c->p))
		return -1;
	for (int i = 0; i < 5; i++) {
		memset(c->buf[i], 0x50 + i, BLK);
		if (i < 4)
			xt_cb_set_op(&c->cbs[i], LIO_WRITE, c->fd, c->buf[i],
				     BLK, (off_t)i * BLK);
		else
			xt_cb_set_op(&c->cbs[i], LIO_READ, c->p[0], c->buf[i],
				     BLK, 0);
		if (signo) {
			c->cbs[i].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
			c->cbs[i].aio_sigevent.sigev_signo = signo;
			c->cbs[i].aio_sigevent.sigev_value.sival_int = i;
		}
		c->list[i] = &c->cbs[i];
	}
	return 0;
}

/* Completes the pipe read if needed, waits for every entry, closes. */
static int nowait_finish(struct nowait_ctx *c, int submitted)
{
	int r = 0;

	if (submitted) {
		if (aio_error(&c->cbs[4]) == EINPROGRESS &&
		    write(c->p[1], "x", 1) != 1)
			r = -1;
		for (int i = 0; i < 5; i++)
			if (xt_cb_poll(&c->cbs[i], 3000)) {
				fprintf(stderr, "entry %d never completed\n",
					i);
				return -1; /* leave the fds: still in use */
			}
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->p[0] >= 0)
		close(c->p[0]);
	if (c->p[1] >= 0)
		close(c->p[1]);
	return r;
}

static int nowait_signals_body(struct nowait_ctx *c, struct sigcatch *sc,
			       int *submitted)
{
	struct sigevent sev;
	int seen[5] = {0}, lists = 0, bad = 0, notdone = 0;
	int64_t end;
	siginfo_t si;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sc->signo;
	sev.sigev_value.sival_int = LIST_VALUE;
	XT_ASSERT_OK(lio_listio(LIO_NOWAIT, c->list, 5, &sev));
	*submitted = 1;

	/* Phase 1: the four writes complete, the pipe read cannot. */
	end = xt_now_ms() + 2000;
	while (seen[0] + seen[1] + seen[2] + seen[3] < 4 && xt_now_ms() < end) {
		if (!sigcatch_wait(sc, &si, 50))
			continue;
		if (si.si_code != SI_ASYNCIO)
			bad++;
		else if (si.si_value.sival_int == LIST_VALUE)
			lists++;
		else if (si.si_value.sival_int >= 0 &&
			 si.si_value.sival_int < 5)
			seen[si.si_value.sival_int]++;
		else
			bad++;
	}
	while (sigcatch_wait(sc, &si, 100)) {
		if (si.si_value.sival_int == LIST_VALUE)
			lists++;
		else
			bad++;
	}
	XT_ASSERT_EQ(bad, 0);
	XT_ASSERT_EQ(lists, 0); /* not before the last entry completed */
	for (int i = 0; i < 4; i++)
		XT_ASSERT_EQ(seen[i], 1);
	XT_ASSERT_EQ(seen[4], 0);
	XT_ASSERT_EQ(aio_error(&c->cbs[4]), EINPROGRESS);

	/* Phase 2: complete the read; its signal and the list's follow. */
	XT_ASSERT_EQ(write(c->p[1], "done", 4), 4);
	end = xt_now_ms() + 2000;
	while ((!lists || !seen[4]) && xt_now_ms() < end) {
		if (!sigcatch_wait(sc, &si, 50))
			continue;
		if (si.si_code != SI_ASYNCIO) {
			bad++;
		} else if (si.si_value.sival_int == LIST_VALUE) {
			lists++;
			for (int i = 0; i < 5; i++)
				if (aio_error(&c->cbs[i]) == EINPROGRESS)
					notdone++;
		} else if (si.si_value.sival_int == 4) {
			seen[4]++;
		} else {
			bad++;
		}
	}
	/* Then nothing more. */
	while (sigcatch_wait(sc, &si, 200))
		bad++;
	XT_ASSERT_EQ(bad, 0);
	XT_ASSERT_EQ(notdone, 0);
	XT_ASSERT_EQ(lists, 1);
	XT_ASSERT_EQ(seen[4], 1);
	for (int i = 0; i < 5; i++)
		XT_ASSERT_EQ(aio_error(&c->cbs[i]), 0);
	XT_ASSERT_EQ(aio_return(&c->cbs[4]), 4);
	XT_ASSERT_MEM_EQ(c->buf[4], "done", 4);
	return XT_PASS;
}

/*
 * LIO_NOWAIT with a list SIGEV_SIGNAL and per-entry SIGEV_SIGNAL: one
 * signal per entry, exactly one list signal after all entries completed,
 * nothing more within 200 ms.
 */
static int listio_nowait_signals(void)
{
	static struct nowait_ctx c;
	struct sigcatch sc;
	int r, submitted = 0;

	XT_REQUIRE_BACKEND();
	if (nowait_setup(&c, "nowait-sig", SIGRTMIN + 4)) {
		nowait_finish(&c, 0);
		return XT_FAIL;
	}
	sigcatch_begin(&sc, SIGRTMIN + 4);
	r = nowait_signals_body(&c, &sc, &submitted);
	if (nowait_finish(&c, submitted))
		r = XT_FAIL;
	sigcatch_end(&sc);
	return r;
}

static atomic_int list_cb_calls;
static atomic_int list_cb_notdone;
static struct nowait_ctx thread_ctx;

static void list_cb(union sigval v)
{
	XT_CHECK(v.sival_int == LIST_VALUE);
	for (int i = 0; i < 5; i++)
		if (aio_error(&thread_ctx.cbs[i]) == EINPROGRESS)
			atomic_fetch_add(&list_cb_notdone, 1);
	atomic_fetch_add(&list_cb_calls, 1);
}

static int nowait_thread_body(struct nowait_ctx *c, int *submitted)
{
	struct sigevent sev;
	int64_t end;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = list_cb;
	sev.sigev_value.sival_int = LIST_VALUE;
	atomic_store(&list_cb_calls, 0);
	atomic_store(&list_cb_notdone, 0);
	XT_ASSERT_OK(lio_listio(LIO_NOWAIT, c->list, 5, &sev));
	*submitted = 1;
	for (int i = 0; i < 4; i++)
		XT_ASSERT_EQ(xt_cb_poll(&c->cbs[i], 2000), 0);
	xt_sleep_ms(100);
	XT_ASSERT_EQ(ld(&list_cb_calls), 0); /* read still open */
	XT_ASSERT_EQ(write(c->p[1], "done", 4), 4);
	end = xt_now_ms() + 2000;
	while (atomic_load(&list_cb_calls) == 0 && xt_now_ms() < end)
		xt_sleep_ms(1);
	xt_sleep_ms(200);
	XT_ASSERT_EQ(ld(&list_cb_calls), 1);
	XT_ASSERT_EQ(ld(&list_cb_notdone), 0);
	for (int i = 0; i < 5; i++)
		XT_ASSERT_EQ(aio_error(&c->cbs[i]), 0);
	return XT_PASS;
}

/* LIO_NOWAIT with SIGEV_THREAD list notification: called exactly once. */
static int listio_nowait_thread(void)
{
	int r, submitted = 0;

	XT_REQUIRE_BACKEND();
	if (nowait_setup(&thread_ctx, "nowait-thr", 0)) {
		nowait_finish(&thread_ctx, 0);
		return XT_FAIL;
	}
	r = nowait_thread_body(&thread_ctx, &submitted);
	if (nowait_finish(&thread_ctx, submitted))
		r = XT_FAIL;
	return r;
}

static int empty_body(struct sigcatch *sc)
{
	struct aiocb *nulls[3] = {NULL, NULL, NULL};
	struct sigevent sev;
	siginfo_t si;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sc->signo;
	for (int variant = 0; variant < 2; variant++) {
		int nent = variant ? 3 : 0;

		sev.sigev_value.sival_int = 500 + variant;
		XT_ASSERT_OK(lio_listio(LIO_NOWAIT, nulls, nent, &sev));
		if (!sigcatch_wait(sc, &si, 1000)) {
			fprintf(stderr, "no list signal for nent %d\n", nent);
			return XT_FAIL;
		}
		XT_ASSERT_EQ(si.si_value.sival_int, 500 + variant);
		XT_ASSERT_EQ(si.si_code, SI_ASYNCIO);
		XT_ASSERT(!sigcatch_wait(sc, &si, 100));
	}
	return XT_PASS;
}

/* LIO_NOWAIT with nothing to do (nent 0, all NULL): the signal comes. */
static int listio_nowait_empty_signal(void)
{
	struct sigcatch sc;
	int r;

	XT_REQUIRE_BACKEND();
	sigcatch_begin(&sc, SIGRTMIN + 5);
	r = empty_body(&sc);
	sigcatch_end(&sc);
	return r;
}

/* A thread blocked in lio_listio(LIO_WAIT) on one pipe read. */
struct lwaiter {
	struct aiocb cb;
	char buf[64];
	atomic_int asleep, cleaned, returned;
};

static void lwaiter_cleanup(void *arg)
{
	struct lwaiter *w = arg;

	atomic_store(&w->cleaned, 1);
}

static void *lwaiter_main(void *arg)
{
	struct lwaiter *w = arg;
	struct aiocb *list[1] = {&w->cb};

	pthread_cleanup_push(lwaiter_cleanup, w);
	atomic_store(&w->asleep, 1);
	lio_listio(LIO_WAIT, list, 1, NULL);
	atomic_store(&w->returned, 1);
	pthread_cleanup_pop(0);
	return NULL;
}

static int cancel_body(struct lwaiter *w, int p[2])
{
	pthread_t t;
	void *ret = NULL;

	XT_ASSERT_EQ(xt_start_thread(&t, lwaiter_main, w), 0);
	XT_ASSERT_EQ(xt_wait_count(&w->asleep, 1, 3000), 1);
	xt_sleep_ms(50); /* asleep in the engine */
	XT_ASSERT_EQ(pthread_cancel(t), 0);
	XT_ASSERT_EQ(xt_join_within(t, 3000, &ret), 0);
	XT_ASSERT(ret == PTHREAD_CANCELED);
	XT_ASSERT_EQ(ld(&w->cleaned), 1);
	XT_ASSERT_EQ(ld(&w->returned), 0);
	XT_ASSERT_EQ(aio_error(&w->cb), EINPROGRESS);
	/* The member completes normally (its list is freed: ASan checks). */
	XT_ASSERT_EQ(write(p[1], "after", 5), 5);
	XT_ASSERT_EQ(xt_cb_poll(&w->cb, 3000), 0);
	XT_ASSERT_EQ(aio_error(&w->cb), 0);
	XT_ASSERT_EQ(aio_return(&w->cb), 5);
	XT_ASSERT_MEM_EQ(w->buf, "after", 5);
	return XT_PASS;
}

/*
 * LIO_WAIT is a cancellation point (POSIX allows it; glibc's is one): the
 * thread ends with PTHREAD_CANCELED after its cleanup handler, and the
 * member it waited for completes afterwards.
 */
static int listio_wait_cancel(void)
{
	static struct lwaiter w;
	int p[2], r;

	XT_REQUIRE_BACKEND();
	memset(&w, 0, sizeof(w));
	XT_ASSERT_OK(pipe(p));
	xt_cb_set_op(&w.cb, LIO_READ, p[0], w.buf, sizeof(w.buf), 0);
	r = cancel_body(&w, p);
	if (aio_error(&w.cb) == EINPROGRESS) {
		/* Leave no read pending on the pipe. */
		if (write(p[1], "x", 1) == 1)
			xt_cb_poll(&w.cb, 2000);
	}
	close(p[0]);
	close(p[1]);
	return r;
}

static int plug_pipe[2];
static struct aiocb plug_a;
static volatile sig_atomic_t plug_ran, plug_ret = -2;

/* Makes A's data available, then waits for A (aio_suspend is AS-safe). */
static void plug_handler(int sig)
{
	const struct aiocb *list[1] = {&plug_a};
	struct timespec ts = {3, 0};
	int saved = errno;

	(void)sig;
	plug_ran = 1;
	if (write(plug_pipe[1], "x", 1) == 1)
		plug_ret = aio_suspend(list, 1, &ts);
	errno = saved;
}

/*
 * A pipe read (A) and a read of cached data (B) in one list; B's signal
 * goes to this thread and may arrive while lio_listio still batches the
 * list's submissions (B is done at once when its data is cached).  The
 * handler waits for A: A must have reached the kernel by then.
 */
static int listio_handler_waits_on_member(void)
{
	static char abuf[8], bbuf[512];
	struct aiocb b, *list[2] = {&plug_a, &b};
	struct sigaction sa = {.sa_handler = plug_handler}, old;
	int64_t end;
	int fd, tmp, r = XT_PASS;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("lh", 4096, 0);
	XT_ASSERT_GE(fd, 0);
	/* A number no other case used: its page-cache hint starts afresh. */
	tmp = fd;
	fd = fcntl(tmp, F_DUPFD, 777);
	close(tmp);
	XT_ASSERT_GE(fd, 777);
	XT_ASSERT_EQ(pread(fd, bbuf, sizeof(bbuf), 0), (ssize_t)sizeof(bbuf));
	XT_ASSERT_OK(pipe(plug_pipe));
	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(SIGRTMIN + 2, &sa, &old));
	plug_ran = 0;
	plug_ret = -2;
	xt_cb_set_op(&plug_a, LIO_READ, plug_pipe[0], abuf, 1, 0);
	xt_cb_set_op(&b, LIO_READ, fd, bbuf, sizeof(bbuf), 0);
	b.aio_sigevent.sigev_notify = SIGEV_THREAD_ID;
	b.aio_sigevent._sigev_un._tid = gettid();
	b.aio_sigevent.sigev_signo = SIGRTMIN + 2;
	XT_ASSERT_OK(lio_listio(LIO_NOWAIT, list, 2, NULL));
	end = xt_now_ms() + 5000;
	while (!plug_ran && xt_now_ms() < end)
		xt_sleep_ms(1);
	if (!plug_ran || plug_ret != 0 || aio_error(&plug_a) != 0 ||
	    aio_return(&plug_a) != 1)
		r = XT_FAIL;
	xt_cb_poll(&b, 2000);
	sigaction(SIGRTMIN + 2, &old, NULL);
	if (aio_error(&plug_a) == EINPROGRESS &&
	    write(plug_pipe[1], "x", 1) == 1)
		xt_cb_poll(&plug_a, 2000);
	close(plug_pipe[0]);
	close(plug_pipe[1]);
	close(fd);
	XT_ASSERT_EQ(plug_ran, 1);
	XT_ASSERT_EQ(plug_ret, 0);
	return r;
}

/*
 * LIO_NOWAIT with ten cached reads of 8 MiB: the call hands them over and
 * returns; it does not copy 80 MiB itself first.  On 58309d6 the ring
 * copied them inside io_uring_enter, so all ten were done when it
 * returned; now a read this large goes to the kernel's workers.  (Not a
 * timing test: the 80 MiB copy still takes milliseconds after return.)
 */
static int listio_nowait_large_cached(void)
{
	enum { N = 10, LEN = 8 << 20 };
	static struct aiocb cbs[N];
	struct aiocb *list[N];
	unsigned char *bufs, *warm;
	int fd, pending = 0;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("large", LEN, 0);
	XT_ASSERT_GE(fd, 0);
	bufs = malloc((size_t)N * LEN);
	warm = malloc(LEN);
	XT_ASSERT(bufs && warm);
	XT_ASSERT_EQ(pread(fd, warm, LEN, 0), LEN); /* in the page cache */
	for (int i = 0; i < N; i++) {
		xt_cb_set_op(&cbs[i], LIO_READ, fd, bufs + (size_t)i * LEN, LEN,
			     0);
		list[i] = &cbs[i];
	}
	XT_ASSERT_OK(lio_listio(LIO_NOWAIT, list, N, NULL));
	for (int i = 0; i < N; i++)
		pending += aio_error(&cbs[i]) == EINPROGRESS;
	for (int i = 0; i < N; i++) {
		XT_ASSERT_EQ(xt_cb_wait(&cbs[i], 10000), 0);
		XT_ASSERT_EQ(aio_return(&cbs[i]), LEN);
		XT_ASSERT_MEM_EQ(bufs + (size_t)i * LEN, warm, LEN);
	}
	XT_ASSERT_GT(pending, 0);
	free(bufs);
	free(warm);
	close(fd);
	return XT_PASS;
}

static struct xt_case cases[] = {
	/* Forked cases first (see the comment at the top). */
	{"listio_eintr_then_complete", listio_eintr_then_complete},
	{"listio_huge_nent", listio_huge_nent},
	{"listio_nowait_large_cached", listio_nowait_large_cached},
	{"listio_nent_negative", listio_nent_negative},
	{"listio_bad_mode", listio_bad_mode},
	{"listio_nent_zero_wait", listio_nent_zero_wait},
	{"listio_null_nop_ignored", listio_null_nop_ignored},
	{"listio_wait_32", listio_wait_32},
	{"listio_wait_bad_fd", listio_wait_bad_fd},
	{"listio_invalid_opcodes", listio_invalid_opcodes},
	{"listio_wait_per_aiocb_signals", listio_wait_per_aiocb_signals},
	{"listio_nowait_signals", listio_nowait_signals},
	{"listio_nowait_empty_signal", listio_nowait_empty_signal},
	{"listio_nowait_thread", listio_nowait_thread},
	{"listio_wait_cancel", listio_wait_cancel},
	{"listio_handler_waits_on_member", listio_handler_waits_on_member},
};

XT_MAIN(cases)
