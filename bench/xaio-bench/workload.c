// SPDX-License-Identifier: MIT
/*
 * xaio-bench workloads: the files (a data file of real, checksummed data
 * reused between runs by size; a scratch file and a directory of small
 * files, both removed at exit) and one timed sample of one engine on one
 * workload.  Every read is checked against the checksum of each 4 KiB
 * block.  Single threaded; bench_stop (SIGINT/SIGTERM) ends a sample early.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define SEED_DATA 0x78a10b5eedULL
#define SEED_SMALL 0x5a11f11e5ULL
#define SCRATCH_MAX (64UL << 20)

const struct workload workloads[W_COUNT] = {
	[W_RANDREAD] = {"randread", "random reads, page cache hot", "reads",
			OP_READ, 1, 0, 0, 0},
	[W_RANDREAD_DIRECT] = {"randread-direct", "random reads, O_DIRECT",
			       "reads", OP_READ, 1, 0, 0, 0},
	[W_SEQREAD] = {"seqread", "sequential 1 MiB reads, page cache hot",
		       "reads", OP_READ, 0, 4, 0, 0},
	[W_SEQWRITE] = {"seqwrite", "sequential 1 MiB writes (buffered)",
			"writes", OP_WRITE, 0, 4, 0, 0},
	[W_RANDWRITE_FSYNC] = {"randwrite-fsync",
			       "random 4 KiB writes, fsync every N", "writes",
			       OP_WRITE | OP_FSYNC, 0, 8, 0, 0},
	[W_SMALL_READ] = {"small-read", "small files: open, read 4 KiB, close",
			  "files", OP_READ, 0, 8, 64, 0},
	[W_SMALL_CREATE] = {"small-create",
			    "small files: create, write 4 KiB, close", "files",
			    OP_WRITE, 0, 8, 64, 0},
	[W_STATX] = {"statx",
		     "statx storm: the files of the statx tree, 1000 a "
		     "directory",
		     "statx", OP_STATX, 0, 64, 256, 0},
	[W_CP_SMALL] = {"cp-small",
			"copy a tree of small files (1-8 KiB, 250 "
			"directories)",
			"files", OP_COPY, 0, 1, 0, 1},
	[W_CP_LARGE] = {"cp-large", "copy a tree of 4 large files", "MiB",
			OP_COPY, 0, 1, 0, 1},
};

static int corrupt_once = -1;

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void fill_block(void *p, uint64_t seed, uint64_t blk)
{
	uint64_t *w = p, base = splitmix(seed ^ (blk * 0x100000001b3ULL));
	unsigned i;

	for (i = 0; i < BLK / 8; i++)
		w[i] = splitmix(base + i);
}

/* Any change of one byte changes the sum: every weight is odd. */
uint64_t block_sum(const void *p)
{
	const uint64_t *w = p;
	uint64_t s = 0;
	unsigned i;

	for (i = 0; i < BLK / 8; i++)
		s += w[i] * (2 * i + 1);
	return s;
}

int full_write(int fd, const void *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (const char *)buf + n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static void no_space(const struct bench *b, size_t need)
{
	struct statvfs sv;
	unsigned long long avail = 0;

	if (statvfs(b->o.dir, &sv) == 0)
		avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	fprintf(stderr,
		"xaio-bench: no space left on %s: need %llu MiB, %llu MiB "
		"free (use --size or --dir)\n",
		b->o.dir, (unsigned long long)(need >> 20), avail >> 20);
}

/* Writes `size` bytes of the pattern to `path` (via a temporary name). */
static int write_pattern(struct bench *b, const char *path, size_t size,
			 uint64_t *sums, size_t need)
{
	char tmp[4200];
	char *buf;
	size_t off, chunk = 1 << 20;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		fprintf(stderr, "xaio-bench: %s: %s\n", tmp, strerror(errno));
		return r;
	}
	buf = malloc(chunk);
	for (off = 0; buf && off < size && !r; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk, k;

		for (k = 0; k < n; k += BLK) {
			uint64_t blk = (off + k) / BLK;

			fill_block(buf + k, SEED_DATA, blk);
			if (sums)
				sums[blk] = block_sum(buf + k);
		}
		r = full_write(fd, buf, n, (off_t)off);
		if (bench_stop)
			r = -EINTR;
	}
	if (!buf)
		r = -ENOMEM;
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	free(buf);
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		if (r == -ENOSPC || r == -EDQUOT)
			no_space(b, need);
		else if (r != -EINTR)
			fprintf(stderr, "xaio-bench: writing %s: %s\n", path,
				strerror(-r));
	}
	return r;
}

