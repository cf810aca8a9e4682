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
 * xaio_copy_file (H5Ocopy of an object with its attributes): one pool
 * operation on two paths (built with xaio__named2, ordered by path on
 * both) whose worker (xaio__run_copy_file) opens the source, creates the
 * copy, copies the bytes with the code above (a FICLONE clone, else
 * copy_data), then the extended attributes, owner, times and mode (last:
 * a chown clears set-user-ID bits), and closes both; a failure removes a
 * copy it created.  The destination path and the arguments travel in one
 * block the operation owns: op->path2 is the path (a string, for the
 * ordering and the error record) followed by a struct file_args.
 *
 * No locks of its own; one hint (noclone_dev, atomic): the device whose
 * file system refused a clone last.
 */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
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
	xaio__done_with(-1, buf, 0);
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

/* After the destination path's NUL in op->path2 (see the top). */
struct file_args {
	struct xaio_copy_info *info; /* the caller's, or NULL */
};

static struct file_args *file_args_of(const char *path2)
{
	uintptr_t p = (uintptr_t)(path2 + strlen(path2) + 1);
	size_t al = _Alignof(struct file_args);

	return (struct file_args *)((p + al - 1) & ~(uintptr_t)(al - 1));
}

/* The source's extended attributes onto dst; -1 with errno. */
static int copy_xattrs(int src, int dst)
{
	size_t lsz = 0, vsz = 0;
	char *names = NULL, *val = NULL;
	ssize_t n, v;
	int r = -1, e;

	for (;;) {
		n = flistxattr(src, names, lsz);
		if (n < 0 && errno == ERANGE && lsz) {
			lsz = 0; /* grew meanwhile: measure again */
			continue;
		}
		if (n < 0) {
			if (errno == ENOTSUP)
				r = 0; /* a file system without them */
			goto out;
		}
		if (n == 0) {
			r = 0;
			goto out;
		}
		if (lsz)
			break;
		free(names);
		lsz = (size_t)n;
		if (!(names = malloc(lsz)) ||
		    (!val && !(val = malloc(vsz = 4096)))) {
			errno = ENOMEM;
			goto out;
		}
	}
	for (char *nm = names; nm < names + n; nm += strlen(nm) + 1) {
		while ((v = fgetxattr(src, nm, val, vsz)) < 0 &&
		       errno == ERANGE) {
			char *nv;

			/* Larger than val: measured, val grown, again. */
			if ((v = fgetxattr(src, nm, NULL, 0)) < 0)
				break;
			if (!(nv = realloc(val, (size_t)v + 1))) {
				errno = ENOMEM;
				goto out;
			}
			val = nv;
			vsz = (size_t)v + 1;
		}
		if (v < 0 && errno == ENODATA)
			continue; /* removed meanwhile */
		if (v < 0)
			goto out;
		if (fsetxattr(dst, nm, val, (size_t)v, 0) == 0)
			continue;
		/* No attributes there; a name the caller may not set. */
		if (errno == ENOTSUP ||
		    (errno == EPERM && strncmp(nm, "user.", 5)))
			continue;
		goto out;
	}
	r = 0;
out:
	e = errno;
	free(names);
	free(val);
	errno = e;
	return r;
}

/* As cp -a: the owner, else the group alone; EPERM then is not an error
 * unless the caller is root. */
static int copy_owner(int dst, const struct stat *ss, const struct stat *ds)
{
	if (ss->st_uid == ds->st_uid && ss->st_gid == ds->st_gid)
		return 0;
	if (fchown(dst, ss->st_uid, ss->st_gid) == 0)
		return 0;
	if (errno != EPERM)
		return -1;
	if (ss->st_gid != ds->st_gid && fchown(dst, (uid_t)-1, ss->st_gid) == 0)
		return 0;
	if (errno == EPERM && geteuid() != 0)
		return 0;
	return -1;
}

