// SPDX-License-Identifier: MIT
/*
 * Event sets: counting, harvesting, waiting, errors and callbacks.
 *
 * A set keeps the operations submitted to it in two lists: `live` (in
 * progress) and `done` (completed, in completion order, not harvested).
 * Completion (xaio__es_done, on whichever thread completed the operation)
 * moves an operation from one to the other and updates the counts, so the
 * counts are exact at any moment; harvesting (the waits) takes operations
 * off `done`, runs waiter-mode callbacks and drops the set's reference.
 * A failed or dep-canceled operation is also queued on the error FIFO,
 * which holds a reference of its own until the error is read.
 *
 * Waiting uses the engine's completion sequence (xaio__seq/xaio__wait), so
 * a waiting thread reaps the ring itself.  Every completion moves the
 * sequence: the engine's after done(), file/file.c's for the completions
 * it makes itself (dep-canceled and canceled operations).
 *
 * Locks: es->lock guards the lists, the counts and the callbacks.  It is
 * never held while a callback runs, while waiting, or with xaio__deps.
 * `active` counts completions between their unlock and their last access
 * to the set (eventfd, worker callback): close waits for it to drain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "evset/op.h"

#define COPY_CAP_DEFAULT (64ull << 20)

/* Nonzero while this thread runs a worker-mode complete callback. */
static __thread int in_worker_cb;

/* Every set, for fork (under xaio__deps). */
static struct xaio_evset *sets;

bool xaio__es_in_worker_cb(void)
{
	return in_worker_cb != 0;
}

uint64_t xaio__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct timespec xaio__deadline_ns(uint64_t timeout_ns, bool *forever)
{
	struct timespec rel = {0, 0};

	*forever = timeout_ns == XAIO_WAIT_FOREVER;
	if (*forever)
		return rel;
	/* Beyond a century is forever too (and cannot overflow below). */
	if (timeout_ns / 1000000000ull > 3153600000ull) {
		*forever = true;
		return rel;
	}
	rel.tv_sec = (time_t)(timeout_ns / 1000000000ull);
	rel.tv_nsec = (long)(timeout_ns % 1000000000ull);
	return xaio__deadline(&rel);
}

int xaio__wait_until(bool (*pred)(void *), void *arg,
		     const struct timespec *deadline)
{
	xaio__engine_start();
	for (;;) {
		uint32_t snap = xaio__seq();

		if (pred(arg))
			return 0;
		if (xaio__wait(snap, deadline, false) == -ETIMEDOUT)
			return pred(arg) ? 0 : -ETIMEDOUT;
	}
}

void xaio__op_info(const struct xaio__task *op, struct xaio_op_info *info)
{
	bool done = op->finished;

	memset(info, 0, sizeof(*info));
	info->op_id = op->id;
	info->user_tag = op->user_tag;
	info->api = op->api;
	info->loc = op->loc;
	info->status = done ? op->status : EINPROGRESS;
	info->flags = op->iflags;
	info->result = done ? op->result : 0;
	info->cause = op->cause;
	if (op->op == XAIO__OP_READ || op->op == XAIO__OP_WRITE ||
	    op->op == XAIO__OP_READV || op->op == XAIO__OP_WRITEV) {
		info->offset = op->off;
		info->length = op->len;
	}
	info->t_submit_ns = op->t_submit;
	info->t_start_ns = op->t_start;
	info->t_end_ns = op->t_end;
}

/* --- creation and closing --- */

