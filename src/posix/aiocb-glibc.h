/* SPDX-License-Identifier: MIT */
/*
 * The only place that knows glibc's private struct aiocb fields.
 *
 * glibc's meaning is kept for __error_code (what aio_error returns) and
 * __return_value (what aio_return returns), so code that mixes our entry
 * points with glibc's still reads sensible values.  xaio's own state goes
 * where glibc's current code never looks: __abs_prio and __policy hold the
 * (index, generation) of the engine request serving the aiocb.
 *
 * Ordering: __return_value is stored before __error_code, and
 * __error_code with release semantics; readers load __error_code with
 * acquire, then __return_value.  Both are plain aligned words, so aio_error
 * and aio_return are lock-free and async-signal-safe.
 */
#ifndef XAIO_AIOCB_GLIBC_H
#define XAIO_AIOCB_GLIBC_H

#include <aio.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#ifndef __GLIBC__
#error "libxaio-posix is built for glibc's struct aiocb"
#endif

_Static_assert(sizeof(struct aiocb) == 168, "glibc x86_64 aiocb size");
_Static_assert(sizeof(struct aiocb64) == sizeof(struct aiocb),
	       "aiocb64 must match aiocb");
_Static_assert(offsetof(struct aiocb, __error_code) == 112, "__error_code");
_Static_assert(offsetof(struct aiocb, __return_value) == 120, "__return_value");
_Static_assert(offsetof(struct aiocb, aio_offset) == 128, "aio_offset");
_Static_assert(offsetof(struct aiocb64, aio_offset) == 128, "aio_offset64");

static inline int cb_error(const struct aiocb *cb)
{
	return atomic_load_explicit((_Atomic int *)&cb->__error_code,
				    memory_order_acquire);
}

static inline ssize_t cb_return(const struct aiocb *cb)
{
	return atomic_load_explicit((_Atomic ssize_t *)&cb->__return_value,
				    memory_order_relaxed);
}

/* Publishes a final status: value first, then the error word (release). */
static inline void cb_publish(struct aiocb *cb, int err, ssize_t ret)
{
	atomic_store_explicit((_Atomic ssize_t *)&cb->__return_value, ret,
			      memory_order_relaxed);
	atomic_store_explicit((_Atomic int *)&cb->__error_code, err,
			      memory_order_release);
}

/* Marks cb in progress, before the request can possibly complete. */
static inline void cb_start(struct aiocb *cb, uint32_t index, uint32_t gen)
{
	cb->__abs_prio = (int)index;
	cb->__policy = (int)gen;
	atomic_store_explicit((_Atomic ssize_t *)&cb->__return_value, 0,
			      memory_order_relaxed);
	atomic_store_explicit((_Atomic int *)&cb->__error_code, EINPROGRESS,
			      memory_order_release);
}

static inline uint32_t cb_index(const struct aiocb *cb)
{
	return (uint32_t)cb->__abs_prio;
}

static inline uint32_t cb_gen(const struct aiocb *cb)
{
	return (uint32_t)cb->__policy;
}

#endif
