// SPDX-License-Identifier: MIT
/*
 * stress: a randomised, self-checking load on the POSIX AIO layer.
 *
 *   stress [--ops N] [--threads T] [--seconds S] [--seed X] [--verbose]
 *
 * T worker threads (default 4) draw operations from one global budget of N
 * (default 200000; with --seconds the run also ends after S seconds, so
 * give a large N for a timed run: tables are sized for min(N, 4 million)
 * operations, about 30 bytes each).  An operation is one library call that
 * does something: one request submitted (a lio_listio() list counts once
 * per entry), one aio_cancel(), one aio_suspend().  Every check that fails
 * prints "stress: FAIL: ..." (the first MAX_REPORTS of each kind; the rest
 * are counted at the end) and the run ends with a summary and "1 passed,
 * 0 failed" (exit 0) or "0 passed, 1 failed" (exit 1); 77 when
 * XAIO_BACKEND=uring and io_uring is not allowed here.  --seed makes each
 * thread's choices repeatable (not their interleaving).
 *
 * What runs, and what is checked (a worker picks its next operation from
 * the weighted table op_kinds[]; a later API joins the mix with its own
 * rows and checks):
 *
 * Data files.  NFILES files of T * BPT blocks of BLK bytes, half of them
 * opened O_DIRECT when the temporary directory supports it.  Worker t owns
 * blocks [t * BPT, (t + 1) * BPT) of every file and is the only one to
 * write them, so it keeps a private table per block: the version of the
 * last write that completed successfully (`expect`), whether a write is in
 * flight, and a counter of writes submitted (`wr_seq`).  A block's content
 * is a pure function of (file, block, version, owner).  Writes (aio_write,
 * aio_writev with 2-4 iovecs laid out in reverse buffer order, lio_listio
 * members) cover 1-4 blocks and never overlap a block that has a write in
 * flight.  A read verifies every block that had no write in flight when the
 * read was submitted and none submitted since: it must be exactly
 * `expect`.  A write that ends ECANCELED leaves `expect` alone, so a later
 * read, and the final pass that preads every block, catch a cancelled write
 * that landed anyway.
 *
 * Append file.  One O_APPEND descriptor shared by all workers; records
 * (magic, thread, length, sequence number, checksum, payload derived from
 * them) written with aio_write, aio_writev and lio_listio.  At the end the
 * whole file is parsed: every record intact, each thread's records in its
 * submission order, every successful append present exactly once, no
 * cancelled one present.
 *
 * aio_fsync(O_SYNC or O_DSYNC) on random data files and the append file
 * must succeed (or be cancelled by someone).  When it completes, every
 * write of the same thread to that fd that was in flight when the fsync
 * was submitted must be visible with pread (xaio holds an fsync until every
 * earlier request on its fd has finished).
 *
 * Streams.  A pipe and a socketpair, each with a writer thread that keeps
 * 1-8 aio_write / aio_writev / lio_listio(LIO_NOWAIT) writes of
 * sequence-numbered records in flight, and a reader thread that keeps
 * exactly one aio_read of a random size in flight (reads on a stream are
 * not ordered among themselves).  The reader checks each record and that
 * sequence numbers only increase; at the end every record whose write
 * succeeded must have been read and no cancelled one may have been.
 *
 * Cancellation.  Workers cancel a random request of their own, or every
 * request on a data or append fd (aio_cancel(fd, NULL), which hits other
 * threads' requests too); the stream writer and reader cancel their own.
 * AIO_CANCELED: aio_error() says ECANCELED at once and aio_return() -1.
 * AIO_ALLDONE: the request is no longer in progress.  AIO_NOTCANCELED: it
 * completes normally.  aio_cancel(fd, NULL) = AIO_CANCELED or AIO_ALLDONE:
 * none of the caller's requests on fd is still in progress.  A request may
 * end ECANCELED only if its owner got AIO_CANCELED for it or an fd-wide
 * cancel on its fd overlapped its life (per-fd counters of fd-wide cancels
 * begun and ended: one begun now that had not ended at submission).
 *
 * aio_suspend() on random subsets of a thread's requests (with NULL
 * entries) and a timeout of 0, 0-2 ms or none: 0 means one listed request
 * is done; EAGAIN is an error without a timeout or when a listed request
 * was already done; EINTR is counted.  lio_listio(LIO_WAIT) returning 0
 * means every member is done and succeeded; EIO means a member failed (and
 * that failure must be a legitimate cancel); EINTR is counted (per-member
 * signals interrupt it).  LIO_NOP and NULL entries are never run.
 *
 * Notifications.  Every request and every lio_listio list picks
 * SIGEV_NONE, SIGEV_SIGNAL (SIGRTMIN+3, SA_SIGINFO handler),
 * SIGEV_THREAD (sometimes with joinable attributes) or SIGEV_THREAD_ID
 * (SIGRTMIN+4 to the submitting thread, which keeps it unblocked and stays
 * alive until the end).  sigev_value carries a serial number indexing a
 * table of counters; the handler counts, checks si_code, the target
 * thread, the kind, and that the request's aio_error() is no longer
 * EINPROGRESS.  At the end, after the counts settle, every counter must
 * equal its expectation: 1 for each notified request and LIO_NOWAIT list,
 * 0 for an LIO_WAIT list's (ignored) sigevent; no signal may carry an
 * unknown serial.
 *
 * fork.  Every N/20 operations (or S/20 seconds; MAX_FORKS times) a worker
 * forks; the child (alarm 10 s) writes, fsyncs and reads back a new file
 * with about 260 requests of every notification kind, checks them and its
 * notifications (none of the parent's may reach it) and _exit()s; the
 * parent allows 15 s.  Not under AddressSanitizer: its allocator (GCC 12)
 * is not fork-safe in a threaded process and the child deadlocks in malloc.
 *
 * Leaks.  RSS (/proc/self/statm) and the thread count (/proc/self/task,
 * by name) are sampled at every 10% of the run and once more at the end,
 * when every request is done, every notification delivered (so no
 * SIGEV_THREAD callback thread should be left) and the thread pool has
 * been idle long enough for its workers to retire.  That last sample may
 * exceed the one at 20% by at most 25% + 4 MiB of RSS (not checked under
 * AddressSanitizer, whose quarantine grows) and by 8 threads, not counting
 * io_uring's iou-wrk workers, which the kernel starts and retires with its
 * load.  Every table is allocated and touched before the first sample.
 *
 * A watchdog (the main thread) declares a hang when no request completes
 * for HANG_MS, prints what is in flight, and exits 1; a request in flight
 * for STUCK_MS is reported by its owner.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <aio.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xaio/posix.h>

#include "xtest.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define BLK 4096
#define NFILES 4 /* files 0, 1 buffered; 2, 3 O_DIRECT when possible */
#define BPT 64 /* blocks per thread per file */
#define MAXNB 4 /* blocks per request */
#define MAXIOV 4
#define SLOT_BUF (2 * MAXNB * BLK)
#define NSLOT 64 /* request slots per worker */
#define MAX_INFLIGHT 40
#define LIO_MAX 16
#define MAXT 64
#define NSTREAMS 2
#define SSLOT 16 /* request slots per stream writer */
#define REC_MAX 2048 /* stream record, <= PIPE_BUF */
#define RBUF 8192 /* largest stream read */
#define AREC_MAX 1040 /* append record */
#define MAX_FORKS 20
#define CH_BLOCKS 64
#define HANG_MS 60000
#define STUCK_MS 60000
#define MAX_REPORTS 5 /* printed failures per kind (format) */
#define MAX_KINDS 64
/* Tables are sized for min(N, TABLE_OPS) operations; beyond, requests go
 * without notification and appends and stream records stop. */
#define TABLE_OPS 4000000ull

#define BLK_MAGIC 0x58414f42u
#define AREC_MAGIC 0x41504e44u
#define SREC_MAGIC 0x53545245u

/* ---- options, budget, counters ---- */

static struct {
	uint64_t ops;
	int threads;
	int seconds;
	uint64_t seed;
	bool verbose;
} opt = {.ops = 200000, .threads = 4};

static uint64_t table_ops; /* min(opt.ops, TABLE_OPS) */
static _Atomic uint64_t ops_used;
static _Atomic bool stop;
static int64_t t_start, t_deadline;

enum {
	K_READ,
	K_WRITE,
	K_READV,
	K_WRITEV,
	K_APPEND,
	K_FSYNC,
	K_SWRITE,
	K_SREAD,
	K_NR,
	K_LIST = K_NR, /* a lio_listio list notification */
	K_CHILD,
};

static const char *const kname[] = {
	"read",	 "write",	 "readv",	"writev",   "append",
	"fsync", "stream-write", "stream-read", "lio-list", "child",
};

typedef _Atomic uint64_t counter;

static struct {
	counter sub[K_NR], ok[K_NR], canc[K_NR];
	counter completions;
	counter lio_wait, lio_nowait, lio_entries, lio_eintr, lio_eio;
	counter cancel_calls, cancel_fd, cancel_res[3];
	counter susp, susp_ok, susp_again, susp_intr;
	counter vblocks, vskip, vbytes, final_bytes, abytes, arecs, sbytes,
		srecs;
	counter fsync_deps, fsync_lag;
	counter forks, fork_fail;
	counter no_serial;
} st;

