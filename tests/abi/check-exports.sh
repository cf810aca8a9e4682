#!/bin/sh
# SPDX-License-Identifier: MIT
# check-exports.sh NM LIBRARY EXPECTED
# Diffs LIBRARY's dynamic symbol table (`NM -D --defined-only`, address
# dropped, sorted) against EXPECTED (same format, '#' comments allowed).
# Any extra or missing symbol, or a changed type or version, fails and
# prints the diff ('-' expected only, '+' built only).
set -eu
if [ $# -ne 3 ]; then
	echo "usage: $0 NM LIBRARY EXPECTED" >&2
	exit 2
fi
nm=$1 lib=$2 expected=$3
# shellcheck source-path=SCRIPTDIR source=../harness/xtest.sh
. "$(dirname "$0")/../harness/xtest.sh"

grep -v '^#' "$expected" | grep -v '^[[:space:]]*$' | LC_ALL=C sort >"$tmp/want"
"$nm" -D --defined-only "$lib" | awk '{ print $2, $3 }' | LC_ALL=C sort >"$tmp/got"

if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
	ok "$(basename "$lib"): $(wc -l <"$tmp/got") exported symbols as expected"
else
	bad "$(basename "$lib"): exported symbols differ from $expected" \
		"('-' expected only, '+' exported only):"
	tail -n +3 "$tmp/diff"
	cat <<MSG
If the change is intended, update the version script and $(basename "$expected")
in the same commit; never change a released version node (docs/releasing.md).
MSG
fi
xt_finish
