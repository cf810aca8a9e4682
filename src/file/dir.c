// SPDX-License-Identifier: MIT
/*
 * The calls on a directory's entries (HDF5's H5G get_info and
 * get_info_by_idx, H5L iterate, delete_by_idx and exists, H5O
 * open_by_idx): xaio_readdir, xaio_dirinfo, xaio_dirent_nth,
 * xaio_remove_nth, xaio_exists and xaio_open_nth; and how a pool worker
 * runs each (file/dir.h, their rows in core/ops.c).
 *
 * Every one but xaio_exists reads the whole directory on the worker: it
 * opens it (O_DIRECTORY, relative to the request's directory), reads its
 * entries with getdents64(2), drops "." and "..", and sorts them by name
 * (file/listing.h).  "The n-th entry" is the n-th of that order, read
 * afresh by each operation: an index means nothing across changes of the
 * directory.  A listing xaio_readdir builds is its operation's
 * (xaio__task.listing) until the operation completes: file.c hands it to
 * the caller's slot if it succeeded and frees it otherwise.  In a set,
 * these operations are ordered after the earlier ones below their paths
 * (XAIO__OPF_BELOW), so that they see what was created there before them.
 *
 * No state and no locks: a worker's listing is its own until it returns.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "file/calls.h"
#include "file/dir.h"
#include "file/listing.h"

/* --- on the worker --- */

/* A record of getdents64(2) (struct linux_dirent64). */
struct dent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

#define DENTS_BUF 32768

