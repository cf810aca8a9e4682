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
 * Locking: `lock` guards the ring; it is taken in done() (inside the
 * engine) and in aio_waitcomplete; pthread_atfork handlers hold it across
 * fork() so the child gets it free and consistent.  aio_return takes no
 * lock (it is async-signal-safe, and a handler may have interrupted a
 * holder): it stores the record's position in the record's `consumed`
 * word, which names the completion it consumes, so a store that arrives
 * after the record was reused for a later completion matches nothing.
 */
#include <pthread.h>
#include <string.h>

#include "core/sys.h"
#include "posix/posix.h"
#include "xaio/posix.h"

#define RING 8192

struct rec {
	_Atomic(struct aiocb *) cb; /* read by aio_return without the lock */
	uint64_t pos;
	ssize_t ret;
	int err;
	_Atomic uint64_t consumed; /* == pos: collected (aio_return, take) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rec ring[RING];
static uint64_t wr, rd = 0;

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
	rd = wr;
	atomic_store(&xaio__posix_inflight, 0);
}

__attribute__((constructor)) static void register_atfork(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void xaio__wc_publish(struct aiocb *cb, int err, ssize_t ret)
{
	struct rec *r;

	pthread_mutex_lock(&lock);
	if (wr - rd == RING)
		rd++; /* forget the oldest uncollected completion */
	r = &ring[wr % RING];
	atomic_store_explicit(&r->cb, cb, memory_order_relaxed);
	r->pos = wr + 1; /* 0 never names a record */
	r->ret = ret;
	r->err = err;
	/* Before the status is published: aio_return follows it. */
	atomic_store_explicit(&r->consumed, 0, memory_order_relaxed);
	set_pos(cb, r->pos);
	wr++;
	cb_publish(cb, err, ret);
	pthread_mutex_unlock(&lock);
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

/* Takes the oldest uncollected completion; false if there is none. */
static bool take(struct aiocb **cbp, ssize_t *ret, int *err)
{
	bool found = false;

	xaio__in_engine++; /* a signal handler must not reap into `lock` */
	pthread_mutex_lock(&lock);
	while (rd < wr && !found) {
		struct rec *r = &ring[rd % RING];

		rd++;
		if (atomic_load_explicit(&r->consumed, memory_order_relaxed) ==
		    r->pos)
			continue;
		atomic_store_explicit(&r->consumed, r->pos,
				      memory_order_relaxed);
		*cbp = atomic_load_explicit(&r->cb, memory_order_relaxed);
		*ret = r->ret;
		*err = r->err;
		found = true;
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
