// SPDX-License-Identifier: MIT
/*
 * Event sets, the set itself: creation with and without attributes and
 * the attribute checks; every xaio_evset_* function on a NULL set (its
 * return and zeroed outputs); exact counts; xaio_evset_wait with timeout 0
 * as a pure test that does report a finished operation (HDF5 research
 * §5.6 scenario 1); a wait that returns 0 has harvested everything
 * (every waiter-mode callback run); finite timeouts measured on
 * CLOCK_MONOTONIC, without spinning (scenario 2); close: -EBUSY with operations
 * in progress and the set still usable (scenario 5), -EBUSY with unread errors
 * unless XAIO_CLOSE_DISCARD_ERRORS, XAIO_CLOSE_WAIT and XAIO_CLOSE_CANCEL, and
 * completed but unharvested operations dropped without callbacks.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "evtest.h"

static int is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

static int t_create_default(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT(es != NULL);
	memset(&c, 0xa5, sizeof(c));
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT(is_zero(&c, sizeof(c)));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_create_attr(void)
{
	struct xaio_evset_attr a;
	struct xaio_evset *es = NULL, *es2 = NULL;

	XT_REQUIRE_BACKEND();
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.error_policy = XAIO_ERR_REFUSE;
	a.callback_mode = XAIO_CB_WORKER;
	a.copy_full = XAIO_COPY_EAGAIN;
	a.copy_cap = 4096;
	XT_ASSERT_EQ(xaio_evset_create(&es, &a), 0);
	XT_ASSERT(es != NULL);
	/* Two sets are two objects. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	XT_ASSERT_EQ(xaio_evset_create(&es2, &a), 0);
	XT_ASSERT(es2 != NULL);
	XT_ASSERT(es2 != es);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(xaio_evset_close(es2, 0), 0);
	/* The attribute struct is read at creation only. */
	XT_ASSERT_EQ(xaio_evset_create(NULL, NULL), -EINVAL);
	XT_ASSERT_EQ(xaio_evset_create(NULL, &a), -EINVAL);
	return XT_PASS;
}

