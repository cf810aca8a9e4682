// SPDX-License-Identifier: MIT
/*
 * The thread-pool backend: portable blocking system calls on worker
 * threads, used when io_uring is missing, forbidden, full or refuses an op.
 *
 * There is no per-fd serialisation here (the fd table above orders what
 * POSIX orders): one FIFO queue, any idle worker takes the oldest request.
 *
 * Growth.  The first request starts the first worker; after that only
 * workers start workers: one that takes a request and leaves none idle
 * starts another (a request may block: a pipe or socket read), up to
 * XAIO_THREADS (default 256).  So no application thread, which may be in
 * a signal handler that interrupted malloc, ever calls pthread_create
 * after the first; in a call that may be in a handler (xaio__restricted)
 * not even the first, which is then left to the engine's reaper
 * (grow).  A worker idle for IDLE_SECONDS exits, except the last.
 * Workers block every signal so that process-directed signals reach
 * application threads, and are named "xaio-worker".
 *
 * A queued POSIX request runs on a private dup of the caller's descriptor,
 * taken when it is queued, so closing the fd and reusing its number can
 * never redirect it to another file (the native layer closes its own
 * descriptors only after their last request).  On an O_NONBLOCK stream a
 * request fails with EAGAIN as read(2) would (XAIO__RF_NBIO, set by the
 * engine), or waits for readiness with XAIO_NONBLOCK=wait.
 *
 * XAIO_FAULT=NAME[:N] (NAME one of EIO, ENOSPC, EDQUOT, ENOMEM) is a test
 * hook: every Nth request (default every one) fails with that error
 * without doing any I/O.  Like every XAIO_ variable it is ignored in
 * secure-execution mode.
 *
 * Locking: `lock` guards the queue, the counters and QUEUED -> RUNNING
 * transitions (so cancel() and a worker never both take a
 * request).  Completion runs unlocked.  fork: prepare takes `lock`; the
 * child starts with no workers and an empty queue.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/internal.h"

#define IDLE_SECONDS 2
#define DEFAULT_MAX 256

/* Test hook (XAIO_FAULT=EIO:N): every Nth request fails without I/O. */
static int fault_errno;
static uint32_t fault_every;
static _Atomic uint32_t fault_count;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct xaio__req *head, *tail;
static uint32_t nthreads, nidle, nqueued, max_threads;

