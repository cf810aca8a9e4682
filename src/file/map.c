// SPDX-License-Identifier: MIT
/*
 * Maps (HDF5's H5M on plain files): a directory of values, one file per
 * key.  A map is a directory handle (struct xaio_file, O_DIRECTORY):
 * xaio_map_create makes the directory and opens it, xaio_map_open opens
 * it, xaio_close closes it.  xaio_map_put, xaio_map_get and
 * xaio_map_delete are operations relative to it whose path is the key, so
 * in a set they are ordered by key (a get after a put of the same key
 * waits for it) and behind the map's open; other keys run concurrently.
 *
 * A put is atomic and durable, all on one pool worker: a temporary file
 * with a unique name in the map (TMP_PREFIX, never a key), the value
 * written and fsync'ed, renamed over the key, the directory fsync'ed.  A
 * put interrupted at any step leaves the old value or the new one; what it
 * may leave behind is a temporary file, which no key can name (get never
 * sees one) and which nothing removes but the program (see xaio_map_put(3)).
 *
 * Keys are checked before anything starts (check_key).  State: a counter
 * for temporary names (atomic); no locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file/calls.h"

#define TMP_PREFIX XAIO_MAP_TMP_PREFIX
#define TMP_TRIES 64

static _Atomic uint64_t tmp_seq;

/* 0, or why key cannot name a value. */
static int check_key(const char *key)
{
	size_t n;

	if (!key || !*key)
		return -EINVAL;
	n = strnlen(key, NAME_MAX + 1);
	if (n > NAME_MAX)
		return -ENAMETOOLONG;
	if (memchr(key, '/', n) || !strcmp(key, ".") || !strcmp(key, "..") ||
	    !strncmp(key, TMP_PREFIX, sizeof(TMP_PREFIX) - 1))
		return -EINVAL;
	return 0;
}

/* A name no other put (of any process) is using now, most likely. */
static void tmp_name(char *out, size_t size)
{
	struct timespec ts;
	uint64_t x = atomic_fetch_add(&tmp_seq, 1);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	x ^= ((uint64_t)getpid() << 40) ^ ((uint64_t)ts.tv_nsec << 20) ^
	     (uint64_t)ts.tv_sec;
	snprintf(out, size, "%s%016llx", TMP_PREFIX, (unsigned long long)x);
}

/* Closes fd (if open) and removes tmp, keeping errno. */
static int64_t put_fail(int dir, int fd, const char *tmp)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	unlinkat(dir, tmp, 0);
	errno = e;
	return -1;
}

/* req: fd the map, path the key, buf and len the value. */
int64_t xaio__run_map_put(struct xaio__req *req)
{
	const char *v = req->buf;
	char tmp[sizeof(TMP_PREFIX) + 20];
	uint64_t done = 0;
	int dir = req->fd, fd = -1;

	for (int i = 0; fd < 0; i++) {
		tmp_name(tmp, sizeof(tmp));
		fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0666);
		if (fd < 0 && (errno != EEXIST || i == TMP_TRIES))
			return -1;
	}
	while (done < req->len) {
		size_t n = req->len - done > (1u << 30)
				   ? (1u << 30)
				   : (size_t)(req->len - done);
		ssize_t w = pwrite(fd, v + done, n, (off_t)done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return put_fail(dir, fd, tmp);
		}
		done += (uint64_t)w;
	}
	if (fsync(fd) < 0)
		return put_fail(dir, fd, tmp);
	if (close(fd) < 0)
		return put_fail(dir, -1, tmp);
	if (renameat(dir, tmp, dir, req->path) < 0)
		return put_fail(dir, -1, tmp);
	/* The new value is in place; this makes the name durable. */
	return fsync(dir);
}

/*
 * req: fd the map, path the key, buf and len the caller's buffer.  The
 * value's whole size; as much of it as fits is copied (no NUL).
 */