static void inc(counter *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void add(counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t ld(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static _Atomic int nfail;
static bool in_child;

/* Failures counted by kind (their format string). */
static struct {
	const char *_Atomic fmt;
	_Atomic int n;
} fail_kinds[MAX_KINDS];

/*
 * Records a failure.  The first MAX_REPORTS of each kind are printed;
 * report_suppressed() counts the rest at the end.
 */
__attribute__((format(printf, 1, 2))) static void failf(const char *fmt, ...)
{
	int n = 0;
	char msg[600];
	va_list ap;

	atomic_fetch_add(&nfail, 1);
	for (int i = 0; i < MAX_KINDS; i++) {
		const char *cur = atomic_load(&fail_kinds[i].fmt);

		if (!cur && atomic_compare_exchange_strong(&fail_kinds[i].fmt,
							   &cur, fmt))
			cur = fmt;
		if (cur == fmt) {
			n = atomic_fetch_add(&fail_kinds[i].n, 1);
			break;
		}
	}
	if (n >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "stress%s: FAIL: %s\n", in_child ? " (child)" : "",
		msg);
}

static void report_suppressed(void)
{
	for (int i = 0; i < MAX_KINDS; i++) {
		const char *fmt = atomic_load(&fail_kinds[i].fmt);
		int n = atomic_load(&fail_kinds[i].n);

		if (fmt && n > MAX_REPORTS)
			fprintf(stderr,
				"stress: FAIL: %d more not shown like \"%s\"\n",
				n - MAX_REPORTS, fmt);
	}
}

static bool budget_left(void)
{
	if (atomic_load(&stop))
		return false;
	if ((opt.seconds && xt_now_ms() >= t_deadline) ||
	    atomic_load(&ops_used) >= opt.ops) {
		atomic_store(&stop, true);
		return false;
	}
	return true;
}

/* Takes n operations from the budget; false when it is used up. */
static bool budget_take(unsigned n)
{
	if (!budget_left())
		return false;
	if (atomic_fetch_add(&ops_used, n) >= opt.ops) {
		atomic_fetch_sub(&ops_used, n);
		atomic_store(&stop, true);
		return false;
	}
	return true;
}

/* ---- randomness and content ---- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint32_t rndn(uint64_t *s, uint32_t n)
{
	return (uint32_t)((rnd(s) >> 32) % n);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* len bytes of the stream seeded by key (len a multiple of 8 or not). */
static void fill_stream(unsigned char *p, size_t len, uint64_t key)
{
	uint64_t x = mix64(key) | 1;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t y;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		y = x * 0x2545f4914f6cdd1dull;
		memcpy(p + i, &y, 8);
	}
	for (; i < len; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[i] = (unsigned char)((x * 0x2545f4914f6cdd1dull) >> 56);
	}
}

/* A data block: header (magic, file, block, version, owner) + stream. */
static void fill_block(unsigned char *p, unsigned f, unsigned b, uint32_t v,
		       unsigned t)
{
	uint32_t h[6] = {BLK_MAGIC, f, b, v, t, ~BLK_MAGIC ^ v};
	uint64_t key = (uint64_t)f << 56 | (uint64_t)t << 48 |
		       (uint64_t)(b & 0xffff) << 32 | v;

	memcpy(p, h, sizeof(h));
	fill_stream(p + sizeof(h), BLK - sizeof(h), key);
}

/* What a block that did not match holds, for the failure message. */
static void describe_block(const unsigned char *p, char *out, size_t n)
{
	static _Thread_local unsigned char tmp[BLK];
	uint32_t h[6];

	memcpy(h, p, sizeof(h));
	if (h[0] != BLK_MAGIC) {
		snprintf(out, n, "no block header (bytes %02x %02x %02x %02x)",
			 p[0], p[1], p[2], p[3]);
		return;
	}
	fill_block(tmp, h[1], h[2], h[3], h[4]);
	snprintf(out, n, "version %u of file %u block %u by thread %u%s", h[3],
		 h[1], h[2], h[4],
		 memcmp(tmp, p, BLK) ? " (torn or corrupt)" : "");
}

/* ---- file descriptors ---- */

enum {
	FX_FILE0 = 0,
	FX_APPEND = NFILES,
	FX_STREAM0, /* per stream: write end, then read end */
	FX_NR = FX_STREAM0 + 2 * NSTREAMS,
};

static struct fdx {
	int fd;
	bool direct;
	_Atomic uint32_t cbegin; /* fd-wide cancels begun on this fd */
	_Atomic uint32_t cend; /* and ended */
	char name[32];
} fdx[FX_NR];

/* ---- request slots ---- */

enum { S_FREE, S_BUSY, S_STUCK };
enum { C_NONE, C_CANCELED, C_NOTCANCELED };
#define NOVER UINT32_MAX

struct slot {
	struct aiocb cb;
	struct iovec iov[MAXIOV];
	unsigned char *buf;
	_Atomic uint64_t serial; /* notification serial, 0 when none */
	uint64_t id; /* per-owner submission number */
	uint64_t seq; /* append or stream record number */
	int64_t t_sub;
	size_t len; /* bytes requested */
	uint32_t epoch; /* fdx[fx].cend when submitted */
	uint32_t blk0; /* first block, owner-relative */
	uint32_t ver[MAXNB]; /* write: versions written */
	uint32_t wrseq[MAXNB]; /* read: block's wr_seq at submit, or NOVER */
	uint8_t state;
	uint8_t kind;
	uint8_t fx;
	uint8_t nb;
	uint8_t niov;
	uint8_t vec;
	uint8_t cancel;
	uint8_t ndep;
	uint8_t dep[NSLOT]; /* fsync: my earlier writes on the fd */
	uint64_t dep_id[NSLOT];
};

/* ---- notifications ---- */

enum { NK_NONE, NK_SIGNAL, NK_THREAD, NK_TID, NK_NR };
static const char *const nkname[] = {"none", "signal", "thread", "thread-id"};

struct note {
	_Atomic uint32_t count;
	_Atomic uint8_t expect;
	_Atomic uint8_t how;
	_Atomic uint8_t what;
	_Atomic pid_t tid;
	struct slot *_Atomic slot;
};

static struct note *notes;
static uint64_t note_cap;
static _Atomic uint64_t note_next = 1;
static uint64_t child_first; /* in a forked child: its first serial */
static _Atomic uint64_t n_expected, n_delivered, n_stray, n_badcode, n_badtid,
	n_badhow, n_early, n_kind[NK_NR];
static int sig_proc, sig_tid;
static pthread_attr_t joinable_attr;

static void note_hit(uint64_t s, int how)
{
	struct note *n;
	struct slot *sl;

	atomic_fetch_add(&n_delivered, 1);
	if (s == 0 || s < child_first || s >= note_cap ||
	    s >= atomic_load(&note_next)) {
		atomic_fetch_add(&n_stray, 1);
		return;
	}
	n = &notes[s];
	if (atomic_load(&n->how) != how)
		atomic_fetch_add(&n_badhow, 1);
	if (how == NK_TID && atomic_load(&n->tid) != gettid())
		atomic_fetch_add(&n_badtid, 1);
	/*
	 * The status is published before the notification.  The slot may
	 * have been reaped and resubmitted meanwhile: its serial changes
	 * before the new request is marked in progress, so re-reading it
	 * after aio_error() tells.
	 */
	sl = atomic_load(&n->slot);
	if (sl && atomic_load(&sl->serial) == s &&
	    aio_error(&sl->cb) == EINPROGRESS && atomic_load(&sl->serial) == s)
		atomic_fetch_add(&n_early, 1);
	atomic_fetch_add(&n->count, 1);
	atomic_fetch_add(&n_kind[how], 1);
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)uc;
	if (si->si_code != SI_ASYNCIO)
		atomic_fetch_add(&n_badcode, 1);
	else
		note_hit((uintptr_t)si->si_value.sival_ptr,
			 sig == sig_tid ? NK_TID : NK_SIGNAL);
	errno = saved;
}

static void on_thread(union sigval v)
{
	note_hit((uintptr_t)v.sival_ptr, NK_THREAD);
}

/*
 * Fills sev with a random notification for a request of slot sl (NULL for
 * a list) submitted by thread tid.  expect: whether it must fire.  Returns
 * the serial, 0 for SIGEV_NONE.
 */
static uint64_t make_note(struct sigevent *sev, uint64_t *rng, pid_t tid,
			  int what, struct slot *sl, bool expect)
{
	int how = (int)rndn(rng, NK_NR);
	struct note *n;
	uint64_t s;

	memset(sev, 0, sizeof(*sev));
	sev->sigev_notify = SIGEV_NONE;
	if (sl)
		atomic_store(&sl->serial, 0);
	if (how == NK_NONE)
		return 0;
	s = atomic_fetch_add(&note_next, 1);
	if (s >= note_cap) {
		inc(&st.no_serial);
		return 0;
	}
	n = &notes[s];
	atomic_store(&n->what, (uint8_t)what);
	atomic_store(&n->tid, tid);
	atomic_store(&n->slot, sl);
	atomic_store(&n->how, (uint8_t)how);
	atomic_store(&n->expect, expect);
	if (expect)
		atomic_fetch_add(&n_expected, 1);
	if (sl)
		atomic_store(&sl->serial, s);
	sev->sigev_value.sival_ptr = (void *)(uintptr_t)s;
	switch (how) {
	case NK_SIGNAL:
		sev->sigev_notify = SIGEV_SIGNAL;
		sev->sigev_signo = sig_proc;
		break;
	case NK_THREAD:
		sev->sigev_notify = SIGEV_THREAD;
		sev->sigev_notify_function = on_thread;
		if (rndn(rng, 4) == 0)
			sev->sigev_notify_attributes = &joinable_attr;
		break;
	default:
		sev->sigev_notify = SIGEV_THREAD_ID;
		sev->sigev_signo = sig_tid;
		sev->sigev_notify_thread_id = tid;
		break;
	}
	return s;
}

/* The request was refused at submission: its notification never comes. */
static void unexpect(uint64_t s)
{
	if (s && s < note_cap && atomic_exchange(&notes[s].expect, 0))
		atomic_fetch_sub(&n_expected, 1);
}

/* Checks counters [from, to); returns the number of mismatches. */
static uint64_t sweep(uint64_t from, uint64_t to, uint64_t *lost, uint64_t *dup)
{
	uint64_t bad = 0;

	if (to > note_cap)
		to = note_cap;
	for (uint64_t s = from; s < to; s++) {
		struct note *n = &notes[s];
		uint32_t c = atomic_load(&n->count),
			 e = atomic_load(&n->expect);

		if (c == e)
			continue;
		if (c < e)
			(*lost)++;
		else
			(*dup)++;
		if (bad++ < 10)
			failf("notification %" PRIu64 " (%s of a %s): "
			      "delivered %u times, expected %u",
			      s, nkname[atomic_load(&n->how)],
			      kname[atomic_load(&n->what)], c, e);
	}
	return bad;
}

/*
 * Waits until the notifications expected have arrived, or none has for
 * idle_ms (SIGEV_THREAD callbacks can lag far behind under a sanitizer:
 * a thread each), or max_ms passed.
 */
static void settle_notes(int idle_ms, int max_ms)
{
	int64_t now = xt_now_ms(), end = now + max_ms, moved = now;
	uint64_t last = atomic_load(&n_delivered);

	while (now < end && now - moved < idle_ms &&
	       atomic_load(&n_delivered) - atomic_load(&n_stray) <
		       atomic_load(&n_expected)) {
		xt_sleep_ms(5);
		now = xt_now_ms();
		if (atomic_load(&n_delivered) != last) {
			last = atomic_load(&n_delivered);
			moved = now;
		}
	}
	/* Give duplicates a chance to show up. */
	xt_sleep_ms(200);
}

static void thread_signals(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig_proc);
	sigaddset(&s, sig_tid);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* ---- shared request helpers ---- */

static bool is_vec(const struct slot *sl)
{
	return sl->cb.aio_lio_opcode == XAIO_LIO_READV ||
	       sl->cb.aio_lio_opcode == XAIO_LIO_WRITEV;
}

static int submit(struct slot *sl)
{
	switch (sl->cb.aio_lio_opcode) {
	case LIO_READ:
		return aio_read(&sl->cb);
	case LIO_WRITE:
		return aio_write(&sl->cb);
	case XAIO_LIO_READV:
		return aio_readv(&sl->cb);
	default:
		return aio_writev(&sl->cb);
	}
}

/*
 * Splits len bytes into 2-4 iovecs at multiples of unit, laid out in the
 * slot buffer in reverse order with a unit-sized gap between them.
 */
static void layout_iov(struct slot *sl, uint64_t *rng, size_t len, size_t unit)
{
	size_t units = len / unit, cut[MAXIOV + 1], off = 0;
	int n = 2 + (int)rndn(rng, MAXIOV - 1), k = 1;

	if ((size_t)n > units)
		n = (int)units;
	cut[0] = 0;
	while (k < n) {
		size_t c = 1 + rndn(rng, (uint32_t)(units - 1));
		int i, dupl = 0;

		for (i = 1; i < k; i++)
			dupl |= cut[i] == c;
		if (dupl)
			continue;
		for (i = k; i > 1 && cut[i - 1] > c; i--)
			cut[i] = cut[i - 1];
		cut[i] = c;
		k++;
	}
	cut[n] = units;
	for (int i = n - 1; i >= 0; i--) {
		sl->iov[i].iov_base = sl->buf + off;
		sl->iov[i].iov_len = (cut[i + 1] - cut[i]) * unit;
		off += sl->iov[i].iov_len + unit;
	}
	if (cut[n] * unit != len) /* remainder goes to the last piece */
		sl->iov[n - 1].iov_len += len - cut[n] * unit;
	sl->niov = (uint8_t)n;
}

static void gather(const struct slot *sl, unsigned char *dst)
{
	for (int i = 0; i < sl->niov; i++) {
		memcpy(dst, sl->iov[i].iov_base, sl->iov[i].iov_len);
		dst += sl->iov[i].iov_len;
	}
}

static void scatter(struct slot *sl, const unsigned char *src)
{
	for (int i = 0; i < sl->niov; i++) {
		memcpy(sl->iov[i].iov_base, src, sl->iov[i].iov_len);
		src += sl->iov[i].iov_len;
	}
}

/*
 * May this request have been cancelled by someone?  Its owner got
 * AIO_CANCELED, or an fd-wide cancel on its fd overlapped its life: one
 * began after (or was still running when) it was submitted.
 */
static bool cancel_legit(const struct slot *sl)
{
	return sl->cancel == C_CANCELED ||
	       atomic_load(&fdx[sl->fx].cbegin) != sl->epoch;
}

/*
 * The checks every completion shares: status against the cancel history
 * and the expected return value.  Returns e, or -1 when it was wrong.
 */
static int check_status(const char *who, struct slot *sl, int e, ssize_t ret)
{
	ssize_t want = sl->kind == K_FSYNC ? 0 : (ssize_t)sl->len;

	inc(&st.completions);
	if (e == ECANCELED) {
		inc(&st.canc[sl->kind]);
		if (ret != -1)
			failf("%s: %s on %s ended ECANCELED but aio_return() "
			      "= %zd",
			      who, kname[sl->kind], fdx[sl->fx].name, ret);
		if (!cancel_legit(sl)) {
			failf("%s: %s on %s ended ECANCELED but nobody "
			      "cancelled it",
			      who, kname[sl->kind], fdx[sl->fx].name);
			return -1;
		}
		return e;
	}
	if (sl->cancel == C_CANCELED) {
		failf("%s: %s on %s: aio_cancel() said AIO_CANCELED but it "
		      "ended with error %d, return %zd",
		      who, kname[sl->kind], fdx[sl->fx].name, e, ret);
		return -1;
	}
	if (e) {
		failf("%s: %s on %s (%zu bytes at %lld) failed: %s%s", who,
		      kname[sl->kind], fdx[sl->fx].name, sl->len,
		      (long long)sl->cb.aio_offset, strerror(e),
		      sl->cancel == C_NOTCANCELED ? " (after AIO_NOTCANCELED)"
						  : "");
		return -1;
	}
	if (ret != want && !(sl->kind == K_SREAD && ret >= 0 && ret <= want)) {
		failf("%s: %s on %s returned %zd, expected %zd", who,
		      kname[sl->kind], fdx[sl->fx].name, ret, want);
		return -1;
	}
	inc(&st.ok[sl->kind]);
	return 0;
}

/* Single-request cancel with its immediate checks. */
static void cancel_one(const char *who, struct slot *sl)
{
	int r, e;

	inc(&st.cancel_calls);
	r = aio_cancel(sl->cb.aio_fildes, &sl->cb);
	switch (r) {
	case AIO_CANCELED:
		inc(&st.cancel_res[0]);
		e = aio_error(&sl->cb);
		if (e != ECANCELED)
			failf("%s: aio_cancel(%s) = AIO_CANCELED but "
			      "aio_error() = %d",
			      who, kname[sl->kind], e);
		sl->cancel = C_CANCELED;
		break;
	case AIO_NOTCANCELED:
		inc(&st.cancel_res[1]);
		if (sl->cancel == C_NONE)
			sl->cancel = C_NOTCANCELED;
		break;
	case AIO_ALLDONE:
		inc(&st.cancel_res[2]);
		e = aio_error(&sl->cb);
		if (e == EINPROGRESS)
			failf("%s: aio_cancel(%s) = AIO_ALLDONE but it is in "
			      "progress",
			      who, kname[sl->kind]);
		break;
	default:
		failf("%s: aio_cancel(%s on %s) = %d (%s)", who,
		      kname[sl->kind], fdx[sl->fx].name, r, strerror(errno));
	}
}

/* Waits up to ms for cb to leave EINPROGRESS; returns aio_error(). */
static int wait_cb(const struct aiocb *cb, int ms)
{
	const struct aiocb *list[1] = {cb};
	int64_t end = xt_now_ms() + ms;
	int e;

	while ((e = aio_error(cb)) == EINPROGRESS && xt_now_ms() < end) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		aio_suspend(list, 1, &ts);
	}
	return e;
}

