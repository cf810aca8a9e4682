// SPDX-License-Identifier: MIT
/*
 * aio_suspend(): the immediate returns (nent 0, all-NULL lists, a list with
 * a completed entry), NULL entries next to a pending one, polling with
 * {0, 0}, relative timeouts, wake-up by a completion that another thread
 * causes, invalid arguments (nent < 0, tv_nsec out of range), a huge list
 * (no stack overflow), and EINTR with the waiter unlinked afterwards.
 *
 * The cases that crash glibc (G2 abort, G3 stack overflow) run in a forked
 * child so that the program survives a reference run against glibc.  They
 * come first in the table: the parent has then done no AIO yet, so glibc's
 * fork defect (G5, an idle helper that the child never gets) cannot hang the
 * child for an unrelated reason.
 */
#include <aio.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xtest.h"
#include "xaio-test.h"

#define FILE_LEN 65536

/* atomic_load() as a function, so that assertion messages stay short. */
static int ld(atomic_int *v)
{
	return atomic_load(v);
}

/* An aio_read() on an empty pipe: stays in progress until data arrives. */
struct pending {
	int p[2];
	int started;
	struct aiocb cb;
	char buf[64];
};

static int pending_start(struct pending *pr)
{
	memset(pr, 0, sizeof(*pr));
	pr->p[0] = pr->p[1] = -1;
	if (pipe(pr->p))
		return -1;
	pr->cb.aio_fildes = pr->p[0];
	pr->cb.aio_buf = pr->buf;
	pr->cb.aio_nbytes = sizeof(pr->buf);
	pr->cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	if (aio_read(&pr->cb)) {
		perror("aio_read(pipe)");
		return -1;
	}
	pr->started = 1;
	return 0;
}

/* Completes the read if it is still blocked, then closes the pipe. */
static int pending_finish(struct pending *pr)
{
	int r = 0;

	if (pr->started && aio_error(&pr->cb) == EINPROGRESS) {
		if (write(pr->p[1], "z", 1) != 1)
			r = -1;
		if (xt_cb_poll(&pr->cb, 3000)) {
			fprintf(stderr, "a pipe read never completed\n");
			return -1; /* leave the pipe open: still in use */
		}
	}
	if (pr->p[0] >= 0)
		close(pr->p[0]);
	if (pr->p[1] >= 0)
		close(pr->p[1]);
	pr->p[0] = pr->p[1] = -1;
	pr->started = 0;
	return r;
}

/* An aio_read() of a regular file that has completed. */
struct completed {
	int fd;
	struct aiocb cb;
	unsigned char buf[512];
};

static int completed_make(struct completed *c)
{
	unsigned char want[512];

	memset(c, 0, sizeof(*c));
	c->fd = xt_make_file("done", FILE_LEN, 0);
	XT_ASSERT(c->fd >= 0);
	c->cb.aio_fildes = c->fd;
	c->cb.aio_buf = c->buf;
	c->cb.aio_nbytes = sizeof(c->buf);
	c->cb.aio_offset = 4096;
	c->cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	XT_ASSERT_OK(aio_read(&c->cb));
	XT_ASSERT_EQ(xt_cb_poll(&c->cb, 3000), 0);
	XT_ASSERT_EQ(aio_error(&c->cb), 0);
	XT_ASSERT_EQ(aio_return(&c->cb), sizeof(c->buf));
	xt_fill_pattern(want, sizeof(want), 4096);
	XT_ASSERT_MEM_EQ(c->buf, want, sizeof(want));
	return XT_PASS;
}

