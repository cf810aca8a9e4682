/* SPDX-License-Identifier: MIT */
/*
 * Event sets: one object that tracks many asynchronous operations, after
 * HDF5's H5ES.  Included by <xaio.h>; see xaio_evset_create(3) and
 * docs/event-sets.md.
 *
 * An operation is submitted with a set as its last argument and counted in
 * it from then on.  The set is a bag, not a scheduler: operations start as
 * soon as what they are ordered behind has finished (xaio_open(3)), and the
 * set only counts them, reports their errors, runs their callbacks and lets
 * threads wait for them.  A NULL set means "synchronous": the call waits for
 * its operation and returns its result, and every xaio_evset_* function
 * accepts NULL and still writes zeros to its outputs.
 *
 * Every function returns >= 0 or a negative errno value and never touches
 * errno.  A set is thread-safe: many threads may submit to it and wait on
 * it at once.
 */
#ifndef XAIO_EVSET_H
#define XAIO_EVSET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef XAIO_API
#if defined(XAIO_BUILDING)
#define XAIO_API __attribute__((visibility("default")))
#else
#define XAIO_API
#endif
#endif

struct xaio_evset;

/* Where an asynchronous call was made: recorded with every operation. */
struct xaio_srcloc {
	const char *file;
	const char *func;
	unsigned int line;
	unsigned int flags; /* XAIO_LOC_COPY */
};

/* file and func are not static: the library copies them at submission. */
#define XAIO_LOC_COPY 1u

/* The caller's location, for the *_loc functions and the macros. */
#define XAIO_HERE ((struct xaio_srcloc){__FILE__, __func__, __LINE__, 0})

/* Timeouts, in nanoseconds, a total budget on CLOCK_MONOTONIC. */
#define XAIO_WAIT_FOREVER UINT64_MAX
#define XAIO_WAIT_NONE 0

/* xaio_evset_attr.error_policy */
enum xaio_error_policy {
	/* Failures are recorded; new work is accepted; an operation that
	 * depends on a failed one completes with ECANCELED naming it. */
	XAIO_ERR_CONTINUE = 0,
	/* HDF5's rule: once a failure has completed, submissions return
	 * -ECANCELED until xaio_evset_clear_errors(). */
	XAIO_ERR_REFUSE = 1,
};

/* xaio_evset_attr.callback_mode */
enum xaio_callback_mode {
	/* Complete callbacks run in the thread that harvests the operation
	 * (xaio_evset_wait, _wait_any, _op_wait). */
	XAIO_CB_WAITER = 0,
	/* They run on the completing thread, at once: they must not block,
	 * and xaio_evset_wait* called from one returns -EDEADLK. */
	XAIO_CB_WORKER = 1,
};

/* xaio_evset_attr.copy_full: a XAIO_BUF_COPY submission at the cap... */
enum xaio_copy_full {
	XAIO_COPY_BLOCK = 0, /* waits until copies are freed */
	XAIO_COPY_EAGAIN = 1, /* returns -EAGAIN */
};

/*
 * Attributes of a set; NULL means all defaults.  The struct only grows at
 * its end: set .size to sizeof(struct xaio_evset_attr).
 */
struct xaio_evset_attr {
	uint32_t size;
	uint32_t error_policy; /* enum xaio_error_policy */
	uint32_t callback_mode; /* enum xaio_callback_mode */
	uint32_t copy_full; /* enum xaio_copy_full */
	uint64_t copy_cap; /* bytes of XAIO_BUF_COPY copies; 0: 64 MiB */
	uint32_t flags; /* XAIO_EVSET_* */
	uint32_t reserved32; /* zero */
	uint64_t reserved[3]; /* zero */
};

/*
 * xaio_evset_attr.flags.  By default the thread that waits on a set (or
 * polls it: xaio_evset_counts, xaio_file_status) reaps completions and
 * starts what they were holding back, as cheaply as the kernel allows;
 * while no thread does, an operation queued behind another (a write
 * behind its open) does not start.  XAIO_EVSET_BACKGROUND: a library
 * thread does it too, so that chains progress while the program computes,
 * at the cost of a hand-off between threads per completion.  A set with
 * an eventfd (xaio_evset_fd) or XAIO_CB_WORKER callbacks always does.
 */
#define XAIO_EVSET_BACKGROUND 1u

/*
 * What is known about one operation.  Times are CLOCK_MONOTONIC
 * nanoseconds, 0 for a stage it never reached, and are filled for success,
 * failure and cancellation alike.
 */
