// SPDX-License-Identifier: MIT
/*
 * The fd table: per-descriptor bookkeeping for the only orderings POSIX
 * demands, and nothing more.
 *
 *  - Every request is linked, in submission order, into the list of its fd
 *    (the caller's descriptor number).  aio_fsync() is a K_SYNC request: it
 *    is held until every request before it in that list has finished,
 *    whatever its priority, and it never waits for later ones.
 *  - K_LANE requests (writes on O_APPEND descriptors and on pipes, sockets
 *    and other streams) run one at a time per fd in submission order: the
 *    lane head is running, the rest are held.
 *  - Everything else (reads, positioned writes) is K_FREE and runs at once,
 *    concurrently with anything else on the fd.
 *
 * Entries are found through a hash of the fd number.  An entry outlives its
 * last request so that steady-state I/O on one fd allocates nothing; empty
 * entries are freed when a bucket grows past BUCKET_KEEP of them.
 *
 * Locking: each bucket has a mutex guarding its entries and every request
 * field the table touches (fd_prev, fd_next, lane_next, seq, state while
 * HELD).  No other lock is taken while a bucket lock is held, and requests
 * it releases are handed back to the caller to issue after unlocking.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/internal.h"

#define NBUCKETS 256
#define BUCKET_KEEP 8

struct xaio__fdent {
	int fd;
	uint32_t nsync_held;
	uint64_t next_seq;
	struct xaio__req *head, *tail; /* all requests, by seq */
	struct xaio__req *lane_head, *lane_tail; /* head runs, rest held */
	struct xaio__fdent *next;
};

#define BUCKET_INIT                                                            \
	{                                                                      \
		.lock = PTHREAD_MUTEX_INITIALIZER, .ents = NULL                \
	}

static struct bucket {
	pthread_mutex_t lock;
	struct xaio__fdent *ents;
} buckets[NBUCKETS] = {[0 ... NBUCKETS - 1] = BUCKET_INIT};

static struct bucket *bucket_of(int fd)
{
	return &buckets[(unsigned int)fd * 2654435761u % NBUCKETS];
}

static bool empty(const struct xaio__fdent *e)
{
	return !e->head;
}

/* Finds (creating if needed) fd's entry; bucket locked. */
static struct xaio__fdent *lookup(struct bucket *b, int fd, bool create)
{
	struct xaio__fdent *e, **pp;
	int nempty = 0;

	for (e = b->ents; e; e = e->next)
		if (e->fd == fd)
			return e;
	if (!create)
		return NULL;
	/* Drop surplus empty entries before adding one. */
	for (pp = &b->ents; (e = *pp);) {
		if (empty(e) && ++nempty > BUCKET_KEEP) {
			*pp = e->next;
			free(e);
			continue;
		}
		pp = &e->next;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->fd = fd;
	e->next = b->ents;
	b->ents = e;
	return e;
}

static void push_ready(struct xaio__req **ready, struct xaio__req *req)
{
	atomic_store_explicit(&req->state, XAIO__RS_RUNNING,
			      memory_order_relaxed);
	req->q_next = *ready;
	*ready = req;
}

/* Is every request before req in the list an fsync? */
static bool only_syncs_before(const struct xaio__req *req)
{
	for (const struct xaio__req *p = req->fd_prev; p; p = p->fd_prev)
		if (p->kind != XAIO__K_SYNC)
			return false;
	return true;
}

/* Releases held fsyncs that no longer have a non-fsync before them. */
static void release_syncs(struct xaio__fdent *e, struct xaio__req **ready)
{
	for (struct xaio__req *p = e->head; p && e->nsync_held;
	     p = p->fd_next) {
		if (p->kind != XAIO__K_SYNC)
			return;
		if (atomic_load_explicit(&p->state, memory_order_relaxed) ==
		    XAIO__RS_HELD) {
			e->nsync_held--;
			push_ready(ready, p);
		}
	}
}

static void unlink_req(struct xaio__fdent *e, struct xaio__req *req)
{
	if (req->fd_prev)
		req->fd_prev->fd_next = req->fd_next;
	else
		e->head = req->fd_next;
	if (req->fd_next)
		req->fd_next->fd_prev = req->fd_prev;
	else
		e->tail = req->fd_prev;
	req->fd_prev = req->fd_next = NULL;
	req->fde = NULL;
}

int xaio__fd_enter(struct xaio__req *req)
{
	struct bucket *b = bucket_of(req->fd);
	struct xaio__fdent *e;
	int run = 1;

	xaio__lock(&b->lock);
	e = lookup(b, req->fd, true);
	if (!e) {
		xaio__unlock(&b->lock);
		return -ENOMEM;
	}
	req->fde = e;
	req->seq = e->next_seq++;
	req->fd_next = NULL;
	req->fd_prev = e->tail;
	req->lane_next = NULL;
	if (e->tail)
		e->tail->fd_next = req;
	else
		e->head = req;
	e->tail = req;

	if (req->kind == XAIO__K_LANE && e->lane_tail)
		run = 0;
	else if (req->kind == XAIO__K_SYNC && !only_syncs_before(req))
		run = 0;
	/*
	 * A held request runs later, perhaps after the caller closed fd and
	 * reused its number: capture the open file now.
	 */
	if (!run && req->xfd == req->fd) {
		req->xfd = fcntl(req->fd, F_DUPFD_CLOEXEC, 0);
		if (req->xfd < 0) {
			int err = errno;

			req->xfd = req->fd;
			unlink_req(e, req);
			xaio__unlock(&b->lock);
			return err == EBADF ? -EBADF : -EAGAIN;
		}
	}
	if (req->kind == XAIO__K_LANE) {
		if (e->lane_tail)
			e->lane_tail->lane_next = req;
		else
			e->lane_head = req;
		e->lane_tail = req;
	} else if (!run) {
		e->nsync_held++;
	}
	atomic_store_explicit(&req->state,
			      run ? XAIO__RS_RUNNING : XAIO__RS_HELD,
			      memory_order_relaxed);
	xaio__unlock(&b->lock);
	return run;
}

/* Takes req out of its lane; the next one starts if req was running. */
static void leave_lane(struct xaio__fdent *e, struct xaio__req *req,
		       struct xaio__req **ready)
{
	struct xaio__req *p;

