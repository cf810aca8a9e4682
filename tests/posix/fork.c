// SPDX-License-Identifier: MIT
/*
 * fork(): the child starts with no AIO state and AIO works there, whether
 * the parent was idle (a request had just completed) or had a request
 * blocked at fork time; in the child, regular-file and pipe reads and
 * SIGEV_THREAD notification work; the parent's blocked request still
 * completes in the parent; the child does not keep the private duplicates
 * of descriptors the parent's requests run on.  Each child runs under alarm(5)
 * so that a hang (glibc G5) becomes a failure.  The child's view of the
 * parent's in-flight aiocb is unspecified and not tested.
 */
#include <aio.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xaio/posix.h"
#include "xtest.h"
#include "xaio-test.h"

#define FILE_LEN 65536
#define BLK 4096

/* atomic_load() as a function, so that assertion messages stay short. */
static int ld(atomic_int *v)
{
	return atomic_load(v);
}

/* Waits with aio_suspend() (4 s) and checks a read of the pattern file. */
static int check_file_read(struct aiocb *cb, const unsigned char *buf,
			   off_t off)
{
	const struct aiocb *list[1] = {cb};
	struct timespec ts = {4, 0};
	unsigned char want[BLK];

	if (aio_error(cb) == EINPROGRESS)
		XT_ASSERT_OK(aio_suspend(list, 1, &ts));
	XT_ASSERT_EQ(aio_error(cb), 0);
	XT_ASSERT_EQ(aio_return(cb), BLK);
	xt_fill_pattern(want, BLK, (uint64_t)off);
	XT_ASSERT_MEM_EQ(buf, want, BLK);
	return XT_PASS;
}

/*
 * Forks; the child runs fn(arg) under alarm(5) and leaves with _exit()
 * (never exit(): that would remove the parent's temporary directory).
 * Returns the child's verdict.
 */
static int fork_child(int (*fn)(void *), void *arg)
{
	int64_t end;
	int status = 0;
	pid_t pid, r;

	(void)xt_tmpdir(); /* created (and later removed) by the parent */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	XT_ASSERT(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		int rc;

		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGALRM, SIG_DFL);
		alarm(5);
		rc = fn(arg);
		if (rc == XT_PASS && xt_check_failures())
			rc = XT_FAIL;
		_exit(rc);
	}
	end = xt_now_ms() + 8000;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (xt_now_ms() > end) {
			fprintf(stderr, "child did not finish in 8 s\n");
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return XT_FAIL;
		}
		xt_sleep_ms(2);
	}
	XT_ASSERT_EQ(r, pid);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "child killed by signal %d (%s)%s\n",
			WTERMSIG(status), strsignal(WTERMSIG(status)),
			WTERMSIG(status) == SIGALRM ? ": hung for 5 s" : "");
		return XT_FAIL;
	}
	XT_ASSERT(WIFEXITED(status));
	if (WEXITSTATUS(status) != XT_PASS) {
		fprintf(stderr, "child failed (exit status %d)\n",
			WEXITSTATUS(status));
		return XT_FAIL;
	}
	return XT_PASS;
}

/* ---- fork while idle ---- */

static int idle_child(void *arg)
{
	static unsigned char buf[BLK];
	static struct aiocb cb;
	int fd = *(int *)arg;

	xt_cb_set(&cb, fd, buf, BLK, 3 * BLK);
	XT_ASSERT_OK(aio_read(&cb));
	return check_file_read(&cb, buf, 3 * BLK);
}

/*
 * A request completes, then fork: the child's aio_read of a regular file
 * completes (glibc G5: the child inherits a phantom idle helper and its
 * request is never serviced).
 */
