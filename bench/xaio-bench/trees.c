// SPDX-License-Identifier: MIT
/*
 * xaio-bench trees: the files the statx storm and the copy workloads use,
 * and the checks of a copy.  Three trees, each built under a temporary
 * name, renamed into place when complete, and kept between runs (keyed by
 * their size, like the data file), so a run finds them made and hot:
 *
 *   xaio-bench-statx-N/dK/fI   N empty files of known sizes (ftruncate,
 *                              no data), TREE_PER_DIR per directory: the
 *                              statx storm checks each size it gets;
 *   xaio-bench-tree-N/dJ/fI    N files of 1 to 8 KiB of checksummed data in
 *                              min(N, CP_DIRS) directories (cp-small);
 *   xaio-bench-large-4xS/bigF  CP_LARGE_FILES files of S bytes (cp-large).
 *
 * The copy trees have fixed modes and nanosecond timestamps, so a check
 * (check_tree) can tell a faithful copy from a fast wrong one without
 * reading the source: it counts the entries, and compares every file's
 * type, size, mode, mtime and content (every file of the small tree, a
 * block in 16 of the large one) with what the source was made from.  A
 * kept tree is checked the same way before it is used, and rebuilt when it
 * fails.  Single threaded; nftw's callbacks share file-local counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bench.h"

#define SEED_TREE 0x7ee5ca11ab1eULL
#define SEED_LARGE 0x1a26ef11e5ULL
#define T0 1700000000 /* the copy sources' times: 2023-11-14 */
#define SMALL_MAX (2 * BLK) /* the largest small file */
#define LARGE_STRIDE 16 /* cp-large: one block in 16 is read back */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t stree_size(unsigned i)
{
	return 1 + mix(i) % 65536;
}

void stree_path(const struct bench *b, char *p, size_t n, unsigned i)
{
	snprintf(p, n, "%s/d%u/f%u", b->stree, i / TREE_PER_DIR, i);
}

static unsigned small_dirs(const struct bench *b)
{
	return b->o.ntree < CP_DIRS ? b->o.ntree : CP_DIRS;
}

static size_t small_size(unsigned i)
{
	return 1024 + mix(i ^ SEED_TREE) % (SMALL_MAX - 1024 + 1);
}

double tree_bytes(const struct bench *b)
{
	double t = 0;
	unsigned i;

	for (i = 0; i < b->o.ntree; i++)
		t += (double)small_size(i);
	return t;
}

static void small_rel(const struct bench *b, char *p, size_t n, unsigned i)
{
	snprintf(p, n, "d%u/f%u", i % small_dirs(b), i);
}

static void small_fill(char *buf, unsigned i)
{
	fill_block(buf, SEED_TREE, (uint64_t)i << 1);
	fill_block(buf + BLK, SEED_TREE, (uint64_t)i << 1 | 1);
}

/* Entry i's times (files 0.., directories from 1 << 24, large 1 << 30). */
static void src_time(struct timespec *ts, unsigned i)
{
	ts[0].tv_sec = ts[1].tv_sec = T0 + (time_t)(i % 86400);
	ts[0].tv_nsec = ts[1].tv_nsec = (long)(mix(i) % 1000000000);
}

static int full_pread(int fd, char *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (int)(got == len ? 0 : -EIO);
}

