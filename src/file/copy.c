// SPDX-License-Identifier: MIT
/*
 * xaio_copy (HDF5's H5Ocopy on plain files): the call, and the pool
 * worker's run function that does every step of one copy.
 *
 * The operation is on two handles, src and dst (either may be a future):
 * it is built as an operation relative to dst (op->dir) with a second
 * handle src (op->dir2, order2: the engine gets src's descriptor in arg2
 * when it issues it), and it is a barrier on both: it runs after every
 * earlier operation on either handle and before every later one.  A copy
 * reads a range of src and writes a range of dst; ordering it as a read
 * and a write of those ranges would need two ranges per operation, which
 * file.c's ordering does not have, and a barrier is always correct.  The
 * source offset and the flags travel in a small block the operation owns
 * (op->path2, which op_put frees; op->buf points to it).
 *
 * On the worker (xaio__run_copy): a reflink clone of the range
 * (FICLONERANGE) where the file system can; else, segment by segment of
 * src's data (SEEK_DATA/SEEK_HOLE, so holes stay holes), copy_file_range(2)
 * or, where that is refused, a read/write loop.
 *
 * No state and no locks of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file/calls.h"

#define RW_CHUNK (256u * 1024u) /* the read/write loop's buffer */

struct copy_args {
	int64_t src_off;
	uint32_t flags;
};