/*
 * aio_cancel(fd, NULL) on fdx[fx]; slots[0..n) are the caller's requests
 * (only those on fx in flight are looked at).
 */
static void cancel_fd(const char *who, int fx, struct slot *slots, int n)
{
	int mine[NSLOT], nm = 0, r;

	for (int i = 0; i < n && nm < NSLOT; i++)
		if (slots[i].state == S_BUSY && slots[i].fx == fx)
			mine[nm++] = i;
	inc(&st.cancel_calls);
	inc(&st.cancel_fd);
	atomic_fetch_add(&fdx[fx].cbegin, 1);
	r = aio_cancel(fdx[fx].fd, NULL);
	atomic_fetch_add(&fdx[fx].cend, 1);
	if (r < 0 || r > AIO_ALLDONE) {
		failf("%s: aio_cancel(%s, NULL) = %d (%s)", who, fdx[fx].name,
		      r, strerror(errno));
		return;
	}
	inc(&st.cancel_res[r == AIO_CANCELED	  ? 0
			   : r == AIO_NOTCANCELED ? 1
						  : 2]);
	if (r == AIO_NOTCANCELED)
		return;
	/* Nothing was running: each of mine is cancelled or finished. */
	for (int i = 0; i < nm; i++) {
		struct slot *sl = &slots[mine[i]];
		int64_t t0;
		int e;

		if (aio_error(&sl->cb) != EINPROGRESS)
			continue;
		t0 = xt_now_ms();
		e = wait_cb(&sl->cb, 5000);
		failf("%s: aio_cancel(%s, NULL) = %s but a %s of this "
		      "thread on it was in progress (it ended %d ms later "
		      "with error %d)",
		      who, fdx[fx].name,
		      r == AIO_CANCELED ? "AIO_CANCELED" : "AIO_ALLDONE",
		      kname[sl->kind], (int)(xt_now_ms() - t0), e);
	}
}

/*
 * aio_suspend() on a random subset of slots[0..n) in flight.  forever:
 * may use no timeout (the requests are sure to complete).
 */
static void suspend_some(const char *who, struct slot *slots, int n,
			 uint64_t *rng, bool forever)
{
	const struct aiocb *list[12];
	struct timespec ts = {0, 0}, *tsp = &ts;
	int k = 1 + (int)rndn(rng, 8), nl = 0, nreal = 0, r, e;
	bool predone = false, any = false;

	for (int i = 0; i < n; i++)
		any |= slots[i].state == S_BUSY;
	if (!any)
		return;
	while (nl < k) {
		struct slot *sl = &slots[rndn(rng, (uint32_t)n)];

		if (rndn(rng, 6) == 0) {
			list[nl++] = NULL;
			continue;
		}
		if (sl->state != S_BUSY)
			continue;
		list[nl++] = &sl->cb;
		nreal++;
	}
	if (!nreal)
		return;
	switch (rndn(rng, 3)) {
	case 0:
		break;
	case 1:
		ts.tv_nsec = (long)rndn(rng, 2000000);
		break;
	default:
		if (forever)
			tsp = NULL;
		else
			ts.tv_nsec = 50 * 1000 * 1000;
		break;
	}
	for (int i = 0; i < nl; i++)
		if (list[i] && aio_error(list[i]) != EINPROGRESS)
			predone = true;
	inc(&st.susp);
	r = aio_suspend(list, nl, tsp);
	e = errno;
	if (r == 0) {
		bool done = false;

		inc(&st.susp_ok);
		for (int i = 0; i < nl; i++)
			if (list[i] && aio_error(list[i]) != EINPROGRESS)
				done = true;
		if (!done)
			failf("%s: aio_suspend() = 0 but all %d listed "
			      "requests are in progress",
			      who, nreal);
	} else if (e == EAGAIN) {
		inc(&st.susp_again);
		if (!tsp)
			failf("%s: aio_suspend(no timeout) = EAGAIN", who);
		if (predone)
			failf("%s: aio_suspend() timed out although a listed "
			      "request had completed",
			      who);
	} else if (e == EINTR) {
		inc(&st.susp_intr);
	} else {
		failf("%s: aio_suspend() = %d (%s)", who, r, strerror(e));
	}
}

/* ---- workers ---- */

enum {
	AP_PENDING = 1,
	AP_OK,
	AP_CANCELED,
	AP_BAD, /* failed: may or may not be there */
	AP_REFUSED, /* never submitted */
	AP_SEEN = 0x80,
};

struct blk {
	uint32_t expect; /* version of the last successful write */
	uint32_t next; /* last version handed out */
	uint32_t wr_seq; /* writes submitted */
	uint8_t writing; /* a write is in flight */
	uint8_t unknown; /* a write failed: content undefined */
};

struct worker {
	int idx;
	char name[24];
	pthread_t th;
	pid_t tid;
	uint64_t rng;
	int ninflight;
	uint64_t next_id;
	struct slot slots[NSLOT];
	struct blk blk[NFILES][BPT];
	unsigned char *scratch; /* SLOT_BUF, aligned */
	unsigned char *scratch2; /* one block, aligned */
	uint8_t *ap_state;
	uint64_t ap_next, ap_cap;
	struct aiocb nop;
	_Atomic int phase; /* 0 running, 1 draining, 2 finished */
};

static struct worker *workers[MAXT];
static _Atomic int nfinished;
static _Atomic bool go, release;
static _Atomic uint64_t forks_started;
static uint64_t fork_every;

static struct slot *free_slot(struct worker *w)
{
	uint32_t start = rndn(&w->rng, NSLOT);

	if (w->ninflight >= NSLOT)
		return NULL;
	for (uint32_t i = 0; i < NSLOT; i++) {
		struct slot *sl = &w->slots[(start + i) % NSLOT];

		if (sl->state == S_FREE)
			return sl;
	}
	return NULL;
}

static int nfree(struct worker *w)
{
	int n = 0;

	for (int i = 0; i < NSLOT; i++)
		n += w->slots[i].state == S_FREE;
	return n;
}

static void slot_begin(struct worker *w, struct slot *sl, int kind, int fx)
{
	memset(&sl->cb, 0, sizeof(sl->cb));
	atomic_store(&sl->serial, 0);
	sl->kind = (uint8_t)kind;
	sl->fx = (uint8_t)fx;
	sl->cancel = C_NONE;
	sl->vec = 0;
	sl->niov = 0;
	sl->nb = 0;
	sl->ndep = 0;
	sl->id = ++w->next_id;
	sl->t_sub = xt_now_ms();
	sl->epoch = atomic_load(&fdx[fx].cend);
	sl->cb.aio_fildes = fdx[fx].fd;
}

/*
 * Prepares a data request of kind on file f, blocks [b, b + nb) of this
 * worker.  Writes need every block free of writes in flight.
 */
static bool prep_rw(struct worker *w, struct slot *sl, int kind)
{
	bool write = kind == K_WRITE || kind == K_WRITEV;
	bool vec = kind == K_READV || kind == K_WRITEV;
	int f = (int)rndn(&w->rng, NFILES);
	uint32_t nb = 1 + rndn(&w->rng, MAXNB), b;
	unsigned char *data;

	b = rndn(&w->rng, BPT - nb + 1);
	if (write)
		for (uint32_t i = 0; i < nb; i++)
			if (w->blk[f][b + i].writing)
				return false;
	slot_begin(w, sl, kind, FX_FILE0 + f);
	sl->blk0 = b;
	sl->nb = (uint8_t)nb;
	sl->len = (size_t)nb * BLK;
	sl->cb.aio_offset = (off_t)(w->idx * BPT + b) * BLK;
	sl->cb.aio_lio_opcode = write ? (vec ? XAIO_LIO_WRITEV : LIO_WRITE)
				      : (vec ? XAIO_LIO_READV : LIO_READ);
	if (vec) {
		layout_iov(sl, &w->rng, sl->len, 512);
		XAIO_AIOCB_SET_IOV(&sl->cb, sl->iov, sl->niov);
	} else {
		sl->cb.aio_buf = sl->buf;
		sl->cb.aio_nbytes = sl->len;
	}
	data = vec ? w->scratch : sl->buf;
	for (uint32_t i = 0; i < nb; i++) {
		struct blk *bk = &w->blk[f][b + i];

		if (write) {
			sl->ver[i] = ++bk->next;
			bk->writing = 1;
			bk->wr_seq++;
			fill_block(data + (size_t)i * BLK, (unsigned)f,
				   (unsigned)(w->idx * BPT + b + i), sl->ver[i],
				   (unsigned)w->idx);
		} else {
			sl->wrseq[i] = bk->writing ? NOVER : bk->wr_seq;
		}
	}
	if (write && vec)
		scatter(sl, data);
	return true;
}

static size_t arec_build(unsigned char *p, unsigned t, uint64_t seq, size_t len)
{
	uint32_t h[4] = {AREC_MAGIC, t | (uint32_t)len << 16, (uint32_t)seq, 0};

	h[3] = (uint32_t)mix64(h[0] ^ (uint64_t)h[1] << 32 ^ h[2]);
	memcpy(p, h, sizeof(h));
	fill_stream(p + sizeof(h), len - sizeof(h),
		    (uint64_t)t << 40 ^ seq ^ 0xa99e0000000000ull);
	return len;
}

static bool prep_append(struct worker *w, struct slot *sl)
{
	size_t len = 24 + rndn(&w->rng, AREC_MAX - 24 + 1);
	uint64_t seq = w->ap_next;

	if (seq >= w->ap_cap)
		return false;
	w->ap_next++;
	slot_begin(w, sl, K_APPEND, FX_APPEND);
	sl->seq = seq;
	sl->len = len;
	/* The offset of an O_APPEND write is ignored. */
	sl->cb.aio_offset = rndn(&w->rng, 2) ? 0 : rndn(&w->rng, 1 << 20);
	if (rndn(&w->rng, 3) == 0) {
		arec_build(w->scratch, (unsigned)w->idx, seq, len);
		layout_iov(sl, &w->rng, len, 8);
		scatter(sl, w->scratch);
		XAIO_AIOCB_SET_IOV(&sl->cb, sl->iov, sl->niov);
		sl->cb.aio_lio_opcode = XAIO_LIO_WRITEV;
		sl->vec = 1;
	} else {
		arec_build(sl->buf, (unsigned)w->idx, seq, len);
		sl->cb.aio_buf = sl->buf;
		sl->cb.aio_nbytes = len;
		sl->cb.aio_lio_opcode = LIO_WRITE;
	}
	w->ap_state[seq] = AP_PENDING;
	return true;
}

