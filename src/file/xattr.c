// SPDX-License-Identifier: MIT
/*
 * Extended attributes (HDF5's H5A): the native calls xaio_[f]setxattr,
 * xaio_[f]getxattr, xaio_[f]hasxattr, xaio_[f]listxattr, xaio_[f]xattrname
 * (the n-th in name order), xaio_[f]renamexattr and xaio_[f]removexattr,
 * each on a handle (f-) and by path, and what a pool worker runs for them.
 *
 * A call checks its arguments (names, sizes, flags), packs them into one
 * block (file/xattr.h) and submits an operation on the handle (ordered
 * behind its open, and with the handle's other xattr operations: see
 * xaio__xattr_role) or on the path (ordered by path in the set, file.c).
 * A set or get on a handle, or by a path that is absolute or relative to
 * the working directory and follows links, is one system call the ring
 * has an opcode for; everything else is a pool-only row whose run
 * function below does all its steps on the worker.  A path relative to a
 * directory handle goes to the kernel's *xattrat(2) calls (Linux 6.13,
 * called by number: the C library has no wrappers yet), or before 6.13 as
 * /proc/self/fd/<dir>/<path>.
 *
 * No state and no locks of its own: a block is read only by the thread
 * running its request.
 */
#include <fcntl.h>
#include <linux/limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "file/calls.h"
#include "file/listing.h"
#include "file/xattr.h"

/* --- what a pool worker runs (the result, or -1 and errno) --- */

enum { XS_SET, XS_GET, XS_LIST, XS_REMOVE };

/* Linux 6.13's *xattrat(2), which the C library has no wrappers for. */
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#define SYS_getxattrat 464
#define SYS_listxattrat 465
#define SYS_removexattrat 466
#endif

