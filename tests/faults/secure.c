// SPDX-License-Identifier: MIT
/*
 * The XAIO_ environment variables are ignored in secure-execution mode.
 *
 * libxaio-posix reads XAIO_BACKEND, XAIO_THREADS, XAIO_FAULT and
 * XAIO_VERBOSE with secure_getenv() (xaio__getenv() in src/core/engine.c),
 * so a set-user-ID program cannot be steered by its caller's environment.
 * This test makes a real set-uid run: as root it copies its own executable
 * into a fresh 0755 directory (under xt_tmpdir(), or /var/tmp, whichever
 * is on a file system mounted without nosuid and noexec), chowns the copy
 * to uid/gid 65534 and runs it with fork + execve and an explicit
 * environment:
 *
 *   XAIO_BACKEND=threads XAIO_THREADS=1 XAIO_FAULT=EIO:1 XAIO_VERBOSE=1
 *
 * Child mode "io:<AT_SECURE wanted>" checks getauxval(AT_SECURE) against
 * what it was told to expect (a set-uid exec must have given 1: the test
 * fails rather than pass without secure mode), does an aio_write and an
 * aio_read back on a file descriptor inherited from the parent, then lists
 * the threads named "xaio-worker" in /proc/self/task (the thread pool's
 * workers; io_uring has none for file reads and writes; idle workers live
 * 2 s, so they are counted right after the I/O), its io_uring fds, and
 * which libxaio-posix it loaded (found through the executable's absolute
 * RUNPATH: the loader ignores LD_LIBRARY_PATH here).
 *
 *  - secure_control: the same copy without the set-uid bit (AT_SECURE 0),
 *    the same environment.  The variables act: both requests fail with
 *    EIO and leave the file as it was, one xaio-worker thread exists and
 *    no ring, and the XAIO_VERBOSE line says "backend threads (forced by
 *    XAIO_BACKEND)" with 2 requests.  This proves that the environment
 *    the secure case gets would change what the library does.
 *  - secure_setuid: the set-uid copy (euid 65534, uid 0: AT_SECURE 1).
 *    getenv() still sees the four variables, secure_getenv() none; the
 *    write and read succeed and the data is in the file (no XAIO_FAULT),
 *    no XAIO_VERBOSE line appears, and when io_uring can be set up in that
 *    process the requests ran on io_uring: a ring and no xaio-worker
 *    thread (XAIO_BACKEND=threads ignored).  Without io_uring there that
 *    last check is skipped, with a note.
 *
 * XAIO_THREADS=1 is set too, but only the control's single worker shows
 * it; nothing observes it on its own in the set-uid run.  Under ASan the
 * set-uid child runs without LeakSanitizer (__asan_default_options below).
 *
 * Both registrations (.uring, .threads) run the same cases: the children
 * get an explicit environment, so this run's XAIO_BACKEND does not matter,
 * and XT_REQUIRE_BACKEND() is not used.  Needs root (else exit 77); skips
 * with the reason when no_new_privs is set, no file system allows set-uid
 * programs, uid 65534 cannot be used or cannot read libxaio-posix.so.
 */
#include <aio.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "faults.h"

#define BLK 4096
#define NOBODY 65534
#define FD_ENV "XSECURE_FD"

static const char *const xaio_vars[] = {"XAIO_BACKEND", "XAIO_THREADS",
					"XAIO_FAULT", "XAIO_VERBOSE"};
#define NVARS (sizeof(xaio_vars) / sizeof(xaio_vars[0]))

/* --- both sides --- */

static int find_lib(struct dl_phdr_info *info, size_t size, void *data)
{
	char *out = data;

	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, "libxaio-posix")) {
		snprintf(out, PATH_MAX, "%s", info->dlpi_name);
		return 1;
	}
	return 0;
}

/* The path the loader opened libxaio-posix from; "" when not loaded. */
static const char *lib_path(void)
{
	static char path[PATH_MAX];

	path[0] = 0;
	dl_iterate_phdr(find_lib, path);
	return path;
}

