/* SPDX-License-Identifier: MIT */
/*
 * Operations of the native API, shared by event sets (evset/evset.c) and
 * file handles (file/file.c).  Hidden.
 *
 * An operation (struct xaio__task) lives from its submission until its last
 * reference goes: one for its set (dropped when it is harvested or its set
 * retires it; for a synchronous call, by the caller), one while it is in
 * progress, one per operation that must run before it (held by that one
 * until it completes), one while an error record names it.
 *
 * Locks: xaio__deps (global) guards dependencies, handles' lists of live
 * operations and the id table; a set's lock guards its lists and counts.
 * The two are never nested except in fork's prepare (deps first).  No
 * callback runs under either, nor does any I/O.
 */
#ifndef XAIO_EVSET_OP_H
#define XAIO_EVSET_OP_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/uio.h>

#include "core/internal.h"
#include "core/sys.h"

enum { OPS_WAITING, OPS_ISSUED, OPS_DONE };

#define XAIO__PATHS 64 /* buckets of a set's path table: a power of two */

/* "to runs after from": lives in to's in_block, linked in from's out. */
struct xaio__edge {
	struct xaio__task *to;
	struct xaio__edge *next;
	bool hard; /* from's failure cancels to */
};

/* An operation's place in a handle's list of live operations (deps). */
struct xaio__lnode {
	struct xaio__task *op;
	struct xaio__lnode *prev, *next;
	struct xaio_file *h; /* the handle whose list holds it, or NULL */
};

/* One path of an operation in its set's path table (deps): see file.c. */
struct xaio__pent {
	char *key; /* the path, normalised; NULL: none */
	uint32_t len, hash;
	const struct xaio_file *base; /* relative to; NULL: cwd or absolute */
	struct xaio__task *op;
	struct xaio__pent *next, *prev;
};

struct xaio__task {
	uint64_t id;
	struct xaio_evset *es; /* NULL: synchronous */
	struct xaio_file *file; /* the handle it runs on, or NULL */
	struct xaio_file *dir; /* path operations: the directory handle */
	struct xaio_file *dir2; /* rename, link: the new path's directory */
	const char *api;
	struct xaio_srcloc loc;
	uint64_t user_tag;
	uint8_t op; /* XAIO__OP_* */
	/* Nonzero: the row the engine runs for an op file.c orders as op
	 * (an open of another kind: file/map.c, file/ref.c). */
	uint8_t run_op;
	uint8_t writes, reads, barrier; /* for ordering on the handle */
	uint8_t poisoned; /* a hard predecessor failed: ECANCELED */
	uint8_t canceled; /* by xaio_evset_cancel */
	uint8_t finished; /* status and result are final */
	_Atomic uint8_t state; /* OPS_* */
	_Atomic uint32_t refs;
	uint32_t npending; /* predecessors not done, + 1 until launched */
	uint32_t nsoft; /* of which ordered on a handle (not hard) */
	int32_t status;
	uint32_t iflags; /* XAIO_INFO_* */
	int64_t result;
	uint64_t cause;
	const char *cause_api; /* the api of the operation named by cause */
	uint64_t t_submit, t_start, t_end;

	/* Arguments. */
	void *buf;
	uint64_t len;
	int64_t off;
	uint32_t arg, arg2;
	char *path; /* owned copy */
	/* Owned copy: the new path of a rename or link (relative to dir2,
	 * ordered by path too: order2), a symlink's target; buf points to it.
	 */
	char *path2;
	bool order2;
	struct iovec *iov; /* owned copy; buf points to it for *v */
	int iovcnt;
	ssize_t *out; /* caller's result slot, or NULL */
	/* xaio_readdir: the listing the worker built (owned until done), and
	 * the caller's slot it goes to if the operation succeeds. */
	struct xaio_listing *listing, **lout;
	/* xaio_open_nth: an open of the off-th entry of the directory path
	 * (the request runs XAIO__OP_OPEN_NTH). */
	uint8_t nth;
	char *locbuf; /* XAIO_LOC_COPY's strings */

	/* Buffers. */
	uint32_t bufpol; /* XAIO_BUF_* */
	void *copy; /* XAIO_BUF_COPY: owned */
	uint64_t copied; /* bytes counted in the set's cap */
	void (*buf_free)(void *buf, void *ctx);
	void *buf_free_ctx;
	void *gift;

	/* The engine request while issued. */
	uint32_t req_index, req_gen;

	int fd; /* the descriptor it ran on, for error records; -1: none */
	uint8_t released; /* has let its successors go (xaio__deps) */
	/*
	 * Cancelled while ordered behind others on a handle: 1, keeps its
	 * place until they are done; 2, its release is queued (xaio__deps).
	 */
	uint8_t held;

