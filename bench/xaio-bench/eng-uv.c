// SPDX-License-Identifier: MIT
/*
 * libuv's uv_fs_read/uv_fs_write/uv_fs_fsync on a private loop (libuv runs
 * them on its thread pool).  Small files are whole jobs: uv_fs_open, then
 * from its callback uv_fs_read or uv_fs_write, then uv_fs_close, chained
 * on the loop, so the pool does all three (the way a libuv program opens
 * files).  Built only when pkg-config finds libuv (Debian's libuv1-dev);
 * otherwise the engine reports itself absent.  One thread drives the
 * loop; the callbacks run on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"

#ifdef HAVE_LIBUV
#include <uv.h>

/* A small-file job in progress (one per slot). */
struct uv_job {
	void *buf;
	size_t len;
	int write;
	uv_file file;
	ssize_t res; /* bytes moved, or the first failure's -errno */
	const char *what; /* the call that failed */
};

struct uv_priv {
	uv_loop_t loop;
	uv_fs_t *req;
	struct uv_job *job;
	struct done *q;
	unsigned n;
	struct eng_ctx *c;
};

static void on_done(uv_fs_t *req)
{
	struct uv_priv *p = req->loop->data;

	p->q[p->n].slot = (unsigned)(uintptr_t)req->data;
	p->q[p->n++].res = req->result;
	uv_fs_req_cleanup(req);
}

/* uv_fs_stat (statx inside libuv): its uv_stat_t into the slot's statx. */
static void on_stat(uv_fs_t *req)
{
	struct uv_priv *p = req->loop->data;
	unsigned slot = (unsigned)(uintptr_t)req->data;
	struct statx *stx = p->job[slot].buf;

	memset(stx, 0, sizeof(*stx));
	if (req->result == 0) {
		stx->stx_mask = STATX_BASIC_STATS;
		stx->stx_mode = (uint16_t)req->statbuf.st_mode;
		stx->stx_size = req->statbuf.st_size;
		stx->stx_ino = req->statbuf.st_ino;
		stx->stx_nlink = (uint32_t)req->statbuf.st_nlink;
	}
	on_done(req);
}

/* The job of req's slot is over (its descriptor closed, or never open). */
static void job_done(uv_fs_t *req, struct uv_job *j)
{
	struct uv_priv *p = req->loop->data;

	if (j->res < 0 && !p->c->why[0])
		snprintf(p->c->why, sizeof(p->c->why), "%s by libuv: %s",
			 j->what, uv_strerror((int)j->res));
	p->q[p->n].slot = (unsigned)(uintptr_t)req->data;
	p->q[p->n++].res = j->res;
}

static void job_fail(struct uv_job *j, ssize_t err, const char *what)
{
	if (j->res >= 0) {
		j->res = err;
		j->what = what;
	}
}

static void on_close(uv_fs_t *req)
{
	struct uv_priv *p = req->loop->data;
	struct uv_job *j = &p->job[(uintptr_t)req->data];

	if (req->result < 0)
		job_fail(j, req->result, "uv_fs_close");
	uv_fs_req_cleanup(req);
	job_done(req, j);
}

static void job_close(uv_fs_t *req, struct uv_job *j)
{
	int r = uv_fs_close(req->loop, req, j->file, on_close);

	if (r < 0) {
		job_fail(j, r, "uv_fs_close submit");
		job_done(req, j); /* the descriptor leaks */
	}
}

static void on_rw(uv_fs_t *req)
{
	struct uv_priv *p = req->loop->data;
	struct uv_job *j = &p->job[(uintptr_t)req->data];

	if (req->result < 0)
		job_fail(j, req->result,
			 j->write ? "uv_fs_write" : "uv_fs_read");
	else
		j->res = req->result;
	uv_fs_req_cleanup(req);
	job_close(req, j);
}

