// SPDX-License-Identifier: MIT
/*
 * The engine: request life cycle, backend choice, completion and waiting.
 *
 * A request goes: xaio__submit() -> fd table (may hold it) -> a backend
 * (io_uring, or the thread pool when the ring is missing, full, or refused
 * the op) -> xaio__complete() -> its done() callback -> back to the pool.
 * The backends are called only here, only through struct xaio__backend
 * (`ring` while the ring is up, `pool`).
 * A read of cached data skips the fd table and the backends: it is done
 * in xaio__submit() itself (read_now(), backend/nowait.c).
 *
 * Who reaps the ring.  A cross-thread completion hand-off costs ~20 us on
 * this class of machine against ~2 us when the waiting thread reaps itself,
 * so threads that wait (xaio__wait: aio_suspend, lio_listio(LIO_WAIT)) and
 * threads that poll (xaio__poll: aio_error) reap the ring themselves.  One
 * of them at a time is the leader: it holds the ring's completion lock and
 * sleeps on the ring's eventfd; the others sleep on the `seq` futex, which
 * moves after every completion (once per batch reaped from the ring).  A
 * background reaper thread takes part only while `progress` is nonzero,
 * that is while some request in flight has a notification to deliver or is
 * holding back another one: those must complete even when no thread waits.
 * It is also the watchdog of batched submissions (backend/uring.c): while
 * `watching` is up it ticks every WATCH_TICK_NS and submits what nobody
 * else did since the previous tick.  It sleeps on `bell`, which
 * progress_get() and xaio__watchdog_arm() ring.
 *
 * Memory ordering.  done() publishes the result before the seq bump
 * (release); waiters read seq (acquire) and then the result.  nwaiters and
 * seq form a Dekker pair (seq_cst on both sides) so a wake is never lost.
 * So do nwaiters and the ring's in-flight count: a waiter that found the
 * ring idle sleeps on the futex, and the submission that makes the ring
 * busy wakes it to become the leader (else the completion of a request
 * without a notification would sit in the CQ with nobody to reap it).
 *
 * Locks (in order): the ring's completion lock, then fd-table buckets, then
 * the ring's submission lock or the pool queue lock.  No lock is held while
 * a done() callback runs.  xaio__in_engine marks threads inside the engine,
 * so that aio_error() called from a signal handler that interrupted one
 * never reaps (it would take locks that thread may hold).
 *
 * fork: the child starts with no engine at all (no ring, no threads, no
 * requests) and starts a new one on first use; see atfork_child().
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/internal.h"
#include "core/sys.h"

#define SQPOLL_MAX_MS 60000 /* XAIO_SQPOLL's largest idle time */
#define WATCH_TICK_NS 1000000L /* a deferred submission waits <= 2 ticks */
#define WATCH_IDLE_TICKS 100 /* ticks without batching: the watchdog stops */
#define BATCH_MIN 8 /* XAIO_BATCH's default */
/*
 * Inline work: io_uring copies cached data inside io_uring_enter, on the
 * submitting thread, and so does the page-cache fast path.  A request
 * larger than INLINE_MAX, or one that takes a call's total past
 * INLINE_CALL_MAX (a lio_listio is one call), is sent to the kernel's
 * workers instead (IOSQE_ASYNC), so submission does not grow with size.
 */
#define INLINE_MAX (256 * 1024)
#define INLINE_CALL_MAX (1024 * 1024)
#define BATCH_MAX 65536

__thread int xaio__in_engine __attribute__((tls_model("initial-exec")));
__thread int xaio__locked __attribute__((tls_model("initial-exec")));
__thread int xaio__restricted __attribute__((tls_model("initial-exec")));
__thread int xaio__cp_window __attribute__((tls_model("initial-exec")));
static __thread int plug_depth __attribute__((tls_model("initial-exec")));
/* Bytes this thread's current call has done or queued inline. */
static __thread uint64_t inline_bytes
	__attribute__((tls_model("initial-exec")));

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int started;
static bool atfork_registered;
static uint32_t backend; /* enum xaio_backend, fixed once started */
/* The backends: the ring while it is up (else NULL), and the pool. */
static const struct xaio__backend *ring;
static const struct xaio__backend *const pool = &xaio__pool_backend;
static uint32_t reason;
static int uring_errno;
static uint32_t ring_entries;
static uint32_t sqpoll_ms; /* granted XAIO_SQPOLL idle time, 0: none */
static int sqpoll_errno; /* why io_uring_setup refused SQPOLL */
static bool nowait = true; /* XAIO_NOWAIT: the page-cache fast path */
static bool nonblock_wait; /* XAIO_NONBLOCK=wait: O_NONBLOCK streams wait */
/*
 * XAIO_BATCH: the ring may batch a submission when at least this many
 * requests are in flight on it; 0: never (also when no watchdog can run).
 */
static _Atomic uint32_t batch = BATCH_MIN;

static _Atomic uint32_t seq;
static _Atomic uint32_t nwaiters;
static _Atomic uint32_t progress;
static _Atomic uint32_t bell; /* the reaper's futex */
static _Atomic int watching;
static _Atomic int reaper_started;
static _Atomic int grow_wanted; /* the pool was denied workers */
static _Atomic uint32_t durable; /* file writes and fsyncs in flight */

static struct {
	_Atomic uint64_t submitted, on_ring, on_threads, fallbacks, completed,
		inline_reads;
} stats;

const char *xaio__getenv(const char *name)
{
	return secure_getenv(name);
}

static int progress_get(void);
static void progress_put(void);

/* --- waking and waiting --- */

static void bump(void)
{
	atomic_fetch_add(&seq, 1);
	if (atomic_load(&nwaiters))
		xaio__futex_wake(&seq, INT32_MAX);
}

uint32_t xaio__seq(void)
{
	return atomic_load(&seq);
}

