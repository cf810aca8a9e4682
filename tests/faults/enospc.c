// SPDX-License-Identifier: MIT
/*
 * ENOSPC reported through the aiocb.  Writes to /dev/full fail with
 * aio_error() ENOSPC and aio_return() -1, one notification each, and a
 * lio_listio(LIO_WAIT) over them returns -1/EIO with every member's own
 * status.  A 1 MiB tmpfs (mounted in a private mount namespace of a forked
 * child) filled by sequential aio_write()s: every write succeeds in full
 * until the file system is full, then the first one that does not fit
 * gets either ENOSPC or a short count followed by ENOSPC; later writes get
 * ENOSPC; a lio_listio(LIO_WAIT) over the full file system returns -1/EIO
 * while its read and its overwrite of existing blocks succeed; everything
 * completes, is notified exactly once, and no descriptor is left open.
 */
#include <aio.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "faults.h"

#define BLK 4096
/* CH does not divide 1 MiB: the last write may be short. */
#define CH (48 * 1024)

/* Even ids notify by signal, odd ids by SIGEV_THREAD. */
static void note(struct aiocb *cb, int id)
{
	if (id % 2)
		fx_sev_thread(&cb->aio_sigevent, id);
	else
		fx_sev_signal(&cb->aio_sigevent, id);
}

/* /dev/full: every write fails with ENOSPC; a list of them with EIO. */
static int enospc_dev_full(void)
{
	static unsigned char wbuf[8][BLK], lbuf[4][BLK];
	static struct aiocb w[8], l[4];
	struct aiocb *all[8], *list[4];
	int fd, base;

	XT_REQUIRE_BACKEND();
	XT_ASSERT_OK(fx_warm());
	base = xt_count_fds();
	fx_notes_reset();
	fd = open("/dev/full", O_RDWR | O_CLOEXEC);
	XT_SKIP_IF(fd < 0, "no /dev/full: %s", strerror(errno));

	for (int i = 0; i < 8; i++) {
		memset(wbuf[i], i + 1, BLK);
		xt_cb_set_op(&w[i], LIO_WRITE, fd, wbuf[i], BLK, 0);
		note(&w[i], i);
		all[i] = &w[i];
		XT_ASSERT_OK(aio_write(&w[i]));
	}
	XT_ASSERT_EQ(fx_wait_all(all, 8, 5000), 0);
	for (int i = 0; i < 8; i++) {
		XT_ASSERT_EQ(aio_error(&w[i]), ENOSPC);
		XT_ASSERT_EQ(aio_return(&w[i]), -1);
	}

	/* Three writes and a read (of zeros) in one waited list. */
	for (int i = 0; i < 4; i++) {
		memset(lbuf[i], 0xee, BLK);
		xt_cb_set_op(&l[i], i == 2 ? LIO_READ : LIO_WRITE, fd, lbuf[i],
			     BLK, 0);
		note(&l[i], 8 + i);
		list[i] = &l[i];
	}
	XT_ASSERT_ERRNO(lio_listio(LIO_WAIT, list, 4, NULL), EIO);
	for (int i = 0; i < 4; i++) {
		if (i == 2) {
			static const unsigned char zero[BLK];

			XT_ASSERT_EQ(aio_error(&l[i]), 0);
			XT_ASSERT_EQ(aio_return(&l[i]), BLK);
			XT_ASSERT_MEM_EQ(lbuf[i], zero, BLK);
		} else {
			XT_ASSERT_EQ(aio_error(&l[i]), ENOSPC);
			XT_ASSERT_EQ(aio_return(&l[i]), -1);
		}
	}
	XT_ASSERT_EQ(fx_notes_expect(12, 5000), 0);
	close(fd);
	XT_ASSERT_EQ(xt_count_fds(), base);
	return XT_PASS;
}

/* Writes buf (len at off) with one aio_write, waits, returns its status. */
static int write_one(int fd, const void *buf, size_t len, off_t off, int id,
		     int *err, ssize_t *ret)
{
	static struct aiocb cb;

	xt_cb_set_op(&cb, LIO_WRITE, fd, (void *)buf, len, off);
	note(&cb, id);
	XT_ASSERT_OK(aio_write(&cb));
	XT_ASSERT_EQ(fx_wait(&cb, 5000), 0);
	*err = aio_error(&cb);
	*ret = aio_return(&cb);
	return XT_PASS;
}

/* Checks the file holds the pattern over [from, to) with pread(). */
static int check_pattern(int fd, off_t from, off_t to)
{
	static unsigned char got[CH], want[CH];

	for (off_t off = from; off < to;) {
		size_t n = (size_t)(to - off) < CH ? (size_t)(to - off) : CH;

		XT_ASSERT_EQ(pread(fd, got, n, off), (ssize_t)n);
		xt_fill_pattern(want, n, (uint64_t)off);
		XT_ASSERT_MEM_EQ(got, want, n);
		off += (off_t)n;
	}
	return XT_PASS;
}

