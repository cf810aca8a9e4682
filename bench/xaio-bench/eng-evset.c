// SPDX-License-Identifier: MIT
/*
 * xaio's native API: event sets and file handles that are futures
 * (libxaio: xaio_evset(3), xaio_file(3)).  One event set per engine run.
 *
 * Small files: each job is xaio_open, then xaio_pread or xaio_pwrite, then
 * xaio_close, all three submitted at once without waiting (the handle is
 * a future: the read and the close queue behind the open), tagged with
 * their slot in opt.user_tag.  Completions are harvested one at a time
 * with xaio_evset_wait_any; a job is done when all three of its operations
 * are, and its result is the bytes moved, or the errno of the first of
 * them that failed (a failed open makes the read complete with ECANCELED:
 * the open's error is the one reported).
 *
 * The other workloads: one handle opened synchronously on the workload's
 * file at setup, and xaio_pread/xaio_pwrite/xaio_fsync on it, or xaio_stat
 * by path; one operation per slot.
 *
 * One thread drives an engine run; the library runs the operations.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xaio.h>

#include "bench.h"

/* user_tag = slot << 2 | kind */
enum { K_OPEN, K_RW, K_CLOSE, K_ONE };

struct es_slot {
	unsigned left; /* operations of the job not yet harvested */
	int err; /* the first failure's errno (0: none) */
	int dep; /* err is ECANCELED because of another op's failure */
	const char *api; /* the call that failed */
	int64_t moved; /* what the read or write moved */
};

struct es_priv {
	struct xaio_evset *es;
	struct xaio_file *f; /* the workload's file, for single ops */
	struct es_slot *s;
	struct done *q; /* jobs completed, not yet reaped */
	unsigned n;
	unsigned ops; /* operations submitted and not harvested */
};

