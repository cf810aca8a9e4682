// SPDX-License-Identifier: MIT
/*
 * Completion notification (struct sigevent) of aio_read(): SIGEV_NONE,
 * SIGEV_SIGNAL (siginfo contents, one signal per request, sigev_signo 0),
 * SIGEV_THREAD (one call per request with its value, empty signal mask,
 * joinable attributes do not leak threads; 100 000 callbacks all delivered
 * by at most max(4, 2 x CPUs) notifier threads; a blocked callback does not
 * hold up the others, nor one that calls pthread_exit; the bound on
 * outstanding callbacks, EAGAIN beyond it), SIGEV_THREAD_ID (delivered to
 * that thread), and the submit-time checks of an invalid sigev_signo and an
 * invalid sigev_notify.
 */
#include <aio.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "xtest.h"
#include "xaio-test.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define CHUNK 512

/* atomic_load() as a function, so that assertion messages stay short. */
static int ld(atomic_int *v)
{
	return atomic_load(v);
}

/* The first pending signal (thread or process), 0 when none. */
static int first_pending(void)
{
	sigset_t p;

	sigpending(&p);
	for (int s = 1; s <= SIGRTMAX; s++)
		if (sigismember(&p, s) == 1)
			return s;
	return 0;
}

/*
 * Notification threads of the joinable-attribute case get a stack of this
 * size, which no other thread here uses: a leaked thread keeps one mapped.
 */
#define JOIN_STACK (3u << 20)
/*
 * A leak keeps one per notification (300 here); glibc caches 40 MiB of
 * freed stacks (13 of these) and a few threads may still be exiting.
 */
#define STACK_SLACK 30

/* Mappings of about JOIN_STACK bytes (glibc may carve its guard out). */
static int count_stacks(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
		    hi - lo > JOIN_STACK / 2 && hi - lo <= JOIN_STACK + 65536)
			n++;
	fclose(f);
	return n;
}

/* ---- SIGEV_NONE ---- */

static atomic_int none_cb_calls;

static void none_cb(union sigval v)
{
	(void)v;
	atomic_fetch_add(&none_cb_calls, 1);
}

/*
 * SIGEV_NONE: no signal (although sigev_signo names one) and no callback
 * (although sigev_notify_function is set).
 */