struct xattr_args0 { /* struct xattr_args, XATTR_ARGS_SIZE_VER0 */
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

static _Atomic bool no_xattrat; /* the kernel said ENOSYS once */

/*
 * The call relative to the directory descriptor dfd, through *xattrat(2):
 * its result, or -1 and errno (ENOSYS: the kernel has none).
 */
static ssize_t xattrat(int dfd, const char *p, bool l, int what,
		       const char *name, void *val, size_t size, int flags)
{
	struct xattr_args0 a = {(uint64_t)(uintptr_t)val, (uint32_t)size,
				(uint32_t)flags};
	unsigned int at = l ? AT_SYMLINK_NOFOLLOW : 0;

	switch (what) {
	case XS_SET:
		return syscall(SYS_setxattrat, dfd, p, at, name, &a, sizeof(a));
	case XS_GET:
		return syscall(SYS_getxattrat, dfd, p, at, name, &a, sizeof(a));
	case XS_LIST:
		return syscall(SYS_listxattrat, dfd, p, at, val, size);
	default:
		return syscall(SYS_removexattrat, dfd, p, at, name);
	}
}

/* One xattr system call on the file req names (its descriptor or path). */
static ssize_t xsys(const struct xaio__req *req, int what, const char *name,
		    void *val, size_t size, int flags)
{
	const struct xaio__xattr *b = req->buf;
	const char *p = req->path;
	char tmp[PATH_MAX + 32];
	bool l = b->nofollow;

	if (b->on_fd) {
		switch (what) {
		case XS_SET:
			return fsetxattr(req->fd, name, val, size, flags);
		case XS_GET:
			return fgetxattr(req->fd, name, val, size);
		case XS_LIST:
			return flistxattr(req->fd, val, size);
		default:
			return fremovexattr(req->fd, name);
		}
	}
	if (p[0] != '/' && req->fd != AT_FDCWD) {
		int n;

		if (!atomic_load_explicit(&no_xattrat, memory_order_relaxed)) {
			ssize_t r = xattrat(req->fd, p, l, what, name, val,
					    size, flags);

			if (r >= 0 || errno != ENOSYS)
				return r;
			atomic_store(&no_xattrat, true);
		}
		/* Before 6.13: the directory's path through /proc. */
		n = snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d/%s", req->fd,
			     p);
		if (n < 0 || (size_t)n >= sizeof(tmp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		p = tmp;
	}
	switch (what) {
	case XS_SET:
		return (l ? lsetxattr : setxattr)(p, name, val, size, flags);
	case XS_GET:
		return (l ? lgetxattr : getxattr)(p, name, val, size);
	case XS_LIST:
		return (l ? llistxattr : listxattr)(p, val, size);
	default:
		return (l ? lremovexattr : removexattr)(p, name);
	}
}

/*
 * The whole of what XS_GET (name) or XS_LIST gives, malloc'ed, its size in
 * *len: asks the size, then reads, again while the answer grew (ERANGE).
 * An empty answer is read into a buffer of one byte, not with size 0,
 * which would be another size query and could say more than the buffer.
 */
static char *whole(const struct xaio__req *req, int what, const char *name,
		   size_t *len)
{
	char *v = NULL;

	for (;;) {
		ssize_t n = xsys(req, what, name, NULL, 0, 0), k;
		size_t room = n ? (size_t)n : 1;

		if (n < 0)
			break;
		free(v);
		if (!(v = malloc(room))) {
			errno = ENOMEM;
			return NULL;
		}
		k = xsys(req, what, name, v, room, 0);
		if (k >= 0 && (size_t)k <= (size_t)n) {
			*len = (size_t)k;
			return v;
		}
		if (k >= 0)
			continue; /* grew into the spare byte: ask again */
		if (errno != ERANGE)
			break;
	}
	xaio__done_with(-1, v, 0);
	return NULL;
}

int64_t xaio__run_setxattr(struct xaio__req *req)
{
	const struct xaio__xattr *b = req->buf;

	return xsys(req, XS_SET, b->name, b->value, b->size, (int)b->flags);
}

/*
 * The value's whole size, with as much of it as fits in the caller's
 * buffer: a value larger than size is read whole into a buffer of ours
 * (the ring's -ERANGE comes here too) so that the prefix and the size
 * describe one value.
 */
int64_t xaio__run_getxattr(struct xaio__req *req)
{
	const struct xaio__xattr *b = req->buf;
	ssize_t r;
	size_t n = 0;
	char *v;

	r = xsys(req, XS_GET, b->name, b->value, b->size, 0);
	if (!b->size || r >= 0 || errno != ERANGE)
		return r;
	if (!(v = whole(req, XS_GET, b->name, &n)))
		return -1;
	memcpy(b->value, v, n < b->size ? n : b->size);
	free(v);
	return (int64_t)n;
}

int64_t xaio__run_hasxattr(struct xaio__req *req)
{
	const struct xaio__xattr *b = req->buf;

	if (xsys(req, XS_GET, b->name, NULL, 0, 0) >= 0)
		return 1;
	return errno == ENODATA ? 0 : -1;
}

/* The file's names, sorted, in a listing (NULL: errno). */
static struct xaio_listing *sorted(const struct xaio__req *req)
{
	struct xaio__lbuild lb = {0};
	struct xaio_listing *l;
	size_t n = 0;
	char *v = whole(req, XS_LIST, NULL, &n);

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i += strnlen(v + i, n - i) + 1) {
		if (xaio__lb_add(&lb, v + i, strnlen(v + i, n - i), 0, 0)) {
			xaio__lb_reset(&lb);
			free(v);
			errno = ENOMEM;
			return NULL;
		}
	}
	free(v);
	if (!(l = xaio__lb_finish(&lb)))
		errno = ENOMEM;
	return l;
}

int64_t xaio__run_listxattr(struct xaio__req *req)
{
	const struct xaio__xattr *b = req->buf;
	struct xaio_listing *l = sorted(req);

	if (!l)
		return -1;
	*b->out = l;
	return (int64_t)l->count;
}

/* The n-th name's length; as much as fits in buf, as snprintf(3). */
int64_t xaio__run_xattrname(struct xaio__req *req)
{
	const struct xaio__xattr *b = req->buf;
	struct xaio_listing *l = sorted(req);
	size_t n;

	if (!l)
		return -1;
	if (b->index >= l->count) {
		xaio_listing_free(l);
		errno = ENODATA;
		return -1;
	}
	n = strlen(l->entries[b->index].name);
	xaio__put_name(b->value, b->size, l->entries[b->index].name, n);
	xaio_listing_free(l);
	return (int64_t)n;
}

/*
 * Get the old value, create the new name with it (never replacing one:
 * EEXIST), remove the old name.  Stopped in between (a crash), the file
 * has both names, never neither.  If the old name cannot be removed, the
 * new one is removed again and the rename fails; if it is gone already
 * (removed meanwhile), the rename is done.
 */
int64_t xaio__run_renamexattr(struct xaio__req *req)
{
	const struct xaio__xattr *b = req->buf;
	size_t n = 0;
	char *v = whole(req, XS_GET, b->name, &n);
	int e;

	if (!v)
		return -1;
	if (xsys(req, XS_SET, b->name2, v, n, XATTR_CREATE) < 0) {
		xaio__done_with(-1, v, 0);
		return -1;
	}
	free(v);
	if (xsys(req, XS_REMOVE, b->name, NULL, 0, 0) == 0 || errno == ENODATA)
		return 0;
	e = errno;
	xsys(req, XS_REMOVE, b->name2, NULL, 0, 0);
	errno = e;
	return -1;
}

int64_t xaio__run_removexattr(struct xaio__req *req)
{
	const struct xaio__xattr *b = req->buf;

	return xsys(req, XS_REMOVE, b->name, NULL, 0, 0);
}

/* --- the calls --- */

/* What one call asks for. */
struct xcall {
	const char *api;
	uint8_t kind; /* on a handle, or by a path the pool must run */
	uint8_t ring_kind; /* by a path the ring can run; 0: as kind */
	struct xaio_file *f; /* on a handle; else by path */
	struct xaio_file *dir;
	const char *path;
	int flags; /* AT_SYMLINK_NOFOLLOW, and a set's XATTR_* */
	int xflags; /* the flags a set accepts besides NOFOLLOW */
	const char *name, *name2; /* list, n-th name: none */
	const void *value; /* a set's (copied), or the caller's buffer */
	size_t size;
	bool copy; /* value is copied */
	uint64_t index;
	struct xaio_listing **out;
};

/* A name the kernel takes: 0, or its -errno (NULL: -EINVAL). */
static int check_name(const char *name)
{
	size_t n;

	if (!name)
		return -EINVAL;
	n = strnlen(name, XATTR_NAME_MAX + 1);
	return n && n <= XATTR_NAME_MAX ? 0 : -ERANGE;
}

/* The block of c's arguments (NULL: out of memory). */
static struct xaio__xattr *pack(const struct xcall *c)
{
	size_t n1 = c->name ? strlen(c->name) + 1 : 1;
	size_t n2 = c->name2 ? strlen(c->name2) + 1 : 0;
	size_t nv = c->copy ? c->size : 0;
	struct xaio__xattr *b = calloc(1, sizeof(*b) + n1 + n2 + nv);
	char *p;

