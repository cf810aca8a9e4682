// SPDX-License-Identifier: MIT
/*
 * Buffer policies (scenario 10).  XAIO_BUF_COPY: the data is taken at
 * submission (the buffer is scribbled on and freed before the write runs)
 * and counted in bytes_copied until completion; at the cap,
 * XAIO_COPY_EAGAIN returns -EAGAIN and XAIO_COPY_BLOCK blocks the
 * submitter until copies are freed (never a silent synchronous write); a
 * single copy larger than the cap: -EAGAIN, or -E2BIG in block mode;
 * without a set there is no cap.  XAIO_BUF_GIFT: buf_free exactly once per
 * operation, after it completed, whether it succeeded, was dep-cancelled
 * or was cancelled; never for a submission that returned an error.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "evtest.h"

static struct xaio_evset *cap_set(uint64_t cap, uint32_t full)
{
	struct xaio_evset_attr a;
	struct xaio_evset *es = NULL;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.copy_cap = cap;
	a.copy_full = full;
	if (xaio_evset_create(&es, &a) != 0)
		return NULL;
	return es;
}

static struct xaio_file *open_new(const char *name)
{
	struct xaio_file *f = NULL;

	if (xaio_open(&f, xt_path(name), O_RDWR | O_CREAT | O_TRUNC, 0644, NULL,
		      NULL) != 0)
		return NULL;
	return f;
}

static int t_copy_semantics(void)
{
	enum { LEN = 10000 };
	static unsigned char want[LEN], back[LEN + 300];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f;
	struct xaio_opt o;
	unsigned char *buf = malloc(LEN), *v1 = malloc(100), *v2 = malloc(200);
	struct iovec iov[2] = {{v1, 100}, {v2, 200}};

	XT_REQUIRE_BACKEND();
	XT_ASSERT(buf && v1 && v2);
	ET_GATE(&g, "copy.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("copy");
	XT_ASSERT(f != NULL);
	xt_fill_pattern(buf, LEN, 0);
	memcpy(want, buf, LEN);
	xt_fill_pattern(v1, 100, LEN);
	xt_fill_pattern(v2, 200, LEN + 100);
	o = et_after(&g.id, NULL);
	o.flags = XAIO_BUF_COPY;
	XT_ASSERT_EQ(xaio_pwrite(f, buf, LEN, 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_pwritev(f, iov, 2, LEN, NULL, &o, es), 0);
	/* The caller's memory is its own again at once. */
	memset(buf, 0xde, LEN);
	memset(v1, 0xad, 100);
	memset(v2, 0xbe, 200);
	free(buf);
	free(v1);
	free(v2);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.bytes_copied, LEN + 300);
	XT_ASSERT_EQ(c.in_progress, 2);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 2);
	XT_ASSERT_EQ(c.bytes_copied, 0);
	XT_ASSERT_EQ(et_read_file(xt_path("copy"), back, LEN + 300, 0),
		     LEN + 300);
	XT_ASSERT_MEM_EQ(back, want, LEN);
	for (int i = 0; i < 300; i++)
		XT_ASSERT_EQ(back[LEN + i], xt_pattern((uint64_t)(LEN + i)));
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

