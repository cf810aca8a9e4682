// SPDX-License-Identifier: MIT
/*
 * The operation table: for every operation the engine runs, how the ring
 * runs it (an SQE opcode and the fields it needs), how a pool worker runs
 * it (one system call), and what the engine must know about it (does it
 * name a descriptor the fd table orders, does it change the file, must it
 * wait for everything before it on its descriptor).  Adding an operation
 * is adding a row here and its enum value in core/internal.h.
 *
 * Request fields by operation (struct xaio__req):
 *   read/write     fd, buf, len, off
 *   readv/writev   fd, buf (struct iovec *), len (count), off
 *   fsync, fdatasync, close   fd
 *   openat         fd (directory or AT_FDCWD), path, arg (flags), arg2 (mode)
 *   ftruncate      fd, len (the new size)
 *   fallocate      fd, off, len, arg (mode)
 *   statx          fd (directory or AT_FDCWD), path, arg (AT_* flags),
 *                  arg2 (mask), buf (struct statx *)
 *   mkdirat        fd (directory or AT_FDCWD), path, arg (mode)
 *   unlinkat       fd (directory or AT_FDCWD), path, arg (0 or AT_REMOVEDIR)
 *   renameat, linkat   fd (old directory), path (old), arg2 (new directory),
 *                  buf (new path), arg (RENAME_* or AT_* flags)
 *   symlinkat      fd (directory or AT_FDCWD), path (the link), buf (target)
 *   readlinkat     fd (directory or AT_FDCWD), path, buf, len (its size)
 *   faccessat      fd (directory or AT_FDCWD), path, arg (mode),
 *                  arg2 (AT_* flags)
 *   the directory operations of file/dir.c (run there, on the pool):
 *                  fd (directory or AT_FDCWD), path (the directory);
 *     readdir      buf (struct xaio_listing **: the operation's slot)
 *     dirinfo      buf (struct statx *, or NULL), arg2 (mask)
 *     dirent_nth   off (n), buf, len (its size)
 *     remove_nth   off (n)
 *     exists       (path: the entry)
 *     open_nth     off (n), arg (flags), arg2 (mode)
 *   xattr ops      fd (the file's, or a directory or AT_FDCWD), path (by
 *                  path; else ""), buf (struct xaio__xattr *: file/xattr.h)
 *   copy           fd (destination), arg2 (source), off (destination
 *                  offset), len, buf (file/copy.c's arguments)
 *   copy_file      fd (source directory or AT_FDCWD), path (source),
 *                  arg2 (destination directory), buf (destination path,
 *                  then file/copy.c's arguments), arg (XAIO_COPY_*)
 *   map_create     as openat, arg2 the directory's mode
 *   map_put, map_get   fd (the map), path (the key), buf, len (the value,
 *                  the caller's buffer)
 *   map_delete     fd (the map), path (the key)
 *   ref_get        fd (directory or AT_FDCWD), path, arg (AT_* flags),
 *                  buf (struct xaio_ref *, filled in)
 *   ref_open       fd (on the file system, or AT_FDCWD), arg (flags),
 *                  buf (the struct xaio_ref)
 *   the metadata changes of file/meta.c (run there, on the pool): fd (the
 *                  handle's descriptor, path "", or a directory or
 *                  AT_FDCWD and path), arg2 (AT_SYMLINK_NOFOLLOW or 0);
 *     chmod        arg (mode)
 *     chown        off (uid), len (gid)
 *     utimens      buf (struct timespec[2])
 *
 * No state, no locks: the table is constant.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/internal.h"
#include "file/dir.h"
#include "file/meta.h"
#include "file/xattr.h"

/* --- how a pool worker runs each (one call: result, or -1 and errno) --- */

int64_t xaio__done_with(int fd, void *p, int64_t r)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	free(p);
	errno = e;
	return r;
}

void xaio__put_name(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = len < size ? len : size - 1;

	if (!size)
		return;
	memcpy(buf, s, n);
	buf[n] = 0;
}

/*
 * A POSIX request on a descriptor that turned out not to seek (a stream
 * the engine did not know about) falls back to the call without offset;
 * a native one fails as pread(2) would.
 */
static bool unpositioned(const struct xaio__req *req)
{
	return req->flags & XAIO__RF_STREAM;
}

static bool stream_retry(const struct xaio__req *req, ssize_t r)
{
	return r < 0 && errno == ESPIPE && !(req->flags & XAIO__RF_NATIVE);
}