	/* Successors: edges to ops that wait for this one (xaio__deps). */
	struct xaio__edge *succ;
	/* This op's own incoming edges, in one block it owns. */
	struct xaio__edge *in_block;
	/* In the live lists of its handle (or dir), and of dir2. */
	struct xaio__lnode ln[2];
	struct xaio__task *s_prev, *s_next; /* set's live/done lists */
	struct xaio__task *e_next; /* set's error FIFO */
	struct xaio__task *h_next; /* id table chain (deps) */
	/* Ordering by path within the set: path, then path2 (order2). */
	struct xaio__pent pk[2];
	struct xaio__task *r_next; /* this thread's run queue */
};

struct xaio_file {
	int fd; /* -1 until the open has run */
	int err; /* the open's errno */
	_Atomic int ostate; /* OPS_WAITING (pending), OPS_DONE */
	uint64_t open_id;
	const char *open_api;
	struct xaio__task *open_op; /* while in progress (deps) */
	bool strict;
	_Atomic bool closing; /* refuses new operations */
	struct xaio__lnode *live_head, *live_tail; /* in progress (deps) */
	struct xaio_file *g_prev, *g_next; /* every handle (deps) */
};

struct xaio_evset {
	pthread_mutex_t lock;
	struct xaio_evset_attr attr;
	struct xaio__task *live; /* in progress */
	struct xaio__task *done_head, *done_tail; /* completed, unharvested */
	struct xaio__task *err_head, *err_tail;
	struct xaio_evset_counts c;
	bool refusing; /* XAIO_ERR_REFUSE and a failure completed */
	xaio_insert_fn insert;
	xaio_complete_fn complete;
	void *ctx;
	int efd;
	/* Completions past their unlock that still use the set (close waits).
	 */
	_Atomic uint32_t active;
	/* Completions must be reaped without a waiting thread (NOTIFY). */
	_Atomic bool background;
	/* Live path operations by hash (xaio__deps), or NULL: none yet. */
	struct xaio__pent **paths;
	struct xaio_evset *g_prev, *g_next; /* every set (deps) */
};

XAIO__HIDDEN extern pthread_mutex_t xaio__deps;

/* evset/evset.c */
XAIO__HIDDEN uint64_t xaio__now_ns(void);
XAIO__HIDDEN void xaio__op_info(const struct xaio__task *op,
				struct xaio_op_info *info);
/* Admission to es (policy, copy cap): 0 or -errno; nothing changed. */
XAIO__HIDDEN int xaio__es_admit(struct xaio_evset *es, struct xaio__task *op);
/* The insert callback: 0, or -ECANCELED when it vetoed. */
XAIO__HIDDEN int xaio__es_insert_cb(struct xaio_evset *es,
				    struct xaio__task *op);
/* Counts op in its set (after admission and the insert callback). */
XAIO__HIDDEN void xaio__es_add(struct xaio__task *op);
/* op has its result: counts, errors, callbacks; under no lock. */
XAIO__HIDDEN void xaio__es_done(struct xaio__task *op);
/* Undoes xaio__es_add for an op that was refused after all. */
XAIO__HIDDEN void xaio__es_unadd(struct xaio__task *op);
/* Undoes xaio__es_admit's copy accounting for a refused op. */
XAIO__HIDDEN void xaio__es_unadmit(struct xaio__task *op);
/* Is this thread inside a worker-mode complete callback? */
XAIO__HIDDEN bool xaio__es_in_worker_cb(void);
XAIO__HIDDEN void xaio__es_atfork_prepare(void);
XAIO__HIDDEN void xaio__es_atfork_parent(void);
XAIO__HIDDEN void xaio__es_atfork_child(void);

/* file/file.c */
/* Drops a reference; the last one frees op. */
XAIO__HIDDEN void xaio__op_put(struct xaio__task *op);
/* Sets up the native layer once (fork handlers). */
XAIO__HIDDEN void xaio__native_init(void);
/* Cancels op if it has not started: true when it did. */
XAIO__HIDDEN bool xaio__op_cancel(struct xaio__task *op);
/* Formats op's arguments for an error record (malloc'ed, or NULL). */
XAIO__HIDDEN char *xaio__op_args(const struct xaio__task *op);
/* Waits until pred() holds or the deadline: 0 or -ETIMEDOUT. */
XAIO__HIDDEN int xaio__wait_until(bool (*pred)(void *), void *arg,
				  const struct timespec *deadline);
XAIO__HIDDEN struct timespec xaio__deadline_ns(uint64_t timeout_ns,
					       bool *forever);

#endif