static void completed_close(struct completed *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* ---- cases run in a child (glibc G2, G3) ---- */

static int bad_nsec_body(struct pending *pr, long nsec)
{
	const struct aiocb *list[1] = {&pr->cb};
	struct timespec ts = {0, nsec};
	int64_t t0;

	t0 = xt_now_ms();
	XT_ASSERT_ERRNO(aio_suspend(list, 1, &ts), EINVAL);
	XT_ASSERT_LT(xt_now_ms() - t0, 1000);
	XT_ASSERT_EQ(aio_error(&pr->cb), EINPROGRESS);
	return XT_PASS;
}

static int bad_nsec_child(long nsec)
{
	static struct pending pr;
	int r;

	XT_ASSERT_OK(pending_start(&pr));
	r = bad_nsec_body(&pr, nsec);
	if (pending_finish(&pr))
		r = XT_FAIL;
	return r;
}

static int bad_nsec_big_child(void)
{
	return bad_nsec_child(1999999999L);
}

static int bad_nsec_negative_child(void)
{
	return bad_nsec_child(-1L);
}

/* tv_nsec 1999999999 → -1/EINVAL (glibc G2: assertion abort). */
static int suspend_bad_nsec_big(void)
{
	XT_REQUIRE_BACKEND();
	return xt_run_child(bad_nsec_big_child, 5000);
}

/* tv_nsec -1 → -1/EINVAL (glibc: an immediate EAGAIN). */
static int suspend_bad_nsec_negative(void)
{
	XT_REQUIRE_BACKEND();
	return xt_run_child(bad_nsec_negative_child, 5000);
}

#define HUGE_NENT 2000000

static int huge_list_child(void)
{
	static struct completed c;
	const struct aiocb **list;
	int r, e;

	if (completed_make(&c) != XT_PASS)
		return XT_FAIL;
	list = calloc(HUGE_NENT, sizeof(*list));
	XT_ASSERT(list != NULL);
	list[HUGE_NENT - 1] = &c.cb;
	errno = 0;
	r = aio_suspend(list, HUGE_NENT, NULL);
	e = errno;
	free(list);
	completed_close(&c);
	if (r != 0)
		fprintf(stderr, "aio_suspend = %d errno %d (%s)\n", r, e,
			strerror(e));
	XT_ASSERT_EQ(r, 0);
	return XT_PASS;
}

/* 2,000,000 entries, all NULL but the last (done) → 0 (glibc G3 crashes). */
static int suspend_huge_list(void)
{
	XT_REQUIRE_BACKEND();
	return xt_run_child(huge_list_child, 5000);
}

/* ---- cases run in this process ---- */

/* nent 0 → 0 at once; list[0] (pending) must not be looked at. */
static int suspend_nent_zero(void)
{
	static struct pending pr;
	const struct aiocb *list[1];
	struct xt_watchdog w;
	int64_t t0;
	int r, e;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pending_start(&pr));
	list[0] = &pr.cb;
	XT_ASSERT_OK(xt_watchdog_arm(&w, 2000));
	t0 = xt_now_ms();
	errno = 0;
	r = aio_suspend(list, 0, NULL);
	e = errno;
	xt_watchdog_disarm(&w);
	t0 = xt_now_ms() - t0;
	XT_ASSERT_OK(pending_finish(&pr));
	if (r)
		fprintf(stderr, "errno %d (%s)\n", e, strerror(e));
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_LT(t0, 1000);
	return XT_PASS;
}

/* A list of NULLs only → 0 at once, even without a timeout. */
static int suspend_all_null(void)
{
	const struct aiocb *list[3] = {NULL, NULL, NULL};
	struct xt_watchdog w;
	int64_t t0;
	int r, e;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(xt_watchdog_arm(&w, 2000));
	t0 = xt_now_ms();
	errno = 0;
	r = aio_suspend(list, 3, NULL);
	e = errno;
	xt_watchdog_disarm(&w);
	t0 = xt_now_ms() - t0;
	if (r)
		fprintf(stderr, "errno %d (%s)\n", e, strerror(e));
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_LT(t0, 1000);
	return XT_PASS;
}

/* One completed entry next to a pending one and NULLs → 0 at once. */
static int suspend_completed_entry(void)
{
	static struct pending pr;
	static struct completed c;
	const struct aiocb *list[4];
	struct xt_watchdog w;
	int64_t t0;
	int r, e;

	XT_REQUIRE_BACKEND();
	if (completed_make(&c) != XT_PASS)
		return XT_FAIL;
	if (pending_start(&pr)) {
		completed_close(&c);
		return XT_FAIL;
	}
	list[0] = NULL;
	list[1] = &pr.cb;
	list[2] = &c.cb;
	list[3] = NULL;
	XT_ASSERT_OK(xt_watchdog_arm(&w, 2000));
	t0 = xt_now_ms();
	errno = 0;
	r = aio_suspend(list, 4, NULL);
	e = errno;
	xt_watchdog_disarm(&w);
	t0 = xt_now_ms() - t0;
	XT_ASSERT_EQ(aio_error(&pr.cb), EINPROGRESS);
	XT_ASSERT_OK(pending_finish(&pr));
	completed_close(&c);
	if (r)
		fprintf(stderr, "errno %d (%s)\n", e, strerror(e));
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_LT(t0, 1000);
	/* Waiting does not consume or change the status. */
	XT_ASSERT_EQ(aio_error(&c.cb), 0);
	XT_ASSERT_EQ(aio_return(&c.cb), sizeof(c.buf));
	return XT_PASS;
}

