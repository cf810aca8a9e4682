/* SPDX-License-Identifier: MIT */
/*
 * Shared by the files of the POSIX layer (libxaio-posix).  The layer turns
 * aiocbs into engine requests and engine completions back into aiocb
 * status and POSIX notifications.  Nothing here is exported: exported
 * names are only the aio_* and lio_listio* entry points, and the layer
 * never calls its own exported names (no PLT hops, no interposition).
 */
#ifndef XAIO_POSIX_INTERNAL_H
#define XAIO_POSIX_INTERNAL_H

#include <signal.h>

#include "core/internal.h"
#include "core/sys.h"
#include "posix/aiocb-glibc.h"

#define XAIO_POSIX_API __attribute__((visibility("default")))

/* The opcodes of glibc's <aio.h> plus FreeBSD's vectored ones. */
#define POSIX_LIO_READV 6
#define POSIX_LIO_WRITEV 5

/*
 * A lio_listio() call: freed when the caller and every member let go.  A
 * member lets go in done(), which may run inside aio_error() or
 * aio_suspend() called from a signal handler, where free() is not allowed:
 * the last reference dropped there parks the list (through `dead`) until
 * the next lio_listio() call frees it.
 */
struct xaio__lio {
	struct xaio__lio *dead;
	_Atomic uint32_t refs;
	_Atomic uint32_t pending; /* members not finished, +1 while arming */
	_Atomic uint32_t failed; /* a member finished with an error */
	bool notify; /* LIO_NOWAIT with a list sigevent */
	bool notified; /* note handed to the notifier */
	struct sigevent sev;
	void *note; /* SIGEV_THREAD node for the list */
};

/* Validates a sigevent for submission: 0 or -EINVAL. */
XAIO__HIDDEN int xaio__sigev_check(const struct sigevent *sev);
/*
 * Prepares what a completion will need to notify: for SIGEV_THREAD a
 * node allocated now (completion may run where malloc is not allowed).
 * Returns NULL with *err = 0 when nothing is needed, *err = -ENOMEM on
 * failure.
 */
XAIO__HIDDEN void *xaio__note_prepare(const struct sigevent *sev, int *err);
XAIO__HIDDEN void xaio__note_discard(void *note);
/* Delivers sev (signal now; thread through the notifier). */
XAIO__HIDDEN void xaio__notify(const struct sigevent *sev, void *note);

/* An event set that tracks a request (xaio_evset_add_aiocb), its record. */
struct xaio__posix_track {
	struct xaio_srcloc loc;
	const char *api;
	struct xaio_evset *es;
	const struct xaio_opt *opt;
};

/*
 * Submits cb as op (LIO_READ, LIO_WRITE, POSIX_LIO_READV/WRITEV, or -1 for
 * fsync with dsync telling which) as part of list lio (or NULL), tracked
 * by tr's event set (or not: NULL).  0: cb is in progress (and will be
 * notified).  -errno: refused synchronously;
 * cb's status says why, except for -EINVAL because cb is still in flight
 * (then cb is left untouched).
 */
XAIO__HIDDEN int xaio__posix_submit(struct aiocb *cb, int op, bool dsync,
				    struct xaio__lio *lio,
				    const struct xaio__posix_track *tr);
/* Drops a reference; in_done: from a member's done() (never frees). */
XAIO__HIDDEN void xaio__lio_put(struct xaio__lio *lio, bool in_done);
/* A member finished (or the arming reference went): counts it down. */
XAIO__HIDDEN void xaio__lio_done(struct xaio__lio *lio, bool failed);

/* aio_waitcomplete bookkeeping (src/posix/bsd.c). */
/* Publishes cb's final status and records it for aio_waitcomplete. */
XAIO__HIDDEN void xaio__wc_publish(struct aiocb *cb, int err, ssize_t ret);
XAIO__HIDDEN void xaio__wc_consume(struct aiocb *cb);
XAIO__HIDDEN extern _Atomic int64_t xaio__posix_inflight;

/* The XAIO_VERBOSE report (src/posix/report.c), run at exit. */
XAIO__HIDDEN void xaio__posix_report(void);

/* Is cb the owner of a request still in flight? */
static inline bool xaio__cb_in_flight(const struct aiocb *cb)
{
	return cb_error(cb) == EINPROGRESS &&
	       xaio__req_find(cb_index(cb), cb_gen(cb), cb) != NULL;
}

/* POSIX's -1/errno convention, from the engine's -errno. */
static inline int xaio__ret_errno(int r)
{
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

#endif
