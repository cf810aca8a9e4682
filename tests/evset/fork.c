// SPDX-License-Identifier: MIT
/*
 * fork() and exit().  In a child, inherited sets have nothing in progress
 * and have dropped what completed unharvested; new sets, new handles and
 * inherited handles whose open completed work (also barriers and
 * overlapping ranges that a parent's pending operation covered); the
 * parent is unaffected: its pending operation completes there, its
 * unharvested one is still harvested.  A process that returns from main
 * with writes and an fsync submitted and never waited for exits only once
 * they are done: the data is in the file (evset-exit-child), also when
 * the writes were held behind a gate the parent opens later.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "evtest.h"

#ifndef EVSET_EXIT_CHILD
#define EVSET_EXIT_CHILD "evset-exit-child"
#endif

#define BLK 4096

static struct xaio_evset *p_es;
static struct xaio_file *p_f;

static int child_after_fork(void)
{
	static unsigned char w[BLK], r[BLK], want[BLK];
	struct xaio_evset *es2 = NULL;
	struct xaio_evset_counts c;
	struct xaio_op_info info;
	struct xaio_file *nf = NULL;
	ssize_t got = -1;
	int dropped, rc;

	/* The inherited set: nothing in progress, nothing to harvest. */
	XT_ASSERT_EQ(xaio_evset_counts(p_es, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 0);
	/* (Checked at the end, so that the rest runs too.) */
	dropped = xaio_evset_wait_any(p_es, 0, &info);
	if (dropped != -ENOENT)
		fprintf(stderr,
			"child: wait_any on the inherited set: %d "
			"(op %llu), want -ENOENT\n",
			dropped, (unsigned long long)info.op_id);
	XT_ASSERT_EQ(xaio_evset_wait(p_es, 0, 0, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 0);

	/* A new set and a new file. */
	XT_ASSERT_EQ(xaio_evset_create(&es2, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&nf, xt_path("fork-child"),
			       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL, es2),
		     0);
	xt_fill_pattern(w, BLK, 4242);
	XT_ASSERT_EQ(xaio_pwrite(nf, w, BLK, 0, NULL, NULL, es2), 0);
	XT_ASSERT_EQ(xaio_pread(nf, r, BLK, 0, &got, NULL, es2), 0);
	XT_ASSERT_EQ(xaio_fsync(nf, NULL, es2), 0);
	XT_ASSERT_EQ(xaio_close(nf, NULL, es2), 0);
	rc = xaio_evset_wait(es2, ET_LONG, 0, &c);
	if (rc)
		fprintf(stderr,
			"child: open, write, read, fsync, close: %llu in "
			"progress, %llu succeeded, %llu failed after 30 s\n",
			(unsigned long long)c.in_progress,
			(unsigned long long)c.succeeded,
			(unsigned long long)c.failed);
	XT_ASSERT_EQ(rc, 0);
	XT_ASSERT_EQ(c.succeeded, 5);
	XT_ASSERT_EQ(got, BLK);
	XT_ASSERT_MEM_EQ(r, w, BLK);

	/*
	 * The inherited handle: its open completed in the parent.  A
	 * barrier and a read of the range the parent's pending write
	 * covers must not wait for that write (it is not in this process).
	 */
	memset(want, 'P', BLK);
	XT_ASSERT_EQ(xaio_pread(p_f, r, BLK, 0, NULL, NULL, es2), 0);
	XT_ASSERT_EQ(xaio_pwrite(p_f, w, 100, 50000, NULL, NULL, es2), 0);
	XT_ASSERT_EQ(xaio_fsync(p_f, NULL, es2), 0);
	XT_ASSERT_EQ(xaio_pread(p_f, w, 100, 2 * BLK, NULL, NULL, es2), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es2, ET_LONG, 0, &c), 0);
	XT_ASSERT_EQ(c.failed + c.dep_canceled + c.canceled, 0);
	XT_ASSERT_MEM_EQ(r, want, BLK);
	XT_ASSERT_EQ(xaio_pread(p_f, r, BLK, BLK, NULL, NULL, NULL), BLK);
	memset(want, 'Q', BLK);
	XT_ASSERT_MEM_EQ(r, want, BLK);
	XT_ASSERT_EQ(xaio_close(p_f, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(p_es, 0), 0);
	XT_ASSERT_EQ(xaio_evset_close(es2, 0), 0);
	XT_ASSERT_EQ(dropped, -ENOENT);
	return XT_PASS;
}

static int t_child_works(void)
{
	static unsigned char p[BLK], q[BLK], gw[BLK], back[3 * BLK];
	struct et_gate g;
	struct xaio_evset_counts c;
	struct xaio_op_info infos[4];
	uint64_t qid = 0, gid = 0;
	struct xaio_opt o;

	XT_REQUIRE_BACKEND();
	ET_GATE(&g, "fork.fifo");
	XT_ASSERT_EQ(xaio_evset_create(&p_es, NULL), 0);
	p_f = NULL;
	XT_ASSERT_EQ(xaio_open(&p_f, xt_path("fork-parent"),
			       O_RDWR | O_CREAT | O_TRUNC, 0644, NULL, NULL),
		     0);
	memset(p, 'P', BLK);
	memset(q, 'Q', BLK);
	memset(gw, 'G', BLK);
	XT_ASSERT_EQ(xaio_pwrite(p_f, p, BLK, 0, NULL, NULL, NULL), BLK);
	o = et_id(&qid);
	XT_ASSERT_EQ(xaio_pwrite(p_f, q, BLK, BLK, NULL, &o, p_es), 0);
	XT_ASSERT_EQ(xaio_file_wait(p_f, XAIO_WAIT_FOREVER), 0);
	o = et_after(&g.id, &gid);
	XT_ASSERT_EQ(xaio_pwrite(p_f, gw, BLK, 2 * BLK, NULL, &o, p_es), 0);
	XT_ASSERT_EQ(xaio_evset_counts(p_es, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 1);

	/* No worker inside malloc at fork (see et_quiesce_workers). */
	XT_ASSERT_EQ(et_quiesce_workers(10000), 0);
	XT_ASSERT_EQ(xt_run_child(child_after_fork, 60000), XT_PASS);

	/* The parent's view is unchanged. */
	XT_ASSERT_EQ(xaio_evset_counts(p_es, &c), 0);
	XT_ASSERT_EQ(c.in_progress, 1);
	XT_ASSERT_EQ(c.succeeded, 1);
	XT_ASSERT_EQ(et_gate_release(&g), 0);
	XT_ASSERT_EQ(et_harvest(p_es, infos, 4), 2);
	XT_ASSERT(et_find(infos, 2, qid) != NULL);
	XT_ASSERT(et_find(infos, 2, gid) != NULL);
	XT_ASSERT_EQ(et_find(infos, 2, gid)->status, 0);
	XT_ASSERT_EQ(et_read_file(xt_path("fork-parent"), back, 3 * BLK, 0),
		     3 * BLK);
	XT_ASSERT_MEM_EQ(back, p, BLK);
	XT_ASSERT_MEM_EQ(back + BLK, q, BLK);
	XT_ASSERT_MEM_EQ(back + 2 * BLK, gw, BLK);
	/* And it goes on working. */
	XT_ASSERT_EQ(xaio_pwrite(p_f, p, BLK, 0, NULL, NULL, p_es), 0);
	XT_ASSERT_EQ(xaio_close(p_f, NULL, p_es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(p_es, XAIO_WAIT_FOREVER, 0, &c), 0);
	XT_ASSERT_EQ(c.succeeded, 4);
	XT_ASSERT_EQ(xaio_evset_close(p_es, 0), 0);
	XT_ASSERT_EQ(et_gate_close(&g), 0);
	return XT_PASS;
}

/* Waits for pid up to ms; its wait status, or -1 (then it is killed). */
static int wait_pid(pid_t pid, int ms)
{
	int64_t end = xt_now_ms() + ms;
	int st = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 || xt_now_ms() > end)
			break;
		xt_sleep_ms(2);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static int exit_case(int gated)
{
	enum { BLOCKS = 32, BLOCK = 65536 };
	unsigned char *back = malloc((size_t)BLOCKS * BLOCK);
	const char *path = xt_path(gated ? "exit-gated" : "exit-plain");
	const char *fifo = xt_path("exit.fifo");
	char blocks[16], fdnum[16], ready = 0;
	struct pollfd pfd;
	int p[2], st, wfd = -1;
	pid_t pid;

	XT_ASSERT(back != NULL);
	XT_ASSERT_OK(pipe(p));
	unlink(fifo);
	if (gated)
		XT_ASSERT_OK(mkfifo(fifo, 0600));
	snprintf(blocks, sizeof(blocks), "%d", BLOCKS);
	snprintf(fdnum, sizeof(fdnum), "%d", p[1]);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	XT_ASSERT(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		execl(EVSET_EXIT_CHILD, EVSET_EXIT_CHILD, path,
		      gated ? fifo : "-", blocks, fdnum, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, et_slack_ms(10000)) != 1 ||
	    read(p[0], &ready, 1) != 1) {
		close(p[0]);
		st = wait_pid(pid, 1000);
		if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			free(back);
			return XT_SKIP;
		}
		fprintf(stderr, "the child never got ready (status %#x)\n", st);
		return XT_FAIL;
	}
	close(p[0]);
	XT_ASSERT_EQ(ready, 'r');
	if (gated) {
		/* The child is in exit(), held by its writes. */
		xt_sleep_ms(150);
		XT_ASSERT_EQ(waitpid(pid, &st, WNOHANG), 0);
		XT_ASSERT_LT(et_file_size(path), BLOCKS * BLOCK);
		wfd = open(fifo, O_RDWR);
		XT_ASSERT_GE(wfd, 0);
		XT_ASSERT_EQ(write(wfd, "g", 1), 1);
	}
	st = wait_pid(pid, et_slack_ms(20000));
	if (wfd >= 0)
		close(wfd);
	XT_ASSERT_NE(st, -1);
	XT_ASSERT(WIFEXITED(st));
	XT_ASSERT_EQ(WEXITSTATUS(st), 0);
	XT_ASSERT_EQ(et_file_size(path), BLOCKS * BLOCK);
	XT_ASSERT_EQ(et_read_file(path, back, (size_t)BLOCKS * BLOCK, 0),
		     BLOCKS * BLOCK);
	for (size_t i = 0; i < (size_t)BLOCKS * BLOCK; i++)
		if (back[i] != xt_pattern(i)) {
			fprintf(stderr, "byte %zu: %#x, want %#x\n", i, back[i],
				xt_pattern(i));
			free(back);
			return XT_FAIL;
		}
	free(back);
	unlink(fifo);
	return XT_PASS;
}

static int t_exit_waits(void)
{
	XT_REQUIRE_BACKEND();
	return exit_case(0);
}

static int t_exit_waits_gated(void)
{
	XT_REQUIRE_BACKEND();
	return exit_case(1);
}

static struct xt_case cases[] = {
	{"child_works", t_child_works},
	{"exit_waits", t_exit_waits},
	{"exit_waits_gated", t_exit_waits_gated},
};

XT_MAIN(cases)
