// SPDX-License-Identifier: MIT
/*
 * POSIX notifications: SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID and
 * SIGEV_THREAD.
 *
 * Signals are queued at completion with rt_sigqueueinfo (process) or
 * rt_tgsigqueueinfo (thread), si_code SI_ASYNCIO, si_value, si_pid and
 * si_uid, as glibc does.  Invalid signal numbers are refused when the
 * request is submitted, so a delivery can never turn a good result bad.
 *
 * SIGEV_THREAD runs the callback on a pool of "xaio-notify" threads, each
 * call with an empty signal mask (all signals blocked in between) and
 * cancellation enabled and deferred, as on a new thread.  The first
 * SIGEV_THREAD submission starts one thread; the pool keeps a spare: a
 * thread that takes a callback while no other is free first starts another
 * (up to XAIO_NOTIFY_THREADS, default max(4, 2 * CPUs)), so a callback that
 * blocks does not hold up the rest.  Threads beyond the spare that stay
 * idle for LINGER seconds end.  A callback that ends its thread
 * (pthread_exit, cancellation) gets it replaced.  Where the caller gave
 * sigev_notify_attributes, the call gets a thread of its own created with
 * them (by a pool thread), always detached (a joinable attribute would
 * leak it); if none can be had it runs on the pool thread: never lost.
 *
 * Bounded: at most XAIO_NOTIFY_MAX (default 65536) SIGEV_THREAD notes exist
 * at once, from xaio__note_prepare() until the callback has returned (or
 * xaio__note_discard()); beyond it submission fails with EAGAIN.
 *
 * Completion can run where pthread_create, malloc and locks are not allowed
 * (aio_error reaping from a signal handler), so the node is allocated at
 * submission and xaio__notify() only pushes it on a lock-free stack and
 * wakes a sleeping pool thread with a futex: no lock, no allocation.
 * Starting threads happens only on pool threads (and the first at
 * submission).
 *
 * Locking: `pending` (Treiber stack, CAS push, taken whole with an
 * exchange), `seq` (futex word, bumped by each push), `sleepers` and
 * `outstanding` are lock-free.  `qlock` guards the pool: the FIFO `head`
 * that pool threads refill from `pending` and take from one at a time,
 * `nthreads`, `busy`.  It is taken only by pool threads, with every signal
 * blocked, never around user code or pthread_create.  `start_lock`
 * serialises the pool's start.
 * fork: the child frees the pool's queued notes (the parent's callbacks
 * are not its own), resets the pool and bumps `gen`, so that notes counted
 * by the parent are neither run nor counted down there; its first
 * SIGEV_THREAD submission starts its own pool (reading the environment
 * again).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sys.h"
#include "posix/posix.h"

#define LINGER 10 /* seconds an extra idle pool thread waits for work */
#define MAX_OUTSTANDING 65536
#define THREADS_LIMIT 1024 /* most XAIO_NOTIFY_THREADS may ask for */

struct note {
	struct note *next;
	void (*fn)(union sigval);
	union sigval value;
	pthread_attr_t *attr;
	uint32_t gen; /* the pool generation that counted it */
};

/* Lock-free: completion side and the counters. */
static _Atomic(struct note *) pending;
static _Atomic uint32_t seq;
static _Atomic int sleepers; /* pool threads in (or entering) a wait */
static _Atomic int outstanding;
static _Atomic uint32_t gen; /* bumped in a fork child */
static _Atomic bool started;
/* Set before `started`, read after it. */
static int max_outstanding = MAX_OUTSTANDING;
static int max_threads;

/* Under qlock. */
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static struct note *head, **tail = &head; /* oldest first */
static int nthreads; /* started or starting */
static int busy; /* of them in a callback */

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

