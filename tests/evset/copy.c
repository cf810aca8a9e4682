// SPDX-License-Identifier: MIT
/*
 * xaio_copy (H5Ocopy): whole files and ranges, synchronously and in a set
 * on handles that are futures; holes that stay holes (also over a
 * destination's old data); the clone-only, no-clone and read/write-only
 * flags; the copy as a barrier on both handles (a later write to the
 * source waits for it, shown with a gate); the kernel's errors in the
 * status, and the argument errors that start nothing.  Every effect is
 * checked with plain system calls.
 *
 * xaio_copy_file (the whole file with its metadata, one operation): the
 * content, holes, mode, times (ns), extended attributes, owner (as root),
 * the existing-copy rule (EEXIST, or XAIO_COPY_REPLACE), the source kinds
 * refused, no copy left by a failure, and its order by path in a set
 * (behind a mkdir of the copy's directory, relative to a future directory
 * handle).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "evtest.h"

#define MIB (1024 * 1024)

/* A file xt_path(name) of len pattern bytes; its path. */
static const char *mkpat(const char *name, size_t len)
{
	const char *p = xt_path(name);
	char *b = malloc(len ? len : 1);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (!b || fd < 0)
		abort();
	xt_fill_pattern(b, len, 0);
	if (write(fd, b, len) != (ssize_t)len)
		abort();
	close(fd);
	free(b);
	return p;
}

/* Does [off, off+len) of the file hold the pattern from poff? */
static bool has_pattern(const char *path, off_t off, size_t len, uint64_t poff)
{
	char *a = malloc(len), *b = malloc(len);
	bool ok = a && b && et_read_file(path, a, len, off) == (ssize_t)len;

	if (ok) {
		xt_fill_pattern(b, len, poff);
		ok = !memcmp(a, b, len);
	}
	free(a);
	free(b);
	return ok;
}

static bool all_bytes(const char *path, off_t off, size_t len, int c)
{
	char *a = malloc(len);
	bool ok = a && et_read_file(path, a, len, off) == (ssize_t)len;

	for (size_t i = 0; ok && i < len; i++)
		ok = a[i] == (char)c;
	free(a);
	return ok;
}

static struct xaio_file *sync_open(const char *path, int flags)
{
	struct xaio_file *f = NULL;

	if (xaio_open(&f, path, flags, 0644, NULL, NULL) < 0)
		abort();
	return f;
}