/* A file of `size` bytes from buf (NULL: ftruncate, no data). */
static int make_file(const char *p, const char *buf, size_t size, mode_t mode,
		     const struct timespec *ts)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (buf)
		r = full_write(fd, buf, size, 0);
	else if (ftruncate(fd, (off_t)size) < 0)
		r = -errno;
	if (!r && fchmod(fd, mode) < 0)
		r = -errno;
	if (!r && ts && futimens(fd, ts) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int rm_one(const char *p, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(p);
	return 0;
}

int remove_tree(const char *path)
{
	struct stat st;

	if (!path[0] || lstat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) ? -EIO
									: 0;
}

/* A directory of exactly `mode`, whatever the umask. */
static int mkdir_p(const char *p, mode_t mode)
{
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return chmod(p, mode) < 0 ? -errno : 0;
}

static int build_statx(const struct bench *b, const char *root)
{
	char p[8192];
	unsigned i;
	int r = mkdir_p(root, 0700);

	for (i = 0; !r && i < b->o.ntree && !bench_stop; i++) {
		if (i % TREE_PER_DIR == 0) {
			snprintf(p, sizeof(p), "%s/d%u", root,
				 i / TREE_PER_DIR);
			r = mkdir_p(p, 0700);
			if (r)
				break;
		}
		snprintf(p, sizeof(p), "%s/d%u/f%u", root, i / TREE_PER_DIR, i);
		r = make_file(p, NULL, stree_size(i), 0600, NULL);
	}
	return r ? r : bench_stop ? -EINTR : 0;
}

static int build_small(const struct bench *b, const char *root)
{
	char p[8192], rel[64], buf[SMALL_MAX];
	struct timespec ts[2];
	unsigned i, nd = small_dirs(b);
	int r = mkdir_p(root, 0750);

	for (i = 0; !r && i < nd; i++) {
		snprintf(p, sizeof(p), "%s/d%u", root, i);
		r = mkdir_p(p, 0750);
	}
	for (i = 0; !r && i < b->o.ntree && !bench_stop; i++) {
		small_rel(b, rel, sizeof(rel), i);
		snprintf(p, sizeof(p), "%s/%s", root, rel);
		small_fill(buf, i);
		src_time(ts, i);
		r = make_file(p, buf, small_size(i), 0640, ts);
	}
	/* the directories' times after their contents */
	for (i = 0; !r && i < nd; i++) {
		snprintf(p, sizeof(p), "%s/d%u", root, i);
		src_time(ts, (1u << 24) + i);
		if (utimensat(AT_FDCWD, p, ts, 0) < 0)
			r = -errno;
	}
	return r ? r : bench_stop ? -EINTR : 0;
}

static int build_large(const struct bench *b, const char *root)
{
	size_t chunk = 1 << 20, off, k, n;
	char p[8192], *buf = malloc(chunk);
	struct timespec ts[2];
	unsigned f;
	int r = buf ? mkdir_p(root, 0750) : -ENOMEM, fd;

	for (f = 0; !r && f < CP_LARGE_FILES; f++) {
		snprintf(p, sizeof(p), "%s/big%u", root, f);
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0) {
			r = -errno;
			break;
		}
		for (off = 0; !r && off < b->o.large; off += chunk) {
			n = b->o.large - off < chunk ? b->o.large - off : chunk;
			for (k = 0; k < n; k += BLK)
				fill_block(buf + k, SEED_LARGE + f,
					   (off + k) / BLK);
			r = full_write(fd, buf, n, (off_t)off);
			if (bench_stop)
				r = -EINTR;
		}
		src_time(ts, (1u << 30) + f);
		if (!r && futimens(fd, ts) < 0)
			r = -errno;
		close(fd);
	}
	free(buf);
	return r;
}

/* Checks */

static unsigned walk_n;

static int count_one(const char *p, const struct stat *st, int type,
		     struct FTW *ftw)
{
	(void)p;
	(void)st;
	(void)type;
	(void)ftw;
	walk_n++;
	return 0;
}

__attribute__((format(printf, 3, 4))) static int bad(char *why, size_t n,
						     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -EIO;
}

