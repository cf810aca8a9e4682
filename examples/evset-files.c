// SPDX-License-Identifier: MIT
/*
 * evset-files: writes a set of files and reads them back through one event
 * set, without waiting between the steps, then prints what it did.
 *
 *   evset-files [DIR] [NFILES]
 *
 * Every file is opened, written, fsynced and closed with four calls that
 * return at once: the handle from xaio_open() is a future, and the calls
 * on it run in order behind the open.  One xaio_evset_wait() waits for all
 * of it.  The read pass then checks every byte, and the program exits 0
 * only if everything matched and no operation failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xaio.h>

#define MAXFILES 64
#define SIZE 8192

static void fill(char *buf, int file)
{
	for (int i = 0; i < SIZE; i++)
		buf[i] = (char)('a' + (file + i) % 26);
}

/* Prints the set's error records, if any: the caller's line, the cause. */
static void report(struct xaio_evset *es)
{
	struct xaio_error errs[8];
	size_t n;

	while (xaio_evset_errors(es, errs, 8, &n) == 0 && n) {
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s:%u: %s(%s): %s\n",
				errs[i].info.loc.file ? errs[i].info.loc.file
						      : "?",
				errs[i].info.loc.line, errs[i].info.api,
				errs[i].args ? errs[i].args : "", errs[i].msg);
		xaio_evset_free_errors(errs, n);
	}
}

int main(int argc, char **argv)
{
	static char out[MAXFILES][SIZE], in[MAXFILES][SIZE];
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	int nfiles = argc > 2 ? atoi(argv[2]) : 16;
	struct xaio_evset_counts c;
	struct xaio_evset *es;
	char path[4096];
	ssize_t got[MAXFILES];
	int r, bad = 0;

	if (nfiles < 1 || nfiles > MAXFILES) {
		fprintf(stderr, "usage: %s [DIR] [NFILES 1..%d]\n", argv[0],
			MAXFILES);
		return 2;
	}
	r = xaio_evset_create(&es, NULL);
	if (r < 0) {
		fprintf(stderr, "xaio_evset_create: %s\n", strerror(-r));
		return 1;
	}

	/* Pass 1: create, write, fsync, close; nothing waits in between. */
	for (int i = 0; i < nfiles; i++) {
		struct xaio_file *f;

		fill(out[i], i);
		snprintf(path, sizeof(path), "%s/evset-files.%d.%d", dir,
			 (int)getpid(), i);
		if ((r = xaio_open(&f, path, O_CREAT | O_WRONLY | O_TRUNC, 0644,
				   NULL, es)) < 0 ||
		    (r = xaio_pwrite(f, out[i], SIZE, 0, NULL, NULL, es)) < 0 ||
		    (r = xaio_fsync(f, NULL, es)) < 0 ||
		    (r = xaio_close(f, NULL, es)) < 0) {
			fprintf(stderr, "submit: %s\n", strerror(-r));
			return 1;
		}
	}
	r = xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c);
	printf("write pass: %llu operations, %llu succeeded, %llu failed\n",
	       (unsigned long long)c.inserted, (unsigned long long)c.succeeded,
	       (unsigned long long)(c.failed + c.dep_canceled));
	report(es);
	bad |= r != 0 || c.failed || c.dep_canceled;

	/* Pass 2: open, read, close each, all in flight at once. */
	for (int i = 0; i < nfiles; i++) {
		struct xaio_file *f;

		snprintf(path, sizeof(path), "%s/evset-files.%d.%d", dir,
			 (int)getpid(), i);
		if ((r = xaio_open(&f, path, O_RDONLY, 0, NULL, es)) < 0 ||
		    (r = xaio_pread(f, in[i], SIZE, 0, &got[i], NULL, es)) <
			    0 ||
		    (r = xaio_close(f, NULL, es)) < 0) {
			fprintf(stderr, "submit: %s\n", strerror(-r));
			return 1;
		}
	}
	r = xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c);
	report(es);
	for (int i = 0; i < nfiles; i++) {
		bad |= got[i] != SIZE || memcmp(in[i], out[i], SIZE) != 0;
		snprintf(path, sizeof(path), "%s/evset-files.%d.%d", dir,
			 (int)getpid(), i);
		unlink(path);
	}
	printf("read pass: %d files of %d bytes read back, %s\n", nfiles, SIZE,
	       bad ? "MISMATCH" : "all bytes match");
	printf("in total: %llu operations, %llu failed\n",
	       (unsigned long long)c.inserted,
	       (unsigned long long)(c.failed + c.dep_canceled));
	bad |= r != 0 || c.failed || c.dep_canceled;
	xaio_evset_close(es, XAIO_CLOSE_DISCARD_ERRORS);
	return bad;
}
