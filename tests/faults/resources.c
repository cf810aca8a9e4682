// SPDX-License-Identifier: MIT
/*
 * Resource exhaustion: memory, descriptors, threads.
 *
 * Memory.  This program defines malloc, calloc, realloc and free (exported
 * with -rdynamic, so libxaio-posix and libc bind to them); they forward to
 * the next definition (libc's, or the sanitizer's) unless `fail_alloc` is
 * set, when every allocation made by the thread that set it fails.  Other
 * threads allocate normally: one the library starts meanwhile (the
 * notifier) runs the sanitizer's start-up, which must not fail.  In a fresh
 * process (re-executed: no request pool yet, no engine) with allocations
 * failing:
 *  - aio_read returns -1/EAGAIN, aio_error reports EAGAIN on that aiocb,
 *    aio_return -1; once allocations work again the same aiocb submits and
 *    completes;
 *  - a SIGEV_THREAD request and lio_listio (LIO_WAIT, and LIO_NOWAIT with a
 *    SIGEV_THREAD list notification) return -1/EAGAIN, and nothing is
 *    notified; afterwards both work;
 *  - each member of the refused lio_listio says so: aio_error EAGAIN, as
 *    POSIX asks ("the application may check the error status for each
 *    aiocb to determine the individual request(s) that failed");
 *  - in an XAIO_BACKEND=uring run, the failure of the first request does
 *    not cost the process its io_uring: later requests run on a ring.
 *
 * Descriptors.  With RLIMIT_NOFILE exhausted (filler descriptors up to
 * EMFILE): a regular-file read still completes (on the thread pool it runs
 * on the caller's descriptor, which stays open); a write to a full pipe
 * runs (the lane's head); a second write to that pipe, which xaio holds
 * behind the first and must give a private dup, fails at submission with
 * -1/EAGAIN (aio_error EAGAIN, never notified); after the fillers are
 * closed it submits, and the pipe receives both writes in order.
 *
 * Threads.  As uid 65534 with RLIMIT_NPROC 1, below the task count that
 * uid has (this process at least), so pthread_create fails (checked
 * first; the case skips otherwise): with XAIO_BACKEND=threads
 * aio_read returns -1/EAGAIN (no worker can start) and works once the
 * limit is raised; with XAIO_BACKEND=uring a regular-file read works, and
 * a SIGEV_SIGNAL request is either refused with EAGAIN or notified even
 * though no thread waits for it; and with XAIO_SQPOLL set, the kernel
 * refuses the ring's submission thread and a read runs on a ring without
 * one.
 */
#include <aio.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "faults.h"

#define BLK 4096

/* --- the allocator --- */

/* The build hides symbols by default: these must interpose. */
#define FX_EXPORT __attribute__((visibility("default")))

static atomic_int fail_alloc;
static _Atomic pthread_t fail_thread; /* the thread whose allocations fail */
static atomic_long nfailed;
static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static atomic_int resolved, resolving;

/*
 * The allocator runs before the sanitizer runtime is initialised (ASan's
 * own start-up allocates through dlsym), so it must not be instrumented.
 */
#define NOSAN __attribute__((no_sanitize_address))

/* Serves the allocations dlsym() itself makes while we resolve. */
static _Alignas(16) char boot[1 << 16];
static atomic_size_t boot_used;

NOSAN static void *boot_alloc(size_t n)
{
	size_t sz = (n + 15) & ~(size_t)15;
	size_t off = atomic_fetch_add(&boot_used, sz + 16);

	if (off + sz + 16 > sizeof(boot))
		return NULL;
	memcpy(boot + off, &n, sizeof(n));
	return boot + off + 16;
}

NOSAN static int in_boot(const void *p)
{
	return (const char *)p >= boot && (const char *)p < boot + sizeof(boot);
}

NOSAN static int resolve(void)
{
	if (atomic_load(&resolved))
		return 1;
	if (atomic_exchange(&resolving, 1))
		return 0; /* inside dlsym: use the boot arena */
	next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	atomic_store(&resolved, 1);
	return 1;
}

