// SPDX-License-Identifier: MIT
/*
 * Ordering on a handle (scenario 7) and across sets: overlapping reads and
 * writes run in program order (fixed patterns and a random mix checked
 * against a shadow copy: every read must return what sequential execution
 * would have), writes after writes end with the last data; ftruncate,
 * fsync and fallocate are barriers (seen in the data, in the timestamps of
 * the op infos, and with a gate: what is behind a barrier stays pending);
 * disjoint ranges and overlapping reads do not wait for each other;
 * XAIO_ORDER_STRICT gives total order, kept when an op in the middle is
 * cancelled; xaio_opt.after works across sets,
 * names ids already retired or unknown harmlessly, and dep-cancels on a
 * failed predecessor.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "evtest.h"

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}

static struct xaio_file *open_new(const char *name, uint32_t flags)
{
	struct xaio_file *f = NULL;
	struct xaio_opt o = {0};

	o.flags = flags;
	if (xaio_open(&f, xt_path(name), O_RDWR | O_CREAT | O_TRUNC, 0644, &o,
		      NULL) != 0)
		return NULL;
	return f;
}

/* Write a pattern, read it back, over and over, never waiting between. */
static int t_write_then_read(void)
{
	enum { K = 16, LEN = 4096 };
	static unsigned char w[K][LEN], r[K][LEN];
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f;
	int rounds = et_scale(40, 8);
	ssize_t done[K];

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("wtr", 0);
	XT_ASSERT(f != NULL);
	for (int round = 0; round < rounds; round++) {
		for (int k = 0; k < K; k++) {
			xt_fill_pattern(w[k], LEN,
					(uint64_t)(round * K + k) * 7919u);
			memset(r[k], 0, LEN);
			done[k] = -1;
			/* The same bytes each time, or shifted by a half. */
			off_t off = (round & 1) ? (k & 1) * (LEN / 2) : 0;

			XT_ASSERT_EQ(
				xaio_pwrite(f, w[k], LEN, off, NULL, NULL, es),
				0);
			XT_ASSERT_EQ(xaio_pread(f, r[k], LEN, off, &done[k],
						NULL, es),
				     0);
		}
		XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
		XT_ASSERT_EQ(c.failed, 0);
		for (int k = 0; k < K; k++) {
			XT_ASSERT_EQ(done[k], LEN);
			if (xt_memdiff(r[k], w[k], LEN) != (size_t)-1) {
				fprintf(stderr, "round %d pair %d\n", round, k);
				XT_ASSERT_MEM_EQ(r[k], w[k], LEN);
			}
		}
	}
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/*
 * Random overlapping reads and writes against a shadow of the file.  The
 * file is sized first: a read of a hole must not depend on a disjoint
 * (so unordered) write that would extend the file past it.
 */
static int t_random_mix(void)
{
	enum { SPAN = 16384, OPS = 48, MAXLEN = 3000 };
	static unsigned char shadow[SPAN], file[SPAN];
	static unsigned char bufs[OPS][MAXLEN], want[OPS][MAXLEN];
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f;
	int rounds = et_scale(30, 6);
	int is_read[OPS];
	size_t len[OPS], want_n[OPS], fsize = 0;
	off_t off[OPS];
	ssize_t done[OPS];

	XT_REQUIRE_BACKEND();
	rng_state = 12345;
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("mix", 0);
	XT_ASSERT(f != NULL);
	XT_ASSERT_EQ(xaio_ftruncate(f, SPAN, NULL, NULL), 0);
	fsize = SPAN;
	memset(shadow, 0, sizeof(shadow));
	for (int round = 0; round < rounds; round++) {
		for (int i = 0; i < OPS; i++) {
			len[i] = 1 + rnd() % MAXLEN;
			off[i] = (off_t)(rnd() % (SPAN - len[i]));
			is_read[i] = rnd() % 2;
			done[i] = -1;
			if (is_read[i]) {
				size_t n = 0;

				memset(bufs[i], 0xee, len[i]);
				if ((size_t)off[i] < fsize)
					n = fsize - (size_t)off[i];
				if (n > len[i])
					n = len[i];
				memcpy(want[i], shadow + off[i], n);
				want_n[i] = n;
				XT_ASSERT_EQ(xaio_pread(f, bufs[i], len[i],
							off[i], &done[i], NULL,
							es),
					     0);
			} else {
				xt_fill_pattern(bufs[i], len[i],
						rnd() % 100000);
				memcpy(shadow + off[i], bufs[i], len[i]);
				XT_ASSERT_EQ(xaio_pwrite(f, bufs[i], len[i],
							 off[i], NULL, NULL,
							 es),
					     0);
			}
		}
		XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
		XT_ASSERT_EQ(c.failed, 0);
		for (int i = 0; i < OPS; i++) {
			size_t n = want_n[i];

			if (!is_read[i])
				continue;
			XT_ASSERT_EQ(done[i], n);
			if (xt_memdiff(bufs[i], want[i], n) != (size_t)-1) {
				fprintf(stderr,
					"round %d op %d: read %zu at %lld\n",
					round, i, len[i], (long long)off[i]);
				XT_ASSERT_MEM_EQ(bufs[i], want[i], n);
			}
		}
	}
	/* The file ends as the shadow does. */
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(et_file_size(xt_path("mix")), fsize);
	XT_ASSERT_EQ(et_read_file(xt_path("mix"), file, fsize, 0), fsize);
	XT_ASSERT_MEM_EQ(file, shadow, fsize);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/* Overlapping writes: the last one wins, whatever the ranges. */
static int t_write_after_write(void)
{
	enum { N = 24, LEN = 8192 };
	static unsigned char w[N][LEN], shadow[LEN * 3], file[LEN * 3];
	struct xaio_evset *es = NULL;
	struct xaio_file *f;
	int rounds = et_scale(20, 5);

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("waw", 0);
	XT_ASSERT(f != NULL);
	for (int round = 0; round < rounds; round++) {
		memset(shadow, 0, sizeof(shadow));
		XT_ASSERT_EQ(xaio_ftruncate(f, 0, NULL, es), 0);
		for (int i = 0; i < N; i++) {
			off_t off =
				(off_t)((i * 1237 + round * 31) % (2 * LEN));
			size_t len = LEN - (size_t)(i * 97 % 4000);

			memset(w[i], 'A' + (i + round) % 26, len);
			memcpy(shadow + off, w[i], len);
			XT_ASSERT_EQ(
				xaio_pwrite(f, w[i], len, off, NULL, NULL, es),
				0);
		}
		XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL),
			     0);
		memset(file, 0, sizeof(file));
		XT_ASSERT_GE(
			et_read_file(xt_path("waw"), file, sizeof(file), 0), 0);
		XT_ASSERT_MEM_EQ(file, shadow, sizeof(shadow));
	}
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/* write [0,100), ftruncate 0, write [100,200): no overlap, only the barrier. */
static int t_truncate_barrier(void)
{
	static unsigned char a[100], b[100], file[200], zero[100];
	struct xaio_evset *es = NULL;
	struct xaio_file *f;
	int rounds = et_scale(50, 10);

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("trunc", 0);
	XT_ASSERT(f != NULL);
	memset(a, 'A', sizeof(a));
	memset(b, 'B', sizeof(b));
	for (int round = 0; round < rounds; round++) {
		XT_ASSERT_EQ(xaio_pwrite(f, a, 100, 0, NULL, NULL, es), 0);
		XT_ASSERT_EQ(xaio_ftruncate(f, 0, NULL, es), 0);
		XT_ASSERT_EQ(xaio_pwrite(f, b, 100, 100, NULL, NULL, es), 0);
		XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL),
			     0);
		XT_ASSERT_EQ(et_file_size(xt_path("trunc")), 200);
		XT_ASSERT_EQ(et_read_file(xt_path("trunc"), file, 200, 0), 200);
		XT_ASSERT_MEM_EQ(file, zero, 100);
		XT_ASSERT_MEM_EQ(file + 100, b, 100);
	}
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/*
 * With a gate: a write held behind it holds every barrier after it, and
 * every disjoint operation after the barrier; operations before the held
 * one that do not overlap it complete.
 */