/* Undoes the bookkeeping of a request that was refused at submission. */
static void undo(struct worker *w, struct slot *sl)
{
	unexpect(atomic_load(&sl->serial));
	if (sl->kind == K_WRITE || sl->kind == K_WRITEV)
		for (int i = 0; i < sl->nb; i++)
			w->blk[sl->fx - FX_FILE0][sl->blk0 + i].writing = 0;
	if (sl->kind == K_APPEND)
		w->ap_state[sl->seq] = AP_REFUSED;
	sl->state = S_FREE;
}

static void verify_read(struct worker *w, struct slot *sl)
{
	int f = sl->fx - FX_FILE0;
	const unsigned char *data = sl->buf;
	char what[160];

	if (is_vec(sl)) {
		gather(sl, w->scratch);
		data = w->scratch;
	}
	for (int i = 0; i < sl->nb; i++) {
		struct blk *bk = &w->blk[f][sl->blk0 + i];
		unsigned gb = (unsigned)(w->idx * BPT) + sl->blk0 + (unsigned)i;

		if (sl->wrseq[i] == NOVER || bk->wr_seq != sl->wrseq[i] ||
		    bk->unknown) {
			inc(&st.vskip);
			continue;
		}
		fill_block(w->scratch2, (unsigned)f, gb, bk->expect,
			   (unsigned)w->idx);
		if (memcmp(data + (size_t)i * BLK, w->scratch2, BLK)) {
			describe_block(data + (size_t)i * BLK, what,
				       sizeof(what));
			failf("%s: %s of %s block %u: expected version %u, "
			      "found %s",
			      w->name, kname[sl->kind], fdx[sl->fx].name, gb,
			      bk->expect, what);
			continue;
		}
		inc(&st.vblocks);
		add(&st.vbytes, BLK);
	}
}

/*
 * An fsync completed: my writes on its fd that were in flight when it was
 * submitted must be on the file.  A write whose status is not published
 * yet may still turn out cancelled (cancel publishes just after letting
 * the fsync go), so a mismatch waits for the verdict.
 */
static void check_fsync_deps(struct worker *w, struct slot *fs)
{
	int fd = fdx[fs->fx].fd, f = fs->fx - FX_FILE0;
	char what[160];

	for (int i = 0; i < fs->ndep; i++) {
		struct slot *d = &w->slots[fs->dep[i]];
		int e;

		if (d->state != S_BUSY || d->id != fs->dep_id[i])
			continue; /* reaped already */
		e = aio_error(&d->cb);
		if (e == EINPROGRESS)
			inc(&st.fsync_lag);
		if (e != 0 && e != EINPROGRESS)
			continue;
		for (int j = 0; j < d->nb; j++) {
			off_t off = d->cb.aio_offset + (off_t)j * BLK;
			unsigned gb = (unsigned)(w->idx * BPT) + d->blk0 +
				      (unsigned)j;

			fill_block(w->scratch, (unsigned)f, gb, d->ver[j],
				   (unsigned)w->idx);
			if (pread(fd, w->scratch2, BLK, off) == BLK &&
			    !memcmp(w->scratch, w->scratch2, BLK))
				continue;
			e = wait_cb(&d->cb, 5000);
			if (e == ECANCELED)
				break;
			describe_block(w->scratch2, what, sizeof(what));
			failf("%s: aio_fsync on %s completed before an "
			      "earlier write: block %u should be version %u, "
			      "holds %s (the write then ended with %d)",
			      w->name, fdx[fs->fx].name, gb, d->ver[j], what,
			      e);
			break;
		}
		inc(&st.fsync_deps);
	}
}

static void finish(struct worker *w, struct slot *sl, int e, ssize_t ret)
{
	int r = check_status(w->name, sl, e, ret);

	switch (sl->kind) {
	case K_READ:
	case K_READV:
		if (r == 0)
			verify_read(w, sl);
		break;
	case K_WRITE:
	case K_WRITEV:
		for (int i = 0; i < sl->nb; i++) {
			struct blk *bk =
				&w->blk[sl->fx - FX_FILE0][sl->blk0 + i];

			bk->writing = 0;
			if (r == 0)
				bk->expect = sl->ver[i];
			else if (r < 0)
				bk->unknown = 1;
		}
		break;
	case K_APPEND:
		w->ap_state[sl->seq] = r == 0		? AP_OK
				       : r == ECANCELED ? AP_CANCELED
							: AP_BAD;
		break;
	case K_FSYNC:
		if (r == 0 && sl->fx < FX_APPEND)
			check_fsync_deps(w, sl);
		break;
	}
}

static void reap(struct worker *w)
{
	int64_t now = xt_now_ms();

	for (int i = 0; i < NSLOT && w->ninflight; i++) {
		struct slot *sl = &w->slots[i];
		ssize_t ret;
		int e;

		if (sl->state != S_BUSY)
			continue;
		e = aio_error(&sl->cb);
		if (e == EINPROGRESS) {
			if (now - sl->t_sub > STUCK_MS) {
				failf("%s: %s on %s in progress for %d s",
				      w->name, kname[sl->kind],
				      fdx[sl->fx].name, STUCK_MS / 1000);
				sl->state = S_STUCK;
				w->ninflight--;
			}
			continue;
		}
		ret = aio_return(&sl->cb);
		finish(w, sl, e, ret);
		sl->state = S_FREE;
		w->ninflight--;
	}
}

/* Submits one prepared slot; false (and undone) when refused. */
static bool submit_slot(struct worker *w, struct slot *sl)
{
	make_note(&sl->cb.aio_sigevent, &w->rng, w->tid, sl->kind, sl, true);
	sl->state = S_BUSY;
	if (submit(sl)) {
		failf("%s: submitting %s on %s: %s", w->name, kname[sl->kind],
		      fdx[sl->fx].name, strerror(errno));
		undo(w, sl);
		return false;
	}
	inc(&st.sub[sl->kind]);
	w->ninflight++;
	return true;
}

static void op_rw(struct worker *w, int kind)
{
	struct slot *sl = free_slot(w);

	if (!sl)
		return;
	if (!prep_rw(w, sl, kind) && !prep_rw(w, sl, kind)) {
		/* Blocks busy with writes: read instead. */
		kind = kind == K_WRITEV ? K_READV : K_READ;
		prep_rw(w, sl, kind);
	}
	if (!budget_take(1)) {
		sl->state = S_BUSY;
		undo(w, sl);
		return;
	}
	submit_slot(w, sl);
}

static void op_append(struct worker *w)
{
	struct slot *sl = free_slot(w);

	if (!sl || !prep_append(w, sl))
		return;
	if (!budget_take(1)) {
		sl->state = S_BUSY;
		undo(w, sl);
		return;
	}
	submit_slot(w, sl);
}

static void op_fsync(struct worker *w)
{
	struct slot *sl = free_slot(w);
	int fx = (int)rndn(&w->rng, NFILES + 1), op, r;

	if (!sl || !budget_take(1))
		return;
	slot_begin(w, sl, K_FSYNC, fx);
	sl->len = 0;
	for (int i = 0; i < NSLOT; i++) {
		struct slot *d = &w->slots[i];

		if (d->state == S_BUSY && d->fx == fx && d->cancel == C_NONE &&
		    (d->kind == K_WRITE || d->kind == K_WRITEV)) {
			sl->dep[sl->ndep] = (uint8_t)i;
			sl->dep_id[sl->ndep++] = d->id;
		}
	}
	make_note(&sl->cb.aio_sigevent, &w->rng, w->tid, K_FSYNC, sl, true);
	op = rndn(&w->rng, 2) ? O_SYNC : O_DSYNC;
	sl->state = S_BUSY;
	r = aio_fsync(op, &sl->cb);
	if (r) {
		failf("%s: aio_fsync(%s) on %s: %s", w->name,
		      op == O_SYNC ? "O_SYNC" : "O_DSYNC", fdx[fx].name,
		      strerror(errno));
		undo(w, sl);
		return;
	}
	inc(&st.sub[K_FSYNC]);
	w->ninflight++;
}

static void op_lio(struct worker *w)
{
	struct aiocb *list[LIO_MAX];
	struct slot *mem[LIO_MAX];
	struct sigevent sev, *sevp = NULL;
	int n = 1 + (int)rndn(&w->rng, LIO_MAX), nm = 0, mode, r, e;
	bool wait = rndn(&w->rng, 2);
	uint64_t ls = 0;

	if (nfree(w) < n || w->ninflight + n > MAX_INFLIGHT + LIO_MAX ||
	    !budget_take((unsigned)n))
		return;
	mode = wait ? LIO_WAIT : LIO_NOWAIT;
	memset(&w->nop, 0, sizeof(w->nop));
	for (int i = 0; i < n; i++) {
		uint32_t c = rndn(&w->rng, 20);
		struct slot *sl;

		if (c == 0) {
			list[i] = NULL;
			continue;
		}
		if (c == 1) {
			w->nop.aio_fildes = fdx[FX_FILE0].fd;
			w->nop.aio_lio_opcode = LIO_NOP;
			w->nop.aio_buf = w->scratch;
			w->nop.aio_nbytes = BLK;
			list[i] = &w->nop;
			continue;
		}
		sl = free_slot(w);
		if (c < 6) {
			if (!prep_append(w, sl)) {
				list[i] = NULL;
				continue;
			}
		} else {
			static const int kinds[] = {K_READ, K_WRITE, K_READV,
						    K_WRITEV};
			int kind = kinds[rndn(&w->rng, 4)];

			if (!prep_rw(w, sl, kind))
				prep_rw(w, sl,
					kind == K_WRITEV ? K_READV : K_READ);
		}
		make_note(&sl->cb.aio_sigevent, &w->rng, w->tid, sl->kind, sl,
			  true);
		sl->state = S_BUSY;
		list[i] = &sl->cb;
		mem[nm++] = sl;
	}
	if (rndn(&w->rng, 4)) {
		/* LIO_WAIT ignores sig: its notification must not fire. */
		ls = make_note(&sev, &w->rng, w->tid, K_LIST, NULL, !wait);
		sevp = &sev;
	}
	inc(wait ? &st.lio_wait : &st.lio_nowait);
	add(&st.lio_entries, (uint64_t)n);
	r = lio_listio(mode, list, n, sevp);
	e = errno;
	for (int i = 0; i < nm; i++) {
		inc(&st.sub[mem[i]->kind]);
		w->ninflight++;
	}
	if (aio_error(&w->nop) != 0)
		failf("%s: a LIO_NOP entry was run (aio_error %d)", w->name,
		      aio_error(&w->nop));
	if (r == 0) {
		if (!wait)
			return;
		for (int i = 0; i < nm; i++) {
			int me = aio_error(&mem[i]->cb);

			if (me == EINPROGRESS)
				failf("%s: lio_listio(LIO_WAIT) = 0 with a %s "
				      "in progress",
				      w->name, kname[mem[i]->kind]);
			else if (me)
				failf("%s: lio_listio(LIO_WAIT) = 0 but a %s "
				      "failed with %d",
				      w->name, kname[mem[i]->kind], me);
		}
		return;
	}
	if (wait && e == EINTR) {
		inc(&st.lio_eintr);
		return;
	}
	if (wait && e == EIO) {
		int nbad = 0;

		inc(&st.lio_eio);
		for (int i = 0; i < nm; i++) {
			int me = aio_error(&mem[i]->cb);

			if (me == EINPROGRESS)
				failf("%s: lio_listio(LIO_WAIT) = EIO with a "
				      "%s in progress",
				      w->name, kname[mem[i]->kind]);
			nbad += me != 0 && me != EINPROGRESS;
		}
		if (!nbad)
			failf("%s: lio_listio(LIO_WAIT) = EIO but no member "
			      "failed",
			      w->name);
		return;
	}
	failf("%s: lio_listio(%s, %d entries) = %d (%s)", w->name,
	      wait ? "LIO_WAIT" : "LIO_NOWAIT", n, r, strerror(e));
	unexpect(ls);
}

static void op_cancel(struct worker *w)
{
	struct slot *sl = NULL;

	if (!budget_take(1))
		return;
	if (rndn(&w->rng, 4) == 0) {
		cancel_fd(w->name, (int)rndn(&w->rng, NFILES + 1), w->slots,
			  NSLOT);
		return;
	}
	for (int tries = 0; tries < 8 && !sl; tries++) {
		struct slot *c = &w->slots[rndn(&w->rng, NSLOT)];

		if (c->state == S_BUSY)
			sl = c;
	}
	if (sl)
		cancel_one(w->name, sl);
}

