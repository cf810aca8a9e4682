// SPDX-License-Identifier: MIT
/*
 * aio_cancel(): argument checks in glibc's order (EBADF, then fd mismatch
 * EINVAL, then AIO_ALLDONE), finished and never-submitted requests, and
 * cancellation proper.  xaio runs writes to a pipe one at a time in
 * submission order, so behind a write blocked on a full pipe the next write
 * waits in xaio's queue: that one is cancellable (AIO_CANCELED, ECANCELED,
 * notification delivered, data never written).  The blocked one is
 * cancelled by the kernel on io_uring, and is in progress on the thread
 * pool (AIO_NOTCANCELED, untouched, completes normally).
 */
#include <aio.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "xtest.h"
#include "xaio-test.h"

/* Requests of the blocking cases; static so a failed case stays safe. */
enum { NREQ = 3, WLEN = 1000 };
static struct aiocb reqs[NREQ];
static unsigned char wbufs[NREQ][WLEN];
static unsigned char rbuf[64];

/* Notification counting: one counter per entry of reqs[]. */
static atomic_int sig_count[NREQ], sig_stray, sig_badcode;
static struct sigaction old_act;
static int sig_no;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code != SI_ASYNCIO)
		atomic_fetch_add(&sig_badcode, 1);
	for (int i = 0; i < NREQ; i++)
		if (si->si_value.sival_ptr == &reqs[i]) {
			atomic_fetch_add(&sig_count[i], 1);
			return;
		}
	atomic_fetch_add(&sig_stray, 1);
}

static int sig_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sig_no = SIGRTMIN + 2;
	for (int i = 0; i < NREQ; i++)
		atomic_store(&sig_count[i], 0);
	atomic_store(&sig_stray, 0);
	atomic_store(&sig_badcode, 0);
	return sigaction(sig_no, &sa, &old_act);
}

static void reset_reqs(void)
{
	memset(reqs, 0, sizeof(reqs));
	for (int i = 0; i < NREQ; i++)
		memset(wbufs[i], 'A' + i, WLEN);
}

/*
 * Reads from rfd until the pipe has been empty for quiet_ms after every
 * request in reqs[0..n) has left EINPROGRESS, or until deadline ms.
 * Appends at most cap bytes to out; returns the number of bytes read.
 */
static size_t drain(int rfd, unsigned char *out, size_t cap, int n,
		    int quiet_ms, int ms)
{
	int64_t end = xt_now_ms() + ms, quiet_since = -1;
	unsigned char tmp[4096];
	size_t got = 0;

	while (xt_now_ms() < end) {
		struct pollfd pfd = {.fd = rfd, .events = POLLIN};
		int busy = 0;
		ssize_t r;

		for (int i = 0; i < n; i++)
			busy |= aio_error(&reqs[i]) == EINPROGRESS;
		if (poll(&pfd, 1, 5) > 0 &&
		    (r = read(rfd, tmp, sizeof(tmp))) > 0) {
			size_t k = (size_t)r;

			if (out && got < cap)
				memcpy(out + got, tmp,
				       k < cap - got ? k : cap - got);
			got += k;
			quiet_since = -1;
			continue;
		}
		if (busy) {
			quiet_since = -1;
			continue;
		}
		if (quiet_since < 0)
			quiet_since = xt_now_ms();
		else if (xt_now_ms() - quiet_since >= quiet_ms)
			break;
	}
	return got;
}

/* Ends a blocking case: drain, let every notification arrive, restore. */
static void finish(int p[2], int nsig)
{
	drain(p[0], NULL, 0, NREQ, 10, 3000);
	for (int i = 0; i < nsig; i++)
		xt_wait_count(&sig_count[i], 1, 1000);
	close(p[1]);
	close(p[0]);
	if (sig_no)
		sigaction(sig_no, &old_act, NULL);
	sig_no = 0;
}

