// SPDX-License-Identifier: MIT
/*
 * Helper of fork.c's exit tests (not a test itself):
 *
 *   evset-exit-child PATH FIFO|- BLOCKS READY_FD
 *
 * Opens PATH (created, truncated) in a set, submits BLOCKS writes of 64 KiB
 * of xt_pattern() and an fsync, each behind a gate on FIFO unless FIFO is
 * "-", writes one byte to READY_FD and returns from main without waiting:
 * exit must wait for the writes (and, gated, for the gate the parent
 * opens).  Exit status 0, or 2 when a submission failed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "evtest.h"

#define BLOCK 65536
#define MAX_BLOCKS 64

static unsigned char data[MAX_BLOCKS * BLOCK];

int main(int argc, char **argv)
{
	static struct et_gate g;
	struct xaio_evset *es = NULL;
	struct xaio_file *f = NULL;
	struct xaio_opt o = {0};
	int blocks, ready, r;

	if (argc != 5)
		return 2;
	blocks = atoi(argv[3]);
	ready = atoi(argv[4]);
	if (blocks < 1 || blocks > MAX_BLOCKS)
		return 2;
	xt_fill_pattern(data, sizeof(data), 0);
	et_gate_no_exit_release();
	if (xaio_evset_create(&es, NULL))
		return 2;
	if (strcmp(argv[2], "-")) {
		r = et_gate_open_path(&g, argv[2]);
		if (r) {
			fprintf(stderr, "exit-child: gate: %d\n", r);
			return r == -ENOTSUP ? 77 : 2;
		}
		o = et_after(&g.id, NULL);
	}
	if (xaio_open(&f, argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644, NULL,
		      es))
		return 2;
	for (int i = 0; i < blocks; i++)
		if (xaio_pwrite(f, data + (size_t)i * BLOCK, BLOCK,
				(off_t)i * BLOCK, NULL, &o, es))
			return 2;
	if (xaio_fsync(f, NULL, es))
		return 2;
	if (write(ready, "r", 1) != 1)
		return 2;
	return 0;
}
