#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh - the in-guest half of `make bench` (selftests/bench/run.sh
# boots it).
#
# Prints one "BENCH key=value ..." line per measurement; report.py on the
# host turns them into the table.  All times come from tw_bench, i.e.
# CLOCK_MONOTONIC, which under -icount counts executed instructions.
# Measurements that are compared are interleaved (A B C D A B C D ...).
#
# Usage: bench.sh churn REPS CYCLES JOBS   hot-path overhead
#        bench.sh sizes REPS SIZES          listing, summary, memory, load
#        bench.sh reader REPS CYCLES        churn with tw_stats loaded,
#                                           with and without a reader of
#                                           /proc/tw_stats beside it
#        bench.sh steady REPS WARM WINDOW   churn in steady state: each
#                                           mode churning WARM seconds
#                                           (above 60) before a measured
#                                           window of WINDOW seconds
#        bench.sh connect REPS CONNECTS     connect()s refused by the
#                                           peer, with no module, with
#                                           tw_stats, and with bpftrace
#                                           counting failures as
#                                           tw_stats does
#        bench.sh peers REPS PEERS PER      PEERS * PER server-side
#                                           TIME_WAITs, PER from each of
#                                           PEERS peer addresses: memory
#                                           and the readers' times
#   SIZES is a list like "1000 30000 200000", smallest first.
# Exit:  0 when every measurement ran, 1 otherwise (the reason on stderr).
set -u
# wait_until, sockstat_tw, field: the selftests' own (NS "" is ours).
source "$(dirname "$0")/../selftests/helpers.sh"

B=/tws/bench
TWB=$B/tw_bench
KO=/tws/tw_stats.ko
# The whole table for the initial namespace, where the sizes are made.
KO_ARGS="netns_max_entries=262144"
FLOOR=$B/tw_floor.ko

die() {
	echo "bench.sh: $*" >&2
	exit 1
}

emit() {
	echo "BENCH $*"
}

# ns CMD...: tw_bench's "ns=N" of CMD, or fail.
ns() {
	local out

	out=$("$TWB" time "$@") || die "failed: $*"
	echo "${out#ns=}"
}

# Keep every TIME_WAIT (no overflow, no reuse ending one early) and give
# connect() the whole port range.
echo 1000000 >/proc/sys/net/ipv4/tcp_max_tw_buckets
echo 0 >/proc/sys/net/ipv4/tcp_tw_reuse
echo "1024 65535" >/proc/sys/net/ipv4/ip_local_port_range

bpf_pid=""
bpf_log=/tmp/bpftrace.log
bpf_keys=4096	# the map's room: churn() and steady() set it

# bpf_start SCRIPT: bpftrace running SCRIPT, once its BEGIN said
# "NAME: ready" (it runs once every probe is attached).
bpf_start() {
	: >"$bpf_log"
	BPFTRACE_MAP_KEYS_MAX=$bpf_keys bpftrace "$B/$1" >"$bpf_log" 2>&1 &
	bpf_pid=$!
	wait_until 300 grep -q "^${1%.bt}: ready" "$bpf_log" || {
		cat "$bpf_log" >&2
		die "bpftrace did not start $1"
	}
}

# bpf_stop PROOF: bpftrace ended, its output showing PROOF (a regex)
# that its program ran.
bpf_stop() {
	kill -INT "$bpf_pid"
	wait "$bpf_pid"
	grep -q "$1" "$bpf_log" || {
		cat "$bpf_log" >&2
		die "bpftrace did not run its program"
	}
	bpf_pid=""
}

mode_on() {	# mode_on MODE
	case $1 in
	none) ;;
	floor) insmod "$FLOOR" || die "insmod tw_floor" ;;
	tw_stats) insmod "$KO" $KO_ARGS || die "insmod tw_stats" ;;
	bpffail) bpf_start tw_fail.bt ;;
	bpftrace) bpf_start tw_map.bt ;;
	esac
}

mode_off() {
	case $1 in
	none) ;;
	floor) rmmod tw_floor || die "rmmod tw_floor" ;;
	tw_stats) rmmod tw_stats || die "rmmod tw_stats" ;;
	bpffail) bpf_stop '^tw_fail: done' ;;
	bpftrace) bpf_stop '^@tw4\[' ;;
	esac
}

