// SPDX-License-Identifier: MIT
/*
 * File handles that are futures, the ordering of operations on them, and
 * the native data and metadata operations (xaio_open ... xaio_stat); the
 * helpers every call builds on (file/calls.h).  The calls on names are in
 * names.c, those on a directory's entries in dir.c, metadata changes in
 * meta.c.
 *
 * Submission builds an operation (struct xaio__task, evset/op.h), admits it
 * to its set, runs the insert callback, then, under xaio__deps, finds what
 * it must run after (edges from operations still in progress: the
 * handle's open, a barrier, overlapping writes, opt.after) and links it.
 * An operation with no edge left is launched: handed to the engine as a
 * request of the operation table (core/ops.c) flagged XAIO__RF_NATIVE.
 * Its completion (req_done, on whichever thread reaped it) records the
 * result, lets its successors go (cancelling those with a hard edge if it
 * failed) and tells its set.  Successors made ready are launched from a
 * per-thread run queue by the outermost completion, so a long chain of
 * cancellations does not recurse.
 *
 * Locks: xaio__deps guards edges, the handles' lists of live operations,
 * their open state and the id table; it is held for list work only, never
 * over I/O, a callback or a set's lock.  A synchronous call waits for its
 * own operation only (which waits for its handle's earlier operations).
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file/calls.h"
#include "file/xattr.h"

pthread_mutex_t xaio__deps = PTHREAD_MUTEX_INITIALIZER;

#define IDTAB 4096 /* power of two */

static _Atomic uint64_t next_id = 1;
static struct xaio__task *idtab[IDTAB]; /* by id (xaio__deps) */
static struct xaio_file *files; /* every handle (xaio__deps) */
/* Operations exit waits for: what changes files (writes, names), barriers,
 * opens and closes. */
static _Atomic uint64_t exit_live;

static __thread struct xaio__task *runq;
static __thread int draining;

static void atfork_prepare(void)
{
	pthread_mutex_lock(&xaio__deps);
	xaio__es_atfork_prepare();
}

static void atfork_parent(void)
{
	xaio__es_atfork_parent();
	pthread_mutex_unlock(&xaio__deps);
}

