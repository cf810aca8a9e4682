// SPDX-License-Identifier: MIT
/*
 * xaio_evset_add_aiocb: POSIX requests tracked by an event set.  A write,
 * an fsync and a read counted in the set with their results, tags and ids,
 * and still plain aiocbs (aio_error, aio_return); a native read ordered
 * after the aiocb write by opt.after; a failed request's error record
 * (api, errno, the caller's location); refusals (bad arguments, a refusing
 * set, an insert callback's veto, which sees the id) that submit nothing,
 * count nothing, store no id and leave errno alone; a running request the
 * set cannot cancel; a background set that completes one while nobody
 * calls in; a NULL set.
 */
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <xaio.h>

#include "xtest.h"
#include "xaio-test.h"

#define BLK 4096

static int test_tracked(void)
{
	static unsigned char wbuf[BLK], rbuf[BLK], nbuf[BLK];
	static struct aiocb w, s, r;
	struct xaio_evset *es;
	struct xaio_evset_counts c;
	struct xaio_op_info iw, is, ir, in;
	struct xaio_file *f;
	struct xaio_opt o = {0};
	uint64_t wid = 0, sid = 0, rid = 0, nid = 0;
	int fd;

	fd = xt_make_file("tracked", 4 * BLK, 0);
	XT_ASSERT(fd >= 0);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	memset(wbuf, 0x3e, BLK);
	xt_cb_set(&w, fd, wbuf, BLK, 2 * BLK);
	o.user_tag = 11;
	o.op_id = &wid;
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_WRITE, &w, &o), 0);
	XT_ASSERT(wid != 0);
	/* A native read that names the aiocb write runs after it. */
	XT_ASSERT_EQ(xaio_open(&f, xt_path("tracked"), O_RDONLY, 0, NULL, es),
		     0);
	o = (struct xaio_opt){.n_after = 1, .after = &wid, .op_id = &nid};
	XT_ASSERT_EQ(xaio_pread(f, nbuf, BLK, 2 * BLK, NULL, &o, es), 0);
	xt_cb_set(&s, fd, NULL, 0, 0);
	o = (struct xaio_opt){.user_tag = 12, .op_id = &sid};
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, O_DSYNC, &s, &o), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, wid, XAIO_WAIT_FOREVER, &iw), 0);
	/* POSIX orders no read after a write: the write is done first. */
	xt_cb_set(&r, fd, rbuf, BLK, 2 * BLK);
	o = (struct xaio_opt){.user_tag = 13, .op_id = &rid};
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_READ, &r, &o), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, sid, XAIO_WAIT_FOREVER, &is), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, nid, XAIO_WAIT_FOREVER, &in), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	/* The read's status is in the aiocb before the set sees it. */
	XT_ASSERT_EQ(xaio_evset_op_wait(es, rid, XAIO_WAIT_FOREVER, &ir), 0);
	XT_ASSERT_EQ(aio_error(&r), 0);

	XT_ASSERT_EQ(iw.status, 0);
	XT_ASSERT_EQ(iw.result, BLK);
	XT_ASSERT_EQ(iw.user_tag, 11);
	XT_ASSERT(!strcmp(iw.api, "aio_write"));
	XT_ASSERT_EQ(iw.offset, 2 * BLK);
	XT_ASSERT_EQ(iw.length, BLK);
	XT_ASSERT_EQ(is.status, 0);
	XT_ASSERT_EQ(is.user_tag, 12);
	XT_ASSERT(!strcmp(is.api, "aio_fsync"));
	XT_ASSERT_EQ(ir.status, 0);
	XT_ASSERT_EQ(ir.result, BLK);
	XT_ASSERT(!strcmp(ir.api, "aio_read"));
	XT_ASSERT_EQ(in.status, 0);
	XT_ASSERT_GE(in.t_start_ns, iw.t_end_ns);
	XT_ASSERT_MEM_EQ(nbuf, wbuf, BLK);
	XT_ASSERT_MEM_EQ(rbuf, wbuf, BLK);
	/* Still plain aiocbs. */
	XT_ASSERT_EQ(aio_error(&w), 0);
	XT_ASSERT_EQ(aio_return(&w), BLK);
	XT_ASSERT_EQ(aio_return(&s), 0);
	XT_ASSERT_EQ(aio_return(&r), BLK);

	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.inserted, 6);
	XT_ASSERT_EQ(c.succeeded, 6);
	XT_ASSERT_EQ(c.failed + c.canceled + c.in_progress + c.errors, 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	close(fd);
	return XT_PASS;
}

