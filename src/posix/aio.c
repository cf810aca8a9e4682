// SPDX-License-Identifier: MIT
/*
 * POSIX AIO entry points: aio_read, aio_write, aio_fsync, aio_error,
 * aio_return, aio_cancel, aio_init, and their *64 twins (the same
 * functions: on LP64 glibc's aiocb64 is aiocb).
 *
 * Submission checks what glibc checks synchronously (aio_reqprio range,
 * aio_fsync's op and fd) plus what glibc gets wrong: an invalid sigevent
 * and an aiocb still in flight are refused with EINVAL.  Everything else
 * (bad fd, negative offset, bad buffer) is reported through the aiocb, as
 * glibc does.  A negative aio_offset never reaches the kernel (io_uring
 * reads -1 as "the current file position").
 *
 * Completion (done(), on whatever thread completes the request) copies what
 * it needs from the aiocb, publishes the status, and only then notifies:
 * after the publication the application may free the aiocb.  A request
 * submitted through xaio_evset_add_aiocb() is also a record in its event
 * set (libxaio's xaio__ext_*), completed last.
 *
 * Locking: none here; the engine and notify.c own theirs.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "posix/posix.h"

#define PRIO_DELTA_MAX 20 /* glibc's AIO_PRIO_DELTA_MAX */

_Atomic int64_t xaio__posix_inflight;

static void done(struct xaio__req *req)
{
	struct aiocb *cb = req->owner;
	struct xaio__lio *lio = req->group;
	struct xaio__task *track = req->track;
	struct sigevent sev = cb->aio_sigevent;
	int64_t res = req->res;
	int err = res < 0 ? (int)-res : 0;
	ssize_t ret = res < 0 ? -1 : (ssize_t)res;

	/* Publishes the status; from here on cb may be gone. */
	xaio__wc_publish(cb, err, ret);
	xaio__req_published(req); /* aio_cancel(fd, NULL): all done */
	atomic_fetch_sub(&xaio__posix_inflight, 1);
	xaio__notify(&sev, req->note);
	if (lio) {
		xaio__lio_done(lio, err != 0);
		xaio__lio_put(lio, true);
	}
	if (track)
		xaio__ext_done(track, res);
}

static int op_of(int lio_op, bool dsync)
{
	switch (lio_op) {
	case LIO_READ:
		return XAIO__OP_READ;
	case LIO_WRITE:
		return XAIO__OP_WRITE;
	case POSIX_LIO_READV:
		return XAIO__OP_READV;
	case POSIX_LIO_WRITEV:
		return XAIO__OP_WRITEV;
	case -1:
		return dsync ? XAIO__OP_FDATASYNC : XAIO__OP_FSYNC;
	default:
		return -1;
	}
}

/* Rejects synchronously: the aiocb says so too, as glibc does. */
static int refuse(struct aiocb *cb, int err)
{
	cb_publish(cb, err, -1);
	return -err;
}

static int submit(struct aiocb *cb, int lio_op, bool dsync,
		  struct xaio__lio *lio, const struct xaio__posix_track *tr)
{
	int op = op_of(lio_op, dsync);
	struct xaio__task *track = NULL;
	struct xaio__req *req;
	uint64_t id = 0;
	void *note;
	int r;

