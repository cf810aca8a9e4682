#!/bin/sh
# SPDX-License-Identifier: MIT
# check-man.sh NM MANDIR FOOTER LIBRARY...
#
# 1. Every function a LIBRARY exports that is not one of glibc's POSIX AIO
#    names (so xaio_* and FreeBSD's aio_readv, aio_writev,
#    aio_waitcomplete) has a page MANDIR/man3/<name>.3; libxaio's private
#    xaio__* entry points (version node XAIO_PRIVATE) have none.  The POSIX names
#    are documented by the system's man-pages (manpages-dev), which xaio
#    must not replace; xaio-posix(7) says where xaio differs.
# 2. Every page renders without a warning:
#    `man --warnings -l -Tutf8 PAGE` with nothing on stderr.
# 3. Every page follows the template: .TH NAME SECTION DATE "FOOTER"
#    "xaio Manual" naming its own file, and (man3) the sections NAME,
#    SYNOPSIS, DESCRIPTION, RETURN VALUE, ERRORS, NOTES, SEE ALSO; a .so
#    alias points to a page whose NAME line names the alias.
# Exit 77 (skip) without man(1): apt-get install man-db.
set -eu
if [ $# -lt 4 ]; then
	echo "usage: $0 NM MANDIR FOOTER LIBRARY..." >&2
	exit 2
fi
nm=$1 mandir=$2 footer=$3
shift 3
if ! command -v man >/dev/null 2>&1; then
	echo "SKIP: man is not installed (apt-get install man-db)"
	exit 77
fi
# man-db's sandbox can fail in restricted containers; it guards nothing here.
MAN_DISABLE_SECCOMP=1
LC_ALL=C.UTF-8
export MAN_DISABLE_SECCOMP LC_ALL
# shellcheck source-path=SCRIPTDIR source=../harness/xtest.sh
. "$(dirname "$0")/../harness/xtest.sh"

posix="aio_read aio_write aio_fsync aio_error aio_return aio_suspend"
posix="$posix aio_cancel lio_listio"
is_posix() {
	for p in $posix; do
		case $1 in "$p" | "${p}64") return 0 ;; esac
	done
	[ "$1" = aio_init ]
}

# 1. A man3 page per exported non-POSIX function.
for lib; do
	for f in $("$nm" -D --defined-only "$lib" |
		awk '$2 ~ /^[TtWi]$/ { sub(/@.*/, "", $3); print $3 }'); do
		is_posix "$f" && continue
		# libxaio's XAIO_PRIVATE node (the engine, for libxaio-posix).
		case $f in xaio__*) continue ;; esac
		if [ -f "$mandir/man3/$f.3" ]; then
			ok "$f ($(basename "$lib")) has man3/$f.3"
		else
			bad "$f ($(basename "$lib")) has no man3/$f.3"
		fi
	done
done

# 2 and 3, page by page; man resolves .so paths from the manual's root.
cd "$mandir"
for page in man*/*.[0-9]; do
	[ -f "$page" ] || continue
	name=$(basename "$page")
	sect=${name##*.}
	name=${name%.*}
	if man --warnings -l -Tutf8 "$page" >"$tmp/out" 2>"$tmp/err" &&
		[ ! -s "$tmp/err" ] && [ -s "$tmp/out" ]; then
		ok "$page renders without warnings"
	else
		bad "$page: man --warnings -l -Tutf8 complains:"
		show "$tmp/err"
	fi

	target=$(sed -n 's/^\.so  *//p' "$page")
	if [ -n "$target" ]; then
		if [ -f "$target" ] &&
			sed -n '/^\.SH NAME/,/^\.SH/p' "$target" |
			grep -q "\(^\|[ ,]\)$name\([ ,]\|$\)"; then
			ok "$page: alias of $target, which names it"
		else
			bad "$page: .so $target is missing or does not name $name"
		fi
		continue
	fi

	th=$(grep '^\.TH ' "$page" | head -n 1)
	case $th in
	".TH $name $sect "*" \"$footer\" \"xaio Manual\"") ok "$page: $th" ;;
	*) bad "$page: '$th', want .TH $name $sect DATE \"$footer\" \"xaio Manual\"" ;;
	esac
	if [ "$sect" = 3 ]; then
		want="NAME|SYNOPSIS|DESCRIPTION|RETURN VALUE|ERRORS|NOTES|SEE ALSO"
	else
		want="NAME|SYNOPSIS|DESCRIPTION|SEE ALSO"
	fi
	missing=$(
		IFS='|'
		for s in $want; do
			grep -q "^\.SH \"*$s\"*\$" "$page" || printf ' %s;' "$s"
		done
	)
	if [ -z "$missing" ]; then
		ok "$page: has the template's sections"
	else
		bad "$page: missing sections:$missing"
	fi
done
xt_finish
