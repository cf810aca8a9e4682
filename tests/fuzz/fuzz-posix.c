// SPDX-License-Identifier: MIT
/*
 * fuzz-posix: a fuzz target over the POSIX AIO entry points.
 *
 * The input is a little program: each step picks an entry point (aio_read,
 * aio_write, aio_readv, aio_writev, aio_fsync, aio_error, aio_return,
 * aio_cancel, aio_suspend, lio_listio, aio_waitcomplete) and fills every
 * aiocb field, opcode, sigevent, timeout and list shape from the input
 * bytes: descriptors (files, /dev/null, /dev/zero, a pipe, -1, closed and
 * huge numbers), offsets (negative, huge), lengths (0 to 2^64-1), opcodes
 * (valid, glibc-internal 3 and 4, garbage), notification kinds and signal
 * numbers (valid, 0, out of range), timeouts (valid, negative, bad
 * tv_nsec), list lengths (negative, empty, NULL entries).
 *
 * Invariants checked (abort() on violation, which the fuzzer reports):
 *  - every call returns what POSIX allows (0 or -1 with a listed errno);
 *  - after the step list, every submitted request completes (drained with
 *    a deadline: a hang is a failure), with an aio_error in the allowed
 *    set and aio_return consistent with it;
 *  - every request's notification is delivered exactly once (under TSan,
 *    which can merge signals, at most once).
 * The pipe lives as long as the process and a harness thread keeps
 * emptying it, so every write to it finishes and an untimed wait
 * (aio_suspend with no timeout, lio_listio LIO_WAIT) on a pipe write
 * returns: without it such a wait would hang by design, not by a fault of
 * xaio.
 * Buffers live in one mapping followed by a PROT_NONE guard page, so a
 * huge length makes the kernel stop at the guard (EFAULT or a short count)
 * instead of corrupting the process.
 *
 * Built with libFuzzer (clang -fsanitize=fuzzer) or, without it, as a
 * program that replays corpus files given on the command line.
 */
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "xaio/posix.h"

#define NCB 8
#define BUFSZ 65536
#define SIG (SIGRTMIN + 3)

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

static struct aiocb cbs[NCB];
static bool used[NCB];
static atomic_int notes[NCB]; /* notifications seen per slot */
static atomic_int expect_note[NCB]; /* 1 if a notification is due */
static atomic_int list_notes, list_expect;
static struct iovec iovs[NCB][4];
static char *buf;
static int fds[8];
static int pipefd[2];
static char path[64];

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	intptr_t v = (intptr_t)si->si_value.sival_ptr;

	(void)sig;
	(void)uc;
	if (si->si_code != SI_ASYNCIO)
		return;
	if (v >= 0 && v < NCB)
		atomic_fetch_add(&notes[v], 1);
	else if (v == NCB)
		atomic_fetch_add(&list_notes, 1);
}

static void on_thread(union sigval sv)
{
	intptr_t v = (intptr_t)sv.sival_ptr;

	if (v >= 0 && v < NCB)
		atomic_fetch_add(&notes[v], 1);
	else if (v == NCB)
		atomic_fetch_add(&list_notes, 1);
}

/* Empties the pipe for the life of the process. */
static void *drain_pipe(void *arg)
{
	char sink[4096];

	(void)arg;
	while (read(pipefd[0], sink, sizeof(sink)) != 0)
		;
	return NULL;
}

static void setup_once(void)
{
	static bool done;
	sigset_t all, old;
	pthread_t drainer;
	struct sigaction sa;
	char *map;

	if (done)
		return;
	done = true;
	map = mmap(NULL, BUFSZ + 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		abort();
	mprotect(map + BUFSZ, 4096, PROT_NONE);
	buf = map;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIG, &sa, NULL);
	if (pipe2(pipefd, O_CLOEXEC))
		abort();
	/*
	 * The drainer blocks every signal (it inherits the mask), so the
	 * notifications reach a thread that handles them: TSan runs a handler
	 * only when its thread next enters an intercepted call, which for the
	 * drainer, asleep in read(), can be never (10 of 30 corpus replays
	 * on the thread pool lost a notification that way).
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&drainer, NULL, drain_pipe, NULL))
		abort();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_detach(drainer);
	/* tmpfs when there is one: fsync there costs nothing. */
	snprintf(path, sizeof(path), "%s/xaio-fuzz.%d",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm", (int)getpid());
}

static void open_fds(void)
{
	fds[0] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fds[1] = open(path, O_RDWR | O_APPEND);
	fds[2] = open("/dev/null", O_RDWR);
	fds[3] = open("/dev/zero", O_RDONLY);
	fds[4] = pipefd[1]; /* writes only: reads would block forever */
	fds[5] = -1;
	fds[6] = 1000000; /* never open */
	fds[7] = open(path, O_RDONLY);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || fds[3] < 0 || fds[7] < 0)
		abort();
	if (pwrite(fds[0], buf, 8192, 0) != 8192)
		abort();
}