	if (xaio__cb_in_flight(cb))
		return -EINVAL; /* in flight: cb left untouched */
	if (lio_op != -1 &&
	    (cb->aio_reqprio < 0 || cb->aio_reqprio > PRIO_DELTA_MAX))
		return refuse(cb, EINVAL);
	if (xaio__sigev_check(&cb->aio_sigevent) < 0)
		return refuse(cb, EINVAL);
	/* A handler that interrupted the engine inside a lock: not now. */
	if (xaio__reentered())
		return refuse(cb, EAGAIN);
	xaio__engine_start();
	note = xaio__note_prepare(&cb->aio_sigevent, &r);
	if (r < 0)
		return refuse(cb, EAGAIN);
	req = xaio__req_alloc();
	if (!req) {
		xaio__note_discard(note);
		return refuse(cb, EAGAIN);
	}
	req->op = (uint8_t)(op < 0 ? XAIO__OP_READ : op);
	/* Last before the request goes: it runs the set's insert callback. */
	if (tr) {
		track = xaio__ext_new(tr->loc, tr->api, req->op, cb->aio_fildes,
				      (const void *)cb->aio_buf, cb->aio_nbytes,
				      cb->aio_offset, tr->opt, tr->es, &id, &r);
		if (!track) {
			xaio__req_free(req);
			xaio__note_discard(note);
			return refuse(cb, -r);
		}
	}
	req->fd = cb->aio_fildes;
	req->buf = (void *)cb->aio_buf;
	req->len = cb->aio_nbytes;
	req->off = op >= XAIO__OP_FSYNC ? 0 : cb->aio_offset;
	req->done = done;
	req->owner = cb;
	req->group = lio;
	req->note = note;
	if (cb->aio_sigevent.sigev_notify != SIGEV_NONE || (lio && lio->notify))
		req->flags |= XAIO__RF_NOTIFY;
	/* Reported through the aiocb, never sent to the kernel. */
	if (op < 0 || req->off < 0)
		req->fail = EINVAL;
	else if ((op == XAIO__OP_READV || op == XAIO__OP_WRITEV) &&
		 req->len > IOV_MAX)
		req->fail = EINVAL;
	else if (req->len > SSIZE_MAX) /* read(2): implementation-defined */
		req->fail = EINVAL;
	if (lio) {
		atomic_fetch_add(&lio->refs, 1);
		atomic_fetch_add(&lio->pending, 1);
	}
	atomic_fetch_add(&xaio__posix_inflight, 1);
	cb_start(cb, req->index, xaio__req_gen(req));
	if (track)
		xaio__ext_start(track, req);
	r = xaio__submit(req);
	if (r < 0) {
		if (track)
			xaio__ext_refused(track, -r);
		atomic_fetch_sub(&xaio__posix_inflight, 1);
		if (lio) {
			atomic_fetch_sub(&lio->pending, 1);
			xaio__lio_put(lio, false);
		}
		xaio__note_discard(note);
		return refuse(cb, -r);
	}
	if (tr && tr->opt && tr->opt->op_id)
		*tr->opt->op_id = id;
	return 0;
}

int xaio__posix_submit(struct aiocb *cb, int lio_op, bool dsync,
		       struct xaio__lio *lio,
		       const struct xaio__posix_track *tr)
{
	int shield = xaio__shield();
	int r = submit(cb, lio_op, dsync, lio, tr);

	xaio__unshield(shield);
	return r;
}

/* What aio_fsync checks synchronously: 0 or -errno. */
static int fsync_check(int op, const struct aiocb *cb)
{
	if (op != O_SYNC && op != O_DSYNC)
		return -EINVAL;
	if (fcntl(cb->aio_fildes, F_GETFL) < 0 ||
	    xaio__fd_internal(cb->aio_fildes))
		return -EBADF;
	return 0;
}

static int submit_one(struct aiocb *cb, int lio_op)
{
	int r = xaio__posix_submit(cb, lio_op, false, NULL, NULL);

	return xaio__ret_errno(r);
}

XAIO_POSIX_API int aio_read(struct aiocb *cb)
{
	return submit_one(cb, LIO_READ);
}

XAIO_POSIX_API int aio_write(struct aiocb *cb)
{
	return submit_one(cb, LIO_WRITE);
}

XAIO_POSIX_API int aio_fsync(int op, struct aiocb *cb)
{
	int r;

	r = fsync_check(op, cb);
	if (r == 0)
		r = xaio__posix_submit(cb, -1, op == O_DSYNC, NULL, NULL);
	return xaio__ret_errno(r);
}

static int error_of(const struct aiocb *cb)
{
	int err = cb_error(cb);

	if (err == EINPROGRESS) {
		/* A polling thread reaps for itself: no hand-off. */
		xaio__restricted++;
		xaio__poll();
		xaio__restricted--;
		err = cb_error(cb);
		/*
		 * In progress but no request of ours (a parent's, seen in a
		 * forked child, or garbage): unknown.  A request publishes its
		 * status before it stops being findable, so look once more.
		 */
		if (err == EINPROGRESS && !xaio__cb_in_flight(cb) &&
		    cb_error(cb) == EINPROGRESS)
			return xaio__ret_errno(-EINVAL);
	}
	return err;
}

XAIO_POSIX_API int aio_error(const struct aiocb *cb)
{
	int shield = xaio__shield();
	int err = error_of(cb);

	xaio__unshield(shield);
	return err;
}

XAIO_POSIX_API ssize_t aio_return(struct aiocb *cb)
{
	int shield = xaio__shield();
	ssize_t ret = cb_return(cb);

	if (cb_error(cb) != EINPROGRESS)
		xaio__wc_consume(cb);
	xaio__unshield(shield);
	return ret;
}

