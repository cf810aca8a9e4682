#!/bin/sh
# SPDX-License-Identifier: MIT
# check-interpose.sh preload|linked PROGRAM plain|64 LIBXAIO_POSIX
#
# PROGRAM is interpose.c built as a plain glibc AIO program, as it is
# ("plain": it calls aio_read ...) or with -D_FILE_OFFSET_BITS=64 ("64":
# it calls aio_read64 ...).
#
# preload: PROGRAM was linked without libxaio-posix.  Run on its own it
#   must bind aio_read<suffix> to libc.so.6 (the control); with
#   LD_PRELOAD=LIBXAIO_POSIX, ld.so's LD_DEBUG=bindings must show
#   aio_read, aio_suspend, aio_error and aio_return (<suffix>) bound to
#   libxaio-posix and none to libc.so.6; with XAIO_VERBOSE=1 the library
#   must report a nonzero number of requests at exit.
# linked: PROGRAM was linked with -lxaio-posix.  readelf must show
#   libxaio-posix.so.<N> NEEDED and unversioned aio_* references, and
#   LD_DEBUG=bindings must show them bound to libxaio-posix.
set -eu
if [ $# -ne 4 ]; then
	echo "usage: $0 preload|linked PROGRAM plain|64 LIBXAIO_POSIX" >&2
	exit 2
fi
mode=$1 prog=$2 sfx=$3 lib=$4
[ "$sfx" = plain ] && sfx=
syms="aio_read$sfx aio_suspend$sfx aio_error$sfx aio_return$sfx"
# shellcheck source-path=SCRIPTDIR source=../harness/xtest.sh
. "$(dirname "$0")/../harness/xtest.sh"
xt_asan_preload

# run NAME ENV...: runs PROGRAM with ENV, output in $tmp/NAME.{out,err}.
run() {
	name=$1
	shift
	if env "$@" "$prog" >"$tmp/$name.out" 2>"$tmp/$name.err" &&
		grep -q '^interpose: read [0-9]* bytes ok$' "$tmp/$name.out"; then
		ok "$name: the program read its file"
	else
		bad "$name: the program failed"
		show "$tmp/$name.out" "$tmp/$name.err" | grep -v binding
	fi
}

# bound_to NAME SYMBOL: the file the program's SYMBOL was bound to.
bound_to() {
	grep "binding file [^ ]*$(basename "$prog") \[0\] to .*symbol \`$2'" \
		"$tmp/$1.err" | sed 's/.* to \([^ ]*\) .*/\1/' | sort -u
}

# expect_bound NAME SYMBOL PATTERN
expect_bound() {
	to=$(bound_to "$1" "$2")
	case $3:$to in
	libc.so:*libc.so*) ok "$1: $2 bound to $to" ;;
	*:*libc.so*) bad "$1: $2 bound to libc: $to" ;;
	*:*"$3"*) ok "$1: $2 bound to $to" ;;
	*) bad "$1: $2 bound to '${to:-nothing}', want $3" ;;
	esac
}

case $mode in
preload)
	run plain LD_DEBUG=bindings LD_BIND_NOW=1
	expect_bound plain "aio_read$sfx" libc.so
	run preload LD_PRELOAD="$lib" LD_DEBUG=bindings LD_BIND_NOW=1
	for s in $syms; do
		expect_bound preload "$s" libxaio-posix.so
	done
	run verbose LD_PRELOAD="$lib" XAIO_VERBOSE=1
	;;
linked)
	so=$(readelf -d "$prog" | sed -n 's/.*NEEDED.*\[\(libxaio-posix\.so[^]]*\)\]/\1/p')
	case $so in
	libxaio-posix.so.[0-9]*) ok "NEEDED $so" ;;
	*) bad "readelf -d: no NEEDED libxaio-posix.so.N ('$so')" ;;
	esac
	readelf -W --dyn-syms "$prog" >"$tmp/dynsym"
	for s in $syms; do
		if grep -q " UND $s\$" "$tmp/dynsym"; then
			ok "$s referenced unversioned"
		else
			bad "$s: $(grep " UND ${s}[@ ]" "$tmp/dynsym" ||
				echo not referenced)"
		fi
	done
	run linked LD_DEBUG=bindings LD_BIND_NOW=1
	for s in $syms; do
		expect_bound linked "$s" libxaio-posix.so
	done
	run verbose XAIO_VERBOSE=1
	;;
*)
	echo "$0: mode must be preload or linked" >&2
	exit 2
	;;
esac

# The exit report: "xaio: backend B (why), N requests: ...", N > 0.
n=$(sed -n 's/^xaio: backend .*, \([0-9][0-9]*\) requests:.*/\1/p' \
	"$tmp/verbose.err")
if [ "${n:-0}" -gt 0 ]; then
	ok "XAIO_VERBOSE=1: $(grep '^xaio: backend' "$tmp/verbose.err")"
else
	bad "XAIO_VERBOSE=1: no report of a nonzero request count on stderr:"
	show "$tmp/verbose.err"
fi
xt_finish