static int test_failure_record(void)
{
	static unsigned char buf[64];
	static struct aiocb cb;
	struct xaio_evset *es;
	struct xaio_evset_counts c;
	struct xaio_error e;
	size_t n = 0;
	int fd, line;

	fd = xt_make_file("failrec", BLK, 0);
	XT_ASSERT(fd >= 0);
	XT_ASSERT_EQ(close(fd), 0); /* a bad descriptor from now on */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	xt_cb_set(&cb, fd, buf, sizeof(buf), 0);
	/* Reported through the aiocb (and the set), as aio_read does. */
	line = __LINE__ + 1;
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_READ, &cb, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.failed, 1);
	XT_ASSERT_EQ(c.errors, 1);
	XT_ASSERT_EQ(aio_error(&cb), EBADF);
	XT_ASSERT_EQ(aio_return(&cb), -1);
	XT_ASSERT_EQ(xaio_evset_errors(es, &e, 1, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT(!strcmp(e.info.api, "aio_read"));
	XT_ASSERT_EQ(e.info.status, EBADF);
	XT_ASSERT(!strcmp(e.info.loc.file, __FILE__));
	XT_ASSERT_EQ(e.info.loc.line, line);
	XT_ASSERT(e.args && strstr(e.args, "len=64") != NULL);
	xaio_evset_free_errors(&e, n);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	return XT_PASS;
}

static uint64_t vetoed_id;

static int veto(struct xaio_evset *es, const struct xaio_op_info *info,
		void *ctx)
{
	(void)es;
	(void)ctx;
	vetoed_id = info->op_id;
	return !strcmp(info->api, "aio_write");
}

static int test_refusals(void)
{
	static unsigned char buf[BLK], back[BLK], orig[BLK];
	static struct aiocb cb, bad;
	struct xaio_evset_attr attr = {.size = sizeof(attr)};
	struct xaio_evset *es;
	struct xaio_evset_counts c;
	struct xaio_opt o = {0};
	uint64_t id = 0;
	int fd;

	fd = xt_make_file("refusals", BLK, 0);
	XT_ASSERT(fd >= 0);
	attr.error_policy = XAIO_ERR_REFUSE;
	XT_ASSERT_EQ(xaio_evset_create(&es, &attr), 0);
	memset(buf, 0x77, BLK);
	xt_cb_set(&cb, fd, buf, BLK, 0);
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_NOP, &cb, NULL), -EINVAL);
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_READ, NULL, NULL), -EINVAL);
	o.flags = XAIO_BUF_COPY;
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_WRITE, &cb, &o), -EINVAL);
	o = (struct xaio_opt){.n_after = 1, .after = &id};
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_WRITE, &cb, &o), -EINVAL);
	o = (struct xaio_opt){.after = &id};
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_WRITE, &cb, &o), -EINVAL);
	xt_cb_set(&bad, 1000, NULL, 0, 0);
	errno = 1234;
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, O_SYNC, &bad, NULL), -EBADF);
	XT_ASSERT_EQ(errno, 1234); /* the native API never changes it */
	cb.aio_reqprio = -1;
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_WRITE, &cb, NULL), -EINVAL);
	XT_ASSERT_EQ(aio_error(&cb), EINVAL);
	cb.aio_reqprio = 0;

	/* The insert callback's veto: nothing runs, nothing is counted. */
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, veto, NULL, NULL), 0);
	o = (struct xaio_opt){.op_id = &id};
	id = 0;
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_WRITE, &cb, &o), -ECANCELED);
	XT_ASSERT(vetoed_id != 0); /* the callback saw the id */
	XT_ASSERT_EQ(id, 0); /* refused: no id stored */
	XT_ASSERT_EQ(xaio_evset_set_callbacks(es, NULL, NULL, NULL), 0);

	/* After a failure, a refusing set refuses aiocbs too. */
	xt_cb_set(&bad, 1000, back, BLK, 0);
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_READ, &bad, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.failed, 1);
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_WRITE, &cb, NULL),
		     -ECANCELED);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.inserted, 1);
	XT_ASSERT_EQ(c.in_progress, 0);
	/* None of the refused writes ran. */
	XT_ASSERT_EQ(pread(fd, back, BLK, 0), BLK);
	xt_fill_pattern(orig, BLK, 0);
	XT_ASSERT_MEM_EQ(back, orig, BLK);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	close(fd);
	return XT_PASS;
}

