// SPDX-License-Identifier: MIT
/*
 * Raw io_uring engines written for the benchmark (the "what the kernel
 * allows" reference), on bench/raw-ring.h:
 *   uring-plain  one io_uring_enter per request (fio's default), and a
 *                waiting io_uring_enter when no completion is ready;
 *   uring-tuned  requests batched into the io_uring_enter that waits, the
 *                file and the slot buffers registered (READ_FIXED etc.).
 * The ring belongs to one engine run, used by one thread: no locking.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "../raw-ring.h"
#include "bench.h"

struct uring_priv {
	struct raw_ring r;
	unsigned pending; /* SQEs written, not yet submitted */
	int tuned, files, bufs;
};

static int enter(int fd, unsigned submit, unsigned min, unsigned flags)
{
	long r = syscall(__NR_io_uring_enter, fd, submit, min, flags, NULL, 0);

	return r < 0 ? -errno : (int)r;
}

static int setup(struct eng_ctx *c, int tuned)
{
	struct uring_priv *p = calloc(1, sizeof(*p));
	unsigned entries = 8, i;
	struct iovec *iov;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->r.fd = -1;
	while (entries < c->depth)
		entries *= 2;
	if (raw_ring_open(&p->r, entries, entries * 2, 0) < 0)
		return -errno;
	p->tuned = tuned;
	if (!tuned)
		return 0;
	if (c->fd >= 0 && syscall(__NR_io_uring_register, p->r.fd,
				  IORING_REGISTER_FILES, &c->fd, 1) == 0)
		p->files = 1;
	iov = calloc(c->depth, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	for (i = 0; i < c->depth; i++) {
		iov[i].iov_base = c->bufs[i];
		iov[i].iov_len = c->bs;
	}
	if (syscall(__NR_io_uring_register, p->r.fd, IORING_REGISTER_BUFFERS,
		    iov, c->depth) == 0)
		p->bufs = 1;
	free(iov);
	return 0;
}

static int plain_setup(struct eng_ctx *c)
{
	return setup(c, 0);
}

static int tuned_setup(struct eng_ctx *c)
{
	return setup(c, 1);
}

static int submit(struct eng_ctx *c, unsigned slot, enum op op, int fd,
		  void *buf, size_t len, off_t off, const char *path)
{
	struct uring_priv *p = c->priv;
	unsigned tail = *p->r.sq_tail, idx = tail & *p->r.sq_mask;
	struct io_uring_sqe *sqe = &p->r.sqes[idx];
	int fixed_file = p->files && (fd < 0 || fd == c->fd);
	int fixed_buf = p->bufs && buf == c->bufs[slot];
	int r;

	memset(sqe, 0, sizeof(*sqe));
	sqe->fd = fd < 0 ? c->fd : fd;
	if (fixed_file) {
		sqe->fd = 0;
		sqe->flags = IOSQE_FIXED_FILE;
	}
	sqe->addr = (uintptr_t)buf;
	sqe->len = (unsigned)len;
	sqe->off = (uint64_t)off;
	sqe->user_data = slot;
	if (op == OP_READ) {
		sqe->opcode = fixed_buf ? IORING_OP_READ_FIXED : IORING_OP_READ;
		sqe->buf_index = (uint16_t)slot;
	} else if (op == OP_WRITE) {
		sqe->opcode =
			fixed_buf ? IORING_OP_WRITE_FIXED : IORING_OP_WRITE;
		sqe->buf_index = (uint16_t)slot;
	} else if (op == OP_FSYNC) {
		sqe->opcode = IORING_OP_FSYNC;
		sqe->addr = 0;
		sqe->len = 0;
		sqe->off = 0;
	} else {
		sqe->opcode = IORING_OP_STATX;
		sqe->flags = 0;
		sqe->fd = AT_FDCWD;
		sqe->addr = (uintptr_t)path;
		sqe->len = STATX_BASIC_STATS;
		sqe->off = (uintptr_t)buf; /* addr2: the struct statx */
	}
	p->r.sq_array[idx] = idx;
	__atomic_store_n(p->r.sq_tail, tail + 1, __ATOMIC_RELEASE);
	p->pending++;
	if (p->tuned)
		return 0;
	p->pending = 0;
	r = enter(p->r.fd, 1, 0, 0);
	return r < 0 ? r : 0;
}

static unsigned harvest(struct uring_priv *p, struct done *d, unsigned max)
{
	unsigned head = *p->r.cq_head, n = 0;
	unsigned tail = __atomic_load_n(p->r.cq_tail, __ATOMIC_ACQUIRE);

	while (head != tail && n < max) {
		struct io_uring_cqe *cqe = &p->r.cqes[head & *p->r.cq_mask];

		d[n].slot = (unsigned)cqe->user_data;
		d[n++].res = cqe->res;
		head++;
	}
	__atomic_store_n(p->r.cq_head, head, __ATOMIC_RELEASE);
	return n;
}

static int reap(struct eng_ctx *c, unsigned min, struct done *d, unsigned max)
{
	struct uring_priv *p = c->priv;
	unsigned n = harvest(p, d, max);
	int r;

	while (n < min || p->pending) {
		r = enter(p->r.fd, p->pending, n < min ? min - n : 0,
			  n < min ? IORING_ENTER_GETEVENTS : 0);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
			return r;
		if (r > 0)
			p->pending -= (unsigned)r > p->pending ? p->pending
							       : (unsigned)r;
		n += harvest(p, d + n, max - n);
	}
	return (int)n;
}

static void teardown(struct eng_ctx *c)
{
	struct uring_priv *p = c->priv;

	if (p && p->r.fd >= 0)
		raw_ring_close(&p->r);
	free(p);
	c->priv = NULL;
}

const struct engine eng_uring_plain = {
	.name = "uring-plain",
	.desc = "raw io_uring, one io_uring_enter per request",
	.ops = OP_READ | OP_WRITE | OP_FSYNC | OP_STATX,
	.setup = plain_setup,
	.submit = submit,
	.reap = reap,
	.teardown = teardown,
};

const struct engine eng_uring_tuned = {
	.name = "uring-tuned",
	.desc = "raw io_uring, batched submission, registered file and buffers",
	.ops = OP_READ | OP_WRITE | OP_FSYNC | OP_STATX,
	.setup = tuned_setup,
	.submit = submit,
	.reap = reap,
	.teardown = teardown,
};
