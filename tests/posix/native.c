// SPDX-License-Identifier: MIT
/*
 * One engine per process: a program that uses POSIX AIO (libxaio-posix)
 * and the native API (libxaio) at once runs both on the same engine.
 * libxaio's own statistics count the aiocb requests, the io_uring backend
 * has exactly one ring, and the two kinds of requests on one file see
 * each other's data.
 */
#include <aio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <xaio.h>

#include "xtest.h"
#include "xaio-test.h"

#define BLK 4096

static uint64_t submitted(void)
{
	struct xaio_runtime_info info = {.size = sizeof(info)};

	if (xaio_runtime_info(&info) < 0)
		return UINT64_MAX;
	return info.submitted;
}

static int test_one_engine(void)
{
	static unsigned char wbuf[BLK], rbuf[BLK];
	static struct aiocb w;
	const struct aiocb *one[1] = {&w};
	struct timespec ts = {5, 0};
	struct xaio_evset *es;
	struct xaio_file *f;
	ssize_t got = 0;
	uint64_t before;
	int fd;

	fd = xt_make_file("native", 4 * BLK, 0);
	XT_ASSERT(fd >= 0);
	before = submitted();
	XT_ASSERT(before != UINT64_MAX);
	memset(wbuf, 0x5c, BLK);
	xt_cb_set_op(&w, LIO_WRITE, fd, wbuf, BLK, BLK);
	XT_ASSERT_OK(aio_write(&w));
	XT_ASSERT_OK(aio_suspend(one, 1, &ts));
	XT_ASSERT_EQ(aio_return(&w), BLK);
	/* The aiocb went through the engine libxaio reports on. */
	XT_ASSERT_GE(submitted(), before + 1);

	XT_ASSERT_EQ(xaio_evset_create(&es, NULL), 0);
	XT_ASSERT_EQ(xaio_open(&f, xt_path("native"), O_RDONLY, 0, NULL, es),
		     0);
	XT_ASSERT_EQ(xaio_pread(f, rbuf, BLK, BLK, &got, NULL, es), 0);
	XT_ASSERT_EQ(xaio_close(f, NULL, es), 0);
	XT_ASSERT_EQ(xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, NULL), 0);
	XT_ASSERT_EQ(got, BLK);
	XT_ASSERT_MEM_EQ(rbuf, wbuf, BLK);
	XT_ASSERT_EQ(xaio_evset_close(es, 0), 0);
	/* Native operations count in the same statistics. */
	XT_ASSERT_GE(submitted(), before + 4);
	if (!strcmp(xt_backend(), "uring"))
		XT_ASSERT_EQ(xt_count_rings(), 1);
	close(fd);
	return XT_PASS;
}

static struct xt_case cases[] = {
	{"one_engine", test_one_engine},
};

XT_MAIN(cases)
