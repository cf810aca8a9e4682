// SPDX-License-Identifier: MIT
/*
 * Batched submission (backend/uring.c, "Batching"): on a busy ring, a
 * request nobody is told about and nobody waits for is pushed to the SQ
 * and submitted with the next batch.  What must hold:
 *
 *  - it is submitted even if the program never calls into AIO again: by
 *    the watchdog, within milliseconds;
 *  - it acts on the file it was made on, even if the caller closes the
 *    descriptor and reuses its number before the batch is submitted;
 *  - it is not deferred when a thread is waiting (that thread might be
 *    waiting for it), when it has a notification, on an O_DIRECT
 *    descriptor (the device is the limit there), or with XAIO_BATCH=0;
 *  - a program that polls as fio does (many reads in flight, aio_error on
 *    each, resubmit) gets every byte right, with most of its reads batched;
 *  - batches of one request (submit one, wait for it) stop being made, and
 *    a burst of requests is batched again after them.
 *
 * Each case re-executes this program in a child mode with XAIO_VERBOSE=1;
 * the child checks results and data, the parent checks its exit report:
 * how many requests were batched (only ever on a ring without SQPOLL).
 */
#include <aio.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"

#define BLK 4096

static int pfd[2];
static unsigned char pbuf[16];
static struct aiocb pcb;

/* Makes the ring busy: a read of an empty pipe stays in flight. */
static int busy_ring(void)
{
	XT_ASSERT_OK(pipe(pfd));
	xt_cb_set(&pcb, pfd[0], pbuf, sizeof(pbuf), 0);
	XT_ASSERT_OK(aio_read(&pcb));
	XT_ASSERT_EQ(aio_error(&pcb), EINPROGRESS);
	return XT_PASS;
}

/* Completes the pipe read of busy_ring(). */
static int end_busy(void)
{
	XT_ASSERT_EQ(write(pfd[1], "x", 1), 1);
	XT_ASSERT_EQ(fx_wait(&pcb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&pcb), 1);
	close(pfd[0]);
	close(pfd[1]);
	return XT_PASS;
}

/* Has the file at fd received the pattern block at off? */
static bool landed(int fd, off_t off)
{
	unsigned char got[BLK], exp[BLK];

	xt_fill_pattern(exp, BLK, (uint64_t)off);
	return pread(fd, got, BLK, off) == BLK && !memcmp(got, exp, BLK);
}

static void *suspend_on_pipe(void *arg)
{
	const struct aiocb *list[1] = {&pcb};

	(void)arg;
	while (aio_error(&pcb) == EINPROGRESS)
		aio_suspend(list, 1, NULL);
	return NULL;
}

static pthread_t waiter;

/*
 * Makes the ring busy, then submits a write of the pattern block at 0 of
 * a new file (opened with flags too) through cb (sigev: its notification),
 * after starting a thread that waits for the busy ring's request if wait.
 * The fd, or -1 (-2: the file system refuses the flags).
 */
static int busy_then_write_fl(const char *name, int flags, struct aiocb *cb,
			      const struct sigevent *sigev, bool wait)
{
	static unsigned char buf[BLK] __attribute__((aligned(BLK)));
	int fd = open(xt_path(name), O_RDWR | O_CREAT | O_TRUNC | flags, 0644);

	if (fd < 0 && errno == EINVAL && flags)
		return -2;
	XT_ASSERT_GE(fd, 0);
	if (busy_ring() != XT_PASS)
		return -1;
	if (wait) {
		XT_ASSERT_EQ(
			pthread_create(&waiter, NULL, suspend_on_pipe, NULL),
			0);
		xt_sleep_ms(50); /* asleep in aio_suspend by now */
	}
	xt_fill_pattern(buf, BLK, 0);
	xt_cb_set_op(cb, LIO_WRITE, fd, buf, BLK, 0);
	if (sigev)
		cb->aio_sigevent = *sigev;
	XT_ASSERT_OK(aio_write(cb));
	return fd;
}

/* busy_then_write_fl() with no extra flags. */
static int busy_then_write(const char *name, struct aiocb *cb,
			   const struct sigevent *sigev, bool wait)
{
	return busy_then_write_fl(name, 0, cb, sigev, wait);
}

/*
 * A write submitted on a busy ring, and then no AIO call at all: the data
 * still reaches the file (the watchdog submits it).
 */
static int child_watchdog(void)
{
	struct aiocb cb;
	int64_t end;
	int fd = busy_then_write("watchdog", &cb, NULL, false);

	if (fd < 0)
		return XT_FAIL;
	end = xt_now_ms() + 2000;
	while (!landed(fd, 0) && xt_now_ms() < end)
		xt_sleep_ms(1);
	XT_ASSERT(landed(fd, 0));
	XT_ASSERT_EQ(fx_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), BLK);
	close(fd);
	return end_busy();
}