/* Nothing is in progress in the child: the engine that ran it is gone. */
static void atfork_child(void)
{
	pthread_mutex_init(&xaio__deps, NULL);
	xaio__es_atfork_child();
	for (struct xaio_file *f = files; f; f = f->g_next) {
		f->live_head = f->live_tail = NULL;
		if (f->open_op) {
			f->open_op = NULL;
			f->err = ECANCELED;
			atomic_store(&f->ostate, OPS_DONE);
		}
	}
	/* The parent's ids name nothing here (opt.after waits for none). */
	memset(idtab, 0, sizeof(idtab));
	atomic_store(&exit_live, 0);
	runq = NULL;
	draining = 0;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void xaio__native_init(void)
{
	pthread_once(&once, init_once);
	xaio__engine_start();
}

/* --- records --- */

static bool waits_at_exit(const struct xaio__task *op)
{
	return op->barrier || op->op == XAIO__OP_OPENAT ||
	       (xaio__ops[op->op].props & XAIO__OPF_DURABLE);
}

void xaio__op_put(struct xaio__task *op)
{
	if (atomic_fetch_sub(&op->refs, 1) != 1)
		return;
	xaio__lock(&xaio__deps);
	for (struct xaio__task **p = &idtab[op->id & (IDTAB - 1)]; *p;
	     p = &(*p)->h_next) {
		if (*p == op) {
			*p = op->h_next;
			break;
		}
	}
	xaio__unlock(&xaio__deps);
	free(op->path);
	free(op->path2);
	free(op->pk[0].key);
	free(op->pk[1].key);
	free(op->iov);
	free(op->locbuf);
	free(op->in_block);
	free(op->copy);
	free(op->listing);
	free(op);
}

/* Findable by its id (opt.after) from now on; xaio__deps held. */
static void id_add(struct xaio__task *op)
{
	op->h_next = idtab[op->id & (IDTAB - 1)];
	idtab[op->id & (IDTAB - 1)] = op;
}

/* Counted in its set, and waited for at exit if it changes files. */
static void set_add(struct xaio__task *op)
{
	xaio__es_add(op);
	if (waits_at_exit(op))
		atomic_fetch_add(&exit_live, 1);
}

static struct xaio__task *find_id(uint64_t id)
{
	struct xaio__task *op = idtab[id & (IDTAB - 1)];

	while (op && op->id != id)
		op = op->h_next;
	return op;
}

static int check_opt(const struct xaio_opt *opt, bool open)
{
	uint32_t pol;

	if (!opt)
		return 0;
	pol = opt->flags & XAIO_BUF_MASK;
	if (opt->flags & ~(XAIO_BUF_MASK | XAIO_ORDER_STRICT) ||
	    pol == XAIO_BUF_MASK || opt->reserved[0] || opt->reserved[1] ||
	    (opt->n_after && !opt->after) ||
	    (pol == XAIO_BUF_GIFT && !opt->buf_free) ||
	    (!open && (opt->flags & XAIO_ORDER_STRICT)))
		return -EINVAL;
	return 0;
}

static struct xaio__task *op_new(struct xaio_srcloc loc, const char *api,
				 uint8_t kind, const struct xaio_opt *opt,
				 int *err)
{
	struct xaio__task *op;

	*err = check_opt(opt, kind == XAIO__OP_OPENAT);
	if (*err)
		return NULL;
	xaio__native_init();
	op = calloc(1, sizeof(*op));
	if (!op) {
		*err = -ENOMEM;
		return NULL;
	}
	op->api = api;
	op->op = kind;
	op->fd = -1;
	op->loc = loc;
	if (loc.flags & XAIO_LOC_COPY) {
		size_t lf = loc.file ? strlen(loc.file) + 1 : 0;
		size_t ln = loc.func ? strlen(loc.func) + 1 : 0;

		op->locbuf = malloc(lf + ln + 1);
		if (!op->locbuf) {
			free(op);
			*err = -ENOMEM;
			return NULL;
		}
		if (loc.file)
			op->loc.file = memcpy(op->locbuf, loc.file, lf);
		if (loc.func)
			op->loc.func = memcpy(op->locbuf + lf, loc.func, ln);
	}
	if (opt) {
		op->user_tag = opt->user_tag;
		op->bufpol = opt->flags & XAIO_BUF_MASK;
		op->buf_free = opt->buf_free;
		op->buf_free_ctx = opt->buf_free_ctx;
	}
	op->writes = (xaio__ops[kind].props & XAIO__OPF_WRITES) != 0;
	op->reads = (xaio__ops[kind].props & XAIO__OPF_READS) != 0;
	op->barrier = (xaio__ops[kind].props & XAIO__OPF_BARRIER) ||
		      kind == XAIO__OP_CLOSE;
	return op;
}

/*
 * Drops a reference unless it is the last one (whose put would free op
 * and take xaio__deps): false then, and the caller owns op alone.
 */
static bool put_unless_last(struct xaio__task *op)
{
	uint32_t r = atomic_load(&op->refs);

	while (r > 1)
		if (atomic_compare_exchange_weak(&op->refs, &r, r - 1))
			return true;
	return false;
}

/* Frees an op that was never submitted. */
int xaio__op_drop(struct xaio__task *op, int err)
{
	atomic_store(&op->refs, 1);
	xaio__op_put(op);
	return err;
}

/* --- ordering (xaio__deps held) --- */

/* [off, off+len) of a data op; metadata reads of a handle: all of it. */
static bool overlaps(const struct xaio__task *a, const struct xaio__task *b)
{
	uint64_t a0 = (uint64_t)a->off, b0 = (uint64_t)b->off;
	uint64_t a1 = a->reads || a->writes ? a0 + a->len : UINT64_MAX;
	uint64_t b1 = b->reads || b->writes ? b0 + b->len : UINT64_MAX;

	if (!a->reads && !a->writes)
		a0 = 0;
	if (!b->reads && !b->writes)
		b0 = 0;
	return a0 < b1 && b0 < a1;
}

/* Does op (on handle f) run after x, an earlier live op on f? */
static bool after_op(const struct xaio__task *op, const struct xaio__task *x,
		     const struct xaio_file *f)
{
	if (f->strict || op->barrier || x->barrier)
		return true;
	/* fstat and writes (of data or of extended attributes: ctime), in
	 * program order; an openat or stat relative to f (a directory) waits
	 * for nothing but barriers. */
	if (op->op == XAIO__OP_STATX && op->file == f)
		return x->writes || xaio__xattr_role(x->op) == 2;
	if (x->op == XAIO__OP_STATX && x->file == f)
		return op->writes || xaio__xattr_role(op->op) == 2;
	/* f's extended attributes: in program order when one changes them. */
	if (op->file == f && x->file == f && xaio__xattr_role(op->op) &&
	    xaio__xattr_role(x->op))
		return xaio__xattr_role(op->op) + xaio__xattr_role(x->op) > 2;
	if (!(op->reads || op->writes) || !(x->reads || x->writes))
		return false;
	return (op->writes || x->writes) && overlaps(op, x);
}

static void edge(struct xaio__task *from, struct xaio__task *to, bool hard,
		 size_t *n)
{
	if (to->in_block) {
		struct xaio__edge *e = &to->in_block[*n];

		e->to = to;
		e->hard = hard;
		e->next = from->succ;
		from->succ = e;
		to->npending++;
		to->nsoft += !hard;
		atomic_fetch_add(&to->refs, 1);
	}
	(*n)++;
}

/*
 * A close is never cancelled: it must release the descriptor whatever
 * happened before it (and succeeds when there is none).
 */
static void poison(struct xaio__task *op, const struct xaio__task *failed)
{
	/* Nor is an op a canceller has claimed (xaio__deps orders the two). */
	if (op->poisoned || op->op == XAIO__OP_CLOSE ||
	    atomic_load(&op->state) != OPS_WAITING)
		return;
	op->poisoned = 1;
	op->cause = failed->cause ? failed->cause : failed->id;
	op->cause_api = failed->cause ? failed->cause_api : failed->api;
}

/* A handle's open: a hard edge while it runs; poison if it failed. */
static void on_open(struct xaio__task *op, struct xaio_file *h, size_t *n)
{
	if (h->open_op) {
		/* Closing a handle whose open fails succeeds: not hard. */
		edge(h->open_op, op, op->op != XAIO__OP_CLOSE, n);
	} else if (h->err && op->op != XAIO__OP_CLOSE && !op->poisoned) {
		op->poisoned = 1;
		op->cause = h->open_id;
		op->cause_api = h->open_api;
	}
}

/* The edges of op from earlier operations on handle h. */
static void order_on(struct xaio__task *op, struct xaio_file *h, size_t *n)
{
	on_open(op, h, n);
	if (h->strict && h->live_tail) {
		/* Each after the one before: total order. */
		edge(h->live_tail->op, op, false, n);
		return;
	}
	for (struct xaio__lnode *x = h->live_head; x; x = x->next)
		if (after_op(op, x->op, h))
			edge(x->op, op, false, n);
}

/*
 * Ordering by path, within one set: an operation on a path (an open, a
 * stat by path, a mkdir, an unlink ...) runs after the set's earlier live
 * operations on the same path or on any of its parent directories,
 * relative to the same base (the directory handle, or none: the working
 * directory, or an absolute path).  An rmdir, a rename and the directory
 * operations of dir.c (a listing, an entry by index) also run after those
 * below their paths (what is created in a directory before it is moved,
 * removed or listed).  A rename or link has two paths, ordered both ways.
 * Paths are compared as written once repeated slashes, "." components
 * and a trailing slash are dropped ("..", links and other spellings of a
 * path are not resolved).  xaio__deps guards the tables.
 */
static char *path_key(const char *path, uint32_t *len)
{
	char *k = malloc(strlen(path) + 1), *o = k;
	const char *p = path;

	if (!k)
		return NULL;
	if (*p == '/')
		*o++ = *p++;
	while (*p) {
		const char *c = p;
		size_t n;

		while (*p && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (n && !(n == 1 && *c == '.')) {
			if (o > k && o[-1] != '/')
				*o++ = '/';
			memcpy(o, c, n);
			o += n;
		}
		while (*p == '/')
			p++;
	}
	*o = 0;
	*len = (uint32_t)(o - k);
	return k;
}

/* FNV-1a over (base, key) a byte at a time: each prefix's hash on the way. */
static uint64_t hash_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * 1099511628211ull;
}

static uint32_t hash_end(uint64_t h)
{
	return (uint32_t)(h ^ (h >> 32));
}

/* Edges from the live entries of op's set on pe->key[0, len), hashed h. */
static void path_edges(struct xaio__task *op, const struct xaio__pent *pe,
		       uint32_t len, uint32_t h, size_t *n)
{
	for (struct xaio__pent *y = op->es->paths[h & (XAIO__PATHS - 1)]; y;
	     y = y->next)
		if (y->base == pe->base && y->len == len && y->hash == h &&
		    !memcmp(y->key, pe->key, len))
			edge(y->op, op, false, n);
}

/* Is y's path strictly below pe's (the same base)? */
static bool below(const struct xaio__pent *y, const struct xaio__pent *pe)
{
	if (y->base != pe->base || y->len <= pe->len ||
	    memcmp(y->key, pe->key, pe->len))
		return false;
	if (!pe->len) /* the base itself: every relative path */
		return y->key[0] != '/';
	return pe->key[pe->len - 1] == '/' || y->key[pe->len] == '/';
}

/* A rename, rmdir or listing: what is below it must be done first. */
static bool orders_below(const struct xaio__task *op)
{
	return op->op == XAIO__OP_RENAMEAT ||
	       (op->op == XAIO__OP_UNLINKAT && (op->arg & AT_REMOVEDIR)) ||
	       (xaio__ops[op->op].props & XAIO__OPF_BELOW) || op->nth;
}

/*
 * Edges from the set's entries on pe's path and on each parent: "/" or ""
 * (the base itself), then every prefix that ends before a '/' (and, for
 * orders_below, every entry below it: the whole table).  Leaves the whole
 * key's hash in pe->hash for path_add.
 */
static void order_by_path(struct xaio__task *op, struct xaio__pent *pe,
			  size_t *n)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)pe->base;
	uint32_t abs;

	if (!pe->key)
		return;
	abs = pe->key[0] == '/';
	for (uint32_t i = 0; i < pe->len; i++) {
		if (i == abs || (i && pe->key[i] == '/'))
			path_edges(op, pe, i, hash_end(h), n);
		h = hash_step(h, (unsigned char)pe->key[i]);
	}
	pe->hash = hash_end(h);
	path_edges(op, pe, pe->len, pe->hash, n);
	for (uint32_t b = 0; orders_below(op) && b < XAIO__PATHS; b++)
		for (struct xaio__pent *y = op->es->paths[b]; y; y = y->next)
			if (below(y, pe))
				edge(y->op, op, false, n);
}

