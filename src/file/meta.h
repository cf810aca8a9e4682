/* SPDX-License-Identifier: MIT */
/*
 * How a pool worker runs the metadata changes of file/meta.c (their rows
 * are in core/ops.c): chmod, chown and utimens, on a descriptor (the
 * request's path "") or by path; the result or -1 with errno set, as every
 * run function of the table.  Hidden.
 */
#ifndef XAIO_FILE_META_H
#define XAIO_FILE_META_H

#include "core/internal.h"

XAIO__HIDDEN int64_t xaio__run_chmod(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_chown(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_utimens(struct xaio__req *req);

#endif
