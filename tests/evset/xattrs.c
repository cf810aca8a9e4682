// SPDX-License-Identifier: MIT
/*
 * Extended attributes (HDF5's H5A row): xaio_[f]setxattr, [f]getxattr,
 * [f]hasxattr, [f]listxattr, [f]xattrname, [f]renamexattr and
 * [f]removexattr.  For each, on a handle and by path, synchronously and in
 * a set: the effect on the file, checked with plain getxattr(2) and
 * listxattr(2) afterwards; the kernel's errors (EEXIST, ENODATA, EPERM on
 * a symbolic link's user.* names) in the result; the size rules of values
 * and names that do not fit; argument errors that start nothing (the set
 * counts no operation); a handle that is a future (operations right after
 * its xaio_open, in program order); ordering by path (an open that
 * creates the file, then attributes on its path, in one set); a value
 * copied at submission; a cancelled listing that leaks nothing.
 *
 * The temporary directory must take user.* attributes: each case probes
 * with setxattr(2) first and skips, saying so, where it does not.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "evtest.h"

/* Skips the case unless the test directory takes user.* attributes. */
#define NEED_XATTRS()                                                          \
	do {                                                                   \
		XT_REQUIRE_BACKEND();                                          \
		XT_SKIP_IF(!xattrs_work(),                                     \
			   "%s does not take user.* extended "                 \
			   "attributes (setxattr: %s)",                        \
			   xt_tmpdir(), strerror(probe_errno));                \
	} while (0)

static int probe_errno;

static bool xattrs_work(void)
{
	const char *p = xt_path("xattr-probe");
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	bool ok;

	if (fd < 0)
		abort();
	close(fd);
	ok = setxattr(p, "user.probe", "1", 1, 0) == 0;
	probe_errno = ok ? 0 : errno;
	unlink(p);
	return ok;
}

/* Makes an empty file xt_path(name); its path in p (PATH_MAX bytes). */
static const char *touch(char *p, const char *name)
{
	int fd;

	snprintf(p, PATH_MAX, "%s", xt_path(name));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		abort();
	close(fd);
	return p;
}

/* Does path have attribute name with exactly the value s (NULL: none)? */
static bool has_value(const char *path, const char *name, const char *s)
{
	char b[256];
	ssize_t n = lgetxattr(path, name, b, sizeof(b));

	if (!s)
		return n < 0 && errno == ENODATA;
	return n == (ssize_t)strlen(s) && !memcmp(b, s, (size_t)n);
}

