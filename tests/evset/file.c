// SPDX-License-Identifier: MIT
/*
 * Asynchronous file operations: every call synchronously (es NULL: byte
 * counts and results) and in a set (futures: a chain submitted without
 * waiting, one wait at the end, with the op infos' api, offset, length,
 * result and user_tag); openat and stat relative to a directory handle;
 * xaio_file_status, xaio_file_fd and xaio_file_wait on a pending open;
 * a synchronous call waits for its handle's earlier work and nothing
 * else; a failed open: its dependents complete ECANCELED naming it and are
 * counted in dep_canceled, the handle's close succeeds (scenario 6); a
 * handle being closed refuses new work with -EBADF; argument checks.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtest.h"

#define MASK (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_BLOCKS | STATX_INO)

/* The file system of the temporary directory has fallocate(2). */
static int fallocate_works(void)
{
	int fd = open(xt_path("falloc-probe"), O_RDWR | O_CREAT, 0600);
	int ok = fd >= 0 && fallocate(fd, 0, 0, 4096) == 0;

	if (fd >= 0)
		close(fd);
	unlink(xt_path("falloc-probe"));
	return ok;
}

/* Synchronous: every call returns its result. */
static int t_sync_calls(void)
{
	enum { LEN = 5000 };
	static unsigned char w[LEN], r[LEN], v1[100], v2[3000], v3[7];
	static unsigned char s1[100], s2[3000], s3[7];
	struct iovec wv[3] = {{v1, 100}, {v2, 3000}, {v3, 7}};
	struct iovec rv[3] = {{s1, 100}, {s2, 3000}, {s3, 7}};
	const char *path = xt_path("sync");
	struct xaio_file *f = NULL;
	struct statx stx;
	struct stat st;
	ssize_t done = -1;
	int fd, ret;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_open(&f, path, O_RDWR | O_CREAT | O_TRUNC, 0640, NULL,
			       NULL),
		     0);
	XT_ASSERT(f != NULL);
	XT_ASSERT_EQ(xaio_file_status(f), 0);
	fd = xaio_file_fd(f);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_OK(fstat(fd, &st));
	XT_ASSERT(S_ISREG(st.st_mode));

	xt_fill_pattern(w, LEN, 3);
	XT_ASSERT_EQ(xaio_pwrite(f, w, LEN, 0, &done, NULL, NULL), LEN);
	XT_ASSERT_EQ(done, LEN);
	done = -1;
	XT_ASSERT_EQ(xaio_pread(f, r, LEN, 0, &done, NULL, NULL), LEN);
	XT_ASSERT_EQ(done, LEN);
	XT_ASSERT_MEM_EQ(r, w, LEN);
	/* At and across the end of the file. */
	XT_ASSERT_EQ(xaio_pread(f, r, LEN, LEN, &done, NULL, NULL), 0);
	XT_ASSERT_EQ(done, 0);
	XT_ASSERT_EQ(xaio_pread(f, r, 2000, 4000, NULL, NULL, NULL), 1000);
	XT_ASSERT_MEM_EQ(r, w + 4000, 1000);

	xt_fill_pattern(v1, sizeof(v1), 100);
	xt_fill_pattern(v2, sizeof(v2), 200);
	xt_fill_pattern(v3, sizeof(v3), 300);
	XT_ASSERT_EQ(xaio_pwritev(f, wv, 3, 10000, &done, NULL, NULL), 3107);
	XT_ASSERT_EQ(done, 3107);
	XT_ASSERT_EQ(xaio_preadv(f, rv, 3, 10000, &done, NULL, NULL), 3107);
	XT_ASSERT_EQ(done, 3107);
	XT_ASSERT_MEM_EQ(s1, v1, sizeof(v1));
	XT_ASSERT_MEM_EQ(s2, v2, sizeof(v2));
	XT_ASSERT_MEM_EQ(s3, v3, sizeof(v3));
	XT_ASSERT_EQ(et_file_size(path), 13107);

	XT_ASSERT_EQ(xaio_fsync(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_fdatasync(f, NULL, NULL), 0);

	XT_ASSERT_EQ(xaio_ftruncate(f, 1234, NULL, NULL), 0);
	memset(&stx, 0xa5, sizeof(stx));
	XT_ASSERT_EQ(xaio_fstat(f, MASK, &stx, NULL, NULL), 0);
	XT_ASSERT(stx.stx_mask & STATX_SIZE);
	XT_ASSERT_EQ(stx.stx_size, 1234);
	XT_ASSERT_EQ(et_file_size(path), 1234);
	XT_ASSERT_EQ(stx.stx_ino, st.st_ino);
	XT_ASSERT(S_ISREG(stx.stx_mode));

	ret = xaio_fallocate(f, 0, 0, 1 << 20, NULL, NULL);
	XT_SKIP_IF(ret == -EOPNOTSUPP && !fallocate_works(),
		   "fallocate is not supported here");
	XT_ASSERT_EQ(ret, 0);
	XT_ASSERT_EQ(xaio_fstat(f, MASK, &stx, NULL, NULL), 0);
	XT_ASSERT_EQ(stx.stx_size, 1 << 20);
	XT_ASSERT_GE(stx.stx_blocks * 512, 1 << 20);
	XT_ASSERT_OK(stat(path, &st));
	XT_ASSERT_EQ(st.st_size, 1 << 20);
	XT_ASSERT_GE((int64_t)st.st_blocks * 512, 1 << 20);

	/* By path. */
	memset(&stx, 0xa5, sizeof(stx));
	XT_ASSERT_EQ(xaio_stat(NULL, path, 0, MASK, &stx, NULL, NULL), 0);
	XT_ASSERT_EQ(stx.stx_size, st.st_size);
	XT_ASSERT_EQ(stx.stx_mode, st.st_mode);
	XT_ASSERT_EQ(stx.stx_ino, st.st_ino);
	XT_ASSERT_EQ(
		xaio_stat(NULL, xt_path("absent"), 0, MASK, &stx, NULL, NULL),
		-ENOENT);

	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);

	/* A failed synchronous open returns the error. */
	f = NULL;
	XT_ASSERT_EQ(xaio_open(&f, xt_path("absent"), O_RDONLY, 0, NULL, NULL),
		     -ENOENT);
	return XT_PASS;
}