static int t_create_bad_attr(void)
{
	struct xaio_evset_attr a;
	struct xaio_evset *es = NULL;
	const uint32_t sizes[] = {0, 1, 4, 12};

	XT_REQUIRE_BACKEND();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizes[i];
		XT_ASSERT_EQ(xaio_evset_create(&es, &a), -EINVAL);
	}
	for (int i = 0; i < 3; i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.reserved[i] = 1;
		XT_ASSERT_EQ(xaio_evset_create(&es, &a), -EINVAL);
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.reserved32 = 1;
	XT_ASSERT_EQ(xaio_evset_create(&es, &a), -EINVAL);
	a.reserved32 = 0;
	a.flags = 2; /* not a flag */
	XT_ASSERT_EQ(xaio_evset_create(&es, &a), -EINVAL);
	/* Still fine afterwards. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	XT_ASSERT_EQ(xaio_evset_create(&es, &a), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int cb_ins(struct xaio_evset *es, const struct xaio_op_info *info,
		  void *ctx)
{
	return 0;
}

static void cb_done(struct xaio_evset *es, const struct xaio_op_info *info,
		    void *ctx)
{
	atomic_fetch_add((atomic_int *)ctx, 1);
}

static int t_null_set(void)
{
	struct xaio_evset_counts c;
	struct xaio_op_info info;
	struct xaio_error errs[2];
	size_t n;
	atomic_int calls = 0;
	int r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_close(NULL, 0), 0);
	XT_ASSERT_EQ(xaio_evset_close(NULL, XAIO_CLOSE_WAIT), 0);
	XT_ASSERT_EQ(xaio_evset_close(NULL, XAIO_CLOSE_CANCEL |
						    XAIO_CLOSE_DISCARD_ERRORS),
		     0);

	memset(&c, 0xa5, sizeof(c));
	XT_ASSERT_EQ(xaio_evset_wait(NULL, 0, 0, &c), 0);
	XT_ASSERT(is_zero(&c, sizeof(c)));
	memset(&c, 0xa5, sizeof(c));
	XT_ASSERT_EQ(xaio_evset_wait(NULL, XAIO_WAIT_FOREVER,
				     XAIO_WAIT_RETURN_ON_ERROR, &c),
		     0);
	XT_ASSERT(is_zero(&c, sizeof(c)));
	XT_ASSERT_EQ(xaio_evset_wait(NULL, ET_MS(10), 0, NULL), 0);

	memset(&info, 0xa5, sizeof(info));
	XT_ASSERT_EQ(xaio_evset_wait_any(NULL, 0, &info), -ENOENT);
	XT_ASSERT(is_zero(&info, sizeof(info)));
	memset(&info, 0xa5, sizeof(info));
	XT_ASSERT_EQ(xaio_evset_wait_any(NULL, XAIO_WAIT_FOREVER, &info),
		     -ENOENT);
	XT_ASSERT(is_zero(&info, sizeof(info)));

	/*
	 * The spec's NULL-set rule says 0 for every function but the ones
	 * it lists (wait_any -ENOENT, fd -EINVAL); op_wait is not listed,
	 * yet -ENOENT is its answer for an id the set does not have.
	 * Either is accepted; the output must be zeroed.
	 */
	memset(&info, 0xa5, sizeof(info));
	r = xaio_evset_op_wait(NULL, 1, XAIO_WAIT_FOREVER, &info);
	XT_ASSERT(r == 0 || r == -ENOENT);
	XT_ASSERT(is_zero(&info, sizeof(info)));

	memset(&c, 0xa5, sizeof(c));
	XT_ASSERT_EQ(xaio_evset_counts(NULL, &c), 0);
	XT_ASSERT(is_zero(&c, sizeof(c)));

	XT_ASSERT_EQ(xaio_evset_fd(NULL), -EINVAL);

	n = 99;
	XT_ASSERT_EQ(xaio_evset_cancel(NULL, 0, &n), 0);
	XT_ASSERT_EQ(n, 0);
	n = 99;
	XT_ASSERT_EQ(xaio_evset_cancel(NULL, 12345, &n), 0);
	XT_ASSERT_EQ(n, 0);
	XT_ASSERT_EQ(xaio_evset_cancel(NULL, 0, NULL), 0);

	n = 99;
	XT_ASSERT_EQ(xaio_evset_errors(NULL, errs, 2, &n), 0);
	XT_ASSERT_EQ(n, 0);
	xaio_evset_free_errors(NULL, 0);
	XT_ASSERT_EQ(xaio_evset_clear_errors(NULL), 0);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(NULL, cb_ins, cb_done, &calls),
		     0);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(NULL, NULL, NULL, NULL), 0);
	XT_ASSERT_EQ(atomic_load(&calls), 0);
	return XT_PASS;
}