/* Reads the whole data file (page cache hot) and checks it: 0, 1 bad. */
static int hot_read(struct bench *b, size_t nblk)
{
	size_t chunk = 1 << 20, off, k;
	char *buf = malloc(chunk);
	int fd = open(b->data, O_RDONLY | O_CLOEXEC), bad = 0;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (off = 0; off < nblk * BLK && !bad; off += chunk) {
		ssize_t n = pread(fd, buf, chunk, (off_t)off);

		if (n <= 0 || n % BLK) {
			bad = 1;
			break;
		}
		for (k = 0; k < (size_t)n; k += BLK)
			if (block_sum(buf + k) != b->sums[(off + k) / BLK])
				bad = 1;
	}
	close(fd);
	free(buf);
	return bad;
}

static void probe_direct(struct bench *b)
{
	void *buf = NULL;
	int fd = open(b->data, O_RDONLY | O_DIRECT | O_CLOEXEC);

	b->direct_ok = 0;
	if (fd < 0 && errno == EINVAL) {
		snprintf(b->direct_why, sizeof(b->direct_why),
			 "O_DIRECT not supported on this file system");
		return;
	}
	if (fd < 0) {
		snprintf(b->direct_why, sizeof(b->direct_why),
			 "O_DIRECT open: %s", strerror(errno));
		return;
	}
	if (posix_memalign(&buf, BLK, BLK) == 0 &&
	    pread(fd, buf, BLK, 0) == BLK)
		b->direct_ok = 1;
	else
		snprintf(b->direct_why, sizeof(b->direct_why),
			 "O_DIRECT not supported on this file system");
	free(buf);
	close(fd);
}

static size_t scratch_size(const struct bench *b)
{
	return b->o.size < SCRATCH_MAX ? b->o.size : SCRATCH_MAX;
}

static void small_path(const struct bench *b, char *p, size_t n, char kind,
		       unsigned i)
{
	snprintf(p, n, "%s/%c%u", b->smalldir, kind, i);
}

int prepare_files(struct bench *b)
{
	size_t nblk = b->o.size / BLK, need = 0, i;
	unsigned long long avail;
	struct statvfs sv;
	struct stat st;
	char *buf;
	int have, r, fd;

	if (stat(b->o.dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "xaio-bench: %s: not a directory\n", b->o.dir);
		return -ENOTDIR;
	}
	snprintf(b->data, sizeof(b->data), "%s/xaio-bench-%zu.dat", b->o.dir,
		 b->o.size);
	snprintf(b->scratch, sizeof(b->scratch), "%s/xaio-bench-w.%d", b->o.dir,
		 (int)getpid());
	snprintf(b->smalldir, sizeof(b->smalldir), "%s/xaio-bench-small.%d",
		 b->o.dir, (int)getpid());
	b->sums = calloc(nblk, sizeof(*b->sums));
	b->small_sums = calloc(b->o.nsmall, sizeof(*b->small_sums));
	buf = malloc(BLK);
	if (!b->sums || !b->small_sums || !buf) {
		free(buf);
		return -ENOMEM;
	}
	have = stat(b->data, &st) == 0 && (size_t)st.st_size == b->o.size;
	if (!have)
		need += b->o.size;
	need += scratch_size(b) + 2 * (size_t)b->o.nsmall * BLK;
	if (statvfs(b->o.dir, &sv) == 0) {
		avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
		if (avail < need + (1 << 20)) {
			no_space(b, need);
			free(buf);
			return -ENOSPC;
		}
	}
	if (have) {
		for (i = 0; i < nblk; i++) {
			fill_block(buf, SEED_DATA, i);
			b->sums[i] = block_sum(buf);
		}
		/* reading it makes the page cache hot; a bad copy is redone */
		if (hot_read(b, nblk) != 0)
			have = 0;
	}
	if (!have) {
		r = write_pattern(b, b->data, b->o.size, b->sums, need);
		if (!r && hot_read(b, nblk) != 0)
			r = -EIO;
		if (r) {
			free(buf);
			return r;
		}
	}
	probe_direct(b);
	r = write_pattern(b, b->scratch, scratch_size(b), NULL, need);
	if (r) {
		free(buf);
		return r;
	}
	if (mkdir(b->smalldir, 0700) < 0) {
		r = -errno;
		free(buf);
		return r;
	}
	/*
	 * The files small-read reads ('r') and those small-create creates
	 * again ('c'): both exist before the first sample, so every sample
	 * of every engine finds the same state (no run deletes files while
	 * it measures: on ext4 a create soon after many deletes is several
	 * times slower, see xaio-bench(1)).
	 */
	for (i = 0; i < 2 * (size_t)b->o.nsmall && !bench_stop; i++) {
		char p[4200];
		size_t k = i % b->o.nsmall;

		small_path(b, p, sizeof(p), i < b->o.nsmall ? 'r' : 'c',
			   (unsigned)k);
		fill_block(buf, SEED_SMALL, k);
		b->small_sums[k] = block_sum(buf);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			r = -errno;
		else
			r = full_write(fd, buf, BLK, 0);
		if (fd >= 0)
			close(fd);
		if (r) {
			if (r == -ENOSPC)
				no_space(b, need);
			free(buf);
			return r;
		}
	}
	free(buf);
	return bench_stop ? -EINTR : prepare_trees(b);
}

