// SPDX-License-Identifier: MIT
/*
 * Backend selection by XAIO_BACKEND: the thread backend never creates an
 * io_uring; the io_uring backend has at least one ring once requests ran,
 * every ring fd is close-on-exec, and an exec'd child holds no ring fd;
 * the ring has a kernel submission thread exactly when XAIO_SQPOLL asks
 * for one (the posix.*.sqpoll runs set it).  Each case runs only in the
 * run of its backend and skips in the other.
 */
#include <aio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xtest.h"
#include "xaio-test.h"

#define BLK 4096

/* A few requests of every kind on a regular file, all checked. */
static int do_requests(void)
{
	static unsigned char rbuf[BLK], wbuf[BLK], lbuf[2][BLK];
	static struct aiocb r, w, s, l[2];
	const struct aiocb *one[1];
	struct aiocb *list[2] = {&l[0], &l[1]};
	struct timespec ts = {3, 0};
	unsigned char want[BLK];
	int fd;

	fd = xt_make_file("backend", 8 * BLK, 0);
	XT_ASSERT(fd >= 0);
	xt_cb_set_op(&r, LIO_READ, fd, rbuf, BLK, BLK);
	XT_ASSERT_OK(aio_read(&r));
	one[0] = &r;
	XT_ASSERT_OK(aio_suspend(one, 1, &ts));
	XT_ASSERT_EQ(aio_return(&r), BLK);
	xt_fill_pattern(want, BLK, BLK);
	XT_ASSERT_MEM_EQ(rbuf, want, BLK);

	memset(wbuf, 0x77, BLK);
	xt_cb_set_op(&w, LIO_WRITE, fd, wbuf, BLK, 2 * BLK);
	XT_ASSERT_OK(aio_write(&w));
	XT_ASSERT_EQ(xt_cb_poll(&w, 3000), 0);
	XT_ASSERT_EQ(aio_return(&w), BLK);

	xt_cb_set_op(&s, LIO_NOP, fd, NULL, 0, 0);
	XT_ASSERT_OK(aio_fsync(O_SYNC, &s));
	XT_ASSERT_EQ(xt_cb_poll(&s, 3000), 0);
	XT_ASSERT_EQ(aio_error(&s), 0);

	xt_cb_set_op(&l[0], LIO_READ, fd, lbuf[0], BLK, 0);
	memset(lbuf[1], 0x78, BLK);
	xt_cb_set_op(&l[1], LIO_WRITE, fd, lbuf[1], BLK, 3 * BLK);
	XT_ASSERT_OK(lio_listio(LIO_WAIT, list, 2, NULL));
	XT_ASSERT_EQ(aio_return(&l[0]), BLK);
	XT_ASSERT_EQ(aio_return(&l[1]), BLK);
	close(fd);
	return XT_PASS;
}

/*
 * XAIO_BACKEND=threads: requests run and no io_uring ever exists, even
 * with XAIO_SQPOLL set (posix.backend.threads sets it).
 */
static int backend_threads_no_ring(void)
{
	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(strcmp(xt_backend(), "threads"),
		   "only in an XAIO_BACKEND=threads run");
	if (do_requests() != XT_PASS)
		return XT_FAIL;
	XT_ASSERT_EQ(xt_count_rings(), 0);
	XT_ASSERT_EQ(xt_count_threads_named("iou-sqp"), 0);
	return XT_PASS;
}

/* XAIO_BACKEND=uring: a ring exists once requests ran; all FD_CLOEXEC. */
static int backend_uring_ring_cloexec(void)
{
	int fds[64], n;

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(strcmp(xt_backend(), "uring"),
		   "only in an XAIO_BACKEND=uring run");
	if (do_requests() != XT_PASS)
		return XT_FAIL;
	n = xt_fd_links("io_uring", "[eventfd]", fds, 64);
	if (n == 0)
		fprintf(stderr, "no io_uring instance in this process\n");
	XT_ASSERT_GE(n, 2);
	XT_ASSERT_EQ(xt_count_engine_fds(), n);
	for (int i = 0; i < n; i++) {
		int flags = fcntl(fds[i], F_GETFD);

		if (flags < 0 || !(flags & FD_CLOEXEC))
			fprintf(stderr, "engine fd %d: F_GETFD = %d\n", fds[i],
				flags);
		XT_ASSERT(flags >= 0);
		XT_ASSERT(flags & FD_CLOEXEC);
	}
	return XT_PASS;
}

/*
 * XAIO_BACKEND=uring: an SQPOLL thread (iou-sqp-<pid>) serves the ring
 * when XAIO_SQPOLL is set, and none exists otherwise.
 */
static int backend_sqpoll_thread(void)
{
	const char *env = getenv("XAIO_SQPOLL");

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(strcmp(xt_backend(), "uring"),
		   "only in an XAIO_BACKEND=uring run");
	if (do_requests() != XT_PASS)
		return XT_FAIL;
	XT_ASSERT_EQ(xt_count_threads_named("iou-sqp"),
		     env && atoi(env) > 0 ? 1 : 0);
	return XT_PASS;
}

/* Runs /bin/sh -c 'ls -l /proc/$$/fd' and collects its output. */
static int exec_ls_fds(char *out, size_t max)
{
	int p[2], status = 0;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	XT_ASSERT_OK(pipe2(p, O_CLOEXEC));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	XT_ASSERT(pid >= 0);
	if (pid == 0) {
		/* dup2() clears close-on-exec on the new stdout. */
		if (dup2(p[1], 1) < 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", "ls -l /proc/$$/fd", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len < max - 1 && (n = read(p[0], out + len, max - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = 0;
	close(p[0]);
	XT_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	XT_ASSERT(WIFEXITED(status));
	XT_ASSERT_EQ(WEXITSTATUS(status), 0);
	return XT_PASS;
}

/*
 * XAIO_BACKEND=uring: a child started with fork+exec holds no io_uring fd.
 * An fd deliberately left open across exec shows that the listing works.
 */
static int backend_exec_no_ring(void)
{
	static char out[65536];
	int ctl, r;

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(strcmp(xt_backend(), "uring"),
		   "only in an XAIO_BACKEND=uring run");
	if (do_requests() != XT_PASS)
		return XT_FAIL;
	if (xt_count_rings() < 1)
		fprintf(stderr, "no io_uring instance in this process: "
				"nothing for exec to leak\n");
	XT_ASSERT_GE(xt_count_rings(), 1);
	ctl = open(xt_path("exec-marker"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	XT_ASSERT(ctl >= 0);
	r = exec_ls_fds(out, sizeof(out));
	close(ctl);
	if (r != XT_PASS)
		return r;
	if (!strstr(out, "exec-marker") || strstr(out, "io_uring") ||
	    strstr(out, "eventfd"))
		fprintf(stderr, "the exec'd shell's fds:\n%s", out);
	XT_ASSERT(strstr(out, "exec-marker") != NULL);
	XT_ASSERT(strstr(out, "io_uring") == NULL);
	XT_ASSERT(strstr(out, "eventfd") == NULL);
	return XT_PASS;
}

static struct xt_case cases[] = {
	{"backend_threads_no_ring", backend_threads_no_ring},
	{"backend_uring_ring_cloexec", backend_uring_ring_cloexec},
	{"backend_exec_no_ring", backend_exec_no_ring},
	{"backend_sqpoll_thread", backend_sqpoll_thread},
};

XT_MAIN(cases)
