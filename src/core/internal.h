/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared by the engine (src/core), the backends (src/backend)
 * and the layers above them (src/posix).  Everything here is hidden.
 *
 * A request (struct xaio__req) is owned by the engine from xaio__req_alloc()
 * to the return of its done() callback; the layer above fills the public
 * part, calls xaio__submit(), and learns the result in done(), which runs
 * on whichever thread completes it (a waiter reaping the ring, the
 * background reaper, or a pool worker) with no engine lock held.
 */
#ifndef XAIO_INTERNAL_H
#define XAIO_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include "xaio.h"

#define XAIO__HIDDEN __attribute__((visibility("hidden")))
/*
 * The engine entry points libxaio-posix (a separate library over libxaio,
 * one engine per process) calls: exported by libxaio in the version node
 * XAIO_PRIVATE, which is no interface for anyone else.
 */
#define XAIO__SHARED __attribute__((visibility("default")))

#define xaio__container_of(ptr, type, member)                                  \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))
#define XAIO__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The kernel's largest single transfer (MAX_RW_COUNT on 4 KiB pages). */
#define XAIO__MAX_RW 0x7ffff000ull

enum xaio__op {
	XAIO__OP_READ,
	XAIO__OP_WRITE,
	XAIO__OP_READV,
	XAIO__OP_WRITEV,
	XAIO__OP_FSYNC,
	XAIO__OP_FDATASYNC,
	XAIO__OP_OPENAT,
	XAIO__OP_CLOSE,
	XAIO__OP_FTRUNCATE,
	XAIO__OP_FALLOCATE,
	XAIO__OP_STATX,
	XAIO__OP_MKDIRAT,
	XAIO__OP_UNLINKAT,
	XAIO__OP_RENAMEAT,
	XAIO__OP_LINKAT,
	XAIO__OP_SYMLINKAT,
	XAIO__OP_READLINKAT,
	XAIO__OP_FACCESSAT,
	XAIO__OP_READDIR,
	XAIO__OP_DIRINFO,
	XAIO__OP_DIRENT_NTH,
	XAIO__OP_REMOVE_NTH,
	XAIO__OP_EXISTS,
	XAIO__OP_OPEN_NTH,
	/* xattr ops (file/xattr.c): xaio__xattr_role needs this order. */
	XAIO__OP_FSETXATTR,
	XAIO__OP_SETXATTR,
	XAIO__OP_SETXATTRAT,
	XAIO__OP_RENAMEXATTR,
	XAIO__OP_REMOVEXATTR,
	XAIO__OP_FGETXATTR,
	XAIO__OP_GETXATTR,
	XAIO__OP_GETXATTRAT,
	XAIO__OP_HASXATTR,
	XAIO__OP_LISTXATTR,
	XAIO__OP_XATTRNAME,
	XAIO__OP_COPY, /* file/copy.c */
	XAIO__OP_COPY_FILE,
	XAIO__OP_MAP_CREATE, /* file/map.c (an open's run_op) */
	XAIO__OP_MAP_PUT,
	XAIO__OP_MAP_GET,
	XAIO__OP_MAP_DELETE,
	XAIO__OP_REF_GET, /* file/ref.c */
	XAIO__OP_REF_OPEN, /* (an open's run_op) */
	XAIO__OP_CHMOD,
	XAIO__OP_CHOWN,
	XAIO__OP_UTIMENS,
	XAIO__OP_COUNT
};

struct io_uring_sqe;
struct xaio__req;

/* What the engine knows about an operation (xaio__opdef.props). */
enum {
	XAIO__OPF_FD = 1u << 0, /* fd is a descriptor to run on */
	XAIO__OPF_READS = 1u << 1, /* reads file data */
	XAIO__OPF_WRITES = 1u << 2, /* writes file data */
	XAIO__OPF_DURABLE = 1u << 3, /* changes the file: waited for at exit */
	XAIO__OPF_BARRIER = 1u << 4, /* after everything before it on its fd */
	/* Reads or changes a directory's entries: in a set, ordered after
	 * the earlier operations below its path as well (file.c). */
	XAIO__OPF_BELOW = 1u << 5,
	/* A ring's -ERANGE is not final: the pool runs it again, and more. */
	XAIO__OPF_RERUN = 1u << 6,
};

