/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous file operations with future handles, after HDF5's *_async
 * calls.  Included by <xaio.h>; see xaio_open(3) and docs/event-sets.md.
 *
 * xaio_open() gives a handle at once, before the file is open: operations
 * on it queue behind the open, and complete with ECANCELED naming the open
 * if it fails.  On one handle:
 *   - every operation runs after the open, and the close after everything;
 *   - fsync, fdatasync, ftruncate and fallocate are barriers: after every
 *     earlier operation on the handle, and before every later one (copy:
 *     on both of its handles);
 *   - reads and writes wait for each other only when their byte ranges
 *     overlap and one of them writes (a read past the end of the file may
 *     or may not see a write elsewhere that extends it);
 *   - xaio_fstat waits for earlier writes, later writes wait for it;
 *   - a close is never cancelled, by a failure or by xaio_evset_cancel;
 *   - XAIO_ORDER_STRICT at the open gives the handle total order;
 *   - everything else runs concurrently.  xaio_opt.after names operations
 *     of any set to wait for as well.
 *
 * Every call takes an event set last (NULL: run synchronously and return
 * the result; this waits for the handle's earlier work only).  A call that
 * returns an error started nothing and ran no callback.  The macros below
 * record the caller's __FILE__, __func__ and __LINE__; the real symbols of
 * the same names (called as (xaio_pread)(...) or through a pointer) record
 * no location, and the *_loc ones take it explicitly.
 */
#ifndef XAIO_FILE_H
#define XAIO_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <xaio/evset.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xaio_file;
struct statx;
struct timespec;

/* xaio_opt.flags: one buffer policy... */
#define XAIO_BUF_BORROW 0u /* default: the caller keeps it until done */
#define XAIO_BUF_COPY 1u /* copied at submission, counted in the cap */
#define XAIO_BUF_GIFT 2u /* buf_free(buf, buf_free_ctx) once, when done */
#define XAIO_BUF_MASK 3u
/* ...and, for xaio_open/xaio_openat, total order on the new handle. */
#define XAIO_ORDER_STRICT 4u

/* Options of one call; NULL means all defaults.  Zero what you do not use. */
struct xaio_opt {
	uint32_t flags; /* XAIO_BUF_*, XAIO_ORDER_STRICT */
	uint32_t n_after; /* entries in after */
	const uint64_t *after; /* op ids (any set) to run after; copied */
	uint64_t user_tag; /* copied to the operation's info */
	uint64_t *op_id; /* out, at submission: the operation's id */
	void (*buf_free)(void *buf, void *ctx); /* XAIO_BUF_GIFT */
	void *buf_free_ctx;
	uint64_t reserved[2]; /* zero */
};

/*
 * Opening.  *f is valid at once (even before the open has run) and until
 * xaio_close().  dir: a handle of a directory (also a future), or NULL for
 * the current directory.  The path is copied.  Synchronously (es NULL), 0
 * once the file is open.
 */
XAIO_API int xaio_open_loc(struct xaio_srcloc loc, struct xaio_file **f,
			   const char *path, int flags, mode_t mode,
			   const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_openat_loc(struct xaio_srcloc loc, struct xaio_file **f,
			     struct xaio_file *dir, const char *path, int flags,
			     mode_t mode, const struct xaio_opt *opt,
			     struct xaio_evset *es);
/*
 * Closes f after every earlier operation on it.  f refuses new operations
 * at once (-EBADF) and is freed when the close has run: do not use it after
 * this call.  A handle whose open failed closes with success.
 */
XAIO_API int xaio_close_loc(struct xaio_srcloc loc, struct xaio_file *f,
			    const struct xaio_opt *opt, struct xaio_evset *es);

/* Data.  *done (may be NULL) gets the bytes moved, when they are. */
XAIO_API int xaio_pread_loc(struct xaio_srcloc loc, struct xaio_file *f,
			    void *buf, size_t len, off_t off, ssize_t *done,
			    const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_pwrite_loc(struct xaio_srcloc loc, struct xaio_file *f,
			     const void *buf, size_t len, off_t off,
			     ssize_t *done, const struct xaio_opt *opt,
			     struct xaio_evset *es);
/* The iovec array is copied; the buffers it names follow the policy. */
XAIO_API int xaio_preadv_loc(struct xaio_srcloc loc, struct xaio_file *f,
			     const struct iovec *iov, int iovcnt, off_t off,
			     ssize_t *done, const struct xaio_opt *opt,
			     struct xaio_evset *es);
XAIO_API int xaio_pwritev_loc(struct xaio_srcloc loc, struct xaio_file *f,
			      const struct iovec *iov, int iovcnt, off_t off,
			      ssize_t *done, const struct xaio_opt *opt,
			      struct xaio_evset *es);

/* Barriers. */
XAIO_API int xaio_fsync_loc(struct xaio_srcloc loc, struct xaio_file *f,
			    const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_fdatasync_loc(struct xaio_srcloc loc, struct xaio_file *f,
				const struct xaio_opt *opt,
				struct xaio_evset *es);
XAIO_API int xaio_ftruncate_loc(struct xaio_srcloc loc, struct xaio_file *f,
				off_t length, const struct xaio_opt *opt,
				struct xaio_evset *es);
XAIO_API int xaio_fallocate_loc(struct xaio_srcloc loc, struct xaio_file *f,
				int mode, off_t off, off_t len,
				const struct xaio_opt *opt,
				struct xaio_evset *es);

/* Metadata: statx(2) into *stx, which must live until completion. */
XAIO_API int xaio_fstat_loc(struct xaio_srcloc loc, struct xaio_file *f,
			    unsigned int mask, struct statx *stx,
			    const struct xaio_opt *opt, struct xaio_evset *es);
/* By path, relative to dir (NULL: the current directory); flags AT_*. */
XAIO_API int xaio_stat_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			   const char *path, int flags, unsigned int mask,
			   struct statx *stx, const struct xaio_opt *opt,
			   struct xaio_evset *es);

/* The same without a location (see the macros below). */
XAIO_API int xaio_open(struct xaio_file **f, const char *path, int flags,
		       mode_t mode, const struct xaio_opt *opt,
		       struct xaio_evset *es);
XAIO_API int xaio_openat(struct xaio_file **f, struct xaio_file *dir,
			 const char *path, int flags, mode_t mode,
			 const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_close(struct xaio_file *f, const struct xaio_opt *opt,
			struct xaio_evset *es);
XAIO_API int xaio_pread(struct xaio_file *f, void *buf, size_t len, off_t off,
			ssize_t *done, const struct xaio_opt *opt,
			struct xaio_evset *es);
XAIO_API int xaio_pwrite(struct xaio_file *f, const void *buf, size_t len,
			 off_t off, ssize_t *done, const struct xaio_opt *opt,
			 struct xaio_evset *es);
XAIO_API int xaio_preadv(struct xaio_file *f, const struct iovec *iov,
			 int iovcnt, off_t off, ssize_t *done,
			 const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_pwritev(struct xaio_file *f, const struct iovec *iov,
			  int iovcnt, off_t off, ssize_t *done,
			  const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_fsync(struct xaio_file *f, const struct xaio_opt *opt,
			struct xaio_evset *es);
XAIO_API int xaio_fdatasync(struct xaio_file *f, const struct xaio_opt *opt,
			    struct xaio_evset *es);
XAIO_API int xaio_ftruncate(struct xaio_file *f, off_t length,
			    const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_fallocate(struct xaio_file *f, int mode, off_t off, off_t len,
			    const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_fstat(struct xaio_file *f, unsigned int mask,
			struct statx *stx, const struct xaio_opt *opt,
			struct xaio_evset *es);
XAIO_API int xaio_stat(struct xaio_file *dir, const char *path, int flags,
		       unsigned int mask, struct statx *stx,
		       const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_mkdir(struct xaio_file *dir, const char *path, mode_t mode,
			const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_unlink(struct xaio_file *dir, const char *path,
			 const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_rmdir(struct xaio_file *dir, const char *path,
			const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_rename(struct xaio_file *olddir, const char *oldpath,
			 struct xaio_file *newdir, const char *newpath,
			 unsigned int flags, const struct xaio_opt *opt,
			 struct xaio_evset *es);
XAIO_API int xaio_link(struct xaio_file *olddir, const char *oldpath,
		       struct xaio_file *newdir, const char *newpath, int flags,
		       const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_symlink(const char *target, struct xaio_file *newdir,
			  const char *newpath, const struct xaio_opt *opt,
			  struct xaio_evset *es);
XAIO_API int xaio_readlink(struct xaio_file *dir, const char *path, char *buf,
			   size_t size, const struct xaio_opt *opt,
			   struct xaio_evset *es);
XAIO_API int xaio_access(struct xaio_file *dir, const char *path, int mode,
			 int flags, const struct xaio_opt *opt,
			 struct xaio_evset *es);

/*
 * Directories.  Creates path (relative to dir, a directory handle that may
 * be a future, or to the working directory for NULL) with mode, as
 * mkdirat(2).  In a set, it orders what comes after it below it (see
 * "Ordering by path" in xaio_open(3)).
 */
XAIO_API int xaio_mkdir_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			    const char *path, mode_t mode,
			    const struct xaio_opt *opt, struct xaio_evset *es);

/*
 * Names, as unlinkat(2) (rmdir: AT_REMOVEDIR), renameat2(2), linkat(2),
 * symlinkat(2), readlinkat(2) and faccessat2(2), each relative to its
 * directory handle (a future or NULL, as for xaio_mkdir).  Paths and the
 * target are copied; NULL gives -EINVAL, "" -ENOENT, PATH_MAX bytes or
 * more -ENAMETOOLONG, before anything starts.  In a set, an operation on
 * a path runs after the set's earlier ones on that path or a parent
 * directory; an rmdir or a rename also after those below its paths; a
 * rename or link orders on both of its paths.  Synchronously: 0 or -errno
 * (xaio_readlink: its length).
 */
XAIO_API int xaio_unlink_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			     const char *path, const struct xaio_opt *opt,
			     struct xaio_evset *es);
XAIO_API int xaio_rmdir_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			    const char *path, const struct xaio_opt *opt,
			    struct xaio_evset *es);
/* flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE (others -EINVAL). */
XAIO_API int xaio_rename_loc(struct xaio_srcloc loc, struct xaio_file *olddir,
			     const char *oldpath, struct xaio_file *newdir,
			     const char *newpath, unsigned int flags,
			     const struct xaio_opt *opt, struct xaio_evset *es);
/* flags: 0 or AT_SYMLINK_FOLLOW (others -EINVAL). */
XAIO_API int xaio_link_loc(struct xaio_srcloc loc, struct xaio_file *olddir,
			   const char *oldpath, struct xaio_file *newdir,
			   const char *newpath, int flags,
			   const struct xaio_opt *opt, struct xaio_evset *es);
/* Creates newpath, a symbolic link whose contents are target. */
XAIO_API int xaio_symlink_loc(struct xaio_srcloc loc, const char *target,
			      struct xaio_file *newdir, const char *newpath,
			      const struct xaio_opt *opt,
			      struct xaio_evset *es);
/*
 * The result (xaio_op_info.result; a synchronous call's return value) is
 * the target's whole length without a NUL, as snprintf(3) counts: when it
 * is less than size, buf holds the target and a NUL; else buf holds its
 * first size - 1 bytes and a NUL, and result + 1 bytes are needed.  size
 * 0 (buf may be NULL) asks the length only.  buf lives until completion.
 */
XAIO_API int xaio_readlink_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			       const char *path, char *buf, size_t size,
			       const struct xaio_opt *opt,
			       struct xaio_evset *es);
/*
 * mode F_OK or R_OK|W_OK|X_OK; flags AT_EACCESS, AT_SYMLINK_NOFOLLOW,
 * AT_EMPTY_PATH (then path may be "": dir itself).  Others -EINVAL.
 */
XAIO_API int xaio_access_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			     const char *path, int mode, int flags,
			     const struct xaio_opt *opt, struct xaio_evset *es);

/*
 * A listing: names a call found (a directory's entries, a file's extended
 * attributes), sorted in byte order of their names (strcmp), in one block
 * the library allocates and xaio_listing_free() frees; nothing in it needs
 * freeing on its own.  For a directory, "." and ".." are not in it.
 */
struct xaio_entry {
	const char *name; /* NUL-terminated, inside the listing's block */
	uint64_t ino; /* directories: d_ino; else 0 */
	uint32_t type; /* directories: DT_* (DT_UNKNOWN if not known); else 0 */
	uint32_t reserved;
};

struct xaio_listing {
	size_t count;
	struct xaio_entry *entries; /* count of them, sorted by name */
};

/* Frees a listing (NULL: nothing). */
XAIO_API void xaio_listing_free(struct xaio_listing *l);

/*
 * A directory's entries (H5G, H5L iterate, delete_by_idx, exists, H5O
 * open_by_idx).  path names the directory relative to dir (a directory
 * handle that may be a future, or NULL: the working directory); NULL or
 * "" names dir itself.  "The n-th entry" counts from 0 in the order of a
 * listing (by name, without "." and ".."), read afresh by the operation.
 * In a set, each runs after the set's earlier operations on the path, its
 * parents and what is below it (it sees what they created), and later ones
 * there run after it.  Pool-only: several system calls on a worker.
 */
/* The listing into *out (set only on success; xaio_listing_free() it);
 * the result: its count. */
XAIO_API int xaio_readdir_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			      const char *path, struct xaio_listing **out,
			      const struct xaio_opt *opt,
			      struct xaio_evset *es);
/* The result: how many entries; stx (NULL: none), the directory's statx. */
XAIO_API int xaio_dirinfo_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			      const char *path, unsigned int mask,
			      struct statx *stx, const struct xaio_opt *opt,
			      struct xaio_evset *es);
/* The n-th entry's name into name, by xaio_readlink's rule (the result is
 * its whole length; size 0 asks the length); -ENOENT: no n-th entry. */
XAIO_API int xaio_dirent_nth_loc(struct xaio_srcloc loc, struct xaio_file *dir,
				 const char *path, uint64_t n, char *name,
				 size_t size, const struct xaio_opt *opt,
				 struct xaio_evset *es);
/* Removes the n-th entry, as remove(3): unlink, or rmdir if a directory. */
XAIO_API int xaio_remove_nth_loc(struct xaio_srcloc loc, struct xaio_file *dir,
				 const char *path, uint64_t n,
				 const struct xaio_opt *opt,
				 struct xaio_evset *es);
/* Is there an entry at path (relative to dir; a link is not followed)?
 * The result: 1 or 0; other failures (EACCES, ENOTDIR ...) -errno. */
XAIO_API int xaio_exists_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			     const char *path, const struct xaio_opt *opt,
			     struct xaio_evset *es);
/* xaio_openat() of the n-th entry: *f is a future handle (no O_CREAT). */
XAIO_API int xaio_open_nth_loc(struct xaio_srcloc loc, struct xaio_file **f,
			       struct xaio_file *dir, const char *path,
			       uint64_t n, int flags, mode_t mode,
			       const struct xaio_opt *opt,
			       struct xaio_evset *es);
XAIO_API int xaio_readdir(struct xaio_file *dir, const char *path,
			  struct xaio_listing **out, const struct xaio_opt *opt,
			  struct xaio_evset *es);
XAIO_API int xaio_dirinfo(struct xaio_file *dir, const char *path,
			  unsigned int mask, struct statx *stx,
			  const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_dirent_nth(struct xaio_file *dir, const char *path,
			     uint64_t n, char *name, size_t size,
			     const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_remove_nth(struct xaio_file *dir, const char *path,
			     uint64_t n, const struct xaio_opt *opt,
			     struct xaio_evset *es);
XAIO_API int xaio_exists(struct xaio_file *dir, const char *path,
			 const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_open_nth(struct xaio_file **f, struct xaio_file *dir,
			   const char *path, uint64_t n, int flags, mode_t mode,
			   const struct xaio_opt *opt, struct xaio_evset *es);

/*
 * Extended attributes (HDF5's H5A), as fsetxattr(2) and the rest: each on
 * a handle f (which may be a future: the operation runs after its open,
 * and on f in program order with f's other xattr operations when one of
 * two changes attributes), and by path, relative to the directory handle
 * dir (a future, or NULL for the working directory) and ordered by path in
 * a set as xaio_unlink.  Path forms take AT_SYMLINK_NOFOLLOW in flags (the
 * link itself, as lsetxattr(2)).  Names and a value to set are copied.
 * Before anything starts: a NULL name -EINVAL; an empty name or one longer
 * than XATTR_NAME_MAX (255) -ERANGE (what the kernel says); a value larger
 * than XATTR_SIZE_MAX (65536) -E2BIG; a buffer policy other than
 * XAIO_BUF_BORROW -EINVAL (set: XAIO_BUF_COPY too, the value is always
 * copied).  Paths as xaio_unlink.  See xaio_setxattr(3).
 */
/* flags: XATTR_CREATE (else -EEXIST) or XATTR_REPLACE (else -ENODATA). */
XAIO_API int xaio_fsetxattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
				const char *name, const void *value,
				size_t size, int flags,
				const struct xaio_opt *opt,
				struct xaio_evset *es);
XAIO_API int xaio_setxattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			       const char *path, const char *name,
			       const void *value, size_t size, int flags,
			       const struct xaio_opt *opt,
			       struct xaio_evset *es);
/*
 * The result is the value's whole size: when it is at most size, buf holds
 * the value; else buf holds its first size bytes and result bytes are
 * needed (getxattr(2) would say ERANGE).  size 0 (buf may be NULL) asks
 * the size only.  buf lives until completion.
 */
XAIO_API int xaio_fgetxattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
				const char *name, void *buf, size_t size,
				const struct xaio_opt *opt,
				struct xaio_evset *es);
XAIO_API int xaio_getxattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			       const char *path, const char *name, void *buf,
			       size_t size, int flags,
			       const struct xaio_opt *opt,
			       struct xaio_evset *es);
/* The result: 1 if the file has the attribute, 0 if not (ENODATA). */
XAIO_API int xaio_fhasxattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
				const char *name, const struct xaio_opt *opt,
				struct xaio_evset *es);
XAIO_API int xaio_hasxattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			       const char *path, const char *name, int flags,
			       const struct xaio_opt *opt,
			       struct xaio_evset *es);
/*
 * The names, sorted, in a listing for *out (set on success only; free it
 * with xaio_listing_free); the result is their count.
 */
XAIO_API int xaio_flistxattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
				 struct xaio_listing **out,
				 const struct xaio_opt *opt,
				 struct xaio_evset *es);
XAIO_API int xaio_listxattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
				const char *path, struct xaio_listing **out,
				int flags, const struct xaio_opt *opt,
				struct xaio_evset *es);
