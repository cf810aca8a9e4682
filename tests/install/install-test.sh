#!/bin/sh
# SPDX-License-Identifier: MIT
# The install tree, as a user of a distribution package gets it.
#
# Installs the build with DESTDIR into a temporary stage, checks the layout
# (headers, sonames and symlinks, static archives iff XAIO_BUILD_STATIC,
# .pc files, CMake package, man pages, xaio-run, xaio-cp, LICENSE, no
# build-tree path in any installed text file), then builds tests/install/consumer.c
# against the stage
#   1. through pkg-config (PKG_CONFIG_SYSROOT_DIR = the stage),
#   2. through find_package(xaio) (tests/install/CMakeLists.txt,
#      CMAKE_PREFIX_PATH = the staged prefix),
# (and, with static archives, against those too) and runs each with
# LD_LIBRARY_PATH into the stage, expecting its "xaio-consumer: xaio
# <version>, aio_read ok" line and libxaio-posix loaded from the stage.
# The staged bin/xaio-run must find the staged library on its own.
# Then the relocated install: `cmake --install --prefix <tmp>/other`, a
# prefix other than the configured one, and the same consumers built from
# there through find_package and through pkg-config (PKG_CONFIG_PATH only,
# no sysroot: the .pc files find their prefix from their own directory).
# Left out when LIBDIR or INCLUDEDIR is outside PREFIX (absolute
# directories do not move with the prefix).
#
# Without pkg-config, step 1 is left out and the test exits 77 (skipped)
# after the rest has passed: install it with `apt-get install pkg-config`.
#
# Called by CTest with the settings in the environment:
#   BUILD SOURCE CMAKE CC CFLAGS CONFIG VERSION SOVERSION STATIC TOOLS PROGRAM
#   PREFIX LIBDIR INCLUDEDIR BINDIR MANDIR DOCDIR (the full install paths)
set -eu
for v in BUILD SOURCE CMAKE CC VERSION SOVERSION STATIC PROGRAM PREFIX \
	LIBDIR INCLUDEDIR BINDIR MANDIR DOCDIR; do
	eval "[ -n \"\${$v:-}\" ]" || {
		echo "$0: $v is not set (run through CTest)" >&2
		exit 2
	}
done
CFLAGS=${CFLAGS:-}

# shellcheck source-path=SCRIPTDIR source=../harness/xtest.sh
. "$(dirname "$0")/../harness/xtest.sh"
stage=$tmp/stage
# An ASan build's libraries under a consumer: its runtime is not first.
xt_asan_preload
unset XAIO_LIB XAIO_VERBOSE LD_PRELOAD || :

# --- install ---------------------------------------------------------------
if DESTDIR=$stage "$CMAKE" --install "$BUILD" ${CONFIG:+--config "$CONFIG"} \
	>"$tmp/install.log" 2>&1; then
	ok "DESTDIR=<stage> cmake --install"
else
	bad "DESTDIR=<stage> cmake --install"
	show "$tmp/install.log"
	xt_finish
fi
lib=$stage$LIBDIR inc=$stage$INCLUDEDIR

# --- layout ----------------------------------------------------------------
for h in xaio.h xaio/posix.h xaio/version.h; do
	check "header $h" test -f "$inc/$h"
done
check "no version.h.in installed" test ! -e "$inc/xaio/version.h.in"

