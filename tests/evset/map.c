// SPDX-License-Identifier: MIT
/*
 * Maps (H5M): xaio_map_create/open, put, get, delete, synchronously and
 * in a set (a map that is a future, operations on one key in order); the
 * key rules and the other argument errors, which start nothing; the
 * kernel's errors in the status; and the atomicity of a put, interrupted
 * at each of its steps by a child process that dies there.
 *
 * The interruption: this program defines pwrite, pwrite64, fsync and
 * renameat (exported with -rdynamic, so the library's calls bind to them)
 * that pass through to the C library's, except in a child with kill_at set,
 * where they _exit at the chosen step of the put.  Nothing in the library
 * knows about it.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "evtest.h"

/* --- the interruption --- */

enum {
	K_NONE,
	K_BEFORE_WRITE, /* the temporary file exists, empty */
	K_MID_WRITE, /* half the value written */
	K_BEFORE_FSYNC, /* all written, not synced */
	K_BEFORE_RENAME, /* synced */
	K_BEFORE_DIRSYNC, /* renamed */
	K_STEPS,
};
#define KILLED 99
#define EXPORT __attribute__((visibility("default")))

static int kill_at; /* K_*: set in a child only */
static atomic_int fsyncs; /* workers of several puts call fsync at once */

static ssize_t hooked_pwrite(const char *name, int fd, const void *b, size_t n,
			     off_t off)
{
	ssize_t (*real)(int, const void *, size_t, off_t) =
		(ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT,
								    name);

	if (kill_at == K_BEFORE_WRITE)
		_exit(KILLED);
	if (kill_at == K_MID_WRITE) {
		if (real(fd, b, n / 2, off) != (ssize_t)(n / 2))
			_exit(1);
		_exit(KILLED);
	}
	return real(fd, b, n, off);
}

EXPORT ssize_t pwrite(int fd, const void *b, size_t n, off_t off)
{
	return hooked_pwrite("pwrite", fd, b, n, off);
}

EXPORT ssize_t pwrite64(int fd, const void *b, size_t n, off_t off)
{
	return hooked_pwrite("pwrite64", fd, b, n, off);
}

EXPORT int fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");

	if (kill_at == K_BEFORE_FSYNC && atomic_load(&fsyncs) == 0)
		_exit(KILLED);
	if (kill_at == K_BEFORE_DIRSYNC && atomic_load(&fsyncs) == 1)
		_exit(KILLED);
	if (kill_at != K_NONE)
		atomic_fetch_add(&fsyncs, 1);
	return real(fd);
}

EXPORT int renameat(int od, const char *op, int nd, const char *np)
{
	int (*real)(int, const char *, int, const char *) =
		(int (*)(int, const char *, int, const char *))dlsym(
			RTLD_NEXT, "renameat");

	if (kill_at == K_BEFORE_RENAME)
		_exit(KILLED);
	return real(od, op, nd, np);
}

/* --- helpers --- */

/* Does the file xt_path(name) hold exactly len bytes of s? */
static bool holds(const char *name, const void *s, size_t len)
{
	char *b = malloc(len + 1);
	ssize_t n = b ? et_read_file(xt_path(name), b, len + 1, 0) : -1;
	bool ok = n == (ssize_t)len && !memcmp(b, s, len);

	free(b);
	return ok;
}

