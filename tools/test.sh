#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, from a fresh clone: installs what is missing
# (Debian/Ubuntu), builds, and runs
#   1. every CTest test on both backends (release build, -Werror),
#   2. the same suite under ASan+UBSan,
#   3. fio's posixaio engine under LD_PRELOAD=libxaio-posix.so (short run).
# Usage: tools/test.sh [--quick]   (--quick: step 1 only)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=0
[ "${1:-}" = "--quick" ] && quick=1

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null || need+=(build-essential)
[ $quick = 1 ] || command -v fio >/dev/null || need+=(fio)
if [ ${#need[@]} -gt 0 ]; then
	echo "tools/test.sh: installing ${need[*]}"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
build() { # dir, extra cmake args...
	local dir=$1
	shift
	cmake -S "$root" -B "$dir" -DXAIO_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs" >/dev/null
}

echo "== release build, all tests, both backends"
build build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir build/test --output-on-failure -j "$jobs" --no-label-summary

[ $quick = 1 ] && exit 0

echo "== ASan + UBSan build, all tests, both backends"
build build/asan -DCMAKE_BUILD_TYPE=Debug -DXAIO_SANITIZE=address,undefined
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:verify_asan_link_order=0 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ctest --test-dir build/asan --output-on-failure -j "$jobs" --no-label-summary