void remove_files(struct bench *b)
{
	char p[4200];
	unsigned i;

	remove_copies(b);
	if (b->scratch[0])
		unlink(b->scratch);
	if (!b->smalldir[0])
		return;
	for (i = 0; i < b->o.nsmall; i++) {
		small_path(b, p, sizeof(p), 'r', i);
		unlink(p);
		small_path(b, p, sizeof(p), 'c', i);
		unlink(p);
	}
	rmdir(b->smalldir);
}

/* One sample: everything a request needs between submit and check. */
struct run {
	struct bench *b;
	const struct engine *e;
	enum wl w;
	struct eng_ctx c;
	off_t *off;
	int *fd; /* small files: the descriptor of each slot */
	char (*path)[4200];
	uint64_t rnd, seq, writes;
	size_t nunits; /* bs-sized units in the file */
	char *why;
	size_t whylen;
};

static uint64_t next_rand(struct run *r)
{
	r->rnd ^= r->rnd << 13;
	r->rnd ^= r->rnd >> 7;
	r->rnd ^= r->rnd << 17;
	return r->rnd;
}

static int fail(struct run *r, int err, const char *what)
{
	snprintf(r->why, r->whylen, "%s: %s", what, strerror(-err));
	return err;
}

static int verify(struct run *r, const char *buf, size_t len, off_t off,
		  const uint64_t *sums, uint64_t first)
{
	size_t k;

	if (corrupt_once < 0) {
		const char *env = getenv("XAIO_BENCH_CORRUPT");

		corrupt_once = env && *env == '1';
	}
	if (corrupt_once) {
		((char *)buf)[17] ^= 0x40;
		corrupt_once = 0;
	}
	for (k = 0; k < len; k += BLK)
		if (block_sum(buf + k) != sums[first + k / BLK]) {
			snprintf(r->why, r->whylen,
				 "checksum mismatch: block %llu (offset %lld)"
				 " read by %s differs from the data written",
				 (unsigned long long)(first + k / BLK),
				 (long long)(off + (off_t)k), r->e->name);
			return -EIO;
		}
	return 0;
}

/* Starts the request of `slot`; *op says what it is. */
static int start(struct run *r, unsigned slot, enum op *op)
{
	void *buf = r->c.bufs[slot];
	size_t bs = r->c.bs;
	char *p = r->path[slot];
	int fd = -1;
	off_t off = 0;
	unsigned i;

	switch (r->w) {
	case W_RANDREAD:
	case W_RANDREAD_DIRECT:
	case W_RANDWRITE_FSYNC:
		off = (off_t)(next_rand(r) % r->nunits * bs);
		break;
	case W_SEQREAD:
	case W_SEQWRITE:
		off = (off_t)(r->seq++ % r->nunits * bs);
		break;
	case W_SMALL_READ:
	case W_SMALL_CREATE:
		i = (unsigned)(r->seq++ % r->b->o.nsmall);
		small_path(r->b, p, sizeof(r->path[0]),
			   r->w == W_SMALL_READ ? 'r' : 'c', i);
		r->off[slot] = (off_t)i; /* remembered: which file */
		if (r->e->file_job) {
			/* the whole job (open, read or write, close) */
			*op = r->w == W_SMALL_READ ? OP_READ : OP_WRITE;
			return r->e->file_job(&r->c, slot, *op, p, buf, bs);
		}
		fd = r->w == W_SMALL_READ
			     ? open(p, O_RDONLY | O_CLOEXEC)
			     : open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				    0600);
		if (fd < 0)
			return fail(r, -errno, p);
		r->fd[slot] = fd;
		off = (off_t)i; /* remembered: which file */
		break;
	case W_STATX:
		i = (unsigned)(r->seq++ % r->b->o.ntree);
		stree_path(r->b, p, sizeof(r->path[0]), i);
		off = (off_t)i; /* remembered: which file */
		break;
	default:
		break;
	}
	r->off[slot] = off;
	*op = r->w == W_STATX			 ? OP_STATX
	      : (workloads[r->w].ops & OP_WRITE) ? OP_WRITE
						 : OP_READ;
	if (r->w == W_SMALL_READ || r->w == W_SMALL_CREATE)
		off = 0;
	return r->e->submit(&r->c, slot, *op, fd, buf, bs, off, p);
}

