// SPDX-License-Identifier: MIT
/*
 * notify-rate: how many SIGEV_THREAD callbacks per second the POSIX layer
 * delivers.  Small reads of a cached file, each with SIGEV_THREAD and a
 * callback that only counts; at most WINDOW in flight (a slot is reused
 * once its callback has run).  The clock runs from the first submission to
 * the last callback.  Prints one line:
 *
 *   notify-rate: N callbacks in S s: R callbacks/s (window W, EAGAIN E)
 *
 * Usage: notify-rate [N [WINDOW]]   (defaults 100000 and 1024)
 * Link it against libxaio-posix, or run it under xaio-run; against glibc
 * it measures glibc.  One thread submits; nothing here is shared with the
 * callbacks but the slot flags and the counter (atomics).
 */
#define _GNU_SOURCE
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE 512
#define FILE_SIZE (1 << 20)

struct slot {
	struct aiocb cb;
	atomic_int busy;
	char buf[READ_SIZE];
};

static atomic_long delivered;

static void counted(union sigval v)
{
	struct slot *s = v.sival_ptr;

	atomic_store(&s->busy, 0);
	atomic_fetch_add(&delivered, 1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_briefly(void)
{
	const struct timespec ts = {0, 20000};

	nanosleep(&ts, NULL);
}

static int make_file(void)
{
	char path[] = "/tmp/notify-rate.XXXXXX";
	static char block[FILE_SIZE];
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	memset(block, 'x', sizeof(block));
	if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	long window = argc > 2 ? atol(argv[2]) : 1024, eagain = 0;
	struct slot *slots;
	double t0, t;
	int fd;

	if (n <= 0 || window <= 0) {
		fprintf(stderr, "usage: notify-rate [N [WINDOW]]\n");
		return 2;
	}
	fd = make_file();
	slots = calloc((size_t)window, sizeof(*slots));
	if (fd < 0 || !slots) {
		perror("notify-rate");
		return 1;
	}
	t0 = now();
	for (long i = 0; i < n; i++) {
		struct slot *s = &slots[i % window];

		while (atomic_load(&s->busy))
			pause_briefly();
		memset(&s->cb, 0, sizeof(s->cb));
		s->cb.aio_fildes = fd;
		s->cb.aio_buf = s->buf;
		s->cb.aio_nbytes = READ_SIZE;
		s->cb.aio_offset = (i * READ_SIZE) % FILE_SIZE;
		s->cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
		s->cb.aio_sigevent.sigev_notify_function = counted;
		s->cb.aio_sigevent.sigev_value.sival_ptr = s;
		atomic_store(&s->busy, 1);
		while (aio_read(&s->cb) != 0) {
			if (errno != EAGAIN) {
				perror("aio_read");
				return 1;
			}
			eagain++;
			pause_briefly();
		}
	}
	while (atomic_load(&delivered) < n)
		pause_briefly();
	t = now() - t0;
	printf("notify-rate: %ld callbacks in %.3f s: %.0f callbacks/s "
	       "(window %ld, EAGAIN %ld)\n",
	       n, t, (double)n / t, window, eagain);
	free(slots);
	close(fd);
	return 0;
}
