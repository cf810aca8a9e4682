// SPDX-License-Identifier: MIT
/*
 * Callbacks (scenario 12): in waiter mode the complete callback runs only
 * at harvest, in the thread that harvests (never before, never elsewhere);
 * in worker mode it runs without anyone waiting, and xaio_evset_wait,
 * _wait_any and _op_wait called from it return -EDEADLK; NULL
 * unregisters; an insert callback's veto makes the submission return
 * -ECANCELED with nothing run, nothing counted, no id written, no file
 * created; insert and complete callbacks see the right op ids, tags and
 * statuses, each operation once; callbacks may call into the set (no
 * internal lock held): counts, and a new submission.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "evtest.h"

#define MAXREC 256

struct rec {
	pthread_mutex_t lock;
	int n_ins, n_done;
	uint64_t ins_ids[MAXREC], done_ids[MAXREC];
	uint64_t done_tags[MAXREC];
	int32_t done_status[MAXREC];
	pthread_t done_thr[MAXREC];
	int veto; /* insert: veto pwrites */
	int deadlk[3]; /* worker mode: results of the waits */
	int deadlk_bad;
};

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
}

static int on_insert(struct xaio_evset *es, const struct xaio_op_info *info,
		     void *ctx)
{
	struct rec *r = ctx;
	int veto;

	XT_CHECK(info->op_id != 0);
	XT_CHECK(info->api != NULL);
	pthread_mutex_lock(&r->lock);
	veto = r->veto && info->api && !strcmp(info->api, "xaio_pwrite");
	if (r->n_ins < MAXREC)
		r->ins_ids[r->n_ins] = info->op_id;
	r->n_ins++;
	pthread_mutex_unlock(&r->lock);
	return veto;
}

static void on_done(struct xaio_evset *es, const struct xaio_op_info *info,
		    void *ctx)
{
	struct rec *r = ctx;

	XT_CHECK(info->status != EINPROGRESS);
	pthread_mutex_lock(&r->lock);
	if (r->n_done < MAXREC) {
		r->done_ids[r->n_done] = info->op_id;
		r->done_tags[r->n_done] = info->user_tag;
		r->done_status[r->n_done] = info->status;
		r->done_thr[r->n_done] = pthread_self();
	}
	r->n_done++;
	pthread_mutex_unlock(&r->lock);
}

