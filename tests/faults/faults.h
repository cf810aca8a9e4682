/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the fault-injection tests (tests/faults), on top of
 * xaio-test.h (aiocb set-up is xt_cb_set_op()): waiting, pipe filling,
 * per-request notification counters, child processes (forked, or
 * re-executed in a "child mode"), and the XAIO_VERBOSE report line.
 *
 * Child modes.  A program that needs a fresh process (a new environment,
 * a seccomp filter, another uid) re-executes itself through fx_run() with
 * XFAULTS_CHILD=<mode> in the environment; FX_CHILD_MAIN(fn) installs a
 * constructor that sees the variable before main() and exits with fn(mode),
 * through exit(), so that libxaio-posix's destructors (the XAIO_VERBOSE
 * report) run.  A child mode returns XT_PASS, XT_FAIL or XT_SKIP.
 */
#ifndef XAIO_FAULTS_H
#define XAIO_FAULTS_H

#include <aio.h>
#include <signal.h>
#include <stdlib.h>

#include "xtest.h"
#include "xaio-test.h"

#define FX_MODE_ENV "XFAULTS_CHILD"

/* Waits (aio_suspend, retried on EINTR) until cb is no longer in progress.
 * 0, or -1 after ms milliseconds. */
int fx_wait(const struct aiocb *cb, int ms);
/* The same for every non-NULL member of cbs. */
int fx_wait_all(struct aiocb *const *cbs, int n, int ms);
/*
 * Fills a pipe through its write end fd in 64 KiB writes (retried on EINTR)
 * until EAGAIN; *filled gets the bytes written.  fd keeps its flags.
 * XT_PASS or XT_FAIL.
 */
int fx_fill_pipe(int fd, size_t *filled);
/* Runs one read of /dev/zero so that the engine (and its ring) exists:
 * an fd count taken afterwards is a baseline.  0 or -1. */
int fx_warm(void);

/*
 * Notification counters: fx_sev_signal() asks for a queued real-time signal
 * (FX_SIGNO, SI_ASYNCIO, si_value = id), fx_sev_thread() for a SIGEV_THREAD
 * call with value id; both count one per delivery in slot id.
 */
#define FX_NOTES 8192
#define FX_SIGNO (SIGRTMIN + 2)
void fx_notes_reset(void);
void fx_sev_signal(struct sigevent *sev, int id);
void fx_sev_thread(struct sigevent *sev, int id);
int fx_note_count(int id);
/*
 * Waits up to ms until ids [0, n) were notified n times in all, then 30 ms
 * more (a duplicate would show up), and checks each exactly once.  Prints
 * every offender.  0 when all is well.
 */
int fx_notes_expect(int n, int ms);

/* A child mode: its name and its work, which returns the child's verdict. */
struct fx_mode {
	const char *name;
	int (*fn)(void);
};
/* Runs the one of modes[0..n) named mode; XT_FAIL for an unknown name. */
int fx_run_mode(const char *mode, const struct fx_mode *modes, size_t n);

/* A child process. */
struct fx_proc {
	const char *mode; /* re-exec this program in this child mode; NULL:
			     run fn in a plain forked child */
	int (*fn)(void *arg); /* mode NULL: the child's work, its verdict */
	int (*pre)(void *arg); /* mode set: runs in the child before exec;
				  nonzero is the child's exit status */
	void *arg;
	const char *const *env; /* NULL-terminated: "NAME=value" sets,
				   "NAME" removes (re-exec only) */
	int timeout_ms; /* killed (SIGKILL) after this; 0: 10 s */
	int keep_alarm; /* fn mode: no alarm() in the child */
	/* Results. */
	int status; /* waitpid() status */
	int timed_out;
	int64_t ms; /* how long it ran */
	char out[16384], err[16384]; /* its stdout and stderr (re-exec) */
};

/* Runs the child and collects it.  0, or -1 when it could not start. */
int fx_run(struct fx_proc *p);
/* The child's verdict as XT_PASS/XT_FAIL/XT_SKIP; prints why on stderr. */
int fx_verdict(struct fx_proc *p);

/* The XAIO_VERBOSE=1 line, parsed. */
struct fx_report {
	char backend[32];
	char reason[128];
	unsigned long long submitted, inline_reads, on_ring, batched,
		on_threads, reissued, completed;
};
/* Finds and parses the "xaio: backend" line in text: 0, or -1. */
int fx_parse_report(const char *text, struct fx_report *r);
/*
 * Re-executes this program in child mode with env (which must set
 * XAIO_VERBOSE=1) and parses the child's report into *r.  XT_PASS, or the
 * child's failure or skip.
 */
int fx_run_report(const char *mode, const char *const *env,
		  struct fx_report *r);
/* Returns from the calling test unless expr, a verdict, is XT_PASS. */
#define FX_TRY(expr)                                                           \
	do {                                                                   \
		int v_ = (expr);                                               \
		if (v_ != XT_PASS)                                             \
			return v_;                                             \
	} while (0)

/* The size of the SQ (SqMask + 1) of each io_uring fd of this process,
 * from /proc/self/fdinfo; returns the number found (<= max). */
int fx_ring_sizes(unsigned *sizes, int max);

#define FX_CHILD_MAIN(fn)                                                      \
	__attribute__((constructor)) static void fx_child_ctor_(void)          \
	{                                                                      \
		const char *m_ = getenv(FX_MODE_ENV);                          \
		if (m_ && *m_) {                                               \
			int rc_ = fn(m_);                                      \
			if (rc_ == XT_PASS && xt_check_failures())             \
				rc_ = XT_FAIL;                                 \
			fflush(stdout);                                        \
			exit(rc_);                                             \
		}                                                              \
	}

#endif