/* pthread_cancel acted in futex_sleep: it is no longer a waiter. */
static void futex_unwait(void *arg)
{
	(void)arg;
	atomic_fetch_sub(&nwaiters, 1);
}

/*
 * Sleeps on seq.  ring_idle: the caller found nothing in flight on the
 * ring, so nobody may be there to reap a request issued from now on.  The
 * issuer that takes the ring from idle to busy wakes the futex sleepers
 * (issue()); this side counts itself in nwaiters, then looks at the ring
 * again (seq_cst on both sides: one of the two sees the other).
 */
static int futex_sleep(uint32_t snap, const struct timespec *deadline,
		       bool cancel, bool ring_idle)
{
	struct timespec rel;
	int r = 0;

	atomic_fetch_add(&nwaiters, 1);
	if (ring_idle && ring->busy()) {
		/* Not idle any more: the caller retries, and may reap. */
	} else if (atomic_load(&seq) == snap) {
		if (deadline)
			rel = xaio__until(deadline);
		if (deadline && !rel.tv_sec && !rel.tv_nsec) {
			r = -ETIMEDOUT;
		} else if (cancel) {
			pthread_cleanup_push(futex_unwait, NULL);
			r = xaio__futex_wait(&seq, snap, deadline ? &rel : NULL,
					     true);
			pthread_cleanup_pop(0);
		} else {
			r = xaio__futex_wait(&seq, snap, deadline ? &rel : NULL,
					     false);
		}
	}
	atomic_fetch_sub(&nwaiters, 1);
	if (r == -EAGAIN)
		r = 0;
	return r;
}

/* pthread_cancel acted in xaio__wait: leave the engine, let others on. */
static void unwait(void *arg)
{
	(void)arg;
	xaio__wake(); /* a new leader must take over the ring */
	xaio__restricted--;
	xaio__in_engine--;
}

/*
 * The ring, for callers that may run before any thread started the engine
 * (a wait or a poll as the first call): NULL until it has started.
 */
static const struct xaio__backend *started_ring(void)
{
	return atomic_load_explicit(&started, memory_order_acquire) ? ring
								    : NULL;
}

static int wait_in_engine(uint32_t snap, const struct timespec *deadline,
			  bool cancel)
{
	const struct xaio__backend *b = started_ring();
	bool idle = b && !b->busy();
	int r = -EBUSY;

	if (b && !idle) {
		/*
		 * A handler that interrupted this thread's own leader sleep
		 * leads in its place (the reaper could not: the lock is ours).
		 */
		if ((xaio__in_engine == 1 && !xaio__locked) || b->parked()) {
			r = b->wait(snap, deadline, cancel);
			/*
			 * Every release of the completion lock moves seq, even
			 * with nothing reaped: a thread that failed to take
			 * the lock meanwhile read seq before, so it cannot
			 * sleep through the hand-over (it may not be counted
			 * in nwaiters yet).
			 */
			if (r != -EBUSY)
				xaio__wake();
		} else {
			/*
			 * A signal handler interrupted this thread inside the
			 * engine: it must not take the ring's locks, so let
			 * the background reaper do the reaping meanwhile.  If
			 * the thread holds the submission lock, nobody else
			 * can submit what it left for a batch: do it here.
			 */
			b->flush(XAIO__FLUSH_INTERRUPTED);
			progress_get();
			r = futex_sleep(snap, deadline, false, false);
			progress_put();
		}
	}
	if (r == -EBUSY)
		r = futex_sleep(snap, deadline, cancel, idle);
	return r;
}

int xaio__wait(uint32_t snap, const struct timespec *deadline, bool cancel)
{
	int r;

	xaio__in_engine++;
	/* aio_suspend may be in a signal handler (see xaio__restricted). */
	xaio__restricted++;
	/* Never from a signal handler that interrupted the engine. */
	if (cancel && xaio__in_engine == 1) {
		pthread_cleanup_push(unwait, NULL);
		r = wait_in_engine(snap, deadline, true);
		pthread_cleanup_pop(0);
	} else {
		r = wait_in_engine(snap, deadline, false);
	}
	xaio__restricted--;
	xaio__in_engine--;
	return r;
}

void xaio__poll(void)
{
	const struct xaio__backend *b = started_ring();

	if (!b)
		return;
	/* (Or one that interrupted a lock of the native layer's.) */
	if (xaio__in_engine || xaio__locked) {
		/* A handler: no reaping, but a batch must not be stuck. */
		b->flush(XAIO__FLUSH_INTERRUPTED);
		return;
	}
	xaio__in_engine++;
	b->flush(XAIO__FLUSH_DEFERRED); /* the caller's batch, at the latest */
	/* The completion lock changed hands: see xaio__wait. */
	if (b->busy() && b->reap() >= 0)
		xaio__wake();
	xaio__in_engine--;
}

/* --- the background reaper --- */

static void ring_bell(void)
{
	atomic_fetch_add(&bell, 1);
	xaio__futex_wake(&bell, 1);
}

/* Ticks while submissions are batched and nobody needs the reaper. */
static void watch(void)
{
	const struct timespec tick = {0, WATCH_TICK_NS};
	struct xaio__watch w = {0};
	int idle = 0;

	for (;;) {
		uint32_t b = atomic_load(&bell);

		/* Leading instead, it submits the SQ before it sleeps. */
		if (atomic_load(&progress))
			return;
		xaio__futex_wait(&bell, b, &tick, false);
		if (ring->watch(&w)) {
			idle = 0;
		} else if (++idle == WATCH_IDLE_TICKS) {
			/* Dekker pair with xaio__watchdog_arm(). */
			atomic_store(&watching, 0);
			if (!ring->watch(&w))
				return;
			atomic_store(&watching, 1);
			idle = 0;
		}
	}
}