/*
 * A write left for the next batch has not started: aio_cancel takes it out
 * of the SQ (AIO_CANCELED, ECANCELED, the file untouched).  On 58309d6 it
 * answered AIO_NOTCANCELED.  Where nothing is batched (thread pool,
 * SQPOLL) the write may be done first; then it must be complete.
 */
static int child_cancel(void)
{
	struct aiocb cb;
	bool batched = !getenv("XAIO_SQPOLL") &&
		       strcmp(xt_backend(), "threads") && xt_uring_available();
	int fd = busy_then_write("cancel", &cb, NULL, false);
	int r;

	if (fd < 0)
		return XT_FAIL;
	r = aio_cancel(fd, &cb);
	if (batched)
		XT_ASSERT_EQ(r, AIO_CANCELED);
	if (r == AIO_CANCELED) {
		XT_ASSERT_EQ(aio_error(&cb), ECANCELED);
		XT_ASSERT_EQ(aio_return(&cb), -1);
		xt_sleep_ms(20); /* the watchdog's ticks */
		XT_ASSERT(!landed(fd, 0));
	} else {
		XT_ASSERT_EQ(fx_wait(&cb, 5000), 0);
		XT_ASSERT_EQ(aio_return(&cb), BLK);
		XT_ASSERT(landed(fd, 0));
	}
	close(fd);
	return end_busy();
}

/* A thread waits (as the ring's leader) while a write is submitted. */
static int child_waiter(void)
{
	struct aiocb cb;
	int fd = busy_then_write("waiter", &cb, NULL, true);

	if (fd < 0)
		return XT_FAIL;
	XT_ASSERT_EQ(xt_cb_poll(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), BLK);
	XT_ASSERT(landed(fd, 0));
	XT_ASSERT_EQ(write(pfd[1], "x", 1), 1);
	XT_ASSERT_EQ(pthread_join(waiter, NULL), 0);
	XT_ASSERT_EQ(aio_return(&pcb), 1);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
	return XT_PASS;
}

/*
 * The descriptor is closed and its number reused right after aio_write
 * returns, before anything submits the batch: the write still goes to the
 * file it was made on (the kernel would resolve the number only then).
 */
static int child_reuse(void)
{
	struct aiocb cb;
	int b, a = busy_then_write("reuse-a", &cb, NULL, false);

	if (a < 0)
		return XT_FAIL;
	XT_ASSERT_OK(close(a));
	b = open(xt_path("reuse-b"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	XT_ASSERT_EQ(b, a); /* the lowest free number */
	XT_ASSERT_EQ(fx_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_error(&cb), 0);
	XT_ASSERT_EQ(aio_return(&cb), BLK);
	XT_ASSERT_EQ(lseek(b, 0, SEEK_END), 0); /* nothing landed in b */
	close(b);
	a = open(xt_path("reuse-a"), O_RDONLY);
	XT_ASSERT_GE(a, 0);
	XT_ASSERT(landed(a, 0));
	close(a);
	return end_busy();
}

static void ignore(int sig)
{
	(void)sig;
}

/* A write with a signal to deliver is never left for a batch. */
static int child_notify(void)
{
	struct sigaction sa = {.sa_handler = ignore};
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGUSR1};
	struct aiocb cb;
	int fd;

	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	fd = busy_then_write("notify", &cb, &sev, false);
	if (fd < 0)
		return XT_FAIL;
	XT_ASSERT_EQ(fx_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), BLK);
	close(fd);
	return end_busy();
}