static int t_copy_cap_eagain(void)
{
	enum { CAP = 65536, PIECE = 20000 };
	static unsigned char buf[CAP + 1], back[PIECE];
	struct et_gate g;
	struct xaio_evset *es;
	struct xaio_evset_counts c;
	struct xaio_file *f;
	struct xaio_opt o;
	uint64_t id = 0;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "eagain.fifo");
	es = cap_set(CAP, XAIO_COPY_EAGAIN);
	XT_ASSERT(es != NULL);
	f = open_new("eagain");
	XT_ASSERT(f != NULL);
	memset(buf, 'e', sizeof(buf));
	o = et_after(&g.id, NULL);
	o.flags = XAIO_BUF_COPY;
	for (int i = 0; i < 3; i++)
		XT_ASSERT_EQ(xaio_pwrite(f, buf, PIECE, (off_t)i * PIECE, NULL,
					 &o, es),
			     0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.bytes_copied, 3 * PIECE);
	/* 80000 > cap: refused, nothing started, nothing counted. */
	o.op_id = &id;
	XT_ASSERT_EQ(xaio_pwrite(f, buf, PIECE, 3 * PIECE, NULL, &o, es),
		     -EAGAIN);
	XT_ASSERT_EQ(xaio_pwrite(f, buf, CAP - 3 * PIECE + 1, 3 * PIECE, NULL,
				 &o, es),
		     -EAGAIN);
	XT_ASSERT_EQ(id, 0);
	/* Up to the cap is fine. */
	XT_ASSERT_EQ(
		xaio_pwrite(f, buf, CAP - 3 * PIECE, 3 * PIECE, NULL, &o, es),
		0);
	XT_ASSERT_NE(id, 0);
	id = 0;
	XT_ASSERT_EQ(xaio_pwrite(f, buf, 1, CAP, NULL, &o, es), -EAGAIN);
	XT_ASSERT_EQ(id, 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.bytes_copied, CAP);
	XT_ASSERT_EQ(c.inserted, 4);
	/* Borrowed buffers are not counted. */
	o.flags = XAIO_BUF_BORROW;
	XT_ASSERT_EQ(xaio_pwrite(f, buf, PIECE, 4 * PIECE, NULL, &o, es), 0);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.bytes_copied, 0);
	XT_ASSERT_EQ(c.succeeded, 5);
	/* Room again. */
	o = et_id(NULL);
	o.flags = XAIO_BUF_COPY;
	XT_ASSERT_EQ(xaio_pwrite(f, buf, PIECE, 0, NULL, &o, es), 0);
	/* Larger than the cap on its own: never possible. */
	XT_ASSERT_EQ(xaio_pwrite(f, buf, CAP + 1, 0, NULL, &o, es), -EAGAIN);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 6);
	XT_ASSERT_EQ(et_file_size(xt_path("eagain")), 5 * PIECE);
	XT_ASSERT_EQ(et_read_file(xt_path("eagain"), back, PIECE, 2 * PIECE),
		     PIECE);
	XT_ASSERT_MEM_EQ(back, buf, PIECE);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

static int t_copy_cap_block(void)
{
	enum { CAP = 65536, PIECE = 20000 };
	static unsigned char buf[CAP + 1], back[4 * PIECE];
	struct et_gate g;
	struct xaio_evset *es;
	struct xaio_evset_counts c;
	struct xaio_file *f;
	struct xaio_opt o;
	uint64_t t_ret;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "block.fifo");
	es = cap_set(CAP, XAIO_COPY_BLOCK);
	XT_ASSERT(es != NULL);
	f = open_new("block");
	XT_ASSERT(f != NULL);
	o = et_after(&g.id, NULL);
	o.flags = XAIO_BUF_COPY;
	for (int i = 0; i < 3; i++) {
		memset(buf, '0' + i, PIECE);
		XT_ASSERT_EQ(xaio_pwrite(f, buf, PIECE, (off_t)i * PIECE, NULL,
					 &o, es),
			     0);
	}
	/* Never fits: an error, not a wait forever. */
	XT_ASSERT_EQ(xaio_pwrite(f, buf, CAP + 1, 0, NULL, &o, es), -E2BIG);
	/* Does not fit now: blocks until the gated copies are done. */
	XT_ASSERT_EQ(et_gate_release_after(&g, 150), 0);
	memset(buf, '3', PIECE);
	o = et_id(NULL);
	o.flags = XAIO_BUF_COPY;
	XT_ASSERT_EQ(xaio_pwrite(f, buf, PIECE, 3 * PIECE, NULL, &o, es), 0);
	t_ret = et_now_ns();
	XT_ASSERT_NE(atomic_load(&g.released_ns), 0);
	XT_ASSERT_GE(t_ret, atomic_load(&g.released_ns));
	memset(buf, 'x', PIECE); /* copied: no effect */
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_LE(c.bytes_copied, CAP);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 4);
	XT_ASSERT_EQ(c.bytes_copied, 0);
	XT_ASSERT_EQ(et_read_file(xt_path("block"), back, 4 * PIECE, 0),
		     4 * PIECE);
	for (int i = 0; i < 4 * PIECE; i++)
		XT_ASSERT_EQ(back[i], '0' + i / PIECE);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* Without a set, copies are allowed and have no cap. */
