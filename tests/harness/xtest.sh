# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# xtest.sh: the shell side of the test harness, sourced by the test scripts
# (". tests/harness/xtest.sh").  Same conventions as xtest.h: one "ok ..."
# or "not ok ..." line per check, a closing "N passed, N failed" line, exit
# 0 (all passed), 1 (a failure) or 77 (skipped).
#
#   $tmp                a private temporary directory, removed at exit
#   ok TEXT / bad TEXT  record a passed / failed check
#   check TEXT CMD...   ok if CMD succeeds, else bad
#   show FILE...        print files indented, as a failure's details
#   xt_finish           print the closing line; exit 1 on any failure, else 0
#   xt_skip_rest TEXT   say what was skipped and why, then as xt_finish but
#                       exit 77 rather than 0
#   xt_asan_preload     let an ASan runtime come after LD_PRELOADed objects
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xt_pass=0
xt_fail=0

ok() {
	echo "ok $*"
	xt_pass=$((xt_pass + 1))
}

bad() {
	echo "not ok $*"
	xt_fail=$((xt_fail + 1))
}

check() {
	xt_what=$1
	shift
	if "$@"; then ok "$xt_what"; else bad "$xt_what"; fi
}

show() {
	sed 's/^/    /' "$@"
}

xt_finish() {
	echo "$xt_pass passed, $xt_fail failed"
	[ "$xt_fail" -eq 0 ] || exit 1
	exit 0
}

xt_skip_rest() {
	echo "SKIP: $*"
	echo "$xt_pass passed, $xt_fail failed"
	[ "$xt_fail" -eq 0 ] || exit 1
	exit 77
}

xt_asan_preload() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	export ASAN_OPTIONS
}
