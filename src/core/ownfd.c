// SPDX-License-Identifier: MIT
/*
 * The engine's own descriptors: the ring, its eventfd, and the private
 * duplicates requests run on.
 *
 * They live far from the low numbers a program uses (F_DUPFD_CLOEXEC with
 * a floor of half the RLIMIT_NOFILE soft limit, at most FLOOR_MAX), so a
 * number the program has just closed is not silently taken by xaio, and
 * each is marked in a bitmap while it is open: a request on a marked
 * number is the program using a descriptor it does not own, and fails with
 * EBADF instead of reading xaio's eventfd or ring.  When the limit leaves
 * no room above the floor, a duplicate takes any number (marked all the
 * same): running beats refusing.
 *
 * Locking: none.  The bitmap is atomic words; a number is marked after it
 * is opened and unmarked before it is closed, so a mark never outlives the
 * descriptor.  All of it is async-signal-safe.
 */
#include <fcntl.h>
#include <sys/resource.h>

#include "core/internal.h"
#include "core/sys.h"

#define FLOOR_MAX 4096
#define TRACKED (1u << 20) /* numbers above are not marked */

static _Atomic uint64_t marks[TRACKED / 64];
static _Atomic int floor_fd = -1;

static int floor_of(void)
{
	int f = atomic_load_explicit(&floor_fd, memory_order_relaxed);
	struct rlimit rl;

	if (f >= 0)
		return f;
	f = 0;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur >= 64)
		f = rl.rlim_cur / 2 < FLOOR_MAX ? (int)(rl.rlim_cur / 2)
						: FLOOR_MAX;
	atomic_store_explicit(&floor_fd, f, memory_order_relaxed);
	return f;
}

static void mark(int fd, bool on)
{
	uint64_t bit;

	if (fd < 0 || (unsigned int)fd >= TRACKED)
		return;
	bit = 1ull << (fd % 64);
	if (on)
		atomic_fetch_or(&marks[fd / 64], bit);
	else
		atomic_fetch_and(&marks[fd / 64], ~bit);
}

bool xaio__fd_internal(int fd)
{
	if (fd < 0 || (unsigned int)fd >= TRACKED)
		return false;
	return atomic_load_explicit(&marks[fd / 64], memory_order_relaxed) &
	       (1ull << (fd % 64));
}

int xaio__fd_private(int fd)
{
	long r = xaio__sys(SYS_fcntl, fd, F_DUPFD_CLOEXEC, floor_of(), 0, 0, 0);

	/* EINVAL: the floor is above the limit; EMFILE: no room above it. */
	if (r == -EINVAL || r == -EMFILE)
		r = xaio__sys(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0, 0, 0, 0);
	if (r >= 0)
		mark((int)r, true);
	return (int)r;
}

int xaio__fd_adopt(int fd)
{
	int high = xaio__fd_private(fd);

	if (high < 0) {
		mark(fd, true);
		return fd;
	}
	xaio__close(fd);
	return high;
}

void xaio__fd_atfork_child_close(void)
{
	/*
	 * What the parent had open for its requests, its ring, or queued for
	 * an IORING_OP_CLOSE that the child's (absent) ring will never run.
	 */
	for (unsigned int w = 0; w < TRACKED / 64; w++) {
		uint64_t m = atomic_exchange_explicit(&marks[w], 0,
						      memory_order_relaxed);

		while (m) {
			xaio__close((int)(w * 64 + __builtin_ctzll(m)));
			m &= m - 1;
		}
	}
}

void xaio__fd_release(int fd)
{
	mark(fd, false);
}

void xaio__fd_close(int fd)
{
	mark(fd, false);
	xaio__close(fd);
}