/* Inserted, in progress and succeeded, exact at every point. */
static int t_counts(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f = NULL;
	static char buf[3][4096], rbuf[4096];
	struct xaio_op_info infos[8];

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("counts"),
			       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL, es),
		     0);
	for (int i = 0; i < 3; i++) {
		memset(buf[i], 'a' + i, sizeof(buf[i]));
		XT_ASSERT_EQ(
			xaio_pwrite(f, buf[i], 4096, i * 4096, NULL, NULL, es),
			0);
	}
	XT_ASSERT_EQ(xaio_pread(f, rbuf, 4096, 4096, NULL, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.inserted, 5);
	XT_ASSERT_EQ(c.in_progress + c.succeeded, 5);
	XT_ASSERT_EQ(c.failed + c.canceled + c.dep_canceled + c.errors, 0);
	XT_ASSERT_EQ(c.bytes_copied, 0);

	/* Completed operations count at completion, not at harvest. */
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 0);
	XT_ASSERT_EQ(c.succeeded, 5);
	XT_ASSERT_EQ(c.inserted, 5);
	XT_ASSERT_MEM_EQ(rbuf, buf[1], 4096);

	/* Harvesting does not change the cumulative counts. */
	XT_ASSERT_EQ(et_harvest(es, infos, 8), 5);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 5);
	XT_ASSERT_EQ(c.inserted, 5);

	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	memset(&c, 0xa5, sizeof(c));
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 0);
	XT_ASSERT_EQ(c.succeeded, 6);
	XT_ASSERT_EQ(c.inserted, 6);
	XT_ASSERT_EQ(c.failed, 0);
	XT_ASSERT_EQ(c.errors, 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/*
 * Scenario 1: wait(0) reports an operation that has finished, harvests it
 * and runs its waiter-mode callback, and is otherwise a pure test.
 */
static int t_wait_zero_reports(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f = NULL;
	static char buf[512];
	struct xaio_op_info info;
	atomic_int calls = 0;
	uint64_t t0;
	int r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, NULL, cb_done, &calls), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("wait0"), O_RDWR | O_CREAT | O_TRUNC,
			       0644, NULL, es),
		     0);
	memset(buf, 'w', sizeof(buf));
	XT_ASSERT_EQ(xaio_pwrite(f, buf, sizeof(buf), 0, NULL, NULL, es), 0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	/* Nothing harvested yet: no waiter-mode callback ran. */
	xt_sleep_ms(10);
	XT_ASSERT_EQ(atomic_load(&calls), 0);
	t0 = et_now_ns();
	memset(&c, 0xa5, sizeof(c));
	XT_ASSERT_EQ(xaio_evset_wait(es, 0, 0, &c), 0);
	XT_ASSERT_LT(et_now_ns() - t0, ET_MS(et_slack_ms(500)));
	XT_ASSERT_EQ(c.in_progress, 0);
	XT_ASSERT_EQ(c.succeeded, 2);
	XT_ASSERT_EQ(atomic_load(&calls), 2);
	/* Harvested and retired: nothing left to report or call back. */
	XT_ASSERT_EQ(xaio_evset_wait(es, 0, 0, &c), 0);
	XT_ASSERT_EQ(atomic_load(&calls), 2);
	XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &info), -ENOENT);

	/* Polling with 0 alone must see the next one finish. */
	XT_ASSERT_EQ(xaio_pwrite(f, buf, sizeof(buf), 512, NULL, NULL, es), 0);
	t0 = et_now_ns();
	while ((r = xaio_evset_wait(es, 0, 0, &c)) == -ETIMEDOUT &&
	       et_now_ns() - t0 < ET_LONG)
		xt_sleep_ms(1);
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_EQ(c.succeeded, 3);
	XT_ASSERT_EQ(atomic_load(&calls), 3);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

/*
 * A wait that returns 0 has harvested everything: every waiter-mode
 * callback has run, nothing is left for wait_any.  Many short rounds, so
 * that a completion racing with the wait's last look is caught.
 */
static int t_wait_harvests_all(void)
{
	enum { K = 4 };
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL, *ro = NULL;
	struct xaio_op_info info;
	static char buf[64];
	atomic_int calls = 0;
	int rounds = et_scale(2000, 10), fd, ran;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, NULL, cb_done, &calls), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("harvest"),
			       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL, NULL),
		     0);
	fd = xt_make_file("harvest-ro", 64, 0);
	XT_ASSERT_GE(fd, 0);
	close(fd);
	XT_ASSERT_EQ(
		xaio_open(&ro, xt_path("harvest-ro"), O_RDONLY, 0, NULL, NULL),
		0);
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < K; k++) {
			/* Successes and failures (a write on O_RDONLY). */
			if (k == K - 1 && r % 2)
				XT_ASSERT_EQ(xaio_pwrite(ro, buf, 64, 0, NULL,
							 NULL, es),
					     0);
			else
				XT_ASSERT_EQ(xaio_pwrite(f, buf, 64, k * 64,
							 NULL, NULL, es),
					     0);
		}
		XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL),
			     0);
		ran = atomic_load(&calls);
		if (ran != (r + 1) * K)
			fprintf(stderr, "round %d\n", r);
		XT_ASSERT_EQ(ran, (r + 1) * K);
		XT_ASSERT_EQ(xaio_evset_wait_any(es, 0, &info), -ENOENT);
	}
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_close(ro, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	return XT_PASS;
}

/* Elapsed time of one timed-out wait: within [t, t + slack]. */
#define CHECK_ELAPSED(t0, t)                                                   \
	do {                                                                   \
		uint64_t el_ = et_now_ns() - (t0);                             \
		XT_ASSERT_GE(el_, (t));                                        \
		XT_ASSERT_LE(el_, (t) + ET_MS(et_slack_ms(400)));              \
	} while (0)