/* --- the child --- */

#ifdef __SANITIZE_ADDRESS__
/*
 * LeakSanitizer stops the world with ptrace, which a set-uid process (not
 * dumpable, euid != uid) does not allow, and ASan cannot read
 * ASAN_OPTIONS there (/proc/self/environ is root's): no leak check in
 * secure mode.
 */
__attribute__((visibility("default"))) const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return getauxval(AT_SECURE) ? "detect_leaks=0" : "";
}
#endif

/* Threads of this process named "xaio-worker" (the thread pool's). */
static int count_workers(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], comm[32];
		ssize_t len;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* the thread has just exited */
		len = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (len <= 0)
			continue;
		comm[len] = 0;
		comm[strcspn(comm, "\n")] = 0;
		if (!strcmp(comm, "xaio-worker"))
			n++;
	}
	closedir(d);
	return n;
}

/* Waits for cb; its aio_error(), after checking aio_return() fits it. */
static int finish(struct aiocb *cb, int *err)
{
	ssize_t ret;

	XT_ASSERT_EQ(fx_wait(cb, 10000), 0);
	*err = aio_error(cb);
	ret = aio_return(cb);
	if (*err)
		XT_ASSERT_EQ(ret, -1);
	else
		XT_ASSERT_EQ(ret, BLK);
	return XT_PASS;
}

/*
 * Child mode "io:<want>": AT_SECURE must be <want>; a write and a read
 * back on the inherited fd $XSECURE_FD; prints what it saw on one line,
 * and the library's path on another.
 */
static int child_io(int want)
{
	static unsigned char wbuf[BLK], rbuf[BLK];
	static struct aiocb w, r;
	unsigned long secure = getauxval(AT_SECURE);
	const char *fdenv = getenv(FD_ENV);
	int seen = 0, secure_seen = 0, werr, rerr, workers, rings, uring;
	int fd = fdenv ? atoi(fdenv) : -1;

	printf("euid=%d uid=%d\n", (int)geteuid(), (int)getuid());
	if (secure != (unsigned long)want) {
		fprintf(stderr, "AT_SECURE is %lu, want %d: %s\n", secure, want,
			want ? "the exec did not enter secure-execution mode"
			     : "unexpected secure-execution mode");
		return XT_FAIL;
	}
	for (size_t i = 0; i < NVARS; i++) {
		seen += getenv(xaio_vars[i]) != NULL;
		secure_seen += secure_getenv(xaio_vars[i]) != NULL;
	}
	XT_ASSERT(fd >= 0);
	XT_ASSERT(fcntl(fd, F_GETFD) >= 0);

	memset(wbuf, 0x5a, BLK);
	xt_cb_set_op(&w, LIO_WRITE, fd, wbuf, BLK, 0);
	XT_ASSERT_OK(aio_write(&w));
	if (finish(&w, &werr) != XT_PASS)
		return XT_FAIL;
	xt_cb_set_op(&r, LIO_READ, fd, rbuf, BLK, 0);
	XT_ASSERT_OK(aio_read(&r));
	if (finish(&r, &rerr) != XT_PASS)
		return XT_FAIL;
	/* At once: an idle worker exits after 2 s. */
	workers = count_workers();
	rings = xt_count_rings();
	/* Probe only without a ring of its own (the probe takes memlock). */
	uring = rings > 0 || xt_uring_available();

	printf("at_secure=%lu env=%d secure_env=%d write=%d read=%d data=%d "
	       "workers=%d rings=%d uring=%d\n",
	       secure, seen, secure_seen, werr, rerr,
	       !rerr && !memcmp(rbuf, wbuf, BLK), workers, rings, uring);
	printf("lib=%s\n", lib_path());
	return XT_PASS;
}