/* The child's work: its own file, its own notifications. */
static struct slot ch_slots[CH_BLOCKS];

static int child_wait_all(int n, int ms)
{
	int64_t end = xt_now_ms() + ms;

	for (;;) {
		const struct aiocb *list[CH_BLOCKS];
		struct timespec ts = {0, 100 * 1000 * 1000};
		int nl = 0;

		for (int i = 0; i < n; i++)
			if (aio_error(&ch_slots[i].cb) == EINPROGRESS)
				list[nl++] = &ch_slots[i].cb;
		if (!nl)
			return 0;
		if (xt_now_ms() > end)
			return -1;
		aio_suspend(list, nl, &ts);
	}
}

static int child_main(const char *path, uint64_t seed)
{
	uint64_t rng = seed | 1, first;
	pid_t tid = gettid();
	unsigned char *mem = NULL, *want;
	struct aiocb fcb;
	int fd, e;
	uint64_t lost = 0, dup = 0;

	in_child = true;
	alarm(10);
	atomic_store(&nfail, 0);
	for (int i = 0; i < MAX_KINDS; i++) {
		atomic_store(&fail_kinds[i].fmt, NULL);
		atomic_store(&fail_kinds[i].n, 0);
	}
	atomic_store(&n_stray, 0);
	atomic_store(&n_badcode, 0);
	atomic_store(&n_badtid, 0);
	atomic_store(&n_badhow, 0);
	atomic_store(&n_early, 0);
	atomic_store(&n_expected, 0);
	atomic_store(&n_delivered, 0);
	first = atomic_load(&note_next);
	child_first = first;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || posix_memalign((void **)&mem, BLK,
				     (size_t)(CH_BLOCKS + 1) * 2 * BLK)) {
		failf("open %s: %s", path, strerror(errno));
		return 1;
	}
	want = mem + (size_t)CH_BLOCKS * 2 * BLK;
	for (int round = 0; round < 4; round++) {
		struct aiocb *list[8];

		for (int i = 0; i < CH_BLOCKS; i++) {
			struct slot *sl = &ch_slots[i];

			memset(&sl->cb, 0, sizeof(sl->cb));
			sl->buf = mem + (size_t)i * 2 * BLK;
			sl->cb.aio_fildes = fd;
			sl->cb.aio_offset = (off_t)i * BLK;
			sl->cb.aio_buf = sl->buf;
			sl->cb.aio_nbytes = BLK;
			sl->len = BLK;
			if (round == 0) {
				fill_block(sl->buf, 99, (unsigned)i, 1, 0);
				sl->cb.aio_lio_opcode = LIO_WRITE;
			} else if (rndn(&rng, 2)) {
				memset(sl->buf, 0, BLK);
				sl->cb.aio_lio_opcode = LIO_READ;
			} else {
				memset(sl->buf, 0, 2 * BLK);
				layout_iov(sl, &rng, BLK, 512);
				XAIO_AIOCB_SET_IOV(&sl->cb, sl->iov, sl->niov);
				sl->cb.aio_lio_opcode = XAIO_LIO_READV;
			}
			make_note(&sl->cb.aio_sigevent, &rng, tid, K_CHILD, sl,
				  true);
		}
		/* Half one by one, half in lio_listio(LIO_WAIT) lists. */
		for (int i = 0; i < CH_BLOCKS / 2; i++)
			if (submit(&ch_slots[i])) {
				failf("round %d submit: %s", round,
				      strerror(errno));
				return 1;
			}
		for (int i = CH_BLOCKS / 2; i < CH_BLOCKS; i += 8) {
			for (int j = 0; j < 8; j++)
				list[j] = &ch_slots[i + j].cb;
			if (lio_listio(LIO_WAIT, list, 8, NULL) &&
			    errno != EINTR) {
				failf("round %d lio_listio: %s", round,
				      strerror(errno));
				return 1;
			}
		}
		if (child_wait_all(CH_BLOCKS, 4000)) {
			failf("round %d: requests still in progress after "
			      "4 s",
			      round);
			return 1;
		}
		for (int i = 0; i < CH_BLOCKS; i++) {
			struct slot *sl = &ch_slots[i];
			ssize_t ret;

			e = aio_error(&sl->cb);
			ret = aio_return(&sl->cb);
			if (e || ret != BLK) {
				failf("round %d block %d: error %d return %zd",
				      round, i, e, ret);
				continue;
			}
			if (round == 0)
				continue;
			if (is_vec(sl)) {
				gather(sl, want);
				memcpy(sl->buf, want, BLK);
			}
			fill_block(want, 99, (unsigned)i, 1, 0);
			if (memcmp(sl->buf, want, BLK))
				failf("round %d block %d: wrong data", round,
				      i);
		}
		if (round == 0) {
			const struct aiocb *l1[1] = {&fcb};
			struct timespec ts = {4, 0};

			memset(&fcb, 0, sizeof(fcb));
			fcb.aio_fildes = fd;
			if (aio_fsync(O_SYNC, &fcb)) {
				failf("aio_fsync: %s", strerror(errno));
				return 1;
			}
			while (aio_error(&fcb) == EINPROGRESS &&
			       (!aio_suspend(l1, 1, &ts) || errno == EINTR))
				;
			if (aio_error(&fcb) || aio_return(&fcb))
				failf("aio_fsync ended with %d",
				      aio_error(&fcb));
		}
	}
	settle_notes(1000, 3000);
	sweep(first, atomic_load(&note_next), &lost, &dup);
	if (atomic_load(&n_stray) || atomic_load(&n_badcode) ||
	    atomic_load(&n_badtid) || atomic_load(&n_badhow) ||
	    atomic_load(&n_early))
		failf("notifications: %" PRIu64 " stray (the parent's?), "
		      "%" PRIu64 " bad si_code, %" PRIu64
		      " wrong thread, %" PRIu64 " wrong kind, %" PRIu64
		      " before the status",
		      atomic_load(&n_stray), atomic_load(&n_badcode),
		      atomic_load(&n_badtid), atomic_load(&n_badhow),
		      atomic_load(&n_early));
	close(fd);
	unlink(path);
	return atomic_load(&nfail) ? 1 : 0;
}

static void do_fork(struct worker *w)
{
	char path[4200];
	uint64_t k = atomic_load(&forks_started) - 1, cseed;
	int64_t end;
	int status = 0;
	pid_t pid, r;

	snprintf(path, sizeof(path), "%s/child-%" PRIu64, xt_tmpdir(), k);
	cseed = rnd(&w->rng);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		failf("%s: fork: %s", w->name, strerror(errno));
		return;
	}
	if (pid == 0)
		_exit(child_main(path, cseed));
	end = xt_now_ms() + 15000;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (xt_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			failf("%s: fork child %" PRIu64
			      " did not finish in 15 s",
			      w->name, k);
			inc(&st.fork_fail);
			return;
		}
		xt_sleep_ms(2);
	}
	if (r != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		failf("%s: fork child %" PRIu64 " %s %d", w->name, k,
		      r == pid && WIFSIGNALED(status) ? "killed by signal"
						      : "exited with",
		      r != pid		    ? -1
		      : WIFSIGNALED(status) ? WTERMSIG(status)
					    : WEXITSTATUS(status));
		inc(&st.fork_fail);
		return;
	}
	inc(&st.forks);
}

/* Forks when the run is another 1/MAX_FORKS (of N, or of S seconds) on. */
static void maybe_fork(struct worker *w)
{
	uint64_t done = atomic_load(&forks_started);
	uint64_t due = atomic_load(&ops_used) / fork_every;

	/*
	 * AddressSanitizer's allocator (GCC 12) is not fork-safe in a
	 * threaded process: the child can deadlock inside malloc.
	 */
	if (UNDER_ASAN)
		return;
	if (opt.seconds) {
		uint64_t by_time = (uint64_t)(xt_now_ms() - t_start) *
				   MAX_FORKS / ((uint64_t)opt.seconds * 1000);

		if (by_time > due)
			due = by_time;
	}
	if (due > MAX_FORKS)
		due = MAX_FORKS;
	if (done < due &&
	    atomic_compare_exchange_strong(&forks_started, &done, done + 1))
		do_fork(w);
}

static void op_read(struct worker *w)
{
	op_rw(w, K_READ);
}

static void op_write(struct worker *w)
{
	op_rw(w, K_WRITE);
}

static void op_readv(struct worker *w)
{
	op_rw(w, K_READV);
}

static void op_writev(struct worker *w)
{
	op_rw(w, K_WRITEV);
}

static void op_suspend(struct worker *w)
{
	if (budget_take(1))
		suspend_some(w->name, w->slots, NSLOT, &w->rng, true);
}

/*
 * What a worker does next, by weight (per mille).  Each row is one kind of
 * operation with its own checks; a later API (event sets, file operations)
 * joins the mix by adding its rows and the checks they need.
 */
static const struct op_kind {
	unsigned int weight;
	void (*run)(struct worker *w);
} op_kinds[] = {
	{170, op_read},	 {170, op_write},  {80, op_readv},
	{80, op_writev}, {110, op_append}, {15, op_fsync},
	{70, op_lio},	 {80, op_cancel},  {225, op_suspend},
};

static void run_one(struct worker *w)
{
	uint32_t r = rndn(&w->rng, 1000);

	for (size_t i = 0; i < sizeof(op_kinds) / sizeof(op_kinds[0]); i++) {
		if (r < op_kinds[i].weight) {
			op_kinds[i].run(w);
			return;
		}
		r -= op_kinds[i].weight;
	}
}

static void wait_release(void)
{
	atomic_fetch_add(&nfinished, 1);
	while (!atomic_load(&release))
		xt_sleep_ms(2);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int64_t end;

	w->tid = gettid();
	thread_signals();
	while (!atomic_load(&go))
		xt_sleep_ms(1);
	while (budget_left()) {
		reap(w);
		maybe_fork(w);
		if (w->ninflight >= MAX_INFLIGHT) {
			if (budget_take(1))
				suspend_some(w->name, w->slots, NSLOT, &w->rng,
					     true);
			continue;
		}
		run_one(w);
	}
	atomic_store(&w->phase, 1);
	end = xt_now_ms() + 120000;
	while (w->ninflight && xt_now_ms() < end) {
		reap(w);
		if (w->ninflight) {
			const struct aiocb *list[NSLOT];
			struct timespec ts = {0, 100 * 1000 * 1000};
			int nl = 0;

			for (int i = 0; i < NSLOT; i++)
				if (w->slots[i].state == S_BUSY)
					list[nl++] = &w->slots[i].cb;
			aio_suspend(list, nl, &ts);
		}
	}
	if (w->ninflight)
		failf("%s: %d requests still in flight 120 s after the end",
		      w->name, w->ninflight);
	atomic_store(&w->phase, 2);
	wait_release();
	return NULL;
}

/* ---- streams ---- */

enum { SW_PENDING = 1, SW_OK, SW_CANCELED, SW_BAD };

struct stream {
	int id;
	const char *kind;
	int fxw, fxr;
	pthread_t wt, rt;
	pid_t wtid, rtid;
	uint64_t wrng, rrng;
	_Atomic uint64_t next; /* records submitted */
	uint64_t cap;
	uint8_t *status; /* writer: SW_* per record */
	uint8_t *seen; /* reader: 1 per record read */
	struct slot slots[SSLOT];
	int ninflight, depth;
	uint64_t next_id;
	unsigned char *scratch; /* writer's */
	unsigned char *rscratch; /* reader's */
	struct slot rslot;
	unsigned char *acc; /* reader's unparsed bytes */
	size_t have;
	int64_t last; /* last record read, -1 */
	bool broken;
	_Atomic int wphase, rphase;
	char wname[24], rname[24];
};

static struct stream streams[NSTREAMS];

static uint32_t srec_hsum(uint32_t magic, uint32_t seq, uint32_t lensid)
{
	return (uint32_t)mix64(magic ^ (uint64_t)seq << 20 ^
			       (uint64_t)lensid << 40);
}

static size_t srec_build(unsigned char *p, int sid, uint64_t seq, size_t len)
{
	uint32_t h[4] = {SREC_MAGIC, (uint32_t)seq,
			 (uint32_t)len | (uint32_t)sid << 16, 0};

	h[3] = srec_hsum(h[0], h[1], h[2]);
	memcpy(p, h, sizeof(h));
	fill_stream(p + sizeof(h), len - sizeof(h),
		    (uint64_t)sid << 50 ^ seq ^ 0x5753000000000ull);
	return len;
}