struct step {
	const char *api;
	uint64_t id;
	int64_t result, offset;
	uint64_t length;
};

/* Futures: a whole session submitted at once, one wait. */
static int t_async_session(void)
{
	enum { LEN = 8192, N = 14 };
	static unsigned char w[LEN], r[LEN], v1[1000], v2[24], s1[1000], s2[24];
	struct iovec wv[2] = {{v1, 1000}, {v2, 24}};
	struct iovec rv[2] = {{s1, 1000}, {s2, 24}};
	const char *path = xt_path("session");
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f = NULL;
	struct statx x1, x2, x3, x4;
	struct xaio_op_info infos[N + 2];
	struct step st[N];
	uint64_t after_x3[1];
	struct xaio_opt *so;
	struct xaio_opt o;
	ssize_t dw = -1, dr = -1, dwv = -1, drv = -1;
	int n = 0, got;
	struct stat sb;

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(!fallocate_works(), "fallocate is not supported here");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	memset(st, 0, sizeof(st));
	memset(&x1, 0, sizeof(x1));
	x2 = x3 = x4 = x1;
#define STEP(name, res, off, len)                                              \
	(st[n].api = (name), st[n].result = (res), st[n].offset = (off),       \
	 st[n].length = (len), o = et_id(&st[n].id), o.user_tag = 100u + n,    \
	 n++, &o)

	XT_ASSERT_EQ(xaio_open(&f, path, O_RDWR | O_CREAT | O_TRUNC, 0600,
			       STEP("xaio_open", 0, 0, 0), es),
		     0);
	xt_fill_pattern(w, LEN, 11);
	XT_ASSERT_EQ(xaio_pwrite(f, w, LEN, 0, &dw,
				 STEP("xaio_pwrite", LEN, 0, LEN), es),
		     0);
	XT_ASSERT_EQ(xaio_pread(f, r, LEN, 0, &dr,
				STEP("xaio_pread", LEN, 0, LEN), es),
		     0);
	xt_fill_pattern(v1, sizeof(v1), 5);
	xt_fill_pattern(v2, sizeof(v2), 6);
	XT_ASSERT_EQ(xaio_pwritev(f, wv, 2, LEN, &dwv,
				  STEP("xaio_pwritev", 1024, LEN, 1024), es),
		     0);
	XT_ASSERT_EQ(xaio_preadv(f, rv, 2, LEN, &drv,
				 STEP("xaio_preadv", 1024, LEN, 1024), es),
		     0);
	XT_ASSERT_EQ(xaio_fsync(f, STEP("xaio_fsync", 0, 0, 0), es), 0);
	XT_ASSERT_EQ(xaio_fstat(f, MASK, &x1, STEP("xaio_fstat", 0, 0, 0), es),
		     0);
	XT_ASSERT_EQ(
		xaio_ftruncate(f, 100000, STEP("xaio_ftruncate", 0, 0, 0), es),
		0);
	XT_ASSERT_EQ(xaio_fstat(f, MASK, &x2, STEP("xaio_fstat", 0, 0, 0), es),
		     0);
	XT_ASSERT_EQ(xaio_fdatasync(f, STEP("xaio_fdatasync", 0, 0, 0), es), 0);
	XT_ASSERT_EQ(xaio_fallocate(f, 0, 0, 200000,
				    STEP("xaio_fallocate", 0, 0, 0), es),
		     0);
	XT_ASSERT_EQ(xaio_fstat(f, MASK, &x3, STEP("xaio_fstat", 0, 0, 0), es),
		     0);
	after_x3[0] = st[n - 1].id;
	/*
	 * By path: no handle orders it, so it names what it must follow
	 * (the fstat just before, after every write and barrier).
	 */
	so = STEP("xaio_stat", 0, 0, 0);
	so->after = after_x3;
	so->n_after = 1;
	XT_ASSERT_EQ(xaio_stat(NULL, path, 0, MASK, &x4, so, es), 0);
	XT_ASSERT_EQ(xaio_close(f, STEP("xaio_close", 0, 0, 0), es), 0);
	XT_ASSERT_EQ(n, N);
#undef STEP
	for (int i = 0; i < N; i++) {
		XT_ASSERT_NE(st[i].id, 0);
		for (int j = 0; j < i; j++)
			XT_ASSERT_GT(st[i].id, st[j].id);
	}
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 0);
	XT_ASSERT_EQ(c.failed, 0);
	XT_ASSERT_EQ(c.dep_canceled, 0);
	XT_ASSERT_EQ(c.inserted, N);
	XT_ASSERT_EQ(c.succeeded, N);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &infos[0]), -ENOENT);

	XT_ASSERT_EQ(dw, LEN);
	XT_ASSERT_EQ(dr, LEN);
	XT_ASSERT_EQ(dwv, 1024);
	XT_ASSERT_EQ(drv, 1024);
	XT_ASSERT_MEM_EQ(r, w, LEN);
	XT_ASSERT_MEM_EQ(s1, v1, sizeof(v1));
	XT_ASSERT_MEM_EQ(s2, v2, sizeof(v2));
	/* Each fstat sees the barriers before it. */
	XT_ASSERT_EQ(x1.stx_size, LEN + 1024);
	XT_ASSERT_EQ(x2.stx_size, 100000);
	XT_ASSERT_OK(stat(path, &sb));
	XT_ASSERT_EQ(x3.stx_size, sb.st_size);
	XT_ASSERT_EQ(x3.stx_ino, sb.st_ino);
	XT_ASSERT_EQ(x1.stx_mode, sb.st_mode);
	XT_ASSERT_EQ(sb.st_size, 200000);
	XT_ASSERT_EQ(x3.stx_size, 200000);
	XT_ASSERT_GE(x3.stx_blocks * 512, 200000);
	/* By path: not ordered against the handle, but the same file. */
	XT_ASSERT_EQ(x4.stx_ino, sb.st_ino);
	XT_ASSERT_EQ(x4.stx_mode, sb.st_mode);

	/* The infos, through a second run of the same calls: op_wait. */
	n = 0;
	f = NULL;
	memset(infos, 0, sizeof(infos));
	XT_ASSERT_EQ(xaio_open(&f, path, O_RDWR, 0, NULL, es), 0);
	o = et_id(&st[0].id);
	o.user_tag = 7;
	XT_ASSERT_EQ(xaio_pwrite(f, w, 100, 50, NULL, &o, es), 0);
	o = et_id(&st[1].id);
	XT_ASSERT_EQ(xaio_pread(f, r, 300, 99990, NULL, &o, es), 0);
	o = et_id(&st[2].id);
	XT_ASSERT_EQ(xaio_pwritev(f, wv, 2, 4, NULL, &o, es), 0);
	o = et_id(&st[3].id);
	XT_ASSERT_EQ(xaio_close(f, &o, es), 0);
	for (int i = 0; i < 4; i++) {
		XT_ASSERT_EQ(xaio_evset_op_wait(es, st[i].id, XAIO_WAIT_FOREVER,
						&infos[i]),
			     0);
		XT_ASSERT_EQ(infos[i].op_id, st[i].id);
		XT_ASSERT_EQ(infos[i].status, 0);
		XT_ASSERT_EQ(infos[i].cause, 0);
		XT_ASSERT_EQ(infos[i].flags, 0);
		XT_ASSERT_NE(infos[i].t_submit_ns, 0);
		XT_ASSERT_LE(infos[i].t_submit_ns, infos[i].t_start_ns);
		XT_ASSERT_LE(infos[i].t_start_ns, infos[i].t_end_ns);
		XT_ASSERT_LE(infos[i].t_end_ns, et_now_ns());
	}
	XT_ASSERT(!strcmp(infos[0].api, "xaio_pwrite"));
	XT_ASSERT_EQ(infos[0].user_tag, 7);
	XT_ASSERT_EQ(infos[0].offset, 50);
	XT_ASSERT_EQ(infos[0].length, 100);
	XT_ASSERT_EQ(infos[0].result, 100);
	XT_ASSERT(!strcmp(infos[1].api, "xaio_pread"));
	XT_ASSERT_EQ(infos[1].user_tag, 0);
	XT_ASSERT_EQ(infos[1].offset, 99990);
	XT_ASSERT_EQ(infos[1].length, 300);
	XT_ASSERT_EQ(infos[1].result, 300);
	XT_ASSERT(!strcmp(infos[2].api, "xaio_pwritev"));
	XT_ASSERT_EQ(infos[2].offset, 4);
	XT_ASSERT_EQ(infos[2].length, 1024);
	XT_ASSERT_EQ(infos[2].result, 1024);
	XT_ASSERT(!strcmp(infos[3].api, "xaio_close"));
	XT_ASSERT_EQ(infos[3].offset, 0);
	XT_ASSERT_EQ(infos[3].length, 0);
	XT_ASSERT_EQ(infos[3].result, 0);
	got = et_harvest(es, infos, N);
	XT_ASSERT_EQ(got, 1); /* the open */
	XT_ASSERT(!strcmp(infos[0].api, "xaio_open"));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/* open, write, fsync, close: no wait in between, then one. */