static int t_bad_fd(void)
{
	struct aiocb cb;
	int fd, bad;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("badfd", 100, 0);
	XT_ASSERT_GE(fd, 0);
	bad = xt_closed_fd();
	XT_ASSERT_GE(bad, 0);
	XT_ASSERT_ERRNO(aio_cancel(-1, NULL), EBADF);
	XT_ASSERT_ERRNO(aio_cancel(bad, NULL), EBADF);
	/* EBADF wins over the fd mismatch. */
	xt_cb_set(&cb, fd, rbuf, 10, 0);
	XT_ASSERT_ERRNO(aio_cancel(-1, &cb), EBADF);
	XT_ASSERT_ERRNO(aio_cancel(bad, &cb), EBADF);
	xt_cb_set(&cb, bad, rbuf, 10, 0);
	XT_ASSERT_ERRNO(aio_cancel(bad, &cb), EBADF);
	xt_cb_set(&cb, -1, rbuf, 10, 0);
	XT_ASSERT_ERRNO(aio_cancel(-1, &cb), EBADF);
	close(fd);
	return XT_PASS;
}

/* The checks on a request in flight leave it alone. */
static int mismatch_body(int p[2], int fd)
{
	xt_cb_set(&reqs[0], p[0], rbuf, sizeof(rbuf), 0);
	XT_ASSERT_OK(aio_read(&reqs[0]));
	XT_ASSERT_ERRNO(aio_cancel(fd, &reqs[0]), EINVAL);
	XT_ASSERT_ERRNO(aio_cancel(p[1], &reqs[0]), EINVAL);
	XT_ASSERT_ERRNO(aio_cancel(-1, &reqs[0]), EBADF);
	XT_ASSERT_EQ(aio_error(&reqs[0]), EINPROGRESS);
	XT_ASSERT_EQ(write(p[1], "data", 4), 4);
	XT_ASSERT_EQ(xt_cb_wait(&reqs[0], 2000), 0);
	XT_ASSERT_EQ(aio_return(&reqs[0]), 4);
	XT_ASSERT_MEM_EQ(rbuf, "data", 4);
	return XT_PASS;
}

static int t_fd_mismatch(void)
{
	struct aiocb cb;
	int fd, fd2, p[2], r;

	XT_REQUIRE_BACKEND();
	reset_reqs();
	fd = xt_make_file("mismatch", 100, 0);
	XT_ASSERT_GE(fd, 0);
	fd2 = xt_make_file("mismatch2", 100, 0);
	XT_ASSERT_GE(fd2, 0);
	/* Never submitted: the mismatch is checked before "all done". */
	xt_cb_set(&cb, fd, rbuf, 10, 0);
	XT_ASSERT_ERRNO(aio_cancel(fd2, &cb), EINVAL);
	XT_ASSERT_OK(pipe(p));
	XT_ASSERT_ERRNO(aio_cancel(p[0], &cb), EINVAL);
	r = mismatch_body(p, fd);
	close(p[1]); /* EOF for the read if it is still waiting. */
	xt_cb_wait(&reqs[0], 2000);
	close(p[0]);
	close(fd2);
	close(fd);
	return r;
}

static int t_never_submitted(void)
{
	struct aiocb cb, snap;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("never", 100, 0);
	XT_ASSERT_GE(fd, 0);
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = fd;
	snap = cb;
	XT_ASSERT_EQ(aio_cancel(fd, &cb), AIO_ALLDONE);
	XT_ASSERT_MEM_EQ(&cb, &snap, sizeof(cb));
	XT_ASSERT_EQ(aio_error(&cb), 0);
	close(fd);
	return XT_PASS;
}

static int t_completed(void)
{
	struct aiocb cb, snap;
	unsigned char buf[100];
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("done", 100, 0);
	XT_ASSERT_GE(fd, 0);
	xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), 100);
	snap = cb;
	XT_ASSERT_EQ(aio_cancel(fd, &cb), AIO_ALLDONE);
	XT_ASSERT_MEM_EQ(&cb, &snap, sizeof(cb));
	XT_ASSERT_EQ(aio_error(&cb), 0);
	XT_ASSERT_EQ(aio_return(&cb), 100);

	/* A request that finished with an error keeps it. */
	xt_cb_set(&cb, fd, buf, sizeof(buf), -1);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), EINVAL);
	snap = cb;
	XT_ASSERT_EQ(aio_cancel(fd, &cb), AIO_ALLDONE);
	XT_ASSERT_MEM_EQ(&cb, &snap, sizeof(cb));
	XT_ASSERT_EQ(aio_error(&cb), EINVAL);
	XT_ASSERT_EQ(aio_return(&cb), -1);
	close(fd);
	return XT_PASS;
}

static void ignore_signal(int sig)
{
	(void)sig;
}