int xaio__sigev_check(const struct sigevent *sev)
{
	switch (sev->sigev_notify) {
	case SIGEV_NONE:
		return 0;
	case SIGEV_SIGNAL:
		return sev->sigev_signo >= 0 && sev->sigev_signo < _NSIG
			       ? 0
			       : -EINVAL;
	case SIGEV_THREAD_ID:
		if (sev->_sigev_un._tid <= 0)
			return -EINVAL;
		return sev->sigev_signo > 0 && sev->sigev_signo < _NSIG
			       ? 0
			       : -EINVAL;
	case SIGEV_THREAD:
		return sev->sigev_notify_function ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/* A note is gone (it ran or was dropped): it no longer counts. */
static void uncount(uint32_t g)
{
	/* A note the parent counted is not in this process's count. */
	if (g == atomic_load(&gen))
		atomic_fetch_sub(&outstanding, 1);
}

static void free_list(struct note *n)
{
	while (n) {
		struct note *next = n->next;

		free(n);
		n = next;
	}
}

/*
 * Starts fn(arg) on a detached thread with every signal blocked: with the
 * caller's attributes (a joinable one is detached once started), or the
 * defaults when attr is NULL.  0 or -errno.
 */
static int spawn(void *(*fn)(void *), void *arg, pthread_attr_t *attr)
{
	int detach = PTHREAD_CREATE_DETACHED, r;
	pthread_attr_t def;
	sigset_t all, old;
	pthread_t t;

	if (attr) {
		pthread_attr_getdetachstate(attr, &detach);
	} else {
		pthread_attr_init(&def);
		pthread_attr_setdetachstate(&def, PTHREAD_CREATE_DETACHED);
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, attr ? attr : &def, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!attr)
		pthread_attr_destroy(&def);
	if (r)
		return -r;
	if (detach != PTHREAD_CREATE_DETACHED)
		pthread_detach(t);
	return 0;
}

static void uncount_cleanup(void *arg)
{
	uncount(*(uint32_t *)arg);
}

/* A callback with attributes of its own, on its own thread. */
static void *trampoline(void *arg)
{
	struct note c = *(struct note *)arg;
	sigset_t none;

	free(arg);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	pthread_cleanup_push(uncount_cleanup, &c.gen);
	c.fn(c.value);
	pthread_cleanup_pop(1);
	return NULL;
}

/* Under qlock: moves what completions pushed to the FIFO, oldest first. */
static void refill(void)
{
	struct note *n = atomic_exchange(&pending, NULL), *last = n;
	struct note *rev = NULL;

	if (!n)
		return;
	while (n) {
		struct note *next = n->next;

		n->next = rev;
		rev = n;
		n = next;
	}
	*tail = rev;
	tail = &last->next;
}

/* Under qlock: the oldest queued note of this process, or NULL. */
static struct note *take(void)
{
	for (;;) {
		struct note *n;

		if (!head)
			refill();
		n = head;
		if (!n)
			return NULL;
		head = n->next;
		if (!head)
			tail = &head;
		if (n->gen == atomic_load(&gen))
			return n;
		free(n); /* the parent's, after fork: not ours to run */
	}
}

/* Under qlock: true when no thread is free and one may be added (counted). */
static bool want_spare(void)
{
	if (nthreads > busy || nthreads >= max_threads)
		return false;
	nthreads++;
	return true;
}

static void *worker(void *arg);

/* Starts the pool thread want_spare() counted. */
static void add_worker(void)
{
	if (spawn(worker, NULL, NULL) == 0)
		return;
	pthread_mutex_lock(&qlock);
	nthreads--;
	pthread_mutex_unlock(&qlock);
}

/* The callback ended its pool thread: count both out, keep a spare. */
static void worker_gone(void *arg)
{
	const struct note *c = arg;
	sigset_t all;
	bool grow;

	if (c->gen != atomic_load(&gen))
		return; /* in a child the callback forked: not in its pool */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	uncount(c->gen);
	pthread_mutex_lock(&qlock);
	busy--;
	nthreads--;
	grow = want_spare();
	pthread_mutex_unlock(&qlock);
	if (grow)
		add_worker();
}

/* Runs c's callback on this pool thread as on a new thread. */
static void call(struct note *c)
{
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	pthread_cleanup_push(worker_gone, c);
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	c->fn(c->value);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	pthread_cleanup_pop(0);
	uncount(c->gen);
}

/*
 * Under qlock, nothing queued: waits for a push.  false: this thread ends
 * (it waited LINGER seconds for nothing and another is free).
 */
static bool idle(void)
{
	const struct timespec linger = {LINGER, 0};
	bool extra = nthreads - busy > 1;
	uint32_t s;
	int r = 0;

	/* Before the check: a push after it sees a sleeper and wakes. */
	atomic_fetch_add(&sleepers, 1);
	s = atomic_load(&seq);
	if (!atomic_load(&pending)) {
		pthread_mutex_unlock(&qlock);
		r = xaio__futex_wait(&seq, s, extra ? &linger : NULL, false);
		pthread_mutex_lock(&qlock);
	}
	atomic_fetch_sub(&sleepers, 1);
	if (r != -ETIMEDOUT || nthreads - busy < 2 || head ||
	    atomic_load(&pending))
		return true;
	nthreads--;
	return false;
}

/* A pool thread (all signals blocked, cancellation off between calls). */
static void *worker(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "xaio-notify");
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_mutex_lock(&qlock);
	for (;;) {
		struct note *n = take(), c;
		bool grow;

		if (!n) {
			if (!idle())
				break;
			continue;
		}
		if (n->attr) {
			int r;

			pthread_mutex_unlock(&qlock);
			r = spawn(trampoline, n, n->attr);
			pthread_mutex_lock(&qlock);
			if (r == 0)
				continue;
			/* No thread to be had: run it here, never lose it. */
		}
		c = *n;
		free(n);
		busy++;
		grow = want_spare();
		pthread_mutex_unlock(&qlock);
		if (grow)
			add_worker();
		call(&c);
		/*
		 * The callback forked and returned in the child: there this
		 * is no pool thread but the last thread, which ends, as a
		 * callback's own thread would.
		 */
		if (c.gen != atomic_load(&gen))
			return NULL;
		pthread_mutex_lock(&qlock);
		busy--;
	}
	pthread_mutex_unlock(&qlock);
	return NULL;
}

/* fork: the child's pool is its own; a start or a lock in progress in
 * another thread of the parent must not leave it half done. */
static void atfork_child(void)
{
	free_list(atomic_exchange(&pending, NULL));
	free_list(head);
	head = NULL;
	tail = &head;
	nthreads = 0;
	busy = 0;
	atomic_store(&sleepers, 0);
	atomic_store(&outstanding, 0);
	atomic_fetch_add(&gen, 1);
	atomic_store(&started, false);
	pthread_mutex_init(&qlock, NULL);
	pthread_mutex_init(&start_lock, NULL);
}

__attribute__((constructor)) static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, atfork_child);
}

