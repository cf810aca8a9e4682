// SPDX-License-Identifier: MIT
/*
 * ring-cost: where the time of one read goes (a benchmark, not a test).
 * One thread does 4 KiB random reads, by default at queue depth 1 from a
 * file whose pages are in the page cache (or at another depth, and with
 * O_DIRECT: then each read goes to the device), through
 *
 *   fio-ring   a private ring set up as fio's io_uring engine sets up its
 *              own (1 SQE, IORING_SETUP_COOP_TASKRUN | SINGLE_ISSUER |
 *              DEFER_TASKRUN): the cheapest the kernel offers a program
 *              that owns its ring and is its only submitter;
 *   xaio-ring  a ring set up as xaio sets up its shared one (64 SQEs, 1024
 *              CQEs, SUBMIT_ALL, an eventfd registered): any thread may
 *              submit and any thread may reap, so SINGLE_ISSUER and
 *              DEFER_TASKRUN are out of reach;
 *   no-efd     the same without the eventfd (what the kernel's signalling
 *              of it costs per completion);
 *   user       xaio-ring plus USER_NS (env RING_COST_USER_NS, default 150)
 *              nanoseconds of busy work in user space per read, about what
 *              xaio's own code adds: how much a read's cost grows with the
 *              time its thread spends between system calls;
 *   posix      aio_read + aio_error + aio_return through libxaio-posix:
 *              by default the read is a page-cache hit done at once by
 *              preadv2(RWF_NOWAIT), no ring at all; with XAIO_NOWAIT=0 it
 *              goes through that same ring, plus the POSIX layer and the
 *              engine.
 *
 * fio-ring to xaio-ring is the price of a shared ring; xaio-ring to posix
 * with XAIO_NOWAIT=0 is the price of xaio's own code.  Each repetition
 * runs the variants one after another; the medians over the repetitions
 * are printed, with the ratios to fio-ring, and the medians of the ratios
 * to xaio-ring within each repetition (steadier when the machine's speed
 * drifts).  Each read is checked (4096 bytes returned).
 *
 * At a depth above 1 every variant keeps that many reads in flight: one
 * read per free slot, each submitted by its own system call, then take
 * what has completed, wait only when nothing has (the posix variant:
 * aio_read per free slot, aio_error on each in flight, aio_suspend when
 * none is done, as fio's posixaio engine does).
 *
 * Usage: ring-cost FILE [OPS [REPS [DEPTH [direct]]]]
 *   (FILE: at least 1 MiB, cached unless direct; DEPTH 1 to 64)
 */
#define _GNU_SOURCE
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "raw-ring.h"

#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

#define BS 4096
#define MAX_DEPTH 64 /* xaio-ring's SQ holds 64: a whole depth fits */
#define NVAR 5
#define NO_EFD 2
#define USER 3
#define POSIX 4

static const char *const names[NVAR] = {"fio-ring", "xaio-ring", "no-efd",
					"user", "posix"};

static int fd, nblocks, depth = 1;
static long user_ns = 150, user_iters; /* busy work per read (USER) */
static char *buf;
static uint64_t rng = 88172645463325252ull;

static off_t next_off(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (off_t)(rng % (uint64_t)nblocks) * BS;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/*
 * Sets up r for a variant (1 SQE per depth slot for fio-ring, as fio does;
 * 64 SQEs and 1024 CQEs as xaio's shared ring): its registered eventfd,
 * or -1.
 */
static int ring_open(struct raw_ring *r, unsigned entries, unsigned flags,
		     bool with_eventfd)
{
	int efd = -1;

	if (raw_ring_open(r, entries,
			  entries * (flags & IORING_SETUP_SUBMIT_ALL ? 16 : 2),
			  flags) < 0)
		die("io_uring_setup");
	if (with_eventfd) {
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd < 0 || syscall(__NR_io_uring_register, r->fd,
				       IORING_REGISTER_EVENTFD, &efd, 1) < 0)
			die("IORING_REGISTER_EVENTFD");
	}
	return efd;
}

