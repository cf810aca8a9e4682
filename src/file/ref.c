// SPDX-License-Identifier: MIT
/*
 * References (HDF5's H5R on plain files): xaio_ref_get makes a struct
 * xaio_ref, the kernel's file handle of a file (name_to_handle_at(2)),
 * which names the file itself, not a path, so it survives renames;
 * xaio_ref_open opens the file it names (open_by_handle_at(2), which
 * needs CAP_DAC_READ_SEARCH: -EPERM without it) as a new handle, a future
 * like xaio_open's.  Both run on the pool (io_uring has no opcode for
 * either).  The open is an open for file.c's ordering (XAIO__OP_OPENAT)
 * that the engine runs as XAIO__OP_REF_OPEN (op->run_op); its copy of the
 * reference is a block the operation owns (op->path2; op->buf points to
 * it).  Attribute and region references are plain structs of the header.
 *
 * No state and no locks of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "file/calls.h"

_Static_assert(XAIO_REF_HANDLE_MAX == MAX_HANDLE_SZ,
	       "struct xaio_ref holds the largest handle");

/* A struct file_handle with room for the largest handle. */
union handle_buf {
	struct file_handle fh;
	unsigned char bytes[sizeof(struct file_handle) + MAX_HANDLE_SZ];
};

/* req: fd the directory, path, arg the AT_* flags, buf the xaio_ref. */
int64_t xaio__run_ref_get(struct xaio__req *req)
{
	struct xaio_ref *ref = req->buf;
	union handle_buf h;
	int mnt = 0;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(req->fd, req->path, &h.fh, &mnt, (int)req->arg) <
	    0)
		return -1;
	memset(ref, 0, sizeof(*ref));
	ref->mount_id = (uint64_t)(unsigned int)mnt;
	ref->handle_type = h.fh.handle_type;
	ref->handle_bytes = h.fh.handle_bytes;
	memcpy(ref->handle, h.fh.f_handle, h.fh.handle_bytes);
	return 0;
}

/* An open (req: fd a descriptor on the file system, arg the flags, buf the
 * reference): the new descriptor. */
int64_t xaio__run_ref_open(struct xaio__req *req)
{
	const struct xaio_ref *ref = req->buf;
	union handle_buf h;

	h.fh.handle_bytes = ref->handle_bytes;
	h.fh.handle_type = ref->handle_type;
	memcpy(h.fh.f_handle, ref->handle, ref->handle_bytes);
	return open_by_handle_at(req->fd, &h.fh, (int)req->arg);
}

int xaio_ref_get_loc(struct xaio_srcloc loc, struct xaio_file *dir,
		     const char *path, int flags, struct xaio_ref *ref,
		     const struct xaio_opt *opt, struct xaio_evset *es)
{
	struct xaio__task *op;
	int r;

	if (!ref || (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)))
		return -EINVAL;
	/* With AT_EMPTY_PATH, an empty path names dir itself. */
	if (!((flags & AT_EMPTY_PATH) && path && !*path) &&
	    (r = xaio__check_path(path)))
		return r;
	op = xaio__at(loc, "xaio_ref_get", XAIO__OP_REF_GET, dir, path, opt,
		      &r);
	if (op) {
		op->buf = ref;
		op->arg = (uint32_t)flags;
	}
	return xaio__go0(op, opt, es, r);
}

int xaio_ref_open_loc(struct xaio_srcloc loc, struct xaio_file **f,
		      struct xaio_file *mnt, const struct xaio_ref *ref,
		      int flags, const struct xaio_opt *opt,
		      struct xaio_evset *es)
{
	struct xaio_ref *copy;
	struct xaio__task *op;
	int r;

	if (f)
		*f = NULL;
	if (!f || !ref || !ref->handle_bytes ||
	    ref->handle_bytes > XAIO_REF_HANDLE_MAX ||
	    (flags & (O_CREAT | O_EXCL)) ||
	    (flags & O_TMPFILE) == O_TMPFILE) /* it holds O_DIRECTORY */
		return -EINVAL;
	op = xaio__open_op(loc, "xaio_ref_open", f, mnt, NULL, flags, 0, opt,
			   &r);
	if (!op)
		return r;
	if (!(copy = malloc(sizeof(*copy)))) {
		free(op->file);
		*f = NULL;
		return xaio__op_drop(op, -ENOMEM);
	}
	memcpy(copy, ref, sizeof(*copy));
	op->path2 = (char *)copy;
	op->buf = copy;
	op->run_op = XAIO__OP_REF_OPEN;
	return xaio__open_go(op, f, opt, es);
}

/* The same without a location. */
int xaio_ref_get(struct xaio_file *dir, const char *path, int flags,
		 struct xaio_ref *ref, const struct xaio_opt *opt,
		 struct xaio_evset *es)
{
	return xaio_ref_get_loc(xaio__noloc, dir, path, flags, ref, opt, es);
}

int xaio_ref_open(struct xaio_file **f, struct xaio_file *mnt,
		  const struct xaio_ref *ref, int flags,
		  const struct xaio_opt *opt, struct xaio_evset *es)
{
	return xaio_ref_open_loc(xaio__noloc, f, mnt, ref, flags, opt, es);
}