	if (!b)
		return NULL;
	p = b->data;
	b->name = c->name ? memcpy(p, c->name, n1) : p; /* list: "" */
	p += n1;
	if (n2) {
		b->name2 = memcpy(p, c->name2, n2);
		p += n2;
	}
	b->value = (void *)c->value;
	if (nv)
		b->value = memcpy(p, c->value, nv);
	b->size = c->size;
	b->index = c->index;
	b->out = c->out;
	b->flags = (uint32_t)(c->flags & (XATTR_CREATE | XATTR_REPLACE));
	b->on_fd = c->f != NULL;
	b->nofollow = (c->flags & AT_SYMLINK_NOFOLLOW) != 0;
	return b;
}

static int submit(struct xaio_srcloc loc, const struct xcall *c,
		  const struct xaio_opt *opt, struct xaio_evset *es)
{
	const struct xaio_opt *bo = opt;
	struct xaio_opt o;
	struct xaio__task *op;
	struct xaio__xattr *b;
	uint32_t pol = opt ? opt->flags & XAIO_BUF_MASK : 0;
	uint8_t kind = c->kind;
	int r;

	/* A value to set is copied: borrowed or copied, the same. */
	if (pol != XAIO_BUF_BORROW && (pol != XAIO_BUF_COPY || !c->copy))
		return -EINVAL;
	if ((kind != XAIO__OP_LISTXATTR && kind != XAIO__OP_XATTRNAME &&
	     (r = check_name(c->name))) ||
	    (c->name2 && (r = check_name(c->name2))))
		return r;
	if (c->flags & ~(c->xflags | (c->f ? 0 : AT_SYMLINK_NOFOLLOW)) ||
	    (c->flags & (XATTR_CREATE | XATTR_REPLACE)) ==
		    (XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (opt) {
		o = *opt;
		o.flags &= ~XAIO_BUF_MASK;
		bo = &o;
	}
	if (c->f) {
		op = xaio__on(loc, c->api, kind, c->f, bo, &r);
	} else {
		/* The ring's path opcodes: cwd-relative, links followed. */
		if (c->ring_kind && c->path && (!c->dir || c->path[0] == '/') &&
		    !(c->flags & AT_SYMLINK_NOFOLLOW))
			kind = c->ring_kind;
		op = xaio__named(loc, c->api, kind, c->dir, c->path, bo, &r);
	}
	if (!op)
		return r;
	if (!(b = pack(c)))
		return xaio__op_drop(op, -ENOMEM);
	op->path2 = (char *)b; /* owned (freed with op), not ordered by */
	op->buf = b;
	return xaio__go(op, opt, es);
}

/* What a call names: the file (f, or dir and path), the op, its flags. */
static struct xcall target(const char *api, uint8_t kind, struct xaio_file *f,
			   struct xaio_file *dir, const char *path, int flags)
{
	return (struct xcall){.api = api,
			      .kind = kind,
			      .f = f,
			      .dir = dir,
			      .path = path,
			      .flags = flags};
}

/*
 * A set (its value copied) or a get into the caller's buf; f: on a handle,
 * else dir and path.  A get asks for at most XATTR_SIZE_MAX bytes: no
 * value is larger (the kernel's own clamp; the ring's count is 32 bits).
 */
static int value_op(struct xaio_srcloc loc, const char *api, uint8_t kind,
		    uint8_t ring_kind, struct xaio_file *dir, const char *path,
		    struct xaio_file *f, const char *name, const void *value,
		    size_t size, int flags, bool set,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xcall c = target(api, kind, f, dir, path, flags);

	c.ring_kind = ring_kind;
	c.xflags = set ? XATTR_CREATE | XATTR_REPLACE : 0;
	c.name = name;
	c.value = value;
	c.size = set || size <= XATTR_SIZE_MAX ? size : XATTR_SIZE_MAX;
	c.copy = set;
	if (!value && size)
		return -EINVAL;
	if (set && size > XATTR_SIZE_MAX)
		return -E2BIG;
	return submit(loc, &c, opt, es);
}

int xaio_fsetxattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
		       const char *name, const void *value, size_t size,
		       int flags, const struct xaio_opt *opt,
		       struct xaio_evset *es)
{
	if (!f)
		return -EINVAL;
	return value_op(loc, "xaio_fsetxattr", XAIO__OP_FSETXATTR, 0, NULL,
			NULL, f, name, value, size, flags, true, opt, es);
}

int xaio_setxattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		      const char *path, const char *name, const void *value,
		      size_t size, int flags, const struct xaio_opt *opt,
		      struct xaio_evset *es)
{
	return value_op(loc, "xaio_setxattr", XAIO__OP_SETXATTRAT,
			XAIO__OP_SETXATTR, dir, path, NULL, name, value, size,
			flags, true, opt, es);
}

int xaio_fgetxattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
		       const char *name, void *buf, size_t size,
		       const struct xaio_opt *opt, struct xaio_evset *es)
{
	if (!f)
		return -EINVAL;
	return value_op(loc, "xaio_fgetxattr", XAIO__OP_FGETXATTR, 0, NULL,
			NULL, f, name, buf, size, 0, false, opt, es);
}