int xaio_evset_create(struct xaio_evset **out,
		      const struct xaio_evset_attr *attr)
{
	struct xaio_evset_attr a = {.size = sizeof(a)};
	struct xaio_evset *es;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (attr) {
		size_t n = attr->size < sizeof(a) ? attr->size : sizeof(a);

		if (attr->size < offsetof(struct xaio_evset_attr, flags))
			return -EINVAL;
		memcpy(&a, attr, n);
		for (size_t i = 0; i < XAIO__ARRAY_SIZE(a.reserved); i++)
			if (n > offsetof(struct xaio_evset_attr, reserved) &&
			    a.reserved[i])
				return -EINVAL;
		if (a.reserved32 || (a.flags & ~XAIO_EVSET_BACKGROUND) ||
		    a.error_policy > XAIO_ERR_REFUSE ||
		    a.callback_mode > XAIO_CB_WORKER ||
		    a.copy_full > XAIO_COPY_EAGAIN)
			return -EINVAL;
	}
	if (!a.copy_cap)
		a.copy_cap = COPY_CAP_DEFAULT;
	a.size = sizeof(a);
	es = calloc(1, sizeof(*es));
	if (!es)
		return -ENOMEM;
	pthread_mutex_init(&es->lock, NULL);
	es->attr = a;
	es->efd = -1;
	es->background = (a.flags & XAIO_EVSET_BACKGROUND) ||
			 a.callback_mode == XAIO_CB_WORKER;
	xaio__native_init();
	xaio__lock(&xaio__deps);
	es->g_next = sets;
	if (sets)
		sets->g_prev = es;
	sets = es;
	xaio__unlock(&xaio__deps);
	*out = es;
	return 0;
}

static void put_list(struct xaio__task *op, bool errors)
{
	while (op) {
		struct xaio__task *next = errors ? op->e_next : op->s_next;

		xaio__op_put(op);
		op = next;
	}
}

int xaio_evset_close(struct xaio_evset *es, unsigned int flags)
{
	struct xaio__task *done, *errs;
	int r;

	if (!es)
		return 0;
	if (flags &
	    ~(XAIO_CLOSE_WAIT | XAIO_CLOSE_CANCEL | XAIO_CLOSE_DISCARD_ERRORS))
		return -EINVAL;
	if (in_worker_cb)
		return -EDEADLK;
	if (flags & XAIO_CLOSE_CANCEL)
		xaio_evset_cancel(es, 0, NULL);
	if (flags & (XAIO_CLOSE_WAIT | XAIO_CLOSE_CANCEL)) {
		r = xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL);
		if (r < 0)
			return r;
	}
	xaio__lock(&es->lock);
	if (es->c.in_progress ||
	    (es->c.errors && !(flags & XAIO_CLOSE_DISCARD_ERRORS))) {
		xaio__unlock(&es->lock);
		return -EBUSY;
	}
	done = es->done_head;
	errs = es->err_head;
	es->done_head = es->done_tail = es->err_head = es->err_tail = NULL;
	xaio__unlock(&es->lock);
	/* The last completion may still be writing the eventfd. */
	while (atomic_load(&es->active))
		sched_yield();
	put_list(done, false);
	put_list(errs, true);
	xaio__lock(&xaio__deps);
	if (es->g_prev)
		es->g_prev->g_next = es->g_next;
	else
		sets = es->g_next;
	if (es->g_next)
		es->g_next->g_prev = es->g_prev;
	xaio__unlock(&xaio__deps);
	if (es->efd >= 0)
		close(es->efd);
	free(es->paths);
	pthread_mutex_destroy(&es->lock);
	free(es);
	return 0;
}

/* --- submission side --- */

static bool copy_fits(void *arg)
{
	struct xaio__task *op = arg;
	struct xaio_evset *es = op->es;
	bool fits;

	xaio__lock(&es->lock);
	fits = es->c.bytes_copied + op->len <= es->attr.copy_cap;
	if (fits) {
		es->c.bytes_copied += op->len;
		op->copied = op->len;
	}
	xaio__unlock(&es->lock);
	return fits;
}

