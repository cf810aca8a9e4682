#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Performance benchmark (not a test): 4 KiB random reads, one fio job, on a
# file of real (urandom) data, comparing in one run
#   xaio     fio posixaio + LD_PRELOAD=libxaio-posix.so (XAIO_* as in
#            the environment; unset = default, io_uring)
#   glibc    fio posixaio, no preload (glibc's thread-based POSIX AIO)
#   io_uring fio's own io_uring engine (default options)
# buffered with the page cache hot and with O_DIRECT, at several iodepths,
# repeated (engines interleaved within each repetition); prints the median
# IOPS and CPU time per operation as a Markdown table, with the median and
# range of xaio's ratio to io_uring within each repetition.  CPU is the whole
# fio process tree (wait4 rusage of fio, its forked job process and all their
# threads: glibc's and xaio's helper threads and io_uring's io-wq workers),
# less a baseline run of the same job doing one I/O (fio's start-up), over the
# operations of ramp + runtime.  fio's own usr_cpu/sys_cpu (which count only
# the job's own thread, RUSAGE_THREAD) are shown beside it.
# The data file (${XAIO_BENCH_DIR:-/var/tmp}/xaio-bench-SIZE.dat) is written
# once and reused.  Needs fio and python3.
# Usage: bench/fio-posixaio.sh [--runtime SEC] [--reps N] [--size 1G]
#          [--depths "1 8 32 128"] [--modes "buffered direct"] [--lib PATH]
#   --lib: libxaio-posix.so to preload; default build/bench/libxaio-posix.so,
#   configured there (Release) when missing and brought up to date.  Another
#   POSIX AIO may stand in the "xaio" column (build/bench/bench/
#   libposix-floor.so, the least such a library can do: see posix-floor.c).
set -euo pipefail

cmdline=$(printf '%q ' "$0" "$@")
for v in XAIO_BACKEND XAIO_SQPOLL XAIO_NOWAIT XAIO_BATCH XAIO_BENCH_DIR TMPDIR; do
	[ -z "${!v:-}" ] || cmdline="$v=$(printf %q "${!v}") $cmdline"
done
root=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
die() {
	echo "fio-posixaio: $*" >&2
	exit 1
}

runtime=5
reps=3
size=1G
depths="1 8 32 128"
modes="buffered direct"
lib=""
ramp=1
while [ $# -gt 0 ]; do
	case $1 in
	--runtime | --reps | --size | --depths | --modes | --lib)
		[ $# -ge 2 ] || usage
		v=$2
		case $1 in
		--runtime) runtime=$v ;;
		--reps) reps=$v ;;
		--size) size=$v ;;
		--depths) depths=$v ;;
		--modes) modes=$v ;;
		--lib) lib=$v ;;
		esac
		shift 2
		;;
	-h | --help) usage ;;
	*) echo "fio-posixaio: unknown argument: $1" >&2; usage ;;
	esac
done
[[ $runtime =~ ^[1-9][0-9]*$ ]] || die "--runtime wants whole seconds > 0, got '$runtime'"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps wants a count > 0, got '$reps'"
for d in $depths; do [[ $d =~ ^[1-9][0-9]*$ ]] || die "bad depth '$d'"; done
for m in $modes; do
	[ "$m" = buffered ] || [ "$m" = direct ] || die "bad mode '$m' (buffered|direct)"
done
{ [ -n "$depths" ] && [ -n "$modes" ]; } || die "empty --depths or --modes"
command -v fio >/dev/null || die "fio not found (Debian: apt-get install fio)"
command -v python3 >/dev/null || die "python3 not found"
bytes=$(numfmt --from=iec "${size%B}" 2>/dev/null) || die "bad --size '$size' (e.g. 1G, 2048M)"
[ "$bytes" -ge $((1 << 30)) ] || die "--size $size is below 1 GiB: too small to measure anything"
bytes=$((bytes / (1 << 20) * (1 << 20)))

