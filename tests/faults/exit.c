// SPDX-License-Identifier: MIT
/*
 * Exits with requests in flight.
 *
 * A thread that exits leaves its requests behind: pipe and socket reads
 * with nothing to read yet, a write to a full pipe with a second one held
 * behind it, a regular-file write and read.  After the thread is joined
 * they are all still in progress (on io_uring the kernel cancels a dead
 * thread's pending requests: xaio must re-issue them, never report
 * ECANCELED), and once the data is there they complete with the right
 * results and data, in order, each notified once; no descriptor is left.
 *
 * A process that exits with requests in flight (100: blocked pipe reads,
 * socket reads, writes to a full pipe, file reads and writes) exits at
 * once with status 0, its XAIO_VERBOSE report counting the 100; so does a
 * process whose other thread calls exit() while the main thread sleeps in
 * aio_suspend().
 */
#include <aio.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faults.h"

#define BLK 4096
#define FBLK (16 * BLK)

struct left {
	int pa, sock, pb, fd, wfd;
	unsigned char abuf[BLK], sbuf[BLK], cbuf[BLK], dbuf[BLK];
	unsigned char ebuf[FBLK], fbuf[BLK];
	struct aiocb a, b, c, d, e, f;
};

/* The thread: submits everything and exits. */
static void *submitter(void *arg)
{
	struct left *L = arg;
	long bad = 0;

	xt_cb_set_op(&L->a, LIO_READ, L->pa, L->abuf, BLK, 0);
	fx_sev_thread(&L->a.aio_sigevent, 0);
	xt_cb_set_op(&L->b, LIO_READ, L->sock, L->sbuf, BLK, 0);
	fx_sev_signal(&L->b.aio_sigevent, 1);
	memset(L->cbuf, 'c', BLK);
	xt_cb_set_op(&L->c, LIO_WRITE, L->pb, L->cbuf, BLK, 0);
	fx_sev_thread(&L->c.aio_sigevent, 2);
	memset(L->dbuf, 'd', BLK);
	xt_cb_set_op(&L->d, LIO_WRITE, L->pb, L->dbuf, BLK, 0);
	fx_sev_signal(&L->d.aio_sigevent, 3);
	xt_fill_pattern(L->ebuf, FBLK, 1000);
	xt_cb_set_op(&L->e, LIO_WRITE, L->wfd, L->ebuf, FBLK, 0);
	fx_sev_thread(&L->e.aio_sigevent, 4);
	xt_cb_set_op(&L->f, LIO_READ, L->fd, L->fbuf, BLK, 3 * BLK);
	fx_sev_signal(&L->f.aio_sigevent, 5);
	bad |= aio_read(&L->a);
	bad |= aio_read(&L->b);
	bad |= aio_write(&L->c);
	bad |= aio_write(&L->d);
	bad |= aio_write(&L->e);
	bad |= aio_read(&L->f);
	return (void *)bad;
}