/* Type, mode (07777) and mtime of p against what the source has. */
static int check_meta(const char *p, const struct stat *st, mode_t type,
		      mode_t mode, unsigned ti, char *why, size_t n)
{
	struct timespec ts[2];

	src_time(ts, ti);
	if ((st->st_mode & S_IFMT) != type)
		return bad(why, n, "%s: not a %s", p,
			   type == S_IFDIR ? "directory" : "regular file");
	if ((st->st_mode & 07777) != mode)
		return bad(why, n, "%s: mode %04o, want %04o", p,
			   (unsigned)(st->st_mode & 07777), (unsigned)mode);
	if (st->st_mtim.tv_sec != ts[1].tv_sec ||
	    st->st_mtim.tv_nsec != ts[1].tv_nsec)
		return bad(why, n, "%s: mtime %lld.%09ld, want %lld.%09ld", p,
			   (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
			   (long long)ts[1].tv_sec, ts[1].tv_nsec);
	return 0;
}

/* Opens a file of the copy and checks its metadata: fd, or -errno. */
static int open_file(const char *p, struct stat *st, unsigned ti, char *why,
		     size_t n)
{
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r;

	if (fd < 0)
		return bad(why, n, "%s: %s", p, strerror(errno));
	r = fstat(fd, st) < 0 ? bad(why, n, "%s: %s", p, strerror(errno))
			      : check_meta(p, st, S_IFREG, 0640, ti, why, n);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

static int check_small(const struct bench *b, const char *root, char *why,
		       size_t n)
{
	char p[8192], rel[64], want[SMALL_MAX], got[SMALL_MAX + 1];
	unsigned i, nd = small_dirs(b);
	struct stat st;
	ssize_t len;
	int fd, r;

	for (i = 0; i < nd; i++) {
		snprintf(p, sizeof(p), "%s/d%u", root, i);
		if (lstat(p, &st) < 0)
			return bad(why, n, "%s: %s", p, strerror(errno));
		r = check_meta(p, &st, S_IFDIR, 0750, (1u << 24) + i, why, n);
		if (r)
			return r;
	}
	for (i = 0; i < b->o.ntree; i++) {
		small_rel(b, rel, sizeof(rel), i);
		snprintf(p, sizeof(p), "%s/%s", root, rel);
		fd = open_file(p, &st, i, why, n);
		if (fd < 0)
			return fd;
		len = read(fd, got, sizeof(got));
		close(fd);
		small_fill(want, i);
		if (len != (ssize_t)small_size(i) ||
		    (size_t)st.st_size != small_size(i))
			return bad(why, n, "%s: %zd bytes, want %zu", p, len,
				   small_size(i));
		if (memcmp(got, want, (size_t)len))
			return bad(why, n, "%s: content differs", p);
	}
	return 0;
}

static int check_large(const struct bench *b, const char *root, char *why,
		       size_t n)
{
	char p[8192], want[BLK], got[BLK];
	size_t nblk = b->o.large / BLK, k;
	struct stat st;
	unsigned f;
	int fd, r;

	for (f = 0; f < CP_LARGE_FILES; f++) {
		snprintf(p, sizeof(p), "%s/big%u", root, f);
		fd = open_file(p, &st, (1u << 30) + f, why, n);
		if (fd < 0)
			return fd;
		r = 0;
		if ((size_t)st.st_size != b->o.large)
			r = bad(why, n, "%s: %lld bytes, want %zu", p,
				(long long)st.st_size, b->o.large);
		for (k = 0; !r && k < nblk;
		     k = k + LARGE_STRIDE < nblk || k == nblk - 1
				 ? k + LARGE_STRIDE
				 : nblk - 1) {
			fill_block(want, SEED_LARGE + f, k);
			r = full_pread(fd, got, BLK, (off_t)(k * BLK));
			if (r)
				r = bad(why, n, "%s: reading block %zu: %s", p,
					k, strerror(-r));
			else if (memcmp(got, want, BLK))
				r = bad(why, n,
					"%s: block %zu (offset %zu) differs", p,
					k, k * BLK);
		}
		close(fd);
		if (r)
			return r;
	}
	return 0;
}

int check_tree(const struct bench *b, enum wl w, const char *root, char *why,
	       size_t n)
{
	unsigned want = 1 + (w == W_CP_SMALL ? small_dirs(b) + b->o.ntree
					     : CP_LARGE_FILES);
	struct stat st;

	if (lstat(root, &st) < 0)
		return bad(why, n, "%s: %s", root, strerror(errno));
	walk_n = 0;
	if (nftw(root, count_one, 16, FTW_PHYS | FTW_MOUNT))
		return bad(why, n, "%s: cannot walk: %s", root,
			   strerror(errno));
	if (walk_n != want)
		return bad(why, n, "%s: %u entries, want %u", root, walk_n,
			   want);
	return w == W_CP_SMALL ? check_small(b, root, why, n)
			       : check_large(b, root, why, n);
}

/* Reads every file of a copy source (page cache hot): 0 or -errno. */
int warm_tree(const struct bench *b, enum wl w)
{
	size_t chunk = 1 << 20;
	char p[8192], rel[64], *buf = malloc(chunk);
	unsigned i, nf = w == W_CP_SMALL ? b->o.ntree : CP_LARGE_FILES;
	int fd, r = buf ? 0 : -ENOMEM;

	for (i = 0; !r && i < nf; i++) {
		if (w == W_CP_SMALL) {
			small_rel(b, rel, sizeof(rel), i);
			snprintf(p, sizeof(p), "%s/%s", b->csmall, rel);
		} else {
			snprintf(p, sizeof(p), "%s/big%u", b->clarge, i);
		}
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			break;
		}
		while (read(fd, buf, chunk) > 0)
			;
		close(fd);
	}
	free(buf);
	return r;
}

/* The statx tree is right when every file has its size. */
static int check_statx(const struct bench *b)
{
	char p[8192];
	struct stat st;
	unsigned i;

	for (i = 0; i < b->o.ntree; i++) {
		stree_path(b, p, sizeof(p), i);
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size != stree_size(i))
			return -EIO;
	}
	return 0;
}