static int t_whole_and_range(void)
{
	const size_t n = 3 * MIB + 123;
	const char *s = mkpat("src", n);
	struct xaio_file *a, *b;
	ssize_t done = -1;

	XT_REQUIRE_BACKEND();
	a = sync_open(s, O_RDONLY);
	b = sync_open(xt_path("dst"), O_WRONLY | O_CREAT | O_TRUNC);
	XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, XAIO_COPY_ALL, 0, &done, NULL, NULL),
		     (int)n);
	XT_ASSERT_EQ(done, (ssize_t)n);
	XT_ASSERT_EQ(et_file_size(xt_path("dst")), (int64_t)n);
	XT_ASSERT(has_pattern(xt_path("dst"), 0, n, 0));

	/* A range into the middle: the rest of dst is untouched. */
	XT_ASSERT_EQ(xaio_copy(a, 1000, b, 7, 5000, XAIO_COPY_NOCLONE, NULL,
			       NULL, NULL),
		     5000);
	XT_ASSERT(has_pattern(xt_path("dst"), 0, 7, 0));
	XT_ASSERT(has_pattern(xt_path("dst"), 7, 5000, 1000));
	XT_ASSERT(has_pattern(xt_path("dst"), 5007, n - 5007, 5007));
	XT_ASSERT_EQ(et_file_size(xt_path("dst")), (int64_t)n);

	/* Past src's end: short; from its end or beyond: 0 bytes. */
	XT_ASSERT_EQ(xaio_copy(a, (off_t)n - 10, b, (off_t)n, 100, 0, &done,
			       NULL, NULL),
		     10);
	XT_ASSERT_EQ(done, 10);
	XT_ASSERT_EQ(et_file_size(xt_path("dst")), (int64_t)n + 10);
	XT_ASSERT(has_pattern(xt_path("dst"), (off_t)n, 10, n - 10));
	XT_ASSERT_EQ(xaio_copy(a, (off_t)n, b, 0, XAIO_COPY_ALL, 0, NULL, NULL,
			       NULL),
		     0);
	XT_ASSERT_EQ(xaio_copy(a, (off_t)n + 5, b, 0, 10, 0, NULL, NULL, NULL),
		     0);
	XT_ASSERT_EQ(et_file_size(xt_path("dst")), (int64_t)n + 10);

	/* The read/write loop alone does the same. */
	XT_ASSERT_OK(truncate(xt_path("dst"), 0));
	XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, XAIO_COPY_ALL, XAIO_COPY_RW, &done,
			       NULL, NULL),
		     (int)n);
	XT_ASSERT(has_pattern(xt_path("dst"), 0, n, 0));
	XT_ASSERT_EQ(et_file_size(xt_path("dst")), (int64_t)n);

	/* One file: distinct ranges copy; overlapping ones are refused. */
	XT_ASSERT_EQ(xaio_close(b, NULL, NULL), 0);
	b = sync_open(xt_path("dst"), O_RDWR);
	XT_ASSERT_EQ(xaio_copy(b, 0, b, 2 * MIB, 4096, 0, NULL, NULL, NULL),
		     4096);
	XT_ASSERT(has_pattern(xt_path("dst"), 2 * MIB, 4096, 0));
	XT_ASSERT_EQ(xaio_copy(b, 0, b, 100, 4096, 0, NULL, NULL, NULL),
		     -EINVAL);
	XT_ASSERT_EQ(
		xaio_copy(b, 0, b, 100, 4096, XAIO_COPY_RW, NULL, NULL, NULL),
		-EINVAL);
	XT_ASSERT(has_pattern(xt_path("dst"), 0, 2 * MIB, 0));
	XT_ASSERT_EQ(xaio_close(a, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(b, NULL, NULL), 0);
	return XT_PASS;
}

/* A sparse file: data at 0 and 8 MiB, 16 MiB long. */
static const char *mksparse(const char *name)
{
	const char *p = xt_path(name);
	char b[4096];
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	xt_fill_pattern(b, sizeof(b), 0);
	if (fd < 0 || pwrite(fd, b, sizeof(b), 0) != sizeof(b) ||
	    pwrite(fd, b, sizeof(b), 8 * MIB) != sizeof(b) ||
	    ftruncate(fd, 16 * MIB) < 0)
		abort();
	close(fd);
	return p;
}

static bool is_hole(const char *path, off_t off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t d = fd < 0 ? -1 : lseek(fd, off, SEEK_DATA);
	bool hole = d != off;

	if (fd >= 0)
		close(fd);
	return hole;
}

