// SPDX-License-Identifier: MIT
/*
 * The binary layout of the native API, frozen: struct xaio_runtime_info
 * (size and every offset), the enum values, and the FreeBSD opcodes of
 * <xaio/posix.h>.  A change here is an ABI break (docs/releasing.md); the
 * build fails before any test runs.  At run time: the header and the
 * loaded library agree on the version, and xaio_runtime_info() honours
 * .size both ways (an older caller's smaller struct, a newer one's larger).
 */
#include <stddef.h>
#include <stdlib.h>

#include <xaio.h>
#include <xaio/posix.h>

#include "xtest.h"

#define OFF(field, off)                                                        \
	_Static_assert(offsetof(struct xaio_runtime_info, field) == (off),     \
		       "xaio_runtime_info." #field " moved")

_Static_assert(sizeof(struct xaio_runtime_info) == 128,
	       "struct xaio_runtime_info changed size");
_Static_assert(_Alignof(struct xaio_runtime_info) == 8,
	       "struct xaio_runtime_info changed alignment");
OFF(size, 0);
OFF(backend, 4);
OFF(reason, 8);
OFF(uring_errno, 12);
OFF(ring_entries, 16);
OFF(threads, 20);
OFF(submitted, 24);
OFF(on_ring, 32);
OFF(on_threads, 40);
OFF(fallbacks, 48);
OFF(completed, 56);
OFF(inline_reads, 64);
OFF(sqpoll_idle_ms, 72);
OFF(sqpoll_errno, 76);
OFF(batched, 80);
OFF(reserved, 88);
_Static_assert(sizeof(((struct xaio_runtime_info *)0)->reserved) == 40,
	       "xaio_runtime_info.reserved changed size");

_Static_assert(XAIO_BACKEND_NONE == 0 && XAIO_BACKEND_URING == 1 &&
		       XAIO_BACKEND_THREADS == 2,
	       "enum xaio_backend values");
_Static_assert(XAIO_REASON_DEFAULT == 0 && XAIO_REASON_ENV == 1 &&
		       XAIO_REASON_URING_FAILED == 2,
	       "enum xaio_backend_reason values");
_Static_assert(XAIO_LIO_READV == 6 && XAIO_LIO_WRITEV == 5,
	       "FreeBSD's lio_listio opcodes");
_Static_assert(XAIO_VERSION_HEX ==
		       ((XAIO_VERSION_MAJOR << 16) | (XAIO_VERSION_MINOR << 8) |
			XAIO_VERSION_PATCH),
	       "XAIO_VERSION_HEX encoding");

/* The smallest size xaio_runtime_info() accepts: the 32-bit fields. */
#define MIN_SIZE offsetof(struct xaio_runtime_info, submitted)

static int version_matches_header(void)
{
	XT_ASSERT_EQ(xaio_version(), XAIO_VERSION_HEX);
	XT_ASSERT(xaio_version_string() != NULL);
	XT_ASSERT(!strcmp(xaio_version_string(), XAIO_VERSION_STRING));
	return XT_PASS;
}

static int info_full_size(void)
{
	struct xaio_runtime_info info;

	memset(&info, 0xa5, sizeof(info));
	info.size = sizeof(info);
	XT_ASSERT_EQ(xaio_runtime_info(&info), 0);
	XT_ASSERT_EQ(info.size, sizeof(info));
	XT_ASSERT(info.backend == XAIO_BACKEND_URING ||
		  info.backend == XAIO_BACKEND_THREADS);
	XT_ASSERT_LE(info.reason, XAIO_REASON_URING_FAILED);
	for (size_t i = 0; i < sizeof(info.reserved) / sizeof(info.reserved[0]);
	     i++)
		XT_ASSERT_EQ(info.reserved[i], 0);
	return XT_PASS;
}

/*
 * XAIO_SQPOLL: reported as granted, with its kernel thread, exactly when it
 * is set (abi.layout.sqpoll sets it; abi.layout does not).
 */
static int info_sqpoll(void)
{
	const char *env = getenv("XAIO_SQPOLL");
	struct xaio_runtime_info info = {.size = sizeof(info)};

	XT_ASSERT_EQ(xaio_runtime_info(&info), 0);
	if (!env) {
		XT_ASSERT_EQ(info.sqpoll_idle_ms, 0);
		XT_ASSERT_EQ(info.sqpoll_errno, 0);
		XT_ASSERT_EQ(xt_count_threads_named("iou-sqp"), 0);
		return XT_PASS;
	}
	XT_SKIP_IF(info.backend != XAIO_BACKEND_URING, "no io_uring here (%s)",
		   strerror(info.uring_errno));
	XT_ASSERT_EQ(info.sqpoll_errno, 0);
	XT_ASSERT_EQ(info.sqpoll_idle_ms, strtoul(env, NULL, 10));
	/* The thread names itself when it first runs, not at set-up. */
	for (int i = 0; i < 200 && xt_count_threads_named("iou-sqp") == 0; i++)
		xt_sleep_ms(10);
	XT_ASSERT_EQ(xt_count_threads_named("iou-sqp"), 1);
	return XT_PASS;
}

/* A caller compiled against an older, smaller struct. */
static int info_older_caller(void)
{
	unsigned char buf[sizeof(struct xaio_runtime_info)];
	struct xaio_runtime_info *info = (struct xaio_runtime_info *)buf;

	memset(buf, 0xa5, sizeof(buf));
	info->size = MIN_SIZE;
	XT_ASSERT_EQ(xaio_runtime_info(info), 0);
	XT_ASSERT_EQ(info->size, MIN_SIZE);
	for (size_t i = MIN_SIZE; i < sizeof(buf); i++)
		XT_ASSERT_EQ(buf[i], 0xa5); /* nothing past .size written */
	return XT_PASS;
}

/* A caller compiled against a newer, larger struct. */
static int info_newer_caller(void)
{
	union {
		struct xaio_runtime_info info;
		unsigned char bytes[256];
	} u;

	memset(&u, 0xa5, sizeof(u));
	u.info.size = sizeof(u);
	XT_ASSERT_EQ(xaio_runtime_info(&u.info), 0);
	XT_ASSERT_EQ(u.info.size, sizeof(struct xaio_runtime_info));
	for (size_t i = sizeof(u.info); i < sizeof(u); i++)
		XT_ASSERT_EQ(u.bytes[i], 0xa5);
	return XT_PASS;
}

static int info_refuses(void)
{
	struct xaio_runtime_info info = {.size = MIN_SIZE - 1};

	XT_ASSERT_EQ(xaio_runtime_info(NULL), -EINVAL);
	XT_ASSERT_EQ(xaio_runtime_info(&info), -EINVAL);
	info.size = 0;
	XT_ASSERT_EQ(xaio_runtime_info(&info), -EINVAL);
	return XT_PASS;
}

static int backend_names(void)
{
	XT_ASSERT(!strcmp(xaio_backend_name(XAIO_BACKEND_NONE), "none"));
	XT_ASSERT(!strcmp(xaio_backend_name(XAIO_BACKEND_URING), "io_uring"));
	XT_ASSERT(!strcmp(xaio_backend_name(XAIO_BACKEND_THREADS), "threads"));
	XT_ASSERT(!strcmp(xaio_backend_name(12345), "none"));
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"version-matches-header", version_matches_header},
	{"info-full-size", info_full_size},
	{"info-older-caller", info_older_caller},
	{"info-newer-caller", info_newer_caller},
	{"info-refuses", info_refuses},
	{"info-sqpoll", info_sqpoll},
	{"backend-names", backend_names},
};

XT_MAIN(cases)