/*
 * The copy's open: O_EXCL; with XAIO_COPY_REPLACE an existing regular
 * file (not src itself) is opened and emptied instead.  *made: created.
 */
static int open_dst(int dir, const char *path, unsigned int fl,
		    const struct stat *ss, bool *made, struct stat *ds)
{
	const int of = O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
	mode_t mode = (fl & XAIO_COPY_MODE) ? 0600 : 0666;
	int fd = openat(dir, path, of | O_CREAT | O_EXCL, mode);

	*made = fd >= 0;
	if (fd < 0 && (errno != EEXIST || !(fl & XAIO_COPY_REPLACE)))
		return -1;
	if (fd < 0 && (fd = openat(dir, path, of | O_NONBLOCK)) < 0)
		return -1;
	if (*made) {
		ds->st_uid = (uid_t)-1; /* not known: owner always set */
		ds->st_gid = (gid_t)-1;
		return fd;
	}
	if (fstat(fd, ds) < 0)
		goto fail;
	if (!S_ISREG(ds->st_mode)) {
		errno = S_ISDIR(ds->st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (ds->st_dev == ss->st_dev && ds->st_ino == ss->st_ino) {
		errno = EINVAL; /* the source itself: never emptied */
		goto fail;
	}
	if (ftruncate(fd, 0) == 0 &&
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0)
		return fd;
fail:
	return xaio__done_with(fd, NULL, -1);
}

/* A device whose file system refused FICLONE (EOPNOTSUPP), + 1: not
 * asked again (the one piece of state here; a relaxed hint). */
static _Atomic uint64_t noclone_dev;

/* The bytes of src (ss: its fstat) into the empty dst: the count. */
static int64_t file_data(int src, const struct stat *ss, int dst,
			 unsigned int fl)
{
	uint64_t size = (uint64_t)ss->st_size, dev = (uint64_t)ss->st_dev + 1;
	bool cfr = !(fl & XAIO_COPY_RW);
	char *buf = NULL;
	int64_t n;

	if (!(fl & (XAIO_COPY_NOCLONE | XAIO_COPY_RW)) &&
	    ((fl & XAIO_COPY_CLONE) ||
	     atomic_load_explicit(&noclone_dev, memory_order_relaxed) != dev)) {
		if (ioctl(dst, FICLONE, src) == 0)
			return (int64_t)size;
		if (fl & XAIO_COPY_CLONE)
			return -1;
		if (errno == EOPNOTSUPP)
			atomic_store_explicit(&noclone_dev, dev,
					      memory_order_relaxed);
	}
	/* Sparse (fewer blocks than bytes): segment by segment; else no
	 * holes to look for, the bytes at once (as cp). */
	if ((uint64_t)ss->st_blocks * 512 < size)
		return copy_data(src, 0, dst, 0, size, 0, cfr);
	n = copy_bytes(src, 0, dst, 0, size, &cfr, &buf);
	return xaio__done_with(-1, buf, n);
}

/*
 * req: fd (source directory), path (source), arg2 (destination
 * directory), buf (destination path + struct file_args), arg (flags).
 */
int64_t xaio__run_copy_file(struct xaio__req *req)
{
	const char *dpath = req->buf;
	struct xaio_copy_info *info = file_args_of(dpath)->info;
	unsigned int fl = req->arg;
	int ddir = (int)req->arg2, src, dst = -1, e;
	uint32_t step = XAIO_COPY_STEP_OPEN;
	struct stat ss, ds;
	bool made = false;
	int64_t n = 0;

	src = openat(req->fd, req->path,
		     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (src < 0)
		goto fail;
	if (fstat(src, &ss) < 0)
		goto fail;
	if (!S_ISREG(ss.st_mode)) {
		errno = S_ISDIR(ss.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	step = XAIO_COPY_STEP_CREATE;
	if ((dst = open_dst(ddir, dpath, fl, &ss, &made, &ds)) < 0)
		goto fail;
	step = XAIO_COPY_STEP_DATA;
	if (ss.st_size > 0 && (n = file_data(src, &ss, dst, fl)) < 0)
		goto fail;
	step = XAIO_COPY_STEP_XATTRS;
	if ((fl & XAIO_COPY_XATTRS) && copy_xattrs(src, dst) < 0)
		goto fail;
	step = XAIO_COPY_STEP_OWNER;
	if ((fl & XAIO_COPY_OWNER) && copy_owner(dst, &ss, &ds) < 0)
		goto fail;
	step = XAIO_COPY_STEP_TIMES;
	if (fl & XAIO_COPY_TIMES) {
		struct timespec ts[2] = {ss.st_atim, ss.st_mtim};

		if (futimens(dst, ts) < 0)
			goto fail;
	}
	step = XAIO_COPY_STEP_MODE;
	if ((fl & XAIO_COPY_MODE) && fchmod(dst, ss.st_mode & 07777) < 0)
		goto fail;
	step = XAIO_COPY_STEP_CLOSE;
	e = close(dst);
	dst = -1;
	if (e < 0 && errno != EINTR)
		goto fail;
	close(src);
	if (info)
		*info = (struct xaio_copy_info){.bytes = n,
						.dev = (uint64_t)ss.st_dev,
						.ino = (uint64_t)ss.st_ino,
						.nlink = (uint64_t)ss.st_nlink};
	return n;
fail:
	e = errno;
	if (dst >= 0)
		close(dst);
	if (src >= 0)
		close(src);
	if (made)
		unlinkat(ddir, dpath, 0);
	if (info) {
		*info = (struct xaio_copy_info){
			.bytes = n > 0 ? n : 0, .step = step, .error = e};
		if (step > XAIO_COPY_STEP_OPEN) {
			info->dev = (uint64_t)ss.st_dev;
			info->ino = (uint64_t)ss.st_ino;
			info->nlink = (uint64_t)ss.st_nlink;
		}
	}
	errno = e;
	return -1;
}

int xaio_copy_file_loc(struct xaio_srcloc loc, struct xaio_file *srcdir,
		       const char *srcpath, struct xaio_file *dstdir,
		       const char *dstpath, unsigned int flags,
		       struct xaio_copy_info *info, const struct xaio_opt *opt,
		       struct xaio_evset *es)
{
	const unsigned int all = XAIO_COPY_CLONE | XAIO_COPY_NOCLONE |
				 XAIO_COPY_RW | XAIO_COPY_PRESERVE |
				 XAIO_COPY_REPLACE;
	size_t pl, al = _Alignof(struct file_args);
	struct xaio__task *op;
	char *block;
	int r;

	if (info)
		*info = (struct xaio_copy_info){0};
	if ((flags & ~all) || ((flags & XAIO_COPY_CLONE) &&
			       (flags & (XAIO_COPY_NOCLONE | XAIO_COPY_RW))))
		return -EINVAL;
	op = xaio__named2(loc, "xaio_copy_file", XAIO__OP_COPY_FILE, srcdir,
			  srcpath, dstdir, dstpath, true, flags, opt, &r);
	if (!op)
		return r;
	if (op->bufpol) /* no buffer of the caller's */
		return xaio__op_drop(op, -EINVAL);
	/* The path, then (aligned) the arguments: see the top. */
	pl = strlen(op->path2) + 1;
	if (!(block = realloc(op->path2, pl + al + sizeof(struct file_args))))
		return xaio__op_drop(op, -ENOMEM);
	op->path2 = block;
	op->buf = block;
	file_args_of(block)->info = info;
	return xaio__go(op, opt, es);
}

int xaio_copy_file(struct xaio_file *srcdir, const char *srcpath,
		   struct xaio_file *dstdir, const char *dstpath,
		   unsigned int flags, struct xaio_copy_info *info,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_copy_file_loc(xaio__noloc, srcdir, srcpath, dstdir, dstpath,
				  flags, info, opt, es);
}
