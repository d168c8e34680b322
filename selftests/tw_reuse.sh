#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# reuse_eligible follows tcp_twsk_unique(): tcp_tw_reuse 0 never, 1
# always, 2 loopback only; the peer must have sent timestamps; the age
# rule of the running kernel.  Where we say a port can be taken over,
# the kernel's connect() takes it, and TcpExtTWRecycled shows it.

source "$(dirname "$0")/lib.sh"

eligible_is() {
	[ "$(field "$1" reuse_eligible)" == "$2" ]
}

load_module || die "insmod failed"

new_ns ns
in_ns "$ns" sysctl -qw net.ipv4.ip_local_port_range="42000 42005"
in_ns "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=0
listen "$ns" 7000
in_ns "$ns" "$TW_GEN" pairs --no-listen -n 6 -p 7000 || die "tw_gen"
wait_until 5 counts_settled "$ns" 6 || die "6 TIME_WAITs"
check_eq "tcp_tw_reuse=0: none eligible" 0 "$(field "$ns" reuse_eligible)"
check_eq "tcp_tw_reuse=0: no row says yes" 0 \
	"$(sock_cols "$ns" reuse | grep -c '^yes$')"
check_eq "and connect() fails" EADDRNOTAVAIL \
	"$(in_ns "$ns" "$TW_GEN" connect -a 127.0.0.1 -p 7000)"

in_ns "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=1
check "tcp_tw_reuse=1 with timestamps: all 6 eligible after the delay" \
	wait_until 5 eligible_is "$ns" 6
check_eq "every row says yes" 6 \
	"$(sock_cols "$ns" reuse | grep -c '^yes$')"
recycled=$(nstat_get "$ns" TcpExtTWRecycled)
ended=$(field "$ns" ended)
check_eq "connect() takes one over" ok \
	"$(in_ns "$ns" "$TW_GEN" connect -a 127.0.0.1 -p 7000)"
check_eq "TcpExtTWRecycled grew by one" $((recycled + 1)) \
	"$(nstat_get "$ns" TcpExtTWRecycled)"
check "the reused entry left the table" \
	wait_until 5 eval '[ "$(field "$ns" ended)" == $((ended + 1)) ]'
check_eq "as ended_reuse, with TcpExtTWRecycled" 1 "$(field "$ns" ended_reuse)"
check "entered - ended_* = tw_count = sockstat tw" \
	wait_until 5 identity "$ns"
check "rows still equal ss" wait_until 5 eval \
	'[ "$(ss_rows "$ns" time-wait)" == "$(rows "$ns" TIME_WAIT)" ]'

# No timestamps from the peer: never eligible.
new_ns nts
in_ns "$nts" sysctl -qw net.ipv4.tcp_timestamps=0
in_ns "$nts" sysctl -qw net.ipv4.tcp_tw_reuse=1
in_ns "$nts" sysctl -qw net.ipv4.ip_local_port_range="42000 42003"
listen "$nts" 7000
in_ns "$nts" "$TW_GEN" pairs --no-listen -n 4 -p 7000 || die "tw_gen"
wait_until 5 counts_settled "$nts" 4 || die "4 TIME_WAITs"
# Past the age rule's window, so that only the timestamps say no.
wait_until 3 eval "[ \$SECONDS -ge $((SECONDS + 2)) ]"
check_eq "timestamps off: none eligible" 0 "$(field "$nts" reuse_eligible)"
check_eq "and the kernel agrees: connect() fails" EADDRNOTAVAIL \
	"$(in_ns "$nts" "$TW_GEN" connect -a 127.0.0.1 -p 7000)"

# tcp_tw_reuse=2: loopback only.
new_ns lo2
in_ns "$lo2" sysctl -qw net.ipv4.tcp_tw_reuse=2
in_ns "$lo2" ip link add tws0 type dummy || die "no dummy interface"
in_ns "$lo2" ip addr add 192.0.2.1/24 dev tws0
in_ns "$lo2" ip link set tws0 up
in_ns "$lo2" "$TW_GEN" pairs -n 4 -a 192.0.2.1 -p 7000 || die "tw_gen"
in_ns "$lo2" "$TW_GEN" pairs -n 3 -a 127.0.0.1 -p 7001 || die "tw_gen"
check "tcp_tw_reuse=2: only the 3 loopback ones eligible" \
	wait_until 5 eligible_is "$lo2" 3
check_eq "non-loopback rows stay no" 4 \
	"$(in_ns "$lo2" awk 'NR > 1 && $2 ~ /^192/ && $6 == "no"' \
		/proc/tw_sockets | wc -l)"
in_ns "$lo2" sysctl -qw net.ipv4.tcp_tw_reuse=1
check_eq "tcp_tw_reuse=1 there: all 7" 7 "$(field "$lo2" reuse_eligible)"

# A SYN from the peer reopens a server-side TIME_WAIT (TCP_TW_SYN).
new_ns syn
made=$(in_ns "$syn" "$TW_GEN" pairs -v -n 1 -p 7100 -c server) ||
	die "tw_gen"
lport=$(sed -n 's/.*local=[^ ]*:\([0-9]*\)-.*/\1/p' <<<"$made")
wait_until 5 counts_settled "$syn" 1 || die "1 server TIME_WAIT"
listen "$syn" 7100
check_eq "a client from the same port connects again" ok \
	"$(in_ns "$syn" "$TW_GEN" connect -a 127.0.0.1 -p 7100 --lport "$lport")"
check "its SYN ended the server's TIME_WAIT: ended_syn" \
	wait_until 5 eval '[ "$(field "$syn" ended_syn)" == 1 ]'
check_eq "no other cause" "0 0 0" "$(field "$syn" ended_timer) \
$(field "$syn" ended_reuse) $(field "$syn" ended_other)"
check "entered - ended_* = tw_count = sockstat tw" \
	wait_until 5 identity "$syn"

finish