static void close_fds(void)
{
	for (int i = 0; i < 8; i++)
		if (i != 4 && i != 5 && i != 6)
			close(fds[i]);
	unlink(path);
}

static void fill_sigevent(struct input *in, struct sigevent *sev, int slot)
{
	memset(sev, 0, sizeof(*sev));
	sev->sigev_value.sival_ptr = (void *)(intptr_t)slot;
	switch (take(in, 1) % 6) {
	case 0:
		sev->sigev_notify = SIGEV_NONE;
		break;
	case 1:
		sev->sigev_notify = SIGEV_SIGNAL;
		sev->sigev_signo = SIG;
		break;
	case 2:
		sev->sigev_notify = SIGEV_SIGNAL;
		/* 0 (no signal) or out of range (refused). */
		sev->sigev_signo = take(in, 1) & 1 ? 0 : 65 + (int)take(in, 1);
		break;
	case 3:
		sev->sigev_notify = SIGEV_THREAD;
		sev->sigev_notify_function = take(in, 1) & 7 ? on_thread : NULL;
		break;
	case 4:
		sev->sigev_notify = SIGEV_THREAD_ID;
		sev->sigev_signo = SIG;
		sev->_sigev_un._tid = take(in, 1) & 1 ? gettid() : 0;
		break;
	default:
		sev->sigev_notify = (int)take(in, 1); /* mostly invalid */
		break;
	}
}

/* xaio's submission rule for a sigevent (the oracle). */
static bool sev_valid(const struct sigevent *sev)
{
	switch (sev->sigev_notify) {
	case SIGEV_NONE:
		return true;
	case SIGEV_SIGNAL:
		return sev->sigev_signo >= 0 && sev->sigev_signo < 65;
	case SIGEV_THREAD_ID:
		return sev->_sigev_un._tid > 0 && sev->sigev_signo > 0 &&
		       sev->sigev_signo < 65;
	case SIGEV_THREAD:
		return sev->sigev_notify_function != NULL;
	default:
		return false;
	}
}

/* Will a successful submission of sev deliver a notification? */
static bool notifies(const struct sigevent *sev)
{
	return (sev->sigev_notify == SIGEV_SIGNAL && sev->sigev_signo) ||
	       sev->sigev_notify == SIGEV_THREAD ||
	       sev->sigev_notify == SIGEV_THREAD_ID;
}

/*
 * Sanitizers and valgrind check a whole user buffer at the system call, so
 * under them a length running past the mapping is reported even though
 * the kernel would stop at the guard page.  Only there, lengths are cut at
 * the guard.
 */
/*
 * TSan defers signals and merges two of the same number pending on one
 * thread, so under it a SIGEV_SIGNAL notification can be lost (about one
 * corpus replay in 40 on the thread pool, with or without xaio at fault);
 * there check_notes() only requires never more notifications than due
 * (notes_ok()).
 */
#if defined(__SANITIZE_THREAD__)
#define XAIO_FUZZ_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define XAIO_FUZZ_TSAN 1
#endif
#endif
static bool notes_ok(int got, int due)
{
#ifdef XAIO_FUZZ_TSAN
	return got <= due;
#else
	return got == due;
#endif
}

#if defined(__SANITIZE_ADDRESS__)
#define XAIO_FUZZ_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XAIO_FUZZ_SANITIZED 1
#endif
#endif

static bool checked_buffers(void)
{
#ifdef XAIO_FUZZ_SANITIZED
	return true;
#else
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload");
#endif
}

static uint64_t clamp(volatile void *p, uint64_t len)
{
	uint64_t room = (uint64_t)(buf + BUFSZ - (char *)p);

	if (!checked_buffers())
		return len;
	return len < room ? len : room;
}

