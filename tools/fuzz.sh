#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the libFuzzer target over the POSIX entry points on both backends and
# on a ring with a kernel submission thread (XAIO_SQPOLL=2), with ASan+UBSan,
# starting from (and adding to) tests/fuzz/corpus/posix.
# Needs clang and libclang-rt (installed when missing on Debian/Ubuntu).
# Usage: tools/fuzz.sh [--seconds N] [--keep]   (default 30 s per run;
#        --keep leaves new corpus entries in the source tree)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=30
keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) echo "usage: $0 [--seconds N] [--keep]" >&2; exit 2 ;;
	esac
done
if ! command -v clang >/dev/null || ! echo 'int LLVMFuzzerTestOneInput(const char*d,unsigned long n){return 0;}' |
	clang -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang libclang-rt-dev >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
fi
CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DXAIO_SANITIZE=address,undefined -DXAIO_FUZZ=ON >/dev/null
cmake --build build/fuzz -j "$(nproc 2>/dev/null || echo 2)" --target fuzz-posix >/dev/null
corpus=tests/fuzz/corpus/posix
work=$(mktemp -d "${TMPDIR:-/tmp}/xaio-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$corpus"/* "$work"/
total=0
for b in uring threads sqpoll; do
	log="$work/log.$b"
	backend=${b/sqpoll/uring} sqpoll=
	[ $b = sqpoll ] && sqpoll=2
	echo "== fuzz-posix, XAIO_BACKEND=$backend${sqpoll:+ XAIO_SQPOLL=$sqpoll}, $seconds s"
	if ! ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		XAIO_BACKEND=$backend XAIO_SQPOLL=$sqpoll \
		build/fuzz/tests/fuzz/fuzz-posix -max_total_time="$seconds" \
		-timeout=20 -max_len=512 -print_final_stats=1 \
		-artifact_prefix="$work/crash-$b-" "$work" >"$log" 2>&1; then
		tail -40 "$log"
		echo "fuzz-posix ($b): FAILED; reproducer(s):" "$work"/crash-* >&2
		trap - EXIT
		echo "0 passed, 1 failed"
		exit 1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "   $runs executions, corpus $(ls "$work" | grep -vc '^log\.')"
	total=$((total + runs))
done
[ $keep = 1 ] && cp -n "$work"/[0-9a-f]* "$corpus"/ 2>/dev/null || true
echo "fuzz-posix: $total executions on both backends and with SQPOLL, no crash, hang, leak or sanitizer report"