static int disk_free(const struct bench *b, size_t need)
{
	struct statvfs sv;
	unsigned long long avail;

	if (statvfs(b->o.dir, &sv) < 0)
		return 0;
	avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (avail >= need + (16 << 20))
		return 0;
	fprintf(stderr,
		"xaio-bench: no space left on %s: need %llu MiB, %llu MiB free "
		"(use --tree-files, --large-size or --dir)\n",
		b->o.dir, (unsigned long long)(need >> 20), avail >> 20);
	return -ENOSPC;
}

/* Makes the tree `which` unless a kept one passes its check. */
static int one_tree(struct bench *b, enum wl w, const char *root, size_t need)
{
	char tmp[4200], why[160];
	struct stat st;
	int r;

	if (lstat(root, &st) == 0) {
		r = w == W_STATX ? check_statx(b)
				 : check_tree(b, w, root, why, sizeof(why));
		if (!r)
			return 0;
		fprintf(stderr,
			"xaio-bench: %s: rebuilt (the kept tree is "
			"not as made)\n",
			root);
		remove_tree(root);
	}
	r = disk_free(b, need);
	if (r)
		return r;
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", root, (int)getpid());
	remove_tree(tmp);
	r = w == W_STATX      ? build_statx(b, tmp)
	    : w == W_CP_SMALL ? build_small(b, tmp)
			      : build_large(b, tmp);
	if (!r && rename(tmp, root) < 0)
		r = -errno;
	if (r) {
		remove_tree(tmp);
		if (r == -ENOSPC || r == -EDQUOT)
			disk_free(b, need * 2);
		else if (r != -EINTR)
			fprintf(stderr, "xaio-bench: building %s: %s\n", root,
				strerror(-r));
	}
	return r;
}

int prepare_trees(struct bench *b)
{
	unsigned m = b->o.wl_mask;
	/* a source and one copy of it; about 4.5 KiB and an inode a file */
	size_t small = (size_t)b->o.ntree * 2 * 8192;
	size_t large = (size_t)CP_LARGE_FILES * b->o.large;
	int r = 0;

	snprintf(b->stree, sizeof(b->stree), "%s/xaio-bench-statx-%u", b->o.dir,
		 b->o.ntree);
	snprintf(b->csmall, sizeof(b->csmall), "%s/xaio-bench-tree-%u",
		 b->o.dir, b->o.ntree);
	snprintf(b->clarge, sizeof(b->clarge), "%s/xaio-bench-large-%ux%zu",
		 b->o.dir, CP_LARGE_FILES, b->o.large);
	if (m & (1u << W_STATX))
		r = one_tree(b, W_STATX, b->stree, (size_t)b->o.ntree * 256);
	if (!r && (m & (1u << W_CP_SMALL)))
		r = one_tree(b, W_CP_SMALL, b->csmall, small);
	if (!r && (m & (1u << W_CP_LARGE)))
		r = one_tree(b, W_CP_LARGE, b->clarge, 2 * large);
	/* one copy at a time exists */
	if (!r && (m & (1u << W_CP_LARGE)))
		r = disk_free(b, large + small / 2);
	else if (!r && (m & (1u << W_CP_SMALL)))
		r = disk_free(b, small / 2);
	if (!r && (m & (1u << W_STATX)))
		r = check_statx(b); /* the warm-up: dentries and inodes */
	return r;
}