static int cancel(int fd, struct aiocb *cb)
{
	int r;

	if (fcntl(fd, F_GETFL) < 0 || xaio__fd_internal(fd))
		return xaio__ret_errno(-EBADF);
	if (!cb) {
		xaio__engine_start();
		if (xaio__reentered())
			return AIO_NOTCANCELED;
		return xaio__ret_errno(xaio__cancel_fd(fd));
	}
	if (cb->aio_fildes != fd)
		return xaio__ret_errno(-EINVAL);
	if (cb_error(cb) != EINPROGRESS)
		return AIO_ALLDONE;
	if (!xaio__cb_in_flight(cb)) {
		/* Finished meanwhile, or never ours (glibc says EINVAL). */
		return cb_error(cb) != EINPROGRESS ? AIO_ALLDONE
						   : xaio__ret_errno(-EINVAL);
	}
	/* A handler that interrupted the engine inside a lock cannot wait. */
	if (xaio__reentered())
		return AIO_NOTCANCELED;
	r = xaio__cancel(cb_index(cb), cb_gen(cb), true);
	/* It may have finished while we looked: then it is all done. */
	if (r == AIO_NOTCANCELED && cb_error(cb) != EINPROGRESS)
		r = AIO_ALLDONE;
	/* Or been cancelled by the kernel, or another canceller, meanwhile. */
	if (r == AIO_ALLDONE && cb_error(cb) == ECANCELED)
		r = AIO_CANCELED;
	return r;
}

XAIO_POSIX_API int aio_cancel(int fd, struct aiocb *cb)
{
	int shield = xaio__shield();
	int r = cancel(fd, cb);

	xaio__unshield(shield);
	return r;
}

/* Here rather than in report.c, so that static links keep the report. */
__attribute__((destructor)) static void report_at_exit(void)
{
	xaio__posix_report();
}

/*
 * glibc's tuning hook.  xaio sizes its pool by XAIO_THREADS and needs no
 * hints, so this only exists for binary compatibility.
 */
XAIO_POSIX_API void aio_init(const struct aioinit *init)
{
	(void)init;
}

/* The *64 twins: the same layout on LP64, so the same code. */
XAIO_POSIX_API int aio_read64(struct aiocb64 *cb)
	__attribute__((alias("aio_read")));
XAIO_POSIX_API int aio_write64(struct aiocb64 *cb)
	__attribute__((alias("aio_write")));
XAIO_POSIX_API int aio_fsync64(int op, struct aiocb64 *cb)
	__attribute__((alias("aio_fsync")));
XAIO_POSIX_API int aio_error64(const struct aiocb64 *cb)
	__attribute__((alias("aio_error")));
XAIO_POSIX_API ssize_t aio_return64(struct aiocb64 *cb)
	__attribute__((alias("aio_return")));
XAIO_POSIX_API int aio_cancel64(int fd, struct aiocb64 *cb)
	__attribute__((alias("aio_cancel")));

/* --- libxaio's event sets (include/xaio/file.h) --- */

XAIO_POSIX_API int xaio_evset_add_aiocb_loc(struct xaio_srcloc loc,
					    struct xaio_evset *es, int op,
					    struct aiocb *cb,
					    const struct xaio_opt *opt)
{
	struct xaio__posix_track tr = {loc, NULL, es, opt};
	int lio_op = op, saved = errno, r;

	/* Only user_tag and op_id: the buffer and the order are POSIX's. */
	if (!cb || (opt && (opt->flags || opt->n_after || opt->after ||
			    opt->buf_free || opt->buf_free_ctx ||
			    opt->reserved[0] || opt->reserved[1])))
		return -EINVAL;
	switch (op) {
	case LIO_READ:
		tr.api = "aio_read";
		break;
	case LIO_WRITE:
		tr.api = "aio_write";
		break;
	case O_SYNC:
	case O_DSYNC:
		tr.api = "aio_fsync";
		lio_op = -1;
		r = fsync_check(op, cb);
		errno = saved; /* the native API never changes it */
		if (r)
			return r;
		break;
	default:
		return -EINVAL;
	}
	r = xaio__posix_submit(cb, lio_op, op == O_DSYNC, NULL,
			       es ? &tr : NULL);
	errno = saved;
	return r;
}

XAIO_POSIX_API int xaio_evset_add_aiocb(struct xaio_evset *es, int op,
					struct aiocb *cb,
					const struct xaio_opt *opt)
{
	static const struct xaio_srcloc none;

	return xaio_evset_add_aiocb_loc(none, es, op, cb, opt);
}
