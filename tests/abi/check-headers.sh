#!/bin/sh
# SPDX-License-Identifier: MIT
# check-headers.sh c|c++ COMPILER SRC_INCLUDE_DIR BUILD_INCLUDE_DIR
# Every public header (everything under include/, plus the generated
# xaio/version.h) must compile on its own, twice in a row (include guard),
# as strict C99 (-std=c99 -pedantic -Werror) or as C++11 (-std=c++11
# -pedantic -Werror), and all of them together in either order.
# Exit 77 (skip) when the compiler is missing (no C++ compiler installed).
set -eu
if [ $# -ne 4 ]; then
	echo "usage: $0 c|c++ COMPILER SRC_INCLUDE_DIR BUILD_INCLUDE_DIR" >&2
	exit 2
fi
lang=$1 cc=$2 inc=$3 binc=$4
case $lang in
c) flags="-x c -std=c99 -Wshadow -Wstrict-prototypes -Wmissing-prototypes" ;;
# Not -Wshadow: g++ says the function xaio_runtime_info() "hides the
# constructor" of struct xaio_runtime_info (the struct stat/stat() pattern).
c++) flags="-x c++ -std=c++11" ;;
*)
	echo "$0: language must be c or c++" >&2
	exit 2
	;;
esac
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
	echo "SKIP: no $lang compiler ('$cc')"
	exit 77
fi
# shellcheck source-path=SCRIPTDIR source=../harness/xtest.sh
. "$(dirname "$0")/../harness/xtest.sh"

headers=$(
	(cd "$inc" && find . -name '*.h')
	(cd "$binc" && find . -name '*.h')
)
headers=$(printf '%s\n' "$headers" | sed 's|^\./||')
headers=$(printf '%s\n' "$headers" | LC_ALL=C sort -u)
# $1: a name for the test, then the headers to include.
try() {
	name=$1
	shift
	: >"$tmp/t.c"
	for h in "$@"; do
		printf '#include <%s>\n' "$h" >>"$tmp/t.c"
	done
	printf 'int xaio_header_test;\n' >>"$tmp/t.c"
	# shellcheck disable=SC2086 # $flags is a list of words
	if "$cc" $flags -pedantic -Wall -Wextra -Wundef -Werror \
		-fsyntax-only -I"$inc" -I"$binc" "$tmp/t.c" 2>"$tmp/err"; then
		ok "$name"
	else
		bad "$name"
		show "$tmp/err"
	fi
}

for h in $headers; do
	try "$lang: <$h> standalone, twice" "$h" "$h"
done
# shellcheck disable=SC2086 # one word per header
try "$lang: all headers" $headers
# shellcheck disable=SC2046,SC2086
try "$lang: all headers, reverse order" $(printf '%s\n' $headers | sort -r)
xt_finish
