#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The 60 s test, run once: with a table too small for them all, counts
# stay exact and "untracked" says how many are not listed; after
# TCP_TIMEWAIT_LEN every minisocket is gone and "ended" counted each.

source "$(dirname "$0")/lib.sh"

new_ns ns
# Eight entries for this namespace, as for any other than the initial one.
load_module max_entries=32 netns_max_entries=8 || die "insmod failed"
check_eq "netns_max_entries is what we asked" 8 \
	"$(cat /sys/module/tw_stats/parameters/netns_max_entries)"
in_ns "$ns" "$TW_GEN" pairs -n 20 -p 5000 || die "tw_gen"
in_ns "$ns" "$TW_GEN" pairs -n 4 -a ::1 -p 5001 -c server || die "tw_gen"
check "a full table keeps tw_count exact" wait_until 5 counts_settled "$ns" 24
listed=$(rows "$ns" | wc -l)
check "at most netns_max_entries rows" test "$listed" -le 8
check_eq "untracked counts the rest" $((24 - listed)) \
	"$(field "$ns" untracked)"

check "all gone after TCP_TIMEWAIT_LEN" wait_until 75 counts_settled "$ns" 0
check_eq "ended counted every one" 24 "$(field "$ns" ended)"
check_eq "each as ended_timer, untracked ones included" 24 \
	"$(field "$ns" ended_timer)"
check_eq "nothing ended otherwise" 0 "$(field "$ns" ended_other)"
check "entered - ended_* = tw_count = sockstat tw" \
	wait_until 5 identity "$ns"
check_eq "the 8 tracked lived 32-65 s: lifetime_ms, timer column" \
	"32768-65535 8" "$(life "$ns" timer)"
check_eq "no rows left" 0 "$(rows "$ns" | wc -l)"
check_eq "and no destinations" "" \
	"$(dests "$ns")"

finish
