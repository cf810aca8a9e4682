// SPDX-License-Identifier: MIT
/*
 * Signals at every waiting call.  A thread sends SIGUSR1 (a handler
 * installed without SA_RESTART) to the main thread every millisecond and
 * feeds a pipe one record per tick, while the main thread runs 2000
 * iterations, each a pipe read (which waits for the next tick) and a file
 * read, waited for in turn by aio_suspend() with no timeout,
 * aio_suspend() with a timeout, lio_listio(LIO_WAIT) and
 * aio_waitcomplete().  EINTR is allowed and the caller retries (after an
 * interrupted lio_listio it waits for the members with aio_suspend).
 * Every request must complete exactly once (one SIGEV_SIGNAL notification
 * each) with its data; a timeout of the timed wait (2 s for one tick) or
 * a hang (alarm) is a lost wake-up.
 */
#include <aio.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"
#include "xaio/posix.h"

#define ITER 2000
#define BLK 4096
#define FILE_BLKS 64
#define REC 16
#define ALARM_S 12

static pthread_t main_thread;
static unsigned char pbuf[REC], fbuf[BLK];
static atomic_int stop, feed_want, nsig;
static int feed_fd;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&nsig, 1);
}

static void on_alarm(int sig)
{
	static const char msg[] = "signals: the case did not finish in "
				  "time: a lost wake-up or a hang\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(1);
}

static void record(unsigned char *rec, int k)
{
	memset(rec, 0, REC);
	memcpy(rec, &k, sizeof(k));
	xt_fill_pattern(rec + sizeof(k), REC - sizeof(k), (uint64_t)k * REC);
}

