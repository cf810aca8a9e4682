/* SPDX-License-Identifier: MIT */
/*
 * What the native calls share (file/file.c defines it): checking a call's
 * arguments, building its operation and submitting it.  Every call of the
 * native API is: check what can be checked without the engine, build the
 * operation (xaio__on for a handle, xaio__at/xaio__named/xaio__named2 for
 * paths), fill in its arguments, then xaio__go or xaio__go0.  A builder
 * that fails returns NULL with *err set and has started nothing; a built
 * operation that is not submitted is freed with xaio__op_drop.
 *
 * Hidden.  No locks are held across any of these.
 */
#ifndef XAIO_FILE_CALLS_H
#define XAIO_FILE_CALLS_H

#include "evset/op.h"

/* Does f still take operations (not closed yet)? */
XAIO__HIDDEN bool xaio__usable(struct xaio_file *f);
/* Frees an operation that was never submitted; returns err. */
XAIO__HIDDEN int xaio__op_drop(struct xaio__task *op, int err);
/* A path a call names: 0, or its -errno (what the kernel would say). */
XAIO__HIDDEN int xaio__check_path(const char *path);

/* An operation on handle f (not its open). */
XAIO__HIDDEN struct xaio__task *xaio__on(struct xaio_srcloc loc,
					 const char *api, uint8_t kind,
					 struct xaio_file *f,
					 const struct xaio_opt *opt, int *err);
/*
 * An operation on path, relative to the handle dir (NULL: the working
 * directory), with no data buffer; the path is copied.
 */
XAIO__HIDDEN struct xaio__task *xaio__at(struct xaio_srcloc loc,
					 const char *api, uint8_t kind,
					 struct xaio_file *dir,
					 const char *path,
					 const struct xaio_opt *opt, int *err);
/* xaio__at() for a path that must be a name (not empty, not too long). */
XAIO__HIDDEN struct xaio__task *xaio__named(struct xaio_srcloc loc,
					    const char *api, uint8_t kind,
					    struct xaio_file *dir,
					    const char *path,
					    const struct xaio_opt *opt,
					    int *err);
/*
 * xaio__named(), and a second string: path2 (a name relative to dir2,
 * ordered by path too, when order2; else a symlink's target) with arg.
 */
XAIO__HIDDEN struct xaio__task *xaio__named2(
	struct xaio_srcloc loc, const char *api, uint8_t kind,
	struct xaio_file *dir, const char *path, struct xaio_file *dir2,
	const char *path2, bool order2, uint32_t arg,
	const struct xaio_opt *opt, int *err);

/*
 * xaio_openat(); with nth, an open of the *nth entry (name order) of the
 * directory path instead (xaio_open_nth).
 */
XAIO__HIDDEN int xaio__open(struct xaio_srcloc loc, const char *api,
			    struct xaio_file **out, struct xaio_file *dir,
			    const char *path, const uint64_t *nth, int flags,
			    mode_t mode, const struct xaio_opt *opt,
			    struct xaio_evset *es);
/*
 * The open of a new handle *out (a future once submitted) relative to dir,
 * with flags (| O_CLOEXEC, in arg) and mode (arg2); path NULL: none.  Set
 * op->run_op for an open the engine runs as another row, then submit it
 * with xaio__open_go (0 or -errno; *out NULL when it failed).
 */
XAIO__HIDDEN struct xaio__task *xaio__open_op(
	struct xaio_srcloc loc, const char *api, struct xaio_file **out,
	struct xaio_file *dir, const char *path, int flags, mode_t mode,
	const struct xaio_opt *opt, int *err);
XAIO__HIDDEN int xaio__open_go(struct xaio__task *op, struct xaio_file **out,
			       const struct xaio_opt *opt,
			       struct xaio_evset *es);

/* Submits op and gives the call's return value (synchronous: its result). */
XAIO__HIDDEN int xaio__go(struct xaio__task *op, const struct xaio_opt *opt,
			  struct xaio_evset *es);
/* xaio__go() for a call that returns 0 or -errno; op NULL: returns err. */
XAIO__HIDDEN int xaio__go0(struct xaio__task *op, const struct xaio_opt *opt,
			   struct xaio_evset *es, int err);

/* A source location that names nothing (the calls without _loc). */
static const struct xaio_srcloc xaio__noloc;

#endif