static void *reaper_main(void *arg)
{
	for (;;) {
		struct timespec deadline;
		uint32_t b = atomic_load(&bell);

		/* Workers a restricted caller could not start. */
		if (atomic_exchange(&grow_wanted, 0))
			pool->grow();

		if (!atomic_load(&progress)) {
			if (atomic_load(&watching))
				watch();
			else
				xaio__futex_wait(&bell, b, NULL, false);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_nsec += 50 * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_nsec -= 1000000000L;
			deadline.tv_sec++;
		}
		xaio__wait(xaio__seq(), &deadline, false);
	}
	return NULL;
}

void xaio__engine_want_grow(void)
{
	/* Async-signal-safe: the reaper (or the next submission) grows it. */
	atomic_store(&grow_wanted, 1);
	ring_bell();
	bump();
	if (ring)
		ring->kick();
}

int xaio__thread_start(void *(*fn)(void *), const char *name)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	int r;

	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	/* The new thread inherits the mask: no signal ever lands on it. */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, &attr, fn, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r)
		return -r;
	pthread_setname_np(t, name);
	return 0;
}

static pthread_mutex_t reaper_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Cancellations are serialised: an fd-wide one takes held requests out of
 * the fd table before it completes them, and a second canceller must not
 * see them gone (ALLDONE) while their aiocbs still say EINPROGRESS.
 */
static pthread_mutex_t cancel_lock = PTHREAD_MUTEX_INITIALIZER;

static int start_reaper(void)
{
	sigset_t all, old;
	int r = 0;

	if (xaio__restricted)
		return -EAGAIN; /* no pthread_create in a handler */
	/* A handler that waits here would take reaper_lock again. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&reaper_lock);
	if (!atomic_load(&reaper_started)) {
		r = xaio__thread_start(reaper_main, "xaio-reaper");
		if (r == 0)
			atomic_store(&reaper_started, 1);
	}
	pthread_mutex_unlock(&reaper_lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

bool xaio__watchdog_arm(void)
{
	if (atomic_load(&watching))
		return true;
	if (!atomic_load_explicit(&reaper_started, memory_order_relaxed) &&
	    start_reaper() < 0) {
		atomic_store(&batch, 0); /* no watchdog: no batching */
		return false;
	}
	if (!atomic_exchange(&watching, 1))
		ring_bell();
	return true;
}

/*
 * A request that must complete even if nobody waits holds a progress
 * reference.  -EAGAIN when the reaper that guarantees it cannot start:
 * the request is then refused rather than left to chance.
 */
static int progress_get(void)
{
	if (!ring)
		return 0;
	if (!atomic_load_explicit(&reaper_started, memory_order_relaxed) &&
	    start_reaper() < 0)
		return -EAGAIN;
	if (atomic_fetch_add(&progress, 1) == 0)
		ring_bell();
	return 0;
}

static void progress_put(void)
{
	if (ring)
		atomic_fetch_sub(&progress, 1);
}

/* --- start-up and fork --- */

/*
 * The forking thread holds the pool's and the thread pool's locks from
 * prepare to parent/child: it counts as inside the engine meanwhile, so a
 * signal handler there never reaps into them.
 */
static void atfork_prepare(void)
{
	xaio__in_engine++;
	xaio__pool_atfork_prepare();
	pool->atfork_prepare();
}

static void atfork_parent(void)
{
	pool->atfork_parent();
	xaio__pool_atfork_parent();
	xaio__in_engine--;
}

static void atfork_child(void)
{
	pool->atfork_child();
	xaio__pool_atfork_child();
	xaio__fd_atfork_child();
	if (ring)
		ring->atfork_child();
	xaio__fd_atfork_child_close();
	atomic_store(&durable, 0);
	pthread_mutex_init(&start_lock, NULL);
	pthread_mutex_init(&cancel_lock, NULL);
	pthread_mutex_init(&reaper_lock, NULL);
	atomic_store(&started, 0);
	backend = XAIO_BACKEND_NONE;
	ring = NULL;
	sqpoll_ms = 0;
	sqpoll_errno = 0;
	atomic_store(&nwaiters, 0);
	atomic_store(&progress, 0);
	atomic_store(&watching, 0);
	atomic_store(&reaper_started, 0);
	memset(&stats, 0, sizeof(stats));
	atomic_store(&grow_wanted, 0);
	xaio__in_engine = 0;
	xaio__locked = 0;
	plug_depth = 0;
}

static void choose_backend(void)
{
	const char *env = xaio__getenv("XAIO_BACKEND");
	const char *nw = xaio__getenv("XAIO_NOWAIT");
	const char *bt, *sq, *nb;
	char *end = NULL;
	long ms, n;
	int r;

	/* XAIO_FAULT's errors are injected in the pool: reads must go there. */
	nowait = !(nw && !strcmp(nw, "0")) && !xaio__getenv("XAIO_FAULT");
	nb = xaio__getenv("XAIO_NONBLOCK");
	nonblock_wait = nb && !strcmp(nb, "wait");
	/* Anything but a number in range is the default. */
	bt = xaio__getenv("XAIO_BATCH");
	n = bt && *bt ? strtol(bt, &end, 10) : -1;
	batch = n >= 0 && n <= BATCH_MAX && !*end ? (uint32_t)n : BATCH_MIN;
	reason = XAIO_REASON_DEFAULT;
	if (env && *env && strcmp(env, "auto"))
		reason = XAIO_REASON_ENV;
	if (env && (!strcmp(env, "threads") || !strcmp(env, "threadpool"))) {
		backend = XAIO_BACKEND_THREADS;
		return;
	}
	sq = xaio__getenv("XAIO_SQPOLL");
	ms = sq ? strtol(sq, NULL, 10) : 0;
	sqpoll_ms = ms > 0 && ms <= SQPOLL_MAX_MS ? (uint32_t)ms : 0;
	r = xaio__uring_backend.init(&ring_entries, sqpoll_ms, &sqpoll_errno);
	if (sqpoll_errno)
		sqpoll_ms = 0;
	if (r == 0) {
		backend = XAIO_BACKEND_URING;
		ring = &xaio__uring_backend;
		return;
	}
	sqpoll_ms = 0;
	sqpoll_errno = 0;
	uring_errno = -r;
	reason = XAIO_REASON_URING_FAILED;
	backend = XAIO_BACKEND_THREADS;
}