static int t_sparse(void)
{
	static const unsigned int how[] = {0, XAIO_COPY_NOCLONE, XAIO_COPY_RW};
	const char *s = mksparse("sparse"), *d = xt_path("sdst");
	struct stat st;

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(!is_hole(s, 4 * MIB), "no holes on this file system");
	for (size_t i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		struct xaio_file *a = sync_open(s, O_RDONLY);
		struct xaio_file *b =
			sync_open(d, O_WRONLY | O_CREAT | O_TRUNC);

		XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, XAIO_COPY_ALL, how[i], NULL,
				       NULL, NULL),
			     16 * MIB);
		XT_ASSERT_EQ(xaio_close(a, NULL, NULL), 0);
		XT_ASSERT_EQ(xaio_close(b, NULL, NULL), 0);
		XT_ASSERT_OK(stat(d, &st));
		XT_ASSERT_EQ(st.st_size, 16 * MIB);
		/* Two 4 KiB blocks of data, give or take the allocator's. */
		XT_ASSERT_LT((int64_t)st.st_blocks * 512, 1 * MIB);
		XT_ASSERT(is_hole(d, 4 * MIB));
		XT_ASSERT(is_hole(d, 12 * MIB));
		XT_ASSERT(has_pattern(d, 0, 4096, 0));
		XT_ASSERT(has_pattern(d, 8 * MIB, 4096, 0));
		XT_ASSERT(all_bytes(d, 4096, 64 * 1024, 0));
		XT_ASSERT(all_bytes(d, 16 * MIB - 4096, 4096, 0));
	}

	/* Over old data: the holes read as zeros, nothing else survives. */
	{
		int fd = open(d, O_WRONLY | O_TRUNC | O_CLOEXEC);
		char *ff = malloc(MIB);
		struct xaio_file *a, *b;

		XT_ASSERT(fd >= 0 && ff);
		memset(ff, 0xff, MIB);
		for (int k = 0; k < 20; k++)
			XT_ASSERT_EQ(write(fd, ff, MIB), MIB);
		close(fd);
		free(ff);
		a = sync_open(s, O_RDONLY);
		b = sync_open(d, O_WRONLY);
		XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, XAIO_COPY_ALL,
				       XAIO_COPY_NOCLONE, NULL, NULL, NULL),
			     16 * MIB);
		XT_ASSERT_EQ(xaio_close(a, NULL, NULL), 0);
		XT_ASSERT_EQ(xaio_close(b, NULL, NULL), 0);
		XT_ASSERT_EQ(et_file_size(d), 20 * MIB); /* never truncated */
		XT_ASSERT(has_pattern(d, 0, 4096, 0));
		XT_ASSERT(all_bytes(d, 4096, 8 * MIB - 4096, 0));
		XT_ASSERT(has_pattern(d, 8 * MIB, 4096, 0));
		XT_ASSERT(all_bytes(d, 8 * MIB + 4096, 8 * MIB - 4096, 0));
		XT_ASSERT(all_bytes(d, 16 * MIB, 4 * MIB, (char)0xff));
	}
	return XT_PASS;
}

/* Futures in a set; the copy's order against writes on both handles. */
static int t_in_set(void)
{
	const char *s = mkpat("fsrc", 64 * 1024);
	struct xaio_evset *es = NULL;
	struct xaio_file *a = NULL, *b = NULL;
	struct xaio_op_info in;
	struct xaio_opt o = {0};
	char x[16];
	uint64_t id = 0;
	ssize_t done = -1;

	XT_REQUIRE_BACKEND();
	memset(x, 'X', sizeof(x));
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&a, s, O_RDWR, 0, NULL, es), 0);
	XT_ASSERT_EQ(xaio_open(&b, xt_path("fdst"), O_RDWR | O_CREAT, 0600,
			       NULL, es),
		     0);
	/* Before the copy on dst: overwritten by it. */
	XT_ASSERT_EQ(xaio_pwrite(b, x, sizeof(x), 0, NULL, NULL, es), 0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, XAIO_COPY_ALL, 0, &done, &o, es), 0);
	/* After it on src: not in the copy. */
	XT_ASSERT_EQ(xaio_pwrite(a, x, sizeof(x), 0, NULL, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(a, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(b, NULL, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_copy"));
	XT_ASSERT_EQ(in.result, 64 * 1024);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(done, 64 * 1024);
	XT_ASSERT(has_pattern(xt_path("fdst"), 0, 64 * 1024, 0));
	XT_ASSERT(all_bytes(s, 0, sizeof(x), 'X'));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/*
 * The copy is a barrier on src: held behind a gate (opt.after), it keeps
 * a later write to src (which would otherwise run at once) waiting.
 */
static int t_barrier(void)
{
	const char *s = mkpat("gsrc", 8192);
	struct et_gate g;
	struct xaio_evset_counts c, c2;
	struct xaio_evset *es = NULL;
	struct xaio_file *a, *b;
	struct xaio_op_info in;
	struct xaio_opt o;
	char x[16];
	uint64_t id = 0, wid = 0;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "gate");
	memset(x, 'X', sizeof(x));
	a = sync_open(s, O_RDWR);
	b = sync_open(xt_path("gdst"), O_RDWR | O_CREAT | O_TRUNC);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_after(&g.id, &id);
	XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, XAIO_COPY_ALL, 0, NULL, &o, es), 0);
	o = et_id(&wid);
	XT_ASSERT_EQ(xaio_pwrite(a, x, sizeof(x), 4096, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, wid, ET_MS(200), &in), -ETIMEDOUT);
	XT_ASSERT(has_pattern(s, 0, 8192, 0));
	/* Being closed, either handle refuses a copy (-EBADF, nothing starts).
	 */
	XT_ASSERT_EQ(xaio_close(a, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, 1, 0, NULL, NULL, es), -EBADF);
	XT_ASSERT_EQ(xaio_copy(b, 0, a, 0, 1, 0, NULL, NULL, es), -EBADF);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c2), 0);
	XT_ASSERT_EQ(c2.inserted, c.inserted);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT_EQ(in.result, 8192);
	XT_ASSERT_EQ(et_status(es, wid, &in), 0);
	XT_ASSERT(has_pattern(xt_path("gdst"), 0, 8192, 0));
	XT_ASSERT(all_bytes(s, 4096, sizeof(x), 'X'));
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	XT_ASSERT_EQ(xaio_close(b, NULL, NULL), 0);
	return XT_PASS;
}