static int t_barriers_hold(void)
{
	static unsigned char a[100], b[100], file[300], zero[100];
	const char *which[] = {"ftruncate", "fsync", "fdatasync", "fallocate"};
	struct xaio_op_info info;

	XT_REQUIRE_BACKEND();
	memset(a, 'A', sizeof(a));
	memset(b, 'B', sizeof(b));
	for (int k = 0; k < 4; k++) {
		struct et_gate g;
		struct xaio_evset *es = NULL;
		struct xaio_file *f;
		uint64_t early = 0, held = 0, bar = 0, later = 0, rd = 0;
		struct xaio_opt o;
		int r;

		ET_GATE(&g, "barrier.fifo");
		XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
		f = open_new("barrier", 0);
		XT_ASSERT(f != NULL);
		o = et_id(&early);
		XT_ASSERT_EQ(xaio_pwrite(f, b, 100, 200, NULL, &o, es), 0);
		o = et_after(&g.id, &held);
		XT_ASSERT_EQ(xaio_pwrite(f, a, 100, 0, NULL, &o, es), 0);
		o = et_id(&bar);
		switch (k) {
		case 0:
			r = xaio_ftruncate(f, 0, &o, es);
			break;
		case 1:
			r = xaio_fsync(f, &o, es);
			break;
		case 2:
			r = xaio_fdatasync(f, &o, es);
			break;
		default:
			r = xaio_fallocate(f, 0, 0, 300, &o, es);
			break;
		}
		XT_ASSERT_EQ(r, 0);
		o = et_id(&later);
		XT_ASSERT_EQ(xaio_pwrite(f, b, 100, 100, NULL, &o, es), 0);
		o = et_id(&rd);
		XT_ASSERT_EQ(xaio_pread(f, file, 50, 250, NULL, &o, es), 0);

		XT_ASSERT_EQ(xaio_evset_op_wait(es, early, ET_LONG, &info), 0);
		XT_ASSERT_EQ(info.status, 0);
		fprintf(stderr, "barrier: %s\n", which[k]);
		XT_ASSERT_EQ(xaio_evset_op_wait(es, bar, ET_MS(30), &info),
			     -ETIMEDOUT);
		XT_ASSERT_EQ(xaio_evset_op_wait(es, later, ET_MS(10), &info),
			     -ETIMEDOUT);
		XT_ASSERT_EQ(xaio_evset_op_wait(es, rd, ET_MS(10), &info),
			     -ETIMEDOUT);
		XT_ASSERT_EQ(et_gate_release(&g), 0);
		XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL),
			     0);
		XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
		memset(file, 0, sizeof(file));
		if (k == 0) {
			XT_ASSERT_EQ(et_file_size(xt_path("barrier")), 200);
			XT_ASSERT_EQ(
				et_read_file(xt_path("barrier"), file, 200, 0),
				200);
			XT_ASSERT_MEM_EQ(file, zero, 100);
			XT_ASSERT_MEM_EQ(file + 100, b, 100);
		} else {
			XT_ASSERT_EQ(et_file_size(xt_path("barrier")), 300);
			XT_ASSERT_EQ(
				et_read_file(xt_path("barrier"), file, 300, 0),
				300);
			XT_ASSERT_MEM_EQ(file, a, 100);
			XT_ASSERT_MEM_EQ(file + 100, b, 100);
			XT_ASSERT_MEM_EQ(file + 200, b, 100);
		}
		XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
		XT_ASSERT_EQ(et_gate_close(&g), 0);
	}
	return XT_PASS;
}

