// SPDX-License-Identifier: MIT
/*
 * evset-stress --ops N: N operations through one event set, from four
 * submitting threads, harvested at once by one thread looping on
 * xaio_evset_wait_any() and one looping on xaio_evset_wait().
 *
 * Every operation is a 512-byte pwrite at its own offset of one of four
 * handles (a quarter with XAIO_BUF_GIFT, the rest XAIO_BUF_COPY), or, one
 * in eight, a pread (into a gifted buffer: the thread may be gone when it
 * completes) of the block the same thread wrote four operations before
 * (ordered behind that write by the overlap), tagged with its number.
 * Checked:
 *  - every operation harvested by wait_any is harvested once (a bitmap),
 *    with status 0 and the full byte count;
 *  - the set's counts at the end: inserted == succeeded == N + the opens
 *    and closes, nothing failed, in progress or copied;
 *  - harvested by wait_any + retired by wait == inserted (nothing lost);
 *  - every read got the data of the write before it (checked when its
 *    buffer is freed);
 *  - every GIFT buffer freed exactly once; the file holds what was written.
 * Exit 0 on success, 1 on a violation (with a message).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xaio.h>

#define NT 4
#define NF 4
#define BS 512

static struct xaio_evset *es;
static struct xaio_file *f[NF];
static uint64_t nops;
static _Atomic int stop;
static _Atomic uint64_t by_any, gifts_freed, gifts_given;
static _Atomic unsigned char *seen;
static char dir[] = "/tmp/xaio-evset-stress.XXXXXX";

#define FAIL(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "evset-stress: " __VA_ARGS__);                 \
		exit(1);                                                       \
	} while (0)

static void fill(unsigned char *b, uint64_t i)
{
	memset(b, (int)(i * 131 % 251), BS);
}

static void gift_free(void *buf, void *ctx)
{
	(void)ctx;
	free(buf);
	atomic_fetch_add(&gifts_freed, 1);
}

/* A read's buffer (gifted: the submitter may be gone when it completes). */
static void read_free(void *buf, void *ctx)
{
	unsigned char want[BS];

	fill(want, (uint64_t)(uintptr_t)ctx);
	if (memcmp(buf, want, BS))
		FAIL("read after write %llu: other data\n",
		     (unsigned long long)(uintptr_t)ctx);
	gift_free(buf, NULL);
}

static void *submitter(void *arg)
{
	uint64_t t = (uint64_t)(uintptr_t)arg;
	unsigned char buf[BS];

	for (uint64_t i = t; i < nops; i += NT) {
		struct xaio_opt o = {.user_tag = i + 1};
		off_t off = (off_t)(i / NF) * BS;
		struct xaio_file *h = f[i % NF];
		int r;

		if (i % 8 == 7) {
			/*
			 * The block op i - 4 wrote (this thread, this handle):
			 * the overlap orders the read after it, so it gets all
			 * of it.
			 */
			unsigned char *rb = malloc(BS);

			if (!rb)
				FAIL("malloc\n");
			o.flags = XAIO_BUF_GIFT;
			o.buf_free = read_free;
			o.buf_free_ctx = (void *)(uintptr_t)(i - 4);
			atomic_fetch_add(&gifts_given, 1);
			r = xaio_pread(h, rb, BS, off - BS, NULL, &o, es);
		} else if (i % 4 == 1) {
			unsigned char *g = malloc(BS);

			if (!g)
				FAIL("malloc\n");
			fill(g, i);
			o.flags = XAIO_BUF_GIFT;
			o.buf_free = gift_free;
			atomic_fetch_add(&gifts_given, 1);
			r = xaio_pwrite(h, g, BS, off, NULL, &o, es);
		} else {
			fill(buf, i);
			/* Borrowed needs the buffer to live: copy instead. */
			o.flags = XAIO_BUF_COPY;
			r = xaio_pwrite(h, buf, BS, off, NULL, &o, es);
		}
		if (r)
			FAIL("submit %llu: %d\n", (unsigned long long)i, r);
	}
	return NULL;
}