static int child_main(const char *mode)
{
	if (!strcmp(mode, "io:0"))
		return child_io(0);
	if (!strcmp(mode, "io:1"))
		return child_io(1);
	fprintf(stderr, "unknown child mode %s\n", mode);
	return XT_FAIL;
}

FX_CHILD_MAIN(child_main)

/* --- the parent --- */

struct seen {
	unsigned long at_secure;
	int env, secure_env, write, read, data, workers, rings, uring;
	char lib[PATH_MAX];
	unsigned char file[BLK]; /* the file's first block afterwards */
};

/* In the forked child: uid/gid 65534 must be able to open arg. */
static int nobody_opens(void *arg)
{
	const char *path = arg;
	int fd;

	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 ||
	    setuid(NOBODY) < 0) {
		fprintf(stderr, "skip: cannot become uid %d: %s\n", NOBODY,
			strerror(errno));
		return XT_SKIP;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr,
			"skip: uid %d cannot open %s (%s): the set-uid copy "
			"could not load it\n",
			NOBODY, path, strerror(errno));
		return XT_SKIP;
	}
	close(fd);
	return XT_PASS;
}

static int preconditions(void)
{
	struct fx_proc p;
	const char *lib;

	XT_SKIP_IF(geteuid() != 0,
		   "needs root: a set-uid copy owned by uid %d is run by uid "
		   "0 to enter secure-execution mode",
		   NOBODY);
	XT_SKIP_IF(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1,
		   "no_new_privs is set: exec would ignore the set-uid bit");
	lib = lib_path();
	XT_ASSERT(*lib == '/');
	memset(&p, 0, sizeof(p));
	p.fn = nobody_opens;
	p.arg = (void *)lib;
	p.timeout_ms = 10000;
	XT_ASSERT_OK(fx_run(&p));
	return fx_verdict(&p);
}

/*
 * A new 0755 directory in dir[len] on a file system that honours set-uid
 * bits: under xt_tmpdir() (made traversable, 0711), else /var/tmp.
 */
static int make_dir(char *dir, size_t len)
{
	const char *bases[] = {xt_tmpdir(), "/var/tmp"};

	for (size_t i = 0; i < 2; i++) {
		struct statvfs vfs;

		if (statvfs(bases[i], &vfs) < 0) {
			printf("note: statvfs %s: %s\n", bases[i],
			       strerror(errno));
			continue;
		}
		if (vfs.f_flag & (ST_NOSUID | ST_NOEXEC)) {
			printf("note: %s is mounted %s\n", bases[i],
			       vfs.f_flag & ST_NOSUID ? "nosuid" : "noexec");
			continue;
		}
		if (i == 0)
			XT_ASSERT_OK(chmod(bases[i], 0711));
		snprintf(dir, len, "%s/secure.XXXXXX", bases[i]);
		XT_ASSERT(mkdtemp(dir) != NULL);
		XT_ASSERT_OK(chmod(dir, 0755));
		return XT_PASS;
	}
	fprintf(stderr,
		"skip: neither %s nor /var/tmp allows set-uid "
		"programs\n",
		bases[0]);
	return XT_SKIP;
}