/* xaio__opdef.ring_op of an operation the ring has no opcode for. */
#define XAIO__RING_NONE 0xff

/* One row of the operation table (core/ops.c). */
struct xaio__opdef {
	const char *name;
	uint8_t ring_op; /* IORING_OP_*, or XAIO__RING_NONE: the pool's */
	uint8_t props; /* XAIO__OPF_* */
	/* Fills the SQE fields beyond fd, user_data and flags. */
	void (*prep)(struct io_uring_sqe *sqe, const struct xaio__req *req);
	/* Runs it on a pool worker: the result, or -1 with errno set. */
	int64_t (*run)(struct xaio__req *req);
};

XAIO__HIDDEN extern const struct xaio__opdef xaio__ops[XAIO__OP_COUNT];

/* For run functions (core/ops.c), which answer -1 and errno on failure. */
/* Closes fd (if >= 0) and frees p, keeping errno; returns r. */
XAIO__HIDDEN int64_t xaio__done_with(int fd, void *p, int64_t r);
/*
 * Puts the len bytes of s in buf of size bytes as snprintf(3) would: as
 * much as fits and a NUL; nothing when size is 0.
 */
XAIO__HIDDEN void xaio__put_name(char *buf, size_t size, const char *s,
				 size_t len);

/* Run functions of multi-step operations, in their callers' files. */
XAIO__HIDDEN int64_t xaio__run_copy(struct xaio__req *req); /* file/copy.c */
XAIO__HIDDEN int64_t xaio__run_copy_file(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_map_create(struct xaio__req *req); /* map.c */
XAIO__HIDDEN int64_t xaio__run_map_put(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_map_get(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_map_delete(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_ref_get(struct xaio__req *req); /* ref.c */
XAIO__HIDDEN int64_t xaio__run_ref_open(struct xaio__req *req);

/* Request flags set by the submitter. */
enum {
	XAIO__RF_NOTIFY = 1u << 0, /* someone must see it complete: reaper */
	XAIO__RF_WHOLE = 1u << 1, /* engine: blocking stream write, no short */
	XAIO__RF_LAZY = 1u << 2, /* engine: the ring may defer its submission */
	XAIO__RF_STREAM = 1u << 3, /* engine: cannot seek, no offset */
	XAIO__RF_NBIO = 1u << 4, /* engine: O_NONBLOCK stream: EAGAIN */
	XAIO__RF_ASYNC = 1u << 5, /* engine: not inline in io_uring_enter */
	XAIO__RF_DIRECT = 1u << 6, /* engine: O_DIRECT, no copy inline */
	XAIO__RF_HELD = 1u << 7, /* engine: may be held, keeps the reaper on */
	/*
	 * From the native API: the layer above orders it and owns its
	 * descriptor (no fd table, no descriptor checks, no private
	 * duplicate), and it fails as the plain system call would.
	 */
	XAIO__RF_NATIVE = 1u << 8,
};

/* Request states (req->state). */
enum {
	XAIO__RS_FREE,
	XAIO__RS_HELD, /* waiting in the fd table behind earlier requests */
	XAIO__RS_QUEUED, /* in the thread pool's queue, not started */
	XAIO__RS_RUNNING, /* in the kernel or on a worker: not cancellable */
	XAIO__RS_COMPLETING, /* has its result; done() is about to publish */
	XAIO__RS_DONE,
};

struct xaio__fdent;

struct xaio__req {
	/* Filled by the submitter. */
	uint8_t op; /* enum xaio__op */
	uint16_t flags; /* XAIO__RF_* */
	int fd; /* the caller's descriptor */
	void *buf; /* buffer, or struct iovec array for *V ops */
	uint64_t len; /* bytes, or iovec count for *V ops */
	int64_t off; /* >= 0 */
	/* For the other operations (see core/ops.c). */
	const char *path;
	uint32_t arg, arg2;
	void (*done)(struct xaio__req *req);
	_Atomic(void *) owner; /* the layer above's object (an aiocb) */
	void *group; /* the layer above's list object, or NULL */
	void *note; /* the layer above's notification, or NULL */
	struct xaio__task *track; /* the set's record of it, or NULL */
	int32_t fail; /* nonzero: complete at once with -fail, no I/O */
	int64_t res; /* result: bytes or -errno, valid in done() */

	/* Engine private. */
	_Atomic uint32_t state;
	uint32_t index; /* slot number in the pool, stable */
	_Atomic uint32_t gen; /* bumped on every allocation (seqlock-style) */
	int xfd; /* descriptor to execute on: fd, or a private dup */
	uint8_t backend; /* XAIO_BACKEND_* it was issued to */
	uint8_t kind; /* XAIO__K_*: how the fd table orders it */
	uint8_t reissued;
	uint8_t durable; /* a file write or fsync: waited for at exit */
	/* XAIO__CX_*: a canceller took it out of its queue. */
	_Atomic uint8_t cancel;
	/*
	 * The last generation the kernel cancelled (kill()): kept across
	 * reuse, so a canceller can still tell after the slot moved on.
	 */
	_Atomic uint32_t killed;
	uint64_t partial; /* bytes a short stream write already wrote */
	uint64_t seq; /* submission order on its fd */
	struct xaio__fdent *fde;
	struct xaio__req *fd_prev, *fd_next; /* fd table list, by seq */
	struct xaio__req *lane_next; /* held-in-lane FIFO */
	struct xaio__req *q_next; /* thread-pool queue */
};

/* How the fd table orders a request. */
enum {
	XAIO__K_FREE, /* no ordering: runs at once */
	XAIO__K_LANE, /* one at a time, in order: O_APPEND or stream writes */
	XAIO__K_SYNC, /* waits for every earlier request on the fd */
};

/* req->cancel. */
enum {
	XAIO__CX_NONE,
	XAIO__CX_TAKEN, /* out of every queue: about to complete ECANCELED */
	XAIO__CX_ASKED, /* in the kernel, which was asked to cancel it */
};

/* Outcomes of xaio__cancel(), numerically equal to AIO_CANCELED etc. */
enum { XAIO__CANCELED = 0, XAIO__NOTCANCELED = 1, XAIO__ALLDONE = 2 };

/* --- engine (src/core/engine.c) --- */

/* Starts the engine once per process (and again in a forked child). */
XAIO__SHARED int xaio__engine_start(void);
/* xaio_runtime_info() without starting the engine; info->size is valid. */
XAIO__SHARED void xaio__engine_info(struct xaio_runtime_info *info);
/* Takes a request from the pool; NULL when memory is exhausted. */
XAIO__SHARED struct xaio__req *xaio__req_alloc(void);
/* Gives back a request that was never submitted. */
XAIO__SHARED void xaio__req_free(struct xaio__req *req);
/*
 * Finds the in-flight request of (index, gen) owned by owner (any owner if
 * NULL), or NULL.  Safe against the slot being reused concurrently.
 */
XAIO__SHARED struct xaio__req *xaio__req_find(uint32_t index, uint32_t gen,
					      const void *owner);

/*
 * For done(), once the result is published where the layer above's callers
 * look: from here on the request is finished for xaio__req_find() (and so
 * for cancellation), although done() has not returned yet.
 */
static inline void xaio__req_published(struct xaio__req *req)
{
	atomic_store_explicit(&req->state, XAIO__RS_DONE, memory_order_release);
}

/* A request's current generation (it changes when the slot is reused). */
static inline uint32_t xaio__req_gen(struct xaio__req *req)
{
	return atomic_load_explicit(&req->gen, memory_order_relaxed);
}
/*
 * Accepts a filled request.  0: done() will run exactly once (perhaps
 * before this returns, perhaps on this thread).  -errno (EAGAIN): refused,
 * done() will not run, the request went back to the pool.
 */
XAIO__SHARED int xaio__submit(struct xaio__req *req);
/* Batching: submissions between plug and unplug share one kernel entry. */
XAIO__SHARED void xaio__plug(void);
XAIO__SHARED void xaio__unplug(void);
/* Nonzero while this thread is between plug and unplug. */
XAIO__SHARED int xaio__plugged(void);
/*
 * Cancels request (index, gen) if it is still held or queued, and with
 * in_kernel where it runs if the kernel can (the ring: a read or write
 * waiting on a pipe or socket; a worker's system call is never cut short).
 */
XAIO__SHARED int xaio__cancel(uint32_t index, uint32_t gen, bool in_kernel);
/*
 * Cancels every held or queued request on fd, and those the kernel can
 * cancel where they run; XAIO__* result.
 */
XAIO__SHARED int xaio__cancel_fd(int fd);

/*
 * Waiting.  A waiter reads the completion sequence with xaio__seq(),
 * checks its condition, then calls xaio__wait(seq, deadline, cancel): it
 * returns 0 once something may have changed (a completion happened or the
 * waiter reaped some itself), -ETIMEDOUT after the CLOCK_MONOTONIC deadline
 * (NULL: none) or -EINTR when a signal arrived.  With cancel, the sleep is
 * a cancellation point: pthread_cancel() acts during it, and the engine
 * undoes its own part of the wait (the caller's cleanup handlers do the
 * rest).
 */
XAIO__SHARED uint32_t xaio__seq(void);
XAIO__SHARED int xaio__wait(uint32_t seq, const struct timespec *deadline,
			    bool cancel);
/* Reaps completions the kernel has already posted, without blocking. */
XAIO__SHARED void xaio__poll(void);

/* Completion entry for the backends: records res and finishes the request. */
XAIO__HIDDEN void xaio__complete(struct xaio__req *req, int64_t res);
/*
 * xaio__complete() in two halves, for a batch: finish each request, then
 * wake waiters once (moves seq and kicks the ring's leader).
 */
XAIO__HIDDEN void xaio__finish(struct xaio__req *req, int64_t res);
XAIO__HIDDEN void xaio__wake(void);
/* A ring request the kernel refused: run it on the thread pool instead. */
XAIO__HIDDEN void xaio__reissue(struct xaio__req *req);
/*
 * For the ring's completions: true when req is a write to a blocking
 * stream that wrote res bytes, fewer than asked, and was issued again for
 * the rest (io_uring returns short writes on pipes and sockets; write(2)
 * on a blocking descriptor does not).
 */
XAIO__HIDDEN bool xaio__continue_write(struct xaio__req *req, int64_t res);
/*
 * For the ring's completions: true when res is ESPIPE for a request that
 * did not know its descriptor is a stream, now issued again without an
 * offset (POSIX: aio_offset is ignored where the file cannot seek).
 */
XAIO__HIDDEN bool xaio__stream_retry(struct xaio__req *req, int64_t res);

/*
 * Starts a detached library thread (128 KiB stack, every signal blocked so
 * that process signals reach application threads) named name: 0 or -errno.
 */
XAIO__HIDDEN int xaio__thread_start(void *(*fn)(void *), const char *name);

/* Per-thread guard: nonzero while this thread is inside the engine. */
XAIO__SHARED extern __thread int xaio__in_engine
	__attribute__((tls_model("initial-exec")));
/*
 * Blocking engine locks (and pool caches) this thread holds or is taking:
 * a signal handler that finds it nonzero interrupted their holder, and
 * must not take any (xaio__reentered()).  Raised before the lock is taken
 * and lowered after it is released, so it is never zero while held.
 */
XAIO__SHARED extern __thread int xaio__locked
	__attribute__((tls_model("initial-exec")));
/*
 * Nonzero inside a call POSIX makes async-signal-safe (aio_error,
 * aio_suspend, aio_waitcomplete), which may be in a handler: work done
 * there must not allocate or create threads (the pool defers its growth).
 */
XAIO__SHARED extern __thread int xaio__restricted
	__attribute__((tls_model("initial-exec")));

static inline void xaio__lock(pthread_mutex_t *m)
{
	xaio__locked++;
	atomic_signal_fence(memory_order_seq_cst);
	pthread_mutex_lock(m);
}

static inline void xaio__unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
	atomic_signal_fence(memory_order_seq_cst);
	xaio__locked--;
}

/* Did a signal handler interrupt this thread inside an engine lock? */
static inline bool xaio__reentered(void)
{
	return xaio__locked != 0;
}

/*
 * --- requests another layer runs, tracked by an event set (src/file) ---
 *
 * libxaio-posix's aiocbs in a set (xaio_evset_add_aiocb): ext_new gives
 * the operation its id (*id), checks the set's policy and runs the insert
 * callback (NULL and *err when refused; nothing is counted yet); then
 * either ext_drop (never submitted) or ext_start, once the request exists
 * and just before it is submitted, which counts it in the set.  Its done()
 * calls ext_done with the result; a submission the engine refused after
 * ext_start is ext_refused (taken out of the counts again).
 */
struct xaio__task;
XAIO__SHARED struct xaio__task *xaio__ext_new(
	struct xaio_srcloc loc, const char *api, unsigned int kind, int fd,
	const void *buf, uint64_t len, int64_t off, const struct xaio_opt *opt,
	struct xaio_evset *es, uint64_t *id, int *err);
XAIO__SHARED void xaio__ext_drop(struct xaio__task *op);
XAIO__SHARED void xaio__ext_start(struct xaio__task *op, struct xaio__req *req);
XAIO__SHARED void xaio__ext_refused(struct xaio__task *op, int err);
XAIO__SHARED void xaio__ext_done(struct xaio__task *op, int64_t res);

/* --- request pool (src/core/pool.c) --- */
XAIO__HIDDEN struct xaio__req *xaio__pool_get(void);
XAIO__HIDDEN void xaio__pool_put(struct xaio__req *req);
XAIO__HIDDEN struct xaio__req *xaio__pool_slot(uint32_t index);
XAIO__HIDDEN void xaio__pool_atfork_prepare(void);
XAIO__HIDDEN void xaio__pool_atfork_parent(void);
XAIO__HIDDEN void xaio__pool_atfork_child(void);

/* --- fd table (src/core/fdtab.c) --- */
/*
 * Links req into its fd's list.  1: issue it now.  0: it is held behind
 * earlier requests and the fd table hands it back later through a `ready`
 * list.  -ENOMEM: not linked.
 */
XAIO__HIDDEN int xaio__fd_enter(struct xaio__req *req);
/*
 * Unlinks a finished (or cancelled) request.  Requests it was holding back
 * are pushed on *ready (linked through q_next) for the caller to issue.
 */
XAIO__HIDDEN void xaio__fd_leave(struct xaio__req *req,
				 struct xaio__req **ready);
/* Takes a held request out of the table; false when it is not held. */
XAIO__HIDDEN bool xaio__fd_unhold(struct xaio__req *req, uint32_t gen,
				  struct xaio__req **ready);
/*
 * For aio_cancel(fd, NULL): takes every held request of fd out of the table
 * (pushed on *held through q_next) and records the others as (request, gen)
 * pairs in a malloc'ed array *running of *nrunning entries.
 */
struct xaio__ref {
	struct xaio__req *req;
	uint32_t gen;
};
XAIO__HIDDEN int xaio__fd_collect(int fd, struct xaio__req **held,
				  struct xaio__ref **running, int *nrunning,
				  struct xaio__req **ready);
XAIO__HIDDEN void xaio__fd_atfork_child(void);

/* --- the engine's own descriptors (src/core/ownfd.c) --- */
/* A private CLOEXEC duplicate of fd, at a high number: fd or -errno. */
XAIO__HIDDEN int xaio__fd_private(int fd);
/* Moves a descriptor xaio created to a high number: the number to use. */
XAIO__HIDDEN int xaio__fd_adopt(int fd);
/* fork child: closes every descriptor still marked as xaio's. */
XAIO__HIDDEN void xaio__fd_atfork_child_close(void);
/* Is fd one of xaio's own (not the program's)?  Async-signal-safe. */
XAIO__SHARED bool xaio__fd_internal(int fd);
/* Forgets fd as xaio's (before the caller closes it), or closes it too. */
XAIO__HIDDEN void xaio__fd_release(int fd);
XAIO__HIDDEN void xaio__fd_close(int fd);

/* --- backends (src/backend) --- */

/* The watchdog's state between two of its ticks (see watch below). */
struct xaio__watch {
	uint64_t deferrals;
	uint32_t flushes;
	bool pending;
};

/* What a backend's flush submits. */
enum xaio__flush {
	XAIO__FLUSH_DEFERRED, /* what was left for a batch (XAIO__RF_LAZY) */
	XAIO__FLUSH_PLUGGED, /* the same, if this thread issued while plugged */
	/*
	 * For a signal handler about to wait or poll: if it interrupted its
	 * thread while that held the submission lock, without the lock.
	 */
	XAIO__FLUSH_INTERRUPTED,
};

/*
 * The one interface through which the engine drives a backend.  There are
 * two: xaio__uring_backend (io_uring, src/backend/uring.c) and
 * xaio__pool_backend (worker threads, src/backend/threadpool.c).  The
 * engine issues a request to the ring when the ring is up and has the
 * operation, else to the pool, which runs anything (xaio__ops[].run).
 * Members a backend has no use for are NULL (the pool reaps, waits and
 * batches nothing: its workers complete requests themselves); the engine
 * calls a NULL member never.
 */
struct xaio__backend {
	const char *name;
	/*
	 * Sets it up: 0 or -errno (the engine then does without it).  The
	 * ring: *entries its size; SQPOLL with sqpoll_ms idle when not 0,
	 * *sqpoll_err why the kernel refused it (the ring then has none).
	 */
	int (*init)(uint32_t *entries, uint32_t sqpoll_ms, int *sqpoll_err);
	/* Does it run operation op (XAIO__OP_*)?  (The ring: probed once.) */
	bool (*has)(unsigned int op);
	/*
	 * Takes req: 1 when nothing was in flight before it, else 0;
	 * -EAGAIN when it cannot (full, or no worker: the caller decides).
	 */
	int (*issue)(struct xaio__req *req);
	/*
	 * Takes req (generation gen) back if no system call has picked it up
	 * yet: true when it did (req never ran, and is the caller's again).
	 */
	bool (*cancel)(struct xaio__req *req, uint32_t gen);
	/*
	 * Asks the kernel to cancel req (generation gen) where it runs: true
	 * when its completion is posted, or about to be (what it says decides:
	 * req->killed is gen if it did not run).  NULL: it cannot.
	 */
	bool (*kill)(struct xaio__req *req, uint32_t gen);
	/* Reaps what is posted: the count, or -EBUSY if another thread is. */
	int (*reap)(void);
	/*
	 * Leads: reaps, sleeping for completions until seq has moved past
	 * snap or the CLOCK_MONOTONIC deadline; -EBUSY if another thread
	 * leads (the caller sleeps on seq instead).  See xaio__wait.
	 */
	int (*wait)(uint32_t snap, const struct timespec *deadline,
		    bool cancel);
	/* Wakes the thread asleep in wait(), if any. */
	void (*kick)(void);
	/* Anything in flight (seq_cst: see futex_sleep in engine.c)? */
	bool (*busy)(void);
	/* Requests in flight (submitted or left for a batch), relaxed. */
	uint32_t (*inflight)(void);
	/* Is this thread its leader, asleep (a handler interrupted it)? */
	bool (*parked)(void);
	void (*flush)(enum xaio__flush how);
	/*
	 * Queues a close of fd (a private duplicate) to go with the next
	 * batch: false if it cannot, as when idle (the caller closes it).
	 */
	bool (*close_later)(int fd);
	/*
	 * One watchdog tick: submits deferred work that has waited since the
	 * previous tick.  False when nothing was deferred since then.
	 */
	bool (*watch)(struct xaio__watch *w);
	/* Submissions deferred to a batch so far. */
	uint64_t (*batched)(void);
	/* Would a lazy request be left for a batch (recent batch sizes)? */
	bool (*would_batch)(void);
	/* Worker threads now. */
	uint32_t (*threads)(void);
	/* From a thread that may create threads: workers it was denied. */
	void (*grow)(void);
	/* fork: the child has none of the parent's requests or threads. */
	void (*atfork_prepare)(void);
	void (*atfork_parent)(void);
	void (*atfork_child)(void);
};

XAIO__HIDDEN extern const struct xaio__backend xaio__uring_backend;
XAIO__HIDDEN extern const struct xaio__backend xaio__pool_backend;

/*
 * From the ring, after it deferred a submission: makes sure the watchdog
 * runs.  False if it cannot (then the caller submits at once).
 */
XAIO__HIDDEN bool xaio__watchdog_arm(void);
/* The pool was denied a worker (restricted): someone must grow it. */
XAIO__HIDDEN void xaio__engine_want_grow(void);

/*
 * Reads len bytes at off from fd's page cache at once, without blocking:
 * len, or -EAGAIN when the caller must issue the read to a backend.
 */
XAIO__HIDDEN int64_t xaio__nowait_read(int fd, void *buf, uint64_t len,
				       int64_t off);

/* --- environment (src/core/engine.c) --- */
XAIO__SHARED const char *xaio__getenv(const char *name);
/* XAIO_EXIT_TIMEOUT: how long exit waits for writes in flight, seconds. */
XAIO__HIDDEN long xaio__exit_timeout_s(void);

#endif