static int fork_after_idle(void)
{
	static unsigned char buf[BLK];
	static struct aiocb cb;
	int fd, r;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("idle", FILE_LEN, 0);
	XT_ASSERT(fd >= 0);
	xt_cb_set(&cb, fd, buf, BLK, BLK);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_poll(&cb, 3000), 0);
	if (check_file_read(&cb, buf, BLK) != XT_PASS) {
		close(fd);
		return XT_FAIL;
	}
	r = fork_child(idle_child, &fd);
	/* AIO still works in the parent afterwards. */
	xt_cb_set(&cb, fd, buf, BLK, 2 * BLK);
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_poll(&cb, 3000), 0);
	if (check_file_read(&cb, buf, 2 * BLK) != XT_PASS)
		r = XT_FAIL;
	close(fd);
	return r;
}

/* ---- fork with a request blocked in the parent ---- */

static atomic_int cb_calls;
static atomic_int cb_value;
static struct aiocb *cb_target;
static atomic_int cb_not_done;

static void thread_cb(union sigval v)
{
	if (cb_target && aio_error(cb_target) == EINPROGRESS)
		atomic_fetch_add(&cb_not_done, 1);
	atomic_store(&cb_value, v.sival_int);
	atomic_fetch_add(&cb_calls, 1);
}

/* An aio_read with SIGEV_THREAD; waits for the callback (3 s). */
static int sigev_thread_read(int fd, int value)
{
	static unsigned char buf[BLK];
	static struct aiocb cb;
	int64_t end;

	atomic_store(&cb_calls, 0);
	atomic_store(&cb_value, 0);
	atomic_store(&cb_not_done, 0);
	xt_cb_set(&cb, fd, buf, BLK, 5 * BLK);
	cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
	cb.aio_sigevent.sigev_notify_function = thread_cb;
	cb.aio_sigevent.sigev_value.sival_int = value;
	cb_target = &cb;
	XT_ASSERT_OK(aio_read(&cb));
	end = xt_now_ms() + 3000;
	while (atomic_load(&cb_calls) == 0 && xt_now_ms() < end)
		xt_sleep_ms(1);
	xt_sleep_ms(20);
	if (atomic_load(&cb_calls) == 0)
		fprintf(stderr, "SIGEV_THREAD callback never ran\n");
	XT_ASSERT_EQ(ld(&cb_calls), 1);
	XT_ASSERT_EQ(ld(&cb_value), value);
	XT_ASSERT_EQ(ld(&cb_not_done), 0);
	return check_file_read(&cb, buf, 5 * BLK);
}

static int busy_child(void *arg)
{
	static unsigned char buf[BLK];
	static char pbuf[64];
	static struct aiocb cb, pcb;
	const struct aiocb *list[1] = {&pcb};
	struct timespec ts = {3, 0};
	int fd = *(int *)arg;
	int q[2];

	/* A regular file (the inherited fd). */
	xt_cb_set(&cb, fd, buf, BLK, 4 * BLK);
	XT_ASSERT_OK(aio_read(&cb));
	if (check_file_read(&cb, buf, 4 * BLK) != XT_PASS)
		return XT_FAIL;

	/* A pipe of the child's own. */
	XT_ASSERT_OK(pipe(q));
	xt_cb_set(&pcb, q[0], pbuf, sizeof(pbuf), 0);
	XT_ASSERT_OK(aio_read(&pcb));
	xt_sleep_ms(10);
	XT_ASSERT_EQ(aio_error(&pcb), EINPROGRESS);
	XT_ASSERT_EQ(write(q[1], "child", 5), 5);
	XT_ASSERT_OK(aio_suspend(list, 1, &ts));
	XT_ASSERT_EQ(aio_error(&pcb), 0);
	XT_ASSERT_EQ(aio_return(&pcb), 5);
	XT_ASSERT_MEM_EQ(pbuf, "child", 5);
	close(q[0]);
	close(q[1]);

	/* SIGEV_THREAD: a notification thread of the child's own. */
	return sigev_thread_read(fd, 31337);
}

