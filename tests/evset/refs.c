// SPDX-License-Identifier: MIT
/*
 * References (H5R): xaio_ref_get and xaio_ref_open, synchronously and in
 * a set (relative to directory handles that are futures, the opened
 * handle used at once); a reference that survives a rename, one to a
 * directory (AT_EMPTY_PATH) and through a symbolic link; ESTALE once the
 * file is gone; -EPERM without CAP_DAC_READ_SEARCH (as an unprivileged
 * user, or as root in a child that drops the capability); the argument
 * errors that start nothing.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "evtest.h"

static ino_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? 0 : st.st_ino;
}

/* The inode of handle f's file (0: failed). */
static ino_t ino_f(struct xaio_file *f)
{
	struct statx stx;

	return xaio_fstat(f, STATX_INO, &stx, NULL, NULL) < 0 ? 0 : stx.stx_ino;
}

/* Takes a reference of xt_path(name); skips where there are none. */
#define REF_OF(name, ref)                                                      \
	do {                                                                   \
		int r_ = xaio_ref_get(NULL, xt_path(name), 0, (ref), NULL,     \
				      NULL);                                   \
		XT_SKIP_IF(r_ == -EOPNOTSUPP,                                  \
			   "no file handles on this file system");             \
		XT_ASSERT_EQ(r_, 0);                                           \
	} while (0)

/* Opens ref; skips (with a message) without CAP_DAC_READ_SEARCH. */
#define REF_OPEN(f, mnt, ref, flags)                                           \
	do {                                                                   \
		int r_ =                                                       \
			xaio_ref_open((f), (mnt), (ref), (flags), NULL, NULL); \
		XT_SKIP_IF(r_ == -EPERM,                                       \
			   "no CAP_DAC_READ_SEARCH: opening references is "    \
			   "refused (checked in eperm)");                      \
		XT_ASSERT_EQ(r_, 0);                                           \
	} while (0)

static int t_rename(void)
{
	struct xaio_ref ref, ref2;
	struct xaio_file *f = NULL;
	char b[32] = {0};
	ino_t ino;

	XT_REQUIRE_BACKEND();
	et_put("r1", "referenced");
	ino = ino_of(xt_path("r1"));
	memset(&ref, 0xa5, sizeof(ref));
	REF_OF("r1", &ref);
	XT_ASSERT_GT(ref.handle_bytes, 0);
	XT_ASSERT_LE(ref.handle_bytes, XAIO_REF_HANDLE_MAX);
	/* Taken twice: the same bytes (nothing left uninitialised). */
	XT_ASSERT_EQ(xaio_ref_get(NULL, xt_path("r1"), 0, &ref2, NULL, NULL),
		     0);
	XT_ASSERT(!memcmp(&ref, &ref2, sizeof(ref)));

	/* Renamed into another directory: the reference still names it. */
	XT_ASSERT_OK(mkdir(xt_path("elsewhere"), 0755));
	XT_ASSERT_OK(rename(xt_path("r1"), xt_path("elsewhere/r1-moved")));
	REF_OPEN(&f, NULL, &ref, O_RDWR);
	XT_ASSERT_EQ(xaio_pread(f, b, sizeof(b), 0, NULL, NULL, NULL), 10);
	XT_ASSERT(!memcmp(b, "referenced", 10));
	XT_ASSERT_EQ(ino_f(f), ino);
	XT_ASSERT_EQ(xaio_pwrite(f, "R", 1, 0, NULL, NULL, NULL), 1);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(et_read_file(xt_path("elsewhere/r1-moved"), b, 1, 0), 1);
	XT_ASSERT_EQ(b[0], 'R');

	/* Deleted: the reference is stale, and no handle is made. */
	XT_ASSERT_OK(unlink(xt_path("elsewhere/r1-moved")));
	f = (struct xaio_file *)&ref; /* overwritten with NULL */
	XT_ASSERT_EQ(xaio_ref_open(&f, NULL, &ref, O_RDONLY, NULL, NULL),
		     -ESTALE);
	XT_ASSERT(!f);
	return XT_PASS;
}