soname_of() {
	readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'
}
for l in xaio xaio-posix; do
	real=lib$l.so.$VERSION so=lib$l.so.$SOVERSION
	check "$real is a file" test -f "$lib/$real" -a ! -L "$lib/$real"
	check "$so -> $real" test "$(readlink "$lib/$so")" = "$real"
	check "lib$l.so -> $so" test "$(readlink "$lib/lib$l.so")" = "$so"
	check "$real has soname $so" test "$(soname_of "$lib/$real")" = "$so"
	# libxaio-posix finds libxaio next to itself ($ORIGIN, for LD_PRELOAD
	# from any directory); nothing else may carry a search path.
	rp=$(readelf -d "$lib/$real" | sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\]/\1=\2/p')
	want=
	[ "$l" = xaio-posix ] && want='RUNPATH=$ORIGIN'
	if [ "$rp" = "$want" ]; then
		ok "$real search path: ${want:-none}"
	else
		bad "$real search path is '${rp}', want '${want:-none}'"
	fi
	if [ "$STATIC" = ON ]; then
		check "lib$l.a (XAIO_BUILD_STATIC=ON)" test -f "$lib/lib$l.a"
	else
		check "no lib$l.a (XAIO_BUILD_STATIC=OFF)" test ! -e "$lib/lib$l.a"
	fi
	check "$l.pc" test -f "$lib/pkgconfig/$l.pc"
done
for f in xaioConfig.cmake xaioConfigVersion.cmake xaioTargets.cmake; do
	check "cmake/xaio/$f" test -f "$lib/cmake/xaio/$f"
done
for sect in 1 3 7; do
	n_src=$(find "$SOURCE/man/man$sect" -name "*.$sect" | wc -l)
	n_inst=$(find "$stage$MANDIR/man$sect" -name "*.$sect" 2>/dev/null |
		wc -l)
	check "man$sect: $n_inst of $n_src pages" \
		test "$n_src" -gt 0 -a "$n_src" -eq "$n_inst"
done
check "bin/xaio-run is executable" test -x "$stage$BINDIR/xaio-run"
# xaio-cp (XAIO_BUILD_TOOLS) finds the staged libxaio through its RPATH.
if [ "${TOOLS:-OFF}" = ON ]; then
	check "bin/xaio-cp runs from the stage on its own" sh -c \
		'env -u LD_LIBRARY_PATH "$1" --help >/dev/null' - \
		"$stage$BINDIR/xaio-cp"
fi
check "LICENSE in the doc dir" test -f "$stage$DOCDIR/LICENSE"

# Everything lands under the prefix.
find "$stage" -type f -o -type l | sed "s|^$stage||" |
	grep -v "^$PREFIX/" >"$tmp/outside" || :
if [ -s "$tmp/outside" ]; then
	bad "files outside $PREFIX:"
	show "$tmp/outside"
else
	ok "every file under $PREFIX"
fi
# No installed text file may point back into the build or source tree.
find "$stage" -type f \( -name '*.h' -o -name '*.pc' -o -name '*.cmake' \
	-o -name xaio-run \) -exec grep -l -e "$BUILD" -e "$SOURCE/" {} + \
	>"$tmp/leaks" 2>/dev/null || :
if [ -s "$tmp/leaks" ]; then
	bad "build or source paths in installed files:"
	show "$tmp/leaks"
else
	ok "no build or source path in installed headers, .pc, .cmake"
fi

# --- consumers -------------------------------------------------------------
expected="xaio-consumer: xaio $VERSION, aio_read ok"

# run_consumer NAME BINARY [ARG]: runs it against the libraries in $lib.
run_consumer() {
	if LD_LIBRARY_PATH=$lib "$2" ${3:+"$3"} >"$tmp/$1.out" 2>&1 &&
		grep -qx "$expected" "$tmp/$1.out"; then
		ok "$1 runs: $expected"
	else
		bad "$1: no line '$expected'"
		show "$tmp/$1.out"
		return 0
	fi
	if [ "${3:-}" = static ]; then
		# The XAIO_VERBOSE report must survive a static link too.
		if XAIO_VERBOSE=1 "$2" static 2>&1 >/dev/null |
			grep -q "^xaio: backend "; then
			ok "$1 prints the XAIO_VERBOSE report"
		else
			bad "$1: no XAIO_VERBOSE report"
		fi
		return 0
	fi
	if grep -q "aio_read from $lib/libxaio-posix.so" "$tmp/$1.out"; then
		ok "$1 uses the installed libxaio-posix"
	else
		bad "$1 does not use the installed libxaio-posix:"
		show "$tmp/$1.out"
	fi
}

