// SPDX-License-Identifier: MIT
/*
 * libuv's uv_fs_read/uv_fs_write/uv_fs_fsync/uv_fs_statx... on a private
 * loop (libuv runs them on its thread pool).  Built only when pkg-config
 * finds libuv (Debian's libuv1-dev); otherwise the engine reports itself
 * absent.  One thread drives the loop; the callbacks run on it.
 */
#include <errno.h>
#include <stdlib.h>

#include "bench.h"

#ifdef HAVE_LIBUV
#include <uv.h>

struct uv_priv {
	uv_loop_t loop;
	uv_fs_t *req;
	struct done *q;
	unsigned n;
};

static void on_done(uv_fs_t *req)
{
	struct uv_priv *p = req->loop->data;

	p->q[p->n].slot = (unsigned)(uintptr_t)req->data;
	p->q[p->n++].res = req->result;
	uv_fs_req_cleanup(req);
}

static int setup(struct eng_ctx *c)
{
	struct uv_priv *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->req = calloc(c->depth, sizeof(*p->req));
	p->q = calloc(c->depth, sizeof(*p->q));
	if (!p->req || !p->q)
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
	if (p->req && p->q) {
		uv_run(&p->loop, UV_RUN_DEFAULT);
		uv_loop_close(&p->loop);
	}
	free(p->req);
	free(p->q);
	free(p);
	c->priv = NULL;
}

const struct engine eng_libuv = {
	.name = "libuv",
	.desc = "libuv uv_fs_* (its thread pool)",
	.ops = OP_READ | OP_WRITE | OP_FSYNC,
	.setup = setup,
	.submit = submit,
	.reap = reap,
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