static int t_clone(void)
{
	const char *s = mkpat("csrc", 64 * 1024);
	struct xaio_file *a, *b;
	int r;

	XT_REQUIRE_BACKEND();
	a = sync_open(s, O_RDONLY);
	b = sync_open(xt_path("cdst"), O_RDWR | O_CREAT | O_TRUNC);
	r = xaio_copy(a, 0, b, 0, XAIO_COPY_ALL, XAIO_COPY_CLONE, NULL, NULL,
		      NULL);
	if (r >= 0) {
		/* A file system with reflinks: a shared copy. */
		XT_ASSERT_EQ(r, 64 * 1024);
		XT_ASSERT(has_pattern(xt_path("cdst"), 0, 64 * 1024, 0));
	} else {
		/* None (ext4, tmpfs): the kernel's no, and nothing written. */
		XT_ASSERT(r == -EOPNOTSUPP || r == -EXDEV || r == -EINVAL ||
			  r == -ENOTTY);
		XT_ASSERT_EQ(et_file_size(xt_path("cdst")), 0);
	}
	printf("# clone-only copy here: %d\n", r);
	XT_ASSERT_EQ(xaio_close(a, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(b, NULL, NULL), 0);
	return XT_PASS;
}

static int t_errors(void)
{
	const char *s = mkpat("esrc", 4096);
	struct xaio_evset *es = NULL;
	struct xaio_file *a, *b, *ro, *ap, *dir, *gone = NULL;
	struct xaio_op_info in;
	struct xaio_error e[4];
	struct xaio_opt o = {0};
	uint64_t id = 0;
	size_t n = 0;

	XT_REQUIRE_BACKEND();
	a = sync_open(s, O_RDONLY);
	b = sync_open(xt_path("edst"), O_WRONLY | O_CREAT | O_TRUNC);
	ro = sync_open(xt_path("edst"), O_RDONLY);
	ap = sync_open(xt_path("edst"), O_WRONLY | O_APPEND);
	dir = sync_open(xt_tmpdir(), O_RDONLY | O_DIRECTORY);

	/* The kernel's (or copy_file_range's) errors, synchronously. */
	XT_ASSERT_EQ(xaio_copy(a, 0, ro, 0, XAIO_COPY_ALL, 0, NULL, NULL, NULL),
		     -EBADF);
	XT_ASSERT_EQ(xaio_copy(a, 0, ap, 0, XAIO_COPY_ALL, 0, NULL, NULL, NULL),
		     -EBADF);
	XT_ASSERT_EQ(xaio_copy(b, 0, a, 0, XAIO_COPY_ALL, 0, NULL, NULL, NULL),
		     -EBADF);
	XT_ASSERT_EQ(
		xaio_copy(dir, 0, b, 0, XAIO_COPY_ALL, 0, NULL, NULL, NULL),
		-EISDIR);
	XT_ASSERT_EQ(
		xaio_copy(a, 0, dir, 0, XAIO_COPY_ALL, 0, NULL, NULL, NULL),
		-EISDIR);
	XT_ASSERT_EQ(et_file_size(xt_path("edst")), 0);

	/* In a set: a failed open cancels the copy; the error record. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&gone, xt_path("nope"), O_RDONLY, 0, NULL, es),
		     0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_copy(gone, 0, b, 0, XAIO_COPY_ALL, 0, NULL, &o, es),
		     0);
	XT_ASSERT_EQ(et_status(es, id, &in), ECANCELED);
	XT_ASSERT(in.flags & XAIO_INFO_DEP_CANCELED);
	XT_ASSERT_EQ(xaio_close(gone, NULL, es), 0);
	XT_ASSERT_EQ(xaio_copy(a, 12, ro, 34, 56, XAIO_COPY_RW, NULL, &o, es),
		     0);
	XT_ASSERT_EQ(et_status(es, id, &in), EBADF);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	/* The open's, the cancelled copy's, then the copy's EBADF. */
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 4, &n), 0);
	XT_ASSERT_EQ(n, 3);
	XT_ASSERT(!strcmp(e[1].info.api, "xaio_copy"));
	XT_ASSERT(!strcmp(e[2].info.api, "xaio_copy"));
	XT_ASSERT_EQ(e[2].info.status, EBADF);
	XT_ASSERT(e[2].args && strstr(e[2].args, "src_off=12") &&
		  strstr(e[2].args, "dst_off=34") &&
		  strstr(e[2].args, "len=56") &&
		  strstr(e[2].args, "flags=0x4"));
	xaio_evset_free_errors(e, n);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_copy(NULL, 0, b, 0, 1, 0, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_copy(a, 0, NULL, 0, 1, 0, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_copy(a, -1, b, 0, 1, 0, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_copy(a, 0, b, -1, 1, 0, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, 1, 8, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, 1, XAIO_COPY_CLONE | XAIO_COPY_RW,
			       NULL, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, 1,
			       XAIO_COPY_CLONE | XAIO_COPY_NOCLONE, NULL, NULL,
			       es),
		     -EINVAL);
	o.flags = XAIO_BUF_COPY;
	XT_ASSERT_EQ(xaio_copy(a, 0, b, 0, 1, 0, NULL, &o, es), -EINVAL);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_file_size(xt_path("edst")), 0);

	XT_ASSERT_EQ(xaio_close(a, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(b, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(ro, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(ap, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(dir, NULL, NULL), 0);
	return XT_PASS;
}

/*
 * The copy reads holes with SEEK_DATA/SEEK_HOLE on the source's descriptor:
 * its file offset, which the caller can use (xaio_file_fd), is left where
 * it was (before, it moved to the end of the copied data).
 */
static int t_offset_kept(void)
{
	struct xaio_file *s, *d;
	ssize_t done = 0;
	int fd;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("off-src", 65536, 0);
	XT_ASSERT_GE(fd, 0);
	close(fd);
	s = sync_open(xt_path("off-src"), O_RDONLY);
	d = sync_open(xt_path("off-dst"), O_RDWR | O_CREAT | O_TRUNC);
	fd = xaio_file_fd(s);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_EQ(lseek(fd, 5, SEEK_SET), 5);
	XT_ASSERT_EQ(xaio_copy(s, 0, d, 0, XAIO_COPY_ALL, XAIO_COPY_NOCLONE,
			       &done, NULL, NULL),
		     65536);
	XT_ASSERT_EQ(done, 65536);
	XT_ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 5);
	XT_ASSERT(has_pattern(xt_path("off-dst"), 0, 65536, 0));
	XT_ASSERT_EQ(xaio_close(s, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(d, NULL, NULL), 0);
	return XT_PASS;
}

/* A path under the test's directory that stays (xt_path's is reused). */
static char *tpath(const char *name)
{
	return strdup(xt_path(name));
}

static int t_file_whole(void)
{
	char *s = tpath("cf-src"), *d = tpath("cf-dst"), *d2 = tpath("cf-d2");
	struct timespec ts[2] = {{1000000000, 123456789},
				 {1200000000, 987654321}};
	struct xaio_copy_info info;
	bool xattrs;
	struct stat a, b;
	char v[16];
	int fd = xt_make_file("cf-src", 300 * 1024 + 7, 0);

	XT_REQUIRE_BACKEND();
	XT_ASSERT_GE(fd, 0);
	xattrs = fsetxattr(fd, "user.xaio", "value", 5, 0) == 0;
	XT_ASSERT_OK(fchmod(fd, 0751));
	XT_ASSERT_OK(futimens(fd, ts));
	close(fd);
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, d, XAIO_COPY_PRESERVE, &info,
				    NULL, NULL),
		     300 * 1024 + 7);
	XT_ASSERT_EQ(info.bytes, 300 * 1024 + 7);
	XT_ASSERT_EQ(info.step, XAIO_COPY_STEP_NONE);
	XT_ASSERT_EQ(info.error, 0);
	XT_ASSERT_OK(stat(s, &a));
	XT_ASSERT_OK(stat(d, &b)); /* (before a read moves its atime) */
	XT_ASSERT_EQ(info.ino, (uint64_t)a.st_ino);
	XT_ASSERT_EQ(info.dev, (uint64_t)a.st_dev);
	XT_ASSERT_EQ(info.nlink, 1);
	XT_ASSERT(has_pattern(d, 0, 300 * 1024 + 7, 0));
	XT_ASSERT_EQ(b.st_size, a.st_size);
	XT_ASSERT_EQ(b.st_mode & 07777, 0751);
	XT_ASSERT_EQ(b.st_mtim.tv_sec, 1200000000);
	XT_ASSERT_EQ(b.st_mtim.tv_nsec, 987654321);
	XT_ASSERT_EQ(b.st_atim.tv_sec, 1000000000);
	XT_ASSERT_EQ(b.st_atim.tv_nsec, 123456789);
	if (xattrs) {
		XT_ASSERT_EQ(getxattr(d, "user.xaio", v, sizeof(v)), 5);
		XT_ASSERT(!memcmp(v, "value", 5));
	}
	/* Nothing preserved: content only, a new mode, no attributes. */
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, d2, XAIO_COPY_NOCLONE, NULL,
				    NULL, NULL),
		     300 * 1024 + 7);
	XT_ASSERT(has_pattern(d2, 0, 300 * 1024 + 7, 0));
	XT_ASSERT_OK(stat(d2, &b));
	XT_ASSERT(b.st_mtim.tv_sec != 1200000000);
	XT_ASSERT_EQ(b.st_mode & 0111, 0);
	if (xattrs)
		XT_ASSERT_EQ(getxattr(d2, "user.xaio", v, sizeof(v)), -1);
	/* An empty file. */
	fd = xt_make_file("cf-empty", 0, 0);
	close(fd);
	XT_ASSERT_EQ(xaio_copy_file(NULL, xt_path("cf-empty"), NULL,
				    xt_path("cf-empty2"), XAIO_COPY_PRESERVE,
				    NULL, NULL, NULL),
		     0);
	XT_ASSERT_EQ(et_file_size(xt_path("cf-empty2")), 0);
	free(s);
	free(d);
	free(d2);
	return XT_PASS;
}