int xaio__es_admit(struct xaio_evset *es, struct xaio__task *op)
{
	bool refusing;

	xaio__lock(&es->lock);
	refusing = es->refusing;
	xaio__unlock(&es->lock);
	if (refusing)
		return -ECANCELED;
	if (op->bufpol != XAIO_BUF_COPY || copy_fits(op))
		return 0;
	if (es->attr.copy_full == XAIO_COPY_EAGAIN)
		return -EAGAIN;
	if (op->len > es->attr.copy_cap)
		return -E2BIG;
	if (in_worker_cb)
		return -EDEADLK;
	return xaio__wait_until(copy_fits, op, NULL);
}

void xaio__es_unadmit(struct xaio__task *op)
{
	struct xaio_evset *es = op->es;

	if (!es || !op->copied)
		return;
	xaio__lock(&es->lock);
	es->c.bytes_copied -= op->copied;
	xaio__unlock(&es->lock);
	op->copied = 0;
}

int xaio__es_insert_cb(struct xaio_evset *es, struct xaio__task *op)
{
	struct xaio_op_info info;
	xaio_insert_fn cb;
	void *ctx;

	xaio__lock(&es->lock);
	cb = es->insert;
	ctx = es->ctx;
	xaio__unlock(&es->lock);
	if (!cb)
		return 0;
	xaio__op_info(op, &info);
	return cb(es, &info, ctx) ? -ECANCELED : 0;
}

void xaio__es_add(struct xaio__task *op)
{
	struct xaio_evset *es = op->es;

	xaio__lock(&es->lock);
	op->s_prev = NULL;
	op->s_next = es->live;
	if (es->live)
		es->live->s_prev = op;
	es->live = op;
	es->c.in_progress++;
	es->c.inserted++;
	xaio__unlock(&es->lock);
}

/* Takes op off es's live list and out of in_progress; es->lock held. */
static void live_del(struct xaio_evset *es, struct xaio__task *op)
{
	if (op->s_prev)
		op->s_prev->s_next = op->s_next;
	else
		es->live = op->s_next;
	if (op->s_next)
		op->s_next->s_prev = op->s_prev;
	op->s_prev = op->s_next = NULL;
	es->c.in_progress--;
}

void xaio__es_unadd(struct xaio__task *op)
{
	struct xaio_evset *es = op->es;

	xaio__lock(&es->lock);
	live_del(es, op);
	es->c.inserted--;
	xaio__unlock(&es->lock);
}

/* --- completion --- */

void xaio__es_done(struct xaio__task *op)
{
	struct xaio_evset *es = op->es;
	xaio_complete_fn cb = NULL;
	struct xaio_op_info info;
	bool error;
	void *ctx;
	int efd;

	if (!es)
		return;
	error = op->status && !op->canceled;
	if (error)
		atomic_fetch_add(&op->refs, 1); /* the error record's */
	xaio__lock(&es->lock);
	live_del(es, op);
	op->s_prev = es->done_tail;
	if (es->done_tail)
		es->done_tail->s_next = op;
	else
		es->done_head = op;
	es->done_tail = op;
	es->c.bytes_copied -= op->copied;
	op->copied = 0;
	if (!op->status)
		es->c.succeeded++;
	else if (op->canceled)
		es->c.canceled++;
	else if (op->iflags & XAIO_INFO_DEP_CANCELED)
		es->c.dep_canceled++;
	else
		es->c.failed++;
	if (error) {
		op->e_next = NULL;
		if (es->err_tail)
			es->err_tail->e_next = op;
		else
			es->err_head = op;
		es->err_tail = op;
		es->c.errors++;
		if (es->attr.error_policy == XAIO_ERR_REFUSE &&
		    !(op->iflags & XAIO_INFO_DEP_CANCELED))
			es->refusing = true;
	}
	if (es->attr.callback_mode == XAIO_CB_WORKER)
		cb = es->complete;
	ctx = es->ctx;
	efd = es->efd;
	atomic_fetch_add(&es->active, 1);
	xaio__unlock(&es->lock);
	if (efd >= 0)
		eventfd_write(efd, 1);
	if (cb) {
		xaio__op_info(op, &info);
		in_worker_cb++;
		cb(es, &info, ctx);
		in_worker_cb--;
	}
	atomic_fetch_sub(&es->active, 1);
}