/* Checks the completion of `slot`: 0 or -errno with r->why set. */
static int finish(struct run *r, unsigned slot, ssize_t res)
{
	const char *buf = r->c.bufs[slot];
	off_t off = r->off[slot];
	int e = 0;

	if ((r->w == W_SMALL_READ || r->w == W_SMALL_CREATE) &&
	    r->fd[slot] >= 0) {
		close(r->fd[slot]);
		r->fd[slot] = -1;
	}
	if (res < 0 && r->c.why[0]) {
		/* the engine said which operation failed, and why */
		snprintf(r->why, r->whylen, "%s", r->c.why);
		return (int)res;
	}
	if (r->w == W_STATX) {
		const struct statx *stx = (const void *)buf;

		if (res < 0)
			return fail(r, (int)res, "statx");
		if ((stx->stx_mask & (STATX_SIZE | STATX_TYPE)) !=
			    (STATX_SIZE | STATX_TYPE) ||
		    !S_ISREG(stx->stx_mode) ||
		    stx->stx_size != stree_size((unsigned)off)) {
			snprintf(r->why, r->whylen,
				 "statx by %s: file %u: mode 0%o size %llu, "
				 "want a regular file of %llu",
				 r->e->name, (unsigned)off,
				 (unsigned)stx->stx_mode,
				 (unsigned long long)stx->stx_size,
				 (unsigned long long)stree_size((unsigned)off));
			return -EIO;
		}
		return 0;
	}
	if (res < 0)
		return fail(r, (int)res,
			    workloads[r->w].ops & OP_WRITE ? "write" : "read");
	if ((size_t)res != r->c.bs) {
		snprintf(r->why, r->whylen, "short transfer by %s: %zd of %zu",
			 r->e->name, res, r->c.bs);
		return -EIO;
	}
	if (r->w == W_SMALL_READ)
		e = verify(r, buf, BLK, 0, r->b->small_sums, (uint64_t)off);
	else if (r->w == W_RANDREAD || r->w == W_RANDREAD_DIRECT ||
		 r->w == W_SEQREAD)
		e = verify(r, buf, r->c.bs, off, r->b->sums,
			   (uint64_t)off / BLK);
	return e;
}

static int fsync_now(struct run *r, unsigned slot)
{
	struct done d;
	int n;

	n = r->e->submit(&r->c, slot, OP_FSYNC, -1, NULL, 0, 0, NULL);
	if (n < 0)
		return fail(r, n, "fsync submit");
	n = r->e->reap(&r->c, 1, &d, 1);
	if (n < 0)
		return fail(r, n, "fsync");
	if (d.res < 0)
		return fail(r, (int)d.res, "fsync");
	return 0;
}

/* The timed loop: keeps `depth` requests in flight until the time is up. */
static int loop(struct run *r, double end, uint64_t *ops)
{
	unsigned depth = r->c.depth, nfree = depth, inflight = 0, i;
	unsigned *freel = calloc(depth, sizeof(*freel)), since = 0;
	struct done *d = calloc(depth, sizeof(*d));
	int stopping = 0, err = 0, n;
	enum op op;

	if (!freel || !d) {
		free(freel);
		free(d);
		return fail(r, -ENOMEM, "memory");
	}
	for (i = 0; i < depth; i++)
		freel[i] = depth - 1 - i;
	for (;;) {
		while (!stopping && inflight < depth &&
		       !(r->w == W_RANDWRITE_FSYNC &&
			 since >= r->b->o.fsync_every)) {
			unsigned slot = freel[--nfree];

			n = start(r, slot, &op);
			if (n < 0) {
				nfree++;
				if (!err)
					err = r->why[0] ? n
							: fail(r, n, "submit");
				stopping = 1;
				break;
			}
			inflight++;
			since++;
		}
		if (r->w == W_RANDWRITE_FSYNC && !inflight && !stopping &&
		    since >= r->b->o.fsync_every) {
			err = fsync_now(r, freel[nfree - 1]);
			since = 0;
			if (err)
				stopping = 1;
			continue;
		}
		if (!inflight)
			break;
		n = r->e->reap(&r->c, 1, d, depth);
		if (n < 0) {
			err = fail(r, n, "reap");
			break; /* the engine is broken: leave what is left */
		}
		for (i = 0; i < (unsigned)n; i++) {
			int e = finish(r, d[i].slot, d[i].res);

			if (e && !err) {
				err = e;
				stopping = 1;
			}
			freel[nfree++] = d[i].slot;
			inflight--;
			(*ops)++;
		}
		if (!stopping && (bench_stop || now_s() >= end))
			stopping = 1;
	}
	free(freel);
	free(d);
	return err;
}

