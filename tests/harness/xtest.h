/* SPDX-License-Identifier: MIT */
/*
 * xtest: the tiny in-tree test harness.
 *
 * A test program is a table of cases run by XT_MAIN().  Each case returns
 * XT_PASS, XT_FAIL or XT_SKIP.  XT_ASSERT_* in the case's own thread print
 * file:line, the expression and both operands, then return XT_FAIL.  In other
 * threads (callbacks, notification threads, signal handlers) use XT_CHECK*,
 * which only records the failure; the case reads xt_check_failures() after
 * it has waited for its requests.
 *
 * The program prints one line per case and ends with the plain line
 * "N passed, N failed" (", N skipped" when some were skipped).  Exit code:
 * 0 all passed, 1 a failure, 77 everything skipped.  argv[1], if given,
 * names the only case to run.
 */
#ifndef XTEST_H
#define XTEST_H

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

enum { XT_PASS = 0, XT_FAIL = 1, XT_SKIP = 77 };

struct xt_case {
	const char *name;
	int (*fn)(void);
};

#define XT_ASSERT(cond)                                                        \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: assertion failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			return XT_FAIL;                                        \
		}                                                              \
	} while (0)

#define XT_ASSERT_CMP(a, op, b)                                                \
	do {                                                                   \
		int64_t xt_a_ = (int64_t)(a), xt_b_ = (int64_t)(b);            \
		if (!(xt_a_ op xt_b_)) {                                       \
			fprintf(stderr,                                        \
				"%s:%d: %s %s %s failed: %" PRId64             \
				" vs %" PRId64 "\n",                           \
				__FILE__, __LINE__, #a, #op, #b, xt_a_,        \
				xt_b_);                                        \
			return XT_FAIL;                                        \
		}                                                              \
	} while (0)

#define XT_ASSERT_EQ(a, b) XT_ASSERT_CMP(a, ==, b)
#define XT_ASSERT_NE(a, b) XT_ASSERT_CMP(a, !=, b)
#define XT_ASSERT_LT(a, b) XT_ASSERT_CMP(a, <, b)
#define XT_ASSERT_LE(a, b) XT_ASSERT_CMP(a, <=, b)
#define XT_ASSERT_GT(a, b) XT_ASSERT_CMP(a, >, b)
#define XT_ASSERT_GE(a, b) XT_ASSERT_CMP(a, >=, b)

/* Expects a POSIX-style call to return 0; prints errno otherwise. */
#define XT_ASSERT_OK(expr)                                                     \
	do {                                                                   \
		errno = 0;                                                     \
		long xt_r_ = (long)(expr);                                     \
		if (xt_r_ != 0) {                                              \
			fprintf(stderr, "%s:%d: %s = %ld (errno %d %s)\n",     \
				__FILE__, __LINE__, #expr, xt_r_, errno,       \
				strerror(errno));                              \
			return XT_FAIL;                                        \
		}                                                              \
	} while (0)

/* Expects a POSIX-style call to fail with -1 and the given errno. */
#define XT_ASSERT_ERRNO(expr, err)                                             \
	do {                                                                   \
		errno = 0;                                                     \
		long xt_r_ = (long)(expr);                                     \
		int xt_e_ = errno;                                             \
		if (xt_r_ != -1 || xt_e_ != (err)) {                           \
			fprintf(stderr,                                        \
				"%s:%d: %s = %ld errno %d (%s), want -1 "      \
				"errno %d (%s)\n",                             \
				__FILE__, __LINE__, #expr, xt_r_, xt_e_,       \
				strerror(xt_e_), (int)(err), strerror(err));   \
			return XT_FAIL;                                        \
		}                                                              \
	} while (0)

