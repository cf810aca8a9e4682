// SPDX-License-Identifier: MIT
/*
 * The metadata changes: xaio_chmod / xaio_fchmod, xaio_chown /
 * xaio_fchown, xaio_utimens / xaio_futimens.  For each, synchronously and
 * in a set: the effect, checked with lstat(2) afterwards; the kernel's
 * errors in the result or the status; the argument errors that start
 * nothing (the set counts no operation and the file is unchanged); on a
 * future handle and relative to a directory handle that is a future; the
 * error record's arguments.  The ordering: on a handle after the writes
 * before it (a barrier), and by path after what the set created below the
 * path (a directory's times stay as set although a file was created in
 * it in the same set).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtest.h"

static struct stat lst(const char *name)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (lstat(xt_path(name), &st) < 0)
		st.st_mode = 0;
	return st;
}

static int perms(const char *name)
{
	return (int)(lst(name).st_mode & 07777);
}

static int t_chmod(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL, *d = NULL;
	struct xaio_op_info in;
	struct xaio_error e;
	struct xaio_opt o;
	uint64_t id = 0;
	size_t n = 0;
	int r;

	XT_REQUIRE_BACKEND();
	et_put("c1", "x");
	XT_ASSERT_EQ(xaio_chmod(NULL, xt_path("c1"), 0640, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(perms("c1"), 0640);
	XT_ASSERT_EQ(xaio_chmod(NULL, xt_path("c1"), 04751, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(perms("c1"), 04751);
	XT_ASSERT_EQ(xaio_chmod(NULL, xt_path("none"), 0644, 0, NULL, NULL),
		     -ENOENT);
	/* A link itself: Linux keeps no mode there. */
	XT_ASSERT_OK(symlink("c1", xt_path("c1.l")));
	r = xaio_chmod(NULL, xt_path("c1.l"), 0600, AT_SYMLINK_NOFOLLOW, NULL,
		       NULL);
	XT_ASSERT(r == -EOPNOTSUPP || r == -ENOTSUP);
	XT_ASSERT_EQ(perms("c1"), 04751);
	/* Following it: the target. */
	XT_ASSERT_EQ(xaio_chmod(NULL, xt_path("c1.l"), 0604, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(perms("c1"), 0604);

	/* In a set: on a future handle, and relative to a future directory. */
	XT_ASSERT_OK(mkdir(xt_path("cd"), 0755));
	et_put("cd/g", "y");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("c1"), O_RDONLY, 0, NULL, es), 0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_fchmod(f, 0711, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_fchmod"));
	XT_ASSERT_EQ(perms("c1"), 0711);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_path("cd"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	XT_ASSERT_EQ(xaio_chmod(d, "g", 0602, 0, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_chmod"));
	XT_ASSERT_EQ(perms("cd/g"), 0602);
	/* A failure: the status, and a record naming path and mode. */
	XT_ASSERT_EQ(xaio_chmod(d, "none", 0644, 0, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOENT);
	XT_ASSERT_EQ(xaio_evset_errors(es, &e, 1, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT(e.args && strstr(e.args, "path=\"none\"") &&
		  strstr(e.args, "mode=0644"));
	xaio_evset_free_errors(&e, n);
	/* An open that fails cancels the fchmod behind it. */
	XT_ASSERT_EQ(xaio_open(&f, xt_path("none"), O_RDONLY, 0, NULL, es), 0);
	XT_ASSERT_EQ(xaio_fchmod(f, 0600, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ECANCELED);
	XT_ASSERT(in.flags & XAIO_INFO_DEP_CANCELED);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("c1"), O_RDONLY, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_chmod(NULL, xt_path("c1"), 010644, 0, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_fchmod(f, 0170000, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_fchmod(NULL, 0644, NULL, es), -EINVAL);
	XT_ASSERT_EQ(
		xaio_chmod(NULL, xt_path("c1"), 0644, AT_REMOVEDIR, NULL, es),
		-EINVAL);
	XT_ASSERT_EQ(xaio_chmod(NULL, NULL, 0644, 0, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_chmod(NULL, "", 0644, 0, NULL, es), -ENOENT);
	XT_ASSERT_EQ(xaio_chmod(NULL, et_too_long(), 0644, 0, NULL, es),
		     -ENAMETOOLONG);
	o = (struct xaio_opt){.flags = XAIO_BUF_COPY};
	XT_ASSERT_EQ(xaio_chmod(NULL, xt_path("c1"), 0644, 0, &o, es), -EINVAL);
	XT_ASSERT_EQ(xaio_fchmod(f, 0644, &o, es), -EINVAL);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(perms("c1"), 0711);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_fchmod(f = NULL, 0644, NULL, NULL), -EINVAL);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_chown(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	uint64_t id = 0;
	bool root = geteuid() == 0;

	XT_REQUIRE_BACKEND();
	et_put("o1", "x");
	/* -1, -1: nothing changes, and anyone may. */
	XT_ASSERT_EQ(xaio_chown(NULL, xt_path("o1"), (uid_t)-1, (gid_t)-1, 0,
				NULL, NULL),
		     0);
	XT_ASSERT_EQ(lst("o1").st_uid, geteuid());
	XT_ASSERT_EQ(xaio_chown(NULL, xt_path("none"), (uid_t)-1, (gid_t)-1, 0,
				NULL, NULL),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("o1"), O_RDONLY, 0, NULL, es), 0);
	o = et_id(&id);
	if (!root) {
		/* Giving the file away takes privilege. */
		XT_ASSERT_EQ(xaio_fchown(f, 0, (gid_t)-1, &o, es), 0);
		XT_ASSERT_EQ(et_status(es, id, &in), EPERM);
		XT_ASSERT_EQ(lst("o1").st_uid, geteuid());
	} else {
		XT_ASSERT_EQ(xaio_fchown(f, 1234, 5678, &o, es), 0);
		XT_ASSERT_EQ(et_status(es, id, &in), 0);
		XT_ASSERT(!strcmp(in.api, "xaio_fchown"));
		XT_ASSERT_EQ(lst("o1").st_uid, 1234);
		XT_ASSERT_EQ(lst("o1").st_gid, 5678);
		/* A link itself, not its target. */
		XT_ASSERT_OK(symlink("o1", xt_path("o1.l")));
		XT_ASSERT_EQ(xaio_chown(NULL, xt_path("o1.l"), 42, 43,
					AT_SYMLINK_NOFOLLOW, &o, es),
			     0);
		XT_ASSERT_EQ(et_status(es, id, &in), 0);
		XT_ASSERT_EQ(lst("o1.l").st_uid, 42);
		XT_ASSERT_EQ(lst("o1.l").st_gid, 43);
		XT_ASSERT_EQ(lst("o1").st_uid, 1234);
		/* -1 keeps the one. */
		XT_ASSERT_EQ(xaio_chown(NULL, xt_path("o1"), (uid_t)-1, 99, 0,
					&o, es),
			     0);
		XT_ASSERT_EQ(et_status(es, id, &in), 0);
		XT_ASSERT_EQ(lst("o1").st_uid, 1234);
		XT_ASSERT_EQ(lst("o1").st_gid, 99);
	}
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(
		xaio_chown(NULL, xt_path("o1"), 0, 0, AT_EMPTY_PATH, NULL, es),
		-EINVAL);
	XT_ASSERT_EQ(xaio_chown(NULL, NULL, 0, 0, 0, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_chown(NULL, "", 0, 0, 0, NULL, es), -ENOENT);
	XT_ASSERT_EQ(xaio_fchown(NULL, 0, 0, NULL, es), -EINVAL);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static bool times_are(const char *name, time_t as, long an, time_t ms, long mn)
{
	struct stat st = lst(name);

	return st.st_atim.tv_sec == as && st.st_atim.tv_nsec == an &&
	       st.st_mtim.tv_sec == ms && st.st_mtim.tv_nsec == mn;
}

static int t_utimens(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	struct timespec ts[2] = {{1000000000, 123456789}, {981173106, 1}};
	uint64_t id = 0;
	time_t before = time(NULL);

	XT_REQUIRE_BACKEND();
	et_put("t1", "x");
	XT_ASSERT_EQ(xaio_utimens(NULL, xt_path("t1"), ts, 0, NULL, NULL), 0);
	XT_ASSERT(times_are("t1", 1000000000, 123456789, 981173106, 1));
	/* UTIME_OMIT keeps one, UTIME_NOW sets the clock's. */
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = (struct timespec){0, UTIME_NOW};
	XT_ASSERT_EQ(xaio_utimens(NULL, xt_path("t1"), ts, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(lst("t1").st_atim.tv_nsec, 123456789);
	XT_ASSERT_GE(lst("t1").st_mtim.tv_sec, before);
	XT_ASSERT_EQ(xaio_utimens(NULL, xt_path("none"), NULL, 0, NULL, NULL),
		     -ENOENT);
	/* A link's own times, not its target's. */
	XT_ASSERT_OK(symlink("t1", xt_path("t1.l")));
	ts[0] = (struct timespec){5, 6};
	ts[1] = (struct timespec){7, 8};
	XT_ASSERT_EQ(xaio_utimens(NULL, xt_path("t1.l"), ts,
				  AT_SYMLINK_NOFOLLOW, NULL, NULL),
		     0);
	XT_ASSERT(times_are("t1.l", 5, 6, 7, 8));
	XT_ASSERT_EQ(lst("t1").st_atim.tv_nsec, 123456789);

	/* On a future handle; NULL: now.  The times were copied. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("t1"), O_WRONLY, 0, NULL, es), 0);
	o = et_id(&id);
	ts[0] = (struct timespec){11, 12};
	ts[1] = (struct timespec){13, 14};
	XT_ASSERT_EQ(xaio_futimens(f, ts, &o, es), 0);
	memset(ts, 0xff, sizeof(ts));
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_futimens"));
	XT_ASSERT(times_are("t1", 11, 12, 13, 14));
	XT_ASSERT_EQ(xaio_futimens(f, NULL, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT_GE(lst("t1").st_mtim.tv_sec, before);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	ts[0] = (struct timespec){1, 1000000000};
	ts[1] = (struct timespec){1, 0};
	XT_ASSERT_EQ(xaio_utimens(NULL, xt_path("t1"), ts, 0, NULL, es),
		     -EINVAL);
	ts[0].tv_nsec = -1;
	XT_ASSERT_EQ(xaio_utimens(NULL, xt_path("t1"), ts, 0, NULL, es),
		     -EINVAL);
	ts[0].tv_nsec = 0;
	XT_ASSERT_EQ(
		xaio_utimens(NULL, xt_path("t1"), ts, AT_EMPTY_PATH, NULL, es),
		-EINVAL);
	XT_ASSERT_EQ(xaio_utimens(NULL, NULL, ts, 0, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_utimens(NULL, et_too_long(), ts, 0, NULL, es),
		     -ENAMETOOLONG);
	XT_ASSERT_EQ(xaio_futimens(NULL, ts, NULL, es), -EINVAL);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/*
 * In one set: a file written, then given its mode and times; a directory
 * in which a file and a directory are created, then given its mode and
 * times.  The writes and the creates are held behind a gate (opt.after),
 * the metadata changes name nothing: they must wait for them by the
 * handle's barrier and by path, or the writes and creates, coming later,
 * would change the times.
 */
static int t_order(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL, *g = NULL;
	struct timespec ts[2] = {{100, 200}, {300, 400}};
	static char data[1 << 20];
	struct xaio_evset_counts c;
	struct et_gate gate;
	struct xaio_opt held;

	XT_REQUIRE_BACKEND();
	ET_GATE(&gate, "gate");
	held = et_after(&gate.id, NULL);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	memset(data, 'a', sizeof(data));
	XT_ASSERT_EQ(xaio_open(&f, xt_path("w1"), O_CREAT | O_WRONLY, 0600,
			       NULL, es),
		     0);
	for (int i = 0; i < 4; i++)
		XT_ASSERT_EQ(xaio_pwrite(f, data, sizeof(data),
					 (off_t)i * (off_t)sizeof(data), NULL,
					 &held, es),
			     0);
	XT_ASSERT_EQ(xaio_fchmod(f, 0751, NULL, es), 0);
	XT_ASSERT_EQ(xaio_futimens(f, ts, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);

	XT_ASSERT_EQ(xaio_mkdir(NULL, xt_path("od"), 0700, NULL, es), 0);
	XT_ASSERT_EQ(xaio_open(&g, xt_path("od/f"), O_CREAT | O_WRONLY, 0600,
			       &held, es),
		     0);
	XT_ASSERT_EQ(xaio_close(g, NULL, es), 0);
	XT_ASSERT_EQ(xaio_mkdir(NULL, xt_path("od/e"), 0700, &held, es), 0);
	XT_ASSERT_EQ(xaio_chmod(NULL, xt_path("od"), 0555, 0, NULL, es), 0);
	XT_ASSERT_EQ(xaio_utimens(NULL, xt_path("od"), ts, 0, NULL, es), 0);
	XT_ASSERT_EQ(et_gate_release_after(&gate, 50), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, &c), 0);
	XT_ASSERT_EQ(et_gate_close(&gate), 0);
	XT_ASSERT_EQ(c.failed, 0);
	XT_ASSERT_EQ(et_file_size(xt_path("w1")), 4 << 20);
	XT_ASSERT_EQ(perms("w1"), 0751);
	XT_ASSERT(times_are("w1", 100, 200, 300, 400));
	XT_ASSERT_EQ(lst("od/f").st_mode & S_IFMT, S_IFREG);
	XT_ASSERT_EQ(lst("od/e").st_mode & S_IFMT, S_IFDIR);
	XT_ASSERT_EQ(perms("od"), 0555);
	XT_ASSERT(times_are("od", 100, 200, 300, 400));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_OK(chmod(xt_path("od"), 0755)); /* for the clean-up */
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"chmod", t_chmod},
	{"chown", t_chown},
	{"utimens", t_utimens},
	{"order", t_order},
};

XT_MAIN(cases)
