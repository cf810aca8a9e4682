// SPDX-License-Identifier: MIT
/*
 * Harvesting and cancelling: xaio_evset_wait_any harvests distinct
 * operations and says -ENOENT on an empty set (-ETIMEDOUT while one is
 * pending); xaio_evset_op_wait by id; xaio_evset_fd becomes readable and
 * counts completions; xaio_evset_cancel: operations not started complete
 * ECANCELED (counted in canceled, callbacks run, their dependents
 * dep-cancelled), running ones are counted in not_canceled and complete
 * normally; one set serving many files (scenario 9); a threaded stress
 * (submitters, a xaio_evset_wait loop and a wait_any consumer: every
 * operation harvested exactly once, none lost); memory stays flat over
 * 100000 completed operations with waits every 1000 (scenario 11: RSS at
 * the end within 4 MiB of RSS after the first 10%; a tenth of the
 * operations under valgrind and the sanitizers, and no RSS check there).
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "evtest.h"

static struct xaio_file *open_new(const char *name)
{
	struct xaio_file *f = NULL;

	if (xaio_open(&f, xt_path(name), O_RDWR | O_CREAT | O_TRUNC, 0644, NULL,
		      NULL) != 0)
		return NULL;
	return f;
}

static int t_wait_any(void)
{
	enum { N = 10 };
	static unsigned char w[64];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f;
	struct xaio_op_info info, seen[N];
	uint64_t ids[N];
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &info), -ENOENT);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, XAIO_WAIT_FOREVER, &info),
		     -ENOENT);
	f = open_new("any");
	XT_ASSERT(f != NULL);
	for (int i = 0; i < N; i++) {
		o = et_id(&ids[i]);
		o.user_tag = (uint64_t)i;
		XT_ASSERT_EQ(xaio_pwrite(f, w, 64, i * 64, NULL, &o, es), 0);
	}
	for (int i = 0; i < N; i++) {
		memset(&seen[i], 0, sizeof(seen[i]));
		XT_ASSERT_EQ(
			xaio_evset_wait_any(es, XAIO_WAIT_FOREVER, &seen[i]),
			0);
		XT_ASSERT_LT(seen[i].user_tag, N);
		XT_ASSERT_EQ(seen[i].op_id, ids[seen[i].user_tag]);
		XT_ASSERT_EQ(seen[i].status, 0);
		XT_ASSERT_EQ(seen[i].result, 64);
		for (int j = 0; j < i; j++)
			XT_ASSERT_NE(seen[j].op_id, seen[i].op_id);
	}
	XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &info), -ENOENT);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, XAIO_WAIT_FOREVER, &info),
		     -ENOENT);

	/* Pending only: a timeout, not -ENOENT; then it comes. */
	ET_GATE(&g, "any.fifo");
	o = et_after(&g.id, &ids[0]);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &info), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, ET_MS(20), &info), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release_after(&g, 50), 0);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_NE(atomic_load(&g.released_ns), 0);
	XT_ASSERT_EQ(info.op_id, ids[0]);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &info), -ENOENT);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

