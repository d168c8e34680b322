#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh - the benchmark (`make bench`, BENCHMARKS.md): build tw_stats for
# the first of KERNELS (Debian's 6.1 by default), boot it in a VM once per
# kind of measurement with bench.sh inside, and turn what the boots
# printed into the report (report.py).
#
# Usage: run.sh
# Env:   KERNELS      the kernel series (the first is used), default 6.1
#        TWS_ACCEL, TWS_MEM, TWS_TIMEOUT: see vm/boot.sh
#        BENCH_MODE   icount (default: one vCPU, -icount shift=0),
#                     tcg (plain emulation) or kvm (real hardware)
#        BENCH_REPS (5), BENCH_CYCLES (2000 a run), BENCH_SIZES ("1000
#                     30000 200000"), BENCH_BIG_REPS (3), BENCH_KINDS
#                     ("churn sizes contention reader steady peers
#                     connect"),
#                     BENCH_STEADY_REPS (2), BENCH_STEADY_WARM (65 s),
#                     BENCH_STEADY_WINDOW (20 s), BENCH_STEADY_SHIFT (3),
#                     BENCH_PEERS (50000), BENCH_PER_PEER (4),
#                     BENCH_CONNECTS (2000): see
#                     bench_boots
# Exit:  0 when every boot ran and the report was written.
set -eu

bench=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$bench/../.." && pwd)
cache=$top/.cache
here=$top/selftests/vm
series=${KERNELS:-6.1}
series=${series%% *}
source "$here/stage.sh"

stage_tools
command -v bpftrace >/dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends bpftrace >/dev/null

# bench_stage SERIES STAGE: the floor module, tw_bench and the scripts.
bench_stage() {
	local build="$cache/build-$1-floor" b="$bench"

	rm -rf "$build"
	mkdir -p "$build" "$2/bench"
	cp "$b/floor/Kbuild" "$b/floor/tw_floor.c" "$build/"
	"$here/kbuild.sh" "$1" "$build" >"$build/build.log" 2>&1 || {
		cat "$build/build.log" >&2
		return 1
	}
	cp "$build/tw_floor.ko" "$cache/tw_bench" "$b/bench.sh" \
		"$b/tw_map.bt" "$b/tw_fail.bt" "$2/bench/"
}

