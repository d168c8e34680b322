#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What differs between the kernels we support, checked on the one running:
# which probe points were armed (the timer handler is not one: a kill
# whose timer is due is the timer's), the FIN_WAIT2 reuse rule, and the age
# rule of tcp_tw_reuse (a later second before 6.14, tcp_tw_reuse_delay ms
# after entry from 6.14).  Each of our answers is checked against what
# the kernel's connect() does.

source "$(dirname "$0")/lib.sh"

# kver_ge MAJOR MINOR: the running kernel is at least MAJOR.MINOR.
kver_ge() {
	local v=${1}.${2} r

	r=$(uname -r | cut -d. -f1,2)
	[ "$(printf '%s\n%s\n' "$v" "$r" | sort -V | head -n 1)" == "$v" ]
}

mark=$(dmesg | wc -l)
load_module || die "insmod failed"
armed=$(dmesg | tail -n +$((mark + 1)) | sed -n 's/.*tw_stats: armed //p')
if kver_ge 6 11; then
	want=inet_twsk_hashdance_schedule
else
	want=inet_twsk_hashdance
fi
check "$(uname -r): hash insertion probed at $want" \
	grep -qx "$want" <<<"$armed"
# Exact symbols only: a compiler clone may take its arguments otherwise.
for sym in __inet_twsk_schedule inet_twsk_kill \
	tcp_timewait_state_process tcp_twsk_unique; do
	check "$(uname -r): $sym armed" grep -qx "$sym" <<<"$armed"
done

# fw2_refused: whether this kernel's tcp_twsk_unique() refuses FIN_WAIT2
# minisockets ("tcp: avoid reusing FIN_WAIT2 ..."): from 6.12, and in the
# stable series from 6.1.113 and 5.10.227; Debian's uname -r has no
# sublevel, its uname -v does ("... Debian 5.10.223-1 (2024-08-10)").
fw2_refused() {
	local v

	kver_ge 6 12 && return 0
	v=$(uname -v | sed -n 's/.* Debian \([0-9]*\.[0-9]*\.[0-9]*\)-.*/\1/p')
	[ -n "$v" ] || v=$(uname -r | cut -d- -f1)
	case $v in
	5.10.*) [ "${v##*.}" -ge 227 ] ;;
	6.1.*) [ "${v##*.}" -ge 113 ] ;;
	*) return 1 ;;
	esac
}

# FIN_WAIT2 minisockets, with timestamps and tcp_tw_reuse=1: a kernel
# with the fix never takes them over, an older one does at once; our
# eligibility says which, and the kernel's connect() agrees.
if fw2_refused; then
	fw2_want=0 fw2_connect=EADDRNOTAVAIL
else
	fw2_want=4 fw2_connect=ok
fi
echo "# $(uname -r) ($(uname -v)):" \
	"FIN_WAIT2 reuse $([ $fw2_want = 0 ] && echo refused || echo allowed)"
new_ns fw "43000 43003"
in_ns "$fw" sysctl -qw net.ipv4.tcp_tw_reuse=1
bg_ns "$fw" "$TW_GEN" pairs -v -n 4 -p 7000 --fin-wait2 50 \
	>"$TMPDIR/tws-fw.$$"
holder=$!
wait_until 10 grep -q made "$TMPDIR/tws-fw.$$" || die "no FIN_WAIT2"
wait_until 3 eval "[ \$SECONDS -ge $((SECONDS + 2)) ]"
check_eq "FIN_WAIT2 minisockets: $fw2_want of 4 eligible" "$fw2_want" \
	"$(field "$fw" reuse_eligible)"
listen "$fw" 7000
check_eq "and connect() says the same: $fw2_connect" "$fw2_connect" \
	"$(in_ns "$fw" "$TW_GEN" connect -a 127.0.0.1 -p 7000)"
kill -TERM "$holder"
wait "$holder"
rm -f "$TMPDIR/tws-fw.$$"

delay=/proc/sys/net/ipv4/tcp_tw_reuse_delay
new_ns ag "44000 44003"
in_ns "$ag" sysctl -qw net.ipv4.tcp_tw_reuse=1
listen "$ag" 7001
if kver_ge 6 14; then
	check "tcp_tw_reuse_delay exists from 6.14" test -e "$delay"
	in_ns "$ag" sysctl -qw net.ipv4.tcp_tw_reuse_delay=30000
	check_eq "tcp_tw_reuse_delay_ms shown" 30000 \
		"$(field "$ag" tcp_tw_reuse_delay_ms)"
	in_ns "$ag" "$TW_GEN" pairs --no-listen -n 4 -p 7001 || die "tw_gen"
	wait_until 3 eval "[ \$SECONDS -ge $((SECONDS + 2)) ]"
	check_eq "delay 30 s: none eligible after 2 s" 0 \
		"$(field "$ag" reuse_eligible)"
	check_eq "and connect() fails" EADDRNOTAVAIL \
		"$(in_ns "$ag" "$TW_GEN" connect -a 127.0.0.1 -p 7001)"
	in_ns "$ag" sysctl -qw net.ipv4.tcp_tw_reuse_delay=100
	check_eq "delay 100 ms: all eligible" 4 \
		"$(field "$ag" reuse_eligible)"
	check_eq "and connect() takes one" ok \
		"$(in_ns "$ag" "$TW_GEN" connect -a 127.0.0.1 -p 7001)"
else
	check "no tcp_tw_reuse_delay before 6.14" test ! -e "$delay"
	check_eq "no tcp_tw_reuse_delay_ms line" "" \
		"$(field "$ag" tcp_tw_reuse_delay_ms)"
	in_ns "$ag" "$TW_GEN" pairs --no-listen -n 4 -p 7001 || die "tw_gen"
	check "a later second than the peer's timestamp: all eligible" \
		wait_until 3 eval '[ "$(field "$ag" reuse_eligible)" == 4 ]'
	check_eq "and connect() takes one" ok \
		"$(in_ns "$ag" "$TW_GEN" connect -a 127.0.0.1 -p 7001)"
fi

finish