static void path_add(struct xaio__task *op, struct xaio__pent *pe)
{
	struct xaio__pent **b;

	if (!pe->key)
		return;
	b = &op->es->paths[pe->hash & (XAIO__PATHS - 1)];
	pe->op = op;
	pe->prev = NULL;
	pe->next = *b;
	if (*b)
		(*b)->prev = pe;
	*b = pe;
}

/* (An entry with a key is in its set's table from its submission on.) */
static void path_del(struct xaio__task *op, struct xaio__pent *pe)
{
	if (!pe->key)
		return;
	if (pe->prev)
		pe->prev->next = pe->next;
	else
		op->es->paths[pe->hash & (XAIO__PATHS - 1)] = pe->next;
	if (pe->next)
		pe->next->prev = pe->prev;
	pe->next = pe->prev = NULL;
}

/*
 * Walks what op must run after: with op->in_block NULL it counts the
 * edges, else it links them.  The two passes see the same state.
 */
static size_t order(struct xaio__task *op, const struct xaio_opt *opt)
{
	struct xaio_file *f = op->file;
	size_t n = 0;

	if (f && op->op != XAIO__OP_OPENAT)
		order_on(op, f, &n);
	/* An operation relative to a handle is an operation on it. */
	if (op->dir)
		order_on(op, op->dir, &n);
	if (op->dir2 && op->dir2 != op->dir)
		order_on(op, op->dir2, &n);
	order_by_path(op, &op->pk[0], &n);
	order_by_path(op, &op->pk[1], &n);
	for (uint32_t i = 0; opt && i < opt->n_after; i++) {
		struct xaio__task *x = find_id(opt->after[i]);

		if (!x || x == op)
			continue;
		if (!x->released)
			edge(x, op, true, &n);
		else if (x->status)
			poison(op, x);
	}
	return n;
}

/* Links op at the end of h's live list, through its node ln[i]. */
static void list_add(struct xaio_file *h, struct xaio__task *op, int i)
{
	struct xaio__lnode *ln = &op->ln[i];

	ln->op = op;
	ln->h = h;
	ln->next = NULL;
	ln->prev = h->live_tail;
	if (h->live_tail)
		h->live_tail->next = ln;
	else
		h->live_head = ln;
	h->live_tail = ln;
}

static void list_del(struct xaio__task *op)
{
	for (int i = 0; i < 2; i++) {
		struct xaio__lnode *ln = &op->ln[i];
		struct xaio_file *h = ln->h;

		if (!h)
			continue;
		if (ln->prev)
			ln->prev->next = ln->next;
		else
			h->live_head = ln->next;
		if (ln->next)
			ln->next->prev = ln->prev;
		else
			h->live_tail = ln->prev;
		ln->h = NULL;
	}
}

static void file_unlink(struct xaio_file *f)
{
	if (f->g_prev)
		f->g_prev->g_next = f->g_next;
	else
		files = f->g_next;
	if (f->g_next)
		f->g_next->g_prev = f->g_prev;
}

/* Does f still take operations (not closed yet)? */
bool xaio__usable(struct xaio_file *f)
{
	return f && !atomic_load_explicit(&f->closing, memory_order_relaxed);
}

/* --- launching and completing --- */

static void finish(struct xaio__task *op, int64_t res, bool engine);
static void issue(struct xaio__task *op, struct xaio__req *req);
static void release(struct xaio__task *op, int64_t res);

static void run_pending(void)
{
	if (draining)
		return;
	draining = 1;
	while (runq) {
		struct xaio__task *op = runq;

		runq = op->r_next;
		op->r_next = NULL;
		if (op->held) {
			/* Cancelled earlier: what it was behind is done now. */
			xaio__lock(&xaio__deps);
			op->held = 0;
			release(op, 0);
			xaio__op_put(op); /* release()'s */
		} else if (atomic_load(&op->state) == OPS_WAITING) {
			/* (Else a canceller completed it already.) */
			uint8_t want = OPS_WAITING;
			struct xaio__req *req;

			if (op->poisoned) {
				if (atomic_compare_exchange_strong(
					    &op->state, &want, OPS_ISSUED))
					finish(op, -ECANCELED, false);
			} else if (!(req = xaio__req_alloc())) {
				if (atomic_compare_exchange_strong(
					    &op->state, &want, OPS_ISSUED))
					finish(op, -ENOMEM, false);
			} else {
				issue(op, req);
			}
		}
		xaio__op_put(op); /* the run queue's (an edge's) reference */
	}
	draining = 0;
}

static void ready(struct xaio__task *op)
{
	op->r_next = runq;
	runq = op;
}

static void req_done(struct xaio__req *req)
{
	struct xaio__task *op = atomic_load(&req->owner);
	int64_t res = req->res;

	xaio__req_published(req);
	finish(op, res, true);
}

static void issue(struct xaio__task *op, struct xaio__req *req)
{
	uint8_t want = OPS_WAITING;
	struct xaio_file *f = op->file;

	/* Known before the op is seen issued: a canceller reads them. */
	op->req_index = req->index;
	op->req_gen = xaio__req_gen(req);
	if (!atomic_compare_exchange_strong(&op->state, &want, OPS_ISSUED)) {
		xaio__pool_put(req);
		return;
	}
	if (op->op == XAIO__OP_CLOSE && f->err) {
		/* Its open failed: there is nothing to close. */
		xaio__pool_put(req);
		finish(op, 0, false);
		return;
	}
	if (!f || op->op == XAIO__OP_OPENAT) /* relative to a directory */
		op->fd = op->dir ? op->dir->fd : AT_FDCWD;
	else
		op->fd = f->fd;
	op->t_start = xaio__now_ns();
	req->op = op->run_op ? op->run_op : op->op;
	/* Reaped by a waiting thread, unless the set wants a background. */
	req->flags = XAIO__RF_NATIVE;
	if (op->es &&
	    atomic_load_explicit(&op->es->background, memory_order_relaxed))
		req->flags |= XAIO__RF_NOTIFY;
	req->fd = op->fd;
	req->buf = op->copy ? op->copy : op->iov ? (void *)op->iov : op->buf;
	req->len = op->iov ? (uint64_t)op->iovcnt : op->len;
	req->off = op->off;
	req->path = op->path ? op->path : "";
	req->arg = op->arg;
	req->arg2 = op->arg2;
	if (op->order2) /* the new path's directory, known now */
		req->arg2 = (uint32_t)(op->dir2 ? op->dir2->fd : AT_FDCWD);
	req->done = req_done;
	atomic_store(&req->owner, op);
	if (xaio__submit(req) < 0) {
		/* Refused: nothing ran, req went back to the pool. */
		finish(op, -EAGAIN, false);
	}
}

/*
 * Takes op out of the order (xaio__deps held; unlocked on return): out of
 * its handle's list, its handle's open (res: the descriptor) or close
 * done, its successors let go.
 */
static void release(struct xaio__task *op, int64_t res)
{
	struct xaio_file *f = op->file, *freed = NULL;
	struct xaio__task *drop = NULL;
	struct xaio__edge *e;

	list_del(op);
	if (op->op == XAIO__OP_OPENAT && f) {
		f->open_op = NULL;
		if (op->status)
			f->err = op->status;
		else
			f->fd = (int)res;
		atomic_store_explicit(&f->ostate, OPS_DONE,
				      memory_order_release);
	}
	if (op->op == XAIO__OP_CLOSE) {
		file_unlink(f);
		freed = f;
	}
	op->released = 1;
	e = op->succ;
	op->succ = NULL;
	while (e) {
		struct xaio__edge *next = e->next;
		struct xaio__task *to = e->to;

		if (e->hard && op->status)
			poison(to, op);
		to->npending--;
		to->nsoft -= !e->hard;
		if (to->held == 1 && !to->nsoft) {
			to->held = 2; /* its own release, now (run_pending) */
			ready(to); /* takes over the edge's reference */
		} else if (!to->npending && !to->held && !to->released) {
			ready(to);
		} else if (!put_unless_last(to)) {
			/* The last reference: nobody else can touch it. */
			to->r_next = drop;
			drop = to;
		}
		e = next;
	}
	xaio__unlock(&xaio__deps);
	/* Its last reference frees it, which takes xaio__deps. */
	while (drop) {
		struct xaio__task *next = drop->r_next;

		drop->r_next = NULL;
		xaio__op_put(drop);
		drop = next;
	}
	free(freed);
}