/*
 * The index-th name in name order (from 0; -ENODATA past the last) into
 * buf, with xaio_readlink's rule: the result is its length, it fits when
 * that is less than size.
 */
XAIO_API int xaio_fxattrname_loc(struct xaio_srcloc loc, struct xaio_file *f,
				 uint64_t index, char *buf, size_t size,
				 const struct xaio_opt *opt,
				 struct xaio_evset *es);
XAIO_API int xaio_xattrname_loc(struct xaio_srcloc loc, struct xaio_file *dir,
				const char *path, uint64_t index, char *buf,
				size_t size, int flags,
				const struct xaio_opt *opt,
				struct xaio_evset *es);
/*
 * oldname to newname, never replacing one (-EEXIST): get, set with
 * XATTR_CREATE, remove, in one operation; interrupted, both names remain.
 */
XAIO_API int xaio_frenamexattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
				   const char *oldname, const char *newname,
				   const struct xaio_opt *opt,
				   struct xaio_evset *es);
XAIO_API int xaio_renamexattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
				  const char *path, const char *oldname,
				  const char *newname, int flags,
				  const struct xaio_opt *opt,
				  struct xaio_evset *es);
XAIO_API int xaio_fremovexattr_loc(struct xaio_srcloc loc, struct xaio_file *f,
				   const char *name, const struct xaio_opt *opt,
				   struct xaio_evset *es);
