/* SPDX-License-Identifier: MIT */
/*
 * FreeBSD's POSIX AIO extensions, offered by libxaio-posix on glibc's
 * struct aiocb.  Include after <aio.h>; link with -lxaio-posix.
 *
 * aio_readv() and aio_writev() take a vector of buffers.  glibc's aiocb has
 * no aio_iov/aio_iovcnt fields, so the vector travels in the existing ones:
 *
 *	aio_buf     points to the first element of a struct iovec array
 *	aio_nbytes  holds the number of elements (iovcnt, 0..IOV_MAX)
 *
 * XAIO_AIOCB_SET_IOV() fills both.  Everything else is as for aio_read()
 * and aio_write(); aio_return() gives the total bytes transferred.  In
 * lio_listio() the opcodes XAIO_LIO_READV and XAIO_LIO_WRITEV select them.
 *
 * aio_waitcomplete() waits for the next request of the process to
 * complete, stores its aiocb pointer in *iocbp and returns what
 * aio_return() would, consuming the request as aio_return() does.
 * timeout NULL waits forever, {0, 0} polls.  Errors: -1 with errno EAGAIN
 * (timed out, or nothing to wait for when polling), EINTR, EINVAL (bad
 * timeout or iocbp NULL); with nothing in flight and a timeout it waits for
 * the timeout, without one it fails with EINVAL rather than hang forever.
 */
#ifndef XAIO_POSIX_H
#define XAIO_POSIX_H

#include <aio.h>
#include <sys/uio.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* lio_listio() opcodes for the vectored requests (FreeBSD's values). */
#define XAIO_LIO_READV 6
#define XAIO_LIO_WRITEV 5

#define XAIO_AIOCB_SET_IOV(cb, iov, iovcnt)                                    \
	do {                                                                   \
		(cb)->aio_buf = (void *)(iov);                                 \
		(cb)->aio_nbytes = (size_t)(iovcnt);                           \
	} while (0)

int aio_readv(struct aiocb *aiocbp);
int aio_writev(struct aiocb *aiocbp);
ssize_t aio_waitcomplete(struct aiocb **iocbp, struct timespec *timeout);

#ifdef __cplusplus
}
#endif

#endif