static void finish(struct xaio__task *op, int64_t res, bool engine)
{
	op->t_end = xaio__now_ns();
	if (op->canceled) {
		op->status =
			ECANCELED; /* by xaio_evset_cancel, before it ran */
	} else if (op->poisoned) {
		op->status = ECANCELED;
		op->iflags |= XAIO_INFO_DEP_CANCELED;
	} else {
		op->status = res < 0 ? (int32_t)-res : 0;
		if (op->status == ECANCELED)
			op->canceled = 1; /* only xaio_evset_cancel does it */
	}
	op->result = res > 0 && op->op != XAIO__OP_OPENAT ? res : 0;
	op->finished = 1;
	if (op->out)
		*op->out = op->status ? -op->status : op->result;
	if (op->lout && !op->status) {
		*op->lout = op->listing; /* the caller's now */
		op->listing = NULL;
	}
	xaio_listing_free(op->listing); /* built, but failed or cancelled */
	op->listing = NULL;
	free(op->copy);
	op->copy = NULL;
	if (op->bufpol == XAIO_BUF_GIFT)
		op->buf_free(op->gift, op->buf_free_ctx);
	/*
	 * Out of its set's path table while the set is sure to exist (it
	 * may be closed once it counts op done).  What comes later on the
	 * path has edges from op's own predecessors there, if any are left.
	 */
	if (op->pk[0].key || op->pk[1].key) {
		xaio__lock(&xaio__deps);
		path_del(op, &op->pk[0]);
		path_del(op, &op->pk[1]);
		xaio__unlock(&xaio__deps);
	}
	/*
	 * The set first: whoever sees the handle drained (xaio_file_wait)
	 * must find the set's counts updated too.
	 */
	xaio__es_done(op);

	xaio__lock(&xaio__deps);
	if (op->nsoft) {
		/*
		 * Cancelled while ordered behind others on its handle: it is
		 * done, but what is ordered after it must still wait for those
		 * (a strict handle orders each op after the one before only),
		 * so it keeps its place until they are (run_pending).  Hard
		 * predecessors (opt.after, an open) do not hold it.
		 */
		op->held = 1;
		atomic_fetch_add(&op->refs, 1); /* release()'s */
		xaio__unlock(&xaio__deps);
	} else {
		release(op, res);
	}
	if (waits_at_exit(op) && op->es)
		atomic_fetch_sub(&exit_live, 1);

	atomic_store_explicit(&op->state, OPS_DONE, memory_order_release);
	xaio__op_put(op); /* in progress */
	run_pending();
	if (!engine)
		xaio__wake(); /* the engine does it after done() */
}

bool xaio__op_cancel(struct xaio__task *op)
{
	uint8_t want = OPS_WAITING;

	bool claimed;

	if (op->op == XAIO__OP_CLOSE)
		return false; /* see poison() */
	xaio__lock(&xaio__deps);
	claimed = atomic_compare_exchange_strong(&op->state, &want, OPS_ISSUED);
	xaio__unlock(&xaio__deps);
	if (claimed) {
		op->canceled = 1;
		finish(op, -ECANCELED, false);
		return true;
	}
	if (want == OPS_ISSUED)
		return xaio__cancel(op->req_index, op->req_gen, false) ==
		       XAIO__CANCELED;
	return false;
}

/* --- submission --- */

static bool op_done(void *arg)
{
	struct xaio__task *op = arg;

	return atomic_load_explicit(&op->state, memory_order_acquire) ==
	       OPS_DONE;
}

/* es NULL: waits for op and returns its result. */
static int64_t run_sync(struct xaio__task *op)
{
	int64_t r;

	xaio__wait_until(op_done, op, NULL);
	r = op->status ? -op->status : op->result;
	xaio__op_put(op);
	return r;
}

/* pe: path relative to dir, as the path table keeps it; 0 or -ENOMEM. */
static int key_init(struct xaio__pent *pe, const char *path,
		    const struct xaio_file *dir)
{
	pe->key = path_key(path, &pe->len);
	pe->base = path[0] == '/' ? NULL : dir;
	return pe->key ? 0 : -ENOMEM;
}

static int submit(struct xaio__task *op, const struct xaio_opt *opt,
		  struct xaio_evset *es, int64_t *sync_res)
{
	struct xaio_file *h = op->file;
	size_t n;
	int r;

	/* Every call makes progress: what the kernel finished is reaped. */
	xaio__poll();
	op->es = es;
	op->id = atomic_fetch_add(&next_id, 1);
	op->t_submit = xaio__now_ns();
	if (h && op->op != XAIO__OP_OPENAT && !xaio__usable(h))
		return xaio__op_drop(op, -EBADF);
	/* A synchronous call would wait for what only this thread can do. */
	if (!es && xaio__es_in_worker_cb())
		return xaio__op_drop(op, -EDEADLK);
	if (es) {
		r = xaio__es_admit(es, op);
		if (r < 0)
			return xaio__op_drop(op, r);
	}
	if (op->bufpol == XAIO_BUF_COPY) {
		op->copy = malloc(op->len ? op->len : 1);
		if (!op->copy) {
			xaio__es_unadmit(op);
			return xaio__op_drop(op, -ENOMEM);
		}
		if (op->iov) {
			char *p = op->copy;

			for (int i = 0; i < op->iovcnt; i++) {
				if (op->iov[i].iov_len)
					memcpy(p, op->iov[i].iov_base,
					       op->iov[i].iov_len);
				p += op->iov[i].iov_len;
			}
			/* One buffer now: a plain write of it. */
			free(op->iov);
			op->iov = NULL;
			op->op = XAIO__OP_WRITE;
		} else if (op->len) {
			memcpy(op->copy, op->buf, op->len);
		}
	}
	if (op->bufpol == XAIO_BUF_GIFT)
		op->gift = op->iov ? NULL : op->buf;
	/* A path operation in a set is ordered by its paths too. */
	if (es && op->path &&
	    (key_init(&op->pk[0], op->path, op->dir) ||
	     (op->order2 && key_init(&op->pk[1], op->path2, op->dir2)))) {
		xaio__es_unadmit(op);
		return xaio__op_drop(op, -ENOMEM);
	}
	if (es) {
		r = xaio__es_insert_cb(es, op);
		if (r < 0) {
			xaio__es_unadmit(op);
			return xaio__op_drop(op, r);
		}
	}
	xaio__lock(&xaio__deps);
	r = 0;
	if ((h && op->op != XAIO__OP_OPENAT && !xaio__usable(h)) ||
	    (op->dir && !xaio__usable(op->dir)) ||
	    (op->dir2 && !xaio__usable(op->dir2)))
		r = -EBADF;
	else if (op->pk[0].key && !es->paths &&
		 !(es->paths = calloc(XAIO__PATHS, sizeof(*es->paths))))
		r = -ENOMEM;
	if (r) {
		xaio__unlock(&xaio__deps);
		xaio__es_unadmit(op);
		return xaio__op_drop(op, r);
	}
	n = order(op, opt);
	if (n) {
		op->in_block = calloc(n, sizeof(*op->in_block));
		if (!op->in_block) {
			xaio__unlock(&xaio__deps);
			xaio__es_unadmit(op);
			return xaio__op_drop(op, -ENOMEM);
		}
		op->npending = 0;
		order(op, opt);
	}
	/* The set's (or the caller's) reference and the one in progress. */
	atomic_fetch_add(&op->refs, 2);
	op->npending++; /* held until the op is counted in its set */
	if (op->op == XAIO__OP_OPENAT) {
		h->open_op = op;
		h->open_id = op->id;
		h->open_api = op->api;
		if (op->dir)
			list_add(op->dir, op, 0);
		h->g_next = files;
		if (files)
			files->g_prev = h;
		files = h;
	} else if (!h) { /* by path: a stat, a mkdir, a rename ... */
		if (op->dir)
			list_add(op->dir, op, 0);
		if (op->dir2 && op->dir2 != op->dir)
			list_add(op->dir2, op, 1);
	} else {
		list_add(h, op, 0);
		if (op->op == XAIO__OP_CLOSE)
			atomic_store(&h->closing, true);
	}
	path_add(op, &op->pk[0]);
	path_add(op, &op->pk[1]);
	id_add(op);
	xaio__unlock(&xaio__deps);
	if (es)
		set_add(op);
	if (opt && opt->op_id)
		*opt->op_id = op->id;
	if (!es)
		atomic_fetch_add(&op->refs, 1); /* run_sync's own */