static void fill_cb(struct input *in, int slot)
{
	struct aiocb *cb = &cbs[slot];
	uint64_t len;

	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fds[take(in, 1) % 8];
	switch (take(in, 1) % 4) {
	case 0:
		cb->aio_offset = (off_t)take(in, 2);
		break;
	case 1:
		cb->aio_offset = -(off_t)take(in, 1);
		break;
	case 2:
		cb->aio_offset = (off_t)(take(in, 8) & INT64_MAX);
		break;
	default:
		cb->aio_offset = (off_t)take(in, 8);
		break;
	}
	len = take(in, 1) & 1 ? take(in, 2) : take(in, 8);
	cb->aio_buf = buf + (take(in, 2) % BUFSZ);
	cb->aio_nbytes = clamp(cb->aio_buf, len);
	cb->aio_reqprio = (int)(take(in, 1) % 24) - 1;
	cb->aio_lio_opcode = (int)(take(in, 1) % 9);
	fill_sigevent(in, &cb->aio_sigevent, slot);
}

static void fill_iov(struct input *in, int slot)
{
	int n = (int)(take(in, 1) % 5);

	for (int i = 0; i < 4; i++) {
		iovs[slot][i].iov_base = buf + (take(in, 2) % BUFSZ);
		iovs[slot][i].iov_len =
			clamp(iovs[slot][i].iov_base,
			      take(in, 1) & 1 ? take(in, 2) : 0);
	}
	cbs[slot].aio_buf = iovs[slot];
	cbs[slot].aio_nbytes = take(in, 1) == 0xff ? IOV_MAX + 1 : (size_t)n;
}

static void check_ret(int r, const int *ok, int nok)
{
	if (r == 0)
		return;
	if (r != -1)
		abort();
	for (int i = 0; i < nok; i++)
		if (errno == ok[i])
			return;
	fprintf(stderr, "unexpected errno %d\n", errno);
	abort();
}

static void submitted(int slot, int r)
{
	if (r == 0) {
		used[slot] = true;
		if (notifies(&cbs[slot].aio_sigevent))
			atomic_fetch_add(&expect_note[slot], 1);
	}
}

/* Waits for one slot to finish (bounded), then checks it. */
static void drain(int slot)
{
	const struct aiocb *list[1] = {&cbs[slot]};
	struct timespec ts = {0, 10 * 1000000L};
	int err, tries = 0;
	ssize_t ret;

	if (!used[slot])
		return;
	while ((err = aio_error(&cbs[slot])) == EINPROGRESS) {
		aio_suspend(list, 1, &ts);
		if (++tries > 1000) {
			fprintf(stderr, "slot %d: not done after 10 s\n", slot);
			abort(); /* a lost completion */
		}
	}
	ret = aio_return(&cbs[slot]);
	if (err < 0 || (err == 0 && ret < 0) || (err > 0 && ret != -1)) {
		fprintf(stderr, "slot %d: aio_error %d but aio_return %zd\n",
			slot, err, ret);
		abort();
	}
	used[slot] = false;
}

static void check_notes(void)
{
	struct timespec ts = {0, 1000000L};

	for (int tries = 0; tries < 2000; tries++) {
		bool pending =
			atomic_load(&list_notes) < atomic_load(&list_expect);

		for (int i = 0; i < NCB; i++)
			if (atomic_load(&notes[i]) <
			    atomic_load(&expect_note[i]))
				pending = true;
		if (!pending)
			break;
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < NCB; i++) {
		int got = atomic_load(&notes[i]),
		    due = atomic_load(&expect_note[i]);

		if (!notes_ok(got, due)) {
			fprintf(stderr, "slot %d: %d notifications, %d due\n",
				i, notes[i], expect_note[i]);
			abort();
		}
		atomic_store(&notes[i], 0);
		atomic_store(&expect_note[i], 0);
	}
	if (!notes_ok(atomic_load(&list_notes), atomic_load(&list_expect)))
		abort();
	atomic_store(&list_notes, 0);
	atomic_store(&list_expect, 0);
}