static bool sw_prep(struct stream *s, struct slot *sl)
{
	uint64_t seq = atomic_load(&s->next);
	size_t len = 17 + rndn(&s->wrng, REC_MAX - 16);

	if (seq >= s->cap)
		return false;
	memset(&sl->cb, 0, sizeof(sl->cb));
	sl->kind = K_SWRITE;
	sl->fx = (uint8_t)s->fxw;
	sl->cancel = C_NONE;
	sl->id = ++s->next_id;
	sl->t_sub = xt_now_ms();
	sl->epoch = atomic_load(&fdx[s->fxw].cend);
	sl->seq = seq;
	sl->len = len;
	sl->vec = 0;
	sl->cb.aio_fildes = fdx[s->fxw].fd;
	if (rndn(&s->wrng, 4) == 0) {
		srec_build(s->scratch, s->id, seq, len);
		layout_iov(sl, &s->wrng, len, 8);
		scatter(sl, s->scratch);
		XAIO_AIOCB_SET_IOV(&sl->cb, sl->iov, sl->niov);
		sl->cb.aio_lio_opcode = XAIO_LIO_WRITEV;
		sl->vec = 1;
	} else {
		srec_build(sl->buf, s->id, seq, len);
		sl->cb.aio_buf = sl->buf;
		sl->cb.aio_nbytes = len;
		sl->cb.aio_lio_opcode = LIO_WRITE;
	}
	s->status[seq] = SW_PENDING;
	atomic_store(&s->next, seq + 1);
	make_note(&sl->cb.aio_sigevent, &s->wrng, s->wtid, K_SWRITE, sl, true);
	sl->state = S_BUSY;
	return true;
}

static void sw_reap(struct stream *s)
{
	int64_t now = xt_now_ms();

	for (int i = 0; i < SSLOT && s->ninflight; i++) {
		struct slot *sl = &s->slots[i];
		ssize_t ret;
		int e, r;

		if (sl->state != S_BUSY)
			continue;
		e = aio_error(&sl->cb);
		if (e == EINPROGRESS) {
			if (now - sl->t_sub > STUCK_MS) {
				failf("%s: write of record %" PRIu64
				      " in progress for %d s",
				      s->wname, sl->seq, STUCK_MS / 1000);
				sl->state = S_STUCK;
				s->ninflight--;
			}
			continue;
		}
		ret = aio_return(&sl->cb);
		r = check_status(s->wname, sl, e, ret);
		s->status[sl->seq] = r == 0	      ? SW_OK
				     : r == ECANCELED ? SW_CANCELED
						      : SW_BAD;
		sl->state = S_FREE;
		s->ninflight--;
	}
}

static struct slot *sw_free(struct stream *s)
{
	for (int i = 0; i < SSLOT; i++)
		if (s->slots[i].state == S_FREE)
			return &s->slots[i];
	return NULL;
}

static void sw_one(struct stream *s)
{
	struct slot *sl = sw_free(s);

	if (!sl || !budget_take(1) || !sw_prep(s, sl))
		return;
	if (submit(sl)) {
		failf("%s: submitting record %" PRIu64 ": %s", s->wname,
		      sl->seq, strerror(errno));
		unexpect(atomic_load(&sl->serial));
		s->status[sl->seq] = SW_BAD;
		sl->state = S_FREE;
		return;
	}
	inc(&st.sub[K_SWRITE]);
	s->ninflight++;
}

/* 2-4 records in one lio_listio(LIO_NOWAIT): they land in list order. */
static void sw_lio(struct stream *s)
{
	struct aiocb *list[4];
	struct sigevent sev, *sevp = NULL;
	int n = 2 + (int)rndn(&s->wrng, 3), nm = 0, r;
	uint64_t ls = 0;

	if (!budget_take((unsigned)n))
		return;
	for (int i = 0; i < n; i++) {
		struct slot *sl = sw_free(s);

		if (!sl || !sw_prep(s, sl))
			break;
		list[nm++] = &sl->cb;
	}
	if (!nm)
		return;
	if (rndn(&s->wrng, 2)) {
		ls = make_note(&sev, &s->wrng, s->wtid, K_LIST, NULL, true);
		sevp = &sev;
	}
	inc(&st.lio_nowait);
	add(&st.lio_entries, (uint64_t)nm);
	r = lio_listio(LIO_NOWAIT, list, nm, sevp);
	if (r)
		failf("%s: lio_listio(LIO_NOWAIT, %d writes): %s", s->wname, nm,
		      strerror(errno));
	for (int i = 0; i < nm; i++) {
		inc(&st.sub[K_SWRITE]);
		s->ninflight++;
	}
	if (r)
		unexpect(ls);
}

static void *stream_writer(void *arg)
{
	struct stream *s = arg;
	int64_t end;

	s->wtid = gettid();
	thread_signals();
	while (!atomic_load(&go))
		xt_sleep_ms(1);
	s->depth = 1 + (int)rndn(&s->wrng, 8);
	while (budget_left() && atomic_load(&s->next) < s->cap) {
		uint32_t r;

		sw_reap(s);
		/* Keep to about 1/16 of the operations, spread over the run. */
		if (atomic_load(&s->next) > atomic_load(&ops_used) / 16 + 64) {
			struct timespec ts = {0, 200 * 1000};

			nanosleep(&ts, NULL);
			continue;
		}
		if (rndn(&s->wrng, 100) == 0)
			s->depth = 1 + (int)rndn(&s->wrng, 8);
		r = rndn(&s->wrng, 100);
		if (r < 3) {
			struct slot *sl = &s->slots[rndn(&s->wrng, SSLOT)];

			if (!budget_take(1))
				break;
			if (rndn(&s->wrng, 4) == 0)
				cancel_fd(s->wname, s->fxw, s->slots, SSLOT);
			else if (sl->state == S_BUSY)
				cancel_one(s->wname, sl);
		} else if (r < 15 || s->ninflight >= s->depth) {
			if (budget_take(1))
				suspend_some(s->wname, s->slots, SSLOT,
					     &s->wrng, true);
		} else if (r < 25 && s->ninflight + 4 <= SSLOT) {
			sw_lio(s);
		} else {
			sw_one(s);
		}
	}
	atomic_store(&s->wphase, 1);
	end = xt_now_ms() + 120000;
	while (s->ninflight && xt_now_ms() < end) {
		sw_reap(s);
		if (s->ninflight)
			suspend_some(s->wname, s->slots, SSLOT, &s->wrng,
				     false);
	}
	if (s->ninflight)
		failf("%s: %d writes still in flight 120 s after the end",
		      s->wname, s->ninflight);
	/* End of stream for the reader. */
	if (!strcmp(s->kind, "socketpair"))
		shutdown(fdx[s->fxw].fd, SHUT_WR);
	close(fdx[s->fxw].fd);
	atomic_store(&s->wphase, 2);
	wait_release();
	return NULL;
}

/* Parses whole records out of the reader's buffer. */
static void sr_parse(struct stream *s)
{
	size_t pos = 0;

	while (!s->broken && s->have - pos >= 16) {
		unsigned char *p = s->acc + pos, *want = s->rscratch;
		uint32_t h[4];
		size_t len;

		memcpy(h, p, sizeof(h));
		len = h[2] & 0xffff;
		if (h[0] != SREC_MAGIC || (int)(h[2] >> 16) != s->id ||
		    len < 17 || len > REC_MAX ||
		    h[3] != srec_hsum(h[0], h[1], h[2])) {
			failf("%s: bad record header after record %" PRId64
			      " (%zu bytes into the buffer)",
			      s->rname, s->last, pos);
			s->broken = true;
			break;
		}
		if (s->have - pos < len)
			break;
		srec_build(want, s->id, h[1], len);
		if (memcmp(want, p, len)) {
			failf("%s: record %u corrupt", s->rname, h[1]);
			s->broken = true;
			break;
		}
		if ((int64_t)h[1] <= s->last || h[1] >= atomic_load(&s->next)) {
			failf("%s: record %u after record %" PRId64
			      " (out of order, duplicated or never written)",
			      s->rname, h[1], s->last);
			s->broken = true;
			break;
		}
		s->last = h[1];
		s->seen[h[1]] = 1;
		inc(&st.srecs);
		add(&st.sbytes, len);
		pos += len;
	}
	if (s->broken) {
		s->have = 0;
		return;
	}
	memmove(s->acc, s->acc + pos, s->have - pos);
	s->have -= pos;
}

/*
 * Waits for the reader's one request in a random way: polling aio_error(),
 * or aio_suspend() with a timeout of 0 (then a short sleep), 0-2 ms or
 * none.
 */
static int sr_wait(struct stream *s, struct slot *sl)
{
	const struct aiocb *list[2] = {&sl->cb, NULL};
	int mode = (int)rndn(&s->rrng, 4);
	int64_t end = xt_now_ms() + STUCK_MS;
	struct timespec nap = {0, 100 * 1000};
	bool told = false;
	int e;

	while ((e = aio_error(&sl->cb)) == EINPROGRESS) {
		struct timespec ts = {0, 0}, *tsp = &ts;
		int r;

		if (xt_now_ms() > end)
			return e;
		if (mode == 0) {
			nanosleep(&nap, NULL);
			continue;
		}
		if (mode == 2)
			ts.tv_nsec = (long)rndn(&s->rrng, 2000000);
		else if (mode == 3)
			tsp = NULL;
		inc(&st.susp);
		r = aio_suspend(list, 2, tsp);
		if (r == 0) {
			inc(&st.susp_ok);
			if (aio_error(&sl->cb) == EINPROGRESS && !told) {
				failf("%s: aio_suspend() = 0 but the read is "
				      "in progress",
				      s->rname);
				told = true;
			}
		} else if (errno == EAGAIN && tsp) {
			inc(&st.susp_again);
			if (mode == 1)
				nanosleep(&nap, NULL);
		} else if (errno == EINTR) {
			inc(&st.susp_intr);
		} else {
			failf("%s: aio_suspend() = %d (%s)", s->rname, r,
			      strerror(errno));
			return EINPROGRESS;
		}
	}
	return e;
}

static void *stream_reader(void *arg)
{
	struct stream *s = arg;
	struct slot *sl = &s->rslot;
	bool eof = false;
	unsigned char tmp[4096];

	s->rtid = gettid();
	thread_signals();
	while (!atomic_load(&go))
		xt_sleep_ms(1);
	while (!eof) {
		size_t want = 1 + rndn(&s->rrng, RBUF);
		ssize_t ret;
		int e, r;

		memset(&sl->cb, 0, sizeof(sl->cb));
		sl->kind = K_SREAD;
		sl->fx = (uint8_t)s->fxr;
		sl->cancel = C_NONE;
		sl->len = want;
		sl->t_sub = xt_now_ms();
		sl->epoch = atomic_load(&fdx[s->fxr].cend);
		sl->cb.aio_fildes = fdx[s->fxr].fd;
		sl->cb.aio_buf = sl->buf;
		sl->cb.aio_nbytes = want;
		make_note(&sl->cb.aio_sigevent, &s->rrng, s->rtid, K_SREAD, sl,
			  true);
		sl->state = S_BUSY;
		if (aio_read(&sl->cb)) {
			failf("%s: aio_read: %s", s->rname, strerror(errno));
			unexpect(atomic_load(&sl->serial));
			sl->state = S_FREE;
			break;
		}
		inc(&st.sub[K_SREAD]);
		if (rndn(&s->rrng, 16) == 0) {
			if (rndn(&s->rrng, 4) == 0)
				cancel_fd(s->rname, s->fxr, sl, 1);
			else
				cancel_one(s->rname, sl);
		}
		e = sr_wait(s, sl);
		if (e == EINPROGRESS) {
			failf("%s: read in progress for %d s", s->rname,
			      STUCK_MS / 1000);
			break;
		}
		ret = aio_return(&sl->cb);
		sl->state = S_FREE;
		r = check_status(s->rname, sl, e, ret);
		if (r == ECANCELED)
			continue;
		if (r < 0)
			break;
		if (ret == 0) {
			eof = true;
			break;
		}
		if (!s->broken) {
			memcpy(s->acc + s->have, sl->buf, (size_t)ret);
			s->have += (size_t)ret;
			sr_parse(s);
		}
	}
	if (!eof) {
		/* Drain synchronously so the writer can finish. */
		while (read(fdx[s->fxr].fd, tmp, sizeof(tmp)) > 0)
			;
	}
	if (s->have && !s->broken)
		failf("%s: stream ended inside a record (%zu bytes left)",
		      s->rname, s->have);
	atomic_store(&s->rphase, 2);
	wait_release();
	return NULL;
}

/* ---- setup and final checks ---- */