static int t_op_wait(void)
{
	static unsigned char w[64];
	struct et_gate g;
	struct xaio_evset *es = NULL, *other = NULL;
	struct xaio_file *f;
	struct xaio_op_info info;
	uint64_t ids[4], oid = 0, held = 0, t0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_create(&other, NULL), 0);
	f = open_new("opwait");
	XT_ASSERT(f != NULL);
	for (int i = 0; i < 4; i++) {
		o = et_id(&ids[i]);
		XT_ASSERT_EQ(xaio_pwrite(f, w, 10 + i, i * 64, NULL, &o, es),
			     0);
	}
	o = et_id(&oid);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 512, NULL, &o, other), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[2], XAIO_WAIT_FOREVER, &info),
		     0);
	XT_ASSERT_EQ(info.op_id, ids[2]);
	XT_ASSERT_EQ(info.length, 12);
	XT_ASSERT_EQ(info.result, 12);
	XT_ASSERT(!strcmp(info.api, "xaio_pwrite"));
	/* Retired, or in another set, or never: -ENOENT. */
	XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[2], XAIO_WAIT_FOREVER, &info),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oid, XAIO_WAIT_FOREVER, &info),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, UINT64_MAX - 9, 0, &info), -ENOENT);
	XT_ASSERT_EQ(xaio_evset_op_wait(other, oid, XAIO_WAIT_FOREVER, &info),
		     0);
	XT_ASSERT_EQ(info.op_id, oid);
	/* The others are still there, in any order. */
	XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[3], XAIO_WAIT_FOREVER, &info),
		     0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[0], XAIO_WAIT_FOREVER, &info),
		     0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[1], XAIO_WAIT_FOREVER, &info),
		     0);
	XT_ASSERT_EQ(info.length, 11);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &info), -ENOENT);
	/* A pending one: times out, then blocks until it is done. */
	ET_GATE(&g, "opwait.fifo");
	o = et_after(&g.id, &held);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 0, NULL, &o, es), 0);
	t0 = et_now_ns();
	XT_ASSERT_EQ(xaio_evset_op_wait(es, held, ET_MS(30), &info),
		     -ETIMEDOUT);
	XT_ASSERT_GE(et_now_ns() - t0, ET_MS(30));
	XT_ASSERT_EQ(et_gate_release_after(&g, 80), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, held, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_NE(atomic_load(&g.released_ns), 0);
	XT_ASSERT_GE(info.t_start_ns, atomic_load(&g.released_ns));
	XT_ASSERT_EQ(info.status, 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(xaio_evset_close(other, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* Reads the eventfd until it has said total, or ms pass. */
static uint64_t read_counter(int fd, uint64_t total, int ms)
{
	int64_t end = xt_now_ms() + ms;
	uint64_t sum = 0;

	while (sum < total && xt_now_ms() < end) {
		struct pollfd p = {fd, POLLIN, 0};
		uint64_t v = 0;

		if (poll(&p, 1, 10) == 1 && read(fd, &v, 8) == 8)
			sum += v;
	}
	return sum;
}

static int t_evset_fd(void)
{
	static unsigned char w[64];
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct pollfd p;
	int fd;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	fd = xaio_evset_fd(es);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_EQ(xaio_evset_fd(es), fd);
	p.fd = fd;
	p.events = POLLIN;
	XT_ASSERT_EQ(poll(&p, 1, 0), 0);
	XT_ASSERT_EQ(
		xaio_open(&f, xt_path("efd"), O_RDWR | O_CREAT, 0644, NULL, es),
		0);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 0, NULL, NULL, es), 0);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 64, NULL, NULL, es), 0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	p.revents = 0;
	XT_ASSERT_EQ(poll(&p, 1, et_slack_ms(2000)), 1);
	XT_ASSERT(p.revents & POLLIN);
	XT_ASSERT_EQ(read_counter(fd, 3, et_slack_ms(2000)), 3);
	p.revents = 0;
	XT_ASSERT_EQ(poll(&p, 1, 20), 0);
	/* Harvesting changes nothing there; a new completion does. */
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(poll(&p, 1, 0), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(read_counter(fd, 1, et_slack_ms(2000)), 1);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

struct cb_count {
	atomic_int calls, canceled;
};

static void count_cb(struct xaio_evset *es, const struct xaio_op_info *info,
		     void *ctx)
{
	struct cb_count *cc = ctx;

	atomic_fetch_add(&cc->calls, 1);
	if (info->status == ECANCELED)
		atomic_fetch_add(&cc->canceled, 1);
}

/* Everything queued behind a pending operation is cancelled. */
static int t_cancel_queued(void)
{
	enum { N = 5 };
	static unsigned char w[64];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f;
	struct xaio_op_info info;
	struct cb_count cc = {0, 0};
	uint64_t ids[N], t0;
	struct xaio_opt o;
	size_t notc = 99;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "cancel.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, NULL, count_cb, &cc), 0);
	f = open_new("cancel");
	XT_ASSERT(f != NULL);
	for (int i = 0; i < N; i++) {
		o = et_after(&g.id, &ids[i]);
		XT_ASSERT_EQ(xaio_pwrite(f, w, 64, i * 64, NULL, &o, es), 0);
	}
	XT_ASSERT_GE(xaio_evset_cancel(es, 0, &notc), 0);
	XT_ASSERT_EQ(notc, 0);
	/* Done without the gate opening. */
	t0 = et_now_ns();
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_MS(et_slack_ms(2000)), 0, &c), 0);
	XT_ASSERT_LT(et_now_ns() - t0, ET_MS(et_slack_ms(2000)));
	XT_ASSERT_EQ(atomic_load(&g.released_ns), 0);
	XT_ASSERT_EQ(c.canceled, N);
	XT_ASSERT_EQ(c.dep_canceled + c.failed + c.succeeded, 0);
	XT_ASSERT_EQ(c.in_progress, 0);
	XT_ASSERT_EQ(atomic_load(&cc.calls), N);
	XT_ASSERT_EQ(atomic_load(&cc.canceled), N);
	/* Cancelled operations are not errors. */
	XT_ASSERT_EQ(c.errors, 0);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_wait(g.es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(et_file_size(xt_path("cancel")), 0);
	/* Nothing left to cancel. */
	notc = 99;
	XT_ASSERT_GE(xaio_evset_cancel(es, 0, &notc), 0);
	XT_ASSERT_EQ(notc, 0);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &info), -ENOENT);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* One by id; its dependent is dep-cancelled; the others run. */
static int t_cancel_one(void)
{
	static unsigned char w[64];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f;
	struct xaio_op_info info;
	uint64_t a = 0, b = 0, dep = 0;
	struct xaio_opt o;
	size_t notc = 99;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "cancel1.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("cancel1");
	XT_ASSERT(f != NULL);
	o = et_after(&g.id, &a);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 0, NULL, &o, es), 0);
	o = et_after(&g.id, &b);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 64, NULL, &o, es), 0);
	o = et_after(&b, &dep);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 128, NULL, &o, es), 0);
	XT_ASSERT_GE(xaio_evset_cancel(es, b, &notc), 0);
	XT_ASSERT_EQ(notc, 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, b, ET_MS(et_slack_ms(2000)), &info),
		     0);
	XT_ASSERT_EQ(info.status, ECANCELED);
	XT_ASSERT_EQ(info.flags & XAIO_INFO_DEP_CANCELED, 0);
	XT_ASSERT_EQ(info.cause, 0);
	XT_ASSERT_EQ(
		xaio_evset_op_wait(es, dep, ET_MS(et_slack_ms(2000)), &info),
		0);
	XT_ASSERT_EQ(info.status, ECANCELED);
	XT_ASSERT(info.flags & XAIO_INFO_DEP_CANCELED);
	XT_ASSERT_EQ(info.cause, b);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, a, ET_MS(10), &info), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, a, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(info.status, 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.canceled, 1);
	XT_ASSERT_EQ(c.dep_canceled, 1);
	XT_ASSERT_EQ(c.succeeded, 1);
	XT_ASSERT_EQ(et_file_size(xt_path("cancel1")), 64);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* A running operation is not cancelled: it completes normally. */