/* fsync after everything before it, before everything after it: times. */
static int t_fsync_timestamps(void)
{
	enum { BEFORE = 6, AFTER = 4, LEN = 4096 };
	static unsigned char w[BEFORE + AFTER][LEN];
	struct xaio_evset *es = NULL;
	struct xaio_file *f;
	struct xaio_op_info info;
	uint64_t ids[BEFORE + AFTER], sid = 0;
	int rounds = et_scale(10, 5);

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("fsyncts", 0);
	XT_ASSERT(f != NULL);
	for (int round = 0; round < rounds; round++) {
		struct xaio_op_info before[BEFORE], after[AFTER], fs;
		struct xaio_opt o;

		for (int i = 0; i < BEFORE + AFTER; i++) {
			memset(w[i], 'a' + i, LEN);
			if (i == BEFORE) {
				o = et_id(&sid);
				if (round & 1)
					XT_ASSERT_EQ(xaio_fdatasync(f, &o, es),
						     0);
				else
					XT_ASSERT_EQ(xaio_fsync(f, &o, es), 0);
			}
			o = et_id(&ids[i]);
			if (i % 3 == 2)
				XT_ASSERT_EQ(xaio_pread(f, w[i], LEN,
							(off_t)i * LEN, NULL,
							&o, es),
					     0);
			else
				XT_ASSERT_EQ(xaio_pwrite(f, w[i], LEN,
							 (off_t)i * LEN, NULL,
							 &o, es),
					     0);
		}
		for (int i = 0; i < BEFORE; i++)
			XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[i],
							XAIO_WAIT_FOREVER,
							&before[i]),
				     0);
		for (int i = 0; i < AFTER; i++)
			XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[BEFORE + i],
							XAIO_WAIT_FOREVER,
							&after[i]),
				     0);
		XT_ASSERT_EQ(
			xaio_evset_op_wait(es, sid, XAIO_WAIT_FOREVER, &fs), 0);
		XT_ASSERT_EQ(fs.status, 0);
		XT_ASSERT_NE(fs.t_start_ns, 0);
		XT_ASSERT_LE(fs.t_start_ns, fs.t_end_ns);
		for (int i = 0; i < BEFORE; i++) {
			XT_ASSERT_EQ(before[i].status, 0);
			XT_ASSERT_NE(before[i].t_end_ns, 0);
			XT_ASSERT_GE(fs.t_start_ns, before[i].t_end_ns);
		}
		for (int i = 0; i < AFTER; i++) {
			XT_ASSERT_EQ(after[i].status, 0);
			XT_ASSERT_GE(after[i].t_start_ns, fs.t_end_ns);
		}
		XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &info), -ENOENT);
	}
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/* Disjoint ranges and overlapping reads run past a held operation. */
static int t_independent(void)
{
	static unsigned char a[100], z[100], ob[10], r1[100], r2[100], r3[100],
		r4[10];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f;
	struct xaio_op_info info;
	uint64_t hw = 0, hr = 0, dw = 0, dr = 0, rr = 0, ow = 0, or_ = 0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "indep.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("indep", 0);
	XT_ASSERT(f != NULL);
	memset(a, 'i', sizeof(a));
	memset(ob, 'o', sizeof(ob));
	memset(r2, 0xee, sizeof(r2));
	XT_ASSERT_EQ(xaio_pwrite(f, a, 100, 1000, NULL, NULL, NULL), 100);
	/* Held: a write of [0,100) and a read of [1000,1100). */
	o = et_after(&g.id, &hw);
	XT_ASSERT_EQ(xaio_pwrite(f, a, 100, 0, NULL, &o, es), 0);
	o = et_after(&g.id, &hr);
	XT_ASSERT_EQ(xaio_pread(f, r1, 100, 1000, NULL, &o, es), 0);
	/* Free to run: disjoint, or a read beside a read. */
	o = et_id(&dw);
	XT_ASSERT_EQ(xaio_pwrite(f, a, 100, 200, NULL, &o, es), 0);
	o = et_id(&dr);
	XT_ASSERT_EQ(xaio_pread(f, r2, 100, 400, NULL, &o, es), 0);
	o = et_id(&rr);
	XT_ASSERT_EQ(xaio_pread(f, r3, 100, 1050, NULL, &o, es), 0);
	/* Held behind them: a write over the held read, a read of the write. */
	o = et_id(&ow);
	XT_ASSERT_EQ(xaio_pwrite(f, ob, 10, 1090, NULL, &o, es), 0);
	o = et_id(&or_);
	XT_ASSERT_EQ(xaio_pread(f, r4, 10, 50, NULL, &o, es), 0);

	XT_ASSERT_EQ(xaio_evset_op_wait(es, dw, ET_LONG, &info), 0);
	XT_ASSERT_EQ(info.status, 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, dr, ET_LONG, &info), 0);
	XT_ASSERT_EQ(info.result, 100); /* a hole */
	XT_ASSERT_MEM_EQ(r2, z, 100);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, rr, ET_LONG, &info), 0);
	XT_ASSERT_EQ(info.result, 50);
	XT_ASSERT_MEM_EQ(r3, a, 50);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, ow, ET_MS(20), &info), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, or_, ET_MS(10), &info), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, hw, 0, &info), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, hr, 0, &info), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, hr, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(info.result, 100);
	XT_ASSERT_MEM_EQ(r1, a, 100); /* before the write at 1090 */
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_MEM_EQ(r4, a, 10); /* after the write of [0,100) */
	XT_ASSERT_EQ(et_read_file(xt_path("indep"), r1, 100, 1000), 100);
	XT_ASSERT_MEM_EQ(r1, a, 90);
	XT_ASSERT_MEM_EQ(r1 + 90, ob, 10);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* XAIO_ORDER_STRICT: one at a time, in submission order. */