/*
 * Every request on the fd has finished (aio_error says so) when
 * aio_cancel(fd, NULL) runs: AIO_ALLDONE, also while the completing thread
 * is still delivering the notification (a system call, so the window is
 * wide; most iterations fell into it on the thread pool).
 */
static int t_all_done_while_notifying(void)
{
	struct sigaction sa = {.sa_handler = ignore_signal};
	unsigned char buf[512];
	struct aiocb cb;
	int64_t end;
	int fd, notcanceled = 0, other = 0;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("alldone", 0, 0);
	XT_ASSERT_GE(fd, 0);
	sigemptyset(&sa.sa_mask);
	/*
	 * Left installed: a notification may still be on its way when the
	 * case returns, and nothing else in this program uses the signal.
	 */
	XT_ASSERT_OK(sigaction(SIGRTMIN + 3, &sa, NULL));
	memset(buf, 'a', sizeof(buf));
	for (int i = 0; i < 300; i++) {
		xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
		cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		cb.aio_sigevent.sigev_signo = SIGRTMIN + 3;
		XT_ASSERT_OK(aio_write(&cb));
		/* Spin, not sleep: cancel at once after the status changes. */
		end = xt_now_ms() + 5000;
		while (aio_error(&cb) == EINPROGRESS && xt_now_ms() < end)
			;
		XT_ASSERT_EQ(aio_return(&cb), (ssize_t)sizeof(buf));
		switch (aio_cancel(fd, NULL)) {
		case AIO_ALLDONE:
			break;
		case AIO_NOTCANCELED:
			notcanceled++;
			break;
		default:
			other++;
		}
	}
	close(fd);
	XT_ASSERT_EQ(notcanceled, 0);
	XT_ASSERT_EQ(other, 0);
	return XT_PASS;
}

static int t_nothing_outstanding(void)
{
	struct aiocb cb;
	unsigned char buf[10];
	int fd, p[2];

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("idle", 100, 0);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_EQ(aio_cancel(fd, NULL), AIO_ALLDONE);
	xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_cancel(fd, NULL), AIO_ALLDONE);
	XT_ASSERT_EQ(aio_return(&cb), sizeof(buf));
	close(fd);
	XT_ASSERT_OK(pipe(p));
	XT_ASSERT_EQ(aio_cancel(p[0], NULL), AIO_ALLDONE);
	XT_ASSERT_EQ(aio_cancel(p[1], NULL), AIO_ALLDONE);
	close(p[0]);
	close(p[1]);
	return XT_PASS;
}

/* Submits reqs[0..n) as writes of WLEN bytes to wfd with SIGEV_SIGNAL. */
static int submit_writes(int wfd, int n)
{
	for (int i = 0; i < n; i++) {
		xt_cb_set(&reqs[i], wfd, wbufs[i], WLEN, 0);
		reqs[i].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		reqs[i].aio_sigevent.sigev_signo = sig_no;
		reqs[i].aio_sigevent.sigev_value.sival_ptr = &reqs[i];
		if (aio_write(&reqs[i])) {
			fprintf(stderr, "aio_write %d: %s\n", i,
				strerror(errno));
			return -1;
		}
	}
	/* Give the first write time to start (and block). */
	xt_cb_wait(&reqs[0], 50);
	return 0;
}

/*
 * On io_uring a request blocked in the kernel on a pipe is cancelled there
 * (IORING_REGISTER_SYNC_CANCEL); a pool worker blocked in write(2) or
 * read(2) cannot be interrupted.
 */
static bool kernel_cancels(void)
{
	return !strcmp(xt_backend(), "uring");
}

/*
 * After the cancels: drain the pipe, which must then hold the fill bytes
 * and, unless it was cancelled too, reqs[0]'s data, reqs[0] then complete
 * in full; either way reqs[0] is notified once.
 */
static int check_first(int p[2], ssize_t filled, bool written)
{
	static unsigned char got[128 * 1024];
	size_t n;

	n = drain(p[0], got, sizeof(got), NREQ, 100, 3000);
	XT_ASSERT_EQ(xt_cb_wait(&reqs[0], 3000), written ? 0 : ECANCELED);
	XT_ASSERT_EQ(aio_return(&reqs[0]), written ? WLEN : -1);
	XT_ASSERT_EQ(n, filled + (written ? WLEN : 0));
	for (ssize_t i = 0; i < filled; i++)
		XT_ASSERT_EQ(got[i], 'f');
	if (written)
		XT_ASSERT_MEM_EQ(got + filled, wbufs[0], WLEN);
	XT_ASSERT_EQ(xt_wait_count(&sig_count[0], 1, 1000), 1);
	return XT_PASS;
}

