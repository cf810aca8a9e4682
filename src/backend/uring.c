// SPDX-License-Identifier: MIT
/*
 * The io_uring backend, through raw system calls and <linux/io_uring.h>.
 *
 * One ring per process, shared by every thread.  Submitters fill SQEs
 * under `sq_lock` and enter the kernel at once (or at xaio__unplug()), so
 * the SQ never holds more than one batch; a leader about to sleep submits
 * what a plugged thread left in the SQ (it may be waiting in a signal
 * handler that interrupted that thread).  Completions are consumed under
 * `cq_lock` by one thread at a time (a waiter acting as leader, a poller,
 * or the background reaper); CQEs are copied out and the lock dropped
 * before any request is completed, so done() callbacks run unlocked.
 *
 * The ring is not told about ordering: the fd table above already holds
 * back what POSIX orders.  In flight is capped at the CQ's size, so the CQ
 * cannot overflow (overflow is still flushed if flagged); a request beyond
 * the cap goes to the thread pool.
 *
 * Batching.  A request marked XAIO__RF_LAZY (no notification, no ordering,
 * submitted by a thread outside any signal handler, nobody waiting, at
 * least XAIO_BATCH in flight: the engine decides) that still finds the
 * ring busy is pushed but not submitted: the thread's next
 * aio_read usually follows at once, and one io_uring_enter for a batch
 * saves a system call and a device doorbell per request (1 us each in a
 * VM).  Whoever looks next submits the batch: any submission that does not
 * defer, a poller (xaio__poll), a waiter before it sleeps (the leader sets
 * leader_waiting first, and a deferring submitter that sees it set submits
 * itself), and, if nobody does, the watchdog (the background reaper, one
 * tick of 1 ms).  A deferred request carries a private duplicate of its
 * descriptor (the kernel reads the number only when it takes the SQE);
 * such duplicates are closed by IORING_OP_CLOSE SQEs that go with the next
 * batch (close_later, also from completions reaped under a plug: one enter
 * each there cost as much as the batch saved), whose CQEs have odd
 * user_data.
 *
 * A batch of one request saves nothing and costs the duplicate and its
 * close: a program that submits one request and then polls or waits for
 * it makes only those.  So after SOLO_MAX such batches in a row no new
 * batch is opened, except by one lazy request in SOLO_PROBE (would_batch):
 * a request may still join a batch that is open, and a batch of two or
 * more opens them again.
 *
 * Refusals.  A CQE of -EOPNOTSUPP or -EINVAL makes the engine re-issue the
 * request on the thread pool once (some file systems refuse some ops on
 * the ring).  -ECANCELED unasked: the kernel cancels pending requests of a
 * thread that exits, so those are re-issued too, and so is -EINTR (a
 * blocking operation cut short by that exit; it moved no data, or the
 * result would be a count, and POSIX AIO never reports EINTR).  Asked by
 * aio_cancel (sync_cancel(), which marks the request XAIO__CX_ASKED), they
 * are the request's result: cancelled.  sync_cancel() holds sq_lock, so
 * the user_data it names is the request it means.
 *
 * Short writes.  io_uring returns a short count for a write to a pipe or
 * a socket that had room for part of it; write(2) on a blocking
 * descriptor writes everything.  Such writes (XAIO__RF_WHOLE, set by the
 * engine) are continued from where they stopped (xaio__continue_write).
 *
 * SQPOLL only when asked (XAIO_SQPOLL=ms): a kernel thread then takes
 * SQEs from the ring as they are pushed, and a submitter enters the kernel
 * only to wake it after it went idle (IORING_SQ_NEED_WAKEUP) or to wait for
 * room in a full SQ.  A set-up that refuses it runs without it.
 *
 * Set-up halves the ring on ENOMEM (RLIMIT_MEMLOCK) down to 32 CQEs and
 * drops optional flags on EINVAL.  The fd is O_CLOEXEC (the kernel sets it)
 * and the mappings are MADV_DONTFORK: a forked child gets no ring and makes
 * its own (atfork_child forgets the parent's).
 */
#include <linux/io_uring.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/internal.h"
#include "core/sys.h"

/*
 * A request handed to the kernel by one thread comes back in a CQE that
 * another thread may reap.  The kernel orders the two, which
 * ThreadSanitizer cannot see: under it the hand-off is declared, a release
 * at submission and an acquire at reaping.
 */
#if defined(__SANITIZE_THREAD__)
#define XAIO__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define XAIO__TSAN 1
#endif
#endif
#ifdef XAIO__TSAN
#include <sanitizer/tsan_interface.h>
#define handed_over(req) __tsan_release(req)
#define taken_back(req) __tsan_acquire(req)
#else
#define handed_over(req) ((void)(req))
#define taken_back(req) ((void)(req))
#endif

#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7) /* 5.18 */
#endif
#ifndef IORING_ENTER_SQ_WAIT
#define IORING_ENTER_SQ_WAIT (1U << 2) /* 5.10 */
#endif

/*
 * Ring sizes: the CQ bounds the requests in flight (MAX_CQ at most); the SQ
 * only ever holds one batch, as the kernel copies SQEs at submission, so it
 * is a sixteenth of that: 4 KiB of SQEs that stay in the cache, where a
 * larger SQ would walk a fresh cache line for every request.
 */
