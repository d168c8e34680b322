#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Read under churn.  50,000 server-side destinations (tw_stats gathers
# server-side minisockets per peer address: 50,000 loopback addresses of
# 127.1/16 connect to one listener), then /proc/tw_stats and
# /proc/tw_sockets each read in a loop while connections churn on every
# CPU.  A read must never disable interrupts, or hold a lock the close
# path takes, for a time that grows with the sockets or the
# destinations: no soft lockup and no RCU stall (finish() reads dmesg),
# and afterwards every count is exact.  The time of one read of each file
# at that size, and of /proc/net/tcp{,6} for the same sockets, is
# printed, not judged.
#
# The figures are divided by TWS_STRESS_SCALE: run.sh sets it to 1 on
# Debian's 6.1 LTS, to 10 on the other kernels to keep the suite short.

source "$(dirname "$0")/lib.sh"
stress_setup
DESTS=$((${TWS_STRESS_DESTS:-50000} / scale))
# Cycles of one churn round, on all CPUs together.
CYCLES=$((${TWS_STRESS_CHURN:-2000} / scale / ncpu * ncpu))
stop="$TMPDIR/tws-readchurn-stop.$$"
cnt="$TMPDIR/tws-readchurn-n.$$"
rm -f "$stop" "$cnt".*

load_module || die "insmod failed"
new_ns ns
# The kernel's default, not new_ns's 0: reads then work out which
# minisockets a connect() could take over, as they would on a server.
# None can be here (all are on listening ports), so counts do not move.
in_ns "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=2

