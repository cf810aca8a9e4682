/* SPDX-License-Identifier: MIT */
/*
 * A bare io_uring ring for the benchmarks (ring-cost, posix-floor): set up
 * and mapped by raw system calls, the SQ and CQ in one mapping
 * (IORING_FEAT_SINGLE_MMAP, 5.4+).  No locking: each user owns its ring.
 */
#ifndef XAIO_BENCH_RAW_RING_H
#define XAIO_BENCH_RAW_RING_H

#include <errno.h>
#include <linux/io_uring.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#endif

struct raw_ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq_map, *sqe_map;
	size_t sq_len, sqe_len;
};

/*
 * A ring of `entries` SQEs and `cq_entries` CQEs with `flags`
 * (IORING_SETUP_CQSIZE is added): 0, or -1 with errno set and nothing
 * left open or mapped.
 */
static inline int raw_ring_open(struct raw_ring *r, unsigned entries,
				unsigned cq_entries, unsigned flags)
{
	struct io_uring_params p;
	size_t cq_len;
	char *sq;
	int err;

	memset(&p, 0, sizeof(p));
	p.flags = flags | IORING_SETUP_CQSIZE;
	p.cq_entries = cq_entries;
	r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		return -1;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (cq_len > r->sq_len)
		r->sq_len = cq_len;
	r->sqe_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq_map = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	r->sqe_map = mmap(NULL, r->sqe_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sq_map == MAP_FAILED || r->sqe_map == MAP_FAILED) {
		err = errno;
		if (r->sq_map != MAP_FAILED)
			munmap(r->sq_map, r->sq_len);
		if (r->sqe_map != MAP_FAILED)
			munmap(r->sqe_map, r->sqe_len);
		close(r->fd);
		r->fd = -1;
		errno = err;
		return -1;
	}
	sq = r->sq_map;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(sq + p.cq_off.head);
	r->cq_tail = (unsigned *)(sq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(sq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(sq + p.cq_off.cqes);
	r->sqes = r->sqe_map;
	return 0;
}

static inline void raw_ring_close(struct raw_ring *r)
{
	munmap(r->sqe_map, r->sqe_len);
	munmap(r->sq_map, r->sq_len);
	close(r->fd);
	r->fd = -1;
}

#endif