if [ -z "$lib" ]; then
	lib=$root/build/bench/libxaio-posix.so
	if [ ! -f "$root/build/bench/CMakeCache.txt" ]; then
		echo "fio-posixaio: configuring build/bench (Release)" >&2
		cmake -S "$root" -B "$root/build/bench" -DCMAKE_BUILD_TYPE=Release \
			-DXAIO_BUILD_TESTS=OFF -DXAIO_BUILD_EXAMPLES=OFF >/dev/null
	fi
	cmake --build "$root/build/bench" -j "$(nproc)" --target xaio-posix >/dev/null
fi
[ -f "$lib" ] || die "no such library: $lib"
lib=$(realpath -s "$lib")

dir=${XAIO_BENCH_DIR:-/var/tmp}
[ -d "$dir" ] || die "no directory $dir (XAIO_BENCH_DIR)"
file=$dir/xaio-bench-$((bytes >> 20))M.dat

work=$(mktemp -d "${TMPDIR:-/tmp}/xaio-fio-bench.XXXXXX")
trap 'rm -rf "$work" "$file.part"' EXIT

# --- the data file: real data, written once --------------------------------
if [ "$(stat -c %s "$file" 2>/dev/null || echo 0)" != "$bytes" ]; then
	avail=$(($(stat -f -c '%a * %S' "$dir")))
	[ "$avail" -gt "$bytes" ] || die "not enough space in $dir for $size"
	echo "fio-posixaio: writing $file ($((bytes >> 20)) MiB from /dev/urandom, once)" >&2
	dd if=/dev/urandom of="$file.part" bs=1M count=$((bytes >> 20)) \
		conv=fsync status=none
	mv "$file.part" "$file"
fi
if [[ " $modes " == *" direct "* ]] &&
	! dd if="$file" of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null; then
	echo "fio-posixaio: O_DIRECT is not supported on $dir ($(stat -f -c %T "$dir")): direct mode skipped (set XAIO_BENCH_DIR elsewhere to measure it)" >&2
	modes=$(tr ' ' '\n' <<<"$modes" | grep -vx direct | tr '\n' ' ' || true)
	[ -n "${modes// /}" ] || die "nothing left to measure"
fi
memavail=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) * 1024))
if [[ " $modes " == *" buffered "* ]] && [ "$memavail" -lt $((bytes + bytes / 4)) ]; then
	echo "fio-posixaio: warning: $((memavail >> 20)) MiB available memory may not keep the $((bytes >> 20)) MiB file cached" >&2
fi

# Runs a command; writes "user_s system_s" of it and all its reaped
# descendants (getrusage via wait4) to $1.
cat >"$work/rusage.py" <<'EOF'
import os, sys
out, cmd = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(out, "w") as f:
    f.write(f"{ru.ru_utime:.6f} {ru.ru_stime:.6f}\n")
sys.exit(os.waitstatus_to_exitcode(status))
EOF

# --- which xaio backend serves fio ------------------------------------------
common=(--name=bench --filename="$file" --size="$bytes" --rw=randread --bs=4k
	--numjobs=1 --invalidate=0 --norandommap --randrepeat=0 --output-format=json)
XAIO_VERBOSE=1 LD_PRELOAD="$lib" fio --thread --ioengine=posixaio --iodepth=8 \
	--number_ios=256 "${common[@]}" >"$work/probe.json" 2>"$work/probe.err" ||
	die "fio posixaio under LD_PRELOAD=$lib failed: $(tail -5 "$work/probe.err")"
# A --lib that is not xaio (bench/posix-floor.c, say) prints no summary.
xaioline=$(grep -m1 '^xaio: backend' "$work/probe.err") ||
	xaioline="xaio: not libxaio-posix (no XAIO_VERBOSE summary)"