int xaio_getxattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		      const char *path, const char *name, void *buf,
		      size_t size, int flags, const struct xaio_opt *opt,
		      struct xaio_evset *es)
{
	return value_op(loc, "xaio_getxattr", XAIO__OP_GETXATTRAT,
			XAIO__OP_GETXATTR, dir, path, NULL, name, buf, size,
			flags, false, opt, es);
}

/*
 * The calls that name a file and an attribute and carry nothing else:
 * has, remove (f: on a handle, else dir and path).
 */
static int named_op(struct xaio_srcloc loc, const char *api, uint8_t kind,
		    struct xaio_file *f, struct xaio_file *dir,
		    const char *path, const char *name, const char *name2,
		    int flags, const struct xaio_opt *opt,
		    struct xaio_evset *es)
{
	struct xcall c = target(api, kind, f, dir, path, flags);

	c.name = name;
	c.name2 = name2;
	return submit(loc, &c, opt, es);
}

int xaio_fhasxattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
		       const char *name, const struct xaio_opt *opt,
		       struct xaio_evset *es)
{
	if (!f)
		return -EINVAL;
	return named_op(loc, "xaio_fhasxattr", XAIO__OP_HASXATTR, f, NULL, NULL,
			name, NULL, 0, opt, es);
}

int xaio_hasxattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		      const char *path, const char *name, int flags,
		      const struct xaio_opt *opt, struct xaio_evset *es)
{
	return named_op(loc, "xaio_hasxattr", XAIO__OP_HASXATTR, NULL, dir,
			path, name, NULL, flags, opt, es);
}