static int null_mixed_body(struct pending *pr)
{
	const struct aiocb *list[3] = {NULL, &pr->cb, NULL};
	struct timespec ts = {0, 50 * 1000000L};
	struct xt_watchdog w;
	int64_t t0;
	int r, e;

	/* The NULLs do not count as completed: the wait times out. */
	t0 = xt_now_ms();
	XT_ASSERT_ERRNO(aio_suspend(list, 3, &ts), EAGAIN);
	XT_ASSERT_GE(xt_now_ms() - t0, 40);
	XT_ASSERT_EQ(aio_error(&pr->cb), EINPROGRESS);

	/* Once the pending entry completes, the same list returns 0. */
	XT_ASSERT_EQ(write(pr->p[1], "abc", 3), 3);
	XT_ASSERT_OK(xt_watchdog_arm(&w, 3000));
	errno = 0;
	r = aio_suspend(list, 3, NULL);
	e = errno;
	xt_watchdog_disarm(&w);
	if (r)
		fprintf(stderr, "errno %d (%s)\n", e, strerror(e));
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_EQ(aio_error(&pr->cb), 0);
	XT_ASSERT_EQ(aio_return(&pr->cb), 3);
	XT_ASSERT_MEM_EQ(pr->buf, "abc", 3);
	return XT_PASS;
}

/* NULL entries are skipped, the pending entry among them is waited for. */
static int suspend_null_mixed(void)
{
	static struct pending pr;
	int r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pending_start(&pr));
	r = null_mixed_body(&pr);
	if (pending_finish(&pr))
		r = XT_FAIL;
	return r;
}

static int poll_body(struct pending *a, struct pending *b)
{
	const struct aiocb *list[2] = {&a->cb, &b->cb};
	struct timespec ts = {0, 0};
	int64_t t0;

	t0 = xt_now_ms();
	XT_ASSERT_ERRNO(aio_suspend(list, 2, &ts), EAGAIN);
	XT_ASSERT_LT(xt_now_ms() - t0, 250);
	XT_ASSERT_EQ(aio_error(&a->cb), EINPROGRESS);
	XT_ASSERT_EQ(aio_error(&b->cb), EINPROGRESS);

	/* The same poll reports a completion once there is one. */
	XT_ASSERT_EQ(write(b->p[1], "q", 1), 1);
	XT_ASSERT_EQ(xt_cb_poll(&b->cb, 3000), 0);
	XT_ASSERT_OK(aio_suspend(list, 2, &ts));
	return XT_PASS;
}

/* {0, 0} with nothing done → -1/EAGAIN at once (a poll). */
static int suspend_poll(void)
{
	static struct pending a, b;
	int r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pending_start(&a));
	if (pending_start(&b)) {
		pending_finish(&a);
		return XT_FAIL;
	}
	r = poll_body(&a, &b);
	if (pending_finish(&a) | pending_finish(&b))
		r = XT_FAIL;
	return r;
}

static int timeout_body(struct pending *pr)
{
	const struct aiocb *list[1] = {&pr->cb};
	struct timespec ts = {0, 100 * 1000000L};
	int64_t t;

	t = xt_now_ms();
	XT_ASSERT_ERRNO(aio_suspend(list, 1, &ts), EAGAIN);
	t = xt_now_ms() - t;
	XT_ASSERT_GE(t, 90);
	XT_ASSERT_LT(t, 3000);
	XT_ASSERT_EQ(aio_error(&pr->cb), EINPROGRESS);
	return XT_PASS;
}

/* A 100 ms timeout with nothing done → -1/EAGAIN after >= 90 ms. */
static int suspend_timeout(void)
{
	static struct pending pr;
	int r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pending_start(&pr));
	r = timeout_body(&pr);
	if (pending_finish(&pr))
		r = XT_FAIL;
	return r;
}

struct writer {
	int fd;
	int delay_ms;
	const char *data;
	atomic_int writing; /* set just before the write */
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	size_t n = strlen(w->data);

