// SPDX-License-Identifier: MIT
/*
 * xaio-bench copies: the two engines that are commands, xaio-cp (issue
 * #20's recursive copy on event sets) and GNU `cp -a`, and one sample of
 * cp-small or cp-large: the source tree read whole first (page cache
 * hot), one run of `PROGRAM [OPT] SRC DST` timed from spawn to exit, its
 * CPU time taken from getrusage(RUSAGE_CHILDREN), the copy checked
 * entry by entry (trees.c: check_tree; a fast wrong copy fails its cell),
 * then removed outside the timed part.
 *
 * Each copy gets a new name under one parent directory that carries ext4's
 * "top directory" flag (chattr +T), so the file system puts each copy in
 * the block group with the fewest directories (Orlov); the contents of a
 * checked copy are removed, but its empty top directory stays until the
 * end of the run, so its group keeps a directory and the next copy goes
 * elsewhere: a copy is never made in the inodes the previous one just
 * freed, which on ext4 without a journal is ten times slower for a minute
 * or more (recently_deleted(), see xaio-bench(1)).  The command's
 * standard output is /dev/null and its standard error a memfd whose start
 * explains a failure.  Single threaded; a signal (bench_stop) interrupts
 * the wait, and the child is sent SIGTERM and waited for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

#ifndef XAIO_CP_BUILD
#define XAIO_CP_BUILD ""
#endif

static int executable(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && !access(p, X_OK);
}

/* name in $PATH into buf: 1 found, 0 not. */
static int on_path(const char *name, char *buf, size_t n)
{
	const char *path = getenv("PATH"), *s, *e;

	for (s = path; s && *s; s = *e ? e + 1 : e) {
		e = strchrnul(s, ':');
		if (e == s)
			continue;
		snprintf(buf, n, "%.*s/%s", (int)(e - s), s, name);
		if (executable(buf))
			return 1;
	}
	return 0;
}

/*
 * xaio-cp: --xaio-cp PATH; else beside this program (installed); else the
 * build tree's (CMake's TARGET_FILE, when the target exists); else $PATH.
 */
static const char *xaio_cp(const struct bench *b, const char **opt, char *why,
			   size_t whylen)
{
	static char buf[4200];
	char self[4096];
	ssize_t n;
	char *slash;

	*opt = NULL;
	if (b->o.xaio_cp) {
		if (executable(b->o.xaio_cp))
			return b->o.xaio_cp;
		snprintf(why, whylen, "xaio-cp not built (%s: %s)",
			 b->o.xaio_cp,
			 access(b->o.xaio_cp, F_OK) ? strerror(errno)
						    : "not an executable file");
		return NULL;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(buf, sizeof(buf), "%s/xaio-cp", self);
			if (executable(buf))
				return buf;
		}
	}
	if (XAIO_CP_BUILD[0] && executable(XAIO_CP_BUILD))
		return XAIO_CP_BUILD;
	if (on_path("xaio-cp", buf, sizeof(buf)))
		return buf;
	snprintf(why, whylen,
		 "xaio-cp not built (not beside xaio-bench, in the build "
		 "tree or on PATH; --xaio-cp PATH)");
	return NULL;
}

static const char *cp_a(const struct bench *b, const char **opt, char *why,
			size_t whylen)
{
	static char buf[4200];

	(void)b;
	*opt = "-a";
	if (on_path("cp", buf, sizeof(buf)))
		return buf;
	snprintf(why, whylen, "no cp on PATH");
	return NULL;
}

const struct engine eng_xaio_cp = {
	.name = "xaio-cp",
	.desc = "xaio-cp SRC DST (the recursive copy on xaio's event sets)",
	.ops = OP_COPY,
	.command = xaio_cp,
};

const struct engine eng_cp = {
	.name = "cp",
	.desc = "cp -a SRC DST (GNU coreutils, from PATH)",
	.ops = OP_COPY,
	.command = cp_a,
};

/* The parent of the copies: 0, or -errno. */
static int copy_parent(struct bench *b)
{
	int fd, flags = 0;

	if (b->cdst[0])
		return 0;
	snprintf(b->cdst, sizeof(b->cdst), "%s/xaio-bench-cp.%d", b->o.dir,
		 (int)getpid());
	if (mkdir(b->cdst, 0700) < 0) {
		int e = -errno;

		b->cdst[0] = 0;
		return e;
	}
	/* spread the copies over block groups (ext4 Orlov); else nothing */
	fd = open(b->cdst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
			flags |= FS_TOPDIR_FL;
			(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
		}
		close(fd);
	}
	return 0;
}