/* An integer from the environment in [lo, hi], else def. */
static int env_int(const char *name, int def, int lo, int hi)
{
	const char *v = xaio__getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		return def;
	return (int)n;
}

/* Starts this process's pool with its first thread.  0 or -EAGAIN. */
static int start_pool(void)
{
	int r = 0;

	if (atomic_load(&started))
		return 0;
	pthread_mutex_lock(&start_lock);
	if (!atomic_load(&started)) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		max_threads = env_int("XAIO_NOTIFY_THREADS",
				      ncpu > 2 ? (int)(2 * ncpu) : 4, 1,
				      THREADS_LIMIT);
		max_outstanding =
			env_int("XAIO_NOTIFY_MAX", MAX_OUTSTANDING, 1, 1 << 24);
		/* No pool thread exists yet: qlock is not needed. */
		nthreads = 1;
		r = spawn(worker, NULL, NULL);
		if (r == 0)
			atomic_store(&started, true);
		else
			nthreads = 0;
	}
	pthread_mutex_unlock(&start_lock);
	return r ? -EAGAIN : 0;
}

void *xaio__note_prepare(const struct sigevent *sev, int *err)
{
	struct note *n;

	*err = 0;
	if (sev->sigev_notify != SIGEV_THREAD)
		return NULL;
	/* Started here so that completion never has to. */
	*err = start_pool();
	if (*err)
		return NULL;
	if (atomic_fetch_add(&outstanding, 1) >= max_outstanding) {
		atomic_fetch_sub(&outstanding, 1);
		*err = -EAGAIN;
		return NULL;
	}
	n = malloc(sizeof(*n));
	if (!n) {
		atomic_fetch_sub(&outstanding, 1);
		*err = -ENOMEM;
		return NULL;
	}
	n->next = NULL;
	n->fn = sev->sigev_notify_function;
	n->value = sev->sigev_value;
	n->attr = sev->sigev_notify_attributes;
	n->gen = atomic_load(&gen);
	return n;
}

void xaio__note_discard(void *note)
{
	struct note *n = note;

	if (!n)
		return;
	uncount(n->gen);
	free(n);
}

static void send_signal(const struct sigevent *sev, bool to_thread)
{
	siginfo_t si;
	pid_t pid = getpid();

	memset(&si, 0, sizeof(si));
	si.si_signo = sev->sigev_signo;
	si.si_code = SI_ASYNCIO;
	si.si_pid = pid;
	si.si_uid = getuid();
	si.si_value = sev->sigev_value;
	if (to_thread)
		xaio__sys(SYS_rt_tgsigqueueinfo, pid, sev->_sigev_un._tid,
			  sev->sigev_signo, (long)&si, 0, 0);
	else
		xaio__sys(SYS_rt_sigqueueinfo, pid, sev->sigev_signo, (long)&si,
			  0, 0, 0);
}

void xaio__notify(const struct sigevent *sev, void *note)
{
	struct note *n = note, *old;

	switch (sev->sigev_notify) {
	case SIGEV_SIGNAL:
		if (sev->sigev_signo)
			send_signal(sev, false);
		break;
	case SIGEV_THREAD_ID:
		send_signal(sev, true);
		break;
	case SIGEV_THREAD:
		if (!n)
			break;
		old = atomic_load(&pending);
		do
			n->next = old;
		while (!atomic_compare_exchange_weak(&pending, &old, n));
		atomic_fetch_add(&seq, 1);
		if (atomic_load(&sleepers))
			xaio__futex_wake(&seq, 1);
		break;
	default:
		break;
	}
}