int xaio__engine_start(void)
{
	if (atomic_load_explicit(&started, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&start_lock);
	if (!atomic_load_explicit(&started, memory_order_relaxed)) {
		if (!atfork_registered &&
		    pthread_atfork(atfork_prepare, atfork_parent,
				   atfork_child) == 0)
			atfork_registered = true;
		choose_backend();
		atomic_store_explicit(&started, 1, memory_order_release);
	}
	pthread_mutex_unlock(&start_lock);
	return 0;
}

/*
 * Exit.  A program that returns from main right after aio_write said yes
 * must find its data in the file: at exit() (a destructor of the library)
 * what was left for a batch is submitted and the file writes and fsyncs
 * still in flight are waited for, at most XAIO_EXIT_TIMEOUT seconds
 * (default EXIT_TIMEOUT_S; 0: do not wait).  Reads are not waited for, nor
 * writes to pipes and sockets, which may never finish.  _exit(), a fatal
 * signal and exec() wait for nothing: the kernel finishes what it has
 * started and drops the rest (see docs/posix-compat.md).
 */
#define EXIT_TIMEOUT_S 10

long xaio__exit_timeout_s(void)
{
	const char *env = xaio__getenv("XAIO_EXIT_TIMEOUT");
	char *end;

	if (env && *env) {
		long v = strtol(env, &end, 10);

		if (!*end && v >= 0 && v <= 86400)
			return v;
	}
	return EXIT_TIMEOUT_S;
}

__attribute__((destructor)) static void drain_at_exit(void)
{
	struct timespec deadline;
	long s;

	if (!atomic_load(&started) || !atomic_load(&durable))
		return;
	s = xaio__exit_timeout_s();
	if (!s)
		return;
	deadline = xaio__deadline(&(struct timespec){s, 0});
	xaio__in_engine++;
	if (ring)
		ring->flush(XAIO__FLUSH_DEFERRED);
	xaio__in_engine--;
	while (atomic_load(&durable)) {
		uint32_t snap = xaio__seq();

		if (atomic_load(&durable) &&
		    xaio__wait(snap, &deadline, false) == -ETIMEDOUT)
			break;
	}
}

/* --- requests --- */

struct xaio__req *xaio__req_alloc(void)
{
	struct xaio__req *req;

	xaio__in_engine++; /* see pool.c: the thread's cache is not reentrant */
	req = xaio__pool_get();
	xaio__in_engine--;
	if (!req)
		return NULL;
	/* Findable from now on (aio_error: in flight, not unknown). */
	atomic_store_explicit(&req->state, XAIO__RS_RUNNING,
			      memory_order_relaxed);
	req->flags = 0;
	req->group = NULL;
	req->owner = NULL;
	req->res = 0;
	req->note = NULL;
	req->track = NULL;
	req->fail = 0;
	req->reissued = 0;
	req->durable = 0;
	atomic_store_explicit(&req->cancel, XAIO__CX_NONE,
			      memory_order_relaxed);
	req->backend = XAIO_BACKEND_NONE;
	req->partial = 0;
	req->fde = NULL;
	req->fd_prev = req->fd_next = req->lane_next = req->q_next = NULL;
	return req;
}

void xaio__req_free(struct xaio__req *req)
{
	xaio__in_engine++; /* as in xaio__req_alloc */
	xaio__pool_put(req);
	xaio__in_engine--;
}

/* xaio__req_find(), also giving the state it read (not FREE nor DONE). */
static struct xaio__req *find_state(uint32_t index, uint32_t gen,
				    const void *owner, uint32_t *state)
{
	struct xaio__req *req = xaio__pool_slot(index);
	uint32_t st;
	void *o;

	if (!req ||
	    atomic_load_explicit(&req->gen, memory_order_acquire) != gen)
		return NULL;
	st = atomic_load_explicit(&req->state, memory_order_acquire);
	o = atomic_load_explicit(&req->owner, memory_order_relaxed);
	/* Reader side of the seqlock (see xaio__pool_get): still gen? */
	atomic_thread_fence(memory_order_acquire);
	if (xaio__req_gen(req) != gen)
		return NULL;
	if (st == XAIO__RS_FREE || st == XAIO__RS_DONE)
		return NULL;
	*state = st;
	return !owner || o == owner ? req : NULL;
}

struct xaio__req *xaio__req_find(uint32_t index, uint32_t gen,
				 const void *owner)
{
	uint32_t st;

	return find_state(index, gen, owner, &st);
}

/*
 * Closes req's private duplicate of its descriptor, if it has one.  The
 * slot forgets it before it is closed: a child forked meanwhile then keeps
 * it open (a leak) rather than closing whatever reused the number
 * (xaio__pool_atfork_child closes the duplicates the slots still name).
 */
static void drop_dup(struct xaio__req *req)
{
	int dup = req->xfd;

	if (dup == req->fd)
		return;
	req->xfd = req->fd;
	atomic_signal_fence(memory_order_seq_cst); /* forget, then close */
	xaio__fd_release(dup);
	/* On a busy ring, with the next batch: no system call of its own. */
	if (!ring || !atomic_load(&batch) || !ring->close_later(dup))
		xaio__close(dup);
}

/* Hands req to a backend: 0, or -EAGAIN when no worker could take it. */
static int issue(struct xaio__req *req)
{
	int r = -EAGAIN;

	req->backend = XAIO_BACKEND_URING;
	if (ring && !req->reissued && ring->has(req->op))
		r = ring->issue(req);
	if (r >= 0) {
		atomic_fetch_add_explicit(&stats.on_ring, 1,
					  memory_order_relaxed);
		/* Wakes waiters that slept on an idle ring (futex_sleep). */
		if (r == 1 && atomic_load(&nwaiters))
			xaio__wake();
		return 0;
	}
	req->backend = XAIO_BACKEND_THREADS;
	atomic_fetch_add_explicit(&stats.on_threads, 1, memory_order_relaxed);
	return pool->issue(req);
}

/* For requests issued after their submission returned: fail, not refuse. */
static void issue_later(struct xaio__req *req)
{
	if (issue(req) < 0)
		xaio__complete(req, -EAGAIN);
}

static void issue_list(struct xaio__req *ready)
{
	while (ready) {
		struct xaio__req *next = ready->q_next;

		ready->q_next = NULL;
		issue_later(ready);
		ready = next;
	}
}

void xaio__reissue(struct xaio__req *req)
{
	req->reissued = 1;
	atomic_fetch_add_explicit(&stats.fallbacks, 1, memory_order_relaxed);
	issue_later(req);
}

bool xaio__continue_write(struct xaio__req *req, int64_t res)
{
	/* What one write(2) writes: everything, up to the kernel's cap. */
	uint64_t cap = XAIO__MAX_RW - req->partial;
	uint64_t want = req->len < cap ? req->len : cap;

	if (!(req->flags & XAIO__RF_WHOLE) || res <= 0 || (uint64_t)res >= want)
		return false;
	req->buf = (char *)req->buf + res;
	req->len = want - (uint64_t)res;
	req->partial += (uint64_t)res;
	/* The thread pool when the ring is full: it writes all or fails. */
	issue_later(req);
	return true;
}

/*
 * What the kernel says about req's descriptor that changes how it runs: a
 * stream (pipe, socket, tty...) has no offset, and an O_NONBLOCK stream
 * fails with EAGAIN where a blocking one would wait, as read(2) and
 * write(2) do (unless XAIO_NONBLOCK=wait).  -EBADF: not a descriptor.
 */
static int describe(struct xaio__req *req, int *fl)
{
	struct stat st;

	*fl = fcntl(req->fd, F_GETFL);
	if (*fl < 0)
		return -EBADF;
	if (*fl & O_DIRECT)
		req->flags |= XAIO__RF_DIRECT;
	/* Reads on regular files (the common case) need nothing more. */
	if (!(*fl & O_NONBLOCK) &&
	    (req->op == XAIO__OP_READ || req->op == XAIO__OP_READV))
		return 0;
	if (fstat(req->fd, &st) < 0)
		return -EBADF;
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return 0;
	req->flags |= XAIO__RF_STREAM;
	if ((*fl & O_NONBLOCK) && !nonblock_wait)
		req->flags |= XAIO__RF_NBIO;
	return 0;
}

/*
 * Decides how the fd table orders req.  Positioned requests on seekable
 * files need no ordering; writes to O_APPEND descriptors and streams run
 * one at a time, fsyncs after everything before them.
 */
static int classify(struct xaio__req *req)
{
	int fl;

	req->kind = XAIO__K_FREE;
	switch (req->op) {
	case XAIO__OP_FSYNC:
	case XAIO__OP_FDATASYNC:
		req->kind = XAIO__K_SYNC;
		return 0;
	case XAIO__OP_WRITE:
	case XAIO__OP_WRITEV:
		if (describe(req, &fl) < 0)
			return -EBADF;
		if (!(req->flags & XAIO__RF_STREAM)) {
			if (fl & O_APPEND)
				req->kind = XAIO__K_LANE;
			break;
		}
		req->kind = XAIO__K_LANE;
		if (!(fl & O_NONBLOCK)) {
			req->flags |= XAIO__RF_WHOLE;
			/* A vector cannot be continued: the pool writes it. */
			if (req->op == XAIO__OP_WRITEV)
				req->reissued = 1;
		}
		break;
	default:
		if (describe(req, &fl) < 0)
			return -EBADF;
		break;
	}
	/* The ring's count is 32 bits: larger ones go to pread/pwrite. */
	if ((req->op == XAIO__OP_READ || req->op == XAIO__OP_WRITE) &&
	    req->len > XAIO__MAX_RW)
		req->reissued = 1;
	return 0;
}

/*
 * The native layer orders its requests itself and runs them as the plain
 * system calls would: nothing to learn about the descriptor.
 */
static void classify_native(struct xaio__req *req)
{
	req->kind = XAIO__K_FREE;
	if ((req->op == XAIO__OP_READ || req->op == XAIO__OP_WRITE) &&
	    req->len > XAIO__MAX_RW)
		req->reissued = 1;
}

bool xaio__stream_retry(struct xaio__req *req, int64_t res)
{
	if (res != -ESPIPE ||
	    (req->flags & (XAIO__RF_STREAM | XAIO__RF_NATIVE)) ||
	    req->op > XAIO__OP_WRITEV)
		return false;
	/* Not seekable after all (a blocking stream read): no offset. */
	req->flags |= XAIO__RF_STREAM;
	issue_later(req);
	return true;
}

/*
 * A read whose data is in the page cache completes here and now (see
 * backend/nowait.c): true when it did.  It needs no fd-table entry (it is
 * finished before anything could order against it) and no progress
 * reference (nobody has to reap it).
 */
static bool read_now(struct xaio__req *req)
{
	int64_t r;

	if (!nowait || req->op != XAIO__OP_READ || req->fail ||
	    inline_bytes + req->len > INLINE_CALL_MAX)
		return false;
	r = xaio__nowait_read(req->fd, req->buf, req->len, req->off);
	if (r < 0)
		return false;
	inline_bytes += (uint64_t)r;
	req->flags &= (uint16_t)~XAIO__RF_NOTIFY; /* it took no progress ref */
	atomic_store_explicit(&req->state, XAIO__RS_RUNNING,
			      memory_order_relaxed);
	atomic_fetch_add_explicit(&stats.submitted, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&stats.inline_reads, 1, memory_order_relaxed);
	xaio__complete(req, r);
	return true;
}

/*
 * The kernel reads a ring request's descriptor number when it takes the
 * SQE: within the submitting call when that enters the kernel, but later
 * for a request left for a batch or taken by an SQPOLL thread, perhaps
 * after the caller closed the number and opened another file at it.  Such
 * a request carries a private duplicate.  False when none could be made.
 */
static bool own_file(struct xaio__req *req)
{
	int dup;

	/* The native layer closes it only after the request completed. */
	if (req->xfd != req->fd || (req->flags & XAIO__RF_NATIVE))
		return true;
	dup = xaio__fd_private(req->fd);
	if (dup < 0)
		return false;
	req->xfd = dup;
	return true;
}

/*
 * May the ring leave req for a batch?  Only what nobody is told about, that
 * waits for nothing, submitted outside any signal handler to a ring with
 * XAIO_BATCH requests in flight (below that, the duplicate costs more than
 * the batch saves) while no thread waits (a waiter might be waiting for
 * it), to a ring whose recent batches held more than one request, and that
 * owns its file.  Not on an O_DIRECT descriptor: the device is the limit
 * there, and a read that waits for a batch reaches it later (measured:
 * 0.79-0.90x the raw ring at depths 32 and 128 batched, 0.84-1.09x not;
 * docs/PERFORMANCE.md).  The ring decides the rest.
 */
static bool may_batch(struct xaio__req *req)
{
	uint32_t min = atomic_load_explicit(&batch, memory_order_relaxed);

	return min && ring && !sqpoll_ms && req->kind == XAIO__K_FREE &&
	       !(req->flags & (XAIO__RF_NOTIFY | XAIO__RF_DIRECT)) &&
	       !req->reissued && xaio__in_engine == 1 &&
	       !atomic_load(&nwaiters) && ring->inflight() >= min &&
	       ring->would_batch() && own_file(req);
}

int xaio__submit(struct xaio__req *req)
{
	struct xaio__req *ready = NULL;
	int saved = errno;
	int r = 0;

	xaio__in_engine++;
	req->xfd = req->fd;
	/*
	 * On the ring, the reaper runs from the first request: a completion
	 * reaped in a signal handler may need pool workers it cannot start.
	 */
	if (ring &&
	    !atomic_load_explicit(&reaper_started, memory_order_relaxed))
		start_reaper();
	if (atomic_load_explicit(&grow_wanted, memory_order_relaxed) &&
	    atomic_exchange(&grow_wanted, 0))
		pool->grow();
	/* Not the program's to use: xaio's ring, eventfd or a duplicate. */
	if (!req->fail && !(req->flags & XAIO__RF_NATIVE) &&
	    xaio__fd_internal(req->fd))
		req->fail = EBADF;
	if (read_now(req))
		goto out;
	if ((req->flags & XAIO__RF_NOTIFY) && progress_get() < 0) {
		req->flags &= (uint16_t)~XAIO__RF_NOTIFY;
		goto refuse;
	}
	atomic_fetch_add_explicit(&stats.submitted, 1, memory_order_relaxed);
	if (req->flags & XAIO__RF_NATIVE)
		classify_native(req);
	else if (!req->fail && classify(req) < 0)
		req->fail = EBADF;
	if (req->fail) {
		/* Reported through the request, as the kernel would. */
		atomic_store(&req->state, XAIO__RS_RUNNING);
		xaio__complete(req, -req->fail);
		r = 0;
		goto out;
	}
	/*
	 * A request that may be held must be seen to run even if nobody
	 * waits: it takes its progress reference now, before the fd table
	 * can release it to another thread (after fd_enter it may already
	 * have completed).
	 */
	if (req->kind != XAIO__K_FREE) {
		if (progress_get() < 0)
			goto refuse;
		req->flags |= XAIO__RF_HELD;
	}
	/* Before fd_enter: from there on another thread may issue it. */
	if ((req->op == XAIO__OP_READ || req->op == XAIO__OP_WRITE) &&
	    !(req->flags & XAIO__RF_DIRECT)) {
		if (req->len > INLINE_MAX ||
		    inline_bytes + req->len > INLINE_CALL_MAX)
			req->flags |= XAIO__RF_ASYNC;
		else
			inline_bytes += req->len;
	}
	/* What "aio_write said yes" means: waited for at exit. */
	if ((xaio__ops[req->op].props & XAIO__OPF_DURABLE) &&
	    !(req->flags & XAIO__RF_STREAM)) {
		req->durable = 1;
		atomic_fetch_add(&durable, 1);
	}
	r = req->flags & XAIO__RF_NATIVE ? 1 : xaio__fd_enter(req);
	if (r == -EBADF) {
		/* The fd went away under us: report it through the request. */
		atomic_store(&req->state, XAIO__RS_RUNNING);
		xaio__complete(req, -EBADF);
		r = 0;
		goto out;
	}
	if (r < 0)
		goto refuse;
	if (r == 1 && may_batch(req))
		req->flags |= XAIO__RF_LAZY;
	/* Out of descriptors: the caller's fd, as the pool does. */
	if (r == 1 && sqpoll_ms && !req->reissued)
		own_file(req);
	if (r == 1 && issue(req) < 0) {
		xaio__fd_leave(req, &ready);
		goto refuse;
	}
	r = 0;
out:
	/* A call is one request, or everything between plug and unplug. */
	if (!plug_depth)
		inline_bytes = 0;
	xaio__in_engine--;
	errno = saved;
	return r;
refuse:
	/* Nothing happened: no completion will be posted for req. */
	if (req->flags & XAIO__RF_NOTIFY)
		progress_put();
	if (req->flags & XAIO__RF_HELD)
		progress_put();
	if (req->durable)
		atomic_fetch_sub(&durable, 1);
	drop_dup(req);
	xaio__pool_put(req);
	issue_list(ready);
	r = -EAGAIN;
	goto out;
}

void xaio__plug(void)
{
	plug_depth++;
}

void xaio__unplug(void)
{
	if (--plug_depth == 0)
		inline_bytes = 0;
	if (plug_depth == 0 && ring) {
		/* It holds the submission lock: no reaping in a handler. */
		xaio__in_engine++;
		ring->flush(XAIO__FLUSH_PLUGGED);
		xaio__in_engine--;
	}
}

int xaio__plugged(void)
{
	return plug_depth;
}

void xaio__complete(struct xaio__req *req, int64_t res)
{
	xaio__finish(req, res);
	xaio__wake();
}

void xaio__wake(void)
{
	bump();
	if (ring)
		ring->kick();
}

void xaio__finish(struct xaio__req *req, int64_t res)
{
	struct xaio__req *ready = NULL;
	uint16_t flags = req->flags;

	xaio__in_engine++;
	/* A continued stream write: what it wrote before counts (write(2)). */
	if (req->partial)
		res = res >= 0 ? res + (int64_t)req->partial
			       : (int64_t)req->partial;
	req->res = res;
	drop_dup(req);
	/*
	 * Publish first, then let go: until done() has published, the
	 * request must stay findable (xaio__req_find, the fd table), or
	 * aio_suspend and aio_cancel would take an aiocb that still says
	 * EINPROGRESS for a finished one.  It is COMPLETING until done()
	 * has published (xaio__req_published): see running_still().
	 */
	atomic_store_explicit(&req->state, XAIO__RS_COMPLETING,
			      memory_order_relaxed);
	req->done(req);
	atomic_store_explicit(&req->state, XAIO__RS_DONE, memory_order_release);
	if (req->durable)
		atomic_fetch_sub(&durable, 1);
	xaio__fd_leave(req, &ready);
	atomic_fetch_add_explicit(&stats.completed, 1, memory_order_relaxed);
	xaio__pool_put(req);
	/*
	 * Requests this one held back are issued before seq moves: a waiter
	 * that reads the new seq and finds the ring idle would otherwise
	 * sleep on the futex while they run on the ring with no reaper.
	 */
	issue_list(ready);
	if (flags & XAIO__RF_NOTIFY)
		progress_put();
	if (flags & XAIO__RF_HELD)
		progress_put();
	xaio__in_engine--;
}

/* --- cancellation --- */

/*
 * cancel_lock is held with every signal blocked: a handler that interrupted
 * its holder and called aio_cancel would wait for itself.  Nothing under it
 * completes a request (no done(), no notification): requests are taken out
 * of their queues under it, marked XAIO__CX_TAKEN, and completed after.
 */
static void lock_cancel(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, old);
	pthread_mutex_lock(&cancel_lock);
}

