#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: builds xaio and xaio-bench (installing cmake, a compiler,
# pkg-config and libuv1-dev when missing, so every engine is compiled in)
# and runs `xaio-bench --quick`: xaio's POSIX AIO against glibc's, plain
# pread/pwrite, two raw io_uring loops and libuv, every read checksummed,
# about 20 s.  Any arguments replace --quick (see xaio-bench(1)), e.g.
#   tools/bench.sh                      # the quick suite
#   tools/bench.sh --svg docs/charts    # the default suite, about 2 min
#   tools/bench.sh -w full              # and the copies: xaio-cp vs cp -a
# The files go to $XAIO_BENCH_DIR or /var/tmp (--dir DIR to change).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null || need+=(build-essential)
command -v pkg-config >/dev/null || need+=(pkg-config)
if ! command -v pkg-config >/dev/null || ! pkg-config --exists libuv; then
	need+=(libuv1-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
	echo "tools/bench.sh: installing ${need[*]}"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DXAIO_BUILD_TESTS=OFF \
	-DXAIO_BUILD_EXAMPLES=OFF >/dev/null
# xaio-cp too when the project has it: the copy workloads run it (-w full)
targets=xaio-bench
if cmake --build build/bench --target help 2>/dev/null | grep -Eq '(^|[ .])xaio-cp(:|$)'; then
	targets="xaio-bench xaio-cp"
fi
# shellcheck disable=SC2086 # one or two target names
cmake --build build/bench -j "$(nproc 2>/dev/null || echo 2)" --target $targets >/dev/null
[ $# -gt 0 ] || set -- --quick
exec build/bench/bench/xaio-bench/xaio-bench "$@"
