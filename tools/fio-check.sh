#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Correctness check of a real POSIX AIO client: fio's posixaio engine run
# under LD_PRELOAD=libxaio-posix.so, on both backends (uring, threads),
# buffered and O_DIRECT, at several queue depths.  First proves that fio's
# aio_*64 calls really bind to xaio (LD_DEBUG=bindings) and that xaio served
# requests (XAIO_VERBOSE=1); then every workload must finish with fio exit 0,
# json error 0, I/O done, data verified where the workload verifies, and
# xaio's exit summary showing the requested backend served every request.
# Jobs run with --thread so that summary is printed (a forked fio job
# process leaves with _exit()); the binding proof runs in fio's default
# fork mode.  Needs fio and python3.  Files live in a mktemp -d directory
# under ${TMPDIR:-/tmp}, removed at exit.
# Usage: tools/fio-check.sh [--short] PATH/TO/libxaio-posix.so
#   --short: iodepth 1 and 32, small files (about a minute on 2 cores);
#   default: iodepth 1, 8 and 32, larger files (several minutes).
set -euo pipefail

usage() {
	echo "usage: $0 [--short] PATH/TO/libxaio-posix.so" >&2
	exit 2
}
die() {
	echo "fio-check: FAIL: $*" >&2
	exit 1
}

short=0
lib=""
while [ $# -gt 0 ]; do
	case $1 in
	--short) short=1 ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) [ -z "$lib" ] || usage; lib=$1 ;;
	esac
	shift
done
[ -n "$lib" ] || usage
[ -f "$lib" ] || die "no such library: $lib"
lib=$(realpath -s "$lib")
command -v fio >/dev/null || die "fio not found (Debian: apt-get install fio)"
command -v python3 >/dev/null || die "python3 not found"
fio=$(command -v fio)

if [ $short = 1 ]; then
	depths="1 32"
	size=8M
	tmo=120
else
	depths="1 8 32"
	size=128M
	tmo=600
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/xaio-fio-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Judges one fio run: prints "IOPS<TAB>problem"; an empty problem means pass.
cat >"$work/judge.py" <<'EOF'
import json, re, sys

out, err, kind, want = sys.argv[1:5]
text = open(out, errors="replace").read()
errtext = open(err, errors="replace").read()

def verdict(iops, problem):
    print(f"{iops}\t{problem}")
    sys.exit(0)

start = text.find("{")
try:
    job = json.loads(text[start:])["jobs"][0] if start >= 0 else None
except (ValueError, KeyError, IndexError):
    job = None
if job is None:
    verdict("-", "no json output from fio")
rd, wr = job["read"], job["write"]
ios = rd["total_ios"] + wr["total_ios"]
syncs = job["sync"]["lat_ns"]["N"]
secs = job["job_runtime"] / 1000.0
iops = f"{ios / secs:.0f}" if secs > 0 else "-"
if job["error"]:
    verdict(iops, f"fio job error {job['error']}")
if kind == "read" and rd["io_bytes"] <= 0:
    verdict(iops, "no bytes read")
if kind in ("sync", "verify") and wr["io_bytes"] <= 0:
    verdict(iops, "no bytes written")
if kind == "sync" and syncs <= 0:
    verdict(iops, "no fsync/fdatasync issued")
if kind == "verify" and rd["io_bytes"] < wr["io_bytes"]:
    verdict(iops, f"verify read {rd['io_bytes']} of {wr['io_bytes']} bytes written")
if want == "-":
    verdict(iops, "")
m = re.search(r"xaio: backend (\S+) \(([^)]*)\), (\d+) requests: .* (\d+) completed",
              errtext)
if not m:
    verdict(iops, "no xaio summary on stderr (was libxaio-posix preloaded?)")
backend, why, nreq, ndone = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
if backend != want:
    verdict(iops, f"xaio served by {backend} ({why}), wanted {want}")
if nreq != ios + syncs:
    verdict(iops, f"xaio saw {nreq} requests, fio did {ios} I/Os + {syncs} syncs")
