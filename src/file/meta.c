// SPDX-License-Identifier: MIT
/*
 * The calls that change a file's metadata (what a copy must preserve):
 * xaio_chmod / xaio_fchmod, xaio_chown / xaio_fchown and xaio_utimens /
 * xaio_futimens, each on a handle (which may be a future) and by path
 * (relative to a directory handle or the working directory); and how a
 * pool worker runs them (file/meta.h, their rows in core/ops.c: io_uring
 * has no opcode for any of them).
 *
 * On a handle each is a barrier, as xaio_ftruncate: it runs after every
 * earlier operation on the handle (the writes of a copy come before its
 * times) and every later one after it.  By path, in a set, each runs
 * after the set's earlier operations on the path, its parents and what is
 * below it (XAIO__OPF_BELOW: a directory's mode and times are set after
 * what was created inside it), and later ones there after it.  The times
 * of a utimens are copied at submission into the operation's own buffer
 * (xaio__task.copy, which the operation frees when it completes).
 *
 * No state and no locks of its own.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "file/calls.h"
#include "file/meta.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6; older headers lack it */
#endif

/* --- on the worker --- */

/* fchmod(2) on a handle (path ""), else fchmodat2(2) or the C library's. */
int64_t xaio__run_chmod(struct xaio__req *req)
{
	long r;

	if (!*req->path)
		return fchmod(req->fd, (mode_t)req->arg);
	if (!req->arg2)
		return fchmodat(req->fd, req->path, (mode_t)req->arg, 0);
	/* The kernel's own AT_SYMLINK_NOFOLLOW; before 6.6, glibc's. */
	r = syscall(SYS_fchmodat2, req->fd, req->path, (mode_t)req->arg,
		    (int)req->arg2);
	if (r < 0 && (errno == ENOSYS || errno == EPERM))
		r = fchmodat(req->fd, req->path, (mode_t)req->arg,
			     (int)req->arg2);
	return r;
}

/* The owner in off (uid) and len (gid); (uid_t)-1 leaves one as it is. */
int64_t xaio__run_chown(struct xaio__req *req)
{
	uid_t uid = (uid_t)req->off;
	gid_t gid = (gid_t)req->len;

	if (!*req->path)
		return fchown(req->fd, uid, gid);
	return fchownat(req->fd, req->path, uid, gid, (int)req->arg2);
}

/* The two timestamps in buf (struct timespec[2]). */
int64_t xaio__run_utimens(struct xaio__req *req)
{
	const struct timespec *ts = req->buf;

	if (!*req->path)
		return futimens(req->fd, ts);
	return utimensat(req->fd, req->path, ts, (int)req->arg2);
}

/* --- the calls --- */

/*
 * The operation: on handle f, or (f NULL) on path relative to dir with
 * flags (0 or AT_SYMLINK_NOFOLLOW).  NULL with *err: refused.
 */
static struct xaio__task *meta_op(struct xaio_srcloc loc, const char *api,
				  uint8_t kind, struct xaio_file *f,
				  struct xaio_file *dir, const char *path,
				  int flags, const struct xaio_opt *opt,
				  int *err)
{
	struct xaio__task *op;

	if (flags & ~AT_SYMLINK_NOFOLLOW) {
		*err = -EINVAL;
		return NULL;
	}
	if (!f)
		return xaio__named(loc, api, kind, dir, path, opt, err);
	op = xaio__on(loc, api, kind, f, opt, err);
	if (op && op->bufpol) {
		*err = xaio__op_drop(op, -EINVAL);
		return NULL;
	}
	if (op)
		op->barrier = 1; /* after the writes before it, as ftruncate */
	return op;
}

static int chmod_common(struct xaio_srcloc loc, const char *api,
			struct xaio_file *f, struct xaio_file *dir,
			const char *path, mode_t mode, int flags,
			const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (mode & ~(mode_t)07777)
		return -EINVAL;
	op = meta_op(loc, api, XAIO__OP_CHMOD, f, dir, path, flags, opt, &r);
	if (op) {
		op->arg = (uint32_t)mode;
		op->arg2 = (uint32_t)flags;
	}
	return xaio__go0(op, opt, es, r);
}

int xaio_chmod_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		   const char *path, mode_t mode, int flags,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	return chmod_common(loc, "xaio_chmod", NULL, dir, path, mode, flags,
			    opt, es);
}

int xaio_fchmod_loc(struct xaio_srcloc loc, struct xaio_file *f, mode_t mode,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	if (!f)
		return -EINVAL;
	return chmod_common(loc, "xaio_fchmod", f, NULL, NULL, mode, 0, opt,
			    es);
}