# bench_boots KVER VMLINUZ INITRD: one boot per kind of measurement, each
# console in $cache/bench-KIND.log, then the report.  The churn boot
# measures the hot path on one vCPU; each size of TIME_WAIT population
# has a boot of its own, started empty, since all of it must live (60 s)
# until its last read: 200k take about 20 s to make and ss needs about
# 8 s a read there, hence at most BENCH_BIG_REPS (3) repetitions from
# 100k up; "contention" repeats the churn with two jobs on two vCPUs in
# plain emulation (or KVM), which only shows a trend; "reader" runs the
# churn with tw_stats loaded with and without cat /proc/tw_stats in a loop
# beside it, on one vCPU.  "steady" churns each mode long enough that as
# many TIME_WAITs die as are born in the measured window: each run churns
# BENCH_STEADY_WARM (65) guest seconds, above the 60 s of TIME_WAIT,
# before its window of BENCH_STEADY_WINDOW (20), for 4 modes, 2 closers
# and BENCH_STEADY_REPS (2) repetitions; with -icount shift=0 that would
# be hours, so its guest clock counts 2^BENCH_STEADY_SHIFT (8) ns an
# instruction, which leaves ratios of times ratios of instructions.
# "peers" makes BENCH_PEERS (50,000) peer addresses' BENCH_PER_PEER (4)
# server-side TIME_WAITs each and times the readers over them, at most
# BENCH_BIG_REPS times, as the biggest size does.  "connect" times
# BENCH_CONNECTS (2000) connect()s refused by the peer, with no module,
# with tw_stats and with bpftrace's tw_fail.bt, BENCH_REPS times, on one
# vCPU.  BENCH_KINDS picks and orders the kinds ("sizes" stands for one
# boot per size).
bench_boots() {
	local kver=$1 vmlinuz=$2 initrd=$3 kind accel icount smp args log
	local bmode=${BENCH_MODE:-icount} reps=${BENCH_REPS:-5}
	local cycles=${BENCH_CYCLES:-2000}
	local sizes=${BENCH_SIZES:-1000 30000 200000}
	local logs=() kinds="" size n
	local steady_shift=${BENCH_STEADY_SHIFT:-3}

	case $bmode in
	icount | tcg | kvm) ;;
	*) echo "bench/run.sh: BENCH_MODE is icount, tcg or kvm" >&2; return 2 ;;
	esac
	for kind in ${BENCH_KINDS:-churn sizes contention reader steady \
		peers connect}; do
		case $kind in
		sizes)
			for size in $sizes; do
				kinds="$kinds size$size"
			done ;;
		churn | size[0-9]* | contention | reader | steady | peers | \
			connect)
			kinds="$kinds $kind" ;;
		*)
			echo "bench/run.sh: BENCH_KINDS: churn, sizes, sizeN," \
				"contention, reader, steady, peers or" \
				"connect," \
				"not $kind" >&2
			return 2 ;;
		esac
	done
	for kind in $kinds; do
		case $bmode in
		icount) accel=tcg icount=shift=0 ;;
		*) accel=$bmode icount="" ;;
		esac
		case $kind in
		churn) smp=1 args="churn,$reps,$cycles,1" ;;
		reader) smp=1 args="reader,$reps,$cycles" ;;
		connect)
			smp=1 args="connect,$reps,${BENCH_CONNECTS:-2000}" ;;
		size*)
			size=${kind#size} n=$reps
			[ "$size" -lt 100000 ] ||
				n=$((reps < ${BENCH_BIG_REPS:-3} ? reps :
					${BENCH_BIG_REPS:-3}))
			smp=1 args="sizes,$n,$size" ;;
		contention)
			smp=2 args="churn,$reps,$cycles,2"
			[ "$bmode" = icount ] && accel=tcg icount="" ;;
		steady)
			smp=1 args="steady,${BENCH_STEADY_REPS:-2}"
			args="$args,${BENCH_STEADY_WARM:-65}"
			args="$args,${BENCH_STEADY_WINDOW:-20}"
			[ "$bmode" != icount ] ||
				icount=shift=$steady_shift ;;
		peers)
			n=$((reps < ${BENCH_BIG_REPS:-3} ? reps :
				${BENCH_BIG_REPS:-3}))
			smp=1 args="peers,$n,${BENCH_PEERS:-50000}"
			args="$args,${BENCH_PER_PEER:-4}" ;;
		esac
		log="$cache/bench-$kind.log"
		logs+=("$log")
		echo "== bench $kind: Debian $kver ($accel" \
			"${icount:+-icount $icount }$smp vCPU), log in $log"
		TWS_LOG="$log" TWS_ACCEL=$accel TWS_ICOUNT=$icount \
			TWS_SMP=$smp TWS_MEM=${TWS_MEM:-2048} \
			TWS_TIMEOUT=${TWS_TIMEOUT:-3600} \
			"$here/boot.sh" "$vmlinuz" "$initrd" \
			/tws/selftests/vm/guest.sh \
			"shell-cmd,/tws/bench/bench.sh,$args" >/dev/null || {
			grep -Ev '^\[ *[0-9]+\.[0-9]+\]' "$log" |
				tail -n 30 >&2
			echo "bench/run.sh: bench $kind failed" >&2
			return 1
		}
	done
	local rargs=()
	[ "$bmode" != icount ] ||
		rargs=(--steady-icount "shift=$steady_shift")
	python3 "$top/selftests/bench/report.py" --mode "$bmode" \
		"${rargs[@]}" --json "$cache/bench.json" "${logs[@]}"
}

eval "$("$here/kernel.sh" "$series")"
build="$cache/build-$series"
echo "== building tw_stats.ko for $KVER"
build_ko "$series" "$build"
stage="$cache/stage-$series"
stage_base "$build/module/tw_stats.ko" "$stage"
bench_stage "$series" "$stage"
TWS_EXTRA_BINS="bpftrace ${TWS_EXTRA_BINS:-}" \
TWS_KVER=$KVER TWS_MODROOT=$MODROOT "$here/mkinitramfs.sh" \
	"$stage" "$cache/initrd-$series.gz"
bench_boots "$KVER" "$VMLINUZ" "$cache/initrd-$series.gz"
