// SPDX-License-Identifier: MIT
/*
 * aio-poll: POSIX AIO with polling.  Writes a file with one aio_write,
 * then reads it back with 16 aio_reads in flight, and waits by calling
 * aio_error() until none says EINPROGRESS (on xaio a polling thread reaps
 * completions itself, so this costs no thread hand-off).  Checks the data.
 */
#include <aio.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 16
#define BLK 4096

int main(void)
{
	static char data[N * BLK], back[N][BLK];
	char path[] = "/tmp/xaio-poll.XXXXXX";
	struct aiocb w, r[N];
	int fd = mkstemp(path), pending;

	if (fd < 0)
		return 1;
	unlink(path);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);

	memset(&w, 0, sizeof(w));
	w.aio_fildes = fd;
	w.aio_buf = data;
	w.aio_nbytes = sizeof(data);
	if (aio_write(&w) < 0)
		return perror("aio_write"), 1;
	while (aio_error(&w) == EINPROGRESS)
		; /* a real program would compute here */
	if (aio_return(&w) != (ssize_t)sizeof(data))
		return fprintf(stderr, "short write\n"), 1;

	for (int i = 0; i < N; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].aio_fildes = fd;
		r[i].aio_buf = back[i];
		r[i].aio_nbytes = BLK;
		r[i].aio_offset = (off_t)i * BLK;
		if (aio_read(&r[i]) < 0)
			return perror("aio_read"), 1;
	}
	do {
		pending = 0;
		for (int i = 0; i < N; i++)
			pending += aio_error(&r[i]) == EINPROGRESS;
	} while (pending);
	for (int i = 0; i < N; i++)
		if (aio_return(&r[i]) != BLK ||
		    memcmp(back[i], data + i * BLK, BLK))
			return fprintf(stderr, "block %d wrong\n", i), 1;
	printf("polled %d reads of %d bytes: data verified\n", N, BLK);
	close(fd);
	return 0;
}