static int n_done(struct rec *r)
{
	int n;

	pthread_mutex_lock(&r->lock);
	n = r->n_done;
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* Polls (worker mode) until n callbacks ran or 5 s passed. */
static int wait_done(struct rec *r, int n)
{
	int64_t end = xt_now_ms() + et_slack_ms(5000);

	while (n_done(r) < n && xt_now_ms() < end)
		xt_sleep_ms(1);
	return n_done(r);
}

struct waiter {
	struct xaio_evset *es;
	int r;
	pthread_t self;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->self = pthread_self();
	w->r = xaio_evset_wait(w->es, XAIO_WAIT_FOREVER, 0, NULL);
	return NULL;
}

/* Waiter mode: only at harvest, only in the harvesting thread. */
static int t_waiter_thread(void)
{
	enum { N = 6 };
	static unsigned char w[64];
	struct xaio_evset *es;
	struct xaio_file *f = NULL, *wo = NULL;
	struct rec r;
	struct waiter wt;
	pthread_t th;
	uint64_t ids[N + 2];
	struct xaio_opt o;
	int fd;

	XT_REQUIRE_BACKEND();
	rec_init(&r);
	es = et_set(XAIO_ERR_CONTINUE, XAIO_CB_WAITER);
	XT_ASSERT(es != NULL);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, NULL, on_done, &r), 0);
	fd = xt_make_file("waiter-wo", 64, 0);
	XT_ASSERT_GE(fd, 0);
	close(fd);
	o = et_id(&ids[0]);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("waiter"), O_RDWR | O_CREAT, 0644,
			       &o, es),
		     0);
	XT_ASSERT_EQ(
		xaio_open(&wo, xt_path("waiter-wo"), O_WRONLY, 0, NULL, NULL),
		0);
	for (int i = 1; i <= N; i++) {
		o = et_id(&ids[i]);
		o.user_tag = 1000u + i;
		XT_ASSERT_EQ(xaio_pwrite(f, w, 64, i * 64, NULL, &o, es), 0);
	}
	/* One that fails: called back too, with its status. */
	o = et_id(&ids[N + 1]);
	XT_ASSERT_EQ(xaio_pread(wo, w, 64, 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(xaio_file_wait(wo, XAIO_WAIT_FOREVER), 0);
	xt_sleep_ms(20);
	XT_ASSERT_EQ(n_done(&r), 0);
	wt.es = es;
	wt.r = -1;
	XT_ASSERT_EQ(pthread_create(&th, NULL, wait_thread, &wt), 0);
	pthread_join(th, NULL);
	XT_ASSERT_EQ(wt.r, 0);
	XT_ASSERT_EQ(n_done(&r), N + 2);
	for (int i = 0; i < N + 2; i++) {
		int k = -1;

		XT_ASSERT(pthread_equal(r.done_thr[i], wt.self));
		for (int j = 0; j < N + 2; j++)
			if (r.done_ids[j] == ids[i])
				k = j;
		XT_ASSERT_GE(k, 0);
		if (i >= 1 && i <= N) {
			XT_ASSERT_EQ(r.done_tags[k], 1000 + i);
			XT_ASSERT_EQ(r.done_status[k], 0);
		}
		if (i == N + 1)
			XT_ASSERT_EQ(r.done_status[k], EBADF);
	}
	/* Harvested once: another wait calls nothing. */
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(n_done(&r), N + 2);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(wo, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	return XT_PASS;
}

/* wait_any and op_wait harvest: their thread runs the callback. */
static int t_waiter_single(void)
{
	static unsigned char w[64];
	struct xaio_evset *es;
	struct xaio_file *f = NULL;
	struct xaio_op_info info;
	struct rec r;
	uint64_t a = 0, b = 0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	rec_init(&r);
	es = et_set(XAIO_ERR_CONTINUE, XAIO_CB_WAITER);
	XT_ASSERT(es != NULL);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("single"), O_RDWR | O_CREAT, 0644,
			       NULL, NULL),
		     0);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, NULL, on_done, &r), 0);
	o = et_id(&a);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 0, NULL, &o, es), 0);
	o = et_id(&b);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 64, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, b, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(n_done(&r), 1);
	XT_ASSERT_EQ(r.done_ids[0], b);
	XT_ASSERT(pthread_equal(r.done_thr[0], pthread_self()));
	XT_ASSERT_EQ(xaio_evset_wait_any(es, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(info.op_id, a);
	XT_ASSERT_EQ(n_done(&r), 2);
	XT_ASSERT_EQ(r.done_ids[1], a);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static struct xaio_evset *dl_set;

static void deadlock_cb(struct xaio_evset *es, const struct xaio_op_info *info,
			void *ctx)
{
	struct rec *r = ctx;
	struct xaio_op_info other;
	int a = xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL);
	int b = xaio_evset_wait_any(es, XAIO_WAIT_FOREVER, &other);
	int c = xaio_evset_op_wait(es, info->op_id, XAIO_WAIT_FOREVER, &other);

	XT_CHECK(es == dl_set);
	pthread_mutex_lock(&r->lock);
	if (a != -EDEADLK || b != -EDEADLK || c != -EDEADLK) {
		r->deadlk_bad++;
		r->deadlk[0] = a;
		r->deadlk[1] = b;
		r->deadlk[2] = c;
	}
	pthread_mutex_unlock(&r->lock);
	on_done(es, info, ctx);
}

/* Worker mode: called without a wait; waiting from it is -EDEADLK. */
static int t_worker_deadlock(void)
{
	enum { N = 8 };
	static unsigned char w[64];
	struct xaio_evset *es;
	struct xaio_evset_counts c;
	struct xaio_file *f = NULL;
	struct rec r;

	XT_REQUIRE_BACKEND();
	rec_init(&r);
	es = et_set(XAIO_ERR_CONTINUE, XAIO_CB_WORKER);
	XT_ASSERT(es != NULL);
	dl_set = es;
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, NULL, deadlock_cb, &r), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("worker"), O_RDWR | O_CREAT, 0644,
			       NULL, es),
		     0);
	for (int i = 0; i < N; i++)
		XT_ASSERT_EQ(xaio_pwrite(f, w, 64, i * 64, NULL, NULL, es), 0);
	/* Nobody waits on the set: the callbacks come anyway. */
	XT_ASSERT_EQ(wait_done(&r, N + 1), N + 1);
	if (r.deadlk_bad)
		fprintf(stderr, "waits from the callback: %d %d %d\n",
			r.deadlk[0], r.deadlk[1], r.deadlk[2]);
	XT_ASSERT_EQ(r.deadlk_bad, 0);
	/* The main thread may wait; the callbacks are not run again. */
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, N + 1);
	XT_ASSERT_EQ(n_done(&r), N + 1);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/* NULL unregisters, in both modes. */
