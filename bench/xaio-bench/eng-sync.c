// SPDX-License-Identifier: MIT
/*
 * The synchronous engine: pread, pwrite, fsync and statx on the calling
 * thread, so it runs at depth 1 only.  submit does the call and keeps its
 * result for reap.  No locking: one thread per engine run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

struct sync_priv {
	struct done *q;
	unsigned n;
};

static int setup(struct eng_ctx *c)
{
	struct sync_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->q = calloc(c->depth, sizeof(*p->q));
	return p->q ? 0 : -ENOMEM;
}

static int submit(struct eng_ctx *c, unsigned slot, enum op op, int fd,
		  void *buf, size_t len, off_t off, const char *path)
{
	struct sync_priv *p = c->priv;
	ssize_t r;

	if (fd < 0)
		fd = c->fd;
	if (op == OP_READ)
		r = pread(fd, buf, len, off);
	else if (op == OP_WRITE)
		r = pwrite(fd, buf, len, off);
	else if (op == OP_FSYNC)
		r = fsync(fd);
	else
		r = statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, buf);
	p->q[p->n].slot = slot;
	p->q[p->n++].res = r < 0 ? -errno : r;
	return 0;
}

static int reap(struct eng_ctx *c, unsigned min, struct done *d, unsigned max)
{
	struct sync_priv *p = c->priv;
	unsigned n = 0;

	while (p->n && n < max)
		d[n++] = p->q[--p->n];
	return (int)n;
}

static void teardown(struct eng_ctx *c)
{
	struct sync_priv *p = c->priv;

	if (p)
		free(p->q);
	free(p);
	c->priv = NULL;
}

const struct engine eng_sync = {
	.name = "sync",
	.desc = "synchronous pread/pwrite/fsync/statx, depth 1",
	.ops = OP_READ | OP_WRITE | OP_FSYNC | OP_STATX,
	.sync = 1,
	.setup = setup,
	.submit = submit,
	.reap = reap,
	.teardown = teardown,
};