# needs BINARY SONAME...: the binary was linked against these sonames.
needs() {
	bin=$1
	shift
	for so; do
		if readelf -d "$bin" | grep -q "NEEDED.*\[$so\]"; then
			ok "$(basename "$bin") needs $so"
		else
			bad "$(basename "$bin") does not need $so"
		fi
	done
}

# 2. find_package(xaio)
# configure_consumer NAME [CMAKE ARGS]: configures and builds the project.
configure_consumer() {
	name=$1
	shift
	# shellcheck disable=SC2086 # CFLAGS is a list of words
	if "$CMAKE" -S "$SOURCE/tests/install" -B "$tmp/$name" \
		-DCMAKE_PREFIX_PATH="$top" \
		-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
		-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" "$@" \
		>"$tmp/$name.log" 2>&1 &&
		"$CMAKE" --build "$tmp/$name" >>"$tmp/$name.log" 2>&1; then
		ok "$name: find_package(xaio) project builds"
	else
		bad "$name: find_package(xaio) project does not build"
		show "$tmp/$name.log"
		return 1
	fi
	dir=$(sed -n 's/^xaio_DIR:PATH=//p' "$tmp/$name/CMakeCache.txt")
	check "$name: xaio_DIR is the installed one ($dir)" \
		test "$dir" = "$lib/cmake/xaio"
}
top=$stage$PREFIX
if configure_consumer cmake-consumer; then
	needs "$tmp/cmake-consumer/consumer" "libxaio.so.$SOVERSION" \
		"libxaio-posix.so.$SOVERSION"
	run_consumer cmake-consumer "$tmp/cmake-consumer/consumer"
fi
if [ "$STATIC" = ON ] &&
	configure_consumer cmake-static -DCONSUMER_STATIC=ON; then
	run_consumer cmake-static "$tmp/cmake-static/consumer" static
fi

# The staged xaio-run finds the staged library by itself.
if "$stage$BINDIR/xaio-run" -v "$PROGRAM" >"$tmp/run.out" 2>"$tmp/run.err" &&
	grep -q "^xaio: backend .*, [1-9][0-9]* requests:" "$tmp/run.err"; then
	ok "staged xaio-run -v: $(grep '^xaio: backend' "$tmp/run.err")"
else
	bad "staged xaio-run -v: no report of N > 0 requests"
	show "$tmp/run.out"
	show "$tmp/run.err"
fi
# preloads WHICH XAIO-RUN: it preloads the library in $lib.
preloads() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	pre=$("$2" sh -c 'printf "%s" "$LD_PRELOAD"' || :)
	case $pre in
	"$lib"/libxaio-posix.so*) ok "$1 xaio-run preloads $pre" ;;
	*) bad "$1 xaio-run preloads '$pre', not from $lib" ;;
	esac
}
preloads staged "$stage$BINDIR/xaio-run"

