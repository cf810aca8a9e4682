// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD shim for the xaio-bench tests, two file systems a test
 * cannot mount: with XAIO_SHIM=nodirect, one without O_DIRECT (open,
 * open64 and openat with O_DIRECT fail with EINVAL, as they do there);
 * with XAIO_SHIM=full, one with 1 MiB free (statvfs says so).  Everything
 * else goes through.  No state, no locks.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

static int shim(const char *what)
{
	const char *s = getenv("XAIO_SHIM");

	return s && !strcmp(s, what);
}

static int refused(int flags)
{
	if (!(flags & O_DIRECT) || !shim("nodirect"))
		return 0;
	errno = EINVAL;
	return 1;
}

#define MODE(flags, mode)                                                      \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, flags);                                           \
		mode = (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t)  \
							 : 0;                  \
		va_end(ap);                                                    \
	} while (0)

int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);
int openat(int dirfd, const char *path, int flags, ...);

int open(const char *path, int flags, ...)
{
	mode_t mode;

	MODE(flags, mode);
	if (refused(flags))
		return -1;
	return ((open_fn)dlsym(RTLD_NEXT, "open"))(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode;

	MODE(flags, mode);
	if (refused(flags))
		return -1;
	return ((open_fn)dlsym(RTLD_NEXT, "open64"))(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;

	MODE(flags, mode);
	if (refused(flags))
		return -1;
	return ((openat_fn)dlsym(RTLD_NEXT, "openat"))(dirfd, path, flags,
						       mode);
}

int statvfs(const char *path, struct statvfs *sv)
{
	int r = ((int (*)(const char *, struct statvfs *))dlsym(
		RTLD_NEXT, "statvfs"))(path, sv);

	if (r == 0 && shim("full"))
		sv->f_bavail = sv->f_bfree = (1 << 20) / sv->f_frsize;
	return r;
}