/* reqs[0], blocked in the kernel or on a worker, after aio_cancel said r. */
static int check_blocked(int r, const struct aiocb *snap)
{
	if (kernel_cancels()) {
		XT_ASSERT_EQ(r, AIO_CANCELED);
		XT_ASSERT_EQ(aio_error(&reqs[0]), ECANCELED);
		return XT_PASS;
	}
	/* Not cancelled, not touched. */
	XT_ASSERT_EQ(r, AIO_NOTCANCELED);
	XT_ASSERT_EQ(aio_error(&reqs[0]), EINPROGRESS);
	if (snap)
		XT_ASSERT_MEM_EQ(&reqs[0], snap, sizeof(*snap));
	XT_ASSERT_EQ(atomic_load(&sig_count[0]), 0);
	return XT_PASS;
}

static int queued_body(int p[2])
{
	struct aiocb snap;
	ssize_t filled;

	filled = xt_fill_pipe(p[1]);
	XT_ASSERT_GT(filled, 0);
	XT_ASSERT_OK(submit_writes(p[1], 2));
	XT_ASSERT_EQ(aio_error(&reqs[0]), EINPROGRESS);
	XT_ASSERT_EQ(aio_error(&reqs[1]), EINPROGRESS);

	/* B waits in the queue: cancelled, and notified exactly once. */
	XT_ASSERT_EQ(aio_cancel(p[1], &reqs[1]), AIO_CANCELED);
	XT_ASSERT_EQ(aio_error(&reqs[1]), ECANCELED);
	XT_ASSERT_EQ(aio_return(&reqs[1]), -1);
	XT_ASSERT_EQ(xt_wait_count(&sig_count[1], 1, 2000), 1);
	XT_ASSERT_EQ(atomic_load(&sig_count[0]), 0);

	/* A is blocked in the write. */
	snap = reqs[0];
	XT_ASSERT_EQ(check_blocked(aio_cancel(p[1], &reqs[0]), &snap), XT_PASS);
	/* Cancelling B again: it is done. */
	XT_ASSERT_EQ(aio_cancel(p[1], &reqs[1]), AIO_ALLDONE);

	XT_ASSERT_EQ(check_first(p, filled, !kernel_cancels()), XT_PASS);
	XT_ASSERT_EQ(atomic_load(&sig_count[1]), 1);
	XT_ASSERT_EQ(atomic_load(&sig_stray), 0);
	XT_ASSERT_EQ(atomic_load(&sig_badcode), 0);
	return XT_PASS;
}

static int t_queued_write(void)
{
	int p[2], r;

	XT_REQUIRE_BACKEND();
	reset_reqs();
	XT_ASSERT_OK(pipe(p));
	if (sig_install()) {
		close(p[0]);
		close(p[1]);
		return XT_FAIL;
	}
	r = queued_body(p);
	finish(p, 2);
	return r;
}

static int all_body(int p[2])
{
	ssize_t filled;

	filled = xt_fill_pipe(p[1]);
	XT_ASSERT_GT(filled, 0);
	XT_ASSERT_OK(submit_writes(p[1], 3));
	for (int i = 0; i < 3; i++)
		XT_ASSERT_EQ(aio_error(&reqs[i]), EINPROGRESS);

	/* One running, two queued: those two go, the result says so. */
	XT_ASSERT_EQ(check_blocked(aio_cancel(p[1], NULL), NULL), XT_PASS);
	for (int i = 1; i < 3; i++) {
		XT_ASSERT_EQ(aio_error(&reqs[i]), ECANCELED);
		XT_ASSERT_EQ(aio_return(&reqs[i]), -1);
		XT_ASSERT_EQ(xt_wait_count(&sig_count[i], 1, 2000), 1);
	}

	XT_ASSERT_EQ(check_first(p, filled, !kernel_cancels()), XT_PASS);
	/* Everything is done now. */
	XT_ASSERT_EQ(aio_cancel(p[1], NULL), AIO_ALLDONE);
	for (int i = 1; i < 3; i++)
		XT_ASSERT_EQ(atomic_load(&sig_count[i]), 1);
	XT_ASSERT_EQ(atomic_load(&sig_stray), 0);
	XT_ASSERT_EQ(atomic_load(&sig_badcode), 0);
	return XT_PASS;
}