# 3. relocated: installed with --prefix into another directory.
other=$tmp/other
case $LIBDIR/:$INCLUDEDIR/ in
"$PREFIX"/*:"$PREFIX"/*) relocate=1 ;;
*) relocate=0 ;;
esac
if [ "$relocate" = 1 ]; then
	if "$CMAKE" --install "$BUILD" ${CONFIG:+--config "$CONFIG"} \
		--prefix "$other" >"$tmp/install-other.log" 2>&1; then
		ok "cmake --install --prefix <tmp>/other"
	else
		bad "cmake --install --prefix <tmp>/other"
		show "$tmp/install-other.log"
		xt_finish
	fi
	stage_lib=$lib
	lib=$other${LIBDIR#"$PREFIX"} top=$other
	if configure_consumer cmake-other; then
		run_consumer cmake-other "$tmp/cmake-other/consumer"
	fi
	preloads relocated "$other${BINDIR#"$PREFIX"}/xaio-run"
	lib=$stage_lib
else
	ok "# relocated install left out: LIBDIR or INCLUDEDIR not under $PREFIX"
fi

# 1. pkg-config
if ! command -v pkg-config >/dev/null 2>&1; then
	xt_skip_rest "pkg-config is not installed (apt-get install" \
		"pkg-config): the pkg-config consumer was not built"
fi
PKG_CONFIG_PATH=$lib/pkgconfig
PKG_CONFIG_LIBDIR=$lib/pkgconfig
PKG_CONFIG_SYSROOT_DIR=$stage
# Keep -I/usr/include and -L/usr/lib when the prefix is /usr: they must
# get the sysroot like any other path.
PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1
PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
export PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR \
	PKG_CONFIG_ALLOW_SYSTEM_CFLAGS PKG_CONFIG_ALLOW_SYSTEM_LIBS
for m in xaio xaio-posix; do
	v=$(pkg-config --modversion "$m" 2>&1 || :)
	check "pkg-config --modversion $m = $v" test "$v" = "$VERSION"
done
priv=$(pkg-config --static --libs xaio)
case " $priv " in
*" -pthread "*) ok "pkg-config --static --libs xaio has -pthread: $priv" ;;
*) bad "pkg-config --static --libs xaio lacks -pthread: $priv" ;;
esac
# pc_consumer NAME: builds and runs the consumer with the flags
# pkg-config gives in the current environment.
pc_consumer() {
	flags=$(pkg-config --cflags --libs xaio xaio-posix)
	# shellcheck disable=SC2086 # word lists
	if "$CC" $CFLAGS -Wall -Wextra -Werror -o "$tmp/$1" \
		"$SOURCE/tests/install/consumer.c" $flags >"$tmp/$1.log" 2>&1
	then
		ok "$1 builds: cc consumer.c $flags"
		needs "$tmp/$1" "libxaio.so.$SOVERSION" \
			"libxaio-posix.so.$SOVERSION"
		run_consumer "$1" "$tmp/$1"
	else
		bad "$1 does not build: cc consumer.c $flags"
		show "$tmp/$1.log"
	fi
}
pc_consumer pc-consumer
if [ "$STATIC" = ON ]; then
	cflags=$(pkg-config --cflags xaio xaio-posix)
	# shellcheck disable=SC2086 # word lists
	if "$CC" $CFLAGS -Wall -Wextra -Werror -o "$tmp/pc-static" \
		"$SOURCE/tests/install/consumer.c" $cflags \
		"$lib/libxaio-posix.a" "$lib/libxaio.a" -pthread \
		>"$tmp/pc-static.log" 2>&1; then
		ok "consumer builds against libxaio-posix.a and libxaio.a"
		run_consumer pc-static "$tmp/pc-static" static
	else
		bad "consumer does not build against the static archives"
		show "$tmp/pc-static.log"
	fi
fi

# 3. relocated, through pkg-config: no sysroot, the path alone.
if [ "$relocate" = 1 ]; then
	lib=$other${LIBDIR#"$PREFIX"}
	PKG_CONFIG_PATH=$lib/pkgconfig
	PKG_CONFIG_LIBDIR=$lib/pkgconfig
	unset PKG_CONFIG_SYSROOT_DIR
	for v in libdir includedir; do
		want=$other${LIBDIR#"$PREFIX"}
		[ "$v" = libdir ] || want=$other${INCLUDEDIR#"$PREFIX"}
		got=$(pkg-config --variable=$v xaio-posix)
		got=$(cd "$got" 2>/dev/null && pwd -P || echo "$got")
		check "relocated xaio-posix.pc: $v is $got" \
			test "$got" = "$(cd "$want" && pwd -P)"
	done
	pc_consumer pc-other
fi
xt_finish
