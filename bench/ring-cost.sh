#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs bench/ring-cost.c (see its comment): where the time of a read goes:
# a ring set up as fio's, a ring set up as xaio's shared one, and xaio's
# POSIX AIO on top of it; page-cache reads at depth 1 by default, or at
# DEPTH in flight, with O_DIRECT when the fourth argument is "direct".
# Builds it in build/bench (Release) and reads the same data file as
# fio-posixaio.sh, after reading it once so that its pages are cached.
# XAIO_NOWAIT=0 in the environment sends the posix variant's reads through
# the ring; RING_COST_USER_NS sets the user variant's busy work per read.
# Usage: bench/ring-cost.sh [OPS [REPS [DEPTH [direct]]]]
#   (defaults 1000000, 7, 1; e.g. "100000 7 32 direct")
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
file=${XAIO_BENCH_DIR:-/var/tmp}/xaio-bench-1024M.dat
ops=${1:-1000000}
reps=${2:-7}
depth=${3:-1}
direct=${4:-}

if [ ! -s "$file" ]; then
	echo "ring-cost: writing $file (1 GiB of /dev/urandom)" >&2
	head -c 1G /dev/urandom >"$file.tmp"
	mv "$file.tmp" "$file"
fi
cat "$file" >/dev/null
cmake -S "$root" -B "$root/build/bench" -DCMAKE_BUILD_TYPE=Release \
	-DXAIO_BUILD_BENCH=ON -DXAIO_BUILD_TESTS=OFF \
	-DXAIO_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$root/build/bench" -j "$(nproc)" --target ring-cost >/dev/null
echo "ring-cost: $(uname -r), $(nproc) CPUs, $file, XAIO_BACKEND=${XAIO_BACKEND:-(unset)} XAIO_NOWAIT=${XAIO_NOWAIT:-(unset)} RING_COST_USER_NS=${RING_COST_USER_NS:-(unset: 150)}"
"$root/build/bench/bench/ring-cost" "$file" "$ops" "$reps" "$depth" $direct