static int64_t run(struct xaio__req *req)
{
	if (fault_every &&
	    atomic_fetch_add(&fault_count, 1) % fault_every == fault_every - 1)
		return -fault_errno;
	for (;;) {
		int64_t r = xaio__ops[req->op].run(req);
		struct pollfd pfd;

		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		/*
		 * An O_NONBLOCK stream fails as read(2) would, by default; a
		 * native request always (it is the plain system call).
		 */
		if (errno != EAGAIN ||
		    (req->flags & (XAIO__RF_NBIO | XAIO__RF_NATIVE)))
			return -errno;
		/* XAIO_NONBLOCK=wait: until it is ready. */
		pfd.fd = req->xfd;
		pfd.events =
			(req->op == XAIO__OP_READ || req->op == XAIO__OP_READV)
				? POLLIN
				: POLLOUT;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
}

static int spawn(void);

static void *worker(void *arg)
{
	pthread_mutex_lock(&lock);
	for (;;) {
		struct xaio__req *req = head;

		if (!req) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += IDLE_SECONDS;
			nidle++;
			int r = pthread_cond_timedwait(&cond, &lock, &ts);
			nidle--;
			/* The last one stays: see "Growth" above. */
			if (r == ETIMEDOUT && !head && nthreads > 1)
				break;
			continue;
		}
		head = req->q_next;
		if (!head)
			tail = NULL;
		nqueued--;
		/* This one may block: the next request gets a new worker. */
		if (!nidle && nthreads < max_threads)
			spawn();
		req->q_next = NULL;
		atomic_store_explicit(&req->state, XAIO__RS_RUNNING,
				      memory_order_relaxed);
		pthread_mutex_unlock(&lock);
		xaio__complete(req, run(req));
		pthread_mutex_lock(&lock);
	}
	nthreads--;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static pthread_condattr_t *monotonic(void)
{
	static pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	return &attr;
}

static void read_env(void)
{
	static const struct {
		const char *name;
		int err;
	} faults[] = {{"EIO", EIO},
		      {"ENOSPC", ENOSPC},
		      {"EDQUOT", EDQUOT},
		      {"ENOMEM", ENOMEM}};
	const char *env = xaio__getenv("XAIO_THREADS");
	long n = env ? strtol(env, NULL, 10) : 0;

	max_threads = n > 0 && n < 65536 ? (uint32_t)n : DEFAULT_MAX;
	env = xaio__getenv("XAIO_FAULT");
	for (size_t i = 0; env && i < XAIO__ARRAY_SIZE(faults); i++) {
		size_t len = strlen(faults[i].name);

		if (strncmp(env, faults[i].name, len))
			continue;
		fault_errno = faults[i].err;
		n = env[len] == ':' ? strtol(env + len + 1, NULL, 10) : 1;
		fault_every = n > 0 ? (uint32_t)n : 1;
	}
}

/* Starts a worker; lock held.  0 or -errno. */
static int spawn(void)
{
	static bool cond_ready;
	int r;

	if (!cond_ready) {
		pthread_cond_init(&cond, monotonic());
		cond_ready = true;
		read_env();
	}
	r = xaio__thread_start(worker, "xaio-worker");
	if (r == 0)
		nthreads++;
	return r;
}

static int issue(struct xaio__req *req)
{
	bool deny = false;
	int r = 0;

	/* The native layer keeps its descriptors open until completion. */
	if (req->xfd == req->fd && !(req->flags & XAIO__RF_NATIVE)) {
		int dup = xaio__fd_private(req->fd);

		if (dup == -EBADF) {
			xaio__complete(req, -EBADF);
			return 0;
		}
		if (dup >= 0)
			req->xfd = dup;
		/* Out of descriptors: run on the caller's fd, as glibc does. */
	}
	xaio__lock(&lock);
	/*
	 * Only the first worker is started here; workers start the others
	 * (this may be a signal handler, where pthread_create deadlocks on
	 * the malloc it interrupted).
	 */
	if (!nthreads) {
		if (xaio__restricted)
			deny = true;
		else
			r = spawn();
	}
	if (r == 0) {
		atomic_store_explicit(&req->state, XAIO__RS_QUEUED,
				      memory_order_relaxed);
		req->q_next = NULL;
		if (tail)
			tail->q_next = req;
		else
			head = req;
		tail = req;
		nqueued++;
		pthread_cond_signal(&cond);
	}
	xaio__unlock(&lock);
	if (deny)
		xaio__engine_want_grow();
	return r;
}

static void grow(void)
{
	xaio__lock(&lock);
	/* max_threads is read at the first spawn. */
	for (uint32_t n = nqueued > nidle ? nqueued - nidle : 0;
	     n && (!nthreads || nthreads < max_threads) && spawn() == 0; n--)
		;
	xaio__unlock(&lock);
}

static bool cancel(struct xaio__req *req, uint32_t gen)
{
	struct xaio__req **pp, *prev = NULL;
	bool found = false;

	xaio__lock(&lock);
	if (xaio__req_gen(req) == gen &&
	    atomic_load_explicit(&req->state, memory_order_relaxed) ==
		    XAIO__RS_QUEUED) {
		for (pp = &head; *pp; prev = *pp, pp = &(*pp)->q_next) {
			if (*pp != req)
				continue;
			*pp = req->q_next;
			if (tail == req)
				tail = prev;
			nqueued--;
			req->q_next = NULL;
			atomic_store_explicit(&req->state, XAIO__RS_RUNNING,
					      memory_order_relaxed);
			found = true;
			break;
		}
	}
	xaio__unlock(&lock);
	return found;
}

static uint32_t threads(void)
{
	uint32_t n;

	xaio__lock(&lock);
	n = nthreads;
	xaio__unlock(&lock);
	return n;
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

static void atfork_child(void)
{
	pthread_mutex_unlock(&lock); /* taken by the prepare handler */
	pthread_cond_init(&cond, monotonic());
	head = tail = NULL;
	nthreads = nidle = nqueued = 0;
}

static bool runs_all(unsigned int op)
{
	return op < XAIO__OP_COUNT;
}

const struct xaio__backend xaio__pool_backend = {
	.name = "threads",
	.has = runs_all,
	.issue = issue,
	.cancel = cancel,
	.threads = threads,
	.grow = grow,
	.atfork_prepare = atfork_prepare,
	.atfork_parent = atfork_parent,
	.atfork_child = atfork_child,
};