static void *any_loop(void *arg)
{
	struct xaio_op_info in;

	(void)arg;
	while (!atomic_load(&stop)) {
		int r = xaio_evset_wait_any(es, 2000000, &in);

		if (r == -ETIMEDOUT || r == -ENOENT)
			continue;
		if (r)
			FAIL("wait_any: %d\n", r);
		if (in.status)
			FAIL("op %llu status %d\n",
			     (unsigned long long)in.op_id, in.status);
		atomic_fetch_add(&by_any, 1);
		if (!in.user_tag)
			continue; /* an open */
		if (in.result != BS)
			FAIL("op tag %llu: %lld bytes\n",
			     (unsigned long long)in.user_tag,
			     (long long)in.result);
		if (atomic_fetch_add(&seen[in.user_tag - 1], 1))
			FAIL("tag %llu harvested twice\n",
			     (unsigned long long)in.user_tag);
	}
	return NULL;
}

static void *wait_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		int r = xaio_evset_wait(es, 1000000, 0, NULL);

		if (r && r != -ETIMEDOUT)
			FAIL("wait: %d\n", r);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t sub[NT], any, waiter;
	struct xaio_evset_counts c;
	char path[sizeof(dir) + 16];
	unsigned char want[BS], got[BS];
	uint64_t expect;

	nops = argc > 2 && !strcmp(argv[1], "--ops") ? strtoull(argv[2], 0, 10)
						     : 100000;
	seen = calloc(nops, 1);
	if (!seen || !mkdtemp(dir))
		FAIL("setup\n");
	if (xaio_evset_create(&es, NULL))
		FAIL("create\n");
	for (int i = 0; i < NF; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		if (xaio_open(&f[i], path, O_CREAT | O_RDWR | O_TRUNC, 0600,
			      NULL, es))
			FAIL("open\n");
	}
	pthread_create(&any, NULL, any_loop, NULL);
	pthread_create(&waiter, NULL, wait_loop, NULL);
	for (uintptr_t t = 0; t < NT; t++)
		pthread_create(&sub[t], NULL, submitter, (void *)t);
	for (int t = 0; t < NT; t++)
		pthread_join(sub[t], NULL);
	for (int i = 0; i < NF; i++)
		if (xaio_close(f[i], NULL, es))
			FAIL("close\n");
	while (xaio_evset_wait(es, XAIO_WAIT_FOREVER, 0, &c))
		;
	atomic_store(&stop, 1);
	pthread_join(any, NULL);
	pthread_join(waiter, NULL);
	xaio_evset_counts(es, &c);
	expect = nops + 2 * NF;
	if (c.inserted != expect || c.succeeded != expect || c.failed ||
	    c.canceled || c.dep_canceled || c.in_progress || c.bytes_copied ||
	    c.errors)
		FAIL("counts: inserted %llu succeeded %llu failed %llu\n",
		     (unsigned long long)c.inserted,
		     (unsigned long long)c.succeeded,
		     (unsigned long long)c.failed);
	if (atomic_load(&gifts_freed) != atomic_load(&gifts_given))
		FAIL("%llu gifts, %llu freed\n",
		     (unsigned long long)gifts_given,
		     (unsigned long long)gifts_freed);
	/* Spot-check the data of the first blocks. */
	for (uint64_t i = 0; i < nops && i < 4096; i++) {
		int fd;

		if (i % 8 == 7)
			continue;
		snprintf(path, sizeof(path), "%s/f%d", dir, (int)(i % NF));
		fd = open(path, O_RDONLY);
		if (fd < 0 || pread(fd, got, BS, (off_t)(i / NF) * BS) != BS)
			FAIL("read back %llu\n", (unsigned long long)i);
		close(fd);
		fill(want, i);
		if (memcmp(got, want, BS))
			FAIL("block of op %llu differs\n",
			     (unsigned long long)i);
	}
	if (xaio_evset_close(es, 0))
		FAIL("evset_close\n");
	for (int i = 0; i < NF; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		unlink(path);
	}
	rmdir(dir);
	printf("evset-stress: %llu operations, %llu harvested by wait_any, "
	       "%llu retired by wait; none lost or twice\n",
	       (unsigned long long)nops, (unsigned long long)by_any,
	       (unsigned long long)(expect - by_any));
	return 0;
}
