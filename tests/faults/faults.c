// SPDX-License-Identifier: MIT
/*
 * Helpers for the fault-injection tests; see faults.h.
 */
#include "faults.h"

#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int fx_wait_all(struct aiocb *const *cbs, int n, int ms)
{
	int64_t end = xt_now_ms() + ms;

	for (;;) {
		const struct aiocb *busy = NULL;
		struct timespec ts = {0, 50 * 1000000L};

		for (int i = 0; i < n && !busy; i++)
			if (cbs[i] && aio_error(cbs[i]) == EINPROGRESS)
				busy = cbs[i];
		if (!busy)
			return 0;
		if (xt_now_ms() > end)
			return -1;
		/* EINTR and EAGAIN (timeout) both mean: look again. */
		aio_suspend(&busy, 1, &ts);
	}
}

int fx_wait(const struct aiocb *cb, int ms)
{
	struct aiocb *one[1] = {(struct aiocb *)cb};

	return fx_wait_all(one, 1, ms);
}

int fx_fill_pipe(int fd, size_t *filled)
{
	static char junk[65536];
	ssize_t n;
	int fl = fcntl(fd, F_GETFL);

	*filled = 0;
	memset(junk, 'f', sizeof(junk));
	XT_ASSERT_OK(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	while ((n = write(fd, junk, sizeof(junk))) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			*filled += (size_t)n;
	XT_ASSERT_EQ(errno, EAGAIN);
	XT_ASSERT_OK(fcntl(fd, F_SETFL, fl));
	return XT_PASS;
}

int fx_warm(void)
{
	static char buf[1];
	struct aiocb cb;
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	xt_cb_set_op(&cb, LIO_READ, fd, buf, 1, 0);
	if (aio_read(&cb) || fx_wait(&cb, 5000) || aio_return(&cb) != 1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* --- notifications --- */

static atomic_int notes[FX_NOTES];
static atomic_int bad_notes;

void fx_notes_reset(void)
{
	for (int i = 0; i < FX_NOTES; i++)
		atomic_store(&notes[i], 0);
	atomic_store(&bad_notes, 0);
}

static void count(int id)
{
	if (id >= 0 && id < FX_NOTES)
		atomic_fetch_add(&notes[id], 1);
	else
		atomic_fetch_add(&bad_notes, 1);
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)uc;
	if (sig != FX_SIGNO || si->si_code != SI_ASYNCIO)
		atomic_fetch_add(&bad_notes, 1);
	count(si->si_value.sival_int);
	errno = saved;
}

static void on_thread(union sigval v)
{
	count(v.sival_int);
}

void fx_sev_signal(struct sigevent *sev, int id)
{
	static atomic_int installed;

	if (!atomic_exchange(&installed, 1)) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_signal;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaction(FX_SIGNO, &sa, NULL);
	}
	memset(sev, 0, sizeof(*sev));
	sev->sigev_notify = SIGEV_SIGNAL;
	sev->sigev_signo = FX_SIGNO;
	sev->sigev_value.sival_int = id;
}

void fx_sev_thread(struct sigevent *sev, int id)
{
	memset(sev, 0, sizeof(*sev));
	sev->sigev_notify = SIGEV_THREAD;
	sev->sigev_notify_function = on_thread;
	sev->sigev_value.sival_int = id;
}

int fx_note_count(int id)
{
	return atomic_load(&notes[id]);
}

static int notes_sum(int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s += atomic_load(&notes[i]);
	return s;
}

int fx_notes_expect(int n, int ms)
{
	int64_t end = xt_now_ms() + ms;
	int bad = 0;

	while (notes_sum(n) < n && xt_now_ms() < end)
		xt_sleep_ms(1);
	xt_sleep_ms(30);
	for (int i = 0; i < n; i++) {
		int c = atomic_load(&notes[i]);

		if (c != 1) {
			fprintf(stderr, "request %d: notified %d times\n", i,
				c);
			bad++;
		}
	}
	if (atomic_load(&bad_notes)) {
		fprintf(stderr,
			"%d notifications with a bad signal, code or "
			"value\n",
			atomic_load(&bad_notes));
		bad++;
	}
	return bad;
}

/* --- child processes --- */

/* Do the settings (NAME=value or NAME) a and b name the same variable? */
static bool same_name(const char *a, const char *b)
{
	size_t la = strcspn(a, "="), lb = strcspn(b, "=");

	return la == lb && !strncmp(a, b, la);
}

/* Does a setting after e in list name the same variable? */
static bool overridden(const char *const *e)
{
	for (const char *const *f = e + 1; *f; f++)
		if (same_name(*e, *f))
			return true;
	return false;
}

/*
 * environ with p->env applied (NAME=value sets, NAME unsets, the last
 * setting of a name wins) and FX_MODE_ENV set; malloc'ed.
 */
static char **child_env(const struct fx_proc *p)
{
	size_t n = 0, k = 0, extra = 2;
	char **env;

	while (environ[n])
		n++;
	for (const char *const *e = p->env; e && *e; e++)
		extra++;
	env = calloc(n + extra, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool drop = same_name(environ[i], FX_MODE_ENV);

		for (const char *const *e = p->env; e && *e && !drop; e++)
			drop = same_name(*e, environ[i]);
		if (!drop)
			env[k++] = environ[i];
	}
	for (const char *const *e = p->env; e && *e; e++)
		if (strchr(*e, '=') && !overridden(e))
			env[k++] = (char *)*e;
	{
		static char mode[256];

		snprintf(mode, sizeof(mode), "%s=%s", FX_MODE_ENV, p->mode);
		env[k++] = mode;
	}
	env[k] = NULL;
	return env;
}

static void drain(int *fd, char *buf, size_t *len, size_t max)
{
	char tmp[4096];
	ssize_t n = read(*fd, tmp, sizeof(tmp));

	if (n > 0) {
		size_t room = max - 1 - *len;
		size_t c = (size_t)n < room ? (size_t)n : room;

		memcpy(buf + *len, tmp, c);
		*len += c;
		buf[*len] = 0;
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(*fd);
		*fd = -1;
	}
}

int fx_run(struct fx_proc *p)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1};
	size_t olen = 0, elen = 0;
	int timeout = p->timeout_ms ? p->timeout_ms : 10000;
	char **env = NULL;
	int64_t start, end;
	pid_t pid, r;

	p->status = 0;
	p->timed_out = 0;
	p->out[0] = p->err[0] = 0;
	if (p->mode) {
		env = child_env(p);
		if (!env || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
			perror("fx_run");
			free(env);
			return -1;
		}
	} else {
		(void)xt_tmpdir(); /* made (and removed) by the parent */
	}
	fflush(stdout);
	fflush(stderr);
	start = xt_now_ms();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		free(env);
		return -1;
	}
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		int rc;

		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGALRM, SIG_DFL);
		if (!p->mode) {
			if (!p->keep_alarm)
				alarm((unsigned)(timeout + 999) / 1000);
			rc = p->fn(p->arg);
			if (rc == XT_PASS && xt_check_failures())
				rc = XT_FAIL;
			fflush(stdout);
			_exit(rc);
		}
		if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(126);
		if (p->pre && (rc = p->pre(p->arg)) != 0)
			_exit(rc);
		execve("/proc/self/exe",
		       (char *[]){(char *)"faults-child", NULL}, env);
		fprintf(stderr, "execve /proc/self/exe: %s\n", strerror(errno));
		_exit(errno == EACCES ? 78 : 126);
	}
	free(env);
	/* A forked child's own alarm() fires first and says so. */
	end = start + timeout + (p->mode ? 0 : 2000);
	if (p->mode) {
		close(out[1]);
		close(err[1]);
		while (out[0] >= 0 || err[0] >= 0) {
			struct pollfd pf[2] = {{out[0], POLLIN, 0},
					       {err[0], POLLIN, 0}};
			int64_t left = end - xt_now_ms();

			if (left <= 0)
				break;
			if (poll(pf, 2, (int)left) <= 0)
				continue;
			if (pf[0].revents)
				drain(&out[0], p->out, &olen, sizeof(p->out));
			if (pf[1].revents)
				drain(&err[0], p->err, &elen, sizeof(p->err));
		}
	}
	while ((r = waitpid(pid, &p->status, WNOHANG)) == 0) {
		if (xt_now_ms() > end) {
			p->timed_out = 1;
			kill(pid, SIGKILL);
			waitpid(pid, &p->status, 0);
			break;
		}
		xt_sleep_ms(1);
	}
	if (out[0] >= 0)
		close(out[0]);
	if (err[0] >= 0)
		close(err[0]);
	p->ms = xt_now_ms() - start;
	return 0;
}