/* Queues a read into slot (its own buffer) without entering the kernel. */
static void ring_prep(struct raw_ring *r, int slot)
{
	unsigned tail = *r->sq_tail;
	struct io_uring_sqe *sqe = &r->sqes[tail & *r->sq_mask];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)(buf + (size_t)slot * BS);
	sqe->len = BS;
	sqe->off = (uint64_t)next_off();
	sqe->user_data = (uint64_t)slot;
	r->sq_array[tail & *r->sq_mask] = tail & *r->sq_mask;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Busy work in user space, no memory touched but a stack counter. */
static void spin(long iters)
{
	for (volatile long i = 0; i < iters; i++)
		;
}

/* How many spin() iterations take user_ns (the fastest of five tries). */
static void calibrate(void)
{
	const long n = 10000000;
	double best = 0;

	for (int i = 0; i < 5; i++) {
		double t0 = now_ns(), t;

		spin(n);
		t = now_ns() - t0;
		if (!best || t < best)
			best = t;
	}
	user_iters = (long)(user_ns * n / best);
}

static void check(long res)
{
	if (res != BS) {
		fprintf(stderr, "read returned %ld\n", res);
		exit(1);
	}
}

/*
 * ops reads with `depth` in flight: a read for every free slot, each
 * submitted by its own system call as aio_read must (GETEVENTS with no
 * minimum: a DEFER_TASKRUN ring posts its completions only then), then
 * reap what has completed, and wait in the kernel only when nothing has.
 * Batching several reads per system call would also save the device
 * notification per read, which POSIX AIO cannot (one aio_read, one read).
 */