static int t_copy_no_set(void)
{
	enum { LEN = 1 << 20 };
	unsigned char *buf = malloc(LEN), *back = malloc(LEN);
	struct xaio_file *f;
	struct xaio_opt o = {0};

	XT_REQUIRE_BACKEND();
	XT_ASSERT(buf && back);
	f = open_new("copy-sync");
	XT_ASSERT(f != NULL);
	xt_fill_pattern(buf, LEN, 1);
	o.flags = XAIO_BUF_COPY;
	XT_ASSERT_EQ(xaio_pwrite(f, buf, LEN, 0, NULL, &o, NULL), LEN);
	XT_ASSERT_EQ(et_read_file(xt_path("copy-sync"), back, LEN, 0), LEN);
	XT_ASSERT_MEM_EQ(back, buf, LEN);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	free(buf);
	free(back);
	return XT_PASS;
}

#define NGIFT 8

struct gifts {
	void *bufs[NGIFT];
	atomic_int frees[NGIFT];
	atomic_int bad;
	_Atomic uint64_t t_free[NGIFT];
};

static struct gifts gifts;

static void gift_free(void *buf, void *ctx)
{
	uintptr_t i = (uintptr_t)ctx;

	if (i >= NGIFT || buf != gifts.bufs[i]) {
		atomic_fetch_add(&gifts.bad, 1);
		return;
	}
	atomic_store(&gifts.t_free[i], et_now_ns());
	atomic_fetch_add(&gifts.frees[i], 1);
	memset(buf, 0xfe, 64);
	free(buf);
}

static int frees_total(void)
{
	int n = 0;

	for (int i = 0; i < NGIFT; i++)
		n += atomic_load(&gifts.frees[i]);
	return n;
}

/* buf_free may run just after the harvest: polls up to 2 s for want. */
static int frees_of(int i, int want)
{
	int64_t end = xt_now_ms() + et_slack_ms(2000);

	while (atomic_load(&gifts.frees[i]) < want && xt_now_ms() < end)
		xt_sleep_ms(1);
	return atomic_load(&gifts.frees[i]);
}

static struct xaio_opt gift_opt(int i, const uint64_t *after, uint64_t *id)
{
	struct xaio_opt o = {0};

	o.flags = XAIO_BUF_GIFT;
	o.buf_free = gift_free;
	o.buf_free_ctx = (void *)(uintptr_t)i;
	o.op_id = id;
	if (after) {
		o.after = after;
		o.n_after = 1;
	}
	return o;
}