static int t_cancel_all_mixed(void)
{
	int p[2], r;

	XT_REQUIRE_BACKEND();
	reset_reqs();
	XT_ASSERT_OK(pipe(p));
	if (sig_install()) {
		close(p[0]);
		close(p[1]);
		return XT_FAIL;
	}
	r = all_body(p);
	finish(p, 3);
	return r;
}

/* A read blocked on an empty pipe is in progress: not cancelled. */
static int blocked_read_body(int p[2])
{
	struct aiocb snap;

	xt_cb_set(&reqs[0], p[0], rbuf, sizeof(rbuf), 0);
	reqs[0].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	reqs[0].aio_sigevent.sigev_signo = sig_no;
	reqs[0].aio_sigevent.sigev_value.sival_ptr = &reqs[0];
	XT_ASSERT_OK(aio_read(&reqs[0]));
	XT_ASSERT_EQ(xt_cb_wait(&reqs[0], 50), EINPROGRESS);
	snap = reqs[0];
	XT_ASSERT_EQ(check_blocked(aio_cancel(p[0], &reqs[0]), &snap), XT_PASS);
	if (kernel_cancels()) {
		/* Cancelled where it waited: notified once, reads nothing. */
		XT_ASSERT_EQ(aio_return(&reqs[0]), -1);
		XT_ASSERT_EQ(xt_wait_count(&sig_count[0], 1, 2000), 1);
		XT_ASSERT_EQ(aio_cancel(p[0], &reqs[0]), AIO_ALLDONE);
		XT_ASSERT_EQ(write(p[1], "still here", 10), 10);
		XT_ASSERT_EQ(read(p[0], rbuf, sizeof(rbuf)), 10);
		XT_ASSERT_EQ(atomic_load(&sig_count[0]), 1);
		return XT_PASS;
	}
	XT_ASSERT_EQ(check_blocked(aio_cancel(p[0], NULL), &snap), XT_PASS);

	XT_ASSERT_EQ(write(p[1], "still here", 10), 10);
	XT_ASSERT_EQ(xt_cb_wait(&reqs[0], 2000), 0);
	XT_ASSERT_EQ(aio_return(&reqs[0]), 10);
	XT_ASSERT_MEM_EQ(rbuf, "still here", 10);
	XT_ASSERT_EQ(xt_wait_count(&sig_count[0], 1, 2000), 1);
	return XT_PASS;
}

/*
 * aio_cancel(fd, NULL) on reads blocked in the kernel: on io_uring all are
 * cancelled (AIO_CANCELED), on the pool none (AIO_NOTCANCELED).
 */
static int blocked_all_body(int p[2])
{
	/* SIGEV_NONE: TSan merges signals that arrive together. */
	for (int i = 0; i < NREQ; i++) {
		xt_cb_set(&reqs[i], p[0], wbufs[i], 16, 0);
		XT_ASSERT_OK(aio_read(&reqs[i]));
	}
	XT_ASSERT_EQ(xt_cb_wait(&reqs[NREQ - 1], 50), EINPROGRESS);
	if (!kernel_cancels()) {
		XT_ASSERT_EQ(aio_cancel(p[0], NULL), AIO_NOTCANCELED);
		return XT_PASS;
	}
	XT_ASSERT_EQ(aio_cancel(p[0], NULL), AIO_CANCELED);
	for (int i = 0; i < NREQ; i++) {
		XT_ASSERT_EQ(aio_error(&reqs[i]), ECANCELED);
		XT_ASSERT_EQ(aio_return(&reqs[i]), -1);
	}
	XT_ASSERT_EQ(aio_cancel(p[0], NULL), AIO_ALLDONE);
	return XT_PASS;
}

static int blocked_case(int (*body)(int p[2]))
{
	int p[2], r;

	XT_REQUIRE_BACKEND();
	reset_reqs();
	XT_ASSERT_OK(pipe(p));
	if (sig_install()) {
		close(p[0]);
		close(p[1]);
		return XT_FAIL;
	}
	r = body(p);
	close(p[1]); /* EOF for the reads still waiting. */
	for (int i = 0; i < NREQ; i++)
		xt_cb_wait(&reqs[i], 2000);
	close(p[0]);
	sigaction(sig_no, &old_act, NULL);
	sig_no = 0;
	XT_ASSERT_EQ(atomic_load(&sig_stray), 0);
	XT_ASSERT_EQ(atomic_load(&sig_badcode), 0);
	return r;
}