#define MAX_CQ 1024u
#define MIN_CQ 32u
#define HARVEST 64
#define SOLO_MAX 2 /* batches of one in a row: open no more */
#define SOLO_PROBE 16 /* ...but for one lazy request in this many */

static struct {
	int fd;
	uint32_t sq_entries, cq_entries, inflight_max;
	void *sq_ptr, *cq_ptr;
	size_t sq_len, cq_len, sqes_len;
	struct io_uring_sqe *sqes;
	_Atomic uint32_t *sq_head, *sq_tail, *sq_flags;
	uint32_t sq_mask, *sq_array;
	_Atomic uint32_t *cq_head, *cq_tail;
	uint32_t cq_mask;
	struct io_uring_cqe *cqes;
	bool single_mmap;
	bool sqpoll; /* a kernel thread submits */
	int efd; /* eventfd the kernel signals for every CQE */
	uint64_t has; /* bit (1 << XAIO__OP_*): the kernel supports it */

	pthread_mutex_t sq_lock; /* sq tail, sqes */
	/* Some SQEs not yet submitted were left for a batch on purpose. */
	_Atomic bool deferred;
	_Atomic uint64_t deferrals; /* for the watchdog and the statistics */
	_Atomic uint32_t flushes; /* submissions that cleared `deferred` */
	_Atomic uint32_t batch_reqs; /* requests in the batch left open */
	_Atomic uint32_t solo; /* batches of one request in a row */
	_Atomic uint32_t probes; /* would_batch's count while closed */
	pthread_mutex_t cq_lock; /* cq head */
	_Atomic uint32_t inflight;
	_Atomic int leader_waiting;

	/* The program closed or replaced our descriptors (see "Lost"). */
	_Atomic bool lost; /* the ring's: no more submissions */
	_Atomic bool no_kill; /* no IORING_REGISTER_SYNC_CANCEL (< 6.0) */
	_Atomic bool efd_lost; /* the eventfd's: leaders poll the CQ */
	dev_t efd_dev;
	ino_t efd_ino;
	_Atomic(struct xaio__req *) orphans; /* taken back from the SQ */
} R = {.fd = -1, .efd = -1};

static void ring_lost(void);

static int sys_setup(uint32_t entries, struct io_uring_params *p)
{
	return (int)xaio__sys(__NR_io_uring_setup, entries, (long)p, 0, 0, 0,
			      0);
}

static int sys_enter(uint32_t to_submit, uint32_t min_complete, uint32_t flags,
		     void *arg, size_t argsz)
{
	int r = (int)xaio__sys(__NR_io_uring_enter, R.fd, to_submit,
			       min_complete, flags, (long)arg, (long)argsz);

	/* Closed (EBADF) or replaced by another file (EOPNOTSUPP). */
	if (r == -EBADF || r == -EOPNOTSUPP || r == -ENXIO)
		ring_lost();
	return r;
}

static void unmap(void)
{
	if (R.sqes)
		munmap(R.sqes, R.sqes_len);
	if (R.cq_ptr && !R.single_mmap)
		munmap(R.cq_ptr, R.cq_len);
	if (R.sq_ptr)
		munmap(R.sq_ptr, R.sq_len);
	R.sqes = NULL;
	R.sq_ptr = R.cq_ptr = NULL;
}

static void *map(size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, R.fd, off);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_DONTFORK);
	return p;
}

static int map_ring(const struct io_uring_params *p)
{
	char *sq, *cq;

	R.sq_len = p->sq_off.array + p->sq_entries * sizeof(uint32_t);
	R.cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	R.single_mmap = p->features & IORING_FEAT_SINGLE_MMAP;
	if (R.single_mmap && R.cq_len > R.sq_len)
		R.sq_len = R.cq_len;
	R.sq_ptr = map(R.sq_len, IORING_OFF_SQ_RING);
	if (!R.sq_ptr)
		return -ENOMEM;
	R.cq_ptr = R.single_mmap ? R.sq_ptr : map(R.cq_len, IORING_OFF_CQ_RING);
	R.sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	R.sqes = R.cq_ptr ? map(R.sqes_len, IORING_OFF_SQES) : NULL;
	if (!R.sqes) {
		unmap();
		return -ENOMEM;
	}
	sq = R.sq_ptr;
	cq = R.cq_ptr;
	R.sq_head = (_Atomic uint32_t *)(sq + p->sq_off.head);
	R.sq_tail = (_Atomic uint32_t *)(sq + p->sq_off.tail);
	R.sq_flags = (_Atomic uint32_t *)(sq + p->sq_off.flags);
	R.sq_mask = *(uint32_t *)(sq + p->sq_off.ring_mask);
	R.sq_array = (uint32_t *)(sq + p->sq_off.array);
	R.cq_head = (_Atomic uint32_t *)(cq + p->cq_off.head);
	R.cq_tail = (_Atomic uint32_t *)(cq + p->cq_off.tail);
	R.cq_mask = *(uint32_t *)(cq + p->cq_off.ring_mask);
	R.cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);
	return 0;
}