churn() {
	local reps=$1 cycles=$2 jobs=$3 rep mode closer out addr net=0

	# Room for every TIME_WAIT one run makes, or updates drop.
	bpf_keys=$((4 * cycles * jobs + 4096))
	# Warm caches and allocators up; not measured.
	"$TWB" churn -n "$cycles" -c server -a 127.1.255.1 -p 5000 \
		-j "$jobs" >/dev/null || die "warm-up churn failed"
	for rep in $(seq "$reps"); do
		for mode in none floor tw_stats bpftrace; do
			mode_on "$mode"
			for closer in server client; do
				# A fresh address each run: no tuple of an
				# earlier run's TIME_WAITs can come back.
				net=$((net + 1))
				addr=127.1.$((net / 250)).$((net % 250 + 1))
				out=$("$TWB" churn -n "$cycles" -c "$closer" \
					-a "$addr" -p 5000 -j "$jobs") ||
					die "churn failed ($mode, $closer)"
				emit "kind=churn mode=$mode closer=$closer" \
					"rep=$rep jobs=$jobs $out"
			done
			[ "$mode" != tw_stats ] || counters "$mode"
			mode_off "$mode"
		done
	done
}

# counters MODE: tw_stats' loss and repair counters (the initial
# namespace's, the first of each), before it is unloaded.
counters() {
	emit "kind=counters mode=$1" "$(awk '
		$1 ~ /^(entered|ended|untracked|overflow|probe_missed|events_dropped|reconciled)$/ &&
		$2 ~ /^[0-9]+$/ && !($1 in v) { v[$1] = $2; o[++n] = $1 }
		END { for (i = 1; i <= n; i++) printf "%s%s=%s", (i > 1 ? " " : ""), o[i], v[o[i]] }
	' /proc/tw_stats)"
}

# Reader beside churn: cat /proc/tw_stats in a loop, on the same vCPU.
rstop=/tmp/bench-reader.stop
rcount=/tmp/bench-reader.count
reader_pid=""

reader_on() {
	rm -f "$rstop" "$rcount"
	bash -c 'n=0
		until [ -e "$1" ]; do
			cat /proc/tw_stats >/dev/null || exit 1
			n=$((n + 1))
		done
		echo "$n" >"$2"' _ "$rstop" "$rcount" &
	reader_pid=$!
}

reader_off() {	# sets reads to the reads it made
	touch "$rstop"
	wait "$reader_pid" || die "the reader of /proc/tw_stats failed"
	reader_pid=""
	reads=$(cat "$rcount") || die "the reader did not count its reads"
}

# reader REPS CYCLES: per repetition, interleaved, churn with no module,
# with tw_stats, and with tw_stats and the reader; each reader run is
# followed by one timed read of /proc/tw_stats alone (the table as the
# reader left it), to tell the reader's own time from what it costs the
# churn beyond that.
reader() {
	local reps=$1 cycles=$2 rep mode closer out addr net=100 reads

	"$TWB" churn -n "$cycles" -c server -a 127.1.255.1 -p 5000 \
		>/dev/null || die "warm-up churn failed"
	for rep in $(seq "$reps"); do
		for mode in none tw_stats tw_stats_reader; do
			mode_on "${mode%_reader}"
			for closer in server client; do
				net=$((net + 1))
				addr=127.1.$((net / 250)).$((net % 250 + 1))
				reads=""
				[ "$mode" != tw_stats_reader ] || reader_on
				out=$("$TWB" churn -n "$cycles" -c "$closer" \
					-a "$addr" -p 5000 -j 1) ||
					die "churn failed ($mode, $closer)"
				[ "$mode" != tw_stats_reader ] || reader_off
				emit "kind=readchurn mode=$mode closer=$closer" \
					"rep=$rep jobs=1 $out${reads:+ reads=$reads}"
				[ "$mode" != tw_stats_reader ] ||
					emit "kind=readone closer=$closer" \
						"rep=$rep ns=$(ns cat /proc/tw_stats)"
			done
			[ "$mode" = none ] || counters "$mode"
			mode_off "${mode%_reader}"
		done
	done
}