static int t_strict_order(void)
{
	enum { N = 20, LEN = 512 };
	static unsigned char bufs[N][LEN];
	static struct statx sx[N];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f;
	struct xaio_op_info infos[N];
	uint64_t ids[N];
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "strict.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("strict", XAIO_ORDER_STRICT);
	XT_ASSERT(f != NULL);
	for (int i = 0; i < N; i++) {
		memset(bufs[i], 'a' + i, LEN);
		o = i == 0 ? et_after(&g.id, &ids[i]) : et_id(&ids[i]);
		/* Disjoint ranges, reads and writes mixed. */
		if (i % 4 == 3)
			XT_ASSERT_EQ(xaio_pread(f, bufs[i], LEN,
						(off_t)(i + 40) * LEN, NULL, &o,
						es),
				     0);
		else if (i % 4 == 2)
			XT_ASSERT_EQ(xaio_fstat(f, STATX_SIZE, &sx[i], &o, es),
				     0);
		else
			XT_ASSERT_EQ(xaio_pwrite(f, bufs[i], LEN,
						 (off_t)i * LEN, NULL, &o, es),
				     0);
	}
	/* All held behind the first. */
	XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[1], ET_MS(30), &infos[1]),
		     -ETIMEDOUT);
	XT_ASSERT_EQ(
		xaio_evset_op_wait(es, ids[N - 1], ET_MS(10), &infos[N - 1]),
		-ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	for (int i = 0; i < N; i++) {
		XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[i], XAIO_WAIT_FOREVER,
						&infos[i]),
			     0);
		XT_ASSERT_EQ(infos[i].status, 0);
	}
	for (int i = 1; i < N; i++)
		XT_ASSERT_GE(infos[i].t_start_ns, infos[i - 1].t_end_ns);

	/* Without the flag, the second is not held by the first. */
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	ET_GATE(&g, "strict.fifo");
	f = open_new("strict", 0);
	XT_ASSERT(f != NULL);
	o = et_after(&g.id, &ids[0]);
	XT_ASSERT_EQ(xaio_pwrite(f, bufs[0], LEN, 0, NULL, &o, es), 0);
	o = et_id(&ids[1]);
	XT_ASSERT_EQ(xaio_pwrite(f, bufs[1], LEN, LEN, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[1], ET_LONG, &infos[1]), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[0], 0, &infos[0]), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/*
 * A cancelled op of a strict handle completes at once, but what comes
 * after it still waits for what came before it: here the write and the
 * close behind the cancelled one wait for the gated first write (before
 * the fix they ran at once, and the close freed the handle under it).
 */