/*
 * The POSIX operations must all be supported, else the ring is not used;
 * any other the kernel lacks runs on the pool (has).
 */
static int probe_ops(void)
{
	static const uint8_t need[] = {IORING_OP_READ, IORING_OP_WRITE,
				       IORING_OP_READV, IORING_OP_WRITEV,
				       IORING_OP_FSYNC};
	/* On the stack: an allocation failure must not look like a refusal. */
	union {
		struct io_uring_probe probe;
		char bytes[sizeof(struct io_uring_probe) +
			   256 * sizeof(struct io_uring_probe_op)];
	} u;
	struct io_uring_probe *pr = &u.probe;
	int r;

	memset(&u, 0, sizeof(u));
	r = (int)xaio__sys(__NR_io_uring_register, R.fd, IORING_REGISTER_PROBE,
			   (long)pr, 256, 0, 0);
	if (r < 0)
		return r;
	for (size_t i = 0; i < XAIO__ARRAY_SIZE(need); i++)
		if (need[i] > pr->last_op ||
		    !(pr->ops[need[i]].flags & IO_URING_OP_SUPPORTED))
			return -EOPNOTSUPP;
	R.has = 0;
	for (int op = 0; op < XAIO__OP_COUNT; op++) {
		uint8_t code = xaio__ops[op].ring_op;

		if (code != XAIO__RING_NONE && code <= pr->last_op &&
		    (pr->ops[code].flags & IO_URING_OP_SUPPORTED))
			R.has |= 1ull << op;
	}
	return 0;
}

_Static_assert(XAIO__OP_COUNT <= 64, "R.has has a bit per operation");

static bool has(unsigned int op)
{
	return R.has & (1ull << op);
}

static int register_eventfd(void)
{
	int r;

	struct stat st;

	R.efd = eventfd(0, EFD_CLOEXEC);
	if (R.efd < 0)
		return -errno;
	R.efd = xaio__fd_adopt(R.efd);
	r = (int)xaio__sys(__NR_io_uring_register, R.fd,
			   IORING_REGISTER_EVENTFD, (long)&R.efd, 1, 0, 0);
	if (r == 0 && fstat(R.efd, &st) < 0)
		r = -errno;
	if (r < 0) {
		xaio__fd_close(R.efd);
		R.efd = -1;
		return r;
	}
	R.efd_dev = st.st_dev;
	R.efd_ino = st.st_ino;
	atomic_store(&R.efd_lost, false);
	return 0;
}

static int setup(uint32_t *entries, uint32_t sqpoll_ms, int *sqpoll_err)
{
	uint32_t n = MAX_CQ,
		 flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
	struct io_uring_params p;
	int fd, r;

	*sqpoll_err = 0;
	if (sqpoll_ms)
		flags |= IORING_SETUP_SQPOLL;
	for (;;) {
		memset(&p, 0, sizeof(p));
		p.flags = flags;
		p.cq_entries = n;
		p.sq_thread_idle = flags & IORING_SETUP_SQPOLL ? sqpoll_ms : 0;
		fd = sys_setup(n / 16, &p);
		if (fd >= 0)
			break;
		if (fd == -EINVAL && (flags & IORING_SETUP_SUBMIT_ALL)) {
			flags &= ~IORING_SETUP_SUBMIT_ALL;
			continue;
		}
		if (fd == -ENOMEM && n > MIN_CQ) {
			n /= 2;
			continue;
		}
		if (flags & IORING_SETUP_SQPOLL) {
			/* EPERM, EINVAL...: a ring without the thread. */
			*sqpoll_err = -fd;
			flags &= ~IORING_SETUP_SQPOLL;
			continue;
		}
		return fd;
	}
	R.fd = xaio__fd_adopt(fd);
	atomic_store(&R.lost, false);
	R.sqpoll = flags & IORING_SETUP_SQPOLL;
	r = map_ring(&p);
	if (r == 0)
		r = probe_ops();
	if (r == 0)
		r = register_eventfd();
	if (r < 0) {
		unmap();
		xaio__fd_close(R.fd);
		R.fd = -1;
		return r;
	}
	R.sq_entries = p.sq_entries;
	R.cq_entries = p.cq_entries;
	/* One CQE per request in flight: the CQ cannot overflow. */
	R.inflight_max = p.cq_entries;
	atomic_store(&R.inflight, 0);
	atomic_store(&R.leader_waiting, 0);
	pthread_mutex_init(&R.sq_lock, NULL);
	pthread_mutex_init(&R.cq_lock, NULL);
	*entries = p.sq_entries;
	return 0;
}

static void atfork_child(void)
{
	/* The mappings are MADV_DONTFORK: gone in the child already. */
	R.sqes = NULL;
	R.sq_ptr = R.cq_ptr = NULL;
	/* Not a number the program has taken over from us. */
	if (R.fd >= 0 && !atomic_load(&R.lost))
		xaio__fd_close(R.fd);
	if (R.efd >= 0 && !atomic_load(&R.efd_lost))
		xaio__fd_close(R.efd);
	R.fd = R.efd = -1;
	atomic_store(&R.orphans, NULL);
	atomic_store(&R.deferred, false);
	atomic_store(&R.deferrals, 0);
	atomic_store(&R.batch_reqs, 0);
	atomic_store(&R.solo, 0);
}