static int t_futures_chain(void)
{
	enum { FILES = 4, LEN = 3000 };
	static unsigned char w[FILES][LEN], r[LEN];
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	char name[32];

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	for (int i = 0; i < FILES; i++) {
		struct xaio_file *f = NULL;

		snprintf(name, sizeof(name), "chain%d", i);
		xt_fill_pattern(w[i], LEN, 1000u * i);
		XT_ASSERT_EQ(xaio_open(&f, xt_path(name),
				       O_WRONLY | O_CREAT | O_TRUNC, 0644, NULL,
				       es),
			     0);
		XT_ASSERT_EQ(xaio_pwrite(f, w[i], LEN, 0, NULL, NULL, es), 0);
		XT_ASSERT_EQ(xaio_fsync(f, NULL, es), 0);
		XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	}
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 4 * FILES);
	XT_ASSERT_EQ(c.failed + c.dep_canceled + c.canceled, 0);
	for (int i = 0; i < FILES; i++) {
		snprintf(name, sizeof(name), "chain%d", i);
		XT_ASSERT_EQ(et_read_file(xt_path(name), r, LEN, 0), LEN);
		XT_ASSERT_MEM_EQ(r, w[i], LEN);
		XT_ASSERT_EQ(et_file_size(xt_path(name)), LEN);
	}
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/* A directory handle (a future too) for openat and stat. */
static int t_openat_dir(void)
{
	static unsigned char w[777];
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *d = NULL, *f = NULL, *bad = NULL, *f2 = NULL;
	struct xaio_op_info info;
	struct statx stx;
	uint64_t bad_id = 0, f2_id = 0, st_id = 0;
	struct xaio_opt o;
	char path[4200];

	XT_REQUIRE_BACKEND();
	snprintf(path, sizeof(path), "%s", xt_path("sub"));
	XT_ASSERT_OK(mkdir(path, 0755));
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, path, O_RDONLY | O_DIRECTORY, 0, NULL, es),
		     0);
	XT_ASSERT_EQ(xaio_openat(&f, d, "inner", O_RDWR | O_CREAT | O_TRUNC,
				 0600, NULL, es),
		     0);
	xt_fill_pattern(w, sizeof(w), 9);
	XT_ASSERT_EQ(xaio_pwrite(f, w, sizeof(w), 0, NULL, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 4);
	memset(&stx, 0, sizeof(stx));
	XT_ASSERT_EQ(xaio_stat(d, "inner", 0, MASK, &stx, NULL, NULL), 0);
	XT_ASSERT_EQ(stx.stx_size, sizeof(w));
	XT_ASSERT_EQ(stx.stx_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/inner", xt_path("sub"));
	XT_ASSERT_EQ(et_file_size(path), sizeof(w));

	/* A directory whose open fails: openat and stat on it are
	 * dep-cancelled. */
	o = et_id(&bad_id);
	XT_ASSERT_EQ(xaio_open(&bad, xt_path("nodir"), O_RDONLY | O_DIRECTORY,
			       0, &o, es),
		     0);
	o = et_id(&f2_id);
	XT_ASSERT_EQ(xaio_openat(&f2, bad, "x", O_RDWR | O_CREAT, 0600, &o, es),
		     0);
	o = et_id(&st_id);
	XT_ASSERT_EQ(xaio_stat(bad, "x", 0, MASK, &stx, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, bad_id, XAIO_WAIT_FOREVER, &info),
		     0);
	XT_ASSERT_EQ(info.status, ENOENT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, f2_id, XAIO_WAIT_FOREVER, &info),
		     0);
	XT_ASSERT_EQ(info.status, ECANCELED);
	XT_ASSERT_EQ(info.cause, bad_id);
	XT_ASSERT(info.flags & XAIO_INFO_DEP_CANCELED);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, st_id, XAIO_WAIT_FOREVER, &info),
		     0);
	XT_ASSERT_EQ(info.status, ECANCELED);
	XT_ASSERT_EQ(info.cause, bad_id);
	XT_ASSERT_EQ(xaio_file_status(f2), -ECANCELED);
	XT_ASSERT_EQ(xaio_close(f2, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(bad, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.failed, 1);
	XT_ASSERT_EQ(c.dep_canceled, 2);
	XT_ASSERT_EQ(c.succeeded, 7);
	XT_ASSERT_EQ(access(xt_path("nodir/x"), F_OK), -1);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	return XT_PASS;
}

/* xaio_file_status: -EINPROGRESS, 0, or the open's -errno; never blocks. */
static int t_file_status(void)
{
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL, *m = NULL;
	struct xaio_opt o;
	uint64_t t0;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "status.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_after(&g.id, NULL);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("status"),
			       O_RDWR | O_CREAT | O_TRUNC, 0644, &o, es),
		     0);
	t0 = et_now_ns();
	XT_ASSERT_EQ(xaio_file_status(f), -EINPROGRESS);
	XT_ASSERT_LT(et_now_ns() - t0, ET_MS(et_slack_ms(500)));
	xt_sleep_ms(20);
	XT_ASSERT_EQ(xaio_file_status(f), -EINPROGRESS);
	/* Not even created yet. */
	XT_ASSERT_EQ(access(xt_path("status"), F_OK), -1);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(xaio_file_status(f), 0);
	XT_ASSERT_EQ(access(xt_path("status"), F_OK), 0);

	XT_ASSERT_EQ(xaio_open(&m, xt_path("missing"), O_RDWR, 0, NULL, es), 0);
	XT_ASSERT_EQ(xaio_file_fd(m), -ENOENT);
	XT_ASSERT_EQ(xaio_file_status(m), -ENOENT);
	XT_ASSERT_EQ(xaio_close(m, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* xaio_file_fd waits for the open only. */
static int t_file_fd(void)
{
	struct et_gate g, g2;
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct xaio_opt o;
	static char buf[16];
	struct stat a, b;
	uint64_t wid = 0;
	int fd;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "fd.fifo");
	ET_GATE(&g2, "fd2.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_after(&g.id, NULL);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("fd"), O_RDWR | O_CREAT | O_TRUNC,
			       0644, &o, es),
		     0);
	/* A write the fd does not wait for (it waits for g2 too). */
	o = et_after(&g2.id, &wid);
	XT_ASSERT_EQ(xaio_pwrite(f, buf, sizeof(buf), 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(et_gate_release_after(&g, 100), 0);
	fd = xaio_file_fd(f);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_NE(atomic_load(&g.released_ns), 0);
	XT_ASSERT_OK(fstat(fd, &a));
	XT_ASSERT_OK(stat(xt_path("fd"), &b));
	XT_ASSERT_EQ(a.st_ino, b.st_ino);
	XT_ASSERT_EQ(a.st_dev, b.st_dev);
	XT_ASSERT_EQ(xaio_file_fd(f), fd);
	XT_ASSERT_EQ(xaio_file_wait(f, ET_MS(20)), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g2), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(et_file_size(xt_path("fd")), sizeof(buf));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	XT_ASSERT_EQ(et_gate_close(&g2), 0);
	return XT_PASS;
}

/* xaio_file_wait: every operation on f so far, without harvesting. */
static int t_file_wait(void)
{
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f = NULL;
	struct xaio_op_info infos[8];
	static char buf[4][100];
	struct xaio_opt o;
	uint64_t t0;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "fwait.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("fwait"), O_RDWR | O_CREAT | O_TRUNC,
			       0644, NULL, es),
		     0);
	o = et_after(&g.id, NULL);
	for (int i = 0; i < 4; i++) {
		memset(buf[i], 'a' + i, 100);
		XT_ASSERT_EQ(xaio_pwrite(f, buf[i], 100, i * 100, NULL,
					 i == 3 ? &o : NULL, es),
			     0);
	}
	t0 = et_now_ns();
	XT_ASSERT_EQ(xaio_file_wait(f, ET_MS(30)), -ETIMEDOUT);
	XT_ASSERT_GE(et_now_ns() - t0, ET_MS(30));
	XT_ASSERT_EQ(xaio_file_wait(f, 0), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release_after(&g, 50), 0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_NE(atomic_load(&g.released_ns), 0);
	XT_ASSERT_EQ(xaio_file_wait(f, 0), 0);
	XT_ASSERT_EQ(et_file_size(xt_path("fwait")), 400);
	/* Not harvested: all five are still in the set. */
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 0);
	XT_ASSERT_EQ(c.succeeded, 5);
	XT_ASSERT_EQ(et_harvest(es, infos, 8), 5);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* A synchronous call waits for its handle's earlier work, and only that. */
static int t_sync_waits_handle(void)
{
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL, *other = NULL;
	static char w[100], r[100];
	struct xaio_opt o;
	uint64_t t0;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "syncwait.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("syncwait"),
			       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL, NULL),
		     0);
	XT_ASSERT_EQ(
		xaio_open(&other, xt_path("syncwait"), O_RDWR, 0, NULL, NULL),
		0);
	memset(w, 's', sizeof(w));
	o = et_after(&g.id, NULL);
	XT_ASSERT_EQ(xaio_pwrite(f, w, sizeof(w), 0, NULL, &o, es), 0);
	/* Another handle: not held up by f's pending write. */
	t0 = et_now_ns();
	XT_ASSERT_EQ(xaio_pread(other, r, sizeof(r), 0, NULL, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_pwrite(other, "z", 1, 500, NULL, NULL, NULL), 1);
	XT_ASSERT_EQ(xaio_fsync(other, NULL, NULL), 0);
	XT_ASSERT_EQ(atomic_load(&g.released_ns), 0);
	XT_ASSERT_LT(et_now_ns() - t0, ET_MS(et_slack_ms(2000)));
	/* f: a read of the same bytes waits for the write. */
	XT_ASSERT_EQ(et_gate_release_after(&g, 100), 0);
	memset(r, 0, sizeof(r));
	XT_ASSERT_EQ(xaio_pread(f, r, sizeof(r), 0, NULL, NULL, NULL), 100);
	XT_ASSERT_NE(atomic_load(&g.released_ns), 0);
	XT_ASSERT_MEM_EQ(r, w, sizeof(w));
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(other, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* Scenario 6: a failed open, its dependents, its close. */
static int t_open_fails(void)
{
	static char buf[64];
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f = NULL, *g = NULL;
	struct xaio_op_info info;
	uint64_t oid = 0, wid = 0, sid = 0, rid = 0, cid = 0, chid = 0;
	uint64_t gid = 0;
	ssize_t done = -7;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_id(&oid);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("nope/missing"), O_RDWR, 0, &o, es),
		     0);
	XT_ASSERT(f != NULL);
	o = et_id(&wid);
	XT_ASSERT_EQ(xaio_pwrite(f, buf, sizeof(buf), 0, &done, &o, es), 0);
	o = et_id(&sid);
	XT_ASSERT_EQ(xaio_fsync(f, &o, es), 0);
	o = et_id(&rid);
	XT_ASSERT_EQ(xaio_pread(f, buf, sizeof(buf), 0, NULL, &o, es), 0);
	/* On another handle, after the dependent write: the root propagates. */
	XT_ASSERT_EQ(xaio_open(&g, xt_path("other"), O_RDWR | O_CREAT, 0644,
			       NULL, es),
		     0);
	o = et_after(&wid, &chid);
	XT_ASSERT_EQ(xaio_pwrite(g, buf, sizeof(buf), 0, NULL, &o, es), 0);
	o = et_id(&gid);
	XT_ASSERT_EQ(xaio_pwrite(g, buf, sizeof(buf), 1000, NULL, &o, es), 0);
	o = et_id(&cid);
	XT_ASSERT_EQ(xaio_close(f, &o, es), 0);
	XT_ASSERT_EQ(xaio_close(g, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 0);
	XT_ASSERT_EQ(c.failed, 1);
	XT_ASSERT_EQ(c.dep_canceled, 4);
	XT_ASSERT_EQ(c.canceled, 0);
	XT_ASSERT_EQ(c.succeeded, 4); /* f's close, g's open, write, close */
	XT_ASSERT_EQ(c.errors, 5);
	XT_ASSERT_EQ(c.inserted, 9);
	(void)done;

	/* Everything harvested: look at the error records, oldest first. */
	{
		struct xaio_error e[8];
		size_t n = 0;
		int seen_open = 0;

		XT_ASSERT_EQ(xaio_evset_errors(es, e, 8, &n), 0);
		XT_ASSERT_EQ(n, 5);
		XT_ASSERT_EQ(e[0].info.op_id, oid);
		for (size_t i = 0; i < n; i++) {
			info = e[i].info;
			if (info.op_id == oid) {
				seen_open++;
				XT_ASSERT_EQ(info.status, ENOENT);
				XT_ASSERT_EQ(info.cause, 0);
				XT_ASSERT_EQ(
					info.flags & XAIO_INFO_DEP_CANCELED, 0);
				XT_ASSERT(!strcmp(info.api, "xaio_open"));
				continue;
			}
			XT_ASSERT(info.op_id == wid || info.op_id == sid ||
				  info.op_id == rid || info.op_id == chid);
			XT_ASSERT_EQ(info.status, ECANCELED);
			XT_ASSERT_EQ(info.cause, oid);
			XT_ASSERT(info.flags & XAIO_INFO_DEP_CANCELED);
			XT_ASSERT_EQ(info.result, 0);
		}
		XT_ASSERT_EQ(seen_open, 1);
		xaio_evset_free_errors(e, n);
	}
	XT_ASSERT_EQ(et_file_size(xt_path("other")), 1064);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	(void)cid;
	(void)gid;
	return XT_PASS;
}

/* The same, looking at each operation's info as it is harvested. */
static int t_open_fails_infos(void)
{
	static char buf[64];
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct xaio_op_info info;
	uint64_t oid = 0, wid = 0, sid = 0, cid = 0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_id(&oid);
	XT_ASSERT_EQ(
		xaio_open(&f, xt_path("nope2/missing"), O_RDONLY, 0, &o, es),
		0);
	o = et_id(&wid);
	XT_ASSERT_EQ(xaio_pwrite(f, buf, sizeof(buf), 0, NULL, &o, es), 0);
	o = et_id(&sid);
	XT_ASSERT_EQ(xaio_fsync(f, &o, es), 0);
	o = et_id(&cid);
	XT_ASSERT_EQ(xaio_close(f, &o, es), 0);
	XT_ASSERT_NE(oid, 0);
	XT_ASSERT_LT(oid, wid);
	XT_ASSERT_LT(wid, sid);
	XT_ASSERT_LT(sid, cid);

	XT_ASSERT_EQ(xaio_evset_op_wait(es, wid, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(info.op_id, wid);
	XT_ASSERT_EQ(info.status, ECANCELED);
	XT_ASSERT_EQ(info.cause, oid);
	XT_ASSERT_EQ(info.flags, XAIO_INFO_DEP_CANCELED);
	XT_ASSERT_NE(info.t_end_ns, 0);
	XT_ASSERT_LE(info.t_submit_ns, info.t_end_ns);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, sid, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(info.status, ECANCELED);
	XT_ASSERT_EQ(info.cause, oid);
	XT_ASSERT(info.flags & XAIO_INFO_DEP_CANCELED);
	XT_ASSERT(!strcmp(info.api, "xaio_fsync"));
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oid, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(info.status, ENOENT);
	XT_ASSERT_EQ(info.cause, 0);
	XT_ASSERT_EQ(info.flags, 0);
	XT_ASSERT_NE(info.t_start_ns, 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, cid, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(info.status, 0);
	XT_ASSERT_EQ(info.cause, 0);
	XT_ASSERT_EQ(info.flags, 0);
	XT_ASSERT(!strcmp(info.api, "xaio_close"));
	XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &info), -ENOENT);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	return XT_PASS;
}

/* After xaio_close (still pending), the handle refuses new work. */
static int t_closing_ebadf(void)
{
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c, c2;
	struct xaio_file *f = NULL;
	static char buf[64];
	struct statx stx;
	uint64_t id = 0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "ebadf.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_after(&g.id, NULL);
	XT_ASSERT_EQ(
		xaio_open(&f, xt_path("ebadf"), O_RDWR | O_CREAT, 0644, &o, es),
		0);
	XT_ASSERT_EQ(xaio_pwrite(f, buf, sizeof(buf), 0, NULL, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.inserted, 3);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_pread(f, buf, sizeof(buf), 0, NULL, &o, es), -EBADF);
	XT_ASSERT_EQ(xaio_pwrite(f, buf, sizeof(buf), 0, NULL, &o, es), -EBADF);
	XT_ASSERT_EQ(xaio_pread(f, buf, sizeof(buf), 0, NULL, &o, NULL),
		     -EBADF);
	XT_ASSERT_EQ(xaio_fsync(f, &o, es), -EBADF);
	XT_ASSERT_EQ(xaio_ftruncate(f, 0, &o, es), -EBADF);
	XT_ASSERT_EQ(xaio_fstat(f, STATX_SIZE, &stx, &o, es), -EBADF);
	XT_ASSERT_EQ(xaio_close(f, &o, es), -EBADF);
	/* As the directory of a path operation (either side of a rename). */
	XT_ASSERT_EQ(xaio_unlink(f, "x", &o, es), -EBADF);
	XT_ASSERT_EQ(xaio_rename(f, "x", NULL, xt_path("y"), 0, &o, es),
		     -EBADF);
	XT_ASSERT_EQ(xaio_rename(NULL, xt_path("y"), f, "x", 0, &o, es),
		     -EBADF);
	XT_ASSERT_EQ(xaio_link(NULL, xt_path("y"), f, "x", 0, &o, es), -EBADF);
	XT_ASSERT_EQ(xaio_readlink(f, "x", buf, 8, &o, es), -EBADF);
	XT_ASSERT_EQ(xaio_access(f, "x", F_OK, 0, &o, es), -EBADF);
	XT_ASSERT_EQ(id, 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c2), 0);
	XT_ASSERT_EQ(c2.inserted, 3);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 3);
	XT_ASSERT_EQ(et_file_size(xt_path("ebadf")), sizeof(buf));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

static void no_free(void *buf, void *ctx)
{
	atomic_fetch_add((atomic_int *)ctx, 1);
}

/* Argument checks: -EINVAL, nothing started, no id written. */
static int t_bad_args(void)
{
	static char buf[64];
	struct iovec iov[1] = {{buf, sizeof(buf)}};
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f = NULL, *g = NULL;
	struct statx stx;
	uint64_t id = 0;
	struct xaio_opt o, ro, so, go;
	atomic_int frees = 0;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("args"), O_RDWR | O_CREAT | O_TRUNC,
			       0644, NULL, NULL),
		     0);
	o = et_id(&id);
	ro = o;
	ro.reserved[1] = 1;
	so = o;
	so.flags = XAIO_ORDER_STRICT;
	go = o;
	go.flags = XAIO_BUF_GIFT; /* without buf_free */
	for (int sync = 0; sync < 2; sync++) {
		struct xaio_evset *s = sync ? NULL : es;

		XT_ASSERT_EQ(
			xaio_open(NULL, xt_path("args"), O_RDONLY, 0, &o, s),
			-EINVAL);
		XT_ASSERT_EQ(xaio_open(&g, NULL, O_RDONLY, 0, &o, s), -EINVAL);
		XT_ASSERT_EQ(
			xaio_openat(NULL, NULL, "args", O_RDONLY, 0, &o, s),
			-EINVAL);
		XT_ASSERT_EQ(
			xaio_open(&g, xt_path("args"), O_RDONLY, 0, &ro, s),
			-EINVAL);
		XT_ASSERT_EQ(xaio_pread(NULL, buf, 1, 0, NULL, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_pwrite(NULL, buf, 1, 0, NULL, &o, s),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_preadv(NULL, iov, 1, 0, NULL, &o, s),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_pwritev(NULL, iov, 1, 0, NULL, &o, s),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_fsync(NULL, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_fdatasync(NULL, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_ftruncate(NULL, 0, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_fallocate(NULL, 0, 0, 1, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_fstat(NULL, STATX_SIZE, &stx, &o, s),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_close(NULL, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_fstat(f, STATX_SIZE, NULL, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_stat(NULL, NULL, 0, STATX_SIZE, &stx, &o, s),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_stat(NULL, xt_path("args"), 0, STATX_SIZE,
				       NULL, &o, s),
			     -EINVAL);
		/* Offsets, counts and lengths. */
		XT_ASSERT_EQ(xaio_pread(f, buf, 1, -1, NULL, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_pwrite(f, buf, 1, -4096, NULL, &o, s),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_preadv(f, iov, 1, -1, NULL, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_pwritev(f, iov, 1, -1, NULL, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_fallocate(f, 0, -1, 10, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_preadv(f, iov, -1, 0, NULL, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_pwritev(f, iov, -1, 0, NULL, &o, s), -EINVAL);
		XT_ASSERT_EQ(xaio_preadv(f, iov, IOV_MAX + 1, 0, NULL, &o, s),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_pwritev(f, iov, IOV_MAX + 1, 0, NULL, &o, s),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_pread(f, buf, (size_t)SSIZE_MAX + 1, 0, NULL,
					&o, s),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_pwrite(f, buf, SIZE_MAX, 0, NULL, &o, s),
			     -EINVAL);
		/* Options. */
		XT_ASSERT_EQ(xaio_pwrite(f, buf, 1, 0, NULL, &ro, s), -EINVAL);
		XT_ASSERT_EQ(xaio_fsync(f, &ro, s), -EINVAL);
		XT_ASSERT_EQ(xaio_pwrite(f, buf, 1, 0, NULL, &so, s), -EINVAL);
		XT_ASSERT_EQ(xaio_pread(f, buf, 1, 0, NULL, &so, s), -EINVAL);
		XT_ASSERT_EQ(xaio_fsync(f, &so, s), -EINVAL);
		XT_ASSERT_EQ(xaio_close(f, &so, s), -EINVAL);
		XT_ASSERT_EQ(xaio_pwrite(f, buf, 1, 0, NULL, &go, s), -EINVAL);
	}
	XT_ASSERT_EQ(id, 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.inserted, 0);
	/* Nothing was written by any of them. */
	XT_ASSERT_EQ(et_file_size(xt_path("args")), 0);
	/* A refused GIFT stays the caller's. */
	go.buf_free = no_free;
	go.buf_free_ctx = &frees;
	XT_ASSERT_EQ(xaio_pwrite(f, buf, 1, -1, NULL, &go, es), -EINVAL);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(atomic_load(&frees), 0);
	/* The handle still works: the refusals left no trace. */
	XT_ASSERT_EQ(xaio_pwrite(f, buf, 64, 0, NULL, NULL, NULL), 64);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static struct xt_case cases[] = {
	{"sync_calls", t_sync_calls},
	{"async_session", t_async_session},
	{"futures_chain", t_futures_chain},
	{"openat_dir", t_openat_dir},
	{"file_status", t_file_status},
	{"file_fd", t_file_fd},
	{"file_wait", t_file_wait},
	{"sync_waits_handle", t_sync_waits_handle},
	{"open_fails", t_open_fails},
	{"open_fails_infos", t_open_fails_infos},
	{"closing_ebadf", t_closing_ebadf},
	{"bad_args", t_bad_args},
};

XT_MAIN(cases)