/* --- harvesting and waiting --- */

/* Runs the waiter-mode callback of each harvested op, and lets them go. */
static void retire(struct xaio_evset *es, struct xaio__task *list,
		   struct xaio_op_info *last, bool *failed)
{
	xaio_complete_fn cb;
	void *ctx;

	xaio__lock(&es->lock);
	cb = es->attr.callback_mode == XAIO_CB_WAITER ? es->complete : NULL;
	ctx = es->ctx;
	xaio__unlock(&es->lock);
	while (list) {
		struct xaio__task *next = list->s_next;
		struct xaio_op_info info;

		if (cb || last)
			xaio__op_info(list, &info);
		if (cb)
			cb(es, &info, ctx);
		if (last)
			*last = info;
		if (failed && list->status && !list->canceled)
			*failed = true;
		xaio__op_put(list);
		list = next;
	}
}

int xaio_evset_wait(struct xaio_evset *es, uint64_t timeout_ns,
		    unsigned int flags, struct xaio_evset_counts *counts)
{
	struct timespec deadline;
	bool forever, failed = false, last = false;
	uint64_t inprog;
	int r;

	if (counts)
		memset(counts, 0, sizeof(*counts));
	if (!es)
		return 0;
	if (flags & ~XAIO_WAIT_RETURN_ON_ERROR)
		return -EINVAL;
	if (in_worker_cb)
		return -EDEADLK;
	deadline = xaio__deadline_ns(timeout_ns, &forever);
	for (;;) {
		uint32_t snap = xaio__seq();
		struct xaio__task *list;

		if (timeout_ns == 0 || last)
			xaio__poll(); /* a test still reaps what is finished */
		/* One look: what is done is harvested, the rest counted. */
		xaio__lock(&es->lock);
		list = es->done_head;
		es->done_head = es->done_tail = NULL;
		inprog = es->c.in_progress;
		if (counts)
			*counts = es->c;
		xaio__unlock(&es->lock);
		retire(es, list, NULL, &failed);
		if (!inprog)
			return 0;
		if (failed && (flags & XAIO_WAIT_RETURN_ON_ERROR))
			return 1;
		if (last || timeout_ns == 0)
			return -ETIMEDOUT;
		r = xaio__wait(snap, forever ? NULL : &deadline, false);
		if (r == -ETIMEDOUT)
			last = true; /* one more look, then the answer */
	}
}

/* Takes op (or the first done one, for NULL) off the done list. */
static struct xaio__task *take_one(struct xaio_evset *es, uint64_t id,
				   bool *present)
{
	struct xaio__task *op;

	*present = false;
	for (op = es->done_head; op; op = op->s_next)
		if (!id || op->id == id)
			break;
	if (op) {
		if (op->s_prev)
			op->s_prev->s_next = op->s_next;
		else
			es->done_head = op->s_next;
		if (op->s_next)
			op->s_next->s_prev = op->s_prev;
		else
			es->done_tail = op->s_prev;
		op->s_next = NULL;
		*present = true;
		return op;
	}
	if (!id) {
		*present = es->live != NULL;
		return NULL;
	}
	for (op = es->live; op; op = op->s_next)
		if (op->id == id)
			*present = true;
	return NULL;
}

static int wait_one(struct xaio_evset *es, uint64_t id, uint64_t timeout_ns,
		    struct xaio_op_info *info)
{
	struct timespec deadline;
	struct xaio_op_info tmp;
	bool forever, present, last = false;