static int busy_body(int fd, int p[2], struct aiocb *pcb, char *pbuf)
{
	int r;

	/* Notification machinery in use in the parent before the fork. */
	if (sigev_thread_read(fd, 17) != XT_PASS)
		return XT_FAIL;

	xt_cb_set(pcb, p[0], pbuf, 64, 0);
	XT_ASSERT_OK(aio_read(pcb));
	xt_sleep_ms(20); /* really blocked in the read at fork time */
	XT_ASSERT_EQ(aio_error(pcb), EINPROGRESS);

	r = fork_child(busy_child, &fd);

	/* The parent's request was not disturbed and still completes. */
	XT_ASSERT_EQ(aio_error(pcb), EINPROGRESS);
	XT_ASSERT_EQ(write(p[1], "parent", 6), 6);
	XT_ASSERT_EQ(xt_cb_poll(pcb, 3000), 0);
	XT_ASSERT_EQ(aio_error(pcb), 0);
	XT_ASSERT_EQ(aio_return(pcb), 6);
	XT_ASSERT_MEM_EQ(pbuf, "parent", 6);
	return r;
}

/*
 * Fork while a parent request is blocked on a pipe read: the child reads a
 * regular file, reads a pipe of its own and gets a SIGEV_THREAD callback;
 * the parent's read completes in the parent once the parent writes.
 */
static int fork_with_blocked_request(void)
{
	static char pbuf[64];
	static struct aiocb pcb;
	int fd, p[2], r;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("busy", FILE_LEN, 0);
	XT_ASSERT(fd >= 0);
	XT_ASSERT_OK(pipe(p));
	memset(&pcb, 0, sizeof(pcb));
	r = busy_body(fd, p, &pcb, pbuf);
	if (pcb.aio_buf && aio_error(&pcb) == EINPROGRESS) {
		if (write(p[1], "x", 1) != 1 || xt_cb_poll(&pcb, 3000)) {
			fprintf(stderr, "the parent's pipe read is stuck\n");
			return XT_FAIL; /* leave the fds: still in use */
		}
	}
	close(p[0]);
	close(p[1]);
	close(fd);
	return r;
}

/*
 * A write held behind a blocked one on a pipe (and, on the thread pool,
 * every queued write) runs on a private duplicate of the write end.  A
 * child forked meanwhile must not keep those open: once the parent's
 * writes are done and every write end the program knows of is closed (the
 * child closes its copies and waits), the reader sees end of file.
 */
static int fork_drops_private_dups(void)
{
	static char big[65536], sink[65536];
	static struct aiocb cbs[2];
	int p[2], go[2], eof = 0, status;
	int64_t end;
	pid_t pid;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(pipe(p));
	XT_ASSERT_OK(pipe(go));
	XT_ASSERT_GE(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	for (int i = 0; i < 2; i++) {
		xt_cb_set(&cbs[i], p[1], big, sizeof(big), 0);
		XT_ASSERT_OK(aio_write(&cbs[i]));
	}
	xt_sleep_ms(50); /* the first blocks on the full pipe */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	XT_ASSERT(pid >= 0);
	if (pid == 0) {
		char c;

		close(p[0]);
		close(p[1]);
		close(go[1]);
		_exit(read(go[0], &c, 1) == 0 ? 0
					      : 1); /* until the parent says */
	}
	close(go[0]);
	end = xt_now_ms() + 5000;
	while ((aio_error(&cbs[0]) == EINPROGRESS ||
		aio_error(&cbs[1]) == EINPROGRESS) &&
	       xt_now_ms() < end) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};

		if (poll(&pfd, 1, 10) > 0 && read(p[0], sink, sizeof(sink)) < 0)
			break;
	}
	close(p[1]);
	XT_ASSERT_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	end = xt_now_ms() + 2000;
	while (!eof && xt_now_ms() < end) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		ssize_t n = read(p[0], sink, sizeof(sink));

		if (n == 0)
			eof = 1;
		else if (n < 0)
			poll(&pfd, 1, 50);
	}
	close(go[1]);
	XT_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	close(p[0]);
	XT_ASSERT_EQ(aio_return(&cbs[0]), (ssize_t)sizeof(big));
	XT_ASSERT_EQ(aio_return(&cbs[1]), (ssize_t)sizeof(big));
	XT_ASSERT_EQ(eof, 1);
	XT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return XT_PASS;
}