	xaio__lock(&xaio__deps);
	/* (Cancelled meanwhile: its release is queued or done already.) */
	if (--op->npending == 0 && !op->held && !op->released) {
		atomic_fetch_add(&op->refs, 1); /* the run queue's */
		ready(op);
	}
	xaio__unlock(&xaio__deps);
	run_pending();
	if (!es) {
		xaio__op_put(op); /* the set's: there is none */
		*sync_res = run_sync(op);
	}
	return 0;
}

/* Submits op and gives the call's return value. */
int xaio__go(struct xaio__task *op, const struct xaio_opt *opt,
	     struct xaio_evset *es)
{
	int64_t res = 0;
	int r = submit(op, opt, es, &res);

	if (r < 0 || es)
		return r;
	return res > INT_MAX ? INT_MAX : (int)res;
}

/* xaio__go() for a call that returns 0 or -errno; op NULL: refused with err. */
int xaio__go0(struct xaio__task *op, const struct xaio_opt *opt,
	      struct xaio_evset *es, int err)
{
	int r;

	if (!op)
		return err;
	r = xaio__go(op, opt, es);
	return r < 0 ? r : 0;
}

/* --- the calls --- */

/*
 * The open of a new handle *out (a future from now on), relative to dir;
 * path NULL: none (an open that names its file otherwise, run as another
 * row: op->run_op).  The caller fills in the rest and calls xaio__open_go.
 */
struct xaio__task *xaio__open_op(struct xaio_srcloc loc, const char *api,
				 struct xaio_file **out, struct xaio_file *dir,
				 const char *path, int flags, mode_t mode,
				 const struct xaio_opt *opt, int *err)
{
	struct xaio_file *f;
	struct xaio__task *op;

	*err = -EINVAL;
	if (!out)
		return NULL;
	*out = NULL;
	*err = -EBADF;
	if (dir && !xaio__usable(dir))
		return NULL;
	op = op_new(loc, api, XAIO__OP_OPENAT, opt, err);
	if (!op)
		return NULL;
	if (op->bufpol) { /* no buffer */
		*err = xaio__op_drop(op, -EINVAL);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f || (path && !(op->path = strdup(path)))) {
		free(f);
		*err = xaio__op_drop(op, -ENOMEM);
		return NULL;
	}
	f->fd = -1;
	f->strict = opt && (opt->flags & XAIO_ORDER_STRICT);
	op->file = f;
	op->dir = dir;
	/* The handle owns the descriptor: never inherited across exec. */
	op->arg = (uint32_t)(flags | O_CLOEXEC);
	op->arg2 = (uint32_t)mode;
	*out = f;
	return op;
}

/* Submits an open xaio__open_op built: 0 or -errno (*out NULL then). */
int xaio__open_go(struct xaio__task *op, struct xaio_file **out,
		  const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio_file *f = op->file;
	int r = xaio__go(op, opt, es);

	if (r < 0 && (es || atomic_load(&f->ostate) != OPS_DONE)) {
		/* Refused: nothing ran, the handle never existed. */
		*out = NULL;
		free(f);
	} else if (r < 0) {
		/* Synchronous and failed: nothing to close. */
		xaio__lock(&xaio__deps);
		file_unlink(f);
		xaio__unlock(&xaio__deps);
		*out = NULL;
		free(f);
	}
	return r < 0 ? r : 0;
}

int xaio__open(struct xaio_srcloc loc, const char *api, struct xaio_file **out,
	       struct xaio_file *dir, const char *path, const uint64_t *nth,
	       int flags, mode_t mode, const struct xaio_opt *opt,
	       struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (out && !path) {
		*out = NULL;
		return -EINVAL;
	}
	op = xaio__open_op(loc, api, out, dir, path, flags, mode, opt, &r);
	if (!op)
		return r;
	if (nth) { /* path is a directory: its n-th entry (dir.c) */
		op->nth = 1;
		op->run_op = XAIO__OP_OPEN_NTH;
		op->off = (int64_t)*nth;
	}
	return xaio__open_go(op, out, opt, es);
}

int xaio_open_loc(struct xaio_srcloc loc, struct xaio_file **f,
		  const char *path, int flags, mode_t mode,
		  const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio__open(loc, "xaio_open", f, NULL, path, NULL, flags, mode,
			  opt, es);
}

int xaio_openat_loc(struct xaio_srcloc loc, struct xaio_file **f,
		    struct xaio_file *dir, const char *path, int flags,
		    mode_t mode, const struct xaio_opt *opt,
		    struct xaio_evset *es)
{
	return xaio__open(loc, "xaio_openat", f, dir, path, NULL, flags, mode,
			  opt, es);
}

/* An operation on handle f (not its open). */
struct xaio__task *xaio__on(struct xaio_srcloc loc, const char *api,
			    uint8_t kind, struct xaio_file *f,
			    const struct xaio_opt *opt, int *err)
{
	struct xaio__task *op;

	if (!f) {
		*err = -EINVAL;
		return NULL;
	}
	if (!xaio__usable(f)) {
		*err = -EBADF;
		return NULL;
	}
	op = op_new(loc, api, kind, opt, err);
	if (op)
		op->file = f;
	return op;
}

/*
 * An operation on path, relative to the handle dir (NULL: the working
 * directory), with no data buffer; the path is copied.
 */
struct xaio__task *xaio__at(struct xaio_srcloc loc, const char *api,
			    uint8_t kind, struct xaio_file *dir,
			    const char *path, const struct xaio_opt *opt,
			    int *err)
{
	struct xaio__task *op;

	*err = !path ? -EINVAL : -EBADF;
	if (!path || (dir && !xaio__usable(dir)))
		return NULL;
	op = op_new(loc, api, kind, opt, err);
	if (!op)
		return NULL;
	if (op->bufpol) {
		*err = xaio__op_drop(op, -EINVAL);
		return NULL;
	}
	op->dir = dir;
	if (!(op->path = strdup(path))) {
		*err = xaio__op_drop(op, -ENOMEM);
		return NULL;
	}
	return op;
}