echo "Command: \`${cmdline% }\`"
echo
echo "- fio: $(fio --version); kernel $(uname -r); $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- file: $file ($((bytes >> 20)) MiB of /dev/urandom data, $(stat -f -c %T "$dir")); 4 KiB randread, 1 job, runtime ${runtime}s + ramp ${ramp}s, time_based, ${reps} repetition(s), medians shown"
echo "- xaio: $lib, XAIO_BACKEND=${XAIO_BACKEND:-(unset)}, XAIO_SQPOLL=${XAIO_SQPOLL:-(unset)}, XAIO_BATCH=${XAIO_BATCH:-(unset)}; probe: ${xaioline#xaio: }"
echo "- buffered: file pre-read with cat, invalidate=0; direct: direct=1; io_uring engine with fio's default options"

# --- the runs -----------------------------------------------------------------
engines=(xaio glibc io_uring)
tmo=$((runtime + ramp + 120))
failed=0
: >"$work/results"
engine_cmd() { # engine fio-args...: sets cmd
	local eng=$1
	shift
	case $eng in
	xaio) cmd=(env LD_PRELOAD="$lib" fio --ioengine=posixaio "$@") ;;
	glibc) cmd=(fio --ioengine=posixaio "$@") ;;
	io_uring) cmd=(fio --ioengine=io_uring "$@") ;;
	esac
}
run_one() { # rep mode depth engine
	local rep=$1 mode=$2 depth=$3 eng=$4 direct=0 rc=0 cmd
	[ "$mode" = direct ] && direct=1
	local args=("${common[@]}" --iodepth="$depth" --direct="$direct")
	rm -f "$work/ru" "$work/ru0" "$work/out.json"
	# Baseline: the same job doing one I/O, for fio's start-up and
	# teardown CPU (a quarter second with Debian's fio and its libraries).
	engine_cmd "$eng" "${args[@]}" --number_ios=1
	python3 "$work/rusage.py" "$work/ru0" timeout -k 10 "$tmo" "${cmd[@]}" \
		>"$work/out.json" 2>"$work/out.err" || rc=$?
	if [ $rc = 0 ]; then
		engine_cmd "$eng" "${args[@]}" --time_based --runtime="$runtime" --ramp_time="$ramp"
		python3 "$work/rusage.py" "$work/ru" timeout -k 10 "$tmo" "${cmd[@]}" \
			>"$work/out.json" 2>"$work/out.err" || rc=$?
	fi
	local line
	line=$(python3 - "$work/out.json" "$work/ru" "$work/ru0" "$runtime" "$ramp" <<'PY'
import json, sys
text = open(sys.argv[1], errors="replace").read()
try:
    job = json.loads(text[text.index("{"):])["jobs"][0]
except (ValueError, KeyError, IndexError):
    print("nojson"); sys.exit()
cpu = sum(map(float, open(sys.argv[2]).read().split()))
base = sum(map(float, open(sys.argv[3]).read().split()))
iops = job["read"]["iops"]
if job["error"] or iops <= 0:
    print(f"error {job['error']}"); sys.exit()
ops = iops * (int(sys.argv[4]) + int(sys.argv[5]))   # ramp included
print(f"{iops:.1f} {max(cpu - base, 0) * 1e6 / ops:.3f} "
      f"{(job['usr_cpu'] + job['sys_cpu']) / 100 * 1e6 / iops:.3f} {base:.3f}")
PY
	)
	if [ $rc != 0 ] || [[ ! $line =~ ^[0-9] ]]; then
		echo "fio-posixaio: FAILED ($eng, $mode, depth $depth, exit $rc, $line): $(printf '%q ' "${cmd[@]}")" >&2
		sed 's/^/    | /' "$work/out.err" | head -5 >&2
		failed=$((failed + 1))
		echo "$rep $mode $depth $eng fail" >>"$work/results"
		return 0
	fi
	echo "$rep $mode $depth $eng $line" >>"$work/results"
	read -r iops cpu _ _ <<<"$line"
	printf 'fio-posixaio: rep %s/%s %-8s depth %-3s %-8s %9.0f IOPS %7.2f us/op CPU\n' \
		"$rep" "$reps" "$mode" "$depth" "$eng" "$iops" "$cpu" >&2
}