/*
 * Zeroed memory with every page resident, so that RSS does not grow as the
 * run reaches into it (malloc + memset may become an untouched calloc).
 */
static void *alloc_touched(size_t n)
{
	volatile unsigned char *p = malloc(n);

	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p[i] = 0;
	return (void *)p;
}

static bool direct_ok(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	void *buf = xt_aligned(BLK, BLK);
	bool ok = false;

	if (fd >= 0 && buf) {
		memset(buf, 0, BLK);
		ok = pwrite(fd, buf, BLK, 0) == BLK;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	unlink(path);
	return ok;
}

static int setup_files(bool *direct)
{
	unsigned char *buf = xt_aligned(BLK, BLK);
	unsigned nblk = (unsigned)(opt.threads * BPT);

	*direct = direct_ok(xt_path("direct-probe"));
	for (int f = 0; f < NFILES; f++) {
		struct fdx *x = &fdx[FX_FILE0 + f];
		char name[32];
		int flags = O_RDWR | O_CREAT | O_TRUNC;

		x->direct = *direct && f >= NFILES / 2;
		if (x->direct)
			flags |= O_DIRECT;
		snprintf(name, sizeof(name), "data%d", f);
		snprintf(x->name, sizeof(x->name), "data%d%s", f,
			 x->direct ? "(direct)" : "");
		x->fd = open(xt_path(name), flags, 0644);
		if (x->fd < 0) {
			perror("open");
			return -1;
		}
		for (unsigned b = 0; b < nblk; b++) {
			fill_block(buf, (unsigned)f, b, 0, b / BPT);
			if (pwrite(x->fd, buf, BLK, (off_t)b * BLK) != BLK) {
				perror("pwrite");
				return -1;
			}
		}
	}
	free(buf);
	fdx[FX_APPEND].fd = open(xt_path("append"),
				 O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0644);
	snprintf(fdx[FX_APPEND].name, sizeof(fdx[FX_APPEND].name), "append");
	if (fdx[FX_APPEND].fd < 0) {
		perror("open append");
		return -1;
	}
	return 0;
}

static int setup_streams(void)
{
	for (int i = 0; i < NSTREAMS; i++) {
		struct stream *s = &streams[i];
		int p[2];

		s->id = i;
		s->kind = i % 2 ? "socketpair" : "pipe";
		if (i % 2 ? socketpair(AF_UNIX, SOCK_STREAM, 0, p) : pipe(p)) {
			perror("pipe/socketpair");
			return -1;
		}
		s->fxw = FX_STREAM0 + 2 * i;
		s->fxr = s->fxw + 1;
		fdx[s->fxw].fd = p[1];
		fdx[s->fxr].fd = p[0];
		snprintf(fdx[s->fxw].name, sizeof(fdx[0].name), "%s%d.w",
			 s->kind, i);
		snprintf(fdx[s->fxr].name, sizeof(fdx[0].name), "%s%d.r",
			 s->kind, i);
		snprintf(s->wname, sizeof(s->wname), "%s%d-writer", s->kind, i);
		snprintf(s->rname, sizeof(s->rname), "%s%d-reader", s->kind, i);
		s->cap = table_ops / 8 + 1024;
		s->status = alloc_touched(s->cap);
		s->seen = alloc_touched(s->cap);
		s->scratch = malloc(2 * REC_MAX + 64);
		s->rscratch = malloc(2 * REC_MAX + 64);
		s->acc = malloc(RBUF + 2 * REC_MAX);
		s->rslot.buf = malloc(RBUF);
		if (!s->status || !s->seen || !s->scratch || !s->rscratch ||
		    !s->acc || !s->rslot.buf)
			return -1;
		for (int j = 0; j < SSLOT; j++) {
			s->slots[j].buf = malloc(2 * REC_MAX + 64);
			if (!s->slots[j].buf)
				return -1;
		}
		s->last = -1;
		s->wrng = mix64(opt.seed ^ (0x1000u + (unsigned)i)) | 1;
		s->rrng = mix64(opt.seed ^ (0x2000u + (unsigned)i)) | 1;
	}
	return 0;
}

static struct worker *new_worker(int i)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->idx = i;
	snprintf(w->name, sizeof(w->name), "worker%d", i);
	w->rng = mix64(opt.seed ^ (uint64_t)i) | 1;
	w->scratch = xt_aligned(BLK, SLOT_BUF);
	w->scratch2 = xt_aligned(BLK, BLK);
	w->ap_cap = table_ops + 16;
	w->ap_state = alloc_touched(w->ap_cap);
	if (!w->scratch || !w->scratch2 || !w->ap_state)
		return NULL;
	memset(w->scratch, 0, SLOT_BUF);
	for (int j = 0; j < NSLOT; j++) {
		w->slots[j].buf = xt_aligned(BLK, SLOT_BUF);
		if (!w->slots[j].buf)
			return NULL;
		memset(w->slots[j].buf, 0, SLOT_BUF);
	}
	return w;
}

/* Every block of every file must hold its last successful version. */
static void final_blocks(void)
{
	unsigned char *got = xt_aligned(BLK, BLK), *want = xt_aligned(BLK, BLK);
	char what[160];
	int bad = 0;

	for (int t = 0; t < opt.threads; t++) {
		struct worker *w = workers[t];

		for (int f = 0; f < NFILES; f++)
			for (int b = 0; b < BPT; b++) {
				struct blk *bk = &w->blk[f][b];
				unsigned gb = (unsigned)(t * BPT + b);

				if (bk->unknown || bk->writing)
					continue;
				if (pread(fdx[f].fd, got, BLK,
					  (off_t)gb * BLK) != BLK) {
					failf("final pread of %s: %s",
					      fdx[f].name, strerror(errno));
					goto out;
				}
				fill_block(want, (unsigned)f, gb, bk->expect,
					   (unsigned)t);
				if (memcmp(got, want, BLK)) {
					describe_block(got, what, sizeof(what));
					if (bad++ < 10)
						failf("final: %s block %u "
						      "should be version %u, "
						      "holds %s",
						      fdx[f].name, gb,
						      bk->expect, what);
					continue;
				}
				add(&st.final_bytes, BLK);
			}
	}
out:
	free(got);
	free(want);
}

/* Parses the append file and matches it against every thread's record. */
static void final_append(void)
{
	int fd = open(xt_path("append"), O_RDONLY);
	struct stat sb;
	unsigned char *buf, *want;
	size_t size, pos = 0;
	int64_t last[MAXT];
	uint64_t nok = 0, nrec = 0;
	int bad = 0;

	if (fd < 0 || fstat(fd, &sb)) {
		failf("append file: %s", strerror(errno));
		return;
	}
	size = (size_t)sb.st_size;
	buf = malloc(size + 1);
	want = malloc(AREC_MAX);
	if (!buf || !want) {
		failf("append file: out of memory");
		return;
	}
	while (pos < size) {
		ssize_t r = pread(fd, buf + pos, size - pos, (off_t)pos);

		if (r <= 0) {
			failf("append file: read: %s", strerror(errno));
			goto out;
		}
		pos += (size_t)r;
	}
	close(fd);
	for (int t = 0; t < MAXT; t++)
		last[t] = -1;
	pos = 0;
	while (pos < size) {
		uint32_t h[4];
		unsigned t;
		size_t len;
		uint64_t seq;
		struct worker *w;

		if (size - pos < 16) {
			failf("append file: %zu stray bytes at the end",
			      size - pos);
			break;
		}
		memcpy(h, buf + pos, sizeof(h));
		t = h[1] & 0xffff;
		len = h[1] >> 16;
		seq = h[2];
		if (h[0] != AREC_MAGIC || t >= (unsigned)opt.threads ||
		    len < 24 || len > AREC_MAX || pos + len > size ||
		    h[3] != (uint32_t)mix64(h[0] ^ (uint64_t)h[1] << 32 ^
					    h[2])) {
			failf("append file: no valid record at offset %zu "
			      "(after %" PRIu64 " records)",
			      pos, nrec);
			break;
		}
		w = workers[t];
		arec_build(want, t, seq, len);
		if (memcmp(want, buf + pos, len)) {
			failf("append file: record %" PRIu64
			      " of thread %u at offset %zu is corrupt",
			      seq, t, pos);
			break;
		}
		if ((int64_t)seq <= last[t] && bad++ < 10)
			failf("append file: thread %u record %" PRIu64
			      " after %" PRId64 " (out of order or twice)",
			      t, seq, last[t]);
		if (seq >= w->ap_next) {
			if (bad++ < 10)
				failf("append file: thread %u record %" PRIu64
				      " was never submitted",
				      t, seq);
		} else if ((w->ap_state[seq] & 0x7f) == AP_CANCELED) {
			if (bad++ < 10)
				failf("append file: thread %u record %" PRIu64
				      " was cancelled but is in the file",
				      t, seq);
		} else if ((w->ap_state[seq] & 0x7f) != AP_OK &&
			   (w->ap_state[seq] & 0x7f) != AP_BAD) {
			if (bad++ < 10)
				failf("append file: thread %u record %" PRIu64
				      " in state %d is in the file",
				      t, seq, w->ap_state[seq]);
		} else {
			w->ap_state[seq] |= AP_SEEN;
		}
		if ((int64_t)seq > last[t])
			last[t] = (int64_t)seq;
		nrec++;
		pos += len;
		add(&st.abytes, len);
	}
	add(&st.arecs, nrec);
	for (int t = 0; t < opt.threads; t++) {
		struct worker *w = workers[t];

		for (uint64_t s = 0; s < w->ap_next; s++) {
			if ((w->ap_state[s] & 0x7f) != AP_OK)
				continue;
			nok++;
			if (!(w->ap_state[s] & AP_SEEN) && bad++ < 10)
				failf("append file: thread %d record %" PRIu64
				      " completed but is not in the file",
				      t, s);
		}
	}
	if (nok != nrec)
		failf("append file: %" PRIu64 " records, %" PRIu64
		      " successful appends",
		      nrec, nok);
out:
	free(buf);
	free(want);
}

static void final_streams(void)
{
	for (int i = 0; i < NSTREAMS; i++) {
		struct stream *s = &streams[i];
		uint64_t n = atomic_load(&s->next);
		int bad = 0;

		for (uint64_t q = 0; q < n; q++) {
			if (s->status[q] == SW_OK && !s->seen[q] &&
			    !s->broken && bad++ < 10)
				failf("%s: record %" PRIu64
				      " was written but never read",
				      s->rname, q);
			if (s->status[q] == SW_CANCELED && s->seen[q] &&
			    bad++ < 10)
				failf("%s: record %" PRIu64
				      " was cancelled but was read",
				      s->rname, q);
			if (s->status[q] == SW_PENDING && bad++ < 10)
				failf("%s: record %" PRIu64 " never finished",
				      s->wname, q);
		}
	}
}

/* ---- sampling and the watchdog ---- */

struct sample {
	uint64_t ops;
	int64_t ms;
	long rss_kb;
	int threads, pool, iowq;
};

static struct sample samples[11];
static bool sampled[11];

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Threads by name: xaio's pool workers and io_uring's io-wq workers. */
static void count_named(int *pool, int *iowq)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	*pool = *iowq = 0;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			*pool += !strncmp(comm, "xaio-worker", 11);
			*iowq += !strncmp(comm, "iou-wrk", 7);
		}
		fclose(f);
	}
	closedir(d);
}

static void take_sample(int k)
{
	struct sample *s = &samples[k];

	s->ops = atomic_load(&ops_used);
	s->ms = xt_now_ms() - t_start;
	s->rss_kb = rss_kb();
	s->threads = xt_count_threads();
	count_named(&s->pool, &s->iowq);
	sampled[k] = true;
	if (opt.verbose)
		printf("stress: %3d%%: %" PRIu64 " ops, %.1f s, rss %ld KiB, "
		       "%d threads (%d xaio-worker, %d iou-wrk)\n",
		       k * 10, s->ops, s->ms / 1000.0, s->rss_kb, s->threads,
		       s->pool, s->iowq);
}

static int progress_tenths(void)
{
	uint64_t t = atomic_load(&ops_used) * 10 / opt.ops;

	if (opt.seconds) {
		uint64_t tt = (uint64_t)(xt_now_ms() - t_start) * 10 /
			      ((uint64_t)opt.seconds * 1000);

		if (tt > t)
			t = tt;
	}
	if (atomic_load(&stop))
		t = 9;
	return t > 9 ? 9 : (int)t;
}

