/* SPDX-License-Identifier: MIT */
/*
 * xaio-bench: shared types.  An engine is one file implementing struct
 * engine (a queue of slots: submit into a slot, reap completed slots); the
 * workloads (workload.c) drive every engine through it, the output
 * (output.c) prints and charts the samples main.c collects.  Single
 * threaded: only the engines under test start threads of their own.
 */
#ifndef XAIO_BENCH_H
#define XAIO_BENCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BLK 4096 /* the checksum unit; every size is a multiple */
#define MAX_DEPTHS 8
#define MAX_REPS 64
#define MAX_ENG 12

/* OP_COPY: a whole tree, by a command (copy.c); no other engine has it */
enum op { OP_READ = 1, OP_WRITE = 2, OP_FSYNC = 4, OP_STATX = 8, OP_COPY = 16 };

struct done {
	unsigned slot;
	ssize_t res; /* bytes, 0, or -errno */
};

/*
 * One engine run: a descriptor (or -1), `depth` slots of `bs` bytes.  path
 * and flags say how fd was opened (NULL: no file), for an engine that must
 * open the file its own way.  An engine may explain a failed completion in
 * why (the workload prints it instead of a bare errno).
 */
struct eng_ctx {
	int fd;
	const char *path;
	int flags;
	unsigned depth;
	size_t bs;
	void **bufs;
	void *priv;
	char why[160];
};

struct bench;

struct engine {
	const char *name;
	const char *desc;
	unsigned ops; /* enum op bits it can run */
	int sync; /* runs one request at a time: depth 1 only */
	/* NULL when usable, else why not ("absent: ...") */
	const char *(*absent)(void);
	int (*setup)(struct eng_ctx *c);
	/* path and stx are for OP_STATX only; fd < 0 uses c->fd */
	int (*submit)(struct eng_ctx *c, unsigned slot, enum op op, int fd,
		      void *buf, size_t len, off_t off, const char *path);
	/* At least `min` completions (min 0: what is ready): count or -errno */
	int (*reap)(struct eng_ctx *c, unsigned min, struct done *d,
		    unsigned max);
	/*
	 * Optional: a whole small-file job in `slot`, asynchronously: open
	 * path (OP_READ: O_RDONLY; OP_WRITE: O_CREAT|O_WRONLY|O_TRUNC, 0600),
	 * read or write len bytes at offset 0 into or from buf, close.  It
	 * completes through reap as one struct done: res is the bytes moved,
	 * or the -errno of the first operation that failed.  0, or -errno
	 * when nothing was started.  Engines without it get the workload's
	 * synchronous open and close around submit.
	 */
	int (*file_job)(struct eng_ctx *c, unsigned slot, enum op op,
			const char *path, void *buf, size_t len);
	void (*teardown)(struct eng_ctx *c);
	/*
	 * OP_COPY engines (copy.c): the program and its options before SRC
	 * DST, or NULL with why filled in (the cell is n/a).
	 */
	const char *(*command)(const struct bench *b, const char **opt,
			       char *why, size_t whylen);
};

extern const struct engine eng_xaio, eng_xaio_es, eng_glibc, eng_sync,
	eng_uring_plain, eng_uring_tuned, eng_libuv, eng_xaio_cp, eng_cp;

enum wl {
	W_RANDREAD,
	W_RANDREAD_DIRECT,
	W_SEQREAD,
	W_SEQWRITE,
	W_RANDWRITE_FSYNC,
	W_SMALL_READ,
	W_SMALL_CREATE,
	W_STATX,
	W_CP_SMALL,
	W_CP_LARGE,
	W_COUNT
};

struct workload {
	const char *name;
	const char *desc;
	const char *unit; /* what one operation is */
	unsigned ops; /* engine ops it needs */
	int uses_depth; /* run at every --depth, else at `depth` */
	unsigned depth;
	unsigned depth2; /* and also at this one (0: none) */
	int full_only; /* not in the default or quick suite: -w full */
};

extern const struct workload workloads[W_COUNT];

struct opts {
	unsigned depths[MAX_DEPTHS], ndepths;
	size_t bs, size;
	double duration;
	unsigned reps, fsync_every, nsmall;
	unsigned ntree; /* files of the statx tree and the small copy tree */
	size_t large; /* size of each file of the large copy tree */
	const char *dir, *json, *svg, *xaio_cp;
	int quick, progress;
	unsigned wl_mask, eng_mask;
};

/* One cell of one repetition. */
struct sample {
	double rate; /* operations per second */
	double mib_s;
	double cpu_us; /* CPU per operation, whole process */
	uint64_t ops;
};

enum status { ST_OK, ST_NA, ST_SKIPPED, ST_ABSENT, ST_FAILED };

/* A cell over all repetitions. */
struct cell {
	enum status st;
	unsigned depth; /* as run: a sync engine runs at 1 */
	char why[160];
	struct sample rep[MAX_REPS];
	unsigned nrep;
	double median, min, max, mib_s, cpu_us;
};

/* The shared state of a run (main.c): files, signal flag. */
struct bench {
	/* trees.c: kept between runs, keyed by their size (like data) */
	char stree[4096], csmall[4096], clarge[4096];
	/* copy.c: the parent of the copies, and the copy that exists */
	char cdst[4096], cur[4200];
	unsigned ncopy;
	struct opts o;
	const struct engine *eng[MAX_ENG];
	unsigned neng;
	char data[4096], scratch[4096], smalldir[4096];
	uint64_t *sums; /* checksum of every block of the data file */
	uint64_t *small_sums;
	int direct_ok;
	char direct_why[160];
};

extern volatile sig_atomic_t bench_stop;

double now_s(void);
uint64_t block_sum(const void *p);
void fill_block(void *p, uint64_t seed, uint64_t blk);

/* workload.c */
int full_write(int fd, const void *buf, size_t len, off_t off);
double cpu_s(int who); /* getrusage: user + system seconds */
int prepare_files(struct bench *b);
void remove_files(struct bench *b);
int run_sample(struct bench *b, const struct engine *e, enum wl w,
	       unsigned depth, struct sample *s, char *why, size_t whylen);

/* trees.c: the statx tree and the two source trees of the copies */
#define TREE_PER_DIR 1000 /* statx tree: files per directory */
#define CP_DIRS 250 /* small copy tree: directories */
#define CP_LARGE_FILES 4
int prepare_trees(struct bench *b);
void stree_path(const struct bench *b, char *p, size_t n, unsigned i);
uint64_t stree_size(unsigned i);
int warm_tree(const struct bench *b, enum wl w);
int check_tree(const struct bench *b, enum wl w, const char *root, char *why,
	       size_t n);
int remove_tree(const char *path);
double tree_bytes(const struct bench *b); /* of the small copy tree */

/* copy.c: one timed copy of a source tree by a command, then checked */
int copy_sample(struct bench *b, const struct engine *e, enum wl w,
		struct sample *s, char *why, size_t whylen);
void remove_copies(struct bench *b);

/* output.c */
struct result_set {
	struct bench *b;
	/* cells[w][depth index][engine index] */
	struct cell cells[W_COUNT][MAX_DEPTHS][MAX_ENG];
	double load_before[3], load_after[3];
	int ncpu;
	char **argv;
	int argc;
	/* main.c: uname release, file-system type of o.dir, xaio backend */
	char kernel[128];
	char fs[64];
	char backend[64];
	char backend_why[160];
};
unsigned wl_depths(const struct result_set *r, enum wl w, unsigned *d);
void print_table(const struct result_set *r);
int write_json(const struct result_set *r, const char *path);
int write_svgs(const struct result_set *r, const char *dir);

#endif
