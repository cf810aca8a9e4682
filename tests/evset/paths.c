// SPDX-License-Identifier: MIT
/*
 * xaio_mkdir and ordering by path (scenario 8).  In one set, a create
 * inside a directory whose mkdir is still pending waits for it (the mkdir
 * is held behind a gate: without the ordering the create runs at once and
 * fails with ENOENT), and so do a stat of the directory and a nested
 * mkdir; an unrelated path does not wait; spellings with "//", "./" and a
 * trailing slash are the same path; paths relative to a directory handle
 * are ordered among themselves; another set is not ordered by this one.
 * xaio_mkdir's own results: EEXIST, ENOENT, bad arguments, the synchronous
 * form, the error record's arguments.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtest.h"

/* xt_path(name) in a slot of its own (xt_path reuses its buffers). */
static const char *path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", xt_tmpdir(), name);
	return buf;
}

static int t_mkdir_orders_below(void)
{
	char d[4096], inside[4096], sub[4096], other[4096], odd[4096];
	static struct statx stx;
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL, *u = NULL, *f2 = NULL;
	struct xaio_op_info im, io, iu, is, isub, iodd;
	uint64_t mid = 0, oid = 0, uid = 0, sid = 0, subid = 0, oddid = 0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "paths.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	path_of(d, sizeof(d), "pd");
	path_of(inside, sizeof(inside), "pd/f");
	path_of(sub, sizeof(sub), "pd/sub/");
	path_of(other, sizeof(other), "pd-other");
	snprintf(odd, sizeof(odd), "%s//pd/./g", xt_tmpdir());
	rmdir(d);

	o = et_after(&g.id, &mid);
	XT_ASSERT_EQ(xaio_mkdir(NULL, d, 0755, &o, es), 0);
	o = et_id(&oid);
	XT_ASSERT_EQ(xaio_open(&f, inside, O_RDWR | O_CREAT, 0644, &o, es), 0);
	o = et_id(&sid);
	XT_ASSERT_EQ(xaio_stat(NULL, d, 0, STATX_TYPE, &stx, &o, es), 0);
	o = et_id(&subid);
	XT_ASSERT_EQ(xaio_mkdir(NULL, sub, 0755, &o, es), 0);
	o = et_id(&oddid);
	XT_ASSERT_EQ(xaio_open(&f2, odd, O_RDWR | O_CREAT, 0644, &o, es), 0);
	o = et_id(&uid);
	XT_ASSERT_EQ(xaio_open(&u, other, O_RDWR | O_CREAT, 0644, &o, es), 0);

	/* The unrelated path runs while the mkdir is held. */
	XT_ASSERT_EQ(xaio_evset_op_wait(es, uid, ET_LONG, &iu), 0);
	XT_ASSERT_EQ(iu.status, 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oid, ET_MS(30), &io), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, sid, 0, &is), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, subid, 0, &isub), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oddid, 0, &iodd), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, mid, ET_LONG, &im), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oid, ET_LONG, &io), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, sid, ET_LONG, &is), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, subid, ET_LONG, &isub), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oddid, ET_LONG, &iodd), 0);
	XT_ASSERT_EQ(im.status, 0);
	XT_ASSERT(!strcmp(im.api, "xaio_mkdir"));
	XT_ASSERT_EQ(io.status, 0);
	XT_ASSERT_EQ(is.status, 0);
	XT_ASSERT(S_ISDIR(stx.stx_mode));
	XT_ASSERT_EQ(isub.status, 0);
	XT_ASSERT_EQ(iodd.status, 0);
	XT_ASSERT_GE(io.t_start_ns, im.t_end_ns);
	XT_ASSERT_GE(isub.t_start_ns, im.t_end_ns);
	XT_ASSERT_GE(iodd.t_start_ns, im.t_end_ns);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(f2, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(u, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* Relative to a directory handle; and no order across sets. */
static int t_handle_and_other_set(void)
{
	char base[4096];
	struct et_gate g;
	struct xaio_evset *es = NULL, *es2 = NULL;
	struct xaio_file *dir = NULL, *f = NULL, *f2 = NULL;
	struct xaio_op_info im, io, io2;
	uint64_t mid = 0, oid = 0, o2id = 0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "paths2.fifo");
	path_of(base, sizeof(base), "pbase");
	rmdir(xt_path("pbase/kid"));
	rmdir(base);
	XT_ASSERT_EQ(mkdir(base, 0755), 0);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_create(&es2, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&dir, base, O_RDONLY | O_DIRECTORY, 0, NULL, es),
		     0);
	o = et_after(&g.id, &mid);
	XT_ASSERT_EQ(xaio_mkdir(dir, "kid", 0700, &o, es), 0);
	o = et_id(&oid);
	XT_ASSERT_EQ(
		xaio_openat(&f, dir, "kid/x", O_RDWR | O_CREAT, 0644, &o, es),
		0);
	/* Another set: not ordered by this one's mkdir (ENOENT at once). */
	o = et_id(&o2id);
	XT_ASSERT_EQ(
		xaio_openat(&f2, dir, "kid/y", O_RDWR | O_CREAT, 0644, &o, es2),
		0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es2, o2id, ET_LONG, &io2), 0);
	XT_ASSERT_EQ(io2.status, ENOENT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oid, ET_MS(30), &io), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, mid, ET_LONG, &im), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oid, ET_LONG, &io), 0);
	XT_ASSERT_EQ(im.status, 0);
	XT_ASSERT_EQ(io.status, 0);
	XT_ASSERT_GE(io.t_start_ns, im.t_end_ns);
	XT_ASSERT_EQ(et_file_size(xt_path("pbase/kid/x")), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(f2, NULL, es2), 0);
	XT_ASSERT_EQ(xaio_close(dir, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(xaio_evset_close(es2, XAIO_CLOSE_DISCARD_ERRORS), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

static int t_mkdir_results(void)
{
	char d[4096];
	struct xaio_evset *es = NULL;
	struct xaio_evset_counts c;
	struct xaio_error e;
	struct stat st;
	size_t n = 0;
	struct xaio_opt o = {0};
	mode_t mask = umask(0);

	umask(mask);
	XT_REQUIRE_BACKEND();
	path_of(d, sizeof(d), "pres");
	rmdir(d);
	/* Synchronous. */
	XT_ASSERT_EQ(xaio_mkdir(NULL, d, 0750, NULL, NULL), 0);
	XT_ASSERT_EQ(stat(d, &st), 0);
	XT_ASSERT(S_ISDIR(st.st_mode));
	XT_ASSERT_EQ(st.st_mode & 0777, 0750 & ~mask);
	XT_ASSERT_EQ(xaio_mkdir(NULL, d, 0750, NULL, NULL), -EEXIST);
	XT_ASSERT_EQ(xaio_mkdir(NULL, xt_path("none/deeper"), 0750, NULL, NULL),
		     -ENOENT);
	/* Bad arguments start nothing. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_mkdir(NULL, NULL, 0750, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_mkdir(NULL, "", 0750, NULL, es), -ENOENT);
	o.flags = XAIO_BUF_COPY;
	XT_ASSERT_EQ(xaio_mkdir(NULL, d, 0750, &o, es), -EINVAL);
	XT_ASSERT_EQ(xaio_evset_counts(es, &c), 0);
	XT_ASSERT_EQ(c.inserted, 0);
	/* Asynchronous failure: an error record with the path. */
	XT_ASSERT_EQ(xaio_mkdir(NULL, d, 0750, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, &c), 0);
	XT_ASSERT_EQ(c.failed, 1);
	XT_ASSERT_EQ(xaio_evset_errors(es, &e, 1, &n), 0);
	XT_ASSERT_EQ(n, 1);
	XT_ASSERT_EQ(e.info.status, EEXIST);
	XT_ASSERT(e.args && strstr(e.args, "pres") && strstr(e.args, "0750"));
	xaio_evset_free_errors(&e, n);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(rmdir(d), 0);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"mkdir_orders_below", t_mkdir_orders_below},
	{"handle_and_other_set", t_handle_and_other_set},
	{"mkdir_results", t_mkdir_results},
};

XT_MAIN(cases)
