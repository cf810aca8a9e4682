/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the event-set tests (the programs of tests/evset): clocks, file
 * checks, harvesting, and the "gate", an operation that stays pending until the
 * test releases it, so that what is ordered behind it is provably pending.
 *
 * The gate.  A FIFO opened for reading blocks in open(2) until a writer
 * appears: the gate is the xaio_open of the FIFO.  It is opened with
 * O_CREAT (the FIFO exists, so that is a plain open): io_uring first tries
 * an IORING_OP_OPENAT with O_NONBLOCK, which a FIFO reader passes at once,
 * but runs O_CREAT opens blocking in a kernel worker from the start.  Should
 * the open complete anyway, the gate becomes a 1-byte xaio_pread of the
 * FIFO, which waits for data on io_uring (a pool's pread(2) fails ESPIPE).
 * Which of the two blocks is probed once per process (et_gate_open); if
 * neither does, et_gate_open returns -ENOTSUP and the case skips
 * (ET_GATE).  Release: the test opens the FIFO O_RDWR (a writer:
 * the blocked open returns) and writes one byte (the blocked read gets it).
 * Either way the gate's operation then succeeds (status 0), so operations
 * naming it in xaio_opt.after run normally.  Each gate has its own set
 * (g->es), so the test's sets hold only the test's operations.
 */
#ifndef EVTEST_H
#define EVTEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <xaio.h>

#include "xtest.h"

#define ET_MS(x) ((uint64_t)(x)*1000000ull)
/*
 * The bound on a wait for work that must complete (not a speed check):
 * generous, as a shared, loaded machine can take seconds over one fsync.
 */
#define ET_LONG ET_MS(30000)

/* CLOCK_MONOTONIC in nanoseconds (the clock of xaio_op_info times). */
uint64_t et_now_ns(void);
/* CPU time of the process in nanoseconds. */
uint64_t et_cpu_ns(void);
/* n, or n / div (at least 1) under valgrind or a sanitizer. */
int et_scale(int n, int div);
/* Milliseconds, times 4 under valgrind or a sanitizer (for upper bounds). */
int et_slack_ms(int ms);

/* Whole-file helpers through libc: bytes read, or -1. */
ssize_t et_read_file(const char *path, void *buf, size_t len, off_t off);
int64_t et_file_size(const char *path);
/* Resident set size in KiB (/proc/self/statm), -1 on error. */
long et_rss_kib(void);
/*
 * Waits (up to ms) until every "xaio-worker" thread of the process sleeps
 * (/proc state S or D) twice in a row: none is inside malloc then.  For a
 * test that forks and allocates in the child: GCC 12's ASan allocator is
 * not fork-safe, and a child hangs in malloc if a parent thread held one
 * of its locks at fork.  0, or -ETIMEDOUT.
 */
int et_quiesce_workers(int ms);

/* Writes s to the file xt_path(name) (created or truncated); its path. */
const char *et_put(const char *name, const char *s);
/* Is there nothing at xt_path(name) (lstat: ENOENT)? */
bool et_absent(const char *name);
/* A path of PATH_MAX bytes (no room for the NUL): ENAMETOOLONG. */
const char *et_too_long(void);
/* Was nothing counted in es (an argument error started nothing)? */
bool et_untouched(struct xaio_evset *es);
/* Waits (ET_LONG) for operation id of es: its status (*info), or -errno. */
int et_status(struct xaio_evset *es, uint64_t id, struct xaio_op_info *info);

/* A set with the given policy and callback mode (others default). */
struct xaio_evset *et_set(uint32_t policy, uint32_t cbmode);

/*
 * Harvests every operation of es with xaio_evset_wait_any(FOREVER) until
 * -ENOENT, storing up to max infos; returns how many it harvested, or a
 * negative error of wait_any.
 */
int et_harvest(struct xaio_evset *es, struct xaio_op_info *out, size_t max);
/* The info with op_id id among n, or NULL. */
const struct xaio_op_info *et_find(const struct xaio_op_info *infos, size_t n,
				   uint64_t id);

struct et_gate {
	char path[4096];
	struct xaio_evset *es; /* the gate's own set */
	struct xaio_file *f; /* the FIFO's handle */
	uint64_t id; /* the pending operation: name it in opt.after */
	uint64_t open_id;
	unsigned char byte;
	int wfd; /* the test's end, after release; -1 before */
	bool thread; /* a release thread is running */
	pthread_t thr;
	int delay_ms;
	_Atomic uint64_t released_ns; /* when it was released, 0 before */
};

/* Makes a gate on the FIFO xt_path(name) (or the absolute path). */
int et_gate_open(struct et_gate *g, const char *name);
int et_gate_open_path(struct et_gate *g, const char *path);
/* Releases it now (idempotent). */
int et_gate_release(struct et_gate *g);
/* Releases it from another thread after ms. */
int et_gate_release_after(struct et_gate *g, int ms);
/* Releases (if not yet), joins, waits for the gate's set, closes all. */
int et_gate_close(struct et_gate *g);
/*
 * Gates still open at exit are released by an atexit handler (so that a
 * failed case does not make exit wait for the writes behind its gate);
 * this turns that off, for a program whose exit must wait for them.
 */
void et_gate_no_exit_release(void);
/* Which operation blocked: 1 the open, 2 the read, 0 not probed yet. */
int et_gate_mode(void);

#define ET_GATE(g, name)                                                       \
	do {                                                                   \
		int et_r_ = et_gate_open((g), (name));                         \
		XT_SKIP_IF(et_r_ == -ENOTSUP,                                  \
			   "no operation stays pending on a FIFO here");       \
		XT_ASSERT_EQ(et_r_, 0);                                        \
	} while (0)

/* opt with one after entry (the storage is the caller's *id). */
static inline struct xaio_opt et_after(const uint64_t *id, uint64_t *op_id)
{
	struct xaio_opt o = {0};

	o.n_after = 1;
	o.after = id;
	o.op_id = op_id;
	return o;
}

static inline struct xaio_opt et_id(uint64_t *op_id)
{
	struct xaio_opt o = {0};

	o.op_id = op_id;
	return o;
}

#endif
