// SPDX-License-Identifier: MIT
/*
 * aio-thread: completion notification by thread.  Each write carries
 * SIGEV_THREAD; the callback (on a new thread per completion) checks the
 * request's final status and counts it; the main thread waits on a
 * condition variable until every callback has run once.
 */
#include <aio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 32

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int done, bad;
static struct aiocb cb[N];

static void on_done(union sigval v)
{
	struct aiocb *c = v.sival_ptr;

	pthread_mutex_lock(&lock);
	if (aio_error(c) != 0 || aio_return(c) != 1)
		bad++;
	done++;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

int main(void)
{
	char path[] = "/tmp/xaio-thread.XXXXXX", got[N];
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	unlink(path);
	for (int i = 0; i < N; i++) {
		static char bytes[N];

		bytes[i] = (char)('A' + i % 26);
		cb[i].aio_fildes = fd;
		cb[i].aio_buf = &bytes[i];
		cb[i].aio_nbytes = 1;
		cb[i].aio_offset = i;
		cb[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
		cb[i].aio_sigevent.sigev_notify_function = on_done;
		cb[i].aio_sigevent.sigev_value.sival_ptr = &cb[i];
		if (aio_write(&cb[i]) < 0)
			return perror("aio_write"), 1;
	}
	pthread_mutex_lock(&lock);
	while (done < N)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	if (bad || pread(fd, got, N, 0) != N)
		return fprintf(stderr, "%d bad completions\n", bad), 1;
	for (int i = 0; i < N; i++)
		if (got[i] != (char)('A' + i % 26))
			return fprintf(stderr, "byte %d wrong\n", i), 1;
	printf("%d thread callbacks, one per write: file verified\n", done);
	close(fd);
	return 0;
}