	xt_sleep_ms(w->delay_ms);
	atomic_store(&w->writing, 1);
	XT_CHECK(write(w->fd, w->data, n) == (ssize_t)n);
	return NULL;
}

static int wake_body(struct pending *pr, struct timespec ts)
{
	const struct aiocb *list[1] = {&pr->cb};
	struct writer w = {pr->p[1], 50, "wake", 0};
	pthread_t t;
	int64_t t0;
	int r, e, writing;

	XT_ASSERT_EQ(xt_start_thread(&t, writer_main, &w), 0);
	t0 = xt_now_ms();
	errno = 0;
	r = aio_suspend(list, 1, &ts);
	e = errno;
	writing = ld(&w.writing);
	t0 = xt_now_ms() - t0;
	pthread_join(t, NULL);
	if (r)
		fprintf(stderr, "errno %d (%s)\n", e, strerror(e));
	XT_ASSERT_EQ(r, 0);
	/*
	 * It returned only once the data was on its way (not "after 40 ms":
	 * on a loaded machine this thread can start its clock late).
	 */
	XT_ASSERT_EQ(writing, 1);
	XT_ASSERT_LT(t0, 3000);
	XT_ASSERT_EQ(aio_error(&pr->cb), 0);
	XT_ASSERT_EQ(aio_return(&pr->cb), 4);
	XT_ASSERT_MEM_EQ(pr->buf, "wake", 4);
	return XT_PASS;
}

/* pr is the case's own: a read left in flight by a failure keeps it. */
static int wake_case(struct pending *pr, struct timespec ts)
{
	int r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pending_start(pr));
	r = wake_body(pr, ts);
	if (pending_finish(pr))
		r = XT_FAIL;
	return r;
}

/* Another thread completes the request after 50 ms: the waiter wakes. */
static int suspend_wake_by_thread(void)
{
	static struct pending pr;

	return wake_case(&pr, (struct timespec){5, 0});
}

/* The same with the largest timeout there is (no overflow: UBSan). */
static int suspend_wake_huge_timeout(void)
{
	static struct pending pr;

	return wake_case(&pr, (struct timespec){LONG_MAX, 999999999});
}

/* A thread blocked in aio_suspend(list, 1, timeout). */
struct sleeper {
	struct pending *pr;
	const struct timespec *timeout;
	atomic_int asleep, cleaned, returned;
	int r;
};

static void sleeper_cleanup(void *arg)
{
	struct sleeper *s = arg;

	atomic_store(&s->cleaned, 1);
}

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	const struct aiocb *list[1] = {&s->pr->cb};

	pthread_cleanup_push(sleeper_cleanup, s);
	atomic_store(&s->asleep, 1);
	s->r = aio_suspend(list, 1, s->timeout);
	atomic_store(&s->returned, 1);
	pthread_cleanup_pop(0);
	return NULL;
}

/*
 * aio_suspend is a cancellation point (edge case 21): two threads wait on
 * two pending pipe reads; the one started first (cancel_first: the one
 * that becomes the ring's leader on io_uring) or second is cancelled.  It
 * ends with PTHREAD_CANCELED after running its cleanup handler, and the
 * other waiter still wakes when its read completes: the cancelled thread
 * left the engine's waiting state clean.
 */
static int cancel_body(struct pending *a, struct pending *b, bool cancel_first)
{
	static const struct timespec ten = {10, 0};
	struct sleeper victim = {.pr = a}, other = {.pr = b, .timeout = &ten};
	struct sleeper *first = cancel_first ? &victim : &other;
	struct sleeper *second = cancel_first ? &other : &victim;
	pthread_t t1, t2, tv, to;
	void *ret = NULL;

	XT_ASSERT_EQ(xt_start_thread(&t1, sleeper_main, first), 0);
	XT_ASSERT_EQ(xt_wait_count(&first->asleep, 1, 3000), 1);
	xt_sleep_ms(50);
	XT_ASSERT_EQ(xt_start_thread(&t2, sleeper_main, second), 0);
	XT_ASSERT_EQ(xt_wait_count(&second->asleep, 1, 3000), 1);
	xt_sleep_ms(50); /* both asleep in the engine */
	tv = cancel_first ? t1 : t2;
	to = cancel_first ? t2 : t1;
	XT_ASSERT_EQ(pthread_cancel(tv), 0);
	XT_ASSERT_EQ(xt_join_within(tv, 3000, &ret), 0);
	XT_ASSERT(ret == PTHREAD_CANCELED);
	XT_ASSERT_EQ(ld(&victim.cleaned), 1);
	XT_ASSERT_EQ(ld(&victim.returned), 0);
	XT_ASSERT_EQ(aio_error(&a->cb), EINPROGRESS);
	/* The survivor is still waiting, and wakes for its completion. */
	XT_ASSERT_EQ(ld(&other.returned), 0);
	XT_ASSERT_EQ(write(b->p[1], "wake", 4), 4);
	XT_ASSERT_EQ(xt_join_within(to, 3000, &ret), 0);
	XT_ASSERT_EQ(ld(&other.returned), 1);
	XT_ASSERT_EQ(other.r, 0);
	XT_ASSERT_EQ(aio_error(&b->cb), 0);
	XT_ASSERT_EQ(aio_return(&b->cb), 4);
	XT_ASSERT_MEM_EQ(b->buf, "wake", 4);
	return XT_PASS;
}

