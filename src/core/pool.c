// SPDX-License-Identifier: MIT
/*
 * Request pool: requests live in slabs of SLAB_SIZE that are never returned
 * to the system, so a request's memory stays valid forever and a stale
 * (index, gen) pair from an aiocb can be checked without risk.  Free
 * requests are threaded through q_next.  Steady state does no malloc.
 *
 * Each thread keeps a small cache of free requests (at most CACHE_MAX) and
 * moves them to and from the shared free list CACHE_BATCH at a time, so a
 * request costs no lock in steady state.  Requests often complete on
 * another thread than the one that submitted them (a waiter, the reaper, a
 * worker): that thread's cache fills and spills back in batches.  A
 * thread's cache goes back to the shared list when the thread exits (a
 * pthread key destructor).
 *
 * Locking: one mutex, `lock`, guards the shared free list and the slab
 * table; it is never held while calling out.  A thread's cache is its own;
 * the engine calls xaio__pool_get/put only with xaio__in_engine raised, so
 * a signal handler that interrupts them never re-enters them (xaio__poll
 * stays out).  fork: the prepare handler takes `lock` so the child sees a
 * consistent slab table; the child rebuilds the free list from every slab
 * (no request survives a fork), closes the private duplicates of
 * descriptors the parent's requests held, and empties the forking
 * thread's cache.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/sys.h"

#define SLAB_SHIFT 8
#define SLAB_SIZE (1u << SLAB_SHIFT)
#define MAX_SLABS 4096 /* 1 Mi requests in flight at most */
#define CACHE_BATCH 16
#define CACHE_MAX (2 * CACHE_BATCH)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct xaio__req *slabs[MAX_SLABS];
static _Atomic uint32_t nslabs;
static struct xaio__req *free_list;

struct cache {
	struct xaio__req *head;
	uint32_t n;
	bool keyed; /* the exit destructor is armed for this thread */
};

static __thread struct cache cache __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;

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

/* Moves up to `count` requests from the cache to the shared list. */
static void spill(uint32_t count)
{
	struct xaio__req *first = cache.head, *last = first;
	uint32_t k = 1;

	if (!count || !first)
		return;
	for (; k < count && last->q_next; k++)
		last = last->q_next;
	cache.head = last->q_next;
	cache.n -= k;
	pthread_mutex_lock(&lock);
	last->q_next = free_list;
	free_list = first;
	pthread_mutex_unlock(&lock);
}

static void thread_exit(void *arg)
{
	(void)arg;
	/* A handler may run here too: it must not take from the cache. */
	xaio__locked++;
	atomic_signal_fence(memory_order_seq_cst);
	spill(cache.n);
	cache.keyed = false;
	atomic_signal_fence(memory_order_seq_cst);
	xaio__locked--;
}

static void make_key(void)
{
	key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
}

/* Moves up to CACHE_BATCH requests from the shared list to the cache. */
static void refill(void)
{
	if (!cache.keyed) {
		/* Without the destructor, do without the cache. */
		pthread_once(&key_once, make_key);
		cache.keyed = key_ok && !pthread_setspecific(exit_key, &cache);
	}
	pthread_mutex_lock(&lock);
	for (uint32_t i = 0; i < (cache.keyed ? CACHE_BATCH : 1); i++) {
		struct xaio__req *req;

		if (!free_list && (i || grow() < 0))
			break;
		req = free_list;
		free_list = req->q_next;
		req->q_next = cache.head;
		cache.head = req;
		cache.n++;
	}
	pthread_mutex_unlock(&lock);
}

struct xaio__req *xaio__pool_get(void)
{
	struct xaio__req *req;
	uint32_t gen;

	xaio__locked++; /* the cache is not reentrant */
	atomic_signal_fence(memory_order_seq_cst);
	if (!cache.head)
		refill();
	req = cache.head;
	if (req) {
		cache.head = req->q_next;
		cache.n--;
	}
	atomic_signal_fence(memory_order_seq_cst);
	xaio__locked--;
	if (!req)
		return NULL;
	req->q_next = NULL;
	/*
	 * Writer side of the generation seqlock: the new generation is
	 * visible before any field of the new request is written (readers:
	 * xaio__req_find()).  Only the thread that took the slot writes gen.
	 */
	gen = atomic_load_explicit(&req->gen, memory_order_relaxed);
	atomic_store_explicit(&req->gen, gen + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	return req;
}

void xaio__pool_put(struct xaio__req *req)
{
	atomic_store_explicit(&req->state, XAIO__RS_FREE, memory_order_release);
	xaio__locked++;
	atomic_signal_fence(memory_order_seq_cst);
	req->q_next = cache.head;
	cache.head = req;
	if (++cache.n > CACHE_MAX || !cache.keyed)
		spill(cache.keyed ? CACHE_BATCH : cache.n);
	atomic_signal_fence(memory_order_seq_cst);
	xaio__locked--;
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
	cache.head = NULL; /* its requests go back with all the others */
	cache.n = 0;
	free_list = NULL;
	for (uint32_t s = 0; s < n; s++) {
		for (uint32_t i = 0; i < SLAB_SIZE; i++) {
			struct xaio__req *req = &slabs[s][i];

			/*
			 * The parent's private duplicate (see drop_dup in
			 * engine.c): the child must not keep the file open.
			 */
			if (req->xfd != req->fd && req->xfd >= 0)
				xaio__fd_close(req->xfd);
			req->xfd = req->fd;
			atomic_store(&req->state, XAIO__RS_FREE);
			req->q_next = free_list;
			free_list = req;
		}
	}
}
