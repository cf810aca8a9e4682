// SPDX-License-Identifier: MIT
/*
 * The path operations of HDF5's H5L/H5F table: xaio_unlink, xaio_rmdir,
 * xaio_rename, xaio_link, xaio_symlink, xaio_readlink and xaio_access.
 * For each, synchronously and in a set: the effect on the file system,
 * checked with plain system calls afterwards; the kernel's errors in the
 * result or the status; the argument errors that start nothing (the set
 * counts no operation and the file system is unchanged); relative to
 * directory handles that are futures; the error record's arguments.
 * Ordering by path is in paths.c.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtest.h"

/* Does the file at xt_path(name) hold exactly s? */
static bool holds(const char *name, const char *s)
{
	char b[256];
	ssize_t n = et_read_file(xt_path(name), b, sizeof(b), 0);

	return n == (ssize_t)strlen(s) && !memcmp(b, s, (size_t)n);
}

static ino_t ino(const char *name)
{
	struct stat st;

	return lstat(xt_path(name), &st) < 0 ? 0 : st.st_ino;
}

static int t_unlink_rmdir(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_op_info in;
	struct xaio_error e;
	struct xaio_opt o = {0};
	uint64_t id = 0;
	size_t n = 0;

	XT_REQUIRE_BACKEND();
	et_put("u1", "x");
	XT_ASSERT_EQ(xaio_unlink(NULL, xt_path("u1"), NULL, NULL), 0);
	XT_ASSERT(et_absent("u1"));
	XT_ASSERT_EQ(xaio_unlink(NULL, xt_path("u1"), NULL, NULL), -ENOENT);
	XT_ASSERT_OK(mkdir(xt_path("ud"), 0755));
	et_put("ud/f", "x");
	XT_ASSERT_EQ(xaio_unlink(NULL, xt_path("ud"), NULL, NULL), -EISDIR);
	XT_ASSERT_EQ(xaio_rmdir(NULL, xt_path("ud"), NULL, NULL), -ENOTEMPTY);
	XT_ASSERT_EQ(xaio_rmdir(NULL, xt_path("ud/f"), NULL, NULL), -ENOTDIR);
	XT_ASSERT(!et_absent("ud/f"));

	/* In a set, relative to a directory handle still opening. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	{
		struct xaio_file *d = NULL;

		XT_ASSERT_EQ(xaio_open(&d, xt_path("ud"),
				       O_RDONLY | O_DIRECTORY, 0, NULL, es),
			     0);
		o = et_id(&id);
		XT_ASSERT_EQ(xaio_unlink(d, "f", &o, es), 0);
		XT_ASSERT_EQ(et_status(es, id, &in), 0);
		XT_ASSERT(!strcmp(in.api, "xaio_unlink"));
		XT_ASSERT(et_absent("ud/f"));
		XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	}
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_rmdir(NULL, xt_path("ud"), &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_rmdir"));
	XT_ASSERT(et_absent("ud"));
	/* A failure in a set: the status and a record naming the path. */
	XT_ASSERT_EQ(xaio_rmdir(NULL, xt_path("ud"), &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOENT);
	XT_ASSERT_EQ(xaio_evset_errors(es, &e, 1, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT(e.args && strstr(e.args, "/ud\"") &&
		  strstr(e.args, "flags=0x200"));
	xaio_evset_free_errors(&e, n);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	et_put("u2", "x");
	XT_ASSERT_EQ(xaio_unlink(NULL, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_rmdir(NULL, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_unlink(NULL, "", NULL, es), -ENOENT);
	XT_ASSERT_EQ(xaio_rmdir(NULL, "", NULL, NULL), -ENOENT);
	XT_ASSERT_EQ(xaio_unlink(NULL, et_too_long(), NULL, es), -ENAMETOOLONG);
	XT_ASSERT_EQ(xaio_rmdir(NULL, et_too_long(), NULL, NULL),
		     -ENAMETOOLONG);
	o = (struct xaio_opt){.flags = XAIO_BUF_COPY};
	XT_ASSERT_EQ(xaio_unlink(NULL, xt_path("u2"), &o, es), -EINVAL);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT(!et_absent("u2"));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_rename(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *da = NULL, *db = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	uint64_t id = 0;
	ino_t i;

	XT_REQUIRE_BACKEND();
	et_put("r1", "one");
	i = ino("r1");
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("r1"), NULL, xt_path("r2"), 0,
				 NULL, NULL),
		     0);
	XT_ASSERT(et_absent("r1"));
	XT_ASSERT(holds("r2", "one"));
	XT_ASSERT_EQ(ino("r2"), i);
	/* NOREPLACE onto a file: EEXIST, both unchanged. */
	et_put("r3", "three");
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("r2"), NULL, xt_path("r3"),
				 RENAME_NOREPLACE, NULL, NULL),
		     -EEXIST);
	XT_ASSERT(holds("r2", "one") && holds("r3", "three"));
	/* Plain: replaces. */
	et_put("r4", "four");
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("r4"), NULL, xt_path("r3"), 0,
				 NULL, NULL),
		     0);
	XT_ASSERT(et_absent("r4") && holds("r3", "four"));
	/* EXCHANGE: swapped. */
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("r2"), NULL, xt_path("r3"),
				 RENAME_EXCHANGE, NULL, NULL),
		     0);
	XT_ASSERT(holds("r2", "four") && holds("r3", "one"));
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("r2"), NULL, xt_path("none"),
				 RENAME_EXCHANGE, NULL, NULL),
		     -ENOENT);
	XT_ASSERT(holds("r2", "four"));

	/* In a set, between two directory handles, both futures. */
	XT_ASSERT_OK(mkdir(xt_path("ra"), 0755));
	XT_ASSERT_OK(mkdir(xt_path("rb"), 0755));
	et_put("ra/f", "moved");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&da, xt_path("ra"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	XT_ASSERT_EQ(xaio_open(&db, xt_path("rb"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_rename(da, "f", db, "g", 0, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_rename"));
	XT_ASSERT(et_absent("ra/f") && holds("rb/g", "moved"));
	/* A missing source, asynchronously. */
	XT_ASSERT_EQ(xaio_rename(da, "f", db, "h", 0, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOENT);
	XT_ASSERT(et_absent("rb/h"));
	XT_ASSERT_EQ(xaio_close(da, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(db, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	XT_ASSERT(holds("rb/g", "moved"));

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("r2"), NULL, xt_path("r5"),
				 RENAME_NOREPLACE | RENAME_EXCHANGE, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("r2"), NULL, xt_path("r5"),
				 RENAME_WHITEOUT, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_rename(NULL, NULL, NULL, xt_path("r5"), 0, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("r2"), NULL, NULL, 0, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_rename(NULL, "", NULL, xt_path("r5"), 0, NULL, es),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("r2"), NULL, "", 0, NULL, es),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("r2"), NULL, et_too_long(), 0,
				 NULL, es),
		     -ENAMETOOLONG);
	XT_ASSERT_EQ(xaio_rename(NULL, et_too_long(), NULL, xt_path("r5"), 0,
				 NULL, NULL),
		     -ENAMETOOLONG);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT(holds("r2", "four") && et_absent("r5"));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_link_symlink(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL;
	struct xaio_op_info in;
	struct xaio_error e;
	struct xaio_opt o;
	struct stat st;
	char b[64];
	uint64_t id = 0;
	size_t n = 0;

	XT_REQUIRE_BACKEND();
	et_put("l1", "data");
	XT_ASSERT_EQ(xaio_link(NULL, xt_path("l1"), NULL, xt_path("l2"), 0,
			       NULL, NULL),
		     0);
	XT_ASSERT_EQ(ino("l2"), ino("l1"));
	XT_ASSERT_OK(stat(xt_path("l1"), &st));
	XT_ASSERT_EQ(st.st_nlink, 2);
	XT_ASSERT_EQ(xaio_link(NULL, xt_path("l1"), NULL, xt_path("l2"), 0,
			       NULL, NULL),
		     -EEXIST);
	/* A symlink to l1, then links to it with and without following. */
	XT_ASSERT_EQ(xaio_symlink("l1", NULL, xt_path("s1"), NULL, NULL), 0);
	XT_ASSERT_EQ(readlink(xt_path("s1"), b, sizeof(b)), 2);
	XT_ASSERT(!memcmp(b, "l1", 2));
	XT_ASSERT_EQ(xaio_symlink("l1", NULL, xt_path("s1"), NULL, NULL),
		     -EEXIST);
	XT_ASSERT_EQ(xaio_link(NULL, xt_path("s1"), NULL, xt_path("s2"),
			       AT_SYMLINK_FOLLOW, NULL, NULL),
		     0);
	XT_ASSERT_EQ(ino("s2"), ino("l1"));
	XT_ASSERT_EQ(xaio_link(NULL, xt_path("s1"), NULL, xt_path("s3"), 0,
			       NULL, NULL),
		     0);
	XT_ASSERT_EQ(ino("s3"), ino("s1"));
	XT_ASSERT_OK(lstat(xt_path("s3"), &st));
	XT_ASSERT(S_ISLNK(st.st_mode));

	/* In a set, relative to a directory handle. */
	XT_ASSERT_OK(mkdir(xt_path("ld"), 0755));
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_path("ld"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_link(NULL, xt_path("l1"), d, "hard", 0, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_link"));
	XT_ASSERT_EQ(ino("ld/hard"), ino("l1"));
	XT_ASSERT_EQ(xaio_symlink("../l1", d, "soft", &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_symlink"));
	XT_ASSERT(holds("ld/soft", "data")); /* through the link */
	XT_ASSERT_EQ(xaio_symlink("x", d, "soft", &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), EEXIST);
	XT_ASSERT_EQ(xaio_evset_errors(es, &e, 1, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT(e.args && strstr(e.args, "path=\"soft\"") &&
		  strstr(e.args, "path2=\"x\""));
	xaio_evset_free_errors(&e, n);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_link(NULL, xt_path("l1"), NULL, xt_path("l9"),
			       AT_SYMLINK_NOFOLLOW, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_link(NULL, xt_path("l1"), NULL, xt_path("l9"),
			       AT_EMPTY_PATH, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_link(NULL, NULL, NULL, xt_path("l9"), 0, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_link(NULL, xt_path("l1"), NULL, "", 0, NULL, es),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_link(NULL, et_too_long(), NULL, xt_path("l9"), 0,
			       NULL, es),
		     -ENAMETOOLONG);
	XT_ASSERT_EQ(xaio_symlink(NULL, NULL, xt_path("l9"), NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_symlink("", NULL, xt_path("l9"), NULL, es), -ENOENT);
	XT_ASSERT_EQ(xaio_symlink(et_too_long(), NULL, xt_path("l9"), NULL, es),
		     -ENAMETOOLONG);
	XT_ASSERT_EQ(xaio_symlink("l1", NULL, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_symlink("l1", NULL, "", NULL, NULL), -ENOENT);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT(et_absent("l9"));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_readlink(void)
{
	static char longt[3000];
	struct xaio_evset *es = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	uint64_t id = 0;
	char b[4096];

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(symlink("abcdef", xt_path("k1")));
	/* The length only. */
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k1"), NULL, 0, NULL, NULL),
		     6);
	memset(b, 'x', sizeof(b));
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k1"), b, 0, NULL, NULL), 6);
	XT_ASSERT_EQ(b[0], 'x');
	/* Room: the target and a NUL. */
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k1"), b, 100, NULL, NULL), 6);
	XT_ASSERT(!memcmp(b, "abcdef", 7));
	XT_ASSERT_EQ(b[7], 'x');
	/* Exactly the length: no room for the NUL, truncated. */
	memset(b, 'x', sizeof(b));
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k1"), b, 6, NULL, NULL), 6);
	XT_ASSERT(!memcmp(b, "abcde", 6));
	XT_ASSERT_EQ(b[6], 'x');
	memset(b, 'x', sizeof(b));
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k1"), b, 3, NULL, NULL), 6);
	XT_ASSERT(!memcmp(b, "ab", 3));
	XT_ASSERT_EQ(b[3], 'x');
	memset(b, 'x', sizeof(b));
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k1"), b, 1, NULL, NULL), 6);
	XT_ASSERT_EQ(b[0], 0);
	XT_ASSERT_EQ(b[1], 'x');
	/* A long target: its whole length from a small buffer. */
	memset(longt, 'q', sizeof(longt) - 1);
	XT_ASSERT_OK(symlink(longt, xt_path("k2")));
	memset(b, 'x', sizeof(b));
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k2"), b, 10, NULL, NULL),
		     (int)sizeof(longt) - 1);
	XT_ASSERT(!memcmp(b, "qqqqqqqqq", 10));
	XT_ASSERT_EQ(b[10], 'x');
	XT_ASSERT_EQ(
		xaio_readlink(NULL, xt_path("k2"), b, sizeof(b), NULL, NULL),
		(int)sizeof(longt) - 1);
	XT_ASSERT(!memcmp(b, longt, sizeof(longt)));
	/* The kernel's errors. */
	et_put("k3", "not a link");
	XT_ASSERT_EQ(
		xaio_readlink(NULL, xt_path("k3"), b, sizeof(b), NULL, NULL),
		-EINVAL);
	XT_ASSERT_EQ(
		xaio_readlink(NULL, xt_path("k4"), b, sizeof(b), NULL, NULL),
		-ENOENT);

	/* In a set: the length is the operation's result. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	memset(b, 'x', sizeof(b));
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k1"), b, 4, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_readlink"));
	XT_ASSERT_EQ(in.result, 6);
	XT_ASSERT(!memcmp(b, "abc", 4));
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k1"), b, sizeof(b), &o, es),
		     0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT_EQ(in.result, 6);
	XT_ASSERT(!strcmp(b, "abcdef"));
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k4"), b, sizeof(b), &o, es),
		     0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOENT);
	XT_ASSERT_EQ(in.result, 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k1"), NULL, 4, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_readlink(NULL, NULL, b, 4, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_readlink(NULL, "", b, 4, NULL, es), -ENOENT);
	XT_ASSERT_EQ(xaio_readlink(NULL, et_too_long(), b, 4, NULL, es),
		     -ENAMETOOLONG);
	o = (struct xaio_opt){.flags = XAIO_BUF_COPY};
	XT_ASSERT_EQ(xaio_readlink(NULL, xt_path("k1"), b, 4, &o, es), -EINVAL);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_access(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	uint64_t id = 0;

	XT_REQUIRE_BACKEND();
	et_put("a1", "x");
	XT_ASSERT_OK(chmod(xt_path("a1"), 0600));
	XT_ASSERT_EQ(xaio_access(NULL, xt_path("a1"), F_OK, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(
		xaio_access(NULL, xt_path("a1"), R_OK | W_OK, 0, NULL, NULL),
		0);
	/* No execute bit: refused even to root. */
	XT_ASSERT_EQ(
		xaio_access(NULL, xt_path("a1"), X_OK, AT_EACCESS, NULL, NULL),
		-EACCES);
	XT_ASSERT_EQ(xaio_access(NULL, xt_path("a0"), F_OK, 0, NULL, NULL),
		     -ENOENT);
	/* A dangling link: there without following it, absent through it. */
	XT_ASSERT_OK(symlink("a0", xt_path("a2")));
	XT_ASSERT_EQ(xaio_access(NULL, xt_path("a2"), F_OK, 0, NULL, NULL),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_access(NULL, xt_path("a2"), F_OK, AT_SYMLINK_NOFOLLOW,
				 NULL, NULL),
		     0);

	/* In a set; AT_EMPTY_PATH on the directory handle itself. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(
		xaio_open(&d, xt_tmpdir(), O_RDONLY | O_DIRECTORY, 0, NULL, es),
		0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_access(d, "", X_OK, AT_EMPTY_PATH, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_access"));
	XT_ASSERT_EQ(xaio_access(d, "a1", X_OK, 0, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), EACCES);
	XT_ASSERT_EQ(xaio_access(d, "a1", W_OK, 0, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_access(NULL, xt_path("a1"), 8, 0, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_access(NULL, xt_path("a1"), F_OK, AT_SYMLINK_FOLLOW,
				 NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_access(NULL, NULL, F_OK, 0, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_access(NULL, NULL, F_OK, AT_EMPTY_PATH, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_access(NULL, "", F_OK, 0, NULL, es), -ENOENT);
	XT_ASSERT_EQ(xaio_access(NULL, et_too_long(), F_OK, 0, NULL, es),
		     -ENAMETOOLONG);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"unlink_rmdir", t_unlink_rmdir},
	{"rename", t_rename},
	{"link_symlink", t_link_symlink},
	{"readlink", t_readlink},
	{"access", t_access},
};

XT_MAIN(cases)