/* Entries of directory xt_path(name) whose names start with prefix. */
static int count_prefix(const char *name, const char *prefix)
{
	DIR *d = opendir(xt_path(name));
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static int t_basic(void)
{
	struct xaio_file *m = NULL, *m2 = NULL;
	char b[64];
	struct stat st;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_map_create(&m, NULL, xt_path("m"), 0700, NULL, NULL),
		     0);
	XT_ASSERT(m);
	XT_ASSERT_OK(stat(xt_path("m"), &st));
	XT_ASSERT(S_ISDIR(st.st_mode));
	XT_ASSERT_EQ(st.st_mode & 0777, 0700 & ~0u & 0700);
	XT_ASSERT_EQ(xaio_map_create(&m2, NULL, xt_path("m"), 0700, NULL, NULL),
		     -EEXIST);
	XT_ASSERT(!m2);

	XT_ASSERT_EQ(xaio_map_put(m, "alpha", "one", 3, NULL, NULL), 0);
	XT_ASSERT(holds("m/alpha", "one", 3));
	XT_ASSERT_EQ(count_prefix("m", XAIO_MAP_TMP_PREFIX), 0);
	/* get: the whole size; size 0 asks it; a small buffer gets a part. */
	XT_ASSERT_EQ(xaio_map_get(m, "alpha", NULL, 0, NULL, NULL), 3);
	memset(b, '#', sizeof(b));
	XT_ASSERT_EQ(xaio_map_get(m, "alpha", b, sizeof(b), NULL, NULL), 3);
	XT_ASSERT(!memcmp(b, "one#", 4)); /* no NUL */
	memset(b, '#', sizeof(b));
	XT_ASSERT_EQ(xaio_map_get(m, "alpha", b, 2, NULL, NULL), 3);
	XT_ASSERT(!memcmp(b, "on#", 3));
	/* Replace: longer, shorter, empty; binary values. */
	XT_ASSERT_EQ(xaio_map_put(m, "alpha", "a longer value", 14, NULL, NULL),
		     0);
	XT_ASSERT(holds("m/alpha", "a longer value", 14));
	XT_ASSERT_EQ(xaio_map_put(m, "alpha", "\0x\0", 3, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_map_get(m, "alpha", b, sizeof(b), NULL, NULL), 3);
	XT_ASSERT(!memcmp(b, "\0x\0", 3));
	XT_ASSERT_EQ(xaio_map_put(m, "empty", NULL, 0, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_map_get(m, "empty", b, sizeof(b), NULL, NULL), 0);
	XT_ASSERT(holds("m/empty", "", 0));
	/* Keys that look odd but are names. */
	XT_ASSERT_EQ(xaio_map_put(m, ".hidden key\n", "h", 1, NULL, NULL), 0);
	XT_ASSERT(holds("m/.hidden key\n", "h", 1));
	XT_ASSERT_EQ(xaio_map_put(m, "...", "d", 1, NULL, NULL), 0);

	/* delete; then both say ENOENT. */
	XT_ASSERT_EQ(xaio_map_delete(m, "alpha", NULL, NULL), 0);
	XT_ASSERT_ERRNO(stat(xt_path("m/alpha"), &st), ENOENT);
	XT_ASSERT_EQ(xaio_map_get(m, "alpha", b, sizeof(b), NULL, NULL),
		     -ENOENT);
	XT_ASSERT_EQ(xaio_map_delete(m, "alpha", NULL, NULL), -ENOENT);
	/* A key that is a directory: not a value. */
	XT_ASSERT_OK(mkdir(xt_path("m/sub"), 0755));
	XT_ASSERT_EQ(xaio_map_get(m, "sub", b, sizeof(b), NULL, NULL), -EISDIR);
	XT_ASSERT_EQ(xaio_map_put(m, "sub", "x", 1, NULL, NULL), -EISDIR);
	XT_ASSERT_EQ(count_prefix("m", XAIO_MAP_TMP_PREFIX), 0);
	/* A symbolic link is not followed. */
	XT_ASSERT_OK(symlink("empty", xt_path("m/link")));
	XT_ASSERT_EQ(xaio_map_get(m, "link", b, sizeof(b), NULL, NULL), -ELOOP);
	XT_ASSERT_EQ(xaio_close(m, NULL, NULL), 0);

	/* Open an existing map; open what is not one. */
	XT_ASSERT_EQ(xaio_map_open(&m, NULL, xt_path("m"), NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_map_get(m, "...", b, sizeof(b), NULL, NULL), 1);
	XT_ASSERT_EQ(xaio_close(m, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_map_open(&m, NULL, xt_path("nomap"), NULL, NULL),
		     -ENOENT);
	XT_ASSERT(!m);
	XT_ASSERT_EQ(xaio_map_open(&m, NULL, xt_path("m/empty"), NULL, NULL),
		     -ENOTDIR);
	XT_ASSERT_EQ(
		xaio_map_create(&m, NULL, xt_path("no/such"), 0700, NULL, NULL),
		-ENOENT);
	return XT_PASS;
}

/* A map that is a future, relative to a directory that is one too. */
static int t_in_set(void)
{
	struct xaio_evset *es = NULL;
	struct xaio_file *d = NULL, *m = NULL;
	struct xaio_op_info in;
	struct xaio_opt o;
	static char keys[32][16]; /* values live until their puts complete */
	char b[4][32];
	uint64_t id = 0, gid[4];

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(mkdir(xt_path("base"), 0755));
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&d, xt_path("base"), O_RDONLY | O_DIRECTORY, 0,
			       NULL, es),
		     0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_map_create(&m, d, "sm", 0755, &o, es), 0);
	/* One key, three puts and a get: in order. */
	XT_ASSERT_EQ(xaio_map_put(m, "k", "first", 5, NULL, es), 0);
	XT_ASSERT_EQ(xaio_map_put(m, "k", "second", 6, NULL, es), 0);
	o = et_id(&gid[0]);
	XT_ASSERT_EQ(xaio_map_get(m, "k", b[0], sizeof(b[0]), &o, es), 0);
	XT_ASSERT_EQ(xaio_map_put(m, "k", "third!!", 7, NULL, es), 0);
	o = et_id(&gid[1]);
	XT_ASSERT_EQ(xaio_map_get(m, "k", b[1], sizeof(b[1]), &o, es), 0);
	XT_ASSERT_EQ(xaio_map_delete(m, "k", NULL, es), 0);
	o = et_id(&gid[2]);
	XT_ASSERT_EQ(xaio_map_get(m, "k", b[2], sizeof(b[2]), &o, es), 0);
	/* Many keys at once. */
	for (int i = 0; i < 32; i++) {
		snprintf(keys[i], sizeof(keys[i]), "key%d", i);
		XT_ASSERT_EQ(xaio_map_put(m, keys[i], keys[i], strlen(keys[i]),
					  NULL, es),
			     0);
	}
	o = et_id(&gid[3]);
	XT_ASSERT_EQ(xaio_map_get(m, "key7", b[3], sizeof(b[3]), &o, es), 0);
	XT_ASSERT_EQ(xaio_close(m, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(d, NULL, es), 0);

	XT_ASSERT_EQ(et_status(es, id, &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_map_create"));
	XT_ASSERT_EQ(et_status(es, gid[0], &in), 0);
	XT_ASSERT(!strcmp(in.api, "xaio_map_get"));
	XT_ASSERT_EQ(in.result, 6);
	XT_ASSERT(!memcmp(b[0], "second", 6));
	XT_ASSERT_EQ(et_status(es, gid[1], &in), 0);
	XT_ASSERT_EQ(in.result, 7);
	XT_ASSERT(!memcmp(b[1], "third!!", 7));
	XT_ASSERT_EQ(et_status(es, gid[2], &in), ENOENT);
	XT_ASSERT_EQ(et_status(es, gid[3], &in), 0);
	XT_ASSERT_EQ(in.result, 4);
	XT_ASSERT(!memcmp(b[3], "key7", 4));
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	XT_ASSERT(holds("base/sm/key31", "key31", 5));
	XT_ASSERT_EQ(count_prefix("base/sm", "key"), 32);
	XT_ASSERT_EQ(count_prefix("base/sm", XAIO_MAP_TMP_PREFIX), 0);

	/* A map whose create fails: its operations are cancelled. */
	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(
		xaio_map_create(&m, NULL, xt_path("base/sm"), 0755, NULL, es),
		0);
	o = et_id(&id);
	XT_ASSERT_EQ(xaio_map_put(m, "x", "y", 1, &o, es), 0);
	XT_ASSERT_EQ(et_status(es, id, &in), ECANCELED);
	XT_ASSERT(in.flags & XAIO_INFO_DEP_CANCELED);
	XT_ASSERT_EQ(xaio_close(m, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, ET_LONG, 0, NULL), 0);
	{
		struct xaio_error e[2];
		size_t n = 0;

		XT_ASSERT_EQ(xaio_evset_errors(es, e, 2, &n), 0);
		XT_ASSERT_EQ(n, 2);
		XT_ASSERT(!strcmp(e[0].info.api, "xaio_map_create"));
		XT_ASSERT_EQ(e[0].info.status, EEXIST);
		XT_ASSERT(!strcmp(e[1].info.api, "xaio_map_put"));
		XT_ASSERT(e[1].args && strstr(e[1].args, "path=\"x\"") &&
			  strstr(e[1].args, "len=1"));
		xaio_evset_free_errors(e, n);
	}
	XT_ASSERT_EQ(xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS), 0);
	XT_ASSERT(!holds("base/sm/x", "y", 1));
	return XT_PASS;
}

static int t_keys(void)
{
	static char k255[NAME_MAX + 1], k256[NAME_MAX + 2];
	static const char *const bad[] = {
		"",
		"a/b",
		"/",
		".",
		"..",
		"x/",
		XAIO_MAP_TMP_PREFIX,
		XAIO_MAP_TMP_PREFIX "0123",
	};
	struct xaio_evset *es = NULL;
	struct xaio_file *m = NULL, *n = NULL;
	struct xaio_opt o = {0};
	char b[8];

	XT_REQUIRE_BACKEND();
	memset(k255, 'k', NAME_MAX);
	memset(k256, 'k', NAME_MAX + 1);
	XT_ASSERT_EQ(xaio_map_create(&m, NULL, xt_path("km"), 0755, NULL, NULL),
		     0);
	XT_ASSERT_EQ(xaio_map_put(m, k255, "v", 1, NULL, NULL), 0);
	XT_ASSERT_EQ(xaio_map_get(m, k255, b, sizeof(b), NULL, NULL), 1);

	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		XT_ASSERT_EQ(xaio_map_put(m, bad[i], "v", 1, NULL, es),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_map_get(m, bad[i], b, sizeof(b), NULL, es),
			     -EINVAL);
		XT_ASSERT_EQ(xaio_map_delete(m, bad[i], NULL, es), -EINVAL);
	}
	XT_ASSERT_EQ(xaio_map_put(m, NULL, "v", 1, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_get(m, NULL, b, sizeof(b), NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_delete(m, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_put(m, k256, "v", 1, NULL, es), -ENAMETOOLONG);
	XT_ASSERT_EQ(xaio_map_get(m, k256, b, 1, NULL, es), -ENAMETOOLONG);
	XT_ASSERT_EQ(xaio_map_delete(m, k256, NULL, es), -ENAMETOOLONG);
	/* The other arguments. */
	XT_ASSERT_EQ(xaio_map_put(NULL, "k", "v", 1, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_get(NULL, "k", b, 1, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_delete(NULL, "k", NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_put(m, "k", NULL, 1, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_put(m, "k", "v", (size_t)INT_MAX + 1, NULL, es),
		     -EFBIG);
	XT_ASSERT_EQ(xaio_map_get(m, "k", NULL, 1, NULL, es), -EINVAL);
	o.flags = XAIO_BUF_COPY;
	XT_ASSERT_EQ(xaio_map_put(m, "k", "v", 1, &o, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_get(m, "k", b, 1, &o, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_create(NULL, NULL, xt_path("k2"), 0755, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_map_create(&n, NULL, xt_path("k2"), 010000, NULL, es),
		     -EINVAL);
	XT_ASSERT_EQ(xaio_map_create(&n, NULL, NULL, 0755, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_create(&n, NULL, "", 0755, NULL, es), -ENOENT);
	XT_ASSERT_EQ(xaio_map_open(&n, NULL, NULL, NULL, es), -EINVAL);
	XT_ASSERT_EQ(xaio_map_open(NULL, NULL, xt_path("km"), NULL, es),
		     -EINVAL);
	XT_ASSERT(!n);
	XT_ASSERT(et_untouched(es));
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	XT_ASSERT_EQ(count_prefix("km", ""), 3); /* ".", "..", k255 */
	XT_ASSERT_EQ(xaio_close(m, NULL, NULL), 0);
	return XT_PASS;
}

/*
 * A put killed at each step: afterwards the key holds the old value or
 * the new one, whole (the old up to the rename, the new after it); a
 * temporary file may be left, which get never sees and which does not
 * stop the next put.
 */
static int t_atomic(void)
{
	const size_t len = 1 << 20;
	char *oldv = malloc(len), *newv = malloc(len), *b = malloc(len + 1);
	struct xaio_file *m = NULL;
	int left = 0;

	XT_REQUIRE_BACKEND();
	XT_ASSERT(oldv && newv && b);
	memset(oldv, 'o', len);
	xt_fill_pattern(newv, len, 0);
	XT_ASSERT_EQ(xaio_map_create(&m, NULL, xt_path("am"), 0755, NULL, NULL),
		     0);
	for (int k = K_BEFORE_WRITE; k <= K_STEPS; k++) {
		int st = 0;
		pid_t pid;
		bool renamed = k >= K_BEFORE_DIRSYNC;

		XT_ASSERT_EQ(xaio_map_put(m, "key", oldv, len, NULL, NULL), 0);
		fflush(NULL);
		pid = fork();
		XT_ASSERT(pid >= 0);
		if (pid == 0) {
			kill_at = k == K_STEPS ? K_NONE : k;
			_exit(xaio_map_put(m, "key", newv, len, NULL, NULL)
				      ? 1
				      : 0);
		}
		XT_ASSERT_EQ(waitpid(pid, &st, 0), pid);
		XT_ASSERT(WIFEXITED(st));
		XT_ASSERT_EQ(WEXITSTATUS(st), (k == K_STEPS ? 0 : KILLED));
		XT_ASSERT_EQ(xaio_map_get(m, "key", b, len + 1, NULL, NULL),
			     (int)len);
		XT_ASSERT(!memcmp(b, renamed ? newv : oldv, len));
		XT_ASSERT(holds("am/key", renamed ? newv : oldv, len));
		/* Killed before its rename, a put leaves its temporary. */
		left += !renamed;
		XT_ASSERT_EQ(count_prefix("am", XAIO_MAP_TMP_PREFIX), left);
		XT_ASSERT_EQ(count_prefix("am", ""), 3 + left);
	}
	free(oldv);
	free(newv);
	free(b);
	XT_ASSERT_EQ(xaio_close(m, NULL, NULL), 0);
	return XT_PASS;
}

/*
 * A key someone made a FIFO is refused (EINVAL), not a worker blocked in
 * open(2) for ever: before, xaio_map_get on it never returned.
 */
static int t_fifo_key(void)
{
	struct xaio_file *m = NULL;
	char b[8];

	XT_REQUIRE_BACKEND();
	XT_ASSERT_EQ(xaio_map_create(&m, NULL, xt_path("mf"), 0700, NULL, NULL),
		     0);
	XT_ASSERT_OK(mkfifo(xt_path("mf/k"), 0600));
	XT_ASSERT_EQ(xaio_map_get(m, "k", b, sizeof(b), NULL, NULL), -EINVAL);
	XT_ASSERT_EQ(xaio_close(m, NULL, NULL), 0);
	return XT_PASS;
}

/* In a child (as nobody when root): a create the kernel refuses. */
static int create_denied_child(const char *path)
{
	struct xaio_file *m = NULL;

	if (!geteuid() && (setgid(65534) || setuid(65534)))
		return XT_SKIP;
	/* Mode 0: mkdir works, the open for the handle is refused. */
	XT_ASSERT_EQ(xaio_map_create(&m, NULL, path, 0, NULL, NULL), -EACCES);
	XT_ASSERT(!m);
	return XT_PASS;
}

/*
 * A create that fails leaves no directory behind (before, the directory
 * stayed and a retry said EEXIST).  In a directory of /tmp anybody may
 * reach (the test directory is its owner's only).
 */
static int t_create_fails_clean(void)
{
	char dir[] = "/tmp/xaio-mapc.XXXXXX", path[sizeof(dir) + 2];
	struct stat st;
	bool left;
	int status;
	pid_t pid;

	XT_REQUIRE_BACKEND();
	XT_ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m", dir);
	XT_ASSERT_OK(chmod(dir, 0777));
	fflush(NULL);
	pid = fork();
	XT_ASSERT_GE(pid, 0);
	if (!pid)
		_exit(create_denied_child(path));
	XT_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	left = stat(path, &st) == 0;
	if (left)
		rmdir(path);
	rmdir(dir);
	XT_ASSERT(WIFEXITED(status));
	XT_SKIP_IF(WEXITSTATUS(status) == XT_SKIP, "cannot become nobody");
	XT_ASSERT_EQ(WEXITSTATUS(status), XT_PASS);
	XT_ASSERT(!left);
	return XT_PASS;
}

static const struct xt_case cases[] = {
	{"basic", t_basic},	  {"in_set", t_in_set},
	{"keys", t_keys},	  {"atomic", t_atomic},
	{"fifo_key", t_fifo_key}, {"create_fails_clean", t_create_fails_clean},
};

XT_MAIN(cases)