static int64_t run_read(struct xaio__req *req)
{
	ssize_t r = -1;

	errno = ESPIPE;
	if (!unpositioned(req))
		r = pread(req->xfd, req->buf, req->len, req->off);
	if (unpositioned(req) || stream_retry(req, r))
		r = read(req->xfd, req->buf, req->len);
	return r;
}

static int64_t run_write(struct xaio__req *req)
{
	ssize_t r = -1;

	errno = ESPIPE;
	if (!unpositioned(req))
		r = pwrite(req->xfd, req->buf, req->len, req->off);
	if (unpositioned(req) || stream_retry(req, r))
		r = write(req->xfd, req->buf, req->len);
	return r;
}

static int64_t run_readv(struct xaio__req *req)
{
	ssize_t r = -1;

	errno = ESPIPE;
	if (!unpositioned(req))
		r = preadv(req->xfd, req->buf, (int)req->len, req->off);
	if (unpositioned(req) || stream_retry(req, r))
		r = readv(req->xfd, req->buf, (int)req->len);
	return r;
}

static int64_t run_writev(struct xaio__req *req)
{
	ssize_t r = -1;

	errno = ESPIPE;
	if (!unpositioned(req))
		r = pwritev(req->xfd, req->buf, (int)req->len, req->off);
	if (unpositioned(req) || stream_retry(req, r))
		r = writev(req->xfd, req->buf, (int)req->len);
	return r;
}

static int64_t run_fsync(struct xaio__req *req)
{
	return fsync(req->xfd);
}

static int64_t run_fdatasync(struct xaio__req *req)
{
	return fdatasync(req->xfd);
}

static int64_t run_openat(struct xaio__req *req)
{
	/* Never inherited by a program's exec unless it asked for that. */
	return openat(req->fd, req->path, (int)req->arg, (mode_t)req->arg2);
}

static int64_t run_close(struct xaio__req *req)
{
	/* Linux closes the descriptor even when close(2) says EINTR. */
	int r = close(req->xfd);

	return r < 0 && errno == EINTR ? 0 : r;
}

static int64_t run_ftruncate(struct xaio__req *req)
{
	return ftruncate(req->xfd, (off_t)req->len);
}

static int64_t run_fallocate(struct xaio__req *req)
{
	return fallocate(req->xfd, (int)req->arg, req->off, (off_t)req->len);
}

static int64_t run_statx(struct xaio__req *req)
{
	return statx(req->fd, req->path, (int)req->arg, req->arg2, req->buf);
}

static int64_t run_mkdirat(struct xaio__req *req)
{
	return mkdirat(req->fd, req->path, (mode_t)req->arg);
}

static int64_t run_unlinkat(struct xaio__req *req)
{
	return unlinkat(req->fd, req->path, (int)req->arg);
}

/* The second directory travels in arg2 (AT_FDCWD included). */
static int64_t run_renameat(struct xaio__req *req)
{
	return syscall(SYS_renameat2, req->fd, req->path, (int)req->arg2,
		       req->buf, req->arg);
}

static int64_t run_linkat(struct xaio__req *req)
{
	return linkat(req->fd, req->path, (int)req->arg2, req->buf,
		      (int)req->arg);
}

static int64_t run_symlinkat(struct xaio__req *req)
{
	return symlinkat(req->buf, req->fd, req->path);
}

/*
 * The target's whole length, with as much of it as fits in buf (len
 * bytes, len - 1 of them the target's) and a NUL, as snprintf(3) does.
 * readlinkat(2) cannot tell a target that filled buf from a longer one:
 * then it reads the link again into a buffer it grows until it has room.
 */
static int64_t run_readlinkat(struct xaio__req *req)
{
	char *out = req->buf, *tmp = NULL;
	size_t cap = PATH_MAX;
	ssize_t r = 0;

	if (req->len) {
		r = readlinkat(req->fd, req->path, out, req->len);
		if (r < 0 || (uint64_t)r < req->len) {
			if (r >= 0)
				out[r] = 0;
			return r;
		}
	}
	for (;; cap *= 2) {
		free(tmp);
		if (!(tmp = malloc(cap))) {
			errno = ENOMEM;
			return -1;
		}
		r = readlinkat(req->fd, req->path, tmp, cap);
		if (r < 0 || (size_t)r < cap)
			break;
	}
	if (r >= 0)
		xaio__put_name(out, req->len, tmp, (size_t)r);
	return xaio__done_with(-1, tmp, r);
}