int xaio_close_loc(struct xaio_srcloc loc, struct xaio_file *f,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	int r;
	struct xaio__task *op =
		xaio__on(loc, "xaio_close", XAIO__OP_CLOSE, f, opt, &r);

	if (!op)
		return r;
	if (op->bufpol)
		return xaio__op_drop(op, -EINVAL);
	return xaio__go0(op, opt, es, 0);
}

static int rw(struct xaio_srcloc loc, const char *api, uint8_t kind,
	      struct xaio_file *f, void *buf, size_t len, off_t off,
	      ssize_t *done, const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (done)
		*done = 0;
	if (len > SSIZE_MAX || off < 0)
		return -EINVAL;
	op = xaio__on(loc, api, kind, f, opt, &r);
	if (!op)
		return r;
	if (op->bufpol == XAIO_BUF_COPY && kind == XAIO__OP_READ)
		return xaio__op_drop(op, -EINVAL);
	op->buf = buf;
	op->len = len;
	op->off = off;
	op->out = done;
	return xaio__go(op, opt, es);
}

int xaio_pread_loc(struct xaio_srcloc loc, struct xaio_file *f, void *buf,
		   size_t len, off_t off, ssize_t *done,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	return rw(loc, "xaio_pread", XAIO__OP_READ, f, buf, len, off, done, opt,
		  es);
}

int xaio_pwrite_loc(struct xaio_srcloc loc, struct xaio_file *f,
		    const void *buf, size_t len, off_t off, ssize_t *done,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	return rw(loc, "xaio_pwrite", XAIO__OP_WRITE, f, (void *)buf, len, off,
		  done, opt, es);
}

static int rwv(struct xaio_srcloc loc, const char *api, uint8_t kind,
	       struct xaio_file *f, const struct iovec *iov, int iovcnt,
	       off_t off, ssize_t *done, const struct xaio_opt *opt,
	       struct xaio_evset *es)
{
	struct xaio__task *op;
	uint64_t total = 0;
	int r;

	if (done)
		*done = 0;
	if (iovcnt < 0 || iovcnt > IOV_MAX || (iovcnt && !iov) || off < 0)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		total += iov[i].iov_len;
		if (iov[i].iov_len > SSIZE_MAX || total > SSIZE_MAX)
			return -EINVAL;
	}
	op = xaio__on(loc, api, kind, f, opt, &r);
	if (!op)
		return r;
	if ((op->bufpol == XAIO_BUF_COPY && kind == XAIO__OP_READV) ||
	    op->bufpol == XAIO_BUF_GIFT)
		return xaio__op_drop(op, -EINVAL);
	op->iov = malloc(((size_t)iovcnt ? (size_t)iovcnt : 1) * sizeof(*iov));
	if (!op->iov)
		return xaio__op_drop(op, -ENOMEM);
	if (iovcnt)
		memcpy(op->iov, iov, (size_t)iovcnt * sizeof(*iov));
	op->iovcnt = iovcnt;
	op->len = total;
	op->off = off;
	op->out = done;
	return xaio__go(op, opt, es);
}

int xaio_preadv_loc(struct xaio_srcloc loc, struct xaio_file *f,
		    const struct iovec *iov, int iovcnt, off_t off,
		    ssize_t *done, const struct xaio_opt *opt,
		    struct xaio_evset *es)
{
	return rwv(loc, "xaio_preadv", XAIO__OP_READV, f, iov, iovcnt, off,
		   done, opt, es);
}

int xaio_pwritev_loc(struct xaio_srcloc loc, struct xaio_file *f,
		     const struct iovec *iov, int iovcnt, off_t off,
		     ssize_t *done, const struct xaio_opt *opt,
		     struct xaio_evset *es)
{
	return rwv(loc, "xaio_pwritev", XAIO__OP_WRITEV, f, iov, iovcnt, off,
		   done, opt, es);
}

/* fsync, fdatasync, ftruncate, fallocate: no buffer. */
static int barrier(struct xaio_srcloc loc, const char *api, uint8_t kind,
		   struct xaio_file *f, int mode, int64_t off, uint64_t len,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	op = xaio__on(loc, api, kind, f, opt, &r);
	if (!op)
		return r;
	if (op->bufpol)
		return xaio__op_drop(op, -EINVAL);
	op->arg = (uint32_t)mode;
	op->off = off;
	op->len = len;
	return xaio__go0(op, opt, es, 0);
}

int xaio_fsync_loc(struct xaio_srcloc loc, struct xaio_file *f,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	return barrier(loc, "xaio_fsync", XAIO__OP_FSYNC, f, 0, 0, 0, opt, es);
}

int xaio_fdatasync_loc(struct xaio_srcloc loc, struct xaio_file *f,
		       const struct xaio_opt *opt, struct xaio_evset *es)
{
	return barrier(loc, "xaio_fdatasync", XAIO__OP_FDATASYNC, f, 0, 0, 0,
		       opt, es);
}

int xaio_ftruncate_loc(struct xaio_srcloc loc, struct xaio_file *f,
		       off_t length, const struct xaio_opt *opt,
		       struct xaio_evset *es)
{
	if (length < 0)
		return -EINVAL;
	return barrier(loc, "xaio_ftruncate", XAIO__OP_FTRUNCATE, f, 0, 0,
		       (uint64_t)length, opt, es);
}

int xaio_fallocate_loc(struct xaio_srcloc loc, struct xaio_file *f, int mode,
		       off_t off, off_t len, const struct xaio_opt *opt,
		       struct xaio_evset *es)
{
	if (off < 0 || len <= 0)
		return -EINVAL;
	return barrier(loc, "xaio_fallocate", XAIO__OP_FALLOCATE, f, mode, off,
		       (uint64_t)len, opt, es);
}

static int stat_common(struct xaio_srcloc loc, const char *api,
		       struct xaio_file *f, struct xaio_file *dir,
		       const char *path, int flags, unsigned int mask,
		       struct statx *stx, const struct xaio_opt *opt,
		       struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (!stx)
		return -EINVAL;
	if (f) {
		op = xaio__on(loc, api, XAIO__OP_STATX, f, opt, &r);
		if (op && op->bufpol)
			return xaio__op_drop(op, -EINVAL);
	} else {
		op = xaio__at(loc, api, XAIO__OP_STATX, dir, path, opt, &r);
	}
	if (!op)
		return r;
	op->buf = stx;
	op->arg = (uint32_t)flags;
	op->arg2 = mask;
	return xaio__go0(op, opt, es, 0);
}

int xaio_fstat_loc(struct xaio_srcloc loc, struct xaio_file *f,
		   unsigned int mask, struct statx *stx,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	if (!f)
		return -EINVAL;
	return stat_common(loc, "xaio_fstat", f, NULL, NULL, AT_EMPTY_PATH,
			   mask, stx, opt, es);
}

int xaio_stat_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		  const char *path, int flags, unsigned int mask,
		  struct statx *stx, const struct xaio_opt *opt,
		  struct xaio_evset *es)
{
	return stat_common(loc, "xaio_stat", NULL, dir, path, flags, mask, stx,
			   opt, es);
}

/* A path a call names: 0, or its -errno (what the kernel would say). */
int xaio__check_path(const char *path)
{
	size_t n;

	if (!path)
		return -EINVAL;
	n = strnlen(path, PATH_MAX);
	if (!n)
		return -ENOENT;
	return n == PATH_MAX ? -ENAMETOOLONG : 0;
}