static int t_strict_cancel_middle(void)
{
	enum { LEN = 512 };
	static unsigned char a[LEN], b[LEN], c[LEN], back[2 * LEN];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f;
	struct xaio_op_info ia, ib, ic, iz;
	uint64_t ida = 0, idb = 0, idc = 0, idz = 0;
	size_t running = 9;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "strictcancel.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("strictcancel", XAIO_ORDER_STRICT);
	XT_ASSERT(f != NULL);
	memset(a, 'a', LEN);
	memset(b, 'b', LEN);
	memset(c, 'c', LEN);
	o = et_after(&g.id, &ida);
	XT_ASSERT_EQ(xaio_pwrite(f, a, LEN, 0, NULL, &o, es), 0);
	o = et_id(&idb);
	XT_ASSERT_EQ(xaio_pwrite(f, b, LEN, 0, NULL, &o, es), 0);
	o = et_id(&idc);
	XT_ASSERT_EQ(xaio_pwrite(f, c, LEN, LEN, NULL, &o, es), 0);
	o = et_id(&idz);
	XT_ASSERT_EQ(xaio_close(f, &o, es), 0);

	XT_ASSERT_EQ(xaio_evset_cancel(es, idb, &running), 0);
	XT_ASSERT_EQ(running, 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, idb, ET_MS(1000), &ib), 0);
	XT_ASSERT_EQ(ib.status, ECANCELED);
	/* Still behind the gated write. */
	XT_ASSERT_EQ(xaio_evset_op_wait(es, idc, ET_MS(30), &ic), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, idz, 0, &iz), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, ida, XAIO_WAIT_FOREVER, &ia), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, idc, XAIO_WAIT_FOREVER, &ic), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, idz, XAIO_WAIT_FOREVER, &iz), 0);
	XT_ASSERT_EQ(ia.status, 0);
	XT_ASSERT_EQ(ic.status, 0);
	XT_ASSERT_EQ(iz.status, 0);
	XT_ASSERT_GE(ic.t_start_ns, ia.t_end_ns);
	XT_ASSERT_GE(iz.t_start_ns, ic.t_end_ns);
	/* The cancelled write never ran. */
	XT_ASSERT_EQ(et_read_file(xt_path("strictcancel"), back, 2 * LEN, 0),
		     2 * LEN);
	XT_ASSERT_MEM_EQ(back, a, LEN);
	XT_ASSERT_MEM_EQ(back + LEN, c, LEN);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* opt.after across sets and handles (no implicit order between them). */