/*
 * The SQ thread sees pushed SQEs by itself; it needs a system call only
 * once it has gone idle.  Dekker pair with the kernel, which sets
 * NEED_WAKEUP and then looks at the tail once more before it sleeps.
 */
static void wake_sq_thread(void)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(R.sq_flags, memory_order_relaxed) &
	    IORING_SQ_NEED_WAKEUP)
		sys_enter(0, 0, IORING_ENTER_SQ_WAKEUP, NULL, 0);
}

/*
 * Nonzero while this thread holds sq_lock: a signal handler that
 * interrupted it there cannot take the lock
 * (flush_left(XAIO__FLUSH_INTERRUPTED)). volatile: only a handler reads it, so
 * the compiler would drop the store of 1 before an unlock it can see.
 */
static __thread volatile int sq_owner
	__attribute__((tls_model("initial-exec")));

static void lock_sq(void)
{
	xaio__lock(&R.sq_lock);
	sq_owner = 1;
}

static bool trylock_sq(void)
{
	xaio__locked++;
	if (pthread_mutex_trylock(&R.sq_lock)) {
		xaio__locked--;
		return false;
	}
	sq_owner = 1;
	return true;
}

static void rescue(void);

static void unlock_sq(void)
{
	sq_owner = 0;
	xaio__unlock(&R.sq_lock);
	if (atomic_load_explicit(&R.orphans, memory_order_relaxed))
		rescue();
}

/*
 * SQEs pushed that the kernel has not taken yet (without SQPOLL it takes
 * them only in io_uring_enter).  Counted from the ring itself, not kept
 * aside, so that a handler may submit under an interrupted holder.
 */
static uint32_t pending(void)
{
	return atomic_load_explicit(R.sq_tail, memory_order_relaxed) -
	       atomic_load_explicit(R.sq_head, memory_order_acquire);
}

/*
 * Lost.  A program may close descriptors it does not know about
 * (close_range, closefrom before exec) or dup2() onto their numbers.  The
 * ring's mappings keep it alive, so what is in the kernel still completes
 * into the CQ and signals the registered eventfd, but nothing more can be
 * submitted: the SQEs not yet taken are taken back (without SQPOLL, only
 * io_uring_enter takes them) and re-issued on the thread pool, which gets
 * every request from then on.  A lost eventfd (found by its identity, not
 * its number, before each sleep and kick) is never read or written again:
 * leaders then poll the CQ every millisecond instead of sleeping on it.
 */
static void ring_lost(void)
{
	if (!atomic_exchange(&R.lost, true))
		xaio__fd_release(R.fd); /* the number is not ours now */
}

static bool efd_ok(void)
{
	struct stat st;

	if (atomic_load_explicit(&R.efd_lost, memory_order_relaxed))
		return false;
	if (fstat(R.efd, &st) == 0 && st.st_dev == R.efd_dev &&
	    st.st_ino == R.efd_ino)
		return true;
	if (!atomic_exchange(&R.efd_lost, true))
		xaio__fd_release(R.efd);
	return false;
}

/* On a lost ring: takes the unsubmitted SQEs back; sq_lock held. */
static void take_back(void)
{
	uint32_t first = atomic_load_explicit(R.sq_head, memory_order_acquire);
	uint32_t tail = atomic_load_explicit(R.sq_tail, memory_order_relaxed);

	for (uint32_t head = first; head != tail; head++) {
		struct io_uring_sqe *sqe =
			&R.sqes[R.sq_array[head & R.sq_mask]];
		struct xaio__req *req;

		atomic_fetch_sub(&R.inflight, 1);
		if (sqe->user_data & 1) { /* close_later() */
			xaio__close((int)(sqe->user_data >> 1));
			continue;
		}
		req = (struct xaio__req *)(uintptr_t)sqe->user_data;
		taken_back(req);
		req->q_next = atomic_load(&R.orphans);
		while (!atomic_compare_exchange_weak(&R.orphans, &req->q_next,
						     req))
			;
	}
	atomic_store_explicit(R.sq_tail, first, memory_order_relaxed);
	atomic_store(&R.deferred, false);
	atomic_store(&R.batch_reqs, 0);
}

/*
 * On a lost ring with SQPOLL: the kernel thread takes SQEs while it is
 * awake, but once asleep (NEED_WAKEUP) only io_uring_enter, which needs the
 * lost descriptor, would wake it.  It checks the SQ once more after raising
 * the flag, so it is known asleep only when the flag stays up and the head
 * does not move for a while: then the SQEs are taken back.  sq_lock held.
 */
static void take_back_sqpoll(void)
{
	uint32_t head = atomic_load_explicit(R.sq_head, memory_order_acquire);

	for (int ms = 0; ms < 20; ms++) {
		if (!pending() ||
		    !(atomic_load(R.sq_flags) & IORING_SQ_NEED_WAKEUP) ||
		    atomic_load_explicit(R.sq_head, memory_order_acquire) !=
			    head)
			return;
		xaio__sys(SYS_nanosleep, (long)&(struct timespec){0, 1000000},
			  0, 0, 0, 0, 0);
	}
	take_back();
}