if ndone != nreq:
    verdict(iops, f"xaio completed {ndone} of {nreq} requests")
verdict(iops, "")
EOF

q() { printf '%q ' "$@"; }

echo "fio-check: $(fio --version), library $lib"
echo "fio-check: files in $work, sizes $size, depths $depths"

# --- 0. proof that fio's aio calls bind to xaio ------------------------------
# Reference file for the read workloads: block at offset o holds o (fio's
# verify_pattern=%o), written with plain pwrite (psync), no xaio involved.
readfile=$work/read.dat
fio --name=layout --ioengine=psync --rw=write --bs=4k --size="$size" \
	--filename="$readfile" --verify=pattern --verify_pattern=%o \
	--do_verify=0 --output-format=terse >/dev/null 2>"$work/layout.err" ||
	die "could not write $readfile with fio psync: $(cat "$work/layout.err")"

mapfile -t syms < <(nm -D "$fio" | awk '$1 == "U" && $2 ~ /^aio_/ { sub(/@.*/, "", $2); print $2 }')
[ ${#syms[@]} -gt 0 ] || die "nm -D $fio shows no aio_* imports: is posixaio built in?"
readsym=aio_read
for s in "${syms[@]}"; do [ "$s" = aio_read64 ] && readsym=aio_read64; done
echo "fio-check: fio imports ${syms[*]}"

probe=(--name=probe --ioengine=posixaio --rw=randread --bs=4k --size=1M
	--filename="$readfile" --verify=pattern --verify_pattern=%o
	--verify_fatal=1 --iodepth=4 --output-format=json)
# fio's default fork mode, as a user would run it.
timeout -k 10 "$tmo" env LD_DEBUG=bindings LD_DEBUG_OUTPUT="$work/ld" \
	LD_PRELOAD="$lib" fio "${probe[@]}" >"$work/probe.json" 2>"$work/probe.err" ||
	die "fio probe under LD_PRELOAD failed (exit $?): $(tail -5 "$work/probe.err")
  reproduce: LD_PRELOAD=$lib $(q fio "${probe[@]}")"
res=$(python3 "$work/judge.py" "$work/probe.json" "$work/probe.err" read -)
[ -z "${res#*$'\t'}" ] || die "fio probe: ${res#*$'\t'}"
cat "$work"/ld.* >"$work/bindings"
for s in "$readsym" "${syms[@]}"; do
	to=$(sed -n "s/.*binding file [^ ]*fio \[0\] to \([^ ]*\) \[[0-9]*\]: normal symbol \`$s'.*/\1/p" "$work/bindings" | sort -u)
	[ -n "$to" ] || die "LD_DEBUG=bindings shows no binding of fio's $s"
	[ "$to" = "$lib" ] || die "fio's $s binds to $to, not $lib"
done
echo "fio-check: LD_DEBUG=bindings: fio's $readsym and ${#syms[@]} aio_* symbols in all bind to $lib"

uring_ok=1
for b in uring threads; do
	timeout -k 10 "$tmo" env XAIO_BACKEND=$b XAIO_VERBOSE=1 LD_PRELOAD="$lib" \
		fio --thread "${probe[@]}" >"$work/probe.json" 2>"$work/probe.err" ||
		die "fio --thread probe (XAIO_BACKEND=$b) failed: $(tail -5 "$work/probe.err")"
	line=$(grep -m1 '^xaio: backend' "$work/probe.err") ||
		die "XAIO_VERBOSE=1 printed no xaio summary (XAIO_BACKEND=$b)"
	echo "fio-check: XAIO_BACKEND=$b: $line"
	n=$(sed -n 's/.*), \([0-9]*\) requests:.*/\1/p' <<<"$line")
	[ "${n:-0}" -gt 0 ] || die "xaio reports no requests served (XAIO_BACKEND=$b)"
	if [ $b = uring ] && [[ $line == *"io_uring refused"* ]]; then
		echo "fio-check: SKIP: io_uring is refused on this machine; the uring variants are skipped"
		uring_ok=0
	fi
done

modes="buffered"
if dd if=/dev/zero of="$work/odirect" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
	modes="buffered direct"
else
	echo "fio-check: SKIP: O_DIRECT not supported on the filesystem of $work ($(stat -f -c %T "$work")): direct=1 variants skipped"
fi
rm -f "$work/odirect"

# --- 1. workloads -------------------------------------------------------------
pass=0
fail=0
skip=0
failures=()

# run NAME KIND BACKEND DEPTH DIRECT FIO-ARGS...
run() {
	local name=$1 kind=$2 b=$3 depth=$4 direct=$5
	shift 5
	local want=io_uring
	[ "$b" = threads ] && want=threads
	local args=(--thread --name="$name" --ioengine=posixaio --bs=4k
		--size="$size" --iodepth="$depth" --direct="$direct"
		--output-format=json "$@")
	local rc=0 res iops problem
	timeout -k 10 "$tmo" env XAIO_BACKEND="$b" XAIO_VERBOSE=1 LD_PRELOAD="$lib" \
		fio "${args[@]}" >"$work/out.json" 2>"$work/out.err" || rc=$?
	res=$(python3 "$work/judge.py" "$work/out.json" "$work/out.err" "$kind" "$want")
	iops=${res%%$'\t'*}
	problem=${res#*$'\t'}
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		problem="HANG: fio did not finish in ${tmo}s"
	elif [ $rc != 0 ]; then
		problem="fio exit status $rc${problem:+; $problem}"
	fi
	if [ -z "$problem" ]; then
		printf '%-30s %-8s depth %-3s %9s IOPS  ok\n' "$name" "$b" "$depth" "$iops"
		pass=$((pass + 1))
		return 0
	fi
	printf '%-30s %-8s depth %-3s %9s IOPS  FAIL: %s\n' "$name" "$b" "$depth" "$iops" "$problem"
	grep -v '^xaio: backend' "$work/out.err" | head -5 | sed 's/^/    | /' || true
	echo "    reproduce: XAIO_BACKEND=$b LD_PRELOAD=$lib $(q fio "${args[@]}")"
	fail=$((fail + 1))
	failures+=("$name $b depth $depth")
}

for mode in $modes; do
	direct=0
	[ "$mode" = direct ] && direct=1
	for b in uring threads; do
		if [ $b = uring ] && [ $uring_ok = 0 ]; then
			skip=$((skip + 5 * $(wc -w <<<"$depths")))
			continue
		fi
		for d in $depths; do
			f=$work/w-$mode-$b-$d.dat
			# Reads of the psync-written reference file, each block checked
			# against its offset.
			run "randread/$mode" read "$b" "$d" "$direct" --rw=randread \
				--filename="$readfile" --verify=pattern --verify_pattern=%o \
				--verify_fatal=1
			run "randwrite-fsync8/$mode" sync "$b" "$d" "$direct" --rw=randwrite \
				--filename="$f" --fsync=8
			run "randwrite-fdatasync4/$mode" sync "$b" "$d" "$direct" --rw=randwrite \
				--filename="$f" --fdatasync=4
			# Fresh file for each verify run: stale blocks of an earlier run
			# with the same seed would verify even if no write happened.
			rm -f "$f"
			run "verify-crc32c/$mode" verify "$b" "$d" "$direct" --rw=randwrite \
				--filename="$f" --verify=crc32c --do_verify=1 --verify_fatal=1
			rm -f "$f"
			run "verify-backlog-crc32c/$mode" verify "$b" "$d" "$direct" --rw=randwrite \
				--filename="$f" --verify=crc32c --do_verify=1 --verify_fatal=1 \
				--verify_backlog=16
			rm -f "$f"
		done
	done
done

[ $skip = 0 ] || echo "$skip skipped"
[ $fail = 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
