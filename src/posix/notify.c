// SPDX-License-Identifier: MIT
/*
 * POSIX notifications: SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID and
 * SIGEV_THREAD.
 *
 * Signals are queued at completion with rt_sigqueueinfo (process) or
 * rt_tgsigqueueinfo (thread), si_code SI_ASYNCIO, si_value, si_pid and
 * si_uid, as glibc does.  Invalid signal numbers are refused when the
 * request is submitted, so a delivery can never turn a good result bad.
 *
 * SIGEV_THREAD runs the callback on a new thread per completion, as POSIX
 * and glibc do, created with the caller's attributes but always detached
 * (a joinable attribute would leak the thread) and with an empty signal
 * mask.  Completion can run where pthread_create and malloc are not
 * allowed (aio_error reaping from a signal handler), so the node is
 * allocated at submission and completion only pushes it on a lock-free
 * stack that the "xaio-notify" thread drains.  If a thread cannot be
 * created the callback runs on the notifier thread itself: never lost.
 *
 * Locking: none.  `pending` is a Treiber stack (push with CAS, the single
 * consumer takes it all with an exchange); `wake` is the notifier's futex.
 * fork: the notifier is recorded with the pid that started it, so a child
 * sees it has none, drops the parent's pending nodes and starts its own.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sys.h"
#include "posix/posix.h"

struct note {
	struct note *next;
	void (*fn)(union sigval);
	union sigval value;
	pthread_attr_t *attr;
};

static _Atomic(struct note *) pending;
static _Atomic uint32_t wake;
static _Atomic pid_t notifier_pid;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

int xaio__sigev_check(const struct sigevent *sev)
{
	switch (sev->sigev_notify) {
	case SIGEV_NONE:
		return 0;
	case SIGEV_SIGNAL:
		return sev->sigev_signo >= 0 && sev->sigev_signo < _NSIG
			       ? 0
			       : -EINVAL;
	case SIGEV_THREAD_ID:
		if (sev->_sigev_un._tid <= 0)
			return -EINVAL;
		return sev->sigev_signo > 0 && sev->sigev_signo < _NSIG
			       ? 0
			       : -EINVAL;
	case SIGEV_THREAD:
		return sev->sigev_notify_function ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

static void *trampoline(void *arg)
{
	struct note n = *(struct note *)arg;
	sigset_t none;

	free(arg);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	n.fn(n.value);
	return NULL;
}

static void run(struct note *n)
{
	pthread_attr_t def, *attr = n->attr;
	int detach = PTHREAD_CREATE_DETACHED;
	pthread_t t;

	if (!attr) {
		pthread_attr_init(&def);
		pthread_attr_setdetachstate(&def, PTHREAD_CREATE_DETACHED);
		attr = &def;
	} else {
		pthread_attr_getdetachstate(attr, &detach);
	}
	if (pthread_create(&t, attr, trampoline, n) == 0) {
		if (detach != PTHREAD_CREATE_DETACHED)
			pthread_detach(t);
	} else {
		/*
		 * No thread to be had: run it here rather than lose it, with
		 * the empty signal mask a new thread would have had.
		 */
		struct note copy = *n;
		sigset_t none, old;

		free(n);
		sigemptyset(&none);
		pthread_sigmask(SIG_SETMASK, &none, &old);
		copy.fn(copy.value);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (attr == &def)
		pthread_attr_destroy(&def);
}

static void *notifier(void *arg)
{
	for (;;) {
		struct note *list, *rev = NULL;

		list = atomic_exchange(&pending, NULL);
		if (!list) {
			xaio__futex_wait(&wake, 0, NULL, false);
			atomic_store(&wake, 0);
			continue;
		}
		while (list) { /* oldest first */
			struct note *next = list->next;

			list->next = rev;
			rev = list;
			list = next;
		}
		while (rev) {
			struct note *next = rev->next;

			run(rev);
			rev = next;
		}
	}
	return NULL;
}

/* fork: a start in progress in another thread must not leave it locked. */
static void atfork_child(void)
{
	pthread_mutex_init(&start_lock, NULL);
}

__attribute__((constructor)) static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, atfork_child);
}

static int start_notifier(void)
{
	pid_t pid = getpid();
	int r = 0;

	if (atomic_load(&notifier_pid) == pid)
		return 0;
	pthread_mutex_lock(&start_lock);
	if (atomic_load(&notifier_pid) != pid) {
		/* In a forked child: the parent's pending callbacks are not
		 * ours. */
		atomic_store(&pending, NULL);
		r = xaio__thread_start(notifier, "xaio-notify");
		if (r == 0)
			atomic_store(&notifier_pid, pid);
	}
	pthread_mutex_unlock(&start_lock);
	return r;
}

void *xaio__note_prepare(const struct sigevent *sev, int *err)
{
	struct note *n;

	*err = 0;
	if (sev->sigev_notify != SIGEV_THREAD)
		return NULL;
	/*
	 * The notifier is per process; after fork the child starts its own
	 * (notifier_pid tells).  Its start must not wait for completion time.
	 */
	*err = start_notifier();
	if (*err)
		return NULL;
	n = malloc(sizeof(*n));
	if (!n) {
		*err = -ENOMEM;
		return NULL;
	}
	n->next = NULL;
	n->fn = sev->sigev_notify_function;
	n->value = sev->sigev_value;
	n->attr = sev->sigev_notify_attributes;
	return n;
}

void xaio__note_discard(void *note)
{
	free(note);
}

static void send_signal(const struct sigevent *sev, bool to_thread)
{
	siginfo_t si;
	pid_t pid = getpid();

	memset(&si, 0, sizeof(si));
	si.si_signo = sev->sigev_signo;
	si.si_code = SI_ASYNCIO;
	si.si_pid = pid;
	si.si_uid = getuid();
	si.si_value = sev->sigev_value;
	if (to_thread)
		xaio__sys(SYS_rt_tgsigqueueinfo, pid, sev->_sigev_un._tid,
			  sev->sigev_signo, (long)&si, 0, 0);
	else
		xaio__sys(SYS_rt_sigqueueinfo, pid, sev->sigev_signo, (long)&si,
			  0, 0, 0);
}

void xaio__notify(const struct sigevent *sev, void *note)
{
	struct note *n = note, *old;

	switch (sev->sigev_notify) {
	case SIGEV_SIGNAL:
		if (sev->sigev_signo)
			send_signal(sev, false);
		break;
	case SIGEV_THREAD_ID:
		send_signal(sev, true);
		break;
	case SIGEV_THREAD:
		if (!n)
			break;
		old = atomic_load(&pending);
		do
			n->next = old;
		while (!atomic_compare_exchange_weak(&pending, &old, n));
		atomic_store(&wake, 1);
		xaio__futex_wake(&wake, 1);
		break;
	default:
		break;
	}
}