/* The directory the request names ("": the request's directory itself). */
static int open_dir(const struct xaio__req *req)
{
	return openat(req->fd, *req->path ? req->path : ".",
		      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool dot(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/*
 * The entries of the directory open at dfd, but "." and "..": added to b,
 * or only counted in *count when b is NULL.  0, or -1 and errno.
 */
static int read_dir(int dfd, struct xaio__lbuild *b, uint64_t *count)
{
	char *buf = malloc(DENTS_BUF);
	long n;

	*count = 0;
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	while ((n = syscall(SYS_getdents64, dfd, buf, DENTS_BUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (int)xaio__done_with(-1, buf, -1);
		for (long at = 0; at < n;) {
			const struct dent64 *d = (const void *)(buf + at);
			size_t room = d->reclen - offsetof(struct dent64, name);

			at += d->reclen;
			if (dot(d->name))
				continue;
			(*count)++;
			if (b &&
			    xaio__lb_add(b, d->name, strnlen(d->name, room),
					 d->ino, d->type)) {
				errno = ENOMEM;
				return (int)xaio__done_with(-1, buf, -1);
			}
		}
	}
	free(buf);
	return 0;
}

/*
 * The directory's listing, sorted; *dfd: the directory, left open for the
 * caller when dfd is not NULL.  NULL: errno says why.
 */
static struct xaio_listing *list_dir(const struct xaio__req *req, int *dfd)
{
	struct xaio__lbuild b = {0};
	struct xaio_listing *l = NULL;
	uint64_t count;
	int fd = open_dir(req);

	if (fd < 0)
		return NULL;
	if (read_dir(fd, &b, &count) == 0) {
		l = xaio__lb_finish(&b);
		if (!l)
			errno = ENOMEM;
	}
	xaio__lb_reset(&b);
	if (l && dfd) {
		*dfd = fd;
		return l;
	}
	xaio__done_with(fd, NULL, 0);
	return l;
}

/* The n-th entry of l (n from the request), or NULL and ENOENT. */
static const struct xaio_entry *nth(const struct xaio_listing *l,
				    const struct xaio__req *req)
{
	uint64_t n = (uint64_t)req->off;

	if (n >= l->count) {
		errno = ENOENT;
		return NULL;
	}
	return &l->entries[n];
}

static int64_t clamp(uint64_t n)
{
	return n > INT64_MAX ? INT64_MAX : (int64_t)n;
}

int64_t xaio__run_readdir(struct xaio__req *req)
{
	struct xaio_listing **slot = req->buf;
	struct xaio_listing *l = list_dir(req, NULL);

	if (!l)
		return -1;
	free(*slot); /* (never set: a request runs once) */
	*slot = l;
	return clamp(l->count);
}

int64_t xaio__run_dirinfo(struct xaio__req *req)
{
	uint64_t count = 0;
	int fd = open_dir(req);

	if (fd < 0)
		return -1;
	/* The statx of the directory counted, not of a path looked up again. */
	if (read_dir(fd, NULL, &count) < 0 ||
	    (req->buf && statx(fd, "", AT_EMPTY_PATH, req->arg2, req->buf) < 0))
		return xaio__done_with(fd, NULL, -1);
	return xaio__done_with(fd, NULL, clamp(count));
}

/* The name's whole length, as much of it as fits and a NUL (readlink's). */
int64_t xaio__run_dirent_nth(struct xaio__req *req)
{
	struct xaio_listing *l = list_dir(req, NULL);
	const struct xaio_entry *e;
	size_t len;

	if (!l)
		return -1;
	if (!(e = nth(l, req)))
		return xaio__done_with(-1, l, -1);
	len = strlen(e->name);
	xaio__put_name(req->buf, req->len, e->name, len);
	return xaio__done_with(-1, l, (int64_t)len);
}

/*
 * The n-th entry, in its listing *l (to free), with the directory open at
 * *dfd (to close); NULL: errno says why, and nothing is left to free.
 */
static const struct xaio_entry *nth_open(const struct xaio__req *req,
					 struct xaio_listing **l, int *dfd)
{
	const struct xaio_entry *e;

	*dfd = -1;
	if (!(*l = list_dir(req, dfd)))
		return NULL;
	if (!(e = nth(*l, req))) {
		xaio__done_with(*dfd, *l, 0);
		*l = NULL;
		*dfd = -1;
	}
	return e;
}

/* unlink(2) or rmdir(2), as remove(3), of the n-th entry. */
int64_t xaio__run_remove_nth(struct xaio__req *req)
{
	struct xaio_listing *l;
	int dfd, r;
	const struct xaio_entry *e = nth_open(req, &l, &dfd);

	if (!e)
		return -1;
	r = unlinkat(dfd, e->name, e->type == DT_DIR ? AT_REMOVEDIR : 0);
	/* A file system that does not give types: a directory, after all. */
	if (r < 0 && errno == EISDIR && e->type == DT_UNKNOWN)
		r = unlinkat(dfd, e->name, AT_REMOVEDIR);
	return xaio__done_with(dfd, l, r);
}

/* 1 when the name is there (a link is not followed), 0 when it is not. */
int64_t xaio__run_exists(struct xaio__req *req)
{
	struct statx stx;

	if (statx(req->fd, req->path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
		  STATX_TYPE, &stx) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

/* openat(2) of the n-th entry: its descriptor (the flags have O_CLOEXEC). */
int64_t xaio__run_open_nth(struct xaio__req *req)
{
	struct xaio_listing *l;
	int dfd;
	const struct xaio_entry *e = nth_open(req, &l, &dfd);

	if (!e)
		return -1;
	return xaio__done_with(
		dfd, l, openat(dfd, e->name, (int)req->arg, (mode_t)req->arg2));
}

/* --- the calls --- */

/* A directory's path: NULL or "" names dir itself; 0 or -ENAMETOOLONG. */
static int dir_path(const char **path)
{
	if (!*path)
		*path = "";
	return strnlen(*path, PATH_MAX) == PATH_MAX ? -ENAMETOOLONG : 0;
}

/* An operation on the directory at path, relative to dir. */
static struct xaio__task *on_dir(struct xaio_srcloc loc, const char *api,
				 uint8_t kind, struct xaio_file *dir,
				 const char *path, const struct xaio_opt *opt,
				 int *err)
{
	*err = dir_path(&path);
	return *err ? NULL : xaio__at(loc, api, kind, dir, path, opt, err);
}

int xaio_readdir_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		     const char *path, struct xaio_listing **out,
		     const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (!out)
		return -EINVAL;
	op = on_dir(loc, "xaio_readdir", XAIO__OP_READDIR, dir, path, opt, &r);
	if (!op)
		return r;
	op->buf = &op->listing;
	op->lout = out;
	return xaio__go(op, opt, es);
}

int xaio_dirinfo_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		     const char *path, unsigned int mask, struct statx *stx,
		     const struct xaio_opt *opt, struct xaio_evset *es)
{
	int r;
	struct xaio__task *op = on_dir(loc, "xaio_dirinfo", XAIO__OP_DIRINFO,
				       dir, path, opt, &r);

	if (!op)
		return r;
	op->buf = stx;
	op->arg2 = mask;
	return xaio__go(op, opt, es);
}

int xaio_dirent_nth_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			const char *path, uint64_t n, char *name, size_t size,
			const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (!name && size)
		return -EINVAL;
	op = on_dir(loc, "xaio_dirent_nth", XAIO__OP_DIRENT_NTH, dir, path, opt,
		    &r);
	if (!op)
		return r;
	op->off = (int64_t)n;
	op->buf = name;
	op->len = size;
	return xaio__go(op, opt, es);
}

int xaio_remove_nth_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			const char *path, uint64_t n,
			const struct xaio_opt *opt, struct xaio_evset *es)
{
	int r;
	struct xaio__task *op = on_dir(loc, "xaio_remove_nth",
				       XAIO__OP_REMOVE_NTH, dir, path, opt, &r);

	if (op)
		op->off = (int64_t)n;
	return xaio__go0(op, opt, es, r);
}

int xaio_exists_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		    const char *path, const struct xaio_opt *opt,
		    struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	/* "" names no entry, and -ENOENT would read as "no". */
	if (path && !*path)
		return -EINVAL;
	op = xaio__named(loc, "xaio_exists", XAIO__OP_EXISTS, dir, path, opt,
			 &r);
	return op ? xaio__go(op, opt, es) : r;
}

int xaio_open_nth_loc(struct xaio_srcloc loc, struct xaio_file **f,
		      struct xaio_file *dir, const char *path, uint64_t n,
		      int flags, mode_t mode, const struct xaio_opt *opt,
		      struct xaio_evset *es)
{
	int r;

	if (f)
		*f = NULL;
	/* An entry that is there: nothing to create. */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return -EINVAL;
	if ((r = dir_path(&path)))
		return r;
	return xaio__open(loc, "xaio_open_nth", f, dir, path, &n, flags, mode,
			  opt, es);
}

/* The same without a location. */
int xaio_readdir(struct xaio_file *dir, const char *path,
		 struct xaio_listing **out, const struct xaio_opt *opt,
		 struct xaio_evset *es)
{
	return xaio_readdir_loc(xaio__noloc, dir, path, out, opt, es);
}

int xaio_dirinfo(struct xaio_file *dir, const char *path, unsigned int mask,
		 struct statx *stx, const struct xaio_opt *opt,
		 struct xaio_evset *es)
{
	return xaio_dirinfo_loc(xaio__noloc, dir, path, mask, stx, opt, es);
}

int xaio_dirent_nth(struct xaio_file *dir, const char *path, uint64_t n,
		    char *name, size_t size, const struct xaio_opt *opt,
		    struct xaio_evset *es)
{
	return xaio_dirent_nth_loc(xaio__noloc, dir, path, n, name, size, opt,
				   es);
}

int xaio_remove_nth(struct xaio_file *dir, const char *path, uint64_t n,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_remove_nth_loc(xaio__noloc, dir, path, n, opt, es);
}

int xaio_exists(struct xaio_file *dir, const char *path,
		const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_exists_loc(xaio__noloc, dir, path, opt, es);
}

int xaio_open_nth(struct xaio_file **f, struct xaio_file *dir, const char *path,
		  uint64_t n, int flags, mode_t mode,
		  const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_open_nth_loc(xaio__noloc, f, dir, path, n, flags, mode, opt,
				 es);
}