static int t_handle_sync(void)
{
	static char big[4000], out[4000];
	char p[PATH_MAX];
	struct xaio_file *f = NULL;
	struct xaio_listing *l = NULL;
	char b[64];

	NEED_XATTRS();
	touch(p, "h");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	XT_ASSERT_EQ(xaio_open(&f, p, O_RDWR, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(
		xaio_fsetxattr(f, "user.a", "one", 3, XATTR_CREATE, NULL, NULL),
		0);
	XT_ASSERT(has_value(p, "user.a", "one"));
	XT_ASSERT_EQ(
		xaio_fsetxattr(f, "user.a", "two", 3, XATTR_CREATE, NULL, NULL),
		-EEXIST);
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.b", "two", 3, XATTR_REPLACE, NULL,
				    NULL),
		     -ENODATA);
	XT_ASSERT(has_value(p, "user.b", NULL));
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.a", "three", 5, XATTR_REPLACE,
				    NULL, NULL),
		     0);
	XT_ASSERT(has_value(p, "user.a", "three"));
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.e", NULL, 0, 0, NULL, NULL), 0);
	XT_ASSERT(has_value(p, "user.e", ""));

	/* get: the whole size always; size 0 asks it only. */
	memset(b, 'x', sizeof(b));
	XT_ASSERT_EQ(xaio_fgetxattr(f, "user.a", b, sizeof(b), NULL, NULL), 5);
	XT_ASSERT(!memcmp(b, "threex", 6)); /* no NUL added */
	XT_ASSERT_EQ(xaio_fgetxattr(f, "user.a", NULL, 0, NULL, NULL), 5);
	XT_ASSERT_EQ(xaio_fgetxattr(f, "user.e", b, sizeof(b), NULL, NULL), 0);
	/* Too small: the prefix, and the size needed (not ERANGE). */
	memset(b, 'x', sizeof(b));
	XT_ASSERT_EQ(xaio_fgetxattr(f, "user.a", b, 2, NULL, NULL), 5);
	XT_ASSERT(!memcmp(b, "thx", 3));
	XT_ASSERT_EQ(
		xaio_fsetxattr(f, "user.big", big, sizeof(big), 0, NULL, NULL),
		0);
	XT_ASSERT_EQ(xaio_fgetxattr(f, "user.big", out, 100, NULL, NULL),
		     (int)sizeof(big));
	XT_ASSERT(!memcmp(out, big, 100));
	XT_ASSERT_EQ(
		xaio_fgetxattr(f, "user.big", out, sizeof(out), NULL, NULL),
		(int)sizeof(big));
	XT_ASSERT(!memcmp(out, big, sizeof(big)));
	XT_ASSERT_EQ(xaio_fgetxattr(f, "user.none", b, sizeof(b), NULL, NULL),
		     -ENODATA);

	/* has */
	XT_ASSERT_EQ(xaio_fhasxattr(f, "user.a", NULL, NULL), 1);
	XT_ASSERT_EQ(xaio_fhasxattr(f, "user.none", NULL, NULL), 0);

	/* list: sorted, count as the result. */
	XT_ASSERT_EQ(xaio_flistxattr(f, &l, NULL, NULL), 3);
	XT_ASSERT(l && l->count == 3);
	XT_ASSERT(!strcmp(l->entries[0].name, "user.a"));
	XT_ASSERT(!strcmp(l->entries[1].name, "user.big"));
	XT_ASSERT(!strcmp(l->entries[2].name, "user.e"));
	xaio_listing_free(l);

	/* The n-th name: readlink's rule. */
	XT_ASSERT_EQ(xaio_fxattrname(f, 1, b, sizeof(b), NULL, NULL), 8);
	XT_ASSERT(!strcmp(b, "user.big"));
	XT_ASSERT_EQ(xaio_fxattrname(f, 1, b, 5, NULL, NULL), 8);
	XT_ASSERT(!strcmp(b, "user"));
	XT_ASSERT_EQ(xaio_fxattrname(f, 1, NULL, 0, NULL, NULL), 8);
	XT_ASSERT_EQ(xaio_fxattrname(f, 3, b, sizeof(b), NULL, NULL), -ENODATA);
	XT_ASSERT_EQ(xaio_fxattrname(f, UINT64_MAX, b, sizeof(b), NULL, NULL),
		     -ENODATA);

	/* rename: never clobbers; the value moves. */
	XT_ASSERT_EQ(xaio_frenamexattr(f, "user.a", "user.e", NULL, NULL),
		     -EEXIST);
	XT_ASSERT(has_value(p, "user.a", "three") &&
		  has_value(p, "user.e", ""));
	XT_ASSERT_EQ(xaio_frenamexattr(f, "user.a", "user.z", NULL, NULL), 0);
	XT_ASSERT(has_value(p, "user.a", NULL) &&
		  has_value(p, "user.z", "three"));
	XT_ASSERT_EQ(xaio_frenamexattr(f, "user.a", "user.y", NULL, NULL),
		     -ENODATA);
	XT_ASSERT(has_value(p, "user.y", NULL));

	/* remove */
	XT_ASSERT_EQ(xaio_fremovexattr(f, "user.z", NULL, NULL), 0);
	XT_ASSERT(has_value(p, "user.z", NULL));
	XT_ASSERT_EQ(xaio_fremovexattr(f, "user.z", NULL, NULL), -ENODATA);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	return XT_PASS;
}

/*
 * A handle that is a future: attributes set, read, listed, renamed and
 * removed right after its xaio_open, in one set, in program order.
 */
