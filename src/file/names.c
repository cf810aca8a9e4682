// SPDX-License-Identifier: MIT
/*
 * The native calls on names (xaio_mkdir, xaio_unlink, xaio_rmdir,
 * xaio_rename, xaio_link, xaio_symlink, xaio_readlink, xaio_access): each
 * checks its arguments, builds an operation with file/calls.h and submits
 * it.  Their ordering by path is file.c's.
 *
 * No state and no locks of its own.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file/calls.h"

int xaio_mkdir_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		   const char *path, mode_t mode, const struct xaio_opt *opt,
		   struct xaio_evset *es)
{
	int r;
	struct xaio__task *op = xaio__named(loc, "xaio_mkdir", XAIO__OP_MKDIRAT,
					    dir, path, opt, &r);

	if (op)
		op->arg = (uint32_t)mode;
	return xaio__go0(op, opt, es, r);
}

static int unlink_common(struct xaio_srcloc loc, const char *api,
			 struct xaio_file *dir, const char *path, int flags,
			 const struct xaio_opt *opt, struct xaio_evset *es)
{
	int r;
	struct xaio__task *op =
		xaio__named(loc, api, XAIO__OP_UNLINKAT, dir, path, opt, &r);

	if (op)
		op->arg = (uint32_t)flags;
	return xaio__go0(op, opt, es, r);
}

int xaio_unlink_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		    const char *path, const struct xaio_opt *opt,
		    struct xaio_evset *es)
{
	return unlink_common(loc, "xaio_unlink", dir, path, 0, opt, es);
}

int xaio_rmdir_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		   const char *path, const struct xaio_opt *opt,
		   struct xaio_evset *es)
{
	return unlink_common(loc, "xaio_rmdir", dir, path, AT_REMOVEDIR, opt,
			     es);
}

int xaio_rename_loc(struct xaio_srcloc loc, struct xaio_file *olddir,
		    const char *oldpath, struct xaio_file *newdir,
		    const char *newpath, unsigned int flags,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (flags && flags != RENAME_NOREPLACE && flags != RENAME_EXCHANGE)
		return -EINVAL;
	op = xaio__named2(loc, "xaio_rename", XAIO__OP_RENAMEAT, olddir,
			  oldpath, newdir, newpath, true, flags, opt, &r);
	return xaio__go0(op, opt, es, r);
}

int xaio_link_loc(struct xaio_srcloc loc, struct xaio_file *olddir,
		  const char *oldpath, struct xaio_file *newdir,
		  const char *newpath, int flags, const struct xaio_opt *opt,
		  struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (flags & ~AT_SYMLINK_FOLLOW)
		return -EINVAL;
	op = xaio__named2(loc, "xaio_link", XAIO__OP_LINKAT, olddir, oldpath,
			  newdir, newpath, true, (uint32_t)flags, opt, &r);
	return xaio__go0(op, opt, es, r);
}

int xaio_symlink_loc(struct xaio_srcloc loc, const char *target,
		     struct xaio_file *newdir, const char *newpath,
		     const struct xaio_opt *opt, struct xaio_evset *es)
{
	int r;
	struct xaio__task *op =
		xaio__named2(loc, "xaio_symlink", XAIO__OP_SYMLINKAT, newdir,
			     newpath, NULL, target, false, 0, opt, &r);

	return xaio__go0(op, opt, es, r);
}

int xaio_readlink_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		      const char *path, char *buf, size_t size,
		      const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (!buf && size)
		return -EINVAL;
	op = xaio__named(loc, "xaio_readlink", XAIO__OP_READLINKAT, dir, path,
			 opt, &r);
	if (op) {
		op->buf = buf;
		op->len =
			size > INT_MAX ? INT_MAX : size; /* readlinkat's int */
	}
	return op ? xaio__go(op, opt, es) : r;
}

int xaio_access_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		    const char *path, int mode, int flags,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if ((mode & ~(R_OK | W_OK | X_OK)) ||
	    (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)))
		return -EINVAL;
	/* With AT_EMPTY_PATH, an empty path names dir itself. */
	if (!((flags & AT_EMPTY_PATH) && path && !*path) &&
	    (r = xaio__check_path(path)))
		return r;
	op = xaio__at(loc, "xaio_access", XAIO__OP_FACCESSAT, dir, path, opt,
		      &r);
	if (op) {
		op->arg = (uint32_t)mode;
		op->arg2 = (uint32_t)flags;
	}
	return xaio__go0(op, opt, es, r);
}

/* The same without a location. */
int xaio_mkdir(struct xaio_file *dir, const char *path, mode_t mode,
	       const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_mkdir_loc(xaio__noloc, dir, path, mode, opt, es);
}

int xaio_unlink(struct xaio_file *dir, const char *path,
		const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_unlink_loc(xaio__noloc, dir, path, opt, es);
}

int xaio_rmdir(struct xaio_file *dir, const char *path,
	       const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_rmdir_loc(xaio__noloc, dir, path, opt, es);
}

int xaio_rename(struct xaio_file *olddir, const char *oldpath,
		struct xaio_file *newdir, const char *newpath,
		unsigned int flags, const struct xaio_opt *opt,
		struct xaio_evset *es)
{
	return xaio_rename_loc(xaio__noloc, olddir, oldpath, newdir, newpath,
			       flags, opt, es);
}

int xaio_link(struct xaio_file *olddir, const char *oldpath,
	      struct xaio_file *newdir, const char *newpath, int flags,
	      const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_link_loc(xaio__noloc, olddir, oldpath, newdir, newpath,
			     flags, opt, es);
}

int xaio_symlink(const char *target, struct xaio_file *newdir,
		 const char *newpath, const struct xaio_opt *opt,
		 struct xaio_evset *es)
{
	return xaio_symlink_loc(xaio__noloc, target, newdir, newpath, opt, es);
}

int xaio_readlink(struct xaio_file *dir, const char *path, char *buf,
		  size_t size, const struct xaio_opt *opt,
		  struct xaio_evset *es)
{
	return xaio_readlink_loc(xaio__noloc, dir, path, buf, size, opt, es);
}

int xaio_access(struct xaio_file *dir, const char *path, int mode, int flags,
		const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_access_loc(xaio__noloc, dir, path, mode, flags, opt, es);
}
