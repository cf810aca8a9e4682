// SPDX-License-Identifier: MIT
/*
 * The directory operations of HDF5's H5G/H5L/H5O table: xaio_readdir,
 * xaio_dirinfo, xaio_dirent_nth, xaio_remove_nth, xaio_exists and
 * xaio_open_nth.  For each, synchronously and in a set: what it finds or
 * changes, checked with plain system calls; the kernel's errors in the
 * result or the status; the argument errors that start nothing (the set
 * counts no operation); relative to directory handles that are futures.
 * And their ordering by path: a listing sees what the set created below
 * its directory before it, and nothing created after it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtest.h"

/* Do l's names read exactly the NULL-terminated list want, in order? */
static bool names_are(const struct xaio_listing *l, const char *const *want)
{
	size_t i = 0;

	for (; want[i]; i++)
		if (i >= l->count || strcmp(l->entries[i].name, want[i]))
			return false;
	return i == l->count;
}

/* A directory xt_path(name) holding files b, a, c (in that order) and d/. */
static void tree(const char *name)
{
	char p[256];

	XT_CHECK(mkdir(xt_path(name), 0755) == 0);
	snprintf(p, sizeof(p), "%s/b", name);
	et_put(p, "bee");
	snprintf(p, sizeof(p), "%s/a", name);
	et_put(p, "ay");
	snprintf(p, sizeof(p), "%s/c", name);
	et_put(p, "sea");
	snprintf(p, sizeof(p), "%s/d", name);
	XT_CHECK(mkdir(xt_path(p), 0755) == 0);
}

static const char *const abcd[] = {"a", "b", "c", "d", NULL};

