#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Each reader sees its own network namespace; the privileged one in the
# initial namespace may ask for all of them; a namespace that dies leaves
# nothing behind.

source "$(dirname "$0")/lib.sh"

new_ns a
new_ns b
load_module || die "insmod failed"
in_ns "$a" "$TW_GEN" pairs -n 25 -p 5000 || die "tw_gen"
in_ns "$b" "$TW_GEN" pairs -n 7 -a ::1 -p 5000 || die "tw_gen"

check "namespace a sees its 25, as its sockstat does" \
	wait_until 5 counts_settled "$a" 25
check "namespace b sees its 7, as its sockstat does" \
	wait_until 5 counts_settled "$b" 7
check_eq "a's rows are a's sockets" "$(ss_rows "$a" time-wait)" \
	"$(rows "$a")"
check_eq "b's rows are b's sockets" "$(ss_rows "$b" time-wait)" \
	"$(rows "$b")"
check_eq "the initial namespace sees none of them" \
	"$(ss -Htan state time-wait | wc -l)" \
	"$(awk 'NR > 1' /proc/tw_sockets | wc -l)"

ia=$(inum "$a")
ib=$(inum "$b")
check_eq "\"all\" lists a's rows under its inode" 25 \
	"$(all_view /proc/tw_sockets | awk -v i="$ia" '$1 == i' | wc -l)"
check_eq "\"all\" lists b's rows under its inode" 7 \
	"$(all_view /proc/tw_sockets | awk -v i="$ib" '$1 == i' | wc -l)"
check_eq "\"all\" in tw_stats has a block per namespace" "25" \
	"$(all_view /proc/tw_stats | awk -v i="$ia" '
		$1 == "netns" { on = $2 == i }
		on && $1 == "tw_count" { print $2 }')"
check "\"all\" is refused inside a namespace" \
	in_ns "$a" bash -c '! { echo all >&3; } 3<>/proc/tw_sockets 2>/dev/null'
check "a word other than all/own is refused" \
	bash -c '! { echo bogus >&3; } 3<>/proc/tw_stats 2>/dev/null'
check "a refused write changes nothing" \
	in_ns "$a" bash -c '{ echo all >&3; cat <&3; } 3<>/proc/tw_sockets \
		2>/dev/null | head -1 | grep -q "^local "'
check "no kernel address in any output" \
	bash -c "! { all_view() { { echo all >&3 && cat <&3; } 3<>\$1; }; \
		all_view /proc/tw_stats; all_view /proc/tw_sockets; } |
		grep -Eq 'ffff[0-9a-f]{12}|0x[0-9a-f]{8}'"

ip netns del "$a"
check "a namespace that dies leaves no rows" wait_until 10 eval \
	'[ "$(all_view /proc/tw_sockets | awk -v i="$ia" "\$1 == i" |
	      wc -l)" == 0 ]'
check "the other namespace is untouched" counts_settled "$b" 7

finish
