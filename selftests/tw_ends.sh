#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Why minisockets end and what happens to them on the way, one scenario
# each, with the identity entered = tw_count + ended_* after every one:
# an RST from the peer (tcp_rfc1337 0 kills, 1 ignores), a retransmitted
# FIN restarting the 60 s, the roles, and a namespace dying with live
# minisockets.  The timer, reuse, SYN and FIN_WAIT2 ends are in
# tw_expiry.sh, tw_reuse.sh and tw_basic.sh.
#
# The segments are sent by "tw_gen seg" from the peer's address and port
# with the sequence numbers the kernel expects ("pairs --seq" reads them
# with TCP_REPAIR before the close).

source "$(dirname "$0")/lib.sh"

# server_tw NS ADDR PORT: one server-side TIME_WAIT; prints
# "local=.. remote=.. rcv_nxt=.. snd_nxt=..".
server_tw() {
	in_ns "$1" "$TW_GEN" pairs -n 1 -c server --seq -a "$2" -p "$3" |
		sed -n 's/^seq //p'
}

# kv LINE KEY
kv() {
	sed -n "s/.*\<$2=\([^ ]*\).*/\1/p" <<<"$1"
}

# seg NS LINE FLAGS SEQ: a segment from LINE's peer to its TIME_WAIT.
seg() {
	in_ns "$1" "$TW_GEN" seg --from "$(kv "$2" remote)" \
		--to "$(kv "$2" local)" --flags "$3" --seq "$4" \
		--ack "$(kv "$2" snd_nxt)"
}

# causes NS: the ended_* values but one, in their order.
causes_but() {
	in_ns "$1" awk -v k="ended_$2" '$1 ~ /^ended_/ && $1 != k {
		printf "%s%s", s, $2; s = " " } END { print "" }' /proc/tw_stats
}

# insegs_grew NS FROM: the kernel has taken in a segment since FROM.
insegs_grew() {
	[ "$(nstat_get "$1" TcpInSegs)" -gt "$2" ]
}

load_module || die "insmod failed"

# An RST with the expected sequence number kills a TIME_WAIT when
# tcp_rfc1337 is 0, in both families.
new_ns rst
in_ns "$rst" sysctl -qw net.ipv4.tcp_rfc1337=0
l4=$(server_tw "$rst" 127.0.0.1 7300)
l6=$(server_tw "$rst" ::1 7301)
[ -n "$l4" ] && [ -n "$l6" ] || die "tw_gen pairs --seq"
wait_until 5 counts_settled "$rst" 2 || die "2 TIME_WAITs"
seg "$rst" "$l4" R "$(kv "$l4" rcv_nxt)" || die "tw_gen seg"
seg "$rst" "$l6" R "$(kv "$l6" rcv_nxt)" || die "tw_gen seg"
check "the peer's RSTs ended both, as sockstat shows" \
	wait_until 5 counts_settled "$rst" 0
check_eq "ended_rst counted the 2" 2 "$(field "$rst" ended_rst)"
check_eq "and no other cause" "0 0 0 0 0" "$(causes_but "$rst" rst)"
check_eq "their lifetimes are in the rst column" 2 \
	"$(life "$rst" rst | awk '{ n += $2 } END { print n + 0 }')"
check "entered - ended_* = tw_count = sockstat tw" \
	wait_until 5 identity "$rst"

# With tcp_rfc1337=1 the same RST is taken in and ignored.
new_ns keep
in_ns "$keep" sysctl -qw net.ipv4.tcp_rfc1337=1
l4=$(server_tw "$keep" 127.0.0.1 7300)
[ -n "$l4" ] || die "tw_gen pairs --seq"
wait_until 5 counts_settled "$keep" 1 || die "1 TIME_WAIT"
segs=$(nstat_get "$keep" TcpInSegs)
seg "$keep" "$l4" R "$(kv "$l4" rcv_nxt)" || die "tw_gen seg"
wait_until 5 insegs_grew "$keep" "$segs" || die "the RST never arrived"
check "tcp_rfc1337=1: the RST arrived and the TIME_WAIT stays" \
	counts_settled "$keep" 1
check_eq "ended_rst stays 0" 0 "$(field "$keep" ended_rst)"

# The peer retransmits its FIN (as if our last ACK was lost): the 60 s
# start again.  tcp_rfc1337=1 because our answering ACK reaches a peer
# socket that is gone, whose RST would otherwise end the TIME_WAIT.
expires() {
	sock_cols "$1" local expires_ms | awk -v l="$2" '$1 == l { print $2 }'
}
expires_below() {
	[ "$(expires "$1" "$2")" -lt "$3" ]
}
lk=$(kv "$l4" local)
wait_until 10 expires_below "$keep" "$lk" 57000 || die "no time passes"
rearmed=$(field "$keep" rearmed)
# 6.1 also restarts the timer on an RST it ignores (the one above).
rearms=$(sock_cols "$keep" local rearms | awk -v l="$lk" '$1 == l { print $2 }')
moved=$(field "$keep" fin_wait2_to_time_wait)
sent=${EPOCHREALTIME/./}
seg "$keep" "$l4" FA $(($(kv "$l4" rcv_nxt) - 1)) || die "tw_gen seg"
check "rearmed counted the retransmitted FIN" wait_until 5 eval \
	'[ "$(field "$keep" rearmed)" == $((rearmed + 1)) ]'
