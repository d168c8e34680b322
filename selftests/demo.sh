#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh - what `make demo` shows inside the VM: the module loaded on a
# machine that is busy closing connections, and what it reports.

here=$(cd "$(dirname "$0")" && pwd)
ko=/tws/tw_stats.ko
gen=$here/tw_gen
twstat=$here/twstat

say() {
	printf '\n### %s\n' "$*"
}

sysctl -qw net.ipv4.tcp_max_tw_buckets=100000
sysctl -qw net.ipv4.tcp_tw_reuse=0

say "300 connections to :8080 closed before the module is loaded"
"$gen" pairs -n 300 -p 8080
say "insmod tw_stats.ko: it takes in what exists"
insmod "$ko" && dmesg | grep 'tw_stats: found'

say "a server closes first over IPv6; a client hammers one service from 1000 local ports"
"$gen" pairs -n 50 -a ::1 -p 443 -c server
sysctl -qw net.ipv4.ip_local_port_range="40000 40999"
"$gen" listen -p 9000 >/dev/null &
until ss -Hltn 'sport = :9000' | grep -q .; do sleep 0.1; done
"$gen" pairs --no-listen -n 1000 -p 9000
printf 'next connect() to 127.0.0.1:9000: '
"$gen" connect -a 127.0.0.1 -p 9000

say "cat /proc/net/sockstat (the kernel's view)"
grep TCP /proc/net/sockstat
say "cat /proc/tw_stats"
cat /proc/tw_stats
say "head /proc/tw_sockets"
head -n 6 /proc/tw_sockets
echo "... $(($(wc -l </proc/tw_sockets) - 1)) rows"
say twstat
"$twstat"
say "twstat advise"
"$twstat" advise

say "sysctl net.ipv4.tcp_tw_reuse=1: a second later, the ports can be taken over"
sysctl -qw net.ipv4.tcp_tw_reuse=1
until [ "$(awk '$1 == "reuse_eligible" { print $2 }' /proc/tw_stats)" -ge 1000 ]; do
	sleep 0.2
done
grep -E '^(reuse_eligible|tcp_tw_reuse) |^local |:9000 ' /proc/tw_stats
printf 'next connect() to 127.0.0.1:9000: '
"$gen" connect -a 127.0.0.1 -p 9000
grep -E '^(ended|ended_reuse) ' /proc/tw_stats
say "twstat top"
"$twstat" top
kill %1
rmmod tw_stats