static int64_t run_faccessat(struct xaio__req *req)
{
	long r = syscall(SYS_faccessat2, req->fd, req->path, (int)req->arg,
			 (int)req->arg2);

	/* Before Linux 5.8: the C library's emulation of the flags. */
	if (r < 0 && errno == ENOSYS)
		r = faccessat(req->fd, req->path, (int)req->arg,
			      (int)req->arg2);
	return r;
}

/* --- how the ring runs each (the fields beyond fd, user_data, flags) --- */

static void prep_rw(struct io_uring_sqe *sqe, const struct xaio__req *req)
{
	/* A stream has no offset: -1, "the current position", is ignored. */
	sqe->off = unpositioned(req) ? (uint64_t)-1 : (uint64_t)req->off;
	sqe->addr = (uint64_t)(uintptr_t)req->buf;
	/* Larger counts go to the pool (see classify() in engine.c). */
	sqe->len = (uint32_t)req->len;
	/* O_NONBLOCK on a stream: EAGAIN, as read(2) (the ring would wait). */
	if (req->flags & XAIO__RF_NBIO)
		sqe->rw_flags = RWF_NOWAIT;
}

static void prep_fsync(struct io_uring_sqe *sqe, const struct xaio__req *req)
{
	if (req->op == XAIO__OP_FDATASYNC)
		sqe->fsync_flags = IORING_FSYNC_DATASYNC;
}

static void prep_none(struct io_uring_sqe *sqe, const struct xaio__req *req)
{
	(void)sqe;
	(void)req;
}

static void prep_openat(struct io_uring_sqe *sqe, const struct xaio__req *req)
{
	sqe->addr = (uint64_t)(uintptr_t)req->path;
	sqe->open_flags = req->arg;
	sqe->len = req->arg2;
}

static void prep_ftruncate(struct io_uring_sqe *sqe,
			   const struct xaio__req *req)
{
	sqe->off = req->len;
}

static void prep_fallocate(struct io_uring_sqe *sqe,
			   const struct xaio__req *req)
{
	/* The kernel takes the length in addr and the mode in len. */
	sqe->off = (uint64_t)req->off;
	sqe->addr = req->len;
	sqe->len = req->arg;
}

static void prep_statx(struct io_uring_sqe *sqe, const struct xaio__req *req)
{
	sqe->addr = (uint64_t)(uintptr_t)req->path;
	sqe->statx_flags = req->arg;
	sqe->len = req->arg2;
	sqe->addr2 = (uint64_t)(uintptr_t)req->buf;
}

static void prep_mkdirat(struct io_uring_sqe *sqe, const struct xaio__req *req)
{
	sqe->addr = (uint64_t)(uintptr_t)req->path;
	sqe->len = req->arg;
}

static void prep_unlinkat(struct io_uring_sqe *sqe, const struct xaio__req *req)
{
	sqe->addr = (uint64_t)(uintptr_t)req->path;
	sqe->unlink_flags = req->arg;
}

/* renameat and linkat: the same fields (rename_flags is hardlink_flags). */
static void prep_twopath(struct io_uring_sqe *sqe, const struct xaio__req *req)
{
	sqe->addr = (uint64_t)(uintptr_t)req->path;
	sqe->len = req->arg2;
	sqe->addr2 = (uint64_t)(uintptr_t)req->buf;
	sqe->rename_flags = req->arg;
}

static void prep_symlinkat(struct io_uring_sqe *sqe,
			   const struct xaio__req *req)
{
	sqe->addr = (uint64_t)(uintptr_t)req->buf;
	sqe->addr2 = (uint64_t)(uintptr_t)req->path;
}

/* FSETXATTR, SETXATTR, FGETXATTR, GETXATTR: addr3 is the path ones' path. */
static void prep_xattr(struct io_uring_sqe *sqe, const struct xaio__req *req)
{
	const struct xaio__xattr *b = req->buf;

	sqe->addr = (uint64_t)(uintptr_t)b->name;
	sqe->addr2 = (uint64_t)(uintptr_t)b->value;
	sqe->len = (uint32_t)b->size; /* at most XATTR_SIZE_MAX */
	sqe->xattr_flags = b->flags;
	if (!b->on_fd)
		sqe->addr3 = (uint64_t)(uintptr_t)req->path;
}

