// SPDX-License-Identifier: MIT
/*
 * xtest helpers: case runner, temporary files, fd and thread counting.
 * Single-threaded except xt_check_fail(), which only touches an atomic.
 */

#include "xtest.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/io_uring.h>
#include <sys/syscall.h>

static atomic_int check_failures;
static char tmpdir[4096];

void xt_check_fail(const char *file, int line, const char *what)
{
	atomic_fetch_add(&check_failures, 1);
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
}

int xt_check_failures(void)
{
	return atomic_load(&check_failures);
}

size_t xt_memdiff(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return i;
	return (size_t)-1;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static void rm_tmpdir(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *xt_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/xtest.XXXXXX",
			 base && *base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(1);
		}
		atexit(rm_tmpdir);
	}
	return tmpdir;
}

char *xt_path(const char *name)
{
	static char slots[8][4096];
	static int next;
	char *p = slots[next++ % 8];

	snprintf(p, 4096, "%s/%s", xt_tmpdir(), name);
	return p;
}

unsigned char xt_pattern(uint64_t off)
{
	uint64_t x = off * 0x9e3779b97f4a7c15ull;

	return (unsigned char)(x >> 56);
}

void xt_fill_pattern(void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = xt_pattern(off + i);
}

int xt_make_file(const char *name, size_t len, int flags)
{
	int fd = open(xt_path(name), O_RDWR | O_CREAT | O_TRUNC | flags, 0644);
	unsigned char buf[65536];
	size_t done = 0;

	if (fd < 0) {
		perror("open");
		return -1;
	}
	while (done < len) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);

		xt_fill_pattern(buf, n, done);
		if (pwrite(fd, buf, n, (off_t)done) != (ssize_t)n) {
			perror("pwrite");
			close(fd);
			return -1;
		}
		done += n;
	}
	return fd;
}

void *xt_aligned(size_t align, size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, align, len))
		return NULL;
	return p;
}

/* Does the comm of /proc/self/task/<tid> start with prefix? */
static bool comm_starts(const char *tid, const char *prefix)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return !strncmp(comm, prefix, strlen(prefix));
}

/* Entries of path; under /proc/self/task, only threads named prefix*. */
static int count_dir(const char *path, const char *prefix)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    (!prefix || comm_starts(e->d_name, prefix)))
			n++;
	closedir(d);
	return n;
}

int xt_count_fds(void)
{
	/* opendir itself holds one fd while counting. */
	return count_dir("/proc/self/fd", NULL) - 1;
}

int xt_count_threads(void)
{
	return count_dir("/proc/self/task", NULL);
}

int xt_count_threads_named(const char *prefix)
{
	return count_dir("/proc/self/task", prefix);
}

int xt_closed_fd(void)
{
	int t = open("/dev/null", O_RDONLY), fd;

	if (t < 0)
		return -1;
	fd = fcntl(t, F_DUPFD, 700);
	close(t);
	if (fd >= 0)
		close(fd);
	return fd;
}

int64_t xt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void xt_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int xt_wait_count(atomic_int *v, int want, int ms)
{
	int64_t end = xt_now_ms() + ms;

	while (atomic_load(v) < want && xt_now_ms() < end)
		xt_sleep_ms(1);
	return atomic_load(v);
}

const char *xt_backend(void)
{
	const char *b = getenv("XAIO_BACKEND");

	return b ? b : "";
}

int xt_sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return 1;
#else
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload") != NULL;
#endif
}

int xt_uring_available(void)
{
	static int cached = -1;

	if (cached < 0) {
		struct io_uring_params p;
		long fd;

		memset(&p, 0, sizeof(p));
		fd = syscall(__NR_io_uring_setup, 4, &p);
		cached = fd >= 0;
		if (fd >= 0)
			close((int)fd);
	}
	return cached;
}

int xt_fd_links(const char *w1, const char *w2, int *fds, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[300], link[256];
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if ((strstr(link, w1) || (w2 && strstr(link, w2))) && n < max) {
			if (fds)
				fds[n] = atoi(e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

int xt_count_rings(void)
{
	return xt_fd_links("io_uring", NULL, NULL, INT_MAX);
}

int xt_count_engine_fds(void)
{
	return xt_fd_links("io_uring", "[eventfd]", NULL, INT_MAX);
}

int xt_run_child(int (*fn)(void), int ms)
{
	int64_t end;
	int status = 0;
	pid_t pid, r;

	if (xt_sanitized())
		ms *= 4;
	(void)xt_tmpdir(); /* created (and later removed) by the parent */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	XT_ASSERT(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		int rc;

		setrlimit(RLIMIT_CORE, &no_core);
		rc = fn();
		if (rc == XT_PASS && xt_check_failures())
			rc = XT_FAIL;
		_exit(rc);
	}
	end = xt_now_ms() + ms;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (xt_now_ms() > end) {
			fprintf(stderr, "child did not finish in %d ms\n", ms);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return XT_FAIL;
		}
		xt_sleep_ms(2);
	}
	XT_ASSERT_EQ(r, pid);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "child killed by signal %d (%s)\n",
			WTERMSIG(status), strsignal(WTERMSIG(status)));
		return XT_FAIL;
	}
	XT_ASSERT(WIFEXITED(status));
	if (WEXITSTATUS(status) == XT_SKIP)
		return XT_SKIP;
	if (WEXITSTATUS(status) != XT_PASS) {
		fprintf(stderr, "child failed (exit status %d)\n",
			WEXITSTATUS(status));
		return XT_FAIL;
	}
	return XT_PASS;
}

int xt_main(int argc, char **argv, const struct xt_case *cases, size_t n)
{
	int passed = 0, failed = 0, skipped = 0;
	const char *only = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < n; i++) {
		int before, r;

		if (only && strcmp(only, cases[i].name))
			continue;
		before = xt_check_failures();
		r = cases[i].fn();
		if (r == XT_PASS && xt_check_failures() != before)
			r = XT_FAIL;
		if (r == XT_PASS) {
			passed++;
			printf("ok %s\n", cases[i].name);
		} else if (r == XT_SKIP) {
			skipped++;
			printf("skip %s\n", cases[i].name);
		} else {
			failed++;
			printf("not ok %s\n", cases[i].name);
		}
	}
	if (skipped)
		printf("%d passed, %d failed, %d skipped\n", passed, failed,
		       skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	if (failed)
		return 1;
	return passed ? 0 : 77;
}
