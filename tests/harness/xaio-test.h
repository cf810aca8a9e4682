/* SPDX-License-Identifier: MIT */
/*
 * xaio-test: helpers shared by the POSIX AIO test programs (tests/posix,
 * tests/faults) on top of xtest: aiocb set-up and waiting, pipes, helper
 * threads with every signal blocked, and the signal senders that turn a
 * hang into a failure or interrupt a blocking call.
 *
 * Linked as the xtest-aio library: it calls aio_*(), so it comes with
 * libxaio-posix (or glibc's AIO in a reference run).
 */
#ifndef XAIO_TEST_H
#define XAIO_TEST_H

#include <aio.h>
#include <pthread.h>
#include <signal.h>

#include "xtest.h"

/* Zeroes cb and fills it for fd, buf, n, off with SIGEV_NONE. */
void xt_cb_set(struct aiocb *cb, int fd, void *buf, size_t n, off_t off);
/* The same with aio_lio_opcode op (LIO_READ, LIO_WRITE, LIO_NOP). */
void xt_cb_set_op(struct aiocb *cb, int op, int fd, void *buf, size_t n,
		  off_t off);
/*
 * Waits (aio_suspend() in steps of at most 100 ms) up to ms for cb to leave
 * EINPROGRESS; returns its aio_error(), EINPROGRESS at the deadline.
 */
int xt_cb_wait(struct aiocb *cb, int ms);
/*
 * Polls aio_error() (every 1 ms, no aio_suspend()) until cb is no longer
 * EINPROGRESS: 0, or -1 after ms.
 */
int xt_cb_poll(const struct aiocb *cb, int ms);

/*
 * Fills a pipe completely (byte by byte at the end) through its write end;
 * returns the number of bytes it holds, -1 on error.  wfd keeps its flags.
 */
ssize_t xt_fill_pipe(int wfd);

/* Starts fn in a thread with every signal blocked; pthread_create()'s r. */
int xt_start_thread(pthread_t *t, void *(*fn)(void *), void *arg);
/* Joins t within ms, its exit value in *ret: 0, or ETIMEDOUT (not joined). */
int xt_join_within(pthread_t t, int ms, void **ret);

/*
 * Watchdog for calls that must return at once and have no timeout of their
 * own: after ms it interrupts the arming thread with SIGALRM (handler
 * without SA_RESTART) every 100 ms until disarmed, so a hang turns into a
 * failed assertion instead of a stuck program.
 */
struct xt_watchdog {
	pthread_t thread;
	pthread_t target;
	int ms;
	atomic_int stop;
	atomic_int fired;
	struct sigaction old;
};

/* Installs the SIGALRM handler and starts the watchdog: 0 or -1. */
int xt_watchdog_arm(struct xt_watchdog *w, int ms);
/* Stops it, restores SIGALRM and says on stderr if it had to fire. */
void xt_watchdog_disarm(struct xt_watchdog *w);

/*
 * Sends SIGUSR1 to the starting thread after first_ms, then every 50 ms
 * until stopped.  The caller installs the SIGUSR1 handler.
 */
struct xt_killer {
	pthread_t thread;
	pthread_t target;
	int first_ms;
	atomic_int stop;
};

/* Starts the killer thread (xt_start_thread()): pthread_create()'s r. */
int xt_killer_start(struct xt_killer *k, int first_ms);
/* Stops and joins it. */
void xt_killer_stop(struct xt_killer *k);

/*
 * Fills about depth * 4 KiB of stack with 0xa5, reusing the frames of calls
 * that have returned (a request must not point into them).
 */
unsigned int xt_fill_stack(int depth);

#endif
