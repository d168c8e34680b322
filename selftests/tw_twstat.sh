#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# twstat end to end, each view against a known scenario: 10 TIME_WAITs
# to one destination with a 10-port range is 100% pressure, and advise
# says what would relieve it; server-side pressure is told apart; an
# unloaded module is a clear error.

source "$(dirname "$0")/lib.sh"

TWSTAT=${TWSTAT:-$TWS_SELF/twstat}

ts() {	# ts NS ARGS...
	local ns=$1

	shift
	in_ns "$ns" "$TWSTAT" "$@"
}

# dest_row NS VIEW-ARGS...: the top row for 127.0.0.1:7000, its bar left
# out.
dest_row() {
	ts "$@" | awk '$2 == "127.0.0.1:7000" { $NF = ""; print; exit }'
}

load_module || die "insmod failed"

new_ns ns
in_ns "$ns" sysctl -qw net.ipv4.ip_local_port_range="40000 40009"
in_ns "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=0
listen "$ns" 7000
in_ns "$ns" "$TW_GEN" pairs --no-listen -n 10 -p 7000 || die "tw_gen"
wait_until 5 counts_settled "$ns" 10 || die "10 TIME_WAITs"

out=$(ts "$ns") || not_ok "twstat exits 0"
check "summary: 10 sockets" grep -Eq '^TIME-WAIT +10 sockets' <<<"$out"
# The ports are held by the 10 TIME_WAITs alone, and nothing failed.
check "summary: the destination at 100.0% with a bar" grep -Eq \
	'^127\.0\.0\.1 +127\.0\.0\.1:7000 +10 +0 +100\.0 +10 +100\.0 +0 +\[#+\]$' \
	<<<"$out"
check_eq "top: tw, reusable, ports, in_range, pressure, held, failed" \
	"127.0.0.1 127.0.0.1:7000 10 0 10 10 100.0 10 100.0 0 " \
	"$(dest_row "$ns" top)"
check_eq "top's header names them as JSON does" \
	"local remote tw reusable ports in_range pressure_pct held held_pressure_pct failed bar" \
	"$(ts "$ns" top | head -1 | tr -s ' ')"
json=$(ts "$ns" -j top | tr -d ' \n')
check "top -j: the same as JSON" grep -q '"remote":"127.0.0.1:7000","tw":10,'\
'"reusable":0,"ports":10,"in_range":10,"pressure_pct":100' <<<"$json"
check_eq "sockets --rport 7000: the 10, as ss lists them" \
	"$(ss_rows "$ns" time-wait | awk '{ print $1 }')" \
	"$(ts "$ns" sockets -H -o local --rport 7000 | sort)"
check_eq "sockets --lport 40003: one" 1 \
	"$(ts "$ns" sockets --lport 40003 | awk 'NR > 1' | wc -l)"
check_eq "sockets --role server: none" 0 \
	"$(ts "$ns" sockets --role server | awk 'NR > 1' | wc -l)"
out=$(ts "$ns" advise)
check "advise: tcp_tw_reuse would relieve it" \
	grep -q 'sysctl -w net.ipv4.tcp_tw_reuse=1' <<<"$out"
check "advise: so would a wider port range" \
	grep -q 'sysctl -w net.ipv4.ip_local_port_range=' <<<"$out"
check "advise changed nothing" test \
	"$(in_ns "$ns" sysctl -n net.ipv4.tcp_tw_reuse)" == 0
check "--prometheus: the count as a gauge" \
	grep -qx 'twstat_time_wait_sockets 10' <<<"$(ts "$ns" --prometheus)"
check_eq "watch -j 1 2: two JSON documents, one a line" 2 \
	"$(ts "$ns" -j 1 2 | grep -c '^{.*}$')"

# tcp_tw_reuse=1: the kernel may now take them over, and twstat says so.
in_ns "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=1
wait_until 5 eval '[ "$(field "$ns" reuse_eligible)" == 10 ]' ||
	die "10 eligible"
check_eq "top: all 10 reusable" \
	"127.0.0.1 127.0.0.1:7000 10 10 10 10 100.0 10 100.0 0 " \
	"$(dest_row "$ns" top)"

# Server side: the TIME_WAITs hold the listener's port; reuse cannot help.
new_ns srv
in_ns "$srv" sysctl -qw net.ipv4.ip_local_port_range="40000 40009"
in_ns "$srv" "$TW_GEN" pairs -n 10 -c server -p 7100 || die "tw_gen"
wait_until 5 counts_settled "$srv" 10 || die "10 TIME_WAITs"
check_eq "sockets --role server: the 10" 10 \
	"$(ts "$srv" sockets --role server | awk 'NR > 1' | wc -l)"
check "advise: server side, reuse cannot help" \
	grep -qi 'server side' <<<"$(ts "$srv" advise --threshold 0)"

# --all-netns, as root in the initial namespace: each namespace's summary.
out=$(ts "$ns" --all-netns 2>&1)
check "--all-netns is refused inside a namespace" test $? == 1
out=$("$TWSTAT" --all-netns)
check "--all-netns from the initial one names both namespaces" \
	grep -q "$(inum "$ns")" <<<"$out"
check "--all-netns -j is one document with both" eval \
	'[ "$("$TWSTAT" --all-netns -j | tr -d " \n" |
	grep -o "$(inum "$ns")\|$(inum "$srv")" | sort -u | wc -l)" == 2 ]'

unload_module
err=$(ts "$ns" 2>&1 >/dev/null)
rc=$?
check_eq "module not loaded: exit 1" 1 "$rc"
check "and says how to load it" grep -q 'modprobe tw_stats' <<<"$err"
check_eq "with nothing on stdout" "" "$(ts "$ns" 2>/dev/null)"

finish
