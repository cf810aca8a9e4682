/* SPDX-License-Identifier: MIT */
/*
 * Extended-attribute operations (file/xattr.c): the arguments every one of
 * them carries to the engine, and what the operation table (core/ops.c)
 * and the ordering (file/file.c) need to know about them.
 *
 * An operation's arguments are one block (struct xaio__xattr) that the
 * operation owns from its call to its last reference (in op->path2, which
 * nothing orders by for these operations); the request's buf points to it.
 * The names and a value to set are copies inside the block.  Hidden; no
 * locks: a block is read by the one thread running its request.
 */
#ifndef XAIO_FILE_XATTR_H
#define XAIO_FILE_XATTR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/internal.h"

struct xaio__task;

struct xaio__xattr {
	const char *name; /* in the block */
	const char *name2; /* a rename's new name, in the block; else NULL */
	void *value; /* set: the copy in the block; get, name: caller's */
	size_t size; /* of value (get: at most XATTR_SIZE_MAX) */
	uint64_t index; /* the n-th name */
	struct xaio_listing **out; /* a listing's */
	uint32_t flags; /* XATTR_CREATE, XATTR_REPLACE: a set's */
	bool on_fd; /* on the request's descriptor; else its path */
	bool nofollow; /* the path's last link is not followed */
	char data[]; /* the names and the value */
};

/* Ring and pool runs of the operations (core/ops.c's rows). */
XAIO__HIDDEN int64_t xaio__run_setxattr(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_getxattr(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_hasxattr(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_listxattr(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_xattrname(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_renamexattr(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_removexattr(struct xaio__req *req);

/* An error record's arguments of an xattr op (malloc'ed, or NULL). */
XAIO__HIDDEN char *xaio__xattr_args(const struct xaio__task *op);

/*
 * 0: kind is no xattr operation; 1: it reads a file's attributes; 2: it
 * changes them.  On one handle, xattr operations run in program order
 * when one of two changes them (file.c's after_op).
 */
static inline int xaio__xattr_role(unsigned int kind)
{
	if (kind >= XAIO__OP_FSETXATTR && kind <= XAIO__OP_REMOVEXATTR)
		return 2;
	return kind >= XAIO__OP_FGETXATTR && kind <= XAIO__OP_XATTRNAME;
}

#endif