static int t_cancel_running(void)
{
	struct et_gate g;
	struct xaio_op_info info;
	struct xaio_evset_counts c;
	size_t notc = 0;
	int r;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "running.fifo");
	/* Give the blocking open or read time to be under way. */
	xt_sleep_ms(et_slack_ms(200));
	XT_ASSERT_GE(xaio_evset_cancel(g.es, 0, &notc), 0);
	XT_ASSERT_EQ(notc, 1);
	r = xaio_evset_op_wait(g.es, g.id, ET_MS(20), &info);
	if (r == 0)
		fprintf(stderr,
			"the gate (op %llu, %s) completed unreleased: status "
			"%d flags %u\n",
			(unsigned long long)info.op_id, info.api, info.status,
			info.flags);
	XT_ASSERT_EQ(r, -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(g.es, g.id, XAIO_WAIT_FOREVER, &info),
		     0);
	XT_ASSERT_EQ(info.status, 0);
	XT_ASSERT_EQ(xaio_evset_counts(g.es, &c), 0);
	XT_ASSERT_EQ(c.canceled, 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* Scenario 9: one set, many files. */
static int t_many_files(void)
{
	enum { FILES = 16, LEN = 2048 };
	static unsigned char w[FILES][LEN], r[FILES][LEN];
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	ssize_t got[FILES];
	char name[32];

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	for (int i = 0; i < FILES; i++) {
		struct xaio_file *f = NULL;

		snprintf(name, sizeof(name), "many%d", i);
		xt_fill_pattern(w[i], LEN, 77u * i);
		got[i] = -1;
		XT_ASSERT_EQ(xaio_open(&f, xt_path(name),
				       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL,
				       es),
			     0);
		XT_ASSERT_EQ(xaio_pwrite(f, w[i], LEN, 0, NULL, NULL, es), 0);
		XT_ASSERT_EQ(xaio_pread(f, r[i], LEN, 0, &got[i], NULL, es), 0);
		XT_ASSERT_EQ(xaio_fsync(f, NULL, es), 0);
		XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	}
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 5 * FILES);
	XT_ASSERT_EQ(c.failed + c.dep_canceled + c.canceled, 0);
	for (int i = 0; i < FILES; i++) {
		unsigned char back[LEN];

		XT_ASSERT_EQ(got[i], LEN);
		XT_ASSERT_MEM_EQ(r[i], w[i], LEN);
		snprintf(name, sizeof(name), "many%d", i);
		XT_ASSERT_EQ(et_read_file(xt_path(name), back, LEN, 0), LEN);
		XT_ASSERT_MEM_EQ(back, w[i], LEN);
	}
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/* --- the threaded stress --- */

enum { SUBMITTERS = 4, HANDLES = 4, BLK = 512 };

struct stress {
	struct xaio_evset *es;
	struct xaio_file *f[HANDLES];
	int per_thread;
	atomic_int *harvest; /* per op: harvests by callback */
	atomic_int *any; /* per op: seen by wait_any */
	atomic_int bad_tag, submit_err, wait_err, any_err;
	atomic_int submitting;
	atomic_int any_n;
	unsigned char pattern[SUBMITTERS][BLK];
	uint64_t *ids;
};

static struct stress S;

static void stress_cb(struct xaio_evset *es, const struct xaio_op_info *info,
		      void *ctx)
{
	uint64_t tag = info->user_tag;

	if (tag >= (uint64_t)SUBMITTERS * S.per_thread ||
	    info->op_id != S.ids[tag] || info->status != 0 ||
	    info->result != BLK) {
		atomic_fetch_add(&S.bad_tag, 1);
		return;
	}
	atomic_fetch_add(&S.harvest[tag], 1);
}

static void *stress_submit(void *arg)
{
	int t = (int)(uintptr_t)arg;

	for (int k = 0; k < S.per_thread; k++) {
		uint64_t tag = (uint64_t)t * S.per_thread + k;
		struct xaio_opt o = et_id(&S.ids[tag]);
		int h = k % HANDLES;
		int r;

		o.user_tag = tag;
		r = xaio_pwrite(S.f[h], S.pattern[t], BLK,
				(off_t)((uint64_t)t * S.per_thread + k) * BLK,
				NULL, &o, S.es);
		if (r)
			atomic_fetch_add(&S.submit_err, 1);
	}
	atomic_fetch_sub(&S.submitting, 1);
	return NULL;
}

static void *stress_wait(void *arg)
{
	for (;;) {
		int done = atomic_load(&S.submitting) == 0;
		int r = xaio_evset_wait(S.es, ET_MS(1), 0, NULL);

		if (r != 0 && r != -ETIMEDOUT) {
			atomic_fetch_add(&S.wait_err, 1);
			return NULL;
		}
		if (done && r == 0)
			return NULL;
	}
}

static void *stress_any(void *arg)
{
	for (;;) {
		int done = atomic_load(&S.submitting) == 0;
		struct xaio_op_info info;
		int r = xaio_evset_wait_any(S.es, ET_MS(1), &info);

		if (r == 0) {
			if (info.user_tag <
			    (uint64_t)SUBMITTERS * S.per_thread) {
				atomic_fetch_add(&S.any[info.user_tag], 1);
				atomic_fetch_add(&S.any_n, 1);
			} else {
				atomic_fetch_add(&S.bad_tag, 1);
			}
			continue;
		}
		if (r != -ETIMEDOUT && r != -ENOENT) {
			atomic_fetch_add(&S.any_err, 1);
			return NULL;
		}
		if (done && r == -ENOENT)
			return NULL;
	}
}

static int t_stress(void)
{
	pthread_t sub[SUBMITTERS], waiter, any;
	struct xaio_evset_counts c;
	struct xaio_op_info info;
	int total, lost = 0, dup = 0;
	unsigned char *back;
	char name[32];

	XT_REQUIRE_BACKEND();
	memset(&S, 0, sizeof(S));
	S.per_thread = et_scale(5000, 10);
	total = SUBMITTERS * S.per_thread;
	S.harvest = calloc((size_t)total, sizeof(*S.harvest));
	S.any = calloc((size_t)total, sizeof(*S.any));
	S.ids = calloc((size_t)total, sizeof(*S.ids));
	back = malloc(BLK);
	XT_ASSERT(S.harvest && S.any && S.ids && back);
	XT_ASSERT_EQ(xaio_evset_create(&S.es, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(S.es, NULL, stress_cb, NULL), 0);
	for (int h = 0; h < HANDLES; h++) {
		snprintf(name, sizeof(name), "stress%d", h);
		S.f[h] = open_new(name);
		XT_ASSERT(S.f[h] != NULL);
	}
	for (int t = 0; t < SUBMITTERS; t++)
		memset(S.pattern[t], 'A' + t, BLK);
	atomic_store(&S.submitting, SUBMITTERS);
	XT_ASSERT_EQ(pthread_create(&waiter, NULL, stress_wait, NULL), 0);
	XT_ASSERT_EQ(pthread_create(&any, NULL, stress_any, NULL), 0);
	for (int t = 0; t < SUBMITTERS; t++)
		XT_ASSERT_EQ(pthread_create(&sub[t], NULL, stress_submit,
					    (void *)(uintptr_t)t),
			     0);
	for (int t = 0; t < SUBMITTERS; t++)
		pthread_join(sub[t], NULL);
	pthread_join(waiter, NULL);
	pthread_join(any, NULL);
	XT_ASSERT_EQ(atomic_load(&S.submit_err), 0);
	XT_ASSERT_EQ(atomic_load(&S.wait_err), 0);
	XT_ASSERT_EQ(atomic_load(&S.any_err), 0);
	XT_ASSERT_EQ(atomic_load(&S.bad_tag), 0);
	XT_ASSERT_EQ(xaio_evset_wait(S.es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, total);
	XT_ASSERT_EQ(c.inserted, total);
	XT_ASSERT_EQ(c.in_progress, 0);
	XT_ASSERT_EQ(c.failed + c.canceled + c.dep_canceled, 0);
	for (int i = 0; i < total; i++) {
		int h = atomic_load(&S.harvest[i]), a = atomic_load(&S.any[i]);

		if (h == 0)
			lost++;
		if (h > 1 || a > 1)
			dup++;
		/* Seen by wait_any: harvested by it, so called back once. */
		if (a && h != 1)
			dup++;
	}
	if (lost || dup)
		fprintf(stderr, "%d lost, %d duplicated of %d\n", lost, dup,
			total);
	XT_ASSERT_EQ(lost, 0);
	XT_ASSERT_EQ(dup, 0);
	fprintf(stderr, "%d of %d harvested by wait_any\n",
		atomic_load(&S.any_n), total);
	XT_ASSERT_EQ(xaio_evset_wait_any(S.es, 0, &info), -ENOENT);
	for (int h = 0; h < HANDLES; h++)
		XT_ASSERT_EQ(xaio_close(S.f[h], NULL, NULL), 0);
	/* Every block holds its thread's pattern. */
	for (int i = 0; i < total; i += 7) {
		int t = i / S.per_thread, k = i % S.per_thread;

		snprintf(name, sizeof(name), "stress%d", k % HANDLES);
		XT_ASSERT_EQ(
			et_read_file(xt_path(name), back, BLK, (off_t)i * BLK),
			BLK);
		XT_ASSERT_MEM_EQ(back, S.pattern[t], BLK);
	}
	XT_ASSERT_EQ(xaio_evset_close(S.es, 0), 0);
	for (int h = 0; h < HANDLES; h++) {
		snprintf(name, sizeof(name), "stress%d", h);
		unlink(xt_path(name));
	}
	free(S.harvest);
	free(S.any);
	free(S.ids);
	free(back);
	return XT_PASS;
}

/* Scenario 11: nothing is retained per completed operation. */
static int t_memory_flat(void)
{
	static unsigned char byte = 'm';
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f;
	/* ET_FLAT_OPS: the stress label runs it with 10^6. */
	const char *env = getenv("ET_FLAT_OPS");
	int total = env ? atoi(env) : et_scale(100000, 10), batch = 1000;
	long rss_early = 0, rss_end;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	f = open_new("flat");
	XT_ASSERT(f != NULL);
	for (int i = 0; i < total; i++) {
		XT_ASSERT_EQ(xaio_pwrite(f, &byte, 1, i % 4096, NULL, NULL, es),
			     0);
		if ((i + 1) % batch == 0) {
			XT_ASSERT_EQ(
				xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL),
				0);
			/* A failure now and then: its record read and freed. */
			if ((i + 1) % (10 * batch) == 0) {
				struct xaio_error e;
				size_t n = 0;
				struct xaio_file *bad = NULL;

				XT_ASSERT_EQ(xaio_open(&bad, xt_path("flat/x"),
						       O_RDONLY, 0, NULL, es),
					     0);
				XT_ASSERT_EQ(xaio_close(bad, NULL, es), 0);
				XT_ASSERT_EQ(xaio_evset_wait(es,
							     XAIO_WAIT_FOREVER,
							     0, NULL),
					     0);
				XT_ASSERT_EQ(xaio_evset_errors(es, &e, 1, &n),
					     0);
				XT_ASSERT_EQ(n, 1);
				xaio_evset_free_errors(&e, n);
			}
		}
		if (i + 1 == total / 10)
			rss_early = et_rss_kib();
	}
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	rss_end = et_rss_kib();
	XT_ASSERT_GE(c.succeeded, (uint64_t)total);
	XT_ASSERT_EQ(c.errors, 0);
	XT_ASSERT_GT(rss_early, 0);
	fprintf(stderr, "%d ops: RSS %ld KiB after %d, %ld KiB at the end\n",
		total, rss_early, total / 10, rss_end);
	/* Sanitizers and valgrind grow their own shadow and quarantine. */
	if (!xt_sanitized())
		XT_ASSERT_LT(rss_end - rss_early, 4096);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static struct xt_case cases[] = {
	{"wait_any", t_wait_any},	{"op_wait", t_op_wait},
	{"evset_fd", t_evset_fd},	{"cancel_queued", t_cancel_queued},
	{"cancel_one", t_cancel_one},	{"cancel_running", t_cancel_running},
	{"many_files", t_many_files},	{"stress", t_stress},
	{"memory_flat", t_memory_flat},
};

XT_MAIN(cases)