static int one_round(int round)
{
	static unsigned char got[1 << 20];
	static struct left L;
	unsigned char want[FBLK];
	struct aiocb *all[6] = {&L.a, &L.b, &L.c, &L.d, &L.e, &L.f};
	int pa[2], pb[2], sv[2], base;
	size_t filled, len = 0;
	ssize_t n;
	pthread_t t;
	void *ret;

	base = xt_count_fds();
	fx_notes_reset();
	XT_ASSERT_OK(pipe2(pa, O_CLOEXEC));
	XT_ASSERT_OK(pipe2(pb, O_CLOEXEC));
	XT_ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	if (fx_fill_pipe(pb[1], &filled))
		return XT_FAIL;
	L.pa = pa[0];
	L.sock = sv[0];
	L.pb = pb[1];
	L.fd = xt_make_file("exit-r", 8 * BLK, O_CLOEXEC);
	L.wfd = open(xt_path("exit-w"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		     0644);
	XT_ASSERT(L.fd >= 0 && L.wfd >= 0);

	XT_ASSERT_EQ(pthread_create(&t, NULL, submitter, &L), 0);
	XT_ASSERT_EQ(pthread_join(t, &ret), 0);
	XT_ASSERT(ret == NULL); /* every submission accepted */
	xt_sleep_ms(50); /* the kernel has cancelled what the ring had */

	/* Nothing to read or room to write yet: all four still wait. */
	for (int i = 0; i < 4; i++) {
		int err = aio_error(all[i]);

		if (err != EINPROGRESS)
			fprintf(stderr,
				"round %d: request %c finished early: "
				"%d (%s)\n",
				round, 'a' + i, err, strerror(err));
		XT_ASSERT_EQ(err, EINPROGRESS);
	}

	/* Give them what they wait for. */
	memset(want, 'A', BLK);
	XT_ASSERT_EQ(write(pa[1], want, BLK), BLK);
	memset(want, 'S', BLK);
	XT_ASSERT_EQ(send(sv[1], want, BLK, 0), BLK);
	while (len < filled + 2 * BLK &&
	       (n = read(pb[0], got + len, sizeof(got) - len)) > 0)
		len += (size_t)n;
	XT_ASSERT_EQ(len, filled + 2 * BLK);
	XT_ASSERT_MEM_EQ(got + filled, L.cbuf, BLK);
	XT_ASSERT_MEM_EQ(got + filled + BLK, L.dbuf, BLK);

	XT_ASSERT_EQ(fx_wait_all(all, 6, 5000), 0);
	for (int i = 0; i < 6; i++) {
		int err = aio_error(all[i]);

		if (err)
			fprintf(stderr, "round %d: request %c: %d (%s)\n",
				round, 'a' + i, err, strerror(err));
		XT_ASSERT_EQ(err, 0);
	}
	XT_ASSERT_EQ(aio_return(&L.a), BLK);
	memset(want, 'A', BLK);
	XT_ASSERT_MEM_EQ(L.abuf, want, BLK);
	XT_ASSERT_EQ(aio_return(&L.b), BLK);
	memset(want, 'S', BLK);
	XT_ASSERT_MEM_EQ(L.sbuf, want, BLK);
	XT_ASSERT_EQ(aio_return(&L.c), BLK);
	XT_ASSERT_EQ(aio_return(&L.d), BLK);
	XT_ASSERT_EQ(aio_return(&L.e), FBLK);
	XT_ASSERT_EQ(pread(L.wfd, want, FBLK, 0), FBLK);
	XT_ASSERT_MEM_EQ(want, L.ebuf, FBLK);
	XT_ASSERT_EQ(aio_return(&L.f), BLK);
	xt_fill_pattern(want, BLK, 3 * BLK);
	XT_ASSERT_MEM_EQ(L.fbuf, want, BLK);
	XT_ASSERT_EQ(fx_notes_expect(6, 5000), 0);

	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	close(sv[0]);
	close(sv[1]);
	close(L.fd);
	close(L.wfd);
	XT_ASSERT_EQ(xt_count_fds(), base);
	return XT_PASS;
}

/* A thread's requests outlive it: completed, not ECANCELED. */
static int exit_thread_pending(void)
{
	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(fx_warm());
	for (int round = 0; round < 5; round++)
		if (one_round(round) != XT_PASS)
			return XT_FAIL;
	return XT_PASS;
}

/* Child mode "exit100": 100 requests in flight, then exit(0). */
static int child_exit100(void)
{
	static unsigned char rbuf[100][BLK];
	static struct aiocb cb[100];
	int p[2], q[2], sv[2], fd, k = 0;
	size_t filled;

	fx_notes_reset();
	fd = xt_make_file("exit100", 32 * BLK, O_CLOEXEC);
	XT_ASSERT(fd >= 0);
	XT_ASSERT_OK(pipe2(p, O_CLOEXEC));
	XT_ASSERT_OK(pipe2(q, O_CLOEXEC));
	XT_ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	if (fx_fill_pipe(q[1], &filled))
		return XT_FAIL;
	for (int i = 0; i < 40; i++, k++) { /* never written */
		xt_cb_set_op(&cb[k], LIO_READ, p[0], rbuf[k], BLK, 0);
		if (i % 2)
			fx_sev_thread(&cb[k].aio_sigevent, k);
		XT_ASSERT_OK(aio_read(&cb[k]));
	}
	for (int i = 0; i < 20; i++, k++) { /* never sent */
		xt_cb_set_op(&cb[k], LIO_READ, sv[0], rbuf[k], BLK, 0);
		if (i % 2)
			fx_sev_signal(&cb[k].aio_sigevent, k);
		XT_ASSERT_OK(aio_read(&cb[k]));
	}
	for (int i = 0; i < 10; i++, k++) { /* one blocked, nine held */
		xt_cb_set_op(&cb[k], LIO_WRITE, q[1], rbuf[k], BLK, 0);
		fx_sev_thread(&cb[k].aio_sigevent, k);
		XT_ASSERT_OK(aio_write(&cb[k]));
	}
	for (int i = 0; i < 30; i++, k++) { /* file reads and writes */
		xt_cb_set_op(&cb[k], LIO_READ, fd, rbuf[k], BLK,
			     (off_t)i * BLK);
		fx_sev_signal(&cb[k].aio_sigevent, k);
		XT_ASSERT_OK(i % 3 ? aio_read(&cb[k]) : aio_write(&cb[k]));
	}
	XT_ASSERT_EQ(k, 100);
	XT_ASSERT_EQ(aio_error(&cb[0]), EINPROGRESS);
	XT_ASSERT_EQ(aio_error(&cb[65]), EINPROGRESS);
	printf("exiting with requests in flight\n");
	return XT_PASS; /* exit(0) */
}

static void *exiter(void *arg)
{
	(void)arg;
	xt_sleep_ms(20);
	printf("exit() from a thread\n");
	exit(0);
}

/* Child mode "exit_thread": exit() while main sleeps in aio_suspend. */
static int child_exit_thread(void)
{
	static unsigned char buf[10][BLK];
	static struct aiocb cb[10];
	const struct aiocb *list[10];
	int p[2];
	pthread_t t;

	XT_ASSERT_OK(pipe2(p, O_CLOEXEC));
	for (int i = 0; i < 10; i++) {
		xt_cb_set_op(&cb[i], LIO_READ, p[0], buf[i], BLK, 0);
		fx_sev_thread(&cb[i].aio_sigevent, i);
		XT_ASSERT_OK(aio_read(&cb[i]));
		list[i] = &cb[i];
	}
	XT_ASSERT_EQ(pthread_create(&t, NULL, exiter, NULL), 0);
	for (;;)
		if (aio_suspend(list, 10, NULL) == 0)
			break; /* nothing can complete: never */
	fprintf(stderr, "aio_suspend returned with nothing complete\n");
	return XT_FAIL;
}

#define NW 1280
#define WS 4096

/*
 * Child mode "exit_writes": NW writes accepted (each aio_write returned
 * 0), then exit(0) at once.  Their data must be in the file: on 58309d6
 * about 1150 of 1280 were lost on io_uring (left for a batch that never
 * went in) and some on the pool (workers killed mid-write).
 */
static int child_exit_writes(void)
{
	static unsigned char buf[NW][WS];
	static struct aiocb cb[NW];
	int fd = open(getenv("XAIO_TEST_EXIT_FILE"),
		      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	XT_ASSERT(fd >= 0);
	for (int i = 0; i < NW; i++) {
		xt_fill_pattern(buf[i], sizeof(buf[i]), (uint64_t)i * WS);
		xt_cb_set_op(&cb[i], LIO_WRITE, fd, buf[i], sizeof(buf[i]),
			     (off_t)i * WS);
		XT_ASSERT_OK(aio_write(&cb[i]));
	}
	printf("exiting after %d writes\n", NW);
	return XT_PASS; /* exit(0) */
}

static int child_main(const char *mode)
{
	if (!strcmp(mode, "exit_writes"))
		return child_exit_writes();
	if (!strcmp(mode, "exit100"))
		return child_exit100();
	if (!strcmp(mode, "exit_thread"))
		return child_exit_thread();
	fprintf(stderr, "unknown child mode %s\n", mode);
	return XT_FAIL;
}

FX_CHILD_MAIN(child_main)

static int exit_case(const char *mode, const char *says,
		     unsigned long long submitted)
{
	static const char *const env[] = {"XAIO_VERBOSE=1", NULL};
	struct fx_report r;
	struct fx_proc p;
	int res;

	memset(&p, 0, sizeof(p));
	p.mode = mode;
	p.env = env;
	p.timeout_ms = 5000;
	XT_ASSERT_OK(fx_run(&p));
	res = fx_verdict(&p);
	if (res != XT_PASS)
		return res;
	if (p.ms > 2000)
		fprintf(stderr, "the child took %lld ms to exit\n",
			(long long)p.ms);
	XT_ASSERT_LE(p.ms, 2000);
	XT_ASSERT(strstr(p.out, says));
	if (fx_parse_report(p.err, &r)) {
		fprintf(stderr, "no XAIO_VERBOSE line in:\n%s", p.err);
		return XT_FAIL;
	}
	XT_ASSERT_EQ(r.submitted, submitted);
	XT_ASSERT_LT(r.completed, submitted); /* some were in flight */
	return XT_PASS;
}

/* exit(0) with 100 requests in flight: prompt, status 0. */
static int exit_process_inflight(void)
{
	XT_REQUIRE_BACKEND();
	return exit_case("exit100", "exiting with requests in flight", 100);
}

/* exit(0) right after NW accepted writes: every one is in the file. */
static int exit_after_writes(void)
{
	static char var[WS];
	const char *env[] = {var, "XAIO_BATCH=1", NULL};
	static unsigned char got[NW * WS];
	struct fx_proc p;
	int fd, lost = 0;

	XT_REQUIRE_BACKEND();
	snprintf(var, sizeof(var), "XAIO_TEST_EXIT_FILE=%s",
		 xt_path("exit_writes"));
	for (int run = 0; run < 5; run++) {
		memset(&p, 0, sizeof(p));
		p.mode = "exit_writes";
		p.env = env;
		p.timeout_ms = 20000;
		XT_ASSERT_OK(fx_run(&p));
		XT_ASSERT_EQ(fx_verdict(&p), XT_PASS);
		fd = open(xt_path("exit_writes"), O_RDONLY);
		XT_ASSERT_GE(fd, 0);
		memset(got, 0, sizeof(got));
		XT_ASSERT_GE(pread(fd, got, sizeof(got), 0), 0);
		close(fd);
		for (int i = 0; i < NW; i++) {
			unsigned char want[WS];

			xt_fill_pattern(want, sizeof(want), (uint64_t)i * WS);
			lost += memcmp(got + (size_t)i * WS, want, WS) != 0;
		}
	}
	if (lost)
		fprintf(stderr, "%d of %d accepted writes lost at exit\n", lost,
			5 * NW);
	XT_ASSERT_EQ(lost, 0);
	return XT_PASS;
}

/* exit(0) from a thread while main waits in aio_suspend. */
static int exit_from_thread_while_waiting(void)
{
	XT_REQUIRE_BACKEND();
	return exit_case("exit_thread", "exit() from a thread", 10);
}

static const struct xt_case cases[] = {
	{"exit_thread_pending", exit_thread_pending},
	{"exit_process_inflight", exit_process_inflight},
	{"exit_from_thread_while_waiting", exit_from_thread_while_waiting},
	{"exit_after_writes", exit_after_writes},
};

XT_MAIN(cases)