NOSAN static int failing(void)
{
	if (!atomic_load_explicit(&fail_alloc, memory_order_relaxed) ||
	    !pthread_equal(pthread_self(), atomic_load(&fail_thread)))
		return 0;
	atomic_fetch_add(&nfailed, 1);
	errno = ENOMEM;
	return 1;
}

NOSAN FX_EXPORT void *malloc(size_t n)
{
	if (!resolve())
		return boot_alloc(n);
	if (failing())
		return NULL;
	return next_malloc(n);
}

NOSAN FX_EXPORT void *calloc(size_t n, size_t size)
{
	if (!resolve())
		return boot_alloc(n * size); /* the arena is zeroed */
	if (failing())
		return NULL;
	return next_calloc(n, size);
}

NOSAN FX_EXPORT void *realloc(void *p, size_t n)
{
	if (p && in_boot(p)) {
		size_t old;
		void *q = malloc(n);

		memcpy(&old, (char *)p - 16, sizeof(old));
		if (q)
			memcpy(q, p, old < n ? old : n);
		return q;
	}
	if (!resolve())
		return boot_alloc(n);
	if (failing())
		return NULL;
	return next_realloc(p, n);
}

NOSAN FX_EXPORT void free(void *p)
{
	if (!p || in_boot(p))
		return;
	if (resolve())
		next_free(p);
}

static void set_fail(int on)
{
	atomic_store(&fail_thread, pthread_self());
	atomic_store(&fail_alloc, on);
}

/* --- memory: child modes (a fresh process each) --- */

static int check_read(struct aiocb *cb, const unsigned char *buf, off_t off)
{
	unsigned char want[BLK];

	XT_ASSERT_EQ(fx_wait(cb, 5000), 0);
	XT_ASSERT_EQ(aio_error(cb), 0);
	XT_ASSERT_EQ(aio_return(cb), BLK);
	xt_fill_pattern(want, BLK, (uint64_t)off);
	XT_ASSERT_MEM_EQ(buf, want, BLK);
	return XT_PASS;
}

/*
 * lio_listio takes its first 64 lists in flight from a static set (a
 * handler that interrupted malloc may call it), so a list needs memory
 * only beyond those: hold them all with one-byte reads of an empty pipe.
 */
#define SPARE_LISTS 64
static struct aiocb spare_cbs[SPARE_LISTS];
static unsigned char spare_buf[SPARE_LISTS];
static int spare_pipe[2];

static int hold_spare_lists(void)
{
	XT_ASSERT_OK(pipe(spare_pipe));
	for (int i = 0; i < SPARE_LISTS; i++) {
		struct aiocb *one[1] = {&spare_cbs[i]};

		xt_cb_set_op(&spare_cbs[i], LIO_READ, spare_pipe[0],
			     &spare_buf[i], 1, 0);
		XT_ASSERT_OK(lio_listio(LIO_NOWAIT, one, 1, NULL));
	}
	return XT_PASS;
}

static int release_spare_lists(void)
{
	unsigned char ones[SPARE_LISTS];

	memset(ones, 1, sizeof(ones));
	XT_ASSERT_EQ(write(spare_pipe[1], ones, sizeof(ones)), SPARE_LISTS);
	for (int i = 0; i < SPARE_LISTS; i++)
		XT_ASSERT_EQ(xt_cb_wait(&spare_cbs[i], 5000), 0);
	close(spare_pipe[0]);
	close(spare_pipe[1]);
	return XT_PASS;
}