/* Every millisecond: a signal, and the next record if one is wanted. */
static void *ticker(void *arg)
{
	struct timespec ts = {0, 1000000L};
	int written = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		unsigned char rec[REC];

		pthread_kill(main_thread, SIGUSR1);
		if (written < atomic_load(&feed_want)) {
			record(rec, written);
			if (write(feed_fd, rec, REC) == REC)
				written++;
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

enum { M_SUSPEND, M_TIMED, M_LIO, M_WAITCOMPLETE, M_COUNT };
static const char *const mode_name[M_COUNT] = {
	"aio_suspend", "aio_suspend(timeout)", "lio_listio(LIO_WAIT)",
	"aio_waitcomplete"};

/* Waits for both with aio_suspend; counts EINTR; -1 on timeout. */
static int suspend_both(struct aiocb *a, struct aiocb *b, int timed, int *eintr)
{
	struct timespec ts = {2, 0};

	while (aio_error(a) == EINPROGRESS || aio_error(b) == EINPROGRESS) {
		/* Only what is still in progress, so the call really waits. */
		const struct aiocb *list[2] = {
			aio_error(a) == EINPROGRESS ? a : NULL,
			aio_error(b) == EINPROGRESS ? b : NULL};

		if (aio_suspend(list, 2, timed ? &ts : NULL) == 0)
			continue;
		if (errno == EINTR) {
			(*eintr)++;
			continue;
		}
		fprintf(stderr, "aio_suspend: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Iteration i's results: a whole record and a whole block, with data. */
static int check_iter(int i, ssize_t pret, ssize_t fret, off_t off)
{
	unsigned char want[BLK];

	if (pret != REC || fret != BLK)
		fprintf(stderr, "iteration %d: pipe read %zd, file read %zd\n",
			i, pret, fret);
	XT_ASSERT_EQ(pret, REC);
	XT_ASSERT_EQ(fret, BLK);
	record(want, i);
	XT_ASSERT_MEM_EQ(pbuf, want, REC);
	xt_fill_pattern(want, BLK, (uint64_t)off);
	XT_ASSERT_MEM_EQ(fbuf, want, BLK);
	return XT_PASS;
}

static int signals_every_wait(void)
{
	static struct aiocb pr, fr;
	struct aiocb *list[2] = {&pr, &fr};
	struct sigaction sa, old_usr1, old_alrm;
	int eintr[M_COUNT] = {0}, fd, p[2], base, ids = 0, res = XT_FAIL;
	pthread_t t;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(fx_warm());
	base = xt_count_fds();
	fx_notes_reset();
	fd = xt_make_file("signals", FILE_BLKS * BLK, O_CLOEXEC);
	XT_ASSERT(fd >= 0);
	XT_ASSERT_OK(pipe2(p, O_CLOEXEC));
	feed_fd = p[1];
	atomic_store(&stop, 0);
	atomic_store(&feed_want, 0);
	atomic_store(&nsig, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = 0; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(SIGUSR1, &sa, &old_usr1));
	sa.sa_handler = on_alarm;
	XT_ASSERT_OK(sigaction(SIGALRM, &sa, &old_alrm));
	alarm(ALARM_S);

	main_thread = pthread_self();
	XT_ASSERT_EQ(xt_start_thread(&t, ticker, NULL), 0);

	for (int i = 0; i < ITER; i++) {
		int mode = i % M_COUNT, r;
		int pid_ = ids++, fid = ids++;
		off_t off = (off_t)(i % FILE_BLKS) * BLK;
		ssize_t pret = -2, fret = -2;

		memset(pbuf, 0, REC);
		memset(fbuf, 0, BLK);
		xt_cb_set_op(&pr, LIO_READ, p[0], pbuf, REC, 0);
		fx_sev_signal(&pr.aio_sigevent, pid_);
		xt_cb_set_op(&fr, LIO_READ, fd, fbuf, BLK, off);
		fx_sev_signal(&fr.aio_sigevent, fid);
		atomic_fetch_add(&feed_want, 1);

		if (mode == M_LIO) {
			r = lio_listio(LIO_WAIT, list, 2, NULL);
			if (r < 0) {
				if (errno != EINTR) {
					fprintf(stderr, "lio_listio: %s\n",
						strerror(errno));
					goto out;
				}
				eintr[mode]++;
				if (suspend_both(&pr, &fr, 0, &eintr[mode]))
					goto out;
			}
		} else {
			if (aio_read(&pr) || aio_read(&fr)) {
				fprintf(stderr, "aio_read: %s\n",
					strerror(errno));
				goto out;
			}
		}
		if (mode == M_SUSPEND || mode == M_TIMED) {
			if (suspend_both(&pr, &fr, mode == M_TIMED,
					 &eintr[mode])) {
				fprintf(stderr,
					"iteration %d: %s timed out: "
					"a lost wake-up\n",
					i, mode_name[mode]);
				goto out;
			}
		}
		if (mode == M_WAITCOMPLETE) {
			int got = 0;

			while (got < 2) {
				struct aiocb *cb = NULL;
				ssize_t ret = aio_waitcomplete(&cb, NULL);

				if (ret < 0 && errno == EINTR && !cb) {
					eintr[mode]++;
					continue;
				}
				if (cb != &pr && cb != &fr) {
					fprintf(stderr,
						"aio_waitcomplete: "
						"%zd, errno %d, cb "
						"%p: not ours\n",
						ret, errno, (void *)cb);
					goto out;
				}
				if ((cb == &pr ? pret : fret) != -2) {
					fprintf(stderr, "aio_waitcomplete "
							"returned a request "
							"twice\n");
					goto out;
				}
				*(cb == &pr ? &pret : &fret) = ret;
				got++;
			}
		} else {
			pret = aio_error(&pr) ? -1 : aio_return(&pr);
			fret = aio_error(&fr) ? -1 : aio_return(&fr);
		}
		if (check_iter(i, pret, fret, off) != XT_PASS)
			goto out;
	}
	res = XT_PASS;
out:
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	if (res == XT_PASS)
		res = fx_notes_expect(ids, 5000) ? XT_FAIL : XT_PASS;
	alarm(0);
	sigaction(SIGALRM, &old_alrm, NULL);
	sigaction(SIGUSR1, &old_usr1, NULL);
	printf("info: %d SIGUSR1 delivered; EINTR returns:",
	       atomic_load(&nsig));
	for (int m = 0; m < M_COUNT; m++)
		printf(" %s %d%s", mode_name[m], eintr[m],
		       m + 1 < M_COUNT ? "," : "\n");
	XT_ASSERT_GT(atomic_load(&nsig), ITER / 4); /* signals did arrive */
	close(p[0]);
	close(p[1]);
	close(fd);
	XT_ASSERT_EQ(xt_count_fds(), base);
	return res;
}

static const struct xt_case cases[] = {
	{"signals_every_wait", signals_every_wait},
};

XT_MAIN(cases)
