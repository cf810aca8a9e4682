// SPDX-License-Identifier: MIT
/*
 * Listings (struct xaio_listing): one malloc'ed block holding the header,
 * the entries and their names, so one free releases it.  The builder keeps
 * names as offsets into a growing buffer (which may move) and turns them
 * into pointers when the block is packed.
 *
 * No state and no locks: a builder belongs to the thread filling it.
 */
#include <stdlib.h>
#include <string.h>

#include "file/listing.h"

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	while (c < need) {
		if (c > SIZE_MAX / 2 / size)
			return -ENOMEM;
		c *= 2;
	}
	if (c == *cap)
		return 0;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

int xaio__lb_add(struct xaio__lbuild *b, const char *name, size_t len,
		 uint64_t ino, uint32_t type)
{
	if (len >= SIZE_MAX - b->used - 1 ||
	    grow((void **)&b->v, &b->cap, b->n + 1, sizeof(*b->v)) ||
	    grow((void **)&b->names, &b->room, b->used + len + 1, 1))
		return -ENOMEM;
	memcpy(b->names + b->used, name, len);
	b->names[b->used + len] = '\0';
	b->v[b->n++] = (struct xaio_entry){
		.name = (const char *)(uintptr_t)b->used,
		.ino = ino,
		.type = type,
	};
	b->used += len + 1;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct xaio_entry *)a)->name,
		      ((const struct xaio_entry *)b)->name);
}

struct xaio_listing *xaio__lb_finish(struct xaio__lbuild *b)
{
	size_t head = sizeof(struct xaio_listing), ents;
	struct xaio_listing *l = NULL;
	char *names;

	ents = b->n * sizeof(struct xaio_entry);
	if (b->used <= SIZE_MAX - head - ents)
		l = malloc(head + ents + b->used);
	if (l) {
		l->count = b->n;
		l->entries = (struct xaio_entry *)(l + 1);
		names = (char *)l->entries + ents;
		if (b->used)
			memcpy(names, b->names, b->used);
		for (size_t i = 0; i < b->n; i++) {
			l->entries[i] = b->v[i];
			l->entries[i].name = names + (uintptr_t)b->v[i].name;
		}
		qsort(l->entries, l->count, sizeof(*l->entries), by_name);
	}
	xaio__lb_reset(b);
	return l;
}

void xaio__lb_reset(struct xaio__lbuild *b)
{
	free(b->v);
	free(b->names);
	memset(b, 0, sizeof(*b));
}

void xaio_listing_free(struct xaio_listing *l)
{
	free(l);
}
