// SPDX-License-Identifier: MIT
/*
 * A plain glibc POSIX AIO program: aio_read, aio_suspend, aio_error and
 * aio_return on a small temporary file, nothing else.  Built without
 * libxaio-posix (it calls glibc's aio_read@GLIBC_2.34, or aio_read64 with
 * -D_FILE_OFFSET_BITS=64) and also linked against it; check-interpose.sh
 * and check-xaio-run.sh run it with LD_PRELOAD, LD_DEBUG=bindings and
 * XAIO_VERBOSE=1 to see whose aio_read it got.
 *
 * Prints "interpose: read N bytes ok" and exits 0 when the data is right.
 */
#include <aio.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char text[] = "xaio interposition test: 0123456789abcdef\n";

static int fail(const char *what)
{
	fprintf(stderr, "interpose: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096], buf[sizeof(text)];
	struct aiocb cb;
	const struct aiocb *list[1] = {&cb};
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "%s/xaio-interpose-XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return fail("mkstemp");
	unlink(path);
	if (write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1)
		return fail("write");

	memset(&cb, 0, sizeof(cb));
	memset(buf, 0, sizeof(buf));
	cb.aio_fildes = fd;
	cb.aio_buf = buf;
	cb.aio_nbytes = sizeof(text) - 1;
	cb.aio_offset = 0;
	if (aio_read(&cb))
		return fail("aio_read");
	while ((err = aio_error(&cb)) == EINPROGRESS)
		if (aio_suspend(list, 1, NULL) && errno != EINTR)
			return fail("aio_suspend");
	if (err) {
		errno = err;
		return fail("aio_error");
	}
	n = aio_return(&cb);
	if (n != (ssize_t)sizeof(text) - 1 || memcmp(buf, text, (size_t)n)) {
		fprintf(stderr, "interpose: read %zd bytes, wrong data\n", n);
		return 1;
	}
	close(fd);
	printf("interpose: read %zd bytes ok\n", n);
	return 0;
}