	if (e->lane_head == req) {
		e->lane_head = req->lane_next;
		if (e->lane_head)
			push_ready(ready, e->lane_head);
	} else {
		for (p = e->lane_head; p && p->lane_next != req;)
			p = p->lane_next;
		if (p)
			p->lane_next = req->lane_next;
		if (e->lane_tail == req)
			e->lane_tail = p;
	}
	if (!e->lane_head)
		e->lane_tail = NULL;
	req->lane_next = NULL;
}

static void leave(struct xaio__fdent *e, struct xaio__req *req,
		  struct xaio__req **ready)
{
	if (req->kind == XAIO__K_LANE)
		leave_lane(e, req, ready);
	else if (req->kind == XAIO__K_SYNC &&
		 atomic_load_explicit(&req->state, memory_order_relaxed) ==
			 XAIO__RS_HELD)
		e->nsync_held--;
	unlink_req(e, req);
	release_syncs(e, ready);
}

void xaio__fd_leave(struct xaio__req *req, struct xaio__req **ready)
{
	struct bucket *b;

	/*
	 * Only this request's own enter and leave write req->fde (cancels
	 * take held requests, never running ones): no lock to see NULL.
	 */
	if (!req->fde)
		return;
	b = bucket_of(req->fd);
	xaio__lock(&b->lock);
	if (req->fde)
		leave(req->fde, req, ready);
	xaio__unlock(&b->lock);
}

bool xaio__fd_unhold(struct xaio__req *req, uint32_t gen,
		     struct xaio__req **ready)
{
	struct bucket *b = bucket_of(req->fd);
	bool held;

	xaio__lock(&b->lock);
	/* req->fd was read unlocked: an aiocb reused meanwhile may move it. */
	held = b == bucket_of(req->fd) && xaio__req_gen(req) == gen &&
	       req->fde &&
	       atomic_load_explicit(&req->state, memory_order_relaxed) ==
		       XAIO__RS_HELD;
	if (held)
		leave(req->fde, req, ready);
	xaio__unlock(&b->lock);
	return held;
}

int xaio__fd_collect(int fd, struct xaio__req **held,
		     struct xaio__ref **running, int *nrunning,
		     struct xaio__req **ready)
{
	struct bucket *b = bucket_of(fd);
	struct xaio__fdent *e;
	struct xaio__req *p, *next;
	int n = 0, cap = 0;

	*held = NULL;
	*running = NULL;
	*nrunning = 0;
	xaio__lock(&b->lock);
	e = lookup(b, fd, false);
	for (p = e ? e->head : NULL; p; p = p->fd_next)
		cap++;
	if (cap) {
		*running = malloc(sizeof(**running) * (size_t)cap);
		if (!*running) {
			xaio__unlock(&b->lock);
			return -ENOMEM;
		}
	}
	for (p = e ? e->head : NULL; p; p = next) {
		next = p->fd_next;
		if (atomic_load_explicit(&p->state, memory_order_relaxed) !=
		    XAIO__RS_HELD)
			continue;
		/* A held request is never a lane head: nothing starts. */
		if (p->kind == XAIO__K_LANE)
			leave_lane(e, p, ready);
		else
			e->nsync_held--;
		unlink_req(e, p);
		p->q_next = *held;
		*held = p;
	}
	/* What is left is running or queued on a backend. */
	for (p = e ? e->head : NULL; p; p = p->fd_next) {
		(*running)[n].req = p;
		(*running)[n].gen = xaio__req_gen(p);
		n++;
	}
	xaio__unlock(&b->lock);
	*nrunning = n;
	return 0;
}

void xaio__fd_atfork_child(void)
{
	for (int i = 0; i < NBUCKETS; i++) {
		struct xaio__fdent *e, *next;

		pthread_mutex_init(&buckets[i].lock, NULL);
		for (e = buckets[i].ents; e; e = next) {
			next = e->next;
			free(e);
		}
		buckets[i].ents = NULL;
	}
}
