// SPDX-License-Identifier: MIT
/*
 * posix-floor: a yardstick, not a library.  The least any POSIX AIO on
 * io_uring can do per request, for fio's posixaio engine to run on
 * (LD_PRELOAD), so that bench/fio-posixaio.sh --lib can show how much of
 * the distance between fio's posixaio and io_uring engines is fio's own
 * and how much is xaio's.
 *
 * aio_read and aio_write fill one SQE and enter the kernel once, with the
 * aiocb as user_data; aio_error reaps the CQ when its request is still in
 * progress and writes every result it finds into its aiocb; aio_suspend
 * waits in io_uring_enter.  The ring is set up as xaio sets up its shared
 * one (64 SQEs, 1024 CQEs, SUBMIT_ALL), without the eventfd.
 *
 * Nothing else: one thread only (no locks), no ordering, no fsync, no
 * cancellation, no notifications, no fallback, at most 1024 requests in
 * flight, no fork handling.  Everything it does not do answers ENOSYS.
 */
#define _GNU_SOURCE
#include <aio.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "raw-ring.h"

#define SQ_ENTRIES 64
#define CQ_ENTRIES 1024

#define API __attribute__((visibility("default")))

static struct raw_ring R = {.fd = -1};

static void publish(struct aiocb *cb, int err, ssize_t ret)
{
	cb->__return_value = ret;
	atomic_store_explicit((_Atomic int *)&cb->__error_code, err,
			      memory_order_release);
}

/* Writes every completed request's result into its aiocb. */
static void reap(void)
{
	unsigned head = __atomic_load_n(R.cq_head, __ATOMIC_RELAXED);
	unsigned tail = __atomic_load_n(R.cq_tail, __ATOMIC_ACQUIRE);

	for (; head != tail; head++) {
		struct io_uring_cqe *cqe = &R.cqes[head & *R.cq_mask];
		struct aiocb *cb = (struct aiocb *)(uintptr_t)cqe->user_data;

		publish(cb, cqe->res < 0 ? -cqe->res : 0,
			cqe->res < 0 ? -1 : cqe->res);
	}
	__atomic_store_n(R.cq_head, head, __ATOMIC_RELEASE);
}

static int submit(struct aiocb *cb, unsigned char opcode)
{
	unsigned tail;
	struct io_uring_sqe *sqe;

	if (R.fd < 0 && raw_ring_open(&R, SQ_ENTRIES, CQ_ENTRIES,
				      IORING_SETUP_SUBMIT_ALL) < 0)
		return -1;
	if (cb->aio_offset < 0) {
		errno = EINVAL;
		return -1;
	}
	tail = __atomic_load_n(R.sq_tail, __ATOMIC_RELAXED);
	sqe = &R.sqes[tail & *R.sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->fd = cb->aio_fildes;
	sqe->addr = (uint64_t)(uintptr_t)cb->aio_buf;
	sqe->len = (unsigned)cb->aio_nbytes;
	sqe->off = (uint64_t)cb->aio_offset;
	sqe->user_data = (uint64_t)(uintptr_t)cb;
	R.sq_array[tail & *R.sq_mask] = tail & *R.sq_mask;
	cb->__return_value = 0;
	cb->__error_code = EINPROGRESS;
	__atomic_store_n(R.sq_tail, tail + 1, __ATOMIC_RELEASE);
	errno = 0;
	if (syscall(__NR_io_uring_enter, R.fd, 1, 0, 0, NULL, 0) != 1) {
		/* Not taken (EAGAIN, EBUSY...): the SQE is withdrawn. */
		int err = errno ? errno : EAGAIN;

		__atomic_store_n(R.sq_tail, tail, __ATOMIC_RELAXED);
		publish(cb, err, -1);
		errno = err == EINTR ? EAGAIN : err;
		return -1;
	}
	return 0;
}

API int aio_read(struct aiocb *cb)
{
	return submit(cb, IORING_OP_READ);
}

API int aio_write(struct aiocb *cb)
{
	return submit(cb, IORING_OP_WRITE);
}

API int aio_error(const struct aiocb *cb)
{
	int err = atomic_load_explicit((_Atomic int *)&cb->__error_code,
				       memory_order_acquire);

	if (err == EINPROGRESS && R.fd >= 0) {
		reap();
		err = atomic_load_explicit((_Atomic int *)&cb->__error_code,
					   memory_order_acquire);
	}
	return err;
}

API ssize_t aio_return(struct aiocb *cb)
{
	return cb->__return_value;
}

static int done(const struct aiocb *const list[], int n)
{
	for (int i = 0; i < n; i++)
		if (list[i] && aio_error(list[i]) != EINPROGRESS)
			return 1;
	return 0;
}

API int aio_suspend(const struct aiocb *const list[], int n,
		    const struct timespec *timeout)
{
	struct io_uring_getevents_arg arg = {.ts = (uintptr_t)timeout};

	while (!done(list, n)) {
		long r = syscall(__NR_io_uring_enter, R.fd, 0, 1,
				 IORING_ENTER_GETEVENTS |
					 (timeout ? IORING_ENTER_EXT_ARG : 0),
				 timeout ? (void *)&arg : NULL,
				 timeout ? sizeof(arg) : 0);

		if (r < 0 && (errno == ETIME || errno == EINTR)) {
			if (done(list, n))
				break;
			errno = errno == ETIME ? EAGAIN : EINTR;
			return -1;
		}
	}
	return 0;
}

static int unsupported(void)
{
	errno = ENOSYS;
	return -1;
}

API int aio_fsync(int op, struct aiocb *cb)
{
	(void)op;
	(void)cb;
	return unsupported();
}

API int aio_cancel(int fd, struct aiocb *cb)
{
	(void)fd;
	(void)cb;
	return unsupported();
}

API int lio_listio(int mode, struct aiocb *const list[], int n,
		   struct sigevent *sev)
{
	(void)mode;
	(void)list;
	(void)n;
	(void)sev;
	return unsupported();
}

/* Programs built with _FILE_OFFSET_BITS=64, fio among them, call these. */
API int aio_read64(struct aiocb64 *cb) __attribute__((alias("aio_read")));
API int aio_write64(struct aiocb64 *cb) __attribute__((alias("aio_write")));
API int aio_error64(const struct aiocb64 *cb)
	__attribute__((alias("aio_error")));
API ssize_t aio_return64(struct aiocb64 *cb)
	__attribute__((alias("aio_return")));
API int aio_suspend64(const struct aiocb64 *const list[], int n,
		      const struct timespec *timeout)
	__attribute__((alias("aio_suspend")));
API int aio_fsync64(int op, struct aiocb64 *cb)
	__attribute__((alias("aio_fsync")));
API int aio_cancel64(int fd, struct aiocb64 *cb)
	__attribute__((alias("aio_cancel")));
API int lio_listio64(int mode, struct aiocb64 *const list[], int n,
		     struct sigevent *sev) __attribute__((alias("lio_listio")));