/* Child mode "malloc": single requests and lists while malloc fails. */
static int child_malloc(void)
{
	static unsigned char buf[BLK], tbuf[BLK], lbuf[2][BLK];
	static struct aiocb cb, tcb, l[2];
	struct aiocb *list[2] = {&l[0], &l[1]};
	struct sigevent lsev;
	int fd, base, r, e, ae, rings;
	long before;
	ssize_t ar;

	base = xt_count_fds();
	fd = xt_make_file("m", 8 * BLK, O_CLOEXEC);
	XT_ASSERT(fd >= 0);
	fx_notes_reset();

	/* A fresh process: the engine and the pool do not exist yet. */
	xt_cb_set_op(&cb, LIO_READ, fd, buf, BLK, 0);
	before = atomic_load(&nfailed);
	set_fail(1);
	errno = 0;
	r = aio_read(&cb);
	e = errno;
	ae = aio_error(&cb);
	ar = aio_return(&cb);
	set_fail(0);
	XT_ASSERT_GT(atomic_load(&nfailed), before); /* it did allocate */
	XT_ASSERT_EQ(r, -1);
	XT_ASSERT_EQ(e, EAGAIN);
	XT_ASSERT_EQ(ae, EAGAIN);
	XT_ASSERT_EQ(ar, -1);
	/* The same aiocb, allocations working again. */
	XT_ASSERT_OK(aio_read(&cb));
	if (check_read(&cb, buf, 0))
		return XT_FAIL;

	/* SIGEV_THREAD needs a node (and the notifier thread). */
	xt_cb_set_op(&tcb, LIO_READ, fd, tbuf, BLK, BLK);
	fx_sev_thread(&tcb.aio_sigevent, 0);
	set_fail(1);
	errno = 0;
	r = aio_read(&tcb);
	e = errno;
	ae = aio_error(&tcb);
	set_fail(0);
	XT_ASSERT_EQ(r, -1);
	XT_ASSERT_EQ(e, EAGAIN);
	XT_ASSERT_EQ(ae, EAGAIN);
	XT_ASSERT_EQ(aio_return(&tcb), -1);
	xt_sleep_ms(30);
	XT_ASSERT_EQ(fx_note_count(0), 0);
	XT_ASSERT_OK(aio_read(&tcb));
	if (check_read(&tcb, tbuf, BLK))
		return XT_FAIL;

	/* lio_listio, both modes. */
	XT_ASSERT_EQ(hold_spare_lists(), XT_PASS);
	for (int i = 0; i < 2; i++) {
		xt_cb_set_op(&l[i], LIO_READ, fd, lbuf[i], BLK,
			     (off_t)(2 + i) * BLK);
		fx_sev_signal(&l[i].aio_sigevent, 1 + i);
	}
	set_fail(1);
	errno = 0;
	r = lio_listio(LIO_WAIT, list, 2, NULL);
	e = errno;
	set_fail(0);
	XT_ASSERT_EQ(r, -1);
	XT_ASSERT_EQ(e, EAGAIN);
	fx_sev_thread(&lsev, 3);
	set_fail(1);
	errno = 0;
	r = lio_listio(LIO_NOWAIT, list, 2, &lsev);
	e = errno;
	set_fail(0);
	XT_ASSERT_EQ(r, -1);
	XT_ASSERT_EQ(e, EAGAIN);
	xt_sleep_ms(30);
	for (int i = 1; i <= 3; i++)
		XT_ASSERT_EQ(fx_note_count(i), 0);
	/* Whatever they say, nothing of them may be in flight now. */
	for (int i = 0; i < 2; i++)
		XT_ASSERT_NE(aio_error(&l[i]), EINPROGRESS);
	XT_ASSERT_EQ(release_spare_lists(), XT_PASS);
	XT_ASSERT_OK(lio_listio(LIO_WAIT, list, 2, NULL));
	for (int i = 0; i < 2; i++)
		if (check_read(&l[i], lbuf[i], (off_t)(2 + i) * BLK))
			return XT_FAIL;
	XT_ASSERT_EQ(fx_notes_expect(3, 5000), 0);

	close(fd);
	rings = xt_count_rings();
	printf("rings=%d\n", rings);
	XT_ASSERT_EQ(xt_count_fds(), base + xt_count_engine_fds());
	return XT_PASS;
}