/*
 * The child inherits nothing of the parent's AIO: no engine descriptor and
 * no private duplicate (a writev to a full pipe runs on one on the pool),
 * no request (the parent's in-flight aiocb is unknown: EINVAL), no
 * completion (aio_waitcomplete: nothing outstanding, at once, not the
 * parent's finished aiocb); and its own AIO works.  On 58309d6 the child
 * kept a duplicate and aio_waitcomplete returned the parent's aiocb.
 */
static struct aiocb inh_done, inh_pipe;
static int inh_p[2], inh_fd;
static char inh_buf[16];

static int inherit_child(void *arg)
{
	static unsigned char buf[4096];
	struct aiocb *got = &inh_done;
	char path[64], link[64];
	int fds[8];
	ssize_t len;

	(void)arg;
	XT_ASSERT_EQ(xt_count_engine_fds(), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", inh_p[1]);
	len = readlink(path, link, sizeof(link) - 1);
	XT_ASSERT_GT(len, 0);
	link[len] = 0;
	XT_ASSERT_EQ(xt_fd_links(link, NULL, fds, 8), 2); /* p[0], p[1] */
	XT_ASSERT_ERRNO(aio_waitcomplete(&got, NULL), EINVAL);
	XT_ASSERT(got == NULL);
	XT_ASSERT_ERRNO(aio_error(&inh_pipe), EINVAL);
	/* The child's own AIO. */
	xt_cb_set(&inh_done, inh_fd, buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&inh_done));
	XT_ASSERT_EQ(check_file_read(&inh_done, buf, 0), XT_PASS);
	return XT_PASS;
}

static int fork_inherits_nothing(void)
{
	static char big[65536];
	static unsigned char buf[4096];
	struct iovec iov = {big, sizeof(big)};
	int r;

	XT_REQUIRE_BACKEND();
	inh_fd = xt_make_file("inherit", 4096, 0);
	XT_ASSERT_GE(inh_fd, 0);
	XT_ASSERT_OK(pipe(inh_p));
	XT_ASSERT_GE(fcntl(inh_p[1], F_SETPIPE_SZ, 4096), 4096);
	/* Finished, not collected: aio_waitcomplete would return it. */
	xt_cb_set(&inh_done, inh_fd, buf, sizeof(buf), 0);
	XT_ASSERT_OK(aio_read(&inh_done));
	XT_ASSERT_EQ(xt_cb_wait(&inh_done, 3000), 0);
	/* A vectored write blocked on the full pipe, on a private dup. */
	memset(&inh_pipe, 0, sizeof(inh_pipe));
	inh_pipe.aio_fildes = inh_p[1];
	XAIO_AIOCB_SET_IOV(&inh_pipe, &iov, 1);
	XT_ASSERT_OK(aio_writev(&inh_pipe));
	xt_sleep_ms(50);
	XT_ASSERT_EQ(aio_error(&inh_pipe), EINPROGRESS);
	r = fork_child(inherit_child, NULL);
	/* Drain: the write completes in the parent. */
	XT_ASSERT_OK(fcntl(inh_p[0], F_SETFL, O_NONBLOCK));
	for (int64_t end = xt_now_ms() + 5000;
	     aio_error(&inh_pipe) == EINPROGRESS && xt_now_ms() < end;)
		if (read(inh_p[0], inh_buf, sizeof(inh_buf)) < 0)
			xt_sleep_ms(1);
	XT_ASSERT_EQ(aio_return(&inh_pipe), (ssize_t)sizeof(big));
	aio_return(&inh_done);
	close(inh_p[0]);
	close(inh_p[1]);
	close(inh_fd);
	return r;
}

static struct xt_case cases[] = {
	{"fork_after_idle", fork_after_idle},
	{"fork_with_blocked_request", fork_with_blocked_request},
	{"fork_drops_private_dups", fork_drops_private_dups},
	{"fork_inherits_nothing", fork_inherits_nothing},
};

XT_MAIN(cases)