/* Re-issues what take_back() took, with no ring lock held. */
static void rescue(void)
{
	struct xaio__req *req = atomic_exchange(&R.orphans, NULL);

	while (req) {
		struct xaio__req *next = req->q_next;

		req->q_next = NULL;
		xaio__reissue(req);
		req = next;
	}
}

/* A batch left open was submitted: how many requests it held counts. */
static void batch_sent(void)
{
	uint32_t k = atomic_exchange(&R.batch_reqs, 0);
	uint32_t solo = atomic_load_explicit(&R.solo, memory_order_relaxed);

	if (k > 1)
		atomic_store_explicit(&R.solo, 0, memory_order_relaxed);
	else if (k == 1 && solo < SOLO_MAX)
		atomic_store_explicit(&R.solo, solo + 1, memory_order_relaxed);
}

/* Hands every filled SQE to the kernel; sq_lock held. */
static void submit_locked(void)
{
	uint32_t n;
	int tries = 0;

	if (atomic_load(&R.lost)) {
		if (R.sqpoll)
			take_back_sqpoll();
		else
			take_back();
		return;
	}
	if (R.sqpoll) {
		if (pending())
			wake_sq_thread();
		if (atomic_load(&R.lost))
			take_back_sqpoll();
		return;
	}
	while ((n = pending())) {
		int r = sys_enter(n, 0, 0, NULL, 0);

		if (r > 0)
			continue;
		if (atomic_load(&R.lost)) {
			if (!R.sqpoll)
				take_back();
			return;
		}
		/* EINTR, EAGAIN, EBUSY: the kernel is short of memory. */
		if (++tries > 1000 && r != -EINTR)
			break; /* left for the next enter */
		sched_yield();
	}
	if (!n && atomic_load(&R.deferred)) {
		atomic_store(&R.deferred, false);
		atomic_fetch_add(&R.flushes, 1);
		batch_sent();
	}
}