/* Child mode "malloc_lio": a refused list's members report EAGAIN. */
static int child_malloc_lio(void)
{
	static unsigned char lbuf[2][BLK];
	static struct aiocb l[2];
	struct aiocb *list[2] = {&l[0], &l[1]};
	int fd, r, e, ae[2];
	ssize_t ar[2];

	fd = xt_make_file("m", 4 * BLK, O_CLOEXEC);
	XT_ASSERT(fd >= 0);
	XT_ASSERT_OK(fx_warm()); /* the engine and the pool exist */
	XT_ASSERT_EQ(hold_spare_lists(), XT_PASS);
	for (int i = 0; i < 2; i++)
		xt_cb_set_op(&l[i], LIO_READ, fd, lbuf[i], BLK, (off_t)i * BLK);
	set_fail(1);
	errno = 0;
	r = lio_listio(LIO_WAIT, list, 2, NULL);
	e = errno;
	for (int i = 0; i < 2; i++) {
		ae[i] = aio_error(&l[i]);
		ar[i] = aio_return(&l[i]);
	}
	set_fail(0);
	XT_ASSERT_EQ(r, -1);
	XT_ASSERT_EQ(e, EAGAIN);
	for (int i = 0; i < 2; i++) {
		if (ae[i] != EAGAIN)
			fprintf(stderr,
				"member %d of the refused list: "
				"aio_error %d (%s), aio_return %zd\n",
				i, ae[i], strerror(ae[i]), ar[i]);
		XT_ASSERT_EQ(ae[i], EAGAIN);
		XT_ASSERT_EQ(ar[i], -1);
	}
	close(fd);
	return release_spare_lists();
}

static int child_main(const char *mode)
{
	if (!strcmp(mode, "malloc"))
		return child_malloc();
	if (!strcmp(mode, "malloc_lio"))
		return child_malloc_lio();
	fprintf(stderr, "unknown child mode %s\n", mode);
	return XT_FAIL;
}

FX_CHILD_MAIN(child_main)

static int run_mode(struct fx_proc *p, const char *mode, const char *const *env)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->env = env;
	p->timeout_ms = 10000;
	if (fx_run(p))
		return XT_FAIL;
	return fx_verdict(p);
}

/* Allocation failure in a fresh process: EAGAIN, then normal service. */
static int resources_malloc_fresh(void)
{
	struct fx_proc p;

	XT_REQUIRE_BACKEND();
	return run_mode(&p, "malloc", NULL);
}

/* The members of a list refused for memory say EAGAIN. */
static int resources_malloc_lio_members(void)
{
	struct fx_proc p;

	XT_REQUIRE_BACKEND();
	return run_mode(&p, "malloc_lio", NULL);
}

/* uring run: a failed first request does not give up io_uring for good. */
static int resources_malloc_keeps_uring(void)
{
	static const char *const env[] = {"XAIO_VERBOSE=1", NULL};
	struct fx_report r;
	struct fx_proc p;
	int res;

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(strcmp(xt_backend(), "uring"),
		   "only in an XAIO_BACKEND=uring run");
	res = run_mode(&p, "malloc", env);
	if (res != XT_PASS)
		return res;
	if (fx_parse_report(p.err, &r)) {
		fprintf(stderr, "no XAIO_VERBOSE line in:\n%s", p.err);
		return XT_FAIL;
	}
	if (strcmp(r.backend, "io_uring"))
		fprintf(stderr,
			"after one request refused for lack of memory "
			"the process runs on: backend %s (%s)\n",
			r.backend, r.reason);
	XT_ASSERT(!strcmp(r.backend, "io_uring"));
	XT_ASSERT(strstr(p.out, "rings=1"));
	return XT_PASS;
}

/* --- descriptors --- */

