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
 * form, the error record's arguments.  The name operations (names.c) in one
 * chain behind a held mkdir: create, symlink, link, rename of the directory
 * (after what was created inside it), then readlink, access, stat, unlinks
 * and rmdir under the new name (the rmdir after the unlinks inside it); a
 * rename ordered after an earlier operation on its new path and before a
 * later one on its old path.
 */
#include <fcntl.h>
#include <stdio.h>
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

/* Submits one operation of the chain; its id goes to ids[*n]. */
#define CHAIN(ids, n, call, ...)                                               \
	do {                                                                   \
		struct xaio_opt o_ = et_id(&(ids)[*(n)]);                      \
		XT_ASSERT_EQ(call(__VA_ARGS__, &o_, es), 0);                   \
		(*(n))++;                                                      \
	} while (0)

static int t_names_chain(void)
{
	char d[4096], e[4096], other[4096];
	static struct statx stx;
	static char lbuf[64];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct xaio_op_info in[16], io;
	uint64_t ids[16] = {0}, oid = 0;
	struct xaio_opt o;
	struct stat st;
	size_t n = 0;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "chain.fifo");
	path_of(d, sizeof(d), "cd");
	path_of(e, sizeof(e), "ce");
	path_of(other, sizeof(other), "c-other");
	XT_ASSERT_EQ(close(open(other, O_CREAT | O_WRONLY, 0644)), 0);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_after(&g.id, &ids[n++]);
	XT_ASSERT_EQ(xaio_mkdir(NULL, d, 0755, &o, es), 0);
	o = et_id(&ids[n++]);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("cd/f"), O_CREAT | O_WRONLY, 0644,
			       &o, es),
		     0);
	CHAIN(ids, &n, xaio_symlink, "f", NULL, xt_path("cd/l"));
	CHAIN(ids, &n, xaio_link, NULL, xt_path("cd/f"), NULL, xt_path("cd/h"),
	      0);
	CHAIN(ids, &n, xaio_rename, NULL, d, NULL, e, RENAME_NOREPLACE);
	CHAIN(ids, &n, xaio_readlink, NULL, xt_path("ce/l"), lbuf,
	      sizeof(lbuf));
	CHAIN(ids, &n, xaio_access, NULL, xt_path("ce/h"), W_OK, 0);
	CHAIN(ids, &n, xaio_stat, NULL, xt_path("ce/f"), 0, STATX_TYPE, &stx);
	CHAIN(ids, &n, xaio_unlink, NULL, xt_path("ce/f"));
	CHAIN(ids, &n, xaio_unlink, NULL, xt_path("ce/h"));
	CHAIN(ids, &n, xaio_unlink, NULL, xt_path("ce/l"));
	CHAIN(ids, &n, xaio_rmdir, NULL, e);
	/* An unrelated path runs while the chain is held. */
	o = et_id(&oid);
	XT_ASSERT_EQ(xaio_unlink(NULL, other, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oid, ET_LONG, &io), 0);
	XT_ASSERT_EQ(io.status, 0);
	for (size_t i = 0; i < n; i++)
		XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[i], i ? 0 : ET_MS(30),
						&in[i]),
			     -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	for (size_t i = 0; i < n; i++) {
		XT_ASSERT_EQ(xaio_evset_op_wait(es, ids[i], ET_LONG, &in[i]),
			     0);
		if (in[i].status)
			fprintf(stderr, "chain op %zu (%s): %s\n", i, in[i].api,
				strerror(in[i].status));
		XT_ASSERT_EQ(in[i].status, 0);
	}
	/* Each ran after the one it is ordered behind. */
	XT_ASSERT_GE(in[1].t_start_ns, in[0].t_end_ns); /* create, mkdir */
	XT_ASSERT_GE(in[4].t_start_ns, in[1].t_end_ns); /* rename, create */
	XT_ASSERT_GE(in[4].t_start_ns, in[3].t_end_ns); /* rename, link */
	XT_ASSERT_GE(in[8].t_start_ns, in[4].t_end_ns); /* unlink, rename */
	XT_ASSERT_GE(in[11].t_start_ns, in[10].t_end_ns); /* rmdir, unlink */
	XT_ASSERT_EQ(in[5].result, 1);
	XT_ASSERT(!strcmp(lbuf, "f"));
	XT_ASSERT(S_ISREG(stx.stx_mode));
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	XT_ASSERT(lstat(d, &st) < 0 && errno == ENOENT);
	XT_ASSERT(lstat(e, &st) < 0 && errno == ENOENT);
	XT_ASSERT(lstat(other, &st) < 0 && errno == ENOENT);
	return XT_PASS;
}

/*
 * A rename waits for an earlier operation on its new path (the unlink
 * that makes room for RENAME_NOREPLACE) and a later one on its old path
 * waits for it (an O_EXCL create of the name it frees).
 */
static int t_rename_both_paths(void)
{
	char x[4096], y[4096], b[16];
	struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct xaio_op_info iu, ir, io;
	uint64_t uid = 0, rid = 0, oid = 0;
	struct xaio_opt o;
	int fd;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "both.fifo");
	path_of(x, sizeof(x), "bx");
	path_of(y, sizeof(y), "by");
	fd = open(x, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	XT_ASSERT_EQ(write(fd, "old", 3), 3);
	close(fd);
	XT_ASSERT_EQ(close(open(y, O_CREAT | O_WRONLY, 0644)), 0);
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	o = et_after(&g.id, &uid);
	XT_ASSERT_EQ(xaio_unlink(NULL, y, &o, es), 0);
	o = et_id(&rid);
	XT_ASSERT_EQ(xaio_rename(NULL, x, NULL, y, RENAME_NOREPLACE, &o, es),
		     0);
	o = et_id(&oid);
	XT_ASSERT_EQ(
		xaio_open(&f, x, O_CREAT | O_EXCL | O_WRONLY, 0644, &o, es), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, rid, ET_MS(30), &ir), -ETIMEDOUT);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oid, 0, &io), -ETIMEDOUT);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, uid, ET_LONG, &iu), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, rid, ET_LONG, &ir), 0);
	XT_ASSERT_EQ(xaio_evset_op_wait(es, oid, ET_LONG, &io), 0);
	XT_ASSERT_EQ(iu.status, 0);
	XT_ASSERT_EQ(ir.status, 0);
	XT_ASSERT_EQ(io.status, 0);
	XT_ASSERT_GE(ir.t_start_ns, iu.t_end_ns);
	XT_ASSERT_GE(io.t_start_ns, ir.t_end_ns);
	XT_ASSERT_EQ(et_read_file(y, b, sizeof(b), 0), 3);
	XT_ASSERT(!memcmp(b, "old", 3));
	XT_ASSERT_EQ(et_file_size(x), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"mkdir_orders_below", t_mkdir_orders_below},
	{"handle_and_other_set", t_handle_and_other_set},
	{"mkdir_results", t_mkdir_results},
	{"names_chain", t_names_chain},
	{"rename_both_paths", t_rename_both_paths},
};

XT_MAIN(cases)
