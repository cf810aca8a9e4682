// SPDX-License-Identifier: MIT
/*
 * aio_suspend: waits until one listed request is done, a signal arrives, or
 * the relative timeout (CLOCK_MONOTONIC) passes.
 *
 * Nothing is registered with the requests: the waiter rescans its list
 * each time the engine's completion sequence moves, so there is nothing to
 * undo on EINTR, timeout or cancellation, no stack array sized by nent
 * (any nent works), and no lock (aio_suspend may be called from a signal
 * handler; the engine then leaves reaping to its background reaper).
 * While waiting, the thread reaps the ring itself when it can (see engine).
 */
#include <pthread.h>

#include "core/sys.h"
#include "posix/posix.h"

/* 1: something listed is done (or is not a request of ours), 0: wait. */
static int scan(const struct aiocb *const list[], int nent, bool *any)
{
	for (int i = 0; i < nent; i++) {
		const struct aiocb *cb = list[i];

		if (!cb)
			continue;
		*any = true;
		/* Done, or never submitted (then there is nothing to wait for).
		 */
		if (!xaio__cb_in_flight(cb))
			return 1;
	}
	return 0;
}

static int suspend(const struct aiocb *const list[], int nent,
		   const struct timespec *timeout)
{
	struct timespec deadline;
	int r;

	if (nent < 0)
		return xaio__ret_errno(-EINVAL);
	if (timeout &&
	    (timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L))
		return xaio__ret_errno(-EINVAL);
	if (timeout)
		deadline = xaio__deadline(timeout);
	pthread_testcancel();
	for (;;) {
		uint32_t seq = xaio__seq();
		bool any = false;

		if (scan(list, nent, &any) || !any)
			return 0;
		r = xaio__wait(seq, timeout ? &deadline : NULL, true);
		if (r == -ETIMEDOUT) {
			/* One last look: a completion may have raced the clock.
			 */
			if (scan(list, nent, &any))
				return 0;
			return xaio__ret_errno(-EAGAIN);
		}
		if (r == -EINTR)
			return xaio__ret_errno(-EINTR);
		pthread_testcancel();
	}
}

XAIO_POSIX_API int aio_suspend(const struct aiocb *const list[], int nent,
			       const struct timespec *timeout)
{
	int shield = xaio__shield();
	int r = suspend(list, nent, timeout);

	xaio__unshield(shield);
	return r;
}

XAIO_POSIX_API int aio_suspend64(const struct aiocb64 *const list[], int nent,
				 const struct timespec *timeout)
	__attribute__((alias("aio_suspend")));