/* Scenario 2: finite timeouts return on time, and do not spin. */
static int t_wait_timeout(void)
{
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f = NULL;
	struct xaio_op_info info;
	static char buf[100];
	uint64_t id = 0, t0, cpu0;
	struct xaio_opt o;
	const uint64_t timeouts[] = {ET_MS(1), ET_MS(20), ET_MS(150)};

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "timeout.fifo");
	o = et_after(&g.id, &id);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("timeout"),
			       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL, es),
		     0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	memset(buf, 'x', sizeof(buf));
	XT_ASSERT_EQ(xaio_pwrite(f, buf, sizeof(buf), 0, NULL, &o, es), 0);
	XT_ASSERT_NE(id, 0);

	for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		t0 = et_now_ns();
		cpu0 = et_cpu_ns();
		memset(&c, 0xa5, sizeof(c));
		XT_ASSERT_EQ(xaio_evset_wait(es, timeouts[i], 0, &c),
			     -ETIMEDOUT);
		CHECK_ELAPSED(t0, timeouts[i]);
		XT_ASSERT_EQ(c.in_progress, 1);
		XT_ASSERT_EQ(c.succeeded, 1);
		/* A waiting thread sleeps. */
		if (timeouts[i] >= ET_MS(100))
			XT_ASSERT_LT(et_cpu_ns() - cpu0, timeouts[i] / 2);
	}
	t0 = et_now_ns();
	XT_ASSERT_EQ(xaio_evset_wait(es, 0, 0, &c), -ETIMEDOUT);
	XT_ASSERT_LT(et_now_ns() - t0, ET_MS(et_slack_ms(200)));
	t0 = et_now_ns();
	XT_ASSERT_EQ(xaio_evset_wait_any(es, ET_MS(30), &info), -ETIMEDOUT);
	CHECK_ELAPSED(t0, ET_MS(30));
	t0 = et_now_ns();
	XT_ASSERT_EQ(xaio_evset_op_wait(es, id, ET_MS(30), &info), -ETIMEDOUT);
	CHECK_ELAPSED(t0, ET_MS(30));
	t0 = et_now_ns();
	XT_ASSERT_EQ(xaio_file_wait(f, ET_MS(30)), -ETIMEDOUT);
	CHECK_ELAPSED(t0, ET_MS(30));

	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 0);
	XT_ASSERT_EQ(c.succeeded, 2);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* Scenario 5: -EBUSY with work in progress; the set stays usable. */
static int t_close_busy(void)
{
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f = NULL;
	static char a[64], b[64], rb[128];
	struct xaio_op_info info;
	uint64_t oid = 0, bid = 0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "busy.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_id(&oid);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("busy"), O_RDWR | O_CREAT | O_TRUNC,
			       0644, &o, es),
		     0);
	o = et_after(&g.id, NULL);
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	XT_ASSERT_EQ(xaio_pwrite(f, a, 64, 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), -EBUSY);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), -EBUSY);
	/* Still a set: it counts and takes more work. */
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.inserted, 2);
	XT_ASSERT_GE(c.in_progress, 1);
	o = et_id(&bid);
	XT_ASSERT_EQ(xaio_pwrite(f, b, 64, 64, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oid, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, bid, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_MS(20), 0, &c), -ETIMEDOUT);
	XT_ASSERT_EQ(c.in_progress, 1);
	XT_ASSERT_EQ(c.succeeded, 2);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), -EBUSY);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 3);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_read_file(xt_path("busy"), rb, 128, 0), 128);
	XT_ASSERT_MEM_EQ(rb, a, 64);
	XT_ASSERT_MEM_EQ(rb + 64, b, 64);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* One failed open in a fresh set; waited for. */
