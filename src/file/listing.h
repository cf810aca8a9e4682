/* SPDX-License-Identifier: MIT */
/*
 * Building a struct xaio_listing (include/xaio/file.h): entries are added
 * one by one to a builder, then packed into one block, sorted by name.
 * Hidden.  A builder belongs to one thread; no locks.
 */
#ifndef XAIO_FILE_LISTING_H
#define XAIO_FILE_LISTING_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "xaio.h"

struct xaio__lbuild {
	struct xaio_entry *v; /* name: an offset into names, until packed */
	size_t n, cap;
	char *names; /* NUL-terminated names, back to back */
	size_t used, room;
};

/* Adds an entry (len bytes of name, no NUL needed): 0 or -ENOMEM. */
XAIO__HIDDEN int xaio__lb_add(struct xaio__lbuild *b, const char *name,
			      size_t len, uint64_t ino, uint32_t type);
/* Packs b into a listing (NULL: -ENOMEM) and empties b either way. */
XAIO__HIDDEN struct xaio_listing *xaio__lb_finish(struct xaio__lbuild *b);
/* Empties b without a listing. */
XAIO__HIDDEN void xaio__lb_reset(struct xaio__lbuild *b);

#endif