#define XT_ASSERT_MEM_EQ(a, b, n)                                              \
	do {                                                                   \
		size_t xt_off_ = xt_memdiff((a), (b), (n));                    \
		if (xt_off_ != (size_t)-1) {                                   \
			fprintf(stderr, "%s:%d: %s and %s differ at %zu\n",    \
				__FILE__, __LINE__, #a, #b, xt_off_);          \
			return XT_FAIL;                                        \
		}                                                              \
	} while (0)

#define XT_SKIP_IF(cond, ...)                                                  \
	do {                                                                   \
		if (cond) {                                                    \
			fprintf(stderr, "skip: " __VA_ARGS__);                 \
			fputc('\n', stderr);                                   \
			return XT_SKIP;                                        \
		}                                                              \
	} while (0)

/* For threads other than the case's own: record, do not return. */
#define XT_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond))                                                   \
			xt_check_fail(__FILE__, __LINE__, #cond);              \
	} while (0)

void xt_check_fail(const char *file, int line, const char *what);
int xt_check_failures(void);

/* Byte difference finder: offset of first difference, or (size_t)-1. */
size_t xt_memdiff(const void *a, const void *b, size_t n);

/* Per-program temporary directory under $TMPDIR (removed at exit). */
const char *xt_tmpdir(void);
/* A new path inside xt_tmpdir(); the buffer is static per call slot. */
char *xt_path(const char *name);
/* Creates (truncates) a file of len bytes of xt_pattern(); returns the fd. */
int xt_make_file(const char *name, size_t len, int flags);
/* The byte a pattern file holds at offset off. */
unsigned char xt_pattern(uint64_t off);
void xt_fill_pattern(void *buf, size_t len, uint64_t off);
/* Aligned allocation for O_DIRECT; free() it. */
void *xt_aligned(size_t align, size_t len);
/* Number of open fds in this process (procfs). */
int xt_count_fds(void);
/* Number of threads in this process (procfs). */
int xt_count_threads(void);
/* Number of threads whose name (comm) starts with prefix. */
int xt_count_threads_named(const char *prefix);
/* An fd number that is certainly closed (and far from what open() reuses). */
int xt_closed_fd(void);
/* Milliseconds of CLOCK_MONOTONIC. */
int64_t xt_now_ms(void);
/* Sleeps ms milliseconds. */
void xt_sleep_ms(int ms);
/* Polls *v (every 1 ms) until it reaches want or ms pass; returns *v. */
int xt_wait_count(atomic_int *v, int want, int ms);
/* The XAIO_BACKEND this run was asked for ("" when unset). */
const char *xt_backend(void);
/*
 * 1 under a sanitizer that checks whole buffers at system calls (ASan,
 * TSan) or under valgrind: huge-buffer cases skip there.
 */
int xt_sanitized(void);
/* 1 if this process may create an io_uring (probed with a raw syscall). */
int xt_uring_available(void);
/*
 * Open descriptors of this process whose /proc/self/fd link contains w1 or
 * (w2 not NULL) w2: stores the numbers of the first max of them in fds
 * (unless NULL) and returns how many it found, at most max; -1 without
 * procfs.
 */
int xt_fd_links(const char *w1, const char *w2, int *fds, int max);
/* Number of io_uring instances open in this process (procfs fd links). */
int xt_count_rings(void);
/*
 * Number of descriptors the engine keeps open for itself: its io_uring
 * instances and the eventfd registered with each.
 */
int xt_count_engine_fds(void);
/*
 * Call first in every case: in an XAIO_BACKEND=uring run, skips the case
 * when the kernel refuses io_uring here (seccomp, sysctl, memlock).
 */
#define XT_REQUIRE_BACKEND()                                                   \
	XT_SKIP_IF(!strcmp(xt_backend(), "uring") && !xt_uring_available(),    \
		   "io_uring is not available here")

/*
 * Runs fn in a forked child and returns its XT_ result; a child that
 * crashes or outlives ms (four times that under sanitizers) fails.  The
 * child leaves with _exit(), so it does not remove the parent's temporary
 * directory.
 */
int xt_run_child(int (*fn)(void), int ms);

int xt_main(int argc, char **argv, const struct xt_case *cases, size_t n);

#define XT_MAIN(cases)                                                         \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		return xt_main(argc, argv, cases,                              \
			       sizeof(cases) / sizeof(cases[0]));              \
	}

#endif