# steady REPS WARM WINDOW: churn in steady state.  Per repetition, the
# modes interleaved as churn()'s, server then client closing first: each
# run churns WARM seconds (above the 60 s of TIME_WAIT) with the mode
# loaded before its measured window of WINDOW seconds, so that the window
# pays the deaths of as many minisockets born under that mode as it makes
# (sockstat's tw at both ends of the window says whether it did).  The
# runs go to fresh destinations (tw_bench steady), 1,000 cycles each.
steady() {
	local reps=$1 warm=$2 window=$3 rep mode closer out addr=127.16.0.1

	# Every TIME_WAIT born under bpftrace and still alive is in its map:
	# room for 60 s of cycles of 60 µs or more.
	bpf_keys=1048576
	for rep in $(seq "$reps"); do
		for mode in none floor tw_stats bpftrace; do
			mode_on "$mode"
			for closer in server client; do
				out=$("$TWB" steady -c "$closer" -a "$addr" \
					-p 5100 -w "$warm" -t "$window") ||
					die "steady churn failed ($mode, $closer)"
				addr=${out##*next=}
				emit "kind=steady mode=$mode closer=$closer" \
					"rep=$rep ${out%% next=*}"
			done
			[ "$mode" != tw_stats ] || counters "$mode"
			mode_off "$mode"
		done
	done
}

# connect_cost REPS CONNECTS: the cost on every connect() of the hook that
# counts the failed ones (failures.c), against bpftrace's program on the
# same tracepoint (tw_fail.bt).  Each connect() here is refused by the
# peer: it passes the tracepoint twice, as any connect() does, and makes
# no minisocket, so tw_stats' other probes do not fire.
connect_cost() {
	local reps=$1 n=$2 rep mode out

	"$TWB" refused -n "$n" -a 127.0.0.1 -p 9 >/dev/null ||
		die "warm-up connects failed"
	for rep in $(seq "$reps"); do
		for mode in none tw_stats bpffail; do
			mode_on "$mode"
			out=$("$TWB" refused -n "$n" -a 127.0.0.1 -p 9) ||
				die "connects failed ($mode)"
			emit "kind=connect mode=$mode rep=$rep $out"
			mode_off "$mode"
		done
	done
}

meminfo_kb() {
	sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo
}

# The whole module's memory: in the "all" view of /proc/tw_stats only.
module_bytes() {
	{ echo all >&3 && cat <&3; } 3<>/proc/tw_stats |
		sed -n 's/^module_memory_bytes  *\([0-9]*\)$/\1/p'
}

sizes() {
	local reps=$1 size have=0 next=127.2.0.1 out rep free0 free1 t

	for size in $2; do
		[ "$size" -gt "$have" ] || die "sizes must grow: $2"
		out=$("$TWB" fill -n $((size - have)) -a "$next" -p 6000) ||
			die "fill to $size failed"
		next=${out##*next=}
		have=$size
		wait_until 30 eval '[ "$(sockstat_tw "")" -ge $size ]' ||
			die "only $(sockstat_tw "") of $size TIME_WAITs"
		emit "kind=fill size=$size tw=$(sockstat_tw "") ${out%% next=*}"

		free0=$(meminfo_kb MemFree)
		t=$(ns insmod "$KO" $KO_ARGS)
		free1=$(meminfo_kb MemFree)
		emit "kind=load op=insmod size=$size ns=$t" \
			"tracked=$(field "" tw_count)" \
			"untracked=$(field "" untracked)" \
			"table_bytes=$(field "" table_memory_bytes)" \
			"module_bytes=$(module_bytes)" \
			"memfree_drop_bytes=$(((free0 - free1) * 1024))"

		for rep in $(seq "$reps"); do
			emit "kind=list size=$size rep=$rep what=tw_sockets" \
				"ns=$(ns cat /proc/tw_sockets)"
			emit "kind=list size=$size rep=$rep what=ss" \
				"ns=$(ns ss -tan state time-wait)"
			emit "kind=list size=$size rep=$rep what=proc_net_tcp" \
				"ns=$(ns cat /proc/net/tcp /proc/net/tcp6)"
			emit "kind=summary size=$size rep=$rep what=tw_stats" \
				"ns=$(ns cat /proc/tw_stats)"
			emit "kind=summary size=$size rep=$rep what=sockstat" \
				"ns=$(ns cat /proc/net/sockstat)"
		done
		# Every socket must still be there, or the sizes are wrong.
		emit "kind=check size=$size tw=$(sockstat_tw "")" \
			"tracked=$(field "" tw_count)"
		counters "size$size"
		emit "kind=load op=rmmod size=$size ns=$(ns rmmod tw_stats)"
	done
}

# peers REPS PEERS PER: PEERS * PER server-side TIME_WAITs, PER from each
# of PEERS peer addresses (tw_stats' destinations), then tw_stats loaded
# over them: its memory, and the times of its files and of what users
# would read instead, REPS times, all before the first of them dies (60 s
# after it was made); sockstat must still count all of them after the
# last read.
peers() {
	local reps=$1 peers=$2 per=$3 n=$(($2 * $3)) out rep what t

	# Loaded first, so that it sees each birth while the listener is
	# there, as on a server: loaded after, its walk would find no
	# listener (tw_bench's is closed by then) and take each minisocket
	# for a client's, a destination of its own.  So insmod is timed on
	# an empty table here (the sizes time it full), and MemFree is not
	# compared (the sockets' own memory comes with the fill).
	t=$(ns insmod "$KO" $KO_ARGS)
	out=$("$TWB" peers -n "$peers" -k "$per" -a 127.0.0.1 -p 7000 \
		-s 127.3.0.1) || die "tw_bench peers failed"
	wait_until 30 eval '[ "$(sockstat_tw "")" -ge $n ]' ||
		die "only $(sockstat_tw "") of $n TIME_WAITs"
	emit "kind=peers what=fill peers=$peers per=$per tw=$(sockstat_tw "")" \
		"${out%% next=*}"
	emit "kind=peers what=insmod ns=$t tracked=$(field "" tw_count)" \
		"untracked=$(field "" untracked)" \
		"table_bytes=$(field "" table_memory_bytes)" \
		"module_bytes=$(module_bytes)"
	for rep in $(seq "$reps"); do
		for what in tw_stats tw_sockets ss proc_net_tcp; do
			case $what in
			tw_stats) t=$(ns cat /proc/tw_stats) ;;
			tw_sockets) t=$(ns cat /proc/tw_sockets) ;;
			ss) t=$(ns ss -tan state time-wait) ;;
			proc_net_tcp) t=$(ns cat /proc/net/tcp /proc/net/tcp6) ;;
			esac
			emit "kind=peers what=$what rep=$rep ns=$t"
		done
	done
	# Every socket must still be there, or the figures are wrong.
	emit "kind=peers what=check tw=$(sockstat_tw "") tracked=$(field "" tw_count)"
	# The destinations tw_stats lists (some may have died by now).
	emit "kind=peers what=dests n=$(awk 'NR > 1 {
		sub(/:[0-9]+$/, "", $2); if (!($2 in d)) { d[$2]; n++ } }
		END { print n + 0 }' /proc/tw_sockets)"
	counters peers
	emit "kind=peers what=rmmod ns=$(ns rmmod tw_stats)"
}

