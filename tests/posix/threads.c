// SPDX-License-Identifier: MIT
/*
 * Threads: requests outlive the thread that submitted them (a pipe read
 * is not cancelled when its submitter exits, which io_uring does to a dead
 * task's pollable requests), concurrent read/write/verify cycles from four
 * threads on one shared fd, and aio_suspend() in one thread woken by the
 * completion of a request of another thread.
 */
#include <aio.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "xtest.h"
#include "xaio-test.h"

/* ---- the submitting thread exits ---- */

#define BIG (1024 * 1024)

struct exiter {
	int pipe_fd;
	int file_fd;
	struct aiocb rcb, wcb;
	char rbuf[64];
	unsigned char *wbuf;
	int rr, wr;
};

static void *exiter_main(void *arg)
{
	struct exiter *x = arg;

	xt_cb_set(&x->wcb, x->file_fd, x->wbuf, BIG, 0);
	xt_cb_set(&x->rcb, x->pipe_fd, x->rbuf, sizeof(x->rbuf), 0);
	x->wr = aio_write(&x->wcb);
	x->rr = aio_read(&x->rcb);
	return NULL; /* exits with both requests in flight */
}

static int exiter_body(struct exiter *x, int p[2])
{
	unsigned char *got;
	pthread_t t;
	int e;

	XT_ASSERT_EQ(xt_start_thread(&t, exiter_main, x), 0);
	XT_ASSERT_EQ(pthread_join(t, NULL), 0);
	XT_ASSERT_EQ(x->wr, 0);
	XT_ASSERT_EQ(x->rr, 0);

	/* The pipe read is still waiting for data, not cancelled. */
	xt_sleep_ms(50);
	e = aio_error(&x->rcb);
	if (e != EINPROGRESS)
		fprintf(stderr,
			"pipe read: aio_error %d (%s) before any "
			"data was written\n",
			e, strerror(e));
	XT_ASSERT_EQ(e, EINPROGRESS);
	XT_ASSERT_EQ(write(p[1], "alive", 5), 5);
	XT_ASSERT_EQ(xt_cb_poll(&x->rcb, 3000), 0);
	XT_ASSERT_EQ(xt_cb_poll(&x->wcb, 3000), 0);
	e = aio_error(&x->rcb);
	if (e)
		fprintf(stderr, "pipe read: aio_error %d (%s)\n", e,
			strerror(e));
	XT_ASSERT_EQ(e, 0);
	XT_ASSERT_EQ(aio_return(&x->rcb), 5);
	XT_ASSERT_MEM_EQ(x->rbuf, "alive", 5);

	XT_ASSERT_EQ(aio_error(&x->wcb), 0);
	XT_ASSERT_EQ(aio_return(&x->wcb), BIG);
	got = malloc(BIG);
	XT_ASSERT(got != NULL);
	if (pread(x->file_fd, got, BIG, 0) != BIG ||
	    xt_memdiff(got, x->wbuf, BIG) != (size_t)-1) {
		free(got);
		fprintf(stderr, "the file does not hold the written data\n");
		return XT_FAIL;
	}
	free(got);
	return XT_PASS;
}

/*
 * A thread submits a read of an empty pipe and a 1 MiB write, then exits.
 * Afterwards the pipe read completes with the data written by the main
 * thread (not ECANCELED) and the write with its full count.
 */