	if (info)
		memset(info, 0, sizeof(*info));
	if (!es)
		return -ENOENT;
	if (in_worker_cb)
		return -EDEADLK;
	deadline = xaio__deadline_ns(timeout_ns, &forever);
	for (;;) {
		uint32_t snap = xaio__seq();
		struct xaio__task *op;

		if (timeout_ns == 0 || last)
			xaio__poll();
		xaio__lock(&es->lock);
		op = take_one(es, id, &present);
		xaio__unlock(&es->lock);
		if (op) {
			retire(es, op, info ? info : &tmp, NULL);
			return 0;
		}
		if (!present)
			return -ENOENT;
		if (last || timeout_ns == 0)
			return -ETIMEDOUT;
		if (xaio__wait(snap, forever ? NULL : &deadline, false) ==
		    -ETIMEDOUT)
			last = true;
	}
}

int xaio_evset_wait_any(struct xaio_evset *es, uint64_t timeout_ns,
			struct xaio_op_info *info)
{
	return wait_one(es, 0, timeout_ns, info);
}

int xaio_evset_op_wait(struct xaio_evset *es, uint64_t op_id,
		       uint64_t timeout_ns, struct xaio_op_info *info)
{
	if (!op_id) {
		if (info)
			memset(info, 0, sizeof(*info));
		return es ? -EINVAL : -ENOENT;
	}
	return wait_one(es, op_id, timeout_ns, info);
}

int xaio_evset_counts(struct xaio_evset *es, struct xaio_evset_counts *counts)
{
	if (!counts)
		return -EINVAL;
	memset(counts, 0, sizeof(*counts));
	if (!es)
		return 0;
	xaio__poll(); /* a poll: what the kernel finished is reaped */
	xaio__lock(&es->lock);
	*counts = es->c;
	xaio__unlock(&es->lock);
	return 0;
}

int xaio_evset_fd(struct xaio_evset *es)
{
	int fd;

	if (!es)
		return -EINVAL;
	xaio__lock(&es->lock);
	if (es->efd < 0)
		es->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fd = es->efd < 0 ? -errno : es->efd;
	/* Completions must reach it without anyone waiting. */
	if (fd >= 0)
		atomic_store(&es->background, true);
	xaio__unlock(&es->lock);
	return fd;
}

int xaio_evset_cancel(struct xaio_evset *es, uint64_t op_id,
		      size_t *not_canceled)
{
	struct xaio__task **ops = NULL, *op;
	size_t n = 0, cap = 0, nnot = 0;

	if (not_canceled)
		*not_canceled = 0;
	if (!es)
		return 0;
	/* What has finished in the kernel is not "not started": reap it. */
	xaio__poll();
	xaio__lock(&es->lock);
	for (op = es->live; op; op = op->s_next) {
		if (op_id && op->id != op_id)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct xaio__task **p = realloc(ops, ncap * sizeof(*p));

			if (!p) {
				xaio__unlock(&es->lock);
				for (size_t i = 0; i < n; i++)
					xaio__op_put(ops[i]);
				free(ops);
				return -ENOMEM;
			}
			ops = p;
			cap = ncap;
		}
		atomic_fetch_add(&op->refs, 1);
		ops[n++] = op;
	}
	xaio__unlock(&es->lock);
	for (size_t i = 0; i < n; i++) {
		if (!xaio__op_cancel(ops[i]) &&
		    atomic_load(&ops[i]->state) != OPS_DONE)
			nnot++;
		xaio__op_put(ops[i]);
	}
	free(ops);
	if (not_canceled)
		*not_canceled = nnot;
	return 0;
}

/* --- errors --- */

