// SPDX-License-Identifier: MIT
/*
 * XAIO_VERBOSE=1: at exit, libxaio-posix says on stderr which backend
 * served the process, why (and what became of XAIO_SQPOLL), and how many
 * requests went where.  Used by tools/xaio-run -v.  Ignored in
 * secure-execution mode.  The destructor that calls it lives in aio.c,
 * which every program using the layer links, so a static link pulls this
 * file in too.
 */
#include <stdio.h>
#include <string.h>

#include "posix/posix.h"

static const char *why(const struct xaio_runtime_info *info)
{
	static char buf[160];
	size_t room = sizeof(buf);
	int n;

	if (info->backend == XAIO_BACKEND_NONE)
		return "no request was made";
	if (info->reason == XAIO_REASON_URING_FAILED)
		n = snprintf(buf, room, "io_uring refused: %s",
			     strerror(info->uring_errno));
	else
		n = snprintf(buf, room, "%s",
			     info->reason == XAIO_REASON_ENV
				     ? "forced by XAIO_BACKEND"
				     : "default");
	if (n < 0 || (size_t)n >= room)
		return buf;
	if (info->sqpoll_idle_ms)
		snprintf(buf + n, room - (size_t)n, "; SQPOLL, %u ms idle",
			 info->sqpoll_idle_ms);
	else if (info->sqpoll_errno)
		snprintf(buf + n, room - (size_t)n, "; SQPOLL refused: %s",
			 strerror(info->sqpoll_errno));
	return buf;
}

void xaio__posix_report(void)
{
	struct xaio_runtime_info info = {.size = sizeof(info)};
	const char *v = xaio__getenv("XAIO_VERBOSE");

	if (!v || !*v || !strcmp(v, "0"))
		return;
	xaio__engine_info(&info);
	fprintf(stderr,
		"xaio: backend %s (%s), %llu requests: %llu from the page "
		"cache, %llu on io_uring (%llu batched), %llu on threads "
		"(%llu re-issued), %llu completed\n",
		xaio_backend_name(info.backend), why(&info),
		(unsigned long long)info.submitted,
		(unsigned long long)info.inline_reads,
		(unsigned long long)info.on_ring,
		(unsigned long long)info.batched,
		(unsigned long long)info.on_threads,
		(unsigned long long)info.fallbacks,
		(unsigned long long)info.completed);
}