static int failed_set(struct xaio_evset **es)
{
	struct xaio_file *f = NULL;
	struct xaio_evset_counts c;

	XT_ASSERT_EQ(xaio_evset_create(es, NULL), 0);
	XT_ASSERT_EQ(
		xaio_open(&f, xt_path("no/such/file"), O_RDONLY, 0, NULL, *es),
		0);
	XT_ASSERT_EQ(xaio_close(f, NULL, *es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(*es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.failed, 1);
	XT_ASSERT_EQ(c.errors, 1);
	return XT_PASS;
}

static int t_close_unread_errors(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_error e;
	size_t n = 0;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(failed_set(&es), XT_PASS);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), -EBUSY);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_WAIT), -EBUSY);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);

	/* Reading the errors lifts the objection as well. */
	XT_ASSERT_EQ(failed_set(&es), XT_PASS);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), -EBUSY);
	XT_ASSERT_EQ(xaio_evset_errors(es, &e, 1, &n), 0);
	XT_ASSERT_EQ(n, 1);
	xaio_evset_free_errors(&e, n);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);

	/* So does clearing them. */
	XT_ASSERT_EQ(failed_set(&es), XT_PASS);
	XT_ASSERT_EQ(xaio_evset_clear_errors(es), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static int t_close_wait(void)
{
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	static char a[256], rb[256];
	struct xaio_opt o;
	uint64_t t_done;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "closewait.fifo");
	o = et_after(&g.id, NULL);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("closewait"),
			       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL, NULL),
		     0);
	memset(a, 'q', sizeof(a));
	XT_ASSERT_EQ(xaio_pwrite(f, a, sizeof(a), 0, NULL, &o, es), 0);
	XT_ASSERT_EQ(xaio_pwrite(f, a, sizeof(a), 256, NULL, &o, es), 0);
	XT_ASSERT_EQ(et_gate_release_after(&g, 100), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_WAIT), 0);
	t_done = et_now_ns();
	XT_ASSERT_NE(atomic_load(&g.released_ns), 0);
	XT_ASSERT_GE(t_done, atomic_load(&g.released_ns));
	XT_ASSERT_EQ(et_read_file(xt_path("closewait"), rb, 256, 256), 256);
	XT_ASSERT_MEM_EQ(rb, a, 256);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

static int t_close_cancel(void)
{
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	static char a[256], rb[256];
	struct xaio_opt o;
	uint64_t t0;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "closecancel.fifo");
	o = et_after(&g.id, NULL);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("closecancel"),
			       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL, NULL),
		     0);
	memset(a, 'c', sizeof(a));
	for (int i = 0; i < 4; i++)
		XT_ASSERT_EQ(
			xaio_pwrite(f, a, sizeof(a), i * 256, NULL, &o, es), 0);
	/* Nothing has started: all cancelled, and close does not wait. */
	t0 = et_now_ns();
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_CANCEL), 0);
	XT_ASSERT_LT(et_now_ns() - t0, ET_MS(et_slack_ms(1000)));
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_wait(g.es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	/* None of the cancelled writes landed. */
	XT_ASSERT_EQ(et_file_size(xt_path("closecancel")), 0);
	XT_ASSERT_EQ(et_read_file(xt_path("closecancel"), rb, 256, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* Completed, never harvested: close drops them, without callbacks. */
static int t_close_unharvested(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_file *f = NULL;
	static char a[64];
	atomic_int calls = 0;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, NULL, cb_done, &calls), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("unharvested"),
			       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL, es),
		     0);
	memset(a, 'u', sizeof(a));
	XT_ASSERT_EQ(xaio_pwrite(f, a, 64, 0, NULL, NULL, es), 0);
	XT_ASSERT_EQ(xaio_file_wait(f, XAIO_WAIT_FOREVER), 0);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 0);
	XT_ASSERT_EQ(c.succeeded, 2);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(atomic_load(&calls), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, NULL), 0);
	XT_ASSERT_EQ(et_file_size(xt_path("unharvested")), 64);
	return XT_PASS;
}

static struct xt_case cases[] = {
	{"create_default", t_create_default},
	{"create_attr", t_create_attr},
	{"create_bad_attr", t_create_bad_attr},
	{"null_set", t_null_set},
	{"counts", t_counts},
	{"wait_zero_reports", t_wait_zero_reports},
	{"wait_harvests_all", t_wait_harvests_all},
	{"wait_timeout", t_wait_timeout},
	{"close_busy", t_close_busy},
	{"close_unread_errors", t_close_unread_errors},
	{"close_wait", t_close_wait},
	{"close_cancel", t_close_cancel},
	{"close_unharvested", t_close_unharvested},
};

XT_MAIN(cases)
