// SPDX-License-Identifier: MIT
/*
 * aio-signal: completion notification by signal.  Each read carries
 * SIGEV_SIGNAL with a real-time signal and its index in si_value; the
 * program blocks the signal and collects one siginfo per request with
 * sigwaitinfo(), checking si_code == SI_ASYNCIO and that the status is
 * already final when the signal arrives.
 */
#include <aio.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 8

int main(void)
{
	static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	static char buf[N][64];
	char path[] = "/tmp/xaio-signal.XXXXXX";
	struct aiocb cb[N];
	int fd = mkstemp(path), seen = 0, sig = SIGRTMIN + 1;
	sigset_t set;

	if (fd < 0 || write(fd, text, sizeof(text) - 1) != sizeof(text) - 1)
		return 1;
	unlink(path);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);

	for (int i = 0; i < N; i++) {
		memset(&cb[i], 0, sizeof(cb[i]));
		cb[i].aio_fildes = fd;
		cb[i].aio_buf = buf[i];
		cb[i].aio_nbytes = 4;
		cb[i].aio_offset = i * 4;
		cb[i].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		cb[i].aio_sigevent.sigev_signo = sig;
		cb[i].aio_sigevent.sigev_value.sival_int = i;
		if (aio_read(&cb[i]) < 0)
			return perror("aio_read"), 1;
	}
	while (seen < N) {
		siginfo_t si;
		int i;

		if (sigwaitinfo(&set, &si) < 0)
			continue;
		i = si.si_value.sival_int;
		if (si.si_code != SI_ASYNCIO || i < 0 || i >= N ||
		    aio_error(&cb[i]) != 0 || aio_return(&cb[i]) != 4 ||
		    memcmp(buf[i], &text[i * 4], 4))
			return fprintf(stderr, "bad notification %d\n", i), 1;
		seen++;
	}
	printf("%d signals, one per read, each after its final status\n", seen);
	close(fd);
	return 0;
}
