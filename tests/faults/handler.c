// SPDX-License-Identifier: MIT
/*
 * POSIX AIO from signal handlers, under load, in many processes at once.
 *
 * handler_polls: a 10 kHz timer's handler calls aio_error, aio_return and
 * aio_suspend (all async-signal-safe in POSIX) on every request in flight
 * while the main thread submits bursts of reads and of fsyncs on a pipe
 * (io_uring refuses those with EINVAL, so reaping them re-issues them on
 * the thread pool, which needs workers) and churns malloc.  On 58309d6 the
 * handler's reaping started workers (pthread_create, calloc) inside the
 * handler and deadlocked against the malloc it interrupted.
 *
 * handler_reenters: SIGEV_SIGNAL notifications whose handler calls
 * aio_error, aio_return, aio_cancel, aio_suspend, aio_read and lio_listio
 * on its own and other requests while the main thread submits and waits.
 *
 * Each case runs NCHILD children at once; any that does not finish in
 * time is a hang, and every request must end with a final status.
 */
#include <aio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"

#define NCHILD 16
#define RUN_MS 700
#define BLK 4096
#define NREAD 16
#define NSYNC 16
#define N (NREAD + NSYNC)

static struct aiocb cbs[N];
static const struct aiocb *list[N];
static unsigned char bufs[NREAD][BLK];
static int fd, pipe_w;

static void poll_all(int sig)
{
	const struct timespec zero = {0, 0};

	(void)sig;
	for (int i = 0; i < N; i++)
		if (aio_error(&cbs[i]) != EINPROGRESS)
			aio_return(&cbs[i]);
	aio_suspend(list, N, &zero);
}

/* Waits for every request of the burst (EINTR: again). */
static int wait_burst(void)
{
	for (int i = 0; i < N; i++) {
		int64_t end = xt_now_ms() + 10000;

		while (aio_error(&cbs[i]) == EINPROGRESS) {
			const struct aiocb *one[1] = {&cbs[i]};
			struct timespec ts = {0, 50 * 1000000};

			aio_suspend(one, 1, &ts);
			XT_ASSERT_LT(xt_now_ms(), end);
		}
	}
	return XT_PASS;
}

static void churn(void)
{
	static void *keep[64];

	for (int i = 0; i < 256; i++) {
		int k = rand() % 64;

		free(keep[k]);
		keep[k] = malloc((size_t)(rand() % 65536) + 1);
	}
}

static int polls_child(void)
{
	struct sigaction sa = {.sa_handler = poll_all};
	struct itimerval it = {{0, 100}, {0, 100}};
	int p[2];
	int64_t end;

	char name[32];

	snprintf(name, sizeof(name), "data.%d", (int)getpid());
	fd = xt_make_file(name, NREAD * BLK, 0);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_OK(pipe(p));
	pipe_w = p[1];
	for (int i = 0; i < N; i++)
		list[i] = &cbs[i];
	sa.sa_flags = SA_RESTART;
	XT_ASSERT_OK(sigaction(SIGALRM, &sa, NULL));
	XT_ASSERT_OK(setitimer(ITIMER_REAL, &it, NULL));
	end = xt_now_ms() + RUN_MS;
	while (xt_now_ms() < end) {
		for (int i = 0; i < NREAD; i++) {
			xt_cb_set(&cbs[i], fd, bufs[i], BLK, (off_t)i * BLK);
			XT_ASSERT_OK(aio_read(&cbs[i]));
		}
		for (int i = NREAD; i < N; i++) {
			xt_cb_set(&cbs[i], pipe_w, NULL, 0, 0);
			XT_ASSERT_OK(aio_fsync(O_SYNC, &cbs[i]));
		}
		churn();
		XT_ASSERT_EQ(wait_burst(), XT_PASS);
		for (int i = 0; i < NREAD; i++) {
			XT_ASSERT_EQ(aio_error(&cbs[i]), 0);
			XT_ASSERT_EQ(bufs[i][7],
				     xt_pattern((uint64_t)i * BLK + 7));
		}
		for (int i = NREAD; i < N; i++)
			XT_ASSERT_EQ(aio_error(&cbs[i]), EINVAL);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	return XT_PASS;
}

/* Runs fn in NCHILD children at once: all must pass within ms. */
static int in_children(int (*fn)(void), int ms)
{
	pid_t pids[NCHILD];
	int bad = 0;
	int64_t end;

	if (xt_sanitized())
		ms *= 4;
	(void)xt_tmpdir();
	fflush(NULL);
	for (int c = 0; c < NCHILD; c++) {
		pids[c] = fork();
		XT_ASSERT_GE(pids[c], 0);
		if (pids[c] == 0) {
			srand((unsigned)getpid());
			_exit(fn());
		}
	}
	end = xt_now_ms() + ms;
	for (int c = 0; c < NCHILD; c++) {
		int status = 0;
		pid_t r;

		while ((r = waitpid(pids[c], &status, WNOHANG)) == 0 &&
		       xt_now_ms() < end)
			xt_sleep_ms(5);
		if (r == 0) {
			kill(pids[c], SIGKILL);
			waitpid(pids[c], &status, 0);
			fprintf(stderr, "child %d hung\n", c);
			bad++;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "child %d failed (status %#x)\n", c,
				status);
			bad++;
		}
	}
	XT_ASSERT_EQ(bad, 0);
	return XT_PASS;
}