/* Copies /proc/self/exe to dst, owned by uid/gid 65534, with mode. */
static int copy_self(const char *dst, mode_t mode)
{
	static char buf[65536];
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	XT_ASSERT(in >= 0);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	XT_ASSERT(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		XT_ASSERT_EQ(write(out, buf, (size_t)n), n);
	XT_ASSERT_EQ(n, 0);
	close(in);
	if (fchown(out, NOBODY, NOBODY) < 0) {
		int e = errno;

		close(out);
		fprintf(stderr, "skip: cannot chown a file to uid %d: %s\n",
			NOBODY, strerror(e));
		return XT_SKIP;
	}
	/* After fchown(), which clears the set-uid bit. */
	XT_ASSERT_OK(fchmod(out, mode));
	/* Closed before the exec (ETXTBSY otherwise). */
	XT_ASSERT_OK(close(out));
	return XT_PASS;
}

struct exec_args {
	const char *path;
	char **envp;
};

/* fx_run()'s hook in the forked child: exec the copy, not /proc/self/exe. */
static int exec_copy(void *arg)
{
	const struct exec_args *a = arg;

	int e;

	execve(a->path, (char *[]){(char *)"faults-secure-child", NULL},
	       a->envp);
	e = errno;
	fprintf(stderr, "execve %s: %s\n", a->path, strerror(e));
	return e == EACCES ? 78 : 126;
}

/* Copies NAME=value from this environment into env[*n] if it is set. */
static void pass_on(char **env, size_t *n, const char *name)
{
	extern char **environ;
	size_t len = strlen(name);

	for (char **e = environ; *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			env[(*n)++] = *e;
}

/* What both runs share: the same library, the variables in environ. */
static int check_common(const struct seen *s)
{
	if (strcmp(s->lib, lib_path())) {
		fprintf(stderr, "the copy loaded %s, this program %s\n", s->lib,
			lib_path());
		return XT_FAIL;
	}
	XT_ASSERT_EQ(s->env, NVARS);
	return XT_PASS;
}

/*
 * Runs child mode "io:<suid>" through a copy of this program (set-uid
 * to 65534 if suid) with the XAIO_ variables set; fills *s and checks
 * what both runs share (check_common).
 */
static int run_copy(int suid, struct fx_proc *p, struct seen *s)
{
	static char dir[PATH_MAX], exe[PATH_MAX + 16], mode[32], fdvar[32];
	char *env[16];
	size_t n = 0;
	struct exec_args a = {exe, env};
	const char *line;
	int fd, r;

	r = preconditions();
	if (r != XT_PASS)
		return r;
	r = make_dir(dir, sizeof(dir));
	if (r != XT_PASS)
		return r;
	snprintf(exe, sizeof(exe), "%s/faults-secure", dir);
	r = copy_self(exe, suid ? 04755 : 0755);
	if (r != XT_PASS)
		goto out;
	r = XT_FAIL;
	/* Root's file, inherited open: uid 65534 needs no access to it. */
	fd = xt_make_file(suid ? "setuid-data" : "control-data", BLK, 0);
	if (fd < 0)
		goto out;

	snprintf(mode, sizeof(mode), FX_MODE_ENV "=io:%d", suid);
	snprintf(fdvar, sizeof(fdvar), FD_ENV "=%d", fd);
	env[n++] = mode;
	env[n++] = fdvar;
	env[n++] = (char *)"XAIO_BACKEND=threads";
	env[n++] = (char *)"XAIO_THREADS=1";
	env[n++] = (char *)"XAIO_FAULT=EIO:1";
	env[n++] = (char *)"XAIO_VERBOSE=1";
	env[n++] = (char *)"PATH=/usr/bin:/bin";
	pass_on(env, &n, "ASAN_OPTIONS");
	pass_on(env, &n, "UBSAN_OPTIONS");
	pass_on(env, &n, "LSAN_OPTIONS");
	env[n] = NULL;

	memset(p, 0, sizeof(*p));
	p->mode = suid ? "io:1" : "io:0";
	p->pre = exec_copy;
	p->arg = &a;
	p->timeout_ms = 20000;
	if (fx_run(p) == 0)
		r = fx_verdict(p);
	if (r == XT_PASS) {
		memset(s, 0, sizeof(*s));
		line = strstr(p->out, "at_secure=");
		if (!line ||
		    sscanf(line,
			   "at_secure=%lu env=%d secure_env=%d write=%d "
			   "read=%d data=%d workers=%d rings=%d uring=%d",
			   &s->at_secure, &s->env, &s->secure_env, &s->write,
			   &s->read, &s->data, &s->workers, &s->rings,
			   &s->uring) != 9 ||
		    !(line = strstr(p->out, "lib=")) ||
		    sscanf(line, "lib=%4095s", s->lib) != 1 ||
		    pread(fd, s->file, BLK, 0) != BLK) {
			fprintf(stderr, "cannot read the child's results:\n%s",
				p->out);
			r = XT_FAIL;
		} else {
			r = check_common(s);
		}
	}
	close(fd);
out:
	unlink(exe);
	rmdir(dir);
	return r;
}

/* Not set-uid: the variables are honoured. */
static int secure_control(void)
{
	unsigned char want[BLK];
	struct fx_report rep;
	struct fx_proc p;
	struct seen s;
	int r = run_copy(0, &p, &s);

	if (r != XT_PASS)
		return r;
	XT_ASSERT_EQ(s.at_secure, 0);
	XT_ASSERT_EQ(s.secure_env, NVARS);
	/* XAIO_FAULT=EIO:1: both fail, without touching the file. */
	XT_ASSERT_EQ(s.write, EIO);
	XT_ASSERT_EQ(s.read, EIO);
	xt_fill_pattern(want, BLK, 0);
	XT_ASSERT_MEM_EQ(s.file, want, BLK);
	/* XAIO_BACKEND=threads, XAIO_THREADS=1: one worker, no ring. */
	XT_ASSERT_EQ(s.workers, 1);
	XT_ASSERT_EQ(s.rings, 0);
	/* XAIO_VERBOSE=1. */
	if (fx_parse_report(p.err, &rep)) {
		fprintf(stderr, "no XAIO_VERBOSE line in:\n%s", p.err);
		return XT_FAIL;
	}
	XT_ASSERT(!strcmp(rep.backend, "threads"));
	XT_ASSERT(!strcmp(rep.reason, "forced by XAIO_BACKEND"));
	XT_ASSERT_EQ(rep.submitted, 2);
	XT_ASSERT_EQ(rep.on_threads, 2);
	XT_ASSERT_EQ(rep.completed, 2);
	printf("observed: not set-uid: AT_SECURE 0, backend threads, %d "
	       "worker, both requests EIO, XAIO_VERBOSE report\n",
	       s.workers);
	return XT_PASS;
}

/* Set-uid: the same environment is ignored. */
static int secure_setuid(void)
{
	unsigned char want[BLK];
	struct fx_proc p;
	struct seen s;
	int r = run_copy(1, &p, &s);

	if (r != XT_PASS)
		return r;
	XT_ASSERT(strstr(p.out, "euid=65534 uid=0\n"));
	XT_ASSERT_EQ(s.at_secure, 1);
	XT_ASSERT_EQ(s.secure_env, 0);
	/* XAIO_FAULT ignored: the write and read went through. */
	XT_ASSERT_EQ(s.write, 0);
	XT_ASSERT_EQ(s.read, 0);
	XT_ASSERT_EQ(s.data, 1);
	memset(want, 0x5a, BLK);
	XT_ASSERT_MEM_EQ(s.file, want, BLK);
	/* XAIO_VERBOSE ignored. */
	if (strstr(p.err, "xaio: ")) {
		fprintf(stderr, "a report in secure mode:\n%s", p.err);
		return XT_FAIL;
	}
	/* XAIO_BACKEND=threads ignored: io_uring, when it exists here. */
	if (!s.uring) {
		printf("note: io_uring cannot be set up in the set-uid child "
		       "(%d xaio-worker threads): the backend check is "
		       "skipped\n",
		       s.workers);
		printf("observed: set-uid: AT_SECURE 1, no EIO, no report\n");
		return XT_PASS;
	}
	XT_ASSERT_EQ(s.workers, 0);
	XT_ASSERT_GE(s.rings, 1);
	printf("observed: set-uid: AT_SECURE 1, backend io_uring (%d ring, "
	       "0 workers), no EIO, no report\n",
	       s.rings);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"secure_control", secure_control},
	{"secure_setuid", secure_setuid},
};

XT_MAIN(cases)