static int setup(struct eng_ctx *c)
{
	struct es_priv *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->s = calloc(c->depth, sizeof(*p->s));
	p->q = calloc(c->depth, sizeof(*p->q));
	if (!p->s || !p->q)
		return -ENOMEM;
	r = xaio_evset_create(&p->es, NULL);
	if (r < 0)
		return r;
	if (c->path) {
		/* synchronous (no set): the handle is open on return */
		r = xaio_open(&p->f, c->path, c->flags & ~O_CLOEXEC, 0, NULL,
			      NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

static struct xaio_opt tag(unsigned slot, unsigned kind)
{
	struct xaio_opt o;

	memset(&o, 0, sizeof(o));
	o.user_tag = (uint64_t)slot << 2 | kind;
	return o;
}

/* A failure of the job in slot: the first one, a root cause over a dep. */
static void job_fail(struct es_slot *s, int err, int dep, const char *api)
{
	if (s->err && !(s->dep && !dep))
		return;
	s->err = err;
	s->dep = dep;
	s->api = api;
}

static int file_job(struct eng_ctx *c, unsigned slot, enum op op,
		    const char *path, void *buf, size_t len)
{
	struct es_priv *p = c->priv;
	struct es_slot *s = &p->s[slot];
	struct xaio_file *f;
	struct xaio_opt o;
	int r;

	memset(s, 0, sizeof(*s));
	o = tag(slot, K_OPEN);
	if (op == OP_READ)
		r = xaio_open(&f, path, O_RDONLY, 0, &o, p->es);
	else
		r = xaio_open(&f, path, O_CREAT | O_WRONLY | O_TRUNC, 0600, &o,
			      p->es);
	if (r < 0)
		return r; /* nothing started */
	s->left = 1;
	o = tag(slot, K_RW);
	if (op == OP_READ)
		r = xaio_pread(f, buf, len, 0, NULL, &o, p->es);
	else
		r = xaio_pwrite(f, buf, len, 0, NULL, &o, p->es);
	if (r < 0)
		job_fail(s, -r, 0,
			 op == OP_READ ? "xaio_pread submit"
				       : "xaio_pwrite submit");
	else
		s->left++;
	o = tag(slot, K_CLOSE);
	r = xaio_close(f, &o, p->es);
	if (r < 0)
		job_fail(s, -r, 0, "xaio_close submit"); /* the handle leaks */
	else
		s->left++;
	p->ops += s->left;
	return 0;
}

static int submit(struct eng_ctx *c, unsigned slot, enum op op, int fd,
		  void *buf, size_t len, off_t off, const char *path)
{
	struct es_priv *p = c->priv;
	struct xaio_opt o = tag(slot, K_ONE);
	int r;

	memset(&p->s[slot], 0, sizeof(p->s[slot]));
	if (op == OP_STATX)
		r = xaio_stat(NULL, path, 0, STATX_BASIC_STATS, buf, &o, p->es);
	else if (!p->f || (fd >= 0 && fd != c->fd))
		r = -EBADF; /* only the workload's own file has a handle */
	else if (op == OP_READ)
		r = xaio_pread(p->f, buf, len, off, NULL, &o, p->es);
	else if (op == OP_WRITE)
		r = xaio_pwrite(p->f, buf, len, off, NULL, &o, p->es);
	else
		r = xaio_fsync(p->f, &o, p->es);
	if (r < 0)
		return r;
	p->s[slot].left = 1;
	p->ops++;
	return 0;
}

/* Accounts one harvested operation; a finished job goes to p->q. */
static void harvested(struct eng_ctx *c, const struct xaio_op_info *in)
{
	struct es_priv *p = c->priv;
	unsigned slot = (unsigned)(in->user_tag >> 2), kind = in->user_tag & 3;
	struct es_slot *s;

	if (slot >= c->depth)
		return; /* not ours: cannot happen */
	s = &p->s[slot];
	p->ops--;
	if (in->status)
		job_fail(s, in->status,
			 (in->flags & XAIO_INFO_DEP_CANCELED) != 0, in->api);
	else if (kind == K_RW || kind == K_ONE)
		s->moved = in->result;
	if (--s->left)
		return;
	p->q[p->n].slot = slot;
	p->q[p->n].res = s->err ? -s->err : s->moved;
	p->n++;
	if (s->err && !c->why[0])
		snprintf(c->why, sizeof(c->why), "%s by xaio-es: %s%s",
			 s->api ? s->api : "?", strerror(s->err),
			 s->dep ? " (an operation it depends on failed)" : "");
}

static int reap(struct eng_ctx *c, unsigned min, struct done *d, unsigned max)
{
	struct es_priv *p = c->priv;
	struct xaio_op_info info;
	unsigned n = 0;
	int r;

	for (;;) {
		while (p->n && n < max)
			d[n++] = p->q[--p->n];
		if (n >= max || (n >= min && !p->ops))
			return (int)n;
		/* block only while fewer than min: else take what is done */
		r = xaio_evset_wait_any(
			p->es, n < min ? XAIO_WAIT_FOREVER : XAIO_WAIT_NONE,
			&info);
		if (r == -ETIMEDOUT || r == -ENOENT)
			return (int)n;
		if (r < 0)
			return r;
		harvested(c, &info);
	}
}

static void teardown(struct eng_ctx *c)
{
	struct es_priv *p = c->priv;
	struct xaio_op_info info;

	if (!p)
		return;
	while (p->es && p->ops &&
	       xaio_evset_wait_any(p->es, XAIO_WAIT_FOREVER, &info) == 0)
		p->ops--;
	if (p->f)
		xaio_close(p->f, NULL, NULL);
	if (p->es)
		xaio_evset_close(p->es,
				 XAIO_CLOSE_WAIT | XAIO_CLOSE_DISCARD_ERRORS);
	free(p->s);
	free(p->q);
	free(p);
	c->priv = NULL;
}

const struct engine eng_xaio_es = {
	.name = "xaio-es",
	.desc = "xaio event sets (libxaio: xaio_open, xaio_pread, xaio_close "
		"as futures, xaio_evset_wait_any)",
	.ops = OP_READ | OP_WRITE | OP_FSYNC | OP_STATX,
	.setup = setup,
	.submit = submit,
	.reap = reap,
	.file_job = file_job,
	.teardown = teardown,
};