static int t_unregister(void)
{
	static unsigned char w[64];

	XT_REQUIRE_BACKEND();
	for (uint32_t mode = 0; mode < 2; mode++) {
		struct xaio_evset *es = et_set(XAIO_ERR_CONTINUE, mode);
		struct xaio_file *f = NULL;
		struct rec r;

		rec_init(&r);
		XT_ASSERT(es != NULL);
		XT_ASSERT_EQ(
			xaio_evset_set_callbacks(es, on_insert, on_done, &r),
			0);
		XT_ASSERT_EQ(xaio_open(&f, xt_path("unreg"), O_RDWR | O_CREAT,
				       0644, NULL, es),
			     0);
		XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 0, NULL, NULL, es), 0);
		XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL),
			     0);
		XT_ASSERT_EQ(r.n_ins, 2);
		XT_ASSERT_EQ(wait_done(&r, 2), 2);
		XT_ASSERT_EQ(xaio_evset_set_callbacks(es, NULL, NULL, NULL), 0);
		for (int i = 0; i < 4; i++)
			XT_ASSERT_EQ(
				xaio_pwrite(f, w, 64, i * 64, NULL, NULL, es),
				0);
		XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
		XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL),
			     0);
		xt_sleep_ms(10);
		XT_ASSERT_EQ(r.n_ins, 2);
		XT_ASSERT_EQ(n_done(&r), 2);
		XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	}
	return XT_PASS;
}

static int veto_all(struct xaio_evset *es, const struct xaio_op_info *info,
		    void *ctx)
{
	return -1;
}

/* An insert veto: -ECANCELED, and nothing at all happened. */
static int t_insert_veto(void)
{
	static unsigned char w[64], back[128];
	struct xaio_evset *es;
	struct xaio_evset_counts c0, c;
	struct xaio_file *f = NULL, *nf = NULL;
	struct rec r;
	uint64_t id = 0;
	struct xaio_opt o;
	int fd;

	XT_REQUIRE_BACKEND();
	rec_init(&r);
	es = et_set(XAIO_ERR_CONTINUE, XAIO_CB_WAITER);
	XT_ASSERT(es != NULL);
	fd = xt_make_file("veto", 128, 0);
	XT_ASSERT_GE(fd, 0);
	close(fd);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("veto"), O_RDWR, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, on_insert, on_done, &r), 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c0), 0);
	r.veto = 1;
	memset(w, 'V', sizeof(w));
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 0, NULL, &o, es), -ECANCELED);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 200, NULL, &o, es), -ECANCELED);
	XT_ASSERT_EQ(id, 0);
	XT_ASSERT_EQ(r.n_ins, 2);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.inserted, c0.inserted);
	XT_ASSERT_EQ(c.in_progress, 0);
	/* Not vetoed: a read runs. */
	XT_ASSERT_EQ(xaio_pread(f, back, 64, 0, NULL, &o, es), 0);
	XT_ASSERT_NE(id, 0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.inserted, c0.inserted + 1);
	XT_ASSERT_EQ(c.succeeded, 1);
	XT_ASSERT_EQ(c.failed + c.canceled + c.errors, 0);
	XT_ASSERT_EQ(n_done(&r), 1);
	XT_ASSERT_EQ(r.done_ids[0], id);
	/* The file is as it was. */
	XT_ASSERT_EQ(et_file_size(xt_path("veto")), 128);
	XT_ASSERT_EQ(et_read_file(xt_path("veto"), back, 128, 0), 128);
	for (int i = 0; i < 128; i++)
		XT_ASSERT_EQ(back[i], xt_pattern((uint64_t)i));
	/* A vetoed open creates nothing. */
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, veto_all, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&nf, xt_path("veto-new"), O_RDWR | O_CREAT, 0644,
			       NULL, es),
		     -ECANCELED);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(access(xt_path("veto-new"), F_OK), -1);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/* Insert sees the id before the call returns; complete sees each once. */
