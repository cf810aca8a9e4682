// SPDX-License-Identifier: MIT
/*
 * A program that uses an installed xaio the way a user's would: built
 * against the staged install through pkg-config or find_package(xaio) by
 * tests/install/install-test.sh, never against the build tree.
 *
 * It calls the native API (xaio_version, xaio_runtime_info) and reads a
 * small file with POSIX aio_read + aio_suspend, which must be served by
 * libxaio-posix (checked with dladdr; with the argument "static", by the
 * program itself, which has the archive linked in).  Prints
 *	xaio-consumer: xaio <version>, aio_read ok
 * and exits 0 when everything checks out, 1 otherwise.
 */
#define _GNU_SOURCE
#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xaio.h>
#include <xaio/posix.h>

static const char text[] = "read through an installed libxaio-posix\n";

static int fail(const char *what, int err)
{
	fprintf(stderr, "xaio-consumer: %s: %s\n", what, strerror(err));
	return 1;
}

/* The shared object a function comes from, or "?". */
static const char *origin(void *fn)
{
	Dl_info info;

	return dladdr(fn, &info) && info.dli_fname ? info.dli_fname : "?";
}

int main(int argc, char **argv)
{
	const char *want = argc > 1 && !strcmp(argv[1], "static")
				   ? argv[0]
				   : "libxaio-posix.so";
	struct xaio_runtime_info info = {.size = sizeof(info)};
	const char *tmp = getenv("TMPDIR");
	char path[4096], buf[sizeof(text)] = {0};
	struct aiocb cb;
	const struct aiocb *list[1] = {&cb};
	ssize_t n;
	int fd, r;

	if (xaio_version() != XAIO_VERSION_HEX) {
		fprintf(stderr, "xaio-consumer: library %s, headers %s\n",
			xaio_version_string(), XAIO_VERSION_STRING);
		return 1;
	}
	r = xaio_runtime_info(&info);
	if (r < 0)
		return fail("xaio_runtime_info", -r);
	if (info.backend != XAIO_BACKEND_URING &&
	    info.backend != XAIO_BACKEND_THREADS) {
		fprintf(stderr, "xaio-consumer: backend %u\n", info.backend);
		return 1;
	}
	if (!strstr(origin((void *)aio_read), want) ||
	    strstr(origin((void *)aio_read), "libc.so")) {
		fprintf(stderr, "xaio-consumer: aio_read comes from %s\n",
			origin((void *)aio_read));
		return 1;
	}

	snprintf(path, sizeof(path), "%s/xaio-consumer-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return fail("mkstemp", errno);
	unlink(path);
	if (write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1)
		return fail("write", errno);
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = fd;
	cb.aio_buf = buf;
	cb.aio_nbytes = sizeof(text) - 1;
	if (aio_read(&cb))
		return fail("aio_read", errno);
	while ((r = aio_error(&cb)) == EINPROGRESS)
		if (aio_suspend(list, 1, NULL) && errno != EINTR)
			return fail("aio_suspend", errno);
	if (r)
		return fail("aio_read (completion)", r);
	n = aio_return(&cb);
	if (n != (ssize_t)sizeof(text) - 1 || memcmp(buf, text, sizeof(text)))
		return fail("aio_read returned wrong data", EIO);
	close(fd);
	printf("xaio-consumer: backend %s, aio_read from %s\n",
	       xaio_backend_name(info.backend), origin((void *)aio_read));
	printf("xaio-consumer: xaio %s, aio_read ok\n", xaio_version_string());
	return 0;
}