static void step(struct input *in)
{
	static const int submit_ok[] = {EINVAL, EAGAIN, EBADF};
	static const int wait_ok[] = {EINVAL, EAGAIN, EINTR, EIO};
	int op = (int)(take(in, 1) % 11), slot = (int)(take(in, 1) % NCB);
	struct aiocb *list[NCB + 2];
	struct timespec ts;
	struct sigevent sev;
	int r, n;

	if (op <= 4 && used[slot])
		drain(slot); /* never resubmit in flight (undefined) */
	switch (op) {
	case 0:
	case 1:
		fill_cb(in, slot);
		r = op ? aio_write(&cbs[slot]) : aio_read(&cbs[slot]);
		check_ret(r, submit_ok, 3);
		submitted(slot, r);
		break;
	case 2:
	case 3:
		fill_cb(in, slot);
		fill_iov(in, slot);
		r = op == 3 ? aio_writev(&cbs[slot]) : aio_readv(&cbs[slot]);
		check_ret(r, submit_ok, 3);
		submitted(slot, r);
		break;
	case 4:
		fill_cb(in, slot);
		r = aio_fsync((int)take(in, 1) & 1 ? O_SYNC : (int)take(in, 4),
			      &cbs[slot]);
		check_ret(r, submit_ok, 3);
		submitted(slot, r);
		break;
	case 5:
		aio_error(&cbs[slot]);
		break;
	case 6:
		if (used[slot])
			drain(slot);
		break;
	case 7:
		r = aio_cancel(take(in, 1) & 1 ? cbs[slot].aio_fildes
					       : fds[take(in, 1) % 8],
			       take(in, 1) & 1 ? &cbs[slot] : NULL);
		if (r != AIO_CANCELED && r != AIO_NOTCANCELED &&
		    r != AIO_ALLDONE &&
		    !(r == -1 && (errno == EBADF || errno == EINVAL)))
			abort();
		break;
	case 8:
		n = (int)(take(in, 1) % (NCB + 2)) - 1;
		for (int i = 0; i < NCB + 2; i++)
			list[i] = take(in, 1) & 1 ? &cbs[i % NCB] : NULL;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(take(in, 1) % 4) * 300000L - 300000L;
		r = aio_suspend((const struct aiocb *const *)list, n,
				take(in, 1) & 1 ? &ts : NULL);
		if (!(r == 0 ||
		      (r == -1 &&
		       (errno == EAGAIN || errno == EINVAL || errno == EINTR))))
			abort();
		break;
	case 9: {
		int mode = (int)(take(in, 1) % 3);
		bool with_sig = take(in, 1) & 1;

		n = (int)(take(in, 1) % (NCB + 1));
		for (int i = 0; i < n; i++) {
			int s = (slot + i) % NCB;

			list[i] = NULL;
			if (take(in, 1) % 4 == 0 || used[s])
				continue;
			fill_cb(in, s);
			list[i] = &cbs[s];
		}
		fill_sigevent(in, &sev, NCB);
		if (take(in, 1) == 0xff)
			n = -1;
		r = lio_listio(mode, list, n, with_sig ? &sev : NULL);
		if (r == -1)
			check_ret(r, wait_ok, 4);
		if (mode > 1 || n < 0 ||
		    (mode == LIO_NOWAIT && with_sig && !sev_valid(&sev)))
			break; /* refused as a whole: nothing submitted */
		for (int i = 0; i < n; i++) {
			struct aiocb *cb = list[i];

			if (!cb || cb->aio_lio_opcode == LIO_NOP ||
			    cb->aio_reqprio < 0 || cb->aio_reqprio > 20 ||
			    !sev_valid(&cb->aio_sigevent))
				continue;
			submitted((int)(cb - cbs), 0);
		}
		if (mode == LIO_NOWAIT && with_sig && notifies(&sev))
			atomic_fetch_add(&list_expect, 1);
		break;
	}
	default:
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(take(in, 1) % 3) * 100000L;
		{
			struct aiocb *got = NULL;

			aio_waitcomplete(&got, &ts);
		}
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};

	setup_once();
	open_fds();
	for (int i = 0; i < 64 && in.n; i++)
		step(&in);
	for (int i = 0; i < NCB; i++)
		drain(i);
	check_notes();
	close_fds();
	return 0;
}

#ifndef XAIO_LIBFUZZER
/* Without libFuzzer: replay the files named on the command line. */
int main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		static uint8_t data[1 << 16];
		size_t len;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		len = fread(data, 1, sizeof(data), f);
		fclose(f);
		LLVMFuzzerTestOneInput(data, len);
		n++;
	}
	printf("replayed %d inputs\n%d passed, 0 failed\n", n, n);
	return 0;
}
#endif
