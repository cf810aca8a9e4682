#!/bin/sh
# SPDX-License-Identifier: MIT
# check-xaio-run.sh XAIO_RUN PROGRAM LIBXAIO_POSIX OTHER_LIB
# tools/xaio-run on the plain glibc AIO program (interpose.c): -v makes the
# preloaded library report a nonzero request count; XAIO_LIB may name the
# library or its directory; an LD_PRELOAD already set is kept (after ours);
# -h, a missing command and a bad XAIO_LIB behave.
set -eu
if [ $# -ne 4 ]; then
	echo "usage: $0 XAIO_RUN PROGRAM LIBXAIO_POSIX OTHER_LIB" >&2
	exit 2
fi
run=$1 prog=$2 lib=$3 other=$4
libdir=$(dirname "$lib")
# shellcheck source-path=SCRIPTDIR source=../harness/xtest.sh
. "$(dirname "$0")/../harness/xtest.sh"
xt_asan_preload
# A failure shows what the last run printed.
fail() {
	bad "$@"
	for f in "$tmp/out" "$tmp/err"; do
		[ -s "$f" ] && show "$f"
	done
	return 0
}
unset XAIO_VERBOSE LD_PRELOAD || :

# t NAME STATUS [VAR=VALUE]... COMMAND...: runs COMMAND (xaio-run) in that
# environment, output in $tmp/out and $tmp/err; fails unless it exits STATUS.
t() {
	name=$1 want=$2
	shift 2
	set +e
	env "$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	set -e
	[ "$st" -eq "$want" ] && return 0
	fail "$name: exit status $st, want $want"
	return 1
}
report() {
	sed -n 's/^xaio: backend .*, \([0-9][0-9]*\) requests:.*/\1/p' "$tmp/err"
}

# expect NAME FILE PATTERN: ok if FILE has a line matching PATTERN.
expect() {
	if grep -q "$3" "$2"; then
		ok "$1"
	else
		fail "$1: no line matching '$3'"
	fi
}

t "-h" 0 "$run" -h && expect "-h prints the usage" "$tmp/out" '^Usage: xaio-run'
t "no command" 2 "$run" && expect "no command: usage error" "$tmp/err" 'usage:'

if t "-v, XAIO_LIB=dir" 0 XAIO_LIB="$libdir" "$run" -v "$prog"; then
	n=$(report)
	if grep -q '^interpose: read [0-9]* bytes ok$' "$tmp/out" &&
		[ "${n:-0}" -gt 0 ]; then
		ok "-v, XAIO_LIB=dir: $(grep '^xaio: backend' "$tmp/err")"
	else
		fail "-v, XAIO_LIB=dir: no read, or no report of N > 0 requests"
	fi
fi
if t "XAIO_LIB=file" 0 XAIO_LIB="$lib" "$run" -v -- "$prog"; then
	n=$(report)
	if [ "${n:-0}" -gt 0 ]; then
		ok "-v --, XAIO_LIB=file: $n requests"
	else
		fail "-v --, XAIO_LIB=file: no report of N > 0 requests"
	fi
fi
if t "without -v" 0 XAIO_LIB="$lib" "$run" "$prog"; then
	if grep -q '^xaio:' "$tmp/err"; then
		fail "without -v: the library reported anyway"
	else
		ok "without -v: no report"
	fi
fi
# shellcheck disable=SC2016 # expanded by the inner shell
if t "LD_PRELOAD kept" 0 XAIO_LIB="$lib" LD_PRELOAD="$other" \
	"$run" sh -c 'printf "%s\n" "$LD_PRELOAD"'; then
	got=$(cat "$tmp/out")
	case $got in
	/*libxaio-posix.so*:"$other") ok "LD_PRELOAD kept: $got" ;;
	*) fail "LD_PRELOAD is '$got', want <libxaio-posix>:$other" ;;
	esac
fi
t "bad XAIO_LIB" 127 XAIO_LIB="$tmp/nowhere" "$run" true &&
	expect "bad XAIO_LIB: refused" "$tmp/err" 'no libxaio-posix.so'

xt_finish
