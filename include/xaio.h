/* SPDX-License-Identifier: MIT */
/*
 * xaio: fast, correct asynchronous file I/O for Linux.
 *
 * This is the native API of libxaio.  Every function returns >= 0 on
 * success or a negative errno value on failure, and never touches errno.
 * Functions are thread-safe unless a comment says otherwise.
 *
 * The POSIX AIO drop-in lives in a separate library, libxaio-posix, and is
 * used through the system <aio.h>; see xaio-posix(7) and <xaio/posix.h>.
 */
#ifndef XAIO_H
#define XAIO_H

#include <stddef.h>
#include <stdint.h>

#include <xaio/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(XAIO_BUILDING)
#define XAIO_API __attribute__((visibility("default")))
#else
#define XAIO_API
#endif

/* The version of the library actually loaded, as XAIO_VERSION_HEX. */
XAIO_API unsigned int xaio_version(void);
/* The same as a string, e.g. "0.1.0".  Never NULL. */
XAIO_API const char *xaio_version_string(void);

/* Backends the engine can run requests on. */
enum xaio_backend {
	XAIO_BACKEND_NONE = 0, /* not started yet */
	XAIO_BACKEND_URING = 1, /* io_uring, thread pool for refused ops */
	XAIO_BACKEND_THREADS = 2, /* the portable thread pool only */
};

/* Why the engine runs on the backend it does. */
enum xaio_backend_reason {
	XAIO_REASON_DEFAULT = 0, /* io_uring was available and chosen */
	XAIO_REASON_ENV = 1, /* forced by XAIO_BACKEND */
	XAIO_REASON_URING_FAILED =
		2 /* io_uring_setup refused: see uring_errno */
};

/*
 * What the engine is doing, for diagnostics.  Filled by xaio_runtime_info().
 * The struct only grows at its end: set .size to sizeof(struct
 * xaio_runtime_info) before the call; the library fills what both sides know.
 */
struct xaio_runtime_info {
	uint32_t size; /* in: sizeof(struct xaio_runtime_info) */
	uint32_t backend; /* enum xaio_backend */
	uint32_t reason; /* enum xaio_backend_reason */
	int32_t uring_errno; /* errno from io_uring_setup, or 0 */
	uint32_t ring_entries; /* submission ring size, 0 without a ring */
	uint32_t threads; /* thread-pool workers alive now */
	uint64_t submitted; /* requests accepted since start (or fork) */
	uint64_t on_ring; /* of which run on io_uring */
	uint64_t on_threads; /* of which run on the thread pool */
	uint64_t fallbacks; /* ring requests re-issued on the thread pool */
	uint64_t completed; /* requests completed */
	uint64_t inline_reads; /* of the submitted, reads done at once from
				  the page cache (XAIO_NOWAIT) */
	uint32_t sqpoll_idle_ms; /* XAIO_SQPOLL granted: the ring's kernel
				    submission thread sleeps after this idle
				    time; 0 when there is no such thread */
	int32_t sqpoll_errno; /* XAIO_SQPOLL asked but io_uring_setup refused
				 it (the ring runs without it), or 0 */
	uint64_t batched; /* of on_ring, submitted in a later batch
			     rather than at once (XAIO_BATCH) */
	uint64_t reserved[5];
};

/*
 * Fills *info and starts the engine if it has not started yet (so the
 * answer says which backend requests will use).  Returns 0, -EINVAL for a
 * NULL info or a size too small for the first six fields (24 bytes).
 */
XAIO_API int xaio_runtime_info(struct xaio_runtime_info *info);

/* A constant name for a backend value: "io_uring", "threads" or "none". */
XAIO_API const char *xaio_backend_name(unsigned int backend);

#ifdef __cplusplus
}
#endif

/* Event sets and file operations (xaio_evset_create(3), xaio_open(3)). */
#include <xaio/evset.h>
#include <xaio/file.h>

#endif