static int t_callback_ids(void)
{
	enum { N = 32 };
	static unsigned char w[N][64];
	struct xaio_evset *es;
	struct xaio_file *f = NULL;
	struct rec r;
	uint64_t ids[N + 2];
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	rec_init(&r);
	es = et_set(XAIO_ERR_CONTINUE, XAIO_CB_WORKER);
	XT_ASSERT(es != NULL);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, on_insert, on_done, &r), 0);
	o = et_id(&ids[0]);
	XT_ASSERT_EQ(
		xaio_open(&f, xt_path("ids"), O_RDWR | O_CREAT, 0644, &o, es),
		0);
	XT_ASSERT_EQ(r.n_ins, 1);
	XT_ASSERT_EQ(r.ins_ids[0], ids[0]);
	for (int i = 1; i <= N; i++) {
		o = et_id(&ids[i]);
		o.user_tag = (uint64_t)i << 32;
		if (i % 2)
			XT_ASSERT_EQ(xaio_pwrite(f, w[i - 1], 64, i * 64, NULL,
						 &o, es),
				     0);
		else
			XT_ASSERT_EQ(xaio_pread(f, w[i - 1], 64, i * 64, NULL,
						&o, es),
				     0);
		XT_ASSERT_EQ(r.n_ins, i + 1);
		XT_ASSERT_EQ(r.ins_ids[i], ids[i]);
		XT_ASSERT_GT(ids[i], ids[i - 1]);
	}
	o = et_id(&ids[N + 1]);
	XT_ASSERT_EQ(xaio_close(f, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	/* Worker mode: each called once (perhaps just after the wait). */
	XT_ASSERT_EQ(wait_done(&r, N + 2), N + 2);
	xt_sleep_ms(10);
	XT_ASSERT_EQ(n_done(&r), N + 2);
	for (int i = 0; i < N + 2; i++) {
		int hits = 0;

		for (int j = 0; j < N + 2; j++)
			if (r.done_ids[j] == ids[i]) {
				hits++;
				if (i >= 1 && i <= N)
					XT_ASSERT_EQ(r.done_tags[j],
						     (uint64_t)i << 32);
				XT_ASSERT_EQ(r.done_status[j], 0);
			}
		XT_ASSERT_EQ(hits, 1);
	}
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

struct reenter {
	struct xaio_evset *es;
	struct xaio_file *f;
	unsigned char buf[64];
	atomic_int calls, ins_calls, submitted;
	int sub_r;
	uint64_t counts_bad;
};

static int reenter_ins(struct xaio_evset *es, const struct xaio_op_info *info,
		       void *ctx)
{
	struct reenter *re = ctx;
	struct xaio_evset_counts c;

	atomic_fetch_add(&re->ins_calls, 1);
	if (xaio_evset_counts(es, &c) != 0)
		re->counts_bad++;
	return 0;
}

static void reenter_done(struct xaio_evset *es, const struct xaio_op_info *info,
			 void *ctx)
{
	struct reenter *re = ctx;
	struct xaio_evset_counts c;

	atomic_fetch_add(&re->calls, 1);
	if (xaio_evset_counts(es, &c) != 0 || c.inserted == 0)
		re->counts_bad++;
	if (!atomic_exchange(&re->submitted, 1)) {
		memset(re->buf, 'R', sizeof(re->buf));
		re->sub_r =
			xaio_pwrite(re->f, re->buf, 64, 4096, NULL, NULL, es);
	}
}

/* From a callback: counts, and a new submission to the same set. */
static int t_reentrant(void)
{
	static unsigned char w[64], back[64];
	static struct reenter re;
	struct xaio_evset_counts c;

	XT_REQUIRE_BACKEND();
	for (uint32_t mode = 0; mode < 2; mode++) {
		memset(&re, 0, sizeof(re));
		re.sub_r = -1;
		re.es = et_set(XAIO_ERR_CONTINUE, mode);
		XT_ASSERT(re.es != NULL);
		XT_ASSERT_EQ(xaio_open(&re.f, xt_path("reenter"),
				       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL,
				       NULL),
			     0);
		XT_ASSERT_EQ(xaio_evset_set_callbacks(re.es, reenter_ins,
						      reenter_done, &re),
			     0);
		XT_ASSERT_EQ(xaio_pwrite(re.f, w, 64, 0, NULL, NULL, re.es), 0);
		/* In worker mode the new one may come after this wait. */
		XT_ASSERT_EQ(xaio_evset_wait(re.es, XAIO_WAIT_FOREVER, 0, &c),
			     0);
		XT_ASSERT_EQ(xt_wait_count(&re.submitted, 1, 5000), 1);
		XT_ASSERT_EQ(xaio_file_wait(re.f, XAIO_WAIT_FOREVER), 0);
		XT_ASSERT_EQ(xaio_evset_wait(re.es, XAIO_WAIT_FOREVER, 0, &c),
			     0);
		XT_ASSERT_EQ(re.sub_r, 0);
		XT_ASSERT_EQ(c.succeeded, 2);
		XT_ASSERT_EQ(c.inserted, 2);
		XT_ASSERT_EQ(atomic_load(&re.calls), 2);
		XT_ASSERT_EQ(atomic_load(&re.ins_calls), 2);
		XT_ASSERT_EQ(re.counts_bad, 0);
		XT_ASSERT_EQ(et_read_file(xt_path("reenter"), back, 64, 4096),
			     64);
		XT_ASSERT_MEM_EQ(back, re.buf, 64);
		XT_ASSERT_EQ(xaio_close(re.f, NULL, NULL), 0);
		XT_ASSERT_EQ(xaio_evset_close(re.es, 0), 0);
	}
	return XT_PASS;
}

static struct xt_case cases[] = {
	{"waiter_thread", t_waiter_thread},
	{"waiter_single", t_waiter_single},
	{"worker_deadlock", t_worker_deadlock},
	{"unregister", t_unregister},
	{"insert_veto", t_insert_veto},
	{"callback_ids", t_callback_ids},
	{"reentrant", t_reentrant},
};

XT_MAIN(cases)
