// SPDX-License-Identifier: MIT
/*
 * posix-readfile: reads a file with many POSIX AIO requests in flight and
 * checks every byte against a second, plain read of the same file.
 *
 *	posix-readfile [FILE [DEPTH [BLOCK]]]
 *
 * Without FILE it writes a 64 MiB file of known content in $TMPDIR first,
 * then drops it from the page cache, so that the reads go to the device
 * (xaio completes page-cache hits at once, in aio_read itself).
 * Link with -lxaio-posix (or run a glibc build under LD_PRELOAD) and it runs
 * on xaio; the code is plain <aio.h>.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int make_file(char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	char buf[65536];
	int fd;

	snprintf(path, 4096, "%s/xaio-readfile.XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	for (size_t off = 0; off < size; off += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (char)((off + i) * 131 >> 7);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return -1;
	}
	if (fdatasync(fd) < 0)
		return -1;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); /* a hint: may fail */
	return fd;
}

int main(int argc, char **argv)
{
	char path[4096];
	int depth = argc > 2 ? atoi(argv[2]) : 32;
	size_t block = argc > 3 ? strtoul(argv[3], NULL, 0) : 65536;
	int fd = argc > 1 ? open(argv[1], O_RDONLY) : make_file(path, 64 << 20);
	struct aiocb *cbs;
	const struct aiocb **list;
	char *bufs, *check;
	off_t size, next = 0;
	size_t done = 0;
	int inflight = 0, requests = 0;
	struct timespec t0, t1;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || depth < 1 || !block) {
		perror("posix-readfile: open");
		return 1;
	}
	if (argc <= 1)
		unlink(path);
	size = st.st_size;
	cbs = calloc((size_t)depth, sizeof(*cbs));
	list = calloc((size_t)depth, sizeof(*list));
	bufs = malloc((size_t)depth * block);
	check = malloc(block);
	if (!cbs || !list || !bufs || !check)
		return 1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Keep `depth` reads in flight; refill each slot as it completes. */
	for (;;) {
		for (int i = 0; i < depth && next < size; i++) {
			if (list[i])
				continue;
			memset(&cbs[i], 0, sizeof(cbs[i]));
			cbs[i].aio_fildes = fd;
			cbs[i].aio_buf = bufs + (size_t)i * block;
			cbs[i].aio_nbytes = block;
			cbs[i].aio_offset = next;
			if (aio_read(&cbs[i]) < 0) {
				perror("posix-readfile: aio_read");
				return 1;
			}
			list[i] = &cbs[i];
			next += (off_t)block;
			inflight++;
			requests++;
		}
		if (!inflight)
			break;
		if (aio_suspend(list, depth, NULL) < 0 && errno != EINTR) {
			perror("posix-readfile: aio_suspend");
			return 1;
		}
		for (int i = 0; i < depth; i++) {
			ssize_t n;
			int err;

			if (!list[i] ||
			    (err = aio_error(list[i])) == EINPROGRESS)
				continue;
			n = aio_return(&cbs[i]);
			if (err || n < 0) {
				fprintf(stderr, "posix-readfile: read: %s\n",
					strerror(err));
				return 1;
			}
			/* Check the data against a plain synchronous read. */
			if (pread(fd, check, (size_t)n, cbs[i].aio_offset) !=
				    n ||
			    memcmp(check, (void *)cbs[i].aio_buf, (size_t)n)) {
				fprintf(stderr,
					"posix-readfile: data mismatch at "
					"%lld\n",
					(long long)cbs[i].aio_offset);
				return 1;
			}
			done += (size_t)n;
			list[i] = NULL;
			inflight--;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if ((off_t)done != size) {
		fprintf(stderr, "posix-readfile: read %zu of %lld bytes\n",
			done, (long long)size);
		return 1;
	}
	printf("read and verified %zu bytes with %d requests, %d in flight, "
	       "in %.3f s\n",
	       done, requests, depth,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(check);
	free(bufs);
	free(list);
	free(cbs);
	close(fd);
	return 0;
}