#ifndef IORING_OP_FTRUNCATE
#define IORING_OP_FTRUNCATE 55 /* Linux 6.9; older headers lack it */
#endif

/* Column order: name, ring opcode, ring prep, pool run, properties. */
#define OP(n, ring, prep, run, props)                                          \
	{                                                                      \
		n, ring, props, prep, run                                      \
	}
#define FD XAIO__OPF_FD
#define RD XAIO__OPF_READS
#define WR XAIO__OPF_WRITES
#define DUR XAIO__OPF_DURABLE
#define BAR XAIO__OPF_BARRIER
#define RERUN XAIO__OPF_RERUN

const struct xaio__opdef xaio__ops[XAIO__OP_COUNT] = {
	[XAIO__OP_READ] =
		OP("read", IORING_OP_READ, prep_rw, run_read, FD | RD),
	[XAIO__OP_WRITE] =
		OP("write", IORING_OP_WRITE, prep_rw, run_write, FD | WR | DUR),
	[XAIO__OP_READV] =
		OP("readv", IORING_OP_READV, prep_rw, run_readv, FD | RD),
	[XAIO__OP_WRITEV] = OP("writev", IORING_OP_WRITEV, prep_rw, run_writev,
			       FD | WR | DUR),
	[XAIO__OP_FSYNC] = OP("fsync", IORING_OP_FSYNC, prep_fsync, run_fsync,
			      FD | DUR | BAR),
	[XAIO__OP_FDATASYNC] = OP("fdatasync", IORING_OP_FSYNC, prep_fsync,
				  run_fdatasync, FD | DUR | BAR),
	[XAIO__OP_OPENAT] =
		OP("openat", IORING_OP_OPENAT, prep_openat, run_openat, 0),
	[XAIO__OP_CLOSE] =
		OP("close", IORING_OP_CLOSE, prep_none, run_close, FD),
	[XAIO__OP_FTRUNCATE] =
		OP("ftruncate", IORING_OP_FTRUNCATE, prep_ftruncate,
		   run_ftruncate, FD | DUR | BAR),
	[XAIO__OP_FALLOCATE] =
		OP("fallocate", IORING_OP_FALLOCATE, prep_fallocate,
		   run_fallocate, FD | DUR | BAR),
	[XAIO__OP_STATX] =
		OP("statx", IORING_OP_STATX, prep_statx, run_statx, 0),
	[XAIO__OP_MKDIRAT] = OP("mkdirat", IORING_OP_MKDIRAT, prep_mkdirat,
				run_mkdirat, DUR),
	[XAIO__OP_UNLINKAT] = OP("unlinkat", IORING_OP_UNLINKAT, prep_unlinkat,
				 run_unlinkat, DUR),
	[XAIO__OP_RENAMEAT] = OP("renameat", IORING_OP_RENAMEAT, prep_twopath,
				 run_renameat, DUR),
	[XAIO__OP_LINKAT] =
		OP("linkat", IORING_OP_LINKAT, prep_twopath, run_linkat, DUR),
	[XAIO__OP_SYMLINKAT] = OP("symlinkat", IORING_OP_SYMLINKAT,
				  prep_symlinkat, run_symlinkat, DUR),
	/* No opcodes: the pool runs them. */
	[XAIO__OP_READLINKAT] =
		OP("readlinkat", XAIO__RING_NONE, prep_none, run_readlinkat, 0),
	[XAIO__OP_FACCESSAT] =
		OP("faccessat", XAIO__RING_NONE, prep_none, run_faccessat, 0),
	/* Several calls each, on a worker (file/dir.c). */
	[XAIO__OP_READDIR] = OP("readdir", XAIO__RING_NONE, prep_none,
				xaio__run_readdir, XAIO__OPF_BELOW),
	[XAIO__OP_DIRINFO] = OP("dirinfo", XAIO__RING_NONE, prep_none,
				xaio__run_dirinfo, XAIO__OPF_BELOW),
	[XAIO__OP_DIRENT_NTH] = OP("dirent_nth", XAIO__RING_NONE, prep_none,
				   xaio__run_dirent_nth, XAIO__OPF_BELOW),
	[XAIO__OP_REMOVE_NTH] = OP("remove_nth", XAIO__RING_NONE, prep_none,
				   xaio__run_remove_nth, DUR | XAIO__OPF_BELOW),
	[XAIO__OP_EXISTS] =
		OP("exists", XAIO__RING_NONE, prep_none, xaio__run_exists, 0),
	[XAIO__OP_OPEN_NTH] = OP("open_nth", XAIO__RING_NONE, prep_none,
				 xaio__run_open_nth, XAIO__OPF_BELOW),
	/*
	 * Extended attributes (file/xattr.c).  A get too large for its
	 * buffer is run again on the pool, which measures it (RERUN); the
	 * *AT rows are the path forms the ring cannot do (relative to a
	 * directory handle, or not following links).
	 */
	[XAIO__OP_FSETXATTR] = OP("fsetxattr", IORING_OP_FSETXATTR, prep_xattr,
				  xaio__run_setxattr, DUR),
	[XAIO__OP_SETXATTR] = OP("setxattr", IORING_OP_SETXATTR, prep_xattr,
				 xaio__run_setxattr, DUR),
	[XAIO__OP_SETXATTRAT] = OP("setxattrat", XAIO__RING_NONE, prep_none,
				   xaio__run_setxattr, DUR),
	[XAIO__OP_RENAMEXATTR] = OP("renamexattr", XAIO__RING_NONE, prep_none,
				    xaio__run_renamexattr, DUR),
	[XAIO__OP_REMOVEXATTR] = OP("removexattr", XAIO__RING_NONE, prep_none,
				    xaio__run_removexattr, DUR),
	[XAIO__OP_FGETXATTR] = OP("fgetxattr", IORING_OP_FGETXATTR, prep_xattr,
				  xaio__run_getxattr, RERUN),
	[XAIO__OP_GETXATTR] = OP("getxattr", IORING_OP_GETXATTR, prep_xattr,
				 xaio__run_getxattr, RERUN),
	[XAIO__OP_GETXATTRAT] = OP("getxattrat", XAIO__RING_NONE, prep_none,
				   xaio__run_getxattr, 0),
	[XAIO__OP_HASXATTR] = OP("hasxattr", XAIO__RING_NONE, prep_none,
				 xaio__run_hasxattr, 0),
	[XAIO__OP_LISTXATTR] = OP("listxattr", XAIO__RING_NONE, prep_none,
				  xaio__run_listxattr, 0),
	[XAIO__OP_XATTRNAME] = OP("xattrname", XAIO__RING_NONE, prep_none,
				  xaio__run_xattrname, 0),
	/* Several steps on the worker (see the file named in internal.h). */
	[XAIO__OP_COPY] =
		OP("copy", XAIO__RING_NONE, prep_none, xaio__run_copy, DUR),
	[XAIO__OP_COPY_FILE] = OP("copy_file", XAIO__RING_NONE, prep_none,
				  xaio__run_copy_file, DUR),
	[XAIO__OP_MAP_CREATE] = OP("map_create", XAIO__RING_NONE, prep_none,
				   xaio__run_map_create, DUR),
	[XAIO__OP_MAP_PUT] = OP("map_put", XAIO__RING_NONE, prep_none,
				xaio__run_map_put, DUR),
	[XAIO__OP_MAP_GET] =
		OP("map_get", XAIO__RING_NONE, prep_none, xaio__run_map_get, 0),
	[XAIO__OP_MAP_DELETE] = OP("map_delete", XAIO__RING_NONE, prep_none,
				   xaio__run_map_delete, DUR),
	[XAIO__OP_REF_GET] =
		OP("ref_get", XAIO__RING_NONE, prep_none, xaio__run_ref_get, 0),
	[XAIO__OP_REF_OPEN] = OP("ref_open", XAIO__RING_NONE, prep_none,
				 xaio__run_ref_open, 0),
	/* Metadata changes (file/meta.c); barriers on a handle. */
	[XAIO__OP_CHMOD] = OP("chmod", XAIO__RING_NONE, prep_none,
			      xaio__run_chmod, DUR | XAIO__OPF_BELOW),
	[XAIO__OP_CHOWN] = OP("chown", XAIO__RING_NONE, prep_none,
			      xaio__run_chown, DUR | XAIO__OPF_BELOW),
	[XAIO__OP_UTIMENS] = OP("utimens", XAIO__RING_NONE, prep_none,
				xaio__run_utimens, DUR | XAIO__OPF_BELOW),
};