static void dump(const char *what, const char *text)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);

		fprintf(stderr, "  [child %s] %.*s\n", what, len, line);
		line = nl ? nl + 1 : NULL;
	}
}

int fx_run_mode(const char *mode, const struct fx_mode *modes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(mode, modes[i].name))
			return modes[i].fn();
	fprintf(stderr, "unknown child mode %s\n", mode);
	return XT_FAIL;
}

int fx_run_report(const char *mode, const char *const *env, struct fx_report *r)
{
	struct fx_proc p;
	int v;

	memset(&p, 0, sizeof(p));
	p.mode = mode;
	p.env = env;
	if (fx_run(&p))
		return XT_FAIL;
	v = fx_verdict(&p);
	if (v != XT_PASS)
		return v;
	if (fx_parse_report(p.err, r)) {
		fprintf(stderr, "no report from the child:\n%s", p.err);
		return XT_FAIL;
	}
	return XT_PASS;
}

int fx_verdict(struct fx_proc *p)
{
	const char *who = p->mode ? p->mode : "fork";
	int st = p->status;

	if (p->timed_out) {
		fprintf(stderr, "child (%s) hung: killed after %lld ms\n", who,
			(long long)p->ms);
	} else if (WIFSIGNALED(st)) {
		fprintf(stderr, "child (%s) killed by signal %d (%s)%s\n", who,
			WTERMSIG(st), strsignal(WTERMSIG(st)),
			WTERMSIG(st) == SIGALRM ? ": hung" : "");
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == XT_PASS) {
		return XT_PASS;
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == XT_SKIP) {
		dump("stderr", p->err);
		return XT_SKIP;
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 78) {
		dump("stderr", p->err);
		fprintf(stderr, "skip: this program cannot be executed by the "
				"child's user\n");
		return XT_SKIP;
	} else {
		fprintf(stderr, "child (%s) failed: exit status %d\n", who,
			WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	dump("stdout", p->out);
	dump("stderr", p->err);
	return XT_FAIL;
}

/* --- the XAIO_VERBOSE report --- */

int fx_parse_report(const char *text, struct fx_report *r)
{
	const char *s = strstr(text, "xaio: backend ");
	const char *open, *close_;
	size_t len;

	memset(r, 0, sizeof(*r));
	if (!s)
		return -1;
	s += strlen("xaio: backend ");
	open = strstr(s, " (");
	if (!open || (size_t)(open - s) >= sizeof(r->backend))
		return -1;
	memcpy(r->backend, s, (size_t)(open - s));
	close_ = strstr(open, "), ");
	if (!close_)
		return -1;
	len = (size_t)(close_ - open - 2);
	if (len >= sizeof(r->reason))
		return -1;
	memcpy(r->reason, open + 2, len);
	if (sscanf(close_ + 3,
		   "%llu requests: %llu from the page cache, %llu on io_uring "
		   "(%llu batched), %llu on threads (%llu re-issued), "
		   "%llu completed",
		   &r->submitted, &r->inline_reads, &r->on_ring, &r->batched,
		   &r->on_threads, &r->reissued, &r->completed) != 7)
		return -1;
	return 0;
}

int fx_ring_sizes(unsigned *sizes, int max)
{
	int *fds = calloc(max > 0 ? (size_t)max : 1, sizeof(*fds));
	int n = fds ? xt_fd_links("io_uring", NULL, fds, max) : -1;

	for (int i = 0; i < n; i++) {
		char path[64], line[256];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fds[i]);
		f = fopen(path, "r");
		sizes[i] = 0;
		while (f && fgets(line, sizeof(line), f)) {
			unsigned mask;

			if (sscanf(line, "SqMask: %x", &mask) == 1 ||
			    sscanf(line, "SqMask:\t0x%x", &mask) == 1) {
				sizes[i] = mask + 1;
				break;
			}
		}
		if (f)
			fclose(f);
	}
	free(fds);
	return n;
}