static int nofile_child(void *arg)
{
	static unsigned char rbuf[BLK], w1buf[BLK], w2buf[BLK];
	static unsigned char got[1 << 20];
	static struct aiocb r, w1, w2;
	static int fillers[4096];
	struct rlimit old, lim;
	int fd, p[2], base, nfill = 0, r2, e2;
	size_t filled, len = 0;
	ssize_t n;

	(void)arg;
	XT_ASSERT_OK(fx_warm());
	base = xt_count_fds();
	fx_notes_reset();
	fd = xt_make_file("nofile", 4 * BLK, O_CLOEXEC);
	XT_ASSERT(fd >= 0);
	XT_ASSERT_OK(pipe2(p, O_CLOEXEC));
	if (fx_fill_pipe(p[1], &filled))
		return XT_FAIL;

	/* Every descriptor taken. */
	XT_ASSERT_OK(getrlimit(RLIMIT_NOFILE, &old));
	lim = old;
	lim.rlim_cur = (rlim_t)xt_count_fds() + 64;
	XT_ASSERT_OK(setrlimit(RLIMIT_NOFILE, &lim));
	for (;;) {
		int f = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (f < 0) {
			XT_ASSERT_EQ(errno, EMFILE);
			break;
		}
		XT_ASSERT_LT(nfill, 4096);
		fillers[nfill++] = f;
	}
	XT_ASSERT_ERRNO(fcntl(fd, F_DUPFD_CLOEXEC, 0), EMFILE);

	/* A regular-file read needs no descriptor of its own. */
	xt_cb_set_op(&r, LIO_READ, fd, rbuf, BLK, BLK);
	fx_sev_signal(&r.aio_sigevent, 0);
	XT_ASSERT_OK(aio_read(&r));
	if (check_read(&r, rbuf, BLK))
		return XT_FAIL;
	XT_ASSERT(fcntl(fd, F_GETFD) >= 0); /* still the caller's, open */

	/* The lane's head runs; the write behind it needs a dup: EAGAIN. */
	memset(w1buf, '1', BLK);
	memset(w2buf, '2', BLK);
	xt_cb_set_op(&w1, LIO_WRITE, p[1], w1buf, BLK, 0);
	fx_sev_signal(&w1.aio_sigevent, 1);
	XT_ASSERT_OK(aio_write(&w1));
	xt_cb_set_op(&w2, LIO_WRITE, p[1], w2buf, BLK, 0);
	fx_sev_signal(&w2.aio_sigevent, 100);
	errno = 0;
	r2 = aio_write(&w2);
	e2 = errno;
	if (r2 == 0)
		fprintf(stderr, "a write held behind another was accepted "
				"with no descriptor left for its dup\n");
	XT_ASSERT_EQ(r2, -1);
	XT_ASSERT_EQ(e2, EAGAIN);
	XT_ASSERT_EQ(aio_error(&w2), EAGAIN);
	XT_ASSERT_EQ(aio_return(&w2), -1);
	XT_ASSERT_EQ(aio_error(&w1), EINPROGRESS);

	/* Descriptors back: the same aiocb submits (held behind w1). */
	for (int i = 0; i < nfill; i++)
		close(fillers[i]);
	XT_ASSERT_OK(setrlimit(RLIMIT_NOFILE, &old));
	fx_sev_signal(&w2.aio_sigevent, 2);
	XT_ASSERT_OK(aio_write(&w2));
	XT_ASSERT_EQ(aio_error(&w1), EINPROGRESS);

	/* Drain: the filler bytes, then w1, then w2. */
	while (len < filled + 2 * BLK &&
	       (n = read(p[0], got + len, sizeof(got) - len)) > 0)
		len += (size_t)n;
	XT_ASSERT_EQ(len, filled + 2 * BLK);
	XT_ASSERT_MEM_EQ(got + filled, w1buf, BLK);
	XT_ASSERT_MEM_EQ(got + filled + BLK, w2buf, BLK);
	XT_ASSERT_EQ(fx_wait(&w1, 5000), 0);
	XT_ASSERT_EQ(fx_wait(&w2, 5000), 0);
	XT_ASSERT_EQ(aio_error(&w1), 0);
	XT_ASSERT_EQ(aio_return(&w1), BLK);
	XT_ASSERT_EQ(aio_error(&w2), 0);
	XT_ASSERT_EQ(aio_return(&w2), BLK);
	XT_ASSERT(fcntl(p[1], F_GETFD) >= 0);

	XT_ASSERT_EQ(fx_notes_expect(3, 5000), 0);
	XT_ASSERT_EQ(fx_note_count(100), 0);
	close(p[0]);
	close(p[1]);
	close(fd);
	XT_ASSERT_EQ(xt_count_fds(), base);
	return XT_PASS;
}