/* A read blocked on a pipe is running: the set cannot cancel it. */
static int test_cancel_running(void)
{
	static unsigned char buf[16];
	static struct aiocb cb;
	struct xaio_evset *es;
	struct xaio_evset_counts c;
	struct xaio_op_info info;
	size_t not_canceled = 0;
	uint64_t id = 0;
	struct xaio_opt o = {.op_id = &id};
	int p[2];

	XT_ASSERT_EQ(pipe(p), 0);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	xt_cb_set(&cb, p[0], buf, sizeof(buf), 0);
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_READ, &cb, &o), 0);
	xt_sleep_ms(50); /* started: blocked in the read */
	XT_ASSERT_EQ(xaio_evset_cancel(es, id, &not_canceled), 0);
	XT_ASSERT_EQ(not_canceled, 1);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, id, 0, &info), -ETIMEDOUT);
	XT_ASSERT_EQ(write(p[1], "hello", 5), 5);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, id, XAIO_WAIT_FOREVER, &info), 0);
	XT_ASSERT_EQ(info.status, 0);
	XT_ASSERT_EQ(info.result, 5);
	XT_ASSERT_EQ(aio_return(&cb), 5);
	XT_ASSERT_MEM_EQ(buf, "hello", 5);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 1);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	close(p[0]);
	close(p[1]);
	return XT_PASS;
}

/*
 * A set that progresses without a waiter: nobody calls into xaio, yet the
 * aiocb (no sigevent) completes and the set's eventfd says so.
 */
static int test_background(void)
{
	static unsigned char buf[BLK];
	static struct aiocb cb;
	struct xaio_evset_attr attr = {.size = sizeof(attr)};
	struct xaio_evset *es;
	struct xaio_evset_counts c;
	struct pollfd pfd;
	int fd;

	fd = xt_make_file("background", BLK, 0);
	XT_ASSERT(fd >= 0);
	attr.flags = XAIO_EVSET_BACKGROUND;
	XT_ASSERT_EQ(xaio_evset_create(&es, &attr), 0);
	pfd.fd = xaio_evset_fd(es);
	pfd.events = POLLIN;
	XT_ASSERT(pfd.fd >= 0);
	memset(buf, 0x42, BLK);
	xt_cb_set(&cb, fd, buf, BLK, 0);
	XT_ASSERT_EQ(xaio_evset_add_aiocb(es, LIO_WRITE, &cb, NULL), 0);
	XT_ASSERT_EQ(poll(&pfd, 1, 20000), 1);
	XT_ASSERT_EQ(aio_error(&cb), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, 0, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 1);
	XT_ASSERT_EQ(aio_return(&cb), BLK);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	close(fd);
	return XT_PASS;
}

static int test_null_set(void)
{
	static unsigned char buf[BLK];
	static struct aiocb cb;
	int fd;

	fd = xt_make_file("nullset", BLK, 0);
	XT_ASSERT(fd >= 0);
	memset(buf, 0x21, BLK);
	xt_cb_set(&cb, fd, buf, BLK, 0);
	XT_ASSERT_EQ(xaio_evset_add_aiocb(NULL, LIO_WRITE, &cb, NULL), 0);
	XT_ASSERT_EQ(xt_cb_wait(&cb, 10000), 0);
	XT_ASSERT_EQ(aio_return(&cb), BLK);
	close(fd);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"tracked", test_tracked},
	{"failure_record", test_failure_record},
	{"refusals", test_refusals},
	{"cancel_running", test_cancel_running},
	{"background", test_background},
	{"null_set", test_null_set},
};

XT_MAIN(cases)