static int t_future_handle(void)
{
	char p[PATH_MAX];
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct xaio_listing *l = NULL;
	struct xaio_op_info in[9];
	uint64_t id[9] = {0};
	struct xaio_opt o;
	char v1[8] = "v1", v2[16], nm[16];
	int k = 0;

	NEED_XATTRS();
	snprintf(p, sizeof(p), "%s", xt_path("fut"));
	unlink(p);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_id(&id[k++]);
	XT_ASSERT_EQ(xaio_open(&f, p, O_RDWR | O_CREAT, 0644, &o, es), 0);
	o = et_id(&id[k++]);
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.k", v1, 2, XATTR_CREATE, &o, es),
		     0);
	/* Copied: what the buffer holds later does not matter. */
	memcpy(v1, "XX", 2);
	o = et_id(&id[k++]);
	XT_ASSERT_EQ(xaio_fgetxattr(f, "user.k", v2, sizeof(v2), &o, es), 0);
	o = et_id(&id[k++]);
	XT_ASSERT_EQ(
		xaio_fsetxattr(f, "user.k", "v22", 3, XATTR_REPLACE, &o, es),
		0);
	o = et_id(&id[k++]);
	XT_ASSERT_EQ(xaio_fhasxattr(f, "user.k", &o, es), 0);
	o = et_id(&id[k++]);
	XT_ASSERT_EQ(xaio_frenamexattr(f, "user.k", "user.m", &o, es), 0);
	o = et_id(&id[k++]);
	XT_ASSERT_EQ(xaio_flistxattr(f, &l, &o, es), 0);
	o = et_id(&id[k++]);
	XT_ASSERT_EQ(xaio_fxattrname(f, 0, nm, sizeof(nm), &o, es), 0);
	o = et_id(&id[k++]);
	XT_ASSERT_EQ(xaio_fremovexattr(f, "user.m", &o, es), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	for (int i = 0; i < k; i++)
		XT_ASSERT_EQ(et_status(es, id[i], &in[i]), 0);
	XT_ASSERT(!strcmp(in[1].api, "xaio_fsetxattr"));
	XT_ASSERT_EQ(in[2].result, 2);
	XT_ASSERT(!memcmp(v2, "v1", 2));
	XT_ASSERT_EQ(in[4].result, 1);
	XT_ASSERT_EQ(in[6].result, 1);
	XT_ASSERT(l && l->count == 1 && !strcmp(l->entries[0].name, "user.m"));
	xaio_listing_free(l);
	XT_ASSERT_EQ(in[7].result, 6);
	XT_ASSERT(!strcmp(nm, "user.m"));
	/* Each after the one before it, but two reads (list, name). */
	for (int i = 1; i < k; i++)
		if (i != 7)
			XT_ASSERT_GE(in[i].t_start_ns, in[i - 1].t_end_ns);
	XT_ASSERT_GE(in[7].t_start_ns, in[5].t_end_ns);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT(has_value(p, "user.k", NULL) && has_value(p, "user.m", NULL));

	/* A handle whose open fails: its attribute ops are cancelled. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("no/such"), O_RDONLY, 0, NULL, es),
		     0);
	o = et_id(&id[0]);
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.k", "x", 1, 0, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id[0], &in[0]), ECANCELED);
	XT_ASSERT(in[0].flags & XAIO_INFO_DEP_CANCELED);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	return XT_PASS;
}

/*
 * By path: the file created by an open and given attributes in one set
 * (ordered by path); relative to a directory handle that is a future;
 * links followed or not.
 */
static int t_by_path(void)
{
	char p[PATH_MAX], d[PATH_MAX], b[64];
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL, *dh = NULL;
	struct xaio_listing *l = NULL;
	struct xaio_op_info in[8];
	uint64_t id[8] = {0};
	struct xaio_opt o;

	NEED_XATTRS();
	snprintf(p, sizeof(p), "%s", xt_path("bp"));
	unlink(p);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_id(&id[0]);
	XT_ASSERT_EQ(xaio_open(&f, p, O_WRONLY | O_CREAT, 0644, &o, es), 0);
	o = et_id(&id[1]);
	XT_ASSERT_EQ(
		xaio_setxattr(NULL, p, "user.p", "pv", 2, XATTR_CREATE, &o, es),
		0);
	o = et_id(&id[2]);
	XT_ASSERT_EQ(xaio_getxattr(NULL, p, "user.p", b, sizeof(b), 0, &o, es),
		     0);
	o = et_id(&id[3]);
	XT_ASSERT_EQ(xaio_hasxattr(NULL, p, "user.p", 0, &o, es), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(et_status(es, id[0], &in[0]), 0);
	XT_ASSERT_EQ(et_status(es, id[1], &in[1]), 0);
	XT_ASSERT(!strcmp(in[1].api, "xaio_setxattr"));
	XT_ASSERT_GE(in[1].t_start_ns, in[0].t_end_ns);
	XT_ASSERT_EQ(et_status(es, id[2], &in[2]), 0);
	XT_ASSERT_EQ(in[2].result, 2);
	XT_ASSERT(!memcmp(b, "pv", 2));
	XT_ASSERT_GE(in[2].t_start_ns, in[1].t_end_ns);
	XT_ASSERT_EQ(et_status(es, id[3], &in[3]), 0);
	XT_ASSERT_EQ(in[3].result, 1);
	XT_ASSERT(has_value(p, "user.p", "pv"));

	/* Relative to a directory handle still opening. */
	XT_ASSERT_OK(mkdir(xt_path("bd"), 0755));
	touch(d, "bd/f");
	snprintf(d, sizeof(d), "%s", xt_path("bd"));
	XT_ASSERT_EQ(xaio_open(&dh, d, O_RDONLY | O_DIRECTORY, 0, NULL, es), 0);
	o = et_id(&id[0]);
	XT_ASSERT_EQ(xaio_setxattr(dh, "f", "user.q", "qv", 2, 0, &o, es), 0);
	o = et_id(&id[1]);
	XT_ASSERT_EQ(xaio_setxattr(dh, "f", "user.r", "rv", 2, 0, &o, es), 0);
	o = et_id(&id[2]);
	XT_ASSERT_EQ(xaio_getxattr(dh, "f", "user.q", b, 1, 0, &o, es), 0);
	o = et_id(&id[3]);
	XT_ASSERT_EQ(xaio_listxattr(dh, "f", &l, 0, &o, es), 0);
	o = et_id(&id[4]);
	XT_ASSERT_EQ(xaio_xattrname(dh, "f", 1, b + 8, 32, 0, &o, es), 0);
	o = et_id(&id[5]);
	XT_ASSERT_EQ(xaio_renamexattr(dh, "f", "user.q", "user.s", 0, &o, es),
		     0);
	o = et_id(&id[6]);
	XT_ASSERT_EQ(xaio_removexattr(dh, "f", "user.r", 0, &o, es), 0);
	o = et_id(&id[7]);
	XT_ASSERT_EQ(xaio_removexattr(dh, "f", "user.r", 0, &o, es), 0);
	for (int i = 0; i < 7; i++)
		XT_ASSERT_EQ(et_status(es, id[i], &in[i]), 0);
	XT_ASSERT_EQ(in[2].result, 2);
	XT_ASSERT_EQ(b[0], 'q');
	XT_ASSERT_EQ(in[3].result, 2);
	XT_ASSERT(l && l->count == 2 && !strcmp(l->entries[0].name, "user.q") &&
		  !strcmp(l->entries[1].name, "user.r"));
	xaio_listing_free(l);
	XT_ASSERT_EQ(in[4].result, 6);
	XT_ASSERT(!strcmp(b + 8, "user.r"));
	XT_ASSERT_EQ(et_status(es, id[7], &in[7]), ENODATA);
	XT_ASSERT(!strcmp(in[7].api, "xaio_removexattr"));
	for (int i = 1; i < 8; i++) /* one path: in program order */
		XT_ASSERT_GE(in[i].t_start_ns, in[i - 1].t_end_ns);
	XT_ASSERT(has_value(xt_path("bd/f"), "user.s", "qv"));
	XT_ASSERT(has_value(xt_path("bd/f"), "user.q", NULL));
	XT_ASSERT(has_value(xt_path("bd/f"), "user.r", NULL));
	XT_ASSERT_EQ(xaio_close(dh, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	/* A symbolic link: followed, or the link itself (no user.* there). */
	XT_ASSERT_OK(symlink("bp", xt_path("bl")));
	XT_ASSERT_EQ(
		xaio_hasxattr(NULL, xt_path("bl"), "user.p", 0, NULL, NULL), 1);
	XT_ASSERT_EQ(xaio_hasxattr(NULL, xt_path("bl"), "user.p",
				   AT_SYMLINK_NOFOLLOW, NULL, NULL),
		     0);
	XT_ASSERT_EQ(xaio_setxattr(NULL, xt_path("bl"), "user.t", "t", 1,
				   AT_SYMLINK_NOFOLLOW, NULL, NULL),
		     -EPERM);
	XT_ASSERT_EQ(xaio_setxattr(NULL, xt_path("bl"), "user.t", "t", 1, 0,
				   NULL, NULL),
		     0);
	XT_ASSERT(has_value(p, "user.t", "t"));
	XT_ASSERT_EQ(xaio_getxattr(NULL, xt_path("bl"), "user.t", b, sizeof(b),
				   AT_SYMLINK_NOFOLLOW, NULL, NULL),
		     -ENODATA);
	XT_ASSERT_EQ(xaio_listxattr(NULL, xt_path("bl"), &l,
				    AT_SYMLINK_NOFOLLOW, NULL, NULL),
		     0);
	XT_ASSERT(l && l->count == 0);
	xaio_listing_free(l);
	XT_ASSERT_EQ(xaio_getxattr(NULL, xt_path("none"), "user.t", b,
				   sizeof(b), 0, NULL, NULL),
		     -ENOENT);
	XT_ASSERT_EQ(
		xaio_removexattr(NULL, xt_path("bl"), "user.t", 0, NULL, NULL),
		0);
	XT_ASSERT(has_value(p, "user.t", NULL));
	return XT_PASS;
}

/* A failure's error record names the attribute and the path. */
static int t_error_record(void)
{
	char p[PATH_MAX];
	struct xaio_evset *es = NULL;
	struct xaio_op_info in;
	struct xaio_error e;
	struct xaio_opt o;
	uint64_t id = 0;
	size_t n = 0;

	NEED_XATTRS();
	touch(p, "er");
	XT_ASSERT_EQ(setxattr(p, "user.x", "1", 1, 0), 0);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_id(&id);
	XT_ASSERT_EQ(
		xaio_setxattr(NULL, p, "user.x", "2", 1, XATTR_CREATE, &o, es),
		0);
	XT_ASSERT_EQ(et_status(es, id, &in), EEXIST);
	XT_ASSERT(has_value(p, "user.x", "1"));
	XT_ASSERT_EQ(xaio_evset_errors(es, &e, 1, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT(e.args && strstr(e.args, "name=\"user.x\"") &&
		  strstr(e.args, "/er\"") && strstr(e.args, "flags=0x1"));
	xaio_evset_free_errors(&e, n);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static void no_free(void *buf, void *ctx)
{
	(void)buf;
	(void)ctx;
}

/* Argument errors start nothing, on a handle and by path. */
static int t_args(void)
{
	static char name256[XATTR_NAME_MAX + 2], big[XATTR_SIZE_MAX + 1];
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct xaio_listing *l = NULL;
	struct xaio_opt o = {0};
	char p[PATH_MAX];
	char b[8];

	NEED_XATTRS();
	touch(p, "ar");
	memcpy(name256, "user.", 5);
	memset(name256 + 5, 'n', XATTR_NAME_MAX + 1 - 5);
	XT_ASSERT_EQ(xaio_open(&f, p, O_RDWR, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_fsetxattr(f, NULL, "v", 1, 0, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_fsetxattr(f, "", "v", 1, 0, NULL, es), -ERANGE);
	XT_ASSERT_EQ(xaio_fsetxattr(f, name256, "v", 1, 0, NULL, es), -ERANGE);
	XT_ASSERT_EQ(xaio_setxattr(NULL, p, name256, "v", 1, 0, NULL, es),
		     -ERANGE);
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.v", big, sizeof(big), 0, NULL, es),
		     -E2BIG);
	XT_ASSERT_EQ(
		xaio_setxattr(NULL, p, "user.v", big, sizeof(big), 0, NULL, es),
		-E2BIG);
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.v", NULL, 1, 0, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.v", "v", 1,
				    XATTR_CREATE | XATTR_REPLACE, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.v", "v", 1, AT_SYMLINK_NOFOLLOW,
				    NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_setxattr(NULL, p, "user.v", "v", 1, 8, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_setxattr(NULL, NULL, "user.v", "v", 1, 0, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_setxattr(NULL, "", "user.v", "v", 1, 0, NULL, es),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_fsetxattr(NULL, "user.v", "v", 1, 0, NULL, es),
		     -EINVAL);
	o.flags = XAIO_BUF_GIFT;
	o.buf_free = no_free;
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.v", "v", 1, 0, &o, es), -EINVAL);
	o = (struct xaio_opt){.flags = XAIO_BUF_MASK}; /* no policy */
	XT_ASSERT_EQ(xaio_setxattr(NULL, p, "user.v", "v", 1, 0, &o, es),
		     -EINVAL);
	o = (struct xaio_opt){.flags = XAIO_BUF_COPY};
	XT_ASSERT_EQ(xaio_fgetxattr(f, "user.v", b, sizeof(b), &o, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_listxattr(NULL, p, &l, 0, &o, es), -EINVAL);
	XT_ASSERT_EQ(xaio_fgetxattr(f, "user.v", NULL, 1, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_getxattr(NULL, p, "", b, 1, 0, NULL, es), -ERANGE);
	XT_ASSERT_EQ(xaio_getxattr(NULL, p, "user.v", b, 1, 2, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_fhasxattr(f, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_hasxattr(NULL, p, "", 0, NULL, es), -ERANGE);
	XT_ASSERT_EQ(xaio_flistxattr(f, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_listxattr(NULL, p, &l, XATTR_CREATE, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_fxattrname(f, 0, NULL, 1, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_frenamexattr(f, "user.a", NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_frenamexattr(f, "user.a", name256, NULL, es),
		     -ERANGE);
	XT_ASSERT_EQ(xaio_renamexattr(NULL, p, "", "user.b", 0, NULL, es),
		     -ERANGE);
	XT_ASSERT_EQ(xaio_fremovexattr(f, "", NULL, es), -ERANGE);
	XT_ASSERT_EQ(xaio_removexattr(NULL, p, NULL, 0, NULL, es), -EINVAL);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT(l == NULL);
	/* What the kernel says about a name without a namespace. */
	XT_ASSERT_EQ(xaio_fsetxattr(f, "plain", "v", 1, 0, NULL, NULL),
		     -EOPNOTSUPP);
	/* The longest name passes the checks (the kernel takes it). */
	name256[XATTR_NAME_MAX] = 0;
	XT_ASSERT_EQ(xaio_fsetxattr(f, name256, "v", 1, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_fhasxattr(f, name256, NULL, NULL), 1);
	/* The largest value (if the file system takes it). */
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	return XT_PASS;
}

/*
 * Behind a pending operation (the gate): a value copied at submission, and
 * a listing whose operation is cancelled before it ran (*out untouched,
 * nothing leaked).
 */
static int t_gated(void)
{
	char p[PATH_MAX];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_listing *l = NULL;
	struct xaio_op_info in;
	uint64_t sid = 0, lid = 0;
	struct xaio_opt o;
	char v[4] = "abc";

	NEED_XATTRS();
	touch(p, "gt");
	ET_GATE(&g, "xattrs.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_after(&g.id, &sid);
	XT_ASSERT_EQ(xaio_setxattr(NULL, p, "user.g", v, 3, 0, &o, es), 0);
	memcpy(v, "xyz", 3);
	o = et_after(&g.id, &lid);
	XT_ASSERT_EQ(xaio_listxattr(NULL, p, &l, 0, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, sid, ET_MS(20), &in), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_cancel(es, lid, NULL), 0);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(et_status(es, sid, &in), 0);
	XT_ASSERT_EQ(et_status(es, lid, &in), ECANCELED);
	XT_ASSERT(l == NULL);
	XT_ASSERT(has_value(p, "user.g", "abc"));
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/*
 * An fstat on a handle runs after an earlier change of its attributes (the
 * change sets ctime): held behind the gate, the set holds the fstat back
 * too.  Before, the fstat ran at once.
 */
static int t_fstat_after_set(void)
{
	char p[PATH_MAX];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct xaio_op_info in;
	struct statx stx;
	uint64_t sid = 0, fid = 0;
	struct xaio_opt o, of = {0};

	NEED_XATTRS();
	touch(p, "fs");
	XT_ASSERT_EQ(xaio_open(&f, p, O_RDWR, 0, NULL, NULL), 0);
	ET_GATE(&g, "xattrs-fs.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_after(&g.id, &sid);
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.c", "v", 1, 0, &o, es), 0);
	of.op_id = &fid;
	XT_ASSERT_EQ(xaio_fstat(f, STATX_CTIME, &stx, &of, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, fid, ET_MS(50), &in), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(et_status(es, sid, &in), 0);
	XT_ASSERT_EQ(et_status(es, fid, &in), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

static const char *grow_path;
static atomic_int grow_stop;

/* Switches user.g between empty and 64 bytes of 'x', and adds and
 * removes user.h, until told to stop. */
static void *grower(void *arg)
{
	static const char big[64] =
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxx";

	(void)arg;
	for (int i = 0; !atomic_load(&grow_stop); i++) {
		setxattr(grow_path, "user.g", big, i % 2 ? sizeof(big) : 0, 0);
		if (i % 2)
			setxattr(grow_path, "user.h", "1", 1, 0);
		else
			removexattr(grow_path, "user.h");
	}
	return NULL;
}

/*
 * A value or a list that grows between the worker's size query and its
 * read: every answer is one the file had (before, an empty answer read
 * with size 0 was a second size query, and the worker copied that many
 * bytes from a 1-byte buffer: ASan's heap-buffer-overflow).
 */
static int t_growing(void)
{
	char p[PATH_MAX];
	pthread_t t;
	int bad = 0;

	NEED_XATTRS();
	grow_path = touch(p, "grow");
	XT_ASSERT_OK(setxattr(p, "user.g", "", 0, 0));
	atomic_store(&grow_stop, 0);
	XT_ASSERT_EQ(pthread_create(&t, NULL, grower, NULL), 0);
	for (int i = 0; i < 3000; i++) {
		char b[4] = {0};
		struct xaio_listing *l = NULL;
		int r = xaio_getxattr(NULL, p, "user.g", b, sizeof(b), 0, NULL,
				      NULL);

		if (r != 0 && !(r == 64 && !memcmp(b, "xxxx", 4)))
			bad++;
		r = xaio_listxattr(NULL, p, &l, 0, NULL, NULL);
		if (r < 1 || r > 2 || !l || (size_t)r != l->count ||
		    strcmp(l->entries[0].name, "user.g") ||
		    (r == 2 && strcmp(l->entries[1].name, "user.h")))
			bad++;
		xaio_listing_free(l);
	}
	atomic_store(&grow_stop, 1);
	pthread_join(t, NULL);
	XT_ASSERT_EQ(bad, 0);
	return XT_PASS;
}

static struct xaio_runtime_info stats(void)
{
	struct xaio_runtime_info ri = {.size = sizeof(ri)};

	if (xaio_runtime_info(&ri))
		abort();
	return ri;
}

/* Which calls the ring runs, and the get it hands back to the pool. */
static int t_ring_rows(void)
{
	char p[PATH_MAX], b[4];
	struct xaio_runtime_info a, z;
	struct xaio_file *f = NULL, *d = NULL;

	NEED_XATTRS();
	a = stats();
	XT_SKIP_IF(a.backend != XAIO_BACKEND_URING, "not on io_uring");
	touch(p, "rr");
	XT_ASSERT_EQ(xaio_open(&f, p, O_RDWR, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_tmpdir(), O_RDONLY | O_DIRECTORY, 0, NULL,
			       NULL),
		     0);
	a = stats();
	XT_ASSERT_EQ(xaio_fsetxattr(f, "user.r", "12345", 5, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_fgetxattr(f, "user.r", b, sizeof(b) - 1, NULL, NULL),
		     5);
	XT_ASSERT(!memcmp(b, "123", 3));
	XT_ASSERT_EQ(xaio_getxattr(NULL, p, "user.r", NULL, 0, 0, NULL, NULL),
		     5);
	z = stats();
	/* Three on the ring, the too-small get again on the pool. */
	XT_ASSERT_EQ(z.on_ring - a.on_ring, 3);
	XT_ASSERT_EQ(z.fallbacks - a.fallbacks, 1);
	XT_ASSERT_EQ(z.on_threads - a.on_threads, 1);
	/* Relative to a directory handle, or the link itself: the pool. */
	a = z;
	XT_ASSERT_EQ(xaio_setxattr(d, "rr", "user.s", "1", 1, 0, NULL, NULL),
		     0);
	XT_ASSERT_EQ(xaio_getxattr(NULL, p, "user.s", b, sizeof(b),
				   AT_SYMLINK_NOFOLLOW, NULL, NULL),
		     1);
	XT_ASSERT_EQ(xaio_fhasxattr(f, "user.s", NULL, NULL), 1);
	z = stats();
	XT_ASSERT_EQ(z.on_ring - a.on_ring, 0);
	XT_ASSERT_EQ(z.on_threads - a.on_threads, 3);
	XT_ASSERT_EQ(xaio_close(d, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"handle_sync", t_handle_sync},
	{"future_handle", t_future_handle},
	{"by_path", t_by_path},
	{"error_record", t_error_record},
	{"args", t_args},
	{"gated", t_gated},
	{"ring_rows", t_ring_rows},
	{"fstat_after_set", t_fstat_after_set},
	{"growing", t_growing},
};

XT_MAIN(cases)
