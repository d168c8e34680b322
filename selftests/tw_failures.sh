#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# connect() refused for want of a local port: counted once each, in the
# namespace of the caller, IPv4, IPv6 and v4-mapped, with the caller's
# name and pid in /proc/tw_failures; other errors are not counted; a
# namespace sees only its own, the privileged "all" view every one; the
# log keeps the latest 32 lines; a namespace that dies takes its log
# with it and leaves its count to the departed ones.
#
# Each namespace has 10 ports (40000-40009), all held by connections to
# the destination, kept open (a TIME_WAIT would expire on a slow kernel
# before the test is done), whose listener is up: the next connect()
# finds no port and fails with EADDRNOTAVAIL.

source "$(dirname "$0")/lib.sh"

RANGE="40000 40009"

# fail NS ARGS...: one tw_gen connect that must fail with EADDRNOTAVAIL;
# prints its pid.  Not through in_ns: $! must be tw_gen's own pid.
fail() {
	local ns=$1 out="$TMPDIR/tws-fail.$$" pid

	shift
	ip netns exec "$ns" "$TW_GEN" connect "$@" >"$out" 2>&1 &
	pid=$!
	wait "$pid"
	grep -qx EADDRNOTAVAIL "$out" || {
		sed 's/^/# tw_gen connect: /' "$out" >&2
		rm -f "$out"
		return 1
	}
	rm -f "$out"
	echo "$pid"
}

# failures NS [all]: the rows of /proc/tw_failures, header left out.
failures() {
	if [ "${2:-}" == all ]; then
		all_view /proc/tw_failures | awk 'NR > 1'
	else
		in_ns "$1" awk 'NR > 1' /proc/tw_failures
	fi
}

# exhaust NS ADDR PORT: the range held to ADDR:PORT by a listener's
# connections to itself; its pid is the last of tws_pids.
exhaust() {
	bg_listen "$1" -a "$2" -p "$3" --hold 10
}

load_module || die "insmod failed"
new_ns a "$RANGE"
new_ns b "$RANGE"
exhaust "$a" 127.0.0.1 5000 || die "a's range"
exhaust "$a" ::1 5001 || die "a's IPv6 range"
exhaust "$b" 127.0.0.1 5000 || die "b's range"
b_listener=${tws_pids[-1]}

check_eq "no failure yet" 0 "$(field "$a" connect_failed)"
check_eq "the log is empty" "" "$(failures "$a")"

p1=$(fail "$a" -a 127.0.0.1 -p 5000)
p2=$(fail "$a" -a 127.0.0.1 -p 5000)
check "two connect()s fail with EADDRNOTAVAIL" test -n "$p1" -a -n "$p2"
check_eq "connect_failed counts them" 2 "$(field "$a" connect_failed)"
check_eq "a line each, with the caller's pid and name" \
	"$p1 127.0.0.1 127.0.0.1:5000 tw_gen
$p2 127.0.0.1 127.0.0.1:5000 tw_gen" \
	"$(failures "$a" | awk '{ print $4, $5, $6, $7 }')"
# recent NS: every line's time is of the last minute, its age_ms agrees,
# its count is 1.
recent() {
	failures "$1" | awk -v now="$(date +%s)" '{
		ok = $1 >= now - 60 && $1 <= now + 1 && $2 >= 0 && $2 < 60000
		if (!ok || $3 != 1) bad = 1 } END { exit bad + 0 }'
}
check "time and age_ms say when" recent "$a"

p6=$(fail "$a" -a ::1 -p 5001)
pm=$(fail "$a" --v4mapped -a 127.0.0.1 -p 5000)
check "IPv6 and v4-mapped connect()s fail too" test -n "$p6" -a -n "$pm"
check_eq "they are counted" 4 "$(field "$a" connect_failed)"
check_eq "written as ss writes them" \
	"$p6 ::1 [::1]:5001
$pm ::ffff:127.0.0.1 [::ffff:127.0.0.1]:5000" \
	"$(failures "$a" | awk 'NR > 2 { print $4, $5, $6 }')"

# Refused for another reason: not counted.
check_eq "ECONNREFUSED is not counted" ECONNREFUSED \
	"$(in_ns "$b" "$TW_GEN" connect -a 127.0.0.1 -p 5999 2>&1)"
check_eq "b counts none of them" 0 "$(field "$b" connect_failed)"

pb=$(fail "$b" -a 127.0.0.1 -p 5000)
check_eq "b counts its own" 1 "$(field "$b" connect_failed)"
check_eq "and a does not see it" 4 "$(field "$a" connect_failed)"
check_eq "b's log is b's" "$pb" "$(failures "$b" | awk '{ print $4 }')"
check_eq "the initial namespace sees none" 0 \
	"$(awk '$1 == "connect_failed" { print $2 }' /proc/tw_stats)"
check_eq "nor their lines" "" "$(awk 'NR > 1' /proc/tw_failures)"
ia=$(inum "$a")
ib=$(inum "$b")
check_eq "\"all\" lists a's 4 and b's 1 under their inodes" "$ia 4
$ib 1" "$(failures "" all | awk '{ n[$1]++ } END { for (i in n) print i, n[i] }' |
	sort -k2,2nr)"
check "no kernel address in the all view" eval \
	"! all_view /proc/tw_failures | grep -Eq 'ffff[0-9a-f]{12}|0x[0-9a-f]{8}'"
check "\"all\" is refused inside a namespace" eval \
	"! in_ns \"$a\" sh -c 'echo all >/proc/tw_failures' 2>/dev/null"

# A retrying caller: 40 failures of one process to one address make one
# line; 40 processes make 40, of which the latest 32 are kept.
for i in $(seq 40); do
	last=$(fail "$b" -a 127.0.0.1 -p 5000) || break
done
check_eq "40 callers: 41 counted" 41 "$(field "$b" connect_failed)"
check_eq "the log keeps the latest 32" "32 $last" \
	"$(failures "$b" | awk '{ n++; p = $4 } END { print n, p }')"
check_eq "none was dropped" 0 "$(field "$b" connect_failed_dropped)"
out=$(in_ns "$b" "$TW_GEN" connect -a 127.0.0.1 -p 5000 -n 40 2>&1)
check_eq "one caller's 40 tries all fail" "EADDRNOTAVAIL 40" "$out"
check_eq "they are counted" 81 "$(field "$b" connect_failed)"
check_eq "and make one line, its count 40" "40 tw_gen" \
	"$(failures "$b" | tail -n 1 | awk '{ print $3, $7 }')"

# A namespace that dies: its log goes, its count stays with the departed.
gone=$(departed connect_failed)
kill -TERM "$b_listener"
wait "$b_listener"
ip netns del "$b"
tws_namespaces=("$a")
check "its count goes to the departed" wait_until 10 eval \
	"[ \"\$(departed connect_failed)\" == $((${gone:-0} + 81)) ]"
check_eq "and its lines with it" 0 \
	"$(failures "" all | awk -v i="$ib" '$1 == i' | wc -l)"

finish