static int chown_common(struct xaio_srcloc loc, const char *api,
			struct xaio_file *f, struct xaio_file *dir,
			const char *path, uid_t uid, gid_t gid, int flags,
			const struct xaio_opt *opt, struct xaio_evset *es)
{
	int r;
	struct xaio__task *op =
		meta_op(loc, api, XAIO__OP_CHOWN, f, dir, path, flags, opt, &r);

	if (op) {
		op->off = (int64_t)uid;
		op->len = (uint64_t)gid;
		op->arg2 = (uint32_t)flags;
	}
	return xaio__go0(op, opt, es, r);
}

int xaio_chown_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		   const char *path, uid_t uid, gid_t gid, int flags,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	return chown_common(loc, "xaio_chown", NULL, dir, path, uid, gid, flags,
			    opt, es);
}

int xaio_fchown_loc(struct xaio_srcloc loc, struct xaio_file *f, uid_t uid,
		    gid_t gid, const struct xaio_opt *opt,
		    struct xaio_evset *es)
{
	if (!f)
		return -EINVAL;
	return chown_common(loc, "xaio_fchown", f, NULL, NULL, uid, gid, 0, opt,
			    es);
}

/* A timestamp utimensat(2) takes: nanoseconds, UTIME_NOW or UTIME_OMIT. */
static bool time_ok(const struct timespec *t)
{
	return (t->tv_nsec >= 0 && t->tv_nsec < 1000000000L) ||
	       t->tv_nsec == UTIME_NOW || t->tv_nsec == UTIME_OMIT;
}

static int utimens_common(struct xaio_srcloc loc, const char *api,
			  struct xaio_file *f, struct xaio_file *dir,
			  const char *path, const struct timespec *times,
			  int flags, const struct xaio_opt *opt,
			  struct xaio_evset *es)
{
	struct xaio__task *op;
	struct timespec *ts;
	int r;

	if (times && (!time_ok(&times[0]) || !time_ok(&times[1])))
		return -EINVAL;
	op = meta_op(loc, api, XAIO__OP_UTIMENS, f, dir, path, flags, opt, &r);
	if (!op)
		return r;
	ts = malloc(2 * sizeof(*ts));
	if (!ts)
		return xaio__op_drop(op, -ENOMEM);
	if (times) {
		memcpy(ts, times, 2 * sizeof(*ts));
	} else { /* NULL: both now, as utimensat(2) */
		ts[0] = (struct timespec){0, UTIME_NOW};
		ts[1] = ts[0];
	}
	op->copy = ts; /* the request's buf; freed with the operation */
	op->arg2 = (uint32_t)flags;
	/* For the error record, which outlives the copy. */
	op->off = (int64_t)ts[0].tv_sec;
	op->len = (uint64_t)ts[1].tv_sec;
	return xaio__go0(op, opt, es, 0);
}

int xaio_utimens_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		     const char *path, const struct timespec *times, int flags,
		     const struct xaio_opt *opt, struct xaio_evset *es)
{
	return utimens_common(loc, "xaio_utimens", NULL, dir, path, times,
			      flags, opt, es);
}

int xaio_futimens_loc(struct xaio_srcloc loc, struct xaio_file *f,
		      const struct timespec *times, const struct xaio_opt *opt,
		      struct xaio_evset *es)
{
	if (!f)
		return -EINVAL;
	return utimens_common(loc, "xaio_futimens", f, NULL, NULL, times, 0,
			      opt, es);
}

/* The same without a location. */
int xaio_chmod(struct xaio_file *dir, const char *path, mode_t mode, int flags,
	       const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_chmod_loc(xaio__noloc, dir, path, mode, flags, opt, es);
}

int xaio_fchmod(struct xaio_file *f, mode_t mode, const struct xaio_opt *opt,
		struct xaio_evset *es)
{
	return xaio_fchmod_loc(xaio__noloc, f, mode, opt, es);
}

int xaio_chown(struct xaio_file *dir, const char *path, uid_t uid, gid_t gid,
	       int flags, const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_chown_loc(xaio__noloc, dir, path, uid, gid, flags, opt, es);
}

int xaio_fchown(struct xaio_file *f, uid_t uid, gid_t gid,
		const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_fchown_loc(xaio__noloc, f, uid, gid, opt, es);
}

int xaio_utimens(struct xaio_file *dir, const char *path,
		 const struct timespec *times, int flags,
		 const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_utimens_loc(xaio__noloc, dir, path, times, flags, opt, es);
}

int xaio_futimens(struct xaio_file *f, const struct timespec *times,
		  const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_futimens_loc(xaio__noloc, f, times, opt, es);
}