static void unlock_cancel(const sigset_t *old)
{
	pthread_mutex_unlock(&cancel_lock);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Takes req out of whatever queue holds it back; cancel_lock held. */
static bool take(struct xaio__req *req, uint32_t gen, struct xaio__req **ready)
{
	bool taken = xaio__fd_unhold(req, gen, ready) ||
		     pool->cancel(req, gen) ||
		     (req->backend == XAIO_BACKEND_URING && ring &&
		      ring->cancel(req, gen));

	if (taken) {
		atomic_store(&req->state, XAIO__RS_RUNNING);
		atomic_store(&req->cancel, XAIO__CX_TAKEN);
	}
	return taken;
}

/* Requests taken out of their queues and not yet completed. */
static _Atomic uint32_t taken_pending;

static void complete_taken(struct xaio__req *list)
{
	while (list) {
		struct xaio__req *next = list->q_next;

		list->q_next = NULL;
		xaio__complete(list, -ECANCELED);
		atomic_fetch_sub(&taken_pending, 1);
		list = next;
	}
}

/*
 * Before an fd-wide answer: requests another canceller took are gone from
 * every queue but may not have published ECANCELED yet.
 * Completing one takes a few instructions: wait for them (a second at
 * most, as running_still()).
 */
static void taken_settle(void)
{
	const struct timespec end = xaio__deadline(&(struct timespec){1, 0});

	while (atomic_load(&taken_pending)) {
		struct timespec rel = xaio__until(&end);

		if (!rel.tv_sec && !rel.tv_nsec)
			return;
		sched_yield();
	}
}

/* Adds a taken request to *list; cancel_lock held. */
static void push(struct xaio__req **list, struct xaio__req *req)
{
	atomic_fetch_add(&taken_pending, 1);
	req->q_next = *list;
	*list = req;
}

/*
 * Is ref still in progress?  One that has its result, or that another
 * canceller took, is about to publish it (a few instructions, no waiting):
 * wait for that rather than answer "not cancelled" for a request the
 * caller may already have seen finished, or "all done" for one whose
 * status still says in progress.
 */
static bool running_still(struct xaio__ref ref)
{
	/* The publisher may be preempted: give it a second. */
	const struct timespec end = xaio__deadline(&(struct timespec){1, 0});

	for (;;) {
		struct timespec rel;
		uint32_t st;

		/* One reading: a second one could see it publish meanwhile. */
		if (!find_state(ref.req->index, ref.gen, NULL, &st))
			return false;
		if (st != XAIO__RS_COMPLETING &&
		    atomic_load(&ref.req->cancel) != XAIO__CX_TAKEN)
			return true;
		sched_yield();
		rel = xaio__until(&end);
		if (!rel.tv_sec && !rel.tv_nsec)
			return true; /* never seen it publish: in progress */
	}
}

/* Asks the kernel to cancel ref where it runs: true if it is done with it. */
static bool ask_kernel(struct xaio__ref ref)
{
	return ref.req->backend == XAIO_BACKEND_URING && ring && ring->kill &&
	       ring->kill(ref.req, ref.gen);
}

/*
 * What became of ref, which the kernel was asked to cancel: CANCELED only
 * if its completion says it did not run.  Its CQE is reaped here or by the
 * thread that leads; wait_for it up to a second (a posted CQE takes
 * microseconds), else look once.
 */
static int outcome(struct xaio__ref ref, bool wait_for)
{
	const struct timespec end =
		xaio__deadline(&(struct timespec){wait_for, 0});

	for (;;) {
		struct timespec rel;
		uint32_t st;

		xaio__poll();
		if (!find_state(ref.req->index, ref.gen, NULL, &st))
			break;
		rel = xaio__until(&end);
		if (!rel.tv_sec && !rel.tv_nsec)
			return XAIO__NOTCANCELED;
		sched_yield();
	}
	/* (A later generation killed since would hide it: ALLDONE then.) */
	return atomic_load(&ref.req->killed) == ref.gen ? XAIO__CANCELED
							: XAIO__ALLDONE;
}

int xaio__cancel(uint32_t index, uint32_t gen, bool in_kernel)
{
	struct xaio__req *ready = NULL, *taken = NULL;
	struct xaio__req *req = xaio__pool_slot(index);
	struct xaio__ref ref = {req, gen};
	int r = XAIO__NOTCANCELED;
	sigset_t old;

	if (!req)
		return XAIO__ALLDONE;
	xaio__in_engine++;
	lock_cancel(&old);
	if (take(req, gen, &ready)) {
		push(&taken, req);
		r = XAIO__CANCELED;
	} else if (!running_still(ref)) {
		r = XAIO__ALLDONE;
	}
	unlock_cancel(&old);
	complete_taken(taken);
	issue_list(ready);
	xaio__in_engine--;
	if (r == XAIO__NOTCANCELED && in_kernel)
		r = outcome(ref, ask_kernel(ref));
	return r;
}

int xaio__cancel_fd(int fd)
{
	struct xaio__req *held, *ready = NULL, *taken = NULL;
	struct xaio__ref *running;
	int nrunning, ncancel = 0, nnot = 0, nposted = 0;
	sigset_t old;

	xaio__in_engine++;
	lock_cancel(&old);
	if (xaio__fd_collect(fd, &held, &running, &nrunning, &ready) < 0) {
		unlock_cancel(&old);
		xaio__in_engine--;
		return -ENOMEM;
	}
	while (held) {
		struct xaio__req *next = held->q_next;

		atomic_store(&held->state, XAIO__RS_RUNNING);
		atomic_store(&held->cancel, XAIO__CX_TAKEN);
		push(&taken, held);
		ncancel++;
		held = next;
	}
	for (int i = 0; i < nrunning; i++) {
		if (take(running[i].req, running[i].gen, &ready)) {
			push(&taken, running[i].req);
			ncancel++;
		} else if (running_still(running[i])) {
			/* In the kernel or on a worker: see below. */
			running[nnot++] = running[i];
		}
	}
	unlock_cancel(&old);
	complete_taken(taken);
	issue_list(ready);
	xaio__in_engine--;
	/* All asked first, then each waited for: those posted come first. */
	for (int i = 0; i < nnot; i++) {
		if (ask_kernel(running[i])) {
			struct xaio__ref t = running[nposted];

			running[nposted++] = running[i];
			running[i] = t;
		}
	}
	for (int i = 0, n = nnot; i < n; i++) {
		int r = outcome(running[i], i < nposted);

		nnot -= r != XAIO__NOTCANCELED;
		ncancel += r == XAIO__CANCELED;
	}
	free(running);
	/* Another canceller's requests on fd must be seen finished too. */
	taken_settle();
	if (nnot)
		return XAIO__NOTCANCELED;
	return ncancel ? XAIO__CANCELED : XAIO__ALLDONE;
}

/* --- the native API --- */

const char *xaio_backend_name(unsigned int b)
{
	switch (b) {
	case XAIO_BACKEND_URING:
		return "io_uring";
	case XAIO_BACKEND_THREADS:
		return "threads";
	default:
		return "none";
	}
}

int xaio_runtime_info(struct xaio_runtime_info *info)
{
	if (!info || info->size < offsetof(struct xaio_runtime_info, submitted))
		return -EINVAL;
	xaio__engine_start();
	xaio__engine_info(info);
	return 0;
}

void xaio__engine_info(struct xaio_runtime_info *info)
{
	struct xaio_runtime_info out;
	uint32_t size;

	size = info->size < sizeof(out) ? info->size : (uint32_t)sizeof(out);
	memset(&out, 0, sizeof(out));
	out.size = size;
	out.backend = backend;
	out.reason = reason;
	out.uring_errno = uring_errno;
	out.ring_entries = ring ? ring_entries : 0;
	out.threads = pool->threads();
	out.sqpoll_idle_ms = sqpoll_ms;
	out.sqpoll_errno = sqpoll_errno;
	out.submitted = atomic_load(&stats.submitted);
	out.on_ring = atomic_load(&stats.on_ring);
	out.on_threads = atomic_load(&stats.on_threads);
	out.fallbacks = atomic_load(&stats.fallbacks);
	out.completed = atomic_load(&stats.completed);
	out.inline_reads = atomic_load(&stats.inline_reads);
	out.batched = ring ? ring->batched() : 0;
	memcpy(info, &out, size);
}
