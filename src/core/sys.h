/* SPDX-License-Identifier: MIT */
/*
 * Thin raw system-call wrappers.  Each returns >= 0 or -errno and never
 * touches errno (on x86-64 the instruction is issued inline; elsewhere errno
 * is saved and restored around libc's syscall()), so they are safe in code
 * that may run inside a signal handler.
 */
#ifndef XAIO_SYS_H
#define XAIO_SYS_H

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline long xaio__sys(long nr, long a, long b, long c, long d, long e,
			     long f)
{
#if defined(__x86_64__)
	/* The kernel's x86-64 calling convention; no errno, no libc call. */
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
#else
	int saved = errno;
	long r = syscall(nr, a, b, c, d, e, f);

	if (r < 0)
		r = -errno;
	errno = saved;
	return r;
#endif
}

/*
 * Nonzero while this thread is inside xaio__sys_cp()'s window of
 * asynchronous cancellation (a superset of it): a signal handler that
 * interrupted the window runs with that type too (defined in engine.c).
 */
extern __thread int xaio__cp_window
	__attribute__((visibility("default"), tls_model("initial-exec")));

/*
 * xaio__sys() for a blocking call that, with cancel, is a cancellation
 * point: pthread_cancel() acts at once during it (asynchronous type around
 * the system call and nothing else, as glibc's own cancellation points do
 * up to 2.40: glibc sends no signal to a thread of deferred type), and a
 * cancellation already pending acts before it.  The caller must have
 * pushed a cleanup handler that undoes what it registered before sleeping.
 */
static inline long xaio__sys_cp(bool cancel, long nr, long a, long b, long c,
				long d, long e)
{
	int old;
	long r;

	if (!cancel)
		return xaio__sys(nr, a, b, c, d, e, 0);
	xaio__cp_window = 1;
	atomic_signal_fence(memory_order_seq_cst);
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	r = xaio__sys(nr, a, b, c, d, e, 0);
	pthread_setcanceltype(old, &old);
	atomic_signal_fence(memory_order_seq_cst);
	xaio__cp_window = 0;
	return r;
}

/*
 * For the entry points a signal handler may call.  A handler that
 * interrupted xaio__sys_cp()'s window would run the library's code with
 * asynchronous cancellation, and a pthread_cancel() then could stop it
 * anywhere, a lock held for ever; shielded, the cancellation waits until
 * xaio__unshield(), when the library's state is whole again.  Returns what
 * to pass to xaio__unshield().
 */
static inline int xaio__shield(void)
{
	int old;

	if (!xaio__cp_window)
		return -1;
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old);
	atomic_signal_fence(memory_order_seq_cst);
	xaio__cp_window = 0;
	return old;
}

static inline void xaio__unshield(int old)
{
	if (old < 0)
		return;
	xaio__cp_window = 1;
	atomic_signal_fence(memory_order_seq_cst);
	pthread_setcanceltype(old, &old); /* a pending cancellation acts */
}

/*
 * Waits while *addr == val; rel may be NULL; a cancellation point with
 * cancel (see xaio__sys_cp).  0, -EAGAIN, -EINTR, -ETIMEDOUT.
 */
static inline int xaio__futex_wait(_Atomic uint32_t *addr, uint32_t val,
				   const struct timespec *rel, bool cancel)
{
	return (int)xaio__sys_cp(cancel, SYS_futex, (long)addr,
				 FUTEX_WAIT_PRIVATE, (long)val, (long)rel, 0);
}

static inline void xaio__futex_wake(_Atomic uint32_t *addr, int n)
{
	xaio__sys(SYS_futex, (long)addr, FUTEX_WAKE_PRIVATE, n, 0, 0, 0);
}

/* close(2) without libc's: glibc's close() is a cancellation point. */
static inline void xaio__close(int fd)
{
	xaio__sys(SYS_close, fd, 0, 0, 0, 0, 0);
}

static inline int xaio__gettid(void)
{
	return (int)xaio__sys(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

_Static_assert(sizeof(time_t) == sizeof(int64_t), "64-bit time_t");

/*
 * The CLOCK_MONOTONIC deadline rel from now (rel->tv_nsec in range; a
 * negative rel->tv_sec means now), saturated instead of overflowing: a
 * timeout of {LONG_MAX, 999999999} is a valid way to say "for ever".
 */
static inline struct timespec xaio__deadline(const struct timespec *rel)
{
	struct timespec out;

	clock_gettime(CLOCK_MONOTONIC, &out);
	if (rel->tv_sec < 0)
		return out;
	if (rel->tv_sec >= INT64_MAX - out.tv_sec - 1) {
		out.tv_sec = INT64_MAX;
		out.tv_nsec = 0;
		return out;
	}
	out.tv_sec += rel->tv_sec;
	out.tv_nsec += rel->tv_nsec;
	if (out.tv_nsec >= 1000000000L) {
		out.tv_nsec -= 1000000000L;
		out.tv_sec++;
	}
	return out;
}

/* Relative time from now until the CLOCK_MONOTONIC deadline (>= 0). */
static inline struct timespec xaio__until(const struct timespec *deadline)
{
	struct timespec now, rel;

	clock_gettime(CLOCK_MONOTONIC, &now);
	rel.tv_sec = deadline->tv_sec - now.tv_sec;
	rel.tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (rel.tv_nsec < 0) {
		rel.tv_nsec += 1000000000L;
		rel.tv_sec--;
	}
	if (rel.tv_sec < 0)
		rel.tv_sec = rel.tv_nsec = 0;
	return rel;
}

#endif