XAIO_API int xaio_removexattr_loc(struct xaio_srcloc loc, struct xaio_file *dir,
				  const char *path, const char *name, int flags,
				  const struct xaio_opt *opt,
				  struct xaio_evset *es);

XAIO_API int xaio_fsetxattr(struct xaio_file *f, const char *name,
			    const void *value, size_t size, int flags,
			    const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_setxattr(struct xaio_file *dir, const char *path,
			   const char *name, const void *value, size_t size,
			   int flags, const struct xaio_opt *opt,
			   struct xaio_evset *es);
XAIO_API int xaio_fgetxattr(struct xaio_file *f, const char *name, void *buf,
			    size_t size, const struct xaio_opt *opt,
			    struct xaio_evset *es);
XAIO_API int xaio_getxattr(struct xaio_file *dir, const char *path,
			   const char *name, void *buf, size_t size, int flags,
			   const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_fhasxattr(struct xaio_file *f, const char *name,
			    const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_hasxattr(struct xaio_file *dir, const char *path,
			   const char *name, int flags,
			   const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_flistxattr(struct xaio_file *f, struct xaio_listing **out,
			     const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_listxattr(struct xaio_file *dir, const char *path,
			    struct xaio_listing **out, int flags,
			    const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_fxattrname(struct xaio_file *f, uint64_t index, char *buf,
			     size_t size, const struct xaio_opt *opt,
			     struct xaio_evset *es);
XAIO_API int xaio_xattrname(struct xaio_file *dir, const char *path,
			    uint64_t index, char *buf, size_t size, int flags,
			    const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_frenamexattr(struct xaio_file *f, const char *oldname,
			       const char *newname, const struct xaio_opt *opt,
			       struct xaio_evset *es);
XAIO_API int xaio_renamexattr(struct xaio_file *dir, const char *path,
			      const char *oldname, const char *newname,
			      int flags, const struct xaio_opt *opt,
			      struct xaio_evset *es);
XAIO_API int xaio_fremovexattr(struct xaio_file *f, const char *name,
			       const struct xaio_opt *opt,
			       struct xaio_evset *es);
XAIO_API int xaio_removexattr(struct xaio_file *dir, const char *path,
			      const char *name, int flags,
			      const struct xaio_opt *opt,
			      struct xaio_evset *es);

/*
 * Metadata changes (what a copy preserves), as fchmod(2)/fchmodat(2),
 * fchown(2)/fchownat(2) and futimens(3)/utimensat(2): each on a handle f
 * (which may be a future) and by path relative to dir (a directory handle
 * that may be a future, or NULL: the working directory; paths as
 * xaio_unlink), flags 0 or AT_SYMLINK_NOFOLLOW (the link itself; others
 * -EINVAL).  On a handle each is a barrier, as xaio_ftruncate (a copy's
 * times after its writes).  By path, in a set, each runs after the set's
 * earlier operations on the path, its parents and below it (a directory's
 * times and mode after what was created inside it).  Pool-only.  See
 * xaio_chmod(3), xaio_chown(3), xaio_utimens(3).
 */
/* mode: permission bits only (07777; others -EINVAL). */
XAIO_API int xaio_chmod_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			    const char *path, mode_t mode, int flags,
			    const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_fchmod_loc(struct xaio_srcloc loc, struct xaio_file *f,
			     mode_t mode, const struct xaio_opt *opt,
			     struct xaio_evset *es);
/* (uid_t)-1 or (gid_t)-1 leaves that one as it is. */
XAIO_API int xaio_chown_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			    const char *path, uid_t uid, gid_t gid, int flags,
			    const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_fchown_loc(struct xaio_srcloc loc, struct xaio_file *f,
			     uid_t uid, gid_t gid, const struct xaio_opt *opt,
			     struct xaio_evset *es);
/*
 * times: NULL (both now) or an array of two, [0] the access time and [1]
 * the modification time, each in nanoseconds, UTIME_NOW or UTIME_OMIT
 * (other tv_nsec: -EINVAL).  Copied at submission.
 */
XAIO_API int xaio_utimens_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			      const char *path, const struct timespec *times,
			      int flags, const struct xaio_opt *opt,
			      struct xaio_evset *es);
XAIO_API int xaio_futimens_loc(struct xaio_srcloc loc, struct xaio_file *f,
			       const struct timespec *times,
			       const struct xaio_opt *opt,
			       struct xaio_evset *es);
XAIO_API int xaio_chmod(struct xaio_file *dir, const char *path, mode_t mode,
			int flags, const struct xaio_opt *opt,
			struct xaio_evset *es);
XAIO_API int xaio_fchmod(struct xaio_file *f, mode_t mode,
			 const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_chown(struct xaio_file *dir, const char *path, uid_t uid,
			gid_t gid, int flags, const struct xaio_opt *opt,
			struct xaio_evset *es);
XAIO_API int xaio_fchown(struct xaio_file *f, uid_t uid, gid_t gid,
			 const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_utimens(struct xaio_file *dir, const char *path,
			  const struct timespec *times, int flags,
			  const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_futimens(struct xaio_file *f, const struct timespec *times,
			   const struct xaio_opt *opt, struct xaio_evset *es);

/*
 * The handle's open: 0 when the file is open, -EINPROGRESS while it is
 * pending, or the open's -errno.  Never blocks.
 */
XAIO_API int xaio_file_status(struct xaio_file *f);
/*
 * Waits for every operation submitted on f so far (H5Fwait): 0 or
 * -ETIMEDOUT.  It does not harvest them from their sets.
 */
XAIO_API int xaio_file_wait(struct xaio_file *f, uint64_t timeout_ns);
/*
 * Waits for f's open only and returns its descriptor (owned by f: do not
 * close it), or the open's -errno.
 */
XAIO_API int xaio_file_fd(struct xaio_file *f);

/*
 * A POSIX request in a set (in libxaio-posix: link it, or preload it, too).
 * Submits cb as aio_read(3) (op LIO_READ), aio_write(3) (LIO_WRITE) or
 * aio_fsync(3) (O_SYNC or O_DSYNC) would, and counts it in es as one more
 * operation: its status and result, callbacks and error records (api
 * "aio_read", "aio_write" or "aio_fsync") are the set's as for any other.
 * The aiocb is the POSIX request it always is (aio_error, aio_return,
 * aio_suspend, aio_cancel, its sigevent).  opt: user_tag and op_id only
 * (its buffer is the aiocb's; POSIX orders it): other fields -EINVAL.
 * 0, or the -errno aio_read would have failed with (also in cb), or the
 * set's refusal; es NULL: a plain submission.
 */
struct aiocb;
XAIO_API int xaio_evset_add_aiocb_loc(struct xaio_srcloc loc,
				      struct xaio_evset *es, int op,
				      struct aiocb *cb,
				      const struct xaio_opt *opt);
XAIO_API int xaio_evset_add_aiocb(struct xaio_evset *es, int op,
				  struct aiocb *cb, const struct xaio_opt *opt);

/*
 * Copies (H5Ocopy): len bytes (XAIO_COPY_ALL: to src's end) of src from
 * src_off to dst at dst_off, both handles possibly futures.  A reflink
 * clone (FICLONERANGE) where the file system can, else copy_file_range(2),
 * else read/write, on a pool worker; src's holes stay holes.  dst grows to
 * cover what was copied and is never truncated.  A barrier on both
 * handles.  The result (and *done) is the bytes copied (fewer than len at
 * src's end).  "refresh" is xaio_fstat/xaio_stat with
 * AT_STATX_FORCE_SYNC, "flush" is xaio_fsync.  See xaio_copy(3).
 */
#define XAIO_COPY_ALL UINT64_MAX
enum {
	XAIO_COPY_CLONE = 1u << 0, /* a reflink clone or the kernel's error */
	XAIO_COPY_NOCLONE = 1u << 1, /* copy the bytes: never share blocks */
	XAIO_COPY_RW = 1u << 2, /* read/write only (implies NOCLONE) */
};
XAIO_API int xaio_copy_loc(struct xaio_srcloc loc, struct xaio_file *src,
			   off_t src_off, struct xaio_file *dst, off_t dst_off,
			   uint64_t len, unsigned int flags, ssize_t *done,
			   const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_copy(struct xaio_file *src, off_t src_off,
		       struct xaio_file *dst, off_t dst_off, uint64_t len,
		       unsigned int flags, ssize_t *done,
		       const struct xaio_opt *opt, struct xaio_evset *es);

/*
 * A whole-file copy with its metadata (H5Ocopy of an object with its
 * attributes): srcpath (relative to srcdir; NULL: the working directory)
 * to a new file dstpath (relative to dstdir), ONE pool operation that
 * opens the source (O_NOFOLLOW: a symbolic link is -ELOOP; a directory
 * -EISDIR, any other non-regular file -EINVAL), creates the copy
 * (O_EXCL: -EEXIST if it exists, unless XAIO_COPY_REPLACE), copies the
 * bytes as xaio_copy (clone, else copy_file_range, else read/write; holes
 * stay holes; the XAIO_COPY_CLONE/_NOCLONE/_RW flags), then what the flags
 * preserve: extended attributes, owner, times (ns), mode (last), and
 * closes both.  A failure removes a copy it created.  Ordered by path on
 * both paths.  The result is the bytes copied; *info (optional, valid
 * until completion) gets them and, on a failure, the step that failed.
 * See xaio_copy_file(3).
 */
enum {
	XAIO_COPY_MODE = 1u << 3, /* fchmod to the source's mode, last */
	XAIO_COPY_OWNER = 1u << 4, /* fchown (EPERM unless root: ignored) */
	XAIO_COPY_TIMES = 1u << 5, /* futimens: atime, mtime (ns) */
	XAIO_COPY_XATTRS = 1u << 6, /* the extended attributes */
	XAIO_COPY_PRESERVE = XAIO_COPY_MODE | XAIO_COPY_OWNER |
			     XAIO_COPY_TIMES | XAIO_COPY_XATTRS,
	XAIO_COPY_REPLACE = 1u << 7, /* an existing regular file: rewritten */
};
/* xaio_copy_info.step: what failed (0: nothing). */
enum {
	XAIO_COPY_STEP_NONE,
	XAIO_COPY_STEP_OPEN, /* the source's open or fstat */
	XAIO_COPY_STEP_CREATE, /* the copy's open */
	XAIO_COPY_STEP_DATA, /* the bytes */
	XAIO_COPY_STEP_XATTRS,
	XAIO_COPY_STEP_OWNER,
	XAIO_COPY_STEP_TIMES,
	XAIO_COPY_STEP_MODE,
	XAIO_COPY_STEP_CLOSE, /* the copy's close */
};
struct xaio_copy_info {
	int64_t bytes; /* copied */
	uint32_t step; /* XAIO_COPY_STEP_*: the one that failed */
	int32_t error; /* its errno, or 0 */
	/* The source's fstat (once it opened, else 0): hard links. */
	uint64_t dev, ino, nlink;
};
XAIO_API int xaio_copy_file_loc(struct xaio_srcloc loc,
				struct xaio_file *srcdir, const char *srcpath,
				struct xaio_file *dstdir, const char *dstpath,
				unsigned int flags, struct xaio_copy_info *info,
				const struct xaio_opt *opt,
				struct xaio_evset *es);
XAIO_API int xaio_copy_file(struct xaio_file *srcdir, const char *srcpath,
			    struct xaio_file *dstdir, const char *dstpath,
			    unsigned int flags, struct xaio_copy_info *info,
			    const struct xaio_opt *opt, struct xaio_evset *es);

/*
 * Maps (H5M): a directory of values, one file per key; the map is a
 * directory handle (xaio_close closes it).  create makes the directory
 * (mkdirat, its parent fsync'ed: -EEXIST if it exists) and opens it; open
 * opens an existing one (O_RDONLY | O_DIRECTORY).  Keys: not NULL, not
 * empty, no '/', not "." or "..", not starting with XAIO_MAP_TMP_PREFIX
 * (-EINVAL), at most NAME_MAX bytes (-ENAMETOOLONG), checked before
 * anything starts.  put is atomic and durable (a temporary file, written,
 * fsync'ed, renamed over the key, the directory fsync'ed); value stays
 * valid until it completes (no buffer policy).  get's result is the
 * value's whole size; min(size, it) bytes land in buf (no NUL); size 0
 * asks the size.  delete unlinks the key and fsyncs the directory.  In a
 * set, operations on one key run in order.  See xaio_map_put(3).
 */
#define XAIO_MAP_TMP_PREFIX ".xaio-tmp-"
XAIO_API int xaio_map_create_loc(struct xaio_srcloc loc, struct xaio_file **map,
				 struct xaio_file *dir, const char *path,
				 mode_t mode, const struct xaio_opt *opt,
				 struct xaio_evset *es);
XAIO_API int xaio_map_open_loc(struct xaio_srcloc loc, struct xaio_file **map,
			       struct xaio_file *dir, const char *path,
			       const struct xaio_opt *opt,
			       struct xaio_evset *es);
XAIO_API int xaio_map_put_loc(struct xaio_srcloc loc, struct xaio_file *map,
			      const char *key, const void *value, size_t len,
			      const struct xaio_opt *opt,
			      struct xaio_evset *es);
XAIO_API int xaio_map_get_loc(struct xaio_srcloc loc, struct xaio_file *map,
			      const char *key, void *buf, size_t size,
			      const struct xaio_opt *opt,
			      struct xaio_evset *es);
XAIO_API int xaio_map_delete_loc(struct xaio_srcloc loc, struct xaio_file *map,
				 const char *key, const struct xaio_opt *opt,
				 struct xaio_evset *es);
XAIO_API int xaio_map_create(struct xaio_file **map, struct xaio_file *dir,
			     const char *path, mode_t mode,
			     const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_map_open(struct xaio_file **map, struct xaio_file *dir,
			   const char *path, const struct xaio_opt *opt,
			   struct xaio_evset *es);
XAIO_API int xaio_map_put(struct xaio_file *map, const char *key,
			  const void *value, size_t len,
			  const struct xaio_opt *opt, struct xaio_evset *es);
XAIO_API int xaio_map_get(struct xaio_file *map, const char *key, void *buf,
			  size_t size, const struct xaio_opt *opt,
			  struct xaio_evset *es);
XAIO_API int xaio_map_delete(struct xaio_file *map, const char *key,
			     const struct xaio_opt *opt, struct xaio_evset *es);

/*
 * References (H5R).  A reference names a file itself, not a path: the
 * kernel's file handle (name_to_handle_at(2)), which survives renames
 * (and stays valid until the file is deleted: then ESTALE).  xaio_ref_get
 * fills *ref (which lives until completion) for path relative to dir;
 * flags AT_SYMLINK_FOLLOW, AT_EMPTY_PATH (path "": dir itself), others
 * -EINVAL; a file system without handles: EOPNOTSUPP.  xaio_ref_open opens
 * the file as a new handle *f (a future, as xaio_open's) with open(2)
 * flags (not O_CREAT, O_EXCL, O_TMPFILE: -EINVAL), through mnt, any handle
 * on the same file system (NULL: the working directory's);
 * open_by_handle_at(2) needs CAP_DAC_READ_SEARCH: without it the open
 * fails with EPERM.  *ref is copied.  See xaio_ref_get(3).
 */
#define XAIO_REF_HANDLE_MAX 128 /* MAX_HANDLE_SZ */
struct xaio_ref {
	uint64_t mount_id; /* name_to_handle_at's mount id (information) */
	int32_t handle_type; /* struct file_handle's */
	uint32_t handle_bytes; /* bytes of handle used */
	unsigned char handle[XAIO_REF_HANDLE_MAX];
};
/* An attribute reference: the file, and the name of an extended attribute. */
struct xaio_ref_attr {
	struct xaio_ref ref;
	char name[256]; /* XATTR_NAME_MAX + 1, NUL-terminated */
};
/* A region reference: the file, and a byte range of it. */
struct xaio_ref_region {
	struct xaio_ref ref;
	uint64_t offset, length;
};
XAIO_API int xaio_ref_get_loc(struct xaio_srcloc loc, struct xaio_file *dir,
			      const char *path, int flags, struct xaio_ref *ref,
			      const struct xaio_opt *opt,
			      struct xaio_evset *es);
XAIO_API int xaio_ref_open_loc(struct xaio_srcloc loc, struct xaio_file **f,
			       struct xaio_file *mnt,
			       const struct xaio_ref *ref, int flags,
			       const struct xaio_opt *opt,
			       struct xaio_evset *es);
XAIO_API int xaio_ref_get(struct xaio_file *dir, const char *path, int flags,
			  struct xaio_ref *ref, const struct xaio_opt *opt,
			  struct xaio_evset *es);
XAIO_API int xaio_ref_open(struct xaio_file **f, struct xaio_file *mnt,
			   const struct xaio_ref *ref, int flags,
			   const struct xaio_opt *opt, struct xaio_evset *es);

#if !defined(XAIO_BUILDING) && !defined(XAIO_NO_SRCLOC_MACROS)
#define xaio_open(...) xaio_open_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_openat(...) xaio_openat_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_close(...) xaio_close_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_pread(...) xaio_pread_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_pwrite(...) xaio_pwrite_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_preadv(...) xaio_preadv_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_pwritev(...) xaio_pwritev_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fsync(...) xaio_fsync_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fdatasync(...) xaio_fdatasync_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_ftruncate(...) xaio_ftruncate_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fallocate(...) xaio_fallocate_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fstat(...) xaio_fstat_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_stat(...) xaio_stat_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_mkdir(...) xaio_mkdir_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_unlink(...) xaio_unlink_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_rmdir(...) xaio_rmdir_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_rename(...) xaio_rename_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_link(...) xaio_link_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_symlink(...) xaio_symlink_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_readlink(...) xaio_readlink_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_access(...) xaio_access_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_readdir(...) xaio_readdir_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_dirinfo(...) xaio_dirinfo_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_dirent_nth(...) xaio_dirent_nth_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_remove_nth(...) xaio_remove_nth_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_exists(...) xaio_exists_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_open_nth(...) xaio_open_nth_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fsetxattr(...) xaio_fsetxattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_setxattr(...) xaio_setxattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fgetxattr(...) xaio_fgetxattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_getxattr(...) xaio_getxattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fhasxattr(...) xaio_fhasxattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_hasxattr(...) xaio_hasxattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_flistxattr(...) xaio_flistxattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_listxattr(...) xaio_listxattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fxattrname(...) xaio_fxattrname_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_xattrname(...) xaio_xattrname_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_frenamexattr(...) xaio_frenamexattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_renamexattr(...) xaio_renamexattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fremovexattr(...) xaio_fremovexattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_removexattr(...) xaio_removexattr_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_copy(...) xaio_copy_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_copy_file(...) xaio_copy_file_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_map_create(...) xaio_map_create_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_map_open(...) xaio_map_open_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_map_put(...) xaio_map_put_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_map_get(...) xaio_map_get_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_map_delete(...) xaio_map_delete_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_ref_get(...) xaio_ref_get_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_ref_open(...) xaio_ref_open_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_chmod(...) xaio_chmod_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fchmod(...) xaio_fchmod_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_chown(...) xaio_chown_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_fchown(...) xaio_fchown_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_utimens(...) xaio_utimens_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_futimens(...) xaio_futimens_loc(XAIO_HERE, __VA_ARGS__)
#define xaio_evset_add_aiocb(...)                                              \
	xaio_evset_add_aiocb_loc(XAIO_HERE, __VA_ARGS__)
#endif

#ifdef __cplusplus
}
#endif

#endif
