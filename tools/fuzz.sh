#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the libFuzzer targets, fuzz-posix (the POSIX entry points) and
# fuzz-evset (event sets and the native file calls), on both backends and on
# a ring with a kernel submission thread (XAIO_SQPOLL=2), with ASan+UBSan,
# each starting from (and adding to) tests/fuzz/corpus/<posix|evset>.
# Needs clang and libclang-rt (installed when missing on Debian/Ubuntu).
# Usage: tools/fuzz.sh [--seconds N] [--keep] [--target posix|evset]
#        (default 30 s per run, both targets; --keep leaves new corpus
#        entries in the source tree)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=30
keep=0
targets="posix evset"
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--target) targets=$2; shift 2 ;;
	*) echo "usage: $0 [--seconds N] [--keep] [--target posix|evset]" >&2; exit 2 ;;
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
cmake --build build/fuzz -j "$(nproc 2>/dev/null || echo 2)" \
	$(for t in $targets; do echo "--target fuzz-$t"; done) >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/xaio-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
for t in $targets; do
	corpus=tests/fuzz/corpus/$t
	mkdir -p "$work/$t"
	cp "$corpus"/* "$work/$t"/
	total=0
	for b in uring threads sqpoll; do
		log="$work/log.$t.$b"
		backend=${b/sqpoll/uring} sqpoll=
		[ $b = sqpoll ] && sqpoll=2
		echo "== fuzz-$t, XAIO_BACKEND=$backend${sqpoll:+ XAIO_SQPOLL=$sqpoll}, $seconds s"
		if ! ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 \
			UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			XAIO_BACKEND=$backend XAIO_SQPOLL=$sqpoll \
			FUZZ_EVSET_HANG_S=15 \
			build/fuzz/tests/fuzz/fuzz-$t -max_total_time="$seconds" \
			-timeout=20 -max_len=$([ $t = evset ] && echo 1024 || echo 512) \
			-print_final_stats=1 \
			-artifact_prefix="$work/crash-$t-$b-" "$work/$t" >"$log" 2>&1; then
			tail -40 "$log"
			echo "fuzz-$t ($b): FAILED; reproducer(s):" "$work"/crash-* >&2
			trap - EXIT
			echo "0 passed, 1 failed"
			exit 1
		fi
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "   $runs executions, corpus $(ls "$work/$t" | wc -l)"
		total=$((total + runs))
	done
	[ $keep = 1 ] && cp -n "$work/$t"/[0-9a-f]* "$corpus"/ 2>/dev/null || true
	echo "fuzz-$t: $total executions on both backends and with SQPOLL, no crash, hang, leak or sanitizer report"
done