struct xaio_op_info {
	uint64_t op_id; /* unique in the process, never 0 */
	uint64_t user_tag; /* xaio_opt.user_tag */
	const char *api; /* "xaio_pwrite": static */
	struct xaio_srcloc loc; /* valid while the operation is */
	int32_t status; /* 0, EINPROGRESS, ECANCELED or the errno */
	uint32_t flags; /* XAIO_INFO_* */
	int64_t result; /* bytes moved, or 0 */
	uint64_t cause; /* ECANCELED because this operation failed, or 0 */
	int64_t offset; /* data operations: the offset, else 0 */
	uint64_t length; /* data operations: bytes asked, else 0 */
	uint64_t t_submit_ns, t_start_ns, t_end_ns;
};

/* xaio_op_info.flags */
#define XAIO_INFO_DEP_CANCELED 1u /* ECANCELED because of .cause */

/*
 * Counts of a set, exact at the moment they are read.  Completed
 * operations are counted when they complete, not when they are harvested.
 */
struct xaio_evset_counts {
	uint64_t in_progress; /* submitted, not completed */
	uint64_t succeeded;
	uint64_t failed; /* completed with an error (not ECANCELED) */
	uint64_t canceled; /* by xaio_evset_cancel */
	uint64_t dep_canceled; /* because an operation they need failed */
	uint64_t inserted; /* every operation ever accepted by the set */
	uint64_t errors; /* error records not yet read */
	uint64_t bytes_copied; /* XAIO_BUF_COPY memory held now */
};

/* One failed (or dep-canceled) operation, from xaio_evset_errors(). */
struct xaio_error {
	struct xaio_op_info info; /* .loc strings owned by the record */
	char *args; /* the call's arguments as text */
	char msg[128]; /* strerror(info.status) and, for a dependent, why */
};

/* Callbacks.  Never run under an internal lock. */
/* Before the operation can start: non-zero vetoes it (-ECANCELED). */
typedef int (*xaio_insert_fn)(struct xaio_evset *es,
			      const struct xaio_op_info *info, void *ctx);
/* After it completed (any status), once. */
typedef void (*xaio_complete_fn)(struct xaio_evset *es,
				 const struct xaio_op_info *info, void *ctx);

/* xaio_evset_close() flags */
#define XAIO_CLOSE_WAIT 1u /* wait for every operation first */
#define XAIO_CLOSE_CANCEL 2u /* cancel what has not started, then wait */
#define XAIO_CLOSE_DISCARD_ERRORS 4u /* unread errors do not block it */

/* xaio_evset_wait() flags */
#define XAIO_WAIT_RETURN_ON_ERROR                                              \
	1u /* return 1 once it harvested a failure                             \
	    */

XAIO_API int xaio_evset_create(struct xaio_evset **es,
			       const struct xaio_evset_attr *attr);
XAIO_API int xaio_evset_close(struct xaio_evset *es, unsigned int flags);

/*
 * Waits until every operation of the set has completed (failed ones
 * included): 0, or -ETIMEDOUT when some are still in progress.  Harvests
 * (and retires) what completed; *counts, if not NULL, is exact.
 */
XAIO_API int xaio_evset_wait(struct xaio_evset *es, uint64_t timeout_ns,
			     unsigned int flags,
			     struct xaio_evset_counts *counts);
/* Harvests the next completed operation: 0, -ETIMEDOUT, -ENOENT (empty). */
XAIO_API int xaio_evset_wait_any(struct xaio_evset *es, uint64_t timeout_ns,
				 struct xaio_op_info *info);
/* Waits for one operation and harvests it: 0, -ETIMEDOUT, -ENOENT. */
XAIO_API int xaio_evset_op_wait(struct xaio_evset *es, uint64_t op_id,
				uint64_t timeout_ns, struct xaio_op_info *info);
/* A snapshot of the counts; never blocks. */
XAIO_API int xaio_evset_counts(struct xaio_evset *es,
			       struct xaio_evset_counts *counts);
/*
 * An eventfd that becomes readable when operations of the set complete
 * (the counter says how many; read it to reset it).  Owned by the set.
 */
XAIO_API int xaio_evset_fd(struct xaio_evset *es);
/*
 * Cancels operation op_id, or every operation of the set for 0: those not
 * started complete with ECANCELED (callbacks run).  *not_canceled, if not
 * NULL, counts those already running, which run to completion.
 */
XAIO_API int xaio_evset_cancel(struct xaio_evset *es, uint64_t op_id,
			       size_t *not_canceled);

/* Reads and removes up to max error records, oldest first: *n of them. */
XAIO_API int xaio_evset_errors(struct xaio_evset *es, struct xaio_error *out,
			       size_t max, size_t *n);
XAIO_API void xaio_evset_free_errors(struct xaio_error *errs, size_t n);
/* Drops unread errors and lifts XAIO_ERR_REFUSE's refusal. */
XAIO_API int xaio_evset_clear_errors(struct xaio_evset *es);

/* Replaces both callbacks (NULL: none) and their context. */
XAIO_API int xaio_evset_set_callbacks(struct xaio_evset *es,
				      xaio_insert_fn insert,
				      xaio_complete_fn complete, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
