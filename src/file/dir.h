/* SPDX-License-Identifier: MIT */
/*
 * How a pool worker runs the directory operations of file/dir.c (their
 * rows are in core/ops.c): each is several system calls, the result or
 * -1 with errno set, as every run function of the table.  Hidden.
 */
#ifndef XAIO_FILE_DIR_H
#define XAIO_FILE_DIR_H

#include "core/internal.h"

XAIO__HIDDEN int64_t xaio__run_readdir(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_dirinfo(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_dirent_nth(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_remove_nth(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_exists(struct xaio__req *req);
XAIO__HIDDEN int64_t xaio__run_open_nth(struct xaio__req *req);

#endif