static void error_record(struct xaio__task *op, struct xaio_error *e)
{
	const char *file = op->loc.file ? op->loc.file : "";
	const char *func = op->loc.func ? op->loc.func : "";
	char *args = xaio__op_args(op);
	size_t la = args ? strlen(args) : 0, lf = strlen(file) + 1;
	char *block = malloc(la + 1 + lf + strlen(func) + 1);

	memset(e, 0, sizeof(*e));
	xaio__op_info(op, &e->info);
	if (block) {
		memcpy(block, args ? args : "", la + 1);
		memcpy(block + la + 1, file, lf);
		strcpy(block + la + 1 + lf, func);
		e->args = block;
		e->info.loc.file = op->loc.file ? block + la + 1 : NULL;
		e->info.loc.func = op->loc.func ? block + la + 1 + lf : NULL;
	} else {
		e->info.loc.file = e->info.loc.func = NULL;
	}
	free(args);
	if (op->iflags & XAIO_INFO_DEP_CANCELED)
		snprintf(e->msg, sizeof(e->msg),
			 "canceled: operation %llu (%s), on which it depends, "
			 "failed",
			 (unsigned long long)op->cause,
			 op->cause_api ? op->cause_api : "?");
	else
		snprintf(e->msg, sizeof(e->msg), "%s", strerror(op->status));
}

int xaio_evset_errors(struct xaio_evset *es, struct xaio_error *out, size_t max,
		      size_t *n)
{
	struct xaio__task *list = NULL, **tail = &list;
	size_t k = 0;

	if (!n || (max && !out))
		return -EINVAL;
	*n = 0;
	if (!es)
		return 0;
	xaio__lock(&es->lock);
	while (k < max && es->err_head) {
		struct xaio__task *op = es->err_head;

		es->err_head = op->e_next;
		if (!es->err_head)
			es->err_tail = NULL;
		op->e_next = NULL;
		*tail = op;
		tail = &op->e_next;
		k++;
	}
	es->c.errors -= k;
	xaio__unlock(&es->lock);
	for (size_t i = 0; list; i++) {
		struct xaio__task *next = list->e_next;

		error_record(list, &out[i]);
		xaio__op_put(list);
		list = next;
	}
	*n = k;
	return 0;
}

void xaio_evset_free_errors(struct xaio_error *errs, size_t n)
{
	for (size_t i = 0; errs && i < n; i++) {
		free(errs[i].args);
		memset(&errs[i], 0, sizeof(errs[i]));
	}
}

int xaio_evset_clear_errors(struct xaio_evset *es)
{
	struct xaio__task *list;

	if (!es)
		return 0;
	xaio__lock(&es->lock);
	list = es->err_head;
	es->err_head = es->err_tail = NULL;
	es->c.errors = 0;
	es->refusing = false;
	xaio__unlock(&es->lock);
	put_list(list, true);
	return 0;
}

int xaio_evset_set_callbacks(struct xaio_evset *es, xaio_insert_fn insert,
			     xaio_complete_fn complete, void *ctx)
{
	if (!es)
		return 0;
	xaio__lock(&es->lock);
	es->insert = insert;
	es->complete = complete;
	es->ctx = ctx;
	xaio__unlock(&es->lock);
	return 0;
}

/* --- fork (xaio__deps is held by the caller throughout) --- */

void xaio__es_atfork_prepare(void)
{
	for (struct xaio_evset *es = sets; es; es = es->g_next)
		pthread_mutex_lock(&es->lock);
}

void xaio__es_atfork_parent(void)
{
	for (struct xaio_evset *es = sets; es; es = es->g_next)
		pthread_mutex_unlock(&es->lock);
}

/*
 * The child inherits no operation: the engine that ran those in progress
 * is gone, and those completed are the parent's to harvest.  Their records
 * are left as they are (another thread of the parent may have been using
 * them: a small leak in the child), and no longer counted.
 */
void xaio__es_atfork_child(void)
{
	for (struct xaio_evset *es = sets; es; es = es->g_next) {
		pthread_mutex_init(&es->lock, NULL);
		es->live = NULL;
		es->done_head = es->done_tail = NULL;
		es->c.in_progress = 0;
		es->c.bytes_copied = 0;
		if (es->paths)
			memset(es->paths, 0, XAIO__PATHS * sizeof(*es->paths));
		atomic_store(&es->active, 0);
	}
	in_worker_cb = 0;
}