static int t_readdir(void)
{
	struct xaio_listing *l = NULL, *keep = (struct xaio_listing *)&keep;
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL;
	struct xaio_op_info in;
	struct xaio_error e;
	struct xaio_opt o;
	struct stat st;
	uint64_t id = 0;
	size_t n = 0;

	XT_REQUIRE_BACKEND();
	tree("rd");
	XT_ASSERT_EQ(xaio_readdir(NULL, xt_path("rd"), &l, NULL, NULL), 4);
	XT_ASSERT(l && names_are(l, abcd));
	XT_ASSERT_EQ(l->entries[0].type, DT_REG);
	XT_ASSERT_EQ(l->entries[3].type, DT_DIR);
	XT_ASSERT_OK(lstat(xt_path("rd/c"), &st));
	XT_ASSERT_EQ(l->entries[2].ino, st.st_ino);
	xaio_listing_free(l);
	/* An empty directory: an empty listing. */
	l = NULL;
	XT_ASSERT_EQ(xaio_readdir(NULL, xt_path("rd/d"), &l, NULL, NULL), 0);
	XT_ASSERT(l && l->count == 0);
	xaio_listing_free(l);
	/* The kernel's errors leave *out alone. */
	l = keep;
	XT_ASSERT_EQ(xaio_readdir(NULL, xt_path("rd/none"), &l, NULL, NULL),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_readdir(NULL, xt_path("rd/a"), &l, NULL, NULL),
		     -ENOTDIR);
	XT_ASSERT(l == keep);

	/* In a set, relative to a directory handle still opening. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_path("rd"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	o = et_id(&id);
	l = NULL;
	XT_ASSERT_EQ(xaio_readdir(d, NULL, &l, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_readdir"));
	XT_ASSERT_EQ(in.result, 4);
	XT_ASSERT(l && names_are(l, abcd));
	xaio_listing_free(l);
	l = NULL;
	XT_ASSERT_EQ(xaio_readdir(d, "d", &l, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(l && l->count == 0);
	xaio_listing_free(l);
	/* A failure in a set: its status, a record, *out untouched. */
	l = keep;
	XT_ASSERT_EQ(xaio_readdir(d, "b", &l, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOTDIR);
	XT_ASSERT(l == keep);
	XT_ASSERT_EQ(xaio_evset_errors(es, &e, 1, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT(e.args && strstr(e.args, "path=\"b\""));
	xaio_evset_free_errors(&e, n);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_readdir(NULL, xt_path("rd"), NULL, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_readdir(NULL, et_too_long(), &l, NULL, es),
		     -ENAMETOOLONG);
	o = (struct xaio_opt){.flags = XAIO_BUF_COPY};
	XT_ASSERT_EQ(xaio_readdir(NULL, xt_path("rd"), &l, &o, es), -EINVAL);
	o = (struct xaio_opt){.flags = XAIO_ORDER_STRICT};
	XT_ASSERT_EQ(xaio_readdir(NULL, xt_path("rd"), &l, &o, NULL), -EINVAL);
	XT_ASSERT(l == keep);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_dirinfo(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	struct statx stx;
	struct stat st;
	uint64_t id = 0;

	XT_REQUIRE_BACKEND();
	tree("di");
	memset(&stx, 0, sizeof(stx));
	XT_ASSERT_EQ(xaio_dirinfo(NULL, xt_path("di"), STATX_INO | STATX_TYPE,
				  &stx, NULL, NULL),
		     4);
	XT_ASSERT_OK(stat(xt_path("di"), &st));
	XT_ASSERT(S_ISDIR(stx.stx_mode));
	XT_ASSERT_EQ(stx.stx_ino, st.st_ino);
	XT_ASSERT_EQ(xaio_dirinfo(NULL, xt_path("di/d"), 0, NULL, NULL, NULL),
		     0);
	XT_ASSERT_EQ(xaio_dirinfo(NULL, xt_path("di/x"), 0, NULL, NULL, NULL),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_dirinfo(NULL, xt_path("di/a"), 0, NULL, NULL, NULL),
		     -ENOTDIR);

	/* In a set, relative to a future; "" is the handle's directory. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_path("di"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	memset(&stx, 0, sizeof(stx));
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_dirinfo(d, "", STATX_INO, &stx, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_dirinfo"));
	XT_ASSERT_EQ(in.result, 4);
	XT_ASSERT_EQ(stx.stx_ino, st.st_ino);
	XT_ASSERT_EQ(xaio_dirinfo(d, "c", 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOTDIR);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_dirinfo(NULL, et_too_long(), 0, NULL, NULL, es),
		     -ENAMETOOLONG);
	o = (struct xaio_opt){.flags = XAIO_BUF_GIFT};
	XT_ASSERT_EQ(xaio_dirinfo(NULL, xt_path("di"), 0, NULL, &o, es),
		     -EINVAL);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_dirent_nth(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	uint64_t id = 0;
	char b[64];

	XT_REQUIRE_BACKEND();
	tree("dn");
	et_put("dn/longer-name", "x");
	/* Name order: a b c d longer-name. */
	for (int i = 0; i < 4; i++) {
		memset(b, 'x', sizeof(b));
		XT_ASSERT_EQ(xaio_dirent_nth(NULL, xt_path("dn"), (uint64_t)i,
					     b, sizeof(b), NULL, NULL),
			     1);
		XT_ASSERT(!strcmp(b, abcd[i]));
	}
	/* readlink's rule: the whole length; truncated with a NUL. */
	XT_ASSERT_EQ(
		xaio_dirent_nth(NULL, xt_path("dn"), 4, NULL, 0, NULL, NULL),
		11);
	memset(b, 'x', sizeof(b));
	XT_ASSERT_EQ(xaio_dirent_nth(NULL, xt_path("dn"), 4, b, 5, NULL, NULL),
		     11);
	XT_ASSERT(!memcmp(b, "long", 5));
	XT_ASSERT_EQ(b[5], 'x');
	XT_ASSERT_EQ(xaio_dirent_nth(NULL, xt_path("dn"), 4, b, 12, NULL, NULL),
		     11);
	XT_ASSERT(!strcmp(b, "longer-name"));
	/* No such entry, no such directory. */
	XT_ASSERT_EQ(xaio_dirent_nth(NULL, xt_path("dn"), 5, b, sizeof(b), NULL,
				     NULL),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_dirent_nth(NULL, xt_path("dn"), UINT64_MAX, b,
				     sizeof(b), NULL, NULL),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_dirent_nth(NULL, xt_path("dn/a"), 0, b, sizeof(b),
				     NULL, NULL),
		     -ENOTDIR);

	/* In a set, relative to a future. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_path("dn"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	memset(b, 0, sizeof(b));
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_dirent_nth(d, NULL, 2, b, sizeof(b), &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_dirent_nth"));
	XT_ASSERT_EQ(in.result, 1);
	XT_ASSERT(!strcmp(b, "c"));
	XT_ASSERT_EQ(xaio_dirent_nth(d, "d", 0, b, sizeof(b), &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOENT);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_dirent_nth(NULL, xt_path("dn"), 0, NULL, 1, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_dirent_nth(NULL, et_too_long(), 0, b, 1, NULL, es),
		     -ENAMETOOLONG);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_remove_nth(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL;
	struct xaio_op_info in;
	struct xaio_error e;
	struct xaio_opt o;
	uint64_t id = 0;
	size_t n = 0;

	XT_REQUIRE_BACKEND();
	tree("rm");
	et_put("rm/d/inner", "x");
	/* a, b, c, d: the second is b, a file. */
	XT_ASSERT_EQ(xaio_remove_nth(NULL, xt_path("rm"), 1, NULL, NULL), 0);
	XT_ASSERT(et_absent("rm/b") && !et_absent("rm/a") &&
		  !et_absent("rm/c"));
	/* a, c, d: d is a directory, not empty. */
	XT_ASSERT_EQ(xaio_remove_nth(NULL, xt_path("rm"), 2, NULL, NULL),
		     -ENOTEMPTY);
	XT_ASSERT_EQ(xaio_remove_nth(NULL, xt_path("rm"), 3, NULL, NULL),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_remove_nth(NULL, xt_path("rm/a"), 0, NULL, NULL),
		     -ENOTDIR);
	XT_ASSERT_OK(unlink(xt_path("rm/d/inner")));

	/* In a set, relative to a future: the empty directory d, then a. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_path("rm"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_remove_nth(d, "", 2, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_remove_nth"));
	XT_ASSERT(et_absent("rm/d") && !et_absent("rm/c"));
	XT_ASSERT_EQ(xaio_remove_nth(d, NULL, 0, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(et_absent("rm/a") && !et_absent("rm/c"));
	XT_ASSERT_EQ(xaio_remove_nth(d, NULL, 1, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOENT);
	XT_ASSERT_EQ(xaio_evset_errors(es, &e, 1, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT(e.args && strstr(e.args, "n=1"));
	xaio_evset_free_errors(&e, n);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT(!et_absent("rm/c"));

	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_remove_nth(NULL, et_too_long(), 0, NULL, es),
		     -ENAMETOOLONG);
	o = (struct xaio_opt){.flags = XAIO_BUF_COPY};
	XT_ASSERT_EQ(xaio_remove_nth(NULL, xt_path("rm"), 0, &o, es), -EINVAL);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT(!et_absent("rm/c"));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_exists(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	uint64_t id = 0;

	XT_REQUIRE_BACKEND();
	tree("ex");
	XT_ASSERT_OK(symlink("nowhere", xt_path("ex/dangling")));
	XT_ASSERT_EQ(xaio_exists(NULL, xt_path("ex/a"), NULL, NULL), 1);
	XT_ASSERT_EQ(xaio_exists(NULL, xt_path("ex/d"), NULL, NULL), 1);
	XT_ASSERT_EQ(xaio_exists(NULL, xt_path("ex/none"), NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_exists(NULL, xt_path("none/x"), NULL, NULL), 0);
	/* The link itself, not where it points. */
	XT_ASSERT_EQ(xaio_exists(NULL, xt_path("ex/dangling"), NULL, NULL), 1);
	XT_ASSERT_EQ(xaio_exists(NULL, xt_path("ex/a/x"), NULL, NULL),
		     -ENOTDIR);

	/* In a set, relative to a future. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_path("ex"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_exists(d, "c", &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_exists"));
	XT_ASSERT_EQ(in.result, 1);
	XT_ASSERT_EQ(xaio_exists(d, "zz", &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT_EQ(in.result, 0);
	XT_ASSERT_EQ(xaio_exists(d, "b/", &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOTDIR);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_exists(NULL, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_exists(NULL, "", NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_exists(NULL, "", NULL, NULL), -EINVAL);
	XT_ASSERT_EQ(xaio_exists(NULL, et_too_long(), NULL, es), -ENAMETOOLONG);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_open_nth(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL, *f = NULL, *g = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	uint64_t id = 0;
	ssize_t got = 0;
	char b[16] = {0};

	XT_REQUIRE_BACKEND();
	tree("on");
	XT_ASSERT_EQ(xaio_open_nth(&f, NULL, xt_path("on"), 1, O_RDONLY, 0,
				   NULL, NULL),
		     0);
	XT_ASSERT_EQ(xaio_pread(f, b, sizeof(b), 0, &got, NULL, NULL), 3);
	XT_ASSERT(!memcmp(b, "bee", 3));
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	f = (struct xaio_file *)&f;
	XT_ASSERT_EQ(xaio_open_nth(&f, NULL, xt_path("on"), 4, O_RDONLY, 0,
				   NULL, NULL),
		     -ENOENT);
	XT_ASSERT(!f);

	/* In a set, relative to a future; what follows on the handle
	 * waits for its open. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_path("on"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_open_nth(&f, d, "", 2, O_RDWR, 0, &o, es), 0);
	XT_ASSERT(f);
	memset(b, 0, sizeof(b));
	XT_ASSERT_EQ(xaio_pread(f, b, sizeof(b), 0, NULL, NULL, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_open_nth"));
	XT_ASSERT_EQ(xaio_open_nth(&g, d, NULL, 9, O_RDONLY, 0, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOENT);
	XT_ASSERT_EQ(xaio_file_status(g), -ENOENT);
	XT_ASSERT_EQ(xaio_close(g, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT(!memcmp(b, "sea", 3));
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open_nth(&f, NULL, xt_path("on"), 0, O_RDWR | O_CREAT,
				   0644, NULL, es),
		     -EINVAL);
	XT_ASSERT(!f);
	XT_ASSERT_EQ(xaio_open_nth(&f, NULL, xt_path("on"), 0,
				   O_TMPFILE | O_RDWR, 0644, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_open_nth(NULL, NULL, xt_path("on"), 0, O_RDONLY, 0,
				   NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_open_nth(&f, NULL, et_too_long(), 0, O_RDONLY, 0,
				   NULL, es),
		     -ENAMETOOLONG);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/*
 * One set, everything held behind a gate: the mkdir of a directory, files
 * created in it, a listing, a file created after it, a removal of the
 * first entry, a second listing.  The listings see what came before them
 * and nothing after; the removal comes after the creates.
 */
static int t_ordering(void)
{
	struct xaio_listing *l1 = NULL, *l2 = NULL;
	static const char *const abc[] = {"a", "b", "c", NULL};
	static const char *const bcz[] = {"b", "c", "z", NULL};
	struct xaio_file *f[4] = {0};
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_op_info im, ic[3], il, ir, i2, in;
	uint64_t mid = 0, cid[3] = {0}, lid = 0, rid = 0, l2id = 0, nid = 0;
	struct xaio_opt o;
	char dir[4096], p[4200], name[8] = {0};

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "dirs.fifo");
	snprintf(dir, sizeof(dir), "%s", xt_path("od"));
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_after(&g.id, &mid);
	XT_ASSERT_EQ(xaio_mkdir(NULL, dir, 0755, &o, es), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%c", dir, "cab"[i]);
		o = et_id(&cid[i]);
		XT_ASSERT_EQ(
			xaio_open(&f[i], p, O_RDWR | O_CREAT, 0644, &o, es), 0);
	}
	o = et_id(&lid);
	XT_ASSERT_EQ(xaio_readdir(NULL, dir, &l1, &o, es), 0);
	o = et_id(&nid);
	XT_ASSERT_EQ(xaio_dirent_nth(NULL, dir, 2, name, sizeof(name), &o, es),
		     0);
	snprintf(p, sizeof(p), "%s/z", dir);
	XT_ASSERT_EQ(xaio_open(&f[3], p, O_RDWR | O_CREAT, 0644, NULL, es), 0);
	o = et_id(&rid);
	XT_ASSERT_EQ(xaio_remove_nth(NULL, dir, 0, &o, es), 0);
	o = et_id(&l2id);
	XT_ASSERT_EQ(xaio_readdir(NULL, dir, &l2, &o, es), 0);

	/* Held: nothing ran. */
	XT_ASSERT_EQ(xaio_evset_op_wait(es, lid, ET_MS(30), &il), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, rid, 0, &ir), -ETIMEDOUT);
	XT_ASSERT(!l1 && !l2);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(et_status(es, mid, &im), 0);
	XT_ASSERT_EQ(et_status(es, lid, &il), 0);
	for (int i = 0; i < 3; i++) {
		XT_ASSERT_EQ(et_status(es, cid[i], &ic[i]), 0);
		XT_ASSERT_GE(ic[i].t_start_ns, im.t_end_ns);
		XT_ASSERT_GE(il.t_start_ns, ic[i].t_end_ns);
	}
	XT_ASSERT_EQ(et_status(es, nid, &in), 0);
	XT_ASSERT_EQ(et_status(es, rid, &ir), 0);
	XT_ASSERT_EQ(et_status(es, l2id, &i2), 0);
	XT_ASSERT(l1 && names_are(l1, abc));
	XT_ASSERT(!strcmp(name, "c"));
	XT_ASSERT(l2 && names_are(l2, bcz));
	XT_ASSERT_GE(ir.t_start_ns, il.t_end_ns);
	XT_ASSERT_GE(i2.t_start_ns, ir.t_end_ns);
	xaio_listing_free(l1);
	xaio_listing_free(l2);
	for (int i = 0; i < 4; i++)
		XT_ASSERT_EQ(xaio_close(f[i], NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	XT_ASSERT(et_absent("od/a") && !et_absent("od/z"));
	return XT_PASS;
}

/*
 * Cancelled before it ran, or behind a failed open: *out untouched and
 * nothing leaked (the sanitizer builds check that).
 */
static int t_cancel(void)
{
	struct xaio_listing *l = NULL;
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	uint64_t lid = 0, bid = 0;

	XT_REQUIRE_BACKEND();
	tree("cn");
	ET_GATE(&g, "dirs-cancel.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_after(&g.id, &lid);
	XT_ASSERT_EQ(xaio_readdir(NULL, xt_path("cn"), &l, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_cancel(es, lid, NULL), 0);
	XT_ASSERT_EQ(et_status(es, lid, &in), ECANCELED);
	XT_ASSERT(!l);
	/* Behind a directory handle whose open fails. */
	XT_ASSERT_EQ(xaio_open(&d, xt_path("cn/none"), O_RDONLY | O_DIRECTORY,
			       0, NULL, es),
		     0);
	o = et_id(&bid);
	XT_ASSERT_EQ(xaio_readdir(d, NULL, &l, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, bid, &in), ECANCELED);
	XT_ASSERT(!l);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"readdir", t_readdir},	      {"dirinfo", t_dirinfo},
	{"dirent_nth", t_dirent_nth}, {"remove_nth", t_remove_nth},
	{"exists", t_exists},	      {"open_nth", t_open_nth},
	{"ordering", t_ordering},     {"cancel", t_cancel},
};

XT_MAIN(cases)