static int t_blocked_read(void)
{
	return blocked_case(blocked_read_body);
}

static int t_blocked_all(void)
{
	return blocked_case(blocked_all_body);
}

/*
 * Reads of a regular file, O_DIRECT where the file system allows it, each
 * cancelled right after its submission, then all cancelled after all were
 * submitted (most of them in the kernel by then): whatever aio_cancel answers
 * must be what then happens.  AIO_CANCELED: ECANCELED, nothing read; not
 * cancelled: the whole block, with the file's bytes; AIO_ALLDONE: already
 * finished.
 */
enum { TN = 64, TBLK = 64 * 1024 };

static int truth_body(int fd, unsigned char *buf, struct aiocb *cbs, bool late)
{
	int said[TN], n[3] = {0, 0, 0};

	for (int i = 0; i < TN; i++) {
		xt_cb_set(&cbs[i], fd, buf + (size_t)i * TBLK, TBLK,
			  (off_t)i * TBLK);
		XT_ASSERT_OK(aio_read(&cbs[i]));
		if (!late)
			said[i] = aio_cancel(fd, &cbs[i]);
	}
	for (int i = 0; i < TN; i++) {
		if (late)
			said[i] = aio_cancel(fd, &cbs[i]);
		XT_ASSERT(said[i] == AIO_CANCELED ||
			  said[i] == AIO_NOTCANCELED || said[i] == AIO_ALLDONE);
		if (said[i] == AIO_CANCELED)
			XT_ASSERT_EQ(aio_error(&cbs[i]), ECANCELED);
		else if (said[i] == AIO_ALLDONE)
			XT_ASSERT(aio_error(&cbs[i]) != EINPROGRESS);
	}
	for (int i = 0; i < TN; i++) {
		int e = xt_cb_wait(&cbs[i], 10000);

		n[said[i]]++;
		if (said[i] == AIO_CANCELED) {
			XT_ASSERT_EQ(e, ECANCELED);
			XT_ASSERT_EQ(aio_return(&cbs[i]), -1);
			continue;
		}
		XT_ASSERT_EQ(e, 0);
		XT_ASSERT_EQ(aio_return(&cbs[i]), TBLK);
		for (size_t k = 0; k < TBLK; k += 512)
			XT_ASSERT_EQ(buf[(size_t)i * TBLK + k],
				     xt_pattern((uint64_t)i * TBLK + k));
	}
	printf("# %s: cancelled %d, not cancelled %d, all done %d\n",
	       late ? "after all" : "at once", n[AIO_CANCELED],
	       n[AIO_NOTCANCELED], n[AIO_ALLDONE]);
	return XT_PASS;
}

static int t_answers_are_true(void)
{
	static struct aiocb cbs[TN];
	unsigned char *buf;
	int fd, r;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("truth", (size_t)TN * TBLK, 0);
	XT_ASSERT_GE(fd, 0);
	close(fd);
	fd = open(xt_path("truth"), O_RDONLY | O_DIRECT);
	if (fd < 0)
		fd = open(xt_path("truth"), O_RDONLY);
	XT_ASSERT_GE(fd, 0);
	buf = xt_aligned(4096, (size_t)TN * TBLK);
	XT_ASSERT(buf != NULL);
	for (int late = 0; late < 2; late++) {
		r = truth_body(fd, buf, cbs, late);
		for (int i = 0; i < TN; i++)
			xt_cb_wait(&cbs[i], 10000);
		if (r != XT_PASS)
			break;
	}
	free(buf);
	close(fd);
	return r;
}

static struct xt_case cases[] = {
	{"bad_fd", t_bad_fd},
	{"fd_mismatch", t_fd_mismatch},
	{"never_submitted", t_never_submitted},
	{"completed", t_completed},
	{"nothing_outstanding", t_nothing_outstanding},
	{"all_done_while_notifying", t_all_done_while_notifying},
	{"queued_write", t_queued_write},
	{"cancel_all_mixed", t_cancel_all_mixed},
	{"blocked_read", t_blocked_read},
	{"blocked_all", t_blocked_all},
	{"answers_are_true", t_answers_are_true},
};

XT_MAIN(cases)