# Less the time since the FIN was sent (seconds on a debug kernel); a
# timer that did not restart would be 3 s short of that.
left=$(expires "$keep" "$lk")
took=$(((${EPOCHREALTIME/./} - sent) / 1000))
echo "# expires_ms $left, $took ms after the FIN was sent"
check "expires_ms is back at 60 s" test "$left" -ge $((60000 - took - 100))
check_eq "its row counts one more restart" $((rearms + 1)) \
	"$(sock_cols "$keep" local rearms | awk -v l="$lk" '$1 == l { print $2 }')"
# ss prints the kernel's own timer, truncated to seconds ("59sec",
# "1min"); read between two reads of ours, it lies between them.
ss_timer_between() {
	local before after t
	before=$(expires "$1" "$2")
	t=$(in_ns "$1" ss -Htano state time-wait |
		sed -n 's/.*timer:(timewait,\([0-9]*\)\([a-z]*\),.*/\1 \2/p')
	after=$(expires "$1" "$2")
	case $t in
	"1 min") t=60 ;;
	*" sec") t=${t% sec} ;;
	*) echo "# ss timer: '$t'"; return 1 ;;
	esac
	echo "# ss: ${t}sec, ours: $before then $after ms"
	[ "$t" -ge $((after / 1000 - 1)) ] && [ "$t" -le $((before / 1000 + 1)) ]
}
check "ss agrees with expires_ms" ss_timer_between "$keep" "$lk"
check_eq "fin_wait2_to_time_wait did not move" "$moved" \
	"$(field "$keep" fin_wait2_to_time_wait)"
check_eq "still one, nothing ended" "1 0" \
	"$(field "$keep" tw_count) $(field "$keep" ended)"
check "entered - ended_* = tw_count = sockstat tw" \
	wait_until 5 identity "$keep"

# Roles: the closing client's ephemeral port, a listener's port, and a
# client bound to a port outside ip_local_port_range.
new_ns roles
in_ns "$roles" "$TW_GEN" pairs -n 3 -p 7500 || die "tw_gen"
in_ns "$roles" "$TW_GEN" pairs -n 2 -c server -p 7501 || die "tw_gen"
listen "$roles" 7502
check_eq "a client bound to port 5555 closes first" ok \
	"$(in_ns "$roles" "$TW_GEN" connect -a 127.0.0.1 -p 7502 \
		--lport 5555 --close)"
wait_until 5 counts_settled "$roles" 6 || die "6 TIME_WAITs"
check_eq "role_client role_server role_other" "3 2 1" \
	"$(field "$roles" role_client) $(field "$roles" role_server) \
$(field "$roles" role_other)"
check_eq "rows: server on the listener's port" "2 127.0.0.1:7501" \
	"$(in_ns "$roles" awk '$8 == "server" { n++; l = $1 }
		END { print n, l }' /proc/tw_sockets)"
check_eq "rows: other on port 5555" "127.0.0.1:5555" \
	"$(sock_cols "$roles" local role | awk '$2 == "other" { print $1 }')"
check_eq "rows: 3 clients" 3 \
	"$(sock_cols "$roles" role | grep -c '^client$')"
check "entered - ended_* = tw_count = sockstat tw" \
	wait_until 5 identity "$roles"

# A namespace dies with live minisockets: the all view's departed block
# counts them as purged, and nothing of it is left.
new_ns doomed
in_ns "$doomed" "$TW_GEN" pairs -n 4 -p 7600 || die "tw_gen"
in_ns "$doomed" "$TW_GEN" pairs -n 2 -a ::1 -c server -p 7601 || die "tw_gen"
wait_until 5 counts_settled "$doomed" 6 || die "6 TIME_WAITs"
id=$(inum "$doomed")
gone=$(departed namespaces)
purged=$(departed ended_purge)
entered=$(departed entered)
ip netns del "$doomed"
check "the departed block counts the namespace" wait_until 10 eval \
	'[ "$(departed namespaces)" == $((gone + 1)) ]'
check_eq "ended_purge counted its 6" $((purged + 6)) \
	"$(departed ended_purge)"
check_eq "entered came along" $((entered + 6)) "$(departed entered)"
check "departed: entered = ended_*, none held" wait_until 5 identity
check_eq "no rows of it are left" 0 \
	"$(all_view /proc/tw_sockets | awk -v i="$id" '$1 == i' | wc -l)"
check_eq "no block of it is left" 0 \
	"$(all_view /proc/tw_stats | awk -v i="$id" '$1 == "netns" &&
		$2 == i' | wc -l)"
check "the roles namespace is untouched" counts_settled "$roles" 6

finish
