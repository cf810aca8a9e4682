// SPDX-License-Identifier: MIT
/*
 * The inline backend: a read whose data is already in the page cache is
 * done at once, on the submitting thread, by preadv2(RWF_NOWAIT).  One
 * plain system call costs less than a trip through the ring and much less
 * than a hand-off to a pool worker; io_uring copies cached data on the
 * submitting thread too, so the caller is held no longer than there.  A
 * read that is not wholly cached (EAGAIN, or a short count, which may also
 * be end of file) goes to the other backends, which give the authoritative
 * answer; so does every error.
 *
 * What must never happen is a device read on the caller's thread, and
 * RWF_NOWAIT on an O_DIRECT descriptor does exactly that (it waits for the
 * device instead of failing).  So each descriptor number has a hint, and
 * a number is tried only after fcntl(F_GETFL) showed it is not O_DIRECT;
 * the check is repeated every RECHECK uses of the hint, because a program
 * may close the number and open another file at it, or use F_SETFL.
 * Misses back off: after k misses in a row the number skips the next
 * 2^k - 1 reads (k <= MAX_MISSES), so a cold workload rarely pays for a
 * failed attempt.  Numbers that cannot do it (streams: ESPIPE; files
 * without RWF_NOWAIT support: EOPNOTSUPP) are left alone until the next
 * check.
 *
 * A forked child keeps the hints: its descriptors are the parent's.
 *
 * Locking: none.  A hint is one 64-bit word, loaded, then replaced by
 * compare-and-swap against what was loaded; an update that lost the race
 * is dropped.  A lost update only costs speed, never correctness: at worst
 * RECHECK synchronous reads on a newly opened O_DIRECT file, plus one per
 * thread already reading it.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>

#include "core/internal.h"
#include "core/sys.h"

#define NHINTS 1024 /* direct-mapped by fd number */
#define RECHECK 64 /* uses of a hint between two F_GETFL checks */
#define MAX_MISSES 8
#define MAX_LEN (256 * 1024) /* larger reads are left to the backends */

struct hint {
	int32_t fd; /* the number this hint is about */
	uint8_t ok; /* checked: not O_DIRECT, RWF_NOWAIT worked or untried */
	uint8_t misses; /* in a row */
	uint8_t skip; /* reads left to skip */
	uint8_t credit; /* uses left before the next check */
};

_Static_assert(sizeof(struct hint) == sizeof(uint64_t), "one word");

static _Atomic uint64_t hints[NHINTS];
static _Atomic int disabled; /* preadv2 answered ENOSYS: never again */

static struct hint unpack(uint64_t w)
{
	struct hint h;

	memcpy(&h, &w, sizeof(h));
	return h;
}

/*
 * Replaces the word seen as old with h, unless another thread changed it
 * meanwhile: then this update is dropped, so a thread that took its copy
 * before a check found O_DIRECT cannot bring the old verdict back.
 */
static void update(_Atomic uint64_t *slot, uint64_t old, struct hint h)
{
	uint64_t w;

	memcpy(&w, &h, sizeof(w));
	atomic_compare_exchange_strong_explicit(
		slot, &old, w, memory_order_relaxed, memory_order_relaxed);
}

/* Asks the kernel again whether fd may be read this way. */
static void check(struct hint *h)
{
	long fl = xaio__sys(SYS_fcntl, h->fd, F_GETFL, 0, 0, 0, 0);

	h->ok = fl >= 0 && !(fl & O_DIRECT);
	h->credit = RECHECK;
}

static long preadv2_nowait(int fd, void *buf, size_t len, int64_t off)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	const int half = (int)sizeof(long) * 4;
	long lo = (long)off;
	long hi = (long)(((uint64_t)off >> half) >> half);

	return xaio__sys(SYS_preadv2, fd, (long)&iov, 1, lo, hi, RWF_NOWAIT);
}

/* The miss back-off: skip 2^misses - 1 reads. */
static void missed(struct hint *h)
{
	if (h->misses < MAX_MISSES)
		h->misses++;
	h->skip = (uint8_t)((1u << h->misses) - 1);
}

int64_t xaio__nowait_read(int fd, void *buf, uint64_t len, int64_t off)
{
	_Atomic uint64_t *slot;
	struct hint h;
	uint64_t seen;
	long r;

	if (len == 0 || len > MAX_LEN || fd < 0 ||
	    atomic_load_explicit(&disabled, memory_order_relaxed))
		return -EAGAIN;
	slot = &hints[(unsigned int)fd % NHINTS];
	seen = atomic_load_explicit(slot, memory_order_relaxed);
	h = unpack(seen);
	if (h.fd != fd)
		h = (struct hint){.fd = fd}; /* the miss record starts afresh */
	if (h.credit == 0)
		check(&h);
	h.credit--;
	if (!h.ok || h.skip) {
		if (h.skip)
			h.skip--;
		update(slot, seen, h);
		return -EAGAIN;
	}
	r = preadv2_nowait(fd, buf, len, off);
	if (r == (long)len) {
		h.misses = 0;
	} else if (r == -ENOSYS) {
		/* No preadv2 (or a seccomp filter says so): stop trying. */
		atomic_store_explicit(&disabled, 1, memory_order_relaxed);
	} else if (r == -EAGAIN || r >= 0) {
		missed(&h);
	} else {
		/* ESPIPE, EOPNOTSUPP, EPERM...: not until the next check. */
		h.ok = 0;
	}
	update(slot, seen, h);
	return r == (long)len ? r : -EAGAIN;
}