/* RLIMIT_NOFILE exhausted: what needs no dup works, what does fails. */
static int resources_nofile(void)
{
	struct fx_proc p;

	XT_REQUIRE_BACKEND();
	memset(&p, 0, sizeof(p));
	p.fn = nofile_child;
	p.timeout_ms = 10000;
	XT_ASSERT_OK(fx_run(&p));
	return fx_verdict(&p);
}

/* --- threads --- */

static void *noop(void *arg)
{
	return arg;
}

/*
 * As uid 65534 with RLIMIT_NPROC 1: that uid already has at least one task
 * (this one), so no thread can be created, whatever other processes of
 * that uid come and go.  0, or XT_SKIP with the reason.
 */
static int limit_threads(struct rlimit *old)
{
	struct rlimit lim;
	pthread_t t;
	int r;

	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0) {
		fprintf(stderr, "skip: cannot become uid 65534: %s\n",
			strerror(errno));
		return XT_SKIP;
	}
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* /proc/self/fd readable */
	if (getrlimit(RLIMIT_NPROC, old) < 0)
		return XT_FAIL;
	lim = *old;
	lim.rlim_cur = 1;
	if (setrlimit(RLIMIT_NPROC, &lim) < 0) {
		fprintf(stderr, "skip: setrlimit(RLIMIT_NPROC, 1): %s\n",
			strerror(errno));
		return XT_SKIP;
	}
	r = pthread_create(&t, NULL, noop, NULL);
	if (r == 0) {
		pthread_join(t, NULL);
		fprintf(stderr, "skip: RLIMIT_NPROC 1 does not stop "
				"pthread_create for uid 65534 here\n");
		return XT_SKIP;
	}
	if (r != EAGAIN) {
		fprintf(stderr, "skip: pthread_create: %s\n", strerror(r));
		return XT_SKIP;
	}
	return 0;
}

static int nproc_child(void *arg)
{
	static unsigned char buf[BLK];
	static struct aiocb cb;
	struct rlimit old;
	int fd = *(int *)arg, base, r, e;

	r = limit_threads(&old);
	if (r)
		return r;
	/* A cached read would be done at once, needing no worker. */
	setenv("XAIO_NOWAIT", "0", 1);
	base = xt_count_fds();
	xt_cb_set_op(&cb, LIO_READ, fd, buf, BLK, 2 * BLK);
	errno = 0;
	r = aio_read(&cb);
	e = errno;
	if (!strcmp(xt_backend(), "threads")) {
		if (r == 0) {
			int done = fx_wait(&cb, 3000);

			fprintf(stderr,
				"aio_read accepted a request no worker "
				"can run; %s: aio_error %d (%s)\n",
				done ? "still in progress after 3 s"
				     : "it completed",
				aio_error(&cb), strerror(aio_error(&cb)));
		}
		XT_ASSERT_EQ(r, -1);
		XT_ASSERT_EQ(e, EAGAIN);
		XT_ASSERT_EQ(aio_error(&cb), EAGAIN);
		XT_ASSERT_EQ(aio_return(&cb), -1);
		/* The limit lifted: the same aiocb runs. */
		old.rlim_cur = old.rlim_max;
		XT_ASSERT_OK(setrlimit(RLIMIT_NPROC, &old));
		XT_ASSERT_OK(aio_read(&cb));
	} else {
		XT_ASSERT_EQ(r, 0);
	}
	if (check_read(&cb, buf, 2 * BLK))
		return XT_FAIL;
	XT_ASSERT_EQ(xt_count_fds(), base + xt_count_engine_fds());
	return XT_PASS;
}