static void dump_slots(const char *who, struct slot *slots, int n)
{
	int64_t now = xt_now_ms();

	for (int i = 0; i < n; i++) {
		struct slot *sl = &slots[i];

		if (sl->state != S_BUSY)
			continue;
		fprintf(stderr,
			"  %s: %s on %s, %zu bytes at %lld, for %.1f s, "
			"aio_error %d, cancel %d\n",
			who, kname[sl->kind], fdx[sl->fx].name, sl->len,
			(long long)sl->cb.aio_offset,
			(now - sl->t_sub) / 1000.0, aio_error(&sl->cb),
			sl->cancel);
	}
}

static void hang(int total)
{
	failf("no request completed for %d s: hang", HANG_MS / 1000);
	fprintf(stderr, "stress: %d of %d threads finished; in flight:\n",
		atomic_load(&nfinished), total);
	for (int t = 0; t < opt.threads; t++) {
		fprintf(stderr, "  %s: phase %d, %d in flight\n",
			workers[t]->name, atomic_load(&workers[t]->phase),
			workers[t]->ninflight);
		dump_slots(workers[t]->name, workers[t]->slots, NSLOT);
	}
	for (int i = 0; i < NSTREAMS; i++) {
		struct stream *s = &streams[i];

		fprintf(stderr,
			"  %s: phase %d, %d in flight, %" PRIu64
			" records; %s: phase %d, last record %" PRId64 "\n",
			s->wname, atomic_load(&s->wphase), s->ninflight,
			atomic_load(&s->next), s->rname,
			atomic_load(&s->rphase), s->last);
		dump_slots(s->wname, s->slots, SSLOT);
		dump_slots(s->rname, &s->rslot, 1);
	}
	report_suppressed();
	printf("0 passed, 1 failed\n");
	fflush(stdout);
	_exit(1);
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr, "usage: stress [--ops N] [--threads T] [--seconds S] "
			"[--seed X] [--verbose]\n");
	exit(2);
}

static void print_summary(bool direct, int64_t ms, uint64_t lost, uint64_t dup,
			  int rss_ok, int thr_ok)
{
	uint64_t sub = 0, ok = 0, canc = 0;
	const struct sample *a = &samples[2], *z = &samples[10];

	for (int k = 0; k < K_NR; k++) {
		sub += ld(&st.sub[k]);
		ok += ld(&st.ok[k]);
		canc += ld(&st.canc[k]);
	}
	printf("stress: backend %s, %d threads + %d stream pairs, seed "
	       "0x%" PRIx64 ", O_DIRECT %s\n",
	       *xt_backend() ? xt_backend() : "auto", opt.threads, NSTREAMS,
	       opt.seed, direct ? "yes" : "no");
	printf("stress: %" PRIu64 " operations in %.1f s (%.0f/s)\n",
	       atomic_load(&ops_used), ms / 1000.0,
	       atomic_load(&ops_used) * 1000.0 / (double)(ms ? ms : 1));
	printf("stress: submitted %" PRIu64 ":", sub);
	for (int k = 0; k < K_NR; k++)
		printf(" %s %" PRIu64, kname[k], ld(&st.sub[k]));
	printf("\nstress: completed %" PRIu64 ": ok %" PRIu64
	       ", cancelled %" PRIu64 " (",
	       ld(&st.completions), ok, canc);
	for (int k = 0; k < K_NR; k++)
		printf("%s%s %" PRIu64, k ? ", " : "", kname[k],
		       ld(&st.canc[k]));
	printf(")\n");
	printf("stress: lio_listio: LIO_WAIT %" PRIu64 " (EINTR %" PRIu64
	       ", EIO %" PRIu64 "), LIO_NOWAIT %" PRIu64 ", %" PRIu64
	       " entries\n",
	       ld(&st.lio_wait), ld(&st.lio_eintr), ld(&st.lio_eio),
	       ld(&st.lio_nowait), ld(&st.lio_entries));
	printf("stress: aio_cancel: %" PRIu64 " calls (%" PRIu64
	       " fd-wide): AIO_CANCELED %" PRIu64 ", AIO_NOTCANCELED %" PRIu64
	       ", AIO_ALLDONE %" PRIu64 "\n",
	       ld(&st.cancel_calls), ld(&st.cancel_fd), ld(&st.cancel_res[0]),
	       ld(&st.cancel_res[1]), ld(&st.cancel_res[2]));
	printf("stress: aio_suspend: %" PRIu64 " calls: returned %" PRIu64
	       ", timed out %" PRIu64 ", interrupted %" PRIu64 "\n",
	       ld(&st.susp), ld(&st.susp_ok), ld(&st.susp_again),
	       ld(&st.susp_intr));
	printf("stress: notifications: expected %" PRIu64 ", delivered %" PRIu64
	       " (signal %" PRIu64 ", thread %" PRIu64 ", thread-id %" PRIu64
	       "); lost %" PRIu64 ", duplicated %" PRIu64 ", stray %" PRIu64
	       ", bad si_code %" PRIu64 ", wrong thread %" PRIu64
	       ", wrong kind %" PRIu64 ", before the status %" PRIu64 "\n",
	       atomic_load(&n_expected), atomic_load(&n_delivered),
	       atomic_load(&n_kind[NK_SIGNAL]), atomic_load(&n_kind[NK_THREAD]),
	       atomic_load(&n_kind[NK_TID]), lost, dup, atomic_load(&n_stray),
	       atomic_load(&n_badcode), atomic_load(&n_badtid),
	       atomic_load(&n_badhow), atomic_load(&n_early));
	printf("stress: verified %.1f MiB: %" PRIu64 " blocks read (%" PRIu64
	       " skipped: write in flight), final pass %.1f MiB, append file "
	       "%.1f MiB (%" PRIu64 " records), streams %.1f MiB (%" PRIu64
	       " records)\n",
	       (ld(&st.vbytes) + ld(&st.final_bytes) + ld(&st.abytes) +
		ld(&st.sbytes)) /
		       1048576.0,
	       ld(&st.vblocks), ld(&st.vskip), ld(&st.final_bytes) / 1048576.0,
	       ld(&st.abytes) / 1048576.0, ld(&st.arecs),
	       ld(&st.sbytes) / 1048576.0, ld(&st.srecs));
	printf("stress: aio_fsync: %" PRIu64 " earlier writes checked on "
	       "completion (%" PRIu64 " of them not yet reported done)\n",
	       ld(&st.fsync_deps), ld(&st.fsync_lag));
	if (UNDER_ASAN)
		printf("stress: fork: not under AddressSanitizer (its "
		       "allocator is not fork-safe in threaded processes)\n");
	else
		printf("stress: fork: %" PRIu64 " children ok, %" PRIu64
		       " failed\n",
		       ld(&st.forks), ld(&st.fork_fail));
	if (sampled[2] && sampled[10])
		printf("stress: rss %ld -> %ld KiB%s, threads %d -> %d "
		       "(iou-wrk %d -> %d)%s (at 20%% and at the end)\n",
		       a->rss_kb, z->rss_kb, rss_ok ? "" : " (NOT FLAT)",
		       a->threads, z->threads, a->iowq, z->iowq,
		       thr_ok ? "" : " (NOT FLAT)");
	if (ld(&st.no_serial))
		printf("stress: %" PRIu64 " requests ran without notification "
		       "(serial table full)\n",
		       ld(&st.no_serial));
	printf("stress: failures: %d\n", atomic_load(&nfail));
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	bool direct = false;
	int total, last_tenth = 0, rss_ok = 1, thr_ok = 1;
	uint64_t last_done = 0, lost = 0, dup = 0;
	int64_t last_change, ms;

	opt.seed = mix64((uint64_t)time(NULL) ^ (uint64_t)getpid() << 32);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--ops") && i + 1 < argc)
			opt.ops = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--threads") && i + 1 < argc)
			opt.threads = atoi(argv[++i]);
		else if (!strcmp(a, "--seconds") && i + 1 < argc)
			opt.seconds = atoi(argv[++i]);
		else if (!strcmp(a, "--seed") && i + 1 < argc)
			opt.seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--verbose"))
			opt.verbose = true;
		else
			usage();
	}
	if (opt.threads < 1 || opt.threads > MAXT || opt.ops < 100 ||
	    opt.seconds < 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(xt_backend(), "uring") && !xt_uring_available()) {
		printf("skip: io_uring is not available here\n");
		return 77;
	}

	sig_proc = SIGRTMIN + 3;
	sig_tid = SIGRTMIN + 4;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig_proc, &sa, NULL) || sigaction(sig_tid, &sa, NULL)) {
		perror("sigaction");
		return 1;
	}
	thread_signals();
	pthread_attr_init(&joinable_attr);
	pthread_attr_setdetachstate(&joinable_attr, PTHREAD_CREATE_JOINABLE);
	pthread_attr_setstacksize(&joinable_attr, 256 * 1024);

	table_ops = opt.ops < TABLE_OPS ? opt.ops : TABLE_OPS;
	note_cap = table_ops + 65536;
	notes = alloc_touched(note_cap * sizeof(*notes));
	if (!notes) {
		perror("malloc");
		return 1;
	}
	if (setup_files(&direct) || setup_streams())
		return 1;
	for (int t = 0; t < opt.threads; t++) {
		workers[t] = new_worker(t);
		if (!workers[t]) {
			perror("worker");
			return 1;
		}
	}
	fork_every = opt.ops / MAX_FORKS > 10000 ? opt.ops / MAX_FORKS : 10000;

	t_start = xt_now_ms();
	t_deadline = t_start + (int64_t)opt.seconds * 1000;
	total = opt.threads + 2 * NSTREAMS;
	for (int t = 0; t < opt.threads; t++)
		pthread_create(&workers[t]->th, NULL, worker_main, workers[t]);
	for (int i = 0; i < NSTREAMS; i++) {
		pthread_create(&streams[i].wt, NULL, stream_writer,
			       &streams[i]);
		pthread_create(&streams[i].rt, NULL, stream_reader,
			       &streams[i]);
	}
	take_sample(0);
	atomic_store(&go, true);
	last_change = xt_now_ms();
	while (atomic_load(&nfinished) < total) {
		uint64_t c = ld(&st.completions);
		int tenth;

		xt_sleep_ms(10);
		tenth = progress_tenths();
		while (last_tenth < tenth)
			take_sample(++last_tenth);
		if (c != last_done) {
			last_done = c;
			last_change = xt_now_ms();
		} else if (xt_now_ms() - last_change > HANG_MS) {
			hang(total);
		}
	}
	while (last_tenth < 9)
		take_sample(++last_tenth);
	ms = xt_now_ms() - t_start;

	/* Every thread is alive and idle: the notifications can settle. */
	settle_notes(10000, 300000);
	/*
	 * The last sample, quiet: no callback thread is left, and idle
	 * thread-pool workers have retired (after 2 s idle).
	 */
	xt_sleep_ms(2500);
	take_sample(10);
	sweep(1, atomic_load(&note_next), &lost, &dup);
	if (atomic_load(&n_stray) || atomic_load(&n_badcode) ||
	    atomic_load(&n_badtid) || atomic_load(&n_badhow) ||
	    atomic_load(&n_early))
		failf("notifications: %" PRIu64 " stray, %" PRIu64
		      " bad si_code, %" PRIu64 " to the wrong thread, %" PRIu64
		      " of the wrong kind, %" PRIu64 " before the status",
		      atomic_load(&n_stray), atomic_load(&n_badcode),
		      atomic_load(&n_badtid), atomic_load(&n_badhow),
		      atomic_load(&n_early));
	atomic_store(&release, true);
	for (int t = 0; t < opt.threads; t++)
		pthread_join(workers[t]->th, NULL);
	for (int i = 0; i < NSTREAMS; i++) {
		pthread_join(streams[i].wt, NULL);
		pthread_join(streams[i].rt, NULL);
	}

	final_blocks();
	final_append();
	final_streams();
	if (sampled[2] && sampled[10]) {
		const struct sample *a = &samples[2], *z = &samples[10];

		if (!UNDER_ASAN &&
		    z->rss_kb > a->rss_kb + a->rss_kb / 4 + 4096) {
			rss_ok = 0;
			failf("RSS grew from %ld KiB at 20%% to %ld KiB at the "
			      "end",
			      a->rss_kb, z->rss_kb);
		}
		/* io_uring's io-wq workers come and go with the kernel's load.
		 */
		if (z->threads - z->iowq > a->threads - a->iowq + 8) {
			thr_ok = 0;
			failf("threads (not counting iou-wrk) grew from %d at "
			      "20%% to %d at the end",
			      a->threads - a->iowq, z->threads - z->iowq);
		}
	}
	report_suppressed();
	print_summary(direct, ms, lost, dup, rss_ok, thr_ok);
	if (atomic_load(&nfail)) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	printf("1 passed, 0 failed\n");
	return 0;
}