start=$(date +%s)
for ((rep = 1; rep <= reps; rep++)); do
	for mode in $modes; do
		for depth in $depths; do
			[ "$mode" = buffered ] && cat "$file" >/dev/null
			# Rotate the engine order each repetition to spread drift.
			for ((i = 0; i < 3; i++)); do
				run_one $rep "$mode" "$depth" "${engines[(i + rep - 1) % 3]}"
			done
		done
	done
done

# --- the report -----------------------------------------------------------------
echo "- elapsed $(($(date +%s) - start)) s"
echo
python3 - "$work/results" <<'EOF'
import statistics, sys
runs = {}  # (mode, depth, engine) -> one result per repetition, None if failed
order = []
for line in open(sys.argv[1]):
    f = line.split()
    key = (f[1], int(f[2]))
    if key not in order:
        order.append(key)
    runs.setdefault(key + (f[3],), []).append(None if f[4] == "fail" else tuple(map(float, f[4:8])))

def med(key, i):
    v = [r[i] for r in runs.get(key, []) if r]
    return statistics.median(v) if v else None

def num(x, fmt):
    return "fail" if x is None else format(x, fmt)

def paired(mode, d):
    """Median, min and max over repetitions of xaio's IOPS over io_uring's
    in the same repetition (seconds apart, so a slow phase of the shared
    host's storage tends to hit both)."""
    v = [x[0] / u[0] for x, u in zip(runs.get((mode, d, "xaio"), []),
                                     runs.get((mode, d, "io_uring"), []))
         if x and u and u[0]]
    if not v:
        return "-"
    return f"{statistics.median(v):.2f} ({min(v):.2f}–{max(v):.2f})"

def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"

print("| mode | depth | xaio IOPS | glibc IOPS | io_uring IOPS | xaio/io_uring"
      " | glibc/io_uring | xaio CPU µs/op | io_uring CPU µs/op | CPU ratio"
      " | xaio/io_uring per repetition |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for mode, d in order:
    x, g, u = ((mode, d, e) for e in ("xaio", "glibc", "io_uring"))
    print(f"| {mode} | {d} | {num(med(x, 0), '.0f')} | {num(med(g, 0), '.0f')}"
          f" | {num(med(u, 0), '.0f')} | {ratio(med(x, 0), med(u, 0))}"
          f" | {ratio(med(g, 0), med(u, 0))} | {num(med(x, 1), '.2f')}"
          f" | {num(med(u, 1), '.2f')} | {ratio(med(x, 1), med(u, 1))}"
          f" | {paired(mode, d)} |")
print()
print("xaio/io_uring is the ratio of the two engines' medians; \"per"
      " repetition\" is the median (and range) of the ratio within each"
      " repetition, where the two ran seconds apart.")
print()
bases = [r[3] for v in runs.values() for r in v if r]
print("CPU µs/op above and \"tree\" below: the whole fio process tree"
      " (wait4 rusage of fio, its job process and all their threads, io-wq"
      " workers included), less a baseline run of the same job doing one I/O"
      f" (fio start-up, median {statistics.median(bases) * 1e3:.0f} ms),"
      " per op of ramp + runtime (ramp ops estimated at the measured rate)."
      " \"fio\": fio's own usr_cpu+sys_cpu, which count only the job's thread"
      " (getrusage RUSAGE_THREAD) and so miss glibc's and xaio's helper"
      " threads and io_uring's io-wq kernel threads.")
print()
print("| mode | depth | xaio tree | xaio fio | glibc tree | glibc fio | io_uring tree | io_uring fio |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for mode, d in order:
    cells = []
    for e in ("xaio", "glibc", "io_uring"):
        cells += [num(med((mode, d, e), 1), ".2f"), num(med((mode, d, e), 2), ".2f")]
    print(f"| {mode} | {d} | " + " | ".join(cells) + " |")
EOF
if [ $failed != 0 ]; then
	echo
	echo "**$failed run(s) failed** (see stderr)"
	exit 1
fi