/* xaio__at() for a path that must be a name (not empty, not too long). */
struct xaio__task *xaio__named(struct xaio_srcloc loc, const char *api,
			       uint8_t kind, struct xaio_file *dir,
			       const char *path, const struct xaio_opt *opt,
			       int *err)
{
	*err = xaio__check_path(path);
	return *err ? NULL : xaio__at(loc, api, kind, dir, path, opt, err);
}

/*
 * xaio__named(), and a second string: path2 (a name relative to dir2, ordered
 * by path too, when order2; else a symlink's target) with arg (flags).
 */
struct xaio__task *xaio__named2(struct xaio_srcloc loc, const char *api,
				uint8_t kind, struct xaio_file *dir,
				const char *path, struct xaio_file *dir2,
				const char *path2, bool order2, uint32_t arg,
				const struct xaio_opt *opt, int *err)
{
	struct xaio__task *op;

	*err = xaio__check_path(path2);
	if (*err)
		return NULL;
	if (dir2 && !xaio__usable(dir2)) {
		*err = -EBADF;
		return NULL;
	}
	op = xaio__named(loc, api, kind, dir, path, opt, err);
	if (!op)
		return NULL;
	if (!(op->path2 = strdup(path2))) {
		*err = xaio__op_drop(op, -ENOMEM);
		return NULL;
	}
	op->buf = op->path2;
	op->dir2 = dir2;
	op->order2 = order2;
	op->arg = arg;
	return op;
}

/* The same without a location: what `(xaio_pread)(...)` calls. */
int xaio_open(struct xaio_file **f, const char *path, int flags, mode_t mode,
	      const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_open_loc(xaio__noloc, f, path, flags, mode, opt, es);
}

int xaio_openat(struct xaio_file **f, struct xaio_file *dir, const char *path,
		int flags, mode_t mode, const struct xaio_opt *opt,
		struct xaio_evset *es)
{
	return xaio_openat_loc(xaio__noloc, f, dir, path, flags, mode, opt, es);
}

int xaio_close(struct xaio_file *f, const struct xaio_opt *opt,
	       struct xaio_evset *es)
{
	return xaio_close_loc(xaio__noloc, f, opt, es);
}

int xaio_pread(struct xaio_file *f, void *buf, size_t len, off_t off,
	       ssize_t *done, const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_pread_loc(xaio__noloc, f, buf, len, off, done, opt, es);
}

int xaio_pwrite(struct xaio_file *f, const void *buf, size_t len, off_t off,
		ssize_t *done, const struct xaio_opt *opt,
		struct xaio_evset *es)
{
	return xaio_pwrite_loc(xaio__noloc, f, buf, len, off, done, opt, es);
}

int xaio_preadv(struct xaio_file *f, const struct iovec *iov, int iovcnt,
		off_t off, ssize_t *done, const struct xaio_opt *opt,
		struct xaio_evset *es)
{
	return xaio_preadv_loc(xaio__noloc, f, iov, iovcnt, off, done, opt, es);
}

int xaio_pwritev(struct xaio_file *f, const struct iovec *iov, int iovcnt,
		 off_t off, ssize_t *done, const struct xaio_opt *opt,
		 struct xaio_evset *es)
{
	return xaio_pwritev_loc(xaio__noloc, f, iov, iovcnt, off, done, opt,
				es);
}

int xaio_fsync(struct xaio_file *f, const struct xaio_opt *opt,
	       struct xaio_evset *es)
{
	return xaio_fsync_loc(xaio__noloc, f, opt, es);
}

int xaio_fdatasync(struct xaio_file *f, const struct xaio_opt *opt,
		   struct xaio_evset *es)
{
	return xaio_fdatasync_loc(xaio__noloc, f, opt, es);
}

int xaio_ftruncate(struct xaio_file *f, off_t length,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_ftruncate_loc(xaio__noloc, f, length, opt, es);
}

int xaio_fallocate(struct xaio_file *f, int mode, off_t off, off_t len,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_fallocate_loc(xaio__noloc, f, mode, off, len, opt, es);
}

int xaio_fstat(struct xaio_file *f, unsigned int mask, struct statx *stx,
	       const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_fstat_loc(xaio__noloc, f, mask, stx, opt, es);
}

int xaio_stat(struct xaio_file *dir, const char *path, int flags,
	      unsigned int mask, struct statx *stx, const struct xaio_opt *opt,
	      struct xaio_evset *es)
{
	return xaio_stat_loc(xaio__noloc, dir, path, flags, mask, stx, opt, es);
}

int xaio_file_status(struct xaio_file *f)
{
	if (!f)
		return -EINVAL;
	xaio__poll(); /* a poll: what the kernel finished is reaped */
	if (atomic_load_explicit(&f->ostate, memory_order_acquire) != OPS_DONE)
		return -EINPROGRESS;
	return f->err ? -f->err : 0;
}

static bool opened(void *arg)
{
	return xaio_file_status(arg) != -EINPROGRESS;
}

int xaio_file_fd(struct xaio_file *f)
{
	if (!f)
		return -EINVAL;
	if (xaio__es_in_worker_cb())
		return -EDEADLK;
	xaio__native_init();
	xaio__wait_until(opened, f, NULL);
	return f->err ? -f->err : f->fd;
}

struct upto {
	struct xaio_file *f;
	uint64_t id;
};

/* No live op on f (nor its open) was submitted before u->id. */
static bool drained(void *arg)
{
	const struct upto *u = arg;
	bool done;

	xaio__lock(&xaio__deps);
	done = (!u->f->open_op || u->f->open_op->id > u->id) &&
	       (!u->f->live_head || u->f->live_head->op->id > u->id);
	xaio__unlock(&xaio__deps);
	return done;
}

int xaio_file_wait(struct xaio_file *f, uint64_t timeout_ns)
{
	struct upto u = {f, 0};
	struct timespec deadline;
	bool forever;

	if (!f)
		return -EINVAL;
	if (xaio__es_in_worker_cb())
		return -EDEADLK;
	xaio__native_init();
	u.id = atomic_load(&next_id);
	if (timeout_ns == 0)
		return drained(&u) ? 0 : -ETIMEDOUT;
	deadline = xaio__deadline_ns(timeout_ns, &forever);
	return xaio__wait_until(drained, &u, forever ? NULL : &deadline);
}

/* --- requests another layer runs (see core/internal.h) --- */

struct xaio__task *xaio__ext_new(struct xaio_srcloc loc, const char *api,
				 unsigned int kind, int fd, const void *buf,
				 uint64_t len, int64_t off,
				 const struct xaio_opt *opt,
				 struct xaio_evset *es, uint64_t *id, int *err)
{
	struct xaio__task *op;
	int r;

	op = op_new(loc, api, (uint8_t)kind, opt, err);
	if (!op)
		return NULL;
	op->es = es;
	op->fd = fd;
	op->buf = (void *)buf;
	op->len = len;
	op->off = off;
	/* Known to the insert callback, as a native op's. */
	op->id = atomic_fetch_add(&next_id, 1);
	op->t_submit = xaio__now_ns();
	*id = op->id;
	r = xaio__es_admit(es, op);
	if (!r)
		r = xaio__es_insert_cb(es, op);
	if (r) {
		*err = xaio__op_drop(op, r);
		return NULL;
	}
	return op;
}

void xaio__ext_drop(struct xaio__task *op)
{
	xaio__op_drop(op, 0);
}

void xaio__ext_start(struct xaio__task *op, struct xaio__req *req)
{
	/* Known before the op is in the set: a canceller reads them. */
	op->req_index = req->index;
	op->req_gen = xaio__req_gen(req);
	op->t_start = xaio__now_ns();
	/* A set that must progress without a waiter: see issue(). */
	if (atomic_load_explicit(&op->es->background, memory_order_relaxed))
		req->flags |= XAIO__RF_NOTIFY;
	atomic_store(&op->state, OPS_ISSUED);
	/* The set's reference and the one in progress. */
	atomic_fetch_add(&op->refs, 2);
	xaio__lock(&xaio__deps);
	id_add(op);
	xaio__unlock(&xaio__deps);
	set_add(op);
	req->track = op;
}

