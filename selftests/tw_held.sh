#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Ports held in every state: a destination whose range is held mostly by
# open connections and the rest by TIME_WAITs is ranked by what it holds,
# `held` equals what ss lists to it with a usable local port, and at
# held_pressure 100% the next connect() fails, counted in its `failed`;
# `pressure` (TIME_WAIT only) stays below.  Ports connect() never picks
# are not usable: reserved ones and those bind() took.  IPv6 and
# v4-mapped destinations; each namespace its own range and lines.

source "$(dirname "$0")/lib.sh"

# line NS REMOTE: that destination's line of NS's /proc/tw_stats.
line() {
	dests "$1" | awk -v r="$2" '$2 == r'
}

# col NS REMOTE NAME: one column of it, by the header's name.
col() {
	in_ns "$1" awk -v r="$2" -v c="$3" '
		/^local / { for (i = 1; i <= NF; i++) n[$i] = i; t = 1; next }
		t && !NF { exit }
		t && $2 == r { print $(n[c]) }' /proc/tw_stats
}

# ss_held NS PORT: sockets of NS to 127.0.0.1:PORT, any state but
# listening, whose local port lies in 40000-40009, as ss counts them.
ss_held() {
	in_ns "$1" ss -Htan state all \
		"( dport = :$2 and sport >= :40000 and sport <= :40009 )" |
		grep -vc LISTEN
}

load_module || die "insmod failed"
new_ns a "40000 40009"
new_ns b "40000 40009"

# 1. Six open connections and four TIME_WAITs to one destination.
bg_listen "$a" -p 5000 --hold 6 || die "6 connections"
in_ns "$a" "$TW_GEN" pairs -n 4 -p 5000 --no-listen || die "4 TIME_WAITs"
check_eq "ss lists 10 sockets to it in range" 10 "$(ss_held "$a" 5000)"
check_eq "held is ss's count" "$(ss_held "$a" 5000)" \
	"$(col "$a" 127.0.0.1:5000 held)"
check_eq "held_pressure 100%" 100.0% \
	"$(col "$a" 127.0.0.1:5000 held_pressure)"
check_eq "pressure (TIME_WAIT only) 40%" 40.0% \
	"$(col "$a" 127.0.0.1:5000 pressure)"
check_eq "tw 4" 4 "$(col "$a" 127.0.0.1:5000 tw)"
check_eq "ports_usable 10" 10 "$(field "$a" ports_usable)"
check_eq "held_max_pressure 100%" 100.0% "$(field "$a" held_max_pressure)"
check_eq "the next connect() fails" EADDRNOTAVAIL \
	"$(in_ns "$a" "$TW_GEN" connect -a 127.0.0.1 -p 5000 2>&1)"
check_eq "counted once, for that destination" "1 1" \
	"$(field "$a" connect_failed) $(col "$a" 127.0.0.1:5000 failed)"

# twstat reads it all from the module itself.
TWSTAT=${TWSTAT:-$TWS_SELF/twstat}
if [ -x "$TWSTAT" ]; then
	check "twstat: the summary names the failed caller" eval \
		"in_ns \"$a\" \"$TWSTAT\" | grep -q 'last failure.*: tw_gen (pid [0-9]*) to 127.0.0.1:5000'"
	check_eq "twstat top: the failing destination first, all held" \
		"127.0.0.1:5000 10 100.0 1" \
		"$(in_ns "$a" "$TWSTAT" top -n 1 -H \
			-o remote,held,held_pressure_pct,failed | tr -s ' ')"
else
	skip "twstat: no $TWSTAT"
fi

# 2. Ranked by held, not by TIME_WAITs: six of them to another port hold
# six ports, fewer than the first destination's ten.
in_ns "$a" "$TW_GEN" pairs -n 6 -p 5004 || die "6 TIME_WAITs"
check_eq "the destination holding most is first, then the other" \
	"127.0.0.1:5000 4 10
127.0.0.1:5004 6 6" "$(dests "$a" | awk 'NR <= 2 { print $2, $3, $7 }')"

# 3. IPv6 and v4-mapped destinations, over the same local ports.
bg_listen "$a" -a ::1 -p 5001 --hold 3 || die "IPv6 connections"
bg_listen "$a" --v4mapped -a 127.0.0.1 -p 5002 --hold 2 ||
	die "v4-mapped connections"
check_eq "IPv6: held 3, 30%" "::1 3 30.0%" \
	"$(line "$a" "[::1]:5001" | awk '{ print $1, $7, $8 }')"
check_eq "v4-mapped: held 2, 20%" "::ffff:127.0.0.1 2 20.0%" \
	"$(line "$a" "[::ffff:127.0.0.1]:5002" | awk '{ print $1, $7, $8 }')"

# 4. A namespace of its own: a reserved port and one bind() took are
# not usable; connect() finds only the 8 others.
in_ns "$b" sysctl -qw net.ipv4.ip_local_reserved_ports=40001
bg_listen "$b" -p 40005 || die "a listener in the range"
check_eq "b: 1 reserved, 1 bound, 8 usable" "1 1 8" \
	"$(echo $(field "$b" ports_reserved) $(field "$b" ports_bound) \
		$(field "$b" ports_usable))"
bg_listen "$b" -p 5000 --hold 8 || die "8 connections in b"
check_eq "b: a ninth fails" EADDRNOTAVAIL \
	"$(in_ns "$b" "$TW_GEN" connect -a 127.0.0.1 -p 5000 2>&1)"
check_eq "b: held 8 of 8, 100%" "8 8 100.0%" \
	"$(col "$b" 127.0.0.1:5000 held) $(col "$b" 127.0.0.1:5000 ports) \
$(col "$b" 127.0.0.1:5000 held_pressure)"
check_eq "b sees its own failure only" "1 1" \
	"$(field "$b" connect_failed) $(field "$a" connect_failed)"
check_eq "b has no line of a's" "" "$(line "$b" "[::1]:5001")"
check_eq "the initial namespace has none of theirs" "" \
	"$(awk '/^local / { t = 1; next } t && $2 ~ /:500[0-4]$/' \
		/proc/tw_stats)"

finish