int xaio_fremovexattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
			  const char *name, const struct xaio_opt *opt,
			  struct xaio_evset *es)
{
	if (!f)
		return -EINVAL;
	return named_op(loc, "xaio_fremovexattr", XAIO__OP_REMOVEXATTR, f, NULL,
			NULL, name, NULL, 0, opt, es);
}

int xaio_removexattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			 const char *path, const char *name, int flags,
			 const struct xaio_opt *opt, struct xaio_evset *es)
{
	return named_op(loc, "xaio_removexattr", XAIO__OP_REMOVEXATTR, NULL,
			dir, path, name, NULL, flags, opt, es);
}

int xaio_frenamexattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
			  const char *oldname, const char *newname,
			  const struct xaio_opt *opt, struct xaio_evset *es)
{
	if (!f || !newname)
		return -EINVAL;
	return named_op(loc, "xaio_frenamexattr", XAIO__OP_RENAMEXATTR, f, NULL,
			NULL, oldname, newname, 0, opt, es);
}

int xaio_renamexattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			 const char *path, const char *oldname,
			 const char *newname, int flags,
			 const struct xaio_opt *opt, struct xaio_evset *es)
{
	if (!newname)
		return -EINVAL;
	return named_op(loc, "xaio_renamexattr", XAIO__OP_RENAMEXATTR, NULL,
			dir, path, oldname, newname, flags, opt, es);
}

/* list and the n-th name: on the whole list of names (f or dir/path). */
static int names_op(struct xaio_srcloc loc, const char *api, uint8_t kind,
		    struct xaio_file *f, struct xaio_file *dir,
		    const char *path, struct xaio_listing **out, uint64_t index,
		    char *buf, size_t size, int flags,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xcall c = target(api, kind, f, dir, path, flags);

	c.value = buf;
	c.size = size;
	c.index = index;
	c.out = out;
	if (kind == XAIO__OP_LISTXATTR ? !out : !buf && size)
		return -EINVAL;
	return submit(loc, &c, opt, es);
}

int xaio_flistxattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
			struct xaio_listing **out, const struct xaio_opt *opt,
			struct xaio_evset *es)
{
	if (!f)
		return -EINVAL;
	return names_op(loc, "xaio_flistxattr", XAIO__OP_LISTXATTR, f, NULL,
			NULL, out, 0, NULL, 0, 0, opt, es);
}

int xaio_listxattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		       const char *path, struct xaio_listing **out, int flags,
		       const struct xaio_opt *opt, struct xaio_evset *es)
{
	return names_op(loc, "xaio_listxattr", XAIO__OP_LISTXATTR, NULL, dir,
			path, out, 0, NULL, 0, flags, opt, es);
}

int xaio_fxattrname_loc(struct xaio_srcloc loc, struct xaio_file *f,
			uint64_t index, char *buf, size_t size,
			const struct xaio_opt *opt, struct xaio_evset *es)
{
	if (!f)
		return -EINVAL;
	return names_op(loc, "xaio_fxattrname", XAIO__OP_XATTRNAME, f, NULL,
			NULL, NULL, index, buf, size, 0, opt, es);
}