/* The contents of copy p (not timed); its empty top stays (see above). */
static void empty_copy(const char *p)
{
	char q[8192];
	DIR *d = opendir(p);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(q, sizeof(q), "%s/%s", p, de->d_name);
		remove_tree(q);
	}
	if (d)
		closedir(d);
}

/* The copies and their parent, on every way out (main.c). */
void remove_copies(struct bench *b)
{
	if (b->cdst[0])
		remove_tree(b->cdst);
	b->cdst[0] = 0;
	b->cur[0] = 0;
}

/* The first line of what the command wrote on its standard error. */
static void first_line(int fd, char *buf, size_t n)
{
	ssize_t k = pread(fd, buf, n - 1, 0);
	char *nl;

	buf[k > 0 ? k : 0] = 0;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
}

/* Runs argv; *status from waitpid, 0 or -errno (-EINTR: interrupted). */
static int spawn_wait(char *const *argv, int errfd, int *status)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r)
		return -r;
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
		if (bench_stop) {
			kill(pid, SIGTERM);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return -EINTR;
		}
	}
	return 0;
}

int copy_sample(struct bench *b, const struct engine *e, enum wl w,
		struct sample *s, char *why, size_t whylen)
{
	const char *src = w == W_CP_SMALL ? b->csmall : b->clarge, *opt;
	const char *prog = e->command(b, &opt, why, whylen);
	char err[200], *argv[5];
	double t0, t1, c0, c1, bytes, files;
	int r, st = 0, errfd, argc = 0;
	size_t n;

	memset(s, 0, sizeof(*s));
	if (!prog)
		return -ENOENT;
	r = copy_parent(b);
	if (r) {
		snprintf(why, whylen, "%s/xaio-bench-cp: %s", b->o.dir,
			 strerror(-r));
		return r;
	}
	r = warm_tree(b, w);
	if (r) {
		snprintf(why, whylen, "reading %s: %s", src, strerror(-r));
		return r;
	}
	/* a name of its own: ext4 starts its search for a group at its hash */
	snprintf(b->cur, sizeof(b->cur), "%s/%s-%d-%u", b->cdst, e->name,
		 (int)getpid(), b->ncopy++);
	errfd = memfd_create("xaio-bench-stderr", MFD_CLOEXEC);
	if (errfd < 0) {
		r = -errno;
		snprintf(why, whylen, "memfd_create: %s", strerror(errno));
		return r;
	}
	n = strlen(b->cur);
	argv[argc++] = (char *)prog;
	if (opt)
		argv[argc++] = (char *)opt;
	argv[argc++] = (char *)src;
	argv[argc++] = b->cur;
	argv[argc] = NULL;
	c0 = cpu_s(RUSAGE_CHILDREN);
	t0 = now_s();
	r = spawn_wait(argv, errfd, &st);
	t1 = now_s();
	c1 = cpu_s(RUSAGE_CHILDREN);
	first_line(errfd, err, sizeof(err));
	close(errfd);
	if (r == -EINTR)
		return r; /* main.c removes the copies */
	if (r)
		snprintf(why, whylen, "%s: cannot run: %s", prog, strerror(-r));
	else if (WIFSIGNALED(st))
		snprintf(why, whylen, "%s killed by signal %d%s%s", e->name,
			 WTERMSIG(st), err[0] ? ": " : "", err);
	else if (WEXITSTATUS(st))
		snprintf(why, whylen, "%s exit status %d%s%s", e->name,
			 WEXITSTATUS(st), err[0] ? ": " : "", err);
	else if (check_tree(b, w, b->cur, err, sizeof(err)) < 0)
		snprintf(why, whylen, "wrong copy by %s: %s", e->name,
			 err + (strncmp(err, b->cur, n) || err[n] != '/'
					? 0
					: n + 1));
	else
		r = 1;
	empty_copy(b->cur);
	b->cur[0] = 0;
	if (r != 1)
		return r ? r : -EIO;
	files = w == W_CP_SMALL ? b->o.ntree : CP_LARGE_FILES;
	bytes = w == W_CP_SMALL ? tree_bytes(b)
				: (double)b->o.large * CP_LARGE_FILES;
	s->ops = w == W_CP_SMALL ? (uint64_t)files
				 : (uint64_t)(bytes / (1 << 20));
	s->mib_s = bytes / (1 << 20) / (t1 - t0);
	s->rate = w == W_CP_SMALL ? files / (t1 - t0) : s->mib_s;
	s->cpu_us = (c1 - c0) * 1e6 / (double)(s->ops ? s->ops : 1);
	return 0;
}