static int cancel_case(bool cancel_first)
{
	static struct pending a, b;
	int r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pending_start(&a));
	XT_ASSERT_OK(pending_start(&b));
	r = cancel_body(&a, &b, cancel_first);
	/* The cancelled wait's request still completes normally. */
	if (pending_finish(&a) || pending_finish(&b))
		r = XT_FAIL;
	return r;
}

static int suspend_cancel_first_waiter(void)
{
	return cancel_case(true);
}

static int suspend_cancel_second_waiter(void)
{
	return cancel_case(false);
}

/* nent < 0 → -1/EINVAL, without waiting on the (pending) list. */
static int suspend_nent_negative(void)
{
	static struct pending pr;
	const struct aiocb *list[1];
	struct xt_watchdog w;
	int r, e;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pending_start(&pr));
	list[0] = &pr.cb;
	XT_ASSERT_OK(xt_watchdog_arm(&w, 2000));
	errno = 0;
	r = aio_suspend(list, -1, NULL);
	e = errno;
	xt_watchdog_disarm(&w);
	XT_ASSERT_OK(pending_finish(&pr));
	if (r != -1 || e != EINVAL)
		fprintf(stderr, "aio_suspend(nent -1) = %d errno %d (%s)\n", r,
			e, strerror(e));
	XT_ASSERT_EQ(r, -1);
	XT_ASSERT_EQ(e, EINVAL);
	return XT_PASS;
}

/* SIGUSR1 deliveries (an xt_killer sends them). */
static atomic_int usr1_count;

static void usr1_handler(int sig)
{
	(void)sig;
	atomic_fetch_add(&usr1_count, 1);
}

static int eintr_body(struct pending *pr)
{
	const struct aiocb *list[1] = {&pr->cb};
	struct timespec ts = {5, 0};
	struct xt_killer k;
	int64_t t0;
	int r, e;

	atomic_store(&usr1_count, 0);
	XT_ASSERT_EQ(xt_killer_start(&k, 50), 0);
	t0 = xt_now_ms();
	errno = 0;
	r = aio_suspend(list, 1, &ts);
	e = errno;
	t0 = xt_now_ms() - t0;
	xt_killer_stop(&k);
	if (r != -1 || e != EINTR)
		fprintf(stderr,
			"aio_suspend = %d errno %d (%s) after %" PRId64 " ms\n",
			r, e, strerror(e), t0);
	XT_ASSERT_EQ(r, -1);
	XT_ASSERT_EQ(e, EINTR);
	XT_ASSERT_LT(t0, 2000);
	XT_ASSERT_GE(ld(&usr1_count), 1);
	XT_ASSERT_EQ(aio_error(&pr->cb), EINPROGRESS);

	/* Reuse the stack the interrupted wait ran on, then complete. */
	xt_fill_stack(16);
	xt_sleep_ms(20);
	XT_ASSERT_EQ(write(pr->p[1], "later", 5), 5);
	for (int i = 0; i < 10; i++) {
		xt_fill_stack(16);
		xt_sleep_ms(1);
	}
	ts.tv_sec = 3;
	XT_ASSERT_OK(aio_suspend(list, 1, &ts));
	XT_ASSERT_EQ(aio_error(&pr->cb), 0);
	XT_ASSERT_EQ(aio_return(&pr->cb), 5);
	XT_ASSERT_MEM_EQ(pr->buf, "later", 5);
	return XT_PASS;
}

