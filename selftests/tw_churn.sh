#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load and unload while connections churn on every CPU, namespaces come
# and go, and the files are read: no crash, no warning, and once the
# churn stops the counts are exact again.

source "$(dirname "$0")/lib.sh"
stress_setup

# run.sh sets fewer for the debug kernel (stress.env).
ROUNDS=${TWS_CHURN_ROUNDS:-5}
stop="$TMPDIR/tws-churn-stop.$$"

churn() {	# churn NS PORT CPU
	local port=$2

	until [ -e "$stop" ]; do
		in_ns "$1" taskset -c "$3" "$TW_GEN" pairs -n 100 -p "$port" \
			2>/dev/null
		port=$(((port - 5000 + 2) % 2000 + 5000))
	done
}

readers() {
	until [ -e "$stop" ]; do
		cat /proc/tw_stats /proc/tw_sockets /proc/tw_failures \
			>/dev/null 2>&1
	done
}

netns_churn() {
	local n

	until [ -e "$stop" ]; do
		n="tws-die-$RANDOM"
		ip netns add "$n" && ip -n "$n" link set lo up &&
			ip netns exec "$n" "$TW_GEN" pairs -n 20 2>/dev/null
		ip netns del "$n"
	done
}

new_ns ns
rm -f "$stop"
# tw_gen keeps to one CPU (loopback stays in order); one churner a CPU.
churn "$ns" 5000 0 &
tws_pids+=($!)
churn "$ns" 5001 "$(($(nproc) - 1))" &
tws_pids+=($!)
readers &
tws_pids+=($!)
netns_churn &
tws_pids+=($!)

loads=0
for i in $(seq "$ROUNDS"); do
	wait_until 10 eval '[ "$(sockstat_tw "$ns")" -gt $((i * 150)) ]'
	load_module && loads=$((loads + 1))
	wait_until 10 eval '[ "$(sockstat_tw "$ns")" -gt $((i * 150 + 100)) ]'
	unload_module
done
check_eq "loaded and unloaded $ROUNDS times under churn" "$ROUNDS" "$loads"
load_module || die "insmod failed"
wait_until 10 eval '[ "$(field "$ns" entered)" -gt 300 ]'
touch "$stop"
for pid in "${tws_pids[@]}"; do
	wait "$pid"
done
tws_pids=()
rm -f "$stop"
# What the churn made expires meanwhile, in batches about 2 s apart (a
# read of the debug kernel's takes a good part of that): each comparison
# is retried until one falls between two batches, or all have expired.
t=$("$TW_BENCH" time ip netns exec "$ns" cat /proc/tw_stats)
echo "# one read of /proc/tw_stats took $((${t#ns=} / 1000000)) ms"
check "after the churn, entered - ended_* = tw_count = sockstat tw" \
	wait_until 75 identity "$ns"
wait_until 75 rows_agree "$ns" TIME_WAIT
check_eq "rows equal ss" "$tws_ss" "$tws_rows"
check_eq "nothing untracked" 0 "$(field "$ns" untracked)"
check_eq "no end without a cause" 0 "$(field "$ns" ended_other)"

finish