static int t_gift(void)
{
	enum { LEN = 64 };
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f, *bad = NULL;
	struct xaio_op_info info[NGIFT];
	uint64_t ids[NGIFT], bad_id = 0, none = 0;
	struct xaio_opt o;
	unsigned char back[LEN];
	void *mine;

	XT_REQUIRE_BACKEND();
	memset(&gifts, 0, sizeof(gifts));
	ET_GATE(&g, "gift.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("gift");
	XT_ASSERT(f != NULL);
	for (int i = 0; i < NGIFT; i++) {
		gifts.bufs[i] = malloc(LEN);
		XT_ASSERT(gifts.bufs[i] != NULL);
		memset(gifts.bufs[i], 'a' + i, LEN);
	}
	/* 0-3: succeed, held until the gate opens. */
	for (int i = 0; i < 4; i++) {
		o = gift_opt(i, &g.id, &ids[i]);
		XT_ASSERT_EQ(xaio_pwrite(f, gifts.bufs[i], LEN, i * LEN, NULL,
					 &o, es),
			     0);
	}
	/* 4: dep-cancelled behind a failed open. */
	o = et_id(&bad_id);
	XT_ASSERT_EQ(xaio_open(&bad, xt_path("gift/none"), O_RDWR, 0, &o, es),
		     0);
	o = gift_opt(4, NULL, &ids[4]);
	XT_ASSERT_EQ(xaio_pwrite(bad, gifts.bufs[4], LEN, 0, NULL, &o, es), 0);
	/* 5: cancelled while held. */
	o = gift_opt(5, &g.id, &ids[5]);
	XT_ASSERT_EQ(xaio_pwrite(f, gifts.bufs[5], LEN, 5 * LEN, NULL, &o, es),
		     0);
	/* 6: refused at submission (negative offset): still the caller's. */
	o = gift_opt(6, NULL, &none);
	XT_ASSERT_EQ(xaio_pwrite(f, gifts.bufs[6], LEN, -1, NULL, &o, es),
		     -EINVAL);
	XT_ASSERT_EQ(none, 0);
	/* 7: synchronous. */
	o = gift_opt(7, NULL, NULL);
	XT_ASSERT_EQ(
		xaio_pwrite(f, gifts.bufs[7], LEN, 7 * LEN, NULL, &o, NULL),
		LEN);
	XT_ASSERT_EQ(atomic_load(&gifts.frees[7]), 1);

	XT_ASSERT_EQ(
		xaio_evset_op_wait(es, ids[4], XAIO_WAIT_FOREVER, &info[4]), 0);
	XT_ASSERT_EQ(info[4].status, ECANCELED);
	XT_ASSERT_EQ(info[4].cause, bad_id);
	XT_ASSERT_EQ(frees_of(4, 1), 1);
	XT_ASSERT_GE(atomic_load(&gifts.t_free[4]), info[4].t_end_ns);
	XT_ASSERT_EQ(xaio_evset_cancel(es, ids[5], NULL) >= 0, 1);
	XT_ASSERT_EQ(
		xaio_evset_op_wait(es, ids[5], XAIO_WAIT_FOREVER, &info[5]), 0);
	XT_ASSERT_EQ(info[5].status, ECANCELED);
	XT_ASSERT_EQ(frees_of(5, 1), 1);
	/* The held ones: not yet. */
	xt_sleep_ms(20);
	for (int i = 0; i < 4; i++)
		XT_ASSERT_EQ(atomic_load(&gifts.frees[i]), 0);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	for (int i = 0; i < 4; i++) {
		XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[i], XAIO_WAIT_FOREVER,
						&info[i]),
			     0);
		XT_ASSERT_EQ(info[i].status, 0);
	}
	XT_ASSERT_EQ(xaio_close(bad, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	for (int i = 0; i < 4; i++) {
		XT_ASSERT_EQ(frees_of(i, 1), 1);
		XT_ASSERT_GE(atomic_load(&gifts.t_free[i]), info[i].t_end_ns);
	}
	XT_ASSERT_EQ(atomic_load(&gifts.frees[6]), 0);
	XT_ASSERT_EQ(atomic_load(&gifts.bad), 0);
	XT_ASSERT_EQ(frees_total(), 7);
	mine = gifts.bufs[6];
	XT_ASSERT_EQ(((unsigned char *)mine)[0], 'g');
	free(mine);
	for (int i = 0; i < 4; i++) {
		XT_ASSERT_EQ(et_read_file(xt_path("gift"), back, LEN, i * LEN),
			     LEN);
		for (int k = 0; k < LEN; k++)
			XT_ASSERT_EQ(back[k], 'a' + i);
	}
	/* Later waits and the set's close free nothing more. */
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	xt_sleep_ms(10);
	XT_ASSERT_EQ(frees_total(), 7);
	return XT_PASS;
}

static int t_gift_needs_free(void)
{
	static unsigned char buf[16];
	struct xaio_evset *es = NULL;
	struct xaio_file *f;
	struct xaio_opt o = {0};

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("gift2");
	XT_ASSERT(f != NULL);
	o.flags = XAIO_BUF_GIFT;
	XT_ASSERT_EQ(xaio_pwrite(f, buf, 16, 0, NULL, &o, es), -EINVAL);
	XT_ASSERT_EQ(xaio_pwrite(f, buf, 16, 0, NULL, &o, NULL), -EINVAL);
	o.flags = XAIO_BUF_MASK; /* not a policy */
	o.buf_free = gift_free;
	XT_ASSERT_EQ(xaio_pwrite(f, buf, 16, 0, NULL, &o, es), -EINVAL);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(et_file_size(xt_path("gift2")), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static struct xt_case cases[] = {
	{"copy_semantics", t_copy_semantics},
	{"copy_cap_eagain", t_copy_cap_eagain},
	{"copy_cap_block", t_copy_cap_block},
	{"copy_no_set", t_copy_no_set},
	{"gift", t_gift},
	{"gift_needs_free", t_gift_needs_free},
};

XT_MAIN(cases)
