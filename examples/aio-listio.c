// SPDX-License-Identifier: MIT
/*
 * aio-listio: lio_listio batches.  Writes 64 blocks with one
 * lio_listio(LIO_WAIT) call, then reads them back with one
 * lio_listio(LIO_NOWAIT) whose list notification (SIGEV_THREAD) fires
 * once, after every member has completed; checks everything.
 */
#include <aio.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 64
#define BLK 512

static sem_t all_done;

static void on_list(union sigval v)
{
	(void)v;
	sem_post(&all_done);
}

int main(void)
{
	static char out[N][BLK], in[N][BLK];
	static struct aiocb w[N], r[N];
	struct aiocb *wl[N], *rl[N];
	struct sigevent sev;
	char path[] = "/tmp/xaio-listio.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	unlink(path);
	sem_init(&all_done, 0, 0);
	for (int i = 0; i < N; i++) {
		memset(out[i], 'a' + i % 26, BLK);
		w[i].aio_fildes = r[i].aio_fildes = fd;
		w[i].aio_offset = r[i].aio_offset = (off_t)i * BLK;
		w[i].aio_nbytes = r[i].aio_nbytes = BLK;
		w[i].aio_buf = out[i];
		r[i].aio_buf = in[i];
		w[i].aio_lio_opcode = LIO_WRITE;
		r[i].aio_lio_opcode = LIO_READ;
		wl[i] = &w[i];
		rl[i] = &r[i];
	}
	if (lio_listio(LIO_WAIT, wl, N, NULL) < 0)
		return perror("lio_listio(LIO_WAIT)"), 1;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = on_list;
	if (lio_listio(LIO_NOWAIT, rl, N, &sev) < 0)
		return perror("lio_listio(LIO_NOWAIT)"), 1;
	sem_wait(&all_done); /* the list notification: every member is done */
	for (int i = 0; i < N; i++)
		if (aio_error(&r[i]) != 0 || aio_return(&r[i]) != BLK ||
		    memcmp(in[i], out[i], BLK))
			return fprintf(stderr, "block %d wrong\n", i), 1;
	printf("wrote %d blocks in one LIO_WAIT list, read them back in one "
	       "LIO_NOWAIT list: verified\n",
	       N);
	close(fd);
	return 0;
}