/* Fills the next SQE; sq_lock held.  NULL when the SQ is full. */
static struct io_uring_sqe *next_sqe(void)
{
	uint32_t tail = atomic_load_explicit(R.sq_tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(R.sq_head, memory_order_acquire);
	struct io_uring_sqe *sqe;

	if (tail - head >= R.sq_entries) {
		submit_locked();
		if (R.sqpoll) /* until the SQ thread has made room */
			sys_enter(0, 0, IORING_ENTER_SQ_WAIT, NULL, 0);
		head = atomic_load_explicit(R.sq_head, memory_order_acquire);
		if (tail - head >= R.sq_entries)
			return NULL;
	}
	sqe = &R.sqes[tail & R.sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	R.sq_array[tail & R.sq_mask] = tail & R.sq_mask;
	return sqe;
}

static void push_sqe(void)
{
	uint32_t tail = atomic_load_explicit(R.sq_tail, memory_order_relaxed);

	/* Pairs with the kernel's acquire of the tail. */
	atomic_store_explicit(R.sq_tail, tail + 1, memory_order_release);
}

/* This thread issued SQEs while plugged: its unplug must submit them. */
static __thread bool held_for_plug __attribute__((tls_model("initial-exec")));

static void prep(struct io_uring_sqe *sqe, struct xaio__req *req)
{
	const struct xaio__opdef *def = &xaio__ops[req->op];

	sqe->opcode = def->ring_op;
	sqe->fd = req->xfd;
	sqe->user_data = (uint64_t)(uintptr_t)req;
	if (req->flags & XAIO__RF_ASYNC)
		sqe->flags |= IOSQE_ASYNC;
	def->prep(sqe, req);
}

/*
 * Leaves the SQE just pushed for a later batch (see "Batching" above)?
 * sq_lock held; lazy: its request allows it; was: what the ring had in
 * flight before it.
 */
static bool defer(bool lazy, uint32_t was)
{
	if (!lazy || !was || R.sqpoll || atomic_load(&R.leader_waiting))
		return false;
	atomic_store(&R.deferred, true);
	atomic_fetch_add(&R.batch_reqs, 1);
	return true;
}

/*
 * Is a lazy request worth its private duplicate now (see "Batching")?
 * A hint, read unlocked: defer() still decides.
 */
static bool would_batch(void)
{
	if (atomic_load_explicit(&R.batch_reqs, memory_order_relaxed) ||
	    atomic_load_explicit(&R.solo, memory_order_relaxed) < SOLO_MAX)
		return true;
	return atomic_fetch_add_explicit(&R.probes, 1, memory_order_relaxed) %
		       SOLO_PROBE ==
	       0;
}

static void flush(void);

static int issue(struct xaio__req *req)
{
	struct io_uring_sqe *sqe;
	uint32_t was = atomic_fetch_add(&R.inflight, 1);
	bool lazy = req->flags & XAIO__RF_LAZY, deferred = false;

	/* Before the request is handed over: it is the kernel's after that. */
	req->flags &= (uint16_t)~XAIO__RF_LAZY;
	if (was >= R.inflight_max || atomic_load(&R.lost)) {
		atomic_fetch_sub(&R.inflight, 1);
		return -EAGAIN;
	}
	lock_sq();
	sqe = next_sqe();
	if (!sqe) {
		unlock_sq();
		atomic_fetch_sub(&R.inflight, 1);
		return -EAGAIN;
	}
	prep(sqe, req);
	/* A canceller's mark on a slot since reused (see sync_cancel()). */
	atomic_store_explicit(&req->cancel, XAIO__CX_NONE,
			      memory_order_relaxed);
	handed_over(req);
	push_sqe();
	if (xaio__plugged())
		held_for_plug = true; /* xaio__unplug() submits */
	else if (defer(lazy, was))
		deferred = true;
	else
		submit_locked();
	unlock_sq();
	/* A leader that began to wait meanwhile may not have seen it. */
	if (deferred &&
	    (atomic_load(&R.leader_waiting) || !xaio__watchdog_arm()))
		flush();
	else if (deferred)
		atomic_fetch_add_explicit(&R.deferrals, 1,
					  memory_order_relaxed);
	return was == 0;
}

static bool close_later(int fd)
{
	struct io_uring_sqe *sqe;
	uint32_t was = atomic_fetch_add(&R.inflight, 1);

	/*
	 * Not on an idle ring: nobody would reap it, and the next request
	 * would not see the ring go busy (the waiters' wake-up).
	 */
	if (!was || was >= R.inflight_max)
		goto no;
	if (!trylock_sq())
		goto no;
	sqe = next_sqe();
	if (!sqe) {
		unlock_sq();
		goto no;
	}
	sqe->opcode = IORING_OP_CLOSE;
	sqe->fd = fd;
	sqe->user_data = (uint64_t)fd << 1 | 1; /* not a request: odd */
	push_sqe();
	if (R.sqpoll)
		submit_locked();
	else
		atomic_store(&R.deferred, true);
	unlock_sq();
	if (atomic_load(&R.deferred) &&
	    (atomic_load(&R.leader_waiting) || !xaio__watchdog_arm()))
		flush();
	return true;
no:
	atomic_fetch_sub(&R.inflight, 1);
	return false;
}

static void flush(void)
{
	lock_sq();
	submit_locked();
	unlock_sq();
}

/* The backend's flush: see enum xaio__flush in core/internal.h. */
static void flush_left(enum xaio__flush how)
{
	uint32_t n;

	switch (how) {
	case XAIO__FLUSH_DEFERRED:
		if (atomic_load(&R.deferred))
			flush();
		break;
	case XAIO__FLUSH_PLUGGED:
		/* Nothing issued while plugged: what is left for a batch stays.
		 */
		if (held_for_plug) {
			held_for_plug = false;
			flush();
		}
		break;
	case XAIO__FLUSH_INTERRUPTED:
		/*
		 * The holder is frozen under us: every SQE up to the tail is
		 * filled (the tail moves only after), and nobody else can take
		 * the lock.
		 */
		if (sq_owner && !R.sqpoll && (n = pending()))
			sys_enter(n, 0, 0, NULL, 0);
		break;
	}
}

static uint64_t batched(void)
{
	return atomic_load_explicit(&R.deferrals, memory_order_relaxed);
}

static bool watch(struct xaio__watch *w)
{
	uint64_t deferrals = atomic_load(&R.deferrals);
	bool active = deferrals != w->deferrals;

	/*
	 * Left since the last tick, and nobody submitted since: do it, unless
	 * a thread holds the lock (it submits; it may be interrupted by a
	 * handler that waits for this very thread to lead).
	 */
	if (w->pending && atomic_load(&R.flushes) == w->flushes &&
	    trylock_sq()) {
		submit_locked();
		unlock_sq();
	}
	w->deferrals = deferrals;
	w->flushes = atomic_load(&R.flushes);
	w->pending = atomic_load(&R.deferred);
	return active || w->pending;
}

static bool unqueue(struct xaio__req *req, uint32_t gen)
{
	uint64_t key = (uint64_t)(uintptr_t)req;
	bool found = false;
	uint32_t head, tail;

	/* An SQ thread may be reading the SQ: leave it alone then. */
	if (R.sqpoll || !atomic_load(&R.deferred))
		return false;
	lock_sq();
	head = atomic_load_explicit(R.sq_head, memory_order_acquire);
	tail = atomic_load_explicit(R.sq_tail, memory_order_relaxed);
	for (uint32_t i = head; i != tail && xaio__req_gen(req) == gen; i++) {
		if (R.sqes[i & R.sq_mask].user_data != key)
			continue;
		/*
		 * The kernel reads nothing before io_uring_enter: close the
		 * gap (slots stay indexed by position, as next_sqe() wants).
		 */
		for (uint32_t j = i; j + 1 != tail; j++)
			R.sqes[j & R.sq_mask] = R.sqes[(j + 1) & R.sq_mask];
		atomic_store_explicit(R.sq_tail, tail - 1,
				      memory_order_relaxed);
		atomic_fetch_sub(&R.inflight, 1);
		taken_back(req);
		found = true;
		break;
	}
	unlock_sq();
	return found;
}

#ifndef IORING_REGISTER_SYNC_CANCEL
#define IORING_REGISTER_SYNC_CANCEL 24 /* 6.0 */
#endif

/* struct io_uring_sync_cancel_reg, which headers before 6.0 lack. */
struct sync_cancel_reg {
	uint64_t addr; /* user_data to match */
	int32_t fd;
	uint32_t flags;
	int64_t tv_sec, tv_nsec; /* 0, 0: do not wait for it */
	uint8_t opcode;
	uint8_t pad[7];
	uint64_t pad2[3];
};

/*
 * The kernel is asked under sq_lock, so the user_data it matches names
 * this request: a slot reused meanwhile could not have reached the ring
 * (issue() takes the lock, and clears the mark).  Its answer is not the
 * truth (io-uring.md §3.5: -ENOENT for requests still at the device), but
 * when it is >= 0 the target's CQE is posted; process() reads that.
 */
static bool sync_cancel(struct xaio__req *req, uint32_t gen)
{
	struct sync_cancel_reg sc = {.addr = (uint64_t)(uintptr_t)req,
				     .fd = -1};
	long r = -ENOENT;

	if (atomic_load_explicit(&R.no_kill, memory_order_relaxed))
		return false;
	lock_sq();
	if (xaio__req_gen(req) == gen && req->backend == XAIO_BACKEND_URING) {
		atomic_store(&req->cancel, XAIO__CX_ASKED);
		r = xaio__sys(__NR_io_uring_register, R.fd,
			      IORING_REGISTER_SYNC_CANCEL, (long)&sc, 1, 0, 0);
		/*
		 * Not done: -EALREADY (running on a kernel worker, which may
		 * yet be interrupted), -ETIME, -ENOENT.  Its result counts,
		 * unless it says ECANCELED: then it is run again, and nobody
		 * is told it was cancelled.  Its CQE may have been processed
		 * already; then req->killed says so, and that is the truth.
		 */
		if (r < 0) {
			uint8_t want = XAIO__CX_ASKED;

			atomic_compare_exchange_strong(&req->cancel, &want,
						       XAIO__CX_NONE);
		}
	}
	unlock_sq();
	if (r == -EINVAL || r == -EOPNOTSUPP)
		atomic_store_explicit(&R.no_kill, true, memory_order_relaxed);
	return r >= 0;
}

static bool busy(void)
{
	/* seq_cst: the waiter's side of the pair in engine.c's futex_sleep. */
	return atomic_load(&R.inflight) != 0;
}

static uint32_t inflight(void)
{
	return atomic_load_explicit(&R.inflight, memory_order_relaxed);
}

static void kick(void)
{
	uint64_t one = 1;

	if (atomic_load(&R.leader_waiting) && efd_ok())
		xaio__sys(SYS_write, R.efd, (long)&one, sizeof(one), 0, 0, 0);
}

/* Copies out up to HARVEST CQEs; cq_lock held. */
static int harvest(struct io_uring_cqe *out)
{
	uint32_t head = atomic_load_explicit(R.cq_head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(R.cq_tail, memory_order_acquire);
	int n = 0;

	if (head == tail &&
	    (atomic_load_explicit(R.sq_flags, memory_order_relaxed) &
	     IORING_SQ_CQ_OVERFLOW)) {
		/* Ask the kernel to move its overflow backlog into the CQ. */
		sys_enter(0, 0, IORING_ENTER_GETEVENTS, NULL, 0);
		tail = atomic_load_explicit(R.cq_tail, memory_order_acquire);
	}
	while (head != tail && n < HARVEST)
		out[n++] = R.cqes[head++ & R.cq_mask];
	/* Pairs with the kernel's acquire of the head: slots are free. */
	atomic_store_explicit(R.cq_head, head, memory_order_release);
	return n;
}

/*
 * Requests the completions issue (held ones, native dependents) go to the
 * kernel together, in one io_uring_enter after the batch (plugged).
 */
static void process(const struct io_uring_cqe *cqes, int n)
{
	xaio__plug();
	for (int i = 0; i < n; i++) {
		struct xaio__req *req =
			(struct xaio__req *)(uintptr_t)cqes[i].user_data;
		int res = cqes[i].res;

		atomic_fetch_sub(&R.inflight, 1);
		if (cqes[i].user_data & 1) { /* close_later() */
			/*
			 * Only if it never ran: once it has, the number is
			 * gone even if the close failed (a ->flush error),
			 * and may be another file's already.
			 */
			if (res == -EINVAL || res == -EOPNOTSUPP ||
			    res == -ECANCELED)
				xaio__close((int)(cqes[i].user_data >> 1));
			continue;
		}
		taken_back(req);
		if ((res == -ECANCELED || res == -EINTR) &&
		    atomic_load(&req->cancel) == XAIO__CX_ASKED) {
			/* Asked for: what a continued write wrote stays. */
			if (!req->partial)
				atomic_store(&req->killed, xaio__req_gen(req));
			xaio__finish(req, -ECANCELED);
			continue;
		}
		if (!req->reissued &&
		    (res == -ECANCELED || res == -EINTR || res == -EOPNOTSUPP ||
		     res == -EINVAL ||
		     (res == -ERANGE &&
		      (xaio__ops[req->op].props & XAIO__OPF_RERUN)))) {
			xaio__reissue(req);
			continue;
		}
		if (xaio__continue_write(req, res) ||
		    xaio__stream_retry(req, res))
			continue;
		/* The caller wakes waiters once for the whole batch. */
		xaio__finish(req, res);
	}
	xaio__unplug();
}

/*
 * The leader sleeps on the ring's eventfd, not in io_uring_enter: a read
 * without a timeout is restarted after a signal handler installed with
 * SA_RESTART and a timed poll is not, which is exactly how glibc's futex
 * waits behave (io_uring_enter returns EINTR for every handler).
 * 0: woken (perhaps spuriously), -ETIMEDOUT, -EINTR.
 */
static int sleep_on_eventfd(const struct timespec *deadline, bool cancel)
{
	struct pollfd pfd = {.fd = R.efd, .events = POLLIN};
	struct timespec rel;
	uint64_t count;
	long r;

	if (!efd_ok()) {
		/* Lost: look at the CQ again in a millisecond. */
		rel = (struct timespec){0, 1000000};
		if (deadline) {
			struct timespec left = xaio__until(deadline);

			if (!left.tv_sec && !left.tv_nsec)
				return -ETIMEDOUT;
			if (!left.tv_sec && left.tv_nsec < rel.tv_nsec)
				rel = left;
		}
		r = xaio__sys_cp(cancel, SYS_ppoll, 0, 0, (long)&rel, 0, 8);
		return r == -EINTR ? -EINTR : 0;
	}
	if (deadline) {
		rel = xaio__until(deadline);
		r = xaio__sys_cp(cancel, SYS_ppoll, (long)&pfd, 1, (long)&rel,
				 0, 8);
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0)
			return r == -EINTR ? -EINTR : 0;
	}
	r = xaio__sys_cp(cancel, SYS_read, R.efd, (long)&count, sizeof(count),
			 0, 0);
	return r == -EINTR ? -EINTR : 0;
}

/* Anything to reap?  Lock-free, so pollers cost nothing when idle. */
static bool cq_ready(void)
{
	return atomic_load_explicit(R.cq_head, memory_order_relaxed) !=
		       atomic_load_explicit(R.cq_tail, memory_order_acquire) ||
	       (atomic_load_explicit(R.sq_flags, memory_order_relaxed) &
		IORING_SQ_CQ_OVERFLOW);
}

static int reap(void)
{
	struct io_uring_cqe cqes[HARVEST];
	int n;

	if (!cq_ready() || pthread_mutex_trylock(&R.cq_lock))
		return -EBUSY;
	n = harvest(cqes);
	pthread_mutex_unlock(&R.cq_lock);
	process(cqes, n);
	return n;
}

/* pthread_cancel acted while the leader slept: it steps down. */
static void leader_unwait(void *arg)
{
	(void)arg;
	atomic_store(&R.leader_waiting, 0);
	pthread_mutex_unlock(&R.cq_lock);
}

static int leader_sleep(const struct timespec *deadline, bool cancel)
{
	int r;

	if (!cancel)
		return sleep_on_eventfd(deadline, false);
	pthread_cleanup_push(leader_unwait, NULL);
	r = sleep_on_eventfd(deadline, true);
	pthread_cleanup_pop(0);
	return r;
}

/*
 * Nonzero while this thread is the leader asleep in leader_sleep(): it
 * holds cq_lock, and a signal handler that interrupted it can only have
 * done so in that system call, so the handler may lead in its place.
 */
static __thread int parked __attribute__((tls_model("initial-exec")));

static bool is_parked(void)
{
	return parked != 0;
}

static int lead(uint32_t snap, const struct timespec *deadline, bool cancel)
{
	struct io_uring_cqe cqes[HARVEST];
	bool nested = parked; /* in a handler, under our own leader's sleep */
	int n, r = 0;

	if (!nested && pthread_mutex_trylock(&R.cq_lock))
		return -EBUSY;
	n = harvest(cqes);
	if (!n) {
		/*
		 * Dekker pair with kick(): flag, then recheck.
		 * The flag also stops submitters from deferring (defer()).
		 */
		atomic_store(&R.leader_waiting, 1);
		/*
		 * SQEs a plugged thread pushed but has not submitted yet (it
		 * may be the thread a signal handler interrupted to wait
		 * here), or left for a batch, would never complete: submit
		 * them before sleeping.
		 */
		if (trylock_sq()) {
			submit_locked();
			unlock_sq();
		}
		if (xaio__seq() == snap) {
			parked++;
			r = leader_sleep(deadline, cancel);
			parked--;
		}
		/* Nested, the interrupted sleep still waits for a kick. */
		atomic_store(&R.leader_waiting, nested);
		n = harvest(cqes);
	}
	if (!nested)
		pthread_mutex_unlock(&R.cq_lock);
	process(cqes, n);
	return n ? 0 : r;
}

const struct xaio__backend xaio__uring_backend = {
	.name = "io_uring",
	.init = setup,
	.has = has,
	.issue = issue,
	.cancel = unqueue,
	.kill = sync_cancel,
	.reap = reap,
	.wait = lead,
	.kick = kick,
	.busy = busy,
	.inflight = inflight,
	.parked = is_parked,
	.flush = flush_left,
	.close_later = close_later,
	.watch = watch,
	.batched = batched,
	.would_batch = would_batch,
	.atfork_child = atfork_child,
};