static int fill_tmpfs(void *arg)
{
	static unsigned char buf[CH], rbuf[CH], obuf[CH], xbuf[6][CH];
	static struct aiocb more[6], l[3];
	struct aiocb *all[6], *list[3];
	const char *mnt = arg;
	char path[4200];
	off_t written = 0;
	int fd, base, ids = 0, k, err, full = 0, short_at = -1;
	ssize_t ret;
	struct statvfs sv;

	XT_SKIP_IF(geteuid() != 0, "mounting a tmpfs needs root");
	XT_SKIP_IF(unshare(CLONE_NEWNS) < 0, "unshare(CLONE_NEWNS): %s",
		   strerror(errno));
	XT_SKIP_IF(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0,
		   "mount --make-rprivate /: %s", strerror(errno));
	XT_SKIP_IF(mount("xaio-faults", mnt, "tmpfs", 0, "size=1m") < 0,
		   "mount -t tmpfs -o size=1m: %s", strerror(errno));
	XT_ASSERT_OK(fx_warm());
	base = xt_count_fds();
	fx_notes_reset();
	snprintf(path, sizeof(path), "%s/fill", mnt);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	XT_ASSERT(fd >= 0);

	/* Sequential writes until the file system says it is full. */
	for (k = 0; k < 64 && !full; k++) {
		xt_fill_pattern(buf, CH, (uint64_t)written);
		if (write_one(fd, buf, CH, written, ids++, &err, &ret))
			return XT_FAIL;
		if (err == 0 && ret == CH) {
			XT_ASSERT_LT(short_at,
				     0); /* nothing fits after short */
			written += CH;
		} else if (err == 0 && ret > 0 && ret < CH) {
			XT_ASSERT_LT(short_at, 0);
			short_at = k;
			written += ret;
		} else {
			/* The first failure: ENOSPC, -1, nothing else. */
			if (err != ENOSPC)
				fprintf(stderr,
					"write %d at %lld: error %d "
					"(%s), return %zd\n",
					k, (long long)written, err,
					strerror(err), ret);
			XT_ASSERT_EQ(err, ENOSPC);
			XT_ASSERT_EQ(ret, -1);
			full = 1;
		}
	}
	XT_ASSERT(full);
	if (short_at >= 0)
		XT_ASSERT_EQ(short_at, k - 2); /* ENOSPC right after short */
	printf("info: tmpfs full after %lld bytes in %d writes (%s)\n",
	       (long long)written, k - 1,
	       short_at >= 0 ? "a short write, then ENOSPC"
			     : "ENOSPC with no short write");
	XT_ASSERT_GT(written, 512 * 1024);
	XT_ASSERT_LE(written, 1024 * 1024);
	XT_ASSERT_OK(fstatvfs(fd, &sv));
	XT_ASSERT_LT(sv.f_bavail * sv.f_frsize, CH);

	/* Concurrent writes past the end: all ENOSPC. */
	for (int i = 0; i < 6; i++) {
		xt_fill_pattern(xbuf[i], CH, (uint64_t)(written + i * CH));
		xt_cb_set_op(&more[i], LIO_WRITE, fd, xbuf[i], CH,
			     written + (off_t)(i + 1) * CH);
		note(&more[i], ids++);
		all[i] = &more[i];
		XT_ASSERT_OK(aio_write(&more[i]));
	}
	XT_ASSERT_EQ(fx_wait_all(all, 6, 5000), 0);
	for (int i = 0; i < 6; i++) {
		XT_ASSERT_EQ(aio_error(&more[i]), ENOSPC);
		XT_ASSERT_EQ(aio_return(&more[i]), -1);
	}

	/*
	 * A list on the full file system: a new block (ENOSPC), a read and an
	 * overwrite of blocks that exist (both succeed).
	 */
	xt_cb_set_op(&l[0], LIO_WRITE, fd, xbuf[0], CH, written + 8 * CH);
	xt_cb_set_op(&l[1], LIO_READ, fd, rbuf, CH, 0);
	memset(obuf, 0x5a, CH);
	xt_cb_set_op(&l[2], LIO_WRITE, fd, obuf, CH, CH);
	for (int i = 0; i < 3; i++) {
		note(&l[i], ids++);
		list[i] = &l[i];
	}
	XT_ASSERT_ERRNO(lio_listio(LIO_WAIT, list, 3, NULL), EIO);
	XT_ASSERT_EQ(aio_error(&l[0]), ENOSPC);
	XT_ASSERT_EQ(aio_return(&l[0]), -1);
	XT_ASSERT_EQ(aio_error(&l[1]), 0);
	XT_ASSERT_EQ(aio_return(&l[1]), CH);
	xt_fill_pattern(buf, CH, 0);
	XT_ASSERT_MEM_EQ(rbuf, buf, CH);
	XT_ASSERT_EQ(aio_error(&l[2]), 0);
	XT_ASSERT_EQ(aio_return(&l[2]), CH);

	/* The file: pattern everywhere but the overwritten block. */
	XT_ASSERT_EQ(pread(fd, rbuf, CH, CH), CH);
	XT_ASSERT_MEM_EQ(rbuf, obuf, CH);
	if (check_pattern(fd, 0, CH) || check_pattern(fd, 2 * CH, written))
		return XT_FAIL;
	XT_ASSERT_EQ(lseek(fd, 0, SEEK_END), written);

	XT_ASSERT_EQ(fx_notes_expect(ids, 5000), 0);
	close(fd);
	XT_ASSERT_EQ(xt_count_fds(), base);
	XT_ASSERT_OK(umount2(mnt, 0));
	return XT_PASS;
}

/* A full tmpfs: ENOSPC (or short, then ENOSPC), lists -1/EIO. */
static int enospc_tmpfs_fill(void)
{
	struct fx_proc p;
	char *mnt = xt_path("mnt");

	XT_REQUIRE_BACKEND();
	XT_SKIP_IF(geteuid() != 0, "mounting a tmpfs needs root");
	XT_ASSERT_OK(mkdir(mnt, 0755));
	memset(&p, 0, sizeof(p));
	p.fn = fill_tmpfs;
	p.arg = mnt;
	p.timeout_ms = 10000;
	XT_ASSERT_OK(fx_run(&p));
	rmdir(mnt);
	return fx_verdict(&p);
}

static const struct xt_case cases[] = {
	{"enospc_dev_full", enospc_dev_full},
	{"enospc_tmpfs_fill", enospc_tmpfs_fill},
};

XT_MAIN(cases)