/*
 * A signal (handler without SA_RESTART) interrupts a 5 s wait → -1/EINTR
 * quickly; the request completes later and a second wait returns 0.
 */
static int suspend_eintr(void)
{
	static struct pending pr;
	struct sigaction sa, old;
	int r;

	XT_REQUIRE_BACKEND();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(SIGUSR1, &sa, &old));
	if (pending_start(&pr)) {
		sigaction(SIGUSR1, &old, NULL);
		return XT_FAIL;
	}
	r = eintr_body(&pr);
	if (pending_finish(&pr))
		r = XT_FAIL;
	sigaction(SIGUSR1, &old, NULL);
	return r;
}

/*
 * A signal handler calls aio_suspend while the thread it interrupted is
 * itself asleep in aio_suspend, as the ring's leader (holding what a
 * reaper would need): the handler's request must still be seen done.
 */
static struct pending outer, inner;
static atomic_int inner_ret = -2, inner_ms = -1;
static pthread_t outer_thread;

static void inner_handler(int sig)
{
	const struct aiocb *list[1] = {&inner.cb};
	struct timespec ts = {3, 0};
	int saved = errno;
	int64_t t0 = xt_now_ms();

	(void)sig;
	if (write(inner.p[1], "i", 1) == 1)
		atomic_store(&inner_ret, aio_suspend(list, 1, &ts));
	atomic_store(&inner_ms, (int)(xt_now_ms() - t0));
	errno = saved;
}

static void *signaller_main(void *arg)
{
	int64_t end = xt_now_ms() + 5000;

	(void)arg;
	xt_sleep_ms(200); /* the case's thread is asleep in aio_suspend */
	pthread_kill(outer_thread, SIGRTMIN + 4);
	while (atomic_load(&inner_ms) < 0 && xt_now_ms() < end)
		xt_sleep_ms(1);
	if (write(outer.p[1], "o", 1) != 1)
		return NULL;
	return NULL;
}

static int suspend_in_handler_over_waiter(void)
{
	const struct aiocb *list[1] = {&outer.cb};
	struct sigaction sa = {.sa_handler = inner_handler}, old;
	struct timespec ts = {10, 0};
	pthread_t t;
	int r, pr = XT_PASS;

	XT_REQUIRE_BACKEND();
	atomic_store(&inner_ret, -2);
	atomic_store(&inner_ms, -1);
	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(SIGRTMIN + 4, &sa, &old));
	XT_ASSERT_OK(pending_start(&outer));
	XT_ASSERT_OK(pending_start(&inner));
	outer_thread = pthread_self();
	XT_ASSERT_EQ(xt_start_thread(&t, signaller_main, NULL), 0);
	/* The handler ran during it: 0, or EINTR (timed waits return). */
	r = aio_suspend(list, 1, &ts);
	if (r == -1 && errno == EINTR)
		r = 0;
	pthread_join(t, NULL);
	sigaction(SIGRTMIN + 4, &old, NULL);
	if (pending_finish(&inner) || pending_finish(&outer))
		pr = XT_FAIL;
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_EQ(ld(&inner_ret), 0);
	XT_ASSERT_LT(ld(&inner_ms), 2000);
	return pr;
}

/*
 * pthread_cancel of a thread whose signal handler is at work in the engine
 * while the thread itself sleeps in aio_suspend (a cancellation point):
 * the cancellation may act between the handler's calls, never inside one,
 * so the engine is left whole.  Each round, the handler submits, waits for
 * and reaps file reads in a loop and the main thread cancels it at a
 * random moment; afterwards the engine must still serve every request
 * (a lock left held or a counter left raised hangs or fails what follows).
 */
#define HANDLER_CBS 4
static struct aiocb handler_cb[HANDLER_CBS];
static char handler_buf[HANDLER_CBS][4096];
static int handler_fd = -1;
static atomic_int handler_runs;

static void busy_handler(int sig)
{
	int saved = errno;

	(void)sig;
	atomic_fetch_add(&handler_runs, 1);
	for (int i = 0; i < 400; i++) {
		struct aiocb *cb = &handler_cb[i % HANDLER_CBS];
		const struct aiocb *list[1] = {cb};

		/* The slot's last request, if the last round cut it off. */
		if (aio_error(cb) == EINPROGRESS)
			continue;
		aio_return(cb);
		xt_cb_set(cb, handler_fd, handler_buf[i % HANDLER_CBS], 4096,
			  (off_t)(i % 16) * 4096);
		if (aio_read(cb))
			break;
		aio_suspend(list, 1, NULL);
	}
	errno = saved;
}

