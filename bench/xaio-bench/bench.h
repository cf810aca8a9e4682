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

enum op { OP_READ = 1, OP_WRITE = 2, OP_FSYNC = 4, OP_STATX = 8 };

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
};

extern const struct engine eng_xaio, eng_xaio_es, eng_glibc, eng_sync,
	eng_uring_plain, eng_uring_tuned, eng_libuv;

enum wl {
	W_RANDREAD,
	W_RANDREAD_DIRECT,
	W_SEQREAD,
	W_SEQWRITE,
	W_RANDWRITE_FSYNC,
	W_SMALL_READ,
	W_SMALL_CREATE,
	W_STATX,
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
};

extern const struct workload workloads[W_COUNT];

struct opts {
	unsigned depths[MAX_DEPTHS], ndepths;
	size_t bs, size;
	double duration;
	unsigned reps, fsync_every, nsmall;
	const char *dir, *json, *svg;
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
	struct opts o;
	const struct engine *eng[8];
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
int prepare_files(struct bench *b);
void remove_files(struct bench *b);
int run_sample(struct bench *b, const struct engine *e, enum wl w,
	       unsigned depth, struct sample *s, char *why, size_t whylen);

/* output.c */
struct result_set {
	struct bench *b;
	/* cells[w][depth index][engine index] */
	struct cell cells[W_COUNT][MAX_DEPTHS][8];
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
