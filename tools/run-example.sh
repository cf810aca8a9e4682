#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: builds xaio (installing cmake and a compiler when missing)
# and runs examples/posix-readfile, which reads a file with 32 POSIX AIO
# requests in flight on libxaio-posix and verifies every byte.
# Usage: tools/run-example.sh [FILE [DEPTH [BLOCK]]]
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null || need+=(build-essential)
if [ ${#need[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
cmake -S . -B build/example -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXAIO_BUILD_TESTS=OFF >/dev/null
cmake --build build/example -j "$(nproc 2>/dev/null || echo 2)" --target posix-readfile >/dev/null
XAIO_VERBOSE=1 build/example/examples/posix-readfile "$@"