static int t_file_sparse(void)
{
	static const unsigned int how[] = {0, XAIO_COPY_NOCLONE, XAIO_COPY_RW};
	char *s = strdup(mksparse("cf-sparse")), *d = tpath("cf-sdst");
	struct stat st;

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(!is_hole(s, 4 * MIB), "no holes on this file system");
	for (size_t i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		unlink(d);
		XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, d,
					    how[i] | XAIO_COPY_PRESERVE, NULL,
					    NULL, NULL),
			     16 * MIB);
		XT_ASSERT_OK(stat(d, &st));
		XT_ASSERT_EQ(st.st_size, 16 * MIB);
		XT_ASSERT_LT((int64_t)st.st_blocks * 512, 1 * MIB);
		XT_ASSERT(is_hole(d, 4 * MIB));
		XT_ASSERT(is_hole(d, 12 * MIB));
		XT_ASSERT(has_pattern(d, 0, 4096, 0));
		XT_ASSERT(has_pattern(d, 8 * MIB, 4096, 0));
		XT_ASSERT(all_bytes(d, 16 * MIB - 4096, 4096, 0));
	}
	free(s);
	free(d);
	return XT_PASS;
}

/* As root: the owner, and a set-user-ID bit that the chown would clear
 * (the mode is set last). */