/* Directories, links, and a set with futures. */
static int t_in_set(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL, *f = NULL, *g = NULL;
	struct xaio_ref rd, rl, rt;
	struct xaio_op_info in;
	struct xaio_opt o;
	struct statx stx;
	char b[16] = {0};
	uint64_t id = 0, rid = 0;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(mkdir(xt_path("sd"), 0755));
	et_put("sd/t", "target");
	XT_ASSERT_OK(symlink("t", xt_path("sd/l")));
	REF_OF("sd/t", &rt);
	REF_OPEN(&f, NULL, &rt, O_RDONLY);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);

	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_path("sd"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	/* The directory itself, and the link both ways. */
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_ref_get(d, "", AT_EMPTY_PATH, &rd, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_ref_get"));
	XT_ASSERT_EQ(xaio_ref_get(d, "l", 0, &rl, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(rl.handle_bytes != rt.handle_bytes ||
		  memcmp(rl.handle, rt.handle, rt.handle_bytes));
	XT_ASSERT_EQ(xaio_ref_get(d, "l", AT_SYMLINK_FOLLOW, &rl, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT_EQ(rl.handle_bytes, rt.handle_bytes);
	XT_ASSERT(!memcmp(rl.handle, rt.handle, rt.handle_bytes));
	XT_ASSERT_EQ(xaio_ref_get(d, "missing", 0, &rl, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ENOENT);

	/* Open through a mount handle that is a future; use it at once. */
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(
		xaio_open(&d, xt_tmpdir(), O_RDONLY | O_DIRECTORY, 0, NULL, es),
		0);
	o = et_id(&rid);
	XT_ASSERT_EQ(xaio_ref_open(&f, d, &rt, O_RDONLY, &o, es), 0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_pread(f, b, sizeof(b), 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT_EQ(in.result, 6);
	XT_ASSERT(!memcmp(b, "target", 6));
	XT_ASSERT_EQ(et_status(es, rid, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_ref_open"));
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	/* The directory's reference opens it as a directory. */
	XT_ASSERT_EQ(
		xaio_ref_open(&g, d, &rd, O_RDONLY | O_DIRECTORY, NULL, es), 0);
	XT_ASSERT_EQ(xaio_openat(&f, g, "t", O_RDONLY, 0, NULL, es), 0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_fstat(f, STATX_INO, &stx, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT_EQ(stx.stx_ino, ino_of(xt_path("sd/t")));
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(g, NULL, es), 0);

	/* A stale reference in a set: what is queued on it is cancelled. */
	et_put("gone", "x");
	XT_ASSERT_EQ(xaio_ref_get(NULL, xt_path("gone"), 0, &rl, NULL, NULL),
		     0);
	XT_ASSERT_OK(unlink(xt_path("gone")));
	o = et_id(&rid);
	XT_ASSERT_EQ(xaio_ref_open(&f, d, &rl, O_RDONLY, &o, es), 0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_pread(f, b, sizeof(b), 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, rid, &in), ESTALE);
	XT_ASSERT_EQ(et_status(es, id, &in), ECANCELED);
	XT_ASSERT(in.flags & XAIO_INFO_DEP_CANCELED);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	{
		struct xaio_error e[4];
		size_t n = 0;

		XT_ASSERT_EQ(xaio_evset_errors(es, e, 4, &n), 0);
		XT_ASSERT_EQ(n, 3);
		XT_ASSERT(e[0].args && strstr(e[0].args, "path=\"missing\""));
		XT_ASSERT(!strcmp(e[1].info.api, "xaio_ref_open"));
		XT_ASSERT(e[1].args && strstr(e[1].args, "handle_bytes="));
		xaio_evset_free_errors(e, n);
	}
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	return XT_PASS;
}

/* Drops CAP_DAC_READ_SEARCH from this process's effective set: 0 or -1. */
static int drop_dac_read_search(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[CAP_DAC_READ_SEARCH / 32].effective &=
		~(1u << (CAP_DAC_READ_SEARCH % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/* Without CAP_DAC_READ_SEARCH, opening a reference is refused: -EPERM. */
static int t_eperm(void)
{
	struct xaio_ref ref;
	struct xaio_file *f = NULL;
	int st = 0;
	pid_t pid;

	XT_REQUIRE_BACKEND();
	et_put("p1", "x");
	REF_OF("p1", &ref);
	fflush(NULL);
	pid = fork();
	XT_ASSERT(pid >= 0);
	if (pid == 0) {
		int r;

		if (geteuid() == 0 && drop_dac_read_search() < 0)
			_exit(77);
		r = xaio_ref_open(&f, NULL, &ref, O_RDONLY, NULL, NULL);
		_exit(r == -EPERM && !f ? 0 : 1);
	}
	XT_ASSERT_EQ(waitpid(pid, &st, 0), pid);
	XT_ASSERT(WIFEXITED(st));
	XT_SKIP_IF(WEXITSTATUS(st) == 77,
		   "cannot drop CAP_DAC_READ_SEARCH here (capset refused)");
	XT_ASSERT_EQ(WEXITSTATUS(st), 0);
	/* Getting a reference needs no privilege. */
	return XT_PASS;
}

static int t_errors(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_ref ref, bad;
	struct xaio_file *f = NULL;
	struct xaio_opt o = {0};

	XT_REQUIRE_BACKEND();
	et_put("e1", "x");
	REF_OF("e1", &ref);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_ref_get(NULL, xt_path("e1"), 0, NULL, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(
		xaio_ref_get(NULL, xt_path("e1"), AT_REMOVEDIR, &ref, NULL, es),
		-EINVAL);
	XT_ASSERT_EQ(xaio_ref_get(NULL, NULL, 0, &ref, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_ref_get(NULL, NULL, AT_EMPTY_PATH, &ref, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_ref_get(NULL, "", 0, &ref, NULL, es), -ENOENT);
	o.flags = XAIO_BUF_COPY;
	XT_ASSERT_EQ(xaio_ref_get(NULL, xt_path("e1"), 0, &ref, &o, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_ref_open(&f, NULL, &ref, O_RDONLY, &o, es), -EINVAL);
	XT_ASSERT_EQ(xaio_ref_open(NULL, NULL, &ref, O_RDONLY, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_ref_open(&f, NULL, NULL, O_RDONLY, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_ref_open(&f, NULL, &ref, O_RDWR | O_CREAT, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(
		xaio_ref_open(&f, NULL, &ref, O_RDWR | O_TMPFILE, NULL, es),
		-EINVAL);
	bad = ref;
	bad.handle_bytes = 0;
	XT_ASSERT_EQ(xaio_ref_open(&f, NULL, &bad, O_RDONLY, NULL, es),
		     -EINVAL);
	bad.handle_bytes = XAIO_REF_HANDLE_MAX + 1;
	XT_ASSERT_EQ(xaio_ref_open(&f, NULL, &bad, O_RDONLY, NULL, es),
		     -EINVAL);
	XT_ASSERT(!f);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	/* Bytes the file system did not make: refused by the kernel. */
	bad = ref;
	memset(bad.handle, 0x5a, bad.handle_bytes);
	{
		int r = xaio_ref_open(&f, NULL, &bad, O_RDONLY, NULL, NULL);

		XT_ASSERT(r < 0);
		XT_ASSERT(!f);
	}
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"rename", t_rename},
	{"in_set", t_in_set},
	{"eperm", t_eperm},
	{"errors", t_errors},
};

XT_MAIN(cases)
