// SPDX-License-Identifier: MIT
/*
 * posix-mt: requests per second when several threads each keep one
 * POSIX request in flight at once, the shape where every completion runs
 * the POSIX layer's done() on a different thread at the same time, so a
 * lock taken there is contended.  Each thread reads 4 KiB at random
 * offsets of a cached 1 MiB file: aio_read, aio_suspend until it is done,
 * aio_return, again.  Prints one line per run:
 *
 *   posix-mt: T threads, S s: N requests, R requests/s
 *
 * Usage: posix-mt FILE [THREADS [SECONDS]]   (defaults 2 and 1)
 * FILE is read first (to make it hot) and must hold at least 1 MiB.  Link
 * it against libxaio-posix, or run it under xaio-run; against glibc it
 * measures glibc.  Threads share nothing but the descriptor and the stop
 * flag; each adds its count at the end.
 */
#define _GNU_SOURCE
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLK 4096
#define NBLK 256
#define MAX_THREADS 64

static int fd;
static atomic_int stop, failed;
static atomic_long total;

static void *reader(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 2654435761u + 1;
	static __thread char buf[BLK];
	long n = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct aiocb cb;
		const struct aiocb *list[1] = {&cb};

		memset(&cb, 0, sizeof(cb));
		cb.aio_fildes = fd;
		cb.aio_buf = buf;
		cb.aio_nbytes = BLK;
		cb.aio_offset = (off_t)(rand_r(&seed) % NBLK) * BLK;
		if (aio_read(&cb))
			break;
		while (aio_error(&cb) == EINPROGRESS)
			aio_suspend(list, 1, NULL);
		if (aio_return(&cb) != BLK)
			break;
		n++;
	}
	if (!atomic_load(&stop))
		atomic_store(&failed, 1);
	atomic_fetch_add(&total, n);
	return NULL;
}

int main(int argc, char **argv)
{
	int nt = argc > 2 ? atoi(argv[2]) : 2;
	double secs = argc > 3 ? atof(argv[3]) : 1.0;
	pthread_t t[MAX_THREADS];
	char warm[BLK];
	struct timespec a, b;
	double el;

	if (argc < 2 || nt < 1 || nt > MAX_THREADS || secs <= 0) {
		fprintf(stderr, "usage: %s FILE [THREADS [SECONDS]]\n",
			argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	for (int i = 0; i < NBLK; i++) {
		if (pread(fd, warm, BLK, (off_t)i * BLK) != BLK) {
			fprintf(stderr, "%s: shorter than 1 MiB\n", argv[1]);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < nt; i++) {
		if (pthread_create(&t[i], NULL, reader,
				   (void *)(uintptr_t)(i + 1))) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	}
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&stop, 1);
	for (int i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (atomic_load(&failed)) {
		fprintf(stderr, "posix-mt: a request failed\n");
		return 1;
	}
	el = (double)(b.tv_sec - a.tv_sec) +
	     (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("posix-mt: %d threads, %.2f s: %ld requests, %.0f "
	       "requests/s\n",
	       nt, el, atomic_load(&total), (double)atomic_load(&total) / el);
	return 0;
}