double cpu_s(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) *
		       1e-6;
}

static int open_for(struct run *r)
{
	int flags = O_CLOEXEC;
	const char *p = r->b->data;

	switch (r->w) {
	case W_RANDREAD_DIRECT:
		flags |= O_DIRECT;
		/* fall through */
	case W_RANDREAD:
	case W_SEQREAD:
		flags |= O_RDONLY;
		break;
	case W_SEQWRITE:
	case W_RANDWRITE_FSYNC:
		flags |= O_WRONLY;
		p = r->b->scratch;
		break;
	default:
		return 0;
	}
	r->c.path = p;
	r->c.flags = flags;
	r->c.fd = open(p, flags);
	return r->c.fd < 0 ? fail(r, -errno, p) : 0;
}

int run_sample(struct bench *b, const struct engine *e, enum wl w,
	       unsigned depth, struct sample *s, char *why, size_t whylen)
{
	struct run r;
	double t0, t1, c0, c1;
	uint64_t ops = 0;
	unsigned i;
	int err;

	if (workloads[w].ops & OP_COPY)
		return copy_sample(b, e, w, s, why, whylen);
	memset(&r, 0, sizeof(r));
	memset(s, 0, sizeof(*s));
	r.b = b;
	r.e = e;
	r.w = w;
	r.why = why;
	r.whylen = whylen;
	r.rnd = 0x2545f4914f6cdd1dULL ^ (uint64_t)depth;
	r.c.fd = -1;
	r.c.depth = depth;
	r.c.bs = (w == W_SEQREAD || w == W_SEQWRITE)	       ? (1 << 20)
		 : (w == W_RANDREAD || w == W_RANDREAD_DIRECT) ? b->o.bs
							       : BLK;
	r.nunits = (w == W_SEQWRITE || w == W_RANDWRITE_FSYNC ? scratch_size(b)
							      : b->o.size) /
		   r.c.bs;
	r.c.bufs = calloc(depth, sizeof(void *));
	r.off = calloc(depth, sizeof(*r.off));
	r.fd = calloc(depth, sizeof(*r.fd));
	r.path = calloc(depth, sizeof(*r.path));
	err = r.c.bufs && r.off && r.fd && r.path && r.nunits ? 0 : -ENOMEM;
	for (i = 0; !err && i < depth; i++) {
		if (posix_memalign(&r.c.bufs[i], BLK, r.c.bs))
			err = -ENOMEM;
		else
			fill_block(r.c.bufs[i], SEED_DATA, i);
		r.fd[i] = -1;
	}
	if (err)
		fail(&r, err, "setup");
	if (!err)
		err = open_for(&r);
	if (!err) {
		err = e->setup(&r.c);
		if (err)
			fail(&r, err, "engine setup");
	}
	if (!err) {
		c0 = cpu_s(RUSAGE_SELF);
		t0 = now_s();
		err = loop(&r, t0 + b->o.duration, &ops);
		t1 = now_s();
		c1 = cpu_s(RUSAGE_SELF);
		s->ops = ops;
		s->rate = (double)ops / (t1 - t0);
		s->mib_s = s->rate * (double)r.c.bs / (1 << 20);
		s->cpu_us = ops ? (c1 - c0) * 1e6 / (double)ops : 0;
	}
	if (r.c.priv)
		e->teardown(&r.c);
	if (r.c.fd >= 0)
		close(r.c.fd);
	for (i = 0; r.c.bufs && i < depth; i++)
		free(r.c.bufs[i]);
	for (i = 0; r.fd && i < depth; i++)
		if (r.fd[i] >= 0)
			close(r.fd[i]);
	free(r.c.bufs);
	free(r.off);
	free(r.fd);
	free(r.path);
	return err;
}