static int t_file_owner(void)
{
	char *s = tpath("cf-own"), *d = tpath("cf-own2");
	struct stat st;
	int fd;

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(geteuid() != 0, "not root");
	fd = xt_make_file("cf-own", 4096, 0);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_OK(fchown(fd, 12345, 23456));
	XT_ASSERT_OK(fchmod(fd, 06755));
	close(fd);
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, d, XAIO_COPY_PRESERVE, NULL,
				    NULL, NULL),
		     4096);
	XT_ASSERT_OK(stat(d, &st));
	XT_ASSERT_EQ(st.st_uid, 12345);
	XT_ASSERT_EQ(st.st_gid, 23456);
	XT_ASSERT_EQ(st.st_mode & 07777, 06755);
	free(s);
	free(d);
	return XT_PASS;
}

static int t_file_errors(void)
{
	char *s = tpath("cf-esrc"), *d = tpath("cf-edst");
	char *fifo = tpath("cf-fifo"), *ln = tpath("cf-link");
	struct xaio_copy_info info;
	struct xaio_evset *es = NULL;
	struct xaio_opt o = {0};
	char buf[8];
	int fd = xt_make_file("cf-esrc", 4096, 0), r;

	XT_REQUIRE_BACKEND();
	close(fd);
	XT_ASSERT_OK(mkfifo(fifo, 0600));
	XT_ASSERT_OK(symlink(s, ln));
	/* The source: missing, a directory, a FIFO (never blocks), a link. */
	XT_ASSERT_EQ(xaio_copy_file(NULL, xt_path("cf-none"), NULL, d, 0, &info,
				    NULL, NULL),
		     -ENOENT);
	XT_ASSERT_EQ(info.step, XAIO_COPY_STEP_OPEN);
	XT_ASSERT_EQ(info.error, ENOENT);
	XT_ASSERT_EQ(info.ino, 0);
	XT_ASSERT_EQ(xaio_copy_file(NULL, xt_tmpdir(), NULL, d, 0, &info, NULL,
				    NULL),
		     -EISDIR);
	XT_ASSERT_EQ(xaio_copy_file(NULL, fifo, NULL, d, 0, &info, NULL, NULL),
		     -EINVAL);
	XT_ASSERT_EQ(info.step, XAIO_COPY_STEP_OPEN);
	XT_ASSERT_EQ(xaio_copy_file(NULL, ln, NULL, d, 0, &info, NULL, NULL),
		     -ELOOP);
	XT_ASSERT(et_absent("cf-edst"));
	/* An existing copy: EEXIST, kept; replaced with XAIO_COPY_REPLACE. */
	et_put("cf-edst", "old");
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, d, 0, &info, NULL, NULL),
		     -EEXIST);
	XT_ASSERT_EQ(info.step, XAIO_COPY_STEP_CREATE);
	XT_ASSERT_EQ(et_read_file(d, buf, sizeof(buf), 0), 3);
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, d, XAIO_COPY_REPLACE, NULL,
				    NULL, NULL),
		     4096);
	XT_ASSERT(has_pattern(d, 0, 4096, 0));
	/* Onto itself (replace): refused, never emptied; onto a FIFO. */
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, s, XAIO_COPY_REPLACE, NULL,
				    NULL, NULL),
		     -EINVAL);
	XT_ASSERT_EQ(et_file_size(s), 4096);
	r = xaio_copy_file(NULL, s, NULL, fifo, XAIO_COPY_REPLACE, NULL, NULL,
			   NULL);
	XT_ASSERT(r == -EINVAL || r == -ENXIO); /* (ENXIO: no reader) */
	/* Into a directory that is not there. */
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, xt_path("cf-nodir/f"), 0,
				    &info, NULL, NULL),
		     -ENOENT);
	XT_ASSERT_EQ(info.step, XAIO_COPY_STEP_CREATE);

	/* Argument errors start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_copy_file(NULL, NULL, NULL, d, 0, NULL, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, NULL, 0, NULL, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_copy_file(NULL, "", NULL, d, 0, NULL, NULL, es),
		     -ENOENT);
	XT_ASSERT_EQ(
		xaio_copy_file(NULL, s, NULL, et_too_long(), 0, NULL, NULL, es),
		-ENAMETOOLONG);
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, d, 1u << 20, NULL, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, d,
				    XAIO_COPY_CLONE | XAIO_COPY_RW, NULL, NULL,
				    es),
		     -EINVAL);
	o.flags = XAIO_BUF_COPY;
	XT_ASSERT_EQ(xaio_copy_file(NULL, s, NULL, d, 0, NULL, &o, es),
		     -EINVAL);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	free(s);
	free(d);
	free(fifo);
	free(ln);
	return XT_PASS;
}

/* A step after the create fails: the copy it made is removed (a clone
 * where the file system cannot, XAIO_COPY_CLONE). */