void xaio__ext_refused(struct xaio__task *op, int err)
{
	op->status = err;
	op->finished = 1;
	op->t_end = xaio__now_ns();
	xaio__es_unadd(op);
	if (waits_at_exit(op))
		atomic_fetch_sub(&exit_live, 1);
	/* What named it in opt.after meanwhile is cancelled by it. */
	xaio__lock(&xaio__deps);
	release(op, 0);
	atomic_store(&op->state, OPS_DONE);
	xaio__op_put(op); /* in progress */
	xaio__op_put(op); /* the set's: never counted there */
	run_pending();
}

void xaio__ext_done(struct xaio__task *op, int64_t res)
{
	finish(op, res, true);
}

/* --- error records --- */

char *xaio__op_args(const struct xaio__task *op)
{
	char *s = NULL;
	int r;

	if (xaio__xattr_role(op->op))
		return xaio__xattr_args(op);
	switch (op->run_op ? op->run_op : op->op) {
	case XAIO__OP_OPEN_NTH:
		r = asprintf(&s, "path=\"%s\", n=%llu, flags=%#x, mode=%#o",
			     op->path ? op->path : "",
			     (unsigned long long)op->off, op->arg, op->arg2);
		break;
	case XAIO__OP_OPENAT:
	case XAIO__OP_MAP_CREATE:
		r = asprintf(&s, "path=\"%s\", flags=%#x, mode=%#o",
			     op->path ? op->path : "", op->arg, op->arg2);
		break;
	case XAIO__OP_READ:
	case XAIO__OP_WRITE:
		r = asprintf(&s, "fd=%d, buf=%p, len=%llu, off=%lld", op->fd,
			     op->buf, (unsigned long long)op->len,
			     (long long)op->off);
		break;
	case XAIO__OP_READV:
	case XAIO__OP_WRITEV:
		r = asprintf(&s, "fd=%d, iovcnt=%d, len=%llu, off=%lld", op->fd,
			     op->iovcnt, (unsigned long long)op->len,
			     (long long)op->off);
		break;
	case XAIO__OP_FTRUNCATE:
		r = asprintf(&s, "fd=%d, length=%llu", op->fd,
			     (unsigned long long)op->len);
		break;
	case XAIO__OP_FALLOCATE:
		r = asprintf(&s, "fd=%d, mode=%#x, off=%lld, len=%llu", op->fd,
			     op->arg, (long long)op->off,
			     (unsigned long long)op->len);
		break;
	case XAIO__OP_STATX:
		r = asprintf(&s, "path=\"%s\", flags=%#x, mask=%#x",
			     op->path ? op->path : "", op->arg, op->arg2);
		break;
	case XAIO__OP_MKDIRAT:
		r = asprintf(&s, "path=\"%s\", mode=%#o",
			     op->path ? op->path : "", op->arg);
		break;
	case XAIO__OP_UNLINKAT:
	case XAIO__OP_MAP_DELETE:
	case XAIO__OP_REF_GET:
		r = asprintf(&s, "path=\"%s\", flags=%#x",
			     op->path ? op->path : "", op->arg);
		break;
	case XAIO__OP_READLINKAT:
	case XAIO__OP_MAP_GET:
		r = asprintf(&s, "path=\"%s\", size=%llu",
			     op->path ? op->path : "",
			     (unsigned long long)op->len);
		break;
	case XAIO__OP_RENAMEAT:
	case XAIO__OP_LINKAT:
	case XAIO__OP_SYMLINKAT:
	case XAIO__OP_COPY_FILE:
		r = asprintf(&s, "path=\"%s\", path2=\"%s\", flags=%#x",
			     op->path ? op->path : "",
			     op->path2 ? op->path2 : "", op->arg);
		break;
	case XAIO__OP_FACCESSAT:
		r = asprintf(&s, "path=\"%s\", mode=%#o, flags=%#x",
			     op->path ? op->path : "", op->arg, op->arg2);
		break;
	case XAIO__OP_READDIR:
	case XAIO__OP_EXISTS:
		r = asprintf(&s, "path=\"%s\"", op->path ? op->path : "");
		break;
	case XAIO__OP_DIRINFO:
		r = asprintf(&s, "path=\"%s\", mask=%#x",
			     op->path ? op->path : "", op->arg2);
		break;
	case XAIO__OP_DIRENT_NTH:
		r = asprintf(&s, "path=\"%s\", n=%llu, size=%llu",
			     op->path ? op->path : "",
			     (unsigned long long)op->off,
			     (unsigned long long)op->len);
		break;
	case XAIO__OP_REMOVE_NTH:
		r = asprintf(&s, "path=\"%s\", n=%llu",
			     op->path ? op->path : "",
			     (unsigned long long)op->off);
		break;
	case XAIO__OP_MAP_PUT: /* path: the key */
		r = asprintf(&s, "path=\"%s\", len=%llu", op->path,
			     (unsigned long long)op->len);
		break;
	case XAIO__OP_REF_OPEN: /* buf: the struct xaio_ref */
		r = asprintf(&s, "handle_type=%d, handle_bytes=%u, flags=%#x",
			     ((const struct xaio_ref *)op->buf)->handle_type,
			     ((const struct xaio_ref *)op->buf)->handle_bytes,
			     op->arg);
		break;
	case XAIO__OP_COPY:
		r = asprintf(&s,
			     "fd=%d, src_off=%lld, dst_off=%lld, len=%llu, "
			     "flags=%#x",
			     op->fd, (long long)*(const int64_t *)op->buf,
			     (long long)op->off, (unsigned long long)op->len,
			     op->arg);
		break;
	case XAIO__OP_CHMOD:
		r = asprintf(&s, "path=\"%s\", mode=%#o, flags=%#x",
			     op->path ? op->path : "", op->arg, op->arg2);
		break;
	case XAIO__OP_CHOWN:
		r = asprintf(&s, "path=\"%s\", uid=%lld, gid=%lld, flags=%#x",
			     op->path ? op->path : "", (long long)op->off,
			     (long long)op->len, op->arg2);
		break;
	case XAIO__OP_UTIMENS:
		r = asprintf(&s,
			     "path=\"%s\", atime=%lld, mtime=%lld, flags=%#x",
			     op->path ? op->path : "", (long long)op->off,
			     (long long)op->len, op->arg2);
		break;
	default:
		r = asprintf(&s, "fd=%d", op->fd);
		break;
	}
	return r < 0 ? NULL : s;
}

/*
 * Exit: what a program submitted and did not wait for is waited for, at
 * most XAIO_EXIT_TIMEOUT seconds: writes, changes of names (mkdir,
 * unlink, rename, links) and of extended attributes, barriers, opens (writes
 * may be queued behind them) and closes.  Reads, stats, readlink, access and
 * reads of extended attributes are not.
 */
static bool exit_drained(void *arg)
{
	(void)arg;
	return atomic_load(&exit_live) == 0;
}

__attribute__((destructor)) static void drain_native(void)
{
	struct timespec deadline;
	long s;

	if (!atomic_load(&exit_live))
		return;
	s = xaio__exit_timeout_s();
	if (!s)
		return;
	deadline = xaio__deadline(&(struct timespec){s, 0});
	xaio__wait_until(exit_drained, NULL, &deadline);
}