/* A write on an O_DIRECT descriptor is never left for a batch. */
static int child_direct(void)
{
	struct aiocb cb;
	int fd = busy_then_write_fl("direct", O_DIRECT, &cb, NULL, false);

	if (fd == -2) {
		end_busy();
		return XT_SKIP; /* no O_DIRECT here */
	}
	if (fd < 0)
		return XT_FAIL;
	XT_ASSERT_EQ(fx_wait(&cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(&cb), BLK);
	close(fd);
	/* Read back without O_DIRECT (landed()'s buffer is not aligned). */
	fd = open(xt_path("direct"), O_RDONLY);
	XT_ASSERT(landed(fd, 0));
	close(fd);
	return end_busy();
}

#define NFLIGHT 16
#define NREADS 2000
#define FILE_BLKS 256

/*
 * fio's posixaio loop: NFLIGHT reads in flight, aio_error on each, a new
 * read for each one done, aio_suspend when none is.  Every byte checked.
 */
static int child_poll_loop(void)
{
	static unsigned char bufs[NFLIGHT][BLK], exp[BLK];
	static struct aiocb cbs[NFLIGHT];
	const struct aiocb *list[NFLIGHT];
	off_t offs[NFLIGHT];
	int fd = xt_make_file("loop", FILE_BLKS * BLK, 0);
	int issued = 0, done = 0;

	XT_ASSERT_GE(fd, 0);
	for (int i = 0; i < NFLIGHT; i++) {
		offs[i] = (off_t)(rand() % FILE_BLKS) * BLK;
		xt_cb_set(&cbs[i], fd, bufs[i], BLK, offs[i]);
		XT_ASSERT_OK(aio_read(&cbs[i]));
		issued++;
	}
	while (done < NREADS) {
		int n = 0;

		for (int i = 0; i < NFLIGHT; i++) {
			if (!cbs[i].aio_buf)
				continue;
			if (aio_error(&cbs[i]) == EINPROGRESS) {
				list[n++] = &cbs[i];
				continue;
			}
			XT_ASSERT_EQ(aio_return(&cbs[i]), BLK);
			xt_fill_pattern(exp, BLK, (uint64_t)offs[i]);
			XT_ASSERT_MEM_EQ(bufs[i], exp, BLK);
			done++;
			cbs[i].aio_buf = NULL;
			if (issued == NREADS)
				continue;
			offs[i] = (off_t)(rand() % FILE_BLKS) * BLK;
			xt_cb_set(&cbs[i], fd, bufs[i], BLK, offs[i]);
			XT_ASSERT_OK(aio_read(&cbs[i]));
			issued++;
		}
		if (n == NFLIGHT)
			aio_suspend(list, n, NULL);
	}
	close(fd);
	return XT_PASS;
}

#define NSINGLE 100
#define NBURST 48 /* fewer than the ring's 64 SQEs */

/* Writes block i of fd through cb, SIGEV_NONE; with wait, waits for it. */
static int write_block(int fd, struct aiocb *cb, int i, bool wait)
{
	static unsigned char bufs[NBURST][BLK];
	unsigned char *buf = bufs[i % NBURST];

	xt_fill_pattern(buf, BLK, (uint64_t)i * BLK);
	xt_cb_set_op(cb, LIO_WRITE, fd, buf, BLK, (off_t)i * BLK);
	XT_ASSERT_OK(aio_write(cb));
	if (!wait)
		return XT_PASS;
	XT_ASSERT_EQ(fx_wait(cb, 5000), 0);
	XT_ASSERT_EQ(aio_return(cb), BLK);
	return XT_PASS;
}

/*
 * On a busy ring, NSINGLE writes one at a time, each waited for: every
 * batch holds one request.  With burst, then NBURST writes in a row.
 */
static int singles(bool burst)
{
	static struct aiocb cbs[NBURST];
	struct aiocb *all[NBURST];
	int fd = open(xt_path("singles"), O_RDWR | O_CREAT | O_TRUNC, 0644);

	XT_ASSERT_GE(fd, 0);
	FX_TRY(busy_ring());
	for (int i = 0; i < NSINGLE; i++)
		FX_TRY(write_block(fd, &cbs[0], i, true));
	for (int i = 0; burst && i < NBURST; i++) {
		FX_TRY(write_block(fd, &cbs[i], NSINGLE + i, false));
		all[i] = &cbs[i];
	}
	if (burst) {
		XT_ASSERT_EQ(fx_wait_all(all, NBURST, 5000), 0);
		for (int i = 0; i < NBURST; i++)
			XT_ASSERT_EQ(aio_return(&cbs[i]), BLK);
	}
	for (int i = 0; i < NSINGLE + (burst ? NBURST : 0); i++)
		XT_ASSERT(landed(fd, (off_t)i * BLK));
	close(fd);
	return end_busy();
}

static int child_singles(void)
{
	return singles(false);
}

static int child_burst(void)
{
	return singles(true);
}

static const struct fx_mode modes[] = {
	{"watchdog", child_watchdog},	{"waiter", child_waiter},
	{"notify", child_notify},	{"reuse", child_reuse},
	{"poll_loop", child_poll_loop}, {"cancel", child_cancel},
	{"singles", child_singles},	{"burst", child_burst},
	{"direct", child_direct}};

static int child_main(const char *mode)
{
	return fx_run_mode(mode, modes, sizeof(modes) / sizeof(modes[0]));
}

FX_CHILD_MAIN(child_main)

/* Did the child's run batch at all (on a ring without SQPOLL)? */
static bool batching(const struct fx_report *r)
{
	return !strcmp(r->backend, "io_uring") && !strstr(r->reason, "SQPOLL");
}

/*
 * Runs child mode with XAIO_VERBOSE=1 and XAIO_BATCH=1 (one request in
 * flight is enough to batch), then the settings a and b (if not NULL); *r
 * gets its report.  XT_PASS, or the child's failure or skip.
 */
static int run_report(const char *mode, const char *a, const char *b,
		      struct fx_report *r)
{
	const char *env[] = {"XAIO_VERBOSE=1", "XAIO_BATCH=1", a, b, NULL};

	XT_REQUIRE_BACKEND();
	FX_TRY(fx_run_report(mode, env, r));
	XT_ASSERT_LE(r->batched, r->on_ring);
	return XT_PASS;
}

#define RUN(mode, extra, r) FX_TRY(run_report(mode, extra, NULL, r))

static int batch_watchdog(void)
{
	struct fx_report r;

	RUN("watchdog", NULL, &r);
	XT_ASSERT_EQ(r.batched, batching(&r) ? 1 : 0);
	return XT_PASS;
}

static int batch_off(void)
{
	struct fx_report r;

	RUN("watchdog", "XAIO_BATCH=0", &r);
	XT_ASSERT_EQ(r.batched, 0);
	return XT_PASS;
}

/* XAIO_BATCH=N: not with fewer than N in flight (the default is 8). */
static int batch_threshold(void)
{
	struct fx_report r;

	RUN("watchdog", "XAIO_BATCH=2", &r);
	XT_ASSERT_EQ(r.batched, 0);
	RUN("watchdog", "XAIO_BATCH", &r);
	XT_ASSERT_EQ(r.batched, 0);
	return XT_PASS;
}

static int batch_not_with_waiter(void)
{
	struct fx_report r;

	RUN("waiter", NULL, &r);
	XT_ASSERT_EQ(r.batched, 0);
	return XT_PASS;
}

static int batch_reuse(void)
{
	struct fx_report r;

	RUN("reuse", NULL, &r);
	XT_ASSERT_EQ(r.batched, batching(&r) ? 1 : 0);
	return XT_PASS;
}

static int batch_cancel(void)
{
	struct fx_report r;

	RUN("cancel", NULL, &r);
	XT_ASSERT_EQ(r.batched, batching(&r) ? 1 : 0);
	return XT_PASS;
}

static int batch_not_notified(void)
{
	struct fx_report r;

	RUN("notify", NULL, &r);
	XT_ASSERT_EQ(r.batched, 0);
	return XT_PASS;
}

static int batch_not_direct(void)
{
	struct fx_report r;

	RUN("direct", NULL, &r);
	XT_ASSERT_EQ(r.batched, 0);
	XT_ASSERT_GE(r.on_ring + r.on_threads, 1);
	return XT_PASS;
}

/*
 * Through the ring (the file is in the page cache), with 16 in flight:
 * over XAIO_BATCH's default, which setting holds (unset, or not a number
 * in range).
 */
static int poll_loop(const char *setting)
{
	struct fx_report r;

	FX_TRY(run_report("poll_loop", "XAIO_NOWAIT=0", setting, &r));
	XT_ASSERT_EQ(r.submitted, NREADS);
	if (batching(&r))
		XT_ASSERT_GT(r.batched, NREADS / 2);
	else
		XT_ASSERT_EQ(r.batched, 0);
	return XT_PASS;
}

static int batch_poll_loop(void)
{
	FX_TRY(poll_loop("XAIO_BATCH"));
	FX_TRY(poll_loop("XAIO_BATCH=many"));
	FX_TRY(poll_loop("XAIO_BATCH=4x"));
	return poll_loop("XAIO_BATCH=99999999999");
}

/*
 * Batches of one stop: after the first two, only a probe now and then
 * opens one (on 7440a6e every one of the NSINGLE writes was batched).
 */
static int batch_singles(void)
{
	struct fx_report r;

	RUN("singles", NULL, &r);
	if (!batching(&r))
		return XT_PASS;
	XT_ASSERT_GE(r.batched, 2);
	XT_ASSERT_LE(r.batched, NSINGLE / 8);
	return XT_PASS;
}

/* ...and a burst after them is batched: a probe opens it, the rest join. */
static int batch_burst(void)
{
	struct fx_report r;

	RUN("burst", NULL, &r);
	if (!batching(&r))
		return XT_PASS;
	XT_ASSERT_GE(r.batched, NSINGLE / 8 + NBURST / 4);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"batch_watchdog", batch_watchdog},
	{"batch_off", batch_off},
	{"batch_threshold", batch_threshold},
	{"batch_not_with_waiter", batch_not_with_waiter},
	{"batch_not_notified", batch_not_notified},
	{"batch_not_direct", batch_not_direct},
	{"batch_reuse", batch_reuse},
	{"batch_cancel", batch_cancel},
	{"batch_poll_loop", batch_poll_loop},
	{"batch_singles", batch_singles},
	{"batch_burst", batch_burst},
};

XT_MAIN(cases)