static void ring_reads(struct raw_ring *r, long ops, long busy)
{
	int free_slots[MAX_DEPTH], nfree = depth;
	long issued = 0, done = 0;

	for (int i = 0; i < depth; i++)
		free_slots[i] = i;
	while (done < ops) {
		unsigned head, tail;

		while (nfree && issued < ops) {
			ring_prep(r, free_slots[--nfree]);
			issued++;
			spin(busy);
			if (syscall(__NR_io_uring_enter, r->fd, 1, 0,
				    IORING_ENTER_GETEVENTS, NULL, 0) != 1)
				die("io_uring_enter");
		}
		head = *r->cq_head;
		while ((tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) ==
		       head)
			if (syscall(__NR_io_uring_enter, r->fd, 0, 1,
				    IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
			    errno != EINTR)
				die("io_uring_enter(GETEVENTS)");
		for (; head != tail; head++) {
			struct io_uring_cqe *cqe = &r->cqes[head & *r->cq_mask];

			check(cqe->res);
			free_slots[nfree++] = (int)cqe->user_data;
			done++;
		}
		__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	}
}

/*
 * The same through POSIX AIO, as fio's posixaio engine runs it: submit
 * into every free slot, collect what aio_error says is done, and wait in
 * aio_suspend only when nothing is.
 */
static void posix_reads(long ops)
{
	static struct aiocb cbs[MAX_DEPTH];
	const struct aiocb *list[MAX_DEPTH];
	bool busy[MAX_DEPTH] = {false};
	long issued = 0, done = 0;

	while (done < ops) {
		int n = 0, got = 0;

		for (int i = 0; i < depth && issued < ops; i++) {
			if (busy[i])
				continue;
			memset(&cbs[i], 0, sizeof(cbs[i]));
			cbs[i].aio_fildes = fd;
			cbs[i].aio_buf = buf + (size_t)i * BS;
			cbs[i].aio_nbytes = BS;
			cbs[i].aio_offset = next_off();
			cbs[i].aio_sigevent.sigev_notify = SIGEV_NONE;
			if (aio_read(&cbs[i]))
				die("aio_read");
			busy[i] = true;
			issued++;
		}
		for (int i = 0; i < depth; i++) {
			if (!busy[i])
				continue;
			if (aio_error(&cbs[i]) == EINPROGRESS) {
				list[n++] = &cbs[i];
				continue;
			}
			check(aio_return(&cbs[i]));
			busy[i] = false;
			done++;
			got++;
		}
		if (!got && n)
			aio_suspend(list, n, NULL);
	}
}

static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

/* Runs variant v for ops reads: wall and CPU nanoseconds per read. */
static void run(int v, long ops, double *wall, double *cpu)
{
	struct raw_ring r;
	double t0, c0;
	int efd = -1;

	if (v == 0)
		efd = ring_open(&r, (unsigned)depth,
				IORING_SETUP_COOP_TASKRUN |
					IORING_SETUP_SINGLE_ISSUER |
					IORING_SETUP_DEFER_TASKRUN,
				false);
	else if (v < POSIX)
		efd = ring_open(&r, 64, IORING_SETUP_SUBMIT_ALL, v != NO_EFD);
	t0 = now_ns();
	c0 = cpu_ns();
	if (v == POSIX)
		posix_reads(ops);
	else
		ring_reads(&r, ops, v == USER ? user_iters : 0);
	*cpu = (cpu_ns() - c0) / ops;
	*wall = (now_ns() - t0) / ops;
	if (v < POSIX) {
		raw_ring_close(&r);
		if (efd >= 0)
			close(efd);
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	long ops = argc > 2 ? atol(argv[2]) : 1000000;
	int reps = argc > 3 ? atoi(argv[3]) : 5;
	double wall[NVAR][64], cpu[NVAR][64], mw[NVAR], mc[NVAR];
	double within[NVAR][64], mwithin[NVAR];
	const char *env = getenv("RING_COST_USER_NS");
	bool direct = argc > 5 && !strcmp(argv[5], "direct");
	struct stat st;

	depth = argc > 4 ? atoi(argv[4]) : 1;
	if (argc < 2 || ops <= 0 || reps <= 0 || reps > 64 || depth < 1 ||
	    depth > MAX_DEPTH || (argc > 5 && !direct)) {
		fprintf(stderr, "usage: ring-cost FILE [OPS [REPS<=64 "
				"[DEPTH<=64 [direct]]]]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | (direct ? O_DIRECT : 0));
	if (fd < 0 || fstat(fd, &st) < 0)
		die(argv[1]);
	nblocks = (int)(st.st_size / BS);
	if (nblocks < 256) {
		fprintf(stderr, "%s: smaller than 1 MiB\n", argv[1]);
		return 2;
	}
	if (posix_memalign((void **)&buf, BS, (size_t)depth * BS))
		die("posix_memalign");
	if (env && (user_ns = atol(env)) < 0) {
		fprintf(stderr, "RING_COST_USER_NS: want nanoseconds >= 0\n");
		return 2;
	}
	calibrate();
	for (int v = 0; v < NVAR; v++) /* warm-up: ring set-up, engine start */
		run(v, ops / 10 + 1, &wall[v][0], &cpu[v][0]);
	for (int i = 0; i < reps; i++)
		for (int v = 0; v < NVAR; v++)
			run(v, ops, &wall[v][i], &cpu[v][i]);
	for (int v = 0; v < NVAR; v++) { /* before median() sorts wall[] */
		for (int i = 0; i < reps; i++)
			within[v][i] = wall[v][i] / wall[1][i];
		mwithin[v] = median(within[v], reps);
	}
	printf("| variant | ns/read (wall) | ratio | CPU ns/read | ratio |\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (int v = 0; v < NVAR; v++) {
		mw[v] = median(wall[v], reps);
		mc[v] = median(cpu[v], reps);
		printf("| %s", names[v]);
		if (v == USER)
			printf(" (+%ld ns)", user_ns);
		printf(" | %.0f | %.2f | %.0f | %.2f |\n", mw[v], mw[v] / mw[0],
		       mc[v], mc[v] / mc[0]);
	}
	printf("\n%ld reads per run, depth %d%s, %d runs per variant, "
	       "medians; IOPS ratio to fio-ring: xaio-ring %.2f, posix %.2f\n",
	       ops, depth, direct ? ", O_DIRECT" : "", reps, mw[0] / mw[1],
	       mw[0] / mw[POSIX]);
	printf("within each repetition, median ratio to xaio-ring (wall): "
	       "user %.3f, posix %.3f\n",
	       mwithin[USER], mwithin[POSIX]);
	return 0;
}
