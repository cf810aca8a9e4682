// SPDX-License-Identifier: MIT
/*
 * Failures and their records: an early failure does not end
 * xaio_evset_wait(FOREVER) early, and XAIO_WAIT_RETURN_ON_ERROR does, the
 * counts exact either way (scenario 3); XAIO_ERR_CONTINUE keeps accepting
 * work, XAIO_ERR_REFUSE refuses it from the failure's completion (not its
 * harvest) until xaio_evset_clear_errors (scenario 4); error records: api
 * name, source location of the macro call (scenario 14), none through
 * (xaio_pwrite)(...) or a function pointer, XAIO_LOC_COPY of heap strings
 * freed before the record is read, args and msg texts, timestamps,
 * dep-cancelled records naming their cause; destructive, paged reading,
 * oldest first; clear_errors.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "evtest.h"

/* A file of len pattern bytes; its handle opened with flags (sync). */
static struct xaio_file *open_existing(const char *name, size_t len, int flags)
{
	struct xaio_file *f = NULL;
	int fd = xt_make_file(name, len, 0);

	if (fd < 0)
		return NULL;
	close(fd);
	if (xaio_open(&f, xt_path(name), flags, 0, NULL, NULL) != 0)
		return NULL;
	return f;
}

/* Scenario 3: one early failure among gated work. */
static int t_early_failure(void)
{
	enum { N = 8, LEN = 512 };
	static unsigned char w[LEN], r[LEN], back[N * LEN];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *wo, *f;
	struct xaio_op_info info;
	uint64_t fid = 0, t0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	wo = open_existing("early-wo", 4096, O_WRONLY);
	f = open_existing("early", 0, O_RDWR);
	XT_ASSERT(wo && f);
	for (int pass = 0; pass < 2; pass++) {
		ET_GATE(&g, "early.fifo");
		XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
		memset(w, 'a' + pass, LEN);
		o = et_after(&g.id, NULL);
		for (int i = 0; i < N; i++)
			XT_ASSERT_EQ(xaio_pwrite(f, w, LEN, (off_t)i * LEN,
						 NULL, &o, es),
				     0);
		o = et_id(&fid);
		XT_ASSERT_EQ(xaio_pread(wo, r, LEN, 0, NULL, &o, es), 0);
		if (pass == 1) {
			/* Return on error: back as soon as the read failed. */
			memset(&c, 0xa5, sizeof(c));
			t0 = et_now_ns();
			XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER,
						     XAIO_WAIT_RETURN_ON_ERROR,
						     &c),
				     1);
			XT_ASSERT_LT(et_now_ns() - t0,
				     ET_MS(et_slack_ms(3000)));
			XT_ASSERT_EQ(c.failed, 1);
			XT_ASSERT_EQ(c.in_progress, N);
			XT_ASSERT_EQ(c.succeeded, 0);
			XT_ASSERT_EQ(c.errors, 1);
			/* Harvested: it is no longer in the set. */
			XT_ASSERT_EQ(xaio_evset_op_wait(es, fid, 0, &info),
				     -ENOENT);
			/* Nothing failed since: a timed wait times out. */
			XT_ASSERT_EQ(xaio_evset_wait(es, ET_MS(10),
						     XAIO_WAIT_RETURN_ON_ERROR,
						     &c),
				     -ETIMEDOUT);
		}
		XT_ASSERT_EQ(et_gate_release_after(&g, 150), 0);
		memset(&c, 0xa5, sizeof(c));
		XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
		/* It waited for the gated writes, not just the failure. */
		XT_ASSERT_NE(atomic_load(&g.released_ns), 0);
		XT_ASSERT_EQ(c.in_progress, 0);
		XT_ASSERT_EQ(c.failed, 1);
		XT_ASSERT_EQ(c.succeeded, N);
		XT_ASSERT_EQ(c.dep_canceled + c.canceled, 0);
		XT_ASSERT_EQ(c.inserted, N + 1);
		XT_ASSERT_EQ(c.errors, 1);
		XT_ASSERT_EQ(et_read_file(xt_path("early"), back, N * LEN, 0),
			     N * LEN);
		for (int i = 0; i < N; i++)
			XT_ASSERT_MEM_EQ(back + i * LEN, w, LEN);
		XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS),
			     0);
		XT_ASSERT_EQ(et_gate_close(&g), 0);
	}
	XT_ASSERT_EQ(xaio_close(wo, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	return XT_PASS;
}

/* One failing read on h (opened O_WRONLY) in es, waited for. */
static int fail_one(struct xaio_file *wo, struct xaio_evset *es, uint64_t *id)
{
	static unsigned char r[64];
	struct xaio_opt o = et_id(id);

	XT_ASSERT_EQ(xaio_pread(wo, r, sizeof(r), 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	return XT_PASS;
}

/* Scenario 4, CONTINUE: work is accepted after a failure. */
static int t_continue_policy(void)
{
	static unsigned char w[64];
	struct xaio_evset *es;
	struct xaio_evset_counts c;
	struct xaio_file *wo, *f;
	uint64_t id = 0;

	XT_REQUIRE_BACKEND();
	es = et_set(XAIO_ERR_CONTINUE, XAIO_CB_WAITER);
	XT_ASSERT(es != NULL);
	wo = open_existing("cont-wo", 64, O_WRONLY);
	f = open_existing("cont", 0, O_RDWR);
	XT_ASSERT(wo && f);
	XT_ASSERT_EQ(fail_one(wo, es, &id), XT_PASS);
	memset(w, 'c', sizeof(w));
	for (int i = 0; i < 4; i++)
		XT_ASSERT_EQ(xaio_pwrite(f, w, 64, i * 64, NULL, NULL, es), 0);
	XT_ASSERT_EQ(fail_one(wo, es, &id), XT_PASS);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 256, NULL, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.failed, 2);
	XT_ASSERT_EQ(c.succeeded, 5);
	XT_ASSERT_EQ(c.errors, 2);
	XT_ASSERT_EQ(et_file_size(xt_path("cont")), 320);
	XT_ASSERT_EQ(xaio_close(wo, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	return XT_PASS;
}

/* Scenario 4, REFUSE: from the failure's completion until cleared. */
static int t_refuse_policy(void)
{
	static unsigned char w[64], r[64];
	struct xaio_evset *es;
	struct xaio_evset_counts c, c2;
	struct xaio_file *wo, *f, *nf = NULL;
	uint64_t id = 0, fid = 0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	es = et_set(XAIO_ERR_REFUSE, XAIO_CB_WAITER);
	XT_ASSERT(es != NULL);
	wo = open_existing("refuse-wo", 64, O_WRONLY);
	f = open_existing("refuse", 0, O_RDWR);
	XT_ASSERT(wo && f);
	memset(w, 'r', sizeof(w));
	/* Before any failure: accepted. */
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 0, NULL, NULL, es), 0);
	o = et_id(&fid);
	XT_ASSERT_EQ(xaio_pread(wo, r, 64, 0, NULL, &o, es), 0);
	/* Completed, not harvested: refusal starts at completion. */
	XT_ASSERT_EQ(xaio_file_wait(wo, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.failed, 1);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 64, NULL, &o, es), -ECANCELED);
	XT_ASSERT_EQ(xaio_fsync(f, &o, es), -ECANCELED);
	XT_ASSERT_EQ(xaio_open(&nf, xt_path("refuse-new"), O_RDWR | O_CREAT,
			       0644, &o, es),
		     -ECANCELED);
	XT_ASSERT_EQ(id, 0);
	XT_ASSERT_EQ(access(xt_path("refuse-new"), F_OK), -1);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c2), 0);
	XT_ASSERT_EQ(c2.inserted, c.inserted);
	/* Other sets, and synchronous calls, are not affected. */
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 128, NULL, NULL, NULL), 64);
	/* Harvesting does not lift it. */
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 64, NULL, &o, es), -ECANCELED);
	XT_ASSERT_EQ(et_file_size(xt_path("refuse")), 192);
	XT_ASSERT_EQ(et_read_file(xt_path("refuse"), r, 64, 64), 64);
	for (int i = 0; i < 64; i++)
		XT_ASSERT_EQ(r[i], 0);
	/* Cleared: accepted again. */
	XT_ASSERT_EQ(xaio_evset_clear_errors(es), 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.errors, 0);
	XT_ASSERT_EQ(c.failed, 1); /* cumulative */
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 64, NULL, &o, es), 0);
	XT_ASSERT_NE(id, 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 2);
	XT_ASSERT_EQ(et_read_file(xt_path("refuse"), r, 64, 64), 64);
	XT_ASSERT_MEM_EQ(r, w, 64);
	/* Any failure starts it again. */
	XT_ASSERT_EQ(xaio_open(&nf, xt_path("none/x"), O_RDONLY, 0, NULL, es),
		     0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_pwrite(f, w, 64, 0, NULL, NULL, es), -ECANCELED);
	XT_ASSERT_EQ(xaio_close(nf, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(wo, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	return XT_PASS;
}

static int has(const char *s, const char *sub)
{
	return s && strstr(s, sub) != NULL;
}

/* Scenario 14 and the record's fields. */
static int t_record_fields(void)
{
	static unsigned char w[4093];
	struct xaio_evset *es = NULL;
	struct xaio_file *ro, *bad = NULL;
	struct xaio_error e[4];
	struct xaio_evset_counts c;
	uint64_t id = 0, oid = 0, did = 0, t0;
	struct xaio_opt o;
	unsigned int line, line2;
	const char *p;
	char num[32];
	size_t n = 0;
	int r, names_api;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	ro = open_existing("fields", 8192, O_RDONLY);
	XT_ASSERT(ro != NULL);
	o = et_id(&id);
	o.user_tag = 0xfeedu;
	t0 = et_now_ns();
	line = __LINE__ + 1;
	r = xaio_pwrite(ro, w, sizeof(w), 512, NULL, &o, es);
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.errors, 1);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 4, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT_EQ(e[0].info.op_id, id);
	XT_ASSERT_EQ(e[0].info.user_tag, 0xfeed);
	XT_ASSERT(e[0].info.api && !strcmp(e[0].info.api, "xaio_pwrite"));
	XT_ASSERT(e[0].info.loc.file && !strcmp(e[0].info.loc.file, __FILE__));
	XT_ASSERT(e[0].info.loc.func && !strcmp(e[0].info.loc.func, __func__));
	XT_ASSERT_EQ(e[0].info.loc.line, line);
	XT_ASSERT_EQ(e[0].info.status, EBADF);
	XT_ASSERT_EQ(e[0].info.flags, 0);
	XT_ASSERT_EQ(e[0].info.cause, 0);
	XT_ASSERT_EQ(e[0].info.result, 0);
	XT_ASSERT_EQ(e[0].info.offset, 512);
	XT_ASSERT_EQ(e[0].info.length, sizeof(w));
	XT_ASSERT_GE(e[0].info.t_submit_ns, t0);
	XT_ASSERT_LE(e[0].info.t_submit_ns, e[0].info.t_start_ns);
	XT_ASSERT_LE(e[0].info.t_start_ns, e[0].info.t_end_ns);
	XT_ASSERT_LE(e[0].info.t_end_ns, et_now_ns());
	XT_ASSERT(e[0].args && e[0].args[0]);
	XT_ASSERT(has(e[0].args, "4093"));
	XT_ASSERT(has(e[0].args, "512"));
	XT_ASSERT(has(e[0].msg, strerror(EBADF)));
	xaio_evset_free_errors(e, n);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.errors, 0);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 4, &n), 0);
	XT_ASSERT_EQ(n, 0);

	/* A failed open and its dependent: two records, oldest first. */
	o = et_id(&oid);
	p = xt_path("nodir/missing-file");
	line = __LINE__ + 1;
	r = xaio_open(&bad, p, O_RDWR, 0, &o, es);
	XT_ASSERT_EQ(r, 0);
	o = et_id(&did);
	line2 = __LINE__ + 1;
	r = xaio_pwrite(bad, w, 100, 0, NULL, &o, es);
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_EQ(xaio_close(bad, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.errors, 2);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 4, &n), 0);
	XT_ASSERT_EQ(n, 2);
	XT_ASSERT_EQ(e[0].info.op_id, oid);
	XT_ASSERT(!strcmp(e[0].info.api, "xaio_open"));
	XT_ASSERT_EQ(e[0].info.status, ENOENT);
	XT_ASSERT_EQ(e[0].info.loc.line, line);
	XT_ASSERT(has(e[0].args, "missing-file"));
	XT_ASSERT(has(e[0].msg, strerror(ENOENT)));
	XT_ASSERT_NE(e[0].info.t_submit_ns, 0);
	XT_ASSERT_LE(e[0].info.t_submit_ns, e[0].info.t_end_ns);
	XT_ASSERT_EQ(e[1].info.op_id, did);
	XT_ASSERT(!strcmp(e[1].info.api, "xaio_pwrite"));
	XT_ASSERT_EQ(e[1].info.status, ECANCELED);
	XT_ASSERT_EQ(e[1].info.cause, oid);
	XT_ASSERT(e[1].info.flags & XAIO_INFO_DEP_CANCELED);
	XT_ASSERT_EQ(e[1].info.loc.line, line2);
	XT_ASSERT(!strcmp(e[1].info.loc.func, __func__));
	snprintf(num, sizeof(num), "%llu", (unsigned long long)oid);
	XT_ASSERT(has(e[1].msg, num));
	/* The spec's form: "canceled: operation N (xaio_open) failed". */
	names_api = has(e[1].msg, "xaio_open");
	if (!names_api)
		fprintf(stderr, "msg: \"%s\"\n", e[1].msg);
	XT_ASSERT(e[1].args && e[1].args[0]);
	/* Never started: its start time may be 0; the rest is set. */
	XT_ASSERT_NE(e[1].info.t_submit_ns, 0);
	XT_ASSERT_NE(e[1].info.t_end_ns, 0);
	XT_ASSERT_LE(e[1].info.t_submit_ns, e[1].info.t_end_ns);
	if (e[1].info.t_start_ns) {
		XT_ASSERT_LE(e[1].info.t_submit_ns, e[1].info.t_start_ns);
		XT_ASSERT_LE(e[1].info.t_start_ns, e[1].info.t_end_ns);
	}
	XT_ASSERT_GE(e[1].info.t_end_ns, e[0].info.t_end_ns);
	xaio_evset_free_errors(e, n);
	XT_ASSERT_EQ(xaio_close(ro, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT(names_api);
	return XT_PASS;
}

typedef int (*pwrite_fn)(struct xaio_file *, const void *, size_t, off_t,
			 ssize_t *, const struct xaio_opt *,
			 struct xaio_evset *);

/* The real symbols record no location. */
static int t_no_location(void)
{
	static unsigned char w[64];
	struct xaio_evset *es = NULL;
	struct xaio_file *ro;
	struct xaio_error e[4];
	pwrite_fn fp = xaio_pwrite;
	size_t n = 0;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	ro = open_existing("noloc", 64, O_RDONLY);
	XT_ASSERT(ro != NULL);
	XT_ASSERT_EQ((xaio_pwrite)(ro, w, 64, 0, NULL, NULL, es), 0);
	XT_ASSERT_EQ(fp(ro, w, 32, 0, NULL, NULL, es), 0);
	XT_ASSERT_EQ(xaio_pwrite_loc((struct xaio_srcloc){0}, ro, w, 16, 0,
				     NULL, NULL, es),
		     0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 4, &n), 0);
	XT_ASSERT_EQ(n, 3);
	for (size_t i = 0; i < n; i++) {
		XT_ASSERT(!strcmp(e[i].info.api, "xaio_pwrite"));
		XT_ASSERT(e[i].info.loc.file == NULL);
		XT_ASSERT(e[i].info.loc.func == NULL);
		XT_ASSERT_EQ(e[i].info.loc.line, 0);
		XT_ASSERT_EQ(e[i].info.status, EBADF);
		XT_ASSERT(e[i].args && e[i].args[0]);
	}
	XT_ASSERT_EQ(e[0].info.length + e[1].info.length + e[2].info.length,
		     112);
	xaio_evset_free_errors(e, n);
	XT_ASSERT_EQ(xaio_close(ro, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

struct loc_check {
	const char *file, *func;
	unsigned int line;
	atomic_int calls;
};

static void loc_cb(struct xaio_evset *es, const struct xaio_op_info *info,
		   void *ctx)
{
	struct loc_check *lc = ctx;

	atomic_fetch_add(&lc->calls, 1);
	XT_CHECK(info->loc.file && !strcmp(info->loc.file, lc->file));
	XT_CHECK(info->loc.func && !strcmp(info->loc.func, lc->func));
	XT_CHECK(info->loc.line == lc->line);
}

/* XAIO_LOC_COPY: heap strings, freed at once, still in the record. */
static int t_loc_copy(void)
{
	static unsigned char w[64];
	struct xaio_evset *es = NULL;
	struct xaio_file *ro;
	struct xaio_error e[2];
	struct loc_check lc = {"heap/dir/wrapper.c", "heap_wrapper", 4242, 0};
	char *file = strdup(lc.file), *func = strdup(lc.func);
	size_t n = 0;

	XT_REQUIRE_BACKEND();
	XT_ASSERT(file && func);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, NULL, loc_cb, &lc), 0);
	ro = open_existing("loccopy", 64, O_RDONLY);
	XT_ASSERT(ro != NULL);
	XT_ASSERT_EQ(xaio_pwrite_loc((struct xaio_srcloc){file, func, 4242,
							  XAIO_LOC_COPY},
				     ro, w, 64, 0, NULL, NULL, es),
		     0);
	memset(file, 'X', strlen(file));
	memset(func, 'Y', strlen(func));
	free(file);
	free(func);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(atomic_load(&lc.calls), 1);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 2, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT(e[0].info.loc.file &&
		  !strcmp(e[0].info.loc.file, "heap/dir/wrapper.c"));
	XT_ASSERT(e[0].info.loc.func &&
		  !strcmp(e[0].info.loc.func, "heap_wrapper"));
	XT_ASSERT_EQ(e[0].info.loc.line, 4242);
	xaio_evset_free_errors(e, n);
	XT_ASSERT_EQ(xaio_close(ro, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/* Destructive, paged, oldest first. */
static int t_paged_errors(void)
{
	enum { N = 5 };
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *wo;
	struct xaio_error e[N + 2];
	uint64_t ids[N];
	size_t n = 99;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	wo = open_existing("paged-wo", 64, O_WRONLY);
	XT_ASSERT(wo != NULL);
	for (int i = 0; i < N; i++)
		XT_ASSERT_EQ(fail_one(wo, es, &ids[i]), XT_PASS);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 0, &n), 0);
	XT_ASSERT_EQ(n, 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.errors, N);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 1, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT_EQ(e[0].info.op_id, ids[0]);
	xaio_evset_free_errors(e, n);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.errors, N - 1);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 2, &n), 0);
	XT_ASSERT_EQ(n, 2);
	XT_ASSERT_EQ(e[0].info.op_id, ids[1]);
	XT_ASSERT_EQ(e[1].info.op_id, ids[2]);
	xaio_evset_free_errors(e, n);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, N + 2, &n), 0);
	XT_ASSERT_EQ(n, N - 3);
	XT_ASSERT_EQ(e[0].info.op_id, ids[3]);
	XT_ASSERT_EQ(e[1].info.op_id, ids[4]);
	for (size_t i = 0; i < n; i++)
		XT_ASSERT(!strcmp(e[i].info.api, "xaio_pread"));
	xaio_evset_free_errors(e, n);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, N + 2, &n), 0);
	XT_ASSERT_EQ(n, 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.errors, 0);
	XT_ASSERT_EQ(c.failed, N);
	/* No unread errors left: close needs no flag. */
	XT_ASSERT_EQ(xaio_close(wo, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_clear_errors(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *wo;
	struct xaio_error e[2];
	uint64_t id;
	size_t n = 99;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	wo = open_existing("clear-wo", 64, O_WRONLY);
	XT_ASSERT(wo != NULL);
	for (int i = 0; i < 3; i++)
		XT_ASSERT_EQ(fail_one(wo, es, &id), XT_PASS);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.errors, 3);
	XT_ASSERT_EQ(xaio_evset_clear_errors(es), 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.errors, 0);
	XT_ASSERT_EQ(c.failed, 3);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 2, &n), 0);
	XT_ASSERT_EQ(n, 0);
	/* New failures are recorded again. */
	XT_ASSERT_EQ(fail_one(wo, es, &id), XT_PASS);
	XT_ASSERT_EQ(xaio_evset_errors(es, e, 2, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT_EQ(e[0].info.op_id, id);
	xaio_evset_free_errors(e, n);
	XT_ASSERT_EQ(xaio_close(wo, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static struct xt_case cases[] = {
	{"early_failure", t_early_failure},
	{"continue_policy", t_continue_policy},
	{"refuse_policy", t_refuse_policy},
	{"record_fields", t_record_fields},
	{"no_location", t_no_location},
	{"loc_copy", t_loc_copy},
	{"paged_errors", t_paged_errors},
	{"clear_errors", t_clear_errors},
};

XT_MAIN(cases)