static int nproc_case(int (*fn)(void *))
{
	struct fx_proc p;
	int fd;

	XT_SKIP_IF(geteuid() != 0, "changing uid needs root");
	fd = xt_make_file("nproc", 4 * BLK, O_CLOEXEC);
	XT_ASSERT(fd >= 0);
	memset(&p, 0, sizeof(p));
	p.fn = fn;
	p.arg = &fd;
	p.timeout_ms = 10000;
	XT_ASSERT_OK(fx_run(&p));
	close(fd);
	return fx_verdict(&p);
}

/* No thread can be created: threads refuse at once, io_uring works. */
static int resources_nproc(void)
{
	XT_REQUIRE_BACKEND();
	return nproc_case(nproc_child);
}

static int nproc_notify_child(void *arg)
{
	static unsigned char buf[BLK];
	static struct aiocb cb;
	struct rlimit old;
	int fd = *(int *)arg, r, e;
	int64_t end;

	r = limit_threads(&old);
	if (r)
		return r;
	fx_notes_reset();
	xt_cb_set_op(&cb, LIO_READ, fd, buf, BLK, BLK);
	fx_sev_signal(&cb.aio_sigevent, 0);
	errno = 0;
	r = aio_read(&cb);
	e = errno;
	if (r < 0) {
		/* Refused: acceptable, if it says EAGAIN and stays quiet. */
		XT_ASSERT_EQ(e, EAGAIN);
		XT_ASSERT_EQ(aio_error(&cb), EAGAIN);
		xt_sleep_ms(30);
		XT_ASSERT_EQ(fx_note_count(0), 0);
		return XT_PASS;
	}
	/* Accepted: the signal must come with nobody calling aio_*. */
	end = xt_now_ms() + 2000;
	while (!fx_note_count(0) && xt_now_ms() < end)
		xt_sleep_ms(1);
	if (!fx_note_count(0))
		fprintf(stderr, "accepted SIGEV_SIGNAL request not notified "
				"in 2 s while nobody waits (no thread can be "
				"started)\n");
	XT_ASSERT_EQ(fx_note_count(0), 1);
	XT_ASSERT_EQ(aio_error(&cb), 0);
	return check_read(&cb, buf, BLK);
}

/* No thread can be created: a notified request is refused or notified. */
static int resources_nproc_notify(void)
{
	XT_REQUIRE_BACKEND();
	return nproc_case(nproc_notify_child);
}

/*
 * XAIO_SQPOLL when no thread can be created: the kernel refuses the ring's
 * submission thread, and the requests run on a ring without one.
 */
static int nproc_sqpoll_child(void *arg)
{
	static unsigned char buf[BLK];
	static struct aiocb cb;
	struct rlimit old;
	int fd = *(int *)arg, r;

	r = limit_threads(&old);
	if (r)
		return r;
	setenv("XAIO_SQPOLL", "10", 1);
	setenv("XAIO_NOWAIT", "0", 1); /* through the ring */
	xt_cb_set_op(&cb, LIO_READ, fd, buf, BLK, BLK);
	XT_ASSERT_OK(aio_read(&cb));
	if (check_read(&cb, buf, BLK))
		return XT_FAIL;
	XT_ASSERT_EQ(xt_count_rings(), 1);
	XT_ASSERT_EQ(xt_count_threads_named("iou-sqp"), 0);
	return XT_PASS;
}

/* io_uring_setup refuses SQPOLL alone: the ring runs without it. */
static int resources_nproc_sqpoll(void)
{
	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(strcmp(xt_backend(), "uring"),
		   "only in an XAIO_BACKEND=uring run");
	return nproc_case(nproc_sqpoll_child);
}

static const struct xt_case cases[] = {
	{"resources_malloc_fresh", resources_malloc_fresh},
	{"resources_malloc_lio_members", resources_malloc_lio_members},
	{"resources_malloc_keeps_uring", resources_malloc_keeps_uring},
	{"resources_nofile", resources_nofile},
	{"resources_nproc", resources_nproc},
	{"resources_nproc_notify", resources_nproc_notify},
	{"resources_nproc_sqpoll", resources_nproc_sqpoll},
};

XT_MAIN(cases)