static int handler_polls(void)
{
	XT_REQUIRE_BACKEND();
	return in_children(polls_child, 20000);
}

/* --- re-entrant calls from a notification handler --- */

#define NRE 8
static struct aiocb mine[NRE], extra[NRE];
static unsigned char mbuf[NRE][BLK], ebuf[NRE][BLK];
static atomic_int extra_used, handled;

static void reenter(int sig, siginfo_t *si, void *uc)
{
	struct aiocb *cb = si->si_value.sival_ptr;
	const struct timespec zero = {0, 0};
	const struct aiocb *one[1] = {cb};
	int k;

	(void)sig;
	(void)uc;
	if (si->si_code != SI_ASYNCIO || !cb)
		return;
	atomic_fetch_add(&handled, 1);
	aio_error(cb);
	aio_return(cb);
	aio_suspend(one, 1, &zero);
	/* Someone else's, perhaps in flight: any answer, no hang. */
	aio_cancel(fd, &mine[(cb - mine + 1) % NRE]);
	k = atomic_fetch_add(&extra_used, 1);
	if (cb >= mine && cb < mine + NRE && k < NRE) {
		struct aiocb *l[1] = {&extra[k]};

		xt_cb_set_op(&extra[k], LIO_READ, fd, ebuf[k], BLK, 0);
		if (k % 2)
			aio_read(&extra[k]);
		else
			lio_listio(LIO_NOWAIT, l, 1, NULL);
	}
}

static int reenters_child(void)
{
	struct sigaction sa = {.sa_sigaction = reenter,
			       .sa_flags = SA_SIGINFO | SA_RESTART};
	int64_t end;

	char name[32];

	snprintf(name, sizeof(name), "re.%d", (int)getpid());
	fd = xt_make_file(name, NRE * BLK, 0);
	XT_ASSERT_GE(fd, 0);
	XT_ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	end = xt_now_ms() + RUN_MS;
	while (xt_now_ms() < end) {
		atomic_store(&extra_used, NRE); /* none while we set up */
		for (int i = 0; i < NRE; i++) {
			xt_cb_set(&mine[i], fd, mbuf[i], BLK, (off_t)i * BLK);
			mine[i].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
			mine[i].aio_sigevent.sigev_signo = SIGUSR1;
			mine[i].aio_sigevent.sigev_value.sival_ptr = &mine[i];
		}
		for (int i = 0; i < NRE; i++)
			memset(&extra[i], 0, sizeof(extra[i]));
		atomic_store(&extra_used, 0);
		for (int i = 0; i < NRE; i++)
			XT_ASSERT_OK(aio_read(&mine[i]));
		churn();
		for (int i = 0; i < NRE; i++) {
			int e = xt_cb_wait(&mine[i], 10000);

			XT_ASSERT(e == 0 || e == ECANCELED);
		}
		/* The handler's own submissions end too (or were refused). */
		for (int i = 0; i < NRE; i++)
			XT_ASSERT_NE(xt_cb_wait(&extra[i], 10000), EINPROGRESS);
	}
	XT_ASSERT_GT(atomic_load(&handled), 0);
	return XT_PASS;
}

static int handler_reenters(void)
{
	XT_REQUIRE_BACKEND();
	return in_children(reenters_child, 20000);
}

static const struct xt_case cases[] = {
	{"handler_polls", handler_polls},
	{"handler_reenters", handler_reenters},
};

XT_MAIN(cases)
