// SPDX-License-Identifier: MIT
/*
 * lio_listio: submits a list as one batch (one kernel entry on io_uring).
 *
 * The list is a heap object (struct xaio__lio) counted by the caller and by
 * each member, so an interrupted LIO_WAIT leaves nothing on the caller's
 * stack for completions to write into (glibc's defect G1).  `pending`
 * starts at 1 while members are being added, so the list notification of
 * LIO_NOWAIT fires exactly once, after the last member, even when members
 * finish during submission or nothing was submitted at all.
 *
 * Per-member sigevents fire in both modes (glibc >= 2.4 behaviour).
 * Invalid opcodes, including glibc's internal 3 and 4, are never run: the
 * member fails with EINVAL.  Results: LIO_WAIT gives -1/EIO if any member
 * failed or could not be queued; LIO_NOWAIT gives -1/EAGAIN if some could
 * not be queued (the others run and are notified).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "posix/posix.h"

/* Lists whose last reference went in a done(): freed by lio_listio(). */
static _Atomic(struct xaio__lio *) graveyard;

/*
 * Lists come first from a static set of SPARE, claimed and released with
 * one atomic word (a signal handler that interrupted malloc may call
 * lio_listio; see tests/faults/handler.c), then from calloc.
 */
#define SPARE 64
static struct xaio__lio spare[SPARE];
static _Atomic uint64_t spare_used;

static struct xaio__lio *lio_alloc(void)
{
	uint64_t used = atomic_load(&spare_used);

	while (~used) {
		int i = __builtin_ctzll(~used);

		if (atomic_compare_exchange_weak(&spare_used, &used,
						 used | 1ull << i)) {
			memset(&spare[i], 0, sizeof(spare[i]));
			return &spare[i];
		}
	}
	return calloc(1, sizeof(struct xaio__lio));
}

static void destroy(struct xaio__lio *lio)
{
	if (lio->note && !lio->notified)
		xaio__note_discard(lio->note);
	if (lio >= spare && lio < spare + SPARE)
		atomic_fetch_and(&spare_used, ~(1ull << (lio - spare)));
	else
		free(lio);
}

void xaio__lio_put(struct xaio__lio *lio, bool in_done)
{
	if (atomic_fetch_sub(&lio->refs, 1) != 1)
		return;
	if (!in_done) {
		destroy(lio);
		return;
	}
	/* A push onto a lock-free stack: async-signal-safe. */
	lio->dead = atomic_load(&graveyard);
	while (!atomic_compare_exchange_weak(&graveyard, &lio->dead, lio))
		;
}

static void bury(void)
{
	struct xaio__lio *lio = atomic_exchange(&graveyard, NULL);

	while (lio) {
		struct xaio__lio *next = lio->dead;

		destroy(lio);
		lio = next;
	}
}

void xaio__lio_done(struct xaio__lio *lio, bool failed)
{
	if (failed)
		atomic_store(&lio->failed, 1);
	if (atomic_fetch_sub(&lio->pending, 1) == 1 && lio->notify) {
		lio->notified = true;
		xaio__notify(&lio->sev, lio->note);
	}
}

/*
 * The list could not be started at all (no memory): every member says so,
 * as a member refused on its own would (POSIX lets the caller look at each
 * member's status after EAGAIN).
 */
static int refuse_all(struct aiocb *const list[], int nent)
{
	for (int i = 0; i < nent; i++)
		if (list[i] && list[i]->aio_lio_opcode != LIO_NOP &&
		    !xaio__cb_in_flight(list[i]))
			cb_publish(list[i], EAGAIN, -1);
	return xaio__ret_errno(-EAGAIN);
}

static bool valid_op(int op)
{
	return op == LIO_READ || op == LIO_WRITE || op == POSIX_LIO_READV ||
	       op == POSIX_LIO_WRITEV;
}

/* pthread_cancel acted in wait_members: the caller's reference goes. */
static void unwait(void *arg)
{
	xaio__lio_put(arg, false);
}

/*
 * LIO_WAIT's wait: 0 when every member is done, -EINTR.  A cancellation
 * point, like aio_suspend (POSIX allows it; glibc's is one too).
 */
static int wait_members(struct xaio__lio *lio)
{
	int r = 0;

	pthread_cleanup_push(unwait, lio);
	pthread_testcancel();
	while (r == 0 && atomic_load(&lio->pending)) {
		uint32_t seq = xaio__seq();

		if (!atomic_load(&lio->pending))
			break;
		r = xaio__wait(seq, NULL, true);
		if (r != -EINTR)
			r = 0;
	}
	pthread_cleanup_pop(0);
	return r;
}

static int listio(int mode, struct aiocb *const list[], int nent,
		  struct sigevent *sig)
{
	struct xaio__lio *lio;
	int refused = 0, r = 0;

	if ((mode != LIO_WAIT && mode != LIO_NOWAIT) || nent < 0)
		return xaio__ret_errno(-EINVAL);
	if (mode == LIO_NOWAIT && sig && xaio__sigev_check(sig) < 0)
		return xaio__ret_errno(-EINVAL);
	xaio__engine_start();
	/* A handler that interrupted the engine inside a lock: not now. */
	if (xaio__reentered())
		return refuse_all(list, nent);
	bury();
	lio = lio_alloc();
	if (!lio)
		return refuse_all(list, nent);
	atomic_store(&lio->refs, 1);
	atomic_store(&lio->pending, 1);
	if (mode == LIO_NOWAIT && sig && sig->sigev_notify != SIGEV_NONE) {
		lio->notify = true;
		lio->sev = *sig;
		lio->note = xaio__note_prepare(sig, &r);
		if (r < 0) {
			destroy(lio);
			return refuse_all(list, nent);
		}
	}
	xaio__plug();
	for (int i = 0; i < nent; i++) {
		struct aiocb *cb = list[i];
		int op;

		if (!cb || cb->aio_lio_opcode == LIO_NOP)
			continue;
		op = cb->aio_lio_opcode;
		r = xaio__posix_submit(cb, valid_op(op) ? op : INT32_MAX, false,
				       lio, NULL);
		if (r < 0)
			refused = r;
	}
	xaio__unplug();
	if (mode == LIO_NOWAIT) {
		xaio__lio_done(lio, false);
		xaio__lio_put(lio, false);
		return xaio__ret_errno(refused ? -EAGAIN : 0);
	}
	/* LIO_WAIT: the arming reference goes, then wait for the members. */
	xaio__lio_done(lio, false);
	r = wait_members(lio);
	if (r == 0 && (refused || atomic_load(&lio->failed)))
		r = -EIO;
	xaio__lio_put(lio, false);
	return xaio__ret_errno(r);
}

XAIO_POSIX_API int lio_listio(int mode, struct aiocb *const list[], int nent,
			      struct sigevent *sig)
{
	int shield = xaio__shield();
	int r = listio(mode, list, nent, sig);

	xaio__unshield(shield);
	return r;
}

XAIO_POSIX_API int lio_listio64(int mode, struct aiocb64 *const list[],
				int nent, struct sigevent *sig)
	__attribute__((alias("lio_listio")));