static void on_open(uv_fs_t *req)
{
	struct uv_priv *p = req->loop->data;
	struct uv_job *j = &p->job[(uintptr_t)req->data];
	uv_buf_t b = uv_buf_init(j->buf, (unsigned)j->len);
	int r;

	if (req->result < 0) {
		job_fail(j, req->result, "uv_fs_open");
		uv_fs_req_cleanup(req);
		job_done(req, j);
		return;
	}
	j->file = (uv_file)req->result;
	uv_fs_req_cleanup(req);
	if (j->write)
		r = uv_fs_write(req->loop, req, j->file, &b, 1, 0, on_rw);
	else
		r = uv_fs_read(req->loop, req, j->file, &b, 1, 0, on_rw);
	if (r < 0) {
		job_fail(j, r,
			 j->write ? "uv_fs_write submit" : "uv_fs_read submit");
		job_close(req, j);
	}
}

static int file_job(struct eng_ctx *c, unsigned slot, enum op op,
		    const char *path, void *buf, size_t len)
{
	struct uv_priv *p = c->priv;
	uv_fs_t *req = &p->req[slot];
	struct uv_job *j = &p->job[slot];

	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->len = len;
	j->write = op == OP_WRITE;
	j->file = -1;
	req->data = (void *)(uintptr_t)slot;
	if (j->write)
		return uv_fs_open(&p->loop, req, path,
				  O_CREAT | O_WRONLY | O_TRUNC, 0600, on_open);
	return uv_fs_open(&p->loop, req, path, O_RDONLY, 0, on_open);
}

static int setup(struct eng_ctx *c)
{
	struct uv_priv *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->c = c;
	p->req = calloc(c->depth, sizeof(*p->req));
	p->job = calloc(c->depth, sizeof(*p->job));
	p->q = calloc(c->depth, sizeof(*p->q));
	if (!p->req || !p->job || !p->q)
		return -ENOMEM;
	r = uv_loop_init(&p->loop);
	if (r < 0)
		return r;
	p->loop.data = p;
	return 0;
}

static int submit(struct eng_ctx *c, unsigned slot, enum op op, int fd,
		  void *buf, size_t len, off_t off, const char *path)
{
	struct uv_priv *p = c->priv;
	uv_fs_t *req = &p->req[slot];
	uv_buf_t b = uv_buf_init(buf, (unsigned)len);

	req->data = (void *)(uintptr_t)slot;
	if (op == OP_STATX) {
		p->job[slot].buf = buf;
		return uv_fs_stat(&p->loop, req, path, on_stat);
	}
	if (fd < 0)
		fd = c->fd;
	if (op == OP_READ)
		return uv_fs_read(&p->loop, req, fd, &b, 1, off, on_done);
	if (op == OP_WRITE)
		return uv_fs_write(&p->loop, req, fd, &b, 1, off, on_done);
	return uv_fs_fsync(&p->loop, req, fd, on_done);
}

static int reap(struct eng_ctx *c, unsigned min, struct done *d, unsigned max)
{
	struct uv_priv *p = c->priv;
	unsigned n = 0;

	for (;;) {
		while (p->n && n < max)
			d[n++] = p->q[--p->n];
		if (n >= min || !uv_loop_alive(&p->loop))
			return (int)n;
		uv_run(&p->loop, UV_RUN_ONCE);
	}
}

static void teardown(struct eng_ctx *c)
{
	struct uv_priv *p = c->priv;

	if (!p)
		return;
	if (p->req && p->job && p->q) {
		uv_run(&p->loop, UV_RUN_DEFAULT);
		uv_loop_close(&p->loop);
	}
	free(p->req);
	free(p->job);
	free(p->q);
	free(p);
	c->priv = NULL;
}

const struct engine eng_libuv = {
	.name = "libuv",
	.desc = "libuv uv_fs_* (its thread pool; small files: "
		"uv_fs_open, uv_fs_read, uv_fs_close chained; uv_fs_stat)",
	.ops = OP_READ | OP_WRITE | OP_FSYNC | OP_STATX,
	.setup = setup,
	.submit = submit,
	.reap = reap,
	.file_job = file_job,
	.teardown = teardown,
};
#else
static const char *uv_absent(void)
{
	return "absent: built without libuv (install libuv1-dev, rebuild)";
}

const struct engine eng_libuv = {
	.name = "libuv",
	.desc = "libuv uv_fs_*",
	.absent = uv_absent,
};
#endif
