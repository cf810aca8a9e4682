// SPDX-License-Identifier: MIT
/*
 * FreeBSD's extensions: aio_readv, aio_writev and aio_waitcomplete (see
 * include/xaio/posix.h for how the iovec travels in glibc's aiocb).
 *
 * aio_waitcomplete needs the completions in order, and must not return a
 * request the program already collected with aio_return.  Every completion
 * is therefore recorded in a ring of RING records (no allocation: it runs
 * where malloc is not allowed), and its position is stored in the aiocb's
 * reserved bytes before the status is published, so aio_return can mark
 * the record consumed without searching.  If more than RING completions
 * are left uncollected, the oldest are forgotten (FreeBSD itself caps a
 * process at 256 outstanding requests).
 *
 * Locking: a completion takes no lock (done() runs on every request, in
 * programs that never call aio_waitcomplete too): it claims a position
 * with an atomic increment of `wr` and publishes its record with the
 * record's `seq` word, a sequence lock (0 while it is being written, its
 * position once it is whole).  `lock` serialises the readers only
 * (aio_waitcomplete, and fork, whose handlers hold it so that the child
 * gets it free): a reader skips a record not published yet without moving
 * `rd` past it, and ignores one a later lap of the ring overwrote.
 * aio_return takes no lock either (it is async-signal-safe): it stores the
 * record's position in the record's `consumed` word, which names the
 * completion it consumes, so a store that arrives after the record was
 * reused for a later completion matches nothing.
 */
#include <pthread.h>
#include <string.h>

#include "core/sys.h"
#include "posix/posix.h"
#include "xaio/posix.h"

#define RING 8192

struct rec {
	_Atomic uint64_t seq; /* its position once whole; 0 while written */
	_Atomic(struct aiocb *) cb; /* read by aio_return without the lock */
	_Atomic ssize_t ret;
	_Atomic int err;
	_Atomic uint64_t consumed; /* == position: collected */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rec ring[RING];
static _Atomic uint64_t wr; /* positions claimed */
static uint64_t rd; /* every position up to rd is collected (lock) */

static void set_pos(struct aiocb *cb, uint64_t pos)
{
	memcpy(cb->__glibc_reserved, &pos, sizeof(pos));
}

static uint64_t get_pos(const struct aiocb *cb)
{
	uint64_t pos;

	memcpy(&pos, cb->__glibc_reserved, sizeof(pos));
	return pos;
}

/* fork: the child must not inherit the lock held by another thread. */
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
	pthread_mutex_unlock(&lock); /* the forking thread took it */
	/* The parent's requests and completions are not the child's. */
	rd = atomic_load(&wr);
	atomic_store(&xaio__posix_inflight, 0);
}

__attribute__((constructor)) static void register_atfork(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void xaio__wc_publish(struct aiocb *cb, int err, ssize_t ret)
{
	uint64_t pos = atomic_fetch_add(&wr, 1) + 1; /* 0 names no record */
	struct rec *r = &ring[(pos - 1) % RING];

	/* Overwrites the record RING positions back, collected or not. */
	atomic_store_explicit(&r->seq, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&r->cb, cb, memory_order_relaxed);
	atomic_store_explicit(&r->ret, ret, memory_order_relaxed);
	atomic_store_explicit(&r->err, err, memory_order_relaxed);
	atomic_store_explicit(&r->seq, pos, memory_order_release);
	/* Before the status is published: aio_return follows it. */
	set_pos(cb, pos);
	cb_publish(cb, err, ret);
}

/*
 * Only the aiocb the record is for collects it: a copy of that aiocb
 * carries its position too.  A record reused meanwhile fails the check or
 * the `consumed` word's, which names the completion.
 */
void xaio__wc_consume(struct aiocb *cb)
{
	uint64_t pos = get_pos(cb);
	struct rec *r = &ring[(pos - 1) % RING];

	if (pos && atomic_load_explicit(&r->cb, memory_order_relaxed) == cb)
		atomic_store_explicit(&r->consumed, pos, memory_order_relaxed);
}

/*
 * Reads the record at position pos, if it holds that completion whole and
 * not collected: false if it is not published yet (*pending), or was
 * overwritten by a later lap, or is collected.  lock held.
 */
static bool peek(uint64_t pos, struct aiocb **cbp, ssize_t *ret, int *err,
		 bool *pending)
{
	struct rec *r = &ring[(pos - 1) % RING];
	uint64_t s = atomic_load_explicit(&r->seq, memory_order_acquire);
	struct aiocb *cb;
	ssize_t rv;
	int e;

	*pending = s < pos; /* 0: being written; older: not claimed yet */
	if (s != pos)
		return false;
	cb = atomic_load_explicit(&r->cb, memory_order_relaxed);
	rv = atomic_load_explicit(&r->ret, memory_order_relaxed);
	e = atomic_load_explicit(&r->err, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&r->seq, memory_order_relaxed) != pos ||
	    atomic_exchange_explicit(&r->consumed, pos, memory_order_relaxed) ==
		    pos)
		return false; /* overwritten while we read, or collected */
	*cbp = cb;
	*ret = rv;
	*err = e;
	return true;
}