static int t_file_no_partial(void)
{
	char *s = tpath("cf-psrc"), *d = tpath("cf-pdst");
	struct xaio_copy_info info;
	int fd = xt_make_file("cf-psrc", 8192, 0), r;

	XT_REQUIRE_BACKEND();
	close(fd);
	r = xaio_copy_file(NULL, s, NULL, d, XAIO_COPY_CLONE, &info, NULL,
			   NULL);
	XT_SKIP_IF(r == 8192, "this file system clones");
	XT_ASSERT_LT(r, 0);
	XT_ASSERT_EQ(info.step, XAIO_COPY_STEP_DATA);
	XT_ASSERT_EQ(info.error, -r);
	XT_ASSERT(et_absent("cf-pdst"));
	/* A replaced copy (not made by it) stays, emptied. */
	et_put("cf-pdst", "old");
	r = xaio_copy_file(NULL, s, NULL, d,
			   XAIO_COPY_CLONE | XAIO_COPY_REPLACE, &info, NULL,
			   NULL);
	XT_ASSERT_LT(r, 0);
	XT_ASSERT(!et_absent("cf-pdst"));
	free(s);
	free(d);
	return XT_PASS;
}

/* In a set: behind the mkdir of the copy's directory (by path), relative
 * to a directory handle that is a future; the result in info and status. */
