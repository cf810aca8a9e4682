// SPDX-License-Identifier: MIT
/*
 * Request pool: requests live in slabs of SLAB_SIZE that are never returned
 * to the system, so a request's memory stays valid forever and a stale
 * (index, gen) pair from an aiocb can be checked without risk.  A free list
 * threads the unused ones through q_next.  Steady state does no malloc.
 *
 * Locking: one mutex, `lock`, guards the free list and the slab table; it is
 * never held while calling out.  fork: the prepare handler takes it so the
 * child sees a consistent slab table; the child then rebuilds the free list
 * from every slab (no request survives a fork).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

#define SLAB_SHIFT 8
#define SLAB_SIZE (1u << SLAB_SHIFT)
#define MAX_SLABS 4096 /* 1 Mi requests in flight at most */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct xaio__req *slabs[MAX_SLABS];
static _Atomic uint32_t nslabs;
static struct xaio__req *free_list;

static int grow(void)
{
	uint32_t n = atomic_load_explicit(&nslabs, memory_order_relaxed);
	struct xaio__req *slab;

	if (n == MAX_SLABS)
		return -EAGAIN;
	slab = calloc(SLAB_SIZE, sizeof(*slab));
	if (!slab)
		return -ENOMEM;
	for (uint32_t i = 0; i < SLAB_SIZE; i++) {
		slab[i].index = (n << SLAB_SHIFT) | i;
		slab[i].q_next = i + 1 < SLAB_SIZE ? &slab[i + 1] : free_list;
	}
	free_list = slab;
	slabs[n] = slab;
	/* Pairs with the acquire in xaio__pool_slot(). */
	atomic_store_explicit(&nslabs, n + 1, memory_order_release);
	return 0;
}

struct xaio__req *xaio__pool_get(void)
{
	struct xaio__req *req;

	pthread_mutex_lock(&lock);
	if (!free_list && grow() < 0) {
		pthread_mutex_unlock(&lock);
		return NULL;
	}
	req = free_list;
	free_list = req->q_next;
	pthread_mutex_unlock(&lock);
	req->q_next = NULL;
	/*
	 * Writer side of the generation seqlock: the new generation is
	 * visible before any field of the new request is written (readers:
	 * xaio__req_find()).
	 */
	atomic_fetch_add_explicit(&req->gen, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	return req;
}

void xaio__pool_put(struct xaio__req *req)
{
	atomic_store_explicit(&req->state, XAIO__RS_FREE, memory_order_release);
	pthread_mutex_lock(&lock);
	req->q_next = free_list;
	free_list = req;
	pthread_mutex_unlock(&lock);
}

struct xaio__req *xaio__pool_slot(uint32_t index)
{
	uint32_t slab = index >> SLAB_SHIFT;

	if (slab >= atomic_load_explicit(&nslabs, memory_order_acquire))
		return NULL;
	return &slabs[slab][index & (SLAB_SIZE - 1)];
}

void xaio__pool_atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

void xaio__pool_atfork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

void xaio__pool_atfork_child(void)
{
	uint32_t n = atomic_load_explicit(&nslabs, memory_order_relaxed);

	pthread_mutex_unlock(&lock); /* taken by the prepare handler */
	free_list = NULL;
	for (uint32_t s = 0; s < n; s++) {
		for (uint32_t i = 0; i < SLAB_SIZE; i++) {
			struct xaio__req *req = &slabs[s][i];

			atomic_store(&req->state, XAIO__RS_FREE);
			req->q_next = free_list;
			free_list = req;
		}
	}
}