case ${1-} in
churn)
	[ $# -eq 4 ] || die "usage: bench.sh churn REPS CYCLES JOBS"
	emit "kind=env kernel=$(uname -r) cpus=$(nproc)"
	churn "$2" "$3" "$4" ;;
sizes)
	[ $# -eq 3 ] || die "usage: bench.sh sizes REPS SIZES"
	emit "kind=env kernel=$(uname -r) cpus=$(nproc)"
	sizes "$2" "$3" ;;
reader)
	[ $# -eq 3 ] || die "usage: bench.sh reader REPS CYCLES"
	emit "kind=env kernel=$(uname -r) cpus=$(nproc)"
	reader "$2" "$3" ;;
steady)
	[ $# -eq 4 ] || die "usage: bench.sh steady REPS WARM WINDOW"
	emit "kind=env kernel=$(uname -r) cpus=$(nproc)"
	steady "$2" "$3" "$4" ;;
connect)
	[ $# -eq 3 ] || die "usage: bench.sh connect REPS CONNECTS"
	emit "kind=env kernel=$(uname -r) cpus=$(nproc)"
	connect_cost "$2" "$3" ;;
peers)
	[ $# -eq 4 ] || die "usage: bench.sh peers REPS PEERS PER"
	emit "kind=env kernel=$(uname -r) cpus=$(nproc)"
	peers "$2" "$3" "$4" ;;
*)
	die "usage: bench.sh churn REPS CYCLES JOBS | sizes REPS SIZES |" \
		"reader REPS CYCLES | steady REPS WARM WINDOW |" \
		"connect REPS CONNECTS | peers REPS PEERS PER" ;;
esac
emit "kind=done"