int xaio_xattrname_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		       const char *path, uint64_t index, char *buf, size_t size,
		       int flags, const struct xaio_opt *opt,
		       struct xaio_evset *es)
{
	return names_op(loc, "xaio_xattrname", XAIO__OP_XATTRNAME, NULL, dir,
			path, NULL, index, buf, size, flags, opt, es);
}

char *xaio__xattr_args(const struct xaio__task *op)
{
	const struct xaio__xattr *b = (const void *)op->path2;
	char *s = NULL;
	int r;

	if (!b)
		return NULL;
	r = asprintf(&s,
		     "fd=%d, path=\"%s\", name=\"%s\", name2=\"%s\", "
		     "size=%zu, index=%llu, flags=%#x%s",
		     op->fd, op->path ? op->path : "", b->name,
		     b->name2 ? b->name2 : "", b->size,
		     (unsigned long long)b->index, b->flags,
		     b->nofollow ? " (nofollow)" : "");
	return r < 0 ? NULL : s;
}

/* The same without a location. */
int xaio_fsetxattr(struct xaio_file *f, const char *name, const void *value,
		   size_t size, int flags, const struct xaio_opt *opt,
		   struct xaio_evset *es)
{
	return xaio_fsetxattr_loc(xaio__noloc, f, name, value, size, flags, opt,
				  es);
}

int xaio_setxattr(struct xaio_file *dir, const char *path, const char *name,
		  const void *value, size_t size, int flags,
		  const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_setxattr_loc(xaio__noloc, dir, path, name, value, size,
				 flags, opt, es);
}

int xaio_fgetxattr(struct xaio_file *f, const char *name, void *buf,
		   size_t size, const struct xaio_opt *opt,
		   struct xaio_evset *es)
{
	return xaio_fgetxattr_loc(xaio__noloc, f, name, buf, size, opt, es);
}

int xaio_getxattr(struct xaio_file *dir, const char *path, const char *name,
		  void *buf, size_t size, int flags, const struct xaio_opt *opt,
		  struct xaio_evset *es)
{
	return xaio_getxattr_loc(xaio__noloc, dir, path, name, buf, size, flags,
				 opt, es);
}

int xaio_fhasxattr(struct xaio_file *f, const char *name,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_fhasxattr_loc(xaio__noloc, f, name, opt, es);
}

int xaio_hasxattr(struct xaio_file *dir, const char *path, const char *name,
		  int flags, const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_hasxattr_loc(xaio__noloc, dir, path, name, flags, opt, es);
}

int xaio_flistxattr(struct xaio_file *f, struct xaio_listing **out,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_flistxattr_loc(xaio__noloc, f, out, opt, es);
}

int xaio_listxattr(struct xaio_file *dir, const char *path,
		   struct xaio_listing **out, int flags,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_listxattr_loc(xaio__noloc, dir, path, out, flags, opt, es);
}

int xaio_fxattrname(struct xaio_file *f, uint64_t index, char *buf, size_t size,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_fxattrname_loc(xaio__noloc, f, index, buf, size, opt, es);
}

int xaio_xattrname(struct xaio_file *dir, const char *path, uint64_t index,
		   char *buf, size_t size, int flags,
		   const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_xattrname_loc(xaio__noloc, dir, path, index, buf, size,
				  flags, opt, es);
}

int xaio_frenamexattr(struct xaio_file *f, const char *oldname,
		      const char *newname, const struct xaio_opt *opt,
		      struct xaio_evset *es)
{
	return xaio_frenamexattr_loc(xaio__noloc, f, oldname, newname, opt, es);
}

int xaio_renamexattr(struct xaio_file *dir, const char *path,
		     const char *oldname, const char *newname, int flags,
		     const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_renamexattr_loc(xaio__noloc, dir, path, oldname, newname,
				    flags, opt, es);
}

int xaio_fremovexattr(struct xaio_file *f, const char *name,
		      const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_fremovexattr_loc(xaio__noloc, f, name, opt, es);
}

int xaio_removexattr(struct xaio_file *dir, const char *path, const char *name,
		     int flags, const struct xaio_opt *opt,
		     struct xaio_evset *es)
{
	return xaio_removexattr_loc(xaio__noloc, dir, path, name, flags, opt,
				    es);
}