static int threads_submitter_exits(void)
{
	static struct exiter x;
	int p[2], r;

	XT_REQUIRE_BACKEND();
	memset(&x, 0, sizeof(x));
	XT_ASSERT_OK(pipe(p));
	x.pipe_fd = p[0];
	x.file_fd = open(xt_path("exit"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	XT_ASSERT(x.file_fd >= 0);
	x.wbuf = malloc(BIG);
	XT_ASSERT(x.wbuf != NULL);
	xt_fill_pattern(x.wbuf, BIG, 12345);
	r = exiter_body(&x, p);
	if (x.rr == 0 && aio_error(&x.rcb) == EINPROGRESS &&
	    write(p[1], "x", 1) == 1)
		xt_cb_poll(&x.rcb, 3000);
	if ((x.rr == 0 && aio_error(&x.rcb) == EINPROGRESS) ||
	    (x.wr == 0 && xt_cb_poll(&x.wcb, 3000))) {
		fprintf(stderr, "requests still in flight\n");
		return XT_FAIL; /* leave buffers and fds: still in use */
	}
	free(x.wbuf);
	close(x.file_fd);
	close(p[0]);
	close(p[1]);
	return r;
}

/* ---- concurrent cycles ---- */

#define NWORKERS 4
#define CYCLES 2000
#define SLOTS 16
#define SZ 1024

struct worker {
	pthread_t thread;
	int id;
	int fd;
	int done_cycles;
};

/* Waits for one request with aio_suspend(); 0 when it completed. */
static int suspend_one(const struct aiocb *cb)
{
	const struct aiocb *list[1] = {cb};
	struct timespec ts = {5, 0};

	while (aio_error(cb) == EINPROGRESS) {
		if (aio_suspend(list, 1, &ts) && errno != EINTR)
			return -1;
	}
	return 0;
}

static uint64_t seed(int id, int cycle)
{
	return ((uint64_t)id << 32) + (uint64_t)cycle * 7919;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned char wbuf[SZ], rbuf[SZ], want[SZ];
	off_t base = (off_t)w->id * SLOTS * SZ;
	struct aiocb cb;

	for (int c = 0; c < CYCLES; c++) {
		off_t off = base + (off_t)(c % SLOTS) * SZ;

		xt_fill_pattern(wbuf, SZ, seed(w->id, c));
		xt_cb_set(&cb, w->fd, wbuf, SZ, off);
		if (aio_write(&cb)) {
			XT_CHECK(!"aio_write accepted");
			return NULL;
		}
		if (suspend_one(&cb) || aio_error(&cb) ||
		    aio_return(&cb) != SZ) {
			fprintf(stderr, "worker %d cycle %d: write error %d\n",
				w->id, c, aio_error(&cb));
			XT_CHECK(!"aio_write completed with SZ");
			goto out;
		}
		memset(rbuf, 0, SZ);
		xt_cb_set(&cb, w->fd, rbuf, SZ, off);
		if (aio_read(&cb)) {
			XT_CHECK(!"aio_read accepted");
			return NULL;
		}
		if (suspend_one(&cb) || aio_error(&cb) ||
		    aio_return(&cb) != SZ) {
			fprintf(stderr, "worker %d cycle %d: read error %d\n",
				w->id, c, aio_error(&cb));
			XT_CHECK(!"aio_read completed with SZ");
			goto out;
		}
		if (xt_memdiff(rbuf, wbuf, SZ) != (size_t)-1) {
			fprintf(stderr, "worker %d cycle %d: data differ\n",
				w->id, c);
			XT_CHECK(!"read back what was written");
			return NULL;
		}
		w->done_cycles = c + 1;
	}
	/* Each slot holds what its last cycle wrote. */
	for (int s = 0; s < SLOTS; s++) {
		int last = CYCLES - SLOTS + s;

		xt_fill_pattern(want, SZ, seed(w->id, last));
		XT_CHECK(pread(w->fd, rbuf, SZ, base + (off_t)s * SZ) == SZ);
		XT_CHECK(xt_memdiff(rbuf, want, SZ) == (size_t)-1);
	}
	return NULL;
out:
	/* The buffers live on this stack: never leave with cb in flight. */
	XT_CHECK(xt_cb_poll(&cb, 5000) == 0);
	return NULL;
}

/*
 * Four threads, one shared fd, each 2000 write/read/verify cycles on its
 * own region: every result and every byte right.
 */
static int threads_concurrent_cycles(void)
{
	static struct worker w[NWORKERS];
	int fd, before = xt_check_failures();

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("cycles", NWORKERS * SLOTS * SZ, 0);
	XT_ASSERT(fd >= 0);
	for (int i = 0; i < NWORKERS; i++) {
		w[i].id = i;
		w[i].fd = fd;
		w[i].done_cycles = 0;
		XT_ASSERT_EQ(xt_start_thread(&w[i].thread, worker_main, &w[i]),
			     0);
	}
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(w[i].thread, NULL);
	close(fd);
	XT_ASSERT_EQ(xt_check_failures(), before);
	for (int i = 0; i < NWORKERS; i++)
		XT_ASSERT_EQ(w[i].done_cycles, CYCLES);
	return XT_PASS;
}

/* ---- aio_suspend in another thread ---- */

struct waiter {
	const struct aiocb *cb;
	int r, e;
	int64_t ms; /* when aio_suspend returned */
	atomic_int returned;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	const struct aiocb *list[1] = {w->cb};
	struct timespec ts = {5, 0};
	errno = 0;
	w->r = aio_suspend(list, 1, &ts);
	w->e = errno;
	w->ms = xt_now_ms();
	atomic_store(&w->returned, 1);
	return NULL;
}

static int suspend_body(struct aiocb *cb, char *buf, int p[2])
{
	static struct waiter w;
	pthread_t t;
	ssize_t wrote;
	int64_t t_write;
	int early;

	memset(&w, 0, sizeof(w));
	w.cb = cb;
	xt_cb_set(cb, p[0], buf, 64, 0);
	XT_ASSERT_OK(aio_read(cb));
	XT_ASSERT_EQ(xt_start_thread(&t, waiter_main, &w), 0);
	xt_sleep_ms(50);
	early = atomic_load(&w.returned);
	t_write = xt_now_ms();
	wrote = write(p[1], "wakeup", 6);
	pthread_join(t, NULL);
	if (early)
		fprintf(stderr, "aio_suspend returned before the completion\n");
	XT_ASSERT_EQ(early, 0);
	XT_ASSERT_EQ(wrote, 6);
	if (w.r)
		fprintf(stderr, "waiter: aio_suspend = %d errno %d (%s)\n", w.r,
			w.e, strerror(w.e));
	XT_ASSERT_EQ(w.r, 0);
	/* It returned because of the completion, and promptly. */
	XT_ASSERT_GE(w.ms, t_write);
	XT_ASSERT_LT(w.ms - t_write, 3000);
	XT_ASSERT_EQ(aio_error(cb), 0);
	XT_ASSERT_EQ(aio_return(cb), 6);
	XT_ASSERT_MEM_EQ(buf, "wakeup", 6);
	return XT_PASS;
}

/*
 * A thread blocks in aio_suspend() on a request the main thread submitted;
 * the main thread completes it (writes into the pipe): the waiter wakes.
 */
static int threads_suspend_other(void)
{
	static struct aiocb cb;
	static char buf[64];
	int p[2], r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pipe(p));
	memset(&cb, 0, sizeof(cb));
	r = suspend_body(&cb, buf, p);
	if (cb.aio_buf && aio_error(&cb) == EINPROGRESS &&
	    (write(p[1], "x", 1) != 1 || xt_cb_poll(&cb, 3000))) {
		fprintf(stderr, "the pipe read is stuck\n");
		return XT_FAIL; /* leave the fds: still in use */
	}
	close(p[0]);
	close(p[1]);
	return r;
}

static struct xt_case cases[] = {
	{"threads_submitter_exits", threads_submitter_exits},
	{"threads_concurrent_cycles", threads_concurrent_cycles},
	{"threads_suspend_other", threads_suspend_other},
};

XT_MAIN(cases)