/* Takes the oldest uncollected completion; false if there is none. */
static bool take(struct aiocb **cbp, ssize_t *ret, int *err)
{
	bool found = false, gap = false;

	xaio__in_engine++; /* a signal handler must not reap into `lock` */
	pthread_mutex_lock(&lock);
	uint64_t end = atomic_load(&wr);

	if (end - rd > RING)
		rd = end - RING; /* forgotten: overwritten, or about to be */
	for (uint64_t pos = rd + 1; pos <= end && !found; pos++) {
		bool pending;

		found = peek(pos, cbp, ret, err, &pending);
		/* rd stays before the first record still being written. */
		gap = gap || pending;
		if (!gap)
			rd = pos;
	}
	pthread_mutex_unlock(&lock);
	xaio__in_engine--;
	return found;
}

static ssize_t waitcomplete(struct aiocb **iocbp, struct timespec *timeout)
{
	struct timespec deadline;
	ssize_t ret;
	int err, r;

	if (!iocbp)
		return xaio__ret_errno(-EINVAL);
	*iocbp = NULL;
	if (timeout) {
		if (timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L ||
		    timeout->tv_sec < 0)
			return xaio__ret_errno(-EINVAL);
		deadline = xaio__deadline(timeout);
	}
	for (;;) {
		uint32_t seq = xaio__seq();
		/*
		 * Read before take(): done() publishes its record before the
		 * count falls, so with nothing in flight here, take() below
		 * sees every record there is.  Read after, a request finishing
		 * in between would look gone: EINVAL with its record waiting.
		 */
		bool idle = !timeout && !atomic_load(&xaio__posix_inflight);

		if (take(iocbp, &ret, &err)) {
			if (err) {
				errno = err;
				return -1;
			}
			return ret;
		}
		if (idle)
			return xaio__ret_errno(
				-EINVAL); /* would wait forever */
		r = xaio__wait(seq, timeout ? &deadline : NULL, false);
		if (r == -ETIMEDOUT && !take(iocbp, &ret, &err))
			return xaio__ret_errno(-EAGAIN);
		if (r == -ETIMEDOUT)
			return err ? (errno = err, -1) : ret;
		if (r == -EINTR)
			return xaio__ret_errno(-EINTR);
	}
}

XAIO_POSIX_API ssize_t aio_waitcomplete(struct aiocb **iocbp,
					struct timespec *timeout)
{
	int shield = xaio__shield();
	ssize_t r = waitcomplete(iocbp, timeout);

	xaio__unshield(shield);
	return r;
}

XAIO_POSIX_API int aio_readv(struct aiocb *cb)
{
	int r = xaio__posix_submit(cb, POSIX_LIO_READV, false, NULL, NULL);

	return xaio__ret_errno(r);
}

XAIO_POSIX_API int aio_writev(struct aiocb *cb)
{
	int r = xaio__posix_submit(cb, POSIX_LIO_WRITEV, false, NULL, NULL);

	return xaio__ret_errno(r);
}