static void *busy_sleeper(void *arg)
{
	const struct aiocb *list[1] = {arg};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (;;)
		aio_suspend(list, 1, NULL);
	return NULL;
}

static int cancel_round(struct pending *pr, unsigned int *seed)
{
	pthread_t t;
	void *ret = NULL;
	int runs = atomic_load(&handler_runs);

	XT_ASSERT_EQ(xt_start_thread(&t, busy_sleeper, &pr->cb), 0);
	xt_sleep_ms(2); /* most often asleep in aio_suspend by now */
	XT_ASSERT_EQ(pthread_kill(t, SIGUSR2), 0);
	XT_ASSERT_EQ(xt_wait_count(&handler_runs, runs + 1, 3000), runs + 1);
	usleep(rand_r(seed) % 2000);
	XT_ASSERT_EQ(pthread_cancel(t), 0);
	XT_ASSERT_EQ(xt_join_within(t, 3000, &ret), 0);
	XT_ASSERT(ret == PTHREAD_CANCELED);
	return XT_PASS;
}

static int suspend_cancel_in_handler(void)
{
	static struct pending pr;
	struct sigaction sa = {.sa_handler = busy_handler}, old;
	unsigned int seed = (unsigned int)getpid();
	struct aiocb cb;
	char buf[4096];
	int r = XT_PASS;

	XT_REQUIRE_BACKEND();
#if defined(__SANITIZE_THREAD__)
	/* TSan holds a signal back until its target enters libc: never. */
	XT_SKIP_IF(1, "TSan delays signals to a thread in a raw system call");
#endif
	handler_fd = xt_make_file("cancel-in-handler", 16 * 4096, O_RDONLY);
	XT_ASSERT(handler_fd >= 0);
	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(SIGUSR2, &sa, &old));
	XT_ASSERT_OK(pending_start(&pr));
	for (int round = 0; round < 40 && r == XT_PASS; round++) {
		r = cancel_round(&pr, &seed);
		/* The engine still serves a new request, and the old ones. */
		xt_cb_set(&cb, handler_fd, buf, sizeof(buf), 4096);
		if (r == XT_PASS && (aio_read(&cb) || xt_cb_wait(&cb, 3000) ||
				     aio_return(&cb) != (ssize_t)sizeof(buf))) {
			fprintf(stderr, "round %d: the engine is stuck\n",
				round);
			r = XT_FAIL;
		}
		for (int i = 0; i < HANDLER_CBS && r == XT_PASS; i++) {
			if (handler_cb[i].aio_buf &&
			    xt_cb_wait(&handler_cb[i], 3000) == EINPROGRESS) {
				fprintf(stderr, "round %d: a read is lost\n",
					round);
				r = XT_FAIL;
			}
		}
	}
	sigaction(SIGUSR2, &old, NULL);
	if (pending_finish(&pr))
		r = XT_FAIL;
	close(handler_fd);
	return r;
}

static struct xt_case cases[] = {
	/* Forked cases first (see the comment at the top). */
	{"suspend_bad_nsec_big", suspend_bad_nsec_big},
	{"suspend_bad_nsec_negative", suspend_bad_nsec_negative},
	{"suspend_huge_list", suspend_huge_list},
	{"suspend_nent_zero", suspend_nent_zero},
	{"suspend_all_null", suspend_all_null},
	{"suspend_completed_entry", suspend_completed_entry},
	{"suspend_null_mixed", suspend_null_mixed},
	{"suspend_poll", suspend_poll},
	{"suspend_timeout", suspend_timeout},
	{"suspend_wake_by_thread", suspend_wake_by_thread},
	{"suspend_wake_huge_timeout", suspend_wake_huge_timeout},
	{"suspend_in_handler_over_waiter", suspend_in_handler_over_waiter},
	{"suspend_cancel_first_waiter", suspend_cancel_first_waiter},
	{"suspend_cancel_second_waiter", suspend_cancel_second_waiter},
	{"suspend_nent_negative", suspend_nent_negative},
	{"suspend_eintr", suspend_eintr},
	{"suspend_cancel_in_handler", suspend_cancel_in_handler},
};

XT_MAIN(cases)