int64_t xaio__run_map_get(struct xaio__req *req)
{
	/* O_NONBLOCK: a FIFO someone put in the map must not block the open. */
	int fd = openat(req->fd, req->path,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	uint64_t want, done = 0;
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	want = (uint64_t)st.st_size < req->len ? (uint64_t)st.st_size
					       : req->len;
	while (done < want) {
		size_t n = want - done > (1u << 30) ? (1u << 30)
						    : (size_t)(want - done);
		ssize_t r = pread(fd, (char *)req->buf + done, n, (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break; /* shortened by someone else meanwhile */
		done += (uint64_t)r;
	}
	close(fd);
	return (int64_t)st.st_size;
fail:
	return xaio__done_with(fd, NULL, -1);
}

/* req: fd the map, path the key. */
int64_t xaio__run_map_delete(struct xaio__req *req)
{
	if (unlinkat(req->fd, req->path, 0) < 0)
		return -1;
	return fsync(req->fd);
}

/*
 * An open that makes the directory first (req: fd the base, path, arg2
 * the mode): the new directory's descriptor.  Its parent is fsync'ed, so
 * that the map survives a crash once created.
 */
int64_t xaio__run_map_create(struct xaio__req *req)
{
	char *parent = strdup(req->path), *slash;
	size_t n = strlen(req->path);
	int fd = -1, pfd, e;

	if (!parent) {
		errno = ENOMEM;
		return -1;
	}
	while (n > 1 && parent[n - 1] == '/')
		parent[--n] = 0;
	slash = strrchr(parent, '/');
	if (!slash)
		strcpy(parent, ".");
	else
		slash[slash == parent] = 0; /* "/x": "/" */
	if (mkdirat(req->fd, req->path, (mode_t)req->arg2) < 0)
		goto out;
	fd = openat(req->fd, req->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		goto undo;
	pfd = openat(req->fd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0 || fsync(pfd) < 0) {
		e = errno;
		if (pfd >= 0)
			close(pfd);
		close(fd);
		fd = -1;
		errno = e;
		goto undo;
	}
	close(pfd);
	goto out;
undo:
	/* A failed create leaves nothing behind (it is still empty). */
	e = errno;
	unlinkat(req->fd, req->path, AT_REMOVEDIR);
	errno = e;
out:
	e = errno;
	free(parent);
	errno = e;
	return fd;
}

static int map_open(struct xaio_srcloc loc, const char *api,
		    struct xaio_file **map, struct xaio_file *dir,
		    const char *path, bool create, mode_t mode,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (map)
		*map = NULL;
	if (!map || (create && (mode & ~(mode_t)07777)))
		return -EINVAL;
	if ((r = xaio__check_path(path)))
		return r;
	op = xaio__open_op(loc, api, map, dir, path, O_RDONLY | O_DIRECTORY,
			   mode, opt, &r);
	if (!op)
		return r;
	if (create)
		op->run_op = XAIO__OP_MAP_CREATE;
	return xaio__open_go(op, map, opt, es);
}

int xaio_map_create_loc(struct xaio_srcloc loc, struct xaio_file **map,
			struct xaio_file *dir, const char *path, mode_t mode,
			const struct xaio_opt *opt, struct xaio_evset *es)
{
	return map_open(loc, "xaio_map_create", map, dir, path, true, mode, opt,
			es);
}

int xaio_map_open_loc(struct xaio_srcloc loc, struct xaio_file **map,
		      struct xaio_file *dir, const char *path,
		      const struct xaio_opt *opt, struct xaio_evset *es)
{
	return map_open(loc, "xaio_map_open", map, dir, path, false, 0, opt,
			es);
}

/* An operation on key of map: NULL with *err when refused. */
static struct xaio__task *on_key(struct xaio_srcloc loc, const char *api,
				 uint8_t kind, struct xaio_file *map,
				 const char *key, const struct xaio_opt *opt,
				 int *err)
{
	if (!map) {
		*err = -EINVAL;
		return NULL;
	}
	if ((*err = check_key(key)))
		return NULL;
	return xaio__named(loc, api, kind, map, key, opt, err);
}

int xaio_map_put_loc(struct xaio_srcloc loc, struct xaio_file *map,
		     const char *key, const void *value, size_t len,
		     const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (!value && len)
		return -EINVAL;
	if (len > INT_MAX)
		return -EFBIG;
	op = on_key(loc, "xaio_map_put", XAIO__OP_MAP_PUT, map, key, opt, &r);
	if (op) {
		op->buf = (void *)value;
		op->len = len;
	}
	return xaio__go0(op, opt, es, r);
}

int xaio_map_get_loc(struct xaio_srcloc loc, struct xaio_file *map,
		     const char *key, void *buf, size_t size,
		     const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (!buf && size)
		return -EINVAL;
	op = on_key(loc, "xaio_map_get", XAIO__OP_MAP_GET, map, key, opt, &r);
	if (!op)
		return r;
	op->buf = buf;
	op->len = size;
	return xaio__go(op, opt, es);
}

int xaio_map_delete_loc(struct xaio_srcloc loc, struct xaio_file *map,
			const char *key, const struct xaio_opt *opt,
			struct xaio_evset *es)
{
	int r;
	struct xaio__task *op = on_key(loc, "xaio_map_delete",
				       XAIO__OP_MAP_DELETE, map, key, opt, &r);

	return xaio__go0(op, opt, es, r);
}

/* The same without a location. */
int xaio_map_create(struct xaio_file **map, struct xaio_file *dir,
		    const char *path, mode_t mode, const struct xaio_opt *opt,
		    struct xaio_evset *es)
{
	return xaio_map_create_loc(xaio__noloc, map, dir, path, mode, opt, es);
}

int xaio_map_open(struct xaio_file **map, struct xaio_file *dir,
		  const char *path, const struct xaio_opt *opt,
		  struct xaio_evset *es)
{
	return xaio_map_open_loc(xaio__noloc, map, dir, path, opt, es);
}

int xaio_map_put(struct xaio_file *map, const char *key, const void *value,
		 size_t len, const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_map_put_loc(xaio__noloc, map, key, value, len, opt, es);
}

int xaio_map_get(struct xaio_file *map, const char *key, void *buf, size_t size,
		 const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_map_get_loc(xaio__noloc, map, key, buf, size, opt, es);
}

int xaio_map_delete(struct xaio_file *map, const char *key,
		    const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_map_delete_loc(xaio__noloc, map, key, opt, es);
}
