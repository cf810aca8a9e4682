#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, from a fresh clone.  Installs what is missing
# (Debian/Ubuntu, apt-get), then runs, each on both backends unless noted:
#   1. every CTest test in a release build with -Werror (the benchmarks
#      compiled too; the POSIX tests also with XAIO_SQPOLL), then again
#      with XAIO_NOWAIT=0 (every read through the backends, none done at
#      once from the page cache),
#   2. the same suite under ASan + UBSan, and everything compiled with
#      clang and -Werror,
#   3. the same suite under TSan, both backends and XAIO_SQPOLL (the ring's
#      hand-off of a request between threads is declared to it; tests that
#      count signals are left out: TSan defers and merges signals; so is
#      xaio-bench, a single-threaded program whose threads are those of the
#      libraries it compares, libuv and glibc's AIO not instrumented),
#   4. the thread-pool tests under valgrind memcheck (zero errors, zero
#      definite or indirect leaks; xaio-bench's tests run a script, which
#      valgrind would not see into, so they are left out),
#   5. libFuzzer over the POSIX entry points and over the event sets and
#      native file calls, 60 s each per backend and with XAIO_SQPOLL,
#   6. fio's posixaio engine under LD_PRELOAD=libxaio-posix.so (short),
#   7. the stress driver, 10^6 operations per backend, and 3.3*10^5 more
#      each with XAIO_NOWAIT=0 and with XAIO_SQPOLL; the event-set stress
#      (four submitting threads, two harvesting), 10^6 per backend, and
#      10^6 operations through one set with memory flat.
# Usage: tools/test.sh [--quick]   (--quick: step 1 only)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=0
[ "${1:-}" = "--quick" ] && quick=1

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null || need+=(build-essential)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v man >/dev/null || need+=(man-db)
command -v python3 >/dev/null || need+=(python3) # tests/bench/check.py
# the libuv engine of xaio-bench is compiled, and tested, when it is found
pkg-config --exists libuv 2>/dev/null || need+=(libuv1-dev)
if [ $quick = 0 ]; then
	command -v fio >/dev/null || need+=(fio)
	command -v valgrind >/dev/null || need+=(valgrind)
	command -v clang >/dev/null || need+=(clang)
fi
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
run_ctest() { # dir, ctest args...
	local dir=$1
	shift
	ctest --test-dir "$dir" --output-on-failure -j "$jobs" --no-label-summary "$@"
}

echo "== 1. release build (with static archives and the benchmarks): all tests, both backends"
build build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXAIO_BUILD_STATIC=ON -DXAIO_BUILD_BENCH=ON
run_ctest build/test -LE stress
echo "== 1b. the same with XAIO_NOWAIT=0: every read through the backends"
XAIO_NOWAIT=0 run_ctest build/test -LE stress

[ $quick = 1 ] && exit 0

echo "== 2. ASan + UBSan: all tests, both backends"
build build/asan -DCMAKE_BUILD_TYPE=Debug -DXAIO_SANITIZE=address,undefined
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:verify_asan_link_order=0 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_ctest build/asan -LE stress

echo "== 2b. clang build with -Werror (compile only: library, tests, examples, benchmarks)"
CC=clang build build/clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXAIO_BUILD_BENCH=ON

echo "== 3. TSan: both backends and XAIO_SQPOLL"
# fuzz-evset's inputs read into one shared buffer from concurrent
# operations on purpose (a race in the program, not in xaio): left out.
build build/tsan -DCMAKE_BUILD_TYPE=Debug -DXAIO_SANITIZE=thread
TSAN_OPTIONS="halt_on_error=1 die_after_fork=0 suppressions=$root/tests/tsan.supp" \
	run_ctest build/tsan -LE "faults|stress|bench" -E "posix\.notify\.|fuzz\.evset-corpus\."

echo "== 4. valgrind memcheck: thread-pool backend"
build build/valgrind -DCMAKE_BUILD_TYPE=Debug -DXAIO_VALGRIND=ON
run_ctest build/valgrind -L threads -LE "faults|stress|reexec|bench"

echo "== 5. libFuzzer, 60 s per backend and with XAIO_SQPOLL"
tools/fuzz.sh --seconds 60

echo "== 6. fio posixaio under LD_PRELOAD=libxaio-posix.so (short)"
tools/fio-check.sh --short build/test/libxaio-posix.so

echo "== 7. stress: 10^6 operations per backend, 3.3*10^5 each with XAIO_NOWAIT=0 and XAIO_SQPOLL; event sets 10^6 per backend (release build)"
run_ctest build/test -L stress