/* Zeros for the part of a hole that lands on dst's old data. */
static int zero_fill(int dst, off_t off, uint64_t len, char *buf)
{
	if (fallocate(dst, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
		      (off_t)len) == 0)
		return 0;
	memset(buf, 0, RW_CHUNK);
	while (len) {
		size_t n = len < RW_CHUNK ? (size_t)len : RW_CHUNK;
		ssize_t w = pwrite(dst, buf, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		off += w;
		len -= (uint64_t)w;
	}
	return 0;
}

/* Can copy_file_range not do it, where read/write can? */
static bool cfr_refused(int e)
{
	return e == EXDEV || e == EINVAL || e == EOPNOTSUPP || e == ENOSYS ||
	       e == EBADF || e == ETXTBSY || e == EPERM;
}

/*
 * Copies [so, so+len) of src to do in dst: the bytes copied (fewer at
 * src's end), or -1 with errno.  *cfr: copy_file_range may be tried.
 */
static int64_t copy_bytes(int src, off_t so, int dst, off_t doff, uint64_t len,
			  bool *cfr, char **buf)
{
	uint64_t done = 0;

	while (done < len && *cfr) {
		loff_t a = so + (off_t)done, b = doff + (off_t)done;
		size_t want = len - done > SSIZE_MAX / 2 ? SSIZE_MAX / 2
							 : (size_t)(len - done);
		ssize_t r = copy_file_range(src, &a, dst, &b, want, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && done == 0 && cfr_refused(errno)) {
			*cfr = false;
			break;
		}
		if (r < 0)
			return -1;
		if (r == 0)
			return (int64_t)done;
		done += (uint64_t)r;
	}
	if (done < len && !*buf && !(*buf = malloc(RW_CHUNK))) {
		errno = ENOMEM;
		return -1;
	}
	while (done < len) {
		size_t want =
			len - done < RW_CHUNK ? (size_t)(len - done) : RW_CHUNK;
		ssize_t r = pread(src, *buf, want, so + (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		for (ssize_t w, put = 0; put < r; put += w) {
			w = pwrite(dst, *buf + put, (size_t)(r - put),
				   doff + (off_t)done + put);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				if (w == 0)
					errno = EIO;
				return -1;
			}
		}
		done += (uint64_t)r;
	}
	return (int64_t)done;
}

/*
 * The copy without a clone: src's data segments are copied, its holes
 * skipped where dst has nothing yet (beyond dsize, its size at the start)
 * and punched (or zeroed) where it has; dst is extended at the end to
 * cover a trailing hole.
 */
static int64_t copy_data(int src, off_t so, int dst, off_t doff, uint64_t n,
			 off_t dsize, bool cfr)
{
	char *buf = NULL;
	uint64_t done = 0;
	int64_t r = 0;
	struct stat st;
	int e;

	while (done < n) {
		off_t pos = so + (off_t)done, end = so + (off_t)n;
		off_t data = lseek(src, pos, SEEK_DATA), hole;

		if (data < 0 && errno != ENXIO)
			data = pos; /* no SEEK_DATA: all of it is data */
		if (data < 0 || data > end)
			data = end; /* the rest is a hole */
		if (data > pos) {
			off_t d0 = doff + (off_t)done;
			uint64_t hl = (uint64_t)(data - pos), below = 0;

			if (d0 < dsize)
				below = (uint64_t)(dsize - d0) < hl
						? (uint64_t)(dsize - d0)
						: hl;
			if (below && !buf && !(buf = malloc(RW_CHUNK))) {
				errno = ENOMEM;
				r = -1;
				break;
			}
			if (below && zero_fill(dst, d0, below, buf) < 0) {
				r = -1;
				break;
			}
			done += hl;
			continue;
		}
		hole = lseek(src, pos, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		if (hole <= pos)
			hole = end;
		r = copy_bytes(src, pos, dst, doff + (off_t)done,
			       (uint64_t)(hole - pos), &cfr, &buf);
		if (r < 0)
			break;
		done += (uint64_t)r;
		if (r < hole - pos)
			break; /* src ended early (truncated meanwhile) */
	}
	e = errno;
	free(buf);
	errno = e;
	if (r < 0)
		return -1;
	if (done && fstat(dst, &st) == 0 && st.st_size < doff + (off_t)done &&
	    ftruncate(dst, doff + (off_t)done) < 0)
		return -1;
	return (int64_t)done;
}

/*
 * copy_data(), leaving src's file offset where it was: SEEK_DATA and
 * SEEK_HOLE move it, and the caller may use it (xaio_file_fd()).
 */
static int64_t copy_kept(int src, off_t so, int dst, off_t doff, uint64_t n,
			 off_t dsize, bool cfr)
{
	off_t keep = lseek(src, 0, SEEK_CUR);
	int64_t r = copy_data(src, so, dst, doff, n, dsize, cfr);
	int e = errno;

	if (keep >= 0)
		lseek(src, keep, SEEK_SET);
	errno = e;
	return r;
}

/*
 * req: fd dst, arg2 src, off the destination offset, len the length
 * (XAIO_COPY_ALL: to src's end), buf the struct copy_args.
 */
int64_t xaio__run_copy(struct xaio__req *req)
{
	const struct copy_args *a = req->buf;
	int dst = req->fd, src = (int)req->arg2, fl;
	off_t so = (off_t)a->src_off, doff = (off_t)req->off;
	struct stat ss, ds;
	uint64_t n;

	if (fstat(src, &ss) < 0 || fstat(dst, &ds) < 0)
		return -1;
	if (S_ISDIR(ss.st_mode) || S_ISDIR(ds.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(ss.st_mode) || !S_ISREG(ds.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	/* As copy_file_range(2): readable src, writable dst, no O_APPEND. */
	if ((fl = fcntl(src, F_GETFL)) < 0)
		return -1;
	if ((fl & O_ACCMODE) == O_WRONLY || (fl & O_PATH)) {
		errno = EBADF;
		return -1;
	}
	if ((fl = fcntl(dst, F_GETFL)) < 0)
		return -1;
	if ((fl & O_ACCMODE) == O_RDONLY || (fl & (O_APPEND | O_PATH))) {
		errno = EBADF;
		return -1;
	}
	n = so >= ss.st_size ? 0 : (uint64_t)(ss.st_size - so);
	if (req->len < n)
		n = req->len;
	if (n > (uint64_t)INT64_MAX - (uint64_t)doff) {
		errno = EFBIG;
		return -1;
	}
	if (ss.st_dev == ds.st_dev && ss.st_ino == ds.st_ino && n &&
	    so < doff + (off_t)n && doff < so + (off_t)n) {
		errno = EINVAL; /* overlapping ranges of one file */
		return -1;
	}
	if (n == 0)
		return 0;
	if (!(a->flags & (XAIO_COPY_NOCLONE | XAIO_COPY_RW))) {
		struct file_clone_range cr = {
			.src_fd = src,
			.src_offset = (uint64_t)so,
			.src_length = n,
			.dest_offset = (uint64_t)doff,
		};

		if (ioctl(dst, FICLONERANGE, &cr) == 0)
			return (int64_t)n;
		if (a->flags & XAIO_COPY_CLONE)
			return -1;
	}
	return copy_kept(src, so, dst, doff, n, ds.st_size,
			 !(a->flags & XAIO_COPY_RW));
}

int xaio_copy_loc(struct xaio_srcloc loc, struct xaio_file *src, off_t src_off,
		  struct xaio_file *dst, off_t dst_off, uint64_t len,
		  unsigned int flags, ssize_t *done, const struct xaio_opt *opt,
		  struct xaio_evset *es)
{
	const unsigned int all =
		XAIO_COPY_CLONE | XAIO_COPY_NOCLONE | XAIO_COPY_RW;
	struct copy_args *a;
	struct xaio__task *op;
	int r;

	if (done)
		*done = 0;
	if (!src || !dst || src_off < 0 || dst_off < 0 || (flags & ~all) ||
	    ((flags & XAIO_COPY_CLONE) &&
	     (flags & (XAIO_COPY_NOCLONE | XAIO_COPY_RW))))
		return -EINVAL;
	if (!xaio__usable(src))
		return -EBADF;
	op = xaio__on(loc, "xaio_copy", XAIO__OP_COPY, dst, opt, &r);
	if (!op)
		return r;
	if (op->bufpol) /* no buffer of the caller's */
		return xaio__op_drop(op, -EINVAL);
	if (!(a = malloc(sizeof(*a))))
		return xaio__op_drop(op, -ENOMEM);
	a->src_off = src_off;
	a->flags = flags;
	op->path2 = (char *)a;
	op->buf = a;
	/* Relative to dst, with src as the second handle: see the top. */
	op->file = NULL;
	op->dir = dst;
	op->dir2 = src;
	op->order2 = true;
	op->barrier = 1;
	op->off = dst_off;
	op->len = len;
	op->arg = flags;
	op->out = done;
	return xaio__go(op, opt, es);
}

int xaio_copy(struct xaio_file *src, off_t src_off, struct xaio_file *dst,
	      off_t dst_off, uint64_t len, unsigned int flags, ssize_t *done,
	      const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_copy_loc(xaio__noloc, src, src_off, dst, dst_off, len,
			     flags, done, opt, es);
}
