#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Injected allocation failures: with failslab failing a share of the
# module's allocations (entries, destinations, their ranks) while
# connections churn, what could not be tracked is counted as untracked,
# the counts stay exact, and nothing crashes, warns or leaks; connect()
# failures are counted when their namespace's log cannot be made.  Needs
# a kernel with CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS, and
# our caches marked for it at boot with slub_debug=A,tws_entry,tws_dest,
# tws_rank,tws_fail_log (the debug kernel's boot, see run.sh): on the
# kernels we run,
# /sys/kernel/slab/*/failslab is read-only.  Debian's kernels have no
# failslab, and skip.

source "$(dirname "$0")/lib.sh"

fs=/sys/kernel/debug/failslab
if [ ! -d "$fs" ]; then
	echo "# no $fs: this kernel has no failslab"
	exit $ksft_skip
fi

load_module || die "insmod failed"
# A merged cache would fail other allocations too; slub_debug's mark also
# keeps ours apart.
for c in tws_entry tws_dest tws_rank tws_fail_log; do
	slab=/sys/kernel/slab/$c
	if [ -L "$slab" ] || [ "$(cat "$slab/failslab" 2>/dev/null)" != 1 ]
	then
		echo "# $c is not marked for failslab:" \
			"boot with slub_debug=A,tws_entry,tws_dest,tws_rank,tws_fail_log"
		exit $ksft_skip
	fi
done

restore() {
	echo 0 >"$fs/probability"
	echo Y >"$fs/ignore-gfp-wait"
}
new_ns ns

# Only marked caches (ours), one allocation in four, however many,
# quietly; ours may sleep (the table is filled in process context), which
# failslab spares unless told.
echo N >"$fs/ignore-gfp-wait"
echo Y >"$fs/cache-filter"
echo 25 >"$fs/probability"
echo 1 >"$fs/interval"
echo -1 >"$fs/times"
echo 0 >"$fs/verbose"
echo 0 >"$fs/space"

# Server sides gather under one destination per peer address, so they
# mostly allocate entries; each port the clients close to is a
# destination of its own, with its rank.  Nine destinations in all: each
# is among the ten /proc/tw_stats lists.
for port in $(seq 5000 5011); do
	in_ns "$ns" "$TW_GEN" pairs -n 50 -p "$port" -c server ||
		{ restore; die "tw_gen"; }
done
for port in $(seq 5100 5107); do
	in_ns "$ns" "$TW_GEN" pairs -n 50 -p "$port" ||
		{ restore; die "tw_gen"; }
done
restore
echo "# failslab left $(field "$ns" untracked) of $(field "$ns" entered)" \
	"minisockets untracked"

# A destination's tw is its tracked minisockets: the rows to it, server
# sides under the peer's port 0.
dest_tw() {
	dests "$ns" | awk '{ print $2, $3 }' | sort
}
row_tw() {
	in_ns "$ns" awk 'NR > 1 { r = $2
			if ($8 == "server") sub(/:[0-9]+$/, ":0", r)
			n[r]++ }
		END { for (r in n) print r, n[r] }' /proc/tw_sockets | sort
}

check "some allocations failed and were counted as untracked" \
	test "$(field "$ns" untracked)" -gt 0
check_eq "every minisocket entered" 1000 "$(field "$ns" entered)"
check "tw_count equals sockstat" counts_settled "$ns" 1000
check "entered - ended_* = tw_count = sockstat tw" \
	wait_until 10 identity "$ns"
check_eq "rows are the tracked ones" \
	$((1000 - $(field "$ns" untracked))) \
	"$(in_ns "$ns" awk 'NR > 1' /proc/tw_sockets | wc -l)"
check_eq "each destination counts its rows" "$(row_tw)" "$(dest_tw)"
check_eq "nine destinations" 9 "$(dest_tw | wc -l)"

# connect() failures when their log cannot be made: all counted, no line
# kept, and the log is made at the next failure.
new_ns f "40000 40009"
bg_listen "$f" -p 5000 --hold 10 || die "tw_gen listen --hold"
echo N >"$fs/ignore-gfp-wait"
echo 100 >"$fs/probability"
out=$(in_ns "$f" "$TW_GEN" connect -a 127.0.0.1 -p 5000 -n 5)
count=$(field "$f" connect_failed)
lines=$(in_ns "$f" awk 'NR > 1' /proc/tw_failures | wc -l)
restore
check_eq "5 connect()s find no port" "EADDRNOTAVAIL 5" "$out"
check_eq "with no room for their log, they are counted" 5 "$count"
check_eq "and no line is kept" 0 "$lines"
in_ns "$f" "$TW_GEN" connect -a 127.0.0.1 -p 5000 >/dev/null
check_eq "the next failure makes the log" "1 1 6" \
	"$(in_ns "$f" awk 'NR > 1 { n++; c = $3 } END { print n, c }' \
		/proc/tw_failures) $(field "$f" connect_failed)"

finish