# ms CMD...: the milliseconds one run of CMD takes in the namespace, the
# best of three.
ms() {
	local t best=""

	for _ in 1 2 3; do
		t=$(in_ns "$ns" "$TW_BENCH" time "$@") || return 1
		t=${t#ns=}
		[ -n "$best" ] && [ "$best" -le "$t" ] || best=$t
	done
	echo "$((best / 1000000))"
}

# reader FILE NAME: read FILE in the namespace until told to stop.
# $cnt.NAME holds the number of whole reads so far; $cnt.NAME.failed
# appears if one failed.
reader() {
	bg_ns "$ns" bash -c 'n=0
		until [ -e "$3" ]; do
			cat "$1" >/dev/null || { touch "$2.failed"; exit 1; }
			n=$((n + 1))
			echo "$n" >"$2"
		done' _ "$1" "$cnt.$2" "$stop"
}

reads() {	# reads NAME: the reads of reader NAME so far
	local n

	n=$(cat "$cnt.$1" 2>/dev/null)
	echo "${n:-0}"	# none yet, or caught while it is rewritten
}

# 1. The destinations, each a peer address of its own, all alive at once
# (the first expires 60 s after it was made).
start=$SECONDS
in_ns "$ns" "$TW_BENCH" peers -n "$DESTS" -a 127.0.0.1 -p 7000 \
	-s 127.1.0.1 -j "$ncpu" >/dev/null || die "tw_bench peers failed"
made=$((SECONDS - start))
echo "# $DESTS server-side TIME_WAITs from as many peers in $made s"
# The first expire 60 s after they were made: on a slow emulator, before
# the fill ends.  Then the count only falls, and ours must lie between
# sockstat's before and after it.
if [ $made -lt 50 ]; then
	check "all $DESTS alive at once: sockstat and tw_count agree" \
		wait_until 5 counts_settled "$ns" "$DESTS"
else
	before=$(sockstat_tw "$ns")
	ours=$(field "$ns" tw_count)
	after=$(sockstat_tw "$ns")
	echo "# the fill outlasted TIME_WAIT: sockstat $before, ours $ours," \
		"sockstat $after"
	check "tw_count within sockstat's before and after it" \
		test "$after" -le "$ours" -a "$ours" -le "$before"
fi

# 2. One read of each file at this size, in the quiet.
tw=$(sockstat_tw "$ns")
echo "# one read at $tw destinations:" \
	"/proc/tw_stats $(ms cat /proc/tw_stats) ms," \
	"/proc/tw_sockets $(ms cat /proc/tw_sockets) ms," \
	"/proc/net/tcp and tcp6 $(ms cat /proc/net/tcp /proc/net/tcp6) ms"
check_eq "ss: no peer address has two of them" 0 \
	"$(in_ns "$ns" ss -Htan state time-wait | awk '
		{ sub(/:[0-9]+$/, "", $NF) } $NF ~ /^127\.1\./ && n[$NF]++ {
		twice++ } END { print twice + 0 }')"

# 3. Readers beside churn on every CPU, in rounds until each file has
# been read twice since the churn began (a read that began before it
# does not count: two more mean one whole read beside it).
reader /proc/tw_stats stats
reader /proc/tw_sockets sockets
check "both readers read once before the churn" wait_until 60 eval \
	'[ "$(reads stats)" -gt 0 ] && [ "$(reads sockets)" -gt 0 ]'
s0=$(reads stats)
k0=$(reads sockets)
churned=0
rounds=0
cstart=$SECONDS
until [ $rounds -gt 0 ] && [ "$(reads stats)" -ge $((s0 + 2)) ] &&
	[ "$(reads sockets)" -ge $((k0 + 2)) ]; do
	[ $rounds -lt 20 ] || break
	in_ns "$ns" "$TW_BENCH" churn -n $((CYCLES / ncpu)) -c server \
		-a 127.0.0.1 -p 5000 -j "$ncpu" >/dev/null ||
		die "churn failed"
	churned=$((churned + CYCLES))
	rounds=$((rounds + 1))
done
ctime=$((SECONDS - cstart))
touch "$stop"
# Each ends after the read it is in.
wait "${tws_pids[@]}"
tws_pids=()
sn=$(reads stats)
kn=$(reads sockets)
failed=$(ls "$cnt".*.failed 2>/dev/null)
rm -f "$stop" "$cnt".*
echo "# churn: $churned cycles on $ncpu CPUs in $rounds rounds, $ctime s;" \
	"reads: /proc/tw_stats $sn ($((sn - s0)) since the churn began)," \
	"/proc/tw_sockets $kn ($((kn - k0)) since the churn began)"
check_eq "no read failed" "" "$failed"
check "each file read twice since the churn began" eval \
	'[ "$sn" -ge $((s0 + 2)) ] && [ "$kn" -ge $((k0 + 2)) ]'

# 4. The counts are exact.  Nothing is made any more, but minisockets may
# have begun to expire: what the kernel holds is read before and after
# ours, and ours must lie between the two.
check_eq "every lifecycle entered" $((DESTS + churned)) \
	"$(field "$ns" entered)"
check_eq "none untracked, none overflowed" "0 0" \
	"$(field "$ns" untracked) $(field "$ns" overflow)"
before=$(sockstat_tw "$ns")
ours=$(in_ns "$ns" cat /proc/tw_stats | live_by_ends)
after=$(sockstat_tw "$ns")
echo "# sockstat tw $before, then entered - ended_* = tw_count $ours," \
	"then sockstat tw $after"
check "entered - ended_* = tw_count, between sockstat's before and after" \
	eval '[ -n "$ours" ] && [ "$after" -le "$ours" ] &&
		[ "$ours" -le "$before" ]'
# Each row ours lists was in ss's before (none is new), and each of ss's
# after was in ours (it lived throughout).
ss_rows "$ns" time-wait >"$cnt.before"
rows "$ns" TIME_WAIT >"$cnt.ours"
ss_rows "$ns" time-wait >"$cnt.after"
# missing A B: the lines of A that are not in B.
missing() {
	awk 'FILENAME == ARGV[1] { in_b[$0]; next } !($0 in in_b)' "$2" "$1" |
		wc -l
}
echo "# rows: ss $(wc -l <"$cnt.before"), ours $(wc -l <"$cnt.ours")," \
	"ss $(wc -l <"$cnt.after"), $((SECONDS - start)) s after the first" \
	"was made"
check_eq "each of our rows is one of ss's from before" 0 \
	"$(missing "$cnt.ours" "$cnt.before")"
check_eq "each of ss's rows from after is one of ours" 0 \
	"$(missing "$cnt.after" "$cnt.ours")"
rm -f "$cnt".*
for k in probe_missed events_dropped reconciled; do
	v=$(field "$ns" "$k")
	echo "# $k: ${v:-(none)}"
done
echo "# ended: timer $(field "$ns" ended_timer)," \
	"syn $(field "$ns" ended_syn), other $(field "$ns" ended_other);" \
	"$((SECONDS - start)) s in all"

finish