static int notify_none(void)
{
	static unsigned char buf[CHUNK];
	static struct aiocb cb;
	unsigned char want[CHUNK];
	sigset_t all, old;
	int fd, r, pend;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("none", 4 * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	xt_cb_set(&cb, fd, buf, CHUNK, CHUNK);
	cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	cb.aio_sigevent.sigev_signo = SIGRTMIN + 1;
	cb.aio_sigevent.sigev_value.sival_int = 7;
	cb.aio_sigevent.sigev_notify_function = none_cb;
	atomic_store(&none_cb_calls, 0);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = aio_read(&cb);
	if (r == 0 && xt_cb_poll(&cb, 3000))
		r = -2;
	xt_sleep_ms(100);
	pend = first_pending();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(fd);
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_EQ(aio_error(&cb), 0);
	XT_ASSERT_EQ(aio_return(&cb), CHUNK);
	xt_fill_pattern(want, CHUNK, CHUNK);
	XT_ASSERT_MEM_EQ(buf, want, CHUNK);
	XT_ASSERT_EQ(pend, 0);
	XT_ASSERT_EQ(ld(&none_cb_calls), 0);
	return XT_PASS;
}

/* ---- SIGEV_SIGNAL ---- */

#define NSIGREQ 50

static struct aiocb sig_cbs[NSIGREQ];
static int sig_signo;
static pid_t sig_pid;
static uid_t sig_uid;
static atomic_int sig_count, sig_bad_signo, sig_bad_code, sig_bad_pid,
	sig_bad_uid, sig_bad_value, sig_not_done;
static atomic_int sig_seen[NSIGREQ];

static void sig_handler(int sig, siginfo_t *si, void *uc)
{
	int v = si->si_value.sival_int;

	(void)uc;
	if (sig != sig_signo || si->si_signo != sig_signo)
		atomic_fetch_add(&sig_bad_signo, 1);
	if (si->si_code != SI_ASYNCIO)
		atomic_fetch_add(&sig_bad_code, 1);
	if (si->si_pid != sig_pid)
		atomic_fetch_add(&sig_bad_pid, 1);
	if (si->si_uid != sig_uid)
		atomic_fetch_add(&sig_bad_uid, 1);
	if (v < 0 || v >= NSIGREQ) {
		atomic_fetch_add(&sig_bad_value, 1);
	} else {
		atomic_fetch_add(&sig_seen[v], 1);
		/* The status is published before the notification. */
		if (aio_error(&sig_cbs[v]) == EINPROGRESS)
			atomic_fetch_add(&sig_not_done, 1);
	}
	atomic_fetch_add(&sig_count, 1);
}

static int signal_body(int fd, unsigned char (*bufs)[CHUNK])
{
	int n;

	for (int i = 0; i < NSIGREQ; i++) {
		xt_cb_set(&sig_cbs[i], fd, bufs[i], CHUNK, (off_t)i * CHUNK);
		sig_cbs[i].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		sig_cbs[i].aio_sigevent.sigev_signo = sig_signo;
		sig_cbs[i].aio_sigevent.sigev_value.sival_int = i;
		XT_ASSERT_OK(aio_read(&sig_cbs[i]));
	}
	n = xt_wait_count(&sig_count, NSIGREQ, 3000);
	for (int i = 0; i < NSIGREQ; i++)
		XT_ASSERT_EQ(xt_cb_poll(&sig_cbs[i], 3000), 0);
	xt_sleep_ms(100); /* any extra signal would arrive by now */
	XT_ASSERT_EQ(n, NSIGREQ);
	XT_ASSERT_EQ(ld(&sig_count), NSIGREQ);
	XT_ASSERT_EQ(ld(&sig_bad_signo), 0);
	XT_ASSERT_EQ(ld(&sig_bad_code), 0);
	XT_ASSERT_EQ(ld(&sig_bad_pid), 0);
	XT_ASSERT_EQ(ld(&sig_bad_uid), 0);
	XT_ASSERT_EQ(ld(&sig_bad_value), 0);
	XT_ASSERT_EQ(ld(&sig_not_done), 0);
	for (int i = 0; i < NSIGREQ; i++) {
		XT_ASSERT_EQ(ld(&sig_seen[i]), 1);
		XT_ASSERT_EQ(aio_error(&sig_cbs[i]), 0);
		XT_ASSERT_EQ(aio_return(&sig_cbs[i]), CHUNK);
	}
	return XT_PASS;
}

/*
 * SIGEV_SIGNAL with SIGRTMIN+1 and SA_SIGINFO: 50 requests, 50 signals,
 * each with si_signo, si_code SI_ASYNCIO, si_pid, si_uid and its own
 * si_value.
 */
static int notify_signal(void)
{
	static unsigned char bufs[NSIGREQ][CHUNK];
	struct sigaction sa, old;
	sigset_t set, oldmask;
	int fd, r;

	XT_REQUIRE_BACKEND();
	sig_signo = SIGRTMIN + 1;
	sig_pid = getpid();
	sig_uid = getuid();
	atomic_store(&sig_count, 0);
	atomic_store(&sig_bad_signo, 0);
	atomic_store(&sig_bad_code, 0);
	atomic_store(&sig_bad_pid, 0);
	atomic_store(&sig_bad_uid, 0);
	atomic_store(&sig_bad_value, 0);
	atomic_store(&sig_not_done, 0);
	for (int i = 0; i < NSIGREQ; i++)
		atomic_store(&sig_seen[i], 0);
	fd = xt_make_file("signal", NSIGREQ * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sig_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	XT_ASSERT_OK(sigaction(sig_signo, &sa, &old));
	sigemptyset(&set);
	sigaddset(&set, sig_signo);
	pthread_sigmask(SIG_UNBLOCK, &set, &oldmask);
	r = signal_body(fd, bufs);
	/* Let nothing in flight reach the restored disposition. */
	for (int i = 0; i < NSIGREQ; i++)
		xt_cb_poll(&sig_cbs[i], 3000);
	xt_sleep_ms(10);
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	sigaction(sig_signo, &old, NULL);
	close(fd);
	return r;
}

/* SIGEV_SIGNAL with sigev_signo 0: no signal, the I/O succeeds. */
static int notify_signo_zero(void)
{
	static unsigned char buf[CHUNK];
	static struct aiocb cb;
	unsigned char want[CHUNK];
	sigset_t all, old;
	int fd, r, pend;

	XT_REQUIRE_BACKEND();
	fd = xt_make_file("signo0", 4 * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	xt_cb_set(&cb, fd, buf, CHUNK, 2 * CHUNK);
	cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb.aio_sigevent.sigev_signo = 0;
	cb.aio_sigevent.sigev_value.sival_int = 9;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = 0;
	r = aio_read(&cb);
	if (r)
		perror("aio_read");
	if (r == 0 && xt_cb_poll(&cb, 3000))
		r = -2;
	xt_sleep_ms(50);
	pend = first_pending();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(fd);
	XT_ASSERT_EQ(r, 0);
	XT_ASSERT_EQ(aio_error(&cb), 0);
	XT_ASSERT_EQ(aio_return(&cb), CHUNK);
	xt_fill_pattern(want, CHUNK, 2 * CHUNK);
	XT_ASSERT_MEM_EQ(buf, want, CHUNK);
	XT_ASSERT_EQ(pend, 0);
	return XT_PASS;
}

/*
 * Submits a read whose sigevent must be refused synchronously: -1/EINVAL,
 * no transfer, and (want_status) aio_error() EINVAL.  glibc accepts such
 * requests; then the request is waited for and its outcome printed.
 */
static int expect_rejected(const char *name, int notify, int signo,
			   int want_status)
{
	static unsigned char buf[CHUNK];
	static struct aiocb cb;
	unsigned char fill[CHUNK];
	int fd, r, e;

	fd = xt_make_file(name, 2 * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	memset(buf, 0xcc, sizeof(buf));
	memset(fill, 0xcc, sizeof(fill));
	xt_cb_set(&cb, fd, buf, CHUNK, 0);
	cb.aio_sigevent.sigev_notify = notify;
	cb.aio_sigevent.sigev_signo = signo;
	errno = 0;
	r = aio_read(&cb);
	e = errno;
	if (r == 0) {
		int done = xt_cb_poll(&cb, 3000) == 0;

		fprintf(stderr,
			"%s: accepted; %s, aio_error %d (%s), aio_return %zd, "
			"%s\n",
			name, done ? "completed" : "still running",
			aio_error(&cb), strerror(aio_error(&cb)),
			done ? aio_return(&cb) : 0,
			xt_memdiff(buf, fill, CHUNK) == (size_t)-1
				? "no data transferred"
				: "data transferred");
		if (!done)
			return XT_FAIL; /* leave fd open: still in use */
	}
	xt_sleep_ms(20);
	close(fd);
	if (r != -1 || e != EINVAL)
		fprintf(stderr, "%s: aio_read = %d errno %d (%s)\n", name, r, e,
			strerror(e));
	XT_ASSERT_EQ(r, -1);
	XT_ASSERT_EQ(e, EINVAL);
	if (want_status)
		XT_ASSERT_EQ(aio_error(&cb), EINVAL);
	XT_ASSERT_MEM_EQ(buf, fill, CHUNK);
	return XT_PASS;
}

/*
 * SIGEV_SIGNAL with sigev_signo 1000: refused at submit with EINVAL
 * (glibc G9: the read runs, then the failed notification overwrites the
 * result with EINVAL).
 */
static int notify_bad_signo(void)
{
	XT_REQUIRE_BACKEND();
	return expect_rejected("badsigno", SIGEV_SIGNAL, 1000, 1);
}

/* sigev_notify 99: refused at submit with EINVAL (xaio's documented
 * choice; glibc treats it as SIGEV_NONE). */
static int notify_bad_notify(void)
{
	XT_REQUIRE_BACKEND();
	return expect_rejected("badnotify", 99, SIGRTMIN + 1, 0);
}

/* ---- SIGEV_THREAD_ID ---- */

static atomic_int tid_ready, tid_go;
static pid_t tid_helper_tid;
static int tid_signo, tid_wait_ms, tid_got;
static siginfo_t tid_info;

static void *tid_helper(void *arg)
{
	struct timespec ts;
	sigset_t set;

	(void)arg;
	tid_helper_tid = gettid();
	atomic_store(&tid_ready, 1);
	while (!atomic_load(&tid_go))
		xt_sleep_ms(1);
	ts.tv_sec = tid_wait_ms / 1000;
	ts.tv_nsec = (tid_wait_ms % 1000) * 1000000L;
	sigemptyset(&set);
	sigaddset(&set, tid_signo);
	tid_got = sigtimedwait(&set, &tid_info, &ts) == tid_signo;
	return NULL;
}

/* Reads a hex signal mask line ("SigPnd:" / "ShdPnd:") of a task. */
static int task_mask(pid_t tid, const char *key, uint64_t *mask)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen)) {
			*mask = strtoull(line + klen, NULL, 16);
			found = 1;
			break;
		}
	fclose(f);
	return found ? 0 : -1;
}

static int thread_id_body(int fd, unsigned char *buf, struct aiocb *cb)
{
	uint64_t bit = 1ull << (tid_signo - 1), pnd = 0, shd = 0, mine = 0;
	int64_t end;

	while (!atomic_load(&tid_ready))
		xt_sleep_ms(1);
	xt_cb_set(cb, fd, buf, CHUNK, 0);
	cb->aio_sigevent.sigev_notify = SIGEV_THREAD_ID;
	cb->aio_sigevent.sigev_signo = tid_signo;
	cb->aio_sigevent.sigev_value.sival_int = 4242;
	cb->aio_sigevent.sigev_notify_thread_id = tid_helper_tid;
	XT_ASSERT_OK(aio_read(cb));
	XT_ASSERT_EQ(xt_cb_poll(cb, 3000), 0);
	XT_ASSERT_EQ(aio_error(cb), 0);
	XT_ASSERT_EQ(aio_return(cb), CHUNK);

	/* The signal must become pending on the helper thread only. */
	end = xt_now_ms() + 1000;
	do {
		XT_ASSERT_OK(task_mask(tid_helper_tid, "SigPnd:", &pnd));
		XT_ASSERT_OK(task_mask(tid_helper_tid, "ShdPnd:", &shd));
		if ((pnd | shd) & bit)
			break;
		xt_sleep_ms(2);
	} while (xt_now_ms() < end);
	XT_ASSERT_OK(task_mask(gettid(), "SigPnd:", &mine));
	if (!((pnd | shd) & bit))
		fprintf(stderr, "no signal within 1 s\n");
	XT_ASSERT(pnd & bit);
	XT_ASSERT(!(shd & bit)); /* not sent to the whole process */
	XT_ASSERT(!(mine & bit));
	return XT_PASS;
}

/*
 * SIGEV_THREAD_ID: the signal goes to the named thread (pending on it, not
 * on the process) with si_code SI_ASYNCIO and the value (glibc G8: never
 * sent).
 */
static int notify_thread_id(void)
{
	static unsigned char buf[CHUNK];
	static struct aiocb cb;
	sigset_t set, oldmask;
	pthread_t t;
	int fd, r;

	XT_REQUIRE_BACKEND();
	tid_signo = SIGRTMIN + 2;
	atomic_store(&tid_ready, 0);
	atomic_store(&tid_go, 0);
	tid_got = 0;
	memset(&tid_info, 0, sizeof(tid_info));
	fd = xt_make_file("tid", 2 * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	/* Blocked here and (start_thread) in the helper: stays pending. */
	sigemptyset(&set);
	sigaddset(&set, tid_signo);
	pthread_sigmask(SIG_BLOCK, &set, &oldmask);
	if (xt_start_thread(&t, tid_helper, NULL)) {
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
		close(fd);
		return XT_FAIL;
	}
	tid_wait_ms = 1000;
	r = thread_id_body(fd, buf, &cb);
	if (r != XT_PASS)
		tid_wait_ms = 10;
	atomic_store(&tid_go, 1);
	pthread_join(t, NULL);
	xt_cb_poll(&cb, 3000);
	{
		/* Drop a stray process-directed copy before unblocking. */
		struct timespec zero = {0, 0};

		while (sigtimedwait(&set, NULL, &zero) == tid_signo)
			;
	}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	close(fd);
	if (r != XT_PASS)
		return r;
	XT_ASSERT(tid_got);
	XT_ASSERT_EQ(tid_info.si_signo, tid_signo);
	XT_ASSERT_EQ(tid_info.si_code, SI_ASYNCIO);
	XT_ASSERT_EQ(tid_info.si_value.sival_int, 4242);
	XT_ASSERT_EQ(tid_info.si_pid, getpid());
	return XT_PASS;
}

/* ---- SIGEV_THREAD ---- */

#define NTHRREQ 200

static struct aiocb thr_cbs[NTHRREQ];
static atomic_int thr_calls, thr_bad_value, thr_usr2_blocked, thr_mask_set,
	thr_not_done;
static atomic_int thr_seen[NTHRREQ];

static void thr_cb(union sigval v)
{
	sigset_t m;
	int i = v.sival_int;

	pthread_sigmask(SIG_BLOCK, NULL, &m);
	if (sigismember(&m, SIGUSR2))
		atomic_fetch_add(&thr_usr2_blocked, 1);
	if (!sigisemptyset(&m))
		atomic_fetch_add(&thr_mask_set, 1);
	if (i < 0 || i >= NTHRREQ) {
		atomic_fetch_add(&thr_bad_value, 1);
	} else {
		atomic_fetch_add(&thr_seen[i], 1);
		if (aio_error(&thr_cbs[i]) == EINPROGRESS)
			atomic_fetch_add(&thr_not_done, 1);
	}
	atomic_fetch_add(&thr_calls, 1);
}

static int thread_body(int fd, unsigned char (*bufs)[CHUNK])
{
	int n;

	for (int i = 0; i < NTHRREQ; i++) {
		xt_cb_set(&thr_cbs[i], fd, bufs[i], CHUNK, (off_t)i * CHUNK);
		thr_cbs[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
		thr_cbs[i].aio_sigevent.sigev_notify_function = thr_cb;
		thr_cbs[i].aio_sigevent.sigev_value.sival_int = i;
		XT_ASSERT_OK(aio_read(&thr_cbs[i]));
	}
	n = xt_wait_count(&thr_calls, NTHRREQ, 5000);
	xt_sleep_ms(100); /* any extra call would happen by now */
	XT_ASSERT_EQ(n, NTHRREQ);
	XT_ASSERT_EQ(ld(&thr_calls), NTHRREQ);
	XT_ASSERT_EQ(ld(&thr_bad_value), 0);
	XT_ASSERT_EQ(ld(&thr_not_done), 0);
	for (int i = 0; i < NTHRREQ; i++) {
		XT_ASSERT_EQ(ld(&thr_seen[i]), 1);
		XT_ASSERT_EQ(aio_error(&thr_cbs[i]), 0);
		XT_ASSERT_EQ(aio_return(&thr_cbs[i]), CHUNK);
	}
	if (atomic_load(&thr_usr2_blocked))
		fprintf(stderr, "SIGUSR2 (blocked by the submitter) was "
				"blocked in the callback\n");
	XT_ASSERT_EQ(ld(&thr_usr2_blocked), 0);
	XT_ASSERT_EQ(ld(&thr_mask_set), 0);
	return XT_PASS;
}

/*
 * SIGEV_THREAD: 200 requests, 200 calls, each value exactly once, the
 * status final inside the callback, which runs with an empty signal mask
 * although the submitter blocks SIGUSR2.
 */
static int notify_thread(void)
{
	static unsigned char bufs[NTHRREQ][CHUNK];
	sigset_t set, oldmask;
	int fd, r;

	XT_REQUIRE_BACKEND();
	atomic_store(&thr_calls, 0);
	atomic_store(&thr_bad_value, 0);
	atomic_store(&thr_usr2_blocked, 0);
	atomic_store(&thr_mask_set, 0);
	atomic_store(&thr_not_done, 0);
	for (int i = 0; i < NTHRREQ; i++)
		atomic_store(&thr_seen[i], 0);
	fd = xt_make_file("thread", NTHRREQ * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, &oldmask);
	r = thread_body(fd, bufs);
	for (int i = 0; i < NTHRREQ; i++)
		xt_cb_poll(&thr_cbs[i], 3000);
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	close(fd);
	return r;
}

#define NJOINREQ 300

static struct aiocb join_cbs[NJOINREQ];
static atomic_int join_calls;

static void join_cb(union sigval v)
{
	XT_CHECK(v.sival_int >= 0 && v.sival_int < NJOINREQ);
	atomic_fetch_add(&join_calls, 1);
}

static int joinable_body(int fd, unsigned char (*bufs)[CHUNK],
			 pthread_attr_t *attr)
{
	int threads0, maps0, threads, maps, n;
	int64_t end;

	/* Warm up (library threads, ring) before taking the baseline. */
	for (int i = 0; i < 4; i++) {
		xt_cb_set(&join_cbs[i], fd, bufs[i], CHUNK, (off_t)i * CHUNK);
		join_cbs[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
		join_cbs[i].aio_sigevent.sigev_notify_function = join_cb;
		join_cbs[i].aio_sigevent.sigev_value.sival_int = i;
		join_cbs[i].aio_sigevent.sigev_notify_attributes = attr;
		XT_ASSERT_OK(aio_read(&join_cbs[i]));
	}
	XT_ASSERT_EQ(xt_wait_count(&join_calls, 4, 3000), 4);
	xt_sleep_ms(50);
	atomic_store(&join_calls, 0);
	threads0 = xt_count_threads();
	maps0 = count_stacks();
	XT_ASSERT_GT(threads0, 0);
	XT_ASSERT_GE(maps0, 0);

	for (int i = 0; i < NJOINREQ; i++) {
		xt_cb_set(&join_cbs[i], fd, bufs[i], CHUNK, (off_t)i * CHUNK);
		join_cbs[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
		join_cbs[i].aio_sigevent.sigev_notify_function = join_cb;
		join_cbs[i].aio_sigevent.sigev_value.sival_int = i;
		join_cbs[i].aio_sigevent.sigev_notify_attributes = attr;
		XT_ASSERT_OK(aio_read(&join_cbs[i]));
	}
	n = xt_wait_count(&join_calls, NJOINREQ, 5000);
	XT_ASSERT_EQ(n, NJOINREQ);

	/* Settle: notification threads finish and go away. */
	end = xt_now_ms() + 6000; /* a loaded machine is slow to reap threads */
	do {
		xt_sleep_ms(10);
		threads = xt_count_threads();
		maps = count_stacks();
	} while ((threads > threads0 + 4 || maps > maps0 + STACK_SLACK) &&
		 xt_now_ms() < end);
	if (maps > maps0 + STACK_SLACK)
		fprintf(stderr,
			"notification stacks %d -> %d: leaked threads "
			"(joinable, never joined)\n",
			maps0, maps);
	XT_ASSERT_LE(threads, threads0 + 4);
	XT_ASSERT_LE(maps, maps0 + STACK_SLACK);
	XT_ASSERT_EQ(ld(&join_calls), NJOINREQ);
	return XT_PASS;
}

/*
 * SIGEV_THREAD with a joinable pthread_attr_t: after 300 notifications the
 * thread count returns to within +4 of the baseline and the threads' stacks
 * are gone (glibc G7 creates them joinable and never joins: each exited
 * thread keeps its stack mapped, 300 more for 300 notifications).  The
 * attribute's own stack size tells those stacks from the thread pool's
 * (which glibc's stack cache may keep after the workers exit).
 */
static int notify_thread_joinable(void)
{
	static unsigned char bufs[NJOINREQ][CHUNK];
	pthread_attr_t attr;
	int fd, r;

	XT_REQUIRE_BACKEND();
	atomic_store(&join_calls, 0);
	fd = xt_make_file("joinable", NJOINREQ * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	XT_ASSERT_EQ(pthread_attr_init(&attr), 0);
	XT_ASSERT_EQ(
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_JOINABLE), 0);
	XT_ASSERT_EQ(pthread_attr_setstacksize(&attr, JOIN_STACK), 0);
	r = joinable_body(fd, bufs, &attr);
	for (int i = 0; i < NJOINREQ; i++)
		xt_cb_poll(&join_cbs[i], 3000);
	/* Every notification thread exists once its callback has run. */
	xt_wait_count(&join_calls, NJOINREQ, 3000);
	pthread_attr_destroy(&attr);
	close(fd);
	return r;
}

/* ---- SIGEV_THREAD at I/O rates ---- */

#define NRATE 100000
#define RATE_WINDOW 1024
#define RATE_READ 64
#define RATE_LIMIT_MS 60000

struct rate_slot {
	struct aiocb cb;
	atomic_int busy;
	unsigned char buf[RATE_READ];
};

static struct rate_slot rate_slots[RATE_WINDOW];
static atomic_uchar rate_seen[NRATE];
static atomic_int rate_calls, rate_bad;

static void rate_cb(union sigval v)
{
	int i = v.sival_int;
	struct rate_slot *s;

	if (i < 0 || i >= NRATE) {
		atomic_fetch_add(&rate_bad, 1);
		return;
	}
	s = &rate_slots[i % RATE_WINDOW];
	/* Final inside the callback: the status, then the data. */
	if (aio_error(&s->cb) != 0 || aio_return(&s->cb) != RATE_READ ||
	    s->buf[0] != (unsigned char)(i % 251))
		atomic_fetch_add(&rate_bad, 1);
	atomic_fetch_add(&rate_seen[i], 1);
	atomic_store(&s->busy, 0);
	atomic_fetch_add(&rate_calls, 1);
}

/* Submits request i in its slot (aio_read, or lio_listio for 1 in 8);
 * retried while the notification bound says EAGAIN.  0 or -1. */
static int rate_submit(int fd, int i, int64_t end)
{
	struct rate_slot *s = &rate_slots[i % RATE_WINDOW];
	struct aiocb *list[1] = {&s->cb};

	while (atomic_load(&s->busy)) {
		if (xt_now_ms() > end) {
			errno = ETIMEDOUT; /* its slot's callback never ran */
			return -1;
		}
		sched_yield();
	}
	xt_cb_set(&s->cb, fd, s->buf, RATE_READ, (off_t)(i % 251) * 4096);
	s->cb.aio_lio_opcode = LIO_READ;
	s->cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
	s->cb.aio_sigevent.sigev_notify_function = rate_cb;
	s->cb.aio_sigevent.sigev_value.sival_int = i;
	atomic_store(&s->busy, 1);
	while ((i % 8 ? aio_read(&s->cb)
		      : lio_listio(LIO_NOWAIT, list, 1, NULL)) != 0) {
		if (errno != EAGAIN || xt_now_ms() > end)
			return -1;
		xt_sleep_ms(1);
	}
	return 0;
}

/*
 * 100 000 SIGEV_THREAD completions of small cached reads (1 in 8 through
 * lio_listio), at most 1024 in flight: every callback runs exactly once,
 * with its request final, all within 60 s.  A bound on delivery, not a
 * speed test (one thread created per callback made ASan builds miss it).
 */
static int notify_thread_rate(void)
{
	unsigned char page[4096];
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	int64_t t0, end;
	int fd, n, missing = 0;

	XT_REQUIRE_BACKEND();
	atomic_store(&rate_calls, 0);
	atomic_store(&rate_bad, 0);
	for (int i = 0; i < NRATE; i++)
		atomic_store(&rate_seen[i], 0);
	for (int i = 0; i < RATE_WINDOW; i++)
		atomic_store(&rate_slots[i].busy, 0);
	fd = xt_make_file("rate", 0, 0);
	XT_ASSERT(fd >= 0);
	for (int p = 0; p < 251; p++) {
		memset(page, p, sizeof(page));
		XT_ASSERT_EQ(pwrite(fd, page, sizeof(page), (off_t)p * 4096),
			     (ssize_t)sizeof(page));
	}
	t0 = xt_now_ms();
	end = t0 + RATE_LIMIT_MS;
	for (int i = 0; i < NRATE; i++)
		if (rate_submit(fd, i, end)) {
			fprintf(stderr, "request %d not submitted: %s\n", i,
				strerror(errno));
			break;
		}
	n = xt_wait_count(&rate_calls, NRATE, (int)(end - xt_now_ms()));
	fprintf(stderr, "%d callbacks in %lld ms\n", n,
		(long long)(xt_now_ms() - t0));
	xt_sleep_ms(50); /* any extra call would happen by now */
	for (int i = 0; i < RATE_WINDOW; i++)
		xt_cb_poll(&rate_slots[i].cb, 3000);
	close(fd);
	XT_ASSERT_EQ(n, NRATE);
	XT_ASSERT_EQ(ld(&rate_calls), NRATE);
	XT_ASSERT_EQ(ld(&rate_bad), 0);
	for (int i = 0; i < NRATE; i++)
		if (atomic_load(&rate_seen[i]) != 1 && missing++ < 5)
			fprintf(stderr, "request %d: %d calls\n", i,
				atomic_load(&rate_seen[i]));
	XT_ASSERT_EQ(missing, 0);
	/* Bounded: at most max(4, 2 x CPUs) notifier threads (the default). */
	XT_ASSERT_LE(xt_count_threads_named("xaio-notify"),
		     ncpu > 2 ? 2 * ncpu : 4);
	return XT_PASS;
}

/* ---- a blocked SIGEV_THREAD callback ---- */

#define NBLOCKED 2
#define NFREE 200

static struct aiocb blk_cbs[NBLOCKED + NFREE];
static sem_t blk_sem;
static atomic_int blk_entered, blk_left, blk_calls;

static void blk_cb(union sigval v)
{
	if (v.sival_int < NBLOCKED) {
		atomic_fetch_add(&blk_entered, 1);
		while (sem_wait(&blk_sem) && errno == EINTR)
			;
		atomic_fetch_add(&blk_left, 1);
		return;
	}
	atomic_fetch_add(&blk_calls, 1);
}

static int blk_submit(int fd, unsigned char (*bufs)[CHUNK], int from, int to)
{
	for (int i = from; i < to; i++) {
		xt_cb_set(&blk_cbs[i], fd, bufs[i], CHUNK, (off_t)i * CHUNK);
		blk_cbs[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
		blk_cbs[i].aio_sigevent.sigev_notify_function = blk_cb;
		blk_cbs[i].aio_sigevent.sigev_value.sival_int = i;
		XT_ASSERT_OK(aio_read(&blk_cbs[i]));
	}
	return XT_PASS;
}

/*
 * Two SIGEV_THREAD callbacks block (on a semaphore posted only after the
 * rest were seen); the 200 callbacks submitted after them all run.
 */
static int notify_thread_blocked(void)
{
	static unsigned char bufs[NBLOCKED + NFREE][CHUNK];
	int fd, entered, n, r;

	XT_REQUIRE_BACKEND();
	atomic_store(&blk_entered, 0);
	atomic_store(&blk_left, 0);
	atomic_store(&blk_calls, 0);
	XT_ASSERT_OK(sem_init(&blk_sem, 0, 0));
	fd = xt_make_file("blocked", (NBLOCKED + NFREE) * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	r = blk_submit(fd, bufs, 0, NBLOCKED);
	entered = xt_wait_count(&blk_entered, NBLOCKED, 5000);
	if (r == XT_PASS)
		r = blk_submit(fd, bufs, NBLOCKED, NBLOCKED + NFREE);
	n = xt_wait_count(&blk_calls, r == XT_PASS ? NFREE : 0, 10000);
	for (int i = 0; i < NBLOCKED; i++)
		sem_post(&blk_sem);
	xt_wait_count(&blk_left, entered, 5000);
	for (int i = 0; i < NBLOCKED + NFREE; i++)
		xt_cb_poll(&blk_cbs[i], 3000);
	close(fd);
	if (r != XT_PASS)
		return r;
	if (n < NFREE)
		fprintf(stderr, "%d of %d callbacks ran while %d blocked\n", n,
			NFREE, entered);
	XT_ASSERT_EQ(entered, NBLOCKED);
	XT_ASSERT_EQ(n, NFREE);
	XT_ASSERT_EQ(ld(&blk_left), NBLOCKED);
	sem_destroy(&blk_sem);
	return XT_PASS;
}

/* ---- a callback that ends its thread ---- */

#define NEXITS 8
#define NAFTER 50

static struct aiocb exit_cbs[NEXITS + NAFTER];
static atomic_int exit_calls, after_calls;

static void exit_cb(union sigval v)
{
	if (v.sival_int < NEXITS) {
		atomic_fetch_add(&exit_calls, 1);
		pthread_exit(NULL);
	}
	atomic_fetch_add(&after_calls, 1);
}

static int exit_submit(int fd, unsigned char (*bufs)[CHUNK], int from, int to)
{
	for (int i = from; i < to; i++) {
		xt_cb_set(&exit_cbs[i], fd, bufs[i], CHUNK, (off_t)i * CHUNK);
		exit_cbs[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
		exit_cbs[i].aio_sigevent.sigev_notify_function = exit_cb;
		exit_cbs[i].aio_sigevent.sigev_value.sival_int = i;
		XT_ASSERT_OK(aio_read(&exit_cbs[i]));
	}
	return XT_PASS;
}

/*
 * Eight callbacks call pthread_exit (legal on a callback's own thread);
 * the 50 submitted after them all still run.
 */
static int notify_thread_exit(void)
{
	static unsigned char bufs[NEXITS + NAFTER][CHUNK];
	int fd, r, exits, after;

	XT_REQUIRE_BACKEND();
	atomic_store(&exit_calls, 0);
	atomic_store(&after_calls, 0);
	fd = xt_make_file("exit", (NEXITS + NAFTER) * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	r = exit_submit(fd, bufs, 0, NEXITS);
	exits = xt_wait_count(&exit_calls, NEXITS, 5000);
	if (r == XT_PASS)
		r = exit_submit(fd, bufs, NEXITS, NEXITS + NAFTER);
	after = xt_wait_count(&after_calls, r == XT_PASS ? NAFTER : 0, 5000);
	for (int i = 0; i < NEXITS + NAFTER; i++)
		xt_cb_poll(&exit_cbs[i], 3000);
	close(fd);
	if (r != XT_PASS)
		return r;
	XT_ASSERT_EQ(exits, NEXITS);
	XT_ASSERT_EQ(after, NAFTER);
	return XT_PASS;
}

/* ---- the bound on outstanding SIGEV_THREAD notifications ---- */

#define BOUND 4 /* XAIO_NOTIFY_MAX in the child */

static struct aiocb bnd_cbs[2 * BOUND + 4];
static atomic_int bnd_calls[2 * BOUND + 4], bnd_returned, bnd_hold;
static sem_t bnd_sem;

static void bnd_cb(union sigval v)
{
	XT_CHECK(v.sival_int >= 0 && v.sival_int < 2 * BOUND + 4);
	atomic_fetch_add(&bnd_calls[v.sival_int], 1);
	if (atomic_load(&bnd_hold))
		while (sem_wait(&bnd_sem) && errno == EINTR)
			;
	atomic_fetch_add(&bnd_returned, 1);
}

static void bnd_set(int fd, unsigned char (*bufs)[CHUNK], int i, int notify)
{
	xt_cb_set(&bnd_cbs[i], fd, bufs[i], CHUNK, (off_t)i * CHUNK);
	bnd_cbs[i].aio_lio_opcode = LIO_READ;
	bnd_cbs[i].aio_sigevent.sigev_notify = notify;
	bnd_cbs[i].aio_sigevent.sigev_notify_function = bnd_cb;
	bnd_cbs[i].aio_sigevent.sigev_value.sival_int = i;
}

/* Requests 0..BOUND-1 hold the bound: BOUND.. are refused. */
static int bound_refused(int fd, unsigned char (*bufs)[CHUNK])
{
	struct sigevent lsev;
	struct aiocb *list[1];
	int i = BOUND;

	/* aio_read: -1/EAGAIN, the aiocb says EAGAIN. */
	bnd_set(fd, bufs, i, SIGEV_THREAD);
	XT_ASSERT_ERRNO(aio_read(&bnd_cbs[i]), EAGAIN);
	XT_ASSERT_EQ(aio_error(&bnd_cbs[i]), EAGAIN);
	/* lio_listio, a member's SIGEV_THREAD: EAGAIN, the member too. */
	bnd_set(fd, bufs, ++i, SIGEV_THREAD);
	list[0] = &bnd_cbs[i];
	XT_ASSERT_ERRNO(lio_listio(LIO_NOWAIT, list, 1, NULL), EAGAIN);
	XT_ASSERT_EQ(aio_error(&bnd_cbs[i]), EAGAIN);
	/* lio_listio, the list's SIGEV_THREAD: EAGAIN, members untouched
	 * by the I/O but saying EAGAIN. */
	bnd_set(fd, bufs, ++i, SIGEV_NONE);
	memset(&lsev, 0, sizeof(lsev));
	lsev.sigev_notify = SIGEV_THREAD;
	lsev.sigev_notify_function = bnd_cb;
	lsev.sigev_value.sival_int = i;
	list[0] = &bnd_cbs[i];
	XT_ASSERT_ERRNO(lio_listio(LIO_NOWAIT, list, 1, &lsev), EAGAIN);
	XT_ASSERT_EQ(aio_error(&bnd_cbs[i]), EAGAIN);
	/* Other notifications are not bounded. */
	bnd_set(fd, bufs, ++i, SIGEV_NONE);
	XT_ASSERT_OK(aio_read(&bnd_cbs[i]));
	XT_ASSERT_EQ(xt_cb_poll(&bnd_cbs[i], 3000), 0);
	XT_ASSERT_EQ(aio_return(&bnd_cbs[i]), CHUNK);
	return XT_PASS;
}

/* Submits request i with SIGEV_THREAD, retrying EAGAIN up to 3 s (the
 * count goes down just after a callback returns). */
static int bound_again(int fd, unsigned char (*bufs)[CHUNK], int i)
{
	int64_t end = xt_now_ms() + 3000;

	bnd_set(fd, bufs, i, SIGEV_THREAD);
	while (aio_read(&bnd_cbs[i])) {
		XT_ASSERT_EQ(errno, EAGAIN);
		XT_ASSERT(xt_now_ms() < end);
		xt_sleep_ms(1);
	}
	return XT_PASS;
}

static int bound_child(void)
{
	static unsigned char bufs[2 * BOUND + 4][CHUNK];
	int fd, r = XT_PASS, held = 0;

	XT_ASSERT_OK(sem_init(&bnd_sem, 0, 0));
	atomic_store(&bnd_hold, 1);
	fd = xt_make_file("bound", (2 * BOUND + 4) * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	for (; held < BOUND && r == XT_PASS; held++) {
		bnd_set(fd, bufs, held, SIGEV_THREAD);
		if (aio_read(&bnd_cbs[held])) {
			fprintf(stderr, "request %d: %s\n", held,
				strerror(errno));
			r = XT_FAIL;
		}
	}
	for (int i = 0; i < held; i++)
		if (xt_cb_poll(&bnd_cbs[i], 3000))
			r = XT_FAIL;
	if (r == XT_PASS)
		r = bound_refused(fd, bufs);
	/* Let the callbacks return: the bound frees up again. */
	atomic_store(&bnd_hold, 0);
	for (int i = 0; i < held; i++)
		sem_post(&bnd_sem);
	XT_ASSERT_EQ(xt_wait_count(&bnd_returned, held, 5000), held);
	XT_ASSERT_EQ(r, XT_PASS);
	for (int i = BOUND + 4; i < 2 * BOUND + 4; i++)
		XT_ASSERT_EQ(bound_again(fd, bufs, i), XT_PASS);
	XT_ASSERT_EQ(xt_wait_count(&bnd_returned, 2 * BOUND, 5000), 2 * BOUND);
	xt_sleep_ms(50); /* a refused request's call would come by now */
	close(fd);
	for (int i = 0; i < 2 * BOUND + 4; i++) {
		int runs = i < BOUND || i >= BOUND + 4;

		if (ld(&bnd_calls[i]) != runs)
			fprintf(stderr, "request %d: %d calls\n", i,
				ld(&bnd_calls[i]));
		XT_ASSERT_EQ(ld(&bnd_calls[i]), runs);
	}
	sem_destroy(&bnd_sem);
	return XT_PASS;
}

/*
 * XAIO_NOTIFY_MAX=4 (read by a forked child's own notifier pool) and four
 * callbacks blocked: a fifth SIGEV_THREAD request is refused with EAGAIN
 * through aio_read and lio_listio (member or list sigevent), its callback
 * never runs, SIGEV_NONE still works; once the four return, four more are
 * accepted and run: nothing stays counted.
 */
static int notify_thread_bound(void)
{
	int r;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(setenv("XAIO_NOTIFY_MAX", "4", 1));
	r = xt_run_child(bound_child, 20000);
	unsetenv("XAIO_NOTIFY_MAX");
	return r;
}

/* ---- after SIGEV_THREAD: no library thread takes process signals ---- */

static atomic_int stray_count;
static atomic_int stray_tid;

static void stray_handler(int sig)
{
	(void)sig;
	atomic_store(&stray_tid, (int)gettid());
	atomic_fetch_add(&stray_count, 1);
}

static int mask_restored_body(int fd, int signo)
{
	static unsigned char buf[CHUNK];
	static struct aiocb cb;
	struct timespec ts = {0, 0};
	int64_t end;
	sigset_t set;
	siginfo_t si;
	int got;

	/* Notification threads have run (and had an empty mask). */
	atomic_store(&thr_calls, 0);
	xt_cb_set(&cb, fd, buf, CHUNK, 0);
	cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
	cb.aio_sigevent.sigev_notify_function = thr_cb;
	cb.aio_sigevent.sigev_value.sival_int = 0;
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_wait_count(&thr_calls, 1, 3000), 1);
	xt_sleep_ms(20);

	/* A process-directed completion signal, blocked only here. */
	xt_cb_set(&cb, fd, buf, CHUNK, CHUNK);
	cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb.aio_sigevent.sigev_signo = signo;
	cb.aio_sigevent.sigev_value.sival_int = 99;
	XT_ASSERT_OK(aio_read(&cb));
	XT_ASSERT_EQ(xt_cb_poll(&cb, 3000), 0);
	/*
	 * Not in sigtimedwait() while the signal is generated (a thread
	 * waiting in it is preferred): it is blocked here, so it either
	 * stays pending for the process or a thread that does not block it
	 * takes it.
	 */
	end = xt_now_ms() + 1000;
	while (!atomic_load(&stray_count) && xt_now_ms() < end) {
		sigpending(&set);
		if (sigismember(&set, signo) == 1)
			break;
		xt_sleep_ms(1);
	}
	sigemptyset(&set);
	sigaddset(&set, signo);
	got = sigtimedwait(&set, &si, &ts);
	if (atomic_load(&stray_count))
		fprintf(stderr,
			"the signal was taken by thread %d, which "
			"does not block it\n",
			atomic_load(&stray_tid));
	XT_ASSERT_EQ(ld(&stray_count), 0);
	XT_ASSERT_EQ(got, signo);
	XT_ASSERT_EQ(si.si_value.sival_int, 99);
	return XT_PASS;
}

/*
 * After SIGEV_THREAD callbacks (which run with an empty mask), a
 * process-directed completion signal that only the application thread
 * waits for still reaches it: no idle library thread accepts it.
 */
static int notify_thread_mask_restored(void)
{
	struct sigaction sa, old;
	sigset_t set, oldmask;
	int fd, r, signo = SIGRTMIN + 6;

	XT_REQUIRE_BACKEND();
	atomic_store(&stray_count, 0);
	fd = xt_make_file("restored", 2 * CHUNK, 0);
	XT_ASSERT(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stray_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(signo, &sa, &old);
	sigemptyset(&set);
	sigaddset(&set, signo);
	pthread_sigmask(SIG_BLOCK, &set, &oldmask);
	r = mask_restored_body(fd, signo);
	{
		struct timespec zero = {0, 0};

		while (sigtimedwait(&set, NULL, &zero) == signo)
			;
	}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	sigaction(signo, &old, NULL);
	close(fd);
	return r;
}

static struct xt_case cases[] = {
	{"notify_none", notify_none},
	{"notify_signal", notify_signal},
	{"notify_signo_zero", notify_signo_zero},
	{"notify_bad_signo", notify_bad_signo},
	{"notify_bad_notify", notify_bad_notify},
	{"notify_thread_id", notify_thread_id},
	{"notify_thread", notify_thread},
	{"notify_thread_mask_restored", notify_thread_mask_restored},
	{"notify_thread_joinable", notify_thread_joinable},
	{"notify_thread_rate", notify_thread_rate},
	{"notify_thread_blocked", notify_thread_blocked},
	{"notify_thread_exit", notify_thread_exit},
	{"notify_thread_bound", notify_thread_bound},
};

XT_MAIN(cases)