static int t_file_order(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *dir = NULL;
	struct xaio_copy_info info, info2;
	struct xaio_op_info in;
	struct xaio_opt o;
	uint64_t id = 0, id2 = 0;
	int fd = xt_make_file("cf-osrc", 65536, 0);

	XT_REQUIRE_BACKEND();
	close(fd);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&dir, xt_tmpdir(), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	XT_ASSERT_EQ(xaio_mkdir(dir, "cf-od", 0755, NULL, es), 0);
	XT_ASSERT_EQ(xaio_mkdir(dir, "cf-od/sub", 0755, NULL, es), 0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_copy_file(dir, "cf-osrc", dir, "cf-od/sub/f",
				    XAIO_COPY_PRESERVE, &info, &o, es),
		     0);
	/* A copy of the copy: behind it (its source's path). */
	o = et_id(&id2);
	XT_ASSERT_EQ(xaio_copy_file(dir, "cf-od/sub/f", dir, "cf-od/g",
				    XAIO_COPY_PRESERVE, &info2, &o, es),
		     0);
	XT_ASSERT_EQ(xaio_close(dir, NULL, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_copy_file"));
	XT_ASSERT_EQ(in.result, 65536);
	XT_ASSERT_EQ(et_status(es, id2, &in), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(info.bytes, 65536);
	XT_ASSERT_EQ(info2.bytes, 65536);
	XT_ASSERT(has_pattern(xt_path("cf-od/sub/f"), 0, 65536, 0));
	XT_ASSERT(has_pattern(xt_path("cf-od/g"), 0, 65536, 0));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"whole_and_range", t_whole_and_range},
	{"sparse", t_sparse},
	{"in_set", t_in_set},
	{"barrier", t_barrier},
	{"clone", t_clone},
	{"errors", t_errors},
	{"offset_kept", t_offset_kept},
	{"file_whole", t_file_whole},
	{"file_sparse", t_file_sparse},
	{"file_owner", t_file_owner},
	{"file_errors", t_file_errors},
	{"file_no_partial", t_file_no_partial},
	{"file_order", t_file_order},
};

XT_MAIN(cases)
