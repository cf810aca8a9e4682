// SPDX-License-Identifier: MIT
/*
 * POSIX AIO engines: xaio's (aio_* as linked, from libxaio-posix) and
 * glibc's, the same functions taken from libc.so.6 by dlvsym so both run
 * in one process.  The code is shared: a table of seven functions.  Each
 * request is one aiocb per slot; reaping scans the slots in flight with
 * aio_error and sleeps in aio_suspend when none is done, as a POSIX AIO
 * program does.  One thread uses an engine at a time.
 */
#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct aio_fns {
	int (*read)(struct aiocb *);
	int (*write)(struct aiocb *);
	int (*fsync)(int, struct aiocb *);
	int (*error)(const struct aiocb *);
	ssize_t (*ret)(struct aiocb *);
	int (*suspend)(const struct aiocb *const[], int,
		       const struct timespec *);
};

struct aio_priv {
	const struct aio_fns *f;
	struct aiocb *cb;
	const struct aiocb **list;
	unsigned *busy, nbusy;
};

static const struct aio_fns xaio_fns = {aio_read,  aio_write,  aio_fsync,
					aio_error, aio_return, aio_suspend};

static struct aio_fns glibc_fns;
static const char *glibc_err;

static void *libc_sym(void *h, const char *name)
{
	void *p = dlvsym(h, name, "GLIBC_2.34");

	return p ? p : dlvsym(h, name, "GLIBC_2.2.5");
}

static const char *glibc_absent(void)
{
	static int done;
	void *h;

	if (done)
		return glibc_err;
	done = 1;
	h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	if (!h)
		return glibc_err = "absent: libc.so.6 not loaded";
	glibc_fns.read = (int (*)(struct aiocb *))libc_sym(h, "aio_read");
	glibc_fns.write = (int (*)(struct aiocb *))libc_sym(h, "aio_write");
	glibc_fns.fsync =
		(int (*)(int, struct aiocb *))libc_sym(h, "aio_fsync");
	glibc_fns.error =
		(int (*)(const struct aiocb *))libc_sym(h, "aio_error");
	glibc_fns.ret = (ssize_t(*)(struct aiocb *))libc_sym(h, "aio_return");
	glibc_fns.suspend =
		(int (*)(const struct aiocb *const[], int,
			 const struct timespec *))libc_sym(h, "aio_suspend");
	if (!glibc_fns.read || !glibc_fns.write || !glibc_fns.fsync ||
	    !glibc_fns.error || !glibc_fns.ret || !glibc_fns.suspend)
		glibc_err = "absent: libc has no GLIBC_2.34/2.2.5 aio_*";
	return glibc_err;
}

static int setup(struct eng_ctx *c, const struct aio_fns *f)
{
	struct aio_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->f = f;
	p->cb = calloc(c->depth, sizeof(*p->cb));
	p->list = calloc(c->depth, sizeof(*p->list));
	p->busy = calloc(c->depth, sizeof(*p->busy));
	c->priv = p;
	if (!p->cb || !p->list || !p->busy)
		return -ENOMEM;
	return 0;
}

static int xaio_setup(struct eng_ctx *c)
{
	return setup(c, &xaio_fns);
}

static int glibc_setup(struct eng_ctx *c)
{
	return setup(c, &glibc_fns);
}

static int submit(struct eng_ctx *c, unsigned slot, enum op op, int fd,
		  void *buf, size_t len, off_t off, const char *path)
{
	struct aio_priv *p = c->priv;
	struct aiocb *cb = &p->cb[slot];
	int r;

	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fd < 0 ? c->fd : fd;
	cb->aio_buf = buf;
	cb->aio_nbytes = len;
	cb->aio_offset = off;
	cb->aio_sigevent.sigev_notify = SIGEV_NONE;
	if (op == OP_READ)
		r = p->f->read(cb);
	else if (op == OP_WRITE)
		r = p->f->write(cb);
	else
		r = p->f->fsync(O_SYNC, cb);
	if (r < 0)
		return -errno;
	p->busy[p->nbusy++] = slot;
	return 0;
}

static int reap(struct eng_ctx *c, unsigned min, struct done *d, unsigned max)
{
	struct aio_priv *p = c->priv;
	unsigned i, n = 0;
	int e;

	for (;;) {
		for (i = 0; i < p->nbusy && n < max;) {
			struct aiocb *cb = &p->cb[p->busy[i]];

			e = p->f->error(cb);
			if (e == EINPROGRESS) {
				i++;
				continue;
			}
			d[n].slot = p->busy[i];
			d[n].res = p->f->ret(cb);
			if (d[n].res < 0)
				d[n].res = -e;
			n++;
			p->busy[i] = p->busy[--p->nbusy];
		}
		if (n >= min || !p->nbusy)
			return (int)n;
		for (i = 0; i < p->nbusy; i++)
			p->list[i] = &p->cb[p->busy[i]];
		if (p->f->suspend(p->list, (int)p->nbusy, NULL) < 0 &&
		    errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

static void teardown(struct eng_ctx *c)
{
	struct aio_priv *p = c->priv;
	struct done d[64];

	if (!p)
		return;
	while (p->nbusy && p->cb && reap(c, 1, d, 64) > 0)
		;
	free(p->cb);
	free(p->list);
	free(p->busy);
	free(p);
	c->priv = NULL;
}

const struct engine eng_xaio = {
	.name = "xaio",
	.desc = "xaio's POSIX AIO (libxaio-posix: aio_read, aio_suspend)",
	.ops = OP_READ | OP_WRITE | OP_FSYNC,
	.setup = xaio_setup,
	.submit = submit,
	.reap = reap,
	.teardown = teardown,
};

const struct engine eng_glibc = {
	.name = "glibc",
	.desc = "glibc's POSIX AIO (libc.so.6 aio_* by dlvsym, same process)",
	.ops = OP_READ | OP_WRITE | OP_FSYNC,
	.absent = glibc_absent,
	.setup = glibc_setup,
	.submit = submit,
	.reap = reap,
	.teardown = teardown,
};