static int t_after_across_sets(void)
{
	enum { LEN = 4096 };
	static unsigned char w[LEN], r[LEN];
	struct et_gate g;
	struct xaio_evset *s1 = NULL, *s2 = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *a, *b = NULL;
	struct xaio_op_info wi, ri;
	uint64_t wid = 0, rid = 0;
	struct xaio_opt o;
	int rounds = et_scale(30, 6);

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&s1, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_create(&s2, NULL), 0);
	a = open_new("across", 0);
	XT_ASSERT(a != NULL);
	XT_ASSERT_EQ(xaio_open(&b, xt_path("across"), O_RDONLY, 0, NULL, NULL),
		     0);
	for (int round = 0; round < rounds; round++) {
		xt_fill_pattern(w, LEN, (uint64_t)round * 131u);
		memset(r, 0, LEN);
		o = et_id(&wid);
		XT_ASSERT_EQ(xaio_pwrite(a, w, LEN, 0, NULL, &o, s1), 0);
		o = et_after(&wid, &rid);
		XT_ASSERT_EQ(xaio_pread(b, r, LEN, 0, NULL, &o, s2), 0);
		XT_ASSERT_EQ(
			xaio_evset_op_wait(s2, rid, XAIO_WAIT_FOREVER, &ri), 0);
		XT_ASSERT_EQ(ri.result, LEN);
		XT_ASSERT_MEM_EQ(r, w, LEN);
		XT_ASSERT_EQ(
			xaio_evset_op_wait(s1, wid, XAIO_WAIT_FOREVER, &wi), 0);
		XT_ASSERT_GE(ri.t_start_ns, wi.t_end_ns);
	}
	/* Held: the write behind a gate, the read in the other set too. */
	ET_GATE(&g, "across.fifo");
	o = et_after(&g.id, &wid);
	XT_ASSERT_EQ(xaio_pwrite(a, w, LEN, LEN, NULL, &o, s1), 0);
	o = et_after(&wid, &rid);
	XT_ASSERT_EQ(xaio_pread(b, r, LEN, LEN, NULL, &o, s2), 0);
	XT_ASSERT_EQ(xaio_evset_wait(s2, ET_MS(30), 0, &c), -ETIMEDOUT);
	XT_ASSERT_EQ(c.in_progress, 1);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(s2, rid, XAIO_WAIT_FOREVER, &ri), 0);
	XT_ASSERT_EQ(ri.result, LEN);
	XT_ASSERT_MEM_EQ(r, w, LEN);
	XT_ASSERT_EQ(xaio_evset_wait(s1, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_close(a, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(b, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(s1, 0), 0);
	XT_ASSERT_EQ(xaio_evset_close(s2, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* after: retired and unknown ids are satisfied; a failed one cancels. */
static int t_after_edge_cases(void)
{
	static unsigned char w[64];
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f, *bad = NULL;
	struct xaio_op_info info;
	uint64_t done_id = 0, id = 0, bad_id = 0, deps[3];
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("edge", 0);
	XT_ASSERT(f != NULL);
	o = et_id(&done_id);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	/* Retired. */
	o = et_after(&done_id, &id);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 64, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, id, ET_LONG, &info), 0);
	XT_ASSERT_EQ(info.status, 0);
	/* Never existed. */
	deps[0] = UINT64_MAX - 3;
	o = et_after(&deps[0], &id);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 128, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, id, ET_LONG, &info), 0);
	XT_ASSERT_EQ(info.status, 0);
	/* A failed one among several: ECANCELED naming it. */
	o = et_id(&bad_id);
	XT_ASSERT_EQ(xaio_open(&bad, xt_path("edge/none"), O_RDONLY, 0, &o, es),
		     0);
	deps[0] = done_id;
	deps[1] = bad_id;
	deps[2] = UINT64_MAX - 3;
	o = et_id(&id);
	o.after = deps;
	o.n_after = 3;
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 192, NULL, &o, es), 0);
	/* The after array is copied at submission. */
	memset(deps, 0, sizeof(deps));
	XT_ASSERT_EQ(xaio_evset_op_wait(es, id, ET_LONG, &info), 0);
	XT_ASSERT_EQ(info.status, ECANCELED);
	XT_ASSERT_EQ(info.cause, bad_id);
	XT_ASSERT(info.flags & XAIO_INFO_DEP_CANCELED);
	XT_ASSERT_EQ(xaio_close(bad, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.dep_canceled, 1);
	XT_ASSERT_EQ(c.failed, 1);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(et_file_size(xt_path("edge")), 192);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	return XT_PASS;
}

static struct xt_case cases[] = {
	{"write_then_read", t_write_then_read},
	{"random_mix", t_random_mix},
	{"write_after_write", t_write_after_write},
	{"truncate_barrier", t_truncate_barrier},
	{"barriers_hold", t_barriers_hold},
	{"fsync_timestamps", t_fsync_timestamps},
	{"independent", t_independent},
	{"strict_order", t_strict_order},
	{"strict_cancel_middle", t_strict_cancel_middle},
	{"after_across_sets", t_after_across_sets},
	{"after_edge_cases", t_after_edge_cases},
};

XT_MAIN(cases)
